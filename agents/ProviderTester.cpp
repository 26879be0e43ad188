#include "ProviderTester.h"

#include "ProviderAdapter.h"
#include "Redactor.h"

#include <QElapsedTimer>
#include <QNetworkAccessManager>
#include <QNetworkReply>

namespace omega {

ProviderTester::ProviderTester(QNetworkAccessManager* network, QObject* parent)
    : BaseAgent(QStringLiteral("ProviderTester"), parent)
    , network_(network) {
    timeout_.setSingleShot(true);
}

ProviderTester::~ProviderTester() {
    cancel();
}

void ProviderTester::cancel() {
    timeout_.stop();
    timeout_.disconnect(this);
    if (QNetworkReply* reply = reply_) {
        reply_ = nullptr;
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
}

void ProviderTester::test(const ProviderConfig& config, const QString& apiKey) {
    cancel();
    const QString jobId = newJobId();
    if (!apiKey.isEmpty())
        Redactor::instance().addSecret(apiKey);
    std::shared_ptr<ProviderAdapter> adapter = createProviderAdapter(config.type);
    AgentResult result;
    result.jobId = jobId;
    result.timings.started = QDateTime::currentDateTimeUtc();
    const QString problem = validateProviderConfig(config);
    if (!problem.isEmpty() || (apiKey.isEmpty() && providerRequiresKey(config.type))) {
        result.status = ResultStatus::Failed;
        result.error.category =
            problem.isEmpty() ? ErrorCategory::NoProvider : ErrorCategory::Usage;
        result.error.message = problem.isEmpty()
                                   ? QStringLiteral("%1 has no API key.").arg(config.name)
                                   : QStringLiteral("%1: %2").arg(config.name, problem);
        result.error.hint = QStringLiteral("omega keys set %1").arg(config.name);
        QTimer::singleShot(0, this, [this, result] { Q_EMIT finished(result, {}); });
        return;
    }
    const QNetworkRequest request = adapter->testRequest(config, apiKey);
    const QByteArray testBody = adapter->testBody(config);
    info(jobId,
         QStringLiteral("testing %1 at %2")
             .arg(config.name, request.url().toString(QUrl::RemoveQuery | QUrl::RemoveUserInfo)));
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    reply_ = testBody.isEmpty() ? network_->get(request) : network_->post(request, testBody);
    connect(&timeout_, &QTimer::timeout, this, [this] {
        if (reply_)
            reply_->abort();
    });
    timeout_.start(config.connectTimeoutMs);
    connect(
        reply_, &QNetworkReply::finished, this, [this, adapter, config, result, clock]() mutable {
            timeout_.stop();
            QNetworkReply* reply = reply_;
            reply_ = nullptr;
            if (!reply)
                return;
            reply->deleteLater();
            result.timings.elapsedMs = clock->elapsed();
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            const QByteArray body = reply->readAll();
            QString detail;
            if (status >= 200 && status < 300) {
                result.status = ResultStatus::Ok;
                detail =
                    QStringLiteral("HTTP %1 in %2 ms").arg(status).arg(result.timings.elapsedMs);
            } else {
                result.status = ResultStatus::Failed;
                ProviderFailure failure;
                if (status == 0) {
                    failure.category = ErrorCategory::ProviderUnavailable;
                    failure.message = reply->error() == QNetworkReply::OperationCanceledError
                                          ? QStringLiteral("no answer within %1 s")
                                                .arg(config.connectTimeoutMs / 1000)
                                          : reply->errorString();
                } else {
                    failure = adapter->parseError(status, body, reply->rawHeaderPairs());
                }
                result.error.category = failure.category;
                result.error.message =
                    QStringLiteral("%1: %2").arg(config.name, redact(failure.message));
                if (status > 0)
                    result.error.message += QStringLiteral(" (HTTP %1)").arg(status);
                result.error.hint =
                    failure.category == ErrorCategory::ProviderAuth
                        ? QStringLiteral("Set the key again: omega keys set %1").arg(config.name)
                        : QStringLiteral("Check the endpoint and model of %1.").arg(config.name);
            }
            info(result.jobId, result.ok() ? detail : result.error.message);
            Q_EMIT finished(result, detail);
        });
}

} // namespace omega
