#pragma once
// Shared helpers for the AI provider tests (tst_providerclient, tst_generation, tst_keystore,
// tst_cli_ai): provider configurations pointed at the fake provider server, where each
// provider expects its key, a child process runner that keeps this process's event loop
// turning (so an in-process fake server can answer the child), the fake server run as its
// own process, and a look at the kernel's TCP table.

#include "ChatTypes.h"
#include "ErrorReport.h"
#include "ProviderConfig.h"

#include <QByteArray>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QString>
#include <QStringList>
#include <QTimer>
#include <QUrl>

#include <memory>

namespace omega::aitest {

inline const QString kTestKey = QStringLiteral("test-key");

// The environment variables that hold provider keys: a child process starts without any of
// them unless a test sets one on purpose.
inline QStringList keyVariables() {
    QStringList names;
    for (ProviderType type : allProviderTypes())
        names << keyEnvironmentVariable(type);
    return names;
}

// One provider flavour the fake server speaks.
struct ProviderCase {
    QString id; // row name: gemini, azure-classic, azure-v1, openai, anthropic, openai-compatible
    ProviderType type = ProviderType::OpenAI;
    bool azureV1 = false;
};

inline QList<ProviderCase> providerCases() {
    return {{QStringLiteral("gemini"), ProviderType::Gemini, false},
            {QStringLiteral("azure-classic"), ProviderType::AzureOpenAI, false},
            {QStringLiteral("azure-v1"), ProviderType::AzureOpenAI, true},
            {QStringLiteral("openai"), ProviderType::OpenAI, false},
            {QStringLiteral("anthropic"), ProviderType::Anthropic, false},
            {QStringLiteral("openai-compatible"), ProviderType::OpenAICompatible, false}};
}

inline ProviderCase providerCase(const QString& id) {
    for (const ProviderCase& c : providerCases()) {
        if (c.id == id)
            return c;
    }
    return {};
}

// The endpoint for `type` as the SDKs take it, on the fake server at `base`.
inline QString endpointFor(ProviderType type, const QUrl& base) {
    const QString root = base.toString(QUrl::StripTrailingSlash);
    return type == ProviderType::OpenAI || type == ProviderType::OpenAICompatible
               ? root + QStringLiteral("/v1")
               : root;
}

// A configuration of `c` against the fake at `base`, with short waits so tests stay quick.
inline ProviderConfig configFor(const ProviderCase& c, const QUrl& base) {
    ProviderConfig config = defaultProviderConfig(c.type, QStringLiteral("fake-") + c.id);
    config.endpoint = endpointFor(c.type, base);
    switch (c.type) {
    case ProviderType::Gemini:
        config.model = QStringLiteral("gemini-test");
        break;
    case ProviderType::AzureOpenAI:
        config.deployment = QStringLiteral("gpt-test-deployment");
        config.model.clear();
        config.apiVersion = c.azureV1 ? QString() : QStringLiteral("2024-10-21");
        break;
    case ProviderType::OpenAI:
        config.model = QStringLiteral("gpt-test");
        break;
    case ProviderType::Anthropic:
        config.model = QStringLiteral("claude-test");
        break;
    case ProviderType::OpenAICompatible:
        config.model = QStringLiteral("llama-test");
        break;
    }
    config.connectTimeoutMs = 10000;
    config.idleTimeoutMs = 10000;
    config.maxRetries = 2;
    config.maxRetryWaitMs = 100;
    return config;
}

// The header that carries the key, lower-case, and its expected value.
inline QByteArray keyHeaderName(ProviderType type) {
    switch (type) {
    case ProviderType::Gemini:
        return QByteArrayLiteral("x-goog-api-key");
    case ProviderType::AzureOpenAI:
        return QByteArrayLiteral("api-key");
    case ProviderType::Anthropic:
        return QByteArrayLiteral("x-api-key");
    case ProviderType::OpenAI:
    case ProviderType::OpenAICompatible:
        break;
    }
    return QByteArrayLiteral("authorization");
}

inline QByteArray keyHeaderValue(ProviderType type, const QString& key) {
    return keyHeaderName(type) == "authorization" ? "Bearer " + key.toUtf8() : key.toUtf8();
}

// The ```python block of an answer (the script the agent extracts), without the fences.
inline QString pythonBlock(const QString& answer) {
    static const QRegularExpression fence(QStringLiteral("```python\\n(.*?)```"),
                                          QRegularExpression::DotMatchesEverythingOption);
    return fence.match(answer).captured(1);
}

// ---- Child processes ----

struct ProcessRun {
    bool started = false;
    bool finishedInTime = false;
    int exitCode = -1;
    QProcess::ExitStatus exitStatus = QProcess::NormalExit;
    QByteArray out;
    QByteArray err;
    qint64 elapsedMs = 0;
    QStringList arguments;

    QJsonObject json() const {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(out, &error);
        return error.error == QJsonParseError::NoError && doc.isObject() ? doc.object()
                                                                         : QJsonObject();
    }
    QJsonObject error() const { return json().value(QLatin1String("error")).toObject(); }
    QString errorCategory() const { return error().value(QLatin1String("category")).toString(); }
    QByteArray describe() const {
        return "args: " + arguments.join(QLatin1Char(' ')).toUtf8() + "\nexit " +
               QByteArray::number(exitCode) + "\n--- stdout:\n" + out.right(3000) +
               "\n--- stderr:\n" + err.right(3000);
    }
};

// Runs PROGRAM ARGS with `input` on stdin (then closed), spinning this process's event loop
// while it runs: an in-process server keeps answering the child.
inline ProcessRun runProcess(const QString& program, const QStringList& args,
                             const QProcessEnvironment& env, const QByteArray& input = {},
                             int timeoutMs = 120000, const QString& workingDir = QString()) {
    ProcessRun run;
    run.arguments = args;
    QProcess process;
    process.setProgram(program);
    process.setArguments(args);
    process.setProcessEnvironment(env);
    if (!workingDir.isEmpty())
        process.setWorkingDirectory(workingDir);
    QEventLoop loop;
    QTimer timeout;
    timeout.setSingleShot(true);
    QObject::connect(&timeout, &QTimer::timeout, &loop, &QEventLoop::quit);
    QObject::connect(&process, &QProcess::finished, &loop, &QEventLoop::quit);
    QObject::connect(&process, &QProcess::errorOccurred, &loop, [&](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            loop.quit();
    });
    QElapsedTimer clock;
    clock.start();
    process.start();
    if (!process.waitForStarted(10000))
        return run;
    run.started = true;
    process.write(input);
    process.closeWriteChannel();
    timeout.start(timeoutMs);
    if (process.state() != QProcess::NotRunning)
        loop.exec();
    run.finishedInTime = process.state() == QProcess::NotRunning;
    if (!run.finishedInTime) {
        process.kill();
        process.waitForFinished(5000);
    }
    run.elapsedMs = clock.elapsed();
    run.exitCode = process.exitCode();
    run.exitStatus = process.exitStatus();
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

// ---- The fake provider server as its own process (omega-fake-provider) ----

class FakeProviderProcess {
public:
    ~FakeProviderProcess() { stop(); }

    bool start(const QString& binary) {
        process_.setProgram(binary);
        process_.setArguments({QStringLiteral("--port"), QStringLiteral("0")});
        process_.setProcessChannelMode(QProcess::SeparateChannels);
        process_.start();
        if (!process_.waitForStarted(10000))
            return false;
        QElapsedTimer clock;
        clock.start();
        QByteArray line;
        while (!line.contains('\n') && clock.elapsed() < 10000) {
            if (process_.waitForReadyRead(1000))
                line += process_.readAllStandardOutput();
            if (process_.state() == QProcess::NotRunning)
                return false;
        }
        static const QRegularExpression pattern(
            QStringLiteral("listening on (http://127\\.0\\.0\\.1:[0-9]+)"));
        const QRegularExpressionMatch m = pattern.match(QString::fromUtf8(line));
        if (!m.hasMatch())
            return false;
        base_ = QUrl(m.captured(1));
        return base_.isValid();
    }

    void stop() {
        if (process_.state() != QProcess::NotRunning) {
            process_.terminate();
            if (!process_.waitForFinished(5000)) {
                process_.kill();
                process_.waitForFinished(5000);
            }
        }
    }

    QUrl baseUrl() const { return base_; }

    // The control API (blocking; the fake is another process).
    bool reset() { return post(QStringLiteral("/_control/reset"), QJsonObject()); }
    bool setScenarios(const QStringList& queue,
                      const QString& defaultScenario = QStringLiteral("success")) {
        return post(QStringLiteral("/_control/scenarios"),
                    {{QStringLiteral("queue"), QJsonArray::fromStringList(queue)},
                     {QStringLiteral("default"), defaultScenario}});
    }
    bool setAnswer(const QString& text) {
        return post(QStringLiteral("/_control/answer"), {{QStringLiteral("text"), text}});
    }
    bool setConfig(const QJsonObject& partial) {
        return post(QStringLiteral("/_control/config"), partial);
    }
    bool setExpectedKey(const QString& key) {
        return setConfig({{QStringLiteral("expectedKey"), key}});
    }
    QJsonArray requests() {
        return QJsonDocument::fromJson(get(QStringLiteral("/_control/requests"))).array();
    }

private:
    QByteArray exchange(const QString& path, const QByteArray* body) {
        QUrl url = base_;
        url.setPath(path);
        QNetworkRequest request(url);
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
        QNetworkReply* reply = body ? network_.post(request, *body) : network_.get(request);
        QEventLoop loop;
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        QTimer::singleShot(10000, &loop, &QEventLoop::quit);
        if (!reply->isFinished())
            loop.exec();
        lastStatus_ = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray answer = reply->readAll();
        reply->deleteLater();
        return answer;
    }
    bool post(const QString& path, const QJsonObject& object) {
        const QByteArray body = QJsonDocument(object).toJson(QJsonDocument::Compact);
        exchange(path, &body);
        return lastStatus_ >= 200 && lastStatus_ < 300;
    }
    QByteArray get(const QString& path) { return exchange(path, nullptr); }

    QProcess process_;
    QUrl base_;
    QNetworkAccessManager network_;
    int lastStatus_ = 0;
};

// ---- Files ----

// Every regular file under `root` whose bytes contain `needle` (relative paths).
inline QStringList filesContaining(const QString& root, const QByteArray& needle) {
    QStringList hits;
    QDirIterator it(root, QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        QFile file(path);
        if (file.open(QIODevice::ReadOnly) && file.readAll().contains(needle))
            hits << QDir(root).relativeFilePath(path);
    }
    return hits;
}

inline int countFiles(const QString& root) {
    int n = 0;
    QDirIterator it(root, QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        ++n;
    }
    return n;
}

// ---- TCP ----

// The states ("01" ESTABLISHED, "08" CLOSE_WAIT, "0A" LISTEN, …) of this machine's IPv4 TCP
// sockets whose LOCAL port is `port` (/proc/net/tcp). For a server's port these are the
// server side's sockets: the listener and one per accepted connection.
inline QStringList tcpStatesOnLocalPort(quint16 port) {
    QStringList states;
    QFile file(QStringLiteral("/proc/net/tcp"));
    if (!file.open(QIODevice::ReadOnly))
        return states;
    const QList<QByteArray> lines = file.readAll().split('\n');
    const QByteArray wanted = QByteArray::number(port, 16).toUpper().rightJustified(4, '0');
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QList<QByteArray> fields = lines.at(i).simplified().split(' ');
        if (fields.size() < 4)
            continue;
        const QByteArray local = fields.at(1); // 0100007F:1F90
        if (local.mid(local.indexOf(':') + 1) == wanted)
            states << QString::fromLatin1(fields.at(3));
    }
    return states;
}

} // namespace omega::aitest
