#pragma once

#include "ProviderFormat.h"

namespace omega::fake {

// OpenAI chat completions, and its two relatives that share the body format:
// - Azure OpenAI (classic /openai/deployments/{d}/chat/completions?api-version=, and v1):
//   `api-key` header, Azure's own error bodies, prompt_filter_results /
//   content_filter_results, a first stream chunk with "choices":[], members sorted by name.
// - OpenAI-compatible local servers (Ollama /v1, LM Studio, vLLM): the OpenAI flavour
//   served with an empty expected key, so any key (or none) is accepted.
class OpenAiFormat final : public ProviderFormat {
public:
    enum class Flavour { OpenAi, Azure };
    explicit OpenAiFormat(Flavour flavour)
        : m_flavour(flavour) {}

    Provider provider() const override {
        return m_flavour == Flavour::Azure ? Provider::Azure : Provider::OpenAi;
    }
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
    bool isAzure() const { return m_flavour == Flavour::Azure; }
    // {"error":{"message","type","param","code"}}: OpenAI's shape (Azure uses it too for
    // request-validation errors), pretty-printed with four spaces by OpenAI.
    HttpReply openAiError(int status, const QString& message, const Json& type,
                          const Json& param = Json(), const Json& code = Json()) const;
    // {"error":{"code","message"}}: Azure's gateway shape (auth, deployment, throttling).
    HttpReply azureError(int status, const char* code, const QString& message) const;

    Flavour m_flavour;
};

} // namespace omega::fake
