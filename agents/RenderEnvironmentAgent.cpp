#include "RenderEnvironmentAgent.h"

#include "Paths.h"
#include "Redactor.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QSaveFile>
#include <QStandardPaths>
#include <QStorageInfo>

#include <csignal>
#include <unistd.h>

namespace omega {

namespace {

constexpr qsizetype kKeepOutput = 256 * 1024;
constexpr int kReapGraceMs = 5000;
const char* const kStampName = ".omega-requirements";

// Where each step starts in the job's overall percent; the install takes most of the time.
constexpr int kVenvStart = 0;
constexpr int kPipUpgradeStart = 3;
constexpr int kInstallStart = 8;
constexpr int kInstallSpan = 84;
constexpr int kImportCheckStart = 93;
constexpr int kCommitStart = 98;

// The Debian packages a source build of the pinned pycairo and ManimPango needs (PyPI has no
// Linux wheels of them): what to suggest when a build failed for an unknown reason.
const QStringList& allBuildPackages() {
    static const QStringList packages{
        QStringLiteral("gcc"), QStringLiteral("pkg-config"), QStringLiteral("python3-dev"),
        QStringLiteral("libcairo2-dev"), QStringLiteral("libpango1.0-dev")};
    return packages;
}

// SIGKILL to the group (every child pip started) and, while the process itself has not been
// reaped, to its pid too: that covers the moment before the child has called setsid().
void killProcessGroup(qint64 pid, bool leaderRunning) {
    if (pid <= 0)
        return;
    ::kill(-static_cast<pid_t>(pid), SIGKILL);
    if (leaderRunning)
        ::kill(static_cast<pid_t>(pid), SIGKILL);
}

QString stampPath(const QString& venvDir) {
    return QDir(venvDir).filePath(QLatin1String(kStampName));
}

QByteArray readAll(const QString& path, bool* ok = nullptr) {
    QFile file(path);
    const bool opened = file.open(QIODevice::ReadOnly);
    if (ok)
        *ok = opened;
    return opened ? file.readAll() : QByteArray();
}

bool isVenv(const QString& dir) {
    return QFileInfo::exists(QDir(dir).filePath(QStringLiteral("pyvenv.cfg")));
}

bool isEmptyDir(const QString& dir) {
    return QDir(dir).isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System);
}

QString hostPython() {
    if (!qEnvironmentVariableIsEmpty("OMEGA_HOST_PYTHON"))
        return qEnvironmentVariable("OMEGA_HOST_PYTHON");
    if (QFileInfo(QStringLiteral("/usr/bin/python3")).isExecutable())
        return QStringLiteral("/usr/bin/python3");
    const QString onPath = QStandardPaths::findExecutable(QStringLiteral("python3"));
    return onPath.isEmpty() ? QStringLiteral("python3") : onPath;
}

// "Collecting numpy==2.4.6 (from -r req.txt (line 13))" → "numpy==2.4.6".
QString firstWord(const QString& text) {
    const QString trimmed = text.trimmed();
    const qsizetype space = trimmed.indexOf(QLatin1Char(' '));
    return space < 0 ? trimmed : trimmed.left(space);
}

// The last lines of `text` that match `pattern`, at most `count`, in order.
QStringList matchingLines(const QString& text, const QRegularExpression& pattern, int count) {
    QStringList found;
    const QStringList lines = text.split(QLatin1Char('\n'));
    for (const QString& line : lines) {
        if (pattern.match(line).hasMatch())
            found << line.trimmed();
    }
    return found.mid(qMax(0, int(found.size()) - count));
}

QString lastLines(const QString& text, int count) {
    QStringList lines = text.trimmed().split(QLatin1Char('\n'));
    lines = lines.mid(qMax(0, int(lines.size()) - count));
    return lines.join(QLatin1Char('\n'));
}

QString humanSize(qint64 bytes) {
    return QStringLiteral("%1 MB").arg(bytes / (1024 * 1024));
}

// A venv's scripts and activate files name the folder they were made in: rewrite them from
// VENV.partial to VENV before the rename (small text files in bin/ only).
void retargetScripts(const QString& fromDir, const QString& toDir) {
    const QByteArray from = QDir::cleanPath(fromDir).toUtf8();
    const QByteArray to = QDir::cleanPath(toDir).toUtf8();
    QDirIterator it(QDir(fromDir).filePath(QStringLiteral("bin")), QDir::Files | QDir::NoSymLinks);
    while (it.hasNext()) {
        const QString path = it.next();
        if (QFileInfo(path).size() > 256 * 1024)
            continue;
        QByteArray bytes = readAll(path);
        if (bytes.contains('\0') || !bytes.contains(from))
            continue;
        bytes.replace(from, to);
        QSaveFile file(path);
        const QFile::Permissions permissions = QFile::permissions(path);
        if (file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size() && file.commit())
            QFile::setPermissions(path, permissions);
    }
}

} // namespace

// ---- names and JSON ---------------------------------------------------------------------------

QString failureName(RenderEnvironmentFailure failure) {
    switch (failure) {
    case RenderEnvironmentFailure::None:
        return QStringLiteral("none");
    case RenderEnvironmentFailure::NoPython:
        return QStringLiteral("no-python");
    case RenderEnvironmentFailure::NoVenvModule:
        return QStringLiteral("no-venv-module");
    case RenderEnvironmentFailure::NoNetwork:
        return QStringLiteral("no-network");
    case RenderEnvironmentFailure::PackageNotFound:
        return QStringLiteral("package-not-found");
    case RenderEnvironmentFailure::BuildDependencies:
        return QStringLiteral("build-dependencies");
    case RenderEnvironmentFailure::DiskFull:
        return QStringLiteral("disk-full");
    case RenderEnvironmentFailure::PipFailed:
        return QStringLiteral("pip-failed");
    case RenderEnvironmentFailure::ImportCheck:
        return QStringLiteral("import-check");
    case RenderEnvironmentFailure::NotAVenv:
        return QStringLiteral("not-a-venv");
    case RenderEnvironmentFailure::Busy:
        return QStringLiteral("busy");
    case RenderEnvironmentFailure::BadRequirements:
        return QStringLiteral("bad-requirements");
    case RenderEnvironmentFailure::Io:
        return QStringLiteral("io");
    case RenderEnvironmentFailure::Timeout:
        return QStringLiteral("timeout");
    case RenderEnvironmentFailure::Cancelled:
        return QStringLiteral("cancelled");
    }
    return QStringLiteral("unknown");
}

QString stepName(RenderEnvironmentStep step) {
    switch (step) {
    case RenderEnvironmentStep::None:
        return QStringLiteral("none");
    case RenderEnvironmentStep::CreateVenv:
        return QStringLiteral("create-venv");
    case RenderEnvironmentStep::UpgradePip:
        return QStringLiteral("upgrade-pip");
    case RenderEnvironmentStep::InstallPackages:
        return QStringLiteral("install-packages");
    case RenderEnvironmentStep::CheckImports:
        return QStringLiteral("check-imports");
    }
    return QStringLiteral("unknown");
}

QJsonObject RenderEnvironmentResult::toJson() const {
    QJsonObject o{{QStringLiteral("status"), statusName(result.status)},
                  {QStringLiteral("skipped"), skipped},
                  {QStringLiteral("venv"), venvDir},
                  {QStringLiteral("python"), python},
                  {QStringLiteral("requirements"), requirementsFile},
                  {QStringLiteral("requirement_count"), requirementCount},
                  {QStringLiteral("elapsed_ms"), result.timings.elapsedMs}};
    if (!result.ok()) {
        QJsonObject e{{QStringLiteral("category"), categoryName(result.error.category)},
                      {QStringLiteral("reason"), failureName(failure)},
                      {QStringLiteral("message"), result.error.message},
                      {QStringLiteral("hint"), result.error.hint}};
        if (!result.error.detail.isEmpty())
            e.insert(QStringLiteral("detail"), result.error.detail);
        if (!missingAptPackages.isEmpty())
            e.insert(QStringLiteral("apt_packages"),
                     QJsonArray::fromStringList(missingAptPackages));
        o.insert(QStringLiteral("error"), e);
    }
    return o;
}

// ---- pure parsers -----------------------------------------------------------------------------

QStringList requirementLines(const QString& requirementsText) {
    QStringList lines;
    for (QString line : requirementsText.split(QLatin1Char('\n'))) {
        const qsizetype hash = line.indexOf(QLatin1Char('#'));
        if (hash >= 0)
            line.truncate(hash);
        line = line.trimmed();
        if (!line.isEmpty() && !line.startsWith(QLatin1Char('-')))
            lines << line;
    }
    return lines;
}

QStringList importCheckModules(const QString& requirementsText) {
    // Distribution (PEP 503 normalized) → the module Manim's renders need from it.
    static const QList<QPair<QString, QString>> manimSet{
        {QStringLiteral("manim"), QStringLiteral("manim")},
        {QStringLiteral("pycairo"), QStringLiteral("cairo")},
        {QStringLiteral("manimpango"), QStringLiteral("manimpango")},
        {QStringLiteral("av"), QStringLiteral("av")}};
    static const QRegularExpression nameEnd(QStringLiteral("[\\s<>=!~;\\[@]"));
    QStringList names;
    for (const QString& line : requirementLines(requirementsText)) {
        const qsizetype end = line.indexOf(nameEnd);
        names << (end < 0 ? line : line.left(end))
                     .toLower()
                     .replace(QLatin1Char('_'), QLatin1Char('-'))
                     .replace(QLatin1Char('.'), QLatin1Char('-'));
    }
    QStringList modules;
    for (const auto& [distribution, module] : manimSet) {
        if (names.contains(distribution))
            modules << module;
    }
    if (!modules.isEmpty())
        return modules;
    static const QRegularExpression identifier(QStringLiteral("^[a-z_][a-z0-9_]*$"));
    for (QString name : names) {
        name.replace(QLatin1Char('-'), QLatin1Char('_'));
        if (identifier.match(name).hasMatch())
            modules << name;
    }
    return modules;
}

PipProgressTracker::PipProgressTracker(int requirementCount)
    : requirements_(qMax(1, requirementCount)) {}

bool PipProgressTracker::addLine(const QString& rawLine) {
    // Collecting and resolving: 0–60 %, building source packages: 60–85 %, installing: 88 %,
    // done: 100 %.
    static const QRegularExpression building(
        QStringLiteral("^Building wheel for (\\S+) .*(?:finished with status|\\.\\.\\. )"));
    static const QRegularExpression buildStarted(
        QStringLiteral("^Building wheel for (\\S+) .*started$"));
    const QString line = rawLine.trimmed();
    const int before = percent_;
    const QString activityBefore = activity_;
    if (line.startsWith(QLatin1String("Collecting "))) {
        ++collected_;
        activity_ = QStringLiteral("Collecting %1").arg(firstWord(line.mid(11)));
        percent_ = qMax(percent_, qMin(collected_, requirements_) * 60 / requirements_);
    } else if (line.startsWith(QLatin1String("Requirement already satisfied: "))) {
        ++collected_;
        percent_ = qMax(percent_, qMin(collected_, requirements_) * 60 / requirements_);
    } else if (line.startsWith(QLatin1String("Downloading "))) {
        activity_ = QStringLiteral("Downloading %1").arg(firstWord(line.mid(12)));
    } else if (line.startsWith(QLatin1String("Using cached "))) {
        activity_ = QStringLiteral("Using cached %1").arg(firstWord(line.mid(13)));
    } else if (line.startsWith(QLatin1String("Building wheels for collected packages: "))) {
        toBuild_ = int(line.mid(40).split(QLatin1Char(','), Qt::SkipEmptyParts).size());
        activity_ = QStringLiteral("Building %1 (compiling; this takes a while)")
                        .arg(line.mid(40).trimmed());
        percent_ = qMax(percent_, 60);
    } else if (const auto start = buildStarted.match(line); start.hasMatch()) {
        activity_ =
            QStringLiteral("Building %1 (compiling; this takes a while)").arg(start.captured(1));
        percent_ = qMax(percent_, 60);
    } else if (const auto done = building.match(line); done.hasMatch()) {
        ++built_;
        activity_ = QStringLiteral("Built %1").arg(done.captured(1));
        percent_ = qMax(percent_, 60 + qMin(built_, qMax(toBuild_, 1)) * 25 / qMax(toBuild_, 1));
    } else if (line.startsWith(QLatin1String("Installing collected packages: "))) {
        const qsizetype count = line.mid(31).split(QLatin1Char(','), Qt::SkipEmptyParts).size();
        activity_ = QStringLiteral("Installing %1 package%2")
                        .arg(count)
                        .arg(count == 1 ? QString() : QStringLiteral("s"));
        percent_ = qMax(percent_, 88);
    } else if (line.startsWith(QLatin1String("Successfully installed "))) {
        activity_ = QStringLiteral("Installed");
        percent_ = 100;
    }
    return percent_ != before || activity_ != activityBefore;
}

PipFailure classifyPipFailure(const QString& output) {
    PipFailure f;
    static const QRegularExpression errorLine(
        QStringLiteral("^\\s*(?:ERROR:|error:|×|╰─>|Failed to build|WARNING: Retrying)"));
    f.detail = matchingLines(output, errorLine, 12).join(QLatin1Char('\n'));
    if (f.detail.isEmpty())
        f.detail = lastLines(output, 12);

    if (output.contains(QLatin1String("No space left on device")) ||
        output.contains(QLatin1String("[Errno 28]"))) {
        f.kind = RenderEnvironmentFailure::DiskFull;
        f.message = QStringLiteral("The disk is full: pip could not write the render environment "
                                   "(No space left on device).");
        f.hint = QStringLiteral("Free some space (the render environment needs about 1 GB, plus "
                                "pip's temporary files in /tmp or $TMPDIR), then try again.");
        return f;
    }

    // A source build (pycairo and ManimPango have no Linux wheels): which Debian package is
    // missing, from meson's, pkg-config's or the compiler's own words.
    struct Marker {
        const char* pattern;
        const char* aptPackage;
    };
    static const Marker markers[] = {
        {"Dependency \"cairo\" not found", "libcairo2-dev"},
        {"Package cairo was not found", "libcairo2-dev"},
        {"Package 'cairo' was not found", "libcairo2-dev"},
        {"cairo.h: No such file", "libcairo2-dev"},
        {"Dependency \"pangocairo\" not found", "libpango1.0-dev"},
        {"Dependency \"pango\" not found", "libpango1.0-dev"},
        {"Package pangocairo was not found", "libpango1.0-dev"},
        {"Package pango was not found", "libpango1.0-dev"},
        {"Package 'pangocairo' was not found", "libpango1.0-dev"},
        {"Package 'pango' was not found", "libpango1.0-dev"},
        {"pangocairo >= ", "libpango1.0-dev"}, // ManimPango's own check
        {"pango/pango.h: No such file", "libpango1.0-dev"},
        {"pango/pangocairo.h: No such file", "libpango1.0-dev"},
        {"Python.h: No such file", "python3-dev"},
        {"Dependency \"python", "python3-dev"},
        {"Python dependency not found", "python3-dev"},
        {"Did not find pkg-config", "pkg-config"},
        {"Found pkg-config: NO", "pkg-config"},
        {"pkg-config: not found", "pkg-config"},
        {"Unknown compiler(s)", "gcc"},
        {"command 'gcc' failed: No such file", "gcc"},
        {"command 'x86_64-linux-gnu-gcc' failed: No such file", "gcc"},
        {"unable to execute 'gcc'", "gcc"},
        {"gcc: not found", "gcc"},
        {"cc: not found", "gcc"},
    };
    QStringList apt;
    for (const Marker& marker : markers) {
        const QString package = QString::fromLatin1(marker.aptPackage);
        if (output.contains(QLatin1String(marker.pattern)) && !apt.contains(package))
            apt << package;
    }
    // pip's network failures: retried with a WARNING per attempt, then "from versions: none".
    // The most specific words first: they become the message.
    static const char* const networkWords[] = {"Name or service not known",
                                               "Temporary failure in name resolution",
                                               "Connection refused",
                                               "Network is unreachable",
                                               "No route to host",
                                               "Cannot connect to proxy",
                                               "ProxyError",
                                               "CERTIFICATE_VERIFY_FAILED",
                                               "SSLError",
                                               "Read timed out",
                                               "ConnectTimeoutError",
                                               "ReadTimeoutError",
                                               "Failed to establish a new connection",
                                               "Max retries exceeded"};
    QString networkProblem;
    for (const char* words : networkWords) {
        if (output.contains(QLatin1String(words))) {
            networkProblem = QString::fromLatin1(words);
            break;
        }
    }
    if (!networkProblem.isEmpty() && apt.isEmpty()) {
        f.kind = RenderEnvironmentFailure::NoNetwork;
        const bool certificate = networkProblem.contains(QLatin1String("SSL")) ||
                                 networkProblem.contains(QLatin1String("CERTIFICATE"));
        f.message = QStringLiteral("pip cannot reach the Python package index (PyPI): %1.")
                        .arg(networkProblem);
        f.hint = certificate
                     ? QStringLiteral("The index's TLS certificate is not trusted here: check the "
                                      "system clock, ca-certificates, or a proxy that intercepts "
                                      "HTTPS, then try again.")
                     : QStringLiteral("Check the network connection (and HTTPS_PROXY if you need "
                                      "a proxy), then try again: the render environment is "
                                      "downloaded once from pypi.org.");
        return f;
    }

    static const QRegularExpression buildFailure(QStringLiteral(
        "metadata-generation-failed|Failed building wheel|Failed to build|"
        "failed-wheel-build-for-install|legacy-install-failure|subprocess-exited-with-error"));
    const bool sourceBuildFailed = buildFailure.match(output).hasMatch();
    if (sourceBuildFailed || !apt.isEmpty()) {
        f.aptPackages = apt;
        static const QRegularExpression failedPackage(QStringLiteral(
            "^(?:╰─>\\s*|Failed to build |Failed building wheel for )([A-Za-z0-9_.\\-]+)|"
            "Failed to build '([^']+)'"));
        QString package;
        for (const QString& line : output.split(QLatin1Char('\n'))) {
            if (const auto m = failedPackage.match(line.trimmed()); m.hasMatch())
                package = m.captured(1).isEmpty() ? m.captured(2) : m.captured(1);
        }
        f.package = package;
        f.kind = RenderEnvironmentFailure::BuildDependencies;
        const QString what = package.isEmpty() ? QStringLiteral("A package") : package;
        if (!f.aptPackages.isEmpty()) {
            f.message = QStringLiteral("%1 could not be built from source: the Debian development "
                                       "packages it compiles against are missing (%2).")
                            .arg(what, f.aptPackages.join(QLatin1String(", ")));
        } else {
            f.aptPackages = allBuildPackages();
            f.message = QStringLiteral("%1 could not be built from source (pip's output is in the "
                                       "detail).")
                            .arg(what);
        }
        f.hint = QStringLiteral("Install them: sudo apt install %1 — then try again.")
                     .arg(f.aptPackages.join(QLatin1Char(' ')));
        if (output.contains(QLatin1String("Dependency \"")) ||
            output.contains(QLatin1String("No such file")))
            f.detail = matchingLines(output,
                                     QRegularExpression(QStringLiteral(
                                         "ERROR:|error:|not found|No such file|Failed|╰─>")),
                                     12)
                           .join(QLatin1Char('\n'));
        return f;
    }

    static const QRegularExpression notFound(
        QStringLiteral("No matching distribution found for (\\S+)"));
    if (const auto m = notFound.match(output); m.hasMatch()) {
        f.kind = RenderEnvironmentFailure::PackageNotFound;
        f.package = m.captured(1);
        f.message = QStringLiteral("The package index has no %1: pip found no version matching "
                                   "the pin.")
                        .arg(f.package);
        f.hint = QStringLiteral("Check the pin in the requirements file: the version may not "
                                "exist, or have no release for this Python (a mirror set in "
                                "PIP_INDEX_URL may also lack it).");
        return f;
    }

    const QStringList errors =
        matchingLines(output, QRegularExpression(QStringLiteral("^ERROR:")), 1);
    f.kind = RenderEnvironmentFailure::PipFailed;
    f.message = errors.isEmpty()
                    ? QStringLiteral("pip failed to install the render environment.")
                    : QStringLiteral("pip failed: %1").arg(errors.first().mid(6).trimmed());
    f.hint = QStringLiteral("Read pip's output in the detail; fix what it names and try again.");
    return f;
}

PipFailure classifyVenvFailure(const QString& output) {
    PipFailure f;
    f.detail = lastLines(output, 12);
    if (output.contains(QLatin1String("ensurepip is not available")) ||
        output.contains(QLatin1String("No module named venv")) ||
        output.contains(QLatin1String("No module named ensurepip")) ||
        output.contains(QLatin1String("python3-venv"))) {
        f.kind = RenderEnvironmentFailure::NoVenvModule;
        f.aptPackages = {QStringLiteral("python3-venv")};
        f.message = QStringLiteral("Python cannot create virtual environments here: its venv "
                                   "module (with ensurepip) is not installed.");
        f.hint = QStringLiteral("Install it: sudo apt install python3-venv — then try again.");
        return f;
    }
    if (output.contains(QLatin1String("No space left on device")) ||
        output.contains(QLatin1String("[Errno 28]"))) {
        f.kind = RenderEnvironmentFailure::DiskFull;
        f.message = QStringLiteral("The disk is full: the Python environment could not be "
                                   "created (No space left on device).");
        f.hint = QStringLiteral("Free some space (about 1 GB), then try again.");
        return f;
    }
    f.kind = RenderEnvironmentFailure::Io;
    const QString last = lastLines(output, 1);
    f.message = last.isEmpty() ? QStringLiteral("python3 -m venv failed.")
                               : QStringLiteral("python3 -m venv failed: %1").arg(last);
    f.hint = output.contains(QLatin1String("Permission denied"))
                 ? QStringLiteral("Check that you can write to the data folder (or set "
                                  "OMEGA_DATA_DIR to a folder you own).")
                 : QStringLiteral("Read the detail, fix what it names and try again.");
    return f;
}

// ---- the agent ----------------------------------------------------------------------------------

RenderEnvironmentAgent::RenderEnvironmentAgent(QObject* parent)
    : BaseAgent(QStringLiteral("RenderEnvironmentAgent"), parent) {
    qRegisterMetaType<omega::RenderEnvironmentResult>();
    qRegisterMetaType<omega::RenderEnvironmentProgress>();
    jobTimer_.setSingleShot(true);
    reapTimer_.setSingleShot(true);
    connect(&jobTimer_, &QTimer::timeout, this, [this] {
        if (!isRunning() || finishing_)
            return;
        timedOut_ = true;
        warning(jobId_, QStringLiteral("time limit reached; stopping"));
        if (process_)
            killProcess(); // the result follows once the process is gone
    });
    // SIGKILL cannot be ignored, so finished() comes; this only guards against a process
    // stuck in the kernel, so the job still ends.
    connect(&reapTimer_, &QTimer::timeout, this, [this] {
        if (!process_)
            return;
        QProcess* process = process_;
        process_ = nullptr;
        process->disconnect(this);
        process->setParent(nullptr);
        connect(process, &QProcess::finished, process, &QObject::deleteLater);
        onProcessFinished(-1, QProcess::CrashExit);
    });
}

RenderEnvironmentAgent::~RenderEnvironmentAgent() {
    if (process_) {
        process_->disconnect(this);
        killProcessGroup(processGroup_, true);
    }
    // Shutting down mid-job: the half-made venv goes now (a later create() would also remove it).
    if (cleanup_) {
        cleanup_->wait();
        delete cleanup_.data();
    }
    if (isRunning() && lock_ && !partialDir_.isEmpty())
        QDir(partialDir_).removeRecursively();
}

RenderEnvironmentOptions RenderEnvironmentAgent::resolved(const RenderEnvironmentOptions& options) {
    RenderEnvironmentOptions r = options;
    if (r.python.isEmpty())
        r.python = hostPython();
    else if (!r.python.contains(QLatin1Char('/'))) {
        const QString found = QStandardPaths::findExecutable(r.python);
        if (!found.isEmpty())
            r.python = found;
    }
    if (r.venvDir.isEmpty())
        r.venvDir = paths::venvDir();
    r.venvDir = QDir::cleanPath(QDir(r.venvDir).absolutePath());
    if (r.requirementsFile.isEmpty()) {
        r.requirementsFile = qEnvironmentVariableIsEmpty("OMEGA_RENDER_REQUIREMENTS")
                                 ? paths::resourcePath(QStringLiteral("render-requirements.txt"))
                                 : qEnvironmentVariable("OMEGA_RENDER_REQUIREMENTS");
    }
    if (r.timeoutMs <= 0)
        r.timeoutMs = RenderEnvironmentOptions().timeoutMs;
    return r;
}

bool RenderEnvironmentAgent::isUpToDate(const RenderEnvironmentOptions& options) {
    const RenderEnvironmentOptions r = resolved(options);
    if (!QFileInfo(QDir(r.venvDir).filePath(QStringLiteral("bin/python"))).isExecutable())
        return false;
    bool stampOk = false;
    bool requirementsOk = false;
    const QByteArray stamp = readAll(stampPath(r.venvDir), &stampOk);
    const QByteArray requirements = readAll(r.requirementsFile, &requirementsOk);
    return stampOk && requirementsOk && stamp == requirements;
}

bool RenderEnvironmentAgent::needed() {
    if (!qEnvironmentVariableIsEmpty("OMEGA_PYTHON"))
        return !QFileInfo(paths::renderPython()).isExecutable();
    return !isUpToDate();
}

qint64 RenderEnvironmentAgent::currentPid() const {
    return process_ ? process_->processId() : 0;
}

QString RenderEnvironmentAgent::create(const RenderEnvironmentOptions& options) {
    if (isRunning())
        return {};
    jobId_ = newJobId();
    options_ = resolved(options);
    result_ = RenderEnvironmentResult();
    result_.result.jobId = jobId_;
    result_.result.timings.started = QDateTime::currentDateTimeUtc();
    result_.venvDir = options_.venvDir;
    result_.python = QDir(options_.venvDir).filePath(QStringLiteral("bin/python"));
    result_.requirementsFile = options_.requirementsFile;
    partialDir_ = options_.venvDir + QStringLiteral(".partial");
    step_ = RenderEnvironmentStep::None;
    percent_ = 0;
    cancelled_ = false;
    timedOut_ = false;
    finishing_ = false;
    output_.clear();
    lineBuffer_.clear();
    clock_.start();
    info(jobId_, QStringLiteral("render environment: %1 from %2 (python %3)")
                     .arg(options_.venvDir, options_.requirementsFile, options_.python));
    // Everything below reports through finished(), always after create() has returned.
    QTimer::singleShot(0, this, [this, id = jobId_] {
        if (jobId_ == id && !finishing_)
            begin();
    });
    return jobId_;
}

void RenderEnvironmentAgent::begin() {
    if (cancelled_) {
        fail(RenderEnvironmentFailure::Cancelled, ErrorCategory::Cancelled,
             QStringLiteral("Creating the render environment was cancelled; nothing was changed."),
             QString());
        return;
    }
    bool readable = false;
    requirements_ = readAll(options_.requirementsFile, &readable);
    const QStringList lines = requirementLines(QString::fromUtf8(requirements_));
    result_.requirementCount = int(lines.size());
    if (!readable || lines.isEmpty()) {
        fail(RenderEnvironmentFailure::BadRequirements, ErrorCategory::Environment,
             readable ? QStringLiteral("The requirements file %1 names no package.")
                            .arg(options_.requirementsFile)
                      : QStringLiteral("Cannot read the requirements file %1.")
                            .arg(options_.requirementsFile),
             QStringLiteral("Reinstall Omega Studio (the file comes with it), or point "
                            "OMEGA_RENDER_REQUIREMENTS at a readable requirements file."));
        return;
    }
    tracker_ = PipProgressTracker(result_.requirementCount);
    if (options_.importModules.isEmpty())
        options_.importModules = importCheckModules(QString::fromUtf8(requirements_));

    if (!options_.force && isUpToDate(options_)) {
        result_.skipped = true;
        info(jobId_, QStringLiteral("up to date: %1").arg(options_.venvDir));
        report(100, QStringLiteral("The render environment is up to date"));
        finishing_ = true;
        finishJob();
        return;
    }
    if (!QFileInfo(options_.python).isExecutable()) {
        fail(RenderEnvironmentFailure::NoPython, ErrorCategory::Environment,
             QStringLiteral("No Python 3 to create the render environment with (%1 does not "
                            "exist or cannot run).")
                 .arg(options_.python),
             QStringLiteral("Install it: sudo apt install python3 python3-venv — or set "
                            "OMEGA_HOST_PYTHON to a python3 — then try again."));
        return;
    }
    const QFileInfo target(options_.venvDir);
    if (target.exists() &&
        (!target.isDir() || (!isVenv(options_.venvDir) && !isEmptyDir(options_.venvDir)))) {
        fail(RenderEnvironmentFailure::NotAVenv, ErrorCategory::Environment,
             QStringLiteral("%1 exists and is not a Python venv; it is left as it is.")
                 .arg(options_.venvDir),
             QStringLiteral("Move it away, or point OMEGA_VENV (or OMEGA_DATA_DIR) elsewhere, "
                            "then try again."));
        return;
    }
    const QString parent = target.absolutePath();
    if (!paths::ensureDir(parent)) {
        fail(RenderEnvironmentFailure::Io, ErrorCategory::Environment,
             QStringLiteral("Cannot create the folder %1.").arg(parent),
             QStringLiteral("Check that you can write there, or set OMEGA_DATA_DIR to a folder "
                            "you own."));
        return;
    }
    lock_ = std::make_unique<QLockFile>(options_.venvDir + QStringLiteral(".lock"));
    lock_->setStaleLockTime(0); // a build takes minutes: only a dead owner frees the lock
    if (!lock_->tryLock(0)) {
        lock_.reset();
        fail(RenderEnvironmentFailure::Busy, ErrorCategory::Environment,
             QStringLiteral("Another Omega Studio is creating the render environment in %1.")
                 .arg(options_.venvDir),
             QStringLiteral("Wait for it to finish (or end it), then try again."));
        return;
    }
    const QStorageInfo storage(parent);
    if (options_.minimumFreeBytes > 0 && storage.isValid() &&
        storage.bytesAvailable() < options_.minimumFreeBytes) {
        fail(RenderEnvironmentFailure::DiskFull, ErrorCategory::Environment,
             QStringLiteral("Only %1 free in %2; the render environment needs about %3.")
                 .arg(humanSize(storage.bytesAvailable()), parent,
                      humanSize(options_.minimumFreeBytes)),
             QStringLiteral("Free some space there (or set OMEGA_DATA_DIR to a disk with room), "
                            "then try again."));
        return;
    }
    jobTimer_.start(options_.timeoutMs);
    // Leftovers of a crashed run go first (VENV.partial, VENV.old-<job>): ours by their names,
    // and the lock says no other job is using them.
    QStringList leftovers;
    if (QFileInfo::exists(partialDir_))
        leftovers << partialDir_;
    const QString venvName = QFileInfo(options_.venvDir).fileName();
    const QStringList old =
        QDir(parent).entryList({venvName + QStringLiteral(".old-*")}, QDir::Dirs | QDir::Hidden);
    for (const QString& name : old)
        leftovers << QDir(parent).filePath(name);
    if (leftovers.isEmpty())
        startStep(RenderEnvironmentStep::CreateVenv);
    else
        removeFolders(leftovers, [this] { startStep(RenderEnvironmentStep::CreateVenv); });
}

void RenderEnvironmentAgent::cancel() {
    if (!isRunning() || finishing_ || cancelled_)
        return;
    info(jobId_, QStringLiteral("cancel requested"));
    cancelled_ = true;
    if (process_)
        killProcess(); // the result follows once the process is gone
    // Between steps (removing a leftover, before begin()): the next step sees cancelled_.
}

void RenderEnvironmentAgent::killProcess() {
    if (!process_)
        return;
    killProcessGroup(processGroup_, process_->state() != QProcess::NotRunning);
    reapTimer_.start(kReapGraceMs);
}

void RenderEnvironmentAgent::report(int percent, const QString& activity) {
    percent_ = qBound(percent_, percent, 100);
    RenderEnvironmentProgress p;
    p.step = step_;
    p.percent = percent_;
    p.activity = activity;
    Q_EMIT progress(p);
}

void RenderEnvironmentAgent::startStep(RenderEnvironmentStep step) {
    if (cancelled_ || timedOut_) {
        onProcessFinished(-1, QProcess::CrashExit); // reports the cancel / timeout
        return;
    }
    step_ = step;
    const QString venvPython = QDir(partialDir_).filePath(QStringLiteral("bin/python"));
    const QStringList pip{
        QStringLiteral("-m"),         QStringLiteral("pip"),
        QStringLiteral("install"),    QStringLiteral("--disable-pip-version-check"),
        QStringLiteral("--no-input"), QStringLiteral("--progress-bar"),
        QStringLiteral("off")};
    switch (step) {
    case RenderEnvironmentStep::CreateVenv:
        report(kVenvStart, QStringLiteral("Creating the Python environment"));
        runProcess(options_.python, {QStringLiteral("-m"), QStringLiteral("venv"), partialDir_});
        return;
    case RenderEnvironmentStep::UpgradePip:
        report(kPipUpgradeStart, QStringLiteral("Updating pip"));
        runProcess(venvPython,
                   pip + QStringList{QStringLiteral("--upgrade"), QStringLiteral("pip")});
        return;
    case RenderEnvironmentStep::InstallPackages:
        report(kInstallStart,
               result_.requirementCount == 1
                   ? QStringLiteral("Installing 1 pinned package")
                   : QStringLiteral("Installing %1 pinned packages (a few minutes the first time)")
                         .arg(result_.requirementCount));
        runProcess(venvPython, pip + QStringList{QStringLiteral("-r"), options_.requirementsFile});
        return;
    case RenderEnvironmentStep::CheckImports:
        report(kImportCheckStart, QStringLiteral("Checking the imports (%1)")
                                      .arg(options_.importModules.join(QLatin1String(", "))));
        runProcess(
            venvPython,
            {QStringLiteral("-c"),
             QStringLiteral("import %1").arg(options_.importModules.join(QLatin1String(", ")))});
        return;
    case RenderEnvironmentStep::None:
        return;
    }
}

void RenderEnvironmentAgent::runProcess(const QString& program, const QStringList& arguments) {
    if (cancelled_ || timedOut_) { // a progress listener may have cancelled just now
        onProcessFinished(-1, QProcess::CrashExit);
        return;
    }
    output_.clear();
    lineBuffer_.clear();
    auto* process = new QProcess(this);
    process_ = process;
    process->setProgram(program);
    process->setArguments(arguments);
    process->setWorkingDirectory(QFileInfo(options_.venvDir).absolutePath());
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    // Nothing from the caller's Python setup may redirect the install or the imports.
    for (const char* name :
         {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV",
          "PIP_TARGET", "PIP_PREFIX", "PIP_ROOT", "PIP_USER", "PIP_REQUIRE_VIRTUALENV"})
        env.remove(QString::fromLatin1(name));
    env.insert(QStringLiteral("PYTHONUNBUFFERED"), QStringLiteral("1")); // lines as they come
    env.insert(QStringLiteral("PIP_NO_INPUT"), QStringLiteral("1"));
    process->setProcessEnvironment(env);
    process->setStandardInputFile(QProcess::nullDevice()); // nothing can wait for an answer
    process->setProcessChannelMode(QProcess::MergedChannels);
    // Own session and process group: cancel and timeout take every child (compilers) with it.
    process->setChildProcessModifier([] { ::setsid(); });
    connect(process, &QProcess::readyReadStandardOutput, this,
            &RenderEnvironmentAgent::onReadyRead);
    connect(process, &QProcess::finished, this, &RenderEnvironmentAgent::onProcessFinished);
    connect(process, &QProcess::errorOccurred, this, [this, process](QProcess::ProcessError e) {
        if (e != QProcess::FailedToStart || process_ != process)
            return;
        const QString why = process->errorString();
        process_ = nullptr;
        process->deleteLater();
        reapTimer_.stop();
        if (cancelled_ || timedOut_) { // killed before it could exec: still a cancel/timeout
            onProcessFinished(-1, QProcess::CrashExit);
            return;
        }
        if (step_ == RenderEnvironmentStep::CreateVenv)
            fail(RenderEnvironmentFailure::NoPython, ErrorCategory::Environment,
                 QStringLiteral("Cannot start Python 3 (%1): %2").arg(options_.python, why),
                 QStringLiteral("Install it: sudo apt install python3 python3-venv — or set "
                                "OMEGA_HOST_PYTHON to a python3 — then try again."));
        else
            fail(RenderEnvironmentFailure::Io, ErrorCategory::Environment,
                 QStringLiteral("Cannot start the new environment's Python: %1").arg(why),
                 QStringLiteral("Try again; if it fails again, check the disk and the data "
                                "folder."));
    });
    info(jobId_, QStringLiteral("run: %1 %2").arg(program, arguments.join(QLatin1Char(' '))));
    Q_EMIT outputLine(redact(QStringLiteral("$ %1 %2").arg(QFileInfo(program).fileName(),
                                                           arguments.join(QLatin1Char(' ')))));
    process->start();
    processGroup_ = process->processId(); // setsid(): the pid is also the group id
}

void RenderEnvironmentAgent::onReadyRead() {
    if (!process_)
        return;
    const QByteArray chunk = process_->readAllStandardOutput();
    output_.append(chunk);
    if (output_.size() > kKeepOutput)
        output_.remove(0, output_.size() - kKeepOutput);
    lineBuffer_.append(chunk);
    qsizetype newline;
    while ((newline = lineBuffer_.indexOf('\n')) >= 0) {
        const QString line = redact(QString::fromUtf8(lineBuffer_.left(newline)).trimmed());
        lineBuffer_.remove(0, newline + 1);
        if (line.isEmpty())
            continue;
        debug(jobId_, line);
        Q_EMIT outputLine(line);
        if (step_ == RenderEnvironmentStep::InstallPackages && tracker_.addLine(line))
            report(kInstallStart + tracker_.percent() * kInstallSpan / 100, tracker_.activity());
    }
}

void RenderEnvironmentAgent::onProcessFinished(int exitCode, QProcess::ExitStatus status) {
    QProcess* process = process_;
    if (process) {
        killProcessGroup(processGroup_, false); // nothing pip started outlives it
        onReadyRead();
        process_ = nullptr;
        process->deleteLater();
    }
    processGroup_ = 0;
    reapTimer_.stop();
    if (!lineBuffer_.trimmed().isEmpty())
        Q_EMIT outputLine(redact(QString::fromUtf8(lineBuffer_).trimmed()));
    lineBuffer_.clear();
    if (finishing_)
        return;

    if (cancelled_) {
        fail(RenderEnvironmentFailure::Cancelled, ErrorCategory::Cancelled,
             QStringLiteral("Creating the render environment was cancelled; nothing was changed."),
             QString());
        return;
    }
    if (timedOut_) {
        fail(RenderEnvironmentFailure::Timeout, ErrorCategory::Timeout,
             QStringLiteral("Creating the render environment took longer than %1 minutes and was "
                            "stopped; nothing was changed.")
                 .arg(options_.timeoutMs / 60000.0, 0, 'g', 3),
             QStringLiteral("Check the network connection to pypi.org, then try again."));
        return;
    }
    const QString output = QString::fromUtf8(output_);
    if (status != QProcess::NormalExit || exitCode != 0) {
        switch (step_) {
        case RenderEnvironmentStep::CreateVenv:
            failWith(classifyVenvFailure(output));
            return;
        case RenderEnvironmentStep::UpgradePip:
        case RenderEnvironmentStep::InstallPackages:
            failWith(classifyPipFailure(output));
            return;
        case RenderEnvironmentStep::CheckImports: {
            const QString last = lastLines(output, 1);
            fail(RenderEnvironmentFailure::ImportCheck, ErrorCategory::Environment,
                 QStringLiteral("The packages installed, but the new environment cannot import "
                                "%1: %2")
                     .arg(options_.importModules.join(QLatin1String(", ")), last),
                 QStringLiteral("Try again; if it fails the same way, a system library may be "
                                "missing (see the detail) — sudo apt install libcairo2 "
                                "libpango-1.0-0 ffmpeg."),
                 lastLines(output, 12));
            return;
        }
        case RenderEnvironmentStep::None:
            return;
        }
    }
    onStepSucceeded();
}

void RenderEnvironmentAgent::onStepSucceeded() {
    switch (step_) {
    case RenderEnvironmentStep::CreateVenv:
        startStep(options_.upgradePip ? RenderEnvironmentStep::UpgradePip
                                      : RenderEnvironmentStep::InstallPackages);
        return;
    case RenderEnvironmentStep::UpgradePip:
        startStep(RenderEnvironmentStep::InstallPackages);
        return;
    case RenderEnvironmentStep::InstallPackages:
        startStep(RenderEnvironmentStep::CheckImports);
        return;
    case RenderEnvironmentStep::CheckImports:
        commit();
        return;
    case RenderEnvironmentStep::None:
        return;
    }
}

void RenderEnvironmentAgent::commit() {
    report(kCommitStart, QStringLiteral("Finishing"));
    // The stamp goes only into a complete, verified venv: an interrupted job is redone.
    QSaveFile stamp(stampPath(partialDir_));
    if (!stamp.open(QIODevice::WriteOnly) || stamp.write(requirements_) != requirements_.size() ||
        !stamp.commit()) {
        fail(RenderEnvironmentFailure::Io, ErrorCategory::Environment,
             QStringLiteral("Cannot write %1: %2").arg(stamp.fileName(), stamp.errorString()),
             QStringLiteral("Check the free space and the permissions of the data folder, then "
                            "try again."));
        return;
    }
    retargetScripts(partialDir_, options_.venvDir);
    // The old venv (other pins, or no stamp) is moved aside, not deleted, until the new one is
    // in place.
    QString oldDir;
    if (QFileInfo::exists(options_.venvDir)) {
        oldDir = options_.venvDir + QStringLiteral(".old-") + jobId_;
        if (!QDir().rename(options_.venvDir, oldDir)) {
            fail(RenderEnvironmentFailure::Io, ErrorCategory::Environment,
                 QStringLiteral("Cannot move the old render environment %1 aside.")
                     .arg(options_.venvDir),
                 QStringLiteral("Check the permissions of its folder, then try again."));
            return;
        }
    }
    if (!QDir().rename(partialDir_, options_.venvDir)) {
        if (!oldDir.isEmpty())
            QDir().rename(oldDir, options_.venvDir);
        fail(
            RenderEnvironmentFailure::Io, ErrorCategory::Environment,
            QStringLiteral("Cannot move the new render environment into %1.").arg(options_.venvDir),
            QStringLiteral("Check the permissions of its folder, then try again."));
        return;
    }
    finishing_ = true;
    jobTimer_.stop();
    result_.result.status = ResultStatus::Ok;
    report(100, QStringLiteral("The render environment is ready"));
    if (oldDir.isEmpty())
        finishJob();
    else
        removeFolders({oldDir}, [this] { finishJob(); });
}

void RenderEnvironmentAgent::failWith(const PipFailure& failure) {
    result_.missingAptPackages = failure.aptPackages;
    const ErrorCategory category = failure.kind == RenderEnvironmentFailure::PipFailed ||
                                           failure.kind == RenderEnvironmentFailure::PackageNotFound
                                       ? ErrorCategory::Internal
                                       : ErrorCategory::Environment;
    fail(failure.kind, category, failure.message, failure.hint, failure.detail);
}

void RenderEnvironmentAgent::fail(RenderEnvironmentFailure failure, ErrorCategory category,
                                  const QString& message, const QString& hint,
                                  const QString& detail) {
    if (finishing_)
        return;
    finishing_ = true;
    jobTimer_.stop();
    result_.failure = failure;
    result_.result.status =
        category == ErrorCategory::Cancelled ? ResultStatus::Cancelled : ResultStatus::Failed;
    result_.result.error.category = category;
    result_.result.error.message = message;
    result_.result.error.hint = hint;
    result_.result.error.detail = redact(detail);
    // Never a half-made venv: VENV.partial goes (VENV itself was never touched).
    if (lock_ && QFileInfo::exists(partialDir_))
        removeFolders({partialDir_}, [this] { finishJob(); });
    else
        finishJob();
}

void RenderEnvironmentAgent::removeFolders(const QStringList& folders, std::function<void()> then) {
    const QString id = jobId_;
    QThread* thread = QThread::create([folders] {
        for (const QString& folder : folders)
            QDir(folder).removeRecursively();
    });
    cleanup_ = thread;
    connect(thread, &QThread::finished, this, [this, thread, id, then] {
        thread->deleteLater();
        if (jobId_ == id)
            then();
    });
    thread->start();
}

void RenderEnvironmentAgent::finishJob() {
    if (jobId_.isEmpty())
        return;
    jobTimer_.stop();
    reapTimer_.stop();
    lock_.reset();
    result_.result.timings.elapsedMs = clock_.elapsed();
    const QString message =
        result_.result.ok()
            ? QStringLiteral("%1 after %2 ms: %3")
                  .arg(result_.skipped ? QStringLiteral("up to date") : QStringLiteral("created"))
                  .arg(result_.result.timings.elapsedMs)
                  .arg(options_.venvDir)
            : QStringLiteral("%1 after %2 ms: %3")
                  .arg(failureName(result_.failure))
                  .arg(result_.result.timings.elapsedMs)
                  .arg(result_.result.error.message);
    if (result_.result.ok())
        info(jobId_, message);
    else
        warning(jobId_, message);
    const RenderEnvironmentResult result = result_;
    jobId_.clear(); // before emitting, so a listener may start the next job at once
    step_ = RenderEnvironmentStep::None;
    finishing_ = false;
    Q_EMIT finished(result);
}

} // namespace omega
