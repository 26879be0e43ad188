#pragma once

#include "BaseAgent.h"
#include "ContainerEngine.h"
#include "ErrorReport.h"
#include "RenderOptions.h"

#include <QHash>
#include <QList>
#include <QPointer>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTimer>

#include <functional>
#include <memory>

namespace omega {

// A container handed to one render job: nobody else execs in it until it is released.
struct ContainerLease {
    QString name; // the container's unique name (exec and cp address it by name)
    QString id;
    QString profileKey;
    QString image;
    container::EngineStatus engine;
    QProcessEnvironment engineEnvironment; // for the engine's CLI (CONTAINERS_CONF, …)
    QString hostWorkRoot;  // the host folder mounted at container::kWorkRoot; empty in cp mode
    bool copyMode = false; // files go in and out with `cp` (remote engine, OMEGA_CONTAINER_COPY)
    bool reused = false;   // warm: it existed before this request
    int uid = -1;          // the container user's uid, when the host must hand folders to it

    bool isValid() const { return !name.isEmpty(); }
    // The container's path of a job folder.
    static QString jobDirInContainer(const QString& jobId);
};

// The answer to acquire().
struct ContainerAcquisition {
    ContainerLease lease; // valid when ok
    ErrorReport error;    // category Environment (engine, image) or Internal otherwise
    bool ok() const { return lease.isValid(); }
};

// A command ready for QProcess: the engine CLI and its arguments, never a shell.
struct EngineCommand {
    QString program;
    QStringList arguments;
    QProcessEnvironment environment;
};

// Renders inside Docker or Podman containers through the engine's CLI (QProcess, every call
// with a timeout). Owns the engine and the containers:
//  - finds the engine and its state asynchronously (`info`): not installed, daemon down,
//    permission denied, rootless. Auto tries docker, then podman. Podman gets Omega's
//    containers.conf through CONTAINERS_CONF unless the user set one.
//  - resolves the image: the one asked for, else omega-render:<manim> when it exists locally,
//    else the official manimcommunity/manim:v<manim> (pulled, with progress, when absent).
//  - keeps one warm container per profile (image + limits), started with `run -d` and every
//    restriction of container::runArguments(); a render execs in it. Released containers are
//    reaped (every process but PID 1 killed) before the next job gets them, and removed after
//    the idle time, when reuse is off, and when the agent goes (`rm -f`, detached so it
//    completes after Omega exits). Containers left by a crashed Omega (labelled with an owner
//    pid that is gone) are removed before the first container starts.
//  - files: the job folders live in a per-container work root bind-mounted at /omega/work; with
//    a remote engine (or OMEGA_CONTAINER_COPY=1) an anonymous volume there, and `cp` in/out.
//  - approved packages (DependencyAgent's DATA/packages/<profile>/site) mounted read-only on
//    PYTHONPATH (copied in, in cp mode).
// Callbacks come from the event loop, never inside the call; a `context` that is gone drops
// them.
class DockerAgent : public BaseAgent {
    Q_OBJECT
public:
    explicit DockerAgent(QObject* parent = nullptr);
    ~DockerAgent() override;

    void setEngineChoice(ContainerEngineChoice choice);
    ContainerEngineChoice engineChoice() const { return choice_; }
    void setIdleTimeoutSec(int seconds);
    void setReuseContainers(bool reuse) { reuse_ = reuse; }
    void setEngineTimeoutMs(int ms) { engineTimeoutMs_ = ms; }
    void setPullTimeoutMs(int ms) { pullTimeoutMs_ = ms; }

    // The default image names for this Manim version.
    static QString localImageName();    // omega-render:<manim>
    static QString officialImageName(); // manimcommunity/manim:v<manim>
    // Omega's containers.conf for podman (empty when not found).
    static QString podmanConfigPath();

    // The engine's state (cached once ready; asked again otherwise).
    void detectEngine(QObject* context, std::function<void(const container::EngineStatus&)> done);
    // Which image a render would use: `image` or the default; `present` when it is local.
    void
    findImage(const QString& image, QObject* context,
              std::function<void(const QString& image, bool present, const QString& error)> done);
    // A container for `profile` (profile.image empty: the default), warm when there is one.
    void acquire(const container::ContainerProfile& profile, QObject* context,
                 std::function<void(const ContainerAcquisition&)> done);
    // Back from the job: reaped, then idle (or removed when reuse is off).
    void release(const ContainerLease& lease);
    // Kills every process the job runs in the container (not only the exec client).
    void killJob(const ContainerLease& lease);
    // cp mode: the host folder into the container's job folder, and the job folder back.
    void copyIn(const ContainerLease& lease, const QString& hostDir, const QString& containerDir,
                QObject* context, std::function<void(const QString& error)> done);
    void copyOut(const ContainerLease& lease, const QString& containerDir, const QString& hostDir,
                 QObject* context, std::function<void(const QString& error)> done);
    // The exec of one render in the container.
    EngineCommand execCommand(const ContainerLease& lease, const QString& workDir,
                              const QStringList& pythonArgs, int memoryLimitMb,
                              int cpuTimeLimitSec) const;

    // Names of the containers this agent runs now.
    QStringList containerNames() const;
    // Removes them all now (detached `rm -f`).
    void removeAll();

Q_SIGNALS:
    // A line of `pull` output, or what the agent is doing that takes time.
    void progress(const QString& line);

private:
    struct Warm {
        ContainerLease lease;
        bool busy = false;
        bool reaping = false;
        QTimer* idleTimer = nullptr;
        QList<std::function<void()>> waiting; // acquisitions waiting for the reap
    };
    struct EngineCall {
        int exitCode = -1;
        bool timedOut = false;
        bool failedToStart = false;
        QByteArray out;
        QByteArray err;
        bool ok() const { return !timedOut && !failedToStart && exitCode == 0; }
        QString errorLine() const;
    };
    using CallDone = std::function<void(const EngineCall&)>;

    void runEngine(const container::EngineStatus& engine, const QStringList& arguments,
                   int timeoutMs, CallDone done, bool streamProgress = false);
    void detectNext(QList<container::EngineKind> remaining, QList<container::EngineStatus> failed,
                    const QPointer<QObject>& context,
                    const std::function<void(const container::EngineStatus&)>& done);
    void inspectImages(const container::EngineStatus& engine, const QStringList& candidates,
                       int index, const QPointer<QObject>& context,
                       const std::function<void(const QString&, bool, const QString&)>& done);
    void removeStale(const container::EngineStatus& engine, std::function<void()> then);
    void createContainer(const container::ContainerProfile& profile,
                         const container::EngineStatus& engine, const QPointer<QObject>& context,
                         const std::function<void(const ContainerAcquisition&)>& done);
    void removeContainer(const QString& name);
    void onIdle(const QString& name);
    QProcessEnvironment engineEnvironment(container::EngineKind kind) const;
    bool copyMode(const container::EngineStatus& engine) const;

    ContainerEngineChoice choice_ = ContainerEngineChoice::Auto;
    int idleTimeoutSec_ = 600;
    bool reuse_ = true;
    int engineTimeoutMs_ = 60000;
    int pullTimeoutMs_ = 600000;
    std::unique_ptr<container::EngineStatus> engine_; // cached once ready
    QHash<QString, QString> resolvedImages_;          // requested ("" = default) → image
    bool staleChecked_ = false;
    QHash<QString, Warm> containers_; // by name
    QList<QPointer<QProcess>> calls_; // running engine calls
};

} // namespace omega

Q_DECLARE_METATYPE(omega::ContainerLease)
