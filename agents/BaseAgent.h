#pragma once

#include "AgentResult.h"
#include "LogRecord.h"

#include <QObject>

namespace omega {

// What every agent shares: a name, job ids, structured logging through Logger (time,
// level, agent, job, redacted message) and the common result type.
class BaseAgent : public QObject {
    Q_OBJECT
public:
    explicit BaseAgent(const QString& agentName, QObject* parent = nullptr);

    QString agentName() const { return agentName_; }

    // Short, unique, sortable by time: "20261126-234501-3f9a1c".
    static QString newJobId();

protected:
    void log(LogLevel level, const QString& jobId, const QString& message) const;
    void debug(const QString& jobId, const QString& message) const {
        log(LogLevel::Debug, jobId, message);
    }
    void info(const QString& jobId, const QString& message) const {
        log(LogLevel::Info, jobId, message);
    }
    void warning(const QString& jobId, const QString& message) const {
        log(LogLevel::Warning, jobId, message);
    }
    void error(const QString& jobId, const QString& message) const {
        log(LogLevel::Error, jobId, message);
    }

private:
    QString agentName_;
};

} // namespace omega
