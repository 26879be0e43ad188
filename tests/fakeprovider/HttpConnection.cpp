#include "HttpConnection.h"

#include "HttpRequestParser.h"

#include <QDateTime>
#include <QLocale>
#include <QTcpSocket>

namespace omega::fake {

namespace {

QByteArray httpDate() {
    return QLocale::c()
               .toString(QDateTime::currentDateTimeUtc(),
                         QStringLiteral("ddd, dd MMM yyyy hh:mm:ss"))
               .toLatin1() +
           " GMT";
}

} // namespace

HttpConnection::HttpConnection(QTcpSocket* socket, RequestHandler handler, QObject* parent)
    : QObject(parent)
    , m_socket(socket)
    , m_handler(std::move(handler)) {
    m_socket->setParent(this);
    // Every piece must leave as its own segment: no Nagle coalescing of small writes.
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_pieceTimer.setSingleShot(true);
    connect(&m_pieceTimer, &QTimer::timeout, this, [this] {
        writeBodyBytes(m_reply.pieces.at(m_nextPiece).bytes);
        ++m_nextPiece;
        writeNextPieces();
    });
    connect(m_socket, &QTcpSocket::readyRead, this, &HttpConnection::readRequests);
    connect(m_socket, &QTcpSocket::disconnected, this, &QObject::deleteLater);
    readRequests();
}

HttpConnection::~HttpConnection() = default;

void HttpConnection::readRequests() {
    m_buffer += m_socket->readAll();
    while (!m_busy && m_socket->state() == QAbstractSocket::ConnectedState) {
        const HttpParseResult parsed = parseHttpRequest(m_buffer);
        if (parsed.status == HttpParseResult::Status::Incomplete) {
            if (parsed.expectsContinue && !m_continueSent) {
                m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
                m_continueSent = true;
            }
            return;
        }
        if (parsed.status == HttpParseResult::Status::Invalid) {
            HttpReply error;
            error.status = parsed.errorStatus;
            error.headers = {{"Content-Type", "text/plain"}};
            error.setBody(reasonPhrase(parsed.errorStatus) + '\n');
            m_busy = true;
            m_closeAfterReply = true;
            m_buffer.clear();
            reply(error);
            return;
        }
        m_buffer.remove(0, parsed.consumed);
        m_busy = true;
        m_continueSent = false;
        m_closeAfterReply = parsed.request.wantsClose();
        HttpRequest request = parsed.request;
        request.receivedMs = QDateTime::currentMSecsSinceEpoch();
        m_handler(this, request);
    }
}

void HttpConnection::reply(const HttpReply& reply) {
    if (m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    m_reply = reply;
    m_nextPiece = 0;
    QByteArray head =
        "HTTP/1.1 " + QByteArray::number(reply.status) + ' ' + reasonPhrase(reply.status) + "\r\n";
    for (const auto& header : reply.headers)
        head += header.first + ": " + header.second + "\r\n";
    if (reply.chunked) {
        head += "Transfer-Encoding: chunked\r\n";
    } else {
        const qint64 length = reply.declaredLength.value_or(reply.body().size());
        head += "Content-Length: " + QByteArray::number(length) + "\r\n";
    }
    head += "Date: " + httpDate() + "\r\n";
    head += m_closeAfterReply ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
    head += "\r\n";
    m_socket->write(head);
    writeNextPieces();
}

void HttpConnection::writeNextPieces() {
    while (m_nextPiece < m_reply.pieces.size()) {
        const HttpReply::Piece& piece = m_reply.pieces.at(m_nextPiece);
        if (piece.delayMs > 0) {
            m_pieceTimer.start(piece.delayMs);
            return;
        }
        writeBodyBytes(piece.bytes);
        ++m_nextPiece;
    }
    finishReply();
}

void HttpConnection::writeBodyBytes(const QByteArray& bytes) {
    if (bytes.isEmpty())
        return; // an empty chunk would end a chunked body
    if (m_reply.chunked)
        m_socket->write(QByteArray::number(bytes.size(), 16) + "\r\n" + bytes + "\r\n");
    else
        m_socket->write(bytes);
}

void HttpConnection::finishReply() {
    if (m_reply.ending == HttpReply::Ending::Abort) {
        abortWhenFlushed();
        return;
    }
    if (m_reply.chunked)
        m_socket->write("0\r\n\r\n");
    if (m_closeAfterReply) {
        m_socket->disconnectFromHost(); // flushes first
        return;
    }
    m_busy = false;
    m_reply = {};
    readRequests(); // a request may already be waiting in the buffer
}

void HttpConnection::abortWhenFlushed() {
    // abort() drops unsent bytes: wait until the half answer has left.
    if (m_socket->bytesToWrite() > 0) {
        connect(m_socket, &QTcpSocket::bytesWritten, this, [this] {
            if (m_socket->bytesToWrite() == 0)
                m_socket->abort();
        });
        return;
    }
    m_socket->abort();
}

} // namespace omega::fake
