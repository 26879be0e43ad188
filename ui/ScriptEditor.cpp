#include "ScriptEditor.h"

#include <QFontDatabase>
#include <QPainter>
#include <QPlainTextEdit>
#include <QTextBlock>
#include <QVBoxLayout>

namespace omega::ui {

// A QPlainTextEdit with a line-number gutter (after Qt's "Code Editor" example).
class CodeEdit : public QPlainTextEdit {
public:
    explicit CodeEdit(QWidget* parent)
        : QPlainTextEdit(parent)
        , gutter_(new Gutter(this)) {
        connect(this, &QPlainTextEdit::blockCountChanged, this, [this] { updateGutterWidth(); });
        connect(this, &QPlainTextEdit::updateRequest, this, [this](const QRect& rect, int dy) {
            if (dy != 0)
                gutter_->scroll(0, dy);
            else
                gutter_->update(0, rect.y(), gutter_->width(), rect.height());
        });
        updateGutterWidth();
    }

    int gutterWidth() const {
        const int digits = QString::number(qMax(1, blockCount())).size();
        return 16 + fontMetrics().horizontalAdvance(QLatin1Char('9')) * qMax(3, digits);
    }

    void paintGutter(QPaintEvent* event) {
        QPainter painter(gutter_);
        const QPalette pal = palette();
        painter.fillRect(event->rect(), pal.color(QPalette::AlternateBase));
        QTextBlock block = firstVisibleBlock();
        int top = qRound(blockBoundingGeometry(block).translated(contentOffset()).top());
        const int current = textCursor().blockNumber();
        while (block.isValid() && top <= event->rect().bottom()) {
            const int height = qRound(blockBoundingRect(block).height());
            if (block.isVisible() && top + height >= event->rect().top()) {
                const bool isCurrent = block.blockNumber() == current;
                painter.setPen(isCurrent ? pal.color(QPalette::Text)
                                         : pal.color(QPalette::PlaceholderText));
                painter.drawText(0, top, gutter_->width() - 8, height, Qt::AlignRight,
                                 QString::number(block.blockNumber() + 1));
            }
            top += height;
            block = block.next();
        }
    }

protected:
    void resizeEvent(QResizeEvent* event) override {
        QPlainTextEdit::resizeEvent(event);
        const QRect area = contentsRect();
        gutter_->setGeometry(area.left(), area.top(), gutterWidth(), area.height());
    }

private:
    class Gutter : public QWidget {
    public:
        explicit Gutter(CodeEdit* edit)
            : QWidget(edit)
            , edit_(edit) {}
        QSize sizeHint() const override { return {edit_->gutterWidth(), 0}; }

    protected:
        void paintEvent(QPaintEvent* event) override { edit_->paintGutter(event); }

    private:
        CodeEdit* edit_;
    };

    void updateGutterWidth() { setViewportMargins(gutterWidth(), 0, 0, 0); }

    Gutter* gutter_;
};

ScriptEditor::ScriptEditor(QWidget* parent)
    : QWidget(parent)
    , edit_(new CodeEdit(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(edit_);

    QFont font = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    font.setPointSizeF(qMax(font.pointSizeF(), 10.0));
    edit_->setFont(font);
    edit_->setLineWrapMode(QPlainTextEdit::NoWrap);
    edit_->setTabStopDistance(4 * edit_->fontMetrics().horizontalAdvance(QLatin1Char(' ')));
    edit_->setTabChangesFocus(false);
    setFocusProxy(edit_);

    connect(edit_, &QPlainTextEdit::textChanged, this, [this] {
        if (!settingText_)
            Q_EMIT textEdited();
    });
    connect(edit_, &QPlainTextEdit::cursorPositionChanged, this, [this] { updateSelections(); });
    updateSelections();
}

QString ScriptEditor::text() const {
    return edit_->toPlainText();
}

void ScriptEditor::setText(const QString& text) {
    settingText_ = true;
    edit_->setPlainText(text);
    settingText_ = false;
    errorLine_ = 0;
    updateSelections();
}

void ScriptEditor::setErrorLine(int line) {
    errorLine_ = line > 0 && line <= edit_->blockCount() ? line : 0;
    updateSelections();
    if (errorLine_ > 0) {
        QTextCursor cursor(edit_->document()->findBlockByNumber(errorLine_ - 1));
        edit_->setTextCursor(cursor);
        edit_->centerCursor();
    }
}

QPlainTextEdit* ScriptEditor::textEdit() const {
    return edit_;
}

void ScriptEditor::updateSelections() {
    QList<QTextEdit::ExtraSelection> selections;
    QTextEdit::ExtraSelection current;
    QColor currentColor = palette().color(QPalette::Highlight);
    currentColor.setAlpha(28);
    current.format.setBackground(currentColor);
    current.format.setProperty(QTextFormat::FullWidthSelection, true);
    current.cursor = edit_->textCursor();
    current.cursor.clearSelection();
    selections << current;
    if (errorLine_ > 0) {
        QTextEdit::ExtraSelection error;
        error.format.setBackground(QColor(220, 50, 47, 60));
        error.format.setProperty(QTextFormat::FullWidthSelection, true);
        error.cursor = QTextCursor(edit_->document()->findBlockByNumber(errorLine_ - 1));
        selections << error;
    }
    edit_->setExtraSelections(selections);
}

} // namespace omega::ui
