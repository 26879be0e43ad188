#include "DependencyAgent.h"

#include "Paths.h"
#include "Redactor.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QSaveFile>

#include <csignal>
#include <sys/types.h>
#include <unistd.h>
#include <utility>

namespace omega {

namespace {

constexpr qsizetype kMaxName = 100;
constexpr qsizetype kKeepOutput = 256 * 1024;
constexpr int kReapGraceMs = 5000;
const char kJsonMarker[] = "OMEGA-JSON ";

// Run by the render Python with the layer on its path: is the module standard library or
// importable already, which distributions are installed (for the constraints), is pip there.
// find_spec locates a top-level module without executing it.
const char kProbeScript[] = R"PY(
import importlib.metadata as md, importlib.util, json, os, sys
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]
name, package = sys.argv[1], sys.argv[2]
std = set(getattr(sys, "stdlib_module_names", ())) | set(sys.builtin_module_names)
lower_std = {s.lower() for s in std}
out = {"python": "%d.%d.%d" % sys.version_info[:3], "stdlib": name in std,
       "package_stdlib": package.lower().replace("-", "_").replace(".", "_") in lower_std}
try:
    spec = importlib.util.find_spec(name)
except (ImportError, ValueError):
    spec = None
out["available"] = spec is not None
out["origin"] = (spec.origin or "") if spec else ""
providers = md.packages_distributions().get(name, []) if hasattr(md, "packages_distributions") else []
out["provided_by"] = providers[0] if providers else ""
installed = {}
for dist in md.distributions():
    dist_name = dist.metadata["Name"]
    if dist_name and dist_name.lower() not in installed:
        installed[dist_name.lower()] = [dist_name, dist.version]
out["installed"] = sorted(installed.values())
try:
    out["pip"] = md.version("pip")
except md.PackageNotFoundError:
    out["pip"] = ""
print("OMEGA-JSON " + json.dumps(out))
)PY";

// Run by the render Python with the layer on its path, before anything reaches the layer:
// nothing staged may take the name of a standard library module or of a module the
// environment already has (a PYTHONPATH folder comes first, so it would win); then Manim and
// the missing module must both import with the staging folder in front.
const char kVerifyScript[] = R"PY(
import importlib, importlib.util, json, os, sys
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]
staging, name = sys.argv[1], sys.argv[2]
std = set(getattr(sys, "stdlib_module_names", ())) | set(sys.builtin_module_names)
out = {"shadows": []}
for entry in sorted(os.listdir(staging)):
    path = os.path.join(staging, entry)
    if os.path.isdir(path):
        top = entry
    elif entry.endswith(".py"):
        top = entry[:-3]
    elif entry.endswith((".so", ".pyd")):
        top = entry.split(".")[0]
    else:
        continue
    if not top.isidentifier() or top in ("bin", "__pycache__"):
        continue
    if top in std:
        out["shadows"].append("%s (a standard library module)" % top)
        continue
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.origin is not None:
        out["shadows"].append("%s (already provided by %s)" % (top, spec.origin))
if not out["shadows"]:
    sys.path.insert(0, staging)
    importlib.invalidate_caches()
    real_stdout, sys.stdout = sys.stdout, sys.stderr
    try:
        import manim
        out["manim"] = getattr(manim, "__version__", "")
        module = importlib.import_module(name)
        out["module_file"] = getattr(module, "__file__", None) or ""
    except BaseException as e:
        out["error"] = "%s: %s" % (type(e).__name__, e)
    sys.stdout = real_stdout
print("OMEGA-JSON " + json.dumps(out))
)PY";

// SIGKILL to the group (every child pip started) and, while the process itself has not been
// reaped, to its pid too: that covers the moment before the child has called setsid().
void killProcessGroup(qint64 pid, bool leaderRunning) {
    if (pid <= 0)
        return;
    ::kill(-static_cast<pid_t>(pid), SIGKILL);
    if (leaderRunning)
        ::kill(static_cast<pid_t>(pid), SIGKILL);
}

QString pythonSnippet(const char* text) {
    return QString::fromUtf8(text).trimmed() + QLatin1Char('\n');
}

const QRegularExpression& dottedModulePattern() {
    static const QRegularExpression re(
        QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$"));
    return re;
}

bool isValidVersion(const QString& version) {
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9.+!_-]{0,63}$"));
    return re.match(version).hasMatch();
}

// The render environment for our Python processes: the layer in front of any PYTHONPATH,
// no secrets for the processes that import package code (probe, verify).
QProcessEnvironment pythonEnvironment(const QString& layer, bool dropSecrets) {
    static const QRegularExpression secretName(
        QStringLiteral("(API_KEY|APIKEY|TOKEN|SECRET|PASSWORD|CREDENTIALS)"),
        QRegularExpression::CaseInsensitiveOption);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    if (dropSecrets) {
        for (const QString& name : env.keys()) {
            if (secretName.match(name).hasMatch())
                env.remove(name);
        }
    }
    if (QFileInfo(layer).isDir()) {
        const QString existing = env.value(QStringLiteral("PYTHONPATH"));
        env.insert(QStringLiteral("PYTHONPATH"),
                   existing.isEmpty() ? layer : layer + QLatin1Char(':') + existing);
    }
    env.insert(QStringLiteral("PYTHONIOENCODING"), QStringLiteral("utf-8"));
    env.insert(QStringLiteral("PYTHONDONTWRITEBYTECODE"), QStringLiteral("1"));
    // The layer must work on top of the render Python alone: a sandboxed render never sees
    // the user's ~/.local site-packages, so neither do the checks and the resolver.
    env.insert(QStringLiteral("PYTHONNOUSERSITE"), QStringLiteral("1"));
    return env;
}

// pip keeps the user's index, proxy, certificate and timeout settings, but nothing that would
// change where or what it installs: those are ours to decide.
QProcessEnvironment pipEnvironment(const QString& layer) {
    QProcessEnvironment env = pythonEnvironment(layer, false);
    static const char* const overriding[] = {
        "PIP_TARGET",
        "PIP_PREFIX",
        "PIP_ROOT",
        "PIP_USER",
        "PIP_REQUIRE_VIRTUALENV",
        "PIP_NO_BINARY",
        "PIP_ONLY_BINARY",
        "PIP_CONSTRAINT",
        "PIP_REQUIREMENT",
        "PIP_EDITABLE",
        "PIP_NO_DEPS",
        "PIP_UPGRADE",
        "PIP_UPGRADE_STRATEGY",
        "PIP_IGNORE_INSTALLED",
        "PIP_FORCE_REINSTALL",
        "PIP_PRE",
        "PIP_BREAK_SYSTEM_PACKAGES",
        "PIP_NO_BUILD_ISOLATION",
        "PIP_REPORT",
        "PIP_DRY_RUN",
        "PIP_SRC",
        "PIP_PYTHON",
        "PIP_REQUIRE_HASHES",
    };
    for (const char* name : overriding)
        env.remove(QString::fromLatin1(name));
    env.insert(QStringLiteral("PIP_USER"), QStringLiteral("0")); // beats `user = true` in pip.conf
    return env;
}

// The JSON a helper printed after the marker, as its last such line.
QJsonObject markedJson(const QByteArray& output) {
    const QList<QByteArray> lines = output.split('\n');
    for (auto it = lines.crbegin(); it != lines.crend(); ++it) {
        const QByteArray line = it->trimmed();
        if (line.startsWith(kJsonMarker))
            return QJsonDocument::fromJson(line.mid(int(sizeof(kJsonMarker)) - 1)).object();
    }
    return {};
}

QString clip(QString text, qsizetype max) {
    text = text.simplified();
    if (text.size() > max)
        text = text.left(max - 1) + QChar(0x2026);
    return text;
}

// Moves everything in `from` into `to`, merging folders (namespace packages, bin/). Both are
// on one file system, so each move is a rename.
bool mergeTree(const QString& from, const QString& to, QString* error) {
    if (!paths::ensureDir(to)) {
        *error = QStringLiteral("cannot create %1").arg(to);
        return false;
    }
    const QFileInfoList entries = QDir(from).entryInfoList(QDir::AllEntries | QDir::NoDotAndDotDot |
                                                           QDir::Hidden | QDir::System);
    for (const QFileInfo& entry : entries) {
        const QString target = QDir(to).filePath(entry.fileName());
        const QFileInfo existing(target);
        if (entry.isDir() && !entry.isSymLink() && existing.isDir() && !existing.isSymLink()) {
            if (!mergeTree(entry.filePath(), target, error))
                return false;
            continue;
        }
        if (existing.exists() || existing.isSymLink()) {
            const bool removed = existing.isDir() && !existing.isSymLink()
                                     ? QDir(target).removeRecursively()
                                     : QFile::remove(target);
            if (!removed) {
                *error = QStringLiteral("cannot replace %1").arg(target);
                return false;
            }
        }
        if (!QDir().rename(entry.filePath(), target)) {
            *error = QStringLiteral("cannot move %1 to %2").arg(entry.filePath(), target);
            return false;
        }
    }
    return true;
}

QJsonObject readRecord(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

QJsonObject packageToJson(const InstalledPackage& p) {
    QJsonObject o;
    o.insert(QStringLiteral("package"), p.package);
    o.insert(QStringLiteral("version"), p.version);
    o.insert(QStringLiteral("importName"), p.importName);
    o.insert(QStringLiteral("profile"), p.profile);
    o.insert(QStringLiteral("installedAt"), p.installedAt.toString(Qt::ISODate));
    o.insert(QStringLiteral("dependencies"), QJsonArray::fromStringList(p.dependencies));
    return o;
}

InstalledPackage packageFromJson(const QJsonObject& o) {
    InstalledPackage p;
    p.package = o.value(QLatin1String("package")).toString();
    p.version = o.value(QLatin1String("version")).toString();
    p.importName = o.value(QLatin1String("importName")).toString();
    p.profile = o.value(QLatin1String("profile")).toString();
    p.installedAt =
        QDateTime::fromString(o.value(QLatin1String("installedAt")).toString(), Qt::ISODate);
    for (const QJsonValue& v : o.value(QLatin1String("dependencies")).toArray())
        p.dependencies << v.toString();
    return p;
}

struct PipFailure {
    ErrorCategory category = ErrorCategory::MissingModule;
    QString reason;
    QString hint;
};

} // namespace

// ---- pure checks ----------------------------------------------------------------------------

bool isValidImportName(const QString& name) {
    static const QRegularExpression re(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
    return name.size() <= kMaxName && re.match(name).hasMatch();
}

bool isValidPackageName(const QString& name) {
    static const QRegularExpression re(
        QStringLiteral("^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$"));
    return name.size() <= kMaxName && re.match(name).hasMatch();
}

QString normalizedPackageName(const QString& name) {
    static const QRegularExpression runs(QStringLiteral("[-_.]+"));
    return name.toLower().replace(runs, QStringLiteral("-"));
}

bool namesManim(const QString& moduleName) {
    const QString top = moduleName.trimmed().section(QLatin1Char('.'), 0, 0);
    return top == QLatin1String("manim") || top == QLatin1String("manimlib") ||
           top == QLatin1String("manimgl");
}

bool DependencyRules::isAllowed(const QString& package) const {
    return allowed.contains(normalizedPackageName(package));
}

bool DependencyRules::isDenied(const QString& package) const {
    return denied.contains(normalizedPackageName(package));
}

bool DependencyRules::parse(const QByteArray& mappingJson, const QByteArray& policyJson,
                            DependencyRules* rules, QString* error) {
    QJsonParseError parseError;
    const QJsonDocument mapping = QJsonDocument::fromJson(mappingJson, &parseError);
    if (parseError.error != QJsonParseError::NoError || !mapping.isObject()) {
        *error = QStringLiteral("import_to_package.json: %1").arg(parseError.errorString());
        return false;
    }
    const QJsonDocument policy = QJsonDocument::fromJson(policyJson, &parseError);
    if (parseError.error != QJsonParseError::NoError || !policy.isObject()) {
        *error = QStringLiteral("policy.json: %1").arg(parseError.errorString());
        return false;
    }
    const QJsonObject packages = mapping.object().value(QLatin1String("packages")).toObject();
    for (auto it = packages.begin(); it != packages.end(); ++it) {
        const QString package = it.value().toString();
        if (!isValidImportName(it.key()) || !isValidPackageName(package)) {
            *error = QStringLiteral("import_to_package.json: bad entry \"%1\": \"%2\"")
                         .arg(it.key(), package);
            return false;
        }
        rules->packageForImport.insert(it.key(), package);
    }
    const QJsonObject ambiguous = mapping.object().value(QLatin1String("ambiguous")).toObject();
    for (auto it = ambiguous.begin(); it != ambiguous.end(); ++it)
        rules->ambiguous.insert(it.key(), it.value().toString());
    auto readList = [error](const QJsonObject& object, const char* key, QSet<QString>* into) {
        for (const QJsonValue& value : object.value(QLatin1String(key)).toArray()) {
            const QString name = value.toString();
            if (!isValidPackageName(name)) {
                *error = QStringLiteral("policy.json: bad package name \"%1\" in %2")
                             .arg(name, QLatin1String(key));
                return false;
            }
            into->insert(normalizedPackageName(name));
        }
        return true;
    };
    return readList(policy.object(), "allow", &rules->allowed) &&
           readList(policy.object(), "deny", &rules->denied);
}

DependencyRules DependencyRules::load(QString* error) {
    auto read = [](const QString& path) {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    };
    QString problem;
    DependencyRules rules;
    const QString shippedMapping =
        paths::resourcePath(QStringLiteral("dependencies/import_to_package.json"));
    const QString shippedPolicy = paths::resourcePath(QStringLiteral("dependencies/policy.json"));
    if (!parse(read(shippedMapping), read(shippedPolicy), &rules, &problem)) {
        if (error)
            *error = problem;
        return {};
    }
    // The user's additions: more mappings (overriding), more allowed, more denied. A user file
    // can never take a name off the shipped deny list.
    const QDir userDir(QDir(paths::configDir()).filePath(QStringLiteral("dependencies")));
    const QString userMapping = userDir.filePath(QStringLiteral("import_to_package.json"));
    const QString userPolicy = userDir.filePath(QStringLiteral("policy.json"));
    if (QFileInfo::exists(userMapping) || QFileInfo::exists(userPolicy)) {
        DependencyRules extra;
        const QByteArray mapping =
            QFileInfo::exists(userMapping) ? read(userMapping) : QByteArray("{}");
        const QByteArray policy =
            QFileInfo::exists(userPolicy) ? read(userPolicy) : QByteArray("{}");
        if (!parse(mapping, policy, &extra, &problem)) {
            if (error)
                *error = QStringLiteral("%1 (in %2)").arg(problem, userDir.path());
            return {};
        }
        for (auto it = extra.packageForImport.cbegin(); it != extra.packageForImport.cend(); ++it)
            rules.packageForImport.insert(it.key(), it.value());
        for (auto it = extra.ambiguous.cbegin(); it != extra.ambiguous.cend(); ++it)
            rules.ambiguous.insert(it.key(), it.value());
        rules.allowed.unite(extra.allowed);
        rules.denied.unite(extra.denied);
    }
    if (error)
        error->clear();
    return rules;
}

PackagePlan planPackage(const QString& importName, const DependencyRules& rules) {
    PackagePlan plan;
    auto refuse = [&plan](ErrorCategory category, const QString& reason, const QString& hint) {
        plan.refused = true;
        plan.package.clear();
        plan.category = category;
        plan.reason = reason;
        plan.hint = hint;
        return plan;
    };
    // Manim first, dotted or not: the original system "fixed" `cannot import name X from manim`
    // with `pip install manim`, counted "already satisfied" as success, and looped.
    if (namesManim(importName) && dottedModulePattern().match(importName).hasMatch()) {
        const QString top = importName.section(QLatin1Char('.'), 0, 0);
        if (top == QLatin1String("manim"))
            return refuse(
                ErrorCategory::MissingManimName,
                QStringLiteral("'%1' is part of Manim itself: this is a code error, not a missing "
                               "package. The script uses a module or name the installed Manim "
                               "(Community Edition %2) does not have; installing packages cannot "
                               "fix it.")
                    .arg(importName, QStringLiteral(OMEGA_MANIM_VERSION)),
                QStringLiteral("Import from the top-level package (`from manim import *`) and use "
                               "Manim Community Edition names."));
        return refuse(ErrorCategory::MissingManimName,
                      QStringLiteral("'%1' is ManimGL, not Manim Community Edition: this is a "
                                     "code error, not a missing package.")
                          .arg(importName),
                      QStringLiteral("Port the script to Manim CE: `from manim import *` and CE "
                                     "names (Create, Text, MathTex, …)."));
    }
    if (!dottedModulePattern().match(importName).hasMatch() || importName.size() > kMaxName)
        return refuse(ErrorCategory::CodeError,
                      QStringLiteral("\"%1\" is not a valid Python module name; nothing is "
                                     "installed for it.")
                          .arg(clip(importName, 80)),
                      QStringLiteral("Fix the import in the script."));
    const QString top = importName.section(QLatin1Char('.'), 0, 0);
    if (rules.ambiguous.contains(top))
        return refuse(ErrorCategory::MissingModule,
                      QStringLiteral("The module '%1' is provided by several unrelated packages "
                                     "(%2), so none is chosen automatically.")
                          .arg(top, rules.ambiguous.value(top)),
                      QStringLiteral("Install the package the script needs by its own name, or "
                                     "add a mapping for '%1' in the dependency settings.")
                          .arg(top));
    plan.package = rules.packageForImport.value(top, top);
    if (!isValidPackageName(plan.package))
        return refuse(
            ErrorCategory::CodeError,
            QStringLiteral("No package name can be derived from the module '%1'.").arg(top),
            QStringLiteral("Fix the import in the script, or add a mapping for it."));
    if (rules.isDenied(plan.package) || rules.isDenied(top))
        return refuse(ErrorCategory::Environment,
                      QStringLiteral("'%1' (module '%2') is never installed by Omega: it is part "
                                     "of the render environment's core or a packaging tool, and "
                                     "a second copy beside Manim would change what every render "
                                     "runs on.")
                          .arg(plan.package, top),
                      QStringLiteral("If the render environment lacks it, repair it (%1); if "
                                     "the script should not need it, remove the import.")
                          .arg(paths::setupHint()));
    return plan;
}

bool isApproved(const QString& package, const DependencyRules& rules, const InstallPolicy& policy,
                QString* why) {
    const QString wanted = normalizedPackageName(package);
    for (const QString& name : policy.approved) {
        if (normalizedPackageName(name.trimmed()) == wanted)
            return true;
    }
    const bool listed = rules.isAllowed(package);
    if (listed && policy.allowListed)
        return true;
    if (why) {
        *why = listed ? QStringLiteral("%1 is on the allow list but was not approved: approve it "
                                       "with --allow-install %1, or all listed packages with "
                                       "--allow-listed-installs.")
                            .arg(package)
                      : QStringLiteral("%1 is not on the allow list: install it only if you "
                                       "trust it, with --allow-install %1.")
                            .arg(package);
    }
    return false;
}

QList<ResolvedPackage> parsePipReport(const QByteArray& json, QString* error) {
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        *error = QStringLiteral("pip's report is not JSON (%1)").arg(parseError.errorString());
        return {};
    }
    const QJsonValue install = doc.object().value(QLatin1String("install"));
    if (!install.isArray()) {
        *error = QStringLiteral("pip's report has no install list");
        return {};
    }
    static const QRegularExpression hex64(QStringLiteral("^[0-9a-f]{64}$"));
    QList<ResolvedPackage> packages;
    for (const QJsonValue& value : install.toArray()) {
        const QJsonObject item = value.toObject();
        const QJsonObject metadata = item.value(QLatin1String("metadata")).toObject();
        ResolvedPackage p;
        p.name = metadata.value(QLatin1String("name")).toString();
        p.version = metadata.value(QLatin1String("version")).toString();
        p.requested = item.value(QLatin1String("requested")).toBool();
        const QJsonObject archive = item.value(QLatin1String("download_info"))
                                        .toObject()
                                        .value(QLatin1String("archive_info"))
                                        .toObject();
        QString sha = archive.value(QLatin1String("hashes"))
                          .toObject()
                          .value(QLatin1String("sha256"))
                          .toString();
        const QString legacy = archive.value(QLatin1String("hash")).toString();
        if (sha.isEmpty() && legacy.startsWith(QLatin1String("sha256=")))
            sha = legacy.mid(7);
        p.sha256 = hex64.match(sha).hasMatch() ? sha : QString();
        if (!isValidPackageName(p.name) || !isValidVersion(p.version)) {
            *error = QStringLiteral("pip's report names an unexpected package \"%1\" \"%2\"")
                         .arg(clip(p.name, 80), clip(p.version, 40));
            return {};
        }
        packages << p;
    }
    error->clear();
    return packages;
}

QString summarizePipError(const QString& output) {
    QStringList errors;
    const QStringList lines = output.split(QLatin1Char('\n'));
    bool inCause = false; // "The conflict is caused by:" and its indented lines say who wants what
    for (const QString& raw : lines) {
        const QString line = raw.trimmed();
        if (line.startsWith(QLatin1String("ERROR:"))) {
            inCause = false;
            const QString message = line.mid(6).trimmed();
            if (!message.isEmpty() && !errors.contains(message))
                errors << message;
        } else if (line == QLatin1String("The conflict is caused by:")) {
            inCause = true;
            errors << line;
        } else if (inCause && !line.isEmpty() && raw.startsWith(QLatin1Char(' '))) {
            errors << line + QLatin1Char(';');
        } else {
            inCause = false;
        }
    }
    if (errors.isEmpty()) {
        for (auto it = lines.crbegin(); it != lines.crend() && errors.size() < 3; ++it) {
            if (!it->trimmed().isEmpty())
                errors.prepend(it->trimmed());
        }
    }
    return clip(errors.join(QLatin1Char(' ')), 600);
}

QString outcomeName(DependencyResult::Outcome outcome) {
    switch (outcome) {
    case DependencyResult::Outcome::Installed:
        return QStringLiteral("installed");
    case DependencyResult::Outcome::AlreadyAvailable:
        return QStringLiteral("already-available");
    case DependencyResult::Outcome::NeedsApproval:
        return QStringLiteral("needs-approval");
    case DependencyResult::Outcome::Refused:
        return QStringLiteral("refused");
    case DependencyResult::Outcome::Failed:
        return QStringLiteral("failed");
    }
    return QStringLiteral("failed");
}

QJsonObject DependencyResult::toJson() const {
    QJsonObject o;
    o.insert(QStringLiteral("jobId"), result.jobId);
    o.insert(QStringLiteral("status"), statusName(result.status));
    o.insert(QStringLiteral("outcome"), outcomeName(outcome));
    o.insert(QStringLiteral("importName"), importName);
    o.insert(QStringLiteral("package"), package);
    o.insert(QStringLiteral("version"), version);
    o.insert(QStringLiteral("reason"), reason);
    o.insert(QStringLiteral("dependencies"), QJsonArray::fromStringList(dependencies));
    o.insert(QStringLiteral("profile"), profile);
    o.insert(QStringLiteral("layerDir"), layerDir);
    o.insert(QStringLiteral("elapsedMs"), result.timings.elapsedMs);
    if (result.error.isError()) {
        QJsonObject e;
        e.insert(QStringLiteral("category"), categoryName(result.error.category));
        e.insert(QStringLiteral("message"), result.error.message);
        e.insert(QStringLiteral("hint"), result.error.hint);
        o.insert(QStringLiteral("error"), e);
    }
    return o;
}

// ---- the agent ------------------------------------------------------------------------------

DependencyAgent::DependencyAgent(QObject* parent)
    : BaseAgent(QStringLiteral("DependencyAgent"), parent)
    , python_(paths::renderPython())
    , profile_(defaultProfile()) {
    rules_ = DependencyRules::load(&rulesError_);
    qRegisterMetaType<omega::DependencyResult>();
    stepTimer_.setSingleShot(true);
    reapTimer_.setSingleShot(true);
    connect(&stepTimer_, &QTimer::timeout, this, [this] {
        if (!process_)
            return;
        timedOut_ = true;
        warning(jobId_, QStringLiteral("time limit reached; stopping pip"));
        killProcess();
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
        onStepFinished(-1, QProcess::CrashExit);
    });
}

DependencyAgent::~DependencyAgent() {
    if (process_) {
        process_->disconnect(this);
        killProcessGroup(processGroup_, true);
    }
    if (!workDir_.isEmpty())
        QDir(workDir_).removeRecursively();
}

QString DependencyAgent::layerDir(const QString& profile) {
    return QDir(paths::dataDir()).filePath(QStringLiteral("packages/%1/site").arg(profile));
}

QString DependencyAgent::recordPath(const QString& profile) {
    return QDir(paths::dataDir())
        .filePath(QStringLiteral("packages/%1/installed.json").arg(profile));
}

QList<InstalledPackage> DependencyAgent::installedPackages(const QString& profile) {
    QList<InstalledPackage> list;
    if (!isValidProfileName(profile))
        return list;
    const QJsonArray packages =
        readRecord(recordPath(profile)).value(QLatin1String("packages")).toArray();
    for (const QJsonValue& value : packages)
        list << packageFromJson(value.toObject());
    return list;
}

bool DependencyAgent::isValidProfileName(const QString& profile) {
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"));
    return re.match(profile).hasMatch();
}

void DependencyAgent::setRules(const DependencyRules& rules) {
    rules_ = rules;
    rulesError_.clear();
}

qint64 DependencyAgent::currentPid() const {
    return process_ ? processGroup_ : 0;
}

QString DependencyAgent::packagesDir() const {
    return QDir(paths::dataDir()).filePath(QStringLiteral("packages/%1").arg(profile_));
}

QString DependencyAgent::install(const ErrorReport& report, const InstallPolicy& policy) {
    if (report.category == ErrorCategory::MissingModule)
        return installImport(report.missingName, policy);
    if (!beginJob(report.missingName, policy))
        return {};
    if (report.category == ErrorCategory::MissingManimName || namesManim(report.missingName))
        finishLater(DependencyResult::Outcome::Refused, ErrorCategory::MissingManimName,
                    QStringLiteral("The error names Manim itself: this is a code error, not a "
                                   "missing package. Nothing was installed."),
                    QStringLiteral("Fix the script: use names the installed Manim has."));
    else
        finishLater(DependencyResult::Outcome::Refused, report.category,
                    QStringLiteral("This is not a missing-module error (%1); there is nothing "
                                   "to install.")
                        .arg(categoryName(report.category)));
    return jobId_;
}

bool DependencyAgent::beginJob(const QString& importName, const InstallPolicy& policy) {
    if (isRunning()) {
        warning(jobId_, QStringLiteral("install refused: job %1 is still running").arg(jobId_));
        return false;
    }
    jobId_ = newJobId();
    policy_ = policy;
    result_ = DependencyResult{};
    result_.result.jobId = jobId_;
    result_.result.timings.started = QDateTime::currentDateTimeUtc();
    result_.importName = importName.trimmed();
    result_.profile = profile_;
    resolved_.clear();
    installedNames_.clear();
    workDir_.clear();
    stagingDir_.clear();
    processGroup_ = 0;
    cancelled_ = false;
    timedOut_ = false;
    step_ = Step::None;
    clock_.start();
    info(jobId_, QStringLiteral("missing module '%1' (profile %2)")
                     .arg(clip(result_.importName, 120), profile_));
    return true;
}

QString DependencyAgent::installImport(const QString& importName, const InstallPolicy& policy) {
    if (!beginJob(importName, policy))
        return {};
    if (!rulesError_.isEmpty()) {
        finishLater(DependencyResult::Outcome::Failed, ErrorCategory::Internal,
                    QStringLiteral("The dependency rules cannot be read: %1.").arg(rulesError_),
                    QStringLiteral("Fix or remove the file named; nothing is installed until "
                                   "then."));
        return jobId_;
    }
    if (!isValidProfileName(profile_)) {
        finishLater(DependencyResult::Outcome::Failed, ErrorCategory::Usage,
                    QStringLiteral("\"%1\" is not a valid profile name.").arg(clip(profile_, 80)),
                    QStringLiteral("Use letters, digits, '-' and '_'."));
        return jobId_;
    }
    result_.layerDir = layerDir(profile_);
    const PackagePlan plan = planPackage(result_.importName, rules_);
    if (plan.refused) {
        finishLater(DependencyResult::Outcome::Refused, plan.category, plan.reason, plan.hint);
        return jobId_;
    }
    result_.importName = result_.importName.section(QLatin1Char('.'), 0, 0);
    result_.package = plan.package;

    // One install per profile at a time, across processes (the GUI and a CLI run).
    if (!paths::ensureDir(packagesDir())) {
        finishLater(DependencyResult::Outcome::Failed, ErrorCategory::Internal,
                    QStringLiteral("Cannot create %1.").arg(packagesDir()),
                    QStringLiteral("Check that the data folder is writable."));
        return jobId_;
    }
    lock_ = std::make_unique<QLockFile>(QDir(packagesDir()).filePath(QStringLiteral(".lock")));
    lock_->setStaleLockTime(0); // stale only when its owner is gone, however long pip runs
    if (!lock_->tryLock(0)) {
        lock_.reset();
        finishLater(
            DependencyResult::Outcome::Failed, ErrorCategory::Usage,
            QStringLiteral("Another install into the profile \"%1\" is running.").arg(profile_),
            QStringLiteral("Wait for it to finish, then try again."));
        return jobId_;
    }
    // With the lock held no other job of this profile exists, so leftovers of a crashed run
    // are safe to remove; this job's files live in its own folder under work/.
    const QString workRoot = QDir(packagesDir()).filePath(QStringLiteral("work"));
    QDir(workRoot).removeRecursively();
    workDir_ = QDir(workRoot).filePath(jobId_);
    stagingDir_ = QDir(workDir_).filePath(QStringLiteral("staging"));
    if (!paths::ensureDir(workDir_)) {
        finishLater(DependencyResult::Outcome::Failed, ErrorCategory::Internal,
                    QStringLiteral("Cannot create %1.").arg(workDir_),
                    QStringLiteral("Check that the data folder is writable and not full."));
        return jobId_;
    }
    if (!QFileInfo(python_).isExecutable()) {
        finishLater(DependencyResult::Outcome::Failed, ErrorCategory::Environment,
                    QStringLiteral("The render Python is missing (%1).").arg(python_),
                    paths::setupHint() + QStringLiteral(", or set OMEGA_VENV."));
        return jobId_;
    }
    // Deferred like every other outcome: the caller has the job id before anything happens.
    const QString id = jobId_;
    QTimer::singleShot(0, this, [this, id] {
        if (jobId_ == id && !cancelled_)
            startProbe();
    });
    return jobId_;
}

void DependencyAgent::cancel() {
    if (!isRunning())
        return;
    info(jobId_, QStringLiteral("cancel requested"));
    cancelled_ = true;
    if (process_)
        killProcess(); // finished() follows once the process is gone
    else
        finishLater(DependencyResult::Outcome::Failed, ErrorCategory::Cancelled,
                    QStringLiteral("Install cancelled."));
}

void DependencyAgent::killProcess() {
    if (!process_)
        return;
    killProcessGroup(processGroup_, process_->state() != QProcess::NotRunning);
    reapTimer_.start(kReapGraceMs);
}

void DependencyAgent::say(const QString& line) {
    const QString clean = redact(line);
    debug(jobId_, clean);
    Q_EMIT progress(clean);
}

void DependencyAgent::runStep(Step step, const QStringList& arguments,
                              const QProcessEnvironment& environment, int timeoutMs) {
    step_ = step;
    output_.clear();
    lineBuffer_.clear();
    auto* process = new QProcess(this);
    process_ = process;
    process->setProgram(python_);
    process->setArguments(arguments);
    process->setWorkingDirectory(workDir_);
    process->setProcessEnvironment(environment);
    process->setStandardInputFile(QProcess::nullDevice()); // pip can never wait for an answer
    process->setProcessChannelMode(QProcess::MergedChannels);
    // Own session and process group: cancel and timeout take every child with it.
    process->setChildProcessModifier([] { ::setsid(); });
    connect(process, &QProcess::readyReadStandardOutput, this, &DependencyAgent::onReadyRead);
    connect(process, &QProcess::finished, this, &DependencyAgent::onStepFinished);
    connect(process, &QProcess::errorOccurred, this, [this, process](QProcess::ProcessError e) {
        if (e != QProcess::FailedToStart || process_ != process)
            return;
        if (cancelled_ || timedOut_) { // killed before it could exec: still a cancel/timeout
            onStepFinished(-1, QProcess::CrashExit);
            return;
        }
        process_ = nullptr;
        process->deleteLater();
        finishWith(DependencyResult::Outcome::Failed, ErrorCategory::Environment,
                   QStringLiteral("Cannot start the render Python (%1): %2")
                       .arg(python_, process->errorString()),
                   paths::setupHint() + QStringLiteral(", or set OMEGA_VENV."));
    });
    if (timeoutMs > 0)
        stepTimer_.start(timeoutMs);
    // The helper scripts are long; the log shows their role instead.
    QStringList shown = arguments;
    if (shown.size() > 1 && shown.first() == QLatin1String("-c"))
        shown[1] = step == Step::Probe ? QStringLiteral("<probe>") : QStringLiteral("<verify>");
    info(jobId_, QStringLiteral("run: %1 %2").arg(python_, shown.join(QLatin1Char(' '))));
    process->start();
    processGroup_ = process->processId(); // setsid(): the pid is also the group id
    Q_EMIT progress(redact(QStringLiteral("$ python %1").arg(shown.join(QLatin1Char(' ')))));
}

void DependencyAgent::onReadyRead() {
    if (!process_)
        return;
    const QByteArray chunk = process_->readAllStandardOutput();
    output_.append(chunk);
    if (output_.size() > kKeepOutput)
        output_.remove(0, output_.size() - kKeepOutput);
    if (step_ == Step::Probe || step_ == Step::Verify)
        return; // JSON for us, not lines for the user
    lineBuffer_.append(chunk);
    qsizetype newline;
    while ((newline = lineBuffer_.indexOf('\n')) >= 0) {
        const QString line = QString::fromUtf8(lineBuffer_.left(newline)).trimmed();
        lineBuffer_.remove(0, newline + 1);
        if (!line.isEmpty())
            say(line);
    }
}

void DependencyAgent::onStepFinished(int exitCode, QProcess::ExitStatus status) {
    QProcess* process = process_;
    if (process) {
        killProcessGroup(processGroup_, false); // nothing pip started outlives it
        processGroup_ = 0;
        onReadyRead();
        process_ = nullptr;
        process->deleteLater();
    }
    reapTimer_.stop();
    if (!lineBuffer_.trimmed().isEmpty() && step_ != Step::Probe && step_ != Step::Verify)
        say(QString::fromUtf8(lineBuffer_).trimmed());
    lineBuffer_.clear();

    if (cancelled_) {
        finishWith(
            DependencyResult::Outcome::Failed, ErrorCategory::Cancelled,
            QStringLiteral("Install of %1 cancelled; nothing was installed.").arg(result_.package));
        return;
    }
    if (timedOut_) {
        const int limitMs = step_ == Step::Probe ? probeTimeoutMs_ : timeoutMs_;
        finishWith(DependencyResult::Outcome::Failed, ErrorCategory::Timeout,
                   QStringLiteral("Installing %1 took longer than %2 s and was stopped; nothing "
                                  "was installed.")
                       .arg(result_.package)
                       .arg(limitMs / 1000.0, 0, 'g', 3),
                   QStringLiteral("Check the network connection to the package index, or allow "
                                  "more time."));
        return;
    }
    const bool ok = status == QProcess::NormalExit && exitCode == 0;
    switch (step_) {
    case Step::Probe:
        if (!ok) {
            finishWith(DependencyResult::Outcome::Failed, ErrorCategory::Environment,
                       QStringLiteral("The render Python failed to inspect its environment "
                                      "(exit %1): %2")
                           .arg(exitCode)
                           .arg(summarizePipError(QString::fromUtf8(output_))),
                       QStringLiteral("Check the render environment (omega doctor)."));
            return;
        }
        onProbeDone(output_);
        return;
    case Step::Resolve:
        if (!ok) {
            finishWith(DependencyResult::Outcome::Failed, ErrorCategory::MissingModule,
                       pipFailureReason(QStringLiteral("resolve")));
            return;
        }
        {
            QFile report(QDir(workDir_).filePath(QStringLiteral("report.json")));
            onResolveDone(report.open(QIODevice::ReadOnly) ? report.readAll() : QByteArray());
        }
        return;
    case Step::Install:
        if (!ok) {
            finishWith(DependencyResult::Outcome::Failed, ErrorCategory::MissingModule,
                       pipFailureReason(QStringLiteral("install")));
            return;
        }
        startVerify();
        return;
    case Step::Verify:
        if (!ok) {
            finishWith(DependencyResult::Outcome::Failed, ErrorCategory::MissingModule,
                       QStringLiteral("Verifying %1 failed (exit %2): %3")
                           .arg(result_.package)
                           .arg(exitCode)
                           .arg(summarizePipError(QString::fromUtf8(output_))));
            return;
        }
        onVerifyDone(output_);
        return;
    case Step::None:
        return;
    }
}

void DependencyAgent::startProbe() {
    say(QStringLiteral("checking the render environment for '%1'").arg(result_.importName));
    runStep(
        Step::Probe,
        {QStringLiteral("-c"), pythonSnippet(kProbeScript), result_.importName, result_.package},
        pythonEnvironment(layerDir(profile_), true), probeTimeoutMs_);
}

void DependencyAgent::onProbeDone(const QByteArray& output) {
    const QJsonObject probe = markedJson(output);
    if (probe.isEmpty()) {
        finishWith(DependencyResult::Outcome::Failed, ErrorCategory::Internal,
                   QStringLiteral("The environment check printed nothing readable."));
        return;
    }
    const QString pythonVersion = probe.value(QLatin1String("python")).toString();
    if (probe.value(QLatin1String("stdlib")).toBool() ||
        probe.value(QLatin1String("package_stdlib")).toBool()) {
        const bool moduleIsStd = probe.value(QLatin1String("stdlib")).toBool();
        finishWith(DependencyResult::Outcome::Refused, ErrorCategory::CodeError,
                   moduleIsStd
                       ? QStringLiteral("'%1' is part of Python's standard library (Python %2): "
                                        "pip cannot install it and Omega never tries.")
                             .arg(result_.importName, pythonVersion)
                       : QStringLiteral("The package name '%1' is the name of a standard library "
                                        "module of Python %2; a package by that name would "
                                        "shadow it, so it is never installed.")
                             .arg(result_.package, pythonVersion),
                   QStringLiteral("Fix the import in the script (a submodule or name that does "
                                  "not exist?); if the Python installation lacks the module, "
                                  "repair it."));
        return;
    }
    // Every distribution present (venv, layer, user site): pinned for the resolver, so nothing
    // the render environment has can change.
    QMap<QString, QString> installed; // normalized → version
    for (const QJsonValue& value : probe.value(QLatin1String("installed")).toArray()) {
        const QJsonArray pair = value.toArray();
        const QString name = pair.at(0).toString();
        const QString version = pair.at(1).toString();
        if (isValidPackageName(name) && isValidVersion(version)) {
            installedNames_ << name + QStringLiteral("==") + version;
            installed.insert(normalizedPackageName(name), version);
        }
    }
    if (probe.value(QLatin1String("available")).toBool()) {
        const QString origin = probe.value(QLatin1String("origin")).toString();
        const QString provider = probe.value(QLatin1String("provided_by")).toString();
        if (!provider.isEmpty()) {
            result_.package = provider;
            result_.version = installed.value(normalizedPackageName(provider));
        } else {
            result_.package.clear();
        }
        const QString where = origin.startsWith(layerDir(profile_))
                                  ? QStringLiteral("the profile's package layer")
                                  : QStringLiteral("the render environment");
        finishWith(DependencyResult::Outcome::AlreadyAvailable, ErrorCategory::CodeError,
                   QStringLiteral("'%1' is already importable from %2%3: nothing was installed. "
                                  "The import error comes from the script (or a module it "
                                  "imports), not from a missing package.")
                       .arg(result_.importName, where,
                            provider.isEmpty()
                                ? QString()
                                : QStringLiteral(" (%1 %2)").arg(provider, result_.version)),
                   QStringLiteral("Treat it as a code error: check what the script imports from "
                                  "'%1'.")
                       .arg(result_.importName));
        return;
    }
    if (probe.value(QLatin1String("pip")).toString().isEmpty()) {
        finishWith(DependencyResult::Outcome::Failed, ErrorCategory::Environment,
                   QStringLiteral("pip is not installed in the render Python (%1).").arg(python_),
                   paths::setupHint() + QStringLiteral(" to repair the render environment."));
        return;
    }
    QString why;
    if (!isApproved(result_.package, rules_, policy_, &why)) {
        finishWith(DependencyResult::Outcome::NeedsApproval, ErrorCategory::MissingModule,
                   QStringLiteral("The script needs the module '%1', from the package %2. %3")
                       .arg(result_.importName, result_.package, why),
                   QStringLiteral("Approve %1 to install it into the \"%2\" package layer.")
                       .arg(result_.package, profile_));
        return;
    }
    startResolve();
}

void DependencyAgent::startResolve() {
    QFile constraints(QDir(workDir_).filePath(QStringLiteral("constraints.txt")));
    if (!constraints.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
        constraints.write((installedNames_.join(QLatin1Char('\n')) + QLatin1Char('\n')).toUtf8()) <
            0) {
        finishWith(DependencyResult::Outcome::Failed, ErrorCategory::Internal,
                   QStringLiteral("Cannot write %1.").arg(constraints.fileName()));
        return;
    }
    constraints.close();
    say(QStringLiteral("resolving %1 (the environment's %2 installed packages stay as they are)")
            .arg(result_.package)
            .arg(installedNames_.size()));
    // The bare name: pip picks the newest version with a wheel for this Python that fits the
    // pinned environment; that version is then installed and recorded.
    runStep(Step::Resolve,
            {QStringLiteral("-m"), QStringLiteral("pip"), QStringLiteral("install"),
             QStringLiteral("--dry-run"), QStringLiteral("--report"),
             QDir(workDir_).filePath(QStringLiteral("report.json")), QStringLiteral("--no-input"),
             QStringLiteral("--disable-pip-version-check"), QStringLiteral("--progress-bar=off"),
             QStringLiteral("--only-binary=:all:"), QStringLiteral("--constraint"),
             constraints.fileName(), result_.package},
            pipEnvironment(layerDir(profile_)), timeoutMs_);
}

void DependencyAgent::onResolveDone(const QByteArray& report) {
    QString parseError;
    resolved_ = parsePipReport(report, &parseError);
    if (!parseError.isEmpty()) {
        finishWith(DependencyResult::Outcome::Failed, ErrorCategory::Internal,
                   QStringLiteral("Cannot read pip's resolution for %1: %2.")
                       .arg(result_.package, parseError));
        return;
    }
    if (resolved_.isEmpty()) {
        // Installed, yet the module does not import: the mapping or the script is wrong.
        finishWith(DependencyResult::Outcome::AlreadyAvailable, ErrorCategory::CodeError,
                   QStringLiteral("The package %1 is already installed, yet the module '%2' "
                                  "cannot be imported: the package does not provide it under "
                                  "that name, or it is broken. Nothing was installed.")
                       .arg(result_.package, result_.importName),
                   QStringLiteral("Treat it as a code error: check the import in the script."));
        return;
    }
    const QString wanted = normalizedPackageName(result_.package);
    QStringList dependencies;
    for (const ResolvedPackage& p : std::as_const(resolved_)) {
        if (rules_.isDenied(p.name)) {
            finishWith(DependencyResult::Outcome::Refused, ErrorCategory::MissingModule,
                       QStringLiteral("%1 needs %2 %3, which is never installed into a package "
                                      "layer. Nothing was installed.")
                           .arg(result_.package, p.name, p.version),
                       QStringLiteral("Install it into the render environment yourself if you "
                                      "really need it."));
            return;
        }
        if (normalizedPackageName(p.name) == wanted) {
            result_.package = p.name; // as PyPI spells it
            result_.version = p.version;
        } else {
            dependencies << p.name + QStringLiteral("==") + p.version;
        }
    }
    if (result_.version.isEmpty()) {
        finishWith(
            DependencyResult::Outcome::Failed, ErrorCategory::Internal,
            QStringLiteral("pip's resolution does not include %1 itself.").arg(result_.package));
        return;
    }
    result_.dependencies = dependencies;
    say(QStringLiteral("resolved %1 %2%3")
            .arg(result_.package, result_.version,
                 dependencies.isEmpty()
                     ? QString()
                     : QStringLiteral(" with %1").arg(dependencies.join(QLatin1String(", ")))));
    startInstall();
}

void DependencyAgent::startInstall() {
    // Exactly what was resolved: pinned, and hash-checked when the index gave hashes, so the
    // wheel installed is the one the resolver chose.
    bool allHashed = true;
    for (const ResolvedPackage& p : std::as_const(resolved_))
        allHashed = allHashed && !p.sha256.isEmpty();
    QStringList lines;
    for (const ResolvedPackage& p : std::as_const(resolved_)) {
        QString line = p.name + QStringLiteral("==") + p.version;
        if (allHashed)
            line += QStringLiteral(" --hash=sha256:") + p.sha256;
        lines << line;
    }
    QFile requirements(QDir(workDir_).filePath(QStringLiteral("requirements.txt")));
    if (!requirements.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
        requirements.write((lines.join(QLatin1Char('\n')) + QLatin1Char('\n')).toUtf8()) < 0) {
        finishWith(DependencyResult::Outcome::Failed, ErrorCategory::Internal,
                   QStringLiteral("Cannot write %1.").arg(requirements.fileName()));
        return;
    }
    requirements.close();
    say(QStringLiteral("installing %1 %2 into a staging folder")
            .arg(result_.package, result_.version));
    QStringList args{QStringLiteral("-m"),
                     QStringLiteral("pip"),
                     QStringLiteral("install"),
                     QStringLiteral("--target"),
                     stagingDir_,
                     QStringLiteral("--no-deps"),
                     QStringLiteral("--no-input"),
                     QStringLiteral("--disable-pip-version-check"),
                     QStringLiteral("--progress-bar=off"),
                     QStringLiteral("--only-binary=:all:"),
                     QStringLiteral("--no-warn-script-location")};
    if (allHashed)
        args << QStringLiteral("--require-hashes");
    args << QStringLiteral("--requirement") << requirements.fileName();
    runStep(Step::Install, args, pipEnvironment(QString()), 0);
}

void DependencyAgent::startVerify() {
    say(QStringLiteral("verifying that manim and '%1' import with the new packages")
            .arg(result_.importName));
    runStep(Step::Verify,
            {QStringLiteral("-c"), pythonSnippet(kVerifyScript), stagingDir_, result_.importName},
            pythonEnvironment(layerDir(profile_), true), 0);
}

void DependencyAgent::onVerifyDone(const QByteArray& output) {
    const QJsonObject verify = markedJson(output);
    if (verify.isEmpty()) {
        finishWith(DependencyResult::Outcome::Failed, ErrorCategory::Internal,
                   QStringLiteral("The verification printed nothing readable: %1")
                       .arg(summarizePipError(QString::fromUtf8(output))));
        return;
    }
    QStringList shadows;
    for (const QJsonValue& value : verify.value(QLatin1String("shadows")).toArray())
        shadows << value.toString();
    if (!shadows.isEmpty()) {
        finishWith(DependencyResult::Outcome::Refused, ErrorCategory::MissingModule,
                   QStringLiteral("Installing %1 %2 would hide modules the render environment "
                                  "already has: %3. Nothing was installed.")
                       .arg(result_.package, result_.version, shadows.join(QLatin1String(", "))),
                   QStringLiteral("Use a package that does not replace them, or change the "
                                  "render environment itself."));
        return;
    }
    const QString importError = verify.value(QLatin1String("error")).toString();
    if (!importError.isEmpty() || verify.value(QLatin1String("manim")).toString().isEmpty()) {
        finishWith(DependencyResult::Outcome::Failed, ErrorCategory::MissingModule,
                   QStringLiteral("%1 %2 was downloaded, but the check failed, so nothing was "
                                  "installed: %3")
                       .arg(result_.package, result_.version,
                            clip(importError.isEmpty() ? QStringLiteral("manim did not import")
                                                       : importError,
                                 400)),
                   QStringLiteral("The package may need a system library, or may not work with "
                                  "this Python."));
        return;
    }
    say(QStringLiteral("'%1' imports from %2 beside manim %3")
            .arg(result_.importName, verify.value(QLatin1String("module_file")).toString(),
                 verify.value(QLatin1String("manim")).toString()));
    commit();
}

void DependencyAgent::commit() {
    stepTimer_.stop();
    const QString layer = layerDir(profile_);
    QString moveError;
    if (!mergeTree(stagingDir_, layer, &moveError)) {
        finishWith(DependencyResult::Outcome::Failed, ErrorCategory::Internal,
                   QStringLiteral("Cannot move %1 into the package layer: %2.")
                       .arg(result_.package, moveError),
                   QStringLiteral("Check the data folder (%1): writable, not full?")
                       .arg(paths::dataDir()));
        return;
    }
    InstalledPackage record;
    record.package = result_.package;
    record.version = result_.version;
    record.importName = result_.importName;
    record.profile = profile_;
    record.installedAt = QDateTime::currentDateTimeUtc();
    record.dependencies = result_.dependencies;

    const QString path = recordPath(profile_);
    QJsonObject root = readRecord(path);
    QJsonArray packages;
    const QString wanted = normalizedPackageName(record.package);
    for (const QJsonValue& value : root.value(QLatin1String("packages")).toArray()) {
        const QString name = value.toObject().value(QLatin1String("package")).toString();
        if (normalizedPackageName(name) != wanted)
            packages.append(value);
    }
    packages.append(packageToJson(record));
    root.insert(QStringLiteral("profile"), profile_);
    root.insert(QStringLiteral("layer"), layer);
    root.insert(QStringLiteral("packages"), packages);
    QSaveFile file(path); // all or nothing: never a half-written record
    if (!file.open(QIODevice::WriteOnly) ||
        file.write(QJsonDocument(root).toJson(QJsonDocument::Indented)) < 0 || !file.commit()) {
        finishWith(DependencyResult::Outcome::Failed, ErrorCategory::Internal,
                   QStringLiteral("%1 %2 is in the package layer, but %3 cannot be written.")
                       .arg(result_.package, result_.version, path));
        return;
    }
    finishWith(DependencyResult::Outcome::Installed, ErrorCategory::None,
               QStringLiteral("Installed %1 %2%3 into the \"%4\" package layer; '%5' now "
                              "imports beside manim.")
                   .arg(result_.package, result_.version,
                        result_.dependencies.isEmpty()
                            ? QString()
                            : QStringLiteral(" (with %1)")
                                  .arg(result_.dependencies.join(QLatin1String(", "))),
                        profile_, result_.importName));
}

QString DependencyAgent::pipFailureReason(const QString& what) const {
    const QString text = QString::fromUtf8(output_);
    const QString pip = summarizePipError(text);
    static const QRegularExpression network(
        QStringLiteral("NewConnectionError|Failed to establish a new connection|Temporary "
                       "failure in name resolution|Name or service not known|Network is "
                       "unreachable|ProxyError|ConnectTimeoutError|ReadTimeoutError|SSLError"));
    if (network.match(text).hasMatch())
        return QStringLiteral("pip cannot reach the package index, so %1 was not installed. "
                              "pip: %2")
            .arg(result_.package, pip);
    if (text.contains(QLatin1String("No matching distribution found")))
        return QStringLiteral("pip found no installable version of %1 (it does not exist on the "
                              "package index, or it has no prebuilt wheel for this Python and "
                              "platform; source builds are not allowed). pip: %2")
            .arg(result_.package, pip);
    if (text.contains(QLatin1String("ResolutionImpossible")) ||
        text.contains(QLatin1String("conflicting dependencies")))
        return QStringLiteral("%1 needs versions of packages that conflict with the render "
                              "environment (whose installed packages are kept as they are). "
                              "pip: %2")
            .arg(result_.package, pip);
    return QStringLiteral("pip failed to %1 %2. pip: %3").arg(what, result_.package, pip);
}

void DependencyAgent::finishLater(DependencyResult::Outcome outcome, ErrorCategory category,
                                  const QString& reason, const QString& hint) {
    const QString id = jobId_;
    QTimer::singleShot(0, this, [this, id, outcome, category, reason, hint] {
        if (jobId_ == id)
            finishWith(outcome, category, reason, hint);
    });
}

void DependencyAgent::finishWith(DependencyResult::Outcome outcome, ErrorCategory category,
                                 const QString& reason, const QString& hint) {
    if (jobId_.isEmpty())
        return;
    stepTimer_.stop();
    reapTimer_.stop();
    if (process_) { // only after a failure to start; a running step always ends through finished
        QProcess* process = process_;
        process_ = nullptr;
        process->disconnect(this);
        process->kill();
        process->deleteLater();
    }
    step_ = Step::None;
    result_.outcome = outcome;
    result_.reason = reason;
    result_.result.timings.elapsedMs = clock_.elapsed();
    if (outcome == DependencyResult::Outcome::Installed) {
        result_.result.status = ResultStatus::Ok;
        result_.result.error = {};
    } else {
        ErrorReport report;
        report.category = category;
        report.message = reason;
        report.hint = hint;
        report.missingName = result_.importName;
        result_.result.status =
            category == ErrorCategory::Cancelled ? ResultStatus::Cancelled : ResultStatus::Failed;
        result_.result.error = report;
    }
    if (!workDir_.isEmpty()) {
        QDir(workDir_).removeRecursively(); // this job's own folder, by its exact path
        workDir_.clear();
    }
    lock_.reset();
    const QString message = QStringLiteral("%1 after %2 ms: %3")
                                .arg(outcomeName(outcome))
                                .arg(result_.result.timings.elapsedMs)
                                .arg(reason);
    if (outcome == DependencyResult::Outcome::Installed ||
        outcome == DependencyResult::Outcome::NeedsApproval)
        info(jobId_, message);
    else
        warning(jobId_, message);
    const DependencyResult result = result_;
    jobId_.clear(); // before emitting, so a listener may start the next job at once
    Q_EMIT finished(result);
}

} // namespace omega
