#include "MainWindow.h"

#include "ElidedLabel.h"
#include "LogView.h"
#include "Logger.h"
#include "Paths.h"
#include "ScriptEditor.h"
#include "VideoPreview.h"

#include <QAction>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSaveFile>
#include <QScreen>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QVBoxLayout>

#include <utility>

namespace omega::ui {

namespace {
const QString kAgentName = QStringLiteral("MainWindow");
constexpr int kEditDebounceMs = 600;
// After cancel() on close, give the agent this long to report before closing anyway (its
// destructor still stops the process group).
constexpr int kCloseFallbackMs = 8000;

QString previewsDir() {
    return QDir(paths::dataDir()).filePath(QStringLiteral("previews"));
}
QString scratchDir() {
    return QDir(paths::dataDir()).filePath(QStringLiteral("scratch"));
}
QString exampleScript() {
    return paths::resourcePath(QStringLiteral("examples/welcome.py"));
}

void logMessage(LogLevel level, const QString& jobId, const QString& message) {
    Logger::instance().log(level, kAgentName, jobId, message);
}

std::optional<QString> readText(const QString& path, QString* error) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = file.errorString();
        return std::nullopt;
    }
    return QString::fromUtf8(file.readAll());
}

QString qualityLabel(Quality quality) {
    const QSize size = resolutionFor(quality, Aspect::Landscape16x9);
    const int fps = frameRateFor(quality, 0);
    switch (quality) {
    case Quality::Low:
        return MainWindow::tr("Low · %1p%2").arg(size.height()).arg(fps);
    case Quality::Medium:
        return MainWindow::tr("Medium · %1p%2").arg(size.height()).arg(fps);
    case Quality::High:
        return MainWindow::tr("High · %1p%2").arg(size.height()).arg(fps);
    case Quality::Production:
        return MainWindow::tr("Production · %1p%2").arg(size.height()).arg(fps);
    case Quality::FourK:
        return MainWindow::tr("4K · %1p%2").arg(size.height()).arg(fps);
    }
    return QString();
}
} // namespace

MainWindow::MainWindow(const MainWindowOptions& options, QWidget* parent)
    : QMainWindow(parent)
    , agent_(new ManimExecutionAgent(this))
    , sceneFinder_(new SceneFinder(this)) {
    qRegisterMetaType<omega::RenderResult>();
    qRegisterMetaType<omega::RenderProgress>();
    qRegisterMetaType<omega::SceneListResult>();

    buildUi();
    buildMenus();

    editTimer_.setSingleShot(true);
    editTimer_.setInterval(kEditDebounceMs);
    connect(&editTimer_, &QTimer::timeout, this, &MainWindow::onIdleAfterEdit);
    connect(editor_, &ScriptEditor::textEdited, this, &MainWindow::onEdited);
    connect(sceneFinder_, &SceneFinder::finished, this, &MainWindow::onScenesFound);
    connect(agent_, &ManimExecutionAgent::progressChanged, this, &MainWindow::onProgress);
    connect(agent_, &ManimExecutionAgent::finished, this, &MainWindow::onRenderFinished);

    removeOldPreviews();

    bool opened = false;
    if (!options.scriptPath.isEmpty()) {
        opened = openScript(options.scriptPath);
    } else {
        // Restore the working copy of the example from last time: no lost work.
        const QFileInfo scratch(QDir(scratchDir()).filePath(QStringLiteral("welcome.py")));
        opened = openScript(scratch.exists() && scratch.size() > 0 ? scratch.filePath()
                                                                   : exampleScript());
    }
    if (opened && options.autoRender)
        QTimer::singleShot(0, this, &MainWindow::startRender);
}

MainWindow::~MainWindow() {
    editTimer_.stop();
    if (!savedText_.isNull())
        saveWorkingCopy();
    // The agents are children: their destructors stop any process they still own.
}

void MainWindow::buildUi() {
    editor_ = new ScriptEditor(this);
    sceneBox_ = new QComboBox(this);
    qualityBox_ = new QComboBox(this);
    renderButton_ = new QPushButton(this);
    preview_ = new VideoPreview(this);
    progressBar_ = new QProgressBar(this);
    progressLabel_ = new QLabel(this);
    logView_ = new LogView(this);
    statusLabel_ = new ElidedLabel(this);
    versionLabel_ = new QLabel(this);

    sceneBox_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    sceneBox_->setMinimumContentsLength(12);
    sceneBox_->setToolTip(tr("The scene to render (found in the script as you type)"));
    sceneBox_->setPlaceholderText(tr("No scene"));
    for (Quality q : {Quality::Low, Quality::Medium, Quality::High})
        qualityBox_->addItem(qualityLabel(q), qualityName(q));
    qualityBox_->setToolTip(tr("Render quality: low is fastest, for previews"));
    renderButton_->setDefault(true);
    renderButton_->setMinimumWidth(
        renderButton_->fontMetrics().horizontalAdvance(QStringLiteral("Cancel")) + 64);
    connect(renderButton_, &QPushButton::clicked, this, &MainWindow::toggleRender);

    auto* sceneLabel = new QLabel(tr("&Scene"), this);
    sceneLabel->setBuddy(sceneBox_);
    auto* qualityLabelWidget = new QLabel(tr("&Quality"), this);
    qualityLabelWidget->setBuddy(qualityBox_);

    auto* controls = new QHBoxLayout;
    controls->setContentsMargins(0, 0, 0, 0);
    controls->addWidget(sceneLabel);
    controls->addWidget(sceneBox_, 1);
    controls->addSpacing(8);
    controls->addWidget(qualityLabelWidget);
    controls->addWidget(qualityBox_);
    controls->addSpacing(8);
    controls->addWidget(renderButton_);

    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(8, 8, 4, 4);
    leftLayout->addLayout(controls);
    leftLayout->addWidget(editor_, 1);

    progressBar_->setRange(0, 100);
    progressBar_->setValue(0);
    progressBar_->setTextVisible(true);
    progressBar_->setMinimumWidth(160);
    progressLabel_->setTextFormat(Qt::PlainText);
    progressLabel_->setMinimumWidth(120);
    progressLabel_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    auto* progressRow = new QHBoxLayout;
    progressRow->setContentsMargins(0, 0, 0, 0);
    progressRow->addWidget(progressLabel_, 3);
    progressRow->addWidget(progressBar_, 2);

    auto* right = new QWidget(this);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(4, 8, 8, 4);
    rightLayout->addWidget(preview_, 1);
    rightLayout->addLayout(progressRow);

    topSplitter_ = new QSplitter(Qt::Horizontal, this);
    topSplitter_->addWidget(left);
    topSplitter_->addWidget(right);
    topSplitter_->setStretchFactor(0, 1);
    topSplitter_->setStretchFactor(1, 1);
    topSplitter_->setChildrenCollapsible(false);

    auto* logPanel = new QWidget(this);
    auto* logLayout = new QVBoxLayout(logPanel);
    logLayout->setContentsMargins(8, 4, 8, 4);
    auto* logTitle = new QLabel(tr("Log"), this);
    QFont titleFont = logTitle->font();
    titleFont.setBold(true);
    logTitle->setFont(titleFont);
    logLayout->addWidget(logTitle);
    logLayout->addWidget(logView_, 1);

    mainSplitter_ = new QSplitter(Qt::Vertical, this);
    mainSplitter_->addWidget(topSplitter_);
    mainSplitter_->addWidget(logPanel);
    mainSplitter_->setStretchFactor(0, 4);
    mainSplitter_->setStretchFactor(1, 1);
    mainSplitter_->setChildrenCollapsible(false);
    setCentralWidget(mainSplitter_);

    statusBar()->addWidget(statusLabel_, 1);
    statusBar()->addPermanentWidget(versionLabel_);

    // A sensible first size: most of the screen, at most 1440×900.
    QSize size(1440, 900);
    if (const QScreen* screen = this->screen())
        size = size.boundedTo(screen->availableGeometry().size() * 0.92);
    resize(size);
    topSplitter_->setSizes({size.width() / 2, size.width() / 2});
    mainSplitter_->setSizes({size.height() * 4 / 5, size.height() / 5});

    updateRenderControls();
    setStatus(StatusKind::Info, tr("Ready."));
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open Script…"), this, &MainWindow::openScriptDialog);
    open->setShortcut(QKeySequence::Open);
    QAction* saveAs =
        file->addAction(tr("Save Script &As…"), this, &MainWindow::saveScriptAsDialog);
    saveAs->setShortcut(QKeySequence::SaveAs);
    file->addAction(tr("Open the &Welcome Example"), this, &MainWindow::openExample);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* render = menuBar()->addMenu(tr("&Render"));
    renderAction_ = render->addAction(tr("&Render"), this, &MainWindow::toggleRender);
    renderAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    renderAction_->setShortcutContext(Qt::WindowShortcut);
    updateRenderControls();
}

bool MainWindow::openScript(const QString& path) {
    QString error;
    const std::optional<QString> text = readText(path, &error);
    if (!text) {
        setStatus(StatusKind::Error, tr("Cannot open %1: %2").arg(path, error));
        return false;
    }
    // Pending edits of the script being replaced are saved first.
    editTimer_.stop();
    if (!workingPath_.isEmpty())
        saveWorkingCopy();
    const QFileInfo info(path);
    const QDir scratch(scratchDir());
    const QString target = scratch.filePath(info.fileName());
    // Another working copy with this name holds other edits: keep it aside, never overwrite it.
    if (QFileInfo(target).absoluteFilePath() != info.absoluteFilePath() &&
        QFileInfo::exists(target)) {
        QString existingError;
        const std::optional<QString> existing = readText(target, &existingError);
        if (existing && *existing != *text && !existing->trimmed().isEmpty()) {
            const QString backup = scratch.filePath(
                QStringLiteral("%1-%2.%3")
                    .arg(info.completeBaseName(),
                         QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")),
                         info.suffix()));
            if (QFile::rename(target, backup))
                logMessage(LogLevel::Info, QString(),
                           tr("Kept the previous working copy as %1").arg(backup));
        }
    }
    workingPath_ = target;
    displayName_ = info.fileName();
    editor_->setText(*text);
    savedText_ = QString(); // force the first save
    if (!saveWorkingCopy())
        return false;
    logMessage(LogLevel::Info, QString(),
               tr("Opened %1 (working copy %2)").arg(info.absoluteFilePath(), workingPath_));
    updateTitle();
    sceneBox_->clear();
    findScenes();
    setStatus(StatusKind::Info, tr("Opened %1.").arg(displayName_));
    return true;
}

bool MainWindow::saveWorkingCopy() {
    const QString text = editor_->text();
    if (!savedText_.isNull() && text == savedText_ && QFileInfo::exists(workingPath_))
        return true;
    if (!paths::ensureDir(QFileInfo(workingPath_).absolutePath())) {
        setStatus(StatusKind::Error, tr("Cannot create the folder for %1.").arg(workingPath_));
        return false;
    }
    QSaveFile file(workingPath_);
    if (!file.open(QIODevice::WriteOnly) || file.write(text.toUtf8()) < 0 || !file.commit()) {
        setStatus(StatusKind::Error,
                  tr("Cannot save the script to %1: %2").arg(workingPath_, file.errorString()));
        return false;
    }
    savedText_ = text;
    return true;
}

void MainWindow::onEdited() {
    editTimer_.start();
    updateTitle();
}

void MainWindow::onIdleAfterEdit() {
    if (saveWorkingCopy())
        findScenes();
    updateTitle();
}

void MainWindow::findScenes() {
    sceneFinder_->find(workingPath_);
}

void MainWindow::onScenesFound(const SceneListResult& list) {
    if (!list.manimVersion.isEmpty())
        versionLabel_->setText(tr("Manim %1").arg(list.manimVersion));
    const bool renderNow = std::exchange(renderWhenScenesKnown_, false);
    if (renderNow) // after the picker is filled; a failed lookup is reported by the render
        QTimer::singleShot(0, this, &MainWindow::startRender);
    if (!list.result.ok()) {
        const ErrorReport& error = list.result.error;
        editor_->setErrorLine(error.scriptLine);
        if (!rendering_) {
            QString text = error.message;
            if (!error.hint.isEmpty())
                text += QStringLiteral(" — ") + error.hint;
            setStatus(StatusKind::Warning, text, error.detail);
        }
        return;
    }
    if (statusKind_ == StatusKind::Warning) {
        editor_->setErrorLine(0);
        setStatus(StatusKind::Info, tr("Ready."));
    }
    const QStringList names = list.sceneNames();
    const QString current = sceneBox_->currentText();
    QStringList existing;
    for (int i = 0; i < sceneBox_->count(); ++i)
        existing << sceneBox_->itemText(i);
    if (existing != names) {
        sceneBox_->clear();
        for (const SceneInfo& scene : list.scenes)
            sceneBox_->addItem(scene.name, scene.line);
        const int keep = names.indexOf(current);
        sceneBox_->setCurrentIndex(keep >= 0 ? keep : (names.isEmpty() ? -1 : 0));
    }
    sceneBox_->setEnabled(!names.isEmpty());
    Q_EMIT scenesFound(names);
}

Quality MainWindow::quality() const {
    return qualityFromName(qualityBox_->currentData().toString()).value_or(Quality::Low);
}

void MainWindow::setQuality(Quality quality) {
    const int index = qualityBox_->findData(qualityName(quality));
    if (index >= 0)
        qualityBox_->setCurrentIndex(index);
}

void MainWindow::toggleRender() {
    if (rendering_)
        cancelRender();
    else
        startRender();
}

void MainWindow::startRender() {
    if (rendering_ || workingPath_.isEmpty())
        return;
    const bool editPending = editTimer_.isActive();
    editTimer_.stop();
    if (!saveWorkingCopy())
        return;
    updateTitle();
    if (editPending)
        findScenes();
    // The scene list is still being read (just opened or edited): render once it is known,
    // so a file with several scenes renders the picked one instead of failing.
    if (sceneFinder_->isRunning()) {
        renderWhenScenesKnown_ = true;
        return;
    }

    RenderOptions options;
    options.scriptPath = workingPath_;
    options.quality = quality();
    renderingScene_ = sceneBox_->currentText();
    if (!renderingScene_.isEmpty())
        options.scenes << renderingScene_;

    editor_->setErrorLine(0);
    progressBar_->setRange(0, 0); // busy until manim reports its first animation
    progressLabel_->setText(tr("Starting Manim…"));
    rendering_ = true;
    updateRenderControls();
    setStatus(StatusKind::Busy, tr("Rendering %1 (%2)…")
                                    .arg(renderingScene_.isEmpty() ? displayName_ : renderingScene_,
                                         qualityBox_->currentText()));
    const QString jobId = agent_->render(options);
    if (rendering_) // finished() may already have been delivered
        jobId_ = jobId;
}

void MainWindow::cancelRender() {
    if (!rendering_)
        return;
    setStatus(StatusKind::Busy, tr("Cancelling the render…"));
    renderButton_->setEnabled(false);
    agent_->cancel();
}

void MainWindow::onProgress(const QString& jobId, const RenderProgress& progress) {
    if (!rendering_ || (!jobId_.isEmpty() && jobId != jobId_))
        return;
    const int count = qMax(1, progress.sceneCount);
    if (progress.animationIndex < 0 && progress.overallPercent < 0) {
        // A scene is starting (manim is importing): nothing to measure yet.
        progressBar_->setRange(0, 0);
        progressLabel_->setText(count > 1 ? tr("Starting %1 (%2/%3)…")
                                                .arg(progress.scene)
                                                .arg(progress.sceneIndex + 1)
                                                .arg(count)
                                          : tr("Starting %1…").arg(progress.scene));
        return;
    }
    const int inScene = progress.overallPercent >= 0 ? progress.overallPercent : progress.percent;
    const int overall = (progress.sceneIndex * 100 + inScene) / count;
    progressBar_->setRange(0, 100);
    progressBar_->setValue(qBound(0, overall, 100));

    QString text;
    if (progress.animationIndex >= 0) {
        // Numbered as manim numbers them, so the label matches the log.
        text = progress.label.isEmpty()
                   ? tr("Animation %1: %2%").arg(progress.animationIndex).arg(progress.percent)
                   : tr("Animation %1: %2 %3%")
                         .arg(progress.animationIndex)
                         .arg(progress.label)
                         .arg(progress.percent);
    } else {
        text = progress.label.isEmpty() ? tr("Starting…") : progress.label;
    }
    if (count > 1)
        text = tr("%1 (%2/%3) — %4")
                   .arg(progress.scene)
                   .arg(progress.sceneIndex + 1)
                   .arg(count)
                   .arg(text);
    progressLabel_->setText(text);
}

void MainWindow::onRenderFinished(const RenderResult& result) {
    if (!rendering_ || (!jobId_.isEmpty() && result.result.jobId != jobId_))
        return;
    rendering_ = false;
    jobId_.clear();
    progressBar_->setRange(0, 100);
    updateRenderControls();

    const double seconds = result.result.timings.elapsedMs / 1000.0;
    switch (result.result.status) {
    case ResultStatus::Ok:
        progressBar_->setValue(100);
        progressLabel_->setText(tr("Done in %1 s").arg(seconds, 0, 'f', 1));
        showRenderOutput(result);
        break;
    case ResultStatus::Cancelled:
        progressBar_->setValue(0);
        progressLabel_->setText(tr("Cancelled"));
        setStatus(StatusKind::Info, tr("Render cancelled."));
        break;
    case ResultStatus::Failed:
        progressBar_->setValue(0);
        progressLabel_->setText(tr("Failed after %1 s").arg(seconds, 0, 'f', 1));
        showError(result.result.error,
                  result.failedScene.isEmpty() ? displayName_ : result.failedScene);
        break;
    }
    Q_EMIT renderFinished(result);
    if (closeAfterCancel_)
        QTimer::singleShot(0, this, &QWidget::close);
}

void MainWindow::showRenderOutput(const RenderResult& result) {
    if (result.outputs.isEmpty()) {
        setStatus(StatusKind::Error, tr("The render finished but produced no file."));
        return;
    }
    SceneOutput output = result.outputs.constLast();
    for (const SceneOutput& candidate : result.outputs) {
        if (candidate.scene == renderingScene_)
            output = candidate;
    }
    // The same output path is rewritten by the next render; the player gets a private copy so
    // it never shows a stale or half-written file.
    const QString suffix = QFileInfo(output.path).suffix();
    const QString copy =
        QDir(previewsDir()).filePath(result.result.jobId + QLatin1Char('.') + suffix);
    QString shown = output.path;
    if (paths::ensureDir(previewsDir()) && (QFile::exists(copy) || QFile::copy(output.path, copy)))
        shown = copy;
    else
        logMessage(LogLevel::Warning, result.result.jobId,
                   tr("Cannot copy %1 to %2; previewing it in place").arg(output.path, copy));

    if (output.stillImage)
        preview_->showImage(shown);
    else
        preview_->showVideo(shown);
    if (!previewCopy_.isEmpty() && previewCopy_ != shown)
        QFile::remove(previewCopy_);
    previewCopy_ = shown == output.path ? QString() : shown;

    setStatus(StatusKind::Info,
              tr("Rendered %1 in %2 s%3.")
                  .arg(output.scene)
                  .arg(result.result.timings.elapsedMs / 1000.0, 0, 'f', 1)
                  .arg(output.stillImage ? tr(" (a still image: the scene has no animation)")
                                         : QString()),
              output.path);
}

void MainWindow::showError(const ErrorReport& error, const QString& what) {
    QString text = error.message.isEmpty() ? tr("Rendering %1 failed.").arg(what) : error.message;
    if (error.scriptLine > 0) {
        // The line leads the status; drop the message's own "(line N)" so it is not said twice.
        const QRegularExpression trailingLine(
            QStringLiteral("\\s*\\(line %1\\)(?=\\.?$)").arg(error.scriptLine));
        text.remove(trailingLine);
        text = tr("Line %1: %2").arg(error.scriptLine).arg(text);
    }
    if (!error.hint.isEmpty())
        text += QStringLiteral(" — ") + error.hint;
    setStatus(StatusKind::Error, text, error.detail);
    editor_->setErrorLine(error.scriptLine);
    // Nothing rendered yet: the empty stage says what went wrong, in full.
    if (preview_->source().isEmpty())
        preview_->showMessage(tr("The render failed.\n\n%1").arg(text));
    // The traceback goes to the log panel only (the agent already wrote it to the log file).
    if (!error.detail.isEmpty()) {
        LogRecord record;
        record.time = QDateTime::currentDateTimeUtc();
        record.level = LogLevel::Error;
        record.agent = kAgentName;
        record.message = tr("%1 failed:\n%2").arg(what, error.detail.trimmed());
        logView_->addRecord(record);
    }
}

QString MainWindow::statusText() const {
    return statusLabel_->text();
}

void MainWindow::setStatus(StatusKind kind, const QString& text, const QString& toolTip) {
    statusKind_ = kind;
    statusLabel_->setText(text);
    statusLabel_->setToolTip(toolTip.isEmpty() ? text : toolTip);
    switch (kind) {
    case StatusKind::Error:
        statusLabel_->setStyleSheet(QStringLiteral("color: #c9302c;"));
        break;
    case StatusKind::Warning:
        statusLabel_->setStyleSheet(QStringLiteral("color: #b36b00;"));
        break;
    case StatusKind::Info:
    case StatusKind::Busy:
        statusLabel_->setStyleSheet(QString());
        break;
    }
}

void MainWindow::updateRenderControls() {
    const QString text = rendering_ ? tr("Cancel") : tr("Render");
    const QIcon icon =
        style()->standardIcon(rendering_ ? QStyle::SP_MediaStop : QStyle::SP_MediaPlay);
    renderButton_->setText(text);
    renderButton_->setIcon(icon);
    renderButton_->setEnabled(true);
    renderButton_->setToolTip(rendering_ ? tr("Stop the render (Ctrl+R)")
                                         : tr("Render the scene (Ctrl+R)"));
    if (renderAction_) {
        renderAction_->setText(rendering_ ? tr("&Cancel Render") : tr("&Render"));
        renderAction_->setIcon(icon);
    }
}

void MainWindow::updateTitle() {
    const bool unsaved = editor_->text() != savedText_;
    setWindowTitle(
        tr("%1%2 — Omega Studio").arg(displayName_, unsaved ? QStringLiteral(" •") : QString()));
}

void MainWindow::openScriptDialog() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Script"), QString(),
                                                      tr("Python scripts (*.py);;All files (*)"));
    if (!path.isEmpty())
        openScript(path);
}

void MainWindow::saveScriptAsDialog() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Save Script As"), displayName_,
                                                      tr("Python scripts (*.py)"));
    if (path.isEmpty())
        return;
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(editor_->text().toUtf8()) < 0 ||
        !file.commit()) {
        setStatus(StatusKind::Error, tr("Cannot save %1: %2").arg(path, file.errorString()));
        return;
    }
    setStatus(StatusKind::Info, tr("Saved a copy as %1.").arg(path));
}

void MainWindow::openExample() {
    openScript(exampleScript());
}

void MainWindow::removeOldPreviews() {
    // Preview copies are per session; keep a day's worth so a second window's file survives.
    const QDateTime cutoff = QDateTime::currentDateTime().addDays(-1);
    const QFileInfoList files = QDir(previewsDir()).entryInfoList(QDir::Files);
    for (const QFileInfo& file : files) {
        if (file.lastModified() < cutoff)
            QFile::remove(file.absoluteFilePath());
    }
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (rendering_) {
        if (!closeAfterCancel_) {
            if (qEnvironmentVariableIntValue("OMEGA_NO_CLOSE_PROMPT") == 0) {
                const auto answer = QMessageBox::question(
                    this, tr("Render in progress"),
                    tr("A render is still running. Cancel it and close Omega Studio?"),
                    QMessageBox::Yes | QMessageBox::No, QMessageBox::No);
                if (answer != QMessageBox::Yes || !rendering_) {
                    event->ignore();
                    if (!rendering_ && answer == QMessageBox::Yes)
                        QTimer::singleShot(0, this, &QWidget::close);
                    return;
                }
            }
            closeAfterCancel_ = true;
            cancelRender();
            QTimer::singleShot(kCloseFallbackMs, this, [this] {
                rendering_ = false;
                close();
            });
        }
        event->ignore(); // closed from onRenderFinished once the process is gone
        return;
    }
    editTimer_.stop();
    saveWorkingCopy();
    event->accept();
}

} // namespace omega::ui
