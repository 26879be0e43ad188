#pragma once

#include "AIScriptDebuggingAgent.h"
#include "BaseAgent.h"
#include "DependencyAgent.h"
#include "ManimExecutionAgent.h"
#include "ScriptGate.h"

#include <QElapsedTimer>
#include <QHash>
#include <QNetworkAccessManager>
#include <QTimer>

namespace omega {

struct HealingOptions {
    int maxAttempts = 3;       // scripts tried (renders, and versions the gate rejected)
    int maxWallTimeSec = 900;  // the whole run
    int maxTokens = 60000;     // AI tokens for the whole run (input + output)
    bool applyRewrites = true; // the gate's deterministic fixes
    InstallPolicy installPolicy;
    QList<ProviderConfig> providers; // for AI fixes, in order; empty: no AI
    QHash<QString, QString> keys;    // provider name → key
};

// One version of the script and what happened to it.
struct HealingAttempt {
    int number = 0;    // 1-based
    QString script;    // the version tried
    QString diff;      // unified diff from the previous version ("" for the first)
    QString fixSource; // original | rewrite | dependency | ai
    QString fixDetail; // "ShowCreation → Create (line 5)", "pyyaml 6.0.2", "openai gpt-4.1-mini"
    ErrorReport error; // what it ended with; category None: it rendered
    bool rendered = false; // false when the gate rejected it before any render
    TokenUsage tokens;     // of the AI request that produced this version
    qint64 fixMs = 0;
    qint64 renderMs = 0;
    QStringList outputs;
};

struct HealingResult {
    AgentResult result;
    RenderResult render; // the last render
    QList<HealingAttempt> attempts;
    QString originalScript;
    QString finalScript; // the last version (the one that rendered, when it did)
    int aiRequests = 0;
    int tokensUsed = 0;
    int rendersAvoided = 0; // versions the gate rejected without rendering
};

// The self-healing loop, one state machine over the agents:
//   gate (+ deterministic rewrites) → render → on failure classify →
//     missing module → DependencyAgent (approved installs) → render again
//     code error → AIScriptDebuggingAgent → gate → render again
//     environment, timeout, killed, no approval, no provider → stop, explained
// until it renders or a cap is reached: attempts, wall time, tokens. A fix identical to the
// script, or one that brings back an error already seen in this run, stops it at once.
// Every attempt is recorded (script version, diff, error, what fixed it, tokens, times).
// The user's file is never written here: the caller decides what to do with finalScript.
class HealingPipeline : public BaseAgent {
    Q_OBJECT
public:
    explicit HealingPipeline(QNetworkAccessManager* network, QObject* parent = nullptr);
    ~HealingPipeline() override;

    // Renders options.scriptPath, healing it. Returns the job id; finished() follows once.
    QString start(const RenderOptions& options, const HealingOptions& healing);
    void cancel();
    bool isRunning() const { return !jobId_.isEmpty(); }

    ManimExecutionAgent* renderer() const { return renderer_; }

Q_SIGNALS:
    void stepChanged(const QString& jobId, const QString& description);
    void renderProgress(const QString& jobId, const omega::RenderProgress& progress);
    void aiText(const QString& jobId, const QString& text);
    void attemptFinished(const QString& jobId, const omega::HealingAttempt& attempt);
    void finished(const omega::HealingResult& result);

private:
    void runGate();
    void onGate(const GateReport& report);
    void runRender();
    void onRendered(const RenderResult& render);
    void handleFailure(const ErrorReport& error);
    void askAi(const ErrorReport& error);
    void onFix(const FixResult& fix);
    void onDependency(const DependencyResult& dependency);
    void beginAttempt(const QString& script, const QString& source, const QString& detail);
    void stop(ResultStatus status, const ErrorReport& error);
    bool seenBefore(const ErrorReport& error) const;

    QNetworkAccessManager* network_;
    ScriptGate* gate_;
    ManimExecutionAgent* renderer_;
    DependencyAgent* dependencies_;
    AIScriptDebuggingAgent* debugger_;
    QTimer wallClock_;

    QString jobId_;
    RenderOptions options_;
    HealingOptions healing_;
    HealingResult result_;
    QString workDir_;
    QString workScript_;
    QString current_;        // the version being tried
    HealingAttempt pending_; // the attempt being built
    QStringList lastFindings_;
    QList<ErrorReport> seen_;
    QElapsedTimer clock_;
    QElapsedTimer stepClock_;
};

} // namespace omega

Q_DECLARE_METATYPE(omega::HealingAttempt)
Q_DECLARE_METATYPE(omega::HealingResult)
