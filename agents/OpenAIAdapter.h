#pragma once

#include "ProviderAdapter.h"

#include <QJsonObject>

namespace omega {

// OpenAI chat completions ({base}/chat/completions, the base including /v1), and the same
// format spoken by OpenAI-compatible local servers (Ollama, llama.cpp server, LM Studio):
// for those the key is optional (no Authorization header without one) and the token limit is
// sent as the older "max_tokens", which they all understand.
class OpenAIAdapter final : public ProviderAdapter {
public:
    explicit OpenAIAdapter(ProviderType type = ProviderType::OpenAI);
    ProviderType type() const override { return type_; }

    QNetworkRequest chatRequest(const ProviderConfig& config, const QString& apiKey) const override;
    QByteArray chatBody(const ProviderConfig& config, const ChatRequest& request) const override;
    std::unique_ptr<ResponseDecoder> createDecoder(const ProviderConfig& config) const override;
    ProviderFailure parseError(int httpStatus, const QByteArray& body,
                               const RawHeaders& headers) const override;
    // GET {base}/models.
    QNetworkRequest testRequest(const ProviderConfig& config, const QString& apiKey) const override;

private:
    ProviderType type_;
};

// ---- The chat-completions format, shared with AzureOpenAIAdapter ----

// {"model"?, "messages":[system first, then the conversation], "temperature"?, <tokenField>,
// "stream", "stream_options":{"include_usage":true} when streaming}. `model` empty → no
// "model" member (Azure classic: the deployment is in the URL). Temperature is left out for
// models that only accept the default (OpenAI's o-series and gpt-5 reasoning models).
QJsonObject chatCompletionsBody(const ProviderConfig& config, const ChatRequest& request,
                                const QString& model, const QString& tokenLimitField);

// Decodes chat-completions SSE ("data: {chunk}" … "data: [DONE]") or a whole response.
// Skips chunks with "choices":[] (Azure's prompt-filter chunk; the usage chunk gives Usage)
// and choices without delta content (Azure's asynchronous filter chunks, role-only deltas,
// reasoning_content of local reasoning models). finish_reason: stop → Stop, length →
// MaxTokens, content_filter → ContentFiltered, others (tool_calls…) → Other. A stream
// without [DONE] ends in a retryable ProviderUnavailable failure.
class ChatCompletionsDecoder final : public JsonStreamDecoder {
public:
    explicit ChatCompletionsDecoder(bool streaming)
        : JsonStreamDecoder(streaming) {}

protected:
    void onEvent(const QString& eventName, const QJsonObject& data) override;
    void onBody(const QJsonObject& body) override;
    ProviderFailure errorFromJson(const QJsonObject& root) const override;
    bool onRawData(const QByteArray& data) override;

private:
    void readChunk(const QJsonObject& chunk, const QLatin1String& messageKey);
};

// Maps {"error":{"message","type","param","code"}} (OpenAI, Azure, compatible servers; also
// {"error":"text"}) of an answer with this status (0: inside a 2xx stream; then a numeric
// "code" is taken as the status) to a failure. Refinements over failureForStatus():
// insufficient_quota / quota-exhausted wording → ProviderQuota (not retried);
// rate_limit_exceeded → ProviderRateLimited; context_length_exceeded → Usage;
// model_not_found / DeploymentNotFound → ProviderNotFound; content_filter (Azure's blocked
// prompt) → ContentFiltered naming the filters that fired; server_error → ProviderUnavailable.
// retryAfterMs: retry-after-ms / Retry-After headers, else the delay in the message.
ProviderFailure chatCompletionsFailure(int httpStatus, const QJsonObject& root,
                                       const RawHeaders& headers);
// parseError() of the chat-completions family: JSON error body or failureForUnreadableBody().
ProviderFailure chatCompletionsParseError(int httpStatus, const QByteArray& body,
                                          const RawHeaders& headers);

} // namespace omega
