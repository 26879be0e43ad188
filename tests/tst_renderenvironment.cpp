// RenderEnvironmentAgent and `omega setup`: the pip-output parsers against recorded real pip
// output (tests/fixtures/pip), and real venvs built from PyPI with a one-package requirements
// file (six==1.16.0) in temporary data folders — success, skip, rebuild, cancel, timeout and
// each failure the user must be told about.
#include "Paths.h"
#include "RenderEnvironmentAgent.h"
#include "TestSupport.h"

#include <QLockFile>
#include <QSignalSpy>
#include <QtTest>

using namespace omega;
using namespace omega::test;

namespace {

QString pipFixture(const QString& name) {
    return QString::fromUtf8(readFile(fixturesDir() + QStringLiteral("/pip/") + name));
}

// Sets an environment variable for the scope of a test and restores it afterwards.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const QByteArray& value)
        : name_(name)
        , old_(qgetenv(name))
        , had_(qEnvironmentVariableIsSet(name)) {
        if (value.isNull())
            qunsetenv(name);
        else
            qputenv(name, value);
    }
    ~ScopedEnv() {
        if (had_)
            qputenv(name_, old_);
        else
            qunsetenv(name_);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* name_;
    QByteArray old_;
    bool had_;
};

constexpr int kVenvTimeoutMs = 300000; // venv + pip from PyPI on a busy 2-core machine

} // namespace

class TestRenderEnvironment : public QObject {
    Q_OBJECT

private:
    // A venv target inside the isolated data folder (never the checkout's .venv).
    RenderEnvironmentOptions optionsIn(const IsolatedEnvironment& env,
                                       const QByteArray& requirements) {
        const QString file = QDir(env.workDir()).filePath(QStringLiteral("requirements.txt"));
        writeFile(file, requirements);
        RenderEnvironmentOptions options;
        options.venvDir = QDir(env.dataDir()).filePath(QStringLiteral("venv"));
        options.requirementsFile = file;
        options.upgradePip = false; // one download less; createSucceedsThenSkips does it
        options.minimumFreeBytes = 0;
        return options;
    }

    static RenderEnvironmentResult runToEnd(RenderEnvironmentAgent& agent,
                                            const RenderEnvironmentOptions& options,
                                            QList<RenderEnvironmentProgress>* progress = nullptr) {
        QList<RenderEnvironmentResult> results;
        QObject context;
        QObject::connect(&agent, &RenderEnvironmentAgent::finished, &context,
                         [&results](const RenderEnvironmentResult& r) { results << r; });
        if (progress)
            QObject::connect(
                &agent, &RenderEnvironmentAgent::progress, &context,
                [progress](const RenderEnvironmentProgress& p) { progress->append(p); });
        RenderEnvironmentResult none; // what the caller sees when no job ran or ended
        none.result.status = ResultStatus::Failed;
        none.result.error.message = QStringLiteral("create() refused or finished() never came");
        if (agent.create(options).isEmpty())
            return none;
        QElapsedTimer clock;
        clock.start();
        while (results.isEmpty() && clock.elapsed() < kVenvTimeoutMs)
            QTest::qWait(50);
        return results.isEmpty() ? none : results.first();
    }

    static bool noLeftovers(const QString& venvDir) {
        return !QFileInfo::exists(venvDir + QStringLiteral(".partial")) &&
               !QFileInfo::exists(venvDir + QStringLiteral(".lock"));
    }

private Q_SLOTS:
    // ---- pure parsers over recorded pip output ----------------------------------------------

    void requirementsAndImportCheck() {
        const QString shipped = QString::fromUtf8(readFile(
            QStringLiteral(OMEGA_FIXTURES_DIR "/../../resources/render-requirements.txt")));
        QVERIFY(!shipped.isEmpty());
        const QStringList lines = requirementLines(shipped);
        QVERIFY2(lines.size() >= 20, qPrintable(lines.join(QLatin1Char(','))));
        QVERIFY(lines.contains(QStringLiteral("manim==0.22.0")));
        for (const QString& line : lines)
            QVERIFY2(!line.startsWith(QLatin1Char('#')) && !line.trimmed().isEmpty(),
                     qPrintable(line));
        QCOMPARE(importCheckModules(shipped),
                 (QStringList{QStringLiteral("manim"), QStringLiteral("cairo"),
                              QStringLiteral("manimpango"), QStringLiteral("av")}));
        QCOMPARE(importCheckModules(QStringLiteral("# test\nsix==1.16.0\n\n")),
                 QStringList{QStringLiteral("six")});
        QCOMPARE(importCheckModules(QStringLiteral("typing_extensions==4.16.0  # x\n")),
                 QStringList{QStringLiteral("typing_extensions")});
        QCOMPARE(requirementLines(QStringLiteral("--index-url x\n# c\n  \n")).size(), 0);
    }

    void progressOverARealFullInstall() {
        const QString output = pipFixture(QStringLiteral("full-install.txt"));
        QVERIFY(!output.isEmpty());
        const int requirements = int(
            requirementLines(QString::fromUtf8(readFile(QStringLiteral(
                                 OMEGA_FIXTURES_DIR "/../../resources/render-requirements.txt"))))
                .size());
        PipProgressTracker tracker(requirements);
        int last = 0;
        int collectingLines = 0;
        int halfway = -1;
        QStringList activities;
        for (const QString& line : output.split(QLatin1Char('\n'))) {
            if (tracker.addLine(line))
                activities << tracker.activity();
            QVERIFY2(tracker.percent() >= last, qPrintable(line)); // never goes back
            last = tracker.percent();
            if (line.startsWith(QLatin1String("Collecting ")) &&
                ++collectingLines == requirements / 2)
                halfway = tracker.percent();
        }
        QCOMPARE(last, 100);
        QVERIFY2(halfway >= 20 && halfway <= 40, qPrintable(QString::number(halfway)));
        QCOMPARE(activities.first(), QStringLiteral("Collecting av==18.1.0"));
        QVERIFY(activities.contains(
            QStringLiteral("Using cached pycairo-1.29.2-cp311-cp311-linux_x86_64.whl")));
        QVERIFY(activities.contains(QStringLiteral("Installing 32 packages")));
    }

    void progressOverSmallInstalls() {
        PipProgressTracker six(1);
        QList<int> seen;
        for (const QString& line :
             pipFixture(QStringLiteral("six-success.txt")).split(QLatin1Char('\n'))) {
            six.addLine(line);
            seen << six.percent();
        }
        QCOMPARE(six.percent(), 100);
        QVERIFY(seen.contains(60)); // collected, not yet installed
        QVERIFY(seen.contains(88)); // installing

        PipProgressTracker already(1);
        for (const QString& line :
             pipFixture(QStringLiteral("six-already.txt")).split(QLatin1Char('\n')))
            already.addLine(line);
        QCOMPARE(already.percent(), 60); // resolved; pip prints no "Successfully" then

        PipProgressTracker source(1);
        for (const QString& line :
             pipFixture(QStringLiteral("six-build.txt")).split(QLatin1Char('\n')))
            source.addLine(line);
        QCOMPARE(source.percent(), 100);
    }

    void classifiesRealPipFailures_data() {
        QTest::addColumn<QByteArray>("fixture");
        QTest::addColumn<QByteArray>("failure");
        QTest::addColumn<QByteArray>("package");
        QTest::addColumn<QByteArray>("apt"); // comma-separated
        QTest::addColumn<QByteArray>("messageHas");
        QTest::addColumn<QByteArray>("hintHas");
        const auto row = [](const char* name, const char* fixture, const char* failure,
                            const char* package, const char* apt, const char* messageHas,
                            const char* hintHas) {
            QTest::newRow(name) << QByteArray(fixture) << QByteArray(failure) << QByteArray(package)
                                << QByteArray(apt) << QByteArray(messageHas) << QByteArray(hintHas);
        };
        row("no such package", "bogus-pip26.txt", "package-not-found",
            "omega-no-such-package-zzz==1.0.0", "", "omega-no-such-package-zzz", "pin");
        row("dns", "no-network-dns.txt", "no-network", "", "", "Name or service not known",
            "network");
        row("refused", "no-network-refused-pip26.txt", "no-network", "", "", "Connection refused",
            "network");
        row("disk full", "disk-full.txt", "disk-full", "", "", "No space left", "Free some space");
        row("pycairo without libcairo2-dev", "pycairo-no-cairo-dev.txt", "build-dependencies",
            "pycairo", "libcairo2-dev", "libcairo2-dev", "sudo apt install libcairo2-dev");
        row("ManimPango without libpango1.0-dev", "manimpango-no-pango-dev.txt",
            "build-dependencies", "ManimPango", "libpango1.0-dev", "libpango1.0-dev",
            "sudo apt install libpango1.0-dev");
    }
    void classifiesRealPipFailures() {
        QFETCH(QByteArray, fixture);
        QFETCH(QByteArray, failure);
        QFETCH(QByteArray, package);
        QFETCH(QByteArray, apt);
        QFETCH(QByteArray, messageHas);
        QFETCH(QByteArray, hintHas);
        const QString output = pipFixture(QString::fromUtf8(fixture));
        QVERIFY(!output.isEmpty());
        const PipFailure f = classifyPipFailure(output);
        QCOMPARE(failureName(f.kind), QString::fromUtf8(failure));
        QCOMPARE(f.package, QString::fromUtf8(package));
        QCOMPARE(f.aptPackages.join(QLatin1Char(',')), QString::fromUtf8(apt));
        QVERIFY2(f.message.contains(QString::fromUtf8(messageHas)), qPrintable(f.message));
        QVERIFY2(f.hint.contains(QString::fromUtf8(hintHas)), qPrintable(f.hint));
        QVERIFY(!f.detail.isEmpty());
    }

    void successfulOutputIsNoKnownFailure() {
        // The success fixtures hold none of the failure markers: a failed pip with output
        // like this is reported as a plain pip failure, not as a guess.
        for (const char* name : {"six-success.txt", "upgrade-pip.txt", "full-install.txt"}) {
            const PipFailure f = classifyPipFailure(pipFixture(QString::fromLatin1(name)));
            QCOMPARE(failureName(f.kind), QStringLiteral("pip-failed"));
        }
    }

    void classifiesVenvFailures() {
        // Debian's python3.11 without python3-venv (the message of its patched venv module;
        // transcribed, not recorded: this machine has python3-venv).
        const QString noEnsurepip = QStringLiteral(
            "The virtual environment was not created successfully because ensurepip is not\n"
            "available.  On Debian/Ubuntu systems, you need to install the python3-venv\n"
            "package using the following command.\n\n    apt install python3.11-venv\n\n"
            "You may need to use sudo with that command.  After installing the python3-venv\n"
            "package, recreate your virtual environment.\n\n"
            "Failing command: /home/u/.local/share/omega-studio/venv.partial/bin/python3\n");
        const PipFailure venv = classifyVenvFailure(noEnsurepip);
        QCOMPARE(failureName(venv.kind), QStringLiteral("no-venv-module"));
        QCOMPARE(venv.aptPackages, QStringList{QStringLiteral("python3-venv")});
        QVERIFY(venv.hint.contains(QLatin1String("sudo apt install python3-venv")));
        QCOMPARE(failureName(classifyVenvFailure(QStringLiteral("/usr/bin/python3: No module "
                                                                "named venv\n"))
                                 .kind),
                 QStringLiteral("no-venv-module"));
        const PipFailure full = classifyVenvFailure(
            QStringLiteral("Error: [Errno 28] No space left on device: '/x/venv.partial/lib'\n"));
        QCOMPARE(failureName(full.kind), QStringLiteral("disk-full"));
        const PipFailure denied = classifyVenvFailure(
            QStringLiteral("Error: [Errno 13] Permission denied: '/x/venv.partial'\n"));
        QCOMPARE(failureName(denied.kind), QStringLiteral("io"));
        QVERIFY(denied.message.contains(QLatin1String("Permission denied")));
        QVERIFY(denied.hint.contains(QLatin1String("OMEGA_DATA_DIR")));
    }

    void setupHintFitsTheCheckout() {
        // The tests run from the source tree: its resources and scripts/setup.sh exist.
        QVERIFY2(paths::setupHint().contains(QLatin1String("scripts/setup.sh")),
                 qPrintable(paths::setupHint()));
        QTemporaryDir installed;
        QVERIFY(installed.isValid());
        ScopedEnv resources("OMEGA_RESOURCES_DIR", installed.path().toUtf8());
        QVERIFY2(paths::setupHint().contains(QLatin1String("omega setup")),
                 qPrintable(paths::setupHint()));
        QVERIFY(!paths::setupHint().contains(QLatin1String("scripts/")));
    }

    // ---- real venvs -------------------------------------------------------------------------

    void createSucceedsThenSkips() {
        IsolatedEnvironment env;
        QVERIFY(env.isValid());
        RenderEnvironmentOptions options = optionsIn(env, "six==1.16.0\n");
        options.upgradePip = true; // the real sequence, as for Manim
        QVERIFY(options.venvDir.startsWith(env.dataDir()));
        QVERIFY(!RenderEnvironmentAgent::isUpToDate(options));

        RenderEnvironmentAgent agent;
        QList<RenderEnvironmentProgress> progress;
        QStringList lines;
        connect(&agent, &RenderEnvironmentAgent::outputLine, this,
                [&lines](const QString& line) { lines << line; });
        const RenderEnvironmentResult r = runToEnd(agent, options, &progress);
        QVERIFY2(r.result.ok(),
                 qPrintable(r.result.error.message + QLatin1Char('\n') + r.result.error.detail +
                            QLatin1Char('\n') + lines.join(QLatin1Char('\n'))));
        QVERIFY(!r.skipped);
        QCOMPARE(r.venvDir, options.venvDir);
        QCOMPARE(r.requirementCount, 1);
        QVERIFY(QFileInfo(r.python).isExecutable());
        QCOMPARE(readFile(options.venvDir + QStringLiteral("/.omega-requirements")),
                 QByteArray("six==1.16.0\n"));
        QVERIFY(noLeftovers(options.venvDir));
        QVERIFY(RenderEnvironmentAgent::isUpToDate(options));

        // The package is really there, and the venv's scripts name their final folder.
        QProcess python;
        python.start(r.python,
                     {QStringLiteral("-c"),
                      QStringLiteral("import six, sys; print(six.__version__, sys.prefix)")});
        QVERIFY(python.waitForFinished(60000));
        const QString printed = QString::fromUtf8(python.readAllStandardOutput()).trimmed();
        QCOMPARE(printed, QStringLiteral("1.16.0 ") + options.venvDir);
        const QByteArray pipScript = readFile(options.venvDir + QStringLiteral("/bin/pip"));
        QVERIFY2(pipScript.startsWith("#!" + options.venvDir.toUtf8() + "/bin/python"),
                 pipScript.left(200).constData());

        // Progress: every step, never backwards, pip's lines turned into activities, 100 at the
        // end.
        QVERIFY(!progress.isEmpty());
        QSet<QString> steps;
        int last = 0;
        for (const RenderEnvironmentProgress& p : progress) {
            QVERIFY(p.percent >= last);
            last = p.percent;
            steps << stepName(p.step);
        }
        QCOMPARE(last, 100);
        for (const char* step : {"create-venv", "upgrade-pip", "install-packages", "check-imports"})
            QVERIFY2(steps.contains(QString::fromLatin1(step)), step);
        QVERIFY(std::any_of(progress.begin(), progress.end(), [](const auto& p) {
            return p.activity.startsWith(QLatin1String("Collecting six==1.16.0"));
        }));
        QVERIFY(lines.contains(QStringLiteral("Successfully installed six-1.16.0")));

        // Second call: the stamp matches, nothing is done.
        QElapsedTimer clock;
        clock.start();
        const RenderEnvironmentResult again = runToEnd(agent, options);
        QVERIFY(again.result.ok());
        QVERIFY(again.skipped);
        QVERIFY2(clock.elapsed() < 10000, "a skip must not run pip");

        // needed(): follows the venv the paths point at and the requirements in use.
        {
            ScopedEnv venv("OMEGA_VENV", options.venvDir.toUtf8());
            ScopedEnv requirements("OMEGA_RENDER_REQUIREMENTS", options.requirementsFile.toUtf8());
            ScopedEnv noPython("OMEGA_PYTHON", QByteArray());
            QVERIFY(!RenderEnvironmentAgent::needed());
            QVERIFY(writeFile(options.requirementsFile, "six==1.16.0\n# new pins\n"));
            QVERIFY(RenderEnvironmentAgent::needed());
            ScopedEnv own("OMEGA_PYTHON", r.python.toUtf8()); // the user's own Python
            QVERIFY(!RenderEnvironmentAgent::needed());
        }

        // Changed pins: rebuilt beside the old venv, which is replaced and removed.
        const RenderEnvironmentResult rebuilt = runToEnd(agent, options);
        QVERIFY2(rebuilt.result.ok(), qPrintable(rebuilt.result.error.message));
        QVERIFY(!rebuilt.skipped);
        QCOMPARE(readFile(options.venvDir + QStringLiteral("/.omega-requirements")),
                 QByteArray("six==1.16.0\n# new pins\n"));
        QVERIFY(noLeftovers(options.venvDir));
        const QStringList siblings =
            QDir(env.dataDir())
                .entryList({QStringLiteral("venv*")},
                           QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden);
        QCOMPARE(siblings, QStringList{QStringLiteral("venv")}); // no venv.old-*, no partial
    }

    void cancelMidPipLeavesNothing() {
        IsolatedEnvironment env;
        QVERIFY(env.isValid());
        const RenderEnvironmentOptions options = optionsIn(env, "six==1.16.0\n");
        RenderEnvironmentAgent agent;
        qint64 pid = 0;
        // Cancel as soon as pip says what it collects: pip is running.
        connect(&agent, &RenderEnvironmentAgent::progress, this,
                [&](const RenderEnvironmentProgress& p) {
                    if (p.step == RenderEnvironmentStep::InstallPackages &&
                        p.activity.startsWith(QLatin1String("Collecting")) && pid == 0) {
                        pid = agent.currentPid();
                        agent.cancel();
                    }
                });
        const RenderEnvironmentResult r = runToEnd(agent, options);
        QVERIFY(pid > 0);
        QCOMPARE_STATUS(r.result.status, ResultStatus::Cancelled);
        QCOMPARE(failureName(r.failure), QStringLiteral("cancelled"));
        QCOMPARE_CATEGORY(r.result.error.category, ErrorCategory::Cancelled);
        QVERIFY(!QFileInfo::exists(options.venvDir));
        QVERIFY(noLeftovers(options.venvDir));
        QVERIFY(processGone(pid));
        QVERIFY(processGroupGone(pid));
        QVERIFY(!agent.isRunning());
    }

    void cancelKeepsAnExistingVenv() {
        // A venv that is already there (other pins) keeps working when a rebuild is cancelled.
        IsolatedEnvironment env;
        QVERIFY(env.isValid());
        const RenderEnvironmentOptions options = optionsIn(env, "six==1.16.0\n");
        QVERIFY(QDir().mkpath(options.venvDir + QStringLiteral("/bin")));
        QVERIFY(writeFile(options.venvDir + QStringLiteral("/pyvenv.cfg"), "home = /usr/bin\n"));
        QVERIFY(writeFile(options.venvDir + QStringLiteral("/.omega-requirements"), "old\n"));
        RenderEnvironmentAgent agent;
        connect(&agent, &RenderEnvironmentAgent::progress, this,
                [&agent](const RenderEnvironmentProgress& p) {
                    if (p.step == RenderEnvironmentStep::CreateVenv)
                        agent.cancel();
                });
        const RenderEnvironmentResult r = runToEnd(agent, options);
        QCOMPARE_STATUS(r.result.status, ResultStatus::Cancelled);
        QCOMPARE(readFile(options.venvDir + QStringLiteral("/.omega-requirements")),
                 QByteArray("old\n"));
        QVERIFY(noLeftovers(options.venvDir));
    }

    void timeoutStopsAndCleansUp() {
        IsolatedEnvironment env;
        QVERIFY(env.isValid());
        RenderEnvironmentOptions options = optionsIn(env, "six==1.16.0\n");
        options.timeoutMs = 300; // python -m venv alone takes longer (ensurepip)
        RenderEnvironmentAgent agent;
        const RenderEnvironmentResult r = runToEnd(agent, options);
        QCOMPARE(failureName(r.failure), QStringLiteral("timeout"));
        QCOMPARE_CATEGORY(r.result.error.category, ErrorCategory::Timeout);
        QVERIFY(!r.result.error.hint.isEmpty());
        QVERIFY(!QFileInfo::exists(options.venvDir));
        QVERIFY(noLeftovers(options.venvDir));
    }

    void bogusPackageFailsClearly() {
        IsolatedEnvironment env;
        QVERIFY(env.isValid());
        const RenderEnvironmentOptions options =
            optionsIn(env, "omega-no-such-package-zzz==1.0.0\n");
        // Leftovers of a crashed run: removed before the new one starts.
        QVERIFY(QDir().mkpath(options.venvDir + QStringLiteral(".partial/lib")));
        QVERIFY(QDir().mkpath(options.venvDir + QStringLiteral(".old-20260101-000000-abcdef/bin")));
        RenderEnvironmentAgent agent;
        const RenderEnvironmentResult r = runToEnd(agent, options);
        QVERIFY(
            !QFileInfo::exists(options.venvDir + QStringLiteral(".old-20260101-000000-abcdef")));
        QCOMPARE_STATUS(r.result.status, ResultStatus::Failed);
        QCOMPARE(failureName(r.failure), QStringLiteral("package-not-found"));
        QVERIFY2(r.result.error.message.contains(QLatin1String("omega-no-such-package-zzz")),
                 qPrintable(r.result.error.message));
        QVERIFY(!r.result.error.hint.isEmpty());
        QVERIFY(r.result.error.detail.contains(QLatin1String("No matching distribution")));
        QVERIFY(!QFileInfo::exists(options.venvDir));
        QVERIFY(noLeftovers(options.venvDir));
    }

    void noNetworkFailsClearly() {
        IsolatedEnvironment env;
        QVERIFY(env.isValid());
        // An index nobody listens on, one retry: what pip does without a network.
        ScopedEnv index("PIP_INDEX_URL", "http://127.0.0.1:9/simple");
        ScopedEnv retries("PIP_RETRIES", "1");
        ScopedEnv timeout("PIP_TIMEOUT", "5");
        ScopedEnv links("PIP_FIND_LINKS", QByteArray());
        ScopedEnv noCache("PIP_NO_CACHE_DIR", "1");
        const RenderEnvironmentOptions options = optionsIn(env, "six==1.16.0\n");
        RenderEnvironmentAgent agent;
        const RenderEnvironmentResult r = runToEnd(agent, options);
        QCOMPARE(failureName(r.failure), QStringLiteral("no-network"));
        QCOMPARE_CATEGORY(r.result.error.category, ErrorCategory::Environment);
        QVERIFY2(r.result.error.message.contains(QLatin1String("Connection refused")),
                 qPrintable(r.result.error.message + QLatin1Char('\n') + r.result.error.detail));
        QVERIFY(r.result.error.hint.contains(QLatin1String("network")));
        QVERIFY(!QFileInfo::exists(options.venvDir));
        QVERIFY(noLeftovers(options.venvDir));
    }

    void importCheckFailureLeavesNoVenv() {
        // Everything installs, but the final import fails: the venv is not kept.
        IsolatedEnvironment env;
        QVERIFY(env.isValid());
        RenderEnvironmentOptions options = optionsIn(env, "six==1.16.0\n");
        options.importModules = {QStringLiteral("six"), QStringLiteral("omega_no_such_module")};
        RenderEnvironmentAgent agent;
        const RenderEnvironmentResult r = runToEnd(agent, options);
        QCOMPARE(failureName(r.failure), QStringLiteral("import-check"));
        QCOMPARE_CATEGORY(r.result.error.category, ErrorCategory::Environment);
        QVERIFY2(r.result.error.message.contains(QLatin1String("omega_no_such_module")),
                 qPrintable(r.result.error.message));
        QVERIFY(r.result.error.detail.contains(QLatin1String("ModuleNotFoundError")));
        QVERIFY(!QFileInfo::exists(options.venvDir));
        QVERIFY(noLeftovers(options.venvDir));
    }

    void missingPythonFailsClearly() {
        IsolatedEnvironment env;
        QVERIFY(env.isValid());
        RenderEnvironmentOptions options = optionsIn(env, "six==1.16.0\n");
        options.python = QStringLiteral("/nonexistent/python3");
        RenderEnvironmentAgent agent;
        const RenderEnvironmentResult r = runToEnd(agent, options);
        QCOMPARE(failureName(r.failure), QStringLiteral("no-python"));
        QCOMPARE_CATEGORY(r.result.error.category, ErrorCategory::Environment);
        QVERIFY(r.result.error.message.contains(QLatin1String("/nonexistent/python3")));
        QVERIFY(r.result.error.hint.contains(QLatin1String("python3-venv")));
        QVERIFY(!QFileInfo::exists(options.venvDir));
        QVERIFY(noLeftovers(options.venvDir));
    }

    void refusesWhatIsNotItsOwn() {
        IsolatedEnvironment env;
        QVERIFY(env.isValid());
        const RenderEnvironmentOptions options = optionsIn(env, "six==1.16.0\n");
        RenderEnvironmentAgent agent;

        // A folder that is not a venv is never replaced.
        QVERIFY(QDir().mkpath(options.venvDir));
        QVERIFY(writeFile(options.venvDir + QStringLiteral("/notes.txt"), "mine\n"));
        RenderEnvironmentResult r = runToEnd(agent, options);
        QCOMPARE(failureName(r.failure), QStringLiteral("not-a-venv"));
        QCOMPARE(readFile(options.venvDir + QStringLiteral("/notes.txt")), QByteArray("mine\n"));
        QVERIFY(QDir(options.venvDir).removeRecursively());

        // Another process building the same venv holds its lock.
        QLockFile other(options.venvDir + QStringLiteral(".lock"));
        QVERIFY(other.tryLock(0));
        r = runToEnd(agent, options);
        QCOMPARE(failureName(r.failure), QStringLiteral("busy"));
        QVERIFY(!QFileInfo::exists(options.venvDir));
        other.unlock();

        // Not enough free space where the venv goes: refused before anything is written.
        RenderEnvironmentOptions huge = options;
        huge.minimumFreeBytes = qint64(1) << 60;
        r = runToEnd(agent, huge);
        QCOMPARE(failureName(r.failure), QStringLiteral("disk-full"));
        QVERIFY(r.result.error.hint.contains(QLatin1String("Free some space")));
        QVERIFY(!QFileInfo::exists(options.venvDir));
        QVERIFY(noLeftovers(options.venvDir));

        // An unreadable requirements file.
        RenderEnvironmentOptions missing = options;
        missing.requirementsFile = QDir(env.workDir()).filePath(QStringLiteral("nope.txt"));
        r = runToEnd(agent, missing);
        QCOMPARE(failureName(r.failure), QStringLiteral("bad-requirements"));
        QVERIFY(r.result.error.message.contains(QLatin1String("nope.txt")));
        QVERIFY(!agent.create(options).isEmpty());
        QVERIFY(agent.create(options).isEmpty()); // one job at a time
        agent.cancel();
        QTRY_VERIFY_WITH_TIMEOUT(!agent.isRunning(), 60000);
        QVERIFY(noLeftovers(options.venvDir));
    }

    // ---- omega setup ------------------------------------------------------------------------

    void cliSetup() {
        IsolatedEnvironment env;
        QVERIFY(env.isValid());
        const QString requirements = QDir(env.workDir()).filePath(QStringLiteral("req.txt"));
        QVERIFY(writeFile(requirements, "six==1.16.0\n"));
        const QString venv = QDir(env.dataDir()).filePath(QStringLiteral("venv"));
        QProcessEnvironment penv = env.processEnvironment();
        penv.insert(QStringLiteral("OMEGA_VENV"), venv); // never the checkout's .venv
        penv.insert(QStringLiteral("OMEGA_RENDER_REQUIREMENTS"), requirements);
        penv.remove(QStringLiteral("OMEGA_PYTHON"));

        CliRun check = runOmega({QStringLiteral("setup"), QStringLiteral("--check")}, penv);
        QCOMPARE(check.exitCode, 1);
        QVERIFY(check.out.contains("not ready"));

        CliRun run =
            runOmega({QStringLiteral("setup"), QStringLiteral("--json")}, penv, kVenvTimeoutMs);
        QVERIFY2(run.exitCode == 0, run.describe().constData());
        QJsonObject json = run.json();
        QCOMPARE(json.value(QLatin1String("status")).toString(), QStringLiteral("ok"));
        QCOMPARE(json.value(QLatin1String("skipped")).toBool(), false);
        QCOMPARE(json.value(QLatin1String("venv")).toString(), venv);
        QCOMPARE(json.value(QLatin1String("requirement_count")).toInt(), 1);
        QVERIFY(QFileInfo(json.value(QLatin1String("python")).toString()).isExecutable());

        // Plain text: the second run says it is up to date.
        run = runOmega({QStringLiteral("setup")}, penv);
        QVERIFY2(run.exitCode == 0, run.describe().constData());
        QVERIFY2(run.out.contains("up to date"), run.describe().constData());
        check = runOmega(
            {QStringLiteral("setup"), QStringLiteral("--check"), QStringLiteral("--json")}, penv);
        QCOMPARE(check.exitCode, 0);
        QCOMPARE(check.json().value(QLatin1String("up_to_date")).toBool(), true);

        // A bogus pin (--requirements wins over the variable): exit 1, the reason in JSON.
        const QString bogus = QDir(env.workDir()).filePath(QStringLiteral("bogus.txt"));
        QVERIFY(writeFile(bogus, "omega-no-such-package-zzz==1.0.0\n"));
        run = runOmega({QStringLiteral("setup"), QStringLiteral("--json"),
                        QStringLiteral("--requirements"), bogus},
                       penv, kVenvTimeoutMs);
        QCOMPARE(run.exitCode, 1);
        json = run.json();
        QCOMPARE(json.value(QLatin1String("status")).toString(), QStringLiteral("failed"));
        const QJsonObject error = json.value(QLatin1String("error")).toObject();
        QCOMPARE(error.value(QLatin1String("reason")).toString(),
                 QStringLiteral("package-not-found"));
        QVERIFY(!error.value(QLatin1String("hint")).toString().isEmpty());
        QVERIFY(QFileInfo(venv + QStringLiteral("/bin/python")).isExecutable()); // old one kept

        // No Python: an environment problem, exit 3, in plain text on stderr.
        penv.insert(QStringLiteral("OMEGA_HOST_PYTHON"), QStringLiteral("/nonexistent/python3"));
        run = runOmega({QStringLiteral("setup"), QStringLiteral("--force")}, penv);
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains("/nonexistent/python3") && run.err.contains("python3-venv"),
                 run.describe().constData());

        run = runOmega({QStringLiteral("setup"), QStringLiteral("extra")}, penv);
        QCOMPARE(run.exitCode, 2);
    }
};

QTEST_GUILESS_MAIN(TestRenderEnvironment)
#include "tst_renderenvironment.moc"
