#include "FindBar.h"

#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QToolButton>
#include <QVBoxLayout>

namespace omega::ui {

namespace {

QToolButton* makeButton(QWidget* parent, const QString& text, const QString& toolTip,
                        bool checkable = false) {
    auto* button = new QToolButton(parent);
    button->setText(text);
    button->setToolTip(toolTip);
    button->setCheckable(checkable);
    button->setAutoRaise(true);
    // Clicking a button must not take the focus from the fields (Enter keeps working).
    button->setFocusPolicy(Qt::NoFocus);
    return button;
}

} // namespace

FindBar::FindBar(QWidget* parent)
    : QWidget(parent)
    , findField_(new QLineEdit(this))
    , replaceField_(new QLineEdit(this))
    , statusLabel_(new QLabel(this)) {
    findField_->setPlaceholderText(tr("Find"));
    findField_->setClearButtonEnabled(true);
    replaceField_->setPlaceholderText(tr("Replace with"));
    findField_->installEventFilter(this);
    replaceField_->installEventFilter(this);

    auto* previous = makeButton(this, QStringLiteral("↑"), tr("Previous match (Shift+F3)"));
    auto* next = makeButton(this, QStringLiteral("↓"), tr("Next match (F3)"));
    caseButton_ = makeButton(this, QStringLiteral("Aa"), tr("Match case"), true);
    wordButton_ = makeButton(this, QStringLiteral("W"), tr("Whole words"), true);
    regexButton_ =
        makeButton(this, QStringLiteral(".*"),
                   tr("Regular expression (\\1 in the replacement inserts group 1)"), true);
    auto* closeButton = makeButton(this, QStringLiteral("✕"), tr("Close (Esc)"));
    auto* replaceOne = makeButton(this, tr("Replace"), tr("Replace this match and find the next"));
    auto* replaceAll = makeButton(this, tr("Replace All"), tr("Replace every match"));

    auto* findRow = new QHBoxLayout;
    findRow->setContentsMargins(0, 0, 0, 0);
    findRow->addWidget(findField_, 1);
    for (QWidget* widget : {static_cast<QWidget*>(previous), static_cast<QWidget*>(next),
                            static_cast<QWidget*>(caseButton_), static_cast<QWidget*>(wordButton_),
                            static_cast<QWidget*>(regexButton_)})
        findRow->addWidget(widget);
    findRow->addWidget(statusLabel_);
    findRow->addWidget(closeButton);

    replaceRow_ = new QWidget(this);
    auto* replaceLayout = new QHBoxLayout(replaceRow_);
    replaceLayout->setContentsMargins(0, 0, 0, 0);
    replaceLayout->addWidget(replaceField_, 1);
    replaceLayout->addWidget(replaceOne);
    replaceLayout->addWidget(replaceAll);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 2, 4, 2);
    layout->setSpacing(2);
    layout->addLayout(findRow);
    layout->addWidget(replaceRow_);

    connect(findField_, &QLineEdit::textChanged, this, &FindBar::searchChanged);
    for (QToolButton* option : {caseButton_, wordButton_, regexButton_})
        connect(option, &QToolButton::toggled, this, &FindBar::searchChanged);
    connect(next, &QToolButton::clicked, this, [this] { Q_EMIT findRequested(true); });
    connect(previous, &QToolButton::clicked, this, [this] { Q_EMIT findRequested(false); });
    connect(replaceOne, &QToolButton::clicked, this, &FindBar::replaceRequested);
    connect(replaceAll, &QToolButton::clicked, this, &FindBar::replaceAllRequested);
    connect(closeButton, &QToolButton::clicked, this, &FindBar::dismiss);
    setFocusProxy(findField_);
    hide();
}

void FindBar::open(bool withReplace, const QString& seed) {
    replaceRow_->setVisible(withReplace);
    if (!seed.isEmpty())
        findField_->setText(seed);
    show();
    findField_->setFocus(Qt::ShortcutFocusReason);
    findField_->selectAll();
}

bool FindBar::replaceVisible() const {
    return !isHidden() && !replaceRow_->isHidden();
}

QString FindBar::findText() const {
    return findField_->text();
}

QString FindBar::replaceText() const {
    return replaceField_->text();
}

FindOptions FindBar::options() const {
    FindOptions options;
    options.caseSensitive = caseButton_->isChecked();
    options.wholeWord = wordButton_->isChecked();
    options.regex = regexButton_->isChecked();
    return options;
}

void FindBar::setOptions(const FindOptions& options) {
    caseButton_->setChecked(options.caseSensitive);
    wordButton_->setChecked(options.wholeWord);
    regexButton_->setChecked(options.regex);
}

void FindBar::setStatus(const QString& message, bool isFailure) {
    statusLabel_->setText(message);
    // The field turns reddish on a failure, in light and dark palettes alike.
    QPalette fieldPalette = palette();
    if (isFailure) {
        const QColor base = fieldPalette.color(QPalette::Base);
        const QColor red(220, 50, 47);
        const qreal mix = 0.25;
        fieldPalette.setColor(QPalette::Base,
                              QColor::fromRgbF(base.redF() * (1 - mix) + red.redF() * mix,
                                               base.greenF() * (1 - mix) + red.greenF() * mix,
                                               base.blueF() * (1 - mix) + red.blueF() * mix));
    }
    findField_->setPalette(fieldPalette);
}

QString FindBar::status() const {
    return statusLabel_->text();
}

void FindBar::keyPressEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Escape) {
        dismiss();
        return;
    }
    QWidget::keyPressEvent(event);
}

bool FindBar::eventFilter(QObject* watched, QEvent* event) {
    if (event->type() == QEvent::KeyPress) {
        const auto* key = static_cast<QKeyEvent*>(event);
        const bool isReturn = key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter;
        if (isReturn && watched == findField_) {
            Q_EMIT findRequested(!(key->modifiers() & Qt::ShiftModifier));
            return true;
        }
        if (isReturn && watched == replaceField_) {
            Q_EMIT replaceRequested();
            return true;
        }
        if (key->key() == Qt::Key_Escape) {
            dismiss();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

void FindBar::dismiss() {
    hide();
    Q_EMIT closed();
}

} // namespace omega::ui
