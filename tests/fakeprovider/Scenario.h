#pragma once

#include <QString>
#include <QStringList>

#include <optional>

namespace omega::fake {

// What the fake "model" does with one AI request. Every scenario is played in each
// provider's own wire format (see the matrix in README.md).
enum class Scenario {
    Success,       // the answer, streamed when asked to stream, with usage numbers
    Split,         // the stream's bytes cut inside UTF-8 sequences, `data:`, \r\n and \n\n
    Crlf,          // \r\n line endings in the stream framing
    SlowDrip,      // one write every dripDelayMs
    PromptBlocked, // the prompt is refused by the provider's safety system
    OutputBlocked, // the answer is stopped by the safety system part-way
    Truncated,     // the token limit cuts the answer inside its code block
    BadKey,        // the key is rejected, whatever it is
    Forbidden,     // 403
    NotFound,      // unknown model / deployment
    RateLimit,     // 429 with the provider's retry hint
    Quota,         // quota or credit exhausted: not retryable
    ServerError,   // 500
    Unavailable,   // 503
    Overloaded,    // Anthropic's 529 (the others' closest overload answer)
    ErrorAfter200, // the stream starts, then an error arrives inside it
    DropMidStream, // half the answer, then the TCP connection is cut
    NeverAnswer,   // the request is read and never answered
    HtmlError,     // a proxy's 502 HTML page
    InvalidJson,   // 200 with a broken JSON body / a broken event
    NoCode,        // the answer is prose only
    EmptyDeltas,   // the empty and absent deltas real streams contain
};

QString scenarioName(Scenario scenario);
std::optional<Scenario> scenarioFromName(const QString& name);
QStringList scenarioNames(); // in declaration order

// Scenarios that are an HTTP error before any answer (the request is never "generated").
bool isErrorScenario(Scenario scenario);

} // namespace omega::fake
