"""`hardenify bulk` (and `hardenify fix --repos`) on real git repositories made from the samples."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hardenify.bulk.treefix import FixOptions
from hardenify.cli import app
from hardenify.rules import rules_by_code
from tests.bulk.conftest import SAMPLES, MakeRepo, branches, commit_count, git, run_cli, snapshot


def bulk(*args: str) -> tuple[int, list[dict[str, Any]], str]:
    """Run `hardenify bulk ... --output-format json` in-process: (exit code, rows, stderr)."""
    res = CliRunner().invoke(app, ["bulk", "--output-format", "json", *args])
    if res.exception and not isinstance(res.exception, SystemExit):
        raise res.exception
    rows = json.loads(res.stdout) if res.stdout.strip().startswith("[") else []
    return res.exit_code, rows, res.stderr


def by_name(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in rows}


def fixed_by_cli(sample: str, tmp_path: Path, *extra: str) -> bytes:
    """The oracle: what plain `hardenify fix` makes of the sample's Dockerfile."""
    dest = tmp_path / f"oracle-{sample}"
    shutil.copytree(SAMPLES / sample, dest)
    proc = run_cli("fix", *extra, ".", cwd=dest)
    assert proc.returncode == 0, proc.stderr
    return (dest / "Dockerfile").read_bytes()


# ------------------------------------------------------------------------------ branch name


def test_branch_name_is_deterministic_and_names_version_selection_and_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = FixOptions().branch_name()
    assert re.fullmatch(r"hardenify/fix-[0-9a-f]{10}", base)
    assert FixOptions().branch_name() == base
    # The same enabled codes spelled differently are the same selection.
    assert FixOptions(select=("ALL",)).branch_name() == base
    assert FixOptions(unsafe_fixes=True).branch_name() != base
    assert FixOptions(select=("HF3",)).branch_name() != base
    assert FixOptions(ignore=("HF101",)).branch_name() != base
    monkeypatch.setattr("hardenify.bulk.treefix.__version__", "99.0.0")
    assert FixOptions().branch_name() != base


# ------------------------------------------------------------------------- commit + PR body


def test_commits_on_the_branch_writes_the_pr_body_and_leaves_the_checkout_alone(
    make_repo: MakeRepo, tmp_path: Path
) -> None:
    py = make_repo("legacy-python")
    clean = make_repo("python-app")
    before_py, before_clean = snapshot(py), snapshot(clean)
    head_before = git(py, "rev-parse", "HEAD")

    code, rows, _ = bulk(str(py), str(clean))
    assert code == 0
    res = by_name(rows)
    branch = FixOptions().branch_name()

    row = res["legacy-python"]
    assert row["state"] == "committed" and row["branch"] == branch
    assert git(py, "rev-parse", branch).strip() == row["commit"]
    # The checkout is back on main, untouched; the fix lives on the branch only.
    assert git(py, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert git(py, "rev-parse", "HEAD") == head_before
    assert snapshot(py) == before_py
    assert git(py, "status", "--porcelain") == ""
    # The commit holds exactly what `hardenify fix` would write, and only that file.
    assert git(py, "diff", "--name-only", "main", branch).split() == ["Dockerfile"]
    assert git(py, "show", f"{branch}:Dockerfile").encode() == fixed_by_cli("legacy-python", tmp_path)
    # The subject lists the fixed codes, the body one line per rule.
    message = git(py, "log", "-1", "--format=%B", branch)
    subject = message.splitlines()[0]
    assert subject == "hardenify: fix " + ", ".join(sorted(row["fixed"]))
    for c, n in row["fixed"].items():
        assert f"- {c} {rules_by_code()[c].name} ×{n}" in message

    body = Path(row["pr_body"])
    assert body == py / ".git" / "hardenify" / "PR_BODY.md"
    text = body.read_text()
    for c in row["fixed"]:
        assert rules_by_code()[c].url in text, c
    # Without --unsafe-fixes the non-root fix (unsafe) is listed for a human.
    human = text.split("### Left for a human", 1)[1]
    assert "HF101" in human and rules_by_code()["HF101"].url in human

    assert res["python-app"]["state"] == "skipped"
    assert res["python-app"]["reason"] == "nothing to fix"
    assert branches(clean) == ["main"] and snapshot(clean) == before_clean


def test_a_second_run_makes_no_new_commit(make_repo: MakeRepo) -> None:
    py = make_repo("legacy-python")
    node = make_repo("legacy-node")
    code, rows, _ = bulk("--unsafe-fixes", str(py), str(node))
    assert code == 0 and {r["state"] for r in rows} == {"committed"}
    counts = {p: commit_count(p) for p in (py, node)}
    tips = {p: git(p, "rev-parse", rows[0]["branch"]) for p in (py, node)}

    code, rows, _ = bulk("--unsafe-fixes", str(py), str(node))
    assert code == 0
    for r in rows:
        assert r["state"] == "skipped"
        assert r["reason"] == f"up to date: {r['branch']} already has the fix"
    assert {p: commit_count(p) for p in (py, node)} == counts
    assert {p: git(p, "rev-parse", rows[0]["branch"]) for p in (py, node)} == tips


def test_dry_run_shows_the_change_and_leaves_no_trace(make_repo: MakeRepo, tmp_path: Path) -> None:
    py = make_repo("legacy-python")
    before = snapshot(py)
    res = CliRunner().invoke(app, ["bulk", "--dry-run", "--pr-body-dir", str(tmp_path / "bodies"), str(py)])
    assert res.exit_code == 0, res.output
    assert re.search(
        r"legacy-python\s+changed\s+\d+\s+dry run: not committed; would commit on hardenify/fix-", res.stdout
    )
    assert re.search(r"Dockerfile \+\d+ -\d+", res.stdout)  # the diff stat
    assert "1 repository: 1 changed." in res.stdout
    assert snapshot(py) == before and branches(py) == ["main"] and commit_count(py) == 1
    assert (
        "## Harden container builds with hardenify" in (tmp_path / "bodies" / "legacy-python.md").read_text()
    )


def test_unsafe_fixes_wire_secrets_and_create_the_dockerignore(make_repo: MakeRepo) -> None:
    secret = make_repo("legacy-secret")
    py = make_repo("legacy-python")
    code, rows, _ = bulk("--unsafe-fixes", str(secret), str(py))
    assert code == 0
    res = by_name(rows)
    branch = res["legacy-secret"]["branch"]

    body = Path(res["legacy-secret"]["pr_body"]).read_text()
    assert "### New `docker build` secret wiring" in body
    assert re.search(r"docker build --secret id=\w+,env=\w+", body)
    message = git(secret, "log", "-1", "--format=%B", branch)
    shown = git(secret, "show", branch)
    # The fake tokens are in the old Dockerfile; neither the PR body nor the message repeats them.
    for token in re.findall(r"(?:ghp|npm)_FAKE\w+", (SAMPLES / "legacy-secret" / "Dockerfile").read_text()):
        assert token in shown  # the diff itself removes it...
        assert token not in body and token not in message  # ...but nothing we write quotes it
    assert "fix that can change how the image behaves" not in body  # --unsafe-fixes applied them all

    files = git(py, "show", "--name-only", "--format=", res["legacy-python"]["branch"]).split()
    assert sorted(files) == [".dockerignore", "Dockerfile"]
    assert "HF304" in res["legacy-python"]["fixed"]
    assert git(py, "status", "--porcelain") == ""  # the created file left with the branch


# ------------------------------------------------------------------------------- failures


def test_unusable_repositories_fail_with_a_reason_and_the_others_finish(
    make_repo: MakeRepo, tmp_path: Path
) -> None:
    ok = make_repo("legacy-node")
    dirty = make_repo("legacy-python", "dirty")
    (dirty / "Dockerfile").write_text((dirty / "Dockerfile").read_text() + "# local edit\n")
    detached = make_repo("legacy-apt", "detached")
    git(detached, "checkout", "-q", "--detach", "HEAD")
    binary = make_repo("legacy-rust", "binary")
    (binary / "Dockerfile").write_bytes(b"FROM scratch\n\x00\x01\x02")
    git(binary, "commit", "-qam", "binary")
    unparsable = make_repo("legacy-python", "unparsable")
    (unparsable / "Dockerfile").write_text("FROM python:3.12-slim\nCOPY --chown . /app\nRUN echo hi \\")
    git(unparsable, "commit", "-qam", "broken")
    plain = tmp_path / "plain-dir"
    plain.mkdir()
    broken = [dirty, detached, binary, unparsable]
    before = {p: snapshot(p) for p in broken}

    code, rows, log = bulk(str(ok), str(dirty), str(detached), str(binary), str(unparsable), str(plain))
    assert code == 1
    res = by_name(rows)
    assert [r["name"] for r in rows] == [
        "legacy-node",
        "dirty",
        "detached",
        "binary",
        "unparsable",
        "plain-dir",
    ]
    assert res["legacy-node"]["state"] == "committed"
    assert (
        res["dirty"]["state"] == "failed"
        and "uncommitted changes (1 file(s): Dockerfile)" in res["dirty"]["reason"]
    )
    assert res["detached"]["state"] == "failed" and "detached HEAD" in res["detached"]["reason"]
    assert res["binary"]["state"] == "failed"
    assert (
        "Dockerfile: binary file" in res["binary"]["reason"]
        and "nothing committed" in res["binary"]["reason"]
    )
    assert res["unparsable"]["state"] == "failed" and "does not parse" in res["unparsable"]["reason"]
    assert res["plain-dir"]["state"] == "failed" and "not a git working copy" in res["plain-dir"]["reason"]
    for p in broken:
        assert snapshot(p) == before[p], p.name  # left exactly as found
        assert not any(b.startswith("hardenify/") for b in branches(p))
    assert "hardenify: binary: failed:" in log


def test_push_pushes_the_branch_and_a_failed_push_keeps_the_commit(
    make_repo: MakeRepo, tmp_path: Path
) -> None:
    py = make_repo("legacy-python")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(py, "remote", "add", "origin", str(remote))
    code, rows, _ = bulk("--push", str(py))
    assert code == 0
    row = rows[0]
    assert row["state"] == "pushed"
    assert git(remote, "rev-parse", row["branch"]).strip() == row["commit"]
    assert (
        git(py, "rev-parse", "--abbrev-ref", f"{row['branch']}@{{upstream}}").strip()
        == f"origin/{row['branch']}"
    )

    node = make_repo("legacy-node")
    git(node, "remote", "add", "origin", str(tmp_path / "no-such-remote.git"))
    code, rows, _ = bulk("--push", str(node))
    assert code == 1
    assert rows[0]["state"] == "failed" and "but the push failed" in rows[0]["reason"]
    assert git(node, "rev-parse", rows[0]["branch"]).strip() == rows[0]["commit"]  # committed locally

    lone = make_repo("legacy-apt")
    code, rows, _ = bulk("--push", str(lone))
    assert code == 1 and rows[0]["reason"] == "--push: no remote named 'origin'"


def test_author_option_works_without_any_git_identity(
    make_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    py = make_repo("legacy-python")
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    for var in ("EMAIL", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var, raising=False)
    code, rows, _ = bulk("--author", "Fleet Bot <bot@example.test>", str(py))
    assert code == 0, rows
    who = git(py, "log", "-1", "--format=%an <%ae>|%cn <%ce>", rows[0]["branch"]).strip()
    assert who == "Fleet Bot <bot@example.test>|Fleet Bot <bot@example.test>"


# ------------------------------------------------------------------------------ the CLI


def test_usage_errors_exit_2(tmp_path: Path, make_repo: MakeRepo) -> None:
    assert run_cli("bulk").returncode == 2
    py = make_repo("legacy-python")
    before = snapshot(py)
    proc = run_cli("bulk", "--push", "--dry-run", str(py))
    assert proc.returncode == 2 and "cannot be combined" in proc.stderr
    proc = run_cli("bulk", "--repos-file", str(tmp_path / "missing.txt"))
    assert proc.returncode == 2 and "missing.txt" in proc.stderr
    assert snapshot(py) == before and branches(py) == ["main"] and commit_count(py) == 1


def test_repos_file_repos_dir_and_the_fix_repos_alias(make_repo: MakeRepo, tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    a = make_repo("legacy-python", "a", fleet)
    b = make_repo("python-app", "b", fleet)
    (fleet / "not-a-repo").mkdir()
    listing = tmp_path / "repos.txt"
    listing.write_text("# the fleet\nfleet/a\n\n  fleet/b  \n")

    code, from_file, _ = bulk("--dry-run", "--repos-file", str(listing))
    assert code == 0 and [r["name"] for r in from_file] == ["a", "b"]
    code, from_dir, _ = bulk("--dry-run", "--repos-dir", str(fleet))
    assert [r["name"] for r in from_dir] == ["a", "b"]  # sorted, non-repositories ignored
    assert [r["state"] for r in from_dir] == [r["state"] for r in from_file] == ["changed", "skipped"]

    # `fix --repos --diff` is `bulk --dry-run`; `fix --repos` commits.
    proc = run_cli("fix", "--repos", "--diff", str(a), str(b))
    assert proc.returncode == 0, proc.stderr
    assert "2 repositories: 1 changed, 1 skipped." in proc.stdout and branches(a) == ["main"]
    proc = run_cli("fix", "--repos", str(a))
    assert proc.returncode == 0 and "1 repository: 1 committed." in proc.stdout
    assert FixOptions().branch_name() in branches(a)


# ----------------------------------------------------------------------- a fleet of twenty


FLEET = [
    "legacy-apt",
    "legacy-compose",
    "legacy-go",
    "legacy-node",
    "legacy-python",
    "legacy-rust",
    "legacy-secret",
    "split-node",
    "split-python",
    "go-app",
    "node-app",
    "php-app",
    "python-app",
    "ruby-app",
    "rust-app",
    "static-app",
]


def test_a_fleet_of_twenty_with_broken_members(make_repo: MakeRepo, tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    repos = [make_repo(s, s, fleet) for s in FLEET]
    repos.append(make_repo("legacy-python", "copy-of-python", fleet))
    detached = make_repo("legacy-node", "zz-detached", fleet)
    git(detached, "checkout", "-q", "--detach", "HEAD")
    unreadable = make_repo("legacy-apt", "zz-unreadable", fleet)
    (unreadable / "Dockerfile").write_bytes(b"\xff\xfeF\x00R\x00O\x00M\x00")  # UTF-16
    git(unreadable, "commit", "-qam", "utf-16")
    unparsable = make_repo("legacy-rust", "zz-unparsable", fleet)
    (unparsable / "Dockerfile").write_text("FROM rust:1-slim\nFROMM x\n")
    git(unparsable, "commit", "-qam", "typo")
    assert len(list(fleet.iterdir())) == 20

    # The oracle for every healthy repository: does plain `hardenify fix --diff` change it?
    expect_change = {}
    for r in repos:
        diff = CliRunner().invoke(app, ["fix", "--diff", "-q", str(r)])
        assert diff.exit_code in (0, 1), (r.name, diff.output)
        expect_change[r.name] = diff.exit_code == 1
    assert any(expect_change.values()) and not all(expect_change.values())

    code, rows, _ = bulk("--repos-dir", str(fleet))
    assert code == 1
    assert [r["name"] for r in rows] == sorted(p.name for p in fleet.iterdir())
    res = by_name(rows)
    for name, changes in expect_change.items():
        assert res[name]["state"] == ("committed" if changes else "skipped"), (name, res[name])
        assert (FixOptions().branch_name() in branches(fleet / name)) == changes
    assert res["zz-detached"]["state"] == "failed" and "detached HEAD" in res["zz-detached"]["reason"]
    assert res["zz-unreadable"]["state"] == "failed" and "UTF-16" in res["zz-unreadable"]["reason"]
    assert res["zz-unparsable"]["state"] == "failed" and "does not parse" in res["zz-unparsable"]["reason"]

    commits = {p.name: commit_count(p) for p in fleet.iterdir()}
    git(detached, "checkout", "-q", "main")  # its owner repairs it
    code, rows, _ = bulk("--repos-dir", str(fleet))
    res = by_name(rows)
    assert res["zz-detached"]["state"] == "committed"
    for name in expect_change:
        assert res[name]["state"] == "skipped", (name, res[name])
    after = {p.name: commit_count(p) for p in fleet.iterdir()}
    assert {k: v for k, v in after.items() if k != "zz-detached"} == {
        k: v for k, v in commits.items() if k != "zz-detached"
    }


def test_a_rejected_commit_is_undone_completely(make_repo: MakeRepo) -> None:
    """The repository's own commit hook says no: no branch, no changed file, back on main."""
    py = make_repo("legacy-python")
    hook = py / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'policy: no bots' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = snapshot(py)
    code, rows, _ = bulk("--unsafe-fixes", str(py))  # --unsafe-fixes also creates a .dockerignore
    assert code == 1
    assert rows[0]["state"] == "failed" and "policy: no bots" in rows[0]["reason"]
    assert rows[0]["commit"] == ""
    assert snapshot(py) == before and not (py / ".dockerignore").exists()
    assert branches(py) == ["main"] and git(py, "status", "--porcelain") == ""
    assert git(py, "symbolic-ref", "--short", "HEAD").strip() == "main"
