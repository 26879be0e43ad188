#include "PromptEditor.h"

#include <QComboBox>
#include <QFrame>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShortcut>
#include <QStyle>
#include <QTextBlock>
#include <QTextLayout>
#include <QVBoxLayout>

namespace omega::ui {

namespace {
constexpr int kNameRole = Qt::UserRole;
constexpr int kModelRole = Qt::UserRole + 1;

bool isCtrlEnter(const QKeyEvent* key) {
    const bool enter = key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter;
    return enter && (key->modifiers() & Qt::ControlModifier);
}

bool isPlain(const QKeyEvent* key) {
    return (key->modifiers() & ~Qt::KeypadModifier) == Qt::NoModifier;
}
} // namespace

PromptEditor::PromptEditor(QWidget* parent)
    : QWidget(parent) {
    textEdit_ = new QPlainTextEdit(this);
    textEdit_->setPlaceholderText(
        tr("Describe the animation, e.g. \"A blue circle grows out of a dot, turns into a "
           "square, and the text 'Hello, Manim' writes itself underneath.\"\n"
           "Ctrl+Enter generates; Up and Down recall earlier prompts."));
    textEdit_->setTabChangesFocus(true);
    textEdit_->setAccessibleName(tr("Prompt"));
    // About four lines high by default; the splitter around it may give it more.
    const int lineHeight = textEdit_->fontMetrics().lineSpacing();
    textEdit_->setMinimumHeight(lineHeight * 3 + 12);
    textEdit_->installEventFilter(this);
    connect(textEdit_, &QPlainTextEdit::textChanged, this, &PromptEditor::updateButton);

    providerBox_ = new QComboBox(this);
    // Long provider names elide instead of widening the window.
    providerBox_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    providerBox_->setMinimumContentsLength(14);
    providerBox_->setToolTip(tr("The AI provider to ask; Automatic tries them by priority and "
                                "falls back to the next one when a provider fails"));
    connect(providerBox_, qOverload<int>(&QComboBox::currentIndexChanged), this,
            &PromptEditor::onProviderChanged);

    modelBox_ = new QComboBox(this);
    modelBox_->setEditable(true);
    modelBox_->setInsertPolicy(QComboBox::NoInsert);
    modelBox_->setMinimumContentsLength(10);
    modelBox_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    modelBox_->setToolTip(tr("The model to ask; empty uses the provider's own model"));

    generateButton_ = new QPushButton(this);
    generateButton_->setToolTip(tr("Generate the animation from the prompt (Ctrl+Enter)"));
    connect(generateButton_, &QPushButton::clicked, this, &PromptEditor::onGenerateClicked);

    hintFrame_ = new QFrame(this);
    hintFrame_->setFrameShape(QFrame::StyledPanel);
    auto* hintIcon = new QLabel(hintFrame_);
    const int iconSize = style()->pixelMetric(QStyle::PM_SmallIconSize);
    hintIcon->setPixmap(
        style()->standardIcon(QStyle::SP_MessageBoxInformation).pixmap(iconSize, iconSize));
    auto* hintText = new QLabel(
        tr("No AI provider is set up yet. Generating needs one: Gemini, OpenAI, Anthropic, "
           "Azure OpenAI, or a local server such as Ollama."),
        hintFrame_);
    hintText->setWordWrap(true);
    addProviderButton_ = new QPushButton(tr("Add a provider…"), hintFrame_);
    connect(addProviderButton_, &QPushButton::clicked, this, &PromptEditor::addProviderRequested);
    auto* hintLayout = new QHBoxLayout(hintFrame_);
    hintLayout->setContentsMargins(6, 4, 6, 4);
    hintLayout->addWidget(hintIcon);
    hintLayout->addWidget(hintText, 1);
    hintLayout->addWidget(addProviderButton_);
    hintFrame_->hide();

    auto* providerLabel = new QLabel(tr("&Provider"), this);
    providerLabel->setBuddy(providerBox_);
    auto* modelLabel = new QLabel(tr("&Model"), this);
    modelLabel->setBuddy(modelBox_);
    auto* controls = new QHBoxLayout;
    controls->setContentsMargins(0, 0, 0, 0);
    controls->addWidget(providerLabel);
    controls->addWidget(providerBox_);
    controls->addSpacing(8);
    controls->addWidget(modelLabel);
    controls->addWidget(modelBox_, 1);
    controls->addSpacing(8);
    controls->addWidget(generateButton_);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(textEdit_, 1);
    layout->addWidget(hintFrame_);
    layout->addLayout(controls);

    // The same keys anywhere in the editor (the pickers, the button); in the text field the
    // event filter takes them first.
    for (const QKeySequence& keys :
         {QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)}) {
        auto* shortcut = new QShortcut(keys, this);
        shortcut->setContext(Qt::WidgetWithChildrenShortcut);
        connect(shortcut, &QShortcut::activated, this, &PromptEditor::requestGenerate);
    }
    auto* stopShortcut = new QShortcut(QKeySequence(Qt::Key_Escape), this);
    stopShortcut->setContext(Qt::WidgetWithChildrenShortcut);
    stopShortcut->setEnabled(false); // only while busy, so Esc still closes dialogs otherwise
    connect(stopShortcut, &QShortcut::activated, this, [this] {
        if (busy_)
            Q_EMIT stopRequested();
    });
    stopShortcut_ = stopShortcut;

    setProviders({});
    updateButton();
}

QString PromptEditor::prompt() const {
    return textEdit_->toPlainText();
}

void PromptEditor::setPrompt(const QString& text) {
    textEdit_->setPlainText(text);
    textEdit_->moveCursor(QTextCursor::End);
    historyIndex_ = int(history_.size());
}

void PromptEditor::setProviders(const QList<ProviderConfig>& providers) {
    const QString previous = selectedProvider();
    const bool typedModel =
        !previous.isEmpty() &&
        modelBox_->currentText().trimmed() != providerBox_->currentData(kModelRole).toString();
    const QSignalBlocker blocker(providerBox_);
    providerBox_->clear();
    providerBox_->addItem(tr("Automatic (by priority, with fallback)"), QString());
    providerBox_->setItemData(0, QString(), kModelRole);
    for (const ProviderConfig& provider : providersByPriority(providers)) {
        const QString model = provider.type == ProviderType::AzureOpenAI && provider.model.isEmpty()
                                  ? provider.deployment
                                  : provider.model;
        const QString label =
            model.isEmpty() ? provider.name : QStringLiteral("%1 · %2").arg(provider.name, model);
        providerBox_->addItem(label, provider.name);
        providerBox_->setItemData(providerBox_->count() - 1, model, kModelRole);
        providerBox_->setItemData(providerBox_->count() - 1,
                                  tr("%1 (%2), priority %3")
                                      .arg(provider.name, providerTypeName(provider.type))
                                      .arg(provider.priority),
                                  Qt::ToolTipRole);
    }
    const int index = providerBox_->findData(previous, kNameRole);
    providerBox_->setCurrentIndex(index < 0 ? 0 : index);
    // A model the user typed for the same provider stays; otherwise the provider's own.
    if (index <= 0 || !typedModel)
        onProviderChanged();
}

QString PromptEditor::selectedProvider() const {
    return providerBox_->currentData(kNameRole).toString();
}

void PromptEditor::setSelectedProvider(const QString& name) {
    const int index = name.isEmpty() ? 0 : providerBox_->findData(name, kNameRole);
    providerBox_->setCurrentIndex(index < 0 ? 0 : index);
}

QString PromptEditor::model() const {
    if (selectedProvider().isEmpty())
        return QString(); // each provider of the fallback chain uses its own model
    return modelBox_->currentText().trimmed();
}

void PromptEditor::onProviderChanged() {
    const bool automatic = selectedProvider().isEmpty();
    const QString model = providerBox_->currentData(kModelRole).toString();
    modelBox_->clear();
    if (!model.isEmpty())
        modelBox_->addItem(model);
    modelBox_->setEditText(model);
    modelBox_->lineEdit()->setPlaceholderText(automatic ? tr("each provider's own")
                                                        : tr("the provider's default"));
    modelBox_->setEnabled(!automatic && !busy_);
}

void PromptEditor::setHistory(const QStringList& prompts) {
    history_.clear();
    for (const QString& prompt : prompts) {
        if (!prompt.trimmed().isEmpty() && (history_.isEmpty() || history_.last() != prompt))
            history_ << prompt;
    }
    while (history_.size() > kMaxHistory)
        history_.removeFirst();
    historyIndex_ = int(history_.size());
    Q_EMIT historyChanged();
}

void PromptEditor::addToHistory(const QString& prompt) {
    historyIndex_ = int(history_.size());
    if (prompt.trimmed().isEmpty() || (!history_.isEmpty() && history_.last() == prompt))
        return;
    history_ << prompt;
    while (history_.size() > kMaxHistory)
        history_.removeFirst();
    historyIndex_ = int(history_.size());
    Q_EMIT historyChanged();
}

void PromptEditor::setBusy(bool busy) {
    busy_ = busy;
    textEdit_->setReadOnly(busy);
    providerBox_->setEnabled(!busy);
    modelBox_->setEnabled(!busy && !selectedProvider().isEmpty());
    stopShortcut_->setEnabled(busy);
    updateButton();
}

void PromptEditor::setNoProviderHint(bool show) {
    hintFrame_->setVisible(show);
}

bool PromptEditor::isNoProviderHintShown() const {
    return !hintFrame_->isHidden();
}

void PromptEditor::updateButton() {
    if (busy_) {
        generateButton_->setText(tr("Stop"));
        generateButton_->setIcon(style()->standardIcon(QStyle::SP_MediaStop));
        generateButton_->setToolTip(tr("Stop the generation (Esc)"));
        generateButton_->setEnabled(true);
        return;
    }
    generateButton_->setText(tr("Generate"));
    generateButton_->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
    const bool empty = prompt().trimmed().isEmpty();
    generateButton_->setToolTip(empty ? tr("Write a prompt first")
                                      : tr("Generate the animation from the prompt (Ctrl+Enter)"));
    generateButton_->setEnabled(!empty);
}

void PromptEditor::onGenerateClicked() {
    if (busy_)
        Q_EMIT stopRequested();
    else
        requestGenerate();
}

void PromptEditor::requestGenerate() {
    const QString text = prompt();
    if (busy_ || text.trimmed().isEmpty())
        return;
    addToHistory(text);
    Q_EMIT generateRequested(text, selectedProvider(), model());
}

bool PromptEditor::cursorOnFirstLine() const {
    const QTextCursor cursor = textEdit_->textCursor();
    if (cursor.blockNumber() != 0)
        return false;
    // A long first paragraph wraps: only its first visual line counts.
    const QTextLayout* layout = cursor.block().layout();
    if (layout == nullptr || layout->lineCount() == 0)
        return true;
    return layout->lineForTextPosition(cursor.positionInBlock()).lineNumber() <= 0;
}

bool PromptEditor::cursorOnLastLine() const {
    const QTextCursor cursor = textEdit_->textCursor();
    if (cursor.blockNumber() != textEdit_->document()->blockCount() - 1)
        return false;
    const QTextLayout* layout = cursor.block().layout();
    if (layout == nullptr || layout->lineCount() == 0)
        return true;
    const QTextLine line = layout->lineForTextPosition(cursor.positionInBlock());
    return !line.isValid() || line.lineNumber() >= layout->lineCount() - 1;
}

bool PromptEditor::walkHistory(int step) {
    const int target = historyIndex_ + step;
    if (target < 0 || target > int(history_.size()) || history_.isEmpty())
        return false;
    if (historyIndex_ == int(history_.size()))
        draft_ = prompt(); // kept as the newest entry while walking
    historyIndex_ = target;
    const QString text = target == int(history_.size()) ? draft_ : history_.at(target);
    // Going older leaves the cursor on the first line, so Up keeps walking; going newer
    // leaves it at the end, so Down does.
    showHistoryText(text, step > 0);
    return true;
}

void PromptEditor::showHistoryText(const QString& text, bool cursorAtEnd) {
    textEdit_->setPlainText(text);
    QTextCursor cursor(textEdit_->document());
    if (cursorAtEnd)
        cursor.movePosition(QTextCursor::End);
    else
        cursor.movePosition(QTextCursor::EndOfBlock);
    textEdit_->setTextCursor(cursor);
}

bool PromptEditor::eventFilter(QObject* watched, QEvent* event) {
    if (watched != textEdit_)
        return QWidget::eventFilter(watched, event);
    if (event->type() == QEvent::ShortcutOverride) {
        // Claim the keys here, so the window's own shortcuts never take them from the field.
        auto* key = static_cast<QKeyEvent*>(event);
        if (isCtrlEnter(key) || (key->key() == Qt::Key_Escape && busy_)) {
            event->accept();
            return true;
        }
        return false;
    }
    if (event->type() != QEvent::KeyPress)
        return false;
    auto* key = static_cast<QKeyEvent*>(event);
    if (isCtrlEnter(key)) {
        requestGenerate();
        return true;
    }
    if (key->key() == Qt::Key_Escape && busy_) {
        Q_EMIT stopRequested();
        return true;
    }
    if (busy_ || !isPlain(key))
        return false;
    if (key->key() == Qt::Key_Up && cursorOnFirstLine())
        return walkHistory(-1);
    if (key->key() == Qt::Key_Down && cursorOnLastLine())
        return walkHistory(+1);
    return false;
}

} // namespace omega::ui
