#pragma once

#include "ProviderFormat.h"

namespace omega::fake {

// Google Gemini v1beta: generateContent, streamGenerateContent (?alt=sse: `data:` events
// ended by \r\n\r\n, no [DONE]; without alt=sse: one JSON array written piecemeal),
// google.rpc-style errors pretty-printed with two spaces.
class GeminiFormat final : public ProviderFormat {
public:
    Provider provider() const override { return Provider::Gemini; }
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

    // Whether the key came in the URL (?key=), which clients must never do.
    static bool keyInQuery(const HttpRequest& request);

protected:
    QByteArray jsonContentType() const override {
        return QByteArrayLiteral("application/json; charset=UTF-8");
    }
    HttpHeaders responseHeaders() const override;

private:
    HttpReply error(int code, const char* status, const QString& message,
                    const QList<Json>& details = {}) const;
    HttpReply invalidArgument(const QString& message) const;
};

} // namespace omega::fake
