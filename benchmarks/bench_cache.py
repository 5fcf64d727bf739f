"""Cold vs warm `hardenify check` over the corpus (the result cache, issue 18), next to hadolint.

Run by hand: `python benchmarks/bench_cache.py [--corpus ../shared/corpus] [--repeat 3]`.
Every figure comes from this one run on this machine, so the ratios are what to compare:
- cold: a new, empty cache directory each time (the run analyses every file and fills the cache);
- warm: the same command again with nothing changed (every result comes from the cache);
- no-cache: `--no-cache`, for the cost of keeping the cache;
- hadolint: one hadolint process over the same Dockerfiles (it reads no compose files).
Target: warm under 10% of cold. Each run is timed twice: wall clock, and CPU (user + system of
the process and its workers), which a loaded shared machine disturbs far less than wall time. The real CLI runs in a new process each time, with byte code
written to a private prefix (this environment sets PYTHONDONTWRITEBYTECODE, which would make
every run compile hardenify afresh, something no installed copy does).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def corpus_files(corpus: Path) -> list[Path]:
    """Every Dockerfile and compose file of the corpus, named explicitly: corpus files are called
    `NNNN__repo__path__Dockerfile`, which directory discovery does not take for Dockerfiles."""
    out: list[Path] = []
    for sub in ("dockerfiles", "compose"):
        d = corpus / sub
        if d.is_dir():
            out += sorted(p for p in d.iterdir() if p.is_file())
    return out


def bench_env(pyc: str, cache: str | None = None, code: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pyc
    if code is not None:
        env["PYTHONPATH"] = code
    if cache is not None:
        env["HARDENIFY_CACHE_DIR"] = cache
    return env


def hardenify_cmd() -> list[str]:
    return [sys.executable, "-m", "hardenify"]


_outputs: dict[str, bytes] = {}
_cpu: dict[str, list[float]] = {}


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def wall(cmd: list[str], env: dict[str, str], cwd: str, label: str = "") -> float:
    """Wall seconds of one run in a new process (its CPU seconds go to `_cpu[label]`); the first
    output of each label is kept."""
    c0 = _children_cpu()
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, check=False, timeout=1800)
    elapsed = time.perf_counter() - t0
    _cpu.setdefault(label, []).append(_children_cpu() - c0)
    if r.returncode not in (0, 1):
        sys.exit(
            f"{' '.join(cmd[:4])} ... failed ({r.returncode}): {r.stderr.decode(errors='replace')[-2000:]}"
        )
    _outputs.setdefault(label, r.stdout)
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--repeat", type=int, default=3, help="runs per mode; best and median are printed")
    ap.add_argument("--output-format", default="text", help="the check's --output-format (default: text)")
    ap.add_argument("--jobs", type=int, default=None, help="the check's --jobs (default: its own)")
    ns = ap.parse_args()
    files = corpus_files(ns.corpus)
    if not files:
        sys.exit(f"corpus not found at {ns.corpus}")
    work = Path(tempfile.mkdtemp(prefix="hardenify-bench-cache-"))
    try:
        # A copy, so the run's cache entries name files no other run touches.
        tree = work / "tree"
        tree.mkdir()
        names = []
        for p in files:
            dest = tree / p.parent.name / p.name
            dest.parent.mkdir(exist_ok=True)
            shutil.copyfile(p, dest)
            names.append(str(dest.relative_to(tree)))
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _snapshot import snapshot

        code = str(snapshot(work / "code"))
        pyc = str(work / "pyc")
        args = ["check", "--exit-zero", "--output-format", ns.output_format]
        if ns.jobs:
            args += ["--jobs", str(ns.jobs)]
        cmd = [*hardenify_cmd(), *args, *names]
        cwd = str(tree)
        where = subprocess.run(
            [sys.executable, "-c", "import hardenify; print(hardenify.__file__)"],
            env=bench_env(pyc, None, code),
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert where.startswith(code), f"the benchmark would not run the snapshot but {where}"
        # Warm-up, not measured: byte code compiled, files in the page cache.
        wall([*cmd, "--no-cache"], bench_env(pyc, None, code), cwd, "no-cache")

        cold, warm, nocache = [], [], []
        for i in range(ns.repeat):
            cache = str(work / f"cache-{i}")
            cold.append(wall(cmd, bench_env(pyc, cache, code), cwd, "cold"))
            warm.append(wall(cmd, bench_env(pyc, cache, code), cwd, "warm"))
            nocache.append(
                wall([*cmd, "--no-cache"], bench_env(pyc, str(work / "unused"), code), cwd, "no-cache")
            )
        for _ in range(max(0, 2 * ns.repeat - len(warm))):
            warm.append(wall(cmd, bench_env(pyc, str(work / "cache-0"), code), cwd, "warm"))

        _cpu["no-cache"] = _cpu["no-cache"][1:]  # the warm-up
        had: list[float] = []
        hadolint = shutil.which("hadolint")
        dockerfiles = [n for n in names if n.startswith("dockerfiles/")]
        if hadolint:
            for _ in range(ns.repeat):
                c0 = _children_cpu()
                t0 = time.perf_counter()
                subprocess.run(
                    [hadolint, "--no-fail", "-f", "json", *dockerfiles],
                    cwd=cwd,
                    capture_output=True,
                    check=False,
                    timeout=1800,
                )
                had.append(time.perf_counter() - t0)
                _cpu.setdefault("hadolint", []).append(_children_cpu() - c0)

        def fmt(xs: list[float], label: str) -> str:
            cpu = _cpu[label]
            return (
                f"wall best {min(xs):7.3f} s  median {statistics.median(xs):7.3f} s   "
                f"CPU best {min(cpu):7.3f} s  median {statistics.median(cpu):7.3f} s"
            )

        print(f"{len(files)} files ({len(dockerfiles)} Dockerfiles), load average {os.getloadavg()[0]:.2f}")
        print(f"cold      ({len(cold)} runs): {fmt(cold, 'cold')}")
        print(f"warm      ({len(warm)} runs): {fmt(warm, 'warm')}")
        print(f"--no-cache({len(nocache)} runs): {fmt(nocache, 'no-cache')}")
        if had:
            print(f"hadolint  ({len(had)} runs): {fmt(had, 'hadolint')}  (Dockerfiles only)")
        same = _outputs["cold"] == _outputs["warm"] == _outputs["no-cache"]
        print(f"warm output identical to cold and --no-cache output: {same}")
        ratio = min(warm) / min(cold)
        cpu_ratio = min(_cpu["warm"]) / min(_cpu["cold"])
        print(
            f"warm/cold wall: {ratio:.1%} (best), {statistics.median(warm) / statistics.median(cold):.1%} (median);"
            f" CPU: {cpu_ratio:.1%} (best), "
            f"{statistics.median(_cpu['warm']) / statistics.median(_cpu['cold']):.1%} (median); target < 10%"
        )
        if had:
            print(
                f"wall, best: warm/hadolint {min(warm) / min(had):.3f}x  cold/hadolint {min(cold) / min(had):.3f}x;"
                f" CPU, best: warm/hadolint {min(_cpu['warm']) / min(_cpu['hadolint']):.3f}x"
                f"  cold/hadolint {min(_cpu['cold']) / min(_cpu['hadolint']):.3f}x"
            )
        result = {
            "files": len(files),
            "cold_s": [round(x, 3) for x in cold],
            "warm_s": [round(x, 3) for x in warm],
            "no_cache_s": [round(x, 3) for x in nocache],
            "hadolint_s": [round(x, 3) for x in had],
            "cpu_s": {k: [round(x, 3) for x in v] for k, v in _cpu.items()},
            "warm_over_cold": round(ratio, 4),
            "warm_over_cold_cpu": round(cpu_ratio, 4),
            "outputs_identical": same,
        }
        print(json.dumps(result))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
