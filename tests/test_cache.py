"""The result cache of `hardenify check` (hardenify/cache.py): hits, misses and what invalidates them."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from hardenify import cache as cache_mod
from hardenify import config, runner
from hardenify.cache import ResultCache, run_cached
from hardenify.cli import app
from hardenify.commands._common import plan
from hardenify.diagnostics import REDACTED

DOCKERFILE = "FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y curl\nCOPY . /app\n"
ENTRY = (
    "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends gosu "
    "&& rm -rf /var/lib/apt/lists/*\nCOPY entrypoint.sh /entrypoint.sh\n"
    'ENTRYPOINT ["/entrypoint.sh"]\nCMD ["server"]\n'
)


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory with its own cache dir, and a count of the files really analysed."""
    monkeypatch.setenv("HARDENIFY_CACHE_DIR", str(tmp_path / "cache"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield work


@pytest.fixture
def analysed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The display names of the files `runner.process` analysed (cache misses), in order."""
    seen: list[str] = []
    real = runner.process

    def counting(task: runner.Task) -> runner.FileOutcome:
        seen.append(task.display)
        return real(task)

    monkeypatch.setattr(runner, "process", counting)
    return seen


def _check(paths: list[str], **overrides: object) -> list[runner.FileOutcome]:
    kwargs: dict[str, object] = {
        "mode": "check",
        "select": None,
        "ignore": None,
        "extend_select": None,
        "config_file": None,
        "unsafe_fixes": None,
        "stdin_filename": None,
        "respect_gitignore": None,
        "force_exclude": False,
    }
    kwargs.update(overrides)
    config.clear_cache()  # as a new process would: config files are read again
    p = plan(paths, **kwargs)  # type: ignore[arg-type]
    return run_cached(p.tasks, jobs=1)


def _summary(outcomes: list[runner.FileOutcome]) -> list[tuple[str, list[tuple[str, int, str]]]]:
    return [(o.filename, [(d.code, d.start, d.message) for d in o.diagnostics]) for o in outcomes]


def test_second_run_is_answered_from_the_cache_with_the_same_findings(
    tree: Path, analysed: list[str]
) -> None:
    (tree / "Dockerfile").write_text(DOCKERFILE)
    first = _check(["Dockerfile"])
    assert analysed == ["Dockerfile"]
    second = _check(["Dockerfile"])
    assert analysed == ["Dockerfile"]  # not analysed again
    assert _summary(second) == _summary(first)
    assert {d.code for d in second[0].diagnostics} >= {"HF403", "HF402", "HF304"}
    assert second[0].original == DOCKERFILE  # reporters show source lines from it


def test_changed_content_is_a_miss(tree: Path, analysed: list[str]) -> None:
    df = tree / "Dockerfile"
    df.write_text(DOCKERFILE)
    _check(["Dockerfile"])
    df.write_text(DOCKERFILE.replace("ubuntu:22.04", "ubuntu:24.04"))
    out = _check(["Dockerfile"])
    assert analysed == ["Dockerfile", "Dockerfile"]
    assert any("ubuntu:24.04" in d.message for d in out[0].diagnostics)


def test_same_bytes_written_again_is_still_a_hit(tree: Path, analysed: list[str]) -> None:
    """Keyed by content, not mtime: a checkout that rewrites a file unchanged costs nothing."""
    df = tree / "Dockerfile"
    df.write_text(DOCKERFILE)
    _check(["Dockerfile"])
    os.utime(df, ns=(1, 1))
    df.write_text(DOCKERFILE)
    _check(["Dockerfile"])
    assert analysed == ["Dockerfile"]


def test_other_settings_are_a_miss(tree: Path, analysed: list[str]) -> None:
    (tree / "Dockerfile").write_text(DOCKERFILE)
    _check(["Dockerfile"])
    only = _check(["Dockerfile"], select=("HF403",))
    assert [d.code for d in only[0].diagnostics] == ["HF403"]
    _check(["Dockerfile"], unsafe_fixes=True)
    assert analysed == ["Dockerfile"] * 3
    _check(["Dockerfile"], select=("HF403",))
    assert analysed == ["Dockerfile"] * 4  # one entry per file: the last settings replaced it


def test_config_option_change_is_a_miss(tree: Path, analysed: list[str]) -> None:
    (tree / "Dockerfile").write_text("FROM registry.example.com/app:1.0\n")
    (tree / ".hardenify.toml").write_text('select = ["HF203"]\n')
    assert _check(["Dockerfile"])[0].diagnostics == []  # without the option HF203 reports nothing
    (tree / ".hardenify.toml").write_text(
        'select = ["HF203"]\n[options]\ntrusted-registries = ["docker.io"]\n'
    )
    assert [d.code for d in _check(["Dockerfile"])[0].diagnostics] == ["HF203"]
    assert analysed == ["Dockerfile", "Dockerfile"]


def test_another_hardenify_version_or_code_is_a_miss(
    tree: Path, analysed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tree / "Dockerfile").write_text(DOCKERFILE)
    _check(["Dockerfile"])
    monkeypatch.setattr(cache_mod, "_code_key", "another version of hardenify")
    _check(["Dockerfile"])
    assert analysed == ["Dockerfile", "Dockerfile"]


def test_code_key_follows_the_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_mod, "_code_key", None)
    a = cache_mod.code_key()
    monkeypatch.setattr(cache_mod, "_code_key", None)
    monkeypatch.setattr(cache_mod, "__version__", "99.0.0")
    assert cache_mod.code_key() != a


def _hf304(outcome: runner.FileOutcome) -> str | None:
    return next((d.message for d in outcome.diagnostics if d.code == "HF304"), None)


def test_a_changed_dockerignore_invalidates_exactly_the_files_that_read_it(
    tree: Path, analysed: list[str]
) -> None:
    for d in ("a", "b", "c"):
        (tree / d).mkdir()
        (tree / d / "Dockerfile").write_text(DOCKERFILE)
    (tree / "a" / ".dockerignore").write_text(".git\n")
    (tree / "c" / ".dockerignore").write_text(".git\n.env\n")
    paths = ["a/Dockerfile", "b/Dockerfile", "c/Dockerfile"]
    first = _check(paths)
    assert analysed == paths
    assert "there is no .dockerignore" in (_hf304(first[1]) or "")  # b has none

    (tree / "a" / ".dockerignore").write_text(".git\n.env\n")  # same directory listing, new content
    again = _check(paths)
    assert analysed == [*paths, "a/Dockerfile"]
    assert _hf304(again[0]) != _hf304(first[0]) and _hf304(again[0]) == _hf304(first[2])

    (tree / "b" / ".dockerignore").write_text(".git\n.env\n")  # a file that did not exist
    out = _check(paths)
    assert analysed == [*paths, "a/Dockerfile", "b/Dockerfile"]
    assert _hf304(out[1]) == _hf304(out[2])

    (tree / "b" / "Dockerfile.dockerignore").write_text(".git\n")  # the per-Dockerfile one wins
    out = _check(paths)
    assert analysed[-1] == "b/Dockerfile" and len(analysed) == 6
    assert _hf304(out[1]) == _hf304(first[0])

    _check(paths)
    assert len(analysed) == 6  # and nothing else ever was


def test_a_changed_build_context_file_invalidates_the_dockerfile_that_read_it(
    tree: Path, analysed: list[str]
) -> None:
    """HF101 reads the ENTRYPOINT script from the build context (hardenify/dockerfile/buildcontext.py)."""
    for d in ("svc", "other"):
        (tree / d).mkdir()
        (tree / d / "Dockerfile").write_text(ENTRY)
        (tree / d / "entrypoint.sh").write_text('#!/bin/sh\nexec "$@"\n')
    paths = ["svc/Dockerfile", "other/Dockerfile"]
    p = plan(paths, mode="check", select=None, ignore=None, extend_select=None, config_file=None,
             unsafe_fixes=None, stdin_filename=None, respect_gitignore=None, force_exclude=False)  # fmt: skip
    recorded = runner.process(replace(p.tasks[0], record_reads=True)).reads or []
    assert str(tree / "svc" / "entrypoint.sh") in {path for path, _ in recorded}
    analysed.clear()

    _check(paths)
    assert analysed == paths
    (tree / "svc" / "entrypoint.sh").write_text('#!/bin/sh\nexec gosu app "$@"\n')
    _check(paths)
    assert analysed == [*paths, "svc/Dockerfile"]


def test_a_compose_file_is_invalidated_by_the_dockerfile_it_builds(tree: Path, analysed: list[str]) -> None:
    (tree / "api").mkdir()
    (tree / "api" / "Dockerfile").write_text("FROM python:3.12-slim\nARG NPM_TOKEN\n")
    (tree / "compose.yaml").write_text("services:\n  api:\n    build: ./api\n")
    _check(["compose.yaml"])
    _check(["compose.yaml"])
    assert analysed == ["compose.yaml"]
    (tree / "api" / "Dockerfile").write_text("FROM python:3.12-slim\nUSER 1000\n")
    _check(["compose.yaml"])
    assert analysed == ["compose.yaml", "compose.yaml"]


def test_no_cache_flag_analyses_everything(tree: Path, analysed: list[str]) -> None:
    (tree / "Dockerfile").write_text(DOCKERFILE)
    r1 = CliRunner().invoke(app, ["check", "Dockerfile"])
    r2 = CliRunner().invoke(app, ["check", "Dockerfile"])
    r3 = CliRunner().invoke(app, ["check", "--no-cache", "Dockerfile"])
    assert r1.exit_code == r2.exit_code == r3.exit_code == 1
    assert r1.output == r2.output == r3.output
    assert analysed == ["Dockerfile", "Dockerfile"]  # the second run was a hit, the third skipped the cache
    assert list((tree.parent / "cache").rglob("*.json"))


def _cache_file(tree: Path) -> Path:
    files = list((tree.parent / "cache").rglob("*.json"))
    assert len(files) == 1
    return files[0]


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"",
        lambda data: data[: len(data) // 2],
        lambda data: b"\x00\xff not json",
        lambda data: b"[1, 2, 3]",
        lambda data: b'{"format": 1, "entries": {"x": 1}}',
        lambda data: json.dumps({"format": 999, "entries": json.loads(data)["entries"]}).encode(),
    ],
    ids=["empty", "truncated", "binary", "not-an-object", "foreign-entries", "other-format"],
)
def test_a_corrupt_cache_file_is_ignored(tree: Path, analysed: list[str], damage: object) -> None:
    (tree / "Dockerfile").write_text(DOCKERFILE)
    first = _check(["Dockerfile"])
    path = _cache_file(tree)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    again = _check(["Dockerfile"])
    assert _summary(again) == _summary(first)
    assert analysed == ["Dockerfile", "Dockerfile"]
    json.loads(path.read_bytes())  # and it was rewritten whole


@pytest.mark.parametrize(
    "field,value",
    [
        ("diagnostics", [["HF403"]]),
        ("diagnostics", [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]),
        ("diagnostics", "nope"),
        ("reads", [[None, ["f"]]]),
        ("reads", 7),
        ("secrets", [[0, "x"]]),
    ],
)
def test_a_foreign_entry_is_a_miss_never_a_traceback(
    tree: Path, analysed: list[str], field: str, value: object
) -> None:
    (tree / "Dockerfile").write_text(DOCKERFILE)
    first = _check(["Dockerfile"])
    path = _cache_file(tree)
    data = json.loads(path.read_bytes())
    for entry in data["entries"].values():
        entry[field] = value
    path.write_text(json.dumps(data))
    r = CliRunner().invoke(app, ["check", "--output-format", "json", "Dockerfile"])
    assert r.exit_code == 1, r.output
    assert len(json.loads(r.stdout)) == len(first[0].diagnostics)
    assert analysed == ["Dockerfile", "Dockerfile"]


def test_secrets_are_not_written_to_the_cache_and_stay_redacted_on_a_hit(
    tree: Path, analysed: list[str]
) -> None:
    secret = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    (tree / "Dockerfile").write_text(f"FROM python:3.12-slim\nENV GITHUB_TOKEN={secret}\nUSER 1000\n")
    first = CliRunner().invoke(app, ["check", "Dockerfile"])
    second = CliRunner().invoke(app, ["check", "Dockerfile"])
    assert analysed == ["Dockerfile"]
    assert first.output == second.output
    assert secret not in second.output and REDACTED in second.output
    raw = _cache_file(tree).read_bytes()
    assert secret.encode() not in raw and secret[4:20].encode() not in raw


def test_stdin_and_errors_are_never_cached(tree: Path, analysed: list[str]) -> None:
    (tree / "Dockerfile").write_bytes(b"\xff\xfeF\x00R\x00")  # UTF-16: a one-line error
    for _ in range(2):
        r = CliRunner().invoke(app, ["check", "Dockerfile"])
        assert r.exit_code == 2
    for _ in range(2):
        r = CliRunner().invoke(app, ["check", "-", "--stdin-filename", "Dockerfile"], input=DOCKERFILE)
        assert r.exit_code == 1
    assert analysed == ["Dockerfile"] * 4


def test_the_cache_file_is_written_atomically_and_privately(tree: Path) -> None:
    (tree / "Dockerfile").write_text(DOCKERFILE)
    _check(["Dockerfile"])
    path = _cache_file(tree)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left behind
    assert path.stat().st_mode & 0o077 == 0


def test_an_unwritable_cache_dir_only_costs_speed(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tree.parent / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("HARDENIFY_CACHE_DIR", str(blocker / "cache"))
    (tree / "Dockerfile").write_text(DOCKERFILE)
    r = CliRunner().invoke(app, ["check", "Dockerfile"])
    assert r.exit_code == 1 and "HF403" in r.output and "Traceback" not in r.output


def test_prune_removes_the_oldest_files_over_the_limit(tmp_path: Path) -> None:
    d = tmp_path / "v1"
    d.mkdir()
    for i in range(4):
        f = d / f"{i}.json"
        f.write_bytes(b"x" * 100)
        os.utime(f, (1000 + i, 1000 + i))
    (d / ".stale.json.tmp").write_bytes(b"partial")
    os.utime(d / ".stale.json.tmp", (1, 1))
    cache_mod.prune(tmp_path, limit=250)
    assert sorted(p.name for p in d.iterdir()) == ["2.json", "3.json"]


def test_old_entries_are_dropped_when_saving(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a", "b"):
        (tree / name).mkdir()
        (tree / name / "Dockerfile").write_text(DOCKERFILE)
    _check(["a/Dockerfile", "b/Dockerfile"])
    c = ResultCache()
    assert len(c.entries) == 2
    for key, entry in c.entries.items():
        if "/a/" in key:
            entry["seen"] = 0  # not seen for decades
    c.dirty = True
    c.save()
    assert [k for k in ResultCache().entries if "/b/" in k] == list(ResultCache().entries)


def test_signature_of_special_files_never_opens_them(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    sig = cache_mod.signature(str(fifo))
    assert sig[0] == "x"
    assert cache_mod.unchanged(str(fifo), sig)
    assert cache_mod.signature(str(tmp_path / "absent")) == ["absent"]
