#include "ProgressParser.h"

#include <QRegularExpression>

#include <algorithm>

namespace omega {

namespace {

constexpr QChar kEsc(0x1b);
constexpr QChar kCsi8Bit(0x9b); // the one-character form of "ESC ["

bool isDigit(QChar c) {
    return c >= QLatin1Char('0') && c <= QLatin1Char('9');
}

// Reads 1..9 decimal digits that end at `pos` (inclusive), moving `pos` before them.
bool readNumberBackward(const QString& s, int* pos, int* value) {
    const int end = *pos;
    int p = end;
    while (p >= 0 && isDigit(s.at(p)))
        --p;
    const int length = end - p;
    if (length < 1 || length > 9)
        return false;
    *value = QStringView(s).mid(p + 1, length).toInt();
    *pos = p;
    return true;
}

void skipSpacesBackward(const QString& s, int* pos) {
    while (*pos >= 0 && s.at(*pos) == QLatin1Char(' '))
        --*pos;
}

// tqdm's bar, parsed from the right because the description before it may contain anything
// (':', '%', '|', '/', '[' …): "<desc>: 47%|████▋     | 7/15 [00:00<00:00, 68.40it/s]", or,
// when the total is unknown, "<desc>: 7it [00:00, 68.40it/s]".
bool parseBar(const QString& line, QString* desc, int* percent, int* frame, int* total) {
    if (!line.endsWith(QLatin1Char(']')))
        return false;
    int pos = line.lastIndexOf(QLatin1Char('['));
    if (pos <= 0)
        return false;
    --pos;
    skipSpacesBackward(line, &pos);
    if (pos < 0)
        return false;

    *percent = 0;
    *total = 0;
    if (line.at(pos) == QLatin1Char('t')) {
        // Unknown total: "<n>it".
        if (pos < 1 || line.at(pos - 1) != QLatin1Char('i'))
            return false;
        pos -= 2;
        if (pos < 0 || !readNumberBackward(line, &pos, frame))
            return false;
    } else {
        if (pos < 0 || !readNumberBackward(line, &pos, total))
            return false;
        if (pos < 0 || line.at(pos) != QLatin1Char('/'))
            return false;
        --pos;
        if (pos < 0 || !readNumberBackward(line, &pos, frame))
            return false;
        skipSpacesBackward(line, &pos);
        if (pos < 1 || line.at(pos) != QLatin1Char('|'))
            return false;
        // (pos >= 1: lastIndexOf(c, -1) would search from the end.)
        pos = line.lastIndexOf(QLatin1Char('|'), pos - 1); // the bar itself holds no '|'
        if (pos <= 0)
            return false;
        --pos;
        if (line.at(pos) != QLatin1Char('%'))
            return false;
        --pos;
        if (pos < 0 || !readNumberBackward(line, &pos, percent) || *percent > 999)
            return false;
    }
    skipSpacesBackward(line, &pos);
    if (pos < 0 || line.at(pos) != QLatin1Char(':'))
        return false;
    *desc = line.left(pos);
    return true;
}

// manim's descriptions: "Animation 3: Create(Circle)", "Waiting 4", "Waiting for <func>".
bool parseDescription(const QString& desc, int* index, QString* label) {
    static const QRegularExpression animation(QStringLiteral("(?:^|\\s)Animation (\\d{1,9}): "));
    static const QRegularExpression waiting(QStringLiteral("(?:^|\\s)Waiting (\\d{1,9})$"));
    static const QRegularExpression waitingFor(QStringLiteral("(?:^|\\s)(Waiting for \\S.*)$"));
    QRegularExpressionMatch m = animation.match(desc);
    if (m.hasMatch()) {
        *index = m.captured(1).toInt();
        *label = desc.mid(m.capturedEnd()).trimmed();
        return true;
    }
    m = waiting.match(desc);
    if (m.hasMatch()) {
        *index = m.captured(1).toInt();
        *label = QStringLiteral("Waiting");
        return true;
    }
    m = waitingFor.match(desc);
    if (m.hasMatch()) {
        *index = -1; // manim does not print the animation number for these
        *label = m.captured(1).trimmed();
        return true;
    }
    return false;
}

} // namespace

QList<ProgressUpdate> ProgressParser::feed(const QByteArray& chunk) {
    // A line is parsed if and only if it is at most kMaxLineBytes long, however it was chunked.
    QList<ProgressUpdate> updates;
    qsizetype start = 0;
    for (qsizetype i = 0; i < chunk.size(); ++i) {
        const char c = chunk.at(i);
        if (c != '\r' && c != '\n')
            continue;
        if (!discarding_ && pending_.size() + (i - start) <= kMaxLineBytes) {
            pending_.append(chunk.constData() + start, i - start);
            takeLine(pending_, &updates);
        }
        pending_.clear();
        discarding_ = false;
        start = i + 1;
    }
    const qsizetype rest = chunk.size() - start;
    if (!discarding_ && rest > 0) {
        if (pending_.size() + rest > kMaxLineBytes) {
            pending_.clear();
            discarding_ = true;
        } else {
            pending_.append(chunk.constData() + start, rest);
        }
    }
    return updates;
}

QList<ProgressUpdate> ProgressParser::finish() {
    QList<ProgressUpdate> updates;
    if (!discarding_ && !pending_.isEmpty())
        takeLine(pending_, &updates);
    pending_.clear();
    discarding_ = false;
    return updates;
}

void ProgressParser::takeLine(const QByteArray& line, QList<ProgressUpdate>* updates) {
    if (line.isEmpty())
        return;
    // Lines are cut at \r and \n only, which never occur inside a UTF-8 sequence or an
    // escape sequence, so a complete line decodes on its own.
    ProgressUpdate update;
    if (parseLine(QString::fromUtf8(line), &update))
        updates->append(update);
}

QString ProgressParser::stripAnsi(const QString& text) {
    if (!text.contains(kEsc) && !text.contains(kCsi8Bit))
        return text;
    QString out;
    out.reserve(text.size());
    const qsizetype n = text.size();
    qsizetype i = 0;
    // CSI: parameters 0x30-0x3F, intermediates 0x20-0x2F, one final byte 0x40-0x7E.
    const auto skipCsi = [&](qsizetype p) {
        while (p < n && text.at(p).unicode() >= 0x20 && text.at(p).unicode() <= 0x3f)
            ++p;
        if (p < n && text.at(p).unicode() >= 0x40 && text.at(p).unicode() <= 0x7e)
            ++p;
        return p;
    };
    while (i < n) {
        const QChar c = text.at(i);
        if (c == kCsi8Bit) {
            i = skipCsi(i + 1);
            continue;
        }
        if (c != kEsc) {
            out.append(c);
            ++i;
            continue;
        }
        if (i + 1 >= n) // a lone ESC at the end
            break;
        const ushort next = text.at(i + 1).unicode();
        if (next == '[') {
            i = skipCsi(i + 2);
        } else if (next == ']' || next == 'P' || next == 'X' || next == '^' || next == '_') {
            // OSC / DCS / SOS / PM / APC: a string up to BEL or ST (ESC \).
            qsizetype p = i + 2;
            while (p < n) {
                if (text.at(p).unicode() == 0x07) {
                    ++p;
                    break;
                }
                if (text.at(p) == kEsc && p + 1 < n && text.at(p + 1) == QLatin1Char('\\')) {
                    p += 2;
                    break;
                }
                ++p;
            }
            i = p;
        } else if (next >= 0x20 && next <= 0x2f) {
            // nF escapes such as "ESC ( B": intermediates, then one final byte.
            qsizetype p = i + 1;
            while (p < n && text.at(p).unicode() >= 0x20 && text.at(p).unicode() <= 0x2f)
                ++p;
            i = p < n ? p + 1 : p;
        } else {
            i += 2; // two-character escapes: ESC 7, ESC M, ESC c …
        }
    }
    return out;
}

bool ProgressParser::parseLine(const QString& rawLine, ProgressUpdate* update) {
    const QString line = stripAnsi(rawLine).trimmed();
    if (line.isEmpty())
        return false;

    ProgressUpdate result;
    QString desc;
    int percent = 0;
    int frame = 0;
    int total = 0;
    if (parseBar(line, &desc, &percent, &frame, &total)) {
        if (!parseDescription(desc, &result.animationIndex, &result.label))
            return false;
        result.percent = std::clamp(percent, 0, 100);
        result.frame = frame;
        result.totalFrames = total;
    } else {
        // Rich log line on stdout, possibly wrapped after "Using cached":
        // "[..] INFO     Animation 1 : Using cached data (hash : 2135..._3163...)  file.py:105"
        static const QRegularExpression cached(
            QStringLiteral("(?:^|\\s)Animation (\\d{1,9}) : Using(?: cached)?(?:\\s|$)"));
        const QRegularExpressionMatch m = cached.match(line);
        if (!m.hasMatch())
            return false;
        result.animationIndex = m.captured(1).toInt();
        result.cached = true;
        result.percent = 100; // nothing left to render for it
    }
    if (update)
        *update = result;
    return true;
}

int overallPercent(int index, int percent, int totalAnimations) {
    if (totalAnimations <= 0)
        return -1;
    // floor(100 * (index + percent / 100) / total) in integers: floor((100 * index + percent)
    // / total), with a floor division that also rounds negative values down.
    const qint64 scaled = qint64(index) * 100 + percent;
    qint64 result = scaled / totalAnimations;
    if (scaled % totalAnimations != 0 && scaled < 0)
        --result;
    return int(std::clamp<qint64>(result, 0, 100));
}

} // namespace omega
