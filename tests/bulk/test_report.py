"""`hardenify report`: the fleet report in HTML, Markdown and JSON, and how a browser shows it."""

from __future__ import annotations

import json
import re
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from hardenify.bulk.report.markdown_util import code, escape
from hardenify.cli import app
from hardenify.rules import rules_by_code
from tests.bulk.conftest import SAMPLES, MakeRepo, git

CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = 'evil<img src=x onerror="alert(1)">&|`x`'  # a repository name nobody should trust


def report(*args: str) -> Result:
    res = CliRunner().invoke(app, ["report", *args])
    if res.exception and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res


@pytest.fixture
def fleet(tmp_path: Path, make_repo: MakeRepo) -> Path:
    """A directory of clones: legacy samples, one leaking a token into a message, one hostile name."""
    root = tmp_path / "org"
    root.mkdir()
    for sample in ("legacy-python", "legacy-secret", "legacy-compose"):
        make_repo(sample, sample, root)
    leaky = make_repo("legacy-secret", "leaky", root)
    token = fake_tokens()[0]
    # The token reaches a message through the image name: the report must show it redacted.
    (leaky / "Dockerfile").write_text(f"FROM python:3.12\nENV API_TOKEN={token}\nFROM alpine:{token}\n")
    hostile = make_repo("legacy-node", HOSTILE, root)
    (hostile / "Dockerfile").write_text(
        "FROM registry.example/<script>alert(1)</script>|x:latest\nUSER root\n"
    )
    for repo in (leaky, hostile):
        git(repo, "commit", "-qam", "edit")
    return root


def load(out: Path) -> tuple[str, str, dict[str, Any]]:
    return (
        (out / "hardenify-report.html").read_text(),
        (out / "hardenify-report.md").read_text(),
        json.loads((out / "hardenify-report.json").read_text()),
    )


def fake_tokens() -> list[str]:
    return re.findall(r"(?:ghp|npm)_FAKE\w+", (SAMPLES / "legacy-secret" / "Dockerfile").read_text())


def test_report_counts_match_check_and_nothing_leaks(fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = report(str(fleet), "-o", str(out))
    assert res.exit_code == 0, res.output
    assert res.stdout.split() == [str(out / f"hardenify-report.{f}") for f in ("html", "md", "json")]
    html, md, data = load(out)

    repos = {r["name"]: r for r in data["repositories"]}
    assert sorted(repos) == sorted(p.name for p in fleet.iterdir())
    # The oracle: `hardenify check --output-format json` on each repository on its own.
    for name, r in repos.items():
        check = CliRunner().invoke(
            app, ["check", "--output-format", "json", "--exit-zero", str(fleet / name)]
        )
        findings = [f for f in json.loads(check.stdout) if f["code"] is not None]
        assert len(r["findings"]) == len(findings), name
        assert sorted(f["code"] for f in r["findings"]) == sorted(f["code"] for f in findings)
    totals = data["totals"]
    assert totals["findings"] == sum(len(r["findings"]) for r in repos.values())
    assert sum(totals["by_severity"].values()) == totals["findings"]
    by_rule = {r["code"]: r for r in data["rules"]}
    assert sum(r["findings"] for r in by_rule.values()) == totals["findings"]
    for c, r in by_rule.items():
        assert r["url"] == rules_by_code()[c].url
        assert r["url"] in html and f"({escape(c)} " not in md  # linked, not bare

    for token in fake_tokens():
        for text in (html, md, json.dumps(data)):
            assert token not in text
    leaky = [f["message"] for f in repos["leaky"]["findings"] if f["code"] == "HF202"]
    assert "`alpine:***REDACTED***` is not pinned by digest" in " ".join(leaky)
    assert "alpine:***REDACTED***" in html and "alpine:\\*\\*\\*REDACTED\\*\\*\\*" in md


def test_untrusted_names_and_messages_are_escaped(fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert report(str(fleet), "-o", str(out)).exit_code == 0
    html, md, _ = load(out)
    assert "<script" not in html and "<img" not in html and 'onerror="' not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;|`x`" in html
    assert "&lt;script&gt;" in html
    # Markdown: the name is escaped, and no table row gained a column from a `|` in the data.
    assert escape(HOSTILE) in md and "<img" not in md.replace("\\<img", "")
    for block in re.findall(r"(?:^\|.*\|\n)+", md, flags=re.M):
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in block.splitlines()}
        assert len(widths) == 1, block
    assert code("a`b|c") == "``a`b\\|c``"


def test_baseline_adds_before_and_after(fleet: Path, tmp_path: Path) -> None:
    before = tmp_path / "before"
    assert report(str(fleet), "-o", str(before), "--format", "json").exit_code == 0
    assert [p.name for p in before.iterdir()] == ["hardenify-report.json"]
    base = json.loads((before / "hardenify-report.json").read_text())

    bulk = CliRunner().invoke(app, ["bulk", "--unsafe-fixes", "--repos-dir", str(fleet)])
    assert bulk.exit_code == 0, bulk.output
    for repo in fleet.iterdir():  # merge the fix branches
        branch = subprocess.run(
            ["git", "branch", "--list", "hardenify/*", "--format=%(refname:short)"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        if branch:
            subprocess.run(["git", "merge", "-q", "--ff-only", branch[0]], cwd=repo, check=True)

    after = tmp_path / "after"
    res = report(str(fleet), "-o", str(after), "--baseline", str(before / "hardenify-report.json"))
    assert res.exit_code == 0, res.output
    html, md, data = load(after)
    now, then = data["totals"]["findings"], base["totals"]["findings"]
    assert now < then
    assert data["baseline"]["findings"] == then
    assert f"Before → after: **{then} → {now}** (−{then - now})." in md
    assert f"before {then}" in html and "<th class=num>Change</th>" in html
    fixed_away = {r["code"] for r in base["rules"]} - {r["code"] for r in data["rules"] if r["findings"]}
    assert fixed_away  # some rules went to zero and still have a row, with their before count
    for c in fixed_away:
        assert re.search(rf"\[{c} [^\]]+\]\(<[^>]+>\) \| \w+ \| 0 \| 0 \| [1-9]\d* \| −[1-9]", md), c


def test_usage_errors(tmp_path: Path, fleet: Path) -> None:
    assert report().exit_code == 2
    assert report(str(fleet), "--format", "pdf").exit_code == 2
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "something-else"}')
    res = report(str(fleet), "-o", str(tmp_path / "x"), "--baseline", str(bad))
    assert res.exit_code == 2 and "not a hardenify fleet report" in res.stderr
    assert not (tmp_path / "x").exists()


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert report(str(fleet), "-o", str(out), "--format", "html,json").exit_code == 0
    codes = [r["code"] for r in json.loads((out / "hardenify-report.json").read_text())["rules"]]
    page = (out / "hardenify-report.html").resolve()
    base = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]

    def chromium(*args: str) -> subprocess.CompletedProcess[str]:
        profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
        return subprocess.run(
            [*base, f"--user-data-dir={profile}", *args, page.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    dom = chromium("--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert "<h1>hardenify fleet report</h1>" in html
    for name in ("legacy-python", "legacy-secret", "legacy-compose"):
        assert name in html
    assert "evil&lt;img" in html and "<img" not in html  # parsed as text by the browser too
    for c in codes:
        assert f">{c}</code>" in html, c
    chart = re.search(r'<svg id="top-rules-chart".*?</svg>', html, flags=re.S)
    assert chart, "the chart is in the DOM"
    assert chart.group(0).count("<rect") == min(10, len(codes))
    assert re.findall(r'data-code="(HF\d+)"', chart.group(0)) == codes[:10]

    shot = tmp_path / "report.png"
    res = chromium(f"--screenshot={shot}", "--window-size=1200,1600", "--hide-scrollbars")
    assert res.returncode == 0 and shot.is_file(), res.stderr[-2000:]
    assert _png_size(shot) == (1200, 1600)
    assert shot.stat().st_size > 40_000  # text, tables and coloured bars; a blank page is a few KB
