"""Many files in one run: one status per file, no file stops the run, output independent of --jobs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hardenify.runner import Task, run_all
from hardenify.settings import Settings
from tests.bulk.conftest import HARDENIFY, SAMPLES, run_cli, snapshot

LEGACY = sorted(
    p.name for p in SAMPLES.iterdir() if p.name.startswith("legacy-") and (p / "Dockerfile").is_file()
)


def sample_tree(root: Path, copies: int) -> list[Path]:
    """`copies` directories per legacy sample, each with its Dockerfile (and compose file)."""
    out = []
    for i in range(copies):
        for name in LEGACY:
            dest = root / f"{i:02d}-{name}"
            shutil.copytree(SAMPLES / name, dest)
            out.append(dest / "Dockerfile")
    return out


def task(path: Path, mode: str = "fix") -> Task:
    return Task(str(path), f"{path.parent.name}/{path.name}", "dockerfile", Settings(), mode=mode)


def test_each_file_ends_as_exactly_one_status_and_a_bad_file_never_stops_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hardenify import engine

    good = sample_tree(tmp_path / "good", 1)
    missing = tmp_path / "missing" / "Dockerfile"
    binary = tmp_path / "binary" / "Dockerfile"
    binary.parent.mkdir()
    binary.write_bytes(b"FROM scratch\n\x00")
    crash = tmp_path / "crash" / "Dockerfile"
    crash.parent.mkdir()
    crash.write_text("FROM python:3.12\nCMD python app.py\n")
    refuse = tmp_path / "refuse" / "Dockerfile"
    refuse.parent.mkdir()
    refuse.write_text("FROM python:3.12\nMAINTAINER someone\nCMD python app.py\n")

    real_fix = engine.fix_text
    real_verify = engine._verify

    def fix_text(filename: str, text: str, *args: object, **kwargs: object) -> engine.FixResult:
        if filename == "crash/Dockerfile":
            raise ValueError("a rule bug")
        return real_fix(filename, text, *args, **kwargs)  # type: ignore[arg-type]

    def verify(before: str, after: str, kind: str) -> str | None:
        return "refused on purpose" if "MAINTAINER someone" in before else real_verify(before, after, kind)

    monkeypatch.setattr(engine, "fix_text", fix_text)
    monkeypatch.setattr(engine, "_verify", verify)

    paths = [missing, *good[:3], binary, crash, refuse, *good[3:]]
    outcomes = run_all([task(p) for p in paths], jobs=1)
    assert [o.filename for o in outcomes] == [task(p).display for p in paths]  # input order
    by = dict(zip(paths, outcomes, strict=True))
    assert all(o.status in ("success", "failure", "skip") for o in outcomes)
    assert by[missing].status == "failure" and by[missing].error == "no such file"
    assert by[binary].status == "failure" and "binary file" in (by[binary].error or "")
    assert by[crash].status == "failure" and "internal error" in (by[crash].error or "")
    assert "a rule bug" in (by[crash].error or "")
    assert by[refuse].status == "skip" and by[refuse].refused == "refused on purpose"
    assert by[refuse].fixed_text == by[refuse].original and not by[refuse].fixed
    for p in good:
        assert by[p].status == "success" and by[p].error is None and by[p].original is not None
    assert any(by[p].changed for p in good)  # the files after the failures were really fixed


def test_the_pool_keeps_input_order_and_failures_in_place(tmp_path: Path) -> None:
    files = sample_tree(tmp_path, 4)
    assert len(files) >= 16  # the pool only starts from 16 files
    bad = tmp_path / "utf16" / "Dockerfile"
    bad.parent.mkdir()
    bad.write_bytes("FROM scratch\n".encode("utf-16"))
    paths = [*files[:9], bad, tmp_path / "gone" / "Dockerfile", *files[9:]]
    tasks = [task(p) for p in paths]
    one = run_all(tasks, jobs=1)
    two = run_all(tasks, jobs=2)

    def key(o: object) -> tuple[object, ...]:
        from hardenify.outcome import FileOutcome

        assert isinstance(o, FileOutcome)
        return (
            o.filename,
            o.status,
            o.error,
            o.fixed_text,
            dict(o.fixed),
            [(d.code, d.start, d.message) for d in o.diagnostics],
        )

    assert [key(o) for o in two] == [key(o) for o in one]
    assert [o.status for o in two].count("failure") == 2
    assert two[9].status == "failure" and "UTF-16" in (two[9].error or "")
    assert two[10].error == "no such file"


def test_fix_output_is_byte_identical_for_jobs_1_and_2(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    sample_tree(a, 3)
    shutil.copytree(a, b)
    (a / "zz-binary").mkdir()
    (a / "zz-binary" / "Dockerfile").write_bytes(b"FROM scratch\n\x00")
    shutil.copytree(a / "zz-binary", b / "zz-binary")

    outputs = {}
    for jobs in ("1", "2"):
        diff = run_cli("fix", "--diff", "--jobs", jobs, ".", cwd=a)
        check = run_cli("check", "--output-format", "json", "--jobs", jobs, ".", cwd=a)
        outputs[jobs] = (
            diff.returncode,
            diff.stdout,
            diff.stderr,
            check.returncode,
            check.stdout,
            check.stderr,
        )
    assert outputs["1"] == outputs["2"]
    code, diff_out, diff_err = outputs["1"][:3]
    assert code == 2  # the binary file is an error...
    assert diff_out.count("--- a/") >= 10  # ...and every other file was still diffed
    assert "zz-binary/Dockerfile: binary file" in diff_err

    before = snapshot(a)
    one = run_cli("fix", "--unsafe-fixes", "--jobs", "1", ".", cwd=a)
    two = run_cli("fix", "--unsafe-fixes", "--jobs", "2", ".", cwd=b)
    assert (one.returncode, one.stdout, one.stderr) == (two.returncode, two.stdout, two.stderr)
    assert snapshot(a) == snapshot(b) != before


def test_corpus_subset_is_byte_identical_for_jobs_1_and_2(corpus_dir: Path, tmp_path: Path) -> None:
    files = sorted(p for p in (corpus_dir / "dockerfiles").iterdir() if p.is_file())[:120]
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        root.mkdir()
        for p in files:
            shutil.copy2(p, root / p.name)
    names = [p.name for p in files]
    one = run_cli("fix", "--diff", "--jobs", "1", *names, cwd=a)
    two = run_cli("fix", "--diff", "--jobs", "2", *names, cwd=a)
    assert one.returncode in (0, 1) and one.stdout  # diffs, no error
    assert (one.returncode, one.stdout, one.stderr) == (two.returncode, two.stdout, two.stderr)

    one = run_cli("fix", "--unsafe-fixes", "--jobs", "1", *names, cwd=a)
    two = run_cli("fix", "--unsafe-fixes", "--jobs", "2", *names, cwd=b)
    assert (one.returncode, one.stdout, one.stderr) == (two.returncode, two.stdout, two.stderr)
    assert snapshot(a) == snapshot(b)


def test_the_pool_does_not_fork_a_process_running_buildkit_s_go_runtime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BuildKit's parser is a Go shared library: a fork of a process running its runtime can hang
    (seen over the corpus: a worker spinning forever). Once it is loaded, workers come from a
    fork server instead."""
    import multiprocessing

    chosen: list[str] = []
    real = multiprocessing.get_context

    def spy(method: str | None = None) -> object:
        chosen.append(str(method))
        return real(method)

    monkeypatch.setattr(multiprocessing, "get_context", spy)
    tasks = [task(p, mode="check") for p in sample_tree(tmp_path, 3)]
    monkeypatch.delitem(sys.modules, "dockerfile", raising=False)
    fresh = run_all(tasks, jobs=2)
    monkeypatch.setitem(sys.modules, "dockerfile", object())
    after_go = run_all(tasks, jobs=2)
    assert chosen == ["fork", "forkserver"]
    assert [o.diagnostics for o in after_go] == [o.diagnostics for o in fresh]


def test_the_pool_finishes_after_heavy_go_work_in_the_parent(tmp_path: Path) -> None:
    pytest.importorskip("dockerfile", reason="BuildKit's parser (PyPI `dockerfile`) is not installed")
    sample_tree(tmp_path, 3)
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from hardenify import engine
        from hardenify.runner import Task, run_all
        from hardenify.settings import Settings

        if __name__ == "__main__":
            text = "FROM python:3.12\\n" + "".join(f"RUN echo {{i}} && apt-get install -y p{{i}}\\n" for i in range(300))
            for i in range(300):  # the Go runtime's threads and heap are busy in this process
                assert engine.buildkit_error(text + f"# {{i}}\\n") is None
            files = sorted(Path({str(tmp_path)!r}).glob("*/Dockerfile"))
            tasks = [Task(str(p), p.parent.name, "dockerfile", Settings(), mode="fix") for p in files]
            for _ in range(3):
                out = run_all(tasks, jobs=2)
            print(len(out), sum(o.changed for o in out), sorted({{o.status for o in out}}))
        """
    )
    (tmp_path / "go_then_pool.py").write_text(script)
    proc = subprocess.run(
        [sys.executable, str(tmp_path / "go_then_pool.py")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    n, changed, statuses = proc.stdout.split(maxsplit=2)
    assert int(n) == 3 * len(LEGACY) and int(changed) > 0 and statuses.strip() == "['success']"


def test_progress_bar_only_on_a_terminal_with_many_files(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    sample_tree(tmp_path / "many", 8)  # 64 files: 56 Dockerfiles and 8 compose files
    sample_tree(tmp_path / "few", 1)
    env = dict(os.environ, NO_COLOR="1")

    def on_pty(path: Path) -> str:
        child = pexpect.spawn(
            HARDENIFY[0],
            [*HARDENIFY[1:], "check", "--exit-zero", "-q", str(path)],
            env=env,
            timeout=240,
            encoding="utf-8",
        )
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
        return str(child.before)

    shown = on_pty(tmp_path / "many")
    assert "\r" in shown and re.search(r"checking .* 1/64 ETA", shown)
    assert re.search(r"64/64 ETA", shown)  # the bar reaches the end, then is cleared
    assert "ETA" not in on_pty(tmp_path / "few")

    piped = run_cli("check", "--exit-zero", "-q", str(tmp_path / "many"))
    assert piped.returncode == 0 and "ETA" not in piped.stderr and "\r" not in piped.stderr
    assert "HF101" in piped.stdout
