// The prompt editor driven with the keyboard and mouse like a user would: history walk,
// Ctrl+Enter / Esc, the provider picker, the busy state and the no-provider hint.
#include "PromptEditor.h"
#include "ProviderConfig.h"

#include <QApplication>
#include <QComboBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

using omega::ProviderConfig;
using omega::ProviderType;
using omega::ui::PromptEditor;

namespace {
ProviderConfig provider(const QString& name, ProviderType type, const QString& model, int priority,
                        bool enabled = true) {
    ProviderConfig config = omega::defaultProviderConfig(type, name);
    config.model = model;
    config.priority = priority;
    config.enabled = enabled;
    return config;
}

QStringList providerLabels(const PromptEditor& editor) {
    QStringList labels;
    for (int i = 0; i < editor.providerBox()->count(); ++i)
        labels << editor.providerBox()->itemText(i);
    return labels;
}
} // namespace

class TestPromptEditor : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void emptyPromptDisablesGenerate();
    void ctrlEnterGeneratesWithProviderAndModel();
    void ctrlEnterDoesNothingWhenEmptyOrBusy();
    void escapeStopsOnlyWhenBusy();
    void busyTogglesButtonAndReadOnly();
    void historyWalkKeepsTheDraft();
    void upInsideMultiLineTextMovesTheCursor();
    void historyDedupsAndCaps();
    void providersByPriorityAfterAutomatic();
    void modelFollowsTheProvider();
    void noProviderHintButtonEmits();

private:
    PromptEditor* editor_ = nullptr;
};

void TestPromptEditor::init() {
    editor_ = new PromptEditor;
    editor_->resize(640, 240);
    editor_->show();
    QVERIFY(QTest::qWaitForWindowExposed(editor_));
    editor_->activateWindow();
    editor_->textEdit()->setFocus();
}

void TestPromptEditor::cleanup() {
    delete editor_;
    editor_ = nullptr;
}

void TestPromptEditor::emptyPromptDisablesGenerate() {
    QVERIFY(!editor_->generateButton()->isEnabled());
    QTest::keyClicks(editor_->textEdit(), QStringLiteral("A circle"));
    QVERIFY(editor_->generateButton()->isEnabled());
    editor_->setPrompt(QStringLiteral("   \n  "));
    QVERIFY(!editor_->generateButton()->isEnabled()); // blank counts as empty
    QSignalSpy generate(editor_, &PromptEditor::generateRequested);
    QTest::mouseClick(editor_->generateButton(), Qt::LeftButton);
    QCOMPARE(generate.count(), 0);
    QVERIFY(!editor_->textEdit()->placeholderText().isEmpty());
}

void TestPromptEditor::ctrlEnterGeneratesWithProviderAndModel() {
    editor_->setProviders({provider(QStringLiteral("work-openai"), ProviderType::OpenAI,
                                    QStringLiteral("gpt-4.1-mini"), 20),
                           provider(QStringLiteral("gemini"), ProviderType::Gemini,
                                    QStringLiteral("gemini-2.5-flash"), 10)});
    QSignalSpy generate(editor_, &PromptEditor::generateRequested);

    // Automatic: no provider, no model.
    QTest::keyClicks(editor_->textEdit(), QStringLiteral("A square turns into a circle"));
    QTest::keyClick(editor_->textEdit(), Qt::Key_Return, Qt::ControlModifier);
    QCOMPARE(generate.count(), 1);
    QCOMPARE(generate.at(0).at(0).toString(), QStringLiteral("A square turns into a circle"));
    QCOMPARE(generate.at(0).at(1).toString(), QString());
    QCOMPARE(generate.at(0).at(2).toString(), QString());
    // Ctrl+Enter inserted no newline.
    QCOMPARE(editor_->prompt(), QStringLiteral("A square turns into a circle"));

    // A picked provider, with a model typed over its default; the keypad Enter works too.
    editor_->providerBox()->setCurrentIndex(
        editor_->providerBox()->findData(QStringLiteral("work-openai")));
    QCOMPARE(editor_->model(), QStringLiteral("gpt-4.1-mini"));
    editor_->modelBox()->setEditText(QStringLiteral("gpt-4.1"));
    editor_->textEdit()->setFocus();
    QTest::keyClick(editor_->textEdit(), Qt::Key_Enter, Qt::ControlModifier | Qt::KeypadModifier);
    QCOMPARE(generate.count(), 2);
    QCOMPARE(generate.at(1).at(1).toString(), QStringLiteral("work-openai"));
    QCOMPARE(generate.at(1).at(2).toString(), QStringLiteral("gpt-4.1"));

    // The button does the same; the prompt went to the history once (consecutive dedup).
    QTest::mouseClick(editor_->generateButton(), Qt::LeftButton);
    QCOMPARE(generate.count(), 3);
    QCOMPARE(editor_->history(), QStringList{QStringLiteral("A square turns into a circle")});
}

void TestPromptEditor::ctrlEnterDoesNothingWhenEmptyOrBusy() {
    QSignalSpy generate(editor_, &PromptEditor::generateRequested);
    QTest::keyClick(editor_->textEdit(), Qt::Key_Return, Qt::ControlModifier);
    QCOMPARE(generate.count(), 0);
    editor_->setPrompt(QStringLiteral("Write 'Hello'"));
    editor_->setBusy(true);
    QTest::keyClick(editor_->textEdit(), Qt::Key_Return, Qt::ControlModifier);
    QCOMPARE(generate.count(), 0);
    editor_->setBusy(false);
    QTest::keyClick(editor_->textEdit(), Qt::Key_Return, Qt::ControlModifier);
    QCOMPARE(generate.count(), 1);
}

void TestPromptEditor::escapeStopsOnlyWhenBusy() {
    QSignalSpy stop(editor_, &PromptEditor::stopRequested);
    editor_->setPrompt(QStringLiteral("A dot"));
    QTest::keyClick(editor_->textEdit(), Qt::Key_Escape);
    QCOMPARE(stop.count(), 0);
    editor_->setBusy(true);
    QTest::keyClick(editor_->textEdit(), Qt::Key_Escape);
    QCOMPARE(stop.count(), 1);
    // The Stop button too.
    QTest::mouseClick(editor_->generateButton(), Qt::LeftButton);
    QCOMPARE(stop.count(), 2);
    editor_->setBusy(false);
    QTest::keyClick(editor_->textEdit(), Qt::Key_Escape);
    QCOMPARE(stop.count(), 2);
}

void TestPromptEditor::busyTogglesButtonAndReadOnly() {
    editor_->setPrompt(QStringLiteral("A dot"));
    QCOMPARE(editor_->generateButton()->text(), QStringLiteral("Generate"));
    QVERIFY(!editor_->isBusy());
    editor_->setBusy(true);
    QVERIFY(editor_->isBusy());
    QCOMPARE(editor_->generateButton()->text(), QStringLiteral("Stop"));
    QVERIFY(editor_->generateButton()->isEnabled());
    QVERIFY(editor_->textEdit()->isReadOnly());
    QVERIFY(!editor_->providerBox()->isEnabled());
    QTest::keyClicks(editor_->textEdit(), QStringLiteral(" more"));
    QCOMPARE(editor_->prompt(), QStringLiteral("A dot")); // read-only while busy
    editor_->setBusy(false);
    QCOMPARE(editor_->generateButton()->text(), QStringLiteral("Generate"));
    QVERIFY(!editor_->textEdit()->isReadOnly());
    QVERIFY(editor_->providerBox()->isEnabled());
}

void TestPromptEditor::historyWalkKeepsTheDraft() {
    editor_->setHistory({QStringLiteral("first"), QStringLiteral("second"),
                         QStringLiteral("third line one\nthird line two")});
    QTest::keyClicks(editor_->textEdit(), QStringLiteral("draft"));

    QTest::keyClick(editor_->textEdit(), Qt::Key_Up);
    QCOMPARE(editor_->prompt(), QStringLiteral("third line one\nthird line two"));
    // The cursor is left on the first line, so the next Up keeps walking.
    QTest::keyClick(editor_->textEdit(), Qt::Key_Up);
    QCOMPARE(editor_->prompt(), QStringLiteral("second"));
    QTest::keyClick(editor_->textEdit(), Qt::Key_Up);
    QCOMPARE(editor_->prompt(), QStringLiteral("first"));
    QTest::keyClick(editor_->textEdit(), Qt::Key_Up); // the oldest: stays
    QCOMPARE(editor_->prompt(), QStringLiteral("first"));

    QTest::keyClick(editor_->textEdit(), Qt::Key_Down);
    QCOMPARE(editor_->prompt(), QStringLiteral("second"));
    QTest::keyClick(editor_->textEdit(), Qt::Key_Down);
    QCOMPARE(editor_->prompt(), QStringLiteral("third line one\nthird line two"));
    QTest::keyClick(editor_->textEdit(), Qt::Key_Down); // back to what was being typed
    QCOMPARE(editor_->prompt(), QStringLiteral("draft"));
    QTest::keyClick(editor_->textEdit(), Qt::Key_Down);
    QCOMPARE(editor_->prompt(), QStringLiteral("draft"));
    QCOMPARE(editor_->history().size(), 3); // walking never adds entries
}

void TestPromptEditor::upInsideMultiLineTextMovesTheCursor() {
    editor_->setHistory({QStringLiteral("older")});
    editor_->setPrompt(QStringLiteral("line one\nline two"));
    QCOMPARE(editor_->textEdit()->textCursor().blockNumber(), 1);
    QTest::keyClick(editor_->textEdit(), Qt::Key_Up); // moves to line one, no history
    QCOMPARE(editor_->prompt(), QStringLiteral("line one\nline two"));
    QCOMPARE(editor_->textEdit()->textCursor().blockNumber(), 0);
    QTest::keyClick(editor_->textEdit(), Qt::Key_Up); // now on the first line: history
    QCOMPARE(editor_->prompt(), QStringLiteral("older"));
    QTest::keyClick(editor_->textEdit(), Qt::Key_Down);
    QCOMPARE(editor_->prompt(), QStringLiteral("line one\nline two"));
}

void TestPromptEditor::historyDedupsAndCaps() {
    QSignalSpy changed(editor_, &PromptEditor::historyChanged);
    editor_->addToHistory(QStringLiteral("a"));
    editor_->addToHistory(QStringLiteral("a"));
    editor_->addToHistory(QStringLiteral("   "));
    editor_->addToHistory(QStringLiteral("b"));
    editor_->addToHistory(QStringLiteral("a"));
    QCOMPARE(editor_->history(),
             (QStringList{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("a")}));
    QCOMPARE(changed.count(), 3);
    for (int i = 0; i < 250; ++i)
        editor_->addToHistory(QStringLiteral("prompt %1").arg(i));
    QCOMPARE(editor_->history().size(), PromptEditor::kMaxHistory);
    QCOMPARE(editor_->history().first(), QStringLiteral("prompt 50")); // the oldest went
    QCOMPARE(editor_->history().last(), QStringLiteral("prompt 249"));

    QStringList many;
    for (int i = 0; i < 300; ++i)
        many << QStringLiteral("p%1").arg(i);
    editor_->setHistory(many);
    QCOMPARE(editor_->history().size(), PromptEditor::kMaxHistory);
    QCOMPARE(editor_->history().first(), QStringLiteral("p100"));
    QTest::keyClick(editor_->textEdit(), Qt::Key_Up);
    QCOMPARE(editor_->prompt(), QStringLiteral("p299"));
}

void TestPromptEditor::providersByPriorityAfterAutomatic() {
    editor_->setProviders(
        {provider(QStringLiteral("local"), ProviderType::OpenAICompatible,
                  QStringLiteral("qwen2.5-coder"), 30),
         provider(QStringLiteral("claude"), ProviderType::Anthropic,
                  QStringLiteral("claude-sonnet-4-5"), 5),
         provider(QStringLiteral("off"), ProviderType::OpenAI, QStringLiteral("gpt-4.1"), 1, false),
         provider(QStringLiteral("gemini"), ProviderType::Gemini,
                  QStringLiteral("gemini-2.5-flash"), 10)});
    QCOMPARE(providerLabels(*editor_),
             (QStringList{QStringLiteral("Automatic (by priority, with fallback)"),
                          QStringLiteral("claude · claude-sonnet-4-5"),
                          QStringLiteral("gemini · gemini-2.5-flash"),
                          QStringLiteral("local · qwen2.5-coder")}));
    QCOMPARE(editor_->selectedProvider(), QString());

    // The selection survives a reload when the provider is still there…
    editor_->setSelectedProvider(QStringLiteral("local"));
    QCOMPARE(editor_->selectedProvider(), QStringLiteral("local"));
    editor_->setProviders({provider(QStringLiteral("local"), ProviderType::OpenAICompatible,
                                    QStringLiteral("llama3.2"), 30)});
    QCOMPARE(editor_->selectedProvider(), QStringLiteral("local"));
    QCOMPARE(editor_->model(), QStringLiteral("llama3.2")); // the new default, nothing typed
    // …and falls back to automatic when it is gone.
    editor_->setProviders({});
    QCOMPARE(editor_->providerBox()->count(), 1);
    QCOMPARE(editor_->selectedProvider(), QString());
}

void TestPromptEditor::modelFollowsTheProvider() {
    editor_->setProviders({provider(QStringLiteral("gemini"), ProviderType::Gemini,
                                    QStringLiteral("gemini-2.5-flash"), 10),
                           provider(QStringLiteral("openai"), ProviderType::OpenAI,
                                    QStringLiteral("gpt-4.1-mini"), 20)});
    QVERIFY(!editor_->modelBox()->isEnabled()); // automatic: each provider's own model
    QCOMPARE(editor_->model(), QString());
    editor_->setSelectedProvider(QStringLiteral("openai"));
    QVERIFY(editor_->modelBox()->isEnabled());
    QCOMPARE(editor_->model(), QStringLiteral("gpt-4.1-mini"));
    editor_->modelBox()->setEditText(QStringLiteral("  "));
    QCOMPARE(editor_->model(), QString()); // "" = the provider's default
    editor_->setSelectedProvider(QStringLiteral("gemini"));
    QCOMPARE(editor_->model(), QStringLiteral("gemini-2.5-flash"));
    // A typed model stays when the same provider list is set again.
    editor_->modelBox()->setEditText(QStringLiteral("gemini-2.5-pro"));
    editor_->setProviders({provider(QStringLiteral("gemini"), ProviderType::Gemini,
                                    QStringLiteral("gemini-2.5-flash"), 10)});
    QCOMPARE(editor_->model(), QStringLiteral("gemini-2.5-pro"));
}

void TestPromptEditor::noProviderHintButtonEmits() {
    QVERIFY(!editor_->isNoProviderHintShown());
    QVERIFY(!editor_->addProviderButton()->isVisible());
    editor_->setNoProviderHint(true);
    QVERIFY(editor_->isNoProviderHintShown());
    QTRY_VERIFY(editor_->addProviderButton()->isVisible());
    QSignalSpy add(editor_, &PromptEditor::addProviderRequested);
    QTest::mouseClick(editor_->addProviderButton(), Qt::LeftButton);
    QCOMPARE(add.count(), 1);
    editor_->setNoProviderHint(false);
    QVERIFY(!editor_->addProviderButton()->isVisible());
}

QTEST_MAIN(TestPromptEditor)
#include "tst_prompteditor.moc"
