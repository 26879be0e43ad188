#pragma once

#include "ManimExecutionAgent.h"

#include <QCommandLineParser>
#include <QJsonObject>
#include <QStringList>

namespace omega::cli {

// The render options shared by `omega render` and `omega generate --render`.
class RenderOptionParser {
public:
    void addTo(QCommandLineParser& parser, bool withSceneSelection);
    // ExitOk and `options` filled, or an exit code after printing the usage error.
    int read(const QCommandLineParser& parser, bool json, RenderOptions* options) const;

private:
    QList<QCommandLineOption> options_;
};

// Runs one render job to completion with progress on stderr; prints the result unless
// `quiet` (then the caller prints `result`). Returns the exit code.
int runRenderJob(const RenderOptions& options, bool json, RenderResult* result, bool quiet = false);
QJsonObject renderResultJson(const RenderResult& result);

// omega render FILE [--scene NAME | --all] [--quality l|m|h|p|k] [--format …] …
int runRender(const QStringList& arguments);

} // namespace omega::cli
