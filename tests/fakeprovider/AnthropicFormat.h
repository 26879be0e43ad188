#pragma once

#include "ProviderFormat.h"

namespace omega::fake {

// Anthropic Messages: `x-api-key` + required `anthropic-version`, required max_tokens,
// SSE with named events (message_start … message_stop, ping), errors as
// {"type":"error","error":{"type","message"},"request_id"}, 529 overloaded_error.
class AnthropicFormat final : public ProviderFormat {
public:
    Provider provider() const override { return Provider::Anthropic; }
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
    HttpHeaders responseHeaders() const override;

private:
    HttpReply error(int status, const char* type, const QString& message) const;
};

} // namespace omega::fake
