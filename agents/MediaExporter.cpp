#include "MediaExporter.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStandardPaths>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace omega {

namespace {
constexpr qsizetype kStderrKeep = 64 * 1024;
const QString kAgentName = QStringLiteral("MediaExporter");

bool isStillImage(const QString& path) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    return suffix == QLatin1String("png") || suffix == QLatin1String("jpg") ||
           suffix == QLatin1String("jpeg");
}

ErrorReport report(ErrorCategory category, const QString& message, const QString& hint,
                   const QString& detail = QString()) {
    ErrorReport error;
    error.category = category;
    error.message = message;
    error.hint = hint;
    error.detail = detail;
    return error;
}

ErrorReport ffmpegMissing(const QString& program) {
    return report(
        ErrorCategory::Environment,
        QObject::tr("ffmpeg (%1) is not installed, so the export cannot run.").arg(program),
        QObject::tr("Install ffmpeg (sudo apt install ffmpeg) and export again."));
}

// The last line of ffmpeg's log that says something (its errors come last).
QString lastMeaningfulLine(const QByteArray& log) {
    const QList<QByteArray> lines = log.split('\n');
    for (auto it = lines.crbegin(); it != lines.crend(); ++it) {
        const QString line = QString::fromUtf8(*it).trimmed();
        if (!line.isEmpty() && !line.startsWith(QLatin1String("frame=")))
            return line;
    }
    return {};
}
} // namespace

QString exportFormatExtension(ExportFormat format) {
    switch (format) {
    case ExportFormat::Mp4:
        return QStringLiteral("mp4");
    case ExportFormat::Gif:
        return QStringLiteral("gif");
    case ExportFormat::Png:
        return QStringLiteral("png");
    }
    return QStringLiteral("mp4");
}

QString uniqueExportName(const QString& folder, const QString& base, const QString& ext) {
    const QDir dir(folder);
    const QString name = base.isEmpty() ? QStringLiteral("export") : base;
    const QString suffix = ext.startsWith(QLatin1Char('.')) ? ext.mid(1) : ext;
    QString candidate = dir.filePath(name + QLatin1Char('.') + suffix);
    for (int n = 1;
         QFileInfo::exists(candidate) || QFileInfo::exists(candidate + QStringLiteral(".part"));
         ++n)
        candidate = dir.filePath(QStringLiteral("%1-%2.%3").arg(name).arg(n).arg(suffix));
    return candidate;
}

qint64 parseFfmpegDurationMs(const QByteArray& ffmpegLog) {
    static const QRegularExpression duration(
        QStringLiteral("Duration:\\s*(\\d+):(\\d{2}):(\\d{2}(?:\\.\\d+)?)"));
    const QRegularExpressionMatch match = duration.match(QString::fromUtf8(ffmpegLog));
    if (!match.hasMatch())
        return -1;
    const double seconds = match.captured(1).toInt() * 3600.0 + match.captured(2).toInt() * 60.0 +
                           match.captured(3).toDouble();
    return static_cast<qint64>(seconds * 1000.0 + 0.5);
}

MediaExporter::MediaExporter(QObject* parent)
    : BaseAgent(kAgentName, parent) {
    qRegisterMetaType<omega::AgentResult>();
    timeoutTimer_.setSingleShot(true);
    connect(&timeoutTimer_, &QTimer::timeout, this, &MediaExporter::onTimeout);
}

MediaExporter::~MediaExporter() {
    if (process_) {
        // No signal may reach a half-destroyed agent; the QProcess (our child) is killed and
        // reaped by its own destructor.
        process_->disconnect(this);
        process_->kill();
    }
    if (!partPath_.isEmpty())
        QFile::remove(partPath_);
}

QString MediaExporter::partPathFor(const QString& target) {
    return target + QStringLiteral(".part");
}

qint64 MediaExporter::currentPid() const {
    return process_ ? process_->processId() : 0;
}

QString MediaExporter::exportMedia(const QString& source, const QString& target,
                                   ExportFormat format, double atSeconds) {
    const QString id = newJobId();
    if (isRunning()) {
        // The running export keeps its state; this one fails on its own.
        AgentResult busy = AgentResult::failure(
            id, report(ErrorCategory::Usage, tr("Another export is still running."),
                       tr("Wait for it to finish or cancel it, then export again.")));
        QTimer::singleShot(0, this, [this, busy, target] { Q_EMIT finished(busy, target); });
        return id;
    }
    jobId_ = id;
    source_ = source;
    target_ = QFileInfo(target).absoluteFilePath();
    partPath_.clear();
    format_ = format;
    atSeconds_ = atSeconds;
    durationMs_ = -1;
    lastPercent_ = -1;
    cancelled_ = false;
    timedOut_ = false;
    stdoutBuffer_.clear();
    stderrTail_.clear();
    started_ = QDateTime::currentDateTime();
    clock_.start();
    info(jobId_, QStringLiteral("exporting %1 as %2 to %3")
                     .arg(source, exportFormatExtension(format), target_));

    const QFileInfo sourceInfo(source);
    if (source.isEmpty() || !sourceInfo.isFile() || !sourceInfo.isReadable()) {
        finishLater(report(ErrorCategory::Usage, tr("The file to export, %1, is gone.").arg(source),
                           tr("Render the scene again, then export.")));
        return id;
    }
    if (target.isEmpty()) {
        finishLater(report(ErrorCategory::Usage, tr("No file name was given for the export."),
                           tr("Choose where to save the export.")));
        return id;
    }
    if (sourceInfo.canonicalFilePath() == QFileInfo(target_).canonicalFilePath()) {
        finishLater(
            report(ErrorCategory::Usage,
                   tr("The export would overwrite the file it is made from (%1).").arg(target_),
                   tr("Choose another file name.")));
        return id;
    }
    if (isStillImage(source) && format != ExportFormat::Png) {
        finishLater(report(
            ErrorCategory::Usage,
            tr("%1 is a still image; it can only be exported as PNG.").arg(sourceInfo.fileName()),
            tr("Choose PNG, or render the scene with an animation.")));
        return id;
    }
    const QString folder = QFileInfo(target_).absolutePath();
    if (!QFileInfo(folder).isDir()) {
        finishLater(report(ErrorCategory::Usage, tr("The folder %1 does not exist.").arg(folder),
                           tr("Choose an existing folder for the export.")));
        return id;
    }
    // Creating the .part file is the real test of the folder (permissions, read-only or full
    // file systems, root's exemptions): QFileInfo::isWritable cannot tell all of them.
    {
        QFile part(partPathFor(target_));
        if (!part.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            finishLater(
                report(ErrorCategory::Usage,
                       tr("Cannot write to the folder %1: %2.").arg(folder, part.errorString()),
                       tr("Choose a folder you can write to.")));
            return id;
        }
    }
    partPath_ = partPathFor(target_);

    if (format == ExportFormat::Png &&
        QFileInfo(source).suffix().toLower() == QLatin1String("png")) {
        QTimer::singleShot(0, this, [this, id] {
            if (jobId_ == id && !cancelled_)
                copyStillImage();
        });
        return id;
    }

    const QString program =
        QFileInfo(ffmpeg_).isAbsolute() ? ffmpeg_ : QStandardPaths::findExecutable(ffmpeg_);
    if (program.isEmpty() || !QFileInfo(program).isExecutable()) {
        finishLater(ffmpegMissing(ffmpeg_));
        return id;
    }

    auto* process = new QProcess(this);
    process_ = process;
    process->setProgram(program);
    process->setArguments(ffmpegArguments(partPath_));
    process->setStandardInputFile(QProcess::nullDevice());
    connect(process, &QProcess::readyReadStandardOutput, this, &MediaExporter::onStandardOutput);
    connect(process, &QProcess::readyReadStandardError, this, &MediaExporter::onStandardError);
    connect(process, &QProcess::finished, this, &MediaExporter::onProcessFinished);
    connect(process, &QProcess::errorOccurred, this, [this, process](QProcess::ProcessError e) {
        // Only a failed start ends the job here; a crash also reaches finished().
        if (e == QProcess::FailedToStart && process_ == process)
            finish(ResultStatus::Failed, ffmpegMissing(ffmpeg_));
    });
    debug(jobId_, QStringLiteral("ffmpeg %1").arg(process->arguments().join(QLatin1Char(' '))));
    process->start();
    if (timeoutMs_ > 0)
        timeoutTimer_.start(timeoutMs_);
    return id;
}

QStringList MediaExporter::ffmpegArguments(const QString& partPath) const {
    // -progress pipe:1 puts key=value lines on stdout (out_time_us drives the percentage);
    // the log with the input's Duration stays on stderr.
    QStringList args{QStringLiteral("-nostdin"),      QStringLiteral("-hide_banner"),
                     QStringLiteral("-nostats"),      QStringLiteral("-y"),
                     QStringLiteral("-progress"),     QStringLiteral("pipe:1"),
                     QStringLiteral("-stats_period"), QStringLiteral("0.25")};
    switch (format_) {
    case ExportFormat::Png:
        if (atSeconds_ >= 0) {
            args << QStringLiteral("-ss") << QString::number(atSeconds_, 'f', 3)
                 << QStringLiteral("-i") << source_ << QStringLiteral("-frames:v")
                 << QStringLiteral("1");
        } else {
            // The last frame: decode the final second and keep overwriting the one output
            // image (-update 1), so what remains is the very last frame whatever the fps.
            args << QStringLiteral("-sseof") << QStringLiteral("-1") << QStringLiteral("-i")
                 << source_;
        }
        args << QStringLiteral("-an") << QStringLiteral("-update") << QStringLiteral("1")
             << QStringLiteral("-c:v") << QStringLiteral("png") << QStringLiteral("-f")
             << QStringLiteral("image2");
        break;
    case ExportFormat::Gif:
        // One run, two passes over the frames: split feeds palettegen (a palette made for this
        // clip) and paletteuse. 15 fps and 640 px keep the file small; never scaled up.
        args << QStringLiteral("-i") << source_ << QStringLiteral("-filter_complex")
             << QStringLiteral("[0:v]fps=15,scale='min(640,iw)':-1:flags=lanczos,split[a][b];"
                               "[a]palettegen=stats_mode=diff[p];"
                               "[b][p]paletteuse=dither=bayer:bayer_scale=5")
             << QStringLiteral("-an") << QStringLiteral("-loop") << QStringLiteral("0")
             << QStringLiteral("-f") << QStringLiteral("gif");
        break;
    case ExportFormat::Mp4:
        args << QStringLiteral("-i") << source_;
        if (QFileInfo(source_).suffix().toLower() == QLatin1String("mp4")) {
            // Already H.264 in mp4 (manim's output): the streams are copied, nothing is lost.
            args << QStringLiteral("-c") << QStringLiteral("copy");
        } else {
            // webm/mov (transparent renders): H.264 needs even sizes and yuv420p to play
            // everywhere.
            args << QStringLiteral("-vf") << QStringLiteral("scale=trunc(iw/2)*2:trunc(ih/2)*2")
                 << QStringLiteral("-c:v") << QStringLiteral("libx264") << QStringLiteral("-crf")
                 << QStringLiteral("18") << QStringLiteral("-preset") << QStringLiteral("medium")
                 << QStringLiteral("-pix_fmt") << QStringLiteral("yuv420p")
                 << QStringLiteral("-c:a") << QStringLiteral("aac");
        }
        args << QStringLiteral("-movflags") << QStringLiteral("+faststart") << QStringLiteral("-f")
             << QStringLiteral("mp4");
        break;
    }
    args << partPath;
    return args;
}

void MediaExporter::onStandardOutput() {
    if (!process_)
        return;
    stdoutBuffer_ += process_->readAllStandardOutput();
    qsizetype newline;
    while ((newline = stdoutBuffer_.indexOf('\n')) >= 0) {
        const QByteArray line = stdoutBuffer_.left(newline).trimmed();
        stdoutBuffer_.remove(0, newline + 1);
        // out_time_ms is in microseconds too (an old ffmpeg misnomer); out_time_us is preferred
        // and comes first.
        if (!line.startsWith("out_time_us=") && !line.startsWith("out_time_ms="))
            continue;
        bool ok = false;
        const qint64 us = line.mid(line.indexOf('=') + 1).toLongLong(&ok);
        if (!ok || us < 0 || durationMs_ <= 0)
            continue;
        // 100 only when the file is in place.
        const int percent =
            static_cast<int>(qBound<qint64>(qint64(0), us / 10 / durationMs_, qint64(99)));
        if (percent > lastPercent_) {
            lastPercent_ = percent;
            Q_EMIT progress(percent);
        }
    }
}

void MediaExporter::onStandardError() {
    if (!process_)
        return;
    stderrTail_ += process_->readAllStandardError();
    if (durationMs_ < 0) {
        durationMs_ = parseFfmpegDurationMs(stderrTail_);
        // From -sseof -1 only the final second is decoded.
        if (durationMs_ > 0 && format_ == ExportFormat::Png)
            durationMs_ = qMin<qint64>(durationMs_, 1000);
    }
    if (stderrTail_.size() > kStderrKeep)
        stderrTail_ = stderrTail_.right(kStderrKeep);
}

void MediaExporter::onProcessFinished(int exitCode, QProcess::ExitStatus status) {
    if (!process_ || sender() != process_)
        return;
    onStandardOutput();
    onStandardError();
    const QString log = QString::fromUtf8(stderrTail_).trimmed();
    if (cancelled_) {
        finish(ResultStatus::Cancelled,
               report(ErrorCategory::Cancelled, tr("The export was cancelled."), QString()));
        return;
    }
    if (timedOut_) {
        finish(
            ResultStatus::Failed,
            report(ErrorCategory::Timeout,
                   tr("The export took longer than %1 s and was stopped.").arg(timeoutMs_ / 1000),
                   tr("Export a shorter clip, or try again when the machine is less busy."),
                   log.right(3000)));
        return;
    }
    if (status != QProcess::NormalExit || exitCode != 0) {
        const QString reason = lastMeaningfulLine(stderrTail_);
        const bool diskFull = stderrTail_.contains("No space left");
        finish(ResultStatus::Failed,
               report(diskFull ? ErrorCategory::Environment : ErrorCategory::Internal,
                      tr("ffmpeg could not export %1: %2")
                          .arg(QFileInfo(source_).fileName(),
                               reason.isEmpty() ? tr("it stopped with code %1").arg(exitCode)
                                                : reason),
                      diskFull ? tr("Free some disk space, then export again.")
                               : tr("Try another format; the log has ffmpeg's full output."),
                      log.right(3000)));
        return;
    }
    if (QFileInfo(partPath_).size() <= 0) {
        // ffmpeg exits 0 when -ss lies past the end: nothing was encoded.
        finish(ResultStatus::Failed,
               report(ErrorCategory::NoOutput,
                      atSeconds_ >= 0
                          ? tr("ffmpeg found no frame at %1 s in %2.")
                                .arg(atSeconds_, 0, 'f', 2)
                                .arg(QFileInfo(source_).fileName())
                          : tr("ffmpeg wrote nothing for %1.").arg(QFileInfo(source_).fileName()),
                      tr("Pick a time within the video, or export the last frame."),
                      log.right(3000)));
        return;
    }
    finish(ResultStatus::Ok);
}

void MediaExporter::onTimeout() {
    if (!process_)
        return;
    timedOut_ = true;
    warning(jobId_, QStringLiteral("ffmpeg did not finish in %1 ms; killing it").arg(timeoutMs_));
    process_->kill();
}

void MediaExporter::cancel() {
    if (!isRunning() || cancelled_)
        return;
    cancelled_ = true;
    info(jobId_, QStringLiteral("export cancelled"));
    if (process_ && process_->state() != QProcess::NotRunning) {
        process_->kill(); // finished() follows from onProcessFinished
        return;
    }
    finishLater(report(ErrorCategory::Cancelled, tr("The export was cancelled."), QString()));
}

void MediaExporter::copyStillImage() {
    QFile::remove(partPath_);
    QFile sourceFile(source_);
    if (!sourceFile.copy(partPath_)) {
        finish(
            ResultStatus::Failed,
            report(
                ErrorCategory::Environment,
                tr("Cannot copy %1 to %2: %3.").arg(source_, partPath_, sourceFile.errorString()),
                tr("Check the free space and the permissions of the folder.")));
        return;
    }
    finish(ResultStatus::Ok);
}

void MediaExporter::finishLater(const ErrorReport& error) {
    const QString id = jobId_;
    QTimer::singleShot(0, this, [this, id, error] {
        if (jobId_ == id)
            finish(error.category == ErrorCategory::Cancelled ? ResultStatus::Cancelled
                                                              : ResultStatus::Failed,
                   error);
    });
}

void MediaExporter::finish(ResultStatus status, const ErrorReport& failure) {
    timeoutTimer_.stop();
    if (process_) {
        process_->disconnect(this);
        if (process_->state() != QProcess::NotRunning)
            process_->kill();
        process_->deleteLater();
        process_ = nullptr;
    }
    ErrorReport outcome = failure;
    if (status == ResultStatus::Ok) {
        // rename(2) replaces an existing target in one step: never a moment without a file.
        if (std::rename(QFile::encodeName(partPath_).constData(),
                        QFile::encodeName(target_).constData()) != 0) {
            status = ResultStatus::Failed;
            outcome = report(ErrorCategory::Environment,
                             tr("Cannot move the export into place (%1): %2.")
                                 .arg(target_, QString::fromLocal8Bit(std::strerror(errno))),
                             tr("Check the permissions of the folder, then export again."));
        }
    }
    if (!partPath_.isEmpty())
        QFile::remove(partPath_);

    AgentResult result;
    result.jobId = jobId_;
    result.status = status;
    result.error = outcome;
    result.timings.started = started_;
    result.timings.elapsedMs = clock_.isValid() ? clock_.elapsed() : 0;
    if (status == ResultStatus::Ok) {
        info(jobId_,
             QStringLiteral("exported %1 in %2 ms").arg(target_).arg(result.timings.elapsedMs));
        Q_EMIT progress(100);
    } else if (status == ResultStatus::Cancelled) {
        info(jobId_, QStringLiteral("export cancelled; %1 removed").arg(partPath_));
    } else {
        error(jobId_, QStringLiteral("export failed: %1").arg(outcome.message));
    }
    const QString target = target_;
    jobId_.clear();
    partPath_.clear();
    Q_EMIT finished(result, target);
}

} // namespace omega
