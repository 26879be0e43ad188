#include "ProviderFormat.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QUuid>

namespace omega::fake {

QString providerName(Provider provider) {
    switch (provider) {
    case Provider::Gemini:
        return QStringLiteral("gemini");
    case Provider::Azure:
        return QStringLiteral("azure");
    case Provider::OpenAi:
        return QStringLiteral("openai");
    case Provider::Anthropic:
        return QStringLiteral("anthropic");
    case Provider::Ollama:
        return QStringLiteral("ollama");
    }
    return {};
}

HttpReply ProviderFormat::jsonReply(int status, const QByteArray& body) const {
    HttpReply reply;
    reply.status = status;
    reply.headers = {{"Content-Type", jsonContentType()}};
    reply.headers += responseHeaders();
    reply.setBody(body);
    return reply;
}

QByteArray randomToken(int length) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    QByteArray token(length, '0');
    for (char& c : token)
        c = alphabet[QRandomGenerator::global()->bounded(int(sizeof(alphabet) - 1))];
    return token;
}

QByteArray randomHex(int length) {
    static const char digits[] = "0123456789abcdef";
    QByteArray token(length, '0');
    for (char& c : token)
        c = digits[QRandomGenerator::global()->bounded(16)];
    return token;
}

QByteArray randomUuid() {
    return QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
}

qint64 nowSeconds() {
    return QDateTime::currentSecsSinceEpoch();
}

int tokenEstimate(const QString& text) {
    return qMax(1, int((text.toUtf8().size() + 3) / 4));
}

QString maskedKey(const QString& key) {
    if (key.size() <= 8)
        return QString(key.size(), QLatin1Char('*'));
    return key.left(3) + QString(key.size() - 7, QLatin1Char('*')) + key.right(4);
}

std::optional<QJsonObject> parseObject(const QByteArray& body) {
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(body, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return std::nullopt;
    return document.object();
}

} // namespace omega::fake
