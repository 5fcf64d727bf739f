"""Commit messages and PR bodies: complete, deterministic, and safe to paste into a forge."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

from hardenify.bulk.pr import commit_message, left_for_human, pr_body
from hardenify.bulk.report.markdown_util import code, escape, link, table
from hardenify.bulk.treefix import FixOptions, TreeFix, fix_tree
from hardenify.outcome import FileOutcome
from hardenify.rules import rules_by_code
from hardenify.runner import Task
from hardenify.settings import Settings
from tests.bulk.conftest import SAMPLES


def test_markdown_helpers_neutralise_markup() -> None:
    assert escape("a|b <img> *x* [y](z) `c`\nnext") == r"a\|b \<img\> \*x\* \[y\](z) \`c\` next"
    assert code("plain") == "`plain`"
    assert code("a`b") == "``a`b``"
    assert code("a|b") == r"`a\|b`" and code("a|b", cell=False) == "`a|b`"
    assert code("`edge`") == "`` `edge` ``"
    assert (
        link("HF101 root-user", "https://example.test/r#hf101")
        == "[HF101 root-user](<https://example.test/r#hf101>)"
    )
    assert link("click", "javascript:alert(1)") == "click"  # not a link at all
    assert table(["A", "B"], [["1", "2"]], ["l", "r"]) == ["| A | B |", "| --- | ---: |", "| 1 | 2 |"]


def _tree(tmp_path: Path, sample: str, where: str, opts: FixOptions) -> TreeFix:
    root = tmp_path / "repo"
    shutil.copytree(SAMPLES / sample, root / where)
    return fix_tree(root, opts)


def test_pr_body_explains_each_rule_and_escapes_paths(tmp_path: Path) -> None:
    opts = FixOptions()
    tf = _tree(tmp_path, "legacy-python", "we|ird `dir`", opts)
    body = pr_body(tf, opts, repo_name="acme/<api>", branch=opts.branch_name())
    assert body == pr_body(tf, opts, repo_name="acme/<api>", branch=opts.branch_name())  # deterministic
    assert "acme/\\<api\\>" in body and "<api>" not in body
    codes = tf.fixed_codes()
    assert codes and f"**{sum(codes.values())} finding(s) fixed in 1 file(s)**" in body
    for c in codes:
        r = rules_by_code()[c]
        assert (
            f"| [{c} {escape(r.name)}](<{r.url}>) | {r.severity.value} | {codes[c]} | {escape(r.summary)} |"
            in body
        )
    assert "| ``we\\|ird `dir`/Dockerfile`` |" in body
    for block in re.findall(r"(?:^\|.*\|\n)+", body, flags=re.M):
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in block.splitlines()}
        assert len(widths) == 1, block
    # Safe fixes only: the unsafe ones are listed for a human, with links.
    human = left_for_human(tf, opts)
    assert human and {d.code for _, d in human} >= {"HF101"}
    for _, d in human:
        assert rules_by_code()[d.code].url in body.split("### Left for a human", 1)[1]
    assert left_for_human(tf, FixOptions(unsafe_fixes=True)) == []


def test_commit_message_lists_codes_and_stays_short(tmp_path: Path) -> None:
    opts = FixOptions(unsafe_fixes=True)
    tf = _tree(tmp_path, "legacy-python", ".", opts)
    msg = commit_message(tf, opts)
    subject, blank, *rest = msg.splitlines()
    assert subject == "hardenify: fix " + ", ".join(sorted(tf.fixed_codes())) and blank == ""
    assert "safe and unsafe fixes" in rest[0]
    assert any(line.startswith("- Dockerfile (+") for line in rest)
    assert any(line == f"- .dockerignore (+{len(tf.created[0].content.splitlines())} -0)" for line in rest)

    many = TreeFix(root=tmp_path)
    text = "FROM scratch\n"
    many.tasks = [Task(str(tmp_path / "Dockerfile"), "Dockerfile", "dockerfile", Settings(), mode="fix")]
    many.outcomes = [
        FileOutcome(
            "Dockerfile",
            "dockerfile",
            "success",
            original=text,
            fixed_text=text + "USER 1000\n",
            fixed=Counter({c: 1 for c in sorted(rules_by_code())[:14]}),
        )
    ]
    subject = commit_message(many, opts).splitlines()[0]
    assert len(subject) <= 72 and subject.startswith("hardenify: fix 14 rules (")


def test_secret_values_never_reach_the_pr_body(tmp_path: Path) -> None:
    opts = FixOptions(unsafe_fixes=True)
    tf = _tree(tmp_path, "legacy-secret", ".", opts)
    body = pr_body(tf, opts, repo_name="legacy-secret", branch=opts.branch_name())
    original = (SAMPLES / "legacy-secret" / "Dockerfile").read_text()
    tokens = re.findall(r"(?:ghp|npm)_FAKE\w+", original)
    assert tokens
    for token in tokens:
        assert token not in body and token not in commit_message(tf, opts)
    assert re.search(r"^docker build --secret id=\w+,env=\w+ \.$", body, flags=re.M)


def test_display_only_fixes_are_listed_as_suggestions_even_with_unsafe_fixes(tmp_path: Path) -> None:
    from hardenify.diagnostics import Applicability, Diagnostic, Edit, Fix, Position, Severity

    text = "FROM alpine:3\n"
    fix = Fix((Edit(5, 13, "alpine:3.20"),), Applicability.DISPLAY_ONLY, "Pin the minor version")
    d = Diagnostic(
        "HF999", "suggestion", "A suggestion", Severity.INFO, 5, 13, Position(1, 6), Position(1, 14), fix
    )
    tf = TreeFix(root=tmp_path)
    tf.tasks = [Task(str(tmp_path / "Dockerfile"), "Dockerfile", "dockerfile", Settings(), mode="fix")]
    tf.outcomes = [FileOutcome("Dockerfile", "dockerfile", "success", [d], original=text, fixed_text=text)]
    opts = FixOptions(unsafe_fixes=True)
    assert left_for_human(tf, opts) == [("Dockerfile", d)]
    body = pr_body(tf, opts, repo_name="r", branch="b")
    assert "Suggested changes (display-only fixes" in body and "Pin the minor version" in body
