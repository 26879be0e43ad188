#pragma once

#include "BaseAgent.h"
#include "DockerAgent.h"
#include "ErrorClassifier.h"
#include "ProgressParser.h"
#include "RenderOptions.h"
#include "SandboxCommand.h"
#include "SceneFinder.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QProcess>
#include <QTimer>

namespace omega {

struct SceneOutput {
    QString scene;
    QString path;            // verified to exist and be non-empty (the copy, with outputPath)
    QString mediaPath;       // where manim wrote it
    bool stillImage = false; // a PNG: last-frame render, or a scene without animations
    qint64 elapsedMs = 0;
};

struct RenderResult {
    AgentResult result;
    QStringList scenes; // scenes asked for (or found, for --all)
    QList<SceneOutput> outputs;
    QString failedScene;
    QString mediaDir;
    QString manimVersion;
    RenderBackend backend = RenderBackend::Auto; // the one used (Auto resolved)
    // The docker backend: the container it ran in, whether it was warm already, and how long
    // getting it took (engine check, image, start).
    QString container;
    bool containerReused = false;
    qint64 containerWaitMs = 0;
};

// Live progress of a render job.
struct RenderProgress {
    QString scene;
    int sceneIndex = 0; // 0-based among the job's scenes
    int sceneCount = 1;
    int animationIndex = -1;
    QString label;
    int percent = 0;         // within the current animation
    int overallPercent = -1; // within the scene; -1 when the animation count is unknown
};

// Renders Manim scenes with the render Python (`python -m manim render`), one process per
// scene, each in the job's own work folder with its own copy of the script. Never through a
// shell, stdin closed, its own process group (cancel and timeout take every child with it).
// With the sandbox backend that process is bwrap, and the render runs inside it (its own PID
// namespace: when bwrap goes, everything the script started goes with it).
// With the docker backend the process is the engine's `exec` into a container the DockerAgent
// keeps warm; the job folder lives in the container's work root, the script's media folder is
// moved into it for the scene and back afterwards.
// One job at a time per agent.
class ManimExecutionAgent : public BaseAgent {
    Q_OBJECT
public:
    explicit ManimExecutionAgent(QObject* parent = nullptr);
    ~ManimExecutionAgent() override;

    void setPython(const QString& python);
    QString python() const { return python_; }
    void setKillGraceMs(int ms) { killGraceMs_ = ms; }
    void setKeepJobFolders(bool keep) { keepJobFolders_ = keep; }
    // The containers of the docker backend. Without one set, the agent makes its own on first
    // use (its containers go with it). A shared one keeps containers warm across agents.
    void setDockerAgent(DockerAgent* docker);
    DockerAgent* dockerAgent();

    // Starts a job and returns its id; finished() follows exactly once.
    QString render(const RenderOptions& options);
    void cancel();
    bool isRunning() const { return !jobId_.isEmpty(); }
    QString currentJobId() const { return jobId_; }
    // Pid of the running manim process (its process group id), 0 when none.
    qint64 currentPid() const;

    // Persistent media folder for a script (its Manim cache lives there).
    static QString mediaDirForScript(const QString& scriptPath);

Q_SIGNALS:
    void progressChanged(const QString& jobId, const omega::RenderProgress& progress);
    void sceneFinished(const QString& jobId, const omega::SceneOutput& output);
    void finished(const omega::RenderResult& result);
    // Something the user should see even without the log (e.g. no sandbox here).
    void notice(const QString& jobId, const QString& text);
    // The docker backend's slow steps: pulling the image (pull's own progress lines), starting
    // a container.
    void containerProgress(const QString& jobId, const QString& line);

private:
    void startSceneFinder();
    void onScenesFound(const SceneListResult& list);
    bool prepareSandbox();
    bool prepareJobFolder();
    void acquireContainer();
    void launchProcess();
    bool moveMediaIntoJob();
    void moveMediaBack();
    void concludeScene(int exitCode, QProcess::ExitStatus status, qint64 sceneMs);
    void startNextScene();
    // The one place that decides how a scene's process starts: the render Python as it is
    // (local) or inside bubblewrap (sandbox), with the matching environment and limits.
    void setUpProcess(QProcess* process, const QStringList& manimArgs);
    void onProcessOutput(QProcess::ProcessChannel channel);
    void handleProgress(const QList<ProgressUpdate>& updates);
    bool deliverOutput(const QString& mediaPath, bool stillImage);
    void onProcessFinished(int exitCode, QProcess::ExitStatus status);
    void onTimeout();
    void stopProcess();
    void finish(ResultStatus status, const ErrorReport& error = {});
    void cleanupJobFolder();
    void saveAnimationCount(const QString& scene, int count);

    QString python_;
    int killGraceMs_ = 3000;
    bool keepJobFolders_ = false;

    // Current job.
    QString jobId_;
    RenderOptions options_;
    RenderResult result_;
    QString jobDir_;
    QString scriptInJob_;
    QString module_;
    SandboxHost sandboxHost_; // with the sandbox backend
    QStringList queue_;
    int sceneIndex_ = -1;
    QString currentScene_;
    int animationsSeen_ = 0;
    int knownAnimationCount_ = -1;
    bool timedOut_ = false;
    bool cancelled_ = false;
    QByteArray stdout_;
    QByteArray stderr_;
    ProgressParser stdoutParser_;
    ProgressParser stderrParser_;
    QElapsedTimer jobClock_;
    QElapsedTimer sceneClock_;
    QPointer<QProcess> process_;
    QPointer<SceneFinder> sceneFinder_;
    QPointer<DockerAgent> docker_;
    ContainerLease lease_; // the docker backend's container while the job holds it
    QString jobDirInContainer_;
    bool mediaInJob_ = false; // the media folder is in the job folder (docker backend)
    QTimer timeoutTimer_;
    QTimer killTimer_;
};

} // namespace omega

Q_DECLARE_METATYPE(omega::RenderResult)
Q_DECLARE_METATYPE(omega::RenderProgress)
Q_DECLARE_METATYPE(omega::SceneOutput)
