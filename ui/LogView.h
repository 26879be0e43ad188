#pragma once

#include "LogRecord.h"

#include <QPlainTextEdit>

namespace omega::ui {

// Read-only view of the central log (Logger::recordAdded), newest at the bottom.
class LogView : public QPlainTextEdit {
    Q_OBJECT
public:
    explicit LogView(QWidget* parent = nullptr);

    void setMinimumLevel(LogLevel level) { minimumLevel_ = level; }
    void addRecord(const omega::LogRecord& record);

private:
    LogLevel minimumLevel_ = LogLevel::Info;
};

} // namespace omega::ui
