#pragma once

#include "AgentResult.h"

#include <QList>
#include <QMetaType>
#include <QString>

namespace omega {

struct ChatMessage {
    enum class Role { User, Assistant };
    Role role = Role::User;
    QString text;
};

// A provider-neutral request: a system prompt and a conversation.
struct ChatRequest {
    QString system;
    QList<ChatMessage> messages;
};

struct TokenUsage {
    int input = -1;
    int output = -1;
    int total = -1;
    bool known() const { return input >= 0 || output >= 0 || total >= 0; }
};

enum class FinishReason { Unknown, Stop, MaxTokens, ContentFiltered, PromptBlocked, Other };
QString finishReasonName(FinishReason reason);

// A failure as the provider described it, mapped to our categories.
struct ProviderFailure {
    ErrorCategory category = ErrorCategory::None;
    bool retryable = false;
    int retryAfterMs = -1; // from Retry-After / retryDelay / the message; -1 when not given
    int httpStatus = 0;
    QString providerCode; // "rate_limit_exceeded", "RESOURCE_EXHAUSTED", "overloaded_error", …
    QString message;      // the provider's own message (redacted before logging)
    bool isFailure() const { return category != ErrorCategory::None; }
};

// What a response decoder reads out of a (streamed or whole) successful response.
struct StreamEvent {
    enum class Kind { Text, Finish, Usage, Model, Failure };
    Kind kind = Kind::Text;
    QString text; // Text: a delta; Model: the model name the service reports
    FinishReason finish = FinishReason::Unknown;
    TokenUsage usage;
    ProviderFailure
        failure; // Failure: an error inside a 200 response (error event, blocked prompt…)
};

} // namespace omega

Q_DECLARE_METATYPE(omega::TokenUsage)
