#!/usr/bin/env bash
# The Debian package, installed the way a user gets it: unpacks omega-studio_*.deb into a
# temporary root with `dpkg -x` (never system-wide), checks the control fields, the install
# layout, the desktop and AppStream files, and starts the installed binaries, which must find
# their resources through <exe>/../share/omega-studio (OMEGA_RESOURCES_DIR unset).
#
# Usage: tests/tst_package.sh BUILD_DIR
#   Uses BUILD_DIR/omega-studio_<version>_<arch>.deb when it is newer than the binaries and
#   the packaging sources; otherwise packages the current build with cpack first (never
#   rebuilds the binaries, so it is safe to run from ctest).
#   OMEGA_PACKAGE_TEST_VENV=1 also runs the installed setup-venv.sh for real (PyPI, minutes).
# Last line: "N passed, M failed"; exit status 1 when anything failed.
set -uo pipefail

if [ $# -ne 1 ] || [ ! -f "$1/CMakeCache.txt" ]; then
    echo "usage: $0 BUILD_DIR (a configured build directory)" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
app_id=io.github.omega_studio.OmegaStudio

passed=0
failed=0
work=$(mktemp -d "${TMPDIR:-/tmp}/omega-package-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$work/check.log

pass() { passed=$((passed + 1)); printf 'PASS  %s\n' "$1"; }
fail() {
    failed=$((failed + 1))
    printf 'FAIL  %s\n' "$1"
    [ -s "$log" ] && sed 's/^/      | /' "$log" | head -n 40
    return 0
}
# check NAME COMMAND...: runs COMMAND with its output in $log; passes on exit status 0.
check() {
    local name=$1
    shift
    if "$@" >"$log" 2>&1; then pass "$name"; else fail "$name"; fi
}
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

# --- 1. The package ---------------------------------------------------------------------------
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
arch=$(dpkg --print-architecture)
deb=$build/omega-studio_${version}_${arch}.deb

stale=1
if [ -f "$deb" ]; then
    stale=0
    for input in "$build/bin/omega" "$build/bin/omega-studio"; do
        [ "$input" -nt "$deb" ] && stale=1
    done
    [ -n "$(find "$source_dir/packaging" "$source_dir/resources" -newer "$deb" -print -quit)" ] &&
        stale=1
fi
if [ "$stale" = 1 ]; then
    cpack=$(sed -n 's/^CMAKE_CPACK_COMMAND:INTERNAL=//p' "$build/CMakeCache.txt")
    echo "Packaging the current build (${cpack:-cpack})…"
    check "cpack builds $(basename "$deb")" \
        bash -c 'cd "$1" && "$2" --config CPackConfig.cmake' _ "$build" "${cpack:-cpack}"
fi
if [ ! -f "$deb" ]; then
    echo "no package at $deb (cmake --build $build --target package)" >"$log"
    fail "the package exists"
    finish
fi
echo "Package: $deb"

field() { dpkg-deb --field "$deb" "$1"; }
check "Package is omega-studio" test "$(field Package)" = omega-studio
check "Version is $version" test "$(field Version)" = "$version"
check "Architecture is $arch" test "$(field Architecture)" = "$arch"
check "Section is graphics" test "$(field Section)" = graphics
check_field_set() { # the field exists and is no placeholder
    local value
    value=$(field "$1")
    echo "$1: $value"
    [ -n "$value" ] && ! grep -qiE 'example\.(com|org)|changeme|todo|fixme|<[^>]*@localhost>' <<<"$value"
}
for f in Maintainer Homepage Description; do
    check "$f is set" check_field_set "$f"
done

# Depends/Recommends/Suggests name the packages the app needs (dpkg-shlibdeps adds versions).
names_in() { field "$1" | tr ',|' '\n\n' | sed 's/(.*//; s/:.*//; s/[[:space:]]//g' | sed '/^$/d'; }
has_all() { # FIELD NAME...
    local field_name=$1 missing=() name
    shift
    local present
    present=$(names_in "$field_name")
    echo "$field_name: $(field "$field_name")"
    for name in "$@"; do
        grep -qxF "$name" <<<"$present" || missing+=("$name")
    done
    [ ${#missing[@]} -eq 0 ] || { echo "missing: ${missing[*]}"; return 1; }
}
check "Depends: Qt, QtKeychain, QScintilla, GStreamer, Python, ffmpeg, bubblewrap" \
    has_all Depends libqt6core6 libqt6gui6 libqt6widgets6 libqt6network6 libqt6multimedia6 \
    libqt6multimediawidgets6 libqt6sql6-sqlite libqt6keychain1 libqscintilla2-qt6-15 \
    qt6-qpa-plugins gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav \
    python3 python3-venv ffmpeg bubblewrap
check "Depends: what setup-venv.sh compiles with" \
    has_all Depends gcc libc6-dev pkg-config python3-dev libcairo2-dev libpango1.0-dev
check "Recommends: LaTeX, dvisvgm, podman" has_all Recommends \
    texlive-latex-base texlive-latex-extra texlive-fonts-recommended dvisvgm podman
check "Suggests: gnome-keyring" has_all Suggests gnome-keyring
# Every relation resolves against this machine's archive (a dry run: nothing is installed).
if command -v apt-get >/dev/null; then
    check "apt can resolve every dependency (apt-get install --simulate)" \
        apt-get install --simulate --no-install-recommends "$deb"
fi

# The post-install note: a valid maintainer script that prints the setup command.
control=$work/control
dpkg-deb --control "$deb" "$control"
postinst_note() {
    local note
    [ -x "$control/postinst" ] && sh -n "$control/postinst" &&
        note=$(sh "$control/postinst" configure) || return 1
    echo "$note"
    grep -qF '/usr/share/omega-studio/setup-venv.sh' <<<"$note"
}
check "postinst prints the post-install note" postinst_note

# --- 2. Install into a temporary root ---------------------------------------------------------
root=$work/root
check "dpkg -x unpacks the package" dpkg -x "$deb" "$root"
echo "Installed into $root"

usr=$root/usr
layout=(
    bin/omega
    bin/omega-studio
    share/applications/$app_id.desktop
    share/metainfo/$app_id.metainfo.xml
    share/icons/hicolor/scalable/apps/$app_id.svg
    share/omega-studio/find_scenes.py
    share/omega-studio/examples/welcome.py
    share/omega-studio/prompts/generate_system.md
    share/omega-studio/render-requirements.txt
    share/omega-studio/setup-venv.sh
    share/doc/omega-studio/README.Debian
)
for size in 16 32 48 64 128 256; do
    layout+=("share/icons/hicolor/${size}x${size}/apps/$app_id.png")
done
for path in "${layout[@]}"; do
    check "installed: /usr/$path" test -s "$usr/$path"
done
check "bin/omega and bin/omega-studio are executable" \
    test -x "$usr/bin/omega" -a -x "$usr/bin/omega-studio" -a -x "$usr/share/omega-studio/setup-venv.sh"
# Every resource of the source tree is installed (resources/ may grow: gate/, prompts…).
resources_installed() {
    local missing=0 file
    while IFS= read -r file; do
        [ -f "$usr/share/omega-studio/$file" ] || { echo "missing: $file"; missing=1; }
    done < <(cd "$source_dir/resources" && find . -type f ! -name '*.pyc' ! -path '*/__pycache__/*' |
        sed 's|^\./||')
    return $missing
}
check "every file of resources/ is in share/omega-studio" resources_installed
check "nothing outside /usr" bash -c '[ "$(ls -A "$1")" = usr ]' _ "$root"

png_size() { # prints WIDTHxHEIGHT of a PNG (its IHDR chunk)
    python3 -c 'import struct, sys
d = open(sys.argv[1], "rb").read(24)
assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
print("%dx%d" % struct.unpack(">II", d[16:24]))' "$1"
}
for size in 16 32 48 64 128 256; do
    check "the ${size}x${size} icon is a ${size}x${size} PNG" \
        test "$(png_size "$usr/share/icons/hicolor/${size}x${size}/apps/$app_id.png")" = "${size}x${size}"
done

# --- 3. Desktop entry and AppStream metadata -----------------------------------------------------
desktop=$usr/share/applications/$app_id.desktop
metainfo=$usr/share/metainfo/$app_id.metainfo.xml
if command -v desktop-file-validate >/dev/null; then
    # hints are advice; warnings and errors fail
    desktop_valid() {
        local out status
        out=$(desktop-file-validate "$desktop")
        status=$?
        echo "$out"
        [ "$status" -eq 0 ] && [ -z "$(grep -v ': hint: ' <<<"$out")" ]
    }
    check "desktop-file-validate $app_id.desktop" desktop_valid
else
    echo "desktop-file-validate not found: apt-get install desktop-file-utils" >"$log"
    fail "desktop-file-validate $app_id.desktop"
fi
if command -v appstreamcli >/dev/null; then
    check "appstreamcli validate --no-net $app_id.metainfo.xml" \
        appstreamcli validate --no-net "$metainfo"
else
    echo "appstreamcli not found: apt-get install appstream" >"$log"
    fail "appstreamcli validate --no-net $app_id.metainfo.xml"
fi
desktop_value() { sed -n "s/^$1=//p" "$desktop" | head -n 1; }
check "the desktop entry starts omega-studio (Exec=$(desktop_value Exec))" \
    test -x "$usr/bin/$(desktop_value Exec | cut -d' ' -f1)"
check "the desktop entry's icon is installed (Icon=$(desktop_value Icon))" \
    test -f "$usr/share/icons/hicolor/scalable/apps/$(desktop_value Icon).svg"
check "the metainfo launches the installed desktop entry" \
    grep -qF "<launchable type=\"desktop-id\">$app_id.desktop</launchable>" "$metainfo"
check "the metainfo's release is the package version" \
    grep -qF "<release version=\"$version\"" "$metainfo"

# --- 4. The installed binaries ---------------------------------------------------------------
# A clean user: no OMEGA_RESOURCES_DIR (resources must come from ../share/omega-studio), no
# data or settings of the person running the test.
home=$work/home
mkdir -p "$home" "$work/runtime"
chmod 700 "$work/runtime"
run_installed() {
    env -u OMEGA_RESOURCES_DIR -u OMEGA_PYTHON -u OMEGA_VENV \
        HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" \
        XDG_CACHE_HOME="$home/.cache" XDG_RUNTIME_DIR="$work/runtime" \
        OMEGA_DATA_DIR="$home/data" OMEGA_CONFIG_DIR="$home/config" "$@"
}

libraries_resolve() {
    local out
    out=$(ldd "$1") || return 1
    ! grep -F 'not found' <<<"$out"
}
check "every library of bin/omega resolves" libraries_resolve "$usr/bin/omega"
check "every library of bin/omega-studio resolves" libraries_resolve "$usr/bin/omega-studio"
no_build_rpath() {
    local paths
    paths=$(readelf -d "$1" | grep -E 'R(UN)?PATH')
    echo "${paths:-no RPATH/RUNPATH}"
    ! grep -qF "$build" <<<"$paths"
}
check "bin/omega has no RPATH into the build tree" no_build_rpath "$usr/bin/omega"
check "bin/omega-studio has no RPATH into the build tree" no_build_rpath "$usr/bin/omega-studio"

version_is() { # EXPECTED COMMAND...
    local expected=$1 out
    shift
    out=$("$@") || return 1
    echo "$out"
    grep -qF "$expected" <<<"$out"
}
check "omega --version" version_is "omega $version" run_installed "$usr/bin/omega" --version
check "omega-studio --version (offscreen)" version_is "omega-studio $version" \
    run_installed env QT_QPA_PLATFORM=offscreen "$usr/bin/omega-studio" --version

# `omega scenes` runs <render python> -I <resources>/find_scenes.py FILE. The render Python here
# is a stand-in venv whose python records its arguments, so the test sees which find_scenes.py
# the installed binary chose (the source tree's resources/ would also list the scenes).
venv=$work/venv
mkdir -p "$venv/bin"
cat >"$venv/bin/python" <<EOF
#!/bin/sh
printf '%s\n' "\$@" >>"$work/python-args"
exec /usr/bin/python3 "\$@"
EOF
chmod +x "$venv/bin/python"
scenes_from_installed_resources() {
    local out
    rm -f "$work/python-args"
    out=$(run_installed env OMEGA_VENV="$venv" "$usr/bin/omega" scenes \
        "$usr/share/omega-studio/examples/welcome.py") || { echo "$out"; return 1; }
    echo "scenes: $out"
    echo "render python ran: $(tr '\n' ' ' <"$work/python-args" 2>/dev/null)"
    [ -n "$out" ] && grep -qxF "$usr/share/omega-studio/find_scenes.py" "$work/python-args"
}
check "omega scenes welcome.py lists its scenes with ../share/omega-studio/find_scenes.py" \
    scenes_from_installed_resources

# The window itself: it must come up and keep running (offscreen, no render on start);
# `timeout` ending it (124) is the success case.
studio_starts() {
    local status
    run_installed env OMEGA_VENV="$venv" QT_QPA_PLATFORM=offscreen \
        timeout 8 "$usr/bin/omega-studio" --no-autorender
    status=$?
    echo "exit status $status (124: still running after 8 s)"
    [ "$status" -eq 124 ]
}
check "omega-studio opens its window and keeps running (offscreen, 8 s)" studio_starts

# setup-venv.sh: where it puts the venv, and --check on a user without one.
check "setup-venv.sh --print-path is DATA/venv" test \
    "$(run_installed env -u OMEGA_DATA_DIR "$usr/share/omega-studio/setup-venv.sh" --print-path)" \
    = "$home/.local/share/omega-studio/venv"
venv_check_reports_missing() {
    run_installed "$usr/share/omega-studio/setup-venv.sh" --check
    [ $? -eq 1 ]
}
check "setup-venv.sh --check reports a missing venv (exit 1)" venv_check_reports_missing
if [ "${OMEGA_PACKAGE_TEST_VENV:-0}" = 1 ]; then
    venv_setup() {
        run_installed "$usr/share/omega-studio/setup-venv.sh" &&
            run_installed "$usr/share/omega-studio/setup-venv.sh" --check &&
            run_installed "$usr/share/omega-studio/setup-venv.sh" >"$work/venv-again" &&
            grep -qF 'up to date' "$work/venv-again"
    }
    check "setup-venv.sh creates DATA/venv, then finds it up to date" venv_setup
    # OMEGA_VENV explicitly: on a machine with a source checkout, Paths.cpp prefers its .venv.
    check "omega doctor with the new venv" \
        run_installed env OMEGA_VENV="$home/data/venv" "$usr/bin/omega" doctor
fi

# Not a failure, but worth seeing: paths of the build machine compiled into the binaries
# (Paths.cpp falls back to OMEGA_SOURCE_DIR/.venv and OMEGA_SOURCE_DIR/resources).
for binary in omega omega-studio; do
    # QStringLiteral keeps its text as UTF-16: strings -el reads that.
    if strings -a -el "$usr/bin/$binary" | grep -F "$source_dir" >/dev/null; then
        echo "NOTE  bin/$binary contains the build machine's source path $source_dir"
    fi
done

finish
