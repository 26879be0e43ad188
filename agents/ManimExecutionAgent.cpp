#include "ManimExecutionAgent.h"

#include "DependencyAgent.h"
#include "Paths.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcessEnvironment>
#include <QRegularExpression>

#include <csignal>
#include <sys/types.h>
#include <unistd.h>

namespace omega {

namespace {

constexpr auto kAnimationCountsFile = "omega-animations.json";

// The render never sees the user's secrets: API keys and tokens are dropped from the
// environment the script runs in.
QProcessEnvironment renderEnvironment() {
    static const QRegularExpression secretName(
        QStringLiteral("(API_KEY|APIKEY|TOKEN|SECRET|PASSWORD|CREDENTIALS)"),
        QRegularExpression::CaseInsensitiveOption);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const QString& name : env.keys()) {
        if (secretName.match(name).hasMatch())
            env.remove(name);
    }
    env.insert(QStringLiteral("PYTHONIOENCODING"), QStringLiteral("utf-8"));
    env.insert(QStringLiteral("PYTHONDONTWRITEBYTECODE"), QStringLiteral("1"));
    // Packages DependencyAgent installed for the profile: its isolated layer, in front.
    if (const QString layer = DependencyAgent::layerDir(); QFileInfo(layer).isDir()) {
        const QString existing = env.value(QStringLiteral("PYTHONPATH"));
        env.insert(QStringLiteral("PYTHONPATH"),
                   existing.isEmpty() ? layer : layer + QLatin1Char(':') + existing);
    }
    return env;
}

ErrorReport makeError(ErrorCategory category, const QString& message, const QString& hint) {
    ErrorReport report;
    report.category = category;
    report.message = message;
    report.hint = hint;
    return report;
}

bool isUsableFile(const QString& path) {
    const QFileInfo info(path);
    return info.isFile() && info.size() > 0;
}

// Where the copy of one scene's output goes: a file for a single scene, else a folder.
// Moves a folder; across file systems by copying, then removing the original.
bool copyTree(const QString& from, const QString& to) {
    if (!paths::ensureDir(to))
        return false;
    const QDir source(from);
    const QFileInfoList entries =
        source.entryInfoList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System);
    for (const QFileInfo& entry : entries) {
        const QString target = QDir(to).filePath(entry.fileName());
        if (entry.isSymLink())
            continue; // never followed
        if (entry.isDir() ? !copyTree(entry.filePath(), target)
                          : !QFile::copy(entry.filePath(), target))
            return false;
    }
    return true;
}

bool moveTree(const QString& from, const QString& to) {
    QDir(to).removeRecursively();
    if (QDir().rename(from, to))
        return true;
    return copyTree(from, to) && QDir(from).removeRecursively();
}

QString outputTargetFor(const QString& outputPath, int sceneCount, const QString& mediaPath) {
    const QFileInfo requested(outputPath);
    const bool asFolder =
        sceneCount > 1 || requested.isDir() || outputPath.endsWith(QLatin1Char('/'));
    if (asFolder)
        return QDir(outputPath).filePath(QFileInfo(mediaPath).fileName());
    return requested.absoluteFilePath();
}

} // namespace

ManimExecutionAgent::ManimExecutionAgent(QObject* parent)
    : BaseAgent(QStringLiteral("ManimExecutionAgent"), parent)
    , python_(paths::renderPython()) {
    qRegisterMetaType<omega::RenderResult>();
    qRegisterMetaType<omega::RenderProgress>();
    qRegisterMetaType<omega::SceneOutput>();
    timeoutTimer_.setSingleShot(true);
    // A coarse timer may fire 5% early: --timeout 2 would stop a scene after 1.9 s.
    timeoutTimer_.setTimerType(Qt::PreciseTimer);
    killTimer_.setSingleShot(true);
    connect(&timeoutTimer_, &QTimer::timeout, this, &ManimExecutionAgent::onTimeout);
    connect(&killTimer_, &QTimer::timeout, this, [this] {
        if (process_ && process_->processId() > 0) {
            warning(jobId_, QStringLiteral("manim did not stop in time; killing it"));
            ::kill(-static_cast<pid_t>(process_->processId()), SIGKILL);
        }
    });
}

ManimExecutionAgent::~ManimExecutionAgent() {
    if (process_) {
        process_->disconnect(this);
        if (const qint64 pid = process_->processId(); pid > 0)
            ::kill(-static_cast<pid_t>(pid), SIGKILL);
    }
    if (lease_.isValid() && docker_) {
        docker_->killJob(lease_);
        docker_->release(lease_);
    }
    if (mediaInJob_)
        moveMediaBack();
    if (!jobId_.isEmpty())
        cleanupJobFolder();
}

void ManimExecutionAgent::setDockerAgent(DockerAgent* docker) {
    if (docker_)
        docker_->disconnect(this);
    docker_ = docker;
    if (docker_)
        connect(docker_, &DockerAgent::progress, this, [this](const QString& line) {
            if (isRunning() && options_.backend == RenderBackend::Docker)
                Q_EMIT containerProgress(jobId_, line);
        });
}

DockerAgent* ManimExecutionAgent::dockerAgent() {
    if (!docker_)
        setDockerAgent(new DockerAgent(this));
    return docker_;
}

void ManimExecutionAgent::setPython(const QString& python) {
    python_ = python;
}

qint64 ManimExecutionAgent::currentPid() const {
    return process_ ? process_->processId() : 0;
}

QString ManimExecutionAgent::mediaDirForScript(const QString& scriptPath) {
    const QFileInfo info(scriptPath);
    const QString canonical =
        info.canonicalFilePath().isEmpty() ? info.absoluteFilePath() : info.canonicalFilePath();
    const QByteArray hash =
        QCryptographicHash::hash(canonical.toUtf8(), QCryptographicHash::Sha1).toHex().left(12);
    return QDir(paths::mediaRootDir())
        .filePath(info.completeBaseName() + QLatin1Char('-') + QString::fromLatin1(hash));
}

QString ManimExecutionAgent::render(const RenderOptions& options) {
    if (isRunning()) {
        warning(jobId_, QStringLiteral("render refused: job %1 is still running").arg(jobId_));
        return {};
    }
    jobId_ = newJobId();
    options_ = options;
    result_ = RenderResult{};
    result_.result.jobId = jobId_;
    result_.result.timings.started = QDateTime::currentDateTimeUtc();
    result_.mediaDir = options.mediaDir.isEmpty() ? mediaDirForScript(options.scriptPath)
                                                  : QDir(options.mediaDir).absolutePath();
    jobDir_.clear();
    queue_.clear();
    sceneIndex_ = -1;
    cancelled_ = false;
    timedOut_ = false;
    jobClock_.start();
    info(jobId_,
         QStringLiteral("render %1 (quality %2, format %3, backend %4)")
             .arg(options.scriptPath, qualityName(options.quality),
                  options.lastFrameOnly ? QStringLiteral("png") : formatName(options.format),
                  backendName(options.backend)));
    // An output we could not write is found now, not after a long render.
    if (!options.outputPath.isEmpty()) {
        const QFileInfo out(options.outputPath);
        const QString folder = (out.isDir() || options.outputPath.endsWith(QLatin1Char('/')))
                                   ? out.absoluteFilePath()
                                   : out.absolutePath();
        if (!paths::ensureDir(folder) || !QFileInfo(folder).isWritable()) {
            const QString id = jobId_;
            QTimer::singleShot(0, this, [this, id, folder] {
                if (jobId_ == id)
                    finish(ResultStatus::Failed,
                           makeError(ErrorCategory::Usage,
                                     QStringLiteral("Cannot write the output to %1.").arg(folder),
                                     QStringLiteral("Choose a folder you can write to.")));
            });
            return jobId_;
        }
    }

    if (options.backend == RenderBackend::Local) {
        warning(jobId_, QStringLiteral("rendering without a sandbox (backend local): the script "
                                       "runs with this user's rights, files and network"));
        startSceneFinder();
        return jobId_;
    }
    if (options.backend == RenderBackend::Docker) {
        // Scenes are found on the host (ast, nothing of the script runs); the container is
        // asked for once the job knows what to render.
        QTimer::singleShot(0, this, [this, id = jobId_] {
            if (jobId_ == id)
                startSceneFinder();
        });
        return jobId_;
    }
    // Auto becomes Sandbox where bubblewrap works here, else Local with a warning. The probe
    // runs once per process, asynchronously.
    const QString id = jobId_;
    probeSandbox(this, [this, id](const SandboxAvailability& sandbox) {
        if (jobId_ != id)
            return;
        if (options_.backend == RenderBackend::Auto) {
            options_.backend = sandbox.usable ? RenderBackend::Sandbox : RenderBackend::Local;
            if (!sandbox.usable) {
                const QString text =
                    QStringLiteral("rendering without a sandbox: %1 (see omega doctor)")
                        .arg(sandbox.reason);
                warning(jobId_, text);
                Q_EMIT notice(jobId_, text);
            }
        }
        if (options_.backend == RenderBackend::Sandbox && !sandbox.usable) {
            finish(
                ResultStatus::Failed,
                makeError(
                    ErrorCategory::Environment,
                    QStringLiteral("The sandbox backend cannot run here: %1.").arg(sandbox.reason),
                    sandboxInstallHint()));
            return;
        }
        startSceneFinder();
    });
    return jobId_;
}

void ManimExecutionAgent::startSceneFinder() {
    result_.backend = options_.backend;
    sceneFinder_ = new SceneFinder(this);
    sceneFinder_->setPython(python_);
    connect(sceneFinder_, &SceneFinder::finished, this, &ManimExecutionAgent::onScenesFound);
    sceneFinder_->find(options_.scriptPath, jobId_);
}

void ManimExecutionAgent::onScenesFound(const SceneListResult& list) {
    if (sceneFinder_) {
        sceneFinder_->deleteLater();
        sceneFinder_ = nullptr;
    }
    if (list.result.jobId != jobId_)
        return;
    if (!list.result.ok()) {
        finish(ResultStatus::Failed, list.result.error);
        return;
    }
    result_.manimVersion = list.manimVersion;
    if (list.manimVersion.isEmpty()) {
        finish(ResultStatus::Failed,
               makeError(
                   ErrorCategory::Environment,
                   QStringLiteral("Manim is not installed in the render Python (%1).").arg(python_),
                   QStringLiteral("%1, or point OMEGA_VENV at a venv with manim %2.")
                       .arg(paths::setupHint(), QStringLiteral(OMEGA_MANIM_VERSION))));
        return;
    }
    const QStringList found = list.sceneNames();
    const QString available = found.join(QLatin1String(", "));
    if (found.isEmpty()) {
        finish(ResultStatus::Failed,
               makeError(ErrorCategory::NoScene,
                         QStringLiteral("%1 defines no Scene subclass.")
                             .arg(QFileInfo(options_.scriptPath).fileName()),
                         QStringLiteral("Add a class deriving from Scene (or ThreeDScene, "
                                        "MovingCameraScene, …) with a construct() method.")));
        return;
    }
    if (options_.allScenes) {
        queue_ = found;
    } else if (options_.scenes.isEmpty()) {
        if (found.size() > 1) {
            finish(ResultStatus::Failed,
                   makeError(ErrorCategory::Usage,
                             QStringLiteral("The file has %1 scenes: %2. Which one?")
                                 .arg(found.size())
                                 .arg(available),
                             QStringLiteral(
                                 "Name one with --scene NAME, or render them all with --all.")));
            return;
        }
        queue_ = found;
    } else {
        for (const QString& wanted : options_.scenes) {
            if (!found.contains(wanted)) {
                finish(ResultStatus::Failed,
                       makeError(ErrorCategory::Usage,
                                 QStringLiteral("There is no scene named \"%1\" in %2.")
                                     .arg(wanted, QFileInfo(options_.scriptPath).fileName()),
                                 QStringLiteral("Scenes in the file: %1.").arg(available)));
                return;
            }
        }
        queue_ = options_.scenes;
        queue_.removeDuplicates();
    }
    result_.scenes = queue_;
    if (options_.backend == RenderBackend::Docker) {
        acquireContainer();
        return;
    }
    if (!prepareJobFolder())
        return;
    if (options_.backend == RenderBackend::Sandbox && !prepareSandbox())
        return;
    startNextScene();
}

void ManimExecutionAgent::acquireContainer() {
    DockerAgent* docker = dockerAgent();
    docker->setEngineChoice(options_.engine);
    docker->setIdleTimeoutSec(options_.containerIdleSec);
    docker->setReuseContainers(options_.reuseContainer);
    container::ContainerProfile profile;
    profile.image = options_.image;
    profile.memoryLimitMb = options_.memoryLimitMb;
    profile.maxProcesses = options_.maxProcesses;
    profile.cpus = options_.cpus;
    // Approved packages, mounted when there are any (a first install later gives a new
    // profile, so a container started without them is not reused without them).
    if (QFileInfo(DependencyAgent::layerDir()).isDir())
        profile.packagesProfile = DependencyAgent::defaultProfile();
    QElapsedTimer clock;
    clock.start();
    const QString id = jobId_;
    docker->acquire(profile, this, [this, id, clock, docker](const ContainerAcquisition& got) {
        if (jobId_ != id) { // cancelled meanwhile
            if (got.ok())
                docker->release(got.lease);
            return;
        }
        if (!got.ok()) {
            finish(ResultStatus::Failed, got.error);
            return;
        }
        lease_ = got.lease;
        result_.container = lease_.name;
        result_.containerReused = lease_.reused;
        result_.containerWaitMs = clock.elapsed();
        info(jobId_, QStringLiteral("container %1 (%2, %3) after %4 ms")
                         .arg(lease_.name, lease_.image,
                              lease_.reused ? QStringLiteral("warm") : QStringLiteral("new"))
                         .arg(result_.containerWaitMs));
        jobDirInContainer_ = ContainerLease::jobDirInContainer(jobId_);
        if (!prepareJobFolder())
            return;
        startNextScene();
    });
}

bool ManimExecutionAgent::prepareJobFolder() {
    // The job's own folder and its own copy of the script: the user's file is never run in
    // place, and nothing outside this folder is cleaned up afterwards. With a container that
    // shares this machine's files, it lies in the container's mounted work root.
    const bool inContainer = lease_.isValid() && !lease_.copyMode;
    jobDir_ = QDir(inContainer ? lease_.hostWorkRoot : paths::jobsDir()).filePath(jobId_);
    const QFileInfo source(options_.scriptPath);
    module_ = source.completeBaseName();
    scriptInJob_ = QDir(jobDir_).filePath(source.fileName().endsWith(QLatin1String(".py"))
                                              ? source.fileName()
                                              : module_ + QStringLiteral(".py"));
    if (!paths::ensureDir(jobDir_) || !QFile::copy(source.absoluteFilePath(), scriptInJob_) ||
        !paths::ensureDir(result_.mediaDir)) {
        finish(ResultStatus::Failed,
               makeError(ErrorCategory::Internal,
                         QStringLiteral("Cannot prepare the job folder %1.").arg(jobDir_),
                         QStringLiteral("Check that the data folder (%1) is writable and the disk "
                                        "is not full.")
                             .arg(paths::dataDir())));
        return false;
    }
    // The user's own manim.cfg next to the script still applies, as it would by hand.
    const QString userConfig = source.absoluteDir().filePath(QStringLiteral("manim.cfg"));
    if (QFileInfo::exists(userConfig))
        QFile::copy(userConfig, QDir(jobDir_).filePath(QStringLiteral("manim.cfg")));
    return true;
}

// The docker backend: the container sees only the job folder, so the script's persistent media
// folder (Manim's cache) moves into it for the scene, handed to the container's user.
bool ManimExecutionAgent::moveMediaIntoJob() {
    const QString inJob = QDir(jobDir_).filePath(QStringLiteral("media"));
    if (!moveTree(result_.mediaDir, inJob))
        return false;
    mediaInJob_ = true;
    return lease_.uid < 0 || grantSandboxAccess(jobDir_, lease_.uid);
}

void ManimExecutionAgent::moveMediaBack() {
    if (!mediaInJob_)
        return;
    mediaInJob_ = false;
    const QString inJob = QDir(jobDir_).filePath(QStringLiteral("media"));
    if (!moveTree(inJob, result_.mediaDir))
        warning(jobId_,
                QStringLiteral("could not move the media folder back to %1").arg(result_.mediaDir));
}

bool ManimExecutionAgent::prepareSandbox() {
    sandboxHost_ = SandboxHost::detect(python_, {jobDir_, result_.mediaDir});
    if (!sandboxHost_.missing.isEmpty()) {
        finish(ResultStatus::Failed,
               makeError(ErrorCategory::Environment,
                         QStringLiteral("The sandbox backend cannot run here: %1.")
                             .arg(sandboxHost_.missing),
                         sandboxInstallHint()));
        return false;
    }
    // Writable at its own path: a media folder holding the home folder would bring it back.
    if (sandboxWouldExpose(sandboxHost_, result_.mediaDir)) {
        finish(ResultStatus::Failed,
               makeError(ErrorCategory::Usage,
                         QStringLiteral("The media folder %1 holds folders the sandbox hides "
                                        "(the home folders, /run).")
                             .arg(result_.mediaDir),
                         QStringLiteral("Choose a media folder inside them, or leave out "
                                        "--media-dir.")));
        return false;
    }
    const int uid = sandboxHost_.sandboxUid;
    if (uid < 0)
        return true;
    // With root the render runs as nobody: it gets this job's folder, and the media folder when
    // it is one of Omega's own (never a tree the user named, which could be anything).
    const QString mediaRoot = QDir::cleanPath(QDir(paths::mediaRootDir()).absolutePath());
    if (!QDir::cleanPath(result_.mediaDir).startsWith(mediaRoot + QLatin1Char('/'))) {
        finish(ResultStatus::Failed,
               makeError(ErrorCategory::Usage,
                         QStringLiteral("As root, sandboxed renders run as the user nobody, and "
                                        "write only to Omega's own media folders, not to %1.")
                             .arg(result_.mediaDir),
                         QStringLiteral("Leave out --media-dir, or render with --backend local "
                                        "if you trust the script.")));
        return false;
    }
    if (!grantSandboxAccess(jobDir_, uid) || !grantSandboxAccess(result_.mediaDir, uid)) {
        finish(ResultStatus::Failed,
               makeError(ErrorCategory::Internal,
                         QStringLiteral("Cannot hand the job and media folders to the sandbox's "
                                        "user (uid %1).")
                             .arg(uid),
                         QStringLiteral("Check that the data folder (%1) is on a file system "
                                        "with Unix ownership.")
                             .arg(paths::dataDir())));
        return false;
    }
    return true;
}

void ManimExecutionAgent::setUpProcess(QProcess* process, const QStringList& manimArgs) {
    process->setWorkingDirectory(jobDir_);
    if (options_.backend == RenderBackend::Docker) {
        const EngineCommand command =
            dockerAgent()->execCommand(lease_, jobDirInContainer_, manimArgs,
                                       options_.memoryLimitMb, options_.cpuTimeLimitSec);
        debug(jobId_, QStringLiteral("container: %1 %2")
                          .arg(command.program, command.arguments.join(QLatin1Char(' '))));
        process->setProgram(command.program);
        process->setArguments(command.arguments);
        process->setProcessEnvironment(command.environment);
        // The engine client in its own group; the render itself is killed in the container.
        process->setChildProcessModifier([] { ::setsid(); });
        return;
    }
    if (options_.backend == RenderBackend::Sandbox) {
        SandboxLimits limits;
        limits.memoryLimitMb = options_.memoryLimitMb;
        limits.maxProcesses = options_.maxProcesses;
        limits.cpuTimeLimitSec = options_.cpuTimeLimitSec;
        const SandboxCommand command =
            sandboxCommand(sandboxHost_, python_, manimArgs, jobDir_, result_.mediaDir, limits,
                           renderEnvironment());
        debug(jobId_, QStringLiteral("sandbox: %1 %2")
                          .arg(command.program, command.arguments.join(QLatin1Char(' '))));
        process->setProgram(command.program);
        process->setArguments(command.arguments);
        process->setProcessEnvironment(command.environment);
        // Own session and process group for bwrap, and the limits it and the render inherit.
        process->setChildProcessModifier([limits] {
            ::setsid();
            applySandboxLimits(limits);
        });
        return;
    }
    process->setProgram(python_);
    process->setArguments(manimArgs);
    process->setProcessEnvironment(renderEnvironment());
    // Own session and process group: cancel and timeout signal the whole group, so LaTeX
    // and any child the script starts go too.
    process->setChildProcessModifier([] { ::setsid(); });
}

void ManimExecutionAgent::saveAnimationCount(const QString& scene, int count) {
    if (count <= 0)
        return;
    QFile file(QDir(result_.mediaDir).filePath(QLatin1String(kAnimationCountsFile)));
    QJsonObject counts;
    if (file.open(QIODevice::ReadOnly))
        counts = QJsonDocument::fromJson(file.readAll()).object();
    file.close();
    counts.insert(scene, count);
    if (file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        file.write(QJsonDocument(counts).toJson(QJsonDocument::Compact));
}

void ManimExecutionAgent::startNextScene() {
    ++sceneIndex_;
    if (sceneIndex_ >= queue_.size()) {
        finish(ResultStatus::Ok);
        return;
    }
    currentScene_ = queue_.at(sceneIndex_);
    animationsSeen_ = 0;
    knownAnimationCount_ = -1;
    stdout_.clear();
    stderr_.clear();
    stdoutParser_ = ProgressParser{};
    stderrParser_ = ProgressParser{};
    {
        QFile file(QDir(result_.mediaDir).filePath(QLatin1String(kAnimationCountsFile)));
        if (file.open(QIODevice::ReadOnly))
            knownAnimationCount_ =
                QJsonDocument::fromJson(file.readAll()).object().value(currentScene_).toInt(-1);
    }

    const bool docker = options_.backend == RenderBackend::Docker;
    // In a container, the paths it sees: the job folder at its place in the work root.
    const QString script =
        docker ? QDir(jobDirInContainer_).filePath(QFileInfo(scriptInJob_).fileName())
               : scriptInJob_;
    const QString media =
        docker ? QDir(jobDirInContainer_).filePath(QStringLiteral("media")) : result_.mediaDir;
    const QStringList args = manimArguments(options_, script, currentScene_, media);
    info(jobId_, QStringLiteral("scene %1 (%2/%3): %4 %5")
                     .arg(currentScene_)
                     .arg(sceneIndex_ + 1)
                     .arg(queue_.size())
                     .arg(python_, args.join(QLatin1Char(' '))));

    auto* process = new QProcess(this);
    process_ = process;
    setUpProcess(process, args);
    process->setStandardInputFile(QProcess::nullDevice()); // manim's scene menu can never wait
    connect(process, &QProcess::readyReadStandardOutput, this,
            [this] { onProcessOutput(QProcess::StandardOutput); });
    connect(process, &QProcess::readyReadStandardError, this,
            [this] { onProcessOutput(QProcess::StandardError); });
    connect(process, &QProcess::finished, this, &ManimExecutionAgent::onProcessFinished);
    connect(process, &QProcess::errorOccurred, this, [this, process](QProcess::ProcessError e) {
        if (e != QProcess::FailedToStart || process_ != process)
            return;
        process_ = nullptr;
        process->deleteLater();
        timeoutTimer_.stop();
        moveMediaBack();
        if (options_.backend == RenderBackend::Docker) {
            finish(ResultStatus::Failed,
                   makeError(ErrorCategory::Environment,
                             QStringLiteral("Cannot start the container engine (%1): %2")
                                 .arg(process->program(), process->errorString()),
                             QStringLiteral("Run `omega doctor`, or render with --backend "
                                            "sandbox.")));
            return;
        }
        if (options_.backend == RenderBackend::Sandbox) {
            finish(ResultStatus::Failed,
                   makeError(ErrorCategory::Environment,
                             QStringLiteral("Cannot start the sandbox (%1): %2")
                                 .arg(process->program(), process->errorString()),
                             sandboxInstallHint()));
            return;
        }
        finish(ResultStatus::Failed,
               makeError(ErrorCategory::Environment,
                         QStringLiteral("Cannot start the render Python (%1): %2")
                             .arg(python_, process->errorString()),
                         QStringLiteral("%1, or set OMEGA_VENV to a venv with manim %2.")
                             .arg(paths::setupHint(), QStringLiteral(OMEGA_MANIM_VERSION))));
    });

    RenderProgress start;
    start.scene = currentScene_;
    start.sceneIndex = sceneIndex_;
    start.sceneCount = queue_.size();
    start.overallPercent = knownAnimationCount_ > 0 ? 0 : -1;
    Q_EMIT progressChanged(jobId_, start);

    // The media folder persists between renders: remove this scene's earlier results, so a
    // file left by an older render can never pass for this one's.
    QFile::remove(expectedOutputPath(options_, result_.mediaDir, module_, currentScene_,
                                     result_.manimVersion));
    QFile::remove(
        expectedStillImagePath(result_.mediaDir, module_, currentScene_, result_.manimVersion));

    sceneClock_.start();
    if (options_.timeoutSec > 0)
        timeoutTimer_.start(options_.timeoutSec * 1000);
    launchProcess();
}

void ManimExecutionAgent::launchProcess() {
    QProcess* process = process_;
    if (options_.backend != RenderBackend::Docker) {
        process->start();
        return;
    }
    if (!moveMediaIntoJob()) {
        process_ = nullptr;
        process->deleteLater();
        moveMediaBack();
        finish(ResultStatus::Failed,
               makeError(ErrorCategory::Internal,
                         QStringLiteral("Cannot move the media folder %1 into the job folder.")
                             .arg(result_.mediaDir),
                         QStringLiteral("Check that the data folder (%1) is writable and the disk "
                                        "is not full.")
                             .arg(paths::dataDir())));
        return;
    }
    if (!lease_.copyMode) {
        process->start();
        return;
    }
    // A remote engine: the job folder goes in with `cp`.
    dockerAgent()->copyIn(
        lease_, jobDir_, jobDirInContainer_, process, [this, process](const QString& failure) {
            if (process_ != process)
                return;
            if (failure.isEmpty()) {
                process->start();
                return;
            }
            process_ = nullptr;
            process->deleteLater();
            moveMediaBack();
            finish(
                ResultStatus::Failed,
                makeError(ErrorCategory::Environment,
                          QStringLiteral("Cannot copy the job into the container: %1").arg(failure),
                          QStringLiteral("Check the container engine (omega doctor).")));
        });
}

void ManimExecutionAgent::onProcessOutput(QProcess::ProcessChannel channel) {
    if (!process_)
        return;
    // Keep a bounded tail of each stream for the error report; tracebacks are at the end.
    constexpr qsizetype kKeep = 256 * 1024;
    if (channel == QProcess::StandardOutput) {
        const QByteArray chunk = process_->readAllStandardOutput();
        stdout_.append(chunk);
        if (stdout_.size() > kKeep)
            stdout_.remove(0, stdout_.size() - kKeep);
        handleProgress(stdoutParser_.feed(chunk));
    } else {
        const QByteArray chunk = process_->readAllStandardError();
        stderr_.append(chunk);
        if (stderr_.size() > kKeep)
            stderr_.remove(0, stderr_.size() - kKeep);
        handleProgress(stderrParser_.feed(chunk));
    }
}

void ManimExecutionAgent::handleProgress(const QList<ProgressUpdate>& updates) {
    for (const ProgressUpdate& update : updates) {
        animationsSeen_ = qMax(animationsSeen_, update.animationIndex + 1);
        RenderProgress progress;
        progress.scene = currentScene_;
        progress.sceneIndex = sceneIndex_;
        progress.sceneCount = queue_.size();
        progress.animationIndex = update.animationIndex;
        progress.label = update.cached ? QStringLiteral("cached") : update.label;
        progress.percent = update.cached ? 100 : update.percent;
        const int total = knownAnimationCount_ > update.animationIndex ? knownAnimationCount_ : -1;
        progress.overallPercent = overallPercent(update.animationIndex, progress.percent, total);
        Q_EMIT progressChanged(jobId_, progress);
    }
}

void ManimExecutionAgent::onTimeout() {
    if (!process_)
        return;
    timedOut_ = true;
    warning(jobId_, QStringLiteral("scene %1 exceeded the %2 s time limit; stopping it")
                        .arg(currentScene_)
                        .arg(options_.timeoutSec));
    stopProcess();
}

void ManimExecutionAgent::cancel() {
    if (!isRunning())
        return;
    info(jobId_, QStringLiteral("cancel requested"));
    cancelled_ = true;
    if (sceneFinder_) {
        sceneFinder_->cancel();
        sceneFinder_->deleteLater();
        sceneFinder_ = nullptr;
        finish(ResultStatus::Cancelled,
               makeError(ErrorCategory::Cancelled, QStringLiteral("Render cancelled."), {}));
        return;
    }
    if (process_ && process_->state() != QProcess::NotRunning) {
        stopProcess();
        return;
    }
    if (process_) { // not started yet (copying into the container)
        QProcess* process = process_;
        process_ = nullptr;
        process->deleteLater();
        moveMediaBack();
    }
    // Between steps (the sandbox probe, the output check): nothing runs yet.
    finish(ResultStatus::Cancelled,
           makeError(ErrorCategory::Cancelled, QStringLiteral("Render cancelled."), {}));
}

// SIGTERM to the whole process group, then SIGKILL after the grace period.
void ManimExecutionAgent::stopProcess() {
    if (!process_ || process_->processId() <= 0)
        return;
    // The engine client is not the render: kill what runs in the container; the client then
    // ends by itself (and is killed after the grace period if not).
    if (options_.backend == RenderBackend::Docker && lease_.isValid()) {
        dockerAgent()->killJob(lease_);
        killTimer_.start(killGraceMs_);
        return;
    }
    ::kill(-static_cast<pid_t>(process_->processId()), SIGTERM);
    killTimer_.start(killGraceMs_);
}

void ManimExecutionAgent::onProcessFinished(int exitCode, QProcess::ExitStatus status) {
    QProcess* process = process_;
    if (!process)
        return;
    const qint64 pid = process->processId();
    timeoutTimer_.stop();
    killTimer_.stop();
    // Whatever the script started in its group must not outlive it.
    if (pid > 0)
        ::kill(-static_cast<pid_t>(pid), SIGKILL);
    onProcessOutput(QProcess::StandardOutput);
    onProcessOutput(QProcess::StandardError);
    handleProgress(stderrParser_.finish());
    handleProgress(stdoutParser_.finish());
    process_ = nullptr;
    process->deleteLater();
    const qint64 sceneMs = sceneClock_.elapsed();
    if (options_.backend == RenderBackend::Docker && lease_.copyMode && !cancelled_) {
        // A remote engine: the job folder (with the media folder) comes back with `cp`.
        dockerAgent()->copyOut(
            lease_, jobDirInContainer_, jobDir_, this,
            [this, id = jobId_, exitCode, status, sceneMs](const QString& e) {
                if (jobId_ != id)
                    return;
                if (!e.isEmpty())
                    warning(jobId_, QStringLiteral("copy out of the container: %1").arg(e));
                moveMediaBack();
                concludeScene(exitCode, status, sceneMs);
            });
        return;
    }
    moveMediaBack();
    concludeScene(exitCode, status, sceneMs);
}

void ManimExecutionAgent::concludeScene(int exitCode, QProcess::ExitStatus status, qint64 sceneMs) {
    if (cancelled_) {
        finish(ResultStatus::Cancelled,
               makeError(ErrorCategory::Cancelled, QStringLiteral("Render cancelled."), {}));
        return;
    }

    ProcessOutcome outcome;
    outcome.stdoutText = QString::fromUtf8(stdout_);
    outcome.stderrText = QString::fromUtf8(stderr_);
    outcome.exitCode = exitCode;
    outcome.crashed = status == QProcess::CrashExit;
    outcome.timedOut = timedOut_;
    outcome.scriptPathInJob = scriptInJob_;
    outcome.backend = options_.backend;
    if (options_.backend == RenderBackend::Docker) {
        // Classified like the sandbox: the container stops the same things (network, files
        // outside the job, limits). Tracebacks name the script at its container path.
        outcome.backend = RenderBackend::Sandbox;
        outcome.scriptPathInJob =
            QDir(jobDirInContainer_).filePath(QFileInfo(scriptInJob_).fileName());
        outcome.memoryLimitMb = options_.memoryLimitMb;
        outcome.maxProcesses = options_.maxProcesses;
        outcome.cpuTimeLimitSec = options_.cpuTimeLimitSec;
        outcome.hiddenPaths = {QDir::homePath(), QStringLiteral("/home"), QStringLiteral("/root"),
                               QStringLiteral("/run")};
    }
    if (options_.backend == RenderBackend::Sandbox) {
        outcome.memoryLimitMb = options_.memoryLimitMb;
        outcome.maxProcesses = options_.maxProcesses;
        outcome.cpuTimeLimitSec = options_.cpuTimeLimitSec;
        outcome.hiddenPaths = sandboxHost_.maskedPaths;
    }
    // QProcess reports a signal death as CrashExit; the shell convention 128+N never applies here.
    if (outcome.crashed)
        outcome.signal = exitCode;

    if (!outcome.crashed && !timedOut_ && exitCode == 0) {
        const QString expected = expectedOutputPath(options_, result_.mediaDir, module_,
                                                    currentScene_, result_.manimVersion);
        const QString still =
            expectedStillImagePath(result_.mediaDir, module_, currentScene_, result_.manimVersion);
        static const QRegularExpression played(QStringLiteral("Played\\s+(\\d+)\\s+animations"));
        const QRegularExpressionMatch playedMatch = played.match(outcome.stdoutText.simplified());
        const int animations =
            playedMatch.hasMatch() ? playedMatch.captured(1).toInt() : animationsSeen_;
        const bool stillImage =
            options_.lastFrameOnly || (!isUsableFile(expected) && isUsableFile(still));
        if (isUsableFile(expected) || stillImage) {
            saveAnimationCount(currentScene_, animations);
            const QString mediaPath = stillImage ? still : expected;
            info(jobId_, QStringLiteral("scene %1 rendered in %2 ms: %3")
                             .arg(currentScene_)
                             .arg(sceneMs)
                             .arg(mediaPath));
            if (!deliverOutput(mediaPath, stillImage))
                return;
            result_.outputs.last().elapsedMs = sceneMs;
            Q_EMIT sceneFinished(jobId_, result_.outputs.last());
            startNextScene();
            return;
        }
        outcome.outputMissing = true;
        debug(jobId_, QStringLiteral("expected output missing: %1").arg(expected));
    }

    ErrorReport report = classifyRenderFailure(outcome);
    // The job folder is gone after the job: show the user's own file in the traceback.
    const QString userScript = QFileInfo(options_.scriptPath).absoluteFilePath();
    report.detail.replace(outcome.scriptPathInJob, userScript);
    report.message.replace(outcome.scriptPathInJob, userScript);
    report.detail.replace(scriptInJob_, userScript);
    report.message.replace(scriptInJob_, userScript);
    result_.failedScene = currentScene_;
    error(jobId_, QStringLiteral("scene %1 failed (%2): %3")
                      .arg(currentScene_, categoryName(report.category), report.message));
    if (!outcome.stderrText.isEmpty())
        debug(jobId_, QStringLiteral("manim stderr (tail):\n") + outcome.stderrText.right(4000));
    finish(ResultStatus::Failed, report);
}

bool ManimExecutionAgent::deliverOutput(const QString& mediaPath, bool stillImage) {
    SceneOutput output;
    output.scene = currentScene_;
    output.mediaPath = mediaPath;
    output.path = mediaPath;
    output.stillImage = stillImage;
    if (!options_.outputPath.isEmpty()) {
        const QString target = outputTargetFor(options_.outputPath, queue_.size(), mediaPath);
        paths::ensureDir(QFileInfo(target).absolutePath());
        QFile::remove(target);
        if (!QFile::copy(mediaPath, target)) {
            finish(
                ResultStatus::Failed,
                makeError(ErrorCategory::Usage,
                          QStringLiteral("Rendered, but cannot copy the result to %1.").arg(target),
                          QStringLiteral("The render is at %1.").arg(mediaPath)));
            return false;
        }
        output.path = target;
    }
    result_.outputs << output;
    return true;
}

void ManimExecutionAgent::finish(ResultStatus status, const ErrorReport& error) {
    if (jobId_.isEmpty())
        return;
    timeoutTimer_.stop();
    killTimer_.stop();
    result_.result.status = status;
    result_.result.error = error;
    if (status == ResultStatus::Cancelled && error.category == ErrorCategory::None)
        result_.result.error =
            makeError(ErrorCategory::Cancelled, QStringLiteral("Render cancelled."), {});
    result_.result.timings.elapsedMs = jobClock_.elapsed();
    moveMediaBack();
    cleanupJobFolder();
    if (lease_.isValid()) {
        if (docker_)
            docker_->release(lease_); // reaped before anyone else gets it
        lease_ = ContainerLease{};
    }
    info(jobId_,
         QStringLiteral("job %1 after %2 ms").arg(statusName(status)).arg(jobClock_.elapsed()));
    const RenderResult result = result_;
    jobId_.clear(); // before emitting, so a listener may start the next job at once
    Q_EMIT finished(result);
}

void ManimExecutionAgent::cleanupJobFolder() {
    if (jobDir_.isEmpty() || keepJobFolders_ || qEnvironmentVariableIsSet("OMEGA_KEEP_JOBS"))
        return;
    // Only this job's own folder, by its exact path: never a pattern.
    QDir(jobDir_).removeRecursively();
    jobDir_.clear();
}

} // namespace omega
