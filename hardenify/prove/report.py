"""The proof evidence as Markdown, for the bulk PR body and the fleet report."""

from __future__ import annotations

from collections.abc import Sequence

from hardenify.prove.model import Proof, Verdict
from hardenify.report.markdown_util import code, escape, table


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
