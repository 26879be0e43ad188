#pragma once

#include "MediaExporter.h"

#include <QMediaPlayer>
#include <QPixmap>
#include <QVideoFrame>
#include <QWidget>

class QAction;
class QComboBox;
class QLabel;
class QProgressBar;
class QSlider;
class QStackedWidget;
class QToolButton;
class QVideoSink;
class QVideoWidget;

namespace omega::ui {

// Shows a render result: a video (QMediaPlayer + QVideoWidget: play/pause, scrub slider, frame
// steps, speed, loop) or a still image (scenes without animations, last-frame renders), and
// exports it (mp4/gif/png through MediaExporter).
// Keys while the preview has focus: Space play/pause, "," and "." one frame back/forward
// (actions() holds them, so a window can put them in a menu too).
class VideoPreview : public QWidget {
    Q_OBJECT
public:
    explicit VideoPreview(QWidget* parent = nullptr);
    ~VideoPreview() override;

    // Loads a video and starts playing it. The file should not change while it is shown:
    // callers pass a private copy (with a name of its own per render).
    void showVideo(const QString& path);
    void showImage(const QString& path);
    // Back to the empty state with a message.
    void showMessage(const QString& message);

    QString source() const { return source_; }
    bool isShowingImage() const;
    void setLooping(bool loop);
    bool isLooping() const;

    // Pauses and moves by `frames` frames (negative: back), within the video.
    void stepFrame(int frames);
    // Frames per second of the shown video: its metadata, else a hint from the file's folder
    // (manim's "480p15"), else 30.
    double frameRate() const;
    // 0.25 … 2 (the speed box offers 0.25, 0.5, 1, 1.5, 2); kept across videos.
    void setPlaybackRate(double rate);
    double playbackRate() const;

    // True when a picture is on screen: a video frame (also the kept last frame at the end) or
    // an image.
    bool hasFrame() const;

    // Export: the name offered by the dialog is `base` (else the shown file's name), made
    // unique in the last folder used for exports.
    void setExportBaseName(const QString& base) { exportBaseName_ = base; }
    // Opens the save dialog for `format` (window-modal, not blocking); then exportTo().
    void chooseExportTarget(omega::ExportFormat format);
    // Exports the shown file to `target` without a dialog. PNG from a video: the frame shown
    // when paused, else the last frame. exportFinished() follows.
    void exportTo(const QString& target, omega::ExportFormat format);
    void cancelExport();
    bool isExporting() const;
    // Opens the folder of the shown file in the file manager.
    void openFolder();

    // For tests: the sink the video widget renders into, and how many frames it received
    // since the last showVideo().
    QVideoSink* videoSink() const;
    int framesShown() const { return framesShown_; }
    QMediaPlayer* player() const { return player_; }
    omega::MediaExporter* exporter() const { return exporter_; }
    QAction* playPauseAction() const { return playPauseAction_; }
    QAction* stepBackAction() const { return stepBackAction_; }
    QAction* stepForwardAction() const { return stepForwardAction_; }

    // Frame rate hinted by a manim media path ("…/videos/x/480p15/X.mp4" → 15), 0 when none.
    static double frameRateFromPath(const QString& path);

Q_SIGNALS:
    void sourceChanged(const QString& path);
    void frameShown(int framesShown);
    // For the status bar: "Exported …", "Export cancelled.", or what went wrong and what to do.
    void exportFinished(bool ok, const QString& message);
    void exportProgress(int percent);
    // Opening the folder failed (no file manager): what to do instead.
    void openFolderFailed(const QString& message);

protected:
    void resizeEvent(QResizeEvent* event) override;
    void showEvent(QShowEvent* event) override;

private:
    void setPage(QWidget* page);
    void togglePlay();
    void updatePlayButton();
    void updateTimeLabel();
    void updateImage();
    void setControlsEnabled(bool enabled);
    void updateExportControls();
    void onFrame(const QVideoFrame& frame);
    void onMediaStatus(QMediaPlayer::MediaStatus status);
    qint64 frameDurationMs() const;
    qint64 lastFramePosition() const;
    void onExportFinished(const omega::AgentResult& result, const QString& target);

    QMediaPlayer* player_ = nullptr;
    QStackedWidget* stack_ = nullptr;
    QLabel* placeholder_ = nullptr;
    QVideoWidget* video_ = nullptr;
    QLabel* image_ = nullptr;
    QToolButton* playButton_ = nullptr;
    QToolButton* stepBackButton_ = nullptr;
    QToolButton* stepForwardButton_ = nullptr;
    QToolButton* loopButton_ = nullptr;
    QComboBox* speedBox_ = nullptr;
    QSlider* slider_ = nullptr;
    QLabel* timeLabel_ = nullptr;
    QToolButton* exportButton_ = nullptr;
    QAction* exportMp4Action_ = nullptr;
    QAction* exportGifAction_ = nullptr;
    QAction* exportPngAction_ = nullptr;
    QToolButton* folderButton_ = nullptr;
    QProgressBar* exportBar_ = nullptr;
    QToolButton* exportCancelButton_ = nullptr;
    QAction* playPauseAction_ = nullptr;
    QAction* stepBackAction_ = nullptr;
    QAction* stepForwardAction_ = nullptr;
    omega::MediaExporter* exporter_ = nullptr;

    QWidget* page_ = nullptr; // the page to show (see showEvent)
    bool shownOnce_ = false;
    QPixmap pixmap_;
    QString source_;
    QString exportBaseName_;
    int framesShown_ = 0;
    double rate_ = 1.0;
    QVideoFrame lastFrame_; // the newest valid frame of the shown video
};

} // namespace omega::ui
