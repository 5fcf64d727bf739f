"""The proof evidence as Markdown, for the bulk PR body and the fleet report."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hardenify.bulk.report.markdown_util import code, escape, table
from hardenify.prove.model import Proof, Verdict


def markdown(proofs: Sequence[Proof]) -> list[str]:
    """A short table per run: Dockerfile, verdict, evidence (strings are already redacted)."""
    if not proofs:
        return []
    out = [
        "",
        "### Proof: built and run before and after",
        "",
        "Each changed Dockerfile was built as it was and as fixed, from the same context, and both images "
        "were started with `--read-only --cap-drop=ALL --security-opt=no-new-privileges --network=none`.",
        "",
    ]
    rows = [[code(p.path), escape(p.headline()), escape("; ".join(p.evidence()))] for p in proofs]
    out += table(["Dockerfile", "Verdict", "Evidence"], rows)
    reverted = [p for p in proofs if p.verdict is Verdict.REVERTED and not p.kept]
    if reverted:
        out += ["", "Reverted fixes are not in this change; the file keeps its original text."]
    return out


def counts(proofs: Sequence[Proof]) -> dict[str, int]:
    """{"proven": n, "unproven": n, "reverted": n} (every verdict present, for stable JSON)."""
    out = {v.value: 0 for v in Verdict}
    for p in proofs:
        out[p.verdict.value] += 1
    return out


# ---------------------------------------------------------------------- the fleet report

PROOF_FILE = "PROOF.json"  # in <git dir>/hardenify/, beside bulk's PR_BODY.md
_MAX_PROOF_BYTES = 4 << 20


def save(git_dir: Path, proofs: Sequence[Proof]) -> None:
    """Keep a repository's proofs where `hardenify report` finds them."""
    from hardenify.writeback import atomic_write

    target = git_dir / "hardenify" / PROOF_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, json.dumps([p.as_json() for p in proofs], indent=2, sort_keys=True) + "\n")


def load(repo_root: Path) -> list[dict[str, Any]]:
    """The proofs the last `bulk --prove` saved in this repository ([] when none or unusable)."""
    from hardenify.safeio import read_bytes

    path = repo_root / ".git" / "hardenify" / PROOF_FILE
    try:
        data = json.loads(read_bytes(path, _MAX_PROOF_BYTES))
    except (OSError, ValueError):
        return []
    if not isinstance(data, list):
        return []
    out = []
    for p in data:
        if isinstance(p, dict) and all(isinstance(p.get(k), str) for k in ("path", "verdict", "reason")):
            ev = p.get("evidence")
            evidence = [str(e) for e in ev] if isinstance(ev, list) else []
            out.append(
                {"path": p["path"], "verdict": p["verdict"], "reason": p["reason"], "evidence": evidence}
            )
    return out


def fleet_markdown(repos: Sequence[tuple[str, Sequence[Mapping[str, Any]]]]) -> list[str]:
    """ "Proofs" section of the fleet report: one row per proven/unproven/reverted Dockerfile."""
    rows = []
    tally = {v.value: 0 for v in Verdict}
    for name, proofs in repos:
        for p in proofs:
            verdict = str(p["verdict"]) + (f": {p['reason']}" if p.get("reason") else "")
            tally[str(p["verdict"])] = tally.get(str(p["verdict"]), 0) + 1
            rows.append(
                [
                    escape(name),
                    code(str(p["path"])),
                    escape(verdict),
                    escape("; ".join(p.get("evidence") or [])),
                ]
            )
    if not rows:
        return []
    summary = ", ".join(f"{n} {v}" for v, n in tally.items())
    out = [
        "",
        "## Proofs (`bulk --prove`)",
        "",
        f"Dockerfiles built and run before and after their fix: {summary}.",
        "",
    ]
    return out + table(["Repository", "Dockerfile", "Verdict", "Evidence"], rows)
