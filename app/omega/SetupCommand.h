#pragma once

#include <QStringList>

namespace omega::cli {

// omega setup [--json] [--force] [--check] [--requirements FILE] [--timeout SEC]: creates the
// render environment (RenderEnvironmentAgent), or with --check only says whether it is ready.
int runSetup(const QStringList& arguments);

} // namespace omega::cli
