"""Single-file `hardenify check` wall time next to hadolint's, and the floors under it (issue 18).

Run by hand: `python benchmarks/bench_startup.py [--file PATH] [--runs 20]`.
Every command runs `--runs` times, round-robin (so a burst of load on a shared machine hits all of
them alike), each in a new process; best and median are printed, all from this one run:
- hadolint on the file (the real binary: a pyenv shim in front of it is timed separately);
- the Python floor: `python -c pass` (interpreter and site, which in some environments imports
  more than hardenify's own modules), `python -I -S -c pass`, and `import click`;
- `hardenify --version`;
- `hardenify check --no-cache FILE` (imports and runs the Dockerfile rules);
- `hardenify check FILE` with a warm result cache (no rule is imported).
hardenify runs from a frozen copy of the code with byte code written to a private prefix (this
environment sets PYTHONDONTWRITEBYTECODE, which would make every run compile hardenify afresh).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = (
    ROOT.parent
    / "shared"
    / "corpus"
    / "dockerfiles"
    / "0001__docker__awesome-compose__angular__angular__Dockerfile"
)


def real_hadolint() -> tuple[str | None, str | None]:
    """(the hadolint binary, the shim in front of it or None)."""
    found = shutil.which("hadolint")
    if found is None:
        return None, None
    with open(found, "rb") as f:
        if f.read(2) != b"#!":
            return found, None
    pyenv = shutil.which("pyenv")
    if pyenv:
        r = subprocess.run([pyenv, "which", "hadolint"], capture_output=True, text=True, check=False)
        if r.returncode == 0 and r.stdout.strip():
            return r.stdout.strip(), found
    return None, found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--file", type=Path, default=DEFAULT_FILE)
    ap.add_argument("--runs", type=int, default=20)
    ns = ap.parse_args()
    if not ns.file.is_file():
        sys.exit(f"no file at {ns.file} (pass --file)")
    work = Path(tempfile.mkdtemp(prefix="hardenify-bench-startup-"))
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _snapshot import snapshot

        code = str(snapshot(work / "code"))
        target = work / "tree" / "Dockerfile"
        target.parent.mkdir()
        shutil.copyfile(ns.file, target)
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env |= {"PYTHONPYCACHEPREFIX": str(work / "pyc"), "PYTHONPATH": code}
        env["HARDENIFY_CACHE_DIR"] = str(work / "cache")
        py = sys.executable
        hf = [py, "-m", "hardenify"]
        commands: dict[str, list[str]] = {}
        binary, shim = real_hadolint()
        if binary:
            commands["hadolint"] = [binary, "Dockerfile"]
        if shim:
            commands["hadolint (pyenv shim)"] = [shim, "Dockerfile"]
        commands |= {
            "python -I -S -c pass": [py, "-I", "-S", "-c", "pass"],
            "python -c pass": [py, "-c", "pass"],
            "python -c import-click": [py, "-c", "import click"],
            "hardenify --version": [*hf, "--version"],
            "hardenify check --no-cache": [*hf, "check", "--no-cache", "Dockerfile"],
            "hardenify check (warm cache)": [*hf, "check", "Dockerfile"],
        }
        cwd = str(target.parent)
        for cmd in commands.values():  # warm-up: byte code, page cache, the result cache
            subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=False, timeout=120)
        times: dict[str, list[float]] = {k: [] for k in commands}
        for _ in range(ns.runs):
            for name, cmd in commands.items():
                t0 = time.perf_counter()
                subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=False, timeout=120)
                times[name].append(time.perf_counter() - t0)
        print(f"{ns.file.name}: {ns.runs} runs each, round-robin; load average {os.getloadavg()[0]:.2f}")
        base = min(times["hadolint"]) if "hadolint" in times else None
        for name, ts in times.items():
            ratio = f"  {min(ts) / base:5.1f}x hadolint (best)" if base else ""
            print(
                f"{name:>30}: best {min(ts) * 1000:7.1f} ms  median {statistics.median(ts) * 1000:7.1f} ms{ratio}"
            )
        if base:
            for name in ("hardenify check --no-cache", "hardenify check (warm cache)"):
                ok = min(times[name]) <= 1.5 * base
                print(f"{name} within 1.5x hadolint: {'yes' if ok else 'no'}")
        floor = min(times["python -c pass"])
        print(
            f"above the interpreter floor (python -c pass): --version "
            f"{(min(times['hardenify --version']) - floor) * 1000:.1f} ms, click "
            f"{(min(times['python -c import-click']) - floor) * 1000:.1f} ms, warm check "
            f"{(min(times['hardenify check (warm cache)']) - floor) * 1000:.1f} ms, cold check "
            f"{(min(times['hardenify check --no-cache']) - floor) * 1000:.1f} ms"
        )
        print(
            json.dumps(
                {
                    name: {
                        "best_ms": round(min(ts) * 1000, 1),
                        "median_ms": round(statistics.median(ts) * 1000, 1),
                    }
                    for name, ts in times.items()
                }
            )
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
