#pragma once

#include "ProviderConfig.h"

#include <QList>
#include <QString>

namespace omega {

// Provider configurations in the settings file (CONFIG/settings.ini), never with a key.
class ProviderSettings {
public:
    static QString settingsFile();
    static QList<ProviderConfig> load();
    // Returns false (with `error`) when the file cannot be written.
    static bool save(const QList<ProviderConfig>& providers, QString* error = nullptr);
};

} // namespace omega
