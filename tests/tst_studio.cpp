// The whole studio, driven like a user would: the real window, the fake provider server in this
// process (OpenAI-compatible wire format, streamed), real Manim renders, real SQLite history.
// Label "gui": scripts/test.sh runs it on an Xvfb screen, where video frames reach the preview's
// QVideoSink. With OMEGA_SCREENSHOT_DIR set, the main states are also captured from the X screen
// (imagemagick's `import`; QWidget::grab would miss the video surface).
#include "ActivityPanel.h"
#include "FakeProviderServer.h"
#include "HistoryPanel.h"
#include "HistoryStore.h"
#include "Logger.h"
#include "MainWindow.h"
#include "Paths.h"
#include "PromptEditor.h"
#include "ProviderSettings.h"
#include "ScriptEditor.h"
#include "VideoPreview.h"

#include "QsciHeaders.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using omega::FakeProviderServer;
using omega::ProviderConfig;
using omega::ProviderType;
using omega::ui::MainWindow;
using omega::ui::MainWindowOptions;

namespace {
constexpr int kRenderTimeoutMs = 180000;

const QString kGoodScript =
    QStringLiteral("from manim import *\n"
                   "\n"
                   "\n"
                   "class Hello(Scene):\n"
                   "    def construct(self):\n"
                   "        dot = Dot(color=BLUE)\n"
                   "        self.play(FadeIn(dot), run_time=0.5)\n"
                   "        self.play(dot.animate.shift(RIGHT), run_time=0.5)\n");

// NameError on line 7.
const QString kBrokenScript = QStringLiteral("from manim import *\n"
                                             "\n"
                                             "\n"
                                             "class Hello(Scene):\n"
                                             "    def construct(self):\n"
                                             "        dot = Dot(color=BLUE)\n"
                                             "        self.play(FadeIn(dott), run_time=0.5)\n");

QString answerWith(const QString& script) {
    return QStringLiteral("Here is the scene:\n\n```python\n%1```\n\nIt moves a dot.\n")
        .arg(script);
}

bool onXcb() {
    return qEnvironmentVariable("QT_QPA_PLATFORM") == QLatin1String("xcb") ||
           (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") &&
            !qEnvironmentVariableIsEmpty("DISPLAY"));
}

// A picture of the X screen, for docs/ (only when OMEGA_SCREENSHOT_DIR is set).
void screenshot(const QString& name) {
    const QString dir = qEnvironmentVariable("OMEGA_SCREENSHOT_DIR");
    if (dir.isEmpty() || !onXcb())
        return;
    QCoreApplication::processEvents();
    QProcess import;
    import.start(QStringLiteral("import"), {QStringLiteral("-window"), QStringLiteral("root"),
                                            QDir(dir).filePath(name + QStringLiteral(".png"))});
    // A test helper, not app code: waiting here is fine.
    if (!import.waitForFinished(20000))
        qWarning("screenshot %s timed out", qPrintable(name));
}
} // namespace

class TestStudio : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void promptStreamsIntoTheEditorThenRendersAndPlays();
    void stopRestoresTheScript();
    void failedRenderMarksTheLineAndTheAiFixIsAcceptedThenRendered();
    void revertPutsTheOldScriptBack();
    void editAndRerunShowsTheNewRender();
    void historySurvivesARestart();
    void noProviderShowsTheWayToAddOne();
    void layoutIsRestored();
    void firstRunCreatesTheRenderEnvironment();

private:
    QString writeScript(const QString& name, const QString& text);
    void useFakeProvider();
    MainWindowOptions optionsFor(const QString& script = {});

    QTemporaryDir dataDir_;
    QTemporaryDir configDir_;
    QTemporaryDir scriptsDir_;
    FakeProviderServer server_;
};

QString TestStudio::writeScript(const QString& name, const QString& text) {
    const QString path = QDir(scriptsDir_.path()).filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(text.toUtf8()) < 0)
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

void TestStudio::initTestCase() {
    QVERIFY(dataDir_.isValid() && configDir_.isValid() && scriptsDir_.isValid());
    qputenv("OMEGA_DATA_DIR", dataDir_.path().toUtf8());
    qputenv("OMEGA_CONFIG_DIR", configDir_.path().toUtf8());
    qputenv("OMEGA_NO_CLOSE_PROMPT", "1");
    if (qEnvironmentVariableIntValue("OMEGA_TEST_LOG") != 0)
        connect(&omega::Logger::instance(), &omega::Logger::recordAdded, this,
                [](const omega::LogRecord& record) { qInfo("%s", qPrintable(record.toLine())); });
    if (!QFileInfo(omega::paths::renderPython()).isExecutable())
        QSKIP("No render Python (run scripts/setup.sh); the studio tests need real renders.");
    // A local OpenAI-compatible server needs no key (and the window sends none).
    server_.setExpectedKey(QString());
    QVERIFY2(server_.listen(), qPrintable(server_.errorString()));
}

void TestStudio::init() {
    server_.reset();
    QFile::remove(omega::ProviderSettings::settingsFile());
}

void TestStudio::useFakeProvider() {
    ProviderConfig config =
        omega::defaultProviderConfig(ProviderType::OpenAICompatible, QStringLiteral("local-fake"));
    config.endpoint = server_.baseUrl().toString() + QStringLiteral("/v1");
    config.model = QStringLiteral("llama-test");
    config.connectTimeoutMs = 10000;
    config.idleTimeoutMs = 20000;
    config.maxRetries = 0;
    QString error;
    QVERIFY2(omega::ProviderSettings::save({config}, &error), qPrintable(error));
}

MainWindowOptions TestStudio::optionsFor(const QString& script) {
    MainWindowOptions options;
    options.scriptPath = script;
    options.autoRender = false;
    return options;
}

void TestStudio::promptStreamsIntoTheEditorThenRendersAndPlays() {
    useFakeProvider();
    server_.setAnswer(answerWith(kGoodScript));
    omega::FakeProviderConfig fake = server_.config();
    fake.chunkSize = 8; // many small deltas, a few ms apart, like a real model
    fake.dripDelayMs = 8;
    server_.setConfig(fake);
    server_.setDefaultScenario(QStringLiteral("slow-drip"));

    MainWindow window(optionsFor(writeScript(QStringLiteral("start.py"), kBrokenScript)));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const QString before = window.editor()->text();

    // What the editor shows while the answer streams in: growing code, never the prose.
    QStringList seen;
    connect(window.editor()->scintilla(), &QsciScintilla::textChanged, this, [&] {
        if (window.editor()->isStreaming())
            seen << window.editor()->text();
    });
    QSignalSpy generated(&window, &MainWindow::generationFinished);
    QSignalSpy rendered(&window, &MainWindow::renderFinished);
    // Progress: manim's animations as they render (the label names them, the bar moves).
    int progressSeen = 0;
    QTimer sampler;
    connect(&sampler, &QTimer::timeout, this, [&] {
        if (window.isRendering() &&
            window.progressLabel()->text().startsWith(QLatin1String("Animation")))
            ++progressSeen;
    });
    sampler.start(20);

    QPlainTextEdit* prompt = window.promptEditor()->textEdit();
    prompt->setFocus();
    QTest::keyClicks(prompt, QStringLiteral("A blue dot fades in and moves right"));
    QTest::keyClick(prompt, Qt::Key_Return, Qt::ControlModifier);
    QTRY_VERIFY_WITH_TIMEOUT(window.isBusy(), 5000);

    QTRY_COMPARE_WITH_TIMEOUT(generated.count(), 1, 30000);
    const auto generation = generated.at(0).at(0).value<omega::GenerationResult>();
    QVERIFY2(generation.result.ok(), qPrintable(generation.result.error.message));
    QCOMPARE(window.editor()->text(), kGoodScript);
    QCOMPARE(window.sceneBox()->currentText(), QStringLiteral("Hello"));
    QVERIFY2(seen.size() >= 5, qPrintable(QString::number(seen.size())));
    for (const QString& partial : std::as_const(seen)) {
        QVERIFY2(kGoodScript.startsWith(partial), qPrintable(partial));
        QVERIFY(!partial.contains(QLatin1String("```")));
    }
    screenshot(QStringLiteral("studio-generated"));

    // The generated script renders at once (through the healing pipeline), with progress.
    QTRY_VERIFY_WITH_TIMEOUT(window.isRendering(), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(rendered.count(), 1, kRenderTimeoutMs);
    const auto render = rendered.at(0).at(0).value<omega::RenderResult>();
    QVERIFY2(render.result.ok(), qPrintable(window.statusText()));
    QVERIFY2(progressSeen > 0, "the progress bar never moved");
    QVERIFY(!window.preview()->source().isEmpty());
    if (onXcb()) {
        QTRY_VERIFY_WITH_TIMEOUT(window.preview()->framesShown() >= 5, 30000);
        screenshot(QStringLiteral("studio-rendered"));
    }

    // One undo step brings the script from before the generation back.
    window.editor()->scintilla()->undo();
    QCOMPARE(window.editor()->text(), before);

    // The prompt, the version and the render are in the history.
    QVERIFY(window.currentHistoryEntry() > 0);
    const auto entry = window.history()->load(window.currentHistoryEntry());
    QVERIFY(entry.has_value());
    QCOMPARE(entry->summary.prompt, QStringLiteral("A blue dot fades in and moves right"));
    QVERIFY(!entry->versions.isEmpty());
    QCOMPARE(entry->versions.first().code, kGoodScript);
    QCOMPARE(entry->versions.first().source, QStringLiteral("prompt"));
    QVERIFY(!entry->attempts.isEmpty());
    QVERIFY(entry->attempts.last().succeeded);
}

void TestStudio::stopRestoresTheScript() {
    useFakeProvider();
    server_.setAnswer(answerWith(kGoodScript));
    server_.setDefaultScenario(QStringLiteral("slow-drip"));
    MainWindow window(optionsFor(writeScript(QStringLiteral("keep.py"), kBrokenScript)));
    window.show();
    window.promptEditor()->setPrompt(QStringLiteral("anything"));
    window.generate(window.promptEditor()->prompt());
    QTRY_VERIFY_WITH_TIMEOUT(window.editor()->isStreaming() && !window.editor()->text().isEmpty(),
                             20000);
    QVERIFY(window.editor()->text() != kBrokenScript);
    window.stopGeneration();
    QVERIFY(!window.isBusy());
    QVERIFY(!window.editor()->isStreaming());
    QCOMPARE(window.editor()->text(), kBrokenScript);
    QVERIFY(window.statusText().contains(QLatin1String("stopped")));
    // The working copy on disk was never touched by the partial answer.
    QFile copy(window.workingScriptPath());
    QVERIFY(copy.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(copy.readAll()), kBrokenScript);
}

void TestStudio::failedRenderMarksTheLineAndTheAiFixIsAcceptedThenRendered() {
    useFakeProvider();
    server_.setAnswer(answerWith(kGoodScript));
    MainWindow window(optionsFor(writeScript(QStringLiteral("broken.py"), kBrokenScript)));
    window.show();
    QSignalSpy rendered(&window, &MainWindow::renderFinished);
    QSignalSpy fixes(&window, &MainWindow::fixReady);

    window.startRender();
    QTRY_COMPARE_WITH_TIMEOUT(rendered.count(), 1, kRenderTimeoutMs);
    QCOMPARE(rendered.at(0).at(0).value<omega::RenderResult>().result.status,
             omega::ResultStatus::Failed);
    // The marker sits on line 7 (0-based 6 in QScintilla), with the message as an annotation.
    QCOMPARE(window.editor()->errorLine(), 7);
    QVERIFY(window.editor()->scintilla()->markersAtLine(6) != 0);
    QVERIFY2(window.editor()->scintilla()->annotation(6).contains(QLatin1String("dott")),
             qPrintable(window.editor()->scintilla()->annotation(6)));
    QVERIFY(window.fixButton()->isVisible());
    screenshot(QStringLiteral("studio-error"));

    QTest::mouseClick(window.fixButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(fixes.count(), 1, 30000);
    QVERIFY(fixes.at(0).at(0).value<omega::FixResult>().result.ok());
    QVERIFY(window.activity()->hasPendingFix());
    // Nothing changed in the editor until the user accepts.
    QCOMPARE(window.editor()->text(), kBrokenScript);
    // The request carried the error and the numbered script.
    const QList<omega::RecordedRequest> requests = server_.requests();
    QVERIFY(!requests.isEmpty());
    QVERIFY(requests.last().body.contains("dott"));
    screenshot(QStringLiteral("studio-fix-diff"));

    QTest::mouseClick(window.activity()->acceptButton(), Qt::LeftButton);
    QCOMPARE(window.editor()->text(), kGoodScript);
    QTRY_COMPARE_WITH_TIMEOUT(rendered.count(), 2, kRenderTimeoutMs);
    QVERIFY2(rendered.at(1).at(0).value<omega::RenderResult>().result.ok(),
             qPrintable(window.statusText()));
    QCOMPARE(window.editor()->errorLine(), 0);
    QVERIFY(!window.fixButton()->isVisible());

    // Both versions and both attempts are in the history: the file, then the AI's fix.
    const auto entry = window.history()->load(window.currentHistoryEntry());
    QVERIFY(entry.has_value());
    QCOMPARE(entry->versions.size(), 2);
    QCOMPARE(entry->versions.at(1).source, QStringLiteral("ai"));
    QCOMPARE(entry->attempts.size(), 2);
    QVERIFY(!entry->attempts.at(0).succeeded);
    QCOMPARE(entry->attempts.at(0).errorLine, 7);
    QVERIFY(entry->attempts.at(1).succeeded);
}

void TestStudio::revertPutsTheOldScriptBack() {
    useFakeProvider();
    server_.setAnswer(answerWith(kGoodScript));
    MainWindow window(optionsFor(writeScript(QStringLiteral("revert.py"), kBrokenScript)));
    window.show();
    QSignalSpy rendered(&window, &MainWindow::renderFinished);
    QSignalSpy fixes(&window, &MainWindow::fixReady);
    window.startRender();
    QTRY_COMPARE_WITH_TIMEOUT(rendered.count(), 1, kRenderTimeoutMs);
    window.fixWithAi();
    QTRY_COMPARE_WITH_TIMEOUT(fixes.count(), 1, 30000);
    QTest::mouseClick(window.activity()->acceptButton(), Qt::LeftButton);
    QCOMPARE(window.editor()->text(), kGoodScript);
    QTest::mouseClick(window.activity()->revertButton(), Qt::LeftButton);
    QCOMPARE(window.editor()->text(), kBrokenScript);
    QTRY_VERIFY_WITH_TIMEOUT(!window.isBusy(), kRenderTimeoutMs);
}

void TestStudio::editAndRerunShowsTheNewRender() {
    MainWindow window(optionsFor(writeScript(QStringLiteral("edit.py"), kGoodScript)));
    window.show();
    QSignalSpy rendered(&window, &MainWindow::renderFinished);
    window.startRender();
    QTRY_COMPARE_WITH_TIMEOUT(rendered.count(), 1, kRenderTimeoutMs);
    QVERIFY(rendered.at(0).at(0).value<omega::RenderResult>().result.ok());
    const QString first = window.preview()->source();

    // Edit like a user: type into the editor, then Ctrl+R (a window shortcut: the window must
    // be the active one).
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    QsciScintilla* sci = window.editor()->scintilla();
    sci->setFocus();
    sci->setCursorPosition(5, 0); // start of "        dot = Dot(color=BLUE)"
    sci->setSelection(5, 0, 5, sci->text(5).size() - 1);
    QTest::keyClicks(sci, QStringLiteral("        dot = Square(color=RED)"));
    QVERIFY(window.editor()->text().contains(QLatin1String("Square(color=RED)")));
    QTest::keyClick(sci, Qt::Key_R, Qt::ControlModifier);
    QTRY_VERIFY_WITH_TIMEOUT(window.isRendering() || rendered.count() == 2, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(rendered.count(), 2, kRenderTimeoutMs);
    QVERIFY2(rendered.at(1).at(0).value<omega::RenderResult>().result.ok(),
             qPrintable(window.statusText()));
    const QString second = window.preview()->source();
    QVERIFY(second != first);
    QVERIFY(QFileInfo::exists(first)); // kept for the history, never overwritten
    QFile copy(window.workingScriptPath());
    QVERIFY(copy.open(QIODevice::ReadOnly));
    QVERIFY(copy.readAll().contains("Square(color=RED)"));
}

void TestStudio::historySurvivesARestart() {
    QString script = kGoodScript;
    script.replace(QLatin1String("BLUE"), QLatin1String("GREEN"));
    qint64 entryId = 0;
    {
        MainWindow window(optionsFor(writeScript(QStringLiteral("remember.py"), script)));
        window.show();
        QSignalSpy rendered(&window, &MainWindow::renderFinished);
        window.startRender();
        QTRY_COMPARE_WITH_TIMEOUT(rendered.count(), 1, kRenderTimeoutMs);
        QVERIFY(rendered.at(0).at(0).value<omega::RenderResult>().result.ok());
        entryId = window.currentHistoryEntry();
        QVERIFY(entryId > 0);
        window.close();
    }
    MainWindow window(optionsFor());
    window.show();
    QVERIFY(window.history()->isOpen());
    const QList<omega::ui::HistorySummary> recent = window.history()->recent(50);
    bool found = false;
    for (const auto& summary : recent)
        found = found || summary.id == entryId;
    QVERIFY(found);
    QAbstractItemView* view = window.historyPanel()->view();
    QTRY_VERIFY_WITH_TIMEOUT(view->model() && view->model()->rowCount() > 0, 5000);
    screenshot(QStringLiteral("studio-history"));

    QVERIFY(window.reopenHistoryEntry(entryId));
    QCOMPARE(window.editor()->text(), script);
    QCOMPARE(window.currentHistoryEntry(), entryId);
    QVERIFY(!window.preview()->source().isEmpty()); // the last render is back in the preview
}

void TestStudio::noProviderShowsTheWayToAddOne() {
    MainWindow window(optionsFor(writeScript(QStringLiteral("none.py"), kGoodScript)));
    window.show();
    window.generate(QStringLiteral("a circle"));
    QVERIFY(!window.isBusy());
    QVERIFY2(window.statusText().contains(QLatin1String("Settings")),
             qPrintable(window.statusText()));
    QCOMPARE(window.editor()->text(), kGoodScript);
}

void TestStudio::layoutIsRestored() {
    QByteArray geometry;
    {
        MainWindow window(optionsFor(writeScript(QStringLiteral("layout.py"), kGoodScript)));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        // Fits a 1366-pixel laptop screen.
        QVERIFY2(window.minimumSizeHint().width() <= 1340,
                 qPrintable(QString::number(window.minimumSizeHint().width())));
        window.resize(1350, 777);
        window.setQuality(omega::Quality::Medium);
        QCoreApplication::processEvents();
        window.close();
    }
    MainWindow window(optionsFor(writeScript(QStringLiteral("layout.py"), kGoodScript)));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QCOMPARE(window.size(), QSize(1350, 777));
    QCOMPARE(window.quality(), omega::Quality::Medium);
}

void TestStudio::firstRunCreatesTheRenderEnvironment() {
    // An installed app's first run: no render Python. The window asks, then creates the venv
    // (here from a one-package requirements file, so the test needs only PyPI and seconds).
    QTemporaryDir venvRoot;
    QVERIFY(venvRoot.isValid());
    const QString venv = QDir(venvRoot.path()).filePath(QStringLiteral("venv"));
    const QString requirements =
        writeScript(QStringLiteral("requirements.txt"), QStringLiteral("six==1.16.0\n"));
    const QByteArray oldVenv = qgetenv("OMEGA_VENV");
    qputenv("OMEGA_VENV", venv.toUtf8());
    qputenv("OMEGA_RENDER_REQUIREMENTS", requirements.toUtf8());
    const auto restore = qScopeGuard([&] {
        qputenv("OMEGA_VENV", oldVenv);
        qunsetenv("OMEGA_RENDER_REQUIREMENTS");
    });

    MainWindow window(optionsFor(writeScript(QStringLiteral("first.py"), kGoodScript)));
    window.show();
    QSignalSpy finished(&window, &MainWindow::renderEnvironmentFinished);
    QMessageBox* question = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((question = window.findChild<QMessageBox*>()) != nullptr, 5000);
    QVERIFY(question->text().contains(venv));
    QVERIFY(window.statusText().contains(QLatin1String("Create the Render Environment")));
    screenshot(QStringLiteral("studio-first-run"));
    QTest::mouseClick(question->button(QMessageBox::Yes), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(window.isBusy(), 5000);
    QCOMPARE(window.renderButton()->text(), QStringLiteral("Cancel"));
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 300000);
    const auto result = finished.at(0).at(0).value<omega::RenderEnvironmentResult>();
    QVERIFY2(result.result.ok(), qPrintable(window.statusText()));
    QVERIFY(QFileInfo(QDir(venv).filePath(QStringLiteral("bin/python"))).isExecutable());
    QVERIFY2(window.statusText().contains(QLatin1String("ready")), qPrintable(window.statusText()));
    QVERIFY(!window.isBusy());
}

QTEST_MAIN(TestStudio)
#include "tst_studio.moc"
