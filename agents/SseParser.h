#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

namespace omega {

// One Server-Sent Event: "event:" name (empty when none) and the "data:" lines joined by \n.
struct SseEvent {
    QString event;
    QByteArray data;
};

inline bool operator==(const SseEvent& a, const SseEvent& b) {
    return a.event == b.event && a.data == b.data;
}
inline bool operator!=(const SseEvent& a, const SseEvent& b) {
    return !(a == b);
}

// Memory caps of SseParser. A stream that exceeds one does not grow the parser's memory: the
// excess is dropped and SseParser::overflowed() turns true. Tests and fuzzers use small values.
struct SseLimits {
    qsizetype maxLineBytes = 4 * 1024 * 1024;  // longer lines are cut to this (see below)
    qsizetype maxEventBytes = 8 * 1024 * 1024; // an event whose data grows past this is dropped
    qsizetype maxUnparsedBytes = 256 * 1024;   // unparsedTail() keeps this many bytes at most
};

// Incremental SSE parser (the WHATWG event-stream rules that matter to AI APIs): bytes arrive
// split anywhere (inside a line, inside "data:", inside a UTF-8 sequence, between \r and \n);
// lines end in \n, \r\n or \r; an empty line dispatches the event; ":" lines are comments;
// "data:" with or without the space. Bytes that are not SSE at all (a raw JSON error body
// after some events, an HTML page) are kept and available through unparsedTail().
//
// Details a caller relies on:
// - The result never depends on how the stream was chunked.
// - Fields: "event" sets the name, "data" lines are joined with \n, "id" and "retry" are
//   accepted and ignored. An event without any "data" line is not dispatched; "data:" with an
//   empty value is (data ""). "[DONE]" is ordinary data: the caller decides what it means.
// - Any other line (no known field name before the first ':') is not SSE: it goes, without
//   its line ending, to unparsedTail(), lines joined by \n (blank lines skipped). It does not
//   touch the event being built.
// - A leading UTF-8 BOM is skipped.
// - Caps (SseLimits): a line longer than maxLineBytes is cut to that length; a cut "data" line
//   drops its whole event, a cut "event" line too, a cut non-SSE line is kept cut in the tail.
//   An event whose data would exceed maxEventBytes is dropped. The tail stops growing at
//   maxUnparsedBytes. Each of these sets overflowed().
// - finish() dispatches a pending event that had data (WHATWG would discard it; AI streams
//   that drop the last blank line still mean it) and resets for a new stream, except for
//   unparsedTail() and overflowed().
class SseParser {
public:
    SseParser() = default;
    explicit SseParser(const SseLimits& limits)
        : limits_(limits) {}

    QList<SseEvent> feed(const QByteArray& chunk);
    // At end of stream: dispatches a last event that was not followed by a blank line.
    QList<SseEvent> finish();
    // Lines that were neither fields nor blank (e.g. `{"error":…}` without `data:`), joined.
    QByteArray unparsedTail() const { return unparsed_; }
    // True once a cap of SseLimits was hit (a line cut, an event dropped, the tail cut).
    bool overflowed() const { return overflowed_; }

private:
    void processLine(const QByteArray& line, QList<SseEvent>* out);
    void appendToLine(const char* begin, qsizetype length);
    void endLine(QList<SseEvent>* out);
    void appendUnparsed(QByteArrayView line);
    void dispatch(QList<SseEvent>* out);
    void resetEvent();

    SseLimits limits_;
    QByteArray buffer_;
    bool lastWasCr_ = false;
    QString event_;
    QByteArray data_;
    bool hasData_ = false;
    QByteArray unparsed_;
    bool lineCut_ = false;      // the line in buffer_ was longer than maxLineBytes
    bool eventDropped_ = false; // the event being built went over a cap
    bool firstLine_ = true;     // for the BOM
    bool overflowed_ = false;
};

// Incremental newline-delimited JSON splitter (Ollama's native /api/chat stream). Lines end in
// \n (a \r before it is removed); blank lines are skipped. A line longer than maxLineBytes is
// dropped whole (a cut JSON object is useless) and sets overflowed().
class NdjsonSplitter {
public:
    NdjsonSplitter() = default;
    explicit NdjsonSplitter(qsizetype maxLineBytes)
        : maxLineBytes_(maxLineBytes) {}

    QList<QByteArray> feed(const QByteArray& chunk); // complete, non-empty lines
    QList<QByteArray> finish();                      // a last line without \n
    bool overflowed() const { return overflowed_; }

private:
    void endLine(QList<QByteArray>* out);

    QByteArray buffer_;
    qsizetype maxLineBytes_ = 4 * 1024 * 1024;
    bool lineCut_ = false;
    bool overflowed_ = false;
};

} // namespace omega
