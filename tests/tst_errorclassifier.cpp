// ErrorClassifier against manim 0.22's real output (tests/fixtures/manim, recorded by
// tests/fixtures/manim/record.py: each <case>.json holds the exit code and the expected
// category, script line and missing name) and synthetic outcomes.
#include "ErrorClassifier.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using omega::categoryName;
using omega::classifyRenderFailure;
using omega::ErrorCategory;
using omega::ErrorReport;
using omega::ProcessOutcome;
using omega::scriptLineFromTraceback;

namespace {

QString fixturesDir() {
    return QStringLiteral(OMEGA_FIXTURES_DIR "/manim");
}

QByteArray readFile(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(path));
    return file.readAll();
}

struct Fixture {
    ProcessOutcome outcome;
    QString expectedCategory;
    int expectedLine = 0;
    QString expectedMissingName;
};

Fixture loadFixture(const QString& name) {
    const QString base = fixturesDir() + QLatin1Char('/') + name;
    const QJsonObject json =
        QJsonDocument::fromJson(readFile(base + QStringLiteral(".json"))).object();
    Fixture f;
    f.outcome.stdoutText = QString::fromUtf8(readFile(base + QStringLiteral(".stdout")));
    f.outcome.stderrText = QString::fromUtf8(readFile(base + QStringLiteral(".stderr")));
    f.outcome.exitCode = json.value(QStringLiteral("exitCode")).toInt(-1);
    f.outcome.outputMissing = !json.value(QStringLiteral("outputExists")).toBool();
    f.outcome.scriptPathInJob = json.value(QStringLiteral("scriptPathInJob")).toString();
    f.expectedCategory = json.value(QStringLiteral("expectedCategory")).toString();
    f.expectedLine = json.value(QStringLiteral("expectedLine")).toInt(-1);
    f.expectedMissingName = json.value(QStringLiteral("expectedMissingName")).toString();
    return f;
}

QStringList fixtureNames() {
    QStringList names;
    const QStringList files =
        QDir(fixturesDir()).entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    for (const QString& file : files)
        names << file.chopped(5);
    return names;
}

ProcessOutcome stderrOnly(const QString& stderrText, int exitCode = 1) {
    ProcessOutcome o;
    o.stderrText = stderrText;
    o.exitCode = exitCode;
    o.outputMissing = true;
    o.scriptPathInJob = QStringLiteral("/tmp/job/scene.py");
    return o;
}

void verifyWellFormed(const ErrorReport& r) {
    QVERIFY2(!r.message.isEmpty(), "message is empty");
    QVERIFY2(!r.hint.isEmpty(), "hint is empty");
    QVERIFY2(!r.message.contains(QLatin1Char('\n')), qPrintable(r.message));
    QVERIFY2(r.message.size() < 400, qPrintable(r.message));
    QVERIFY2(r.detail.count(QLatin1Char('\n')) < 40, qPrintable(r.detail));
}

// "│ text │" as Rich draws a line of an 80-column panel (76 columns of text).
QString panelLine(const QString& text) {
    return QStringLiteral("\u2502 ") + text.leftJustified(76) + QStringLiteral(" \u2502\n");
}

// A plain (non-Rich) Python 3.11 traceback, as printed before manim's Rich handler is in
// place: manim's own import chain failing inside `python -m manim`.
const char kPlainManimImportFailure[] =
    "Traceback (most recent call last):\n"
    "  File \"<frozen runpy>\", line 198, in _run_module_as_main\n"
    "  File \"<frozen runpy>\", line 88, in _run_code\n"
    "  File \"/opt/venv/lib/python3.11/site-packages/manim/__main__.py\", line 7, in <module>\n"
    "    from manim import __version__\n"
    "  File \"/opt/venv/lib/python3.11/site-packages/manim/__init__.py\", line 24, in <module>\n"
    "    from .animation.animation import *\n"
    "  File \"/opt/venv/lib/python3.11/site-packages/manim/camera/camera.py\", line 15, in "
    "<module>\n"
    "    import cairo\n"
    "ModuleNotFoundError: No module named 'cairo'\n";

} // namespace

class TestErrorClassifier : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void fixturesPresent();
    void recordedFixtures_data();
    void recordedFixtures();
    void recordedDetailsAreTrimmed();
    void recordedLatexMessages();
    void recordedSyntaxDetail();
    void timeoutAndCancel();
    void signals_data();
    void signals();
    void exitCodeFromSignal();
    void outputMissing();
    void successIsNotAnError();
    void plainTracebacks_data();
    void plainTracebacks();
    void scriptLineFromTraceback_data();
    void scriptLineFromTraceback();
    void scriptLineFromRecordedRichPanels();
};

void TestErrorClassifier::fixturesPresent() {
    const QStringList names = fixtureNames();
    QVERIFY2(names.size() >= 25, qPrintable(names.join(QLatin1Char(' '))));
    for (const char* required :
         {"success", "cached", "syntax_error", "indentation_error", "name_error", "attribute_error",
          "module_not_found", "import_name_from_manim", "manim_submodule", "latex_error",
          "latex_missing_package", "no_scene", "helper_exception", "zero_division",
          "recursion_error"})
        QVERIFY2(names.contains(QLatin1String(required)), required);
}

void TestErrorClassifier::recordedFixtures_data() {
    QTest::addColumn<QString>("name");
    for (const QString& name : fixtureNames())
        QTest::newRow(qPrintable(name)) << name;
}

void TestErrorClassifier::recordedFixtures() {
    QFETCH(QString, name);
    const Fixture f = loadFixture(name);
    QVERIFY(!f.expectedCategory.isEmpty());
    QVERIFY(f.expectedLine >= 0);
    const ErrorReport r = classifyRenderFailure(f.outcome);
    const QString context = QStringLiteral("%1: %2 | %3 | line %4 | %5\n%6")
                                .arg(name, categoryName(r.category), r.message)
                                .arg(r.scriptLine)
                                .arg(r.missingName, r.detail);
    QVERIFY2(categoryName(r.category) == f.expectedCategory, qPrintable(context));
    QCOMPARE(r.scriptLine, f.expectedLine);
    QCOMPARE(r.missingName, f.expectedMissingName);
    if (r.category == ErrorCategory::None) {
        QVERIFY(r.message.isEmpty());
        QCOMPARE(f.outcome.exitCode, 0);
        return;
    }
    verifyWellFormed(r);
    QVERIFY2(!r.detail.isEmpty(), qPrintable(context));
    if (r.scriptLine > 0) {
        // The detail names the frame in the user's script, with its line.
        QVERIFY2(r.detail.contains(QStringLiteral("line %1").arg(r.scriptLine)),
                 qPrintable(r.detail));
        QVERIFY2(r.detail.contains(f.outcome.scriptPathInJob), qPrintable(r.detail));
    }
    if (!r.missingName.isEmpty() && r.category != ErrorCategory::Usage &&
        r.category != ErrorCategory::CodeError)
        QVERIFY2(r.message.contains(r.missingName) || r.hint.contains(r.missingName),
                 qPrintable(context));
}

void TestErrorClassifier::recordedDetailsAreTrimmed() {
    // 1000 recursive frames become one collapsed frame.
    const ErrorReport recursion =
        classifyRenderFailure(loadFixture(QStringLiteral("recursion_error")).outcome);
    QVERIFY(recursion.detail.contains(QLatin1String("RecursionError: maximum recursion depth")));
    QVERIFY(recursion.detail.contains(QLatin1String("repeated")));
    QVERIFY(recursion.detail.count(QLatin1Char('\n')) < 15);
    QVERIFY(recursion.message.contains(QLatin1String("RecursionError")));

    // Only the script's frames (not manim's), innermost last, with their code.
    const ErrorReport helper =
        classifyRenderFailure(loadFixture(QStringLiteral("helper_exception")).outcome);
    QCOMPARE(helper.category, ErrorCategory::CodeError);
    QVERIFY(helper.message.contains(QLatin1String("ZeroDivisionError")));
    QVERIFY(!helper.detail.contains(QLatin1String("site-packages")));
    const qsizetype construct = helper.detail.indexOf(QLatin1String("line 13, in construct"));
    const qsizetype makeShapes = helper.detail.indexOf(QLatin1String("line 6, in make_shapes"));
    QVERIFY2(construct >= 0 && makeShapes > construct, qPrintable(helper.detail));
    QVERIFY(helper.detail.contains(QLatin1String("shapes = make_shapes(3)")));
    QVERIFY(helper.detail.endsWith(QLatin1String("ZeroDivisionError: float division by zero")));

    // Wrapped exception messages are joined.
    const ErrorReport import =
        classifyRenderFailure(loadFixture(QStringLiteral("import_name_from_manim")).outcome);
    QVERIFY2(import.detail.contains(
                 QLatin1String("cannot import name 'ShowCreation' from 'manim' (/work/main/")) ||
                 import.detail.contains(QLatin1String("from 'manim' (")),
             qPrintable(import.detail));
    QVERIFY(import.hint.contains(QLatin1String("Create")));

    // A long job path with spaces, wrapped and folded by Rich, still maps to the script.
    const Fixture longPath = loadFixture(QStringLiteral("long_path_error"));
    QVERIFY(longPath.outcome.scriptPathInJob.contains(QLatin1Char(' ')));
    QVERIFY(longPath.outcome.scriptPathInJob.size() > 80);
    const ErrorReport longReport = classifyRenderFailure(longPath.outcome);
    QCOMPARE(longReport.scriptLine, 10);
    QVERIFY(longReport.detail.contains(longPath.outcome.scriptPathInJob));
    QVERIFY(longReport.message.contains(QLatin1String("IndexError")));

    // A camera move in a plain Scene gets the specific hint.
    const ErrorReport camera =
        classifyRenderFailure(loadFixture(QStringLiteral("attribute_error")).outcome);
    QVERIFY(camera.hint.contains(QLatin1String("MovingCameraScene")));
}

void TestErrorClassifier::recordedLatexMessages() {
    const ErrorReport latex =
        classifyRenderFailure(loadFixture(QStringLiteral("latex_error")).outcome);
    QCOMPARE(latex.category, ErrorCategory::Latex);
    QVERIFY2(latex.message.contains(QLatin1String("Undefined control sequence")),
             qPrintable(latex.message));
    QVERIFY(latex.detail.contains(QLatin1String("fracc")));

    const ErrorReport package =
        classifyRenderFailure(loadFixture(QStringLiteral("latex_missing_package")).outcome);
    QCOMPARE(package.category, ErrorCategory::Environment);
    QVERIFY(package.message.contains(QLatin1String("nonexistentpkgxyz.sty")));
    QVERIFY(package.hint.contains(QLatin1String("texlive")));
    QVERIFY(omega::isEnvironmentProblem(package.category));

    const ErrorReport none =
        classifyRenderFailure(loadFixture(QStringLiteral("latex_not_installed")).outcome);
    QCOMPARE(none.category, ErrorCategory::Environment);
    QVERIFY(none.message.contains(QLatin1String("'latex'")));
}

void TestErrorClassifier::recordedSyntaxDetail() {
    const ErrorReport r =
        classifyRenderFailure(loadFixture(QStringLiteral("syntax_error")).outcome);
    QCOMPARE(r.category, ErrorCategory::Syntax);
    QVERIFY(r.message.contains(QLatin1String("'(' was never closed")));
    QVERIFY(r.detail.contains(QLatin1String("circle = Circle(radius=1")));
    const ErrorReport tab = classifyRenderFailure(loadFixture(QStringLiteral("tab_error")).outcome);
    QVERIFY(tab.message.contains(QLatin1String("TabError")));
}

void TestErrorClassifier::timeoutAndCancel() {
    ProcessOutcome o = loadFixture(QStringLiteral("zero_division")).outcome;
    o.timedOut = true;
    ErrorReport r = classifyRenderFailure(o);
    QCOMPARE(r.category, ErrorCategory::Timeout);
    verifyWellFormed(r);

    o.timedOut = false;
    o.cancelled = true;
    r = classifyRenderFailure(o);
    QCOMPARE(r.category, ErrorCategory::Cancelled);
    verifyWellFormed(r);
}

void TestErrorClassifier::signals_data() {
    QTest::addColumn<int>("signal");
    QTest::addColumn<QString>("mustContain");
    QTest::newRow("SIGKILL") << 9 << QStringLiteral("out-of-memory");
    QTest::newRow("SIGSEGV") << 11 << QStringLiteral("SIGSEGV");
    QTest::newRow("SIGABRT") << 6 << QStringLiteral("SIGABRT");
    QTest::newRow("SIGTERM") << 15 << QStringLiteral("SIGTERM");
    QTest::newRow("unknown") << 0 << QStringLiteral("signal");
    QTest::newRow("odd number") << 42 << QStringLiteral("signal 42");
}

void TestErrorClassifier::exitCodeFromSignal() {
    // `docker run` reports the OOM killer's SIGKILL as exit code 137.
    ProcessOutcome o = stderrOnly(QString(), 137);
    ErrorReport r = classifyRenderFailure(o);
    QCOMPARE(r.category, ErrorCategory::Killed);
    QVERIFY2(r.message.contains(QLatin1String("SIGKILL")), qPrintable(r.message));
    verifyWellFormed(r);
    o.exitCode = 139;
    r = classifyRenderFailure(o);
    QCOMPARE(r.category, ErrorCategory::Killed);
    QVERIFY2(r.message.contains(QLatin1String("SIGSEGV")), qPrintable(r.message));
}

void TestErrorClassifier::signals() {
    QFETCH(int, signal);
    QFETCH(QString, mustContain);
    ProcessOutcome o = loadFixture(QStringLiteral("success")).outcome;
    o.crashed = true;
    o.signal = signal;
    o.outputMissing = true;
    const ErrorReport r = classifyRenderFailure(o);
    QCOMPARE(r.category, ErrorCategory::Killed);
    verifyWellFormed(r);
    QVERIFY2(r.message.contains(mustContain), qPrintable(r.message));
}

void TestErrorClassifier::outputMissing() {
    ProcessOutcome o;
    o.exitCode = 0;
    o.outputMissing = true;
    o.stdoutText = QStringLiteral("Manim Community v0.22.0\n\n");
    ErrorReport r = classifyRenderFailure(o);
    QCOMPARE(r.category, ErrorCategory::NoOutput);
    verifyWellFormed(r);

    // A logged ERROR that is not recognised is quoted in the message.
    o.stdoutText = QStringLiteral(
        "[01/01/26 10:00:00] ERROR    Something odd happened.   scene_file_writer.py:12\n");
    r = classifyRenderFailure(o);
    QCOMPARE(r.category, ErrorCategory::NoOutput);
    QVERIFY2(r.message.contains(QLatin1String("Something odd happened.")), qPrintable(r.message));

    // A wrapped line of a record that starts with a level word stays in the record.
    o.stdoutText =
        QStringLiteral("[01/01/26 10:00:00] ERROR    Something odd     scene_file_writer.py:12\n"
                       "                             INFO follows.\n"
                       "                    INFO     Next record.      scene_file_writer.py:13\n");
    r = classifyRenderFailure(o);
    QCOMPARE(r.category, ErrorCategory::NoOutput);
    QVERIFY2(r.message.contains(QLatin1String("Something odd INFO follows.")),
             qPrintable(r.message));
    QVERIFY2(!r.message.contains(QLatin1String("Next record")), qPrintable(r.message));

    // Nonzero exit without any Python error.
    o.stdoutText.clear();
    o.stderrText = QStringLiteral("something went wrong\n");
    o.exitCode = 3;
    r = classifyRenderFailure(o);
    QCOMPARE(r.category, ErrorCategory::CodeError);
    QVERIFY(r.message.contains(QLatin1String("code 3")));
    verifyWellFormed(r);
}

void TestErrorClassifier::successIsNotAnError() {
    ProcessOutcome o;
    const ErrorReport r = classifyRenderFailure(o);
    QCOMPARE(r.category, ErrorCategory::None);
    QVERIFY(!r.isError());
}

void TestErrorClassifier::plainTracebacks_data() {
    QTest::addColumn<QString>("stderrText");
    QTest::addColumn<int>("category");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("missingName");
    const auto cat = [](ErrorCategory c) { return int(c); };

    QTest::newRow("manim import chain: cairo missing")
        << QString::fromUtf8(kPlainManimImportFailure) << cat(ErrorCategory::Environment) << 0
        << QStringLiteral("cairo");
    QTest::newRow("native library")
        << QStringLiteral(
               "Traceback (most recent call last):\n"
               "  File \"/opt/venv/lib/python3.11/site-packages/manimpango/__init__.py\", "
               "line 12, in <module>\n"
               "    from .cmanimpango import *\n"
               "ImportError: libpangocairo-1.0.so.0: cannot open shared object file: "
               "No such file or directory\n")
        << cat(ErrorCategory::Environment) << 0 << QString();
    QTest::newRow("name error at import")
        << QStringLiteral("Traceback (most recent call last):\n"
                          "  File \"/tmp/job/scene.py\", line 4, in <module>\n"
                          "    class Intro(GraphScene):\n"
                          "                ^^^^^^^^^^\n"
                          "NameError: name 'GraphScene' is not defined\n")
        << cat(ErrorCategory::MissingManimName) << 4 << QStringLiteral("GraphScene");
    QTest::newRow("syntax error without traceback header")
        << QStringLiteral("  File \"/tmp/job/scene.py\", line 7\n"
                          "    circle = Circle(radius=1\n"
                          "                   ^\n"
                          "SyntaxError: '(' was never closed\n")
        << cat(ErrorCategory::Syntax) << 7 << QString();
    QTest::newRow("third-party module, pip name differs")
        << QStringLiteral("Traceback (most recent call last):\n"
                          "  File \"/tmp/job/scene.py\", line 2, in <module>\n"
                          "    import cv2.aruco\n"
                          "ModuleNotFoundError: No module named 'cv2'\n")
        << cat(ErrorCategory::MissingModule) << 2 << QStringLiteral("cv2");
    QTest::newRow("module attribute of manim")
        << QStringLiteral("Traceback (most recent call last):\n"
                          "  File \"/tmp/job/scene.py\", line 9, in construct\n"
                          "    self.play(manim.ShowCreation(c))\n"
                          "AttributeError: module 'manim' has no attribute 'ShowCreation'\n")
        << cat(ErrorCategory::MissingManimName) << 9 << QStringLiteral("ShowCreation");
    QTest::newRow("disk full") << QStringLiteral(
                                      "Traceback (most recent call last):\n"
                                      "  File \"/tmp/job/scene.py\", line 12, in construct\n"
                                      "    self.play(Create(c))\n"
                                      "OSError: [Errno 28] No space left on device\n")
                               << cat(ErrorCategory::Environment) << 12 << QString();
    QTest::newRow("dvisvgm missing")
        << QStringLiteral("Traceback (most recent call last):\n"
                          "  File \"/tmp/job/scene.py\", line 5, in construct\n"
                          "    MathTex('x')\n"
                          "FileNotFoundError: [Errno 2] No such file or directory: 'dvisvgm'\n")
        << cat(ErrorCategory::Environment) << 5 << QStringLiteral("dvisvgm");
    QTest::newRow("user file not found is a code error")
        << QStringLiteral("Traceback (most recent call last):\n"
                          "  File \"/tmp/job/scene.py\", line 8, in construct\n"
                          "    ImageMobject('logo.png')\n"
                          "FileNotFoundError: [Errno 2] No such file or directory: 'logo.png'\n")
        << cat(ErrorCategory::CodeError) << 8 << QString();
    QTest::newRow("chained: the last exception counts")
        << QStringLiteral("Traceback (most recent call last):\n"
                          "  File \"/tmp/job/scene.py\", line 6, in construct\n"
                          "    x = d['k']\n"
                          "KeyError: 'k'\n\n"
                          "During handling of the above exception, another exception occurred:\n\n"
                          "Traceback (most recent call last):\n"
                          "  File \"/tmp/job/scene.py\", line 8, in construct\n"
                          "    raise ValueError('bad value')\n"
                          "ValueError: bad value\n")
        << cat(ErrorCategory::CodeError) << 8 << QString();
    QTest::newRow("qualified exception type")
        << QStringLiteral(
               "Traceback (most recent call last):\n"
               "  File \"/tmp/job/scene.py\", line 3, in <module>\n"
               "    data = json.loads('{')\n"
               "json.decoder.JSONDecodeError: Expecting property name: line 1 column 2\n")
        << cat(ErrorCategory::CodeError) << 3 << QString();
    QTest::newRow("python without manim")
        << QStringLiteral("/usr/bin/python3: No module named manim\n")
        << cat(ErrorCategory::Environment) << 0 << QStringLiteral("manim");
    QTest::newRow("latex without manim's summary")
        << QStringLiteral("! Missing $ inserted.\n<inserted text>\n\n"
                          "Traceback (most recent call last):\n"
                          "  File \"/tmp/job/scene.py\", line 11, in construct\n"
                          "    Tex(r'x^2')\n"
                          "ValueError: latex error converting to dvi. See log output above or "
                          "the log file: media/Tex/abc.log\n")
        << cat(ErrorCategory::Latex) << 11 << QString();
    QTest::newRow("manim missing under the script's import")
        << QStringLiteral("Traceback (most recent call last):\n"
                          "  File \"/tmp/job/scene.py\", line 1, in <module>\n"
                          "    from manim import *\n"
                          "ModuleNotFoundError: No module named 'manim'\n")
        << cat(ErrorCategory::Environment) << 1 << QStringLiteral("manim");
    QTest::newRow("no traceback, exit 1")
        << QStringLiteral("") << cat(ErrorCategory::CodeError) << 0 << QString();
}

void TestErrorClassifier::plainTracebacks() {
    QFETCH(QString, stderrText);
    QFETCH(int, category);
    const ErrorReport r = classifyRenderFailure(stderrOnly(stderrText));
    // TeX's own "! …" line is quoted when manim's summary is missing.
    if (r.category == ErrorCategory::Latex)
        QVERIFY2(r.message.contains(QLatin1String("Missing $ inserted")), qPrintable(r.message));
    QVERIFY2(int(r.category) == category,
             qPrintable(categoryName(r.category) + QStringLiteral(": ") + r.message));
    QTEST(r.scriptLine, "line");
    QTEST(r.missingName, "missingName");
    verifyWellFormed(r);
}

void TestErrorClassifier::scriptLineFromTraceback_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("expected");
    const QString plain = QStringLiteral("Traceback (most recent call last):\n"
                                         "  File \"/tmp/job/scene.py\", line 20, in construct\n"
                                         "    helper()\n"
                                         "  File \"/tmp/job/scene.py\", line 5, in helper\n"
                                         "    return 1 / 0\n"
                                         "  File \"/usr/lib/python3.11/x.py\", line 99, in f\n"
                                         "ZeroDivisionError: division by zero\n");
    QTest::newRow("plain: innermost frame of the script")
        << plain << QStringLiteral("/tmp/job/scene.py") << 5;
    QTest::newRow("plain: other file") << plain << QStringLiteral("/tmp/other/scene.py") << 0;
    QTest::newRow("plain: relative path") << plain << QStringLiteral("scene.py") << 5;
    QTest::newRow("plain: empty path") << plain << QString() << 0;
    QTest::newRow("empty text") << QString() << QStringLiteral("/tmp/job/scene.py") << 0;

    // Rich panel, 80 columns: the path is wrapped at its space, then the word after it is
    // longer than the panel's 76 columns and folded, as Rich does.
    const QString word = QStringLiteral("Videos/omega/jobs/") +
                         QStringLiteral("0123456789abcdef").repeated(3) +
                         QStringLiteral("/scene.py:42");
    const QString rich =
        QStringLiteral("\u256d\u2500 Traceback (most recent call last) \u2500\u256e\n") +
        panelLine(QStringLiteral("/home/ann/My")) + panelLine(word.left(76)) +
        panelLine(word.mid(76) + QStringLiteral(" in construct")) + panelLine(QString()) +
        panelLine(QStringLiteral("  41 \u2502   \u2502   x = 1")) +
        panelLine(QStringLiteral("\u2771 42 \u2502   \u2502   y = x / 0")) +
        QStringLiteral("\u2570\u2500\u2500\u256f\n"
                       "ZeroDivisionError: division by zero\n");
    QVERIFY(word.size() > 76);
    QTest::newRow("rich: wrapped path")
        << rich
        << QStringLiteral("/home/ann/My Videos/omega/jobs/"
                          "0123456789abcdef0123456789abcdef0123456789abcdef/scene.py")
        << 42;
    QTest::newRow("rich: prefix of the real path does not match")
        << rich << QStringLiteral("/home/ann/My Videos/omega/jobs/0123456789ab") << 0;
    // A DeprecationWarning mentions the script too, but is no traceback frame.
    QTest::newRow("warning line is not a frame")
        << QStringLiteral("/tmp/job/scene.py:8: DeprecationWarning: old\n  x = 1\n")
        << QStringLiteral("/tmp/job/scene.py") << 0;
}

void TestErrorClassifier::scriptLineFromTraceback() {
    QFETCH(QString, text);
    QFETCH(QString, path);
    QTEST(omega::scriptLineFromTraceback(text, path), "expected");
}

void TestErrorClassifier::scriptLineFromRecordedRichPanels() {
    int checked = 0;
    for (const QString& name : fixtureNames()) {
        const Fixture f = loadFixture(name);
        if (f.outcome.stderrText.isEmpty())
            continue;
        const int line =
            omega::scriptLineFromTraceback(f.outcome.stderrText, f.outcome.scriptPathInJob);
        // LaTeX and missing-file fixtures also raise from the script's line.
        QVERIFY2(line == f.expectedLine, qPrintable(QStringLiteral("%1: %2").arg(name).arg(line)));
        if (line > 0)
            ++checked;
        // The same traceback does not match a different script.
        QCOMPARE(omega::scriptLineFromTraceback(f.outcome.stderrText,
                                                QStringLiteral("/tmp/elsewhere/scene.py")),
                 0);
    }
    QVERIFY(checked >= 15);
}

QTEST_GUILESS_MAIN(TestErrorClassifier)
#include "tst_errorclassifier.moc"
