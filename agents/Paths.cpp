#include "Paths.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

namespace omega::paths {

namespace {
QString fromEnvironment(const char* name) {
    return QDir::cleanPath(qEnvironmentVariable(name));
}
bool hasEnvironment(const char* name) {
    return !qEnvironmentVariableIsEmpty(name);
}

QString& mediaRootOverride() {
    static QString path;
    return path;
}

QString standardDir(QStandardPaths::StandardLocation location) {
    // Fixed folder name, independent of the executable's name (omega vs omega-studio).
    return QDir(QStandardPaths::writableLocation(location))
        .filePath(QStringLiteral("omega-studio"));
}
} // namespace

QString configDir() {
    if (hasEnvironment("OMEGA_CONFIG_DIR"))
        return fromEnvironment("OMEGA_CONFIG_DIR");
    return standardDir(QStandardPaths::GenericConfigLocation);
}

QString dataDir() {
    if (hasEnvironment("OMEGA_DATA_DIR"))
        return fromEnvironment("OMEGA_DATA_DIR");
    return standardDir(QStandardPaths::GenericDataLocation);
}

QString jobsDir() {
    return QDir(dataDir()).filePath(QStringLiteral("jobs"));
}
QString mediaRootDir() {
    if (!mediaRootOverride().isEmpty())
        return mediaRootOverride();
    return QDir(dataDir()).filePath(QStringLiteral("media"));
}
void setMediaRootOverride(const QString& path) {
    mediaRootOverride() = path.trimmed().isEmpty() ? QString() : QDir::cleanPath(path.trimmed());
}
QString logFilePath() {
    return QDir(dataDir()).filePath(QStringLiteral("logs/omega.log"));
}

QString resourcesDir() {
    if (hasEnvironment("OMEGA_RESOURCES_DIR"))
        return fromEnvironment("OMEGA_RESOURCES_DIR");
    if (QCoreApplication::instance()) {
        const QString installed = QDir::cleanPath(QCoreApplication::applicationDirPath() +
                                                  QStringLiteral("/../share/omega-studio"));
        if (QFileInfo(installed + QStringLiteral("/find_scenes.py")).exists())
            return installed;
    }
    return QStringLiteral(OMEGA_SOURCE_DIR "/resources");
}

QString resourcePath(const QString& relative) {
    return QDir(resourcesDir()).filePath(relative);
}

QString venvDir() {
    if (hasEnvironment("OMEGA_VENV"))
        return fromEnvironment("OMEGA_VENV");
    const QString sourceVenv = QStringLiteral(OMEGA_SOURCE_DIR "/.venv");
    if (QFileInfo(sourceVenv + QStringLiteral("/bin/python")).exists())
        return sourceVenv;
    return QDir(dataDir()).filePath(QStringLiteral("venv"));
}

QString renderPython() {
    if (hasEnvironment("OMEGA_PYTHON"))
        return qEnvironmentVariable("OMEGA_PYTHON");
    return QDir(venvDir()).filePath(QStringLiteral("bin/python"));
}

QString setupHint() {
    const QString checkout = QStringLiteral(OMEGA_SOURCE_DIR);
    const bool sourceCheckout = QDir::cleanPath(resourcesDir()) ==
                                    QDir::cleanPath(checkout + QStringLiteral("/resources")) &&
                                QFileInfo::exists(checkout + QStringLiteral("/scripts/setup.sh"));
    if (sourceCheckout)
        return QStringLiteral("Run scripts/setup.sh");
    return QStringLiteral(
        "Run `omega setup` (or, in Omega Studio, File → Create the Render Environment)");
}

bool ensureDir(const QString& path) {
    return QDir().mkpath(path);
}

} // namespace omega::paths
