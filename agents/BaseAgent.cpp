#include "BaseAgent.h"

#include "Logger.h"

#include <QDateTime>
#include <QRandomGenerator>

namespace omega {

BaseAgent::BaseAgent(const QString& agentName, QObject* parent)
    : QObject(parent)
    , agentName_(agentName) {
    setObjectName(agentName);
}

QString BaseAgent::newJobId() {
    const quint32 random = QRandomGenerator::global()->bounded(0x1000000u);
    return QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss-zzz")) +
           QLatin1Char('-') + QString::number(random, 16).rightJustified(6, QLatin1Char('0'));
}

void BaseAgent::log(LogLevel level, const QString& jobId, const QString& message) const {
    Logger::instance().log(level, agentName_, jobId, message);
}

} // namespace omega
