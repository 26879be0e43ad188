// The QScintilla script editor: text in and out, which changes count as edits, the error
// mark, a generated script streaming in (one undo step), find/replace, folding, colours.
#include "FindBar.h"
#include "QsciHeaders.h"
#include "ScriptEditor.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTest>
#include <QToolButton>

using omega::ui::FindBar;
using omega::ui::FindOptions;
using omega::ui::ScriptEditor;

namespace {

const QString kScript = QStringLiteral("from manim import *\n"
                                       "\n"
                                       "class Demo(Scene):\n"
                                       "    def construct(self):\n"
                                       "        circle = Circle()\n"
                                       "        self.play(Create(circle))\n"
                                       "        self.wait(1.0)\n");

// A generated script of about 20 KB with non-ASCII text (UTF-8 deltas must not break).
QString generatedScript() {
    QString script = QStringLiteral("from manim import *\n\nclass Generated(Scene):\n"
                                    "    def construct(self):\n");
    int index = 0;
    while (script.size() < 20000) {
        script +=
            QStringLiteral("        label_%1 = Text(\"étape %1 → ok\")  # ünïcode\n").arg(index++);
    }
    return script;
}

// Exactly `pieces` deltas of (nearly) equal size.
QStringList splitInto(const QString& text, int pieces) {
    QStringList deltas;
    for (int piece = 0; piece < pieces; ++piece) {
        const qsizetype from = text.size() * piece / pieces;
        const qsizetype to = text.size() * (piece + 1) / pieces;
        deltas << text.mid(from, to - from);
    }
    return deltas;
}

int lineCount(ScriptEditor& editor) {
    return editor.scintilla()->lines();
}

} // namespace

class TestScriptEditor : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void setTextIsNotAnEdit();
    void typingIsAnEdit();
    void errorMarkAndAnnotation();
    void editingTheErrorLineClearsIt();
    void streamingIsOneUndoStep();
    void streamingDiscardRestoresText();
    void streamingFollowsTheEndUnlessScrolledUp();
    void replaceAll();
    void findBarAndShortcuts();
    void replaceFromTheBar();
    void pythonLexerAndFolding();
    void coloursFollowThePalette();
    void readOnlyAndLines();
};

void TestScriptEditor::setTextIsNotAnEdit() {
    ScriptEditor editor;
    QSignalSpy edited(&editor, &ScriptEditor::textEdited);
    editor.setText(kScript);
    QCOMPARE(editor.text(), kScript);
    editor.setText(QStringLiteral("a = 1\r\nb = 2\r\n"));
    QCOMPARE(editor.text(), QStringLiteral("a = 1\nb = 2\n"));
    QCOMPARE(edited.count(), 0);
    // A new text starts a new undo history: there is nothing to undo into the old text.
    QVERIFY(!editor.scintilla()->isUndoAvailable());
}

void TestScriptEditor::typingIsAnEdit() {
    ScriptEditor editor;
    editor.setText(QStringLiteral("x = 1\n"));
    editor.show();
    QVERIFY(QTest::qWaitForWindowExposed(&editor));
    QSignalSpy edited(&editor, &ScriptEditor::textEdited);
    editor.goToLine(2);
    QTest::keyClicks(editor.scintilla(), QStringLiteral("y = 2"));
    QCOMPARE(editor.text(), QStringLiteral("x = 1\ny = 2"));
    QVERIFY(edited.count() >= 1);
    const int afterTyping = edited.count();
    // Undo is the user's too: the window must save the undone text.
    editor.scintilla()->undo();
    QCOMPARE(editor.text(), QStringLiteral("x = 1\n"));
    QVERIFY(edited.count() > afterTyping);
}

void TestScriptEditor::errorMarkAndAnnotation() {
    ScriptEditor editor;
    editor.resize(600, 400);
    editor.show();
    QVERIFY(QTest::qWaitForWindowExposed(&editor));
    editor.setText(kScript);
    QsciScintilla* sci = editor.scintilla();
    const QString message = QStringLiteral("NameError: name 'Circel' is not defined");
    editor.setError(5, message);
    QCOMPARE(editor.errorLine(), 5);
    QCOMPARE(editor.errorMessage(), message);
    QVERIFY(sci->markersAtLine(4) != 0);
    for (int line = 0; line < sci->lines(); ++line) {
        if (line != 4) {
            QCOMPARE(sci->markersAtLine(line), 0u);
            QVERIFY(sci->annotation(line).isEmpty());
        }
    }
    QCOMPARE(sci->annotation(4), message);
    QCOMPARE(editor.cursorLine(), 5); // scrolled to, caret on it

    // The mark follows its line when a line is added above it (a user edit elsewhere).
    sci->insertAt(QStringLiteral("# a comment\n"), 0, 0);
    QCOMPARE(editor.errorLine(), 6);
    QVERIFY(sci->markersAtLine(5) != 0);
    QCOMPARE(sci->markersAtLine(4), 0u);
    QCOMPARE(sci->annotation(5), message);

    editor.clearError();
    QCOMPARE(editor.errorLine(), 0);
    QVERIFY(editor.errorMessage().isEmpty());
    for (int line = 0; line < sci->lines(); ++line) {
        QCOMPARE(sci->markersAtLine(line), 0u);
        QVERIFY(sci->annotation(line).isEmpty());
    }

    // The old API: a line without a message; 0 and lines outside the text clear.
    editor.setErrorLine(3);
    QCOMPARE(editor.errorLine(), 3);
    QVERIFY(sci->markersAtLine(2) != 0);
    QVERIFY(sci->annotation(2).isEmpty());
    editor.setErrorLine(0);
    QCOMPARE(editor.errorLine(), 0);
    QCOMPARE(sci->markersAtLine(2), 0u);
    editor.setError(500, message);
    QCOMPARE(editor.errorLine(), 0);
    // A new text clears the error.
    editor.setError(2, message);
    editor.setText(kScript);
    QCOMPARE(editor.errorLine(), 0);
    QVERIFY(sci->annotation(1).isEmpty());
}

void TestScriptEditor::editingTheErrorLineClearsIt() {
    ScriptEditor editor;
    editor.show();
    QVERIFY(QTest::qWaitForWindowExposed(&editor));
    editor.setText(kScript);
    editor.setError(5, QStringLiteral("NameError"));
    // Typing on another line keeps the mark.
    editor.goToLine(7);
    QTest::keyClicks(editor.scintilla(), QStringLiteral("  "));
    QTest::qWait(50);
    QCOMPARE(editor.errorLine(), 5);
    // Typing on the error line is fixing it.
    editor.goToLine(5);
    QTest::keyClicks(editor.scintilla(), QStringLiteral("#"));
    QTRY_COMPARE_WITH_TIMEOUT(editor.errorLine(), 0, 5000);
    QVERIFY(editor.scintilla()->annotation(4).isEmpty());
    QCOMPARE(editor.scintilla()->markersAtLine(4), 0u);
}

void TestScriptEditor::streamingIsOneUndoStep() {
    ScriptEditor editor;
    editor.resize(700, 500);
    editor.show();
    QVERIFY(QTest::qWaitForWindowExposed(&editor));
    editor.setText(kScript);
    // A user edit before the generation stays its own undo step.
    editor.goToLine(1);
    QTest::keyClicks(editor.scintilla(), QStringLiteral("# mine"));
    QTest::keyClick(editor.scintilla(), Qt::Key_Return);
    const QString before = editor.text();
    QVERIFY(before.startsWith(QStringLiteral("# mine\n")));

    editor.setError(3, QStringLiteral("old error"));
    QSignalSpy edited(&editor, &ScriptEditor::textEdited);
    editor.beginStreaming();
    QVERIFY(editor.isStreaming());
    QVERIFY(editor.text().isEmpty());
    QVERIFY(editor.scintilla()->isReadOnly());
    QCOMPARE(editor.errorLine(), 0);
    // The "Generating…" badge says why the editor does not take input.
    QLabel* badge = nullptr;
    for (QLabel* label : editor.findChildren<QLabel*>()) {
        if (label->text().startsWith(QStringLiteral("Generating")))
            badge = label;
    }
    QVERIFY(badge);
    QVERIFY(badge->isVisible());
    // The user cannot type into a script being generated.
    QTest::keyClicks(editor.scintilla(), QStringLiteral("zzz"));
    QVERIFY(editor.text().isEmpty());
    const QString firstPiece = QStringLiteral("# first piece\n");
    editor.appendStreamed(firstPiece);
    // Nor undo half of it.
    QTest::keyClick(editor.scintilla(), Qt::Key_Z, Qt::ControlModifier);
    editor.scintilla()->undo();
    QCOMPARE(editor.text(), firstPiece);

    const QString generated = generatedScript();
    const QString script = firstPiece + generated;
    const QStringList deltas = splitInto(generated, 1000);
    QCOMPARE(deltas.size(), 1000);
    QElapsedTimer timer;
    timer.start();
    for (const QString& delta : deltas)
        editor.appendStreamed(delta);
    const qint64 appendMs = timer.elapsed();
    QCoreApplication::processEvents(); // a paint, as between network reads
    qDebug("streamed %lld bytes in %lld deltas: %lld ms (%lld ms with the repaint)",
           static_cast<long long>(generated.toUtf8().size()), static_cast<long long>(deltas.size()),
           static_cast<long long>(appendMs), static_cast<long long>(timer.elapsed()));
    QCOMPARE(editor.text(), script);
    editor.endStreaming(true);
    QVERIFY(!editor.isStreaming());
    QVERIFY(!editor.scintilla()->isReadOnly());
    QVERIFY(badge->isHidden());
    QCOMPARE(editor.text(), script);
    QCOMPARE(edited.count(), 0);

    // One undo brings back the script from before the generation, then the user's edit.
    QsciScintilla* sci = editor.scintilla();
    sci->undo();
    QCOMPARE(editor.text(), before);
    QCOMPARE(edited.count(), 1); // the user's undo is one edit, not one per streamed piece
    while (sci->isUndoAvailable())
        sci->undo();
    QCOMPARE(editor.text(), kScript);
    while (sci->isRedoAvailable())
        sci->redo();
    QCOMPARE(editor.text(), script);
}

void TestScriptEditor::streamingDiscardRestoresText() {
    ScriptEditor editor;
    editor.show();
    QVERIFY(QTest::qWaitForWindowExposed(&editor));
    editor.setText(kScript);
    editor.goToLine(1);
    QTest::keyClicks(editor.scintilla(), QStringLiteral("# mine"));
    QTest::keyClick(editor.scintilla(), Qt::Key_Return);
    const QString before = editor.text();
    QSignalSpy edited(&editor, &ScriptEditor::textEdited);

    editor.beginStreaming();
    for (const QString& delta : splitInto(generatedScript().left(3000), 100))
        editor.appendStreamed(delta);
    editor.endStreaming(false);
    QCOMPARE(editor.text(), before);
    QVERIFY(!editor.scintilla()->isReadOnly());
    QCOMPARE(edited.count(), 0);
    // The undo history from before is intact.
    QVERIFY(editor.scintilla()->isUndoAvailable());
    while (editor.scintilla()->isUndoAvailable())
        editor.scintilla()->undo();
    QCOMPARE(editor.text(), kScript);

    // An empty generation from an empty editor must not undo anything of the user's.
    editor.setText(QString());
    QTest::keyClicks(editor.scintilla(), QStringLiteral("a"));
    editor.scintilla()->selectAll();
    QTest::keyClick(editor.scintilla(), Qt::Key_Delete);
    QVERIFY(editor.text().isEmpty());
    editor.beginStreaming();
    editor.endStreaming(false);
    QVERIFY(editor.text().isEmpty());
    editor.scintilla()->undo(); // the user's delete, not the generation
    QCOMPARE(editor.text(), QStringLiteral("a"));

    // Ending with the extracted script replaces the raw answer, still as one undo step.
    editor.setText(kScript);
    edited.clear();
    editor.beginStreaming();
    editor.appendStreamed(QStringLiteral("Here is the scene:\n```python\n"));
    editor.appendStreamed(QStringLiteral("x = 1\n```\nEnjoy!"));
    editor.endStreaming(QStringLiteral("x = 1\n"));
    QCOMPARE(editor.text(), QStringLiteral("x = 1\n"));
    QVERIFY(!editor.scintilla()->isReadOnly());
    QCOMPARE(edited.count(), 0);
    editor.scintilla()->undo();
    QCOMPARE(editor.text(), kScript);
    QVERIFY(!editor.scintilla()->isUndoAvailable());

    // setText() during a generation ends it and keeps the new text.
    editor.beginStreaming();
    editor.appendStreamed(QStringLiteral("partial"));
    editor.setText(kScript);
    QVERIFY(!editor.isStreaming());
    QVERIFY(!editor.scintilla()->isReadOnly());
    QCOMPARE(editor.text(), kScript);
}

void TestScriptEditor::streamingFollowsTheEndUnlessScrolledUp() {
    ScriptEditor editor;
    editor.resize(600, 300);
    editor.show();
    QVERIFY(QTest::qWaitForWindowExposed(&editor));
    QsciScintilla* sci = editor.scintilla();
    const auto lastLineVisible = [sci] {
        const long onScreen = sci->SendScintilla(QsciScintillaBase::SCI_LINESONSCREEN);
        return sci->firstVisibleLine() + onScreen >= sci->lines() - 1;
    };

    editor.beginStreaming();
    for (int line = 0; line < 200; ++line)
        editor.appendStreamed(QStringLiteral("x_%1 = %1\n").arg(line));
    QTRY_VERIFY_WITH_TIMEOUT(lastLineVisible(), 5000);
    QVERIFY(sci->firstVisibleLine() > 0);

    // The user scrolls up to read: the view stays where they put it.
    sci->setFirstVisibleLine(0);
    QCoreApplication::processEvents();
    for (int line = 200; line < 300; ++line)
        editor.appendStreamed(QStringLiteral("x_%1 = %1\n").arg(line));
    QTest::qWait(100); // give a wrong scroll the chance to happen
    QCOMPARE(sci->firstVisibleLine(), 0);

    // Back at the end, it follows again.
    sci->SendScintilla(QsciScintillaBase::SCI_DOCUMENTEND);
    QCoreApplication::processEvents();
    for (int line = 300; line < 400; ++line)
        editor.appendStreamed(QStringLiteral("x_%1 = %1\n").arg(line));
    QTRY_VERIFY_WITH_TIMEOUT(lastLineVisible(), 5000);
    editor.endStreaming(true);
    QCOMPARE(lineCount(editor), 401);
}

void TestScriptEditor::replaceAll() {
    ScriptEditor editor;
    editor.setText(QStringLiteral("circle = Circle()\ncircles = [circle, circle]\n"
                                  "x = 1.0 + 22.0 + radius\n"));
    QSignalSpy edited(&editor, &ScriptEditor::textEdited);

    FindOptions wholeWordCase;
    wholeWordCase.caseSensitive = true;
    wholeWordCase.wholeWord = true;
    QCOMPARE(editor.replaceAll(QStringLiteral("circle"), QStringLiteral("dot"), wholeWordCase), 3);
    QCOMPARE(editor.text(), QStringLiteral("dot = Circle()\ncircles = [dot, dot]\n"
                                           "x = 1.0 + 22.0 + radius\n"));
    QCOMPARE(edited.count(), 1); // once for the whole replacement, not per match
    // One undo step.
    editor.scintilla()->undo();
    QCOMPARE(editor.text(), QStringLiteral("circle = Circle()\ncircles = [circle, circle]\n"
                                           "x = 1.0 + 22.0 + radius\n"));

    // Case-insensitive, not whole words: every "circle" inside other words too.
    QCOMPARE(editor.replaceAll(QStringLiteral("CIRCLE"), QStringLiteral("c"), FindOptions{}), 5);
    QCOMPARE(editor.text(), QStringLiteral("c = c()\ncs = [c, c]\nx = 1.0 + 22.0 + radius\n"));

    // Regular expression with a group in the replacement.
    FindOptions regex;
    regex.regex = true;
    QCOMPARE(editor.replaceAll(QStringLiteral("(\\d+)\\.0"), QStringLiteral("\\1"), regex), 2);
    QCOMPARE(editor.text(), QStringLiteral("c = c()\ncs = [c, c]\nx = 1 + 22 + radius\n"));
    // An empty match at each line start does not loop forever.
    QCOMPARE(editor.replaceAll(QStringLiteral("^"), QStringLiteral("# "), regex), 4);
    QVERIFY(editor.text().startsWith(QStringLiteral("# c = c()\n# cs = [c, c]\n# x = 1")));
    // No match, an invalid expression, and a read-only editor replace nothing.
    const QString unchanged = editor.text();
    const int editsSoFar = edited.count();
    QCOMPARE(editor.replaceAll(QStringLiteral("nothing"), QStringLiteral("x"), FindOptions{}), 0);
    QCOMPARE(editor.replaceAll(QStringLiteral("(unclosed"), QStringLiteral("x"), regex), 0);
    editor.setReadOnly(true);
    QCOMPARE(editor.replaceAll(QStringLiteral("c"), QStringLiteral("x"), FindOptions{}), 0);
    QCOMPARE(editor.text(), unchanged);
    QCOMPARE(edited.count(), editsSoFar);
}

void TestScriptEditor::findBarAndShortcuts() {
    ScriptEditor editor;
    editor.resize(700, 400);
    editor.show();
    QVERIFY(QTest::qWaitForWindowExposed(&editor));
    editor.activateWindow(); // shortcuts need an active window (no window manager on Xvfb)
    QVERIFY(QTest::qWaitForWindowActive(&editor));
    editor.setText(kScript);
    QsciScintilla* sci = editor.scintilla();
    sci->setFocus();
    QTRY_VERIFY(sci->hasFocus());
    FindBar* bar = editor.findBar();
    QVERIFY(bar->isHidden());
    bar->setOptions(FindOptions{true, false, false});

    // Ctrl+F, installed by the editor itself, opens the bar without the replace row.
    QTest::keyClick(sci, Qt::Key_F, Qt::ControlModifier);
    QTRY_VERIFY(bar->isVisible());
    QVERIFY(!bar->replaceVisible());
    QTRY_VERIFY(bar->findField()->hasFocus());

    // Typing searches as you type; no match is said.
    QTest::keyClicks(bar->findField(), QStringLiteral("circle"));
    QCOMPARE(sci->selectedText(), QStringLiteral("circle"));
    int line = 0;
    int index = 0;
    sci->getCursorPosition(&line, &index);
    QCOMPARE(line, 4);
    QVERIFY(bar->status().isEmpty());
    // Enter: the next match (line 6), then around to line 5 again.
    QTest::keyClick(bar->findField(), Qt::Key_Return);
    sci->getCursorPosition(&line, &index);
    QCOMPARE(line, 5);
    QTest::keyClick(bar->findField(), Qt::Key_Return);
    sci->getCursorPosition(&line, &index);
    QCOMPARE(line, 4);
    // Shift+Enter goes back, wrapping to the last match.
    QTest::keyClick(bar->findField(), Qt::Key_Return, Qt::ShiftModifier);
    sci->getCursorPosition(&line, &index);
    QCOMPARE(line, 5);

    QTest::keyClicks(bar->findField(), QStringLiteral("zzz"));
    QCOMPARE(bar->status(), QStringLiteral("No match"));
    bar->findField()->setText(QStringLiteral("("));
    bar->setOptions(FindOptions{false, false, true});
    QCOMPARE(bar->status(), QStringLiteral("Invalid regular expression"));
    bar->setOptions(FindOptions{true, false, false});
    bar->findField()->setText(QStringLiteral("self"));
    QVERIFY(bar->status().isEmpty());

    // Esc closes the bar and gives the focus back to the text.
    QTest::keyClick(bar->findField(), Qt::Key_Escape);
    QVERIFY(bar->isHidden());
    QTRY_VERIFY(sci->hasFocus());
    // F3 / Shift+F3 still find with the last search.
    editor.goToLine(1);
    QTest::keyClick(sci, Qt::Key_F3);
    sci->getCursorPosition(&line, &index);
    QCOMPARE(line, 3); // "def construct(self)"
    QTest::keyClick(sci, Qt::Key_F3);
    sci->getCursorPosition(&line, &index);
    QCOMPARE(line, 5);
    QTest::keyClick(sci, Qt::Key_F3, Qt::ShiftModifier);
    sci->getCursorPosition(&line, &index);
    QCOMPARE(line, 3);

    // Ctrl+H opens it with the replace row, seeded with the selected word.
    sci->setSelection(4, 8, 4, 14); // "circle"
    QTest::keyClick(sci, Qt::Key_H, Qt::ControlModifier);
    QTRY_VERIFY(bar->replaceVisible());
    QCOMPARE(bar->findText(), QStringLiteral("circle"));
    // Esc in the text closes the open bar too, and then is the editor's no more.
    sci->setFocus();
    QTRY_VERIFY(sci->hasFocus());
    QTest::keyClick(sci, Qt::Key_Escape);
    QVERIFY(bar->isHidden());
}

void TestScriptEditor::replaceFromTheBar() {
    ScriptEditor editor;
    editor.show();
    QVERIFY(QTest::qWaitForWindowExposed(&editor));
    editor.setText(kScript);
    QSignalSpy edited(&editor, &ScriptEditor::textEdited);
    editor.showFind(true);
    FindBar* bar = editor.findBar();
    bar->setOptions(FindOptions{true, false, false});
    bar->findField()->setText(QStringLiteral("circle"));
    bar->replaceField()->setText(QStringLiteral("ring"));
    // Enter in the replace field replaces the current match and selects the next one.
    QTest::keyClick(bar->replaceField(), Qt::Key_Return);
    QVERIFY(editor.text().contains(QStringLiteral("ring = Circle()")));
    QVERIFY(editor.text().contains(QStringLiteral("Create(circle)")));
    QCOMPARE(editor.scintilla()->selectedText(), QStringLiteral("circle"));
    QVERIFY(edited.count() >= 1);

    // Replace All through the bar: the count is shown; a second time nothing is left.
    bar->setOptions(FindOptions{true, true, false});
    const auto buttons = bar->findChildren<QToolButton*>();
    QToolButton* replaceAllButton = nullptr;
    for (QToolButton* button : buttons) {
        if (button->text() == QStringLiteral("Replace All"))
            replaceAllButton = button;
    }
    QVERIFY(replaceAllButton);
    replaceAllButton->click();
    QCOMPARE(bar->status(), QStringLiteral("1 replaced"));
    QVERIFY(!editor.text().contains(QStringLiteral("circle")));
    replaceAllButton->click();
    QCOMPARE(bar->status(), QStringLiteral("No match"));

    // One regex replacement with a group, from the bar.
    bar->setOptions(FindOptions{true, false, true});
    bar->findField()->setText(QStringLiteral("wait\\((\\d+)\\.0\\)"));
    QCOMPARE(editor.scintilla()->selectedText(), QStringLiteral("wait(1.0)"));
    bar->replaceField()->setText(QStringLiteral("wait(\\1)"));
    QTest::keyClick(bar->replaceField(), Qt::Key_Return);
    QVERIFY(editor.text().contains(QStringLiteral("self.wait(1)\n")));
    QCOMPARE(bar->status(), QStringLiteral("No match")); // nothing further to select
}

void TestScriptEditor::pythonLexerAndFolding() {
    ScriptEditor editor;
    editor.show();
    QVERIFY(QTest::qWaitForWindowExposed(&editor));
    editor.setText(kScript);
    QsciScintilla* sci = editor.scintilla();
    QVERIFY(qobject_cast<QsciLexerPython*>(sci->lexer()));
    QCOMPARE(sci->folding(), QsciScintilla::BoxedTreeFoldStyle);
    QVERIFY(sci->marginWidth(2) > 0);
    QVERIFY(sci->marginWidth(0) > 0); // line numbers

    sci->SendScintilla(QsciScintillaBase::SCI_COLOURISE, 0UL, -1L);
    // "class" and "def" lines are fold headers; the body lines are not.
    const auto isFoldHeader = [sci](int line) {
        const long level = sci->SendScintilla(QsciScintillaBase::SCI_GETFOLDLEVEL,
                                              static_cast<unsigned long>(line));
        return (level & QsciScintillaBase::SC_FOLDLEVELHEADERFLAG) != 0;
    };
    QVERIFY(isFoldHeader(2));
    QVERIFY(isFoldHeader(3));
    QVERIFY(!isFoldHeader(4));
    // Folding the def hides its body.
    sci->SendScintilla(QsciScintillaBase::SCI_TOGGLEFOLD, 3UL);
    QVERIFY(!sci->SendScintilla(QsciScintillaBase::SCI_GETLINEVISIBLE, 4UL));
    sci->SendScintilla(QsciScintillaBase::SCI_TOGGLEFOLD, 3UL);
    QVERIFY(sci->SendScintilla(QsciScintillaBase::SCI_GETLINEVISIBLE, 4UL));

    // The lexer styles Python: "def" is a keyword, the comment a comment.
    const long defPosition = sci->positionFromLineIndex(3, 4);
    QCOMPARE(sci->SendScintilla(QsciScintillaBase::SCI_GETSTYLEAT,
                                static_cast<unsigned long>(defPosition)),
             static_cast<long>(QsciLexerPython::Keyword));

    // Editor settings the issue asks for.
    QCOMPARE(sci->tabWidth(), 4);
    QVERIFY(!sci->indentationsUseTabs());
    QVERIFY(sci->autoIndent());
    QVERIFY(sci->indentationGuides());
    QCOMPARE(sci->braceMatching(), QsciScintilla::SloppyBraceMatch);

    // The line-number margin grows with the number of lines.
    const int narrow = sci->marginWidth(0);
    QString longScript;
    for (int line = 0; line < 12000; ++line)
        longScript += QStringLiteral("x = %1\n").arg(line);
    editor.setText(longScript);
    QVERIFY(sci->marginWidth(0) > narrow);
}

void TestScriptEditor::coloursFollowThePalette() {
    ScriptEditor editor;
    QPalette dark;
    dark.setColor(QPalette::Window, QColor(0x20, 0x22, 0x25));
    dark.setColor(QPalette::Base, QColor(0x1b, 0x1d, 0x21));
    dark.setColor(QPalette::Text, QColor(0xdd, 0xdd, 0xdd));
    editor.setPalette(dark);
    QsciLexer* lexer = editor.scintilla()->lexer();
    QVERIFY(lexer->paper(QsciLexerPython::Default).lightness() < 128);
    QVERIFY(lexer->color(QsciLexerPython::Default).lightness() > 128);
    const QColor darkKeyword = lexer->color(QsciLexerPython::Keyword);
    QVERIFY(darkKeyword.lightness() > 100);

    QPalette light;
    light.setColor(QPalette::Window, QColor(0xef, 0xef, 0xef));
    light.setColor(QPalette::Base, QColor(0xff, 0xff, 0xff));
    light.setColor(QPalette::Text, QColor(0x10, 0x10, 0x10));
    editor.setPalette(light);
    QVERIFY(lexer->paper(QsciLexerPython::Default).lightness() > 200);
    QVERIFY(lexer->color(QsciLexerPython::Default).lightness() < 64);
    QVERIFY(lexer->color(QsciLexerPython::Keyword) != darkKeyword);
}

void TestScriptEditor::readOnlyAndLines() {
    ScriptEditor editor;
    editor.show();
    QVERIFY(QTest::qWaitForWindowExposed(&editor));
    editor.setText(kScript);
    editor.goToLine(4);
    QCOMPARE(editor.cursorLine(), 4);
    editor.goToLine(1000);
    QCOMPARE(editor.cursorLine(), lineCount(editor));
    editor.goToLine(-3);
    QCOMPARE(editor.cursorLine(), 1);

    QSignalSpy edited(&editor, &ScriptEditor::textEdited);
    editor.setReadOnly(true);
    QVERIFY(editor.isReadOnly());
    QTest::keyClicks(editor.scintilla(), QStringLiteral("abc"));
    QCOMPARE(editor.text(), kScript);
    QCOMPARE(edited.count(), 0);
    // A generation does not lift the user's read-only.
    editor.beginStreaming();
    editor.appendStreamed(QStringLiteral("x = 1\n"));
    editor.endStreaming(true);
    QVERIFY(editor.scintilla()->isReadOnly());
    editor.setReadOnly(false);
    QTest::keyClicks(editor.scintilla(), QStringLiteral("y"));
    QVERIFY(edited.count() >= 1);
}

QTEST_MAIN(TestScriptEditor)
#include "tst_scripteditor.moc"
