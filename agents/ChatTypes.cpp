#include "ChatTypes.h"

namespace omega {

QString finishReasonName(FinishReason reason) {
    switch (reason) {
    case FinishReason::Unknown:
        return QStringLiteral("unknown");
    case FinishReason::Stop:
        return QStringLiteral("stop");
    case FinishReason::MaxTokens:
        return QStringLiteral("max-tokens");
    case FinishReason::ContentFiltered:
        return QStringLiteral("content-filtered");
    case FinishReason::PromptBlocked:
        return QStringLiteral("prompt-blocked");
    case FinishReason::Other:
        return QStringLiteral("other");
    }
    return QStringLiteral("unknown");
}

} // namespace omega
