#include "Redactor.h"

#include <QMutexLocker>
#include <QRegularExpression>

namespace omega {

namespace {
// Shapes of secrets worth catching even when nobody registered them: auth headers and
// the key formats of the providers we talk to.
const QList<QRegularExpression>& secretPatterns() {
    static const QList<QRegularExpression> patterns{
        // Header values: "Authorization: Bearer X", "x-api-key: X", "api-key: X", "x-goog-api-key:
        // X"
        QRegularExpression(
            QStringLiteral(
                R"((\b(?:authorization|x-api-key|api-key|x-goog-api-key)\b["']?\s*[:=]\s*["']?(?:bearer\s+)?)[^\s"',;}]+)"),
            QRegularExpression::CaseInsensitiveOption),
        // "Bearer X" anywhere
        QRegularExpression(QStringLiteral(R"((\bbearer\s+)[A-Za-z0-9._~+/=-]{8,})"),
                           QRegularExpression::CaseInsensitiveOption),
        // key=… in query strings and KEY=value environment dumps
        QRegularExpression(
            QStringLiteral(R"(([?&](?:key|api_key|api-key|access_token)=)[^&\s"']+)"),
            QRegularExpression::CaseInsensitiveOption),
        QRegularExpression(QStringLiteral(R"((\b[A-Z0-9_]*(?:API_KEY|TOKEN|SECRET)\s*=\s*)\S+)")),
        // Provider key formats: OpenAI/Anthropic "sk-…", Google "AIza…"
        QRegularExpression(QStringLiteral(R"(()\bsk-[A-Za-z0-9_-]{16,})")),
        QRegularExpression(QStringLiteral(R"(()\bAIza[0-9A-Za-z_-]{20,})")),
    };
    return patterns;
}
} // namespace

Redactor& Redactor::instance() {
    static Redactor redactor;
    return redactor;
}

void Redactor::addSecret(const QString& secret) {
    const QString trimmed = secret.trimmed();
    if (trimmed.size() < 6)
        return;
    QMutexLocker lock(&mutex_);
    if (!secrets_.contains(trimmed))
        secrets_.append(trimmed);
}

void Redactor::removeSecret(const QString& secret) {
    QMutexLocker lock(&mutex_);
    secrets_.removeAll(secret.trimmed());
}

void Redactor::clearSecrets() {
    QMutexLocker lock(&mutex_);
    secrets_.clear();
}

QString Redactor::redact(QString text) const {
    {
        QMutexLocker lock(&mutex_);
        for (const QString& secret : secrets_)
            text.replace(secret, placeholder());
    }
    for (const QRegularExpression& pattern : secretPatterns())
        text.replace(pattern, QStringLiteral("\\1") + placeholder());
    return text;
}

} // namespace omega
