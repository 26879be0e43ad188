#pragma once

#include "BaseAgent.h"
#include "ProviderConfig.h"

#include <QPointer>
#include <QTimer>

class QNetworkAccessManager;
class QNetworkReply;

namespace omega {

// "Test connection": one cheap request (usually: list models) that tells whether the
// endpoint is reachable and the key accepted, with the provider's own error mapped to a
// clear message.
class ProviderTester : public BaseAgent {
    Q_OBJECT
public:
    explicit ProviderTester(QNetworkAccessManager* network, QObject* parent = nullptr);
    ~ProviderTester() override;

    void test(const ProviderConfig& config, const QString& apiKey);
    void cancel();

Q_SIGNALS:
    void finished(const omega::AgentResult& result, const QString& detail);

private:
    QNetworkAccessManager* network_;
    QPointer<QNetworkReply> reply_;
    QTimer timeout_;
};

} // namespace omega
