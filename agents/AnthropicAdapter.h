#pragma once

#include "ProviderAdapter.h"

namespace omega {

// Anthropic Messages: {base}/v1/messages, headers x-api-key and anthropic-version: 2023-06-01.
// The stream is SSE with named events and ends with message_stop.
class AnthropicAdapter final : public ProviderAdapter {
public:
    ProviderType type() const override { return ProviderType::Anthropic; }

    QNetworkRequest chatRequest(const ProviderConfig& config, const QString& apiKey) const override;
    // Anthropic's temperature range is 0..1: higher values are sent as 1.
    QByteArray chatBody(const ProviderConfig& config, const ChatRequest& request) const override;
    std::unique_ptr<ResponseDecoder> createDecoder(const ProviderConfig& config) const override;
    ProviderFailure parseError(int httpStatus, const QByteArray& body,
                               const RawHeaders& headers) const override;
    // GET {base}/v1/models?limit=1.
    QNetworkRequest testRequest(const ProviderConfig& config, const QString& apiKey) const override;

    // {"type":"error","error":{"type","message"}} → failure, by the error's type (which an
    // error event inside a 200 stream carries without a status), else by the status.
    static ProviderFailure failureFromError(int httpStatus, const QJsonObject& root,
                                            const RawHeaders& headers = {});

    static constexpr const char* kApiVersion = "2023-06-01";
};

} // namespace omega
