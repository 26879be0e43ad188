#include "SceneFinder.h"

#include "Paths.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

namespace omega {

QStringList SceneListResult::sceneNames() const {
    QStringList names;
    for (const SceneInfo& scene : scenes)
        names << scene.name;
    return names;
}

SceneListResult parseSceneFinderOutput(const QByteArray& json) {
    SceneListResult list;
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json.trimmed(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        list.result.status = ResultStatus::Failed;
        list.result.error.category = ErrorCategory::Internal;
        list.result.error.message = QStringLiteral("The scene finder returned unreadable output.");
        list.result.error.detail = QString::fromUtf8(json.left(2000));
        return list;
    }
    const QJsonObject root = doc.object();
    list.manimVersion = root.value(QLatin1String("manim_version")).toString();
    if (!root.value(QLatin1String("ok")).toBool()) {
        const QJsonObject error = root.value(QLatin1String("error")).toObject();
        const QString type = error.value(QLatin1String("type")).toString();
        const QString message = error.value(QLatin1String("message")).toString();
        const int line = error.value(QLatin1String("line")).toInt();
        ErrorReport& report = list.result.error;
        list.result.status = ResultStatus::Failed;
        report.scriptLine = line;
        if (type.endsWith(QLatin1String("Error")) && type != QLatin1String("FileError")) {
            report.category = ErrorCategory::Syntax;
            report.message = QStringLiteral("%1 at line %2: %3").arg(type).arg(line).arg(message);
            report.hint = QStringLiteral("Fix the line shown; the script must be valid Python.");
        } else if (type == QLatin1String("NotText")) {
            report.category = ErrorCategory::Usage;
            report.message = QStringLiteral("This is not a Python script (%1).").arg(message);
            report.hint = QStringLiteral("Choose a .py file with a Manim scene.");
        } else {
            report.category = ErrorCategory::Usage;
            report.message = QStringLiteral("Cannot read the script: %1.").arg(message);
            report.hint = QStringLiteral("Check the path and its permissions.");
        }
        return list;
    }
    const QJsonArray scenes = root.value(QLatin1String("scenes")).toArray();
    for (const QJsonValue& value : scenes) {
        const QJsonObject object = value.toObject();
        SceneInfo info;
        info.name = object.value(QLatin1String("name")).toString();
        info.line = object.value(QLatin1String("line")).toInt();
        for (const QJsonValue& base : object.value(QLatin1String("bases")).toArray())
            info.bases << base.toString();
        list.scenes << info;
    }
    return list;
}

SceneFinder::SceneFinder(QObject* parent)
    : BaseAgent(QStringLiteral("SceneFinder"), parent)
    , python_(paths::renderPython()) {
    qRegisterMetaType<omega::SceneListResult>();
}

SceneFinder::~SceneFinder() {
    cancel();
}

bool SceneFinder::isRunning() const {
    return process_ != nullptr;
}

void SceneFinder::cancel() {
    if (!process_)
        return;
    QProcess* process = process_;
    process_ = nullptr;
    process->disconnect(this);
    // Unparented, so deleting the finder does not destroy (and wait for) a running process;
    // it deletes itself once the kill has been reaped.
    process->setParent(nullptr);
    connect(process, &QProcess::finished, process, &QObject::deleteLater);
    process->kill();
}

void SceneFinder::find(const QString& scriptPath, const QString& jobId) {
    cancel();
    const QString job = jobId.isEmpty() ? newJobId() : jobId;
    auto finishWith = [this, job](SceneListResult list) {
        list.result.jobId = job;
        if (list.result.ok())
            debug(job, QStringLiteral("found %1 scene(s): %2")
                           .arg(list.scenes.size())
                           .arg(list.sceneNames().join(QLatin1String(", "))));
        else
            info(job, QStringLiteral("scene lookup failed: %1").arg(list.result.error.message));
        Q_EMIT finished(list);
    };

    const QFileInfo script(scriptPath);
    SceneListResult early;
    early.result.status = ResultStatus::Failed;
    early.result.error.category = ErrorCategory::Usage;
    if (!script.exists()) {
        early.result.error.message = QStringLiteral("No such file: %1").arg(scriptPath);
        early.result.error.hint = QStringLiteral("Check the path.");
    } else if (script.isDir()) {
        early.result.error.message =
            QStringLiteral("%1 is a folder, not a script.").arg(scriptPath);
        early.result.error.hint = QStringLiteral("Give the path of a .py file.");
    } else if (!QFileInfo(python_).isExecutable()) {
        early.result.error.category = ErrorCategory::Environment;
        early.result.error.message =
            QStringLiteral("The render Python is missing (%1).").arg(python_);
        early.result.error.hint =
            QStringLiteral("%1 to create the Manim environment, or set OMEGA_VENV.")
                .arg(paths::setupHint());
    } else {
        early.result.status = ResultStatus::Ok;
    }
    if (!early.result.ok()) {
        // Deliver asynchronously, like every other outcome.
        QTimer::singleShot(0, this, [finishWith, early] { finishWith(early); });
        return;
    }

    auto* process = new QProcess(this);
    process_ = process;
    process->setProgram(python_);
    process->setArguments({QStringLiteral("-I"),
                           paths::resourcePath(QStringLiteral("find_scenes.py")),
                           script.absoluteFilePath()});
    process->setStandardInputFile(QProcess::nullDevice());
    process->setProcessChannelMode(QProcess::SeparateChannels);

    auto* timer = new QTimer(process);
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, this, [this, process, finishWith] {
        if (process_ != process)
            return;
        cancel();
        SceneListResult list;
        list.result.status = ResultStatus::Failed;
        list.result.error.category = ErrorCategory::Timeout;
        list.result.error.message = QStringLiteral("Listing the scenes took too long.");
        list.result.error.hint = QStringLiteral("The machine may be overloaded; try again.");
        finishWith(list);
    });
    connect(process, &QProcess::errorOccurred, this,
            [this, process, finishWith](QProcess::ProcessError e) {
                if (e != QProcess::FailedToStart || process_ != process)
                    return;
                process_ = nullptr;
                process->deleteLater();
                SceneListResult list;
                list.result.status = ResultStatus::Failed;
                list.result.error.category = ErrorCategory::Environment;
                list.result.error.message =
                    QStringLiteral("Cannot start the render Python (%1): %2")
                        .arg(python_, process->errorString());
                list.result.error.hint =
                    QStringLiteral("%1, or set OMEGA_VENV.").arg(paths::setupHint());
                finishWith(list);
            });
    connect(process, &QProcess::finished, this,
            [this, process, finishWith](int exitCode, QProcess::ExitStatus status) {
                if (process_ != process)
                    return;
                process_ = nullptr;
                process->deleteLater();
                SceneListResult list;
                if (status != QProcess::NormalExit || exitCode != 0) {
                    list.result.status = ResultStatus::Failed;
                    list.result.error.category = ErrorCategory::Environment;
                    list.result.error.message =
                        QStringLiteral("The scene finder failed (exit %1).").arg(exitCode);
                    list.result.error.detail = QString::fromUtf8(process->readAllStandardError());
                    list.result.error.hint =
                        QStringLiteral("Check the Python environment (omega doctor).");
                } else {
                    list = parseSceneFinderOutput(process->readAllStandardOutput());
                }
                finishWith(list);
            });
    timer->start(timeoutMs_);
    process->start();
}

} // namespace omega
