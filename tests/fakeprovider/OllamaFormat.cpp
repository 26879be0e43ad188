#include "OllamaFormat.h"

#include <QDateTime>
#include <QJsonArray>

namespace omega::fake {

namespace {

QString createdAt() {
    return QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyy-MM-ddThh:mm:ss.zzz")) +
           QStringLiteral("123456Z"); // Go prints nanoseconds
}

// Ollama has no safety filter: a "blocked" answer is just the model declining.
Completion withoutFilter(const Completion& completion) {
    if (completion.finish != Finish::ContentFilter && completion.finish != Finish::PromptBlocked)
        return completion;
    Completion refusal = completion;
    refusal.deltas = {QStringLiteral("I'm sorry, but I can't help "), QStringLiteral("with that.")};
    refusal.finish = Finish::Stop;
    refusal.completionTokens = tokenEstimate(refusal.text());
    return refusal;
}

Json finalFields(JsonObject object, const Completion& completion) {
    object.add("done_reason", completion.finish == Finish::MaxTokens ? "length" : "stop")
        .add("done", true)
        .add("total_duration", qint64(2163584750))
        .add("load_duration", qint64(31234625))
        .add("prompt_eval_count", completion.promptTokens)
        .add("prompt_eval_duration", qint64(112000000))
        .add("eval_count", completion.completionTokens)
        .add("eval_duration", qint64(2018000000));
    return object;
}

} // namespace

HttpReply OllamaFormat::error(int status, const QString& message) const {
    return jsonReply(status, JsonObject{{"error", message}}.text());
}

std::optional<HttpReply> OllamaFormat::checkKey(const HttpRequest& request,
                                                const QString& expectedKey) const {
    Q_UNUSED(request)
    Q_UNUSED(expectedKey)
    return std::nullopt; // a local Ollama has no keys
}

ParsedRequest OllamaFormat::parseGeneration(const HttpRequest& request, Endpoint endpoint,
                                            const QString& pathModel) const {
    Q_UNUSED(pathModel)
    ParsedRequest parsed;
    parsed.request.endpoint = endpoint;
    const auto body = parseObject(request.body);
    if (!body) {
        parsed.rejection = error(400, QStringLiteral("unexpected end of JSON input"));
        return parsed;
    }
    parsed.request.model = body->value(QStringLiteral("model")).toString();
    parsed.request.stream = body->value(QStringLiteral("stream")).toBool(true); // default: on
    if (parsed.request.model.isEmpty()) {
        parsed.rejection = error(400, QStringLiteral("model is required"));
        return parsed;
    }
    QString promptText;
    for (const auto& message : body->value(QStringLiteral("messages")).toArray())
        promptText += message.toObject().value(QStringLiteral("content")).toString();
    parsed.request.promptTokens = tokenEstimate(promptText);
    return parsed;
}

std::optional<HttpReply> OllamaFormat::errorReply(ErrorKind kind,
                                                  const ErrorDetails& details) const {
    const QString busy =
        QStringLiteral("server busy, please try again.  maximum pending requests exceeded");
    switch (kind) {
    case ErrorKind::MissingKey:
    case ErrorKind::BadKey: // Ollama behind an authenticating proxy / ollama.com
        return error(401, QStringLiteral("unauthorized"));
    case ErrorKind::Forbidden:
        return error(403, QStringLiteral("forbidden"));
    case ErrorKind::NotFound:
        return error(
            404, QStringLiteral("model \"%1\" not found, try pulling it first").arg(details.model));
    case ErrorKind::RateLimit: // Ollama's only back-pressure: its request queue is full
    case ErrorKind::Unavailable:
    case ErrorKind::Overloaded:
        return error(503, busy);
    case ErrorKind::Quota: // the local "quota": not enough memory for the model
        return error(500, QStringLiteral("model requires more system memory (12.3 GiB) than is "
                                         "available (7.6 GiB)"));
    case ErrorKind::ServerError:
        return error(500, QStringLiteral("llama runner process has terminated: exit status 2"));
    case ErrorKind::StreamError:
        return error(500, QStringLiteral("an error was encountered while running the model: "
                                         "unexpected EOF"));
    case ErrorKind::PromptBlocked:
        return std::nullopt; // no filter: the model answers with a refusal
    case ErrorKind::UnknownPath: {
        HttpReply reply;
        reply.status = 404;
        reply.headers = {{"Content-Type", "text/plain"}};
        reply.setBody("404 page not found");
        return reply;
    }
    }
    return std::nullopt;
}

HttpReply OllamaFormat::completeAnswer(const Completion& original,
                                       const GenerationRequest& request) const {
    const Completion completion = withoutFilter(original);
    const JsonObject object{
        {"model", request.model},
        {"created_at", createdAt()},
        {"message", JsonObject{{"role", "assistant"}, {"content", completion.text()}}}};
    return jsonReply(200, finalFields(object, completion).text());
}

HttpReply OllamaFormat::streamHead(const GenerationRequest& request) const {
    Q_UNUSED(request)
    HttpReply reply;
    reply.chunked = true;
    reply.headers = {{"Content-Type", "application/x-ndjson"}};
    return reply;
}

QList<QByteArray> OllamaFormat::streamEvents(const Completion& original,
                                             const GenerationRequest& request) const {
    const Completion completion = withoutFilter(original);
    const QByteArray newline = completion.crlf ? "\r\n" : "\n";
    const auto line = [&](const QString& content) {
        return JsonObject{{"model", request.model},
                          {"created_at", createdAt()},
                          {"message", JsonObject{{"role", "assistant"}, {"content", content}}},
                          {"done", false}}
                   .text() +
               newline;
    };
    QList<QByteArray> events;
    for (qsizetype i = 0; i < completion.deltas.size(); ++i) {
        events << line(completion.deltas.at(i));
        if (completion.emptyDeltas && i % 4 == 1)
            events << line(QString());
    }
    const JsonObject last{{"model", request.model},
                          {"created_at", createdAt()},
                          {"message", JsonObject{{"role", "assistant"}, {"content", ""}}}};
    events << finalFields(last, completion).text() + newline;
    return events;
}

QByteArray OllamaFormat::streamErrorEvent(const GenerationRequest& request, bool crlf) const {
    Q_UNUSED(request)
    return JsonObject{{"error", "an error was encountered while running the model: unexpected EOF"}}
               .text() +
           (crlf ? "\r\n" : "\n");
}

HttpReply OllamaFormat::modelList(const QStringList& models) const {
    QList<Json> entries;
    for (const QString& model : models) {
        const QString name =
            model.contains(QLatin1Char(':')) ? model : model + QStringLiteral(":latest");
        entries << JsonObject{
            {"name", name},
            {"model", name},
            {"modified_at", "2025-01-01T12:00:00.000000000Z"},
            {"size", qint64(2019393189)},
            {"digest", "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72"},
            {"details", JsonObject{{"parent_model", ""},
                                   {"format", "gguf"},
                                   {"family", "llama"},
                                   {"families", QList<Json>{"llama"}},
                                   {"parameter_size", "3.2B"},
                                   {"quantization_level", "Q4_K_M"}}}};
    }
    return jsonReply(200, JsonObject{{"models", entries}}.text());
}

} // namespace omega::fake
