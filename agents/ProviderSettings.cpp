#include "ProviderSettings.h"

#include "Paths.h"

#include <QDir>
#include <QSettings>

namespace omega {

QString ProviderSettings::settingsFile() {
    return QDir(paths::configDir()).filePath(QStringLiteral("settings.ini"));
}

QList<ProviderConfig> ProviderSettings::load() {
    QSettings settings(settingsFile(), QSettings::IniFormat);
    QList<ProviderConfig> providers;
    const int count = settings.beginReadArray(QStringLiteral("providers"));
    for (int i = 0; i < count; ++i) {
        settings.setArrayIndex(i);
        const auto type = providerTypeFromName(settings.value(QStringLiteral("type")).toString());
        if (!type)
            continue;
        ProviderConfig config =
            defaultProviderConfig(*type, settings.value(QStringLiteral("name")).toString());
        config.endpoint = settings.value(QStringLiteral("endpoint"), config.endpoint).toString();
        config.deployment =
            settings.value(QStringLiteral("deployment"), config.deployment).toString();
        config.model = settings.value(QStringLiteral("model"), config.model).toString();
        config.apiVersion =
            settings.value(QStringLiteral("apiVersion"), config.apiVersion).toString();
        config.temperature =
            settings.value(QStringLiteral("temperature"), config.temperature).toDouble();
        config.maxTokens = settings.value(QStringLiteral("maxTokens"), config.maxTokens).toInt();
        config.priority = settings.value(QStringLiteral("priority"), config.priority).toInt();
        config.enabled = settings.value(QStringLiteral("enabled"), config.enabled).toBool();
        config.connectTimeoutMs =
            settings.value(QStringLiteral("connectTimeoutMs"), config.connectTimeoutMs).toInt();
        config.idleTimeoutMs =
            settings.value(QStringLiteral("idleTimeoutMs"), config.idleTimeoutMs).toInt();
        config.maxRetries = settings.value(QStringLiteral("maxRetries"), config.maxRetries).toInt();
        if (!config.name.isEmpty())
            providers << config;
    }
    settings.endArray();
    return providers;
}

bool ProviderSettings::save(const QList<ProviderConfig>& providers, QString* error) {
    paths::ensureDir(paths::configDir());
    QSettings settings(settingsFile(), QSettings::IniFormat);
    settings.remove(QStringLiteral("providers"));
    settings.beginWriteArray(QStringLiteral("providers"), int(providers.size()));
    for (int i = 0; i < providers.size(); ++i) {
        const ProviderConfig& config = providers.at(i);
        settings.setArrayIndex(i);
        settings.setValue(QStringLiteral("name"), config.name);
        settings.setValue(QStringLiteral("type"), providerTypeName(config.type));
        settings.setValue(QStringLiteral("endpoint"), config.endpoint);
        settings.setValue(QStringLiteral("deployment"), config.deployment);
        settings.setValue(QStringLiteral("model"), config.model);
        settings.setValue(QStringLiteral("apiVersion"), config.apiVersion);
        settings.setValue(QStringLiteral("temperature"), config.temperature);
        settings.setValue(QStringLiteral("maxTokens"), config.maxTokens);
        settings.setValue(QStringLiteral("priority"), config.priority);
        settings.setValue(QStringLiteral("enabled"), config.enabled);
        settings.setValue(QStringLiteral("connectTimeoutMs"), config.connectTimeoutMs);
        settings.setValue(QStringLiteral("idleTimeoutMs"), config.idleTimeoutMs);
        settings.setValue(QStringLiteral("maxRetries"), config.maxRetries);
    }
    settings.endArray();
    settings.sync();
    if (settings.status() != QSettings::NoError) {
        if (error)
            *error = QStringLiteral("cannot write %1").arg(settingsFile());
        return false;
    }
    return true;
}

} // namespace omega
