#pragma once

#include "BaseAgent.h"
#include "ChatTypes.h"
#include "ProviderAdapter.h"
#include "ProviderConfig.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QTimer>

#include <memory>

class QNetworkAccessManager;
class QNetworkReply;

namespace omega {

struct CompletionResult {
    AgentResult result;
    QString text; // the whole answer (of the last attempt)
    FinishReason finish = FinishReason::Unknown;
    TokenUsage usage;
    QString provider; // config name
    QString model;    // as reported by the service, else as configured
    int requests = 0; // HTTP requests made, retries included
    qint64 firstTokenMs = -1;
    ProviderFailure failure; // the last failure, when it failed
};

// Runs one chat request against one provider: streamed through the shared
// QNetworkAccessManager, with a connect timeout (until the response headers), an idle timeout
// (longest silence while streaming), and bounded retries of retryable failures with backoff
// (Retry-After / retryDelay honoured up to the config's cap). A retry restarts the answer:
// restarted() tells listeners to drop what they have. cancel() aborts and nothing is emitted
// after it.
class AIProviderClient : public BaseAgent {
    Q_OBJECT
public:
    explicit AIProviderClient(QNetworkAccessManager* network, QObject* parent = nullptr);
    ~AIProviderClient() override;

    void start(const ProviderConfig& config, const QString& apiKey, const ChatRequest& request,
               const QString& jobId);
    void cancel();
    bool isRunning() const { return running_; }

    // Backoff before retry `attempt` (1-based) when the provider gave no delay: 1 s, 2 s, 4 s…
    // with ±20 % jitter, capped by the config. Public for tests.
    static int backoffMs(int attempt, const ProviderConfig& config);

Q_SIGNALS:
    void textDelta(const QString& jobId, const QString& text);
    void restarted(const QString& jobId, int attempt, int waitMs, const QString& reason);
    void finished(const omega::CompletionResult& result);

private:
    void sendAttempt();
    void onReadyRead();
    void onReplyFinished();
    void handleEvents(const QList<StreamEvent>& events);
    void fail(const ProviderFailure& failure);
    void succeed();
    void abortReply();
    bool checkStatus(); // reads the status once headers arrived; false for non-2xx

    QNetworkAccessManager* network_;
    std::unique_ptr<ProviderAdapter> adapter_;
    std::unique_ptr<ResponseDecoder> decoder_;
    ProviderConfig config_;
    QString apiKey_;
    ChatRequest request_;
    QString jobId_;
    bool running_ = false;
    int httpStatus_ = 0;
    QByteArray errorBody_;
    CompletionResult result_;
    QPointer<QNetworkReply> reply_;
    QTimer connectTimer_;
    QTimer idleTimer_;
    QTimer retryTimer_;
    QElapsedTimer clock_;
    bool finishedStream_ = false;
};

} // namespace omega

Q_DECLARE_METATYPE(omega::CompletionResult)
