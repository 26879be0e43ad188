#pragma once

#include "AIProviderClient.h"
#include "BaseAgent.h"
#include "ChatTypes.h"
#include "ProviderConfig.h"

#include <QHash>
#include <QPointer>
#include <QStringList>

class QNetworkAccessManager;

namespace omega {

struct GenerationResult {
    AgentResult result; // NoProvider, provider failures, Truncated, NoCode, NoScene
    QString script;     // the extracted Manim script (empty on failure)
    QStringList sceneNames;
    QString provider; // the provider that answered
    QString model;
    TokenUsage usage;
    qint64 latencyMs = 0;
    QString rawText;       // the model's whole answer, kept even when no code was found
    int requests = 0;      // HTTP requests across retries and fallbacks
    QStringList fallbacks; // "gemini: model overloaded (HTTP 503)" for each provider given up on
};

// Prompt → Manim CE script. Builds the request from the system prompt in
// resources/prompts/generate_system.md (with the pinned Manim version) and the user's prompt
// as delimited data, streams the answer to listeners, falls back to the next enabled provider
// by priority when a provider fails for reasons that are not the user's (unavailable, rate
// limited, quota, unreadable answer), and extracts the script from the answer.
class AIScriptGenerationAgent : public BaseAgent {
    Q_OBJECT
public:
    explicit AIScriptGenerationAgent(QNetworkAccessManager* network, QObject* parent = nullptr);

    // Keys by provider name (from KeyStore); a provider that needs a key and has none is skipped.
    void setApiKeys(const QHash<QString, QString>& keys) { keys_ = keys; }

    // Tries `providers` in the order given (use providersByPriority); with one provider there
    // is no fallback. Returns the job id; finished() follows exactly once unless cancelled.
    QString generate(const QString& prompt, const QList<ProviderConfig>& providers);
    // The same for a request built elsewhere (the debugging agent's fix request): streaming,
    // fallback and code extraction are shared.
    QString generateFrom(const ChatRequest& request, const QList<ProviderConfig>& providers);
    void cancel();
    bool isRunning() const { return !jobId_.isEmpty(); }

    // The request sent for a prompt (exposed for tests and the debugging agent's reuse).
    static ChatRequest buildRequest(const QString& prompt);
    static QString systemPrompt();

Q_SIGNALS:
    void providerStarted(const QString& jobId, const QString& provider, const QString& model);
    void textDelta(const QString& jobId, const QString& text);
    // The text so far is void (a retry or a fallback starts the answer again).
    void restarted(const QString& jobId, const QString& reason);
    void finished(const omega::GenerationResult& result);

private:
    void tryNextProvider();
    void onCompletion(const CompletionResult& completion);
    void finish(ResultStatus status, const ErrorReport& error = {});
    static bool allowsFallback(ErrorCategory category);

    QNetworkAccessManager* network_;
    QHash<QString, QString> keys_;
    QPointer<AIProviderClient> client_;
    QString jobId_;
    ChatRequest request_;
    QList<ProviderConfig> queue_;
    QStringList skipped_;   // providers without a key or with a broken configuration
    ErrorReport lastError_; // of the last provider given up on
    bool emptyPrompt_ = false;
    GenerationResult result_;
    QElapsedTimer clock_;
};

} // namespace omega

Q_DECLARE_METATYPE(omega::GenerationResult)
