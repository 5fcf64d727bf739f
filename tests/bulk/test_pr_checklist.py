"""The PR body is the reviewer's checklist (issue 14 item 14): per file, every fix applied with
its rule and safety, every fix declined with why, and every action required before merging,
in Markdown that renders (code spans stay code, tables keep their shape)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from hardenify.bulk.pr import pr_body
from hardenify.bulk.report.markdown_util import inline
from hardenify.bulk.treefix import FixOptions, TreeFix, fix_tree
from hardenify.diagnostics import Applicability

PROJECTS = Path(__file__).resolve().parents[1] / "e2e" / "projects"
markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py renders the PR body (test extra)")


def _fleet(tmp_path: Path, *projects: str, unsafe: bool = True) -> tuple[TreeFix, str]:
    root = tmp_path / "repo"
    for p in projects:
        shutil.copytree(PROJECTS / p, root / p)
    opts = FixOptions(unsafe_fixes=unsafe)
    tf = fix_tree(root, opts)
    return tf, pr_body(tf, opts, repo_name="acme/api", branch=opts.branch_name())


def _html(body: str) -> str:
    return str(markdown_it.MarkdownIt("commonmark").enable("table").render(body))


def test_applied_fixes_are_listed_per_file_with_rule_and_safety(tmp_path: Path) -> None:
    tf, body = _fleet(tmp_path, "runtime-secret")
    checklist = body.split("### Reviewer checklist", 1)[1]
    assert "#### `runtime-secret/Dockerfile`" in checklist
    (o,) = [o for o in tf.outcomes if o.filename == "runtime-secret/Dockerfile"]
    assert o.applied, "the unsafe secret fix was applied"
    for a in o.applied:
        row = next(line for line in checklist.splitlines() if line.startswith(f"| {a.row} | [{a.code} "))
        assert f"| {a.applicability.value} |" in row
    assert {a.applicability for a in o.applied} == {Applicability.UNSAFE}


def test_runtime_variable_that_moved_is_an_action_with_how_to_pass_it(tmp_path: Path) -> None:
    _, body = _fleet(tmp_path, "runtime-secret")
    todo = [line for line in body.splitlines() if line.startswith("- [ ] ")]
    assert any("`docker build --secret id=api_token,env=API_TOKEN .`" in t for t in todo), todo
    runtime = [t for t in todo if "API\\_TOKEN is read when the container runs" in t]
    assert runtime, todo  # the app reads it: the reader is found in the build context, under bulk too
    assert "`app.py`" in runtime[0] and "`docker run -e API_TOKEN ...`" in runtime[0]


def test_declined_fixes_are_listed_with_their_reason(tmp_path: Path) -> None:
    tf, body = _fleet(tmp_path, "gosu-entrypoint", "supervisord")
    declined = [(o.filename, d, why) for o in tf.outcomes for d, why in o.declined()]
    assert {(f, d.code) for f, d, _ in declined} >= {
        ("gosu-entrypoint/Dockerfile", "HF101"),
        ("supervisord/Dockerfile", "HF101"),
    }
    checklist = body.split("### Reviewer checklist", 1)[1]
    for _, _d, why in declined:
        assert f"| declined | {inline(why)} |" in checklist
    assert "gosu" in body.split("#### `gosu-entrypoint/Dockerfile`", 1)[1]


def test_every_remaining_finding_is_listed_not_just_counted(tmp_path: Path) -> None:
    tf, body = _fleet(tmp_path, "gosu-entrypoint", "apt-tls", unsafe=False)
    human = body.split("### Left for a human", 1)[1]
    for o in tf.outcomes:
        for d in o.diagnostics:
            assert f"`{o.filename}:{d.location.row}`" in human or f"#### `{o.filename}`" in body


def test_the_body_renders_as_markdown(tmp_path: Path) -> None:
    _, body = _fleet(tmp_path, "runtime-secret", "gosu-entrypoint", "apt-tls")
    html = _html(body)
    assert "\\`" not in html, "escaped backticks would show literally"
    assert "<code>docker run -e API_TOKEN ...</code>" in html
    separators = re.findall(r"^\| -{3}:? \|", body, flags=re.M)
    assert separators and html.count("<table>") == len(separators)
    for block in re.findall(r"(?:^\|.*\|\n)+", body, flags=re.M):
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in block.splitlines()}
        assert len(widths) == 1, block
    assert "<li>[ ] Pass the new build secrets" in html  # GitHub turns these into task-list boxes


def test_inline_keeps_code_spans_and_escapes_the_rest() -> None:
    assert inline("use `npm ci` not <x>") == "use `npm ci` not \\<x\\>"
    assert inline("`a|b` | c") == "`a\\|b` \\| c"
    assert inline("`a|b`", cell=False) == "`a|b`"
    assert inline("a stray ` backtick") == "a stray \\` backtick"


def _proof_projects() -> dict[str, dict[str, Any]]:
    """Build-proof projects (`proof.toml`) where hardenify must say something: a decline, an action or a
    build secret to pass."""
    import tomllib

    out = {}
    for p in sorted(PROJECTS.glob("*/proof.toml")):
        data = tomllib.loads(p.read_text())
        if data.get("expect", {}).get("says") or data.get("build", {}).get("secrets"):
            out[p.parent.name] = data
    return out


def _sections(body: str) -> dict[str, str]:
    """Reviewer checklist text per file heading (`#### \\`path\\``)."""
    checklist = body.split("### Reviewer checklist", 1)[1].split("\n### ", 1)[0]
    parts = re.split(r"^#### `([^`]+)`(?: \(new file\))?$", checklist, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_every_decline_and_action_of_the_build_proof_projects_is_in_the_pr_body(tmp_path: Path) -> None:
    projects = _proof_projects()
    assert len(projects) >= 12
    tf, body = _fleet(tmp_path, *projects)
    sections = _sections(body)
    declined = actions = 0
    for o in tf.outcomes:
        section = sections.get(o.filename, "")
        for d, why in o.declined():
            assert f"| {d.location.row} | " in section and f"| declined | {inline(why)} |" in section, (
                o.filename
            )
            declined += 1
        for a, action in o.actions():
            assert f"- [ ] {inline(action, cell=False)} ({a.code}, line {a.row})" in section, o.filename
            actions += 1
    for name, data in projects.items():
        section = sections.get(f"{name}/Dockerfile", "")
        says = data.get("expect", {}).get("says", [])
        if says and "left for a human" in says[0]:
            assert "| declined |" in section and inline(says[1]).strip("`") in section, (name, section)
        for secret in data.get("build", {}).get("secrets", {}):
            assert f"env={secret}" in section, (name, section)  # the build secret to pass, and how
        for value in data.get("build", {}).get("secrets", {}).values():
            assert value not in body
    print(f"\nPR body over {len(projects)} projects: {declined} declined fixes, {actions} actions listed")
    assert declined >= 10 and actions >= 3
    _assert_renders(body)


def _assert_renders(body: str) -> None:
    """Tables keep their shape, code spans stay code, task lists stay task lists."""
    html = _html(body)
    assert "\\`" not in html, "escaped backticks would show literally"
    separators = re.findall(r"^\| -{3}:? \|", body, flags=re.M)
    assert separators and html.count("<table>") == len(separators)
    for block in re.findall(r"(?:^\|.*\|\n)+", body, flags=re.M):
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in block.splitlines()}
        assert len(widths) == 1, block
    assert html.count("<li>[ ] ") == body.count("\n- [ ] ")
