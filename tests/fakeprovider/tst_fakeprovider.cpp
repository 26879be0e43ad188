// The fake provider server seen from a raw QNetworkAccessManager: exact stream bytes per
// provider, the byte-level scenarios (split reads, drop, never-answer), errors and the
// request log. The official SDKs referee the same server in test_official_clients.py.

#include "FakeProviderServer.h"
#include "HttpRequestParser.h"
#include "Json.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSignalSpy>
#include <QtTest>

using omega::FakeProviderServer;
using omega::RecordedRequest;

namespace {

const QByteArray kKey = "test-key";

// Everything one request brought back, read by read.
struct Exchange {
    QList<QByteArray> reads; // one entry per readyRead
    int status = 0;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    bool finished = false;
    QList<QNetworkReply::RawHeaderPair> headers;

    QByteArray body() const {
        QByteArray all;
        for (const QByteArray& read : reads)
            all += read;
        return all;
    }
    QByteArray header(const QByteArray& name) const {
        for (const auto& header : headers) {
            if (header.first.compare(name, Qt::CaseInsensitive) == 0)
                return header.second;
        }
        return {};
    }
    bool hasHeader(const QByteArray& name) const {
        return std::any_of(headers.begin(), headers.end(), [&](const auto& header) {
            return header.first.compare(name, Qt::CaseInsensitive) == 0;
        });
    }
    QJsonObject json() const { return QJsonDocument::fromJson(body()).object(); }
};

using Headers = QList<QPair<QByteArray, QByteArray>>;

// Splits an SSE body into its events (blank-line separated, \n\n or \r\n\r\n).
QList<QByteArray> sseEvents(QByteArray body) {
    body.replace("\r\n", "\n");
    QList<QByteArray> events = body.split('\n');
    QList<QByteArray> result;
    QByteArray current;
    for (const QByteArray& line : events) {
        if (line.isEmpty()) {
            if (!current.isEmpty())
                result << current;
            current.clear();
        } else {
            current += (current.isEmpty() ? QByteArray() : QByteArray("\n")) + line;
        }
    }
    if (!current.isEmpty())
        result << current;
    return result;
}

QJsonObject dataOf(const QByteArray& event) {
    for (const QByteArray& line : event.split('\n')) {
        if (line.startsWith("data: "))
            return QJsonDocument::fromJson(line.mid(6)).object();
    }
    return {};
}

// True when the read stops inside a UTF-8 multi-byte sequence.
bool endsInsideUtf8(const QByteArray& read) {
    for (qsizetype back = 1; back <= qMin<qsizetype>(3, read.size()); ++back) {
        const auto byte = static_cast<unsigned char>(read.at(read.size() - back));
        if ((byte & 0xC0) == 0x80)
            continue; // continuation byte: keep looking for the lead byte
        if (byte < 0x80)
            return false;
        const int length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2;
        return back < length;
    }
    return false;
}

QByteArray json(const QJsonObject& object) {
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

const QJsonArray kOpenAiMessages{
    QJsonObject{{QStringLiteral("role"), QStringLiteral("system")},
                {QStringLiteral("content"), QStringLiteral("You write Manim CE scripts.")}},
    QJsonObject{{QStringLiteral("role"), QStringLiteral("user")},
                {QStringLiteral("content"), QStringLiteral("Morph a circle into a square.")}}};

QByteArray openAiBody(const QString& model, bool stream) {
    QJsonObject body{{QStringLiteral("model"), model},
                     {QStringLiteral("messages"), kOpenAiMessages}};
    if (stream) {
        body.insert(QStringLiteral("stream"), true);
        body.insert(QStringLiteral("stream_options"),
                    QJsonObject{{QStringLiteral("include_usage"), true}});
    }
    return json(body);
}

QByteArray geminiBody() {
    return json(QJsonObject{
        {QStringLiteral("systemInstruction"),
         QJsonObject{{QStringLiteral("parts"),
                      QJsonArray{QJsonObject{{QStringLiteral("text"), QStringLiteral("Manim")}}}}}},
        {QStringLiteral("contents"),
         QJsonArray{QJsonObject{
             {QStringLiteral("role"), QStringLiteral("user")},
             {QStringLiteral("parts"),
              QJsonArray{QJsonObject{{QStringLiteral("text"), QStringLiteral("Circle")}}}}}}},
        {QStringLiteral("generationConfig"),
         QJsonObject{{QStringLiteral("temperature"), 0.7},
                     {QStringLiteral("maxOutputTokens"), 4096}}}});
}

QByteArray anthropicBody(const QString& model, bool stream) {
    return json(QJsonObject{
        {QStringLiteral("model"), model},
        {QStringLiteral("max_tokens"), 4096},
        {QStringLiteral("system"), QStringLiteral("You write Manim CE scripts.")},
        {QStringLiteral("messages"),
         QJsonArray{QJsonObject{{QStringLiteral("role"), QStringLiteral("user")},
                                {QStringLiteral("content"), QStringLiteral("Circle")}}}},
        {QStringLiteral("stream"), stream}});
}

QByteArray ollamaBody(const QString& model, bool stream) {
    return json(QJsonObject{
        {QStringLiteral("model"), model},
        {QStringLiteral("messages"),
         QJsonArray{QJsonObject{{QStringLiteral("role"), QStringLiteral("user")},
                                {QStringLiteral("content"), QStringLiteral("Circle")}}}},
        {QStringLiteral("stream"), stream}});
}

const Headers kAnthropicHeaders{{"x-api-key", kKey}, {"anthropic-version", "2023-06-01"}};

} // namespace

class TestFakeProvider : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void openAiStreamIsExact();
    void openAiNonStreamedAnswer();
    void azureStreamHasItsQuirks();
    void geminiStreamIsExact();
    void geminiKeyInQueryIsRecorded();
    void anthropicEventsInOrder();
    void ollamaStreamsNdjson();
    void splitArrivesInSeveralReads();
    void slowDripSpreadsWrites();
    void neverAnswerStaysSilent();
    void dropMidStreamClosesTheConnection();
    void errorAfter200_data();
    void errorAfter200();
    void authErrors_data();
    void authErrors();
    void rateLimitShapes();
    void validationErrors_data();
    void validationErrors();
    void htmlErrorAndInvalidJson();
    void requestLogRecordsHeaders();
    void controlApiOverHttp();
    void scenarioQueueIsConsumedInOrder();
    void parserReadsChunkedAndPartialRequests();
    void jsonKeepsMemberOrder();

private:
    Exchange send(const QString& pathAndQuery, const QByteArray& body, const Headers& headers,
                  const QByteArray& verb = "POST", int timeoutMs = 10000);
    Exchange control(const QString& name, const QJsonObject& body);

    std::unique_ptr<FakeProviderServer> m_server;
    std::unique_ptr<QNetworkAccessManager> m_nam;
};

void TestFakeProvider::init() {
    m_server = std::make_unique<FakeProviderServer>();
    QVERIFY2(m_server->listen(), qPrintable(m_server->errorString()));
    m_nam = std::make_unique<QNetworkAccessManager>();
}

void TestFakeProvider::cleanup() {
    m_nam.reset();
    m_server.reset();
}

Exchange TestFakeProvider::send(const QString& pathAndQuery, const QByteArray& body,
                                const Headers& headers, const QByteArray& verb, int timeoutMs) {
    QNetworkRequest request(QUrl(m_server->baseUrl().toString() + pathAndQuery));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    for (const auto& header : headers)
        request.setRawHeader(header.first, header.second);
    QNetworkReply* reply =
        verb == "GET" ? m_nam->get(request) : m_nam->sendCustomRequest(request, verb, body);
    Exchange exchange;
    connect(reply, &QNetworkReply::readyRead, this, [&] { exchange.reads << reply->readAll(); });
    QSignalSpy finished(reply, &QNetworkReply::finished);
    exchange.finished = finished.wait(timeoutMs);
    exchange.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    exchange.error = reply->error();
    exchange.headers = reply->rawHeaderPairs();
    if (reply->bytesAvailable() > 0)
        exchange.reads << reply->readAll();
    reply->abort();
    reply->deleteLater();
    return exchange;
}

Exchange TestFakeProvider::control(const QString& name, const QJsonObject& body) {
    return send(QStringLiteral("/_control/") + name, json(body), {});
}

void TestFakeProvider::openAiStreamIsExact() {
    const Exchange exchange =
        send(QStringLiteral("/v1/chat/completions"), openAiBody(QStringLiteral("gpt-4o"), true),
             {{"Authorization", "Bearer " + kKey}});
    QCOMPARE(exchange.status, 200);
    QCOMPARE(exchange.header("content-type"), QByteArray("text/event-stream; charset=utf-8"));
    QVERIFY(exchange.header("x-request-id").startsWith("req_"));
    QVERIFY(!exchange.body().contains("\r\n"));
    QVERIFY(exchange.body().endsWith("\n\ndata: [DONE]\n\n"));

    const QList<QByteArray> events = sseEvents(exchange.body());
    QString text;
    for (const QByteArray& event : events) {
        QVERIFY2(event.startsWith("data: "), event.constData());
        for (const auto& choice : dataOf(event).value(QStringLiteral("choices")).toArray())
            text += choice.toObject()
                        .value(QStringLiteral("delta"))
                        .toObject()
                        .value(QStringLiteral("content"))
                        .toString();
    }
    QCOMPARE(text, FakeProviderServer::defaultAnswer());
    const QJsonObject first = dataOf(events.first());
    QCOMPARE(first.value(QStringLiteral("object")).toString(),
             QStringLiteral("chat.completion.chunk"));
    QCOMPARE(first[QStringLiteral("choices")][0][QStringLiteral("delta")][QStringLiteral("role")]
                 .toString(),
             QStringLiteral("assistant"));
    // finish chunk, then the usage chunk with "choices":[], then [DONE].
    const QJsonObject finish = dataOf(events.at(events.size() - 3));
    QCOMPARE(finish[QStringLiteral("choices")][0][QStringLiteral("finish_reason")].toString(),
             QStringLiteral("stop"));
    const QJsonObject usage = dataOf(events.at(events.size() - 2));
    QVERIFY(usage.value(QStringLiteral("choices")).toArray().isEmpty());
    const QJsonObject counts = usage.value(QStringLiteral("usage")).toObject();
    QVERIFY(counts.value(QStringLiteral("prompt_tokens")).toInt() > 0);
    QCOMPARE(counts.value(QStringLiteral("total_tokens")).toInt(),
             counts.value(QStringLiteral("prompt_tokens")).toInt() +
                 counts.value(QStringLiteral("completion_tokens")).toInt());
    // The real member order, not QJsonObject's alphabetical one.
    QVERIFY(events.first().startsWith("data: {\"id\":\"chatcmpl-"));
}

void TestFakeProvider::openAiNonStreamedAnswer() {
    const Exchange exchange =
        send(QStringLiteral("/v1/chat/completions"), openAiBody(QStringLiteral("gpt-4o"), false),
             {{"Authorization", "Bearer " + kKey}});
    QCOMPARE(exchange.status, 200);
    QCOMPARE(exchange.header("content-type"), QByteArray("application/json"));
    QVERIFY(exchange.hasHeader("content-length"));
    const QJsonObject body = exchange.json();
    QCOMPARE(
        body[QStringLiteral("choices")][0][QStringLiteral("message")][QStringLiteral("content")]
            .toString(),
        FakeProviderServer::defaultAnswer());
    QVERIFY(body[QStringLiteral("usage")][QStringLiteral("completion_tokens")].toInt() > 0);
}

void TestFakeProvider::azureStreamHasItsQuirks() {
    const Exchange exchange =
        send(QStringLiteral("/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21"),
             openAiBody(QStringLiteral("ignored"), true), {{"api-key", kKey}});
    QCOMPARE(exchange.status, 200);
    QVERIFY(exchange.hasHeader("apim-request-id"));
    const QList<QByteArray> events = sseEvents(exchange.body());
    // First chunk: "choices":[] with the prompt filter results.
    const QJsonObject first = dataOf(events.first());
    QVERIFY(first.value(QStringLiteral("choices")).toArray().isEmpty());
    QVERIFY(first.contains(QStringLiteral("prompt_filter_results")));
    QCOMPARE(dataOf(events.at(1)).value(QStringLiteral("model")).toString(),
             QStringLiteral("my-gpt4o"));
    QCOMPARE(events.last(), QByteArray("data: [DONE]"));

    // empty-deltas: chunks whose choice has no delta at all.
    const Exchange empty =
        send(QStringLiteral("/openai/deployments/scenario-empty-deltas/chat/completions?"
                            "api-version=2024-10-21"),
             openAiBody(QString(), true), {{"api-key", kKey}});
    int withoutDelta = 0;
    for (const QByteArray& event : sseEvents(empty.body())) {
        const QJsonArray choices = dataOf(event).value(QStringLiteral("choices")).toArray();
        if (!choices.isEmpty() && !choices.at(0).toObject().contains(QStringLiteral("delta")))
            ++withoutDelta;
    }
    QVERIFY(withoutDelta >= 2);
}

void TestFakeProvider::geminiStreamIsExact() {
    const Exchange exchange =
        send(QStringLiteral("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"),
             geminiBody(), {{"x-goog-api-key", kKey}});
    QCOMPARE(exchange.status, 200);
    QCOMPARE(exchange.header("content-type"), QByteArray("text/event-stream"));
    const QByteArray body = exchange.body();
    QVERIFY(!body.contains("[DONE]"));
    QVERIFY(!body.contains("event:"));
    QVERIFY(body.endsWith("}\r\n\r\n"));
    QCOMPARE(body.count("data: "), body.count("\r\n\r\n")); // every event ends with \r\n\r\n

    QString text;
    const QList<QByteArray> events = sseEvents(body);
    for (const QByteArray& event : events) {
        const QJsonObject candidate =
            dataOf(event).value(QStringLiteral("candidates")).toArray().at(0).toObject();
        for (const auto& part :
             candidate[QStringLiteral("content")][QStringLiteral("parts")].toArray())
            text += part.toObject().value(QStringLiteral("text")).toString();
    }
    QCOMPARE(text, FakeProviderServer::defaultAnswer());
    const QJsonObject last = dataOf(events.last());
    QCOMPARE(last[QStringLiteral("candidates")][0][QStringLiteral("finishReason")].toString(),
             QStringLiteral("STOP"));
    QVERIFY(last[QStringLiteral("usageMetadata")][QStringLiteral("candidatesTokenCount")].toInt() >
            0);
    // Gemini's SSE JSON: "name": value with a space, no space after commas.
    QVERIFY(events.first().startsWith("data: {\"candidates\": [{\"content\": {\"parts\": "));

    const RecordedRequest logged = m_server->requests().last();
    QCOMPARE(logged.query, QStringLiteral("alt=sse"));
    QCOMPARE(logged.header("x-goog-api-key"), kKey);
    QVERIFY(!logged.keyInQuery);
}

void TestFakeProvider::geminiKeyInQueryIsRecorded() {
    const Exchange exchange =
        send(QStringLiteral("/v1beta/models/gemini-2.5-flash:generateContent?key=test-key"),
             geminiBody(), {});
    QCOMPARE(exchange.status, 200); // the real service accepts it too: only the log tells
    QVERIFY(m_server->requests().last().keyInQuery);
    QCOMPARE(m_server->requests().last().query, QStringLiteral("key=test-key"));
}

void TestFakeProvider::anthropicEventsInOrder() {
    const Exchange exchange =
        send(QStringLiteral("/v1/messages"),
             anthropicBody(QStringLiteral("claude-sonnet-4-5"), true), kAnthropicHeaders);
    QCOMPARE(exchange.status, 200);
    QVERIFY(exchange.header("request-id").startsWith("req_"));
    QStringList names;
    QString text;
    for (const QByteArray& event : sseEvents(exchange.body())) {
        QVERIFY(event.startsWith("event: "));
        const QString name = QString::fromUtf8(event.mid(7, event.indexOf('\n') - 7));
        if (names.isEmpty() || names.last() != name)
            names << name;
        if (name == QLatin1String("content_block_delta"))
            text += dataOf(event)[QStringLiteral("delta")][QStringLiteral("text")].toString();
        if (name == QLatin1String("message_delta")) {
            QCOMPARE(
                dataOf(event)[QStringLiteral("delta")][QStringLiteral("stop_reason")].toString(),
                QStringLiteral("end_turn"));
            QVERIFY(
                dataOf(event)[QStringLiteral("usage")][QStringLiteral("output_tokens")].toInt() >
                0);
        }
    }
    QCOMPARE(names,
             (QStringList{QStringLiteral("message_start"), QStringLiteral("content_block_start"),
                          QStringLiteral("ping"), QStringLiteral("content_block_delta"),
                          QStringLiteral("content_block_stop"), QStringLiteral("message_delta"),
                          QStringLiteral("message_stop")}));
    QCOMPARE(text, FakeProviderServer::defaultAnswer());
}

void TestFakeProvider::ollamaStreamsNdjson() {
    // "stream" left out: Ollama streams by default.
    const Exchange exchange =
        send(QStringLiteral("/api/chat"),
             json(QJsonObject{
                 {QStringLiteral("model"), QStringLiteral("llama3.2")},
                 {QStringLiteral("messages"),
                  QJsonArray{QJsonObject{{QStringLiteral("role"), QStringLiteral("user")},
                                         {QStringLiteral("content"), QStringLiteral("x")}}}}}),
             {});
    QCOMPARE(exchange.status, 200);
    QCOMPARE(exchange.header("content-type"), QByteArray("application/x-ndjson"));
    QList<QByteArray> lines = exchange.body().split('\n');
    QVERIFY(lines.last().isEmpty());
    lines.removeLast();
    QString text;
    for (const QByteArray& line : lines)
        text += QJsonDocument::fromJson(line)[QStringLiteral("message")][QStringLiteral("content")]
                    .toString();
    QCOMPARE(text, FakeProviderServer::defaultAnswer());
    const QJsonObject last = QJsonDocument::fromJson(lines.last()).object();
    QVERIFY(last.value(QStringLiteral("done")).toBool());
    QCOMPARE(last.value(QStringLiteral("done_reason")).toString(), QStringLiteral("stop"));
    QVERIFY(last.value(QStringLiteral("eval_count")).toInt() > 0);

    const Exchange missing = send(QStringLiteral("/api/chat"),
                                  ollamaBody(QStringLiteral("scenario-not-found"), true), {});
    QCOMPARE(missing.status, 404);
    QVERIFY(missing.json()
                .value(QStringLiteral("error"))
                .toString()
                .contains(QStringLiteral("try pulling it first")));
}

void TestFakeProvider::splitArrivesInSeveralReads() {
    omega::FakeProviderConfig config = m_server->config();
    config.splitDelayMs = 30; // generous: the pieces must stay apart on a loaded machine
    m_server->setConfig(config);

    const Exchange openAi = send(QStringLiteral("/v1/chat/completions"),
                                 openAiBody(QStringLiteral("scenario-split"), true),
                                 {{"Authorization", "Bearer " + kKey}});
    QCOMPARE(openAi.status, 200);
    QVERIFY2(openAi.reads.size() >= 5, qPrintable(QString::number(openAi.reads.size())));
    bool insideUtf8 = false, insideData = false, betweenNewlines = false;
    for (qsizetype i = 0; i + 1 < openAi.reads.size(); ++i) {
        const QByteArray& read = openAi.reads.at(i);
        insideUtf8 = insideUtf8 || endsInsideUtf8(read);
        insideData = insideData || read.endsWith("da");
        betweenNewlines =
            betweenNewlines || (read.endsWith('\n') && openAi.reads.at(i + 1).startsWith('\n'));
    }
    QVERIFY(insideUtf8);
    QVERIFY(insideData);
    QVERIFY(betweenNewlines);
    QVERIFY(openAi.body().endsWith("data: [DONE]\n\n"));

    // Gemini: the cut between \r and \n.
    const Exchange gemini =
        send(QStringLiteral("/v1beta/models/scenario-split:streamGenerateContent?alt=sse"),
             geminiBody(), {{"x-goog-api-key", kKey}});
    bool betweenCrLf = false;
    for (qsizetype i = 0; i + 1 < gemini.reads.size(); ++i)
        betweenCrLf = betweenCrLf || (gemini.reads.at(i).endsWith('\r') &&
                                      gemini.reads.at(i + 1).startsWith('\n'));
    QVERIFY(betweenCrLf);
}

void TestFakeProvider::slowDripSpreadsWrites() {
    omega::FakeProviderConfig config = m_server->config();
    config.dripDelayMs = 20;
    config.chunkSize = 200; // few events
    m_server->setConfig(config);
    QElapsedTimer timer;
    timer.start();
    const Exchange exchange =
        send(QStringLiteral("/v1/messages"),
             anthropicBody(QStringLiteral("scenario-slow-drip"), true), kAnthropicHeaders);
    const qsizetype events = sseEvents(exchange.body()).size();
    QCOMPARE(exchange.status, 200);
    QVERIFY(events >= 8);
    QVERIFY2(timer.elapsed() >= (events - 1) * 20, qPrintable(QString::number(timer.elapsed())));
    QVERIFY(exchange.reads.size() >= 4);
}

void TestFakeProvider::neverAnswerStaysSilent() {
    QNetworkRequest request(QUrl(m_server->baseUrl().toString() + QStringLiteral("/v1/messages")));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    for (const auto& header : kAnthropicHeaders)
        request.setRawHeader(header.first, header.second);
    QNetworkReply* silent =
        m_nam->post(request, anthropicBody(QStringLiteral("scenario-never-answer"), true));
    QSignalSpy metaData(silent, &QNetworkReply::metaDataChanged);
    QSignalSpy readyRead(silent, &QNetworkReply::readyRead);
    QSignalSpy finished(silent, &QNetworkReply::finished);

    // Meanwhile another connection is served normally.
    QTRY_COMPARE(m_server->requests().size(), 1);
    const Exchange other =
        send(QStringLiteral("/v1/messages"),
             anthropicBody(QStringLiteral("claude-sonnet-4-5"), false), kAnthropicHeaders);
    QCOMPARE(other.status, 200);

    QTest::qWait(2000);
    QCOMPARE(metaData.count(), 0);
    QCOMPARE(readyRead.count(), 0);
    QCOMPARE(finished.count(), 0);
    QCOMPARE(m_server->requests().first().scenario, QStringLiteral("never-answer"));
    QCOMPARE(m_server->requests().first().status, 0);
    silent->abort(); // the client gives up
    delete silent;
}

void TestFakeProvider::dropMidStreamClosesTheConnection() {
    const Exchange exchange = send(QStringLiteral("/v1/chat/completions"),
                                   openAiBody(QStringLiteral("scenario-drop-mid-stream"), true),
                                   {{"Authorization", "Bearer " + kKey}});
    QVERIFY(exchange.finished);
    QCOMPARE(exchange.status, 200);
    // Qt reports the cut either as RemoteHostClosedError or, when the close races the last
    // read of a chunked body, as a plain end: what matters is that the stream ends early.
    QVERIFY2(exchange.error == QNetworkReply::RemoteHostClosedError ||
                 exchange.error == QNetworkReply::NoError,
             qPrintable(QString::number(int(exchange.error))));
    QVERIFY(exchange.body().startsWith("data: "));
    QVERIFY(!exchange.body().contains("[DONE]"));

    const Exchange plain = send(QStringLiteral("/v1/chat/completions"),
                                openAiBody(QStringLiteral("scenario-drop-mid-stream"), false),
                                {{"Authorization", "Bearer " + kKey}});
    QCOMPARE(plain.error, QNetworkReply::RemoteHostClosedError);
}

void TestFakeProvider::errorAfter200_data() {
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<QByteArray>("ending");
    QTest::newRow("anthropic")
        << QStringLiteral("/v1/messages")
        << anthropicBody(QStringLiteral("scenario-error-after-200"), true) << kAnthropicHeaders
        << QByteArray(
               "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"");
    QTest::newRow("openai") << QStringLiteral("/v1/chat/completions")
                            << openAiBody(QStringLiteral("scenario-error-after-200"), true)
                            << Headers{{"Authorization", "Bearer " + kKey}}
                            << QByteArray("\n\ndata: {\"error\":{\"message\":");
    QTest::newRow("gemini")
        << QStringLiteral("/v1beta/models/scenario-error-after-200:streamGenerateContent?alt=sse")
        << geminiBody() << Headers{{"x-goog-api-key", kKey}}
        << QByteArray("\r\n\r\n{\n  \"error\": {\n    \"code\": 503,");
    QTest::newRow("ollama") << QStringLiteral("/api/chat")
                            << ollamaBody(QStringLiteral("scenario-error-after-200"), true)
                            << Headers{} << QByteArray("\n{\"error\":\"an error was encountered");
}

void TestFakeProvider::errorAfter200() {
    QFETCH(QString, path);
    QFETCH(QByteArray, body);
    QFETCH(Headers, headers);
    QFETCH(QByteArray, ending);
    const Exchange exchange = send(path, body, headers);
    QCOMPARE(exchange.status, 200);
    QCOMPARE(exchange.error, QNetworkReply::NoError);
    QVERIFY2(exchange.body().contains(ending), exchange.body().right(300).constData());
}

void TestFakeProvider::authErrors_data() {
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("snippet");
    const QString gemini = QStringLiteral("/v1beta/models/gemini-2.5-flash:generateContent");
    QTest::newRow("gemini wrong") << gemini << geminiBody() << Headers{{"x-goog-api-key", "nope"}}
                                  << 400 << QByteArray("\"reason\": \"API_KEY_INVALID\"");
    QTest::newRow("gemini missing") << gemini << geminiBody() << Headers{} << 403
                                    << QByteArray("\"status\": \"PERMISSION_DENIED\"");
    QTest::newRow("azure") << QStringLiteral("/openai/deployments/d/chat/completions?api-version=1")
                           << openAiBody(QString(), false) << Headers{{"api-key", "nope"}} << 401
                           << QByteArray("Access denied due to invalid subscription key or wrong "
                                         "API endpoint");
    QTest::newRow("openai") << QStringLiteral("/v1/chat/completions")
                            << openAiBody(QStringLiteral("gpt-4o"), false)
                            << Headers{{"Authorization", "Bearer sk-nope-12345678"}} << 401
                            << QByteArray("\"code\": \"invalid_api_key\"");
    QTest::newRow("anthropic") << QStringLiteral("/v1/messages")
                               << anthropicBody(QStringLiteral("claude-sonnet-4-5"), false)
                               << Headers{{"x-api-key", "nope"},
                                          {"anthropic-version", "2023-06-01"}}
                               << 401 << QByteArray("\"type\":\"authentication_error\"");
    QTest::newRow("bad-key scenario, right key")
        << QStringLiteral("/v1/messages")
        << anthropicBody(QStringLiteral("scenario-bad-key"), false) << kAnthropicHeaders << 401
        << QByteArray("invalid x-api-key");
}

void TestFakeProvider::authErrors() {
    QFETCH(QString, path);
    QFETCH(QByteArray, body);
    QFETCH(Headers, headers);
    QFETCH(int, status);
    QFETCH(QByteArray, snippet);
    const Exchange exchange = send(path, body, headers);
    QCOMPARE(exchange.status, status);
    QVERIFY2(exchange.body().contains(snippet), exchange.body().constData());
}

void TestFakeProvider::rateLimitShapes() {
    omega::FakeProviderConfig config = m_server->config();
    config.retryAfterSeconds = 7;
    m_server->setConfig(config);

    const Exchange azure =
        send(QStringLiteral(
                 "/openai/deployments/scenario-rate-limit/chat/completions?api-version=2024-10-21"),
             openAiBody(QString(), false), {{"api-key", kKey}});
    QCOMPARE(azure.status, 429);
    QCOMPARE(azure.header("retry-after"), QByteArray("7"));
    QVERIFY(azure.body().contains("Please retry after 7 seconds"));

    const Exchange gemini =
        send(QStringLiteral("/v1beta/models/scenario-rate-limit:generateContent"), geminiBody(),
             {{"x-goog-api-key", kKey}});
    QCOMPARE(gemini.status, 429);
    QVERIFY(!gemini.hasHeader("retry-after"));
    QVERIFY(gemini.body().contains("\"status\": \"RESOURCE_EXHAUSTED\""));
    QVERIFY(gemini.body().contains("\"retryDelay\": \"7s\""));

    const Exchange openAi = send(QStringLiteral("/v1/chat/completions"),
                                 openAiBody(QStringLiteral("scenario-rate-limit"), false),
                                 {{"Authorization", "Bearer " + kKey}});
    QCOMPARE(openAi.status, 429);
    QCOMPARE(openAi.header("retry-after"), QByteArray("7"));
    QVERIFY(openAi.body().contains("\"code\": \"rate_limit_exceeded\""));

    const Exchange quota = send(QStringLiteral("/v1/chat/completions"),
                                openAiBody(QStringLiteral("scenario-quota"), false),
                                {{"Authorization", "Bearer " + kKey}});
    QCOMPARE(quota.status, 429);
    QVERIFY(!quota.hasHeader("retry-after"));
    QVERIFY(quota.body().contains("\"code\": \"insufficient_quota\""));

    const Exchange anthropic =
        send(QStringLiteral("/v1/messages"),
             anthropicBody(QStringLiteral("scenario-rate-limit"), false), kAnthropicHeaders);
    QCOMPARE(anthropic.status, 429);
    QCOMPARE(anthropic.header("retry-after"), QByteArray("7"));
    QVERIFY(anthropic.body().contains("\"type\":\"rate_limit_error\""));

    const Exchange overloaded =
        send(QStringLiteral("/v1/messages"),
             anthropicBody(QStringLiteral("scenario-overloaded"), false), kAnthropicHeaders);
    QCOMPARE(overloaded.status, 529);
    QVERIFY(overloaded.body().contains("\"type\":\"overloaded_error\""));
}

void TestFakeProvider::validationErrors_data() {
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("snippet");
    QTest::newRow("anthropic max_tokens")
        << QStringLiteral("/v1/messages")
        << QByteArray(R"({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"x"}]})")
        << kAnthropicHeaders << 400 << QByteArray("max_tokens: Field required");
    QTest::newRow("anthropic version")
        << QStringLiteral("/v1/messages")
        << anthropicBody(QStringLiteral("claude-sonnet-4-5"), false) << Headers{{"x-api-key", kKey}}
        << 400 << QByteArray("anthropic-version: header is required");
    QTest::newRow("anthropic system role")
        << QStringLiteral("/v1/messages")
        << QByteArray(
               R"({"model":"m","max_tokens":5,"messages":[{"role":"system","content":"x"}]})")
        << kAnthropicHeaders << 400 << QByteArray("Unexpected role \\\"system\\\"");
    QTest::newRow("gemini role")
        << QStringLiteral("/v1beta/models/gemini-2.5-flash:generateContent")
        << QByteArray(R"({"contents":[{"role":"system","parts":[{"text":"x"}]}]})")
        << Headers{{"x-goog-api-key", kKey}} << 400
        << QByteArray("Please use a valid role: user, model.");
    QTest::newRow("gemini unknown field")
        << QStringLiteral("/v1beta/models/gemini-2.5-flash:generateContent")
        << QByteArray(
               R"({"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"max_tokens":5}})")
        << Headers{{"x-goog-api-key", kKey}} << 400
        << QByteArray(R"(Unknown name \"max_tokens\" at 'generation_config')");
    QTest::newRow("azure api-version")
        << QStringLiteral("/openai/deployments/gpt-4o/chat/completions")
        << openAiBody(QString(), false) << Headers{{"api-key", kKey}} << 400
        << QByteArray("MissingApiVersionParameter");
    QTest::newRow("openai role")
        << QStringLiteral("/v1/chat/completions")
        << QByteArray(R"({"model":"gpt-4o","messages":[{"role":"model","content":"x"}]})")
        << Headers{{"Authorization", "Bearer " + kKey}} << 400
        << QByteArray("\"code\": \"invalid_value\"");
    QTest::newRow("openai stream_options without stream")
        << QStringLiteral("/v1/chat/completions")
        << QByteArray(
               R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}})")
        << Headers{{"Authorization", "Bearer " + kKey}} << 400
        << QByteArray("only allowed when 'stream' is enabled");
    QTest::newRow("unknown openai path") << QStringLiteral("/v1/completions") << QByteArray("{}")
                                         << Headers{{"Authorization", "Bearer " + kKey}} << 404
                                         << QByteArray("Invalid URL (POST /v1/completions)");
}

void TestFakeProvider::validationErrors() {
    QFETCH(QString, path);
    QFETCH(QByteArray, body);
    QFETCH(Headers, headers);
    QFETCH(int, status);
    QFETCH(QByteArray, snippet);
    const Exchange exchange = send(path, body, headers);
    QCOMPARE(exchange.status, status);
    QVERIFY2(exchange.body().contains(snippet), exchange.body().constData());
}

void TestFakeProvider::htmlErrorAndInvalidJson() {
    const Exchange html =
        send(QStringLiteral("/v1/messages"),
             anthropicBody(QStringLiteral("scenario-html-error"), true), kAnthropicHeaders);
    QCOMPARE(html.status, 502);
    QCOMPARE(html.header("content-type"), QByteArray("text/html"));
    QVERIFY(html.body().startsWith("<html>"));

    const Exchange broken = send(QStringLiteral("/v1/chat/completions"),
                                 openAiBody(QStringLiteral("scenario-invalid-json"), false),
                                 {{"Authorization", "Bearer " + kKey}});
    QCOMPARE(broken.status, 200);
    QJsonParseError error{};
    QJsonDocument::fromJson(broken.body(), &error);
    QVERIFY(error.error != QJsonParseError::NoError);
}

void TestFakeProvider::requestLogRecordsHeaders() {
    QSignalSpy received(m_server.get(), &FakeProviderServer::requestReceived);
    const Exchange exchange =
        send(QStringLiteral("/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"),
             openAiBody(QString(), true), {{"api-key", kKey}, {"X-Custom", "yes"}});
    QCOMPARE(exchange.status, 200);
    QCOMPARE(received.count(), 1);
    const RecordedRequest logged = m_server->requests().constFirst();
    QCOMPARE(logged.method, QStringLiteral("POST"));
    QCOMPARE(logged.path, QStringLiteral("/openai/deployments/gpt-4o/chat/completions"));
    QCOMPARE(logged.query, QStringLiteral("api-version=2024-10-21"));
    QCOMPARE(logged.header("API-KEY"), kKey);
    QCOMPARE(logged.header("x-custom"), QByteArray("yes"));
    QCOMPARE(logged.provider, QStringLiteral("azure"));
    QCOMPARE(logged.model, QStringLiteral("gpt-4o"));
    QCOMPARE(logged.scenario, QStringLiteral("success"));
    QVERIFY(logged.stream);
    QCOMPARE(logged.status, 200);
    QVERIFY(qAbs(logged.receivedMs - QDateTime::currentMSecsSinceEpoch()) < 10000);
    QCOMPARE(logged.json().value(QStringLiteral("stream")).toBool(), true);

    // The same log over the control API, auth headers kept.
    const Exchange log = send(QStringLiteral("/_control/requests"), {}, {}, "GET");
    const QJsonObject entry = QJsonDocument::fromJson(log.body()).array().at(0).toObject();
    QCOMPARE(entry[QStringLiteral("headers")][QStringLiteral("api-key")].toString(),
             QString::fromLatin1(kKey));
    QCOMPARE(entry[QStringLiteral("query")].toString(), QStringLiteral("api-version=2024-10-21"));
    QCOMPARE(entry[QStringLiteral("status")].toInt(), 200);
    QVERIFY(entry[QStringLiteral("receivedMs")].toDouble() > 0);
}

void TestFakeProvider::controlApiOverHttp() {
    QCOMPARE(control(QStringLiteral("answer"), {{QStringLiteral("text"), QStringLiteral("Hi π")}})
                 .status,
             200);
    QCOMPARE(control(QStringLiteral("config"), {{QStringLiteral("chunkSize"), 2}}).status, 200);
    QCOMPARE(control(QStringLiteral("config"), {{QStringLiteral("chunkSiz"), 2}}).status, 400);
    const Exchange exchange =
        send(QStringLiteral("/api/chat"), ollamaBody(QStringLiteral("llama3.2"), true), {});
    QList<QByteArray> lines = exchange.body().split('\n');
    QCOMPARE(lines.size(), 4); // "Hi", " π", done, ""
    QCOMPARE(
        QJsonDocument::fromJson(lines.at(1))[QStringLiteral("message")][QStringLiteral("content")]
            .toString(),
        QStringLiteral(" π"));

    QCOMPARE(control(QStringLiteral("config"), {{QStringLiteral("expectedKey"), QString()}}).status,
             200);
    QCOMPARE(send(QStringLiteral("/v1/chat/completions"), openAiBody(QStringLiteral("m"), false),
                  {{"Authorization", "Bearer anything"}})
                 .status,
             200); // OpenAI-compatible local server: any key

    QCOMPARE(control(QStringLiteral("reset"), {}).status, 200);
    QCOMPARE(m_server->answer(), FakeProviderServer::defaultAnswer());
    QCOMPARE(m_server->config().expectedKey, QString::fromLatin1(kKey));
    QVERIFY(m_server->requests().isEmpty());
}

void TestFakeProvider::scenarioQueueIsConsumedInOrder() {
    const Exchange set =
        control(QStringLiteral("scenarios"),
                {{QStringLiteral("queue"),
                  QJsonArray{QStringLiteral("rate-limit"), QStringLiteral("success")}}});
    QCOMPARE(set.status, 200);
    QCOMPARE(control(QStringLiteral("scenarios"),
                     {{QStringLiteral("queue"), QJsonArray{QStringLiteral("nope")}}})
                 .status,
             400);
    const auto call = [&] {
        return send(QStringLiteral("/v1/messages"),
                    anthropicBody(QStringLiteral("claude-sonnet-4-5"), false), kAnthropicHeaders)
            .status;
    };
    QCOMPARE(call(), 429);
    QCOMPARE(call(), 200);
    QVERIFY(m_server->setDefaultScenario(QStringLiteral("server-error")));
    QCOMPARE(call(), 500); // queue empty: the default
    QVERIFY(m_server->scenarioQueue().isEmpty());
    // A model name selects without touching the queue.
    QVERIFY(m_server->setScenarioQueue({QStringLiteral("quota")}));
    QCOMPARE(send(QStringLiteral("/v1/messages"),
                  anthropicBody(QStringLiteral("scenario-success"), false), kAnthropicHeaders)
                 .status,
             200);
    QCOMPARE(m_server->scenarioQueue(), QStringList{QStringLiteral("quota")});
}

void TestFakeProvider::parserReadsChunkedAndPartialRequests() {
    using omega::fake::HttpParseResult;
    using omega::fake::parseHttpRequest;
    const QByteArray head =
        "POST /v1/messages?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n";
    QCOMPARE(parseHttpRequest(head + "ab").status, HttpParseResult::Status::Incomplete);
    const HttpParseResult complete = parseHttpRequest(head + "abcdGET");
    QCOMPARE(complete.status, HttpParseResult::Status::Complete);
    QCOMPARE(complete.request.body, QByteArray("abcd"));
    QCOMPARE(complete.request.query, QStringLiteral("x=1"));
    QCOMPARE(complete.consumed, head.size() + 4);

    const QByteArray chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n";
    const HttpParseResult decoded = parseHttpRequest(chunked);
    QCOMPARE(decoded.status, HttpParseResult::Status::Complete);
    QCOMPARE(decoded.request.body, QByteArray("abcde"));
    QCOMPARE(decoded.consumed, chunked.size());

    const HttpParseResult expecting =
        parseHttpRequest("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n");
    QVERIFY(expecting.expectsContinue);
    QCOMPARE(parseHttpRequest("BROKEN\r\n\r\n").status, HttpParseResult::Status::Invalid);
    QCOMPARE(parseHttpRequest("GET / HTTP/2.0\r\n\r\n").errorStatus, 505);
}

void TestFakeProvider::jsonKeepsMemberOrder() {
    using omega::fake::formatJson;
    using omega::fake::Json;
    using omega::fake::JsonObject;
    using omega::fake::JsonStyle;
    const Json value = JsonObject{{"z", 1}, {"a", QList<Json>{"x", Json()}}, {"e", QList<Json>{}}};
    QCOMPARE(value.text(), QByteArray(R"({"z":1,"a":["x",null],"e":[]})"));
    QCOMPARE(formatJson(value, JsonStyle::Spaced),
             QByteArray(R"({"z": 1,"a": ["x",null],"e": []})"));
    QCOMPARE(formatJson(value, JsonStyle::Indent2),
             QByteArray("{\n  \"z\": 1,\n  \"a\": [\n    \"x\",\n    null\n  ],\n  \"e\": []\n}"));
    QCOMPARE(Json(QStringLiteral("π \"q\"\n")).text(), QByteArray("\"π \\\"q\\\"\\n\""));
}

QTEST_GUILESS_MAIN(TestFakeProvider)
#include "tst_fakeprovider.moc"
