#pragma once

#include "HttpMessage.h"

#include <QObject>
#include <QTimer>

#include <functional>

class QTcpSocket;

namespace omega::fake {

// One accepted TCP connection speaking HTTP/1.1: parses requests, hands each one to the
// server, then writes the server's HttpReply byte-exactly — pieces, delays, chunk framing,
// an abort — with timers, never blocking. Keep-alive: the next request is read once the
// reply is complete. A request that is never replied to holds the connection (never-answer).
class HttpConnection : public QObject {
    Q_OBJECT
public:
    using RequestHandler = std::function<void(HttpConnection*, const HttpRequest&)>;

    HttpConnection(QTcpSocket* socket, RequestHandler handler, QObject* parent = nullptr);
    ~HttpConnection() override;

    // Starts writing the reply to the current request. Call at most once per request.
    void reply(const HttpReply& reply);

    QTcpSocket* socket() const { return m_socket; }

private:
    void readRequests();
    void writeNextPieces();
    void writeBodyBytes(const QByteArray& bytes);
    void finishReply();
    void abortWhenFlushed();

    QTcpSocket* m_socket;
    RequestHandler m_handler;
    QByteArray m_buffer;
    bool m_busy = false; // a request is being answered (or never will be)
    bool m_closeAfterReply = false;
    bool m_continueSent = false;
    HttpReply m_reply;
    qsizetype m_nextPiece = 0;
    QTimer m_pieceTimer;
};

} // namespace omega::fake
