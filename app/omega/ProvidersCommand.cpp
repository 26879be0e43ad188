#include "ProvidersCommand.h"

#include "CliCommon.h"
#include "KeyStore.h"
#include "ProviderCli.h"
#include "ProviderSettings.h"
#include "ProviderTester.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonArray>
#include <QNetworkAccessManager>

#include <cstdio>
#include <termios.h>
#include <unistd.h>

namespace omega::cli {

namespace {

QJsonObject providerJson(const ProviderConfig& c) {
    return {{QStringLiteral("name"), c.name},
            {QStringLiteral("type"), providerTypeName(c.type)},
            {QStringLiteral("endpoint"), c.endpoint},
            {QStringLiteral("deployment"), c.deployment},
            {QStringLiteral("model"), c.model},
            {QStringLiteral("api_version"), c.apiVersion},
            {QStringLiteral("priority"), c.priority},
            {QStringLiteral("enabled"), c.enabled}};
}

int list(bool json) {
    const QList<ProviderConfig> providers = ProviderSettings::load();
    int exitCode = ExitOk;
    lookUpKeys(providers, true, [&](const QHash<QString, QString>& keys, const QStringList& notes) {
        if (json) {
            QJsonArray array;
            for (const ProviderConfig& c : providers) {
                QJsonObject o = providerJson(c);
                o.insert(QStringLiteral("has_key"), keys.contains(c.name));
                array.append(o);
            }
            printJson({{QStringLiteral("status"), QStringLiteral("ok")},
                       {QStringLiteral("providers"), array},
                       {QStringLiteral("notes"), QJsonArray::fromStringList(notes)}});
        } else if (providers.isEmpty()) {
            out() << "No providers configured. Add one, e.g.:\n"
                     "  omega providers add gemini --type gemini && omega keys set gemini\n"
                     "  omega providers add local --type openai-compatible --endpoint "
                     "http://localhost:11434/v1 "
                     "--model llama3.1\n";
        } else {
            for (const ProviderConfig& c : providers) {
                const QString key = keys.contains(c.name)
                                        ? QStringLiteral("key ok")
                                        : (providerRequiresKey(c.type) ? QStringLiteral("NO KEY")
                                                                       : QStringLiteral("no key"));
                out() << QStringLiteral("%1 %2 %3 %4 %5 priority %6%7\n")
                             .arg(c.name.leftJustified(14),
                                  providerTypeName(c.type).leftJustified(18),
                                  (c.model.isEmpty() ? c.deployment : c.model).leftJustified(22),
                                  c.endpoint.leftJustified(40), key.leftJustified(7))
                             .arg(c.priority)
                             .arg(c.enabled ? QString() : QStringLiteral(" (disabled)"));
            }
            for (const QString& note : notes)
                out() << "note: " << note << '\n';
        }
        out().flush();
        QCoreApplication::exit(exitCode);
    });
    QCoreApplication::exec();
    return exitCode;
}

int test(const QCommandLineParser& parser, bool json) {
    ProviderOptionParser providerOptions;
    QList<ProviderConfig> providers;
    if (const int code = providerOptions.read(parser, json, &providers); code != ExitOk)
        return code;
    if (providers.isEmpty())
        return usageError(
            QStringLiteral("No provider to test."), json,
            QStringLiteral("omega providers test NAME, or add one with omega providers add."));
    const ProviderConfig config = providers.first();
    QNetworkAccessManager network;
    ProviderTester tester(&network);
    int exitCode = ExitFailed;
    QObject::connect(&tester, &ProviderTester::finished, &tester,
                     [&](const AgentResult& result, const QString& detail) {
                         exitCode = exitCodeFor(result);
                         if (json) {
                             QJsonObject o{
                                 {QStringLiteral("status"), statusName(result.status)},
                                 {QStringLiteral("provider"), providerJson(config)},
                                 {QStringLiteral("detail"), detail},
                                 {QStringLiteral("elapsed_ms"), result.timings.elapsedMs}};
                             if (!result.ok())
                                 o.insert(QStringLiteral("error"), errorJson(result.error));
                             printJson(o);
                         } else if (result.ok()) {
                             out() << config.name << ": OK (" << detail << ")\n";
                             out().flush();
                         } else {
                             printError(result.error);
                         }
                         QCoreApplication::exit(exitCode);
                     });
    lookUpKeys({config}, json, [&](const QHash<QString, QString>& keys, const QStringList&) {
        tester.test(config, keys.value(config.name));
    });
    QCoreApplication::exec();
    return exitCode;
}

int add(const QCommandLineParser& parser, const QString& name, bool json) {
    const auto type = providerTypeFromName(parser.value(QStringLiteral("type")));
    if (!type)
        return usageError(
            QStringLiteral("--type must be one of gemini, azure-openai, openai, anthropic, "
                           "openai-compatible."),
            json);
    QList<ProviderConfig> providers = ProviderSettings::load();
    ProviderConfig config = defaultProviderConfig(*type, name);
    for (const ProviderConfig& existing : providers) {
        if (existing.name == name && existing.type == *type)
            config = existing; // update in place
    }
    if (parser.isSet(QStringLiteral("endpoint")))
        config.endpoint = parser.value(QStringLiteral("endpoint"));
    if (parser.isSet(QStringLiteral("model")))
        config.model = parser.value(QStringLiteral("model"));
    if (parser.isSet(QStringLiteral("deployment")))
        config.deployment = parser.value(QStringLiteral("deployment"));
    if (parser.isSet(QStringLiteral("api-version")))
        config.apiVersion = parser.value(QStringLiteral("api-version"));
    if (parser.isSet(QStringLiteral("priority")))
        config.priority = parser.value(QStringLiteral("priority")).toInt();
    config.enabled = !parser.isSet(QStringLiteral("disabled"));
    const QString problem = validateProviderConfig(config);
    if (!problem.isEmpty())
        return usageError(QStringLiteral("Provider %1: %2").arg(name, problem), json);
    providers.erase(std::remove_if(providers.begin(), providers.end(),
                                   [&](const ProviderConfig& p) { return p.name == name; }),
                    providers.end());
    providers << config;
    QString error;
    if (!ProviderSettings::save(providers, &error))
        return usageError(error, json,
                          QStringLiteral("Check OMEGA_CONFIG_DIR / ~/.config permissions."));
    if (json)
        printJson({{QStringLiteral("status"), QStringLiteral("ok")},
                   {QStringLiteral("provider"), providerJson(config)}});
    else
        out() << "saved " << name << " in " << ProviderSettings::settingsFile()
              << (providerRequiresKey(config.type)
                      ? QStringLiteral("; now: omega keys set %1\n").arg(name)
                      : QStringLiteral("\n"));
    return ExitOk;
}

int removeProvider(const QString& name, bool json) {
    QList<ProviderConfig> providers = ProviderSettings::load();
    const auto before = providers.size();
    providers.erase(std::remove_if(providers.begin(), providers.end(),
                                   [&](const ProviderConfig& p) { return p.name == name; }),
                    providers.end());
    if (providers.size() == before)
        return usageError(QStringLiteral("No provider named \"%1\".").arg(name), json);
    QString error;
    if (!ProviderSettings::save(providers, &error))
        return usageError(error, json);
    if (json)
        printJson({{QStringLiteral("status"), QStringLiteral("ok")}});
    else
        out() << "removed " << name << " (its key stays in the keychain: omega keys delete " << name
              << ")\n";
    return ExitOk;
}

// Reads one line from stdin without echoing it on a terminal.
QString readSecretLine() {
    termios saved{};
    const bool terminal = ::isatty(STDIN_FILENO) == 1 && ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (terminal) {
        err() << "API key (not shown): ";
        err().flush();
        termios quiet = saved;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    QTextStream in(stdin);
    const QString line = in.readLine();
    if (terminal) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        err() << '\n';
    }
    return line.trimmed();
}

} // namespace

int runProviders(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Manage AI providers: list | test NAME | add NAME --type TYPE [...] | remove NAME"));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("ACTION"),
                                 QStringLiteral("list, test, add or remove."));
    parser.addPositionalArgument(QStringLiteral("NAME"), QStringLiteral("Provider name."),
                                 QStringLiteral("[NAME]"));
    ProviderOptionParser providerOptions;
    providerOptions.addTo(parser);
    parser.addOptions(
        {{QStringLiteral("type"), QStringLiteral("add: provider type."), QStringLiteral("TYPE")},
         {QStringLiteral("priority"), QStringLiteral("add: lower goes first."),
          QStringLiteral("N")},
         {QStringLiteral("disabled"), QStringLiteral("add: keep it but do not use it.")},
         {QStringLiteral("json"), QStringLiteral("Print JSON.")}});
    if (!parser.parse(arguments))
        return usageError(parser.errorText(), arguments.contains(QStringLiteral("--json")));
    if (parser.isSet(QStringLiteral("help"))) {
        out() << parser.helpText();
        return ExitOk;
    }
    const bool json = parser.isSet(QStringLiteral("json"));
    const QStringList args = parser.positionalArguments();
    const QString action = args.value(0, QStringLiteral("list"));
    if (action == QLatin1String("list") && args.size() <= 1)
        return list(json);
    if (action == QLatin1String("test") && args.size() == 2) {
        QStringList withProvider = arguments;
        withProvider << QStringLiteral("--provider") << args.at(1);
        QCommandLineParser again; // re-read with --provider NAME so the overrides apply to it
        again.addHelpOption();
        again.addPositionalArgument(QStringLiteral("ACTION"), {});
        providerOptions.addTo(again);
        again.addOptions({{QStringLiteral("type"), {}, QStringLiteral("TYPE")},
                          {QStringLiteral("priority"), {}, QStringLiteral("N")},
                          {QStringLiteral("disabled"), {}},
                          {QStringLiteral("json"), {}}});
        if (!again.parse(withProvider))
            return usageError(again.errorText(), json);
        return test(again, json);
    }
    if (action == QLatin1String("add") && args.size() == 2)
        return add(parser, args.at(1), json);
    if (action == QLatin1String("remove") && args.size() == 2)
        return removeProvider(args.at(1), json);
    return usageError(
        QStringLiteral(
            "Usage: omega providers list | test NAME | add NAME --type TYPE | remove NAME"),
        json);
}

int runKeys(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Store API keys in the OS keychain: keys set PROVIDER (the key is read from stdin) | "
        "keys delete PROVIDER"));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("ACTION"), QStringLiteral("set or delete."));
    parser.addPositionalArgument(QStringLiteral("PROVIDER"), QStringLiteral("Provider name."));
    if (!parser.parse(arguments))
        return usageError(parser.errorText(), false);
    if (parser.isSet(QStringLiteral("help"))) {
        out() << parser.helpText();
        return ExitOk;
    }
    const QStringList args = parser.positionalArguments();
    if (args.size() != 2 ||
        (args.at(0) != QLatin1String("set") && args.at(0) != QLatin1String("delete")))
        return usageError(
            QStringLiteral("Usage: omega keys set PROVIDER | omega keys delete PROVIDER"), false,
            QStringLiteral("The key is read from stdin, never from the command line."));
    const QString provider = args.at(1);
    KeyStore store;
    int exitCode = ExitFailed;
    auto done = [&exitCode](const QString&, bool ok, const QString& message) {
        exitCode = ok ? ExitOk : ExitEnvironment;
        (ok ? out() : err()) << message << '\n';
        if (!ok)
            err() << "  hint: the keychain (Secret Service) must be running and unlocked; without "
                     "one, "
                     "set the provider's environment variable (e.g. OPENAI_API_KEY) instead.\n";
        out().flush();
        err().flush();
        QCoreApplication::exit(exitCode);
    };
    QObject::connect(&store, &KeyStore::stored, &store, done);
    QObject::connect(&store, &KeyStore::removed, &store, done);
    if (args.at(0) == QLatin1String("set")) {
        const QString key = readSecretLine();
        if (key.isEmpty())
            return usageError(QStringLiteral("No key on stdin."), false,
                              QStringLiteral("printf %s \"$KEY\" | omega keys set PROVIDER"));
        store.store(provider, key);
    } else {
        store.remove(provider);
    }
    QCoreApplication::exec();
    return exitCode;
}

} // namespace omega::cli
