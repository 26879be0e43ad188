#!/usr/bin/env bash
# Sets up everything Omega Studio needs on Debian 12, skipping what is already there:
#   1. Debian packages (Qt 6.4, QtKeychain, QScintilla, GStreamer, ffmpeg, LaTeX, build tools…)
#   2. .venv at the repository root with the pinned Manim CE (resources/render-requirements.txt)
#   3. the build (CMake preset "default" → build/, executables in build/bin/)
#   4. the container render image omega-render:<manim version>, when podman or a working
#      docker is present (packaging/container/build-image.sh; cached, rebuilt on changes)
# Usage: scripts/setup.sh [--no-build] [--test-tools] [--no-image]
#   --test-tools also installs what the test suite needs (Xvfb, gnome-keyring, clang, podman…).
#   --no-image (or OMEGA_SKIP_IMAGE=1) skips the render image.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

build=1
test_tools=0
image=1
[ "${OMEGA_SKIP_IMAGE:-0}" = 1 ] && image=0
for arg in "$@"; do
    case "$arg" in
        --no-build) build=0 ;;
        --test-tools) test_tools=1 ;;
        --no-image) image=0 ;;
        *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# --- 1. Debian packages -------------------------------------------------------------------
app_packages=(
    # build
    cmake ninja-build g++ pkg-config git
    # Qt 6.4 and friends
    qt6-base-dev qt6-base-dev-tools qt6-multimedia-dev qt6-httpserver-dev qt6-tools-dev
    qt6-l10n-tools libqt6sql6-sqlite qtkeychain-qt6-dev libqscintilla2-qt6-dev
    # video playback (H.264) under Qt Multimedia's GStreamer backend
    gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav
    # Manim: Python, the libraries its wheels build against, ffmpeg, LaTeX for MathTex/Tex
    python3 python3-venv python3-dev libcairo2-dev libpango1.0-dev ffmpeg
    texlive-latex-base texlive-latex-extra texlive-fonts-recommended dvisvgm
    # keychain back end
    gnome-keyring libsecret-1-0
)
test_packages=(
    xvfb xauth imagemagick dbus-daemon dbus-x11 libsecret-tools
    clang clang-format libclang-rt-14-dev
    desktop-file-utils appstream dpkg-dev
    # the container render backend and its image (packaging/container/)
    podman runc uidmap debootstrap
)
wanted=("${app_packages[@]}")
[ "$test_tools" = 1 ] && wanted+=("${test_packages[@]}")
# The app does not need podman, but where it is installed the render image is built (step 4)
# and that needs debootstrap.
if [ "$image" = 1 ] && command -v podman >/dev/null 2>&1; then
    wanted+=(debootstrap)
fi

missing=()
for pkg in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "Installing Debian packages: ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}"
else
    say "Debian packages: all present"
fi

# --- 2. The render environment --------------------------------------------------------------
manim_pin=$(sed -n 's/^set(OMEGA_MANIM_VERSION "\(.*\)")$/\1/p' CMakeLists.txt)
req_pin=$(sed -n 's/^manim==\(.*\)$/\1/p' resources/render-requirements.txt)
if [ -z "$manim_pin" ] || [ "$manim_pin" != "$req_pin" ]; then
    echo "setup.sh: CMakeLists.txt pins manim '$manim_pin' but render-requirements.txt pins '$req_pin'" >&2
    exit 1
fi
venv="$repo/.venv"
stamp="$venv/.omega-requirements"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$stamp" resources/render-requirements.txt; then
    say "Render environment: .venv has manim $manim_pin"
else
    say "Creating the render environment (.venv, manim $manim_pin) — a few minutes the first time"
    [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r resources/render-requirements.txt
    "$venv/bin/python" -c "import manim, cairo, manimpango, av" # fails loudly if a wheel is broken
    cp resources/render-requirements.txt "$stamp"
fi

# --- 3. Build ---------------------------------------------------------------------------------
if [ "$build" = 1 ]; then
    say "Building (cmake --preset default)"
    cmake --preset default ${OMEGA_CMAKE_ARGS:-} >/dev/null
    cmake --build --preset default
fi

# --- 4. The container render image ------------------------------------------------------------
# Built from Debian packages and PyPI, never pulled (packaging/container/README.md). Podman is
# preferred; docker only when its daemon answers.
if [ "$image" = 0 ]; then
    say "Render image: skipped (--no-image / OMEGA_SKIP_IMAGE=1)"
else
    engine=""
    if command -v podman >/dev/null 2>&1; then
        engine=podman
    elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
        engine=docker
    fi
    if [ -z "$engine" ]; then
        say "Render image: skipped — no container engine (install podman to render in containers)"
    elif ! "$repo/packaging/container/build-image.sh" --engine "$engine"; then
        echo "setup.sh: the render image omega-render:$manim_pin could not be built (above)." >&2
        # The tests need the image; the app still renders with the sandbox backend without it.
        [ "$test_tools" = 1 ] && exit 1
        echo "setup.sh: continuing: container rendering stays unavailable until it builds" \
            "(rerun packaging/container/build-image.sh)." >&2
    fi
fi
