#!/usr/bin/env bash
# Runs a command inside what a desktop session gives the app, all private to this run:
# an X screen (Xvfb), a D-Bus session bus and an unlocked gnome-keyring (the Secret Service
# QtKeychain talks to), with HOME and XDG_RUNTIME_DIR in a temporary folder so the user's
# real keyring is never touched.
# Usage: scripts/test-session.sh COMMAND [ARGS…]
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }

session=$(mktemp -d /tmp/omega-test-session.XXXXXX)
trap 'rm -rf "$session"' EXIT
mkdir -p "$session/home" "$session/runtime"
chmod 700 "$session/runtime"
export OMEGA_REAL_HOME="$HOME"
export HOME="$session/home" XDG_RUNTIME_DIR="$session/runtime"
# Keep pip's and manim's caches where they were (HOME moved).
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$OMEGA_REAL_HOME/.cache/pip}"

inner='printf %s omega-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 || true
exec xvfb-run -a -s "-screen 0 1600x1000x24" "$@"'
exec dbus-run-session -- bash -c "$inner" omega-session "$@"
