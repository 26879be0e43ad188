#include "MainWindow.h"

#include "ActivityPanel.h"
#include "DockerAgent.h"
#include "ElidedLabel.h"
#include "HistoryPanel.h"
#include "HistoryStore.h"
#include "KeyStore.h"
#include "Logger.h"
#include "Paths.h"
#include "PromptEditor.h"
#include "ProviderSettings.h"
#include "ScriptEditor.h"
#include "SettingsDialog.h"
#include "VideoPreview.h"

#include "QsciHeaders.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QNetworkAccessManager>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSaveFile>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTableWidget>
#include <QVBoxLayout>

#include <utility>

namespace omega::ui {

namespace {
const QString kAgentName = QStringLiteral("MainWindow");
constexpr int kEditDebounceMs = 600;
// After cancel() on close, give the agents this long to report before closing anyway (their
// destructors still stop every process they own).
constexpr int kCloseFallbackMs = 8000;
constexpr int kLayoutVersion = 2;

QString scratchDir() {
    return QDir(paths::dataDir()).filePath(QStringLiteral("scratch"));
}
QString outputsDir() {
    return QDir(paths::dataDir()).filePath(QStringLiteral("outputs"));
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

// A short title for a history entry: the prompt's first line, at most 60 characters.
QString titleFromPrompt(const QString& prompt) {
    QString title = prompt.trimmed().section(QLatin1Char('\n'), 0, 0).simplified();
    if (title.size() > 60)
        title = title.left(57).trimmed() + QStringLiteral("…");
    return title.isEmpty() ? MainWindow::tr("Untitled") : title;
}

bool isCodeProblem(ErrorCategory category) {
    switch (category) {
    case ErrorCategory::Syntax:
    case ErrorCategory::MissingManimName:
    case ErrorCategory::Latex:
    case ErrorCategory::NoScene:
    case ErrorCategory::CodeError:
    case ErrorCategory::NoOutput:
        return true;
    default:
        return false;
    }
}

QString layoutFile() {
    return ProviderSettings::settingsFile();
}
} // namespace

// --- MainWindow -------------------------------------------------------------------------------

MainWindow::MainWindow(const MainWindowOptions& options, QWidget* parent)
    : QMainWindow(parent)
    , agent_(new ManimExecutionAgent(this))
    , sceneFinder_(new SceneFinder(this))
    , network_(new QNetworkAccessManager(this))
    , generator_(new AIScriptGenerationAgent(network_, this))
    , debugger_(new AIScriptDebuggingAgent(network_, this))
    , healer_(new HealingPipeline(network_, this))
    , keyStore_(new KeyStore(this))
    , environment_(new RenderEnvironmentAgent(this))
    , history_(new HistoryStore(this)) {
    qRegisterMetaType<omega::RenderResult>();
    qRegisterMetaType<omega::RenderProgress>();
    qRegisterMetaType<omega::SceneListResult>();
    qRegisterMetaType<omega::GenerationResult>();
    qRegisterMetaType<omega::FixResult>();
    qRegisterMetaType<omega::HealingResult>();
    qRegisterMetaType<omega::HealingAttempt>();
    // One container engine for both render paths: a warm container serves the manual renders
    // and the healing loop alike.
    auto* docker = new DockerAgent(this);
    agent_->setDockerAgent(docker);
    healer_->renderer()->setDockerAgent(docker);

    settings_ = StudioSettings::load();
    QString historyError;
    if (!history_->open(options.historyPath.isEmpty() ? HistoryStore::defaultPath()
                                                      : options.historyPath,
                        &historyError))
        logMessage(LogLevel::Warning, QString(),
                   tr("History is off for this session: %1").arg(historyError));

    buildUi();
    buildMenus();
    connectAgents();
    restoreLayout();
    applySettings();
    reloadProviders();

    bool opened = false;
    if (!options.scriptPath.isEmpty()) {
        opened = openScript(options.scriptPath);
    } else {
        // Restore the working copy of the example from last time: no lost work.
        const QFileInfo scratch(QDir(scratchDir()).filePath(QStringLiteral("welcome.py")));
        opened = openScript(scratch.exists() && scratch.size() > 0 ? scratch.filePath()
                                                                   : exampleScript());
    }
    if (!history_->isOpen() && !historyError.isEmpty())
        setStatus(StatusKind::Warning, tr("History is off: %1").arg(historyError));
    if (!QFileInfo(paths::renderPython()).isExecutable()) {
        // An installed app on its first run: no Manim yet. Offer to make it, then render.
        renderAfterSetup_ = opened && options.autoRender && settings_.renderOnOpen;
        QTimer::singleShot(0, this, &MainWindow::offerRenderEnvironment);
    } else if (opened && options.autoRender && settings_.renderOnOpen) {
        QTimer::singleShot(0, this, &MainWindow::startRender);
    }
}

MainWindow::~MainWindow() {
    editTimer_.stop();
    if (!savedText_.isNull() && !editor_->isStreaming())
        saveWorkingCopy();
    // The agents are children: their destructors stop any process they still own.
}

void MainWindow::buildUi() {
    setObjectName(QStringLiteral("OmegaStudioMainWindow"));
    setDockNestingEnabled(true);

    promptEditor_ = new PromptEditor(this);
    editor_ = new ScriptEditor(this);
    sceneBox_ = new QComboBox(this);
    qualityBox_ = new QComboBox(this);
    formatBox_ = new QComboBox(this);
    aspectBox_ = new QComboBox(this);
    renderButton_ = new QPushButton(this);
    fixButton_ = new QPushButton(tr("Fix with AI"), this);
    preview_ = new VideoPreview(this);
    progressBar_ = new QProgressBar(this);
    progressLabel_ = new QLabel(this);
    activity_ = new ActivityPanel(this);
    statusLabel_ = new ElidedLabel(this);
    backendLabel_ = new QLabel(this);
    versionLabel_ = new QLabel(this);

    // The pickers elide rather than widen the window (it must fit a 1366-pixel screen).
    for (QComboBox* box : {sceneBox_, qualityBox_, formatBox_, aspectBox_})
        box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    sceneBox_->setMinimumContentsLength(8);
    qualityBox_->setMinimumContentsLength(9);
    formatBox_->setMinimumContentsLength(4);
    aspectBox_->setMinimumContentsLength(4);
    sceneBox_->setToolTip(tr("The scene to render (found in the script as you type)"));
    sceneBox_->setPlaceholderText(tr("No scene"));
    for (Quality q : {Quality::Low, Quality::Medium, Quality::High, Quality::Production})
        qualityBox_->addItem(qualityLabel(q), qualityName(q));
    qualityBox_->setToolTip(tr("Render quality: low is fastest, for previews"));
    formatBox_->addItem(tr("MP4"), QStringLiteral("mp4"));
    formatBox_->addItem(tr("GIF"), QStringLiteral("gif"));
    formatBox_->addItem(tr("WebM"), QStringLiteral("webm"));
    formatBox_->addItem(tr("PNG (last frame)"), QStringLiteral("png"));
    formatBox_->setToolTip(tr("What the render produces"));
    aspectBox_->addItem(tr("16:9"), QStringLiteral("16:9"));
    aspectBox_->addItem(tr("9:16"), QStringLiteral("9:16"));
    aspectBox_->addItem(tr("1:1"), QStringLiteral("1:1"));
    aspectBox_->setToolTip(tr("Frame shape: landscape, portrait (shorts, reels) or square"));
    renderButton_->setDefault(true);
    renderButton_->setMinimumWidth(
        renderButton_->fontMetrics().horizontalAdvance(QStringLiteral("Cancel")) + 64);
    connect(renderButton_, &QPushButton::clicked, this, &MainWindow::toggleRender);
    fixButton_->setIcon(style()->standardIcon(QStyle::SP_DialogApplyButton));
    fixButton_->setToolTip(tr("Ask the AI provider to fix the error, then review the change"));
    fixButton_->setVisible(false);
    connect(fixButton_, &QPushButton::clicked, this, &MainWindow::fixWithAi);

    auto* sceneLabel = new QLabel(tr("&Scene"), this);
    sceneLabel->setBuddy(sceneBox_);
    auto* qualityLabelWidget = new QLabel(tr("&Quality"), this);
    qualityLabelWidget->setBuddy(qualityBox_);

    auto* controls = new QHBoxLayout;
    controls->setContentsMargins(0, 0, 0, 0);
    controls->addWidget(sceneLabel);
    controls->addWidget(sceneBox_, 1);
    controls->addSpacing(4);
    controls->addWidget(qualityLabelWidget);
    controls->addWidget(qualityBox_);
    controls->addWidget(formatBox_);
    controls->addWidget(aspectBox_);
    controls->addSpacing(6);
    controls->addWidget(fixButton_);
    controls->addWidget(renderButton_);

    auto* editorPane = new QWidget(this);
    auto* editorLayout = new QVBoxLayout(editorPane);
    editorLayout->setContentsMargins(0, 0, 0, 0);
    editorLayout->addLayout(controls);
    editorLayout->addWidget(editor_, 1);

    leftSplitter_ = new QSplitter(Qt::Vertical, this);
    leftSplitter_->setObjectName(QStringLiteral("leftSplitter"));
    leftSplitter_->addWidget(promptEditor_);
    leftSplitter_->addWidget(editorPane);
    leftSplitter_->setStretchFactor(0, 1);
    leftSplitter_->setStretchFactor(1, 4);
    leftSplitter_->setChildrenCollapsible(false);

    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(8, 8, 4, 4);
    leftLayout->addWidget(leftSplitter_);

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
    topSplitter_->setObjectName(QStringLiteral("topSplitter"));
    topSplitter_->addWidget(left);
    topSplitter_->addWidget(right);
    topSplitter_->setStretchFactor(0, 1);
    topSplitter_->setStretchFactor(1, 1);
    topSplitter_->setChildrenCollapsible(false);

    mainSplitter_ = new QSplitter(Qt::Vertical, this);
    mainSplitter_->setObjectName(QStringLiteral("mainSplitter"));
    mainSplitter_->addWidget(topSplitter_);
    mainSplitter_->addWidget(activity_);
    mainSplitter_->setStretchFactor(0, 3);
    mainSplitter_->setStretchFactor(1, 1);
    mainSplitter_->setChildrenCollapsible(false);
    setCentralWidget(mainSplitter_);

    historyPanel_ = new HistoryPanel(history_, this);
    historyDock_ = new QDockWidget(tr("History"), this);
    historyDock_->setObjectName(QStringLiteral("historyDock"));
    historyDock_->setWidget(historyPanel_);
    historyDock_->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable |
                              QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::LeftDockWidgetArea, historyDock_);

    statusBar()->addWidget(statusLabel_, 1);
    statusBar()->addPermanentWidget(backendLabel_);
    statusBar()->addPermanentWidget(versionLabel_);

    // A sensible first size: most of the screen, at most 1500×940.
    QSize size(1500, 940);
    if (const QScreen* screen = this->screen())
        size = size.boundedTo(screen->availableGeometry().size() * 0.92);
    resize(size);
    resizeDocks({historyDock_}, {240}, Qt::Horizontal);
    topSplitter_->setSizes({size.width() / 2, size.width() / 2});
    mainSplitter_->setSizes({size.height() * 3 / 4, size.height() / 4});
    leftSplitter_->setSizes({size.height() / 6, size.height() * 5 / 6});

    updateRenderControls();
    setStatus(StatusKind::Info, tr("Ready."));
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* newAction = file->addAction(tr("&New Script"), this, &MainWindow::newScript);
    newAction->setShortcut(QKeySequence::New);
    QAction* open = file->addAction(tr("&Open Script…"), this, &MainWindow::openScriptDialog);
    open->setShortcut(QKeySequence::Open);
    QAction* saveAs =
        file->addAction(tr("Save Script &As…"), this, &MainWindow::saveScriptAsDialog);
    saveAs->setShortcut(QKeySequence::SaveAs);
    file->addAction(tr("Open the &Welcome Example"), this, &MainWindow::openExample);
    file->addSeparator();
    file->addAction(tr("Create the Render &Environment"), this,
                    &MainWindow::createRenderEnvironment);
    file->addSeparator();
    QAction* settings = file->addAction(tr("&Settings…"), this, &MainWindow::showSettings);
    settings->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Comma));
    settings->setMenuRole(QAction::PreferencesRole);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* ai = menuBar()->addMenu(tr("&AI"));
    generateAction_ = ai->addAction(tr("&Generate from Prompt"), this, [this] {
        if (busy_ == Busy::Generating)
            stopGeneration();
        else
            generate(promptEditor_->prompt(), promptEditor_->selectedProvider(),
                     promptEditor_->model());
    });
    // Ctrl+Enter belongs to the prompt editor (a second shortcut here would make it ambiguous).
    generateAction_->setToolTip(tr("Ctrl+Enter in the prompt"));
    fixAction_ = ai->addAction(tr("&Fix with AI"), this, &MainWindow::fixWithAi);
    fixAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F));
    fixAction_->setEnabled(false);
    ai->addAction(tr("&Providers…"), this, [this] {
        showSettings();
        if (settingsDialog_)
            settingsDialog_->showPage(SettingsDialog::Providers);
    });

    QMenu* render = menuBar()->addMenu(tr("&Render"));
    renderAction_ = render->addAction(tr("&Render"), this, &MainWindow::toggleRender);
    renderAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    renderAction_->setShortcutContext(Qt::WindowShortcut);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    QAction* historyToggle = historyDock_->toggleViewAction();
    historyToggle->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_H));
    view->addAction(historyToggle);
    QAction* focusPrompt =
        view->addAction(tr("Focus the &Prompt"), this, [this] { promptEditor_->setFocus(); });
    focusPrompt->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    QAction* focusEditor =
        view->addAction(tr("Focus the &Editor"), this, [this] { editor_->setFocus(); });
    focusEditor->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* shortcuts =
        help->addAction(tr("&Keyboard Shortcuts"), this, &MainWindow::showShortcuts);
    shortcuts->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("&About Omega Studio"), this, [this] {
        auto* box = new QMessageBox(
            QMessageBox::Information, tr("About Omega Studio"),
            tr("<b>Omega Studio %1</b><br>Prompt → Manim CE %2 animation, with an editor, "
               "sandboxed rendering and a preview.")
                .arg(QApplication::applicationVersion(), QStringLiteral(OMEGA_MANIM_PIN)),
            QMessageBox::Ok, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });
    updateRenderControls();
}

void MainWindow::connectAgents() {
    editTimer_.setSingleShot(true);
    editTimer_.setInterval(kEditDebounceMs);
    connect(&editTimer_, &QTimer::timeout, this, &MainWindow::onIdleAfterEdit);
    connect(editor_, &ScriptEditor::textEdited, this, &MainWindow::onEdited);
    streamFlush_.setSingleShot(true);
    streamFlush_.setInterval(30);
    connect(&streamFlush_, &QTimer::timeout, this, &MainWindow::flushStream);
    connect(sceneFinder_, &SceneFinder::finished, this, &MainWindow::onScenesFound);

    connect(agent_, &ManimExecutionAgent::progressChanged, this, &MainWindow::onProgress);
    connect(agent_, &ManimExecutionAgent::finished, this, &MainWindow::onRenderFinished);
    // Container start-up (image lookup, a pull, a fresh container) is said in the status bar.
    for (ManimExecutionAgent* renderer : {agent_, healer_->renderer()}) {
        connect(renderer, &ManimExecutionAgent::containerProgress, this,
                [this](const QString&, const QString& line) {
                    if (isRendering())
                        setStatus(StatusKind::Busy, line);
                });
    }
    connect(agent_, &ManimExecutionAgent::notice, this,
            [this](const QString&, const QString& text) { setStatus(StatusKind::Warning, text); });

    connect(promptEditor_, &PromptEditor::generateRequested, this, &MainWindow::generate);
    connect(promptEditor_, &PromptEditor::historyChanged, this, [this] {
        QSettings settings(layoutFile(), QSettings::IniFormat);
        settings.setValue(QStringLiteral("prompts/history"), promptEditor_->history());
    });
    connect(promptEditor_, &PromptEditor::stopRequested, this, &MainWindow::stopGeneration);
    connect(promptEditor_, &PromptEditor::addProviderRequested, this, [this] {
        showSettings();
        if (settingsDialog_)
            settingsDialog_->showPage(SettingsDialog::Providers);
    });

    connect(generator_, &AIScriptGenerationAgent::providerStarted, this,
            [this](const QString&, const QString& provider, const QString& model) {
                setStatus(StatusKind::Busy, tr("Generating with %1 (%2)…").arg(provider, model));
                activity_->setStep(tr("Generating with %1 (%2)…").arg(provider, model));
            });
    connect(generator_, &AIScriptGenerationAgent::textDelta, this,
            [this](const QString&, const QString& text) {
                if (busy_ != Busy::Generating)
                    return;
                // A fast provider delivers hundreds of deltas in one read: they go to the editor
                // in one insert per 30 ms, not one each (each insert costs the editor ~0.2 ms).
                streamBuffer_ += fenceFilter_.feed(text);
                if (!streamBuffer_.isEmpty() && !streamFlush_.isActive())
                    streamFlush_.start();
            });
    connect(generator_, &AIScriptGenerationAgent::restarted, this,
            [this](const QString&, const QString& reason) {
                if (busy_ != Busy::Generating)
                    return;
                streamBuffer_.clear();
                // The answer starts again (a retry or the next provider): so does the editor.
                editor_->endStreaming(false);
                editor_->beginStreaming();
                fenceFilter_.reset();
                activity_->setStep(tr("Starting again: %1").arg(reason));
            });
    connect(generator_, &AIScriptGenerationAgent::finished, this,
            &MainWindow::onGenerationFinished);

    connect(debugger_, &AIScriptDebuggingAgent::finished, this, &MainWindow::onFixFinished);

    connect(environment_, &RenderEnvironmentAgent::progress, this,
            [this](const RenderEnvironmentProgress& progress) {
                progressBar_->setRange(0, 100);
                progressBar_->setValue(progress.percent);
                progressLabel_->setText(progress.activity);
                setStatus(StatusKind::Busy,
                          tr("Creating the render environment: %1").arg(progress.activity));
            });
    connect(environment_, &RenderEnvironmentAgent::finished, this,
            &MainWindow::onRenderEnvironmentFinished);

    connect(healer_, &HealingPipeline::renderProgress, this, &MainWindow::onProgress);
    connect(healer_, &HealingPipeline::stepChanged, this,
            [this](const QString&, const QString& description) {
                activity_->setStep(description);
                setStatus(StatusKind::Busy, description);
            });
    connect(healer_, &HealingPipeline::attemptFinished, this,
            [this](const QString& jobId, const HealingAttempt& attempt) {
                if (jobId != jobId_)
                    return;
                activity_->addAttempt(attempt);
                if (!attempt.rendered || attempt.error.isError())
                    editor_->setError(0, QString());
            });
    connect(healer_, &HealingPipeline::finished, this, &MainWindow::onHealingFinished);

    connect(preview_, &VideoPreview::exportFinished, this, [this](bool ok, const QString& message) {
        setStatus(ok ? StatusKind::Info : StatusKind::Error, message);
    });
    connect(preview_, &VideoPreview::openFolderFailed, this,
            [this](const QString& message) { setStatus(StatusKind::Error, message); });
    connect(activity_, &ActivityPanel::fixAccepted, this, &MainWindow::acceptFix);
    connect(activity_, &ActivityPanel::fixReverted, this, &MainWindow::revertFix);

    connect(historyPanel_, &HistoryPanel::reopenRequested, this,
            [this](qint64 entryId) { reopenHistoryEntry(entryId); });
    connect(historyPanel_, &HistoryPanel::rerunRequested, this, &MainWindow::rerunHistoryEntry);
    connect(historyPanel_, &HistoryPanel::deleteRequested, this,
            &MainWindow::onHistoryEntryDeleted);
}

void MainWindow::restoreLayout() {
    QSettings settings(layoutFile(), QSettings::IniFormat);
    promptEditor_->setHistory(settings.value(QStringLiteral("prompts/history")).toStringList());
    settings.beginGroup(QStringLiteral("window"));
    if (settings.value(QStringLiteral("layoutVersion")).toInt() != kLayoutVersion)
        return;
    restoreGeometry(settings.value(QStringLiteral("geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("state")).toByteArray(), kLayoutVersion);
    for (QSplitter* splitter : {mainSplitter_, topSplitter_, leftSplitter_})
        splitter->restoreState(settings.value(splitter->objectName()).toByteArray());
    setQuality(
        qualityFromName(settings.value(QStringLiteral("quality")).toString()).value_or(quality()));
    const int format = formatBox_->findData(settings.value(QStringLiteral("format")));
    if (format >= 0)
        formatBox_->setCurrentIndex(format);
    const int aspect = aspectBox_->findData(settings.value(QStringLiteral("aspect")));
    if (aspect >= 0)
        aspectBox_->setCurrentIndex(aspect);
    layoutRestored_ = true;
}

void MainWindow::saveLayout() {
    QSettings settings(layoutFile(), QSettings::IniFormat);
    settings.beginGroup(QStringLiteral("window"));
    settings.setValue(QStringLiteral("layoutVersion"), kLayoutVersion);
    settings.setValue(QStringLiteral("geometry"), saveGeometry());
    settings.setValue(QStringLiteral("state"), saveState(kLayoutVersion));
    for (QSplitter* splitter : {mainSplitter_, topSplitter_, leftSplitter_})
        settings.setValue(splitter->objectName(), splitter->saveState());
    settings.setValue(QStringLiteral("quality"), qualityName(quality()));
    settings.setValue(QStringLiteral("format"), formatBox_->currentData());
    settings.setValue(QStringLiteral("aspect"), aspectBox_->currentData());
}

void MainWindow::applySettings() {
    settings_ = StudioSettings::load();
    if (!layoutRestored_)
        setQuality(qualityFromName(settings_.defaultQuality).value_or(Quality::Medium));
    const RenderOptions options = renderOptions();
    QString backend = backendName(options.backend);
    if (options.backend == RenderBackend::Auto)
        backend = tr("auto (sandbox when available)");
    backendLabel_->setText(tr("Backend: %1").arg(backend));
    backendLabel_->setToolTip(tr("Where scripts run. Change it in Settings → Rendering."));
}

void MainWindow::reloadProviders() {
    const QList<ProviderConfig> configured = ProviderSettings::load();
    const QList<ProviderConfig> providers = providersByPriority(configured);
    promptEditor_->setProviders(providers);
    promptEditor_->setNoProviderHint(providers.isEmpty());
    if (history_->isOpen())
        history_->saveProviders(configured);
}

QList<ProviderConfig> MainWindow::providersFor(const QString& provider,
                                               const QString& model) const {
    QList<ProviderConfig> providers = providersByPriority(ProviderSettings::load());
    if (!provider.isEmpty()) {
        QList<ProviderConfig> chosen;
        for (const ProviderConfig& config : providers) {
            if (config.name == provider)
                chosen << config;
        }
        providers = chosen;
        if (!model.trimmed().isEmpty() && providers.size() == 1)
            providers.first().model = model.trimmed();
    }
    return providers;
}

void MainWindow::withKeys(const QList<ProviderConfig>& providers,
                          std::function<void(const QHash<QString, QString>&)> then) {
    const quint64 request = ++keyRequest_;
    auto* connection = new QMetaObject::Connection;
    *connection =
        connect(keyStore_, &KeyStore::allLooked, this,
                [this, request, connection, then](const QHash<QString, KeyLookup>& lookups) {
                    disconnect(*connection);
                    delete connection;
                    if (request != keyRequest_)
                        return; // stopped, or superseded
                    QHash<QString, QString> keys;
                    for (auto it = lookups.cbegin(); it != lookups.cend(); ++it) {
                        if (!it->key.isEmpty())
                            keys.insert(it.key(), it->key);
                        if (!it->note.isEmpty())
                            logMessage(LogLevel::Info, QString(), it->note);
                    }
                    then(keys);
                });
    keyStore_->lookupAll(providers);
}

RenderOptions MainWindow::renderOptions() const {
    RenderOptions options;
    options.scriptPath = workingPath_;
    options.quality = quality();
    options.format =
        formatFromName(formatBox_->currentData().toString()).value_or(OutputFormat::Mp4);
    if (options.format == OutputFormat::Png) {
        options.format = OutputFormat::Mp4;
        options.lastFrameOnly = true;
    }
    options.aspect =
        aspectFromName(aspectBox_->currentData().toString()).value_or(Aspect::Landscape16x9);
    options.backend = backendFromName(settings_.backend).value_or(RenderBackend::Auto);
    options.memoryLimitMb = settings_.memoryLimitMb;
    options.maxProcesses = settings_.maxProcesses;
    options.cpuTimeLimitSec = settings_.cpuTimeLimitSec;
    options.timeoutSec = settings_.renderTimeoutSec;
    options.engine =
        engineChoiceFromName(settings_.containerEngine).value_or(ContainerEngineChoice::Auto);
    options.image = settings_.containerImage;
    options.cpus = settings_.containerCpus;
    options.containerIdleSec = settings_.containerIdleMin * 60;
    return options;
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
    // A new piece of work: its history entry starts at its first render.
    entryId_ = 0;
    versionId_ = 0;
    versionCode_.clear();
    attemptNumber_ = 0;
    logMessage(LogLevel::Info, QString(),
               tr("Opened %1 (working copy %2)").arg(info.absoluteFilePath(), workingPath_));
    updateTitle();
    sceneBox_->clear();
    findScenes();
    setStatus(StatusKind::Info, tr("Opened %1.").arg(displayName_));
    return true;
}

bool MainWindow::saveWorkingCopy() {
    if (workingPath_.isEmpty())
        return false;
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

void MainWindow::setScriptText(const QString& text, bool undoable) {
    if (!undoable) {
        editor_->setText(text);
    } else {
        // One undoable step: Ctrl+Z brings the previous script back.
        QsciScintilla* sci = editor_->scintilla();
        const bool readOnly = sci->isReadOnly();
        sci->setReadOnly(false);
        sci->beginUndoAction();
        sci->selectAll(true);
        sci->replaceSelectedText(text);
        sci->endUndoAction();
        sci->setReadOnly(readOnly);
        sci->setCursorPosition(0, 0);
    }
    editTimer_.stop();
    saveWorkingCopy();
    updateTitle();
    findScenes();
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
    if (!workingPath_.isEmpty())
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
        if (error.scriptLine > 0)
            editor_->setError(error.scriptLine, error.message);
        if (!isBusy()) {
            QString text = error.message;
            if (!error.hint.isEmpty())
                text += QStringLiteral(" — ") + error.hint;
            setStatus(StatusKind::Warning, text, error.detail);
        }
        return;
    }
    if (statusKind_ == StatusKind::Warning && !isBusy()) {
        editor_->clearError();
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
    if (busy_ == Busy::SettingUp)
        environment_->cancel();
    else if (isRendering())
        cancelRender();
    else
        startRender();
}

void MainWindow::startRender() {
    if (isBusy() || workingPath_.isEmpty())
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

    RenderOptions options = renderOptions();
    renderingScene_ = sceneBox_->currentText();
    if (!renderingScene_.isEmpty())
        options.scenes << renderingScene_;
    renderedText_ = editor_->text();

    editor_->clearError();
    fixButton_->setVisible(false);
    fixAction_->setEnabled(false);
    activity_->clear();
    progressBar_->setRange(0, 0); // busy until manim reports its first animation
    progressLabel_->setText(tr("Starting Manim…"));
    setBusy(Busy::Rendering);
    const QString what = tr("Rendering %1 (%2)…")
                             .arg(renderingScene_.isEmpty() ? displayName_ : renderingScene_,
                                  qualityBox_->currentText());
    setStatus(StatusKind::Busy, what);
    activity_->setStep(what);
    const QString jobId = agent_->render(options);
    if (busy_ == Busy::Rendering) // finished() may already have been delivered
        jobId_ = jobId;
}

void MainWindow::cancelRender() {
    if (!isRendering())
        return;
    setStatus(StatusKind::Busy, tr("Cancelling the render…"));
    renderButton_->setEnabled(false);
    if (busy_ == Busy::Healing)
        healer_->cancel();
    else
        agent_->cancel();
}

void MainWindow::onProgress(const QString& jobId, const RenderProgress& progress) {
    if (!isRendering() || (!jobId_.isEmpty() && jobId != jobId_ && busy_ == Busy::Rendering))
        return;
    activity_->setRenderProgress(progress);
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
    if (busy_ != Busy::Rendering || (!jobId_.isEmpty() && result.result.jobId != jobId_))
        return;
    setBusy(Busy::None);
    jobId_.clear();
    progressBar_->setRange(0, 100);

    const double seconds = result.result.timings.elapsedMs / 1000.0;
    const bool firstVersion = versionId_ == 0;
    const qint64 versionId = recordVersion(renderedText_, firstVersion ? QStringLiteral("file")
                                                                       : QStringLiteral("edit"));
    // The attempts timeline shows manual renders too.
    if (result.result.status != ResultStatus::Cancelled) {
        HealingAttempt attempt;
        attempt.number = attemptNumber_ + 1;
        attempt.script = renderedText_;
        attempt.fixSource = QStringLiteral("original");
        attempt.rendered = true;
        attempt.error = result.result.error;
        attempt.renderMs = result.result.timings.elapsedMs;
        for (const SceneOutput& output : result.outputs)
            attempt.outputs << output.path;
        activity_->addAttempt(attempt);
    }
    if (result.result.ok() && !result.outputs.isEmpty())
        activity_->setRenderDone(tr("%1 · done in %2 s")
                                     .arg(result.outputs.constLast().scene)
                                     .arg(result.result.timings.elapsedMs / 1000.0, 0, 'f', 1));
    switch (result.result.status) {
    case ResultStatus::Ok:
        progressBar_->setValue(100);
        progressLabel_->setText(tr("Done in %1 s").arg(seconds, 0, 'f', 1));
        recordRender(result, versionId, QString(), QString(), 0);
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
        recordRender(result, versionId, QString(), QString(), 0);
        showError(result.result.error,
                  result.failedScene.isEmpty() ? displayName_ : result.failedScene);
        lastError_ = result.result.error;
        lastFailedScript_ = renderedText_;
        if (isCodeProblem(lastError_.category)) {
            fixButton_->setVisible(true);
            fixAction_->setEnabled(true);
        }
        break;
    }
    Q_EMIT renderFinished(result);
    if (closeAfterCancel_)
        QTimer::singleShot(0, this, &QWidget::close);
}

// --- Generation -------------------------------------------------------------------------------

void MainWindow::generate(const QString& prompt, const QString& provider, const QString& model) {
    if (isBusy()) {
        setStatus(StatusKind::Warning, tr("Wait for the current job to finish, or stop it first."));
        return;
    }
    if (prompt.trimmed().isEmpty()) {
        setStatus(StatusKind::Warning, tr("Write what the animation should show first."));
        return;
    }
    const QList<ProviderConfig> providers = providersFor(provider, model);
    if (providers.isEmpty()) {
        promptEditor_->setNoProviderHint(true);
        setStatus(StatusKind::Warning,
                  tr("No AI provider is set up. Add one in Settings → Providers (an API key, or "
                     "a local OpenAI-compatible server such as Ollama)."));
        return;
    }
    editTimer_.stop();
    saveWorkingCopy();
    generationPrompt_ = prompt;
    promptEditor_->addToHistory(prompt);
    fixButton_->setVisible(false);
    activity_->clear();
    activity_->setStep(tr("Looking up the API keys…"));
    setBusy(Busy::Generating);
    setStatus(StatusKind::Busy, tr("Generating…"));
    withKeys(providers, [this, prompt, providers](const QHash<QString, QString>& keys) {
        if (busy_ != Busy::Generating)
            return;
        generator_->setApiKeys(keys);
        editor_->beginStreaming();
        fenceFilter_.reset();
        jobId_ = generator_->generate(prompt, providers);
    });
}

void MainWindow::flushStream() {
    streamFlush_.stop();
    if (streamBuffer_.isEmpty() || !editor_->isStreaming())
        return;
    editor_->appendStreamed(std::exchange(streamBuffer_, QString()));
}

void MainWindow::stopGeneration() {
    if (busy_ == Busy::Generating) {
        ++keyRequest_; // a key lookup still under way is no longer wanted
        generator_->cancel();
        streamFlush_.stop();
        streamBuffer_.clear();
        if (editor_->isStreaming())
            editor_->endStreaming(false);
        jobId_.clear();
        setBusy(Busy::None);
        activity_->setStep(tr("Generation stopped."));
        setStatus(StatusKind::Info, tr("Generation stopped; the script is as it was."));
    } else if (busy_ == Busy::Fixing) {
        ++keyRequest_;
        debugger_->cancel();
        setBusy(Busy::None);
        setStatus(StatusKind::Info, tr("Fix request stopped."));
    }
}

void MainWindow::onGenerationFinished(const GenerationResult& result) {
    if (busy_ != Busy::Generating || result.result.jobId != jobId_)
        return;
    jobId_.clear();
    streamFlush_.stop();
    streamBuffer_.clear(); // the extracted script replaces the stream anyway
    setBusy(Busy::None);
    if (!result.result.ok()) {
        if (editor_->isStreaming())
            editor_->endStreaming(false);
        const ErrorReport& error = result.result.error;
        QString text = error.message;
        if (!error.hint.isEmpty())
            text += QStringLiteral(" — ") + error.hint;
        setStatus(StatusKind::Error, tr("Generation failed: %1").arg(text), error.detail);
        activity_->setStep(tr("Generation failed: %1").arg(error.message));
        Q_EMIT generationFinished(result);
        return;
    }
    // The editor showed the stream; the script is what the extractor took from the answer.
    editor_->endStreaming(result.script);

    // A new piece of work: its own working copy and history entry.
    const qint64 entry =
        history_->isOpen()
            ? history_->createEntry(titleFromPrompt(generationPrompt_), generationPrompt_)
            : 0;
    entryId_ = entry;
    versionId_ = 0;
    versionCode_.clear();
    attemptNumber_ = 0;
    const QString stem =
        entry > 0
            ? QStringLiteral("generated_%1").arg(entry)
            : QStringLiteral("generated_%1")
                  .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMddHHmmss")));
    workingPath_ = QDir(scratchDir()).filePath(stem + QStringLiteral(".py"));
    displayName_ = titleFromPrompt(generationPrompt_);
    savedText_ = QString();
    saveWorkingCopy();
    recordVersion(result.script, QStringLiteral("prompt"), result.provider, result.model,
                  qMax(0, result.usage.input), qMax(0, result.usage.output));
    updateTitle();
    setStatus(StatusKind::Info, tr("Generated by %1 (%2) in %3 s.")
                                    .arg(result.provider, result.model)
                                    .arg(result.latencyMs / 1000.0, 0, 'f', 1));
    Q_EMIT generationFinished(result);
    sceneBox_->clear();
    for (const QString& scene : result.sceneNames)
        sceneBox_->addItem(scene);
    // With a placeholder text, adding items leaves the combo on "no selection".
    sceneBox_->setCurrentIndex(sceneBox_->count() > 0 ? 0 : -1);
    sceneBox_->setEnabled(sceneBox_->count() > 0);
    findScenes();
    startHealingRender();
}

// --- Healing (after a generation) ---------------------------------------------------------------

void MainWindow::startHealingRender() {
    if (isBusy() || workingPath_.isEmpty())
        return;
    RenderOptions options = renderOptions();
    renderingScene_ = sceneBox_->currentText();
    if (!renderingScene_.isEmpty())
        options.scenes << renderingScene_;
    renderedText_ = editor_->text();

    HealingOptions healing;
    healing.maxAttempts = settings_.maxAttempts;
    healing.maxTokens = settings_.maxTokens;
    healing.maxWallTimeSec = settings_.maxWallTimeSec;
    healing.installPolicy.allowListed = !settings_.askBeforeInstall;
    healing.installPolicy.approved = approvedPackages_;
    healing.providers = providersFor(promptEditor_->selectedProvider(), promptEditor_->model());

    editor_->clearError();
    progressBar_->setRange(0, 0);
    progressLabel_->setText(tr("Checking the script…"));
    setBusy(Busy::Healing);
    setStatus(StatusKind::Busy, tr("Rendering %1…").arg(displayName_));
    withKeys(healing.providers, [this, options, healing](const QHash<QString, QString>& keys) {
        if (busy_ != Busy::Healing)
            return;
        HealingOptions withKeys = healing;
        withKeys.keys = keys;
        const QString jobId = healer_->start(options, withKeys);
        if (busy_ == Busy::Healing)
            jobId_ = jobId;
    });
}

void MainWindow::onHealingFinished(const HealingResult& result) {
    if (busy_ != Busy::Healing || (!jobId_.isEmpty() && result.result.jobId != jobId_))
        return;
    jobId_.clear();
    setBusy(Busy::None);
    progressBar_->setRange(0, 100);
    activity_->setAttemptsFinished(result);

    // Every version tried, with what happened to it.
    for (const HealingAttempt& attempt : result.attempts) {
        const qint64 versionId =
            recordVersion(attempt.script,
                          attempt.fixSource == QLatin1String("original") ? QStringLiteral("prompt")
                                                                         : attempt.fixSource,
                          attempt.fixSource == QLatin1String("ai") ? attempt.fixDetail : QString());
        if (!history_->isOpen() || entryId_ == 0)
            continue;
        HistoryAttempt row;
        row.entryId = entryId_;
        row.versionId = versionId;
        row.number = ++attemptNumber_;
        row.rendered = attempt.rendered;
        row.succeeded = attempt.rendered && !attempt.error.isError();
        row.errorCategory =
            attempt.error.isError() ? categoryName(attempt.error.category) : QString();
        row.errorMessage = attempt.error.message;
        row.errorLine = attempt.error.scriptLine;
        row.fixSource = attempt.fixSource;
        row.fixDetail = attempt.fixDetail;
        row.tokens = qMax(0, attempt.tokens.total);
        row.renderMs = attempt.renderMs;
        row.backend = backendName(result.render.backend);
        history_->addAttempt(row);
    }

    const RenderResult& render = result.render;
    if (result.result.ok()) {
        progressBar_->setValue(100);
        progressLabel_->setText(
            tr("Done in %1 s").arg(result.result.timings.elapsedMs / 1000.0, 0, 'f', 1));
        for (const SceneOutput& output : render.outputs)
            keepOutput(output, render.result.jobId);
        if (!render.outputs.isEmpty())
            activity_->setRenderDone(tr("%1 · done in %2 s")
                                         .arg(render.outputs.constLast().scene)
                                         .arg(result.result.timings.elapsedMs / 1000.0, 0, 'f', 1));
        showRenderOutput(render);
    } else if (result.result.status == ResultStatus::Cancelled) {
        progressBar_->setValue(0);
        progressLabel_->setText(tr("Cancelled"));
        setStatus(StatusKind::Info, tr("Render cancelled."));
    } else {
        progressBar_->setValue(0);
        progressLabel_->setText(tr("Failed"));
        showError(result.result.error, displayName_);
        lastError_ = result.result.error;
        lastFailedScript_ = result.finalScript;
        if (isCodeProblem(lastError_.category)) {
            fixButton_->setVisible(true);
            fixAction_->setEnabled(true);
        }
        // A package that needs the user's consent: ask, then heal again with it approved.
        static const QRegularExpression approval(QStringLiteral("--allow-install (\\S+)"));
        const QRegularExpressionMatch match = approval.match(result.result.error.hint);
        if (match.hasMatch() && result.result.status == ResultStatus::Failed) {
            const QString package = match.captured(1);
            auto* box = new QMessageBox(
                QMessageBox::Question, tr("Install a package?"),
                tr("The script imports a module from the package “%1”, which is on the allow "
                   "list. Install it (pinned) into Omega's own package folder and render "
                   "again?")
                    .arg(package),
                QMessageBox::Yes | QMessageBox::No, this);
            box->setAttribute(Qt::WA_DeleteOnClose);
            connect(box, &QMessageBox::finished, this, [this, package](int answer) {
                if (answer != QMessageBox::Yes)
                    return;
                approvedPackages_ << package;
                startHealingRender();
            });
            box->open();
        }
    }
    // The version that rendered differs from the editor's: show the change to accept.
    if (!result.finalScript.isEmpty() && !sameScript(result.finalScript, renderedText_) &&
        result.result.ok()) {
        fixBefore_ = renderedText_;
        fixAfter_ = result.finalScript;
        fixAlreadyRendered_ = true;
        activity_->showFix(fixBefore_, fixAfter_,
                           tr("Rendered after %n attempt(s): accept the fixed script?", nullptr,
                              int(result.attempts.size())));
        setStatus(StatusKind::Info,
                  tr("Rendered after %n attempt(s). Review the fix in the activity panel: Accept "
                     "puts it in the editor.",
                     nullptr, int(result.attempts.size())));
    }
    Q_EMIT renderFinished(render);
    if (closeAfterCancel_)
        QTimer::singleShot(0, this, &QWidget::close);
}

// --- Fix with AI ------------------------------------------------------------------------------

void MainWindow::fixWithAi() {
    if (isBusy() || !lastError_.isError() || lastFailedScript_.isEmpty())
        return;
    const QList<ProviderConfig> providers =
        providersFor(promptEditor_->selectedProvider(), promptEditor_->model());
    if (providers.isEmpty()) {
        promptEditor_->setNoProviderHint(true);
        setStatus(StatusKind::Warning,
                  tr("No AI provider is set up to fix the script. Add one in Settings → "
                     "Providers."));
        return;
    }
    setBusy(Busy::Fixing);
    activity_->setStep(
        tr("Asking for a fix of line %1: %2").arg(lastError_.scriptLine).arg(lastError_.message));
    setStatus(StatusKind::Busy, tr("Asking the AI for a fix…"));
    withKeys(providers, [this, providers](const QHash<QString, QString>& keys) {
        if (busy_ != Busy::Fixing)
            return;
        debugger_->setApiKeys(keys);
        FixRequest request;
        request.script = lastFailedScript_;
        request.error = lastError_;
        jobId_ = debugger_->fix(request, providers);
    });
}

void MainWindow::onFixFinished(const FixResult& result) {
    if (busy_ != Busy::Fixing)
        return;
    jobId_.clear();
    setBusy(Busy::None);
    if (!result.result.ok()) {
        const ErrorReport& error = result.result.error;
        setStatus(StatusKind::Error,
                  tr("No fix: %1%2")
                      .arg(error.message,
                           error.hint.isEmpty() ? QString() : QStringLiteral(" — ") + error.hint),
                  error.detail);
        activity_->setStep(tr("No fix: %1").arg(error.message));
        Q_EMIT fixReady(result);
        return;
    }
    fixBefore_ = lastFailedScript_;
    fixAfter_ = result.script;
    fixProvider_ = result.provider;
    fixModel_ = result.model;
    fixTokens_ = qMax(0, result.usage.total);
    fixAlreadyRendered_ = false;
    activity_->showFix(fixBefore_, fixAfter_,
                       tr("Fix by %1 (%2) for line %3: %4")
                           .arg(result.provider, result.model)
                           .arg(lastError_.scriptLine)
                           .arg(lastError_.message));
    setStatus(StatusKind::Info, tr("A fix is ready: review it and Accept to render it."));
    Q_EMIT fixReady(result);
}

void MainWindow::acceptFix() {
    if (fixAfter_.isEmpty())
        return;
    setScriptText(fixAfter_, true);
    if (fixAlreadyRendered_) {
        recordVersion(fixAfter_, QStringLiteral("ai"));
        setStatus(StatusKind::Info, tr("The fixed script is in the editor."));
        return;
    }
    recordVersion(fixAfter_, QStringLiteral("ai"), fixProvider_, fixModel_, 0, fixTokens_);
    fixButton_->setVisible(false);
    fixAction_->setEnabled(false);
    lastError_ = {};
    startRender();
}

void MainWindow::revertFix() {
    if (fixBefore_.isNull())
        return;
    if (isRendering())
        cancelRender();
    setScriptText(fixBefore_, true);
    setStatus(StatusKind::Info, tr("Back to the script before the fix."));
}

// --- Output -------------------------------------------------------------------------------------

QString MainWindow::keepOutput(const SceneOutput& output, const QString& jobId) {
    // The same output path is rewritten by the next render: the player and the history get a
    // copy with a name of its own, so the preview never shows a stale or half-written file.
    const QString folder =
        QDir(outputsDir()).filePath(entryId_ > 0 ? QString::number(entryId_) : QStringLiteral("0"));
    const QString copy = QDir(folder).filePath(
        QStringLiteral("%1-%2.%3").arg(output.scene, jobId, QFileInfo(output.path).suffix()));
    if (QFile::exists(copy))
        return copy;
    if (!paths::ensureDir(folder) || !QFile::copy(output.path, copy)) {
        logMessage(LogLevel::Warning, jobId,
                   tr("Cannot copy %1 to %2; previewing it in place").arg(output.path, copy));
        return output.path;
    }
    return copy;
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
    const QString shown = keepOutput(output, result.result.jobId);
    preview_->setExportBaseName(output.scene);
    if (output.stillImage)
        preview_->showImage(shown);
    else
        preview_->showVideo(shown);

    setStatus(StatusKind::Info,
              tr("Rendered %1 in %2 s%3.")
                  .arg(output.scene)
                  .arg(result.result.timings.elapsedMs / 1000.0, 0, 'f', 1)
                  .arg(output.stillImage ? tr(" (a still image: the scene has no animation)")
                                         : QString()),
              output.path);
    activity_->setStep(statusText());
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
    const QString annotation = text;
    if (!error.hint.isEmpty())
        text += QStringLiteral(" — ") + error.hint;
    setStatus(StatusKind::Error, text, error.detail);
    if (error.scriptLine > 0)
        editor_->setError(error.scriptLine, error.hint.isEmpty()
                                                ? annotation
                                                : annotation + QStringLiteral("\n") + error.hint);
    else
        editor_->clearError();
    activity_->setStep(text);
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
        activity_->addLogRecord(record);
    }
}

// --- History ------------------------------------------------------------------------------------

qint64 MainWindow::ensureHistoryEntry(const QString& title, const QString& prompt) {
    if (entryId_ > 0 || !history_->isOpen())
        return entryId_;
    entryId_ = history_->createEntry(title, prompt);
    return entryId_;
}

qint64 MainWindow::recordVersion(const QString& code, const QString& source,
                                 const QString& provider, const QString& model, int inputTokens,
                                 int outputTokens) {
    if (!history_->isOpen())
        return 0;
    if (ensureHistoryEntry(displayName_, QString()) == 0)
        return 0;
    if (versionId_ > 0 && code == versionCode_)
        return versionId_;
    HistoryVersion version;
    version.entryId = entryId_;
    version.source = source;
    version.code = code;
    version.provider = provider;
    version.model = model;
    version.inputTokens = inputTokens;
    version.outputTokens = outputTokens;
    const qint64 id = history_->addVersion(version);
    if (id > 0) {
        versionId_ = id;
        versionCode_ = code;
    }
    return id;
}

void MainWindow::recordRender(const RenderResult& result, qint64 versionId,
                              const QString& fixSource, const QString& fixDetail, int tokens) {
    if (!history_->isOpen() || entryId_ == 0)
        return;
    HistoryAttempt attempt;
    attempt.entryId = entryId_;
    attempt.versionId = versionId;
    attempt.number = ++attemptNumber_;
    attempt.rendered = true;
    attempt.succeeded = result.result.ok();
    const ErrorReport& error = result.result.error;
    attempt.errorCategory = error.isError() ? categoryName(error.category) : QString();
    attempt.errorMessage = error.message;
    attempt.errorLine = error.scriptLine;
    attempt.fixSource = fixSource;
    attempt.fixDetail = fixDetail;
    attempt.tokens = tokens;
    attempt.renderMs = result.result.timings.elapsedMs;
    attempt.backend = backendName(result.backend);
    history_->addAttempt(attempt);
    // The original system's Container records: which container ran it (never a key or env).
    if (!result.container.isEmpty())
        history_->recordContainer(result.container, settings_.containerEngine,
                                  settings_.containerImage.isEmpty() ? DockerAgent::localImageName()
                                                                     : settings_.containerImage,
                                  result.containerReused ? QStringLiteral("reused")
                                                         : QStringLiteral("started"));
    for (const SceneOutput& output : result.outputs) {
        HistoryOutput row;
        row.entryId = entryId_;
        row.versionId = versionId;
        row.scene = output.scene;
        row.path = keepOutput(output, result.result.jobId);
        row.quality = qualityName(quality());
        row.format = QFileInfo(output.path).suffix();
        history_->addOutput(row);
    }
}

bool MainWindow::reopenHistoryEntry(qint64 entryId) {
    if (isBusy()) {
        setStatus(StatusKind::Warning, tr("Wait for the current job to finish, or stop it first."));
        return false;
    }
    const std::optional<HistoryEntry> entry = history_->load(entryId);
    if (!entry || entry->versions.isEmpty()) {
        setStatus(StatusKind::Error, tr("That history entry has no script to open."));
        return false;
    }
    editTimer_.stop();
    saveWorkingCopy();
    const HistoryVersion& last = entry->versions.constLast();
    workingPath_ = QDir(scratchDir()).filePath(QStringLiteral("history_%1.py").arg(entryId));
    displayName_ = entry->summary.title;
    editor_->setText(last.code);
    savedText_ = QString();
    saveWorkingCopy();
    entryId_ = entryId;
    versionId_ = last.id;
    versionCode_ = last.code;
    attemptNumber_ = int(entry->attempts.size());
    if (!entry->summary.prompt.isEmpty())
        promptEditor_->setPrompt(entry->summary.prompt);
    activity_->clear();
    for (const HistoryAttempt& attempt : entry->attempts)
        activity_->setStep(HistoryStore::describeAttempt(attempt));
    // The latest output still on disk goes back into the preview.
    for (auto it = entry->outputs.crbegin(); it != entry->outputs.crend(); ++it) {
        if (!QFileInfo::exists(it->path))
            continue;
        if (it->format == QLatin1String("png"))
            preview_->showImage(it->path);
        else
            preview_->showVideo(it->path);
        break;
    }
    updateTitle();
    sceneBox_->clear();
    findScenes();
    setStatus(StatusKind::Info, tr("Reopened “%1” from the history.").arg(displayName_));
    return true;
}

void MainWindow::rerunHistoryEntry(qint64 entryId) {
    if (reopenHistoryEntry(entryId))
        startRender();
}

void MainWindow::onHistoryEntryDeleted(qint64 entryId) {
    QDir(QDir(outputsDir()).filePath(QString::number(entryId))).removeRecursively();
    if (entryId == entryId_) {
        entryId_ = 0;
        versionId_ = 0;
        versionCode_.clear();
        attemptNumber_ = 0;
    }
    setStatus(StatusKind::Info, tr("Deleted the history entry and its renders."));
}

// --- Dialogs ------------------------------------------------------------------------------------

void MainWindow::offerRenderEnvironment() {
    setStatus(StatusKind::Warning,
              tr("Manim is not installed yet: File → Create the Render Environment sets it up."));
    if (qEnvironmentVariableIntValue("OMEGA_NO_SETUP_PROMPT") != 0)
        return;
    auto* box = new QMessageBox(
        QMessageBox::Question, tr("Set up Manim"),
        tr("Omega Studio renders with Manim Community Edition %1 in a Python environment of its "
           "own (%2). It is not there yet. Create it now? This downloads about 150 MB from the "
           "Python Package Index and takes a few minutes; you can keep working meanwhile.")
            .arg(QStringLiteral(OMEGA_MANIM_PIN), paths::venvDir()),
        QMessageBox::Yes | QMessageBox::No, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this](int answer) {
        if (answer == QMessageBox::Yes)
            createRenderEnvironment();
    });
    box->open();
}

void MainWindow::createRenderEnvironment() {
    if (isBusy()) {
        setStatus(StatusKind::Warning, tr("Wait for the current job to finish, or stop it first."));
        return;
    }
    setBusy(Busy::SettingUp);
    progressBar_->setRange(0, 0);
    progressLabel_->setText(tr("Creating the render environment…"));
    setStatus(StatusKind::Busy, tr("Creating the render environment (Cancel stops it)…"));
    activity_->setStep(tr("Creating the render environment in %1").arg(paths::venvDir()));
    if (environment_->create().isEmpty()) {
        setBusy(Busy::None);
        setStatus(StatusKind::Warning, tr("The render environment is already being created."));
    }
}

void MainWindow::onRenderEnvironmentFinished(const RenderEnvironmentResult& result) {
    if (busy_ == Busy::SettingUp)
        setBusy(Busy::None);
    progressBar_->setRange(0, 100);
    if (result.result.ok()) {
        progressBar_->setValue(100);
        progressLabel_->setText(result.skipped ? tr("Up to date") : tr("Ready"));
        setStatus(StatusKind::Info,
                  result.skipped ? tr("The render environment is up to date.")
                                 : tr("The render environment is ready (%1).").arg(result.venvDir));
        findScenes();
        if (std::exchange(renderAfterSetup_, false))
            QTimer::singleShot(0, this, &MainWindow::startRender);
    } else {
        progressBar_->setValue(0);
        const ErrorReport& error = result.result.error;
        QString text = tr("Could not create the render environment: %1").arg(error.message);
        if (!error.hint.isEmpty())
            text += QStringLiteral(" — ") + error.hint;
        if (!result.missingAptPackages.isEmpty())
            text +=
                tr(" (sudo apt install %1)").arg(result.missingAptPackages.join(QLatin1Char(' ')));
        progressLabel_->setText(result.result.status == ResultStatus::Cancelled ? tr("Cancelled")
                                                                                : tr("Failed"));
        setStatus(result.result.status == ResultStatus::Cancelled ? StatusKind::Info
                                                                  : StatusKind::Error,
                  result.result.status == ResultStatus::Cancelled
                      ? tr("Stopped creating the render environment; nothing was left behind.")
                      : text,
                  error.detail);
    }
    Q_EMIT renderEnvironmentFinished(result);
    if (closeAfterCancel_)
        QTimer::singleShot(0, this, &QWidget::close);
}

void MainWindow::showSettings() {
    if (!settingsDialog_) {
        settingsDialog_ = new SettingsDialog(this);
        settingsDialog_->setAttribute(Qt::WA_DeleteOnClose);
        connect(settingsDialog_, &SettingsDialog::settingsApplied, this, [this] {
            applySettings();
            reloadProviders();
            setStatus(StatusKind::Info, tr("Settings saved."));
        });
    }
    settingsDialog_->show();
    settingsDialog_->raise();
    settingsDialog_->activateWindow();
}

void MainWindow::showShortcuts() {
    auto* dialog = new QDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Keyboard Shortcuts"));
    auto* table = new QTableWidget(dialog);
    table->setColumnCount(2);
    table->setHorizontalHeaderLabels({tr("Keys"), tr("Action")});
    const QList<std::pair<QString, QString>> rows = {
        {tr("Ctrl+Enter"), tr("Generate from the prompt (in the prompt editor)")},
        {tr("Esc"), tr("Stop generating (in the prompt editor)")},
        {tr("Up / Down"), tr("Earlier prompts (at the first / last line of the prompt)")},
        {tr("Ctrl+R"), tr("Render, or cancel the render")},
        {tr("Ctrl+Shift+F"), tr("Fix with AI after a failed render")},
        {tr("Ctrl+F / Ctrl+H"), tr("Find / replace in the script")},
        {tr("F3 / Shift+F3"), tr("Next / previous match")},
        {tr("Ctrl+Z / Ctrl+Shift+Z"), tr("Undo / redo (a whole generation is one step)")},
        {tr("Space"), tr("Play / pause the preview")},
        {tr(", / ."), tr("Previous / next frame of the preview")},
        {tr("Ctrl+L / Ctrl+E"), tr("Focus the prompt / the script editor")},
        {tr("Ctrl+Shift+H"), tr("Show or hide the history")},
        {tr("Ctrl+,"), tr("Settings")},
        {tr("Ctrl+O / Ctrl+Shift+S"), tr("Open a script / save a copy")},
        {tr("F1"), tr("This list")},
    };
    table->setRowCount(int(rows.size()));
    for (int i = 0; i < rows.size(); ++i) {
        table->setItem(i, 0, new QTableWidgetItem(rows.at(i).first));
        table->setItem(i, 1, new QTableWidgetItem(rows.at(i).second));
    }
    table->verticalHeader()->hide();
    table->horizontalHeader()->setStretchLastSection(true);
    table->resizeColumnToContents(0);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    auto* layout = new QVBoxLayout(dialog);
    layout->addWidget(table);
    layout->addWidget(buttons);
    dialog->resize(560, 480);
    dialog->open();
}

// --- State --------------------------------------------------------------------------------------

QString MainWindow::statusText() const {
    return statusLabel_->text();
}

void MainWindow::setStatus(StatusKind kind, const QString& text, const QString& toolTip) {
    statusKind_ = kind;
    statusLabel_->setText(text);
    statusLabel_->setToolTip(toolTip.isEmpty() ? text : toolTip);
    // Readable on light and dark palettes alike.
    const bool dark = palette().color(QPalette::Window).lightness() < 128;
    switch (kind) {
    case StatusKind::Error:
        statusLabel_->setStyleSheet(dark ? QStringLiteral("color: #ff7b72;")
                                         : QStringLiteral("color: #c9302c;"));
        break;
    case StatusKind::Warning:
        statusLabel_->setStyleSheet(dark ? QStringLiteral("color: #e3b341;")
                                         : QStringLiteral("color: #b36b00;"));
        break;
    case StatusKind::Info:
    case StatusKind::Busy:
        statusLabel_->setStyleSheet(QString());
        break;
    }
}

void MainWindow::setBusy(Busy busy) {
    busy_ = busy;
    promptEditor_->setBusy(busy == Busy::Generating || busy == Busy::Fixing);
    updateRenderControls();
}

void MainWindow::updateRenderControls() {
    const bool rendering = isRendering() || busy_ == Busy::SettingUp;
    const QString text = rendering ? tr("Cancel") : tr("Render");
    const QIcon icon =
        style()->standardIcon(rendering ? QStyle::SP_MediaStop : QStyle::SP_MediaPlay);
    renderButton_->setText(text);
    renderButton_->setIcon(icon);
    renderButton_->setEnabled(busy_ == Busy::None || rendering);
    renderButton_->setToolTip(rendering ? tr("Stop the render (Ctrl+R)")
                                        : tr("Render the scene (Ctrl+R)"));
    fixButton_->setEnabled(busy_ == Busy::None);
    if (renderAction_) {
        renderAction_->setText(rendering ? tr("&Cancel Render") : tr("&Render"));
        renderAction_->setIcon(icon);
        renderAction_->setEnabled(busy_ == Busy::None || rendering);
    }
    if (generateAction_)
        generateAction_->setText(busy_ == Busy::Generating ? tr("&Stop Generating")
                                                           : tr("&Generate from Prompt"));
}

void MainWindow::updateTitle() {
    const bool unsaved = editor_->text() != savedText_;
    setWindowTitle(
        tr("%1%2 — Omega Studio").arg(displayName_, unsaved ? QStringLiteral(" •") : QString()));
}

void MainWindow::openScriptDialog() {
    auto* dialog = new QFileDialog(this, tr("Open Script"), QString(),
                                   tr("Python scripts (*.py);;All files (*)"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setFileMode(QFileDialog::ExistingFile);
    connect(dialog, &QFileDialog::fileSelected, this, [this](const QString& path) {
        if (!path.isEmpty())
            openScript(path);
    });
    dialog->open();
}

void MainWindow::saveScriptAsDialog() {
    auto* dialog =
        new QFileDialog(this, tr("Save Script As"), displayName_, tr("Python scripts (*.py)"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setDefaultSuffix(QStringLiteral("py"));
    connect(dialog, &QFileDialog::fileSelected, this, [this](const QString& path) {
        if (path.isEmpty())
            return;
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(editor_->text().toUtf8()) < 0 ||
            !file.commit()) {
            setStatus(StatusKind::Error, tr("Cannot save %1: %2").arg(path, file.errorString()));
            return;
        }
        setStatus(StatusKind::Info, tr("Saved a copy as %1.").arg(path));
    });
    dialog->open();
}

void MainWindow::openExample() {
    openScript(exampleScript());
}

void MainWindow::newScript() {
    if (isBusy())
        return;
    editTimer_.stop();
    saveWorkingCopy();
    const QString stem =
        QStringLiteral("untitled_%1")
            .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd_HHmmss")));
    workingPath_ = QDir(scratchDir()).filePath(stem + QStringLiteral(".py"));
    displayName_ = stem + QStringLiteral(".py");
    editor_->setText(QStringLiteral("from manim import *\n\n\nclass MyScene(Scene):\n"
                                    "    def construct(self):\n        pass\n"));
    savedText_ = QString();
    saveWorkingCopy();
    entryId_ = 0;
    versionId_ = 0;
    versionCode_.clear();
    attemptNumber_ = 0;
    updateTitle();
    sceneBox_->clear();
    findScenes();
    editor_->setFocus();
}

void MainWindow::changeEvent(QEvent* event) {
    QMainWindow::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        setStatus(statusKind_, statusLabel_->text(), statusLabel_->toolTip());
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (isBusy()) {
        if (!closeAfterCancel_) {
            const auto stopAndClose = [this] {
                closeAfterCancel_ = true;
                if (busy_ == Busy::SettingUp) {
                    environment_->cancel(); // closes once it reports
                    return;
                }
                if (busy_ == Busy::Generating || busy_ == Busy::Fixing) {
                    stopGeneration();
                    QTimer::singleShot(0, this, &QWidget::close);
                    return;
                }
                cancelRender();
                QTimer::singleShot(kCloseFallbackMs, this, [this] {
                    busy_ = Busy::None;
                    close();
                });
            };
            if (qEnvironmentVariableIntValue("OMEGA_NO_CLOSE_PROMPT") != 0) {
                stopAndClose();
            } else {
                // Asked without a nested event loop: the answer arrives as a signal.
                auto* box = new QMessageBox(
                    QMessageBox::Question, tr("Work in progress"),
                    tr("A render or an AI request is still running. Stop it and close Omega "
                       "Studio?"),
                    QMessageBox::Yes | QMessageBox::No, this);
                box->setDefaultButton(QMessageBox::No);
                box->setAttribute(Qt::WA_DeleteOnClose);
                connect(box, &QMessageBox::finished, this, [this, stopAndClose](int answer) {
                    if (answer != QMessageBox::Yes)
                        return;
                    if (isBusy())
                        stopAndClose();
                    else
                        QTimer::singleShot(0, this, &QWidget::close);
                });
                box->open();
            }
        }
        event->ignore(); // closed once the agents report
        return;
    }
    editTimer_.stop();
    saveWorkingCopy();
    saveLayout();
    event->accept();
}

} // namespace omega::ui
