"""How long `hardenify new --defaults` takes without a network (the target: under 1 s).

Measures the real CLI in a fresh process (imports included, as a user sees it), on a copy of
each modern sample and on an empty directory, with `--no-pin` (no registry), then the
in-process split: detection, answers, rendering (two renders), the lint of the output.
With `--pin`, it also measures a pinned run against a warm digest cache (the registry must
have answered once; a second run makes no request).

    python benchmarks/bench_new.py [--runs 5] [--pin]
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
SAMPLES = ("python-app", "node-app", "go-app", "rust-app", "static-app", "ruby-app", "php-app")
CLI = [sys.executable, "-c", "from hardenify.cli import main; main()", "new", "--defaults"]


def cli_run(project: Path, *extra: str, env: dict[str, str] | None = None) -> float:
    """Seconds for one `hardenify new --defaults` in a new process (generated files removed first)."""
    for name in ("Dockerfile", ".dockerignore", "compose.yaml", "README.Docker.md", ".hardenify-answers.yml"):
        (project / name).unlink(missing_ok=True)
    shutil.rmtree(project / ".hardenify", ignore_errors=True)
    started = time.perf_counter()
    proc = subprocess.run(
        [*CLI, *extra, str(project)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env,
        check=False,
    )
    took = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"hardenify new failed on {project}:\n{proc.stdout}{proc.stderr}")
    return took


def split(project: Path) -> dict[str, float]:
    """In-process phases (the first call pays for imports; measured warm, as a loop would)."""
    from hardenify.scaffold import templateset
    from hardenify.scaffold.detect import detect
    from hardenify.scaffold.questions import Resolver
    from hardenify.scaffold.render import lint_outputs, render

    out: dict[str, float] = {}
    t0 = time.perf_counter()
    tset = templateset.load()
    t1 = time.perf_counter()
    det = detect(project)
    t2 = time.perf_counter()
    answers = Resolver(tset, det, explicit={"pin": False}, use_defaults=True).resolve()
    t3 = time.perf_counter()
    rendered = render(tset, answers, det.for_stack(answers.stack))
    render(tset, answers, det.for_stack(answers.stack))
    t4 = time.perf_counter()
    problems = lint_outputs(rendered.files)
    t5 = time.perf_counter()
    assert not problems, problems
    out.update(templates=t1 - t0, detect=t2 - t1, answers=t3 - t2, render_x2=t4 - t3, lint=t5 - t4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pin", action="store_true", help="also time a pinned run against a warm cache")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-new-") as tmp:
        root = Path(tmp)
        projects = {}
        for name in SAMPLES:
            shutil.copytree(REPO / "samples" / name, root / name)
            projects[name] = root / name
        empty = root / "empty"
        empty.mkdir()
        projects["empty (--stack python)"] = empty

        print(f"hardenify new --defaults --no-pin, {args.runs} runs each (new process per run)")
        print(f"{'project':<24} {'median':>8} {'min':>8} {'max':>8}")
        worst = 0.0
        for label, project in projects.items():
            extra = ["--no-pin"] + (["--stack", "python"] if project == empty else [])
            times = [cli_run(project, *extra) for _ in range(args.runs)]
            worst = max(worst, statistics.median(times))
            print(f"{label:<24} {statistics.median(times):>7.3f}s {min(times):>7.3f}s {max(times):>7.3f}s")
        print(f"slowest median: {worst:.3f}s ({'under' if worst < 1 else 'OVER'} the 1 s target)")
        # Reference on the same machine and load: `hardenify check` of the generated Dockerfile
        # (python startup + the rule engine, which `new` also runs on its output).
        check = [
            sys.executable,
            "-c",
            "from hardenify.cli import main; main()",
            "check",
            str(projects["python-app"] / "Dockerfile"),
        ]
        cli_run(projects["python-app"], "--no-pin")
        ref = []
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run(check, capture_output=True, check=False)
            ref.append(time.perf_counter() - started)
        print(
            f"reference: hardenify check of one Dockerfile, median {statistics.median(ref):.3f}s "
            f"(load average {__import__('os').getloadavg()[0]:.1f})"
        )

        print("\nin-process split (warm), python-app:")
        split(projects["python-app"])  # imports
        phases = [split(projects["python-app"]) for _ in range(args.runs)]
        for key in phases[0]:
            print(f"  {key:<10} {statistics.median(p[key] for p in phases) * 1000:7.1f} ms")

        if args.pin:
            env = dict(__import__("os").environ, HARDENIFY_CACHE_DIR=str(root / "cache"))
            cold = cli_run(projects["python-app"], env=env)
            warm = [cli_run(projects["python-app"], env=env) for _ in range(args.runs)]
            print(
                f"\npinned, python-app: first run {cold:.3f}s (registry), then median {statistics.median(warm):.3f}s (cache)"
            )


if __name__ == "__main__":
    main()
