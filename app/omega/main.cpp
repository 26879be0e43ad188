// omega: the command line face of Omega Studio's agents.
#include "CheckCommand.h"
#include "CliCommon.h"
#include "DoctorCommand.h"
#include "GenerateCommand.h"
#include "Logger.h"
#include "Paths.h"
#include "ProvidersCommand.h"
#include "RenderCommand.h"
#include "ScenesCommand.h"
#include "SetupCommand.h"

#include <QCoreApplication>

namespace {

const char* const kUsage =
    "usage: omega COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  render FILE   render Manim scenes (omega render --help for options)\n"
    "  scenes FILE   list the scenes in a script without running it\n"
    "  check FILE    check a script before rendering, without running it (--fix, --json)\n"
    "  doctor        check Python, Manim, LaTeX, ffmpeg and disk, with fixes\n"
    "  setup         create the render environment (the venv with Manim; --force, --check)\n"
    "  generate \"PROMPT\"  write a Manim script with an AI provider (--render to render it)\n"
    "  providers     list | test NAME | add NAME --type TYPE | remove NAME\n"
    "  keys          set PROVIDER (key on stdin) | delete PROVIDER: API keys in the OS keychain\n"
    "\n"
    "Options: --help, --version, --verbose (log to stderr)\n"
    "Exit codes: 0 ok, 1 failed, 2 usage error, 3 environment problem, 4 AI provider error.\n";

} // namespace

int main(int argc, char* argv[]) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("omega"));
    QCoreApplication::setOrganizationName(QStringLiteral("omega-studio"));
    QCoreApplication::setApplicationVersion(QStringLiteral(OMEGA_VERSION));
    using namespace omega;

    QStringList args = QCoreApplication::arguments();
    const bool verbose = args.removeAll(QStringLiteral("--verbose")) > 0;
    if (args.size() < 2 || args.at(1) == QLatin1String("--help") ||
        args.at(1) == QLatin1String("-h") || args.at(1) == QLatin1String("help")) {
        cli::out() << kUsage;
        cli::out().flush();
        return args.size() < 2 ? cli::ExitUsage : cli::ExitOk;
    }
    if (args.at(1) == QLatin1String("--version")) {
        cli::out() << "omega " << OMEGA_VERSION << " (Manim " << OMEGA_MANIM_VERSION << ")\n";
        return cli::ExitOk;
    }

    Logger::instance().setLogFile(paths::logFilePath());
    if (verbose) {
        QObject::connect(&Logger::instance(), &Logger::recordAdded, &app,
                         [](const LogRecord& record) {
                             cli::err() << record.toLine() << '\n';
                             cli::err().flush();
                         });
    }

    const QString command = args.at(1);
    // The command's own parser sees "omega <command>" as its program name.
    QStringList commandArgs = args.mid(2);
    commandArgs.prepend(QStringLiteral("omega ") + command);
    if (command == QLatin1String("render"))
        return cli::runRender(commandArgs);
    if (command == QLatin1String("scenes"))
        return cli::runScenes(commandArgs);
    if (command == QLatin1String("check"))
        return cli::runCheck(commandArgs);
    if (command == QLatin1String("setup"))
        return cli::runSetup(commandArgs);
    if (command == QLatin1String("doctor"))
        return cli::runDoctor(commandArgs);
    if (command == QLatin1String("generate"))
        return cli::runGenerate(commandArgs);
    if (command == QLatin1String("providers"))
        return cli::runProviders(commandArgs);
    if (command == QLatin1String("keys"))
        return cli::runKeys(commandArgs);
    cli::err() << "omega: unknown command \"" << command << "\"\n\n" << kUsage;
    return cli::ExitUsage;
}
