#pragma once

#include "ProviderAdapter.h"

namespace omega {

// Google Gemini (v1beta): {base}/v1beta/models/{model}:streamGenerateContent?alt=sse or
// :generateContent, key in the x-goog-api-key header (never ?key=).
class GeminiAdapter final : public ProviderAdapter {
public:
    ProviderType type() const override { return ProviderType::Gemini; }

    QNetworkRequest chatRequest(const ProviderConfig& config, const QString& apiKey) const override;
    QByteArray chatBody(const ProviderConfig& config, const ChatRequest& request) const override;
    // SSE without end marker: a stream is complete once a finishReason came. A prompt blocked
    // (200, no candidates, promptFeedback.blockReason) is a ContentFiltered failure.
    std::unique_ptr<ResponseDecoder> createDecoder(const ProviderConfig& config) const override;
    ProviderFailure parseError(int httpStatus, const QByteArray& body,
                               const RawHeaders& headers) const override;
    // GET {base}/v1beta/models?pageSize=1.
    QNetworkRequest testRequest(const ProviderConfig& config, const QString& apiKey) const override;

    // {"error":{"code","message","status","details":[…]}} → failure; httpStatus 0 → the
    // object's "code". Public for the decoder and tests.
    static ProviderFailure failureFromError(int httpStatus, const QJsonObject& root);
};

} // namespace omega
