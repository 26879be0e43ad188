#include "ErrorReport.h"

#include <array>
#include <utility>

namespace omega {

namespace {
constexpr std::array<std::pair<ErrorCategory, const char*>, 27> kNames{{
    {ErrorCategory::None, "none"},
    {ErrorCategory::Usage, "usage"},
    {ErrorCategory::Syntax, "syntax"},
    {ErrorCategory::MissingModule, "missing-module"},
    {ErrorCategory::MissingManimName, "missing-manim-name"},
    {ErrorCategory::Latex, "latex"},
    {ErrorCategory::NoScene, "no-scene"},
    {ErrorCategory::Timeout, "timeout"},
    {ErrorCategory::Killed, "killed"},
    {ErrorCategory::Cancelled, "cancelled"},
    {ErrorCategory::Environment, "environment"},
    {ErrorCategory::NoOutput, "no-output"},
    {ErrorCategory::CodeError, "code-error"},
    {ErrorCategory::Internal, "internal"},
    {ErrorCategory::NoProvider, "no-provider"},
    {ErrorCategory::ProviderAuth, "auth"},
    {ErrorCategory::ProviderQuota, "quota"},
    {ErrorCategory::ProviderRateLimited, "rate-limited"},
    {ErrorCategory::ProviderNotFound, "not-found"},
    {ErrorCategory::ProviderUnavailable, "provider-unavailable"},
    {ErrorCategory::ProviderBadResponse, "bad-response"},
    {ErrorCategory::ContentFiltered, "filtered"},
    {ErrorCategory::Truncated, "truncated"},
    {ErrorCategory::NoCode, "no-code"},
    {ErrorCategory::NoProgress, "no-progress"},
    {ErrorCategory::Sandbox, "sandbox"},
    {ErrorCategory::None, "ok"},
}};
} // namespace

QString categoryName(ErrorCategory category) {
    for (const auto& [value, name] : kNames) {
        if (value == category)
            return QString::fromLatin1(name);
    }
    return QStringLiteral("internal");
}

ErrorCategory categoryFromName(const QString& name) {
    for (const auto& [value, text] : kNames) {
        if (name == QLatin1String(text))
            return value;
    }
    return ErrorCategory::Internal;
}

bool isEnvironmentProblem(ErrorCategory category) {
    return category == ErrorCategory::Environment;
}

bool isProviderProblem(ErrorCategory category) {
    switch (category) {
    case ErrorCategory::NoProvider:
    case ErrorCategory::ProviderAuth:
    case ErrorCategory::ProviderQuota:
    case ErrorCategory::ProviderRateLimited:
    case ErrorCategory::ProviderNotFound:
    case ErrorCategory::ProviderUnavailable:
    case ErrorCategory::ProviderBadResponse:
    case ErrorCategory::ContentFiltered:
        return true;
    default:
        return false;
    }
}

} // namespace omega
