#include "SetupCommand.h"

#include "CliCommon.h"
#include "RenderEnvironmentAgent.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <memory>

namespace omega::cli {

int runSetup(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Create the render environment: a Python venv with the pinned Manim CE "
                       "(DATA/venv for an installed app). Does nothing when it is up to date."));
    parser.addHelpOption();
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("Print JSON."));
    const QCommandLineOption forceOpt(QStringLiteral("force"),
                                      QStringLiteral("Rebuild it even when it is up to date."));
    const QCommandLineOption checkOpt(
        QStringLiteral("check"),
        QStringLiteral("Only check: exit 0 when it is up to date, 1 when not; change nothing."));
    const QCommandLineOption requirementsOpt(
        QStringLiteral("requirements"),
        QStringLiteral("The pinned requirements (default: $OMEGA_RENDER_REQUIREMENTS, else the "
                       "render-requirements.txt that comes with Omega Studio)."),
        QStringLiteral("FILE"));
    const QCommandLineOption timeoutOpt(QStringLiteral("timeout"),
                                        QStringLiteral("Give up after SEC seconds (default 1800)."),
                                        QStringLiteral("SEC"));
    parser.addOptions({jsonOpt, forceOpt, checkOpt, requirementsOpt, timeoutOpt});
    if (!parser.parse(arguments))
        return usageError(parser.errorText(), arguments.contains(QStringLiteral("--json")));
    if (parser.isSet(QStringLiteral("help"))) {
        out() << parser.helpText();
        return ExitOk;
    }
    const bool json = parser.isSet(jsonOpt);
    if (!parser.positionalArguments().isEmpty())
        return usageError(QStringLiteral("omega setup takes no file or name (got \"%1\").")
                              .arg(parser.positionalArguments().first()),
                          json);

    RenderEnvironmentOptions options;
    options.force = parser.isSet(forceOpt);
    options.requirementsFile = parser.value(requirementsOpt);
    if (parser.isSet(timeoutOpt)) {
        bool ok = false;
        const int seconds = parser.value(timeoutOpt).toInt(&ok);
        if (!ok || seconds <= 0 || seconds > 24 * 3600)
            return usageError(QStringLiteral("--timeout needs a number of seconds (1 to 86400)."),
                              json);
        options.timeoutMs = seconds * 1000;
    }
    options = RenderEnvironmentAgent::resolved(options);

    if (parser.isSet(checkOpt)) {
        const bool ready = RenderEnvironmentAgent::isUpToDate(options);
        if (json) {
            printJson({{QStringLiteral("status"),
                        ready ? QStringLiteral("ok") : QStringLiteral("not-ready")},
                       {QStringLiteral("up_to_date"), ready},
                       {QStringLiteral("venv"), options.venvDir},
                       {QStringLiteral("requirements"), options.requirementsFile}});
        } else {
            out()
                << (ready
                        ? QStringLiteral("ready: %1\n").arg(options.venvDir)
                        : QStringLiteral("not ready: %1 (run omega setup)\n").arg(options.venvDir));
            out().flush();
        }
        return ready ? ExitOk : ExitFailed;
    }

    RenderEnvironmentAgent agent;
    int exitCode = ExitFailed;
    if (!json) {
        // One line per new activity: "[ 42%] Collecting numpy==2.4.6".
        auto lastActivity = std::make_shared<QString>();
        QObject::connect(&agent, &RenderEnvironmentAgent::progress, &agent,
                         [lastActivity](const RenderEnvironmentProgress& progress) {
                             if (progress.activity == *lastActivity)
                                 return;
                             *lastActivity = progress.activity;
                             out() << QStringLiteral("[%1%] ").arg(progress.percent, 3)
                                   << progress.activity << '\n';
                             out().flush();
                         });
    }
    QObject::connect(&agent, &RenderEnvironmentAgent::finished, &agent,
                     [&](const RenderEnvironmentResult& result) {
                         exitCode = exitCodeFor(result.result);
                         if (json) {
                             printJson(result.toJson());
                         } else if (result.result.ok()) {
                             if (result.skipped)
                                 out() << "The render environment is up to date: " << result.venvDir
                                       << '\n';
                             else
                                 out() << "Ready: " << result.venvDir << " ("
                                       << result.requirementCount
                                       << (result.requirementCount == 1 ? " pinned package)\n"
                                                                        : " pinned packages)\n");
                             out().flush();
                         } else {
                             printError(result.result.error);
                         }
                         QCoreApplication::exit(exitCode);
                     });
    onInterrupt([&agent] { agent.cancel(); });
    if (agent.create(options).isEmpty())
        return ExitFailed;
    QCoreApplication::exec();
    return exitCode;
}

} // namespace omega::cli
