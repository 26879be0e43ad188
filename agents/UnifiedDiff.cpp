#include "UnifiedDiff.h"

#include <QHash>
#include <QStringList>

#include <algorithm>
#include <vector>

namespace omega {

namespace {

// Lines with their "\n" (the last one may lack it).
QStringList splitLines(const QString& text) {
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

enum class Op { Equal, Delete, Insert };

struct Step {
    Op op;
    int oldIndex; // line of `before` (Equal, Delete), else the position in `before`
    int newIndex; // line of `after` (Equal, Insert), else the position in `after`
};

// Myers' diff on line ids, linear space: find the middle snake, split, recurse
// (the bisection of Myers 1986, section 4b, as in diff-match-patch).
class LineDiff {
public:
    LineDiff(const std::vector<int>& a, const std::vector<int>& b)
        : a_(a)
        , b_(b) {}

    std::vector<Step> run() {
        diff(0, int(a_.size()), 0, int(b_.size()));
        // Like diff(1): in each run of changes the removed lines come before the added ones
        // (the recursion may interleave them); then renumber the positions.
        auto begin = steps_.begin();
        while (begin != steps_.end()) {
            auto end =
                std::find_if(begin, steps_.end(), [](const Step& s) { return s.op == Op::Equal; });
            std::stable_partition(begin, end, [](const Step& s) { return s.op == Op::Delete; });
            begin = end == steps_.end() ? end : end + 1;
        }
        int oldPos = 0, newPos = 0;
        for (Step& step : steps_) {
            step.oldIndex = oldPos;
            step.newIndex = newPos;
            oldPos += step.op != Op::Insert ? 1 : 0;
            newPos += step.op != Op::Delete ? 1 : 0;
        }
        return steps_;
    }

private:
    const std::vector<int>& a_;
    const std::vector<int>& b_;
    std::vector<Step> steps_;

    void emitRange(Op op, int a0, int a1, int b0, int b1) {
        if (op == Op::Delete) {
            for (int i = a0; i < a1; ++i)
                steps_.push_back({Op::Delete, i, b0});
        } else if (op == Op::Insert) {
            for (int j = b0; j < b1; ++j)
                steps_.push_back({Op::Insert, a0, j});
        } else {
            for (int i = a0, j = b0; i < a1 && j < b1; ++i, ++j)
                steps_.push_back({Op::Equal, i, j});
        }
    }

    void diff(int a0, int a1, int b0, int b1) {
        // Common prefix and suffix first: cheap, and most edits are small.
        int prefix = 0;
        while (a0 + prefix < a1 && b0 + prefix < b1 && a_[a0 + prefix] == b_[b0 + prefix])
            ++prefix;
        emitRange(Op::Equal, a0, a0 + prefix, b0, b0 + prefix);
        a0 += prefix;
        b0 += prefix;
        int suffix = 0;
        while (a1 - suffix > a0 && b1 - suffix > b0 && a_[a1 - suffix - 1] == b_[b1 - suffix - 1])
            ++suffix;
        const int sa = a1 - suffix;
        const int sb = b1 - suffix;
        if (a0 == sa) {
            emitRange(Op::Insert, a0, a0, b0, sb);
        } else if (b0 == sb) {
            emitRange(Op::Delete, a0, sa, b0, b0);
        } else {
            bisect(a0, sa, b0, sb);
        }
        emitRange(Op::Equal, sa, a1, sb, b1);
    }

    void bisect(int a0, int a1, int b0, int b1) {
        const int n = a1 - a0;
        const int m = b1 - b0;
        const int maxD = (n + m + 1) / 2;
        const int offset = maxD;
        const int length = 2 * maxD + 2;
        std::vector<int> v1(size_t(length), -1);
        std::vector<int> v2(size_t(length), -1);
        v1[size_t(offset + 1)] = 0;
        v2[size_t(offset + 1)] = 0;
        const int delta = n - m;
        const bool front = (delta % 2) != 0;
        int k1start = 0, k1end = 0, k2start = 0, k2end = 0;
        for (int d = 0; d < maxD; ++d) {
            for (int k1 = -d + k1start; k1 <= d - k1end; k1 += 2) {
                const int k1o = offset + k1;
                int x1 = (k1 == -d || (k1 != d && v1[size_t(k1o - 1)] < v1[size_t(k1o + 1)]))
                             ? v1[size_t(k1o + 1)]
                             : v1[size_t(k1o - 1)] + 1;
                int y1 = x1 - k1;
                while (x1 < n && y1 < m && a_[size_t(a0 + x1)] == b_[size_t(b0 + y1)]) {
                    ++x1;
                    ++y1;
                }
                v1[size_t(k1o)] = x1;
                if (x1 > n) {
                    k1end += 2;
                } else if (y1 > m) {
                    k1start += 2;
                } else if (front) {
                    const int k2o = offset + delta - k1;
                    if (k2o >= 0 && k2o < length && v2[size_t(k2o)] != -1 &&
                        x1 >= n - v2[size_t(k2o)]) {
                        split(a0, a1, b0, b1, x1, y1);
                        return;
                    }
                }
            }
            for (int k2 = -d + k2start; k2 <= d - k2end; k2 += 2) {
                const int k2o = offset + k2;
                int x2 = (k2 == -d || (k2 != d && v2[size_t(k2o - 1)] < v2[size_t(k2o + 1)]))
                             ? v2[size_t(k2o + 1)]
                             : v2[size_t(k2o - 1)] + 1;
                int y2 = x2 - k2;
                while (x2 < n && y2 < m &&
                       a_[size_t(a0 + n - x2 - 1)] == b_[size_t(b0 + m - y2 - 1)]) {
                    ++x2;
                    ++y2;
                }
                v2[size_t(k2o)] = x2;
                if (x2 > n) {
                    k2end += 2;
                } else if (y2 > m) {
                    k2start += 2;
                } else if (!front) {
                    const int k1o = offset + delta - k2;
                    if (k1o >= 0 && k1o < length && v1[size_t(k1o)] != -1) {
                        const int x1 = v1[size_t(k1o)];
                        const int y1 = offset + x1 - k1o;
                        if (x1 >= n - x2) {
                            split(a0, a1, b0, b1, x1, y1);
                            return;
                        }
                    }
                }
            }
        }
        // Nothing in common.
        emitRange(Op::Delete, a0, a1, b0, b0);
        emitRange(Op::Insert, a1, a1, b0, b1);
    }

    void split(int a0, int a1, int b0, int b1, int x, int y) {
        diff(a0, a0 + x, b0, b0 + y);
        diff(a0 + x, a1, b0 + y, b1);
    }
};

QString range(int start, int count) {
    // start: 0-based index of the first line; an empty range names the line before it.
    if (count == 1)
        return QString::number(start + 1);
    return QStringLiteral("%1,%2").arg(count == 0 ? start : start + 1).arg(count);
}

void appendLine(QString& out, QChar marker, const QString& line) {
    out += marker;
    if (line.endsWith(QLatin1Char('\n'))) {
        out += line;
    } else {
        out += line;
        out += QLatin1String("\n\\ No newline at end of file\n");
    }
}

} // namespace

QString unifiedDiff(const QString& before, const QString& after, const QString& fromLabel,
                    const QString& toLabel, int context) {
    if (before == after)
        return {};
    context = std::max(0, context);
    const QStringList oldLines = splitLines(before);
    const QStringList newLines = splitLines(after);
    QHash<QString, int> ids;
    auto idsOf = [&ids](const QStringList& lines) {
        std::vector<int> out;
        out.reserve(size_t(lines.size()));
        for (const QString& line : lines) {
            auto it = ids.constFind(line);
            if (it == ids.constEnd())
                it = ids.insert(line, int(ids.size()));
            out.push_back(it.value());
        }
        return out;
    };
    const std::vector<int> a = idsOf(oldLines);
    const std::vector<int> b = idsOf(newLines);
    const std::vector<Step> steps = LineDiff(a, b).run();

    QString out = QStringLiteral("--- %1\n+++ %2\n").arg(fromLabel, toLabel);
    const int total = int(steps.size());
    int i = 0;
    while (i < total) {
        // Next change.
        while (i < total && steps[size_t(i)].op == Op::Equal)
            ++i;
        if (i >= total)
            break;
        const int hunkStart = std::max(0, i - context);
        // Extend over changes separated by at most 2 × context unchanged lines.
        int lastChange = i;
        int j = i;
        while (j < total) {
            if (steps[size_t(j)].op != Op::Equal) {
                lastChange = j;
                ++j;
                continue;
            }
            int run = 0;
            while (j + run < total && steps[size_t(j + run)].op == Op::Equal)
                ++run;
            if (j + run >= total || run > 2 * context)
                break;
            j += run;
        }
        const int hunkEnd = std::min(total, lastChange + context + 1);

        int oldCount = 0, newCount = 0;
        for (int k = hunkStart; k < hunkEnd; ++k) {
            const Op op = steps[size_t(k)].op;
            oldCount += op != Op::Insert ? 1 : 0;
            newCount += op != Op::Delete ? 1 : 0;
        }
        const Step& first = steps[size_t(hunkStart)];
        out += QStringLiteral("@@ -%1 +%2 @@\n")
                   .arg(range(first.oldIndex, oldCount), range(first.newIndex, newCount));
        for (int k = hunkStart; k < hunkEnd; ++k) {
            const Step& step = steps[size_t(k)];
            switch (step.op) {
            case Op::Equal:
                appendLine(out, QLatin1Char(' '), oldLines.at(step.oldIndex));
                break;
            case Op::Delete:
                appendLine(out, QLatin1Char('-'), oldLines.at(step.oldIndex));
                break;
            case Op::Insert:
                appendLine(out, QLatin1Char('+'), newLines.at(step.newIndex));
                break;
            }
        }
        i = hunkEnd;
    }
    return out;
}

} // namespace omega
