// ManimExecutionAgent: real renders with the installed Manim at -ql, each test with its own
// data folder (jobs, media cache) and its own copies of the fixture scripts.
#include "ManimExecutionAgent.h"
#include "Paths.h"
#include "TestSupport.h"

#include <QDateTime>
#include <QDirIterator>
#include <QHash>
#include <QRegularExpression>
#include <QSet>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>

using namespace omega;
using omega::test::IsolatedEnvironment;

namespace {

// Everything one job reported.
struct RenderRun {
    bool finished = false;
    int finishedCount = 0;
    QString jobId;
    RenderResult result;
    QList<RenderProgress> progress;
    QList<SceneOutput> sceneOutputs;

    QList<RenderProgress> parsedProgress() const { // readings from manim's bars
        QList<RenderProgress> parsed;
        for (const RenderProgress& p : progress) {
            if (p.animationIndex >= 0)
                parsed << p;
        }
        return parsed;
    }
    QList<RenderProgress> sceneStarts() const { // one per scene, before manim starts
        QList<RenderProgress> starts;
        for (const RenderProgress& p : progress) {
            if (p.animationIndex < 0)
                starts << p;
        }
        return starts;
    }
    QByteArray describe() const {
        const ErrorReport& e = result.result.error;
        return (QStringLiteral("status %1, category %2: %3\nhint: %4\nline %5, name %6\n%7")
                    .arg(statusName(result.result.status), categoryName(e.category), e.message,
                         e.hint)
                    .arg(e.scriptLine)
                    .arg(e.missingName, e.detail.right(3000)))
            .toUtf8();
    }
};

// Collects the agent's signals for one job from the moment it is constructed.
class RenderRecorder : public QObject {
public:
    RenderRecorder(ManimExecutionAgent& agent, RenderRun& run)
        : run_(run) {
        connect(&agent, &ManimExecutionAgent::progressChanged, this,
                [this](const QString& jobId, const RenderProgress& p) {
                    if (jobId == run_.jobId || run_.jobId.isEmpty())
                        run_.progress << p;
                });
        connect(&agent, &ManimExecutionAgent::sceneFinished, this,
                [this](const QString&, const SceneOutput& output) { run_.sceneOutputs << output; });
        connect(&agent, &ManimExecutionAgent::finished, this, [this](const RenderResult& result) {
            ++run_.finishedCount;
            run_.finished = true;
            run_.result = result;
        });
    }

private:
    RenderRun& run_;
};

QStringList filesUnder(const QString& dir) {
    QStringList files;
    QDirIterator it(dir, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        files << it.next();
    files.sort();
    return files;
}

} // namespace

class TestRender : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<IsolatedEnvironment> env_;
    QList<qint64> groupsToReap_; // process groups a failing test might leave behind

    // Options for a fixture copied into this test's work folder; -ql, a safety timeout.
    RenderOptions optionsFor(const QString& fixture, const QStringList& scenes = {}) {
        RenderOptions options;
        options.scriptPath = test::copyFixture(fixture, env_->workDir());
        options.scenes = scenes;
        options.quality = Quality::Low;
        options.timeoutSec = 120;
        return options;
    }

    static QString jobDir(const QString& jobId) { return QDir(paths::jobsDir()).filePath(jobId); }

    // Starts a job and waits for its finished(); checks it is reported exactly once.
    static RenderRun renderAndWait(ManimExecutionAgent& agent, const RenderOptions& options,
                                   int timeoutMs = 180000) {
        RenderRun run;
        RenderRecorder recorder(agent, run);
        run.jobId = agent.render(options);
        if (run.jobId.isEmpty())
            return run;
        [[maybe_unused]] const bool done =
            QTest::qWaitFor([&run] { return run.finished; }, timeoutMs);
        if (run.finished)
            QTest::qWait(20); // a second finished() would show up here
        return run;
    }

    static QString moduleOf(const RenderOptions& options) {
        return QFileInfo(options.scriptPath).completeBaseName();
    }

    // The rendered output of a single-scene job, checked against the pure path function.
    static void verifySingleOutput(const RenderRun& run, const RenderOptions& options,
                                   const QString& scene) {
        QVERIFY2(run.finished, "no finished() in time");
        QCOMPARE(run.finishedCount, 1);
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        QCOMPARE(run.result.result.jobId, run.jobId);
        QCOMPARE(run.result.manimVersion, QStringLiteral("0.22.0"));
        QCOMPARE(run.result.scenes, QStringList{scene});
        QCOMPARE(run.result.outputs.size(), 1);
        const SceneOutput& output = run.result.outputs.first();
        QCOMPARE(output.scene, scene);
        QCOMPARE(output.path, expectedOutputPath(options, run.result.mediaDir, moduleOf(options),
                                                 scene, run.result.manimVersion));
        QCOMPARE(output.mediaPath, output.path);
        QVERIFY2(test::isNonEmptyFile(output.path), qPrintable(output.path));
        QVERIFY(output.elapsedMs > 0);
        QCOMPARE(run.sceneOutputs.size(), 1);
        QCOMPARE(run.sceneOutputs.first().path, output.path);
        QVERIFY(run.result.failedScene.isEmpty());
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFileInfo(paths::renderPython()).isExecutable(),
                 "no render Python: run scripts/setup.sh (or set OMEGA_VENV)");
    }

    void init() {
        env_ = std::make_unique<IsolatedEnvironment>();
        QVERIFY(env_->isValid());
    }

    void cleanup() {
        for (const qint64 group : std::as_const(groupsToReap_))
            ::kill(-static_cast<pid_t>(group), SIGKILL);
        groupsToReap_.clear();
        env_.reset();
    }

    // ---- what renders -------------------------------------------------------------------

    void textSceneRendersMp4() {
        ManimExecutionAgent agent;
        const RenderOptions options = optionsFor(QStringLiteral("text_scene.py"));
        const RenderRun run = renderAndWait(agent, options);
        verifySingleOutput(run, options, QStringLiteral("Greeting"));
        const SceneOutput& output = run.result.outputs.first();
        QVERIFY(!output.stillImage);
        QVERIFY(output.path.endsWith(QLatin1String("/videos/text_scene/480p15/Greeting.mp4")));
        QCOMPARE(run.result.mediaDir, ManimExecutionAgent::mediaDirForScript(options.scriptPath));
        QVERIFY(run.result.mediaDir.startsWith(paths::mediaRootDir()));
        QCOMPARE(test::videoSize(output.path), QSize(854, 480));
        QVERIFY(!agent.isRunning());
        QCOMPARE(agent.currentPid(), qint64(0));
    }

    void mathTexSceneRenders() {
        ManimExecutionAgent agent;
        const RenderOptions options = optionsFor(QStringLiteral("mathtex_scene.py"));
        const RenderRun run = renderAndWait(agent, options);
        verifySingleOutput(run, options, QStringLiteral("Formula"));
        // LaTeX really ran: its SVG is in the media folder.
        const QStringList svgs =
            QDir(run.result.mediaDir + QStringLiteral("/Tex")).entryList({QStringLiteral("*.svg")});
        QVERIFY(!svgs.isEmpty());
    }

    void threeDSceneRenders() {
        ManimExecutionAgent agent;
        const RenderOptions options = optionsFor(QStringLiteral("three_d_scene.py"));
        verifySingleOutput(renderAndWait(agent, options), options, QStringLiteral("Cubes"));
    }

    void movingCameraSceneRenders() {
        ManimExecutionAgent agent;
        const RenderOptions options = optionsFor(QStringLiteral("moving_camera_scene.py"));
        verifySingleOutput(renderAndWait(agent, options), options, QStringLiteral("Zoomer"));
    }

    void allScenesRendersEach() {
        ManimExecutionAgent agent;
        RenderOptions options = optionsFor(QStringLiteral("two_scenes.py"));
        options.allScenes = true;
        const RenderRun run = renderAndWait(agent, options);
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        const QStringList names{QStringLiteral("First"), QStringLiteral("Second")};
        QCOMPARE(run.result.scenes, names);
        QCOMPARE(run.result.outputs.size(), 2);
        QCOMPARE(run.sceneOutputs.size(), 2);
        for (int i = 0; i < 2; ++i) {
            const SceneOutput& output = run.result.outputs.at(i);
            QCOMPARE(output.scene, names.at(i));
            QCOMPARE(output.path,
                     expectedOutputPath(options, run.result.mediaDir, QStringLiteral("two_scenes"),
                                        names.at(i), run.result.manimVersion));
            QVERIFY(test::isNonEmptyFile(output.path));
            QCOMPARE(run.sceneOutputs.at(i).scene, names.at(i));
        }
        const QList<RenderProgress> starts = run.sceneStarts();
        QCOMPARE(starts.size(), 2);
        for (int i = 0; i < 2; ++i) {
            QCOMPARE(starts.at(i).scene, names.at(i));
            QCOMPARE(starts.at(i).sceneIndex, i);
            QCOMPARE(starts.at(i).sceneCount, 2);
        }
    }

    void namedSceneOfSeveral() {
        ManimExecutionAgent agent;
        const RenderOptions options =
            optionsFor(QStringLiteral("two_scenes.py"), {QStringLiteral("Second")});
        const RenderRun run = renderAndWait(agent, options);
        verifySingleOutput(run, options, QStringLiteral("Second"));
        QVERIFY(!QFileInfo::exists(
            expectedOutputPath(options, run.result.mediaDir, QStringLiteral("two_scenes"),
                               QStringLiteral("First"), run.result.manimVersion)));
    }

    void severalScenesNoneChosenIsUsage() {
        ManimExecutionAgent agent;
        const RenderOptions options = optionsFor(QStringLiteral("two_scenes.py"));
        const RenderRun run = renderAndWait(agent, options);
        QVERIFY(run.finished);
        QCOMPARE(run.finishedCount, 1);
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::Usage);
        const QString text = run.result.result.error.message + run.result.result.error.hint;
        QVERIFY2(text.contains(QLatin1String("First")) && text.contains(QLatin1String("Second")),
                 qPrintable(text));
        // No manim process: no scene was started, nothing was prepared.
        QVERIFY(run.progress.isEmpty());
        QVERIFY(run.result.outputs.isEmpty());
        QVERIFY(!QFileInfo::exists(run.result.mediaDir));
        QVERIFY(!QFileInfo::exists(jobDir(run.jobId)));
        QVERIFY(filesUnder(paths::dataDir()).filter(QLatin1String("/media/")).isEmpty());
    }

    void unknownSceneIsUsage() {
        ManimExecutionAgent agent;
        const RenderOptions options =
            optionsFor(QStringLiteral("two_scenes.py"), {QStringLiteral("Third")});
        const RenderRun run = renderAndWait(agent, options);
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::Usage);
        QVERIFY(run.result.result.error.message.contains(QLatin1String("Third")));
        QVERIFY(run.result.result.error.hint.contains(QLatin1String("First")));
        QVERIFY(run.result.result.error.hint.contains(QLatin1String("Second")));
        QVERIFY(run.progress.isEmpty());
        QVERIFY(!QFileInfo::exists(run.result.mediaDir));
    }

    void staticSceneGivesPng() {
        ManimExecutionAgent agent;
        const RenderOptions options = optionsFor(QStringLiteral("static_scene.py"));
        const RenderRun run = renderAndWait(agent, options);
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        QCOMPARE(run.result.outputs.size(), 1);
        const SceneOutput& output = run.result.outputs.first();
        QVERIFY(output.stillImage);
        QCOMPARE(output.path,
                 expectedStillImagePath(run.result.mediaDir, QStringLiteral("static_scene"),
                                        QStringLiteral("Poster"), run.result.manimVersion));
        QVERIFY(
            output.path.endsWith(QLatin1String("/images/static_scene/Poster_ManimCE_v0.22.0.png")));
        QVERIFY(test::readFile(output.path).startsWith("\x89PNG"));
    }

    void otherFormats_data() {
        QTest::addColumn<int>("format");
        QTest::addColumn<bool>("transparent");
        QTest::addColumn<QString>("suffix");
        QTest::addColumn<QByteArray>("magic");
        QTest::newRow("gif") << int(OutputFormat::Gif) << false
                             << QStringLiteral("/480p15/Greeting_ManimCE_v0.22.0.gif")
                             << QByteArray("GIF8");
        QTest::newRow("webm") << int(OutputFormat::Webm) << false
                              << QStringLiteral("/480p15/Greeting.webm")
                              << QByteArray("\x1a\x45\xdf\xa3");
        QTest::newRow("transparent mp4 becomes mov")
            << int(OutputFormat::Mp4) << true << QStringLiteral("/480p15/Greeting.mov")
            << QByteArray();
    }
    void otherFormats() {
        QFETCH(int, format);
        QFETCH(bool, transparent);
        QFETCH(QString, suffix);
        QFETCH(QByteArray, magic);
        ManimExecutionAgent agent;
        RenderOptions options = optionsFor(QStringLiteral("text_scene.py"));
        options.format = static_cast<OutputFormat>(format);
        options.transparent = transparent;
        const RenderRun run = renderAndWait(agent, options);
        verifySingleOutput(run, options, QStringLiteral("Greeting"));
        const QString path = run.result.outputs.first().path;
        QVERIFY2(path.endsWith(suffix), qPrintable(path));
        QVERIFY(test::readFile(path).startsWith(magic));
        QVERIFY(!run.result.outputs.first().stillImage);
    }

    void lastFrameGivesPng() {
        ManimExecutionAgent agent;
        RenderOptions options = optionsFor(QStringLiteral("text_scene.py"));
        options.lastFrameOnly = true;
        const RenderRun run = renderAndWait(agent, options);
        verifySingleOutput(run, options, QStringLiteral("Greeting"));
        const SceneOutput& output = run.result.outputs.first();
        QVERIFY2(
            output.path.endsWith(QLatin1String("/images/text_scene/Greeting_ManimCE_v0.22.0.png")),
            qPrintable(output.path));
        QVERIFY(test::readFile(output.path).startsWith("\x89PNG"));
        // No video was written.
        QVERIFY(filesUnder(run.result.mediaDir).filter(QLatin1String(".mp4")).isEmpty());
        // SceneOutput::stillImage: "a PNG: last-frame render, or a scene without animations".
        QVERIFY2(output.stillImage, "a last-frame render is a still image");
    }

    void portraitAspect() {
        ManimExecutionAgent agent;
        RenderOptions options = optionsFor(QStringLiteral("text_scene.py"));
        options.aspect = Aspect::Portrait9x16;
        const RenderRun run = renderAndWait(agent, options);
        verifySingleOutput(run, options, QStringLiteral("Greeting"));
        const QString path = run.result.outputs.first().path;
        QVERIFY2(path.contains(QLatin1String("/854p15/")), qPrintable(path));
        QCOMPARE(test::videoSize(path), QSize(480, 854));
    }

    void squareAspect() {
        ManimExecutionAgent agent;
        RenderOptions options =
            optionsFor(QStringLiteral("two_scenes.py"), {QStringLiteral("First")});
        options.aspect = Aspect::Square1x1;
        const RenderRun run = renderAndWait(agent, options);
        verifySingleOutput(run, options, QStringLiteral("First"));
        QCOMPARE(test::videoSize(run.result.outputs.first().path), QSize(480, 480));
    }

    void fpsOverride() {
        ManimExecutionAgent agent;
        RenderOptions options =
            optionsFor(QStringLiteral("two_scenes.py"), {QStringLiteral("First")});
        options.fps = 10;
        const RenderRun run = renderAndWait(agent, options);
        verifySingleOutput(run, options, QStringLiteral("First"));
        const QString path = run.result.outputs.first().path;
        QVERIFY2(path.contains(QLatin1String("/480p10/")), qPrintable(path));
        QCOMPARE(test::videoFrameRate(path), 10.0);
    }

    void scriptNamedLikeAModule_data() {
        // `manim render random.py First` works by hand; the job's copy must not shadow the
        // modules Python and Manim import (python -m puts the working folder on sys.path).
        QTest::addColumn<QString>("fileName");
        QTest::newRow("random.py") << QStringLiteral("random.py");
        QTest::newRow("numpy.py") << QStringLiteral("numpy.py");
    }
    void scriptNamedLikeAModule() {
        QFETCH(QString, fileName);
        ManimExecutionAgent agent;
        RenderOptions options =
            optionsFor(QStringLiteral("two_scenes.py"), {QStringLiteral("First")});
        options.scriptPath =
            test::copyFixture(QStringLiteral("two_scenes.py"), env_->workDir(), fileName);
        const RenderRun run = renderAndWait(agent, options);
        verifySingleOutput(run, options, QStringLiteral("First"));
    }

    void outputPathCopiesCreatingFolders() {
        ManimExecutionAgent agent;
        RenderOptions options =
            optionsFor(QStringLiteral("two_scenes.py"), {QStringLiteral("First")});
        options.outputPath =
            QDir(env_->workDir()).filePath(QStringLiteral("out/deep/er/first.mp4"));
        const RenderRun run = renderAndWait(agent, options);
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        const SceneOutput& output = run.result.outputs.first();
        QCOMPARE(output.path, options.outputPath);
        QVERIFY(test::isNonEmptyFile(output.path));
        QCOMPARE(output.mediaPath,
                 expectedOutputPath(options, run.result.mediaDir, QStringLiteral("two_scenes"),
                                    QStringLiteral("First"), run.result.manimVersion));
        QVERIFY(test::isNonEmptyFile(output.mediaPath));
        QCOMPARE(QFileInfo(output.path).size(), QFileInfo(output.mediaPath).size());
    }

    void unwritableOutputFailsBeforeRendering() {
        ManimExecutionAgent agent;
        RenderOptions options = optionsFor(QStringLiteral("text_scene.py"));
        options.outputPath = QStringLiteral("/proc/omega-x/out.mp4");
        const RenderRun run = renderAndWait(agent, options, 10000);
        QVERIFY(run.finished);
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::Usage);
        QVERIFY(run.result.result.error.message.contains(QLatin1String("/proc/omega-x")));
        QVERIFY(run.progress.isEmpty());
        QVERIFY(run.result.result.timings.elapsedMs < 1000);
        QVERIFY(!QFileInfo::exists(run.result.mediaDir));
    }

    void secondRenderRefusedWhileRunning() {
        ManimExecutionAgent agent;
        RenderRun run;
        RenderRecorder recorder(agent, run);
        const RenderOptions options =
            optionsFor(QStringLiteral("two_scenes.py"), {QStringLiteral("First")});
        run.jobId = agent.render(options);
        QVERIFY(!run.jobId.isEmpty());
        QVERIFY(agent.isRunning());
        QCOMPARE(agent.currentJobId(), run.jobId);
        QVERIFY(agent.render(options).isEmpty());
        QVERIFY(QTest::qWaitFor([&run] { return run.finished; }, 120000));
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        QCOMPARE(run.finishedCount, 1);
        QCOMPARE(run.result.result.jobId, run.jobId);
    }

    // ---- progress and cache -------------------------------------------------------------

    void progressReported() {
        ManimExecutionAgent agent;
        const RenderOptions options = optionsFor(QStringLiteral("steps_scene.py"));
        const RenderRun run = renderAndWait(agent, options);
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        QVERIFY(!run.progress.isEmpty());
        const RenderProgress& first = run.progress.first();
        QCOMPARE(first.animationIndex, -1);
        QCOMPARE(first.scene, QStringLiteral("Steps"));
        QCOMPARE(first.sceneCount, 1);
        QCOMPARE(first.overallPercent, -1); // first render: the animation count is unknown

        const QList<RenderProgress> parsed = run.parsedProgress();
        QVERIFY2(!parsed.isEmpty(), "no progress parsed from manim's bars (ProgressParser)");
        int lastIndex = -1;
        for (const RenderProgress& p : parsed) {
            QCOMPARE(p.scene, QStringLiteral("Steps"));
            QVERIFY(p.animationIndex >= lastIndex); // never goes back
            QVERIFY(p.percent >= 0 && p.percent <= 100);
            QVERIFY(!p.label.isEmpty());
            lastIndex = p.animationIndex;
        }
        QCOMPARE(lastIndex, 2); // Steps plays three animations: 0, 1, 2
        QCOMPARE(parsed.last().percent, 100);
    }

    void secondRenderKnowsAnimationCount() {
        ManimExecutionAgent agent;
        const RenderOptions options = optionsFor(QStringLiteral("steps_scene.py"));
        const RenderRun first = renderAndWait(agent, options);
        QVERIFY2(first.result.result.ok(), first.describe().constData());
        QCOMPARE(first.sceneStarts().first().overallPercent, -1);
        const RenderRun second = renderAndWait(agent, options);
        QVERIFY2(second.result.result.ok(), second.describe().constData());
        QVERIFY(second.sceneStarts().first().overallPercent >= 0);
    }

    void secondRenderOverallPercentReaches100() {
        ManimExecutionAgent agent;
        const RenderOptions options = optionsFor(QStringLiteral("steps_scene.py"));
        QVERIFY(renderAndWait(agent, options).result.result.ok());
        RenderOptions noCache = options; // every animation is drawn again, so bars are shown
        noCache.useCache = false;
        const RenderRun second = renderAndWait(agent, noCache);
        QVERIFY2(second.result.result.ok(), second.describe().constData());
        const QList<RenderProgress> parsed = second.parsedProgress();
        QVERIFY2(!parsed.isEmpty(), "no progress parsed from manim's bars (ProgressParser)");
        int last = 0;
        for (const RenderProgress& p : parsed) {
            QVERIFY2(p.overallPercent >= 0, "the animation count is known from the first render");
            QVERIFY(p.overallPercent >= last); // monotonic
            last = p.overallPercent;
        }
        QCOMPARE(parsed.last().overallPercent, 100);
    }

    void cacheReusedAfterOneLineEdit() {
        ManimExecutionAgent agent;
        const RenderOptions options = optionsFor(QStringLiteral("steps_scene.py"));
        const RenderRun first = renderAndWait(agent, options);
        QVERIFY2(first.result.result.ok(), first.describe().constData());
        const QString partialDir = partialMoviesDir(
            first.result.mediaDir, QStringLiteral("steps_scene"), QStringLiteral("Steps"));
        const QStringList before =
            QDir(partialDir).entryList({QStringLiteral("*.mp4")}, QDir::Files, QDir::Name);
        QCOMPARE(before.size(), 3); // one partial movie per animation
        QHash<QString, QDateTime> modified;
        for (const QString& name : before)
            modified.insert(name, QFileInfo(QDir(partialDir).filePath(name)).lastModified());

        // Edit the last animation only.
        QByteArray source = test::readFile(options.scriptPath);
        QVERIFY(source.contains("set_color(RED)"));
        source.replace("set_color(RED)", "set_color(BLUE)");
        QVERIFY(test::writeFile(options.scriptPath, source));

        const RenderRun second = renderAndWait(agent, options);
        QVERIFY2(second.result.result.ok(), second.describe().constData());
        QCOMPARE(second.result.mediaDir, first.result.mediaDir); // the same persistent media dir
        const QStringList after =
            QDir(partialDir).entryList({QStringLiteral("*.mp4")}, QDir::Files, QDir::Name);
        QStringList added;
        for (const QString& name : after) {
            if (!before.contains(name))
                added << name;
        }
        QCOMPARE(added.size(), 1); // only the edited animation was rendered again
        for (const QString& name : before) {
            QVERIFY(after.contains(name));
            QCOMPARE(QFileInfo(QDir(partialDir).filePath(name)).lastModified(),
                     modified.value(name));
        }
    }

    void cachedAnimationsReportedAsCached() {
        ManimExecutionAgent agent;
        const RenderOptions options = optionsFor(QStringLiteral("steps_scene.py"));
        QVERIFY(renderAndWait(agent, options).result.result.ok());
        const RenderRun again = renderAndWait(agent, options);
        QVERIFY2(again.result.result.ok(), again.describe().constData());
        QSet<int> cached;
        for (const RenderProgress& p : again.parsedProgress()) {
            if (p.label == QLatin1String("cached")) {
                QCOMPARE(p.percent, 100);
                cached.insert(p.animationIndex);
            }
        }
        QCOMPARE(cached, (QSet<int>{0, 1, 2})); // "Animation N : Using cached data" for each
    }

    // ---- stopping -----------------------------------------------------------------------

    void cancelMidRender() {
        ManimExecutionAgent agent;
        RenderRun run;
        RenderRecorder recorder(agent, run);
        RenderOptions options = optionsFor(QStringLiteral("long_scene.py"));
        // The script reports its child's pid: in the sandbox that is its PID namespace's own,
        // meaningless here (tst_sandbox checks that nothing is left there).
        options.backend = RenderBackend::Local;
        run.jobId = agent.render(options);
        QVERIFY(!run.jobId.isEmpty());
        const QString started = QDir(jobDir(run.jobId)).filePath(QStringLiteral("started"));
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(started), 60000);
        const qint64 pid = agent.currentPid();
        QVERIFY(pid > 0);
        groupsToReap_ << pid;
        const qint64 childPid =
            test::readFile(QDir(jobDir(run.jobId)).filePath(QStringLiteral("child.pid")))
                .trimmed()
                .toLongLong();
        QVERIFY(childPid > 0);
        QVERIFY(!test::processGroupGone(pid));
        QVERIFY(!run.finished);

        QElapsedTimer clock;
        clock.start();
        agent.cancel();
        QTRY_VERIFY_WITH_TIMEOUT(run.finished, 5000);
        QVERIFY(clock.elapsed() < 5000);
        QCOMPARE(run.finishedCount, 1);
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Cancelled);
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::Cancelled);
        QVERIFY(run.result.outputs.isEmpty());
        QVERIFY(!agent.isRunning());
        QCOMPARE(agent.currentPid(), qint64(0));
        QVERIFY(test::processGone(pid));
        // The script's own child was in the same group; zombies may wait for init to reap them.
        QTRY_VERIFY_WITH_TIMEOUT(test::processGroupGone(pid), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(test::processGone(childPid), 10000);
        QVERIFY(!QFileInfo::exists(jobDir(run.jobId)));
    }

    void cancelWhileListingScenes() {
        // Cancelling must neither block on nor abandon the scene finder's process.
        QTest::failOnWarning(
            QRegularExpression(QStringLiteral("QProcess: Destroyed while process")));
        ManimExecutionAgent agent;
        RenderRun run;
        RenderRecorder recorder(agent, run);
        run.jobId = agent.render(optionsFor(QStringLiteral("text_scene.py")));
        QVERIFY(!run.jobId.isEmpty());
        agent.cancel();
        QTRY_VERIFY_WITH_TIMEOUT(run.finished, 5000);
        QTest::qWait(500); // the scene lookup must not resume the job afterwards
        QCOMPARE(run.finishedCount, 1);
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Cancelled);
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::Cancelled);
        QVERIFY(run.progress.isEmpty());
        QVERIFY(!agent.isRunning());
    }

    void timeoutStopsEndlessScene() {
        ManimExecutionAgent agent;
        RenderRun run;
        RenderRecorder recorder(agent, run);
        RenderOptions options = optionsFor(QStringLiteral("forever_scene.py"));
        options.timeoutSec = 2;
        QElapsedTimer clock;
        clock.start();
        run.jobId = agent.render(options);
        QTRY_VERIFY_WITH_TIMEOUT(agent.currentPid() > 0, 30000);
        const qint64 pid = agent.currentPid();
        groupsToReap_ << pid;
        QTRY_VERIFY_WITH_TIMEOUT(run.finished, 20000);
        QVERIFY(clock.elapsed() >= 2000);
        QCOMPARE(run.finishedCount, 1);
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QCOMPARE(run.result.failedScene, QStringLiteral("Spin"));
        QVERIFY(test::processGone(pid));
        QTRY_VERIFY_WITH_TIMEOUT(test::processGroupGone(pid), 10000);
        QVERIFY(!QFileInfo::exists(jobDir(run.jobId)));
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::Timeout);
    }

    void timeoutKillsSceneIgnoringSigterm() {
        ManimExecutionAgent agent;
        agent.setKillGraceMs(500);
        RenderRun run;
        RenderRecorder recorder(agent, run);
        RenderOptions options = optionsFor(QStringLiteral("stubborn_scene.py"));
        options.timeoutSec = 2;
        run.jobId = agent.render(options);
        QTRY_VERIFY_WITH_TIMEOUT(agent.currentPid() > 0, 30000);
        const qint64 pid = agent.currentPid();
        groupsToReap_ << pid;
        QTRY_VERIFY_WITH_TIMEOUT(run.finished, 20000);
        QCOMPARE(run.finishedCount, 1);
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QVERIFY(test::processGone(pid));
        QTRY_VERIFY_WITH_TIMEOUT(test::processGroupGone(pid), 10000);
        // Killed with SIGKILL after the grace period, but because of the time limit.
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::Timeout);
    }

    void killedBySignal() {
        ManimExecutionAgent agent;
        const RenderOptions options = optionsFor(QStringLiteral("killed_scene.py"));
        const RenderRun run = renderAndWait(agent, options);
        QVERIFY(run.finished);
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QCOMPARE(run.result.failedScene, QStringLiteral("Doomed"));
        QVERIFY(run.result.outputs.isEmpty());
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::Killed);
    }

    // ---- job folders --------------------------------------------------------------------

    void jobFolderRemovedSiblingUntouched() {
        QVERIFY(paths::ensureDir(paths::jobsDir()));
        const QString sibling =
            QDir(paths::jobsDir()).filePath(QStringLiteral("20200101-000000-000-abcdef"));
        QVERIFY(paths::ensureDir(sibling + QStringLiteral("/sub")));
        QVERIFY(test::writeFile(sibling + QStringLiteral("/keep.py"), "print('mine')\n"));
        QVERIFY(test::writeFile(sibling + QStringLiteral("/sub/keep.mp4"), "not a video"));

        ManimExecutionAgent agent;
        bool jobDirExistedDuringRender = false;
        connect(&agent, &ManimExecutionAgent::sceneFinished, this,
                [&jobDirExistedDuringRender](const QString& jobId, const SceneOutput&) {
                    jobDirExistedDuringRender = QFileInfo(jobDir(jobId)).isDir();
                });
        const RenderOptions options =
            optionsFor(QStringLiteral("two_scenes.py"), {QStringLiteral("First")});
        const RenderRun run = renderAndWait(agent, options);
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        QVERIFY(jobDirExistedDuringRender);
        QVERIFY(!QFileInfo::exists(jobDir(run.jobId)));
        QCOMPARE(QDir(paths::jobsDir()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot),
                 QStringList{QFileInfo(sibling).fileName()});
        QCOMPARE(test::readFile(sibling + QStringLiteral("/keep.py")),
                 QByteArray("print('mine')\n"));
        QCOMPARE(test::readFile(sibling + QStringLiteral("/sub/keep.mp4")),
                 QByteArray("not a video"));
    }

    void failedJobFolderRemovedToo() {
        ManimExecutionAgent agent;
        const RenderRun run =
            renderAndWait(agent, optionsFor(QStringLiteral("name_error_scene.py")));
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QVERIFY(!QFileInfo::exists(jobDir(run.jobId)));
    }

    void scriptNeverExecutedInPlace() {
        ManimExecutionAgent agent;
        agent.setKeepJobFolders(true);
        const RenderOptions options = optionsFor(QStringLiteral("marker_scene.py"));
        const QString beside =
            QFileInfo(options.scriptPath).absoluteDir().filePath(QStringLiteral("ran-here.marker"));
        const RenderRun run = renderAndWait(agent, options);
        QVERIFY2(run.result.result.ok(), run.describe().constData());
        const QString inJob = QDir(jobDir(run.jobId)).filePath(QStringLiteral("ran-here.marker"));
        QVERIFY2(QFileInfo::exists(inJob), qPrintable(inJob));
        // The marker records which file ran: the job's own copy.
        QCOMPARE(QFileInfo(QString::fromUtf8(test::readFile(inJob))).absolutePath(),
                 QFileInfo(jobDir(run.jobId)).absoluteFilePath());
        QVERIFY2(!QFileInfo::exists(beside), "the user's script ran in place");
        // The user's file is untouched.
        QCOMPARE(test::readFile(options.scriptPath),
                 test::readFile(test::sceneFixture(QStringLiteral("marker_scene.py"))));
    }

    // ---- errors -------------------------------------------------------------------------

    void noSceneInFile() {
        ManimExecutionAgent agent;
        const RenderRun run = renderAndWait(agent, optionsFor(QStringLiteral("no_scene.py")));
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::NoScene);
        QVERIFY(!run.result.result.error.hint.isEmpty());
        QVERIFY(run.progress.isEmpty()); // decided without starting manim
    }

    void emptyFileIsNoScene() {
        ManimExecutionAgent agent;
        RenderOptions options;
        options.scriptPath = QDir(env_->workDir()).filePath(QStringLiteral("empty.py"));
        options.quality = Quality::Low;
        QVERIFY(test::writeFile(options.scriptPath, {}));
        const RenderRun run = renderAndWait(agent, options);
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::NoScene);
    }

    void noSceneWhenManimLooks() {
        // manim itself says "There are no scenes inside that module" and exits 0.
        ManimExecutionAgent agent;
        const RenderRun run =
            renderAndWait(agent, optionsFor(QStringLiteral("vanishing_scene.py")));
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QCOMPARE(run.result.failedScene, QStringLiteral("Ghost"));
        QVERIFY(run.result.outputs.isEmpty());
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::NoScene);
    }

    void staleOutputNotReportedWhenSceneDisappears() {
        // A first render leaves Ghost's image in the persistent media folder; after the edit
        // manim finds no scene (exit 0) and writes nothing: the old file is not a result.
        ManimExecutionAgent agent;
        const RenderOptions options = optionsFor(QStringLiteral("vanishing_scene.py"));
        QByteArray source = test::readFile(options.scriptPath);
        QVERIFY(source.contains("\ndel Ghost"));
        QVERIFY(test::writeFile(options.scriptPath,
                                QByteArray(source).replace("\ndel Ghost", "\n# del Ghost")));
        const RenderRun first = renderAndWait(agent, options);
        QVERIFY2(first.result.result.ok(), first.describe().constData());
        QVERIFY(test::isNonEmptyFile(first.result.outputs.first().path));

        QVERIFY(test::writeFile(options.scriptPath, source));
        const RenderRun second = renderAndWait(agent, options);
        QVERIFY2(!second.result.result.ok(), "a stale file from the previous render was reported");
        QVERIFY(second.result.outputs.isEmpty());
        QCOMPARE_CATEGORY(second.result.result.error.category, ErrorCategory::NoScene);
    }

    void sceneThatLostItsAnimationsGivesFreshPng() {
        // Rendered once with animations (mp4), then edited to a still scene: manim writes a
        // PNG; the old mp4 still in the media folder must not be reported.
        ManimExecutionAgent agent;
        const RenderOptions options = optionsFor(QStringLiteral("steps_scene.py"));
        const RenderRun first = renderAndWait(agent, options);
        QVERIFY2(first.result.result.ok(), first.describe().constData());
        QVERIFY(!first.result.outputs.first().stillImage);
        QVERIFY(test::writeFile(options.scriptPath, "from manim import *\n\n\n"
                                                    "class Steps(Scene):\n"
                                                    "    def construct(self):\n"
                                                    "        self.add(Square())\n"));
        const RenderRun second = renderAndWait(agent, options);
        QVERIFY2(second.result.result.ok(), second.describe().constData());
        const SceneOutput& output = second.result.outputs.first();
        QCOMPARE(output.path,
                 expectedStillImagePath(second.result.mediaDir, QStringLiteral("steps_scene"),
                                        QStringLiteral("Steps"), second.result.manimVersion));
        QVERIFY(output.stillImage);
    }

    void syntaxErrorGivesLine() {
        ManimExecutionAgent agent;
        const RenderRun run =
            renderAndWait(agent, optionsFor(QStringLiteral("finder_syntax_error.py")));
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::Syntax);
        QCOMPARE(run.result.result.error.scriptLine, 5);
        QVERIFY(run.progress.isEmpty());
    }

    void nameErrorIsMissingManimName_data() {
        // The job's copy of the script is DATA/jobs/<26-char job id>/name_error_scene.py, so the
        // data folder's length decides how Rich wraps "path:7 in construct" in its 76-column
        // traceback panel.
        QTest::addColumn<int>("dataDirLength");
        QTest::newRow("header wraps before 'construct'") << 15;
        QTest::newRow("'path:7' fills the panel, 'in construct' on the next line") << 22;
        QTest::newRow("':7 in construct' on the next line") << 24;
        QTest::newRow("path folded mid-word") << 40;
    }
    void nameErrorIsMissingManimName() {
        QFETCH(int, dataDirLength);
        QTemporaryDir base(QDir::tempPath() + QStringLiteral("/o-XXXXXX"));
        QVERIFY(base.isValid());
        if (base.path().size() + 2 > dataDirLength)
            QSKIP("the temporary folder's path is too long for this row");
        const QString dataDir =
            base.path() + QStringLiteral("/d") +
            QString(dataDirLength - int(base.path().size()) - 2, QLatin1Char('x'));
        QCOMPARE(dataDir.size(), dataDirLength);
        QVERIFY(paths::ensureDir(dataDir));
        qputenv("OMEGA_DATA_DIR", dataDir.toUtf8()); // restored by cleanup()

        ManimExecutionAgent agent;
        const RenderOptions options = optionsFor(QStringLiteral("name_error_scene.py"));
        const RenderRun run = renderAndWait(agent, options);
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QCOMPARE(run.result.failedScene, QStringLiteral("OldApi"));
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::MissingManimName);
        QCOMPARE(run.result.result.error.missingName, QStringLiteral("ShowCreation"));
        const int line =
            test::lineStartingWith(options.scriptPath, QStringLiteral("self.play(ShowCreation"));
        QCOMPARE(line, 7);
        QCOMPARE(run.result.result.error.scriptLine, line);
    }

    void missingFileIsUsage() {
        ManimExecutionAgent agent;
        RenderOptions options;
        options.scriptPath = QDir(env_->workDir()).filePath(QStringLiteral("nope.py"));
        const RenderRun run = renderAndWait(agent, options, 10000);
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::Usage);
        QVERIFY(!QFileInfo::exists(paths::jobsDir()) || QDir(paths::jobsDir()).isEmpty());
    }

    void missingPythonIsEnvironment() {
        ManimExecutionAgent agent;
        agent.setPython(QDir(env_->workDir()).filePath(QStringLiteral("no-venv/bin/python")));
        const RenderRun run =
            renderAndWait(agent, optionsFor(QStringLiteral("text_scene.py")), 10000);
        QCOMPARE_STATUS(run.result.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(run.result.result.error.category, ErrorCategory::Environment);
        QVERIFY(run.result.result.error.hint.contains(QLatin1String("setup")));
    }

private:
    static QString partialMoviesDir(const QString& mediaDir, const QString& module,
                                    const QString& scene) {
        return QDir(mediaDir).filePath(
            QStringLiteral("videos/%1/480p15/partial_movie_files/%2").arg(module, scene));
    }
};

QTEST_GUILESS_MAIN(TestRender)
#include "tst_render.moc"
