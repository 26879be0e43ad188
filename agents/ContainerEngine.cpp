#include "ContainerEngine.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

namespace omega::container {

namespace {

// PID 1 of every render container: reaps orphans (a render's leftovers, killed by the reap
// after each job, must not stay zombies that count against the pids limit) and otherwise waits.
constexpr auto kInitScript = "import os, signal, time\n"
                             "signal.signal(signal.SIGTERM, lambda *_: os._exit(0))\n"
                             "while True:\n"
                             "    try:\n"
                             "        os.wait()\n"
                             "    except ChildProcessError:\n"
                             "        time.sleep(1)\n";

// Runs the render: the address-space limit per process (like the sandbox's RLIMIT_AS, so that
// a huge allocation raises MemoryError instead of waking the cgroup's OOM killer), no core
// files, the CPU-time limit, its own session (when not one already); then execs argv[3:].
constexpr auto kLauncherScript = "import os, resource, sys\n"
                                 "limit = int(sys.argv[1]) << 20\n"
                                 "if limit > 0:\n"
                                 "    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\n"
                                 "cpu = int(sys.argv[2])\n"
                                 "if cpu > 0:\n"
                                 "    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))\n"
                                 "resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
                                 "try:\n"
                                 "    os.setsid()\n"
                                 "except OSError:\n"
                                 "    pass  # already a session leader under exec\n"
                                 "os.execvp(sys.argv[3], sys.argv[3:])\n";

// kill(-1) reaches every process of the container's PID namespace except PID 1 and the caller.
constexpr auto kReapScript = "import os\n"
                             "try:\n"
                             "    os.kill(-1, 9)\n"
                             "except ProcessLookupError:\n"
                             "    pass\n";

QString firstErrorLine(const QByteArray& bytes) {
    const QStringList lines = QString::fromUtf8(bytes).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (const QString& line : lines) {
        const QString trimmed = line.trimmed();
        if (!trimmed.isEmpty())
            return trimmed.left(400);
    }
    return {};
}

QMap<QString, QString> labelsFrom(const QJsonValue& value) {
    QMap<QString, QString> labels;
    if (value.isObject()) {
        const QJsonObject object = value.toObject();
        for (auto it = object.begin(); it != object.end(); ++it)
            labels.insert(it.key(), it.value().toString());
    } else if (value.isString()) {
        for (const QString& pair : value.toString().split(QLatin1Char(','), Qt::SkipEmptyParts))
            labels.insert(pair.section(QLatin1Char('='), 0, 0), pair.section(QLatin1Char('='), 1));
    }
    return labels;
}

ContainerInfo containerFrom(const QJsonObject& object) {
    ContainerInfo info;
    info.id = object.value(QLatin1String("Id")).toString();
    if (info.id.isEmpty())
        info.id = object.value(QLatin1String("ID")).toString();
    const QJsonValue names = object.value(QLatin1String("Names"));
    info.name = names.isArray() ? names.toArray().first().toString() : names.toString();
    info.labels = labelsFrom(object.value(QLatin1String("Labels")));
    info.state = object.value(QLatin1String("State")).toString();
    return info;
}

bool isSafeId(const QString& id) {
    static const QRegularExpression safe(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"));
    return safe.match(id).hasMatch();
}

} // namespace

QString engineKindName(EngineKind kind) {
    return kind == EngineKind::Podman ? QStringLiteral("podman") : QStringLiteral("docker");
}

QString engineStateName(EngineState state) {
    switch (state) {
    case EngineState::Ready:
        return QStringLiteral("ready");
    case EngineState::NotInstalled:
        return QStringLiteral("not-installed");
    case EngineState::DaemonDown:
        return QStringLiteral("daemon-down");
    case EngineState::PermissionDenied:
        return QStringLiteral("permission-denied");
    case EngineState::Failed:
        break;
    }
    return QStringLiteral("failed");
}

QStringList infoArguments(EngineKind kind) {
    if (kind == EngineKind::Podman)
        return {QStringLiteral("info"), QStringLiteral("--format"), QStringLiteral("json")};
    return {QStringLiteral("info"), QStringLiteral("--format"), QStringLiteral("{{json .}}")};
}

EngineStatus engineNotInstalled(EngineKind requested) {
    EngineStatus status;
    status.kind = requested;
    status.state = EngineState::NotInstalled;
    const QString name = engineKindName(requested);
    status.message = QStringLiteral("%1 is not installed (no `%1` on PATH).").arg(name);
    status.hint = requested == EngineKind::Podman
                      ? QStringLiteral("Install Podman (sudo apt-get install podman runc), or "
                                       "render with --backend sandbox.")
                      : QStringLiteral("Install Docker (docker.io or Docker Engine) or Podman "
                                       "(sudo apt-get install podman runc), or render with "
                                       "--backend sandbox.");
    return status;
}

EngineStatus parseEngineInfo(EngineKind requested, const QString& program, int exitCode,
                             const QByteArray& stdoutBytes, const QByteArray& stderrBytes) {
    EngineStatus status;
    status.kind = requested;
    status.program = program;
    const QString name = engineKindName(requested);
    const QString errorText = QString::fromUtf8(stderrBytes);
    const QString errorLine = firstErrorLine(stderrBytes.isEmpty() ? stdoutBytes : stderrBytes);

    if (exitCode != 0) {
        static const QRegularExpression permission(QStringLiteral("permission denied"),
                                                   QRegularExpression::CaseInsensitiveOption);
        static const QRegularExpression daemonDown(
            QStringLiteral("Cannot connect to the Docker daemon|Is the docker daemon running|"
                           "cannot connect to Podman|unable to connect to Podman|"
                           "connection refused|no such file or directory.*\\.sock|"
                           "error during connect"),
            QRegularExpression::CaseInsensitiveOption);
        if (permission.match(errorText).hasMatch() &&
            errorText.contains(QLatin1String("sock"), Qt::CaseInsensitive)) {
            status.state = EngineState::PermissionDenied;
            status.message =
                QStringLiteral("%1 is installed, but this user may not use its daemon: %2")
                    .arg(name, errorLine);
            status.hint = QStringLiteral(
                "Add yourself to the docker group (sudo usermod -aG docker $USER, then log in "
                "again), use rootless Docker or Podman (--engine podman), or render with "
                "--backend sandbox.");
        } else if (daemonDown.match(errorText).hasMatch()) {
            status.state = EngineState::DaemonDown;
            status.message = QStringLiteral("%1 is installed, but its daemon is not running or "
                                            "not reachable: %2")
                                 .arg(name, errorLine);
            status.hint = requested == EngineKind::Podman
                              ? QStringLiteral("Start the Podman service (or unset "
                                               "CONTAINER_HOST for a local engine), or render "
                                               "with --backend sandbox.")
                              : QStringLiteral("Start it (sudo systemctl start docker), check "
                                               "DOCKER_HOST and `docker context`, use Podman "
                                               "(--engine podman), or render with --backend "
                                               "sandbox.");
        } else {
            status.state = EngineState::Failed;
            status.message =
                errorLine.isEmpty()
                    ? QStringLiteral("`%1 info` failed (exit code %2).").arg(name).arg(exitCode)
                    : QStringLiteral("`%1 info` failed: %2").arg(name, errorLine);
            status.hint = QStringLiteral("Run `%1 info` to see what is wrong, or render with "
                                         "--backend sandbox.")
                              .arg(name);
        }
        return status;
    }

    const QJsonDocument document = QJsonDocument::fromJson(stdoutBytes.trimmed());
    if (!document.isObject()) {
        status.state = EngineState::Failed;
        status.message = QStringLiteral("`%1 info` answered something that is not JSON.").arg(name);
        status.hint = QStringLiteral("Check that `%1` is Docker or Podman.").arg(name);
        return status;
    }
    const QJsonObject info = document.object();
    if (info.contains(QLatin1String("host")) && info.value(QLatin1String("host")).isObject()) {
        // Podman (also behind podman-docker's `docker`).
        status.kind = EngineKind::Podman;
        const QJsonObject security = info.value(QLatin1String("host"))
                                         .toObject()
                                         .value(QLatin1String("security"))
                                         .toObject();
        status.rootless = security.value(QLatin1String("rootless")).toBool();
        status.version = info.value(QLatin1String("version"))
                             .toObject()
                             .value(QLatin1String("Version"))
                             .toString();
    } else {
        status.kind = EngineKind::Docker;
        status.version = info.value(QLatin1String("ServerVersion")).toString();
        const QJsonArray options = info.value(QLatin1String("SecurityOptions")).toArray();
        for (const QJsonValue& option : options)
            status.rootless |= option.toString().contains(QLatin1String("name=rootless"));
        if (status.version.isEmpty()) { // the client printed its template without a server
            status.state = EngineState::DaemonDown;
            status.message = QStringLiteral("docker is installed, but its daemon did not answer.");
            status.hint = QStringLiteral("Start it (sudo systemctl start docker), or render "
                                         "with --backend sandbox.");
            return status;
        }
    }
    status.state = EngineState::Ready;
    status.message = QStringLiteral("%1 %2 works%3")
                         .arg(engineKindName(status.kind), status.version,
                              status.rootless ? QStringLiteral(" (rootless)") : QString());
    return status;
}

bool engineIsRemote(const QProcessEnvironment& environment, const QString& dockerContext) {
    if (environment.value(QStringLiteral("OMEGA_CONTAINER_COPY")) == QLatin1String("1"))
        return true;
    const QString dockerHost = environment.value(QStringLiteral("DOCKER_HOST"));
    const QString containerHost = environment.value(QStringLiteral("CONTAINER_HOST"));
    // A unix socket on this machine shares its file system; anything else does not.
    const auto remote = [](const QString& host) {
        return !host.isEmpty() && !host.startsWith(QLatin1String("unix://"));
    };
    if (remote(dockerHost) || remote(containerHost))
        return true;
    const QString context = environment.contains(QStringLiteral("DOCKER_CONTEXT"))
                                ? environment.value(QStringLiteral("DOCKER_CONTEXT"))
                                : dockerContext;
    return !context.isEmpty() && context != QLatin1String("default");
}

QString ContainerProfile::key() const {
    const QString recipe = QStringLiteral("%1|%2|%3|%4|%5")
                               .arg(image)
                               .arg(memoryLimitMb)
                               .arg(maxProcesses)
                               .arg(cpus, 0, 'f', 2)
                               .arg(packagesProfile);
    return QString::fromLatin1(
        QCryptographicHash::hash(recipe.toUtf8(), QCryptographicHash::Sha1).toHex().left(10));
}

QStringList runArguments(const ContainerSpec& spec) {
    const ContainerProfile& p = spec.profile;
    // The container as a whole may use a little more than one process's limit: LaTeX, ffmpeg.
    const int containerMemoryMb = p.memoryLimitMb + 512;
    QStringList a{QStringLiteral("run"),   QStringLiteral("-d"),     QStringLiteral("--pull"),
                  QStringLiteral("never"), QStringLiteral("--name"), spec.name};
    a << QStringLiteral("--label") << QStringLiteral("%1=1").arg(QLatin1String(kLabelApp));
    a << QStringLiteral("--label")
      << QStringLiteral("%1=%2").arg(QLatin1String(kLabelOwnerPid)).arg(spec.ownerPid);
    a << QStringLiteral("--label")
      << QStringLiteral("%1=%2").arg(QLatin1String(kLabelOwnerHost), spec.ownerHost);
    a << QStringLiteral("--label")
      << QStringLiteral("%1=%2").arg(QLatin1String(kLabelProfile), p.key());
    a << QStringLiteral("--network") << QStringLiteral("none");
    a << QStringLiteral("--hostname") << QStringLiteral("omega-render");
    a << QStringLiteral("--stop-timeout") << QStringLiteral("2");
    a << QStringLiteral("--read-only");
    a << QStringLiteral("--tmpfs") << QStringLiteral("/tmp:rw,nosuid,nodev,size=1024m,mode=1777");
    a << QStringLiteral("--cap-drop") << QStringLiteral("ALL");
    a << QStringLiteral("--security-opt") << QStringLiteral("no-new-privileges");
    if (spec.keepId)
        a << QStringLiteral("--userns") << QStringLiteral("keep-id");
    a << QStringLiteral("--user") << spec.user;
    a << QStringLiteral("--memory") << QStringLiteral("%1m").arg(containerMemoryMb);
    a << QStringLiteral("--memory-swap") << QStringLiteral("%1m").arg(containerMemoryMb);
    a << QStringLiteral("--pids-limit") << QString::number(p.maxProcesses);
    if (p.cpus > 0)
        a << QStringLiteral("--cpus") << QString::number(p.cpus, 'f', 2);
    // No host environment: only these.
    a << QStringLiteral("--env") << QStringLiteral("HOME=%1").arg(QLatin1String(kContainerHome));
    a << QStringLiteral("--env") << QStringLiteral("TMPDIR=%1").arg(QLatin1String(kContainerHome));
    a << QStringLiteral("--env") << QStringLiteral("PYTHONIOENCODING=utf-8");
    a << QStringLiteral("--env") << QStringLiteral("PYTHONDONTWRITEBYTECODE=1");
    a << QStringLiteral("--env") << QStringLiteral("MPLCONFIGDIR=/tmp/matplotlib");
    if (!spec.hostPackagesDir.isEmpty())
        a << QStringLiteral("--env")
          << QStringLiteral("PYTHONPATH=%1").arg(QLatin1String(kPackagesDir));
    if (spec.hostWorkRoot.isEmpty())
        a << QStringLiteral("--volume") << QLatin1String(kWorkRoot); // anonymous: cp mode
    else
        a << QStringLiteral("--volume")
          << QStringLiteral("%1:%2:rw").arg(spec.hostWorkRoot, QLatin1String(kWorkRoot));
    if (!spec.hostPackagesDir.isEmpty())
        a << QStringLiteral("--volume")
          << QStringLiteral("%1:%2:ro").arg(spec.hostPackagesDir, QLatin1String(kPackagesDir));
    a << QStringLiteral("--workdir") << QLatin1String(kWorkRoot);
    a << QStringLiteral("--entrypoint") << spec.python;
    a << p.image << QStringLiteral("-c") << QLatin1String(kInitScript);
    return a;
}

QStringList execArguments(const QString& container, const QString& workDir,
                          const QStringList& pythonArgs, int memoryLimitMb, int cpuTimeLimitSec,
                          const QString& python) {
    QStringList a{QStringLiteral("exec"),
                  QStringLiteral("--workdir"),
                  workDir,
                  container,
                  python,
                  QStringLiteral("-c"),
                  QLatin1String(kLauncherScript),
                  QString::number(qMax(0, memoryLimitMb)),
                  QString::number(qMax(0, cpuTimeLimitSec)),
                  python};
    a << pythonArgs;
    return a;
}

QStringList reapArguments(const QString& container, bool clearWorkRoot, const QString& python) {
    QString script = QLatin1String(kReapScript);
    if (clearWorkRoot)
        script +=
            QStringLiteral("import shutil\n"
                           "for entry in os.listdir('%1'):\n"
                           "    shutil.rmtree(os.path.join('%1', entry), ignore_errors=True)\n")
                .arg(QLatin1String(kWorkRoot));
    return {QStringLiteral("exec"), container, python, QStringLiteral("-c"), script};
}

QString containerName(qint64 pid, const QString& profileKey, const QString& random) {
    return QStringLiteral("%1%2-%3-%4")
        .arg(QLatin1String(kNamePrefix))
        .arg(pid)
        .arg(profileKey, random);
}

QList<ContainerInfo> parseContainerList(const QByteArray& output) {
    QList<ContainerInfo> containers;
    const auto add = [&containers](const QJsonObject& object) {
        ContainerInfo info = containerFrom(object);
        if (isSafeId(info.id))
            containers << info;
    };
    const QByteArray trimmed = output.trimmed();
    if (trimmed.startsWith('[')) {
        const QJsonArray array = QJsonDocument::fromJson(trimmed).array();
        for (const QJsonValue& value : array)
            add(value.toObject());
        return containers;
    }
    for (const QByteArray& line : trimmed.split('\n')) {
        const QJsonDocument document = QJsonDocument::fromJson(line.trimmed());
        if (document.isObject())
            add(document.object());
    }
    return containers;
}

QStringList staleContainers(const QList<ContainerInfo>& containers, const QString& thisHost,
                            const std::function<bool(qint64)>& alive) {
    QStringList stale;
    for (const ContainerInfo& container : containers) {
        if (!container.labels.contains(QLatin1String(kLabelOwnerPid)))
            continue;
        if (container.labels.value(QLatin1String(kLabelOwnerHost)) != thisHost)
            continue;
        bool ok = false;
        const qint64 pid = container.labels.value(QLatin1String(kLabelOwnerPid)).toLongLong(&ok);
        if (ok && pid > 0 && alive(pid))
            continue;
        stale << container.id;
    }
    return stale;
}

} // namespace omega::container
