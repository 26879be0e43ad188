#pragma once

#include "ErrorReport.h"
#include "RenderOptions.h"

#include <QString>
#include <QStringList>

namespace omega {

// Everything known about how a manim process ended.
struct ProcessOutcome {
    QString stdoutText;
    QString stderrText;
    int exitCode = 0;
    bool crashed = false; // ended by a signal (QProcess::CrashExit)
    int signal = 0;       // the signal, when known (SIGKILL=9 for the OOM killer)
    bool timedOut = false;
    bool cancelled = false;
    bool outputMissing = false; // exit 0 but no output file
    QString scriptPathInJob;    // the copy manim ran, to find the user's frames
    // Where it ran, and the limits it had there: failures the sandbox caused are named as such.
    RenderBackend backend = RenderBackend::Local;
    int memoryLimitMb = 0;
    int maxProcesses = 0;
    int cpuTimeLimitSec = 0;
    QStringList hiddenPaths; // folders the sandbox masks (home, /run)
};

// Pure: decides the category, message, hint and script line of a failed render from its
// output. Understands plain Python tracebacks, Rich tracebacks (boxed, wrapped), manim's
// LaTeX error report and "There are no scenes inside that module".
ErrorReport classifyRenderFailure(const ProcessOutcome& outcome);

// The last line number inside `scriptPath` mentioned by a traceback (plain or Rich), 0 if none.
int scriptLineFromTraceback(const QString& text, const QString& scriptPath);

} // namespace omega
