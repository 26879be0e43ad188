#pragma once

#include <QString>
#include <QStringList>

namespace omega {

struct ExtractedCode {
    bool found = false;     // false: "the model returned no Manim code"
    QString code;           // the script, with a trailing newline
    bool fenced = false;    // came from a ``` block
    int candidates = 0;     // fenced Python blocks seen
    QStringList sceneNames; // class names that look like Scene subclasses (textual, not ast)
};

// Pure: takes a model's answer (prose, several fenced blocks, or bare code) and returns the
// Manim script in it. Rules: among fenced blocks (``` or ~~~, any info string), Python ones
// (python, py, python3, or no language but Python-looking) that define a Scene subclass win;
// bash/ini/text/json/… blocks never do; with several Scene blocks the longest; an unclosed
// fence (answer cut off) still yields its content; unfenced text is taken whole when it
// looks like Python with a Scene. Leading/trailing prose is dropped.
//
// In detail (what a caller can rely on):
// - Order of preference: (1) the longest fenced Python block with a Scene (ties: the later
//   one, models put the corrected version last); (2) the text outside all fences when it is
//   Python with a Scene; (3) the longest fenced Python block without a Scene: found=true with
//   sceneNames EMPTY, so the caller can say "no Scene in the code" rather than "no code";
//   (4) found=false.
// - Python block: info string's first word python, py, python3, py3 or ipython (any case,
//   "{.python}" too); or no info string and a line starting with import/from…import/class/def.
//   Empty blocks are ignored. `candidates` counts the Python blocks.
// - Fences follow CommonMark: 3+ backticks or tildes, any indentation (list items); a
//   backtick info string has no backtick; the closing fence is the same character, at least
//   as long, indented at most 3 columns more than the opening one, nothing after it. Inside a
//   Python block a fence-like line within a triple-quoted string does not close it (unless
//   that leaves the block unclosed: then the first fence-like line closes it after all). No
//   closing fence: the block runs to the end of the answer (a cut-off answer).
// - Unfenced text: starts at the first line beginning (column 0) with import, from, class,
//   def, @ or #!; trailing lines that look like prose (column 0, a sentence, a Markdown list
//   item or quote) and blank lines are dropped. Lines in between are kept as they are.
// - code: \n line endings (CRLF and CR converted), the fence's own indentation and any
//   indentation common to all lines removed, relative indentation kept, leading and trailing
//   blank lines dropped, exactly one trailing \n.
// - sceneNames: top-level `class Name(Bases):` (bases may span lines) where a base (its last
//   dotted part) ends in "Scene" or "Slide" (Scene, ThreeDScene, MovingCameraScene,
//   manim_slides' Slide, …) or is a class of the same code that qualifies; definition order,
//   no duplicates. Purely textual: a class in a string literal at column 0 would count.
ExtractedCode extractManimCode(const QString& answer);

} // namespace omega
