#include "Scenario.h"

#include <array>
#include <utility>

namespace omega::fake {

namespace {

constexpr std::array<std::pair<Scenario, const char*>, 22> kScenarios{{
    {Scenario::Success, "success"},
    {Scenario::Split, "split"},
    {Scenario::Crlf, "crlf"},
    {Scenario::SlowDrip, "slow-drip"},
    {Scenario::PromptBlocked, "prompt-blocked"},
    {Scenario::OutputBlocked, "output-blocked"},
    {Scenario::Truncated, "truncated"},
    {Scenario::BadKey, "bad-key"},
    {Scenario::Forbidden, "forbidden"},
    {Scenario::NotFound, "not-found"},
    {Scenario::RateLimit, "rate-limit"},
    {Scenario::Quota, "quota"},
    {Scenario::ServerError, "server-error"},
    {Scenario::Unavailable, "unavailable"},
    {Scenario::Overloaded, "overloaded"},
    {Scenario::ErrorAfter200, "error-after-200"},
    {Scenario::DropMidStream, "drop-mid-stream"},
    {Scenario::NeverAnswer, "never-answer"},
    {Scenario::HtmlError, "html-error"},
    {Scenario::InvalidJson, "invalid-json"},
    {Scenario::NoCode, "no-code"},
    {Scenario::EmptyDeltas, "empty-deltas"},
}};

} // namespace

QString scenarioName(Scenario scenario) {
    for (const auto& [value, name] : kScenarios) {
        if (value == scenario)
            return QString::fromLatin1(name);
    }
    return {};
}

std::optional<Scenario> scenarioFromName(const QString& name) {
    for (const auto& [value, text] : kScenarios) {
        if (name == QLatin1String(text))
            return value;
    }
    return std::nullopt;
}

QStringList scenarioNames() {
    QStringList names;
    for (const auto& entry : kScenarios)
        names << QString::fromLatin1(entry.second);
    return names;
}

bool isErrorScenario(Scenario scenario) {
    switch (scenario) {
    case Scenario::BadKey:
    case Scenario::Forbidden:
    case Scenario::NotFound:
    case Scenario::RateLimit:
    case Scenario::Quota:
    case Scenario::ServerError:
    case Scenario::Unavailable:
    case Scenario::Overloaded:
    case Scenario::HtmlError:
        return true;
    default:
        return false;
    }
}

} // namespace omega::fake
