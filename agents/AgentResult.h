#pragma once

#include "ErrorReport.h"

#include <QDateTime>
#include <QString>

namespace omega {

enum class ResultStatus { Ok, Failed, Cancelled };

QString statusName(ResultStatus status);

struct Timings {
    QDateTime started;
    qint64 elapsedMs = 0;
};

// The one result shape every agent reports: how it ended, why, and how long it took.
// Agents with more to say (RenderResult, …) carry one of these.
struct AgentResult {
    QString jobId;
    ResultStatus status = ResultStatus::Ok;
    ErrorReport error;
    Timings timings;

    bool ok() const { return status == ResultStatus::Ok; }

    static AgentResult failure(const QString& jobId, ErrorReport report);
};

} // namespace omega
