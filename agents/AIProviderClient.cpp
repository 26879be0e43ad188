#include "AIProviderClient.h"

#include "Redactor.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>

namespace omega {

namespace {
constexpr qsizetype kMaxErrorBody = 64 * 1024;

ProviderFailure networkFailure(QNetworkReply::NetworkError error, const QString& text) {
    ProviderFailure failure;
    failure.category = ErrorCategory::ProviderUnavailable;
    failure.retryable = true;
    switch (error) {
    case QNetworkReply::ConnectionRefusedError:
        failure.message = QStringLiteral("connection refused (is the server running?)");
        break;
    case QNetworkReply::HostNotFoundError:
        failure.message = QStringLiteral("host not found: %1").arg(text);
        break;
    case QNetworkReply::RemoteHostClosedError:
        failure.message =
            QStringLiteral("the connection was closed before the answer was complete");
        break;
    case QNetworkReply::SslHandshakeFailedError:
        failure.message = QStringLiteral("TLS handshake failed: %1").arg(text);
        failure.retryable = false;
        break;
    default:
        failure.message = text;
        break;
    }
    return failure;
}
} // namespace

AIProviderClient::AIProviderClient(QNetworkAccessManager* network, QObject* parent)
    : BaseAgent(QStringLiteral("AIProviderClient"), parent)
    , network_(network) {
    qRegisterMetaType<omega::CompletionResult>();
    for (QTimer* timer : {&connectTimer_, &idleTimer_, &retryTimer_})
        timer->setSingleShot(true);
    // A coarse timer may fire up to 5 % early: never retry before the provider's Retry-After.
    retryTimer_.setTimerType(Qt::PreciseTimer);
    connect(&retryTimer_, &QTimer::timeout, this, &AIProviderClient::sendAttempt);
    connect(&connectTimer_, &QTimer::timeout, this, [this] {
        ProviderFailure failure;
        failure.category = ErrorCategory::ProviderUnavailable;
        failure.retryable = true;
        failure.message = QStringLiteral("no answer from %1 within %2 s")
                              .arg(config_.name)
                              .arg(config_.connectTimeoutMs / 1000.0);
        abortReply();
        fail(failure);
    });
    connect(&idleTimer_, &QTimer::timeout, this, [this] {
        ProviderFailure failure;
        failure.category = ErrorCategory::ProviderUnavailable;
        failure.retryable = true;
        failure.message = QStringLiteral("%1 stopped sending for %2 s in the middle of the answer")
                              .arg(config_.name)
                              .arg(config_.idleTimeoutMs / 1000.0);
        abortReply();
        fail(failure);
    });
}

AIProviderClient::~AIProviderClient() {
    cancel();
}

int AIProviderClient::backoffMs(int attempt, const ProviderConfig& config) {
    const double base = 1000.0 * (1 << qBound(0, attempt - 1, 10));
    const double jitter = 0.8 + 0.4 * QRandomGenerator::global()->generateDouble();
    return qMin(int(base * jitter), config.maxRetryWaitMs);
}

void AIProviderClient::start(const ProviderConfig& config, const QString& apiKey,
                             const ChatRequest& request, const QString& jobId) {
    cancel();
    config_ = config;
    apiKey_ = apiKey;
    if (!apiKey.isEmpty())
        Redactor::instance().addSecret(apiKey);
    request_ = request;
    jobId_ = jobId.isEmpty() ? newJobId() : jobId;
    adapter_ = createProviderAdapter(config.type);
    result_ = CompletionResult{};
    result_.result.jobId = jobId_;
    result_.result.timings.started = QDateTime::currentDateTimeUtc();
    result_.provider = config.name;
    result_.model = config.type == ProviderType::AzureOpenAI && config.model.isEmpty()
                        ? config.deployment
                        : config.model;
    running_ = true;
    clock_.start();
    sendAttempt();
}

void AIProviderClient::sendAttempt() {
    if (!running_)
        return;
    ++result_.requests;
    result_.text.clear();
    result_.finish = FinishReason::Unknown;
    httpStatus_ = 0;
    errorBody_.clear();
    finishedStream_ = false;
    decoder_ = adapter_->createDecoder(config_);
    const QNetworkRequest request = adapter_->chatRequest(config_, apiKey_);
    info(jobId_,
         QStringLiteral("%1 request %2 to %3 (%4)")
             .arg(config_.name)
             .arg(result_.requests)
             .arg(request.url().toString(QUrl::RemoveQuery | QUrl::RemoveUserInfo), result_.model));
    reply_ = network_->post(request, adapter_->chatBody(config_, request_));
    connect(reply_, &QNetworkReply::readyRead, this, &AIProviderClient::onReadyRead);
    connect(reply_, &QNetworkReply::finished, this, &AIProviderClient::onReplyFinished);
    // Headers arrived: from now on the idle timeout watches for silence before the first byte.
    connect(reply_, &QNetworkReply::metaDataChanged, this, [this] {
        connectTimer_.stop();
        idleTimer_.start(config_.idleTimeoutMs);
    });
    connectTimer_.start(config_.connectTimeoutMs);
}

bool AIProviderClient::checkStatus() {
    if (httpStatus_ == 0 && reply_)
        httpStatus_ = reply_->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    return httpStatus_ >= 200 && httpStatus_ < 300;
}

void AIProviderClient::onReadyRead() {
    if (!reply_ || !running_)
        return;
    connectTimer_.stop();
    idleTimer_.start(config_.idleTimeoutMs);
    const QByteArray chunk = reply_->readAll();
    if (!checkStatus()) {
        if (errorBody_.size() < kMaxErrorBody)
            errorBody_.append(chunk.left(kMaxErrorBody - errorBody_.size()));
        return;
    }
    handleEvents(decoder_->feed(chunk));
}

void AIProviderClient::handleEvents(const QList<StreamEvent>& events) {
    for (const StreamEvent& event : events) {
        if (!running_ || finishedStream_)
            return;
        switch (event.kind) {
        case StreamEvent::Kind::Text:
            if (event.text.isEmpty())
                break;
            if (result_.firstTokenMs < 0)
                result_.firstTokenMs = clock_.elapsed();
            result_.text += event.text;
            Q_EMIT textDelta(jobId_, event.text);
            break;
        case StreamEvent::Kind::Finish:
            result_.finish = event.finish;
            break;
        case StreamEvent::Kind::Usage:
            if (event.usage.input >= 0)
                result_.usage.input = event.usage.input;
            if (event.usage.output >= 0)
                result_.usage.output = event.usage.output;
            if (event.usage.total >= 0)
                result_.usage.total = event.usage.total;
            break;
        case StreamEvent::Kind::Model:
            if (!event.text.isEmpty())
                result_.model = event.text;
            break;
        case StreamEvent::Kind::Failure:
            finishedStream_ = true;
            abortReply();
            fail(event.failure);
            return;
        }
    }
}

void AIProviderClient::onReplyFinished() {
    QNetworkReply* reply = reply_;
    if (!reply || !running_)
        return;
    connectTimer_.stop();
    idleTimer_.stop();
    reply_ = nullptr;
    reply->deleteLater();
    const QByteArray rest = reply->readAll();
    const bool ok = [&] {
        if (httpStatus_ == 0)
            httpStatus_ = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        return httpStatus_ >= 200 && httpStatus_ < 300;
    }();
    if (httpStatus_ == 0) { // never got an HTTP answer
        fail(networkFailure(reply->error(), reply->errorString()));
        return;
    }
    if (!ok) {
        errorBody_.append(rest.left(qMax<qsizetype>(0, kMaxErrorBody - errorBody_.size())));
        fail(adapter_->parseError(httpStatus_, errorBody_, reply->rawHeaderPairs()));
        return;
    }
    handleEvents(decoder_->feed(rest));
    if (!running_ || finishedStream_)
        return;
    // A 2xx whose body broke off: the decoder says so in finish() (no end marker); a network
    // error on top of that is the same failure.
    handleEvents(decoder_->finish());
    if (!running_ || finishedStream_)
        return;
    if (reply->error() != QNetworkReply::NoError) {
        fail(networkFailure(reply->error(), reply->errorString()));
        return;
    }
    succeed();
}

void AIProviderClient::abortReply() {
    connectTimer_.stop();
    idleTimer_.stop();
    if (QNetworkReply* reply = reply_) {
        reply_ = nullptr;
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
}

void AIProviderClient::fail(const ProviderFailure& failure) {
    if (!running_)
        return;
    const int attempt = result_.requests;
    const bool canRetry = failure.retryable && attempt <= config_.maxRetries;
    int waitMs = failure.retryAfterMs >= 0 ? failure.retryAfterMs : backoffMs(attempt, config_);
    const QString message = redact(failure.message);
    if (canRetry && waitMs <= config_.maxRetryWaitMs) {
        warning(jobId_, QStringLiteral("%1: %2 — retrying in %3 s (retry %4 of %5)")
                            .arg(config_.name, message)
                            .arg(waitMs / 1000.0, 0, 'f', 1)
                            .arg(attempt)
                            .arg(config_.maxRetries));
        Q_EMIT restarted(jobId_, attempt, waitMs, message);
        retryTimer_.start(waitMs);
        return;
    }
    running_ = false;
    result_.failure = failure;
    result_.failure.message = message;
    ErrorReport& report = result_.result.error;
    report.category = failure.category;
    report.message = QStringLiteral("%1: %2").arg(config_.name, message);
    if (failure.httpStatus > 0)
        report.message += QStringLiteral(" (HTTP %1)").arg(failure.httpStatus);
    if (canRetry)
        report.message += QStringLiteral(" — it asked to wait %1 s, more than the %2 s allowed")
                              .arg(waitMs / 1000)
                              .arg(config_.maxRetryWaitMs / 1000);
    else if (failure.retryable && attempt > 1)
        report.message += QStringLiteral(" — still failing after %1 requests").arg(attempt);
    switch (failure.category) {
    case ErrorCategory::ProviderAuth:
        report.hint = QStringLiteral("Check the API key: omega keys set %1").arg(config_.name);
        break;
    case ErrorCategory::ProviderQuota:
        report.hint =
            QStringLiteral("The account's quota or billing is exhausted; check it with the "
                           "provider, or use another provider.");
        break;
    case ErrorCategory::ProviderRateLimited:
        report.hint = QStringLiteral("Wait a little and try again, or use another provider.");
        break;
    case ErrorCategory::ProviderNotFound:
        report.hint = QStringLiteral("Check the model / deployment name and the endpoint of %1.")
                          .arg(config_.name);
        break;
    case ErrorCategory::ContentFiltered:
        report.hint =
            QStringLiteral("The provider's safety filter blocked this; rephrase the prompt.");
        break;
    default:
        report.hint =
            QStringLiteral("Check the endpoint and your connection (omega providers test %1), "
                           "or try again later.")
                .arg(config_.name);
        break;
    }
    result_.result.status = ResultStatus::Failed;
    result_.result.timings.elapsedMs = clock_.elapsed();
    error(jobId_, report.message);
    Q_EMIT finished(result_);
}

void AIProviderClient::succeed() {
    running_ = false;
    result_.result.status = ResultStatus::Ok;
    result_.result.timings.elapsedMs = clock_.elapsed();
    info(jobId_,
         QStringLiteral("%1 answered %2 characters in %3 ms (finish %4, tokens in %5 out %6)")
             .arg(config_.name)
             .arg(result_.text.size())
             .arg(result_.result.timings.elapsedMs)
             .arg(finishReasonName(result_.finish))
             .arg(result_.usage.input)
             .arg(result_.usage.output));
    Q_EMIT finished(result_);
}

void AIProviderClient::cancel() {
    if (!running_)
        return;
    running_ = false;
    retryTimer_.stop();
    abortReply();
    info(jobId_, QStringLiteral("request to %1 cancelled").arg(config_.name));
}

} // namespace omega
