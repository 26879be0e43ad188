#include "CliCommon.h"

#include <QJsonDocument>
#include <QSocketNotifier>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

namespace omega::cli {

int exitCodeFor(const AgentResult& result) {
    if (result.ok())
        return ExitOk;
    switch (result.error.category) {
    case ErrorCategory::Usage:
        return ExitUsage;
    case ErrorCategory::Environment:
        return ExitEnvironment;
    default:
        return isProviderProblem(result.error.category) ? ExitProvider : ExitFailed;
    }
}

QTextStream& out() {
    static QTextStream stream(stdout);
    return stream;
}

QTextStream& err() {
    static QTextStream stream(stderr);
    return stream;
}

bool stderrIsTerminal() {
    return ::isatty(STDERR_FILENO) == 1;
}

QJsonObject errorJson(const ErrorReport& error) {
    QJsonObject object{{QStringLiteral("category"), categoryName(error.category)},
                       {QStringLiteral("message"), error.message},
                       {QStringLiteral("hint"), error.hint},
                       {QStringLiteral("line"), error.scriptLine}};
    if (!error.missingName.isEmpty())
        object.insert(QStringLiteral("name"), error.missingName);
    if (!error.detail.isEmpty())
        object.insert(QStringLiteral("detail"), error.detail);
    return object;
}

void printJson(const QJsonObject& object) {
    out() << QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Indented));
    out().flush();
}

void printError(const ErrorReport& error) {
    err() << "error (" << categoryName(error.category) << "): " << error.message << '\n';
    if (error.scriptLine > 0)
        err() << "  at line " << error.scriptLine << " of the script\n";
    if (!error.detail.isEmpty()) {
        const QStringList lines = error.detail.trimmed().split(QLatin1Char('\n'));
        for (const QString& line : lines.mid(qMax(0, int(lines.size()) - 12)))
            err() << "  | " << line << '\n';
    }
    if (!error.hint.isEmpty())
        err() << "  hint: " << error.hint << '\n';
    err().flush();
}

int usageError(const QString& message, bool json, const QString& hint) {
    ErrorReport report;
    report.category = ErrorCategory::Usage;
    report.message = message;
    report.hint = hint.isEmpty() ? QStringLiteral("See omega --help.") : hint;
    if (json)
        printJson({{QStringLiteral("status"), QStringLiteral("failed")},
                   {QStringLiteral("error"), errorJson(report)}});
    else
        printError(report);
    return ExitUsage;
}

namespace {
int signalPipe[2] = {-1, -1};
void forwardSignal(int) {
    const char byte = 1;
    [[maybe_unused]] const ssize_t n = ::write(signalPipe[1], &byte, 1);
}
} // namespace

void onInterrupt(std::function<void()> handler) {
    if (signalPipe[0] < 0 && ::socketpair(AF_UNIX, SOCK_STREAM, 0, signalPipe) != 0)
        return;
    auto* notifier = new QSocketNotifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(notifier, &QSocketNotifier::activated, notifier, [handler] {
        char byte;
        [[maybe_unused]] const ssize_t n = ::read(signalPipe[0], &byte, 1);
        handler();
    });
    struct sigaction action {};
    action.sa_handler = forwardSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGHUP, &action, nullptr);
}

} // namespace omega::cli
