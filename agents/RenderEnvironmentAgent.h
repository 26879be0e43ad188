#pragma once

#include "BaseAgent.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QLockFile>
#include <QPointer>
#include <QProcess>
#include <QStringList>
#include <QThread>
#include <QTimer>

#include <functional>

#include <memory>

namespace omega {

// What create() builds, and with what. Every field has a default; tests and `omega setup` set
// only what they need.
struct RenderEnvironmentOptions {
    // The Python that creates the venv: empty = $OMEGA_HOST_PYTHON, else /usr/bin/python3, else
    // python3 on PATH.
    QString python;
    // Where the venv goes: empty = paths::venvDir() (DATA/venv in an installed app).
    QString venvDir;
    // The pinned requirements: empty = $OMEGA_RENDER_REQUIREMENTS, else
    // paths::resourcePath("render-requirements.txt").
    QString requirementsFile;
    // Rebuild even when the venv's stamp matches the requirements.
    bool force = false;
    // `pip install --upgrade pip` first, like scripts/setup.sh (the venv's bundled pip is old).
    bool upgradePip = true;
    // Modules the finished venv must import; empty = importCheckModules(requirements).
    QStringList importModules;
    // The whole job: venv, pip, import check. A clean Manim install takes a few minutes (pycairo
    // and ManimPango are compiled); 30 minutes covers a slow network.
    int timeoutMs = 30 * 60 * 1000;
    // Refuse to start below this much free space where the venv goes (Manim's venv is ~1 GB).
    qint64 minimumFreeBytes = qint64(1) << 30;
};

// Why a job failed, for a GUI that wants to offer the matching fix (the message and hint of
// result.error already say it in words).
enum class RenderEnvironmentFailure {
    None,
    NoPython,          // the host python3 is missing or cannot start
    NoVenvModule,      // python3 has no venv/ensurepip: install python3-venv
    NoNetwork,         // pip cannot reach the package index
    PackageNotFound,   // the index has no such pinned package/version
    BuildDependencies, // a source build needs Debian -dev packages (missingAptPackages)
    DiskFull,          // no space left where the venv or pip's temporary files go
    PipFailed,         // any other pip failure (detail has pip's error)
    ImportCheck,       // everything installed, but the import check failed
    NotAVenv,          // the target folder exists and is not a venv: never replaced
    Busy,              // another setup holds the lock on this venv
    BadRequirements,   // the requirements file is missing or unreadable
    Io,                // a folder could not be created, renamed or removed
    Timeout,
    Cancelled,
};
QString failureName(RenderEnvironmentFailure failure); // "no-network", "build-dependencies", …

struct RenderEnvironmentResult {
    AgentResult result;
    RenderEnvironmentFailure failure = RenderEnvironmentFailure::None;
    bool skipped = false; // the venv already matched the requirements: nothing was changed
    QString venvDir;
    QString python; // venvDir/bin/python
    QString requirementsFile;
    int requirementCount = 0;
    QStringList missingAptPackages; // for BuildDependencies / NoVenvModule: what to apt install

    QJsonObject toJson() const;
};

enum class RenderEnvironmentStep { None, CreateVenv, UpgradePip, InstallPackages, CheckImports };
QString stepName(RenderEnvironmentStep step); // "create-venv", "upgrade-pip", …

struct RenderEnvironmentProgress {
    RenderEnvironmentStep step = RenderEnvironmentStep::None;
    int percent = 0;  // of the whole job, coarse, never decreasing
    QString activity; // "Creating the Python environment", "Collecting numpy==2.4.6", …
};

// ---- pure parsers of pip's output (fixture tests in tst_renderenvironment) --------------------

// Follows `pip install -r` line by line and turns "Collecting", "Building wheel", "Installing
// collected packages" and "Successfully installed" into a coarse percent of the install step,
// over the number of requirement lines.
class PipProgressTracker {
public:
    explicit PipProgressTracker(int requirementCount = 1);
    // True when the line moved the percent or names a new activity.
    bool addLine(const QString& line);
    int percent() const { return percent_; } // 0..100 of the install step
    QString activity() const { return activity_; }

private:
    int requirements_;
    int collected_ = 0;
    int built_ = 0;
    int toBuild_ = 0;
    int percent_ = 0;
    QString activity_;
};

struct PipFailure {
    RenderEnvironmentFailure kind = RenderEnvironmentFailure::PipFailed;
    QString message; // one sentence: what happened
    QString hint;    // what to do
    QString package; // the package involved, when pip names one
    QStringList aptPackages;
    QString detail; // pip's relevant lines
};
// Pure: why pip failed, from its whole (merged) output.
PipFailure classifyPipFailure(const QString& output);
// Pure: why `python3 -m venv` failed (no venv/ensurepip module, disk full, other).
PipFailure classifyVenvFailure(const QString& output);
// Pure: the requirement lines of a requirements file (comments, blanks and options skipped).
QStringList requirementLines(const QString& requirementsText);
// Pure: the modules the import check imports: Manim's set (manim, cairo, manimpango, av) for
// those pinned; for a file without any of them (a test's six==1.16.0), each requirement's name
// as a module.
QStringList importCheckModules(const QString& requirementsText);

// Creates the render environment: a Python venv with the pinned Manim CE, the way
// scripts/setup.sh does for a checkout, for an installed app (DATA/venv):
//   1. `python3 -m venv VENV.partial`        (never in place: a cancelled or failed job never
//   2. `pip install --upgrade pip`            leaves a broken VENV; an existing VENV keeps
//   3. `pip install -r render-requirements`   working until the new one replaces it)
//   4. `python -c "import manim, cairo, manimpango, av"`
//   5. the stamp (a copy of the requirements, VENV/.omega-requirements), then VENV.partial is
//      renamed to VENV (the old one, if any, removed).
// A venv whose stamp equals the requirements is left alone (skipped). Every step runs in its own
// process group; cancel and the timeout kill the group and remove VENV.partial. One job at a
// time per agent; a lock file (VENV.lock) keeps two processes from building one venv.
class RenderEnvironmentAgent : public BaseAgent {
    Q_OBJECT
public:
    explicit RenderEnvironmentAgent(QObject* parent = nullptr);
    ~RenderEnvironmentAgent() override;

    // True when the render Python does not exist, or its venv's stamp differs from the
    // shipped requirements (an upgrade changed the pins). With OMEGA_PYTHON set, only whether
    // that Python exists (a Python the user chose is theirs to maintain).
    static bool needed();
    // Whether the venv of `options` (defaults resolved) has a python and a stamp equal to the
    // requirements.
    static bool isUpToDate(const RenderEnvironmentOptions& options = {});
    // The options with every empty field resolved to its default.
    static RenderEnvironmentOptions resolved(const RenderEnvironmentOptions& options);

    // Starts a job and returns its id; finished() follows exactly once, always asynchronously.
    // Empty while another job of this agent runs.
    QString create(const RenderEnvironmentOptions& options = {});
    // Kills the running step's process group and removes VENV.partial; finished() (status
    // Cancelled) follows once both are done.
    void cancel();
    bool isRunning() const { return !jobId_.isEmpty(); }
    QString currentJobId() const { return jobId_; }
    // Pid (and process group id) of the running step's process, 0 when none.
    qint64 currentPid() const;

Q_SIGNALS:
    void progress(const omega::RenderEnvironmentProgress& progress);
    void outputLine(const QString& line); // one line of what pip or python says
    void finished(const omega::RenderEnvironmentResult& result);

private:
    void startStep(RenderEnvironmentStep step);
    void runProcess(const QString& program, const QStringList& arguments);
    void onReadyRead();
    void onProcessFinished(int exitCode, QProcess::ExitStatus status);
    void onStepSucceeded();
    void commit();
    void killProcess();
    void report(int percent, const QString& activity);
    void fail(RenderEnvironmentFailure failure, ErrorCategory category, const QString& message,
              const QString& hint, const QString& detail = {});
    void failWith(const PipFailure& failure);
    void finishJob();
    // Removes the folders on a worker thread (a venv has thousands of files), then calls `then`.
    void removeFolders(const QStringList& folders, std::function<void()> then);
    void begin();

    RenderEnvironmentOptions options_;
    QString jobId_;
    RenderEnvironmentResult result_;
    QString partialDir_;
    QByteArray requirements_;
    RenderEnvironmentStep step_ = RenderEnvironmentStep::None;
    PipProgressTracker tracker_;
    int percent_ = 0;
    bool cancelled_ = false;
    bool timedOut_ = false;
    bool finishing_ = false; // the result is set; cleanup runs before finished()
    QByteArray output_;      // the running step's output (bounded tail)
    QByteArray lineBuffer_;
    QElapsedTimer clock_;
    QPointer<QProcess> process_;
    qint64 processGroup_ = 0;
    QTimer jobTimer_;
    QTimer reapTimer_;
    std::unique_ptr<QLockFile> lock_;
    QPointer<QThread> cleanup_; // the thread removing folders, while it runs
};

} // namespace omega

Q_DECLARE_METATYPE(omega::RenderEnvironmentResult)
Q_DECLARE_METATYPE(omega::RenderEnvironmentProgress)
