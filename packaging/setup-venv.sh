#!/usr/bin/env bash
# Creates the render environment of an installed Omega Studio: a Python venv with the pinned
# Manim CE from render-requirements.txt (installed next to this script, in share/omega-studio).
# Idempotent: a venv that already matches the requirements is left alone; a venv made for
# other pins is updated in place.
#
# Where (the same rule as the app, agents/Paths.cpp):
#   $OMEGA_VENV if set, else $OMEGA_DATA_DIR/venv if set,
#   else ${XDG_DATA_HOME:-~/.local/share}/omega-studio/venv
#
# Usage: setup-venv.sh [--check] [--recreate] [--print-path]
#   --check       exit 0 if the venv is ready, 1 if it is missing or out of date; change nothing
#   --recreate    delete the venv first and build it from scratch
#   --print-path  print where the venv goes and exit
# Exit codes: 0 ready, 1 not ready (--check) or install failed, 2 usage, 3 missing system packages.
set -euo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
requirements="${OMEGA_RESOURCES_DIR:-$here}/render-requirements.txt"

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
stamp=$venv/.omega-requirements
python_host=${OMEGA_HOST_PYTHON:-/usr/bin/python3}

mode=install
for arg in "$@"; do
    case "$arg" in
        --check) mode=check ;;
        --recreate) mode=recreate ;;
        --print-path) echo "$venv"; exit 0 ;;
        -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "setup-venv.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
    esac
done

say() { printf '==> %s\n' "$*"; }

if [ ! -r "$requirements" ]; then
    echo "setup-venv.sh: cannot read $requirements" >&2
    exit 1
fi

ready() {
    [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$stamp" "$requirements" &&
        "$venv/bin/python" -c "import manim" >/dev/null 2>&1
}

if [ "$mode" = check ]; then
    if ready; then
        echo "ready: $venv"
        exit 0
    fi
    echo "not ready: $venv (run $here/setup-venv.sh)"
    exit 1
fi

if [ "$mode" = install ] && ready; then
    say "The render environment is up to date: $venv"
    exit 0
fi

# pip compiles pycairo and ManimPango: it needs a compiler, pkg-config and the cairo/pango
# headers. The omega-studio package depends on all of these; check anyway (OMEGA_VENV may be
# used from a source build).
missing=()
"$python_host" -c "import ensurepip, venv" >/dev/null 2>&1 || missing+=(python3-venv)
"$python_host" -c "import sysconfig, os, sys; \
sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')) else 1)" \
    >/dev/null 2>&1 || missing+=(python3-dev)
command -v cc >/dev/null 2>&1 || missing+=(gcc)
if command -v pkg-config >/dev/null 2>&1; then
    pkg-config --exists cairo || missing+=(libcairo2-dev)
    pkg-config --exists pangocairo || missing+=(libpango1.0-dev)
else
    missing+=(pkg-config)
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup-venv.sh: missing Debian packages: ${missing[*]}" >&2
    echo "    sudo apt-get install ${missing[*]}" >&2
    exit 3
fi

if [ "$mode" = recreate ] && [ -e "$venv" ]; then
    # Only ever delete something that is a venv.
    if [ ! -f "$venv/pyvenv.cfg" ]; then
        echo "setup-venv.sh: $venv exists but is not a venv; not deleting it" >&2
        exit 1
    fi
    say "Deleting $venv"
    rm -rf -- "$venv"
fi

manim_pin=$(sed -n 's/^manim==\(.*\)$/\1/p' "$requirements")
say "Creating the render environment in $venv (manim ${manim_pin:-?}); a few minutes the first time"
mkdir -p "$(dirname "$venv")"
[ -x "$venv/bin/python" ] || "$python_host" -m venv "$venv"
# The stamp goes only after a complete, verified install: an interrupted run is redone.
rm -f "$stamp"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
"$venv/bin/python" -c "import manim, cairo, manimpango, av" # fails loudly if a build is broken
cp "$requirements" "$stamp"
say "Ready: $venv"
