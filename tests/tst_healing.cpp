// The self-healing loop end to end (issue #4): `omega render FILE --heal` and
// `omega generate … --render --heal` with the real venv Python and Manim (-ql, local backend),
// the fake AI provider server in this process answering with scripted fixes, and the
// HealingPipeline itself where a test needs to reach inside (cancel, the attempt records).
//
// Every defect of the original system that concerns healing is a test here (seed inventory):
//   1. the AI's fix is applied, rendered and kept        correctFixIsAppliedRenderedAndKept, …
//   2. no provider / provider error never loops          noProvider…, providerErrorStops…
//   3. an error naming manim never installs a package    manimNamesNeverInstall
//   4. timeouts, attempt cap (3), cancellable            neverFixingAi…, cancel…, wallTime…
//   9. each attempt is its own record                    eachAttemptIsItsOwnRecord*
// plus the broken-script corpus (tests/fixtures/healing/corpus, one file per category, its
// expected first classification and outcome in its header) run one file at a time.
#include "AiTestSupport.h"
#include "FakeProviderServer.h"
#include "HealingPipeline.h"
#include "Paths.h"
#include "TestSupport.h"

#include <QDirIterator>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QtTest>

#include <csignal>

using namespace omega;
using omega::aitest::ProcessRun;

namespace {

QString corpusDir() {
    return QStringLiteral(OMEGA_FIXTURES_DIR "/healing/corpus");
}
QString fixesDir() {
    return QStringLiteral(OMEGA_FIXTURES_DIR "/healing/fixes");
}

QString readText(const QString& path) {
    return QString::fromUtf8(test::readFile(path));
}

// What the fake model writes: a sentence, the whole file in a ```python block, a sentence.
QString answerWith(const QString& script) {
    QString code = script;
    if (!code.endsWith(QLatin1Char('\n')))
        code += QLatin1Char('\n');
    return QStringLiteral("Here is the corrected file.\n\n```python\n") + code +
           QStringLiteral("```\n\nThe error came from the line shown in the traceback.\n");
}

// Scripts compared the way the loop compares them (line endings, trailing blanks ignored).
bool same(const QString& a, const QString& b) {
    return sameScript(a, b);
}

// A script that always fails at render time with its own message (the gate cannot see it).
QString stillBroken(int n) {
    return QStringLiteral("from manim import *\n\n\n"
                          "class Ratio(Scene):\n"
                          "    def construct(self):\n"
                          "        self.play(Create(Square()), run_time=0.25)\n"
                          "        raise ValueError(\"still broken, variant %1\")\n")
        .arg(n);
}

// The expectations in a corpus file's header.
struct CorpusCase {
    QString file;
    QString first;   // category of attempt 1's error, "none" when attempt 1 rendered
    QString outcome; // fixed-by-rewrite, fixed-by-install, needs-AI, stops-environment, …
    QStringList args;
};

CorpusCase readCorpusCase(const QString& path) {
    CorpusCase c;
    c.file = QFileInfo(path).fileName();
    const QStringList lines = readText(path).split(QLatin1Char('\n'));
    for (const QString& line : lines) {
        if (!line.startsWith(QLatin1Char('#')))
            break;
        const QString text = line.mid(1).trimmed();
        auto value = [&](const QString& key) {
            return text.startsWith(key) ? text.mid(key.size()).trimmed() : QString();
        };
        if (const QString v = value(QStringLiteral("expect-first:")); !v.isEmpty())
            c.first = v;
        if (const QString v = value(QStringLiteral("expect-outcome:")); !v.isEmpty())
            c.outcome = v;
        if (const QString v = value(QStringLiteral("heal-args:")); !v.isEmpty())
            c.args = v.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    }
    return c;
}

// Processes whose command line has an argument equal to "manim" and one containing `token`
// (the render of a script whose name holds the token). The omega process itself has no
// "manim" argument.
QList<qint64> manimProcessesWith(const QString& token) {
    QList<qint64> pids;
    const QDir proc(QStringLiteral("/proc"));
    for (const QString& entry : proc.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool numeric = false;
        const qint64 pid = entry.toLongLong(&numeric);
        if (!numeric)
            continue;
        QFile file(proc.filePath(entry + QStringLiteral("/cmdline")));
        if (!file.open(QIODevice::ReadOnly))
            continue;
        const QList<QByteArray> args = file.readAll().split('\0');
        bool hasManim = false;
        bool hasToken = false;
        for (const QByteArray& arg : args) {
            hasManim |= arg == "manim";
            hasToken |= arg.contains(token.toUtf8());
        }
        if (hasManim && hasToken)
            pids << pid;
    }
    return pids;
}

// One `omega … --heal --json` run and its JSON.
struct HealRun {
    ProcessRun run;
    QJsonObject json;

    QString status() const { return json.value(QLatin1String("status")).toString(); }
    QJsonObject error() const { return json.value(QLatin1String("error")).toObject(); }
    QString category() const { return error().value(QLatin1String("category")).toString(); }
    QJsonArray attempts() const { return json.value(QLatin1String("attempts")).toArray(); }
    QJsonObject attempt(int i) const { return attempts().at(i).toObject(); }
    QString attemptCategory(int i) const {
        return attempt(i)
            .value(QLatin1String("error"))
            .toObject()
            .value(QLatin1String("category"))
            .toString(QStringLiteral("none"));
    }
    QStringList fixSources() const {
        QStringList sources;
        for (const QJsonValue& a : attempts())
            sources << a.toObject().value(QLatin1String("fix_source")).toString();
        return sources;
    }
    int renderedAttempts() const {
        int n = 0;
        for (const QJsonValue& a : attempts())
            n += a.toObject().value(QLatin1String("rendered")).toBool() ? 1 : 0;
        return n;
    }
    int aiRequests() const { return json.value(QLatin1String("ai_requests")).toInt(-1); }
    int tokensUsed() const { return json.value(QLatin1String("tokens_used")).toInt(-1); }
    int rendersAvoided() const { return json.value(QLatin1String("renders_avoided")).toInt(-1); }
    QByteArray describe() const { return run.describe(); }
};

} // namespace

class TestHealing : public QObject {
    Q_OBJECT

private:
    FakeProviderServer server_;
    QTemporaryDir root_;
    QString sharedData_; // data folder of most runs: Manim's names cache is built once
    QString config_;
    QStringList answers_; // the fake's next answers, one per AI request (then the last stays)
    int counter_ = 0;

    QString base() const { return server_.baseUrl().toString(QUrl::StripTrailingSlash); }

    QString newDir(const QString& prefix) {
        const QString dir = QDir(root_.path()).filePath(prefix + QString::number(++counter_));
        QDir().mkpath(dir);
        return dir;
    }

    // A data folder of its own (its log and package layer belong to one test), with the
    // gate's cached Manim names copied in so the first check stays fast.
    QString freshData() {
        const QString dir = newDir(QStringLiteral("data-"));
        const QDir cache(QDir(sharedData_).filePath(QStringLiteral("cache")));
        QDir().mkpath(QDir(dir).filePath(QStringLiteral("cache")));
        for (const QString& name : cache.entryList(QDir::Files))
            QFile::copy(cache.filePath(name), QDir(dir).filePath(QStringLiteral("cache/") + name));
        return dir;
    }

    QProcessEnvironment childEnv(const QString& dataDir) const {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const QString& name : aitest::keyVariables())
            env.remove(name);
        for (const char* name :
             {"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
              "no_proxy", "NO_PROXY", "DBUS_SESSION_BUS_ADDRESS",
              // Without a bus address but with an X display, D-Bus would autolaunch a bus of
              // its own and the keychain lookup would wait for its time limit on every run.
              "DISPLAY", "WAYLAND_DISPLAY"})
            env.remove(QString::fromLatin1(name));
        env.insert(QStringLiteral("OMEGA_DATA_DIR"), dataDir);
        env.insert(QStringLiteral("OMEGA_CONFIG_DIR"), config_);
        env.insert(keyEnvironmentVariable(ProviderType::OpenAI), aitest::kTestKey);
        return env;
    }

    QStringList providerArgs() const {
        return {QStringLiteral("--provider"),        QStringLiteral("openai"),
                QStringLiteral("--endpoint"),        base() + QStringLiteral("/v1"),
                QStringLiteral("--model"),           QStringLiteral("gpt-test"),
                QStringLiteral("--request-timeout"), QStringLiteral("30")};
    }

    HealRun omega(const QStringList& args, const QString& dataDir, int timeoutMs = 240000) {
        HealRun heal;
        heal.run = aitest::runProcess(test::omegaBinary(), args, childEnv(dataDir), {}, timeoutMs,
                                      root_.path());
        heal.json = heal.run.json();
        return heal;
    }

    // omega render SCRIPT --heal --json at -ql on the local backend.
    HealRun heal(const QString& script, const QStringList& extra = {}, bool withProvider = true,
                 QString dataDir = QString()) {
        QStringList args{QStringLiteral("render"),    script,
                         QStringLiteral("--heal"),    QStringLiteral("--json"),
                         QStringLiteral("--backend"), QStringLiteral("local"),
                         QStringLiteral("-q"),        QStringLiteral("l")};
        if (withProvider)
            args += providerArgs();
        args += extra;
        return omega(args, dataDir.isEmpty() ? sharedData_ : dataDir);
    }

    // A copy of a corpus file in a folder of its own (healing writes the file back).
    QString copyCorpus(const QString& name, const QString& newName = QString()) {
        const QString dir = newDir(QStringLiteral("work-"));
        const QString target = QDir(dir).filePath(newName.isEmpty() ? name : newName);
        if (!QFile::copy(QDir(corpusDir()).filePath(name), target))
            return {};
        QFile::setPermissions(target, QFile::ReadOwner | QFile::WriteOwner);
        return target;
    }

    QString writeScript(const QString& name, const QString& text) {
        const QString path = QDir(newDir(QStringLiteral("work-"))).filePath(name);
        return test::writeFile(path, text.toUtf8()) ? path : QString();
    }

    QString fixFor(const QString& name) const { return readText(QDir(fixesDir()).filePath(name)); }

    // AI requests the fake received (model lists and control calls excluded).
    int serverAiRequests() const {
        int n = 0;
        for (const RecordedRequest& request : server_.requests())
            n += request.scenario.isEmpty() ? 0 : 1;
        return n;
    }

    // pip runs the dependency agent logged in a data folder of its own.
    static int pipRuns(const QString& dataDir) {
        int n = 0;
        const QStringList lines = readText(QDir(dataDir).filePath(QStringLiteral("logs/omega.log")))
                                      .split(QLatin1Char('\n'));
        for (const QString& line : lines)
            n += line.contains(QLatin1String(" -m pip ")) ? 1 : 0;
        return n;
    }
    static int logLinesOf(const QString& dataDir, const QString& agent) {
        int n = 0;
        const QStringList lines = readText(QDir(dataDir).filePath(QStringLiteral("logs/omega.log")))
                                      .split(QLatin1Char('\n'));
        for (const QString& line : lines)
            n += line.contains(QLatin1Char(' ') + agent + QLatin1Char(' ')) ? 1 : 0;
        return n;
    }
    static bool somethingInstalled(const QString& dataDir) {
        const QString packages = QDir(dataDir).filePath(QStringLiteral("packages"));
        if (QFileInfo::exists(QDir(packages).filePath(QStringLiteral("local/installed.json"))))
            return true;
        const QDir site(QDir(packages).filePath(QStringLiteral("local/site")));
        return site.exists() && !site.entryList(QDir::AllEntries | QDir::NoDotAndDotDot).isEmpty();
    }

    // The in-process pipeline's options: -ql, local backend, the fake as the only provider.
    RenderOptions renderOptions(const QString& script) const {
        RenderOptions options;
        options.scriptPath = script;
        options.quality = Quality::Low;
        options.backend = RenderBackend::Local;
        options.timeoutSec = 120;
        return options;
    }
    HealingOptions healingOptions(bool withProvider = true) const {
        HealingOptions healing;
        if (withProvider) {
            ProviderConfig config = aitest::configFor(
                aitest::providerCase(QStringLiteral("openai")), server_.baseUrl());
            healing.providers = {config};
            healing.keys = {{config.name, aitest::kTestKey}};
        }
        return healing;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFileInfo(paths::renderPython()).isExecutable(),
                 "no render Python: run scripts/setup.sh (or set OMEGA_VENV)");
        QVERIFY2(QFileInfo(test::omegaBinary()).isExecutable(), "the omega binary is not built");
        QVERIFY(root_.isValid());
        QVERIFY2(server_.listen(), qPrintable(server_.errorString()));
        sharedData_ = newDir(QStringLiteral("data-shared-"));
        config_ = newDir(QStringLiteral("config-"));
        // The in-process pipelines use the same folders.
        qputenv("OMEGA_DATA_DIR", sharedData_.toUtf8());
        qputenv("OMEGA_CONFIG_DIR", config_.toUtf8());
        // One answer per AI request when a test queued several; the last one then stays.
        connect(&server_, &FakeProviderServer::requestReceived, this,
                [this](const RecordedRequest& request) {
                    if (!request.scenario.isEmpty() && !answers_.isEmpty())
                        server_.setAnswer(answers_.takeFirst());
                });
        // Builds the gate's cache of Manim's names once.
        const HealRun check = omega({QStringLiteral("check"),
                                     QDir(corpusDir()).filePath(QStringLiteral("zero_division.py")),
                                     QStringLiteral("--json")},
                                    sharedData_);
        QVERIFY2(check.run.finishedInTime &&
                     check.json.value(QLatin1String("manim_version")) == QLatin1String("0.22.0"),
                 check.describe());
    }

    void init() {
        server_.reset();
        answers_.clear();
    }

    // ---- Defect 1: the AI's fix is applied, rendered and kept

    void correctFixIsAppliedRenderedAndKept() {
        const QString script = copyCorpus(QStringLiteral("zero_division.py"));
        const QString original = readText(script);
        const QString fix = fixFor(QStringLiteral("zero_division.py"));
        server_.setAnswer(answerWith(fix));

        const HealRun run = heal(script);
        QVERIFY2(run.run.finishedInTime, run.describe());
        QCOMPARE(run.run.exitCode, 0);
        QCOMPARE(run.status(), QStringLiteral("ok"));
        // Success on attempt 2, after exactly one AI request.
        QCOMPARE(run.attempts().size(), 2);
        QCOMPARE(run.aiRequests(), 1);
        QCOMPARE(serverAiRequests(), 1);
        QCOMPARE(run.fixSources(), (QStringList{QStringLiteral("original"), QStringLiteral("ai")}));
        QCOMPARE(run.attemptCategory(0), QStringLiteral("code-error"));
        QCOMPARE(run.attemptCategory(1), QStringLiteral("none"));
        QVERIFY(run.attempt(1).value(QLatin1String("rendered")).toBool());
        QVERIFY(run.attempt(1)
                    .value(QLatin1String("fix_detail"))
                    .toString()
                    .contains(QLatin1String("gpt-test")));
        // The fix is what was rendered: attempt 2's diff is the fix's change…
        const QString diff = run.attempt(1).value(QLatin1String("diff")).toString();
        QVERIFY2(diff.contains(QLatin1String("-        count = 0")) &&
                     diff.contains(QLatin1String("+        count = 2")),
                 qPrintable(diff));
        // … its video exists …
        const QJsonArray outputs = run.json.value(QLatin1String("outputs")).toArray();
        QCOMPARE(outputs.size(), 1);
        QVERIFY(
            test::isNonEmptyFile(outputs.at(0).toObject().value(QLatin1String("path")).toString()));
        // … and it is kept: written back to the file, the original in FILE.bak.
        QVERIFY(run.json.value(QLatin1String("script_changed")).toBool());
        QCOMPARE(run.json.value(QLatin1String("backup_file")).toString(),
                 script + QStringLiteral(".bak"));
        QVERIFY(same(readText(script), fix));
        QCOMPARE(readText(script + QStringLiteral(".bak")), original);
        // The request carried the script, the error and the pinned Manim version.
        const QByteArray body = server_.requests().last().body;
        QVERIFY(body.contains("ZeroDivisionError"));
        QVERIFY(body.contains("count = 0"));
        QVERIFY(body.contains("0.22.0"));
    }

    // The fix goes through the same gate: a fix that still uses a ManimGL name is rewritten,
    // rendered, and that is what is kept.
    void aiFixGoesThroughTheGate() {
        const QString script = copyCorpus(QStringLiteral("zero_division.py"));
        QString fix = fixFor(QStringLiteral("zero_division.py"));
        fix.replace(QStringLiteral("Create("), QStringLiteral("ShowCreation("));
        server_.setAnswer(answerWith(fix));
        const HealRun run = heal(script);
        QVERIFY2(run.status() == QLatin1String("ok"), run.describe());
        QCOMPARE(run.attempts().size(), 2);
        QCOMPARE(run.aiRequests(), 1);
        QCOMPARE(run.attempt(1).value(QLatin1String("fix_source")).toString(),
                 QStringLiteral("ai"));
        QVERIFY2(run.attempt(1)
                     .value(QLatin1String("fix_detail"))
                     .toString()
                     .contains(QLatin1String("show-creation")),
                 run.describe());
        const QString kept = readText(script);
        QVERIFY(kept.contains(QLatin1String("Create(Square()")));
        QVERIFY(!kept.contains(QLatin1String("ShowCreation")));
    }

    // omega generate … --render --heal: the generated script fails, the AI's fix is kept.
    void generateRenderHealKeepsTheFix() {
        const QString broken =
            readText(QDir(corpusDir()).filePath(QStringLiteral("zero_division.py")));
        const QString fix = fixFor(QStringLiteral("zero_division.py"));
        answers_ = {answerWith(broken), answerWith(fix)};
        const QString output =
            QDir(newDir(QStringLiteral("work-"))).filePath(QStringLiteral("gen.py"));
        QStringList args{QStringLiteral("generate"),
                         QStringLiteral("a square, scaled"),
                         QStringLiteral("--render"),
                         QStringLiteral("--heal"),
                         QStringLiteral("--json"),
                         QStringLiteral("--output"),
                         output,
                         QStringLiteral("--backend"),
                         QStringLiteral("local"),
                         QStringLiteral("-q"),
                         QStringLiteral("l")};
        args += providerArgs();
        const HealRun run = omega(args, sharedData_);
        QVERIFY2(run.status() == QLatin1String("ok"), run.describe());
        QVERIFY(run.json.contains(QLatin1String("generation")));
        QCOMPARE(run.attempts().size(), 2);
        QCOMPARE(run.aiRequests(), 1); // the fix; the generation is the other request
        QCOMPARE(serverAiRequests(), 2);
        QVERIFY(same(readText(output), fix));
        QVERIFY(same(readText(output + QStringLiteral(".bak")), broken));
    }

    // ---- No progress, caps, budget

    void sameScriptStopsAfterOneRequest() {
        const QString script = copyCorpus(QStringLiteral("zero_division.py"));
        const QString original = readText(script);
        server_.setAnswer(answerWith(original));
        const HealRun run = heal(script);
        QVERIFY2(run.run.finishedInTime, run.describe());
        QCOMPARE(run.status(), QStringLiteral("failed"));
        QCOMPARE(run.category(), QStringLiteral("no-progress"));
        QCOMPARE(run.aiRequests(), 1);
        QCOMPARE(serverAiRequests(), 1);
        QCOMPARE(run.attempts().size(), 1); // nothing new was tried, nothing re-rendered
        QCOMPARE(run.renderedAttempts(), 1);
        QCOMPARE(readText(script), original);
        QVERIFY(!QFileInfo::exists(script + QStringLiteral(".bak")));
    }

    // The AI answers with the user's own file, which the gate had already rewritten: after the
    // same rewrite it is the very script it was asked to fix, so nothing new is tried and
    // nothing should be rendered again.
    void userOriginalBackStopsWithoutRendering() {
        const QString script =
            writeScript(QStringLiteral("original_back.py"),
                        QStringLiteral("from manim import *\n\n\n"
                                       "class Ratio(Scene):\n"
                                       "    def construct(self):\n"
                                       "        count = 0\n"
                                       "        self.play(ShowCreation(Square().scale(2 / count)), "
                                       "run_time=0.25)\n"));
        server_.setAnswer(answerWith(readText(script)));
        const HealRun run = heal(script);
        QVERIFY2(run.run.finishedInTime, run.describe());
        QCOMPARE(run.status(), QStringLiteral("failed"));
        QCOMPARE(run.category(), QStringLiteral("no-progress"));
        QCOMPARE(run.aiRequests(), 1);
        QVERIFY2(run.renderedAttempts() == 1,
                 "the AI's answer is the rewritten script again (after the gate), yet it was "
                 "rendered a second time before the loop noticed: HealingPipeline::onGate does "
                 "not compare the gated fix with the script the AI was asked to fix");
    }

    // A different but still broken script each time: the loop stops at the default cap of 3
    // attempts (two AI requests), within the token budget.
    void neverFixingAiStopsAtTheCap() {
        const QString script = copyCorpus(QStringLiteral("zero_division.py"));
        const QString original = readText(script);
        answers_ = {answerWith(stillBroken(1)), answerWith(stillBroken(2)),
                    answerWith(stillBroken(3)), answerWith(stillBroken(4))};
        const HealRun run = heal(script, {QStringLiteral("--max-tokens"), QStringLiteral("20000")});
        QVERIFY2(run.run.finishedInTime, run.describe());
        QCOMPARE(run.status(), QStringLiteral("failed"));
        QCOMPARE(run.attempts().size(), 3);
        QCOMPARE(run.aiRequests(), 2);
        QCOMPARE(serverAiRequests(), 2);
        QCOMPARE(run.category(), QStringLiteral("code-error"));
        QVERIFY2(run.error()
                     .value(QLatin1String("message"))
                     .toString()
                     .contains(QLatin1String("after 3 attempts")),
                 run.describe());
        QVERIFY(run.tokensUsed() > 0);
        QVERIFY(run.tokensUsed() <= 20000);
        QCOMPARE(run.fixSources(), (QStringList{QStringLiteral("original"), QStringLiteral("ai"),
                                                QStringLiteral("ai")}));
        QCOMPARE(readText(script), original); // a failed run never touches the file
    }

    void tokenBudgetStopsTheLoop() {
        const QString script = copyCorpus(QStringLiteral("zero_division.py"));
        answers_ = {answerWith(stillBroken(1)), answerWith(stillBroken(2)),
                    answerWith(stillBroken(3))};
        // The first request spends more than 100 tokens: no second one.
        HealRun run = heal(script, {QStringLiteral("--max-tokens"), QStringLiteral("100"),
                                    QStringLiteral("--max-attempts"), QStringLiteral("5")});
        QVERIFY2(run.status() == QLatin1String("failed"), run.describe());
        QCOMPARE(run.aiRequests(), 1);
        QCOMPARE(serverAiRequests(), 1);
        QCOMPARE(run.attempts().size(), 2);
        QVERIFY2(run.error()
                     .value(QLatin1String("hint"))
                     .toString()
                     .contains(QLatin1String("token budget")),
                 run.describe());
        // A budget of 0: no request at all.
        server_.reset();
        run = heal(script, {QStringLiteral("--max-tokens"), QStringLiteral("0")});
        QVERIFY2(run.status() == QLatin1String("failed"), run.describe());
        QCOMPARE(run.aiRequests(), 0);
        QCOMPARE(serverAiRequests(), 0);
        QCOMPARE(run.attempts().size(), 1);
    }

    // The AI's second fix brings back the first error: stop at once, not at the cap.
    void earlierErrorBackStopsAtOnce() {
        const QString script = copyCorpus(QStringLiteral("zero_division.py"));
        const QString original = readText(script);
        QString sameErrorAgain = original;
        sameErrorAgain.replace(QStringLiteral("scale = 2 / count"),
                               QStringLiteral("scale = 2 / count  # divide"));
        QVERIFY(sameErrorAgain != original);
        answers_ = {answerWith(stillBroken(1)), answerWith(sameErrorAgain),
                    answerWith(fixFor(QStringLiteral("zero_division.py")))};
        const HealRun run = heal(script, {QStringLiteral("--max-attempts"), QStringLiteral("6")});
        QVERIFY2(run.run.finishedInTime, run.describe());
        QCOMPARE(run.status(), QStringLiteral("failed"));
        QCOMPARE(run.category(), QStringLiteral("no-progress"));
        QCOMPARE(run.attempts().size(), 3);
        QCOMPARE(run.aiRequests(), 2);
        QCOMPARE(serverAiRequests(), 2);
        QCOMPARE(run.attemptCategory(2), run.attemptCategory(0));
    }

    // ---- Errors that never go to the AI

    void environmentErrorNeverReachesTheAi() {
        const QString script = copyCorpus(QStringLiteral("environment_latex_package.py"));
        server_.setAnswer(answerWith(fixFor(QStringLiteral("zero_division.py"))));
        const HealRun run = heal(script);
        QVERIFY2(run.run.finishedInTime, run.describe());
        QCOMPARE(run.status(), QStringLiteral("failed"));
        QCOMPARE(run.category(), QStringLiteral("environment"));
        QCOMPARE(run.attempts().size(), 1); // never retried
        QCOMPARE(run.aiRequests(), 0);
        QVERIFY(server_.requests().isEmpty()); // the server's log is empty
        QVERIFY(!run.error().value(QLatin1String("hint")).toString().isEmpty());
        QVERIFY(run.error()
                    .value(QLatin1String("message"))
                    .toString()
                    .contains(QLatin1String("nonexistentpkgxyz")));
    }

    // ---- Missing modules: approval, pip, and names of manim itself (defect 3)

    void missingModuleWithoutApproval() {
        const QString data = freshData();
        const QString script = copyCorpus(QStringLiteral("missing_module_yaml.py"));
        server_.setAnswer(answerWith(fixFor(QStringLiteral("zero_division.py"))));
        const HealRun run = heal(script, {}, true, data);
        QVERIFY2(run.run.finishedInTime, run.describe());
        QCOMPARE(run.status(), QStringLiteral("failed"));
        QCOMPARE(run.category(), QStringLiteral("missing-module"));
        const QString message = run.error().value(QLatin1String("message")).toString();
        QVERIFY2(message.contains(QLatin1String("pyyaml")) &&
                     message.contains(QLatin1String("not approved")),
                 qPrintable(message));
        QVERIFY(run.error()
                    .value(QLatin1String("hint"))
                    .toString()
                    .contains(QLatin1String("--allow-install pyyaml")));
        QCOMPARE(run.attempts().size(), 1);
        QCOMPARE(run.aiRequests(), 0);
        QCOMPARE(serverAiRequests(), 0);
        QCOMPARE(pipRuns(data), 0);
        QVERIFY(!somethingInstalled(data));
    }

    void missingModuleWithApproval() {
        const QString data = freshData();
        const QString script = copyCorpus(QStringLiteral("missing_module_yaml.py"));
        const HealRun run =
            heal(script, {QStringLiteral("--allow-install"), QStringLiteral("pyyaml")}, true, data);
        QVERIFY2(run.status() == QLatin1String("ok"), run.describe());
        QCOMPARE(run.fixSources(),
                 (QStringList{QStringLiteral("original"), QStringLiteral("dependency")}));
        QCOMPARE(run.attemptCategory(0), QStringLiteral("missing-module"));
        QVERIFY2(run.attempt(1)
                     .value(QLatin1String("fix_detail"))
                     .toString()
                     .contains(QLatin1String("6."), Qt::CaseInsensitive),
                 run.describe()); // "PyYAML 6.0.x": the resolved version is recorded
        QCOMPARE(run.aiRequests(), 0);
        QCOMPARE(serverAiRequests(), 0);
        QVERIFY(pipRuns(data) > 0);
        QVERIFY(somethingInstalled(data));
        // Installed into the data folder's package layer, never into the venv.
        QVERIFY(QFileInfo::exists(QDir(data).filePath(QStringLiteral("packages/local/site/yaml"))));
        QVERIFY(!QFileInfo::exists(
            QFileInfo(paths::renderPython())
                .dir()
                .filePath(QStringLiteral("../lib/python3.11/site-packages/yaml"))));
        QVERIFY(!run.json.value(QLatin1String("script_changed")).toBool());
    }

    // `cannot import name X from 'manim…'` and `No module named 'manim.x'` are code errors:
    // never a package install; they go to the AI, or stop when there is none.
    void manimNamesNeverInstall_data() {
        QTest::addColumn<QString>("script");
        QTest::addColumn<QString>("fix");
        QTest::addColumn<bool>("withProvider");
        const QString importName =
            QStringLiteral("from manim import *\n"
                           "from manim.animation.creation import ShowCreation\n\n\n"
                           "class Old(Scene):\n"
                           "    def construct(self):\n"
                           "        self.play(ShowCreation(Circle()), run_time=0.5)\n");
        const QString importNameFix = QStringLiteral("from manim import *\n\n\n"
                                                     "class Old(Scene):\n"
                                                     "    def construct(self):\n"
                                                     "        self.play(Create(Circle()), "
                                                     "run_time=0.5)\n");
        const QString fromManim = QStringLiteral("from manim import Circel, Create, Scene\n\n\n"
                                                 "class Old(Scene):\n"
                                                 "    def construct(self):\n"
                                                 "        self.play(Create(Circel()), "
                                                 "run_time=0.5)\n");
        const QString submodule =
            readText(QDir(corpusDir()).filePath(QStringLiteral("manim_submodule.py")));
        const QString submoduleFix = fixFor(QStringLiteral("manim_submodule.py"));
        QTest::newRow("cannot import name from manim.x, AI") << importName << importNameFix << true;
        QTest::newRow("cannot import name from manim, AI") << fromManim << importNameFix << true;
        QTest::newRow("no module manim.x, AI") << submodule << submoduleFix << true;
        QTest::newRow("cannot import name from manim.x, no provider")
            << importName << QString() << false;
        QTest::newRow("no module manim.x, no provider") << submodule << QString() << false;
    }
    void manimNamesNeverInstall() {
        QFETCH(QString, script);
        QFETCH(QString, fix);
        QFETCH(bool, withProvider);
        const QString data = freshData();
        const QString path = writeScript(QStringLiteral("manim_name.py"), script);
        if (withProvider)
            server_.setAnswer(answerWith(fix));
        const HealRun run =
            heal(path, {QStringLiteral("--allow-listed-installs")}, withProvider, data);
        QVERIFY2(run.run.finishedInTime, run.describe());
        QCOMPARE(run.attemptCategory(0), QStringLiteral("missing-manim-name"));
        QVERIFY(!run.fixSources().contains(QStringLiteral("dependency")));
        QCOMPARE(pipRuns(data), 0);
        QVERIFY(!somethingInstalled(data));
        if (withProvider) {
            QVERIFY2(run.status() == QLatin1String("ok"), run.describe());
            QCOMPARE(run.aiRequests(), 1);
            QCOMPARE(serverAiRequests(), 1);
            QVERIFY(same(readText(path), fix));
        } else {
            QCOMPARE(run.status(), QStringLiteral("failed"));
            QCOMPARE(run.attempts().size(), 1);
            QCOMPARE(run.category(), QStringLiteral("missing-manim-name"));
            QVERIFY2(run.error()
                         .value(QLatin1String("hint"))
                         .toString()
                         .contains(QLatin1String("no AI provider")),
                     run.describe());
        }
    }

    // ---- Defect 2: no provider, provider errors

    // Without a provider, rewrites and approved installs still apply; the loop then stops,
    // once, where only the AI could go on.
    void noProviderAppliesRewritesAndInstallsThenStops() {
        const QString data = freshData();
        const QString path =
            writeScript(QStringLiteral("no_provider.py"),
                        QStringLiteral("from manim import *\n"
                                       "import yaml\n\n\n"
                                       "class NoProvider(Scene):\n"
                                       "    def construct(self):\n"
                                       "        side = yaml.safe_load(\"side: 0\")[\"side\"]\n"
                                       "        self.play(ShowCreation(Square().scale(2 / side)), "
                                       "run_time=0.5)\n"));
        const QString original = readText(path);
        const HealRun run =
            heal(path, {QStringLiteral("--allow-install"), QStringLiteral("pyyaml")}, false, data);
        QVERIFY2(run.run.finishedInTime, run.describe());
        QCOMPARE(run.status(), QStringLiteral("failed"));
        QCOMPARE(run.fixSources(),
                 (QStringList{QStringLiteral("rewrite"), QStringLiteral("dependency")}));
        QCOMPARE(run.attemptCategory(0), QStringLiteral("missing-module"));
        QCOMPARE(run.attemptCategory(1), QStringLiteral("code-error"));
        QCOMPARE(run.category(), QStringLiteral("code-error"));
        QVERIFY2(run.error()
                     .value(QLatin1String("hint"))
                     .toString()
                     .contains(QLatin1String("no AI provider is configured")),
                 run.describe());
        QCOMPARE(run.aiRequests(), 0);
        QCOMPARE(serverAiRequests(), 0);
        QVERIFY(somethingInstalled(data));
        QCOMPARE(readText(path), original);
    }

    // A provider is named but has no key: one clear stop, nothing sent.
    void providerWithoutKeyStopsOnce() {
        const QString script = copyCorpus(QStringLiteral("zero_division.py"));
        QStringList args{QStringLiteral("render"),    script,
                         QStringLiteral("--heal"),    QStringLiteral("--json"),
                         QStringLiteral("--backend"), QStringLiteral("local"),
                         QStringLiteral("-q"),        QStringLiteral("l")};
        args += providerArgs();
        QProcessEnvironment env = childEnv(sharedData_);
        env.remove(keyEnvironmentVariable(ProviderType::OpenAI));
        HealRun run;
        run.run = aitest::runProcess(test::omegaBinary(), args, env, {}, 240000, root_.path());
        run.json = run.run.json();
        QVERIFY2(run.run.finishedInTime, run.describe());
        QCOMPARE(run.status(), QStringLiteral("failed"));
        QCOMPARE(run.category(), QStringLiteral("no-provider"));
        QCOMPARE(run.attempts().size(), 1);
        QCOMPARE(run.aiRequests(), 0);
        QCOMPARE(serverAiRequests(), 0);
        QCOMPARE(run.run.exitCode, 4);
    }

    void providerErrorStopsWithoutLooping_data() {
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<QString>("category");
        QTest::addColumn<int>("maxRequests");
        QTest::addColumn<int>("exitCode");
        QTest::newRow("bad key") << QStringLiteral("bad-key") << QStringLiteral("auth") << 1 << 4;
        QTest::newRow("quota") << QStringLiteral("quota") << QStringLiteral("quota") << 1 << 4;
        QTest::newRow("server error")
            << QStringLiteral("server-error") << QStringLiteral("provider-unavailable") << 3 << 4;
        // Answers the loop cannot use: no code at all, or code cut off by the token limit.
        QTest::newRow("no code") << QStringLiteral("no-code") << QStringLiteral("no-code") << 3
                                 << 1;
        QTest::newRow("truncated")
            << QStringLiteral("truncated") << QStringLiteral("truncated") << 3 << 1;
    }
    void providerErrorStopsWithoutLooping() {
        QFETCH(QString, scenario);
        QFETCH(QString, category);
        QFETCH(int, maxRequests);
        QFETCH(int, exitCode);
        QVERIFY(server_.setDefaultScenario(scenario));
        const QString script = copyCorpus(QStringLiteral("zero_division.py"));
        const HealRun run = heal(script, {QStringLiteral("--max-attempts"), QStringLiteral("10")});
        QVERIFY2(run.run.finishedInTime, run.describe());
        QCOMPARE(run.status(), QStringLiteral("failed"));
        QCOMPARE(run.category(), category);
        QCOMPARE(run.attempts().size(), 1); // one fix asked for, no second round
        QVERIFY2(serverAiRequests() >= 1 && serverAiRequests() <= maxRequests,
                 qPrintable(QString::number(serverAiRequests())));
        QCOMPARE(run.run.exitCode, exitCode); // 4: the CLI's exit code for provider problems
    }

    // ---- Defect 4: timeouts, cancel

    // A provider that never answers: the request times out, the loop stops.
    void unansweredAiRequestTimesOut() {
        QVERIFY(server_.setDefaultScenario(QStringLiteral("never-answer")));
        const QString script = copyCorpus(QStringLiteral("zero_division.py"));
        QStringList args{QStringLiteral("render"),
                         script,
                         QStringLiteral("--heal"),
                         QStringLiteral("--json"),
                         QStringLiteral("--backend"),
                         QStringLiteral("local"),
                         QStringLiteral("-q"),
                         QStringLiteral("l"),
                         QStringLiteral("--provider"),
                         QStringLiteral("openai"),
                         QStringLiteral("--endpoint"),
                         base() + QStringLiteral("/v1"),
                         QStringLiteral("--model"),
                         QStringLiteral("gpt-test"),
                         QStringLiteral("--request-timeout"),
                         QStringLiteral("2")};
        const HealRun run = omega(args, sharedData_, 120000);
        QVERIFY2(run.run.finishedInTime, run.describe());
        QCOMPARE(run.status(), QStringLiteral("failed"));
        QVERIFY2(isProviderProblem(categoryFromName(run.category())), run.describe());
        QCOMPARE(run.attempts().size(), 1);
        QVERIFY(serverAiRequests() <= 3); // one request and at most its two retries
        QVERIFY2(run.run.elapsedMs < 60000, qPrintable(QString::number(run.run.elapsedMs)));
    }

    // The whole run's wall-clock cap stops a render that would run for its full 600 s.
    void wallTimeCapStopsARunawayRender() {
        const QString token =
            QStringLiteral("runaway_%1").arg(QRandomGenerator::global()->generate(), 0, 16);
        const QString script =
            writeScript(token + QStringLiteral(".py"),
                        readText(test::sceneFixture(QStringLiteral("forever_scene.py"))));
        const HealRun run = heal(script, {QStringLiteral("--max-heal-time"), QStringLiteral("6")});
        QVERIFY2(run.run.finishedInTime, run.describe());
        QCOMPARE(run.status(), QStringLiteral("failed"));
        QCOMPARE(run.category(), QStringLiteral("timeout"));
        QVERIFY2(run.run.elapsedMs < 40000, qPrintable(QString::number(run.run.elapsedMs)));
        QCOMPARE(serverAiRequests(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(manimProcessesWith(token).isEmpty(), 10000);
    }

    void cancelMidRenderLeavesNoProcess_data() {
        QTest::addColumn<QString>("fixture");
        QTest::newRow("endless loop") << QStringLiteral("forever_scene.py");
        QTest::newRow("ignores SIGTERM") << QStringLiteral("stubborn_scene.py");
    }
    void cancelMidRenderLeavesNoProcess() {
        QFETCH(QString, fixture);
        const QString script = writeScript(fixture, readText(test::sceneFixture(fixture)));
        QNetworkAccessManager network;
        HealingPipeline pipeline(&network);
        QSignalSpy finished(&pipeline, &HealingPipeline::finished);
        const QString job = pipeline.start(renderOptions(script), healingOptions());
        QVERIFY(!job.isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(pipeline.renderer()->currentPid() > 0, 60000);
        const qint64 pid = pipeline.renderer()->currentPid();
        QTest::qWait(2500); // inside construct(), SIGTERM handler installed
        QVERIFY(!test::processGroupGone(pid));
        pipeline.cancel();
        QCOMPARE(finished.count(), 1);
        const HealingResult result = finished.first().first().value<HealingResult>();
        QCOMPARE_STATUS(result.result.status, ResultStatus::Cancelled);
        QCOMPARE_CATEGORY(result.result.error.category, ErrorCategory::Cancelled);
        QVERIFY(!pipeline.isRunning());
        QCOMPARE(result.aiRequests, 0);
        QCOMPARE(serverAiRequests(), 0);
        // Nothing left behind: the render's whole process group is gone (SIGKILL after the
        // grace period for the one that ignores SIGTERM), and the run's folder too.
        QTRY_VERIFY_WITH_TIMEOUT(test::processGroupGone(pid), 15000);
        QVERIFY(!QFileInfo::exists(QDir(paths::dataDir()).filePath(QStringLiteral("heal/") + job)));
        QTest::qWait(200);
        QCOMPARE(finished.count(), 1); // finished() exactly once
    }

    // Cancel while the AI is being asked: stops at once, the request is dropped.
    void cancelDuringAiRequest() {
        QVERIFY(server_.setDefaultScenario(QStringLiteral("never-answer")));
        const QString script = copyCorpus(QStringLiteral("zero_division.py"));
        QNetworkAccessManager network;
        HealingPipeline pipeline(&network);
        QSignalSpy finished(&pipeline, &HealingPipeline::finished);
        pipeline.start(renderOptions(script), healingOptions());
        QTRY_VERIFY_WITH_TIMEOUT(serverAiRequests() == 1, 60000);
        QVERIFY(finished.isEmpty());
        pipeline.cancel();
        QCOMPARE(finished.count(), 1);
        const HealingResult result = finished.first().first().value<HealingResult>();
        QCOMPARE_STATUS(result.result.status, ResultStatus::Cancelled);
        QCOMPARE(result.attempts.size(), 1);
        QTest::qWait(500);
        QCOMPARE(finished.count(), 1);
        QCOMPARE(serverAiRequests(), 1);
    }

    // omega render --heal interrupted (SIGINT) mid-render: Cancelled, no manim process left.
    void cliInterruptLeavesNoProcess() {
        const QString token =
            QStringLiteral("stubborn_%1").arg(QRandomGenerator::global()->generate(), 0, 16);
        const QString script =
            writeScript(token + QStringLiteral(".py"),
                        readText(test::sceneFixture(QStringLiteral("stubborn_scene.py"))));
        QProcess process;
        process.setProgram(test::omegaBinary());
        process.setArguments({QStringLiteral("render"), script, QStringLiteral("--heal"),
                              QStringLiteral("--json"), QStringLiteral("--backend"),
                              QStringLiteral("local"), QStringLiteral("-q"), QStringLiteral("l")});
        process.setProcessEnvironment(childEnv(sharedData_));
        process.start();
        QVERIFY(process.waitForStarted(10000));
        QTRY_VERIFY_WITH_TIMEOUT(!manimProcessesWith(token).isEmpty(), 60000);
        QTest::qWait(2500);
        ::kill(static_cast<pid_t>(process.processId()), SIGINT);
        QVERIFY(process.waitForFinished(30000));
        const QJsonObject json = QJsonDocument::fromJson(process.readAllStandardOutput()).object();
        QCOMPARE(json.value(QLatin1String("status")).toString(), QStringLiteral("cancelled"));
        QTRY_VERIFY_WITH_TIMEOUT(manimProcessesWith(token).isEmpty(), 10000);
    }

    // ---- Defect 9: each attempt is its own record

    // Three versions: the gate's rewrite (still failing), an AI fix (still failing), an AI fix
    // that renders. In process: every field of every attempt.
    void eachAttemptIsItsOwnRecord() {
        const QString script =
            writeScript(QStringLiteral("records.py"),
                        QStringLiteral("from manim import *\n\n\n"
                                       "class Ratio(Scene):\n"
                                       "    def construct(self):\n"
                                       "        count = 0\n"
                                       "        self.play(ShowCreation(Square().scale(2 / count)), "
                                       "run_time=0.25)\n"));
        const QString original = readText(script);
        const QString secondTry = stillBroken(7);
        const QString fix = fixFor(QStringLiteral("zero_division.py"));
        answers_ = {answerWith(secondTry), answerWith(fix)};
        QNetworkAccessManager network;
        HealingPipeline pipeline(&network);
        QSignalSpy finished(&pipeline, &HealingPipeline::finished);
        QSignalSpy attemptSignals(&pipeline, &HealingPipeline::attemptFinished);
        pipeline.start(renderOptions(script), healingOptions());
        QVERIFY(finished.wait(180000));
        const HealingResult result = finished.first().first().value<HealingResult>();
        QVERIFY2(result.result.ok(), qPrintable(result.result.error.message));
        QCOMPARE(result.attempts.size(), 3);
        QCOMPARE(attemptSignals.count(), 3);
        QCOMPARE(result.aiRequests, 2);
        QCOMPARE(result.originalScript, original);
        QVERIFY(same(result.finalScript, fix));

        const HealingAttempt& a1 = result.attempts.at(0);
        const HealingAttempt& a2 = result.attempts.at(1);
        const HealingAttempt& a3 = result.attempts.at(2);
        QCOMPARE(a1.number, 1);
        QCOMPARE(a2.number, 2);
        QCOMPARE(a3.number, 3);
        QCOMPARE(a1.fixSource, QStringLiteral("rewrite"));
        QVERIFY(a1.fixDetail.contains(QLatin1String("show-creation")));
        QVERIFY(a1.script.contains(QLatin1String("Create(Square()")));
        QVERIFY(a1.diff.contains(QLatin1String("+        self.play(Create(")));
        QCOMPARE_CATEGORY(a1.error.category, ErrorCategory::CodeError);
        QVERIFY(a1.error.message.contains(QLatin1String("ZeroDivisionError")));
        QVERIFY(a1.rendered);
        QVERIFY(a1.renderMs > 0);
        QCOMPARE(a1.tokens.total, -1); // no AI request made it

        QCOMPARE(a2.fixSource, QStringLiteral("ai"));
        QVERIFY(same(a2.script, secondTry));
        QVERIFY(a2.diff.contains(QLatin1String("still broken, variant 7")));
        QCOMPARE_CATEGORY(a2.error.category, ErrorCategory::CodeError);
        QVERIFY(a2.error.message.contains(QLatin1String("variant 7")));
        QVERIFY(a2.tokens.total > 0);
        QVERIFY(a2.rendered);

        QCOMPARE(a3.fixSource, QStringLiteral("ai"));
        QVERIFY(same(a3.script, fix)); // defect 1: the AI's fix is what was rendered
        QVERIFY(!a3.error.isError());
        QVERIFY(a3.rendered);
        QCOMPARE(a3.outputs.size(), 1);
        QVERIFY(test::isNonEmptyFile(a3.outputs.first()));
        QVERIFY(a3.tokens.total > 0);
        QCOMPARE(result.tokensUsed, a2.tokens.total + a3.tokens.total);
        // The second request told the AI what the first fix led to.
        const QList<RecordedRequest> requests = server_.requests();
        QCOMPARE(requests.size(), 2);
        QVERIFY(requests.at(1).body.contains("variant 7"));
        QVERIFY(requests.at(1).body.contains("earlier_attempts"));
    }

    // The same run through the CLI: attempts[] carries every record, the script included.
    void eachAttemptIsItsOwnRecordInJson() {
        const QString script =
            writeScript(QStringLiteral("records.py"),
                        QStringLiteral("from manim import *\n\n\n"
                                       "class Ratio(Scene):\n"
                                       "    def construct(self):\n"
                                       "        count = 0\n"
                                       "        self.play(ShowCreation(Square().scale(2 / count)), "
                                       "run_time=0.25)\n"));
        const QString fix = fixFor(QStringLiteral("zero_division.py"));
        answers_ = {answerWith(stillBroken(7)), answerWith(fix)};
        const HealRun run = heal(script);
        QVERIFY2(run.status() == QLatin1String("ok"), run.describe());
        QCOMPARE(run.attempts().size(), 3);
        for (int i = 0; i < 3; ++i) {
            const QJsonObject a = run.attempt(i);
            QCOMPARE(a.value(QLatin1String("number")).toInt(), i + 1);
            for (const char* key : {"fix_source", "fix_detail", "diff", "rendered", "ok", "fix_ms",
                                    "render_ms", "tokens", "outputs"})
                QVERIFY2(a.contains(QLatin1String(key)), key);
            QVERIFY(!a.value(QLatin1String("diff")).toString().isEmpty());
            QVERIFY(a.value(QLatin1String("render_ms")).toInteger() > 0);
            if (i < 2) {
                const QJsonObject error = a.value(QLatin1String("error")).toObject();
                QCOMPARE(error.value(QLatin1String("category")).toString(),
                         QStringLiteral("code-error"));
                QVERIFY(!error.value(QLatin1String("message")).toString().isEmpty());
                QVERIFY(error.value(QLatin1String("line")).toInt() > 0);
            }
            if (i > 0)
                QVERIFY(a.value(QLatin1String("tokens"))
                            .toObject()
                            .value(QLatin1String("total"))
                            .toInt() > 0);
        }
        // The script version of each attempt (issue #4: "Every attempt is recorded: script
        // version, diff from the previous one, …").
        QVERIFY2(run.attempt(0).contains(QLatin1String("script")),
                 "attempts[] has no \"script\": HealCommand.cpp attemptJson() leaves "
                 "HealingAttempt::script out of the JSON");
        QVERIFY(run.attempt(0)
                    .value(QLatin1String("script"))
                    .toString()
                    .contains(QLatin1String("Create(Square()")));
        QVERIFY(same(run.attempt(2).value(QLatin1String("script")).toString(), fix));
    }

    // ---- Renders avoided: what the gate rejects is never rendered

    void syntaxErrorIsNeverRendered() {
        const QString data = freshData();
        const QString script = copyCorpus(QStringLiteral("syntax_missing_colon.py"));
        const HealRun run = heal(script, {}, false, data);
        QVERIFY2(run.run.finishedInTime, run.describe());
        QCOMPARE(run.status(), QStringLiteral("failed"));
        QCOMPARE(run.category(), QStringLiteral("syntax"));
        QCOMPARE(run.rendersAvoided(), 1);
        QCOMPARE(run.renderedAttempts(), 0);
        QCOMPARE(run.attempts().size(), 1);
        QCOMPARE(logLinesOf(data, QStringLiteral("ManimExecutionAgent")), 0); // zero renders
        QVERIFY(!QDir(QDir(data).filePath(QStringLiteral("media"))).exists() ||
                aitest::countFiles(QDir(data).filePath(QStringLiteral("media"))) == 0);

        // With the AI: the rejected version costs no render, the fix renders once.
        server_.setAnswer(answerWith(fixFor(QStringLiteral("syntax_missing_colon.py"))));
        const HealRun healed = heal(script, {}, true, data);
        QVERIFY2(healed.status() == QLatin1String("ok"), healed.describe());
        QCOMPARE(healed.rendersAvoided(), 1);
        QCOMPARE(healed.renderedAttempts(), 1);
        QCOMPARE(healed.aiRequests(), 1);
    }

    // A script with a syntax error is the user's script, not a pasted answer: the gate must
    // not "extract" it (dropping its comment lines) and must report the line of the user's
    // file. Found by this suite: see the report of issue #4.
    void syntaxErrorKeepsTheUsersScript() {
        const QString script = copyCorpus(QStringLiteral("syntax_missing_colon.py"));
        const QString original = readText(script);
        const int badLine = test::lineStartingWith(script, QStringLiteral("def construct(self)"));
        QCOMPARE(badLine, 9);
        const HealRun run = heal(script, {}, false);
        QCOMPARE(run.category(), QStringLiteral("syntax"));
        QCOMPARE(run.attempts().size(), 1);
        QCOMPARE(run.attempt(0)
                     .value(QLatin1String("error"))
                     .toObject()
                     .value(QLatin1String("line"))
                     .toInt(),
                 badLine);
        QCOMPARE(run.attempt(0).value(QLatin1String("fix_source")).toString(),
                 QStringLiteral("original"));
        QCOMPARE(run.attempt(0).value(QLatin1String("diff")).toString(), QString());
    }

    // ---- Defect 10: logging logs, and never a secret

    void healingLogsWithoutTheKey() {
        const QString secret = QStringLiteral("sk-heal-SECRET-%1")
                                   .arg(QRandomGenerator::global()->generate64(), 0, 16);
        server_.setExpectedKey(secret);
        const QString data = freshData();
        const QString script = copyCorpus(QStringLiteral("zero_division.py"));
        server_.setAnswer(answerWith(fixFor(QStringLiteral("zero_division.py"))));
        QStringList args{QStringLiteral("render"),    script,
                         QStringLiteral("--heal"),    QStringLiteral("--json"),
                         QStringLiteral("--backend"), QStringLiteral("local"),
                         QStringLiteral("-q"),        QStringLiteral("l")};
        args += providerArgs();
        QProcessEnvironment env = childEnv(data);
        env.insert(keyEnvironmentVariable(ProviderType::OpenAI), secret);
        HealRun run;
        run.run = aitest::runProcess(test::omegaBinary(), args, env, {}, 240000, root_.path());
        run.json = run.run.json();
        QVERIFY2(run.status() == QLatin1String("ok"), run.describe());
        QCOMPARE(server_.requests().last().header("authorization"), "Bearer " + secret.toUtf8());
        // The run is in the log: each step of the loop, and how it ended.
        const QString log = readText(QDir(data).filePath(QStringLiteral("logs/omega.log")));
        QVERIFY2(log.contains(QLatin1String("HealingPipeline")) &&
                     log.contains(QLatin1String("healed in 2 attempt(s), 1 AI request(s)")),
                 qPrintable(log.right(2000)));
        QVERIFY(log.contains(QLatin1String("AIScriptDebuggingAgent")));
        QVERIFY(log.contains(QLatin1String("ManimExecutionAgent")));
        // The key is nowhere: not in the output, not in any file of the data folder.
        QVERIFY(!run.run.out.contains(secret.toUtf8()));
        QVERIFY(!run.run.err.contains(secret.toUtf8()));
        QCOMPARE(aitest::filesContaining(data, secret.toUtf8()), QStringList());
        QCOMPARE(aitest::filesContaining(QFileInfo(script).absolutePath(), secret.toUtf8()),
                 QStringList());
    }

    // ---- The corpus

    void corpus_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("first");
        QTest::addColumn<QString>("outcome");
        QTest::addColumn<QStringList>("args");
        const QStringList files =
            QDir(corpusDir()).entryList({QStringLiteral("*.py")}, QDir::Files, QDir::Name);
        QVERIFY(files.size() >= 15);
        for (const QString& file : files) {
            const CorpusCase c = readCorpusCase(QDir(corpusDir()).filePath(file));
            QTest::newRow(qPrintable(file)) << file << c.first << c.outcome << c.args;
        }
    }
    void corpus() {
        QFETCH(QString, file);
        QFETCH(QString, first);
        QFETCH(QString, outcome);
        QFETCH(QStringList, args);
        static const QStringList outcomes{
            QStringLiteral("fixed-by-rewrite"), QStringLiteral("fixed-by-install"),
            QStringLiteral("needs-AI"),         QStringLiteral("stops-environment"),
            QStringLiteral("stops-timeout"),    QStringLiteral("stops-needs-approval")};
        QVERIFY2(!first.isEmpty() && outcomes.contains(outcome),
                 "the corpus file's header needs expect-first and expect-outcome");
        const QString fixPath = QDir(fixesDir()).filePath(file);
        QCOMPARE(QFileInfo::exists(fixPath), outcome == QLatin1String("needs-AI"));
        // The fake answers with the file's fix; a file whose outcome needs no AI gets an
        // answer too (a valid scene), so a request that should not happen would be visible.
        const QString fix = QFileInfo::exists(fixPath) ? readText(fixPath) : QString();
        server_.setAnswer(
            answerWith(fix.isEmpty() ? fixFor(QStringLiteral("zero_division.py")) : fix));
        const bool ownData = outcome == QLatin1String("fixed-by-install") ||
                             outcome == QLatin1String("stops-needs-approval");
        const QString data = ownData ? freshData() : sharedData_;
        const QString script = copyCorpus(file);
        const QString original = readText(script);

        const HealRun run = heal(script, args, true, data);
        QVERIFY2(run.run.finishedInTime, run.describe());
        QVERIFY2(!run.attempts().isEmpty(), run.describe());
        QCOMPARE(run.attemptCategory(0), first);
        if (!run.attempt(0).value(QLatin1String("rendered")).toBool())
            QVERIFY(run.rendersAvoided() >= 1);

        if (outcome == QLatin1String("fixed-by-rewrite")) {
            QVERIFY2(run.status() == QLatin1String("ok"), run.describe());
            QCOMPARE(run.fixSources(), QStringList{QStringLiteral("rewrite")});
            QCOMPARE(run.aiRequests(), 0);
            QVERIFY(run.json.value(QLatin1String("script_changed")).toBool());
            QCOMPARE(readText(script + QStringLiteral(".bak")), original);
        } else if (outcome == QLatin1String("fixed-by-install")) {
            QVERIFY2(run.status() == QLatin1String("ok"), run.describe());
            QCOMPARE(run.fixSources().last(), QStringLiteral("dependency"));
            QCOMPARE(run.aiRequests(), 0);
        } else if (outcome == QLatin1String("needs-AI")) {
            QVERIFY2(run.status() == QLatin1String("ok"), run.describe());
            QCOMPARE(run.attempts().size(), 2);
            QCOMPARE(run.fixSources().last(), QStringLiteral("ai"));
            QCOMPARE(run.aiRequests(), 1);
            QVERIFY(same(readText(script), fix));
            QCOMPARE(readText(script + QStringLiteral(".bak")), original);
        } else {
            QCOMPARE(run.status(), QStringLiteral("failed"));
            QCOMPARE(run.attempts().size(), 1);
            QCOMPARE(run.aiRequests(), 0);
            const QString expected =
                outcome == QLatin1String("stops-environment") ? QStringLiteral("environment")
                : outcome == QLatin1String("stops-timeout")   ? QStringLiteral("timeout")
                                                              : QStringLiteral("missing-module");
            QCOMPARE(run.category(), expected);
            QCOMPARE(readText(script), original);
            if (outcome == QLatin1String("stops-needs-approval")) {
                QCOMPARE(pipRuns(data), 0);
                QVERIFY(!somethingInstalled(data));
            }
        }
        QCOMPARE(serverAiRequests(), run.aiRequests());
        if (run.status() == QLatin1String("ok")) {
            const QJsonArray outputs = run.json.value(QLatin1String("outputs")).toArray();
            QCOMPARE(outputs.size(), 1);
            QVERIFY(test::isNonEmptyFile(
                outputs.at(0).toObject().value(QLatin1String("path")).toString()));
        }
    }
};

QTEST_GUILESS_MAIN(TestHealing)
#include "tst_healing.moc"
