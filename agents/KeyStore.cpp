#include "KeyStore.h"

#include "Redactor.h"

#include <qt6keychain/keychain.h>

#include <QTimer>

#include <memory>
#include <utility>

namespace omega {

namespace {
constexpr int kLookupTimeoutMs = 5000;
constexpr int kWriteTimeoutMs = 30000; // the user may have to unlock the keychain

QString keychainProblem(QKeychain::Error error, const QString& text) {
    switch (error) {
    case QKeychain::AccessDenied:
    case QKeychain::AccessDeniedByUser:
        return QStringLiteral("the keychain refused access (is it locked?)");
    case QKeychain::NoBackendAvailable:
        return QStringLiteral("no keychain service is running");
    default:
        return QStringLiteral("the keychain is not reachable (%1)").arg(text);
    }
}
} // namespace

KeyStore::KeyStore(QObject* parent)
    : QObject(parent) {
    qRegisterMetaType<omega::KeyLookup>();
}

void KeyStore::lookup(const ProviderConfig& provider) {
    auto* job = new QKeychain::ReadPasswordJob(serviceName(), this);
    job->setAutoDelete(true);
    job->setKey(provider.name);
    const QString envName = keyEnvironmentVariable(provider.type);
    // Whichever comes first, the keychain's answer or the time limit, answers; the other is
    // ignored. (A session bus can be started on demand and then wait ~25 s for a Secret
    // Service that never comes.)
    auto answered = std::make_shared<bool>(false);
    auto answer = [this, provider, envName, answered](QKeychain::Error error, const QString& text,
                                                      const QString& errorText) {
        if (*answered)
            return;
        *answered = true;
        KeyLookup result;
        result.provider = provider.name;
        const QString envKey = qEnvironmentVariable(envName.toLatin1().constData()).trimmed();
        if (error == QKeychain::NoError && !text.isEmpty()) {
            result.key = text;
            result.source = KeySource::Keychain;
        } else if (error == QKeychain::EntryNotFound) {
            if (!envKey.isEmpty()) {
                result.key = envKey;
                result.source = KeySource::Environment;
                result.note = QStringLiteral("using %1 (no key for %2 in the keychain)")
                                  .arg(envName, provider.name);
            }
        } else {
            const QString problem = keychainProblem(error, errorText);
            if (!envKey.isEmpty()) {
                result.key = envKey;
                result.source = KeySource::Environment;
                result.note = QStringLiteral("%1; using %2").arg(problem, envName);
            } else {
                result.note = QStringLiteral("%1, and %2 is not set").arg(problem, envName);
            }
        }
        if (!result.key.isEmpty())
            Redactor::instance().addSecret(result.key);
        Q_EMIT looked(result);
    };
    connect(job, &QKeychain::Job::finished, this, [job, answer](QKeychain::Job*) {
        answer(job->error(), job->textData(), job->errorString());
    });
    QTimer::singleShot(kLookupTimeoutMs, this, [answer] {
        answer(QKeychain::OtherError, QString(),
               QStringLiteral("no answer within %1 s").arg(kLookupTimeoutMs / 1000));
    });
    job->start();
}

void KeyStore::lookupAll(const QList<ProviderConfig>& providers) {
    if (providers.isEmpty()) {
        QMetaObject::invokeMethod(
            this, [this] { Q_EMIT allLooked({}); }, Qt::QueuedConnection);
        return;
    }
    // Each lookup answers on its own; collect them, then answer once.
    auto pending = std::make_shared<int>(int(providers.size()));
    auto results = std::make_shared<QHash<QString, KeyLookup>>();
    auto* collector = new QObject(this);
    for (const ProviderConfig& provider : providers) {
        auto* single = new KeyStore(collector);
        connect(single, &KeyStore::looked, collector,
                [this, pending, results, collector](const KeyLookup& r) {
                    results->insert(r.provider, r);
                    if (--*pending == 0) {
                        Q_EMIT allLooked(*results);
                        collector->deleteLater();
                    }
                });
        single->lookup(provider);
    }
}

void KeyStore::store(const QString& provider, const QString& key) {
    auto* job = new QKeychain::WritePasswordJob(serviceName(), this);
    job->setAutoDelete(true);
    job->setKey(provider);
    job->setTextData(key);
    Redactor::instance().addSecret(key);
    auto answered = std::make_shared<bool>(false);
    QTimer::singleShot(kWriteTimeoutMs, this, [this, provider, answered] {
        if (std::exchange(*answered, true))
            return;
        Q_EMIT stored(
            provider, false,
            QStringLiteral("could not save the key: the keychain did not answer within %1 s")
                .arg(kWriteTimeoutMs / 1000));
    });
    connect(job, &QKeychain::Job::finished, this, [this, job, provider, answered](QKeychain::Job*) {
        if (std::exchange(*answered, true))
            return;
        const bool ok = job->error() == QKeychain::NoError;
        Q_EMIT stored(provider, ok,
                      ok ? QStringLiteral("key for %1 saved in the keychain").arg(provider)
                         : QStringLiteral("could not save the key: %1")
                               .arg(keychainProblem(job->error(), job->errorString())));
    });
    job->start();
}

void KeyStore::remove(const QString& provider) {
    auto* job = new QKeychain::DeletePasswordJob(serviceName(), this);
    job->setAutoDelete(true);
    job->setKey(provider);
    auto answered = std::make_shared<bool>(false);
    QTimer::singleShot(kWriteTimeoutMs, this, [this, provider, answered] {
        if (std::exchange(*answered, true))
            return;
        Q_EMIT removed(
            provider, false,
            QStringLiteral("could not remove the key: the keychain did not answer within %1 s")
                .arg(kWriteTimeoutMs / 1000));
    });
    connect(job, &QKeychain::Job::finished, this, [this, job, provider, answered](QKeychain::Job*) {
        if (std::exchange(*answered, true))
            return;
        const bool ok =
            job->error() == QKeychain::NoError || job->error() == QKeychain::EntryNotFound;
        Q_EMIT removed(provider, ok,
                       ok ? QStringLiteral("key for %1 removed from the keychain").arg(provider)
                          : QStringLiteral("could not remove the key: %1")
                                .arg(keychainProblem(job->error(), job->errorString())));
    });
    job->start();
}

} // namespace omega
