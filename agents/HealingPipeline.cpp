#include "HealingPipeline.h"

#include "Paths.h"
#include "UnifiedDiff.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace omega {

namespace {

ErrorReport makeError(ErrorCategory category, const QString& message, const QString& hint) {
    ErrorReport report;
    report.category = category;
    report.message = message;
    report.hint = hint;
    return report;
}

// Errors only the user's machine or the user can fix: never sent to the AI, never retried.
bool stopsTheLoop(ErrorCategory category) {
    switch (category) {
    case ErrorCategory::Environment:
    case ErrorCategory::Timeout:
    case ErrorCategory::Killed:
    case ErrorCategory::Cancelled:
    case ErrorCategory::Usage:
    case ErrorCategory::NoOutput:
    case ErrorCategory::Internal:
        return true;
    default:
        return isProviderProblem(category);
    }
}

int tokensOf(const TokenUsage& usage) {
    if (usage.total >= 0)
        return usage.total;
    return qMax(0, usage.input) + qMax(0, usage.output);
}

} // namespace

HealingPipeline::HealingPipeline(QNetworkAccessManager* network, QObject* parent)
    : BaseAgent(QStringLiteral("HealingPipeline"), parent)
    , network_(network)
    , gate_(new ScriptGate(this))
    , renderer_(new ManimExecutionAgent(this))
    , dependencies_(new DependencyAgent(this))
    , debugger_(new AIScriptDebuggingAgent(network, this)) {
    qRegisterMetaType<omega::HealingAttempt>();
    qRegisterMetaType<omega::HealingResult>();
    wallClock_.setSingleShot(true);
    connect(&wallClock_, &QTimer::timeout, this, [this] {
        stop(ResultStatus::Failed,
             makeError(ErrorCategory::Timeout,
                       QStringLiteral("Healing stopped after %1 s, its time limit.")
                           .arg(healing_.maxWallTimeSec),
                       QStringLiteral(
                           "Raise the limit, or fix the script by hand from the last error.")));
    });
    connect(gate_, &ScriptGate::finished, this, &HealingPipeline::onGate);
    connect(renderer_, &ManimExecutionAgent::finished, this, &HealingPipeline::onRendered);
    connect(renderer_, &ManimExecutionAgent::progressChanged, this,
            [this](const QString&, const RenderProgress& p) { Q_EMIT renderProgress(jobId_, p); });
    connect(dependencies_, &DependencyAgent::finished, this, &HealingPipeline::onDependency);
    connect(debugger_, &AIScriptDebuggingAgent::finished, this, &HealingPipeline::onFix);
    connect(debugger_, &AIScriptDebuggingAgent::textDelta, this,
            [this](const QString&, const QString& text) { Q_EMIT aiText(jobId_, text); });
}

HealingPipeline::~HealingPipeline() {
    cancel();
}

QString HealingPipeline::start(const RenderOptions& options, const HealingOptions& healing) {
    cancel();
    jobId_ = newJobId();
    options_ = options;
    healing_ = healing;
    healing_.maxAttempts = qMax(1, healing_.maxAttempts);
    result_ = HealingResult{};
    result_.result.jobId = jobId_;
    result_.result.timings.started = QDateTime::currentDateTimeUtc();
    seen_.clear();
    lastFindings_.clear();
    clock_.start();
    debugger_->setApiKeys(healing_.keys);

    const QString id = jobId_;
    QFile file(options.scriptPath);
    const QFileInfo script(options.scriptPath);
    if (!script.isFile() || !file.open(QIODevice::ReadOnly)) {
        QTimer::singleShot(0, this, [this, id, path = options.scriptPath] {
            if (jobId_ == id)
                stop(ResultStatus::Failed,
                     makeError(ErrorCategory::Usage, QStringLiteral("Cannot read %1.").arg(path),
                               QStringLiteral("Check the path.")));
        });
        return jobId_;
    }
    result_.originalScript = QString::fromUtf8(file.readAll());
    // The versions live in the run's own folder, under the script's own name, so Manim's
    // module name and the script's media cache stay the same as a plain render's.
    if (options_.mediaDir.isEmpty())
        options_.mediaDir = ManimExecutionAgent::mediaDirForScript(options.scriptPath);
    workDir_ = QDir(paths::dataDir()).filePath(QStringLiteral("heal/") + jobId_);
    workScript_ = QDir(workDir_).filePath(script.completeBaseName() + QStringLiteral(".py"));
    paths::ensureDir(workDir_);
    info(jobId_, QStringLiteral("healing %1: up to %2 attempts, %3 s, %4 tokens, %5 provider(s)")
                     .arg(options.scriptPath)
                     .arg(healing_.maxAttempts)
                     .arg(healing_.maxWallTimeSec)
                     .arg(healing_.maxTokens)
                     .arg(healing_.providers.size()));
    if (healing_.maxWallTimeSec > 0)
        wallClock_.start(healing_.maxWallTimeSec * 1000);
    QTimer::singleShot(0, this, [this, id] {
        if (jobId_ != id)
            return;
        beginAttempt(result_.originalScript, QStringLiteral("original"), QString());
        runGate();
    });
    return jobId_;
}

void HealingPipeline::beginAttempt(const QString& script, const QString& source,
                                   const QString& detail) {
    const QString previous =
        result_.attempts.isEmpty() ? QString() : result_.attempts.last().script;
    pending_ = HealingAttempt{};
    pending_.number = int(result_.attempts.size()) + 1;
    pending_.fixSource = source;
    pending_.fixDetail = detail;
    pending_.script = script;
    if (!previous.isEmpty())
        pending_.diff =
            unifiedDiff(previous, script, QStringLiteral("attempt %1").arg(pending_.number - 1),
                        QStringLiteral("attempt %1").arg(pending_.number));
    current_ = script;
}

void HealingPipeline::runGate() {
    Q_EMIT stepChanged(jobId_,
                       QStringLiteral("Checking the script (attempt %1)").arg(pending_.number));
    stepClock_.start();
    gate_->check(current_, QFileInfo(options_.scriptPath).fileName(), jobId_);
}

void HealingPipeline::onGate(const GateReport& report) {
    if (!isRunning())
        return;
    if (!report.result.ok()) {
        stop(ResultStatus::Failed, report.result.error);
        return;
    }
    lastFindings_.clear();
    for (const GateFinding& finding : report.findings)
        lastFindings_ << QStringLiteral("line %1: %2").arg(finding.line).arg(finding.message);
    if (healing_.applyRewrites && !report.rewrites.isEmpty() &&
        !sameScript(report.fixedSource, current_)) {
        QStringList rules;
        for (const GateRewrite& rewrite : report.rewrites)
            rules << QStringLiteral("%1 (line %2)").arg(rewrite.rule).arg(rewrite.line);
        info(jobId_, QStringLiteral("gate rewrites: %1").arg(rules.join(QLatin1String(", "))));
        // The rewritten script is a new version of its own, so the history says what fixed it.
        if (pending_.fixSource == QLatin1String("original") && pending_.number == 1) {
            pending_.fixSource = QStringLiteral("rewrite");
            pending_.fixDetail = rules.join(QLatin1String(", "));
            pending_.diff = unifiedDiff(current_, report.fixedSource, QStringLiteral("original"),
                                        QStringLiteral("rewritten"));
        } else {
            pending_.fixDetail +=
                (pending_.fixDetail.isEmpty() ? QString() : QStringLiteral(" + ")) +
                QStringLiteral("rewrites: ") + rules.join(QLatin1String(", "));
        }
        pending_.script = report.fixedSource;
        current_ = report.fixedSource;
    }
    pending_.fixMs += stepClock_.elapsed();
    // An AI answer that, once rewritten, is a version already tried changes nothing.
    if (pending_.fixSource == QLatin1String("ai")) {
        for (const HealingAttempt& earlier : std::as_const(result_.attempts)) {
            if (sameScript(earlier.script, current_)) {
                stop(ResultStatus::Failed,
                     makeError(
                         ErrorCategory::NoProgress,
                         QStringLiteral("The AI's fix is the same script as attempt %1, which "
                                        "already failed: %2")
                             .arg(earlier.number)
                             .arg(earlier.error.message),
                         QStringLiteral("Fix it by hand from the error shown; the attempts are "
                                        "in the history.")));
                return;
            }
        }
    }
    if (report.hasErrors()) {
        // Rejected before rendering: no render is wasted on a script that cannot work.
        ++result_.rendersAvoided;
        pending_.rendered = false;
        pending_.error = report.firstError();
        result_.attempts << pending_;
        Q_EMIT attemptFinished(jobId_, pending_);
        handleFailure(pending_.error);
        return;
    }
    runRender();
}

void HealingPipeline::runRender() {
    QFile file(workScript_);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
        file.write(current_.toUtf8()) < 0) {
        stop(ResultStatus::Failed,
             makeError(
                 ErrorCategory::Internal, QStringLiteral("Cannot write %1.").arg(workScript_),
                 QStringLiteral("Check that the data folder is writable and the disk not full.")));
        return;
    }
    file.close();
    Q_EMIT stepChanged(jobId_, QStringLiteral("Rendering (attempt %1 of at most %2)")
                                   .arg(pending_.number)
                                   .arg(healing_.maxAttempts));
    RenderOptions options = options_;
    options.scriptPath = workScript_;
    stepClock_.start();
    renderer_->render(options);
}

void HealingPipeline::onRendered(const RenderResult& render) {
    if (!isRunning())
        return;
    result_.render = render;
    pending_.rendered = true;
    pending_.renderMs = stepClock_.elapsed();
    pending_.error = render.result.ok() ? ErrorReport{} : render.result.error;
    for (const SceneOutput& output : render.outputs)
        pending_.outputs << output.path;
    result_.attempts << pending_;
    Q_EMIT attemptFinished(jobId_, pending_);
    if (render.result.ok()) {
        stop(ResultStatus::Ok, {});
        return;
    }
    handleFailure(render.result.error);
}

bool HealingPipeline::seenBefore(const ErrorReport& error) const {
    for (const ErrorReport& earlier : seen_) {
        if (earlier.category == error.category && earlier.message == error.message &&
            earlier.scriptLine == error.scriptLine)
            return true;
    }
    return false;
}

void HealingPipeline::handleFailure(const ErrorReport& error) {
    if (error.category == ErrorCategory::Cancelled) {
        stop(ResultStatus::Cancelled, error);
        return;
    }
    if (stopsTheLoop(error.category)) {
        // Environment problems are explained, never sent to the AI and never retried.
        stop(ResultStatus::Failed, error);
        return;
    }
    const bool afterAiFix = pending_.fixSource == QLatin1String("ai");
    if (afterAiFix && seenBefore(error)) {
        ErrorReport report = error;
        report.category = ErrorCategory::NoProgress;
        report.message =
            QStringLiteral("The AI's fix brought back an error already seen in this run: %1")
                .arg(error.message);
        report.hint =
            QStringLiteral("Fix it by hand from the error shown; the attempts are in the history.");
        stop(ResultStatus::Failed, report);
        return;
    }
    seen_ << error;
    if (result_.attempts.size() >= healing_.maxAttempts) {
        ErrorReport report = error;
        report.message = QStringLiteral("Still failing after %1 attempts: %2")
                             .arg(result_.attempts.size())
                             .arg(error.message);
        stop(ResultStatus::Failed, report);
        return;
    }
    if (error.category == ErrorCategory::MissingModule) {
        Q_EMIT stepChanged(
            jobId_, QStringLiteral("Installing the missing module %1").arg(error.missingName));
        stepClock_.start();
        if (!dependencies_->install(error, healing_.installPolicy).isEmpty())
            return;
        stop(ResultStatus::Failed, makeError(ErrorCategory::Internal,
                                             QStringLiteral("The dependency agent is busy."), {}));
        return;
    }
    askAi(error);
}

void HealingPipeline::onDependency(const DependencyResult& dependency) {
    if (!isRunning())
        return;
    using Outcome = DependencyResult::Outcome;
    switch (dependency.outcome) {
    case Outcome::Installed: {
        const qint64 ms = stepClock_.elapsed();
        beginAttempt(current_, QStringLiteral("dependency"),
                     QStringLiteral("%1 %2").arg(dependency.package, dependency.version));
        pending_.fixMs = ms;
        runRender();
        return;
    }
    case Outcome::AlreadyAvailable: // the import is fine: the script's use of it is the problem
        askAi(result_.attempts.last().error);
        return;
    case Outcome::NeedsApproval:
        stop(ResultStatus::Failed,
             makeError(
                 ErrorCategory::MissingModule, dependency.reason,
                 QStringLiteral("Approve it with --allow-install %1 (or --allow-listed-installs).")
                     .arg(dependency.package)));
        return;
    case Outcome::Refused:
    case Outcome::Failed:
        if (dependency.result.error.category == ErrorCategory::MissingManimName) {
            askAi(result_.attempts.last().error); // a Manim name, not a package: a code error
            return;
        }
        stop(ResultStatus::Failed,
             makeError(ErrorCategory::MissingModule, dependency.reason,
                       dependency.result.error.hint.isEmpty()
                           ? QStringLiteral("Install it yourself, or remove the import.")
                           : dependency.result.error.hint));
        return;
    }
}

void HealingPipeline::askAi(const ErrorReport& error) {
    if (healing_.providers.isEmpty()) {
        ErrorReport report = error;
        report.hint = QStringLiteral("Only an AI fix could go on from here, and no AI provider is "
                                     "configured (omega providers add …). %1")
                          .arg(error.hint);
        stop(ResultStatus::Failed, report);
        return;
    }
    if (result_.tokensUsed >= healing_.maxTokens) {
        ErrorReport report = error;
        report.hint = QStringLiteral("The token budget of this run (%1) is spent. %2")
                          .arg(healing_.maxTokens)
                          .arg(error.hint);
        stop(ResultStatus::Failed, report);
        return;
    }
    FixRequest request;
    request.script = current_;
    request.error = error;
    request.gateFindings = lastFindings_;
    for (const HealingAttempt& attempt : std::as_const(result_.attempts)) {
        FixAttempt earlier;
        earlier.number = attempt.number;
        earlier.change = attempt.fixDetail.isEmpty()
                             ? attempt.fixSource
                             : attempt.fixSource + QStringLiteral(": ") + attempt.fixDetail;
        earlier.outcome = attempt.error;
        request.history << earlier;
    }
    // The answer may not spend more than what is left of the run's budget.
    QList<ProviderConfig> providers = healing_.providers;
    const int remaining = healing_.maxTokens - result_.tokensUsed;
    for (ProviderConfig& provider : providers)
        provider.maxTokens = qMax(1, qMin(provider.maxTokens, remaining));
    Q_EMIT stepChanged(jobId_, QStringLiteral("Asking the AI to fix %1 at line %2")
                                   .arg(categoryName(error.category))
                                   .arg(error.scriptLine));
    stepClock_.start();
    debugger_->fix(request, providers);
}

void HealingPipeline::onFix(const FixResult& fix) {
    if (!isRunning())
        return;
    result_.aiRequests += fix.requests;
    result_.tokensUsed += tokensOf(fix.usage);
    if (!fix.result.ok()) {
        stop(ResultStatus::Failed, fix.result.error);
        return;
    }
    const qint64 ms = stepClock_.elapsed();
    beginAttempt(fix.script, QStringLiteral("ai"),
                 QStringLiteral("%1 %2").arg(fix.provider, fix.model));
    pending_.tokens = fix.usage;
    pending_.fixMs = ms;
    runGate();
}

void HealingPipeline::stop(ResultStatus status, const ErrorReport& error) {
    if (jobId_.isEmpty())
        return;
    wallClock_.stop();
    gate_->cancel();
    renderer_->cancel();
    dependencies_->cancel();
    debugger_->cancel();
    result_.result.status = status;
    result_.result.error = error;
    result_.result.timings.elapsedMs = clock_.elapsed();
    result_.finalScript = current_;
    if (!workDir_.isEmpty())
        QDir(workDir_).removeRecursively(); // this run's own folder only
    if (status == ResultStatus::Ok)
        info(jobId_, QStringLiteral("healed in %1 attempt(s), %2 AI request(s), %3 tokens")
                         .arg(result_.attempts.size())
                         .arg(result_.aiRequests)
                         .arg(result_.tokensUsed));
    else
        warning(jobId_, QStringLiteral("healing stopped (%1): %2")
                            .arg(categoryName(error.category), error.message));
    const HealingResult result = result_;
    jobId_.clear();
    Q_EMIT finished(result);
}

void HealingPipeline::cancel() {
    if (jobId_.isEmpty())
        return;
    stop(ResultStatus::Cancelled,
         makeError(ErrorCategory::Cancelled, QStringLiteral("Cancelled."), {}));
}

} // namespace omega
