"""The model over the real-world corpus: byte-exact round-trip and agreement with BuildKit."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardenify.dockerfile import parse
from hardenify.runner import read_source

dockerfile = pytest.importorskip(
    "dockerfile", reason="BuildKit's parser (PyPI `dockerfile`) is not installed"
)


def _files(corpus_dir: Path, kind: str) -> list[Path]:
    return sorted(p for p in (corpus_dir / kind).iterdir() if p.is_file())


def test_every_corpus_dockerfile_round_trips(corpus_dir: Path) -> None:
    files = _files(corpus_dir, "dockerfiles")
    assert len(files) > 1000
    failures = []
    for p in files:
        text = read_source(p)
        df = parse(text)
        if df.render() != text:
            failures.append(p.name)
        # the nodes tile the text exactly: no gaps, no overlaps
        pos = 1 if df.bom else 0
        for n in df.nodes:
            assert n.start == pos, f"{p.name}: gap before line {n.line}"
            pos = n.end
        assert pos == len(text), p.name
    print(f"\nround-trip: {len(files) - len(failures)}/{len(files)} corpus Dockerfiles byte-identical")
    assert failures == []


def _bk_view(text: str) -> list[tuple[str, tuple[str, ...], str, bool, int, tuple[tuple[str, str], ...]]]:
    out = []
    for c in dockerfile.parse_string(text):
        original = c.original.split("\n")[0] if c.heredocs else c.original
        out.append(
            (
                c.cmd.upper(),
                tuple(c.flags),
                original,
                bool(c.json),
                c.start_line,
                tuple((h.name, h.content) for h in c.heredocs),
            )
        )
    return out


def _our_view(text: str) -> list[tuple[str, tuple[str, ...], str, bool, int, tuple[tuple[str, str], ...]]]:
    out = []
    for i in parse(text).instructions:
        flags = tuple(f.raw for f in (i.sub.flags if i.sub is not None else i.flags))
        is_json = i.sub.is_json if i.sub is not None else i.is_json
        out.append((i.cmd, flags, i.logical, is_json, i.line, tuple((h.name, h.content) for h in i.heredocs)))
    return out


def test_instructions_match_buildkit_on_corpus(corpus_dir: Path) -> None:
    """For every file BuildKit accepts, command, flags, value, JSON form and heredocs agree."""
    accepted = rejected = 0
    mismatches = []
    for p in _files(corpus_dir, "dockerfiles"):
        text = read_source(p)
        try:
            theirs = _bk_view(text)
        except dockerfile.GoParseError:
            rejected += 1
            assert parse(text).problems, f"{p.name}: BuildKit rejects it but the model saw no problem"
            continue
        accepted += 1
        ours = _our_view(text)
        if ours != theirs:
            first = next(
                (a, b) for a, b in zip(ours + [None] * 9, theirs + [None] * 9, strict=False) if a != b
            )  # type: ignore[operator]
            mismatches.append((p.name, first))
    print(f"\nBuildKit cross-check: {accepted} accepted, {rejected} rejected, {len(mismatches)} mismatches")
    assert accepted > 1000
    assert mismatches == []


def test_dockerfile_parse_reads_what_we_read(corpus_dir: Path) -> None:
    """dockerfile-parse (read-only use) sees the same FROM images as the model's stages."""
    from dockerfile_parse import DockerfileParser

    checked = 0
    for p in _files(corpus_dir, "dockerfiles")[:300]:
        text = read_source(p)
        df = parse(text)
        if df.problems or df.escape != "\\" or any(i.heredocs for i in df.instructions):
            continue
        dp = DockerfileParser(fileobj=__import__("io").BytesIO(text.encode("utf-8", "surrogateescape")))
        theirs = [
            ins["value"].split()[0]
            for ins in dp.structure
            if ins["instruction"] == "FROM" and ins["value"].split()
        ]
        ours = [s.from_.args.split()[0] for s in df.stages if s.from_.args.split()]
        assert ours == theirs, p.name
        checked += 1
    assert checked > 100
