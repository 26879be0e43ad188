#include "HealCommand.h"

#include "CliCommon.h"
#include "RenderCommand.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>

namespace omega::cli {

void HealOptionParser::addTo(QCommandLineParser& parser) {
    parser.addOptions({
        {QStringLiteral("heal"),
         QStringLiteral(
             "Fix the script until it renders: known-mistake rewrites, approved installs, "
             "AI fixes (capped).")},
        {QStringLiteral("max-attempts"), QStringLiteral("With --heal: scripts tried (default 3)."),
         QStringLiteral("N")},
        {QStringLiteral("max-tokens"),
         QStringLiteral("With --heal: AI tokens for the run (default 60000)."),
         QStringLiteral("N")},
        {QStringLiteral("max-heal-time"),
         QStringLiteral("With --heal: seconds for the run (default 900)."), QStringLiteral("SEC")},
        {QStringLiteral("allow-install"),
         QStringLiteral("With --heal: packages that may be installed (PKG[,PKG…])."),
         QStringLiteral("PKGS")},
        {QStringLiteral("allow-listed-installs"),
         QStringLiteral("With --heal: install packages on the allow list without asking.")},
    });
}

bool HealOptionParser::healRequested(const QCommandLineParser& parser) const {
    return parser.isSet(QStringLiteral("heal"));
}

int HealOptionParser::read(const QCommandLineParser& parser, bool json,
                           HealingOptions* options) const {
    auto number = [&](const char* name, int* target, int min) {
        if (!parser.isSet(QLatin1String(name)))
            return true;
        bool ok = false;
        const int value = parser.value(QLatin1String(name)).toInt(&ok);
        if (!ok || value < min)
            return false;
        *target = value;
        return true;
    };
    if (!number("max-attempts", &options->maxAttempts, 1) || options->maxAttempts > 20)
        return usageError(QStringLiteral("--max-attempts takes a number from 1 to 20."), json);
    if (!number("max-tokens", &options->maxTokens, 0))
        return usageError(QStringLiteral("--max-tokens takes a whole number."), json);
    if (!number("max-heal-time", &options->maxWallTimeSec, 1))
        return usageError(QStringLiteral("--max-heal-time takes a positive number of seconds."),
                          json);
    for (const QString& package :
         parser.value(QStringLiteral("allow-install")).split(QLatin1Char(','), Qt::SkipEmptyParts))
        options->installPolicy.approved << package.trimmed();
    options->installPolicy.allowListed = parser.isSet(QStringLiteral("allow-listed-installs"));
    return ExitOk;
}

namespace {
QJsonObject attemptJson(const HealingAttempt& a) {
    QJsonObject o{
        {QStringLiteral("number"), a.number},
        {QStringLiteral("script"), a.script},
        {QStringLiteral("fix_source"), a.fixSource},
        {QStringLiteral("fix_detail"), a.fixDetail},
        {QStringLiteral("rendered"), a.rendered},
        {QStringLiteral("ok"), !a.error.isError()},
        {QStringLiteral("diff"), a.diff},
        {QStringLiteral("fix_ms"), a.fixMs},
        {QStringLiteral("render_ms"), a.renderMs},
        {QStringLiteral("outputs"), QJsonArray::fromStringList(a.outputs)},
        {QStringLiteral("tokens"), QJsonObject{{QStringLiteral("input"), a.tokens.input},
                                               {QStringLiteral("output"), a.tokens.output},
                                               {QStringLiteral("total"), a.tokens.total}}}};
    if (a.error.isError())
        o.insert(QStringLiteral("error"), errorJson(a.error));
    return o;
}

QString describe(const HealingAttempt& a) {
    QString text = QStringLiteral("attempt %1 (%2%3): ")
                       .arg(a.number)
                       .arg(a.fixSource,
                            a.fixDetail.isEmpty() ? QString() : QStringLiteral(" ") + a.fixDetail);
    if (!a.error.isError())
        return text + QStringLiteral("rendered");
    text += a.rendered ? QString() : QStringLiteral("rejected before rendering, ");
    text += categoryName(a.error.category);
    if (a.error.scriptLine > 0)
        text += QStringLiteral(" at line %1").arg(a.error.scriptLine);
    return text + QStringLiteral(": ") + a.error.message;
}
} // namespace

int runHealJob(const RenderOptions& options, const HealingOptions& healing, bool json,
               const QJsonObject& extra) {
    QNetworkAccessManager network;
    HealingPipeline pipeline(&network);
    int exitCode = ExitFailed;
    HealingResult healed;
    QObject::connect(&pipeline, &HealingPipeline::stepChanged, &pipeline,
                     [json](const QString&, const QString& step) {
                         if (!json) {
                             err() << "-- " << step << '\n';
                             err().flush();
                         }
                     });
    QObject::connect(&pipeline, &HealingPipeline::attemptFinished, &pipeline,
                     [json](const QString&, const HealingAttempt& attempt) {
                         if (!json) {
                             err() << "   " << describe(attempt) << '\n';
                             err().flush();
                         }
                     });
    QObject::connect(&pipeline, &HealingPipeline::finished, &pipeline,
                     [&](const HealingResult& result) {
                         healed = result;
                         exitCode = exitCodeFor(result.result);
                         QCoreApplication::exit(exitCode);
                     });
    onInterrupt([&pipeline] { pipeline.cancel(); });
    pipeline.start(options, healing);
    QCoreApplication::exec();

    // Write the healed script back, keeping the original.
    QString backup;
    const bool changed =
        healed.result.ok() && !sameScript(healed.finalScript, healed.originalScript);
    if (changed) {
        backup = options.scriptPath + QStringLiteral(".bak");
        QFile::remove(backup);
        QFile out(options.scriptPath);
        if (!QFile::copy(options.scriptPath, backup) ||
            !out.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
            out.write(healed.finalScript.toUtf8()) < 0) {
            healed.result.status = ResultStatus::Failed;
            healed.result.error.category = ErrorCategory::Usage;
            healed.result.error.message =
                QStringLiteral("Rendered, but cannot write the fixed script to %1.")
                    .arg(options.scriptPath);
            exitCode = ExitUsage;
        }
    }

    if (json) {
        QJsonObject object = renderResultJson(healed.render);
        for (auto it = extra.begin(); it != extra.end(); ++it)
            object.insert(it.key(), it.value());
        object.insert(QStringLiteral("status"), statusName(healed.result.status));
        object.insert(QStringLiteral("job_id"), healed.result.jobId);
        object.insert(QStringLiteral("duration_ms"), healed.result.timings.elapsedMs);
        QJsonArray attempts;
        for (const HealingAttempt& attempt : healed.attempts)
            attempts.append(attemptJson(attempt));
        object.insert(QStringLiteral("attempts"), attempts);
        object.insert(QStringLiteral("ai_requests"), healed.aiRequests);
        object.insert(QStringLiteral("tokens_used"), healed.tokensUsed);
        object.insert(QStringLiteral("renders_avoided"), healed.rendersAvoided);
        object.insert(QStringLiteral("script_changed"), changed);
        if (changed)
            object.insert(QStringLiteral("backup_file"), backup);
        if (healed.result.ok())
            object.remove(QStringLiteral("error"));
        else
            object.insert(QStringLiteral("error"), errorJson(healed.result.error));
        printJson(object);
        return exitCode;
    }
    for (const SceneOutput& output : healed.render.outputs)
        if (healed.result.ok())
            out() << output.path << '\n';
    out().flush();
    if (changed)
        err() << "fixed " << options.scriptPath << " (the original is in " << backup << ")\n";
    if (!healed.result.ok())
        printError(healed.result.error);
    err().flush();
    return exitCode;
}

} // namespace omega::cli
