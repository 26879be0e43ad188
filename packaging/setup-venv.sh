#!/usr/bin/env bash
# Creates the render environment of an installed Omega Studio: a Python venv with the pinned
# Manim CE from render-requirements.txt (installed next to this script, in share/omega-studio).
# A thin wrapper around `omega setup` (RenderEnvironmentAgent), which the app itself also runs
# (Settings → Render environment): it builds into VENV.partial and renames it when complete, so
# an interrupted run never leaves a broken venv. Idempotent: a venv whose stamp matches the
# requirements is left alone; a venv made for other pins is rebuilt beside it, then replaced.
#
# Where (the same rule as the app, agents/Paths.cpp, without the source checkout's .venv):
#   $OMEGA_VENV if set, else $OMEGA_DATA_DIR/venv if set,
#   else ${XDG_DATA_HOME:-~/.local/share}/omega-studio/venv
#
# Usage: setup-venv.sh [--check] [--recreate] [--print-path]
#   --check       exit 0 if the venv is ready, 1 if it is missing or out of date; change nothing
#   --recreate    build it again even when it is up to date (omega setup --force)
#   --print-path  print where the venv goes and exit
# Exit codes: 0 ready, 1 not ready (--check) or install failed, 2 usage, 3 a system problem
# (no python3/python3-venv, missing -dev packages, no network, disk full: the message says which).
set -euo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
requirements=${OMEGA_RENDER_REQUIREMENTS:-${OMEGA_RESOURCES_DIR:-$here}/render-requirements.txt}

if [ -n "${OMEGA_VENV:-}" ]; then
    venv=$OMEGA_VENV
elif [ -n "${OMEGA_DATA_DIR:-}" ]; then
    venv=$OMEGA_DATA_DIR/venv
else
    data_home=${XDG_DATA_HOME:-}
    # Like QStandardPaths: a relative XDG_DATA_HOME is ignored.
    case "$data_home" in /*) ;; *) data_home=$HOME/.local/share ;; esac
    venv=$data_home/omega-studio/venv
fi

setup_args=()
for arg in "$@"; do
    case "$arg" in
        --check) setup_args+=(--check) ;;
        --recreate) setup_args+=(--force) ;;
        --print-path) echo "$venv"; exit 0 ;;
        -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "setup-venv.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
    esac
done

# The omega next to this share/omega-studio (PREFIX/bin), else the one on PATH.
omega=$here/../../bin/omega
[ -x "$omega" ] || omega=$(command -v omega || true)
if [ -z "$omega" ] || [ ! -x "$omega" ]; then
    echo "setup-venv.sh: cannot find the omega program (expected $here/../../bin/omega)" >&2
    exit 1
fi
if [ ! -r "$requirements" ]; then
    echo "setup-venv.sh: cannot read $requirements" >&2
    exit 1
fi

# OMEGA_VENV pins the venv to the path above: an omega built on this machine would otherwise
# prefer its source checkout's .venv.
exec env OMEGA_VENV="$venv" "$omega" setup --requirements "$requirements" "${setup_args[@]}"
