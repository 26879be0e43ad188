#pragma once

#include <QPlainTextEdit>

namespace omega::ui {

// Read-only view of the unified diff between two versions of a script: one row per diff
// line with the old and new line numbers, added and removed lines on a green or red tint
// mixed from the palette's base colour (readable in light and dark themes).
class DiffView : public QPlainTextEdit {
    Q_OBJECT
public:
    explicit DiffView(QWidget* parent = nullptr);

    // Shows the diff turning `before` into `after` (UnifiedDiff, 3 lines of context).
    void setTexts(const QString& before, const QString& after);
    void clearDiff();

    QString unifiedDiffText() const { return diff_; } // as `git diff` would print it
    int addedLines() const { return added_; }
    int removedLines() const { return removed_; }

protected:
    void changeEvent(QEvent* event) override;

private:
    void render();

    QString diff_;
    int added_ = 0;
    int removed_ = 0;
};

} // namespace omega::ui
