// omega-studio-bench: the studio's responsiveness figures (docs/BENCHMARKS.md, "Studio").
//   launch     process start → main window shown and the event loop idle (from /proc, 10 ms steps)
//   idle       resident and proportional memory after the window has sat idle for 2 s
//   stall      the longest gap of a 5 ms timer on the GUI thread while a 20 KB script streams in
//              from the fake provider (many small deltas) and is then rendered with progress
// Prints one JSON object. Run under Xvfb (scripts/test-session.sh) with real Manim:
//   build/bin/omega-studio-bench [--runs N]
#include "FakeProviderServer.h"
#include "MainWindow.h"
#include "PromptEditor.h"
#include "ProviderSettings.h"
#include "ScriptEditor.h"
#include "VideoPreview.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <QUrl>

#include <algorithm>
#include <cstdio>
#include <unistd.h>

namespace {

// Seconds since boot at which this process started, and now (both from /proc).
double processStartSeconds() {
    QFile stat(QStringLiteral("/proc/self/stat"));
    if (!stat.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray line = stat.readAll();
    // Field 22 (starttime, clock ticks), counted after the ")" that ends the command name.
    const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 20)
        return -1;
    return fields.at(19).toDouble() / double(sysconf(_SC_CLK_TCK));
}

double uptimeSeconds() {
    QFile uptime(QStringLiteral("/proc/uptime"));
    if (!uptime.open(QIODevice::ReadOnly))
        return -1;
    return uptime.readAll().split(' ').value(0).toDouble();
}

qint64 statusKb(const QByteArray& file, const QByteArray& key) {
    QFile status(QString::fromLatin1(file));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray& line : status.readAll().split('\n')) {
        if (line.startsWith(key))
            return line.mid(key.size()).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

// A valid 20 KB Manim script: a short scene after a long comment block.
QString bigScript() {
    QString script = QStringLiteral("from manim import *\n\n");
    int i = 0;
    while (script.size() < 20000)
        script += QStringLiteral("# Line %1 of the notes the model wrote about this scene, kept "
                                 "long on purpose.\n")
                      .arg(++i);
    script += QStringLiteral("\n\nclass Big(Scene):\n"
                             "    def construct(self):\n"
                             "        square = Square(color=BLUE)\n"
                             "        self.play(Create(square), run_time=1)\n"
                             "        self.play(square.animate.rotate(PI / 4), run_time=1)\n"
                             "        self.play(FadeOut(square), run_time=1)\n");
    return script;
}

// The longest wait of the GUI thread: a 5 ms timer should fire every 5 ms.
class StallMonitor : public QObject {
public:
    StallMonitor() {
        timer_.setInterval(5);
        timer_.setTimerType(Qt::PreciseTimer);
        connect(&timer_, &QTimer::timeout, this, [this] {
            const qint64 now = clock_.nsecsElapsed();
            if (last_ > 0) {
                const double gap = double(now - last_) / 1e6;
                gaps_ << gap;
                if (gap > 50.0)
                    long_ << QStringLiteral("%1 ms at %2 ms (%3)")
                                 .arg(gap, 0, 'f', 0)
                                 .arg(double(now) / 1e6, 0, 'f', 0)
                                 .arg(phase_);
            }
            last_ = now;
        });
    }
    void setPhase(const QString& phase) { phase_ = phase; }
    void start() {
        long_.clear();
        phase_ = QStringLiteral("generating");
        gaps_.clear();
        last_ = 0;
        clock_.start();
        timer_.start();
    }
    void stop() { timer_.stop(); }
    QJsonObject summary() const {
        QList<double> sorted = gaps_;
        std::sort(sorted.begin(), sorted.end());
        const auto at = [&](double q) {
            return sorted.isEmpty()
                       ? 0.0
                       : sorted.at(qMin(sorted.size() - 1, qsizetype(q * sorted.size())));
        };
        int over50 = 0;
        for (double gap : gaps_)
            over50 += gap > 50.0 ? 1 : 0;
        return {{QStringLiteral("ticks"), int(gaps_.size())},
                {QStringLiteral("max_ms"), sorted.isEmpty() ? 0.0 : sorted.last()},
                {QStringLiteral("p99_ms"), at(0.99)},
                {QStringLiteral("median_ms"), at(0.5)},
                {QStringLiteral("over_50ms"), over50},
                {QStringLiteral("long_gaps"), QJsonArray::fromStringList(long_)}};
    }

private:
    QTimer timer_;
    QElapsedTimer clock_;
    qint64 last_ = 0;
    QList<double> gaps_;
    QStringList long_;
    QString phase_;
};

} // namespace

// Names the event behind each long stall: the receiver's class and the event type.
class TimedApplication : public QApplication {
public:
    using QApplication::QApplication;
    bool notify(QObject* receiver, QEvent* event) override {
        QElapsedTimer clock;
        clock.start();
        const int type = event->type();
        // Taken before delivery: a DeferredDelete deletes the receiver.
        const QString receiverClass = QString::fromLatin1(receiver->metaObject()->className());
        ++depth_;
        const bool result = QApplication::notify(receiver, event);
        --depth_;
        const qint64 ms = clock.elapsed();
        if (ms > 40 && depth_ == 0)
            slowEvents
                << QStringLiteral("%1 ms: %2, event type %3").arg(ms).arg(receiverClass).arg(type);
        return result;
    }
    QStringList slowEvents;
    int depth_ = 0; // only the outermost event of a nested delivery is reported
};

int main(int argc, char* argv[]) {
    QTemporaryDir data;
    QTemporaryDir config;
    if (!data.isValid() || !config.isValid())
        return 1;
    qputenv("OMEGA_DATA_DIR", data.path().toUtf8());
    qputenv("OMEGA_CONFIG_DIR", config.path().toUtf8());
    qputenv("OMEGA_NO_CLOSE_PROMPT", "1");

    TimedApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addOption({QStringLiteral("runs"), QStringLiteral("Stall runs (default 3)."),
                      QStringLiteral("N"), QStringLiteral("3")});
    parser.process(app);
    const int runs = qMax(1, parser.value(QStringLiteral("runs")).toInt());

    // The fake provider answers from its own thread: its writes are not the window's stalls.
    QThread serverThread;
    QObject serverContext; // lives in serverThread: what the calls below run in
    serverContext.moveToThread(&serverThread);
    serverThread.start();
    omega::FakeProviderServer* server = nullptr;
    const QString script = bigScript();
    QUrl serverUrl;
    QMetaObject::invokeMethod(
        &serverContext,
        [&] {
            server = new omega::FakeProviderServer;
            server->setExpectedKey(QString()); // a local server: no key
            server->setAnswer(QStringLiteral("```python\n%1```\n").arg(script));
            omega::FakeProviderConfig fake = server->config();
            fake.chunkSize = 16; // about 1,300 deltas, as fast as the socket takes them
            server->setConfig(fake);
            if (server->listen())
                serverUrl = server->baseUrl();
        },
        Qt::BlockingQueuedConnection);
    if (serverUrl.isEmpty()) {
        std::fprintf(stderr, "cannot start the fake provider\n");
        return 1;
    }
    omega::ProviderConfig provider = omega::defaultProviderConfig(
        omega::ProviderType::OpenAICompatible, QStringLiteral("bench-fake"));
    provider.endpoint = serverUrl.toString() + QStringLiteral("/v1");
    provider.model = QStringLiteral("llama-bench");
    omega::ProviderSettings::save({provider});

    omega::ui::MainWindowOptions options;
    options.autoRender = false;
    auto* window = new omega::ui::MainWindow(options);
    window->show();

    QJsonObject out;
    StallMonitor monitor;
    QList<double> stallMax;
    QJsonArray stallRuns;
    int run = 0;

    const auto finishAll = [&] {
        std::sort(stallMax.begin(), stallMax.end());
        out.insert(QStringLiteral("stall_runs"), stallRuns);
        out.insert(QStringLiteral("stall_max_ms_median"),
                   stallMax.isEmpty() ? 0.0 : stallMax.at(stallMax.size() / 2));
        out.insert(QStringLiteral("stall_goal_ms"), 50);
        out.insert(QStringLiteral("slow_events"), QJsonArray::fromStringList(app.slowEvents));
        std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Indented).constData());
        window->close();
        delete window;
        QMetaObject::invokeMethod(
            &serverContext, [&] { delete server; }, Qt::BlockingQueuedConnection);
        serverThread.quit();
        serverThread.wait();
        QCoreApplication::exit(0);
    };

    QObject::connect(window->preview(), &omega::ui::VideoPreview::sourceChanged, &app,
                     [&] { monitor.setPhase(QStringLiteral("preview")); });
    std::function<void()> startRun = [&] {
        monitor.start();
        window->generate(QStringLiteral("A square that turns and fades"));
    };
    QObject::connect(window, &omega::ui::MainWindow::renderFinished, &app,
                     [&](const omega::RenderResult& result) {
                         monitor.stop();
                         QJsonObject summary = monitor.summary();
                         summary.insert(QStringLiteral("render_ok"), result.result.ok());
                         stallRuns.append(summary);
                         stallMax << summary.value(QStringLiteral("max_ms")).toDouble();
                         if (++run < runs)
                             QTimer::singleShot(500, &app, startRun);
                         else
                             QTimer::singleShot(0, &app, finishAll);
                     });
    QObject::connect(window, &omega::ui::MainWindow::generationFinished, &app,
                     [&](const omega::GenerationResult& result) {
                         monitor.setPhase(QStringLiteral("rendering"));
                         if (!result.result.ok()) {
                             std::fprintf(stderr, "generation failed: %s\n",
                                          qPrintable(result.result.error.message));
                             QCoreApplication::exit(1);
                         }
                     });

    // Launch: the first idle turn of the event loop after show().
    QTimer::singleShot(0, &app, [&] {
        const double start = processStartSeconds();
        const double now = uptimeSeconds();
        out.insert(QStringLiteral("launch_ms"), start >= 0 && now >= 0 ? (now - start) * 1000 : -1);
        // Idle memory: after two quiet seconds.
        QTimer::singleShot(2000, &app, [&] {
            out.insert(QStringLiteral("idle_rss_mb"),
                       double(statusKb("/proc/self/status", "VmRSS:")) / 1024.0);
            out.insert(QStringLiteral("idle_pss_mb"),
                       double(statusKb("/proc/self/smaps_rollup", "Pss:")) / 1024.0);
            out.insert(QStringLiteral("script_bytes"), int(script.toUtf8().size()));
            startRun();
        });
    });
    return QApplication::exec();
}
