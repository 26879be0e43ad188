#!/usr/bin/env bash
# Builds Omega Studio's render image (omega-render:<manim version>) WITHOUT any image
# registry, and skips the build when an up-to-date image is already there:
#   1. base: a Debian 12 minbase made with debootstrap, imported into the engine
#      (localhost/omega-render-base:bookworm-<hash>, built once)
#   2. wheels: the pinned render requirements built/downloaded on the host into
#      .cache/render-wheels (same Debian 12 / Python 3.11 ABI as the image)
#   3. the image: packaging/container/Containerfile on top of the base (apt over the host's
#      network for LaTeX and the libraries, pip only from the wheels)
# The image is labelled with a hash of its recipe (Containerfile, requirements, this
# script); a different hash means rebuild.
#
# Usage: build-image.sh [--engine podman|docker] [--tag T] [--force]
#   --engine  podman (preferred) or docker; default: podman if installed, else a docker
#             whose daemon answers
#   --tag     image name (default omega-render:<OMEGA_MANIM_VERSION from CMakeLists.txt>)
#   --force   rebuild even if the image is up to date, without the engine's layer cache
#             (fresh Debian packages); the base and the wheels are reused
# Environment: OMEGA_DEBIAN_MIRROR (default http://deb.debian.org/debian).
# Needs root or sudo (debootstrap), debootstrap, and a Python 3.11 (the repository's .venv
# or python3) with the -dev packages scripts/setup.sh installs (pycairo, manimpango).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

engine=""
tag=""
force=0
while [ $# -gt 0 ]; do
    case "$1" in
        --engine) engine=${2:-}; shift 2 || true ;;
        --engine=*) engine=${1#--engine=}; shift ;;
        --tag) tag=${2:-}; shift 2 || true ;;
        --tag=*) tag=${1#--tag=}; shift ;;
        --force) force=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-image.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

started=$SECONDS
say() { printf '\033[1m==> [image %3ds] %s\033[0m\n' "$((SECONDS - started))" "$*"; }
die() {
    printf 'build-image.sh: %s\n' "$1" >&2
    [ -z "${2:-}" ] || printf '  what to do: %s\n' "$2" >&2
    exit 1
}

# --- The engine -------------------------------------------------------------------------------
if [ -z "$engine" ]; then
    if command -v podman >/dev/null 2>&1; then
        engine=podman
    elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
        engine=docker
    else
        die "no container engine found (neither podman nor a docker with a running daemon)" \
            "install podman (apt-get install podman runc) or start the Docker daemon"
    fi
fi
case "$engine" in podman|docker) ;; *) die "unknown engine '$engine'" "use --engine podman or --engine docker" ;; esac
command -v "$engine" >/dev/null 2>&1 || die "$engine is not installed" "install it, or pick the other engine with --engine"
if [ "$engine" = podman ] && [ -z "${CONTAINERS_CONF:-}" ]; then
    # runc, cgroupfs and no ulimits: what works where podman runs as root in a container/VM.
    export CONTAINERS_CONF="$here/containers.conf"
fi
if ! "$engine" info >/dev/null 2>&1; then
    die "$engine cannot reach its engine: $("$engine" info 2>&1 | tail -n 1)" \
        "for docker start the daemon (or use --engine podman); for podman check its configuration"
fi

# --- What to build ------------------------------------------------------------------------------
manim_version=$(sed -n 's/^set(OMEGA_MANIM_VERSION "\(.*\)")$/\1/p' "$repo/CMakeLists.txt")
requirements="$repo/resources/render-requirements.txt"
req_pin=$(sed -n 's/^manim==\(.*\)$/\1/p' "$requirements")
[ -n "$manim_version" ] && [ "$manim_version" = "$req_pin" ] ||
    die "CMakeLists.txt pins manim '$manim_version' but render-requirements.txt pins '$req_pin'" \
        "make OMEGA_MANIM_VERSION and the manim== line agree"
tag=${tag:-omega-render:$manim_version}
containerfile="$here/Containerfile"
recipe_hash=$(cat "$containerfile" "$requirements" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-32)

image_label() { # image label → stdout (empty when the image or the label is missing)
    "$engine" image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}
image_present() { "$engine" image inspect "$1" >/dev/null 2>&1; }

cache="$repo/.cache/render-image"
mkdir -p "$cache"
# Two setups at once (test.sh and run-studio.sh) must not build twice or clobber the wheels.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$cache/.lock"
    flock -n 9 || { say "another build is running; waiting for it"; flock 9; }
fi

if [ "$force" = 0 ] && image_present "$tag"; then
    have=$(image_label "$tag" io.omega-studio.recipe-hash)
    if [ "$have" = "$recipe_hash" ]; then
        say "$tag is up to date ($engine, recipe $recipe_hash)"
        exit 0
    fi
    say "$tag exists but its recipe changed (${have:-no label} → $recipe_hash): rebuilding"
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "debootstrap needs root" "run this as root or install sudo"
    sudo_cmd=(sudo)
fi

# --- 1. Base: Debian 12 minbase from the Debian mirror -----------------------------------------
mirror=${OMEGA_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${mirror%/debian}/debian-security
# Change this text to force a new base (the tag carries its hash).
base_recipe="debootstrap --variant=minbase bookworm $mirror; +updates +security; v1"
base_tag="localhost/omega-render-base:bookworm-$(printf '%s' "$base_recipe" | sha256sum | cut -c1-12)"
if image_present "$base_tag"; then
    say "Base $base_tag: present"
else
    command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] ||
        die "debootstrap is not installed" "apt-get install debootstrap (scripts/setup.sh does it)"
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    [ -f "$keyring" ] || die "Debian's archive keyring is missing ($keyring)" "apt-get install debian-archive-keyring"
    rootfs=$(mktemp -d "${TMPDIR:-/tmp}/omega-render-rootfs.XXXXXX")
    # The rootfs is root-owned: remove it with the same rights, on success or failure.
    trap '"${sudo_cmd[@]}" rm -rf --one-file-system "$rootfs"' EXIT
    say "Base: debootstrap Debian 12 (minbase) from $mirror — about a minute"
    if ! "${sudo_cmd[@]}" env PATH="/usr/sbin:/sbin:$PATH" debootstrap --variant=minbase \
        --keyring="$keyring" bookworm "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1; then
        tail -n 20 "$cache/debootstrap.log" >&2
        die "debootstrap failed (log: $cache/debootstrap.log)" \
            "check that $mirror is reachable (or set OMEGA_DEBIAN_MIRROR) and that you are root"
    fi
    # Security and point-release updates too; the downloaded .debs and lists are not kept.
    "${sudo_cmd[@]}" sh -c "rm -f '$rootfs/etc/apt/sources.list' &&
        printf '%s\n' 'Types: deb' 'URIs: $mirror' 'Suites: bookworm bookworm-updates' \
            'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' '' \
            'Types: deb' 'URIs: $security_mirror' 'Suites: bookworm-security' 'Components: main' \
            'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' \
            > '$rootfs/etc/apt/sources.list.d/debian.sources' &&
        rm -rf '$rootfs'/var/cache/apt/archives/*.deb '$rootfs'/var/lib/apt/lists/* \
            '$rootfs'/var/log/* '$rootfs'/dev/* '$rootfs'/run/* '$rootfs'/tmp/*"
    say "Base: importing into $engine as $base_tag"
    import_args=(import --change 'CMD ["/bin/bash"]')
    [ "$engine" = podman ] && import_args+=(--quiet)
    "${sudo_cmd[@]}" tar --numeric-owner --one-file-system -C "$rootfs" -c . |
        "$engine" "${import_args[@]}" - "$base_tag" >/dev/null ||
        die "$engine import of the base failed" "see the message above"
    "${sudo_cmd[@]}" rm -rf --one-file-system "$rootfs"
    trap - EXIT
fi

# --- 2. Wheels: built on the host so the image needs no compiler -------------------------------
python=python3
[ -x "$repo/.venv/bin/python" ] && python="$repo/.venv/bin/python"
py_version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)
# Debian 12's Python; a wheel built for another minor version would not install.
[ "$py_version" = 3.11 ] ||
    die "the wheels must be built with Python 3.11 (Debian 12's), found '${py_version:-none}' ($python)" \
        "run scripts/setup.sh first (it creates .venv with Debian 12's python3)"
wheels="$repo/.cache/render-wheels"
context="$cache/context"
mkdir -p "$wheels"
pip=("$python" -m pip --disable-pip-version-check)
if "${pip[@]}" wheel --quiet --no-index --find-links "$wheels" -r "$requirements" -w "$wheels" \
    >/dev/null 2>&1; then
    say "Wheels: all present in .cache/render-wheels"
else
    say "Wheels: building/downloading the pinned requirements into .cache/render-wheels"
    "${pip[@]}" wheel --quiet -r "$requirements" -w "$wheels" ||
        die "pip could not build the wheels (above)" \
            "check that PyPI is reachable and the -dev packages of scripts/setup.sh are installed"
fi
# The build context: exactly the wheels the requirements resolve to, and the requirements.
rm -rf "$context"
mkdir -p "$context/wheels"
"${pip[@]}" download --quiet --no-index --find-links "$wheels" --only-binary=:all: \
    -r "$requirements" -d "$context/wheels" ||
    die "the wheel set in $wheels is incomplete" "delete $wheels and run this script again"
cp "$requirements" "$context/wheels/render-requirements.txt"

# --- 3. The image ---------------------------------------------------------------------------------
old_id=$("$engine" image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
say "Image: building $tag (apt: LaTeX, Cairo, Pango; pip: from the wheels) — several minutes the first time"
build_args=(build --network host -f "$containerfile" -t "$tag"
    --build-arg "BASE_IMAGE=$base_tag" --build-arg "MANIM_VERSION=$manim_version"
    --build-arg "RECIPE_HASH=$recipe_hash")
# Never look for the base in a registry: it only exists here.
[ "$engine" = podman ] && build_args+=(--pull=never)
[ "$force" = 1 ] && build_args+=(--no-cache)
if ! "$engine" "${build_args[@]}" "$context" >"$cache/build.log" 2>&1; then
    tail -n 30 "$cache/build.log" >&2
    die "$engine build failed (full log: $cache/build.log)" \
        "check that $mirror is reachable from the build; rerun with --force after fixing"
fi
rm -rf "$context"

say "Image: checking it (manim, Cairo, Pango, PyAV import without network)"
check='import manim, cairo, manimpango, av; print(manim.__version__)'
got=$("$engine" run --rm --network none --read-only --tmpfs /tmp "$tag" python -c "$check" 2>&1 | tail -n 1) ||
    die "the new image cannot import manim: $got" "see $cache/build.log"
[ "$got" = "$manim_version" ] || die "the new image reports manim '$got', expected $manim_version" "see $cache/build.log"

# The previous image of this tag is now untagged: drop it (kept if a container still uses it).
new_id=$("$engine" image inspect --format '{{.Id}}' "$tag")
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
    "$engine" rmi "$old_id" >/dev/null 2>&1 || true
fi
size=$("$engine" image inspect --format '{{.Size}}' "$tag")
say "Built $tag: manim $got, $((size / 1000000)) MB, recipe $recipe_hash"
