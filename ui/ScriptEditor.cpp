#include "ScriptEditor.h"

#include <QEvent>
#include <QFontDatabase>
#include <QKeyEvent>
#include <QLabel>
#include <QScrollBar>
#include <QShortcut>
#include <QTimer>
#include <QVBoxLayout>

namespace omega::ui {

namespace {

// Margins: line numbers, the error symbol, the fold markers.
constexpr int LineNumberMargin = 0;
constexpr int SymbolMargin = 1;
constexpr int FoldMargin = 2;
// Markers 0–24 are free (25–31 are the fold markers). The symbol shows in the symbol margin;
// the background marker is in no margin's mask, so Scintilla tints the line's text instead.
constexpr int ErrorSymbolMarker = 8;
constexpr int ErrorLineMarker = 9;
// A style number above the Python lexer's (0–19) and Scintilla's predefined ones (32–39).
constexpr int ErrorAnnotationStyle = 63;

QColor mix(const QColor& from, const QColor& to, qreal amount) {
    const auto channel = [amount](qreal a, qreal b) { return a + (b - a) * amount; };
    return QColor::fromRgbF(channel(from.redF(), to.redF()), channel(from.greenF(), to.greenF()),
                            channel(from.blueF(), to.blueF()));
}

QFont editorFont() {
    QFont font = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    font.setPointSizeF(qMax(font.pointSizeF(), 10.0));
    return font;
}

} // namespace

ScriptEditor::ScriptEditor(QWidget* parent)
    : QWidget(parent)
    , edit_(new QsciScintilla(this))
    , lexer_(new QsciLexerPython(edit_))
    , annotationStyle_(new QsciStyle(ErrorAnnotationStyle))
    , findBar_(new FindBar(this))
    , streamingBadge_(new QLabel(tr("Generating…"), edit_))
    , followEndTimer_(new QTimer(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(edit_, 1);
    layout->addWidget(findBar_);
    setFocusProxy(edit_);

    edit_->setUtf8(true);
    edit_->setEolMode(QsciScintilla::EolUnix);
    lexer_->setIndentationWarning(QsciLexerPython::Inconsistent);
    lexer_->setFoldComments(true);
    lexer_->setFoldQuotes(true);
    edit_->setLexer(lexer_);

    // Python indentation: four spaces, never tabs.
    edit_->setIndentationsUseTabs(false);
    edit_->setTabWidth(4);
    edit_->setIndentationWidth(4);
    edit_->setTabIndents(true);
    edit_->setBackspaceUnindents(true);
    edit_->setAutoIndent(true);
    edit_->setIndentationGuides(true);
    edit_->setBraceMatching(QsciScintilla::SloppyBraceMatch);
    edit_->setCaretLineVisible(true);
    edit_->setWrapMode(QsciScintilla::WrapNone);
    // A horizontal scroll bar only when a line is wider than the view.
    edit_->SendScintilla(QsciScintillaBase::SCI_SETSCROLLWIDTH, 1);
    edit_->SendScintilla(QsciScintillaBase::SCI_SETSCROLLWIDTHTRACKING, 1);

    edit_->setMarginType(LineNumberMargin, QsciScintilla::NumberMargin);
    edit_->setMarginLineNumbers(LineNumberMargin, true);
    edit_->setMarginType(SymbolMargin, QsciScintilla::SymbolMargin);
    edit_->setMarginWidth(SymbolMargin, 14);
    edit_->setMarginMarkerMask(SymbolMargin, 1 << ErrorSymbolMarker);
    edit_->setMarginSensitivity(SymbolMargin, false);
    edit_->setFolding(QsciScintilla::BoxedTreeFoldStyle, FoldMargin);
    edit_->markerDefine(QsciScintilla::Circle, ErrorSymbolMarker);
    edit_->markerDefine(QsciScintilla::Background, ErrorLineMarker);
    edit_->setAnnotationDisplay(QsciScintilla::AnnotationBoxed);

    applyColours();
    updateLineNumberWidth();

    streamingBadge_->setToolTip(tr("The script is being generated; it can be edited when the "
                                   "generation ends."));
    streamingBadge_->setContentsMargins(8, 2, 8, 2);
    streamingBadge_->setAutoFillBackground(true);
    streamingBadge_->hide();

    followEndTimer_->setSingleShot(true);
    followEndTimer_->setInterval(0);
    connect(followEndTimer_, &QTimer::timeout, this,
            [this] { edit_->SendScintilla(QsciScintillaBase::SCI_DOCUMENTEND); });

    connect(edit_, &QsciScintilla::linesChanged, this, &ScriptEditor::updateLineNumberWidth);
    connect(edit_, &QsciScintillaBase::SCN_MODIFIED, this,
            [this](int position, int modificationType, const char*, int, int, int, int, int, int,
                   int) { onModified(position, modificationType); });

    connect(findBar_, &FindBar::searchChanged, this, &ScriptEditor::onSearchChanged);
    connect(findBar_, &FindBar::findRequested, this, &ScriptEditor::onFindRequested);
    connect(findBar_, &FindBar::replaceRequested, this, &ScriptEditor::onReplaceRequested);
    connect(findBar_, &FindBar::replaceAllRequested, this, &ScriptEditor::onReplaceAllRequested);

    // The editor's own shortcuts, live while the focus is in the editor or its find bar.
    const auto addShortcut = [this](const QKeySequence& keys, auto slot) {
        auto* shortcut = new QShortcut(keys, this);
        shortcut->setContext(Qt::WidgetWithChildrenShortcut);
        connect(shortcut, &QShortcut::activated, this, slot);
        return shortcut;
    };
    addShortcut(QKeySequence(Qt::CTRL | Qt::Key_F), [this] { showFind(false); });
    addShortcut(QKeySequence(Qt::CTRL | Qt::Key_H), [this] { showFind(true); });
    addShortcut(QKeySequence(Qt::Key_F3), [this] { onFindRequested(true); });
    addShortcut(QKeySequence(Qt::SHIFT | Qt::Key_F3), [this] { onFindRequested(false); });
    connect(findBar_, &FindBar::closed, this, [this] { edit_->setFocus(); });
    // Esc in the text closes an open find bar (Scintilla claims Esc, so not a QShortcut).
    edit_->installEventFilter(this);
}

bool ScriptEditor::eventFilter(QObject* watched, QEvent* event) {
    if (watched == edit_ && event->type() == QEvent::KeyPress &&
        static_cast<QKeyEvent*>(event)->key() == Qt::Key_Escape && findBar_->isVisible()) {
        findBar_->dismiss();
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

ScriptEditor::~ScriptEditor() {
    delete annotationStyle_;
}

QString ScriptEditor::text() const {
    return edit_->text();
}

void ScriptEditor::setText(const QString& text) {
    if (streaming_) {
        streaming_ = false;
        edit_->endUndoAction();
        streamingBadge_->hide();
        followEndTimer_->stop();
    }
    clearError();
    changingText_ = true;
    QString normalized = text;
    normalized.replace(QLatin1String("\r\n"), QLatin1String("\n"));
    // QsciScintilla::setText works on a read-only editor and empties the undo history.
    edit_->setText(normalized);
    changingText_ = false;
    updateReadOnly();
}

void ScriptEditor::setError(int line, const QString& message) {
    clearError();
    if (line < 1 || line > edit_->lines())
        return;
    const int index = line - 1;
    errorMarkerHandle_ = edit_->markerAdd(index, ErrorSymbolMarker);
    errorLineMarkerHandle_ = edit_->markerAdd(index, ErrorLineMarker);
    errorMessage_ = message;
    if (!message.isEmpty())
        edit_->annotate(index, message.trimmed(), *annotationStyle_);
    // Show the line a third of the way down, with its annotation under it.
    edit_->setCursorPosition(index, 0);
    edit_->ensureLineVisible(index);
    const long visibleLine = edit_->SendScintilla(QsciScintillaBase::SCI_VISIBLEFROMDOCLINE,
                                                  static_cast<unsigned long>(index));
    const long screenLines = edit_->SendScintilla(QsciScintillaBase::SCI_LINESONSCREEN);
    edit_->setFirstVisibleLine(static_cast<int>(qMax(0L, visibleLine - screenLines / 3)));
}

void ScriptEditor::clearError() {
    if (errorMarkerHandle_ >= 0)
        edit_->markerDeleteHandle(errorMarkerHandle_);
    if (errorLineMarkerHandle_ >= 0)
        edit_->markerDeleteHandle(errorLineMarkerHandle_);
    errorMarkerHandle_ = -1;
    errorLineMarkerHandle_ = -1;
    errorMessage_.clear();
    edit_->clearAnnotations();
}

void ScriptEditor::setErrorLine(int line) {
    setError(line, {});
}

int ScriptEditor::errorLine() const {
    if (errorMarkerHandle_ < 0)
        return 0;
    const int index = edit_->markerLine(errorMarkerHandle_);
    return index < 0 ? 0 : index + 1;
}

void ScriptEditor::beginStreaming() {
    clearError();
    changingText_ = true;
    edit_->setReadOnly(false);
    if (!streaming_) {
        // Everything until endStreaming() is one undo step.
        edit_->beginUndoAction();
        streamChangedText_ = false;
    }
    if (edit_->length() > 0) {
        edit_->SendScintilla(QsciScintillaBase::SCI_CLEARALL);
        streamChangedText_ = true;
    }
    changingText_ = false;
    streaming_ = true;
    updateReadOnly();
    placeStreamingBadge();
    streamingBadge_->show();
    streamingBadge_->raise();
}

void ScriptEditor::appendStreamed(const QString& delta) {
    if (!streaming_ || delta.isEmpty())
        return;
    // Follow the end only if the user has not scrolled up to read (a scroll still pending
    // from the previous piece means the view is following).
    const QScrollBar* bar = edit_->verticalScrollBar();
    const bool following = followEndTimer_->isActive() || bar->value() >= bar->maximum();
    // Not QsciScintilla::append(): it empties the undo history, and the generation must be
    // one undo step. Appending styles only what is new (the lexer restarts at the last styled
    // position, lazily, for what is painted): no re-lex of the whole script per piece.
    const QByteArray bytes = delta.toUtf8();
    changingText_ = true;
    edit_->SendScintilla(QsciScintillaBase::SCI_SETREADONLY, 0);
    edit_->SendScintilla(QsciScintillaBase::SCI_APPENDTEXT, static_cast<uintptr_t>(bytes.size()),
                         bytes.constData());
    edit_->SendScintilla(QsciScintillaBase::SCI_SETREADONLY, 1);
    changingText_ = false;
    streamChangedText_ = true;
    // One scroll per event-loop turn, not per piece: pieces come in bursts.
    if (following && !followEndTimer_->isActive())
        followEndTimer_->start();
}

void ScriptEditor::endStreaming(bool keepText) {
    if (!streaming_)
        return;
    streaming_ = false;
    changingText_ = true;
    edit_->setReadOnly(false);
    edit_->endUndoAction();
    // Undoing the generation's single step restores the old text and its undo history.
    if (!keepText) {
        followEndTimer_->stop();
        if (streamChangedText_)
            edit_->undo();
    }
    changingText_ = false;
    streamChangedText_ = false;
    streamingBadge_->hide();
    updateReadOnly();
}

void ScriptEditor::endStreaming(const QString& finalText) {
    if (!streaming_)
        return;
    QString normalized = finalText;
    normalized.replace(QLatin1String("\r\n"), QLatin1String("\n"));
    if (normalized != edit_->text()) {
        // Inside the generation's undo group: SCI_SETTEXT is an undoable clear + insert.
        const QByteArray bytes = normalized.toUtf8();
        changingText_ = true;
        edit_->SendScintilla(QsciScintillaBase::SCI_SETREADONLY, 0);
        edit_->SendScintilla(QsciScintillaBase::SCI_SETTEXT, bytes.constData());
        changingText_ = false;
        streamChangedText_ = true;
    }
    endStreaming(true);
}

void ScriptEditor::showFind(bool withReplace) {
    QString seed = edit_->selectedText();
    if (seed.contains(QLatin1Char('\n')))
        seed.clear();
    findBar_->open(withReplace, seed);
}

bool ScriptEditor::find(const QString& text, const FindOptions& options, bool forward) {
    return findFrom(text, options, forward, false) > 0;
}

int ScriptEditor::replaceAll(const QString& text, const QString& replacement,
                             const FindOptions& options) {
    if (text.isEmpty() || edit_->isReadOnly())
        return 0;
    const QByteArray needle = text.toUtf8();
    const QByteArray replacementBytes = replacement.toUtf8();
    const unsigned int replaceMessage = options.regex ? QsciScintillaBase::SCI_REPLACETARGETRE
                                                      : QsciScintillaBase::SCI_REPLACETARGET;
    int count = 0;
    long from = 0;
    changingText_ = true;
    edit_->beginUndoAction();
    for (;;) {
        const long length = edit_->SendScintilla(QsciScintillaBase::SCI_GETLENGTH);
        long matchEnd = 0;
        const long start = search(needle, options, from, length, &matchEnd);
        if (start < 0)
            break;
        const long replacedLength =
            edit_->SendScintilla(replaceMessage, static_cast<uintptr_t>(replacementBytes.size()),
                                 replacementBytes.constData());
        ++count;
        from = start + replacedLength;
        // An empty match ("^", "x*") would match again where it was: step over one character.
        if (matchEnd == start) {
            if (from >= edit_->SendScintilla(QsciScintillaBase::SCI_GETLENGTH))
                break;
            from = edit_->SendScintilla(QsciScintillaBase::SCI_POSITIONAFTER,
                                        static_cast<unsigned long>(from));
        }
    }
    edit_->endUndoAction();
    changingText_ = false;
    if (count > 0)
        Q_EMIT textEdited();
    return count;
}

void ScriptEditor::setReadOnly(bool readOnly) {
    userReadOnly_ = readOnly;
    updateReadOnly();
}

int ScriptEditor::cursorLine() const {
    int line = 0;
    int index = 0;
    edit_->getCursorPosition(&line, &index);
    return line + 1;
}

void ScriptEditor::goToLine(int line) {
    const int index = qBound(1, line, edit_->lines()) - 1;
    edit_->setCursorPosition(index, 0);
    edit_->ensureLineVisible(index);
}

void ScriptEditor::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange)
        applyColours();
}

void ScriptEditor::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    placeStreamingBadge();
}

void ScriptEditor::applyColours() {
    const QPalette pal = palette();
    // The window's palette decides: a dark desktop gets dark editor colours.
    const bool dark = pal.color(QPalette::Window).lightness() < 128;
    const QColor paper = pal.color(QPalette::Base);
    const QColor ink = pal.color(QPalette::Text);
    const QColor highlight = pal.color(QPalette::Highlight);
    const QColor red(220, 50, 47);

    const QFont font = editorFont();
    lexer_->setDefaultFont(font);
    lexer_->setFont(font, -1);
    lexer_->setDefaultPaper(paper);
    lexer_->setPaper(paper, -1);
    lexer_->setDefaultColor(ink);
    lexer_->setColor(ink, -1);

    struct StyleColour {
        int style;
        const char* light;
        const char* dark;
    };
    // GitHub-like on light, One Dark-like on dark backgrounds.
    static const StyleColour scheme[] = {
        {QsciLexerPython::Comment, "#6a737d", "#7f848e"},
        {QsciLexerPython::CommentBlock, "#6a737d", "#7f848e"},
        {QsciLexerPython::Number, "#005cc5", "#d19a66"},
        {QsciLexerPython::Keyword, "#d73a49", "#c678dd"},
        {QsciLexerPython::DoubleQuotedString, "#032f62", "#98c379"},
        {QsciLexerPython::SingleQuotedString, "#032f62", "#98c379"},
        {QsciLexerPython::TripleSingleQuotedString, "#22863a", "#7fb069"},
        {QsciLexerPython::TripleDoubleQuotedString, "#22863a", "#7fb069"},
        {QsciLexerPython::DoubleQuotedFString, "#032f62", "#98c379"},
        {QsciLexerPython::SingleQuotedFString, "#032f62", "#98c379"},
        {QsciLexerPython::TripleSingleQuotedFString, "#22863a", "#7fb069"},
        {QsciLexerPython::TripleDoubleQuotedFString, "#22863a", "#7fb069"},
        {QsciLexerPython::UnclosedString, "#032f62", "#98c379"},
        {QsciLexerPython::ClassName, "#6f42c1", "#e5c07b"},
        {QsciLexerPython::FunctionMethodName, "#6f42c1", "#61afef"},
        {QsciLexerPython::Decorator, "#e36209", "#56b6c2"},
        {QsciLexerPython::HighlightedIdentifier, "#005cc5", "#56b6c2"},
    };
    for (const StyleColour& entry : scheme)
        lexer_->setColor(QColor(QLatin1String(dark ? entry.dark : entry.light)), entry.style);
    lexer_->setPaper(mix(paper, red, dark ? 0.25 : 0.12), QsciLexerPython::UnclosedString);
    QFont keywordFont = font;
    keywordFont.setBold(true);
    lexer_->setFont(keywordFont, QsciLexerPython::Keyword);
    QFont commentFont = font;
    commentFont.setItalic(true);
    lexer_->setFont(commentFont, QsciLexerPython::Comment);
    lexer_->setFont(commentFont, QsciLexerPython::CommentBlock);

    const QColor marginPaper = mix(paper, ink, dark ? 0.06 : 0.04);
    edit_->setMarginsFont(font);
    edit_->setMarginsBackgroundColor(marginPaper);
    edit_->setMarginsForegroundColor(mix(paper, ink, 0.5));
    edit_->setFoldMarginColors(marginPaper, marginPaper);
    // Box-tree fold markers: the foreground fills the boxes, the background draws them.
    for (int marker = static_cast<int>(QsciScintillaBase::SC_MARKNUM_FOLDEREND);
         marker <= static_cast<int>(QsciScintillaBase::SC_MARKNUM_FOLDEROPEN); ++marker) {
        // (QsciScintilla's setters only colour markers it allocated itself.)
        edit_->SendScintilla(QsciScintillaBase::SCI_MARKERSETFORE,
                             static_cast<unsigned long>(marker), marginPaper);
        edit_->SendScintilla(QsciScintillaBase::SCI_MARKERSETBACK,
                             static_cast<unsigned long>(marker), mix(paper, ink, 0.5));
    }
    edit_->setCaretForegroundColor(ink);
    edit_->setCaretLineBackgroundColor(mix(paper, highlight, dark ? 0.18 : 0.08));
    edit_->setSelectionBackgroundColor(mix(paper, highlight, dark ? 0.45 : 0.35));
    edit_->resetSelectionForegroundColor();
    edit_->setMatchedBraceBackgroundColor(mix(paper, highlight, 0.3));
    edit_->setMatchedBraceForegroundColor(ink);
    edit_->setUnmatchedBraceForegroundColor(red);
    edit_->setUnmatchedBraceBackgroundColor(paper);
    edit_->setIndentationGuidesForegroundColor(mix(paper, ink, 0.2));
    edit_->setIndentationGuidesBackgroundColor(paper);

    edit_->setMarkerBackgroundColor(red, ErrorSymbolMarker);
    edit_->setMarkerForegroundColor(red.darker(150), ErrorSymbolMarker);
    edit_->setMarkerBackgroundColor(mix(paper, red, dark ? 0.22 : 0.12), ErrorLineMarker);

    annotationStyle_->setColor(dark ? QColor(0xff, 0xb4, 0xb4) : QColor(0x9b, 0x1c, 0x1c));
    annotationStyle_->setPaper(mix(paper, red, dark ? 0.18 : 0.08));
    QFont annotationFont = font;
    annotationFont.setItalic(true);
    annotationStyle_->setFont(annotationFont);
    annotationStyle_->apply(edit_);

    QPalette badgePalette = streamingBadge_->palette();
    badgePalette.setColor(QPalette::Window, mix(paper, highlight, dark ? 0.35 : 0.2));
    badgePalette.setColor(QPalette::WindowText, ink);
    streamingBadge_->setPalette(badgePalette);
}

void ScriptEditor::updateLineNumberWidth() {
    const int digits = qMax(3, static_cast<int>(QString::number(edit_->lines()).size()));
    if (digits == lineNumberDigits_)
        return;
    lineNumberDigits_ = digits;
    // One digit more than needed: the padding around the numbers.
    edit_->setMarginWidth(LineNumberMargin, QString(digits + 1, QLatin1Char('9')));
}

void ScriptEditor::updateReadOnly() {
    edit_->setReadOnly(userReadOnly_ || streaming_);
}

void ScriptEditor::placeStreamingBadge() {
    streamingBadge_->adjustSize();
    const QRect area = edit_->viewport()->geometry();
    streamingBadge_->move(area.right() - streamingBadge_->width() - 8, area.top() + 6);
}

void ScriptEditor::onModified(int position, int modificationType) {
    if (!(modificationType &
          (QsciScintillaBase::SC_MOD_INSERTTEXT | QsciScintillaBase::SC_MOD_DELETETEXT)))
        return;
    if (changingText_ || streaming_)
        return;
    // Editing the error's line means the user is fixing it: the mark goes. Not from inside
    // Scintilla's change notification, where markers must not change.
    if (errorMarkerHandle_ >= 0) {
        const long line = edit_->SendScintilla(QsciScintillaBase::SCI_LINEFROMPOSITION,
                                               static_cast<unsigned long>(position));
        if (line == edit_->markerLine(errorMarkerHandle_)) {
            const int handle = errorMarkerHandle_;
            QTimer::singleShot(0, this, [this, handle] {
                if (errorMarkerHandle_ == handle)
                    clearError();
            });
        }
    }
    // Undoing a group (a whole generation, a replace-all) is one edit, not one per step.
    const bool midGroup = (modificationType & QsciScintillaBase::SC_MULTISTEPUNDOREDO) &&
                          !(modificationType & QsciScintillaBase::SC_LASTSTEPINUNDOREDO);
    if (!midGroup)
        Q_EMIT textEdited();
}

void ScriptEditor::onSearchChanged() {
    const QString text = findBar_->findText();
    if (text.isEmpty()) {
        findBar_->setStatus({}, false);
        return;
    }
    // Search as the user types: the current match grows rather than jumping ahead.
    const int found = findFrom(text, findBar_->options(), true, true);
    findBar_->setStatus(found > 0    ? QString()
                        : found == 0 ? tr("No match")
                                     : tr("Invalid regular expression"),
                        found <= 0);
}

void ScriptEditor::onFindRequested(bool forward) {
    const QString text = findBar_->findText();
    if (text.isEmpty()) {
        showFind(findBar_->replaceVisible());
        return;
    }
    const int found = findFrom(text, findBar_->options(), forward, false);
    findBar_->setStatus(found > 0    ? QString()
                        : found == 0 ? tr("No match")
                                     : tr("Invalid regular expression"),
                        found <= 0);
}

void ScriptEditor::onReplaceRequested() {
    const QString text = findBar_->findText();
    const FindOptions options = findBar_->options();
    if (text.isEmpty())
        return;
    if (edit_->isReadOnly()) {
        findBar_->setStatus(tr("Read-only"), true);
        return;
    }
    if (selectionIsMatch(text, options)) {
        // The target is the selected match (set by selectionIsMatch).
        const QByteArray replacement = findBar_->replaceText().toUtf8();
        changingText_ = true;
        const long start = edit_->SendScintilla(QsciScintillaBase::SCI_GETTARGETSTART);
        const long length = edit_->SendScintilla(
            options.regex ? QsciScintillaBase::SCI_REPLACETARGETRE
                          : QsciScintillaBase::SCI_REPLACETARGET,
            static_cast<uintptr_t>(replacement.size()), replacement.constData());
        changingText_ = false;
        edit_->SendScintilla(QsciScintillaBase::SCI_SETSEL, static_cast<unsigned long>(start),
                             start + length);
        edit_->SendScintilla(QsciScintillaBase::SCI_SETEMPTYSELECTION,
                             static_cast<unsigned long>(start + length));
        Q_EMIT textEdited();
    }
    onFindRequested(true);
}

void ScriptEditor::onReplaceAllRequested() {
    const QString text = findBar_->findText();
    if (text.isEmpty())
        return;
    if (edit_->isReadOnly()) {
        findBar_->setStatus(tr("Read-only"), true);
        return;
    }
    const int count = replaceAll(text, findBar_->replaceText(), findBar_->options());
    findBar_->setStatus(count > 0 ? tr("%n replaced", nullptr, count) : tr("No match"), count == 0);
}

long ScriptEditor::search(const QByteArray& needle, const FindOptions& options, long from, long to,
                          long* matchEnd) const {
    int flags = 0;
    if (options.caseSensitive)
        flags |= QsciScintillaBase::SCFIND_MATCHCASE;
    if (options.wholeWord)
        flags |= QsciScintillaBase::SCFIND_WHOLEWORD;
    if (options.regex)
        flags |= QsciScintillaBase::SCFIND_REGEXP | QsciScintillaBase::SCFIND_CXX11REGEX;
    edit_->SendScintilla(QsciScintillaBase::SCI_SETSEARCHFLAGS, flags);
    edit_->SendScintilla(QsciScintillaBase::SCI_SETTARGETRANGE, static_cast<unsigned long>(from),
                         to);
    const long start =
        edit_->SendScintilla(QsciScintillaBase::SCI_SEARCHINTARGET,
                             static_cast<uintptr_t>(needle.size()), needle.constData());
    if (start >= 0 && matchEnd)
        *matchEnd = edit_->SendScintilla(QsciScintillaBase::SCI_GETTARGETEND);
    // A bad regular expression is "not found" with a status to tell it apart.
    if (start < 0 && edit_->SendScintilla(QsciScintillaBase::SCI_GETSTATUS) ==
                         QsciScintillaBase::SC_STATUS_WARNREGEX) {
        edit_->SendScintilla(QsciScintillaBase::SCI_SETSTATUS,
                             static_cast<int>(QsciScintillaBase::SC_STATUS_OK));
        return -2;
    }
    return start;
}

// 1: found and selected, 0: no match, -1: invalid regular expression.
int ScriptEditor::findFrom(const QString& text, const FindOptions& options, bool forward,
                           bool fromSelectionStart) {
    if (text.isEmpty())
        return 0;
    const QByteArray needle = text.toUtf8();
    const long length = edit_->SendScintilla(QsciScintillaBase::SCI_GETLENGTH);
    const long selectionStart = edit_->SendScintilla(QsciScintillaBase::SCI_GETSELECTIONSTART);
    const long selectionEnd = edit_->SendScintilla(QsciScintillaBase::SCI_GETSELECTIONEND);
    long matchEnd = 0;
    long start = -1;
    if (forward) {
        const long from = fromSelectionStart ? selectionStart : selectionEnd;
        start = search(needle, options, from, length, &matchEnd);
        // An empty match where the caret already is would never move on.
        if (start == from && matchEnd == start && selectionStart == selectionEnd &&
            !fromSelectionStart && from < length)
            start = search(needle, options,
                           edit_->SendScintilla(QsciScintillaBase::SCI_POSITIONAFTER,
                                                static_cast<unsigned long>(from)),
                           length, &matchEnd);
        if (start == -1) // wrap around
            start = search(needle, options, 0, length, &matchEnd);
    } else {
        // Scintilla searches backwards when the range runs from high to low.
        start = search(needle, options, selectionStart, 0, &matchEnd);
        if (start == -1)
            start = search(needle, options, length, 0, &matchEnd);
    }
    if (start < -1)
        return -1;
    if (start < 0)
        return 0;
    const int startLine = static_cast<int>(edit_->SendScintilla(
        QsciScintillaBase::SCI_LINEFROMPOSITION, static_cast<unsigned long>(start)));
    edit_->ensureLineVisible(startLine); // unfolds a folded match
    edit_->SendScintilla(QsciScintillaBase::SCI_SETSEL, static_cast<unsigned long>(start),
                         matchEnd);
    return 1;
}

bool ScriptEditor::selectionIsMatch(const QString& text, const FindOptions& options) const {
    const long selectionStart = edit_->SendScintilla(QsciScintillaBase::SCI_GETSELECTIONSTART);
    const long selectionEnd = edit_->SendScintilla(QsciScintillaBase::SCI_GETSELECTIONEND);
    if (selectionStart == selectionEnd)
        return false;
    long matchEnd = 0;
    const long start = search(text.toUtf8(), options, selectionStart, selectionEnd, &matchEnd);
    return start == selectionStart && matchEnd == selectionEnd;
}

} // namespace omega::ui
