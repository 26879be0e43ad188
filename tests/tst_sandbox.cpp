// The sandbox backend: the bwrap command line (pure), how sandbox failures are classified
// (pure), and real renders of untrusted scenes in real bubblewrap, each of which must be
// stopped, reported clearly, and leave nothing running.
#include "ErrorClassifier.h"
#include "ManimExecutionAgent.h"
#include "Paths.h"
#include "SandboxCommand.h"
#include "TestSupport.h"

#include <QDirIterator>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace omega;
using omega::test::CliRun;
using omega::test::IsolatedEnvironment;

namespace {

struct RenderRun {
    bool finished = false;
    QString jobId;
    qint64 pid = 0; // bwrap's, while it ran
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

// Processes whose command line mentions `marker` (a job id: bwrap's arguments and the render's
// script path both contain it), found through /proc.
int processesMentioning(const QString& marker) {
    int count = 0;
    const QByteArray needle = marker.toUtf8();
    const QStringList pids = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString& pid : pids) {
        bool numeric = false;
        pid.toLongLong(&numeric);
        if (!numeric || pid.toLongLong() == ::getpid())
            continue;
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
        if (cmdline.open(QIODevice::ReadOnly) && cmdline.readAll().contains(needle))
            ++count;
    }
    return count;
}

// Every process below `pid` (through /proc/<pid>/stat's parent field).
QList<qint64> descendantsOf(qint64 pid) {
    QHash<qint64, qint64> parents;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString& entry : entries) {
        bool numeric = false;
        const qint64 child = entry.toLongLong(&numeric);
        if (!numeric)
            continue;
        const QByteArray stat = test::readFile(QStringLiteral("/proc/%1/stat").arg(child));
        const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 1)
            parents.insert(child, fields.at(1).toLongLong());
    }
    QList<qint64> found;
    QList<qint64> queue{pid};
    while (!queue.isEmpty()) {
        const qint64 parent = queue.takeFirst();
        for (auto it = parents.begin(); it != parents.end(); ++it) {
            if (it.value() == parent && !found.contains(it.key())) {
                found << it.key();
                queue << it.key();
            }
        }
    }
    return found;
}

QStringList argsAfter(const QStringList& args, const QString& option) {
    QStringList values;
    for (qsizetype i = 0; i + 1 < args.size(); ++i) {
        if (args.at(i) == option)
            values << args.at(i + 1);
    }
    return values;
}

// The index of the pair `option value` in `args`, -1 when absent.
qsizetype pairIndex(const QStringList& args, const QString& option, const QString& value) {
    for (qsizetype i = 0; i + 1 < args.size(); ++i) {
        if (args.at(i) == option && args.at(i + 1) == value)
            return i;
    }
    return -1;
}

SandboxHost fakeHost(bool root) {
    SandboxHost host;
    host.bwrap = QStringLiteral("/usr/bin/bwrap");
    host.prlimit = QStringLiteral("/usr/bin/prlimit");
    host.setpriv = QStringLiteral("/usr/bin/setpriv");
    host.sandboxUid = root ? 65534 : -1;
    host.maskedPaths = {QStringLiteral("/root"), QStringLiteral("/home"),
                        QStringLiteral("/home/ada"), QStringLiteral("/run")};
    // The last one would bring the whole home folder back: never bound.
    host.readOnlyPaths = {QStringLiteral("/home/ada/omega/.venv"), QStringLiteral("/usr"),
                          QStringLiteral("/home/ada/omega/resources"), QStringLiteral("/home/ada")};
    return host;
}

QProcessEnvironment leakyEnvironment() {
    QProcessEnvironment env;
    env.insert(QStringLiteral("PATH"), QStringLiteral("/home/ada/bin:/usr/bin:/bin"));
    env.insert(QStringLiteral("LANG"), QStringLiteral("C.UTF-8"));
    env.insert(QStringLiteral("LC_ALL"), QStringLiteral("C.UTF-8"));
    env.insert(QStringLiteral("HOME"), QStringLiteral("/home/ada"));
    env.insert(QStringLiteral("OPENAI_API_KEY"), QStringLiteral("sk-test-leak"));
    env.insert(QStringLiteral("PYTHON_TOKEN"), QStringLiteral("tok-leak"));
    env.insert(QStringLiteral("GITHUB_TOKEN"), QStringLiteral("ghp-leak"));
    env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"),
               QStringLiteral("unix:path=/run/user/1000/bus"));
    env.insert(QStringLiteral("DISPLAY"), QStringLiteral(":0"));
    env.insert(QStringLiteral("SSH_AUTH_SOCK"), QStringLiteral("/run/user/1000/ssh"));
    env.insert(QStringLiteral("PYTHONPATH"), QStringLiteral("/home/ada/.local/share/layer"));
    return env;
}

} // namespace

class TestSandbox : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<IsolatedEnvironment> env_;
    QStringList filesToRemove_;

    // The asynchronous probe, waited for (tests may spin the event loop).
    static SandboxAvailability sandboxAvailability() {
        SandboxAvailability result;
        bool answered = false;
        QObject context;
        probeSandbox(&context, [&](const SandboxAvailability& a) {
            result = a;
            answered = true;
        });
        QElapsedTimer clock;
        clock.start();
        while (!answered && clock.elapsed() < 15000)
            QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        return result;
    }
    static bool sandboxUsable() { return sandboxAvailability().usable; }

    // A fixture from tests/fixtures/sandbox with its @PLACEHOLDERS@ filled in, in the work folder.
    QString untrusted(const QString& name, const QHash<QString, QString>& values = {}) const {
        QString text = QString::fromUtf8(
            test::readFile(QStringLiteral(OMEGA_FIXTURES_DIR "/sandbox/") + name));
        for (auto it = values.begin(); it != values.end(); ++it)
            text.replace(QLatin1Char('@') + it.key() + QLatin1Char('@'), it.value());
        const QString path = QDir(env_->workDir()).filePath(name);
        return test::writeFile(path, text.toUtf8()) ? path : QString();
    }

    RenderOptions sandboxOptions(const QString& script) const {
        RenderOptions options;
        options.scriptPath = script;
        options.quality = Quality::Low;
        options.timeoutSec = 120;
        options.backend = RenderBackend::Sandbox;
        return options;
    }

    static QString jobDir(const QString& jobId) { return QDir(paths::jobsDir()).filePath(jobId); }

    // Renders, waits for finished(), then checks that nothing of the job is left running.
    static RenderRun render(ManimExecutionAgent& agent, const RenderOptions& options,
                            int timeoutMs = 120000) {
        RenderRun run;
        QObject::connect(&agent, &ManimExecutionAgent::finished, &agent,
                         [&run](const RenderResult& result) {
                             run.finished = true;
                             run.result = result;
                         });
        QObject::connect(&agent, &ManimExecutionAgent::progressChanged, &agent,
                         [&run, &agent](const QString&, const RenderProgress&) {
                             if (run.pid == 0)
                                 run.pid = agent.currentPid();
                         });
        run.jobId = agent.render(options);
        if (run.jobId.isEmpty())
            return run;
        [[maybe_unused]] const bool done = QTest::qWaitFor(
            [&run, &agent] {
                if (run.pid == 0)
                    run.pid = agent.currentPid();
                return run.finished;
            },
            timeoutMs);
        agent.disconnect(&agent);
        return run;
    }

    static void verifyNothingLeft(const RenderRun& run) {
        QVERIFY(!run.jobId.isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(processesMentioning(run.jobId), 0, 10000);
        if (run.pid > 0) {
            QTRY_VERIFY_WITH_TIMEOUT(test::processGone(run.pid), 10000);
            QTRY_VERIFY_WITH_TIMEOUT(test::processGroupGone(run.pid), 10000);
        }
    }

    CliRun omega(const QStringList& args, const QProcessEnvironment& env,
                 int timeoutMs = 120000) const {
        return test::runOmega(args, env, timeoutMs, env_->workDir());
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFileInfo(test::omegaBinary()).isExecutable(), qPrintable(test::omegaBinary()));
        // The integration tests need the real thing: bwrap must work on this machine.
        QVERIFY2(sandboxUsable(), qPrintable(sandboxAvailability().reason));
    }
    void init() {
        env_ = std::make_unique<IsolatedEnvironment>();
        QVERIFY(env_->isValid());
    }
    void cleanup() {
        for (const QString& file : std::as_const(filesToRemove_))
            QFile::remove(file);
        filesToRemove_.clear();
        env_.reset();
    }

    // ---- the command line (pure) -------------------------------------------------------

    void commandIsBwrapWithoutAShell_data() {
        QTest::addColumn<bool>("root");
        QTest::newRow("user") << false;
        QTest::newRow("root") << true;
    }
    void commandIsBwrapWithoutAShell() {
        QFETCH(bool, root);
        const QString python = QStringLiteral("/home/ada/omega/.venv/bin/python");
        const QStringList manimArgs{QStringLiteral("-P"),
                                    QStringLiteral("-m"),
                                    QStringLiteral("manim"),
                                    QStringLiteral("render"),
                                    QStringLiteral("/data/jobs/j1/s.py"),
                                    QStringLiteral("Name; rm -rf ~")};
        SandboxLimits limits;
        limits.maxProcesses = 100;
        const SandboxCommand command = sandboxCommand(
            fakeHost(root), python, manimArgs, QStringLiteral("/home/ada/.local/share/o/jobs/j1"),
            QStringLiteral("/home/ada/.local/share/o/media/s-1"), limits, leakyEnvironment());
        const QStringList& a = command.arguments;
        QCOMPARE(command.program, QStringLiteral("/usr/bin/bwrap"));
        // Never a shell: the program and every argument are passed as they are.
        for (const QString& arg : a) {
            QVERIFY2(arg != QLatin1String("-c") && !arg.endsWith(QLatin1String("/sh")) &&
                         !arg.endsWith(QLatin1String("/bash")),
                     qPrintable(arg));
        }
        // The render's own command comes last, unchanged, after "--".
        QVERIFY(a.size() > manimArgs.size() + 1);
        QCOMPARE(a.mid(a.size() - manimArgs.size()), manimArgs);
        QCOMPARE(a.at(a.size() - manimArgs.size() - 1), python);
        const qsizetype end = a.indexOf(QStringLiteral("--"));
        QVERIFY(end > 0);
        const QStringList options = a.mid(0, end);
        // No network, own PID namespace, killed with its parent, new session, no capabilities.
        QVERIFY(options.contains(QStringLiteral("--unshare-net")) ||
                options.contains(QStringLiteral("--unshare-all")));
        QVERIFY(options.contains(QStringLiteral("--unshare-pid")) ||
                options.contains(QStringLiteral("--unshare-all")));
        QVERIFY(options.contains(QStringLiteral("--die-with-parent")));
        QVERIFY(options.contains(QStringLiteral("--new-session")));
        QVERIFY(pairIndex(options, QStringLiteral("--cap-drop"), QStringLiteral("ALL")) >= 0);
        QVERIFY(!options.contains(QStringLiteral("--share-net")));
        // Read-only system, private /tmp, home folders and /run masked.
        QCOMPARE(options.mid(0, 3), (QStringList{QStringLiteral("--ro-bind"), QStringLiteral("/"),
                                                 QStringLiteral("/")}));
        QVERIFY(pairIndex(options, QStringLiteral("--tmpfs"), QStringLiteral("/tmp")) >= 0);
        for (const char* masked : {"/root", "/home", "/run"}) {
            const qsizetype mask =
                pairIndex(options, QStringLiteral("--tmpfs"), QString::fromLatin1(masked));
            QVERIFY2(mask >= 0, masked);
            QVERIFY2(pairIndex(options, QStringLiteral("--remount-ro"),
                               QString::fromLatin1(masked)) > mask,
                     masked);
        }
        // Only the job and media folders writable, bound after the masks they live under.
        const QStringList writable = argsAfter(options, QStringLiteral("--bind"));
        QCOMPARE(writable, (QStringList{QStringLiteral("/home/ada/.local/share/o/jobs/j1"),
                                        QStringLiteral("/home/ada/.local/share/o/media/s-1")}));
        QVERIFY(pairIndex(options, QStringLiteral("--bind"), writable.first()) >
                pairIndex(options, QStringLiteral("--tmpfs"), QStringLiteral("/home")));
        QVERIFY(argsAfter(options, QStringLiteral("--dev-bind")).isEmpty());
        QCOMPARE(argsAfter(options, QStringLiteral("--chdir")), QStringList{writable.first()});
        // The venv and resources under the masked home come back read-only; /usr needs not.
        const QStringList readOnly = argsAfter(options, QStringLiteral("--ro-bind"));
        QVERIFY(readOnly.contains(QStringLiteral("/home/ada/omega/.venv")));
        QVERIFY(readOnly.contains(QStringLiteral("/home/ada/omega/resources")));
        QVERIFY(!readOnly.contains(QStringLiteral("/usr")));
        QVERIFY(!readOnly.contains(QStringLiteral("/home/ada")));
        QVERIFY(pairIndex(options, QStringLiteral("--tmpfs"), QStringLiteral("/home/ada")) < 0);
        QVERIFY(sandboxWouldExpose(fakeHost(root), QStringLiteral("/home/ada")));
        QVERIFY(sandboxWouldExpose(fakeHost(root), QStringLiteral("/")));
        QVERIFY(!sandboxWouldExpose(fakeHost(root), QStringLiteral("/home/ada/videos")));
        QVERIFY(argsAfter(options, QStringLiteral("--ro-bind-try"))
                    .contains(QStringLiteral("/home/ada/.local/share/layer")));
        // A clean environment: no keys, tokens, D-Bus, display or agent socket; HOME inside.
        QVERIFY(options.contains(QStringLiteral("--clearenv")));
        const QString joined = a.join(QLatin1Char('\n'));
        for (const char* leak : {"sk-test-leak", "tok-leak", "ghp-leak", "OPENAI_API_KEY",
                                 "DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "SSH_AUTH_SOCK"}) {
            QVERIFY2(!joined.contains(QLatin1String(leak)), leak);
            QVERIFY2(!command.environment.contains(QString::fromLatin1(leak)), leak);
        }
        QCOMPARE(command.environment.value(QStringLiteral("HOME")), QStringLiteral("/tmp"));
        QCOMPARE(command.environment.value(QStringLiteral("LANG")), QStringLiteral("C.UTF-8"));
        QVERIFY(command.environment.value(QStringLiteral("PATH"))
                    .startsWith(QLatin1String("/home/ada/omega/.venv/bin:")));
        QVERIFY(pairIndex(options, QStringLiteral("--setenv"), QStringLiteral("HOME")) >
                options.indexOf(QStringLiteral("--clearenv")));
        // The process limit is set inside; with root the render becomes nobody first.
        const QStringList command_ = a.mid(end + 1);
        QVERIFY(command_.contains(QStringLiteral("--nproc=100:100")));
        if (root) {
            QCOMPARE(command_.first(), QStringLiteral("/usr/bin/setpriv"));
            QVERIFY(command_.contains(QStringLiteral("--reuid=65534")));
            QVERIFY(command_.contains(QStringLiteral("--clear-groups")));
            QVERIFY(!options.contains(QStringLiteral("--unshare-all")));
            QVERIFY(!options.contains(QStringLiteral("--unshare-user")));
        } else {
            QCOMPARE(command_.first(), QStringLiteral("/usr/bin/prlimit"));
            QVERIFY(options.contains(QStringLiteral("--disable-userns")));
            QVERIFY(!options.contains(QStringLiteral("--cap-add")));
        }
    }

    void backendNames() {
        QVERIFY(backendFromName(QStringLiteral("sandbox")) == RenderBackend::Sandbox);
        QVERIFY(backendFromName(QStringLiteral("LOCAL")) == RenderBackend::Local);
        QVERIFY(!backendFromName(QStringLiteral("cloud")));
        QCOMPARE(backendName(RenderBackend::Sandbox), QStringLiteral("sandbox"));
        QCOMPARE(backendName(RenderBackend::Auto), QStringLiteral("auto"));
        // The default is Auto, resolved by the agent (asynchronously); bwrap works here, so
        // it resolves to the sandbox.
        QCOMPARE(RenderOptions{}.backend, RenderBackend::Auto);
        QVERIFY2(sandboxUsable(), qPrintable(sandboxAvailability().reason));
        QCOMPARE(RenderOptions{}.memoryLimitMb, 4096);
    }

    void limitsApplyToTheChild() {
        // What the child modifier sets, checked in a forked child (the parent keeps its own).
        SandboxLimits limits;
        limits.memoryLimitMb = 1024;
        limits.cpuTimeLimitSec = 7;
        const pid_t child = ::fork();
        if (child == 0) {
            applySandboxLimits(limits);
            struct rlimit as {};
            struct rlimit cpu {};
            ::getrlimit(RLIMIT_AS, &as);
            ::getrlimit(RLIMIT_CPU, &cpu);
            const bool ok = as.rlim_cur == 1024ULL * 1024 * 1024 && as.rlim_max == as.rlim_cur &&
                            cpu.rlim_cur == 7 && cpu.rlim_max == 12;
            ::_exit(ok ? 0 : 1);
        }
        QVERIFY(child > 0);
        int status = 0;
        QCOMPARE(::waitpid(child, &status, 0), child);
        QVERIFY(WIFEXITED(status));
        QCOMPARE(WEXITSTATUS(status), 0);
    }

    // ---- classification (pure) ---------------------------------------------------------

    void classifiesSandboxOutcomes() {
        ProcessOutcome sandboxed;
        sandboxed.backend = RenderBackend::Sandbox;
        sandboxed.memoryLimitMb = 4096;
        sandboxed.maxProcesses = 512;
        sandboxed.cpuTimeLimitSec = 60;
        sandboxed.hiddenPaths = {QStringLiteral("/root"), QStringLiteral("/home")};
        sandboxed.scriptPathInJob = QStringLiteral("/data/jobs/j/s.py");
        const auto traceback = [](const char* exception) {
            return QStringLiteral("Traceback (most recent call last):\n"
                                  "  File \"/data/jobs/j/s.py\", line 9, in construct\n"
                                  "    x()\n") +
                   QString::fromLatin1(exception) + QLatin1Char('\n');
        };

        ProcessOutcome cpu = sandboxed;
        cpu.crashed = true;
        cpu.signal = 24;
        ErrorReport r = classifyRenderFailure(cpu);
        QCOMPARE_CATEGORY(r.category, ErrorCategory::Timeout);
        QVERIFY2(r.message.contains(QLatin1String("CPU time limit (60 s")), qPrintable(r.message));
        cpu.crashed = false; // through bwrap: exit code 128 + SIGXCPU
        cpu.exitCode = 152;
        QCOMPARE_CATEGORY(classifyRenderFailure(cpu).category, ErrorCategory::Timeout);

        ProcessOutcome memory = sandboxed;
        memory.exitCode = 1;
        memory.stderrText = traceback("MemoryError");
        r = classifyRenderFailure(memory);
        QCOMPARE_CATEGORY(r.category, ErrorCategory::Killed);
        QVERIFY2(r.message.contains(QLatin1String("memory limit (4096 MiB)")),
                 qPrintable(r.message));
        QCOMPARE(r.scriptLine, 9);
        memory.stderrText = QStringLiteral("terminate called after throwing an instance of "
                                           "'std::bad_alloc'\n");
        memory.exitCode = 134;
        r = classifyRenderFailure(memory);
        QCOMPARE_CATEGORY(r.category, ErrorCategory::Killed);
        QVERIFY(r.message.contains(QLatin1String("memory limit (4096 MiB)")));

        ProcessOutcome network = sandboxed;
        network.exitCode = 1;
        network.stderrText = traceback("ConnectionRefusedError: [Errno 111] Connection refused");
        r = classifyRenderFailure(network);
        QCOMPARE_CATEGORY(r.category, ErrorCategory::Sandbox);
        QVERIFY(r.message.contains(QLatin1String("network")));
        network.stderrText =
            traceback("socket.gaierror: [Errno -3] Temporary failure in name resolution");
        QCOMPARE_CATEGORY(classifyRenderFailure(network).category, ErrorCategory::Sandbox);

        ProcessOutcome hidden = sandboxed;
        hidden.exitCode = 1;
        hidden.stderrText = traceback("FileNotFoundError: [Errno 2] No such file or directory: "
                                      "'/root/.ssh/id_rsa'");
        r = classifyRenderFailure(hidden);
        QCOMPARE_CATEGORY(r.category, ErrorCategory::Sandbox);
        QVERIFY(r.message.contains(QLatin1String("/root/.ssh/id_rsa")));
        hidden.stderrText = traceback("FileNotFoundError: [Errno 2] No such file or directory: "
                                      "'/data/jobs/j/logo.png'");
        QCOMPARE_CATEGORY(classifyRenderFailure(hidden).category, ErrorCategory::CodeError);

        ProcessOutcome readOnly = sandboxed;
        readOnly.exitCode = 1;
        readOnly.stderrText =
            traceback("OSError: [Errno 30] Read-only file system: '/usr/share/x'");
        QCOMPARE_CATEGORY(classifyRenderFailure(readOnly).category, ErrorCategory::Sandbox);

        ProcessOutcome fork = sandboxed;
        fork.exitCode = 1;
        fork.stderrText = traceback("BlockingIOError: [Errno 11] Resource temporarily unavailable");
        r = classifyRenderFailure(fork);
        QCOMPARE_CATEGORY(r.category, ErrorCategory::Sandbox);
        QVERIFY(r.message.contains(QLatin1String("(512)")));

        // The same failures without the sandbox are the script's own.
        ProcessOutcome local = network;
        local.backend = RenderBackend::Local;
        QCOMPARE_CATEGORY(classifyRenderFailure(local).category, ErrorCategory::CodeError);
        local = fork;
        local.backend = RenderBackend::Local;
        QCOMPARE_CATEGORY(classifyRenderFailure(local).category, ErrorCategory::CodeError);
    }

    // ---- real renders ------------------------------------------------------------------

    void normalSceneRendersInTheSandbox() {
        ManimExecutionAgent agent;
        const RenderOptions options =
            sandboxOptions(test::copyFixture(QStringLiteral("text_scene.py"), env_->workDir()));
        const RenderRun run = render(agent, options);
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        QVERIFY(run.pid > 0);
        QCOMPARE(run.result.outputs.size(), 1);
        const SceneOutput& output = run.result.outputs.first();
        // Where the pure path function says, in the persistent media folder, on the host.
        QCOMPARE(output.mediaPath,
                 expectedOutputPath(options, run.result.mediaDir, QStringLiteral("text_scene"),
                                    QStringLiteral("Greeting"), run.result.manimVersion));
        QVERIFY(output.mediaPath.startsWith(paths::mediaRootDir()));
        QVERIFY(test::isNonEmptyFile(output.path));
        QCOMPARE(test::videoSize(output.path), QSize(854, 480));
        QVERIFY(!QFileInfo::exists(jobDir(run.jobId)));
        verifyNothingLeft(run);
    }

    void networkIsUnreachable() {
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        int connections = 0;
        connect(&server, &QTcpServer::newConnection, this, [&connections] { ++connections; });
        ManimExecutionAgent agent;
        const RenderRun run =
            render(agent, sandboxOptions(untrusted(
                              QStringLiteral("network_scene.py"),
                              {{QStringLiteral("PORT"), QString::number(server.serverPort())}})));
        QVERIFY(run.finished);
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(run.error().category, ErrorCategory::Sandbox);
        QVERIFY2(run.error().message.contains(QLatin1String("network")),
                 run.describe().constData());
        QVERIFY2(run.error().message.contains(QLatin1String("Connection refused")),
                 run.describe().constData());
        QCOMPARE(run.error().scriptLine, 9);
        QTest::qWait(100);
        QCOMPARE(connections, 0);
        QVERIFY(!server.hasPendingConnections());
        verifyNothingLeft(run);
    }

    void noSecretsInTheEnvironmentOrHome() {
        const QByteArray key = "sk-omega-sandbox-" + randomToken().toLatin1();
        const QByteArray canary = "canary-" + randomToken().toLatin1();
        qputenv("OPENAI_API_KEY", key);
        qputenv("OMEGA_CANARY", canary); // not named like a secret: only --clearenv stops it
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/0/bus");
        const QString secret =
            QDir::home().filePath(QStringLiteral(".omega-secret-test-") + randomToken());
        const QByteArray secretText = "secret-" + randomToken().toLatin1();
        QVERIFY(test::writeFile(secret, secretText));
        filesToRemove_ << secret;

        ManimExecutionAgent agent;
        agent.setKeepJobFolders(true);
        const RenderRun run = render(
            agent, sandboxOptions(untrusted(QStringLiteral("spy_scene.py"),
                                            {{QStringLiteral("SECRET"), secret},
                                             {QStringLiteral("HOST_HOME"), QDir::homePath()}})));
        qunsetenv("OPENAI_API_KEY");
        qunsetenv("OMEGA_CANARY");
        qunsetenv("DBUS_SESSION_BUS_ADDRESS");
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        const QByteArray reportText =
            test::readFile(QDir(jobDir(run.jobId)).filePath(QStringLiteral("spy-report.json")));
        QVERIFY(QDir(jobDir(run.jobId)).removeRecursively());
        const QJsonObject report = QJsonDocument::fromJson(reportText).object();
        QVERIFY2(!report.isEmpty(), reportText.constData());
        // It ran inside the sandbox: its host name, and as nobody when Omega is root.
        QCOMPARE(report.value(QLatin1String("hostname")).toString(),
                 QStringLiteral("omega-sandbox"));
        if (::geteuid() == 0)
            QCOMPARE(report.value(QLatin1String("uid")).toInt(), 65534);
        // Nothing of the key, the canary or the file, in any environment it could read.
        const QJsonObject environment = report.value(QLatin1String("environ")).toObject();
        QVERIFY(!environment.contains(QLatin1String("OPENAI_API_KEY")));
        QVERIFY(!environment.contains(QLatin1String("OMEGA_CANARY")));
        QVERIFY(!environment.contains(QLatin1String("DBUS_SESSION_BUS_ADDRESS")));
        QVERIFY(!environment.contains(QLatin1String("DISPLAY")));
        QCOMPARE(environment.value(QLatin1String("HOME")).toString(), QStringLiteral("/tmp"));
        QVERIFY(!reportText.contains(key));
        QVERIFY(!reportText.contains(canary));
        QVERIFY(!reportText.contains(secretText));
        QVERIFY(
            !report.value(QLatin1String("secret")).toObject().value(QLatin1String("ok")).toBool());
        // The home folder and /run look empty; root-only files stay closed.
        const QJsonObject home = report.value(QLatin1String("home_listing")).toObject();
        QVERIFY(home.value(QLatin1String("value")).toArray().isEmpty());
        QVERIFY(report.value(QLatin1String("run_listing"))
                    .toObject()
                    .value(QLatin1String("value"))
                    .toArray()
                    .isEmpty());
        QVERIFY(
            !report.value(QLatin1String("shadow")).toObject().value(QLatin1String("ok")).toBool());
        verifyNothingLeft(run);
    }

    void homeFileIsHidden() {
        const QString secret =
            QDir::home().filePath(QStringLiteral(".omega-secret-test-") + randomToken());
        const QByteArray secretText = "secret-" + randomToken().toLatin1();
        QVERIFY(test::writeFile(secret, secretText));
        filesToRemove_ << secret;
        ManimExecutionAgent agent;
        const RenderRun run =
            render(agent, sandboxOptions(untrusted(QStringLiteral("home_secret_scene.py"),
                                                   {{QStringLiteral("SECRET"), secret}})));
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(run.error().category, ErrorCategory::Sandbox);
        QVERIFY2(run.error().message.contains(secret), run.describe().constData());
        QVERIFY2(run.error().message.contains(QLatin1String("hides")), run.describe().constData());
        QVERIFY(!run.describe().contains(secretText));
        verifyNothingLeft(run);
    }

    void writesOutsideTheJobFolderStayInside() {
        const QString tmpTarget = QStringLiteral("/tmp/omega-escape-") + randomToken();
        const QString homeTarget =
            QDir::home().filePath(QStringLiteral("omega-escape-") + randomToken());
        filesToRemove_ << tmpTarget << homeTarget;
        ManimExecutionAgent agent;
        const RenderRun run =
            render(agent, sandboxOptions(untrusted(QStringLiteral("escape_scene.py"),
                                                   {{QStringLiteral("TMP_TARGET"), tmpTarget},
                                                    {QStringLiteral("HOME_TARGET"), homeTarget}})));
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        // /tmp is the sandbox's own (the write "worked" there); the home folder is read-only.
        QVERIFY(!QFileInfo::exists(tmpTarget));
        QVERIFY(!QFileInfo::exists(homeTarget));
        QCOMPARE_CATEGORY(run.error().category, ErrorCategory::Sandbox);
        QVERIFY2(run.error().message.contains(QLatin1String("outside its job folder")),
                 run.describe().constData());
        QCOMPARE(run.error().scriptLine, 10);
        verifyNothingLeft(run);
    }

    void sixGibibytesAreRefused() {
        ManimExecutionAgent agent;
        agent.setKeepJobFolders(true);
        const RenderRun run =
            render(agent, sandboxOptions(untrusted(QStringLiteral("memory_scene.py"))));
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(run.error().category, ErrorCategory::Killed);
        QVERIFY2(run.error().message.contains(QLatin1String("memory limit (4096 MiB)")),
                 run.describe().constData());
        const QJsonObject report =
            QJsonDocument::fromJson(
                test::readFile(
                    QDir(jobDir(run.jobId)).filePath(QStringLiteral("memory-report.json"))))
                .object();
        QDir(jobDir(run.jobId)).removeRecursively();
        // Stopped below the limit (the interpreter and Manim take their share), never at 6 GiB.
        const int allocated = report.value(QLatin1String("allocated_mib")).toInt();
        QVERIFY2(allocated >= 1024 && allocated < 4096, QByteArray::number(allocated));
        verifyNothingLeft(run);
    }

    void forkBombIsLimited() {
        ManimExecutionAgent agent;
        agent.setKeepJobFolders(true);
        RenderOptions options = sandboxOptions(untrusted(QStringLiteral("fork_scene.py")));
        QElapsedTimer clock;
        clock.start();
        const RenderRun run = render(agent, options);
        QVERIFY(run.finished);
        QVERIFY(clock.elapsed() < 60000);
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(run.error().category, ErrorCategory::Sandbox);
        QVERIFY2(run.error().message.contains(QLatin1String("processes")),
                 run.describe().constData());
        const QJsonObject report =
            QJsonDocument::fromJson(
                test::readFile(
                    QDir(jobDir(run.jobId)).filePath(QStringLiteral("fork-report.json"))))
                .object();
        QDir(jobDir(run.jobId)).removeRecursively();
        const int started = report.value(QLatin1String("started")).toInt(-1);
        QVERIFY2(started >= 0 && started < options.maxProcesses, QByteArray::number(started));
        // Every child (each meant to live two minutes) went with the sandbox.
        verifyNothingLeft(run);
    }

    void endlessSceneTimesOut() {
        ManimExecutionAgent agent;
        agent.setKillGraceMs(1000);
        RenderOptions options =
            sandboxOptions(test::copyFixture(QStringLiteral("forever_scene.py"), env_->workDir()));
        options.timeoutSec = 3;
        QElapsedTimer clock;
        clock.start();
        const RenderRun run = render(agent, options, 60000);
        QVERIFY(run.finished);
        QVERIFY2(clock.elapsed() >= 3000, run.describe().constData());
        QVERIFY(clock.elapsed() < 30000);
        QCOMPARE_CATEGORY(run.error().category, ErrorCategory::Timeout);
        verifyNothingLeft(run);
    }

    void cpuTimeLimitStopsTheLoop() {
        ManimExecutionAgent agent;
        RenderOptions options =
            sandboxOptions(test::copyFixture(QStringLiteral("forever_scene.py"), env_->workDir()));
        options.timeoutSec = 120;
        options.cpuTimeLimitSec = 6; // importing Manim takes about two
        const RenderRun run = render(agent, options, 60000);
        QVERIFY(run.finished);
        QCOMPARE_CATEGORY(run.error().category, ErrorCategory::Timeout);
        QVERIFY2(run.error().message.contains(QLatin1String("CPU time limit (6 s")),
                 run.describe().constData());
        verifyNothingLeft(run);
    }

    void cancelLeavesNothing() {
        ManimExecutionAgent agent;
        RenderRun run;
        connect(&agent, &ManimExecutionAgent::finished, this, [&run](const RenderResult& result) {
            run.finished = true;
            run.result = result;
        });
        // Draws for minutes, with a `sleep 300` child that does not carry the job id.
        run.jobId = agent.render(
            sandboxOptions(test::copyFixture(QStringLiteral("long_scene.py"), env_->workDir())));
        QVERIFY(!run.jobId.isEmpty());
        const QString started = QDir(jobDir(run.jobId)).filePath(QStringLiteral("started"));
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(started), 60000);
        run.pid = agent.currentPid();
        QVERIFY(run.pid > 0);
        const QList<qint64> sandboxed = descendantsOf(run.pid);
        QVERIFY2(sandboxed.size() >= 3, QByteArray::number(sandboxed.size())); // init, manim, sleep
        agent.cancel();
        QTRY_VERIFY_WITH_TIMEOUT(run.finished, 5000);
        QCOMPARE_CATEGORY(run.error().category, ErrorCategory::Cancelled);
        for (const qint64 pid : sandboxed)
            QTRY_VERIFY_WITH_TIMEOUT(test::processGone(pid), 10000);
        verifyNothingLeft(run);
    }

    void sceneNameNeverReachesAShell() {
        const QString marker = QStringLiteral("/tmp/omega-pwned-") + randomToken();
        filesToRemove_ << marker;
        ManimExecutionAgent agent;
        RenderOptions options =
            sandboxOptions(test::copyFixture(QStringLiteral("two_scenes.py"), env_->workDir()));
        options.scenes = {QStringLiteral("First; touch %1").arg(marker)};
        const RenderRun run = render(agent, options);
        QCOMPARE_CATEGORY(run.error().category, ErrorCategory::Usage);
        QVERIFY(!QFileInfo::exists(marker));
        const CliRun cli =
            omega({QStringLiteral("render"), options.scriptPath, QStringLiteral("--scene"),
                   QStringLiteral("$(touch %1)").arg(marker), QStringLiteral("--backend"),
                   QStringLiteral("sandbox"), QStringLiteral("--json")},
                  env_->processEnvironment());
        QCOMPARE(cli.exitCode, 2);
        QVERIFY(!QFileInfo::exists(marker));
    }

    // ---- the command line tool ---------------------------------------------------------

    void cliWarnsWithoutASandbox() {
        const QString script = test::copyFixture(QStringLiteral("two_scenes.py"), env_->workDir());
        const QStringList args{QStringLiteral("render"), script, QStringLiteral("--scene"),
                               QStringLiteral("Nope"), QStringLiteral("--json")};
        // By choice: one line on stderr, JSON alone on stdout.
        CliRun run = omega(args + QStringList{QStringLiteral("--backend"), QStringLiteral("local")},
                           env_->processEnvironment());
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("warning: rendering without a sandbox"),
                 run.describe().constData());
        QVERIFY(!run.json().isEmpty());
        QVERIFY(!run.out.contains("warning"));
        // The default, with the sandbox: no warning.
        run = omega(args, env_->processEnvironment());
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(!run.err.contains("warning: rendering without a sandbox"),
                 run.describe().constData());
        // The default where bwrap is missing: local, with the reason.
        QProcessEnvironment noBwrap = env_->processEnvironment();
        noBwrap.insert(QStringLiteral("OMEGA_BWRAP"), QStringLiteral("/nonexistent/bwrap"));
        run = omega(args, noBwrap);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("warning: rendering without a sandbox: bwrap"),
                 run.describe().constData());
        // Asked for explicitly where it cannot run: an environment error, nothing rendered.
        run = omega(args + QStringList{QStringLiteral("--backend"), QStringLiteral("sandbox")},
                    noBwrap);
        QCOMPARE(run.exitCode, 3);
        QCOMPARE(run.errorCategory(), QStringLiteral("environment"));
        QVERIFY2(run.json()
                     .value(QLatin1String("error"))
                     .toObject()
                     .value(QLatin1String("hint"))
                     .toString()
                     .contains(QLatin1String("bubblewrap")),
                 run.describe().constData());
    }

    void cliMemoryLimit() {
        const QString script = test::copyFixture(QStringLiteral("text_scene.py"), env_->workDir());
        CliRun run = omega({QStringLiteral("render"), script, QStringLiteral("--memory-limit"),
                            QStringLiteral("12"), QStringLiteral("--json")},
                           env_->processEnvironment());
        QCOMPARE(run.exitCode, 2);
        QCOMPARE(run.errorCategory(), QStringLiteral("usage"));
        QVERIFY(run.err.isEmpty() || !run.err.contains("warning"));
        // Too little for Manim itself: stopped, and the message names the limit given.
        run = omega({QStringLiteral("render"), script, QStringLiteral("-q"), QStringLiteral("l"),
                     QStringLiteral("--memory-limit"), QStringLiteral("300"),
                     QStringLiteral("--backend"), QStringLiteral("sandbox"),
                     QStringLiteral("--json")},
                    env_->processEnvironment());
        QCOMPARE(run.exitCode, 1);
        QCOMPARE(run.errorCategory(), QStringLiteral("killed"));
        QVERIFY2(run.json()
                     .value(QLatin1String("error"))
                     .toObject()
                     .value(QLatin1String("message"))
                     .toString()
                     .contains(QLatin1String("memory limit (300 MiB)")),
                 run.describe().constData());
    }

    void doctorChecksTheSandbox() {
        CliRun run =
            omega({QStringLiteral("doctor"), QStringLiteral("--json")}, env_->processEnvironment());
        QJsonObject sandbox;
        for (const QJsonValue& value : run.json().value(QLatin1String("checks")).toArray()) {
            if (value.toObject().value(QLatin1String("name")).toString() ==
                QLatin1String("sandbox"))
                sandbox = value.toObject();
        }
        QVERIFY2(!sandbox.isEmpty(), run.describe().constData());
        QVERIFY2(sandbox.value(QLatin1String("ok")).toBool(), run.describe().constData());
        QVERIFY(!sandbox.value(QLatin1String("required")).toBool());
        QProcessEnvironment noBwrap = env_->processEnvironment();
        noBwrap.insert(QStringLiteral("OMEGA_BWRAP"), QStringLiteral("/nonexistent/bwrap"));
        run = omega({QStringLiteral("doctor"), QStringLiteral("--json")}, noBwrap);
        for (const QJsonValue& value : run.json().value(QLatin1String("checks")).toArray()) {
            if (value.toObject().value(QLatin1String("name")).toString() ==
                QLatin1String("sandbox"))
                sandbox = value.toObject();
        }
        QVERIFY(!sandbox.value(QLatin1String("ok")).toBool());
        QVERIFY(
            sandbox.value(QLatin1String("hint")).toString().contains(QLatin1String("bubblewrap")));
    }
};

QTEST_GUILESS_MAIN(TestSandbox)
#include "tst_sandbox.moc"
