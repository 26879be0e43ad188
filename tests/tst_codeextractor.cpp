// extractManimCode against model answers (tests/fixtures/answers/*.md, expectations in
// expectations.json) and hand-made edge cases.
#include "CodeExtractor.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using omega::ExtractedCode;
using omega::extractManimCode;

namespace {

QString answersDir() {
    return QStringLiteral(OMEGA_FIXTURES_DIR "/answers");
}

QByteArray readAll(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(path));
    return file.readAll();
}

QJsonObject expectations() {
    return QJsonDocument::fromJson(readAll(answersDir() + QStringLiteral("/expectations.json")))
        .object();
}

QStringList strings(const QJsonValue& value) {
    QStringList out;
    for (const QJsonValue& v : value.toArray())
        out << v.toString();
    return out;
}

// Every result, whatever the input: these hold.
void checkInvariants(const ExtractedCode& r) {
    if (!r.found) {
        QVERIFY(r.code.isEmpty());
        QVERIFY(r.sceneNames.isEmpty());
        QVERIFY(!r.fenced);
        return;
    }
    QVERIFY(r.code.endsWith(QLatin1Char('\n')));
    QVERIFY(!r.code.endsWith(QLatin1String("\n\n")));
    QVERIFY(!r.code.startsWith(QLatin1Char('\n')));
    QVERIFY(!r.code.contains(QLatin1Char('\r')));
    QVERIFY(!r.code.trimmed().isEmpty());
    if (r.fenced)
        QVERIFY(r.candidates >= 1);
    for (const QString& name : r.sceneNames) {
        const QRegularExpression definition(QLatin1String("^class[ \\t]+") +
                                                QRegularExpression::escape(name) +
                                                QLatin1String("[ \\t]*\\("),
                                            QRegularExpression::MultilineOption);
        QVERIFY2(r.code.contains(definition), qPrintable(name));
        QCOMPARE(r.sceneNames.count(name), qsizetype(1));
    }
}

QString fence(const QString& language, const QString& body) {
    return QStringLiteral("```") + language + QLatin1Char('\n') + body + QStringLiteral("```\n");
}

} // namespace

class TestCodeExtractor : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everyAnswerHasExpectations();
    void answers_data();
    void answers();
    void exactCodeOfASingleBlock();
    void trailingNewlineNormalised();
    void indentationKept();
    void commonIndentationRemoved();
    void indentedFenceInsideDocstring();
    void strayTripleQuoteStillCloses();
    void equalLengthTakesTheLaterBlock();
    void sceneBlockBeatsLongerBlockWithout();
    void bareSceneBeatsFencedBlockWithout();
    void inlineTripleBackticksAreNotFences();
    void infoStringVariants_data();
    void infoStringVariants();
    void emptyBlocksIgnored();
    void noCode_data();
    void noCode();
    void bareCodeBoundaries();
    void sceneNames_data();
    void sceneNames();
    void inheritanceCyclesTerminate();
    void largeInputsStayFast();
};

void TestCodeExtractor::everyAnswerHasExpectations() {
    const QStringList files = QDir(answersDir()).entryList({QStringLiteral("*.md")}, QDir::Files);
    QVERIFY(files.size() >= 12);
    const QJsonObject all = expectations();
    QCOMPARE(all.size(), files.size());
    for (const QString& file : files)
        QVERIFY2(all.contains(file), qPrintable(file));
}

void TestCodeExtractor::answers_data() {
    QTest::addColumn<QString>("file");
    const QJsonObject all = expectations();
    for (auto it = all.begin(); it != all.end(); ++it)
        QTest::newRow(qPrintable(it.key())) << it.key();
}

void TestCodeExtractor::answers() {
    QFETCH(QString, file);
    const QJsonObject expected = expectations().value(file).toObject();
    const ExtractedCode r =
        extractManimCode(QString::fromUtf8(readAll(answersDir() + QLatin1Char('/') + file)));
    checkInvariants(r);
    QCOMPARE(r.found, expected.value(QLatin1String("found")).toBool());
    QCOMPARE(r.fenced, expected.value(QLatin1String("fenced")).toBool());
    QCOMPARE(r.candidates, expected.value(QLatin1String("candidates")).toInt());
    QCOMPARE(r.sceneNames, strings(expected.value(QLatin1String("scenes"))));
    if (!r.found)
        return;
    const QStringList lines = r.code.chopped(1).split(QLatin1Char('\n'));
    QCOMPARE(lines.first(), expected.value(QLatin1String("firstLine")).toString());
    QCOMPARE(lines.last(), expected.value(QLatin1String("lastLine")).toString());
    QCOMPARE(lines.size(), qsizetype(expected.value(QLatin1String("lines")).toInt()));
    for (const QString& text : strings(expected.value(QLatin1String("contains"))))
        QVERIFY2(r.code.contains(text), qPrintable(text));
    for (const QString& text : strings(expected.value(QLatin1String("notContains"))))
        QVERIFY2(!r.code.contains(text), qPrintable(text));
}

void TestCodeExtractor::exactCodeOfASingleBlock() {
    const QString code = QStringLiteral("from manim import *\n"
                                        "\n"
                                        "\n"
                                        "class A(Scene):\n"
                                        "    def construct(self):\n"
                                        "        self.play(Create(Circle()))  # trailing spaces  \n"
                                        "\n"
                                        "        self.wait()\n");
    const ExtractedCode r =
        extractManimCode(QStringLiteral("Intro.\n\n") + fence(QStringLiteral("python"), code) +
                         QStringLiteral("\nOutro.\n"));
    QVERIFY(r.found);
    QVERIFY(r.fenced);
    QCOMPARE(r.code, code);
    QCOMPARE(r.sceneNames, QStringList{QStringLiteral("A")});
    // Taking the result again as an answer (bare code) gives it back unchanged.
    const ExtractedCode again = extractManimCode(r.code);
    QVERIFY(again.found);
    QVERIFY(!again.fenced);
    QCOMPARE(again.code, code);
}

void TestCodeExtractor::trailingNewlineNormalised() {
    const QString body = QStringLiteral("class A(Scene):\n    pass");
    const QString expected = body + QLatin1Char('\n');
    // No newline before the closing fence is impossible in Markdown, but blank lines are not.
    for (const QString& answer :
         {fence(QStringLiteral("python"), QStringLiteral("\n\n") + body + QStringLiteral("\n\n\n")),
          fence(QStringLiteral("python"), body + QStringLiteral("\n   \n\t\n")),
          QStringLiteral("```python\n") + body, // unclosed, no final newline
          body, body + QStringLiteral("\n\n\n")}) {
        const ExtractedCode r = extractManimCode(answer);
        QVERIFY2(r.found, qPrintable(answer));
        QCOMPARE(r.code, expected);
    }
}

void TestCodeExtractor::indentationKept() {
    const QString code = QStringLiteral("from manim import *\n"
                                        "class T(Scene):\n"
                                        "\tdef construct(self):\n"
                                        "\t\tself.play(\n"
                                        "\t\t    Create(Square()),\n"
                                        "\t\t)\n");
    QCOMPARE(extractManimCode(fence(QStringLiteral("py"), code)).code, code);
}

void TestCodeExtractor::commonIndentationRemoved() {
    // A block indented as a whole (the model indented the code, not a list item) still runs.
    const QString answer = QStringLiteral("```python\n"
                                          "    from manim import *\n"
                                          "    class I(Scene):\n"
                                          "        def construct(self):\n"
                                          "\n"
                                          "            pass\n"
                                          "```\n");
    QCOMPARE(extractManimCode(answer).code, QStringLiteral("from manim import *\n"
                                                           "class I(Scene):\n"
                                                           "    def construct(self):\n"
                                                           "\n"
                                                           "        pass\n"));
}

void TestCodeExtractor::indentedFenceInsideDocstring() {
    // A fence indented 4+ columns more than the opening one never closes it. Shown here where
    // string tracking cannot help: the docstring is never closed, so that fallback applies.
    const QString code = QStringLiteral("class D(Scene):\n"
                                        "    \"\"\"Unclosed docstring with a sample:\n"
                                        "    ```\n"
                                        "    still inside\n");
    const ExtractedCode r =
        extractManimCode(fence(QStringLiteral("python"), code) + QStringLiteral("Not code.\n"));
    QCOMPARE(r.code, code);
    // Inside a list item (opening fence indented 3), a closing fence indented up to 6 closes.
    const ExtractedCode listed = extractManimCode(QStringLiteral("1. Code:\n"
                                                                 "   ```python\n"
                                                                 "   class L(Scene):\n"
                                                                 "       pass\n"
                                                                 "      ```\n"
                                                                 "2. Not code.\n"));
    QCOMPARE(listed.code, QStringLiteral("class L(Scene):\n    pass\n"));
}

void TestCodeExtractor::strayTripleQuoteStillCloses() {
    // An unbalanced """ would make the whole rest of the answer a string: the block then ends at
    // the first fence after all, and the prose after it stays out.
    const QString answer = QStringLiteral("```python\n"
                                          "class S(Scene):\n"
                                          "    \"\"\"Oops, never closed\n"
                                          "```\n"
                                          "Explanation follows.\n");
    const ExtractedCode r = extractManimCode(answer);
    QCOMPARE(r.code, QStringLiteral("class S(Scene):\n    \"\"\"Oops, never closed\n"));
    QCOMPARE(r.sceneNames, QStringList{QStringLiteral("S")});
}

void TestCodeExtractor::equalLengthTakesTheLaterBlock() {
    const ExtractedCode r = extractManimCode(
        fence(QStringLiteral("python"), QStringLiteral("class Old(Scene):\n    pass\n")) +
        QStringLiteral("Fixed:\n") +
        fence(QStringLiteral("python"), QStringLiteral("class New(Scene):\n    pass\n")));
    QCOMPARE(r.candidates, 2);
    QCOMPARE(r.sceneNames, QStringList{QStringLiteral("New")});
}

void TestCodeExtractor::sceneBlockBeatsLongerBlockWithout() {
    const QString helpers = QStringLiteral("import numpy as np\n") +
                            QStringLiteral("def f(x):\n    return x\n").repeated(20);
    const ExtractedCode r = extractManimCode(
        fence(QStringLiteral("python"), helpers) +
        fence(QStringLiteral("python"), QStringLiteral("class Short(Scene):\n    pass\n")));
    QCOMPARE(r.candidates, 2);
    QCOMPARE(r.sceneNames, QStringList{QStringLiteral("Short")});
    QVERIFY(!r.code.contains(QLatin1String("numpy")));
}

void TestCodeExtractor::bareSceneBeatsFencedBlockWithout() {
    const QString answer =
        QStringLiteral("Helper:\n") +
        fence(QStringLiteral("python"), QStringLiteral("def helper():\n    pass\n")) +
        QStringLiteral("And the scene:\n"
                       "from manim import *\n"
                       "class Outside(Scene):\n"
                       "    pass\n");
    const ExtractedCode r = extractManimCode(answer);
    QVERIFY(r.found);
    QVERIFY(!r.fenced);
    QCOMPARE(r.candidates, 1);
    QCOMPARE(r.code, QStringLiteral("from manim import *\nclass Outside(Scene):\n    pass\n"));
}

void TestCodeExtractor::inlineTripleBackticksAreNotFences() {
    const QString answer =
        QStringLiteral("Wrap code like ```python x``` in fences.\n"
                       "```python print(1)```\n") +
        fence(QStringLiteral("python"), QStringLiteral("class Q(Scene):\n    pass\n"));
    const ExtractedCode r = extractManimCode(answer);
    QCOMPARE(r.candidates, 1);
    QCOMPARE(r.code, QStringLiteral("class Q(Scene):\n    pass\n"));
}

void TestCodeExtractor::infoStringVariants_data() {
    QTest::addColumn<QString>("opening");
    QTest::addColumn<bool>("python");
    QTest::newRow("python") << QStringLiteral("```python") << true;
    QTest::newRow("Python") << QStringLiteral("```Python") << true;
    QTest::newRow("py") << QStringLiteral("```py") << true;
    QTest::newRow("python3") << QStringLiteral("```python3") << true;
    QTest::newRow("py3") << QStringLiteral("``` py3") << true;
    QTest::newRow("pandoc") << QStringLiteral("```{.python .numberLines}") << true;
    QTest::newRow("title") << QStringLiteral("```python title=\"scene.py\"") << true;
    QTest::newRow("none") << QStringLiteral("```") << true; // Python-looking content
    QTest::newRow("tildes") << QStringLiteral("~~~python") << true;
    QTest::newRow("five") << QStringLiteral("`````python") << true;
    QTest::newRow("bash") << QStringLiteral("```bash") << false;
    QTest::newRow("text") << QStringLiteral("```text") << false;
    QTest::newRow("json") << QStringLiteral("```json") << false;
    QTest::newRow("ini") << QStringLiteral("```ini") << false;
    QTest::newRow("pycon") << QStringLiteral("```pycon") << false;
}

void TestCodeExtractor::infoStringVariants() {
    QFETCH(QString, opening);
    QFETCH(bool, python);
    const QString body = QStringLiteral("from manim import *\nclass V(Scene):\n    pass\n");
    QString closing = opening.left(opening.indexOf(QRegularExpression(QStringLiteral("[^`~]"))));
    if (closing.isEmpty())
        closing = opening;
    const ExtractedCode r =
        extractManimCode(QStringLiteral("Text.\n") + opening + QLatin1Char('\n') + body + closing +
                         QStringLiteral("\nMore text.\n"));
    checkInvariants(r);
    QCOMPARE(r.found, python);
    QCOMPARE(r.candidates, python ? 1 : 0);
    if (python) {
        QVERIFY(r.fenced);
        QCOMPARE(r.code, body);
    }
}

void TestCodeExtractor::emptyBlocksIgnored() {
    const ExtractedCode r =
        extractManimCode(QStringLiteral("```python\n```\n```python\n   \n\n```\n```\n```\n"));
    QVERIFY(!r.found);
    QCOMPARE(r.candidates, 0);
}

void TestCodeExtractor::noCode_data() {
    QTest::addColumn<QString>("answer");
    QTest::newRow("empty") << QString();
    QTest::newRow("blank") << QStringLiteral(" \r\n\t\n\n");
    QTest::newRow("prose") << QStringLiteral("I cannot help with that.");
    QTest::newRow("only fences") << QStringLiteral("```\n```\n~~~\n~~~");
    QTest::newRow("bare without Scene")
        << QStringLiteral("from manim import *\nprint('no scene here')\n");
    QTest::newRow("non-python block with Scene")
        << fence(QStringLiteral("text"), QStringLiteral("class X(Scene):\n    pass\n"));
    QTest::newRow("unfenced prose mentioning class")
        << QStringLiteral("Define a class that derives from Scene, e.g. MyScene(Scene).\n");
}

void TestCodeExtractor::noCode() {
    QFETCH(QString, answer);
    const ExtractedCode r = extractManimCode(answer);
    checkInvariants(r);
    QVERIFY(!r.found);
}

void TestCodeExtractor::bareCodeBoundaries() {
    const QString code = QStringLiteral("#!/usr/bin/env python3\n"
                                        "from manim import *\n"
                                        "\n"
                                        "@dataclass_like\n"
                                        "class B(Scene):\n"
                                        "    def construct(self):\n"
                                        "        pass\n"
                                        "\n"
                                        "\n"
                                        "if __name__ == \"__main__\":\n"
                                        "    B().render()\n"
                                        "main()\n");
    const ExtractedCode r =
        extractManimCode(QStringLiteral("Sure, here it is:\nCode follows\n\n") + code +
                         QStringLiteral("\n> Tip: use -pql.\n"
                                        "1. Save it\n"
                                        "**Enjoy**\n"
                                        "Run it with:\n"
                                        "Done!\n\n"));
    QVERIFY(r.found);
    QVERIFY(!r.fenced);
    QCOMPARE(r.code, code);
}

void TestCodeExtractor::sceneNames_data() {
    QTest::addColumn<QString>("code");
    QTest::addColumn<QStringList>("names");
    const auto list = [](const char* csv) {
        return QString::fromLatin1(csv).split(QLatin1Char(','), Qt::SkipEmptyParts);
    };
    QTest::newRow("plain") << QStringLiteral("class A(Scene):\n    pass\n") << list("A");
    QTest::newRow("spaces") << QStringLiteral("class A (Scene) :\n    pass\n") << list("A");
    QTest::newRow("several bases")
        << QStringLiteral("class A(Mixin, VoiceoverScene, metaclass=M):\n    pass\n") << list("A");
    QTest::newRow("qualified") << QStringLiteral("class A(manim.scene.scene.Scene):\n pass\n")
                               << list("A");
    QTest::newRow("scene kinds")
        << QStringLiteral("class A(ThreeDScene): pass\nclass B(ZoomedScene): pass\n"
                          "class C(LinearTransformationScene): pass\nclass D(ThreeDSlide): pass\n")
        << list("A,B,C,D");
    QTest::newRow("derived later defined first")
        << QStringLiteral("class C(B): pass\nclass B(A): pass\nclass A(Scene): pass\n")
        << list("C,B,A");
    QTest::newRow("lowercase scene") << QStringLiteral("class A(scene):\n    pass\n") << list("");
    QTest::newRow("no bases") << QStringLiteral("class Scene:\n    pass\n") << list("");
    QTest::newRow("nested class") << QStringLiteral("class O:\n    class I(Scene):\n        pass\n")
                                  << list("");
    QTest::newRow("subscript") << QStringLiteral("class A(Generic[Scene]):\n    pass\n")
                               << list("");
    QTest::newRow("call argument")
        << QStringLiteral("class A(make(Scene)):\n    pass\n") << list("");
    QTest::newRow("redefined once")
        << QStringLiteral("class A(Scene): pass\nclass A(Scene): pass\n") << list("A");
    QTest::newRow("unbalanced") << QStringLiteral("class A(Scene\n") << list("");
    QTest::newRow("multiline") << QStringLiteral(
                                      "class A(\n    Base,\n    MovingCameraScene,\n):\n    pass\n")
                               << list("A");
}

void TestCodeExtractor::sceneNames() {
    QFETCH(QString, code);
    QFETCH(QStringList, names);
    const ExtractedCode r = extractManimCode(fence(QStringLiteral("python"), code));
    checkInvariants(r);
    QVERIFY(r.found); // a Python block, with or without a Scene
    QCOMPARE(r.sceneNames, names);
}

void TestCodeExtractor::inheritanceCyclesTerminate() {
    const ExtractedCode r = extractManimCode(fence(
        QStringLiteral("python"),
        QStringLiteral("class A(B): pass\nclass B(A): pass\nclass C(C): pass\nclass D(A, Scene): "
                       "pass\nclass E(D): pass\n")));
    QCOMPARE(r.sceneNames, (QStringList{QStringLiteral("D"), QStringLiteral("E")}));
}

void TestCodeExtractor::largeInputsStayFast() {
    QElapsedTimer clock;
    clock.start();
    // A 20000-class inheritance chain, defined from the most derived down.
    QString chain;
    const int n = 20000;
    for (int i = 0; i < n; ++i)
        chain += QStringLiteral("class C%1(C%2): pass\n").arg(i).arg(i + 1);
    chain += QStringLiteral("class C%1(Scene): pass\n").arg(n);
    ExtractedCode r = extractManimCode(chain);
    QCOMPARE(r.sceneNames.size(), qsizetype(n + 1));
    QCOMPARE(r.sceneNames.first(), QStringLiteral("C0"));
    // Many fences, unclosed triple quotes, long lines.
    r = extractManimCode(QStringLiteral("```python\n\"\"\"\n").repeated(20000));
    checkInvariants(r);
    r = extractManimCode(QStringLiteral("`").repeated(500000));
    QVERIFY(!r.found);
    r = extractManimCode(QStringLiteral("class A(").repeated(100000));
    checkInvariants(r);
    QVERIFY2(clock.elapsed() < 20000, qPrintable(QString::number(clock.elapsed())));
}

QTEST_APPLESS_MAIN(TestCodeExtractor)
#include "tst_codeextractor.moc"
