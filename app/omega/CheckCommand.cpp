#include "CheckCommand.h"

#include "CliCommon.h"
#include "ScriptGate.h"
#include "UnifiedDiff.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QSaveFile>
#include <QStringDecoder>

namespace omega::cli {

namespace {

struct FixOutcome {
    bool written = false;
    QString fixedFile;
    QString backupFile;
    QString error; // non-empty when writing failed
};

bool saveBytes(const QString& path, const QByteArray& bytes, QString* error) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        *error = QStringLiteral("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

// Writes the fixed script over `path`, keeping the original as path.bak. Line endings and a
// BOM are kept as the original had them.
FixOutcome writeFix(const QString& path, const QByteArray& original, const QString& fixed) {
    FixOutcome outcome;
    QString text = fixed;
    if (original.contains("\r\n"))
        text.replace(QLatin1Char('\n'), QLatin1String("\r\n"));
    QByteArray bytes = text.toUtf8();
    if (original.startsWith("\xEF\xBB\xBF"))
        bytes.prepend("\xEF\xBB\xBF");
    if (bytes == original)
        return outcome;
    const QString backup = path + QStringLiteral(".bak");
    if (!saveBytes(backup, original, &outcome.error) || !saveBytes(path, bytes, &outcome.error))
        return outcome;
    QFile::setPermissions(backup, QFileInfo(path).permissions());
    outcome.written = true;
    outcome.fixedFile = QFileInfo(path).absoluteFilePath();
    outcome.backupFile = QFileInfo(backup).absoluteFilePath();
    return outcome;
}

QString indented(const QString& marker, const QString& text) {
    QString out;
    for (const QString& line : text.split(QLatin1Char('\n')))
        out += QStringLiteral("    %1 %2\n").arg(marker, line);
    return out;
}

QJsonObject reportJson(const GateReport& report, const QString& file, bool ready, bool fixed,
                       const FixOutcome& fix, const QString& diff) {
    QJsonArray rewrites;
    for (const GateRewrite& r : report.rewrites)
        rewrites.append(QJsonObject{{QStringLiteral("rule"), r.rule},
                                    {QStringLiteral("line"), r.line},
                                    {QStringLiteral("before"), r.before},
                                    {QStringLiteral("after"), r.after},
                                    {QStringLiteral("message"), r.message}});
    QJsonArray findings;
    for (const GateFinding& f : report.findings)
        findings.append(
            QJsonObject{{QStringLiteral("kind"), f.kind},
                        {QStringLiteral("severity"),
                         f.isError() ? QStringLiteral("error") : QStringLiteral("warning")},
                        // the line in FILE as it is now: fixed when --fix wrote it
                        {QStringLiteral("line"), fix.written ? f.fixedLine : f.line},
                        {QStringLiteral("fixed_line"), f.fixedLine},
                        {QStringLiteral("column"), f.column},
                        {QStringLiteral("message"), f.message},
                        {QStringLiteral("suggestions"), QJsonArray::fromStringList(f.suggestions)},
                        {QStringLiteral("name"), f.name}});
    QJsonArray scenes;
    for (const SceneInfo& s : report.scenes)
        scenes.append(QJsonObject{{QStringLiteral("name"), s.name},
                                  {QStringLiteral("line"), s.line},
                                  {QStringLiteral("bases"), QJsonArray::fromStringList(s.bases)}});
    QJsonObject object{
        {QStringLiteral("status"), ready ? QStringLiteral("ok") : QStringLiteral("failed")},
        {QStringLiteral("file"), file},
        {QStringLiteral("ready"), ready},
        {QStringLiteral("fix"), fixed},
        {QStringLiteral("extracted"), report.extracted},
        {QStringLiteral("syntax_ok"), report.syntaxOk},
        {QStringLiteral("rewrites"), rewrites},
        {QStringLiteral("findings"), findings},
        {QStringLiteral("scenes"), scenes},
        {QStringLiteral("fixed_file"), fix.written ? QJsonValue(fix.fixedFile) : QJsonValue()},
        {QStringLiteral("backup_file"), fix.written ? QJsonValue(fix.backupFile) : QJsonValue()},
        {QStringLiteral("diff"), diff},
        {QStringLiteral("manim_version"), report.manimVersion},
        {QStringLiteral("names_source"), report.namesSource},
        {QStringLiteral("api_check"), report.apiCheck},
        {QStringLiteral("elapsed_ms"), report.elapsedMs}};
    if (!report.apiNote.isEmpty())
        object.insert(QStringLiteral("api_note"), report.apiNote);
    if (!report.result.ok())
        object.insert(QStringLiteral("error"), errorJson(report.result.error));
    else if (!fix.error.isEmpty())
        object.insert(QStringLiteral("error"),
                      QJsonObject{{QStringLiteral("category"), QStringLiteral("internal")},
                                  {QStringLiteral("message"), fix.error}});
    return object;
}

void printHuman(const GateReport& report, const QString& file, bool fixMode, const FixOutcome& fix,
                const QString& diff, bool ready) {
    QTextStream& o = out();
    if (fixMode && !diff.isEmpty())
        o << diff;
    for (const GateRewrite& r : report.rewrites) {
        o << file << ':' << r.line << ": " << (fixMode ? "fixed" : "fix") << " [" << r.rule << "] "
          << r.message << '\n';
        if (!fixMode) {
            if (!r.before.isEmpty())
                o << indented(QStringLiteral("-"), r.before);
            o << indented(QStringLiteral("+"), r.after);
        }
    }
    for (const GateFinding& f : report.findings) {
        const int line = fix.written ? f.fixedLine : f.line;
        o << file << ':' << line;
        if (f.column > 0)
            o << ':' << f.column;
        o << ": " << (f.isError() ? "error" : "warning") << " [" << f.kind << "] " << f.message
          << '\n';
    }
    if (!report.apiNote.isEmpty())
        o << file << ": note: " << report.apiNote << '\n';

    const int errors = int(report.errors().size());
    const int warnings = int(report.warnings().size());
    QStringList parts;
    if (!report.rewrites.isEmpty()) {
        if (fix.written)
            parts << QStringLiteral("%1 fix(es) applied (original kept in %2)")
                         .arg(report.rewrites.size())
                         .arg(QFileInfo(fix.backupFile).fileName());
        else if (!fixMode)
            parts << QStringLiteral("%1 fix(es) to apply (omega check --fix)")
                         .arg(report.rewrites.size());
    }
    if (errors > 0)
        parts << QStringLiteral("%1 error(s)").arg(errors);
    if (warnings > 0)
        parts << QStringLiteral("%1 warning(s)").arg(warnings);
    QString verdict;
    if (ready) {
        QStringList names;
        for (const SceneInfo& s : report.scenes)
            names << s.name;
        verdict = QStringLiteral("ready to render (%1)").arg(names.join(QLatin1String(", ")));
    } else {
        verdict = QStringLiteral("not ready to render");
    }
    parts << verdict;
    o << file << ": " << parts.join(QLatin1String("; ")) << '\n';
    o.flush();
}

} // namespace

int runCheck(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Check a Manim script before rendering it, without running it: syntax, scenes, known "
        "mistakes (old ManimGL names, missing import, …) and names, attributes and keyword "
        "arguments unknown to the installed Manim. FILE may also be a pasted AI answer "
        "(prose and fenced code).\n"
        "Exit 0 when FILE is ready to render (after the fixes with --fix), 1 when problems "
        "remain or rewrites are needed, 2 usage error, 3 environment problem."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("FILE"),
                                 QStringLiteral("A Manim CE script (.py) or a pasted answer."));
    const QCommandLineOption fixOpt(
        QStringLiteral("fix"),
        QStringLiteral("Apply the rewrites to FILE (the original is kept as FILE.bak) and print "
                       "a unified diff."));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("Print JSON."));
    parser.addOption(fixOpt);
    parser.addOption(jsonOpt);
    if (!parser.parse(arguments))
        return usageError(parser.errorText(), arguments.contains(QStringLiteral("--json")));
    if (parser.isSet(QStringLiteral("help"))) {
        out() << parser.helpText();
        return ExitOk;
    }
    const bool json = parser.isSet(jsonOpt);
    const bool fixMode = parser.isSet(fixOpt);
    if (parser.positionalArguments().size() != 1)
        return usageError(QStringLiteral("omega check takes exactly one FILE."), json);
    const QString file = parser.positionalArguments().first();
    const QFileInfo info(file);
    if (!info.exists())
        return usageError(QStringLiteral("No such file: %1").arg(file), json,
                          QStringLiteral("Check the path."));
    if (info.isDir())
        return usageError(QStringLiteral("%1 is a folder, not a script.").arg(file), json,
                          QStringLiteral("Give the path of a .py file."));
    QFile input(file);
    if (!input.open(QIODevice::ReadOnly))
        return usageError(QStringLiteral("Cannot read %1: %2").arg(file, input.errorString()), json,
                          QStringLiteral("Check the file's permissions."));
    const QByteArray original = input.readAll();
    input.close();
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = decoder(original);
    if (decoder.hasError() || original.contains('\0'))
        return usageError(QStringLiteral("%1 is not a text file (not UTF-8).").arg(file), json,
                          QStringLiteral("Give a UTF-8 Python file."));

    ScriptGate gate;
    int exitCode = ExitFailed;
    QObject::connect(&gate, &ScriptGate::finished, &gate, [&](const GateReport& report) {
        if (!report.result.ok()) {
            exitCode = exitCodeFor(report.result);
            if (json)
                printJson(reportJson(report, file, false, fixMode, {}, {}));
            else
                printError(report.result.error);
            QCoreApplication::exit(exitCode);
            return;
        }
        FixOutcome fix;
        if (fixMode)
            fix = writeFix(file, original, report.fixedSource);
        const QString name = info.fileName();
        const QString diff = unifiedDiff(prepareGateInput(text).source, report.fixedSource,
                                         QStringLiteral("a/") + name, QStringLiteral("b/") + name);
        const bool ready =
            fixMode ? report.readyAfterFixes() && fix.error.isEmpty() : report.readyAsIs();
        exitCode = ready ? ExitOk : ExitFailed;
        if (json) {
            printJson(reportJson(report, file, ready, fixMode, fix, diff));
        } else {
            printHuman(report, file, fixMode, fix, diff, ready);
            if (!fix.error.isEmpty()) {
                err() << "error: " << fix.error << '\n';
                err().flush();
            }
        }
        QCoreApplication::exit(exitCode);
    });
    onInterrupt([&gate] {
        gate.cancel();
        err() << "\ncancelled\n";
        QCoreApplication::exit(ExitFailed);
    });
    gate.check(text, info.fileName());
    QCoreApplication::exec();
    return exitCode;
}

} // namespace omega::cli
