#!/usr/bin/env python3
"""Render benchmarks for issue #2, side by side in one run (the machine is shared and noisy:
only ratios of interleaved runs mean anything).

1. `omega render` vs `python -m manim render`, same scene and quality, caching off for both,
   alternating, N runs each: median wall-time ratio (goal <= 1.05).
2. With caching, a rerun after a one-line edit of a 10-animation scene vs its full render
   (goal <= 0.35).

Usage: bench/render_bench.py [--runs N] [--quality l|m|h] [--markdown FILE]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OMEGA = REPO / "build" / "bin" / "omega"
PYTHON = REPO / ".venv" / "bin" / "python"
SCENES = REPO / "bench" / "scenes"


def timed(cmd, env=None, cwd=None):
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{proc.stderr.decode()[-2000:]}")
    return elapsed


def overhead(runs, quality, work):
    script = work / "bench_scene.py"
    shutil.copy(SCENES / "bench_scene.py", script)
    env = dict(os.environ, OMEGA_DATA_DIR=str(work / "omega-data"))
    omega_cmd = [str(OMEGA), "render", str(script), "--scene", "BenchScene", "--quality", quality,
                 "--no-cache", "--media-dir", str(work / "media-omega"), "--backend", "local"]
    # The sandbox writes only to Omega's own media folders: no --media-dir.
    sandbox_cmd = [str(OMEGA), "render", str(script), "--scene", "BenchScene", "--quality", quality,
                   "--no-cache", "--backend", "sandbox"]
    manim_cmd = [str(PYTHON), "-m", "manim", "render", f"-q{quality}", "--disable_caching",
                 "--media_dir", str(work / "media-manim"), str(script), "BenchScene"]
    timed(manim_cmd, cwd=work)  # warm the file cache for both
    omega_times, manim_times, sandbox_times = [], [], []
    for i in range(runs):
        order = [(omega_cmd, omega_times, env), (manim_cmd, manim_times, None),
                 (sandbox_cmd, sandbox_times, env)]
        order = order[i % 3:] + order[:i % 3]  # rotate who goes first
        for cmd, sink, e in order:
            sink.append(timed(cmd, env=e, cwd=work))
    return omega_times, manim_times, sandbox_times


def edit_rerun(runs, quality, work):
    env = dict(os.environ, OMEGA_DATA_DIR=str(work / "omega-data"))
    full, rerun = [], []
    for i in range(runs):
        script = work / f"ten_{i}" / "ten_animations.py"
        script.parent.mkdir()
        shutil.copy(SCENES / "ten_animations.py", script)
        media = work / f"media-ten-{i}"
        cmd = [str(OMEGA), "render", str(script), "--quality", quality, "--media-dir", str(media),
           "--backend", "local"]
        full.append(timed(cmd, env=env))
        text = script.read_text().replace("set_color(RED)", "set_color(ORANGE)")
        script.write_text(text)
        rerun.append(timed(cmd, env=env))
    return full, rerun


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quality", default="m")
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    for tool in (OMEGA, PYTHON):
        if not tool.exists():
            sys.exit(f"missing {tool}: run scripts/setup.sh first")

    with tempfile.TemporaryDirectory(prefix="omega-bench-") as tmp:
        work = Path(tmp)
        omega_times, manim_times, sandbox_times = overhead(args.runs, args.quality, work)
        full, rerun = edit_rerun(args.runs, args.quality, work)

    med = statistics.median
    ratio = med(omega_times) / med(manim_times)
    sandbox_ratio = med(sandbox_times) / med(omega_times)
    rerun_ratio = med(rerun) / med(full)
    fmt = lambda xs: ", ".join(f"{x:.2f}" for x in xs)
    lines = [
        f"Quality -q{args.quality}, {args.runs} runs each, interleaved; wall time in seconds.",
        "",
        "| benchmark | median (s) | runs (s) | ratio | goal |",
        "|---|---|---|---|---|",
        f"| `python -m manim render` (no cache) | {med(manim_times):.2f} | {fmt(manim_times)} | 1.00 | |",
        f"| `omega render --backend local` (no cache) | {med(omega_times):.2f} | {fmt(omega_times)} | **{ratio:.3f}** | <= 1.05 |",
        f"| `omega render --backend sandbox` (no cache), vs local | {med(sandbox_times):.2f} | {fmt(sandbox_times)} | **{sandbox_ratio:.3f}** | <= 1.05 |",
        f"| `omega render`, 10 animations, full render (cache on, empty) | {med(full):.2f} | {fmt(full)} | 1.00 | |",
        f"| `omega render`, same after a one-line edit | {med(rerun):.2f} | {fmt(rerun)} | **{rerun_ratio:.3f}** | <= 0.35 |",
    ]
    report = "\n".join(lines)
    print(report)
    if args.markdown:
        args.markdown.write_text(report + "\n")
    ok = ratio <= 1.05 and rerun_ratio <= 0.35 and sandbox_ratio <= 1.05
    print("goals met" if ok else "GOALS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
