#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace omega {

struct DependencyRules;
struct HealingOptions;
struct InstallPolicy;
struct ProviderConfig;
struct RenderOptions;

// One input that is not acceptable: which field (the member's name, e.g. "memoryLimitMb") and
// a message for the user that says what is wrong and what to use instead.
struct SettingsProblem {
    QString field;
    QString message;
};

// The studio's settings, typed, over QSettings: CONFIG/settings.ini, group "studio" (the
// providers live in the same file, see ProviderSettings; keys never do, see KeyStore).
// Defaults are the agents' own defaults, so an empty file changes nothing. A value that is
// missing, unreadable or out of range in the file loads as its default: load() always gives
// settings that validate(), except a media folder that has since become unusable.
struct StudioSettings {
    // Rendering. The backend is a name, not RenderBackend: "auto" (the sandbox where it
    // works), "sandbox", "docker" (a Docker or Podman container) or "local" (unconfined).
    QString backend = QStringLiteral("auto");
    QString containerEngine = QStringLiteral("auto"); // auto | docker | podman
    QString containerImage;                           // empty: the default render image
    int memoryLimitMb = 4096;                         // RenderOptions::memoryLimitMb
    int maxProcesses = 512;                           // RenderOptions::maxProcesses
    int cpuTimeLimitSec = 3600;                       // RenderOptions::cpuTimeLimitSec
    double containerCpus = 2.0;
    int containerIdleMin = 10;  // a warm container is stopped after this long unused
    int renderTimeoutSec = 600; // RenderOptions::timeoutSec (per scene)
    QString defaultQuality = QStringLiteral("l"); // l m h p k; the window starts on it
    bool renderOnOpen = true;                     // render the script as soon as the window opens

    // AI requests (every provider): ProviderConfig::connectTimeoutMs / idleTimeoutMs.
    int aiConnectTimeoutSec = 30;
    int aiIdleTimeoutSec = 60;

    // Self-healing caps (HealingOptions) and installs (InstallPolicy, DependencyRules).
    int maxAttempts = 3;
    int maxTokens = 60000;
    int maxWallTimeSec = 900;
    QStringList extraAllowedPackages; // PyPI names added to the shipped allow list
    bool askBeforeInstall = true;     // false: allow-listed packages install without asking

    // Where the per-script Manim media folders go; empty: DATA/media (paths::mediaRootDir).
    QString mediaRoot;

    static QString group() { return QStringLiteral("studio"); }
    static QStringList backendNames();         // auto sandbox docker local
    static QStringList containerEngineNames(); // auto docker podman

    static StudioSettings load();
    // Writes every field; false (with `error`) when the file cannot be written.
    bool save(QString* error = nullptr) const;

    // Empty when every input is acceptable.
    QList<SettingsProblem> problems() const;
    QStringList validate() const; // the problems' messages

    // Empty when `path` can be the media folder (absolute; a writable folder, or one that
    // can be created in a writable parent); else why not.
    static QString checkMediaFolder(const QString& path);

    // The values applied to what the agents take. The backend is left to the caller
    // (RenderBackend has no container backend yet): see `backend`.
    void applyTo(RenderOptions* options) const;
    void applyTo(HealingOptions* options) const;  // caps and install policy; not providers
    void applyTo(ProviderConfig* provider) const; // AI timeouts
    void applyTo(InstallPolicy* policy) const;
    void applyTo(DependencyRules* rules) const; // extra allowed packages (never denied ones)

    friend bool operator==(const StudioSettings& a, const StudioSettings& b);
    friend bool operator!=(const StudioSettings& a, const StudioSettings& b) { return !(a == b); }
};

} // namespace omega
