#include "HttpMessage.h"

namespace omega::fake {

QByteArray headerValue(const HttpHeaders& headers, const QByteArray& name) {
    for (const auto& header : headers) {
        if (header.first.compare(name, Qt::CaseInsensitive) == 0)
            return header.second;
    }
    return {};
}

void setHeader(HttpHeaders& headers, const QByteArray& name, const QByteArray& value) {
    for (qsizetype i = 0; i < headers.size(); ++i) {
        if (headers.at(i).first.compare(name, Qt::CaseInsensitive) == 0) {
            headers[i].second = value;
            for (qsizetype j = headers.size() - 1; j > i; --j) {
                if (headers.at(j).first.compare(name, Qt::CaseInsensitive) == 0)
                    headers.removeAt(j);
            }
            return;
        }
    }
    headers.append({name, value});
}

bool HttpRequest::wantsClose() const {
    const QByteArray connection = header("connection").toLower();
    if (version == "HTTP/1.0")
        return !connection.contains("keep-alive");
    return connection.contains("close");
}

QByteArray HttpReply::body() const {
    QByteArray bytes;
    for (const Piece& piece : pieces)
        bytes += piece.bytes;
    return bytes;
}

QByteArray reasonPhrase(int status) {
    switch (status) {
    case 100:
        return QByteArrayLiteral("Continue");
    case 200:
        return QByteArrayLiteral("OK");
    case 400:
        return QByteArrayLiteral("Bad Request");
    case 401:
        return QByteArrayLiteral("Unauthorized");
    case 403:
        return QByteArrayLiteral("Forbidden");
    case 404:
        return QByteArrayLiteral("Not Found");
    case 405:
        return QByteArrayLiteral("Method Not Allowed");
    case 413:
        return QByteArrayLiteral("Payload Too Large");
    case 429:
        return QByteArrayLiteral("Too Many Requests");
    case 431:
        return QByteArrayLiteral("Request Header Fields Too Large");
    case 500:
        return QByteArrayLiteral("Internal Server Error");
    case 502:
        return QByteArrayLiteral("Bad Gateway");
    case 503:
        return QByteArrayLiteral("Service Unavailable");
    case 504:
        return QByteArrayLiteral("Gateway Timeout");
    case 505:
        return QByteArrayLiteral("HTTP Version Not Supported");
    case 529:
        return QByteArrayLiteral("Site Overloaded"); // not in any RFC; Anthropic's own
    default:
        return QByteArrayLiteral("Status");
    }
}

} // namespace omega::fake
