// DependencyAgent: the rules (pure), pip's recorded output (fixtures under
// tests/fixtures/dependencies), and the agent with the real render Python, real pip and the
// real package index. Network use is kept small: one real install (pyyaml, one wheel), one
// failed lookup of a package that does not exist; timeout and cancel stop pip before it gets
// far. The test case shares one data folder, so the functions after installApprovedPackage
// see its package layer.
#include "DependencyAgent.h"
#include "ManimExecutionAgent.h"
#include "Paths.h"
#include "TestSupport.h"

#include <QDirIterator>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>
#include <functional>

using namespace omega;
using omega::test::IsolatedEnvironment;
using Outcome = DependencyResult::Outcome;

#define QCOMPARE_OUTCOME(actual, expected) QCOMPARE(outcomeName(actual), outcomeName(expected))

namespace {

QString fixture(const QString& name) {
    return QStringLiteral(OMEGA_FIXTURES_DIR "/dependencies/") + name;
}

// Everything one job reported.
struct Run {
    QString jobId;
    int finishedCount = 0;
    DependencyResult result;
    QStringList lines;
    QList<qint64> pids; // every process the job started, seen when it announced it

    bool startedPip() const {
        for (const QString& line : lines) {
            if (line.startsWith(QLatin1String("$ python -m pip")))
                return true;
        }
        return false;
    }
    bool startedAnyProcess() const {
        for (const QString& line : lines) {
            if (line.startsWith(QLatin1String("$ python")))
                return true;
        }
        return false;
    }
    QByteArray describe() const {
        const ErrorReport& e = result.result.error;
        return (QStringLiteral("outcome %1, status %2, category %3\nreason: %4\nhint: %5\n"
                               "package %6 %7\n--- progress:\n%8")
                    .arg(outcomeName(result.outcome), statusName(result.result.status),
                         categoryName(e.category), result.reason, e.hint, result.package,
                         result.version, lines.join(QLatin1Char('\n')).right(3000)))
            .toUtf8();
    }
};

// Records the agent's signals for one job; `onLine` may act on a progress line (cancel).
class Recorder : public QObject {
public:
    Recorder(DependencyAgent& agent, Run& run, std::function<void(const QString&)> onLine = nullptr)
        : run_(run) {
        connect(&agent, &DependencyAgent::progress, this,
                [this, &agent, onLine](const QString& line) {
                    run_.lines << line;
                    if (line.startsWith(QLatin1String("$ ")) && agent.currentPid() > 0)
                        run_.pids << agent.currentPid();
                    if (onLine)
                        onLine(line);
                });
        connect(&agent, &DependencyAgent::finished, this, [this](const DependencyResult& r) {
            ++run_.finishedCount;
            run_.result = r;
        });
    }

private:
    Run& run_;
};

Run runJob(DependencyAgent& agent, const std::function<QString()>& start,
           std::function<void(const QString&)> onLine = nullptr, int timeoutMs = 240000) {
    Run run;
    Recorder recorder(agent, run, std::move(onLine));
    run.jobId = start();
    if (run.jobId.isEmpty())
        return run;
    [[maybe_unused]] const bool done =
        QTest::qWaitFor([&run] { return run.finishedCount > 0; }, timeoutMs);
    if (run.finishedCount > 0)
        QTest::qWait(20); // a second finished() would show up here
    return run;
}

Run installImport(DependencyAgent& agent, const QString& importName,
                  const InstallPolicy& policy = {},
                  std::function<void(const QString&)> onLine = nullptr) {
    return runJob(
        agent, [&] { return agent.installImport(importName, policy); }, std::move(onLine));
}

InstallPolicy approve(const QStringList& packages) {
    InstallPolicy policy;
    policy.approved = packages;
    return policy;
}

DependencyRules shippedRules() {
    QString error;
    const DependencyRules rules = DependencyRules::load(&error);
    if (!error.isEmpty())
        qWarning("%s", qPrintable(error));
    return rules;
}

QStringList entriesOf(const QString& dir) {
    return QDir(dir).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden);
}

// Runs the render Python with the layer on PYTHONPATH; returns stdout (and the exit code).
QByteArray runPython(const QString& code, const QString& pythonPath, int* exitCode) {
    QProcess python;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PYTHONPATH"), pythonPath);
    python.setProcessEnvironment(env);
    python.setStandardInputFile(QProcess::nullDevice());
    python.start(paths::renderPython(), {QStringLiteral("-c"), code});
    if (!python.waitForFinished(120000))
        python.kill();
    *exitCode = python.exitStatus() == QProcess::NormalExit ? python.exitCode() : -1;
    return python.readAllStandardOutput() + python.readAllStandardError();
}

} // namespace

class TestDependency : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<IsolatedEnvironment> env_; // one data folder for the whole test case
    QString yamlVersion_;                      // set by installApprovedPackage

    QString jobsLeftover() const {
        const QString work = QDir(paths::dataDir()).filePath(QStringLiteral("packages/local/work"));
        return entriesOf(work).join(QLatin1String(", "));
    }

    // Every process the job started is gone, with its whole group.
    static void verifyNoProcessLeft(const Run& run) {
        for (const qint64 pid : run.pids) {
            QVERIFY2(test::processGone(pid), qPrintable(QString::number(pid)));
            QVERIFY2(test::processGroupGone(pid), qPrintable(QString::number(pid)));
        }
    }

    static void verifyFinishedOnce(const Run& run) {
        QVERIFY2(!run.jobId.isEmpty(), "the job did not start");
        QVERIFY2(run.finishedCount == 1, run.describe().constData());
        QCOMPARE(run.result.result.jobId, run.jobId);
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFileInfo(paths::renderPython()).isExecutable(),
                 "no render Python: run scripts/setup.sh (or set OMEGA_VENV)");
        env_ = std::make_unique<IsolatedEnvironment>();
        QVERIFY(env_->isValid());
    }

    void cleanupTestCase() { env_.reset(); }

    // ---- the rules, pure --------------------------------------------------------------------

    void shippedRulesLoad() {
        QString error;
        const DependencyRules rules = DependencyRules::load(&error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(rules.packageForImport.size() >= 30);
        QVERIFY(rules.isAllowed(QStringLiteral("numpy")));
        QVERIFY(rules.isAllowed(QStringLiteral("PyYAML")));
        QVERIFY(rules.isAllowed(QStringLiteral("opencv_python_headless")));
        for (const char* core :
             {"manim", "ManimPango", "pycairo", "av", "moderngl", "pip", "setuptools", "wheel"})
            QVERIFY2(rules.isDenied(QString::fromLatin1(core)), core);
        // Nothing is both allowed and denied.
        QVERIFY(!rules.allowed.intersects(rules.denied));
    }

    void mappingLookups_data() {
        QTest::addColumn<QString>("importName");
        QTest::addColumn<QString>("package");
        QTest::newRow("cv2") << "cv2"
                             << "opencv-python-headless";
        QTest::newRow("PIL") << "PIL"
                             << "pillow";
        QTest::newRow("sklearn") << "sklearn"
                                 << "scikit-learn";
        QTest::newRow("yaml") << "yaml"
                              << "pyyaml";
        QTest::newRow("skimage") << "skimage"
                                 << "scikit-image";
        QTest::newRow("bs4") << "bs4"
                             << "beautifulsoup4";
        QTest::newRow("dateutil") << "dateutil"
                                  << "python-dateutil";
        QTest::newRow("submodule") << "yaml.constructor"
                                   << "pyyaml";
        QTest::newRow("unmapped: itself") << "sympy"
                                          << "sympy";
        QTest::newRow("unknown: itself") << "some_module"
                                         << "some_module";
    }
    void mappingLookups() {
        QFETCH(QString, importName);
        QFETCH(QString, package);
        const PackagePlan plan = planPackage(importName, shippedRules());
        QVERIFY2(!plan.refused, qPrintable(plan.reason));
        QCOMPARE(plan.package, package);
    }

    void manimIsACodeErrorNeverAPackage_data() {
        QTest::addColumn<QString>("name");
        QTest::newRow("manim") << "manim";
        QTest::newRow("manim.utils") << "manim.utils";
        QTest::newRow("manim.mobject.geometry") << "manim.mobject.geometry";
        QTest::newRow("manimlib (ManimGL)") << "manimlib";
    }
    void manimIsACodeErrorNeverAPackage() {
        QFETCH(QString, name);
        const PackagePlan plan = planPackage(name, shippedRules());
        QVERIFY(plan.refused);
        QVERIFY(plan.package.isEmpty());
        QCOMPARE_CATEGORY(plan.category, ErrorCategory::MissingManimName);
        QVERIFY2(plan.reason.contains(QLatin1String("code error")), qPrintable(plan.reason));
    }

    void nameCheck_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("validImport");
        QTest::addColumn<bool>("validPackage");
        QTest::newRow("plain") << "numpy" << true << true;
        QTest::newRow("dashed package") << "scikit-learn" << false << true;
        QTest::newRow("dotted package") << "ruamel.yaml" << false << true;
        QTest::newRow("shell") << "numpy; rm -rf /" << false << false;
        QTest::newRow("option") << "--index-url=http://evil" << false << false;
        QTest::newRow("short option") << "-e" << false << false;
        QTest::newRow("url") << "git+https://evil/x.git" << false << false;
        QTest::newRow("path") << "../../etc" << false << false;
        QTest::newRow("spec") << "numpy==1.0" << false << false;
        QTest::newRow("extras") << "numpy[all]" << false << false;
        QTest::newRow("space") << "num py" << false << false;
        QTest::newRow("newline") << "numpy\n--pre" << false << false;
        QTest::newRow("empty") << "" << false << false;
        QTest::newRow("unicode") << QStringLiteral("nümpy") << false << false;
        QTest::newRow("too long") << QString(101, QLatin1Char('a')) << false << false;
        QTest::newRow("leading underscore") << "_private" << true << false;
    }
    void nameCheck() {
        QFETCH(QString, name);
        QFETCH(bool, validImport);
        QFETCH(bool, validPackage);
        QCOMPARE(isValidImportName(name), validImport);
        QCOMPARE(isValidPackageName(name), validPackage);
    }

    void plansRefuseBadAndDeniedNames_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("category");
        QTest::newRow("shell") << "numpy; rm -rf /" << categoryName(ErrorCategory::CodeError);
        QTest::newRow("option") << "--index-url=http://evil"
                                << categoryName(ErrorCategory::CodeError);
        QTest::newRow("no package name") << "_private" << categoryName(ErrorCategory::CodeError);
        QTest::newRow("cairo → pycairo") << "cairo" << categoryName(ErrorCategory::Environment);
        QTest::newRow("manimpango") << "manimpango" << categoryName(ErrorCategory::Environment);
        QTest::newRow("pip") << "pip" << categoryName(ErrorCategory::Environment);
        QTest::newRow("pkg_resources → setuptools")
            << "pkg_resources" << categoryName(ErrorCategory::Environment);
        QTest::newRow("ambiguous google") << "google" << categoryName(ErrorCategory::MissingModule);
    }
    void plansRefuseBadAndDeniedNames() {
        QFETCH(QString, name);
        QFETCH(QString, category);
        const PackagePlan plan = planPackage(name, shippedRules());
        QVERIFY(plan.refused);
        QVERIFY(plan.package.isEmpty());
        QCOMPARE(categoryName(plan.category), category);
        QVERIFY(!plan.reason.isEmpty());
    }

    void approval() {
        const DependencyRules rules = shippedRules();
        QString why;
        // Allow-listed: only with --allow-listed-installs or by name.
        QVERIFY(!isApproved(QStringLiteral("pyyaml"), rules, {}, &why));
        QVERIFY2(why.contains(QLatin1String("--allow-listed-installs")), qPrintable(why));
        InstallPolicy listed;
        listed.allowListed = true;
        QVERIFY(isApproved(QStringLiteral("pyyaml"), rules, listed));
        QVERIFY(isApproved(QStringLiteral("PyYAML"), rules, approve({QStringLiteral("pyyaml")})));
        // Not listed: only by name, never by the allow-list switch.
        QVERIFY(!isApproved(QStringLiteral("leftpad-x"), rules, listed, &why));
        QVERIFY2(why.contains(QLatin1String("not on the allow list")), qPrintable(why));
        QVERIFY2(why.contains(QLatin1String("--allow-install leftpad-x")), qPrintable(why));
        QVERIFY(isApproved(QStringLiteral("leftpad-x"), rules,
                           approve({QStringLiteral("numpy"), QStringLiteral("Leftpad_X")})));
        QVERIFY(
            !isApproved(QStringLiteral("leftpad-x"), rules, approve({QStringLiteral("numpy")})));
    }

    void userRulesExtendButNeverUndeny() {
        const QString dir = QDir(paths::configDir()).filePath(QStringLiteral("dependencies"));
        QVERIFY(QDir().mkpath(dir));
        const QString policyPath = QDir(dir).filePath(QStringLiteral("policy.json"));
        const QString mappingPath = QDir(dir).filePath(QStringLiteral("import_to_package.json"));
        QVERIFY(test::writeFile(policyPath,
                                R"({"allow": ["manim", "leftpad-x"], "deny": ["pandas"]})"));
        QVERIFY(test::writeFile(mappingPath, R"({"packages": {"lp": "leftpad-x"}})"));
        QString error;
        DependencyRules rules = DependencyRules::load(&error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(planPackage(QStringLiteral("lp"), rules).package, QStringLiteral("leftpad-x"));
        QVERIFY(rules.isAllowed(QStringLiteral("leftpad-x")));
        QVERIFY(rules.isDenied(QStringLiteral("pandas")));
        QVERIFY(rules.isDenied(QStringLiteral("manim")));
        QVERIFY(planPackage(QStringLiteral("pandas"), rules).refused);
        QCOMPARE(planPackage(QStringLiteral("cv2"), rules).package,
                 QStringLiteral("opencv-python-headless"));
        // A broken user file stops installs (empty rules and an error), it never loosens them.
        QVERIFY(test::writeFile(policyPath, R"({"allow": ["numpy; rm -rf /"]})"));
        rules = DependencyRules::load(&error);
        QVERIFY(!error.isEmpty());
        QVERIFY(rules.allowed.isEmpty());
        QFile::remove(policyPath);
        QFile::remove(mappingPath);
    }

    void parsesRecordedPipReport() {
        QString error;
        const QList<ResolvedPackage> packages = parsePipReport(
            test::readFile(fixture(QStringLiteral("pip-report-scikit-image.json"))), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(packages.size(), 5);
        QCOMPARE(packages.first().name, QStringLiteral("scikit-image"));
        QCOMPARE(packages.first().version, QStringLiteral("0.26.0"));
        QVERIFY(packages.first().requested);
        QStringList names;
        for (const ResolvedPackage& p : packages) {
            QVERIFY2(!p.sha256.isEmpty(), qPrintable(p.name));
            names << normalizedPackageName(p.name);
        }
        // Recorded with the render environment pinned: what it has already is not reinstalled.
        for (const char* shared : {"numpy", "scipy", "networkx", "pillow"})
            QVERIFY2(!names.contains(QString::fromLatin1(shared)), shared);
        QVERIFY(names.contains(QStringLiteral("imageio")));

        // A report naming something that is not a package name is rejected whole.
        const QByteArray evil = "{\"install\": [{\"metadata\": {\"name\": "
                                "\"--index-url=http://evil\", \"version\": \"1.0\"}, "
                                "\"requested\": true}]}";
        QVERIFY(parsePipReport(evil, &error).isEmpty());
        QVERIFY(!error.isEmpty());
        QVERIFY(parsePipReport("not json", &error).isEmpty());
        QVERIFY(!error.isEmpty());
    }

    void summarizesRecordedPipErrors() {
        const QString notFound = summarizePipError(
            QString::fromUtf8(test::readFile(fixture(QStringLiteral("pip-output-not-found.txt")))));
        QVERIFY2(notFound.contains(
                     QLatin1String("No matching distribution found for omega-nonexistent-zq7x")),
                 qPrintable(notFound));
        QVERIFY(!notFound.contains(QLatin1String("ERROR:")));
        QVERIFY(!notFound.contains(QLatin1String("Looking in")));
        const QString conflict = summarizePipError(
            QString::fromUtf8(test::readFile(fixture(QStringLiteral("pip-output-conflict.txt")))));
        QVERIFY2(conflict.contains(QLatin1String("numba 0.59.1 depends on numpy<1.27")),
                 qPrintable(conflict));
        QVERIFY2(conflict.contains(QLatin1String("numpy==2.4.6")), qPrintable(conflict));
        QVERIFY(conflict.size() <= 600);
    }

    // ---- the agent: refusals and questions, no pip --------------------------------------------

    void stdlibRefused_data() {
        QTest::addColumn<QString>("name");
        QTest::newRow("os") << "os";
        QTest::newRow("sys") << "sys";
        QTest::newRow("json") << "json";
        QTest::newRow("subprocess") << "subprocess";
        QTest::newRow("tomllib") << "tomllib";
    }
    void stdlibRefused() {
        QFETCH(QString, name);
        DependencyAgent agent;
        InstallPolicy policy = approve({name}); // approval never overrides the standard library
        policy.allowListed = true;
        const Run run = installImport(agent, name, policy);
        verifyFinishedOnce(run);
        QCOMPARE_OUTCOME(run.result.outcome, Outcome::Refused);
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QVERIFY2(run.result.reason.contains(QLatin1String("standard library")),
                 run.describe().constData());
        QVERIFY(!run.startedPip());
        QVERIFY(!QFileInfo::exists(DependencyAgent::recordPath()));
        verifyNoProcessLeft(run);
    }

    void manimRefusedWithoutAnyProcess_data() {
        QTest::addColumn<int>("category");
        QTest::addColumn<QString>("name");
        QTest::newRow("missing manim") << int(ErrorCategory::MissingModule) << "manim";
        QTest::newRow("missing manim.utils") << int(ErrorCategory::MissingModule) << "manim.utils";
        QTest::newRow("cannot import name X from manim")
            << int(ErrorCategory::MissingManimName) << "manim";
    }
    void manimRefusedWithoutAnyProcess() {
        QFETCH(int, category);
        QFETCH(QString, name);
        ErrorReport report;
        report.category = ErrorCategory(category);
        report.missingName = name;
        DependencyAgent agent;
        InstallPolicy policy = approve({QStringLiteral("manim")});
        policy.allowListed = true;
        const Run run = runJob(agent, [&] { return agent.install(report, policy); });
        verifyFinishedOnce(run);
        QCOMPARE_OUTCOME(run.result.outcome, Outcome::Refused);
        QVERIFY(!run.result.result.ok()); // never "already satisfied" counted as success
        QVERIFY2(run.result.reason.contains(QLatin1String("this is a code error")),
                 run.describe().constData());
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::MissingManimName);
        QVERIFY(!run.startedAnyProcess());
    }

    void maliciousNamesRefused_data() {
        QTest::addColumn<QString>("name");
        QTest::newRow("shell") << "numpy; rm -rf /";
        QTest::newRow("option") << "--index-url=http://evil";
        QTest::newRow("requirement file") << "-r/etc/passwd";
        QTest::newRow("url") << "https://evil.example/x.whl";
    }
    void maliciousNamesRefused() {
        QFETCH(QString, name);
        DependencyAgent agent;
        InstallPolicy policy = approve({name});
        policy.allowListed = true;
        ErrorReport report;
        report.category = ErrorCategory::MissingModule;
        report.missingName = name;
        const Run run = runJob(agent, [&] { return agent.install(report, policy); });
        verifyFinishedOnce(run);
        QCOMPARE_OUTCOME(run.result.outcome, Outcome::Refused);
        QVERIFY(run.result.package.isEmpty());
        QVERIFY2(run.result.reason.contains(QLatin1String("not a valid Python module name")),
                 run.describe().constData());
        QVERIFY(!run.startedAnyProcess());
    }

    void notApprovedNeedsApproval() {
        DependencyAgent agent;
        // On the allow list, but the caller approved nothing.
        Run run = installImport(agent, QStringLiteral("yaml"));
        verifyFinishedOnce(run);
        QCOMPARE_OUTCOME(run.result.outcome, Outcome::NeedsApproval);
        QCOMPARE(run.result.package, QStringLiteral("pyyaml"));
        QCOMPARE(run.result.importName, QStringLiteral("yaml"));
        QVERIFY2(run.result.reason.contains(QLatin1String("--allow-install pyyaml")),
                 run.describe().constData());
        QVERIFY(!run.result.result.ok());
        QVERIFY(!run.startedPip());
        verifyNoProcessLeft(run);

        // Not on the allow list: --allow-listed-installs is not enough.
        InstallPolicy listed;
        listed.allowListed = true;
        run = installImport(agent, QStringLiteral("omega_unlisted_zq7x"), listed);
        verifyFinishedOnce(run);
        QCOMPARE_OUTCOME(run.result.outcome, Outcome::NeedsApproval);
        QCOMPARE(run.result.package, QStringLiteral("omega_unlisted_zq7x"));
        QVERIFY2(run.result.reason.contains(QLatin1String("not on the allow list")),
                 run.describe().constData());
        QVERIFY(!run.startedPip());
        QVERIFY(!QFileInfo::exists(DependencyAgent::layerDir()));
        QVERIFY(!QFileInfo::exists(DependencyAgent::recordPath()));
        QVERIFY2(jobsLeftover().isEmpty(), qPrintable(jobsLeftover()));
    }

    void venvModuleAlreadyAvailable() {
        DependencyAgent agent;
        const Run run =
            installImport(agent, QStringLiteral("networkx"), approve({QStringLiteral("networkx")}));
        verifyFinishedOnce(run);
        QCOMPARE_OUTCOME(run.result.outcome, Outcome::AlreadyAvailable);
        QVERIFY(!run.result.result.ok()); // not an install: the caller treats it as a code error
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::CodeError);
        QCOMPARE(run.result.package, QStringLiteral("networkx"));
        QCOMPARE(run.result.version, QStringLiteral("3.6.1"));
        QVERIFY2(run.result.reason.contains(QLatin1String("render environment")),
                 run.describe().constData());
        QVERIFY(!run.startedPip());
    }

    void oneJobAtATime() {
        DependencyAgent agent;
        Run run;
        Recorder recorder(agent, run);
        run.jobId = agent.installImport(QStringLiteral("yaml"), {});
        QVERIFY(!run.jobId.isEmpty());
        QVERIFY(agent.isRunning());
        QVERIFY(agent.installImport(QStringLiteral("cv2"), {}).isEmpty());
        QVERIFY(QTest::qWaitFor([&run] { return run.finishedCount > 0; }, 60000));
        QTest::qWait(20);
        QCOMPARE(run.finishedCount, 1);
        QCOMPARE(run.result.importName, QStringLiteral("yaml"));
        QVERIFY(!agent.isRunning());
    }

    // ---- the agent with pip: the one real install and what follows from it -------------------

    // The whole story with the real classifier: the scene fails with a missing module, the
    // agent asks for approval, installs once approved, and the scene renders.
    void missingModuleReportFromARender() {
        const QString script = QDir(env_->workDir()).filePath(QStringLiteral("yaml_scene.py"));
        QFile::remove(script);
        QVERIFY(QFile::copy(fixture(QStringLiteral("yaml_scene.py")), script));
        ManimExecutionAgent renderer;
        RenderOptions options;
        options.scriptPath = script;
        options.quality = Quality::Low;
        options.lastFrameOnly = true;
        options.timeoutSec = 120;
        options.backend = RenderBackend::Local; // the environment renderEnvironment() builds
        QSignalSpy rendered(&renderer, &ManimExecutionAgent::finished);
        QVERIFY(!renderer.render(options).isEmpty());
        QVERIFY(rendered.wait(180000));
        const RenderResult failed = rendered.first().first().value<RenderResult>();
        QVERIFY(!failed.result.ok());
        QCOMPARE_CATEGORY(failed.result.error.category, ErrorCategory::MissingModule);
        QCOMPARE(failed.result.error.missingName, QStringLiteral("yaml"));

        DependencyAgent agent;
        const Run run = runJob(agent, [&] { return agent.install(failed.result.error, {}); });
        verifyFinishedOnce(run);
        QCOMPARE_OUTCOME(run.result.outcome, Outcome::NeedsApproval);
        QCOMPARE(run.result.package, QStringLiteral("pyyaml"));
        QVERIFY(!run.startedPip());
    }

    void installApprovedPackage() {
        DependencyAgent agent;
        ErrorReport report;
        report.category = ErrorCategory::MissingModule;
        report.missingName = QStringLiteral("yaml");
        const Run run = runJob(
            agent, [&] { return agent.install(report, approve({QStringLiteral("pyyaml")})); });
        verifyFinishedOnce(run);
        QVERIFY2(run.result.outcome == Outcome::Installed, run.describe().constData());
        QVERIFY(run.result.result.ok());
        QCOMPARE(normalizedPackageName(run.result.package), QStringLiteral("pyyaml"));
        QVERIFY2(QRegularExpression(QStringLiteral("^\\d+(\\.\\d+)+$"))
                     .match(run.result.version)
                     .hasMatch(),
                 qPrintable(run.result.version));
        QVERIFY(run.result.dependencies.isEmpty());
        QCOMPARE(run.result.layerDir, DependencyAgent::layerDir());
        QVERIFY(run.startedPip());
        verifyNoProcessLeft(run);
        yamlVersion_ = run.result.version;

        // The resolver ran with a pin-everything constraints file, and the install was pinned.
        bool pinned = false;
        for (const QString& line : run.lines)
            pinned = pinned || line.contains(QLatin1String("--constraint"));
        QVERIFY(pinned);

        // The record: written once, complete.
        const QList<InstalledPackage> installed = DependencyAgent::installedPackages();
        QCOMPARE(installed.size(), 1);
        QCOMPARE(installed.first().package, run.result.package);
        QCOMPARE(installed.first().version, run.result.version);
        QCOMPARE(installed.first().importName, QStringLiteral("yaml"));
        QCOMPARE(installed.first().profile, QStringLiteral("local"));
        QVERIFY(installed.first().installedAt.isValid());
        QVERIFY(qAbs(installed.first().installedAt.secsTo(QDateTime::currentDateTimeUtc())) < 600);

        // The layer holds pyyaml and nothing of the venv's; no work folder is left.
        const QStringList layer = entriesOf(DependencyAgent::layerDir());
        QVERIFY2(layer.contains(QStringLiteral("yaml")), qPrintable(layer.join(QLatin1Char(' '))));
        for (const QString& entry : layer) {
            if (entry.endsWith(QLatin1String(".dist-info")))
                QVERIFY2(entry.startsWith(QLatin1String("pyyaml-"), Qt::CaseInsensitive),
                         qPrintable(entry));
            QVERIFY2(!entry.startsWith(QLatin1String("numpy")), qPrintable(entry));
        }
        QVERIFY2(jobsLeftover().isEmpty(), qPrintable(jobsLeftover()));
        QVERIFY(!QFileInfo::exists(
            QDir(paths::dataDir()).filePath(QStringLiteral("packages/local/.lock"))));
    }

    void renderPythonImportsItBesideManim() {
        if (yamlVersion_.isEmpty())
            QSKIP("needs installApprovedPackage");
        int exitCode = -1;
        const QByteArray out =
            runPython(QStringLiteral("import manim, yaml, numpy\n"
                                     "print(manim.__version__, yaml.__version__)\n"
                                     "print(yaml.__file__)\nprint(numpy.__file__)\n"),
                      DependencyAgent::layerDir(), &exitCode);
        QVERIFY2(exitCode == 0, out.constData());
        const QStringList lines = QString::fromUtf8(out).trimmed().split(QLatin1Char('\n'));
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines.at(0), QStringLiteral("0.22.0 ") + yamlVersion_);
        QVERIFY2(lines.at(1).startsWith(DependencyAgent::layerDir()), qPrintable(lines.at(1)));
        // The venv's own numpy, not a copy in the layer.
        QVERIFY2(lines.at(2).startsWith(paths::venvDir()), qPrintable(lines.at(2)));
        // Without the layer, the venv itself still has no yaml: nothing went into it.
        const QByteArray without = runPython(QStringLiteral("import yaml"), QString(), &exitCode);
        QVERIFY2(exitCode != 0, without.constData());
        QVERIFY(without.contains("No module named 'yaml'"));
    }

    void secondRequestAlreadyAvailable() {
        if (yamlVersion_.isEmpty())
            QSKIP("needs installApprovedPackage");
        DependencyAgent agent;
        const Run run =
            installImport(agent, QStringLiteral("yaml"), approve({QStringLiteral("pyyaml")}));
        verifyFinishedOnce(run);
        QCOMPARE_OUTCOME(run.result.outcome, Outcome::AlreadyAvailable);
        QVERIFY(!run.result.result.ok());
        QCOMPARE(run.result.version, yamlVersion_);
        QVERIFY2(run.result.reason.contains(QLatin1String("package layer")),
                 run.describe().constData());
        QVERIFY2(run.result.reason.contains(QLatin1String("not from a missing package")),
                 run.describe().constData());
        QVERIFY(!run.startedPip());
        QCOMPARE(DependencyAgent::installedPackages().size(), 1);
    }

    void renderUsesTheLayer() {
        if (yamlVersion_.isEmpty())
            QSKIP("needs installApprovedPackage");
        const QString script = QDir(env_->workDir()).filePath(QStringLiteral("yaml_scene.py"));
        QFile::remove(script);
        QVERIFY(QFile::copy(fixture(QStringLiteral("yaml_scene.py")), script));
        ManimExecutionAgent renderer;
        RenderOptions options;
        options.scriptPath = script;
        options.quality = Quality::Low;
        options.lastFrameOnly = true;
        options.timeoutSec = 120;
        options.backend = RenderBackend::Local; // the environment renderEnvironment() builds
        QSignalSpy rendered(&renderer, &ManimExecutionAgent::finished);
        QVERIFY(!renderer.render(options).isEmpty());
        QVERIFY(rendered.wait(180000));
        const RenderResult result = rendered.first().first().value<RenderResult>();
        QVERIFY2(result.result.ok(), qPrintable(result.result.error.message + QLatin1Char('\n') +
                                                result.result.error.detail.right(2000)));
        QCOMPARE(result.outputs.size(), 1);
        QVERIFY(test::isNonEmptyFile(result.outputs.first().path));
    }

    // ---- failures: nothing recorded, no process left -----------------------------------------

    void nonexistentPackageFails() {
        DependencyAgent agent;
        const Run run = installImport(agent, QStringLiteral("omega_nonexistent_zq7x"),
                                      approve({QStringLiteral("omega-nonexistent-zq7x")}));
        verifyFinishedOnce(run);
        QCOMPARE_OUTCOME(run.result.outcome, Outcome::Failed);
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QVERIFY(run.startedPip());
        QVERIFY2(run.result.reason.contains(QLatin1String("found no installable version")),
                 run.describe().constData());
        // pip's own words, summarized: the ERROR lines without the prefix.
        QVERIFY2(run.result.reason.contains(QLatin1String("No matching distribution found")),
                 run.describe().constData());
        QVERIFY(run.result.reason.size() < 1200);
        verifyNoProcessLeft(run);
        QVERIFY(DependencyAgent::installedPackages().size() <= 1); // pyyaml at most
        QVERIFY2(jobsLeftover().isEmpty(), qPrintable(jobsLeftover()));
    }

    void timeoutStopsPip() {
        const QList<InstalledPackage> before = DependencyAgent::installedPackages();
        DependencyAgent agent;
        agent.setTimeoutMs(300);
        const Run run =
            installImport(agent, QStringLiteral("six"), approve({QStringLiteral("six")}));
        verifyFinishedOnce(run);
        QCOMPARE_OUTCOME(run.result.outcome, Outcome::Failed);
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::Timeout);
        QVERIFY2(run.result.reason.contains(QLatin1String("took longer")),
                 run.describe().constData());
        QVERIFY(run.startedPip());
        QVERIFY(!run.pids.isEmpty());
        verifyNoProcessLeft(run);
        QCOMPARE(DependencyAgent::installedPackages().size(), before.size());
        QVERIFY(!QFileInfo::exists(DependencyAgent::layerDir() + QStringLiteral("/six.py")));
        QVERIFY2(jobsLeftover().isEmpty(), qPrintable(jobsLeftover()));
        QCOMPARE(agent.currentPid(), qint64(0));
    }

    void cancelLeavesNothing() {
        const QByteArray recordBefore = test::readFile(DependencyAgent::recordPath());
        const QStringList layerBefore = entriesOf(DependencyAgent::layerDir());
        DependencyAgent agent;
        const Run run =
            installImport(agent, QStringLiteral("six"), approve({QStringLiteral("six")}),
                          [&agent](const QString& line) {
                              if (line.startsWith(QLatin1String("$ python -m pip")))
                                  agent.cancel();
                          });
        verifyFinishedOnce(run);
        QCOMPARE_OUTCOME(run.result.outcome, Outcome::Failed);
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Cancelled);
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::Cancelled);
        QVERIFY(!run.pids.isEmpty());
        verifyNoProcessLeft(run);
        QCOMPARE(test::readFile(DependencyAgent::recordPath()), recordBefore);
        QCOMPARE(entriesOf(DependencyAgent::layerDir()), layerBefore);
        QVERIFY2(jobsLeftover().isEmpty(), qPrintable(jobsLeftover()));
        QVERIFY(!agent.isRunning());
        QCOMPARE(agent.currentPid(), qint64(0));
    }

    void cancelBeforeAnythingRuns() {
        DependencyAgent agent;
        Run run;
        Recorder recorder(agent, run);
        run.jobId = agent.installImport(QStringLiteral("six"), approve({QStringLiteral("six")}));
        agent.cancel();
        QVERIFY(QTest::qWaitFor([&run] { return run.finishedCount > 0; }, 30000));
        QTest::qWait(50);
        QCOMPARE(run.finishedCount, 1);
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Cancelled);
        QVERIFY(!run.startedAnyProcess());
        QVERIFY2(jobsLeftover().isEmpty(), qPrintable(jobsLeftover()));
    }
};

QTEST_GUILESS_MAIN(TestDependency)
#include "tst_dependency.moc"
