#pragma once

#include <QMetaType>
#include <QString>

namespace omega {

// What kind of failure a job ended with. The category decides what happens next:
// environment problems are explained to the user and never sent to the AI, code errors
// may go to the debugging agent, a missing third-party module to the dependency agent.
enum class ErrorCategory {
    None,
    Usage,            // bad input from the user: missing file, unknown scene, bad option
    Syntax,           // the script does not compile
    MissingModule,    // import of a third-party module that is not installed
    MissingManimName, // a name the installed Manim does not have (ManimGL, typos, old API)
    Latex,            // LaTeX failed on the user's TeX
    NoScene,          // the file defines no Scene subclass
    Timeout,          // the render ran longer than allowed
    Killed,           // the render was killed by a signal (out of memory, external kill)
    Cancelled,        // the user cancelled
    Environment,      // Python, Manim, LaTeX, ffmpeg, disk: something to fix on the machine
    NoOutput,         // manim reported success but wrote nothing
    CodeError,        // any other exception raised by the script
    Internal,         // our own failure (could not create a folder, parse a helper's reply…)
    // AI provider failures
    NoProvider,          // no provider configured / enabled, or no key for it
    ProviderAuth,        // bad, missing or unauthorised API key (401/403): not retried
    ProviderQuota,       // quota or billing exhausted: not retried
    ProviderRateLimited, // 429 still failing after the allowed waits
    ProviderNotFound,    // unknown model or deployment (404): not retried
    ProviderUnavailable, // 5xx, overloaded, unreachable, connection dropped: retried, then fallback
    ProviderBadResponse, // HTML page, invalid JSON, an answer we cannot read
    ContentFiltered,     // prompt or output blocked by the provider's safety filter
    Truncated,           // the answer was cut off by the token limit
    NoCode,              // the model returned no Manim code
    NoProgress,          // the AI's fix changes nothing, or brings back an error already seen
    Sandbox, // the sandbox stopped what the script tried: network, hidden files, too many processes
};

QString categoryName(ErrorCategory category); // stable, lower-case, used in JSON
ErrorCategory categoryFromName(const QString& name);

// True for failures the user's machine must fix; these never go to the AI.
bool isEnvironmentProblem(ErrorCategory category);
// True for failures of an AI provider (the CLI's exit code 4).
bool isProviderProblem(ErrorCategory category);

struct ErrorReport {
    ErrorCategory category = ErrorCategory::None;
    QString message;     // one sentence: what happened
    QString hint;        // what to do about it
    int scriptLine = 0;  // 1-based line in the user's script, 0 when unknown
    QString detail;      // the relevant tail of the raw output (trimmed traceback)
    QString missingName; // module or Manim name involved, when there is one

    bool isError() const { return category != ErrorCategory::None; }
};

} // namespace omega

Q_DECLARE_METATYPE(omega::ErrorReport)
