#include "RenderOptions.h"

#include <QDir>

namespace omega {

namespace {
struct QualitySpec {
    Quality quality;
    const char* name;
    const char* flag;
    int width;
    int height;
    int fps;
};
// manim's quality presets (manim/constants.py QUALITIES).
constexpr QualitySpec kQualities[] = {
    {Quality::Low, "l", "-ql", 854, 480, 15},     {Quality::Medium, "m", "-qm", 1280, 720, 30},
    {Quality::High, "h", "-qh", 1920, 1080, 60},  {Quality::Production, "p", "-qp", 2560, 1440, 60},
    {Quality::FourK, "k", "-qk", 3840, 2160, 60},
};

const QualitySpec& specFor(Quality quality) {
    for (const QualitySpec& spec : kQualities) {
        if (spec.quality == quality)
            return spec;
    }
    return kQualities[2];
}

QString fileExtension(const RenderOptions& options) {
    switch (options.format) {
    case OutputFormat::Gif:
        return QStringLiteral("gif");
    case OutputFormat::Webm:
        return QStringLiteral("webm");
    case OutputFormat::Mov:
        return QStringLiteral("mov");
    case OutputFormat::Png:
        return QStringLiteral("png");
    case OutputFormat::Mp4:
        break;
    }
    // manim switches mp4 to mov when the background must stay transparent.
    return options.transparent ? QStringLiteral("mov") : QStringLiteral("mp4");
}
} // namespace

std::optional<Quality> qualityFromName(const QString& name) {
    for (const QualitySpec& spec : kQualities) {
        if (name == QLatin1String(spec.name))
            return spec.quality;
    }
    return std::nullopt;
}

QString qualityName(Quality quality) {
    return QString::fromLatin1(specFor(quality).name);
}

std::optional<OutputFormat> formatFromName(const QString& name) {
    const QString lower = name.toLower();
    if (lower == QLatin1String("mp4"))
        return OutputFormat::Mp4;
    if (lower == QLatin1String("gif"))
        return OutputFormat::Gif;
    if (lower == QLatin1String("webm"))
        return OutputFormat::Webm;
    if (lower == QLatin1String("mov"))
        return OutputFormat::Mov;
    if (lower == QLatin1String("png"))
        return OutputFormat::Png;
    return std::nullopt;
}

QString formatName(OutputFormat format) {
    switch (format) {
    case OutputFormat::Mp4:
        return QStringLiteral("mp4");
    case OutputFormat::Gif:
        return QStringLiteral("gif");
    case OutputFormat::Webm:
        return QStringLiteral("webm");
    case OutputFormat::Mov:
        return QStringLiteral("mov");
    case OutputFormat::Png:
        return QStringLiteral("png");
    }
    return QStringLiteral("mp4");
}

std::optional<Aspect> aspectFromName(const QString& name) {
    if (name == QLatin1String("16:9"))
        return Aspect::Landscape16x9;
    if (name == QLatin1String("9:16"))
        return Aspect::Portrait9x16;
    if (name == QLatin1String("1:1"))
        return Aspect::Square1x1;
    return std::nullopt;
}

QString aspectName(Aspect aspect) {
    switch (aspect) {
    case Aspect::Landscape16x9:
        return QStringLiteral("16:9");
    case Aspect::Portrait9x16:
        return QStringLiteral("9:16");
    case Aspect::Square1x1:
        return QStringLiteral("1:1");
    }
    return QStringLiteral("16:9");
}

std::optional<RenderBackend> backendFromName(const QString& name) {
    const QString lower = name.toLower();
    if (lower == QLatin1String("local"))
        return RenderBackend::Local;
    if (lower == QLatin1String("sandbox"))
        return RenderBackend::Sandbox;
    if (lower == QLatin1String("auto"))
        return RenderBackend::Auto;
    if (lower == QLatin1String("docker"))
        return RenderBackend::Docker;
    return std::nullopt;
}

QString backendName(RenderBackend backend) {
    switch (backend) {
    case RenderBackend::Local:
        return QStringLiteral("local");
    case RenderBackend::Sandbox:
        return QStringLiteral("sandbox");
    case RenderBackend::Auto:
        return QStringLiteral("auto");
    case RenderBackend::Docker:
        return QStringLiteral("docker");
    }
    return QStringLiteral("local");
}

std::optional<ContainerEngineChoice> engineChoiceFromName(const QString& name) {
    const QString lower = name.toLower();
    if (lower == QLatin1String("auto"))
        return ContainerEngineChoice::Auto;
    if (lower == QLatin1String("docker"))
        return ContainerEngineChoice::Docker;
    if (lower == QLatin1String("podman"))
        return ContainerEngineChoice::Podman;
    return std::nullopt;
}

QString engineChoiceName(ContainerEngineChoice choice) {
    switch (choice) {
    case ContainerEngineChoice::Docker:
        return QStringLiteral("docker");
    case ContainerEngineChoice::Podman:
        return QStringLiteral("podman");
    case ContainerEngineChoice::Auto:
        break;
    }
    return QStringLiteral("auto");
}

QSize resolutionFor(Quality quality, Aspect aspect) {
    const QualitySpec& spec = specFor(quality);
    switch (aspect) {
    case Aspect::Landscape16x9:
        return {spec.width, spec.height};
    case Aspect::Portrait9x16:
        return {spec.height, spec.width};
    case Aspect::Square1x1:
        return {spec.height, spec.height};
    }
    return {spec.width, spec.height};
}

int frameRateFor(Quality quality, int fpsOverride) {
    return fpsOverride > 0 ? fpsOverride : specFor(quality).fps;
}

QStringList manimArguments(const RenderOptions& options, const QString& scriptInJob,
                           const QString& scene, const QString& mediaDir) {
    // -P: the job folder (manim's working folder) is not put first on sys.path, so a script
    // named like a module (random.py, numpy.py) cannot shadow what manim imports.
    QStringList args{QStringLiteral("-P"), QStringLiteral("-m"), QStringLiteral("manim"),
                     QStringLiteral("render")};
    args << QString::fromLatin1(specFor(options.quality).flag);
    if (options.aspect != Aspect::Landscape16x9) {
        const QSize size = resolutionFor(options.quality, options.aspect);
        args << QStringLiteral("--resolution")
             << QStringLiteral("%1,%2").arg(size.width()).arg(size.height());
    }
    if (options.fps > 0)
        args << QStringLiteral("--fps") << QString::number(options.fps);
    if (options.lastFrameOnly)
        args << QStringLiteral("--save_last_frame");
    else if (options.format != OutputFormat::Mp4)
        args << QStringLiteral("--format") << formatName(options.format);
    if (options.transparent)
        args << QStringLiteral("--transparent");
    if (!options.useCache)
        args << QStringLiteral("--disable_caching");
    args << QStringLiteral("--media_dir") << mediaDir;
    // No network at render time: never ask PyPI whether a newer Manim exists.
    args << QStringLiteral("--silent");
    // Progress bars go to stderr where we parse them; "leave" keeps the finished bar's
    // final line, so the last 100% reading is not lost.
    args << QStringLiteral("--progress_bar") << QStringLiteral("leave");
    args << scriptInJob << scene;
    return args;
}

QString expectedOutputPath(const RenderOptions& options, const QString& mediaDir,
                           const QString& module, const QString& scene,
                           const QString& manimVersion) {
    if (options.lastFrameOnly)
        return expectedStillImagePath(mediaDir, module, scene, manimVersion);
    const QSize size = resolutionFor(options.quality, options.aspect);
    const QString qualityFolder =
        QStringLiteral("%1p%2").arg(size.height()).arg(frameRateFor(options.quality, options.fps));
    const QString ext = fileExtension(options);
    QString fileName = scene;
    // manim tags gifs and image files with its version unless -o names them.
    if (options.format == OutputFormat::Gif || options.format == OutputFormat::Png)
        fileName += QStringLiteral("_ManimCE_v") + manimVersion;
    if (options.format == OutputFormat::Png)
        return QDir(mediaDir).filePath(
            QStringLiteral("images/%1/%2.%3").arg(module, fileName, ext));
    return QDir(mediaDir).filePath(
        QStringLiteral("videos/%1/%2/%3.%4").arg(module, qualityFolder, fileName, ext));
}

QString expectedStillImagePath(const QString& mediaDir, const QString& module, const QString& scene,
                               const QString& manimVersion) {
    return QDir(mediaDir).filePath(
        QStringLiteral("images/%1/%2_ManimCE_v%3.png").arg(module, scene, manimVersion));
}

} // namespace omega
