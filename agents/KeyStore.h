#pragma once

#include "ProviderConfig.h"

#include <QHash>
#include <QMetaType>
#include <QObject>

namespace omega {

enum class KeySource { None, Keychain, Environment };

struct KeyLookup {
    QString provider;
    QString key; // empty when none was found
    KeySource source = KeySource::None;
    QString note; // said to the user: why the keychain was not used, where the key came from
};

// API keys, only in the OS keychain (QtKeychain: service "omega-studio", one entry per
// provider name). Where no keychain is reachable (no session bus, locked, no backend) keys come
// from the environment (GEMINI_API_KEY, …) and the lookup says so. A key never goes to a file,
// a log (found keys are registered with the Redactor), a URL or a process argument.
// Asynchronous: QtKeychain talks to the Secret Service over D-Bus.
class KeyStore : public QObject {
    Q_OBJECT
public:
    static QString serviceName() { return QStringLiteral("omega-studio"); }

    explicit KeyStore(QObject* parent = nullptr);

    void lookup(const ProviderConfig& provider);             // → looked
    void lookupAll(const QList<ProviderConfig>& providers);  // → allLooked
    void store(const QString& provider, const QString& key); // → stored
    void remove(const QString& provider);                    // → removed

Q_SIGNALS:
    void looked(const omega::KeyLookup& lookup);
    void allLooked(const QHash<QString, omega::KeyLookup>& lookups);
    void stored(const QString& provider, bool ok, const QString& message);
    void removed(const QString& provider, bool ok, const QString& message);
};

} // namespace omega

Q_DECLARE_METATYPE(omega::KeyLookup)
