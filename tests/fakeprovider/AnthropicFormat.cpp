#include "AnthropicFormat.h"

#include <QJsonArray>

namespace omega::fake {

namespace {

const char* stopReasonName(Finish finish) {
    switch (finish) {
    case Finish::Stop:
        return "end_turn";
    case Finish::MaxTokens:
        return "max_tokens";
    case Finish::ContentFilter:
    case Finish::PromptBlocked:
        return "refusal";
    }
    return "end_turn";
}

QByteArray requestId() {
    return "req_011C" + randomToken(20);
}

Json usage(int inputTokens, int outputTokens) {
    return JsonObject{{"input_tokens", inputTokens},
                      {"cache_creation_input_tokens", 0},
                      {"cache_read_input_tokens", 0},
                      {"output_tokens", outputTokens},
                      {"service_tier", "standard"}};
}

} // namespace

HttpHeaders AnthropicFormat::responseHeaders() const {
    return {{"request-id", requestId()},
            {"anthropic-organization-id", randomUuid()},
            {"anthropic-ratelimit-requests-limit", "50"},
            {"anthropic-ratelimit-requests-remaining", "49"},
            {"via", "1.1 google"}};
}

HttpReply AnthropicFormat::error(int status, const char* type, const QString& message) const {
    HttpReply reply =
        jsonReply(status, JsonObject{{"type", "error"},
                                     {"error", JsonObject{{"type", type}, {"message", message}}},
                                     {"request_id", QString::fromLatin1(requestId())}}
                              .text());
    // The SDKs honour this header over their own status-code rules.
    setHeader(reply.headers, "x-should-retry",
              (status == 429 || status >= 500) ? QByteArrayLiteral("true")
                                               : QByteArrayLiteral("false"));
    return reply;
}

std::optional<HttpReply> AnthropicFormat::checkKey(const HttpRequest& request,
                                                   const QString& expectedKey) const {
    if (expectedKey.isEmpty())
        return std::nullopt;
    // x-api-key is the documented header; the SDKs (anthropic 2.x) send Bearer instead.
    QByteArray key = request.header("x-api-key");
    const QByteArray authorization = request.header("authorization");
    if (key.isEmpty() && authorization.startsWith("Bearer "))
        key = authorization.mid(7).trimmed();
    if (key.isEmpty())
        return errorReply(ErrorKind::MissingKey, {});
    if (QString::fromUtf8(key) != expectedKey)
        return errorReply(ErrorKind::BadKey, {});
    return std::nullopt;
}

ParsedRequest AnthropicFormat::parseGeneration(const HttpRequest& request, Endpoint endpoint,
                                               const QString& pathModel) const {
    Q_UNUSED(pathModel)
    ParsedRequest parsed;
    parsed.request.endpoint = endpoint;
    const auto body = parseObject(request.body);
    if (body) {
        parsed.request.model = body->value(QStringLiteral("model")).toString();
        parsed.request.stream = body->value(QStringLiteral("stream")).toBool();
    }
    const auto invalid = [&](const QString& message) {
        parsed.rejection = error(400, "invalid_request_error", message);
        return parsed;
    };
    if (request.header("anthropic-version").isEmpty())
        return invalid(QStringLiteral("anthropic-version: header is required"));
    if (!body) {
        return invalid(QStringLiteral("There was an error parsing the body of your request. "
                                      "Please check that it is valid JSON."));
    }
    if (!body->contains(QStringLiteral("model")))
        return invalid(QStringLiteral("model: Field required"));
    if (!body->contains(QStringLiteral("max_tokens")))
        return invalid(QStringLiteral("max_tokens: Field required"));
    if (body->value(QStringLiteral("max_tokens")).toInt(0) < 1)
        return invalid(QStringLiteral("max_tokens: Input should be greater than or equal to 1"));
    if (!body->contains(QStringLiteral("messages")))
        return invalid(QStringLiteral("messages: Field required"));
    const QJsonValue temperature = body->value(QStringLiteral("temperature"));
    if (temperature.isDouble() && (temperature.toDouble() > 1.0 || temperature.toDouble() < 0.0))
        return invalid(QStringLiteral("temperature: Input should be less than or equal to 1"));

    const QJsonArray messages = body->value(QStringLiteral("messages")).toArray();
    QString promptText = body->value(QStringLiteral("system")).toString();
    for (qsizetype i = 0; i < messages.size(); ++i) {
        const QJsonObject message = messages.at(i).toObject();
        const QString role = message.value(QStringLiteral("role")).toString();
        if (role == QLatin1String("system")) {
            return invalid(QStringLiteral(
                "messages: Unexpected role \"system\". The Messages API accepts a top-level "
                "`system` parameter, not \"system\" as an input message role."));
        }
        if (role != QLatin1String("user") && role != QLatin1String("assistant")) {
            return invalid(
                QStringLiteral("messages.%1.role: Input should be 'user' or 'assistant'").arg(i));
        }
        if (!message.contains(QStringLiteral("content")))
            return invalid(QStringLiteral("messages.%1.content: Field required").arg(i));
        const QJsonValue content = message.value(QStringLiteral("content"));
        if (content.isString()) {
            promptText += content.toString();
        } else {
            for (const auto& block : content.toArray())
                promptText += block.toObject().value(QStringLiteral("text")).toString();
        }
    }
    parsed.request.promptTokens = tokenEstimate(promptText);
    return parsed;
}

std::optional<HttpReply> AnthropicFormat::errorReply(ErrorKind kind,
                                                     const ErrorDetails& details) const {
    switch (kind) {
    case ErrorKind::MissingKey:
        return error(401, "authentication_error", QStringLiteral("x-api-key header is required"));
    case ErrorKind::BadKey:
        return error(401, "authentication_error", QStringLiteral("invalid x-api-key"));
    case ErrorKind::Forbidden:
        return error(403, "permission_error",
                     QStringLiteral("Your API key does not have permission to use the specified "
                                    "resource."));
    case ErrorKind::NotFound:
        return error(404, "not_found_error", QStringLiteral("model: %1").arg(details.model));
    case ErrorKind::RateLimit: {
        HttpReply reply = error(
            429, "rate_limit_error",
            QStringLiteral("This request would exceed the rate limit for your organization of 50 "
                           "requests per minute. For details, refer to: "
                           "https://docs.claude.com/en/api/rate-limits. You can see the response "
                           "headers for current usage. Please reduce the prompt length or the "
                           "maximum tokens requested, or try again later."));
        setHeader(reply.headers, "retry-after", QByteArray::number(details.retryAfterSeconds));
        setHeader(reply.headers, "anthropic-ratelimit-requests-remaining", "0");
        return reply;
    }
    case ErrorKind::Quota:
        // Out of prepaid credit: a 400, not a 429 — retrying never helps.
        return error(400, "invalid_request_error",
                     QStringLiteral("Your credit balance is too low to access the Anthropic API. "
                                    "Please go to Plans & Billing to upgrade or purchase "
                                    "credits."));
    case ErrorKind::ServerError:
        return error(500, "api_error", QStringLiteral("Internal server error"));
    case ErrorKind::Unavailable: // Anthropic reports unavailability as overload
    case ErrorKind::Overloaded:
    case ErrorKind::StreamError:
        return error(529, "overloaded_error", QStringLiteral("Overloaded"));
    case ErrorKind::PromptBlocked:
        return std::nullopt; // 200, no content, stop_reason "refusal"
    case ErrorKind::UnknownPath:
        return error(404, "not_found_error", QStringLiteral("Not Found"));
    }
    return std::nullopt;
}

HttpReply AnthropicFormat::completeAnswer(const Completion& completion,
                                          const GenerationRequest& request) const {
    QList<Json> content;
    if (!completion.deltas.isEmpty())
        content << JsonObject{{"type", "text"}, {"text", completion.text()}};
    const Json body =
        JsonObject{{"id", QStringLiteral("msg_01") + QString::fromLatin1(randomToken(22))},
                   {"type", "message"},
                   {"role", "assistant"},
                   {"model", request.model},
                   {"content", content},
                   {"stop_reason", stopReasonName(completion.finish)},
                   {"stop_sequence", Json()},
                   {"usage", usage(completion.promptTokens, completion.completionTokens)}};
    return jsonReply(200, body.text());
}

HttpReply AnthropicFormat::streamHead(const GenerationRequest& request) const {
    Q_UNUSED(request)
    HttpReply reply;
    reply.chunked = true;
    reply.headers = {{"Content-Type", "text/event-stream; charset=utf-8"},
                     {"Cache-Control", "no-cache"}};
    reply.headers += responseHeaders();
    return reply;
}

QList<QByteArray> AnthropicFormat::streamEvents(const Completion& completion,
                                                const GenerationRequest& request) const {
    const QByteArray newline = completion.crlf ? "\r\n" : "\n";
    const auto event = [&](const char* name, const QByteArray& data) {
        return QByteArray("event: ") + name + newline + "data: " + data + newline + newline;
    };
    const auto ping = [&] { return event("ping", "{\"type\": \"ping\"}"); }; // sic: spaced

    const Json message =
        JsonObject{{"id", QStringLiteral("msg_01") + QString::fromLatin1(randomToken(22))},
                   {"type", "message"},
                   {"role", "assistant"},
                   {"model", request.model},
                   {"content", QList<Json>{}},
                   {"stop_reason", Json()},
                   {"stop_sequence", Json()},
                   {"usage", usage(completion.promptTokens, 1)}};
    QList<QByteArray> events;
    events << event("message_start",
                    JsonObject{{"type", "message_start"}, {"message", message}}.text());
    if (completion.finish != Finish::PromptBlocked) {
        events << event("content_block_start",
                        JsonObject{{"type", "content_block_start"},
                                   {"index", 0},
                                   {"content_block", JsonObject{{"type", "text"}, {"text", ""}}}}
                            .text());
    }
    events << ping();
    const auto textDelta = [&](const QString& text) {
        return event("content_block_delta",
                     JsonObject{{"type", "content_block_delta"},
                                {"index", 0},
                                {"delta", JsonObject{{"type", "text_delta"}, {"text", text}}}}
                         .text());
    };
    for (qsizetype i = 0; i < completion.deltas.size(); ++i) {
        events << textDelta(completion.deltas.at(i));
        if (completion.emptyDeltas && i % 4 == 1) {
            events << textDelta(QString());
            events << ping();
        }
    }
    if (completion.finish != Finish::PromptBlocked) {
        events << event("content_block_stop",
                        JsonObject{{"type", "content_block_stop"}, {"index", 0}}.text());
    }
    events << event(
        "message_delta",
        JsonObject{{"type", "message_delta"},
                   {"delta", JsonObject{{"stop_reason", stopReasonName(completion.finish)},
                                        {"stop_sequence", Json()}}},
                   {"usage", JsonObject{{"output_tokens", completion.completionTokens}}}}
            .text());
    events << event("message_stop", JsonObject{{"type", "message_stop"}}.text());
    return events;
}

QByteArray AnthropicFormat::streamErrorEvent(const GenerationRequest& request, bool crlf) const {
    Q_UNUSED(request)
    const QByteArray newline = crlf ? "\r\n" : "\n";
    const Json error =
        JsonObject{{"type", "error"},
                   {"error", JsonObject{{"type", "overloaded_error"}, {"message", "Overloaded"}}},
                   {"request_id", QString::fromLatin1(requestId())}};
    return "event: error" + newline + "data: " + error.text() + newline + newline;
}

HttpReply AnthropicFormat::modelList(const QStringList& models) const {
    QList<Json> data;
    for (const QString& model : models) {
        data << JsonObject{{"type", "model"},
                           {"id", model},
                           {"display_name", model},
                           {"created_at", "2025-09-29T00:00:00Z"}};
    }
    return jsonReply(200, JsonObject{{"data", data},
                                     {"has_more", false},
                                     {"first_id", models.isEmpty() ? Json() : Json(models.first())},
                                     {"last_id", models.isEmpty() ? Json() : Json(models.last())}}
                              .text());
}

} // namespace omega::fake
