#pragma once
// Shared helpers for the integration tests: isolated data/config folders, fixture copies,
// running the `omega` binary, process checks and ffprobe.

#include "AgentResult.h"
#include "ErrorReport.h"

#include <QByteArray>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSize>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <csignal>
#include <memory>
#include <sys/types.h>

// Compare categories and statuses by their names, so a failure prints something readable.
#define QCOMPARE_CATEGORY(actual, expected)                                                        \
    QCOMPARE(omega::categoryName(actual), omega::categoryName(expected))
#define QCOMPARE_STATUS(actual, expected)                                                          \
    QCOMPARE(omega::statusName(actual), omega::statusName(expected))

namespace omega::test {

inline QString fixturesDir() {
    return QStringLiteral(OMEGA_FIXTURES_DIR);
}
inline QString sceneFixture(const QString& name) {
    return QStringLiteral(OMEGA_FIXTURES_DIR "/scenes/") + name;
}
inline QString omegaBinary() {
    return QStringLiteral(OMEGA_BIN_DIR "/omega");
}

// Points OMEGA_DATA_DIR and OMEGA_CONFIG_DIR at fresh temporary folders for its lifetime
// (for agents running in this process), and restores the previous values afterwards.
class IsolatedEnvironment {
public:
    IsolatedEnvironment()
        : oldData_(qgetenv("OMEGA_DATA_DIR"))
        , oldConfig_(qgetenv("OMEGA_CONFIG_DIR"))
        , hadData_(qEnvironmentVariableIsSet("OMEGA_DATA_DIR"))
        , hadConfig_(qEnvironmentVariableIsSet("OMEGA_CONFIG_DIR")) {
        qputenv("OMEGA_DATA_DIR", dataDir().toUtf8());
        qputenv("OMEGA_CONFIG_DIR", configDir().toUtf8());
    }
    ~IsolatedEnvironment() {
        if (hadData_)
            qputenv("OMEGA_DATA_DIR", oldData_);
        else
            qunsetenv("OMEGA_DATA_DIR");
        if (hadConfig_)
            qputenv("OMEGA_CONFIG_DIR", oldConfig_);
        else
            qunsetenv("OMEGA_CONFIG_DIR");
    }
    IsolatedEnvironment(const IsolatedEnvironment&) = delete;
    IsolatedEnvironment& operator=(const IsolatedEnvironment&) = delete;

    bool isValid() const { return data_.isValid() && config_.isValid() && work_.isValid(); }
    QString dataDir() const { return data_.path(); }
    QString configDir() const { return config_.path(); }
    // A scratch folder for the test's own files (copies of fixtures, outputs).
    QString workDir() const { return work_.path(); }

    // The environment for a child `omega`: this process's, with the isolated folders.
    QProcessEnvironment processEnvironment() const {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("OMEGA_DATA_DIR"), dataDir());
        env.insert(QStringLiteral("OMEGA_CONFIG_DIR"), configDir());
        return env;
    }

private:
    QTemporaryDir data_;
    QTemporaryDir config_;
    QTemporaryDir work_;
    QByteArray oldData_;
    QByteArray oldConfig_;
    bool hadData_;
    bool hadConfig_;
};

// Copies a fixture from tests/fixtures/scenes into `dir` (optionally renamed); returns the
// copy's path, empty on failure. Renders use copies so that nothing is ever written next to
// the fixtures and edits stay local to a test.
inline QString copyFixture(const QString& name, const QString& dir,
                           const QString& newName = QString()) {
    const QString target = QDir(dir).filePath(newName.isEmpty() ? name : newName);
    QFile::remove(target);
    if (!QFile::copy(sceneFixture(name), target))
        return {};
    QFile::setPermissions(target, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup |
                                      QFile::ReadOther);
    return target;
}

inline bool writeFile(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    return file.write(bytes) == bytes.size();
}

inline QByteArray readFile(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

// 1-based line of the first line of `path` that starts with `prefix` (after indentation), 0
// when none does.
inline int lineStartingWith(const QString& path, const QString& prefix) {
    const QStringList lines = QString::fromUtf8(readFile(path)).split(QLatin1Char('\n'));
    for (int i = 0; i < lines.size(); ++i) {
        if (lines.at(i).trimmed().startsWith(prefix))
            return i + 1;
    }
    return 0;
}

inline bool isNonEmptyFile(const QString& path) {
    const QFileInfo info(path);
    return info.isFile() && info.size() > 0;
}

// True when no process with this pid exists any more (kill(pid, 0) fails with ESRCH).
inline bool processGone(qint64 pid) {
    if (pid <= 0)
        return true;
    return ::kill(static_cast<pid_t>(pid), 0) == -1 && errno == ESRCH;
}

// True when the process group `pgid` is empty (kill(-pgid, 0) fails with ESRCH).
// Killed children that outlived their parent are reparented and reaped by init a moment
// later; until then they still count as members of the group. Allow that moment (3 s).
inline bool processGroupGone(qint64 pgid) {
    if (pgid <= 0)
        return true;
    QElapsedTimer clock;
    clock.start();
    while (!(::kill(-static_cast<pid_t>(pgid), 0) == -1 && errno == ESRCH)) {
        if (clock.elapsed() > 3000)
            return false;
        QTest::qWait(20);
    }
    return true;
}

// Outcome of one run of the `omega` binary.
struct CliRun {
    bool started = false;
    bool finishedInTime = false;
    int exitCode = -1;
    QProcess::ExitStatus exitStatus = QProcess::NormalExit;
    QByteArray out;
    QByteArray err;
    qint64 elapsedMs = 0;

    // stdout parsed as one JSON object; empty when it is not one.
    QJsonObject json() const {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(out, &error);
        return error.error == QJsonParseError::NoError && doc.isObject() ? doc.object()
                                                                         : QJsonObject();
    }
    QString errorCategory() const {
        return json()
            .value(QLatin1String("error"))
            .toObject()
            .value(QLatin1String("category"))
            .toString();
    }
    // For failure messages.
    QByteArray describe() const {
        return "exit " + QByteArray::number(exitCode) + "\n--- stdout:\n" + out.right(3000) +
               "\n--- stderr:\n" + err.right(3000);
    }
};

// Runs `omega ARGS` with stdin closed, in `workingDir` when given; waits (this is a test,
// not the GUI) up to `timeoutMs`, killing it when it overstays.
inline CliRun runOmega(const QStringList& args, const QProcessEnvironment& env,
                       int timeoutMs = 120000, const QString& workingDir = QString()) {
    CliRun run;
    QProcess process;
    process.setProgram(omegaBinary());
    process.setArguments(args);
    process.setProcessEnvironment(env);
    process.setStandardInputFile(QProcess::nullDevice());
    if (!workingDir.isEmpty())
        process.setWorkingDirectory(workingDir);
    QElapsedTimer clock;
    clock.start();
    process.start();
    run.started = process.waitForStarted(10000);
    if (!run.started)
        return run;
    run.finishedInTime = process.waitForFinished(timeoutMs);
    if (!run.finishedInTime) {
        process.kill();
        process.waitForFinished(5000);
    }
    run.elapsedMs = clock.elapsed();
    run.exitCode = process.exitCode();
    run.exitStatus = process.exitStatus();
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

// Width and height of the first video stream, from ffprobe; invalid size on failure.
inline QSize videoSize(const QString& path) {
    QProcess probe;
    probe.start(QStringLiteral("ffprobe"),
                {QStringLiteral("-v"), QStringLiteral("error"), QStringLiteral("-select_streams"),
                 QStringLiteral("v:0"), QStringLiteral("-show_entries"),
                 QStringLiteral("stream=width,height"), QStringLiteral("-of"),
                 QStringLiteral("csv=p=0"), path});
    if (!probe.waitForFinished(30000) || probe.exitCode() != 0)
        return {};
    const QList<QByteArray> parts = probe.readAllStandardOutput().trimmed().split(',');
    if (parts.size() != 2)
        return {};
    return {parts.at(0).toInt(), parts.at(1).toInt()};
}

// Frame rate of the first video stream ("15/1" → 15.0); 0 on failure.
inline double videoFrameRate(const QString& path) {
    QProcess probe;
    probe.start(QStringLiteral("ffprobe"),
                {QStringLiteral("-v"), QStringLiteral("error"), QStringLiteral("-select_streams"),
                 QStringLiteral("v:0"), QStringLiteral("-show_entries"),
                 QStringLiteral("stream=r_frame_rate"), QStringLiteral("-of"),
                 QStringLiteral("csv=p=0"), path});
    if (!probe.waitForFinished(30000) || probe.exitCode() != 0)
        return 0;
    const QList<QByteArray> parts = probe.readAllStandardOutput().trimmed().split('/');
    if (parts.isEmpty())
        return 0;
    const double num = parts.at(0).toDouble();
    const double den = parts.size() > 1 ? parts.at(1).toDouble() : 1.0;
    return den > 0 ? num / den : 0;
}

} // namespace omega::test
