#pragma once

#include "HealingPipeline.h"
#include "LogRecord.h"
#include "ManimExecutionAgent.h"

#include <QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTabWidget;
class QTreeWidget;
class QTreeWidgetItem;

namespace omega::ui {

class DiffView;
class LogView;

// What a run is doing, in three tabs:
// - Progress: the current step, the animation's and the whole render's progress, and the
//   attempts timeline of a healing run (one row per attempt outcome and per fix).
// - Log: the central log with level and text filters.
// - Fix: the change the AI (or a rewrite) made, as a coloured diff to accept or revert.
class ActivityPanel : public QWidget {
    Q_OBJECT
public:
    enum class FixState { None, Pending, Accepted, Reverted };
    enum Tab { ProgressTab = 0, LogTab = 1, FixTab = 2 };

    explicit ActivityPanel(QWidget* parent = nullptr);

    // A new run starts: step, progress and attempts are reset. The log is kept, and so is a
    // fix under review (clearFix() drops it).
    void clear();
    void setStep(const QString& text); // "Rendering Welcome (attempt 2)…"
    // The animation bar follows p.percent; the overall bar follows the job (scenes and
    // overallPercent), indeterminate while overallPercent is -1 (animation count unknown).
    void setRenderProgress(const omega::RenderProgress& p);
    // The render finished: both bars full, `text` ("Welcome · done in 2.6 s") as the label.
    void setRenderDone(const QString& text);
    // One or two rows: the fix that produced this version ("→ rewritten: …", "→ installed …",
    // "→ AI fix from …"), then its outcome ("Attempt 2 failed: NameError at line 12",
    // "Attempt 2 rendered in 4.2 s"). Clicking a row emits attemptActivated(number).
    void addAttempt(const omega::HealingAttempt& attempt);
    // The closing row: "Rendered after N attempts" or "Stopped: reason".
    void setAttemptsFinished(const omega::HealingResult& result);
    // Kept (up to 5000 records) and shown when it passes the Log tab's filters. The log view
    // also follows the Logger by itself; a Logger record given here again is not doubled.
    void addLogRecord(const omega::LogRecord& record);
    // Shows the diff from `before` to `after` with Accept and Revert, and switches to the Fix
    // tab. Accept emits fixAccepted and leaves "Accepted — Revert"; Revert emits fixReverted.
    void showFix(const QString& before, const QString& after, const QString& title);
    void clearFix();
    bool hasPendingFix() const { return fixState_ == FixState::Pending; } // shown, undecided
    FixState fixState() const { return fixState_; }
    QString fixBefore() const { return fixBefore_; }
    QString fixAfter() const { return fixAfter_; }

    // The timeline as text, one row a line with its details indented (what Copy copies).
    QString attemptsText(bool selectedOnly = false) const;
    QString stepText() const;
    QString animationText() const;

    LogView* logView() const { return logView_; }
    QTreeWidget* attemptsView() const { return attemptsView_; }
    QProgressBar* overallBar() const { return overallBar_; }
    QProgressBar* animationBar() const { return animationBar_; }
    QPushButton* acceptButton() const { return acceptButton_; }
    QPushButton* revertButton() const { return revertButton_; }
    DiffView* diffView() const { return diffView_; }
    QTabWidget* tabs() const { return tabs_; }
    QCheckBox* levelCheckBox(omega::LogLevel level) const;
    QLineEdit* logFilterEdit() const { return logFilter_; }

Q_SIGNALS:
    void fixAccepted(); // the window puts `after` into the editor (and keeps `before`)
    void fixReverted(); // the window puts `before` back
    void attemptActivated(int number);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    QWidget* buildProgressTab();
    QWidget* buildLogTab();
    QWidget* buildFixTab();
    QTreeWidgetItem* addRow(const QString& text, const QString& details, int attemptNumber,
                            const QIcon& icon);
    void onAccept();
    void onRevert();
    void updateFixButtons();
    void updateLogCount();

    QTabWidget* tabs_ = nullptr;
    QLabel* stepLabel_ = nullptr;
    QLabel* animationLabel_ = nullptr;
    QProgressBar* animationBar_ = nullptr;
    QProgressBar* overallBar_ = nullptr;
    QTreeWidget* attemptsView_ = nullptr;

    LogView* logView_ = nullptr;
    QCheckBox* levelBoxes_[4] = {};
    QLineEdit* logFilter_ = nullptr;
    QLabel* logCount_ = nullptr;

    QLabel* fixTitle_ = nullptr;
    QLabel* fixStatus_ = nullptr;
    DiffView* diffView_ = nullptr;
    QPushButton* acceptButton_ = nullptr;
    QPushButton* revertButton_ = nullptr;
    FixState fixState_ = FixState::None;
    QString fixBefore_;
    QString fixAfter_;
};

// The short form of a failure for the timeline: "NameError at line 12",
// "unknown name 'ShowCreation' at line 5", "missing module 'yaml'", "timed out".
QString shortErrorSummary(const omega::ErrorReport& error);

} // namespace omega::ui
