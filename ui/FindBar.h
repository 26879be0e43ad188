#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QToolButton;

namespace omega::ui {

// How a search matches: the options of the find bar, also usable without it.
struct FindOptions {
    bool caseSensitive = false;
    bool wholeWord = false;
    // ECMAScript syntax (std::regex); \1…\9 in the replacement insert the groups.
    bool regex = false;
};

// The find/replace bar of the script editor. It only collects the user's intent and shows
// the outcome; ScriptEditor does the searching (it owns the text).
class FindBar : public QWidget {
    Q_OBJECT
public:
    explicit FindBar(QWidget* parent = nullptr);

    // Shows the bar (with the replace row or not), puts `seed` in the find field when it is
    // not empty, and focuses the find field with its text selected.
    void open(bool withReplace, const QString& seed);
    bool replaceVisible() const;
    // Hides the bar and emits closed() (Esc, the close button).
    void dismiss();

    QString findText() const;
    QString replaceText() const;
    FindOptions options() const;
    void setOptions(const FindOptions& options);

    // The outcome of the last search: an empty message clears it; `isFailure` shows it as a
    // problem ("No match", a bad regular expression) and tints the find field.
    void setStatus(const QString& message, bool isFailure);
    QString status() const;

    QLineEdit* findField() const { return findField_; }
    QLineEdit* replaceField() const { return replaceField_; }

Q_SIGNALS:
    // The find text or an option changed: search again from the current match.
    void searchChanged();
    // Next (Enter, the ↓ button) or previous (Shift+Enter, the ↑ button) match.
    void findRequested(bool forward);
    void replaceRequested();
    void replaceAllRequested();
    // Esc or the close button: the bar is hidden and the editor should take the focus back.
    void closed();

protected:
    void keyPressEvent(QKeyEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    QLineEdit* findField_ = nullptr;
    QLineEdit* replaceField_ = nullptr;
    QToolButton* caseButton_ = nullptr;
    QToolButton* wordButton_ = nullptr;
    QToolButton* regexButton_ = nullptr;
    QWidget* replaceRow_ = nullptr;
    QLabel* statusLabel_ = nullptr;
};

} // namespace omega::ui
