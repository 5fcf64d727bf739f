"""Corpus gates of issue 14 (fixes that keep the image working), over `../shared/corpus`.

Each gate fixes the real Dockerfiles with the rules it is about and checks, independently of
the rules' own logic, that the fixed file still does what the original did:

- no ADD of a URL, git repository or archive (quoted or not) becomes COPY (item 5);
- no `--no-install-recommends` is added to a file that downloads over https unless the
  fixed file installs `ca-certificates` (item 9).

Counts are printed (run with -s); the offending files are asserted empty.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hardenify import engine
from hardenify.dockerfile import parse
from hardenify.runner import read_source
from hardenify.settings import Settings

_ARCHIVE = re.compile(r"(?i)\.(?:tar|tgz|taz|tbz2?|tb2|txz|tzst|tlz|tz|gz|bz2|xz|zst|lz|lzma|z)$")
_HTTPS_DOWNLOAD = re.compile(r"(?i)\b(?:curl|wget|git)\b[^\n]*?\bhttps://")


def _corpus(corpus_dir: Path) -> list[tuple[str, str]]:
    return [(p.name, read_source(p)) for p in sorted((corpus_dir / "dockerfiles").iterdir())]


def text_after_first_change(before: str, after: str) -> str:
    """`after` from its first changed line on, without comment lines (the fix only inserts
    words into lines, so the line lists align)."""
    old, new = before.splitlines(), after.splitlines()
    for i, line in enumerate(new):
        if i >= len(old) or line != old[i]:
            rest = [x for x in new[i + 1 :] if not x.lstrip().startswith("#")]
            return "\n".join([line, *rest])
    return ""


def _fix(name: str, text: str, *codes: str) -> str:
    return engine.fix_text(name, text, "dockerfile", Settings(select=codes, unsafe_fixes=True)).text


def fetching_add_lines(text: str) -> list[int]:
    """Lines of ADD instructions that fetch or unpack: a URL, git source or archive name,
    with shell quotes removed as BuildKit removes them (JSON form too)."""
    out = []
    for ins in parse(text).instructions:
        target = ins.sub if ins.cmd == "ONBUILD" and ins.sub is not None else ins
        if target.cmd != "ADD":
            continue
        words = list(target.json) if target.json is not None else target.words()
        words = [w for w in words if not w.startswith("--")]
        for src in words[:-1]:
            s = src.strip("\"'").rstrip("/")
            if "://" in s or s.startswith("git@") or _ARCHIVE.search(s):
                out.append(ins.line)
                break
    return out


def test_no_fetching_or_unpacking_add_becomes_copy(corpus_dir: Path) -> None:
    files = _corpus(corpus_dir)
    candidates = 0
    broken: list[str] = []
    for name, text in files:
        lines = fetching_add_lines(text)
        if not lines:
            continue
        candidates += len(lines)
        after = set(fetching_add_lines(_fix(name, text, "HF501")))
        broken.extend(f"{name}:{n}" for n in lines if n not in after)
    print(
        f"\nHF501: {candidates} fetching/unpacking ADDs in {len(files)} files, {len(broken)} turned into COPY"
    )
    assert candidates > 30
    assert broken == []


def test_no_recommends_flag_without_ca_certificates_where_https_is_downloaded(corpus_dir: Path) -> None:
    files = _corpus(corpus_dir)
    flagged = 0
    missing: list[str] = []
    for name, text in files:
        if "install" not in text or not _HTTPS_DOWNLOAD.search(text):
            continue
        fixed = _fix(name, text, "HF402")
        if fixed.count("--no-install-recommends") <= text.count("--no-install-recommends"):
            continue
        if not _HTTPS_DOWNLOAD.search(text_after_first_change(text, fixed)):
            continue  # every https download runs before the installs the fix changed
        flagged += 1
        if "ca-certificates" not in fixed:
            missing.append(name)
    print(
        f"\nHF402: {flagged} files that download over https got --no-install-recommends, "
        f"{len(missing)} of them without ca-certificates"
    )
    assert flagged > 20
    assert missing == []


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ('FROM x\nADD "https://github.com/a/b.git#v1" /src\nADD a.txt /a\n', [2]),
        ('FROM x\nADD \'vendor.tar.gz\' /opt/\nADD ["x.tgz", "/"]\n', [2, 3]),
        ("FROM x\nADD app.py /app/\n", []),
    ],
)
def test_gate_classifier(text: str, lines: list[int]) -> None:
    """The gate's own reading of ADD, so a gate that sees nothing cannot pass by accident."""
    assert fetching_add_lines(text) == lines
