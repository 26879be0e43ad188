// The pre-render gate (ScriptGate + resources/gate/check_script.py, and `omega check`):
// one fixture per rewrite rule, strings and comments untouched, correct scripts pass,
// misspellings get suggestions, syntax errors and missing scenes are reported, pasted
// answers, --fix, exit codes and the cache of Manim's names. Runs the real venv Python.
#include "Paths.h"
#include "ScriptGate.h"
#include "TestSupport.h"

#include <QDirIterator>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>
#include <QThread>

using omega::GateFinding;
using omega::GateReport;
using omega::GateRewrite;
using omega::ScriptGate;
using omega::test::CliRun;
using omega::test::IsolatedEnvironment;

namespace {

QString gateFixture(const QString& name) {
    return QDir(omega::test::fixturesDir()).filePath(QStringLiteral("gate/") + name);
}

QString readText(const QString& path) {
    return QString::fromUtf8(omega::test::readFile(path));
}

QStringList rulesOf(const GateReport& report) {
    QStringList rules;
    for (const GateRewrite& r : report.rewrites) {
        if (!rules.contains(r.rule))
            rules << r.rule;
    }
    return rules;
}

QString describe(const GateReport& report) {
    QString text = QStringLiteral("result: %1 %2\n")
                       .arg(omega::statusName(report.result.status), report.result.error.message);
    for (const GateRewrite& r : report.rewrites)
        text += QStringLiteral("rewrite %1 line %2: %3 => %4\n")
                    .arg(r.rule)
                    .arg(r.line)
                    .arg(r.before, r.after);
    for (const GateFinding& f : report.findings)
        text += QStringLiteral("finding %1 line %2:%3 %4 [%5]\n")
                    .arg(f.kind)
                    .arg(f.line)
                    .arg(f.column)
                    .arg(f.message, f.suggestions.join(QLatin1Char(',')));
    return text;
}

const GateFinding* findingOf(const GateReport& report, const QString& kind,
                             const QString& name = QString()) {
    for (const GateFinding& f : report.findings) {
        if (f.kind == kind && (name.isEmpty() || f.name == name))
            return &f;
    }
    return nullptr;
}

// Pids of running processes whose command line contains `needle`.
QList<qint64> processesWith(const QString& needle) {
    QList<qint64> pids;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString& entry : entries) {
        bool isPid = false;
        const qint64 pid = entry.toLongLong(&isPid);
        if (!isPid)
            continue;
        QByteArray cmdline = omega::test::readFile(QStringLiteral("/proc/%1/cmdline").arg(entry));
        cmdline.replace('\0', ' ');
        if (cmdline.contains(needle.toUtf8()))
            pids << pid;
    }
    return pids;
}

} // namespace

class TestGate : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<IsolatedEnvironment> env_; // one for the whole run: the names cache warms once

    QString cacheDir() const { return QDir(env_->dataDir()).filePath(QStringLiteral("cache")); }

    GateReport gate(const QString& text, const QString& name = QStringLiteral("script.py"),
                    const QString& cache = QString()) const {
        ScriptGate g;
        g.setCacheDir(cache.isEmpty() ? cacheDir() : cache);
        QSignalSpy spy(&g, &ScriptGate::finished);
        g.check(text, name);
        if (!spy.wait(120000) || spy.isEmpty()) {
            GateReport none;
            none.result.status = omega::ResultStatus::Failed;
            none.result.error.message = QStringLiteral("no finished() within 120 s");
            return none;
        }
        return spy.takeFirst().at(0).value<GateReport>();
    }
    GateReport gateFile(const QString& path) const {
        return gate(readText(path), QFileInfo(path).fileName());
    }

    CliRun omega(const QStringList& args, const QProcessEnvironment& env) const {
        return omega::test::runOmega(args, env, 120000, env_->workDir());
    }
    CliRun omega(const QStringList& args) const { return omega(args, env_->processEnvironment()); }

    QString work(const QString& name) const { return QDir(env_->workDir()).filePath(name); }
    QString copyToWork(const QString& fixture, const QString& name = QString()) const {
        const QString target = work(name.isEmpty() ? QFileInfo(fixture).fileName() : name);
        QFile::remove(target);
        QFile::remove(target + QStringLiteral(".bak"));
        omega::test::writeFile(target, omega::test::readFile(fixture));
        return target;
    }

    // Every rewrite's line really holds its "before" text.
    static void verifyRewriteLines(const GateReport& report) {
        const QStringList lines = report.checkedSource.split(QLatin1Char('\n'));
        for (const GateRewrite& r : report.rewrites) {
            if (r.rule == QLatin1String("extract-code") || r.before.isEmpty())
                continue;
            QVERIFY2(r.line >= 1 && r.line <= lines.size(), qPrintable(r.rule));
            const QString firstBefore = r.before.split(QLatin1Char('\n')).first().trimmed();
            QVERIFY2(lines.at(r.line - 1).trimmed() == firstBefore,
                     qPrintable(QStringLiteral("%1 line %2: \"%3\" vs \"%4\"")
                                    .arg(r.rule)
                                    .arg(r.line)
                                    .arg(lines.at(r.line - 1).trimmed(), firstBefore)));
        }
    }

private Q_SLOTS:
    void initTestCase() {
        env_ = std::make_unique<IsolatedEnvironment>();
        QVERIFY(env_->isValid());
        QVERIFY2(QFileInfo(omega::paths::renderPython()).isExecutable(),
                 "the venv (scripts/setup.sh) is needed by the gate tests");
        QVERIFY(QFileInfo(omega::test::omegaBinary()).isExecutable());
    }
    void cleanupTestCase() { env_.reset(); }

    // The table.

    void tableTargetsExistInInstalledManim() {
        // Every name the table rewrites to exists in the installed Manim, every removed name
        // is really gone, and every fade's keyword (shift=, scale=) is accepted.
        QProcess python;
        python.setStandardInputFile(QProcess::nullDevice());
        python.start(omega::paths::renderPython(),
                     {QStringLiteral("-I"), QStringLiteral("-B"),
                      omega::paths::resourcePath(QStringLiteral("gate/check_script.py")),
                      QStringLiteral("--cache-dir"), cacheDir(), QStringLiteral("--verify-table")});
        QVERIFY(python.waitForFinished(120000));
        const QJsonObject result = QJsonDocument::fromJson(python.readAllStandardOutput()).object();
        QVERIFY2(result.value(QLatin1String("ok")).toBool(), python.readAllStandardError());
        QCOMPARE(result.value(QLatin1String("missing")).toArray(), QJsonArray());
    }

    void everyRuleHasAFixture() {
        QFile file(omega::paths::resourcePath(QStringLiteral("gate/rewrites.json")));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject table = QJsonDocument::fromJson(file.readAll()).object();
        QStringList ids;
        for (const char* section : {"imports", "renames", "fades", "methods", "self_attributes"}) {
            for (const QJsonValue& rule : table.value(QLatin1String(section)).toArray())
                ids << rule.toObject().value(QLatin1String("id")).toString();
        }
        for (const char* single : {"missing_import", "range_kwargs", "moving_camera", "degrees"})
            ids << table.value(QLatin1String(single))
                       .toObject()
                       .value(QLatin1String("id"))
                       .toString();
        QVERIFY(ids.size() >= 40);
        for (const QString& id : ids) {
            QVERIFY2(QFileInfo::exists(gateFixture(QStringLiteral("rules/%1.py").arg(id))),
                     qPrintable(id));
            QVERIFY2(QFileInfo::exists(gateFixture(QStringLiteral("rules/%1.fixed.py").arg(id))),
                     qPrintable(id));
        }
    }

    // One fixture per rule: rules/<id>.py becomes rules/<id>.fixed.py through that rule alone.

    void rules_data() {
        QTest::addColumn<QString>("id");
        QDirIterator it(gateFixture(QStringLiteral("rules")), {QStringLiteral("*.py")});
        QStringList ids;
        while (it.hasNext()) {
            const QString name = QFileInfo(it.next()).fileName();
            if (!name.endsWith(QLatin1String(".fixed.py")))
                ids << name.chopped(3);
        }
        ids.sort();
        for (const QString& id : ids)
            QTest::newRow(qPrintable(id)) << id;
    }
    void rules() {
        QFETCH(QString, id);
        const GateReport report = gateFile(gateFixture(QStringLiteral("rules/%1.py").arg(id)));
        QVERIFY2(report.result.ok(), qPrintable(describe(report)));
        QCOMPARE(rulesOf(report), QStringList{id});
        QCOMPARE(report.fixedSource,
                 readText(gateFixture(QStringLiteral("rules/%1.fixed.py").arg(id))));
        QVERIFY2(report.readyAfterFixes(), qPrintable(describe(report)));
        QVERIFY(!report.readyAsIs());
        QVERIFY(!report.scenes.isEmpty());
        for (const GateRewrite& r : report.rewrites) {
            QVERIFY(!r.after.isEmpty());
            QVERIFY(r.before != r.after);
            QVERIFY(!r.message.isEmpty());
        }
        verifyRewriteLines(report);
        // Idempotent: the fixed script needs nothing more.
        const GateReport again = gate(report.fixedSource);
        QVERIFY2(again.readyAsIs(), qPrintable(describe(again)));
        QCOMPARE(again.fixedSource, report.fixedSource);
    }

    void stringsAndCommentsAreNeverRewritten() {
        const GateReport report = gateFile(gateFixture(QStringLiteral("strings_comments.py")));
        QVERIFY2(report.result.ok(), qPrintable(describe(report)));
        QCOMPARE(report.fixedSource,
                 readText(gateFixture(QStringLiteral("strings_comments.fixed.py"))));
        QCOMPARE(report.rewrites.size(), 1); // the one real call
        QCOMPARE(report.rewrites.first().rule, QStringLiteral("show-creation"));
        QCOMPARE(report.rewrites.first().line, 22);
        QCOMPARE(report.rewrites.first().before, QStringLiteral("self.play(ShowCreation(circle))"));
        QCOMPARE(report.rewrites.first().after, QStringLiteral("self.play(Create(circle))"));
        QVERIFY(report.readyAfterFixes());
    }

    void namesTheScriptDefinesAreLeftAlone() {
        // Its own ShowCreation class, FadeInFrom function, TextMobject alias, FRAME_WIDTH
        // constant and get_graph method.
        const GateReport report = gateFile(gateFixture(QStringLiteral("shadowed.py")));
        QVERIFY2(report.readyAsIs(), qPrintable(describe(report)));
        QCOMPARE(report.fixedSource, report.checkedSource);
    }

    void wholeManimGlScriptIsFixed() {
        const GateReport report = gateFile(gateFixture(QStringLiteral("manimgl_script.py")));
        QVERIFY2(report.readyAfterFixes(), qPrintable(describe(report)));
        QCOMPARE(report.fixedSource,
                 readText(gateFixture(QStringLiteral("manimgl_script.fixed.py"))));
        for (const char* rule :
             {"manimlib-import", "moving-camera-scene", "text-mobject", "tex-mobject",
              "show-creation", "fade-in-from", "fade-out-and-shift"})
            QVERIFY2(rulesOf(report).contains(QLatin1String(rule)), rule);
        verifyRewriteLines(report);
        QCOMPARE(report.scenes.size(), 1);
        QCOMPARE(report.scenes.first().name, QStringLiteral("OldSchool"));
    }

    // Correct scripts: no rewrite, no finding at all.

    void correctScriptsPass_data() {
        QTest::addColumn<QString>("path");
        QDirIterator it(gateFixture(QStringLiteral("good")), {QStringLiteral("*.py")});
        QStringList paths;
        while (it.hasNext())
            paths << it.next();
        for (const char* scene :
             {"static_scene.py", "three_d_scene.py", "moving_camera_scene.py", "two_scenes.py",
              "text_scene.py", "mathtex_scene.py", "steps_scene.py", "finder_kinds.py"})
            paths << omega::test::sceneFixture(QLatin1String(scene));
        paths << omega::paths::resourcePath(QStringLiteral("examples/welcome.py"));
        paths << gateFixture(QStringLiteral("docstring_fence.py"));
        paths.sort();
        for (const QString& path : paths)
            QTest::newRow(qPrintable(QFileInfo(path).fileName())) << path;
    }
    void correctScriptsPass() {
        QFETCH(QString, path);
        const GateReport report = gateFile(path);
        QVERIFY2(report.readyAsIs(), qPrintable(describe(report)));
        QVERIFY2(report.findings.isEmpty(), qPrintable(describe(report)));
        QVERIFY(report.syntaxOk);
        QVERIFY(!report.extracted);
        QCOMPARE(report.fixedSource, report.checkedSource);
        QVERIFY(!report.scenes.isEmpty());
        QCOMPARE(report.apiCheck, QStringLiteral("full"));
        QCOMPARE(report.manimVersion, QStringLiteral("0.22.0"));
    }

    // The API check.

    void misspellingsGetSuggestions_data() {
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("suggestion");
        QTest::addColumn<int>("line");
        const QString head = QStringLiteral("from manim import *\nimport numpy as np\nimport manim "
                                            "as mn\n\n\nclass A(Scene):\n    radius = 2\n\n"
                                            "    def construct(self):\n        c = Circle()\n");
        auto row = [&](const char* tag, const char* body, const char* kind, const char* name,
                       const char* suggestion) {
            QTest::newRow(tag) << head + QLatin1String(body) << QString::fromLatin1(kind)
                               << QString::fromLatin1(name) << QString::fromLatin1(suggestion)
                               << 11;
        };
        row("class", "        self.add(Circel())\n", "unknown-name", "Circel", "Circle");
        row("lower case", "        self.add(square())\n", "unknown-name", "square", "Square");
        row("colour", "        self.add(Dot(color=GREN))\n", "unknown-name", "GREN", "GREEN");
        row("animation", "        self.play(Creat(c))\n", "unknown-name", "Creat", "Create");
        row("function", "        self.add(always_redrw(lambda: c))\n", "unknown-name",
            "always_redrw", "always_redraw");
        row("kwarg colour", "        self.add(Circle(colour=RED))\n", "unknown-kwarg", "colour",
            "color");
        row("kwarg side", "        self.add(Square(side=2))\n", "unknown-kwarg", "side",
            "side_length");
        row("kwarg size", "        self.add(Text('x', size=3))\n", "unknown-kwarg", "size",
            "font_size");
        row("animation kwarg", "        self.play(Create(c, run_tim=2))\n", "unknown-kwarg",
            "run_tim", "run_time");
        row("numpy", "        self.add(Dot(np.arry([0, 0, 0])))\n", "unknown-attribute", "arry",
            "array");
        row("manim module", "        self.add(mn.Sqare())\n", "unknown-attribute", "Sqare",
            "Square");
        row("rate function", "        self.play(Create(c), rate_func=rate_functions.smoth)\n",
            "unknown-attribute", "smoth", "smooth");
        row("class attribute", "        self.add(Circle(radius=radius))\n", "unknown-name",
            "radius", "self.radius");
        row("old name not called", "        anim = ShowCreationThenFadeOut\n", "removed-api",
            "ShowCreationThenFadeOut", "Succession");
        QTest::newRow("import") << QStringLiteral("from manim import *\nfrom manim import Circel\n"
                                                  "\n\nclass A(Scene):\n    def construct(self):"
                                                  "\n        self.add(Circel())\n")
                                << QStringLiteral("unknown-name") << QStringLiteral("Circel")
                                << QStringLiteral("Circle") << 2;
    }
    void misspellingsGetSuggestions() {
        QFETCH(QString, code);
        QFETCH(QString, kind);
        QFETCH(QString, name);
        QFETCH(QString, suggestion);
        QFETCH(int, line);
        const GateReport report = gate(code);
        QVERIFY2(report.result.ok(), qPrintable(describe(report)));
        QVERIFY2(!report.readyAfterFixes(), qPrintable(describe(report)));
        const GateFinding* finding = findingOf(report, kind, name);
        QVERIFY2(finding, qPrintable(describe(report)));
        QVERIFY2(finding->suggestions.contains(suggestion), qPrintable(describe(report)));
        QVERIFY(finding->isError());
        QCOMPARE(finding->line, line);
        QVERIFY(finding->column > 0);
        QVERIFY(finding->message.contains(name));
        QCOMPARE(report.findings.size(), 1);
        QCOMPARE_CATEGORY(report.firstError().category, omega::ErrorCategory::MissingManimName);
        QCOMPARE(report.firstError().missingName, name);
    }

    void unknownNameReportedOnceWithItsOtherLines() {
        const GateReport report =
            gate(QStringLiteral("from manim import *\n\n\nclass A(Scene):\n    def construct(self)"
                                ":\n        a = Circel()\n        b = Circel()\n"
                                "        self.add(a, b, Circel())\n"));
        QCOMPARE(report.findings.size(), 1);
        QCOMPARE(report.findings.first().line, 6);
        QCOMPARE(report.findings.first().column, 13);
        QVERIFY2(report.findings.first().message.contains(QLatin1String("also lines 7, 8")),
                 qPrintable(report.findings.first().message));
    }

    void scopesAreResolvedLikePython() {
        // A name bound only inside another function is unknown here; a comprehension
        // variable does not leak; a class attribute is not visible in a method.
        const GateReport report = gate(QStringLiteral(
            "from manim import *\n\n\ndef helper():\n    local_only = 1\n    return "
            "local_only\n\n\n"
            "class A(Scene):\n    def construct(self):\n        squares = [Square() for k in "
            "range(3)]\n        self.add(*squares)\n        print(local_only, k)\n"));
        QVERIFY(findingOf(report, QStringLiteral("unknown-name"), QStringLiteral("local_only")));
        QVERIFY(findingOf(report, QStringLiteral("unknown-name"), QStringLiteral("k")));
        QCOMPARE(report.findings.size(), 2);
    }

    void unknownStarImportMakesTheCheckPartial() {
        const GateReport report = gate(
            QStringLiteral("from manim import *\nfrom my_helpers import *\n\n\nclass A(Scene):\n"
                           "    def construct(self):\n        self.add(helper_shape())\n"));
        QVERIFY2(report.readyAsIs(), qPrintable(describe(report)));
        QCOMPARE(report.apiCheck, QStringLiteral("partial"));
        QVERIFY(report.apiNote.contains(QLatin1String("my_helpers")));
    }

    void knownMistakesWithoutRewriteAreFindings() {
        const GateReport graph = gateFile(gateFixture(QStringLiteral("graph_scene.py")));
        QVERIFY(!graph.readyAfterFixes());
        const GateFinding* removed =
            findingOf(graph, QStringLiteral("removed-api"), QStringLiteral("GraphScene"));
        QVERIFY2(removed, qPrintable(describe(graph)));
        QVERIFY(removed->message.contains(QLatin1String("Axes")));
        QCOMPARE(removed->line, 4);
        const GateFinding* config = findingOf(graph, QStringLiteral("config-dict"));
        QVERIFY(config);
        QVERIFY(config->isError()); // self.x_min is read: it would be an AttributeError
        QCOMPARE(config->line, 5);
        QVERIFY(!findingOf(graph, QStringLiteral("no-scene"))); // GraphScene says it all
        QCOMPARE(rulesOf(graph), QStringList{QStringLiteral("show-creation")});

        const GateReport threeD = gateFile(gateFixture(QStringLiteral("three_d_frame.py")));
        const GateFinding* frame = findingOf(threeD, QStringLiteral("camera-frame"));
        QVERIFY2(frame, qPrintable(describe(threeD)));
        QCOMPARE(frame->line, 7);
        QVERIFY(threeD.rewrites.isEmpty()); // a ThreeDScene is never made a MovingCameraScene
    }

    void unusedConfigDictAndMissingConstructAreWarnings() {
        const GateReport report = gate(QStringLiteral(
            "from manim import *\n\n\nclass A(Scene):\n    CONFIG = {\"camera_config\": "
            "{\"background_color\": BLACK}}\n\n    def construct(self):\n        self.add(Dot())"
            "\n\n\nclass Empty(Scene):\n    pass\n"));
        QCOMPARE(report.errors().size(), 0);
        QCOMPARE(report.warnings().size(), 2);
        QVERIFY(findingOf(report, QStringLiteral("config-dict")));
        QVERIFY(findingOf(report, QStringLiteral("no-construct"), QStringLiteral("Empty")));
        QVERIFY(report.readyAsIs()); // warnings do not block
    }

    // Syntax, scenes, pasted answers.

    void syntaxErrorHasLineAndColumn() {
        const GateReport report = gate(QStringLiteral("from manim import *\n\n\nclass A(Scene):\n"
                                                      "    def construct(self)\n"
                                                      "        self.play(ShowCreation(Dot()))\n"));
        QVERIFY(report.result.ok());
        QVERIFY(!report.syntaxOk);
        QCOMPARE(report.findings.size(), 1);
        const GateFinding& f = report.findings.first();
        QCOMPARE(f.kind, QStringLiteral("syntax"));
        QCOMPARE(f.line, 5);
        QCOMPARE(f.column, 24);
        QVERIFY2(f.message.contains(QLatin1String("expected ':'")), qPrintable(f.message));
        QVERIFY(report.rewrites.isEmpty()); // nothing is rewritten in code that does not parse
        QCOMPARE(report.fixedSource, report.checkedSource);
        QCOMPARE_CATEGORY(report.firstError().category, omega::ErrorCategory::Syntax);
        QCOMPARE(report.firstError().scriptLine, 5);
    }

    void indentationErrorIsASyntaxFinding() {
        const GateReport report =
            gate(QStringLiteral("from manim import *\nclass A(Scene):\ndef construct(self):\n"
                                "    pass\n"));
        QCOMPARE(report.findings.first().kind, QStringLiteral("syntax"));
        QCOMPARE(report.findings.first().line, 3);
        QVERIFY(report.findings.first().message.startsWith(QLatin1String("IndentationError")));
    }

    void noSceneIsAnError() {
        const GateReport report =
            gateFile(omega::test::sceneFixture(QStringLiteral("no_scene.py")));
        QVERIFY(report.result.ok());
        QVERIFY(findingOf(report, QStringLiteral("no-scene")));
        QVERIFY(!report.readyAfterFixes());
        QVERIFY(report.scenes.isEmpty());
        QCOMPARE_CATEGORY(report.firstError().category, omega::ErrorCategory::NoScene);
    }

    void pastedAnswerIsExtracted() {
        const QString answer =
            readText(omega::test::fixturesDir() + QStringLiteral("/answers/02-prose-around.md"));
        const GateReport report = gate(answer, QStringLiteral("answer.md"));
        QVERIFY2(report.result.ok(), qPrintable(describe(report)));
        QVERIFY(report.extracted);
        QCOMPARE(report.rewrites.size(), 1);
        QCOMPARE(report.rewrites.first().rule, QStringLiteral("extract-code"));
        QVERIFY(report.checkedSource.startsWith(QLatin1String("from manim import *\n")));
        QVERIFY(!report.checkedSource.contains(QLatin1String("```")));
        QCOMPARE(report.fixedSource, report.checkedSource);
        QVERIFY(report.readyAfterFixes());
        QVERIFY(!report.readyAsIs());
        QCOMPARE(report.scenes.first().name, QStringLiteral("Pythagoras"));
    }

    void pastedAnswerWithOldApiIsExtractedThenFixed() {
        const GateReport report = gateFile(gateFixture(QStringLiteral("answer_old_api.md")));
        QVERIFY2(report.readyAfterFixes(), qPrintable(describe(report)));
        QCOMPARE(rulesOf(report), (QStringList{QStringLiteral("extract-code"),
                                               QStringLiteral("missing-manim-import"),
                                               QStringLiteral("show-creation")}));
        QVERIFY(report.fixedSource.startsWith(QLatin1String("from manim import *\nclass Ring")));
        QVERIFY(report.fixedSource.contains(QLatin1String("self.play(Create(ring))")));
        // Lines refer to the extracted code; show-creation is line 4 there.
        for (const GateRewrite& r : report.rewrites) {
            if (r.rule == QLatin1String("show-creation"))
                QCOMPARE(r.line, 4);
        }
        verifyRewriteLines(report);
    }

    void scriptWithAFenceInItsDocstringIsNotExtracted() {
        const GateReport report = gateFile(gateFixture(QStringLiteral("docstring_fence.py")));
        QVERIFY(!report.extracted);
        QCOMPARE(report.scenes.size(), 1);
        QCOMPARE(report.scenes.first().name, QStringLiteral("Documented"));
    }

    void crlfAndBomAreNormalised() {
        QString text = readText(gateFixture(QStringLiteral("rules/show-creation.py")));
        text.replace(QLatin1Char('\n'), QLatin1String("\r\n"));
        const GateReport report = gate(QChar(0xFEFF) + text);
        QCOMPARE(report.fixedSource,
                 readText(gateFixture(QStringLiteral("rules/show-creation.fixed.py"))));
        QVERIFY(!report.extracted);
    }

    // The agent itself.

    void missingPythonIsAnEnvironmentError() {
        ScriptGate g;
        g.setPython(QStringLiteral("/nonexistent/python"));
        QSignalSpy spy(&g, &ScriptGate::finished);
        g.check(QStringLiteral("x = 1\n"));
        QVERIFY(spy.isEmpty()); // always asynchronous
        QVERIFY(spy.wait(5000));
        const GateReport report = spy.takeFirst().at(0).value<GateReport>();
        QCOMPARE_CATEGORY(report.result.error.category, omega::ErrorCategory::Environment);
        QVERIFY(!report.readyAfterFixes());
    }

    void cancelDropsAPendingResult() {
        ScriptGate g;
        g.setPython(QStringLiteral("/nonexistent/python"));
        QSignalSpy spy(&g, &ScriptGate::finished);
        g.check(QStringLiteral("x = 1\n"));
        g.cancel();
        QTest::qWait(100);
        QVERIFY(spy.isEmpty());
    }

    void missingFileIsAUsageError() {
        ScriptGate g;
        QSignalSpy spy(&g, &ScriptGate::finished);
        g.checkFile(work(QStringLiteral("nope.py")));
        QVERIFY(spy.wait(5000));
        const GateReport report = spy.takeFirst().at(0).value<GateReport>();
        QCOMPARE_CATEGORY(report.result.error.category, omega::ErrorCategory::Usage);
    }

    void cancelKillsTheHelper() {
        // A fresh cache folder: the helper imports Manim (seconds), so it is still running.
        const QString freshCache = work(QStringLiteral("cancel-cache-") +
                                        QString::number(QCoreApplication::applicationPid()));
        ScriptGate g;
        g.setCacheDir(freshCache);
        QSignalSpy spy(&g, &ScriptGate::finished);
        g.check(readText(omega::test::sceneFixture(QStringLiteral("static_scene.py"))));
        QVERIFY(g.isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(!processesWith(freshCache).isEmpty(), 10000);
        g.cancel();
        QVERIFY(!g.isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(processesWith(freshCache).isEmpty(), 10000);
        QTest::qWait(200);
        QVERIFY(spy.isEmpty()); // cancelled: no finished()
    }

    void timeoutIsReported() {
        ScriptGate g;
        g.setCacheDir(work(QStringLiteral("timeout-cache")));
        g.setTimeoutMs(50);
        QSignalSpy spy(&g, &ScriptGate::finished);
        g.check(QStringLiteral("x = 1\n"));
        QVERIFY(spy.wait(10000));
        const GateReport report = spy.takeFirst().at(0).value<GateReport>();
        QCOMPARE_CATEGORY(report.result.error.category, omega::ErrorCategory::Timeout);
        QTRY_VERIFY_WITH_TIMEOUT(processesWith(work(QStringLiteral("timeout-cache"))).isEmpty(),
                                 10000);
    }

    // The names cache.

    void namesCacheIsCreatedOnceAndReused() {
        IsolatedEnvironment fresh; // its own DATA folder, so its own cache
        const QString script =
            omega::test::copyFixture(QStringLiteral("static_scene.py"), fresh.workDir());
        const QString cacheFile =
            QDir(fresh.dataDir()).filePath(QStringLiteral("cache/manim-names-0.22.0.json"));
        QVERIFY(!QFileInfo::exists(cacheFile));
        const CliRun first =
            omega::test::runOmega({QStringLiteral("check"), script, QStringLiteral("--json")},
                                  fresh.processEnvironment(), 120000, fresh.workDir());
        QCOMPARE(first.exitCode, 0);
        QCOMPARE(first.json().value(QLatin1String("names_source")).toString(),
                 QStringLiteral("import"));
        QVERIFY(QFileInfo::exists(cacheFile));
        const QDateTime written = QFileInfo(cacheFile).lastModified();
        const QJsonObject cache =
            QJsonDocument::fromJson(omega::test::readFile(cacheFile)).object();
        QCOMPARE(cache.value(QLatin1String("manim_version")).toString(), QStringLiteral("0.22.0"));
        QVERIFY(cache.value(QLatin1String("exports")).toArray().contains(QStringLiteral("Circle")));
        QVERIFY(
            cache.value(QLatin1String("callables")).toObject().contains(QLatin1String("Circle")));

        const CliRun second =
            omega::test::runOmega({QStringLiteral("check"), script, QStringLiteral("--json")},
                                  fresh.processEnvironment(), 120000, fresh.workDir());
        QCOMPARE(second.exitCode, 0);
        QCOMPARE(second.json().value(QLatin1String("names_source")).toString(),
                 QStringLiteral("cache"));
        QCOMPARE(QFileInfo(cacheFile).lastModified(), written);
        // Without importing Manim the check is much faster.
        const qint64 firstMs = first.json().value(QLatin1String("elapsed_ms")).toInteger();
        const qint64 secondMs = second.json().value(QLatin1String("elapsed_ms")).toInteger();
        QVERIFY2(secondMs * 2 < firstMs,
                 qPrintable(QStringLiteral("%1 ms then %2 ms").arg(firstMs).arg(secondMs)));
        QVERIFY(second.elapsedMs < first.elapsedMs);
    }

    // The command line.

    void cliCleanScriptExitsZero() {
        const QString script =
            copyToWork(omega::test::sceneFixture(QStringLiteral("two_scenes.py")));
        const QByteArray before = omega::test::readFile(script);
        const CliRun run = omega({QStringLiteral("check"), script, QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 0);
        const QJsonObject json = run.json();
        QCOMPARE(json.value(QLatin1String("status")).toString(), QStringLiteral("ok"));
        QVERIFY(json.value(QLatin1String("ready")).toBool());
        QCOMPARE(json.value(QLatin1String("rewrites")).toArray().size(), 0);
        QCOMPARE(json.value(QLatin1String("findings")).toArray().size(), 0);
        QCOMPARE(json.value(QLatin1String("scenes")).toArray().size(), 2);
        QCOMPARE(json.value(QLatin1String("diff")).toString(), QString());
        QVERIFY(json.value(QLatin1String("fixed_file")).isNull());
        QCOMPARE(omega::test::readFile(script), before);

        const CliRun human = omega({QStringLiteral("check"), script});
        QCOMPARE(human.exitCode, 0);
        QVERIFY2(human.out.contains("ready to render (First, Second)"), human.describe());
    }

    void cliWithoutFixReportsAndChangesNothing() {
        const QString script = copyToWork(gateFixture(QStringLiteral("manimgl_script.py")));
        const QByteArray before = omega::test::readFile(script);
        const CliRun run = omega({QStringLiteral("check"), script, QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 1);
        const QJsonObject json = run.json();
        QVERIFY(!json.value(QLatin1String("ready")).toBool());
        const QJsonArray rewrites = json.value(QLatin1String("rewrites")).toArray();
        QCOMPARE(rewrites.size(), 7);
        const QJsonObject first = rewrites.first().toObject();
        QCOMPARE(first.value(QLatin1String("rule")).toString(), QStringLiteral("manimlib-import"));
        QCOMPARE(first.value(QLatin1String("line")).toInt(), 1);
        QCOMPARE(first.value(QLatin1String("before")).toString(),
                 QStringLiteral("from manimlib import *"));
        QCOMPARE(first.value(QLatin1String("after")).toString(),
                 QStringLiteral("from manim import *"));
        QVERIFY(json.value(QLatin1String("diff"))
                    .toString()
                    .startsWith(
                        QLatin1String("--- a/manimgl_script.py\n+++ b/manimgl_script.py\n@@ ")));
        QCOMPARE(omega::test::readFile(script), before);
        QVERIFY(!QFileInfo::exists(script + QStringLiteral(".bak")));

        const CliRun human = omega({QStringLiteral("check"), script});
        QCOMPARE(human.exitCode, 1);
        QVERIFY2(human.out.contains(": fix [show-creation] "), human.describe());
        QVERIFY(human.out.contains("    - self.play(ShowCreation(title))\n"));
        QVERIFY(human.out.contains("    + self.play(Create(title))\n"));
        QVERIFY(human.out.contains("7 fix(es) to apply (omega check --fix)"));
    }

    void cliFixWritesFileBackupAndDiff() {
        const QString script = copyToWork(gateFixture(QStringLiteral("manimgl_script.py")));
        const QByteArray original = omega::test::readFile(script);
        const CliRun run = omega(
            {QStringLiteral("check"), script, QStringLiteral("--fix"), QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 0);
        const QJsonObject json = run.json();
        QVERIFY(json.value(QLatin1String("ready")).toBool());
        QCOMPARE(omega::test::readFile(script),
                 omega::test::readFile(gateFixture(QStringLiteral("manimgl_script.fixed.py"))));
        QCOMPARE(omega::test::readFile(script + QStringLiteral(".bak")), original);
        QCOMPARE(json.value(QLatin1String("fixed_file")).toString(),
                 QFileInfo(script).absoluteFilePath());
        QCOMPARE(json.value(QLatin1String("backup_file")).toString(),
                 QFileInfo(script).absoluteFilePath() + QStringLiteral(".bak"));
        const QString diff = json.value(QLatin1String("diff")).toString();
        QVERIFY(diff.contains(QLatin1String("\n-from manimlib import *\n+from manim import *\n")));
        QVERIFY(diff.contains(
            QLatin1String("\n-class OldSchool(Scene):\n+class OldSchool(MovingCameraScene):\n")));

        // Now ready as it is: a second check changes nothing.
        const CliRun again = omega({QStringLiteral("check"), script, QStringLiteral("--fix")});
        QCOMPARE(again.exitCode, 0);
        QVERIFY(!again.out.contains("--- a/"));
        QCOMPARE(omega::test::readFile(script + QStringLiteral(".bak")), original);

        // Human output: the diff on stdout.
        const QString other = copyToWork(gateFixture(QStringLiteral("rules/show-creation.py")));
        const CliRun human = omega({QStringLiteral("check"), other, QStringLiteral("--fix")});
        QCOMPARE(human.exitCode, 0);
        QVERIFY2(human.out.startsWith("--- a/show-creation.py\n+++ b/show-creation.py\n@@ "),
                 human.describe());
        QVERIFY(human.out.contains("-from manim import ShowCreation\n+from manim import Create\n"));
        QVERIFY(human.out.contains("fix(es) applied (original kept in show-creation.py.bak)"));
    }

    void cliFixWithRemainingProblemsExitsOne() {
        const QString script = copyToWork(gateFixture(QStringLiteral("graph_scene.py")));
        const CliRun run = omega(
            {QStringLiteral("check"), script, QStringLiteral("--fix"), QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 1);
        const QJsonObject json = run.json();
        QVERIFY(!json.value(QLatin1String("ready")).toBool());
        QVERIFY(QFileInfo::exists(script + QStringLiteral(".bak"))); // the fixes were applied
        QVERIFY(omega::test::readFile(script).contains("self.play(Create(graph))"));
        QStringList kinds;
        for (const QJsonValue& f : json.value(QLatin1String("findings")).toArray())
            kinds << f.toObject().value(QLatin1String("kind")).toString();
        QCOMPARE(kinds,
                 (QStringList{QStringLiteral("removed-api"), QStringLiteral("config-dict")}));
    }

    void cliPastedAnswerFix() {
        const QString answer =
            copyToWork(gateFixture(QStringLiteral("answer_old_api.md")), QStringLiteral("ring.py"));
        const QByteArray original = omega::test::readFile(answer);
        const CliRun run = omega({QStringLiteral("check"), answer, QStringLiteral("--fix")});
        QCOMPARE(run.exitCode, 0);
        const QByteArray fixed = omega::test::readFile(answer);
        QVERIFY(fixed.startsWith("from manim import *\nclass Ring(Scene):\n"));
        QVERIFY(!fixed.contains("```"));
        QCOMPARE(omega::test::readFile(answer + QStringLiteral(".bak")), original);
        QVERIFY(run.out.contains(": fixed [extract-code] "));
    }

    void cliKeepsCrlfLineEndings() {
        QByteArray bytes =
            omega::test::readFile(gateFixture(QStringLiteral("rules/show-creation.py")));
        bytes.replace("\n", "\r\n");
        const QString script = work(QStringLiteral("crlf.py"));
        QVERIFY(omega::test::writeFile(script, bytes));
        QCOMPARE(omega::test::runOmega({QStringLiteral("check"), script, QStringLiteral("--fix")},
                                       env_->processEnvironment())
                     .exitCode,
                 0);
        QByteArray expected =
            omega::test::readFile(gateFixture(QStringLiteral("rules/show-creation.fixed.py")));
        expected.replace("\n", "\r\n");
        QCOMPARE(omega::test::readFile(script), expected);
    }

    void cliSyntaxErrorExitsOne() {
        const QString script =
            copyToWork(omega::test::sceneFixture(QStringLiteral("finder_syntax_error.py")));
        const CliRun run = omega({QStringLiteral("check"), script, QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 1);
        const QJsonObject f =
            run.json().value(QLatin1String("findings")).toArray().first().toObject();
        QCOMPARE(f.value(QLatin1String("kind")).toString(), QStringLiteral("syntax"));
        QVERIFY(f.value(QLatin1String("line")).toInt() > 0);
        QVERIFY(f.value(QLatin1String("column")).toInt() > 0);
        const CliRun human = omega({QStringLiteral("check"), script});
        QVERIFY2(human.out.contains("finder_syntax_error.py:5:"), human.describe());
        QVERIFY(human.out.contains("error [syntax]"));
    }

    void cliUsageErrors() {
        QCOMPARE(omega({QStringLiteral("check")}).exitCode, 2);
        const CliRun missing = omega(
            {QStringLiteral("check"), work(QStringLiteral("nope.py")), QStringLiteral("--json")});
        QCOMPARE(missing.exitCode, 2);
        QCOMPARE(missing.errorCategory(), QStringLiteral("usage"));
        QCOMPARE(omega({QStringLiteral("check"), env_->workDir()}).exitCode, 2);
        QCOMPARE(omega({QStringLiteral("check"), QStringLiteral("a.py"), QStringLiteral("b.py")})
                     .exitCode,
                 2);
        QCOMPARE(omega({QStringLiteral("check"), QStringLiteral("--frobnicate")}).exitCode, 2);
        const QString binary = work(QStringLiteral("binary.py"));
        QVERIFY(omega::test::writeFile(binary, QByteArray("\xff\xfe\x00\x01", 4)));
        QCOMPARE(omega({QStringLiteral("check"), binary}).exitCode, 2);
        const CliRun help = omega({QStringLiteral("check"), QStringLiteral("--help")});
        QCOMPARE(help.exitCode, 0);
        QVERIFY(help.out.contains("--fix"));
        QVERIFY(omega({QStringLiteral("--help")}).out.contains("check FILE"));
    }

    void cliWithoutManimIsEnvironment() {
        // A Python without Manim (the system one): exit 3, the rewrites still reported.
        const QString system = QStringLiteral("/usr/bin/python3");
        QProcess probe;
        probe.start(system, {QStringLiteral("-c"), QStringLiteral("import manim")});
        if (!probe.waitForFinished(30000) || probe.exitCode() == 0)
            QSKIP("needs a system python3 without Manim");
        const QString script = copyToWork(gateFixture(QStringLiteral("manimgl_script.py")));
        QProcessEnvironment env = env_->processEnvironment();
        env.insert(QStringLiteral("OMEGA_PYTHON"), system);
        const CliRun run = omega(
            {QStringLiteral("check"), script, QStringLiteral("--fix"), QStringLiteral("--json")},
            env);
        QCOMPARE(run.exitCode, 3);
        QCOMPARE(run.errorCategory(), QStringLiteral("environment"));
        QCOMPARE(run.json().value(QLatin1String("names_source")).toString(),
                 QStringLiteral("none"));
        QCOMPARE(run.json().value(QLatin1String("rewrites")).toArray().size(), 7);
        QVERIFY(!QFileInfo::exists(script + QStringLiteral(".bak"))); // nothing written
    }

    void cliWithoutVenvIsEnvironment() {
        const QString script =
            copyToWork(omega::test::sceneFixture(QStringLiteral("static_scene.py")));
        QProcessEnvironment env = env_->processEnvironment();
        env.insert(QStringLiteral("OMEGA_VENV"), QStringLiteral("/nonexistent"));
        env.remove(QStringLiteral("OMEGA_PYTHON"));
        const CliRun run = omega({QStringLiteral("check"), script, QStringLiteral("--json")}, env);
        QCOMPARE(run.exitCode, 3);
        QCOMPARE(run.errorCategory(), QStringLiteral("environment"));
        const CliRun human = omega({QStringLiteral("check"), script}, env);
        QCOMPARE(human.exitCode, 3);
        QVERIFY(human.err.contains("render Python is missing"));
    }
};

QTEST_GUILESS_MAIN(TestGate)
#include "tst_gate.moc"
