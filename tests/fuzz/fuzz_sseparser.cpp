// libFuzzer target: SseParser and NdjsonSplitter on arbitrary bytes. Besides crashes, sanitizer
// reports and hangs, it checks that chunking never changes the result: the stream parsed in one
// piece, split in two at a position taken from the input, and fed byte by byte must give the
// same events, the same unparsed tail and the same overflow flag; and that the caps hold.
//
// Input: <mode byte><split position: 2 bytes, little endian><stream bytes>. Mode bit 0 selects
// tiny caps (so that the capped paths are reached by short inputs).
#include "SseParser.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using omega::NdjsonSplitter;
using omega::SseEvent;
using omega::SseLimits;
using omega::SseParser;

namespace {

void check(bool condition) {
    if (!condition)
        std::abort();
}

struct Parsed {
    QList<SseEvent> events;
    QByteArray tail;
    bool overflowed = false;
};

bool operator==(const Parsed& a, const Parsed& b) {
    return a.events == b.events && a.tail == b.tail && a.overflowed == b.overflowed;
}

// The input cut into chunks without copying: [0, at) and [at, end) when `at` >= 0, else
// one-byte chunks.
QList<QByteArray> chunksOf(const QByteArray& bytes, qsizetype at) {
    QList<QByteArray> chunks;
    if (at >= 0) {
        chunks.append(QByteArray::fromRawData(bytes.constData(), at));
        chunks.append(QByteArray::fromRawData(bytes.constData() + at, bytes.size() - at));
        return chunks;
    }
    chunks.reserve(bytes.size());
    for (qsizetype i = 0; i < bytes.size(); ++i)
        chunks.append(QByteArray::fromRawData(bytes.constData() + i, 1));
    return chunks;
}

Parsed parse(const QList<QByteArray>& chunks, const SseLimits& limits) {
    SseParser parser(limits);
    Parsed parsed;
    for (const QByteArray& chunk : chunks)
        parsed.events += parser.feed(chunk);
    parsed.events += parser.finish();
    parsed.tail = parser.unparsedTail();
    parsed.overflowed = parser.overflowed();
    return parsed;
}

QList<QByteArray> splitLines(const QList<QByteArray>& chunks, qsizetype maxLine, bool* overflowed) {
    NdjsonSplitter splitter(maxLine);
    QList<QByteArray> lines;
    for (const QByteArray& chunk : chunks)
        lines += splitter.feed(chunk);
    lines += splitter.finish();
    *overflowed = splitter.overflowed();
    return lines;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    unsigned mode = 0;
    qsizetype at = 0;
    QByteArray bytes;
    if (size >= 3) {
        mode = data[0];
        at = qsizetype(data[1] | (data[2] << 8));
        bytes = QByteArray(reinterpret_cast<const char*>(data + 3), qsizetype(size - 3));
    } else {
        bytes = QByteArray(reinterpret_cast<const char*>(data), qsizetype(size));
    }
    at = bytes.isEmpty() ? 0 : at % (bytes.size() + 1);

    SseLimits limits;
    if (mode & 1) {
        limits.maxLineBytes = 1 + (mode >> 1) % 32;
        limits.maxEventBytes = 1 + (mode >> 3) % 48;
        limits.maxUnparsedBytes = (mode >> 5) * 7;
    }

    const Parsed whole = parse({bytes}, limits);
    check(parse(chunksOf(bytes, at), limits) == whole);
    check(parse(chunksOf(bytes, -1), limits) == whole);

    check(whole.tail.size() <= limits.maxUnparsedBytes);
    check(!whole.tail.contains('\r'));
    for (const SseEvent& e : whole.events) {
        // Lines end at \r and \n: neither can be inside a line; data lines are joined by \n.
        check(!e.data.contains('\r'));
        check(e.data.size() < limits.maxEventBytes);
        check(!e.event.contains(QLatin1Char('\r')) && !e.event.contains(QLatin1Char('\n')));
        check(e.event.size() <= limits.maxLineBytes); // UTF-16 units never outnumber bytes
    }
    if (!bytes.contains('\r') && !bytes.contains('\n'))
        check(whole.events.size() <= 1); // one line at most: finish() dispatches one event

    const qsizetype maxLine = (mode & 1) ? 1 + (mode >> 1) % 32 : 4 * 1024 * 1024;
    bool overflowWhole = false;
    bool overflowSplit = false;
    bool overflowBytes = false;
    const QList<QByteArray> lines = splitLines({bytes}, maxLine, &overflowWhole);
    check(splitLines(chunksOf(bytes, at), maxLine, &overflowSplit) == lines);
    check(splitLines(chunksOf(bytes, -1), maxLine, &overflowBytes) == lines);
    check(overflowSplit == overflowWhole && overflowBytes == overflowWhole);
    for (const QByteArray& line : lines) {
        // Only the \r of a \r\n ending is removed ("a\r\r\n" gives "a\r").
        check(!line.contains('\n'));
        check(!line.trimmed().isEmpty());
        check(line.size() <= maxLine);
    }
    return 0;
}
