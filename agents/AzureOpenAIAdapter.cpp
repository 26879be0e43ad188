#include "AzureOpenAIAdapter.h"

#include "OpenAIAdapter.h"

#include <QJsonDocument>

namespace omega {

namespace {

bool isV1(const ProviderConfig& config) {
    return config.apiVersion.trimmed().isEmpty();
}

// The resource's base URL, whether the user gave it with /openai or /openai/v1 or without.
QString resourceBase(const QString& endpoint) {
    QString base = endpoint.trimmed();
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    for (const QLatin1String suffix : {QLatin1String("/openai/v1"), QLatin1String("/openai")}) {
        if (base.endsWith(suffix, Qt::CaseInsensitive)) {
            base.chop(suffix.size());
            break;
        }
    }
    return base;
}

} // namespace

QNetworkRequest AzureOpenAIAdapter::request(const ProviderConfig& config, const QString& apiKey,
                                            bool streaming) const {
    const QString base = resourceBase(config.endpoint);
    QUrl url;
    if (isV1(config)) {
        url = endpointUrl(base, QStringLiteral("/openai/v1/chat/completions"));
    } else {
        QUrlQuery query;
        query.addQueryItem(QStringLiteral("api-version"), config.apiVersion.trimmed());
        url = endpointUrl(base,
                          QStringLiteral("/openai/deployments/%1/chat/completions")
                              .arg(pathSegment(config.deployment.trimmed())),
                          query);
    }
    QNetworkRequest r = jsonRequest(url, streaming);
    if (!apiKey.isEmpty())
        r.setRawHeader("api-key", apiKey.toUtf8());
    return r;
}

QNetworkRequest AzureOpenAIAdapter::chatRequest(const ProviderConfig& config,
                                                const QString& apiKey) const {
    return request(config, apiKey, config.stream);
}

QByteArray AzureOpenAIAdapter::chatBody(const ProviderConfig& config,
                                        const ChatRequest& request) const {
    const QString model = isV1(config) ? config.deployment.trimmed() : QString();
    return QJsonDocument(
               chatCompletionsBody(config, request, model, QStringLiteral("max_completion_tokens")))
        .toJson(QJsonDocument::Compact);
}

std::unique_ptr<ResponseDecoder>
AzureOpenAIAdapter::createDecoder(const ProviderConfig& config) const {
    return std::make_unique<ChatCompletionsDecoder>(config.stream);
}

ProviderFailure AzureOpenAIAdapter::parseError(int httpStatus, const QByteArray& body,
                                               const RawHeaders& headers) const {
    return chatCompletionsParseError(httpStatus, body, headers);
}

QNetworkRequest AzureOpenAIAdapter::testRequest(const ProviderConfig& config,
                                                const QString& apiKey) const {
    return request(config, apiKey, false);
}

QByteArray AzureOpenAIAdapter::testBody(const ProviderConfig& config) const {
    ProviderConfig probe = config;
    probe.stream = false;
    probe.maxTokens = 16; // enough for "ok", even for a reasoning model to answer 200
    ChatRequest ping;
    ping.messages.append({ChatMessage::Role::User, QStringLiteral("Reply with the word: ok")});
    return chatBody(probe, ping);
}

} // namespace omega
