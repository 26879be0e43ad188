#include "DiffView.h"

#include "UnifiedDiff.h"

#include <QEvent>
#include <QFontDatabase>
#include <QRegularExpression>
#include <QTextBlock>
#include <QTextCursor>

namespace omega::ui {

namespace {
// `tint` over `base` at `amount` (0..1): a background that keeps the theme's contrast.
QColor mixed(const QColor& base, const QColor& tint, double amount) {
    return QColor::fromRgbF(float(base.redF() * (1 - amount) + tint.redF() * amount),
                            float(base.greenF() * (1 - amount) + tint.greenF() * amount),
                            float(base.blueF() * (1 - amount) + tint.blueF() * amount));
}

QString lineNumber(int number) {
    return number > 0 ? QString::number(number).rightJustified(4) : QStringLiteral("    ");
}
} // namespace

DiffView::DiffView(QWidget* parent)
    : QPlainTextEdit(parent) {
    setReadOnly(true);
    setLineWrapMode(QPlainTextEdit::NoWrap);
    setUndoRedoEnabled(false);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setPlaceholderText(tr("When the AI or a rewrite changes the script, the change shows here."));
}

void DiffView::setTexts(const QString& before, const QString& after) {
    diff_ = unifiedDiff(before, after, QStringLiteral("before"), QStringLiteral("after"));
    render();
}

void DiffView::clearDiff() {
    diff_.clear();
    render();
}

void DiffView::changeEvent(QEvent* event) {
    QPlainTextEdit::changeEvent(event);
    // The tints are mixed from the palette: a theme change needs new ones.
    if (event->type() == QEvent::PaletteChange && !diff_.isEmpty())
        render();
}

void DiffView::render() {
    clear();
    added_ = 0;
    removed_ = 0;
    if (diff_.isEmpty())
        return;
    const QColor base = palette().color(QPalette::Base);
    QTextBlockFormat addedFormat;
    addedFormat.setBackground(mixed(base, QColor(46, 160, 67), 0.25));
    QTextBlockFormat removedFormat;
    removedFormat.setBackground(mixed(base, QColor(218, 54, 51), 0.25));
    QTextBlockFormat hunkFormat;
    hunkFormat.setBackground(mixed(base, palette().color(QPalette::Highlight), 0.15));
    QTextCharFormat dimmed;
    dimmed.setForeground(palette().color(QPalette::PlaceholderText));
    const QTextCharFormat plain;

    static const QRegularExpression hunkHeader(
        QStringLiteral("^@@ -(\\d+)(?:,\\d+)? \\+(\\d+)(?:,\\d+)? @@"));
    int oldLine = 0;
    int newLine = 0;
    bool first = true;
    QTextCursor cursor(document());
    cursor.beginEditBlock();
    const auto addRow = [&](const QString& text, const QTextBlockFormat& block,
                            const QTextCharFormat& chars) {
        if (!first)
            cursor.insertBlock();
        first = false;
        cursor.setBlockFormat(block);
        cursor.insertText(text, chars);
    };
    const QStringList lines = diff_.split(QLatin1Char('\n'));
    for (const QString& line : lines) {
        if (line.startsWith(QLatin1String("--- ")) || line.startsWith(QLatin1String("+++ ")) ||
            line.isEmpty())
            continue; // the file headers say nothing here; the last split piece is empty
        if (line.startsWith(QLatin1String("@@"))) {
            const QRegularExpressionMatch m = hunkHeader.match(line);
            oldLine = m.captured(1).toInt();
            newLine = m.captured(2).toInt();
            addRow(line, hunkFormat, dimmed);
            continue;
        }
        const QChar kind = line.at(0);
        const QString text = line.mid(1);
        if (kind == QLatin1Char('-')) {
            addRow(lineNumber(oldLine++) + QStringLiteral("      - ") + text, removedFormat, plain);
            ++removed_;
        } else if (kind == QLatin1Char('+')) {
            addRow(QStringLiteral("     ") + lineNumber(newLine++) + QStringLiteral(" + ") + text,
                   addedFormat, plain);
            ++added_;
        } else if (kind == QLatin1Char('\\')) {
            addRow(QStringLiteral("            ") + line, QTextBlockFormat(), dimmed);
        } else {
            addRow(lineNumber(oldLine++) + QLatin1Char(' ') + lineNumber(newLine++) +
                       QStringLiteral("   ") + text,
                   QTextBlockFormat(), plain);
        }
    }
    cursor.endEditBlock();
    moveCursor(QTextCursor::Start);
}

} // namespace omega::ui
