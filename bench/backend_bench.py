#!/usr/bin/env python3
"""Render backends side by side (issue #5): local vs sandbox vs a warm container vs a cold one.
The machine is shared and noisy: only ratios of interleaved runs mean anything.

1. Warm: one `omega render --all` job per backend on a file holding K copies of the benchmark
   scene (caching off). Every scene is its own render process: a new Python for local and
   sandbox, an `exec` into the job's (already running) container for docker. The per-scene
   times (`elapsed_ms` of --json) compare the price of a render once the container is warm,
   which is what the studio and the healing loop pay from their second render on.
2. Cold: one `omega render` of one scene per command, whole wall time: local vs docker with
   `--container-reuse off` (engine check, image lookup, `run`, the render, `rm`): what a
   single CLI render in a container costs.

Backends are interleaved and the order rotates every round.

Usage: bench/backend_bench.py [--runs N] [--scenes K] [--quality l|m|h] [--omega PATH]
                              [--engine podman|docker] [--markdown FILE]
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCENES = REPO / "bench" / "scenes"


def run(cmd, env):
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(map(str, cmd))}\n"
                 f"{proc.stdout.decode()[-2000:]}\n{proc.stderr.decode()[-2000:]}")
    return elapsed, json.loads(proc.stdout)


def many_scenes(work, count):
    """bench_scene.py with the scene class repeated under K names."""
    source = (SCENES / "bench_scene.py").read_text()
    header, _, body = source.partition("class BenchScene(Scene):")
    text = header + "".join(f"class BenchScene{i}(Scene):{body}" for i in range(count))
    path = work / "bench_many.py"
    path.write_text(text)
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scenes", type=int, default=3)
    parser.add_argument("--quality", default="m")
    parser.add_argument("--omega", default=str(REPO / "build" / "bin" / "omega"))
    parser.add_argument("--engine", default="podman")
    parser.add_argument("--markdown")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="omega-backend-bench-"))
    env = dict(os.environ, OMEGA_DATA_DIR=str(work / "data"))
    many = many_scenes(work, args.scenes)
    single = work / "bench_scene.py"
    single.write_text((SCENES / "bench_scene.py").read_text())
    base = [args.omega, "render", "--quality", args.quality, "--no-cache", "--json"]
    docker = ["--backend", "docker", "--engine", args.engine]
    warm_cmds = {
        "local": base + [str(many), "--all", "--backend", "local"],
        "sandbox": base + [str(many), "--all", "--backend", "sandbox"],
        "docker (warm)": base + [str(many), "--all"] + docker,
    }
    cold_cmds = {
        "local": base + [str(single), "--backend", "local"],
        "docker (cold)": base + [str(single), "--container-reuse", "off"] + docker,
    }
    # Warm the file cache and the image once, outside the figures.
    for cmd in list(warm_cmds.values())[:1] + list(cold_cmds.values())[1:]:
        run(cmd, env)

    per_scene = {name: [] for name in warm_cmds}
    whole = {name: [] for name in cold_cmds}
    for i in range(args.runs):
        names = list(warm_cmds)
        names = names[i % len(names):] + names[:i % len(names)]
        for name in names:
            _, result = run(warm_cmds[name], env)
            per_scene[name] += [o["elapsed_ms"] / 1000 for o in result["outputs"]]
        names = list(cold_cmds)
        names = names[i % len(names):] + names[:i % len(names)]
        for name in names:
            elapsed, _ = run(cold_cmds[name], env)
            whole[name].append(elapsed)

    def table(title, figures, reference, goals):
        ref = statistics.median(figures[reference])
        lines = [f"{title}", "", "| backend | median (s) | runs (s) | ratio to local | goal |",
                 "|---|---|---|---|---|"]
        for name, times in figures.items():
            median = statistics.median(times)
            runs = ", ".join(f"{t:.2f}" for t in times)
            ratio = f"**{median / ref:.3f}**" if name != reference else "1.00"
            lines.append(f"| {name} | {median:.2f} | {runs} | {ratio} | {goals.get(name, '')} |")
        return lines

    cpu = "unknown CPU"
    try:
        cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text()).group(1)
    except (OSError, AttributeError):
        pass
    lines = [f"Run on {datetime.date.today().isoformat()}: {os.cpu_count()} cores ({cpu}), "
             f"{platform.system()} {platform.release()}, engine {args.engine}; "
             f"quality -q{args.quality}, caching off, {args.runs} rounds, interleaved.", ""]
    lines += table(f"Per scene, {args.scenes} scenes per job (warm):", per_scene, "local",
                   {"sandbox": "<= 1.05", "docker (warm)": "<= 1.15"})
    lines += [""]
    lines += table("Whole command, one scene (cold):", whole, "local", {})
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
