#pragma once

#include "BaseAgent.h"
#include "SceneFinder.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <memory>

class QProcess;
class QTemporaryDir;

namespace omega {

// One known-mistake rewrite the gate applied to the code (resources/gate/rewrites.json).
struct GateRewrite {
    QString rule;    // the table entry's id ("show-creation", "fade-in-from", …); "extract-code"
                     // when the code was taken out of a pasted answer
    int line = 0;    // 1-based line in checkedSource (0 when unknown)
    QString before;  // the line(s) it touches, before …
    QString after;   // … and after this rewrite
    QString message; // why (from the table)
};

enum class GateSeverity {
    Error,  // the script would fail (or render nothing): blocks "ready"
    Warning // suspicious but renders (an ignored CONFIG dict, a scene without construct)
};

// One problem the gate found in the fixed code.
struct GateFinding {
    // syntax, not-text, no-scene, unknown-name, unknown-attribute, unknown-kwarg,
    // removed-api (a known old name with no safe rewrite), config-dict, camera-frame,
    // no-construct
    QString kind;
    GateSeverity severity = GateSeverity::Error;
    int line = 0;      // 1-based line in checkedSource (0 when the line is not there, e.g. added)
    int fixedLine = 0; // 1-based line in fixedSource
    int column = 0;    // 1-based column in characters, 0 when unknown
    QString message;   // one or two sentences, with the suggestions in words
    QStringList suggestions; // closest real names ("Circle" for "Circel"), best first
    QString name;            // the offending name / keyword, when there is one

    bool isError() const { return severity == GateSeverity::Error; }
};

// What the gate says about a script. The gate never writes files: fixedSource is the
// corrected code, for the caller to save (omega check --fix) or render (the healing loop).
struct GateReport {
    // Failed only when the gate could not do its job: Usage (unreadable input), Environment
    // (no render Python, no Manim: the other fields may still hold what could be checked),
    // Timeout, Internal. A script with problems is an Ok result with error findings.
    AgentResult result;
    QString displayName;         // file name shown in messages
    QString input;               // the text given to check(): a script or a pasted answer
    QString checkedSource;       // the script checked: input, or the code extracted from it
    QString fixedSource;         // checkedSource with every rewrite applied
    bool extracted = false;      // input was a pasted answer (prose and fences around code)
    bool syntaxOk = false;       // checkedSource compiles
    QList<GateRewrite> rewrites; // in line order; an "extract-code" entry first if extracted
    QList<GateFinding> findings; // of fixedSource: errors first, then warnings
    QList<SceneInfo> scenes;     // Scene classes of fixedSource
    QString manimVersion;        // installed Manim, e.g. "0.22.0"
    QString namesSource;         // "cache" or "import" (Manim's names), "none" (no Manim)
    QString apiCheck;            // "full", "partial" (see apiNote), "skipped"
    QString apiNote;
    qint64 elapsedMs = 0;

    QList<GateFinding> errors() const;
    QList<GateFinding> warnings() const;
    bool hasErrors() const { return !errors().isEmpty(); }
    // fixedSource can be rendered: the gate ran and no error finding remains.
    bool readyAfterFixes() const { return result.ok() && !hasErrors(); }
    // The input itself can be rendered: ready and nothing to rewrite or extract.
    bool readyAsIs() const { return readyAfterFixes() && rewrites.isEmpty(); }
    // The first error as the pipeline's ErrorReport (Syntax, NoScene, MissingManimName or
    // CodeError), or result.error when the gate failed; category None when ready.
    ErrorReport firstError() const;
};

// Pure: how the gate reads its input. The text (a UTF-8 BOM dropped, CR/CRLF line endings
// made \n) is the script when it compiles; otherwise, when extractManimCode() finds code in
// it (a pasted answer: prose, fences), that code is checked instead. The helper decides
// (it compiles); this gives it both candidates. A real script is never reformatted.
struct GateInput {
    QString source;        // the normalised text
    QString extractedCode; // the code extractManimCode() found, empty when none or the same
    int fencedBlocks = 0;  // Python blocks seen by the extractor
};
GateInput prepareGateInput(const QString& text);

// Pure: parses the JSON printed by resources/gate/check_script.py into `report` (whose
// input, checkedSource and extracted fields the caller has set).
void parseGateOutput(const QByteArray& json, GateReport& report);

// The pre-render gate: syntax, known-mistake rewrites, scenes and the API check against the
// installed Manim, by resources/gate/check_script.py run with the render Python (nothing
// in the script is executed). Manim's names are cached per version in
// DATA/cache/manim-names-<version>.json. Asynchronous; one check at a time per gate.
class ScriptGate : public BaseAgent {
    Q_OBJECT
public:
    explicit ScriptGate(QObject* parent = nullptr);
    ~ScriptGate() override;

    void setPython(const QString& python) { python_ = python; }
    void setCacheDir(const QString& dir) { cacheDir_ = dir; }
    void setTimeoutMs(int ms) { timeoutMs_ = ms; }

    // Checks `text` (a script, or a model's answer with prose and fences); `displayName`
    // names it in messages. Emits finished() exactly once, unless cancelled.
    void check(const QString& text, const QString& displayName = QString(),
               const QString& jobId = QString());
    // Reads `path` (UTF-8) and checks it; a missing or unreadable file is a Usage result.
    void checkFile(const QString& path, const QString& jobId = QString());
    // Stops a running check (kills the helper): finished() is not emitted.
    void cancel();
    bool isRunning() const;

Q_SIGNALS:
    void finished(const omega::GateReport& report);

private:
    void finish(GateReport report);
    void finishLater(GateReport report);

    QString python_;
    QString cacheDir_;
    int timeoutMs_ = 60000;
    QProcess* process_ = nullptr;
    quint64 generation_ = 0; // bumped by cancel(): results of an older check are dropped
    std::unique_ptr<QTemporaryDir> workDir_; // the text handed to the helper
};

} // namespace omega

Q_DECLARE_METATYPE(omega::GateReport)
