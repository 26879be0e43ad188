#pragma once

#include "BaseAgent.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QPointer>
#include <QProcess>
#include <QStringList>
#include <QTimer>

namespace omega {

enum class ExportFormat { Mp4, Gif, Png };

// "mp4", "gif", "png": the file extension and the name used in logs.
QString exportFormatExtension(ExportFormat format);

// A file name in `folder` that does not exist yet: base.ext, else base-1.ext, base-2.ext, …
// Returns the full path. Pure (only looks at the folder); `ext` is given without the dot.
QString uniqueExportName(const QString& folder, const QString& base, const QString& ext);

// The total duration ffmpeg prints for its input ("Duration: 00:00:02.00,") in ms, -1 when
// the text has none (or "N/A").
qint64 parseFfmpegDurationMs(const QByteArray& ffmpegLog);

// Writes a render result out as mp4, gif or png with ffmpeg: one QProcess, never a shell,
// stdin closed, a timeout, and cancel. ffmpeg writes to `target.part`, renamed to `target`
// only once it succeeded, so no half-written file ever carries the target's name; a failed,
// timed out or cancelled export removes the .part file. One export at a time per agent.
class MediaExporter : public BaseAgent {
    Q_OBJECT
public:
    explicit MediaExporter(QObject* parent = nullptr);
    ~MediaExporter() override;

    // For tests and unusual installs: the ffmpeg to run (a name on PATH or a path).
    void setFfmpegProgram(const QString& program) { ffmpeg_ = program; }
    QString ffmpegProgram() const { return ffmpeg_; }
    void setTimeoutMs(int ms) { timeoutMs_ = ms; }
    int timeoutMs() const { return timeoutMs_; }

    // Starts an export and returns its job id; finished() follows exactly once, always after
    // this returns (also for errors found before ffmpeg starts).
    // mp4: the stream is copied from an mp4 source, re-encoded (H.264) from anything else.
    // gif: at most 15 fps and 640 px wide, with a palette made for this clip (one ffmpeg run).
    // png: the frame at `atSeconds`, or the last frame when it is negative; a PNG source
    // (a still scene) is copied as it is.
    QString exportMedia(const QString& source, const QString& target, ExportFormat format,
                        double atSeconds = -1);
    // Stops the running export: ffmpeg is killed and the .part file removed; finished()
    // reports Cancelled.
    void cancel();

    bool isRunning() const { return !jobId_.isEmpty(); }
    QString currentJobId() const { return jobId_; }
    // Pid of the running ffmpeg, 0 when none.
    qint64 currentPid() const;
    // Where the running export writes until it is done (target + ".part").
    static QString partPathFor(const QString& target);

Q_SIGNALS:
    // 0–100 through the export; -1 is never sent (without a known duration only 100 is).
    void progress(int percent);
    void finished(const omega::AgentResult& result, const QString& target);

private:
    QStringList ffmpegArguments(const QString& partPath) const;
    void onStandardOutput();
    void onStandardError();
    void onProcessFinished(int exitCode, QProcess::ExitStatus status);
    void onTimeout();
    void copyStillImage();
    // Ends the job: removes the .part file unless it was renamed, emits finished().
    void finish(ResultStatus status, const ErrorReport& error = {});
    // finish() from the event loop, for failures found before anything started.
    void finishLater(const ErrorReport& error);

    QString ffmpeg_ = QStringLiteral("ffmpeg");
    int timeoutMs_ = 10 * 60 * 1000;

    // Current job.
    QString jobId_;
    QString source_;
    QString target_;
    QString partPath_;
    ExportFormat format_ = ExportFormat::Mp4;
    double atSeconds_ = -1;
    qint64 durationMs_ = -1;
    int lastPercent_ = -1;
    bool cancelled_ = false;
    bool timedOut_ = false;
    QByteArray stdoutBuffer_;
    QByteArray stderrTail_;
    QElapsedTimer clock_;
    QDateTime started_;
    QPointer<QProcess> process_;
    QTimer timeoutTimer_;
};

} // namespace omega
