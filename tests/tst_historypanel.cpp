// HistoryPanel (issue #6): 10,000 entries open a page at a time, scrolling fetches more, the
// debounced search filters, reopen / rerun signals, delete asks first and then removes.

#include "HistoryPanel.h"
#include "HistoryStore.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace omega::ui;

namespace {

constexpr int kEntries = 10000;

// Fills a history with `count` entries ("Entry 1" … "Entry N", the newest last) in one
// transaction through a second connection; the store's triggers index them as usual.
bool fillHistory(const QString& path, int count) {
    const QString name = QStringLiteral("fill");
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        ok = db.open();
        QSqlQuery query(db);
        ok = ok && query.exec(QStringLiteral("BEGIN"));
        ok = ok &&
             query.exec(
                 QStringLiteral(
                     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i "
                     "< %1) INSERT INTO entries (created, updated, title, prompt, last_status) "
                     "SELECT 1700000000000 + i * 1000, 1700000000000 + i * 1000, 'Entry ' || "
                     "i, 'Prompt for entry ' || i, CASE i % 3 WHEN 0 THEN 'rendered' WHEN 1 "
                     "THEN 'failed' ELSE '' END FROM n")
                     .arg(count));
        ok = ok && query.exec(QStringLiteral(
                       "INSERT INTO versions (entry_id, created, source, code) SELECT id, "
                       "created, 'prompt', 'class Scene' || id || '(Scene): pass' FROM entries"));
        ok = ok && query.exec(QStringLiteral("COMMIT"));
        if (!ok)
            qWarning("fill: %s", qPrintable(query.lastError().text()));
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return ok;
}

QMessageBox* visibleMessageBox(QWidget* parent) {
    const QList<QMessageBox*> boxes = parent->findChildren<QMessageBox*>();
    for (QMessageBox* box : boxes)
        if (box->isVisible())
            return box;
    return nullptr;
}

QPushButton* buttonNamed(QWidget* parent, const QString& text) {
    const QList<QPushButton*> buttons = parent->findChildren<QPushButton*>();
    for (QPushButton* button : buttons)
        if (button->text().remove(QLatin1Char('&')) == text)
            return button;
    return nullptr;
}

qint64 idAt(QAbstractItemView* view, int row) {
    return view->model()->index(row, 0).data(Qt::UserRole + 1).toLongLong();
}

} // namespace

class TestHistoryPanel : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString bigPath_;

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        qputenv("OMEGA_DATA_DIR", dir_.filePath(QStringLiteral("data")).toUtf8());
        bigPath_ = dir_.filePath(QStringLiteral("big.sqlite"));
        HistoryStore store;
        QVERIFY(store.open(bigPath_));
        store.close();
        QVERIFY(fillHistory(bigPath_, kEntries));
    }

    void tenThousandEntriesOpenAPageAtATime() {
        HistoryStore store;
        QVERIFY(store.open(bigPath_));
        QCOMPARE(store.count(), kEntries);
        QElapsedTimer timer;
        timer.start();
        HistoryPanel panel(&store);
        panel.resize(360, 600);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        qInfo("panel with %d entries shown in %lld ms", kEntries, timer.elapsed());

        QAbstractItemView* view = panel.view();
        const int firstPage = view->model()->rowCount();
        QVERIFY2(firstPage >= HistoryPanel::kPageSize && firstPage < kEntries,
                 qPrintable(QString::number(firstPage)));
        QCOMPARE(view->model()->index(0, 0).data().toString(), QStringLiteral("Entry 10000"));
        QCOMPARE(view->model()->index(0, 0).data(Qt::ToolTipRole).toString(),
                 QStringLiteral("Prompt for entry 10000"));
        QVERIFY(!view->model()->index(0, 0).data(Qt::DecorationRole).value<QIcon>().isNull());
        QVERIFY(panel.message().isEmpty());
        // Rows are painted (not an empty viewport): the first row has a visible rectangle.
        QVERIFY(view->visualRect(view->model()->index(0, 0)).isValid());
        QVERIFY(view->indexAt(QPoint(10, 10)).isValid());

        // Scrolling to the bottom fetches the next page, and so on.
        QScrollBar* bar = view->verticalScrollBar();
        bar->setValue(bar->maximum());
        QTRY_VERIFY_WITH_TIMEOUT(view->model()->rowCount() > firstPage, 10000);
        const int secondPage = view->model()->rowCount();
        QCOMPARE(view->model()->index(secondPage - 1, 0).data().toString(),
                 QStringLiteral("Entry %1").arg(kEntries - secondPage + 1));
        // The scroll bar's range follows the new rows after the view's delayed layout.
        auto scrolledPast = [&](int rows) {
            bar->setValue(bar->maximum());
            return view->model()->rowCount() > rows;
        };
        QTRY_VERIFY_WITH_TIMEOUT(scrolledPast(secondPage), 10000);
    }

    void searchIsDebouncedAndFilters() {
        HistoryStore store;
        QVERIFY(store.open(bigPath_));
        HistoryPanel panel(&store);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QAbstractItemView* view = panel.view();

        QTest::keyClicks(panel.searchBox(), QStringLiteral("entry 9999"));
        // Not yet: the search waits until typing pauses.
        QCOMPARE(panel.filterText(), QString());
        QVERIFY(view->model()->rowCount() >= HistoryPanel::kPageSize);
        QTRY_COMPARE_WITH_TIMEOUT(panel.filterText(), QStringLiteral("entry 9999"), 5000);
        QCOMPARE(view->model()->rowCount(), 1);
        QCOMPARE(view->model()->index(0, 0).data().toString(), QStringLiteral("Entry 9999"));

        // Code is searched too (every entry's script is "class Scene<id>(Scene): pass").
        panel.searchBox()->setText(QStringLiteral("Scene4242("));
        QTRY_COMPARE_WITH_TIMEOUT(panel.filterText(), QStringLiteral("Scene4242("), 5000);
        QCOMPARE(view->model()->rowCount(), 1);
        QCOMPARE(view->model()->index(0, 0).data().toString(), QStringLiteral("Entry 4242"));

        // Many matches: paged like the full list, newest first.
        panel.searchBox()->setText(QStringLiteral("prompt for"));
        QTRY_COMPARE_WITH_TIMEOUT(panel.filterText(), QStringLiteral("prompt for"), 5000);
        QCOMPARE(view->model()->rowCount(), HistoryPanel::kPageSize);
        QCOMPARE(view->model()->index(0, 0).data().toString(), QStringLiteral("Entry 10000"));

        panel.searchBox()->setText(QStringLiteral("no such thing"));
        QTRY_COMPARE_WITH_TIMEOUT(panel.filterText(), QStringLiteral("no such thing"), 5000);
        QCOMPARE(view->model()->rowCount(), 0);
        QVERIFY2(panel.message().contains(QLatin1String("no such thing")),
                 qPrintable(panel.message()));

        // Enter searches at once; clearing brings the whole list back.
        panel.searchBox()->clear();
        QTest::keyClick(panel.searchBox(), Qt::Key_Return);
        QCOMPARE(panel.filterText(), QString());
        QVERIFY(view->model()->rowCount() >= HistoryPanel::kPageSize);
        QVERIFY(panel.message().isEmpty());
    }

    void reopenAndRerunSignals() {
        HistoryStore store;
        QVERIFY(store.open(dir_.filePath(QStringLiteral("signals.sqlite"))));
        const qint64 older = store.createEntry(QStringLiteral("Older"), QStringLiteral("p1"));
        const qint64 newer = store.createEntry(QStringLiteral("Newer"), QStringLiteral("p2"));
        HistoryPanel panel(&store);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QAbstractItemView* view = panel.view();
        QCOMPARE(view->model()->rowCount(), 2);
        QCOMPARE(idAt(view, 0), newer);

        QSignalSpy reopen(&panel, &HistoryPanel::reopenRequested);
        QSignalSpy rerun(&panel, &HistoryPanel::rerunRequested);
        QPushButton* open = buttonNamed(&panel, QStringLiteral("Open"));
        QPushButton* again = buttonNamed(&panel, QStringLiteral("Render again"));
        QVERIFY(open && again);
        QVERIFY(!open->isEnabled()); // nothing selected yet
        QCOMPARE(panel.selectedEntry(), qint64(0));

        // Double-click.
        const QRect second = view->visualRect(view->model()->index(1, 0));
        // (A double-click is a click and then a double-click event, as a real mouse sends.)
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, second.center());
        QTest::mouseDClick(view->viewport(), Qt::LeftButton, {}, second.center());
        QTRY_COMPARE(reopen.count(), 1);
        QCOMPARE(reopen.takeFirst().at(0).toLongLong(), older);
        QCOMPARE(panel.selectedEntry(), older);

        // Enter on the current row.
        view->setCurrentIndex(view->model()->index(0, 0));
        view->setFocus();
        QTest::keyClick(view, Qt::Key_Return);
        QCOMPARE(reopen.count(), 1);
        QCOMPARE(reopen.takeFirst().at(0).toLongLong(), newer);

        // The buttons act on the selection.
        QVERIFY(open->isEnabled());
        QTest::mouseClick(open, Qt::LeftButton);
        QCOMPARE(reopen.count(), 1);
        QCOMPARE(reopen.takeFirst().at(0).toLongLong(), newer);
        QTest::mouseClick(again, Qt::LeftButton);
        QCOMPARE(rerun.count(), 1);
        QCOMPARE(rerun.takeFirst().at(0).toLongLong(), newer);

        // A change in the store shows up, the selection stays on its entry.
        const qint64 newest = store.createEntry(QStringLiteral("Newest"), QStringLiteral("p3"));
        QTRY_COMPARE(view->model()->rowCount(), 3);
        QCOMPARE(idAt(view, 0), newest);
        QCOMPARE(panel.selectedEntry(), newer);
    }

    void deleteAsksThenRemoves() {
        HistoryStore store;
        QVERIFY(store.open(dir_.filePath(QStringLiteral("delete.sqlite"))));
        const qint64 keep = store.createEntry(QStringLiteral("Keep me"), QStringLiteral("p"));
        const qint64 victim = store.createEntry(QStringLiteral("Delete me"), QStringLiteral("p"));
        HistoryVersion version;
        version.entryId = victim;
        version.code = QStringLiteral("x = 1");
        QVERIFY(store.addVersion(version) > 0);
        HistoryPanel panel(&store);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QAbstractItemView* view = panel.view();
        QSignalSpy deleted(&panel, &HistoryPanel::deleteRequested);
        QPushButton* remove = buttonNamed(&panel, QStringLiteral("Delete"));
        QVERIFY(remove);

        // Cancel: nothing happens.
        view->setCurrentIndex(view->model()->index(0, 0));
        QCOMPARE(panel.selectedEntry(), victim);
        QTest::mouseClick(remove, Qt::LeftButton);
        QMessageBox* box = nullptr;
        QTRY_VERIFY((box = visibleMessageBox(&panel)) != nullptr);
        QVERIFY(box->text().contains(QLatin1String("Delete me")));
        QVERIFY(store.load(victim).has_value()); // asked, not yet removed
        box->button(QMessageBox::Cancel)->click();
        QTRY_VERIFY(visibleMessageBox(&panel) == nullptr);
        QCOMPARE(deleted.count(), 0);
        QVERIFY(store.load(victim).has_value());
        QCOMPARE(view->model()->rowCount(), 2);

        // Confirm (here through the Delete key): removed from the store and the list.
        view->setFocus();
        QTest::keyClick(view, Qt::Key_Delete);
        QTRY_VERIFY((box = visibleMessageBox(&panel)) != nullptr);
        QPushButton* confirm = nullptr;
        for (QAbstractButton* button : box->buttons())
            if (box->buttonRole(button) == QMessageBox::DestructiveRole)
                confirm = qobject_cast<QPushButton*>(button);
        QVERIFY(confirm);
        confirm->click();
        QTRY_COMPARE(deleted.count(), 1);
        QCOMPARE(deleted.first().at(0).toLongLong(), victim);
        QVERIFY(!store.load(victim).has_value());
        QTRY_COMPARE(view->model()->rowCount(), 1);
        QCOMPARE(idAt(view, 0), keep);
    }

    void emptyAndUnavailableHistorySayWhy() {
        HistoryStore empty;
        QVERIFY(empty.open(dir_.filePath(QStringLiteral("empty.sqlite"))));
        HistoryPanel emptyPanel(&empty);
        QCOMPARE(emptyPanel.view()->model()->rowCount(), 0);
        QVERIFY2(emptyPanel.message().contains(QLatin1String("No history yet")),
                 qPrintable(emptyPanel.message()));

        const QString damaged = dir_.filePath(QStringLiteral("damaged.sqlite"));
        {
            QFile file(damaged);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(QByteArray(4096, 'x'));
        }
        HistoryStore broken;
        QVERIFY(!broken.open(damaged));
        HistoryPanel panel(&broken);
        QCOMPARE(panel.view()->model()->rowCount(), 0);
        QVERIFY2(panel.message().startsWith(QLatin1String("History is off.")),
                 qPrintable(panel.message()));
        QVERIFY2(panel.message().contains(damaged), qPrintable(panel.message()));
        QVERIFY(!panel.searchBox()->isEnabled());
    }

    void relativeTimes() {
        const QDateTime now = QDateTime::currentDateTimeUtc();
        QCOMPARE(HistoryPanel::relativeTime(now.addSecs(-5), now), QStringLiteral("just now"));
        QCOMPARE(HistoryPanel::relativeTime(now.addSecs(-5 * 60), now),
                 QStringLiteral("5 min ago"));
        QCOMPARE(HistoryPanel::relativeTime(now.addSecs(-3 * 3600), now),
                 QStringLiteral("3 h ago"));
        QCOMPARE(HistoryPanel::relativeTime(now.addDays(-4), now), QStringLiteral("4 days ago"));
        QVERIFY(HistoryPanel::relativeTime(now.addDays(-40), now)
                    .contains(QString::number(now.addDays(-40).toLocalTime().date().day())));
        QCOMPARE(HistoryPanel::relativeTime(QDateTime(), now), QString());
    }
};

QTEST_MAIN(TestHistoryPanel)
#include "tst_historypanel.moc"
