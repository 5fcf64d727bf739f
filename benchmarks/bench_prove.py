"""Benchmark what `hardenify fix --prove` adds per Dockerfile on the offline registry's stand-ins (issue 20).

    python benchmarks/bench_prove.py [--repeat 2] [NAME ...]

For each sample or build-proof project (default: a python, a node, a go and a distroless split,
plus a secret), in a fresh copy: time `hardenify fix --unsafe-fixes .` and
`hardenify fix --unsafe-fixes --prove .`; the difference is what proving costs. The proof's own
phases are timed in-process on the same copy: the two builds, inspecting and listing both file
trees (`docker export`), and the hardened runs until each container reaches its state.
BuildKit's cache is shared, so the first repeat's builds are the cold ones; medians are reported.
Needs `docker info` to answer (run `../shared/offline-registry/setup.sh`).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = [
    "samples/legacy-python",
    "samples/legacy-node",
    "samples/legacy-go",
    "tests/e2e/projects/distroless-split",
    "tests/e2e/projects/runtime-secret",
]


def hardenify(*args: str, cwd: Path) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "hardenify.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=1800
    )
    return time.perf_counter() - t0, proc.stdout + proc.stderr


def phases(src: Path) -> dict[str, float]:
    """The proof's phases, timed separately (one copy, fixed in memory)."""
    from hardenify.diagnostics import Redactor
    from hardenify.prove.docker import find_engine
    from hardenify.prove.model import ImageFacts
    from hardenify.prove.run import HARDENED, RUN_COMMON, ProveOptions, hardened_tmpfs, observe
    from hardenify.runner import Task, process
    from hardenify.settings import Settings

    d = find_engine()
    assert not isinstance(d, str), d
    settings = Settings(unsafe_fixes=True)
    o = process(Task(str(src / "Dockerfile"), "Dockerfile", "dockerfile", settings, mode="fix"))
    if not o.changed or o.fixed_text is None or o.original is None:
        return {}
    out: dict[str, float] = {}
    tags = []
    try:
        for which, text in (("build original", o.original), ("build fixed", o.fixed_text)):
            tag = f"hardenify-prove-bench:{which.split()[1]}-{time.monotonic_ns()}"
            t0 = time.perf_counter()
            image, _log = d.build(src, text, tag, build_args={}, secrets=[], timeout=900)
            out[which] = time.perf_counter() - t0
            if image is None:
                out[which + " (failed)"] = 0.0
                return out
            tags.append(tag)
        t0 = time.perf_counter()
        facts = [ImageFacts.from_inspect(d.inspect(t) or {}, d.files(t)) for t in tags]
        out["inspect + file trees"] = time.perf_counter() - t0
        opts = ProveOptions()
        t0 = time.perf_counter()
        for tag, f in zip(tags, facts, strict=True):
            options = [
                *HARDENED,
                *RUN_COMMON,
                *(a for p in hardened_tmpfs(o.fixed_text) for a in ("--tmpfs", p)),
            ]
            cid, _ = d.start(tag, f"hardenify-prove-bench-{time.monotonic_ns()}", options)
            if cid:
                observe(d, cid, f, opts, Redactor())
                d.remove_container(cid)
        out["hardened runs (one after the other; --prove overlaps them)"] = time.perf_counter() - t0
    finally:
        for t in tags:
            d.remove_image(t)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    print(f"{'Dockerfile':40} {'fix':>7} {'fix --prove':>12} {'added':>8}  verdict")
    added_all = []
    for name in args.names:
        plain, proved, verdict = [], [], ""
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                a = Path(tmp) / "a"
                b = Path(tmp) / "b"
                shutil.copytree(REPO / name, a)
                shutil.copytree(REPO / name, b)
                t, _ = hardenify("fix", "--unsafe-fixes", ".", cwd=a)
                plain.append(t)
                t, out = hardenify("fix", "--unsafe-fixes", "--prove", ".", cwd=b)
                proved.append(t)
                lines = [
                    ln
                    for ln in out.splitlines()
                    if ln.startswith(("Dockerfile: proven", "Dockerfile: unproven", "Dockerfile: reverted"))
                ]
                verdict = (
                    lines[0].split(";")[0].removeprefix("Dockerfile: ") if lines else "(nothing to prove)"
                )
        added = statistics.median(proved) - statistics.median(plain)
        added_all.append(added)
        print(
            f"{name:40} {statistics.median(plain):6.2f}s {statistics.median(proved):11.2f}s {added:7.2f}s  {verdict}"
        )
        with tempfile.TemporaryDirectory() as tmp:
            c = Path(tmp) / "c"
            shutil.copytree(REPO / name, c)
            ph = phases(c)
        if ph:
            print("    " + ", ".join(f"{k} {v:.2f}s" for k, v in ph.items()))
    if added_all:
        print(
            f"median time --prove adds per Dockerfile: {statistics.median(added_all):.1f}s "
            f"(min {min(added_all):.1f}s, max {max(added_all):.1f}s; BuildKit cache warm after the first repeat)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
