// MediaExporter with the real ffmpeg on real short videos made by ffmpeg in the test: mp4 (copy
// and re-encode), gif, png (last frame and a given time), cancel, and every early failure.
#include "MediaExporter.h"
#include "TestSupport.h"

#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

#include <unistd.h>

using omega::AgentResult;
using omega::ErrorCategory;
using omega::ExportFormat;
using omega::MediaExporter;
using omega::ResultStatus;

namespace {
constexpr int kExportTimeoutMs = 120000;

// Runs ffmpeg to completion (test setup only).
bool runFfmpeg(const QStringList& args, QByteArray* log = nullptr) {
    QProcess process;
    process.setStandardInputFile(QProcess::nullDevice());
    process.start(QStringLiteral("ffmpeg"),
                  QStringList{QStringLiteral("-nostdin"), QStringLiteral("-hide_banner"),
                              QStringLiteral("-loglevel"), QStringLiteral("error"),
                              QStringLiteral("-y")} +
                      args);
    const bool done = process.waitForFinished(180000);
    if (log)
        *log = process.readAllStandardError();
    return done && process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
}

// Format name ffprobe reports for a file ("mov,mp4,m4a,3gp,3g2,mj2", "gif"), and its video codec.
QString probe(const QString& path, const QString& entry) {
    QProcess process;
    process.start(QStringLiteral("ffprobe"),
                  {QStringLiteral("-v"), QStringLiteral("error"), QStringLiteral("-select_streams"),
                   QStringLiteral("v:0"), QStringLiteral("-show_entries"), entry,
                   QStringLiteral("-of"), QStringLiteral("default=nw=1:nk=1"), path});
    if (!process.waitForFinished(30000) || process.exitCode() != 0)
        return {};
    return QString::fromUtf8(process.readAllStandardOutput()).trimmed();
}

// Frames decoded from the first video stream (ffprobe -count_frames); -1 on failure.
int frameCount(const QString& path) {
    QProcess process;
    process.start(QStringLiteral("ffprobe"),
                  {QStringLiteral("-v"), QStringLiteral("error"), QStringLiteral("-count_frames"),
                   QStringLiteral("-select_streams"), QStringLiteral("v:0"),
                   QStringLiteral("-show_entries"), QStringLiteral("stream=nb_read_frames"),
                   QStringLiteral("-of"), QStringLiteral("default=nw=1:nk=1"), path});
    if (!process.waitForFinished(60000) || process.exitCode() != 0)
        return -1;
    bool ok = false;
    const int frames = process.readAllStandardOutput().trimmed().toInt(&ok);
    return ok ? frames : -1;
}

// The colour at the centre of an image or of a video's first frame, decoded by ffmpeg
// (red, green, blue); empty on failure.
QByteArray centrePixel(const QString& path) {
    QProcess process;
    process.start(QStringLiteral("ffmpeg"),
                  {QStringLiteral("-nostdin"), QStringLiteral("-loglevel"), QStringLiteral("error"),
                   QStringLiteral("-i"), path, QStringLiteral("-frames:v"), QStringLiteral("1"),
                   QStringLiteral("-vf"), QStringLiteral("crop=1:1:iw/2:ih/2"),
                   QStringLiteral("-f"), QStringLiteral("rawvideo"), QStringLiteral("-pix_fmt"),
                   QStringLiteral("rgb24"), QStringLiteral("-")});
    if (!process.waitForFinished(30000) || process.exitCode() != 0)
        return {};
    const QByteArray rgb = process.readAllStandardOutput();
    return rgb.size() == 3 ? rgb : QByteArray();
}

QByteArray describe(const QByteArray& rgb) {
    return rgb.size() == 3
               ? QByteArray::number(quint8(rgb[0])) + ',' + QByteArray::number(quint8(rgb[1])) +
                     ',' + QByteArray::number(quint8(rgb[2]))
               : QByteArray("(no pixel)");
}
bool isReddish(const QByteArray& rgb) {
    return rgb.size() == 3 && quint8(rgb[0]) > 180 && quint8(rgb[1]) < 80 && quint8(rgb[2]) < 80;
}
bool isBluish(const QByteArray& rgb) {
    return rgb.size() == 3 && quint8(rgb[2]) > 180 && quint8(rgb[0]) < 80 && quint8(rgb[1]) < 80;
}

struct Outcome {
    AgentResult result;
    QString target;
    QList<int> progress;
};
} // namespace

class TestMediaExporter : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void uniqueExportNameCountsUp();
    void parsesFfmpegDuration();
    void mp4FromMp4IsACopy();
    void mp4FromWebmIsReencoded();
    void gifIsSmallAndAnimated();
    void pngIsTheLastFrameByDefault();
    void pngAtAGivenTime();
    void pngPastTheEndFails();
    void stillImageIsCopied();
    void stillImageCannotBecomeAGif();
    void cancelRemovesThePartialFile();
    void missingSourceIsExplained();
    void unwritableFolderIsExplained();
    void missingFolderIsExplained();
    void missingFfmpegIsExplained();
    void replacesAnExistingTarget();

private:
    // Runs one export to its end.
    Outcome runExport(MediaExporter& exporter, const QString& source, const QString& target,
                      ExportFormat format, double atSeconds = -1);
    QString out(const QString& name) const { return QDir(env_->workDir()).filePath(name); }

    std::unique_ptr<omega::test::IsolatedEnvironment> env_;
    QString redBlue_; // 1 s red, then 1 s blue: 320x240, 15 fps, H.264 mp4
    QString webm_;    // 2 s testsrc, 15 fps, VP9 webm (a transparent render's container)
    QString still_;   // a 64x48 green png
};

Outcome TestMediaExporter::runExport(MediaExporter& exporter, const QString& source,
                                     const QString& target, ExportFormat format, double atSeconds) {
    Outcome outcome;
    QSignalSpy finished(&exporter, &MediaExporter::finished);
    auto connection = connect(&exporter, &MediaExporter::progress,
                              [&outcome](int percent) { outcome.progress << percent; });
    const QString id = exporter.exportMedia(source, target, format, atSeconds);
    // finished() never comes from inside exportMedia().
    if (finished.count() != 0)
        qFatal("finished() was emitted synchronously");
    if (!finished.wait(kExportTimeoutMs) && finished.isEmpty())
        qFatal("export did not finish");
    disconnect(connection);
    outcome.result = finished.at(0).at(0).value<AgentResult>();
    outcome.target = finished.at(0).at(1).toString();
    if (outcome.result.jobId != id)
        qFatal("job id mismatch");
    return outcome;
}

void TestMediaExporter::initTestCase() {
    if (QStandardPaths::findExecutable(QStringLiteral("ffmpeg")).isEmpty() ||
        QStandardPaths::findExecutable(QStringLiteral("ffprobe")).isEmpty())
        QSKIP("ffmpeg/ffprobe not installed");
    env_ = std::make_unique<omega::test::IsolatedEnvironment>();
    QVERIFY(env_->isValid());
    redBlue_ = out(QStringLiteral("redblue.mp4"));
    QByteArray log;
    QVERIFY2(runFfmpeg({QStringLiteral("-f"), QStringLiteral("lavfi"), QStringLiteral("-i"),
                        QStringLiteral("color=c=red:s=320x240:r=15:d=1"), QStringLiteral("-f"),
                        QStringLiteral("lavfi"), QStringLiteral("-i"),
                        QStringLiteral("color=c=blue:s=320x240:r=15:d=1"),
                        QStringLiteral("-filter_complex"),
                        QStringLiteral("[0:v][1:v]concat=n=2:v=1:a=0"), QStringLiteral("-c:v"),
                        QStringLiteral("libx264"), QStringLiteral("-pix_fmt"),
                        QStringLiteral("yuv420p"), redBlue_},
                       &log),
             log.constData());
    webm_ = out(QStringLiteral("testsrc.webm"));
    QVERIFY2(runFfmpeg({QStringLiteral("-f"), QStringLiteral("lavfi"), QStringLiteral("-i"),
                        QStringLiteral("testsrc=duration=2:size=320x240:rate=15"),
                        QStringLiteral("-c:v"), QStringLiteral("libvpx-vp9"),
                        QStringLiteral("-deadline"), QStringLiteral("realtime"), webm_},
                       &log),
             log.constData());
    still_ = out(QStringLiteral("still.png"));
    QVERIFY2(runFfmpeg({QStringLiteral("-f"), QStringLiteral("lavfi"), QStringLiteral("-i"),
                        QStringLiteral("color=c=green:s=64x48"), QStringLiteral("-frames:v"),
                        QStringLiteral("1"), still_},
                       &log),
             log.constData());
}

void TestMediaExporter::uniqueExportNameCountsUp() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QDir folder(dir.path());
    QCOMPARE(omega::uniqueExportName(dir.path(), QStringLiteral("Circle"), QStringLiteral("mp4")),
             folder.filePath(QStringLiteral("Circle.mp4")));
    QVERIFY(omega::test::writeFile(folder.filePath(QStringLiteral("Circle.mp4")), "x"));
    QCOMPARE(omega::uniqueExportName(dir.path(), QStringLiteral("Circle"), QStringLiteral("mp4")),
             folder.filePath(QStringLiteral("Circle-1.mp4")));
    QVERIFY(omega::test::writeFile(folder.filePath(QStringLiteral("Circle-1.mp4")), "x"));
    // A running export's .part counts as taken too.
    QVERIFY(omega::test::writeFile(folder.filePath(QStringLiteral("Circle-2.mp4.part")), "x"));
    QCOMPARE(omega::uniqueExportName(dir.path(), QStringLiteral("Circle"), QStringLiteral(".mp4")),
             folder.filePath(QStringLiteral("Circle-3.mp4")));
    // Another extension is another name.
    QCOMPARE(omega::uniqueExportName(dir.path(), QStringLiteral("Circle"), QStringLiteral("gif")),
             folder.filePath(QStringLiteral("Circle.gif")));
    QCOMPARE(omega::uniqueExportName(dir.path(), QString(), QStringLiteral("png")),
             folder.filePath(QStringLiteral("export.png")));
}

void TestMediaExporter::parsesFfmpegDuration() {
    QCOMPARE(omega::parseFfmpegDurationMs("Input #0, mov\n  Duration: 00:00:02.00, start: 0.0"),
             qint64(2000));
    QCOMPARE(omega::parseFfmpegDurationMs("  Duration: 01:02:03.45, start"), qint64(3723450));
    QCOMPARE(omega::parseFfmpegDurationMs("  Duration: N/A, bitrate: N/A"), qint64(-1));
    QCOMPARE(omega::parseFfmpegDurationMs(""), qint64(-1));
}

void TestMediaExporter::mp4FromMp4IsACopy() {
    MediaExporter exporter;
    const QString target = out(QStringLiteral("copy.mp4"));
    const Outcome o = runExport(exporter, redBlue_, target, ExportFormat::Mp4);
    QVERIFY2(o.result.ok(), qPrintable(o.result.error.message + o.result.error.detail));
    QCOMPARE(o.target, target);
    QVERIFY(omega::test::isNonEmptyFile(target));
    QVERIFY(!QFileInfo::exists(MediaExporter::partPathFor(target)));
    QCOMPARE(probe(target, QStringLiteral("stream=codec_name")), QStringLiteral("h264"));
    QCOMPARE(omega::test::videoSize(target), QSize(320, 240));
    QCOMPARE(frameCount(target), 30);
    QCOMPARE(frameCount(redBlue_), 30);
    QCOMPARE(o.progress.constLast(), 100);
}

void TestMediaExporter::mp4FromWebmIsReencoded() {
    MediaExporter exporter;
    const QString target = out(QStringLiteral("fromwebm.mp4"));
    const Outcome o = runExport(exporter, webm_, target, ExportFormat::Mp4);
    QVERIFY2(o.result.ok(), qPrintable(o.result.error.message + o.result.error.detail));
    QCOMPARE(probe(target, QStringLiteral("stream=codec_name")), QStringLiteral("h264"));
    QVERIFY(probe(target, QStringLiteral("format=format_name")).contains(QLatin1String("mp4")));
    QCOMPARE(probe(target, QStringLiteral("stream=pix_fmt")), QStringLiteral("yuv420p"));
    QCOMPARE(omega::test::videoSize(target), QSize(320, 240));
    QCOMPARE(frameCount(target), 30);
    // Progress only ever goes up and ends at 100.
    QVERIFY(!o.progress.isEmpty());
    for (int i = 1; i < o.progress.size(); ++i)
        QVERIFY(o.progress.at(i) > o.progress.at(i - 1));
    QCOMPARE(o.progress.constLast(), 100);
}

void TestMediaExporter::gifIsSmallAndAnimated() {
    // A 1280x720 30 fps source: the gif must come out at most 640 wide and at 15 fps.
    const QString big = out(QStringLiteral("big.mp4"));
    QByteArray log;
    QVERIFY2(runFfmpeg({QStringLiteral("-f"), QStringLiteral("lavfi"), QStringLiteral("-i"),
                        QStringLiteral("testsrc=duration=2:size=1280x720:rate=30"),
                        QStringLiteral("-c:v"), QStringLiteral("libx264"),
                        QStringLiteral("-preset"), QStringLiteral("ultrafast"),
                        QStringLiteral("-pix_fmt"), QStringLiteral("yuv420p"), big},
                       &log),
             log.constData());
    MediaExporter exporter;
    const QString target = out(QStringLiteral("anim.gif"));
    const Outcome o = runExport(exporter, big, target, ExportFormat::Gif);
    QVERIFY2(o.result.ok(), qPrintable(o.result.error.message + o.result.error.detail));
    QCOMPARE(omega::test::readFile(target).left(6), QByteArray("GIF89a"));
    QCOMPARE(probe(target, QStringLiteral("stream=codec_name")), QStringLiteral("gif"));
    QCOMPARE(omega::test::videoSize(target), QSize(640, 360));
    const int frames = frameCount(target);
    QVERIFY2(frames >= 28 && frames <= 31, qPrintable(QString::number(frames)));
    QVERIFY(!QFileInfo::exists(MediaExporter::partPathFor(target)));

    // A small source is never scaled up.
    const QString small = out(QStringLiteral("small.gif"));
    const Outcome o2 = runExport(exporter, redBlue_, small, ExportFormat::Gif);
    QVERIFY2(o2.result.ok(), qPrintable(o2.result.error.message + o2.result.error.detail));
    QCOMPARE(omega::test::videoSize(small), QSize(320, 240));
}

void TestMediaExporter::pngIsTheLastFrameByDefault() {
    MediaExporter exporter;
    const QString target = out(QStringLiteral("last.png"));
    const Outcome o = runExport(exporter, redBlue_, target, ExportFormat::Png);
    QVERIFY2(o.result.ok(), qPrintable(o.result.error.message + o.result.error.detail));
    QCOMPARE(probe(target, QStringLiteral("stream=codec_name")), QStringLiteral("png"));
    QCOMPARE(omega::test::videoSize(target), QSize(320, 240));
    // The clip ends blue (it starts red).
    const QByteArray centre = centrePixel(target);
    QVERIFY2(isBluish(centre), describe(centre).constData());
}

void TestMediaExporter::pngAtAGivenTime() {
    MediaExporter exporter;
    const QString target = out(QStringLiteral("early.png"));
    const Outcome o = runExport(exporter, redBlue_, target, ExportFormat::Png, 0.4);
    QVERIFY2(o.result.ok(), qPrintable(o.result.error.message + o.result.error.detail));
    QCOMPARE(probe(target, QStringLiteral("stream=codec_name")), QStringLiteral("png"));
    const QByteArray centre = centrePixel(target);
    QVERIFY2(isReddish(centre), describe(centre).constData());
}

void TestMediaExporter::pngPastTheEndFails() {
    MediaExporter exporter;
    const QString target = out(QStringLiteral("beyond.png"));
    const Outcome o = runExport(exporter, redBlue_, target, ExportFormat::Png, 30);
    QCOMPARE_STATUS(o.result.status, ResultStatus::Failed);
    QCOMPARE_CATEGORY(o.result.error.category, ErrorCategory::NoOutput);
    QVERIFY2(o.result.error.message.contains(QLatin1String("30.00")),
             qPrintable(o.result.error.message));
    QVERIFY(!QFileInfo::exists(target));
    QVERIFY(!QFileInfo::exists(MediaExporter::partPathFor(target)));
}

void TestMediaExporter::stillImageIsCopied() {
    MediaExporter exporter;
    exporter.setFfmpegProgram(QStringLiteral("/nonexistent/ffmpeg")); // a copy needs no ffmpeg
    const QString target = out(QStringLiteral("still-copy.png"));
    const Outcome o = runExport(exporter, still_, target, ExportFormat::Png);
    QVERIFY2(o.result.ok(), qPrintable(o.result.error.message));
    QCOMPARE(omega::test::readFile(target), omega::test::readFile(still_));
}

void TestMediaExporter::stillImageCannotBecomeAGif() {
    MediaExporter exporter;
    const QString target = out(QStringLiteral("still.gif"));
    const Outcome o = runExport(exporter, still_, target, ExportFormat::Gif);
    QCOMPARE_CATEGORY(o.result.error.category, ErrorCategory::Usage);
    QVERIFY2(o.result.error.message.contains(QLatin1String("PNG")),
             qPrintable(o.result.error.message));
    QVERIFY(!QFileInfo::exists(target));
}

void TestMediaExporter::cancelRemovesThePartialFile() {
    // Long enough that the re-encode runs for a while on any machine.
    const QString longClip = out(QStringLiteral("long.mkv"));
    QByteArray log;
    QVERIFY2(runFfmpeg({QStringLiteral("-f"), QStringLiteral("lavfi"), QStringLiteral("-i"),
                        QStringLiteral("testsrc2=duration=60:size=960x540:rate=30"),
                        QStringLiteral("-c:v"), QStringLiteral("mpeg4"), QStringLiteral("-q:v"),
                        QStringLiteral("10"), longClip},
                       &log),
             log.constData());
    MediaExporter exporter;
    const QString target = out(QStringLiteral("cancelled.mp4"));
    const QString part = MediaExporter::partPathFor(target);
    QList<int> progress;
    connect(&exporter, &MediaExporter::progress, [&progress](int p) { progress << p; });
    QSignalSpy finished(&exporter, &MediaExporter::finished);
    exporter.exportMedia(longClip, target, ExportFormat::Mp4);
    QVERIFY(exporter.isRunning());
    // Progress arrives while ffmpeg writes (parsed from -progress against the Duration).
    QTRY_VERIFY_WITH_TIMEOUT(!progress.isEmpty() && progress.constLast() > 0, 60000);
    QVERIFY(progress.constLast() < 100);
    QVERIFY(finished.isEmpty());
    QVERIFY(omega::test::isNonEmptyFile(part));
    const qint64 pid = exporter.currentPid();
    QVERIFY(pid > 0);

    exporter.cancel();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
    const auto result = finished.at(0).at(0).value<AgentResult>();
    QCOMPARE_STATUS(result.status, ResultStatus::Cancelled);
    QCOMPARE_CATEGORY(result.error.category, ErrorCategory::Cancelled);
    QVERIFY(!QFileInfo::exists(part));
    QVERIFY(!QFileInfo::exists(target));
    QVERIFY(omega::test::processGone(pid));
    QVERIFY(!exporter.isRunning());
    // Nothing else arrives later.
    QTest::qWait(300);
    QCOMPARE(finished.count(), 1);
}

void TestMediaExporter::missingSourceIsExplained() {
    MediaExporter exporter;
    const QString target = out(QStringLiteral("nothing.mp4"));
    const Outcome o =
        runExport(exporter, out(QStringLiteral("gone.mp4")), target, ExportFormat::Mp4);
    QCOMPARE_STATUS(o.result.status, ResultStatus::Failed);
    QCOMPARE_CATEGORY(o.result.error.category, ErrorCategory::Usage);
    QVERIFY2(o.result.error.message.contains(QLatin1String("gone.mp4")),
             qPrintable(o.result.error.message));
    QVERIFY(!o.result.error.hint.isEmpty());
    QVERIFY(!QFileInfo::exists(target));
    QVERIFY(!QFileInfo::exists(MediaExporter::partPathFor(target)));
}

void TestMediaExporter::unwritableFolderIsExplained() {
    // /proc takes no new files, even from root (for whom permission bits do not count).
    MediaExporter exporter;
    const QString target = QStringLiteral("/proc/omega-export-test.gif");
    const Outcome o = runExport(exporter, redBlue_, target, ExportFormat::Gif);
    QCOMPARE_STATUS(o.result.status, ResultStatus::Failed);
    QCOMPARE_CATEGORY(o.result.error.category, ErrorCategory::Usage);
    QVERIFY2(o.result.error.message.startsWith(QLatin1String("Cannot write to the folder /proc")),
             qPrintable(o.result.error.message));
    QVERIFY(o.result.error.hint.contains(QLatin1String("folder")));

    // And a folder without write permission, where permissions apply.
    if (::geteuid() != 0) {
        const QString locked = out(QStringLiteral("locked"));
        QVERIFY(QDir().mkpath(locked));
        QVERIFY(QFile::setPermissions(locked, QFile::ReadOwner | QFile::ExeOwner));
        const Outcome o2 = runExport(
            exporter, redBlue_, QDir(locked).filePath(QStringLiteral("a.gif")), ExportFormat::Gif);
        QFile::setPermissions(locked, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        QCOMPARE_CATEGORY(o2.result.error.category, ErrorCategory::Usage);
        QVERIFY(o2.result.error.message.startsWith(QLatin1String("Cannot write to the folder")));
    }
}

void TestMediaExporter::missingFolderIsExplained() {
    MediaExporter exporter;
    const QString target = out(QStringLiteral("no/such/folder/x.mp4"));
    const Outcome o = runExport(exporter, redBlue_, target, ExportFormat::Mp4);
    QCOMPARE_CATEGORY(o.result.error.category, ErrorCategory::Usage);
    QVERIFY2(o.result.error.message.contains(QLatin1String("does not exist")),
             qPrintable(o.result.error.message));
}

void TestMediaExporter::missingFfmpegIsExplained() {
    MediaExporter exporter;
    exporter.setFfmpegProgram(QStringLiteral("omega-no-such-ffmpeg"));
    const QString target = out(QStringLiteral("noffmpeg.gif"));
    const Outcome o = runExport(exporter, redBlue_, target, ExportFormat::Gif);
    QCOMPARE_CATEGORY(o.result.error.category, ErrorCategory::Environment);
    QVERIFY2(o.result.error.message.contains(QLatin1String("ffmpeg")),
             qPrintable(o.result.error.message));
    QVERIFY2(o.result.error.hint.contains(QLatin1String("install ffmpeg"), Qt::CaseInsensitive),
             qPrintable(o.result.error.hint));
    QVERIFY(!QFileInfo::exists(target));
    QVERIFY(!QFileInfo::exists(MediaExporter::partPathFor(target)));
}

void TestMediaExporter::replacesAnExistingTarget() {
    // The dialog asked already; the old file is replaced in one step.
    MediaExporter exporter;
    const QString target = out(QStringLiteral("replace.png"));
    QVERIFY(omega::test::writeFile(target, "old"));
    const Outcome o = runExport(exporter, redBlue_, target, ExportFormat::Png);
    QVERIFY2(o.result.ok(), qPrintable(o.result.error.message));
    QCOMPARE(probe(target, QStringLiteral("stream=codec_name")), QStringLiteral("png"));
}

QTEST_GUILESS_MAIN(TestMediaExporter)
#include "tst_mediaexporter.moc"
