#pragma once

#include "KeyStore.h"
#include "ProviderConfig.h"
#include "StudioSettings.h"

#include <QDialog>
#include <QHash>
#include <QList>
#include <QStringList>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QNetworkAccessManager;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTabWidget;

namespace omega {
struct AgentResult;
class ProviderTester;
} // namespace omega

namespace omega::ui {

// The settings window: Providers | Rendering | AI & healing | Folders.
// Everything typed goes through StudioSettings and ProviderSettings (CONFIG/settings.ini);
// API keys only through KeyStore (the OS keychain). A stored key is never read into a widget:
// the key field only shows, as its placeholder, whether one is stored. Keychain reads and
// writes, Test connection and the cache size are asynchronous; OK/Apply keep the dialog open
// (and its buttons disabled) until the keychain has answered every write, and say what to do
// when it refused. Open it with open() or show(), never exec().
class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    enum Page { Providers, Rendering, Healing, Folders };

    explicit SettingsDialog(QWidget* parent = nullptr);
    ~SettingsDialog() override;

    void showPage(Page page);

    // The first problem (empty when every input is acceptable), as shown under the tabs.
    QString firstProblem() const;
    QString messageText() const;
    // True while keychain writes of an Apply are outstanding.
    bool isSaving() const { return pendingKeyWrites_ > 0; }

    // For tests.
    QTabWidget* tabs() const { return tabs_; }
    QPushButton* okButton() const;
    QPushButton* applyButton() const;
    QListWidget* providerList() const { return providerList_; }
    QPushButton* addProviderButton() const { return addProviderButton_; }
    QPushButton* removeProviderButton() const { return removeProviderButton_; }
    QPushButton* moveUpButton() const { return moveUpButton_; }
    QPushButton* moveDownButton() const { return moveDownButton_; }
    QLineEdit* providerNameEdit() const { return nameEdit_; }
    QComboBox* providerTypeBox() const { return typeBox_; }
    QLineEdit* endpointEdit() const { return endpointEdit_; }
    QLineEdit* deploymentEdit() const { return deploymentEdit_; }
    QLineEdit* apiVersionEdit() const { return apiVersionEdit_; }
    QLineEdit* modelEdit() const { return modelEdit_; }
    QCheckBox* providerEnabledBox() const { return enabledBox_; }
    QLineEdit* keyEdit() const { return keyEdit_; }
    QPushButton* removeKeyButton() const { return removeKeyButton_; }
    QLabel* keyStatusLabel() const { return keyStatusLabel_; }
    QPushButton* testButton() const { return testButton_; }
    QLabel* testResultLabel() const { return testResultLabel_; }
    QComboBox* backendBox() const { return backendBox_; }
    QLabel* localWarningLabel() const { return localWarning_; }
    QComboBox* engineBox() const { return engineBox_; }
    QLineEdit* imageEdit() const { return imageEdit_; }
    QSpinBox* memorySpin() const { return memorySpin_; }
    QSpinBox* processesSpin() const { return processesSpin_; }
    QSpinBox* cpuTimeSpin() const { return cpuTimeSpin_; }
    QDoubleSpinBox* containerCpusSpin() const { return containerCpusSpin_; }
    QSpinBox* idleSpin() const { return idleSpin_; }
    QSpinBox* renderTimeoutSpin() const { return renderTimeoutSpin_; }
    QComboBox* qualityBox() const { return qualityBox_; }
    QCheckBox* renderOnOpenBox() const { return renderOnOpenBox_; }
    QSpinBox* attemptsSpin() const { return attemptsSpin_; }
    QSpinBox* tokensSpin() const { return tokensSpin_; }
    QSpinBox* wallTimeSpin() const { return wallTimeSpin_; }
    QSpinBox* connectTimeoutSpin() const { return connectTimeoutSpin_; }
    QSpinBox* idleTimeoutSpin() const { return aiIdleSpin_; }
    QCheckBox* askBeforeInstallBox() const { return askBeforeInstallBox_; }
    QPlainTextEdit* allowListEdit() const { return allowListEdit_; }
    QLineEdit* mediaEdit() const { return mediaEdit_; }
    QLabel* cacheSizeLabel() const { return cacheSizeLabel_; }
    QPushButton* clearCacheButton() const { return clearCacheButton_; }
    // Adds a provider of `type` (or the local OpenAI-compatible preset) and selects it.
    void addProvider(ProviderType type, bool localPreset = false);
    // The settings as the widgets say now.
    StudioSettings currentSettings() const;
    QList<ProviderConfig> currentProviders() const;
    // True once the keychain has said, for every provider, whether a key is stored.
    bool keyStatesKnown() const { return keyStatesKnown_; }

public Q_SLOTS:
    void accept() override;
    void reject() override;

Q_SIGNALS:
    // The settings files were written and every keychain write has answered.
    void settingsApplied();

private:
    enum class KeyState { Unknown, Stored, Environment, None, Unreachable };
    struct ProviderEntry {
        ProviderConfig config;
        bool saved = false; // in settings.ini already: its name (the keychain entry) is fixed
        KeyState keyState = KeyState::Unknown;
        QString keyNote;    // the keychain's note (why it was not reachable, …)
        QString pendingKey; // typed, written on Apply; never a key read from the keychain
        bool removeKey = false;
    };

    QWidget* buildProvidersPage();
    QWidget* buildRenderingPage();
    QWidget* buildHealingPage();
    QWidget* buildFoldersPage();
    void loadFromDisk();
    void lookUpKeys();
    void showSettings(const StudioSettings& settings);

    void selectProvider(int row);
    void refreshProviderList();
    void showProviderEditor();
    void updateKeyWidgets();
    void providerFieldEdited();
    void moveProvider(int delta);
    void removeSelectedProvider();
    int currentRow() const;
    QString uniqueProviderName(const QString& base) const;

    void testConnection();
    void onTestFinished(const omega::AgentResult& result, const QString& detail);
    void cancelTest();

    void updateBackendWidgets();
    void browseMediaFolder();
    void openDataFolder();
    void refreshCacheSize();
    void clearCache();

    // Validation: every problem, field by field; the first is shown and blocks OK/Apply.
    QList<SettingsProblem> allProblems() const;
    void revalidate();
    void showMessage(const QString& text, bool error);

    bool apply(bool closeWhenDone);
    void onKeyWriteAnswered(const QString& provider, bool ok, const QString& message);
    void finishApply();

    QTabWidget* tabs_ = nullptr;
    QLabel* messageLabel_ = nullptr;
    QDialogButtonBox* buttons_ = nullptr;

    QListWidget* providerList_ = nullptr;
    QPushButton* addProviderButton_ = nullptr;
    QPushButton* removeProviderButton_ = nullptr;
    QPushButton* moveUpButton_ = nullptr;
    QPushButton* moveDownButton_ = nullptr;
    QWidget* providerEditor_ = nullptr;
    QLineEdit* nameEdit_ = nullptr;
    QComboBox* typeBox_ = nullptr;
    QLineEdit* endpointEdit_ = nullptr;
    QLineEdit* deploymentEdit_ = nullptr;
    QLabel* deploymentLabel_ = nullptr;
    QLineEdit* apiVersionEdit_ = nullptr;
    QLabel* apiVersionLabel_ = nullptr;
    QLineEdit* modelEdit_ = nullptr;
    QCheckBox* enabledBox_ = nullptr;
    QLineEdit* keyEdit_ = nullptr;
    QPushButton* removeKeyButton_ = nullptr;
    QLabel* keyStatusLabel_ = nullptr;
    QPushButton* testButton_ = nullptr;
    QLabel* testResultLabel_ = nullptr;

    QComboBox* backendBox_ = nullptr;
    QLabel* localWarning_ = nullptr;
    QComboBox* engineBox_ = nullptr;
    QLineEdit* imageEdit_ = nullptr;
    QSpinBox* memorySpin_ = nullptr;
    QSpinBox* processesSpin_ = nullptr;
    QSpinBox* cpuTimeSpin_ = nullptr;
    QDoubleSpinBox* containerCpusSpin_ = nullptr;
    QSpinBox* idleSpin_ = nullptr;
    QSpinBox* renderTimeoutSpin_ = nullptr;
    QComboBox* qualityBox_ = nullptr;
    QCheckBox* renderOnOpenBox_ = nullptr;

    QSpinBox* attemptsSpin_ = nullptr;
    QSpinBox* tokensSpin_ = nullptr;
    QSpinBox* wallTimeSpin_ = nullptr;
    QSpinBox* connectTimeoutSpin_ = nullptr;
    QSpinBox* aiIdleSpin_ = nullptr;
    QCheckBox* askBeforeInstallBox_ = nullptr;
    QPlainTextEdit* allowListEdit_ = nullptr;

    QLineEdit* mediaEdit_ = nullptr;
    QLabel* cacheSizeLabel_ = nullptr;
    QPushButton* clearCacheButton_ = nullptr;

    QList<ProviderEntry> providers_;
    QStringList removedKeyNames_; // providers deleted from the list: their keys go on Apply
    bool keyStatesKnown_ = false;
    bool updatingEditor_ = false;
    QHash<QString, QWidget*> fieldWidgets_; // SettingsProblem::field → its widget

    KeyStore* keyStore_ = nullptr;
    QNetworkAccessManager* network_ = nullptr;
    ProviderTester* tester_ = nullptr;
    int testGeneration_ = 0; // answers of an earlier test (or lookup) are ignored

    int pendingKeyWrites_ = 0;
    QStringList keyWriteFailures_;
    bool closeWhenSaved_ = false;
    int cacheGeneration_ = 0;
};

} // namespace omega::ui
