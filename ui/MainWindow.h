#pragma once

#include "ManimExecutionAgent.h"
#include "RenderOptions.h"
#include "SceneFinder.h"

#include <QMainWindow>
#include <QTimer>

class QAction;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSplitter;

namespace omega::ui {

class ElidedLabel;
class LogView;
class ScriptEditor;
class VideoPreview;

struct MainWindowOptions {
    // The script to open; empty: the bundled example (or the working copy kept from last time).
    QString scriptPath;
    // Render the script as soon as the window opens.
    bool autoRender = true;
};

// The first Omega Studio window: script editor, scene and quality pickers, Render/Cancel,
// the preview with the render's progress, the log and a status bar. The edited text lives in
// a working copy under DATA/scratch (saved on every edit, debounced, and before each render);
// that copy is what gets rendered. Everything long runs in the agents; the window only reacts
// to their signals.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const MainWindowOptions& options = {}, QWidget* parent = nullptr);
    ~MainWindow() override;

    // Loads a script into the editor; its working copy becomes DATA/scratch/<file name>.
    bool openScript(const QString& path);
    void startRender();
    void cancelRender();
    bool isRendering() const { return rendering_; }

    QString workingScriptPath() const { return workingPath_; }
    QString statusText() const;
    Quality quality() const;
    void setQuality(Quality quality);

    // For tests.
    ScriptEditor* editor() const { return editor_; }
    QComboBox* sceneBox() const { return sceneBox_; }
    QComboBox* qualityBox() const { return qualityBox_; }
    QPushButton* renderButton() const { return renderButton_; }
    QProgressBar* progressBar() const { return progressBar_; }
    QLabel* progressLabel() const { return progressLabel_; }
    VideoPreview* preview() const { return preview_; }
    ManimExecutionAgent* renderAgent() const { return agent_; }

Q_SIGNALS:
    // After the window has shown the outcome (preview loaded, or the error in the status bar).
    void renderFinished(const omega::RenderResult& result);
    void scenesFound(const QStringList& scenes);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    enum class StatusKind { Info, Busy, Warning, Error };

    void buildUi();
    void buildMenus();
    void toggleRender();
    void onEdited();
    void onIdleAfterEdit();
    bool saveWorkingCopy();
    void findScenes();
    void onScenesFound(const omega::SceneListResult& list);
    void onProgress(const QString& jobId, const omega::RenderProgress& progress);
    void onRenderFinished(const omega::RenderResult& result);
    void showRenderOutput(const omega::RenderResult& result);
    void showError(const omega::ErrorReport& error, const QString& what);
    void setStatus(StatusKind kind, const QString& text, const QString& toolTip = QString());
    void updateRenderControls();
    void updateTitle();
    void openScriptDialog();
    void saveScriptAsDialog();
    void openExample();
    void removeOldPreviews();

    ManimExecutionAgent* agent_ = nullptr;
    SceneFinder* sceneFinder_ = nullptr;

    ScriptEditor* editor_ = nullptr;
    QComboBox* sceneBox_ = nullptr;
    QComboBox* qualityBox_ = nullptr;
    QPushButton* renderButton_ = nullptr;
    VideoPreview* preview_ = nullptr;
    QProgressBar* progressBar_ = nullptr;
    QLabel* progressLabel_ = nullptr;
    LogView* logView_ = nullptr;
    ElidedLabel* statusLabel_ = nullptr;
    QLabel* versionLabel_ = nullptr;
    QSplitter* mainSplitter_ = nullptr;
    QSplitter* topSplitter_ = nullptr;
    QAction* renderAction_ = nullptr;

    QTimer editTimer_; // debounce: autosave + scene lookup after the user stops typing
    QString workingPath_;
    QString displayName_;
    QString savedText_;
    QString previewCopy_;
    QString renderingScene_;
    QString jobId_;
    StatusKind statusKind_ = StatusKind::Info;
    bool rendering_ = false;
    bool closeAfterCancel_ = false;
    bool renderWhenScenesKnown_ = false;
};

} // namespace omega::ui
