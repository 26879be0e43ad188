#include "LogRecord.h"

namespace omega {

QString levelName(LogLevel level) {
    switch (level) {
    case LogLevel::Debug:
        return QStringLiteral("DEBUG");
    case LogLevel::Info:
        return QStringLiteral("INFO");
    case LogLevel::Warning:
        return QStringLiteral("WARNING");
    case LogLevel::Error:
        return QStringLiteral("ERROR");
    }
    return QStringLiteral("INFO");
}

bool levelFromName(const QString& name, LogLevel* level) {
    const QString upper = name.toUpper();
    for (LogLevel candidate :
         {LogLevel::Debug, LogLevel::Info, LogLevel::Warning, LogLevel::Error}) {
        if (levelName(candidate) == upper ||
            (upper == QLatin1String("WARN") && candidate == LogLevel::Warning)) {
            *level = candidate;
            return true;
        }
    }
    return false;
}

QString LogRecord::toLine() const {
    QString text = message;
    text.replace(QLatin1Char('\n'), QLatin1String("\n    "));
    return QStringLiteral("%1 %2 %3 [%4] %5")
        .arg(time.toUTC().toString(Qt::ISODateWithMs), levelName(level), agent,
             jobId.isEmpty() ? QStringLiteral("-") : jobId, text);
}

} // namespace omega
