#pragma once

#include <QString>

namespace omega::paths {

// Configuration folder: $OMEGA_CONFIG_DIR, else the XDG config location (~/.config/omega-studio).
QString configDir();
// Data folder (logs, jobs, media cache, history): $OMEGA_DATA_DIR, else
// ~/.local/share/omega-studio.
QString dataDir();
// Per-job work folders live here, one folder per job id.
QString jobsDir();
// Persistent Manim media folders (one per script), so Manim's cache survives reruns:
// the folder chosen in the settings (setMediaRootOverride), else DATA/media.
QString mediaRootDir();
// The user's media folder (StudioSettings::mediaRoot); empty restores DATA/media. Set once
// at startup and after the settings change, on the GUI thread.
void setMediaRootOverride(const QString& path);
QString logFilePath();

// Read-only resources (helper scripts, manim.cfg, examples): $OMEGA_RESOURCES_DIR, else
// ../share/omega-studio next to the executable (installed), else the source tree.
QString resourcesDir();
QString resourcePath(const QString& relative);

// The render Python: $OMEGA_PYTHON, else the venv ($OMEGA_VENV, else .venv in the source
// tree for a developer build, else DATA/venv) /bin/python.
QString venvDir();
QString renderPython();

// What to tell a user whose render environment is missing or broken: "Run scripts/setup.sh"
// in a source checkout (the resources are the checkout's resources/), "Run `omega setup` (or
// Settings → Render environment)" in an installed app, where there is no scripts/ folder.
QString setupHint();

// Creates the folder (and parents) if needed; false when it cannot.
bool ensureDir(const QString& path);

} // namespace omega::paths
