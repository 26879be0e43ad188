#include "ErrorClassifier.h"

#include "Paths.h"

#include <QList>
#include <QRegularExpression>
#include <QStringList>

#include <algorithm>

// Everything here works on text only: manim's stderr (tracebacks, Rich or plain) and stdout
// (Rich log records, wrapped at 80 columns when there is no terminal). The shapes handled are
// those of the recordings in tests/fixtures/manim (manim 0.22, Rich 13/14, Python 3.11).
namespace omega {

namespace {

constexpr char16_t kBoxTop = u'\u256D';      // ╭
constexpr char16_t kBoxBottom = u'\u2570';   // ╰
constexpr char16_t kBoxSide = u'\u2502';     // │
constexpr char16_t kCurrentLine = u'\u2771'; // ❱ marks the frame's line in Rich's code view

constexpr int kMaxDetailLines = 40;
constexpr int kMaxDetailLineChars = 300;
constexpr int kMaxSentenceChars = 240;

struct Frame {
    QString path; // empty for Rich's frozen frames ("in exec_module:936")
    int line = 0;
    QString name;
    QString code; // the frame's source line, when the traceback shows it
};

struct Traceback {
    QList<Frame> frames; // every traceback in the text, in order: outermost → innermost
    QString type;        // the last exception: "ZeroDivisionError", "cv2.error"
    QString message;     // its message, wrapped lines joined; may be empty
    bool hasException = false;
};

// A Rich log record from stdout: "[time] LEVEL    message…    file.py:123".
struct RichLogEntry {
    QString level;
    QString message; // wrapped lines re-joined, one line per paragraph
};

// Lines without terminators; of a tqdm redraw ("\r…\r…") only its last state is kept.
QStringList splitLines(const QString& text) {
    QStringList lines = text.split(QLatin1Char('\n'));
    for (QString& line : lines) {
        while (line.endsWith(QLatin1Char('\r')))
            line.chop(1);
        const qsizetype cr = line.lastIndexOf(QLatin1Char('\r'));
        if (cr >= 0)
            line = line.mid(cr + 1);
    }
    return lines;
}

QString rtrimmed(const QString& s) {
    qsizetype end = s.size();
    while (end > 0 && s.at(end - 1).isSpace())
        --end;
    return s.left(end);
}

QString withoutSpaces(QString s) {
    s.remove(QLatin1Char(' '));
    s.replace(QLatin1Char('\\'), QLatin1Char('/'));
    return s;
}

bool isAbsolute(const QString& path) {
    return path.startsWith(QLatin1Char('/')) ||
           (path.size() > 2 && path.at(1) == QLatin1Char(':') && path.at(2) == QLatin1Char('/'));
}

// Spaces are ignored because Rich may have wrapped a path at one; a relative path matches the
// tail of an absolute one.
bool samePath(const QString& framePath, const QString& scriptPath) {
    if (framePath.isEmpty() || scriptPath.isEmpty())
        return false;
    const QString a = withoutSpaces(framePath);
    const QString b = withoutSpaces(scriptPath);
    if (a.isEmpty() || b.isEmpty())
        return false;
    if (a == b)
        return true;
    if (!isAbsolute(a) && isAbsolute(b))
        return b.endsWith(QLatin1Char('/') + a);
    if (!isAbsolute(b) && isAbsolute(a))
        return a.endsWith(QLatin1Char('/') + b);
    return false;
}

QString clip(const QString& text, int maxChars) {
    if (text.size() <= maxChars)
        return text;
    return text.left(maxChars - 1) + QChar(0x2026); // …
}

// The last lines of raw output, for failures without a traceback: blank runs collapsed,
// long lines clipped, at most maxLines of them.
QString tailLines(const QString& text, int maxLines = 20) {
    QStringList out;
    const QStringList lines = splitLines(text.right(8000));
    for (qsizetype i = lines.size() - 1; i >= 0 && out.size() < maxLines; --i) {
        const QString line = rtrimmed(lines.at(i));
        if (line.trimmed().isEmpty() && (out.isEmpty() || out.first().isEmpty()))
            continue;
        out.prepend(clip(line, kMaxDetailLineChars));
    }
    while (!out.isEmpty() && out.first().isEmpty())
        out.removeFirst();
    return out.join(QLatin1Char('\n'));
}

// ---- Rich boxes -----------------------------------------------------------------------------

// One content line of a Rich panel: "│ text │", with one space of padding each side.
struct BoxLine {
    QString text;        // without the sides and the left padding, right-trimmed
    bool folded = false; // a single word cut at the panel's edge: it continues on the next line
};

bool boxLine(const QString& raw, BoxLine* out) {
    const QString line = rtrimmed(raw);
    if (line.size() < 2 || line.front() != QChar(kBoxSide) || line.back() != QChar(kBoxSide))
        return false;
    QString inner = line.mid(1, line.size() - 2);
    const qsizetype width = inner.size() - 2; // text width inside the padding
    if (inner.startsWith(QLatin1Char(' ')))
        inner.remove(0, 1);
    out->text = rtrimmed(inner);
    const QString word = out->text.trimmed();
    out->folded = width > 0 && out->text.size() >= width && !word.isEmpty() &&
                  !word.contains(QLatin1Char(' '));
    return true;
}

// Joins the pieces of a wrapped line: a folded word continues directly, a word-wrapped line
// lost one space at the break.
void appendWrapped(QString* joined, bool previousFolded, const QString& piece) {
    if (joined->isEmpty())
        *joined = piece.trimmed();
    else
        *joined += (previousFolded ? QString() : QStringLiteral(" ")) + piece.trimmed();
}

// The source line shown after "❱ 12 │", without the number and Rich's indent guides.
QString richCode(const QString& text) {
    qsizetype i = 0;
    const qsizetype n = text.size();
    while (i < n && (text.at(i) == QChar(kCurrentLine) || text.at(i).isSpace()))
        ++i;
    while (i < n && text.at(i).isDigit())
        ++i;
    while (i < n && (text.at(i) == QChar(kBoxSide) || text.at(i).isSpace()))
        ++i;
    return text.mid(i).trimmed();
}

bool isCodeLine(const QString& text) {
    return text.startsWith(QLatin1Char(' ')) || text.startsWith(QChar(kCurrentLine));
}

bool addRichHeader(const QString& header, QList<Frame>* frames) {
    static const QRegularExpression frameHeader(QStringLiteral("^(.+):(\\d{1,9}) ?in (\\S+)$"));
    static const QRegularExpression frozenFrame(QStringLiteral("^in (\\S+):(\\d{1,9})$"));
    QRegularExpressionMatch m = frameHeader.match(header);
    Frame frame;
    if (m.hasMatch()) {
        frame.path = m.captured(1).trimmed();
        frame.line = m.captured(2).toInt();
        frame.name = m.captured(3);
    } else if ((m = frozenFrame.match(header)).hasMatch()) {
        frame.name = m.captured(1);
        frame.line = m.captured(2).toInt();
    } else {
        return false;
    }
    frames->append(frame);
    return true;
}

// "Traceback (most recent call last)" panel: frames are a header ("path:line in name",
// wrapped when long), a blank line, the code around the line (❱ marks it), a blank line.
// Frozen importlib frames are bare "in name:line" lines.
void parseTracebackBox(const QList<BoxLine>& box, QList<Frame>* frames) {
    static const QRegularExpression frozenFrame(QStringLiteral("^in \\S+:\\d{1,9}$"));
    QString header;
    bool previousFolded = false;
    qsizetype current = -1; // the frame the code lines belong to
    const auto flush = [&] {
        if (!header.isEmpty() && addRichHeader(header, frames))
            current = frames->size() - 1;
        header.clear();
        previousFolded = false;
    };
    for (const BoxLine& line : box) {
        if (line.text.isEmpty()) {
            flush();
        } else if (isCodeLine(line.text)) {
            flush();
            if (current >= 0 && line.text.startsWith(QChar(kCurrentLine)) &&
                frames->at(current).code.isEmpty())
                (*frames)[current].code = richCode(line.text);
        } else if (frozenFrame.match(line.text).hasMatch()) {
            flush();
            current = -1;
            header = line.text;
            flush();
        } else {
            if (header.isEmpty())
                current = -1;
            appendWrapped(&header, previousFolded, line.text);
            previousFolded = line.folded;
        }
    }
    flush();
}

// The panel Rich prints for a SyntaxError: " path:line", the offending line, a ▲ marker.
void parseSyntaxBox(const QList<BoxLine>& box, QList<Frame>* frames) {
    static const QRegularExpression location(QStringLiteral("^(.+):(\\d{1,9})$"));
    QString header;
    bool previousFolded = false;
    qsizetype i = 0;
    for (; i < box.size(); ++i) {
        if (box.at(i).text.isEmpty() && header.isEmpty())
            continue;
        appendWrapped(&header, previousFolded, box.at(i).text);
        previousFolded = box.at(i).folded;
        if (!previousFolded)
            break;
    }
    const QRegularExpressionMatch m = location.match(header);
    if (!m.hasMatch())
        return;
    Frame frame;
    frame.path = m.captured(1).trimmed();
    frame.line = m.captured(2).toInt();
    if (i + 1 < box.size())
        frame.code = box.at(i + 1).text.trimmed();
    frames->append(frame);
}

// ---- Tracebacks -----------------------------------------------------------------------------

bool isExceptionLine(const QString& line, QString* type, QString* message) {
    static const QRegularExpression exception(
        QStringLiteral("^([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)*)(?:: ?(.*))?$"));
    const QRegularExpressionMatch m = exception.match(line);
    if (!m.hasMatch())
        return false;
    *type = m.captured(1);
    *message = m.captured(2).trimmed();
    return true;
}

// The exception line at or after `from` (after the last frame or panel): "Type: message" and
// the lines it wrapped onto.
void readException(const QStringList& lines, qsizetype from, Traceback* tb) {
    qsizetype i = from;
    while (i < lines.size() && lines.at(i).trimmed().isEmpty())
        ++i;
    if (i >= lines.size())
        return;
    const QString& first = lines.at(i);
    if (first.isEmpty() || first.at(0).isSpace() || first.front() == QChar(kBoxTop))
        return;
    QString type;
    QString message;
    if (!isExceptionLine(rtrimmed(first), &type, &message))
        return;
    for (qsizetype j = i + 1; j < lines.size() && j < i + 8; ++j) {
        const QString next = lines.at(j).trimmed();
        if (next.isEmpty() || next.front() == QChar(kBoxTop) ||
            next.startsWith(QLatin1String("During handling")) ||
            next.startsWith(QLatin1String("The above exception")) ||
            next.startsWith(QLatin1String("Traceback (")))
            break;
        message += (message.isEmpty() ? QString() : QStringLiteral(" ")) + next;
    }
    tb->type = type;
    tb->message = message;
    tb->hasException = true;
}

// Plain Python tracebacks and Rich panels, in the order they appear.
Traceback parseTraceback(const QString& text) {
    static const QRegularExpression plainFrame(
        QStringLiteral("^\\s*File \"(.+)\", line (\\d{1,9})(?:, in (.+))?$"));
    Traceback tb;
    const QStringList lines = splitLines(text);
    qsizetype endOfLastTraceback = -1;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QString& line = lines.at(i);
        const qsizetype boxStart = line.indexOf(QChar(kBoxTop));
        if (boxStart >= 0 && rtrimmed(line).endsWith(QChar(0x256E))) { // ╮
            const bool traceback = line.contains(QLatin1String("Traceback"));
            QList<BoxLine> box;
            qsizetype j = i + 1;
            BoxLine content;
            for (; j < lines.size(); ++j) {
                if (lines.at(j).startsWith(QChar(kBoxBottom)) || !boxLine(lines.at(j), &content))
                    break;
                box.append(content);
            }
            if (traceback)
                parseTracebackBox(box, &tb.frames);
            else
                parseSyntaxBox(box, &tb.frames);
            endOfLastTraceback = j + 1;
            i = j;
            continue;
        }
        const QRegularExpressionMatch m = plainFrame.match(line);
        if (m.hasMatch()) {
            Frame frame;
            frame.path = m.captured(1);
            frame.line = m.captured(2).toInt();
            frame.name = m.captured(3).trimmed();
            qsizetype j = i + 1;
            if (j < lines.size() && lines.at(j).startsWith(QLatin1Char(' ')) &&
                !plainFrame.match(lines.at(j)).hasMatch())
                frame.code = lines.at(j).trimmed();
            // Skip the code and the ^^^^ / ~~~ markers under it.
            while (j < lines.size() && lines.at(j).startsWith(QLatin1Char(' ')) &&
                   !plainFrame.match(lines.at(j)).hasMatch())
                ++j;
            tb.frames.append(frame);
            endOfLastTraceback = j;
            i = j - 1;
        }
    }
    if (endOfLastTraceback >= 0)
        readException(lines, endOfLastTraceback, &tb);
    if (!tb.hasException) {
        // No traceback structure (or an unusual one): the last line that reads like one.
        static const QRegularExpression named(QStringLiteral(
            "^([A-Za-z_][A-Za-z0-9_.]*(?:Error|Exception|Interrupt|Exit|error)):(?: (.*))?$"));
        for (qsizetype i = lines.size() - 1; i >= 0; --i) {
            const QRegularExpressionMatch m = named.match(rtrimmed(lines.at(i)));
            if (m.hasMatch()) {
                tb.type = m.captured(1);
                tb.message = m.captured(2).trimmed();
                tb.hasException = true;
                break;
            }
        }
    }
    return tb;
}

// ---- Rich log (stdout) ----------------------------------------------------------------------

// Records re-joined from Rich's columns: time (or blank), level, message, path. Only the
// message column is kept; lines that are not part of a record are ignored.
QList<RichLogEntry> parseRichLog(const QString& text) {
    static const QRegularExpression recordStart(QStringLiteral(
        "^(?:\\[[^\\]]{1,40}\\])?\\s{0,40}(DEBUG|INFO|WARNING|ERROR|CRITICAL)(?=\\s|$)"));
    static const QRegularExpression pathColumn(QStringLiteral("\\s(\\S+:\\d{1,9})\\s*$"));
    QList<RichLogEntry> entries;
    const QStringList lines = splitLines(text);
    qsizetype i = 0;
    while (i < lines.size()) {
        const QRegularExpressionMatch start = recordStart.match(lines.at(i));
        if (!start.hasMatch()) {
            ++i;
            continue;
        }
        const QString& first = lines.at(i);
        const qsizetype messageColumn = start.capturedStart(1) + 9; // level column: 8 + gap
        QString firstPiece = first.mid(messageColumn);
        qsizetype width = -1;
        const QRegularExpressionMatch path = pathColumn.match(firstPiece);
        if (path.hasMatch()) {
            width = path.capturedStart(1) - 1;
            firstPiece = firstPiece.left(path.capturedStart(0));
        }
        RichLogEntry entry;
        entry.level = start.captured(1);
        QString message = firstPiece.trimmed();
        const auto isFolded = [width](const QString& piece) {
            const QString word = piece.trimmed();
            return width > 0 && rtrimmed(piece).size() >= width && !word.isEmpty() &&
                   !word.contains(QLatin1Char(' '));
        };
        bool previousFolded = isFolded(firstPiece);
        bool paragraphBreak = false;
        const QString indent(messageColumn, QLatin1Char(' '));
        for (++i; i < lines.size(); ++i) {
            const QString& line = lines.at(i);
            // A new record, unless the "level" is a word of this message's next line.
            const QRegularExpressionMatch next = recordStart.match(line);
            if (next.hasMatch() && next.capturedStart(1) < messageColumn)
                break;
            if (line.trimmed().isEmpty()) {
                paragraphBreak = !message.isEmpty();
                previousFolded = false;
                continue;
            }
            if (!line.startsWith(indent))
                break;
            const QString piece = line.mid(messageColumn);
            if (paragraphBreak) {
                message += QLatin1Char('\n') + piece.trimmed();
                paragraphBreak = false;
            } else if (message.isEmpty()) {
                message = piece.trimmed();
            } else {
                message += (previousFolded ? QString() : QStringLiteral(" ")) + piece.trimmed();
            }
            previousFolded = isFolded(piece);
        }
        entry.message = message.trimmed();
        entries.append(entry);
    }
    return entries;
}

// ---- Classification -------------------------------------------------------------------------

struct Context {
    const ProcessOutcome& outcome;
    Traceback tb;
    QList<Frame> userFrames;
    QList<RichLogEntry> log;
    QString allText; // stdout + stderr, for phrases that may be on either
};

QString exceptionText(const Traceback& tb) {
    if (tb.message.isEmpty())
        return tb.type;
    return tb.type + QStringLiteral(": ") + tb.message;
}

QString atLine(int line) {
    return line > 0 ? QStringLiteral(" (line %1)").arg(line) : QString();
}

// Trimmed traceback: the script's frames (repeats collapsed, long chains cut in the middle)
// and the exception; other frames only when the script has none.
QString tracebackDetail(const Context& ctx, const QStringList& preface = {}) {
    QStringList out;
    for (const QString& line : preface)
        out << clip(line, kMaxDetailLineChars);
    QList<Frame> frames = ctx.userFrames;
    QString heading = QStringLiteral("Traceback (frames in the script):");
    if (frames.isEmpty() && !ctx.tb.frames.isEmpty()) {
        frames = ctx.tb.frames.mid(std::max<qsizetype>(0, ctx.tb.frames.size() - 3));
        heading = QStringLiteral("Traceback (innermost frames):");
    }
    if (!frames.isEmpty()) {
        out << heading;
        QStringList frameLines;
        for (qsizetype i = 0; i < frames.size(); ++i) {
            const Frame& f = frames.at(i);
            qsizetype repeats = 0;
            while (i + 1 < frames.size() && frames.at(i + 1).path == f.path &&
                   frames.at(i + 1).line == f.line && frames.at(i + 1).name == f.name) {
                ++i;
                ++repeats;
            }
            QString where = QStringLiteral("  File \"%1\", line %2").arg(f.path).arg(f.line);
            if (!f.name.isEmpty())
                where += QStringLiteral(", in ") + f.name;
            frameLines << clip(where, kMaxDetailLineChars);
            if (!f.code.isEmpty())
                frameLines << clip(QStringLiteral("    ") + f.code, kMaxDetailLineChars);
            if (repeats > 0)
                frameLines
                    << QStringLiteral("  [previous frame repeated %1 more times]").arg(repeats);
        }
        // Keep the outermost frames and the innermost ones when the chain is long.
        const int budget = kMaxDetailLines - int(out.size()) - 4;
        if (frameLines.size() > budget && budget > 6) {
            const int head = budget / 3;
            const int tail = budget - head - 1;
            const qsizetype omitted = frameLines.size() - head - tail;
            frameLines = frameLines.mid(0, head) +
                         QStringList{QStringLiteral("  … %1 lines omitted …").arg(omitted)} +
                         frameLines.mid(frameLines.size() - tail);
        }
        out << frameLines;
    }
    if (ctx.tb.hasException)
        out << clip(exceptionText(ctx.tb), 4 * kMaxDetailLineChars);
    if (out.size() > kMaxDetailLines)
        out = out.mid(out.size() - kMaxDetailLines);
    return out.join(QLatin1Char('\n'));
}

QString logDetail(const Context& ctx, const QStringList& levels) {
    QStringList out;
    for (const RichLogEntry& e : ctx.log) {
        if (!levels.contains(e.level))
            continue;
        for (const QString& line : e.message.split(QLatin1Char('\n')))
            out << clip(e.level + QStringLiteral(" ") + line, kMaxDetailLineChars);
        if (out.size() >= kMaxDetailLines)
            break;
    }
    return out.mid(0, kMaxDetailLines).join(QLatin1Char('\n'));
}

bool manimFrameIn(const QList<Frame>& frames) {
    for (const Frame& f : frames) {
        const QString path = withoutSpaces(f.path);
        if (path.contains(QLatin1String("/manim/")) || path.startsWith(QLatin1String("manim/")))
            return true;
    }
    return false;
}

QString signalName(int signal) {
    switch (signal) {
    case 1:
        return QStringLiteral("SIGHUP");
    case 2:
        return QStringLiteral("SIGINT");
    case 4:
        return QStringLiteral("SIGILL");
    case 6:
        return QStringLiteral("SIGABRT");
    case 7:
        return QStringLiteral("SIGBUS");
    case 8:
        return QStringLiteral("SIGFPE");
    case 9:
        return QStringLiteral("SIGKILL");
    case 11:
        return QStringLiteral("SIGSEGV");
    case 13:
        return QStringLiteral("SIGPIPE");
    case 15:
        return QStringLiteral("SIGTERM");
    case 24:
        return QStringLiteral("SIGXCPU");
    default:
        return QString();
    }
}

// A native library that ran out of memory (under RLIMIT_AS: a failed mmap) says so on stderr.
bool mentionsMemoryExhaustion(const QString& text) {
    static const QRegularExpression memory(
        QStringLiteral("std::bad_alloc|Cannot allocate memory|out of memory|MemoryError|"
                       "\\[Errno 12\\]|pthread_create failed|failed to map segment from shared "
                       "object|Memory allocation still failed"),
        QRegularExpression::CaseInsensitiveOption);
    return memory.match(text).hasMatch();
}

QString memoryLimitHint() {
    return QStringLiteral("Use fewer or smaller objects, a lower quality or shorter animations "
                          "(check the script for huge lists or arrays); if the scene really "
                          "needs more, raise the limit with --memory-limit MB.");
}

ErrorReport killedReport(const ProcessOutcome& o) {
    ErrorReport r;
    r.category = ErrorCategory::Killed;
    const QString name = signalName(o.signal);
    const QString which =
        o.signal > 0 ? (name.isEmpty() ? QStringLiteral("signal %1").arg(o.signal)
                                       : QStringLiteral("signal %1 (%2)").arg(o.signal).arg(name))
                     : QStringLiteral("a signal");
    if (o.backend == RenderBackend::Sandbox) {
        if (o.signal == 24) { // SIGXCPU: RLIMIT_CPU's soft limit
            r.category = ErrorCategory::Timeout;
            r.message = QStringLiteral("The render used up its CPU time limit (%1 s of CPU) in "
                                       "the sandbox and was stopped with %2.")
                            .arg(o.cpuTimeLimitSec)
                            .arg(which);
            r.hint = QStringLiteral("An endless loop in the script has this effect; otherwise "
                                    "render at a lower quality or shorter.");
            r.detail = tailLines(o.stderrText);
            return r;
        }
        if (o.signal != 9 && mentionsMemoryExhaustion(o.stderrText)) {
            r.message = QStringLiteral("The render reached the sandbox's memory limit (%1 MiB) "
                                       "and crashed with %2.")
                            .arg(o.memoryLimitMb)
                            .arg(which);
            r.hint = memoryLimitHint();
            r.detail = tailLines(o.stderrText);
            return r;
        }
        if (o.signal == 9) {
            r.message = QStringLiteral("The render was killed by %1 in the sandbox: it went past "
                                       "its CPU time limit (%2 s) or the machine ran out of "
                                       "memory (the limit is %3 MiB per process).")
                            .arg(which)
                            .arg(o.cpuTimeLimitSec)
                            .arg(o.memoryLimitMb);
            r.hint = QStringLiteral("Check the script for endless loops and huge objects; render "
                                    "at a lower quality or shorter, then try again.");
            r.detail = tailLines(o.stderrText);
            return r;
        }
    }
    switch (o.signal) {
    case 9:
        r.message = QStringLiteral("The render was killed by %1, most likely by the system's "
                                   "out-of-memory killer or by another program.")
                        .arg(which);
        r.hint = QStringLiteral("Render at a lower quality or shorter, close other programs, or "
                                "reduce the number of objects; then try again.");
        break;
    case 11:
    case 7:
    case 4:
    case 6:
    case 8:
        r.message = QStringLiteral("The render process crashed with %1 inside Python or one of "
                                   "Manim's native libraries.")
                        .arg(which);
        r.hint = QStringLiteral("Try again; if it keeps crashing, check the Manim installation "
                                "(cairo, pango, PyAV) with `manim checkhealth`.");
        break;
    default:
        r.message = QStringLiteral("The render was stopped by %1.").arg(which);
        r.hint = QStringLiteral("Something outside Omega Studio ended the render; try again.");
        break;
    }
    r.detail = tailLines(o.stderrText);
    return r;
}

// Manim CE names for what LLMs and old tutorials write (ManimGL, pre-CE manim).
QString renameHint(const QString& name) {
    static const QList<QPair<QLatin1String, QLatin1String>> renames{
        {QLatin1String("ShowCreation"), QLatin1String("Create")},
        {QLatin1String("TextMobject"), QLatin1String("Text or Tex")},
        {QLatin1String("TexMobject"), QLatin1String("MathTex")},
        {QLatin1String("TexText"), QLatin1String("Tex")},
        {QLatin1String("GraphScene"), QLatin1String("a Scene with Axes and axes.plot()")},
        {QLatin1String("FadeInFrom"), QLatin1String("FadeIn(mobject, shift=…)")},
        {QLatin1String("FadeOutAndShift"), QLatin1String("FadeOut(mobject, shift=…)")},
        {QLatin1String("FadeInFromDown"), QLatin1String("FadeIn(mobject, shift=UP)")},
        {QLatin1String("ShowCreationThenDestruction"), QLatin1String("ShowPassingFlash")},
        {QLatin1String("ShowCreationThenFadeOut"), QLatin1String("Create then FadeOut")},
        {QLatin1String("DrawBorderThenFill"), QLatin1String("DrawBorderThenFill (check args)")},
        {QLatin1String("CONFIG"), QLatin1String("__init__ arguments")},
        {QLatin1String("get_graph"), QLatin1String("plot")},
        {QLatin1String("OldTex"), QLatin1String("Tex")},
        {QLatin1String("OldTexText"), QLatin1String("Tex")},
        {QLatin1String("InteractiveScene"), QLatin1String("Scene")},
    };
    for (const auto& [old, current] : renames) {
        if (name == old)
            return QStringLiteral(" In Manim Community Edition, '%1' is %2.").arg(name, current);
    }
    return QString();
}

// Module names whose pip package is named differently.
QString pipNameHint(const QString& module) {
    static const QList<QPair<QLatin1String, QLatin1String>> names{
        {QLatin1String("cv2"), QLatin1String("opencv-python")},
        {QLatin1String("PIL"), QLatin1String("Pillow")},
        {QLatin1String("sklearn"), QLatin1String("scikit-learn")},
        {QLatin1String("skimage"), QLatin1String("scikit-image")},
        {QLatin1String("yaml"), QLatin1String("PyYAML")},
        {QLatin1String("bs4"), QLatin1String("beautifulsoup4")},
        {QLatin1String("dateutil"), QLatin1String("python-dateutil")},
    };
    for (const auto& [mod, pip] : names) {
        if (module == mod)
            return QStringLiteral(" (its pip package is '%1')").arg(pip);
    }
    return QString();
}

ErrorReport environmentReport(const QString& message, const QString& hint) {
    ErrorReport r;
    r.category = ErrorCategory::Environment;
    r.message = message;
    r.hint = hint;
    return r;
}

bool isSharedLibraryError(const QString& text) {
    static const QRegularExpression library(QStringLiteral(
        "cannot open shared object file|cannot load library|DLL load failed|undefined symbol:|"
        "Library not loaded|image not found|no library called \"(?:cairo|pango)"));
    return library.match(text).hasMatch();
}

bool classifyLatex(const Context& ctx, ErrorReport* r) {
    const Traceback& tb = ctx.tb;
    QString firstError;
    QString missingFile;
    bool reported = false;
    static const QRegularExpression fileNotFound(
        QStringLiteral("File [`'‘]([^`'’\\s]+\\.(?:sty|cls|def|fd|cfg|tex))['’] not found"));
    static const QRegularExpression noPackage(
        QStringLiteral("You do not have package (\\S+?)\\.? installed"));
    for (const RichLogEntry& e : ctx.log) {
        const QString msg = e.message.simplified();
        if (msg.startsWith(QLatin1String("LaTeX compilation error:"))) {
            reported = true;
            if (firstError.isEmpty())
                firstError = msg.mid(int(qstrlen("LaTeX compilation error:"))).trimmed();
        }
        QRegularExpressionMatch m = fileNotFound.match(msg);
        if (missingFile.isEmpty() && m.hasMatch())
            missingFile = m.captured(1);
        m = noPackage.match(msg);
        if (missingFile.isEmpty() && m.hasMatch())
            missingFile = m.captured(1);
    }
    static const QRegularExpression converting(
        QStringLiteral("(\\w+) error converting to (dvi|xdv|pdf)"));
    const QRegularExpressionMatch conv = converting.match(tb.message);
    const bool raised = tb.hasException && conv.hasMatch();
    if (!reported && !raised) {
        // LaTeX ran without writing a log, or dvisvgm cannot read its output.
        if (tb.message.contains(QLatin1String("did not produce a log file"))) {
            *r = environmentReport(
                QStringLiteral("LaTeX failed without writing a log file: %1")
                    .arg(clip(tb.message, kMaxSentenceChars)),
                QStringLiteral("Check the LaTeX installation (`manim checkhealth`); Manim needs "
                               "latex and dvisvgm with the standalone, preview, amsmath and "
                               "amssymb packages."));
            r->missingName = QStringLiteral("latex");
            return true;
        }
        if (tb.message.contains(QLatin1String("does not support converting"))) {
            *r = environmentReport(
                QStringLiteral("dvisvgm could not convert LaTeX's output to SVG."),
                QStringLiteral("Install or update dvisvgm (2.4 or newer), then render again."));
            r->missingName = QStringLiteral("dvisvgm");
            return true;
        }
        return false;
    }
    if (firstError.isEmpty()) {
        // No "LaTeX compilation error:" record: TeX's own "! …" line, if it was printed.
        static const QRegularExpression texError(QStringLiteral("(?:^|\\n)! ([^\\n]+)"));
        const QRegularExpressionMatch m = texError.match(ctx.allText);
        if (m.hasMatch())
            firstError = m.captured(1).trimmed();
    }
    if (missingFile.isEmpty()) {
        // Manim's log may be missing (other verbosity): look in all the output.
        const QRegularExpressionMatch m = fileNotFound.match(ctx.allText.simplified());
        if (m.hasMatch())
            missingFile = m.captured(1);
    }
    const QString compiler = raised ? conv.captured(1) : QStringLiteral("latex");
    if (!missingFile.isEmpty()) {
        QString package = missingFile;
        package.remove(QRegularExpression(QStringLiteral("\\.(?:sty|cls|def|fd|cfg|tex)$")));
        *r = environmentReport(
            QStringLiteral("LaTeX cannot find the file '%1': the LaTeX package '%2' is not "
                           "installed.")
                .arg(missingFile, package),
            QStringLiteral("Install the TeX Live package that provides %1 (Debian/Ubuntu: "
                           "texlive-latex-extra or texlive-science; TeX Live: `tlmgr install "
                           "%2`), or remove it from the TeX template's preamble.")
                .arg(missingFile, package));
        r->missingName = package;
    } else {
        r->category = ErrorCategory::Latex;
        r->message =
            firstError.isEmpty()
                ? QStringLiteral("%1 could not compile a Tex/MathTex string.").arg(compiler)
                : QStringLiteral("%1 could not compile a Tex/MathTex string: %2")
                      .arg(compiler, clip(firstError, kMaxSentenceChars));
        r->hint = QStringLiteral("Fix the LaTeX in the Tex/MathTex call: check the command names, "
                                 "balance the braces, and use raw strings (r\"\\frac{1}{2}\").");
    }
    QStringList preface;
    for (const RichLogEntry& e : ctx.log) {
        if (e.level == QLatin1String("ERROR") ||
            e.message.startsWith(QLatin1String("You do not have package")))
            for (const QString& line : e.message.split(QLatin1Char('\n')))
                preface << line;
        if (preface.size() > 12)
            break;
    }
    r->detail = tracebackDetail(ctx, preface.mid(0, 12));
    return true;
}

ErrorReport classifyException(const Context& ctx) {
    const Traceback& tb = ctx.tb;
    const QString type = tb.type;
    const QString shortType = type.section(QLatin1Char('.'), -1);
    const int line = ctx.userFrames.isEmpty() ? 0 : ctx.userFrames.last().line;
    const bool inScript = !ctx.userFrames.isEmpty();
    ErrorReport r;

    if (shortType == QLatin1String("SyntaxError") ||
        shortType == QLatin1String("IndentationError") || shortType == QLatin1String("TabError")) {
        r.category = ErrorCategory::Syntax;
        r.message = QStringLiteral("Python cannot compile the script: %1%2.")
                        .arg(clip(exceptionText(tb), kMaxSentenceChars), atLine(line));
        r.hint = line > 0 ? QStringLiteral("Fix the syntax at line %1 (or just before it: an "
                                           "unclosed bracket is reported where Python noticed it).")
                                .arg(line)
                          : QStringLiteral("Fix the syntax error, then render again.");
        return r;
    }

    if (shortType == QLatin1String("ModuleNotFoundError")) {
        static const QRegularExpression noModule(QStringLiteral("No module named '([^']+)'"));
        const QRegularExpressionMatch m = noModule.match(tb.message);
        const QString module = m.hasMatch() ? m.captured(1) : QString();
        const QString top = module.section(QLatin1Char('.'), 0, 0);
        // "manim.x" from the script: a module Manim does not have. Plain "manim" missing means
        // the installation is broken (python -m manim got this far), like a dependency of
        // Manim missing from Manim's own import chain.
        if (top == QLatin1String("manim") && module != QLatin1String("manim") && inScript) {
            r.category = ErrorCategory::MissingManimName;
            r.missingName = module;
            r.message = QStringLiteral("The script imports '%1', which the installed Manim does "
                                       "not have%2.")
                            .arg(module, atLine(line));
            r.hint = QStringLiteral("Import from the top-level package instead (`from manim "
                                    "import *`) and use Manim Community Edition names; '%1' may "
                                    "come from ManimGL or an older version.")
                         .arg(module);
            return r;
        }
        if (!module.isEmpty() &&
            (top == QLatin1String("manim") || (!inScript && manimFrameIn(tb.frames)))) {
            r = environmentReport(
                QStringLiteral("Manim itself cannot be imported: the module '%1' is missing from "
                               "the render Python.")
                    .arg(module),
                QStringLiteral("Repair the render environment (reinstall Manim and its "
                               "dependencies in it: %1); this is not a problem in the script.")
                    .arg(paths::setupHint()));
            r.missingName = top;
            return r;
        }
        if (!module.isEmpty()) {
            r.category = ErrorCategory::MissingModule;
            r.missingName = top;
            r.message = QStringLiteral("The script imports the module '%1', which is not "
                                       "installed in the render Python%2.")
                            .arg(module, atLine(line));
            r.hint = QStringLiteral("Install the package that provides '%1'%2 into the render "
                                    "environment, or remove the import if the scene does not "
                                    "need it.")
                         .arg(top, pipNameHint(top));
            return r;
        }
    }

    if (shortType == QLatin1String("ImportError") || shortType == QLatin1String("OSError")) {
        if (isSharedLibraryError(tb.message)) {
            r = environmentReport(
                QStringLiteral("A native library could not be loaded: %1")
                    .arg(clip(tb.message, kMaxSentenceChars)),
                QStringLiteral("Install the missing system library (Manim needs cairo, pango "
                               "and ffmpeg's libraries) or reinstall the render environment."));
            return r;
        }
    }

    if (shortType == QLatin1String("ImportError")) {
        static const QRegularExpression cannotImport(
            QStringLiteral("cannot import name '([^']+)' from '([^']+)'"));
        const QRegularExpressionMatch m = cannotImport.match(tb.message);
        if (m.hasMatch() &&
            m.captured(2).section(QLatin1Char('.'), 0, 0) == QLatin1String("manim")) {
            r.category = ErrorCategory::MissingManimName;
            r.missingName = m.captured(1);
            r.message = QStringLiteral("The script imports '%1' from %2, but the installed Manim "
                                       "has no such name%3.")
                            .arg(m.captured(1), m.captured(2), atLine(line));
            r.hint = QStringLiteral("Use the Manim Community Edition name instead.%1")
                         .arg(renameHint(m.captured(1)));
            return r;
        }
        if (!inScript && manimFrameIn(tb.frames)) {
            r = environmentReport(
                QStringLiteral("Manim itself cannot be imported: %1")
                    .arg(clip(exceptionText(tb), kMaxSentenceChars)),
                QStringLiteral("Repair the render environment (reinstall Manim and its "
                               "dependencies); this is not a problem in the script."));
            return r;
        }
        r.category = ErrorCategory::CodeError;
        if (m.hasMatch())
            r.missingName = m.captured(1);
        r.message = QStringLiteral("The script raised %1%2.")
                        .arg(clip(exceptionText(tb), kMaxSentenceChars), atLine(line));
        r.hint = m.hasMatch()
                     ? QStringLiteral("The installed version of '%1' has no '%2': use a name it "
                                      "has, or a different version of the package.")
                           .arg(m.captured(2), m.captured(1))
                     : QStringLiteral("Fix the import, then render again.");
        return r;
    }

    if (shortType == QLatin1String("NameError")) {
        static const QRegularExpression notDefined(
            QStringLiteral("name '([^']+)' is not defined(?:\\. Did you mean: '([^']+)'\\?)?"));
        const QRegularExpressionMatch m = notDefined.match(tb.message);
        if (m.hasMatch()) {
            r.category = ErrorCategory::MissingManimName;
            r.missingName = m.captured(1);
            r.message = QStringLiteral("The script uses the name '%1', which is not defined: "
                                       "neither the installed Manim nor the script has it%2.")
                            .arg(m.captured(1), atLine(line));
            QString hint = QStringLiteral("Replace '%1' with a name Manim Community Edition has, "
                                          "or define/import it.")
                               .arg(m.captured(1));
            if (!m.captured(2).isEmpty())
                hint += QStringLiteral(" Python suggests '%1'.").arg(m.captured(2));
            r.hint = hint + renameHint(m.captured(1));
            return r;
        }
    }

    if (shortType == QLatin1String("FileNotFoundError")) {
        static const QRegularExpression program(QStringLiteral(
            "No such file or directory: '((?:pdf|xe|lua)?latex|dvisvgm|ffmpeg|ffprobe)'"));
        const QRegularExpressionMatch m = program.match(tb.message);
        if (m.hasMatch()) {
            const QString prog = m.captured(1);
            const bool tex =
                prog.contains(QLatin1String("latex")) || prog == QLatin1String("dvisvgm");
            r = environmentReport(
                QStringLiteral("The program '%1' is not installed (or not on PATH), so Manim "
                               "could not %2.")
                    .arg(prog, tex ? QStringLiteral("typeset Tex/MathTex")
                                   : QStringLiteral("encode the video")),
                tex ? QStringLiteral("Install a LaTeX distribution with dvisvgm (Debian/Ubuntu: "
                                     "texlive-latex-extra, texlive-fonts-recommended, dvisvgm), "
                                     "or use Text instead of Tex/MathTex.")
                    : QStringLiteral("Install %1 and make sure it is on PATH.").arg(prog));
            r.missingName = prog;
            return r;
        }
    }

    if (shortType.endsWith(QLatin1String("MemoryError"))) { // numpy: _ArrayMemoryError
        r.category = ErrorCategory::Killed;
        r.message = QStringLiteral("The render ran out of memory (MemoryError%1).")
                        .arg(line > 0 ? QStringLiteral(" at line %1").arg(line) : QString());
        r.hint = QStringLiteral("Use fewer or simpler objects, a lower quality, or shorter "
                                "animations; check the script for huge lists or arrays.");
        return r;
    }

    if (shortType == QLatin1String("AttributeError")) {
        r.category = ErrorCategory::CodeError;
        static const QRegularExpression moduleAttribute(
            QStringLiteral("module '(manim[\\w.]*)' has no attribute '([^']+)'"));
        static const QRegularExpression attribute(QStringLiteral("has no attribute '([^']+)'"));
        QRegularExpressionMatch m = moduleAttribute.match(tb.message);
        if (m.hasMatch()) {
            r.category = ErrorCategory::MissingManimName;
            r.missingName = m.captured(2);
            r.message = QStringLiteral("The script uses %1.%2, which the installed Manim does not "
                                       "have%3.")
                            .arg(m.captured(1), m.captured(2), atLine(line));
            r.hint = QStringLiteral("Use the Manim Community Edition name instead.%1")
                         .arg(renameHint(m.captured(2)));
            return r;
        }
        m = attribute.match(tb.message);
        if (m.hasMatch())
            r.missingName = m.captured(1);
        r.message = QStringLiteral("The script raised %1%2.")
                        .arg(clip(exceptionText(tb), kMaxSentenceChars), atLine(line));
        if (tb.message.contains(QLatin1String("'Camera' object has no attribute 'frame'")))
            r.hint = QStringLiteral("self.camera.frame exists only in a MovingCameraScene: derive "
                                    "the scene from MovingCameraScene, or drop the camera move.");
        else
            r.hint = QStringLiteral("The object has no such method or attribute in Manim "
                                    "Community Edition: check the name and the object's type "
                                    "at the reported line.");
        return r;
    }

    if (shortType == QLatin1String("RecursionError")) {
        r.category = ErrorCategory::CodeError;
        r.message = QStringLiteral("The script recursed without end (%1)%2.")
                        .arg(clip(exceptionText(tb), kMaxSentenceChars), atLine(line));
        r.hint = QStringLiteral("Give the recursive function a base case, or make it a loop.");
        return r;
    }

    r.category = ErrorCategory::CodeError;
    r.message = QStringLiteral("The script raised %1%2.")
                    .arg(clip(exceptionText(tb), kMaxSentenceChars), atLine(line));
    r.hint = line > 0 ? QStringLiteral("Fix the code around line %1 of the script.").arg(line)
                      : QStringLiteral("Fix the code that raised this exception.");
    return r;
}

// Failures the sandbox caused, from the script's exception: its limits, its missing network,
// its read-only and hidden folders. False when the exception is the script's own business.
bool classifySandboxed(const Context& ctx, ErrorReport* r) {
    const ProcessOutcome& o = ctx.outcome;
    const Traceback& tb = ctx.tb;
    const QString shortType = tb.type.section(QLatin1Char('.'), -1);
    const QString text = clip(exceptionText(tb), kMaxSentenceChars);
    const int line = ctx.userFrames.isEmpty() ? 0 : ctx.userFrames.last().line;

    // Python's MemoryError, or a library that could not be mapped (an import under the limit).
    if (shortType.endsWith(QLatin1String("MemoryError")) ||
        ((shortType.endsWith(QLatin1String("Error"))) && mentionsMemoryExhaustion(tb.message))) {
        r->category = ErrorCategory::Killed;
        r->message = QStringLiteral("The render reached the sandbox's memory limit (%1 MiB): %2%3.")
                         .arg(o.memoryLimitMb)
                         .arg(text, atLine(line));
        r->hint = memoryLimitHint();
        return true;
    }

    static const QRegularExpression tooManyTasks(
        QStringLiteral("\\[Errno 11\\]|Resource temporarily unavailable|can't start new thread"));
    if ((shortType == QLatin1String("BlockingIOError") || shortType == QLatin1String("OSError") ||
         shortType == QLatin1String("RuntimeError")) &&
        tooManyTasks.match(tb.message).hasMatch()) {
        r->category = ErrorCategory::Sandbox;
        r->message = QStringLiteral("The script started more processes or threads than the "
                                    "sandbox allows (%1): %2%3.")
                         .arg(o.maxProcesses)
                         .arg(text, atLine(line));
        r->hint = QStringLiteral("A scene needs no processes of its own: remove the fork, "
                                 "subprocess or thread calls from the script.");
        return true;
    }

    static const QRegularExpression networkType(
        QStringLiteral("^(Connection\\w*Error|gaierror|herror|URLError|NewConnectionError|"
                       "MaxRetryError|ConnectError|ConnectTimeout|RemoteDisconnected)$"));
    static const QRegularExpression networkMessage(
        QStringLiteral("Network is unreachable|Temporary failure in name resolution|Name or "
                       "service not known|No address associated with hostname|Connection "
                       "refused|Failed to resolve|getaddrinfo failed|\\[Errno (?:99|101|111)\\]|"
                       "\\[Errno -[235]\\]"));
    if (networkType.match(shortType).hasMatch() || networkMessage.match(tb.message).hasMatch()) {
        r->category = ErrorCategory::Sandbox;
        r->message = QStringLiteral("The script tried to use the network, and renders in the "
                                    "sandbox have none: %1%2.")
                         .arg(text, atLine(line));
        r->hint = QStringLiteral("Put the data the scene needs into the script itself. If you "
                                 "trust the script and it must download something, render it "
                                 "with --backend local.");
        return true;
    }

    if (tb.message.contains(QLatin1String("[Errno 30]")) ||
        tb.message.contains(QLatin1String("Read-only file system"))) {
        r->category = ErrorCategory::Sandbox;
        r->message = QStringLiteral("The script tried to write outside its job folder, which the "
                                    "sandbox does not allow: %1%2.")
                         .arg(text, atLine(line));
        r->hint = QStringLiteral("Write files into the working folder (relative paths) or "
                                 "Manim's media folder: the only writable places in the "
                                 "sandbox.");
        return true;
    }

    if (shortType == QLatin1String("PermissionError")) {
        r->category = ErrorCategory::Sandbox;
        r->message =
            QStringLiteral("The sandbox denied the script access: %1%2.").arg(text, atLine(line));
        r->hint = QStringLiteral("Renders in the sandbox see the system read-only, their job "
                                 "folder and Manim's media folder; not your home folder, nor "
                                 "other users' files.");
        return true;
    }

    static const QRegularExpression quotedPath(QStringLiteral("'(/[^']*)'"));
    if (shortType == QLatin1String("FileNotFoundError") ||
        shortType == QLatin1String("NotADirectoryError")) {
        const QString path = quotedPath.match(tb.message).captured(1);
        for (const QString& hidden : o.hiddenPaths) {
            if (!path.isEmpty() && (path == hidden || path.startsWith(hidden + QLatin1Char('/')))) {
                r->category = ErrorCategory::Sandbox;
                r->message = QStringLiteral("The script tried to open %1, which the sandbox "
                                            "hides (the home folders and /run are not visible "
                                            "to renders)%2.")
                                 .arg(path, atLine(line));
                r->hint = QStringLiteral("Put what the scene needs into the script; if you "
                                         "trust the script, render it with --backend local.");
                r->missingName = path;
                return true;
            }
        }
    }
    return false;
}

} // namespace

int scriptLineFromTraceback(const QString& text, const QString& scriptPath) {
    const Traceback tb = parseTraceback(text);
    for (qsizetype i = tb.frames.size() - 1; i >= 0; --i) {
        if (samePath(tb.frames.at(i).path, scriptPath))
            return tb.frames.at(i).line;
    }
    return 0;
}

ErrorReport classifyRenderFailure(const ProcessOutcome& outcome) {
    ErrorReport r;
    if (outcome.timedOut) {
        r.category = ErrorCategory::Timeout;
        r.message = QStringLiteral("The render ran longer than the time allowed and was stopped.");
        r.hint = QStringLiteral("Render at a lower quality, shorten the animations, or raise the "
                                "time limit; an endless loop in the script has the same effect.");
        return r;
    }
    if (outcome.cancelled) {
        r.category = ErrorCategory::Cancelled;
        r.message = QStringLiteral("The render was cancelled.");
        r.hint = QStringLiteral("Start it again when you are ready.");
        return r;
    }
    if (outcome.crashed)
        return killedReport(outcome);

    Context ctx{outcome, {}, {}, {}, {}};
    ctx.tb = parseTraceback(outcome.stderrText);
    if (!ctx.tb.hasException && ctx.tb.frames.isEmpty()) {
        const Traceback fromStdout = parseTraceback(outcome.stdoutText);
        if (fromStdout.hasException && !fromStdout.frames.isEmpty())
            ctx.tb = fromStdout;
    }
    for (const Frame& f : ctx.tb.frames) {
        if (samePath(f.path, outcome.scriptPathInJob))
            ctx.userFrames.append(f);
    }
    ctx.log = parseRichLog(outcome.stdoutText);
    ctx.allText = outcome.stdoutText + QLatin1Char('\n') + outcome.stderrText;
    const int line = ctx.userFrames.isEmpty() ? 0 : ctx.userFrames.last().line;

    const auto finish = [&](ErrorReport report) {
        if (report.scriptLine == 0)
            report.scriptLine = line;
        if (report.detail.isEmpty())
            report.detail = tracebackDetail(ctx);
        return report;
    };

    // `python -m manim` with a Python that has no Manim: "python3: No module named manim".
    static const QRegularExpression noManim(QStringLiteral(
        "(?:^|\\n)[^\\n]*: No module named manim\\s*(?:$|\\n)|Error while finding module "
        "specification for 'manim"));
    if (!ctx.tb.hasException && noManim.match(outcome.stderrText).hasMatch()) {
        r = environmentReport(
            QStringLiteral("The render Python has no Manim installed (\"No module named manim\")."),
            QStringLiteral("Install Manim Community Edition into the render environment (%1) "
                           "or choose the Python that has it in Settings.")
                .arg(paths::setupHint()));
        r.missingName = QStringLiteral("manim");
        r.detail = tailLines(outcome.stderrText, 5);
        return r;
    }

    // Disk full, whatever raised it.
    static const QRegularExpression diskFull(
        QStringLiteral("No space left on device|\\[Errno 28\\]|errno 28\\b"));
    if (diskFull.match(ctx.allText).hasMatch()) {
        r = environmentReport(
            QStringLiteral("The disk is full: Manim could not write its files (No space left on "
                           "device)."),
            QStringLiteral("Free some disk space (the media and cache folders can be cleared), "
                           "then render again."));
        return finish(r);
    }

    if (classifyLatex(ctx, &r))
        return finish(r);

    if (ctx.tb.hasException) {
        if (outcome.backend == RenderBackend::Sandbox && classifySandboxed(ctx, &r))
            return finish(r);
        return finish(classifyException(ctx));
    }

    // Killed by a signal but reported as an exit code 128+N (a shell or `docker run` in
    // between): 137 is SIGKILL, the out-of-memory killer's signal.
    if (outcome.exitCode > 128 && outcome.exitCode < 160) {
        ProcessOutcome killed = outcome;
        killed.signal = outcome.exitCode - 128;
        return finish(killedReport(killed));
    }

    // No exception: manim's own complaints, logged on stdout with exit code 0 (or 2 for Click).
    for (const RichLogEntry& e : ctx.log) {
        const QString msg = e.message.simplified();
        if (msg.contains(QLatin1String("There are no scenes inside that module"))) {
            r.category = ErrorCategory::NoScene;
            r.message = QStringLiteral("The script defines no Scene subclass, so Manim had "
                                       "nothing to render.");
            r.hint = QStringLiteral("Define a class deriving from Scene (or MovingCameraScene, "
                                    "ThreeDScene…) with a construct() method.");
            r.detail = msg;
            return finish(r);
        }
    }
    static const QRegularExpression noSceneAnywhere(
        QStringLiteral("There\\s+are\\s+no\\s+scenes\\s+inside\\s+that\\s+module"));
    if (noSceneAnywhere.match(ctx.allText).hasMatch()) {
        r.category = ErrorCategory::NoScene;
        r.message = QStringLiteral("The script defines no Scene subclass, so Manim had nothing "
                                   "to render.");
        r.hint = QStringLiteral("Define a class deriving from Scene with a construct() method.");
        return finish(r);
    }
    static const QRegularExpression notInScript(QStringLiteral("(\\S+) is not in the script"));
    for (const RichLogEntry& e : ctx.log) {
        const QRegularExpressionMatch m = notInScript.match(e.message.simplified());
        if (m.hasMatch()) {
            r.category = ErrorCategory::Usage;
            r.missingName = m.captured(1);
            r.message = QStringLiteral("The scene '%1' is not in the script.").arg(m.captured(1));
            r.hint = QStringLiteral("Choose one of the scenes the script defines (the class names "
                                    "deriving from Scene).");
            r.detail = logDetail(ctx, {QStringLiteral("ERROR")});
            return finish(r);
        }
    }
    if (outcome.stdoutText.contains(QLatin1String("Choose number corresponding to desired"))) {
        r.category = ErrorCategory::Usage;
        r.message = QStringLiteral("Manim asked which scene to render: the scene name given does "
                                   "not match any scene in the script.");
        r.hint = QStringLiteral("Pass the exact name of a Scene class defined in the script.");
        r.detail = logDetail(ctx, {QStringLiteral("ERROR")});
        return finish(r);
    }
    static const QRegularExpression clickError(QStringLiteral("(?:^|\\n)Error: ([^\\n]+)"));
    const QRegularExpressionMatch click = clickError.match(ctx.allText);
    if (click.hasMatch() &&
        (outcome.exitCode == 2 || ctx.allText.contains(QLatin1String("Usage: ")))) {
        r.category = ErrorCategory::Usage;
        r.message = QStringLiteral("Manim rejected its command line: %1")
                        .arg(clip(click.captured(1).trimmed(), kMaxSentenceChars));
        r.hint = QStringLiteral("Check the render options (quality, format, resolution, frame "
                                "rate); the option named is not accepted by this Manim "
                                "version.");
        r.detail = tailLines(ctx.allText, 8);
        return finish(r);
    }
    QStringList errors;
    for (const RichLogEntry& e : ctx.log) {
        if (e.level == QLatin1String("ERROR") || e.level == QLatin1String("CRITICAL"))
            errors << e.message.simplified();
    }
    static const QRegularExpression invalidOption(
        QStringLiteral("\\b(?:option|argument)\\b.*\\binvalid\\b|\\binvalid\\b.*\\b(?:option|"
                       "argument|resolution|range)\\b"),
        QRegularExpression::CaseInsensitiveOption);
    for (const QString& error : errors) {
        if (invalidOption.match(error).hasMatch()) {
            r.category = ErrorCategory::Usage;
            r.message = QStringLiteral("Manim rejected a render option: %1")
                            .arg(clip(error, kMaxSentenceChars));
            r.hint = QStringLiteral("Check the render options (resolution as W,H, animation "
                                    "range as A,B) and render again.");
            r.detail = logDetail(ctx, {QStringLiteral("ERROR"), QStringLiteral("CRITICAL")});
            return finish(r);
        }
    }

    if (outcome.exitCode != 0) {
        const QStringList errLines = splitLines(rtrimmed(outcome.stderrText));
        QString last;
        for (qsizetype i = errLines.size() - 1; i >= 0 && last.isEmpty(); --i)
            last = errLines.at(i).trimmed();
        if (!errors.isEmpty() && last.isEmpty())
            last = errors.first();
        // No Python exception at all: the interpreter or Manim's launcher failed, or the script
        // called sys.exit(). Neither is worth sending to the AI without a traceback.
        // A native library out of memory under the sandbox's limit (OpenBLAS: "Memory
        // allocation still failed") ends the process without a Python exception.
        if (outcome.backend == RenderBackend::Sandbox && mentionsMemoryExhaustion(ctx.allText)) {
            r.category = ErrorCategory::Killed;
            r.message = QStringLiteral("The render reached the sandbox's memory limit (%1 MiB): %2")
                            .arg(outcome.memoryLimitMb)
                            .arg(clip(last, kMaxSentenceChars));
            r.hint = memoryLimitHint();
            r.detail = tailLines(ctx.allText);
            return finish(r);
        }
        // bwrap (and the tools it starts) failing to set up the sandbox: nothing ran.
        if (last.startsWith(QLatin1String("bwrap: ")) ||
            last.startsWith(QLatin1String("setpriv: ")) ||
            last.startsWith(QLatin1String("prlimit: "))) {
            r = environmentReport(
                QStringLiteral("The sandbox could not start the render: %1")
                    .arg(clip(last, kMaxSentenceChars)),
                QStringLiteral("Run `omega doctor`: its sandbox check shows what is missing. "
                               "Or render with --backend local if you trust the script."));
            r.detail = tailLines(ctx.allText, 8);
            return finish(r);
        }
        const bool interpreter = last.contains(QLatin1String("can't open file")) ||
                                 last.contains(QLatin1String("No module named"));
        r.category = interpreter ? ErrorCategory::Environment : ErrorCategory::CodeError;
        r.message = last.isEmpty()
                        ? QStringLiteral("Manim exited with code %1 without reporting an error.")
                              .arg(outcome.exitCode)
                        : QStringLiteral("Manim exited with code %1: %2")
                              .arg(outcome.exitCode)
                              .arg(clip(last, kMaxSentenceChars));
        r.hint = interpreter ? QStringLiteral("Check the render Python and its Manim "
                                              "installation (%1).")
                                   .arg(paths::setupHint())
                             : QStringLiteral("Check the render log; if the script calls "
                                              "sys.exit() or exit(), remove that call.");
        r.detail = tailLines(ctx.allText);
        return finish(r);
    }

    if (outcome.outputMissing) {
        r.category = ErrorCategory::NoOutput;
        r.message = errors.isEmpty()
                        ? QStringLiteral("Manim finished without error but wrote no output file.")
                        : QStringLiteral("Manim finished but wrote no output file; it logged: %1")
                              .arg(clip(errors.first(), kMaxSentenceChars));
        r.hint = QStringLiteral("Make sure the scene plays at least one animation or adds "
                                "something to the screen, and that the scene name is right.");
        r.detail = errors.isEmpty() ? tailLines(outcome.stdoutText)
                                    : logDetail(ctx, {QStringLiteral("ERROR")});
        return finish(r);
    }
    return r; // a success: category None
}

} // namespace omega
