// StudioSettings: the typed settings over CONFIG/settings.ini (group "studio"), in a temporary
// OMEGA_CONFIG_DIR: defaults equal the agents' defaults, a round trip keeps every field, each
// bad input gets its own message, garbage in the file loads as the defaults, and the values
// reach the agents' option structs.
#include "DependencyAgent.h"
#include "HealingPipeline.h"
#include "Paths.h"
#include "ProviderSettings.h"
#include "RenderOptions.h"
#include "StudioSettings.h"
#include "TestSupport.h"

#include <QFile>
#include <QSettings>
#include <QtTest>

#include <limits>
#include <unistd.h>

using namespace omega;

class TestStudioSettings : public QObject {
    Q_OBJECT

private:
    static void writeIni(const QByteArray& text) {
        paths::ensureDir(paths::configDir());
        QFile file(ProviderSettings::settingsFile());
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(text);
    }

    // The one message for `field`, checking that it is the only problem.
    static QString onlyProblem(const StudioSettings& settings, const QString& field) {
        const QList<SettingsProblem> problems = settings.problems();
        if (problems.size() != 1 || problems.first().field != field)
            return QStringLiteral("<expected one problem in %1, got: %2>")
                .arg(field, settings.validate().join(QStringLiteral(" | ")));
        return problems.first().message;
    }

private Q_SLOTS:
    void defaultsAreTheAgentsDefaults() {
        test::IsolatedEnvironment env;
        const StudioSettings settings = StudioSettings::load(); // no file at all
        QVERIFY(!QFile::exists(ProviderSettings::settingsFile()));
        QVERIFY2(settings.validate().isEmpty(),
                 qPrintable(settings.validate().join(QLatin1Char('\n'))));
        QCOMPARE(settings.backend, QStringLiteral("auto"));
        QCOMPARE(settings.mediaRoot, QString());

        const RenderOptions renderDefaults;
        RenderOptions render;
        render.memoryLimitMb = 1;
        render.maxProcesses = 1;
        render.cpuTimeLimitSec = 1;
        render.timeoutSec = 1;
        settings.applyTo(&render);
        QCOMPARE(render.memoryLimitMb, renderDefaults.memoryLimitMb);
        QCOMPARE(render.maxProcesses, renderDefaults.maxProcesses);
        QCOMPARE(render.cpuTimeLimitSec, renderDefaults.cpuTimeLimitSec);
        QCOMPARE(render.timeoutSec, renderDefaults.timeoutSec);

        const HealingOptions healingDefaults;
        HealingOptions healing;
        healing.maxAttempts = healing.maxTokens = healing.maxWallTimeSec = 1;
        healing.installPolicy.allowListed = true;
        settings.applyTo(&healing);
        QCOMPARE(healing.maxAttempts, healingDefaults.maxAttempts);
        QCOMPARE(healing.maxTokens, healingDefaults.maxTokens);
        QCOMPARE(healing.maxWallTimeSec, healingDefaults.maxWallTimeSec);
        QCOMPARE(healing.installPolicy.allowListed, healingDefaults.installPolicy.allowListed);

        const ProviderConfig providerDefaults;
        ProviderConfig provider;
        provider.connectTimeoutMs = provider.idleTimeoutMs = 1;
        settings.applyTo(&provider);
        QCOMPARE(provider.connectTimeoutMs, providerDefaults.connectTimeoutMs);
        QCOMPARE(provider.idleTimeoutMs, providerDefaults.idleTimeoutMs);

        QCOMPARE(paths::mediaRootDir(), QDir(paths::dataDir()).filePath(QStringLiteral("media")));
    }

    void roundTripKeepsEveryField() {
        test::IsolatedEnvironment env;
        // The providers share the file: saving the studio group must not lose them.
        ProviderConfig provider =
            defaultProviderConfig(ProviderType::Anthropic, QStringLiteral("claude"));
        QVERIFY(ProviderSettings::save({provider}));

        StudioSettings changed;
        changed.backend = QStringLiteral("docker");
        changed.containerEngine = QStringLiteral("podman");
        changed.containerImage = QStringLiteral("ghcr.io/example/manim-render:0.22.0");
        changed.memoryLimitMb = 2048;
        changed.maxProcesses = 200;
        changed.cpuTimeLimitSec = 120;
        changed.containerCpus = 1.5;
        changed.containerIdleMin = 0;
        changed.renderTimeoutSec = 300;
        changed.defaultQuality = QStringLiteral("h");
        changed.renderOnOpen = false;
        changed.aiConnectTimeoutSec = 12;
        changed.aiIdleTimeoutSec = 45;
        changed.maxAttempts = 5;
        changed.maxTokens = 20000;
        changed.maxWallTimeSec = 600;
        changed.extraAllowedPackages = {QStringLiteral("colour"), QStringLiteral("Py_YAML")};
        changed.askBeforeInstall = false;
        changed.mediaRoot = QDir(env.workDir()).filePath(QStringLiteral("media-here"));
        QVERIFY2(changed.validate().isEmpty(),
                 qPrintable(changed.validate().join(QLatin1Char('\n'))));
        QVERIFY(changed != StudioSettings());

        QString error;
        QVERIFY2(changed.save(&error), qPrintable(error));
        const StudioSettings loaded = StudioSettings::load();
        QVERIFY(loaded == changed);
        QCOMPARE(loaded.extraAllowedPackages, changed.extraAllowedPackages);
        QCOMPARE(loaded.containerCpus, 1.5);
        QCOMPARE(loaded.mediaRoot, changed.mediaRoot);

        const QList<ProviderConfig> providers = ProviderSettings::load();
        QCOMPARE(providers.size(), 1);
        QCOMPARE(providers.first().name, QStringLiteral("claude"));

        // Saving the providers again keeps the studio group.
        QVERIFY(ProviderSettings::save({}));
        QVERIFY(StudioSettings::load() == changed);

        // A single allowed package survives the ini list format too.
        changed.extraAllowedPackages = {QStringLiteral("colour")};
        QVERIFY(changed.save());
        QCOMPARE(StudioSettings::load().extraAllowedPackages,
                 QStringList{QStringLiteral("colour")});
        changed.extraAllowedPackages.clear();
        QVERIFY(changed.save());
        QCOMPARE(StudioSettings::load().extraAllowedPackages, QStringList());
    }

    void saveReportsAnUnwritableFile() {
        test::IsolatedEnvironment env;
        if (::geteuid() == 0)
            QSKIP("root writes read-only files");
        const QString config = QDir(env.workDir()).filePath(QStringLiteral("locked"));
        QVERIFY(QDir().mkpath(config));
        QVERIFY(QFile::setPermissions(config, QFile::ReadOwner | QFile::ExeOwner));
        qputenv("OMEGA_CONFIG_DIR", config.toUtf8());
        QString error;
        QVERIFY(!StudioSettings().save(&error));
        QVERIFY2(error.contains(QStringLiteral("settings.ini")), qPrintable(error));
        QFile::setPermissions(config, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }

    void eachBadInputHasItsMessage_data() {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("message");
        QTest::newRow("memory low")
            << QStringLiteral("memoryLimitMb") << QStringLiteral("64")
            << QStringLiteral("Memory limit: 64 MB is too small; use at least 512 MB.");
        QTest::newRow("memory high")
            << QStringLiteral("memoryLimitMb") << QStringLiteral("2000000")
            << QStringLiteral("Memory limit: 2000000 MB is too large; use at most "
                              "1048576 MB.");
        QTest::newRow("processes")
            << QStringLiteral("maxProcesses") << QStringLiteral("4")
            << QStringLiteral(
                   "Process limit: 4 processes is too small; use at least 16 processes.");
        QTest::newRow("cpu") << QStringLiteral("cpuTimeLimitSec") << QStringLiteral("1")
                             << QStringLiteral(
                                    "CPU time limit: 1 s is too small; use at least 10 s.");
        QTest::newRow("idle")
            << QStringLiteral("containerIdleMin") << QStringLiteral("-1")
            << QStringLiteral("Container idle time: -1 min is too small; use at least 0 min.");
        QTest::newRow("render timeout")
            << QStringLiteral("renderTimeoutSec") << QStringLiteral("5")
            << QStringLiteral("Render timeout: 5 s is too small; use at least 10 s.");
        QTest::newRow("connect") << QStringLiteral("aiConnectTimeoutSec") << QStringLiteral("0")
                                 << QStringLiteral(
                                        "AI connect timeout: 0 s is too small; use at least 1 s.");
        QTest::newRow("ai idle")
            << QStringLiteral("aiIdleTimeoutSec") << QStringLiteral("7200")
            << QStringLiteral("AI idle timeout: 7200 s is too large; use at most 3600 s.");
        QTest::newRow("attempts") << QStringLiteral("maxAttempts") << QStringLiteral("0")
                                  << QStringLiteral(
                                         "Healing attempts: 0 is too small; use at least 1.");
        QTest::newRow("tokens")
            << QStringLiteral("maxTokens") << QStringLiteral("10")
            << QStringLiteral("Token cap: 10 tokens is too small; use at least 1000 tokens.");
        QTest::newRow("wall") << QStringLiteral("maxWallTimeSec") << QStringLiteral("5")
                              << QStringLiteral(
                                     "Healing time limit: 5 s is too small; use at least 30 s.");
        QTest::newRow("cpus") << QStringLiteral("containerCpus") << QStringLiteral("0.01")
                              << QStringLiteral(
                                     "Container CPUs: 0.01 is too small; use at least 0.1.");
        QTest::newRow("cpus nan") << QStringLiteral("containerCpus") << QStringLiteral("nan")
                                  << QStringLiteral(
                                         "Container CPUs: nan is too small; use at least 0.1.");
        QTest::newRow("backend")
            << QStringLiteral("backend") << QStringLiteral("chroot")
            << QStringLiteral(
                   "Render backend: \"chroot\" is not one of auto, sandbox, docker, local.");
        QTest::newRow("engine")
            << QStringLiteral("containerEngine") << QStringLiteral("lxc")
            << QStringLiteral("Container engine: \"lxc\" is not one of auto, docker, podman.");
        QTest::newRow("quality") << QStringLiteral("defaultQuality") << QStringLiteral("x")
                                 << QStringLiteral(
                                        "Default quality: \"x\" is not one of l, m, h, p, k.");
        QTest::newRow("image")
            << QStringLiteral("containerImage") << QStringLiteral("Bad Image!")
            << QStringLiteral("Container image: \"Bad Image!\" is not an image name; use the form "
                              "registry/name:tag (for example "
                              "docker.io/manimcommunity/manim:v0.19.0), or leave "
                              "it empty for the default.");
        QTest::newRow("package")
            << QStringLiteral("extraAllowedPackages") << QStringLiteral("numpy>=1.0")
            << QStringLiteral(
                   "Allowed packages: \"numpy>=1.0\" is not a PyPI package name (letters, digits, "
                   "'.', '_' and '-', one name per line, no versions).");
        QTest::newRow("media relative")
            << QStringLiteral("mediaRoot") << QStringLiteral("media/here")
            << QStringLiteral("Media folder: \"media/here\" is not an absolute path; choose a "
                              "folder with Browse.");
    }

    void eachBadInputHasItsMessage() {
        QFETCH(QString, field);
        QFETCH(QString, value);
        QFETCH(QString, message);
        StudioSettings settings;
        bool handled = true;
        if (field == QLatin1String("memoryLimitMb"))
            settings.memoryLimitMb = value.toInt();
        else if (field == QLatin1String("maxProcesses"))
            settings.maxProcesses = value.toInt();
        else if (field == QLatin1String("cpuTimeLimitSec"))
            settings.cpuTimeLimitSec = value.toInt();
        else if (field == QLatin1String("containerIdleMin"))
            settings.containerIdleMin = value.toInt();
        else if (field == QLatin1String("renderTimeoutSec"))
            settings.renderTimeoutSec = value.toInt();
        else if (field == QLatin1String("aiConnectTimeoutSec"))
            settings.aiConnectTimeoutSec = value.toInt();
        else if (field == QLatin1String("aiIdleTimeoutSec"))
            settings.aiIdleTimeoutSec = value.toInt();
        else if (field == QLatin1String("maxAttempts"))
            settings.maxAttempts = value.toInt();
        else if (field == QLatin1String("maxTokens"))
            settings.maxTokens = value.toInt();
        else if (field == QLatin1String("maxWallTimeSec"))
            settings.maxWallTimeSec = value.toInt();
        else if (field == QLatin1String("containerCpus"))
            settings.containerCpus = value == QLatin1String("nan")
                                         ? std::numeric_limits<double>::quiet_NaN()
                                         : value.toDouble();
        else if (field == QLatin1String("backend"))
            settings.backend = value;
        else if (field == QLatin1String("containerEngine"))
            settings.containerEngine = value;
        else if (field == QLatin1String("defaultQuality"))
            settings.defaultQuality = value;
        else if (field == QLatin1String("containerImage"))
            settings.containerImage = value;
        else if (field == QLatin1String("extraAllowedPackages"))
            settings.extraAllowedPackages = {QStringLiteral("numpy"), value};
        else if (field == QLatin1String("mediaRoot"))
            settings.mediaRoot = value;
        else
            handled = false;
        QVERIFY2(handled, qPrintable(field));
        QCOMPARE(onlyProblem(settings, field), message);
        QCOMPARE(settings.validate(), QStringList{message});
    }

    void boundsAreAccepted() {
        StudioSettings settings;
        settings.memoryLimitMb = 512;
        settings.containerIdleMin = 0;
        settings.maxAttempts = 20;
        settings.containerCpus = 0.1;
        settings.containerImage = QStringLiteral("manimcommunity/manim:v0.19.0");
        QVERIFY2(settings.validate().isEmpty(),
                 qPrintable(settings.validate().join(QLatin1Char('\n'))));
        settings.containerImage =
            QStringLiteral("localhost:5000/omega/render@sha256:"
                           "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        QVERIFY2(settings.validate().isEmpty(),
                 qPrintable(settings.validate().join(QLatin1Char('\n'))));
    }

    void mediaFolderMustBeWritable() {
        test::IsolatedEnvironment env;
        StudioSettings settings;
        // Does not exist yet but can be created.
        settings.mediaRoot = QDir(env.workDir()).filePath(QStringLiteral("new/media"));
        QVERIFY2(settings.validate().isEmpty(),
                 qPrintable(settings.validate().join(QLatin1Char('\n'))));
        QVERIFY(!QFileInfo::exists(settings.mediaRoot)); // validation creates nothing

        const QString file = QDir(env.workDir()).filePath(QStringLiteral("a-file"));
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        settings.mediaRoot = file;
        QCOMPARE(onlyProblem(settings, QStringLiteral("mediaRoot")),
                 QStringLiteral("Media folder: %1 is a file, not a folder.").arg(file));

        if (::geteuid() != 0) {
            const QString locked = QDir(env.workDir()).filePath(QStringLiteral("locked"));
            QVERIFY(QDir().mkpath(locked));
            QVERIFY(QFile::setPermissions(locked, QFile::ReadOwner | QFile::ExeOwner));
            settings.mediaRoot = locked;
            QCOMPARE(onlyProblem(settings, QStringLiteral("mediaRoot")),
                     QStringLiteral("Media folder: %1 is not writable; choose a folder you can "
                                    "write to.")
                         .arg(locked));
            settings.mediaRoot = locked + QStringLiteral("/inside");
            QVERIFY(onlyProblem(settings, QStringLiteral("mediaRoot"))
                        .contains(QStringLiteral("cannot be created")));
            QFile::setPermissions(locked, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        }
    }

    void garbageInTheFileLoadsAsDefaults() {
        test::IsolatedEnvironment env;
        writeIni("[studio]\n"
                 "backend=chroot\n"
                 "containerEngine=\n"
                 "containerImage=Not An Image\n"
                 "memoryLimitMb=lots\n"
                 "maxProcesses=-5\n"
                 "cpuTimeLimitSec=99999999999999999999\n"
                 "containerCpus=fast\n"
                 "containerIdleMin=1e3\n"
                 "renderTimeoutSec=\n"
                 "defaultQuality=ultra\n"
                 "renderOnOpen=perhaps\n"
                 "aiConnectTimeoutSec=0x10\n"
                 "aiIdleTimeoutSec=@Variant(\\0\\0\\0\\x7f\\0\\0\\0\\x10)\n"
                 "maxAttempts=3.5\n"
                 "maxTokens=\"\"\n"
                 "maxWallTimeSec=@Invalid()\n"
                 "extraAllowedPackages=colour, numpy>=2, --index-url=http://evil, \"a b\"\n"
                 "askBeforeInstall=2\n"
                 "mediaRoot=relative/path\n"
                 "unknownKey=whatever\n"
                 "[providers]\n"
                 "size=garbage\n");
        const StudioSettings loaded = StudioSettings::load();
        StudioSettings expected;
        expected.extraAllowedPackages = {QStringLiteral("colour")}; // the one valid name
        QCOMPARE(loaded.validate(), QStringList());
        QCOMPARE(loaded.backend, expected.backend);
        QCOMPARE(loaded.memoryLimitMb, expected.memoryLimitMb);
        QCOMPARE(loaded.containerCpus, expected.containerCpus);
        QCOMPARE(loaded.extraAllowedPackages, expected.extraAllowedPackages);
        QVERIFY(loaded == expected);

        // Not an ini file at all.
        writeIni(QByteArray("\x00\x01\xff\xfe[[[=\n==\n[studio\nmemoryLimitMb\n", 30));
        QVERIFY(StudioSettings::load() == StudioSettings());
    }

    void valuesReachTheAgents() {
        test::IsolatedEnvironment env;
        StudioSettings settings;
        settings.memoryLimitMb = 1024;
        settings.renderTimeoutSec = 42;
        settings.defaultQuality = QStringLiteral("m");
        settings.maxAttempts = 7;
        settings.aiConnectTimeoutSec = 9;
        settings.askBeforeInstall = false;
        settings.extraAllowedPackages = {QStringLiteral("Colour_Science"), QStringLiteral("pip")};

        RenderOptions render;
        settings.applyTo(&render);
        QCOMPARE(render.memoryLimitMb, 1024);
        QCOMPARE(render.timeoutSec, 42);
        QCOMPARE(qualityName(render.quality), QStringLiteral("m"));

        HealingOptions healing;
        settings.applyTo(&healing);
        QCOMPARE(healing.maxAttempts, 7);
        QVERIFY(healing.installPolicy.allowListed);

        ProviderConfig provider;
        settings.applyTo(&provider);
        QCOMPARE(provider.connectTimeoutMs, 9000);

        QString rulesError;
        DependencyRules rules = DependencyRules::load(&rulesError);
        QVERIFY2(rulesError.isEmpty(), qPrintable(rulesError));
        QVERIFY(!rules.isAllowed(QStringLiteral("colour-science")));
        QVERIFY(rules.isDenied(QStringLiteral("pip")));
        settings.applyTo(&rules);
        QVERIFY(rules.isAllowed(QStringLiteral("colour-science")));
        // A denied package stays denied and never becomes allowed.
        QVERIFY(rules.isDenied(QStringLiteral("pip")));
        QVERIFY(!rules.allowed.contains(QStringLiteral("pip")));

        settings.mediaRoot = QDir(env.workDir()).filePath(QStringLiteral("m"));
        paths::setMediaRootOverride(settings.mediaRoot);
        QCOMPARE(paths::mediaRootDir(), settings.mediaRoot);
        paths::setMediaRootOverride(QString());
        QCOMPARE(paths::mediaRootDir(), QDir(paths::dataDir()).filePath(QStringLiteral("media")));
    }
};

QTEST_GUILESS_MAIN(TestStudioSettings)
#include "tst_studiosettings.moc"
