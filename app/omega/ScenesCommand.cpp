#include "ScenesCommand.h"

#include "CliCommon.h"
#include "SceneFinder.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonArray>

namespace omega::cli {

int runScenes(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("List the Scene classes of FILE without running it."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("FILE"),
                                 QStringLiteral("A Manim CE script (.py)."));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("Print JSON."));
    parser.addOption(jsonOpt);
    if (!parser.parse(arguments))
        return usageError(parser.errorText(), arguments.contains(QStringLiteral("--json")));
    if (parser.isSet(QStringLiteral("help"))) {
        out() << parser.helpText();
        return ExitOk;
    }
    const bool json = parser.isSet(jsonOpt);
    if (parser.positionalArguments().size() != 1)
        return usageError(QStringLiteral("omega scenes takes exactly one FILE."), json);
    const QString file = parser.positionalArguments().first();

    SceneFinder finder;
    int exitCode = ExitFailed;
    QObject::connect(&finder, &SceneFinder::finished, &finder, [&](const SceneListResult& list) {
        exitCode = exitCodeFor(list.result);
        if (json) {
            QJsonArray scenes;
            for (const SceneInfo& scene : list.scenes)
                scenes.append(QJsonObject{
                    {QStringLiteral("name"), scene.name},
                    {QStringLiteral("line"), scene.line},
                    {QStringLiteral("bases"), QJsonArray::fromStringList(scene.bases)}});
            QJsonObject object{{QStringLiteral("status"), statusName(list.result.status)},
                               {QStringLiteral("file"), file},
                               {QStringLiteral("scenes"), scenes},
                               {QStringLiteral("manim_version"), list.manimVersion}};
            if (!list.result.ok())
                object.insert(QStringLiteral("error"), errorJson(list.result.error));
            printJson(object);
        } else if (list.result.ok()) {
            for (const SceneInfo& scene : list.scenes)
                out() << scene.name << '\n';
            out().flush();
            if (list.scenes.isEmpty())
                err() << "no Scene subclass in " << file << '\n';
        } else {
            printError(list.result.error);
        }
        QCoreApplication::exit(exitCode);
    });
    finder.find(file);
    QCoreApplication::exec();
    return exitCode;
}

} // namespace omega::cli
