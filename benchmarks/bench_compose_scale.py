"""How `hardenify check` scales with the number of services in one compose file.

Issue 12: 25,000 services ran past 400 s because lookups in the `services:` mapping, the
`extends` target search and the batching of fixes for verification compared every service
with every other. This generates files of growing size and times the real CLI in a fresh
process; the per-service time should stay flat (linear), not grow with the file.

    python benchmarks/bench_compose_scale.py [--sizes 1000,2000,4000] [--runs 1]

Measured on the shared 2-core CI machine under load (user CPU seconds, one run each):
before 1,000: 8.1 s, 2,000: 23.0 s, 4,000: 69.8 s (quadratic);
after 1,000: 6.0 s, 2,000: 12.0 s, 4,000: 24.8 s (linear; what is left is ruamel composing
the file once plus once per verification batch).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def compose(n: int) -> str:
    out = ["services:"]
    for i in range(n):
        out.append(
            f'  svc{i}:\n    image: nginx:1.25\n    ports:\n      - "{8000 + i % 1000}:80"\n'
            "    environment:\n      FOO: bar"
        )
    return "\n".join(out) + "\n"


def one_run(path: Path) -> tuple[float, float]:
    """(wall seconds, user CPU seconds) of `hardenify check FILE` in a new process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "hardenify", "check", "--select", "HF6", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    wall = time.perf_counter() - start
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,2000,4000")
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            path = Path(tmp) / f"s{n}" / "compose.yaml"
            path.parent.mkdir()
            path.write_text(compose(n))
            best = min((one_run(path) for _ in range(args.runs)), key=lambda r: r[1])
            print(
                f"{n:>7} services: {best[0]:7.2f} s wall {best[1]:7.2f} s user {1000 * best[1] / n:6.2f} ms/service"
            )


if __name__ == "__main__":
    main()
