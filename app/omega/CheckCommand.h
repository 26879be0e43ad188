#pragma once

#include <QStringList>

namespace omega::cli {

// omega check FILE [--fix] [--json]: the pre-render gate (no AI). Exit 0 when FILE is ready
// to render (after the fixes with --fix), 1 when problems remain (or, without --fix, when
// rewrites are needed), 2 usage, 3 environment.
int runCheck(const QStringList& arguments);

} // namespace omega::cli
