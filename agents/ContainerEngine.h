#pragma once

#include "RenderOptions.h"

#include <QList>
#include <QMap>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <functional>

// Pure pieces of the container backend (DockerAgent.h): what an engine's `info` says about its
// state, the `run` / `exec` command lines, container names and labels, the list of Omega's
// containers. No process is started here.
namespace omega::container {

enum class EngineKind { Docker, Podman };
QString engineKindName(EngineKind kind); // "docker" "podman"

enum class EngineState {
    Ready,            // answers, containers can run
    NotInstalled,     // no such program on PATH
    DaemonDown,       // the client cannot reach its daemon / service
    PermissionDenied, // the daemon's socket is closed to this user
    Failed,           // anything else (timeout, unreadable answer)
};
QString engineStateName(EngineState state); // "ready" "not-installed" "daemon-down" …

// What `ENGINE info` (and, before it, PATH) found.
struct EngineStatus {
    EngineKind kind = EngineKind::Docker; // what answers (podman-docker's `docker` is Podman)
    QString program;                      // absolute path of the client
    EngineState state = EngineState::Failed;
    bool rootless = false;
    QString version; // server version when known
    QString message; // one sentence: the state, for people
    QString hint;    // what to do when not ready

    bool ready() const { return state == EngineState::Ready; }
};

// Pure: the engine's state from `info`'s exit code and output (JSON on success; the client's
// error text otherwise). `requested` is the CLI that was run.
EngineStatus parseEngineInfo(EngineKind requested, const QString& program, int exitCode,
                             const QByteArray& stdoutBytes, const QByteArray& stderrBytes);
// The status of a client that is not on PATH.
EngineStatus engineNotInstalled(EngineKind requested);

// The arguments of `ENGINE info` that print JSON.
QStringList infoArguments(EngineKind kind);

// Pure: whether the engine does not share this machine's file system (DOCKER_HOST,
// CONTAINER_HOST or a docker context other than the default), or OMEGA_CONTAINER_COPY=1 forces
// copying: then files go in and out with `cp`, never through a bind mount.
// `dockerContext`: the current context from ~/.docker/config.json ("" when none).
bool engineIsRemote(const QProcessEnvironment& environment, const QString& dockerContext = {});

// Labels every Omega container carries.
inline constexpr auto kLabelApp = "io.omega-studio";
inline constexpr auto kLabelOwnerPid = "io.omega-studio.owner-pid";
inline constexpr auto kLabelOwnerHost = "io.omega-studio.owner-host";
inline constexpr auto kLabelProfile = "io.omega-studio.profile";
inline constexpr auto kNamePrefix = "omega-render-";

// Paths inside the container.
inline constexpr auto kWorkRoot = "/omega/work";    // job folders (mount or volume)
inline constexpr auto kPackagesDir = "/omega/site"; // approved packages, read-only
inline constexpr auto kContainerHome = "/tmp";      // HOME and TMPDIR: the tmpfs

// One warm container's recipe: the same profile reuses the same container.
struct ContainerProfile {
    QString image;
    int memoryLimitMb = 4096; // per process (RLIMIT_AS, set by the launcher)
    int maxProcesses = 512;   // pids of the whole container
    double cpus = 2.0;
    QString packagesProfile; // DependencyAgent profile mounted read-only, "" for none

    // Stable short hash of everything above: the container's identity.
    QString key() const;
};

// Everything `run` needs besides the profile.
struct ContainerSpec {
    ContainerProfile profile;
    QString name;
    qint64 ownerPid = 0;
    QString ownerHost;
    QString user;            // "1000:1000", or the host's uid:gid
    bool keepId = false;     // rootless podman: --userns keep-id (the container user is the user)
    QString hostWorkRoot;    // bind-mounted at kWorkRoot; empty: an anonymous volume (cp mode)
    QString hostPackagesDir; // bind-mounted read-only at kPackagesDir when not empty
    QString python = QStringLiteral("python"); // the image's Python
};

// Pure: `ENGINE run -d …` with every restriction: no network, non-root user, read-only root
// with a tmpfs /tmp, no capabilities, no-new-privileges, memory / CPU / pids limits, labels,
// only the work root mounted. PID 1 is a small Python loop that reaps orphans (so processes a
// render leaves behind never pin the pids limit).
QStringList runArguments(const ContainerSpec& spec);

// Pure: `ENGINE exec` of one render: `pythonArgs` under a small launcher, which sets RLIMIT_AS
// to `memoryLimitMb` and RLIMIT_CPU to `cpuTimeLimitSec` (0: none), starts a new session and
// execs the image's Python. Arguments stay a list: nothing reaches a shell.
QStringList execArguments(const QString& container, const QString& workDir,
                          const QStringList& pythonArgs, int memoryLimitMb, int cpuTimeLimitSec,
                          const QString& python = QStringLiteral("python"));

// Pure: `ENGINE exec` that SIGKILLs every process of the container except PID 1 (one job at a
// time per container: whatever runs besides PID 1 belongs to the job, however it detached).
// `clearWorkRoot` (cp mode, where the work root is the container's own volume): the job
// folders there go too, so that no job sees an earlier one's files.
QStringList reapArguments(const QString& container, bool clearWorkRoot = false,
                          const QString& python = QStringLiteral("python"));

// Pure: a unique container name: omega-render-<pid>-<profile key>-<random>.
QString containerName(qint64 pid, const QString& profileKey, const QString& random);

// One of Omega's containers, from `ps -a --format json`.
struct ContainerInfo {
    QString id;
    QString name;
    QMap<QString, QString> labels;
    QString state; // running, exited, created…
};
// Pure: Docker prints one JSON object per line (Labels "k=v,k=v"), Podman one JSON array
// (Labels an object); both are read. Malformed entries are skipped.
QList<ContainerInfo> parseContainerList(const QByteArray& output);

// Pure: the containers left by an Omega that is gone: owned by this host, and the owner pid is
// not `alive`. Containers of other hosts (a shared remote engine) are left alone.
QStringList staleContainers(const QList<ContainerInfo>& containers, const QString& thisHost,
                            const std::function<bool(qint64)>& alive);

} // namespace omega::container
