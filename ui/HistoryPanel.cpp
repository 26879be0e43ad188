#include "HistoryPanel.h"

#include <QAbstractListModel>
#include <QApplication>
#include <QHBoxLayout>
#include <QIcon>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QLocale>
#include <QMessageBox>
#include <QPainter>
#include <QPushButton>
#include <QStyledItemDelegate>
#include <QTimer>
#include <QVBoxLayout>

namespace omega::ui {

namespace {

enum Role {
    EntryIdRole = Qt::UserRole + 1,
    UpdatedRole,
    VersionsRole,
    StatusRole,
};

constexpr int kIconSize = 16;

// Drawn, not taken from the icon theme, so that it looks the same on every desktop:
// a green disc for rendered, a red one for failed, a grey ring for not rendered yet.
// (Made per model, not cached in a static: pixmaps must not outlive the application.)
QIcon statusIcon(const QString& status) {
    const qreal ratio = qApp ? qApp->devicePixelRatio() : 1.0;
    QPixmap pixmap(QSize(kIconSize, kIconSize) * ratio);
    pixmap.setDevicePixelRatio(ratio);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    const QRectF disc(3.5, 3.5, kIconSize - 7, kIconSize - 7);
    if (status == QLatin1String("rendered")) {
        painter.setPen(Qt::NoPen);
        painter.setBrush(QColor(0x2e, 0x9d, 0x4f));
        painter.drawEllipse(disc);
    } else if (status == QLatin1String("failed")) {
        painter.setPen(Qt::NoPen);
        painter.setBrush(QColor(0xd9, 0x53, 0x4f));
        painter.drawEllipse(disc);
    } else {
        painter.setPen(QPen(QColor(0x99, 0x99, 0x99), 1.5));
        painter.setBrush(Qt::NoBrush);
        painter.drawEllipse(disc);
    }
    painter.end();
    return QIcon(pixmap);
}

QString statusText(const QString& status) {
    if (status == QLatin1String("rendered"))
        return HistoryPanel::tr("rendered");
    if (status == QLatin1String("failed"))
        return HistoryPanel::tr("failed");
    return HistoryPanel::tr("not rendered");
}

// Two lines per entry: status icon, title (elided) and relative time; then the number of
// versions and the status, muted.
class HistoryItemDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex&) const override {
        const QFontMetrics metrics(option.font);
        // Narrow: rows take the view's width, and a wide hint would add a horizontal bar.
        return {metrics.averageCharWidth() * 16, metrics.height() * 2 + 10};
    }

    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override {
        QStyleOptionViewItem item = option;
        initStyleOption(&item, index);
        // The panel: selection and hover backgrounds as the style draws them, no text.
        item.text.clear();
        item.icon = QIcon();
        QStyle* style = item.widget ? item.widget->style() : QApplication::style();
        style->drawControl(QStyle::CE_ItemViewItem, &item, painter, item.widget);

        const bool selected = option.state & QStyle::State_Selected;
        const QPalette::ColorGroup group =
            option.state & QStyle::State_Enabled ? QPalette::Normal : QPalette::Disabled;
        const QColor textColor =
            option.palette.color(group, selected ? QPalette::HighlightedText : QPalette::Text);
        QColor mutedColor = textColor;
        mutedColor.setAlphaF(0.65);

        const QRect area = option.rect.adjusted(6, 5, -6, -5);
        const QFontMetrics metrics(option.font);
        const int lineHeight = metrics.height();
        const QIcon icon = index.data(Qt::DecorationRole).value<QIcon>();
        icon.paint(painter, QRect(area.left(), area.top() + (lineHeight - kIconSize) / 2, kIconSize,
                                  kIconSize));
        const int textLeft = area.left() + kIconSize + 6;

        const QString when = HistoryPanel::relativeTime(index.data(UpdatedRole).toDateTime(),
                                                        QDateTime::currentDateTimeUtc());
        const int whenWidth = metrics.horizontalAdvance(when);
        painter->save();
        painter->setPen(mutedColor);
        painter->drawText(QRect(area.right() - whenWidth, area.top(), whenWidth, lineHeight),
                          Qt::AlignRight | Qt::AlignVCenter, when);
        const int versions = index.data(VersionsRole).toInt();
        const QString details =
            QStringLiteral("%1 \u00b7 %2")
                .arg(versions == 1 ? HistoryPanel::tr("1 version")
                                   : HistoryPanel::tr("%1 versions").arg(versions),
                     statusText(index.data(StatusRole).toString()));
        painter->drawText(
            QRect(textLeft, area.top() + lineHeight, area.right() - textLeft, lineHeight),
            Qt::AlignLeft | Qt::AlignVCenter,
            metrics.elidedText(details, Qt::ElideRight, area.right() - textLeft));
        painter->setPen(textColor);
        const int titleWidth = qMax(0, area.right() - whenWidth - 8 - textLeft);
        painter->drawText(
            QRect(textLeft, area.top(), titleWidth, lineHeight), Qt::AlignLeft | Qt::AlignVCenter,
            metrics.elidedText(index.data(Qt::DisplayRole).toString(), Qt::ElideRight, titleWidth));
        painter->restore();
    }
};

} // namespace

// The entries, a page at a time: the view asks for more (canFetchMore/fetchMore) when it is
// scrolled to the bottom, so opening a long history reads one page.
class HistoryListModel : public QAbstractListModel {
public:
    HistoryListModel(HistoryStore* store, QObject* parent)
        : QAbstractListModel(parent)
        , store_(store) {}

    int rowCount(const QModelIndex& parent = {}) const override {
        return parent.isValid() ? 0 : int(rows_.size());
    }

    QVariant data(const QModelIndex& index, int role) const override {
        if (!index.isValid() || index.row() >= rows_.size())
            return {};
        const HistorySummary& row = rows_.at(index.row());
        switch (role) {
        case Qt::DisplayRole:
            return row.title.isEmpty() ? row.prompt.section(QLatin1Char('\n'), 0, 0) : row.title;
        case Qt::ToolTipRole:
            return row.prompt.isEmpty() ? row.title : row.prompt;
        case Qt::DecorationRole: {
            auto icon = icons_.constFind(row.lastStatus);
            if (icon == icons_.constEnd())
                icon = icons_.insert(row.lastStatus, statusIcon(row.lastStatus));
            return *icon;
        }
        case EntryIdRole:
            return row.id;
        case UpdatedRole:
            return row.updated;
        case VersionsRole:
            return row.versions;
        case StatusRole:
            return row.lastStatus;
        default:
            return {};
        }
    }

    bool canFetchMore(const QModelIndex& parent) const override {
        return !parent.isValid() && !atEnd_;
    }

    void fetchMore(const QModelIndex& parent) override {
        if (parent.isValid() || atEnd_)
            return;
        const QList<HistorySummary> page = fetch(HistoryPanel::kPageSize, int(rows_.size()));
        atEnd_ = page.size() < HistoryPanel::kPageSize;
        if (page.isEmpty())
            return;
        beginInsertRows({}, int(rows_.size()), int(rows_.size() + page.size()) - 1);
        rows_.append(page);
        endInsertRows();
    }

    // Reads the first `rows` entries (at least a page) matching `filter` again.
    void reset(const QString& filter, int rows) {
        const int wanted = qMax(int(HistoryPanel::kPageSize), rows);
        beginResetModel();
        filter_ = filter;
        rows_ = fetch(wanted, 0);
        atEnd_ = rows_.size() < wanted;
        endResetModel();
    }

    const QString& filter() const { return filter_; }
    qint64 idAt(int row) const { return row >= 0 && row < rows_.size() ? rows_.at(row).id : 0; }
    QString titleAt(int row) const {
        return row >= 0 && row < rows_.size() ? data(index(row), Qt::DisplayRole).toString()
                                              : QString();
    }
    int rowOf(qint64 id) const {
        for (int i = 0; i < rows_.size(); ++i)
            if (rows_.at(i).id == id)
                return i;
        return -1;
    }

private:
    QList<HistorySummary> fetch(int limit, int offset) const {
        if (!store_ || !store_->isOpen())
            return {};
        return filter_.trimmed().isEmpty() ? store_->recent(limit, offset)
                                           : store_->search(filter_, limit, offset);
    }

    QPointer<HistoryStore> store_;
    mutable QHash<QString, QIcon> icons_; // by status
    QList<HistorySummary> rows_;
    QString filter_;
    bool atEnd_ = true;
};

HistoryPanel::HistoryPanel(HistoryStore* store, QWidget* parent)
    : QWidget(parent)
    , store_(store)
    , model_(new HistoryListModel(store, this))
    , searchBox_(new QLineEdit(this))
    , messageLabel_(new QLabel(this))
    , list_(new QListView(this))
    , openButton_(new QPushButton(tr("&Open"), this))
    , rerunButton_(new QPushButton(tr("&Render again"), this))
    , deleteButton_(new QPushButton(tr("&Delete"), this))
    , searchTimer_(new QTimer(this))
    , reloadTimer_(new QTimer(this))
    , clockTimer_(new QTimer(this)) {
    searchBox_->setPlaceholderText(tr("Search titles, prompts and code"));
    searchBox_->setClearButtonEnabled(true);
    searchBox_->setAccessibleName(tr("Search the history"));

    messageLabel_->setWordWrap(true);
    messageLabel_->setAlignment(Qt::AlignCenter);
    messageLabel_->setTextFormat(Qt::PlainText);
    messageLabel_->setForegroundRole(QPalette::PlaceholderText);

    list_->setModel(model_);
    list_->setItemDelegate(new HistoryItemDelegate(list_));
    list_->setUniformItemSizes(true); // no per-row size queries with thousands of rows
    list_->setSelectionMode(QAbstractItemView::SingleSelection);
    list_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    list_->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    list_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff); // titles are elided instead
    list_->setAccessibleName(tr("History"));

    openButton_->setToolTip(tr("Open this entry's latest script and video"));
    rerunButton_->setToolTip(tr("Render this entry's latest script again"));
    deleteButton_->setToolTip(tr("Remove this entry and its records from the history"));

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(openButton_);
    buttons->addWidget(rerunButton_);
    buttons->addStretch();
    buttons->addWidget(deleteButton_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(searchBox_);
    layout->addWidget(messageLabel_);
    layout->addWidget(list_, 1);
    layout->addLayout(buttons);

    searchTimer_->setSingleShot(true);
    searchTimer_->setInterval(kSearchDelayMs);
    connect(searchBox_, &QLineEdit::textChanged, searchTimer_, qOverload<>(&QTimer::start));
    connect(searchTimer_, &QTimer::timeout, this, &HistoryPanel::applySearch);
    connect(searchBox_, &QLineEdit::returnPressed, this, &HistoryPanel::applySearch);

    // Several writes in a row (a healing run) reload once.
    reloadTimer_->setSingleShot(true);
    reloadTimer_->setInterval(50);
    connect(reloadTimer_, &QTimer::timeout, this, &HistoryPanel::reload);
    if (store_)
        connect(store_, &HistoryStore::changed, this, &HistoryPanel::scheduleReload);

    // Relative times ("5 min ago") move on.
    clockTimer_->setInterval(60 * 1000);
    connect(clockTimer_, &QTimer::timeout, list_->viewport(), qOverload<>(&QWidget::update));
    clockTimer_->start();

    auto withSelection = [this](void (HistoryPanel::*signal)(qint64)) {
        return [this, signal] {
            if (const qint64 id = selectedEntry())
                Q_EMIT(this->*signal)(id);
        };
    };
    connect(list_, &QAbstractItemView::activated, this, [this](const QModelIndex& index) {
        if (const qint64 id = model_->idAt(index.row()))
            Q_EMIT reopenRequested(id);
    });
    connect(openButton_, &QPushButton::clicked, this,
            withSelection(&HistoryPanel::reopenRequested));
    connect(rerunButton_, &QPushButton::clicked, this,
            withSelection(&HistoryPanel::rerunRequested));
    connect(deleteButton_, &QPushButton::clicked, this, &HistoryPanel::confirmDelete);
    list_->installEventFilter(this); // the Delete key
    connect(list_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &HistoryPanel::updateState);
    connect(model_, &QAbstractItemModel::modelReset, this, &HistoryPanel::updateState);
    connect(model_, &QAbstractItemModel::rowsInserted, this, &HistoryPanel::updateState);

    reload();
}

HistoryPanel::~HistoryPanel() = default;

bool HistoryPanel::eventFilter(QObject* watched, QEvent* event) {
    if (watched == list_ && event->type() == QEvent::KeyPress &&
        static_cast<QKeyEvent*>(event)->matches(QKeySequence::Delete)) {
        confirmDelete();
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

QAbstractItemView* HistoryPanel::view() const {
    return list_;
}

QLineEdit* HistoryPanel::searchBox() const {
    return searchBox_;
}

QString HistoryPanel::filterText() const {
    return model_->filter();
}

QString HistoryPanel::message() const {
    return messageLabel_->isVisibleTo(this) ? messageLabel_->text() : QString();
}

qint64 HistoryPanel::selectedEntry() const {
    const QModelIndexList selected = list_->selectionModel()->selectedIndexes();
    return selected.isEmpty() ? 0 : model_->idAt(selected.first().row());
}

void HistoryPanel::reload() {
    reloadTimer_->stop();
    const qint64 selected = selectedEntry();
    model_->reset(searchBox_->text(), model_->rowCount());
    selectEntry(selected);
    updateState();
}

void HistoryPanel::applySearch() {
    searchTimer_->stop();
    if (searchBox_->text() == model_->filter())
        return;
    const qint64 selected = selectedEntry();
    model_->reset(searchBox_->text(), 0);
    list_->scrollToTop();
    selectEntry(selected);
    updateState();
}

void HistoryPanel::scheduleReload() {
    reloadTimer_->start();
}

void HistoryPanel::selectEntry(qint64 entryId) {
    const int row = entryId ? model_->rowOf(entryId) : -1;
    if (row < 0) {
        list_->selectionModel()->clearSelection();
        return;
    }
    const QModelIndex index = model_->index(row);
    list_->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect);
}

void HistoryPanel::updateState() {
    const bool available = store_ && store_->isOpen();
    const bool empty = model_->rowCount() == 0;
    QString text;
    if (!available) {
        text = store_ ? tr("History is off. %1").arg(store_->lastError()) : tr("History is off.");
    } else if (empty && !model_->filter().trimmed().isEmpty()) {
        text = tr("Nothing in the history matches \u201c%1\u201d.").arg(model_->filter().trimmed());
    } else if (empty) {
        text = tr("No history yet. Every prompt, script version and render is kept here.");
    }
    messageLabel_->setText(text);
    messageLabel_->setVisible(!text.isEmpty());
    searchBox_->setEnabled(available);
    const bool hasSelection = available && selectedEntry() != 0;
    openButton_->setEnabled(hasSelection);
    rerunButton_->setEnabled(hasSelection);
    deleteButton_->setEnabled(hasSelection);
}

void HistoryPanel::confirmDelete() {
    const qint64 id = selectedEntry();
    // One question at a time (a closed box lingers until its deferred deletion).
    if (!id || !store_ || (confirmation_ && confirmation_->isVisible()))
        return;
    const QString title = model_->titleAt(model_->rowOf(id));
    auto* box =
        new QMessageBox(QMessageBox::Question, tr("Delete from history"),
                        tr("Delete \u201c%1\u201d from the history?")
                            .arg(title.size() > 80 ? title.left(79) + QChar(0x2026) : title),
                        QMessageBox::Cancel, this);
    box->setInformativeText(tr("Its prompt, script versions, attempts and output records are "
                               "removed. Video files already rendered stay on disk."));
    QPushButton* deleteButton = box->addButton(tr("Delete"), QMessageBox::DestructiveRole);
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    confirmation_ = box;
    // Non-blocking (open, not exec): the answer arrives through finished.
    connect(box, &QMessageBox::finished, this, [this, box, deleteButton, id] {
        if (box->clickedButton() != deleteButton)
            return;
        if (!store_ || !store_->removeEntry(id)) {
            auto* failure = new QMessageBox(
                QMessageBox::Warning, tr("Delete from history"),
                tr("The entry could not be deleted. %1")
                    .arg(store_ ? store_->lastError() : tr("The history is closed.")),
                QMessageBox::Ok, this);
            failure->setAttribute(Qt::WA_DeleteOnClose);
            failure->open();
            return;
        }
        reload();
        Q_EMIT deleteRequested(id);
    });
    box->open();
}

QString HistoryPanel::relativeTime(const QDateTime& time, const QDateTime& now) {
    if (!time.isValid())
        return {};
    const qint64 seconds = time.secsTo(now);
    if (seconds < 60)
        return tr("just now");
    if (seconds < 3600)
        return tr("%1 min ago").arg(seconds / 60);
    const QDate day = time.toLocalTime().date();
    const QDate today = now.toLocalTime().date();
    if (seconds < 6 * 3600 || day == today)
        return tr("%1 h ago").arg(seconds / 3600);
    const qint64 days = day.daysTo(today);
    if (days == 1)
        return tr("yesterday");
    if (days < 7)
        return tr("%1 days ago").arg(days);
    return QLocale().toString(day, QLocale::ShortFormat);
}

} // namespace omega::ui
