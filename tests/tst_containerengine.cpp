// The container backend's pure parts: the engine's state from real recorded `info` output,
// the `run` / `exec` command lines, container lists and stale containers, remote engines.
#include "ContainerEngine.h"
#include "TestSupport.h"

#include <QTest>

using namespace omega;
using namespace omega::container;

namespace {

QByteArray fixture(const QString& name) {
    const QByteArray bytes =
        test::readFile(QStringLiteral(OMEGA_FIXTURES_DIR "/containers/") + name);
    if (bytes.isEmpty())
        qWarning("missing fixture %s", qPrintable(name));
    return bytes;
}

// The value after `option` (first occurrence), empty when absent.
QString valueAfter(const QStringList& args, const QString& option) {
    const qsizetype i = args.indexOf(option);
    return i >= 0 && i + 1 < args.size() ? args.at(i + 1) : QString();
}

QStringList valuesAfter(const QStringList& args, const QString& option) {
    QStringList values;
    for (qsizetype i = 0; i + 1 < args.size(); ++i) {
        if (args.at(i) == option)
            values << args.at(i + 1);
    }
    return values;
}

ContainerSpec spec() {
    ContainerSpec s;
    s.profile.image = QStringLiteral("omega-render:0.22.0");
    s.profile.memoryLimitMb = 2048;
    s.profile.maxProcesses = 256;
    s.profile.cpus = 1.5;
    s.name = QStringLiteral("omega-render-42-abc-xyz");
    s.ownerPid = 42;
    s.ownerHost = QStringLiteral("host-a");
    s.user = QStringLiteral("1000:1000");
    s.hostWorkRoot = QStringLiteral("/data/containers/omega-render-42-abc-xyz");
    return s;
}

} // namespace

class TestContainerEngine : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // ---- engine state ----------------------------------------------------------------------

    void dockerWithoutDaemonIsDaemonDown() {
        const EngineStatus status =
            parseEngineInfo(EngineKind::Docker, QStringLiteral("/usr/bin/docker"), 1,
                            fixture(QStringLiteral("docker-info-daemon-down.stdout")),
                            fixture(QStringLiteral("docker-info-daemon-down.stderr")));
        QCOMPARE(engineStateName(status.state), QStringLiteral("daemon-down"));
        QVERIFY(!status.ready());
        QVERIFY2(status.message.contains(QLatin1String("Cannot connect to the Docker daemon")),
                 qPrintable(status.message));
        QVERIFY(status.hint.contains(QLatin1String("systemctl start docker")));
        QVERIFY(status.hint.contains(QLatin1String("--backend sandbox")));
    }

    void dockerSocketClosedIsPermissionDenied() {
        const EngineStatus status =
            parseEngineInfo(EngineKind::Docker, QStringLiteral("/usr/bin/docker"), 1,
                            fixture(QStringLiteral("docker-info-permission-denied.stdout")),
                            fixture(QStringLiteral("docker-info-permission-denied.stderr")));
        QCOMPARE(engineStateName(status.state), QStringLiteral("permission-denied"));
        QVERIFY(status.message.contains(QLatin1String("may not use its daemon")));
        QVERIFY(status.hint.contains(QLatin1String("docker group")));
    }

    void podmanAsRootIsReady() {
        const EngineStatus status =
            parseEngineInfo(EngineKind::Podman, QStringLiteral("/usr/bin/podman"), 0,
                            fixture(QStringLiteral("podman-info-root.json")), {});
        QVERIFY2(status.ready(), qPrintable(status.message));
        QCOMPARE(engineKindName(status.kind), QStringLiteral("podman"));
        QCOMPARE(status.version, QStringLiteral("4.3.1"));
        QVERIFY(!status.rootless);
        QVERIFY(status.message.contains(QLatin1String("podman 4.3.1")));
    }

    void podmanBehindDockerIsPodman() {
        // podman-docker's `docker` answers with Podman's JSON.
        const EngineStatus status =
            parseEngineInfo(EngineKind::Docker, QStringLiteral("/usr/bin/docker"), 0,
                            fixture(QStringLiteral("podman-info-root.json")), {});
        QVERIFY(status.ready());
        QCOMPARE(engineKindName(status.kind), QStringLiteral("podman"));
    }

    void rootlessDockerIsNamed() {
        const EngineStatus status =
            parseEngineInfo(EngineKind::Docker, QStringLiteral("/usr/bin/docker"), 0,
                            fixture(QStringLiteral("docker-info-rootless.json")), {});
        QVERIFY(status.ready());
        QVERIFY(status.rootless);
        QCOMPARE(status.version, QStringLiteral("28.2.2"));
        QVERIFY(status.message.contains(QLatin1String("rootless")));
    }

    void unreadableOrUnknownFailures() {
        EngineStatus status = parseEngineInfo(EngineKind::Podman, QStringLiteral("podman"), 0,
                                              "<html>not json</html>", {});
        QCOMPARE(engineStateName(status.state), QStringLiteral("failed"));
        QVERIFY(status.message.contains(QLatin1String("not JSON")));
        status = parseEngineInfo(EngineKind::Podman, QStringLiteral("podman"), 125, {},
                                 "Error: something odd happened\n");
        QCOMPARE(engineStateName(status.state), QStringLiteral("failed"));
        QVERIFY(status.message.contains(QLatin1String("something odd happened")));
        // A client printing its template with no server version (exit 0) is not ready either.
        status = parseEngineInfo(EngineKind::Docker, QStringLiteral("docker"), 0,
                                 fixture(QStringLiteral("docker-info-daemon-down.stdout")), {});
        QCOMPARE(engineStateName(status.state), QStringLiteral("daemon-down"));
        status = engineNotInstalled(EngineKind::Podman);
        QCOMPARE(engineStateName(status.state), QStringLiteral("not-installed"));
        QVERIFY(status.hint.contains(QLatin1String("apt-get install podman")));
    }

    void remoteEngines() {
        QProcessEnvironment env;
        QVERIFY(!engineIsRemote(env));
        QVERIFY(!engineIsRemote(env, QStringLiteral("default")));
        QVERIFY(engineIsRemote(env, QStringLiteral("build-server")));
        env.insert(QStringLiteral("DOCKER_HOST"),
                   QStringLiteral("unix:///run/user/1000/docker.sock"));
        QVERIFY(!engineIsRemote(env)); // a socket on this machine shares its files
        env.insert(QStringLiteral("DOCKER_HOST"), QStringLiteral("tcp://10.0.0.5:2376"));
        QVERIFY(engineIsRemote(env));
        env.clear();
        env.insert(QStringLiteral("CONTAINER_HOST"),
                   QStringLiteral("ssh://core@vm/run/podman.sock"));
        QVERIFY(engineIsRemote(env));
        env.clear();
        env.insert(QStringLiteral("DOCKER_CONTEXT"), QStringLiteral("default"));
        QVERIFY(!engineIsRemote(env, QStringLiteral("remote"))); // the variable wins
        env.insert(QStringLiteral("OMEGA_CONTAINER_COPY"), QStringLiteral("1"));
        QVERIFY(engineIsRemote(env));
    }

    // ---- command lines ---------------------------------------------------------------------

    void runHasEveryRestriction() {
        const ContainerSpec s = spec();
        const QStringList args = runArguments(s);
        QCOMPARE(args.first(), QStringLiteral("run"));
        QVERIFY(args.contains(QStringLiteral("-d")));
        QCOMPARE(valueAfter(args, QStringLiteral("--pull")), QStringLiteral("never"));
        QCOMPARE(valueAfter(args, QStringLiteral("--name")), s.name);
        QCOMPARE(valueAfter(args, QStringLiteral("--network")), QStringLiteral("none"));
        QVERIFY(args.contains(QStringLiteral("--read-only")));
        QVERIFY(valueAfter(args, QStringLiteral("--tmpfs")).startsWith(QLatin1String("/tmp:")));
        QCOMPARE(valueAfter(args, QStringLiteral("--cap-drop")), QStringLiteral("ALL"));
        QCOMPARE(valueAfter(args, QStringLiteral("--security-opt")),
                 QStringLiteral("no-new-privileges"));
        QCOMPARE(valueAfter(args, QStringLiteral("--user")), QStringLiteral("1000:1000"));
        QVERIFY(!args.contains(QStringLiteral("--userns")));
        QCOMPARE(valueAfter(args, QStringLiteral("--memory")), QStringLiteral("2560m"));
        QCOMPARE(valueAfter(args, QStringLiteral("--memory-swap")), QStringLiteral("2560m"));
        QCOMPARE(valueAfter(args, QStringLiteral("--pids-limit")), QStringLiteral("256"));
        QCOMPARE(valueAfter(args, QStringLiteral("--cpus")), QStringLiteral("1.50"));
        const QStringList labels = valuesAfter(args, QStringLiteral("--label"));
        QVERIFY(labels.contains(QStringLiteral("io.omega-studio.owner-pid=42")));
        QVERIFY(labels.contains(QStringLiteral("io.omega-studio.owner-host=host-a")));
        QVERIFY(labels.contains(QStringLiteral("io.omega-studio.profile=") + s.profile.key()));
        // Only the work root is mounted, nothing of the host's environment passes.
        QCOMPARE(valuesAfter(args, QStringLiteral("--volume")),
                 QStringList{s.hostWorkRoot + QStringLiteral(":/omega/work:rw")});
        for (const QString& env : valuesAfter(args, QStringLiteral("--env")))
            QVERIFY2(!env.contains(QLatin1String("KEY")) && !env.startsWith(QLatin1String("PATH")),
                     qPrintable(env));
        QVERIFY(!args.contains(QStringLiteral("--env-host")));
        QVERIFY(valuesAfter(args, QStringLiteral("--env")).contains(QStringLiteral("HOME=/tmp")));
        // The image, then PID 1's program.
        const qsizetype image = args.indexOf(s.profile.image);
        QVERIFY(image > 0);
        QCOMPARE(args.at(image - 1), QStringLiteral("python")); // --entrypoint python
        QCOMPARE(args.at(image + 1), QStringLiteral("-c"));
        QVERIFY(args.at(image + 2).contains(QLatin1String("os.wait()")));
    }

    void runVariants() {
        ContainerSpec s = spec();
        s.hostWorkRoot.clear(); // cp mode: an anonymous volume, nothing of the host
        s.hostPackagesDir = QStringLiteral("/data/packages/local/site");
        s.keepId = true;
        s.user = QStringLiteral("1001:1001");
        s.profile.cpus = 0;
        const QStringList args = runArguments(s);
        QCOMPARE(valuesAfter(args, QStringLiteral("--volume")),
                 (QStringList{QStringLiteral("/omega/work"),
                              QStringLiteral("/data/packages/local/site:/omega/site:ro")}));
        QVERIFY(valuesAfter(args, QStringLiteral("--env"))
                    .contains(QStringLiteral("PYTHONPATH=/omega/site")));
        QCOMPARE(valueAfter(args, QStringLiteral("--userns")), QStringLiteral("keep-id"));
        QCOMPARE(valueAfter(args, QStringLiteral("--user")), QStringLiteral("1001:1001"));
        QVERIFY(!args.contains(QStringLiteral("--cpus")));
    }

    void profileKeyFollowsTheRecipe() {
        ContainerProfile a;
        a.image = QStringLiteral("omega-render:0.22.0");
        ContainerProfile b = a;
        QCOMPARE(a.key(), b.key());
        QCOMPARE(a.key().size(), 10);
        b.memoryLimitMb = 1024;
        QVERIFY(a.key() != b.key());
        b = a;
        b.image = QStringLiteral("manimcommunity/manim:v0.22.0");
        QVERIFY(a.key() != b.key());
        b = a;
        b.cpus = 1;
        QVERIFY(a.key() != b.key());
    }

    void execKeepsArgumentsAsAList() {
        const QString scene = QStringLiteral("First; touch /tmp/pwned $(id)");
        const QStringList manim{QStringLiteral("-P"),
                                QStringLiteral("-m"),
                                QStringLiteral("manim"),
                                QStringLiteral("render"),
                                QStringLiteral("/omega/work/j/s.py"),
                                scene};
        const QStringList args = execArguments(QStringLiteral("omega-render-1-a-b"),
                                               QStringLiteral("/omega/work/j"), manim, 4096, 60);
        QCOMPARE(args.mid(0, 4), (QStringList{QStringLiteral("exec"), QStringLiteral("--workdir"),
                                              QStringLiteral("/omega/work/j"),
                                              QStringLiteral("omega-render-1-a-b")}));
        QCOMPARE(args.at(4), QStringLiteral("python"));
        QCOMPARE(args.at(5), QStringLiteral("-c"));
        QVERIFY(args.at(6).contains(QLatin1String("RLIMIT_AS")));
        QCOMPARE(args.at(7), QStringLiteral("4096"));
        QCOMPARE(args.at(8), QStringLiteral("60"));
        QCOMPARE(args.mid(9), QStringList{QStringLiteral("python")} + manim);
        QCOMPARE(args.last(), scene); // one argument, as it was
        for (const QString& arg : args)
            QVERIFY(arg != QLatin1String("sh") && arg != QLatin1String("/bin/sh"));
        const QStringList reap = reapArguments(QStringLiteral("omega-render-1-a-b"));
        QCOMPARE(reap.mid(0, 3),
                 (QStringList{QStringLiteral("exec"), QStringLiteral("omega-render-1-a-b"),
                              QStringLiteral("python")}));
        QVERIFY(reap.last().contains(QLatin1String("os.kill(-1, 9)")));
        QVERIFY(!reap.last().contains(QLatin1String("rmtree")));
        // cp mode: the container's own volume is emptied too.
        const QStringList clear = reapArguments(QStringLiteral("omega-render-1-a-b"), true);
        QVERIFY(clear.last().contains(QLatin1String("os.kill(-1, 9)")));
        QVERIFY(clear.last().contains(QLatin1String("rmtree")));
        QVERIFY(clear.last().contains(QLatin1String("'/omega/work'")));
    }

    void namesHaveTheFixedPrefix() {
        const QString name =
            containerName(1234, QStringLiteral("abcdef0123"), QStringLiteral("x9"));
        QCOMPARE(name, QStringLiteral("omega-render-1234-abcdef0123-x9"));
    }

    // ---- container lists -------------------------------------------------------------------

    void podmanListIsRead() {
        const QList<ContainerInfo> list =
            parseContainerList(fixture(QStringLiteral("podman-ps.json")));
        QCOMPARE(list.size(), 1);
        QCOMPARE(list.first().name, QStringLiteral("omega-render-999999-abc-fixture"));
        QCOMPARE(list.first().id.size(), 64);
        QCOMPARE(list.first().labels.value(QLatin1String(kLabelOwnerPid)),
                 QStringLiteral("999999"));
        QCOMPARE(list.first().labels.value(QLatin1String(kLabelOwnerHost)),
                 QStringLiteral("fixture-host"));
    }

    void dockerListIsRead() {
        const QList<ContainerInfo> list =
            parseContainerList(fixture(QStringLiteral("docker-ps.jsonl")));
        QCOMPARE(list.size(), 3); // the malformed line is skipped
        QCOMPARE(list.at(0).id, QStringLiteral("3f4e5d6c7b8a"));
        QCOMPARE(list.at(0).name, QStringLiteral("omega-render-999999-abc-dead"));
        QCOMPARE(list.at(0).labels.value(QLatin1String(kLabelProfile)), QStringLiteral("abc"));
        QCOMPARE(list.at(2).state, QStringLiteral("exited"));
    }

    void staleAreThoseOfGoneOwnersOnThisHost() {
        const QList<ContainerInfo> list =
            parseContainerList(fixture(QStringLiteral("docker-ps.jsonl")));
        const auto alive = [](qint64 pid) { return pid == 1; };
        // 999999 is gone: its container here is stale; pid 1 lives; other-host is not ours.
        QCOMPARE(staleContainers(list, QStringLiteral("fixture-host"), alive),
                 QStringList{QStringLiteral("3f4e5d6c7b8a")});
        QVERIFY(staleContainers(list, QStringLiteral("another"), alive).isEmpty());
        QCOMPARE(staleContainers(parseContainerList(fixture(QStringLiteral("podman-ps.json"))),
                                 QStringLiteral("fixture-host"), alive)
                     .size(),
                 1);
        // An id that could be taken for an option is never returned.
        QVERIFY(parseContainerList(R"([{"Id":"--all","Labels":{}}])").isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestContainerEngine)
#include "tst_containerengine.moc"
