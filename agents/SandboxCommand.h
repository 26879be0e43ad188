#pragma once

#include <functional>

#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace omega {

// Limits of a sandboxed render. Memory and CPU time are set on bwrap between fork and exec
// (applySandboxLimits) and inherited by everything it starts; the process limit is set inside
// the sandbox, after bwrap made its user namespace (see sandboxCommand()).
struct SandboxLimits {
    int memoryLimitMb = 4096;   // RLIMIT_AS: address space of each process
    int maxProcesses = 512;     // RLIMIT_NPROC: processes and threads of the sandbox's user
    int cpuTimeLimitSec = 3600; // RLIMIT_CPU of each process: SIGXCPU, SIGKILL 5 s later
};

// What the sandbox is built from on this machine (SandboxHost::detect() finds it).
struct SandboxHost {
    QString bwrap;       // bubblewrap
    QString prlimit;     // util-linux prlimit: the process limit, set inside the sandbox
    QString setpriv;     // util-linux setpriv: drops root to sandboxUid (root only)
    int sandboxUid = -1; // >= 0 when Omega runs as root: the render runs as this uid and gid
    // Hidden behind an empty tmpfs (existing folders only): the home folders, /run (session
    // and system sockets: D-Bus, the keyring, a container engine).
    QStringList maskedPaths;
    // Bound back read-only when they lie under a masked folder or /tmp: the venv, the Python
    // it was made from, Omega's resources.
    QStringList readOnlyPaths;
    QString missing; // why the sandbox cannot be built here; empty when it can

    // Looks at this machine: the tools on PATH ($OMEGA_BWRAP overrides bwrap), the user, the
    // home folder; `python` is the render Python, `writablePaths` the folders the render
    // writes to (with root, folders it could not reach as sandboxUid are masked too).
    static SandboxHost detect(const QString& python, const QStringList& writablePaths = {});
};

// Pure: whether binding `folder` into the sandbox would show what it masks (the folder is a
// masked one, or holds one: a media folder chosen as the home folder itself).
bool sandboxWouldExpose(const SandboxHost& host, const QString& folder);

// A command ready for QProcess: program, arguments (never a shell), environment.
struct SandboxCommand {
    QString program;
    QStringList arguments;
    QProcessEnvironment environment; // for bwrap itself; the render's is set by --setenv
};

// Pure: `program arguments` inside bubblewrap. A read-only view of the system; only `jobDir`
// (the working folder) and `mediaDir` writable, at their own paths; a private /tmp (also
// HOME); the home folders and /run masked; no network, its own PID, IPC and UTS namespaces;
// no capabilities; a new session; killed with its parent; a clean environment built from
// `hostEnvironment` (sandboxEnvironment()). Empty jobDir/mediaDir: nothing bound writable.
SandboxCommand sandboxCommand(const SandboxHost& host, const QString& program,
                              const QStringList& arguments, const QString& jobDir,
                              const QString& mediaDir, const SandboxLimits& limits,
                              const QProcessEnvironment& hostEnvironment);

// Pure: the render's environment inside the sandbox. Only PATH (the Python's folder first),
// the locale (LANG, LANGUAGE, LC_*, TZ) and PYTHON* variables pass, never a variable named
// like a secret; HOME and TMPDIR are the private /tmp. No D-Bus, no DISPLAY, no API keys.
QProcessEnvironment sandboxEnvironment(const QProcessEnvironment& hostEnvironment,
                                       const QString& python);

// Between fork and exec (async-signal-safe): RLIMIT_AS, RLIMIT_CPU (hard limit 5 s above the
// soft one, so SIGXCPU comes first) and no core files.
void applySandboxLimits(const SandboxLimits& limits);

// Whether sandboxed renders work here: bwrap runs the real sandbox around `true`. Probed once
// per process (a few milliseconds, asynchronously) and cached; a failure is logged.
struct SandboxAvailability {
    bool usable = false;
    QString reason; // why not, when not usable
    QString bwrap;  // the bwrap that was probed
};
// Calls `done` (from the event loop, never inside this call) with the cached answer, probing
// first when there is none yet. `context` going away drops the call.
void probeSandbox(QObject* context, std::function<void(const SandboxAvailability&)> done);

// The probe: the real sandbox around `true` (for the cache above and `omega doctor`).
SandboxCommand sandboxProbeCommand(const SandboxHost& host);

// What to do when the sandbox cannot run here.
QString sandboxInstallHint();

// With root, the render runs as host.sandboxUid: hands it the job folder and the media folder
// (ownership of every entry, never following a symbolic link). False when a chown failed.
bool grantSandboxAccess(const QString& folder, int uid);

} // namespace omega
