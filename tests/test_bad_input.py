"""Bad input gets one clear line and the run goes on (issue 12, items 4 and 6).

Non-ASCII text BuildKit's binding cannot return, unreadable files named on the command line,
UTF-16 and binary files given to `pin`, out-of-range `-j`, and a killed parent's workers.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from hardenify import engine, runner
from hardenify.cli import app

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BAD = "FROM python:3.12\nRUN pip install flask\n"


def invoke(*args: str, cwd: Path) -> Result:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(app, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def cli(*args: str, cwd: Path, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_COLOR="1", HARDENIFY_CACHE_DIR=str(cwd / ".cache"), DOCKER_CONFIG=str(cwd))
    return subprocess.run(
        [*prefix, sys.executable, "-m", "hardenify.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


# --------------------------------------------------------------------------- the BuildKit binding


@pytest.mark.parametrize(
    "line",
    [
        "HEALTHCHECK CMD\u00a0curl -f http://localhost/",  # NBSP: BuildKit splits it in two bytes
        "HEALTHCHECK CMD\u0085x",
        "HEALTHCHECK CMD curl -f http://localhost/ || echo 'état: mort'",
        "RUN echo 日本語 💥",
        'LABEL description="café\u00a0crème"',
    ],
)
def test_non_ascii_never_raises_and_is_not_a_parse_error(line: str) -> None:
    assert engine.buildkit_error(f"FROM a\n{line}\n") is None


def test_a_real_parse_error_with_non_ascii_is_still_reported() -> None:
    assert engine.buildkit_error("FROM a\nENV é\n") == "ENV must have two arguments"


def test_undecodable_bytes_and_nul_do_not_crash_the_process() -> None:
    # A lone surrogate made the binding dereference NULL and kill the interpreter, so this
    # runs in a child process: a crash is a failed assertion, not a dead test run.
    code = (
        "from hardenify import engine\n"
        "assert engine.buildkit_error('FROM a\\nRUN echo \\udcff\\udce9\\n') is None\n"
        "assert engine.buildkit_error('FROM a\\nRUN x\\x00y\\nENV z\\n') == 'ENV must have two arguments'\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert (r.returncode, r.stdout) == (0, "ok\n"), r.stderr[-2000:]


def test_fix_of_a_file_with_a_non_ascii_healthcheck_and_latin1_bytes(tmp_path: Path) -> None:
    df = tmp_path / "Dockerfile"
    df.write_bytes(
        b"FROM python:3.12\n# caf\xe9\nHEALTHCHECK CMD\xc2\xa0curl -f http://localhost/\nRUN pip install flask\n"
    )
    r = invoke("fix", "--select", "HF406", "Dockerfile", cwd=tmp_path)
    assert r.exit_code == 0, r.output
    assert "internal error" not in r.output
    assert df.read_bytes() == (
        b"FROM python:3.12\n# caf\xe9\nHEALTHCHECK CMD\xc2\xa0curl -f http://localhost/\n"
        b"RUN pip install --no-cache-dir flask\n"
    )


# -------------------------------------------------------------------- unreadable command-line file


def _unreadable_prefix() -> tuple[str, ...]:
    """Run the CLI so that a mode-000 file is unreadable: as root, without the DAC capabilities."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root reads any file, and setpriv (to drop that capability) is not installed")
    caps = "-dac_override,-dac_read_search"
    return (setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}", "--")


@pytest.mark.parametrize("command", ["check", "fix", "pin"])
def test_an_unreadable_file_is_reported_and_the_others_go_on(command: str, tmp_path: Path) -> None:
    prefix = _unreadable_prefix()
    (tmp_path / "a.Dockerfile").write_text(BAD)
    (tmp_path / "b.Dockerfile").write_text(BAD)
    (tmp_path / "b.Dockerfile").chmod(0)
    (tmp_path / "c.Dockerfile").write_text(BAD)
    args = {
        "check": ["check", "--select", "HF406", "--output-format", "json"],
        "fix": ["fix", "--select", "HF406"],
        "pin": ["pin", "--offline"],
    }[command]
    r = cli(*args, "a.Dockerfile", "b.Dockerfile", "c.Dockerfile", cwd=tmp_path, prefix=prefix)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "Usage:" not in r.stderr
    errors = [ln for ln in r.stderr.splitlines() if "b.Dockerfile" in ln]
    assert errors and all(ln.startswith("hardenify: error: b.Dockerfile:") for ln in errors), r.stderr
    assert "ermission denied" in errors[0]
    if command == "check":
        assert {f["filename"] for f in json.loads(r.stdout)} >= {"a.Dockerfile", "c.Dockerfile"}
    elif command == "fix":
        for name in ("a.Dockerfile", "c.Dockerfile"):
            assert "--no-cache-dir" in (tmp_path / name).read_text()
    else:
        assert "2 could not be resolved (3 files scanned" in r.stderr  # a and c, offline


# ---------------------------------------------------------------------------------- pin's input


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("FROM python:3.12\n".encode("utf-16"), "UTF-16 encoded"),
        (b"FROM python:3.12\n\x00\x01\x02", "binary file"),
    ],
)
def test_pin_applies_checks_input_checks(data: bytes, reason: str, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_bytes(data)
    r = invoke("pin", "--offline", "Dockerfile", cwd=tmp_path)
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.stderr.splitlines() if "Dockerfile" in ln]
    assert len(lines) == 1 and lines[0].startswith(f"hardenify: error: Dockerfile: {reason}"), r.stderr
    assert (tmp_path / "Dockerfile").read_bytes() == data


# ------------------------------------------------------------------------------------------ -j


def test_jobs_are_capped() -> None:
    cpus = os.cpu_count() or 1
    assert runner.jobs_for(1) == 1
    assert runner.jobs_for(None) == min(cpus, runner.MAX_JOBS)
    assert runner.jobs_for(10**9) == min(4 * cpus, runner.MAX_JOBS)
    with pytest.raises(ValueError):
        runner.jobs_for(0)


@pytest.mark.parametrize("value", ["0", "-3"])
@pytest.mark.parametrize("command", ["check", "fix"])
def test_jobs_below_one_is_a_usage_error(command: str, value: str, tmp_path: Path) -> None:
    r = invoke(command, "-j", value, ".", cwd=tmp_path)
    assert r.exit_code == 2
    assert "--jobs" in r.stderr and "x>=1" in r.stderr


def test_a_huge_jobs_value_runs_with_a_sane_pool(tmp_path: Path) -> None:
    for i in range(20):
        (tmp_path / f"{i}.Dockerfile").write_text(BAD)
    r = cli("check", "--select", "HF406", "-j", "100000", "--output-format", "concise", ".", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert r.stdout.count("HF406") == 20


# ----------------------------------------------------------------------------- killed parent


def _children(pid: int) -> list[int]:
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return []
    out: list[int] = []
    for t in tasks:
        try:
            out += [int(c) for c in Path(f"/proc/{pid}/task/{t}/children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            pass
    return out


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        for c in _children(todo.pop()):
            out.append(c)
            todo.append(c)
    return out


def _gone(pid: int, timeout: float) -> bool:
    """Wait (bounded, on a pidfd: no polling) until `pid` has exited."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        return bool(ready)
    finally:
        os.close(fd)


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or not hasattr(os, "pidfd_open"), reason="uses /proc and pidfds"
)
def test_killing_the_parent_ends_its_workers(tmp_path: Path) -> None:
    if CORPUS.is_dir():
        target = CORPUS
    else:  # enough files for the pool, each one slow enough that the run is still going
        target = tmp_path / "tree"
        target.mkdir()
        body = BAD + "".join(f"RUN pip install pkg{i} && echo {i}\n" for i in range(300))
        for i in range(400):
            (target / f"{i}.Dockerfile").write_text(body)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hardenify.cli",
            "check",
            "-j",
            "2",
            "--output-format",
            "concise",
            str(target),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and proc.poll() is None and time.monotonic() < deadline:
            workers = _descendants(proc.pid)
            _gone(proc.pid, 0.05)  # a bounded wait that returns early if the run ends
        if proc.poll() is not None:
            pytest.skip("the run ended before its workers could be observed")
        assert len(workers) >= 2, "the pool never started"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        survivors = [w for w in workers if not _gone(w, 30)]
        assert survivors == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        for w in workers:  # whatever the outcome, leave nothing running
            try:
                os.kill(w, signal.SIGKILL)
            except ProcessLookupError:
                pass
