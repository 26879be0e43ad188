// The `omega` command line: exit codes, --json output, bad input. Runs the built binary.
#include "TestSupport.h"

#include <QJsonArray>
#include <QRandomGenerator>
#include <QTest>

#include <unistd.h>

using omega::test::CliRun;
using omega::test::IsolatedEnvironment;

namespace {
QJsonObject errorOf(const CliRun& run) {
    return run.json().value(QLatin1String("error")).toObject();
}
QJsonObject firstOutputOf(const CliRun& run) {
    return run.json().value(QLatin1String("outputs")).toArray().first().toObject();
}
} // namespace

class TestCli : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<IsolatedEnvironment> env_;

    QString work(const QString& name) const { return QDir(env_->workDir()).filePath(name); }
    QString copy(const QString& fixture) const {
        return omega::test::copyFixture(fixture, env_->workDir());
    }
    CliRun omega(const QStringList& args, int timeoutMs = 120000) const {
        return omega::test::runOmega(args, env_->processEnvironment(), timeoutMs, env_->workDir());
    }
    static QString randomToken() {
        return QString::number(QRandomGenerator::global()->generate64(), 36);
    }
    QProcessEnvironment withoutVenv() const {
        QProcessEnvironment env = env_->processEnvironment();
        env.insert(QStringLiteral("OMEGA_VENV"), QStringLiteral("/nonexistent"));
        env.remove(QStringLiteral("OMEGA_PYTHON"));
        return env;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFileInfo(omega::test::omegaBinary()).isExecutable(),
                 qPrintable(omega::test::omegaBinary()));
    }
    void init() {
        env_ = std::make_unique<IsolatedEnvironment>();
        QVERIFY(env_->isValid());
    }
    void cleanup() { env_.reset(); }

    // General.

    void helpExitsZero() {
        const CliRun run = omega({QStringLiteral("--help")});
        QVERIFY(run.finishedInTime);
        QCOMPARE(run.exitCode, 0);
        for (const char* command : {"render", "scenes", "doctor"})
            QVERIFY2(run.out.contains(command), run.describe().constData());
    }

    void renderHelpExitsZero() {
        const CliRun run = omega({QStringLiteral("render"), QStringLiteral("--help")});
        QCOMPARE(run.exitCode, 0);
        for (const char* option : {"--scene", "--all", "--quality", "--format", "--last-frame",
                                   "--aspect", "--fps", "--output", "--timeout", "--json"})
            QVERIFY2(run.out.contains(option), option);
    }

    void noCommandIsUsage() { QCOMPARE(omega({}).exitCode, 2); }

    void unknownCommandIsUsage() {
        const CliRun run = omega({QStringLiteral("paint"), QStringLiteral("x.py")});
        QCOMPARE(run.exitCode, 2);
        QVERIFY(run.err.contains("paint"));
    }

    void badOptionValuesAreUsage_data() {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("quality") << QStringList{QStringLiteral("--quality"), QStringLiteral("z")};
        QTest::newRow("format") << QStringList{QStringLiteral("--format"), QStringLiteral("avi")};
        QTest::newRow("aspect") << QStringList{QStringLiteral("--aspect"), QStringLiteral("4:3")};
        QTest::newRow("fps") << QStringList{QStringLiteral("--fps"), QStringLiteral("fast")};
        QTest::newRow("timeout") << QStringList{QStringLiteral("--timeout"), QStringLiteral("0")};
        QTest::newRow("backend") << QStringList{QStringLiteral("--backend"),
                                                QStringLiteral("cloud")};
        QTest::newRow("unknown option") << QStringList{QStringLiteral("--frobnicate")};
        QTest::newRow("--scene with --all") << QStringList{
            QStringLiteral("--scene"), QStringLiteral("First"), QStringLiteral("--all")};
    }
    void badOptionValuesAreUsage() {
        QFETCH(QStringList, args);
        const QString script = copy(QStringLiteral("two_scenes.py"));
        const CliRun run =
            omega(QStringList{QStringLiteral("render"), script, QStringLiteral("--json")} + args);
        QCOMPARE(run.exitCode, 2);
        QCOMPARE(run.errorCategory(), QStringLiteral("usage"));
        // Rejected before anything was rendered.
        QVERIFY(!QFileInfo::exists(QDir(env_->dataDir()).filePath(QStringLiteral("media"))));
    }

    // Bad input.

    void missingFileIsUsage() {
        const CliRun run = omega(
            {QStringLiteral("render"), work(QStringLiteral("nope.py")), QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 2);
        QCOMPARE(run.errorCategory(), QStringLiteral("usage"));
        QVERIFY(errorOf(run)
                    .value(QLatin1String("message"))
                    .toString()
                    .contains(QLatin1String("nope.py")));
    }

    void directoryIsUsage() {
        const CliRun run = omega({QStringLiteral("render"), env_->workDir()});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("error (usage)"), run.describe().constData());
    }

    void binaryGarbageIsUsage() {
        QByteArray garbage("\x7f"
                           "ELF\x02\x01\x01\x00",
                           8);
        for (int i = 0; i < 2048; ++i)
            garbage.append(static_cast<char>((i * 37 + 11) % 256));
        QVERIFY(omega::test::writeFile(work(QStringLiteral("garbage.py")), garbage));
        const CliRun run = omega({QStringLiteral("render"), work(QStringLiteral("garbage.py")),
                                  QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 2);
        QCOMPARE(run.errorCategory(), QStringLiteral("usage"));
    }

    void emptyFileIsNoScene() {
        QVERIFY(omega::test::writeFile(work(QStringLiteral("empty.py")), {}));
        const CliRun run = omega(
            {QStringLiteral("render"), work(QStringLiteral("empty.py")), QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 1);
        QCOMPARE(run.errorCategory(), QStringLiteral("no-scene"));
    }

    void noSceneInFile() {
        const CliRun run = omega({QStringLiteral("render"), copy(QStringLiteral("no_scene.py")),
                                  QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 1);
        QCOMPARE(run.errorCategory(), QStringLiteral("no-scene"));
        QCOMPARE(run.json().value(QLatin1String("status")).toString(), QStringLiteral("failed"));
    }

    void syntaxErrorIsReportedWithLine() {
        const CliRun run =
            omega({QStringLiteral("render"), copy(QStringLiteral("finder_syntax_error.py")),
                   QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 1);
        QCOMPARE(run.errorCategory(), QStringLiteral("syntax"));
        QCOMPARE(errorOf(run).value(QLatin1String("line")).toInt(), 5);
    }

    void unknownSceneIsUsage() {
        const CliRun run = omega({QStringLiteral("render"), copy(QStringLiteral("two_scenes.py")),
                                  QStringLiteral("--scene"), QStringLiteral("Third")});
        QCOMPARE(run.exitCode, 2);
        QVERIFY(run.err.contains("Third"));
        QVERIFY(run.err.contains("First") && run.err.contains("Second")); // the hint lists them
    }

    void shellMetacharactersInSceneName_data() {
        QTest::addColumn<QString>("pattern"); // %1 is the marker file
        QTest::newRow("semicolon") << QStringLiteral("X; touch %1");
        QTest::newRow("command substitution") << QStringLiteral("$(touch %1)");
        QTest::newRow("backticks") << QStringLiteral("`touch %1`");
        QTest::newRow("pipe") << QStringLiteral("X | touch %1");
        QTest::newRow("and") << QStringLiteral("First && touch %1");
        QTest::newRow("newline") << QStringLiteral("First\ntouch %1");
    }
    void shellMetacharactersInSceneName() {
        QFETCH(QString, pattern);
        const QString marker = QStringLiteral("/tmp/omega-pwned-") + randomToken();
        const CliRun run =
            omega({QStringLiteral("render"), copy(QStringLiteral("two_scenes.py")),
                   QStringLiteral("--scene"), pattern.arg(marker), QStringLiteral("-q"),
                   QStringLiteral("l"), QStringLiteral("--json")});
        const bool pwned = QFileInfo::exists(marker);
        QFile::remove(marker);
        QVERIFY2(!pwned, "a scene name reached a shell");
        QCOMPARE(run.exitCode, 2);
        QCOMPARE(run.errorCategory(), QStringLiteral("usage"));
    }

    void severalScenesNoneChosenIsUsage() {
        const CliRun run = omega({QStringLiteral("render"), copy(QStringLiteral("two_scenes.py")),
                                  QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 2);
        const QJsonObject error = errorOf(run);
        QCOMPARE(error.value(QLatin1String("category")).toString(), QStringLiteral("usage"));
        const QString text = error.value(QLatin1String("message")).toString() +
                             error.value(QLatin1String("hint")).toString();
        QVERIFY2(text.contains(QLatin1String("First")) && text.contains(QLatin1String("Second")),
                 qPrintable(text));
        QVERIFY(run.json().value(QLatin1String("outputs")).toArray().isEmpty());
        // Without --json: on stderr.
        const CliRun plain =
            omega({QStringLiteral("render"), copy(QStringLiteral("two_scenes.py"))});
        QCOMPARE(plain.exitCode, 2);
        QVERIFY(plain.err.contains("First") && plain.err.contains("Second"));
    }

    void unwritableOutputIsUsageBeforeRendering() {
        const CliRun run =
            omega({QStringLiteral("render"), copy(QStringLiteral("text_scene.py")),
                   QStringLiteral("-q"), QStringLiteral("l"), QStringLiteral("--output"),
                   QStringLiteral("/proc/omega-x/out.mp4"), QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 2);
        const QJsonObject json = run.json();
        QCOMPARE(run.errorCategory(), QStringLiteral("usage"));
        QVERIFY(json.value(QLatin1String("duration_ms")).toInteger() < 1000); // nothing rendered
        QVERIFY(json.value(QLatin1String("outputs")).toArray().isEmpty());
        const QString mediaDir = json.value(QLatin1String("media_dir")).toString();
        QVERIFY(!mediaDir.isEmpty());
        QVERIFY(!QFileInfo::exists(mediaDir));
        QVERIFY(!QFileInfo::exists(QDir(env_->dataDir()).filePath(QStringLiteral("media"))));
    }

    void noVenvIsEnvironment() {
        const QProcessEnvironment env = withoutVenv();
        const CliRun run =
            omega::test::runOmega({QStringLiteral("render"), copy(QStringLiteral("text_scene.py")),
                                   QStringLiteral("--json")},
                                  env);
        QCOMPARE(run.exitCode, 3);
        const QJsonObject error = errorOf(run);
        QCOMPARE(error.value(QLatin1String("category")).toString(), QStringLiteral("environment"));
        QVERIFY2(error.value(QLatin1String("hint")).toString().contains(QLatin1String("setup")),
                 run.describe().constData());
        // Without --json: the hint on stderr.
        const CliRun plain = omega::test::runOmega(
            {QStringLiteral("render"), copy(QStringLiteral("text_scene.py"))}, env);
        QCOMPARE(plain.exitCode, 3);
        QVERIFY(plain.err.contains("setup"));
    }

    void endlessSceneTimesOut() {
        const CliRun run =
            omega({QStringLiteral("render"), copy(QStringLiteral("forever_scene.py")),
                   QStringLiteral("-q"), QStringLiteral("l"), QStringLiteral("--timeout"),
                   QStringLiteral("2"), QStringLiteral("--json")},
                  60000);
        QVERIFY(run.finishedInTime);
        QCOMPARE(run.exitCode, 1);
        QVERIFY(run.elapsedMs >= 2000);
        QCOMPARE(run.json().value(QLatin1String("failed_scene")).toString(),
                 QStringLiteral("Spin"));
        QCOMPARE(run.errorCategory(), QStringLiteral("timeout"));
    }

    void sceneKilledBySignal() {
        const CliRun run =
            omega({QStringLiteral("render"), copy(QStringLiteral("killed_scene.py")),
                   QStringLiteral("-q"), QStringLiteral("l"), QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 1);
        QCOMPARE(run.errorCategory(), QStringLiteral("killed"));
    }

    void interruptCancelsTheRender() {
        // Ctrl+C (SIGINT) cancels: manim and its children go, omega reports "cancelled".
        QProcess process;
        process.setProgram(omega::test::omegaBinary());
        // --backend local: the script reports its child's pid, which in the sandbox is its PID
        // namespace's own (tst_sandbox checks that nothing is left there).
        process.setArguments({QStringLiteral("render"), copy(QStringLiteral("long_scene.py")),
                              QStringLiteral("-q"), QStringLiteral("l"), QStringLiteral("--json"),
                              QStringLiteral("--backend"), QStringLiteral("local")});
        QProcessEnvironment env = env_->processEnvironment();
        env.insert(QStringLiteral("OMEGA_KEEP_JOBS"), QStringLiteral("1")); // to read child.pid
        process.setProcessEnvironment(env);
        process.setStandardInputFile(QProcess::nullDevice());
        process.start();
        QVERIFY(process.waitForStarted());
        const QString jobs = QDir(env_->dataDir()).filePath(QStringLiteral("jobs"));
        QString started;
        const auto jobStarted = [&] {
            const QStringList ids = QDir(jobs).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
            if (ids.size() != 1)
                return false;
            started = QDir(jobs).filePath(ids.first() + QStringLiteral("/started"));
            return QFileInfo::exists(started);
        };
        QTRY_VERIFY_WITH_TIMEOUT(jobStarted(), 60000);
        const qint64 childPid =
            omega::test::readFile(QFileInfo(started).absolutePath() + QStringLiteral("/child.pid"))
                .trimmed()
                .toLongLong();
        QVERIFY(childPid > 0);
        // Should this test fail, manim's own process group must not outlive it.
        struct GroupReaper {
            pid_t group;
            ~GroupReaper() {
                if (group > 0)
                    ::kill(-group, SIGKILL);
            }
        } reaper{::getpgid(static_cast<pid_t>(childPid))};
        QVERIFY(reaper.group > 0);
        QVERIFY(reaper.group != ::getpgrp());
        ::kill(static_cast<pid_t>(process.processId()), SIGINT);
        QVERIFY(process.waitForFinished(10000));
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 1);
        const QJsonObject json = QJsonDocument::fromJson(process.readAllStandardOutput()).object();
        QCOMPARE(json.value(QLatin1String("status")).toString(), QStringLiteral("cancelled"));
        QCOMPARE(json.value(QLatin1String("error"))
                     .toObject()
                     .value(QLatin1String("category"))
                     .toString(),
                 QStringLiteral("cancelled"));
        QTRY_VERIFY_WITH_TIMEOUT(omega::test::processGone(childPid), 10000);
    }

    // Success.

    void jsonOutputOfASuccessfulRender() {
        const QString script = copy(QStringLiteral("text_scene.py"));
        const CliRun run = omega({QStringLiteral("render"), script, QStringLiteral("-q"),
                                  QStringLiteral("l"), QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 0);
        const QJsonObject json = run.json();
        QVERIFY2(!json.isEmpty(), run.describe().constData()); // stdout is one JSON object
        QCOMPARE(json.value(QLatin1String("status")).toString(), QStringLiteral("ok"));
        QVERIFY(!json.value(QLatin1String("job_id")).toString().isEmpty());
        QVERIFY(!json.contains(QLatin1String("error")));
        QCOMPARE(json.value(QLatin1String("manim_version")).toString(), QStringLiteral("0.22.0"));
        QCOMPARE(json.value(QLatin1String("scenes")).toArray(),
                 QJsonArray{QStringLiteral("Greeting")});
        QVERIFY(json.value(QLatin1String("duration_ms")).toInteger() > 0);
        const QString mediaDir = json.value(QLatin1String("media_dir")).toString();
        QVERIFY(mediaDir.startsWith(env_->dataDir()));
        const QJsonArray outputs = json.value(QLatin1String("outputs")).toArray();
        QCOMPARE(outputs.size(), 1);
        const QJsonObject output = outputs.first().toObject();
        QCOMPARE(output.value(QLatin1String("scene")).toString(), QStringLiteral("Greeting"));
        const QString path = output.value(QLatin1String("path")).toString();
        QCOMPARE(path, mediaDir + QStringLiteral("/videos/text_scene/480p15/Greeting.mp4"));
        QCOMPARE(output.value(QLatin1String("media_path")).toString(), path);
        QCOMPARE(output.value(QLatin1String("still_image")).toBool(), false);
        QVERIFY(output.value(QLatin1String("elapsed_ms")).toInteger() > 0);
        QVERIFY(omega::test::isNonEmptyFile(path));
        // The job folder is gone.
        QVERIFY(QDir(QDir(env_->dataDir()).filePath(QStringLiteral("jobs")))
                    .entryList(QDir::AllEntries | QDir::NoDotAndDotDot)
                    .isEmpty());
    }

    void jsonOutputOfAFailedRender() {
        const CliRun run =
            omega({QStringLiteral("render"), copy(QStringLiteral("name_error_scene.py")),
                   QStringLiteral("-q"), QStringLiteral("l"), QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 1);
        const QJsonObject json = run.json();
        QVERIFY2(!json.isEmpty(), run.describe().constData());
        QCOMPARE(json.value(QLatin1String("status")).toString(), QStringLiteral("failed"));
        QVERIFY(json.value(QLatin1String("outputs")).isArray());
        QVERIFY(json.value(QLatin1String("outputs")).toArray().isEmpty());
        QCOMPARE(json.value(QLatin1String("failed_scene")).toString(), QStringLiteral("OldApi"));
        const QJsonObject error = errorOf(run);
        for (const char* key : {"category", "message", "hint", "line"})
            QVERIFY2(error.contains(QLatin1String(key)), key);
        QVERIFY(!error.value(QLatin1String("message")).toString().isEmpty());
        QCOMPARE(error.value(QLatin1String("category")).toString(),
                 QStringLiteral("missing-manim-name"));
        QCOMPARE(error.value(QLatin1String("name")).toString(), QStringLiteral("ShowCreation"));
    }

    void plainOutputPrintsThePath() {
        const CliRun run = omega({QStringLiteral("render"), copy(QStringLiteral("two_scenes.py")),
                                  QStringLiteral("-s"), QStringLiteral("First"),
                                  QStringLiteral("-q"), QStringLiteral("l")});
        QCOMPARE(run.exitCode, 0);
        const QString path = QString::fromUtf8(run.out.trimmed());
        QVERIFY2(path.endsWith(QLatin1String("/videos/two_scenes/480p15/First.mp4")),
                 run.describe().constData());
        QVERIFY(omega::test::isNonEmptyFile(path));
    }

    void outputCopiesCreatingFolders() {
        const QString target = work(QStringLiteral("exports/2026/november/first.mp4"));
        const CliRun run = omega({QStringLiteral("render"), copy(QStringLiteral("two_scenes.py")),
                                  QStringLiteral("--scene"), QStringLiteral("First"),
                                  QStringLiteral("-q"), QStringLiteral("l"),
                                  QStringLiteral("--output"), target, QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 0);
        const QJsonObject output = firstOutputOf(run);
        QCOMPARE(output.value(QLatin1String("path")).toString(), target);
        QVERIFY(omega::test::isNonEmptyFile(target));
        const QString mediaPath = output.value(QLatin1String("media_path")).toString();
        QVERIFY(mediaPath != target);
        QCOMPARE(QFileInfo(target).size(), QFileInfo(mediaPath).size());
    }

    void allScenesWithOutputFolder() {
        const QString folder = work(QStringLiteral("all/"));
        const CliRun run =
            omega({QStringLiteral("render"), copy(QStringLiteral("two_scenes.py")),
                   QStringLiteral("--all"), QStringLiteral("-q"), QStringLiteral("l"),
                   QStringLiteral("--output"), folder, QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.json().value(QLatin1String("outputs")).toArray().size(), 2);
        QVERIFY(omega::test::isNonEmptyFile(work(QStringLiteral("all/First.mp4"))));
        QVERIFY(omega::test::isNonEmptyFile(work(QStringLiteral("all/Second.mp4"))));
    }

    void lastFrameAndAspectOptions() {
        const CliRun run =
            omega({QStringLiteral("render"), copy(QStringLiteral("two_scenes.py")),
                   QStringLiteral("-s"), QStringLiteral("Second"), QStringLiteral("-q"),
                   QStringLiteral("l"), QStringLiteral("--aspect"), QStringLiteral("1:1"),
                   QStringLiteral("--last-frame"), QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 0);
        const QJsonObject output = firstOutputOf(run);
        const QString path = output.value(QLatin1String("path")).toString();
        QVERIFY2(path.endsWith(QLatin1String("/images/two_scenes/Second_ManimCE_v0.22.0.png")),
                 qPrintable(path));
        QCOMPARE(omega::test::videoSize(path), QSize(480, 480)); // ffprobe reads PNGs too
        QCOMPARE(output.value(QLatin1String("still_image")).toBool(), true);
    }

    // Scenes and doctor.

    void scenesJson() {
        const QString script = copy(QStringLiteral("finder_kinds.py"));
        const CliRun run = omega({QStringLiteral("scenes"), script, QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 0);
        const QJsonObject json = run.json();
        QCOMPARE(json.value(QLatin1String("status")).toString(), QStringLiteral("ok"));
        QCOMPARE(json.value(QLatin1String("file")).toString(), script);
        QCOMPARE(json.value(QLatin1String("manim_version")).toString(), QStringLiteral("0.22.0"));
        QStringList names;
        const QJsonArray scenes = json.value(QLatin1String("scenes")).toArray();
        for (const QJsonValue& value : scenes) {
            const QJsonObject scene = value.toObject();
            names << scene.value(QLatin1String("name")).toString();
            QVERIFY(scene.value(QLatin1String("line")).toInt() > 0);
            QVERIFY(!scene.value(QLatin1String("bases")).toArray().isEmpty());
        }
        const QStringList expected{QStringLiteral("Plain"),     QStringLiteral("Solid"),
                                   QStringLiteral("Pan"),       QStringLiteral("Zoom"),
                                   QStringLiteral("Deck"),      QStringLiteral("Qualified"),
                                   QStringLiteral("Leaf"),      QStringLiteral("Middle"),
                                   QStringLiteral("BaseIntro"), QStringLiteral("Mixed")};
        QCOMPARE(names, expected);
        const QJsonObject plain = scenes.first().toObject();
        QCOMPARE(plain.value(QLatin1String("line")).toInt(), 10);
        QCOMPARE(plain.value(QLatin1String("bases")).toArray(),
                 QJsonArray{QStringLiteral("Scene")});
    }

    void scenesPlainAndErrors() {
        const CliRun plain =
            omega({QStringLiteral("scenes"), copy(QStringLiteral("two_scenes.py"))});
        QCOMPARE(plain.exitCode, 0);
        QCOMPARE(plain.out, QByteArray("First\nSecond\n"));
        const CliRun missing = omega(
            {QStringLiteral("scenes"), work(QStringLiteral("nope.py")), QStringLiteral("--json")});
        QCOMPARE(missing.exitCode, 2);
        QCOMPARE(missing.errorCategory(), QStringLiteral("usage"));
        const CliRun syntax =
            omega({QStringLiteral("scenes"), copy(QStringLiteral("finder_syntax_error.py")),
                   QStringLiteral("--json")});
        QCOMPARE(syntax.exitCode, 1);
        QCOMPARE(syntax.errorCategory(), QStringLiteral("syntax"));
        QCOMPARE(errorOf(syntax).value(QLatin1String("line")).toInt(), 5);
        // Listing never runs the script.
        const CliRun listed =
            omega({QStringLiteral("scenes"), copy(QStringLiteral("finder_not_executed.py"))});
        QCOMPARE(listed.exitCode, 0);
        QCOMPARE(listed.out, QByteArray("StillListed\n"));
        QVERIFY(!QFileInfo::exists(work(QStringLiteral("finder_not_executed.executed"))));
        const CliRun noVenv = omega::test::runOmega(
            {QStringLiteral("scenes"), copy(QStringLiteral("two_scenes.py"))}, withoutVenv());
        QCOMPARE(noVenv.exitCode, 3);
    }

    void doctorJson() {
        const CliRun run = omega({QStringLiteral("doctor"), QStringLiteral("--json")});
        QCOMPARE(run.exitCode, 0);
        const QJsonObject json = run.json();
        QVERIFY2(!json.isEmpty(), run.describe().constData());
        QCOMPARE(json.value(QLatin1String("status")).toString(), QStringLiteral("ok"));
        QVERIFY(!json.contains(QLatin1String("error")));
        QCOMPARE(json.value(QLatin1String("data_dir")).toString(), env_->dataDir());
        QVERIFY(QFileInfo(json.value(QLatin1String("python")).toString()).isExecutable());
        QStringList names;
        const QJsonArray checks = json.value(QLatin1String("checks")).toArray();
        for (const QJsonValue& value : checks) {
            const QJsonObject check = value.toObject();
            const QString name = check.value(QLatin1String("name")).toString();
            names << name;
            // The docker backend's checks depend on a container engine (tst_docker tests them).
            if (!name.startsWith(QLatin1String("docker")))
                QVERIFY2(check.value(QLatin1String("ok")).toBool(),
                         qPrintable(name + QLatin1Char(' ') +
                                    check.value(QLatin1String("detail")).toString()));
            QVERIFY(check.contains(QLatin1String("required")));
            QVERIFY(check.contains(QLatin1String("hint")));
            QVERIFY2(!check.value(QLatin1String("detail")).toString().isEmpty(), qPrintable(name));
        }
        names.sort();
        const QStringList expected{
            QStringLiteral("disk"),           QStringLiteral("docker"),
            QStringLiteral("docker-image"),   QStringLiteral("dvisvgm"),
            QStringLiteral("ffmpeg"),         QStringLiteral("latex"),
            QStringLiteral("latex-packages"), QStringLiteral("manim"),
            QStringLiteral("python"),         QStringLiteral("render-libraries"),
            QStringLiteral("sandbox")};
        QCOMPARE(names, expected);
    }

    void doctorWithoutVenvIsEnvironment() {
        const CliRun run = omega::test::runOmega(
            {QStringLiteral("doctor"), QStringLiteral("--json")}, withoutVenv());
        QCOMPARE(run.exitCode, 3);
        const QJsonObject json = run.json();
        QCOMPARE(json.value(QLatin1String("status")).toString(), QStringLiteral("failed"));
        bool pythonFailed = false;
        const QJsonArray checks = json.value(QLatin1String("checks")).toArray();
        for (const QJsonValue& value : checks) {
            const QJsonObject check = value.toObject();
            if (check.value(QLatin1String("name")).toString() == QLatin1String("python")) {
                pythonFailed = !check.value(QLatin1String("ok")).toBool();
                QVERIFY(
                    check.value(QLatin1String("hint")).toString().contains(QLatin1String("setup")));
            }
        }
        QVERIFY(pythonFailed);
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
