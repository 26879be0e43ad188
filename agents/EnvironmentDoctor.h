#pragma once

#include "BaseAgent.h"
#include "DockerAgent.h"

#include <QList>
#include <QPointer>
#include <QProcess>
#include <QStringList>

namespace omega {

struct EnvironmentCheck {
    QString name; // "python", "manim", "latex", "dvisvgm", "ffmpeg", "render-libraries", "disk",
                  // "sandbox", "docker" (the container engine), "docker-image"
    bool ok = false;
    bool required = true; // a failed required check makes rendering impossible
    QString detail;       // version or what was found
    QString hint;         // what to do when not ok
};

struct DoctorReport {
    AgentResult result; // Failed with category Environment when a required check failed
    QList<EnvironmentCheck> checks;
};

// Checks what rendering needs (Python, the pinned Manim, LaTeX + dvisvgm, ffmpeg, cairo/pango,
// free disk), one process at a time, each with a timeout. Asynchronous.
class EnvironmentDoctor : public BaseAgent {
    Q_OBJECT
public:
    explicit EnvironmentDoctor(QObject* parent = nullptr);
    ~EnvironmentDoctor() override;

    void setPython(const QString& python) { python_ = python; }
    // The engine the docker checks look at (auto: docker, else podman).
    void setContainerEngine(ContainerEngineChoice engine) { engine_ = engine; }
    void run();
    void cancel();

Q_SIGNALS:
    void checkDone(const omega::EnvironmentCheck& check);
    void finished(const omega::DoctorReport& report);

private:
    struct Probe {
        QString name;
        bool required;
        QString program;
        QStringList args;
        QString hint;
        QString unavailable = {}; // when set: recorded as failed with this detail, not run
    };
    void runNext();
    void checkContainers();
    void record(EnvironmentCheck check);
    void finishReport();

    QString python_;
    QString jobId_;
    QList<Probe> probes_;
    DoctorReport report_;
    QProcess* process_ = nullptr;
    ContainerEngineChoice engine_ = ContainerEngineChoice::Auto;
    QPointer<DockerAgent> docker_;
};

} // namespace omega
