// The settings dialog, driven like a user would, with the real keychain (gnome-keyring on a
// private session bus: run under scripts/test-session.sh) and the fake provider server in
// this process: a settings round trip, a key typed → stored in the keychain and never shown
// again, removing it, validation that blocks OK with the right message, Test connection
// (success and a refused key), Clear cache staying inside the data folder, and a locked
// keychain explained.
#include "AiTestSupport.h"
#include "FakeProviderServer.h"
#include "KeyStore.h"
#include "Paths.h"
#include "ProviderSettings.h"
#include "SettingsDialog.h"
#include "StudioSettings.h"
#include "TestSupport.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QtTest>

#include <memory>

using omega::ui::SettingsDialog;
using namespace omega;

namespace {
constexpr int kKeychainTimeoutMs = 30000;
constexpr int kNetworkTimeoutMs = 30000;

QString randomToken() {
    return QString::number(QRandomGenerator::global()->generate64(), 36);
}

// Every piece of text the dialog shows (or holds in an edit), to prove a key is not there.
QStringList allVisibleText(const QWidget* root) {
    QStringList texts;
    for (const QLineEdit* edit : root->findChildren<QLineEdit*>())
        texts << edit->text() << edit->displayText() << edit->placeholderText() << edit->toolTip();
    for (const QLabel* label : root->findChildren<QLabel*>())
        texts << label->text() << label->toolTip();
    for (const QPlainTextEdit* edit : root->findChildren<QPlainTextEdit*>())
        texts << edit->toPlainText();
    for (const QListWidget* list : root->findChildren<QListWidget*>()) {
        for (int i = 0; i < list->count(); ++i)
            texts << list->item(i)->text() << list->item(i)->toolTip();
    }
    for (const QWidget* widget : root->findChildren<QWidget*>())
        texts << widget->toolTip() << widget->windowTitle();
    return texts;
}

void selectData(QComboBox* box, const QString& data) {
    const int index = box->findData(data);
    QVERIFY2(index >= 0, qPrintable(data));
    box->setCurrentIndex(index);
}

} // namespace

class TestSettingsDialog : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<test::IsolatedEnvironment> env_;
    FakeProviderServer server_;
    QStringList createdKeys_;

    static bool haveKeychain() { return !qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"); }

    KeyLookup lookup(const QString& name) {
        KeyStore store;
        QSignalSpy spy(&store, &KeyStore::looked);
        store.lookup(defaultProviderConfig(ProviderType::OpenAI, name));
        if (spy.isEmpty() && !spy.wait(kKeychainTimeoutMs))
            return {};
        return spy.first().first().value<KeyLookup>();
    }

    // A shown dialog whose keychain lookups have answered.
    std::unique_ptr<SettingsDialog> openDialog() {
        auto dialog = std::make_unique<SettingsDialog>();
        dialog->show();
        if (!QTest::qWaitForWindowExposed(dialog.get()))
            qWarning("the dialog was not exposed");
        (void)QTest::qWaitFor([&] { return dialog->keyStatesKnown(); }, kKeychainTimeoutMs);
        return dialog; // callers check keyStatesKnown()
    }

    // Presses OK or Apply and waits for settingsApplied (keychain writes included).
    static bool press(SettingsDialog* dialog, QPushButton* button) {
        QSignalSpy applied(dialog, &SettingsDialog::settingsApplied);
        if (!button->isEnabled()) {
            qWarning("button disabled: %s", qPrintable(dialog->messageText()));
            return false;
        }
        QTest::mouseClick(button, Qt::LeftButton);
        if (applied.isEmpty() && !applied.wait(kKeychainTimeoutMs))
            return false;
        return !dialog->isSaving();
    }

    int rowOf(SettingsDialog* dialog, const QString& name) {
        const QList<ProviderConfig> providers = dialog->currentProviders();
        for (int i = 0; i < providers.size(); ++i) {
            if (providers.at(i).name == name)
                return i;
        }
        return -1;
    }

    // Adds an OpenAI provider pointed at the fake server, with a fresh name.
    QString addFakeProvider(SettingsDialog* dialog) {
        dialog->showPage(SettingsDialog::Providers);
        dialog->addProvider(ProviderType::OpenAI);
        const QString name = QStringLiteral("omega-test-") + randomToken();
        dialog->providerNameEdit()->clear();
        QTest::keyClicks(dialog->providerNameEdit(), name);
        dialog->endpointEdit()->clear();
        QTest::keyClicks(dialog->endpointEdit(),
                         aitest::endpointFor(ProviderType::OpenAI, server_.baseUrl()));
        dialog->modelEdit()->clear();
        QTest::keyClicks(dialog->modelEdit(), QStringLiteral("gpt-test"));
        return name;
    }

private Q_SLOTS:
    void initTestCase() {
        qRegisterMetaType<omega::KeyLookup>();
        env_ = std::make_unique<test::IsolatedEnvironment>();
        QVERIFY(env_->isValid());
        for (const QString& name : aitest::keyVariables())
            qunsetenv(name.toLatin1().constData());
        QVERIFY2(server_.listen(), qPrintable(server_.errorString()));
    }

    void cleanupTestCase() {
        if (!haveKeychain())
            return;
        for (const QString& name : std::as_const(createdKeys_)) {
            KeyStore store;
            QSignalSpy spy(&store, &KeyStore::removed);
            store.remove(name);
            spy.wait(kKeychainTimeoutMs);
        }
    }

    void settingsRoundTrip() {
        auto dialog = openDialog();
        QVERIFY2(dialog->keyStatesKnown(), "the keychain did not answer");
        QSignalSpy applied(dialog.get(), &SettingsDialog::settingsApplied);
        dialog->showPage(SettingsDialog::Rendering);
        QCOMPARE(dialog->tabs()->currentIndex(), int(SettingsDialog::Rendering));
        selectData(dialog->backendBox(), QStringLiteral("docker"));
        selectData(dialog->engineBox(), QStringLiteral("podman"));
        QTest::keyClicks(dialog->imageEdit(), QStringLiteral("ghcr.io/example/render:1"));
        dialog->memorySpin()->setValue(2048);
        dialog->processesSpin()->setValue(256);
        dialog->cpuTimeSpin()->setValue(900);
        dialog->containerCpusSpin()->setValue(1.5);
        dialog->idleSpin()->setValue(3);
        dialog->renderTimeoutSpin()->setValue(120);
        selectData(dialog->qualityBox(), QStringLiteral("h"));
        dialog->renderOnOpenBox()->setChecked(false);
        dialog->showPage(SettingsDialog::Healing);
        dialog->attemptsSpin()->setValue(5);
        dialog->tokensSpin()->setValue(20000);
        dialog->wallTimeSpin()->setValue(300);
        dialog->connectTimeoutSpin()->setValue(12);
        dialog->idleTimeoutSpin()->setValue(40);
        dialog->askBeforeInstallBox()->setChecked(false);
        dialog->allowListEdit()->setPlainText(QStringLiteral("colour\n\n  pint  \n# a comment\n"));
        dialog->showPage(SettingsDialog::Folders);
        const QString media = QDir(env_->workDir()).filePath(QStringLiteral("my-media"));
        QTest::keyClicks(dialog->mediaEdit(), media);
        QVERIFY2(dialog->firstProblem().isEmpty(), qPrintable(dialog->firstProblem()));

        QVERIFY(press(dialog.get(), dialog->okButton()));
        QCOMPARE(applied.size(), 1);
        QTRY_VERIFY(!dialog->isVisible());
        QCOMPARE(dialog->result(), int(QDialog::Accepted));

        const StudioSettings saved = StudioSettings::load();
        QCOMPARE(saved.backend, QStringLiteral("docker"));
        QCOMPARE(saved.containerEngine, QStringLiteral("podman"));
        QCOMPARE(saved.containerImage, QStringLiteral("ghcr.io/example/render:1"));
        QCOMPARE(saved.memoryLimitMb, 2048);
        QCOMPARE(saved.maxProcesses, 256);
        QCOMPARE(saved.cpuTimeLimitSec, 900);
        QCOMPARE(saved.containerCpus, 1.5);
        QCOMPARE(saved.containerIdleMin, 3);
        QCOMPARE(saved.renderTimeoutSec, 120);
        QCOMPARE(saved.defaultQuality, QStringLiteral("h"));
        QCOMPARE(saved.renderOnOpen, false);
        QCOMPARE(saved.maxAttempts, 5);
        QCOMPARE(saved.maxTokens, 20000);
        QCOMPARE(saved.maxWallTimeSec, 300);
        QCOMPARE(saved.aiConnectTimeoutSec, 12);
        QCOMPARE(saved.aiIdleTimeoutSec, 40);
        QCOMPARE(saved.askBeforeInstall, false);
        QCOMPARE(saved.extraAllowedPackages,
                 (QStringList{QStringLiteral("colour"), QStringLiteral("pint")}));
        QCOMPARE(saved.mediaRoot, media);
        QCOMPARE(paths::mediaRootDir(), media); // applied at once
        QVERIFY(QFileInfo(media).isDir());

        // Reopened, the dialog shows what was saved.
        auto again = openDialog();
        QVERIFY2(again->keyStatesKnown(), "the keychain did not answer");
        QCOMPARE(again->currentSettings().backend, QStringLiteral("docker"));
        QVERIFY(again->currentSettings() == saved);
        QCOMPARE(again->memorySpin()->value(), 2048);
        QCOMPARE(again->mediaEdit()->text(), media);
        QCOMPARE(again->allowListEdit()->toPlainText(), QStringLiteral("colour\npint"));

        // Cancel leaves the file alone.
        again->memorySpin()->setValue(8192);
        again->reject();
        QCOMPARE(StudioSettings::load().memoryLimitMb, 2048);

        // Back to the defaults for the other tests.
        QVERIFY(StudioSettings().save());
        paths::setMediaRootOverride(QString());
    }

    void invalidInputBlocksOk() {
        auto dialog = openDialog();
        QVERIFY2(dialog->keyStatesKnown(), "the keychain did not answer");
        QVERIFY(dialog->okButton()->isEnabled());
        dialog->showPage(SettingsDialog::Rendering);
        dialog->memorySpin()->setValue(64);
        const QString memoryMessage =
            QStringLiteral("Memory limit: 64 MB is too small; use at least 512 MB.");
        QVERIFY(!dialog->okButton()->isEnabled());
        QVERIFY(!dialog->applyButton()->isEnabled());
        QCOMPARE(dialog->messageText(), memoryMessage);
        QCOMPARE(dialog->memorySpin()->toolTip(), memoryMessage); // the field's own hint
        QVERIFY(!dialog->memorySpin()->styleSheet().isEmpty());
        dialog->memorySpin()->setValue(1024);
        QVERIFY(dialog->okButton()->isEnabled());
        QVERIFY(dialog->memorySpin()->styleSheet().isEmpty());
        QVERIFY(dialog->messageText().isEmpty());

        dialog->showPage(SettingsDialog::Healing);
        dialog->allowListEdit()->setPlainText(QStringLiteral("numpy\nnumpy>=2\n"));
        QVERIFY(!dialog->okButton()->isEnabled());
        QVERIFY2(dialog->messageText().startsWith(
                     QStringLiteral("Allowed packages: \"numpy>=2\" is not a PyPI package name")),
                 qPrintable(dialog->messageText()));
        dialog->allowListEdit()->setPlainText(QStringLiteral("pip\n"));
        QCOMPARE(dialog->messageText(), QStringLiteral("Allowed packages: \"pip\" is on the deny "
                                                       "list and is never installed; remove it."));
        dialog->allowListEdit()->clear();
        QVERIFY(dialog->okButton()->isEnabled());

        dialog->showPage(SettingsDialog::Folders);
        QTest::keyClicks(dialog->mediaEdit(), QStringLiteral("relative/media"));
        QVERIFY(!dialog->okButton()->isEnabled());
        QCOMPARE(dialog->messageText(), QStringLiteral("Media folder: \"relative/media\" is not an "
                                                       "absolute path; choose a folder with "
                                                       "Browse."));
        dialog->mediaEdit()->clear();
        QVERIFY(dialog->okButton()->isEnabled());

        // A provider with plain http to another machine.
        const QString name = addFakeProvider(dialog.get());
        dialog->endpointEdit()->clear();
        QTest::keyClicks(dialog->endpointEdit(), QStringLiteral("http://example.com/v1"));
        QVERIFY(!dialog->okButton()->isEnabled());
        QVERIFY2(dialog->messageText().startsWith(QStringLiteral("Provider \"%1\": plain http is "
                                                                 "only allowed")
                                                      .arg(name)),
                 qPrintable(dialog->messageText()));
        QVERIFY(!dialog->endpointEdit()->styleSheet().isEmpty());
        // Test connection says why it cannot test, without a request.
        const int before = int(server_.requests().size());
        QTest::mouseClick(dialog->testButton(), Qt::LeftButton);
        QVERIFY2(dialog->testResultLabel()->text().startsWith(QStringLiteral("Cannot test:")),
                 qPrintable(dialog->testResultLabel()->text()));
        QCOMPARE(int(server_.requests().size()), before);

        // A key pasted with a line break.
        dialog->endpointEdit()->clear();
        QTest::keyClicks(dialog->endpointEdit(), QStringLiteral("https://example.com/v1"));
        QVERIFY(dialog->okButton()->isEnabled());
        dialog->keyEdit()->setText(QStringLiteral("sk-abc def"));
        QVERIFY(!dialog->okButton()->isEnabled());
        QVERIFY2(dialog->messageText().contains(QStringLiteral("spaces or line breaks")),
                 qPrintable(dialog->messageText()));

        // The Local backend shows its warning.
        dialog->showPage(SettingsDialog::Rendering);
        selectData(dialog->backendBox(), QStringLiteral("sandbox"));
        QVERIFY(dialog->localWarningLabel()->isHidden());
        selectData(dialog->backendBox(), QStringLiteral("local"));
        QVERIFY(!dialog->localWarningLabel()->isHidden());
        QVERIFY(dialog->localWarningLabel()->isVisible());

        // Nothing was saved: the dialog was never applied.
        dialog->reject();
        QVERIFY(ProviderSettings::load().isEmpty());
        QCOMPARE(StudioSettings::load().memoryLimitMb, StudioSettings().memoryLimitMb);
    }

    void keyGoesToTheKeychainAndIsNeverShown() {
        if (!haveKeychain())
            QSKIP("DBUS_SESSION_BUS_ADDRESS is not set: run under scripts/test-session.sh (a "
                  "private session bus with an unlocked gnome-keyring).");
        const QString key = QStringLiteral("sk-dialog-") + randomToken() + randomToken();
        server_.reset();
        server_.setExpectedKey(key);

        auto dialog = openDialog();
        QVERIFY2(dialog->keyStatesKnown(), "the keychain did not answer");
        const QString name = addFakeProvider(dialog.get());
        QVERIFY(dialog->keyEdit()->echoMode() == QLineEdit::Password);
        QTest::keyClicks(dialog->keyEdit(), key);
        QVERIFY2(dialog->firstProblem().isEmpty(), qPrintable(dialog->firstProblem()));

        // Test connection with the typed key, before anything is saved.
        QTest::mouseClick(dialog->testButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(
            dialog->testResultLabel()->text().startsWith(QStringLiteral("Connected")),
            kNetworkTimeoutMs);

        createdKeys_ << name;
        QVERIFY(press(dialog.get(), dialog->applyButton()));
        QVERIFY(dialog->isVisible()); // Apply keeps it open
        QCOMPARE(dialog->messageText(), QStringLiteral("Settings saved."));
        QVERIFY(dialog->keyEdit()->text().isEmpty());
        QCOMPARE(dialog->keyEdit()->placeholderText(), QStringLiteral("stored in the keychain"));
        QVERIFY(dialog->providerNameEdit()->isReadOnly()); // the keychain entry's name
        const KeyLookup stored = lookup(name);
        QCOMPARE(stored.key, key);
        QVERIFY(stored.source == KeySource::Keychain);
        // Never in the settings file.
        QVERIFY(aitest::filesContaining(env_->configDir(), key.toUtf8()).isEmpty());
        const QList<ProviderConfig> providers = ProviderSettings::load();
        QCOMPARE(providers.size(), 1);
        QCOMPARE(providers.first().name, name);
        QCOMPARE(providers.first().connectTimeoutMs, StudioSettings().aiConnectTimeoutSec * 1000);
        dialog->reject();
        dialog.reset();

        // Reopened: the key is stored, and nowhere in the dialog's text.
        auto reopened = openDialog();
        QVERIFY2(reopened->keyStatesKnown(), "the keychain did not answer");
        const int row = rowOf(reopened.get(), name);
        QVERIFY(row >= 0);
        reopened->providerList()->setCurrentRow(row);
        QCOMPARE(reopened->keyEdit()->placeholderText(), QStringLiteral("stored in the keychain"));
        QVERIFY(reopened->keyEdit()->text().isEmpty());
        QVERIFY(reopened->removeKeyButton()->isEnabled());
        for (const QString& text : allVisibleText(reopened.get()))
            QVERIFY2(!text.contains(key), qPrintable(text));

        // Test connection with the stored key (looked up, never shown).
        QTest::mouseClick(reopened->testButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(
            reopened->testResultLabel()->text().startsWith(QStringLiteral("Connected")),
            kNetworkTimeoutMs);
        const QList<RecordedRequest> requests = server_.requests();
        QVERIFY(!requests.isEmpty());
        QCOMPARE(requests.last().header("authorization"), "Bearer " + key.toUtf8());
        for (const QString& text : allVisibleText(reopened.get()))
            QVERIFY2(!text.contains(key), qPrintable(text));

        // A wrong key typed in: the refusal is reported as such.
        QTest::keyClicks(reopened->keyEdit(), QStringLiteral("sk-wrong-key-0000"));
        QTest::mouseClick(reopened->testButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(
            reopened->testResultLabel()->text().contains(QStringLiteral("The key was refused")),
            kNetworkTimeoutMs);
        QVERIFY2(reopened->testResultLabel()->text().contains(name),
                 qPrintable(reopened->testResultLabel()->text()));
        QVERIFY2(reopened->testResultLabel()->text().contains(QStringLiteral("HTTP 401")),
                 qPrintable(reopened->testResultLabel()->text()));

        // "Remove key" first forgets the typed key, then removes the stored one on Apply.
        QTest::mouseClick(reopened->removeKeyButton(), Qt::LeftButton);
        QVERIFY(reopened->keyEdit()->text().isEmpty());
        QCOMPARE(reopened->keyEdit()->placeholderText(), QStringLiteral("stored in the keychain"));
        QTest::mouseClick(reopened->removeKeyButton(), Qt::LeftButton);
        QVERIFY(reopened->keyEdit()->placeholderText().startsWith(QStringLiteral("removed")));
        QCOMPARE(lookup(name).key, key); // nothing happens before Apply
        QVERIFY(press(reopened.get(), reopened->applyButton()));
        const KeyLookup gone = lookup(name);
        QVERIFY2(gone.key.isEmpty(), qPrintable(gone.note));
        QVERIFY(gone.source == KeySource::None);
        QVERIFY(reopened->keyEdit()->placeholderText().startsWith(QStringLiteral("no key")));

        // Without a key, Test connection says so instead of sending a request.
        const int before = int(server_.requests().size());
        QTest::mouseClick(reopened->testButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(reopened->testResultLabel()->text().startsWith(
                                     QStringLiteral("No API key for %1").arg(name)),
                                 kKeychainTimeoutMs);
        QCOMPARE(int(server_.requests().size()), before);

        // Removing the provider removes its keychain entry too.
        QTest::keyClicks(reopened->keyEdit(), key);
        QVERIFY(press(reopened.get(), reopened->applyButton()));
        QCOMPARE(lookup(name).key, key);
        reopened->providerList()->setCurrentRow(rowOf(reopened.get(), name));
        QTest::mouseClick(reopened->removeProviderButton(), Qt::LeftButton);
        QCOMPARE(rowOf(reopened.get(), name), -1);
        QVERIFY(press(reopened.get(), reopened->okButton()));
        QTRY_VERIFY(!reopened->isVisible());
        QVERIFY(lookup(name).key.isEmpty());
        QVERIFY(ProviderSettings::load().isEmpty());
    }

    void providerOrderAndPresets() {
        auto dialog = openDialog();
        QVERIFY2(dialog->keyStatesKnown(), "the keychain did not answer");
        dialog->addProvider(ProviderType::Anthropic);
        dialog->addProvider(ProviderType::OpenAICompatible, true);
        const QList<ProviderConfig> added = dialog->currentProviders();
        QCOMPARE(added.size(), 2);
        QCOMPARE(added.at(1).name, QStringLiteral("local"));
        QCOMPARE(added.at(1).endpoint, QStringLiteral("http://127.0.0.1:11434/v1"));
        QCOMPARE(dialog->keyEdit()->placeholderText(),
                 QStringLiteral("none (most local servers need no key)"));
        QVERIFY(dialog->deploymentEdit()->isHidden()); // Azure only
        // The local one goes first.
        QCOMPARE(dialog->providerList()->currentRow(), 1);
        QVERIFY(dialog->moveUpButton()->isEnabled());
        QVERIFY(!dialog->moveDownButton()->isEnabled());
        QTest::mouseClick(dialog->moveUpButton(), Qt::LeftButton);
        QCOMPARE(dialog->currentProviders().first().name, QStringLiteral("local"));
        // Azure needs a deployment.
        selectData(dialog->providerTypeBox(), QStringLiteral("azure-openai"));
        QVERIFY(!dialog->deploymentEdit()->isHidden());
        QVERIFY(!dialog->okButton()->isEnabled());
        dialog->endpointEdit()->clear();
        QTest::keyClicks(dialog->endpointEdit(), QStringLiteral("https://res.openai.azure.com"));
        QVERIFY2(dialog->messageText().contains(QStringLiteral("deployment")),
                 qPrintable(dialog->messageText()));
        QTest::keyClicks(dialog->deploymentEdit(), QStringLiteral("gpt-4o"));
        QVERIFY2(dialog->okButton()->isEnabled(), qPrintable(dialog->messageText()));
        // Disabled through the list's check box.
        dialog->providerList()->item(1)->setCheckState(Qt::Unchecked);
        QVERIFY(press(dialog.get(), dialog->okButton()));

        const QList<ProviderConfig> saved = ProviderSettings::load();
        QCOMPARE(saved.size(), 2);
        QCOMPARE(saved.at(0).name, QStringLiteral("local"));
        QCOMPARE(providerTypeName(saved.at(0).type), QStringLiteral("azure-openai"));
        QCOMPARE(saved.at(0).deployment, QStringLiteral("gpt-4o"));
        QVERIFY(saved.at(0).priority < saved.at(1).priority);
        QCOMPARE(saved.at(1).enabled, false);
        QVERIFY(ProviderSettings::save({}));
    }

    void clearCacheStaysInsideTheDataFolder() {
        const QString data = paths::dataDir();
        const QString gateCache = QDir(data).filePath(QStringLiteral("cache/manim-names-x.json"));
        const QString media = QDir(data).filePath(QStringLiteral("media/scene-abc/videos/a.mp4"));
        const QString outside = QDir(env_->workDir()).filePath(QStringLiteral("keep/me.txt"));
        for (const QString& path : {gateCache, media, outside}) {
            QVERIFY(QDir().mkpath(QFileInfo(path).path()));
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(QByteArray(100000, 'x'));
        }
        // A link from the cache to a folder outside: only the link may go.
        QVERIFY(QFile::link(QFileInfo(outside).path(),
                            QDir(data).filePath(QStringLiteral("cache/link-out"))));

        auto dialog = openDialog();
        QVERIFY2(dialog->keyStatesKnown(), "the keychain did not answer");
        dialog->showPage(SettingsDialog::Folders);
        QTRY_VERIFY_WITH_TIMEOUT(
            !dialog->cacheSizeLabel()->text().startsWith(QStringLiteral("measuring")), 20000);
        QVERIFY2(dialog->cacheSizeLabel()->text().startsWith(QStringLiteral("195")),
                 qPrintable(dialog->cacheSizeLabel()->text())); // 200000 bytes, in KiB

        QTest::mouseClick(dialog->clearCacheButton(), Qt::LeftButton);
        QMessageBox* confirm = nullptr;
        QTRY_VERIFY((confirm = dialog->findChild<QMessageBox*>(
                         QStringLiteral("clearCacheConfirm"))) != nullptr);
        QTest::mouseClick(confirm->button(QMessageBox::Yes), Qt::LeftButton);
        QTRY_COMPARE(dialog->messageText(), QStringLiteral("Cache cleared."));
        QVERIFY(!QFile::exists(gateCache));
        QVERIFY(!QFile::exists(media));
        QVERIFY(QFile::exists(outside));
        QVERIFY(QFileInfo(data).isDir());
        QVERIFY(QFileInfo(QDir(data).filePath(QStringLiteral("media"))).isDir());
        QTRY_VERIFY_WITH_TIMEOUT(dialog->cacheSizeLabel()->text().startsWith(QStringLiteral("0")),
                                 20000);
    }

    // Last: the test keyring stays locked (unlocking needs a prompt this session cannot show).
    void lockedKeychainIsExplained() {
        if (!haveKeychain())
            QSKIP("DBUS_SESSION_BUS_ADDRESS is not set: run under scripts/test-session.sh.");
        const aitest::ProcessRun lock = aitest::runProcess(
            QStringLiteral("gdbus"),
            {QStringLiteral("call"), QStringLiteral("--session"), QStringLiteral("--dest"),
             QStringLiteral("org.freedesktop.secrets"), QStringLiteral("--object-path"),
             QStringLiteral("/org/freedesktop/secrets"), QStringLiteral("--method"),
             QStringLiteral("org.freedesktop.Secret.Service.Lock"),
             QStringLiteral("['/org/freedesktop/secrets/collection/login']")},
            QProcessEnvironment::systemEnvironment(), {}, 30000);
        if (!lock.started || lock.exitCode != 0)
            QSKIP(qPrintable(QStringLiteral("cannot lock the test keyring: ") +
                             QString::fromUtf8(lock.describe())));

        auto dialog = openDialog();
        QVERIFY2(dialog->keyStatesKnown(), "the keychain did not answer");
        const QString name = addFakeProvider(dialog.get());
        const QString key = QStringLiteral("sk-locked-") + randomToken();
        QTest::keyClicks(dialog->keyEdit(), key);
        QSignalSpy applied(dialog.get(), &SettingsDialog::settingsApplied);
        QTest::mouseClick(dialog->okButton(), Qt::LeftButton);
        QVERIFY(applied.wait(kKeychainTimeoutMs + 5000));
        // The settings are saved, the key is not, and the dialog stays open saying what to do.
        QVERIFY(dialog->isVisible());
        QVERIFY2(dialog->messageText().contains(QStringLiteral("not every key")),
                 qPrintable(dialog->messageText()));
        QVERIFY2(dialog->messageText().contains(name), qPrintable(dialog->messageText()));
        QVERIFY2(dialog->messageText().contains(QStringLiteral("Unlock your keyring")),
                 qPrintable(dialog->messageText()));
        QVERIFY(!dialog->messageText().contains(key));
        QCOMPARE(ProviderSettings::load().size(), 1);
        QVERIFY(dialog->okButton()->isEnabled()); // try again after unlocking
        dialog->reject();
        QTRY_VERIFY(!dialog->isVisible());
        QVERIFY(ProviderSettings::save({}));
    }
};

QTEST_MAIN(TestSettingsDialog)
#include "tst_settingsdialog.moc"
