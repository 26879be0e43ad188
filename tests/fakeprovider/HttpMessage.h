#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <QUrlQuery>

#include <optional>

namespace omega::fake {

using HttpHeader = QPair<QByteArray, QByteArray>;
using HttpHeaders = QList<HttpHeader>;

// Case-insensitive lookup of the first header with that name.
QByteArray headerValue(const HttpHeaders& headers, const QByteArray& name);
// Replaces every header with that name (case-insensitively) by one, or appends it.
void setHeader(HttpHeaders& headers, const QByteArray& name, const QByteArray& value);

// One HTTP/1.x request as it arrived on the wire.
struct HttpRequest {
    QByteArray method;
    QByteArray target;  // as sent: /path?query
    QString path;       // percent-decoded path
    QString query;      // raw query, without '?'
    QByteArray version; // "HTTP/1.1"
    HttpHeaders headers;
    QByteArray body;
    qint64 receivedMs = 0; // epoch milliseconds when the request was complete

    QByteArray header(const QByteArray& name) const { return headerValue(headers, name); }
    QUrlQuery queryItems() const { return QUrlQuery(query); }
    bool wantsClose() const; // Connection: close, or HTTP/1.0 without keep-alive
};

// One response, down to how its bytes are written: the fake needs to control the pieces
// (split, drip), the delays between them and how the connection ends.
struct HttpReply {
    struct Piece {
        QByteArray bytes;
        int delayMs = 0; // wait before writing this piece
    };
    enum class Ending {
        Complete, // the body is complete (chunked: the 0-length chunk is sent)
        Abort,    // the TCP connection is cut after the last piece
    };

    int status = 200;
    HttpHeaders headers;  // without Content-Length / Transfer-Encoding
    bool chunked = false; // Transfer-Encoding: chunked, one chunk per piece
    QList<Piece> pieces;  // the body
    Ending ending = Ending::Complete;
    std::optional<qint64> declaredLength; // Content-Length to announce when it is a lie

    QByteArray body() const; // all pieces joined
    void setBody(const QByteArray& bytes) { pieces = {Piece{bytes, 0}}; }
};

QByteArray reasonPhrase(int status);

} // namespace omega::fake
