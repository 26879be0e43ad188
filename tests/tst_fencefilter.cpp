// FenceStreamFilter: the code of a streamed answer, whatever the delta boundaries.
#include "FenceStreamFilter.h"

#include <QRandomGenerator>
#include <QTest>

using omega::FenceStreamFilter;

namespace {
QString feedInChunks(const QString& answer, int chunk) {
    FenceStreamFilter filter;
    QString out;
    for (int i = 0; i < answer.size(); i += chunk)
        out += filter.feed(answer.mid(i, chunk));
    return out;
}

const QString kCode = QStringLiteral("from manim import *\n\n\nclass Demo(Scene):\n"
                                     "    def construct(self):\n"
                                     "        t = Text(\"`quoted` ünïcödé\")\n"
                                     "        self.play(Write(t))\n");
} // namespace

class TestFenceFilter : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void fencedAnswer_data() {
        QTest::addColumn<QString>("answer");
        QTest::newRow("prose around") << QStringLiteral("Here is the scene you asked for:\n\n"
                                                        "```python\n%1```\n\nIt writes a text.\n")
                                             .arg(kCode);
        QTest::newRow("bare fence") << QStringLiteral("```\n%1```").arg(kCode);
        QTest::newRow("fence first, trailing block")
            << QStringLiteral("```py\n%1```\nAlso:\n```python\nprint(1)\n```\n").arg(kCode);
        QTest::newRow("indented closing fence")
            << QStringLiteral("Sure.\n```python\n%1  ```\n").arg(kCode);
    }
    void fencedAnswer() {
        QFETCH(QString, answer);
        // Every chunk size, from one character at a time to the whole answer at once.
        for (int chunk = 1; chunk <= answer.size(); chunk += (chunk < 40 ? 1 : 37)) {
            const QString out = feedInChunks(answer, chunk);
            if (out != kCode)
                QFAIL(qPrintable(QStringLiteral("chunk %1: got\n%2").arg(chunk).arg(out)));
        }
    }

    void codeWithoutFencePassesThrough() {
        for (int chunk : {1, 3, 7, 1000})
            QCOMPARE(feedInChunks(kCode, chunk), kCode);
    }

    void streamsBeforeTheLineEnds() {
        // The editor follows the model: a half line of code is passed on at once.
        FenceStreamFilter filter;
        QCOMPARE(filter.feed(QStringLiteral("```python\nfrom man")), QStringLiteral("from man"));
        QCOMPARE(filter.feed(QStringLiteral("im import *\n`")), QStringLiteral("im import *\n"));
        // A lone backtick at a line start may be the closing fence: held back…
        QCOMPARE(filter.feed(QStringLiteral("``")), QString());
        // …and it was: nothing after it comes through.
        QCOMPARE(filter.feed(QStringLiteral("\nThat's all.\n")), QString());
    }

    void resetStartsOver() {
        FenceStreamFilter filter;
        QCOMPARE(filter.feed(QStringLiteral("```python\nabc")), QStringLiteral("abc"));
        filter.reset();
        QCOMPARE(filter.feed(QStringLiteral("Prose\n```python\nx = 1\n")),
                 QStringLiteral("x = 1\n"));
    }

    void randomSplitsAgreeWithWholeFeed() {
        const QString answer =
            QStringLiteral("Intro line\n```python\n%1```\nOutro ``` with fence-like text\n")
                .arg(kCode);
        QRandomGenerator random(20261127);
        for (int round = 0; round < 500; ++round) {
            FenceStreamFilter filter;
            QString out;
            int at = 0;
            while (at < answer.size()) {
                const int n = 1 + int(random.bounded(12));
                out += filter.feed(answer.mid(at, n));
                at += n;
            }
            QCOMPARE(out, kCode);
        }
    }
};

QTEST_GUILESS_MAIN(TestFenceFilter)
#include "tst_fencefilter.moc"
