#pragma once

#include "LogRecord.h"

#include <QPlainTextEdit>
#include <QTextCursor>

#include <deque>

namespace omega::ui {

// Read-only view of the central log, newest at the bottom. Follows Logger::recordAdded by
// default; addRecord() adds records that do not go through the Logger (a record identical to
// one of the last few kept, e.g. a Logger record forwarded again, is not added twice).
// Keeps the last maxRecords() records (all levels) and shows those passing the filters: a
// level filter (each level on or off; setMinimumLevel is a shortcut) and a text filter
// (case-insensitive, on agent and message). Changing a filter redraws from the kept records.
class LogView : public QPlainTextEdit {
    Q_OBJECT
public:
    explicit LogView(QWidget* parent = nullptr);

    // Shows `level` and everything above it, hides the levels below.
    void setMinimumLevel(LogLevel level);
    void addRecord(const omega::LogRecord& record);

    void setLevelShown(LogLevel level, bool shown);
    bool isLevelShown(LogLevel level) const;
    void setTextFilter(const QString& text);
    QString textFilter() const { return textFilter_; }

    // Off: only addRecord() adds records (for a view fed by someone else).
    void setFollowsLogger(bool follows);
    bool followsLogger() const { return followsLogger_; }

    void setMaxRecords(int count);
    int maxRecords() const { return maxRecords_; }
    int recordCount() const { return int(records_.size()); }
    int visibleRecordCount() const { return visibleCount_; }
    // Drops every kept record.
    void clearRecords();

Q_SIGNALS:
    void filtersChanged();

private:
    bool passes(const LogRecord& record) const;
    bool isRecent(const LogRecord& record) const;
    void appendToDocument(QTextCursor& cursor, const LogRecord& record);
    void redraw();

    std::deque<LogRecord> records_;
    int maxRecords_ = 5000;
    int visibleCount_ = 0;
    bool shown_[4] = {false, true, true, true}; // Debug, Info, Warning, Error
    QString textFilter_;
    bool followsLogger_ = false;
    QMetaObject::Connection loggerConnection_;
};

} // namespace omega::ui
