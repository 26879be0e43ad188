// omega-studio: the desktop app. A thin shell over omega_ui and omega_agents.
#include "Logger.h"
#include "MainWindow.h"
#include "Paths.h"
#include "StudioSettings.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>

#include <cstdio>

int main(int argc, char* argv[]) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("omega-studio"));
    QApplication::setApplicationDisplayName(QStringLiteral("Omega Studio"));
    QApplication::setOrganizationName(QStringLiteral("omega-studio"));
    // Matches the installed .desktop entry, so Wayland docks show the right icon.
    QGuiApplication::setDesktopFileName(QStringLiteral("io.github.omega_studio.OmegaStudio"));
    QApplication::setApplicationVersion(QStringLiteral(OMEGA_STUDIO_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Omega Studio: write or generate Manim scenes, render and preview them."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption scriptOption(
        QStringLiteral("script"),
        QStringLiteral("Open FILE instead of the welcome example (edited as a working copy)."),
        QStringLiteral("FILE"));
    const QCommandLineOption noAutoRenderOption(
        QStringLiteral("no-autorender"), QStringLiteral("Do not render the script on start."));
    parser.addOption(scriptOption);
    parser.addOption(noAutoRenderOption);
    parser.process(app);

    omega::Logger::instance().setLogFile(omega::paths::logFilePath());
    omega::paths::setMediaRootOverride(omega::StudioSettings::load().mediaRoot);

    omega::ui::MainWindowOptions options;
    options.autoRender = !parser.isSet(noAutoRenderOption);
    if (parser.isSet(scriptOption)) {
        const QFileInfo script(parser.value(scriptOption));
        if (!script.isFile()) {
            std::fprintf(stderr, "omega-studio: no such script: %s\n",
                         qPrintable(script.filePath()));
            return 2;
        }
        options.scriptPath = script.absoluteFilePath();
    }

    omega::ui::MainWindow window(options);
    window.show();
    return QApplication::exec();
}
