#include "Logger.h"

#include "Redactor.h"

#include <QDir>
#include <QFileInfo>
#include <QMutexLocker>

namespace omega {

Logger& Logger::instance() {
    static Logger* logger = new Logger; // never destroyed: agents may log during shutdown
    return *logger;
}

Logger::Logger() {
    qRegisterMetaType<omega::LogRecord>();
}

void Logger::setLogFile(const QString& path, qint64 maxBytes, int keep) {
    QMutexLocker lock(&mutex_);
    if (file_.isOpen())
        file_.close();
    maxBytes_ = maxBytes;
    keep_ = qMax(1, keep);
    if (path.isEmpty())
        return;
    QDir().mkpath(QFileInfo(path).absolutePath());
    file_.setFileName(path);
    if (!file_.open(QIODevice::Append | QIODevice::Text))
        qWarning("omega: cannot open log file %s: %s", qPrintable(path),
                 qPrintable(file_.errorString()));
}

QString Logger::logFile() const {
    QMutexLocker lock(&mutex_);
    return file_.isOpen() ? file_.fileName() : QString();
}

void Logger::setMinimumLevel(LogLevel level) {
    QMutexLocker lock(&mutex_);
    minimumLevel_ = level;
}

LogLevel Logger::minimumLevel() const {
    QMutexLocker lock(&mutex_);
    return minimumLevel_;
}

void Logger::log(LogLevel level, const QString& agent, const QString& jobId,
                 const QString& message) {
    LogRecord record;
    record.time = QDateTime::currentDateTimeUtc();
    record.level = level;
    record.agent = agent;
    record.jobId = jobId;
    record.message = redact(message);
    {
        QMutexLocker lock(&mutex_);
        if (static_cast<int>(level) < static_cast<int>(minimumLevel_))
            return;
        if (file_.isOpen()) {
            rotateIfNeeded();
            file_.write(record.toLine().toUtf8() + '\n');
            file_.flush();
        }
    }
    Q_EMIT recordAdded(record);
}

// Called with mutex_ held. omega.log → omega.log.1 → … → omega.log.<keep>.
void Logger::rotateIfNeeded() {
    if (maxBytes_ <= 0 || file_.size() < maxBytes_)
        return;
    const QString base = file_.fileName();
    file_.close();
    QFile::remove(base + QLatin1Char('.') + QString::number(keep_));
    for (int i = keep_ - 1; i >= 1; --i)
        QFile::rename(base + QLatin1Char('.') + QString::number(i),
                      base + QLatin1Char('.') + QString::number(i + 1));
    QFile::rename(base, base + QStringLiteral(".1"));
    file_.setFileName(base);
    file_.open(QIODevice::Append | QIODevice::Text);
}

} // namespace omega
