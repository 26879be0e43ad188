// BaseAgent, Logger and Redactor: structured records, rotation, listeners, no secret leaks.
#include "BaseAgent.h"
#include "Logger.h"
#include "Redactor.h"

#include <QFile>
#include <QRegularExpression>
#include <QSet>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace omega;

namespace {
class ProbeAgent : public BaseAgent {
public:
    ProbeAgent()
        : BaseAgent(QStringLiteral("ProbeAgent")) {}
    using BaseAgent::info;
    using BaseAgent::log;
};

QString readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
}
} // namespace

class TestBaseAgent : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() {
        QVERIFY(dir_.isValid());
        Redactor::instance().clearSecrets();
        Logger::instance().setMinimumLevel(LogLevel::Debug);
        // A fresh file per test function.
        Logger::instance().setLogFile(dir_.filePath(
            QStringLiteral("logs/%1.log").arg(QLatin1String(QTest::currentTestFunction()))));
    }
    void cleanup() { Logger::instance().setLogFile(QString()); }

    void jobIdsAreUniqueAndSortable() {
        QSet<QString> ids;
        QString previous;
        for (int i = 0; i < 500; ++i) {
            const QString id = BaseAgent::newJobId();
            QVERIFY2(QRegularExpression(QStringLiteral("^\\d{8}-\\d{6}-\\d{3}-[0-9a-f]{6}$"))
                         .match(id)
                         .hasMatch(),
                     qPrintable(id));
            QVERIFY(!ids.contains(id));
            QVERIFY(previous.left(19) <= id.left(19));
            ids.insert(id);
            previous = id;
        }
    }

    void recordsReachListenersAndFile() {
        ProbeAgent agent;
        QSignalSpy spy(&Logger::instance(), &Logger::recordAdded);
        agent.info(QStringLiteral("job-1"), QStringLiteral("hello world"));
        QCOMPARE(spy.count(), 1);
        const auto record = spy.first().first().value<LogRecord>();
        QCOMPARE(record.agent, QStringLiteral("ProbeAgent"));
        QCOMPARE(record.jobId, QStringLiteral("job-1"));
        QCOMPARE(record.level, LogLevel::Info);
        QCOMPARE(record.message, QStringLiteral("hello world"));
        QVERIFY(record.time.isValid());
        const QString text = readAll(Logger::instance().logFile());
        QVERIFY2(
            QRegularExpression(
                QStringLiteral(
                    "^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z INFO ProbeAgent \\[job-1\\] hello world\\n$"))
                .match(text)
                .hasMatch(),
            qPrintable(text));
    }

    void minimumLevelFilters() {
        ProbeAgent agent;
        Logger::instance().setMinimumLevel(LogLevel::Warning);
        QSignalSpy spy(&Logger::instance(), &Logger::recordAdded);
        agent.log(LogLevel::Debug, {}, QStringLiteral("quiet"));
        agent.log(LogLevel::Info, {}, QStringLiteral("quiet"));
        agent.log(LogLevel::Error, {}, QStringLiteral("loud"));
        QCOMPARE(spy.count(), 1);
        QVERIFY(!readAll(Logger::instance().logFile()).contains(QStringLiteral("quiet")));
    }

    void multiLineMessagesStayOneRecord() {
        ProbeAgent agent;
        agent.info(QStringLiteral("j"), QStringLiteral("first\nsecond"));
        const QStringList lines = readAll(Logger::instance().logFile()).split(QLatin1Char('\n'));
        QCOMPARE(lines.size(), 3); // record line, indented continuation, trailing empty
        QVERIFY(lines.at(1).startsWith(QStringLiteral("    second")));
    }

    void rotates() {
        const QString path = dir_.filePath(QStringLiteral("rot/omega.log"));
        Logger::instance().setLogFile(path, 1000, 2);
        ProbeAgent agent;
        for (int i = 0; i < 100; ++i)
            agent.info({}, QStringLiteral("line %1 ").arg(i) + QString(40, QLatin1Char('x')));
        QVERIFY(QFile::exists(path));
        QVERIFY(QFile::exists(path + QStringLiteral(".1")));
        QVERIFY(QFile::exists(path + QStringLiteral(".2")));
        QVERIFY(!QFile::exists(path + QStringLiteral(".3")));
        QVERIFY(QFile(path).size() <= 1000 + 200);
        QVERIFY(readAll(path).contains(QStringLiteral("line 99")));
    }

    void registeredSecretsNeverLogged() {
        const QString key = QStringLiteral("my-very-secret-value-123");
        Redactor::instance().addSecret(key);
        ProbeAgent agent;
        QSignalSpy spy(&Logger::instance(), &Logger::recordAdded);
        agent.info({}, QStringLiteral("using key ") + key + QStringLiteral(" now"));
        const auto record = spy.first().first().value<LogRecord>();
        QVERIFY(!record.message.contains(key));
        QVERIFY(record.message.contains(Redactor::placeholder()));
        QVERIFY(!readAll(Logger::instance().logFile()).contains(key));
    }

    void secretShapesRedacted_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("secret");
        QTest::newRow("bearer") << QStringLiteral("Authorization: Bearer abcDEF123456789xyz")
                                << QStringLiteral("abcDEF123456789xyz");
        QTest::newRow("x-api-key") << QStringLiteral("x-api-key: sekrit-0123456789")
                                   << QStringLiteral("sekrit-0123456789");
        QTest::newRow("azure") << QStringLiteral("\"api-key\": \"azurekey0123456789\"")
                               << QStringLiteral("azurekey0123456789");
        QTest::newRow("google") << QStringLiteral("x-goog-api-key=AIzaSyA1234567890abcdefghijk")
                                << QStringLiteral("AIzaSyA1234567890abcdefghijk");
        QTest::newRow("query") << QStringLiteral("GET /v1beta/models?key=querykey123456&alt=sse")
                               << QStringLiteral("querykey123456");
        QTest::newRow("openai") << QStringLiteral(
                                       "the key sk-proj-ABCDEFGHIJKLMNOPQRSTUV was rejected")
                                << QStringLiteral("sk-proj-ABCDEFGHIJKLMNOPQRSTUV");
        QTest::newRow("env") << QStringLiteral("OPENAI_API_KEY=envkey-98765432 python")
                             << QStringLiteral("envkey-98765432");
    }
    void secretShapesRedacted() {
        QFETCH(QString, text);
        QFETCH(QString, secret);
        const QString clean = redact(text);
        QVERIFY2(!clean.contains(secret), qPrintable(clean));
        QVERIFY(clean.contains(Redactor::placeholder()));
    }

    void ordinaryTextUntouched() {
        const QString text =
            QStringLiteral("Animation 3: Create(Circle) 47% at line 12 in construct");
        QCOMPARE(redact(text), text);
    }

    void shortSecretsIgnored() {
        Redactor::instance().addSecret(QStringLiteral("abc"));
        QCOMPARE(redact(QStringLiteral("abc abc")), QStringLiteral("abc abc"));
    }

private:
    QTemporaryDir dir_;
};

QTEST_GUILESS_MAIN(TestBaseAgent)
#include "tst_baseagent.moc"
