#include "CodeExtractor.h"

#include <QHash>
#include <QList>
#include <QSet>
#include <QStringView>

#include <algorithm>

namespace omega {

namespace {

// Longest run of lines a class header's bases may span.
constexpr int kMaxBaseLines = 20;

bool isBlank(QStringView line) {
    return line.trimmed().isEmpty();
}

bool isSpace(QChar c) {
    return c == u' ' || c == u'\t';
}

int leadingWhitespace(QStringView line) {
    int i = 0;
    while (i < line.size() && isSpace(line.at(i)))
        ++i;
    return i;
}

bool isIdentifierChar(QChar c) {
    return c == u'_' || c.isLetterOrNumber();
}

struct Fence {
    QChar ch;
    int length = 0;
    int indent = 0;
    QString info;
};

bool parseOpeningFence(QStringView line, Fence* fence) {
    const int indent = leadingWhitespace(line);
    if (indent >= line.size())
        return false;
    const QChar ch = line.at(indent);
    if (ch != u'`' && ch != u'~')
        return false;
    int end = indent;
    while (end < line.size() && line.at(end) == ch)
        ++end;
    if (end - indent < 3)
        return false;
    const QStringView info = line.mid(end).trimmed();
    if (ch == u'`' && info.contains(u'`'))
        return false; // inline code such as ```x```, not a fence
    fence->ch = ch;
    fence->length = end - indent;
    fence->indent = indent;
    fence->info = info.toString();
    return true;
}

bool isClosingFence(QStringView line, const Fence& open) {
    const int indent = leadingWhitespace(line);
    if (indent > open.indent + 3)
        return false;
    int end = indent;
    while (end < line.size() && line.at(end) == open.ch)
        ++end;
    return end - indent >= open.length && isBlank(line.mid(end));
}

// First word of the info string, lower case, without Pandoc's "{." decoration.
QString languageOf(const QString& info) {
    QString word = info.section(u' ', 0, 0, QString::SectionSkipEmpty).toLower();
    while (word.startsWith(u'{') || word.startsWith(u'.'))
        word.remove(0, 1);
    if (word.endsWith(u'}'))
        word.chop(1);
    return word;
}

bool isPythonLanguage(const QString& language) {
    return language == QLatin1String("python") || language == QLatin1String("py") ||
           language == QLatin1String("python3") || language == QLatin1String("py3") ||
           language == QLatin1String("ipython");
}

// Python's triple-quoted strings, tracked line by line, so that a ``` inside a docstring does
// not end the block.
enum class StringState { None, TripleDouble, TripleSingle };

void scanPythonLine(QStringView line, StringState* state) {
    const int n = int(line.size());
    int i = 0;
    while (i < n) {
        if (*state != StringState::None) {
            const QChar quote = *state == StringState::TripleDouble ? QChar(u'"') : QChar(u'\'');
            while (i < n) {
                if (line.at(i) == u'\\') {
                    i += 2;
                    continue;
                }
                if (i + 2 < n && line.at(i) == quote && line.at(i + 1) == quote &&
                    line.at(i + 2) == quote) {
                    i += 3;
                    *state = StringState::None;
                    break;
                }
                ++i;
            }
            continue;
        }
        const QChar c = line.at(i);
        if (c == u'#')
            return;
        if (c == u'"' || c == u'\'') {
            if (i + 2 < n && line.at(i + 1) == c && line.at(i + 2) == c) {
                *state = c == u'"' ? StringState::TripleDouble : StringState::TripleSingle;
                i += 3;
                continue;
            }
            ++i; // a one-line string: skip to its end (or the line's)
            while (i < n && line.at(i) != c) {
                if (line.at(i) == u'\\')
                    ++i;
                ++i;
            }
            ++i;
            continue;
        }
        ++i;
    }
}

// Index of the line closing the fence opened at `open`, or -1.
int findClosingFence(const QStringList& lines, int open, const Fence& fence, bool python) {
    if (python) {
        StringState state = StringState::None;
        for (int i = open + 1; i < lines.size(); ++i) {
            if (state == StringState::None && isClosingFence(lines.at(i), fence))
                return i;
            scanPythonLine(lines.at(i), &state);
        }
    }
    for (int i = open + 1; i < lines.size(); ++i) {
        if (isClosingFence(lines.at(i), fence))
            return i;
    }
    return -1;
}

bool startsWithWord(QStringView text, QLatin1String word) {
    return text.startsWith(word) && (text.size() == word.size() || isSpace(text.at(word.size())));
}

// A line that starts a Python module's code (column 0).
bool isPythonStart(QStringView line) {
    if (startsWithWord(line, QLatin1String("import")) ||
        startsWithWord(line, QLatin1String("class")) ||
        startsWithWord(line, QLatin1String("def")) || line.startsWith(u'@') ||
        line.startsWith(QLatin1String("#!")))
        return true;
    return startsWithWord(line, QLatin1String("from")) && line.contains(QLatin1String(" import"));
}

bool looksLikePython(const QStringList& lines) {
    return std::any_of(lines.cbegin(), lines.cend(), [](const QString& line) {
        return isPythonStart(QStringView(line).mid(leadingWhitespace(line)));
    });
}

const QLatin1String kPythonKeywords[] = {
    QLatin1String("and"),    QLatin1String("as"),     QLatin1String("assert"),
    QLatin1String("async"),  QLatin1String("await"),  QLatin1String("class"),
    QLatin1String("def"),    QLatin1String("del"),    QLatin1String("elif"),
    QLatin1String("else"),   QLatin1String("except"), QLatin1String("finally"),
    QLatin1String("for"),    QLatin1String("from"),   QLatin1String("global"),
    QLatin1String("if"),     QLatin1String("import"), QLatin1String("lambda"),
    QLatin1String("not"),    QLatin1String("pass"),   QLatin1String("raise"),
    QLatin1String("return"), QLatin1String("try"),    QLatin1String("while"),
    QLatin1String("with"),   QLatin1String("yield"),  QLatin1String("print"),
};

// A column-0 line after the code that reads as prose: "This draws a circle.", "Run it with:",
// "- `Create` animates…", "> Note", "1. Save the file".
bool looksLikeProse(QStringView line) {
    if (line.isEmpty() || isSpace(line.at(0)))
        return false;
    if (line.startsWith(QLatin1String("- ")) || line.startsWith(QLatin1String("* ")) ||
        line.startsWith(QLatin1String("> ")) || line.startsWith(QLatin1String("**")))
        return true;
    int digits = 0;
    while (digits < line.size() && line.at(digits).isDigit())
        ++digits;
    if (digits > 0 && line.mid(digits).startsWith(QLatin1String(". ")))
        return true;
    if (!line.at(0).isLetter())
        return false;
    int wordEnd = 0;
    while (wordEnd < line.size() && isIdentifierChar(line.at(wordEnd)))
        ++wordEnd;
    const QStringView first = line.left(wordEnd);
    for (const QLatin1String keyword : kPythonKeywords) {
        if (first == keyword)
            return false;
    }
    if (line.contains(u'='))
        return false;
    const QStringView trimmed = line.trimmed();
    if (trimmed.isEmpty())
        return false;
    if (trimmed.endsWith(u')') || trimmed.endsWith(u',') || trimmed.endsWith(u'(') ||
        trimmed.endsWith(u'[') || trimmed.endsWith(u']') || trimmed.endsWith(u'{') ||
        trimmed.endsWith(u'}') || trimmed.endsWith(u'\\'))
        return false;
    const QChar last = trimmed.at(trimmed.size() - 1);
    return trimmed.contains(u' ') || last == u'.' || last == u'!' || last == u'?' || last == u':';
}

bool addBases(const QString& inside, QStringList* bases) {
    for (const QString& base : inside.split(u',')) {
        if (base.contains(u'='))
            continue; // metaclass=…
        const QString simple = base.trimmed().section(u'.', -1).trimmed();
        if (!simple.isEmpty())
            bases->append(simple);
    }
    return true;
}

// Parses `class Name(Bases):` starting at lines[index] (column 0). Bases' last dotted parts.
bool parseClassHeader(const QStringList& lines, int index, QString* name, QStringList* bases) {
    const QStringView first = lines.at(index);
    if (!startsWithWord(first, QLatin1String("class")))
        return false;
    int i = 5;
    while (i < first.size() && isSpace(first.at(i)))
        ++i;
    const int nameStart = i;
    while (i < first.size() && isIdentifierChar(first.at(i)))
        ++i;
    if (i == nameStart || first.at(nameStart).isDigit())
        return false;
    *name = first.mid(nameStart, i - nameStart).toString();
    while (i < first.size() && isSpace(first.at(i)))
        ++i;
    if (i >= first.size() || first.at(i) != u'(')
        return true; // `class Name:`: no bases
    // Collect the text between the parentheses, across lines if needed.
    QString inside;
    int depth = 0;
    int line = index;
    int pos = i;
    while (line < lines.size() && line < index + kMaxBaseLines) {
        const QStringView text = lines.at(line);
        for (; pos < text.size(); ++pos) {
            const QChar c = text.at(pos);
            if (c == u'(' || c == u'[') {
                if (++depth == 1)
                    continue; // the class's own parenthesis
                inside += u' ';
            } else if (c == u')' || c == u']') {
                if (--depth == 0)
                    return addBases(inside, bases);
                inside += u' ';
            } else {
                // Only top-level text names a base: not a call's arguments or a subscript.
                inside += depth == 1 ? c : QChar(u' ');
            }
        }
        inside += u' ';
        ++line;
        pos = 0;
    }
    return true; // unbalanced: a class, but no usable bases
}

QStringList sceneNamesIn(const QStringList& lines) {
    struct ClassDef {
        QString name;
        QStringList bases;
    };
    QList<ClassDef> classes;
    for (int i = 0; i < lines.size(); ++i) {
        ClassDef def;
        if (lines.at(i).startsWith(QLatin1String("class")) &&
            parseClassHeader(lines, i, &def.name, &def.bases))
            classes.append(def);
    }
    // Breadth-first from the classes whose base names a Scene type, through the classes
    // deriving from them (iterative: a long chain must not overflow the stack).
    QHash<QString, QList<int>> childrenOf;
    QList<int> queue;
    QList<bool> isScene(classes.size(), false);
    for (int c = 0; c < classes.size(); ++c) {
        for (const QString& base : classes.at(c).bases) {
            childrenOf[base].append(c);
            if (!isScene.at(c) &&
                (base.endsWith(QLatin1String("Scene")) || base.endsWith(QLatin1String("Slide")))) {
                isScene[c] = true;
                queue.append(c);
            }
        }
    }
    QSet<QString> expanded;
    for (int q = 0; q < queue.size(); ++q) {
        const QString& name = classes.at(queue.at(q)).name;
        if (expanded.contains(name))
            continue;
        expanded.insert(name);
        for (int child : childrenOf.value(name)) {
            if (!isScene.at(child)) {
                isScene[child] = true;
                queue.append(child);
            }
        }
    }
    QStringList names;
    QSet<QString> seen;
    for (int c = 0; c < classes.size(); ++c) {
        if (isScene.at(c) && !seen.contains(classes.at(c).name)) {
            seen.insert(classes.at(c).name);
            names.append(classes.at(c).name);
        }
    }
    return names;
}

// Removes the whitespace prefix common to all non-blank lines and blank lines at both ends.
QStringList tidy(QStringList lines) {
    while (!lines.isEmpty() && isBlank(lines.first()))
        lines.removeFirst();
    while (!lines.isEmpty() && isBlank(lines.last()))
        lines.removeLast();
    QString common;
    bool first = true;
    for (const QString& line : lines) {
        if (isBlank(line))
            continue;
        const QStringView indent = QStringView(line).left(leadingWhitespace(line));
        if (first) {
            common = indent.toString();
            first = false;
        } else {
            int k = 0;
            while (k < common.size() && k < indent.size() && common.at(k) == indent.at(k))
                ++k;
            common.truncate(k);
        }
        if (common.isEmpty())
            break;
    }
    if (!common.isEmpty()) {
        for (QString& line : lines) {
            if (line.startsWith(common))
                line.remove(0, common.size());
            else if (isBlank(line))
                line.clear();
        }
    }
    return lines;
}

QString joinCode(const QStringList& lines) {
    return lines.join(u'\n') + u'\n';
}

struct Block {
    QStringList lines; // tidied
    QStringList scenes;
    qsizetype length = 0;
};

} // namespace

ExtractedCode extractManimCode(const QString& answer) {
    QString text = answer;
    text.replace(QLatin1String("\r\n"), QLatin1String("\n"));
    text.replace(u'\r', u'\n');
    const QStringList lines = text.split(u'\n');

    QList<Block> python;
    QStringList outside; // lines that are not in any fenced block
    for (int i = 0; i < lines.size();) {
        Fence fence;
        if (!parseOpeningFence(lines.at(i), &fence)) {
            outside.append(lines.at(i));
            ++i;
            continue;
        }
        const QString language = languageOf(fence.info);
        const bool maybePython = language.isEmpty() || isPythonLanguage(language);
        int close = findClosingFence(lines, i, fence, maybePython);
        if (close < 0)
            close = int(lines.size());
        if (maybePython) {
            QStringList content;
            for (int k = i + 1; k < close; ++k) {
                const QString& line = lines.at(k);
                content.append(line.mid(std::min(fence.indent, leadingWhitespace(line))));
            }
            Block block;
            block.lines = tidy(content);
            if (!block.lines.isEmpty() && (!language.isEmpty() || looksLikePython(block.lines))) {
                block.scenes = sceneNamesIn(block.lines);
                for (const QString& line : block.lines)
                    block.length += line.size() + 1;
                python.append(block);
            }
        }
        i = close + 1;
    }

    ExtractedCode result;
    result.candidates = int(python.size());

    const auto longest = [&python](bool withScenes) {
        int best = -1;
        for (int b = 0; b < python.size(); ++b) {
            if (python.at(b).scenes.isEmpty() == withScenes)
                continue;
            if (best < 0 || python.at(b).length >= python.at(best).length)
                best = b;
        }
        return best;
    };
    const auto take = [&result](const Block& block, bool fenced) {
        result.found = true;
        result.fenced = fenced;
        result.code = joinCode(block.lines);
        result.sceneNames = block.scenes;
    };

    const int bestScene = longest(true);
    if (bestScene >= 0) {
        take(python.at(bestScene), true);
        return result;
    }

    // Bare code: from the first line that starts Python to the last line that is not prose.
    int start = 0;
    while (start < outside.size() && !isPythonStart(outside.at(start)))
        ++start;
    int end = int(outside.size());
    while (end > start && (isBlank(outside.at(end - 1)) || looksLikeProse(outside.at(end - 1))))
        --end;
    if (start < end) {
        Block bare;
        bare.lines = tidy(outside.mid(start, end - start));
        bare.scenes = sceneNamesIn(bare.lines);
        if (!bare.scenes.isEmpty()) {
            take(bare, false);
            return result;
        }
    }

    const int bestOther = longest(false);
    if (bestOther >= 0)
        take(python.at(bestOther), true);
    return result;
}

} // namespace omega
