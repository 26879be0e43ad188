#include "OpenAIAdapter.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace omega {

namespace {

// OpenAI's reasoning models reject any temperature but the default.
bool onlyDefaultTemperature(const ProviderConfig& config) {
    if (config.type != ProviderType::OpenAI && config.type != ProviderType::AzureOpenAI)
        return false;
    const QString model = config.model.trimmed().toLower();
    static const QRegularExpression reasoning(QStringLiteral("^(o[1-9]|gpt-5)"));
    return reasoning.match(model).hasMatch() && !model.contains(QLatin1String("chat"));
}

FinishReason finishFromString(const QString& reason) {
    if (reason == QLatin1String("stop"))
        return FinishReason::Stop;
    if (reason == QLatin1String("length"))
        return FinishReason::MaxTokens;
    if (reason == QLatin1String("content_filter"))
        return FinishReason::ContentFiltered;
    return FinishReason::Other; // tool_calls, function_call, …
}

TokenUsage usageFrom(const QJsonObject& usage) {
    TokenUsage u;
    u.input = usage.value(QLatin1String("prompt_tokens")).toInt(-1);
    u.output = usage.value(QLatin1String("completion_tokens")).toInt(-1);
    u.total = usage.value(QLatin1String("total_tokens")).toInt(-1);
    return u;
}

QString codeString(const QJsonValue& value) {
    if (value.isString())
        return value.toString();
    if (value.isDouble())
        return QString::number(value.toInt());
    return QString();
}

// Azure's blocked prompt names the filters that fired: "jailbreak, violence (medium)".
QString firedFilters(const QJsonObject& error) {
    const QJsonObject results = error.value(QLatin1String("innererror"))
                                    .toObject()
                                    .value(QLatin1String("content_filter_result"))
                                    .toObject();
    QStringList fired;
    for (auto it = results.begin(); it != results.end(); ++it) {
        const QJsonObject r = it.value().toObject();
        if (!r.value(QLatin1String("filtered")).toBool())
            continue;
        const QString severity = r.value(QLatin1String("severity")).toString();
        fired << (severity.isEmpty() || severity == QLatin1String("safe")
                      ? it.key()
                      : QStringLiteral("%1 (%2)").arg(it.key(), severity));
    }
    return fired.join(QStringLiteral(", "));
}

} // namespace

OpenAIAdapter::OpenAIAdapter(ProviderType type)
    : type_(type == ProviderType::OpenAICompatible ? type : ProviderType::OpenAI) {}

QNetworkRequest OpenAIAdapter::chatRequest(const ProviderConfig& config,
                                           const QString& apiKey) const {
    QNetworkRequest request = jsonRequest(
        endpointUrl(config.endpoint, QStringLiteral("/chat/completions")), config.stream);
    if (!apiKey.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + apiKey.toUtf8());
    return request;
}

QByteArray OpenAIAdapter::chatBody(const ProviderConfig& config, const ChatRequest& request) const {
    const QString tokenField = type_ == ProviderType::OpenAICompatible
                                   ? QStringLiteral("max_tokens")
                                   : QStringLiteral("max_completion_tokens");
    return QJsonDocument(chatCompletionsBody(config, request, config.model, tokenField))
        .toJson(QJsonDocument::Compact);
}

std::unique_ptr<ResponseDecoder> OpenAIAdapter::createDecoder(const ProviderConfig& config) const {
    return std::make_unique<ChatCompletionsDecoder>(config.stream);
}

ProviderFailure OpenAIAdapter::parseError(int httpStatus, const QByteArray& body,
                                          const RawHeaders& headers) const {
    return chatCompletionsParseError(httpStatus, body, headers);
}

QNetworkRequest OpenAIAdapter::testRequest(const ProviderConfig& config,
                                           const QString& apiKey) const {
    QNetworkRequest request =
        jsonRequest(endpointUrl(config.endpoint, QStringLiteral("/models")), false);
    if (!apiKey.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + apiKey.toUtf8());
    return request;
}

QJsonObject chatCompletionsBody(const ProviderConfig& config, const ChatRequest& request,
                                const QString& model, const QString& tokenLimitField) {
    QJsonArray messages;
    if (!request.system.isEmpty())
        messages.append(QJsonObject{{QStringLiteral("role"), QStringLiteral("system")},
                                    {QStringLiteral("content"), request.system}});
    for (const ChatMessage& message : request.messages) {
        messages.append(
            QJsonObject{{QStringLiteral("role"), message.role == ChatMessage::Role::Assistant
                                                     ? QStringLiteral("assistant")
                                                     : QStringLiteral("user")},
                        {QStringLiteral("content"), message.text}});
    }
    QJsonObject body;
    if (!model.isEmpty())
        body.insert(QStringLiteral("model"), model);
    body.insert(QStringLiteral("messages"), messages);
    if (!onlyDefaultTemperature(config))
        body.insert(QStringLiteral("temperature"), config.temperature);
    body.insert(tokenLimitField, config.maxTokens);
    body.insert(QStringLiteral("stream"), config.stream);
    if (config.stream)
        body.insert(QStringLiteral("stream_options"),
                    QJsonObject{{QStringLiteral("include_usage"), true}});
    return body;
}

void ChatCompletionsDecoder::onEvent(const QString& eventName, const QJsonObject& data) {
    Q_UNUSED(eventName)
    readChunk(data, QLatin1String("delta"));
}

void ChatCompletionsDecoder::onBody(const QJsonObject& body) {
    if (!body.value(QLatin1String("choices")).isArray()) {
        ProviderFailure f;
        f.category = ErrorCategory::ProviderBadResponse;
        f.message = QStringLiteral("the answer has no \"choices\": not a chat completion");
        emitFailure(f);
        return;
    }
    readChunk(body, QLatin1String("message"));
}

bool ChatCompletionsDecoder::onRawData(const QByteArray& data) {
    if (data != "[DONE]")
        return false;
    markEnded();
    return true;
}

void ChatCompletionsDecoder::readChunk(const QJsonObject& chunk, const QLatin1String& messageKey) {
    emitModel(chunk.value(QLatin1String("model")).toString());
    const QJsonArray choices = chunk.value(QLatin1String("choices")).toArray();
    for (const QJsonValue& value : choices) {
        const QJsonObject choice = value.toObject();
        if (choice.value(QLatin1String("index")).toInt(0) != 0)
            continue; // we ask for one choice; ignore any other
        const QJsonValue content =
            choice.value(messageKey).toObject().value(QLatin1String("content"));
        if (content.isString())
            emitText(content.toString());
        const QJsonValue reason = choice.value(QLatin1String("finish_reason"));
        if (reason.isString() && !reason.toString().isEmpty())
            emitFinish(finishFromString(reason.toString()));
    }
    const QJsonValue usage = chunk.value(QLatin1String("usage"));
    if (usage.isObject())
        emitUsage(usageFrom(usage.toObject()));
}

ProviderFailure ChatCompletionsDecoder::errorFromJson(const QJsonObject& root) const {
    return chatCompletionsFailure(0, root, {});
}

ProviderFailure chatCompletionsFailure(int httpStatus, const QJsonObject& root,
                                       const RawHeaders& headers) {
    const QJsonValue errorValue = root.value(QLatin1String("error"));
    const QJsonObject error = errorValue.toObject();
    const QString message = errorValue.isString()
                                ? errorValue.toString()
                                : error.value(QLatin1String("message")).toString();
    const QString code = codeString(error.value(QLatin1String("code")));
    const QString type = error.value(QLatin1String("type")).toString();

    int status = httpStatus;
    if (status == 0) {
        const int numeric = code.toInt();
        if (numeric >= 400 && numeric < 600)
            status = numeric;
        else if (error.value(QLatin1String("status")).isDouble())
            status = error.value(QLatin1String("status")).toInt();
    }
    ProviderFailure f = failureForStatus(status);
    f.providerCode = code.isEmpty() || code.toInt() > 0 ? (type.isEmpty() ? code : type) : code;

    const QString lowerMessage = message.toLower();
    static const QRegularExpression quotaWords(
        QStringLiteral("\\bquota\\b|\\bbilling\\b|\\bcredit balance\\b"));
    const bool retryHint = retryAfterFromMessage(message) >= 0;
    QString whatHappened;

    // Azure's content filter, and OpenAI's moderation block of the prompt (invalid_prompt).
    if (code == QLatin1String("content_filter") || code == QLatin1String("invalid_prompt")) {
        f.category = ErrorCategory::ContentFiltered;
        f.retryable = false;
        const QString fired = firedFilters(error);
        whatHappened = fired.isEmpty()
                           ? QStringLiteral("the provider's content filter blocked the prompt")
                           : QStringLiteral("the provider's content filter blocked the prompt "
                                            "[%1]")
                                 .arg(fired);
    } else if (code == QLatin1String("insufficient_quota") ||
               type == QLatin1String("insufficient_quota") ||
               code.compare(QLatin1String("InsufficientQuota"), Qt::CaseInsensitive) == 0 ||
               ((status == 429 || status == 403 || status == 402) && !retryHint &&
                code != QLatin1String("rate_limit_exceeded") &&
                quotaWords.match(lowerMessage).hasMatch())) {
        f.category = ErrorCategory::ProviderQuota;
        f.retryable = false;
    } else if (code == QLatin1String("rate_limit_exceeded")) {
        f.category = ErrorCategory::ProviderRateLimited;
        f.retryable = true;
    } else if (code == QLatin1String("context_length_exceeded")) {
        f.category = ErrorCategory::Usage;
        f.retryable = false;
        whatHappened = QStringLiteral("the prompt is too long for the model");
    } else if (code == QLatin1String("model_not_found") ||
               code == QLatin1String("DeploymentNotFound")) {
        f.category = ErrorCategory::ProviderNotFound;
        f.retryable = false;
    } else if (code == QLatin1String("invalid_api_key") || status == 401) {
        f.category = ErrorCategory::ProviderAuth;
        f.retryable = false;
    } else if (httpStatus == 0 && status == 0 &&
               (type == QLatin1String("invalid_request_error") ||
                type == QLatin1String("invalid_request"))) {
        f.category = ErrorCategory::Usage; // an error chunk about our request: not transient
        f.retryable = false;
    }
    // Anything else keeps the status's mapping; an error chunk without a status stays
    // ProviderUnavailable (server_error, a local server's failure mid-stream): retryable.

    f.retryAfterMs = retryAfterFromHeaders(headers);
    if (f.retryAfterMs < 0)
        f.retryAfterMs = retryAfterFromMessage(message);
    describeFailure(&f, message, whatHappened);
    return f;
}

ProviderFailure chatCompletionsParseError(int httpStatus, const QByteArray& body,
                                          const RawHeaders& headers) {
    const std::optional<QJsonObject> root = parseJsonObject(body);
    if (!root || !root->contains(QLatin1String("error"))) {
        ProviderFailure f = failureForUnreadableBody(httpStatus, body);
        f.retryAfterMs = retryAfterFromHeaders(headers);
        return f;
    }
    return chatCompletionsFailure(httpStatus, *root, headers);
}

} // namespace omega
