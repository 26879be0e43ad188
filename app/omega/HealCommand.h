#pragma once

#include "HealingPipeline.h"

#include <QCommandLineParser>
#include <QJsonObject>

namespace omega::cli {

// --heal and its options, shared by `omega render` and `omega generate --render`.
class HealOptionParser {
public:
    void addTo(QCommandLineParser& parser);
    bool healRequested(const QCommandLineParser& parser) const;
    // ExitOk and `options` filled (providers not yet: the caller adds them with their keys).
    int read(const QCommandLineParser& parser, bool json, HealingOptions* options) const;
};

// Runs the healing loop to completion. On success with a changed script, writes it back to
// options.scriptPath (keeping FILE.bak). Prints progress and the attempts on stderr, the
// outputs on stdout (or one JSON object with `json`; `extra` is merged into it).
int runHealJob(const RenderOptions& options, const HealingOptions& healing, bool json,
               const QJsonObject& extra = {});

} // namespace omega::cli
