#include "SseParser.h"

#include <QtGlobal>

namespace omega {

namespace {

const char kBom[] = "\xEF\xBB\xBF";

// Position of the first \r or \n in [from, size), or size.
qsizetype findLineEnd(const char* p, qsizetype from, qsizetype size) {
    for (qsizetype j = from; j < size; ++j) {
        if (p[j] == '\r' || p[j] == '\n')
            return j;
    }
    return size;
}

} // namespace

QList<SseEvent> SseParser::feed(const QByteArray& chunk) {
    QList<SseEvent> out;
    const char* p = chunk.constData();
    const qsizetype n = chunk.size();
    qsizetype i = 0;
    // "\r" ended the previous chunk: a "\n" starting this one belongs to the same line ending.
    if (n > 0 && lastWasCr_) {
        if (p[0] == '\n')
            i = 1;
        lastWasCr_ = false;
    }
    while (i < n) {
        qsizetype j = findLineEnd(p, i, n);
        appendToLine(p + i, j - i);
        if (j == n)
            break;
        endLine(&out);
        if (p[j] == '\r') {
            if (j + 1 < n) {
                if (p[j + 1] == '\n')
                    ++j;
            } else {
                lastWasCr_ = true;
            }
        }
        i = j + 1;
    }
    return out;
}

QList<SseEvent> SseParser::finish() {
    QList<SseEvent> out;
    if (!buffer_.isEmpty() || lineCut_)
        endLine(&out);
    dispatch(&out);
    lastWasCr_ = false;
    firstLine_ = true;
    return out;
}

void SseParser::appendToLine(const char* begin, qsizetype length) {
    if (lineCut_ || length <= 0)
        return;
    const qsizetype room = qMax<qsizetype>(1, limits_.maxLineBytes) - buffer_.size();
    if (length > room) {
        buffer_.append(begin, qMax<qsizetype>(0, room));
        lineCut_ = true;
        overflowed_ = true;
        return;
    }
    buffer_.append(begin, length);
}

void SseParser::endLine(QList<SseEvent>* out) {
    processLine(buffer_, out);
    buffer_.clear();
    lineCut_ = false;
}

void SseParser::processLine(const QByteArray& rawLine, QList<SseEvent>* out) {
    QByteArrayView line(rawLine);
    if (firstLine_) {
        firstLine_ = false;
        if (line.startsWith(QByteArrayView(kBom)))
            line = line.sliced(3);
    }
    if (line.isEmpty()) {
        dispatch(out);
        return;
    }
    if (line.front() == ':')
        return; // comment (keep-alive)

    const qsizetype colon = line.indexOf(':');
    const QByteArrayView field = colon < 0 ? line : line.first(colon);
    QByteArrayView value;
    if (colon >= 0) {
        value = line.sliced(colon + 1);
        if (value.startsWith(' '))
            value = value.sliced(1);
    }

    if (field == "data") {
        if (lineCut_ || eventDropped_ ||
            data_.size() + value.size() + 1 > qMax<qsizetype>(1, limits_.maxEventBytes)) {
            // Drop the whole event: a cut JSON payload would only mislead the caller.
            eventDropped_ = true;
            overflowed_ = true;
            data_.clear();
            return;
        }
        data_ += value;
        data_ += '\n';
        hasData_ = true;
    } else if (field == "event") {
        if (lineCut_) {
            eventDropped_ = true;
            data_.clear();
            return;
        }
        event_ = QString::fromUtf8(value);
    } else if (field == "id" || field == "retry") {
        // Reconnection is the caller's business; AI APIs do not resume streams.
    } else {
        appendUnparsed(line);
    }
}

void SseParser::appendUnparsed(QByteArrayView line) {
    const qsizetype separator = unparsed_.isEmpty() ? 0 : 1;
    const qsizetype room = qMax<qsizetype>(0, limits_.maxUnparsedBytes) - unparsed_.size();
    if (separator + line.size() > room) {
        overflowed_ = true;
        if (room <= 0)
            return;
    }
    if (separator)
        unparsed_ += '\n';
    unparsed_ += line.first(qMin(line.size(), room - separator));
}

void SseParser::dispatch(QList<SseEvent>* out) {
    if (hasData_ && !eventDropped_) {
        data_.chop(1); // the \n after the last data line
        out->append(SseEvent{event_, data_});
    }
    resetEvent();
}

void SseParser::resetEvent() {
    event_.clear();
    data_.clear();
    hasData_ = false;
    eventDropped_ = false;
}

QList<QByteArray> NdjsonSplitter::feed(const QByteArray& chunk) {
    QList<QByteArray> out;
    const char* p = chunk.constData();
    const qsizetype n = chunk.size();
    qsizetype i = 0;
    while (i < n) {
        qsizetype j = i;
        while (j < n && p[j] != '\n')
            ++j;
        if (!lineCut_) {
            if (buffer_.size() + (j - i) > qMax<qsizetype>(1, maxLineBytes_)) {
                buffer_.clear();
                lineCut_ = true;
                overflowed_ = true;
            } else {
                buffer_.append(p + i, j - i);
            }
        }
        if (j == n)
            break;
        endLine(&out);
        i = j + 1;
    }
    return out;
}

QList<QByteArray> NdjsonSplitter::finish() {
    QList<QByteArray> out;
    if (!buffer_.isEmpty() || lineCut_)
        endLine(&out);
    return out;
}

void NdjsonSplitter::endLine(QList<QByteArray>* out) {
    if (!lineCut_) {
        if (buffer_.endsWith('\r'))
            buffer_.chop(1);
        if (!buffer_.trimmed().isEmpty())
            out->append(buffer_);
    }
    buffer_.clear();
    lineCut_ = false;
}

} // namespace omega
