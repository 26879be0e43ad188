#include "FakeProviderServer.h"

#include "AnthropicFormat.h"
#include "GeminiFormat.h"
#include "HttpConnection.h"
#include "OllamaFormat.h"
#include "OpenAiFormat.h"
#include "Scenario.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>

#include <algorithm>

namespace omega {

using namespace omega::fake;

namespace {

const QString kDefaultAnswer = QStringLiteral(
    "Here is a Manim scene that morphs a circle into a square.\n"
    "\n"
    "```python\n"
    "from manim import *\n"
    "\n"
    "\n"
    "class CircleToSquare(Scene):\n"
    "    def construct(self):\n"
    "        circle = Circle(radius=1.5, color=BLUE)\n"
    "        circle.set_fill(BLUE, opacity=0.5)\n"
    "        square = Square(side_length=3, color=GREEN)\n"
    "        square.set_fill(GREEN, opacity=0.5)\n"
    "\n"
    "        self.play(Create(circle))\n"
    "        self.wait(0.5)\n"
    "        self.play(Transform(circle, square))\n"
    "        self.wait(1)\n"
    "```\n"
    "\n"
    "Render it with `manim -ql`: circle (area \u03c0r\u00b2) \u2192 square \u2713, one morph and "
    "no \u221e loop.\n");

const QString kNoCodeAnswer = QStringLiteral(
    "A circle morphing into a square is a classic Manim animation: draw the circle, then "
    "transform it into a square of the same area \u2192 a smooth morph \u2713. Tell me which "
    "colours you want and I will write the script.");

// The AI endpoints, at the real services' paths.
struct RouteRule {
    QByteArray method;
    QRegularExpression path;
    Endpoint endpoint;
};

const QList<RouteRule>& routeRules() {
    static const QList<RouteRule> rules{
        {"POST",
         QRegularExpression(QStringLiteral("^/v1(?:beta)?/models/([^/:]+):generateContent$")),
         Endpoint::GeminiGenerate},
        {"POST",
         QRegularExpression(QStringLiteral("^/v1(?:beta)?/models/([^/:]+):streamGenerateContent$")),
         Endpoint::GeminiStream},
        {"GET", QRegularExpression(QStringLiteral("^/v1beta/models$")), Endpoint::GeminiModels},
        {"POST",
         QRegularExpression(QStringLiteral("^/openai/deployments/([^/]+)/chat/completions$")),
         Endpoint::AzureDeploymentChat},
        {"POST", QRegularExpression(QStringLiteral("^/openai/v1/chat/completions$")),
         Endpoint::AzureV1Chat},
        {"POST", QRegularExpression(QStringLiteral("^/v1/chat/completions$")),
         Endpoint::OpenAiChat},
        {"GET", QRegularExpression(QStringLiteral("^/v1/models$")), Endpoint::OpenAiModels},
        {"POST", QRegularExpression(QStringLiteral("^/v1/messages$")), Endpoint::AnthropicMessages},
        {"POST", QRegularExpression(QStringLiteral("^/api/chat$")), Endpoint::OllamaChat},
        {"GET", QRegularExpression(QStringLiteral("^/api/tags$")), Endpoint::OllamaTags},
    };
    return rules;
}

bool isModelList(Endpoint endpoint) {
    return endpoint == Endpoint::GeminiModels || endpoint == Endpoint::OpenAiModels ||
           endpoint == Endpoint::AnthropicModels || endpoint == Endpoint::OllamaTags;
}

bool looksAnthropic(const HttpRequest& request) {
    return !request.header("anthropic-version").isEmpty() || !request.header("x-api-key").isEmpty();
}

QString sentKey(const HttpRequest& request) {
    for (const QByteArray& name : {QByteArrayLiteral("x-goog-api-key"),
                                   QByteArrayLiteral("api-key"), QByteArrayLiteral("x-api-key")}) {
        if (!request.header(name).isEmpty())
            return QString::fromUtf8(request.header(name));
    }
    const QByteArray authorization = request.header("authorization");
    return authorization.startsWith("Bearer ") ? QString::fromUtf8(authorization.mid(7))
                                               : QString();
}

std::optional<ErrorKind> errorKindOf(Scenario scenario) {
    switch (scenario) {
    case Scenario::BadKey:
        return ErrorKind::BadKey;
    case Scenario::Forbidden:
        return ErrorKind::Forbidden;
    case Scenario::NotFound:
        return ErrorKind::NotFound;
    case Scenario::RateLimit:
        return ErrorKind::RateLimit;
    case Scenario::Quota:
        return ErrorKind::Quota;
    case Scenario::ServerError:
        return ErrorKind::ServerError;
    case Scenario::Unavailable:
        return ErrorKind::Unavailable;
    case Scenario::Overloaded:
        return ErrorKind::Overloaded;
    default:
        return std::nullopt;
    }
}

// What a proxy in front of the service answers when the service is down.
HttpReply htmlErrorReply() {
    HttpReply reply;
    reply.status = 502;
    reply.headers = {{"Content-Type", "text/html"}, {"Server", "nginx"}};
    reply.setBody("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                  "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
                  "</body>\r\n</html>\r\n");
    return reply;
}

bool isUtf8Continuation(char byte) {
    return (static_cast<unsigned char>(byte) & 0xC0) == 0x80;
}

// Moves a cut position back to the start of a UTF-8 sequence.
qsizetype utf8Boundary(const QByteArray& bytes, qsizetype position) {
    while (position > 0 && position < bytes.size() && isUtf8Continuation(bytes.at(position)))
        --position;
    return position;
}

// Text deltas of at most `size` characters, never splitting a surrogate pair.
QStringList splitText(const QString& text, int size) {
    QStringList deltas;
    qsizetype start = 0;
    while (start < text.size()) {
        qsizetype end = qMin(text.size(), start + qMax(1, size));
        if (end < text.size() && text.at(end).isLowSurrogate())
            ++end;
        deltas << text.mid(start, end - start);
        start = end;
    }
    return deltas;
}

// The answer cut by the token limit: half-way into its code block.
QString truncatedInsideCode(const QString& text) {
    const qsizetype open = text.indexOf(QStringLiteral("```"));
    const qsizetype close = open < 0 ? -1 : text.indexOf(QStringLiteral("```"), open + 3);
    qsizetype cut = close > open ? open + (close - open) / 2 : text.size() * 3 / 5;
    if (cut > 0 && cut < text.size() && text.at(cut).isLowSurrogate())
        --cut;
    return text.left(cut);
}

// A JSON text or framed event cut two thirds in (kept valid UTF-8, keeps its line ending).
QByteArray brokenJson(const QByteArray& event) {
    qsizetype end = event.size();
    while (end > 0 && (event.at(end - 1) == '\n' || event.at(end - 1) == '\r'))
        --end;
    return event.left(utf8Boundary(event, end * 2 / 3)) + event.mid(end);
}

// The byte positions where the split scenario cuts a stream: inside each UTF-8 multi-byte
// sequence, inside `data:` / `event:`, between \r and \n, between the two \n of "\n\n",
// before the \n ending an NDJSON line, and in the middle of JSON text.
QList<qsizetype> awkwardCuts(const QByteArray& bytes) {
    QList<qsizetype> cuts;
    for (qsizetype i = 0; i < bytes.size(); ++i) {
        const auto byte = static_cast<unsigned char>(bytes.at(i));
        if (byte >= 0xC0) // lead byte of a multi-byte sequence
            cuts << i + 1;
    }
    const auto firstOccurrences = [&](const QByteArray& needle, int offset, int count) {
        qsizetype from = 0;
        for (int found = 0; found < count; ++found) {
            const qsizetype at = bytes.indexOf(needle, from);
            if (at < 0)
                return;
            cuts << at + offset;
            from = at + needle.size();
        }
    };
    firstOccurrences("data:", 2, 3);
    firstOccurrences("event:", 3, 2);
    firstOccurrences("\r\n", 1, 3);
    firstOccurrences("\n\n", 1, 3);
    firstOccurrences("}\n", 1, 3);
    cuts << bytes.size() / 3 << bytes.size() * 2 / 3;
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    cuts.removeIf([&](qsizetype cut) { return cut <= 0 || cut >= bytes.size(); });
    return cuts;
}

QList<HttpReply::Piece> piecesAt(const QByteArray& bytes, const QList<qsizetype>& cuts,
                                 int delayMs) {
    QList<HttpReply::Piece> pieces;
    qsizetype start = 0;
    for (const qsizetype cut : cuts) {
        pieces.append({bytes.mid(start, cut - start), delayMs});
        start = cut;
    }
    pieces.append({bytes.mid(start), delayMs});
    return pieces;
}

// `count` roughly equal pieces cut on UTF-8 boundaries.
QList<HttpReply::Piece> evenPieces(const QByteArray& bytes, int count, int delayMs) {
    QList<qsizetype> cuts;
    for (int i = 1; i < count; ++i) {
        const qsizetype cut = utf8Boundary(bytes, bytes.size() * i / count);
        if (cut > 0 && (cuts.isEmpty() || cut > cuts.last()))
            cuts << cut;
    }
    return piecesAt(bytes, cuts, delayMs);
}

QStringList defaultModels(Provider provider) {
    switch (provider) {
    case Provider::Gemini:
        return {QStringLiteral("gemini-2.5-flash"), QStringLiteral("gemini-2.5-pro")};
    case Provider::Azure:
    case Provider::OpenAi:
        return {QStringLiteral("gpt-4o"), QStringLiteral("gpt-4o-mini"), QStringLiteral("gpt-4.1")};
    case Provider::Anthropic:
        return {QStringLiteral("claude-sonnet-4-5"), QStringLiteral("claude-haiku-4-5")};
    case Provider::Ollama:
        return {QStringLiteral("llama3.2"), QStringLiteral("qwen2.5-coder")};
    }
    return {};
}

QJsonArray toJsonArray(const QStringList& list) {
    QJsonArray array;
    for (const QString& item : list)
        array.append(item);
    return array;
}

HttpReply controlReply(int status, const QJsonObject& object) {
    HttpReply reply;
    reply.status = status;
    reply.headers = {{"Content-Type", "application/json"}};
    reply.setBody(QJsonDocument(object).toJson(QJsonDocument::Compact));
    return reply;
}

HttpReply controlError(int status, const QString& message) {
    return controlReply(status, QJsonObject{{QStringLiteral("error"), message}});
}

} // namespace

// ---------------------------------------------------------------------------------------

struct FakeProviderServer::Private {
    explicit Private(FakeProviderServer* owner)
        : q(owner) {}

    struct Settings {
        FakeProviderConfig config;
        QString answer = kDefaultAnswer;
        QList<Scenario> queue;
        Scenario defaultScenario = Scenario::Success;
    };

    struct Route {
        Endpoint endpoint;
        const ProviderFormat* format;
        QString pathModel;
    };

    FakeProviderServer* q;
    QTcpServer tcpServer;
    GeminiFormat gemini;
    OpenAiFormat openAi{OpenAiFormat::Flavour::OpenAi};
    OpenAiFormat azure{OpenAiFormat::Flavour::Azure};
    AnthropicFormat anthropic;
    OllamaFormat ollama;
    Settings settings;
    Settings baseline; // what reset() restores
    QList<RecordedRequest> log;

    void accept();
    void handle(HttpConnection* connection, const HttpRequest& request);
    std::optional<Route> route(const HttpRequest& request) const;
    const ProviderFormat* formatForUnknownPath(const HttpRequest& request) const;
    qsizetype record(const HttpRequest& request, const ProviderFormat* format);
    void answer(HttpConnection* connection, qsizetype logIndex, const HttpReply& reply);

    void handleGeneration(HttpConnection* connection, const HttpRequest& request,
                          const Route& route, qsizetype logIndex);
    HttpReply play(Scenario scenario, const ProviderFormat& format,
                   const GenerationRequest& request, const ErrorDetails& details) const;
    Completion completionFor(Scenario scenario, const GenerationRequest& request) const;
    HttpReply playComplete(Scenario scenario, const ProviderFormat& format,
                           const Completion& completion, const GenerationRequest& request,
                           const ErrorDetails& details) const;
    HttpReply playStream(Scenario scenario, const ProviderFormat& format,
                         const Completion& completion, const GenerationRequest& request) const;

    HttpReply handleControl(const HttpRequest& request);
    QJsonObject scenarioState() const;
    QJsonObject configJson() const;
    std::optional<QString> applyConfig(const QJsonObject& object);
    static std::optional<QList<Scenario>> scenariosFromNames(const QStringList& names);
};

void FakeProviderServer::Private::accept() {
    while (QTcpSocket* socket = tcpServer.nextPendingConnection()) {
        new HttpConnection(
            socket,
            [this](HttpConnection* connection, const HttpRequest& request) {
                handle(connection, request);
            },
            q);
    }
}

std::optional<FakeProviderServer::Private::Route>
FakeProviderServer::Private::route(const HttpRequest& request) const {
    for (const RouteRule& rule : routeRules()) {
        if (rule.method != request.method)
            continue;
        const QRegularExpressionMatch match = rule.path.match(request.path);
        if (!match.hasMatch())
            continue;
        Route result{rule.endpoint, nullptr, match.captured(1)};
        switch (rule.endpoint) {
        case Endpoint::GeminiGenerate:
        case Endpoint::GeminiStream:
        case Endpoint::GeminiModels:
            result.format = &gemini;
            break;
        case Endpoint::AzureDeploymentChat:
        case Endpoint::AzureV1Chat:
            result.format = &azure;
            break;
        case Endpoint::OpenAiChat:
            result.format = &openAi;
            break;
        case Endpoint::OpenAiModels:
        case Endpoint::AnthropicModels:
            // Both services list models at GET /v1/models; the headers tell them apart.
            if (looksAnthropic(request)) {
                result.endpoint = Endpoint::AnthropicModels;
                result.format = &anthropic;
            } else {
                result.format = &openAi;
            }
            break;
        case Endpoint::AnthropicMessages:
            result.format = &anthropic;
            break;
        case Endpoint::OllamaChat:
        case Endpoint::OllamaTags:
            result.format = &ollama;
            break;
        }
        return result;
    }
    return std::nullopt;
}

const ProviderFormat*
FakeProviderServer::Private::formatForUnknownPath(const HttpRequest& request) const {
    const QString& path = request.path;
    if (path.startsWith(QLatin1String("/v1beta/")))
        return &gemini;
    if (path.startsWith(QLatin1String("/openai/")))
        return &azure;
    if (path.startsWith(QLatin1String("/api/")))
        return &ollama;
    if (path.startsWith(QLatin1String("/v1/")))
        return looksAnthropic(request) ? static_cast<const ProviderFormat*>(&anthropic) : &openAi;
    return nullptr;
}

qsizetype FakeProviderServer::Private::record(const HttpRequest& request,
                                              const ProviderFormat* format) {
    RecordedRequest entry;
    entry.method = QString::fromLatin1(request.method);
    entry.path = request.path;
    entry.query = request.query;
    entry.headers = request.headers;
    entry.body = request.body;
    entry.receivedMs = request.receivedMs;
    entry.provider = format ? providerName(format->provider()) : QString();
    entry.keyInQuery = format == &gemini && GeminiFormat::keyInQuery(request);
    log.append(entry);
    return log.size() - 1;
}

void FakeProviderServer::Private::answer(HttpConnection* connection, qsizetype logIndex,
                                         const HttpReply& reply) {
    if (logIndex >= 0 && logIndex < log.size())
        log[logIndex].status = reply.status;
    connection->reply(reply);
}

void FakeProviderServer::Private::handle(HttpConnection* connection, const HttpRequest& request) {
    if (request.path.startsWith(QLatin1String("/_control/"))) {
        connection->reply(handleControl(request));
        return;
    }
    const std::optional<Route> matched = route(request);
    if (!matched) {
        const ProviderFormat* format = formatForUnknownPath(request);
        const qsizetype index = record(request, format);
        Q_EMIT q->requestReceived(log.at(index));
        ErrorDetails details;
        details.method = QString::fromLatin1(request.method);
        details.path = request.path;
        std::optional<HttpReply> reply;
        if (format)
            reply = format->errorReply(ErrorKind::UnknownPath, details);
        if (!reply) {
            reply = HttpReply{};
            reply->status = 404;
            reply->headers = {{"Content-Type", "text/plain"}};
            reply->setBody("404 page not found\n");
        }
        answer(connection, index, *reply);
        return;
    }
    const qsizetype index = record(request, matched->format);
    if (isModelList(matched->endpoint)) {
        Q_EMIT q->requestReceived(log.at(index));
        const ProviderFormat& format = *matched->format;
        if (auto rejected = format.checkKey(request, settings.config.expectedKey)) {
            answer(connection, index, *rejected);
            return;
        }
        const QStringList models = settings.config.knownModels.isEmpty()
                                       ? defaultModels(format.provider())
                                       : settings.config.knownModels;
        answer(connection, index, format.modelList(models));
        return;
    }
    handleGeneration(connection, request, *matched, index);
}

void FakeProviderServer::Private::handleGeneration(HttpConnection* connection,
                                                   const HttpRequest& request, const Route& route,
                                                   qsizetype logIndex) {
    const ProviderFormat& format = *route.format;
    const ParsedRequest parsed = format.parseGeneration(request, route.endpoint, route.pathModel);
    const GenerationRequest& generation = parsed.request;

    // The scenario: named by the model, else the next queued one, else the default.
    const QString scenarioPrefix = QStringLiteral("scenario-");
    const bool namedByModel = generation.model.startsWith(scenarioPrefix);
    const std::optional<Scenario> named =
        namedByModel ? scenarioFromName(generation.model.mid(scenarioPrefix.size())) : std::nullopt;
    Scenario scenario = settings.defaultScenario;
    if (namedByModel)
        scenario = named.value_or(Scenario::NotFound); // a typo in the name: the model is unknown
    else if (!settings.queue.isEmpty())
        scenario = settings.queue.takeFirst();

    RecordedRequest& entry = log[logIndex];
    entry.model = generation.model;
    entry.stream = generation.stream;
    entry.scenario = scenarioName(scenario);
    Q_EMIT q->requestReceived(entry);

    if (scenario == Scenario::NeverAnswer)
        return; // the connection stays open and silent until the client gives up

    ErrorDetails details;
    details.model = generation.model;
    details.key = sentKey(request);
    details.method = QString::fromLatin1(request.method);
    details.path = request.path;
    details.apiVersion = generation.apiVersion;
    details.retryAfterSeconds = settings.config.retryAfterSeconds;

    // The order real services check things in: key, request, model, then the answer.
    if (scenario == Scenario::BadKey) {
        answer(connection, logIndex, *format.errorReply(ErrorKind::BadKey, details));
        return;
    }
    if (auto rejected = format.checkKey(request, settings.config.expectedKey)) {
        answer(connection, logIndex, *rejected);
        return;
    }
    if (parsed.rejection) {
        answer(connection, logIndex, *parsed.rejection);
        return;
    }
    const QStringList& known = settings.config.knownModels;
    if (!namedByModel && !known.isEmpty() && !known.contains(generation.model)) {
        answer(connection, logIndex, *format.errorReply(ErrorKind::NotFound, details));
        return;
    }
    answer(connection, logIndex, play(scenario, format, generation, details));
}

HttpReply FakeProviderServer::Private::play(Scenario scenario, const ProviderFormat& format,
                                            const GenerationRequest& request,
                                            const ErrorDetails& details) const {
    if (scenario == Scenario::HtmlError)
        return htmlErrorReply();
    if (const auto kind = errorKindOf(scenario))
        return *format.errorReply(*kind, details);
    if (scenario == Scenario::PromptBlocked) {
        if (auto refused = format.errorReply(ErrorKind::PromptBlocked, details))
            return *refused; // else the provider reports it inside a 200 answer
    }
    const Completion completion = completionFor(scenario, request);
    return request.stream ? playStream(scenario, format, completion, request)
                          : playComplete(scenario, format, completion, request, details);
}

Completion FakeProviderServer::Private::completionFor(Scenario scenario,
                                                      const GenerationRequest& request) const {
    QString text = scenario == Scenario::NoCode ? kNoCodeAnswer : settings.answer;
    Completion completion;
    switch (scenario) {
    case Scenario::Truncated:
        text = truncatedInsideCode(text);
        completion.finish = Finish::MaxTokens;
        break;
    case Scenario::OutputBlocked: {
        qsizetype half = text.size() / 2;
        if (half > 0 && half < text.size() && text.at(half).isLowSurrogate())
            --half;
        text = text.left(half);
        completion.finish = Finish::ContentFilter;
        break;
    }
    case Scenario::PromptBlocked:
        text.clear();
        completion.finish = Finish::PromptBlocked;
        break;
    default:
        break;
    }
    completion.deltas = splitText(text, settings.config.chunkSize);
    completion.promptTokens = request.promptTokens;
    completion.completionTokens = text.isEmpty() ? 0 : tokenEstimate(text);
    completion.crlf = scenario == Scenario::Crlf;
    completion.emptyDeltas = scenario == Scenario::EmptyDeltas;
    return completion;
}

HttpReply FakeProviderServer::Private::playComplete(Scenario scenario, const ProviderFormat& format,
                                                    const Completion& completion,
                                                    const GenerationRequest& request,
                                                    const ErrorDetails& details) const {
    // An error "after the 200" needs a stream; a plain request gets its HTTP twin.
    if (scenario == Scenario::ErrorAfter200)
        return *format.errorReply(ErrorKind::StreamError, details);
    HttpReply reply = format.completeAnswer(completion, request);
    const QByteArray body = reply.body();
    switch (scenario) {
    case Scenario::InvalidJson:
        reply.setBody(brokenJson(body));
        break;
    case Scenario::DropMidStream:
        reply.declaredLength = body.size();
        reply.setBody(body.left(body.size() / 2));
        reply.ending = HttpReply::Ending::Abort;
        break;
    case Scenario::SlowDrip:
        reply.pieces = evenPieces(body, 10, settings.config.dripDelayMs);
        break;
    case Scenario::Split:
        reply.pieces = piecesAt(body, awkwardCuts(body), settings.config.splitDelayMs);
        break;
    default:
        break;
    }
    return reply;
}

HttpReply FakeProviderServer::Private::playStream(Scenario scenario, const ProviderFormat& format,
                                                  const Completion& completion,
                                                  const GenerationRequest& request) const {
    HttpReply reply = format.streamHead(request);
    QList<QByteArray> events = format.streamEvents(completion, request);
    const qsizetype half = qMax<qsizetype>(1, events.size() / 2);
    switch (scenario) {
    case Scenario::ErrorAfter200:
        events = events.mid(0, half);
        events << format.streamErrorEvent(request, completion.crlf);
        break;
    case Scenario::DropMidStream:
        events = events.mid(0, half);
        reply.ending = HttpReply::Ending::Abort;
        break;
    case Scenario::InvalidJson: {
        const qsizetype broken = qMin<qsizetype>(2, events.size() - 1);
        events[broken] = brokenJson(events.at(broken));
        break;
    }
    default:
        break;
    }
    if (scenario == Scenario::Split) {
        const QByteArray bytes = events.join();
        reply.pieces = piecesAt(bytes, awkwardCuts(bytes), settings.config.splitDelayMs);
    } else {
        const int delay = scenario == Scenario::SlowDrip ? settings.config.dripDelayMs : 0;
        for (const QByteArray& event : std::as_const(events))
            reply.pieces.append({event, delay});
    }
    return reply;
}

// --- control API -----------------------------------------------------------------------

std::optional<QList<Scenario>>
FakeProviderServer::Private::scenariosFromNames(const QStringList& names) {
    QList<Scenario> scenarios;
    for (const QString& name : names) {
        const auto scenario = scenarioFromName(name);
        if (!scenario)
            return std::nullopt;
        scenarios << *scenario;
    }
    return scenarios;
}

QJsonObject FakeProviderServer::Private::scenarioState() const {
    QStringList queue;
    for (const Scenario scenario : settings.queue)
        queue << scenarioName(scenario);
    return {{QStringLiteral("queue"), toJsonArray(queue)},
            {QStringLiteral("default"), scenarioName(settings.defaultScenario)},
            {QStringLiteral("available"), toJsonArray(scenarioNames())}};
}

QJsonObject FakeProviderServer::Private::configJson() const {
    const FakeProviderConfig& config = settings.config;
    return {{QStringLiteral("expectedKey"), config.expectedKey},
            {QStringLiteral("retryAfterSeconds"), config.retryAfterSeconds},
            {QStringLiteral("dripDelayMs"), config.dripDelayMs},
            {QStringLiteral("chunkSize"), config.chunkSize},
            {QStringLiteral("splitDelayMs"), config.splitDelayMs},
            {QStringLiteral("knownModels"), toJsonArray(config.knownModels)}};
}

std::optional<QString> FakeProviderServer::Private::applyConfig(const QJsonObject& object) {
    FakeProviderConfig config = settings.config;
    for (auto it = object.begin(); it != object.end(); ++it) {
        const QString& name = it.key();
        const QJsonValue value = it.value();
        const auto number = [&](int minimum, int& target) -> std::optional<QString> {
            if (!value.isDouble() || value.toInt(minimum - 1) < minimum)
                return QStringLiteral("%1 must be an integer >= %2").arg(name).arg(minimum);
            target = value.toInt();
            return std::nullopt;
        };
        std::optional<QString> problem;
        if (name == QLatin1String("expectedKey")) {
            if (!value.isString())
                problem = QStringLiteral("expectedKey must be a string");
            config.expectedKey = value.toString();
        } else if (name == QLatin1String("retryAfterSeconds")) {
            problem = number(0, config.retryAfterSeconds);
        } else if (name == QLatin1String("dripDelayMs")) {
            problem = number(0, config.dripDelayMs);
        } else if (name == QLatin1String("chunkSize")) {
            problem = number(1, config.chunkSize);
        } else if (name == QLatin1String("splitDelayMs")) {
            problem = number(0, config.splitDelayMs);
        } else if (name == QLatin1String("knownModels")) {
            if (!value.isArray())
                problem = QStringLiteral("knownModels must be an array of strings");
            config.knownModels.clear();
            for (const auto& model : value.toArray())
                config.knownModels << model.toString();
        } else {
            problem = QStringLiteral("unknown config member '%1' (expectedKey, "
                                     "retryAfterSeconds, dripDelayMs, chunkSize, splitDelayMs, "
                                     "knownModels)")
                          .arg(name);
        }
        if (problem)
            return problem;
    }
    settings.config = config;
    return std::nullopt;
}

HttpReply FakeProviderServer::Private::handleControl(const HttpRequest& request) {
    const QString name = request.path.mid(QStringLiteral("/_control/").size());
    const bool isPost = request.method == "POST";
    const bool isGet = request.method == "GET";
    const auto body = parseObject(request.body);

    if (name == QLatin1String("scenarios") && (isGet || isPost)) {
        if (isPost) {
            if (!body)
                return controlError(400, QStringLiteral("expected a JSON object: "
                                                        "{\"queue\":[…], \"default\":…, "
                                                        "\"append\":false}"));
            QStringList names;
            for (const auto& value : body->value(QStringLiteral("queue")).toArray())
                names << value.toString();
            const auto queue = scenariosFromNames(names);
            const QString defaultName = body->value(QStringLiteral("default")).toString();
            const auto defaultScenario = defaultName.isEmpty()
                                             ? std::optional<Scenario>(settings.defaultScenario)
                                             : scenarioFromName(defaultName);
            if (!queue || !defaultScenario) {
                QJsonObject error = scenarioState();
                error.insert(QStringLiteral("error"), QStringLiteral("unknown scenario name"));
                return controlReply(400, error);
            }
            if (!body->value(QStringLiteral("append")).toBool())
                settings.queue.clear();
            settings.queue += *queue;
            settings.defaultScenario = *defaultScenario;
        }
        return controlReply(200, scenarioState());
    }
    if (name == QLatin1String("answer") && (isGet || isPost)) {
        if (isPost) {
            // {"text": "…"}, or the raw body as the answer.
            settings.answer = body && body->contains(QStringLiteral("text"))
                                  ? body->value(QStringLiteral("text")).toString()
                                  : QString::fromUtf8(request.body);
        }
        return controlReply(200, {{QStringLiteral("text"), settings.answer}});
    }
    if (name == QLatin1String("config") && (isGet || isPost)) {
        if (isPost) {
            if (!body)
                return controlError(400, QStringLiteral("expected a JSON object"));
            if (const auto problem = applyConfig(*body))
                return controlError(400, *problem);
        }
        return controlReply(200, configJson());
    }
    if (name == QLatin1String("requests") && isGet) {
        QJsonArray entries;
        for (const RecordedRequest& entry : std::as_const(log))
            entries.append(entry.toJson());
        HttpReply reply = controlReply(200, {});
        reply.setBody(QJsonDocument(entries).toJson(QJsonDocument::Compact));
        return reply;
    }
    if (name == QLatin1String("reset") && isPost) {
        settings = baseline;
        log.clear();
        return controlReply(200, {{QStringLiteral("ok"), true}});
    }
    return controlError(404, QStringLiteral("unknown control endpoint %1 %2 (GET/POST scenarios, "
                                            "answer, config; GET requests; POST reset)")
                                 .arg(QString::fromLatin1(request.method), request.path));
}

// --- RecordedRequest ---------------------------------------------------------------------

QByteArray RecordedRequest::header(const QByteArray& name) const {
    return headerValue(headers, name);
}

QJsonObject RecordedRequest::json() const {
    return parseObject(body).value_or(QJsonObject());
}

QJsonObject RecordedRequest::toJson() const {
    QJsonObject headerObject;
    QJsonArray headerList;
    for (const auto& header : headers) {
        const QString lower = QString::fromLatin1(header.first).toLower();
        const QString value = QString::fromUtf8(header.second);
        headerObject.insert(lower, headerObject.contains(lower)
                                       ? headerObject.value(lower).toString() +
                                             QStringLiteral(", ") + value
                                       : value);
        headerList.append(QJsonArray{QString::fromLatin1(header.first), value});
    }
    const auto parsedBody = parseObject(body);
    return {{QStringLiteral("method"), method},
            {QStringLiteral("path"), path},
            {QStringLiteral("query"), query},
            {QStringLiteral("headers"), headerObject},
            {QStringLiteral("headerList"), headerList},
            {QStringLiteral("body"), QString::fromUtf8(body)},
            {QStringLiteral("json"), parsedBody ? QJsonValue(*parsedBody) : QJsonValue()},
            {QStringLiteral("receivedMs"), receivedMs},
            {QStringLiteral("provider"), provider},
            {QStringLiteral("model"), model},
            {QStringLiteral("scenario"), scenario},
            {QStringLiteral("stream"), stream},
            {QStringLiteral("keyInQuery"), keyInQuery},
            {QStringLiteral("status"), status}};
}

// --- FakeProviderServer ------------------------------------------------------------------

FakeProviderServer::FakeProviderServer(QObject* parent)
    : QObject(parent)
    , d(std::make_unique<Private>(this)) {
    connect(&d->tcpServer, &QTcpServer::newConnection, this, [this] { d->accept(); });
}

FakeProviderServer::~FakeProviderServer() {
    d->tcpServer.close();
    // Connections are children of this object: they (and their timers) go first.
    const auto connections = findChildren<HttpConnection*>(Qt::FindDirectChildrenOnly);
    qDeleteAll(connections);
}

bool FakeProviderServer::listen(quint16 port) {
    d->baseline = d->settings;
    return d->tcpServer.listen(QHostAddress::LocalHost, port);
}

quint16 FakeProviderServer::port() const {
    return d->tcpServer.serverPort();
}

QUrl FakeProviderServer::baseUrl() const {
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port()));
}

QString FakeProviderServer::errorString() const {
    return d->tcpServer.errorString();
}

bool FakeProviderServer::setScenarioQueue(const QStringList& names) {
    const auto queue = Private::scenariosFromNames(names);
    if (!queue)
        return false;
    d->settings.queue = *queue;
    return true;
}

bool FakeProviderServer::enqueueScenarios(const QStringList& names) {
    const auto queue = Private::scenariosFromNames(names);
    if (!queue)
        return false;
    d->settings.queue += *queue;
    return true;
}

QStringList FakeProviderServer::scenarioQueue() const {
    QStringList names;
    for (const Scenario scenario : d->settings.queue)
        names << scenarioName(scenario);
    return names;
}

bool FakeProviderServer::setDefaultScenario(const QString& name) {
    const auto scenario = scenarioFromName(name);
    if (!scenario)
        return false;
    d->settings.defaultScenario = *scenario;
    return true;
}

QString FakeProviderServer::defaultScenario() const {
    return scenarioName(d->settings.defaultScenario);
}

QStringList FakeProviderServer::scenarioNames() {
    return fake::scenarioNames();
}

void FakeProviderServer::setAnswer(const QString& text) {
    d->settings.answer = text;
}

QString FakeProviderServer::answer() const {
    return d->settings.answer;
}

QString FakeProviderServer::defaultAnswer() {
    return kDefaultAnswer;
}

FakeProviderConfig FakeProviderServer::config() const {
    return d->settings.config;
}

void FakeProviderServer::setConfig(const FakeProviderConfig& config) {
    d->settings.config = config;
}

void FakeProviderServer::setExpectedKey(const QString& key) {
    d->settings.config.expectedKey = key;
}

QList<RecordedRequest> FakeProviderServer::requests() const {
    return d->log;
}

void FakeProviderServer::clearRequests() {
    d->log.clear();
}

void FakeProviderServer::reset() {
    d->settings = d->baseline;
    d->log.clear();
}

} // namespace omega
