#include "StudioSettings.h"

#include "DependencyAgent.h"
#include "HealingPipeline.h"
#include "Paths.h"
#include "ProviderConfig.h"
#include "ProviderSettings.h"
#include "RenderOptions.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSettings>

#include <cmath>

namespace omega {

namespace {

// One whole-number setting: its key in the file, its bounds and how the user calls it.
struct IntField {
    const char* key;
    int StudioSettings::*member;
    int min;
    int max;
    const char* label;
    const char* unit; // appended to numbers in messages: " MB", " s", ""
};

const QList<IntField>& intFields() {
    static const QList<IntField> fields = {
        {"memoryLimitMb", &StudioSettings::memoryLimitMb, 512, 1048576, "Memory limit", " MB"},
        {"maxProcesses", &StudioSettings::maxProcesses, 16, 65536, "Process limit", " processes"},
        {"cpuTimeLimitSec", &StudioSettings::cpuTimeLimitSec, 10, 86400, "CPU time limit", " s"},
        {"containerIdleMin", &StudioSettings::containerIdleMin, 0, 1440, "Container idle time",
         " min"},
        {"renderTimeoutSec", &StudioSettings::renderTimeoutSec, 10, 86400, "Render timeout", " s"},
        {"aiConnectTimeoutSec", &StudioSettings::aiConnectTimeoutSec, 1, 600, "AI connect timeout",
         " s"},
        {"aiIdleTimeoutSec", &StudioSettings::aiIdleTimeoutSec, 5, 3600, "AI idle timeout", " s"},
        {"maxAttempts", &StudioSettings::maxAttempts, 1, 20, "Healing attempts", ""},
        {"maxTokens", &StudioSettings::maxTokens, 1000, 10000000, "Token cap", " tokens"},
        {"maxWallTimeSec", &StudioSettings::maxWallTimeSec, 30, 86400, "Healing time limit", " s"},
    };
    return fields;
}

constexpr double kMinContainerCpus = 0.1;
constexpr double kMaxContainerCpus = 1024.0;

QString rangeProblem(const QString& label, const QString& value, const QString& unit, bool tooSmall,
                     const QString& bound) {
    return tooSmall ? QStringLiteral("%1: %2%3 is too small; use at least %4%3.")
                          .arg(label, value, unit, bound)
                    : QStringLiteral("%1: %2%3 is too large; use at most %4%3.")
                          .arg(label, value, unit, bound);
}

QStringList qualityNames() {
    return {QStringLiteral("l"), QStringLiteral("m"), QStringLiteral("h"), QStringLiteral("p"),
            QStringLiteral("k")};
}

// An OCI image reference: [registry[:port]/]path[:tag][@digest], lower-case path components.
bool isValidImageReference(const QString& image) {
    static const QRegularExpression pattern(
        QStringLiteral("^(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*"
                       "(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
                       "(?:@sha256:[a-f0-9]{64})?$"));
    return image.size() <= 255 && pattern.match(image).hasMatch();
}

// A value from the file, or `fallback` when it is missing, not a whole number or out of bounds.
int readInt(const QSettings& settings, const IntField& field, int fallback) {
    const QVariant value = settings.value(QLatin1String(field.key));
    if (!value.isValid())
        return fallback;
    bool ok = false;
    const int number = value.toString().trimmed().toInt(&ok);
    return ok && number >= field.min && number <= field.max ? number : fallback;
}

QString readChoice(const QSettings& settings, const char* key, const QStringList& allowed,
                   const QString& fallback) {
    const QString value = settings.value(QLatin1String(key)).toString().trimmed().toLower();
    return allowed.contains(value) ? value : fallback;
}

bool readBool(const QSettings& settings, const char* key, bool fallback) {
    const QString value = settings.value(QLatin1String(key)).toString().trimmed().toLower();
    if (value == QLatin1String("true") || value == QLatin1String("1"))
        return true;
    if (value == QLatin1String("false") || value == QLatin1String("0"))
        return false;
    return fallback;
}

} // namespace

QStringList StudioSettings::backendNames() {
    return {QStringLiteral("auto"), QStringLiteral("sandbox"), QStringLiteral("docker"),
            QStringLiteral("local")};
}

QStringList StudioSettings::containerEngineNames() {
    return {QStringLiteral("auto"), QStringLiteral("docker"), QStringLiteral("podman")};
}

StudioSettings StudioSettings::load() {
    const StudioSettings defaults;
    StudioSettings loaded;
    QSettings settings(ProviderSettings::settingsFile(), QSettings::IniFormat);
    settings.beginGroup(group());
    for (const IntField& field : intFields())
        loaded.*field.member = readInt(settings, field, defaults.*field.member);
    loaded.backend = readChoice(settings, "backend", backendNames(), defaults.backend);
    loaded.containerEngine =
        readChoice(settings, "containerEngine", containerEngineNames(), defaults.containerEngine);
    const QString image = settings.value(QStringLiteral("containerImage")).toString().trimmed();
    loaded.containerImage = isValidImageReference(image) ? image : defaults.containerImage;
    bool ok = false;
    const double cpus = settings.value(QStringLiteral("containerCpus")).toString().toDouble(&ok);
    loaded.containerCpus =
        ok && std::isfinite(cpus) && cpus >= kMinContainerCpus && cpus <= kMaxContainerCpus
            ? cpus
            : defaults.containerCpus;
    loaded.defaultQuality =
        readChoice(settings, "defaultQuality", qualityNames(), defaults.defaultQuality);
    loaded.renderOnOpen = readBool(settings, "renderOnOpen", defaults.renderOnOpen);
    loaded.askBeforeInstall = readBool(settings, "askBeforeInstall", defaults.askBeforeInstall);
    // One name per list entry; anything that is not a package name is dropped.
    const QStringList packages =
        settings.value(QStringLiteral("extraAllowedPackages")).toStringList();
    for (const QString& raw : packages) {
        const QString name = raw.trimmed();
        if (isValidPackageName(name) && !loaded.extraAllowedPackages.contains(name))
            loaded.extraAllowedPackages << name;
    }
    const QString media = settings.value(QStringLiteral("mediaRoot")).toString().trimmed();
    loaded.mediaRoot = QDir::isAbsolutePath(media) ? QDir::cleanPath(media) : QString();
    settings.endGroup();
    return loaded;
}

bool StudioSettings::save(QString* error) const {
    if (!paths::ensureDir(paths::configDir())) {
        if (error)
            *error = QStringLiteral("cannot create the settings folder %1").arg(paths::configDir());
        return false;
    }
    QSettings settings(ProviderSettings::settingsFile(), QSettings::IniFormat);
    settings.beginGroup(group());
    for (const IntField& field : intFields())
        settings.setValue(QLatin1String(field.key), this->*field.member);
    settings.setValue(QStringLiteral("backend"), backend);
    settings.setValue(QStringLiteral("containerEngine"), containerEngine);
    settings.setValue(QStringLiteral("containerImage"), containerImage);
    settings.setValue(QStringLiteral("containerCpus"), containerCpus);
    settings.setValue(QStringLiteral("defaultQuality"), defaultQuality);
    settings.setValue(QStringLiteral("renderOnOpen"), renderOnOpen);
    settings.setValue(QStringLiteral("askBeforeInstall"), askBeforeInstall);
    settings.setValue(QStringLiteral("extraAllowedPackages"), extraAllowedPackages);
    settings.setValue(QStringLiteral("mediaRoot"), mediaRoot);
    settings.endGroup();
    settings.sync();
    if (settings.status() != QSettings::NoError) {
        if (error)
            *error = QStringLiteral("cannot write %1: check that the folder is writable and the "
                                    "disk is not full")
                         .arg(ProviderSettings::settingsFile());
        return false;
    }
    return true;
}

QString StudioSettings::checkMediaFolder(const QString& path) {
    const QString trimmed = path.trimmed();
    if (!QDir::isAbsolutePath(trimmed))
        return QStringLiteral("Media folder: \"%1\" is not an absolute path; choose a folder "
                              "with Browse.")
            .arg(trimmed);
    const QFileInfo info(trimmed);
    if (info.exists()) {
        if (!info.isDir())
            return QStringLiteral("Media folder: %1 is a file, not a folder.").arg(trimmed);
        if (!info.isWritable())
            return QStringLiteral("Media folder: %1 is not writable; choose a folder you can "
                                  "write to.")
                .arg(trimmed);
        return QString();
    }
    // It will be created: the nearest existing parent must be a writable folder.
    QString parent = QDir::cleanPath(trimmed);
    while (!QFileInfo::exists(parent)) {
        const QString up = QFileInfo(parent).path();
        if (up == parent)
            break;
        parent = up;
    }
    const QFileInfo parentInfo(parent);
    if (!parentInfo.isDir() || !parentInfo.isWritable())
        return QStringLiteral("Media folder: %1 does not exist and cannot be created in %2 "
                              "(not writable).")
            .arg(trimmed, parent);
    return QString();
}

QList<SettingsProblem> StudioSettings::problems() const {
    QList<SettingsProblem> found;
    auto add = [&found](const char* field, const QString& message) {
        found.append({QLatin1String(field), message});
    };
    if (!backendNames().contains(backend))
        add("backend", QStringLiteral("Render backend: \"%1\" is not one of %2.")
                           .arg(backend, backendNames().join(QStringLiteral(", "))));
    if (!containerEngineNames().contains(containerEngine))
        add("containerEngine",
            QStringLiteral("Container engine: \"%1\" is not one of %2.")
                .arg(containerEngine, containerEngineNames().join(QStringLiteral(", "))));
    if (!containerImage.isEmpty() && !isValidImageReference(containerImage))
        add("containerImage",
            QStringLiteral(
                "Container image: \"%1\" is not an image name; use the form "
                "registry/name:tag (for example docker.io/manimcommunity/manim:v0.19.0), "
                "or leave it empty for the default.")
                .arg(containerImage));
    for (const IntField& field : intFields()) {
        const int value = this->*field.member;
        if (value < field.min || value > field.max)
            add(field.key,
                rangeProblem(QLatin1String(field.label), QString::number(value),
                             QLatin1String(field.unit), value < field.min,
                             QString::number(value < field.min ? field.min : field.max)));
    }
    if (!std::isfinite(containerCpus) || containerCpus < kMinContainerCpus ||
        containerCpus > kMaxContainerCpus) {
        const bool tooSmall = !std::isfinite(containerCpus) || containerCpus < kMinContainerCpus;
        add("containerCpus",
            rangeProblem(QStringLiteral("Container CPUs"), QString::number(containerCpus),
                         QString(), tooSmall,
                         QString::number(tooSmall ? kMinContainerCpus : kMaxContainerCpus)));
    }
    if (!qualityNames().contains(defaultQuality))
        add("defaultQuality", QStringLiteral("Default quality: \"%1\" is not one of l, m, h, p, k.")
                                  .arg(defaultQuality));
    for (const QString& name : extraAllowedPackages) {
        if (!isValidPackageName(name)) {
            add("extraAllowedPackages",
                QStringLiteral("Allowed packages: \"%1\" is not a PyPI package name (letters, "
                               "digits, '.', '_' and '-', one name per line, no versions).")
                    .arg(name));
            break;
        }
    }
    if (!mediaRoot.isEmpty()) {
        const QString problem = checkMediaFolder(mediaRoot);
        if (!problem.isEmpty())
            add("mediaRoot", problem);
    }
    return found;
}

QStringList StudioSettings::validate() const {
    QStringList messages;
    for (const SettingsProblem& problem : problems())
        messages << problem.message;
    return messages;
}

void StudioSettings::applyTo(RenderOptions* options) const {
    options->memoryLimitMb = memoryLimitMb;
    options->maxProcesses = maxProcesses;
    options->cpuTimeLimitSec = cpuTimeLimitSec;
    options->timeoutSec = renderTimeoutSec;
    if (const auto quality = qualityFromName(defaultQuality))
        options->quality = *quality;
}

void StudioSettings::applyTo(HealingOptions* options) const {
    options->maxAttempts = maxAttempts;
    options->maxTokens = maxTokens;
    options->maxWallTimeSec = maxWallTimeSec;
    applyTo(&options->installPolicy);
}

void StudioSettings::applyTo(ProviderConfig* provider) const {
    provider->connectTimeoutMs = aiConnectTimeoutSec * 1000;
    provider->idleTimeoutMs = aiIdleTimeoutSec * 1000;
}

void StudioSettings::applyTo(InstallPolicy* policy) const {
    policy->allowListed = !askBeforeInstall;
}

void StudioSettings::applyTo(DependencyRules* rules) const {
    for (const QString& name : extraAllowedPackages) {
        if (!isValidPackageName(name))
            continue;
        const QString normalized = normalizedPackageName(name);
        if (!rules->isDenied(normalized))
            rules->allowed.insert(normalized);
    }
}

bool operator==(const StudioSettings& a, const StudioSettings& b) {
    for (const IntField& field : intFields()) {
        if (a.*field.member != b.*field.member)
            return false;
    }
    return a.backend == b.backend && a.containerEngine == b.containerEngine &&
           a.containerImage == b.containerImage &&
           qFuzzyCompare(a.containerCpus, b.containerCpus) &&
           a.defaultQuality == b.defaultQuality && a.renderOnOpen == b.renderOnOpen &&
           a.extraAllowedPackages == b.extraAllowedPackages &&
           a.askBeforeInstall == b.askBeforeInstall && a.mediaRoot == b.mediaRoot;
}

} // namespace omega
