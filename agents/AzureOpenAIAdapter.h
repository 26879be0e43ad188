#pragma once

#include "ProviderAdapter.h"

namespace omega {

// Azure OpenAI: the OpenAI chat-completions format (body, decoder and errors are shared with
// OpenAIAdapter) behind Azure's URLs and `api-key` header.
// - apiVersion set: {base}/openai/deployments/{deployment}/chat/completions?api-version=V
// - apiVersion empty: the v1 API, {base}/openai/v1/chat/completions, "model": deployment.
// The endpoint is the resource's base URL; one that already ends in /openai or /openai/v1
// (as the v1 SDKs take it) is accepted too.
class AzureOpenAIAdapter final : public ProviderAdapter {
public:
    ProviderType type() const override { return ProviderType::AzureOpenAI; }

    QNetworkRequest chatRequest(const ProviderConfig& config, const QString& apiKey) const override;
    QByteArray chatBody(const ProviderConfig& config, const ChatRequest& request) const override;
    std::unique_ptr<ResponseDecoder> createDecoder(const ProviderConfig& config) const override;
    ProviderFailure parseError(int httpStatus, const QByteArray& body,
                               const RawHeaders& headers) const override;
    // There is no cheap GET that proves a deployment exists (the models list is the
    // resource's, not the deployment's), so the test is a one-word chat to the deployment,
    // non-streamed, capped at a few tokens: testRequest() is its POST, testBody() its body.
    QNetworkRequest testRequest(const ProviderConfig& config, const QString& apiKey) const override;
    QByteArray testBody(const ProviderConfig& config) const override;

private:
    QNetworkRequest request(const ProviderConfig& config, const QString& apiKey,
                            bool streaming) const;
};

} // namespace omega
