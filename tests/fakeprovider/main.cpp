// omega-fake-provider: the fake AI provider server as a process, for the official-client
// fidelity tests and for trying a client by hand:
//
//   omega-fake-provider --port 0 --scenario split --key test-key
//   → prints "listening on http://127.0.0.1:PORT" and runs until SIGTERM / SIGINT.

#include "FakeProviderServer.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QSocketNotifier>

#include <csignal>
#include <cstdio>
#include <sys/socket.h>
#include <unistd.h>

namespace {

int signalPipe[2] = {-1, -1};

void onSignal(int) {
    const char byte = 1;
    [[maybe_unused]] const auto written = ::write(signalPipe[1], &byte, 1);
}

// SIGTERM/SIGINT → a byte on a socket pair → QCoreApplication::quit() on the event loop
// (nothing else is async-signal-safe).
void quitOnSignals(QCoreApplication& app) {
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, signalPipe) != 0)
        return;
    auto* notifier = new QSocketNotifier(signalPipe[0], QSocketNotifier::Read, &app);
    QObject::connect(notifier, &QSocketNotifier::activated, &app, [&app] { app.quit(); });
    struct sigaction action {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
}

} // namespace

int main(int argc, char* argv[]) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("omega-fake-provider"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Fake Gemini / Azure OpenAI / OpenAI / Anthropic / Ollama server on 127.0.0.1 for tests."));
    parser.addHelpOption();
    const QCommandLineOption portOption(QStringLiteral("port"),
                                        QStringLiteral("Port to listen on (0: any free port)."),
                                        QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption scenarioOption(
        QStringLiteral("scenario"),
        QStringLiteral("Default scenario: %1.")
            .arg(omega::FakeProviderServer::scenarioNames().join(QStringLiteral(", "))),
        QStringLiteral("NAME"), QStringLiteral("success"));
    const QCommandLineOption keyOption(QStringLiteral("key"),
                                       QStringLiteral("Expected API key (empty: accept any)."),
                                       QStringLiteral("KEY"), QStringLiteral("test-key"));
    const QCommandLineOption answerOption(QStringLiteral("answer-file"),
                                          QStringLiteral("UTF-8 file with the model's answer."),
                                          QStringLiteral("FILE"));
    parser.addOptions({portOption, scenarioOption, keyOption, answerOption});
    parser.process(app);

    omega::FakeProviderServer server;
    bool portOk = false;
    const uint port = parser.value(portOption).toUInt(&portOk);
    if (!portOk || port > 65535) {
        std::fprintf(stderr, "omega-fake-provider: invalid --port '%s'\n",
                     qPrintable(parser.value(portOption)));
        return 2;
    }
    if (!server.setDefaultScenario(parser.value(scenarioOption))) {
        std::fprintf(stderr, "omega-fake-provider: unknown scenario '%s' (known: %s)\n",
                     qPrintable(parser.value(scenarioOption)),
                     qPrintable(server.scenarioNames().join(QStringLiteral(", "))));
        return 2;
    }
    server.setExpectedKey(parser.value(keyOption));
    if (parser.isSet(answerOption)) {
        QFile file(parser.value(answerOption));
        if (!file.open(QIODevice::ReadOnly)) {
            std::fprintf(stderr, "omega-fake-provider: cannot read %s: %s\n",
                         qPrintable(file.fileName()), qPrintable(file.errorString()));
            return 2;
        }
        server.setAnswer(QString::fromUtf8(file.readAll()));
    }
    if (!server.listen(quint16(port))) {
        std::fprintf(stderr, "omega-fake-provider: cannot listen on 127.0.0.1:%u: %s\n", port,
                     qPrintable(server.errorString()));
        return 1;
    }
    QObject::connect(&server, &omega::FakeProviderServer::requestReceived,
                     [](const omega::RecordedRequest& request) {
                         std::fprintf(
                             stderr, "%s %s%s%s%s\n", qPrintable(request.method),
                             qPrintable(request.path), request.scenario.isEmpty() ? "" : " [",
                             qPrintable(request.scenario), request.scenario.isEmpty() ? "" : "]");
                     });
    quitOnSignals(app);

    std::printf("listening on %s\n", qPrintable(server.baseUrl().toString()));
    std::fflush(stdout);
    return app.exec();
}
