#include "AIScriptGenerationAgent.h"

#include "CodeExtractor.h"
#include "Paths.h"

#include <QFile>
#include <QRegularExpression>

namespace omega {

AIScriptGenerationAgent::AIScriptGenerationAgent(QNetworkAccessManager* network, QObject* parent)
    : BaseAgent(QStringLiteral("AIScriptGenerationAgent"), parent)
    , network_(network) {
    qRegisterMetaType<omega::GenerationResult>();
}

QString AIScriptGenerationAgent::systemPrompt() {
    QFile file(paths::resourcePath(QStringLiteral("prompts/generate_system.md")));
    QString text = file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
    if (text.isEmpty()) // a broken install must still produce a usable request
        text = QStringLiteral("You write one complete Manim Community Edition {{MANIM_VERSION}} "
                              "script in a single ```python block, starting with "
                              "`from manim import *`, with one Scene subclass.");
    return text.replace(QLatin1String("{{MANIM_VERSION}}"), QLatin1String(OMEGA_MANIM_VERSION));
}

ChatRequest AIScriptGenerationAgent::buildRequest(const QString& prompt) {
    ChatRequest request;
    request.system = systemPrompt();
    // The prompt is data, fenced off from our instructions; a closing tag inside it cannot
    // end the block early.
    QString data = prompt.trimmed();
    static const QRegularExpression closingTag(QStringLiteral("<\\s*/\\s*animation_request\\s*>"),
                                               QRegularExpression::CaseInsensitiveOption);
    data.replace(closingTag, QStringLiteral("</ animation_request_text>"));
    request.messages << ChatMessage{
        ChatMessage::Role::User,
        QStringLiteral("<animation_request>\n%1\n</animation_request>").arg(data)};
    return request;
}

QString AIScriptGenerationAgent::generate(const QString& prompt,
                                          const QList<ProviderConfig>& providers) {
    const QString id = generateFrom(buildRequest(prompt), providers);
    info(id, QStringLiteral("generate: %1 character prompt").arg(prompt.size()));
    if (prompt.trimmed().isEmpty()) {
        queue_.clear(); // the queued start finds no provider to try and reports this instead
        emptyPrompt_ = true;
    }
    return id;
}

QString AIScriptGenerationAgent::generateFrom(const ChatRequest& request,
                                              const QList<ProviderConfig>& providers) {
    cancel();
    jobId_ = newJobId();
    result_ = GenerationResult{};
    result_.result.jobId = jobId_;
    result_.result.timings.started = QDateTime::currentDateTimeUtc();
    request_ = request;
    queue_ = providers;
    skipped_.clear();
    lastError_ = ErrorReport{};
    emptyPrompt_ = false;
    clock_.start();
    debug(jobId_, QStringLiteral("%1 provider(s) to try").arg(providers.size()));
    const QString id = jobId_;
    QTimer::singleShot(0, this, [this, id] {
        if (jobId_ != id)
            return;
        if (emptyPrompt_) {
            ErrorReport report;
            report.category = ErrorCategory::Usage;
            report.message = QStringLiteral("The prompt is empty.");
            report.hint = QStringLiteral("Describe the animation you want.");
            finish(ResultStatus::Failed, report);
            return;
        }
        tryNextProvider();
    });
    return jobId_;
}

bool AIScriptGenerationAgent::allowsFallback(ErrorCategory category) {
    switch (category) {
    case ErrorCategory::ProviderUnavailable:
    case ErrorCategory::ProviderRateLimited:
    case ErrorCategory::ProviderQuota:
    case ErrorCategory::ProviderBadResponse:
        return true;
    default: // a bad key, a wrong model name or a blocked prompt is the same elsewhere
        return false;
    }
}

void AIScriptGenerationAgent::tryNextProvider() {
    while (!queue_.isEmpty()) {
        const ProviderConfig config = queue_.takeFirst();
        const QString key = keys_.value(config.name);
        const QString problem = validateProviderConfig(config);
        if (!problem.isEmpty()) {
            skipped_ << QStringLiteral("%1: %2").arg(config.name, problem);
            continue;
        }
        if (key.isEmpty() && providerRequiresKey(config.type)) {
            skipped_ << QStringLiteral("%1 has no API key").arg(config.name);
            continue;
        }
        if (client_)
            client_->deleteLater();
        client_ = new AIProviderClient(network_, this);
        connect(client_, &AIProviderClient::textDelta, this, &AIScriptGenerationAgent::textDelta);
        connect(client_, &AIProviderClient::restarted, this,
                [this](const QString& jobId, int, int waitMs, const QString& reason) {
                    Q_EMIT restarted(jobId, QStringLiteral("%1; retrying in %2 s")
                                                .arg(reason)
                                                .arg(waitMs / 1000.0, 0, 'f', 1));
                });
        connect(client_, &AIProviderClient::finished, this, &AIScriptGenerationAgent::onCompletion);
        result_.provider = config.name;
        result_.model = config.model.isEmpty() ? config.deployment : config.model;
        Q_EMIT providerStarted(jobId_, config.name, result_.model);
        client_->start(config, key, request_, jobId_);
        return;
    }
    ErrorReport report;
    if (lastError_.isError()) { // every provider tried failed; say what each did
        report = lastError_;
        report.message = QStringLiteral("Every provider failed: %1")
                             .arg((result_.fallbacks + skipped_).join(QLatin1String("; ")));
        finish(ResultStatus::Failed, report);
        return;
    }
    report.category = ErrorCategory::NoProvider;
    report.message =
        skipped_.isEmpty()
            ? QStringLiteral("No AI provider is configured.")
            : QStringLiteral("No usable AI provider: %1.").arg(skipped_.join(QLatin1String("; ")));
    report.hint = QStringLiteral(
        "Add a key with `omega keys set NAME` (or set GEMINI_API_KEY / OPENAI_API_KEY / "
        "ANTHROPIC_API_KEY / AZURE_OPENAI_API_KEY), or point at a local server: "
        "--provider openai-compatible --endpoint http://localhost:11434/v1 --model MODEL.");
    finish(ResultStatus::Failed, report);
}

void AIScriptGenerationAgent::onCompletion(const CompletionResult& completion) {
    if (completion.result.jobId != jobId_)
        return;
    result_.requests += completion.requests;
    result_.provider = completion.provider;
    result_.model = completion.model;
    result_.usage = completion.usage;
    result_.rawText = completion.text;
    if (!completion.result.ok()) {
        const ErrorReport& error = completion.result.error;
        if (allowsFallback(error.category) && !queue_.isEmpty()) {
            lastError_ = error;
            result_.fallbacks << error.message;
            warning(jobId_, QStringLiteral("falling back after: %1").arg(error.message));
            Q_EMIT restarted(jobId_,
                             QStringLiteral("%1; trying the next provider").arg(error.message));
            tryNextProvider();
            return;
        }
        ErrorReport report = error;
        if (!result_.fallbacks.isEmpty())
            report.message = QStringLiteral("Every provider failed: %1; %2")
                                 .arg(result_.fallbacks.join(QLatin1String("; ")), error.message);
        finish(ResultStatus::Failed, report);
        return;
    }

    ErrorReport report;
    if (completion.finish == FinishReason::MaxTokens) {
        report.category = ErrorCategory::Truncated;
        report.message = QStringLiteral("The answer was cut off at the token limit (%1 tokens), so "
                                        "the script is incomplete.")
                             .arg(completion.usage.output >= 0 ? completion.usage.output : -1);
        report.hint =
            QStringLiteral("Raise the provider's max tokens, or ask for a shorter animation.");
        finish(ResultStatus::Failed, report);
        return;
    }
    if (completion.finish == FinishReason::ContentFiltered ||
        completion.finish == FinishReason::PromptBlocked) {
        report.category = ErrorCategory::ContentFiltered;
        report.message =
            QStringLiteral("%1's safety filter blocked the answer.").arg(completion.provider);
        report.hint = QStringLiteral("Rephrase the prompt.");
        finish(ResultStatus::Failed, report);
        return;
    }
    const ExtractedCode code = extractManimCode(completion.text);
    if (!code.found) {
        report.category = ErrorCategory::NoCode;
        report.message = QStringLiteral("The model returned no Manim code.");
        report.hint = QStringLiteral("Its answer is kept; try again or rephrase the prompt.");
        finish(ResultStatus::Failed, report);
        return;
    }
    result_.script = code.code;
    result_.sceneNames = code.sceneNames;
    if (code.sceneNames.isEmpty()) {
        report.category = ErrorCategory::NoScene;
        report.message = QStringLiteral("The model's code defines no Scene subclass.");
        report.hint = QStringLiteral("Try again, or add a Scene class by hand.");
        finish(ResultStatus::Failed, report);
        return;
    }
    finish(ResultStatus::Ok);
}

void AIScriptGenerationAgent::finish(ResultStatus status, const ErrorReport& error) {
    if (jobId_.isEmpty())
        return;
    result_.result.status = status;
    result_.result.error = error;
    result_.latencyMs = clock_.elapsed();
    result_.result.timings.elapsedMs = result_.latencyMs;
    if (status == ResultStatus::Ok)
        info(jobId_,
             QStringLiteral("script from %1 (%2): scenes %3, %4 ms")
                 .arg(result_.provider, result_.model, result_.sceneNames.join(QLatin1String(", ")))
                 .arg(result_.latencyMs));
    else
        warning(jobId_, QStringLiteral("generation failed (%1): %2")
                            .arg(categoryName(error.category), error.message));
    const GenerationResult result = result_;
    jobId_.clear();
    Q_EMIT finished(result);
}

void AIScriptGenerationAgent::cancel() {
    if (jobId_.isEmpty())
        return;
    if (client_)
        client_->cancel();
    info(jobId_, QStringLiteral("generation cancelled"));
    jobId_.clear();
}

} // namespace omega
