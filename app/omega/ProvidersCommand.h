#pragma once

#include <QStringList>

namespace omega::cli {

// omega providers list|test NAME|add NAME --type T …|remove NAME
int runProviders(const QStringList& arguments);
// omega keys set PROVIDER (key on stdin) | keys delete PROVIDER
int runKeys(const QStringList& arguments);

} // namespace omega::cli
