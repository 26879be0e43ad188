#pragma once

#include <QMutex>
#include <QString>
#include <QStringList>

namespace omega {

// Removes secrets from text before it is logged, printed or stored. Knows the secrets it
// was told about (API keys loaded from the keychain) and the shapes of common keys and
// auth headers, so a key it was never told about is still caught in the usual places.
class Redactor {
public:
    static Redactor& instance();

    void addSecret(const QString& secret); // ignored when shorter than 6 characters
    void removeSecret(const QString& secret);
    void clearSecrets();

    QString redact(QString text) const;

    static QString placeholder() { return QStringLiteral("[redacted]"); }

private:
    mutable QMutex mutex_;
    QStringList secrets_;
};

inline QString redact(const QString& text) {
    return Redactor::instance().redact(text);
}

} // namespace omega
