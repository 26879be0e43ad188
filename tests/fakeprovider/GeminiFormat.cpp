#include "GeminiFormat.h"

#include <QJsonArray>
#include <QSet>

namespace omega::fake {

namespace {

QString sentKey(const HttpRequest& request) {
    const QByteArray header = request.header("x-goog-api-key");
    if (!header.isEmpty())
        return QString::fromUtf8(header);
    return request.queryItems().queryItemValue(QStringLiteral("key"), QUrl::FullyDecoded);
}

// Proto JSON accepts both spellings of a field: compare in camelCase.
QString camelCase(const QString& name) {
    QString result;
    bool upper = false;
    for (const QChar c : name) {
        if (c == QLatin1Char('_')) {
            upper = true;
            continue;
        }
        result += upper ? c.toUpper() : c;
        upper = false;
    }
    return result;
}

const QSet<QString>& requestFields() {
    static const QSet<QString> fields{
        QStringLiteral("model"),
        QStringLiteral("contents"),
        QStringLiteral("systemInstruction"),
        QStringLiteral("generationConfig"),
        QStringLiteral("safetySettings"),
        QStringLiteral("tools"),
        QStringLiteral("toolConfig"),
        QStringLiteral("cachedContent"),
        QStringLiteral("labels"),
    };
    return fields;
}

const QSet<QString>& generationConfigFields() {
    static const QSet<QString> fields{
        QStringLiteral("temperature"),
        QStringLiteral("topP"),
        QStringLiteral("topK"),
        QStringLiteral("candidateCount"),
        QStringLiteral("maxOutputTokens"),
        QStringLiteral("stopSequences"),
        QStringLiteral("responseMimeType"),
        QStringLiteral("responseSchema"),
        QStringLiteral("responseJsonSchema"),
        QStringLiteral("presencePenalty"),
        QStringLiteral("frequencyPenalty"),
        QStringLiteral("seed"),
        QStringLiteral("responseLogprobs"),
        QStringLiteral("logprobs"),
        QStringLiteral("thinkingConfig"),
        QStringLiteral("responseModalities"),
        QStringLiteral("mediaResolution"),
        QStringLiteral("speechConfig"),
        QStringLiteral("audioTimestamp"),
        QStringLiteral("enableEnhancedCivicAnswers"),
        QStringLiteral("routingConfig"),
        QStringLiteral("modelSelectionConfig"),
        QStringLiteral("imageConfig"),
    };
    return fields;
}

Json safetyRatings(bool blocked) {
    const auto rating = [](const char* category, const char* probability, bool isBlocked) {
        JsonObject object{{"category", category}, {"probability", probability}};
        if (isBlocked)
            object.add("blocked", true);
        return Json(object);
    };
    return QList<Json>{
        rating("HARM_CATEGORY_SEXUALLY_EXPLICIT", "NEGLIGIBLE", false),
        rating("HARM_CATEGORY_HATE_SPEECH", "NEGLIGIBLE", false),
        rating("HARM_CATEGORY_HARASSMENT", "NEGLIGIBLE", false),
        rating("HARM_CATEGORY_DANGEROUS_CONTENT", blocked ? "HIGH" : "NEGLIGIBLE", blocked),
    };
}

// Streams repeat the prompt count in every chunk; the candidates count comes at the end.
Json usageMetadata(const Completion& completion, bool final) {
    JsonObject usage{{"promptTokenCount", completion.promptTokens}};
    if (final)
        usage.add("candidatesTokenCount", completion.completionTokens);
    usage.add("totalTokenCount",
              completion.promptTokens + (final ? completion.completionTokens : 0));
    usage.add(
        "promptTokensDetails",
        QList<Json>{JsonObject{{"modality", "TEXT"}, {"tokenCount", completion.promptTokens}}});
    return usage;
}

const char* finishReasonName(Finish finish) {
    switch (finish) {
    case Finish::Stop:
        return "STOP";
    case Finish::MaxTokens:
        return "MAX_TOKENS";
    case Finish::ContentFilter:
    case Finish::PromptBlocked:
        return "SAFETY";
    }
    return "STOP";
}

// One chunk of a GenerateContentResponse.
struct Chunk {
    enum class Content { Text, NoParts, None };
    Content content = Content::Text;
    QString text;
    std::optional<Finish> finish;
};

QByteArray renderChunk(const Chunk& chunk, const Completion& completion,
                       const GenerationRequest& request, const QByteArray& responseId) {
    JsonObject candidate;
    if (chunk.content != Chunk::Content::None) {
        JsonObject content;
        if (chunk.content == Chunk::Content::Text)
            content.add("parts", QList<Json>{JsonObject{{"text", chunk.text}}});
        content.add("role", "model");
        candidate.add("content", content);
    }
    if (chunk.finish)
        candidate.add("finishReason", finishReasonName(*chunk.finish));
    candidate.add("index", 0);
    if (chunk.finish == Finish::ContentFilter)
        candidate.add("safetyRatings", safetyRatings(true));
    return JsonObject{{"candidates", QList<Json>{candidate}},
                      {"usageMetadata", usageMetadata(completion, chunk.finish.has_value())},
                      {"modelVersion", request.model},
                      {"responseId", QString::fromLatin1(responseId)}}
        .text();
}

// A blocked prompt: HTTP 200, no candidates at all.
QByteArray renderPromptBlocked(const Completion& completion, const GenerationRequest& request,
                               const QByteArray& responseId) {
    Completion noOutput = completion;
    noOutput.completionTokens = 0;
    return JsonObject{{"promptFeedback", JsonObject{{"blockReason", "SAFETY"},
                                                    {"safetyRatings", safetyRatings(true)}}},
                      {"usageMetadata", usageMetadata(noOutput, false)},
                      {"modelVersion", request.model},
                      {"responseId", QString::fromLatin1(responseId)}}
        .text();
}

// The chunks of a streamed answer, before framing.
QList<QByteArray> renderChunks(const Completion& completion, const GenerationRequest& request) {
    const QByteArray responseId = randomToken(22);
    if (completion.finish == Finish::PromptBlocked)
        return {renderPromptBlocked(completion, request, responseId)};

    QList<QByteArray> chunks;
    const qsizetype count = completion.deltas.size();
    // Where the finish reason goes: on the last text chunk, unless a separate chunk ends the
    // stream (blocked output: no content; empty-deltas: an empty text part).
    const bool separateEnd = completion.finish == Finish::ContentFilter || completion.emptyDeltas;
    for (qsizetype i = 0; i < count; ++i) {
        Chunk chunk;
        chunk.text = completion.deltas.at(i);
        if (i == count - 1 && !separateEnd)
            chunk.finish = completion.finish;
        chunks << renderChunk(chunk, completion, request, responseId);
        if (completion.emptyDeltas && i == count / 2) // a content without parts mid-stream
            chunks << renderChunk(Chunk{Chunk::Content::NoParts, {}, std::nullopt}, completion,
                                  request, responseId);
    }
    if (completion.finish == Finish::ContentFilter)
        chunks << renderChunk(Chunk{Chunk::Content::None, {}, Finish::ContentFilter}, completion,
                              request, responseId);
    else if (completion.emptyDeltas || count == 0)
        chunks << renderChunk(Chunk{Chunk::Content::Text, QString(), completion.finish}, completion,
                              request, responseId);
    return chunks;
}

} // namespace

bool GeminiFormat::keyInQuery(const HttpRequest& request) {
    return request.queryItems().hasQueryItem(QStringLiteral("key"));
}

HttpHeaders GeminiFormat::responseHeaders() const {
    return {{"Vary", "Origin, X-Origin, Referer"},
            {"Server", "scaffolding on HTTPServer2"},
            {"X-XSS-Protection", "0"},
            {"X-Frame-Options", "SAMEORIGIN"},
            {"X-Content-Type-Options", "nosniff"}};
}

HttpReply GeminiFormat::error(int code, const char* status, const QString& message,
                              const QList<Json>& details) const {
    JsonObject error{{"code", code}, {"message", message}, {"status", status}};
    if (!details.isEmpty())
        error.add("details", details);
    return jsonReply(code, formatJson(JsonObject{{"error", error}}, JsonStyle::Indent2) + '\n');
}

HttpReply GeminiFormat::invalidArgument(const QString& message) const {
    return error(400, "INVALID_ARGUMENT", message);
}

std::optional<HttpReply> GeminiFormat::checkKey(const HttpRequest& request,
                                                const QString& expectedKey) const {
    if (expectedKey.isEmpty())
        return std::nullopt;
    const QString key = sentKey(request);
    if (key.isEmpty())
        return errorReply(ErrorKind::MissingKey, {});
    if (key != expectedKey)
        return errorReply(ErrorKind::BadKey, {});
    return std::nullopt;
}

ParsedRequest GeminiFormat::parseGeneration(const HttpRequest& request, Endpoint endpoint,
                                            const QString& pathModel) const {
    ParsedRequest parsed;
    parsed.request.endpoint = endpoint;
    parsed.request.model = pathModel;
    parsed.request.stream = endpoint == Endpoint::GeminiStream;
    parsed.request.sseFraming =
        request.queryItems().queryItemValue(QStringLiteral("alt")) == QLatin1String("sse");

    const auto body = parseObject(request.body);
    if (!body) {
        parsed.rejection =
            invalidArgument(QStringLiteral("Invalid JSON payload received. Unexpected token.\n"));
        return parsed;
    }
    const auto unknownField = [&](const QString& name, const QString& at) {
        const QString text = at.isEmpty()
                                 ? QStringLiteral("Invalid JSON payload received. Unknown name "
                                                  "\"%1\": Cannot find field.")
                                       .arg(name)
                                 : QStringLiteral("Invalid JSON payload received. Unknown name "
                                                  "\"%1\" at '%2': Cannot find field.")
                                       .arg(name, at);
        return error(400, "INVALID_ARGUMENT", text,
                     {JsonObject{{"@type", "type.googleapis.com/google.rpc.BadRequest"},
                                 {"fieldViolations",
                                  QList<Json>{JsonObject{{"field", at}, {"description", text}}}}}});
    };
    for (auto it = body->begin(); it != body->end(); ++it) {
        if (!requestFields().contains(camelCase(it.key()))) {
            parsed.rejection = unknownField(it.key(), QString());
            return parsed;
        }
    }
    const QJsonObject config = body->contains(QStringLiteral("generationConfig"))
                                   ? body->value(QStringLiteral("generationConfig")).toObject()
                                   : body->value(QStringLiteral("generation_config")).toObject();
    for (auto it = config.begin(); it != config.end(); ++it) {
        if (!generationConfigFields().contains(camelCase(it.key()))) {
            parsed.rejection = unknownField(it.key(), QStringLiteral("generation_config"));
            return parsed;
        }
    }

    const QJsonArray contents = body->value(QStringLiteral("contents")).toArray();
    if (contents.isEmpty()) {
        parsed.rejection = invalidArgument(
            QStringLiteral("* GenerateContentRequest.contents: contents is not specified\n"));
        return parsed;
    }
    QString promptText;
    for (qsizetype i = 0; i < contents.size(); ++i) {
        const QJsonObject content = contents.at(i).toObject();
        const QString role = content.value(QStringLiteral("role")).toString();
        if (!role.isEmpty() && role != QLatin1String("user") && role != QLatin1String("model")) {
            parsed.rejection =
                invalidArgument(QStringLiteral("Please use a valid role: user, model."));
            return parsed;
        }
        const QJsonArray parts = content.value(QStringLiteral("parts")).toArray();
        if (parts.isEmpty()) {
            parsed.rejection = invalidArgument(
                QStringLiteral("* GenerateContentRequest.contents[%1].parts: contents.parts must "
                               "not be empty.\n")
                    .arg(i));
            return parsed;
        }
        for (const auto& part : parts)
            promptText += part.toObject().value(QStringLiteral("text")).toString();
    }
    const QJsonObject system = body->contains(QStringLiteral("systemInstruction"))
                                   ? body->value(QStringLiteral("systemInstruction")).toObject()
                                   : body->value(QStringLiteral("system_instruction")).toObject();
    for (const auto& part : system.value(QStringLiteral("parts")).toArray())
        promptText += part.toObject().value(QStringLiteral("text")).toString();
    parsed.request.promptTokens = tokenEstimate(promptText);
    return parsed;
}

std::optional<HttpReply> GeminiFormat::errorReply(ErrorKind kind,
                                                  const ErrorDetails& details) const {
    const QString overloaded = QStringLiteral("The model is overloaded. Please try again later.");
    const QString quotaMessage = QStringLiteral(
        "You exceeded your current quota, please check your plan and billing details. For more "
        "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.");
    const auto quotaFailure = [&](const char* quotaId, const char* value) {
        return Json(JsonObject{
            {"@type", "type.googleapis.com/google.rpc.QuotaFailure"},
            {"violations",
             QList<Json>{JsonObject{
                 {"quotaMetric",
                  "generativelanguage.googleapis.com/generate_content_free_tier_requests"},
                 {"quotaId", quotaId},
                 {"quotaDimensions", JsonObject{{"location", "global"}, {"model", details.model}}},
                 {"quotaValue", value}}}}});
    };
    const Json help = JsonObject{
        {"@type", "type.googleapis.com/google.rpc.Help"},
        {"links",
         QList<Json>{JsonObject{{"description", "Learn more about Gemini API quotas"},
                                {"url", "https://ai.google.dev/gemini-api/docs/rate-limits"}}}}};

    switch (kind) {
    case ErrorKind::MissingKey:
        return error(403, "PERMISSION_DENIED",
                     QStringLiteral("Method doesn't allow unregistered callers (callers without "
                                    "established identity). Please use API Key or other form of "
                                    "API consumer identity to call this API."));
    case ErrorKind::BadKey: {
        const QString message = QStringLiteral("API key not valid. Please pass a valid API key.");
        return error(
            400, "INVALID_ARGUMENT", message,
            {JsonObject{{"@type", "type.googleapis.com/google.rpc.ErrorInfo"},
                        {"reason", "API_KEY_INVALID"},
                        {"domain", "googleapis.com"},
                        {"metadata", JsonObject{{"service", "generativelanguage.googleapis.com"}}}},
             JsonObject{{"@type", "type.googleapis.com/google.rpc.LocalizedMessage"},
                        {"locale", "en-US"},
                        {"message", message}}});
    }
    case ErrorKind::Forbidden:
        return error(403, "PERMISSION_DENIED",
                     QStringLiteral("The caller does not have permission"));
    case ErrorKind::NotFound:
        return error(404, "NOT_FOUND",
                     QStringLiteral("models/%1 is not found for API version v1beta, or is not "
                                    "supported for generateContent. Call ListModels to see the "
                                    "list of available models and their supported methods.")
                         .arg(details.model));
    case ErrorKind::RateLimit:
        // The retry hint is only in the body: Gemini sends no Retry-After header.
        return error(
            429, "RESOURCE_EXHAUSTED", quotaMessage,
            {quotaFailure("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "10"), help,
             JsonObject{{"@type", "type.googleapis.com/google.rpc.RetryInfo"},
                        {"retryDelay", QStringLiteral("%1s").arg(details.retryAfterSeconds)}}});
    case ErrorKind::Quota:
        return error(
            429, "RESOURCE_EXHAUSTED", quotaMessage,
            {quotaFailure("GenerateRequestsPerDayPerProjectPerModel-FreeTier", "250"), help});
    case ErrorKind::ServerError:
        return error(
            500, "INTERNAL",
            QStringLiteral("An internal error has occurred. Please retry or report in "
                           "https://developers.generativeai.google/guide/troubleshooting"));
    case ErrorKind::Unavailable:
    case ErrorKind::Overloaded:
    case ErrorKind::StreamError:
        return error(503, "UNAVAILABLE", overloaded);
    case ErrorKind::PromptBlocked:
        return std::nullopt; // 200 with promptFeedback.blockReason
    case ErrorKind::UnknownPath: {
        // Google's front end answers unknown paths with its HTML 404 page.
        HttpReply reply;
        reply.status = 404;
        reply.headers = {{"Content-Type", "text/html; charset=UTF-8"}};
        reply.setBody(
            "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
            "  <title>Error 404 (Not Found)!!1</title>\n"
            "  <p><b>404.</b> <ins>That\xe2\x80\x99s an error.</ins>\n"
            "  <p>The requested URL <code>" +
            details.path.toHtmlEscaped().toUtf8() +
            "</code> was not found on this server.  <ins>That\xe2\x80\x99s all we know.</ins>\n");
        return reply;
    }
    }
    return std::nullopt;
}

HttpReply GeminiFormat::completeAnswer(const Completion& completion,
                                       const GenerationRequest& request) const {
    const QByteArray responseId = randomToken(22);
    QByteArray body;
    if (completion.finish == Finish::PromptBlocked) {
        body = renderPromptBlocked(completion, request, responseId);
    } else if (completion.finish == Finish::ContentFilter) {
        body = renderChunk(Chunk{Chunk::Content::None, {}, Finish::ContentFilter}, completion,
                           request, responseId);
    } else {
        body = renderChunk(Chunk{Chunk::Content::Text, completion.text(), completion.finish},
                           completion, request, responseId);
    }
    return jsonReply(200, formatJson(body, JsonStyle::Indent2) + '\n');
}

HttpReply GeminiFormat::streamHead(const GenerationRequest& request) const {
    HttpReply reply;
    reply.chunked = true;
    reply.headers = {{"Content-Type", request.sseFraming ? QByteArrayLiteral("text/event-stream")
                                                         : jsonContentType()}};
    reply.headers += responseHeaders();
    return reply;
}

QList<QByteArray> GeminiFormat::streamEvents(const Completion& completion,
                                             const GenerationRequest& request) const {
    const QList<QByteArray> chunks = renderChunks(completion, request);
    QList<QByteArray> events;
    for (qsizetype i = 0; i < chunks.size(); ++i) {
        if (request.sseFraming) {
            // Google's own line ending is \r\n, whatever the scenario.
            events << "data: " + formatJson(chunks.at(i), JsonStyle::Spaced) + "\r\n\r\n";
        } else {
            // Without alt=sse: one pretty-printed JSON array, element by element.
            const QByteArray element = formatJson(chunks.at(i), JsonStyle::Indent2);
            events << (i == 0 ? "[" : ",\r\n") + element +
                          (i == chunks.size() - 1 ? QByteArrayLiteral("\n]") : QByteArray());
        }
    }
    return events;
}

QByteArray GeminiFormat::streamErrorEvent(const GenerationRequest& request, bool crlf) const {
    Q_UNUSED(request)
    Q_UNUSED(crlf)
    // No `data:` prefix: the raw error body follows the events.
    return errorReply(ErrorKind::StreamError, {})->body();
}

HttpReply GeminiFormat::modelList(const QStringList& models) const {
    QList<Json> entries;
    for (const QString& model : models) {
        entries << JsonObject{
            {"name", QStringLiteral("models/") + model},
            {"version", "001"},
            {"displayName", model},
            {"inputTokenLimit", 1048576},
            {"outputTokenLimit", 65536},
            {"supportedGenerationMethods", QList<Json>{"generateContent", "countTokens"}}};
    }
    return jsonReply(200, formatJson(JsonObject{{"models", entries}}, JsonStyle::Indent2) + '\n');
}

} // namespace omega::fake
