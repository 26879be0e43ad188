// KeyStore with a real Secret Service (gnome-keyring on a private session bus: run under
// scripts/test-session.sh, as scripts/test.sh does): store → lookup → remove, the environment
// fallback, and — in a child `omega` whose session bus points nowhere — the key taken from the
// environment with a note that the keychain was not reachable.
#include "AiTestSupport.h"
#include "FakeProviderServer.h"
#include "KeyStore.h"
#include "Redactor.h"
#include "TestSupport.h"

#include <QRandomGenerator>
#include <QSignalSpy>
#include <QtTest>

using namespace omega;

namespace {

QString randomToken() {
    return QString::number(QRandomGenerator::global()->generate64(), 36);
}

// Saves and restores one environment variable.
class EnvGuard {
public:
    explicit EnvGuard(const char* name)
        : name_(name)
        , had_(qEnvironmentVariableIsSet(name))
        , old_(qgetenv(name)) {}
    ~EnvGuard() {
        if (had_)
            qputenv(name_, old_);
        else
            qunsetenv(name_);
    }
    EnvGuard(const EnvGuard&) = delete;
    EnvGuard& operator=(const EnvGuard&) = delete;

private:
    const char* name_;
    bool had_;
    QByteArray old_;
};

} // namespace

class TestKeyStore : public QObject {
    Q_OBJECT

private:
    QStringList created_; // keychain entries to remove at the end

    static bool haveSessionBus() {
        return !qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS");
    }

    KeyLookup lookup(const ProviderConfig& provider) {
        KeyStore store;
        QSignalSpy spy(&store, &KeyStore::looked);
        store.lookup(provider);
        if (spy.isEmpty() && !spy.wait(20000))
            return {};
        return spy.first().first().value<KeyLookup>();
    }

    QPair<bool, QString> store(const QString& provider, const QString& key) {
        KeyStore ks;
        QSignalSpy spy(&ks, &KeyStore::stored);
        ks.store(provider, key);
        if (spy.isEmpty() && !spy.wait(20000))
            return {false, QStringLiteral("no answer from the keychain")};
        created_ << provider;
        return {spy.first().at(1).toBool(), spy.first().at(2).toString()};
    }

    QPair<bool, QString> remove(const QString& provider) {
        KeyStore ks;
        QSignalSpy spy(&ks, &KeyStore::removed);
        ks.remove(provider);
        if (spy.isEmpty() && !spy.wait(20000))
            return {false, QStringLiteral("no answer from the keychain")};
        return {spy.first().at(1).toBool(), spy.first().at(2).toString()};
    }

    // A child `omega` with isolated folders, no provider keys in its environment, and the
    // session bus pointing nowhere.
    QProcessEnvironment noKeychainEnvironment(const test::IsolatedEnvironment& isolated) const {
        QProcessEnvironment env = isolated.processEnvironment();
        for (const QString& name : aitest::keyVariables())
            env.remove(name);
        env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"),
                   QStringLiteral("unix:path=/nonexistent"));
        return env;
    }

private Q_SLOTS:
    void initTestCase() {
        qRegisterMetaType<omega::KeyLookup>();
        QVERIFY2(QFileInfo(test::omegaBinary()).isExecutable(), qPrintable(test::omegaBinary()));
    }

    void cleanupTestCase() {
        if (!haveSessionBus())
            return;
        for (const QString& name : std::as_const(created_))
            remove(name);
    }

    void roundTrip() {
        if (!haveSessionBus())
            QSKIP("DBUS_SESSION_BUS_ADDRESS is not set: no Secret Service to talk to. Run the "
                  "tests under scripts/test-session.sh (scripts/test.sh does), which starts a "
                  "private session bus with an unlocked gnome-keyring.");
        EnvGuard guard("OPENAI_API_KEY");
        qunsetenv("OPENAI_API_KEY");
        ProviderConfig provider = defaultProviderConfig(
            ProviderType::OpenAI, QStringLiteral("omega-test-") + randomToken());
        const QString key = QStringLiteral("sk-keystore-") + randomToken() + randomToken();

        // Nothing yet.
        KeyLookup before = lookup(provider);
        QCOMPARE(before.provider, provider.name);
        QVERIFY2(before.key.isEmpty(), qPrintable(before.note));
        QVERIFY(before.source == KeySource::None);

        const auto [stored, storedMessage] = store(provider.name, key);
        QVERIFY2(stored, qPrintable(storedMessage));
        QVERIFY(!storedMessage.contains(key));

        const KeyLookup found = lookup(provider);
        QCOMPARE(found.key, key);
        QVERIFY(found.source == KeySource::Keychain);
        QVERIFY2(found.note.isEmpty(), qPrintable(found.note));
        // A found key is a secret: redacted everywhere from now on.
        QVERIFY(!redact(QStringLiteral("header: ") + key).contains(key));

        // The keychain wins over the environment.
        qputenv("OPENAI_API_KEY", "sk-from-the-environment-123456");
        const KeyLookup stillKeychain = lookup(provider);
        QCOMPARE(stillKeychain.key, key);
        QVERIFY(stillKeychain.source == KeySource::Keychain);
        qunsetenv("OPENAI_API_KEY");

        // Overwrite.
        const QString newKey = key + QStringLiteral("-v2");
        QVERIFY(store(provider.name, newKey).first);
        QCOMPARE(lookup(provider).key, newKey);

        const auto [removed, removedMessage] = remove(provider.name);
        QVERIFY2(removed, qPrintable(removedMessage));
        const KeyLookup gone = lookup(provider);
        QVERIFY2(gone.key.isEmpty(), qPrintable(gone.key));
        QVERIFY(gone.source == KeySource::None);

        // Removing what is not there is not an error.
        QVERIFY(remove(provider.name).first);

        // Not in the keychain, but in the environment: the environment, and the note says so.
        qputenv("OPENAI_API_KEY", "sk-from-the-environment-123456");
        const KeyLookup fromEnv = lookup(provider);
        QCOMPARE(fromEnv.key, QStringLiteral("sk-from-the-environment-123456"));
        QVERIFY(fromEnv.source == KeySource::Environment);
        QVERIFY2(fromEnv.note.contains(QLatin1String("OPENAI_API_KEY")), qPrintable(fromEnv.note));
    }

    // Entries are per provider name: two providers of one type keep their own keys.
    void oneEntryPerProvider() {
        if (!haveSessionBus())
            QSKIP("DBUS_SESSION_BUS_ADDRESS is not set (run under scripts/test-session.sh).");
        const QString token = randomToken();
        const ProviderConfig a =
            defaultProviderConfig(ProviderType::Anthropic, QStringLiteral("omega-a-") + token);
        const ProviderConfig b =
            defaultProviderConfig(ProviderType::Anthropic, QStringLiteral("omega-b-") + token);
        QVERIFY(store(a.name, QStringLiteral("key-for-a-") + token).first);
        QVERIFY(store(b.name, QStringLiteral("key-for-b-") + token).first);
        QCOMPARE(lookup(a).key, QStringLiteral("key-for-a-") + token);
        QCOMPARE(lookup(b).key, QStringLiteral("key-for-b-") + token);
        QVERIFY(remove(a.name).first);
        QVERIFY(lookup(a).key.isEmpty());
        QCOMPARE(lookup(b).key, QStringLiteral("key-for-b-") + token);
        QVERIFY(remove(b.name).first);

        // lookupAll answers once, with every provider.
        KeyStore ks;
        QSignalSpy spy(&ks, &KeyStore::allLooked);
        ks.lookupAll({a, b});
        QVERIFY(spy.wait(20000));
        const auto all = spy.first().first().value<QHash<QString, KeyLookup>>();
        QCOMPARE(all.size(), 2);
        QVERIFY(all.contains(a.name) && all.contains(b.name));
    }

    // No reachable keychain (the session bus points nowhere): `omega providers list` sees the
    // key from the environment and says why.
    void noKeychainListUsesEnvironment() {
        test::IsolatedEnvironment isolated;
        QVERIFY(isolated.isValid());
        QProcessEnvironment env = noKeychainEnvironment(isolated);
        const aitest::ProcessRun add = aitest::runProcess(
            test::omegaBinary(),
            {QStringLiteral("providers"), QStringLiteral("add"), QStringLiteral("oa"),
             QStringLiteral("--type"), QStringLiteral("openai"), QStringLiteral("--json")},
            env);
        QVERIFY2(add.exitCode == 0, add.describe().constData());

        const QString envKey = QStringLiteral("sk-env-only-") + randomToken();
        env.insert(QStringLiteral("OPENAI_API_KEY"), envKey);
        const aitest::ProcessRun list = aitest::runProcess(
            test::omegaBinary(),
            {QStringLiteral("providers"), QStringLiteral("list"), QStringLiteral("--json")}, env,
            {}, 60000);
        QVERIFY2(list.finishedInTime && list.exitCode == 0, list.describe().constData());
        const QJsonArray providers = list.json().value(QLatin1String("providers")).toArray();
        QCOMPARE(providers.size(), 1);
        QCOMPARE(providers.first().toObject().value(QLatin1String("has_key")).toBool(), true);
        const QString notes =
            QString::fromUtf8(QJsonDocument(list.json().value(QLatin1String("notes")).toArray())
                                  .toJson(QJsonDocument::Compact));
        QVERIFY2(notes.contains(QLatin1String("not reachable")) &&
                     notes.contains(QLatin1String("OPENAI_API_KEY")),
                 list.describe().constData());
        QVERIFY(!list.out.contains(envKey.toUtf8()));
        QVERIFY(!list.err.contains(envKey.toUtf8()));

        // Without the variable: no key, and the note says where to put one.
        env.remove(QStringLiteral("OPENAI_API_KEY"));
        const aitest::ProcessRun none = aitest::runProcess(
            test::omegaBinary(),
            {QStringLiteral("providers"), QStringLiteral("list"), QStringLiteral("--json")}, env,
            {}, 60000);
        QVERIFY2(none.exitCode == 0, none.describe().constData());
        QCOMPARE(none.json()
                     .value(QLatin1String("providers"))
                     .toArray()
                     .first()
                     .toObject()
                     .value(QLatin1String("has_key"))
                     .toBool(),
                 false);
        QVERIFY2(none.out.contains("not reachable") && none.out.contains("is not set"),
                 none.describe().constData());
    }

    // And `omega generate` really sends the environment's key (the fake checks it), saying on
    // stderr that the keychain was not reachable.
    void noKeychainGenerateUsesEnvironment() {
        FakeProviderServer server;
        QVERIFY(server.listen());
        const QString envKey = QStringLiteral("sk-env-generate-") + randomToken();
        server.setExpectedKey(envKey);
        test::IsolatedEnvironment isolated;
        QProcessEnvironment env = noKeychainEnvironment(isolated);
        env.insert(QStringLiteral("OPENAI_API_KEY"), envKey);
        const aitest::ProcessRun run = aitest::runProcess(
            test::omegaBinary(),
            {QStringLiteral("generate"), QStringLiteral("a circle"), QStringLiteral("--provider"),
             QStringLiteral("openai"), QStringLiteral("--endpoint"),
             aitest::endpointFor(ProviderType::OpenAI, server.baseUrl()), QStringLiteral("--model"),
             QStringLiteral("gpt-test")},
            env, {}, 60000);
        QVERIFY2(run.finishedInTime && run.exitCode == 0, run.describe().constData());
        QVERIFY2(run.err.contains("not reachable") && run.err.contains("OPENAI_API_KEY"),
                 run.describe().constData());
        QVERIFY(run.out.contains("class CircleToSquare(Scene)"));
        QCOMPARE(server.requests().size(), 1);
        QCOMPARE(server.requests().first().header("authorization"), "Bearer " + envKey.toUtf8());
        QVERIFY(!run.out.contains(envKey.toUtf8()) && !run.err.contains(envKey.toUtf8()));
    }

    // `omega keys set` without a keychain fails clearly (exit 3) and stores nothing anywhere.
    void noKeychainKeysSetFails() {
        test::IsolatedEnvironment isolated;
        const QProcessEnvironment env = noKeychainEnvironment(isolated);
        const QByteArray key = "sk-nowhere-" + randomToken().toUtf8();
        const aitest::ProcessRun run = aitest::runProcess(
            test::omegaBinary(),
            {QStringLiteral("keys"), QStringLiteral("set"), QStringLiteral("oa")}, env, key + '\n',
            60000);
        QVERIFY2(run.finishedInTime && run.exitCode == 3, run.describe().constData());
        QVERIFY(run.err.contains("keychain"));
        QVERIFY(!run.out.contains(key) && !run.err.contains(key));
        QVERIFY(aitest::filesContaining(isolated.dataDir(), key).isEmpty());
        QVERIFY(aitest::filesContaining(isolated.configDir(), key).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestKeyStore)
#include "tst_keystore.moc"
