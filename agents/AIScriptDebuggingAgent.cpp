#include "AIScriptDebuggingAgent.h"

#include "Paths.h"

#include <QFile>
#include <QRegularExpression>

namespace omega {

namespace {
QString normalized(const QString& script) {
    static const QRegularExpression trailingSpace(QStringLiteral("[ \\t]+$"),
                                                  QRegularExpression::MultilineOption);
    QString text = script;
    text.replace(QLatin1String("\r\n"), QLatin1String("\n"));
    text.remove(trailingSpace);
    return text.trimmed();
}
} // namespace

bool sameScript(const QString& a, const QString& b) {
    return normalized(a) == normalized(b);
}

AIScriptDebuggingAgent::AIScriptDebuggingAgent(QNetworkAccessManager* network, QObject* parent)
    : BaseAgent(QStringLiteral("AIScriptDebuggingAgent"), parent)
    , generator_(new AIScriptGenerationAgent(network, this)) {
    qRegisterMetaType<omega::FixResult>();
    connect(generator_, &AIScriptGenerationAgent::textDelta, this,
            &AIScriptDebuggingAgent::textDelta);
    connect(generator_, &AIScriptGenerationAgent::restarted, this,
            &AIScriptDebuggingAgent::restarted);
    connect(generator_, &AIScriptGenerationAgent::finished, this,
            &AIScriptDebuggingAgent::onGenerated);
}

void AIScriptDebuggingAgent::setApiKeys(const QHash<QString, QString>& keys) {
    generator_->setApiKeys(keys);
}

bool AIScriptDebuggingAgent::isRunning() const {
    return generator_->isRunning();
}

void AIScriptDebuggingAgent::cancel() {
    generator_->cancel();
}

QString AIScriptDebuggingAgent::numbered(const QString& script) {
    const QStringList lines = script.split(QLatin1Char('\n'));
    const int width = int(QString::number(lines.size()).size());
    QString text;
    for (int i = 0; i < lines.size(); ++i) {
        if (i == lines.size() - 1 && lines.at(i).isEmpty())
            break; // the final newline
        text += QStringLiteral("%1| %2\n").arg(i + 1, width).arg(lines.at(i));
    }
    return text;
}

ChatRequest AIScriptDebuggingAgent::buildRequest(const FixRequest& request) {
    ChatRequest chat;
    QFile file(paths::resourcePath(QStringLiteral("prompts/debug_system.md")));
    chat.system = file.open(QIODevice::ReadOnly)
                      ? QString::fromUtf8(file.readAll())
                      : QStringLiteral("Fix this Manim CE {{MANIM_VERSION}} "
                                       "script; answer with the whole file "
                                       "in one ```python block.");
    chat.system.replace(QLatin1String("{{MANIM_VERSION}}"), QLatin1String(OMEGA_MANIM_VERSION));

    QString text;
    text += QStringLiteral("Manim Community Edition version: %1\n\n")
                .arg(QLatin1String(OMEGA_MANIM_VERSION));
    text += QStringLiteral("<script>\n%1</script>\n\n").arg(numbered(request.script));
    const ErrorReport& e = request.error;
    text +=
        QStringLiteral("<error category=\"%1\"%2>\n%3\n")
            .arg(categoryName(e.category),
                 e.scriptLine > 0 ? QStringLiteral(" line=\"%1\"").arg(e.scriptLine) : QString(),
                 e.message);
    if (!e.detail.trimmed().isEmpty())
        text += QStringLiteral("Traceback (the script's frames and the final message):\n%1\n")
                    .arg(e.detail.trimmed());
    text += QStringLiteral("</error>\n");
    if (!request.gateFindings.isEmpty())
        text += QStringLiteral("\n<static_check>\n- %1\n</static_check>\n")
                    .arg(request.gateFindings.join(QLatin1String("\n- ")));
    if (!request.history.isEmpty()) {
        text += QStringLiteral("\n<earlier_attempts>\n");
        for (const FixAttempt& attempt : request.history) {
            text +=
                QStringLiteral("Attempt %1: %2 → %3\n")
                    .arg(attempt.number)
                    .arg(attempt.change,
                         attempt.outcome.isError()
                             ? QStringLiteral("%1: %2").arg(categoryName(attempt.outcome.category),
                                                            attempt.outcome.message)
                             : QStringLiteral("rendered"));
        }
        text += QStringLiteral("</earlier_attempts>\n");
    }
    text += QStringLiteral("\nReturn the whole corrected file.");
    chat.messages << ChatMessage{ChatMessage::Role::User, text};
    return chat;
}

QString AIScriptDebuggingAgent::fix(const FixRequest& request,
                                    const QList<ProviderConfig>& providers) {
    scriptBefore_ = request.script;
    const QString id = generator_->generateFrom(buildRequest(request), providers);
    info(id, QStringLiteral("asking for a fix of %1 at line %2: %3")
                 .arg(categoryName(request.error.category))
                 .arg(request.error.scriptLine)
                 .arg(request.error.message));
    return id;
}

void AIScriptDebuggingAgent::onGenerated(const GenerationResult& generated) {
    FixResult fixResult;
    fixResult.result = generated.result;
    fixResult.script = generated.script;
    fixResult.sceneNames = generated.sceneNames;
    fixResult.provider = generated.provider;
    fixResult.model = generated.model;
    fixResult.usage = generated.usage;
    fixResult.rawText = generated.rawText;
    fixResult.requests = generated.requests;
    if (fixResult.result.ok() && sameScript(fixResult.script, scriptBefore_)) {
        fixResult.result.status = ResultStatus::Failed;
        fixResult.result.error.category = ErrorCategory::NoProgress;
        fixResult.result.error.message =
            QStringLiteral("The AI returned the script unchanged, so there is nothing new to try.");
        fixResult.result.error.hint =
            QStringLiteral("Fix the line shown by hand, or rephrase what the animation should do.");
        warning(generated.result.jobId, fixResult.result.error.message);
    }
    Q_EMIT finished(fixResult);
}

} // namespace omega
