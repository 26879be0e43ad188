#pragma once

#include "ProviderFormat.h"

namespace omega::fake {

// Ollama's native API: POST /api/chat streams NDJSON by default ("stream": false for one
// JSON object), GET /api/tags, no key, errors as {"error":"…"} — also as a line mid-stream.
// Ollama has no content filter, no quota and no rate limiter: those scenarios play its
// closest real behaviour (see README.md).
class OllamaFormat final : public ProviderFormat {
public:
    Provider provider() const override { return Provider::Ollama; }
    std::optional<HttpReply> checkKey(const HttpRequest& request,
                                      const QString& expectedKey) const override;
    ParsedRequest parseGeneration(const HttpRequest& request, Endpoint endpoint,
                                  const QString& pathModel) const override;
    std::optional<HttpReply> errorReply(ErrorKind kind, const ErrorDetails& details) const override;
    HttpReply completeAnswer(const Completion& completion,
                             const GenerationRequest& request) const override;
    HttpReply streamHead(const GenerationRequest& request) const override;
    QList<QByteArray> streamEvents(const Completion& completion,
                                   const GenerationRequest& request) const override;
    QByteArray streamErrorEvent(const GenerationRequest& request, bool crlf) const override;
    HttpReply modelList(const QStringList& models) const override;

protected:
    QByteArray jsonContentType() const override {
        return QByteArrayLiteral("application/json; charset=utf-8");
    }

private:
    HttpReply error(int status, const QString& message) const;
};

} // namespace omega::fake
