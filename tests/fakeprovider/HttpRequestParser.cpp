#include "HttpRequestParser.h"

#include <QUrl>

namespace omega::fake {

namespace {

HttpParseResult invalid(int status) {
    HttpParseResult result;
    result.status = HttpParseResult::Status::Invalid;
    result.errorStatus = status;
    return result;
}

// Decodes a chunked body starting at `from`. Returns false while incomplete; sets
// `error` when the framing is broken.
bool decodeChunked(const QByteArray& buffer, qsizetype from, QByteArray& body, qsizetype& end,
                   bool& error) {
    qsizetype pos = from;
    for (;;) {
        const qsizetype lineEnd = buffer.indexOf("\r\n", pos);
        if (lineEnd < 0)
            return false;
        QByteArray sizeField = buffer.mid(pos, lineEnd - pos);
        const qsizetype semicolon = sizeField.indexOf(';'); // chunk extensions
        if (semicolon >= 0)
            sizeField.truncate(semicolon);
        bool ok = false;
        const qint64 size = sizeField.trimmed().toLongLong(&ok, 16);
        if (!ok || size < 0 || body.size() + size > kMaxBodyBytes) {
            error = true;
            return false;
        }
        pos = lineEnd + 2;
        if (size == 0) {
            const qsizetype trailersEnd = buffer.indexOf("\r\n\r\n", pos - 2);
            if (trailersEnd < 0)
                return false;
            end = trailersEnd + 4;
            return true;
        }
        if (buffer.size() < pos + size + 2)
            return false;
        body += buffer.mid(pos, size);
        pos += size + 2;
    }
}

} // namespace

HttpParseResult parseHttpRequest(const QByteArray& buffer) {
    // Tolerate the empty lines some clients send between requests (RFC 9112 2.2).
    qsizetype start = 0;
    while (buffer.mid(start, 2) == "\r\n")
        start += 2;
    const qsizetype headEnd = buffer.indexOf("\r\n\r\n", start);
    if (headEnd < 0)
        return buffer.size() - start > kMaxHeadBytes ? invalid(431) : HttpParseResult{};
    if (headEnd - start > kMaxHeadBytes)
        return invalid(431);

    const QList<QByteArray> lines = buffer.mid(start, headEnd - start).split('\n');
    const QList<QByteArray> requestLine = lines.first().trimmed().split(' ');
    if (requestLine.size() != 3 || requestLine.at(0).isEmpty() ||
        !requestLine.at(1).startsWith('/'))
        return invalid(400);
    HttpRequest request;
    request.method = requestLine.at(0);
    request.target = requestLine.at(1);
    request.version = requestLine.at(2);
    if (request.version != "HTTP/1.1" && request.version != "HTTP/1.0")
        return invalid(505);
    const qsizetype question = request.target.indexOf('?');
    const QByteArray rawPath = question < 0 ? request.target : request.target.left(question);
    request.path = QUrl::fromPercentEncoding(rawPath);
    if (question >= 0)
        request.query = QString::fromUtf8(request.target.mid(question + 1));

    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return invalid(400);
        request.headers.append({line.left(colon).trimmed(), line.mid(colon + 1).trimmed()});
    }

    const qsizetype bodyStart = headEnd + 4;
    HttpParseResult result;
    if (request.header("transfer-encoding").toLower().contains("chunked")) {
        bool error = false;
        qsizetype end = 0;
        if (!decodeChunked(buffer, bodyStart, request.body, end, error)) {
            if (error)
                return invalid(400);
            result.expectsContinue =
                request.header("expect").compare("100-continue", Qt::CaseInsensitive) == 0;
            return result;
        }
        result.consumed = end;
    } else {
        const QByteArray lengthField = request.header("content-length");
        qint64 length = 0;
        if (!lengthField.isEmpty()) {
            bool ok = false;
            length = lengthField.toLongLong(&ok);
            if (!ok || length < 0)
                return invalid(400);
            if (length > kMaxBodyBytes)
                return invalid(413);
        }
        if (buffer.size() - bodyStart < length) {
            result.expectsContinue =
                request.header("expect").compare("100-continue", Qt::CaseInsensitive) == 0;
            return result;
        }
        request.body = buffer.mid(bodyStart, length);
        result.consumed = bodyStart + length;
    }
    result.status = HttpParseResult::Status::Complete;
    result.request = request;
    return result;
}

} // namespace omega::fake
