#include "EnvironmentDoctor.h"

#include "Paths.h"
#include "SandboxCommand.h"

#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>
#include <QStorageInfo>
#include <QTimer>

#include <unistd.h>

namespace omega {

namespace {
constexpr int kProbeTimeoutMs = 30000;
constexpr qint64 kMinFreeBytes = 1024LL * 1024 * 1024;

QString firstLine(const QByteArray& bytes) {
    return QString::fromUtf8(bytes).trimmed().section(QLatin1Char('\n'), 0, 0).trimmed();
}
} // namespace

EnvironmentDoctor::EnvironmentDoctor(QObject* parent)
    : BaseAgent(QStringLiteral("EnvironmentDoctor"), parent)
    , python_(paths::renderPython()) {}

EnvironmentDoctor::~EnvironmentDoctor() {
    cancel();
}

void EnvironmentDoctor::cancel() {
    probes_.clear();
    if (docker_) {
        docker_->disconnect(this);
        docker_->deleteLater();
        docker_ = nullptr;
    }
    if (process_) {
        process_->disconnect(this);
        process_->setParent(nullptr); // never destroyed (and waited for) while running
        connect(process_, &QProcess::finished, process_, &QObject::deleteLater);
        process_->kill();
        process_ = nullptr;
    }
}

void EnvironmentDoctor::run() {
    cancel();
    jobId_ = newJobId();
    report_ = DoctorReport{};
    report_.result.jobId = jobId_;
    report_.result.timings.started = QDateTime::currentDateTimeUtc();
    const QString setupHint = QStringLiteral("%1 (it creates the venv with manim %2).")
                                  .arg(paths::setupHint(), QStringLiteral(OMEGA_MANIM_VERSION));
    const QString texHint = QStringLiteral(
        "Install LaTeX for MathTex/Tex: sudo apt-get install --no-install-recommends "
        "texlive-latex-base texlive-latex-extra texlive-fonts-recommended dvisvgm");
    probes_ = {
        {QStringLiteral("python"), true, python_, {QStringLiteral("--version")}, setupHint},
        {QStringLiteral("manim"),
         true,
         python_,
         {QStringLiteral("-c"),
          QStringLiteral("from importlib.metadata import version; print(version('manim'))")},
         setupHint},
        {QStringLiteral("render-libraries"),
         true,
         python_,
         {QStringLiteral("-c"),
          QStringLiteral("import cairo, manimpango, av; print('cairo ' + "
                         "cairo.cairo_version_string() + ', pango ' + "
                         "manimpango.pango_version() + ', av ' + av.__version__)")},
         setupHint},
        {QStringLiteral("latex"),
         false,
         QStringLiteral("latex"),
         {QStringLiteral("--version")},
         texHint},
        {QStringLiteral("dvisvgm"),
         false,
         QStringLiteral("dvisvgm"),
         {QStringLiteral("--version")},
         texHint},
        {QStringLiteral("latex-packages"),
         false,
         QStringLiteral("kpsewhich"),
         {QStringLiteral("standalone.cls"), QStringLiteral("preview.sty"),
          QStringLiteral("amsmath.sty"), QStringLiteral("amssymb.sty")},
         texHint},
        {QStringLiteral("ffmpeg"),
         false,
         QStringLiteral("ffmpeg"),
         {QStringLiteral("-version")},
         QStringLiteral("Install ffmpeg (sudo apt-get install ffmpeg); Manim renders without it "
                        "through PyAV, but exports and conversions use it.")},
    };
    // The sandbox backend: bwrap runs the real sandbox around `true`.
    const SandboxHost sandbox = SandboxHost::detect(python_);
    const SandboxCommand sandboxProbe = sandboxProbeCommand(sandbox);
    probes_ << Probe{QStringLiteral("sandbox"), false,
                     sandboxProbe.program,      sandboxProbe.arguments,
                     sandboxInstallHint(),      sandbox.missing};
    info(jobId_, QStringLiteral("checking the render environment (python %1)").arg(python_));
    runNext();
}

void EnvironmentDoctor::record(EnvironmentCheck check) {
    debug(jobId_, QStringLiteral("%1: %2 %3")
                      .arg(check.name, check.ok ? QStringLiteral("ok") : QStringLiteral("FAILED"),
                           check.detail));
    report_.checks << check;
    Q_EMIT checkDone(check);
}

void EnvironmentDoctor::runNext() {
    if (probes_.isEmpty()) {
        checkContainers();
        return;
    }
    const Probe probe = probes_.takeFirst();
    if (!probe.unavailable.isEmpty()) {
        record({probe.name, false, probe.required, probe.unavailable, probe.hint});
        QTimer::singleShot(0, this, &EnvironmentDoctor::runNext);
        return;
    }
    // A required probe that cannot run because an earlier one failed is reported, not run.
    const bool pythonOk = report_.checks.isEmpty() || report_.checks.first().ok;
    if (probe.program == python_ && !report_.checks.isEmpty() && !pythonOk) {
        record({probe.name, false, probe.required, QStringLiteral("not checked: no Python"),
                probe.hint});
        QTimer::singleShot(0, this, &EnvironmentDoctor::runNext);
        return;
    }
    const QString program = probe.program.contains(QLatin1Char('/'))
                                ? probe.program
                                : QStandardPaths::findExecutable(probe.program);
    if (program.isEmpty() || !QFileInfo(program).isExecutable()) {
        record({probe.name, false, probe.required,
                QStringLiteral("%1 not found").arg(probe.program), probe.hint});
        QTimer::singleShot(0, this, &EnvironmentDoctor::runNext);
        return;
    }
    auto* process = new QProcess(this);
    process_ = process;
    process->setProgram(program);
    process->setArguments(probe.args);
    process->setStandardInputFile(QProcess::nullDevice());
    auto* timer = new QTimer(process);
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, process, [process] { process->kill(); });
    connect(process, &QProcess::errorOccurred, this,
            [this, process, probe](QProcess::ProcessError e) {
                if (e != QProcess::FailedToStart || process_ != process)
                    return;
                process_ = nullptr;
                process->deleteLater();
                record({probe.name, false, probe.required, process->errorString(), probe.hint});
                runNext();
            });
    connect(process, &QProcess::finished, this,
            [this, process, probe, timer](int exitCode, QProcess::ExitStatus status) {
                if (process_ != process)
                    return;
                process_ = nullptr;
                process->deleteLater();
                EnvironmentCheck check{probe.name, false, probe.required, {}, probe.hint};
                const QByteArray out = process->readAllStandardOutput();
                const QByteArray err = process->readAllStandardError();
                check.ok = status == QProcess::NormalExit && exitCode == 0;
                if (!timer->isActive())
                    check.detail =
                        QStringLiteral("did not answer within %1 s").arg(kProbeTimeoutMs / 1000);
                else if (check.ok)
                    check.detail = firstLine(out.isEmpty() ? err : out);
                else
                    check.detail = firstLine(err.isEmpty() ? out : err.right(400));
                if (probe.name == QLatin1String("latex-packages") && check.ok) {
                    check.detail = QStringLiteral("standalone, preview, amsmath, amssymb");
                } else if (probe.name == QLatin1String("latex-packages")) {
                    check.detail = QStringLiteral("missing some of standalone.cls, preview.sty, "
                                                  "amsmath.sty, amssymb.sty");
                }
                if (probe.name == QLatin1String("sandbox") && check.ok)
                    check.detail =
                        QStringLiteral("bubblewrap works (%1): renders run without network, "
                                       "home folder or secrets%2")
                            .arg(probe.program, ::geteuid() == 0
                                                    ? QStringLiteral(", as the user nobody")
                                                    : QString());
                if (probe.name == QLatin1String("manim") && check.ok &&
                    check.detail != QLatin1String(OMEGA_MANIM_VERSION)) {
                    check.detail += QStringLiteral(" (Omega Studio is tested with %1)")
                                        .arg(QStringLiteral(OMEGA_MANIM_VERSION));
                }
                record(check);
                runNext();
            });
    timer->start(kProbeTimeoutMs);
    process->start();
}

// The docker backend: the engine's state, then whether the render image is on this machine.
void EnvironmentDoctor::checkContainers() {
    docker_ = new DockerAgent(this);
    docker_->setEngineChoice(engine_);
    const QString id = jobId_;
    docker_->detectEngine(this, [this, id](const container::EngineStatus& engine) {
        if (jobId_ != id)
            return;
        EnvironmentCheck check{QStringLiteral("docker"), engine.ready(), false, engine.message,
                               engine.hint};
        if (engine.ready())
            check.detail += QStringLiteral(" [%1]").arg(engine.program);
        record(check);
        if (!engine.ready()) {
            record({QStringLiteral("docker-image"), false, false,
                    QStringLiteral("not checked: no container engine"), engine.hint});
            finishReport();
            return;
        }
        docker_->findImage(
            {}, this, [this, id](const QString& image, bool present, const QString& failure) {
                if (jobId_ != id)
                    return;
                EnvironmentCheck imageCheck{QStringLiteral("docker-image"), present, false, {}, {}};
                imageCheck.detail =
                    present
                        ? image
                        : QStringLiteral("neither %1 nor %2 is on this machine%3")
                              .arg(DockerAgent::localImageName(), DockerAgent::officialImageName(),
                                   failure.isEmpty() ? QString() : QStringLiteral(": ") + failure);
                imageCheck.hint =
                    QStringLiteral("Build it with packaging/container/build-image.sh (it makes "
                                   "%1); or the first docker render pulls %2 where a registry "
                                   "is reachable.")
                        .arg(DockerAgent::localImageName(), DockerAgent::officialImageName());
                record(imageCheck);
                finishReport();
            });
    });
}

void EnvironmentDoctor::finishReport() {
    const QString data = paths::dataDir();
    paths::ensureDir(data);
    const QStorageInfo storage(data);
    EnvironmentCheck disk{QStringLiteral("disk"), true, true, {}, {}};
    const qint64 free = storage.isValid() ? storage.bytesAvailable() : -1;
    disk.ok = free < 0 || free >= kMinFreeBytes;
    disk.detail =
        free < 0 ? QStringLiteral("unknown free space in %1").arg(data)
                 : QStringLiteral("%1 GiB free in %2")
                       .arg(QString::number(double(free) / (1024.0 * 1024 * 1024), 'f', 1), data);
    disk.hint =
        QStringLiteral("Free some disk space: renders and Manim's cache need at least 1 GiB.");
    record(disk);

    QStringList failed;
    for (const EnvironmentCheck& check : report_.checks) {
        if (check.required && !check.ok)
            failed << check.name;
    }
    if (!failed.isEmpty()) {
        report_.result.status = ResultStatus::Failed;
        report_.result.error.category = ErrorCategory::Environment;
        report_.result.error.message = QStringLiteral("The render environment is not ready: %1.")
                                           .arg(failed.join(QLatin1String(", ")));
        report_.result.error.hint = paths::setupHint() + QLatin1Char('.');
    }
    info(jobId_,
         failed.isEmpty() ? QStringLiteral("environment ready") : report_.result.error.message);
    Q_EMIT finished(report_);
}

} // namespace omega
