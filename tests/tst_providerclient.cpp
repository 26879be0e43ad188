// AIProviderClient against the fake provider server (in-process, 127.0.0.1), for each of
// Gemini, Azure OpenAI (classic and v1), OpenAI, Anthropic and an OpenAI-compatible server:
// streamed and whole answers rebuilt exactly, every error the reference lists mapped to its
// category with the right number of requests, retries and their waits, timeouts, cancel, and
// where the key travels.
#include "AIProviderClient.h"
#include "AiTestSupport.h"
#include "FakeProviderServer.h"
#include "TestSupport.h"

#include <QNetworkAccessManager>
#include <QSignalSpy>
#include <QtTest>

#include <functional>

using namespace omega;
using omega::aitest::configFor;
using omega::aitest::ProviderCase;
using omega::aitest::providerCase;
using omega::aitest::providerCases;

Q_DECLARE_METATYPE(omega::ErrorCategory)

namespace {

// The default answer with more multi-byte text: 2-, 3- and 4-byte UTF-8 sequences (the
// `split` scenario cuts inside each of them).
QString testAnswer() {
    return FakeProviderServer::defaultAnswer() +
           QStringLiteral("\nGr\u00fc\u00dfe, \u4e2d\u6587, emoji \U0001F3AC\U0001F600 and "
                          "\u2211 \u221a \u00e9\u00e8\n");
}

ChatRequest simpleRequest() {
    ChatRequest request;
    request.system = QStringLiteral("You write Manim Community Edition scripts.");
    request.messages << ChatMessage{ChatMessage::Role::User,
                                    QStringLiteral("<animation_request>\na circle morphing into "
                                                   "a square\n</animation_request>")};
    return request;
}

// Everything one client run emitted, in order.
struct ClientRun {
    bool finished = false;
    int finishedCount = 0;
    CompletionResult result;
    QStringList events; // "T" text delta, "R" restarted, "F" finished, in order
    QStringList deltas;
    QList<int> restartWaits;
    QStringList restartReasons;
    qint64 elapsedMs = 0;

    // The text the deltas built after the last restart (what a listener shows).
    QString textAfterLastRestart() const {
        QString text;
        int delta = 0;
        for (const QString& e : events) {
            if (e == QLatin1String("R"))
                text.clear();
            else if (e == QLatin1String("T"))
                text += deltas.at(delta++);
        }
        return text;
    }
    int restarts() const { return int(restartWaits.size()); }
    QByteArray describe() const {
        return "status " + statusName(result.result.status).toUtf8() + ", category " +
               categoryName(result.result.error.category).toUtf8() +
               ", message: " + result.result.error.message.toUtf8() + ", requests " +
               QByteArray::number(result.requests) + ", finish " +
               finishReasonName(result.finish).toUtf8() + ", events " +
               events.join(QString()).toUtf8();
    }
};

} // namespace

class TestProviderClient : public QObject {
    Q_OBJECT

private:
    QNetworkAccessManager network_;
    FakeProviderServer server_;
    FakeProviderConfig baseConfig_;

    ProviderConfig config(const QString& id) const {
        return configFor(providerCase(id), server_.baseUrl());
    }

    // Runs one request and waits for finished() (or `timeoutMs`). `during` runs on each text
    // delta (e.g. to cancel).
    void run(AIProviderClient& client, const ProviderConfig& config, ClientRun* out,
             int timeoutMs = 20000, const QString& key = aitest::kTestKey) {
        QElapsedTimer clock;
        QList<QMetaObject::Connection> connections;
        connections << connect(&client, &AIProviderClient::textDelta, this,
                               [out](const QString&, const QString& text) {
                                   out->events << QStringLiteral("T");
                                   out->deltas << text;
                               });
        connections << connect(&client, &AIProviderClient::restarted, this,
                               [out](const QString&, int, int waitMs, const QString& reason) {
                                   out->events << QStringLiteral("R");
                                   out->restartWaits << waitMs;
                                   out->restartReasons << reason;
                               });
        connections << connect(&client, &AIProviderClient::finished, this,
                               [out, &clock](const CompletionResult& result) {
                                   out->events << QStringLiteral("F");
                                   out->finished = true;
                                   ++out->finishedCount;
                                   out->result = result;
                                   out->elapsedMs = clock.elapsed();
                               });
        clock.start();
        client.start(config, key, simpleRequest(), QString());
        QSignalSpy spy(&client, &AIProviderClient::finished);
        if (!out->finished)
            spy.wait(timeoutMs);
        if (!out->finished)
            out->elapsedMs = clock.elapsed();
        for (const QMetaObject::Connection& connection : connections)
            disconnect(connection);
    }

    ClientRun runOnce(const ProviderConfig& config, int timeoutMs = 20000,
                      const QString& key = aitest::kTestKey) {
        AIProviderClient client(&network_);
        ClientRun out;
        run(client, config, &out, timeoutMs, key);
        return out;
    }

    // The key went in the provider's header, and nowhere in the URL.
    void verifyKeyPlacement(const ProviderCase& c, const QString& key) {
        const QList<RecordedRequest> requests = server_.requests();
        QVERIFY(!requests.isEmpty());
        for (const RecordedRequest& r : requests) {
            QCOMPARE(r.header(aitest::keyHeaderName(c.type)), aitest::keyHeaderValue(c.type, key));
            QVERIFY2(!r.keyInQuery, qPrintable(r.query));
            QVERIFY2(!r.query.contains(key), qPrintable(r.query));
            QVERIFY2(!r.path.contains(key), qPrintable(r.path));
            QVERIFY(!r.query.contains(QLatin1String("key=")));
        }
    }

    static void addProviderRows() {
        QTest::addColumn<QString>("provider");
        for (const ProviderCase& c : providerCases())
            QTest::newRow(qPrintable(c.id)) << c.id;
    }

private Q_SLOTS:
    void initTestCase() {
        qRegisterMetaType<omega::CompletionResult>();
        QVERIFY2(server_.listen(), qPrintable(server_.errorString()));
        baseConfig_ = server_.config();
        baseConfig_.expectedKey = aitest::kTestKey;
        baseConfig_.retryAfterSeconds = 1;
        baseConfig_.chunkSize = 16;
        baseConfig_.dripDelayMs = 30;
        baseConfig_.splitDelayMs = 5;
    }

    void init() {
        server_.reset();
        server_.setConfig(baseConfig_);
        server_.setAnswer(testAnswer());
    }

    // ---- Success ----

    void success_data() {
        QTest::addColumn<QString>("provider");
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<bool>("stream");
        for (const ProviderCase& c : providerCases()) {
            for (const char* scenario : {"success", "split", "crlf", "slow-drip", "empty-deltas"})
                QTest::addRow("%s/%s/stream", qPrintable(c.id), scenario)
                    << c.id << QString::fromLatin1(scenario) << true;
            for (const char* scenario : {"success", "split", "slow-drip"})
                QTest::addRow("%s/%s/whole", qPrintable(c.id), scenario)
                    << c.id << QString::fromLatin1(scenario) << false;
        }
    }
    void success() {
        QFETCH(QString, provider);
        QFETCH(QString, scenario);
        QFETCH(bool, stream);
        if (scenario == QLatin1String("slow-drip")) {
            FakeProviderConfig c = baseConfig_;
            c.chunkSize = 120; // a few events, each after the drip delay
            server_.setConfig(c);
        }
        QVERIFY(server_.setScenarioQueue({scenario}));
        ProviderConfig cfg = config(provider);
        cfg.stream = stream;
        const ClientRun run = runOnce(cfg);
        QVERIFY2(run.finished, run.describe().constData());
        QCOMPARE(run.finishedCount, 1);
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        QCOMPARE(run.result.text, testAnswer());
        QCOMPARE(run.deltas.join(QString()), testAnswer());
        if (stream && scenario != QLatin1String("slow-drip"))
            QVERIFY2(run.deltas.size() > 1, "a streamed answer arrives in several deltas");
        QCOMPARE(finishReasonName(run.result.finish), finishReasonName(FinishReason::Stop));
        QCOMPARE(run.result.requests, 1);
        QCOMPARE(run.restarts(), 0);
        QVERIFY2(run.result.usage.input > 0 && run.result.usage.output > 0,
                 qPrintable(QStringLiteral("usage in %1 out %2 total %3")
                                .arg(run.result.usage.input)
                                .arg(run.result.usage.output)
                                .arg(run.result.usage.total)));
        QCOMPARE(run.result.provider, cfg.name);
        QVERIFY(!run.result.model.isEmpty());
        QVERIFY(run.result.firstTokenMs >= 0);
        const QList<RecordedRequest> requests = server_.requests();
        QCOMPARE(requests.size(), 1);
        QCOMPARE(requests.first().scenario, scenario);
        QCOMPARE(requests.first().stream, stream);
        QCOMPARE(requests.first().status, 200);
        verifyKeyPlacement(providerCase(provider), aitest::kTestKey);
    }

    // The request itself: the right path for each flavour, the key in its header only.
    void requestShape_data() { addProviderRows(); }
    void requestShape() {
        QFETCH(QString, provider);
        const ProviderCase c = providerCase(provider);
        const ClientRun run = runOnce(config(provider));
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        const RecordedRequest r = server_.requests().value(0);
        QCOMPARE(r.method, QStringLiteral("POST"));
        switch (c.type) {
        case ProviderType::Gemini:
            QCOMPARE(r.path, QStringLiteral("/v1beta/models/gemini-test:streamGenerateContent"));
            QCOMPARE(r.query, QStringLiteral("alt=sse"));
            QCOMPARE(r.provider, QStringLiteral("gemini"));
            break;
        case ProviderType::AzureOpenAI:
            if (c.azureV1) {
                QCOMPARE(r.path, QStringLiteral("/openai/v1/chat/completions"));
                QVERIFY2(!r.query.contains(QLatin1String("api-version")), qPrintable(r.query));
                QCOMPARE(r.json().value(QLatin1String("model")).toString(),
                         QStringLiteral("gpt-test-deployment"));
            } else {
                QCOMPARE(r.path, QStringLiteral(
                                     "/openai/deployments/gpt-test-deployment/chat/completions"));
                QCOMPARE(r.query, QStringLiteral("api-version=2024-10-21"));
            }
            QCOMPARE(r.provider, QStringLiteral("azure"));
            break;
        case ProviderType::OpenAI:
        case ProviderType::OpenAICompatible:
            QCOMPARE(r.path, QStringLiteral("/v1/chat/completions"));
            QCOMPARE(r.provider, QStringLiteral("openai"));
            break;
        case ProviderType::Anthropic:
            QCOMPARE(r.path, QStringLiteral("/v1/messages"));
            QCOMPARE(r.provider, QStringLiteral("anthropic"));
            QVERIFY(!r.header("anthropic-version").isEmpty());
            break;
        }
        verifyKeyPlacement(c, aitest::kTestKey);
        // Only the provider's own key header carries the key.
        for (const auto& header : r.headers) {
            if (header.first.toLower() != aitest::keyHeaderName(c.type))
                QVERIFY2(!header.second.contains(aitest::kTestKey.toUtf8()), header.first);
        }
    }

    // A local server without a key: no auth header is sent at all.
    void compatibleWithoutKey() {
        server_.setExpectedKey(QString());
        const ClientRun run = runOnce(config(QStringLiteral("openai-compatible")), 20000, {});
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        QCOMPARE(run.result.text, testAnswer());
        QCOMPARE(server_.requests().size(), 1);
        QVERIFY(server_.requests().first().header("authorization").isEmpty());
    }

    // ---- Errors that are not retried ----

    void notRetried_data() {
        QTest::addColumn<QString>("provider");
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<ErrorCategory>("category");
        for (const ProviderCase& c : providerCases()) {
            QTest::addRow("%s/bad-key", qPrintable(c.id))
                << c.id << QStringLiteral("bad-key") << ErrorCategory::ProviderAuth;
            QTest::addRow("%s/forbidden", qPrintable(c.id))
                << c.id << QStringLiteral("forbidden") << ErrorCategory::ProviderAuth;
            QTest::addRow("%s/not-found", qPrintable(c.id))
                << c.id << QStringLiteral("not-found") << ErrorCategory::ProviderNotFound;
            QTest::addRow("%s/quota", qPrintable(c.id))
                << c.id << QStringLiteral("quota") << ErrorCategory::ProviderQuota;
        }
    }
    void notRetried() {
        QFETCH(QString, provider);
        QFETCH(QString, scenario);
        QFETCH(ErrorCategory, category);
        // Were it retried, the next request would succeed.
        QVERIFY(server_.setScenarioQueue({scenario, QStringLiteral("success")}));
        ProviderConfig cfg = config(provider);
        cfg.maxRetryWaitMs = 5000; // a retry would not be refused for its wait
        const ClientRun run = runOnce(cfg);
        QVERIFY2(run.finished, run.describe().constData());
        QVERIFY2(!run.result.result.ok(), run.describe().constData());
        QCOMPARE_CATEGORY(run.result.result.error.category, category);
        QCOMPARE(run.result.requests, 1);
        QCOMPARE(server_.requests().size(), 1);
        QCOMPARE(run.restarts(), 0);
        QVERIFY(run.result.result.error.message.startsWith(cfg.name));
        QVERIFY2(run.result.result.error.message.contains(QLatin1String("HTTP ")),
                 qPrintable(run.result.result.error.message));
        QVERIFY(!run.result.result.error.hint.isEmpty());
        QVERIFY(run.result.text.isEmpty());
    }

    // A bad key in the error body (OpenAI echoes it masked) never reaches the message whole.
    void badKeyMessageHasNoKey_data() { addProviderRows(); }
    void badKeyMessageHasNoKey() {
        QFETCH(QString, provider);
        const QString wrong = QStringLiteral("sk-wrong-KEY-0123456789abcdefXYZ");
        const ClientRun run = runOnce(config(provider), 20000, wrong);
        QVERIFY2(!run.result.result.ok(), run.describe().constData());
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::ProviderAuth);
        QVERIFY(!run.result.result.error.message.contains(wrong));
        QVERIFY(!run.result.failure.message.contains(wrong));
        verifyKeyPlacement(providerCase(provider), wrong);
    }

    // ---- Rate limits ----

    void rateLimitThenSuccess_data() { addProviderRows(); }
    void rateLimitThenSuccess() {
        QFETCH(QString, provider);
        QVERIFY(
            server_.setScenarioQueue({QStringLiteral("rate-limit"), QStringLiteral("success")}));
        ProviderConfig cfg = config(provider);
        cfg.maxRetryWaitMs = 5000;
        const ClientRun run = runOnce(cfg);
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        QCOMPARE(run.result.text, testAnswer());
        QCOMPARE(run.result.requests, 2);
        QCOMPARE(run.restarts(), 1);
        QVERIFY2(run.restartWaits.first() >= 1000,
                 qPrintable(QString::number(run.restartWaits.first())));
        const QList<RecordedRequest> requests = server_.requests();
        QCOMPARE(requests.size(), 2);
        QCOMPARE(requests.at(0).status, 429);
        const qint64 gap = requests.at(1).receivedMs - requests.at(0).receivedMs;
        // The service asked for 1 s: not a millisecond less (the two stamps are whole ms), and
        // not much more.
        QVERIFY2(gap >= 999, qPrintable(QStringLiteral("waited %1 ms").arg(gap)));
        QVERIFY2(gap <= 2500, qPrintable(QStringLiteral("waited %1 ms").arg(gap)));
        QCOMPARE(run.textAfterLastRestart(), testAnswer());
    }

    void rateLimitLongerThanCap_data() { addProviderRows(); }
    void rateLimitLongerThanCap() {
        QFETCH(QString, provider);
        FakeProviderConfig c = baseConfig_;
        c.retryAfterSeconds = 30;
        server_.setConfig(c);
        QVERIFY(
            server_.setScenarioQueue({QStringLiteral("rate-limit"), QStringLiteral("success")}));
        ProviderConfig cfg = config(provider);
        cfg.maxRetryWaitMs = 2000;
        const ClientRun run = runOnce(cfg);
        QVERIFY2(run.finished, run.describe().constData());
        QVERIFY2(!run.result.result.ok(), run.describe().constData());
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::ProviderRateLimited);
        QCOMPARE(run.result.requests, 1);
        QCOMPARE(run.restarts(), 0);
        QVERIFY2(run.elapsedMs < 1500, qPrintable(QString::number(run.elapsedMs)));
        const QString message = run.result.result.error.message;
        QVERIFY2(message.contains(QLatin1String("wait 30 s")) &&
                     message.contains(QLatin1String("more than the 2 s allowed")),
                 qPrintable(message));
        QCOMPARE(run.result.failure.retryAfterMs, 30000);
        QCOMPARE(server_.requests().size(), 1);
    }

    // ---- Retryable failures ----

    void givesUpAfterRetries_data() {
        QTest::addColumn<QString>("provider");
        QTest::addColumn<QString>("scenario");
        for (const ProviderCase& c : providerCases()) {
            for (const char* scenario : {"server-error", "unavailable", "overloaded"})
                QTest::addRow("%s/%s", qPrintable(c.id), scenario)
                    << c.id << QString::fromLatin1(scenario);
        }
    }
    void givesUpAfterRetries() {
        QFETCH(QString, provider);
        QFETCH(QString, scenario);
        // Three failures, then success: a fourth request would succeed.
        QVERIFY(server_.setScenarioQueue({scenario, scenario, scenario}));
        ProviderConfig cfg = config(provider);
        cfg.maxRetries = 2;
        cfg.maxRetryWaitMs = 100;
        const ClientRun run = runOnce(cfg);
        QVERIFY2(run.finished, run.describe().constData());
        QVERIFY2(!run.result.result.ok(), run.describe().constData());
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::ProviderUnavailable);
        QCOMPARE(run.result.requests, cfg.maxRetries + 1);
        QCOMPARE(server_.requests().size(), cfg.maxRetries + 1);
        QCOMPARE(run.restarts(), cfg.maxRetries);
        for (int wait : run.restartWaits)
            QVERIFY2(wait >= 0 && wait <= cfg.maxRetryWaitMs, qPrintable(QString::number(wait)));
        QVERIFY2(run.result.result.error.message.contains(QLatin1String("after 3 requests")),
                 qPrintable(run.result.result.error.message));
    }

    void backoff() {
        ProviderConfig cfg;
        cfg.maxRetryWaitMs = 60000;
        for (int i = 0; i < 50; ++i) {
            const int first = AIProviderClient::backoffMs(1, cfg);
            const int second = AIProviderClient::backoffMs(2, cfg);
            const int third = AIProviderClient::backoffMs(3, cfg);
            QVERIFY2(first >= 800 && first <= 1200, qPrintable(QString::number(first)));
            QVERIFY2(second >= 1600 && second <= 2400, qPrintable(QString::number(second)));
            QVERIFY2(third >= 3200 && third <= 4800, qPrintable(QString::number(third)));
        }
        cfg.maxRetryWaitMs = 500;
        QVERIFY(AIProviderClient::backoffMs(5, cfg) <= 500);
        QVERIFY(AIProviderClient::backoffMs(100, cfg) <= 500);
    }

    // An error inside the 200 stream: retried, and the answer starts over.
    void errorAfter200ThenSuccess_data() { addProviderRows(); }
    void errorAfter200ThenSuccess() {
        QFETCH(QString, provider);
        QVERIFY(server_.setScenarioQueue(
            {QStringLiteral("error-after-200"), QStringLiteral("success")}));
        const ClientRun run = runOnce(config(provider));
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        QCOMPARE(run.result.requests, 2);
        QCOMPARE(run.restarts(), 1);
        const qsizetype restartAt = run.events.indexOf(QStringLiteral("R"));
        QVERIFY2(restartAt > 0 && run.events.first() == QLatin1String("T"),
                 "part of the first answer arrived before the error");
        QCOMPARE(run.result.text, testAnswer()); // never partial + whole
        QCOMPARE(run.textAfterLastRestart(), testAnswer());
    }

    void dropMidStreamRetried_data() {
        QTest::addColumn<QString>("provider");
        QTest::addColumn<bool>("stream");
        for (const ProviderCase& c : providerCases()) {
            QTest::addRow("%s/stream", qPrintable(c.id)) << c.id << true;
            QTest::addRow("%s/whole", qPrintable(c.id)) << c.id << false;
        }
    }
    void dropMidStreamRetried() {
        QFETCH(QString, provider);
        QFETCH(bool, stream);
        QVERIFY(server_.setScenarioQueue(
            {QStringLiteral("drop-mid-stream"), QStringLiteral("success")}));
        ProviderConfig cfg = config(provider);
        cfg.stream = stream;
        const ClientRun run = runOnce(cfg);
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        QCOMPARE(run.result.requests, 2);
        QCOMPARE(run.restarts(), 1);
        QCOMPARE(run.result.text, testAnswer());
        QCOMPARE(run.textAfterLastRestart(), testAnswer());
        QCOMPARE(server_.requests().size(), 2);
    }

    // A dropped connection every time: the last failure says so.
    void dropMidStreamGivesUp() {
        QVERIFY(server_.setDefaultScenario(QStringLiteral("drop-mid-stream")));
        ProviderConfig cfg = config(QStringLiteral("openai"));
        cfg.maxRetries = 1;
        const ClientRun run = runOnce(cfg);
        QVERIFY2(!run.result.result.ok(), run.describe().constData());
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::ProviderUnavailable);
        QCOMPARE(run.result.requests, 2);
        QVERIFY(run.result.text.size() < testAnswer().size());
    }

    // ---- Timeouts ----

    void neverAnswer_data() { addProviderRows(); }
    void neverAnswer() {
        QFETCH(QString, provider);
        QVERIFY(server_.setScenarioQueue({QStringLiteral("never-answer")}));
        ProviderConfig cfg = config(provider);
        cfg.connectTimeoutMs = 800;
        cfg.maxRetries = 0;
        const ClientRun run = runOnce(cfg, 10000);
        QVERIFY2(run.finished, run.describe().constData());
        QVERIFY2(!run.result.result.ok(), run.describe().constData());
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::ProviderUnavailable);
        QVERIFY2(run.result.result.error.message.contains(QLatin1String("no answer")),
                 qPrintable(run.result.result.error.message));
        QVERIFY2(run.elapsedMs >= 750 && run.elapsedMs <= 3000,
                 qPrintable(QString::number(run.elapsedMs)));
        QCOMPARE(server_.requests().size(), 1);
        QCOMPARE(server_.requests().first().status, 0); // really never answered
    }

    // Never answering, with retries: each attempt times out, then it gives up.
    void neverAnswerRetried() {
        QVERIFY(server_.setDefaultScenario(QStringLiteral("never-answer")));
        ProviderConfig cfg = config(QStringLiteral("anthropic"));
        cfg.connectTimeoutMs = 500;
        cfg.maxRetries = 1;
        cfg.maxRetryWaitMs = 100;
        const ClientRun run = runOnce(cfg, 10000);
        QVERIFY2(!run.result.result.ok(), run.describe().constData());
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::ProviderUnavailable);
        QCOMPARE(run.result.requests, 2);
        QVERIFY2(run.elapsedMs >= 950 && run.elapsedMs <= 3000,
                 qPrintable(QString::number(run.elapsedMs)));
    }

    // The answer stalls: the idle timeout ends it. The fake sends the headers at once and
    // each event dripDelayMs later, so the silence starts right after the headers.
    void idleTimeout_data() {
        QTest::addColumn<QString>("provider");
        QTest::addColumn<bool>("stream");
        for (const ProviderCase& c : providerCases()) {
            QTest::addRow("%s/stream", qPrintable(c.id)) << c.id << true;
            QTest::addRow("%s/whole", qPrintable(c.id)) << c.id << false;
        }
    }
    void idleTimeout() {
        QFETCH(QString, provider);
        QFETCH(bool, stream);
        FakeProviderConfig c = baseConfig_;
        c.dripDelayMs = 1500;
        c.chunkSize = 400;
        server_.setConfig(c);
        QVERIFY(server_.setScenarioQueue({QStringLiteral("slow-drip")}));
        ProviderConfig cfg = config(provider);
        cfg.stream = stream;
        cfg.idleTimeoutMs = 300;
        cfg.connectTimeoutMs = 5000;
        cfg.maxRetries = 0;
        const ClientRun run = runOnce(cfg, 15000);
        QVERIFY2(run.finished, run.describe().constData());
        QVERIFY2(!run.result.result.ok(), run.describe().constData());
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::ProviderUnavailable);
        QVERIFY2(run.result.result.error.message.contains(QLatin1String("stopped sending")),
                 qPrintable(run.result.result.error.message));
        // 300 ms of silence is enough: it must not wait for the first 1.5 s drip.
        QVERIFY2(run.elapsedMs < 1300,
                 qPrintable(QStringLiteral("the idle timeout (300 ms) fired after %1 ms; "
                                           "events: %2")
                                .arg(run.elapsedMs)
                                .arg(run.events.join(QString()))));
    }

    // ---- Unreadable answers ----

    void htmlError_data() { addProviderRows(); }
    void htmlError() {
        QFETCH(QString, provider);
        // A gateway's 502 page is a transient failure: retried; when it persists, it is named.
        QVERIFY(
            server_.setScenarioQueue({QStringLiteral("html-error"), QStringLiteral("success")}));
        const ClientRun retried = runOnce(config(provider));
        QVERIFY2(retried.result.result.ok(), retried.describe().constData());
        QCOMPARE(retried.result.requests, 2);
        QCOMPARE(retried.result.text, testAnswer());

        server_.reset();
        server_.setConfig(baseConfig_);
        QVERIFY(server_.setDefaultScenario(QStringLiteral("html-error")));
        ProviderConfig cfg = config(provider);
        cfg.maxRetries = 1;
        const ClientRun run = runOnce(cfg);
        QVERIFY2(!run.result.result.ok(), run.describe().constData());
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::ProviderUnavailable);
        QCOMPARE(run.result.requests, 2);
        const QString message = run.result.result.error.message;
        QVERIFY2(message.contains(QLatin1String("HTML")) && message.contains(QLatin1String("502")),
                 qPrintable(message));
        QVERIFY2(!message.contains(QLatin1String("<html")), qPrintable(message));
    }

    void invalidJson_data() {
        QTest::addColumn<QString>("provider");
        QTest::addColumn<bool>("stream");
        for (const ProviderCase& c : providerCases()) {
            QTest::addRow("%s/stream", qPrintable(c.id)) << c.id << true;
            QTest::addRow("%s/whole", qPrintable(c.id)) << c.id << false;
        }
    }
    void invalidJson() {
        QFETCH(QString, provider);
        QFETCH(bool, stream);
        // Garbled JSON is ProviderBadResponse and retryable: the next answer is whole.
        QVERIFY(
            server_.setScenarioQueue({QStringLiteral("invalid-json"), QStringLiteral("success")}));
        ProviderConfig cfg = config(provider);
        cfg.stream = stream;
        const ClientRun retried = runOnce(cfg);
        QVERIFY2(retried.result.result.ok(), retried.describe().constData());
        QCOMPARE(retried.result.requests, 2);
        QCOMPARE(retried.restarts(), 1);
        QCOMPARE(retried.result.text, testAnswer());
        QCOMPARE(retried.textAfterLastRestart(), testAnswer());

        server_.reset();
        server_.setConfig(baseConfig_);
        QVERIFY(server_.setDefaultScenario(QStringLiteral("invalid-json")));
        cfg.maxRetries = 0;
        const ClientRun run = runOnce(cfg);
        QVERIFY2(!run.result.result.ok(), run.describe().constData());
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::ProviderBadResponse);
        QCOMPARE(run.result.requests, 1);
    }

    // ---- Safety filters and the token limit ----

    void blocked_data() {
        QTest::addColumn<QString>("provider");
        QTest::addColumn<QString>("scenario");
        for (const ProviderCase& c : providerCases()) {
            QTest::addRow("%s/prompt-blocked", qPrintable(c.id))
                << c.id << QStringLiteral("prompt-blocked");
            QTest::addRow("%s/output-blocked", qPrintable(c.id))
                << c.id << QStringLiteral("output-blocked");
        }
    }
    void blocked() {
        QFETCH(QString, provider);
        QFETCH(QString, scenario);
        QVERIFY(server_.setScenarioQueue({scenario, QStringLiteral("success")}));
        ProviderConfig cfg = config(provider);
        cfg.maxRetryWaitMs = 5000;
        const ClientRun run = runOnce(cfg);
        QVERIFY2(run.finished, run.describe().constData());
        // Either a ContentFiltered failure, or a decoded answer whose finish says it was
        // filtered / blocked; never retried, never a plain success.
        const bool filteredFailure = !run.result.result.ok() && run.result.result.error.category ==
                                                                    ErrorCategory::ContentFiltered;
        const bool filteredFinish =
            run.result.result.ok() && (run.result.finish == FinishReason::ContentFiltered ||
                                       run.result.finish == FinishReason::PromptBlocked);
        QVERIFY2(filteredFailure || filteredFinish, run.describe().constData());
        QCOMPARE(run.result.requests, 1);
        QCOMPARE(server_.requests().size(), 1);
        QCOMPARE(run.restarts(), 0);
        QVERIFY(run.result.text != testAnswer());
        if (scenario == QLatin1String("output-blocked")) {
            // Half the answer came, then the filter stopped it.
            QVERIFY2(filteredFinish, run.describe().constData());
            QCOMPARE(finishReasonName(run.result.finish),
                     finishReasonName(FinishReason::ContentFiltered));
            QVERIFY(testAnswer().startsWith(run.result.text));
        }
    }

    void truncated_data() {
        QTest::addColumn<QString>("provider");
        QTest::addColumn<bool>("stream");
        for (const ProviderCase& c : providerCases()) {
            QTest::addRow("%s/stream", qPrintable(c.id)) << c.id << true;
            QTest::addRow("%s/whole", qPrintable(c.id)) << c.id << false;
        }
    }
    void truncated() {
        QFETCH(QString, provider);
        QFETCH(bool, stream);
        QVERIFY(server_.setScenarioQueue({QStringLiteral("truncated")}));
        ProviderConfig cfg = config(provider);
        cfg.stream = stream;
        const ClientRun run = runOnce(cfg);
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        QCOMPARE(finishReasonName(run.result.finish), finishReasonName(FinishReason::MaxTokens));
        QVERIFY(!run.result.text.isEmpty());
        QVERIFY(run.result.text.size() < testAnswer().size());
        QVERIFY(testAnswer().startsWith(run.result.text));
        QCOMPARE(run.result.requests, 1);
    }

    // ---- Cancel ----

    void cancelMidStream_data() { addProviderRows(); }
    void cancelMidStream() {
        QFETCH(QString, provider);
        // A server and a network manager of its own: the only connection to this port is the
        // one being cancelled.
        FakeProviderServer server;
        QVERIFY(server.listen());
        FakeProviderConfig c = baseConfig_;
        c.dripDelayMs = 150;
        c.chunkSize = 16;
        server.setConfig(c);
        server.setAnswer(testAnswer());
        QVERIFY(server.setScenarioQueue({QStringLiteral("slow-drip")}));
        QNetworkAccessManager network;
        AIProviderClient client(&network);
        QSignalSpy deltas(&client, &AIProviderClient::textDelta);
        QSignalSpy finished(&client, &AIProviderClient::finished);
        QSignalSpy restarted(&client, &AIProviderClient::restarted);
        ProviderConfig cfg = configFor(providerCase(provider), server.baseUrl());
        client.start(cfg, aitest::kTestKey, simpleRequest(), QString());
        QVERIFY(client.isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(deltas.size() >= 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(
            server.requests().size() == 1 && server.requests().first().status == 200, 5000);
        QVERIFY(aitest::tcpStatesOnLocalPort(server.port()).contains(QStringLiteral("01")));
        client.cancel();
        QVERIFY(!client.isRunning());
        const qsizetype deltasAtCancel = deltas.size();
        // The server side of the connection leaves ESTABLISHED, and does not sit in
        // CLOSE_WAIT either: the server saw the close and closed its end.
        QTRY_VERIFY_WITH_TIMEOUT(
            !aitest::tcpStatesOnLocalPort(server.port()).contains(QStringLiteral("01")) &&
                !aitest::tcpStatesOnLocalPort(server.port()).contains(QStringLiteral("08")),
            3000);
        // Nothing at all after cancel(), while the drip would have sent several more events.
        QTest::qWait(1000);
        QCOMPARE(deltas.size(), deltasAtCancel);
        QCOMPARE(finished.size(), 0);
        QCOMPARE(restarted.size(), 0);
        QCOMPARE(server.requests().size(), 1);
    }

    // Cancelled while waiting to retry: the retry never goes out.
    void cancelDuringRetryWait() {
        QVERIFY(
            server_.setScenarioQueue({QStringLiteral("rate-limit"), QStringLiteral("success")}));
        AIProviderClient client(&network_);
        QSignalSpy restarted(&client, &AIProviderClient::restarted);
        QSignalSpy finished(&client, &AIProviderClient::finished);
        QSignalSpy deltas(&client, &AIProviderClient::textDelta);
        ProviderConfig cfg = config(QStringLiteral("gemini"));
        cfg.maxRetryWaitMs = 5000;
        client.start(cfg, aitest::kTestKey, simpleRequest(), QString());
        QVERIFY(restarted.wait(5000));
        client.cancel();
        QTest::qWait(1500); // past the 1 s the service asked for
        QCOMPARE(server_.requests().size(), 1);
        QCOMPARE(finished.size(), 0);
        QCOMPARE(deltas.size(), 0);
        QCOMPARE(restarted.size(), 1);
    }

    // A client that is started again drops the first request silently.
    void restartReplacesRequest() {
        QVERIFY(server_.setScenarioQueue({QStringLiteral("never-answer")}));
        AIProviderClient client(&network_);
        ClientRun out;
        ProviderConfig cfg = config(QStringLiteral("openai"));
        client.start(cfg, aitest::kTestKey, simpleRequest(), QStringLiteral("first"));
        QTRY_COMPARE(server_.requests().size(), 1);
        run(client, cfg, &out);
        QVERIFY2(out.result.result.ok(), out.describe().constData());
        QCOMPARE(out.finishedCount, 1);
        QVERIFY(out.result.result.jobId != QLatin1String("first"));
        QCOMPARE(out.result.text, testAnswer());
    }
};

QTEST_GUILESS_MAIN(TestProviderClient)
#include "tst_providerclient.moc"
