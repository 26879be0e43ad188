#pragma once

#include "KeyStore.h"
#include "ProviderConfig.h"

#include <QCommandLineParser>
#include <QHash>

#include <functional>

namespace omega::cli {

// --provider/--model/--endpoint/--deployment/--api-version/--request-timeout, shared by
// `generate` and `providers test`.
class ProviderOptionParser {
public:
    void addTo(QCommandLineParser& parser);
    // The providers to try, in order: the one named by --provider (a configured name, or a
    // type with its defaults) with the overrides applied, else every enabled configured
    // provider by priority. ExitOk, or an exit code after printing the usage error.
    int read(const QCommandLineParser& parser, bool json, QList<ProviderConfig>* providers) const;
};

// Looks up the keys of `providers` (keychain, else environment), then calls `done` from the
// event loop with the keys by provider name and the notes (e.g. "the keychain is not
// reachable; using OPENAI_API_KEY"), which are also printed on stderr unless `quiet`.
void lookUpKeys(const QList<ProviderConfig>& providers, bool quiet,
                std::function<void(QHash<QString, QString> keys, QStringList notes)> done);

} // namespace omega::cli
