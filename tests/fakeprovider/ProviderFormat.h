#pragma once

#include "HttpMessage.h"
#include "Json.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>

namespace omega::fake {

enum class Provider { Gemini, Azure, OpenAi, Anthropic, Ollama };
QString providerName(Provider provider); // "gemini", "azure", "openai", "anthropic", "ollama"

// The endpoints the fake serves, at the real services' paths.
enum class Endpoint {
    GeminiGenerate,      // POST /v1beta/models/{model}:generateContent
    GeminiStream,        // POST /v1beta/models/{model}:streamGenerateContent[?alt=sse]
    GeminiModels,        // GET  /v1beta/models
    AzureDeploymentChat, // POST /openai/deployments/{deployment}/chat/completions?api-version=
    AzureV1Chat,         // POST /openai/v1/chat/completions   (model = deployment)
    OpenAiChat,          // POST /v1/chat/completions          (also OpenAI-compatible servers)
    OpenAiModels,        // GET  /v1/models
    AnthropicMessages,   // POST /v1/messages
    AnthropicModels,     // GET  /v1/models with x-api-key / anthropic-version
    OllamaChat,          // POST /api/chat
    OllamaTags,          // GET  /api/tags
};

// What a generation request asked for, as the provider's format reads it.
struct GenerationRequest {
    Endpoint endpoint = Endpoint::OpenAiChat;
    QString model;      // model, or Azure deployment
    QString apiVersion; // Azure classic
    bool stream = false;
    bool sseFraming = true;    // Gemini streamGenerateContent without alt=sse: a JSON array
    bool includeUsage = false; // OpenAI stream_options.include_usage
    int promptTokens = 1;
};

// A parsed request, or the provider's rejection of it (played after the key check).
struct ParsedRequest {
    GenerationRequest request;
    std::optional<HttpReply> rejection;
};

enum class Finish { Stop, MaxTokens, ContentFilter, PromptBlocked };

// What the fake model answers; each format renders it in its own framing.
struct Completion {
    QStringList deltas; // text pieces in order (joined: the answer)
    Finish finish = Finish::Stop;
    int promptTokens = 1;
    int completionTokens = 1;
    bool crlf = false;        // \r\n line endings in the stream framing
    bool emptyDeltas = false; // add the empty / absent deltas real streams contain

    QString text() const { return deltas.join(QString()); }
};

enum class ErrorKind {
    MissingKey,
    BadKey,
    Forbidden,
    NotFound,
    RateLimit,
    Quota,
    ServerError,
    Unavailable,
    Overloaded,
    PromptBlocked, // the prompt is refused before generation
    StreamError,   // the error a stream reports after its 200 (non-stream: its HTTP twin)
    UnknownPath,
};

struct ErrorDetails {
    QString model;
    QString key; // the key that was sent (some services echo it, masked)
    QString method;
    QString path;
    QString apiVersion; // Azure
    int retryAfterSeconds = 0;
};

// One provider's wire format: its key check, request validation, answers, stream framing
// and error bodies. The server decides *what* happens (the scenario); the format decides
// how that looks on the wire.
class ProviderFormat {
public:
    virtual ~ProviderFormat() = default;

    virtual Provider provider() const = 0;

    // The key check the real service does first; nullopt when the key is accepted.
    // An empty expected key accepts anything (local OpenAI-compatible servers).
    virtual std::optional<HttpReply> checkKey(const HttpRequest& request,
                                              const QString& expectedKey) const = 0;

    // Reads and validates a generation request the way the real service does.
    virtual ParsedRequest parseGeneration(const HttpRequest& request, Endpoint endpoint,
                                          const QString& pathModel) const = 0;

    // The provider's HTTP error, or nullopt when the provider reports this case inside a
    // normal 200 answer (e.g. Gemini's blocked prompt).
    virtual std::optional<HttpReply> errorReply(ErrorKind kind,
                                                const ErrorDetails& details) const = 0;

    // Non-streamed answer.
    virtual HttpReply completeAnswer(const Completion& completion,
                                     const GenerationRequest& request) const = 0;

    // Streamed answer: the 200 head, and the framed events in order (each one whole).
    virtual HttpReply streamHead(const GenerationRequest& request) const = 0;
    virtual QList<QByteArray> streamEvents(const Completion& completion,
                                           const GenerationRequest& request) const = 0;
    // The error a stream carries after its 200 (error-after-200).
    virtual QByteArray streamErrorEvent(const GenerationRequest& request, bool crlf) const = 0;

    // GET model list.
    virtual HttpReply modelList(const QStringList& models) const = 0;

protected:
    // A complete JSON reply with this provider's content type and response headers.
    HttpReply jsonReply(int status, const QByteArray& body) const;
    virtual QByteArray jsonContentType() const { return QByteArrayLiteral("application/json"); }
    // Request-id and similar headers, fresh for each response.
    virtual HttpHeaders responseHeaders() const { return {}; }
};

// Shared helpers for the formats.
QByteArray randomToken(int length); // [A-Za-z0-9]
QByteArray randomHex(int length);
QByteArray randomUuid();
qint64 nowSeconds();
int tokenEstimate(const QString& text); // ~4 characters per token, at least 1
QString maskedKey(const QString& key);  // "tes****-key", as OpenAI echoes keys
// Parses a JSON object body; nullopt when the body is not a JSON object.
std::optional<QJsonObject> parseObject(const QByteArray& body);

} // namespace omega::fake
