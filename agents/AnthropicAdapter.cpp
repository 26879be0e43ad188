#include "AnthropicAdapter.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace omega {

namespace {

QNetworkRequest withHeaders(QNetworkRequest request, const QString& apiKey) {
    if (!apiKey.isEmpty())
        request.setRawHeader("x-api-key", apiKey.toUtf8());
    request.setRawHeader("anthropic-version", AnthropicAdapter::kApiVersion);
    return request;
}

FinishReason finishFromString(const QString& reason) {
    if (reason == QLatin1String("end_turn") || reason == QLatin1String("stop_sequence"))
        return FinishReason::Stop;
    if (reason == QLatin1String("max_tokens") ||
        reason == QLatin1String("model_context_window_exceeded"))
        return FinishReason::MaxTokens;
    if (reason == QLatin1String("refusal"))
        return FinishReason::ContentFiltered;
    return FinishReason::Other; // tool_use, pause_turn, …
}

class AnthropicDecoder final : public JsonStreamDecoder {
public:
    explicit AnthropicDecoder(bool streaming)
        : JsonStreamDecoder(streaming) {}

protected:
    void onEvent(const QString& eventName, const QJsonObject& data) override {
        QString type = data.value(QLatin1String("type")).toString();
        if (type.isEmpty())
            type = eventName;
        if (type == QLatin1String("message_start")) {
            const QJsonObject message = data.value(QLatin1String("message")).toObject();
            emitModel(message.value(QLatin1String("model")).toString());
            readUsage(message.value(QLatin1String("usage")).toObject());
        } else if (type == QLatin1String("content_block_start")) {
            const QJsonObject block = data.value(QLatin1String("content_block")).toObject();
            if (block.value(QLatin1String("type")).toString() == QLatin1String("text"))
                emitText(block.value(QLatin1String("text")).toString());
        } else if (type == QLatin1String("content_block_delta")) {
            const QJsonObject delta = data.value(QLatin1String("delta")).toObject();
            // thinking_delta, signature_delta, input_json_delta are not the answer's text.
            if (delta.value(QLatin1String("type")).toString() == QLatin1String("text_delta"))
                emitText(delta.value(QLatin1String("text")).toString());
        } else if (type == QLatin1String("message_delta")) {
            const QString reason = data.value(QLatin1String("delta"))
                                       .toObject()
                                       .value(QLatin1String("stop_reason"))
                                       .toString();
            if (!reason.isEmpty())
                emitFinish(finishFromString(reason));
            readUsage(data.value(QLatin1String("usage")).toObject());
        } else if (type == QLatin1String("message_stop")) {
            markEnded();
        }
        // ping, content_block_stop and event types added later: nothing to do.
    }

    void onBody(const QJsonObject& body) override {
        if (body.value(QLatin1String("type")).toString() != QLatin1String("message")) {
            ProviderFailure f;
            f.category = ErrorCategory::ProviderBadResponse;
            f.message = QStringLiteral("the answer is not an Anthropic message");
            emitFailure(f);
            return;
        }
        emitModel(body.value(QLatin1String("model")).toString());
        QString text;
        const QJsonArray content = body.value(QLatin1String("content")).toArray();
        for (const QJsonValue& value : content) {
            const QJsonObject block = value.toObject();
            if (block.value(QLatin1String("type")).toString() == QLatin1String("text"))
                text += block.value(QLatin1String("text")).toString();
        }
        emitText(text);
        const QString reason = body.value(QLatin1String("stop_reason")).toString();
        if (!reason.isEmpty())
            emitFinish(finishFromString(reason));
        readUsage(body.value(QLatin1String("usage")).toObject());
    }

    ProviderFailure errorFromJson(const QJsonObject& root) const override {
        return AnthropicAdapter::failureFromError(0, root);
    }

private:
    // message_start has input_tokens (and output_tokens 1); message_delta the cumulative
    // output_tokens (and, lately, input_tokens again).
    void readUsage(const QJsonObject& usage) {
        if (usage.isEmpty())
            return;
        const int input = usage.value(QLatin1String("input_tokens")).toInt(-1);
        const int output = usage.value(QLatin1String("output_tokens")).toInt(-1);
        if (input >= 0)
            usage_.input = input;
        if (output >= 0)
            usage_.output = output;
        if (usage_.input >= 0 && usage_.output >= 0)
            usage_.total = usage_.input + usage_.output;
        emitUsage(usage_);
    }

    TokenUsage usage_;
};

} // namespace

QNetworkRequest AnthropicAdapter::chatRequest(const ProviderConfig& config,
                                              const QString& apiKey) const {
    return withHeaders(
        jsonRequest(endpointUrl(config.endpoint, QStringLiteral("/v1/messages")), config.stream),
        apiKey);
}

QByteArray AnthropicAdapter::chatBody(const ProviderConfig& config,
                                      const ChatRequest& request) const {
    QJsonArray messages;
    for (const ChatMessage& message : request.messages) {
        messages.append(
            QJsonObject{{QStringLiteral("role"), message.role == ChatMessage::Role::Assistant
                                                     ? QStringLiteral("assistant")
                                                     : QStringLiteral("user")},
                        {QStringLiteral("content"), message.text}});
    }
    QJsonObject body{{QStringLiteral("model"), config.model.trimmed()},
                     {QStringLiteral("max_tokens"), config.maxTokens},
                     {QStringLiteral("messages"), messages},
                     {QStringLiteral("temperature"), qBound(0.0, config.temperature, 1.0)},
                     {QStringLiteral("stream"), config.stream}};
    if (!request.system.isEmpty())
        body.insert(QStringLiteral("system"), request.system);
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

std::unique_ptr<ResponseDecoder>
AnthropicAdapter::createDecoder(const ProviderConfig& config) const {
    return std::make_unique<AnthropicDecoder>(config.stream);
}

ProviderFailure AnthropicAdapter::parseError(int httpStatus, const QByteArray& body,
                                             const RawHeaders& headers) const {
    const std::optional<QJsonObject> root = parseJsonObject(body);
    if (!root || !root->value(QLatin1String("error")).isObject()) {
        ProviderFailure f = failureForUnreadableBody(httpStatus, body);
        f.retryAfterMs = retryAfterFromHeaders(headers);
        return f;
    }
    return failureFromError(httpStatus, *root, headers);
}

QNetworkRequest AnthropicAdapter::testRequest(const ProviderConfig& config,
                                              const QString& apiKey) const {
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("limit"), QStringLiteral("1"));
    return withHeaders(
        jsonRequest(endpointUrl(config.endpoint, QStringLiteral("/v1/models"), query), false),
        apiKey);
}

ProviderFailure AnthropicAdapter::failureFromError(int httpStatus, const QJsonObject& root,
                                                   const RawHeaders& headers) {
    const QJsonObject error = root.value(QLatin1String("error")).toObject();
    const QString type = error.value(QLatin1String("type")).toString();
    const QString message = error.value(QLatin1String("message")).toString();

    ProviderFailure f = failureForStatus(httpStatus);
    f.providerCode = type;
    auto set = [&f](ErrorCategory category, bool retryable) {
        f.category = category;
        f.retryable = retryable;
    };
    if (type == QLatin1String("authentication_error") || type == QLatin1String("permission_error"))
        set(ErrorCategory::ProviderAuth, false);
    else if (type == QLatin1String("not_found_error"))
        set(ErrorCategory::ProviderNotFound, false);
    else if (type == QLatin1String("rate_limit_error"))
        set(ErrorCategory::ProviderRateLimited, true);
    else if (type == QLatin1String("billing_error") ||
             message.contains(QLatin1String("credit balance"), Qt::CaseInsensitive))
        set(ErrorCategory::ProviderQuota, false);
    else if (type == QLatin1String("invalid_request_error") ||
             type == QLatin1String("request_too_large"))
        set(ErrorCategory::Usage, false);
    else if (type == QLatin1String("overloaded_error") || type == QLatin1String("api_error") ||
             type == QLatin1String("timeout_error"))
        set(ErrorCategory::ProviderUnavailable, true);
    // Unknown types keep the status's mapping (an error event without a status: retryable).

    f.retryAfterMs = retryAfterFromHeaders(headers);
    describeFailure(&f, message);
    return f;
}

} // namespace omega
