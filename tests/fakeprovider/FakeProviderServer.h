#pragma once
// FakeProviderServer: the AI providers (Gemini, Azure OpenAI, OpenAI, Anthropic, Ollama and
// OpenAI-compatible servers) on 127.0.0.1, speaking each one's real wire format — streams,
// quirks and error bodies — and playing scripted failure scenarios. Every provider test
// uses it; no test ever reaches a real AI service. Usage, endpoints, the scenario matrix
// and the control API: README.md next to this file.
//
// Why plain QTcpServer and not QHttpServer (checked against Qt 6.4.2 on Debian 12):
// - Its CMake package does not load here: Qt6HttpServerConfig needs Qt6WebSockets, and
//   qt6-httpserver-dev does not depend on qt6-websockets-dev (not installed, no network to
//   install it). find_package(Qt6 REQUIRED COMPONENTS HttpServer) would break every
//   configure of the project.
// - Against the library itself (a probe linked by hand): QHttpServerResponder in 6.4 can
//   only write whole bodies with Content-Length — no chunked transfer encoding, and
//   writeStatusLine() leaves 529 without a reason phrase. Split writes with delays, an
//   abort mid-body and never-answer were only possible by keeping the responder alive and
//   writing raw bytes to responder.socket(): i.e. around QHttpServer, through an accessor
//   that is gone in Qt 6.5+. What QHttpServer would add is request parsing only.
// So: one small HTTP/1.1 layer (HttpRequestParser + HttpConnection, ~500 lines) that owns
// every byte on the wire, keep-alive and 100-continue included; timers, never sleeps.

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <memory>

namespace omega {

// The knobs of the fake (also POST /_control/config, same names).
struct FakeProviderConfig {
    QString expectedKey = QStringLiteral("test-key"); // empty: any key (or none) is accepted
    int retryAfterSeconds = 1; // rate-limit's Retry-After / retryDelay / "retry after N seconds"
    int dripDelayMs = 100;     // slow-drip: one write every N ms
    int chunkSize = 16;        // characters of answer per streamed delta
    int splitDelayMs = 15;     // split: pause between the awkward pieces
    QStringList knownModels;   // non-empty: other models/deployments get the provider's 404
};

// One request as the fake received it (GET /_control/requests returns these as JSON).
struct RecordedRequest {
    QString method;
    QString path;  // percent-decoded
    QString query; // raw, without '?': tests assert keys are NOT in it
    QList<QPair<QByteArray, QByteArray>> headers; // as received, auth headers included
    QByteArray body;
    qint64 receivedMs = 0; // epoch ms when the request was complete
    QString provider;      // gemini, azure, openai, anthropic, ollama; empty for unknown paths
    QString model;         // model or deployment, when there is one
    QString scenario;      // the scenario played; empty for non-AI requests (model lists…)
    bool stream = false;
    bool keyInQuery = false; // Gemini ?key= was used
    int status = 0;          // the answer's status; 0 while (or when never) answered

    QByteArray header(const QByteArray& name) const; // case-insensitive
    QJsonObject json() const;                        // the body, when it is a JSON object
    QJsonObject toJson() const;
};

class FakeProviderServer : public QObject {
    Q_OBJECT
public:
    explicit FakeProviderServer(QObject* parent = nullptr);
    ~FakeProviderServer() override;

    // Listens on 127.0.0.1 only (0: any free port). The settings at this moment are what
    // reset() returns to.
    bool listen(quint16 port = 0);
    quint16 port() const;
    QUrl baseUrl() const; // http://127.0.0.1:PORT
    QString errorString() const;

    // Scenarios: the queue is consumed one per AI request; when empty the default plays.
    // A request whose model is "scenario-<name>" plays that scenario and leaves the queue.
    // Unknown names are rejected (false, nothing changed).
    bool setScenarioQueue(const QStringList& names);
    bool enqueueScenarios(const QStringList& names);
    QStringList scenarioQueue() const;
    bool setDefaultScenario(const QString& name);
    QString defaultScenario() const;
    static QStringList scenarioNames();

    // What the "model" writes.
    void setAnswer(const QString& text);
    QString answer() const;
    static QString
    defaultAnswer(); // prose + ```python CircleToSquare(Scene)``` + prose, non-ASCII included

    FakeProviderConfig config() const;
    void setConfig(const FakeProviderConfig& config);
    void setExpectedKey(const QString& key);

    QList<RecordedRequest> requests() const;
    void clearRequests();
    // Back to the settings listen() saw: queue, default scenario, answer, config; log cleared.
    void reset();

Q_SIGNALS:
    // A request arrived (before it is answered); `status` is not known yet.
    void requestReceived(const omega::RecordedRequest& request);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace omega

Q_DECLARE_METATYPE(omega::RecordedRequest)
