#pragma once

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace omega {

enum class ProviderType { Gemini, AzureOpenAI, OpenAI, Anthropic, OpenAICompatible };

// "gemini", "azure-openai", "openai", "anthropic", "openai-compatible"
QString providerTypeName(ProviderType type);
std::optional<ProviderType> providerTypeFromName(const QString& name);
QList<ProviderType> allProviderTypes();

// One configured AI provider. Never holds the API key: keys live in the OS keychain
// (KeyStore) under the provider's name.
struct ProviderConfig {
    QString name; // unique; the keychain entry's name
    ProviderType type = ProviderType::OpenAI;
    // Base URL as the official SDKs take it: Gemini https://generativelanguage.googleapis.com;
    // Azure https://RESOURCE.openai.azure.com; OpenAI and compatible servers including /v1
    // (http://localhost:11434/v1); Anthropic https://api.anthropic.com.
    QString endpoint;
    QString deployment; // Azure: the deployment name
    QString model;
    QString apiVersion; // Azure: empty → the v1 endpoint (/openai/v1/…, no api-version)
    double temperature = 0.7;
    int maxTokens = 8192;
    int priority = 100; // lower goes first
    bool enabled = true;
    bool stream = true;
    int connectTimeoutMs = 30000; // until the response headers arrive
    int idleTimeoutMs = 60000;    // longest silence while the answer streams
    int maxRetries = 2;           // retries of retryable failures (so up to 3 requests)
    int maxRetryWaitMs = 60000;   // a Retry-After longer than this is not waited for
};

// Defaults for a type: endpoint, model, api-version.
ProviderConfig defaultProviderConfig(ProviderType type, const QString& name = {});

// Empty when usable; else what is wrong, in one sentence (missing endpoint or deployment,
// plain http to a non-loopback host, …).
QString validateProviderConfig(const ProviderConfig& config);

// The environment variable that holds a key when no keychain is reachable.
QString keyEnvironmentVariable(ProviderType type);
// OpenAI-compatible local servers usually need no key.
bool providerRequiresKey(ProviderType type);

// Enabled providers, by priority then name.
QList<ProviderConfig> providersByPriority(const QList<ProviderConfig>& providers);

} // namespace omega
