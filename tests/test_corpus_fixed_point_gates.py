"""Corpus gate of issue 14 item 11: one `fix --unsafe-fixes` pass reaches the fixed point.

- every corpus Dockerfile: fixing the fixed text changes nothing;
- every corpus repository that has compose files, rebuilt as a tree from MANIFEST.tsv (its compose files,
  Dockerfiles and .dockerignore files at their real paths): fixing the tree, writing it and fixing it again
  changes no file, so Dockerfile and compose companions (HF616's build-secret wiring, created
  .dockerignore files) all land in the first pass and `bulk` never pushes a second commit.

Counts are printed (run with -s); `fixed_point_counts` is importable (scripts/corpus_gates.py).
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from hardenify import engine
from hardenify.runner import SourceError, read_source
from hardenify.settings import Settings


def _manifest(corpus: Path) -> list[dict[str, str]]:
    with (corpus / "MANIFEST.tsv").open(newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def dockerfile_fixed_point(corpus: Path) -> tuple[int, int, list[str]]:
    """(files, files the first pass changed, files a second pass still changes)."""
    settings = Settings(unsafe_fixes=True)
    files = changed = 0
    moving: list[str] = []
    for p in sorted((corpus / "dockerfiles").iterdir()):
        try:
            text = read_source(p)
        except SourceError:
            continue
        files += 1
        first = engine.fix_text(p.name, text, "dockerfile", settings)
        if not first.changed:
            continue
        changed += 1
        if engine.fix_text(p.name, first.text, "dockerfile", settings).text != first.text:
            moving.append(p.name)
    return files, changed, moving


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def tree_fixed_point(corpus: Path) -> tuple[Counter[str], list[str]]:
    """Counts (trees, trees changed, compose files changed) and the repos a second pass still changes."""
    from hardenify.bulk.treefix import FixOptions, fix_tree

    by_repo: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in _manifest(corpus):
        if "::" not in row["path"]:  # dataset tarball members have no tree
            by_repo[row["repo"]].append(row)
    opts = FixOptions(unsafe_fixes=True)
    counts: Counter[str] = Counter()
    moving: list[str] = []
    for repo, rows in sorted(by_repo.items()):
        if not any(r["kind"] == "compose" for r in rows):
            continue
        with tempfile.TemporaryDirectory(prefix="hardenify-corpus-tree-") as tmp:
            root = Path(tmp)
            for r in rows:
                dest = root / r["path"]
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(corpus / r["file"], dest)
            before = _snapshot(root)
            first = fix_tree(root, opts)
            first.write()
            counts["trees"] += 1
            after = _snapshot(root)
            if after != before:
                counts["trees_changed"] += 1
                counts["compose_files_changed"] += sum(
                    1
                    for r in rows
                    if r["kind"] == "compose" and after.get(r["path"]) != before.get(r["path"])
                )
            second = fix_tree(root, opts)
            second.write()
            if _snapshot(root) != after:
                moving.append(repo)
    return counts, moving


def test_one_pass_reaches_the_fixed_point_for_every_dockerfile(corpus_dir: Path) -> None:
    files, changed, moving = dockerfile_fixed_point(corpus_dir)
    print(
        f"\nfixed point: {files} Dockerfiles, {changed} changed by one pass, {len(moving)} changed by a second"
    )
    assert changed > 500
    assert moving == []


def test_one_pass_reaches_the_fixed_point_with_compose_companions(corpus_dir: Path) -> None:
    counts, moving = tree_fixed_point(corpus_dir)
    print(
        f"\nfixed point over repo trees with compose files: {counts['trees']} trees, "
        f"{counts['trees_changed']} changed ({counts['compose_files_changed']} compose files), "
        f"{len(moving)} changed again by a second pass"
    )
    assert counts["compose_files_changed"] > 20
    assert moving == []
