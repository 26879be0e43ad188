// SseParser and NdjsonSplitter against streams in each provider's wire format
// (tests/fixtures/sse: synthesized from the documented formats in the shared provider-apis.md
// reference, not captured live) and hand-made edge cases.
// The central property: however the bytes are chunked, the events are the same.
#include "SseParser.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using omega::NdjsonSplitter;
using omega::SseEvent;
using omega::SseLimits;
using omega::SseParser;

namespace {

QByteArray fixture(const QString& name) {
    QFile file(QStringLiteral(OMEGA_FIXTURES_DIR "/sse/") + name);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(file.fileName()));
    return file.readAll();
}

// The text every provider fixture streams (split into deltas differently by each).
QString expectedAnswer() {
    return QString::fromUtf8(fixture(QStringLiteral("answer.md")));
}

struct Parsed {
    QList<SseEvent> events;
    QByteArray tail;
    bool overflowed = false;
};

bool operator==(const Parsed& a, const Parsed& b) {
    return a.events == b.events && a.tail == b.tail && a.overflowed == b.overflowed;
}

QStringList describe(const QList<SseEvent>& events) {
    QStringList out;
    for (const SseEvent& e : events)
        out << e.event + QLatin1Char('|') + QString::fromUtf8(e.data);
    return out;
}

Parsed parseChunks(const QList<QByteArray>& chunks, const SseLimits& limits = SseLimits()) {
    SseParser parser(limits);
    Parsed parsed;
    for (const QByteArray& chunk : chunks)
        parsed.events += parser.feed(chunk);
    parsed.events += parser.finish();
    parsed.tail = parser.unparsedTail();
    parsed.overflowed = parser.overflowed();
    return parsed;
}

Parsed parseWhole(const QByteArray& bytes, const SseLimits& limits = SseLimits()) {
    return parseChunks({bytes}, limits);
}

Parsed parseSplitAt(const QByteArray& bytes, qsizetype at, const SseLimits& limits = SseLimits()) {
    // Without copying: the every-byte tests split each fixture thousands of times.
    return parseChunks({QByteArray::fromRawData(bytes.constData(), at),
                        QByteArray::fromRawData(bytes.constData() + at, bytes.size() - at)},
                       limits);
}

Parsed parseByteByByte(const QByteArray& bytes, const SseLimits& limits = SseLimits()) {
    QList<QByteArray> chunks;
    chunks.reserve(bytes.size());
    for (qsizetype i = 0; i < bytes.size(); ++i)
        chunks.append(QByteArray::fromRawData(bytes.constData() + i, 1));
    return parseChunks(chunks, limits);
}

QJsonObject json(const QByteArray& data) {
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(data, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        qWarning("not a JSON object: %s", data.left(200).constData());
    return doc.object();
}

// The text deltas of an OpenAI/Azure chat stream; "[DONE]" ends it.
QString openAiText(const QList<SseEvent>& events, bool* sawDone) {
    QString text;
    *sawDone = false;
    for (const SseEvent& e : events) {
        if (e.data == "[DONE]") {
            *sawDone = true;
            break;
        }
        const QJsonArray choices = json(e.data).value(QLatin1String("choices")).toArray();
        if (choices.isEmpty())
            continue;
        text += choices.at(0)
                    .toObject()
                    .value(QLatin1String("delta"))
                    .toObject()
                    .value(QLatin1String("content"))
                    .toString();
    }
    return text;
}

QString geminiText(const QList<SseEvent>& events) {
    QString text;
    for (const SseEvent& e : events) {
        const QJsonArray candidates = json(e.data).value(QLatin1String("candidates")).toArray();
        const QJsonArray parts = candidates.at(0)
                                     .toObject()
                                     .value(QLatin1String("content"))
                                     .toObject()
                                     .value(QLatin1String("parts"))
                                     .toArray();
        for (const QJsonValue& part : parts)
            text += part.toObject().value(QLatin1String("text")).toString();
    }
    return text;
}

QString anthropicText(const QList<SseEvent>& events) {
    QString text;
    for (const SseEvent& e : events) {
        if (e.event != QLatin1String("content_block_delta"))
            continue;
        text += json(e.data)
                    .value(QLatin1String("delta"))
                    .toObject()
                    .value(QLatin1String("text"))
                    .toString();
    }
    return text;
}

QStringList fixtureNames() {
    return {
        QStringLiteral("openai_chat_stream.sse"), QStringLiteral("azure_chat_stream.sse"),
        QStringLiteral("gemini_stream.sse"),      QStringLiteral("gemini_stream_error.sse"),
        QStringLiteral("anthropic_stream.sse"),   QStringLiteral("anthropic_stream_overloaded.sse"),
        QStringLiteral("html_502.html")};
}

// Small caps, so that the capped paths run on small inputs.
SseLimits tinyLimits() {
    SseLimits limits;
    limits.maxLineBytes = 16;
    limits.maxEventBytes = 24;
    limits.maxUnparsedBytes = 20;
    return limits;
}

} // namespace

class TestSseParser : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void openAiStream();
    void azureStream();
    void geminiStream();
    void geminiTrailingRawError();
    void anthropicStream();
    void anthropicErrorEventMidStream();
    void fixtureSplitAtEveryByte_data();
    void fixtureSplitAtEveryByte();
    void fixtureByteByByte_data();
    void fixtureByteByByte();
    void utf8SplitAcrossChunks();
    void lineEndings_data();
    void lineEndings();
    void crAtChunkEndThenLfIsOneLineEnding();
    void twoCrsAreTwoLineEndings();
    void comments();
    void multiLineData();
    void optionalSpaceAfterColon();
    void eventNameResetsAfterDispatch();
    void eventWithoutDataNotDispatched();
    void emptyDataIsDispatched();
    void idAndRetryIgnored();
    void doneIsPlainData();
    void finishWithoutTrailingBlankLine();
    void finishResetsForANewStream();
    void byteOrderMark();
    void htmlPageGoesToTail();
    void rawLinesDoNotDisturbEvents();
    void overlongDataLineDropsItsEvent();
    void overlongEventDropped();
    void unparsedTailCapped();
    void defaultCapsOnHugeInput();
    void capsIndependentOfChunking();

    void ndjsonOllamaStream();
    void ndjsonMidStreamError();
    void ndjsonSplitAtEveryByte();
    void ndjsonCrlfBlankLinesAndFinish();
    void ndjsonOverlongLineDropped();
};

void TestSseParser::openAiStream() {
    const Parsed p = parseWhole(fixture(QStringLiteral("openai_chat_stream.sse")));
    QVERIFY(p.tail.isEmpty());
    QVERIFY(!p.overflowed);
    QVERIFY(p.events.size() > 10);
    for (const SseEvent& e : p.events)
        QVERIFY(e.event.isEmpty());
    QCOMPARE(p.events.last().data, QByteArray("[DONE]"));
    bool sawDone = false;
    QCOMPARE(openAiText(p.events, &sawDone), expectedAnswer());
    QVERIFY(sawDone);
    // include_usage: the chunk before [DONE] has no choices and the usage.
    const QJsonObject usageChunk = json(p.events.at(p.events.size() - 2).data);
    QVERIFY(usageChunk.value(QLatin1String("choices")).toArray().isEmpty());
    QCOMPARE(usageChunk.value(QLatin1String("usage"))
                 .toObject()
                 .value(QLatin1String("total_tokens"))
                 .toInt(),
             599);
}

void TestSseParser::azureStream() {
    const Parsed p = parseWhole(fixture(QStringLiteral("azure_chat_stream.sse")));
    QVERIFY(p.tail.isEmpty());
    QVERIFY(p.events.size() > 10);
    const QJsonObject first = json(p.events.first().data);
    QVERIFY(first.value(QLatin1String("choices")).toArray().isEmpty());
    QVERIFY(first.contains(QLatin1String("prompt_filter_results")));
    int filterOnly = 0;
    for (const SseEvent& e : p.events) {
        if (e.data == "[DONE]")
            break;
        const QJsonArray choices = json(e.data).value(QLatin1String("choices")).toArray();
        if (!choices.isEmpty() && !choices.at(0).toObject().contains(QLatin1String("delta")))
            ++filterOnly;
    }
    QCOMPARE(filterOnly, 6);
    bool sawDone = false;
    QCOMPARE(openAiText(p.events, &sawDone), expectedAnswer());
    QVERIFY(sawDone);
    QCOMPARE(p.events.last().data, QByteArray("[DONE]"));
}

void TestSseParser::geminiStream() {
    const QByteArray bytes = fixture(QStringLiteral("gemini_stream.sse"));
    QVERIFY(bytes.contains("\r\n\r\n")); // the fixture really has Google's line endings
    const Parsed p = parseWhole(bytes);
    QVERIFY(p.tail.isEmpty());
    QVERIFY(p.events.size() > 3);
    for (const SseEvent& e : p.events) {
        QVERIFY(e.event.isEmpty());
        QVERIFY(!e.data.contains('\r'));
        QVERIFY(e.data.startsWith("{\"candidates\""));
    }
    QCOMPARE(geminiText(p.events), expectedAnswer());
    QCOMPARE(json(p.events.last().data)
                 .value(QLatin1String("candidates"))
                 .toArray()
                 .at(0)
                 .toObject()
                 .value(QLatin1String("finishReason"))
                 .toString(),
             QStringLiteral("STOP"));
}

void TestSseParser::geminiTrailingRawError() {
    const Parsed p = parseWhole(fixture(QStringLiteral("gemini_stream_error.sse")));
    QVERIFY(p.events.size() >= 2);
    const QString partial = geminiText(p.events);
    QVERIFY(!partial.isEmpty());
    QVERIFY(expectedAnswer().startsWith(partial));
    QVERIFY(partial.size() < expectedAnswer().size());
    // The pretty-printed error body, without data:, arrives whole in the tail.
    QVERIFY(p.tail.startsWith('{'));
    QVERIFY(p.tail.endsWith('}'));
    const QJsonObject error = json(p.tail).value(QLatin1String("error")).toObject();
    QCOMPARE(error.value(QLatin1String("code")).toInt(), 503);
    QCOMPARE(error.value(QLatin1String("status")).toString(), QStringLiteral("UNAVAILABLE"));
}

void TestSseParser::anthropicStream() {
    const Parsed p = parseWhole(fixture(QStringLiteral("anthropic_stream.sse")));
    QVERIFY(p.tail.isEmpty());
    QStringList names;
    for (const SseEvent& e : p.events) {
        names << e.event;
        // Anthropic repeats the event name as "type" in the data.
        QCOMPARE(json(e.data).value(QLatin1String("type")).toString(), e.event);
    }
    QCOMPARE(names.mid(0, 3),
             QStringList({QStringLiteral("message_start"), QStringLiteral("content_block_start"),
                          QStringLiteral("ping")}));
    QCOMPARE(names.mid(names.size() - 3),
             QStringList({QStringLiteral("content_block_stop"), QStringLiteral("message_delta"),
                          QStringLiteral("message_stop")}));
    QCOMPARE(names.count(QStringLiteral("ping")), 2);
    QCOMPARE(anthropicText(p.events), expectedAnswer());
}

void TestSseParser::anthropicErrorEventMidStream() {
    const Parsed p = parseWhole(fixture(QStringLiteral("anthropic_stream_overloaded.sse")));
    QVERIFY(p.tail.isEmpty());
    QCOMPARE(p.events.last().event, QStringLiteral("error"));
    QCOMPARE(json(p.events.last().data)
                 .value(QLatin1String("error"))
                 .toObject()
                 .value(QLatin1String("type"))
                 .toString(),
             QStringLiteral("overloaded_error"));
    for (const SseEvent& e : p.events)
        QVERIFY(e.event != QLatin1String("message_stop"));
    const QString partial = anthropicText(p.events);
    QVERIFY(!partial.isEmpty());
    QVERIFY(expectedAnswer().startsWith(partial));
}

void TestSseParser::fixtureSplitAtEveryByte_data() {
    QTest::addColumn<QString>("name");
    for (const QString& name : fixtureNames())
        QTest::newRow(qPrintable(name)) << name;
}

void TestSseParser::fixtureSplitAtEveryByte() {
    QFETCH(QString, name);
    const QByteArray bytes = fixture(name);
    const Parsed whole = parseWhole(bytes);
    QVERIFY(!whole.events.isEmpty() || !whole.tail.isEmpty());
    for (qsizetype at = 0; at <= bytes.size(); ++at) {
        const Parsed split = parseSplitAt(bytes, at);
        if (!(split == whole)) {
            QCOMPARE(describe(split.events), describe(whole.events));
            QCOMPARE(split.tail, whole.tail);
            QFAIL(qPrintable(QStringLiteral("differs when split at %1").arg(at)));
        }
    }
}

void TestSseParser::fixtureByteByByte_data() {
    fixtureSplitAtEveryByte_data();
}

void TestSseParser::fixtureByteByByte() {
    QFETCH(QString, name);
    const QByteArray bytes = fixture(name);
    const Parsed whole = parseWhole(bytes);
    const Parsed bytewise = parseByteByByte(bytes);
    QCOMPARE(describe(bytewise.events), describe(whole.events));
    QCOMPARE(bytewise.tail, whole.tail);
    QCOMPARE(bytewise.overflowed, whole.overflowed);
}

void TestSseParser::utf8SplitAcrossChunks() {
    // é (2 bytes), → (3 bytes), 🎬 (4 bytes), in the data and in the event name.
    const QString text = QStringLiteral("caf\u00e9 \u2192 \U0001F3AC");
    const QString name = QStringLiteral("d\u00e9but");
    const QByteArray bytes =
        "event: " + name.toUtf8() + "\ndata: " + text.toUtf8() + "\n\ndata: " + text.toUtf8();
    for (qsizetype at = 0; at <= bytes.size(); ++at) {
        const Parsed p = parseSplitAt(bytes, at);
        QCOMPARE(p.events.size(), 2);
        QCOMPARE(p.events.at(0).event, name);
        QCOMPARE(QString::fromUtf8(p.events.at(0).data), text);
        QCOMPARE(QString::fromUtf8(p.events.at(1).data), text);
    }
    const Parsed bytewise = parseByteByByte(bytes);
    QCOMPARE(QString::fromUtf8(bytewise.events.at(0).data), text);
    QCOMPARE(bytewise.events.at(0).event, name);
}

void TestSseParser::lineEndings_data() {
    QTest::addColumn<QByteArray>("eol");
    QTest::newRow("LF") << QByteArray("\n");
    QTest::newRow("CRLF") << QByteArray("\r\n");
    QTest::newRow("CR") << QByteArray("\r");
}

void TestSseParser::lineEndings() {
    QFETCH(QByteArray, eol);
    QByteArray bytes = ": hello" + eol + "event: a" + eol + "data: 1" + eol + "data: 2" + eol +
                       eol + "data: 3" + eol + eol;
    const QStringList expected = {QStringLiteral("a|1\n2"), QStringLiteral("|3")};
    QCOMPARE(describe(parseWhole(bytes).events), expected);
    for (qsizetype at = 0; at <= bytes.size(); ++at)
        QCOMPARE(describe(parseSplitAt(bytes, at).events), expected);
    QCOMPARE(describe(parseByteByByte(bytes).events), expected);
    // Mixed endings in one stream.
    bytes = "data: 1\r\ndata: 2\rdata: 3\n\r\ndata: 4\r\r";
    QCOMPARE(describe(parseWhole(bytes).events),
             QStringList({QStringLiteral("|1\n2\n3"), QStringLiteral("|4")}));
}

void TestSseParser::crAtChunkEndThenLfIsOneLineEnding() {
    SseParser parser;
    QVERIFY(parser.feed("data: a\r").isEmpty());
    // Were "\r" + "\n" two line endings, the "\n" would be a blank line dispatching "a".
    QVERIFY(parser.feed("\ndata: b\r").isEmpty());
    QVERIFY(parser.feed(QByteArray()).isEmpty()); // an empty read keeps the pending \r state
    QVERIFY(parser.feed("\n").isEmpty());
    const QList<SseEvent> events = parser.feed("\r\n");
    QCOMPARE(describe(events), QStringList({QStringLiteral("|a\nb")}));
    QVERIFY(parser.finish().isEmpty());
    QVERIFY(parser.unparsedTail().isEmpty());
}

void TestSseParser::twoCrsAreTwoLineEndings() {
    SseParser parser;
    QVERIFY(parser.feed("data: a\r").isEmpty());
    const QList<SseEvent> events = parser.feed("\rdata: b\r");
    QCOMPARE(describe(events), QStringList({QStringLiteral("|a")}));
    QCOMPARE(describe(parser.feed("\r")), QStringList({QStringLiteral("|b")}));
}

void TestSseParser::comments() {
    const QByteArray bytes = ": OPENROUTER PROCESSING\n\n"
                             ":\n"
                             "data: 1\n"
                             ": keep-alive inside an event\n"
                             "data: 2\n\n"
                             ":data: not data\n\n";
    const Parsed p = parseWhole(bytes);
    QCOMPARE(describe(p.events), QStringList({QStringLiteral("|1\n2")}));
    QVERIFY(p.tail.isEmpty());
}

void TestSseParser::multiLineData() {
    const Parsed p = parseWhole("data: line1\ndata: line2\ndata:\ndata:  two spaces\n\n");
    QCOMPARE(p.events.size(), 1);
    QCOMPARE(p.events.at(0).data, QByteArray("line1\nline2\n\n two spaces"));
}

void TestSseParser::optionalSpaceAfterColon() {
    const Parsed p = parseWhole("data:{\"a\":1}\n\nevent:named\ndata:x: y\n\n");
    QCOMPARE(describe(p.events),
             QStringList({QStringLiteral("|{\"a\":1}"), QStringLiteral("named|x: y")}));
}

void TestSseParser::eventNameResetsAfterDispatch() {
    const Parsed p =
        parseWhole("event: first\ndata: 1\n\ndata: 2\n\nevent: a\nevent: b\ndata: 3\n\n");
    QCOMPARE(describe(p.events),
             QStringList({QStringLiteral("first|1"), QStringLiteral("|2"), QStringLiteral("b|3")}));
}

void TestSseParser::eventWithoutDataNotDispatched() {
    const Parsed p = parseWhole("event: ping\n\nid: 4\n\nretry: 10\n\n\n\nevent: x\n");
    QVERIFY(p.events.isEmpty());
    QVERIFY(p.tail.isEmpty());
    // The name of an undispatched event does not leak into the next one.
    QCOMPARE(describe(parseWhole("event: ping\n\ndata: 1\n\n").events),
             QStringList({QStringLiteral("|1")}));
}

void TestSseParser::emptyDataIsDispatched() {
    // WHATWG: a "data" field, even empty, makes an event. "data" without a colon is one too.
    QCOMPARE(describe(parseWhole("data:\n\ndata\n\n").events),
             QStringList({QStringLiteral("|"), QStringLiteral("|")}));
}

void TestSseParser::idAndRetryIgnored() {
    const Parsed p = parseWhole("id: 7\nretry: 3000\ndata: x\nid\n\n");
    QCOMPARE(describe(p.events), QStringList({QStringLiteral("|x")}));
    QVERIFY(p.tail.isEmpty());
}

void TestSseParser::doneIsPlainData() {
    const Parsed p = parseWhole("data: {\"x\":1}\n\ndata: [DONE]\n\ndata: after\n\n");
    QCOMPARE(describe(p.events),
             QStringList({QStringLiteral("|{\"x\":1}"), QStringLiteral("|[DONE]"),
                          QStringLiteral("|after")}));
}

void TestSseParser::finishWithoutTrailingBlankLine() {
    {
        SseParser parser;
        QVERIFY(parser.feed("data: a\n\ndata: b\n").size() == 1);
        QCOMPARE(describe(parser.finish()), QStringList({QStringLiteral("|b")}));
    }
    {
        SseParser parser; // no line ending at all
        QVERIFY(parser.feed("event: e\ndata: {\"partial\":").isEmpty());
        QCOMPARE(describe(parser.finish()), QStringList({QStringLiteral("e|{\"partial\":")}));
    }
    {
        SseParser parser; // a dangling \r is a line ending
        QVERIFY(parser.feed("data: c\r").isEmpty());
        QCOMPARE(describe(parser.finish()), QStringList({QStringLiteral("|c")}));
    }
    {
        SseParser parser; // a name without data is still not an event
        QVERIFY(parser.feed("data: a\n\nevent: x").size() == 1);
        QVERIFY(parser.finish().isEmpty());
    }
    {
        SseParser parser; // a raw line without ending reaches the tail at finish
        QVERIFY(parser.feed("data: a\n\n{\"error\":1}").size() == 1);
        QVERIFY(parser.unparsedTail().isEmpty());
        QVERIFY(parser.finish().isEmpty());
        QCOMPARE(parser.unparsedTail(), QByteArray("{\"error\":1}"));
    }
}

void TestSseParser::finishResetsForANewStream() {
    SseParser parser;
    QVERIFY(parser.feed("event: a\ndata: 1\r").isEmpty());
    QCOMPARE(describe(parser.finish()), QStringList({QStringLiteral("a|1")}));
    QVERIFY(parser.finish().isEmpty()); // nothing left
    // A new stream starts with a BOM: skipped like at the very start.
    QCOMPARE(describe(parser.feed("\xEF\xBB\xBF"
                                  "data: 2\r")),
             QStringList());
    QCOMPARE(describe(parser.finish()), QStringList({QStringLiteral("|2")}));
    // The old stream's pending \r does not swallow the new stream's first \n: that \n is the
    // first line, so the BOM after it is not at the start and makes a non-SSE line.
    QVERIFY(parser
                .feed("\n\xEF\xBB\xBF"
                      "data: 3\n\n")
                .isEmpty());
    QCOMPARE(parser.unparsedTail(), QByteArray("\xEF\xBB\xBF"
                                               "data: 3"));
}

void TestSseParser::byteOrderMark() {
    const QByteArray bytes = "\xEF\xBB\xBF"
                             "data: a\n\n\xEF\xBB\xBF"
                             "data: b\n\n";
    const QStringList expected = {QStringLiteral("|a")};
    for (qsizetype at = 0; at <= bytes.size(); ++at) {
        const Parsed p = parseSplitAt(bytes, at);
        // Only a leading BOM is skipped; the second makes an unknown field, kept in the tail.
        QCOMPARE(describe(p.events), expected);
        QCOMPARE(p.tail, QByteArray("\xEF\xBB\xBF"
                                    "data: b"));
    }
}

void TestSseParser::htmlPageGoesToTail() {
    const Parsed p = parseWhole(fixture(QStringLiteral("html_502.html")));
    QVERIFY(p.events.isEmpty());
    QVERIFY(!p.overflowed);
    QCOMPARE(p.tail, QByteArray("<html>\n"
                                "<head><title>502 Bad Gateway</title></head>\n"
                                "<body>\n"
                                "<center><h1>502 Bad Gateway</h1></center>\n"
                                "<hr><center>nginx</center>\n"
                                "</body>\n"
                                "</html>"));
}

void TestSseParser::rawLinesDoNotDisturbEvents() {
    const Parsed p = parseWhole("data: a\n{\"x\": 1}\ndata: b\n\n<p>oops</p>\n\n\nevent: e\n"
                                "datax: y\ndata: c\n\n");
    QCOMPARE(describe(p.events), QStringList({QStringLiteral("|a\nb"), QStringLiteral("e|c")}));
    QCOMPARE(p.tail, QByteArray("{\"x\": 1}\n<p>oops</p>\ndatax: y"));
}

void TestSseParser::overlongDataLineDropsItsEvent() {
    const SseLimits limits = tinyLimits(); // lines up to 16 bytes
    const QByteArray bytes = "data: short\n\n"
                             "event: big\ndata: 0123456789abcdef\ndata: x\n\n"
                             "data: after\n\n";
    const Parsed p = parseWhole(bytes, limits);
    QCOMPARE(describe(p.events), QStringList({QStringLiteral("|short"), QStringLiteral("|after")}));
    QVERIFY(p.overflowed);
    QVERIFY(p.tail.isEmpty());
    // Within the cap nothing is flagged.
    const Parsed fits = parseWhole("data: 0123456789\n\n", limits);
    QCOMPARE(describe(fits.events), QStringList({QStringLiteral("|0123456789")}));
    QVERIFY(!fits.overflowed);
    // An over-long event name drops its event too.
    const Parsed name = parseWhole("event: abcdefghijklmnop\ndata: 1\n\ndata: 2\n\n", limits);
    QCOMPARE(describe(name.events), QStringList({QStringLiteral("|2")}));
    QVERIFY(name.overflowed);
}

void TestSseParser::overlongEventDropped() {
    SseLimits limits;
    limits.maxEventBytes = 24;
    const QByteArray bytes = "data: 0123456789\ndata: 0123456789\ndata: 0123456789\n\n"
                             "data: 0123456789\ndata: 012345678901\n\n"; // 11 + 13 = 24: fits
    const Parsed p = parseWhole(bytes, limits);
    QCOMPARE(describe(p.events), QStringList({QStringLiteral("|0123456789\n012345678901")}));
    QVERIFY(p.overflowed);
}

void TestSseParser::unparsedTailCapped() {
    const Parsed p = parseWhole(fixture(QStringLiteral("html_502.html")), tinyLimits());
    QCOMPARE(p.tail, QByteArray("<html>\n<head><title>"));
    QCOMPARE(p.tail.size(), qsizetype(20));
    QVERIFY(p.overflowed);
}

void TestSseParser::defaultCapsOnHugeInput() {
    const SseLimits defaults;
    SseParser parser;
    QList<SseEvent> events = parser.feed("data: before\n\ndata: ");
    // A 6 MB data line, in 64 KB reads: more than maxLineBytes.
    const QByteArray block(64 * 1024, 'x');
    const int blocks = int((defaults.maxLineBytes + 2 * 1024 * 1024) / block.size());
    for (int i = 0; i < blocks; ++i)
        events += parser.feed(block);
    events += parser.feed("\n\ndata: after\n\n");
    QCOMPARE(describe(events), QStringList({QStringLiteral("|before"), QStringLiteral("|after")}));
    QVERIFY(parser.overflowed());
    // 2 MB of HTML-ish garbage lines: the tail stops at its cap.
    const QByteArray garbage = QByteArray(1000, '<') + '\n';
    for (int i = 0; i < 2048; ++i)
        parser.feed(garbage);
    QCOMPARE(parser.unparsedTail().size(), defaults.maxUnparsedBytes);
    QVERIFY(parser.finish().isEmpty());
}

void TestSseParser::capsIndependentOfChunking() {
    const SseLimits limits = tinyLimits();
    const QList<QByteArray> inputs = {
        "data: 0123456789abcdefghij\r\n\r\ndata: ok\r\n\r\n",
        "<html><body>a very long line</body></html>\r\nsecond\rthird\n",
        "data: 0123456789\ndata: 0123456789\ndata: 0123456789\n\ndata: z\n\n",
        "event: 0123456789abcdefXYZ\ndata: q\n\nevent: n\ndata: r",
        "\xEF\xBB\xBF"
        "0123456789abcdef",
    };
    for (const QByteArray& bytes : inputs) {
        const Parsed whole = parseWhole(bytes, limits);
        QVERIFY(whole.overflowed);
        for (qsizetype at = 0; at <= bytes.size(); ++at) {
            const Parsed split = parseSplitAt(bytes, at, limits);
            QCOMPARE(describe(split.events), describe(whole.events));
            QCOMPARE(split.tail, whole.tail);
            QCOMPARE(split.overflowed, whole.overflowed);
        }
        QVERIFY(parseByteByByte(bytes, limits) == whole);
    }
}

void TestSseParser::ndjsonOllamaStream() {
    const QByteArray bytes = fixture(QStringLiteral("ollama_chat.ndjson"));
    NdjsonSplitter splitter;
    QList<QByteArray> lines = splitter.feed(bytes);
    lines += splitter.finish();
    QCOMPARE(lines.size(), bytes.count('\n'));
    QString text;
    for (const QByteArray& line : lines) {
        const QJsonObject object = json(line);
        QVERIFY(!object.isEmpty());
        text += object.value(QLatin1String("message"))
                    .toObject()
                    .value(QLatin1String("content"))
                    .toString();
    }
    QCOMPARE(text, expectedAnswer());
    const QJsonObject last = json(lines.last());
    QVERIFY(last.value(QLatin1String("done")).toBool());
    QCOMPARE(last.value(QLatin1String("done_reason")).toString(), QStringLiteral("stop"));
}

void TestSseParser::ndjsonMidStreamError() {
    NdjsonSplitter splitter;
    QList<QByteArray> lines = splitter.feed(fixture(QStringLiteral("ollama_chat_error.ndjson")));
    lines += splitter.finish();
    QVERIFY(lines.size() > 2);
    const QJsonObject last = json(lines.last());
    QVERIFY(
        last.value(QLatin1String("error")).toString().contains(QLatin1String("unexpected EOF")));
    for (qsizetype i = 0; i + 1 < lines.size(); ++i)
        QVERIFY(!json(lines.at(i)).contains(QLatin1String("error")));
}

void TestSseParser::ndjsonSplitAtEveryByte() {
    const QByteArray bytes = fixture(QStringLiteral("ollama_chat_error.ndjson")) + "{\"tail\":1}";
    NdjsonSplitter reference;
    QList<QByteArray> whole = reference.feed(bytes);
    whole += reference.finish();
    QCOMPARE(whole.last(), QByteArray("{\"tail\":1}"));
    for (qsizetype at = 0; at <= bytes.size(); ++at) {
        NdjsonSplitter splitter;
        QList<QByteArray> lines = splitter.feed(bytes.left(at));
        lines += splitter.feed(bytes.mid(at));
        lines += splitter.finish();
        QVERIFY2(lines == whole, qPrintable(QStringLiteral("split at %1").arg(at)));
    }
    NdjsonSplitter bytewise;
    QList<QByteArray> lines;
    for (char c : bytes)
        lines += bytewise.feed(QByteArray(1, c));
    lines += bytewise.finish();
    QCOMPARE(lines, whole);
}

void TestSseParser::ndjsonCrlfBlankLinesAndFinish() {
    NdjsonSplitter splitter;
    QList<QByteArray> lines = splitter.feed("{\"a\":1}\r\n\r\n  \n{\"b\":");
    QCOMPARE(lines, QList<QByteArray>({"{\"a\":1}"}));
    lines = splitter.feed("2}\r");
    QVERIFY(lines.isEmpty());
    lines = splitter.feed("\n{\"c\":3}");
    QCOMPARE(lines, QList<QByteArray>({"{\"b\":2}"}));
    QCOMPARE(splitter.finish(), QList<QByteArray>({"{\"c\":3}"}));
    QVERIFY(splitter.finish().isEmpty());
    NdjsonSplitter blankEnd;
    QVERIFY(blankEnd.feed("\n\n").isEmpty());
    QVERIFY(blankEnd.finish().isEmpty());
    QVERIFY(!blankEnd.overflowed());
}

void TestSseParser::ndjsonOverlongLineDropped() {
    NdjsonSplitter splitter(10);
    QList<QByteArray> lines = splitter.feed("{\"ok\":1}\n{\"too\":\"lo");
    lines += splitter.feed("ng\"}\n{\"b\":2}\n{\"again\":\"too long\"}");
    lines += splitter.finish();
    QCOMPARE(lines, QList<QByteArray>({"{\"ok\":1}", "{\"b\":2}"}));
    QVERIFY(splitter.overflowed());
}

QTEST_APPLESS_MAIN(TestSseParser)
#include "tst_sseparser.moc"
