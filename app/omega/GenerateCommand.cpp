#include "GenerateCommand.h"

#include "AIScriptGenerationAgent.h"
#include "CliCommon.h"
#include "HealCommand.h"
#include "Paths.h"
#include "ProviderCli.h"
#include "RenderCommand.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QNetworkAccessManager>

namespace omega::cli {

namespace {

QJsonObject usageJson(const TokenUsage& usage) {
    return {{QStringLiteral("input"), usage.input},
            {QStringLiteral("output"), usage.output},
            {QStringLiteral("total"), usage.total}};
}

bool writeScript(const QString& path, const QString& script, QString* error) {
    paths::ensureDir(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(script.toUtf8()) < 0) {
        *error = QStringLiteral("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

} // namespace

int runGenerate(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Write a Manim CE script from a description."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("PROMPT"),
                                 QStringLiteral("What the animation shows."));
    ProviderOptionParser providerOptions;
    providerOptions.addTo(parser);
    const QCommandLineOption outputOpt(
        {QStringLiteral("o"), QStringLiteral("output")},
        QStringLiteral("Write the script to FILE.py instead of stdout."),
        QStringLiteral("FILE.py"));
    const QCommandLineOption renderOpt(
        QStringLiteral("render"),
        QStringLiteral("Render the script (takes omega render's options)."));
    const QCommandLineOption videoOpt(QStringLiteral("video-output"),
                                      QStringLiteral("With --render: copy the video here."),
                                      QStringLiteral("PATH"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"),
                                     QStringLiteral("Print one JSON object at the end."));
    parser.addOptions({outputOpt, renderOpt, videoOpt, jsonOpt});
    RenderOptionParser renderOptions;
    renderOptions.addTo(parser, false);
    HealOptionParser healOptions;
    healOptions.addTo(parser);
    if (!parser.parse(arguments))
        return usageError(parser.errorText(), arguments.contains(QStringLiteral("--json")));
    if (parser.isSet(QStringLiteral("help"))) {
        out() << parser.helpText();
        return ExitOk;
    }
    const bool json = parser.isSet(jsonOpt);
    if (parser.positionalArguments().size() != 1)
        return usageError(QStringLiteral("omega generate takes one PROMPT (quote it)."), json);
    const QString prompt = parser.positionalArguments().first();
    QList<ProviderConfig> providers;
    if (const int code = providerOptions.read(parser, json, &providers); code != ExitOk)
        return code;
    RenderOptions render;
    if (const int code = renderOptions.read(parser, json, &render); code != ExitOk)
        return code;
    render.outputPath = parser.value(videoOpt);
    HealingOptions healing;
    if (const int code = healOptions.read(parser, json, &healing); code != ExitOk)
        return code;
    const bool wantHeal = healOptions.healRequested(parser);
    if (wantHeal && !parser.isSet(renderOpt))
        return usageError(QStringLiteral("--heal goes with --render."), json);
    const QString outputPath = parser.value(outputOpt);
    const bool wantRender = parser.isSet(renderOpt);

    const bool streamToTerminal = !json && stderrIsTerminal();
    QNetworkAccessManager network;
    AIScriptGenerationAgent agent(&network);
    GenerationResult generated;
    QStringList keyNotes;
    int exitCode = ExitFailed;
    QObject::connect(
        &agent, &AIScriptGenerationAgent::providerStarted, &agent,
        [streamToTerminal](const QString&, const QString& provider, const QString& model) {
            if (streamToTerminal)
                err() << "\x1b[2m[" << provider << " · " << model << "]\x1b[0m\n";
        });
    QObject::connect(&agent, &AIScriptGenerationAgent::textDelta, &agent,
                     [streamToTerminal](const QString&, const QString& text) {
                         if (streamToTerminal) {
                             err() << text;
                             err().flush();
                         }
                     });
    QObject::connect(&agent, &AIScriptGenerationAgent::restarted, &agent,
                     [json](const QString&, const QString& reason) {
                         if (!json) {
                             err() << "\n[starting over: " << reason << "]\n";
                             err().flush();
                         }
                     });
    QObject::connect(&agent, &AIScriptGenerationAgent::finished, &agent,
                     [&](const GenerationResult& result) {
                         generated = result;
                         exitCode = exitCodeFor(result.result);
                         if (streamToTerminal)
                             err() << '\n';
                         QCoreApplication::exit(exitCode);
                     });
    onInterrupt([&agent] {
        agent.cancel();
        err() << "\ncancelled\n";
        QCoreApplication::exit(ExitFailed);
    });
    lookUpKeys(providers, json, [&](const QHash<QString, QString>& keys, const QStringList& notes) {
        keyNotes = notes;
        healing.keys = keys;
        agent.setApiKeys(keys);
        agent.generate(prompt, providers);
    });
    QCoreApplication::exec();
    if (agent.isRunning() || generated.result.jobId.isEmpty()) // interrupted
        return ExitFailed;

    // Where the script goes: --output, else (to render it) the data folder, else stdout.
    QString scriptPath = outputPath;
    if (generated.result.ok() && scriptPath.isEmpty() && wantRender)
        scriptPath = QDir(paths::dataDir())
                         .filePath(QStringLiteral("generated/%1.py").arg(generated.result.jobId));
    if (generated.result.ok() && !scriptPath.isEmpty()) {
        QString error;
        if (!writeScript(scriptPath, generated.script, &error)) {
            generated.result.status = ResultStatus::Failed;
            generated.result.error.category = ErrorCategory::Usage;
            generated.result.error.message = error;
            generated.result.error.hint = QStringLiteral("Choose a path you can write to.");
            exitCode = ExitUsage;
        }
    }

    QJsonObject object{
        {QStringLiteral("status"), statusName(generated.result.status)},
        {QStringLiteral("job_id"), generated.result.jobId},
        {QStringLiteral("script_path"), scriptPath},
        {QStringLiteral("scenes"), QJsonArray::fromStringList(generated.sceneNames)},
        {QStringLiteral("provider"), generated.provider},
        {QStringLiteral("model"), generated.model},
        {QStringLiteral("usage"), usageJson(generated.usage)},
        {QStringLiteral("latency_ms"), generated.latencyMs},
        {QStringLiteral("requests"), generated.requests},
        {QStringLiteral("fallbacks"), QJsonArray::fromStringList(generated.fallbacks)},
        {QStringLiteral("notes"), QJsonArray::fromStringList(keyNotes)}};
    if (!generated.result.ok()) {
        object.insert(QStringLiteral("error"), errorJson(generated.result.error));
        object.insert(QStringLiteral("raw_text"), generated.rawText);
        if (json)
            printJson(object);
        else
            printError(generated.result.error);
        if (!json && !generated.rawText.isEmpty() &&
            (generated.result.error.category == ErrorCategory::NoCode ||
             generated.result.error.category == ErrorCategory::Truncated))
            err() << "\nThe model's answer:\n" << generated.rawText << '\n';
        return exitCode;
    }
    if (!json) {
        if (scriptPath.isEmpty())
            out() << generated.script;
        else
            err() << "script written to " << scriptPath << '\n';
        out().flush();
        err().flush();
    }
    if (!wantRender) {
        if (json) {
            if (scriptPath.isEmpty())
                object.insert(QStringLiteral("script"), generated.script);
            printJson(object);
        }
        return ExitOk;
    }
    render.scriptPath = scriptPath;
    if (generated.sceneNames.size() > 1)
        render.scenes = QStringList{generated.sceneNames.first()};
    if (wantHeal) {
        healing.providers = providers;
        QJsonObject extra{{QStringLiteral("generation"), object}};
        return runHealJob(render, healing, json, extra);
    }
    RenderResult rendered;
    exitCode = runRenderJob(render, json, &rendered, json);
    if (json) {
        object.insert(QStringLiteral("render"), renderResultJson(rendered));
        if (!rendered.result.ok())
            object.insert(QStringLiteral("status"), statusName(rendered.result.status));
        printJson(object);
    }
    return exitCode;
}

} // namespace omega::cli
