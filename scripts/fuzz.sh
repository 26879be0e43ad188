#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang in build-fuzz/ and runs each one for a
# bounded time, seeded from the recorded manim output in tests/fixtures/manim.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 30)
#
# Exits non-zero when a fuzzer finds a crash, a sanitizer error, a timeout or an out-of-memory
# input; the input is kept in build-fuzz/artifacts/ (reproduce: build-fuzz/fuzz/<target> FILE).
set -euo pipefail

seconds="${1:-30}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-fuzz"
fixtures="$root/tests/fixtures/manim"
targets=(fuzz_progressparser fuzz_errorclassifier fuzz_sseparser fuzz_codeextractor fuzz_fencefilter)

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found" >&2; exit 2; }

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOMEGA_FUZZ=ON -DOMEGA_BUILD_GUI=OFF \
    -DOMEGA_BUILD_TESTS=ON -DOMEGA_WERROR=ON >/dev/null
cmake --build "$build" --target "${targets[@]}"

# Seeds. The progress parser reads raw stdout/stderr bytes. The classifier's input is
# <flags byte><signal byte><stdout>\0<stderr> (see fuzz_errorclassifier.cpp): exit code from the
# fixture's json in the high nibble, "output missing" in bit 3.
rm -rf "$build/seeds"
mkdir -p "$build/seeds/fuzz_progressparser" "$build/seeds/fuzz_errorclassifier" "$build/artifacts"
for json in "$fixtures"/*.json; do
    case_name="$(basename "$json" .json)"
    cp "$fixtures/$case_name.stdout" "$build/seeds/fuzz_progressparser/$case_name.stdout"
    cp "$fixtures/$case_name.stderr" "$build/seeds/fuzz_progressparser/$case_name.stderr"
    exit_code="$(sed -n 's/.*"exitCode": *\([0-9]*\).*/\1/p' "$json")"
    missing=8
    grep -q '"outputExists": *true' "$json" && missing=0
    flags=$(( ((exit_code & 15) << 4) | missing ))
    {
        printf "\\$(printf '%03o' "$flags")\\000"
        cat "$fixtures/$case_name.stdout"
        printf '\000'
        cat "$fixtures/$case_name.stderr"
    } >"$build/seeds/fuzz_errorclassifier/$case_name"
done
# SSE streams (their first 4 KB: the fuzzer feeds each input byte by byte) behind the fuzzer's
# 3 header bytes (mode 0, split at 0x40); model answers as they are.
mkdir -p "$build/seeds/fuzz_sseparser" "$build/seeds/fuzz_codeextractor"
for stream in "$root"/tests/fixtures/sse/*; do
    { printf '\000\100\000'; head -c 4096 "$stream"; } >"$build/seeds/fuzz_sseparser/$(basename "$stream")"
done
cp "$root"/tests/fixtures/answers/*.md "$build/seeds/fuzz_codeextractor/"
# The fence filter: the same answers behind a cut-pattern byte.
mkdir -p "$build/seeds/fuzz_fencefilter"
for answer in "$root"/tests/fixtures/answers/*.md; do
    { printf '\003'; cat "$answer"; } >"$build/seeds/fuzz_fencefilter/$(basename "$answer")"
done

status=0
for target in "${targets[@]}"; do
    corpus="$build/corpus/$target"
    mkdir -p "$corpus"
    echo "== $target: ${seconds}s"
    # The corpus keeps what a run found for the next one; seeds are read, never written.
    if ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" "$build/fuzz/$target" \
        -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$target-" \
        "$corpus" "$build/seeds/$target" 2>"$build/$target.log"; then
        grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^Done' "$build/$target.log" || true
    else
        status=1
        echo "!! $target failed; see $build/$target.log and $build/artifacts/" >&2
        grep -E 'ERROR|SUMMARY|Test unit written' "$build/$target.log" >&2 || true
    fi
done
exit "$status"
