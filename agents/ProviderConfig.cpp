#include "ProviderConfig.h"

#include <QHostAddress>
#include <QUrl>

#include <algorithm>
#include <cmath>

namespace omega {

QString providerTypeName(ProviderType type) {
    switch (type) {
    case ProviderType::Gemini:
        return QStringLiteral("gemini");
    case ProviderType::AzureOpenAI:
        return QStringLiteral("azure-openai");
    case ProviderType::OpenAI:
        return QStringLiteral("openai");
    case ProviderType::Anthropic:
        return QStringLiteral("anthropic");
    case ProviderType::OpenAICompatible:
        return QStringLiteral("openai-compatible");
    }
    return QString();
}

std::optional<ProviderType> providerTypeFromName(const QString& name) {
    const QString wanted = name.trimmed().toLower();
    for (ProviderType type : allProviderTypes()) {
        if (providerTypeName(type) == wanted)
            return type;
    }
    return std::nullopt;
}

QList<ProviderType> allProviderTypes() {
    return {ProviderType::Gemini, ProviderType::AzureOpenAI, ProviderType::OpenAI,
            ProviderType::Anthropic, ProviderType::OpenAICompatible};
}

ProviderConfig defaultProviderConfig(ProviderType type, const QString& name) {
    ProviderConfig config;
    config.type = type;
    config.name = name.isEmpty() ? providerTypeName(type) : name;
    switch (type) {
    case ProviderType::Gemini:
        config.endpoint = QStringLiteral("https://generativelanguage.googleapis.com");
        config.model = QStringLiteral("gemini-2.5-flash");
        break;
    case ProviderType::AzureOpenAI:
        // The resource's endpoint and the deployment are the user's own: no default.
        config.apiVersion = QStringLiteral("2024-10-21");
        break;
    case ProviderType::OpenAI:
        config.endpoint = QStringLiteral("https://api.openai.com/v1");
        config.model = QStringLiteral("gpt-4.1-mini");
        break;
    case ProviderType::Anthropic:
        config.endpoint = QStringLiteral("https://api.anthropic.com");
        config.model = QStringLiteral("claude-sonnet-4-5");
        break;
    case ProviderType::OpenAICompatible:
        config.endpoint = QStringLiteral("http://localhost:11434/v1");
        config.model = QStringLiteral("llama3.1");
        break;
    }
    return config;
}

namespace {

bool isLoopbackHost(const QString& host) {
    const QString h = host.toLower();
    if (h == QLatin1String("localhost") || h == QLatin1String("localhost."))
        return true;
    const QHostAddress address(h);
    return !address.isNull() && address.isLoopback();
}

} // namespace

QString validateProviderConfig(const ProviderConfig& config) {
    if (config.name.trimmed().isEmpty())
        return QStringLiteral("the provider has no name");
    const QString endpoint = config.endpoint.trimmed();
    if (endpoint.isEmpty())
        return QStringLiteral("no endpoint is set (the service's base URL, for example %1)")
            .arg(config.type == ProviderType::AzureOpenAI
                     ? QStringLiteral("https://RESOURCE.openai.azure.com")
                     : defaultProviderConfig(config.type).endpoint);
    const QUrl url(endpoint, QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || url.host().isEmpty() ||
        (scheme != QLatin1String("https") && scheme != QLatin1String("http")))
        return QStringLiteral("the endpoint \"%1\" is not a valid http(s) URL").arg(endpoint);
    if (!url.userInfo().isEmpty())
        return QStringLiteral("the endpoint must not contain a user name or password; the key "
                              "belongs in the keychain");
    if (url.hasQuery() || url.hasFragment())
        return QStringLiteral("the endpoint \"%1\" must be a base URL, without ?query or #fragment")
            .arg(url.toString(QUrl::RemoveQuery | QUrl::RemoveFragment));
    if (scheme == QLatin1String("http") && !isLoopbackHost(url.host()))
        return QStringLiteral("plain http is only allowed for a server on this machine "
                              "(localhost, 127.0.0.1, ::1): use https for %1")
            .arg(url.host());
    if (config.type == ProviderType::AzureOpenAI && config.deployment.trimmed().isEmpty())
        return QStringLiteral("an Azure OpenAI provider needs the deployment name");
    if (config.type != ProviderType::AzureOpenAI && config.model.trimmed().isEmpty())
        return QStringLiteral("no model is set");
    if (!std::isfinite(config.temperature) || config.temperature < 0.0 || config.temperature > 2.0)
        return QStringLiteral("the temperature must be between 0 and 2 (it is %1)")
            .arg(config.temperature);
    if (config.maxTokens <= 0)
        return QStringLiteral("the maximum number of tokens must be positive (it is %1)")
            .arg(config.maxTokens);
    if (config.connectTimeoutMs <= 0 || config.idleTimeoutMs <= 0)
        return QStringLiteral("the timeouts must be positive");
    if (config.maxRetries < 0 || config.maxRetryWaitMs < 0)
        return QStringLiteral("the retry limits must not be negative");
    return QString();
}

QString keyEnvironmentVariable(ProviderType type) {
    switch (type) {
    case ProviderType::Gemini:
        return QStringLiteral("GEMINI_API_KEY");
    case ProviderType::AzureOpenAI:
        return QStringLiteral("AZURE_OPENAI_API_KEY");
    case ProviderType::OpenAI:
        return QStringLiteral("OPENAI_API_KEY");
    case ProviderType::Anthropic:
        return QStringLiteral("ANTHROPIC_API_KEY");
    case ProviderType::OpenAICompatible:
        return QStringLiteral("OMEGA_OPENAI_COMPATIBLE_API_KEY");
    }
    return QString();
}

bool providerRequiresKey(ProviderType type) {
    return type != ProviderType::OpenAICompatible;
}

QList<ProviderConfig> providersByPriority(const QList<ProviderConfig>& providers) {
    QList<ProviderConfig> enabled;
    for (const ProviderConfig& config : providers) {
        if (config.enabled)
            enabled.append(config);
    }
    std::stable_sort(enabled.begin(), enabled.end(),
                     [](const ProviderConfig& a, const ProviderConfig& b) {
                         if (a.priority != b.priority)
                             return a.priority < b.priority;
                         const int byName = a.name.compare(b.name, Qt::CaseInsensitive);
                         if (byName != 0)
                             return byName < 0;
                         return a.name < b.name;
                     });
    return enabled;
}

} // namespace omega
