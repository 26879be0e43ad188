#pragma once

#include <QWidget>

class QPlainTextEdit;

namespace omega::ui {

class CodeEdit;

// The script editor as the rest of the window sees it: text in, text out, a change signal
// and an error line to point at. Backed by a QPlainTextEdit with line numbers for now; the
// QScintilla editor replaces the inside of this class without touching its users.
class ScriptEditor : public QWidget {
    Q_OBJECT
public:
    explicit ScriptEditor(QWidget* parent = nullptr);

    QString text() const;
    // Replaces the whole text (not an edit: textEdited() is not emitted).
    void setText(const QString& text);

    // Marks a 1-based line as the error's line and scrolls to it; 0 clears the mark.
    void setErrorLine(int line);
    int errorLine() const { return errorLine_; }

    // For tests and for the window's shortcuts.
    QPlainTextEdit* textEdit() const;

Q_SIGNALS:
    // The user changed the text.
    void textEdited();

private:
    void updateSelections();

    CodeEdit* edit_ = nullptr;
    int errorLine_ = 0;
    bool settingText_ = false;
};

} // namespace omega::ui
