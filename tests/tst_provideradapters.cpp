// The five providers' wire formats (agents/*Adapter): request URLs, headers and bodies; the
// decoding of response bodies in the services' recorded formats (tests/fixtures/providers,
// written by make_fixtures.py), fed whole, byte by byte and in random chunks; parseError() for
// every error of ../shared/reference/provider-apis.md; and the shared helpers.
#include "AnthropicAdapter.h"
#include "AzureOpenAIAdapter.h"
#include "GeminiAdapter.h"
#include "OpenAIAdapter.h"
#include "ProviderAdapter.h"
#include "TestSupport.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QtTest>

using namespace omega;

Q_DECLARE_METATYPE(omega::ProviderType)
Q_DECLARE_METATYPE(omega::ErrorCategory)
Q_DECLARE_METATYPE(omega::FinishReason)

namespace {

const QString kKey = QStringLiteral("sk-test-KEY-0123456789abcdef");

QByteArray readFixture(const QString& relative) {
    QFile file(QStringLiteral(OMEGA_FIXTURES_DIR "/providers/") + relative);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(relative));
    return file.readAll();
}

QString expectedText(const QString& fixture) {
    const QString base = fixture.left(fixture.lastIndexOf(QLatin1Char('.')));
    return QString::fromUtf8(readFixture(base + QStringLiteral(".expected.txt")));
}

// A configuration like a user's, with values that differ from the defaults.
ProviderConfig testConfig(ProviderType type, bool stream = true) {
    ProviderConfig config = defaultProviderConfig(type, QStringLiteral("test"));
    config.temperature = 0.4;
    config.maxTokens = 4096;
    config.stream = stream;
    if (type == ProviderType::AzureOpenAI) {
        config.endpoint = QStringLiteral("https://omega-test.openai.azure.com/");
        config.deployment = QStringLiteral("omega-gpt4o");
    }
    return config;
}

// The conversation of the request fixtures (make_fixtures.py: SYSTEM, TURNS).
ChatRequest conversation() {
    ChatRequest request;
    request.system = QStringLiteral("You write Manim Community Edition scripts.");
    request.messages = {
        {ChatMessage::Role::User,
         QStringLiteral("<prompt>a circle morphing into a square</prompt>")},
        {ChatMessage::Role::Assistant, QStringLiteral("```python\nfrom manim import *\n```")},
        {ChatMessage::Role::User, QStringLiteral("<prompt>make the square blue</prompt>")}};
    return request;
}

QJsonObject jsonObject(const QByteArray& bytes) {
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        qWarning("not a JSON object: %s", bytes.constData());
    return doc.object();
}

RawHeaders parseHeaders(const QString& spec) {
    RawHeaders headers;
    const QStringList lines = spec.split(QLatin1Char('|'), Qt::SkipEmptyParts);
    for (const QString& line : lines) {
        const qsizetype colon = line.indexOf(QLatin1Char(':'));
        headers.append(
            {line.left(colon).trimmed().toLatin1(), line.mid(colon + 1).trimmed().toLatin1()});
    }
    return headers;
}

// Everything a decoder said about one body, merged the way AIProviderClient merges it.
struct Decoded {
    QString text;
    QList<FinishReason> finishes;
    TokenUsage usage;
    QStringList models;
    QList<ProviderFailure> failures;
    QString brokenRule; // a ResponseDecoder guarantee that did not hold
};

enum class Chunking { Whole, ByteByByte, Random };

Decoded decodeBody(ResponseDecoder* decoder, const QByteArray& body, Chunking chunking,
                   quint32 seed = 1) {
    QList<StreamEvent> events;
    if (chunking == Chunking::Whole) {
        events += decoder->feed(body);
    } else {
        QRandomGenerator random(seed);
        qsizetype i = 0;
        while (i < body.size()) {
            const qsizetype n = chunking == Chunking::ByteByByte ? 1 : random.bounded(1, 40);
            events += decoder->feed(body.mid(i, n));
            i += n;
        }
    }
    events += decoder->finish();
    if (!decoder->finish().isEmpty() || !decoder->feed("data: {}\n\n").isEmpty())
        qWarning("events after finish()");

    Decoded d;
    for (qsizetype i = 0; i < events.size(); ++i) {
        const StreamEvent& e = events.at(i);
        switch (e.kind) {
        case StreamEvent::Kind::Text:
            if (e.text.isEmpty())
                d.brokenRule = QStringLiteral("an empty Text event");
            d.text += e.text;
            break;
        case StreamEvent::Kind::Finish:
            d.finishes << e.finish;
            break;
        case StreamEvent::Kind::Usage:
            if (e.usage.input >= 0)
                d.usage.input = e.usage.input;
            if (e.usage.output >= 0)
                d.usage.output = e.usage.output;
            if (e.usage.total >= 0)
                d.usage.total = e.usage.total;
            break;
        case StreamEvent::Kind::Model:
            d.models << e.text;
            break;
        case StreamEvent::Kind::Failure:
            d.failures << e.failure;
            if (i != events.size() - 1)
                d.brokenRule = QStringLiteral("events after a Failure");
            break;
        }
    }
    if (d.failures.size() > 1)
        d.brokenRule = QStringLiteral("more than one Failure");
    if (d.failures.isEmpty() && d.finishes.size() != 1)
        d.brokenRule = QStringLiteral("%1 Finish events in a success").arg(d.finishes.size());
    if (d.models.removeDuplicates() > 0)
        d.brokenRule = QStringLiteral("the same model reported twice");
    return d;
}

void verifyWellFormed(const ProviderFailure& f) {
    QVERIFY(f.isFailure());
    QVERIFY2(!f.message.isEmpty(), "empty message");
    QVERIFY2(!f.message.contains(QLatin1Char('\n')), qPrintable(f.message));
    QVERIFY2(f.message.size() < 500, qPrintable(f.message));
    QVERIFY2(!f.message.contains(QLatin1String("HTTP ")), qPrintable(f.message)); // client adds it
}

} // namespace

class TestProviderAdapters : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // ---- ProviderConfig ----
    void typeNames() {
        for (ProviderType type : allProviderTypes()) {
            QCOMPARE(providerTypeFromName(providerTypeName(type)),
                     std::optional<ProviderType>(type));
            QCOMPARE(providerTypeFromName(providerTypeName(type).toUpper()),
                     std::optional<ProviderType>(type));
        }
        QCOMPARE(allProviderTypes().size(), 5);
        QCOMPARE(providerTypeName(ProviderType::AzureOpenAI), QStringLiteral("azure-openai"));
        QCOMPARE(providerTypeName(ProviderType::OpenAICompatible),
                 QStringLiteral("openai-compatible"));
        QVERIFY(!providerTypeFromName(QStringLiteral("bard")).has_value());
        QVERIFY(!providerTypeFromName(QString()).has_value());
    }

    void defaults() {
        const ProviderConfig gemini = defaultProviderConfig(ProviderType::Gemini);
        QCOMPARE(gemini.name, QStringLiteral("gemini"));
        QCOMPARE(gemini.endpoint, QStringLiteral("https://generativelanguage.googleapis.com"));
        QCOMPARE(gemini.model, QStringLiteral("gemini-2.5-flash"));
        const ProviderConfig azure =
            defaultProviderConfig(ProviderType::AzureOpenAI, QStringLiteral("work"));
        QCOMPARE(azure.name, QStringLiteral("work"));
        QCOMPARE(azure.apiVersion, QStringLiteral("2024-10-21"));
        QVERIFY(azure.endpoint.isEmpty());
        QVERIFY(azure.deployment.isEmpty());
        QCOMPARE(defaultProviderConfig(ProviderType::OpenAI).endpoint,
                 QStringLiteral("https://api.openai.com/v1"));
        QCOMPARE(defaultProviderConfig(ProviderType::Anthropic).endpoint,
                 QStringLiteral("https://api.anthropic.com"));
        QCOMPARE(defaultProviderConfig(ProviderType::Anthropic).model,
                 QStringLiteral("claude-sonnet-4-5"));
        QCOMPARE(defaultProviderConfig(ProviderType::OpenAICompatible).endpoint,
                 QStringLiteral("http://localhost:11434/v1"));
        // Every default is usable as is, except Azure which needs the user's resource.
        for (ProviderType type : allProviderTypes()) {
            const QString problem = validateProviderConfig(defaultProviderConfig(type));
            if (type == ProviderType::AzureOpenAI)
                QVERIFY(problem.contains(QLatin1String("endpoint")));
            else
                QVERIFY2(problem.isEmpty(), qPrintable(problem));
        }
    }

    void validate_data() {
        QTest::addColumn<ProviderType>("type");
        QTest::addColumn<QString>("endpoint");
        QTest::addColumn<QString>("deployment");
        QTest::addColumn<QString>("model");
        QTest::addColumn<double>("temperature");
        QTest::addColumn<int>("maxTokens");
        QTest::addColumn<QString>("problem"); // empty: valid; else a word of the message

        const auto c = ProviderType::OpenAICompatible;
        const auto az = ProviderType::AzureOpenAI;
        const QString m = QStringLiteral("llama3.1");
        QTest::newRow("loopback 127.0.0.1 http") << c << "http://127.0.0.1:8080/v1"
                                                 << "" << m << 0.7 << 100 << "";
        QTest::newRow("localhost http") << c << "http://localhost:11434/v1"
                                        << "" << m << 0.7 << 100 << "";
        QTest::newRow("127.9.9.9 is loopback too") << c << "http://127.9.9.9/v1"
                                                   << "" << m << 0.7 << 100 << "";
        QTest::newRow("ipv6 loopback") << c << "http://[::1]:8080/v1"
                                       << "" << m << 0.7 << 100 << "";
        QTest::newRow("https anywhere") << c << "https://llm.example.org/v1/"
                                        << "" << m << 0.7 << 100 << "";
        QTest::newRow("http to the LAN") << c << "http://10.0.0.5:11434/v1"
                                         << "" << m << 0.7 << 100 << "http";
        QTest::newRow("http to a name") << ProviderType::OpenAI << "http://api.openai.com/v1"
                                        << "" << m << 0.7 << 100 << "http";
        QTest::newRow("localhost lookalike") << c << "http://localhost.evil.com/v1"
                                             << "" << m << 0.7 << 100 << "http";
        QTest::newRow("empty endpoint") << c << ""
                                        << "" << m << 0.7 << 100 << "endpoint";
        QTest::newRow("not a URL") << c << "localhost:11434"
                                   << "" << m << 0.7 << 100 << "valid";
        QTest::newRow("ftp") << c << "ftp://127.0.0.1/v1"
                             << "" << m << 0.7 << 100 << "valid";
        QTest::newRow("key in the URL")
            << ProviderType::Gemini << "https://generativelanguage.googleapis.com?key=abc"
            << "" << m << 0.7 << 100 << "query";
        QTest::newRow("credentials in the URL") << c << "https://user:pw@llm.example.org/v1"
                                                << "" << m << 0.7 << 100 << "password";
        QTest::newRow("azure without deployment") << az << "https://r.openai.azure.com"
                                                  << ""
                                                  << "" << 0.7 << 100 << "deployment";
        QTest::newRow("azure needs no model") << az << "https://r.openai.azure.com"
                                              << "gpt4o"
                                              << "" << 0.7 << 100 << "";
        QTest::newRow("no model") << ProviderType::Anthropic << "https://api.anthropic.com"
                                  << ""
                                  << "" << 0.7 << 100 << "model";
        QTest::newRow("temperature 2 is fine") << c << "http://localhost:1/v1"
                                               << "" << m << 2.0 << 100 << "";
        QTest::newRow("temperature above 2") << c << "http://localhost:1/v1"
                                             << "" << m << 2.5 << 100 << "temperature";
        QTest::newRow("negative temperature") << c << "http://localhost:1/v1"
                                              << "" << m << -0.1 << 100 << "temperature";
        QTest::newRow("zero max tokens") << c << "http://localhost:1/v1"
                                         << "" << m << 0.7 << 0 << "tokens";
    }

    void validate() {
        QFETCH(ProviderType, type);
        QFETCH(QString, endpoint);
        QFETCH(QString, deployment);
        QFETCH(QString, model);
        QFETCH(double, temperature);
        QFETCH(int, maxTokens);
        QFETCH(QString, problem);
        ProviderConfig config = defaultProviderConfig(type, QStringLiteral("p"));
        config.endpoint = endpoint;
        config.deployment = deployment;
        config.model = model;
        config.temperature = temperature;
        config.maxTokens = maxTokens;
        const QString result = validateProviderConfig(config);
        if (problem.isEmpty()) {
            QVERIFY2(result.isEmpty(), qPrintable(result));
        } else {
            QVERIFY2(result.contains(problem, Qt::CaseInsensitive), qPrintable(result));
            QVERIFY(!result.contains(QLatin1String("abc"))); // no key echoed back
        }
    }

    void keyEnvironment() {
        QCOMPARE(keyEnvironmentVariable(ProviderType::Gemini), QStringLiteral("GEMINI_API_KEY"));
        QCOMPARE(keyEnvironmentVariable(ProviderType::AzureOpenAI),
                 QStringLiteral("AZURE_OPENAI_API_KEY"));
        QCOMPARE(keyEnvironmentVariable(ProviderType::OpenAI), QStringLiteral("OPENAI_API_KEY"));
        QCOMPARE(keyEnvironmentVariable(ProviderType::Anthropic),
                 QStringLiteral("ANTHROPIC_API_KEY"));
        QCOMPARE(keyEnvironmentVariable(ProviderType::OpenAICompatible),
                 QStringLiteral("OMEGA_OPENAI_COMPATIBLE_API_KEY"));
        QVERIFY(!providerRequiresKey(ProviderType::OpenAICompatible));
        QVERIFY(providerRequiresKey(ProviderType::Gemini));
        QVERIFY(providerRequiresKey(ProviderType::AzureOpenAI));
    }

    void byPriority() {
        auto make = [](const char* name, int priority, bool enabled) {
            ProviderConfig c =
                defaultProviderConfig(ProviderType::OpenAI, QString::fromLatin1(name));
            c.priority = priority;
            c.enabled = enabled;
            return c;
        };
        const QList<ProviderConfig> sorted = providersByPriority(
            {make("zeta", 10, true), make("off", 1, false), make("Beta", 10, true),
             make("alpha", 10, true), make("first", 5, true)});
        QStringList names;
        for (const ProviderConfig& c : sorted)
            names << c.name;
        QCOMPARE(names, QStringList({QStringLiteral("first"), QStringLiteral("alpha"),
                                     QStringLiteral("Beta"), QStringLiteral("zeta")}));
        QVERIFY(providersByPriority({make("off", 1, false)}).isEmpty());
    }

    // ---- Registry and requests ----
    void registry() {
        for (ProviderType type : allProviderTypes()) {
            const std::unique_ptr<ProviderAdapter> adapter = createProviderAdapter(type);
            QVERIFY(adapter);
            QCOMPARE(adapter->type(), type);
            QVERIFY(adapter->createDecoder(testConfig(type)));
        }
        QCOMPARE(finishReasonName(FinishReason::MaxTokens), QStringLiteral("max-tokens"));
        QCOMPARE(finishReasonName(FinishReason::Stop), QStringLiteral("stop"));
    }

    void chatRequest_data() {
        QTest::addColumn<ProviderType>("type");
        QTest::addColumn<bool>("stream");
        QTest::addColumn<QString>("endpoint");
        QTest::addColumn<QString>("apiVersion");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("keyHeader"); // "name: value", empty: no key header at all

        const QString k = kKey;
        const QString bearer = QStringLiteral("Authorization: Bearer ") + kKey;
        QTest::newRow("gemini stream")
            << ProviderType::Gemini << true << "https://generativelanguage.googleapis.com"
            << "" << k
            << "https://generativelanguage.googleapis.com/v1beta/models/"
               "gemini-2.5-flash:streamGenerateContent?alt=sse"
            << QStringLiteral("x-goog-api-key: ") + k;
        QTest::newRow("gemini whole, trailing slash")
            << ProviderType::Gemini << false << "https://generativelanguage.googleapis.com/"
            << "" << k
            << "https://generativelanguage.googleapis.com/v1beta/models/"
               "gemini-2.5-flash:generateContent"
            << QStringLiteral("x-goog-api-key: ") + k;
        QTest::newRow("gemini behind a local fake")
            << ProviderType::Gemini << true << "http://127.0.0.1:8765/gemini/"
            << "" << k
            << "http://127.0.0.1:8765/gemini/v1beta/models/"
               "gemini-2.5-flash:streamGenerateContent?alt=sse"
            << QStringLiteral("x-goog-api-key: ") + k;
        QTest::newRow("azure classic")
            << ProviderType::AzureOpenAI << true << "https://omega-test.openai.azure.com/"
            << "2024-10-21" << k
            << "https://omega-test.openai.azure.com/openai/deployments/omega-gpt4o/chat/"
               "completions?api-version=2024-10-21"
            << QStringLiteral("api-key: ") + k;
        QTest::newRow("azure v1")
            << ProviderType::AzureOpenAI << true << "https://omega-test.openai.azure.com"
            << "" << k << "https://omega-test.openai.azure.com/openai/v1/chat/completions"
            << QStringLiteral("api-key: ") + k;
        QTest::newRow("azure v1, SDK-style base with /openai/v1/")
            << ProviderType::AzureOpenAI << false
            << "https://omega-test.openai.azure.com/openai/v1/"
            << "" << k << "https://omega-test.openai.azure.com/openai/v1/chat/completions"
            << QStringLiteral("api-key: ") + k;
        QTest::newRow("openai") << ProviderType::OpenAI << true << "https://api.openai.com/v1"
                                << "" << k << "https://api.openai.com/v1/chat/completions"
                                << bearer;
        QTest::newRow("openai trailing slash")
            << ProviderType::OpenAI << false << "https://api.openai.com/v1/"
            << "" << k << "https://api.openai.com/v1/chat/completions" << bearer;
        QTest::newRow("compatible without key")
            << ProviderType::OpenAICompatible << true << "http://localhost:11434/v1"
            << ""
            << ""
            << "http://localhost:11434/v1/chat/completions"
            << "";
        QTest::newRow("compatible with key")
            << ProviderType::OpenAICompatible << true << "http://127.0.0.1:1234/v1/"
            << "" << k << "http://127.0.0.1:1234/v1/chat/completions" << bearer;
        QTest::newRow("anthropic") << ProviderType::Anthropic << true << "https://api.anthropic.com"
                                   << "" << k << "https://api.anthropic.com/v1/messages"
                                   << QStringLiteral("x-api-key: ") + k;
        QTest::newRow("anthropic trailing slash")
            << ProviderType::Anthropic << false << "https://api.anthropic.com/"
            << "" << k << "https://api.anthropic.com/v1/messages"
            << QStringLiteral("x-api-key: ") + k;
    }

    void chatRequest() {
        QFETCH(ProviderType, type);
        QFETCH(bool, stream);
        QFETCH(QString, endpoint);
        QFETCH(QString, apiVersion);
        QFETCH(QString, key);
        QFETCH(QString, url);
        QFETCH(QString, keyHeader);
        ProviderConfig config = testConfig(type, stream);
        config.endpoint = endpoint;
        config.apiVersion = apiVersion;
        const QNetworkRequest request = createProviderAdapter(type)->chatRequest(config, key);

        QCOMPARE(request.url().toString(QUrl::FullyEncoded), url);
        QCOMPARE(request.header(QNetworkRequest::ContentTypeHeader).toString(),
                 QStringLiteral("application/json"));
        QCOMPARE(request.rawHeader("Accept"),
                 stream ? QByteArray("text/event-stream") : QByteArray("application/json"));
        QCOMPARE(request.attribute(QNetworkRequest::RedirectPolicyAttribute).toInt(),
                 int(QNetworkRequest::SameOriginRedirectPolicy));
        // The key is in its header and nowhere else: not in the URL, not in another header.
        const QStringList keyHeaders{QStringLiteral("authorization"),
                                     QStringLiteral("x-goog-api-key"), QStringLiteral("api-key"),
                                     QStringLiteral("x-api-key")};
        int keyed = 0;
        const QList<QByteArray> names = request.rawHeaderList();
        for (const QByteArray& name : names) {
            const QString line = QString::fromLatin1(name) + QStringLiteral(": ") +
                                 QString::fromLatin1(request.rawHeader(name));
            if (keyHeaders.contains(QString::fromLatin1(name).toLower())) {
                ++keyed;
                QCOMPARE(line, keyHeader);
            } else if (!key.isEmpty()) {
                QVERIFY2(!line.contains(key), qPrintable(line));
            }
        }
        QCOMPARE(keyed, keyHeader.isEmpty() ? 0 : 1);
        if (!key.isEmpty())
            QVERIFY(!request.url().toString().contains(key));
        QVERIFY(!QUrlQuery(request.url()).hasQueryItem(QStringLiteral("key")));
        if (type == ProviderType::Anthropic)
            QCOMPARE(request.rawHeader("anthropic-version"), QByteArray("2023-06-01"));
    }

    void chatBody_data() {
        QTest::addColumn<ProviderType>("type");
        QTest::addColumn<bool>("stream");
        QTest::addColumn<QString>("apiVersion");
        QTest::addColumn<QString>("fixture");
        QTest::newRow("gemini stream") << ProviderType::Gemini << true << ""
                                       << "gemini/request.json";
        QTest::newRow("gemini whole") << ProviderType::Gemini << false << ""
                                      << "gemini/request.json";
        QTest::newRow("openai stream") << ProviderType::OpenAI << true << ""
                                       << "openai/request_stream.json";
        QTest::newRow("openai whole") << ProviderType::OpenAI << false << ""
                                      << "openai/request_whole.json";
        QTest::newRow("azure classic") << ProviderType::AzureOpenAI << true << "2024-10-21"
                                       << "azure/request_classic.json";
        QTest::newRow("azure v1") << ProviderType::AzureOpenAI << true << ""
                                  << "azure/request_v1.json";
        QTest::newRow("compatible") << ProviderType::OpenAICompatible << true << ""
                                    << "compatible/request_stream.json";
        QTest::newRow("anthropic stream") << ProviderType::Anthropic << true << ""
                                          << "anthropic/request_stream.json";
        QTest::newRow("anthropic whole") << ProviderType::Anthropic << false << ""
                                         << "anthropic/request_whole.json";
    }

    void chatBody() {
        QFETCH(ProviderType, type);
        QFETCH(bool, stream);
        QFETCH(QString, apiVersion);
        QFETCH(QString, fixture);
        ProviderConfig config = testConfig(type, stream);
        config.apiVersion = apiVersion;
        const QByteArray body = createProviderAdapter(type)->chatBody(config, conversation());
        const QJsonObject actual = jsonObject(body);
        const QJsonObject expected = jsonObject(readFixture(fixture));
        if (actual != expected)
            qWarning("%s", body.constData());
        QCOMPARE(actual, expected);
    }

    void bodyDetails() {
        ChatRequest bare;
        bare.messages = {{ChatMessage::Role::User, QStringLiteral("hi")}};
        // No system prompt: no empty system member or message.
        const QJsonObject gemini =
            jsonObject(GeminiAdapter().chatBody(testConfig(ProviderType::Gemini), bare));
        QVERIFY(!gemini.contains(QLatin1String("systemInstruction")));
        const QJsonObject anthropic =
            jsonObject(AnthropicAdapter().chatBody(testConfig(ProviderType::Anthropic), bare));
        QVERIFY(!anthropic.contains(QLatin1String("system")));
        const QJsonObject openai =
            jsonObject(OpenAIAdapter().chatBody(testConfig(ProviderType::OpenAI), bare));
        QCOMPARE(openai.value(QLatin1String("messages")).toArray().size(), 1);

        // Anthropic accepts 0..1 only.
        ProviderConfig hot = testConfig(ProviderType::Anthropic);
        hot.temperature = 1.6;
        QCOMPARE(jsonObject(AnthropicAdapter().chatBody(hot, bare))
                     .value(QLatin1String("temperature"))
                     .toDouble(),
                 1.0);

        // OpenAI's reasoning models reject a temperature: none is sent.
        for (const char* model : {"o3-mini", "o4-mini", "gpt-5", "gpt-5-mini"}) {
            ProviderConfig reasoning = testConfig(ProviderType::OpenAI);
            reasoning.model = QString::fromLatin1(model);
            const QJsonObject body = jsonObject(OpenAIAdapter().chatBody(reasoning, bare));
            QVERIFY2(!body.contains(QLatin1String("temperature")), model);
            QCOMPARE(body.value(QLatin1String("max_completion_tokens")).toInt(), 4096);
        }
        ProviderConfig local = testConfig(ProviderType::OpenAICompatible);
        local.model = QStringLiteral("o3-lookalike-local");
        QVERIFY(jsonObject(OpenAIAdapter(ProviderType::OpenAICompatible).chatBody(local, bare))
                    .contains(QLatin1String("temperature")));
        // A Gemini model given as "models/…" is not doubled in the URL.
        ProviderConfig prefixed = testConfig(ProviderType::Gemini);
        prefixed.model = QStringLiteral("models/gemini-2.5-pro");
        QVERIFY(
            GeminiAdapter()
                .chatRequest(prefixed, kKey)
                .url()
                .path()
                .endsWith(QLatin1String("/v1beta/models/gemini-2.5-pro:streamGenerateContent")));
    }

    void testRequests_data() {
        QTest::addColumn<ProviderType>("type");
        QTest::addColumn<QString>("apiVersion");
        QTest::addColumn<QString>("url");
        QTest::addColumn<bool>("post");
        QTest::newRow("gemini")
            << ProviderType::Gemini << ""
            << "https://generativelanguage.googleapis.com/v1beta/models?pageSize=1" << false;
        QTest::newRow("azure classic: a tiny chat")
            << ProviderType::AzureOpenAI << "2024-10-21"
            << "https://omega-test.openai.azure.com/openai/deployments/omega-gpt4o/chat/"
               "completions?api-version=2024-10-21"
            << true;
        QTest::newRow("azure v1: a tiny chat")
            << ProviderType::AzureOpenAI << ""
            << "https://omega-test.openai.azure.com/openai/v1/chat/completions" << true;
        QTest::newRow("openai") << ProviderType::OpenAI << ""
                                << "https://api.openai.com/v1/models" << false;
        QTest::newRow("compatible") << ProviderType::OpenAICompatible << ""
                                    << "http://localhost:11434/v1/models" << false;
        QTest::newRow("anthropic") << ProviderType::Anthropic << ""
                                   << "https://api.anthropic.com/v1/models?limit=1" << false;
    }

    void testRequests() {
        QFETCH(ProviderType, type);
        QFETCH(QString, apiVersion);
        QFETCH(QString, url);
        QFETCH(bool, post);
        ProviderConfig config = testConfig(type);
        config.apiVersion = apiVersion;
        const std::unique_ptr<ProviderAdapter> adapter = createProviderAdapter(type);
        const QNetworkRequest request = adapter->testRequest(config, kKey);
        QCOMPARE(request.url().toString(QUrl::FullyEncoded), url);
        QVERIFY(!request.url().toString().contains(kKey));
        bool keyed = false;
        const QList<QByteArray> names = request.rawHeaderList();
        for (const QByteArray& name : names)
            keyed = keyed || request.rawHeader(name).contains(kKey.toUtf8());
        QVERIFY(keyed);
        const QByteArray body = adapter->testBody(config);
        QCOMPARE(!body.isEmpty(), post);
        if (post) {
            const QJsonObject json = jsonObject(body);
            QCOMPARE(json.value(QLatin1String("stream")).toBool(true), false);
            QVERIFY(json.value(QLatin1String("max_completion_tokens")).toInt() <= 16);
            QCOMPARE(json.contains(QLatin1String("model")), apiVersion.isEmpty());
            QCOMPARE(request.rawHeader("Accept"), QByteArray("application/json"));
        }
    }

    // ---- Decoding ----
    void decode_data() {
        QTest::addColumn<ProviderType>("type");
        QTest::addColumn<bool>("stream");
        QTest::addColumn<QString>("fixture");
        QTest::addColumn<FinishReason>("finish");   // when it succeeds
        QTest::addColumn<QList<int>>("usage");      // input, output, total; when it succeeds
        QTest::addColumn<QString>("model");         // first model reported; when it succeeds
        QTest::addColumn<ErrorCategory>("failure"); // None: success
        QTest::addColumn<bool>("retryable");
        QTest::addColumn<int>("failureStatus");
        QTest::addColumn<QString>("failureWords"); // in the failure's message

        const auto G = ProviderType::Gemini;
        const auto O = ProviderType::OpenAI;
        const auto Z = ProviderType::AzureOpenAI;
        const auto C = ProviderType::OpenAICompatible;
        const auto A = ProviderType::Anthropic;
        const auto ok = ErrorCategory::None;
        const auto down = ErrorCategory::ProviderUnavailable;
        const auto bad = ErrorCategory::ProviderBadResponse;
        const auto filtered = ErrorCategory::ContentFiltered;
        const QList<int> none{-1, -1, -1};
        const QString gm = QStringLiteral("gemini-2.5-flash");
        const QString om = QStringLiteral("gpt-4.1-mini-2025-04-14");
        const QString zm = QStringLiteral("gpt-4o-2024-11-20");
        const QString am = QStringLiteral("claude-sonnet-4-5-20250929");
        const FinishReason stop = FinishReason::Stop;
        const FinishReason any = FinishReason::Unknown;
        const QString closed = QStringLiteral("connection closed before the answer was complete");

        // Gemini: CRLF events, no end marker, errors as raw JSON after the events.
        QTest::newRow("gemini success") << G << true << "gemini/stream_success.sse" << stop
                                        << QList<int>{212, 96, 308} << gm << ok << false << 0 << "";
        QTest::newRow("gemini max tokens, LF")
            << G << true << "gemini/stream_max_tokens.sse" << FinishReason::MaxTokens
            << QList<int>{212, 64, 276} << gm << ok << false << 0 << "";
        QTest::newRow("gemini thought parts")
            << G << true << "gemini/stream_thoughts.sse" << stop << QList<int>{212, 148, 360} << gm
            << ok << false << 0 << "";
        QTest::newRow("gemini output blocked")
            << G << true << "gemini/stream_output_blocked.sse" << FinishReason::ContentFiltered
            << QList<int>{212, 30, 242} << gm << ok << false << 0 << "";
        QTest::newRow("gemini prompt blocked")
            << G << true << "gemini/stream_prompt_blocked.sse" << any << none << "" << filtered
            << false << 0 << "PROHIBITED_CONTENT";
        QTest::newRow("gemini prompt blocked, whole")
            << G << false << "gemini/whole_prompt_blocked.json" << any << none << "" << filtered
            << false << 0 << "blocked the prompt";
        QTest::newRow("gemini cut") << G << true << "gemini/stream_cut.sse" << any << none << ""
                                    << down << true << 0 << closed;
        QTest::newRow("gemini error after events")
            << G << true << "gemini/stream_error_after.sse" << any << none << "" << down << true
            << 503 << "The model is overloaded";
        QTest::newRow("gemini invalid json") << G << true << "gemini/stream_invalid_json.sse" << any
                                             << none << "" << bad << true << 0 << "not valid JSON";
        QTest::newRow("gemini whole") << G << false << "gemini/whole_success.json" << stop
                                      << QList<int>{212, 108, 320} << gm << ok << false << 0 << "";

        // OpenAI: [DONE], usage in a last chunk with "choices": [].
        QTest::newRow("openai success") << O << true << "openai/stream_success.sse" << stop
                                        << QList<int>{180, 96, 276} << om << ok << false << 0 << "";
        QTest::newRow("openai length")
            << O << true << "openai/stream_length.sse" << FinishReason::MaxTokens
            << QList<int>{180, 40, 220} << om << ok << false << 0 << "";
        QTest::newRow("openai content filter")
            << O << true << "openai/stream_content_filter.sse" << FinishReason::ContentFiltered
            << QList<int>{180, 12, 192} << om << ok << false << 0 << "";
        QTest::newRow("openai cut before [DONE]") << O << true << "openai/stream_cut.sse" << any
                                                  << none << "" << down << true << 0 << closed;
        QTest::newRow("openai error chunk") << O << true << "openai/stream_error_chunk.sse" << any
                                            << none << "" << down << true << 0 << "server_error";
        QTest::newRow("openai invalid json") << O << true << "openai/stream_invalid_json.sse" << any
                                             << none << "" << bad << true << 0 << "not valid JSON";
        QTest::newRow("openai whole") << O << false << "openai/whole_success.json" << stop
                                      << QList<int>{180, 96, 276} << om << ok << false << 0 << "";

        // Azure: empty-choices first chunk, filter-only chunks, same decoder as OpenAI.
        QTest::newRow("azure success") << Z << true << "azure/stream_success.sse" << stop
                                       << QList<int>{180, 96, 276} << zm << ok << false << 0 << "";
        QTest::newRow("azure output filtered")
            << Z << true << "azure/stream_content_filter.sse" << FinishReason::ContentFiltered
            << none << zm << ok << false << 0 << "";
        QTest::newRow("azure whole") << Z << false << "azure/whole_success.json" << stop
                                     << QList<int>{180, 96, 276} << zm << ok << false << 0 << "";

        // Local servers: no usage (Ollama); reasoning_content and usage in the finish chunk
        // (llama.cpp).
        QTest::newRow("ollama success") << C << true << "compatible/stream_ollama.sse" << stop
                                        << none << "llama3.1" << ok << false << 0 << "";
        QTest::newRow("llama.cpp success")
            << C << true << "compatible/stream_llamacpp.sse" << stop << QList<int>{180, 96, 276}
            << "qwen2.5-coder-7b" << ok << false << 0 << "";
        QTest::newRow("ollama error mid-stream")
            << C << true << "compatible/stream_error_chunk.sse" << any << none << "" << down << true
            << 0 << "unexpected EOF";

        // Anthropic: named events, message_stop ends, error event after the 200.
        QTest::newRow("anthropic success")
            << A << true << "anthropic/stream_success.sse" << stop << QList<int>{190, 96, 286} << am
            << ok << false << 0 << "";
        QTest::newRow("anthropic max tokens")
            << A << true << "anthropic/stream_max_tokens.sse" << FinishReason::MaxTokens
            << QList<int>{190, 64, 254} << am << ok << false << 0 << "";
        QTest::newRow("anthropic refusal")
            << A << true << "anthropic/stream_refusal.sse" << FinishReason::ContentFiltered
            << QList<int>{190, 9, 199} << am << ok << false << 0 << "";
        QTest::newRow("anthropic overloaded event")
            << A << true << "anthropic/stream_error_event.sse" << any << none << "" << down << true
            << 0 << "Overloaded";
        QTest::newRow("anthropic cut before message_stop")
            << A << true << "anthropic/stream_cut.sse" << any << none << "" << down << true << 0
            << closed;
        QTest::newRow("anthropic whole")
            << A << false << "anthropic/whole_success.json" << stop << QList<int>{190, 96, 286}
            << am << ok << false << 0 << "";
    }

    void decode() {
        QFETCH(ProviderType, type);
        QFETCH(bool, stream);
        QFETCH(QString, fixture);
        QFETCH(FinishReason, finish);
        QFETCH(QList<int>, usage);
        QFETCH(QString, model);
        QFETCH(ErrorCategory, failure);
        QFETCH(bool, retryable);
        QFETCH(int, failureStatus);
        QFETCH(QString, failureWords);

        const QByteArray body = readFixture(fixture);
        const QString text = expectedText(fixture);
        const std::unique_ptr<ProviderAdapter> adapter = createProviderAdapter(type);
        const ProviderConfig config = testConfig(type, stream);

        const struct {
            Chunking chunking;
            quint32 seed;
            const char* name;
        } runs[] = {{Chunking::Whole, 0, "whole"},
                    {Chunking::ByteByByte, 0, "byte by byte"},
                    {Chunking::Random, 1, "random chunks 1"},
                    {Chunking::Random, 7, "random chunks 7"}};
        for (const auto& run : runs) {
            const std::unique_ptr<ResponseDecoder> decoder = adapter->createDecoder(config);
            const Decoded d = decodeBody(decoder.get(), body, run.chunking, run.seed);
            const QByteArray where = QByteArray(run.name) + ": ";
            QVERIFY2(d.brokenRule.isEmpty(), where + d.brokenRule.toUtf8());
            QVERIFY2(d.text == text, where + "text was\n" + d.text.toUtf8());
            if (failure == ErrorCategory::None) {
                QVERIFY2(d.failures.isEmpty(), where + d.failures.value(0).message.toUtf8());
                QCOMPARE(d.finishes.value(0), finish);
                QCOMPARE(QList<int>({d.usage.input, d.usage.output, d.usage.total}), usage);
                QCOMPARE(d.models.value(0), model);
            } else {
                QCOMPARE(d.failures.size(), 1);
                const ProviderFailure& f = d.failures.first();
                QCOMPARE_CATEGORY(f.category, failure);
                QCOMPARE(f.retryable, retryable);
                QCOMPARE(f.httpStatus, failureStatus);
                QVERIFY2(f.message.contains(failureWords), qPrintable(f.message));
                verifyWellFormed(f);
            }
        }
    }

    void decodeOddBodies() {
        const ProviderConfig openai = testConfig(ProviderType::OpenAI);
        const QByteArray html = readFixture(QStringLiteral("common/html_login.html"));
        // An HTML page with 200 (a captive portal, a web UI at the endpoint): not retried.
        for (bool stream : {true, false}) {
            const std::unique_ptr<ResponseDecoder> decoder =
                OpenAIAdapter().createDecoder(testConfig(ProviderType::OpenAI, stream));
            const Decoded d = decodeBody(decoder.get(), html, Chunking::Whole);
            QCOMPARE(d.failures.size(), 1);
            QCOMPARE_CATEGORY(d.failures.first().category, ErrorCategory::ProviderBadResponse);
            QVERIFY(!d.failures.first().retryable);
            QVERIFY(d.failures.first().message.contains(QLatin1String("HTML page")));
            QVERIFY(d.text.isEmpty());
        }
        // Nothing at all.
        {
            const std::unique_ptr<ResponseDecoder> decoder = OpenAIAdapter().createDecoder(openai);
            const Decoded d = decodeBody(decoder.get(), QByteArray(), Chunking::Whole);
            QCOMPARE(d.failures.size(), 1);
            QCOMPARE_CATEGORY(d.failures.first().category, ErrorCategory::ProviderUnavailable);
            QVERIFY(d.failures.first().retryable);
        }
        {
            const std::unique_ptr<ResponseDecoder> decoder =
                AnthropicAdapter().createDecoder(testConfig(ProviderType::Anthropic, false));
            const Decoded d = decodeBody(decoder.get(), "  \n", Chunking::Whole);
            QCOMPARE(d.failures.size(), 1);
            QCOMPARE_CATEGORY(d.failures.first().category, ErrorCategory::ProviderBadResponse);
        }
        // A server that ignored "stream": true and sent one JSON body.
        for (ProviderType type :
             {ProviderType::OpenAI, ProviderType::Anthropic, ProviderType::Gemini}) {
            const QString dir = type == ProviderType::OpenAI      ? QStringLiteral("openai")
                                : type == ProviderType::Anthropic ? QStringLiteral("anthropic")
                                                                  : QStringLiteral("gemini");
            const std::unique_ptr<ResponseDecoder> decoder =
                createProviderAdapter(type)->createDecoder(testConfig(type, true));
            const Decoded d =
                decodeBody(decoder.get(), readFixture(dir + QStringLiteral("/whole_success.json")),
                           Chunking::ByteByByte);
            QVERIFY2(d.failures.isEmpty(), qPrintable(d.failures.value(0).message));
            QCOMPARE(d.text, expectedText(QStringLiteral("gemini/stream_success.sse")));
            QCOMPARE(d.finishes, QList<FinishReason>{FinishReason::Stop});
        }
        // An error object as a whole 200 body.
        {
            const std::unique_ptr<ResponseDecoder> decoder =
                GeminiAdapter().createDecoder(testConfig(ProviderType::Gemini, false));
            const Decoded d = decodeBody(
                decoder.get(), readFixture(QStringLiteral("gemini/error_429_retry_info.json")),
                Chunking::Whole);
            QCOMPARE(d.failures.size(), 1);
            QCOMPARE_CATEGORY(d.failures.first().category, ErrorCategory::ProviderRateLimited);
            QCOMPARE(d.failures.first().retryAfterMs, 43000);
        }
        // [DONE] without any finish_reason (some local servers): success, Finish Unknown.
        {
            const std::unique_ptr<ResponseDecoder> decoder =
                OpenAIAdapter(ProviderType::OpenAICompatible)
                    .createDecoder(testConfig(ProviderType::OpenAICompatible));
            const Decoded d =
                decodeBody(decoder.get(),
                           "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n"
                           "data: [DONE]\n\n",
                           Chunking::Whole);
            QVERIFY(d.failures.isEmpty());
            QCOMPARE(d.text, QStringLiteral("hi"));
            QCOMPARE(d.finishes, QList<FinishReason>{FinishReason::Unknown});
        }
        // Events after [DONE] / message_stop are not the answer's.
        {
            const std::unique_ptr<ResponseDecoder> decoder = OpenAIAdapter().createDecoder(openai);
            const Decoded d = decodeBody(
                decoder.get(),
                readFixture(QStringLiteral("openai/stream_success.sse")) +
                    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"late\"}}]}\n\n",
                Chunking::Whole);
            QVERIFY(d.failures.isEmpty());
            QVERIFY(!d.text.contains(QLatin1String("late")));
        }
    }

    // ---- Errors ----
    void parseError_data() {
        QTest::addColumn<ProviderType>("type");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("fixture");
        QTest::addColumn<QString>("headers"); // "name: value|name: value"
        QTest::addColumn<ErrorCategory>("category");
        QTest::addColumn<bool>("retryable");
        QTest::addColumn<int>("retryAfterMs");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("words"); // the provider's own message is in ours

        const auto G = ProviderType::Gemini;
        const auto O = ProviderType::OpenAI;
        const auto Z = ProviderType::AzureOpenAI;
        const auto C = ProviderType::OpenAICompatible;
        const auto A = ProviderType::Anthropic;
        using E = ErrorCategory;

        QTest::newRow("gemini bad key")
            << G << 400 << "gemini/error_400_api_key_invalid.json"
            << "" << E::ProviderAuth << false << -1 << "INVALID_ARGUMENT"
            << "API key not valid";
        QTest::newRow("gemini invalid argument")
            << G << 400 << "gemini/error_400_invalid_argument.json"
            << "" << E::Usage << false << -1 << "INVALID_ARGUMENT"
            << "max_output_tokens must be positive";
        QTest::newRow("gemini region/billing")
            << G << 400 << "gemini/error_400_failed_precondition.json"
            << "" << E::ProviderQuota << false << -1 << "FAILED_PRECONDITION"
            << "User location is not supported";
        QTest::newRow("gemini missing key")
            << G << 403 << "gemini/error_403_permission_denied.json"
            << "" << E::ProviderAuth << false << -1 << "PERMISSION_DENIED"
            << "unregistered callers";
        QTest::newRow("gemini unknown model")
            << G << 404 << "gemini/error_404_not_found.json"
            << "" << E::ProviderNotFound << false << -1 << "NOT_FOUND"
            << "gemini-9.0-ultra is not found";
        QTest::newRow("gemini rate limit with RetryInfo")
            << G << 429 << "gemini/error_429_retry_info.json"
            << "" << E::ProviderRateLimited << true << 43000 << "RESOURCE_EXHAUSTED"
            << "exceeded your current quota";
        QTest::newRow("gemini per-day quota")
            << G << 429 << "gemini/error_429_per_day.json"
            << "" << E::ProviderQuota << false << 11000 << "RESOURCE_EXHAUSTED"
            << "exceeded your current quota";
        QTest::newRow("gemini billing, no RetryInfo")
            << G << 429 << "gemini/error_429_billing.json"
            << "" << E::ProviderQuota << false << -1 << "RESOURCE_EXHAUSTED"
            << "billing details";
        QTest::newRow("gemini plain 429")
            << G << 429 << "gemini/error_429_plain.json"
            << "" << E::ProviderRateLimited << true << -1 << "RESOURCE_EXHAUSTED"
            << "Resource has been exhausted";
        QTest::newRow("gemini 500") << G << 500 << "gemini/error_500_internal.json"
                                    << "" << E::ProviderUnavailable << true << -1 << "INTERNAL"
                                    << "internal error";
        QTest::newRow("gemini 503") << G << 503 << "gemini/error_503_unavailable.json"
                                    << "" << E::ProviderUnavailable << true << -1 << "UNAVAILABLE"
                                    << "The model is overloaded";
        QTest::newRow("gemini 504")
            << G << 504 << "gemini/error_504_deadline.json"
            << "" << E::ProviderUnavailable << true << -1 << "DEADLINE_EXCEEDED"
            << "Deadline expired";

        QTest::newRow("openai bad key") << O << 401 << "openai/error_401_invalid_api_key.json"
                                        << "" << E::ProviderAuth << false << -1 << "invalid_api_key"
                                        << "Incorrect API key provided";
        QTest::newRow("openai rate limit, delay in message")
            << O << 429 << "openai/error_429_rate_limit.json"
            << "x-request-id: req_1" << E::ProviderRateLimited << true << 348
            << "rate_limit_exceeded"
            << "Rate limit reached";
        QTest::newRow("openai rate limit, Retry-After")
            << O << 429 << "openai/error_429_rate_limit.json"
            << "Retry-After: 2" << E::ProviderRateLimited << true << 2000 << "rate_limit_exceeded"
            << "Rate limit reached";
        QTest::newRow("openai rate limit, retry-after-ms wins")
            << O << 429 << "openai/error_429_rate_limit.json"
            << "retry-after: 2|retry-after-ms: 1500" << E::ProviderRateLimited << true << 1500
            << "rate_limit_exceeded"
            << "Rate limit reached";
        QTest::newRow("openai insufficient quota")
            << O << 429 << "openai/error_429_insufficient_quota.json"
            << "" << E::ProviderQuota << false << -1 << "insufficient_quota"
            << "exceeded your current quota";
        QTest::newRow("openai context too long")
            << O << 400 << "openai/error_400_context_length.json"
            << "" << E::Usage << false << -1 << "context_length_exceeded"
            << "maximum context length";
        QTest::newRow("openai unknown model")
            << O << 404 << "openai/error_404_model_not_found.json"
            << "" << E::ProviderNotFound << false << -1 << "model_not_found"
            << "gpt-9-turbo";
        QTest::newRow("openai 500") << O << 500 << "openai/error_500_server_error.json"
                                    << "" << E::ProviderUnavailable << true << -1 << "server_error"
                                    << "The server had an error";
        QTest::newRow("openai 503 with Retry-After")
            << O << 503 << "openai/error_503_overloaded.json"
            << "retry-after: 10" << E::ProviderUnavailable << true << 10000 << "server_error"
            << "overloaded";

        QTest::newRow("azure bad key") << Z << 401 << "azure/error_401.json"
                                       << "" << E::ProviderAuth << false << -1 << "401"
                                       << "Access denied due to invalid subscription key";
        QTest::newRow("azure unknown deployment")
            << Z << 404 << "azure/error_404_deployment.json"
            << "" << E::ProviderNotFound << false << -1 << "DeploymentNotFound"
            << "deployment for this resource does not exist";
        QTest::newRow("azure prompt filtered")
            << Z << 400 << "azure/error_400_content_filter.json"
            << "" << E::ContentFiltered << false << -1 << "content_filter"
            << "jailbreak, violence (medium)";
        QTest::newRow("azure 429 with Retry-After")
            << Z << 429 << "azure/error_429.json"
            << "Retry-After: 7" << E::ProviderRateLimited << true << 7000 << "429"
            << "exceeded token rate limit";
        QTest::newRow("azure 429, delay in message")
            << Z << 429 << "azure/error_429.json"
            << "" << E::ProviderRateLimited << true << 6000 << "429"
            << "Please retry after 6 seconds";
        QTest::newRow("azure quota") << Z << 403 << "azure/error_403_quota.json"
                                     << "" << E::ProviderQuota << false << -1 << "403"
                                     << "Out of call volume quota";

        QTest::newRow("ollama unknown model")
            << C << 404 << "compatible/error_404_ollama.json"
            << "" << E::ProviderNotFound << false << -1 << "api_error"
            << "try pulling it first";
        QTest::newRow("ollama native error") << C << 404 << "compatible/error_native.json"
                                             << "" << E::ProviderNotFound << false << -1 << ""
                                             << "model 'llama9' not found";

        QTest::newRow("anthropic invalid request")
            << A << 400 << "anthropic/error_400_invalid_request.json"
            << "" << E::Usage << false << -1 << "invalid_request_error"
            << "max_tokens: 200000";
        QTest::newRow("anthropic no credit")
            << A << 400 << "anthropic/error_400_credit_balance.json"
            << "" << E::ProviderQuota << false << -1 << "invalid_request_error"
            << "credit balance is too low";
        QTest::newRow("anthropic bad key")
            << A << 401 << "anthropic/error_401.json"
            << "" << E::ProviderAuth << false << -1 << "authentication_error"
            << "invalid x-api-key";
        QTest::newRow("anthropic permission")
            << A << 403 << "anthropic/error_403.json"
            << "" << E::ProviderAuth << false << -1 << "permission_error"
            << "does not have permission";
        QTest::newRow("anthropic unknown model")
            << A << 404 << "anthropic/error_404.json"
            << "" << E::ProviderNotFound << false << -1 << "not_found_error"
            << "claude-9-opus";
        QTest::newRow("anthropic rate limit")
            << A << 429 << "anthropic/error_429.json"
            << "retry-after: 17" << E::ProviderRateLimited << true << 17000 << "rate_limit_error"
            << "exceed the rate limit";
        QTest::newRow("anthropic 500") << A << 500 << "anthropic/error_500.json"
                                       << "" << E::ProviderUnavailable << true << -1 << "api_error"
                                       << "Internal server error";
        QTest::newRow("anthropic 529 overloaded")
            << A << 529 << "anthropic/error_529.json"
            << "" << E::ProviderUnavailable << true << -1 << "overloaded_error"
            << "Overloaded";
    }

    void parseError() {
        QFETCH(ProviderType, type);
        QFETCH(int, status);
        QFETCH(QString, fixture);
        QFETCH(QString, headers);
        QFETCH(ErrorCategory, category);
        QFETCH(bool, retryable);
        QFETCH(int, retryAfterMs);
        QFETCH(QString, code);
        QFETCH(QString, words);
        const ProviderFailure f = createProviderAdapter(type)->parseError(
            status, readFixture(fixture), parseHeaders(headers));
        QCOMPARE_CATEGORY(f.category, category);
        QCOMPARE(f.retryable, retryable);
        QCOMPARE(f.retryAfterMs, retryAfterMs);
        QCOMPARE(f.httpStatus, status);
        QCOMPARE(f.providerCode, code);
        QVERIFY2(f.message.contains(words), qPrintable(f.message));
        verifyWellFormed(f);
    }

    void unreadableErrorBodies() {
        const QByteArray page = readFixture(QStringLiteral("common/html_502.html"));
        for (ProviderType type : allProviderTypes()) {
            const ProviderFailure f = createProviderAdapter(type)->parseError(502, page, {});
            QCOMPARE_CATEGORY(f.category, ErrorCategory::ProviderUnavailable);
            QVERIFY(f.retryable);
            QCOMPARE(f.httpStatus, 502);
            QCOMPARE(f.message, QStringLiteral("the service answered with an HTML page — a proxy "
                                               "or gateway error: 502 Bad Gateway"));
            verifyWellFormed(f);
        }
        // Tags, scripts and entities stripped, short.
        const ProviderFailure login = OpenAIAdapter().parseError(
            403, readFixture(QStringLiteral("common/html_login.html")), {});
        QCOMPARE_CATEGORY(login.category, ErrorCategory::ProviderAuth);
        QVERIFY2(
            login.message.endsWith(QLatin1String(": Sign in Welcome to the \"corporate\" proxy.")),
            qPrintable(login.message));
        // A 503 page with Retry-After: the delay is kept.
        const ProviderFailure busy = AnthropicAdapter().parseError(
            503, page, parseHeaders(QStringLiteral("Retry-After: 30")));
        QCOMPARE(busy.retryAfterMs, 30000);
        // Cut JSON, plain text, nothing.
        const ProviderFailure cut = GeminiAdapter().parseError(
            500, readFixture(QStringLiteral("common/truncated.json")), {});
        QCOMPARE_CATEGORY(cut.category, ErrorCategory::ProviderUnavailable);
        QVERIFY(cut.retryable);
        QVERIFY2(cut.message.contains(QLatin1String("not the API's JSON")),
                 qPrintable(cut.message));
        const ProviderFailure text = OpenAIAdapter().parseError(401, "Unauthorized", {});
        QCOMPARE_CATEGORY(text.category, ErrorCategory::ProviderAuth);
        QVERIFY(text.message.contains(QLatin1String("Unauthorized")));
        const ProviderFailure empty = AzureOpenAIAdapter().parseError(404, QByteArray(), {});
        QCOMPARE_CATEGORY(empty.category, ErrorCategory::ProviderNotFound);
        QVERIFY(empty.message.contains(QLatin1String("empty body")));
        // An HTML page in a 200 answer is not retried: it will be the same page.
        const ProviderFailure portal = failureForUnreadableBody(200, page);
        QCOMPARE_CATEGORY(portal.category, ErrorCategory::ProviderBadResponse);
        QVERIFY(!portal.retryable);
        const ProviderFailure garbled = failureForUnreadableBody(200, "{\"choices\":[");
        QCOMPARE_CATEGORY(garbled.category, ErrorCategory::ProviderBadResponse);
        QVERIFY(garbled.retryable);
    }

    void errorsInsideStreams() {
        // The same error objects, met inside a 200 stream (no HTTP status), map the same way.
        const QJsonObject quota =
            jsonObject(readFixture(QStringLiteral("openai/error_429_insufficient_quota.json")));
        ProviderFailure f = chatCompletionsFailure(0, quota, {});
        QCOMPARE_CATEGORY(f.category, ErrorCategory::ProviderQuota);
        QVERIFY(!f.retryable);
        const QJsonObject azure429 =
            jsonObject(readFixture(QStringLiteral("azure/error_429.json")));
        f = chatCompletionsFailure(0, azure429, {});
        QCOMPARE_CATEGORY(f.category, ErrorCategory::ProviderRateLimited);
        QCOMPARE(f.httpStatus, 429); // Azure's numeric code stands for the status
        QCOMPARE(f.retryAfterMs, 6000);
        const QJsonObject g404 =
            jsonObject(readFixture(QStringLiteral("gemini/error_404_not_found.json")));
        f = GeminiAdapter::failureFromError(0, g404);
        QCOMPARE_CATEGORY(f.category, ErrorCategory::ProviderNotFound);
        QCOMPARE(f.httpStatus, 404);
        const QJsonObject a401 =
            jsonObject(readFixture(QStringLiteral("anthropic/error_401.json")));
        f = AnthropicAdapter::failureFromError(0, a401);
        QCOMPARE_CATEGORY(f.category, ErrorCategory::ProviderAuth);
        QCOMPARE(f.httpStatus, 0);
        f = AnthropicAdapter::failureFromError(
            0,
            jsonObject(
                "{\"type\":\"error\",\"error\":{\"type\":\"something_new\",\"message\":\"x\"}}"));
        QCOMPARE_CATEGORY(f.category, ErrorCategory::ProviderUnavailable);
        QVERIFY(f.retryable);
    }

    // ---- Shared helpers ----
    void statusMapping_data() {
        QTest::addColumn<int>("status");
        QTest::addColumn<ErrorCategory>("category");
        QTest::addColumn<bool>("retryable");
        using E = ErrorCategory;
        QTest::newRow("0 no answer") << 0 << E::ProviderUnavailable << true;
        QTest::newRow("302") << 302 << E::ProviderBadResponse << false;
        QTest::newRow("400") << 400 << E::Usage << false;
        QTest::newRow("401") << 401 << E::ProviderAuth << false;
        QTest::newRow("402") << 402 << E::ProviderQuota << false;
        QTest::newRow("403") << 403 << E::ProviderAuth << false;
        QTest::newRow("404") << 404 << E::ProviderNotFound << false;
        QTest::newRow("408") << 408 << E::ProviderUnavailable << true;
        QTest::newRow("409") << 409 << E::ProviderUnavailable << true;
        QTest::newRow("413") << 413 << E::Usage << false;
        QTest::newRow("422") << 422 << E::Usage << false;
        QTest::newRow("429") << 429 << E::ProviderRateLimited << true;
        QTest::newRow("500") << 500 << E::ProviderUnavailable << true;
        QTest::newRow("502") << 502 << E::ProviderUnavailable << true;
        QTest::newRow("503") << 503 << E::ProviderUnavailable << true;
        QTest::newRow("504") << 504 << E::ProviderUnavailable << true;
        QTest::newRow("529") << 529 << E::ProviderUnavailable << true;
    }

    void statusMapping() {
        QFETCH(int, status);
        QFETCH(ErrorCategory, category);
        QFETCH(bool, retryable);
        const ProviderFailure f = failureForStatus(status);
        QCOMPARE_CATEGORY(f.category, category);
        QCOMPARE(f.retryable, retryable);
        QCOMPARE(f.httpStatus, status);
        QCOMPARE(f.retryAfterMs, -1);
        QVERIFY(!f.message.isEmpty());
    }

    void retryAfterHeaders() {
        const QDateTime now(QDate(2015, 10, 21), QTime(7, 27, 0), QTimeZone::utc());
        auto at = [&now](const char* spec) {
            return retryAfterFromHeaders(parseHeaders(QString::fromLatin1(spec)), now);
        };
        QCOMPARE(at(""), -1);
        QCOMPARE(at("Retry-After: 6"), 6000);
        QCOMPARE(at("retry-after: 0"), 0);
        QCOMPARE(at("RETRY-AFTER: 1.5"), 1500);
        QCOMPARE(at("retry-after-ms: 250"), 250);
        QCOMPARE(at("retry-after: 9|retry-after-ms: 250"), 250);
        QCOMPARE(at("Retry-After: Wed, 21 Oct 2015 07:28:00 GMT"), 60000);
        QCOMPARE(at("Retry-After: Wed, 21 Oct 2015 07:00:00 GMT"), 0); // in the past
        QCOMPARE(at("Retry-After: soon"), -1);
        QCOMPARE(at("Retry-After: 99999999"), 24 * 3600 * 1000); // capped at a day
        QCOMPARE(at("x-ratelimit-reset-requests: 1s"), -1);
        QVERIFY(retryAfterFromHeaders(parseHeaders(QStringLiteral("Retry-After: 3"))) == 3000);
    }

    void retryAfterMessages() {
        QCOMPARE(retryAfterFromMessage(QStringLiteral("Please retry after 6 seconds.")), 6000);
        QCOMPARE(retryAfterFromMessage(QStringLiteral("Please retry after 1 second.")), 1000);
        QCOMPARE(retryAfterFromMessage(QStringLiteral("Please try again in 348ms. Visit")), 348);
        QCOMPARE(retryAfterFromMessage(QStringLiteral("Please try again in 1.5s.")), 1500);
        QCOMPARE(retryAfterFromMessage(QStringLiteral("Please retry in 43.507209823s.")), 43507);
        QCOMPARE(retryAfterFromMessage(QStringLiteral("Please retry later.")), -1);
        QCOMPARE(retryAfterFromMessage(QStringLiteral("go to https://aka.ms/oai/quotaincrease")),
                 -1);
    }
};

QTEST_GUILESS_MAIN(TestProviderAdapters)
#include "tst_provideradapters.moc"
