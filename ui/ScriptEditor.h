#pragma once

#include "FindBar.h"
#include "QsciHeaders.h"

#include <QWidget>

class QLabel;
class QTimer;

namespace omega::ui {

// The script editor as the rest of the window sees it: text in, text out, a change signal,
// an error to point at, and a generated script streaming in. Inside it is QScintilla with
// the Python lexer, line numbers, folding, a find/replace bar, and colours taken from the
// widget palette (light or dark).
class ScriptEditor : public QWidget {
    Q_OBJECT
public:
    explicit ScriptEditor(QWidget* parent = nullptr);
    ~ScriptEditor() override;

    QString text() const;
    // Replaces the whole text and starts a new undo history (not an edit: textEdited() is not
    // emitted). Ends a streaming generation, keeping the new text. Clears the error.
    void setText(const QString& text);

    // Marks a 1-based line as the error's line: a red symbol in the marker margin, the line
    // tinted, and `message` (when not empty) as an annotation under it; scrolls to it.
    // A line outside the text clears the error. The mark follows its line when lines are
    // added or removed above it; an edit on the error line itself clears it (the user is
    // fixing it).
    void setError(int line, const QString& message);
    void clearError();
    // setError(line, {}); 0 clears.
    void setErrorLine(int line);
    // The marked line now (1-based; it moves with edits above it), 0 when there is none.
    int errorLine() const;
    QString errorMessage() const { return errorMessage_; }

    // Streaming a generated script: beginStreaming() clears the text and makes the editor
    // read-only with a "Generating…" badge; appendStreamed() adds each piece (the view
    // follows the end unless the user scrolled up); endStreaming(true) keeps the generated
    // text, endStreaming(false) restores the text from before. The generation is one undo
    // step: Ctrl+Z brings back the previous script. textEdited() is never emitted for any of
    // it (the window decides what to save).
    void beginStreaming();
    void appendStreamed(const QString& delta);
    void endStreaming(bool keepText);
    // Ends the generation with `finalText` in place of what streamed in (the script extracted
    // from the answer, without its prose and fences), still as the same single undo step.
    void endStreaming(const QString& finalText);
    bool isStreaming() const { return streaming_; }

    // Opens the find bar (Ctrl+F), with the replace row (Ctrl+H); F3 / Shift+F3 find the
    // next / previous match; Esc closes it.
    void showFind(bool withReplace);
    // Selects the next (or previous) match after (before) the selection, wrapping around.
    // Returns false when there is none; an invalid regular expression also finds nothing.
    bool find(const QString& text, const FindOptions& options, bool forward = true);
    // Replaces every match as one undo step, emits textEdited() once if anything changed, and
    // returns how many were replaced (0 when read-only).
    int replaceAll(const QString& text, const QString& replacement, const FindOptions& options);
    FindBar* findBar() const { return findBar_; }

    void setReadOnly(bool readOnly);
    bool isReadOnly() const { return userReadOnly_; }
    // The caret's line, 1-based.
    int cursorLine() const;
    // Puts the caret at the start of a 1-based line (clamped to the text) and shows it.
    void goToLine(int line);

    // For tests and for the window's shortcuts.
    QsciScintilla* scintilla() const { return edit_; }

Q_SIGNALS:
    // The user changed the text (typing, paste, undo, replace) — never setText() or streaming.
    void textEdited();

protected:
    void changeEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void applyColours();
    void updateLineNumberWidth();
    void updateReadOnly();
    void placeStreamingBadge();
    void onModified(int position, int modificationType);
    void onSearchChanged();
    void onFindRequested(bool forward);
    void onReplaceRequested();
    void onReplaceAllRequested();
    // Searches [from, to) (backwards when from > to) in bytes; returns the match start and
    // sets `matchEnd`, or -1 (-2 for an invalid regular expression).
    long search(const QByteArray& needle, const FindOptions& options, long from, long to,
                long* matchEnd) const;
    // 1: found and selected, 0: no match, -1: invalid regular expression.
    int findFrom(const QString& text, const FindOptions& options, bool forward,
                 bool fromSelectionStart);
    // The selection is exactly one match of the search.
    bool selectionIsMatch(const QString& text, const FindOptions& options) const;

    QsciScintilla* edit_ = nullptr;
    QsciLexerPython* lexer_ = nullptr;
    QsciStyle* annotationStyle_ = nullptr;
    FindBar* findBar_ = nullptr;
    QLabel* streamingBadge_ = nullptr;
    QTimer* followEndTimer_ = nullptr;

    int errorMarkerHandle_ = -1;
    int errorLineMarkerHandle_ = -1;
    QString errorMessage_;

    bool streaming_ = false;
    // The streamed generation changed the document (something was cleared or appended), so
    // its undo group is not empty and undoing it is what restores the old text.
    bool streamChangedText_ = false;
    bool userReadOnly_ = false;
    // Set while the editor itself changes the text (setText, streaming, restoring).
    bool changingText_ = false;
    int lineNumberDigits_ = 0;
};

} // namespace omega::ui
