#include "DockerAgent.h"

#include "DependencyAgent.h"
#include "Paths.h"
#include "SandboxCommand.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QSysInfo>

#include <cerrno>
#include <csignal>
#include <sys/types.h>
#include <unistd.h>

namespace omega {

using container::EngineKind;
using container::EngineState;
using container::EngineStatus;

namespace {

constexpr int kInfoTimeoutMs = 20000;
constexpr int kReapTimeoutMs = 30000;
constexpr int kImageUid = 1000; // the render images' user (omega, manimuser)

ErrorReport makeError(ErrorCategory category, const QString& message, const QString& hint) {
    ErrorReport report;
    report.category = category;
    report.message = message;
    report.hint = hint;
    return report;
}

QString randomSuffix() {
    return QString::number(QRandomGenerator::global()->generate64() % 2176782336ULL, 36);
}

// ~/.docker/config.json's currentContext: a context other than "default" may be remote.
QString currentDockerContext() {
    const QString config = qEnvironmentVariableIsSet("DOCKER_CONFIG")
                               ? qEnvironmentVariable("DOCKER_CONFIG")
                               : QDir::home().filePath(QStringLiteral(".docker"));
    QFile file(QDir(config).filePath(QStringLiteral("config.json")));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll())
        .object()
        .value(QLatin1String("currentContext"))
        .toString();
}

QString programFor(EngineKind kind) {
    const char* override = kind == EngineKind::Podman ? "OMEGA_PODMAN" : "OMEGA_DOCKER";
    if (qEnvironmentVariableIsSet(override))
        return qEnvironmentVariable(override);
    return QStandardPaths::findExecutable(container::engineKindName(kind));
}

bool processAlive(qint64 pid) {
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

QString containersRoot() {
    return QDir(paths::dataDir()).filePath(QStringLiteral("containers"));
}

} // namespace

QString ContainerLease::jobDirInContainer(const QString& jobId) {
    return QStringLiteral("%1/%2").arg(QLatin1String(container::kWorkRoot), jobId);
}

QString DockerAgent::EngineCall::errorLine() const {
    if (failedToStart)
        return QStringLiteral("the engine could not be started");
    if (timedOut)
        return QStringLiteral("no answer in time");
    const QString text = QString::fromUtf8(err.isEmpty() ? out : err).trimmed();
    const QStringList lines = text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    return lines.isEmpty() ? QStringLiteral("exit code %1").arg(exitCode)
                           : lines.last().trimmed().left(400);
}

DockerAgent::DockerAgent(QObject* parent)
    : BaseAgent(QStringLiteral("DockerAgent"), parent) {
    qRegisterMetaType<omega::ContainerLease>();
}

DockerAgent::~DockerAgent() {
    for (const QPointer<QProcess>& call : std::as_const(calls_)) {
        if (!call)
            continue;
        call->disconnect();
        call->setParent(nullptr); // never destroyed (and waited for) while running
        QObject::connect(call, &QProcess::finished, call, &QObject::deleteLater);
        call->kill();
    }
    removeAll();
}

void DockerAgent::setEngineChoice(ContainerEngineChoice choice) {
    if (choice != choice_)
        engine_.reset();
    choice_ = choice;
}

void DockerAgent::setIdleTimeoutSec(int seconds) {
    idleTimeoutSec_ = qMax(1, seconds);
}

QString DockerAgent::localImageName() {
    return QStringLiteral("omega-render:%1").arg(QStringLiteral(OMEGA_MANIM_VERSION));
}

QString DockerAgent::officialImageName() {
    return QStringLiteral("manimcommunity/manim:v%1").arg(QStringLiteral(OMEGA_MANIM_VERSION));
}

QString DockerAgent::podmanConfigPath() {
    const QStringList candidates{
        paths::resourcePath(QStringLiteral("container/containers.conf")),
        QStringLiteral(OMEGA_SOURCE_DIR "/packaging/container/containers.conf"),
    };
    for (const QString& candidate : candidates) {
        if (QFileInfo(candidate).isFile())
            return candidate;
    }
    return {};
}

QProcessEnvironment DockerAgent::engineEnvironment(EngineKind kind) const {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    // Podman here needs runc, cgroupfs and no default ulimits; the user's own choice wins.
    // Docker ignores the variable (and podman-docker's `docker` is Podman).
    Q_UNUSED(kind);
    if (!env.contains(QStringLiteral("CONTAINERS_CONF"))) {
        const QString conf = podmanConfigPath();
        if (!conf.isEmpty())
            env.insert(QStringLiteral("CONTAINERS_CONF"), conf);
    }
    return env;
}

bool DockerAgent::copyMode(const EngineStatus& engine) const {
    Q_UNUSED(engine);
    return container::engineIsRemote(QProcessEnvironment::systemEnvironment(),
                                     currentDockerContext());
}

void DockerAgent::runEngine(const EngineStatus& engine, const QStringList& arguments, int timeoutMs,
                            CallDone done, bool streamProgress) {
    auto* process = new QProcess(this);
    calls_ << QPointer<QProcess>(process);
    process->setProgram(engine.program);
    process->setArguments(arguments);
    process->setProcessEnvironment(engineEnvironment(engine.kind));
    process->setStandardInputFile(QProcess::nullDevice());
    debug(QString(), QStringLiteral("%1 %2").arg(engine.program, arguments.join(QLatin1Char(' '))));
    auto* timer = new QTimer(process);
    timer->setSingleShot(true);
    auto call = std::make_shared<EngineCall>();
    connect(timer, &QTimer::timeout, process, [process, call] {
        call->timedOut = true;
        process->kill();
    });
    if (streamProgress) { // docker pull reports on stdout, podman pull on stderr
        const auto forward = [this](const QByteArray& chunk) {
            for (const QByteArray& line : chunk.split('\n')) {
                if (!line.trimmed().isEmpty())
                    Q_EMIT progress(QString::fromUtf8(line.trimmed()).left(300));
            }
        };
        connect(process, &QProcess::readyReadStandardOutput, this, [process, call, forward] {
            const QByteArray chunk = process->readAllStandardOutput();
            call->out += chunk;
            forward(chunk);
        });
        connect(process, &QProcess::readyReadStandardError, this, [process, call, forward] {
            const QByteArray chunk = process->readAllStandardError();
            call->err += chunk;
            forward(chunk);
        });
    }
    const auto conclude = [this, process, timer, call, done] {
        timer->stop();
        calls_.removeAll(QPointer<QProcess>(process));
        call->out += process->readAllStandardOutput();
        call->err += process->readAllStandardError();
        process->disconnect(this);
        process->deleteLater();
        done(*call);
    };
    connect(process, &QProcess::finished, this,
            [call, conclude](int exitCode, QProcess::ExitStatus status) {
                call->exitCode = status == QProcess::NormalExit ? exitCode : -1;
                conclude();
            });
    connect(process, &QProcess::errorOccurred, this, [call, conclude](QProcess::ProcessError e) {
        if (e != QProcess::FailedToStart)
            return;
        call->failedToStart = true;
        conclude();
    });
    timer->start(timeoutMs);
    process->start();
}

// ---- the engine ---------------------------------------------------------------------------

void DockerAgent::detectEngine(QObject* context, std::function<void(const EngineStatus&)> done) {
    const QPointer<QObject> guard(context);
    if (engine_ && engine_->ready()) {
        const EngineStatus status = *engine_;
        QTimer::singleShot(0, this, [guard, done, status] {
            if (guard)
                done(status);
        });
        return;
    }
    QList<EngineKind> kinds;
    if (choice_ != ContainerEngineChoice::Podman)
        kinds << EngineKind::Docker;
    if (choice_ != ContainerEngineChoice::Docker)
        kinds << EngineKind::Podman;
    // Started from the event loop, so that `done` never runs inside this call.
    QTimer::singleShot(0, this, [this, kinds, guard, done] { detectNext(kinds, {}, guard, done); });
}

void DockerAgent::detectNext(QList<EngineKind> remaining, QList<EngineStatus> failed,
                             const QPointer<QObject>& context,
                             const std::function<void(const EngineStatus&)>& done) {
    if (remaining.isEmpty()) {
        // The most telling failure: one that is installed beats "not installed".
        EngineStatus status = failed.first();
        for (const EngineStatus& f : std::as_const(failed)) {
            if (f.state != EngineState::NotInstalled) {
                status = f;
                break;
            }
        }
        for (const EngineStatus& f : std::as_const(failed)) {
            if (f.kind != status.kind || f.program != status.program)
                status.message += QStringLiteral(" (also: %1)").arg(f.message);
        }
        warning(QString(), QStringLiteral("no container engine: %1").arg(status.message));
        if (context)
            done(status);
        return;
    }
    const EngineKind kind = remaining.takeFirst();
    const QString program = programFor(kind);
    if (program.isEmpty() || !QFileInfo(program).isExecutable()) {
        failed << container::engineNotInstalled(kind);
        detectNext(remaining, failed, context, done);
        return;
    }
    EngineStatus probe;
    probe.kind = kind;
    probe.program = program;
    runEngine(
        probe, container::infoArguments(kind), qMin(engineTimeoutMs_, kInfoTimeoutMs),
        [this, kind, program, remaining, failed, context, done](const EngineCall& call) {
            EngineStatus status;
            if (call.timedOut || call.failedToStart) {
                status.kind = kind;
                status.program = program;
                status.state = EngineState::Failed;
                status.message = call.timedOut
                                     ? QStringLiteral("`%1 info` did not answer within %2 s.")
                                           .arg(container::engineKindName(kind))
                                           .arg(qMin(engineTimeoutMs_, kInfoTimeoutMs) / 1000)
                                     : QStringLiteral("%1 could not be started.").arg(program);
                status.hint = QStringLiteral("Check the engine (`%1 info`), or render "
                                             "with --backend sandbox.")
                                  .arg(container::engineKindName(kind));
            } else {
                status =
                    container::parseEngineInfo(kind, program, call.exitCode, call.out, call.err);
            }
            if (status.ready()) {
                // Auto: why an engine tried first was passed over (omega doctor shows it).
                for (const EngineStatus& f : failed)
                    status.message += QStringLiteral("; %1: %2")
                                          .arg(container::engineKindName(f.kind),
                                               container::engineStateName(f.state));
                info(QString(),
                     QStringLiteral("container engine: %1 (%2)").arg(status.message, program));
                engine_ = std::make_unique<EngineStatus>(status);
                if (context)
                    done(status);
                return;
            }
            QList<EngineStatus> more = failed;
            more << status;
            detectNext(remaining, more, context, done);
        });
}

void DockerAgent::findImage(
    const QString& image, QObject* context,
    std::function<void(const QString& image, bool present, const QString& error)> done) {
    const QPointer<QObject> guard(context);
    detectEngine(this, [this, image, guard, done](const EngineStatus& engine) {
        const QStringList candidates = image.isEmpty()
                                           ? QStringList{localImageName(), officialImageName()}
                                           : QStringList{image};
        if (!engine.ready()) {
            if (guard)
                done(candidates.first(), false, engine.message);
            return;
        }
        inspectImages(engine, candidates, 0, guard, done);
    });
}

// Inspects the candidates in order; the first one present wins, else the last is named.
void DockerAgent::inspectImages(
    const EngineStatus& engine, const QStringList& candidates, int index,
    const QPointer<QObject>& context,
    const std::function<void(const QString&, bool, const QString&)>& done) {
    if (index >= candidates.size()) {
        if (context)
            done(candidates.last(), false, QString());
        return;
    }
    runEngine(engine,
              {QStringLiteral("image"), QStringLiteral("inspect"), QStringLiteral("--format"),
               QStringLiteral("{{.Id}}"), candidates.at(index)},
              engineTimeoutMs_,
              [this, engine, candidates, index, context, done](const EngineCall& call) {
                  if (!call.ok()) {
                      inspectImages(engine, candidates, index + 1, context, done);
                      return;
                  }
                  if (context)
                      done(candidates.at(index), true, QString());
              });
}

// ---- containers ---------------------------------------------------------------------------

void DockerAgent::removeStale(const EngineStatus& engine, std::function<void()> then) {
    if (staleChecked_) {
        then();
        return;
    }
    staleChecked_ = true;
    const QString format =
        engine.kind == EngineKind::Podman ? QStringLiteral("json") : QStringLiteral("{{json .}}");
    runEngine(
        engine,
        {QStringLiteral("ps"), QStringLiteral("-a"), QStringLiteral("--filter"),
         QStringLiteral("label=%1").arg(QLatin1String(container::kLabelOwnerPid)),
         QStringLiteral("--format"), format},
        engineTimeoutMs_, [this, engine, then](const EngineCall& call) {
            if (!call.ok()) {
                warning(QString(),
                        QStringLiteral("cannot list old containers: %1").arg(call.errorLine()));
                then();
                return;
            }
            const QList<container::ContainerInfo> all = container::parseContainerList(call.out);
            const QStringList stale =
                container::staleContainers(all, QSysInfo::machineHostName(), processAlive);
            if (stale.isEmpty()) {
                then();
                return;
            }
            for (const container::ContainerInfo& c : all) {
                if (stale.contains(c.id) &&
                    c.name.startsWith(QLatin1String(container::kNamePrefix)))
                    QDir(QDir(containersRoot()).filePath(c.name)).removeRecursively();
            }
            info(QString(), QStringLiteral("removing %1 container(s) left by an Omega "
                                           "that is gone: %2")
                                .arg(stale.size())
                                .arg(stale.join(QLatin1Char(' '))));
            runEngine(
                engine,
                QStringList{QStringLiteral("rm"), QStringLiteral("-f"), QStringLiteral("-v")} +
                    stale,
                engineTimeoutMs_, [then](const EngineCall&) { then(); });
        });
}

void DockerAgent::acquire(const container::ContainerProfile& requested, QObject* context,
                          std::function<void(const ContainerAcquisition&)> done) {
    const QPointer<QObject> guard(context);
    const auto fail = [guard, done](const ErrorReport& error) {
        if (!guard)
            return;
        ContainerAcquisition failure;
        failure.error = error;
        done(failure);
    };
    detectEngine(this, [this, requested, guard, done, fail](const EngineStatus& engine) {
        if (!engine.ready()) {
            fail(makeError(
                ErrorCategory::Environment,
                QStringLiteral("The docker backend cannot run here: %1").arg(engine.message),
                engine.hint));
            return;
        }
        removeStale(engine, [this, engine, requested, guard, done, fail] {
            const auto withImage = [this, engine, requested, guard, done](const QString& image) {
                container::ContainerProfile profile = requested;
                profile.image = image;
                const QString key = profile.key();
                if (reuse_) {
                    for (auto it = containers_.begin(); it != containers_.end(); ++it) {
                        Warm& warm = it.value();
                        if (warm.lease.profileKey != key)
                            continue;
                        if (warm.reaping) { // back from its last job in a moment: ask again then
                            warm.waiting << [this, requested, guard, done] {
                                if (guard)
                                    acquire(requested, guard, done);
                            };
                            return;
                        }
                        if (warm.busy)
                            continue;
                        warm.busy = true;
                        warm.idleTimer->stop();
                        ContainerAcquisition result;
                        result.lease = warm.lease;
                        result.lease.reused = true;
                        debug(QString(),
                              QStringLiteral("reusing warm container %1").arg(warm.lease.name));
                        if (guard)
                            done(result);
                        return;
                    }
                }
                createContainer(profile, engine, guard, done);
            };
            if (resolvedImages_.contains(requested.image)) {
                withImage(resolvedImages_.value(requested.image));
                return;
            }
            findImage(requested.image, this,
                      [this, engine, requested, withImage, fail](const QString& image, bool present,
                                                                 const QString&) {
                          if (present) {
                              resolvedImages_.insert(requested.image, image);
                              withImage(image);
                              return;
                          }
                          Q_EMIT progress(QStringLiteral("pulling the render image %1").arg(image));
                          info(QString(), QStringLiteral("pulling %1").arg(image));
                          runEngine(
                              engine, {QStringLiteral("pull"), image}, pullTimeoutMs_,
                              [this, requested, image, withImage, fail](const EngineCall& call) {
                                  if (call.ok()) {
                                      resolvedImages_.insert(requested.image, image);
                                      withImage(image);
                                      return;
                                  }
                                  const QString why = call.timedOut
                                                          ? QStringLiteral("no answer within %1 s")
                                                                .arg(pullTimeoutMs_ / 1000)
                                                          : call.errorLine();
                                  error(QString(),
                                        QStringLiteral("pull %1 failed: %2").arg(image, why));
                                  fail(makeError(
                                      ErrorCategory::Environment,
                                      QStringLiteral("The render image %1 is not on this machine, "
                                                     "and pulling it failed (is a container "
                                                     "registry reachable?): %2")
                                          .arg(image, why),
                                      QStringLiteral("Build the local image with "
                                                     "packaging/container/build-image.sh (it "
                                                     "makes %1), name one you have with --image, "
                                                     "or render with --backend sandbox.")
                                          .arg(localImageName())));
                              },
                              true);
                      });
        });
    });
}

void DockerAgent::createContainer(const container::ContainerProfile& profile,
                                  const EngineStatus& engine, const QPointer<QObject>& context,
                                  const std::function<void(const ContainerAcquisition&)>& done) {
    container::ContainerSpec spec;
    spec.profile = profile;
    spec.name =
        container::containerName(QCoreApplication::applicationPid(), profile.key(), randomSuffix());
    spec.ownerPid = QCoreApplication::applicationPid();
    spec.ownerHost = QSysInfo::machineHostName();
    ContainerLease lease;
    lease.name = spec.name;
    lease.profileKey = profile.key();
    lease.image = profile.image;
    lease.engine = engine;
    lease.engineEnvironment = engineEnvironment(engine.kind);
    lease.copyMode = copyMode(engine);
    // Who renders in the container. Root here: the image's own user, and Omega hands it the job
    // folders. Rootless Podman: keep-id maps the user to themselves. Otherwise the user's own
    // uid, so that files come out theirs.
    if (::geteuid() == 0) {
        spec.user = QStringLiteral("%1:%1").arg(kImageUid);
        lease.uid = kImageUid;
    } else {
        spec.user = QStringLiteral("%1:%2").arg(::getuid()).arg(::getgid());
        spec.keepId = engine.kind == EngineKind::Podman && engine.rootless;
    }
    if (!lease.copyMode) {
        lease.hostWorkRoot = QDir(containersRoot()).filePath(spec.name);
        if (!paths::ensureDir(lease.hostWorkRoot) ||
            !grantSandboxAccess(lease.hostWorkRoot, lease.uid)) {
            if (context)
                done({{},
                      makeError(ErrorCategory::Internal,
                                QStringLiteral("Cannot create the container's work folder %1.")
                                    .arg(lease.hostWorkRoot),
                                QStringLiteral("Check that the data folder (%1) is writable.")
                                    .arg(paths::dataDir()))});
            return;
        }
        spec.hostWorkRoot = lease.hostWorkRoot;
        if (!profile.packagesProfile.isEmpty()) {
            const QString layer = DependencyAgent::layerDir(profile.packagesProfile);
            if (QFileInfo(layer).isDir())
                spec.hostPackagesDir = layer;
        }
    }
    Q_EMIT progress(QStringLiteral("starting a render container (%1)").arg(profile.image));
    info(QString(), QStringLiteral("starting container %1 (image %2, %3 MiB, %4 pids, %5 cpus%6)")
                        .arg(spec.name, profile.image)
                        .arg(profile.memoryLimitMb)
                        .arg(profile.maxProcesses)
                        .arg(profile.cpus)
                        .arg(lease.copyMode ? QStringLiteral(", cp mode") : QString()));
    runEngine(engine, container::runArguments(spec), engineTimeoutMs_,
              [this, lease, context, done](const EngineCall& call) mutable {
                  if (!call.ok()) {
                      const QString why = call.errorLine();
                      error(QString(),
                            QStringLiteral("container %1 did not start: %2").arg(lease.name, why));
                      // Whatever half of it exists goes.
                      Warm gone;
                      gone.lease = lease;
                      containers_.insert(lease.name, gone);
                      removeContainer(lease.name);
                      if (context)
                          done({{},
                                makeError(ErrorCategory::Environment,
                                          QStringLiteral("Cannot start a render container from %1: "
                                                         "%2")
                                              .arg(lease.image, why),
                                          QStringLiteral("Run `omega doctor`; the image needs "
                                                         "`python` with manim on its PATH. Or "
                                                         "render with --backend sandbox."))});
                      return;
                  }
                  lease.id = QString::fromUtf8(call.out).trimmed().section(QLatin1Char('\n'), -1);
                  Warm warm;
                  warm.lease = lease;
                  warm.busy = true;
                  warm.idleTimer = new QTimer(this);
                  warm.idleTimer->setSingleShot(true);
                  const QString name = lease.name;
                  connect(warm.idleTimer, &QTimer::timeout, this, [this, name] { onIdle(name); });
                  containers_.insert(name, warm);
                  if (!context) { // nobody waits any more
                      release(lease);
                      return;
                  }
                  done({lease, {}});
              });
}

void DockerAgent::release(const ContainerLease& lease) {
    auto it = containers_.find(lease.name);
    if (it == containers_.end())
        return;
    if (!reuse_) {
        removeContainer(lease.name);
        return;
    }
    it->reaping = true;
    const QString name = lease.name;
    // Nothing of the last job may run into the next one.
    runEngine(lease.engine, container::reapArguments(name, lease.copyMode), kReapTimeoutMs,
              [this, name](const EngineCall& call) {
                  auto warm = containers_.find(name);
                  if (warm == containers_.end())
                      return;
                  warm->reaping = false;
                  warm->busy = false;
                  const QList<std::function<void()>> waiting = std::exchange(warm->waiting, {});
                  if (!call.ok()) {
                      warning(QString(), QStringLiteral("container %1 could not be cleaned (%2); "
                                                        "removing it")
                                             .arg(name, call.errorLine()));
                      removeContainer(name);
                  } else {
                      warm->idleTimer->start(idleTimeoutSec_ * 1000);
                  }
                  for (const auto& retry : waiting)
                      retry();
              });
}

void DockerAgent::killJob(const ContainerLease& lease) {
    if (!lease.isValid())
        return;
    info(QString(), QStringLiteral("killing the render in container %1").arg(lease.name));
    runEngine(
        lease.engine, container::reapArguments(lease.name), kReapTimeoutMs,
        [this, name = lease.name](const EngineCall& call) {
            if (!call.ok())
                warning(
                    QString(),
                    QStringLiteral("kill in container %1 failed: %2").arg(name, call.errorLine()));
        });
}

void DockerAgent::copyIn(const ContainerLease& lease, const QString& hostDir,
                         const QString& containerDir, QObject* context,
                         std::function<void(const QString&)> done) {
    const QPointer<QObject> guard(context);
    QStringList args{QStringLiteral("cp")};
    if (lease.engine.kind == EngineKind::Docker)
        args << QStringLiteral("-a"); // keeps the owner Omega gave the files (podman: default)
    args << hostDir << QStringLiteral("%1:%2").arg(lease.name, containerDir);
    runEngine(lease.engine, args, engineTimeoutMs_, [guard, done](const EngineCall& call) {
        if (guard)
            done(call.ok() ? QString() : call.errorLine());
    });
}

void DockerAgent::copyOut(const ContainerLease& lease, const QString& containerDir,
                          const QString& hostDir, QObject* context,
                          std::function<void(const QString&)> done) {
    const QPointer<QObject> guard(context);
    paths::ensureDir(hostDir);
    runEngine(
        lease.engine,
        {QStringLiteral("cp"), QStringLiteral("%1:%2/.").arg(lease.name, containerDir), hostDir},
        engineTimeoutMs_, [guard, done](const EngineCall& call) {
            if (guard)
                done(call.ok() ? QString() : call.errorLine());
        });
}

EngineCommand DockerAgent::execCommand(const ContainerLease& lease, const QString& workDir,
                                       const QStringList& pythonArgs, int memoryLimitMb,
                                       int cpuTimeLimitSec) const {
    EngineCommand command;
    command.program = lease.engine.program;
    command.arguments =
        container::execArguments(lease.name, workDir, pythonArgs, memoryLimitMb, cpuTimeLimitSec);
    command.environment = lease.engineEnvironment;
    return command;
}

QStringList DockerAgent::containerNames() const {
    return containers_.keys();
}

void DockerAgent::onIdle(const QString& name) {
    const auto it = containers_.constFind(name);
    if (it == containers_.constEnd() || it->busy || it->reaping)
        return;
    info(QString(),
         QStringLiteral("container %1 idle for %2 s: removing it").arg(name).arg(idleTimeoutSec_));
    removeContainer(name);
}

void DockerAgent::removeContainer(const QString& name) {
    const auto it = containers_.find(name);
    if (it == containers_.end())
        return;
    const Warm warm = it.value();
    containers_.erase(it);
    if (warm.idleTimer)
        warm.idleTimer->deleteLater();
    // Only this container's own work folder, by its exact path.
    if (!warm.lease.hostWorkRoot.isEmpty())
        QDir(warm.lease.hostWorkRoot).removeRecursively();
    QProcess rm;
    rm.setProgram(warm.lease.engine.program);
    rm.setArguments({QStringLiteral("rm"), QStringLiteral("-f"), QStringLiteral("-v"), name});
    rm.setProcessEnvironment(warm.lease.engineEnvironment);
    rm.setStandardInputFile(QProcess::nullDevice());
    rm.setStandardOutputFile(QProcess::nullDevice());
    rm.setStandardErrorFile(QProcess::nullDevice());
    // Detached: it completes even when Omega exits right now.
    if (!rm.startDetached())
        warning(QString(), QStringLiteral("cannot remove container %1").arg(name));
    else
        debug(QString(), QStringLiteral("removing container %1").arg(name));
}

void DockerAgent::removeAll() {
    const QStringList names = containers_.keys();
    for (const QString& name : names)
        removeContainer(name);
}

} // namespace omega
