#pragma once

#include "AIScriptDebuggingAgent.h"
#include "AIScriptGenerationAgent.h"
#include "FenceStreamFilter.h"
#include "HealingPipeline.h"
#include "ManimExecutionAgent.h"
#include "RenderEnvironmentAgent.h"
#include "RenderOptions.h"
#include "SceneFinder.h"
#include "SettingsDialog.h"
#include "StudioSettings.h"

#include <QHash>
#include <QMainWindow>
#include <QPointer>
#include <QTimer>

#include <functional>

class QAction;
class QComboBox;
class QDockWidget;
class QLabel;
class QNetworkAccessManager;
class QProgressBar;
class QPushButton;
class QSplitter;

namespace omega {
class KeyStore;
}

namespace omega::ui {

class ActivityPanel;
class ElidedLabel;
class HistoryPanel;
class HistoryStore;
class PromptEditor;
class ScriptEditor;
class VideoPreview;

struct MainWindowOptions {
    // The script to open; empty: the bundled example (or the working copy kept from last time).
    QString scriptPath;
    // Render the script as soon as the window opens.
    bool autoRender = true;
    // History database; empty: HistoryStore::defaultPath().
    QString historyPath;
};

// The Omega Studio window. Prompt → the script streams into the editor → render (healed by the
// agents when it fails) → preview; every edit autosaved to a working copy under DATA/scratch;
// every prompt, script version, attempt and output kept in the history. Everything long runs in
// the agents; the window only reacts to their signals, so it never blocks.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const MainWindowOptions& options = {}, QWidget* parent = nullptr);
    ~MainWindow() override;

    // Loads a script into the editor; its working copy becomes DATA/scratch/<file name>.
    bool openScript(const QString& path);
    void startRender();
    void cancelRender();
    // Prompt → script (streamed into the editor) → healed render.
    void generate(const QString& prompt, const QString& provider = {}, const QString& model = {});
    void stopGeneration();
    // Asks the AI for a fix of the last failed render; the fix is shown as a diff to accept.
    void fixWithAi();
    bool isRendering() const { return busy_ == Busy::Rendering || busy_ == Busy::Healing; }
    bool isBusy() const { return busy_ != Busy::None; }

    QString workingScriptPath() const { return workingPath_; }
    QString statusText() const;
    Quality quality() const;
    void setQuality(Quality quality);
    qint64 currentHistoryEntry() const { return entryId_; }
    bool reopenHistoryEntry(qint64 entryId);
    void showSettings();
    void showShortcuts();
    // Creates the render environment (DATA/venv with the pinned Manim), with progress; an
    // installed app does this on first run, after asking.
    void createRenderEnvironment();
    RenderEnvironmentAgent* environmentAgent() const { return environment_; }

    // For tests.
    ScriptEditor* editor() const { return editor_; }
    PromptEditor* promptEditor() const { return promptEditor_; }
    ActivityPanel* activity() const { return activity_; }
    HistoryStore* history() const { return history_; }
    HistoryPanel* historyPanel() const { return historyPanel_; }
    QComboBox* sceneBox() const { return sceneBox_; }
    QComboBox* qualityBox() const { return qualityBox_; }
    QComboBox* formatBox() const { return formatBox_; }
    QComboBox* aspectBox() const { return aspectBox_; }
    QPushButton* renderButton() const { return renderButton_; }
    QPushButton* fixButton() const { return fixButton_; }
    QProgressBar* progressBar() const { return progressBar_; }
    QLabel* progressLabel() const { return progressLabel_; }
    VideoPreview* preview() const { return preview_; }
    ManimExecutionAgent* renderAgent() const { return agent_; }
    HealingPipeline* healer() const { return healer_; }
    SettingsDialog* settingsDialog() const { return settingsDialog_; }

Q_SIGNALS:
    // After the window has shown the outcome (preview loaded, or the error in the status bar).
    void renderFinished(const omega::RenderResult& result);
    void generationFinished(const omega::GenerationResult& result);
    void fixReady(const omega::FixResult& result);
    void scenesFound(const QStringList& scenes);
    void renderEnvironmentFinished(const omega::RenderEnvironmentResult& result);

protected:
    void closeEvent(QCloseEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    enum class StatusKind { Info, Busy, Warning, Error };
    enum class Busy { None, Generating, Rendering, Healing, Fixing, SettingUp };

    void buildUi();
    void buildMenus();
    void connectAgents();
    void restoreLayout();
    void saveLayout();
    void applySettings();
    void reloadProviders();
    QList<ProviderConfig> providersFor(const QString& provider, const QString& model) const;
    // Looks up the providers' keys (keychain, else environment), then calls `then`.
    void withKeys(const QList<ProviderConfig>& providers,
                  std::function<void(const QHash<QString, QString>&)> then);
    RenderOptions renderOptions() const;

    void toggleRender();
    void onEdited();
    void onIdleAfterEdit();
    bool saveWorkingCopy();
    void setScriptText(const QString& text, bool undoable);
    void findScenes();
    void onScenesFound(const omega::SceneListResult& list);
    void onProgress(const QString& jobId, const omega::RenderProgress& progress);
    void onRenderFinished(const omega::RenderResult& result);
    void onGenerationFinished(const omega::GenerationResult& result);
    void flushStream();
    void startHealingRender();
    void onHealingFinished(const omega::HealingResult& result);
    void onFixFinished(const omega::FixResult& result);
    void acceptFix();
    void revertFix();
    void showRenderOutput(const omega::RenderResult& result);
    void showError(const omega::ErrorReport& error, const QString& what);
    void setStatus(StatusKind kind, const QString& text, const QString& toolTip = QString());
    void setBusy(Busy busy);
    void updateRenderControls();
    void updateTitle();
    void openScriptDialog();
    void saveScriptAsDialog();
    void openExample();
    void newScript();
    void offerRenderEnvironment();
    void onRenderEnvironmentFinished(const omega::RenderEnvironmentResult& result);

    // History.
    qint64 ensureHistoryEntry(const QString& title, const QString& prompt);
    qint64 recordVersion(const QString& code, const QString& source, const QString& provider = {},
                         const QString& model = {}, int inputTokens = 0, int outputTokens = 0);
    void recordRender(const omega::RenderResult& result, qint64 versionId, const QString& fixSource,
                      const QString& fixDetail, int tokens);
    QString keepOutput(const omega::SceneOutput& output, const QString& jobId);
    void rerunHistoryEntry(qint64 entryId);
    void onHistoryEntryDeleted(qint64 entryId);

    ManimExecutionAgent* agent_ = nullptr;
    SceneFinder* sceneFinder_ = nullptr;
    QNetworkAccessManager* network_ = nullptr;
    AIScriptGenerationAgent* generator_ = nullptr;
    AIScriptDebuggingAgent* debugger_ = nullptr;
    HealingPipeline* healer_ = nullptr;
    KeyStore* keyStore_ = nullptr;
    RenderEnvironmentAgent* environment_ = nullptr;
    bool renderAfterSetup_ = false;
    HistoryStore* history_ = nullptr;
    StudioSettings settings_;

    PromptEditor* promptEditor_ = nullptr;
    ScriptEditor* editor_ = nullptr;
    QComboBox* sceneBox_ = nullptr;
    QComboBox* qualityBox_ = nullptr;
    QComboBox* formatBox_ = nullptr;
    QComboBox* aspectBox_ = nullptr;
    QPushButton* renderButton_ = nullptr;
    QPushButton* fixButton_ = nullptr;
    VideoPreview* preview_ = nullptr;
    QProgressBar* progressBar_ = nullptr;
    QLabel* progressLabel_ = nullptr;
    ActivityPanel* activity_ = nullptr;
    HistoryPanel* historyPanel_ = nullptr;
    QDockWidget* historyDock_ = nullptr;
    ElidedLabel* statusLabel_ = nullptr;
    QLabel* backendLabel_ = nullptr;
    QLabel* versionLabel_ = nullptr;
    QSplitter* mainSplitter_ = nullptr;
    QSplitter* topSplitter_ = nullptr;
    QSplitter* leftSplitter_ = nullptr;
    QAction* renderAction_ = nullptr;
    QAction* generateAction_ = nullptr;
    QAction* fixAction_ = nullptr;
    QPointer<SettingsDialog> settingsDialog_;

    QTimer editTimer_; // debounce: autosave + scene lookup after the user stops typing
    QString workingPath_;
    QString displayName_;
    QString savedText_;
    QString renderingScene_;
    QString renderedText_; // the text the running (or last) render was started with
    QString jobId_;
    QString generationPrompt_;
    FenceStreamFilter fenceFilter_;
    QString streamBuffer_; // streamed code not in the editor yet
    QTimer streamFlush_;
    StatusKind statusKind_ = StatusKind::Info;
    Busy busy_ = Busy::None;
    bool closeAfterCancel_ = false;
    bool renderWhenScenesKnown_ = false;
    bool layoutRestored_ = false;
    QStringList approvedPackages_; // packages the user agreed to install this session
    quint64 keyRequest_ = 0;       // the key lookup whose answer is still wanted

    // The last failed render, for "Fix with AI".
    ErrorReport lastError_;
    QString lastFailedScript_;
    // The fix on show: before/after, and whether `after` was already rendered (healing).
    QString fixBefore_;
    QString fixAfter_;
    QString fixSource_;
    QString fixProvider_;
    QString fixModel_;
    int fixTokens_ = 0;
    bool fixAlreadyRendered_ = false;

    // History bookkeeping for the script in the editor.
    qint64 entryId_ = 0;
    qint64 versionId_ = 0;
    QString versionCode_;
    int attemptNumber_ = 0;
};

} // namespace omega::ui
