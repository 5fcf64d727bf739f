"""Speed of `check` and `fix` over the corpus, next to hadolint's when it is installed.

Run by hand: `python benchmarks/bench_check.py [--corpus ../shared/corpus] [--jobs 1 2]`.
Targets (issue #2/#3/#7): check < 1.5 ms/file and fix < 3 ms/file in one process, a
single-file `hardenify check` < 150 ms wall, and a speed-up near the core count with --jobs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in (corpus / "dockerfiles").iterdir() if p.is_file())


def in_process(files: list[Path], mode: str, repeat: int) -> tuple[list[float], int]:
    """Seconds per pass over every file (one per `repeat`), and what the pass found or fixed.

    Report the best pass as timeit does: on a shared machine the noise only ever adds time.
    """
    from hardenify import engine
    from hardenify.runner import read_source
    from hardenify.settings import Settings

    texts = [read_source(p) for p in files]
    settings = Settings(unsafe_fixes=(mode == "fix-unsafe"))
    # warm the rule registry and imports (not what we measure)
    engine.lint("Dockerfile", texts[0], "dockerfile", settings)
    passes: list[float] = []
    findings = 0
    for _ in range(repeat):
        engine.parse_dockerfile.cache_clear()  # every pass parses every file afresh
        findings = 0
        t0 = time.perf_counter()
        for text in texts:
            if mode == "check":
                findings += len(engine.lint("Dockerfile", text, "dockerfile", settings).diagnostics)
            else:
                findings += sum(engine.fix_text("Dockerfile", text, "dockerfile", settings).fixed.values())
        passes.append(time.perf_counter() - t0)
    return passes, findings


def cli_wall(args: list[str], repeat: int = 7) -> float:
    """Median wall seconds of the real CLI in a new process."""
    return statistics.median(cli_walls(args, repeat))


def cli_walls(args: list[str], repeat: int) -> list[float]:
    """Wall seconds of each of `repeat` runs of the real CLI, each in a new process."""
    exe = shutil.which("hardenify") or sys.executable
    cmd = [exe, *args] if exe.endswith("hardenify") else [exe, "-m", "hardenify.cli", *args]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False)
        times.append(time.perf_counter() - t0)
    return times


def hadolint_time(files: list[Path]) -> float | None:
    exe = shutil.which("hadolint")
    if not exe:
        return None
    t0 = time.perf_counter()
    # one process over all files, like our in-process figure
    subprocess.run([exe, "--no-fail", "-f", "json", *map(str, files)], capture_output=True, check=False)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--jobs", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=5, help="passes per mode; the best is reported")
    ns = ap.parse_args()
    if not (ns.corpus / "dockerfiles").is_dir():
        sys.exit(f"corpus not found at {ns.corpus}")
    files = corpus_files(ns.corpus)
    n = len(files)
    results: dict[str, object] = {"files": n, "load_average": os.getloadavg()[0]}
    for mode in ("check", "fix", "fix-unsafe"):
        passes, count = in_process(files, mode, ns.repeat)
        best, median = min(passes), statistics.median(passes)
        results[mode] = {
            "ms_per_file": round(best / n * 1000, 3),
            "median_ms_per_file": round(median / n * 1000, 3),
            "files_per_s": round(n / best, 1),
            "count": count,
        }
        print(
            f"{mode:>10}: {best / n * 1000:6.3f} ms/file best of {ns.repeat} "
            f"(median {median / n * 1000:.3f})  {n / best:8.1f} files/s  ({count} findings/fixes)"
        )
    had = hadolint_time(files)
    if had is not None:
        results["hadolint"] = {"ms_per_file": round(had / n * 1000, 3), "files_per_s": round(n / had, 1)}
        print(f"  hadolint: {had / n * 1000:6.3f} ms/file  {n / had:8.1f} files/s")
    single = files[0]
    walls = cli_walls(["check", "--exit-zero", str(single)], repeat=21)
    results["single_file_check_wall_ms"] = round(statistics.median(walls) * 1000, 1)
    results["single_file_check_wall_best_ms"] = round(min(walls) * 1000, 1)
    print(
        f"single-file `hardenify check` wall: {statistics.median(walls) * 1000:.1f} ms median of 21 "
        f"(best {min(walls) * 1000:.1f} ms)"
    )
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / "hardenify-bench-corpus"
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(ns.corpus / "dockerfiles", tmp)
    # Name every file: corpus files are called `NNNN__repo__path__Dockerfile`, which directory
    # discovery (like hadolint's) does not take for Dockerfiles.
    copies = [str(tmp / p.name) for p in files]
    base = None
    for j in ns.jobs:
        t = cli_wall(["fix", "--diff", "-q", "--jobs", str(j), *copies], repeat=3)
        base = base or t
        results[f"fix_diff_jobs_{j}_s"] = round(t, 3)
        print(
            f"`fix --diff --jobs {j}` over {n} files: {t:.2f} s  ({n / t:.0f} files/s, speed-up {base / t:.2f}x)"
        )
    shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
