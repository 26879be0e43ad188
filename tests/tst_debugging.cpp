// AIScriptDebuggingAgent against the fake provider: what it asks, what it accepts, and the
// original system's defect 1 (the AI's fix must be the script that comes back).
#include "AIScriptDebuggingAgent.h"
#include "FakeProviderServer.h"

#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace omega;

namespace {
const QString kBroken = QStringLiteral("from manim import *\n\nclass Demo(Scene):\n"
                                       "    def construct(self):\n"
                                       "        self.play(ShowCreation(Circle()))\n");
const QString kFixed = QStringLiteral("from manim import *\n\nclass Demo(Scene):\n"
                                      "    def construct(self):\n"
                                      "        self.play(Create(Circle()))\n");

QString fenced(const QString& code) {
    return QStringLiteral(
               "Here is the fix.\n\n```python\n%1```\n\nShowCreation is Create in Manim CE.")
        .arg(code);
}

FixRequest brokenRequest() {
    FixRequest request;
    request.script = kBroken;
    request.error.category = ErrorCategory::MissingManimName;
    request.error.message =
        QStringLiteral("The script uses the name 'ShowCreation', which is not defined");
    request.error.scriptLine = 5;
    request.error.detail = QStringLiteral("NameError: name 'ShowCreation' is not defined");
    request.gateFindings << QStringLiteral("line 5: unknown name ShowCreation (Create?)");
    FixAttempt earlier;
    earlier.number = 1;
    earlier.change = QStringLiteral("AI fix: replaced Circle with Dot");
    earlier.outcome.category = ErrorCategory::MissingManimName;
    earlier.outcome.message = QStringLiteral("still ShowCreation");
    request.history << earlier;
    return request;
}
} // namespace

class TestDebugging : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        qputenv("OMEGA_DATA_DIR", dataDir_.path().toUtf8());
        QVERIFY(server_.listen());
        provider_ = defaultProviderConfig(ProviderType::OpenAI, QStringLiteral("fake"));
        provider_.endpoint = server_.baseUrl().toString() + QStringLiteral("/v1");
        provider_.maxRetries = 0;
    }
    void init() { server_.reset(); }

    void requestCarriesEverything() {
        const ChatRequest chat = AIScriptDebuggingAgent::buildRequest(brokenRequest());
        QVERIFY(chat.system.contains(QLatin1String(OMEGA_MANIM_VERSION)));
        QVERIFY(!chat.system.contains(QLatin1String("{{")));
        QCOMPARE(chat.messages.size(), 1);
        const QString text = chat.messages.first().text;
        QVERIFY(text.contains(QStringLiteral("5|         self.play(ShowCreation(Circle()))")));
        QVERIFY(text.contains(QStringLiteral("category=\"missing-manim-name\" line=\"5\"")));
        QVERIFY(text.contains(QStringLiteral("NameError: name 'ShowCreation' is not defined")));
        QVERIFY(text.contains(QStringLiteral("unknown name ShowCreation (Create?)")));
        QVERIFY(text.contains(QStringLiteral("Attempt 1: AI fix: replaced Circle with Dot")));
        QVERIFY(text.contains(QStringLiteral("whole corrected file")));
    }

    void fixIsReturned() {
        server_.setAnswer(fenced(kFixed));
        QNetworkAccessManager network;
        AIScriptDebuggingAgent agent(&network);
        agent.setApiKeys({{provider_.name, QStringLiteral("test-key")}});
        QSignalSpy finished(&agent, &AIScriptDebuggingAgent::finished);
        agent.fix(brokenRequest(), {provider_});
        QVERIFY(finished.wait(20000));
        const auto result = finished.first().first().value<FixResult>();
        QVERIFY2(result.result.ok(), qPrintable(result.result.error.message));
        QCOMPARE(result.script, kFixed);
        QCOMPARE(result.sceneNames, QStringList{QStringLiteral("Demo")});
        QCOMPARE(result.requests, 1);
        // The request really carried the numbered script and the error.
        const QList<RecordedRequest> requests = server_.requests();
        QCOMPARE(requests.size(), 1);
        const QString body = QString::fromUtf8(requests.first().body);
        QVERIFY(body.contains(QStringLiteral("ShowCreation")));
        QVERIFY(body.contains(QStringLiteral("missing-manim-name")));
    }

    void unchangedScriptIsNoProgress() {
        server_.setAnswer(fenced(kBroken + QStringLiteral("   \n")));
        QNetworkAccessManager network;
        AIScriptDebuggingAgent agent(&network);
        agent.setApiKeys({{provider_.name, QStringLiteral("test-key")}});
        QSignalSpy finished(&agent, &AIScriptDebuggingAgent::finished);
        agent.fix(brokenRequest(), {provider_});
        QVERIFY(finished.wait(20000));
        const auto result = finished.first().first().value<FixResult>();
        QCOMPARE(result.result.error.category, ErrorCategory::NoProgress);
        QCOMPARE(result.requests, 1);
        QCOMPARE(server_.requests().size(), 1);
    }

    void answerWithoutCodeIsNoCode() {
        server_.setAnswer(QStringLiteral("I cannot help with that."));
        QNetworkAccessManager network;
        AIScriptDebuggingAgent agent(&network);
        agent.setApiKeys({{provider_.name, QStringLiteral("test-key")}});
        QSignalSpy finished(&agent, &AIScriptDebuggingAgent::finished);
        agent.fix(brokenRequest(), {provider_});
        QVERIFY(finished.wait(20000));
        const auto result = finished.first().first().value<FixResult>();
        QCOMPARE(result.result.error.category, ErrorCategory::NoCode);
        QCOMPARE(result.rawText, QStringLiteral("I cannot help with that."));
    }

    void sameScriptIgnoresWhitespace() {
        QVERIFY(sameScript(QStringLiteral("a\r\nb  \n"), QStringLiteral("a\nb\n\n")));
        QVERIFY(!sameScript(QStringLiteral("a\nb\n"), QStringLiteral("a\nc\n")));
    }

private:
    QTemporaryDir dataDir_;
    FakeProviderServer server_;
    ProviderConfig provider_;
};

QTEST_GUILESS_MAIN(TestDebugging)
#include "tst_debugging.moc"
