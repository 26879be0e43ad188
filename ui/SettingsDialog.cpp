#include "SettingsDialog.h"

#include "AgentResult.h"
#include "DependencyAgent.h"
#include "Paths.h"
#include "ProviderSettings.h"
#include "ProviderTester.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDesktopServices>
#include <QDialogButtonBox>
#include <QDir>
#include <QDirIterator>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QMenu>
#include <QMessageBox>
#include <QNetworkAccessManager>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QThread>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>

namespace omega::ui {

namespace {

const char* kOriginalTip = "omegaOriginalToolTip";
constexpr int kProviderPriorityStep = 10;

QString errorStyle() {
    return QStringLiteral("color: #b71c1c;");
}
QString okStyle() {
    return QStringLiteral("color: #1b5e20;");
}

QSpinBox* makeSpin(QWidget* parent, int max, const QString& suffix) {
    auto* spin = new QSpinBox(parent);
    // Wider than what is valid on purpose: out-of-range input is shown as a problem with its
    // message instead of being silently clamped.
    spin->setRange(-1000000, max);
    spin->setSuffix(suffix);
    spin->setAccelerated(true);
    return spin;
}

QString typeLabel(ProviderType type) {
    switch (type) {
    case ProviderType::Gemini:
        return QObject::tr("Google Gemini");
    case ProviderType::AzureOpenAI:
        return QObject::tr("Azure OpenAI");
    case ProviderType::OpenAI:
        return QObject::tr("OpenAI");
    case ProviderType::Anthropic:
        return QObject::tr("Anthropic");
    case ProviderType::OpenAICompatible:
        return QObject::tr("OpenAI-compatible server");
    }
    return QString();
}

// Names on the allow-list editor: one per line, blank lines and #comments ignored.
QStringList packageLines(const QString& text) {
    QStringList names;
    for (const QString& raw : text.split(QLatin1Char('\n'))) {
        const QString line = raw.trimmed();
        if (!line.isEmpty() && !line.startsWith(QLatin1Char('#')) && !names.contains(line))
            names << line;
    }
    return names;
}

bool hasControlOrSpace(const QString& text) {
    return std::any_of(text.cbegin(), text.cend(),
                       [](QChar c) { return c.isSpace() || c.category() == QChar::Other_Control; });
}

// True when `path` is strictly inside `root` (both resolved, symlinks included): the only
// places "Clear cache" may delete.
bool isStrictlyInside(const QString& path, const QString& root) {
    const QString canonicalRoot = QFileInfo(root).canonicalFilePath();
    const QString canonicalPath = QFileInfo(path).canonicalFilePath();
    if (canonicalRoot.isEmpty() || canonicalPath.isEmpty() || canonicalRoot == QLatin1String("/"))
        return false;
    return canonicalPath.startsWith(canonicalRoot + QLatin1Char('/'));
}

qint64 folderSize(const QString& path) {
    qint64 total = 0;
    QDirIterator it(path, QDir::Files | QDir::Hidden | QDir::System | QDir::NoSymLinks,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        total += it.fileInfo().size();
    }
    return total;
}

// The caches "Clear cache" empties: DATA/cache (the gate's Manim names) and the media folders
// when they are inside the data folder. A media folder elsewhere is the user's: left alone.
struct CacheFolders {
    QStringList clearable;
    QString mediaOutside; // the media root, when it is outside DATA
};

CacheFolders cacheFolders() {
    CacheFolders folders;
    const QString data = paths::dataDir();
    folders.clearable << QDir(data).filePath(QStringLiteral("cache"));
    const QString media = paths::mediaRootDir();
    if (QDir::cleanPath(media).startsWith(QDir::cleanPath(data) + QLatin1Char('/')))
        folders.clearable << media;
    else
        folders.mediaOutside = media;
    return folders;
}

} // namespace

SettingsDialog::SettingsDialog(QWidget* parent)
    : QDialog(parent)
    , keyStore_(new KeyStore(this))
    , network_(new QNetworkAccessManager(this))
    , tester_(new ProviderTester(network_, this)) {
    setWindowTitle(tr("Settings"));
    setObjectName(QStringLiteral("settingsDialog"));

    tabs_ = new QTabWidget(this);
    tabs_->addTab(buildProvidersPage(), tr("Providers"));
    tabs_->addTab(buildRenderingPage(), tr("Rendering"));
    tabs_->addTab(buildHealingPage(), tr("AI && healing"));
    tabs_->addTab(buildFoldersPage(), tr("Folders"));

    messageLabel_ = new QLabel(this);
    messageLabel_->setObjectName(QStringLiteral("settingsMessage"));
    messageLabel_->setWordWrap(true);
    messageLabel_->setTextFormat(Qt::PlainText);

    buttons_ = new QDialogButtonBox(
        QDialogButtonBox::Ok | QDialogButtonBox::Apply | QDialogButtonBox::Cancel, this);
    connect(buttons_, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(buttons_, &QDialogButtonBox::rejected, this, &SettingsDialog::reject);
    connect(applyButton(), &QPushButton::clicked, this, [this] { apply(false); });

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(tabs_);
    layout->addWidget(messageLabel_);
    layout->addWidget(buttons_);

    connect(
        keyStore_, &KeyStore::allLooked, this, [this](const QHash<QString, KeyLookup>& lookups) {
            for (ProviderEntry& entry : providers_) {
                const auto it = lookups.constFind(entry.config.name);
                if (it == lookups.constEnd())
                    continue;
                // Only whether and where a key exists is kept, never the key.
                entry.keyNote = it->note;
                switch (it->source) {
                case KeySource::Keychain:
                    entry.keyState = KeyState::Stored;
                    break;
                case KeySource::Environment:
                    entry.keyState = it->note.contains(QLatin1String("no key for"))
                                         ? KeyState::Environment
                                         : KeyState::Unreachable;
                    break;
                case KeySource::None:
                    entry.keyState = it->note.isEmpty() ? KeyState::None : KeyState::Unreachable;
                    break;
                }
            }
            keyStatesKnown_ = true;
            updateKeyWidgets();
        });
    connect(keyStore_, &KeyStore::stored, this, &SettingsDialog::onKeyWriteAnswered);
    connect(keyStore_, &KeyStore::removed, this, &SettingsDialog::onKeyWriteAnswered);
    connect(tester_, &ProviderTester::finished, this, &SettingsDialog::onTestFinished);

    loadFromDisk();
    resize(760, 560);
}

SettingsDialog::~SettingsDialog() {
    cancelTest();
}

// ---- pages ------------------------------------------------------------------------------------

QWidget* SettingsDialog::buildProvidersPage() {
    auto* page = new QWidget(this);
    providerList_ = new QListWidget(page);
    providerList_->setObjectName(QStringLiteral("providerList"));
    providerList_->setToolTip(tr("Providers are tried from the top; a checked one is enabled."));
    connect(providerList_, &QListWidget::currentRowChanged, this, &SettingsDialog::selectProvider);
    connect(providerList_, &QListWidget::itemChanged, this, [this](QListWidgetItem* item) {
        const int row = providerList_->row(item);
        if (updatingEditor_ || row < 0 || row >= providers_.size())
            return;
        providers_[row].config.enabled = item->checkState() == Qt::Checked;
        if (row == currentRow()) {
            updatingEditor_ = true;
            enabledBox_->setChecked(providers_[row].config.enabled);
            updatingEditor_ = false;
        }
        revalidate();
    });

    addProviderButton_ = new QPushButton(tr("Add"), page);
    auto* addMenu = new QMenu(addProviderButton_);
    for (ProviderType type : allProviderTypes())
        addMenu->addAction(typeLabel(type), this, [this, type] { addProvider(type); });
    addMenu->addSeparator();
    addMenu->addAction(tr("Local server (Ollama, llama.cpp, LM Studio)"), this,
                       [this] { addProvider(ProviderType::OpenAICompatible, true); });
    addProviderButton_->setMenu(addMenu);
    removeProviderButton_ = new QPushButton(tr("Remove"), page);
    moveUpButton_ = new QPushButton(tr("Up"), page);
    moveDownButton_ = new QPushButton(tr("Down"), page);
    moveUpButton_->setToolTip(tr("Try this provider earlier"));
    moveDownButton_->setToolTip(tr("Try this provider later"));
    connect(removeProviderButton_, &QPushButton::clicked, this,
            &SettingsDialog::removeSelectedProvider);
    connect(moveUpButton_, &QPushButton::clicked, this, [this] { moveProvider(-1); });
    connect(moveDownButton_, &QPushButton::clicked, this, [this] { moveProvider(+1); });

    auto* listButtons = new QHBoxLayout;
    listButtons->addWidget(addProviderButton_);
    listButtons->addWidget(removeProviderButton_);
    listButtons->addStretch();
    listButtons->addWidget(moveUpButton_);
    listButtons->addWidget(moveDownButton_);
    auto* listColumn = new QVBoxLayout;
    listColumn->addWidget(providerList_);
    listColumn->addLayout(listButtons);

    providerEditor_ = new QWidget(page);
    nameEdit_ = new QLineEdit(providerEditor_);
    nameEdit_->setObjectName(QStringLiteral("providerName"));
    typeBox_ = new QComboBox(providerEditor_);
    for (ProviderType type : allProviderTypes())
        typeBox_->addItem(typeLabel(type), providerTypeName(type));
    endpointEdit_ = new QLineEdit(providerEditor_);
    endpointEdit_->setObjectName(QStringLiteral("providerEndpoint"));
    deploymentEdit_ = new QLineEdit(providerEditor_);
    deploymentEdit_->setPlaceholderText(tr("the deployment's name in Azure"));
    apiVersionEdit_ = new QLineEdit(providerEditor_);
    apiVersionEdit_->setPlaceholderText(tr("empty: the v1 API"));
    modelEdit_ = new QLineEdit(providerEditor_);
    enabledBox_ = new QCheckBox(tr("Enabled"), providerEditor_);
    keyEdit_ = new QLineEdit(providerEditor_);
    keyEdit_->setObjectName(QStringLiteral("providerKey"));
    keyEdit_->setEchoMode(QLineEdit::Password);
    keyEdit_->setClearButtonEnabled(true);
    keyEdit_->setToolTip(tr("Type or paste a new key: it is saved in the keychain on OK or "
                            "Apply. A stored key is never shown."));
    removeKeyButton_ = new QPushButton(tr("Remove key"), providerEditor_);
    keyStatusLabel_ = new QLabel(providerEditor_);
    keyStatusLabel_->setWordWrap(true);
    testButton_ = new QPushButton(tr("Test connection"), providerEditor_);
    testResultLabel_ = new QLabel(providerEditor_);
    testResultLabel_->setObjectName(QStringLiteral("testResult"));
    testResultLabel_->setWordWrap(true);
    testResultLabel_->setTextFormat(Qt::PlainText);

    auto* keyRow = new QHBoxLayout;
    keyRow->addWidget(keyEdit_, 1);
    keyRow->addWidget(removeKeyButton_);
    auto* testRow = new QHBoxLayout;
    testRow->addWidget(testButton_);
    testRow->addWidget(testResultLabel_, 1);

    auto* form = new QFormLayout(providerEditor_);
    form->addRow(tr("Name"), nameEdit_);
    form->addRow(tr("Type"), typeBox_);
    form->addRow(tr("Endpoint"), endpointEdit_);
    deploymentLabel_ = new QLabel(tr("Deployment"), providerEditor_);
    form->addRow(deploymentLabel_, deploymentEdit_);
    apiVersionLabel_ = new QLabel(tr("API version"), providerEditor_);
    form->addRow(apiVersionLabel_, apiVersionEdit_);
    form->addRow(tr("Model"), modelEdit_);
    form->addRow(QString(), enabledBox_);
    form->addRow(tr("API key"), keyRow);
    form->addRow(QString(), keyStatusLabel_);
    form->addRow(testRow);

    for (QLineEdit* edit : {nameEdit_, endpointEdit_, deploymentEdit_, apiVersionEdit_, modelEdit_})
        connect(edit, &QLineEdit::textEdited, this, &SettingsDialog::providerFieldEdited);
    connect(enabledBox_, &QCheckBox::toggled, this, &SettingsDialog::providerFieldEdited);
    connect(typeBox_, &QComboBox::currentIndexChanged, this, &SettingsDialog::providerFieldEdited);
    connect(keyEdit_, &QLineEdit::textChanged, this, [this](const QString& text) {
        const int row = currentRow();
        if (updatingEditor_ || row < 0)
            return;
        providers_[row].pendingKey = text;
        if (!text.isEmpty())
            providers_[row].removeKey = false;
        updateKeyWidgets();
        revalidate();
    });
    connect(removeKeyButton_, &QPushButton::clicked, this, [this] {
        const int row = currentRow();
        if (row < 0)
            return;
        ProviderEntry& entry = providers_[row];
        if (!entry.pendingKey.isEmpty()) {
            // Only forget what was typed; the stored key (if any) stays until asked again.
            entry.pendingKey.clear();
        } else {
            entry.removeKey = true;
        }
        updatingEditor_ = true;
        keyEdit_->clear();
        updatingEditor_ = false;
        updateKeyWidgets();
        revalidate();
    });
    connect(testButton_, &QPushButton::clicked, this, &SettingsDialog::testConnection);

    auto* layout = new QHBoxLayout(page);
    layout->addLayout(listColumn, 2);
    layout->addWidget(providerEditor_, 3);
    fieldWidgets_.insert(QStringLiteral("providerName"), nameEdit_);
    fieldWidgets_.insert(QStringLiteral("providerEndpoint"), endpointEdit_);
    fieldWidgets_.insert(QStringLiteral("providerDeployment"), deploymentEdit_);
    fieldWidgets_.insert(QStringLiteral("providerModel"), modelEdit_);
    fieldWidgets_.insert(QStringLiteral("providerKey"), keyEdit_);
    return page;
}

QWidget* SettingsDialog::buildRenderingPage() {
    auto* page = new QWidget(this);
    backendBox_ = new QComboBox(page);
    backendBox_->addItem(tr("Auto (sandbox if available)"), QStringLiteral("auto"));
    backendBox_->addItem(tr("Sandbox (bubblewrap)"), QStringLiteral("sandbox"));
    backendBox_->addItem(tr("Docker/Podman container"), QStringLiteral("docker"));
    backendBox_->addItem(tr("Local (unsafe)"), QStringLiteral("local"));
    localWarning_ = new QLabel(
        tr("Local renders run the script unconfined, with your rights: it can read and change "
           "your files, use the network and start any program. Use it only for scripts you "
           "trust."),
        page);
    localWarning_->setObjectName(QStringLiteral("localWarning"));
    localWarning_->setWordWrap(true);
    localWarning_->setStyleSheet(errorStyle());
    engineBox_ = new QComboBox(page);
    engineBox_->addItem(tr("Auto (whichever is installed)"), QStringLiteral("auto"));
    engineBox_->addItem(QStringLiteral("Docker"), QStringLiteral("docker"));
    engineBox_->addItem(QStringLiteral("Podman"), QStringLiteral("podman"));
    imageEdit_ = new QLineEdit(page);
    imageEdit_->setPlaceholderText(tr("default render image"));
    memorySpin_ = makeSpin(page, 2000000, tr(" MB"));
    processesSpin_ = makeSpin(page, 1000000, QString());
    cpuTimeSpin_ = makeSpin(page, 10000000, tr(" s"));
    containerCpusSpin_ = new QDoubleSpinBox(page);
    containerCpusSpin_->setRange(0.0, 4096.0);
    containerCpusSpin_->setDecimals(2);
    containerCpusSpin_->setSingleStep(0.5);
    idleSpin_ = makeSpin(page, 100000, tr(" min"));
    renderTimeoutSpin_ = makeSpin(page, 10000000, tr(" s"));
    qualityBox_ = new QComboBox(page);
    qualityBox_->addItem(tr("Low (480p15)"), QStringLiteral("l"));
    qualityBox_->addItem(tr("Medium (720p30)"), QStringLiteral("m"));
    qualityBox_->addItem(tr("High (1080p60)"), QStringLiteral("h"));
    qualityBox_->addItem(tr("Production (1440p60)"), QStringLiteral("p"));
    qualityBox_->addItem(tr("4K (2160p60)"), QStringLiteral("k"));
    renderOnOpenBox_ = new QCheckBox(tr("Render the script when the window opens"), page);

    auto* form = new QFormLayout(page);
    form->addRow(tr("Backend"), backendBox_);
    form->addRow(QString(), localWarning_);
    form->addRow(tr("Container engine"), engineBox_);
    form->addRow(tr("Container image"), imageEdit_);
    form->addRow(tr("Memory limit"), memorySpin_);
    form->addRow(tr("Process limit"), processesSpin_);
    form->addRow(tr("CPU time limit"), cpuTimeSpin_);
    form->addRow(tr("Container CPUs"), containerCpusSpin_);
    form->addRow(tr("Stop an idle container after"), idleSpin_);
    form->addRow(tr("Render timeout (per scene)"), renderTimeoutSpin_);
    form->addRow(tr("Default quality"), qualityBox_);
    form->addRow(QString(), renderOnOpenBox_);

    connect(backendBox_, &QComboBox::currentIndexChanged, this,
            &SettingsDialog::updateBackendWidgets);
    for (QComboBox* box : {backendBox_, engineBox_, qualityBox_})
        connect(box, &QComboBox::currentIndexChanged, this, &SettingsDialog::revalidate);
    connect(imageEdit_, &QLineEdit::textChanged, this, &SettingsDialog::revalidate);
    for (QSpinBox* spin :
         {memorySpin_, processesSpin_, cpuTimeSpin_, idleSpin_, renderTimeoutSpin_})
        connect(spin, &QSpinBox::valueChanged, this, &SettingsDialog::revalidate);
    connect(containerCpusSpin_, &QDoubleSpinBox::valueChanged, this, &SettingsDialog::revalidate);

    fieldWidgets_.insert(QStringLiteral("backend"), backendBox_);
    fieldWidgets_.insert(QStringLiteral("containerEngine"), engineBox_);
    fieldWidgets_.insert(QStringLiteral("containerImage"), imageEdit_);
    fieldWidgets_.insert(QStringLiteral("memoryLimitMb"), memorySpin_);
    fieldWidgets_.insert(QStringLiteral("maxProcesses"), processesSpin_);
    fieldWidgets_.insert(QStringLiteral("cpuTimeLimitSec"), cpuTimeSpin_);
    fieldWidgets_.insert(QStringLiteral("containerCpus"), containerCpusSpin_);
    fieldWidgets_.insert(QStringLiteral("containerIdleMin"), idleSpin_);
    fieldWidgets_.insert(QStringLiteral("renderTimeoutSec"), renderTimeoutSpin_);
    fieldWidgets_.insert(QStringLiteral("defaultQuality"), qualityBox_);
    return page;
}

QWidget* SettingsDialog::buildHealingPage() {
    auto* page = new QWidget(this);
    attemptsSpin_ = makeSpin(page, 1000, QString());
    tokensSpin_ = makeSpin(page, 100000000, tr(" tokens"));
    tokensSpin_->setSingleStep(1000);
    wallTimeSpin_ = makeSpin(page, 10000000, tr(" s"));
    connectTimeoutSpin_ = makeSpin(page, 100000, tr(" s"));
    aiIdleSpin_ = makeSpin(page, 100000, tr(" s"));
    askBeforeInstallBox_ =
        new QCheckBox(tr("Ask before installing a package, even one on the allow list"), page);
    allowListEdit_ = new QPlainTextEdit(page);
    allowListEdit_->setObjectName(QStringLiteral("allowList"));
    allowListEdit_->setPlaceholderText(
        tr("more PyPI packages that may be installed, one per line"));

    auto* builtIn = new QPlainTextEdit(page);
    builtIn->setObjectName(QStringLiteral("builtInAllowList"));
    builtIn->setReadOnly(true);
    QString rulesError;
    const DependencyRules rules = DependencyRules::load(&rulesError);
    QStringList allowed(rules.allowed.cbegin(), rules.allowed.cend());
    allowed.sort();
    builtIn->setPlainText(rulesError.isEmpty()
                              ? allowed.join(QLatin1Char('\n'))
                              : tr("The dependency rules cannot be read: %1").arg(rulesError));
    builtIn->setToolTip(tr("Shipped with Omega (resources/dependencies/policy.json)"));

    auto* lists = new QHBoxLayout;
    auto* userColumn = new QVBoxLayout;
    userColumn->addWidget(new QLabel(tr("Also allow"), page));
    userColumn->addWidget(allowListEdit_);
    auto* builtInColumn = new QVBoxLayout;
    builtInColumn->addWidget(new QLabel(tr("Allowed already (built in)"), page));
    builtInColumn->addWidget(builtIn);
    lists->addLayout(userColumn);
    lists->addLayout(builtInColumn);

    auto* form = new QFormLayout;
    form->addRow(tr("Attempts"), attemptsSpin_);
    form->addRow(tr("Token cap (whole run)"), tokensSpin_);
    form->addRow(tr("Time limit (whole run)"), wallTimeSpin_);
    form->addRow(tr("AI connect timeout"), connectTimeoutSpin_);
    form->addRow(tr("AI idle timeout"), aiIdleSpin_);
    form->addRow(QString(), askBeforeInstallBox_);

    auto* layout = new QVBoxLayout(page);
    layout->addLayout(form);
    layout->addLayout(lists, 1);

    for (QSpinBox* spin :
         {attemptsSpin_, tokensSpin_, wallTimeSpin_, connectTimeoutSpin_, aiIdleSpin_})
        connect(spin, &QSpinBox::valueChanged, this, &SettingsDialog::revalidate);
    connect(allowListEdit_, &QPlainTextEdit::textChanged, this, &SettingsDialog::revalidate);

    fieldWidgets_.insert(QStringLiteral("maxAttempts"), attemptsSpin_);
    fieldWidgets_.insert(QStringLiteral("maxTokens"), tokensSpin_);
    fieldWidgets_.insert(QStringLiteral("maxWallTimeSec"), wallTimeSpin_);
    fieldWidgets_.insert(QStringLiteral("aiConnectTimeoutSec"), connectTimeoutSpin_);
    fieldWidgets_.insert(QStringLiteral("aiIdleTimeoutSec"), aiIdleSpin_);
    fieldWidgets_.insert(QStringLiteral("extraAllowedPackages"), allowListEdit_);
    return page;
}

QWidget* SettingsDialog::buildFoldersPage() {
    auto* page = new QWidget(this);
    mediaEdit_ = new QLineEdit(page);
    mediaEdit_->setObjectName(QStringLiteral("mediaFolder"));
    mediaEdit_->setPlaceholderText(
        QDir::toNativeSeparators(QDir(paths::dataDir()).filePath(QStringLiteral("media"))));
    auto* browse = new QPushButton(tr("Browse…"), page);
    connect(browse, &QPushButton::clicked, this, &SettingsDialog::browseMediaFolder);
    connect(mediaEdit_, &QLineEdit::textChanged, this, &SettingsDialog::revalidate);
    auto* mediaRow = new QHBoxLayout;
    mediaRow->addWidget(mediaEdit_, 1);
    mediaRow->addWidget(browse);

    auto* dataLabel = new QLabel(QDir::toNativeSeparators(paths::dataDir()), page);
    dataLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* openData = new QPushButton(tr("Open data folder"), page);
    connect(openData, &QPushButton::clicked, this, &SettingsDialog::openDataFolder);
    auto* dataRow = new QHBoxLayout;
    dataRow->addWidget(dataLabel, 1);
    dataRow->addWidget(openData);

    cacheSizeLabel_ = new QLabel(tr("measuring…"), page);
    cacheSizeLabel_->setObjectName(QStringLiteral("cacheSize"));
    cacheSizeLabel_->setWordWrap(true);
    clearCacheButton_ = new QPushButton(tr("Clear cache"), page);
    connect(clearCacheButton_, &QPushButton::clicked, this, &SettingsDialog::clearCache);
    auto* cacheRow = new QHBoxLayout;
    cacheRow->addWidget(cacheSizeLabel_, 1);
    cacheRow->addWidget(clearCacheButton_);

    auto* form = new QFormLayout(page);
    form->addRow(tr("Media folder"), mediaRow);
    form->addRow(tr("Data folder"), dataRow);
    form->addRow(tr("Cache"), cacheRow);
    fieldWidgets_.insert(QStringLiteral("mediaRoot"), mediaEdit_);
    return page;
}

// ---- loading ----------------------------------------------------------------------------------

void SettingsDialog::loadFromDisk() {
    showSettings(StudioSettings::load());
    QList<ProviderConfig> loaded = ProviderSettings::load();
    std::stable_sort(
        loaded.begin(), loaded.end(),
        [](const ProviderConfig& a, const ProviderConfig& b) { return a.priority < b.priority; });
    providers_.clear();
    for (const ProviderConfig& config : loaded) {
        ProviderEntry entry;
        entry.config = config;
        entry.saved = true;
        providers_ << entry;
    }
    refreshProviderList();
    providerList_->setCurrentRow(providers_.isEmpty() ? -1 : 0);
    showProviderEditor();
    lookUpKeys();
    refreshCacheSize();
    revalidate();
}

void SettingsDialog::lookUpKeys() {
    keyStatesKnown_ = false;
    QList<ProviderConfig> configs;
    for (ProviderEntry& entry : providers_) {
        entry.keyState = KeyState::Unknown;
        configs << entry.config;
    }
    updateKeyWidgets();
    keyStore_->lookupAll(configs);
}

void SettingsDialog::showSettings(const StudioSettings& s) {
    backendBox_->setCurrentIndex(std::max(0, backendBox_->findData(s.backend)));
    engineBox_->setCurrentIndex(std::max(0, engineBox_->findData(s.containerEngine)));
    imageEdit_->setText(s.containerImage);
    memorySpin_->setValue(s.memoryLimitMb);
    processesSpin_->setValue(s.maxProcesses);
    cpuTimeSpin_->setValue(s.cpuTimeLimitSec);
    containerCpusSpin_->setValue(s.containerCpus);
    idleSpin_->setValue(s.containerIdleMin);
    renderTimeoutSpin_->setValue(s.renderTimeoutSec);
    qualityBox_->setCurrentIndex(std::max(0, qualityBox_->findData(s.defaultQuality)));
    renderOnOpenBox_->setChecked(s.renderOnOpen);
    attemptsSpin_->setValue(s.maxAttempts);
    tokensSpin_->setValue(s.maxTokens);
    wallTimeSpin_->setValue(s.maxWallTimeSec);
    connectTimeoutSpin_->setValue(s.aiConnectTimeoutSec);
    aiIdleSpin_->setValue(s.aiIdleTimeoutSec);
    askBeforeInstallBox_->setChecked(s.askBeforeInstall);
    allowListEdit_->setPlainText(s.extraAllowedPackages.join(QLatin1Char('\n')));
    mediaEdit_->setText(s.mediaRoot);
    updateBackendWidgets();
}

StudioSettings SettingsDialog::currentSettings() const {
    StudioSettings s;
    s.backend = backendBox_->currentData().toString();
    s.containerEngine = engineBox_->currentData().toString();
    s.containerImage = imageEdit_->text().trimmed();
    s.memoryLimitMb = memorySpin_->value();
    s.maxProcesses = processesSpin_->value();
    s.cpuTimeLimitSec = cpuTimeSpin_->value();
    s.containerCpus = containerCpusSpin_->value();
    s.containerIdleMin = idleSpin_->value();
    s.renderTimeoutSec = renderTimeoutSpin_->value();
    s.defaultQuality = qualityBox_->currentData().toString();
    s.renderOnOpen = renderOnOpenBox_->isChecked();
    s.maxAttempts = attemptsSpin_->value();
    s.maxTokens = tokensSpin_->value();
    s.maxWallTimeSec = wallTimeSpin_->value();
    s.aiConnectTimeoutSec = connectTimeoutSpin_->value();
    s.aiIdleTimeoutSec = aiIdleSpin_->value();
    s.askBeforeInstall = askBeforeInstallBox_->isChecked();
    s.extraAllowedPackages = packageLines(allowListEdit_->toPlainText());
    const QString media = mediaEdit_->text().trimmed();
    s.mediaRoot = media.isEmpty() ? QString() : QDir::cleanPath(media);
    return s;
}

QList<ProviderConfig> SettingsDialog::currentProviders() const {
    const StudioSettings settings = currentSettings();
    QList<ProviderConfig> configs;
    for (int i = 0; i < providers_.size(); ++i) {
        ProviderConfig config = providers_.at(i).config;
        config.priority = (i + 1) * kProviderPriorityStep; // the list's order is the priority
        settings.applyTo(&config);
        configs << config;
    }
    return configs;
}

// ---- providers --------------------------------------------------------------------------------

int SettingsDialog::currentRow() const {
    const int row = providerList_->currentRow();
    return row >= 0 && row < providers_.size() ? row : -1;
}

void SettingsDialog::refreshProviderList() {
    updatingEditor_ = true;
    const int keep = providerList_->currentRow();
    providerList_->clear();
    for (const ProviderEntry& entry : std::as_const(providers_)) {
        auto* item = new QListWidgetItem(
            QStringLiteral("%1 (%2)").arg(entry.config.name, providerTypeName(entry.config.type)),
            providerList_);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(entry.config.enabled ? Qt::Checked : Qt::Unchecked);
    }
    providerList_->setCurrentRow(std::min(keep, int(providers_.size()) - 1));
    updatingEditor_ = false;
}

void SettingsDialog::selectProvider(int) {
    if (updatingEditor_)
        return;
    cancelTest();
    testResultLabel_->clear();
    showProviderEditor();
    revalidate();
}

void SettingsDialog::showProviderEditor() {
    const int row = currentRow();
    providerEditor_->setEnabled(row >= 0);
    removeProviderButton_->setEnabled(row >= 0);
    moveUpButton_->setEnabled(row > 0);
    moveDownButton_->setEnabled(row >= 0 && row < providers_.size() - 1);
    updatingEditor_ = true;
    const ProviderEntry entry = row >= 0 ? providers_.at(row) : ProviderEntry();
    const ProviderConfig& c = entry.config;
    nameEdit_->setText(row >= 0 ? c.name : QString());
    // The name is the keychain entry's name: fixed once saved (add a new provider to rename).
    nameEdit_->setReadOnly(entry.saved);
    nameEdit_->setToolTip(entry.saved ? tr("The name of a saved provider is its keychain "
                                           "entry's name and cannot change; add a new provider "
                                           "to use another name.")
                                      : QString());
    typeBox_->setCurrentIndex(std::max(0, typeBox_->findData(providerTypeName(c.type))));
    endpointEdit_->setText(c.endpoint);
    endpointEdit_->setPlaceholderText(c.type == ProviderType::AzureOpenAI
                                          ? QStringLiteral("https://RESOURCE.openai.azure.com")
                                          : defaultProviderConfig(c.type).endpoint);
    deploymentEdit_->setText(c.deployment);
    apiVersionEdit_->setText(c.apiVersion);
    modelEdit_->setText(c.model);
    enabledBox_->setChecked(row < 0 || c.enabled);
    keyEdit_->setText(entry.pendingKey); // only ever what the user typed in this dialog
    const bool azure = c.type == ProviderType::AzureOpenAI;
    for (QWidget* w :
         {static_cast<QWidget*>(deploymentLabel_), static_cast<QWidget*>(deploymentEdit_),
          static_cast<QWidget*>(apiVersionLabel_), static_cast<QWidget*>(apiVersionEdit_)})
        w->setVisible(azure);
    modelEdit_->setPlaceholderText(azure ? tr("optional: the deployment decides") : QString());
    updatingEditor_ = false;
    updateKeyWidgets();
}

void SettingsDialog::providerFieldEdited() {
    const int row = currentRow();
    if (updatingEditor_ || row < 0)
        return;
    ProviderConfig& c = providers_[row].config;
    const ProviderType oldType = c.type;
    const ProviderType newType =
        providerTypeFromName(typeBox_->currentData().toString()).value_or(c.type);
    if (newType != oldType) {
        // Fields still at the old type's defaults follow the new type's.
        const ProviderConfig oldDefaults = defaultProviderConfig(oldType);
        const ProviderConfig newDefaults = defaultProviderConfig(newType);
        c.type = newType;
        if (c.endpoint == oldDefaults.endpoint)
            c.endpoint = newDefaults.endpoint;
        if (c.model == oldDefaults.model)
            c.model = newDefaults.model;
        if (c.apiVersion == oldDefaults.apiVersion)
            c.apiVersion = newDefaults.apiVersion;
        refreshProviderList();
        showProviderEditor();
        revalidate();
        return;
    }
    if (!providers_[row].saved)
        c.name = nameEdit_->text().trimmed();
    c.endpoint = endpointEdit_->text().trimmed();
    c.deployment = deploymentEdit_->text().trimmed();
    c.apiVersion = apiVersionEdit_->text().trimmed();
    c.model = modelEdit_->text().trimmed();
    c.enabled = enabledBox_->isChecked();
    if (QListWidgetItem* item = providerList_->item(row)) {
        updatingEditor_ = true;
        item->setText(QStringLiteral("%1 (%2)").arg(c.name, providerTypeName(c.type)));
        item->setCheckState(c.enabled ? Qt::Checked : Qt::Unchecked);
        updatingEditor_ = false;
    }
    revalidate();
}

void SettingsDialog::updateKeyWidgets() {
    const int row = currentRow();
    if (row < 0) {
        keyEdit_->setPlaceholderText(QString());
        keyStatusLabel_->clear();
        removeKeyButton_->setEnabled(false);
        return;
    }
    const ProviderEntry& entry = providers_.at(row);
    const QString envName = keyEnvironmentVariable(entry.config.type);
    QString placeholder;
    QString status;
    if (entry.removeKey) {
        placeholder = tr("removed from the keychain on OK or Apply");
        status = tr("The stored key will be removed when you press OK or Apply.");
    } else {
        switch (entry.keyState) {
        case KeyState::Unknown:
            placeholder = tr("checking the keychain…");
            break;
        case KeyState::Stored:
            placeholder = tr("stored in the keychain");
            status = tr("A key is stored in the keychain. Type a new one to replace it.");
            break;
        case KeyState::Environment:
            placeholder = tr("from %1").arg(envName);
            status = tr("No key in the keychain; %1 is used. Type a key to store it in the "
                        "keychain.")
                         .arg(envName);
            break;
        case KeyState::None:
            placeholder = providerRequiresKey(entry.config.type)
                              ? tr("no key yet: type or paste it here")
                              : tr("none (most local servers need no key)");
            break;
        case KeyState::Unreachable:
            placeholder = tr("keychain not reachable");
            status = tr("The keychain cannot be used: %1. Unlock or start your keyring (GNOME "
                        "Keyring, KWallet), then reopen Settings; until then keys come from %2.")
                         .arg(entry.keyNote, envName);
            break;
        }
    }
    if (!entry.pendingKey.isEmpty())
        status = tr("The new key will be saved in the keychain when you press OK or Apply.");
    keyEdit_->setPlaceholderText(placeholder);
    keyStatusLabel_->setText(status);
    removeKeyButton_->setEnabled(!entry.pendingKey.isEmpty() ||
                                 (entry.keyState == KeyState::Stored && !entry.removeKey));
}

QString SettingsDialog::uniqueProviderName(const QString& base) const {
    auto taken = [this](const QString& name) {
        return std::any_of(providers_.cbegin(), providers_.cend(), [&](const ProviderEntry& e) {
            return e.config.name.compare(name, Qt::CaseInsensitive) == 0;
        });
    };
    if (!taken(base))
        return base;
    for (int n = 2;; ++n) {
        const QString candidate = QStringLiteral("%1-%2").arg(base).arg(n);
        if (!taken(candidate))
            return candidate;
    }
}

void SettingsDialog::addProvider(ProviderType type, bool localPreset) {
    ProviderEntry entry;
    const QString base = localPreset ? QStringLiteral("local") : providerTypeName(type);
    entry.config = defaultProviderConfig(type, uniqueProviderName(base));
    if (localPreset)
        entry.config.endpoint = QStringLiteral("http://127.0.0.1:11434/v1");
    entry.keyState = KeyState::None;
    providers_ << entry;
    refreshProviderList();
    providerList_->setCurrentRow(int(providers_.size()) - 1);
    showProviderEditor();
    revalidate();
}

void SettingsDialog::removeSelectedProvider() {
    const int row = currentRow();
    if (row < 0)
        return;
    cancelTest();
    const ProviderEntry entry = providers_.takeAt(row);
    if (entry.saved)
        removedKeyNames_ << entry.config.name;
    refreshProviderList();
    providerList_->setCurrentRow(std::min(row, int(providers_.size()) - 1));
    showProviderEditor();
    revalidate();
}

void SettingsDialog::moveProvider(int delta) {
    const int row = currentRow();
    const int target = row + delta;
    if (row < 0 || target < 0 || target >= providers_.size())
        return;
    providers_.swapItemsAt(row, target);
    refreshProviderList();
    providerList_->setCurrentRow(target);
    showProviderEditor();
}

// ---- Test connection ----------------------------------------------------------------------

void SettingsDialog::cancelTest() {
    ++testGeneration_;
    tester_->cancel();
    testButton_->setEnabled(true);
}

void SettingsDialog::testConnection() {
    const int row = currentRow();
    if (row < 0)
        return;
    cancelTest();
    const int generation = testGeneration_;
    const ProviderEntry& entry = providers_.at(row);
    ProviderConfig config = entry.config;
    StudioSettings timeouts = currentSettings();
    timeouts.aiConnectTimeoutSec = std::clamp(timeouts.aiConnectTimeoutSec, 1, 600);
    timeouts.aiIdleTimeoutSec = std::clamp(timeouts.aiIdleTimeoutSec, 1, 3600);
    timeouts.applyTo(&config);
    const QString problem = validateProviderConfig(config);
    if (!problem.isEmpty()) {
        testResultLabel_->setStyleSheet(errorStyle());
        testResultLabel_->setText(tr("Cannot test: %1.").arg(problem));
        return;
    }
    testButton_->setEnabled(false);
    testResultLabel_->setStyleSheet(QString());
    testResultLabel_->setText(tr("Testing %1…").arg(config.endpoint));
    const QString typed = entry.pendingKey.trimmed();
    if (!typed.isEmpty() || entry.removeKey) {
        tester_->test(config, typed);
        return;
    }
    // The stored key goes from the keychain straight to the request, never into a widget.
    auto* lookup = new KeyStore(this);
    connect(lookup, &KeyStore::looked, this,
            [this, lookup, config, generation](const KeyLookup& found) {
                lookup->deleteLater();
                if (generation != testGeneration_)
                    return;
                if (found.key.isEmpty() && providerRequiresKey(config.type)) {
                    testButton_->setEnabled(true);
                    testResultLabel_->setStyleSheet(errorStyle());
                    testResultLabel_->setText(
                        found.note.isEmpty()
                            ? tr("No API key for %1: type it in the API key field, then test "
                                 "again.")
                                  .arg(config.name)
                            : tr("No API key for %1 (%2): type it in the API key field, then "
                                 "test again.")
                                  .arg(config.name, found.note));
                    return;
                }
                tester_->test(config, found.key);
            });
    lookup->lookup(config);
}

void SettingsDialog::onTestFinished(const AgentResult& result, const QString& detail) {
    testButton_->setEnabled(true);
    if (result.ok()) {
        testResultLabel_->setStyleSheet(okStyle());
        testResultLabel_->setText(tr("Connected: %1.").arg(detail));
        return;
    }
    QString hint;
    switch (result.error.category) {
    case ErrorCategory::ProviderAuth:
        hint = tr("The key was refused: type the right key in the API key field and test again.");
        break;
    case ErrorCategory::NoProvider:
        hint = tr("Type the key in the API key field and test again.");
        break;
    case ErrorCategory::ProviderNotFound:
        hint = tr("Check the model (or the Azure deployment) name.");
        break;
    case ErrorCategory::ProviderUnavailable:
        hint = tr("Check the endpoint and your network; for a local server, check that it "
                  "runs.");
        break;
    default:
        hint = tr("Check the endpoint, the model and the key.");
        break;
    }
    testResultLabel_->setStyleSheet(errorStyle());
    testResultLabel_->setText(QStringLiteral("%1 %2").arg(result.error.message, hint));
}

// ---- rendering and folders ----------------------------------------------------------------

void SettingsDialog::updateBackendWidgets() {
    const QString backend = backendBox_->currentData().toString();
    localWarning_->setVisible(backend == QLatin1String("local"));
    const bool container = backend == QLatin1String("docker");
    engineBox_->setEnabled(container);
    imageEdit_->setEnabled(container);
    containerCpusSpin_->setEnabled(container);
    idleSpin_->setEnabled(container);
}

void SettingsDialog::browseMediaFolder() {
    // Opened with open(): no nested event loop.
    auto* dialog =
        new QFileDialog(this, tr("Media folder"),
                        mediaEdit_->text().isEmpty() ? paths::mediaRootDir() : mediaEdit_->text());
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setFileMode(QFileDialog::Directory);
    dialog->setOption(QFileDialog::ShowDirsOnly);
    connect(dialog, &QFileDialog::fileSelected, this,
            [this](const QString& folder) { mediaEdit_->setText(QDir::cleanPath(folder)); });
    dialog->open();
}

void SettingsDialog::openDataFolder() {
    const QString dataFolder = paths::dataDir();
    paths::ensureDir(dataFolder);
    if (!QDesktopServices::openUrl(QUrl::fromLocalFile(dataFolder)))
        showMessage(
            tr("Could not open %1: no file manager answered. Open it yourself.").arg(dataFolder),
            true);
}

void SettingsDialog::refreshCacheSize() {
    const int generation = ++cacheGeneration_;
    cacheSizeLabel_->setText(tr("measuring…"));
    const CacheFolders folders = cacheFolders();
    QPointer<SettingsDialog> self(this);
    // Walking a media cache can take a while: off the GUI thread, the answer posted back.
    QThread* worker = QThread::create([self, generation, folders] {
        qint64 total = 0;
        for (const QString& folder : folders.clearable)
            total += folderSize(folder);
        QMetaObject::invokeMethod(qApp, [self, generation, total, folders] {
            if (!self || generation != self->cacheGeneration_)
                return;
            QString text = QLocale().formattedDataSize(total);
            if (!folders.mediaOutside.isEmpty())
                text += self->tr(" (not counting the media folder %1, which is outside the "
                                 "data folder)")
                            .arg(folders.mediaOutside);
            self->cacheSizeLabel_->setText(text);
        });
    });
    connect(worker, &QThread::finished, worker, &QObject::deleteLater);
    worker->start(QThread::LowPriority);
}

void SettingsDialog::clearCache() {
    auto* confirm = new QMessageBox(QMessageBox::Question, tr("Clear cache"),
                                    tr("Delete the cached media and Manim names? Renders will "
                                       "take longer the next time. Do not clear while a render "
                                       "is running."),
                                    QMessageBox::Yes | QMessageBox::Cancel, this);
    confirm->setObjectName(QStringLiteral("clearCacheConfirm"));
    confirm->setAttribute(Qt::WA_DeleteOnClose);
    connect(confirm, &QMessageBox::finished, this, [this](int answer) {
        if (answer != QMessageBox::Yes)
            return;
        const QString dataFolder = paths::dataDir();
        QStringList failed;
        const CacheFolders folders = cacheFolders();
        for (const QString& folder : folders.clearable) {
            if (!QFileInfo(folder).isDir())
                continue;
            // Only ever inside Omega's data folder, whatever the settings say.
            if (!isStrictlyInside(folder, dataFolder)) {
                failed << folder;
                continue;
            }
            // The folder's contents, not the folder itself (it may be bound into a sandbox).
            const QFileInfoList children = QDir(folder).entryInfoList(
                QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot);
            for (const QFileInfo& child : children) {
                const bool ok = child.isDir() && !child.isSymLink()
                                    ? QDir(child.filePath()).removeRecursively()
                                    : QFile::remove(child.filePath());
                if (!ok)
                    failed << child.filePath();
            }
        }
        if (failed.isEmpty())
            showMessage(tr("Cache cleared."), false);
        else
            showMessage(tr("Some cached files could not be deleted (%1): close anything that "
                           "uses them and try again.")
                            .arg(failed.join(QStringLiteral(", "))),
                        true);
        refreshCacheSize();
    });
    confirm->open();
}

// ---- validation -------------------------------------------------------------------------

QList<SettingsProblem> SettingsDialog::allProblems() const {
    QList<SettingsProblem> problems;
    const int current = currentRow();
    QStringList seen;
    for (int i = 0; i < providers_.size(); ++i) {
        const ProviderEntry& entry = providers_.at(i);
        const QString name = entry.config.name;
        QString field = i == current ? QStringLiteral("providerEndpoint") : QString();
        const QString problem = validateProviderConfig(entry.config);
        if (!problem.isEmpty()) {
            if (i == current) {
                if (problem.contains(QLatin1String("name")))
                    field = QStringLiteral("providerName");
                else if (problem.contains(QLatin1String("deployment")))
                    field = QStringLiteral("providerDeployment");
                else if (problem.contains(QLatin1String("model")))
                    field = QStringLiteral("providerModel");
            }
            problems.append({field, tr("Provider \"%1\": %2.").arg(name, problem)});
        } else if (seen.contains(name, Qt::CaseInsensitive)) {
            problems.append({i == current ? QStringLiteral("providerName") : QString(),
                             tr("Provider names must be unique: \"%1\" is used twice.").arg(name)});
        } else if (hasControlOrSpace(entry.pendingKey.trimmed())) {
            problems.append({i == current ? QStringLiteral("providerKey") : QString(),
                             tr("API key for \"%1\": it contains spaces or line breaks; paste "
                                "the key alone.")
                                 .arg(name)});
        }
        seen << name;
    }
    const StudioSettings settings = currentSettings();
    problems << settings.problems();
    static const DependencyRules rules = DependencyRules::load();
    for (const QString& name : settings.extraAllowedPackages) {
        if (isValidPackageName(name) && rules.isDenied(normalizedPackageName(name))) {
            problems.append({QStringLiteral("extraAllowedPackages"),
                             tr("Allowed packages: \"%1\" is on the deny list and is never "
                                "installed; remove it.")
                                 .arg(name)});
            break;
        }
    }
    return problems;
}

QString SettingsDialog::firstProblem() const {
    const QList<SettingsProblem> problems = allProblems();
    return problems.isEmpty() ? QString() : problems.first().message;
}

QString SettingsDialog::messageText() const {
    return messageLabel_->text();
}

QPushButton* SettingsDialog::okButton() const {
    return buttons_->button(QDialogButtonBox::Ok);
}

QPushButton* SettingsDialog::applyButton() const {
    return buttons_->button(QDialogButtonBox::Apply);
}

void SettingsDialog::showMessage(const QString& text, bool error) {
    messageLabel_->setStyleSheet(error ? errorStyle() : QString());
    messageLabel_->setText(text);
}

void SettingsDialog::revalidate() {
    if (!buttons_)
        return; // still building the pages
    const QList<SettingsProblem> problems = allProblems();
    QSet<QString> badFields;
    for (const SettingsProblem& problem : problems)
        badFields.insert(problem.field);
    for (auto it = fieldWidgets_.cbegin(); it != fieldWidgets_.cend(); ++it) {
        QWidget* widget = it.value();
        if (!widget->property(kOriginalTip).isValid())
            widget->setProperty(kOriginalTip, widget->toolTip());
        if (badFields.contains(it.key())) {
            const auto problem =
                std::find_if(problems.cbegin(), problems.cend(),
                             [&](const SettingsProblem& p) { return p.field == it.key(); });
            widget->setStyleSheet(QStringLiteral("border: 1px solid #c62828;"));
            widget->setToolTip(problem->message);
        } else {
            widget->setStyleSheet(QString());
            widget->setToolTip(widget->property(kOriginalTip).toString());
        }
    }
    // Providers with a problem show it in the list too.
    QStringList badProviders;
    for (const SettingsProblem& problem : problems) {
        if (problem.message.startsWith(QLatin1String("Provider \"")))
            badProviders << problem.message.section(QLatin1Char('"'), 1, 1);
    }
    updatingEditor_ = true;
    for (int i = 0; i < providerList_->count() && i < providers_.size(); ++i)
        providerList_->item(i)->setForeground(badProviders.contains(providers_.at(i).config.name)
                                                  ? QColor(0xc6, 0x28, 0x28)
                                                  : palette().text().color());
    updatingEditor_ = false;

    const bool valid = problems.isEmpty();
    okButton()->setEnabled(valid && !isSaving());
    applyButton()->setEnabled(valid && !isSaving());
    if (!valid)
        showMessage(problems.first().message, true);
    else if (messageLabel_->styleSheet() == errorStyle() && !isSaving() &&
             keyWriteFailures_.isEmpty())
        showMessage(QString(), false); // the problem it showed is gone
}

// ---- saving -------------------------------------------------------------------------------

void SettingsDialog::accept() {
    apply(true);
}

void SettingsDialog::reject() {
    if (isSaving())
        return; // the keychain has not answered yet: its answer must be seen
    cancelTest();
    QDialog::reject();
}

bool SettingsDialog::apply(bool closeWhenDone) {
    if (isSaving())
        return false;
    const QList<SettingsProblem> problems = allProblems();
    if (!problems.isEmpty()) {
        showMessage(problems.first().message, true);
        return false;
    }
    cancelTest();
    const StudioSettings settings = currentSettings();
    QString error;
    if (!settings.save(&error) || !ProviderSettings::save(currentProviders(), &error)) {
        showMessage(tr("The settings were not saved: %1.").arg(error), true);
        return false;
    }
    paths::setMediaRootOverride(settings.mediaRoot);
    if (!settings.mediaRoot.isEmpty())
        paths::ensureDir(settings.mediaRoot);

    // Keys: deleted providers' entries go, then removals and new keys of the others.
    struct KeyWrite {
        QString provider;
        QString key; // empty: remove
    };
    QList<KeyWrite> writes;
    for (const QString& name : std::as_const(removedKeyNames_)) {
        const bool reused =
            std::any_of(providers_.cbegin(), providers_.cend(),
                        [&](const ProviderEntry& e) { return e.config.name == name; });
        if (!reused)
            writes.append({name, QString()});
    }
    removedKeyNames_.clear();
    for (ProviderEntry& entry : providers_) {
        entry.saved = true;
        const QString key = entry.pendingKey.trimmed();
        if (!key.isEmpty())
            writes.append({entry.config.name, key});
        else if (entry.removeKey)
            writes.append({entry.config.name, QString()});
    }
    closeWhenSaved_ = closeWhenDone;
    keyWriteFailures_.clear();
    showProviderEditor(); // names are fixed now
    if (writes.isEmpty()) {
        finishApply();
        return true;
    }
    pendingKeyWrites_ = int(writes.size());
    showMessage(tr("Saving keys in the keychain…"), false);
    okButton()->setEnabled(false);
    applyButton()->setEnabled(false);
    buttons_->button(QDialogButtonBox::Cancel)->setEnabled(false);
    for (const KeyWrite& write : writes) {
        if (write.key.isEmpty())
            keyStore_->remove(write.provider);
        else
            keyStore_->store(write.provider, write.key);
    }
    return true;
}

void SettingsDialog::onKeyWriteAnswered(const QString& provider, bool ok, const QString& message) {
    if (pendingKeyWrites_ <= 0)
        return;
    for (ProviderEntry& entry : providers_) {
        if (entry.config.name != provider)
            continue;
        if (ok && !entry.pendingKey.isEmpty()) {
            entry.pendingKey.clear();
            entry.keyState = KeyState::Stored;
        } else if (ok && entry.removeKey) {
            entry.removeKey = false;
            entry.keyState = KeyState::None;
        }
    }
    if (!ok) {
        // Where the key can come from meanwhile: the provider type's environment variable.
        QString variable;
        for (const ProviderEntry& entry : std::as_const(providers_)) {
            if (entry.config.name == provider)
                variable = keyEnvironmentVariable(entry.config.type);
        }
        keyWriteFailures_
            << (variable.isEmpty()
                    ? tr("%1: %2").arg(provider, message)
                    : tr("%1: %2 (until then, %3 can hold it)").arg(provider, message, variable));
    }
    if (--pendingKeyWrites_ == 0)
        finishApply();
}

void SettingsDialog::finishApply() {
    buttons_->button(QDialogButtonBox::Cancel)->setEnabled(true);
    showProviderEditor(); // clears a key field whose key is stored now
    if (!keyWriteFailures_.isEmpty()) {
        showMessage(tr("The settings were saved, but not every key: %1. Unlock your keyring "
                       "(GNOME Keyring or KWallet; \"Passwords and Keys\" can do it) and press "
                       "Apply again.")
                        .arg(keyWriteFailures_.join(QStringLiteral("; "))),
                    true);
        revalidate();
        Q_EMIT settingsApplied();
        return;
    }
    showMessage(tr("Settings saved."), false);
    revalidate();
    Q_EMIT settingsApplied();
    if (closeWhenSaved_)
        QDialog::accept();
}

void SettingsDialog::showPage(Page page) {
    tabs_->setCurrentIndex(int(page));
}

} // namespace omega::ui
