// The activity panel fed like the window feeds it: render progress, healing attempts built
// from real classified failures (the recorded Manim output in fixtures/manim), log records,
// and a real diff between a ManimGL script and its rewritten version (fixtures/gate).
#include "ActivityPanel.h"
#include "DiffView.h"
#include "ErrorClassifier.h"
#include "LogView.h"
#include "Logger.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTreeWidget>

using omega::ErrorCategory;
using omega::ErrorReport;
using omega::HealingAttempt;
using omega::HealingResult;
using omega::LogLevel;
using omega::LogRecord;
using omega::RenderProgress;
using omega::ResultStatus;
using omega::ui::ActivityPanel;

namespace {
QByteArray readFixture(const QString& relative) {
    QFile file(QStringLiteral(OMEGA_FIXTURES_DIR "/") + relative);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(relative));
    return file.readAll();
}

// A failure classified from a recorded real Manim run, with the line it is expected at.
struct Classified {
    ErrorReport error;
    int expectedLine = 0;
};

Classified classified(const QString& name) {
    const QString base = QStringLiteral("manim/") + name;
    const QJsonObject json =
        QJsonDocument::fromJson(readFixture(base + QStringLiteral(".json"))).object();
    omega::ProcessOutcome outcome;
    outcome.stdoutText = QString::fromUtf8(readFixture(base + QStringLiteral(".stdout")));
    outcome.stderrText = QString::fromUtf8(readFixture(base + QStringLiteral(".stderr")));
    outcome.exitCode = json.value(QStringLiteral("exitCode")).toInt(-1);
    outcome.outputMissing = !json.value(QStringLiteral("outputExists")).toBool();
    outcome.scriptPathInJob = json.value(QStringLiteral("scriptPathInJob")).toString();
    Classified c;
    c.error = omega::classifyRenderFailure(outcome);
    c.expectedLine = json.value(QStringLiteral("expectedLine")).toInt();
    return c;
}

LogRecord record(LogLevel level, const char* agent, const QString& message) {
    LogRecord r;
    r.time = QDateTime::currentDateTimeUtc();
    r.level = level;
    r.agent = QString::fromUtf8(agent);
    r.message = message;
    return r;
}
LogRecord record(LogLevel level, const char* agent, const char* message) {
    return record(level, agent, QString::fromUtf8(message));
}

QStringList rowTexts(const QTreeWidget* view) {
    QStringList rows;
    for (int i = 0; i < view->topLevelItemCount(); ++i)
        rows << view->topLevelItem(i)->text(0);
    return rows;
}

QString documentText(const QPlainTextEdit* edit) {
    return edit->document()->toPlainText();
}

// The diff row whose text contains `needle`, or an invalid block.
QTextBlock rowWith(const QPlainTextEdit* edit, const QString& needle) {
    for (QTextBlock b = edit->document()->firstBlock(); b.isValid(); b = b.next()) {
        if (b.text().contains(needle))
            return b;
    }
    return {};
}
} // namespace

class TestActivityPanel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void progressBars();
    void attemptsTimelineFromRealFailures();
    void stoppedRunSaysWhy();
    void clickingARowActivatesTheAttempt();
    void copyCopiesRowsWithDetails();
    void logLevelAndTextFilters();
    void logKeepsTheNewest5000();
    void logDoesNotDoubleForwardedRecords();
    void fixShowsTheDiff();
    void acceptAndRevert();
    void diffColoursFollowThePalette();

private:
    QTemporaryDir dataDir_;
    QTemporaryDir configDir_;
    ActivityPanel* panel_ = nullptr;
};

void TestActivityPanel::initTestCase() {
    QVERIFY(dataDir_.isValid() && configDir_.isValid());
    qputenv("OMEGA_DATA_DIR", dataDir_.path().toUtf8());
    qputenv("OMEGA_CONFIG_DIR", configDir_.path().toUtf8());
}

void TestActivityPanel::init() {
    panel_ = new ActivityPanel;
    panel_->resize(720, 420);
    panel_->show();
    QVERIFY(QTest::qWaitForWindowExposed(panel_));
}

void TestActivityPanel::cleanup() {
    delete panel_;
    panel_ = nullptr;
}

void TestActivityPanel::progressBars() {
    RenderProgress p;
    p.scene = QStringLiteral("Welcome");
    p.animationIndex = 2;
    p.label = QStringLiteral("Create(Circle)");
    p.percent = 70;
    p.overallPercent = 40;
    panel_->setRenderProgress(p);
    QCOMPARE(panel_->animationBar()->value(), 70);
    QCOMPARE(panel_->overallBar()->maximum(), 100);
    QCOMPARE(panel_->overallBar()->value(), 40);
    QCOMPARE(panel_->animationText(), QStringLiteral("Welcome · Animation 2: Create(Circle)"));

    // The animation count is unknown (first render of the scene): indeterminate overall.
    p.overallPercent = -1;
    p.percent = 20;
    panel_->setRenderProgress(p);
    QCOMPARE(panel_->overallBar()->minimum(), 0);
    QCOMPARE(panel_->overallBar()->maximum(), 0);
    QCOMPARE(panel_->animationBar()->value(), 20);

    // The second of two scenes, half done: three quarters of the job.
    p.sceneIndex = 1;
    p.sceneCount = 2;
    p.scene = QStringLiteral("Second");
    p.overallPercent = 50;
    panel_->setRenderProgress(p);
    QCOMPARE(panel_->overallBar()->maximum(), 100);
    QCOMPARE(panel_->overallBar()->value(), 75);
    QVERIFY(panel_->animationText().startsWith(QStringLiteral("Scene 2/2 Second · ")));

    panel_->setStep(QStringLiteral("Rendering Welcome (attempt 2)…"));
    QCOMPARE(panel_->stepText(), QStringLiteral("Rendering Welcome (attempt 2)…"));
    panel_->clear();
    QCOMPARE(panel_->overallBar()->value(), 0);
    QCOMPARE(panel_->animationBar()->value(), 0);
    QCOMPARE(panel_->stepText(), QString());
    QCOMPARE(panel_->attemptsView()->topLevelItemCount(), 0);
}

void TestActivityPanel::attemptsTimelineFromRealFailures() {
    const Classified missingModule = classified(QStringLiteral("module_not_found"));
    const Classified zeroDivision = classified(QStringLiteral("zero_division"));
    const Classified syntax = classified(QStringLiteral("syntax_error"));
    QCOMPARE(missingModule.error.category, ErrorCategory::MissingModule);
    QCOMPARE(zeroDivision.error.category, ErrorCategory::CodeError);
    QCOMPARE(syntax.error.category, ErrorCategory::Syntax);

    HealingAttempt first;
    first.number = 1;
    first.fixSource = QStringLiteral("rewrite");
    first.fixDetail = QStringLiteral("ShowCreation → Create (line 9)");
    first.rendered = true;
    first.error = missingModule.error;
    HealingAttempt second;
    second.number = 2;
    second.fixSource = QStringLiteral("dependency");
    second.fixDetail = QStringLiteral("pyyaml 6.0.2");
    second.rendered = true;
    second.error = zeroDivision.error;
    HealingAttempt third;
    third.number = 3;
    third.fixSource = QStringLiteral("ai");
    third.fixDetail = QStringLiteral("openai gpt-4.1-mini");
    third.tokens.total = 1234;
    third.fixMs = 3100;
    third.rendered = false; // the gate rejected it
    third.error = syntax.error;
    HealingAttempt fourth;
    fourth.number = 4;
    fourth.fixSource = QStringLiteral("ai");
    fourth.fixDetail = QStringLiteral("openai gpt-4.1-mini");
    fourth.tokens.input = 900;
    fourth.tokens.output = 300;
    fourth.rendered = true;
    fourth.renderMs = 4200;
    fourth.outputs = QStringList{QStringLiteral("/tmp/media/Broken.mp4")};

    for (const HealingAttempt& attempt : {first, second, third, fourth})
        panel_->addAttempt(attempt);
    HealingResult result;
    result.attempts = {first, second, third, fourth};
    result.aiRequests = 2;
    result.tokensUsed = 2434;
    result.rendersAvoided = 1;
    result.result.timings.elapsedMs = 61500;
    panel_->setAttemptsFinished(result);

    const QStringList expected = {
        QStringLiteral("→ rewritten: ShowCreation → Create (line 9)"),
        QStringLiteral("Attempt 1 failed: missing module 'nonexistent_pkg_xyz' at line %1")
            .arg(missingModule.expectedLine),
        QStringLiteral("→ installed pyyaml 6.0.2"),
        QStringLiteral("Attempt 2 failed: ZeroDivisionError at line %1")
            .arg(zeroDivision.expectedLine),
        QStringLiteral("→ AI fix from openai gpt-4.1-mini (1234 tokens, 3.1 s)"),
        QStringLiteral("Attempt 3 rejected before rendering: syntax error at line %1")
            .arg(syntax.expectedLine),
        QStringLiteral("→ AI fix from openai gpt-4.1-mini (1200 tokens)"),
        QStringLiteral("Attempt 4 rendered in 4.2 s"),
        QStringLiteral("Rendered after 4 attempts in 61.5 s"),
    };
    QCOMPARE(rowTexts(panel_->attemptsView()), expected);
    // Each row has an icon, and a failure's row carries the full message and hint.
    for (int i = 0; i < panel_->attemptsView()->topLevelItemCount(); ++i)
        QVERIFY(!panel_->attemptsView()->topLevelItem(i)->icon(0).isNull());
    const QString tip = panel_->attemptsView()->topLevelItem(3)->toolTip(0);
    QVERIFY2(tip.contains(zeroDivision.error.message) && tip.contains(zeroDivision.error.hint),
             qPrintable(tip));
    QCOMPARE(panel_->overallBar()->value(), 100);
}

void TestActivityPanel::stoppedRunSaysWhy() {
    const Classified nameError = classified(QStringLiteral("name_error"));
    QCOMPARE(nameError.error.category, ErrorCategory::MissingManimName);
    HealingAttempt first;
    first.number = 1;
    first.fixSource = QStringLiteral("original");
    first.rendered = true;
    first.error = nameError.error;
    panel_->addAttempt(first); // the original: no fix row

    RenderProgress unknown;
    unknown.overallPercent = -1;
    panel_->setRenderProgress(unknown);
    QCOMPARE(panel_->overallBar()->maximum(), 0);

    HealingResult result;
    result.attempts = {first};
    result.result.status = ResultStatus::Failed;
    result.result.error = nameError.error;
    result.result.error.hint = QStringLiteral("Only an AI fix could go on from here.");
    panel_->setAttemptsFinished(result);
    QCOMPARE(rowTexts(panel_->attemptsView()),
             (QStringList{QStringLiteral("Attempt 1 failed: unknown name 'ShowCreation' at line %1")
                              .arg(nameError.expectedLine),
                          QStringLiteral("Stopped: ") + nameError.error.message}));
    QCOMPARE(panel_->attemptsView()->topLevelItem(1)->toolTip(0),
             QStringLiteral("Only an AI fix could go on from here."));
    QCOMPARE(panel_->overallBar()->maximum(), 100); // no bar left spinning

    panel_->clear();
    HealingResult cancelled;
    cancelled.result.status = ResultStatus::Cancelled;
    cancelled.result.error.category = ErrorCategory::Cancelled;
    panel_->setAttemptsFinished(cancelled);
    QCOMPARE(rowTexts(panel_->attemptsView()), QStringList{QStringLiteral("Stopped: cancelled")});
}

void TestActivityPanel::clickingARowActivatesTheAttempt() {
    HealingAttempt first;
    first.number = 1;
    first.rendered = true;
    first.fixSource = QStringLiteral("original");
    first.error = classified(QStringLiteral("type_error")).error;
    HealingAttempt second;
    second.number = 2;
    second.fixSource = QStringLiteral("ai");
    second.fixDetail = QStringLiteral("gemini gemini-2.5-flash");
    second.rendered = true;
    panel_->addAttempt(first);
    panel_->addAttempt(second);
    QCOMPARE(panel_->attemptsView()->topLevelItemCount(), 3);

    QSignalSpy activated(panel_, &ActivityPanel::attemptActivated);
    QTreeWidget* view = panel_->attemptsView();
    const QRect fixRow = view->visualItemRect(view->topLevelItem(1));
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, fixRow.center());
    QTRY_COMPARE(activated.count(), 1);
    QCOMPARE(activated.at(0).at(0).toInt(), 2);
    const QRect firstRow = view->visualItemRect(view->topLevelItem(0));
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, firstRow.center());
    QTRY_COMPARE(activated.count(), 2);
    QCOMPARE(activated.at(1).at(0).toInt(), 1);
}

void TestActivityPanel::copyCopiesRowsWithDetails() {
    const Classified zeroDivision = classified(QStringLiteral("zero_division"));
    HealingAttempt first;
    first.number = 1;
    first.rendered = true;
    first.fixSource = QStringLiteral("original");
    first.error = zeroDivision.error;
    panel_->addAttempt(first);
    QTreeWidget* view = panel_->attemptsView();
    view->setFocus();
    view->topLevelItem(0)->setSelected(true);
    QTest::keyClick(view, Qt::Key_C, Qt::ControlModifier);
    const QString copied = QApplication::clipboard()->text();
    QVERIFY2(copied.startsWith(view->topLevelItem(0)->text(0) + QLatin1Char('\n')),
             qPrintable(copied));
    QVERIFY2(copied.contains(QStringLiteral("    ") + zeroDivision.error.message),
             qPrintable(copied));
}

void TestActivityPanel::logLevelAndTextFilters() {
    omega::ui::LogView* log = panel_->logView();
    log->setFollowsLogger(false); // only the records of this test
    panel_->tabs()->setCurrentIndex(ActivityPanel::LogTab);
    panel_->addLogRecord(record(LogLevel::Debug, "ManimExecutionAgent", "argv: python -m manim"));
    panel_->addLogRecord(record(LogLevel::Info, "ManimExecutionAgent", "rendering Welcome"));
    panel_->addLogRecord(record(LogLevel::Warning, "ScriptGate", "rewrote ShowCreation"));
    panel_->addLogRecord(
        record(LogLevel::Error, "HealingPipeline", "render failed:\nTraceback (most recent)"));
    QCOMPARE(log->recordCount(), 4);
    // Debug is off by default.
    QCOMPARE(log->visibleRecordCount(), 3);
    QVERIFY(!documentText(log).contains(QStringLiteral("argv")));
    QVERIFY(documentText(log).contains(QStringLiteral("Traceback (most recent)")));

    QCheckBox* debug = panel_->levelCheckBox(LogLevel::Debug);
    QVERIFY(!debug->isChecked());
    QTest::mouseClick(debug, Qt::LeftButton, {}, QPoint(4, debug->height() / 2));
    QVERIFY(debug->isChecked());
    QCOMPARE(log->visibleRecordCount(), 4);
    QVERIFY(documentText(log).contains(QStringLiteral("argv: python -m manim")));

    QCheckBox* info = panel_->levelCheckBox(LogLevel::Info);
    QTest::mouseClick(info, Qt::LeftButton, {}, QPoint(4, info->height() / 2));
    QVERIFY(!info->isChecked());
    QCOMPARE(log->visibleRecordCount(), 3);
    QVERIFY(!documentText(log).contains(QStringLiteral("rendering Welcome")));

    // The text filter, case-insensitive, on the agent and the message.
    QTest::keyClicks(panel_->logFilterEdit(), QStringLiteral("showcreation"));
    QCOMPARE(log->visibleRecordCount(), 1);
    QVERIFY(documentText(log).contains(QStringLiteral("rewrote ShowCreation")));
    panel_->logFilterEdit()->clear();
    QTest::keyClicks(panel_->logFilterEdit(), QStringLiteral("healingpipeline"));
    QCOMPARE(log->visibleRecordCount(), 1);
    QVERIFY(documentText(log).contains(QStringLiteral("render failed")));
    // A new record that does not pass stays hidden, one that does shows at once.
    panel_->addLogRecord(record(LogLevel::Error, "ManimExecutionAgent", "no output"));
    panel_->addLogRecord(record(LogLevel::Error, "HealingPipeline", "gave up"));
    QCOMPARE(log->visibleRecordCount(), 2);
    QVERIFY(!documentText(log).contains(QStringLiteral("no output")));
    QVERIFY(documentText(log).contains(QStringLiteral("gave up")));
    panel_->logFilterEdit()->clear();
    QCOMPARE(log->visibleRecordCount(), 5); // all but the hidden Info record

    // setMinimumLevel (the view's old API) moves the checkboxes too.
    log->setMinimumLevel(LogLevel::Warning);
    QVERIFY(!panel_->levelCheckBox(LogLevel::Debug)->isChecked());
    QVERIFY(!panel_->levelCheckBox(LogLevel::Info)->isChecked());
    QVERIFY(panel_->levelCheckBox(LogLevel::Warning)->isChecked());
    QCOMPARE(log->visibleRecordCount(), 4);
}

void TestActivityPanel::logKeepsTheNewest5000() {
    omega::ui::LogView* log = panel_->logView();
    log->setFollowsLogger(false);
    panel_->tabs()->setCurrentIndex(ActivityPanel::LogTab);
    QCOMPARE(log->maxRecords(), 5000);
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < 5100; ++i) {
        // Every third record is a Debug one, hidden: the cap counts kept records.
        const LogLevel level = i % 3 == 0 ? LogLevel::Debug : LogLevel::Info;
        panel_->addLogRecord(
            record(level, "Test", QStringLiteral("message %1.").arg(i, 5, 10, QLatin1Char('0'))));
    }
    qInfo("5100 records appended in %lld ms", clock.elapsed());
    QCOMPARE(log->recordCount(), 5000);
    int shown = 0;
    for (int i = 100; i < 5100; ++i)
        shown += i % 3 == 0 ? 0 : 1;
    QCOMPARE(log->visibleRecordCount(), shown);
    QCOMPARE(log->document()->blockCount(), shown); // one block a record
    const QString text = documentText(log);
    QVERIFY(!text.contains(QStringLiteral("message 00098."))); // dropped
    QVERIFY(!text.contains(QStringLiteral("message 00102."))); // kept, but Debug
    QVERIFY(text.contains(QStringLiteral("message 05099.")));
    QVERIFY2(log->document()->firstBlock().text().contains(QStringLiteral("message 00100.")),
             qPrintable(log->document()->firstBlock().text())); // the oldest kept
    // Showing Debug brings back the kept Debug records, not the dropped ones.
    panel_->levelCheckBox(LogLevel::Debug)->setChecked(true);
    QCOMPARE(log->visibleRecordCount(), 5000);
    QCOMPARE(log->document()->blockCount(), 5000);
    QVERIFY(documentText(log).contains(QStringLiteral("message 00102.")));
    QVERIFY(!documentText(log).contains(QStringLiteral("message 00099.")));
}

void TestActivityPanel::logDoesNotDoubleForwardedRecords() {
    omega::ui::LogView* log = panel_->logView();
    QVERIFY(log->followsLogger());
    QSignalSpy added(&omega::Logger::instance(), &omega::Logger::recordAdded);
    omega::Logger::instance().log(LogLevel::Warning, QStringLiteral("ActivityTest"), QString(),
                                  QStringLiteral("from the logger"));
    QCOMPARE(added.count(), 1);
    QCOMPARE(log->recordCount(), 1);
    // The window forwarding the Logger's records as well: still one.
    panel_->addLogRecord(added.at(0).at(0).value<LogRecord>());
    QCOMPARE(log->recordCount(), 1);
    QCOMPARE(log->visibleRecordCount(), 1);
}

void TestActivityPanel::fixShowsTheDiff() {
    const QString before = QString::fromUtf8(readFixture(QStringLiteral("gate/manimgl_script.py")));
    const QString after =
        QString::fromUtf8(readFixture(QStringLiteral("gate/manimgl_script.fixed.py")));
    QVERIFY(!panel_->hasPendingFix());
    QVERIFY(!panel_->acceptButton()->isEnabled());
    QVERIFY(!panel_->revertButton()->isEnabled());
    panel_->showFix(before, after, QStringLiteral("AI fix from openai gpt-4.1-mini (attempt 2)"));
    QCOMPARE(panel_->tabs()->currentIndex(), int(ActivityPanel::FixTab));
    QVERIFY(panel_->hasPendingFix());

    omega::ui::DiffView* diff = panel_->diffView();
    QCOMPARE(diff->removedLines(), 7); // as `diff -u` shows for these two files
    QCOMPARE(diff->addedLines(), 7);
    // Old line 9 removed, new line 9 added, each with its own number.
    const QTextBlock removed = rowWith(diff, QStringLiteral("ShowCreation(title)"));
    const QTextBlock added = rowWith(diff, QStringLiteral("Create(title)"));
    QVERIFY(removed.isValid() && added.isValid());
    QCOMPARE(removed.text(), QStringLiteral("   9      -         self.play(ShowCreation(title))"));
    QCOMPARE(added.text(), QStringLiteral("        9 +         self.play(Create(title))"));
    // Context lines carry both numbers.
    const QTextBlock context = rowWith(diff, QStringLiteral("def construct"));
    QVERIFY(context.isValid());
    QVERIFY2(context.text().startsWith(QStringLiteral("   5    5    ")),
             qPrintable(context.text()));
    // Removed rows on a red tint, added rows on a green one.
    const QColor red = removed.blockFormat().background().color();
    const QColor green = added.blockFormat().background().color();
    QVERIFY(red.red() > red.green());
    QVERIFY(green.green() > green.red());
    QVERIFY(!context.blockFormat().hasProperty(QTextFormat::BackgroundBrush));
    QVERIFY(diff->unifiedDiffText().contains(QStringLiteral("-from manimlib import *\n")));
}

void TestActivityPanel::acceptAndRevert() {
    const QString before = QStringLiteral("a = 1\nb = 2\n");
    const QString after = QStringLiteral("a = 1\nb = 3\n");
    QSignalSpy accepted(panel_, &ActivityPanel::fixAccepted);
    QSignalSpy reverted(panel_, &ActivityPanel::fixReverted);
    panel_->showFix(before, after, QStringLiteral("Rewrite"));
    QCOMPARE(panel_->fixBefore(), before);
    QCOMPARE(panel_->fixAfter(), after);
    QVERIFY(panel_->acceptButton()->isEnabled());
    QVERIFY(panel_->revertButton()->isEnabled());

    QTest::mouseClick(panel_->acceptButton(), Qt::LeftButton);
    QCOMPARE(accepted.count(), 1);
    QCOMPARE(reverted.count(), 0);
    QVERIFY(!panel_->hasPendingFix());
    QCOMPARE(panel_->fixState(), ActivityPanel::FixState::Accepted);
    QCOMPARE(panel_->acceptButton()->text(), QStringLiteral("Accepted"));
    QVERIFY(!panel_->acceptButton()->isEnabled());
    QCOMPARE(panel_->revertButton()->text(), QStringLiteral("Revert"));
    QVERIFY(panel_->revertButton()->isEnabled());
    QTest::mouseClick(panel_->acceptButton(), Qt::LeftButton); // disabled: nothing
    QCOMPARE(accepted.count(), 1);

    QTest::mouseClick(panel_->revertButton(), Qt::LeftButton);
    QCOMPARE(reverted.count(), 1);
    QCOMPARE(panel_->fixState(), ActivityPanel::FixState::Reverted);
    QVERIFY(!panel_->revertButton()->isEnabled());
    QVERIFY(panel_->acceptButton()->isEnabled()); // may be accepted again
    QTest::mouseClick(panel_->acceptButton(), Qt::LeftButton);
    QCOMPARE(accepted.count(), 2);

    // Reverting straight away, without accepting first.
    panel_->showFix(before, after, QStringLiteral("Another"));
    QVERIFY(panel_->hasPendingFix());
    QTest::mouseClick(panel_->revertButton(), Qt::LeftButton);
    QCOMPARE(reverted.count(), 2);
    QVERIFY(!panel_->hasPendingFix());

    panel_->clearFix();
    QCOMPARE(panel_->fixState(), ActivityPanel::FixState::None);
    QVERIFY(!panel_->acceptButton()->isEnabled());
    QVERIFY(!panel_->revertButton()->isEnabled());
    QCOMPARE(panel_->diffView()->document()->toPlainText(), QString());
}

void TestActivityPanel::diffColoursFollowThePalette() {
    panel_->showFix(QStringLiteral("a = 1\nb = 2\n"), QStringLiteral("a = 1\nb = 3\n"),
                    QStringLiteral("Fix"));
    omega::ui::DiffView* diff = panel_->diffView();
    const auto tints = [diff] {
        return qMakePair(
            rowWith(diff, QStringLiteral("- b = 2")).blockFormat().background().color(),
            rowWith(diff, QStringLiteral("+ b = 3")).blockFormat().background().color());
    };
    QPalette light = diff->palette();
    light.setColor(QPalette::Base, Qt::white);
    light.setColor(QPalette::Text, Qt::black);
    diff->setPalette(light);
    const auto [lightRemoved, lightAdded] = tints();
    QVERIFY(lightRemoved.lightness() > 150 && lightAdded.lightness() > 150);
    // A dark theme: the rows are redrawn on dark tints, still red and green.
    QPalette dark = light;
    dark.setColor(QPalette::Base, QColor(30, 30, 30));
    dark.setColor(QPalette::Text, QColor(230, 230, 230));
    diff->setPalette(dark);
    const auto [darkRemoved, darkAdded] = tints();
    QVERIFY2(darkRemoved.lightness() < 110 && darkAdded.lightness() < 110,
             qPrintable(darkRemoved.name() + QLatin1Char(' ') + darkAdded.name()));
    QVERIFY(darkRemoved.red() > darkRemoved.green());
    QVERIFY(darkAdded.green() > darkAdded.red());
}

QTEST_MAIN(TestActivityPanel)
#include "tst_activitypanel.moc"
