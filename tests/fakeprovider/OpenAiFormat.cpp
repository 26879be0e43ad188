#include "OpenAiFormat.h"

#include <QJsonArray>

namespace omega::fake {

namespace {

const char* finishReasonName(Finish finish) {
    switch (finish) {
    case Finish::Stop:
        return "stop";
    case Finish::MaxTokens:
        return "length";
    case Finish::ContentFilter:
    case Finish::PromptBlocked:
        return "content_filter";
    }
    return "stop";
}

Json severity(bool filtered) {
    return JsonObject{{"filtered", filtered}, {"severity", filtered ? "high" : "safe"}};
}

// Azure's content filter verdicts, in Azure's (alphabetical) member order.
Json contentFilterResults(bool violence) {
    return JsonObject{{"hate", severity(false)},
                      {"self_harm", severity(false)},
                      {"sexual", severity(false)},
                      {"violence", severity(violence)}};
}

Json promptFilterResults() {
    return QList<Json>{
        JsonObject{{"prompt_index", 0},
                   {"content_filter_results",
                    JsonObject{{"hate", severity(false)},
                               {"jailbreak", JsonObject{{"filtered", false}, {"detected", false}}},
                               {"self_harm", severity(false)},
                               {"sexual", severity(false)},
                               {"violence", severity(false)}}}}};
}

Json usage(const Completion& completion) {
    return JsonObject{
        {"prompt_tokens", completion.promptTokens},
        {"completion_tokens", completion.completionTokens},
        {"total_tokens", completion.promptTokens + completion.completionTokens},
        {"prompt_tokens_details", JsonObject{{"cached_tokens", 0}, {"audio_tokens", 0}}},
        {"completion_tokens_details", JsonObject{{"reasoning_tokens", 0},
                                                 {"audio_tokens", 0},
                                                 {"accepted_prediction_tokens", 0},
                                                 {"rejected_prediction_tokens", 0}}}};
}

QString bearerToken(const HttpRequest& request) {
    const QByteArray authorization = request.header("authorization");
    if (authorization.startsWith("Bearer ") || authorization.startsWith("bearer "))
        return QString::fromUtf8(authorization.mid(7).trimmed());
    return {};
}

// The fixed identity of one response (all chunks of a stream share it).
struct Identity {
    QByteArray id = "chatcmpl-" + randomToken(29);
    qint64 created = nowSeconds();
    QByteArray fingerprint = "fp_" + randomHex(10);
};

} // namespace

HttpHeaders OpenAiFormat::responseHeaders() const {
    if (isAzure()) {
        const QByteArray id = randomUuid();
        return {{"apim-request-id", id},
                {"x-request-id", id},
                {"x-ms-region", "Sweden Central"},
                {"x-ratelimit-remaining-requests", "99"},
                {"x-ratelimit-remaining-tokens", "99000"},
                {"x-content-type-options", "nosniff"}};
    }
    return {{"x-request-id", "req_" + randomHex(32)},     {"openai-version", "2020-10-01"},
            {"openai-organization", "user-fakeprovider"}, {"openai-processing-ms", "42"},
            {"x-ratelimit-limit-requests", "500"},        {"x-ratelimit-remaining-requests", "499"},
            {"x-ratelimit-reset-requests", "120ms"},      {"x-ratelimit-limit-tokens", "30000"},
            {"x-ratelimit-remaining-tokens", "29000"},    {"x-ratelimit-reset-tokens", "2ms"}};
}

HttpReply OpenAiFormat::openAiError(int status, const QString& message, const Json& type,
                                    const Json& param, const Json& code) const {
    const Json body = JsonObject{
        {"error",
         JsonObject{{"message", message}, {"type", type}, {"param", param}, {"code", code}}}};
    return jsonReply(status, isAzure() ? body.text() : formatJson(body, JsonStyle::Indent4) + '\n');
}

HttpReply OpenAiFormat::azureError(int status, const char* code, const QString& message) const {
    return jsonReply(
        status, JsonObject{{"error", JsonObject{{"code", code}, {"message", message}}}}.text());
}

std::optional<HttpReply> OpenAiFormat::checkKey(const HttpRequest& request,
                                                const QString& expectedKey) const {
    if (expectedKey.isEmpty())
        return std::nullopt;
    QString key = bearerToken(request);
    if (isAzure() && !request.header("api-key").isEmpty())
        key = QString::fromUtf8(request.header("api-key"));
    if (key.isEmpty())
        return errorReply(ErrorKind::MissingKey, {});
    if (key != expectedKey) {
        ErrorDetails details;
        details.key = key;
        return errorReply(ErrorKind::BadKey, details);
    }
    return std::nullopt;
}

ParsedRequest OpenAiFormat::parseGeneration(const HttpRequest& request, Endpoint endpoint,
                                            const QString& pathModel) const {
    ParsedRequest parsed;
    GenerationRequest& generation = parsed.request;
    generation.endpoint = endpoint;
    generation.apiVersion =
        request.queryItems().queryItemValue(QStringLiteral("api-version"), QUrl::FullyDecoded);

    const auto body = parseObject(request.body);
    if (body) {
        generation.model = endpoint == Endpoint::AzureDeploymentChat
                               ? pathModel
                               : body->value(QStringLiteral("model")).toString();
        generation.stream = body->value(QStringLiteral("stream")).toBool();
        generation.includeUsage = body->value(QStringLiteral("stream_options"))
                                      .toObject()
                                      .value(QStringLiteral("include_usage"))
                                      .toBool();
    } else {
        generation.model = pathModel;
    }

    if (endpoint == Endpoint::AzureDeploymentChat && generation.apiVersion.isEmpty()) {
        parsed.rejection = azureError(400, "MissingApiVersionParameter",
                                      QStringLiteral("The api-version query parameter "
                                                     "(?api-version=) is required for all "
                                                     "requests."));
        return parsed;
    }
    const auto invalid = [&](const QString& message, const Json& param, const Json& code) {
        parsed.rejection = openAiError(400, message, "invalid_request_error", param, code);
        return parsed;
    };
    if (!body) {
        return invalid(
            QStringLiteral("We could not parse the JSON body of your request. (HINT: This likely "
                           "means you aren't using your HTTP library correctly. The OpenAI API "
                           "expects a JSON payload, but what was sent was not valid JSON. If you "
                           "have trouble figuring out how to fix this, please contact us through "
                           "our help center at help.openai.com.)"),
            Json(), Json());
    }
    if (endpoint != Endpoint::AzureDeploymentChat && generation.model.isEmpty())
        return invalid(QStringLiteral("you must provide a model parameter"), Json(), Json());
    if (!body->contains(QStringLiteral("messages"))) {
        return invalid(QStringLiteral("Missing required parameter: 'messages'."), "messages",
                       "missing_required_parameter");
    }
    if (!body->value(QStringLiteral("messages")).isArray()) {
        return invalid(QStringLiteral("Invalid type for 'messages': expected an array of "
                                      "objects, but got something else instead."),
                       "messages", "invalid_type");
    }
    const QJsonArray messages = body->value(QStringLiteral("messages")).toArray();
    if (messages.isEmpty()) {
        return invalid(QStringLiteral("Invalid 'messages': empty array. Expected an array with "
                                      "minimum length 1, but got an empty array instead."),
                       "messages", "empty_array");
    }
    static const QStringList roles{QStringLiteral("system"), QStringLiteral("developer"),
                                   QStringLiteral("user"),   QStringLiteral("assistant"),
                                   QStringLiteral("tool"),   QStringLiteral("function")};
    QString promptText;
    for (qsizetype i = 0; i < messages.size(); ++i) {
        const QJsonObject message = messages.at(i).toObject();
        const QString where = QStringLiteral("messages[%1]").arg(i);
        if (!message.contains(QStringLiteral("role"))) {
            return invalid(QStringLiteral("Missing required parameter: '%1.role'.").arg(where),
                           where + QStringLiteral(".role"), "missing_required_parameter");
        }
        const QString role = message.value(QStringLiteral("role")).toString();
        if (!roles.contains(role)) {
            return invalid(QStringLiteral("Invalid value: '%1'. Supported values are: 'system', "
                                          "'assistant', 'user', 'function', 'tool', and "
                                          "'developer'.")
                               .arg(role),
                           where + QStringLiteral(".role"), "invalid_value");
        }
        if (role != QLatin1String("assistant") && !message.contains(QStringLiteral("content"))) {
            return invalid(QStringLiteral("Missing required parameter: '%1.content'.").arg(where),
                           where + QStringLiteral(".content"), "missing_required_parameter");
        }
        const QJsonValue content = message.value(QStringLiteral("content"));
        if (content.isString()) {
            promptText += content.toString();
        } else {
            for (const auto& part : content.toArray())
                promptText += part.toObject().value(QStringLiteral("text")).toString();
        }
    }
    if (body->contains(QStringLiteral("stream_options")) && !generation.stream) {
        return invalid(QStringLiteral("The 'stream_options' parameter is only allowed when "
                                      "'stream' is enabled."),
                       "stream_options", Json());
    }
    const QJsonValue temperature = body->value(QStringLiteral("temperature"));
    if (temperature.isDouble() && temperature.toDouble() > 2.0) {
        return invalid(QStringLiteral("Invalid 'temperature': decimal above maximum value. "
                                      "Expected a value <= 2, but got %1 instead.")
                           .arg(temperature.toDouble()),
                       "temperature", "decimal_above_max_value");
    }
    generation.promptTokens = tokenEstimate(promptText);
    return parsed;
}

std::optional<HttpReply> OpenAiFormat::errorReply(ErrorKind kind,
                                                  const ErrorDetails& details) const {
    const int retryAfter = details.retryAfterSeconds;
    if (isAzure()) {
        switch (kind) {
        case ErrorKind::MissingKey:
        case ErrorKind::BadKey:
            return azureError(401, "401",
                              QStringLiteral("Access denied due to invalid subscription key or "
                                             "wrong API endpoint. Make sure to provide a valid "
                                             "key for an active subscription and use a correct "
                                             "regional API endpoint for your resource."));
        case ErrorKind::Forbidden:
            return azureError(403, "403",
                              QStringLiteral("Access denied due to Virtual Network/Firewall "
                                             "rules."));
        case ErrorKind::NotFound:
            return azureError(404, "DeploymentNotFound",
                              QStringLiteral("The API deployment for this resource does not "
                                             "exist. If you created the deployment within the "
                                             "last 5 minutes, please wait a moment and try "
                                             "again."));
        case ErrorKind::RateLimit: {
            HttpReply reply = azureError(
                429, "429",
                QStringLiteral("Requests to the ChatCompletions_Create Operation under Azure "
                               "OpenAI API version %1 have exceeded token rate limit of your "
                               "current OpenAI S0 pricing tier. Please retry after %2 seconds. "
                               "Please go here: https://aka.ms/oai/quotaincrease if you would "
                               "like to further increase the default rate limit.")
                    .arg(details.apiVersion.isEmpty() ? QStringLiteral("v1") : details.apiVersion)
                    .arg(retryAfter));
            setHeader(reply.headers, "Retry-After", QByteArray::number(retryAfter));
            setHeader(reply.headers, "retry-after-ms", QByteArray::number(retryAfter * 1000));
            setHeader(reply.headers, "x-ratelimit-remaining-requests", "0");
            setHeader(reply.headers, "x-ratelimit-remaining-tokens", "0");
            return reply;
        }
        case ErrorKind::Quota:
            // Azure has no prepaid credit; a subscription out of call volume is a 403.
            return azureError(403, "403",
                              QStringLiteral("Out of call volume quota for OpenAI API. Quota "
                                             "will be replenished in 2.12:34:56."));
        case ErrorKind::ServerError:
        case ErrorKind::StreamError:
            return openAiError(500,
                               QStringLiteral("The server had an error processing your request. "
                                              "Sorry about that! You can retry your request, or "
                                              "contact us through an Azure support request at: "
                                              "https://go.microsoft.com/fwlink/?linkid=2213926 if "
                                              "you keep seeing this error."),
                               "server_error");
        case ErrorKind::Unavailable:
        case ErrorKind::Overloaded:
            return azureError(503, "ServiceUnavailable",
                              QStringLiteral("The service is temporarily unable to process your "
                                             "request. Please try again later."));
        case ErrorKind::PromptBlocked: {
            const Json body = JsonObject{
                {"error",
                 JsonObject{
                     {"message",
                      "The response was filtered due to the prompt triggering Azure OpenAI's "
                      "content management policy. Please modify your prompt and retry. To learn "
                      "more about our content filtering policies please read our documentation: "
                      "https://go.microsoft.com/fwlink/?linkid=2198766"},
                     {"type", Json()},
                     {"param", "prompt"},
                     {"code", "content_filter"},
                     {"status", 400},
                     {"innererror",
                      JsonObject{{"code", "ResponsibleAIPolicyViolation"},
                                 {"content_filter_result",
                                  JsonObject{{"hate", severity(false)},
                                             {"jailbreak",
                                              JsonObject{{"filtered", false}, {"detected", false}}},
                                             {"self_harm", severity(false)},
                                             {"sexual", severity(false)},
                                             {"violence", severity(true)}}}}}}}};
            return jsonReply(400, body.text());
        }
        case ErrorKind::UnknownPath:
            return azureError(404, "404", QStringLiteral("Resource not found"));
        }
        return std::nullopt;
    }

    switch (kind) {
    case ErrorKind::MissingKey:
        return openAiError(
            401,
            QStringLiteral("You didn't provide an API key. You need to provide your API key in an "
                           "Authorization header using Bearer auth (i.e. Authorization: Bearer "
                           "YOUR_KEY), or as the password field (with blank username) if you're "
                           "accessing the API from your browser and are prompted for a username "
                           "and password. You can obtain an API key from "
                           "https://platform.openai.com/account/api-keys."),
            "invalid_request_error");
    case ErrorKind::BadKey:
        return openAiError(401,
                           QStringLiteral("Incorrect API key provided: %1. You can find your API "
                                          "key at https://platform.openai.com/account/api-keys.")
                               .arg(maskedKey(details.key.isEmpty() ? QStringLiteral("sk-fake-key")
                                                                    : details.key)),
                           "invalid_request_error", Json(), "invalid_api_key");
    case ErrorKind::Forbidden:
        return openAiError(403, QStringLiteral("Country, region, or territory not supported"),
                           "request_forbidden", Json(), "unsupported_country_region_territory");
    case ErrorKind::NotFound:
        return openAiError(404,
                           QStringLiteral("The model `%1` does not exist or you do not have "
                                          "access to it.")
                               .arg(details.model),
                           "invalid_request_error", Json(), "model_not_found");
    case ErrorKind::RateLimit: {
        HttpReply reply = openAiError(
            429,
            QStringLiteral("Rate limit reached for %1 in organization org-fakeprovider on "
                           "requests per min (RPM): Limit 3, Used 3, Requested 1. Please try "
                           "again in %2s. Visit https://platform.openai.com/account/rate-limits "
                           "to learn more.")
                .arg(details.model)
                .arg(retryAfter),
            "requests", Json(), "rate_limit_exceeded");
        setHeader(reply.headers, "retry-after", QByteArray::number(retryAfter));
        setHeader(reply.headers, "x-ratelimit-remaining-requests", "0");
        setHeader(reply.headers, "x-ratelimit-reset-requests",
                  QByteArray::number(retryAfter) + 's');
        return reply;
    }
    case ErrorKind::Quota:
        // Not retryable: no retry-after, and waiting does not help.
        return openAiError(429,
                           QStringLiteral("You exceeded your current quota, please check your "
                                          "plan and billing details. For more information on "
                                          "this error, read the docs: "
                                          "https://platform.openai.com/docs/guides/error-codes/"
                                          "api-errors."),
                           "insufficient_quota", Json(), "insufficient_quota");
    case ErrorKind::ServerError:
    case ErrorKind::StreamError:
        return openAiError(500,
                           QStringLiteral("The server had an error while processing your "
                                          "request. Sorry about that!"),
                           "server_error");
    case ErrorKind::Unavailable:
        return openAiError(503, QStringLiteral("The server is overloaded or not ready yet."),
                           "server_error");
    case ErrorKind::Overloaded:
        return openAiError(503,
                           QStringLiteral("That model is currently overloaded with other "
                                          "requests. You can retry your request, or contact us "
                                          "through our help center at help.openai.com if the "
                                          "error persists."),
                           "server_error");
    case ErrorKind::PromptBlocked:
        // What OpenAI really does when its moderation flags a prompt.
        return openAiError(400,
                           QStringLiteral("Invalid prompt: your prompt was flagged as potentially "
                                          "violating our usage policy. Please try again with a "
                                          "different prompt: https://platform.openai.com/docs/"
                                          "guides/reasoning#advice-on-prompting"),
                           "invalid_request_error", Json(), "invalid_prompt");
    case ErrorKind::UnknownPath:
        return openAiError(404,
                           QStringLiteral("Invalid URL (%1 %2)").arg(details.method, details.path),
                           "invalid_request_error");
    }
    return std::nullopt;
}

HttpReply OpenAiFormat::completeAnswer(const Completion& completion,
                                       const GenerationRequest& request) const {
    const Identity identity;
    const bool filtered = completion.finish == Finish::ContentFilter;
    if (isAzure()) {
        // Azure: members sorted by name, filter results on the prompt and the choice.
        JsonObject message;
        message.add("annotations", QList<Json>{});
        message.add("content", filtered ? Json() : Json(completion.text()));
        message.add("refusal", Json());
        message.add("role", "assistant");
        const Json choice = JsonObject{{"content_filter_results", contentFilterResults(filtered)},
                                       {"finish_reason", finishReasonName(completion.finish)},
                                       {"index", 0},
                                       {"logprobs", Json()},
                                       {"message", message}};
        const Json body =
            JsonObject{{"choices", QList<Json>{choice}},
                       {"created", identity.created},
                       {"id", QString::fromLatin1(identity.id)},
                       {"model", request.model},
                       {"object", "chat.completion"},
                       {"prompt_filter_results", promptFilterResults()},
                       {"system_fingerprint", QString::fromLatin1(identity.fingerprint)},
                       {"usage", usage(completion)}};
        return jsonReply(200, body.text());
    }
    const Json message = JsonObject{{"role", "assistant"},
                                    {"content", Json(completion.text())},
                                    {"refusal", Json()},
                                    {"annotations", QList<Json>{}}};
    const Json choice = JsonObject{{"index", 0},
                                   {"message", message},
                                   {"logprobs", Json()},
                                   {"finish_reason", finishReasonName(completion.finish)}};
    const Json body = JsonObject{{"id", QString::fromLatin1(identity.id)},
                                 {"object", "chat.completion"},
                                 {"created", identity.created},
                                 {"model", request.model},
                                 {"choices", QList<Json>{choice}},
                                 {"usage", usage(completion)},
                                 {"service_tier", "default"},
                                 {"system_fingerprint", QString::fromLatin1(identity.fingerprint)}};
    return jsonReply(200, formatJson(body, JsonStyle::Indent2) + '\n');
}

HttpReply OpenAiFormat::streamHead(const GenerationRequest& request) const {
    Q_UNUSED(request)
    HttpReply reply;
    reply.chunked = true;
    reply.headers = {{"Content-Type", "text/event-stream; charset=utf-8"},
                     {"Cache-Control", "no-cache, must-revalidate"}};
    reply.headers += responseHeaders();
    return reply;
}

QList<QByteArray> OpenAiFormat::streamEvents(const Completion& completion,
                                             const GenerationRequest& request) const {
    const Identity identity;
    const QByteArray newline = completion.crlf ? "\r\n" : "\n";
    const auto event = [&](const Json& data) { return "data: " + data.text() + newline + newline; };
    const bool filtered = completion.finish == Finish::ContentFilter;

    // A chunk with one choice; `delta` absent (Azure's filter-only chunks) when nullopt.
    const auto chunk = [&](const std::optional<Json>& delta, const Json& finishReason,
                           std::optional<bool> filterVerdict) {
        if (isAzure()) {
            JsonObject choice;
            if (filterVerdict)
                choice.add("content_filter_results", *filterVerdict ? contentFilterResults(true)
                                                                    : contentFilterResults(false));
            else
                choice.add("content_filter_results", JsonObject{});
            if (delta)
                choice.add("delta", *delta);
            choice.add("finish_reason", finishReason).add("index", 0).add("logprobs", Json());
            return event(
                JsonObject{{"choices", QList<Json>{choice}},
                           {"created", identity.created},
                           {"id", QString::fromLatin1(identity.id)},
                           {"model", request.model},
                           {"object", "chat.completion.chunk"},
                           {"system_fingerprint", QString::fromLatin1(identity.fingerprint)}});
        }
        JsonObject choice{{"index", 0}};
        if (delta)
            choice.add("delta", *delta);
        choice.add("logprobs", Json()).add("finish_reason", finishReason);
        JsonObject data{{"id", QString::fromLatin1(identity.id)},
                        {"object", "chat.completion.chunk"},
                        {"created", identity.created},
                        {"model", request.model},
                        {"service_tier", "default"},
                        {"system_fingerprint", QString::fromLatin1(identity.fingerprint)},
                        {"choices", QList<Json>{choice}}};
        if (request.includeUsage)
            data.add("usage", Json());
        return event(data);
    };
    // Azure's filter-only chunk: no delta, just verdicts and offsets.
    const auto filterOnlyChunk = [&](int offset) {
        const Json choice = JsonObject{
            {"content_filter_offsets",
             JsonObject{{"check_offset", 0}, {"start_offset", 0}, {"end_offset", offset}}},
            {"content_filter_results", contentFilterResults(false)},
            {"finish_reason", Json()},
            {"index", 0}};
        return event(JsonObject{{"choices", QList<Json>{choice}},
                                {"created", identity.created},
                                {"id", QString::fromLatin1(identity.id)},
                                {"model", request.model},
                                {"object", "chat.completion.chunk"}});
    };
    const auto emptyChoicesChunk = [&]() {
        return event(JsonObject{{"choices", QList<Json>{}},
                                {"created", 0},
                                {"id", ""},
                                {"model", ""},
                                {"object", ""},
                                {"prompt_filter_results", promptFilterResults()}});
    };

    QList<QByteArray> events;
    if (isAzure() || completion.emptyDeltas)
        events << emptyChoicesChunk(); // Azure's first chunk: "choices":[]
    const Json roleDelta =
        isAzure() ? Json(JsonObject{{"content", ""}, {"refusal", Json()}, {"role", "assistant"}})
                  : Json(JsonObject{{"role", "assistant"}, {"content", ""}, {"refusal", Json()}});
    events << chunk(roleDelta, Json(), std::nullopt);
    int offset = 0;
    for (qsizetype i = 0; i < completion.deltas.size(); ++i) {
        events << chunk(Json(JsonObject{{"content", completion.deltas.at(i)}}), Json(), false);
        offset += int(completion.deltas.at(i).size());
        if (completion.emptyDeltas && i % 4 == 1) {
            events << filterOnlyChunk(offset);
            events << chunk(Json(JsonObject{{"content", ""}}), Json(), false);
        }
    }
    events << chunk(Json(JsonObject{}), finishReasonName(completion.finish),
                    filtered ? std::optional<bool>(true) : std::nullopt);
    if (completion.emptyDeltas)
        events << filterOnlyChunk(offset);
    if (request.includeUsage) {
        if (isAzure()) {
            events << event(
                JsonObject{{"choices", QList<Json>{}},
                           {"created", identity.created},
                           {"id", QString::fromLatin1(identity.id)},
                           {"model", request.model},
                           {"object", "chat.completion.chunk"},
                           {"system_fingerprint", QString::fromLatin1(identity.fingerprint)},
                           {"usage", usage(completion)}});
        } else {
            events << event(
                JsonObject{{"id", QString::fromLatin1(identity.id)},
                           {"object", "chat.completion.chunk"},
                           {"created", identity.created},
                           {"model", request.model},
                           {"service_tier", "default"},
                           {"system_fingerprint", QString::fromLatin1(identity.fingerprint)},
                           {"choices", QList<Json>{}},
                           {"usage", usage(completion)}});
        }
    }
    events << "data: [DONE]" + newline + newline;
    return events;
}

QByteArray OpenAiFormat::streamErrorEvent(const GenerationRequest& request, bool crlf) const {
    Q_UNUSED(request)
    const QByteArray newline = crlf ? "\r\n" : "\n";
    const Json error = JsonObject{
        {"error", JsonObject{{"message", "The server had an error while processing your request. "
                                         "Sorry about that!"},
                             {"type", "server_error"},
                             {"param", Json()},
                             {"code", Json()}}}};
    return "data: " + error.text() + newline + newline;
}

HttpReply OpenAiFormat::modelList(const QStringList& models) const {
    QList<Json> data;
    for (const QString& model : models) {
        data << JsonObject{{"id", model},
                           {"object", "model"},
                           {"created", qint64(1715367049)},
                           {"owned_by", "system"}};
    }
    return jsonReply(
        200, formatJson(JsonObject{{"object", "list"}, {"data", data}}, JsonStyle::Indent2) + '\n');
}

} // namespace omega::fake
