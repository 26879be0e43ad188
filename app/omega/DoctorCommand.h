#pragma once

#include <QStringList>

namespace omega::cli {

// omega doctor [--json]: is everything rendering needs in place?
int runDoctor(const QStringList& arguments);

} // namespace omega::cli
