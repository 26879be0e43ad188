#include "AgentResult.h"

namespace omega {

QString statusName(ResultStatus status) {
    switch (status) {
    case ResultStatus::Ok:
        return QStringLiteral("ok");
    case ResultStatus::Failed:
        return QStringLiteral("failed");
    case ResultStatus::Cancelled:
        return QStringLiteral("cancelled");
    }
    return QStringLiteral("failed");
}

AgentResult AgentResult::failure(const QString& jobId, ErrorReport report) {
    AgentResult result;
    result.jobId = jobId;
    result.status = report.category == ErrorCategory::Cancelled ? ResultStatus::Cancelled
                                                                : ResultStatus::Failed;
    result.error = std::move(report);
    return result;
}

} // namespace omega
