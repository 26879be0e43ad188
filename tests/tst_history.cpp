// HistoryStore (issue #6): the SQLite history — schema, round trips, cascade delete, search,
// paging, persistence across instances, a second connection reading while one writes (WAL),
// no key column anywhere, and clear failures for damaged or unwritable files.

#include "HistoryStore.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace omega::ui;

namespace {

// A raw second connection to the same file, removed when it goes out of scope.
class RawConnection {
public:
    explicit RawConnection(const QString& path)
        : name_(QStringLiteral("raw-%1").arg(++counter())) {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name_);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
        opened_ = db.open();
    }
    ~RawConnection() {
        {
            QSqlDatabase db = QSqlDatabase::database(name_, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(name_);
    }
    bool isOpen() const { return opened_; }
    QSqlDatabase db() const { return QSqlDatabase::database(name_, false); }
    // The first column of the first row (an invalid QVariant on error).
    QVariant scalar(const QString& sql) const {
        QSqlQuery query(db());
        if (!query.exec(sql) || !query.next())
            return {};
        return query.value(0);
    }
    bool exec(const QString& sql) const {
        QSqlQuery query(db());
        const bool ok = query.exec(sql);
        if (!ok)
            qWarning("%s: %s", qPrintable(sql), qPrintable(query.lastError().text()));
        return ok;
    }

private:
    static int& counter() {
        static int value = 0;
        return value;
    }
    QString name_;
    bool opened_ = false;
};

QDateTime someTime(int minutesAgo) {
    // Whole milliseconds: the store keeps milliseconds.
    const qint64 ms = QDateTime::currentMSecsSinceEpoch() - qint64(minutesAgo) * 60 * 1000;
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC);
}

HistoryVersion makeVersion(qint64 entryId, const QString& code,
                           const QString& source = QStringLiteral("prompt")) {
    HistoryVersion version;
    version.entryId = entryId;
    version.source = source;
    version.code = code;
    return version;
}

QList<qint64> idsOf(const QList<HistorySummary>& summaries) {
    QList<qint64> ids;
    for (const HistorySummary& summary : summaries)
        ids.append(summary.id);
    return ids;
}

} // namespace

class TestHistory : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    int fileCounter_ = 0;
    QString newPath() {
        return dir_.filePath(QStringLiteral("history-%1.sqlite").arg(++fileCounter_));
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        // Never the user's real data folder.
        qputenv("OMEGA_DATA_DIR", dir_.filePath(QStringLiteral("data")).toUtf8());
    }

    void defaultPathIsInTheDataFolder() {
        QCOMPARE(HistoryStore::defaultPath(), dir_.filePath(QStringLiteral("data/history.sqlite")));
        HistoryStore store;
        QString error;
        QVERIFY2(store.open(HistoryStore::defaultPath(), &error), qPrintable(error));
        QVERIFY(QFile::exists(dir_.filePath(QStringLiteral("data/history.sqlite"))));
    }

    void schema() {
        const QString path = newPath();
        HistoryStore store;
        QString error;
        QVERIFY2(store.open(path, &error), qPrintable(error));
        QVERIFY(store.isOpen());
        QVERIFY(error.isEmpty());
        QCOMPARE(store.count(), 0);

        RawConnection raw(path);
        QVERIFY(raw.isOpen());
        QCOMPARE(raw.scalar(QStringLiteral("PRAGMA user_version")).toInt(),
                 HistoryStore::kSchemaVersion);
        QCOMPARE(raw.scalar(QStringLiteral("PRAGMA journal_mode")).toString(),
                 QStringLiteral("wal"));
        QStringList tables;
        QSqlQuery query(raw.db());
        QVERIFY(query.exec(QStringLiteral(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'history_search_%' ORDER BY name")));
        while (query.next())
            tables.append(query.value(0).toString());
        QCOMPARE(tables, (QStringList{QStringLiteral("attempts"), QStringLiteral("containers"),
                                      QStringLiteral("entries"), QStringLiteral("history_search"),
                                      QStringLiteral("outputs"), QStringLiteral("providers"),
                                      QStringLiteral("versions")}));
        // Debian's SQLite has FTS5 with the trigram tokenizer: the search index uses it.
        QVERIFY(raw.scalar(QStringLiteral(
                               "SELECT sql FROM sqlite_master WHERE name = 'history_search'"))
                    .toString()
                    .contains(QLatin1String("trigram")));

        // Opening again does not recreate or change anything.
        const qint64 id = store.createEntry(QStringLiteral("kept"), QStringLiteral("p"));
        store.close();
        QVERIFY(!store.isOpen());
        QVERIFY(store.open(path));
        QCOMPARE(store.count(), 1);
        QCOMPARE(store.load(id)->summary.title, QStringLiteral("kept"));
    }

    void foreignKeysAreEnforced() {
        HistoryStore store;
        QVERIFY(store.open(newPath()));
        QCOMPARE(store.addVersion(makeVersion(424242, QStringLiteral("x = 1"))), 0);
        QVERIFY(!store.lastError().isEmpty());
        HistoryAttempt attempt;
        attempt.entryId = 424242;
        QCOMPARE(store.addAttempt(attempt), 0);
        QVERIFY(!store.removeEntry(424242));
        QVERIFY(!store.renameEntry(424242, QStringLiteral("t")));
        QCOMPARE(store.count(), 0);
    }

    void roundTripEveryStruct() {
        HistoryStore store;
        QVERIFY(store.open(newPath()));
        QSignalSpy changed(&store, &HistoryStore::changed);

        const qint64 entryId =
            store.createEntry(QStringLiteral("Bouncing ball"),
                              QStringLiteral("A red ball bounces\nthree times — «quoted»"));
        QVERIFY(entryId > 0);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.takeFirst().at(0).toLongLong(), entryId);

        HistoryVersion version;
        version.entryId = entryId;
        version.created = someTime(30);
        version.source = QStringLiteral("ai");
        version.code = QStringLiteral("from manim import *\n\nclass Ball(Scene):\n    def "
                                      "construct(self):\n        self.play(Create(Circle()))\n");
        version.provider = QStringLiteral("openai");
        version.model = QStringLiteral("gpt-4.1-mini");
        version.inputTokens = 1234;
        version.outputTokens = 567;
        version.id = store.addVersion(version);
        QVERIFY2(version.id > 0, qPrintable(store.lastError()));

        HistoryAttempt attempt;
        attempt.entryId = entryId;
        attempt.versionId = version.id;
        attempt.number = 1;
        attempt.created = someTime(29);
        attempt.rendered = true;
        attempt.succeeded = false;
        attempt.errorCategory = QStringLiteral("code_error");
        attempt.errorMessage = QStringLiteral("NameError: name 'Circel' is not defined");
        attempt.errorLine = 12;
        attempt.fixSource = QStringLiteral("ai");
        attempt.fixDetail = QStringLiteral("openai gpt-4.1-mini");
        attempt.tokens = 1801;
        attempt.renderMs = 4321;
        attempt.backend = QStringLiteral("sandbox");
        attempt.id = store.addAttempt(attempt);
        QVERIFY(attempt.id > 0);

        HistoryAttempt unlinked; // an attempt that is not tied to a stored version
        unlinked.entryId = entryId;
        unlinked.number = 2;
        unlinked.created = someTime(28);
        unlinked.rendered = true;
        unlinked.succeeded = true;
        unlinked.id = store.addAttempt(unlinked);
        QVERIFY(unlinked.id > 0);

        HistoryOutput output;
        output.entryId = entryId;
        output.versionId = version.id;
        output.created = someTime(27);
        output.scene = QStringLiteral("Ball");
        output.path = QStringLiteral("/tmp/média/Ball.mp4");
        output.quality = QStringLiteral("h");
        output.format = QStringLiteral("mp4");
        output.id = store.addOutput(output);
        QVERIFY(output.id > 0);
        QCOMPARE(changed.count(), 4);

        const std::optional<HistoryEntry> entry = store.load(entryId);
        QVERIFY(entry.has_value());
        QCOMPARE(entry->summary.id, entryId);
        QCOMPARE(entry->summary.title, QStringLiteral("Bouncing ball"));
        QCOMPARE(entry->summary.prompt,
                 QStringLiteral("A red ball bounces\nthree times — «quoted»"));
        QCOMPARE(entry->summary.versions, 1);
        QCOMPARE(entry->summary.lastStatus, QStringLiteral("rendered"));
        QVERIFY(entry->summary.created.isValid());
        QVERIFY(entry->summary.updated >= entry->summary.created);

        QCOMPARE(entry->versions.size(), 1);
        const HistoryVersion& v = entry->versions.first();
        QCOMPARE(v.id, version.id);
        QCOMPARE(v.entryId, entryId);
        QCOMPARE(v.created, version.created);
        QCOMPARE(v.source, version.source);
        QCOMPARE(v.code, version.code);
        QCOMPARE(v.provider, version.provider);
        QCOMPARE(v.model, version.model);
        QCOMPARE(v.inputTokens, 1234);
        QCOMPARE(v.outputTokens, 567);

        QCOMPARE(entry->attempts.size(), 2);
        const HistoryAttempt& a = entry->attempts.first();
        QCOMPARE(a.id, attempt.id);
        QCOMPARE(a.entryId, entryId);
        QCOMPARE(a.versionId, version.id);
        QCOMPARE(a.number, 1);
        QCOMPARE(a.created, attempt.created);
        QCOMPARE(a.rendered, true);
        QCOMPARE(a.succeeded, false);
        QCOMPARE(a.errorCategory, attempt.errorCategory);
        QCOMPARE(a.errorMessage, attempt.errorMessage);
        QCOMPARE(a.errorLine, 12);
        QCOMPARE(a.fixSource, attempt.fixSource);
        QCOMPARE(a.fixDetail, attempt.fixDetail);
        QCOMPARE(a.tokens, 1801);
        QCOMPARE(a.renderMs, qint64(4321));
        QCOMPARE(a.backend, attempt.backend);
        QCOMPARE(entry->attempts.at(1).id, unlinked.id);
        QCOMPARE(entry->attempts.at(1).versionId, qint64(0));
        QCOMPARE(entry->attempts.at(1).succeeded, true);

        QCOMPARE(entry->outputs.size(), 1);
        const HistoryOutput& o = entry->outputs.first();
        QCOMPARE(o.id, output.id);
        QCOMPARE(o.entryId, entryId);
        QCOMPARE(o.versionId, version.id);
        QCOMPARE(o.created, output.created);
        QCOMPARE(o.scene, output.scene);
        QCOMPARE(o.path, output.path);
        QCOMPARE(o.quality, output.quality);
        QCOMPARE(o.format, output.format);

        QVERIFY(store.renameEntry(entryId, QStringLiteral("Ball, renamed")));
        QCOMPARE(store.load(entryId)->summary.title, QStringLiteral("Ball, renamed"));
        QCOMPARE(changed.count(), 5);
        QVERIFY(!store.load(entryId + 1000).has_value());
    }

    void statusAndVersionCount() {
        HistoryStore store;
        QVERIFY(store.open(newPath()));
        const qint64 id = store.createEntry(QStringLiteral("t"), QStringLiteral("p"));
        QCOMPARE(store.load(id)->summary.lastStatus, QString());
        QCOMPARE(store.load(id)->summary.versions, 0);
        const qint64 v1 = store.addVersion(makeVersion(id, QStringLiteral("a = 1")));
        store.addVersion(makeVersion(id, QStringLiteral("a = 2"), QStringLiteral("ai")));
        QCOMPARE(store.load(id)->summary.versions, 2);
        HistoryAttempt failed;
        failed.entryId = id;
        failed.versionId = v1;
        failed.rendered = true;
        store.addAttempt(failed);
        QCOMPARE(store.recent().first().lastStatus, QStringLiteral("failed"));
        HistoryAttempt ok = failed;
        ok.succeeded = true;
        store.addAttempt(ok);
        QCOMPARE(store.recent().first().lastStatus, QStringLiteral("rendered"));
        QCOMPARE(store.recent().first().versions, 2);
    }

    void cascadeDelete() {
        const QString path = newPath();
        HistoryStore store;
        QVERIFY(store.open(path));
        const qint64 keep = store.createEntry(QStringLiteral("keep"), QStringLiteral("p"));
        const qint64 keepVersion = store.addVersion(makeVersion(keep, QStringLiteral("k = 1")));
        const qint64 gone = store.createEntry(QStringLiteral("gone"), QStringLiteral("p"));
        const qint64 version = store.addVersion(makeVersion(gone, QStringLiteral("unique_code")));
        HistoryAttempt attempt;
        attempt.entryId = gone;
        attempt.versionId = version;
        QVERIFY(store.addAttempt(attempt) > 0);
        HistoryOutput output;
        output.entryId = gone;
        output.versionId = version;
        QVERIFY(store.addOutput(output) > 0);
        HistoryAttempt keptAttempt;
        keptAttempt.entryId = keep;
        keptAttempt.versionId = keepVersion;
        QVERIFY(store.addAttempt(keptAttempt) > 0);
        QCOMPARE(store.search(QStringLiteral("unique_code")).size(), 1);

        QSignalSpy changed(&store, &HistoryStore::changed);
        QVERIFY(store.removeEntry(gone));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.first().at(0).toLongLong(), gone);
        QVERIFY(!store.load(gone).has_value());
        QCOMPARE(store.count(), 1);
        QVERIFY(store.search(QStringLiteral("unique_code")).isEmpty());

        RawConnection raw(path);
        for (const char* table : {"versions", "attempts", "outputs"}) {
            QCOMPARE(raw.scalar(QStringLiteral("SELECT count(*) FROM %1 WHERE entry_id = %2")
                                    .arg(QLatin1String(table))
                                    .arg(gone))
                         .toInt(),
                     0);
            QCOMPARE(raw.scalar(QStringLiteral("SELECT count(*) FROM %1 WHERE entry_id = %2")
                                    .arg(QLatin1String(table))
                                    .arg(keep))
                         .toInt(),
                     QLatin1String(table) == QLatin1String("outputs") ? 0 : 1);
        }
        QCOMPARE(raw.scalar(QStringLiteral("SELECT count(*) FROM history_search")).toInt(), 1);
        QVERIFY(!store.removeEntry(gone)); // already gone
    }

    void search() {
        HistoryStore store;
        QVERIFY(store.open(newPath()));
        const qint64 byTitle =
            store.createEntry(QStringLiteral("Fourier Series Demo"), QStringLiteral("waves"));
        const qint64 byPrompt = store.createEntry(
            QStringLiteral("untitled"), QStringLiteral("Show the Pythagorean theorem proof"));
        const qint64 byCode = store.createEntry(QStringLiteral("code"), QStringLiteral("x"));
        store.addVersion(makeVersion(byCode, QStringLiteral("class SquareToCircle(Scene):\n"
                                                            "    rate = 100% of_it\n")));
        store.addVersion(makeVersion(byCode, QStringLiteral("label = Text(\"it's \\\"done\\\"\")"),
                                     QStringLiteral("edit")));
        const qint64 percent =
            store.createEntry(QStringLiteral("50% off_sale"), QStringLiteral("percent"));
        const qint64 plain =
            store.createEntry(QStringLiteral("50 percent offXsale"), QStringLiteral("plain"));
        const qint64 unicode =
            store.createEntry(QStringLiteral("Ÿes ÉCOLE"), QStringLiteral("accents"));

        auto found = [&](const QString& text) { return idsOf(store.search(text)); };
        QCOMPARE(found(QStringLiteral("fourier")), QList<qint64>{byTitle});
        QCOMPARE(found(QStringLiteral("FOURIER series")), QList<qint64>{byTitle});
        QCOMPARE(found(QStringLiteral("pythagorean")), QList<qint64>{byPrompt});
        QCOMPARE(found(QStringLiteral("squaretocircle")), QList<qint64>{byCode});
        // Words anywhere, all of them: one in the title, one in the code.
        QCOMPARE(found(QStringLiteral("code SquareTo")), QList<qint64>{byCode});
        QVERIFY(found(QStringLiteral("fourier pythagorean")).isEmpty());
        // Code of every version, not only the last.
        QCOMPARE(found(QStringLiteral("rate = 100")), QList<qint64>{byCode});
        // Special characters are literal: % and _ are not wildcards, quotes are characters.
        QCOMPARE(found(QStringLiteral("100%")), QList<qint64>{byCode});
        QCOMPARE(found(QStringLiteral("50%")), QList<qint64>{percent});
        QCOMPARE(found(QStringLiteral("off_sale")), QList<qint64>{percent});
        QCOMPARE(found(QStringLiteral("%")), (QList<qint64>{percent, byCode}));
        QCOMPARE(found(QStringLiteral("_")), (QList<qint64>{percent, byCode}));
        QCOMPARE(found(QStringLiteral("it's")), QList<qint64>{byCode});
        QCOMPARE(found(QStringLiteral("\\\"done\\\"")), QList<qint64>{byCode});
        QCOMPARE(found(QStringLiteral("\"")), QList<qint64>{byCode});
        QCOMPARE(found(QStringLiteral("'")), QList<qint64>{byCode});
        QCOMPARE(found(QStringLiteral("\"done")), QList<qint64>{byCode});
        QCOMPARE(found(QStringLiteral("AND")), QList<qint64>{}); // not an operator either
        QCOMPARE(found(QStringLiteral("offXsale")), QList<qint64>{plain});
        // Short terms (below the trigram length) still work.
        QCOMPARE(found(QStringLiteral("Ÿe")), QList<qint64>{unicode});
        QCOMPARE(found(QStringLiteral("éco")), QList<qint64>{unicode}); // beyond ASCII too
        QVERIFY(found(QStringLiteral("nothing-like-this")).isEmpty());
        // Blank: the recent list.
        QCOMPARE(found(QStringLiteral("   ")), idsOf(store.recent()));
        // Limit and offset.
        QCOMPARE(idsOf(store.search(QStringLiteral("s"), 2)).size(), 2);
        const QList<qint64> all = found(QStringLiteral("s"));
        QCOMPARE(idsOf(store.search(QStringLiteral("s"), 2, 1)), all.mid(1, 2));
    }

    void searchPagesAgreeAcrossStrategies() {
        // Common terms are first looked for among the newest 1,000 entries, rare ones and
        // deep pages in the full-text index: the pages must be the same either way.
        const QString path = newPath();
        HistoryStore store;
        QVERIFY(store.open(path));
        {
            RawConnection raw(path);
            QVERIFY(raw.exec(QStringLiteral(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) "
                "INSERT INTO entries (created, updated, title, prompt) SELECT i, i, "
                "'Needle ' || i, CASE WHEN i % 100 = 0 THEN 'rare haystack' ELSE '' END "
                "FROM n")));
        }
        QCOMPARE(store.count(), 1500);
        for (int offset : {0, 700, 800, 801, 900, 1300}) {
            QCOMPARE(idsOf(store.search(QStringLiteral("needle"), 200, offset)),
                     idsOf(store.recent(200, offset)));
        }
        // Rare: 15 entries, newest first, in pages of 4 and all at once.
        const QList<qint64> rare = idsOf(store.search(QStringLiteral("HAYSTACK")));
        QCOMPARE(rare.size(), 15);
        QCOMPARE(store.load(rare.first())->summary.title, QStringLiteral("Needle 1500"));
        QList<qint64> paged;
        for (int offset = 0; offset < 20; offset += 4)
            paged += idsOf(store.search(QStringLiteral("haystack needle"), 4, offset));
        QCOMPARE(paged, rare);
        // Beyond ASCII the index decides (it folds case; LIKE would not).
        QVERIFY(store.createEntry(QStringLiteral("ÉCOLE needle"), QString()) > 0);
        QCOMPARE(store.search(QStringLiteral("école needle"), 1).size(), 1);
    }

    void recentOrderingAndPaging() {
        HistoryStore store;
        QVERIFY(store.open(newPath()));
        QList<qint64> created;
        for (int i = 0; i < 25; ++i)
            created.append(store.createEntry(QStringLiteral("entry %1").arg(i), QString()));
        // Same millisecond or not: newest first, ties by id.
        QList<qint64> expected(created.rbegin(), created.rend());
        QCOMPARE(idsOf(store.recent()), expected);
        QCOMPARE(idsOf(store.recent(10, 0)), expected.mid(0, 10));
        QCOMPARE(idsOf(store.recent(10, 10)), expected.mid(10, 10));
        QCOMPARE(idsOf(store.recent(10, 20)), expected.mid(20, 5));
        QVERIFY(store.recent(10, 30).isEmpty());
        QCOMPARE(store.count(), 25);

        // A new version moves an old entry to the top (updated is bumped).
        QTest::qWait(5); // the bump is a later millisecond than the creation
        const qint64 oldest = created.first();
        QVERIFY(store.addVersion(makeVersion(oldest, QStringLiteral("y = 2"))) > 0);
        const QList<HistorySummary> now = store.recent(3);
        QCOMPARE(now.first().id, oldest);
        QVERIFY(now.first().updated > now.first().created);
        QCOMPARE(now.at(1).id, created.last());
    }

    void persistsAcrossInstances() {
        const QString path = newPath();
        qint64 id = 0;
        {
            HistoryStore writer;
            QVERIFY(writer.open(path));
            id = writer.createEntry(QStringLiteral("persist"), QStringLiteral("prompt"));
            writer.addVersion(makeVersion(id, QStringLiteral("print('kept')")));
            omega::ProviderConfig provider =
                omega::defaultProviderConfig(omega::ProviderType::Anthropic, QStringLiteral("a"));
            provider.priority = 5;
            QVERIFY(writer.saveProviders({provider}));
            QVERIFY(writer.recordContainer(QStringLiteral("omega-render"), QStringLiteral("podman"),
                                           QStringLiteral("manimcommunity/manim:v0.22.0"),
                                           QStringLiteral("running")));
        } // destroyed: closed
        HistoryStore reader;
        QVERIFY(reader.open(path));
        QCOMPARE(reader.count(), 1);
        const std::optional<HistoryEntry> entry = reader.load(id);
        QVERIFY(entry.has_value());
        QCOMPARE(entry->summary.title, QStringLiteral("persist"));
        QCOMPARE(entry->versions.size(), 1);
        QCOMPARE(entry->versions.first().code, QStringLiteral("print('kept')"));
        QCOMPARE(reader.search(QStringLiteral("kept")).size(), 1);
        const QList<omega::ProviderConfig> providers = reader.providers();
        QCOMPARE(providers.size(), 1);
        QCOMPARE(providers.first().name, QStringLiteral("a"));
        QCOMPARE(providers.first().type, omega::ProviderType::Anthropic);
        QCOMPARE(providers.first().priority, 5);
        QCOMPARE(providers.first().model,
                 omega::defaultProviderConfig(omega::ProviderType::Anthropic).model);
    }

    void secondConnectionReadsWhileWriting() {
        const QString path = newPath();
        HistoryStore store;
        QVERIFY(store.open(path));
        const qint64 first = store.createEntry(QStringLiteral("first"), QStringLiteral("p"));

        // Another connection holds the write lock with an uncommitted entry…
        RawConnection writer(path);
        QVERIFY(writer.isOpen());
        QVERIFY(writer.exec(QStringLiteral("BEGIN IMMEDIATE")));
        QVERIFY(writer.exec(QStringLiteral("INSERT INTO entries (created, updated, title, prompt) "
                                           "VALUES (1, 9999999999999, 'uncommitted', '')")));
        // …and this one still reads at once (WAL: readers never wait for the writer).
        QElapsedTimer timer;
        timer.start();
        QCOMPARE(idsOf(store.recent()), QList<qint64>{first});
        QCOMPARE(store.count(), 1);
        QVERIFY(store.load(first).has_value());
        QVERIFY2(timer.elapsed() < 2000, "the read waited for the writer");
        // A second HistoryStore on the same file reads too.
        HistoryStore other;
        QVERIFY(other.open(path));
        QCOMPARE(other.count(), 1);

        QVERIFY(writer.exec(QStringLiteral("COMMIT")));
        QCOMPARE(store.count(), 2);
        QCOMPARE(store.recent().first().title, QStringLiteral("uncommitted"));
        QCOMPARE(store.search(QStringLiteral("uncommitted")).size(), 1); // triggers ran

        // And the other way round: the store writes while the raw connection reads.
        RawConnection reader(path);
        QVERIFY(reader.exec(QStringLiteral("BEGIN")));
        QCOMPARE(reader.scalar(QStringLiteral("SELECT count(*) FROM entries")).toInt(), 2);
        QVERIFY(store.createEntry(QStringLiteral("third"), QString()) > 0);
        QCOMPARE(reader.scalar(QStringLiteral("SELECT count(*) FROM entries")).toInt(), 2);
        QVERIFY(reader.exec(QStringLiteral("COMMIT")));
        QCOMPARE(reader.scalar(QStringLiteral("SELECT count(*) FROM entries")).toInt(), 3);
    }

    void noKeyColumnAnywhere() {
        const QString path = newPath();
        HistoryStore store;
        QVERIFY(store.open(path));
        QVERIFY(store.saveProviders(
            {omega::defaultProviderConfig(omega::ProviderType::Gemini, QStringLiteral("g")),
             omega::defaultProviderConfig(omega::ProviderType::AzureOpenAI,
                                          QStringLiteral("az"))}));
        QCOMPARE(store.providers().size(), 2);
        // Saving again replaces the list.
        QVERIFY(store.saveProviders(
            {omega::defaultProviderConfig(omega::ProviderType::OpenAI, QStringLiteral("o"))}));
        QCOMPARE(store.providers().size(), 1);

        RawConnection raw(path);
        QSqlQuery tables(raw.db());
        QVERIFY(tables.exec(QStringLiteral("SELECT name FROM sqlite_master WHERE type = 'table'")));
        const QRegularExpression forbidden(
            QStringLiteral("key|secret|token_value|password|credential|auth"),
            QRegularExpression::CaseInsensitiveOption);
        int checked = 0;
        while (tables.next()) {
            const QString table = tables.value(0).toString();
            QSqlQuery columns(raw.db());
            QVERIFY(columns.exec(QStringLiteral("PRAGMA table_info(\"%1\")").arg(table)));
            int columnCount = 0;
            while (columns.next()) {
                const QString column = columns.value(1).toString();
                QVERIFY2(!forbidden.match(column).hasMatch(),
                         qPrintable(QStringLiteral("%1.%2").arg(table, column)));
                ++columnCount;
            }
            QVERIFY2(columnCount > 0, qPrintable(table));
            ++checked;
        }
        QVERIFY(checked >= 7);
    }

    void damagedFileIsReportedClearly() {
        const QString path = newPath();
        {
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(QByteArray(8192, '\x5a')); // not an SQLite file
        }
        HistoryStore store;
        QString error;
        QVERIFY(!store.open(path, &error));
        QVERIFY(!store.isOpen());
        QCOMPARE(store.lastError(), error);
        QVERIFY2(error.contains(path), qPrintable(error));                     // which file
        QVERIFY2(error.contains(QLatin1String("damaged")), qPrintable(error)); // what happened
        QVERIFY2(error.contains(QLatin1String("Move it aside")), qPrintable(error)); // what to do
        QVERIFY2(error.contains(QLatin1String("without history")), qPrintable(error));
        // The app runs on without history: every call fails quietly.
        QCOMPARE(store.createEntry(QStringLiteral("t"), QStringLiteral("p")), 0);
        QVERIFY(store.recent().isEmpty());
        QVERIFY(store.search(QStringLiteral("x")).isEmpty());
        QCOMPARE(store.count(), 0);
        QVERIFY(!store.load(1).has_value());
        QCOMPARE(store.addVersion(makeVersion(1, QStringLiteral("x = 1"))), 0);
        QVERIFY(!store.removeEntry(1));
        QVERIFY(!store.saveProviders({}));
        QVERIFY(!store.recordContainer(QStringLiteral("c"), QStringLiteral("podman"),
                                       QStringLiteral("i"), QStringLiteral("running")));
        // The damaged file is left as it was, for the user to look at.
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), QByteArray(8192, '\x5a'));
    }

    void truncatedHistoryIsReportedClearly() {
        // A real history cut short (a disk that filled up, a bad copy).
        const QString path = newPath();
        {
            HistoryStore store;
            QVERIFY(store.open(path));
            for (int i = 0; i < 200; ++i)
                store.createEntry(QStringLiteral("entry %1").arg(i),
                                  QString(400, QLatin1Char('p')));
        }
        QFile::remove(path + QStringLiteral("-wal"));
        QFile::remove(path + QStringLiteral("-shm"));
        QFile file(path);
        QVERIFY(file.size() > 8192);
        QVERIFY(file.open(QIODevice::ReadWrite));
        file.seek(100);
        file.write(QByteArray(4000, '\0')); // the schema page overwritten
        file.close();
        HistoryStore store;
        QString error;
        QVERIFY(!store.open(path, &error));
        QVERIFY2(error.contains(path), qPrintable(error));
        QVERIFY2(error.contains(QLatin1String("Move it aside")), qPrintable(error));
    }

    void otherFilesAreNotTakenOver() {
        const QString path = newPath();
        {
            RawConnection raw(path);
            QVERIFY(raw.exec(QStringLiteral("CREATE TABLE photos (id INTEGER PRIMARY KEY)")));
        }
        HistoryStore store;
        QString error;
        QVERIFY(!store.open(path, &error));
        QVERIFY2(error.contains(QLatin1String("not an Omega Studio history")), qPrintable(error));
        RawConnection raw(path);
        QCOMPARE(raw.scalar(QStringLiteral("SELECT count(*) FROM sqlite_master")).toInt(), 1);
    }

    void newerSchemaIsRefused() {
        const QString path = newPath();
        {
            HistoryStore store;
            QVERIFY(store.open(path));
        }
        {
            RawConnection raw(path);
            QVERIFY(raw.exec(QStringLiteral("PRAGMA user_version = 99")));
        }
        HistoryStore store;
        QString error;
        QVERIFY(!store.open(path, &error));
        QVERIFY2(error.contains(QLatin1String("newer Omega Studio")), qPrintable(error));
    }

    void unwritableLocationIsReportedClearly() {
        // A folder that cannot be created (its parent is a file): fails for root too.
        const QString blocker = dir_.filePath(QStringLiteral("a-file"));
        {
            QFile file(blocker);
            QVERIFY(file.open(QIODevice::WriteOnly));
        }
        HistoryStore store;
        QString error;
        QVERIFY(!store.open(blocker + QStringLiteral("/sub/history.sqlite"), &error));
        QVERIFY2(error.contains(QLatin1String("cannot be created")), qPrintable(error));
        QVERIFY2(error.contains(QLatin1String("OMEGA_DATA_DIR")), qPrintable(error));

        // A folder where the file should be.
        const QString folder = dir_.filePath(QStringLiteral("folder.sqlite"));
        QVERIFY(QDir().mkpath(folder));
        QVERIFY(!store.open(folder, &error));
        QVERIFY2(error.contains(QLatin1String("is a folder")), qPrintable(error));

        // A read-only file (permissions do not stop root, so only checked for other users).
        if (::geteuid() != 0) {
            const QString path = newPath();
            {
                HistoryStore writer;
                QVERIFY(writer.open(path));
            }
            QFile::remove(path + QStringLiteral("-wal"));
            QFile::remove(path + QStringLiteral("-shm"));
            QVERIFY(QFile::setPermissions(path, QFile::ReadOwner));
            QVERIFY(!store.open(path, &error));
            QVERIFY2(error.contains(QLatin1String("writable")), qPrintable(error));
            QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner);
        }
        // And a good path works with the same instance afterwards.
        QVERIFY(store.open(newPath(), &error));
        QVERIFY(store.lastError().isEmpty());
    }

    void describeAttempt() {
        HistoryAttempt attempt;
        attempt.number = 1;
        attempt.rendered = true;
        attempt.errorCategory = QStringLiteral("NameError");
        attempt.errorLine = 12;
        attempt.fixSource = QStringLiteral("original");
        QCOMPARE(HistoryStore::describeAttempt(attempt),
                 QStringLiteral("attempt 1 failed: NameError at line 12"));
        attempt.number = 2;
        attempt.fixSource = QStringLiteral("ai");
        attempt.errorCategory = QStringLiteral("code_error");
        attempt.errorMessage = QStringLiteral("NameError: name 'Circel' is not defined\nmore");
        QCOMPARE(HistoryStore::describeAttempt(attempt),
                 QStringLiteral("attempt 2 (ai fix) failed: code_error (NameError: name 'Circel' "
                                "is not defined) at line 12"));
        HistoryAttempt gate;
        gate.number = 2;
        gate.errorCategory = QStringLiteral("missing_manim_name");
        gate.fixSource = QStringLiteral("rewrite");
        QCOMPARE(HistoryStore::describeAttempt(gate),
                 QStringLiteral("attempt 2 (rewrite fix) stopped before rendering: "
                                "missing_manim_name"));
        HistoryAttempt ok;
        ok.number = 3;
        ok.rendered = true;
        ok.succeeded = true;
        ok.renderMs = 3456;
        ok.fixSource = QStringLiteral("dependency");
        QCOMPARE(HistoryStore::describeAttempt(ok),
                 QStringLiteral("attempt 3 (dependency fix) rendered in 3.5 s"));
        QVERIFY(!HistoryStore::describeAttempt(ok).contains(QLatin1String("original")));
    }
};

QTEST_GUILESS_MAIN(TestHistory)
#include "tst_history.moc"
