#pragma once

#include <QString>

namespace omega {

// Strips the Markdown fence around a streamed answer as it arrives, so an editor can show only
// the code while the model writes it: prose and the "```python" line before the code are
// dropped, and so is everything from the closing "```" line on. An answer that starts with
// code and no fence passes through unchanged. Pure and incremental: feed() the deltas in order,
// the concatenation of what it returns is the code so far. The final script still comes from
// CodeExtractor (which also handles answers with several blocks).
class FenceStreamFilter {
public:
    QString feed(const QString& delta);
    void reset();

private:
    enum class State { Start, InCode, Raw, Done };
    State state_ = State::Start;
    QString pending_;      // text not passed on yet (an incomplete line that may be a fence)
    bool midLine_ = false; // the last text passed on did not end a line
};

} // namespace omega
