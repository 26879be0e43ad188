#pragma once

#include "ProviderConfig.h"

#include <QStringList>
#include <QWidget>

class QComboBox;
class QFrame;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QShortcut;

namespace omega::ui {

// Where the user writes what the animation should show: a multi-line prompt with a shell-like
// history (Up on the first line, Down on the last), the provider and model to ask, and
// Generate (Ctrl+Enter) which turns into Stop (Esc) while a generation runs.
class PromptEditor : public QWidget {
    Q_OBJECT
public:
    static constexpr int kMaxHistory = 200;

    explicit PromptEditor(QWidget* parent = nullptr);

    QString prompt() const;
    void setPrompt(const QString& text);

    // Enabled providers by priority, after "Automatic (by priority, with fallback)"; each
    // shows "name · model". Keeps the selection when that provider is still there.
    void setProviders(const QList<omega::ProviderConfig>& providers);
    QString selectedProvider() const;              // "" = automatic
    void setSelectedProvider(const QString& name); // unknown or "" → automatic
    // The model field's text, trimmed: the selected provider's model unless the user typed
    // another; "" = the provider's default (always "" with automatic).
    QString model() const;

    void setHistory(const QStringList& prompts); // oldest first; keeps the newest kMaxHistory
    // Ignores blank prompts and a repeat of the newest entry; drops the oldest beyond
    // kMaxHistory. Generate adds its prompt itself, so calling this again is harmless.
    void addToHistory(const QString& prompt);
    QStringList history() const { return history_; } // oldest first

    void setBusy(bool busy); // Generate ↔ Stop; the prompt and pickers read-only while busy
    bool isBusy() const { return busy_; }

    // An inline hint that no provider is configured, with an "Add a provider…" button.
    void setNoProviderHint(bool show);
    bool isNoProviderHintShown() const;

    QPlainTextEdit* textEdit() const { return textEdit_; }
    QPushButton* generateButton() const { return generateButton_; }
    QComboBox* providerBox() const { return providerBox_; }
    QComboBox* modelBox() const { return modelBox_; }
    QPushButton* addProviderButton() const { return addProviderButton_; }

Q_SIGNALS:
    void generateRequested(const QString& prompt, const QString& provider, const QString& model);
    void stopRequested();
    void addProviderRequested();
    void historyChanged();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void onGenerateClicked();
    void requestGenerate();
    void onProviderChanged();
    void updateButton();
    bool walkHistory(int step); // -1 older, +1 newer; false when there is nothing to walk to
    void showHistoryText(const QString& text, bool cursorAtEnd);
    bool cursorOnFirstLine() const;
    bool cursorOnLastLine() const;

    QPlainTextEdit* textEdit_ = nullptr;
    QComboBox* providerBox_ = nullptr;
    QComboBox* modelBox_ = nullptr;
    QPushButton* generateButton_ = nullptr;
    QFrame* hintFrame_ = nullptr;
    QPushButton* addProviderButton_ = nullptr;
    QShortcut* stopShortcut_ = nullptr;
    bool busy_ = false;

    QStringList history_;
    int historyIndex_ = 0; // == history_.size(): not walking (the draft is shown)
    QString draft_;        // what was typed before the walk started
};

} // namespace omega::ui
