#pragma once

#include <QStringList>

namespace omega::cli {

// omega scenes FILE [--json]
int runScenes(const QStringList& arguments);

} // namespace omega::cli
