#pragma once

#include "LogRecord.h"

#include <QFile>
#include <QMutex>
#include <QObject>

namespace omega {

// Central log: every agent's records go through here. Writes one line per record to a
// rotating file (DATA/logs/omega.log, rotated at maxBytes, keeping `keep` old files) and
// re-emits each record to listeners (UI panels, the CLI). Messages are redacted here, so
// no listener and no file ever sees a secret.
class Logger : public QObject {
    Q_OBJECT
public:
    static Logger& instance();

    // Empty path disables the file. Creates the folder. Safe to call again.
    void setLogFile(const QString& path, qint64 maxBytes = 2 * 1024 * 1024, int keep = 3);
    QString logFile() const;
    void setMinimumLevel(LogLevel level);
    LogLevel minimumLevel() const;

    void log(LogLevel level, const QString& agent, const QString& jobId, const QString& message);

Q_SIGNALS:
    void recordAdded(const omega::LogRecord& record);

private:
    Logger();
    void rotateIfNeeded();

    mutable QMutex mutex_;
    QFile file_;
    qint64 maxBytes_ = 0;
    int keep_ = 3;
    LogLevel minimumLevel_ = LogLevel::Debug;
};

} // namespace omega
