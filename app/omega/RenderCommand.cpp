#include "RenderCommand.h"

#include "CliCommon.h"
#include "HealCommand.h"
#include "ManimExecutionAgent.h"
#include "ProviderCli.h"
#include "SandboxCommand.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonArray>

namespace omega::cli {

namespace {

// A one-line bar redrawn in place on a terminal; plain lines (one per finished animation)
// anywhere else, so logs and CI output stay readable.
class ProgressPrinter {
public:
    explicit ProgressPrinter(bool terminal)
        : terminal_(terminal) {}

    void update(const RenderProgress& p) {
        if (p.animationIndex < 0)
            return;
        const QString scene =
            p.sceneCount > 1
                ? QStringLiteral("[%1 %2/%3] ").arg(p.scene).arg(p.sceneIndex + 1).arg(p.sceneCount)
                : QStringLiteral("[%1] ").arg(p.scene);
        const QString label = QStringLiteral("Animation %1: %2").arg(p.animationIndex).arg(p.label);
        if (terminal_) {
            constexpr int kWidth = 24;
            const int shown = p.overallPercent >= 0 ? p.overallPercent : p.percent;
            const int filled = shown * kWidth / 100;
            QString line = scene + QStringLiteral("%1 %2%").arg(label.left(48)).arg(p.percent, 3);
            line += QStringLiteral(" |") + QString(filled, QChar(0x2588)) +
                    QString(kWidth - filled, QLatin1Char(' ')) + QLatin1Char('|');
            if (p.overallPercent >= 0)
                line += QStringLiteral(" overall %1%").arg(p.overallPercent);
            err() << '\r' << line << QStringLiteral("\x1b[K");
            err().flush();
            dirty_ = true;
        } else if (p.percent >= 100 && p.animationIndex != lastPrinted_) {
            lastPrinted_ = p.animationIndex;
            QString line = scene + label + QStringLiteral(" done");
            if (p.overallPercent >= 0)
                line += QStringLiteral(" (%1%)").arg(p.overallPercent);
            err() << line << '\n';
            err().flush();
        }
    }
    void sceneStarted() { lastPrinted_ = -1; }
    void clear() {
        if (dirty_) {
            err() << "\r\x1b[K";
            err().flush();
            dirty_ = false;
        }
    }

private:
    bool terminal_;
    bool dirty_ = false;
    int lastPrinted_ = -1;
};

} // namespace

QJsonObject renderResultJson(const RenderResult& result) {
    QJsonArray outputs;
    for (const SceneOutput& output : result.outputs)
        outputs.append(QJsonObject{{QStringLiteral("scene"), output.scene},
                                   {QStringLiteral("path"), output.path},
                                   {QStringLiteral("media_path"), output.mediaPath},
                                   {QStringLiteral("still_image"), output.stillImage},
                                   {QStringLiteral("elapsed_ms"), output.elapsedMs}});
    QJsonObject object{{QStringLiteral("status"), statusName(result.result.status)},
                       {QStringLiteral("job_id"), result.result.jobId},
                       {QStringLiteral("outputs"), outputs},
                       {QStringLiteral("scenes"), QJsonArray::fromStringList(result.scenes)},
                       {QStringLiteral("duration_ms"), result.result.timings.elapsedMs},
                       {QStringLiteral("media_dir"), result.mediaDir},
                       {QStringLiteral("manim_version"), result.manimVersion},
                       {QStringLiteral("backend"), backendName(result.backend)}};
    if (!result.container.isEmpty())
        object.insert(QStringLiteral("container"),
                      QJsonObject{{QStringLiteral("name"), result.container},
                                  {QStringLiteral("reused"), result.containerReused},
                                  {QStringLiteral("wait_ms"), result.containerWaitMs}});
    if (!result.result.ok()) {
        object.insert(QStringLiteral("error"), errorJson(result.result.error));
        if (!result.failedScene.isEmpty())
            object.insert(QStringLiteral("failed_scene"), result.failedScene);
    }
    return object;
}

namespace {
QCommandLineOption option(const QStringList& names, const QString& help, const QString& value = {},
                          const QString& defaultValue = {}) {
    QCommandLineOption o(names, help, value);
    if (!defaultValue.isEmpty())
        o.setDefaultValue(defaultValue);
    return o;
}
} // namespace

void RenderOptionParser::addTo(QCommandLineParser& parser, bool withSceneSelection) {
    options_ = {
        option({QStringLiteral("s"), QStringLiteral("scene")},
               QStringLiteral("Scene to render (repeatable)."), QStringLiteral("NAME")),
        option({QStringLiteral("a"), QStringLiteral("all")},
               QStringLiteral("Render every scene in the file.")),
        option({QStringLiteral("q"), QStringLiteral("quality")},
               QStringLiteral("l, m, h (default), p or k."), QStringLiteral("Q"),
               QStringLiteral("h")),
        option({QStringLiteral("format")}, QStringLiteral("mp4 (default), gif, webm, mov or png."),
               QStringLiteral("FMT"), QStringLiteral("mp4")),
        option({QStringLiteral("last-frame")}, QStringLiteral("Only the last frame, as PNG.")),
        option({QStringLiteral("transparent")},
               QStringLiteral("Transparent background (mp4 becomes mov).")),
        option({QStringLiteral("aspect")}, QStringLiteral("16:9 (default), 9:16 or 1:1."),
               QStringLiteral("RATIO"), QStringLiteral("16:9")),
        option({QStringLiteral("fps")}, QStringLiteral("Frame rate override."),
               QStringLiteral("N")),
        option({QStringLiteral("o"), QStringLiteral("output")},
               QStringLiteral("Copy the result here (a folder with --all)."),
               QStringLiteral("PATH")),
        option({QStringLiteral("timeout")}, QStringLiteral("Seconds per scene (default 600)."),
               QStringLiteral("SEC"), QStringLiteral("600")),
        option({QStringLiteral("no-cache")},
               QStringLiteral("Do not reuse Manim's cached animations.")),
        option({QStringLiteral("backend")},
               QStringLiteral("Where the script runs: sandbox (the default where bubblewrap "
                              "works: no network, no home folder, limits), docker (a Docker or "
                              "Podman container, kept warm between renders) or local "
                              "(unconfined)."),
               QStringLiteral("NAME")),
        option({QStringLiteral("media-dir")},
               QStringLiteral("Manim media folder (default: one per script in the data folder)."),
               QStringLiteral("DIR")),
        option({QStringLiteral("memory-limit")},
               QStringLiteral("Memory limit of each render process in the sandbox or "
                              "container, in MiB (default 4096)."),
               QStringLiteral("MB")),
        option({QStringLiteral("engine")},
               QStringLiteral("Container engine of --backend docker: auto (default: docker when "
                              "its daemon answers, else podman), docker or podman."),
               QStringLiteral("NAME"), QStringLiteral("auto")),
        option({QStringLiteral("image")},
               QStringLiteral("Render image of --backend docker (default: omega-render:<manim "
                              "version> when built here, else manimcommunity/manim)."),
               QStringLiteral("IMAGE")),
        option({QStringLiteral("cpus")},
               QStringLiteral("CPUs of the render container (default 2; 0: no limit)."),
               QStringLiteral("N")),
        option({QStringLiteral("container-reuse")},
               QStringLiteral("on (default): keep the container warm between renders; off: a "
                              "fresh container for every render."),
               QStringLiteral("on|off"), QStringLiteral("on")),
    };
    if (!withSceneSelection) { // generate --render: the output option is the script's
        options_.removeAt(8);
        options_.removeAt(1);
        options_.removeAt(0);
    }
    parser.addOptions(options_);
}

int RenderOptionParser::read(const QCommandLineParser& parser, bool json,
                             RenderOptions* options) const {
    auto value = [&](const char* name) { return parser.value(QLatin1String(name)); };
    bool sceneSelection = false;
    for (const QCommandLineOption& o : options_)
        sceneSelection |= o.names().contains(QStringLiteral("scene"));
    if (sceneSelection) {
        options->scenes = parser.values(QStringLiteral("scene"));
        options->allScenes = parser.isSet(QStringLiteral("all"));
        if (options->allScenes && !options->scenes.isEmpty())
            return usageError(QStringLiteral("Use either --scene or --all, not both."), json);
        options->outputPath = value("output");
    }
    const auto quality = qualityFromName(value("quality"));
    if (!quality)
        return usageError(QStringLiteral("Unknown quality \"%1\".").arg(value("quality")), json,
                          QStringLiteral("Use l, m, h, p or k."));
    options->quality = *quality;
    const auto format = formatFromName(value("format"));
    if (!format)
        return usageError(QStringLiteral("Unknown format \"%1\".").arg(value("format")), json,
                          QStringLiteral("Use mp4, gif, webm, mov or png."));
    options->format = *format;
    options->lastFrameOnly =
        parser.isSet(QStringLiteral("last-frame")) || options->format == OutputFormat::Png;
    options->transparent = parser.isSet(QStringLiteral("transparent"));
    const auto aspect = aspectFromName(value("aspect"));
    if (!aspect)
        return usageError(QStringLiteral("Unknown aspect \"%1\".").arg(value("aspect")), json,
                          QStringLiteral("Use 16:9, 9:16 or 1:1."));
    options->aspect = *aspect;
    if (parser.isSet(QStringLiteral("fps"))) {
        bool ok = false;
        options->fps = value("fps").toInt(&ok);
        if (!ok || options->fps < 1 || options->fps > 240)
            return usageError(QStringLiteral("--fps takes a whole number from 1 to 240."), json);
    }
    bool timeoutOk = false;
    options->timeoutSec = value("timeout").toInt(&timeoutOk);
    if (!timeoutOk || options->timeoutSec < 1)
        return usageError(QStringLiteral("--timeout takes a positive number of seconds."), json);
    options->useCache = !parser.isSet(QStringLiteral("no-cache"));
    options->mediaDir = value("media-dir");
    if (parser.isSet(QStringLiteral("memory-limit"))) {
        bool ok = false;
        options->memoryLimitMb = value("memory-limit").toInt(&ok);
        if (!ok || options->memoryLimitMb < 256 || options->memoryLimitMb > 1024 * 1024)
            return usageError(
                QStringLiteral("--memory-limit takes a number of MiB from 256 to 1048576."), json);
    }
    const auto engine = engineChoiceFromName(value("engine"));
    if (!engine)
        return usageError(QStringLiteral("Unknown container engine \"%1\".").arg(value("engine")),
                          json, QStringLiteral("Use --engine auto, docker or podman."));
    options->engine = *engine;
    options->image = value("image").trimmed();
    if (parser.isSet(QStringLiteral("cpus"))) {
        bool ok = false;
        options->cpus = value("cpus").toDouble(&ok);
        if (!ok || options->cpus < 0 || options->cpus > 1024)
            return usageError(QStringLiteral("--cpus takes a number of CPUs (0: no limit)."), json);
    }
    const QString reuse = value("container-reuse").toLower();
    if (reuse != QLatin1String("on") && reuse != QLatin1String("off"))
        return usageError(QStringLiteral("--container-reuse takes on or off."), json);
    options->reuseContainer = reuse == QLatin1String("on");
    // Last, so that nothing is printed before a usage error. The warnings go to stderr, never
    // into --json's stdout.
    if (parser.isSet(QStringLiteral("backend"))) {
        const auto backend = backendFromName(value("backend"));
        if (!backend)
            return usageError(QStringLiteral("Unknown backend \"%1\".").arg(value("backend")), json,
                              QStringLiteral("Use --backend sandbox, docker or local."));
        options->backend = *backend;
        if (*backend == RenderBackend::Local)
            err() << "warning: rendering without a sandbox (--backend local): the script runs "
                     "with your rights, files and network\n";
    }
    err().flush();
    return ExitOk;
}

int runRenderJob(const RenderOptions& options, bool json, RenderResult* resultOut, bool quiet) {
    ManimExecutionAgent agent;
    ProgressPrinter printer(!json && stderrIsTerminal());
    int exitCode = ExitFailed;
    QObject::connect(&agent, &ManimExecutionAgent::progressChanged, &agent,
                     [&printer](const QString&, const RenderProgress& progress) {
                         if (progress.animationIndex < 0)
                             printer.sceneStarted();
                         printer.update(progress);
                     });
    QObject::connect(&agent, &ManimExecutionAgent::notice, &agent,
                     [](const QString&, const QString& text) {
                         err() << "warning: " << text << '\n';
                         err().flush();
                     });
    // The container's slow steps (pulling the image, starting it), on a terminal.
    QObject::connect(&agent, &ManimExecutionAgent::containerProgress, &agent,
                     [&printer, json](const QString&, const QString& line) {
                         if (json || !stderrIsTerminal())
                             return;
                         printer.clear();
                         err() << "container: " << line << '\n';
                         err().flush();
                     });
    QObject::connect(&agent, &ManimExecutionAgent::finished, &agent,
                     [&](const RenderResult& result) {
                         printer.clear();
                         exitCode = exitCodeFor(result.result);
                         if (resultOut)
                             *resultOut = result;
                         if (!quiet) {
                             if (json) {
                                 printJson(renderResultJson(result));
                             } else {
                                 for (const SceneOutput& output : result.outputs)
                                     out() << output.path << '\n';
                                 out().flush();
                                 if (!result.result.ok())
                                     printError(result.result.error);
                             }
                         }
                         QCoreApplication::exit(exitCode);
                     });
    onInterrupt([&agent] { agent.cancel(); });
    if (agent.render(options).isEmpty())
        return ExitFailed;
    QCoreApplication::exec();
    return exitCode;
}

int runRender(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Render Manim scenes from FILE."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("FILE"),
                                 QStringLiteral("A Manim CE script (.py)."));
    RenderOptionParser renderOptions;
    renderOptions.addTo(parser, true);
    HealOptionParser healOptions;
    healOptions.addTo(parser);
    ProviderOptionParser providerOptions; // the AI that --heal may ask for fixes
    providerOptions.addTo(parser);
    const QCommandLineOption jsonOpt(QStringLiteral("json"),
                                     QStringLiteral("Print one JSON object with the result."));
    parser.addOption(jsonOpt);
    if (!parser.parse(arguments))
        return usageError(parser.errorText(), arguments.contains(QStringLiteral("--json")));
    if (parser.isSet(QStringLiteral("help"))) {
        out() << parser.helpText();
        return ExitOk;
    }
    const bool json = parser.isSet(jsonOpt);
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 1)
        return usageError(QStringLiteral("omega render takes exactly one FILE."), json);
    RenderOptions options;
    options.scriptPath = positional.first();
    if (const int code = renderOptions.read(parser, json, &options); code != ExitOk)
        return code;
    if (!healOptions.healRequested(parser))
        return runRenderJob(options, json, nullptr);
    HealingOptions healing;
    if (const int code = healOptions.read(parser, json, &healing); code != ExitOk)
        return code;
    if (const int code = providerOptions.read(parser, json, &healing.providers); code != ExitOk)
        return code;
    if (!healing.providers.isEmpty()) {
        lookUpKeys(healing.providers, json,
                   [&healing](const QHash<QString, QString>& keys, const QStringList&) {
                       healing.keys = keys;
                       QCoreApplication::exit(0);
                   });
        QCoreApplication::exec();
    }
    return runHealJob(options, healing, json);
}

} // namespace omega::cli
