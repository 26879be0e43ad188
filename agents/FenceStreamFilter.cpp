#include "FenceStreamFilter.h"

#include <QRegularExpression>

namespace omega {

void FenceStreamFilter::reset() {
    state_ = State::Start;
    pending_.clear();
    midLine_ = false;
}

QString FenceStreamFilter::feed(const QString& delta) {
    static const QRegularExpression looksLikeCode(
        QStringLiteral("^(from |import |class |def |#|@)"));
    QString out;
    pending_ += delta;
    while (true) {
        switch (state_) {
        case State::Done:
            pending_.clear();
            return out;
        case State::Raw:
            out += pending_;
            pending_.clear();
            return out;
        case State::Start: {
            const int newline = pending_.indexOf(QLatin1Char('\n'));
            if (newline < 0) {
                // A long first line without a fence: not a fenced answer.
                if (pending_.size() > 4000)
                    state_ = State::Raw;
                else
                    return out;
                continue;
            }
            const QString line = pending_.left(newline).trimmed();
            if (line.startsWith(QLatin1String("```"))) {
                pending_.remove(0, newline + 1);
                state_ = State::InCode;
            } else if (looksLikeCode.match(line).hasMatch()) {
                state_ = State::Raw; // code without a fence
            } else {
                pending_.remove(0, newline + 1); // prose before the fence
            }
            continue;
        }
        case State::InCode: {
            const int newline = pending_.indexOf(QLatin1Char('\n'));
            if (newline < 0) {
                // Hold back what could still become a closing fence; pass the rest on now so the
                // editor follows the stream.
                const QString trimmed = pending_.trimmed();
                if (midLine_ || (!trimmed.isEmpty() && !trimmed.startsWith(QLatin1Char('`')))) {
                    out += pending_;
                    pending_.clear();
                    midLine_ = true;
                }
                return out;
            }
            const QString line = pending_.left(newline + 1);
            pending_.remove(0, newline + 1);
            if (!midLine_ && line.trimmed().startsWith(QLatin1String("```"))) {
                state_ = State::Done;
                continue;
            }
            out += line;
            midLine_ = false;
            continue;
        }
        }
    }
}

} // namespace omega
