#include "DoctorCommand.h"

#include "CliCommon.h"
#include "EnvironmentDoctor.h"
#include "Paths.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonArray>

namespace omega::cli {

namespace {
// Whether each render backend can run, from the checks: local needs the render environment,
// sandbox bubblewrap besides, docker an engine and the image.
QJsonObject backendReadiness(const DoctorReport& report) {
    bool local = true;
    QHash<QString, bool> ok;
    for (const EnvironmentCheck& check : report.checks) {
        ok.insert(check.name, check.ok);
        if (check.required && !check.ok)
            local = false;
    }
    return QJsonObject{{QStringLiteral("local"), local},
                       {QStringLiteral("sandbox"), local && ok.value(QStringLiteral("sandbox"))},
                       {QStringLiteral("docker"), ok.value(QStringLiteral("docker")) &&
                                                      ok.value(QStringLiteral("docker-image"))}};
}
} // namespace

int runDoctor(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Check what rendering needs, with a fix for each problem."));
    parser.addHelpOption();
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("Print JSON."));
    parser.addOption(jsonOpt);
    const QCommandLineOption engineOpt(
        QStringLiteral("engine"),
        QStringLiteral("Container engine to check: auto (default), docker or podman."),
        QStringLiteral("NAME"), QStringLiteral("auto"));
    parser.addOption(engineOpt);
    if (!parser.parse(arguments))
        return usageError(parser.errorText(), arguments.contains(QStringLiteral("--json")));
    if (parser.isSet(QStringLiteral("help"))) {
        out() << parser.helpText();
        return ExitOk;
    }
    const bool json = parser.isSet(jsonOpt);
    const auto engine = engineChoiceFromName(parser.value(engineOpt));
    if (!engine)
        return usageError(
            QStringLiteral("Unknown container engine \"%1\".").arg(parser.value(engineOpt)), json,
            QStringLiteral("Use --engine auto, docker or podman."));

    EnvironmentDoctor doctor;
    doctor.setContainerEngine(*engine);
    int exitCode = ExitFailed;
    if (!json) {
        QObject::connect(
            &doctor, &EnvironmentDoctor::checkDone, &doctor, [](const EnvironmentCheck& check) {
                const QString mark =
                    check.ok ? QStringLiteral("ok  ")
                             : (check.required ? QStringLiteral("FAIL") : QStringLiteral("warn"));
                out() << mark << "  " << check.name.leftJustified(17) << check.detail << '\n';
                if (!check.ok && !check.hint.isEmpty())
                    out() << "      " << QString(17, QLatin1Char(' ')) << "fix: " << check.hint
                          << '\n';
                out().flush();
            });
    }
    QObject::connect(
        &doctor, &EnvironmentDoctor::finished, &doctor, [&](const DoctorReport& report) {
            exitCode = report.result.ok() ? ExitOk : ExitEnvironment;
            if (json) {
                QJsonArray checks;
                for (const EnvironmentCheck& check : report.checks)
                    checks.append(
                        QJsonObject{{QStringLiteral("name"), check.name},
                                    {QStringLiteral("ok"), check.ok},
                                    {QStringLiteral("required"), check.required},
                                    {QStringLiteral("detail"), check.detail},
                                    {QStringLiteral("hint"), check.ok ? QString() : check.hint}});
                QJsonObject object{{QStringLiteral("status"), statusName(report.result.status)},
                                   {QStringLiteral("python"), paths::renderPython()},
                                   {QStringLiteral("data_dir"), paths::dataDir()},
                                   {QStringLiteral("checks"), checks},
                                   {QStringLiteral("backends"), backendReadiness(report)}};
                if (!report.result.ok())
                    object.insert(QStringLiteral("error"), errorJson(report.result.error));
                printJson(object);
            } else {
                const QJsonObject backends = backendReadiness(report);
                QStringList ready;
                for (auto it = backends.begin(); it != backends.end(); ++it)
                    ready << QStringLiteral("%1 %2").arg(
                        it.key(), it.value().toBool() ? QStringLiteral("ready")
                                                      : QStringLiteral("not ready"));
                out() << "Backends: " << ready.join(QLatin1String(", ")) << '\n';
                out() << (report.result.ok() ? QStringLiteral("Ready to render.")
                                             : report.result.error.message)
                      << '\n';
                out().flush();
            }
            QCoreApplication::exit(exitCode);
        });
    doctor.run();
    QCoreApplication::exec();
    return exitCode;
}

} // namespace omega::cli
