// libFuzzer target: extractManimCode on arbitrary text (the bytes decoded as UTF-8). Besides
// crashes, sanitizer reports and hangs, it checks the promises of CodeExtractor.h: the code ends
// in exactly one \n, has no \r and no blank first line; scene names are classes of the code;
// CRLF line endings give the same result as LF; and a found script, put back in a Python fence
// (longer than any backtick run in it) between two lines of prose, comes back unchanged.
#include "CodeExtractor.h"

#include <QRegularExpression>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using omega::ExtractedCode;
using omega::extractManimCode;

namespace {

void check(bool condition) {
    if (!condition)
        std::abort();
}

bool same(const ExtractedCode& a, const ExtractedCode& b) {
    return a.found == b.found && a.code == b.code && a.fenced == b.fenced &&
           a.candidates == b.candidates && a.sceneNames == b.sceneNames;
}

int longestBacktickRun(const QString& text) {
    int longest = 0;
    int run = 0;
    for (const QChar c : text) {
        run = c == QLatin1Char('`') ? run + 1 : 0;
        longest = qMax(longest, run);
    }
    return longest;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const QString answer = QString::fromUtf8(reinterpret_cast<const char*>(data), qsizetype(size));
    const ExtractedCode r = extractManimCode(answer);

    check(r.candidates >= 0);
    if (!r.found) {
        check(r.code.isEmpty() && r.sceneNames.isEmpty() && !r.fenced);
    } else {
        check(r.code.endsWith(QLatin1Char('\n')) && !r.code.endsWith(QLatin1String("\n\n")));
        check(!r.code.startsWith(QLatin1Char('\n')));
        check(!r.code.contains(QLatin1Char('\r')));
        check(!r.code.trimmed().isEmpty());
        check(!r.fenced || r.candidates >= 1);
        for (const QString& name : r.sceneNames) {
            check(!name.isEmpty());
            const QRegularExpression definition(QLatin1String("^class[ \\t]+") +
                                                    QRegularExpression::escape(name) +
                                                    QLatin1String("[ \\t]*\\("),
                                                QRegularExpression::MultilineOption);
            check(r.code.contains(definition));
            check(r.sceneNames.count(name) == 1);
        }
    }

    if (!answer.contains(QLatin1Char('\r'))) {
        QString crlf = answer;
        crlf.replace(QLatin1Char('\n'), QLatin1String("\r\n"));
        check(same(extractManimCode(crlf), r));
    }

    if (r.found) {
        const QString fence(qMax(3, longestBacktickRun(r.code) + 1), QLatin1Char('`'));
        const ExtractedCode again =
            extractManimCode(QLatin1String("Prose.\n") + fence + QLatin1String("python\n") +
                             r.code + fence + QLatin1String("\nMore prose.\n"));
        check(again.found && again.fenced);
        check(again.code == r.code);
        check(again.sceneNames == r.sceneNames);
    }
    return 0;
}
