#include "GeminiAdapter.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace omega {

namespace {

QString modelId(const ProviderConfig& config) {
    QString model = config.model.trimmed();
    if (model.startsWith(QLatin1String("models/")))
        model.remove(0, 7);
    return model;
}

QNetworkRequest withKey(QNetworkRequest request, const QString& apiKey) {
    if (!apiKey.isEmpty())
        request.setRawHeader("x-goog-api-key", apiKey.toUtf8());
    return request;
}

FinishReason finishFromString(const QString& reason) {
    if (reason == QLatin1String("STOP"))
        return FinishReason::Stop;
    if (reason == QLatin1String("MAX_TOKENS"))
        return FinishReason::MaxTokens;
    // The output was blocked: safety, recitation (copyrighted text), term blocklist, …
    static const QStringList blocked{QStringLiteral("SAFETY"),
                                     QStringLiteral("RECITATION"),
                                     QStringLiteral("BLOCKLIST"),
                                     QStringLiteral("PROHIBITED_CONTENT"),
                                     QStringLiteral("SPII"),
                                     QStringLiteral("IMAGE_SAFETY"),
                                     QStringLiteral("IMAGE_PROHIBITED_CONTENT")};
    if (blocked.contains(reason))
        return FinishReason::ContentFiltered;
    return FinishReason::Other; // OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, …
}

TokenUsage usageFrom(const QJsonObject& usage) {
    TokenUsage u;
    u.input = usage.value(QLatin1String("promptTokenCount")).toInt(-1);
    const int candidates = usage.value(QLatin1String("candidatesTokenCount")).toInt(-1);
    const int thoughts = usage.value(QLatin1String("thoughtsTokenCount")).toInt(-1);
    // Thinking tokens are billed as output.
    if (candidates >= 0 || thoughts >= 0)
        u.output = qMax(0, candidates) + qMax(0, thoughts);
    u.total = usage.value(QLatin1String("totalTokenCount")).toInt(-1);
    return u;
}

// google.protobuf.Duration in JSON: "43s", "1.500s".
int durationMs(const QString& duration) {
    QString d = duration.trimmed();
    if (!d.endsWith(QLatin1Char('s')))
        return -1;
    d.chop(1);
    bool ok = false;
    const double seconds = d.toDouble(&ok);
    return ok && seconds >= 0 ? int(qMin(seconds, 86400.0) * 1000.0) : -1;
}

class GeminiDecoder final : public JsonStreamDecoder {
public:
    explicit GeminiDecoder(bool streaming)
        : JsonStreamDecoder(streaming) {}

protected:
    void onEvent(const QString& eventName, const QJsonObject& data) override {
        Q_UNUSED(eventName)
        read(data, false);
    }
    void onBody(const QJsonObject& body) override { read(body, true); }
    ProviderFailure errorFromJson(const QJsonObject& root) const override {
        return GeminiAdapter::failureFromError(0, root);
    }
    bool completeWithoutEndMarker() const override { return finishSeen(); }

private:
    void read(const QJsonObject& response, bool whole) {
        emitModel(response.value(QLatin1String("modelVersion")).toString());
        const QJsonArray candidates = response.value(QLatin1String("candidates")).toArray();
        if (candidates.isEmpty()) {
            const QString blockReason = response.value(QLatin1String("promptFeedback"))
                                            .toObject()
                                            .value(QLatin1String("blockReason"))
                                            .toString();
            if (!blockReason.isEmpty()) {
                ProviderFailure f;
                f.category = ErrorCategory::ContentFiltered;
                f.retryable = false;
                f.providerCode = blockReason;
                f.message = QStringLiteral("Gemini blocked the prompt (%1) before answering")
                                .arg(blockReason);
                emitFailure(f);
                return;
            }
            if (whole && !response.contains(QLatin1String("usageMetadata"))) {
                ProviderFailure f;
                f.category = ErrorCategory::ProviderBadResponse;
                f.message = QStringLiteral("the answer has no candidates: not a Gemini response");
                emitFailure(f);
                return;
            }
        }
        if (!candidates.isEmpty()) {
            const QJsonObject candidate = candidates.first().toObject();
            QString text;
            const QJsonArray parts = candidate.value(QLatin1String("content"))
                                         .toObject()
                                         .value(QLatin1String("parts"))
                                         .toArray();
            for (const QJsonValue& value : parts) {
                const QJsonObject part = value.toObject();
                if (part.value(QLatin1String("thought")).toBool())
                    continue; // the model's thinking summary, not the answer
                text += part.value(QLatin1String("text")).toString();
            }
            emitText(text);
            const QString reason = candidate.value(QLatin1String("finishReason")).toString();
            if (!reason.isEmpty() && reason != QLatin1String("FINISH_REASON_UNSPECIFIED"))
                emitFinish(finishFromString(reason));
        }
        const QJsonValue usage = response.value(QLatin1String("usageMetadata"));
        if (usage.isObject())
            emitUsage(usageFrom(usage.toObject()));
    }
};

} // namespace

QNetworkRequest GeminiAdapter::chatRequest(const ProviderConfig& config,
                                           const QString& apiKey) const {
    const QString method = config.stream ? QStringLiteral(":streamGenerateContent")
                                         : QStringLiteral(":generateContent");
    QUrlQuery query;
    if (config.stream)
        query.addQueryItem(QStringLiteral("alt"), QStringLiteral("sse"));
    const QUrl url = endpointUrl(
        config.endpoint, QStringLiteral("/v1beta/models/") + pathSegment(modelId(config)) + method,
        query);
    return withKey(jsonRequest(url, config.stream), apiKey);
}

QByteArray GeminiAdapter::chatBody(const ProviderConfig& config, const ChatRequest& request) const {
    QJsonObject body;
    if (!request.system.isEmpty()) {
        body.insert(
            QStringLiteral("systemInstruction"),
            QJsonObject{{QStringLiteral("parts"),
                         QJsonArray{QJsonObject{{QStringLiteral("text"), request.system}}}}});
    }
    QJsonArray contents;
    for (const ChatMessage& message : request.messages) {
        contents.append(
            QJsonObject{{QStringLiteral("role"), message.role == ChatMessage::Role::Assistant
                                                     ? QStringLiteral("model")
                                                     : QStringLiteral("user")},
                        {QStringLiteral("parts"),
                         QJsonArray{QJsonObject{{QStringLiteral("text"), message.text}}}}});
    }
    body.insert(QStringLiteral("contents"), contents);
    body.insert(QStringLiteral("generationConfig"),
                QJsonObject{{QStringLiteral("temperature"), config.temperature},
                            {QStringLiteral("maxOutputTokens"), config.maxTokens}});
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

std::unique_ptr<ResponseDecoder> GeminiAdapter::createDecoder(const ProviderConfig& config) const {
    return std::make_unique<GeminiDecoder>(config.stream);
}

ProviderFailure GeminiAdapter::parseError(int httpStatus, const QByteArray& body,
                                          const RawHeaders& headers) const {
    const std::optional<QJsonObject> root = parseJsonObject(body);
    ProviderFailure f;
    if (!root || !root->value(QLatin1String("error")).isObject())
        f = failureForUnreadableBody(httpStatus, body);
    else
        f = failureFromError(httpStatus, *root);
    if (f.retryAfterMs < 0) // Google gives RetryInfo, not Retry-After; a proxy may
        f.retryAfterMs = retryAfterFromHeaders(headers);
    return f;
}

QNetworkRequest GeminiAdapter::testRequest(const ProviderConfig& config,
                                           const QString& apiKey) const {
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("pageSize"), QStringLiteral("1"));
    return withKey(
        jsonRequest(endpointUrl(config.endpoint, QStringLiteral("/v1beta/models"), query), false),
        apiKey);
}

ProviderFailure GeminiAdapter::failureFromError(int httpStatus, const QJsonObject& root) {
    const QJsonObject error = root.value(QLatin1String("error")).toObject();
    const QString message = error.value(QLatin1String("message")).toString();
    const QString rpcStatus = error.value(QLatin1String("status")).toString();
    const int status = httpStatus > 0 ? httpStatus : error.value(QLatin1String("code")).toInt();

    QString reason;
    int retryDelayMs = -1;
    bool longPeriodQuota = false; // a per-day (or longer) limit: waiting seconds will not help
    const QJsonArray details = error.value(QLatin1String("details")).toArray();
    for (const QJsonValue& value : details) {
        const QJsonObject detail = value.toObject();
        const QString type = detail.value(QLatin1String("@type")).toString();
        if (type.endsWith(QLatin1String("google.rpc.ErrorInfo"))) {
            reason = detail.value(QLatin1String("reason")).toString();
        } else if (type.endsWith(QLatin1String("google.rpc.RetryInfo"))) {
            retryDelayMs = durationMs(detail.value(QLatin1String("retryDelay")).toString());
        } else if (type.endsWith(QLatin1String("google.rpc.QuotaFailure"))) {
            const QJsonArray violations = detail.value(QLatin1String("violations")).toArray();
            for (const QJsonValue& v : violations) {
                const QJsonObject violation = v.toObject();
                const QString id = violation.value(QLatin1String("quotaId")).toString() +
                                   violation.value(QLatin1String("quotaMetric")).toString();
                if (id.contains(QLatin1String("PerDay")) || id.contains(QLatin1String("PerMonth")))
                    longPeriodQuota = true;
            }
        }
    }

    // Inside a 2xx stream the object's code stands for the status ("like an HTTP error").
    ProviderFailure f = failureForStatus(status);
    f.providerCode = rpcStatus.isEmpty() ? reason : rpcStatus;
    f.retryAfterMs = retryDelayMs >= 0 ? retryDelayMs : retryAfterFromMessage(message);
    QString whatHappened;

    if (rpcStatus == QLatin1String("INVALID_ARGUMENT") || (rpcStatus.isEmpty() && status == 400)) {
        if (reason == QLatin1String("API_KEY_INVALID") ||
            message.contains(QLatin1String("API key not valid")) ||
            message.contains(QLatin1String("API key expired"))) {
            f.category = ErrorCategory::ProviderAuth;
            f.retryable = false;
            whatHappened = QStringLiteral("the API key was rejected");
        }
    } else if (rpcStatus == QLatin1String("FAILED_PRECONDITION")) {
        // Region not supported, billing not enabled: the account must change, not the request.
        f.category = ErrorCategory::ProviderQuota;
        f.retryable = false;
        whatHappened = QStringLiteral("the Gemini API is not available to this account here "
                                      "(region or billing)");
    } else if (rpcStatus == QLatin1String("PERMISSION_DENIED") ||
               rpcStatus == QLatin1String("UNAUTHENTICATED")) {
        f.category = ErrorCategory::ProviderAuth;
        f.retryable = false;
    } else if (rpcStatus == QLatin1String("NOT_FOUND")) {
        f.category = ErrorCategory::ProviderNotFound;
        f.retryable = false;
    } else if (rpcStatus == QLatin1String("RESOURCE_EXHAUSTED") || status == 429) {
        static const QRegularExpression billing(QStringLiteral("\\bbilling\\b"),
                                                QRegularExpression::CaseInsensitiveOption);
        // Per-day quotas, a model without free quota ("limit: 0"), or a billing problem with no
        // retry delay: waiting will not help. Otherwise a rate limit: wait as told, retry.
        const bool noFreeQuota = message.contains(QLatin1String("limit: 0"));
        if (longPeriodQuota || noFreeQuota ||
            (retryDelayMs < 0 && billing.match(message).hasMatch())) {
            f.category = ErrorCategory::ProviderQuota;
            f.retryable = false;
        } else {
            f.category = ErrorCategory::ProviderRateLimited;
            f.retryable = true;
        }
    } else if (rpcStatus == QLatin1String("INTERNAL") ||
               rpcStatus == QLatin1String("UNAVAILABLE") ||
               rpcStatus == QLatin1String("DEADLINE_EXCEEDED")) {
        f.category = ErrorCategory::ProviderUnavailable;
        f.retryable = true;
    }
    describeFailure(&f, message, whatHappened);
    return f;
}

} // namespace omega
