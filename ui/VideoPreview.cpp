#include "VideoPreview.h"

#include "Paths.h"

#include <QAction>
#include <QComboBox>
#include <QDesktopServices>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMediaMetaData>
#include <QMenu>
#include <QProgressBar>
#include <QRegularExpression>
#include <QSettings>
#include <QSlider>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStyle>
#include <QTimer>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>
#include <QVideoSink>
#include <QVideoWidget>

#include <cmath>

namespace omega::ui {

namespace {
QString formatTime(qint64 ms) {
    ms = qMax<qint64>(0, ms);
    return QStringLiteral("%1:%2.%3")
        .arg(ms / 60000)
        .arg((ms / 1000) % 60, 2, 10, QLatin1Char('0'))
        .arg((ms / 100) % 10);
}

QString stageStyle() {
    return QStringLiteral("background-color: #0d0d0d; color: #9a9a9a;");
}

const QString kLastExportFolderKey = QStringLiteral("export/lastFolder");

QString settingsFile() {
    return QDir(paths::configDir()).filePath(QStringLiteral("settings.ini"));
}

QString lastExportFolder() {
    const QSettings settings(settingsFile(), QSettings::IniFormat);
    const QString saved = settings.value(kLastExportFolderKey).toString();
    if (!saved.isEmpty() && QFileInfo(saved).isDir())
        return saved;
    const QString movies = QStandardPaths::writableLocation(QStandardPaths::MoviesLocation);
    return QFileInfo(movies).isDir() ? movies : QDir::homePath();
}

QPixmap scaledTo(const QPixmap& pixmap, const QSize& size, qreal ratio) {
    QPixmap scaled = pixmap.scaled(size * ratio, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    scaled.setDevicePixelRatio(ratio);
    return scaled;
}
} // namespace

VideoPreview::VideoPreview(QWidget* parent)
    : QWidget(parent)
    , player_(new QMediaPlayer(this))
    , stack_(new QStackedWidget(this))
    , placeholder_(new QLabel(this))
    , video_(new QVideoWidget(this))
    , image_(new QLabel(this))
    , playButton_(new QToolButton(this))
    , stepBackButton_(new QToolButton(this))
    , stepForwardButton_(new QToolButton(this))
    , loopButton_(new QToolButton(this))
    , speedBox_(new QComboBox(this))
    , slider_(new QSlider(Qt::Horizontal, this))
    , timeLabel_(new QLabel(this))
    , exportButton_(new QToolButton(this))
    , folderButton_(new QToolButton(this))
    , exportBar_(new QProgressBar(this))
    , exportCancelButton_(new QToolButton(this))
    , exporter_(new MediaExporter(this)) {
    placeholder_->setAlignment(Qt::AlignCenter);
    placeholder_->setWordWrap(true);
    placeholder_->setStyleSheet(stageStyle());
    image_->setAlignment(Qt::AlignCenter);
    image_->setStyleSheet(stageStyle());
    // Ignored: a large pixmap must not grow the layout; it is scaled to the space instead.
    image_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored);
    image_->setMinimumSize(1, 1);
    video_->setAspectRatioMode(Qt::KeepAspectRatio);
    video_->setStyleSheet(QStringLiteral("background-color: #0d0d0d;"));
    // The video page is the current one when the preview is first shown, whatever page_ says:
    // with Qt 6.4's GStreamer backend on xcb, a QVideoWidget that was hidden when its window
    // first appeared breaks every later player in the process once it is destroyed (they stay
    // in LoadingMedia). showEvent() switches to page_ right after.
    stack_->addWidget(video_);
    stack_->addWidget(placeholder_);
    stack_->addWidget(image_);
    stack_->setMinimumSize(320, 180);
    // A click anywhere on the preview gives it the focus its keys need.
    setFocusPolicy(Qt::StrongFocus);

    playButton_->setAutoRaise(true);
    playButton_->setToolTip(tr("Play / pause (Space)"));
    stepBackButton_->setAutoRaise(true);
    stepBackButton_->setIcon(style()->standardIcon(QStyle::SP_MediaSeekBackward));
    stepBackButton_->setToolTip(tr("One frame back (,)"));
    stepForwardButton_->setAutoRaise(true);
    stepForwardButton_->setIcon(style()->standardIcon(QStyle::SP_MediaSeekForward));
    stepForwardButton_->setToolTip(tr("One frame forward (.)"));
    loopButton_->setText(tr("Loop"));
    loopButton_->setCheckable(true);
    loopButton_->setChecked(true);
    loopButton_->setToolTip(tr("Play the animation in a loop"));
    for (const double rate : {0.25, 0.5, 1.0, 1.5, 2.0})
        speedBox_->addItem(QStringLiteral("%1×").arg(rate), rate);
    speedBox_->setCurrentIndex(speedBox_->findData(1.0));
    speedBox_->setToolTip(tr("Playback speed"));
    slider_->setRange(0, 0);
    slider_->setToolTip(tr("Drag to scrub through the animation"));
    timeLabel_->setMinimumWidth(
        timeLabel_->fontMetrics().horizontalAdvance(QStringLiteral("00:00.0 / 00:00.0  ")));
    timeLabel_->setAlignment(Qt::AlignRight | Qt::AlignVCenter);

    auto* exportMenu = new QMenu(this);
    exportMp4Action_ = exportMenu->addAction(tr("Video (MP4)…"));
    exportGifAction_ = exportMenu->addAction(tr("Animated GIF…"));
    exportPngAction_ = exportMenu->addAction(tr("Image (PNG)…"));
    exportPngAction_->setToolTip(tr("The frame shown when paused, else the last frame"));
    exportMenu->setToolTipsVisible(true);
    exportButton_->setText(tr("Export…"));
    exportButton_->setMenu(exportMenu);
    exportButton_->setPopupMode(QToolButton::InstantPopup);
    exportButton_->setToolTip(tr("Save the result as MP4, GIF or PNG"));
    folderButton_->setText(tr("Open folder"));
    folderButton_->setToolTip(tr("Show the file in the file manager"));
    exportBar_->setRange(0, 100);
    exportBar_->setMaximumWidth(120);
    exportBar_->setFormat(tr("Export %p%"));
    exportBar_->setVisible(false);
    exportCancelButton_->setText(tr("Cancel"));
    exportCancelButton_->setToolTip(tr("Stop the export"));
    exportCancelButton_->setVisible(false);

    // The scrub slider gets a row of its own: beside the buttons it was crushed to nothing in a
    // narrow preview.
    auto* scrubRow = new QHBoxLayout;
    scrubRow->setContentsMargins(0, 0, 0, 0);
    scrubRow->addWidget(slider_, 1);
    scrubRow->addWidget(timeLabel_);
    auto* controls = new QHBoxLayout;
    controls->setContentsMargins(0, 0, 0, 0);
    controls->addWidget(stepBackButton_);
    controls->addWidget(playButton_);
    controls->addWidget(stepForwardButton_);
    controls->addSpacing(6);
    controls->addWidget(speedBox_);
    controls->addWidget(loopButton_);
    controls->addStretch(1);
    controls->addWidget(exportBar_);
    controls->addWidget(exportCancelButton_);
    controls->addWidget(exportButton_);
    controls->addWidget(folderButton_);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(stack_, 1);
    layout->addLayout(scrubRow);
    layout->addLayout(controls);

    // Shortcuts only while the preview (or a child) has focus: Space must still type a space in
    // the editor. The same actions can go into the window's menu.
    playPauseAction_ = new QAction(tr("Play / Pause"), this);
    playPauseAction_->setShortcut(QKeySequence(Qt::Key_Space));
    stepBackAction_ = new QAction(tr("Previous Frame"), this);
    stepBackAction_->setShortcut(QKeySequence(Qt::Key_Comma));
    stepForwardAction_ = new QAction(tr("Next Frame"), this);
    stepForwardAction_->setShortcut(QKeySequence(Qt::Key_Period));
    for (QAction* action : {playPauseAction_, stepBackAction_, stepForwardAction_}) {
        action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        addAction(action);
    }
    connect(playPauseAction_, &QAction::triggered, this, &VideoPreview::togglePlay);
    connect(stepBackAction_, &QAction::triggered, this, [this] { stepFrame(-1); });
    connect(stepForwardAction_, &QAction::triggered, this, [this] { stepFrame(1); });

    player_->setVideoOutput(video_);
    player_->setLoops(QMediaPlayer::Infinite);

    connect(playButton_, &QToolButton::clicked, this, &VideoPreview::togglePlay);
    connect(stepBackButton_, &QToolButton::clicked, this, [this] { stepFrame(-1); });
    connect(stepForwardButton_, &QToolButton::clicked, this, [this] { stepFrame(1); });
    connect(loopButton_, &QToolButton::toggled, this, &VideoPreview::setLooping);
    connect(speedBox_, &QComboBox::activated, this,
            [this](int index) { setPlaybackRate(speedBox_->itemData(index).toDouble()); });
    connect(exportMp4Action_, &QAction::triggered, this,
            [this] { chooseExportTarget(ExportFormat::Mp4); });
    connect(exportGifAction_, &QAction::triggered, this,
            [this] { chooseExportTarget(ExportFormat::Gif); });
    connect(exportPngAction_, &QAction::triggered, this,
            [this] { chooseExportTarget(ExportFormat::Png); });
    connect(folderButton_, &QToolButton::clicked, this, &VideoPreview::openFolder);
    connect(exportCancelButton_, &QToolButton::clicked, this, &VideoPreview::cancelExport);
    connect(exporter_, &MediaExporter::progress, this, [this](int percent) {
        exportBar_->setValue(percent);
        Q_EMIT exportProgress(percent);
    });
    connect(exporter_, &MediaExporter::finished, this, &VideoPreview::onExportFinished);

    connect(player_, &QMediaPlayer::playbackStateChanged, this,
            [this](QMediaPlayer::PlaybackState) { updatePlayButton(); });
    connect(player_, &QMediaPlayer::mediaStatusChanged, this, &VideoPreview::onMediaStatus);
    connect(player_, &QMediaPlayer::durationChanged, this, [this](qint64 duration) {
        slider_->setRange(0, static_cast<int>(duration));
        updateTimeLabel();
    });
    connect(player_, &QMediaPlayer::positionChanged, this, [this](qint64 position) {
        if (!slider_->isSliderDown())
            slider_->setValue(static_cast<int>(position));
        updateTimeLabel();
    });
    connect(slider_, &QSlider::sliderMoved, this,
            [this](int position) { player_->setPosition(position); });
    connect(player_, &QMediaPlayer::errorOccurred, this,
            [this](QMediaPlayer::Error error, const QString& message) {
                if (error != QMediaPlayer::NoError)
                    showMessage(tr("Cannot play the video: %1").arg(message));
            });
    connect(video_->videoSink(), &QVideoSink::videoFrameChanged, this, &VideoPreview::onFrame);

    showMessage(tr("Press Render (Ctrl+R) to see the animation here."));
}

VideoPreview::~VideoPreview() {
    // Stop before the video widget goes away, so the backend does not render into it.
    player_->stop();
}

void VideoPreview::showVideo(const QString& path) {
    // The video page stays visible while the pipeline switches files: hiding the QVideoWidget
    // (to cover the switch with a still) stalls Qt 6.4's GStreamer pipeline under xcb, and a
    // stalled pipeline then blocks stop() — measured here, so the switch shows the new file at
    // once instead.
    source_ = path;
    framesShown_ = 0;
    lastFrame_ = QVideoFrame();
    pixmap_ = QPixmap();
    setPage(video_);
    setControlsEnabled(true);
    player_->setSource(QUrl::fromLocalFile(path));
    player_->setPlaybackRate(rate_);
    player_->play();
    Q_EMIT sourceChanged(path);
}

void VideoPreview::showImage(const QString& path) {
    player_->stop();
    player_->setSource(QUrl());
    lastFrame_ = QVideoFrame();
    source_ = path;
    pixmap_ = QPixmap(path);
    if (pixmap_.isNull()) {
        showMessage(tr("Cannot show the image %1.").arg(path));
        return;
    }
    setPage(image_);
    setControlsEnabled(false);
    updateImage();
    Q_EMIT sourceChanged(path);
}

void VideoPreview::showMessage(const QString& message) {
    player_->stop();
    player_->setSource(QUrl());
    lastFrame_ = QVideoFrame();
    source_.clear();
    pixmap_ = QPixmap();
    placeholder_->setText(message);
    setPage(placeholder_);
    setControlsEnabled(false);
    updateTimeLabel();
}

bool VideoPreview::isShowingImage() const {
    return page_ == image_;
}

void VideoPreview::setLooping(bool loop) {
    player_->setLoops(loop ? QMediaPlayer::Infinite : QMediaPlayer::Once);
    if (loopButton_->isChecked() != loop)
        loopButton_->setChecked(loop);
}

bool VideoPreview::isLooping() const {
    return player_->loops() == QMediaPlayer::Infinite;
}

double VideoPreview::frameRateFromPath(const QString& path) {
    static const QRegularExpression quality(QStringLiteral("(?:^|/)\\d+p(\\d+)(?:/|$)"));
    const QRegularExpressionMatch match = quality.match(QFileInfo(path).absolutePath());
    return match.hasMatch() ? match.captured(1).toDouble() : 0.0;
}

double VideoPreview::frameRate() const {
    const double fromMetaData =
        player_->metaData().value(QMediaMetaData::VideoFrameRate).toDouble();
    if (fromMetaData > 0 && fromMetaData < 1000)
        return fromMetaData;
    const double fromPath = frameRateFromPath(source_);
    return fromPath > 0 ? fromPath : 30.0;
}

qint64 VideoPreview::frameDurationMs() const {
    return qMax<qint64>(1, qRound64(1000.0 / frameRate()));
}

qint64 VideoPreview::lastFramePosition() const {
    const qint64 duration = player_->duration();
    if (duration <= 0)
        return 0;
    const double frameMs = 1000.0 / frameRate();
    const qint64 lastIndex = static_cast<qint64>(std::floor((duration - 1) / frameMs));
    return static_cast<qint64>(std::ceil(lastIndex * frameMs));
}

void VideoPreview::stepFrame(int frames) {
    if ((page_ != video_) || player_->duration() <= 0)
        return;
    player_->pause();
    // Frame n starts at n/fps; a position just past that start shows frame n (rounding down
    // would show frame n-1).
    const double frameMs = 1000.0 / frameRate();
    const qint64 lastIndex = static_cast<qint64>(std::floor((player_->duration() - 1) / frameMs));
    const qint64 current = static_cast<qint64>(std::floor(player_->position() / frameMs + 0.001));
    const qint64 index = qBound<qint64>(0, current + frames, lastIndex);
    player_->setPosition(static_cast<qint64>(std::ceil(index * frameMs)));
}

void VideoPreview::setPlaybackRate(double rate) {
    rate_ = qBound(0.25, rate, 2.0);
    player_->setPlaybackRate(rate_);
    int index = speedBox_->findData(rate_);
    if (index < 0) {
        speedBox_->addItem(QStringLiteral("%1×").arg(rate_), rate_);
        index = speedBox_->count() - 1;
    }
    speedBox_->setCurrentIndex(index);
}

double VideoPreview::playbackRate() const {
    return player_->playbackRate();
}

bool VideoPreview::hasFrame() const {
    if (page_ == image_)
        return !pixmap_.isNull();
    if (page_ == video_)
        return video_->videoSink()->videoFrame().isValid();
    return false;
}

void VideoPreview::onFrame(const QVideoFrame& frame) {
    if (!frame.isValid())
        return;
    lastFrame_ = frame;
    ++framesShown_;
    Q_EMIT frameShown(framesShown_);
}

void VideoPreview::onMediaStatus(QMediaPlayer::MediaStatus status) {
    switch (status) {
    case QMediaPlayer::EndOfMedia:
        // Played once to the end: stay on the last frame, paused (the backend may clear the
        // picture when it stops), so Play starts again from the beginning.
        if (!isLooping() && page_ == video_) {
            player_->setPosition(lastFramePosition());
            player_->pause();
        }
        break;
    default:
        break;
    }
}

QVideoSink* VideoPreview::videoSink() const {
    return video_->videoSink();
}

void VideoPreview::chooseExportTarget(ExportFormat format) {
    if (source_.isEmpty())
        return;
    const QString extension = exportFormatExtension(format);
    const QString base =
        exportBaseName_.isEmpty() ? QFileInfo(source_).completeBaseName() : exportBaseName_;
    auto* dialog = new QFileDialog(this, tr("Export as %1").arg(extension.toUpper()));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setFileMode(QFileDialog::AnyFile);
    dialog->setDefaultSuffix(extension);
    dialog->setNameFilter(tr("%1 files (*.%2)").arg(extension.toUpper(), extension));
    dialog->selectFile(uniqueExportName(lastExportFolder(), base, extension));
    // open(), not exec(): no nested event loop; the export starts when a file is chosen.
    connect(dialog, &QFileDialog::fileSelected, this,
            [this, format](const QString& target) { exportTo(target, format); });
    dialog->open();
}

void VideoPreview::exportTo(const QString& target, ExportFormat format) {
    if (source_.isEmpty()) {
        Q_EMIT exportFinished(false, tr("Nothing to export yet: render a scene first."));
        return;
    }
    if (exporter_->isRunning()) {
        Q_EMIT exportFinished(false, tr("An export is already running; wait for it or cancel it."));
        return;
    }
    {
        QSettings settings(settingsFile(), QSettings::IniFormat);
        settings.setValue(kLastExportFolderKey, QFileInfo(target).absolutePath());
    }
    double atSeconds = -1;
    if (format == ExportFormat::Png && !isShowingImage() &&
        player_->playbackState() == QMediaPlayer::PausedState &&
        player_->position() < lastFramePosition()) {
        // The shown frame: ffmpeg's -ss takes the first frame starting at or after the time, so
        // aim half a frame before the shown frame's start.
        const double frameMs = 1000.0 / frameRate();
        const double index = std::floor(player_->position() / frameMs + 0.001);
        atSeconds = qMax(0.0, (index - 0.5) * frameMs / 1000.0);
    }
    exporter_->exportMedia(source_, target, format, atSeconds);
    exportBar_->setValue(0);
    updateExportControls();
}

void VideoPreview::cancelExport() {
    exporter_->cancel();
}

bool VideoPreview::isExporting() const {
    return exporter_->isRunning();
}

void VideoPreview::onExportFinished(const AgentResult& result, const QString& target) {
    updateExportControls();
    QString message;
    if (result.ok())
        message = tr("Exported %1.").arg(QDir::toNativeSeparators(target));
    else if (result.status == ResultStatus::Cancelled)
        message = tr("Export cancelled.");
    else
        message = result.error.hint.isEmpty()
                      ? result.error.message
                      : result.error.message + QStringLiteral(" — ") + result.error.hint;
    Q_EMIT exportFinished(result.ok(), message);
}

void VideoPreview::openFolder() {
    if (source_.isEmpty())
        return;
    const QString folder = QFileInfo(source_).absolutePath();
    if (!QDesktopServices::openUrl(QUrl::fromLocalFile(folder)))
        Q_EMIT openFolderFailed(tr("Cannot open a file manager for %1; open the folder yourself.")
                                    .arg(QDir::toNativeSeparators(folder)));
}

void VideoPreview::setPage(QWidget* page) {
    page_ = page;
    if (shownOnce_)
        stack_->setCurrentWidget(page);
}

void VideoPreview::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (!shownOnce_) {
        shownOnce_ = true;
        QTimer::singleShot(0, this, [this] { stack_->setCurrentWidget(page_); });
    }
}

void VideoPreview::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    updateImage();
}

void VideoPreview::togglePlay() {
    if (page_ != video_)
        return;
    if (player_->playbackState() == QMediaPlayer::PlayingState) {
        player_->pause();
        return;
    }
    // At the end (loop off): Play starts over.
    if (player_->mediaStatus() == QMediaPlayer::EndOfMedia ||
        (player_->duration() > 0 && player_->position() >= lastFramePosition()))
        player_->setPosition(0);
    player_->play();
}

void VideoPreview::updatePlayButton() {
    const bool playing = player_->playbackState() == QMediaPlayer::PlayingState;
    playButton_->setIcon(
        style()->standardIcon(playing ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
}

void VideoPreview::updateTimeLabel() {
    if (page_ != video_) {
        timeLabel_->setText(QString());
        return;
    }
    timeLabel_->setText(QStringLiteral("%1 / %2").arg(formatTime(player_->position()),
                                                      formatTime(player_->duration())));
}

void VideoPreview::updateImage() {
    if (pixmap_.isNull() || page_ != image_)
        return;
    image_->setPixmap(scaledTo(pixmap_, image_->size(), devicePixelRatioF()));
}

void VideoPreview::setControlsEnabled(bool enabled) {
    for (QWidget* control : std::initializer_list<QWidget*>{
             playButton_, stepBackButton_, stepForwardButton_, slider_, loopButton_, speedBox_})
        control->setEnabled(enabled);
    for (QAction* action : {playPauseAction_, stepBackAction_, stepForwardAction_})
        action->setEnabled(enabled);
    if (!enabled)
        slider_->setRange(0, 0);
    updatePlayButton();
    updateExportControls();
}

void VideoPreview::updateExportControls() {
    const bool exporting = exporter_->isRunning();
    exportBar_->setVisible(exporting);
    exportCancelButton_->setVisible(exporting);
    exportButton_->setEnabled(!exporting && !source_.isEmpty());
    // A still image only makes a PNG.
    exportMp4Action_->setEnabled(!isShowingImage());
    exportGifAction_->setEnabled(!isShowingImage());
    folderButton_->setEnabled(!source_.isEmpty());
}

} // namespace omega::ui
