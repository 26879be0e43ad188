// VideoPreview driven with real videos (made by ffmpeg in the test) through the real Qt 6.4
// GStreamer backend. Label "gui": scripts/test.sh runs it on an Xvfb screen (xcb), where video
// frames reach the widget's QVideoSink.
#include "MediaExporter.h"
#include "TestSupport.h"
#include "VideoPreview.h"

#include <QAction>
#include <QApplication>
#include <QImage>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>
#include <QTimer>
#include <QVBoxLayout>
#include <QVideoFrame>
#include <QVideoSink>

using omega::ExportFormat;
using omega::ui::VideoPreview;

namespace {
constexpr int kPlayTimeoutMs = 30000;

bool runFfmpeg(const QStringList& args) {
    QProcess process;
    process.setStandardInputFile(QProcess::nullDevice());
    process.start(QStringLiteral("ffmpeg"),
                  QStringList{QStringLiteral("-nostdin"), QStringLiteral("-hide_banner"),
                              QStringLiteral("-loglevel"), QStringLiteral("error"),
                              QStringLiteral("-y")} +
                      args);
    return process.waitForFinished(120000) && process.exitCode() == 0;
}

// Two colours one after the other, 1 s each, H.264 mp4 at 15 fps (manim's -ql rate).
bool makeTwoColourClip(const QString& path, const QString& first, const QString& second,
                       int secondsEach = 1) {
    const QString clip = QStringLiteral("color=c=%1:s=320x240:r=15:d=%2");
    return runFfmpeg(
        {QStringLiteral("-f"), QStringLiteral("lavfi"), QStringLiteral("-i"),
         clip.arg(first).arg(secondsEach), QStringLiteral("-f"), QStringLiteral("lavfi"),
         QStringLiteral("-i"), clip.arg(second).arg(secondsEach), QStringLiteral("-filter_complex"),
         QStringLiteral("[0:v][1:v]concat=n=2:v=1:a=0"), QStringLiteral("-c:v"),
         QStringLiteral("libx264"), QStringLiteral("-pix_fmt"), QStringLiteral("yuv420p"), path});
}

QColor centreOf(const QImage& image) {
    return image.isNull() ? QColor() : image.pixelColor(image.width() / 2, image.height() / 2);
}
bool isBluish(const QColor& c) {
    return c.isValid() && c.blue() > 180 && c.red() < 80 && c.green() < 80;
}
bool isReddish(const QColor& c) {
    return c.isValid() && c.red() > 180 && c.green() < 80 && c.blue() < 80;
}

bool near(qint64 actual, qint64 expected, qint64 tolerance) {
    return qAbs(actual - expected) <= tolerance;
}
} // namespace

class TestVideoPreview : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void playsFrames();
    void playbackRateChangesThePlayer();
    void stepFrameMovesOneFrameAndPauses();
    void keysStepAndToggle();
    void loopOffKeepsTheLastFrame();
    void exportToWritesAGifAndThePausedFrame();
    void frameRateFromManimFolders();

private:
    // Shows `path` and waits until frames arrive.
    bool showAndWaitForFrames(const QString& path, int frames = 3);

    std::unique_ptr<omega::test::IsolatedEnvironment> env_;
    std::unique_ptr<QWidget> window_;
    VideoPreview* preview_ = nullptr; // in window_
    QString redBlue_;                 // red 1 s, then blue 1 s
    QString greenGrey_;               // green 2 s, then grey 2 s (4 s)
};

bool TestVideoPreview::showAndWaitForFrames(const QString& path, int frames) {
    preview_->showVideo(path);
    return QTest::qWaitFor([&] { return preview_->framesShown() >= frames; }, kPlayTimeoutMs);
}

void TestVideoPreview::initTestCase() {
    if (QStandardPaths::findExecutable(QStringLiteral("ffmpeg")).isEmpty())
        QSKIP("ffmpeg not installed");
    const QString platform = QGuiApplication::platformName();
    if (platform != QLatin1String("xcb") && platform != QLatin1String("offscreen"))
        QSKIP("video frames are only checked on xcb (Xvfb) and offscreen");
    env_ = std::make_unique<omega::test::IsolatedEnvironment>();
    QVERIFY(env_->isValid());
    // A manim-like folder: the frame rate hint comes from "480p15".
    const QString folder = QDir(env_->workDir()).filePath(QStringLiteral("480p15"));
    QVERIFY(QDir().mkpath(folder));
    redBlue_ = QDir(folder).filePath(QStringLiteral("RedBlue.mp4"));
    greenGrey_ = QDir(folder).filePath(QStringLiteral("GreenGrey.mp4"));
    QVERIFY(makeTwoColourClip(redBlue_, QStringLiteral("red"), QStringLiteral("blue")));
    QVERIFY(makeTwoColourClip(greenGrey_, QStringLiteral("green"), QStringLiteral("gray"), 2));
}

void TestVideoPreview::init() {
    // One preview for every test, as in the app: with Qt 6.4's GStreamer backend on xcb, players
    // created after a top-level video widget was destroyed may never load.
    if (!window_) {
        window_ = std::make_unique<QWidget>();
        auto* layout = new QVBoxLayout(window_.get());
        preview_ = new VideoPreview(window_.get());
        layout->addWidget(preview_);
        window_->resize(480, 360);
        window_->show();
        QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    }
    preview_->showMessage(QStringLiteral("next test"));
    preview_->setLooping(true);
    preview_->setPlaybackRate(1.0);
}

void TestVideoPreview::cleanup() {
    if (preview_)
        preview_->cancelExport();
}

void TestVideoPreview::playsFrames() {
    QSignalSpy sourceChanged(preview_, &VideoPreview::sourceChanged);
    QVERIFY(showAndWaitForFrames(redBlue_, 10));
    QCOMPARE(sourceChanged.count(), 1);
    QCOMPARE(preview_->source(), redBlue_);
    QVERIFY(!preview_->isShowingImage());
    QVERIFY(preview_->hasFrame());
    QCOMPARE(preview_->player()->playbackState(), QMediaPlayer::PlayingState);
    QVERIFY(qAbs(preview_->frameRate() - 15.0) < 0.01);
}

void TestVideoPreview::playbackRateChangesThePlayer() {
    QCOMPARE(preview_->playbackRate(), 1.0);
    QVERIFY(showAndWaitForFrames(redBlue_));
    preview_->setPlaybackRate(2.0);
    QCOMPARE(preview_->playbackRate(), 2.0);
    QCOMPARE(preview_->player()->playbackRate(), 2.0);
    // Out of range is clamped; and the rate survives the next video.
    preview_->setPlaybackRate(8.0);
    QCOMPARE(preview_->playbackRate(), 2.0);
    preview_->setPlaybackRate(0.5);
    preview_->showVideo(greenGrey_);
    QCOMPARE(preview_->player()->playbackRate(), 0.5);
    QTRY_VERIFY_WITH_TIMEOUT(preview_->framesShown() >= 3, kPlayTimeoutMs);
    QCOMPARE(preview_->player()->playbackRate(), 0.5);
}

void TestVideoPreview::stepFrameMovesOneFrameAndPauses() {
    QVERIFY(showAndWaitForFrames(redBlue_));
    QMediaPlayer* player = preview_->player();
    QTRY_VERIFY_WITH_TIMEOUT(player->duration() > 0, kPlayTimeoutMs);
    player->pause();
    QTRY_COMPARE_WITH_TIMEOUT(player->playbackState(), QMediaPlayer::PausedState, 10000);
    // To the first frame (asked again if a busy backend drops the seek while it pauses).
    QVERIFY(QTest::qWaitFor(
        [&] {
            preview_->stepFrame(-1000);
            return QTest::qWaitFor([&] { return player->position() == 0; }, 1000);
        },
        10000));

    // 15 fps: a frame is 66.7 ms; frame n is shown from ceil(n * 66.67) ms.
    preview_->stepFrame(1);
    QCOMPARE(player->playbackState(), QMediaPlayer::PausedState);
    QTRY_VERIFY_WITH_TIMEOUT(near(player->position(), 67, 5), 10000);
    preview_->stepFrame(3);
    QTRY_VERIFY_WITH_TIMEOUT(near(player->position(), 267, 5), 10000);
    preview_->stepFrame(-2);
    QTRY_VERIFY_WITH_TIMEOUT(near(player->position(), 134, 5), 10000);
    QCOMPARE(player->playbackState(), QMediaPlayer::PausedState);

    // Stepping while playing pauses; never before the first or past the last frame.
    player->play();
    QTRY_COMPARE_WITH_TIMEOUT(player->playbackState(), QMediaPlayer::PlayingState, 10000);
    preview_->stepFrame(-100);
    QCOMPARE(player->playbackState(), QMediaPlayer::PausedState);
    QTRY_COMPARE_WITH_TIMEOUT(player->position(), qint64(0), 10000);
    preview_->stepFrame(1000);
    QTRY_VERIFY_WITH_TIMEOUT(near(player->position(), 1934, 5), 10000); // frame 29 of 30
    // The picture there is the clip's last (blue) frame.
    QTRY_VERIFY_WITH_TIMEOUT(isBluish(centreOf(preview_->videoSink()->videoFrame().toImage())),
                             10000);
}

void TestVideoPreview::keysStepAndToggle() {
    QVERIFY(showAndWaitForFrames(redBlue_));
    QMediaPlayer* player = preview_->player();
    QTRY_VERIFY_WITH_TIMEOUT(player->duration() > 0, kPlayTimeoutMs);
    // The actions a window can put in its menu, with their keys.
    QCOMPARE(preview_->actions().size(), 3);
    QCOMPARE(preview_->playPauseAction()->shortcut(), QKeySequence(Qt::Key_Space));
    QCOMPARE(preview_->stepBackAction()->shortcut(), QKeySequence(Qt::Key_Comma));
    QCOMPARE(preview_->stepForwardAction()->shortcut(), QKeySequence(Qt::Key_Period));

    window_->activateWindow();
    preview_->setFocus();
    if (!QTest::qWaitForWindowActive(window_.get()))
        QSKIP("the window cannot become active here (no window manager focus)");

    QTest::keyClick(preview_, Qt::Key_Space);
    QTRY_COMPARE_WITH_TIMEOUT(player->playbackState(), QMediaPlayer::PausedState, 10000);
    QVERIFY(QTest::qWaitFor(
        [&] {
            preview_->stepFrame(-1000);
            return QTest::qWaitFor([&] { return player->position() == 0; }, 1000);
        },
        10000));
    QTest::keyClick(preview_, Qt::Key_Period);
    QTest::keyClick(preview_, Qt::Key_Period);
    QTRY_VERIFY_WITH_TIMEOUT(near(player->position(), 134, 5), 10000);
    QTest::keyClick(preview_, Qt::Key_Comma);
    QTRY_VERIFY_WITH_TIMEOUT(near(player->position(), 67, 5), 10000);
    QTest::keyClick(preview_, Qt::Key_Space);
    QTRY_COMPARE_WITH_TIMEOUT(player->playbackState(), QMediaPlayer::PlayingState, 10000);
}

void TestVideoPreview::loopOffKeepsTheLastFrame() {
    preview_->setLooping(false);
    QVERIFY(!preview_->isLooping());
    QSignalSpy status(preview_->player(), &QMediaPlayer::mediaStatusChanged);
    QVERIFY(showAndWaitForFrames(redBlue_));
    // Played once to the end: the player stops playing …
    QTRY_VERIFY_WITH_TIMEOUT(
        status.contains(QVariantList{QVariant::fromValue(QMediaPlayer::EndOfMedia)}),
        kPlayTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(preview_->player()->playbackState() != QMediaPlayer::PlayingState,
                             10000);
    // … and the last frame stays on screen: still there a while later, and it is blue.
    QTest::qWait(1000);
    QVERIFY(preview_->hasFrame());
    const QVideoFrame frame = preview_->videoSink()->videoFrame();
    QVERIFY(frame.isValid());
    const QColor centre = centreOf(frame.toImage());
    QVERIFY2(isBluish(centre), qPrintable(centre.name()));
    QCOMPARE(preview_->player()->playbackState(), QMediaPlayer::PausedState);

    // Play from the end starts over.
    const int before = preview_->framesShown();
    preview_->playPauseAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(preview_->framesShown() > before + 3, kPlayTimeoutMs);
    QVERIFY(preview_->player()->position() < 1900 ||
            preview_->player()->mediaStatus() == QMediaPlayer::EndOfMedia);

    // With loop on it goes round without stopping.
    preview_->setLooping(true);
    preview_->showVideo(redBlue_);
    QTRY_VERIFY_WITH_TIMEOUT(preview_->framesShown() >= 45, kPlayTimeoutMs); // > 30 frames
    QCOMPARE(preview_->player()->playbackState(), QMediaPlayer::PlayingState);
}

void TestVideoPreview::exportToWritesAGifAndThePausedFrame() {
    QVERIFY(showAndWaitForFrames(redBlue_));
    QSignalSpy finished(preview_, &VideoPreview::exportFinished);
    const QString gif = QDir(env_->workDir()).filePath(QStringLiteral("preview.gif"));
    preview_->exportTo(gif, ExportFormat::Gif);
    QVERIFY(preview_->isExporting());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
    QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(finished.at(0).at(1).toString()));
    QVERIFY(finished.at(0).at(1).toString().contains(QLatin1String("preview.gif")));
    QCOMPARE(omega::test::readFile(gif).left(6), QByteArray("GIF89a"));
    QCOMPARE(omega::test::videoSize(gif), QSize(320, 240));
    QVERIFY(!preview_->isExporting());

    // PNG while paused: the frame on screen (a red one), not the last (blue) one.
    QMediaPlayer* player = preview_->player();
    player->pause();
    QTRY_COMPARE_WITH_TIMEOUT(player->playbackState(), QMediaPlayer::PausedState, 10000);
    player->setPosition(400);
    QTRY_VERIFY_WITH_TIMEOUT(isReddish(centreOf(preview_->videoSink()->videoFrame().toImage())) &&
                                 player->position() == 400,
                             10000);
    const QString png = QDir(env_->workDir()).filePath(QStringLiteral("paused.png"));
    preview_->exportTo(png, ExportFormat::Png);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 120000);
    QVERIFY2(finished.at(1).at(0).toBool(), qPrintable(finished.at(1).at(1).toString()));
    const QImage image(png);
    QVERIFY2(isReddish(centreOf(image)), qPrintable(centreOf(image).name()));

    // The folder of the export is remembered for the next dialog.
    const QSettings settings(QDir(env_->configDir()).filePath(QStringLiteral("settings.ini")),
                             QSettings::IniFormat);
    QCOMPARE(settings.value(QStringLiteral("export/lastFolder")).toString(), env_->workDir());

    // A failure is reported with what to do.
    preview_->exportTo(QStringLiteral("/proc/omega-no.gif"), ExportFormat::Gif);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 3, 30000);
    QVERIFY(!finished.at(2).at(0).toBool());
    QVERIFY2(finished.at(2).at(1).toString().contains(QLatin1String("Choose a folder")),
             qPrintable(finished.at(2).at(1).toString()));
}

void TestVideoPreview::frameRateFromManimFolders() {
    QCOMPARE(VideoPreview::frameRateFromPath(QStringLiteral("/m/videos/s/480p15/Circle.mp4")),
             15.0);
    QCOMPARE(VideoPreview::frameRateFromPath(QStringLiteral("/m/videos/s/1080p60/A.mp4")), 60.0);
    QCOMPARE(VideoPreview::frameRateFromPath(QStringLiteral("/tmp/previews/2026-abc.mp4")), 0.0);
    // Without a player source, the fallback is 30.
    QCOMPARE(preview_->frameRate(), 30.0);
}

QTEST_MAIN(TestVideoPreview)
#include "tst_videopreview.moc"
