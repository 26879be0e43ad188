#pragma once

#include "HistoryStore.h"

#include <QPointer>
#include <QWidget>

class QAbstractItemView;
class QLabel;
class QLineEdit;
class QListView;
class QMessageBox;
class QPushButton;
class QTimer;

namespace omega::ui {

class HistoryListModel;

// The history list: a search box, the entries newest first (title, relative time, number of
// versions, status icon; the prompt as tooltip) and Open / Render again / Delete. Rows are
// fetched a page at a time as the list scrolls, so 10,000 entries open as fast as 200.
// Search is debounced (200 ms) and runs on the store's full-text index.
class HistoryPanel : public QWidget {
    Q_OBJECT
public:
    static constexpr int kPageSize = 200;
    static constexpr int kSearchDelayMs = 200;

    explicit HistoryPanel(HistoryStore* store, QWidget* parent = nullptr);
    ~HistoryPanel() override;

    // Reads the list again (keeping as many rows as are loaded, and the selection).
    void reload();
    qint64 selectedEntry() const; // 0 when none
    QAbstractItemView* view() const;
    QLineEdit* searchBox() const;
    QString filterText() const; // the search the list shows now (after the debounce)
    QString message() const;    // what the panel says instead of a list ("" when it has rows)

    // "just now", "5 min ago", "3 h ago", "yesterday", "4 days ago", else the date.
    static QString relativeTime(const QDateTime& time, const QDateTime& now);

Q_SIGNALS:
    void reopenRequested(qint64 entryId); // double-click / Enter / "Open"
    void rerunRequested(qint64 entryId);  // "Render again"
    // After the user confirmed and the panel removed the entry from the store (information).
    void deleteRequested(qint64 entryId);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void applySearch();
    void scheduleReload();
    void updateState();
    void confirmDelete();
    void selectEntry(qint64 entryId);

    QPointer<HistoryStore> store_;
    HistoryListModel* model_ = nullptr;
    QLineEdit* searchBox_ = nullptr;
    QLabel* messageLabel_ = nullptr;
    QListView* list_ = nullptr;
    QPushButton* openButton_ = nullptr;
    QPushButton* rerunButton_ = nullptr;
    QPushButton* deleteButton_ = nullptr;
    QTimer* searchTimer_ = nullptr;
    QTimer* reloadTimer_ = nullptr;
    QTimer* clockTimer_ = nullptr;
    QPointer<QMessageBox> confirmation_;
};

} // namespace omega::ui
