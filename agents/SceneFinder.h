#pragma once

#include "BaseAgent.h"

#include <QList>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace omega {

struct SceneInfo {
    QString name;
    int line = 0;
    QStringList bases;
};

struct SceneListResult {
    AgentResult result;      // Usage / Syntax / Environment errors
    QList<SceneInfo> scenes; // in file order
    QString manimVersion;    // installed Manim version, read without importing manim

    QStringList sceneNames() const;
};

// Pure: parses the JSON printed by resources/find_scenes.py.
SceneListResult parseSceneFinderOutput(const QByteArray& json);

// Lists the Scene subclasses of a Python file without executing it: runs
// resources/find_scenes.py (Python's ast) with the render Python. Asynchronous.
class SceneFinder : public BaseAgent {
    Q_OBJECT
public:
    explicit SceneFinder(QObject* parent = nullptr);
    ~SceneFinder() override;

    void setPython(const QString& python) { python_ = python; }
    void setTimeoutMs(int ms) { timeoutMs_ = ms; }

    // Starts the lookup; emits finished() exactly once (unless cancelled).
    void find(const QString& scriptPath, const QString& jobId = QString());
    void cancel();
    bool isRunning() const;

Q_SIGNALS:
    void finished(const omega::SceneListResult& result);

private:
    QString python_;
    int timeoutMs_ = 30000;
    QProcess* process_ = nullptr;
};

} // namespace omega

Q_DECLARE_METATYPE(omega::SceneListResult)
