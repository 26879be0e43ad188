#include "HistoryStore.h"

#include "Paths.h"

#include <QAtomicInteger>
#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QVariant>

namespace omega::ui {

namespace {

constexpr int kBusyTimeoutMs = 5000;

QAtomicInteger<quint64> connectionCounter;

// SQLite result codes (sqlite3.h) as the Qt driver reports them in nativeErrorCode().
enum SqliteCode {
    Busy = 5,
    Locked = 6,
    ReadOnly = 8,
    IoError = 10,
    Corrupt = 11,
    Full = 13,
    CantOpen = 14,
    NotADatabase = 26,
};

int sqliteCode(const QSqlError& error) {
    // Extended codes carry the primary code in the low byte.
    return error.nativeErrorCode().toInt() & 0xff;
}

QString errorText(const QSqlError& error) {
    const QString text = error.databaseText().isEmpty() ? error.text() : error.databaseText();
    return text.trimmed();
}

// What happened and what to do, for a failure while opening the history.
QString openFailureMessage(const QString& path, const QSqlError& error) {
    const QString file = QDir::toNativeSeparators(path);
    const QString detail = errorText(error);
    switch (sqliteCode(error)) {
    case Corrupt:
    case NotADatabase:
        return HistoryStore::tr("The history file %1 is damaged or is not an Omega Studio history "
                                "(%2). Move it aside or delete it, then restart Omega Studio to "
                                "start a new history; until then the studio works without "
                                "history.")
            .arg(file, detail);
    case Busy:
    case Locked:
        return HistoryStore::tr("The history file %1 is locked by another program (%2). Close "
                                "other Omega Studio windows using it and restart; until then the "
                                "studio works without history.")
            .arg(file, detail);
    case Full:
        return HistoryStore::tr("The disk holding the history file %1 is full (%2). Free some "
                                "space and restart Omega Studio; until then the studio works "
                                "without history.")
            .arg(file, detail);
    default:
        return HistoryStore::tr("The history file %1 cannot be opened for writing (%2). Check "
                                "that the file and its folder are writable by you (or set "
                                "OMEGA_DATA_DIR to a writable folder) and restart Omega Studio; "
                                "until then the studio works without history.")
            .arg(file, detail);
    }
}

qint64 toMs(const QDateTime& time) {
    return (time.isValid() ? time : QDateTime::currentDateTimeUtc()).toMSecsSinceEpoch();
}

QDateTime fromMs(const QVariant& value) {
    return QDateTime::fromMSecsSinceEpoch(value.toLongLong(), Qt::UTC);
}

// Qt binds a null QString as NULL; the text columns are NOT NULL.
QString text(const QString& value) {
    return value.isNull() ? QStringLiteral("") : value;
}

QVariant idOrNull(qint64 id) {
    return id > 0 ? QVariant(id) : QVariant(QMetaType::fromType<qint64>());
}

// LIKE pattern matching `term` literally anywhere: % _ and the escape character escaped.
QString likePattern(const QString& term) {
    QString escaped = term;
    escaped.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
    escaped.replace(QLatin1Char('%'), QStringLiteral("\\%"));
    escaped.replace(QLatin1Char('_'), QStringLiteral("\\_"));
    return QLatin1Char('%') + escaped + QLatin1Char('%');
}

// An FTS5 string: everything between double quotes is literal, a quote is doubled.
QString ftsPhrase(const QString& term) {
    QString escaped = term;
    escaped.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + escaped + QLatin1Char('"');
}

// Schema version 1. Times are milliseconds since the epoch (UTC). The original system's
// Script and Execution become entries, versions, attempts and outputs; AIProvider becomes
// providers without its api_key; Container stays containers.
const char* const kSchemaV1[] = {
    R"(CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        prompt TEXT NOT NULL DEFAULT '',
        last_status TEXT NOT NULL DEFAULT ''))",
    "CREATE INDEX entries_by_updated ON entries(updated DESC, id DESC)",
    R"(CREATE TABLE versions (
        id INTEGER PRIMARY KEY,
        entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
        created INTEGER NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        code TEXT NOT NULL DEFAULT '',
        provider TEXT NOT NULL DEFAULT '',
        model TEXT NOT NULL DEFAULT '',
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0))",
    "CREATE INDEX versions_by_entry ON versions(entry_id)",
    R"(CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
        version_id INTEGER REFERENCES versions(id) ON DELETE CASCADE,
        number INTEGER NOT NULL DEFAULT 0,
        created INTEGER NOT NULL,
        rendered INTEGER NOT NULL DEFAULT 0,
        succeeded INTEGER NOT NULL DEFAULT 0,
        error_category TEXT NOT NULL DEFAULT '',
        error_message TEXT NOT NULL DEFAULT '',
        error_line INTEGER NOT NULL DEFAULT 0,
        fix_source TEXT NOT NULL DEFAULT '',
        fix_detail TEXT NOT NULL DEFAULT '',
        tokens INTEGER NOT NULL DEFAULT 0,
        render_ms INTEGER NOT NULL DEFAULT 0,
        backend TEXT NOT NULL DEFAULT ''))",
    "CREATE INDEX attempts_by_entry ON attempts(entry_id)",
    "CREATE INDEX attempts_by_version ON attempts(version_id)",
    R"(CREATE TABLE outputs (
        id INTEGER PRIMARY KEY,
        entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
        version_id INTEGER REFERENCES versions(id) ON DELETE CASCADE,
        created INTEGER NOT NULL,
        scene TEXT NOT NULL DEFAULT '',
        path TEXT NOT NULL DEFAULT '',
        quality TEXT NOT NULL DEFAULT '',
        format TEXT NOT NULL DEFAULT ''))",
    "CREATE INDEX outputs_by_entry ON outputs(entry_id)",
    "CREATE INDEX outputs_by_version ON outputs(version_id)",
    R"(CREATE TABLE providers (
        name TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        endpoint TEXT NOT NULL DEFAULT '',
        deployment TEXT NOT NULL DEFAULT '',
        model TEXT NOT NULL DEFAULT '',
        api_version TEXT NOT NULL DEFAULT '',
        temperature REAL NOT NULL DEFAULT 0.7,
        max_tokens INTEGER NOT NULL DEFAULT 0,
        priority INTEGER NOT NULL DEFAULT 100,
        enabled INTEGER NOT NULL DEFAULT 1,
        stream INTEGER NOT NULL DEFAULT 1,
        connect_timeout_ms INTEGER NOT NULL DEFAULT 0,
        idle_timeout_ms INTEGER NOT NULL DEFAULT 0,
        max_retries INTEGER NOT NULL DEFAULT 0,
        saved INTEGER NOT NULL))",
    R"(CREATE TABLE containers (
        name TEXT PRIMARY KEY,
        engine TEXT NOT NULL DEFAULT '',
        image TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL DEFAULT '',
        last_checked INTEGER NOT NULL))",
};

// The search table holds, per entry (rowid = entry id), its title, prompt and the code of
// all its versions (each distinct code once); triggers keep it in step.
const char* const kSearchTriggers[] = {
    R"(CREATE TRIGGER entries_search_insert AFTER INSERT ON entries BEGIN
        INSERT INTO history_search(rowid, title, prompt, code)
        VALUES (new.id, new.title, new.prompt, '');
    END)",
    R"(CREATE TRIGGER entries_search_update AFTER UPDATE OF title, prompt ON entries BEGIN
        UPDATE history_search SET title = new.title, prompt = new.prompt WHERE rowid = new.id;
    END)",
    R"(CREATE TRIGGER entries_search_delete AFTER DELETE ON entries BEGIN
        DELETE FROM history_search WHERE rowid = old.id;
    END)",
    R"(CREATE TRIGGER versions_search_insert AFTER INSERT ON versions BEGIN
        UPDATE history_search SET code = code || char(10) || new.code
        WHERE rowid = new.entry_id AND instr(code, new.code) = 0;
    END)",
};

const char* const kSummaryColumns =
    "e.id, e.created, e.updated, e.title, e.prompt, "
    "(SELECT count(*) FROM versions v WHERE v.entry_id = e.id), e.last_status";

} // namespace

HistoryStore::HistoryStore(QObject* parent)
    : QObject(parent)
    , connectionName_(QStringLiteral("omega-history-%1").arg(++connectionCounter)) {}

HistoryStore::~HistoryStore() {
    close();
}

QString HistoryStore::defaultPath() {
    return QDir(omega::paths::dataDir()).filePath(QStringLiteral("history.sqlite"));
}

QSqlDatabase HistoryStore::database() const {
    return QSqlDatabase::database(connectionName_, false);
}

void HistoryStore::fail(const QString& message) const {
    lastError_ = message;
}

bool HistoryStore::exec(QSqlQuery& query, const char* what) const {
    if (query.exec())
        return true;
    fail(tr("Could not %1 in the history (%2).")
             .arg(QString::fromUtf8(what), errorText(query.lastError())));
    return false;
}

bool HistoryStore::isOpen() const {
    return open_;
}

void HistoryStore::close() {
    if (!QSqlDatabase::contains(connectionName_))
        return;
    {
        QSqlDatabase db = database();
        db.close();
    }
    QSqlDatabase::removeDatabase(connectionName_);
    open_ = false;
}

bool HistoryStore::open(const QString& path, QString* error) {
    close();
    path_ = QFileInfo(path).absoluteFilePath();
    auto failOpen = [&](const QString& message) {
        close();
        fail(message);
        if (error)
            *error = message;
        return false;
    };
    if (path.isEmpty())
        return failOpen(tr("No history file was given; the studio works without history."));
    const QString folder = QFileInfo(path_).absolutePath();
    if (!omega::paths::ensureDir(folder))
        return failOpen(tr("The folder %1 for the history cannot be created. Check that it is "
                           "writable by you (or set OMEGA_DATA_DIR to a writable folder) and "
                           "restart Omega Studio; until then the studio works without history.")
                            .arg(QDir::toNativeSeparators(folder)));
    if (QFileInfo(path_).isDir())
        return failOpen(tr("The history file %1 is a folder. Move it aside and restart Omega "
                           "Studio; until then the studio works without history.")
                            .arg(QDir::toNativeSeparators(path_)));
    // SQLite would open a read-only file read-only without a word, and WAL needs to create
    // its -wal and -shm files next to it: say so now rather than at the first write.
    // (No lock is taken to check: another window may be writing.)
    const QFileInfo file(path_);
    if ((file.exists() && !file.isWritable()) || !QFileInfo(folder).isWritable())
        return failOpen(tr("The history file %1 cannot be written: the file or its folder is "
                           "read-only for you. Make both writable (or set OMEGA_DATA_DIR to a "
                           "writable folder) and restart Omega Studio; until then the studio "
                           "works without history.")
                            .arg(QDir::toNativeSeparators(path_)));
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QSQLITE")))
        return failOpen(tr("Qt's SQLite driver is missing, so the history cannot be opened. "
                           "Install the package libqt6sql6-sqlite and restart Omega Studio; "
                           "until then the studio works without history."));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connectionName_);
        db.setDatabaseName(path_);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(kBusyTimeoutMs));
        if (!db.open())
            return failOpen(openFailureMessage(path_, db.lastError()));
    }
    open_ = true;
    QSqlError setupError;
    if (!configureConnection(&setupError) || !migrate(&setupError)) {
        const QString message =
            setupError.isValid() ? openFailureMessage(path_, setupError) : lastError_;
        return failOpen(message);
    }
    lastError_.clear();
    return true;
}

// Per connection: these pragmas are not stored in the file (except journal_mode).
bool HistoryStore::configureConnection(QSqlError* error) {
    QSqlQuery query(database());
    auto run = [&](const QString& sql) {
        if (query.exec(sql))
            return true;
        *error = query.lastError();
        return false;
    };
    // The first statement reads the file: a damaged or foreign file fails here.
    if (!run(QStringLiteral("PRAGMA journal_mode = WAL")))
        return false;
    if (query.next() &&
        query.value(0).toString().compare(QLatin1String("wal"), Qt::CaseInsensitive))
        qInfo("history: journal mode is %s, not WAL", qPrintable(query.value(0).toString()));
    return run(QStringLiteral("PRAGMA foreign_keys = ON")) &&
           run(QStringLiteral("PRAGMA synchronous = NORMAL")) &&
           run(QStringLiteral("PRAGMA busy_timeout = %1").arg(kBusyTimeoutMs));
}

bool HistoryStore::migrate(QSqlError* error) {
    QSqlDatabase db = database();
    QSqlQuery query(db);
    if (!query.exec(QStringLiteral("PRAGMA user_version")) || !query.next()) {
        *error = query.lastError();
        return false;
    }
    const int version = query.value(0).toInt();
    if (version > kSchemaVersion) {
        fail(tr("The history file %1 was written by a newer Omega Studio (schema %2, this one "
                "knows %3). Update Omega Studio, or move the file aside to start a new history; "
                "until then the studio works without history.")
                 .arg(QDir::toNativeSeparators(path_))
                 .arg(version)
                 .arg(kSchemaVersion));
        return false;
    }
    if (version == 0) {
        if (!query.exec(QStringLiteral("SELECT count(*) FROM sqlite_master")) || !query.next()) {
            *error = query.lastError();
            return false;
        }
        if (query.value(0).toInt() > 0) {
            fail(tr("The file %1 is an SQLite database but not an Omega Studio history. Move it "
                    "aside and restart Omega Studio to start a new history; until then the "
                    "studio works without history.")
                     .arg(QDir::toNativeSeparators(path_)));
            return false;
        }
        // BEGIN IMMEDIATE takes the write lock first: two windows creating the schema at once
        // wait for each other instead of failing.
        if (!query.exec(QStringLiteral("BEGIN IMMEDIATE"))) {
            *error = query.lastError();
            return false;
        }
        bool ok = true;
        for (const char* statement : kSchemaV1)
            ok = ok && query.exec(QString::fromUtf8(statement));
        // FTS5 with the trigram tokenizer (SQLite 3.34+; Debian 12 has 3.40) indexes every
        // substring of three characters; without it, a plain table searched with LIKE.
        if (ok && !query.exec(QStringLiteral("CREATE VIRTUAL TABLE history_search USING "
                                             "fts5(title, prompt, code, tokenize = 'trigram')")))
            ok = query.exec(QStringLiteral("CREATE TABLE history_search (rowid INTEGER PRIMARY "
                                           "KEY, title TEXT, prompt TEXT, code TEXT)"));
        for (const char* statement : kSearchTriggers)
            ok = ok && query.exec(QString::fromUtf8(statement));
        ok = ok && query.exec(QStringLiteral("PRAGMA user_version = %1").arg(kSchemaVersion));
        if (!ok) {
            *error = query.lastError();
            query.exec(QStringLiteral("ROLLBACK"));
            return false;
        }
        if (!query.exec(QStringLiteral("COMMIT"))) {
            *error = query.lastError();
            query.exec(QStringLiteral("ROLLBACK"));
            return false;
        }
    }
    // Future migrations: `if (version < 2) { … PRAGMA user_version = 2 }` in one transaction.
    if (!query.exec(
            QStringLiteral("SELECT sql FROM sqlite_master WHERE name = 'history_search'")) ||
        !query.next()) {
        *error = query.lastError();
        return false;
    }
    fullText_ = query.value(0).toString().contains(QLatin1String("fts5"), Qt::CaseInsensitive);
    return true;
}

qint64 HistoryStore::createEntry(const QString& title, const QString& prompt) {
    if (!open_)
        return 0;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QSqlQuery query(database());
    query.prepare(QStringLiteral("INSERT INTO entries (created, updated, title, prompt) "
                                 "VALUES (?, ?, ?, ?)"));
    query.addBindValue(now);
    query.addBindValue(now);
    query.addBindValue(text(title));
    query.addBindValue(text(prompt));
    if (!exec(query, "create an entry"))
        return 0;
    const qint64 id = query.lastInsertId().toLongLong();
    Q_EMIT changed(id);
    return id;
}

bool HistoryStore::renameEntry(qint64 entryId, const QString& title) {
    if (!open_)
        return false;
    QSqlQuery query(database());
    query.prepare(QStringLiteral("UPDATE entries SET title = ? WHERE id = ?"));
    query.addBindValue(text(title));
    query.addBindValue(entryId);
    if (!exec(query, "rename an entry"))
        return false;
    if (query.numRowsAffected() != 1) {
        fail(tr("The history has no entry %1 to rename.").arg(entryId));
        return false;
    }
    Q_EMIT changed(entryId);
    return true;
}

bool HistoryStore::touchEntry(qint64 entryId, const QString& status) {
    QSqlQuery query(database());
    if (status.isNull()) {
        query.prepare(QStringLiteral("UPDATE entries SET updated = max(updated, ?) WHERE id = ?"));
    } else {
        query.prepare(QStringLiteral(
            "UPDATE entries SET updated = max(updated, ?), last_status = ? WHERE id = ?"));
    }
    query.addBindValue(QDateTime::currentMSecsSinceEpoch());
    if (!status.isNull())
        query.addBindValue(status);
    query.addBindValue(entryId);
    return exec(query, "update an entry");
}

// Runs insert then touchEntry in one transaction; the new row's id, or 0.
qint64 HistoryStore::insertAndTouch(QSqlQuery& insert, qint64 entryId, const QString& status,
                                    const char* what) {
    if (!open_)
        return 0;
    QSqlDatabase db = database();
    if (!db.transaction()) {
        fail(tr("Could not %1 in the history (%2).")
                 .arg(QString::fromUtf8(what), errorText(db.lastError())));
        return 0;
    }
    if (!exec(insert, what) || !touchEntry(entryId, status)) {
        db.rollback();
        return 0;
    }
    const qint64 id = insert.lastInsertId().toLongLong();
    if (!db.commit()) {
        fail(tr("Could not %1 in the history (%2).")
                 .arg(QString::fromUtf8(what), errorText(db.lastError())));
        db.rollback();
        return 0;
    }
    Q_EMIT changed(entryId);
    return id;
}

qint64 HistoryStore::addVersion(const HistoryVersion& version) {
    if (!open_)
        return 0;
    QSqlQuery query(database());
    query.prepare(QStringLiteral(
        "INSERT INTO versions (entry_id, created, source, code, provider, model, input_tokens, "
        "output_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    query.addBindValue(version.entryId);
    query.addBindValue(toMs(version.created));
    query.addBindValue(text(version.source));
    query.addBindValue(text(version.code));
    query.addBindValue(text(version.provider));
    query.addBindValue(text(version.model));
    query.addBindValue(version.inputTokens);
    query.addBindValue(version.outputTokens);
    return insertAndTouch(query, version.entryId, QString(), "save a script version");
}

qint64 HistoryStore::addAttempt(const HistoryAttempt& attempt) {
    if (!open_)
        return 0;
    QSqlQuery query(database());
    query.prepare(QStringLiteral(
        "INSERT INTO attempts (entry_id, version_id, number, created, rendered, succeeded, "
        "error_category, error_message, error_line, fix_source, fix_detail, tokens, render_ms, "
        "backend) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    query.addBindValue(attempt.entryId);
    query.addBindValue(idOrNull(attempt.versionId));
    query.addBindValue(attempt.number);
    query.addBindValue(toMs(attempt.created));
    query.addBindValue(attempt.rendered ? 1 : 0);
    query.addBindValue(attempt.succeeded ? 1 : 0);
    query.addBindValue(text(attempt.errorCategory));
    query.addBindValue(text(attempt.errorMessage));
    query.addBindValue(attempt.errorLine);
    query.addBindValue(text(attempt.fixSource));
    query.addBindValue(text(attempt.fixDetail));
    query.addBindValue(attempt.tokens);
    query.addBindValue(attempt.renderMs);
    query.addBindValue(text(attempt.backend));
    const QString status =
        attempt.succeeded ? QStringLiteral("rendered") : QStringLiteral("failed");
    return insertAndTouch(query, attempt.entryId, status, "save an attempt");
}

qint64 HistoryStore::addOutput(const HistoryOutput& output) {
    if (!open_)
        return 0;
    QSqlQuery query(database());
    query.prepare(QStringLiteral(
        "INSERT INTO outputs (entry_id, version_id, created, scene, path, quality, format) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    query.addBindValue(output.entryId);
    query.addBindValue(idOrNull(output.versionId));
    query.addBindValue(toMs(output.created));
    query.addBindValue(text(output.scene));
    query.addBindValue(text(output.path));
    query.addBindValue(text(output.quality));
    query.addBindValue(text(output.format));
    return insertAndTouch(query, output.entryId, QStringLiteral("rendered"), "save an output");
}

bool HistoryStore::removeEntry(qint64 entryId) {
    if (!open_)
        return false;
    QSqlQuery query(database());
    query.prepare(QStringLiteral("DELETE FROM entries WHERE id = ?"));
    query.addBindValue(entryId);
    if (!exec(query, "delete an entry"))
        return false;
    if (query.numRowsAffected() != 1) {
        fail(tr("The history has no entry %1 to delete.").arg(entryId));
        return false;
    }
    Q_EMIT changed(entryId);
    return true;
}

QList<HistorySummary> HistoryStore::summaries(QSqlQuery& query) const {
    QList<HistorySummary> result;
    if (!exec(query, "read the history"))
        return result;
    while (query.next()) {
        HistorySummary summary;
        summary.id = query.value(0).toLongLong();
        summary.created = fromMs(query.value(1));
        summary.updated = fromMs(query.value(2));
        summary.title = query.value(3).toString();
        summary.prompt = query.value(4).toString();
        summary.versions = query.value(5).toInt();
        summary.lastStatus = query.value(6).toString();
        result.append(summary);
    }
    return result;
}

QList<HistorySummary> HistoryStore::recent(int limit, int offset) const {
    if (!open_ || limit <= 0)
        return {};
    QSqlQuery query(database());
    query.setForwardOnly(true);
    query.prepare(QStringLiteral("SELECT %1 FROM entries e ORDER BY e.updated DESC, e.id DESC "
                                 "LIMIT ? OFFSET ?")
                      .arg(QLatin1String(kSummaryColumns)));
    query.addBindValue(limit);
    query.addBindValue(qMax(0, offset));
    return summaries(query);
}

QList<HistorySummary> HistoryStore::search(const QString& text, int limit) const {
    return search(text, limit, 0);
}

QList<HistorySummary> HistoryStore::search(const QString& text, int limit, int offset) const {
    static const QRegularExpression whitespace(QStringLiteral("\\s+"));
    const QStringList terms = text.split(whitespace, Qt::SkipEmptyParts);
    if (terms.isEmpty())
        return recent(limit, offset);
    if (!open_ || limit <= 0)
        return {};
    offset = qMax(0, offset);
    // Terms of three characters or more go to the trigram index (an AND of literal phrases);
    // shorter ones, which a trigram index cannot find, are LIKE conditions on the candidates.
    QStringList phrases;
    QStringList likeTerms;
    bool ascii = true;
    for (const QString& term : terms) {
        if (fullText_ && term.toUcs4().size() >= 3)
            phrases.append(ftsPhrase(term));
        else
            likeTerms.append(term);
        for (QChar c : term)
            ascii = ascii && c.unicode() < 0x80;
    }
    auto likeConditions = [](qsizetype count) {
        QStringList conditions;
        for (qsizetype i = 0; i < count; ++i)
            conditions.append(QStringLiteral("(s.title LIKE ? ESCAPE '\\' OR s.prompt LIKE ? "
                                             "ESCAPE '\\' OR s.code LIKE ? ESCAPE '\\')"));
        return conditions;
    };
    auto bindLikes = [](QSqlQuery& query, const QStringList& likes) {
        for (const QString& term : likes) {
            const QString pattern = likePattern(term);
            query.addBindValue(pattern);
            query.addBindValue(pattern);
            query.addBindValue(pattern);
        }
    };

    // A term found in most entries ("self.play") costs the index a pass over every entry's
    // positions (about 100 ms for 10,000), while the newest entries hold a page of matches.
    // So first look in the newest kSearchWindow entries with LIKE, newest first (CROSS JOIN
    // keeps the index order, LIMIT stops early): when they hold the page, that is the answer,
    // since every entry outside the window is older. Else the index, which is complete.
    // LIKE folds ASCII case only, so a term beyond ASCII always goes to the index.
    constexpr int kSearchWindow = 1000;
    const bool windowFirst = !phrases.isEmpty() && ascii && offset + limit <= kSearchWindow;
    if (phrases.isEmpty() || windowFirst) {
        QSqlQuery query(database());
        query.setForwardOnly(true);
        const QString window = phrases.isEmpty()
                                   ? QStringLiteral("entries e")
                                   : QStringLiteral("(SELECT * FROM entries ORDER BY updated DESC, "
                                                    "id DESC LIMIT %1) e")
                                         .arg(kSearchWindow);
        query.prepare(QStringLiteral("SELECT %1 FROM %2 CROSS JOIN history_search s ON s.rowid "
                                     "= e.id WHERE %3 ORDER BY e.updated DESC, e.id DESC LIMIT ? "
                                     "OFFSET ?")
                          .arg(QLatin1String(kSummaryColumns), window,
                               likeConditions(terms.size()).join(QLatin1String(" AND "))));
        bindLikes(query, phrases.isEmpty() ? likeTerms : terms);
        query.addBindValue(limit);
        query.addBindValue(offset);
        QList<HistorySummary> found = summaries(query);
        if (phrases.isEmpty() || found.size() == limit)
            return found;
    }

    QStringList conditions = likeConditions(likeTerms.size());
    conditions.prepend(QStringLiteral("history_search MATCH ?"));
    QSqlQuery query(database());
    query.setForwardOnly(true);
    query.prepare(
        QStringLiteral("SELECT %1 FROM history_search s JOIN entries e ON e.id = "
                       "s.rowid WHERE %2 ORDER BY e.updated DESC, e.id DESC LIMIT ? "
                       "OFFSET ?")
            .arg(QLatin1String(kSummaryColumns), conditions.join(QLatin1String(" AND "))));
    query.addBindValue(phrases.join(QLatin1String(" AND ")));
    bindLikes(query, likeTerms);
    query.addBindValue(limit);
    query.addBindValue(offset);
    return summaries(query);
}

std::optional<HistoryEntry> HistoryStore::load(qint64 entryId) const {
    if (!open_)
        return std::nullopt;
    QSqlDatabase db = database();
    QSqlQuery query(db);
    query.setForwardOnly(true);
    query.prepare(QStringLiteral("SELECT %1 FROM entries e WHERE e.id = ?")
                      .arg(QLatin1String(kSummaryColumns)));
    query.addBindValue(entryId);
    const QList<HistorySummary> found = summaries(query);
    if (found.isEmpty())
        return std::nullopt;
    HistoryEntry entry;
    entry.summary = found.first();

    query.prepare(QStringLiteral("SELECT id, entry_id, created, source, code, provider, model, "
                                 "input_tokens, output_tokens FROM versions WHERE entry_id = ? "
                                 "ORDER BY id"));
    query.addBindValue(entryId);
    if (!exec(query, "read an entry's versions"))
        return std::nullopt;
    while (query.next()) {
        HistoryVersion version;
        version.id = query.value(0).toLongLong();
        version.entryId = query.value(1).toLongLong();
        version.created = fromMs(query.value(2));
        version.source = query.value(3).toString();
        version.code = query.value(4).toString();
        version.provider = query.value(5).toString();
        version.model = query.value(6).toString();
        version.inputTokens = query.value(7).toInt();
        version.outputTokens = query.value(8).toInt();
        entry.versions.append(version);
    }

    query.prepare(QStringLiteral(
        "SELECT id, entry_id, version_id, number, created, rendered, succeeded, error_category, "
        "error_message, error_line, fix_source, fix_detail, tokens, render_ms, backend "
        "FROM attempts WHERE entry_id = ? ORDER BY id"));
    query.addBindValue(entryId);
    if (!exec(query, "read an entry's attempts"))
        return std::nullopt;
    while (query.next()) {
        HistoryAttempt attempt;
        attempt.id = query.value(0).toLongLong();
        attempt.entryId = query.value(1).toLongLong();
        attempt.versionId = query.value(2).toLongLong();
        attempt.number = query.value(3).toInt();
        attempt.created = fromMs(query.value(4));
        attempt.rendered = query.value(5).toInt() != 0;
        attempt.succeeded = query.value(6).toInt() != 0;
        attempt.errorCategory = query.value(7).toString();
        attempt.errorMessage = query.value(8).toString();
        attempt.errorLine = query.value(9).toInt();
        attempt.fixSource = query.value(10).toString();
        attempt.fixDetail = query.value(11).toString();
        attempt.tokens = query.value(12).toInt();
        attempt.renderMs = query.value(13).toLongLong();
        attempt.backend = query.value(14).toString();
        entry.attempts.append(attempt);
    }

    query.prepare(QStringLiteral("SELECT id, entry_id, version_id, created, scene, path, quality, "
                                 "format FROM outputs WHERE entry_id = ? ORDER BY id"));
    query.addBindValue(entryId);
    if (!exec(query, "read an entry's outputs"))
        return std::nullopt;
    while (query.next()) {
        HistoryOutput output;
        output.id = query.value(0).toLongLong();
        output.entryId = query.value(1).toLongLong();
        output.versionId = query.value(2).toLongLong();
        output.created = fromMs(query.value(3));
        output.scene = query.value(4).toString();
        output.path = query.value(5).toString();
        output.quality = query.value(6).toString();
        output.format = query.value(7).toString();
        entry.outputs.append(output);
    }
    return entry;
}

int HistoryStore::count() const {
    if (!open_)
        return 0;
    QSqlQuery query(database());
    query.prepare(QStringLiteral("SELECT count(*) FROM entries"));
    if (!exec(query, "count the entries") || !query.next())
        return 0;
    return query.value(0).toInt();
}

bool HistoryStore::saveProviders(const QList<omega::ProviderConfig>& providers) {
    if (!open_)
        return false;
    QSqlDatabase db = database();
    if (!db.transaction()) {
        fail(
            tr("Could not save the providers in the history (%1).").arg(errorText(db.lastError())));
        return false;
    }
    QSqlQuery query(db);
    bool ok = query.exec(QStringLiteral("DELETE FROM providers"));
    if (!ok)
        exec(query, "replace the providers");
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (const omega::ProviderConfig& provider : providers) {
        if (!ok)
            break;
        // Deliberately no key: keys live only in the OS keychain.
        query.prepare(QStringLiteral(
            "INSERT OR REPLACE INTO providers (name, type, endpoint, deployment, model, "
            "api_version, temperature, max_tokens, priority, enabled, stream, connect_timeout_ms, "
            "idle_timeout_ms, max_retries, saved) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?)"));
        query.addBindValue(text(provider.name));
        query.addBindValue(omega::providerTypeName(provider.type));
        query.addBindValue(text(provider.endpoint));
        query.addBindValue(text(provider.deployment));
        query.addBindValue(text(provider.model));
        query.addBindValue(text(provider.apiVersion));
        query.addBindValue(provider.temperature);
        query.addBindValue(provider.maxTokens);
        query.addBindValue(provider.priority);
        query.addBindValue(provider.enabled ? 1 : 0);
        query.addBindValue(provider.stream ? 1 : 0);
        query.addBindValue(provider.connectTimeoutMs);
        query.addBindValue(provider.idleTimeoutMs);
        query.addBindValue(provider.maxRetries);
        query.addBindValue(now);
        ok = exec(query, "save a provider");
    }
    if (!ok || !db.commit()) {
        if (ok)
            fail(tr("Could not save the providers in the history (%1).")
                     .arg(errorText(db.lastError())));
        db.rollback();
        return false;
    }
    Q_EMIT changed(0);
    return true;
}

QList<omega::ProviderConfig> HistoryStore::providers() const {
    QList<omega::ProviderConfig> result;
    if (!open_)
        return result;
    QSqlQuery query(database());
    query.prepare(QStringLiteral(
        "SELECT name, type, endpoint, deployment, model, api_version, temperature, max_tokens, "
        "priority, enabled, stream, connect_timeout_ms, idle_timeout_ms, max_retries "
        "FROM providers ORDER BY priority, name"));
    if (!exec(query, "read the providers"))
        return result;
    while (query.next()) {
        omega::ProviderConfig provider;
        provider.name = query.value(0).toString();
        provider.type = omega::providerTypeFromName(query.value(1).toString())
                            .value_or(omega::ProviderType::OpenAI);
        provider.endpoint = query.value(2).toString();
        provider.deployment = query.value(3).toString();
        provider.model = query.value(4).toString();
        provider.apiVersion = query.value(5).toString();
        provider.temperature = query.value(6).toDouble();
        provider.maxTokens = query.value(7).toInt();
        provider.priority = query.value(8).toInt();
        provider.enabled = query.value(9).toInt() != 0;
        provider.stream = query.value(10).toInt() != 0;
        provider.connectTimeoutMs = query.value(11).toInt();
        provider.idleTimeoutMs = query.value(12).toInt();
        provider.maxRetries = query.value(13).toInt();
        result.append(provider);
    }
    return result;
}

bool HistoryStore::recordContainer(const QString& name, const QString& engine, const QString& image,
                                   const QString& state) {
    if (!open_)
        return false;
    QSqlQuery query(database());
    query.prepare(QStringLiteral("INSERT OR REPLACE INTO containers (name, engine, image, state, "
                                 "last_checked) VALUES (?, ?, ?, ?, ?)"));
    query.addBindValue(text(name));
    query.addBindValue(text(engine));
    query.addBindValue(text(image));
    query.addBindValue(text(state));
    query.addBindValue(QDateTime::currentMSecsSinceEpoch());
    if (!exec(query, "record a container"))
        return false;
    Q_EMIT changed(0);
    return true;
}

QString HistoryStore::describeAttempt(const HistoryAttempt& attempt) {
    QString line = tr("attempt %1").arg(attempt.number);
    if (!attempt.fixSource.isEmpty() && attempt.fixSource != QLatin1String("original"))
        line += QStringLiteral(" (") + tr("%1 fix").arg(attempt.fixSource) + QLatin1Char(')');
    if (attempt.succeeded) {
        line += attempt.renderMs > 0
                    ? tr(" rendered in %1 s").arg(double(attempt.renderMs) / 1000.0, 0, 'f', 1)
                    : tr(" rendered");
    } else {
        line += attempt.rendered ? tr(" failed") : tr(" stopped before rendering");
        const QString message = attempt.errorMessage.section(QLatin1Char('\n'), 0, 0).trimmed();
        QString what = attempt.errorCategory;
        if (!message.isEmpty()) {
            const QString shortMessage =
                message.size() > 80 ? message.left(79) + QChar(0x2026) : message;
            what =
                what.isEmpty() ? shortMessage : QStringLiteral("%1 (%2)").arg(what, shortMessage);
        }
        if (!what.isEmpty())
            line += QStringLiteral(": ") + what;
        if (attempt.errorLine > 0)
            line += tr(" at line %1").arg(attempt.errorLine);
    }
    return line;
}

} // namespace omega::ui
