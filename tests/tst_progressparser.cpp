// ProgressParser against manim 0.22's real output (tests/fixtures/manim, recorded by
// tests/fixtures/manim/record.py) and hand-made edge cases.
#include "ProgressParser.h"

#include <QDir>
#include <QFile>
#include <QMap>
#include <QtTest>

using omega::overallPercent;
using omega::ProgressParser;
using omega::ProgressUpdate;

namespace {

QByteArray fixture(const QString& name) {
    QFile file(QStringLiteral(OMEGA_FIXTURES_DIR "/manim/") + name);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(file.fileName()));
    return file.readAll();
}

QString describe(const ProgressUpdate& u) {
    return QStringLiteral("#%1 '%2' %3% %4/%5%6")
        .arg(u.animationIndex)
        .arg(u.label)
        .arg(u.percent)
        .arg(u.frame)
        .arg(u.totalFrames)
        .arg(u.cached ? QStringLiteral(" cached") : QString());
}

QStringList describe(const QList<ProgressUpdate>& updates) {
    QStringList out;
    for (const ProgressUpdate& u : updates)
        out << describe(u);
    return out;
}

QList<ProgressUpdate> parseAll(const QByteArray& bytes) {
    ProgressParser parser;
    QList<ProgressUpdate> updates = parser.feed(bytes);
    updates += parser.finish();
    return updates;
}

// The last reading of each animation.
QMap<int, ProgressUpdate> lastByIndex(const QList<ProgressUpdate>& updates) {
    QMap<int, ProgressUpdate> last;
    for (const ProgressUpdate& u : updates)
        last[u.animationIndex] = u;
    return last;
}

const char kBar[] = "\xe2\x96\x88"; // █, three bytes in UTF-8

} // namespace

class TestProgressParser : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void recordedSuccess();
    void recordedSuccessEveryByteSplit();
    void recordedSuccessByteByByte();
    void recordedStdoutHasNoProgress();
    void recordedCachedRerun();
    void recordedCachedLinesWrapped();
    void recordedFailuresKeepTheirProgress();
    void ansiCodes();
    void ansiSplitAcrossChunks();
    void utf8SplitAcrossChunks();
    void crlfLineEndings();
    void labelsWithColonsAndPercents_data();
    void labelsWithColonsAndPercents();
    void waitingBars();
    void garbageIgnored_data();
    void garbageIgnored();
    void finishFlushesLastLine();
    void overLongLineDropped();
    void stripAnsi_data();
    void stripAnsi();
    void parseLineAcceptsNullUpdate();
    void overallPercent_data();
    void overallPercent();
};

void TestProgressParser::recordedSuccess() {
    const QList<ProgressUpdate> updates = parseAll(fixture(QStringLiteral("success.stderr")));
    QVERIFY2(updates.size() >= 10, qPrintable(describe(updates).join(QLatin1Char('\n'))));

    // Animation 2 is a frozen-frame wait: manim draws no bar for it.
    const QMap<int, ProgressUpdate> last = lastByIndex(updates);
    QCOMPARE(last.keys(), (QList<int>{0, 1, 3, 4, 5}));
    QCOMPARE(describe(last.value(0)), QStringLiteral("#0 'Write(Text('Hello'))' 100% 15/15"));
    QCOMPARE(describe(last.value(1)), QStringLiteral("#1 'Create(Circle)' 100% 8/8"));
    QCOMPARE(describe(last.value(3)),
             QStringLiteral("#3 'FadeIn(Text('50%: x | 3/4 [a]'))' 100% 8/8"));
    QCOMPARE(describe(last.value(4)), QStringLiteral("#4 'FadeOut(Text('Hello')), etc.' 100% 8/8"));
    QCOMPARE(describe(last.value(5)), QStringLiteral("#5 'Waiting' 100% 8/8"));

    // Each bar starts at 0 % and never goes back; indices never decrease.
    int index = -1;
    int percent = 0;
    for (const ProgressUpdate& u : updates) {
        QVERIFY(!u.cached);
        if (u.animationIndex != index) {
            QVERIFY(u.animationIndex > index);
            QCOMPARE(u.percent, 0);
            QCOMPARE(u.frame, 0);
            index = u.animationIndex;
        } else {
            QVERIFY(u.percent >= percent);
        }
        percent = u.percent;
    }
}

void TestProgressParser::recordedSuccessEveryByteSplit() {
    const QByteArray bytes = fixture(QStringLiteral("success.stderr"));
    const QStringList expected = describe(parseAll(bytes));
    QVERIFY(!expected.isEmpty());
    for (int split = 0; split <= bytes.size(); ++split) {
        ProgressParser parser;
        QList<ProgressUpdate> updates = parser.feed(bytes.left(split));
        updates += parser.feed(bytes.mid(split));
        updates += parser.finish();
        QCOMPARE(describe(updates), expected);
    }
}

void TestProgressParser::recordedSuccessByteByByte() {
    const QByteArray bytes = fixture(QStringLiteral("success.stderr"));
    ProgressParser parser;
    QList<ProgressUpdate> updates;
    for (char c : bytes)
        updates += parser.feed(QByteArray(1, c));
    updates += parser.finish();
    QCOMPARE(describe(updates), describe(parseAll(bytes)));
}

void TestProgressParser::recordedStdoutHasNoProgress() {
    // "Animation 0 : Partial movie file written in …" is a log line, not progress.
    QCOMPARE(parseAll(fixture(QStringLiteral("success.stdout"))).size(), 0);
    QCOMPARE(parseAll(fixture(QStringLiteral("latex_error.stdout"))).size(), 0);
    QCOMPARE(parseAll(fixture(QStringLiteral("no_scene.stdout"))).size(), 0);
}

void TestProgressParser::recordedCachedRerun() {
    const QList<ProgressUpdate> fromStdout = parseAll(fixture(QStringLiteral("cached.stdout")));
    QCOMPARE(fromStdout.size(), 6); // animations 0-4 and the wait (5)
    for (int i = 0; i < fromStdout.size(); ++i) {
        QCOMPARE(fromStdout.at(i).animationIndex, i);
        QVERIFY(fromStdout.at(i).cached);
        QCOMPARE(fromStdout.at(i).percent, 100);
    }
    // On stderr a cached animation still gets a one-step bar.
    const QMap<int, ProgressUpdate> bars =
        lastByIndex(parseAll(fixture(QStringLiteral("cached.stderr"))));
    QCOMPARE(bars.keys(), (QList<int>{0, 1, 3, 4, 5}));
    QCOMPARE(describe(bars.value(1)), QStringLiteral("#1 'Create(Circle)' 100% 1/1"));
}

void TestProgressParser::recordedCachedLinesWrapped() {
    // Rich wraps the record at 80 columns: "Using cached" ends the first line, "data (hash :"
    // starts the next. Unwrapped (wide terminal) it is one line.
    ProgressUpdate u;
    QVERIFY(ProgressParser::parseLine(
        QStringLiteral("[11/26/26 23:49:47] INFO     Animation 12 : Using cached    "
                       "cairo_renderer.py:105"),
        &u));
    QCOMPARE(u.animationIndex, 12);
    QVERIFY(u.cached);
    QVERIFY(ProgressParser::parseLine(
        QStringLiteral("                    INFO     Animation 3 : Using cached data (hash : "
                       "2135_316_1204) cairo_renderer.py:105"),
        &u));
    QCOMPARE(u.animationIndex, 3);
    QVERIFY(u.cached);
    QVERIFY(!ProgressParser::parseLine(QStringLiteral("                             data (hash :"),
                                       &u));
    QVERIFY(!ProgressParser::parseLine(
        QStringLiteral("[11/26/26 23:49:46] INFO     Animation 0 : Partial      "
                       "scene_file_writer.py:173"),
        &u));
}

void TestProgressParser::recordedFailuresKeepTheirProgress() {
    // helper_exception: animation 0 finished before the exception.
    QMap<int, ProgressUpdate> last =
        lastByIndex(parseAll(fixture(QStringLiteral("helper_exception.stderr"))));
    QCOMPARE(last.keys(), QList<int>{0});
    QCOMPARE(describe(last.value(0)), QStringLiteral("#0 'Create(Square)' 100% 15/15"));

    // updater_error: the bar stopped at 0 %, and a DeprecationWarning line sits in between.
    last = lastByIndex(parseAll(fixture(QStringLiteral("updater_error.stderr"))));
    QCOMPARE(last.keys(), QList<int>{0});
    QCOMPARE(last.value(0).percent, 0);
    QCOMPARE(last.value(0).totalFrames, 15);

    // Tracebacks and syntax errors contain no progress at all.
    QCOMPARE(parseAll(fixture(QStringLiteral("syntax_error.stderr"))).size(), 0);
    QCOMPARE(parseAll(fixture(QStringLiteral("recursion_error.stderr"))).size(), 0);
}

void TestProgressParser::ansiCodes() {
    const QByteArray line =
        QByteArray("\x1b[?25l\x1b[32mAnimation 2: Create(Circle):  47%|\x1b[0m") + kBar + kBar +
        kBar + kBar + "\xe2\x96\x8b     | 7/15 [00:00<00:00, 68.40it/s]\x1b[K\x1b[?25h\r";
    const QList<ProgressUpdate> updates = parseAll(line);
    QCOMPARE(updates.size(), 1);
    QCOMPARE(describe(updates.first()), QStringLiteral("#2 'Create(Circle)' 47% 7/15"));
}

void TestProgressParser::ansiSplitAcrossChunks() {
    const QByteArray line = "\x1b[1;32mAnimation 4: FadeIn(Dot)\x1b[0m: 100%|| 8/8 "
                            "[00:00<00:00, 9.1it/s]\x1b]0;title\x07\n";
    const QString expected = QStringLiteral("#4 'FadeIn(Dot)' 100% 8/8");
    for (int split = 1; split < line.size(); ++split) {
        ProgressParser parser;
        QList<ProgressUpdate> updates = parser.feed(line.left(split));
        QVERIFY(updates.isEmpty());
        updates += parser.feed(line.mid(split));
        QCOMPARE(updates.size(), 1);
        QCOMPARE(describe(updates.first()), expected);
    }
}

void TestProgressParser::utf8SplitAcrossChunks() {
    // Non-ASCII label and bar characters cut in the middle of their byte sequences.
    const QByteArray line =
        QByteArray("Animation 1: Write(Text('h\xc3\xa9llo \xe2\x88\x91')):  60%|") + kBar + kBar +
        kBar + kBar + kBar + kBar + "    | 9/15 [00:00<00:00, 60.00it/s]\r";
    for (int split = 1; split < line.size(); ++split) {
        ProgressParser parser;
        QList<ProgressUpdate> updates = parser.feed(line.left(split));
        updates += parser.feed(line.mid(split));
        QCOMPARE(updates.size(), 1);
        QCOMPARE(updates.first().label, QStringLiteral("Write(Text('h\u00e9llo \u2211'))"));
        QCOMPARE(updates.first().percent, 60);
        QCOMPARE(updates.first().frame, 9);
    }
}

void TestProgressParser::crlfLineEndings() {
    const QByteArray text = "Animation 0: Create(Circle):   0%|          | 0/8 [00:00<?, ?it/s]\r\n"
                            "Animation 0: Create(Circle): 100%|##########| 8/8 [00:00<00:00, "
                            "9.99it/s]\r\n\r\n";
    const QList<ProgressUpdate> updates = parseAll(text);
    QCOMPARE(describe(updates), (QStringList{QStringLiteral("#0 'Create(Circle)' 0% 0/8"),
                                             QStringLiteral("#0 'Create(Circle)' 100% 8/8")}));
}

void TestProgressParser::labelsWithColonsAndPercents_data() {
    QTest::addColumn<QString>("line");
    QTest::addColumn<int>("index");
    QTest::addColumn<QString>("label");
    QTest::addColumn<int>("percent");
    QTest::addColumn<int>("frame");
    QTest::addColumn<int>("total");
    QTest::newRow("colon and percent")
        << QStringLiteral("Animation 7: Write(Text('a: 50%|b| 1/2 [x]')):  12%|#1        | 2/16 "
                          "[00:00<00:01, 9.9it/s]")
        << 7 << QStringLiteral("Write(Text('a: 50%|b| 1/2 [x]'))") << 12 << 2 << 16;
    QTest::newRow("label looks like a bar")
        << QStringLiteral("Animation 3: Write(Text('Animation 9: x: 99%|| 9/9 [00:00]')): 100%|"
                          "##########| 30/30 [00:01<00:00, 29.5it/s]")
        << 3 << QStringLiteral("Write(Text('Animation 9: x: 99%|| 9/9 [00:00]'))") << 100 << 30
        << 30;
    QTest::newRow("etc") << QStringLiteral("Animation 12: Transform(Square), etc.:  33%|###3      "
                                           "| 5/15 [00:00<00:00, 50.0it/s]")
                         << 12 << QStringLiteral("Transform(Square), etc.") << 33 << 5 << 15;
    QTest::newRow("big numbers") << QStringLiteral("Animation 104: Create(NumberPlane):   9%|9     "
                                                   "    | 1234/13500 [01:02<10:00, 19.7it/s]")
                                 << 104 << QStringLiteral("Create(NumberPlane)") << 9 << 1234
                                 << 13500;
    QTest::newRow("trailing spaces")
        << QStringLiteral("Animation 0: Wait:  50%|#####     | 1/2 [00:00<00:00, 2.0it/s]   ") << 0
        << QStringLiteral("Wait") << 50 << 1 << 2;
}

void TestProgressParser::labelsWithColonsAndPercents() {
    QFETCH(QString, line);
    ProgressUpdate u;
    QVERIFY(ProgressParser::parseLine(line, &u));
    QTEST(u.animationIndex, "index");
    QTEST(u.label, "label");
    QTEST(u.percent, "percent");
    QTEST(u.frame, "frame");
    QTEST(u.totalFrames, "total");
    QVERIFY(!u.cached);
}

void TestProgressParser::waitingBars() {
    ProgressUpdate u;
    QVERIFY(ProgressParser::parseLine(
        QStringLiteral("Waiting 4:  25%|##5       | 2/8 [00:00<00:00, 60.0it/s]"), &u));
    QCOMPARE(describe(u), QStringLiteral("#4 'Waiting' 25% 2/8"));
    // wait_until(): no known total, so no percentage.
    QVERIFY(ProgressParser::parseLine(QStringLiteral("Waiting for is_done: 7it [00:00, 60.00it/s]"),
                                      &u));
    QCOMPARE(describe(u), QStringLiteral("#-1 'Waiting for is_done' 0% 7/0"));
}

void TestProgressParser::garbageIgnored_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("newlines") << QByteArray("\n\r\n\r\r");
    QTest::newRow("text") << QByteArray("hello world\nManim Community v0.22.0\n");
    QTest::newRow("no index") << QByteArray("Animation x: Foo:  10%|#| 1/10 [00:00<?, ?it/s]\n");
    QTest::newRow("not manim") << QByteArray("Downloading:  10%|#| 1/10 [00:00<?, ?it/s]\n");
    QTest::newRow("no bar") << QByteArray("Animation 1: Foo:  10% 1/10 [00:00<?, ?it/s]\n");
    QTest::newRow("no percent") << QByteArray("Animation 1: Foo: |#| 1/10 [00:00<?, ?it/s]\n");
    QTest::newRow("unclosed") << QByteArray("Animation 1: Foo:  10%|#| 1/10 [00:00<?, ?it/s\n");
    QTest::newRow("no colon") << QByteArray("Animation 1 Foo  10%|#| 1/10 [00:00]\n");
    QTest::newRow("bar first") << QByteArray("|#| 1/10 [00:00]\n");
    QTest::newRow("bracket only") << QByteArray("[]\n]\n[\n");
    QTest::newRow("huge number") << QByteArray("Animation 1: F:  10%|#| 1/99999999999 [0]\n");
    QTest::newRow("invalid utf8") << QByteArray("\xff\xfe\xc3\x28\xe2\x82\n\x80\x80\r");
    QTest::newRow("rich traceback")
        << QByteArray("\xe2\x94\x82 /tmp/omega-fixture-job/scene.py:9 in construct \xe2\x94\x82\n"
                      "ZeroDivisionError: division by zero\n");
    QTest::newRow("log line") << QByteArray(
        "[11/26/26 23:49:46] INFO     Animation 0 : Partial      scene_file_writer.py:173\n");
}

void TestProgressParser::garbageIgnored() {
    QFETCH(QByteArray, bytes);
    QCOMPARE(describe(parseAll(bytes)), QStringList());
}

void TestProgressParser::finishFlushesLastLine() {
    ProgressParser parser;
    QCOMPARE(parser
                 .feed("\rAnimation 0: Create(Circle):  50%|#####     | 4/8 [00:00<00:00, "
                       "9.99it/s]")
                 .size(),
             0);
    const QList<ProgressUpdate> flushed = parser.finish();
    QCOMPARE(describe(flushed), QStringList{QStringLiteral("#0 'Create(Circle)' 50% 4/8")});
    QCOMPARE(parser.finish().size(), 0); // nothing left after a flush
    // The parser is usable again after finish().
    QCOMPARE(parser.feed("Waiting 1: 100%|##########| 8/8 [00:00<00:00, 9.99it/s]\n").size(), 1);
}

void TestProgressParser::overLongLineDropped() {
    ProgressParser parser;
    const QByteArray good =
        "Animation 0: Create(Circle):  50%|#####     | 4/8 [00:00<00:00, 1it/s]";
    // A line longer than the limit, fed in pieces, ending in what looks like a bar: dropped.
    QByteArray longLine(ProgressParser::kMaxLineBytes + 10, 'x');
    QCOMPARE(parser.feed(longLine.left(100)).size(), 0);
    QCOMPARE(parser.feed(longLine.mid(100)).size(), 0);
    QCOMPARE(parser.feed(" " + good).size(), 0);
    // The next line parses normally.
    QCOMPARE(parser.feed("\r" + good + "\n").size(), 1);
    QCOMPARE(parser.finish().size(), 0);
    // An over-long line still pending at finish() is dropped too.
    QCOMPARE(parser.feed(longLine + good).size(), 0);
    QCOMPARE(parser.finish().size(), 0);
}

void TestProgressParser::stripAnsi_data() {
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("expected");
    QTest::newRow("plain") << QStringLiteral("abc") << QStringLiteral("abc");
    QTest::newRow("sgr") << QStringLiteral("\x1b[1;31mred\x1b[0m") << QStringLiteral("red");
    QTest::newRow("cursor") << QStringLiteral("a\x1b[2Kb\x1b[1Ac\x1b[?25l")
                            << QStringLiteral("abc");
    QTest::newRow("osc bel") << QStringLiteral("\x1b]0;title\x07x") << QStringLiteral("x");
    QTest::newRow("osc st") << QStringLiteral("\x1b]8;;http://a\x1b\\link\x1b]8;;\x1b\\")
                            << QStringLiteral("link");
    QTest::newRow("charset") << QStringLiteral("\x1b(Bx") << QStringLiteral("x");
    QTest::newRow("two char") << QStringLiteral("\x1b"
                                                "7x\x1b"
                                                "8")
                              << QStringLiteral("x");
    QTest::newRow("8-bit csi") << QStringLiteral("a\u009b31mb") << QStringLiteral("ab");
    QTest::newRow("lone esc at end") << QStringLiteral("x\x1b") << QStringLiteral("x");
    QTest::newRow("unterminated csi") << QStringLiteral("x\x1b[12") << QStringLiteral("x");
    QTest::newRow("non-ascii kept") << QStringLiteral("\x1b[32m\u2588\u258b\x1b[0m \u00e9")
                                    << QStringLiteral("\u2588\u258b \u00e9");
}

void TestProgressParser::stripAnsi() {
    QFETCH(QString, input);
    QTEST(ProgressParser::stripAnsi(input), "expected");
}

void TestProgressParser::parseLineAcceptsNullUpdate() {
    QVERIFY(ProgressParser::parseLine(
        QStringLiteral("Animation 0: A: 100%|##########| 1/1 [00:00<00:00, 1.0it/s]"), nullptr));
    QVERIFY(!ProgressParser::parseLine(QStringLiteral("nothing"), nullptr));
}

void TestProgressParser::overallPercent_data() {
    QTest::addColumn<int>("index");
    QTest::addColumn<int>("percent");
    QTest::addColumn<int>("total");
    QTest::addColumn<int>("expected");
    QTest::newRow("start") << 0 << 0 << 4 << 0;
    QTest::newRow("half of second of four") << 1 << 50 << 4 << 37; // floor(37.5)
    QTest::newRow("two thirds") << 2 << 33 << 3 << 77;             // floor(77.67)
    QTest::newRow("end") << 3 << 100 << 4 << 100;
    QTest::newRow("single") << 0 << 99 << 1 << 99;
    QTest::newRow("more animations than known") << 5 << 0 << 4 << 100;
    QTest::newRow("negative index") << -1 << 50 << 3 << 0;
    QTest::newRow("percent over 100") << 0 << 250 << 2 << 100;
    QTest::newRow("negative percent") << 1 << -100 << 4 << 0;
    QTest::newRow("unknown total") << 1 << 50 << 0 << -1;
    QTest::newRow("negative total") << 1 << 50 << -3 << -1;
    QTest::newRow("huge index") << 2000000000 << 100 << 7 << 100;
}

void TestProgressParser::overallPercent() {
    QFETCH(int, index);
    QFETCH(int, percent);
    QFETCH(int, total);
    QTEST(omega::overallPercent(index, percent, total), "expected");
}

QTEST_GUILESS_MAIN(TestProgressParser)
#include "tst_progressparser.moc"
