#!/usr/bin/env bash
# Sets everything up (once) and runs the whole test suite:
#   format check → build with warnings as errors → every CTest test (unit, integration with
#   real Manim renders, GUI under Xvfb) → the same tests under ASan + UBSan → bounded fuzzing.
# Usage: scripts/test.sh [--quick]   (--quick: skip the sanitizer build and fuzzing)
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
quick=0
[ "${1:-}" = "--quick" ] && quick=1

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
passed=0
failed=0
failures=()

# Runs ctest with the given arguments and adds its counts to the totals.
run_ctest() {
    local name=$1; shift
    local log
    log=$(mktemp)
    # A private desktop session: Xvfb (video frames reach QVideoSink only on a real X
    # screen), a D-Bus session bus and an unlocked gnome-keyring for the keychain tests.
    "$repo/scripts/test-session.sh" ctest "$@" --output-on-failure 2>&1 | tee "$log"
    local line total bad
    line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        failed=$((failed + 1)); failures+=("$name: ctest did not run")
    else
        bad=$(sed -E 's/.*passed, ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
        total=$(sed -E 's/.*passed, ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
        passed=$((passed + total - bad)); failed=$((failed + bad))
        [ "$bad" = 0 ] || failures+=("$name: $bad failed")
    fi
    rm -f "$log"
}

step_failed() { failed=$((failed + 1)); failures+=("$1"); }

say "Setup"
"$repo/scripts/setup.sh" --test-tools --no-build || { echo "setup failed" >&2; exit 1; }

say "Format check (clang-format)"
mapfile -t sources < <(git ls-files -co --exclude-standard -- '*.cpp' '*.h')
if clang-format --dry-run --Werror "${sources[@]}"; then
    passed=$((passed + 1))
else
    step_failed "format check (run: clang-format -i \$(git ls-files '*.cpp' '*.h'))"
fi

say "Build (warnings as errors)"
if cmake --preset default -DOMEGA_WERROR=ON >/dev/null && cmake --build --preset default; then
    run_ctest "tests" --preset default
else
    step_failed "build"
fi

if [ "$quick" = 0 ]; then
    say "Tests under AddressSanitizer + UndefinedBehaviorSanitizer"
    if cmake --preset asan >/dev/null && cmake --build --preset asan; then
        # GUI tests are left out: Qt's GStreamer plugins are not built with ASan.
        run_ctest "asan" --preset asan -LE gui
    else
        step_failed "asan build"
    fi

    if [ -x "$repo/scripts/fuzz.sh" ]; then
        say "Fuzzing the parsers (bounded)"
        if "$repo/scripts/fuzz.sh"; then passed=$((passed + 1)); else step_failed "fuzzing"; fi
    fi
fi

say "Summary"
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
