// omega-history-bench: how long a history of 10,000 entries takes to open (issue #6, goal
// < 300 ms), and how long a search over it blocks the window.
//
//   omega-history-bench [--entries N] [--runs N]
//
// Creates N entries (default 10,000), each with a prompt, a 1–3 KB Manim script version and
// an attempt, through HistoryStore in a temporary data folder. Then, --runs times (default 5):
// the time from HistoryStore::open to a HistoryPanel shown with its first page painted
// (offscreen platform), and the time of searches (the store's query, and the panel's search
// as the window would run it after the debounce). Prints one JSON object; times in ms,
// medians and every run. Exits 1 when the open median misses the 300 ms goal.

#include "HistoryPanel.h"
#include "HistoryStore.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QWindow>

#include <algorithm>
#include <cstdio>
#include <functional>

using omega::ui::HistoryPanel;
using omega::ui::HistoryStore;

namespace {

// A plausible generated scene of about `bytes` bytes: imports, a class, construct() with a
// mix of the usual mobjects and animations, names and numbers varied by the generator.
QString manimScript(QRandomGenerator& random, int index, int bytes) {
    static const QStringList shapes = {
        QStringLiteral("Circle(radius=%1, color=%2)"),
        QStringLiteral("Square(side_length=%1, color=%2)"),
        QStringLiteral("Triangle(color=%2).scale(%1)"),
        QStringLiteral("Rectangle(width=%1, height=2, color=%2)"),
        QStringLiteral("Dot(radius=0.%1, color=%2)"),
        QStringLiteral("Arrow(LEFT * %1, RIGHT, color=%2)"),
        QStringLiteral("MathTex(r\"\\\\int_0^{%1} x^2 dx\", color=%2)"),
        QStringLiteral("Text(\"Step %1\", font_size=36, color=%2)"),
        QStringLiteral("NumberPlane(x_range=[-%1, %1]).set_color(%2).set_opacity(0.4)"),
        QStringLiteral("Axes(x_range=[0, %1], y_range=[0, 5]).set_color(%2)"),
    };
    static const QStringList colors = {QStringLiteral("BLUE"),   QStringLiteral("RED"),
                                       QStringLiteral("GREEN"),  QStringLiteral("YELLOW"),
                                       QStringLiteral("TEAL"),   QStringLiteral("PURPLE"),
                                       QStringLiteral("ORANGE"), QStringLiteral("WHITE")};
    static const QStringList animations = {
        QStringLiteral("self.play(Create(%1), run_time=%2)"),
        QStringLiteral("self.play(FadeIn(%1, shift=UP), run_time=%2)"),
        QStringLiteral("self.play(%1.animate.shift(RIGHT * %2))"),
        QStringLiteral("self.play(Rotate(%1, angle=PI / %2))"),
        QStringLiteral("self.play(%1.animate.scale(0.%2))"),
        QStringLiteral("self.play(Indicate(%1))\n        self.wait(0.%2)"),
        QStringLiteral("self.play(FadeOut(%1), run_time=%2)"),
    };
    QString code = QStringLiteral("from manim import *\n\n\n"
                                  "class GeneratedScene%1(Scene):\n"
                                  "    \"\"\"Scene %1, generated from a prompt.\"\"\"\n\n"
                                  "    def construct(self):\n")
                       .arg(index);
    int object = 0;
    while (code.size() < bytes) {
        const QString name = QStringLiteral("item_%1").arg(++object);
        const QString shape = shapes.at(random.bounded(int(shapes.size())))
                                  .arg(random.bounded(1, 9))
                                  .arg(colors.at(random.bounded(int(colors.size()))));
        code += QStringLiteral("        # part %1\n        %2 = %3\n        %2.move_to(%4 * LEFT + "
                               "%5 * UP)\n")
                    .arg(object)
                    .arg(name, shape)
                    .arg(random.bounded(-4, 5))
                    .arg(random.bounded(-3, 4));
        code += QStringLiteral("        ") +
                animations.at(random.bounded(int(animations.size())))
                    .arg(name)
                    .arg(random.bounded(1, 4)) +
                QLatin1Char('\n');
    }
    code += QStringLiteral("        self.wait()\n");
    return code;
}

qint64 median(QList<qint64> values) {
    std::sort(values.begin(), values.end());
    return values.isEmpty() ? 0 : values.at(values.size() / 2);
}

QJsonObject figures(const QList<qint64>& runs) {
    QJsonArray all;
    for (qint64 value : runs)
        all.append(double(value) / 1000.0);
    return {{QStringLiteral("median_ms"), double(median(runs)) / 1000.0},
            {QStringLiteral("runs_ms"), all}};
}

// Runs `work` `runs` times; microseconds of each run.
QList<qint64> measure(int runs, const std::function<void()>& work) {
    QList<qint64> times;
    for (int i = 0; i < runs; ++i) {
        QElapsedTimer timer;
        timer.start();
        work();
        times.append(timer.nsecsElapsed() / 1000);
    }
    return times;
}

// Counts paint events of the list's viewport: the first page is on screen after one.
class PaintCounter : public QObject {
public:
    int paints = 0;
    bool eventFilter(QObject*, QEvent* event) override {
        if (event->type() == QEvent::Paint)
            ++paints;
        return false;
    }
};

void fail(const QString& message) {
    std::fprintf(stderr, "omega-history-bench: %s\n", qPrintable(message));
    std::exit(1);
}

} // namespace

int main(int argc, char** argv) {
    // The figure is the app's own work, not a window system's: no real screen.
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("History open and search benchmark"));
    parser.addHelpOption();
    parser.addOption({QStringLiteral("entries"), QStringLiteral("Entries to create."),
                      QStringLiteral("N"), QStringLiteral("10000")});
    parser.addOption({QStringLiteral("runs"), QStringLiteral("Runs of each measure."),
                      QStringLiteral("N"), QStringLiteral("5")});
    parser.process(app);
    const int entries = parser.value(QStringLiteral("entries")).toInt();
    const int runs = qMax(1, parser.value(QStringLiteral("runs")).toInt());

    QTemporaryDir dir;
    if (!dir.isValid())
        fail(QStringLiteral("cannot create a temporary folder"));
    qputenv("OMEGA_DATA_DIR", dir.path().toUtf8()); // never the user's history
    const QString path = dir.filePath(QStringLiteral("history.sqlite"));

    // The history, written the way the app writes it: one small transaction per record.
    QElapsedTimer fillTimer;
    fillTimer.start();
    qint64 codeBytes = 0;
    {
        HistoryStore store;
        QString error;
        if (!store.open(path, &error))
            fail(error);
        QRandomGenerator random(20261127);
        for (int i = 1; i <= entries; ++i) {
            const qint64 id = store.createEntry(
                QStringLiteral("Animation %1: %2").arg(i).arg(random.bounded(1000, 9999)),
                QStringLiteral("Show a scene number %1 with shapes moving across the screen, "
                               "then fade everything out")
                    .arg(i));
            omega::ui::HistoryVersion version;
            version.entryId = id;
            version.source = QStringLiteral("prompt");
            version.code = manimScript(random, i, random.bounded(1024, 3072));
            version.provider = QStringLiteral("gemini");
            version.model = QStringLiteral("gemini-2.5-flash");
            version.inputTokens = 600;
            version.outputTokens = int(version.code.size() / 4);
            codeBytes += version.code.size();
            version.id = store.addVersion(version);
            omega::ui::HistoryAttempt attempt;
            attempt.entryId = id;
            attempt.versionId = version.id;
            attempt.number = 1;
            attempt.rendered = true;
            attempt.succeeded = i % 4 != 0;
            attempt.errorCategory = attempt.succeeded ? QString() : QStringLiteral("code_error");
            attempt.renderMs = 3000 + random.bounded(4000);
            if (!id || !version.id || !store.addAttempt(attempt))
                fail(store.lastError());
        }
    }
    const qint64 fillMs = fillTimer.elapsed();

    // Open: HistoryStore::open → panel shown, first page painted.
    qint64 rowsShown = 0;
    const QList<qint64> openTimes = measure(runs, [&] {
        HistoryStore store;
        QString error;
        if (!store.open(path, &error))
            fail(error);
        HistoryPanel panel(&store);
        PaintCounter counter;
        panel.view()->viewport()->installEventFilter(&counter);
        panel.resize(380, 720);
        panel.show();
        QElapsedTimer guard;
        guard.start();
        while (counter.paints == 0 && guard.elapsed() < 10000)
            QApplication::processEvents(QEventLoop::AllEvents, 5);
        if (counter.paints == 0)
            fail(QStringLiteral("the panel was never painted"));
        rowsShown = panel.view()->model()->rowCount();
    });

    HistoryStore store;
    if (!store.open(path))
        fail(store.lastError());
    const int total = store.count();

    // Searches: the store's query alone, for several kinds of terms.
    struct Query {
        const char* name;
        QString text;
    };
    const QList<Query> queries = {
        {"one_match_title", QStringLiteral("Animation 4242:")},
        {"rare_code_term", QStringLiteral("GeneratedScene7777(")},
        {"common_term_all_match", QStringLiteral("self.play")},
        {"two_terms", QStringLiteral("indicate purple")},
        {"short_term_like_fallback", QStringLiteral("x^")},
        {"no_match", QStringLiteral("no such animation")},
        {"short_term_no_match_full_scan", QStringLiteral("q~")},
    };
    QJsonObject searches;
    for (const Query& query : queries) {
        int found = 0;
        QJsonObject result = figures(measure(
            runs, [&] { found = int(store.search(query.text, HistoryPanel::kPageSize).size()); }));
        result.insert(QStringLiteral("query"), query.text);
        result.insert(QStringLiteral("results"), found);
        searches.insert(QString::fromLatin1(query.name), result);
    }

    // The panel's search as the window runs it after the debounce (blocking the GUI thread):
    // from Enter in the search box to the list reset with its first page.
    HistoryPanel panel(&store);
    panel.show();
    QApplication::processEvents();
    int panelRows = 0;
    const QList<qint64> panelSearchTimes = measure(runs, [&] {
        panel.searchBox()->setText(QStringLiteral("self.play"));
        Q_EMIT panel.searchBox()->returnPressed();
        panelRows = panel.view()->model()->rowCount();
        panel.searchBox()->setText(QString());
        Q_EMIT panel.searchBox()->returnPressed();
    });
    // Paging deep into the list (OFFSET): the last page.
    const QList<qint64> lastPageTimes =
        measure(runs, [&] { store.recent(HistoryPanel::kPageSize, total - 200); });

    QJsonObject result{
        {QStringLiteral("entries"), total},
        {QStringLiteral("runs"), runs},
        {QStringLiteral("db_bytes"),
         double(QFileInfo(path).size() + QFileInfo(path + QStringLiteral("-wal")).size())},
        {QStringLiteral("code_bytes"), double(codeBytes)},
        {QStringLiteral("fill_ms"), double(fillMs)},
        {QStringLiteral("open_to_first_page_painted"), figures(openTimes)},
        {QStringLiteral("first_page_rows"), rowsShown},
        {QStringLiteral("goal_ms"), 300},
        {QStringLiteral("store_search"), searches},
        {QStringLiteral("panel_search_and_clear"), figures(panelSearchTimes)},
        {QStringLiteral("panel_search_rows"), panelRows},
        {QStringLiteral("last_page_fetch"), figures(lastPageTimes)},
        {QStringLiteral("qt_version"), QString::fromLatin1(qVersion())},
    };
    std::printf("%s\n", QJsonDocument(result).toJson(QJsonDocument::Indented).constData());
    return median(openTimes) / 1000 < 300 ? 0 : 1;
}
