#pragma once

#include "AIScriptGenerationAgent.h"
#include "BaseAgent.h"
#include "ErrorReport.h"

#include <QPointer>

namespace omega {

// One earlier attempt of the current healing run, as the debugger is told about it.
struct FixAttempt {
    int number = 0;
    QString change; // "AI fix (openai gpt-4.1-mini): …", "rewrite ShowCreation→Create", …
    ErrorReport outcome; // what the render said after it (category None: it rendered)
};

struct FixRequest {
    QString script;            // the script that failed
    ErrorReport error;         // its classified error (detail = trimmed traceback)
    QStringList gateFindings;  // what the pre-render gate found
    QList<FixAttempt> history; // earlier attempts of this run
};

struct FixResult {
    AgentResult result; // provider failures, NoCode, Truncated, NoScene, NoProgress
    QString script;     // the whole corrected file
    QStringList sceneNames;
    QString provider;
    QString model;
    TokenUsage usage;
    QString rawText;
    int requests = 0;
};

// Asks an AI provider to fix a script that failed to render. The prompt (system part in
// resources/prompts/debug_system.md) carries the pinned Manim version, the script with line
// numbers, the classified error with the traceback trimmed to the user's frames, the gate's
// findings and the earlier attempts, and asks for the whole corrected file. The answer goes
// through the same extraction as generation; a "fix" identical to the script is refused
// (NoProgress), so a loop can never spin on it.
class AIScriptDebuggingAgent : public BaseAgent {
    Q_OBJECT
public:
    explicit AIScriptDebuggingAgent(QNetworkAccessManager* network, QObject* parent = nullptr);

    void setApiKeys(const QHash<QString, QString>& keys);
    QString fix(const FixRequest& request, const QList<ProviderConfig>& providers);
    void cancel();
    bool isRunning() const;

    static ChatRequest buildRequest(const FixRequest& request);
    static QString numbered(const QString& script);

Q_SIGNALS:
    void textDelta(const QString& jobId, const QString& text);
    void restarted(const QString& jobId, const QString& reason);
    void finished(const omega::FixResult& result);

private:
    void onGenerated(const GenerationResult& generated);

    AIScriptGenerationAgent* generator_;
    QString scriptBefore_;
};

// Scripts compared as a render would see them: line endings and trailing spaces ignored.
bool sameScript(const QString& a, const QString& b);

} // namespace omega

Q_DECLARE_METATYPE(omega::FixResult)
