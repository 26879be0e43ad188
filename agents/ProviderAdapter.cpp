#include "ProviderAdapter.h"

#include "AnthropicAdapter.h"
#include "AzureOpenAIAdapter.h"
#include "GeminiAdapter.h"
#include "OpenAIAdapter.h"

#include <QJsonDocument>
#include <QLocale>
#include <QRegularExpression>
#include <QTimeZone>

#include <cmath>

namespace omega {

namespace {

constexpr qint64 kMaxRetryAfterMs = 24LL * 3600 * 1000;

int clampDelay(double ms) {
    if (!std::isfinite(ms) || ms < 0)
        return -1;
    return int(qMin<double>(ms, double(kMaxRetryAfterMs)));
}

// Visible text of an HTML page, short: its <title>, else its text without tags.
QString htmlSummary(const QByteArray& body) {
    QString html = QString::fromUtf8(body.left(64 * 1024));
    static const QRegularExpression title(QStringLiteral("<title[^>]*>(.*?)</title>"),
                                          QRegularExpression::CaseInsensitiveOption |
                                              QRegularExpression::DotMatchesEverythingOption);
    static const QRegularExpression hidden(QStringLiteral("<(script|style|head)[^>]*>.*?</\\1>"),
                                           QRegularExpression::CaseInsensitiveOption |
                                               QRegularExpression::DotMatchesEverythingOption);
    static const QRegularExpression tag(QStringLiteral("<[^>]*>"));
    const QRegularExpressionMatch m = title.match(html);
    QString text =
        m.hasMatch() ? m.captured(1) : html.remove(hidden).replace(tag, QStringLiteral(" "));
    text.replace(QStringLiteral("&nbsp;"), QStringLiteral(" "))
        .replace(QStringLiteral("&lt;"), QStringLiteral("<"))
        .replace(QStringLiteral("&gt;"), QStringLiteral(">"))
        .replace(QStringLiteral("&quot;"), QStringLiteral("\""))
        .replace(QStringLiteral("&#39;"), QStringLiteral("'"))
        .replace(QStringLiteral("&amp;"), QStringLiteral("&"));
    text = text.simplified();
    if (text.size() > 120)
        text = text.left(119) + QChar(0x2026);
    return text;
}

bool looksLikeHtml(const QByteArray& trimmed) {
    const QByteArray head = trimmed.left(256).toLower();
    return head.startsWith("<!doctype html") || head.startsWith("<html") ||
           head.contains("<head") || head.contains("<body") || head.contains("<title");
}

QString shortened(const QString& text, int max) {
    QString s = text.simplified();
    if (s.size() > max)
        s = s.left(max - 1) + QChar(0x2026);
    return s;
}

QString defaultWhatHappened(ErrorCategory category) {
    switch (category) {
    case ErrorCategory::ProviderAuth:
        return QStringLiteral("the API key was rejected or lacks permission");
    case ErrorCategory::ProviderQuota:
        return QStringLiteral("the account's quota or credit is used up, or billing is not set up");
    case ErrorCategory::ProviderRateLimited:
        return QStringLiteral("the service is rate limiting requests");
    case ErrorCategory::ProviderNotFound:
        return QStringLiteral("the model, deployment or endpoint was not found");
    case ErrorCategory::ProviderUnavailable:
        return QStringLiteral("the service is unavailable or overloaded");
    case ErrorCategory::ContentFiltered:
        return QStringLiteral("the provider's content filter blocked the request");
    case ErrorCategory::Usage:
        return QStringLiteral("the service rejected the request as invalid");
    case ErrorCategory::ProviderBadResponse:
        return QStringLiteral("the service's answer could not be read");
    default:
        return QStringLiteral("the request failed");
    }
}

} // namespace

std::unique_ptr<ProviderAdapter> createProviderAdapter(ProviderType type) {
    switch (type) {
    case ProviderType::Gemini:
        return std::make_unique<GeminiAdapter>();
    case ProviderType::AzureOpenAI:
        return std::make_unique<AzureOpenAIAdapter>();
    case ProviderType::OpenAI:
    case ProviderType::OpenAICompatible:
        return std::make_unique<OpenAIAdapter>(type);
    case ProviderType::Anthropic:
        return std::make_unique<AnthropicAdapter>();
    }
    return nullptr;
}

int retryAfterFromHeaders(const RawHeaders& headers) {
    return retryAfterFromHeaders(headers, QDateTime::currentDateTimeUtc());
}

int retryAfterFromHeaders(const RawHeaders& headers, const QDateTime& nowUtc) {
    QByteArray seconds;
    for (const auto& [name, value] : headers) {
        const QByteArray lower = name.trimmed().toLower();
        if (lower == "retry-after-ms") { // OpenAI, more precise: wins
            bool ok = false;
            const double ms = value.trimmed().toDouble(&ok);
            if (ok)
                return clampDelay(ms);
        } else if (lower == "retry-after" && seconds.isEmpty()) {
            seconds = value.trimmed();
        }
    }
    if (seconds.isEmpty())
        return -1;
    bool ok = false;
    const double s = seconds.toDouble(&ok);
    if (ok)
        return clampDelay(s * 1000.0);
    // HTTP-date (RFC 9110: IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT").
    QString text = QString::fromLatin1(seconds).simplified();
    text.remove(QRegularExpression(QStringLiteral("\\s*(GMT|UTC)$")));
    QDateTime when = QLocale::c().toDateTime(text, QStringLiteral("ddd, dd MMM yyyy HH:mm:ss"));
    if (!when.isValid())
        when = QLocale::c().toDateTime(text, QStringLiteral("ddd, d MMM yyyy HH:mm:ss"));
    if (!when.isValid())
        return -1;
    when.setTimeZone(QTimeZone::utc());
    return clampDelay(qMax<qint64>(0, nowUtc.msecsTo(when)));
}

int retryAfterFromMessage(const QString& message) {
    static const QRegularExpression pattern(
        QStringLiteral("(?:retry after|try again in|retry in)\\s+([0-9]+(?:\\.[0-9]+)?)\\s*"
                       "(ms|milliseconds?|s\\b|secs?\\b|seconds?)"),
        QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch m = pattern.match(message);
    if (!m.hasMatch())
        return -1;
    const double value = m.captured(1).toDouble();
    const QString unit = m.captured(2).toLower();
    return clampDelay(unit.startsWith(QLatin1String("ms")) ||
                              unit.startsWith(QLatin1String("milli"))
                          ? value
                          : value * 1000.0);
}

ProviderFailure failureForStatus(int httpStatus) {
    ProviderFailure f;
    f.httpStatus = httpStatus;
    const int s = httpStatus;
    if (s == 0 || s == 408 || s == 409 || s == 425 || s == 529 || (s >= 500 && s < 600)) {
        f.category = ErrorCategory::ProviderUnavailable;
        f.retryable = true;
    } else if (s == 429) {
        f.category = ErrorCategory::ProviderRateLimited;
        f.retryable = true;
    } else if (s == 401 || s == 403) {
        f.category = ErrorCategory::ProviderAuth;
    } else if (s == 402) {
        f.category = ErrorCategory::ProviderQuota;
    } else if (s == 404 || s == 405) {
        f.category = ErrorCategory::ProviderNotFound;
    } else if (s >= 400 && s < 500) {
        f.category = ErrorCategory::Usage;
    } else {
        f.category = ErrorCategory::ProviderBadResponse;
    }
    f.message = defaultWhatHappened(f.category);
    return f;
}

std::optional<QJsonObject> parseJsonObject(const QByteArray& bytes) {
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return std::nullopt;
    return doc.object();
}

ProviderFailure failureForUnreadableBody(int httpStatus, const QByteArray& body) {
    const bool success = httpStatus >= 200 && httpStatus < 300;
    ProviderFailure f = failureForStatus(httpStatus);
    if (success) {
        f.category = ErrorCategory::ProviderBadResponse;
        f.retryable = true; // garbled or cut JSON: another request may well come back whole
    }
    const QByteArray trimmed = body.trimmed();
    if (looksLikeHtml(trimmed)) {
        const QString summary = htmlSummary(trimmed);
        if (success) {
            f.retryable = false; // the same page again: most likely a wrong endpoint
            f.message = QStringLiteral("the service answered with an HTML page instead of the "
                                       "API's JSON — is the endpoint right?");
        } else {
            f.message = QStringLiteral("the service answered with an HTML page — a proxy or "
                                       "gateway error");
        }
        if (!summary.isEmpty())
            f.message += QStringLiteral(": ") + summary;
    } else if (trimmed.isEmpty()) {
        f.message = defaultWhatHappened(f.category) +
                    QStringLiteral(" (the service answered with an empty body)");
    } else {
        f.message = defaultWhatHappened(f.category) +
                    QStringLiteral(" (the answer is not the API's JSON: \"%1\")")
                        .arg(shortened(QString::fromUtf8(trimmed.left(400)), 100));
    }
    return f;
}

void describeFailure(ProviderFailure* failure, const QString& providerMessage,
                     const QString& whatHappened) {
    QString text = whatHappened.isEmpty() ? defaultWhatHappened(failure->category) : whatHappened;
    if (!failure->providerCode.isEmpty())
        text += QStringLiteral(" (%1)").arg(failure->providerCode);
    const QString own = shortened(providerMessage, 300);
    if (!own.isEmpty())
        text += QStringLiteral(": ") + own;
    failure->message = text;
}

QString pathSegment(const QString& segment) {
    return QString::fromLatin1(QUrl::toPercentEncoding(segment));
}

QUrl endpointUrl(const QString& endpoint, const QString& path, const QUrlQuery& query) {
    QUrl url(endpoint.trimmed(), QUrl::StrictMode);
    QString base = url.path(QUrl::FullyEncoded);
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    url.setPath(base + path, QUrl::TolerantMode);
    url.setQuery(query);
    url.setFragment(QString());
    return url;
}

QNetworkRequest jsonRequest(const QUrl& url, bool streaming) {
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setRawHeader("Accept", streaming ? "text/event-stream" : "application/json");
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::SameOriginRedirectPolicy);
    return request;
}

// ---- JsonStreamDecoder ----

namespace {
SseLimits decoderLimits() {
    SseLimits limits;
    // The tail may be a whole JSON body (a server that ignored "stream", a raw error object).
    limits.maxUnparsedBytes = 8 * 1024 * 1024;
    return limits;
}

ProviderFailure badResponse(const QString& what, bool retryable) {
    ProviderFailure f;
    f.category = ErrorCategory::ProviderBadResponse;
    f.retryable = retryable;
    f.message = what;
    return f;
}
} // namespace

JsonStreamDecoder::JsonStreamDecoder(bool streaming)
    : streaming_(streaming)
    , sse_(decoderLimits()) {}

QList<StreamEvent> JsonStreamDecoder::feed(const QByteArray& chunk) {
    if (failed_ || finished_)
        return {};
    if (!streaming_) {
        if (body_.size() + chunk.size() > kMaxBodyBytes) {
            emitFailure(badResponse(QStringLiteral("the answer is larger than %1 MB")
                                        .arg(kMaxBodyBytes / (1024 * 1024)),
                                    false));
        } else {
            body_ += chunk;
        }
        return takePending();
    }
    const QList<SseEvent> events = sse_.feed(chunk);
    for (const SseEvent& event : events) {
        if (failed_)
            break;
        handleEvent(event);
    }
    if (!failed_ && !ended_ && sse_.overflowed())
        emitFailure(badResponse(QStringLiteral("a stream event was too large to read"), false));
    return takePending();
}

QList<StreamEvent> JsonStreamDecoder::finish() {
    if (failed_ || finished_)
        return takePending();
    finished_ = true;
    if (!streaming_) {
        handleWholeBody(body_);
        body_.clear();
    } else {
        const QList<SseEvent> events = sse_.finish();
        for (const SseEvent& event : events) {
            if (failed_)
                break;
            handleEvent(event);
        }
        if (!failed_ && !ended_)
            handleTail();
        if (!failed_ && !ended_ && !completeWithoutEndMarker()) {
            ProviderFailure f;
            f.category = ErrorCategory::ProviderUnavailable;
            f.retryable = true;
            f.message = sawEvent_ ? QStringLiteral("the connection closed before the answer was "
                                                   "complete")
                                  : QStringLiteral("the service closed the connection without "
                                                   "answering");
            emitFailure(f);
        }
    }
    if (!failed_ && !finishSeen_)
        emitFinish(FinishReason::Unknown);
    return takePending();
}

void JsonStreamDecoder::handleEvent(const SseEvent& event) {
    if (ended_)
        return;
    const QByteArray data = event.data.trimmed();
    if (data.isEmpty())
        return;
    sawEvent_ = true;
    if (onRawData(data))
        return;
    const std::optional<QJsonObject> object = parseJsonObject(data);
    if (!object) {
        emitFailure(badResponse(
            QStringLiteral("the service sent a stream event that is not valid JSON: \"%1\"")
                .arg(shortened(QString::fromUtf8(data.left(400)), 80)),
            true));
        return;
    }
    if (object->contains(QLatin1String("error"))) {
        emitFailure(errorFromJson(*object));
        return;
    }
    onEvent(event.event, *object);
}

void JsonStreamDecoder::handleTail() {
    const QByteArray tail = sse_.unparsedTail().trimmed();
    if (tail.isEmpty())
        return;
    const std::optional<QJsonObject> object = parseJsonObject(tail);
    if (object && object->contains(QLatin1String("error"))) {
        emitFailure(errorFromJson(*object));
    } else if (!sawEvent_) {
        // Not SSE at all: a server that ignored "stream": true, or not the API.
        handleWholeBody(tail);
    }
    // Else: stray bytes after events; whether the answer is complete is decided by the caller.
}

void JsonStreamDecoder::handleWholeBody(const QByteArray& body) {
    const std::optional<QJsonObject> object = parseJsonObject(body);
    if (!object) {
        emitFailure(failureForUnreadableBody(200, body));
        return;
    }
    if (object->contains(QLatin1String("error"))) {
        emitFailure(errorFromJson(*object));
        return;
    }
    onBody(*object);
    if (!failed_)
        markEnded();
}

void JsonStreamDecoder::emitText(const QString& text) {
    if (failed_ || text.isEmpty())
        return;
    StreamEvent e;
    e.kind = StreamEvent::Kind::Text;
    e.text = text;
    pending_.append(e);
}

void JsonStreamDecoder::emitFinish(FinishReason reason) {
    if (failed_ || finishSeen_)
        return;
    finishSeen_ = true;
    StreamEvent e;
    e.kind = StreamEvent::Kind::Finish;
    e.finish = reason;
    pending_.append(e);
}

void JsonStreamDecoder::emitUsage(const TokenUsage& usage) {
    if (failed_ || !usage.known())
        return;
    if (usageSent_ && usage.input == lastUsage_.input && usage.output == lastUsage_.output &&
        usage.total == lastUsage_.total)
        return;
    usageSent_ = true;
    lastUsage_ = usage;
    StreamEvent e;
    e.kind = StreamEvent::Kind::Usage;
    e.usage = usage;
    pending_.append(e);
}

void JsonStreamDecoder::emitModel(const QString& model) {
    if (failed_ || model.isEmpty() || model == lastModel_)
        return;
    lastModel_ = model;
    StreamEvent e;
    e.kind = StreamEvent::Kind::Model;
    e.text = model;
    pending_.append(e);
}

void JsonStreamDecoder::emitFailure(const ProviderFailure& failure) {
    if (failed_)
        return;
    failed_ = true;
    StreamEvent e;
    e.kind = StreamEvent::Kind::Failure;
    e.failure = failure;
    if (!e.failure.isFailure())
        e.failure.category = ErrorCategory::ProviderBadResponse;
    pending_.append(e);
}

void JsonStreamDecoder::markEnded() {
    ended_ = true;
}

QList<StreamEvent> JsonStreamDecoder::takePending() {
    QList<StreamEvent> out;
    out.swap(pending_);
    return out;
}

} // namespace omega
