#pragma once

#include "ChatTypes.h"
#include "ProviderConfig.h"
#include "SseParser.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QNetworkRequest>
#include <QPair>
#include <QUrl>
#include <QUrlQuery>

#include <memory>
#include <optional>

namespace omega {

// Turns the bytes of a successful (2xx) response into events, incrementally: an SSE stream,
// an NDJSON stream or one JSON body, as the provider sends it.
//
// What every decoder of this project guarantees (the client relies on it):
// - The events never depend on how the body was chunked.
// - At most one Failure, and it is the last event: nothing follows it, not even from finish().
// - A response that ends without a Failure reports exactly one Finish event (finish() adds
//   Finish Unknown when the service named no reason). Finish MaxTokens means the answer was
//   cut by the token limit; ContentFiltered means the output was blocked. Both are a
//   successful decode: the caller decides what they mean (truncated / filtered).
// - Usage events may repeat; each carries the usage known so far (the last one wins).
// - Model: the model name the service reports, once per name.
class ResponseDecoder {
public:
    virtual ~ResponseDecoder() = default;
    virtual QList<StreamEvent> feed(const QByteArray& chunk) = 0;
    // End of body: flushes, and reports a Failure when the stream ended without its normal
    // end marker where the format has one ([DONE], message_stop, done:true).
    virtual QList<StreamEvent> finish() = 0;
};

using RawHeaders = QList<QPair<QByteArray, QByteArray>>;

// One provider's wire format, and nothing else: pure, no networking (AIProviderClient does
// that). Adding a provider is one subclass plus a line in createProviderAdapter().
class ProviderAdapter {
public:
    virtual ~ProviderAdapter() = default;
    virtual ProviderType type() const = 0;

    // URL and headers of a chat request. The key goes in a header, never in the URL.
    virtual QNetworkRequest chatRequest(const ProviderConfig& config,
                                        const QString& apiKey) const = 0;
    virtual QByteArray chatBody(const ProviderConfig& config, const ChatRequest& request) const = 0;
    virtual std::unique_ptr<ResponseDecoder> createDecoder(const ProviderConfig& config) const = 0;

    // Maps a non-2xx answer (its status, body and headers) to a failure. Also used for
    // bodies that are not the provider's JSON at all (an HTML page from a proxy).
    virtual ProviderFailure parseError(int httpStatus, const QByteArray& body,
                                       const RawHeaders& headers) const = 0;

    // A cheap request that proves the endpoint and key work (usually: list models).
    virtual QNetworkRequest testRequest(const ProviderConfig& config,
                                        const QString& apiKey) const = 0;
    // Body of the test request: empty → send testRequest() as a GET; otherwise POST this body
    // (Azure: a one-word chat, the only request that proves the deployment exists). A 2xx
    // answer means the provider works; anything else goes through parseError().
    virtual QByteArray testBody(const ProviderConfig& config) const {
        Q_UNUSED(config)
        return {};
    }
};

std::unique_ptr<ProviderAdapter> createProviderAdapter(ProviderType type);

// Shared by adapters: Retry-After header (seconds or HTTP date) in ms, -1 when absent.
// Also reads OpenAI's retry-after-ms. Capped at one day.
int retryAfterFromHeaders(const RawHeaders& headers);
int retryAfterFromHeaders(const RawHeaders& headers, const QDateTime& nowUtc);
// A delay stated in a message: "Please retry after 6 seconds" (Azure), "try again in 300ms" /
// "in 1.5s" (OpenAI), "Please retry in 43.2s" (Gemini). In ms, -1 when none.
int retryAfterFromMessage(const QString& message);
// Generic mapping of an HTTP status to a category and retryability, for adapters to refine:
// 400/413/422 and other 4xx → Usage (the request itself is wrong: too long, a bad parameter;
// not retried), 401/403 → ProviderAuth, 402 → ProviderQuota, 404/405 → ProviderNotFound,
// 429 → ProviderRateLimited (retryable), 0/408/409/425/5xx/529 → ProviderUnavailable
// (retryable), 2xx/3xx → ProviderBadResponse. The message says what happened, generically.
ProviderFailure failureForStatus(int httpStatus);

// ---- Helpers shared by the adapters ----

// The bytes as one JSON object; nullopt when they are not one.
std::optional<QJsonObject> parseJsonObject(const QByteArray& bytes);
// A body that is not the provider's JSON (an HTML page from a proxy, text, nothing): the
// status decides the category; the message says what came back ("the service answered with an
// HTML page — a proxy or gateway error: 502 Bad Gateway"). For a 2xx, ProviderBadResponse
// (retryable unless it is an HTML page, which a retry will not change).
ProviderFailure failureForUnreadableBody(int httpStatus, const QByteArray& body);
// Sets failure->message to "<what happened> (<providerCode>): <provider's message>", one line,
// the provider's message shortened. `whatHappened` empty → a sentence from the category.
// Never mentions the HTTP status: the client appends it.
void describeFailure(ProviderFailure* failure, const QString& providerMessage,
                     const QString& whatHappened = QString());
// {endpoint}{path}?{query}: the endpoint's own path kept, a trailing slash tolerated; path
// segments must be percent-encoded already (see pathSegment()).
QUrl endpointUrl(const QString& endpoint, const QString& path, const QUrlQuery& query = {});
QString pathSegment(const QString& segment);
// POST/GET request with Content-Type application/json, Accept text/event-stream when streaming
// (else application/json), and same-origin redirects only (the key header must not follow a
// redirect to another host).
QNetworkRequest jsonRequest(const QUrl& url, bool streaming);

// The common machinery of the JSON-over-SSE decoders (all five providers): SSE framing, or one
// whole JSON body when not streaming; invalid JSON, {"error":…} payloads and a raw JSON error
// body after the events (Gemini) turned into failures; the guarantees of ResponseDecoder.
// Subclasses read the provider's objects and call the emit*() helpers.
class JsonStreamDecoder : public ResponseDecoder {
public:
    explicit JsonStreamDecoder(bool streaming);
    QList<StreamEvent> feed(const QByteArray& chunk) final;
    QList<StreamEvent> finish() final;

    // A non-streamed body larger than this is refused (ProviderBadResponse).
    static constexpr qsizetype kMaxBodyBytes = 32 * 1024 * 1024;

protected:
    // One SSE event whose data is a JSON object without an "error" member.
    virtual void onEvent(const QString& eventName, const QJsonObject& data) = 0;
    // A whole response: the non-streamed body, or a server that ignored "stream": true.
    virtual void onBody(const QJsonObject& body) = 0;
    // {"error":…} inside a 2xx answer (a data line, an error event, the raw tail): the failure,
    // mapped like an HTTP error of the status the object names (0 when none).
    virtual ProviderFailure errorFromJson(const QJsonObject& root) const = 0;
    // Data that is not a JSON object, before it counts as invalid: true when handled
    // (OpenAI's [DONE]).
    virtual bool onRawData(const QByteArray& data) {
        Q_UNUSED(data)
        return false;
    }
    // True when the stream may end here although no end marker came (Gemini has none: a
    // finishReason seen is enough).
    virtual bool completeWithoutEndMarker() const { return false; }

    void emitText(const QString& text);
    void emitFinish(FinishReason reason);    // the first one counts, later ones are dropped
    void emitUsage(const TokenUsage& usage); // dropped when unchanged
    void emitModel(const QString& model);    // dropped when empty or unchanged
    void emitFailure(const ProviderFailure& failure);
    void markEnded(); // the end marker: later events are ignored

    bool ended() const { return ended_; }
    bool failed() const { return failed_; }
    bool finishSeen() const { return finishSeen_; }
    bool streaming() const { return streaming_; }

private:
    void handleEvent(const SseEvent& event);
    void handleTail();
    void handleWholeBody(const QByteArray& body);
    QList<StreamEvent> takePending();

    bool streaming_;
    SseParser sse_;
    QByteArray body_;
    QList<StreamEvent> pending_;
    bool sawEvent_ = false;
    bool ended_ = false;
    bool failed_ = false;
    bool finished_ = false;
    bool finishSeen_ = false;
    TokenUsage lastUsage_;
    bool usageSent_ = false;
    QString lastModel_;
};

} // namespace omega
