// libFuzzer target: FenceStreamFilter on arbitrary text split at arbitrary points. Besides
// crashes, sanitizer reports and hangs, it checks the filter's promise: the concatenated output
// does not depend on where the deltas were cut (the first byte of the input picks the cut
// pattern), and it is always a substring of the answer when the answer has an opening fence.
#include "FenceStreamFilter.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using omega::FenceStreamFilter;

namespace {
void check(bool condition) {
    if (!condition)
        std::abort();
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1)
        return 0;
    const int step = 1 + data[0] % 16;
    const QString text =
        QString::fromUtf8(reinterpret_cast<const char*>(data + 1), qsizetype(size - 1));

    FenceStreamFilter whole;
    const QString once = whole.feed(text);

    FenceStreamFilter pieces;
    QString split;
    for (qsizetype at = 0; at < text.size(); at += step)
        split += pieces.feed(text.mid(at, step));

    check(split == once);
    check(once.isEmpty() || text.contains(once));
    return 0;
}
