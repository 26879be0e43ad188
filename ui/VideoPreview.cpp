#include "VideoPreview.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QStackedWidget>
#include <QStyle>
#include <QTimer>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>
#include <QVideoSink>
#include <QVideoWidget>

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
} // namespace

VideoPreview::VideoPreview(QWidget* parent)
    : QWidget(parent)
    , player_(new QMediaPlayer(this))
    , stack_(new QStackedWidget(this))
    , placeholder_(new QLabel(this))
    , video_(new QVideoWidget(this))
    , image_(new QLabel(this))
    , playButton_(new QToolButton(this))
    , loopButton_(new QToolButton(this))
    , slider_(new QSlider(Qt::Horizontal, this))
    , timeLabel_(new QLabel(this)) {
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

    playButton_->setAutoRaise(true);
    playButton_->setToolTip(tr("Play / pause"));
    loopButton_->setText(tr("Loop"));
    loopButton_->setCheckable(true);
    loopButton_->setChecked(true);
    loopButton_->setToolTip(tr("Play the animation in a loop"));
    slider_->setRange(0, 0);
    slider_->setToolTip(tr("Drag to scrub through the animation"));
    timeLabel_->setMinimumWidth(
        timeLabel_->fontMetrics().horizontalAdvance(QStringLiteral("00:00.0 / 00:00.0  ")));
    timeLabel_->setAlignment(Qt::AlignRight | Qt::AlignVCenter);

    auto* controls = new QHBoxLayout;
    controls->setContentsMargins(0, 0, 0, 0);
    controls->addWidget(playButton_);
    controls->addWidget(slider_, 1);
    controls->addWidget(timeLabel_);
    controls->addWidget(loopButton_);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(stack_, 1);
    layout->addLayout(controls);

    player_->setVideoOutput(video_);
    player_->setLoops(QMediaPlayer::Infinite);

    connect(playButton_, &QToolButton::clicked, this, &VideoPreview::togglePlay);
    connect(loopButton_, &QToolButton::toggled, this, &VideoPreview::setLooping);
    connect(player_, &QMediaPlayer::playbackStateChanged, this, &VideoPreview::updatePlayButton);
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
    connect(video_->videoSink(), &QVideoSink::videoFrameChanged, this, [this] {
        ++framesShown_;
        Q_EMIT frameShown(framesShown_);
    });

    showMessage(tr("Press Render (Ctrl+R) to see the animation here."));
}

VideoPreview::~VideoPreview() {
    // Stop before the video widget goes away, so the backend does not render into it.
    player_->stop();
}

void VideoPreview::showVideo(const QString& path) {
    source_ = path;
    framesShown_ = 0;
    pixmap_ = QPixmap();
    setPage(video_);
    setControlsEnabled(true);
    player_->setSource(QUrl::fromLocalFile(path));
    player_->play();
    Q_EMIT sourceChanged(path);
}

void VideoPreview::showImage(const QString& path) {
    player_->stop();
    player_->setSource(QUrl());
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

QVideoSink* VideoPreview::videoSink() const {
    return video_->videoSink();
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
    if (player_->playbackState() == QMediaPlayer::PlayingState)
        player_->pause();
    else
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
    const qreal ratio = devicePixelRatioF();
    QPixmap scaled =
        pixmap_.scaled(image_->size() * ratio, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    scaled.setDevicePixelRatio(ratio);
    image_->setPixmap(scaled);
}

void VideoPreview::setControlsEnabled(bool enabled) {
    playButton_->setEnabled(enabled);
    slider_->setEnabled(enabled);
    loopButton_->setEnabled(enabled);
    if (!enabled)
        slider_->setRange(0, 0);
    updatePlayButton();
}

} // namespace omega::ui
