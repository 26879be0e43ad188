// `omega generate`, `omega providers` and `omega keys` end to end: the built `omega` against the
// fake provider server run as its own process (omega-fake-provider), with isolated data and
// config folders. Ends with the secret test: a distinctive key used by every command, and a
// search for it in everything the commands leave behind.
#include "AiTestSupport.h"
#include "FakeProviderServer.h"
#include "TestSupport.h"

#include <QRandomGenerator>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

using namespace omega;
using omega::aitest::ProcessRun;

namespace {

const QString kSecret = QStringLiteral("sk-omega-SECRET-1234567890abcdef");

QString randomToken() {
    return QString::number(QRandomGenerator::global()->generate64(), 36);
}

QString fakeBinary() {
    return QStringLiteral(OMEGA_BIN_DIR "/omega-fake-provider");
}

QString expectedScript() {
    return aitest::pythonBlock(FakeProviderServer::defaultAnswer());
}

bool haveSessionBus() {
    return !qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS");
}

} // namespace

class TestCliAi : public QObject {
    Q_OBJECT

private:
    aitest::FakeProviderProcess fake_;
    std::unique_ptr<test::IsolatedEnvironment> env_;
    QList<ProcessRun> runs_; // every run of the current test (the secret test reads them all)
    bool secretInArguments_ = false;

    QString base() const { return fake_.baseUrl().toString(QUrl::StripTrailingSlash); }
    QString work(const QString& name) const { return QDir(env_->workDir()).filePath(name); }

    // The child's environment: isolated folders, no provider keys, no proxies.
    QProcessEnvironment environment(const QHash<QString, QString>& extra = {}) const {
        QProcessEnvironment env = env_->processEnvironment();
        for (const QString& name : aitest::keyVariables())
            env.remove(name);
        for (const char* name : {"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                                 "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"})
            env.remove(QString::fromLatin1(name));
        for (auto it = extra.cbegin(); it != extra.cend(); ++it)
            env.insert(it.key(), it.value());
        return env;
    }

    ProcessRun omega(const QStringList& args, const QProcessEnvironment& env,
                     const QByteArray& input = {}, int timeoutMs = 120000) {
        for (const QString& arg : args) {
            if (arg.contains(kSecret))
                secretInArguments_ = true;
        }
        ProcessRun run =
            aitest::runProcess(test::omegaBinary(), args, env, input, timeoutMs, env_->workDir());
        runs_ << run;
        return run;
    }

    // generate arguments for a provider flavour on the fake.
    QStringList providerArgs(const aitest::ProviderCase& c) const {
        const QString endpoint = aitest::endpointFor(c.type, fake_.baseUrl());
        QStringList args{QStringLiteral("--provider"), providerTypeName(c.type),
                         QStringLiteral("--endpoint"), endpoint};
        switch (c.type) {
        case ProviderType::AzureOpenAI:
            args << QStringLiteral("--deployment") << QStringLiteral("gpt-test-deployment")
                 << QStringLiteral("--api-version")
                 << (c.azureV1 ? QString() : QStringLiteral("2024-10-21"));
            break;
        case ProviderType::Gemini:
            args << QStringLiteral("--model") << QStringLiteral("gemini-test");
            break;
        default:
            args << QStringLiteral("--model") << QStringLiteral("test-model");
            break;
        }
        return args;
    }

    QStringList generateArgs(const aitest::ProviderCase& c, const QStringList& more = {}) const {
        return QStringList{QStringLiteral("generate"),
                           QStringLiteral("a circle morphing into a square")} +
               providerArgs(c) + more;
    }

    // The key for a provider flavour, in its environment variable (none for a local server,
    // which the fake then accepts without a key).
    QHash<QString, QString> keyEnv(const aitest::ProviderCase& c, const QString& key) const {
        if (c.type == ProviderType::OpenAICompatible)
            return {};
        return {{keyEnvironmentVariable(c.type), key}};
    }

    QString addProvider(const QString& name, const aitest::ProviderCase& c) {
        QStringList args{QStringLiteral("providers"), QStringLiteral("add"), name,
                         QStringLiteral("--type"), providerTypeName(c.type)};
        args += providerArgs(c).mid(2); // without --provider
        args << QStringLiteral("--json");
        const ProcessRun run = omega(args, environment());
        return run.exitCode == 0 ? QString() : QString::fromUtf8(run.describe());
    }

    // generate --render of a scene that records what it sees, in a file of this test (the
    // local backend can write there) and in its working folder, the job folder (kept with
    // OMEGA_KEEP_JOBS: a sandboxed render can write nowhere else). Neither may hold the key.
    void renderProbe(const QProcessEnvironment& env, const QStringList& backend) {
        const QByteArray secret = kSecret.toUtf8();
        const aitest::ProviderCase openai = aitest::providerCase(QStringLiteral("openai"));
        const QString dump = work(QStringLiteral("render-sees.json"));
        const QString probe =
            QStringLiteral(
                "Here is the scene.\n\n```python\n"
                "from manim import *\n"
                "import json, os, sys\n\n\n"
                "class EnvProbe(Scene):\n"
                "    def construct(self):\n"
                "        info = {\"environ\": dict(os.environ), \"argv\": sys.argv}\n"
                "        try:\n"
                "            with open(\"/proc/%d/cmdline\" % os.getppid(), \"rb\") as f:\n"
                "                info[\"parent_cmdline\"] = f.read().decode(\"utf-8\", "
                "\"replace\")\n"
                "        except OSError as e:\n"
                "            info[\"parent_error\"] = str(e)\n"
                "        for path in (%1, \"render-sees.json\"):\n"
                "            try:\n"
                "                with open(path, \"w\") as f:\n"
                "                    json.dump(info, f)\n"
                "            except OSError:\n"
                "                pass\n"
                "        self.add(Dot())\n"
                "        self.wait(0.2)\n"
                "```\n")
                .arg(QString::fromUtf8(
                         QJsonDocument(QJsonArray{dump}).toJson(QJsonDocument::Compact))
                         .mid(1)
                         .chopped(1));
        QVERIFY(fake_.setAnswer(probe));
        QProcessEnvironment keepJobs = env;
        keepJobs.insert(QStringLiteral("OMEGA_KEEP_JOBS"), QStringLiteral("1"));
        QFile::remove(dump);
        const ProcessRun rendered =
            omega(generateArgs(openai,
                               QStringList{QStringLiteral("--render"), QStringLiteral("--quality"),
                                           QStringLiteral("l"), QStringLiteral("--verbose"),
                                           QStringLiteral("--json")} +
                                   backend),
                  keepJobs, {}, 300000);
        QVERIFY2(rendered.exitCode == 0, rendered.describe().constData());
        QStringList seenFiles;
        if (QFileInfo::exists(dump))
            seenFiles << dump;
        const QString jobId = rendered.json()
                                  .value(QLatin1String("render"))
                                  .toObject()
                                  .value(QLatin1String("job_id"))
                                  .toString();
        QDirIterator jobs(QDir(env_->dataDir()).filePath(QStringLiteral("jobs")),
                          {QStringLiteral("render-sees.json")}, QDir::Files,
                          QDirIterator::Subdirectories);
        while (jobs.hasNext()) {
            const QString path = jobs.next();
            if (!jobId.isEmpty() && path.contains(jobId))
                seenFiles << path;
        }
        QVERIFY2(!seenFiles.isEmpty(),
                 ("the probe scene left no record; " + rendered.describe()).constData());
        for (const QString& path : std::as_const(seenFiles)) {
            const QByteArray seen = test::readFile(path);
            const QJsonObject seenObject = QJsonDocument::fromJson(seen).object();
            QVERIFY2(seenObject.contains(QLatin1String("environ")), qPrintable(path));
            QVERIFY2(!seen.contains(secret),
                     qPrintable(QStringLiteral("the render saw the key (%1)").arg(path)));
            const QJsonObject seenEnv = seenObject.value(QLatin1String("environ")).toObject();
            QVERIFY(!seenEnv.contains(QLatin1String("OPENAI_API_KEY")));
            QVERIFY(!seenEnv.contains(QLatin1String("ANTHROPIC_API_KEY")));
        }
    }

    // The key in none of the runs' output or arguments, the files under DATA and CONFIG, the
    // request URLs.
    void verifySecretNowhere() {
        const QByteArray secret = kSecret.toUtf8();
        QVERIFY2(!secretInArguments_, "the test itself passed the key as an argument");
        for (const ProcessRun& run : std::as_const(runs_)) {
            QVERIFY2(!run.out.contains(secret), run.describe().constData());
            QVERIFY2(!run.err.contains(secret), run.describe().constData());
            QVERIFY(!run.arguments.join(QLatin1Char(' ')).contains(kSecret));
        }
        const QString log = QDir(env_->dataDir()).filePath(QStringLiteral("logs/omega.log"));
        QVERIFY2(test::isNonEmptyFile(log), qPrintable(log));
        QVERIFY(test::readFile(log).contains("secret-openai"));
        QVERIFY(aitest::countFiles(env_->dataDir()) > 1);
        QCOMPARE(aitest::filesContaining(env_->dataDir(), secret), QStringList());
        QCOMPARE(aitest::filesContaining(env_->configDir(), secret), QStringList());
        // Not even a prefix long enough to be useful.
        QCOMPARE(aitest::filesContaining(env_->dataDir(), secret.left(20)), QStringList());
        const QJsonArray requests = fake_.requests();
        QVERIFY(requests.size() >= 8);
        for (const QJsonValue& value : requests) {
            const QJsonObject r = value.toObject();
            const QString url = r.value(QLatin1String("path")).toString() + QLatin1Char('?') +
                                r.value(QLatin1String("query")).toString();
            QVERIFY2(!url.contains(kSecret), qPrintable(url));
        }
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFileInfo(test::omegaBinary()).isExecutable(), qPrintable(test::omegaBinary()));
        QVERIFY2(fake_.start(fakeBinary()), qPrintable(fakeBinary()));
    }

    void init() {
        env_ = std::make_unique<test::IsolatedEnvironment>();
        QVERIFY(env_->isValid());
        // Like a user's data folder, not a private temporary one: a sandboxed render that runs
        // as another user (root → nobody) must be able to reach its job folder.
        for (const QString& dir : {env_->dataDir(), env_->configDir(), env_->workDir()})
            QFile::setPermissions(dir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner |
                                           QFile::ReadGroup | QFile::ExeGroup | QFile::ReadOther |
                                           QFile::ExeOther);
        QVERIFY(fake_.reset());
        QVERIFY(fake_.setExpectedKey(aitest::kTestKey));
        runs_.clear();
        secretInArguments_ = false;
    }

    void cleanup() { env_.reset(); }

    // ---- generate ----

    void generateEachProvider_data() {
        QTest::addColumn<QString>("provider");
        for (const aitest::ProviderCase& c : aitest::providerCases())
            QTest::newRow(qPrintable(c.id)) << c.id;
    }
    void generateEachProvider() {
        QFETCH(QString, provider);
        const aitest::ProviderCase c = aitest::providerCase(provider);
        if (c.type == ProviderType::OpenAICompatible)
            QVERIFY(fake_.setExpectedKey(QString()));
        const QProcessEnvironment env = environment(keyEnv(c, aitest::kTestKey));

        // Plain: the script on stdout, nothing else.
        const ProcessRun plain = omega(generateArgs(c), env);
        QVERIFY2(plain.finishedInTime && plain.exitCode == 0, plain.describe().constData());
        QCOMPARE(QString::fromUtf8(plain.out), expectedScript());

        // --output and --json.
        const QString output = work(QStringLiteral("out/scene.py"));
        const ProcessRun json = omega(
            generateArgs(c, {QStringLiteral("--output"), output, QStringLiteral("--json")}), env);
        QVERIFY2(json.exitCode == 0, json.describe().constData());
        QCOMPARE(QString::fromUtf8(test::readFile(output)), expectedScript());
        const QJsonObject o = json.json();
        QVERIFY2(!o.isEmpty(), json.describe().constData());
        QCOMPARE(o.value(QLatin1String("status")).toString(), QStringLiteral("ok"));
        QCOMPARE(o.value(QLatin1String("script_path")).toString(), output);
        QCOMPARE(o.value(QLatin1String("scenes")).toArray(),
                 QJsonArray{QStringLiteral("CircleToSquare")});
        QCOMPARE(o.value(QLatin1String("provider")).toString(), providerTypeName(c.type));
        QVERIFY(!o.value(QLatin1String("model")).toString().isEmpty());
        const QJsonObject usage = o.value(QLatin1String("usage")).toObject();
        QVERIFY2(usage.value(QLatin1String("input")).toInt() > 0 &&
                     usage.value(QLatin1String("output")).toInt() > 0,
                 json.describe().constData());
        QVERIFY(!o.contains(QLatin1String("error")));
        QCOMPARE(o.value(QLatin1String("requests")).toInt(), 1);

        // Both requests carried the key in the provider's header, none in the URL.
        const QJsonArray requests = fake_.requests();
        QCOMPARE(requests.size(), 2);
        for (const QJsonValue& value : requests) {
            const QJsonObject r = value.toObject();
            QCOMPARE(r.value(QLatin1String("status")).toInt(), 200);
            const QString path = r.value(QLatin1String("path")).toString();
            if (c.type == ProviderType::AzureOpenAI)
                QCOMPARE(path, c.azureV1 ? QStringLiteral("/openai/v1/chat/completions")
                                         : QStringLiteral("/openai/deployments/"
                                                          "gpt-test-deployment/chat/completions"));
            else if (c.type == ProviderType::Gemini)
                QCOMPARE(path, QStringLiteral("/v1beta/models/gemini-test:streamGenerateContent"));
            QVERIFY(!r.value(QLatin1String("keyInQuery")).toBool());
            QVERIFY(!r.value(QLatin1String("query")).toString().contains(aitest::kTestKey));
            if (c.type != ProviderType::OpenAICompatible)
                QCOMPARE(r.value(QLatin1String("headers"))
                             .toObject()
                             .value(QString::fromLatin1(aitest::keyHeaderName(c.type)))
                             .toString()
                             .toUtf8(),
                         aitest::keyHeaderValue(c.type, aitest::kTestKey));
        }
    }

    void generateJsonWithoutOutput() {
        const aitest::ProviderCase c = aitest::providerCase(QStringLiteral("anthropic"));
        const ProcessRun run = omega(generateArgs(c, {QStringLiteral("--json")}),
                                     environment(keyEnv(c, aitest::kTestKey)));
        QVERIFY2(run.exitCode == 0, run.describe().constData());
        QCOMPARE(run.json().value(QLatin1String("script")).toString(), expectedScript());
        QCOMPARE(run.json().value(QLatin1String("script_path")).toString(), QString());
    }

    void generateFailures_data() {
        QTest::addColumn<QString>("provider");
        QTest::addColumn<QStringList>("scenarios");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("category");
        const QString openai = QStringLiteral("openai");
        QTest::newRow("bad key") << openai << QStringList{QStringLiteral("bad-key")} << 4
                                 << QStringLiteral("auth");
        QTest::newRow("not found")
            << QStringLiteral("gemini") << QStringList{QStringLiteral("not-found")} << 4
            << QStringLiteral("not-found");
        QTest::newRow("quota") << openai << QStringList{QStringLiteral("quota")} << 4
                               << QStringLiteral("quota");
        QTest::newRow("prompt blocked (azure)")
            << QStringLiteral("azure-classic") << QStringList{QStringLiteral("prompt-blocked")} << 4
            << QStringLiteral("filtered");
        QTest::newRow("prompt blocked (openai)")
            << openai << QStringList{QStringLiteral("prompt-blocked")} << 4
            << QStringLiteral("filtered");
        QTest::newRow("output blocked")
            << QStringLiteral("anthropic") << QStringList{QStringLiteral("output-blocked")} << 4
            << QStringLiteral("filtered");
        const QString u = QStringLiteral("unavailable");
        QTest::newRow("unavailable")
            << openai << QStringList{u, u, u} << 4 << QStringLiteral("provider-unavailable");
        QTest::newRow("truncated") << openai << QStringList{QStringLiteral("truncated")} << 1
                                   << QStringLiteral("truncated");
        QTest::newRow("no code") << QStringLiteral("gemini")
                                 << QStringList{QStringLiteral("no-code")} << 1
                                 << QStringLiteral("no-code");
    }
    void generateFailures() {
        QFETCH(QString, provider);
        QFETCH(QStringList, scenarios);
        QFETCH(int, exitCode);
        QFETCH(QString, category);
        QVERIFY(fake_.setScenarios(scenarios));
        const aitest::ProviderCase c = aitest::providerCase(provider);
        const QString output = work(QStringLiteral("never.py"));
        const ProcessRun run =
            omega(generateArgs(c, {QStringLiteral("--json"), QStringLiteral("--output"), output}),
                  environment(keyEnv(c, aitest::kTestKey)));
        QVERIFY2(run.finishedInTime, run.describe().constData());
        QVERIFY2(run.exitCode == exitCode, run.describe().constData());
        QCOMPARE(run.errorCategory(), category);
        QCOMPARE(run.json().value(QLatin1String("status")).toString(), QStringLiteral("failed"));
        QVERIFY(!run.error().value(QLatin1String("message")).toString().isEmpty());
        QVERIFY(!run.error().value(QLatin1String("hint")).toString().isEmpty());
        QVERIFY2(!QFileInfo::exists(output), "no script is written for a failed generation");
        if (category == QLatin1String("truncated") || category == QLatin1String("no-code"))
            QVERIFY(!run.json().value(QLatin1String("raw_text")).toString().isEmpty());

        // Without --json: the category and the message on stderr, nothing on stdout.
        QVERIFY(fake_.setScenarios(scenarios));
        const ProcessRun human = omega(generateArgs(c), environment(keyEnv(c, aitest::kTestKey)));
        QCOMPARE(human.exitCode, exitCode);
        QVERIFY2(human.out.isEmpty(), human.describe().constData());
        QVERIFY2(human.err.contains(category.toUtf8()), human.describe().constData());
    }

    void unknownProviderIsUsage() {
        const ProcessRun run = omega({QStringLiteral("generate"), QStringLiteral("a circle"),
                                      QStringLiteral("--provider"), QStringLiteral("skynet"),
                                      QStringLiteral("--json")},
                                     environment());
        QVERIFY2(run.exitCode == 2, run.describe().constData());
        QCOMPARE(run.errorCategory(), QStringLiteral("usage"));
        QVERIFY(run.error()
                    .value(QLatin1String("message"))
                    .toString()
                    .contains(QLatin1String("skynet")));
        QCOMPARE(fake_.requests().size(), 0);
    }

    // No provider configured and none named: a provider error with a hint.
    void noProviderConfigured() {
        const ProcessRun run = omega(
            {QStringLiteral("generate"), QStringLiteral("a circle"), QStringLiteral("--json")},
            environment());
        QVERIFY2(run.exitCode == 4, run.describe().constData());
        QCOMPARE(run.errorCategory(), QStringLiteral("no-provider"));
        QVERIFY(!run.error().value(QLatin1String("hint")).toString().isEmpty());
    }

    // Plain http to another machine is refused before any connection: every connection the
    // child makes goes through a proxy this test listens on, and it sees none. The same run
    // with https does reach the proxy (so the check can see a connection when there is one).
    void plainHttpToRemoteHostIsRefused() {
        QTcpServer proxy;
        QVERIFY(proxy.listen(QHostAddress::LocalHost));
        int connections = 0;
        QByteArray firstBytes;
        connect(&proxy, &QTcpServer::newConnection, this, [&] {
            while (QTcpSocket* socket = proxy.nextPendingConnection()) {
                ++connections;
                connect(socket, &QTcpSocket::readyRead, socket, [&firstBytes, socket] {
                    firstBytes += socket->readAll();
                    socket->abort();
                });
            }
        });
        const QString proxyUrl = QStringLiteral("http://127.0.0.1:%1").arg(proxy.serverPort());
        const QProcessEnvironment env =
            environment({{QStringLiteral("OPENAI_API_KEY"), aitest::kTestKey},
                         {QStringLiteral("http_proxy"), proxyUrl},
                         {QStringLiteral("https_proxy"), proxyUrl}});
        const QStringList args{QStringLiteral("generate"),   QStringLiteral("a circle"),
                               QStringLiteral("--provider"), QStringLiteral("openai"),
                               QStringLiteral("--endpoint"), QStringLiteral("http://10.1.2.3/v1"),
                               QStringLiteral("--json")};
        const ProcessRun refused = omega(args, env);
        QVERIFY2(refused.exitCode == 2, refused.describe().constData());
        QCOMPARE(refused.errorCategory(), QStringLiteral("usage"));
        QVERIFY2(refused.error()
                     .value(QLatin1String("message"))
                     .toString()
                     .contains(QLatin1String("plain http")),
                 refused.describe().constData());
        QCOMPARE(connections, 0);

        // Also for a configured provider (providers add refuses to save it).
        const ProcessRun add =
            omega({QStringLiteral("providers"), QStringLiteral("add"), QStringLiteral("remote"),
                   QStringLiteral("--type"), QStringLiteral("openai-compatible"),
                   QStringLiteral("--endpoint"), QStringLiteral("http://10.1.2.3/v1")},
                  env);
        QVERIFY2(add.exitCode == 2, add.describe().constData());
        QVERIFY(
            !QFileInfo::exists(QDir(env_->configDir()).filePath(QStringLiteral("settings.ini"))) ||
            !test::readFile(QDir(env_->configDir()).filePath(QStringLiteral("settings.ini")))
                 .contains("10.1.2.3"));
        QCOMPARE(connections, 0);

        // The control: https to the same address goes out (through the proxy).
        QStringList https = args;
        https[https.indexOf(QStringLiteral("http://10.1.2.3/v1"))] =
            QStringLiteral("https://10.1.2.3/v1");
        https << QStringLiteral("--request-timeout") << QStringLiteral("2");
        const ProcessRun control = omega(https, env);
        QVERIFY2(control.exitCode == 4, control.describe().constData());
        QVERIFY2(connections > 0, control.describe().constData());
        QVERIFY2(firstBytes.startsWith("CONNECT 10.1.2.3:443"), firstBytes.constData());
    }

    // ---- providers ----

    void providersRoundTrip() {
        const aitest::ProviderCase c = aitest::providerCase(QStringLiteral("openai"));
        const QString added = addProvider(QStringLiteral("myopenai"), c);
        QVERIFY2(added.isEmpty(), qPrintable(added));
        const ProcessRun second =
            omega({QStringLiteral("providers"), QStringLiteral("add"), QStringLiteral("mygemini"),
                   QStringLiteral("--type"), QStringLiteral("gemini"), QStringLiteral("--endpoint"),
                   base(), QStringLiteral("--model"), QStringLiteral("gemini-test"),
                   QStringLiteral("--priority"), QStringLiteral("5")},
                  environment());
        QVERIFY2(second.exitCode == 0, second.describe().constData());

        const QHash<QString, QString> key{{QStringLiteral("OPENAI_API_KEY"), kSecret}};
        const ProcessRun list =
            omega({QStringLiteral("providers"), QStringLiteral("list"), QStringLiteral("--json")},
                  environment(key));
        QVERIFY2(list.exitCode == 0, list.describe().constData());
        const QJsonArray providers = list.json().value(QLatin1String("providers")).toArray();
        QCOMPARE(providers.size(), 2);
        QHash<QString, QJsonObject> byName;
        for (const QJsonValue& p : providers)
            byName.insert(p.toObject().value(QLatin1String("name")).toString(), p.toObject());
        QVERIFY(byName.contains(QStringLiteral("myopenai")) &&
                byName.contains(QStringLiteral("mygemini")));
        QCOMPARE(byName.value(QStringLiteral("myopenai")).value(QLatin1String("type")).toString(),
                 QStringLiteral("openai"));
        QCOMPARE(
            byName.value(QStringLiteral("myopenai")).value(QLatin1String("endpoint")).toString(),
            aitest::endpointFor(ProviderType::OpenAI, fake_.baseUrl()));
        QCOMPARE(byName.value(QStringLiteral("mygemini")).value(QLatin1String("priority")).toInt(),
                 5);
        QCOMPARE(byName.value(QStringLiteral("myopenai")).value(QLatin1String("has_key")).toBool(),
                 true);
        QCOMPARE(byName.value(QStringLiteral("mygemini")).value(QLatin1String("has_key")).toBool(),
                 false);

        // Human-readable list.
        const ProcessRun human =
            omega({QStringLiteral("providers"), QStringLiteral("list")}, environment(key));
        QVERIFY2(human.exitCode == 0 && human.out.contains("myopenai") &&
                     human.out.contains("mygemini"),
                 human.describe().constData());

        // Generate without --provider: the configured ones by priority (mygemini, 5, has no
        // key and is skipped; myopenai answers).
        const ProcessRun generated = omega(
            {QStringLiteral("generate"), QStringLiteral("a circle"), QStringLiteral("--json")},
            environment({{QStringLiteral("OPENAI_API_KEY"), aitest::kTestKey}}));
        QVERIFY2(generated.exitCode == 0, generated.describe().constData());
        QCOMPARE(generated.json().value(QLatin1String("provider")).toString(),
                 QStringLiteral("myopenai"));

        const QString settings = QDir(env_->configDir()).filePath(QStringLiteral("settings.ini"));
        QVERIFY2(test::readFile(settings).contains("myopenai"), qPrintable(settings));
        QVERIFY(aitest::filesContaining(env_->configDir(), kSecret.toUtf8()).isEmpty());
        QVERIFY(aitest::filesContaining(env_->configDir(), aitest::kTestKey.toUtf8()).isEmpty());

        const ProcessRun removed = omega({QStringLiteral("providers"), QStringLiteral("remove"),
                                          QStringLiteral("myopenai"), QStringLiteral("--json")},
                                         environment());
        QVERIFY2(removed.exitCode == 0, removed.describe().constData());
        const ProcessRun after =
            omega({QStringLiteral("providers"), QStringLiteral("list"), QStringLiteral("--json")},
                  environment());
        const QJsonArray left = after.json().value(QLatin1String("providers")).toArray();
        QCOMPARE(left.size(), 1);
        QCOMPARE(left.first().toObject().value(QLatin1String("name")).toString(),
                 QStringLiteral("mygemini"));
        const ProcessRun again = omega(
            {QStringLiteral("providers"), QStringLiteral("remove"), QStringLiteral("myopenai")},
            environment());
        QCOMPARE(again.exitCode, 2);
    }

    void providersTest_data() {
        QTest::addColumn<QString>("provider");
        for (const char* id : {"gemini", "azure-classic", "openai", "anthropic"})
            QTest::newRow(id) << QString::fromLatin1(id);
    }
    void providersTest() {
        QFETCH(QString, provider);
        const aitest::ProviderCase c = aitest::providerCase(provider);
        const QString name = QStringLiteral("t-") + provider;
        const QString added = addProvider(name, c);
        QVERIFY2(added.isEmpty(), qPrintable(added));
        const ProcessRun ok = omega({QStringLiteral("providers"), QStringLiteral("test"), name},
                                    environment(keyEnv(c, aitest::kTestKey)));
        QVERIFY2(ok.exitCode == 0 && ok.out.contains("OK"), ok.describe().constData());
        QCOMPARE(fake_.requests().size(), 1);

        const ProcessRun bad = omega(
            {QStringLiteral("providers"), QStringLiteral("test"), name, QStringLiteral("--json")},
            environment(keyEnv(c, QStringLiteral("wrong-key-0123456789"))));
        QVERIFY2(bad.exitCode == 4, bad.describe().constData());
        QCOMPARE(bad.errorCategory(), QStringLiteral("auth"));
        QVERIFY(!bad.error().value(QLatin1String("hint")).toString().isEmpty());

        // Azure's test is a one-word chat on the deployment: an unknown deployment is named.
        if (c.type == ProviderType::AzureOpenAI) {
            QVERIFY(fake_.setConfig({{QStringLiteral("knownModels"),
                                      QJsonArray{QStringLiteral("another-deployment")}}}));
            const ProcessRun notFound = omega({QStringLiteral("providers"), QStringLiteral("test"),
                                               name, QStringLiteral("--json")},
                                              environment(keyEnv(c, aitest::kTestKey)));
            QVERIFY2(notFound.exitCode == 4, notFound.describe().constData());
            QCOMPARE(notFound.errorCategory(), QStringLiteral("not-found"));
        }
    }

    // ---- keys ----

    void keysSetThenGenerate() {
        if (!haveSessionBus())
            QSKIP("DBUS_SESSION_BUS_ADDRESS is not set: no keychain (run under "
                  "scripts/test-session.sh, as scripts/test.sh does).");
        const QString name = QStringLiteral("kc-") + randomToken();
        const QString key = QStringLiteral("sk-keychain-") + randomToken() + randomToken();
        const aitest::ProviderCase c = aitest::providerCase(QStringLiteral("gemini"));
        const QString added = addProvider(name, c);
        QVERIFY2(added.isEmpty(), qPrintable(added));
        QVERIFY(fake_.setExpectedKey(key));

        const ProcessRun set = omega({QStringLiteral("keys"), QStringLiteral("set"), name},
                                     environment(), key.toUtf8() + '\n');
        QVERIFY2(set.exitCode == 0, set.describe().constData());
        QVERIFY(!set.out.contains(key.toUtf8()) && !set.err.contains(key.toUtf8()));

        const ProcessRun list =
            omega({QStringLiteral("providers"), QStringLiteral("list"), QStringLiteral("--json")},
                  environment());
        QCOMPARE(list.json()
                     .value(QLatin1String("providers"))
                     .toArray()
                     .first()
                     .toObject()
                     .value(QLatin1String("has_key"))
                     .toBool(),
                 true);

        const ProcessRun generated =
            omega({QStringLiteral("generate"), QStringLiteral("a circle"),
                   QStringLiteral("--provider"), name, QStringLiteral("--json")},
                  environment());
        QVERIFY2(generated.exitCode == 0, generated.describe().constData());
        QCOMPARE(generated.json().value(QLatin1String("notes")).toArray().size(), 0);
        const QJsonArray requests = fake_.requests();
        QCOMPARE(requests.size(), 1);
        QCOMPARE(requests.first()
                     .toObject()
                     .value(QLatin1String("headers"))
                     .toObject()
                     .value(QLatin1String("x-goog-api-key"))
                     .toString(),
                 key);
        QVERIFY(aitest::filesContaining(env_->configDir(), key.toUtf8()).isEmpty());
        QVERIFY(aitest::filesContaining(env_->dataDir(), key.toUtf8()).isEmpty());

        const ProcessRun deleted =
            omega({QStringLiteral("keys"), QStringLiteral("delete"), name}, environment());
        QVERIFY2(deleted.exitCode == 0, deleted.describe().constData());
        const ProcessRun without =
            omega({QStringLiteral("generate"), QStringLiteral("a circle"),
                   QStringLiteral("--provider"), name, QStringLiteral("--json")},
                  environment());
        QVERIFY2(without.exitCode == 4, without.describe().constData());
        QCOMPARE(without.errorCategory(), QStringLiteral("no-provider"));
        QCOMPARE(fake_.requests().size(), 1);
    }

    void keysUsage() {
        const ProcessRun noKey =
            omega({QStringLiteral("keys"), QStringLiteral("set"), QStringLiteral("x")},
                  environment(), QByteArray());
        QCOMPARE(noKey.exitCode, 2);
        const ProcessRun onCommandLine =
            omega({QStringLiteral("keys"), QStringLiteral("set"), QStringLiteral("x"),
                   QStringLiteral("sk-on-the-command-line")},
                  environment());
        QCOMPARE(onCommandLine.exitCode, 2);
        QVERIFY(onCommandLine.err.contains("stdin"));
    }

    // ---- render ----

    void generateAndRender() {
        const aitest::ProviderCase c = aitest::providerCase(QStringLiteral("openai"));
        const QString video = work(QStringLiteral("video/circle.mp4"));
        const ProcessRun run =
            omega(generateArgs(c, {QStringLiteral("--render"), QStringLiteral("--quality"),
                                   QStringLiteral("l"), QStringLiteral("--video-output"), video,
                                   QStringLiteral("--json")}),
                  environment(keyEnv(c, aitest::kTestKey)), {}, 300000);
        QVERIFY2(run.finishedInTime && run.exitCode == 0, run.describe().constData());
        const QJsonObject o = run.json();
        QCOMPARE(o.value(QLatin1String("status")).toString(), QStringLiteral("ok"));
        const QString scriptPath = o.value(QLatin1String("script_path")).toString();
        QVERIFY2(scriptPath.startsWith(env_->dataDir()), qPrintable(scriptPath));
        QCOMPARE(QString::fromUtf8(test::readFile(scriptPath)), expectedScript());
        const QJsonObject render = o.value(QLatin1String("render")).toObject();
        QCOMPARE(render.value(QLatin1String("status")).toString(), QStringLiteral("ok"));
        const QJsonArray outputs = render.value(QLatin1String("outputs")).toArray();
        QCOMPARE(outputs.size(), 1);
        QCOMPARE(outputs.first().toObject().value(QLatin1String("scene")).toString(),
                 QStringLiteral("CircleToSquare"));
        const QString path = outputs.first().toObject().value(QLatin1String("path")).toString();
        QVERIFY2(test::isNonEmptyFile(path), qPrintable(path));
        QVERIFY2(test::isNonEmptyFile(video), qPrintable(video));
        QCOMPARE(test::videoSize(video), QSize(854, 480));
    }

    // ---- The secret test ----

    // One distinctive key, used by generate (streamed, --verbose), providers test, a bad-key
    // run, the keychain path and a render whose scene records its own environment, argv and
    // its parent's command line. The key must appear in none of what they leave: stdout,
    // stderr, the log file, settings, any file under DATA and CONFIG, the request URLs, the
    // render's environment, any process's arguments.
    void secretNeverLeaks() {
        const QByteArray secret = kSecret.toUtf8();
        const aitest::ProviderCase openai = aitest::providerCase(QStringLiteral("openai"));
        const aitest::ProviderCase anthropic = aitest::providerCase(QStringLiteral("anthropic"));
        QVERIFY(fake_.setExpectedKey(kSecret));
        const QProcessEnvironment env =
            environment({{QStringLiteral("OPENAI_API_KEY"), kSecret},
                         {QStringLiteral("ANTHROPIC_API_KEY"), kSecret}});

        // 1. generate, streamed, with the log on stderr.
        const ProcessRun generated =
            omega(generateArgs(openai, {QStringLiteral("--verbose")}), env);
        QVERIFY2(generated.exitCode == 0, generated.describe().constData());
        QVERIFY2(generated.err.contains("request 1"), generated.describe().constData());
        const ProcessRun generatedJson = omega(
            generateArgs(anthropic, {QStringLiteral("--verbose"), QStringLiteral("--json")}), env);
        QVERIFY2(generatedJson.exitCode == 0, generatedJson.describe().constData());

        // 2. providers add + test.
        QVERIFY(addProvider(QStringLiteral("secret-openai"), openai).isEmpty());
        const ProcessRun tested =
            omega({QStringLiteral("providers"), QStringLiteral("test"),
                   QStringLiteral("secret-openai"), QStringLiteral("--verbose")},
                  env);
        QVERIFY2(tested.exitCode == 0, tested.describe().constData());

        // 3. The service rejects the key (OpenAI echoes it, masked, in its error).
        QVERIFY(fake_.setExpectedKey(QStringLiteral("some-other-key-0000")));
        for (const aitest::ProviderCase& c : {openai, anthropic}) {
            const ProcessRun rejected = omega(
                generateArgs(c, {QStringLiteral("--verbose"), QStringLiteral("--json")}), env);
            QVERIFY2(rejected.exitCode == 4, rejected.describe().constData());
            QCOMPARE(rejected.errorCategory(), QStringLiteral("auth"));
            const ProcessRun rejectedHuman =
                omega(generateArgs(c, {QStringLiteral("--verbose")}), env);
            QCOMPARE(rejectedHuman.exitCode, 4);
        }
        const ProcessRun testRejected = omega(
            {QStringLiteral("providers"), QStringLiteral("test"), QStringLiteral("secret-openai"),
             QStringLiteral("--verbose"), QStringLiteral("--json")},
            env);
        QCOMPARE(testRejected.exitCode, 4);
        QVERIFY(fake_.setExpectedKey(kSecret));

        // 4. Through the keychain, when there is one.
        if (haveSessionBus()) {
            const QString name = QStringLiteral("secret-kc-") + randomToken();
            QVERIFY(addProvider(name, anthropic).isEmpty());
            const ProcessRun set = omega({QStringLiteral("keys"), QStringLiteral("set"), name},
                                         environment(), secret + '\n');
            QVERIFY2(set.exitCode == 0, set.describe().constData());
            const ProcessRun viaKeychain =
                omega({QStringLiteral("generate"), QStringLiteral("a circle"),
                       QStringLiteral("--provider"), name, QStringLiteral("--verbose")},
                      environment());
            QVERIFY2(viaKeychain.exitCode == 0, viaKeychain.describe().constData());
            QVERIFY(omega({QStringLiteral("keys"), QStringLiteral("delete"), name}, environment())
                        .exitCode == 0);
        } else {
            qWarning("no session bus: the keychain part of the secret test is skipped");
        }

        // 5. Renders whose scene writes down what it can see: its environment, its arguments
        // and its parent's command line. The local backend first (the script runs with this
        // user's environment, minus secrets), then everything is searched; then the default
        // backend (a sandbox where bubblewrap works), and the search again.
        renderProbe(env, {QStringLiteral("--backend"), QStringLiteral("local")});
        if (QTest::currentTestFailed())
            return;
        verifySecretNowhere();
        if (QTest::currentTestFailed())
            return;
        renderProbe(env, {});
        if (QTest::currentTestFailed())
            return;
        verifySecretNowhere();
    }
};

QTEST_GUILESS_MAIN(TestCliAi)
#include "tst_cli_ai.moc"
