"""HF701: actions not pinned by commit SHA, in the workflows `hardenify new` generated (and only those)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from hardenify.diagnostics import Applicability
from hardenify.discovery import discover
from hardenify.engine import fix_text, lint
from hardenify.knowledge.actions import pinned_actions
from hardenify.settings import Settings
from hardenify.workflows import MARKER, is_marked, is_workflow_path, read_marked

CODE = "HF701"
HEAD = f"{MARKER} (hardenify 0.1.0, template 1).\n"
CHECKOUT = pinned_actions()["actions/checkout"]
SHA = "0123456789abcdef0123456789abcdef01234567"


def wf(steps: str) -> str:
    return HEAD + "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n" + steps


def findings(text: str) -> list[tuple[int, str]]:
    res = lint(".github/workflows/ci.yml", text, "workflow", Settings(select=(CODE,)))
    return [(d.location.row, text[d.start : d.end]) for d in res.diagnostics]


def test_fires_on_tags_branches_and_short_shas() -> None:
    text = wf(
        "      - uses: actions/checkout@v7.0.1\n"
        "      - uses: docker/build-push-action@master\n"
        "      - uses: 'aquasecurity/trivy-action@ed142fd'\n"
        "      - uses: octo/reusable/.github/workflows/build.yml@v1\n"
        "      - uses: docker://alpine:3.22\n"
        "      - uses: some/action\n"
    )
    assert findings(text) == [
        (7, "actions/checkout@v7.0.1"),
        (8, "docker/build-push-action@master"),
        (9, "aquasecurity/trivy-action@ed142fd"),
        (10, "octo/reusable/.github/workflows/build.yml@v1"),
        (11, "docker://alpine:3.22"),
        (12, "some/action"),
    ]


def test_does_not_fire_on_shas_digests_and_local_actions() -> None:
    text = wf(
        f"      - uses: {CHECKOUT.uses}\n"
        f'      - uses: "docker/login-action@{SHA}"\n'
        "      - uses: ./.github/actions/local\n"
        "      - uses: docker://alpine:3.22@sha256:" + "a" * 64 + "\n"
        "      - run: echo 'uses: actions/checkout@v4'\n"
        "      # - uses: actions/checkout@v4\n"
    )
    assert findings(text) == []


def test_message_says_what_to_do() -> None:
    res = lint("ci.yml", wf("      - uses: actions/checkout@v4\n"), "workflow", Settings(select=(CODE,)))
    (d,) = res.diagnostics
    assert "not pinned by commit SHA" in d.message and "version in a comment" in d.message
    img = lint("ci.yml", wf("      - uses: docker://alpine:3\n"), "workflow", Settings(select=(CODE,)))
    assert "@sha256" in img.diagnostics[0].message


def test_fix_pins_a_release_the_table_knows_and_is_idempotent() -> None:
    before = wf(
        f"      - uses: actions/checkout@{CHECKOUT.version}\n        with:\n          fetch-depth: 0\n"
    )
    after = wf(f"      - uses: {CHECKOUT.uses}\n        with:\n          fetch-depth: 0\n")
    (d,) = lint("ci.yml", before, "workflow", Settings(select=(CODE,))).diagnostics
    assert d.fix is not None and d.fix.applicability is Applicability.UNSAFE
    res = fix_text("ci.yml", before, "workflow", Settings(select=(CODE,), unsafe_fixes=True))
    assert res.text == after
    assert fix_text("ci.yml", after, "workflow", Settings(select=(CODE,), unsafe_fixes=True)).text == after
    # Without --unsafe-fixes nothing changes: a reviewer compares the SHA with the tag first.
    assert fix_text("ci.yml", before, "workflow", Settings(select=(CODE,))).text == before


@pytest.mark.parametrize(
    "line",
    [
        "      - uses: actions/checkout@v4\n",  # not the release the table knows
        f"      - uses: actions/checkout@{CHECKOUT.version} # keep me\n",  # a comment to keep
        f"      - uses: 'actions/checkout@{CHECKOUT.version}'\n",  # quoted
        "      - uses: someone/else@v1\n",  # unknown action
    ],
)
def test_fix_declines_when_it_cannot_be_sure(line: str) -> None:
    (d,) = lint("ci.yml", wf(line), "workflow", Settings(select=(CODE,))).diagnostics
    assert d.fix is None


def test_crlf_and_bom_are_kept() -> None:
    before = "\ufeff" + wf(f"      - uses: actions/checkout@{CHECKOUT.version}\n").replace("\n", "\r\n")
    res = fix_text("ci.yml", before, "workflow", Settings(select=(CODE,), unsafe_fixes=True))
    assert res.text == before.replace(f"actions/checkout@{CHECKOUT.version}", CHECKOUT.uses)


# ------------------------------------------------------------------------------ which files are read


def test_marker_and_path_recognition(tmp_path: Path) -> None:
    assert is_marked(HEAD) and is_marked("\ufeff" + HEAD) and is_marked(HEAD.upper())
    assert not is_marked("\n" + HEAD) and not is_marked("name: ci\n" + HEAD)  # the first line only
    assert not is_marked("  " + HEAD)
    assert is_workflow_path(".github/workflows/a.yml") and is_workflow_path("x/.github/workflows/b.yaml")
    assert not is_workflow_path(".github/a.yml") and not is_workflow_path("workflows/a.yml")
    assert not is_workflow_path(".github/workflows/readme.md")
    f = tmp_path / "w.yml"
    f.write_text(HEAD)
    assert read_marked(str(f))
    assert not read_marked(str(tmp_path / "missing.yml"))


def project(tmp_path: Path, text: str, name: str = "ci.yml") -> Path:
    wfdir = tmp_path / ".github" / "workflows"
    wfdir.mkdir(parents=True, exist_ok=True)
    path = wfdir / name
    path.write_text(text, encoding="utf-8")
    return path


def test_only_generated_workflows_are_discovered(tmp_path: Path) -> None:
    ours = project(tmp_path, wf("      - uses: actions/checkout@v4\n"), "container.yml")
    theirs = project(tmp_path, "on: push\njobs: {}\n# generated by hardenify new\n", "theirs.yml")
    elsewhere = tmp_path / "docs" / "container.yml"
    elsewhere.parent.mkdir()
    elsewhere.write_text(wf("      - uses: actions/checkout@v4\n"))
    found = {f.path: f.kind for f in discover([str(tmp_path)])}
    assert found == {ours: "workflow"}
    assert theirs not in found and elsewhere not in found
    # Named explicitly, a generated workflow is still a workflow (not taken for a Dockerfile).
    (explicit,) = discover([str(ours)])
    assert explicit.kind == "workflow"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_named_like_a_workflow_is_never_opened(tmp_path: Path) -> None:
    wfdir = tmp_path / ".github" / "workflows"
    wfdir.mkdir(parents=True)
    os.mkfifo(wfdir / "ci.yml")
    assert not read_marked(str(wfdir / "ci.yml"))  # would block forever if it were opened
    assert list(discover([str(tmp_path)])) == []


def test_check_command_flags_generated_workflows_only(tmp_path: Path) -> None:
    from hardenify.cli import app

    project(tmp_path, wf("      - uses: actions/checkout@v4\n"), "container.yml")
    project(
        tmp_path, "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: a/b@v1\n", "other.yml"
    )
    r = CliRunner().invoke(app, ["check", "--output-format", "concise", str(tmp_path)])
    assert r.exit_code == 1
    lines = [line for line in r.output.splitlines() if CODE in line]
    assert len(lines) == 1 and "container.yml:7:" in lines[0] and "other.yml" not in r.output
    # Removing the marker opts the file out entirely.
    project(
        tmp_path, wf("      - uses: actions/checkout@v4\n").replace(MARKER, "# mine now"), "container.yml"
    )
    r = CliRunner().invoke(app, ["check", str(tmp_path)])
    assert r.exit_code == 0, r.output


def test_the_documented_example_fires() -> None:
    from hardenify.fixers.hf701_unpinned_action import RULE

    assert findings(RULE.example + "\n") == [(6, "actions/checkout@v7.0.1")]
