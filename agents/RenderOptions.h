#pragma once

#include <QSize>
#include <QString>
#include <QStringList>

#include <optional>

namespace omega {

enum class Quality { Low, Medium, High, Production, FourK };
enum class OutputFormat { Mp4, Gif, Webm, Mov, Png };
enum class Aspect { Landscape16x9, Portrait9x16, Square1x1 };

std::optional<Quality> qualityFromName(const QString& name); // l m h p k
QString qualityName(Quality quality);                        // l m h p k
std::optional<OutputFormat> formatFromName(const QString& name);
QString formatName(OutputFormat format);
std::optional<Aspect> aspectFromName(const QString& name); // 16:9 9:16 1:1
QString aspectName(Aspect aspect);

// Where the script runs. Local: the render Python as it is, with the user's rights, network
// and files (only by explicit choice). Sandbox: the same Python inside bubblewrap
// (SandboxCommand.h): read-only system, only the job and media folders writable, no network,
// no home folder, no secrets, limits on memory, processes and CPU time.
// Auto: Sandbox where bubblewrap works on this machine (probed once per process, without
// blocking, by the agent that renders), else Local with a warning.
// Docker: inside a Docker or Podman container (DockerAgent.h): no network, non-root, read-only
// image, only the job folder mounted, memory / CPU / pids limits; a warm container is reused.
enum class RenderBackend { Local, Sandbox, Auto, Docker };
std::optional<RenderBackend> backendFromName(const QString& name); // local sandbox auto docker
QString backendName(RenderBackend backend);

// Which container engine the docker backend uses. Auto: docker when its daemon answers, else
// podman.
enum class ContainerEngineChoice { Auto, Docker, Podman };
std::optional<ContainerEngineChoice>
engineChoiceFromName(const QString& name); // auto docker podman
QString engineChoiceName(ContainerEngineChoice choice);

// What to render and how. Defaults match `manim render` with no flags except the quality,
// which callers choose.
struct RenderOptions {
    QString scriptPath; // the user's file; never executed in place
    QStringList scenes; // explicit scene names; empty + allScenes=false → the only scene
    bool allScenes = false;
    Quality quality = Quality::High;
    OutputFormat format = OutputFormat::Mp4;
    bool lastFrameOnly = false;
    bool transparent = false;
    Aspect aspect = Aspect::Landscape16x9;
    int fps = 0;          // 0: the quality's frame rate
    int timeoutSec = 600; // per scene
    bool useCache = true;
    QString mediaDir;   // empty: a persistent folder per script under paths::mediaRootDir()
    QString outputPath; // empty: leave the result in the media folder
    RenderBackend backend = RenderBackend::Auto;
    // Limits of a confined backend (ignored by Local), per process of the render.
    int memoryLimitMb = 4096;   // address space (RLIMIT_AS)
    int maxProcesses = 512;     // processes and threads of the sandbox (RLIMIT_NPROC)
    int cpuTimeLimitSec = 3600; // CPU time (RLIMIT_CPU); the wall-clock limit is timeoutSec
    // The docker backend.
    ContainerEngineChoice engine = ContainerEngineChoice::Auto;
    QString image;              // empty: omega-render:<manim version> if present, else the
                                // official manimcommunity/manim:v<manim version>
    double cpus = 2.0;          // CPUs of the container (--cpus); 0: no limit
    int containerIdleSec = 600; // a warm container idle this long is removed
    bool reuseContainer = true; // false: a fresh container per render (cold)
};

// Pixel size and frame rate actually rendered.
QSize resolutionFor(Quality quality, Aspect aspect);
int frameRateFor(Quality quality, int fpsOverride);

// The arguments after `python`: "-m manim render … FILE SCENE". Pure, never shell-quoted:
// they go to QProcess as a list.
QStringList manimArguments(const RenderOptions& options, const QString& scriptInJob,
                           const QString& scene, const QString& mediaDir);

// Where manim writes the result for this scene (media/videos/<module>/<H>p<fps>/<Scene>.mp4,
// images/<module>/<Scene>_ManimCE_v<ver>.png for last-frame, …). `module` is the script's
// file stem. Pure: derived from the options, not parsed from manim's log.
QString expectedOutputPath(const RenderOptions& options, const QString& mediaDir,
                           const QString& module, const QString& scene,
                           const QString& manimVersion);
// Where a scene with no animations leaves its image instead of a video.
QString expectedStillImagePath(const QString& mediaDir, const QString& module, const QString& scene,
                               const QString& manimVersion);

} // namespace omega
