#pragma once

#include "AgentResult.h"

#include <QJsonObject>
#include <QString>
#include <QTextStream>

#include <functional>

namespace omega::cli {

// Exit codes of every command.
enum ExitCode { ExitOk = 0, ExitFailed = 1, ExitUsage = 2, ExitEnvironment = 3, ExitProvider = 4 };

int exitCodeFor(const AgentResult& result);

QTextStream& out();
QTextStream& err();
bool stderrIsTerminal();

QJsonObject errorJson(const ErrorReport& error);
void printJson(const QJsonObject& object);
// "error (syntax): … / line 12 / hint: …" on stderr.
void printError(const ErrorReport& error);

// A usage error: printed (as JSON when asked), returns ExitUsage.
int usageError(const QString& message, bool json, const QString& hint = {});

// Ctrl+C / SIGTERM call `handler` on the event loop (not in the signal handler).
void onInterrupt(std::function<void()> handler);

} // namespace omega::cli
