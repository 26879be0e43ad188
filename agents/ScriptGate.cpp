#include "ScriptGate.h"

#include "CodeExtractor.h"
#include "Paths.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStringDecoder>
#include <QTemporaryDir>
#include <QTimer>

namespace omega {

namespace {

QString normalizeText(QString text) {
    if (text.startsWith(QChar(0xFEFF)))
        text.remove(0, 1);
    text.replace(QLatin1String("\r\n"), QLatin1String("\n"));
    text.replace(QLatin1Char('\r'), QLatin1Char('\n'));
    return text;
}

ErrorCategory categoryForFinding(const QString& kind) {
    if (kind == QLatin1String("syntax") || kind == QLatin1String("not-text"))
        return ErrorCategory::Syntax;
    if (kind == QLatin1String("no-scene"))
        return ErrorCategory::NoScene;
    if (kind == QLatin1String("unknown-name") || kind == QLatin1String("unknown-attribute") ||
        kind == QLatin1String("unknown-kwarg") || kind == QLatin1String("removed-api"))
        return ErrorCategory::MissingManimName;
    return ErrorCategory::CodeError;
}

bool writeUtf8(const QString& path, const QString& text) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    const QByteArray bytes = text.toUtf8();
    return file.write(bytes) == bytes.size();
}

} // namespace

QList<GateFinding> GateReport::errors() const {
    QList<GateFinding> out;
    for (const GateFinding& finding : findings) {
        if (finding.isError())
            out << finding;
    }
    return out;
}

QList<GateFinding> GateReport::warnings() const {
    QList<GateFinding> out;
    for (const GateFinding& finding : findings) {
        if (!finding.isError())
            out << finding;
    }
    return out;
}

ErrorReport GateReport::firstError() const {
    if (!result.ok())
        return result.error;
    ErrorReport report;
    const QList<GateFinding> blocking = errors();
    if (blocking.isEmpty())
        return report;
    const GateFinding& finding = blocking.first();
    report.category = categoryForFinding(finding.kind);
    report.message = finding.message;
    report.scriptLine = finding.fixedLine;
    report.missingName = finding.name;
    if (finding.kind == QLatin1String("syntax"))
        report.hint = QStringLiteral("Fix the line shown; the script must be valid Python.");
    else if (!finding.suggestions.isEmpty())
        report.hint =
            QStringLiteral("Did you mean %1?").arg(finding.suggestions.join(QLatin1String(" or ")));
    if (blocking.size() > 1)
        report.detail =
            QStringLiteral("%1 more problem(s) found by the gate.").arg(blocking.size() - 1);
    return report;
}

GateInput prepareGateInput(const QString& text) {
    GateInput input;
    input.source = normalizeText(text);
    const ExtractedCode code = extractManimCode(input.source);
    input.fencedBlocks = code.candidates;
    // Only code from a fenced block marks a pasted answer: unfenced extraction drops leading
    // comments and prose-looking lines, which would rewrite a real script that merely fails
    // to compile.
    if (code.found && code.fenced && code.code != input.source)
        input.extractedCode = code.code;
    return input;
}

void parseGateOutput(const QByteArray& json, GateReport& report) {
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json.trimmed(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        report.result.status = ResultStatus::Failed;
        report.result.error.category = ErrorCategory::Internal;
        report.result.error.message =
            QStringLiteral("The script checker returned unreadable output.");
        report.result.error.detail = QString::fromUtf8(json.left(2000));
        return;
    }
    const QJsonObject root = doc.object();
    report.manimVersion = root.value(QLatin1String("manim_version")).toString();
    report.namesSource = root.value(QLatin1String("names_source")).toString();
    if (!root.value(QLatin1String("ok")).toBool()) {
        const QJsonObject error = root.value(QLatin1String("error")).toObject();
        const QString type = error.value(QLatin1String("type")).toString();
        ErrorReport& e = report.result.error;
        report.result.status = ResultStatus::Failed;
        if (type == QLatin1String("NotText") || type == QLatin1String("FileError")) {
            e.category = ErrorCategory::Usage;
            e.message = QStringLiteral("Cannot read the script: %1.")
                            .arg(error.value(QLatin1String("message")).toString());
            e.hint = QStringLiteral("Give a UTF-8 Python file.");
        } else {
            e.category = ErrorCategory::Internal;
            e.message = QStringLiteral("The script checker failed: %1")
                            .arg(error.value(QLatin1String("message")).toString());
            e.detail = error.value(QLatin1String("detail")).toString();
        }
        return;
    }

    report.extracted = root.value(QLatin1String("extracted")).toBool();
    if (report.extracted)
        report.checkedSource = root.value(QLatin1String("checked_source")).toString();
    report.syntaxOk = root.value(QLatin1String("syntax_ok")).toBool();
    report.fixedSource = root.contains(QLatin1String("fixed_source"))
                             ? root.value(QLatin1String("fixed_source")).toString()
                             : report.checkedSource;
    report.apiCheck = root.value(QLatin1String("api_check")).toString();
    report.apiNote = root.value(QLatin1String("api_note")).toString();
    report.elapsedMs = root.value(QLatin1String("elapsed_ms")).toInteger();

    report.rewrites.clear();
    if (report.extracted) {
        const qsizetype answerLines = report.input.count(QLatin1Char('\n')) + 1;
        const qsizetype codeLines = report.checkedSource.count(QLatin1Char('\n'));
        report.rewrites << GateRewrite{
            QStringLiteral("extract-code"), 1,
            QStringLiteral("(a pasted answer: %1 lines of prose and code)").arg(answerLines),
            QStringLiteral("(its Python code: %1 lines)").arg(codeLines),
            QStringLiteral("The input is not Python but an answer with the script in it; the "
                           "script was taken out of it, as generation does.")};
    }
    for (const QJsonValue& value : root.value(QLatin1String("rewrites")).toArray()) {
        const QJsonObject o = value.toObject();
        report.rewrites << GateRewrite{
            o.value(QLatin1String("rule")).toString(), o.value(QLatin1String("line")).toInt(),
            o.value(QLatin1String("before")).toString(), o.value(QLatin1String("after")).toString(),
            o.value(QLatin1String("message")).toString()};
    }
    report.findings.clear();
    for (const QJsonValue& value : root.value(QLatin1String("findings")).toArray()) {
        const QJsonObject o = value.toObject();
        GateFinding finding;
        finding.kind = o.value(QLatin1String("kind")).toString();
        finding.severity = o.value(QLatin1String("severity")).toString() == QLatin1String("warning")
                               ? GateSeverity::Warning
                               : GateSeverity::Error;
        finding.line = o.value(QLatin1String("line")).toInt();
        finding.fixedLine = o.value(QLatin1String("fixed_line")).toInt();
        finding.column = o.value(QLatin1String("column")).toInt();
        finding.message = o.value(QLatin1String("message")).toString();
        finding.name = o.value(QLatin1String("name")).toString();
        for (const QJsonValue& s : o.value(QLatin1String("suggestions")).toArray())
            finding.suggestions << s.toString();
        report.findings << finding;
    }
    report.scenes.clear();
    for (const QJsonValue& value : root.value(QLatin1String("scenes")).toArray()) {
        const QJsonObject o = value.toObject();
        SceneInfo scene;
        scene.name = o.value(QLatin1String("name")).toString();
        scene.line = o.value(QLatin1String("line")).toInt();
        for (const QJsonValue& base : o.value(QLatin1String("bases")).toArray())
            scene.bases << base.toString();
        report.scenes << scene;
    }

    const QString environmentError = root.value(QLatin1String("environment_error")).toString();
    if (!environmentError.isEmpty()) {
        report.result.status = ResultStatus::Failed;
        report.result.error.category = ErrorCategory::Environment;
        report.result.error.message = environmentError;
        report.result.error.hint =
            QStringLiteral("%1 to install Manim in the render environment (omega doctor).")
                .arg(paths::setupHint());
    }
}

ScriptGate::ScriptGate(QObject* parent)
    : BaseAgent(QStringLiteral("ScriptGate"), parent)
    , python_(paths::renderPython())
    , cacheDir_(QDir(paths::dataDir()).filePath(QStringLiteral("cache"))) {
    qRegisterMetaType<omega::GateReport>();
}

ScriptGate::~ScriptGate() {
    cancel();
}

bool ScriptGate::isRunning() const {
    return process_ != nullptr;
}

void ScriptGate::cancel() {
    ++generation_;
    if (process_) {
        QProcess* process = process_;
        process_ = nullptr;
        process->disconnect(this);
        // Unparented so that deleting the gate never waits for the helper; it deletes itself
        // once the kill has been reaped.
        process->setParent(nullptr);
        connect(process, &QProcess::finished, process, &QObject::deleteLater);
        process->kill();
    }
    workDir_.reset();
}

void ScriptGate::finish(GateReport report) {
    workDir_.reset();
    if (report.result.ok())
        debug(report.result.jobId,
              QStringLiteral("%1: %2 rewrite(s), %3 error(s), %4 warning(s), names from %5")
                  .arg(report.displayName)
                  .arg(report.rewrites.size())
                  .arg(report.errors().size())
                  .arg(report.warnings().size())
                  .arg(report.namesSource));
    else
        info(report.result.jobId,
             QStringLiteral("check failed: %1").arg(report.result.error.message));
    Q_EMIT finished(report);
}

void ScriptGate::finishLater(GateReport report) {
    // Every outcome is delivered asynchronously, like a real check (unless cancelled).
    const quint64 generation = generation_;
    QTimer::singleShot(0, this, [this, report, generation] {
        if (generation == generation_)
            finish(report);
    });
}

void ScriptGate::checkFile(const QString& path, const QString& jobId) {
    const QFileInfo info(path);
    QFile file(path);
    GateReport report;
    report.displayName = info.fileName();
    report.result.jobId = jobId.isEmpty() ? newJobId() : jobId;
    report.result.status = ResultStatus::Failed;
    report.result.error.category = ErrorCategory::Usage;
    if (!info.exists()) {
        report.result.error.message = QStringLiteral("No such file: %1").arg(path);
        report.result.error.hint = QStringLiteral("Check the path.");
    } else if (info.isDir()) {
        report.result.error.message = QStringLiteral("%1 is a folder, not a script.").arg(path);
        report.result.error.hint = QStringLiteral("Give the path of a .py file.");
    } else if (!file.open(QIODevice::ReadOnly)) {
        report.result.error.message =
            QStringLiteral("Cannot read %1: %2").arg(path, file.errorString());
        report.result.error.hint = QStringLiteral("Check the file's permissions.");
    } else {
        const QByteArray bytes = file.readAll();
        QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
        const QString text = decoder(bytes);
        if (decoder.hasError() || bytes.contains('\0')) {
            report.result.error.message =
                QStringLiteral("%1 is not a text file (not UTF-8).").arg(path);
            report.result.error.hint = QStringLiteral("Give a UTF-8 Python file.");
        } else {
            check(text, info.fileName(), report.result.jobId);
            return;
        }
    }
    cancel();
    finishLater(report);
}

void ScriptGate::check(const QString& text, const QString& displayName, const QString& jobId) {
    cancel();
    GateReport report;
    report.result.jobId = jobId.isEmpty() ? newJobId() : jobId;
    report.displayName = displayName.isEmpty() ? QStringLiteral("script.py") : displayName;
    report.input = text;
    const GateInput input = prepareGateInput(text);
    report.checkedSource = input.source;
    report.fixedSource = input.source;

    auto fail = [&](ErrorCategory category, const QString& message, const QString& hint) {
        report.result.status = ResultStatus::Failed;
        report.result.error.category = category;
        report.result.error.message = message;
        report.result.error.hint = hint;
        finishLater(report);
    };
    if (!QFileInfo(python_).isExecutable())
        return fail(ErrorCategory::Environment,
                    QStringLiteral("The render Python is missing (%1).").arg(python_),
                    QStringLiteral("%1 to create the Manim environment, or set OMEGA_VENV.")
                        .arg(paths::setupHint()));
    const QString checker = paths::resourcePath(QStringLiteral("gate/check_script.py"));
    if (!QFileInfo::exists(checker))
        return fail(ErrorCategory::Environment,
                    QStringLiteral("Omega's script checker is missing (%1).").arg(checker),
                    QStringLiteral("Reinstall Omega Studio, or set OMEGA_RESOURCES_DIR."));

    workDir_ =
        std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/omega-gate-XXXXXX"));
    const QString inputPath =
        workDir_->isValid() ? workDir_->filePath(QStringLiteral("input.py")) : QString();
    const QString extractedPath =
        workDir_->isValid() ? workDir_->filePath(QStringLiteral("extracted.py")) : QString();
    if (inputPath.isEmpty() || !writeUtf8(inputPath, input.source) ||
        (!input.extractedCode.isEmpty() && !writeUtf8(extractedPath, input.extractedCode))) {
        workDir_.reset();
        return fail(ErrorCategory::Internal,
                    QStringLiteral("Cannot write the script to a temporary folder (%1).")
                        .arg(QDir::tempPath()),
                    QStringLiteral("Check the free space and permissions of the temp folder."));
    }

    QStringList arguments{QStringLiteral("-I"),
                          QStringLiteral("-B"),
                          checker,
                          QStringLiteral("--cache-dir"),
                          cacheDir_,
                          QStringLiteral("--display-name"),
                          report.displayName};
    if (!input.extractedCode.isEmpty())
        arguments << QStringLiteral("--extracted") << extractedPath;
    arguments << inputPath;

    auto* process = new QProcess(this);
    process_ = process;
    process->setProgram(python_);
    process->setArguments(arguments);
    process->setWorkingDirectory(workDir_->path());
    process->setStandardInputFile(QProcess::nullDevice());
    process->setProcessChannelMode(QProcess::SeparateChannels);

    auto* timer = new QTimer(process);
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, this, [this, process, report]() mutable {
        if (process_ != process)
            return;
        cancel();
        report.result.status = ResultStatus::Failed;
        report.result.error.category = ErrorCategory::Timeout;
        report.result.error.message =
            QStringLiteral("Checking the script took longer than %1 s.").arg(timeoutMs_ / 1000);
        report.result.error.hint = QStringLiteral("The machine may be overloaded; try again.");
        finish(report);
    });
    connect(process, &QProcess::errorOccurred, this,
            [this, process, report](QProcess::ProcessError e) mutable {
                if (e != QProcess::FailedToStart || process_ != process)
                    return;
                process_ = nullptr;
                process->deleteLater();
                report.result.status = ResultStatus::Failed;
                report.result.error.category = ErrorCategory::Environment;
                report.result.error.message =
                    QStringLiteral("Cannot start the render Python (%1): %2")
                        .arg(python_, process->errorString());
                report.result.error.hint =
                    QStringLiteral("%1, or set OMEGA_VENV.").arg(paths::setupHint());
                finish(report);
            });
    connect(process, &QProcess::finished, this,
            [this, process, report](int exitCode, QProcess::ExitStatus status) mutable {
                if (process_ != process)
                    return;
                process_ = nullptr;
                process->deleteLater();
                if (status != QProcess::NormalExit || exitCode != 0) {
                    report.result.status = ResultStatus::Failed;
                    report.result.error.category = ErrorCategory::Environment;
                    report.result.error.message =
                        QStringLiteral("The script checker failed (exit %1).").arg(exitCode);
                    report.result.error.detail =
                        QString::fromUtf8(process->readAllStandardError().right(4000));
                    report.result.error.hint =
                        QStringLiteral("Check the Python environment (omega doctor).");
                } else {
                    parseGateOutput(process->readAllStandardOutput(), report);
                }
                finish(report);
            });
    timer->start(timeoutMs_);
    process->start();
}

} // namespace omega
