#include "ProviderCli.h"

#include "CliCommon.h"
#include "ProviderSettings.h"

#include <QCoreApplication>

namespace omega::cli {

void ProviderOptionParser::addTo(QCommandLineParser& parser) {
    parser.addOptions({
        {QStringLiteral("provider"),
         QStringLiteral("A configured provider's name, or a type: gemini, azure-openai, openai, "
                        "anthropic, openai-compatible. Default: the configured ones by priority."),
         QStringLiteral("NAME")},
        {QStringLiteral("model"), QStringLiteral("Model name."), QStringLiteral("M")},
        {QStringLiteral("endpoint"),
         QStringLiteral("Base URL as the official SDKs take it (OpenAI-style ones include /v1)."),
         QStringLiteral("URL")},
        {QStringLiteral("deployment"), QStringLiteral("Azure deployment."), QStringLiteral("D")},
        {QStringLiteral("api-version"),
         QStringLiteral("Azure api-version (empty: the v1 endpoint)."), QStringLiteral("V")},
        {QStringLiteral("request-timeout"),
         QStringLiteral("Seconds to wait for the answer to start, and for each pause in it."),
         QStringLiteral("SEC")},
    });
}

int ProviderOptionParser::read(const QCommandLineParser& parser, bool json,
                               QList<ProviderConfig>* providers) const {
    const QList<ProviderConfig> configured = ProviderSettings::load();
    const bool overrides =
        parser.isSet(QStringLiteral("model")) || parser.isSet(QStringLiteral("endpoint")) ||
        parser.isSet(QStringLiteral("deployment")) || parser.isSet(QStringLiteral("api-version"));
    int timeoutSec = 0;
    if (parser.isSet(QStringLiteral("request-timeout"))) {
        bool ok = false;
        timeoutSec = parser.value(QStringLiteral("request-timeout")).toInt(&ok);
        if (!ok || timeoutSec < 1)
            return usageError(
                QStringLiteral("--request-timeout takes a positive number of seconds."), json);
    }
    if (!parser.isSet(QStringLiteral("provider"))) {
        if (overrides)
            return usageError(
                QStringLiteral(
                    "--model, --endpoint, --deployment and --api-version need --provider."),
                json);
        *providers = providersByPriority(configured);
    } else {
        const QString name = parser.value(QStringLiteral("provider"));
        std::optional<ProviderConfig> chosen;
        for (const ProviderConfig& config : configured) {
            if (config.name == name)
                chosen = config;
        }
        if (!chosen) {
            const auto type = providerTypeFromName(name);
            if (!type)
                return usageError(
                    QStringLiteral("Unknown provider \"%1\".").arg(name), json,
                    QStringLiteral(
                        "Use a configured name (omega providers list) or a type: gemini, "
                        "azure-openai, openai, anthropic, openai-compatible."));
            for (const ProviderConfig& config : configured) { // a configured one of that type
                if (!chosen && config.type == *type)
                    chosen = config;
            }
            if (!chosen)
                chosen = defaultProviderConfig(*type, name);
        }
        if (parser.isSet(QStringLiteral("model")))
            chosen->model = parser.value(QStringLiteral("model"));
        if (parser.isSet(QStringLiteral("endpoint")))
            chosen->endpoint = parser.value(QStringLiteral("endpoint"));
        if (parser.isSet(QStringLiteral("deployment")))
            chosen->deployment = parser.value(QStringLiteral("deployment"));
        if (parser.isSet(QStringLiteral("api-version")))
            chosen->apiVersion = parser.value(QStringLiteral("api-version"));
        chosen->enabled = true;
        const QString problem = validateProviderConfig(*chosen);
        if (!problem.isEmpty())
            return usageError(QStringLiteral("Provider %1: %2").arg(chosen->name, problem), json);
        *providers = {*chosen};
    }
    if (timeoutSec > 0) {
        for (ProviderConfig& config : *providers) {
            config.connectTimeoutMs = timeoutSec * 1000;
            config.idleTimeoutMs = timeoutSec * 1000;
        }
    }
    return ExitOk;
}

void lookUpKeys(const QList<ProviderConfig>& providers, bool quiet,
                std::function<void(QHash<QString, QString>, QStringList)> done) {
    auto* store = new KeyStore(QCoreApplication::instance());
    QObject::connect(store, &KeyStore::allLooked, store,
                     [store, quiet, done](const QHash<QString, KeyLookup>& lookups) {
                         QHash<QString, QString> keys;
                         QStringList notes;
                         for (const KeyLookup& lookup : lookups) {
                             if (!lookup.key.isEmpty())
                                 keys.insert(lookup.provider, lookup.key);
                             if (!lookup.note.isEmpty()) {
                                 notes
                                     << QStringLiteral("%1: %2").arg(lookup.provider, lookup.note);
                                 if (!quiet)
                                     err() << "note: " << lookup.provider << ": " << lookup.note
                                           << '\n';
                             }
                         }
                         err().flush();
                         store->deleteLater();
                         done(keys, notes);
                     });
    store->lookupAll(providers);
}

} // namespace omega::cli
