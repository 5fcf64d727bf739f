"""Snapshot what hardenify says and does over the real-world corpus, and compare two snapshots.

A refactor that moves analysis code must leave corpus results unchanged, or explain each
change (issue 13). This records, per corpus file, the findings per rule and the sha256 of the
fix output in safe and in unsafe mode; `--compare` prints what moved, per rule, with sample
files to look at.

Usage:
    python scripts/corpus_snapshot.py [--corpus DIR] [--limit N] -o OUT.json
    python scripts/corpus_snapshot.py --compare OLD.json NEW.json

Keep snapshots outside the repository (they describe the shared corpus, which stays out of it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
KINDS = {"dockerfiles": "dockerfile", "compose": "compose", "dockerignore": "dockerignore"}
SAMPLES = 5


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def snapshot_file(path: Path, kind: str) -> dict[str, Any]:
    """Findings per rule and fix-output hashes of one file; a crash is recorded, not raised."""
    from hardenify import engine
    from hardenify.runner import read_source
    from hardenify.settings import Settings

    entry: dict[str, Any] = {"kind": kind}
    try:
        text = read_source(path)
        lint = engine.lint(path.name, text, kind, Settings())
        entry["findings"] = dict(sorted(Counter(d.code for d in lint.diagnostics).items()))
        for mode, settings in (("safe", Settings()), ("unsafe", Settings(unsafe_fixes=True))):
            res = engine.fix_text(path.name, text, kind, settings)
            entry[mode] = {
                "sha256": _sha(res.text),
                "changed": res.changed,
                "fixed": dict(sorted(res.fixed.items())),
                "refused": res.refused.split(":")[0][:80] if res.refused else None,
            }
    except Exception as e:  # a crash is a result worth comparing too
        entry["crash"] = f"{type(e).__name__}: {str(e)[:200]}"
    return entry


def take(corpus: Path, limit: int | None) -> dict[str, Any]:
    files: dict[str, Any] = {}
    for sub, kind in KINDS.items():
        folder = corpus / sub
        if not folder.is_dir():
            continue
        paths = sorted(p for p in folder.iterdir() if p.is_file())
        for p in paths[:limit] if limit else paths:
            files[f"{sub}/{p.name}"] = snapshot_file(p, kind)
    return {"corpus": str(corpus), "files": files, "summary": summarize(files)}


def summarize(files: dict[str, Any]) -> dict[str, Any]:
    findings: Counter[str] = Counter()
    files_with: Counter[str] = Counter()
    fixed: dict[str, Counter[str]] = {"safe": Counter(), "unsafe": Counter()}
    changed = Counter[str]()
    crashes = 0
    for entry in files.values():
        if "crash" in entry:
            crashes += 1
            continue
        findings.update(entry["findings"])
        files_with.update(entry["findings"].keys())
        for mode in ("safe", "unsafe"):
            fixed[mode].update(entry[mode]["fixed"])
            changed[mode] += entry[mode]["changed"]
    return {
        "files": len(files),
        "crashes": crashes,
        "changed": dict(changed),
        "findings": dict(sorted(findings.items())),
        "files_with": dict(sorted(files_with.items())),
        "fixed": {m: dict(sorted(c.items())) for m, c in fixed.items()},
    }


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Lines saying what changed per rule, with sample files; empty when nothing did."""
    out: list[str] = []
    a, b = old["files"], new["files"]
    for name in sorted(set(a) ^ set(b)):
        out.append(f"file only in {'old' if name in a else 'new'}: {name}")
    common = sorted(set(a) & set(b))
    per_rule: dict[str, list[str]] = {}
    crash: list[str] = []
    out_changed: dict[str, list[str]] = {"safe": [], "unsafe": []}
    for name in common:
        x, y = a[name], b[name]
        if ("crash" in x) != ("crash" in y) or x.get("crash") != y.get("crash"):
            crash.append(f"{name}: {x.get('crash')} -> {y.get('crash')}")
        if "crash" in x or "crash" in y:
            continue
        for code in sorted(set(x["findings"]) | set(y["findings"])):
            n, m = x["findings"].get(code, 0), y["findings"].get(code, 0)
            if n != m:
                per_rule.setdefault(code, []).append(f"{name} ({n} -> {m})")
        for mode in ("safe", "unsafe"):
            if x[mode]["sha256"] != y[mode]["sha256"]:
                out_changed[mode].append(name)
    for code, names in sorted(per_rule.items()):
        before = old["summary"]["findings"].get(code, 0)
        after = new["summary"]["findings"].get(code, 0)
        out.append(f"{code}: findings {before} -> {after} in {len(names)} files, e.g.")
        out += [f"    {s}" for s in names[:SAMPLES]]
    for mode, names in out_changed.items():
        if names:
            out.append(f"fix output ({mode}) differs in {len(names)} files, e.g.")
            out += [f"    {s}" for s in names[:SAMPLES]]
    if crash:
        out.append(f"crashes changed in {len(crash)} files, e.g.")
        out += [f"    {s}" for s in crash[:SAMPLES]]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=Path(os.environ.get("HARDENIFY_CORPUS", DEFAULT_CORPUS)))
    ap.add_argument("--limit", type=int, help="only the first N files of each kind (a quick look)")
    ap.add_argument("-o", "--output", type=Path, help="where to write the snapshot JSON")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("OLD", "NEW"))
    args = ap.parse_args(argv)
    if args.compare:
        old, new = (json.loads(p.read_text(encoding="utf-8")) for p in args.compare)
        lines = compare(old, new)
        print("\n".join(lines) if lines else "no change")
        return 1 if lines else 0
    if not args.output:
        ap.error("-o OUT.json is required (or use --compare)")
    if not args.corpus.is_dir():
        print(f"corpus_snapshot: error: {args.corpus}: corpus not found", file=sys.stderr)
        return 2
    snap = take(args.corpus, args.limit)
    args.output.write_text(json.dumps(snap, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    s = snap["summary"]
    print(f"{s['files']} files, {s['crashes']} crashes, changed {s['changed']}")
    print("findings: " + ", ".join(f"{c}×{n}" for c, n in s["findings"].items()))
    for mode in ("safe", "unsafe"):
        print(f"fixed ({mode}): " + ", ".join(f"{c}×{n}" for c, n in s["fixed"][mode].items()))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
