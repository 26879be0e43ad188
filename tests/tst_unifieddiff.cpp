// UnifiedDiff: GNU `diff -u` format, hunks and counts, context, trailing newlines, and the
// property that applying the diff to the old text gives the new one (random edits).
#include "UnifiedDiff.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QStringList>
#include <QTest>

#include <algorithm>
#include <optional>
#include <vector>

using omega::unifiedDiff;

namespace {

QStringList splitKeepingNewlines(const QString& text) {
    QStringList lines;
    qsizetype start = 0;
    while (start < text.size()) {
        const qsizetype newline = text.indexOf(QLatin1Char('\n'), start);
        const qsizetype end = newline < 0 ? text.size() : newline + 1;
        lines << text.mid(start, end - start);
        start = end;
    }
    return lines;
}

// A tiny `patch`: applies a unified diff to `before`, checking every context and removed
// line and every hunk's counts; nullopt when the diff does not apply.
std::optional<QString> applyPatch(const QString& before, const QString& diff) {
    const QStringList old = splitKeepingNewlines(before);
    QStringList diffLines = splitKeepingNewlines(diff);
    if (diffLines.size() < 2 || !diffLines.at(0).startsWith(QLatin1String("--- ")) ||
        !diffLines.at(1).startsWith(QLatin1String("+++ ")))
        return std::nullopt;
    static const QRegularExpression header(
        QStringLiteral("^@@ -(\\d+)(?:,(\\d+))? \\+(\\d+)(?:,(\\d+))? @@\n$"));
    QString result;
    int oldPos = 0; // lines of `old` consumed
    int i = 2;
    while (i < diffLines.size()) {
        const QRegularExpressionMatch m = header.match(diffLines.at(i));
        if (!m.hasMatch())
            return std::nullopt;
        const int oldStart = m.captured(1).toInt();
        const int oldCount = m.captured(2).isEmpty() ? 1 : m.captured(2).toInt();
        const int newCount = m.captured(4).isEmpty() ? 1 : m.captured(4).toInt();
        ++i;
        // Hunk body: (marker, line) with "\ No newline" applied to the previous line.
        QList<QPair<QChar, QString>> body;
        while (i < diffLines.size() && !diffLines.at(i).startsWith(QLatin1String("@@"))) {
            const QString& line = diffLines.at(i);
            if (line.startsWith(QLatin1Char('\\'))) {
                if (body.isEmpty() || !body.last().second.endsWith(QLatin1Char('\n')))
                    return std::nullopt;
                body.last().second.chop(1);
            } else {
                if (line.isEmpty() || !line.endsWith(QLatin1Char('\n')))
                    return std::nullopt;
                body.append({line.at(0), line.mid(1)});
            }
            ++i;
        }
        int seenOld = 0, seenNew = 0;
        for (const auto& entry : body) {
            seenOld += entry.first != QLatin1Char('+') ? 1 : 0;
            seenNew += entry.first != QLatin1Char('-') ? 1 : 0;
        }
        if (seenOld != oldCount || seenNew != newCount)
            return std::nullopt;
        const int firstOld = oldCount == 0 ? oldStart : oldStart - 1; // 0-based
        if (firstOld < oldPos || firstOld > old.size())
            return std::nullopt;
        while (oldPos < firstOld)
            result += old.at(oldPos++);
        for (const auto& entry : body) {
            if (entry.first == QLatin1Char(' ') || entry.first == QLatin1Char('-')) {
                if (oldPos >= old.size() || old.at(oldPos) != entry.second)
                    return std::nullopt;
                ++oldPos;
                if (entry.first == QLatin1Char(' '))
                    result += entry.second;
            } else if (entry.first == QLatin1Char('+')) {
                result += entry.second;
            } else {
                return std::nullopt;
            }
        }
    }
    while (oldPos < old.size())
        result += old.at(oldPos++);
    return result;
}

// Length of the longest common subsequence of lines (a minimal diff changes exactly
// n + m - 2 * lcs lines).
int lcsLength(const QStringList& a, const QStringList& b) {
    std::vector<int> previous(size_t(b.size() + 1), 0), current(size_t(b.size() + 1), 0);
    for (int i = 1; i <= a.size(); ++i) {
        for (int j = 1; j <= b.size(); ++j)
            current[size_t(j)] = a.at(i - 1) == b.at(j - 1)
                                     ? previous[size_t(j - 1)] + 1
                                     : std::max(previous[size_t(j)], current[size_t(j - 1)]);
        std::swap(previous, current);
    }
    return previous[size_t(b.size())];
}

QString numbered(int from, int to) {
    QString text;
    for (int i = from; i <= to; ++i)
        text += QStringLiteral("line %1\n").arg(i);
    return text;
}

} // namespace

class TestUnifiedDiff : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void identicalIsEmpty() {
        QCOMPARE(unifiedDiff(QString(), QString(), QStringLiteral("a"), QStringLiteral("b")),
                 QString());
        const QString text = numbered(1, 20);
        QCOMPARE(unifiedDiff(text, text, QStringLiteral("a"), QStringLiteral("b")), QString());
    }

    void oneChangedLineWithThreeLinesOfContext() {
        const QString before = numbered(1, 10);
        QString after = before;
        after.replace(QStringLiteral("line 5\n"), QStringLiteral("line five\n"));
        const QString expected = QStringLiteral("--- a/s.py\n"
                                                "+++ b/s.py\n"
                                                "@@ -2,7 +2,7 @@\n"
                                                " line 2\n"
                                                " line 3\n"
                                                " line 4\n"
                                                "-line 5\n"
                                                "+line five\n"
                                                " line 6\n"
                                                " line 7\n"
                                                " line 8\n");
        QCOMPARE(unifiedDiff(before, after, QStringLiteral("a/s.py"), QStringLiteral("b/s.py")),
                 expected);
    }

    void contextIsClippedAtTheEdges() {
        const QString before = QStringLiteral("a\nb\nc\n");
        const QString after = QStringLiteral("A\nb\nc\n");
        QCOMPARE(unifiedDiff(before, after, QStringLiteral("x"), QStringLiteral("y")),
                 QStringLiteral("--- x\n+++ y\n@@ -1,3 +1,3 @@\n-a\n+A\n b\n c\n"));
    }

    void singleLineRangesOmitTheCount() {
        QCOMPARE(unifiedDiff(QStringLiteral("a\n"), QStringLiteral("b\n"), QStringLiteral("x"),
                             QStringLiteral("y")),
                 QStringLiteral("--- x\n+++ y\n@@ -1 +1 @@\n-a\n+b\n"));
    }

    void emptyRangesNameTheLineBefore() {
        // Everything added to an empty file.
        QCOMPARE(unifiedDiff(QString(), QStringLiteral("a\nb\n"), QStringLiteral("x"),
                             QStringLiteral("y")),
                 QStringLiteral("--- x\n+++ y\n@@ -0,0 +1,2 @@\n+a\n+b\n"));
        // Everything removed.
        QCOMPARE(unifiedDiff(QStringLiteral("a\nb\n"), QString(), QStringLiteral("x"),
                             QStringLiteral("y")),
                 QStringLiteral("--- x\n+++ y\n@@ -1,2 +0,0 @@\n-a\n-b\n"));
        // A line inserted at the top, with no context asked for.
        QCOMPARE(unifiedDiff(QStringLiteral("b\nc\n"), QStringLiteral("a\nb\nc\n"),
                             QStringLiteral("x"), QStringLiteral("y"), 0),
                 QStringLiteral("--- x\n+++ y\n@@ -0,0 +1 @@\n+a\n"));
        // A line inserted after line 2, no context.
        QCOMPARE(unifiedDiff(QStringLiteral("a\nb\nc\n"), QStringLiteral("a\nb\nX\nc\n"),
                             QStringLiteral("x"), QStringLiteral("y"), 0),
                 QStringLiteral("--- x\n+++ y\n@@ -2,0 +3 @@\n+X\n"));
    }

    void addingTheFinalNewlineIsAChange() {
        QCOMPARE(unifiedDiff(QStringLiteral("a\nb"), QStringLiteral("a\nb\n"), QStringLiteral("x"),
                             QStringLiteral("y")),
                 QStringLiteral("--- x\n+++ y\n@@ -1,2 +1,2 @@\n a\n-b\n"
                                "\\ No newline at end of file\n+b\n"));
        QCOMPARE(unifiedDiff(QStringLiteral("a\nb\n"), QStringLiteral("a\nb"), QStringLiteral("x"),
                             QStringLiteral("y")),
                 QStringLiteral("--- x\n+++ y\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n"
                                "\\ No newline at end of file\n"));
    }

    void unchangedLastLineWithoutNewlineIsMarked() {
        QCOMPARE(unifiedDiff(QStringLiteral("a\nb"), QStringLiteral("A\nb"), QStringLiteral("x"),
                             QStringLiteral("y")),
                 QStringLiteral("--- x\n+++ y\n@@ -1,2 +1,2 @@\n-a\n+A\n b\n"
                                "\\ No newline at end of file\n"));
    }

    void distantChangesMakeSeparateHunks() {
        const QString before = numbered(1, 30);
        QString after = before;
        after.replace(QStringLiteral("line 3\n"), QStringLiteral("LINE 3\n"));
        after.replace(QStringLiteral("line 25\n"), QStringLiteral("LINE 25\n"));
        const QString diff = unifiedDiff(before, after, QStringLiteral("a"), QStringLiteral("b"));
        QCOMPARE(diff.count(QStringLiteral("\n@@ ")), 2);
        QVERIFY(diff.contains(QStringLiteral("@@ -1,6 +1,6 @@\n")));
        QVERIFY(diff.contains(QStringLiteral("@@ -22,7 +22,7 @@\n")));
    }

    void closeChangesShareAHunk() {
        // 6 unchanged lines between two changes (= 2 × context): one hunk.
        const QString before = numbered(1, 20);
        QString after = before;
        after.replace(QStringLiteral("line 5\n"), QStringLiteral("LINE 5\n"));
        after.replace(QStringLiteral("line 12\n"), QStringLiteral("LINE 12\n"));
        const QString diff = unifiedDiff(before, after, QStringLiteral("a"), QStringLiteral("b"));
        QCOMPARE(diff.count(QStringLiteral("@@ -")), 1);
        QVERIFY(diff.contains(QStringLiteral("@@ -2,14 +2,14 @@\n")));
        // 7 unchanged lines: two hunks.
        QString apart = before;
        apart.replace(QStringLiteral("line 5\n"), QStringLiteral("LINE 5\n"));
        apart.replace(QStringLiteral("line 13\n"), QStringLiteral("LINE 13\n"));
        QCOMPARE(unifiedDiff(before, apart, QStringLiteral("a"), QStringLiteral("b"))
                     .count(QStringLiteral("@@ -")),
                 2);
    }

    void insertedImportAtTheTop() {
        // What `omega check --fix` prints for a missing import.
        const QString before = QStringLiteral("class A(Scene):\n    def construct(self):\n"
                                              "        self.add(Circle())\n");
        const QString after = QStringLiteral("from manim import *\n") + before;
        QCOMPARE(unifiedDiff(before, after, QStringLiteral("a/a.py"), QStringLiteral("b/a.py")),
                 QStringLiteral("--- a/a.py\n+++ b/a.py\n@@ -1,3 +1,4 @@\n+from manim import *\n"
                                " class A(Scene):\n     def construct(self):\n"
                                "         self.add(Circle())\n"));
    }

    void appliesBackOnRandomEdits() {
        QRandomGenerator random(20261127);
        const QStringList alphabet{QStringLiteral("a"),        QStringLiteral("b"),
                                   QStringLiteral("c"),        QStringLiteral("d"),
                                   QStringLiteral("    pass"), QString()};
        for (int round = 0; round < 400; ++round) {
            QStringList lines;
            const int n = int(random.bounded(0, 40));
            for (int i = 0; i < n; ++i)
                lines << alphabet.at(int(random.bounded(alphabet.size())));
            QStringList edited = lines;
            const int edits = int(random.bounded(0, 8));
            for (int e = 0; e < edits; ++e) {
                const int kind = int(random.bounded(3));
                const int at = int(random.bounded(edited.size() + 1));
                const QString line = alphabet.at(int(random.bounded(alphabet.size()))) +
                                     QString::number(random.bounded(3));
                if (kind == 0 || edited.isEmpty())
                    edited.insert(at, line);
                else if (kind == 1 && at < edited.size())
                    edited.removeAt(at);
                else if (at < edited.size())
                    edited[at] = line;
            }
            QString before = lines.join(QLatin1Char('\n'));
            QString after = edited.join(QLatin1Char('\n'));
            if (!before.isEmpty() && random.bounded(4) != 0)
                before += QLatin1Char('\n');
            if (!after.isEmpty() && random.bounded(4) != 0)
                after += QLatin1Char('\n');
            const int context = int(random.bounded(0, 5));
            const QString diff =
                unifiedDiff(before, after, QStringLiteral("a"), QStringLiteral("b"), context);
            if (before == after) {
                QVERIFY(diff.isEmpty());
                continue;
            }
            const std::optional<QString> applied = applyPatch(before, diff);
            QVERIFY2(applied.has_value(), qPrintable(before + QStringLiteral("\n=====\n") + diff));
            QCOMPARE(*applied, after);
            // As diff(1) prints them: in a run of changes, removed lines before added ones.
            QChar previous;
            for (const QString& line : splitKeepingNewlines(diff).mid(2)) {
                if (line.startsWith(QLatin1Char('\\')))
                    continue;
                QVERIFY2(!(previous == QLatin1Char('+') && line.startsWith(QLatin1Char('-'))),
                         qPrintable(diff));
                previous = line.at(0);
            }
            // Minimal: exactly the lines outside a longest common subsequence change.
            const QStringList a = splitKeepingNewlines(before);
            const QStringList b = splitKeepingNewlines(after);
            int changed = 0;
            for (const QString& line : splitKeepingNewlines(diff).mid(2)) {
                if (line.startsWith(QLatin1Char('+')) || line.startsWith(QLatin1Char('-')))
                    ++changed;
            }
            QCOMPARE(changed, int(a.size() + b.size() - 2 * lcsLength(a, b)));
        }
    }

    void largeDissimilarTextsStayFast() {
        // Myers in linear space: two unrelated 3000-line texts diff quickly.
        QString before, after;
        for (int i = 0; i < 3000; ++i) {
            before += QStringLiteral("old %1\n").arg(i);
            after += QStringLiteral("new %1\n").arg(i);
        }
        QElapsedTimer clock;
        clock.start();
        const QString diff = unifiedDiff(before, after, QStringLiteral("a"), QStringLiteral("b"));
        QVERIFY(clock.elapsed() < 5000);
        const std::optional<QString> applied = applyPatch(before, diff);
        QVERIFY(applied.has_value());
        QCOMPARE(*applied, after);
    }
};

QTEST_APPLESS_MAIN(TestUnifiedDiff)
#include "tst_unifieddiff.moc"
