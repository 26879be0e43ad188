#pragma once

#include <QStringList>

namespace omega::cli {

// omega generate "PROMPT" [--provider …] [--output FILE.py] [--render …] [--json]
int runGenerate(const QStringList& arguments);

} // namespace omega::cli
