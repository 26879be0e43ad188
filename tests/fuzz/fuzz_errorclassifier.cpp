// libFuzzer target: classifyRenderFailure and scriptLineFromTraceback on arbitrary output.
// Input: byte 0 = flags (bit 0 crashed, 1 timed out, 2 cancelled, 3 output missing, bits 4-7
// exit code), byte 1 = signal, then stdout, a NUL byte, stderr (no NUL: all of it is stderr).
// scripts/fuzz.sh turns the recorded fixtures into seeds of that shape.
#include "ErrorClassifier.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using omega::ErrorCategory;
using omega::ErrorReport;
using omega::ProcessOutcome;

namespace {

void check(bool condition) {
    if (!condition)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2)
        return 0;
    ProcessOutcome outcome;
    outcome.crashed = data[0] & 1;
    outcome.timedOut = data[0] & 2;
    outcome.cancelled = data[0] & 4;
    outcome.outputMissing = data[0] & 8;
    outcome.exitCode = data[0] >> 4;
    outcome.signal = data[1];
    outcome.scriptPathInJob = QStringLiteral("/tmp/omega-fixture-job/scene.py");

    const QByteArray rest(reinterpret_cast<const char*>(data + 2), qsizetype(size - 2));
    const qsizetype nul = rest.indexOf('\0');
    if (nul >= 0) {
        outcome.stdoutText = QString::fromUtf8(rest.left(nul));
        outcome.stderrText = QString::fromUtf8(rest.mid(nul + 1));
    } else {
        outcome.stderrText = QString::fromUtf8(rest);
    }

    const ErrorReport report = omega::classifyRenderFailure(outcome);
    check(report.scriptLine >= 0);
    if (report.isError()) {
        check(!report.message.isEmpty());
        check(!report.hint.isEmpty());
        check(!report.message.contains(QLatin1Char('\n')));
        check(report.detail.count(QLatin1Char('\n')) < 40);
    } else {
        // Nothing failed: no signal, no timeout, exit 0 and the output is there.
        check(!outcome.crashed && !outcome.timedOut && !outcome.cancelled);
        check(outcome.exitCode == 0 && !outcome.outputMissing);
        check(report.message.isEmpty());
    }
    if (outcome.timedOut)
        check(report.category == ErrorCategory::Timeout);

    const int line = omega::scriptLineFromTraceback(outcome.stderrText, outcome.scriptPathInJob);
    check(line >= 0);
    check(omega::scriptLineFromTraceback(outcome.stderrText, QString()) == 0);
    return 0;
}
