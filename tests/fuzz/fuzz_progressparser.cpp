// libFuzzer target: ProgressParser on arbitrary bytes. Besides crashes and sanitizer reports,
// it checks that chunking does not change the result and that every reading is in range.
#include "ProgressParser.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

using omega::ProgressParser;
using omega::ProgressUpdate;

namespace {

void check(bool condition) {
    if (!condition)
        std::abort();
}

bool same(const ProgressUpdate& a, const ProgressUpdate& b) {
    return a.animationIndex == b.animationIndex && a.label == b.label && a.percent == b.percent &&
           a.frame == b.frame && a.totalFrames == b.totalFrames && a.cached == b.cached;
}

QList<ProgressUpdate> parseInChunks(const QByteArray& bytes, qsizetype chunk) {
    ProgressParser parser;
    QList<ProgressUpdate> updates;
    for (qsizetype offset = 0; offset < bytes.size(); offset += chunk)
        updates += parser.feed(bytes.mid(offset, chunk));
    updates += parser.finish();
    return updates;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));

    const QList<ProgressUpdate> whole = parseInChunks(bytes, qMax<qsizetype>(1, bytes.size()));
    for (const ProgressUpdate& u : whole) {
        check(u.percent >= 0 && u.percent <= 100);
        check(u.frame >= 0 && u.totalFrames >= 0);
        check(u.animationIndex >= -1);
        check(!u.label.contains(QChar(0x1b)));
    }

    if (size > 0) {
        const QList<ProgressUpdate> chunked = parseInChunks(bytes, 1 + data[0] % 23);
        check(chunked.size() == whole.size());
        for (qsizetype i = 0; i < whole.size(); ++i)
            check(same(whole.at(i), chunked.at(i)));
    }

    const QString text = QString::fromUtf8(bytes);
    const QString stripped = ProgressParser::stripAnsi(text);
    check(!stripped.contains(QChar(0x1b)) && !stripped.contains(QChar(0x9b)));
    check(ProgressParser::stripAnsi(stripped) == stripped);
    check(stripped.size() <= text.size());
    ProgressParser::parseLine(text, nullptr);

    if (size >= 12) {
        int values[3];
        memcpy(values, data, sizeof values);
        const int overall = omega::overallPercent(values[0], values[1], values[2]);
        check(overall >= -1 && overall <= 100);
        check((overall == -1) == (values[2] <= 0));
    }
    return 0;
}
