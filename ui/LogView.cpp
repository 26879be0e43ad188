#include "LogView.h"

#include "Logger.h"

#include <QFontDatabase>
#include <QScrollBar>

namespace omega::ui {

LogView::LogView(QWidget* parent)
    : QPlainTextEdit(parent) {
    setReadOnly(true);
    setLineWrapMode(QPlainTextEdit::NoWrap);
    setMaximumBlockCount(5000);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setPlaceholderText(tr("Log messages from the render appear here."));
    // Queued when the record comes from another thread; records are copied values.
    connect(&Logger::instance(), &Logger::recordAdded, this, &LogView::addRecord);
}

void LogView::addRecord(const LogRecord& record) {
    if (static_cast<int>(record.level) < static_cast<int>(minimumLevel_))
        return;
    QString color;
    switch (record.level) {
    case LogLevel::Error:
        color = QStringLiteral("#d9534f");
        break;
    case LogLevel::Warning:
        color = QStringLiteral("#c77c02");
        break;
    case LogLevel::Debug:
        color = palette().color(QPalette::PlaceholderText).name();
        break;
    case LogLevel::Info:
        break;
    }
    QString line =
        QStringLiteral("%1  %2  %3  %4")
            .arg(record.time.toLocalTime().toString(QStringLiteral("HH:mm:ss")),
                 levelName(record.level).toUpper().leftJustified(5), record.agent, record.message);
    // One paragraph per record; multi-line messages (tracebacks) stay together.
    QString html = line.toHtmlEscaped();
    html.replace(QLatin1Char('\n'), QStringLiteral("<br>"));
    html.replace(QStringLiteral("  "), QStringLiteral("&nbsp;&nbsp;"));
    if (!color.isEmpty())
        html = QStringLiteral("<span style=\"color:%1\">%2</span>").arg(color, html);
    QScrollBar* bar = verticalScrollBar();
    const bool atBottom = bar->value() >= bar->maximum() - 2;
    appendHtml(html);
    if (atBottom)
        bar->setValue(bar->maximum());
}

} // namespace omega::ui
