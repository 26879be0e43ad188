// The docker backend with real Podman (CONTAINERS_CONF: packaging/container/containers.conf,
// applied by the agent) and the real render image: warm containers, untrusted scenes that must
// be stopped and reported clearly, cancel, stale containers, cp mode, engine states (with a
// fake `docker`), the CLI and omega doctor. After every test no container of this process is
// left, and no process runs in any container the test used.
#include "DependencyAgent.h"
#include "DockerAgent.h"
#include "Logger.h"
#include "ManimExecutionAgent.h"
#include "Paths.h"
#include "TestSupport.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QSysInfo>
#include <QTcpServer>
#include <QTest>

#include <cerrno>
#include <unistd.h>

using namespace omega;
using omega::test::CliRun;
using omega::test::IsolatedEnvironment;

namespace {

struct RenderRun {
    bool finished = false;
    QString jobId;
    RenderResult result;

    const ErrorReport& error() const { return result.result.error; }
    QByteArray describe() const {
        const ErrorReport& e = result.result.error;
        return QStringLiteral("status %1, category %2: %3\nhint: %4\n%5")
            .arg(statusName(result.result.status), categoryName(e.category), e.message, e.hint,
                 e.detail.right(3000))
            .toUtf8();
    }
};

QString randomToken() {
    return QString::number(QRandomGenerator::global()->generate64(), 36);
}

QProcessEnvironment podmanEnvironment() {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    if (!env.contains(QStringLiteral("CONTAINERS_CONF")))
        env.insert(QStringLiteral("CONTAINERS_CONF"), DockerAgent::podmanConfigPath());
    return env;
}

struct PodmanRun {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

// A test may wait for podman: it is not the agent.
PodmanRun podman(const QStringList& args, int timeoutMs = 60000) {
    PodmanRun run;
    QProcess process;
    process.setProcessEnvironment(podmanEnvironment());
    process.setStandardInputFile(QProcess::nullDevice());
    process.start(QStringLiteral("podman"), args);
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished(5000);
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

// Containers labelled with this test process as their owner.
QStringList ourContainers() {
    const PodmanRun run = podman({QStringLiteral("ps"), QStringLiteral("-a"), QStringLiteral("-q"),
                                  QStringLiteral("--filter"),
                                  QStringLiteral("label=io.omega-studio.owner-pid=%1")
                                      .arg(QCoreApplication::applicationPid())});
    return QString::fromUtf8(run.out).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

// Command lines of the processes in `container` besides PID 1 and the lister itself; -1 when
// the container cannot be asked (gone).
int processesIn(const QString& container, QStringList* commands = nullptr) {
    const PodmanRun run =
        podman({QStringLiteral("exec"), container, QStringLiteral("python"), QStringLiteral("-c"),
                QStringLiteral(
                    "import os\n"
                    "for p in os.listdir('/proc'):\n"
                    "    if p.isdigit() and int(p) not in (1, os.getpid()):\n"
                    "        try:\n"
                    "            c = open(f'/proc/{p}/cmdline', 'rb').read()\n"
                    "        except OSError:\n"
                    "            continue\n"
                    "        print(c.replace(b'\\0', b' ').decode(errors='replace')[:200])\n")});
    if (run.exitCode != 0)
        return -1;
    const QStringList lines =
        QString::fromUtf8(run.out).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    if (commands)
        *commands = lines;
    return int(lines.size());
}

} // namespace

class TestDocker : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<IsolatedEnvironment> env_;
    QStringList filesToRemove_;
    QStringList containersUsed_;
    QString skipReason_;

    QString untrusted(const QString& name, const QHash<QString, QString>& values = {}) const {
        QString text = QString::fromUtf8(
            test::readFile(QStringLiteral(OMEGA_FIXTURES_DIR "/sandbox/") + name));
        for (auto it = values.begin(); it != values.end(); ++it)
            text.replace(QLatin1Char('@') + it.key() + QLatin1Char('@'), it.value());
        const QString path = QDir(env_->workDir()).filePath(name);
        return test::writeFile(path, text.toUtf8()) ? path : QString();
    }

    static RenderOptions dockerOptions(const QString& script) {
        RenderOptions options;
        options.scriptPath = script;
        options.quality = Quality::Low;
        options.timeoutSec = 180;
        options.backend = RenderBackend::Docker;
        options.engine = ContainerEngineChoice::Podman;
        return options;
    }

    // The job folder on the host: in the container's work root.
    static QString jobDir(const RenderRun& run) {
        return QDir(paths::dataDir())
            .filePath(QStringLiteral("containers/%1/%2").arg(run.result.container, run.jobId));
    }

    RenderRun render(ManimExecutionAgent& agent, const RenderOptions& options,
                     int timeoutMs = 240000) {
        RenderRun run;
        QObject::connect(&agent, &ManimExecutionAgent::finished, &agent,
                         [&run](const RenderResult& result) {
                             run.finished = true;
                             run.result = result;
                         });
        run.jobId = agent.render(options);
        if (!run.jobId.isEmpty()) [[maybe_unused]]
            const bool done = QTest::qWaitFor([&run] { return run.finished; }, timeoutMs);
        agent.disconnect(&agent);
        if (!run.result.container.isEmpty())
            containersUsed_ << run.result.container;
        return run;
    }

    // Nothing of the job runs in its container any more (the container may be gone already).
    static void verifyNothingRunsIn(const QString& container) {
        QVERIFY(!container.isEmpty());
        QStringList commands;
        QTRY_VERIFY2_WITH_TIMEOUT(processesIn(container, &commands) <= 0,
                                  qPrintable(commands.join(QLatin1Char('\n'))), 30000);
    }

    CliRun omega(const QStringList& args, const QProcessEnvironment& env,
                 int timeoutMs = 240000) const {
        return test::runOmega(args, env, timeoutMs, env_->workDir());
    }

private Q_SLOTS:
    void initTestCase() {
        if (QStandardPaths::findExecutable(QStringLiteral("podman")).isEmpty())
            QSKIP("podman is not installed (scripts/test.sh installs it)");
        const PodmanRun image = podman(
            {QStringLiteral("image"), QStringLiteral("exists"), DockerAgent::localImageName()});
        if (image.exitCode != 0)
            QSKIP("the render image is missing: run packaging/container/build-image.sh");
        QVERIFY2(QFileInfo(test::omegaBinary()).isExecutable(), qPrintable(test::omegaBinary()));
        QVERIFY2(!DockerAgent::podmanConfigPath().isEmpty(), "containers.conf not found");
    }
    void init() {
        env_ = std::make_unique<IsolatedEnvironment>();
        QVERIFY(env_->isValid());
        containersUsed_.clear();
    }
    void cleanup() {
        for (const QString& file : std::as_const(filesToRemove_))
            QFile::remove(file);
        filesToRemove_.clear();
        // Every agent of the test is gone: so are its containers and their work folders.
        QTRY_VERIFY2_WITH_TIMEOUT(ourContainers().isEmpty(),
                                  qPrintable(ourContainers().join(QLatin1Char(' '))), 60000);
        if (env_)
            QVERIFY(
                !QFileInfo::exists(QDir(env_->dataDir()).filePath(QStringLiteral("containers"))) ||
                QDir(QDir(env_->dataDir()).filePath(QStringLiteral("containers")))
                    .isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot));
        env_.reset();
    }

    // ---- normal renders ----------------------------------------------------------------

    void warmContainerIsReused() {
        ManimExecutionAgent agent;
        const RenderOptions options =
            dockerOptions(test::copyFixture(QStringLiteral("text_scene.py"), env_->workDir()));
        const RenderRun first = render(agent, options);
        QVERIFY2(first.result.result.ok(), first.describe().constData());
        QCOMPARE(backendName(first.result.backend), QStringLiteral("docker"));
        QVERIFY(first.result.container.startsWith(QLatin1String("omega-render-")));
        QVERIFY(!first.result.containerReused);
        QCOMPARE(first.result.outputs.size(), 1);
        const SceneOutput& output = first.result.outputs.first();
        // On the host, in the persistent media folder, where the pure path function says.
        QCOMPARE(output.mediaPath,
                 expectedOutputPath(options, first.result.mediaDir, QStringLiteral("text_scene"),
                                    QStringLiteral("Greeting"), first.result.manimVersion));
        QVERIFY(output.mediaPath.startsWith(paths::mediaRootDir()));
        QCOMPARE(test::videoSize(output.path), QSize(854, 480));
        QVERIFY(!QFileInfo::exists(jobDir(first)));

        const RenderRun second = render(agent, options);
        QVERIFY2(second.result.result.ok(), second.describe().constData());
        QCOMPARE(second.result.container, first.result.container);
        QVERIFY(second.result.containerReused);
        // Warm: no engine check, no image lookup, no container start.
        QVERIFY2(second.result.containerWaitMs < first.result.containerWaitMs,
                 qPrintable(QStringLiteral("%1 ms then %2 ms")
                                .arg(first.result.containerWaitMs)
                                .arg(second.result.containerWaitMs)));
        QVERIFY(test::isNonEmptyFile(second.result.outputs.first().path));
        verifyNothingRunsIn(first.result.container);
        // Its restrictions, as the engine reports them.
        const PodmanRun inspect = podman(
            {QStringLiteral("inspect"), first.result.container, QStringLiteral("--format"),
             QStringLiteral("{{.HostConfig.NetworkMode}} {{.HostConfig.ReadonlyRootfs}} "
                            "{{.Config.User}} {{.HostConfig.PidsLimit}} {{.HostConfig.Memory}} "
                            "{{.HostConfig.CapDrop}}")});
        QCOMPARE(inspect.exitCode, 0);
        const QString facts = QString::fromUtf8(inspect.out);
        QVERIFY2(facts.startsWith(QLatin1String("none true 1000:1000 512 ")), qPrintable(facts));
        QVERIFY2(facts.contains(QString::number((4096LL + 512) * 1024 * 1024)), qPrintable(facts));
    }

    void idleContainerIsRemoved() {
        ManimExecutionAgent agent;
        RenderOptions options =
            dockerOptions(test::copyFixture(QStringLiteral("static_scene.py"), env_->workDir()));
        options.containerIdleSec = 2;
        const RenderRun run = render(agent, options);
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        QCOMPARE(ourContainers().size(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(ourContainers().isEmpty(), 30000);
        QVERIFY(agent.dockerAgent()->containerNames().isEmpty());
    }

    void coldRendersUseFreshContainers() {
        ManimExecutionAgent agent;
        RenderOptions options =
            dockerOptions(test::copyFixture(QStringLiteral("static_scene.py"), env_->workDir()));
        options.reuseContainer = false;
        const RenderRun first = render(agent, options);
        QVERIFY2(first.result.result.ok(), first.describe().constData());
        const RenderRun second = render(agent, options);
        QVERIFY2(second.result.result.ok(), second.describe().constData());
        QVERIFY(first.result.container != second.result.container);
        QVERIFY(!second.result.containerReused);
    }

    // ---- untrusted scenes --------------------------------------------------------------

    void networkIsUnreachable() {
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        int connections = 0;
        connect(&server, &QTcpServer::newConnection, this, [&connections] { ++connections; });
        ManimExecutionAgent agent;
        const RenderRun run =
            render(agent, dockerOptions(untrusted(
                              QStringLiteral("network_scene.py"),
                              {{QStringLiteral("PORT"), QString::number(server.serverPort())}})));
        QVERIFY(run.finished);
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(run.error().category, ErrorCategory::Sandbox);
        QVERIFY2(run.error().message.contains(QLatin1String("network")),
                 run.describe().constData());
        QCOMPARE(run.error().scriptLine, 9);
        // The user's file, never the container's copy, in what the user reads.
        QVERIFY2(!run.describe().contains("/omega/work"), run.describe().constData());
        QTest::qWait(100);
        QCOMPARE(connections, 0);
        verifyNothingRunsIn(run.result.container);
    }

    void noSecretsInTheEnvironmentOrHome() {
        const QByteArray key = "sk-omega-docker-" + randomToken().toLatin1();
        const QByteArray canary = "canary-" + randomToken().toLatin1();
        qputenv("OPENAI_API_KEY", key);
        qputenv("OMEGA_CANARY", canary);
        const QString secret =
            QDir::home().filePath(QStringLiteral(".omega-secret-test-") + randomToken());
        const QByteArray secretText = "secret-" + randomToken().toLatin1();
        QVERIFY(test::writeFile(secret, secretText));
        filesToRemove_ << secret;

        ManimExecutionAgent agent;
        agent.setKeepJobFolders(true);
        const RenderRun run = render(
            agent, dockerOptions(untrusted(QStringLiteral("spy_scene.py"),
                                           {{QStringLiteral("SECRET"), secret},
                                            {QStringLiteral("HOST_HOME"), QDir::homePath()}})));
        qunsetenv("OPENAI_API_KEY");
        qunsetenv("OMEGA_CANARY");
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        const QByteArray reportText =
            test::readFile(QDir(jobDir(run)).filePath(QStringLiteral("spy-report.json")));
        const QJsonObject report = QJsonDocument::fromJson(reportText).object();
        QVERIFY2(!report.isEmpty(), reportText.constData());
        QCOMPARE(report.value(QLatin1String("hostname")).toString(),
                 QStringLiteral("omega-render"));
        QCOMPARE(report.value(QLatin1String("uid")).toInt(),
                 ::geteuid() == 0 ? 1000 : int(::getuid()));
        const QJsonObject environment = report.value(QLatin1String("environ")).toObject();
        QVERIFY(!environment.contains(QLatin1String("OPENAI_API_KEY")));
        QVERIFY(!environment.contains(QLatin1String("OMEGA_CANARY")));
        QVERIFY(!environment.contains(QLatin1String("DBUS_SESSION_BUS_ADDRESS")));
        QCOMPARE(environment.value(QLatin1String("HOME")).toString(), QStringLiteral("/tmp"));
        QVERIFY(!reportText.contains(key));
        QVERIFY(!reportText.contains(canary));
        QVERIFY(!reportText.contains(secretText));
        QVERIFY(
            !report.value(QLatin1String("secret")).toObject().value(QLatin1String("ok")).toBool());
        QVERIFY(
            !report.value(QLatin1String("shadow")).toObject().value(QLatin1String("ok")).toBool());
        verifyNothingRunsIn(run.result.container);
    }

    void writesOutsideTheJobFolderStayInside() {
        const QString tmpTarget = QStringLiteral("/tmp/omega-escape-") + randomToken();
        const QString homeTarget =
            QDir::home().filePath(QStringLiteral("omega-escape-") + randomToken());
        filesToRemove_ << tmpTarget << homeTarget;
        ManimExecutionAgent agent;
        const RenderRun run =
            render(agent, dockerOptions(untrusted(QStringLiteral("escape_scene.py"),
                                                  {{QStringLiteral("TMP_TARGET"), tmpTarget},
                                                   {QStringLiteral("HOME_TARGET"), homeTarget}})));
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        // /tmp is the container's own tmpfs; the home folder does not exist in the image.
        QVERIFY(!QFileInfo::exists(tmpTarget));
        QVERIFY(!QFileInfo::exists(homeTarget));
        QCOMPARE_CATEGORY(run.error().category, ErrorCategory::Sandbox);
        QCOMPARE(run.error().scriptLine, 10);
        verifyNothingRunsIn(run.result.container);
    }

    void sixGibibytesAreRefused() {
        ManimExecutionAgent agent;
        agent.setKeepJobFolders(true);
        const RenderRun run =
            render(agent, dockerOptions(untrusted(QStringLiteral("memory_scene.py"))));
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(run.error().category, ErrorCategory::Killed);
        QVERIFY2(run.error().message.contains(QLatin1String("memory limit (4096 MiB)")),
                 run.describe().constData());
        const QJsonObject report =
            QJsonDocument::fromJson(
                test::readFile(QDir(jobDir(run)).filePath(QStringLiteral("memory-report.json"))))
                .object();
        const int allocated = report.value(QLatin1String("allocated_mib")).toInt();
        QVERIFY2(allocated >= 1024 && allocated < 4096, QByteArray::number(allocated));
        verifyNothingRunsIn(run.result.container);
    }

    void forkBombIsLimited() {
        ManimExecutionAgent agent;
        agent.setKeepJobFolders(true);
        const RenderOptions options = dockerOptions(untrusted(QStringLiteral("fork_scene.py")));
        QElapsedTimer clock;
        clock.start();
        const RenderRun run = render(agent, options);
        QVERIFY(run.finished);
        QVERIFY(clock.elapsed() < 120000);
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(run.error().category, ErrorCategory::Sandbox);
        QVERIFY2(run.error().message.contains(QLatin1String("processes")),
                 run.describe().constData());
        const QJsonObject report =
            QJsonDocument::fromJson(
                test::readFile(QDir(jobDir(run)).filePath(QStringLiteral("fork-report.json"))))
                .object();
        const int started = report.value(QLatin1String("started")).toInt(-1);
        QVERIFY2(started >= 0 && started < options.maxProcesses, QByteArray::number(started));
        // Every child (each meant to live two minutes) is gone with the job.
        verifyNothingRunsIn(run.result.container);
    }

    void endlessSceneTimesOut() {
        ManimExecutionAgent agent;
        agent.setKillGraceMs(2000);
        RenderOptions options =
            dockerOptions(test::copyFixture(QStringLiteral("forever_scene.py"), env_->workDir()));
        options.timeoutSec = 8; // the container start is not part of it, the render is
        QElapsedTimer clock;
        clock.start();
        const RenderRun run = render(agent, options, 120000);
        QVERIFY(run.finished);
        QVERIFY2(clock.elapsed() >= 8000, run.describe().constData());
        QVERIFY(clock.elapsed() < 90000);
        QCOMPARE_CATEGORY(run.error().category, ErrorCategory::Timeout);
        verifyNothingRunsIn(run.result.container);
    }

    void cancelKillsTheRenderInTheContainer() {
        ManimExecutionAgent agent;
        agent.setKeepJobFolders(true);
        RenderRun run;
        connect(&agent, &ManimExecutionAgent::finished, this, [&run](const RenderResult& result) {
            run.finished = true;
            run.result = result;
        });
        // Draws for minutes, with a `sleep 300` child.
        run.jobId = agent.render(
            dockerOptions(test::copyFixture(QStringLiteral("long_scene.py"), env_->workDir())));
        QVERIFY(!run.jobId.isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(!agent.dockerAgent()->containerNames().isEmpty(), 60000);
        const QString container = agent.dockerAgent()->containerNames().first();
        const QString started =
            QDir(paths::dataDir())
                .filePath(QStringLiteral("containers/%1/%2/started").arg(container, run.jobId));
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(started), 90000);
        QStringList commands;
        QVERIFY(processesIn(container, &commands) >= 2); // manim and its sleep
        QVERIFY2(commands.join(QLatin1Char('\n')).contains(QLatin1String("sleep 300")),
                 qPrintable(commands.join(QLatin1Char('\n'))));
        agent.cancel();
        QTRY_VERIFY_WITH_TIMEOUT(run.finished, 30000);
        QCOMPARE_CATEGORY(run.error().category, ErrorCategory::Cancelled);
        QCOMPARE(run.result.container, container);
        // Not only the engine client: nothing of the render runs in the container.
        verifyNothingRunsIn(container);
    }

    void sceneNameNeverReachesAShell() {
        const QString marker = QStringLiteral("/tmp/omega-pwned-") + randomToken();
        filesToRemove_ << marker;
        ManimExecutionAgent agent;
        RenderOptions options =
            dockerOptions(test::copyFixture(QStringLiteral("two_scenes.py"), env_->workDir()));
        options.scenes = {QStringLiteral("First; touch %1").arg(marker)};
        const RenderRun run = render(agent, options);
        QCOMPARE_CATEGORY(run.error().category, ErrorCategory::Usage);
        QVERIFY(!QFileInfo::exists(marker));
        const CliRun cli =
            omega({QStringLiteral("render"), options.scriptPath, QStringLiteral("--scene"),
                   QStringLiteral("$(touch %1)").arg(marker), QStringLiteral("--backend"),
                   QStringLiteral("docker"), QStringLiteral("--json")},
                  env_->processEnvironment());
        QCOMPARE(cli.exitCode, 2);
        QVERIFY(!QFileInfo::exists(marker));
    }

    void approvedPackagesAreMountedReadOnly() {
        // What DependencyAgent installed for the profile: importable, and read-only.
        const QString layer = DependencyAgent::layerDir();
        QVERIFY(QDir().mkpath(layer));
        const QByteArray token = randomToken().toLatin1();
        QVERIFY(test::writeFile(QDir(layer).filePath(QStringLiteral("omega_layer_probe.py")),
                                "VALUE = '" + token + "'\n"));
        const QString script = QDir(env_->workDir()).filePath(QStringLiteral("layer_scene.py"));
        QVERIFY(test::writeFile(script, "import json, pathlib, sys\n"
                                        "from manim import *\n"
                                        "import omega_layer_probe\n\n\n"
                                        "class Layer(Scene):\n"
                                        "    def construct(self):\n"
                                        "        try:\n"
                                        "            pathlib.Path(omega_layer_probe.__file__)"
                                        ".write_text('x')\n"
                                        "            writable = True\n"
                                        "        except OSError:\n"
                                        "            writable = False\n"
                                        "        pathlib.Path('layer-report.json').write_text("
                                        "json.dumps({'value': omega_layer_probe.VALUE, "
                                        "'path': omega_layer_probe.__file__, "
                                        "'writable': writable}))\n"
                                        "        self.play(FadeIn(Dot()), run_time=0.2)\n"));
        ManimExecutionAgent agent;
        agent.setKeepJobFolders(true);
        const RenderRun run = render(agent, dockerOptions(script));
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        const QJsonObject report =
            QJsonDocument::fromJson(
                test::readFile(QDir(jobDir(run)).filePath(QStringLiteral("layer-report.json"))))
                .object();
        QCOMPARE(report.value(QLatin1String("value")).toString(), QString::fromLatin1(token));
        QVERIFY(report.value(QLatin1String("path"))
                    .toString()
                    .startsWith(QLatin1String("/omega/site/")));
        QVERIFY(!report.value(QLatin1String("writable")).toBool(true));
        QCOMPARE(test::readFile(QDir(layer).filePath(QStringLiteral("omega_layer_probe.py"))),
                 "VALUE = '" + token + "'\n");
    }

    // ---- the container's life ----------------------------------------------------------

    void staleContainerIsRemovedAtStart() {
        // A container as a crashed Omega would leave it: owner pid gone, this host.
        qint64 deadPid = 999999;
        while (::kill(static_cast<pid_t>(deadPid), 0) == 0 || errno == EPERM)
            --deadPid;
        const QString name =
            QStringLiteral("omega-render-%1-stale-%2").arg(deadPid).arg(randomToken());
        const PodmanRun created = podman(
            {QStringLiteral("run"), QStringLiteral("-d"), QStringLiteral("--pull"),
             QStringLiteral("never"), QStringLiteral("--name"), name, QStringLiteral("--network"),
             QStringLiteral("none"), QStringLiteral("--label"),
             QStringLiteral("io.omega-studio.owner-pid=%1").arg(deadPid), QStringLiteral("--label"),
             QStringLiteral("io.omega-studio.owner-host=%1").arg(QSysInfo::machineHostName()),
             QStringLiteral("--entrypoint"), QStringLiteral("python"),
             DockerAgent::localImageName(), QStringLiteral("-c"),
             QStringLiteral("import time; time.sleep(600)")});
        QVERIFY2(created.exitCode == 0, created.err.constData());
        const auto exists = [&name] {
            return podman({QStringLiteral("container"), QStringLiteral("exists"), name}).exitCode ==
                   0;
        };
        QVERIFY(exists());
        ManimExecutionAgent agent;
        const RenderRun run = render(
            agent,
            dockerOptions(test::copyFixture(QStringLiteral("static_scene.py"), env_->workDir())));
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        const bool gone = QTest::qWaitFor([&exists] { return !exists(); }, 30000);
        if (!gone) // never leave it behind, even when the test fails
            podman({QStringLiteral("rm"), QStringLiteral("-f"), name});
        QVERIFY2(gone, qPrintable(name));
    }

    void copyModeWorks() {
        QStringList log; // shown when the test fails
        Logger::instance().setMinimumLevel(LogLevel::Debug);
        connect(&Logger::instance(), &Logger::recordAdded, this,
                [&log](const LogRecord& record) { log << record.message.left(300); });
        qputenv("OMEGA_CONTAINER_COPY", "1");
        ManimExecutionAgent agent;
        agent.setKeepJobFolders(true);
        const RenderRun run = render(agent, dockerOptions(test::copyFixture(
                                                QStringLiteral("text_scene.py"), env_->workDir())));
        const RenderRun second = render(
            agent,
            dockerOptions(test::copyFixture(QStringLiteral("text_scene.py"), env_->workDir())));
        qunsetenv("OMEGA_CONTAINER_COPY");
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        QVERIFY2(second.result.result.ok(), second.describe().constData());
        Logger::instance().disconnect(this);
        QVERIFY2(second.result.container == run.result.container,
                 qPrintable(log.join(QLatin1Char('\n')).right(5000)));
        QCOMPARE(test::videoSize(run.result.outputs.first().path), QSize(854, 480));
        QVERIFY(run.result.outputs.first().path.startsWith(paths::mediaRootDir()));
        // No bind mount: the job went in and out with `cp`.
        const PodmanRun inspect =
            podman({QStringLiteral("inspect"), run.result.container, QStringLiteral("--format"),
                    QStringLiteral("{{range .Mounts}}{{.Type}}:{{.Destination}} {{end}}")});
        QCOMPARE(inspect.exitCode, 0);
        QVERIFY2(!inspect.out.contains("bind"), inspect.out.constData());
        QVERIFY2(inspect.out.contains("volume:/omega/work"), inspect.out.constData());
        QVERIFY(!QFileInfo::exists(
            QDir(paths::dataDir()).filePath(QStringLiteral("containers/") + run.result.container)));
        // Nothing of the jobs stays in the container's volume.
        QTRY_COMPARE_WITH_TIMEOUT(
            podman({QStringLiteral("exec"), run.result.container, QStringLiteral("python"),
                    QStringLiteral("-c"),
                    QStringLiteral("import os; print(os.listdir('/omega/work'))")})
                .out.trimmed(),
            QByteArray("[]"), 30000);
        // The job folder came back (kept for debugging here).
        QVERIFY(QFileInfo::exists(
            QDir(paths::jobsDir()).filePath(run.jobId + QStringLiteral("/text_scene.py"))));
        verifyNothingRunsIn(run.result.container);
    }

    // ---- engine states -----------------------------------------------------------------

    void engineStatesWithAFakeDocker_data() {
        QTest::addColumn<QByteArray>("script");
        QTest::addColumn<QString>("state");
        QTest::addColumn<QString>("says");
        QTest::newRow("daemon down")
            << QByteArray("#!/bin/sh\necho 'Cannot connect to the Docker daemon at "
                          "unix:///var/run/docker.sock. Is the docker daemon running?' >&2\n"
                          "exit 1\n")
            << QStringLiteral("daemon-down") << QStringLiteral("not running");
        QTest::newRow("permission denied")
            << QByteArray("#!/bin/sh\necho 'permission denied while trying to connect to the "
                          "Docker daemon socket at unix:///var/run/docker.sock: Get "
                          "\"http://%2Fvar%2Frun%2Fdocker.sock/v1.50/info\": dial unix "
                          "/var/run/docker.sock: connect: permission denied' >&2\nexit 1\n")
            << QStringLiteral("permission-denied") << QStringLiteral("may not use its daemon");
        QTest::newRow("not installed")
            << QByteArray() << QStringLiteral("not-installed") << QStringLiteral("not installed");
    }
    void engineStatesWithAFakeDocker() {
        QFETCH(QByteArray, script);
        QFETCH(QString, state);
        QFETCH(QString, says);
        const QString bin = QDir(env_->workDir()).filePath(QStringLiteral("bin"));
        QVERIFY(QDir().mkpath(bin));
        if (!script.isEmpty()) {
            const QString fake = QDir(bin).filePath(QStringLiteral("docker"));
            QVERIFY(test::writeFile(fake, script));
            QFile::setPermissions(fake, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner |
                                            QFile::ExeGroup | QFile::ExeOther | QFile::ReadOther);
        }
        // Only the fake on PATH: no real docker, no podman.
        const QByteArray oldPath = qgetenv("PATH");
        qputenv("PATH", bin.toUtf8());
        DockerAgent docker;
        docker.setEngineChoice(ContainerEngineChoice::Docker);
        container::EngineStatus status;
        bool answered = false;
        QElapsedTimer clock;
        clock.start();
        docker.detectEngine(this, [&](const container::EngineStatus& s) {
            status = s;
            answered = true;
        });
        QVERIFY(!answered); // never inside the call
        QTRY_VERIFY_WITH_TIMEOUT(answered, 30000);
        QCOMPARE(container::engineStateName(status.state), state);
        QVERIFY2(status.message.contains(says), qPrintable(status.message));
        QVERIFY(!status.hint.isEmpty());

        // The render says so, as an environment problem (nothing sent to the AI).
        ManimExecutionAgent agent;
        RenderOptions options =
            dockerOptions(test::copyFixture(QStringLiteral("static_scene.py"), env_->workDir()));
        options.engine = ContainerEngineChoice::Docker;
        const RenderRun run = render(agent, options, 60000);
        // And the command line, with its exit code for environment problems.
        QProcessEnvironment cliEnv = env_->processEnvironment();
        cliEnv.insert(QStringLiteral("PATH"), bin);
        const CliRun cli =
            omega({QStringLiteral("render"), options.scriptPath, QStringLiteral("--backend"),
                   QStringLiteral("docker"), QStringLiteral("--engine"), QStringLiteral("docker"),
                   QStringLiteral("--json")},
                  cliEnv, 60000);
        const CliRun doctor = omega({QStringLiteral("doctor"), QStringLiteral("--json"),
                                     QStringLiteral("--engine"), QStringLiteral("docker")},
                                    cliEnv, 120000);
        qputenv("PATH", oldPath);
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(run.error().category, ErrorCategory::Environment);
        QVERIFY2(run.error().message.contains(says), run.describe().constData());
        QVERIFY(!run.error().hint.isEmpty());
        QCOMPARE(cli.exitCode, 3);
        QCOMPARE(cli.errorCategory(), QStringLiteral("environment"));
        QJsonObject check;
        for (const QJsonValue& value : doctor.json().value(QLatin1String("checks")).toArray()) {
            if (value.toObject().value(QLatin1String("name")).toString() == QLatin1String("docker"))
                check = value.toObject();
        }
        QVERIFY2(!check.isEmpty(), doctor.describe().constData());
        QVERIFY(!check.value(QLatin1String("ok")).toBool());
        QVERIFY2(check.value(QLatin1String("detail")).toString().contains(says),
                 doctor.describe().constData());
        QVERIFY(!doctor.json()
                     .value(QLatin1String("backends"))
                     .toObject()
                     .value(QLatin1String("docker"))
                     .toBool());
    }

    void autoFallsBackToPodman() {
        // Here `docker` has no daemon; auto must find podman and say so.
        DockerAgent docker;
        container::EngineStatus status;
        bool answered = false;
        docker.detectEngine(this, [&](const container::EngineStatus& s) {
            status = s;
            answered = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(answered, 60000);
        QVERIFY2(status.ready(), qPrintable(status.message));
        QCOMPARE(container::engineKindName(status.kind), QStringLiteral("podman"));
        // Why docker was passed over.
        QVERIFY2(status.message.contains(QLatin1String("; docker: ")), qPrintable(status.message));
    }

    void missingImageIsExplainedQuickly() {
        DockerAgent docker;
        docker.setEngineChoice(ContainerEngineChoice::Podman);
        docker.setPullTimeoutMs(20000); // no registry here: a clear message, soon
        QStringList progress;
        connect(&docker, &DockerAgent::progress, this,
                [&progress](const QString& line) { progress << line; });
        container::ContainerProfile profile;
        profile.image = QStringLiteral("omega-test/not-here:%1").arg(randomToken());
        ContainerAcquisition got;
        bool answered = false;
        QElapsedTimer clock;
        clock.start();
        docker.acquire(profile, this, [&](const ContainerAcquisition& a) {
            got = a;
            answered = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(answered, 60000);
        QVERIFY(clock.elapsed() < 45000);
        QVERIFY(!got.ok());
        QCOMPARE_CATEGORY(got.error.category, ErrorCategory::Environment);
        QVERIFY2(got.error.message.contains(profile.image), qPrintable(got.error.message));
        QVERIFY2(got.error.message.contains(QLatin1String("registry")),
                 qPrintable(got.error.message));
        QVERIFY(got.error.hint.contains(QLatin1String("build-image.sh")));
        QVERIFY(progress.join(QLatin1Char('\n')).contains(QLatin1String("pulling")));
    }

    // ---- the command line --------------------------------------------------------------

    void cliRendersInAContainer() {
        const QString script = test::copyFixture(QStringLiteral("text_scene.py"), env_->workDir());
        CliRun run = omega(
            {QStringLiteral("render"), script, QStringLiteral("-q"), QStringLiteral("l"),
             QStringLiteral("--backend"), QStringLiteral("docker"), QStringLiteral("--engine"),
             QStringLiteral("podman"), QStringLiteral("--memory-limit"), QStringLiteral("3072"),
             QStringLiteral("--cpus"), QStringLiteral("1"), QStringLiteral("--json")},
            env_->processEnvironment());
        QCOMPARE(run.exitCode, 0);
        const QJsonObject json = run.json();
        QCOMPARE(json.value(QLatin1String("backend")).toString(), QStringLiteral("docker"));
        QVERIFY(json.value(QLatin1String("container"))
                    .toObject()
                    .value(QLatin1String("name"))
                    .toString()
                    .startsWith(QLatin1String("omega-render-")));
        QVERIFY(!run.err.contains("warning"));
        // Usage errors of the container options.
        run = omega({QStringLiteral("render"), script, QStringLiteral("--engine"),
                     QStringLiteral("lxc"), QStringLiteral("--json")},
                    env_->processEnvironment());
        QCOMPARE(run.exitCode, 2);
        run = omega({QStringLiteral("render"), script, QStringLiteral("--container-reuse"),
                     QStringLiteral("maybe"), QStringLiteral("--json")},
                    env_->processEnvironment());
        QCOMPARE(run.exitCode, 2);
        // The process that made the containers is gone, and so are they.
        const PodmanRun left = podman({QStringLiteral("ps"), QStringLiteral("-a"),
                                       QStringLiteral("--format"), QStringLiteral("{{.Names}}")});
        QTRY_VERIFY_WITH_TIMEOUT(!podman({QStringLiteral("ps"), QStringLiteral("-a"),
                                          QStringLiteral("--format"), QStringLiteral("{{.Names}}")})
                                      .out.contains(json.value(QLatin1String("container"))
                                                        .toObject()
                                                        .value(QLatin1String("name"))
                                                        .toString()
                                                        .toUtf8()),
                                 30000);
        Q_UNUSED(left);
    }

    void doctorReportsTheDockerBackend() {
        const CliRun run = omega({QStringLiteral("doctor"), QStringLiteral("--json")},
                                 env_->processEnvironment(), 120000);
        QJsonObject docker;
        QJsonObject image;
        for (const QJsonValue& value : run.json().value(QLatin1String("checks")).toArray()) {
            const QString name = value.toObject().value(QLatin1String("name")).toString();
            if (name == QLatin1String("docker"))
                docker = value.toObject();
            if (name == QLatin1String("docker-image"))
                image = value.toObject();
        }
        QVERIFY2(docker.value(QLatin1String("ok")).toBool(), run.describe().constData());
        QVERIFY(docker.value(QLatin1String("detail")).toString().contains(QLatin1String("podman")));
        QVERIFY(!docker.value(QLatin1String("required")).toBool());
        QVERIFY2(image.value(QLatin1String("ok")).toBool(), run.describe().constData());
        QCOMPARE(image.value(QLatin1String("detail")).toString(), DockerAgent::localImageName());
        const QJsonObject backends = run.json().value(QLatin1String("backends")).toObject();
        QVERIFY(backends.value(QLatin1String("docker")).toBool());
        QVERIFY(backends.value(QLatin1String("local")).toBool());
    }
};

QTEST_GUILESS_MAIN(TestDocker)
#include "tst_docker.moc"
