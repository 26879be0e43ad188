#include "ActivityPanel.h"

#include "DiffView.h"
#include "LogView.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QStyle>
#include <QTabWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace omega::ui {

namespace {
constexpr int kNumberRole = Qt::UserRole;
constexpr int kDetailsRole = Qt::UserRole + 1;

QString seconds(qint64 ms) {
    return QStringLiteral("%1 s").arg(double(ms) / 1000.0, 0, 'f', 1);
}

// No translations are loaded, so "%n" plurals would read "token(s)": say it properly.
QString counted(int n, const QString& one, const QString& many) {
    return n == 1 ? one : many.arg(n);
}

int tokensOf(const TokenUsage& usage) {
    if (usage.total >= 0)
        return usage.total;
    return qMax(0, usage.input) + qMax(0, usage.output);
}

QString joined(const QString& message, const QString& hint) {
    if (hint.isEmpty())
        return message;
    if (message.isEmpty())
        return hint;
    return message + QLatin1Char('\n') + hint;
}

QLabel* boldLabel(const QString& text, QWidget* parent) {
    auto* label = new QLabel(text, parent);
    QFont font = label->font();
    font.setBold(true);
    label->setFont(font);
    return label;
}
} // namespace

QString shortErrorSummary(const ErrorReport& error) {
    QString what;
    // The classifier's messages name the exception ("The script raised NameError: …").
    static const QRegularExpression raised(
        QStringLiteral("raised ([A-Za-z_][\\w.]*(?:Error|Exception|Exit|Interrupt|Warning))"));
    const QRegularExpressionMatch m = raised.match(error.message);
    switch (error.category) {
    case ErrorCategory::None:
        return QString();
    case ErrorCategory::Syntax:
        what = ActivityPanel::tr("syntax error");
        break;
    case ErrorCategory::MissingModule:
        what = error.missingName.isEmpty()
                   ? ActivityPanel::tr("missing module")
                   : ActivityPanel::tr("missing module '%1'").arg(error.missingName);
        break;
    case ErrorCategory::MissingManimName:
        what = error.missingName.isEmpty()
                   ? ActivityPanel::tr("unknown Manim name")
                   : ActivityPanel::tr("unknown name '%1'").arg(error.missingName);
        break;
    case ErrorCategory::Latex:
        what = ActivityPanel::tr("LaTeX error");
        break;
    case ErrorCategory::NoScene:
        what = ActivityPanel::tr("no scene");
        break;
    case ErrorCategory::Timeout:
        what = ActivityPanel::tr("timed out");
        break;
    case ErrorCategory::Killed:
        what = ActivityPanel::tr("killed");
        break;
    case ErrorCategory::Cancelled:
        what = ActivityPanel::tr("cancelled");
        break;
    case ErrorCategory::Environment:
        what = ActivityPanel::tr("environment problem");
        break;
    case ErrorCategory::NoOutput:
        what = ActivityPanel::tr("no output");
        break;
    case ErrorCategory::Sandbox:
        what = ActivityPanel::tr("stopped by the sandbox");
        break;
    case ErrorCategory::NoProgress:
        what = ActivityPanel::tr("no progress");
        break;
    default:
        what = m.hasMatch()
                   ? m.captured(1)
                   : categoryName(error.category).replace(QLatin1Char('-'), QLatin1Char(' '));
        break;
    }
    if (error.scriptLine > 0)
        what += ActivityPanel::tr(" at line %1").arg(error.scriptLine);
    return what;
}

ActivityPanel::ActivityPanel(QWidget* parent)
    : QWidget(parent) {
    tabs_ = new QTabWidget(this);
    tabs_->setDocumentMode(true);
    tabs_->addTab(buildProgressTab(), tr("&Progress"));
    tabs_->addTab(buildLogTab(), tr("&Log"));
    tabs_->addTab(buildFixTab(), tr("&Fix"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(tabs_);
    clear();
    clearFix();
}

QWidget* ActivityPanel::buildProgressTab() {
    auto* page = new QWidget(this);
    stepLabel_ = new QLabel(page);
    stepLabel_->setTextFormat(Qt::PlainText);
    stepLabel_->setWordWrap(true);
    stepLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    animationLabel_ = new QLabel(page);
    animationLabel_->setTextFormat(Qt::PlainText);
    animationLabel_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    animationBar_ = new QProgressBar(page);
    animationBar_->setAccessibleName(tr("Animation progress"));
    overallBar_ = new QProgressBar(page);
    overallBar_->setAccessibleName(tr("Overall progress"));

    attemptsView_ = new QTreeWidget(page);
    attemptsView_->setHeaderHidden(true);
    attemptsView_->setColumnCount(1);
    attemptsView_->setRootIsDecorated(false);
    attemptsView_->setUniformRowHeights(true);
    attemptsView_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    attemptsView_->setAccessibleName(tr("Attempts"));
    attemptsView_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    connect(attemptsView_, &QTreeWidget::itemClicked, this, [this](QTreeWidgetItem* item) {
        const int number = item->data(0, kNumberRole).toInt();
        if (number > 0)
            Q_EMIT attemptActivated(number);
    });
    // Keyboard activation (Enter); on styles that activate on a single click, the click
    // above already did it.
    connect(attemptsView_, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem* item) {
        if (style()->styleHint(QStyle::SH_ItemView_ActivateItemOnSingleClick))
            return;
        const int number = item->data(0, kNumberRole).toInt();
        if (number > 0)
            Q_EMIT attemptActivated(number);
    });
    auto* copy = new QAction(tr("&Copy"), attemptsView_);
    // Ctrl+C itself goes through the event filter: the view's own Copy key handling would
    // copy only the current row's text.
    attemptsView_->installEventFilter(this);
    connect(copy, &QAction::triggered, this,
            [this] { QApplication::clipboard()->setText(attemptsText(true)); });
    auto* copyAll = new QAction(tr("Copy &All"), attemptsView_);
    connect(copyAll, &QAction::triggered, this,
            [this] { QApplication::clipboard()->setText(attemptsText(false)); });
    attemptsView_->addAction(copy);
    attemptsView_->addAction(copyAll);
    attemptsView_->setContextMenuPolicy(Qt::ActionsContextMenu);

    auto* animationRow = new QHBoxLayout;
    animationRow->addWidget(animationLabel_, 3);
    animationRow->addWidget(animationBar_, 2);
    auto* overallRow = new QHBoxLayout;
    overallRow->addWidget(new QLabel(tr("Overall"), page), 3);
    overallRow->addWidget(overallBar_, 2);

    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(stepLabel_);
    layout->addLayout(animationRow);
    layout->addLayout(overallRow);
    layout->addWidget(boldLabel(tr("Attempts"), page));
    layout->addWidget(attemptsView_, 1);
    return page;
}

QWidget* ActivityPanel::buildLogTab() {
    auto* page = new QWidget(this);
    logView_ = new LogView(page);
    auto* filters = new QHBoxLayout;
    filters->setContentsMargins(0, 0, 0, 0);
    const QList<QPair<LogLevel, QString>> levels = {{LogLevel::Debug, tr("Debug")},
                                                    {LogLevel::Info, tr("Info")},
                                                    {LogLevel::Warning, tr("Warnings")},
                                                    {LogLevel::Error, tr("Errors")}};
    for (const auto& [level, name] : levels) {
        auto* box = new QCheckBox(name, page);
        box->setChecked(logView_->isLevelShown(level));
        box->setToolTip(tr("Show %1 records").arg(levelName(level).toLower()));
        const LogLevel each = level;
        connect(box, &QCheckBox::toggled, this,
                [this, each](bool on) { logView_->setLevelShown(each, on); });
        levelBoxes_[static_cast<int>(level)] = box;
        filters->addWidget(box);
    }
    logFilter_ = new QLineEdit(page);
    logFilter_->setPlaceholderText(tr("Filter the log…"));
    logFilter_->setClearButtonEnabled(true);
    logFilter_->setAccessibleName(tr("Log filter"));
    connect(logFilter_, &QLineEdit::textChanged, logView_, &LogView::setTextFilter);
    filters->addSpacing(8);
    filters->addWidget(logFilter_, 1);
    logCount_ = new QLabel(page);
    filters->addWidget(logCount_);
    // The checkboxes follow setMinimumLevel() calls made on the view directly.
    connect(logView_, &LogView::filtersChanged, this, [this] {
        for (LogLevel level :
             {LogLevel::Debug, LogLevel::Info, LogLevel::Warning, LogLevel::Error}) {
            QCheckBox* box = levelBoxes_[static_cast<int>(level)];
            const QSignalBlocker blocker(box);
            box->setChecked(logView_->isLevelShown(level));
        }
        updateLogCount();
    });

    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(filters);
    layout->addWidget(logView_, 1);
    updateLogCount();
    return page;
}

QWidget* ActivityPanel::buildFixTab() {
    auto* page = new QWidget(this);
    fixTitle_ = boldLabel(QString(), page);
    fixTitle_->setTextFormat(Qt::PlainText);
    fixTitle_->setWordWrap(true);
    fixStatus_ = new QLabel(page);
    fixStatus_->setTextFormat(Qt::PlainText);
    fixStatus_->setWordWrap(true);
    diffView_ = new DiffView(page);
    acceptButton_ = new QPushButton(page);
    revertButton_ = new QPushButton(page);
    connect(acceptButton_, &QPushButton::clicked, this, &ActivityPanel::onAccept);
    connect(revertButton_, &QPushButton::clicked, this, &ActivityPanel::onRevert);
    auto* buttons = new QHBoxLayout;
    buttons->setContentsMargins(0, 0, 0, 0);
    buttons->addWidget(fixStatus_, 1);
    buttons->addWidget(acceptButton_);
    buttons->addWidget(revertButton_);

    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(fixTitle_);
    layout->addWidget(diffView_, 1);
    layout->addLayout(buttons);
    return page;
}

void ActivityPanel::clear() {
    stepLabel_->clear();
    animationLabel_->clear();
    animationBar_->setRange(0, 100);
    animationBar_->setValue(0);
    overallBar_->setRange(0, 100);
    overallBar_->setValue(0);
    overallBar_->setFormat(QStringLiteral("%p%"));
    attemptsView_->clear();
}

void ActivityPanel::setStep(const QString& text) {
    stepLabel_->setText(text);
}

QString ActivityPanel::stepText() const {
    return stepLabel_->text();
}

QString ActivityPanel::animationText() const {
    return animationLabel_->text();
}

void ActivityPanel::setRenderProgress(const RenderProgress& p) {
    QString text;
    if (p.sceneCount > 1)
        text = tr("Scene %1/%2 %3 · ").arg(p.sceneIndex + 1).arg(p.sceneCount).arg(p.scene);
    else if (!p.scene.isEmpty())
        text = p.scene + QStringLiteral(" · ");
    if (p.animationIndex >= 0) {
        // Numbered as manim numbers them (from 0), like the log and the window's progress line.
        text += p.label.isEmpty() ? tr("Animation %1").arg(p.animationIndex)
                                  : tr("Animation %1: %2").arg(p.animationIndex).arg(p.label);
        animationBar_->setValue(qBound(0, p.percent, 100));
    } else {
        text += tr("Starting…");
        animationBar_->setValue(0);
    }
    animationLabel_->setText(text);
    animationLabel_->setToolTip(text);

    if (p.overallPercent < 0) {
        // The animation count of this scene is not known yet (first render of it): an
        // indeterminate bar rather than a made-up figure.
        overallBar_->setRange(0, 0);
        overallBar_->setToolTip(tr("Overall progress is unknown until the scene has been "
                                   "rendered once."));
        return;
    }
    const int scenes = qMax(1, p.sceneCount);
    const int scene = qBound(0, p.sceneIndex, scenes - 1);
    overallBar_->setRange(0, 100);
    overallBar_->setValue((scene * 100 + qBound(0, p.overallPercent, 100)) / scenes);
    overallBar_->setToolTip(QString());
}

void ActivityPanel::setRenderDone(const QString& text) {
    animationBar_->setValue(100);
    animationLabel_->setText(text);
    animationLabel_->setToolTip(text);
    overallBar_->setRange(0, 100);
    overallBar_->setValue(100);
    overallBar_->setToolTip(QString());
}

QTreeWidgetItem* ActivityPanel::addRow(const QString& text, const QString& details,
                                       int attemptNumber, const QIcon& icon) {
    auto* item = new QTreeWidgetItem(attemptsView_, QStringList{text});
    item->setIcon(0, icon);
    item->setData(0, kNumberRole, attemptNumber);
    item->setData(0, kDetailsRole, details);
    if (!details.isEmpty())
        item->setToolTip(0, details);
    attemptsView_->scrollToItem(item);
    return item;
}

void ActivityPanel::addAttempt(const HealingAttempt& attempt) {
    const int n = attempt.number;
    const QString source = attempt.fixSource;
    if (source == QLatin1String("rewrite")) {
        addRow(tr("→ rewritten: %1").arg(attempt.fixDetail), attempt.diff, n,
               style()->standardIcon(QStyle::SP_BrowserReload));
    } else if (source == QLatin1String("dependency")) {
        addRow(tr("→ installed %1").arg(attempt.fixDetail), attempt.diff, n,
               style()->standardIcon(QStyle::SP_DriveHDIcon));
    } else if (source == QLatin1String("ai")) {
        QStringList facts;
        if (attempt.tokens.known())
            facts << counted(tokensOf(attempt.tokens), tr("1 token"), tr("%1 tokens"));
        if (attempt.fixMs > 0)
            facts << seconds(attempt.fixMs);
        QString text = tr("→ AI fix from %1").arg(attempt.fixDetail.trimmed());
        if (!facts.isEmpty())
            text += QStringLiteral(" (%1)").arg(facts.join(QStringLiteral(", ")));
        addRow(text, attempt.diff, n, style()->standardIcon(QStyle::SP_FileDialogContentsView));
    } else if (source != QLatin1String("original") && !source.isEmpty()) {
        addRow(tr("→ %1: %2").arg(source, attempt.fixDetail), attempt.diff, n,
               style()->standardIcon(QStyle::SP_ArrowRight));
    }

    const ErrorReport& error = attempt.error;
    if (!error.isError()) {
        addRow(attempt.renderMs > 0
                   ? tr("Attempt %1 rendered in %2").arg(n).arg(seconds(attempt.renderMs))
                   : tr("Attempt %1 rendered").arg(n),
               attempt.outputs.join(QLatin1Char('\n')), n,
               style()->standardIcon(QStyle::SP_DialogApplyButton));
        return;
    }
    const QString details = joined(error.message, error.hint);
    if (!attempt.rendered)
        addRow(tr("Attempt %1 rejected before rendering: %2").arg(n).arg(shortErrorSummary(error)),
               details, n, style()->standardIcon(QStyle::SP_MessageBoxWarning));
    else
        addRow(tr("Attempt %1 failed: %2").arg(n).arg(shortErrorSummary(error)), details, n,
               style()->standardIcon(QStyle::SP_MessageBoxCritical));
}

void ActivityPanel::setAttemptsFinished(const HealingResult& result) {
    const int attempts = int(result.attempts.size());
    const int last = attempts > 0 ? result.attempts.last().number : 0;
    const qint64 ms = result.result.timings.elapsedMs;
    if (result.result.ok()) {
        QString text =
            counted(attempts, tr("Rendered after 1 attempt"), tr("Rendered after %1 attempts"));
        if (ms > 0)
            text += tr(" in %1").arg(seconds(ms));
        QString details;
        if (result.aiRequests > 0)
            details = counted(result.aiRequests, tr("1 AI request"), tr("%1 AI requests")) +
                      QStringLiteral(", ") +
                      counted(result.tokensUsed, tr("1 token"), tr("%1 tokens"));
        if (result.rendersAvoided > 0)
            details += (details.isEmpty() ? QString() : QStringLiteral(", ")) +
                       counted(result.rendersAvoided, tr("1 render avoided by the check"),
                               tr("%1 renders avoided by the check"));
        addRow(text, details, last, style()->standardIcon(QStyle::SP_DialogApplyButton));
        overallBar_->setRange(0, 100);
        overallBar_->setValue(100);
        return;
    }
    const ErrorReport& error = result.result.error;
    if (result.result.status == ResultStatus::Cancelled) {
        addRow(tr("Stopped: cancelled"), error.message, last,
               style()->standardIcon(QStyle::SP_BrowserStop));
    } else {
        const QString reason = error.message.isEmpty() ? shortErrorSummary(error) : error.message;
        addRow(tr("Stopped: %1").arg(reason), error.hint, last,
               style()->standardIcon(QStyle::SP_MessageBoxCritical));
    }
    // A stopped run is no longer "in progress": no indeterminate bar left spinning.
    if (overallBar_->maximum() == 0)
        overallBar_->setRange(0, 100);
}

QString ActivityPanel::attemptsText(bool selectedOnly) const {
    QStringList lines;
    for (int i = 0; i < attemptsView_->topLevelItemCount(); ++i) {
        const QTreeWidgetItem* item = attemptsView_->topLevelItem(i);
        if (selectedOnly && !item->isSelected())
            continue;
        lines << item->text(0);
        const QString details = item->data(0, kDetailsRole).toString().trimmed();
        if (!details.isEmpty()) {
            for (const QString& line : details.split(QLatin1Char('\n')))
                lines << QStringLiteral("    ") + line;
        }
    }
    return lines.join(QLatin1Char('\n'));
}

void ActivityPanel::addLogRecord(const LogRecord& record) {
    logView_->addRecord(record);
    updateLogCount();
}

bool ActivityPanel::eventFilter(QObject* watched, QEvent* event) {
    if (watched == attemptsView_ && event->type() == QEvent::KeyPress &&
        static_cast<QKeyEvent*>(event)->matches(QKeySequence::Copy)) {
        QApplication::clipboard()->setText(attemptsText(true));
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

QCheckBox* ActivityPanel::levelCheckBox(LogLevel level) const {
    return levelBoxes_[qBound(0, static_cast<int>(level), 3)];
}

void ActivityPanel::updateLogCount() {
    logCount_->setText(
        tr("%1 of %2").arg(logView_->visibleRecordCount()).arg(logView_->recordCount()));
}

void ActivityPanel::showFix(const QString& before, const QString& after, const QString& title) {
    fixBefore_ = before;
    fixAfter_ = after;
    fixState_ = FixState::Pending;
    fixTitle_->setText(title);
    diffView_->setTexts(before, after);
    updateFixButtons();
    tabs_->setCurrentIndex(FixTab);
}

void ActivityPanel::clearFix() {
    fixBefore_.clear();
    fixAfter_.clear();
    fixState_ = FixState::None;
    fixTitle_->setText(tr("No fix to review"));
    diffView_->clearDiff();
    updateFixButtons();
}

void ActivityPanel::onAccept() {
    if (fixState_ == FixState::None || fixState_ == FixState::Accepted)
        return;
    fixState_ = FixState::Accepted;
    updateFixButtons();
    Q_EMIT fixAccepted();
}

void ActivityPanel::onRevert() {
    if (fixState_ == FixState::None || fixState_ == FixState::Reverted)
        return;
    fixState_ = FixState::Reverted;
    updateFixButtons();
    Q_EMIT fixReverted();
}

void ActivityPanel::updateFixButtons() {
    const bool same = fixState_ != FixState::None && fixBefore_ == fixAfter_;
    switch (fixState_) {
    case FixState::None:
        acceptButton_->setText(tr("Accept"));
        revertButton_->setText(tr("Revert"));
        acceptButton_->setEnabled(false);
        revertButton_->setEnabled(false);
        fixStatus_->clear();
        break;
    case FixState::Pending:
        acceptButton_->setText(tr("Accept"));
        revertButton_->setText(tr("Revert"));
        acceptButton_->setEnabled(!same);
        revertButton_->setEnabled(true);
        fixStatus_->setText(
            same ? tr("The fix changes nothing.")
                 : tr("+%1 −%2 lines. Accept keeps the fixed script; Revert brings back the "
                      "one before.")
                       .arg(diffView_->addedLines())
                       .arg(diffView_->removedLines()));
        break;
    case FixState::Accepted:
        acceptButton_->setText(tr("Accepted"));
        revertButton_->setText(tr("Revert"));
        acceptButton_->setEnabled(false);
        revertButton_->setEnabled(true);
        fixStatus_->setText(tr("Accepted: the fixed script is in the editor."));
        break;
    case FixState::Reverted:
        acceptButton_->setText(tr("Accept"));
        revertButton_->setText(tr("Reverted"));
        acceptButton_->setEnabled(!same);
        revertButton_->setEnabled(false);
        fixStatus_->setText(tr("Reverted: the script from before the fix is back."));
        break;
    }
    acceptButton_->setIcon(style()->standardIcon(QStyle::SP_DialogApplyButton));
    revertButton_->setIcon(style()->standardIcon(QStyle::SP_DialogResetButton));
}

} // namespace omega::ui
