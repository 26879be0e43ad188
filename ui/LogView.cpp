#include "LogView.h"

#include "Logger.h"

#include <QFontDatabase>
#include <QScrollBar>
#include <QTextBlock>
#include <QTextCursor>

namespace omega::ui {

namespace {
int levelIndex(LogLevel level) {
    return qBound(0, static_cast<int>(level), 3);
}
} // namespace

LogView::LogView(QWidget* parent)
    : QPlainTextEdit(parent) {
    setReadOnly(true);
    setLineWrapMode(QPlainTextEdit::NoWrap);
    // The view keeps its own records (and removes blocks as it drops them), so the document
    // needs no block limit of its own.
    setMaximumBlockCount(0);
    setUndoRedoEnabled(false);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setPlaceholderText(tr("Log messages from the render appear here."));
    setFollowsLogger(true);
}

void LogView::setFollowsLogger(bool follows) {
    if (follows == followsLogger_)
        return;
    followsLogger_ = follows;
    if (follows)
        // Queued when the record comes from another thread; records are copied values.
        loggerConnection_ =
            connect(&Logger::instance(), &Logger::recordAdded, this, &LogView::addRecord);
    else
        disconnect(loggerConnection_);
}

void LogView::setMinimumLevel(LogLevel level) {
    for (LogLevel each : {LogLevel::Debug, LogLevel::Info, LogLevel::Warning, LogLevel::Error})
        shown_[levelIndex(each)] = levelIndex(each) >= levelIndex(level);
    redraw();
    Q_EMIT filtersChanged();
}

void LogView::setLevelShown(LogLevel level, bool shown) {
    if (shown_[levelIndex(level)] == shown)
        return;
    shown_[levelIndex(level)] = shown;
    redraw();
    Q_EMIT filtersChanged();
}

bool LogView::isLevelShown(LogLevel level) const {
    return shown_[levelIndex(level)];
}

void LogView::setTextFilter(const QString& text) {
    const QString trimmed = text.trimmed();
    if (trimmed == textFilter_)
        return;
    textFilter_ = trimmed;
    redraw();
    Q_EMIT filtersChanged();
}

void LogView::setMaxRecords(int count) {
    maxRecords_ = qMax(1, count);
    if (int(records_.size()) <= maxRecords_)
        return;
    while (int(records_.size()) > maxRecords_)
        records_.pop_front();
    redraw();
}

void LogView::clearRecords() {
    records_.clear();
    redraw();
}

bool LogView::passes(const LogRecord& record) const {
    if (!shown_[levelIndex(record.level)])
        return false;
    if (textFilter_.isEmpty())
        return true;
    return record.message.contains(textFilter_, Qt::CaseInsensitive) ||
           record.agent.contains(textFilter_, Qt::CaseInsensitive) ||
           record.jobId.contains(textFilter_, Qt::CaseInsensitive);
}

bool LogView::isRecent(const LogRecord& record) const {
    // The same record twice (the view follows the Logger and someone also forwards the
    // Logger's records to addRecord) is shown once.
    int checked = 0;
    for (auto it = records_.rbegin(); it != records_.rend() && checked < 8; ++it, ++checked) {
        if (it->time == record.time && it->level == record.level && it->agent == record.agent &&
            it->jobId == record.jobId && it->message == record.message)
            return true;
    }
    return false;
}

void LogView::addRecord(const LogRecord& record) {
    if (isRecent(record))
        return;
    if (int(records_.size()) >= maxRecords_) {
        // The oldest kept record goes; when it is shown it is the document's first block.
        const bool wasShown = passes(records_.front());
        records_.pop_front();
        if (wasShown && visibleCount_ > 0) {
            QTextCursor cursor(document()->firstBlock());
            cursor.movePosition(QTextCursor::NextBlock, QTextCursor::KeepAnchor);
            if (cursor.position() == cursor.anchor()) // the only block
                cursor.movePosition(QTextCursor::EndOfBlock, QTextCursor::KeepAnchor);
            cursor.removeSelectedText();
            --visibleCount_;
        }
    }
    records_.push_back(record);
    if (!passes(record))
        return;
    QScrollBar* bar = verticalScrollBar();
    const bool atBottom = bar->value() >= bar->maximum() - 2;
    QTextCursor cursor(document());
    cursor.movePosition(QTextCursor::End);
    appendToDocument(cursor, record);
    if (atBottom)
        bar->setValue(bar->maximum());
}

void LogView::appendToDocument(QTextCursor& cursor, const LogRecord& record) {
    QTextCharFormat format;
    switch (record.level) {
    case LogLevel::Error:
        format.setForeground(QColor(QStringLiteral("#d9534f")));
        break;
    case LogLevel::Warning:
        format.setForeground(QColor(QStringLiteral("#c77c02")));
        break;
    case LogLevel::Debug:
        format.setForeground(palette().color(QPalette::PlaceholderText));
        break;
    case LogLevel::Info:
        break;
    }
    QString line =
        QStringLiteral("%1  %2  %3  %4")
            .arg(record.time.toLocalTime().toString(QStringLiteral("HH:mm:ss")),
                 levelName(record.level).toUpper().leftJustified(7), record.agent, record.message);
    // One block per record: multi-line messages (tracebacks) stay together, and the block
    // count is the count of shown records.
    line.replace(QLatin1Char('\n'), QChar::LineSeparator);
    if (visibleCount_ > 0)
        cursor.insertBlock(QTextBlockFormat(), format);
    cursor.insertText(line, format);
    ++visibleCount_;
}

void LogView::redraw() {
    clear();
    visibleCount_ = 0;
    // One edit block: the layout is updated once, not once per record.
    QTextCursor cursor(document());
    cursor.beginEditBlock();
    for (const LogRecord& record : records_) {
        if (passes(record))
            appendToDocument(cursor, record);
    }
    cursor.endEditBlock();
    QScrollBar* bar = verticalScrollBar();
    bar->setValue(bar->maximum());
}

} // namespace omega::ui
