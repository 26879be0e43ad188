#pragma once

#include <QMediaPlayer>
#include <QPixmap>
#include <QWidget>

class QLabel;
class QSlider;
class QStackedWidget;
class QToolButton;
class QVideoSink;
class QVideoWidget;

namespace omega::ui {

// Shows a render result: a video (QMediaPlayer + QVideoWidget, looping, play/pause and a
// scrub slider) or a still image (scenes without animations, last-frame renders).
class VideoPreview : public QWidget {
    Q_OBJECT
public:
    explicit VideoPreview(QWidget* parent = nullptr);
    ~VideoPreview() override;

    // Loads a video and starts playing it. The file should not change while it is shown:
    // callers pass a private copy.
    void showVideo(const QString& path);
    void showImage(const QString& path);
    // Back to the empty state with a message.
    void showMessage(const QString& message);

    QString source() const { return source_; }
    bool isShowingImage() const;
    void setLooping(bool loop);
    bool isLooping() const;

    // For tests: the sink the video widget renders into, and how many frames it received
    // since the last showVideo().
    QVideoSink* videoSink() const;
    int framesShown() const { return framesShown_; }
    QMediaPlayer* player() const { return player_; }

Q_SIGNALS:
    void sourceChanged(const QString& path);
    void frameShown(int framesShown);

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

    QMediaPlayer* player_ = nullptr;
    QStackedWidget* stack_ = nullptr;
    QLabel* placeholder_ = nullptr;
    QVideoWidget* video_ = nullptr;
    QLabel* image_ = nullptr;
    QToolButton* playButton_ = nullptr;
    QToolButton* loopButton_ = nullptr;
    QSlider* slider_ = nullptr;
    QLabel* timeLabel_ = nullptr;
    QWidget* page_ = nullptr; // the page to show (see showEvent)
    bool shownOnce_ = false;
    QPixmap pixmap_;
    QString source_;
    int framesShown_ = 0;
};

} // namespace omega::ui
