#!/usr/bin/env python3
"""Healing benchmark for issue #4, on the broken-script corpus (tests/fixtures/healing/corpus).

Each corpus file is copied to a scratch folder and healed with
`omega render FILE --heal --json --backend local -q l`, the fake AI provider
(omega-fake-provider, its own process) answering with that file's fix from
tests/fixtures/healing/fixes (a file that must not need the AI gets a valid decoy answer, so
a request that should not happen still shows). The header of each corpus file gives the
expected first classification and outcome; `# heal-args:` adds options (--allow-install …).

Measured:
- share of the corpus fixed with no AI call (gate rewrites, approved installs);
- renders wasted on scripts the gate could have rejected (goal 0): a rendered attempt whose
  script `omega check` rejects (error findings after its rewrites);
- AI requests per AI-fixed script (goal 1);
- AI requests on files that must never reach the AI (environment, timeout, approval, rewrite;
  goal 0), and whether each file's first classification and outcome are the expected ones.

Usage: bench/heal_bench.py [--build DIR] [--markdown FILE]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "fixtures" / "healing" / "corpus"
FIXES = REPO / "tests" / "fixtures" / "healing" / "fixes"
NO_AI_OUTCOMES = {"fixed-by-rewrite", "fixed-by-install", "stops-environment", "stops-timeout",
                  "stops-needs-approval"}


def header(path):
    expect = {"first": "", "outcome": "", "args": []}
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        text = line[1:].strip()
        for key, name in (("expect-first:", "first"), ("expect-outcome:", "outcome")):
            if text.startswith(key):
                expect[name] = text[len(key):].strip()
        if text.startswith("heal-args:"):
            expect["args"] = text[len("heal-args:"):].split()
    return expect


def answer_with(script):
    return ("Here is the corrected file.\n\n```python\n" + script.rstrip("\n") +
            "\n```\n\nThe error came from the line shown in the traceback.\n")


class Fake:
    """omega-fake-provider as its own process, driven through its control API."""

    def __init__(self, binary):
        self.proc = subprocess.Popen([str(binary), "--port", "0"], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if "listening on " not in line:
            sys.exit(f"the fake provider did not start: {line!r}")
        self.base = line.split("listening on ", 1)[1].strip()

    def control(self, name, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + "/_control/" + name, data=data,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            return json.loads(reply.read() or b"null")

    def ai_requests(self):
        return sum(1 for r in self.control("requests") if r.get("scenario"))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def gate_rejects(omega, env, script, work):
    """True when `omega check` finds errors left after its rewrites (it would not render)."""
    copy = work / ("check-" + script.name)
    shutil.copy(script, copy)
    proc = subprocess.run([str(omega), "check", str(copy), "--json"], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True)
    report = json.loads(proc.stdout)
    return any(f.get("severity") == "error" for f in report.get("findings", []))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=None,
                        help="build folder with bin/omega (default build-heal, else build)")
    parser.add_argument("--markdown", help="also write the table to this file")
    args = parser.parse_args()
    build = Path(args.build) if args.build else next(
        (REPO / d for d in ("build-heal", "build") if (REPO / d / "bin" / "omega").exists()),
        REPO / "build")
    omega = build / "bin" / "omega"
    fake_binary = build / "bin" / "omega-fake-provider"
    for binary in (omega, fake_binary):
        if not binary.exists():
            sys.exit(f"missing {binary}: build it first")

    work = Path(tempfile.mkdtemp(prefix="omega-heal-bench-"))
    env = {k: v for k, v in os.environ.items()
           if k not in ("DBUS_SESSION_BUS_ADDRESS", "GEMINI_API_KEY", "ANTHROPIC_API_KEY",
                        "AZURE_OPENAI_API_KEY", "http_proxy", "https_proxy", "HTTP_PROXY",
                        "HTTPS_PROXY", "all_proxy", "ALL_PROXY")}
    env.update(OMEGA_DATA_DIR=str(work / "data"), OMEGA_CONFIG_DIR=str(work / "config"),
               OPENAI_API_KEY="test-key")
    fake = Fake(fake_binary)
    decoy = (FIXES / "zero_division.py").read_text()
    rows = []
    try:
        # Warm the gate's cache of Manim's names, as any second run would find it.
        gate_rejects(omega, env, CORPUS / "zero_division.py", work)
        for path in sorted(CORPUS.glob("*.py")):
            expect = header(path)
            fix_path = FIXES / path.name
            fix = fix_path.read_text() if fix_path.exists() else None
            fake.control("reset", {})
            fake.control("answer", {"text": answer_with(fix or decoy)})
            script = work / "scripts" / path.stem / path.name
            script.parent.mkdir(parents=True)
            shutil.copy(path, script)
            cmd = [str(omega), "render", str(script), "--heal", "--json", "--backend", "local",
                   "-q", "l", "--provider", "openai", "--endpoint", fake.base + "/v1",
                   "--model", "gpt-test"] + expect["args"]
            start = time.perf_counter()
            proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, timeout=900)
            elapsed = time.perf_counter() - start
            result = json.loads(proc.stdout)
            attempts = result.get("attempts", [])
            first = (attempts[0].get("error", {}).get("category", "none") if attempts else "?")
            status = result.get("status")
            ai = result.get("ai_requests", 0)
            if status == "ok":
                last = attempts[-1]["fix_source"] if attempts else "?"
                outcome = {"rewrite": "fixed-by-rewrite", "dependency": "fixed-by-install",
                           "ai": "needs-AI", "original": "rendered"}.get(last, last)
            else:
                category = result.get("error", {}).get("category", "?")
                outcome = {"environment": "stops-environment", "timeout": "stops-timeout",
                           "missing-module": "stops-needs-approval"}.get(category,
                                                                         "failed: " + category)
            # Renders wasted on versions the gate rejects: the original (attempt 1) and the AI's
            # fixes (the fix file) — only rendered attempts count.
            wasted = 0
            for attempt in attempts:
                if not attempt.get("rendered"):
                    continue
                version = path if attempt["fix_source"] in ("original", "rewrite",
                                                            "dependency") else fix_path
                if version.exists() and gate_rejects(omega, env, version, work):
                    wasted += 1
            rows.append({
                "file": path.name, "expect_first": expect["first"], "first": first,
                "expect_outcome": expect["outcome"], "outcome": outcome, "status": status,
                "attempts": len(attempts), "ai": ai, "server_ai": fake.ai_requests(),
                "renders": sum(1 for a in attempts if a.get("rendered")),
                "avoided": result.get("renders_avoided", 0), "wasted": wasted,
                "seconds": elapsed,
            })
            print(f"{path.name}: {status} {outcome} ai={ai} {elapsed:.1f}s", file=sys.stderr)
    finally:
        fake.stop()
        shutil.rmtree(work, ignore_errors=True)

    n = len(rows)
    fixed = [r for r in rows if r["status"] == "ok"]
    fixed_no_ai = [r for r in fixed if r["ai"] == 0]
    ai_fixed = [r for r in fixed if r["ai"] > 0]
    must_not_ask = [r for r in rows if r["expect_outcome"] in NO_AI_OUTCOMES]
    as_expected = [r for r in rows
                   if r["first"] == r["expect_first"] and r["outcome"] == r["expect_outcome"]]
    lines = [
        "| file | first (expected) | outcome (expected) | attempts | AI requests | renders "
        "| renders avoided | renders wasted | s |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        first = r["first"] if r["first"] == r["expect_first"] else \
            f"**{r['first']}** ({r['expect_first']})"
        outcome = r["outcome"] if r["outcome"] == r["expect_outcome"] else \
            f"**{r['outcome']}** ({r['expect_outcome']})"
        lines.append(f"| {r['file']} | {first} | {outcome} | {r['attempts']} | {r['ai']} "
                     f"| {r['renders']} | {r['avoided']} | {r['wasted']} | {r['seconds']:.1f} |")
    per_ai = (sum(r["ai"] for r in ai_fixed) / len(ai_fixed)) if ai_fixed else 0.0
    summary = [
        "",
        "| measure | value | goal |",
        "|---|---|---|",
        f"| corpus scripts | {n} | |",
        f"| first classification and outcome as expected | {len(as_expected)}/{n} | all |",
        f"| fixed | {len(fixed)}/{n} (the rest are expected stops) | |",
        f"| fixed with no AI call (rewrite or approved install) | {len(fixed_no_ai)}/{n} = "
        f"{100.0 * len(fixed_no_ai) / n:.0f}% of the corpus, "
        f"{100.0 * len(fixed_no_ai) / max(1, len(fixed)):.0f}% of the fixed | |",
        f"| renders wasted on scripts the gate could have rejected | "
        f"{sum(r['wasted'] for r in rows)} | 0 |",
        f"| renders avoided by the gate | {sum(r['avoided'] for r in rows)} | |",
        f"| renders in all | {sum(r['renders'] for r in rows)} | |",
        f"| AI requests per AI-fixed script | {per_ai:.2f} ({sum(r['ai'] for r in ai_fixed)} "
        f"for {len(ai_fixed)}) | 1 |",
        f"| AI requests on scripts that must not reach the AI | "
        f"{sum(r['server_ai'] for r in must_not_ask)} (over {len(must_not_ask)} scripts) | 0 |",
        f"| wall time, whole corpus | {sum(r['seconds'] for r in rows):.0f} s | |",
    ]
    text = "\n".join(lines + summary) + "\n"
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text)
    return 0 if len(as_expected) == n else 1


if __name__ == "__main__":
    sys.exit(main())
