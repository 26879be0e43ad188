#pragma once

#include "BaseAgent.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QLockFile>
#include <QPointer>
#include <QProcess>
#include <QSet>
#include <QStringList>
#include <QTimer>

#include <memory>

namespace omega {

// The caller's approval for one request. Nothing is installed without it: a package is
// approved when it is named in `approved` (CLI --allow-install PKG[,PKG], the GUI's "Install")
// or when `allowListed` is set and the package is on the allow list (--allow-listed-installs).
struct InstallPolicy {
    QStringList approved; // PyPI names, compared normalized (PEP 503)
    bool allowListed = false;
};

// The import → package table and the allow/deny lists: resources/dependencies/*.json, extended
// by the user's CONFIG/dependencies/*.json. Package names are stored normalized.
struct DependencyRules {
    QHash<QString, QString> packageForImport; // import name (case-sensitive) → PyPI name
    QHash<QString, QString> ambiguous;        // import name → why it is not guessed
    QSet<QString> allowed;
    QSet<QString> denied;

    bool isAllowed(const QString& package) const;
    bool isDenied(const QString& package) const;

    // Parses the two files' contents; false (and `error`) when either is not what it should be.
    static bool parse(const QByteArray& mappingJson, const QByteArray& policyJson,
                      DependencyRules* rules, QString* error);
    // The shipped files plus the user's additions. On failure the rules are empty and every
    // request fails (never installs) until the files are fixed.
    static DependencyRules load(QString* error = nullptr);
};

struct DependencyResult {
    enum class Outcome {
        Installed,        // installed into the profile's package layer and verified
        AlreadyAvailable, // importable already: the error is in the script, not a missing package
        NeedsApproval,    // allowed by the rules but not approved by the caller: ask, then retry
        Refused,          // never installed: bad name, stdlib, Manim itself, denied, ambiguous
        Failed,           // pip or the verification failed, timed out or was cancelled
    };

    AgentResult result; // ok() only for Installed
    Outcome outcome = Outcome::Failed;
    QString importName; // the top-level module the script imports
    QString package;    // the PyPI package (as PyPI spells it once resolved)
    QString version;    // the pinned, resolved version (Installed, AlreadyAvailable when known)
    QString reason;     // one or two sentences for the user: what happened and what to do
    QStringList dependencies; // "name==version" installed with it into the layer
    QString profile;
    QString layerDir;

    QJsonObject toJson() const;
};

QString outcomeName(DependencyResult::Outcome outcome); // "installed", "needs-approval", …

// One line of DATA/packages/<profile>/installed.json.
struct InstalledPackage {
    QString package;
    QString version;
    QString importName;
    QString profile;
    QDateTime installedAt; // UTC
    QStringList dependencies;
};

// ---- pure checks (no process, no file) ------------------------------------------------------

// A top-level Python module name: an ASCII identifier, at most 100 characters.
bool isValidImportName(const QString& name);
// A PEP 508 distribution name: letters, digits, '.', '_', '-', starting and ending with a
// letter or digit, at most 100 characters. Never an option, a path, a URL or a version spec.
bool isValidPackageName(const QString& name);
// PEP 503: lower case, runs of '-', '_' and '.' become one '-'.
QString normalizedPackageName(const QString& name);
// True for `manim`, `manim.x`, `manimlib…` (ManimGL): a code error, never a package to install.
bool namesManim(const QString& moduleName);

// What the rules say about an import name before anything runs: the package to install, or
// why nothing will be.
struct PackagePlan {
    bool refused = false;
    QString package; // valid PyPI name (the mapping, else the import name itself)
    QString reason;  // why it was refused
    QString hint;    // what to do instead
    ErrorCategory category = ErrorCategory::None; // for a refusal
};
PackagePlan planPackage(const QString& importName, const DependencyRules& rules);

// Whether `package` may be installed under `policy`; when not, `why` says what approval it
// needs (for the GUI's question and the CLI's message).
bool isApproved(const QString& package, const DependencyRules& rules, const InstallPolicy& policy,
                QString* why = nullptr);

// One package pip's resolver chose (from `pip install --dry-run --report`).
struct ResolvedPackage {
    QString name;
    QString version;
    QString sha256; // of the chosen wheel, empty when the index gave none
    bool requested = false;
};
// Pure: the packages to install from pip's JSON report; empty with `error` when unreadable or
// when a name or version does not pass the checks.
QList<ResolvedPackage> parsePipReport(const QByteArray& json, QString* error);
// Pure: pip's own error lines condensed to one message (at most ~600 characters).
QString summarizePipError(const QString& output);

// Installs the Python package that provides a missing import into an isolated layer of the
// render environment: DATA/packages/<profile>/site, a folder the render Python gets on its
// PYTHONPATH. Never into the venv itself, never through a shell, never without approval.
//
// How the layer stays isolated (a PYTHONPATH folder comes before site-packages, so anything in
// it would shadow the venv's own numpy, …):
//  1. resolve: `pip install --dry-run --report` in the render Python with the layer on its path
//     and a constraints file pinning every distribution already installed (venv + layer) to
//     its installed version. pip reports only what is missing, at versions compatible with
//     what is there; a package that would need a different numpy fails here instead of
//     changing the render environment.
//  2. install exactly those wheels (pinned, hash-checked, --no-deps, --only-binary so no
//     package code runs at install time) with `pip install --target` into a staging folder.
//  3. verify with the render Python: nothing in the staging folder has the name of a standard
//     library module or of a module the environment already provides, manim still imports,
//     and the missing module now imports.
//  4. move the staging folder's contents into the layer and record the install in
//     DATA/packages/<profile>/installed.json (only now: a failed or cancelled job leaves no
//     record and nothing in the layer).
// One job at a time; a lock file keeps two processes from installing into one profile at once.
class DependencyAgent : public BaseAgent {
    Q_OBJECT
public:
    explicit DependencyAgent(QObject* parent = nullptr);
    ~DependencyAgent() override;

    static QString defaultProfile() { return QStringLiteral("local"); }
    // DATA/packages/<profile>/site: the folder the render Python gets on its PYTHONPATH.
    static QString layerDir(const QString& profile = defaultProfile());
    // DATA/packages/<profile>/installed.json.
    static QString recordPath(const QString& profile = defaultProfile());
    static QList<InstalledPackage> installedPackages(const QString& profile = defaultProfile());
    static bool isValidProfileName(const QString& profile);

    void setPython(const QString& python) { python_ = python; }
    QString python() const { return python_; }
    void setProfile(const QString& profile) { profile_ = profile; }
    QString profile() const { return profile_; }
    void setRules(const DependencyRules& rules);
    const DependencyRules& rules() const { return rules_; }
    // Time allowed for pip and the verification (default 300 s). The first look at the
    // environment has its own bound (probeTimeoutMs, default 60 s).
    void setTimeoutMs(int ms) { timeoutMs_ = ms; }
    void setProbeTimeoutMs(int ms) { probeTimeoutMs_ = ms; }

    // Starts a job for a MissingModule report (missingName: the top-level import name) and
    // returns its id; finished() follows exactly once, always asynchronously. Empty while
    // another job runs.
    QString install(const ErrorReport& report, const InstallPolicy& policy);
    QString installImport(const QString& importName, const InstallPolicy& policy);
    // Kills the running step's process group; finished() (Failed, status Cancelled) follows
    // once the process is gone.
    void cancel();
    bool isRunning() const { return !jobId_.isEmpty(); }
    QString currentJobId() const { return jobId_; }
    // Pid (and process group id) of the running step's process, 0 when none.
    qint64 currentPid() const;

Q_SIGNALS:
    void progress(const QString& line); // redacted, one line of what the job does or pip says
    void finished(const omega::DependencyResult& result);

private:
    enum class Step { None, Probe, Resolve, Install, Verify };

    bool beginJob(const QString& importName, const InstallPolicy& policy);
    void startProbe();
    void startResolve();
    void startInstall();
    void startVerify();
    void commit();
    void runStep(Step step, const QStringList& arguments, const QProcessEnvironment& environment,
                 int timeoutMs);
    void onReadyRead();
    void onStepFinished(int exitCode, QProcess::ExitStatus status);
    void onProbeDone(const QByteArray& json);
    void onResolveDone(const QByteArray& report);
    void onVerifyDone(const QByteArray& json);
    void killProcess();
    void say(const QString& line);
    void finishWith(DependencyResult::Outcome outcome, ErrorCategory category,
                    const QString& reason, const QString& hint = QString());
    void finishLater(DependencyResult::Outcome outcome, ErrorCategory category,
                     const QString& reason, const QString& hint = QString());
    QString pipFailureReason(const QString& what) const;
    QString packagesDir() const;

    QString python_;
    QString profile_;
    DependencyRules rules_;
    QString rulesError_;
    int timeoutMs_ = 300000;
    int probeTimeoutMs_ = 60000;

    // Current job.
    QString jobId_;
    InstallPolicy policy_;
    DependencyResult result_;
    QString workDir_;
    QString stagingDir_;
    QList<ResolvedPackage> resolved_;
    QStringList installedNames_; // every distribution already present (for the constraints)
    std::unique_ptr<QLockFile> lock_;
    Step step_ = Step::None;
    bool cancelled_ = false;
    bool timedOut_ = false;
    QByteArray output_;     // the running step's output (bounded tail)
    QByteArray lineBuffer_; // incomplete last line, for progress()
    QElapsedTimer clock_;
    QPointer<QProcess> process_;
    qint64 processGroup_ = 0; // pid of the running step's process, its own group's id
    QTimer stepTimer_;
    QTimer reapTimer_;
};

} // namespace omega

Q_DECLARE_METATYPE(omega::DependencyResult)
