#pragma once

#include "ProviderConfig.h"

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QString>

#include <optional>

class QSqlDatabase;
class QSqlError;
class QSqlQuery;

namespace omega::ui {

// One version of an entry's script: what the prompt produced, an edit, a gate rewrite, a
// dependency install, an AI fix, or a file the user opened.
struct HistoryVersion {
    qint64 id = 0;
    qint64 entryId = 0;
    QDateTime created;
    QString source; // prompt | edit | rewrite | dependency | ai | file
    QString code;
    QString provider;
    QString model;
    int inputTokens = 0;
    int outputTokens = 0;
};

// One render attempt (or a version the gate rejected before rendering: rendered = false).
struct HistoryAttempt {
    qint64 id = 0;
    qint64 entryId = 0;
    qint64 versionId = 0; // 0: not tied to a stored version
    int number = 0;
    QDateTime created;
    bool rendered = false;
    bool succeeded = false;
    QString errorCategory; // omega::categoryName(), "" when it rendered
    QString errorMessage;
    int errorLine = 0;
    // What produced this attempt's script, as HealingAttempt::fixSource and fixDetail:
    // original | rewrite | dependency | ai ("" or original: nothing was fixed yet).
    QString fixSource;
    QString fixDetail; // "pyyaml 6.0.2", "openai gpt-4.1-mini", "ShowCreation → Create"
    int tokens = 0;
    qint64 renderMs = 0;
    QString backend;
};

// A file a render produced.
struct HistoryOutput {
    qint64 id = 0;
    qint64 entryId = 0;
    qint64 versionId = 0;
    QDateTime created;
    QString scene;
    QString path;
    QString quality;
    QString format;
};

struct HistorySummary {
    qint64 id = 0;
    QDateTime created;
    QDateTime updated;
    QString title;
    QString prompt;
    int versions = 0;
    QString lastStatus; // "", rendered, failed
};

struct HistoryEntry {
    HistorySummary summary;
    QList<HistoryVersion> versions; // oldest first
    QList<HistoryAttempt> attempts; // oldest first
    QList<HistoryOutput> outputs;   // oldest first
};

// The studio's history: every prompt, script version, attempt and output, in one SQLite
// file (DATA/history.sqlite) through Qt Sql. WAL journal, so a second connection (another
// window, a test) reads while this one writes. Search uses an FTS5 trigram index over title,
// prompt and every version's code (case-insensitive substrings; terms shorter than three
// characters fall back to LIKE). Also holds the original system's AIProvider and Container
// records — never an API key.
// Use it from the thread that created it (a Qt Sql connection belongs to one thread).
class HistoryStore : public QObject {
    Q_OBJECT
public:
    static constexpr int kSchemaVersion = 1;

    explicit HistoryStore(QObject* parent = nullptr);
    ~HistoryStore() override;

    static QString defaultPath(); // DATA/history.sqlite

    // Creates or migrates the schema (PRAGMA user_version), WAL, foreign keys, busy timeout.
    // False with a message for the user (what happened, what to do) in *error and
    // lastError(): the app then runs without history.
    bool open(const QString& path = defaultPath(), QString* error = nullptr);
    void close();
    bool isOpen() const;
    QString path() const { return path_; }
    QString lastError() const { return lastError_; }

    qint64 createEntry(const QString& title, const QString& prompt); // 0 on failure
    bool renameEntry(qint64 entryId, const QString& title);
    qint64 addVersion(const HistoryVersion& version); // bumps the entry's updated
    qint64 addAttempt(const HistoryAttempt& attempt); // bumps updated, sets the status
    qint64 addOutput(const HistoryOutput& output);    // bumps updated, status rendered
    bool removeEntry(qint64 entryId);                 // with its versions, attempts, outputs

    QList<HistorySummary> recent(int limit = 200, int offset = 0) const; // newest updated first
    // Every whitespace-separated term must appear (case-insensitive, literally: % _ " ' are
    // plain characters) in the title, the prompt or one of the versions' code; newest first.
    QList<HistorySummary> search(const QString& text, int limit = 200) const;
    QList<HistorySummary> search(const QString& text, int limit, int offset) const;
    std::optional<HistoryEntry> load(qint64 entryId) const;
    int count() const;

    // The original system's AIProvider and Container records (no key column, ever).
    // saveProviders replaces the stored list with this one.
    bool saveProviders(const QList<omega::ProviderConfig>& providers);
    QList<omega::ProviderConfig> providers() const;
    bool recordContainer(const QString& name, const QString& engine, const QString& image,
                         const QString& state);

    // One line: "attempt 1 failed: code_error (NameError: …) at line 12",
    // "attempt 2 (ai fix) rendered in 3.4 s".
    static QString describeAttempt(const HistoryAttempt& attempt);

Q_SIGNALS:
    void changed(qint64 entryId); // after any write (entryId 0 = several)

private:
    QSqlDatabase database() const;
    bool exec(QSqlQuery& query, const char* what) const;
    bool configureConnection(QSqlError* error);
    bool migrate(QSqlError* error);
    bool touchEntry(qint64 entryId, const QString& status);
    qint64 insertAndTouch(QSqlQuery& insert, qint64 entryId, const QString& status,
                          const char* what);
    QList<HistorySummary> summaries(QSqlQuery& query) const;
    void fail(const QString& message) const;

    QString connectionName_;
    QString path_;
    bool open_ = false;
    bool fullText_ = false; // FTS5 trigram index; else LIKE over the same table
    mutable QString lastError_;
};

} // namespace omega::ui
