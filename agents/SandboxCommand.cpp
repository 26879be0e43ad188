#include "SandboxCommand.h"

#include "Logger.h"
#include "Paths.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QPointer>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTimer>

#include <algorithm>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace omega {

namespace {

// The render's user when Omega runs as root: "nobody". As root, RLIMIT_NPROC never applies
// (the kernel exempts uid 0, also inside a user namespace that maps to it), and uid 0 could
// read every root-only file the read-only view shows; as nobody, neither.
constexpr int kNobody = 65534;
constexpr qint64 kMiB = 1024 * 1024;
constexpr qint64 kTmpBytes = 1024 * kMiB; // the private /tmp (and HOME) lives in memory
constexpr qint64 kShmBytes = 64 * kMiB;
constexpr qint64 kMaskBytes = 1 * kMiB; // masks only hold the mount points bwrap creates
constexpr int kProbeTimeoutMs = 5000;

const QString kTmp = QStringLiteral("/tmp");

bool isUnder(const QString& path, const QString& folder) {
    if (folder == QLatin1String("/"))
        return true;
    return path == folder || path.startsWith(folder + QLatin1Char('/'));
}

bool isUnderAny(const QString& path, const QStringList& folders) {
    return std::any_of(folders.begin(), folders.end(),
                       [&path](const QString& folder) { return isUnder(path, folder); });
}

// Absolute, clean, symbolic links resolved when the path exists (bwrap mounts on the real
// folder; a mask on a symlink would miss it).
QString realPath(const QString& path) {
    if (path.isEmpty())
        return {};
    const QFileInfo info(path);
    const QString canonical = info.canonicalFilePath();
    return canonical.isEmpty() ? QDir::cleanPath(info.absoluteFilePath()) : canonical;
}

// Keeps the outermost of nested folders, in the given order.
QStringList outermost(const QStringList& folders) {
    QStringList kept;
    for (const QString& folder : folders) {
        if (folder.isEmpty() || isUnderAny(folder, kept))
            continue;
        kept.erase(std::remove_if(kept.begin(), kept.end(),
                                  [&folder](const QString& k) { return isUnder(k, folder); }),
                   kept.end());
        kept << folder;
    }
    return kept;
}

bool looksLikeSecret(const QString& name) {
    static const QRegularExpression secretName(
        QStringLiteral("(API_KEY|APIKEY|TOKEN|SECRET|PASSWORD|CREDENTIALS)"),
        QRegularExpression::CaseInsensitiveOption);
    return secretName.match(name).hasMatch();
}

QString findTool(const QString& name) {
    const QString onPath = QStandardPaths::findExecutable(name);
    if (!onPath.isEmpty())
        return onPath;
    return QStandardPaths::findExecutable(
        name, {QStringLiteral("/usr/bin"), QStringLiteral("/bin"), QStringLiteral("/usr/sbin"),
               QStringLiteral("/sbin"), QStringLiteral("/usr/local/bin")});
}

// The folder a venv was made from: pyvenv.cfg's "home = /usr/bin" → /usr.
QString venvBasePrefix(const QString& venv) {
    QFile cfg(QDir(venv).filePath(QStringLiteral("pyvenv.cfg")));
    if (!cfg.open(QIODevice::ReadOnly | QIODevice::Text))
        return {};
    while (!cfg.atEnd()) {
        const QString line = QString::fromUtf8(cfg.readLine()).trimmed();
        if (line.section(QLatin1Char('='), 0, 0).trimmed() == QLatin1String("home")) {
            QDir bin(line.section(QLatin1Char('='), 1).trimmed());
            return bin.cdUp() ? bin.absolutePath() : QString();
        }
    }
    return {};
}

// With root the render runs as nobody, who needs the execute bit of "others" on every folder
// above what it uses. Those without it, outermost first.
QStringList closedAncestors(const QStringList& paths) {
    QStringList closed;
    for (const QString& path : paths) {
        QString ancestor;
        const QStringList parts = path.split(QLatin1Char('/'), Qt::SkipEmptyParts);
        for (qsizetype i = 0; i + 1 < parts.size(); ++i) {
            ancestor += QLatin1Char('/') + parts.at(i);
            struct stat st {};
            if (!closed.contains(ancestor) &&
                ::stat(QFile::encodeName(ancestor).constData(), &st) == 0 &&
                (st.st_mode & S_IXOTH) == 0)
                closed << ancestor;
        }
    }
    std::sort(closed.begin(), closed.end(), [](const QString& a, const QString& b) {
        return a.count(QLatin1Char('/')) < b.count(QLatin1Char('/'));
    });
    return closed;
}

QString bytes(qint64 count) {
    return QString::number(count);
}

// Ownership of a folder's tree, through file descriptors: a symbolic link is never followed,
// not even in the middle of a path, so an entry the render swapped for a link cannot redirect
// a chown done as root. Files with several hard links are left alone.
bool chownTree(int dirFd, uid_t uid, gid_t gid, int depth) {
    if (depth > 64)
        return false;
    bool ok = true;
    struct stat st {};
    if (::fstat(dirFd, &st) != 0)
        return false;
    if (st.st_uid != uid || st.st_gid != gid)
        ok = ::fchown(dirFd, uid, gid) == 0;
    const int listFd = ::dup(dirFd);
    if (listFd < 0)
        return false;
    DIR* dir = ::fdopendir(listFd);
    if (!dir) {
        ::close(listFd);
        return false;
    }
    while (const dirent* entry = ::readdir(dir)) {
        const char* name = entry->d_name;
        if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0)
            continue;
        struct stat entryStat {};
        if (::fstatat(dirFd, name, &entryStat, AT_SYMLINK_NOFOLLOW) != 0) {
            ok = false;
            continue;
        }
        if (S_ISDIR(entryStat.st_mode)) {
            const int sub = ::openat(dirFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) {
                ok = false;
                continue;
            }
            ok = chownTree(sub, uid, gid, depth + 1) && ok;
            ::close(sub);
        } else if ((entryStat.st_uid != uid || entryStat.st_gid != gid) &&
                   (S_ISLNK(entryStat.st_mode) || entryStat.st_nlink <= 1)) {
            ok = ::fchownat(dirFd, name, uid, gid, AT_SYMLINK_NOFOLLOW) == 0 && ok;
        }
    }
    ::closedir(dir);
    return ok;
}

} // namespace

SandboxHost SandboxHost::detect(const QString& python, const QStringList& writablePaths) {
    SandboxHost host;
    host.bwrap = qEnvironmentVariableIsSet("OMEGA_BWRAP") ? qEnvironmentVariable("OMEGA_BWRAP")
                                                          : findTool(QStringLiteral("bwrap"));
    host.prlimit = findTool(QStringLiteral("prlimit"));
    host.setpriv = findTool(QStringLiteral("setpriv"));
    const bool root = ::geteuid() == 0;
    host.sandboxUid = root ? kNobody : -1;
    if (host.bwrap.isEmpty() || !QFileInfo(host.bwrap).isExecutable())
        host.missing = host.bwrap.isEmpty()
                           ? QStringLiteral("bubblewrap (bwrap) is not installed")
                           : QStringLiteral("bwrap is not an executable at %1").arg(host.bwrap);
    else if (host.prlimit.isEmpty())
        host.missing = QStringLiteral("prlimit (util-linux) is not installed");
    else if (root && host.setpriv.isEmpty())
        host.missing = QStringLiteral("setpriv (util-linux) is not installed");

    QStringList masks;
    for (const QString& path : {QStringLiteral("/root"), QStringLiteral("/home"), QDir::homePath(),
                                qEnvironmentVariable("XDG_RUNTIME_DIR"), QStringLiteral("/run")}) {
        if (!path.isEmpty() && QFileInfo(path).isDir())
            masks << realPath(path);
    }
    // Nested ones stay listed (the home folder under /home): sandboxWouldExpose() needs them;
    // sandboxCommand() mounts only the outermost.
    masks.removeDuplicates();
    masks.removeAll(QStringLiteral("/"));
    masks.removeAll(kTmp); // /tmp is the private tmpfs already

    QStringList readOnly;
    const QFileInfo pythonInfo(python);
    QDir prefix = pythonInfo.absoluteDir(); // venv/bin
    if (prefix.cdUp())
        readOnly << prefix.absolutePath() << realPath(prefix.absolutePath());
    QDir realPrefix = QFileInfo(realPath(python)).absoluteDir(); // the interpreter's own bin
    if (realPrefix.cdUp())
        readOnly << realPrefix.absolutePath();
    const QString base = venvBasePrefix(prefix.absolutePath());
    if (!base.isEmpty())
        readOnly << realPath(base);
    readOnly << realPath(paths::resourcesDir());
    readOnly.removeDuplicates();
    for (const QString& path : std::as_const(readOnly)) {
        if (!path.isEmpty() && QFileInfo::exists(path))
            host.readOnlyPaths << path;
    }
    readOnly = host.readOnlyPaths;

    if (root) {
        // A closed folder on the read-only view is masked: nobody could not look into it
        // anyway, and what the render needs from it is bound back through open folders.
        QStringList used = readOnly;
        for (const QString& path : writablePaths)
            used << realPath(path);
        for (const QString& closed : closedAncestors(used)) {
            if (!isUnderAny(closed, masks + QStringList{kTmp}))
                masks << closed;
        }
    }
    host.maskedPaths = masks;
    return host;
}

bool sandboxWouldExpose(const SandboxHost& host, const QString& folder) {
    const QString path = QDir::cleanPath(folder);
    return std::any_of(host.maskedPaths.begin(), host.maskedPaths.end(),
                       [&path](const QString& mask) { return isUnder(mask, path); });
}

QProcessEnvironment sandboxEnvironment(const QProcessEnvironment& hostEnvironment,
                                       const QString& python) {
    QProcessEnvironment env;
    const QStringList keys = hostEnvironment.keys();
    for (const QString& key : keys) {
        const bool allowed = key == QLatin1String("LANG") || key == QLatin1String("LANGUAGE") ||
                             key == QLatin1String("TZ") || key.startsWith(QLatin1String("LC_")) ||
                             key.startsWith(QLatin1String("PYTHON"));
        if (allowed && !looksLikeSecret(key))
            env.insert(key, hostEnvironment.value(key));
    }
    QStringList path =
        hostEnvironment.value(QStringLiteral("PATH")).split(QLatin1Char(':'), Qt::SkipEmptyParts);
    if (path.isEmpty())
        path = QStringList{QStringLiteral("/usr/local/bin"), QStringLiteral("/usr/bin"),
                           QStringLiteral("/bin")};
    const QString pythonBin = QFileInfo(python).absolutePath();
    if (!python.isEmpty() && !path.contains(pythonBin))
        path.prepend(pythonBin);
    env.insert(QStringLiteral("PATH"), path.join(QLatin1Char(':')));
    env.insert(QStringLiteral("HOME"), kTmp);
    env.insert(QStringLiteral("TMPDIR"), kTmp);
    env.insert(QStringLiteral("PYTHONIOENCODING"), QStringLiteral("utf-8"));
    env.insert(QStringLiteral("PYTHONDONTWRITEBYTECODE"), QStringLiteral("1"));
    // RLIMIT_AS counts reserved address space: glibc reserves 64 MiB per malloc arena (up to
    // 8 per core) and OpenBLAS a buffer per thread (one per core). On a machine with many
    // cores that alone could fill the limit; Manim's arrays are small and gain nothing there.
    for (const char* name : {"MALLOC_ARENA_MAX", "OPENBLAS_NUM_THREADS"}) {
        const QString key = QString::fromLatin1(name);
        env.insert(key, hostEnvironment.value(key, QStringLiteral("4")));
    }
    return env;
}

SandboxCommand sandboxCommand(const SandboxHost& host, const QString& program,
                              const QStringList& arguments, const QString& jobDir,
                              const QString& mediaDir, const SandboxLimits& limits,
                              const QProcessEnvironment& hostEnvironment) {
    SandboxCommand command;
    command.program = host.bwrap;
    command.environment = sandboxEnvironment(hostEnvironment, program);
    const bool root = host.sandboxUid >= 0;
    QStringList masks = outermost(host.maskedPaths);
    masks.removeAll(QStringLiteral("/"));
    masks.removeAll(kTmp);

    QStringList& a = command.arguments;
    // The system, read-only; a minimal /dev (read-only but for a small /dev/shm); the
    // sandbox's own /proc; a private /tmp.
    a << QStringLiteral("--ro-bind") << QStringLiteral("/") << QStringLiteral("/");
    a << QStringLiteral("--dev") << QStringLiteral("/dev");
    a << QStringLiteral("--perms") << QStringLiteral("1777") << QStringLiteral("--size")
      << bytes(kShmBytes) << QStringLiteral("--tmpfs") << QStringLiteral("/dev/shm");
    a << QStringLiteral("--remount-ro") << QStringLiteral("/dev");
    a << QStringLiteral("--proc") << QStringLiteral("/proc");
    a << QStringLiteral("--perms") << QStringLiteral("1777") << QStringLiteral("--size")
      << bytes(kTmpBytes) << QStringLiteral("--tmpfs") << kTmp;
    // Home folders (keys, ssh, keyring, ~/.config) and /run (D-Bus, keyring and container
    // engine sockets: a read-only mount does not stop connect()) behind empty folders.
    for (const QString& mask : std::as_const(masks))
        a << QStringLiteral("--size") << bytes(kMaskBytes) << QStringLiteral("--tmpfs") << mask;
    // What the render reads from there: the venv, its Python, Omega's resources; package
    // folders on PYTHONPATH (the dependency layer lives in the data folder), when they exist.
    QStringList hidden = masks;
    hidden << kTmp;
    QStringList readOnly;
    for (const QString& path : host.readOnlyPaths) {
        if (isUnderAny(path, hidden) && !sandboxWouldExpose(host, path))
            readOnly << path;
    }
    QStringList optional;
    const QStringList pythonPath = command.environment.value(QStringLiteral("PYTHONPATH"))
                                       .split(QLatin1Char(':'), Qt::SkipEmptyParts);
    for (const QString& entry : pythonPath) {
        const QString path = QDir::cleanPath(entry);
        if (QDir::isAbsolutePath(path) && isUnderAny(path, hidden) && !isUnderAny(path, readOnly) &&
            !sandboxWouldExpose(host, path))
            optional << path;
    }
    // The only writable folders, at their own paths (output paths stay what they are).
    QStringList writable{jobDir, mediaDir};
    writable.removeAll(QString());
    writable.removeDuplicates();

    // bwrap would create the folders leading to a bind inside a tmpfs with mode 0700: with
    // root, nobody could not pass them. They are made first, open.
    if (root) {
        QStringList leading;
        for (const QString& target : readOnly + optional + writable) {
            for (const QString& top : std::as_const(hidden)) {
                if (!isUnder(target, top) || target == top)
                    continue;
                QString folder = target;
                while ((folder = QFileInfo(folder).path()) != top && isUnder(folder, top)) {
                    if (!leading.contains(folder))
                        leading << folder;
                }
            }
        }
        std::sort(leading.begin(), leading.end()); // parents first
        for (const QString& folder : std::as_const(leading))
            a << QStringLiteral("--perms") << QStringLiteral("0755") << QStringLiteral("--dir")
              << folder;
    }
    for (const QString& path : std::as_const(readOnly))
        a << QStringLiteral("--ro-bind") << path << path;
    for (const QString& path : std::as_const(optional))
        a << QStringLiteral("--ro-bind-try") << path << path;
    for (const QString& folder : std::as_const(writable))
        a << QStringLiteral("--bind") << folder << folder;
    for (const QString& mask : std::as_const(masks))
        a << QStringLiteral("--remount-ro") << mask;
    a << QStringLiteral("--chdir") << (jobDir.isEmpty() ? QStringLiteral("/") : jobDir);

    // No network (only its own loopback), its own PID, IPC, UTS and cgroup namespaces. With
    // root no user namespace: bwrap would map the sandbox's uid to 0, which setpriv could not
    // leave and RLIMIT_NPROC would not count. Without root the user namespace is bwrap's own,
    // and the render may not create another (--disable-userns).
    if (root) {
        a << QStringLiteral("--unshare-ipc") << QStringLiteral("--unshare-pid")
          << QStringLiteral("--unshare-net") << QStringLiteral("--unshare-uts")
          << QStringLiteral("--unshare-cgroup-try");
    } else {
        a << QStringLiteral("--unshare-all") << QStringLiteral("--unshare-user")
          << QStringLiteral("--disable-userns");
    }
    a << QStringLiteral("--hostname") << QStringLiteral("omega-sandbox");
    a << QStringLiteral("--die-with-parent") << QStringLiteral("--new-session");
    a << QStringLiteral("--cap-drop") << QStringLiteral("ALL");
    if (root) // only for setpriv, which gives them up with root
        a << QStringLiteral("--cap-add") << QStringLiteral("CAP_SETUID")
          << QStringLiteral("--cap-add") << QStringLiteral("CAP_SETGID");

    a << QStringLiteral("--clearenv");
    QStringList names = command.environment.keys();
    names.sort();
    for (const QString& name : std::as_const(names))
        a << QStringLiteral("--setenv") << name << command.environment.value(name);
    a << QStringLiteral("--");

    if (root)
        a << host.setpriv << QStringLiteral("--reuid=%1").arg(host.sandboxUid)
          << QStringLiteral("--regid=%1").arg(host.sandboxUid) << QStringLiteral("--clear-groups")
          << QStringLiteral("--inh-caps=-all") << QStringLiteral("--bounding-set=-all")
          << QStringLiteral("--no-new-privs") << QStringLiteral("--");
    // RLIMIT_NPROC counts the processes of the limited process's user in its user namespace
    // and in every namespace above it, against the limit its creator had: set before bwrap,
    // it would count every process the user has on the machine. Set here, it counts the
    // sandbox's (with root: those of nobody).
    if (limits.maxProcesses > 0)
        a << host.prlimit << QStringLiteral("--nproc=%1:%1").arg(limits.maxProcesses)
          << QStringLiteral("--");
    a << program << arguments;
    return command;
}

void applySandboxLimits(const SandboxLimits& limits) {
    const auto lower = [](int resource, rlim_t soft, rlim_t hard) {
        struct rlimit current {};
        if (::getrlimit(resource, &current) != 0)
            return;
        struct rlimit wanted {};
        wanted.rlim_max =
            current.rlim_max == RLIM_INFINITY ? hard : std::min(hard, current.rlim_max);
        wanted.rlim_cur = std::min(soft, wanted.rlim_max);
        ::setrlimit(resource, &wanted);
    };
    if (limits.memoryLimitMb > 0) {
        const rlim_t bytes = static_cast<rlim_t>(limits.memoryLimitMb) * kMiB;
        lower(RLIMIT_AS, bytes, bytes);
    }
    if (limits.cpuTimeLimitSec > 0) {
        const rlim_t seconds = static_cast<rlim_t>(limits.cpuTimeLimitSec);
        lower(RLIMIT_CPU, seconds, seconds + 5);
    }
    lower(RLIMIT_CORE, 0, 0);
}

SandboxCommand sandboxProbeCommand(const SandboxHost& host) {
    QString truePath = findTool(QStringLiteral("true"));
    if (truePath.isEmpty())
        truePath = QStringLiteral("/bin/true");
    return sandboxCommand(host, truePath, {}, {}, {}, SandboxLimits{},
                          QProcessEnvironment::systemEnvironment());
}

QString sandboxInstallHint() {
    return QStringLiteral(
        "Install bubblewrap (sudo apt-get install bubblewrap) and allow unprivileged user "
        "namespaces (sysctl kernel.unprivileged_userns_clone=1 and user.max_user_namespaces "
        "> 0; on Ubuntu an AppArmor profile for bwrap), or render with --backend local if you "
        "trust the script.");
}

namespace {
struct ProbeState {
    bool done = false;
    SandboxAvailability availability;
    QList<QPair<QPointer<QObject>, std::function<void(const SandboxAvailability&)>>> waiting;
    QProcess* process = nullptr;
};
ProbeState& probeState() {
    static ProbeState state;
    return state;
}

void finishProbe(SandboxAvailability result) {
    ProbeState& state = probeState();
    state.done = true;
    state.availability = result;
    if (!result.usable)
        Logger::instance().log(LogLevel::Warning, QStringLiteral("Sandbox"), QString(),
                               QStringLiteral("sandbox unavailable (%1): renders run without one "
                                              "unless --backend sandbox")
                                   .arg(result.reason));
    const auto waiting = std::exchange(state.waiting, {});
    for (const auto& [context, callback] : waiting) {
        if (context)
            callback(state.availability);
    }
}
} // namespace

void probeSandbox(QObject* context, std::function<void(const SandboxAvailability&)> done) {
    ProbeState& state = probeState();
    if (state.done) {
        QPointer<QObject> guard(context);
        QTimer::singleShot(0, context, [guard, done] {
            if (guard)
                done(probeState().availability);
        });
        return;
    }
    state.waiting.append({QPointer<QObject>(context), std::move(done)});
    if (state.process)
        return; // already probing
    SandboxAvailability result;
    const SandboxHost host = SandboxHost::detect(paths::renderPython());
    result.bwrap = host.bwrap;
    if (!host.missing.isEmpty()) {
        result.reason = host.missing;
        QTimer::singleShot(0, QCoreApplication::instance(), [result] { finishProbe(result); });
        return;
    }
    const SandboxCommand probe = sandboxProbeCommand(host);
    auto* process = new QProcess(QCoreApplication::instance());
    state.process = process;
    process->setProgram(probe.program);
    process->setArguments(probe.arguments);
    process->setProcessEnvironment(probe.environment);
    process->setStandardInputFile(QProcess::nullDevice());
    auto* timer = new QTimer(process);
    timer->setSingleShot(true);
    QObject::connect(timer, &QTimer::timeout, process, [process] { process->kill(); });
    auto conclude = [process, timer, result](const QString& failure) mutable {
        probeState().process = nullptr;
        process->deleteLater();
        if (failure.isEmpty() && process->exitStatus() == QProcess::NormalExit &&
            process->exitCode() == 0) {
            result.usable = true;
        } else if (!failure.isEmpty()) {
            result.reason = failure;
        } else if (!timer->isActive()) {
            result.reason =
                QStringLiteral("bwrap did not answer within %1 s").arg(kProbeTimeoutMs / 1000);
        } else {
            const QString err = QString::fromUtf8(process->readAllStandardError())
                                    .trimmed()
                                    .section(QLatin1Char('\n'), 0, 0);
            result.reason =
                err.isEmpty()
                    ? QStringLiteral("bwrap failed (exit code %1)").arg(process->exitCode())
                    : err;
        }
        timer->stop();
        finishProbe(result);
    };
    QObject::connect(process, &QProcess::finished, process, [conclude]() mutable { conclude({}); });
    QObject::connect(process, &QProcess::errorOccurred, process,
                     [process, conclude](QProcess::ProcessError e) mutable {
                         if (e == QProcess::FailedToStart)
                             conclude(QStringLiteral("cannot start %1: %2")
                                          .arg(process->program(), process->errorString()));
                     });
    timer->start(kProbeTimeoutMs);
    process->start();
}

bool grantSandboxAccess(const QString& folder, int uid) {
    if (uid < 0)
        return true;
    const int fd = ::open(QFile::encodeName(folder).constData(),
                          O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool ok = chownTree(fd, static_cast<uid_t>(uid), static_cast<gid_t>(uid), 0);
    ::close(fd);
    return ok;
}

} // namespace omega
