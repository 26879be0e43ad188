#include "DoctorCommand.h"

#include "CliCommon.h"
#include "EnvironmentDoctor.h"
#include "Paths.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonArray>

namespace omega::cli {

int runDoctor(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Check what rendering needs, with a fix for each problem."));
    parser.addHelpOption();
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("Print JSON."));
    parser.addOption(jsonOpt);
    if (!parser.parse(arguments))
        return usageError(parser.errorText(), arguments.contains(QStringLiteral("--json")));
    if (parser.isSet(QStringLiteral("help"))) {
        out() << parser.helpText();
        return ExitOk;
    }
    const bool json = parser.isSet(jsonOpt);

    EnvironmentDoctor doctor;
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
                                   {QStringLiteral("checks"), checks}};
                if (!report.result.ok())
                    object.insert(QStringLiteral("error"), errorJson(report.result.error));
                printJson(object);
            } else {
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
