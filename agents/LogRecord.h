#pragma once

#include <QDateTime>
#include <QMetaType>
#include <QString>

namespace omega {

enum class LogLevel { Debug, Info, Warning, Error };

QString levelName(LogLevel level);
bool levelFromName(const QString& name, LogLevel* level);

struct LogRecord {
    QDateTime time;
    LogLevel level = LogLevel::Info;
    QString agent;
    QString jobId;
    QString message; // already redacted

    // One line: "2026-11-26T23:59:01.123Z INFO ManimExecutionAgent [job] message"
    QString toLine() const;
};

} // namespace omega

Q_DECLARE_METATYPE(omega::LogRecord)
