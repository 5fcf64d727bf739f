"""Corpus gates for the fixes that must keep images working (issue 14 items 1-4 and 10).

`fix --unsafe-fixes` over every corpus Dockerfile must never:
- put a RUN into a stage whose base has no shell (distroless, scratch, Chainguard...);
- write a root USER;
- add a USER to an image that installs or calls a privilege dropper (gosu, supervisord...);
- turn a uid taken from a build argument into a literal;
- add an unpinned FROM to a file whose FROMs are all pinned by digest.

The counts and the HF101 figures are printed (run with -s); `gate_counts` is importable so the
same measurement can be run against an older checkout.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from hardenify import engine
from hardenify.dockerfile import parse
from hardenify.dockerfile.model import Dockerfile, Stage, split_words, substitute
from hardenify.knowledge.bases import has_shell
from hardenify.runner import SourceError, read_source
from hardenify.settings import Settings

GATES = (
    "run_in_shell_less_stage",
    "root_user_written",
    "user_with_dropper",
    "arg_uid_literal",
    "new_unpinned_from",
)
_ARG_UID = re.compile(r"(?:-u|--uid)[ =]+\"?\$\{?([A-Za-z_]\w*)")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}")


def _root_image(df: Dockerfile, stage: Stage) -> str:
    from hardenify.dockerfile.users import base_image

    return base_image(stage)


def _shell_less_runs(df: Dockerfile) -> int:
    return sum(
        1
        for st in df.stages
        if not has_shell(_root_image(df, st))
        for i in st.instructions
        if i.cmd == "RUN" and i.flag("mount") is None
    )


def _user_lines(text: str) -> Counter[str]:
    return Counter(
        ln.strip() for ln in text.splitlines() if re.match(r"\s*(?:onbuild\s+)?user\s", ln, re.I) is not None
    )


def _is_root_spec(spec: str, env: dict[str, str | None]) -> bool:
    value = substitute(spec, env) if "$" in spec else spec
    return value.split(":", 1)[0] in ("root", "0") or spec.split(":", 1)[0] in ("root", "0")


def _pinned_froms(df: Dockerfile) -> tuple[int, int]:
    """(FROMs of images, those pinned by digest); stage references and scratch do not count."""
    names = {s.name.lower() for s in df.stages if s.name}
    images = [s.image for s in df.stages if s.image.lower() not in names and s.image.lower() != "scratch"]
    return len(images), sum(1 for i in images if _DIGEST.search(i))


def file_gates(text: str, fixed: str) -> Counter[str]:
    """The gate violations one fixed file shows."""
    from hardenify.dockerfile.droppers import root_start
    from hardenify.dockerfile.stages import stage_env

    out: Counter[str] = Counter()
    before, after = parse(text), parse(fixed)
    if _shell_less_runs(after) > _shell_less_runs(before):
        out["run_in_shell_less_stage"] += 1
    added = _user_lines(fixed) - _user_lines(text)
    env: dict[str, str | None] = {}
    if after.final_stage is not None:
        env = stage_env(after, after.final_stage)
    for line in added:
        words = split_words(
            line.split(None, 2)[-1] if line.lower().startswith("onbuild") else line.split(None, 1)[1]
        )
        if words and _is_root_spec(words[0], env):
            out["root_user_written"] += 1
        if words and re.fullmatch(r"\d+(?::\d+)?", words[0]):
            defaults = {m.group(1) for m in _ARG_UID.finditer(text)}
            values = {env.get(n) for n in defaults} | {before.global_args.get(n) for n in defaults}
            if words[0].split(":", 1)[0] in values:
                out["arg_uid_literal"] += 1
    if added and before.final_stage is not None:
        if root_start(before.final_stage.chain_instructions) is not None:
            out["user_with_dropper"] += 1
    n, pinned = _pinned_froms(before)
    n2, pinned2 = _pinned_froms(after)
    if n and n == pinned and n2 != pinned2:
        out["new_unpinned_from"] += 1
    return out


def gate_counts(corpus: Path) -> tuple[Counter[str], Counter[str], int]:
    """(gate violations, HF101 outcomes over Linux final stages, files) for the whole corpus."""
    settings = Settings(unsafe_fixes=True)
    gates: Counter[str] = Counter()
    hf101: Counter[str] = Counter()
    files = 0
    for p in sorted((corpus / "dockerfiles").iterdir()):
        try:
            text = read_source(p)
        except SourceError:
            continue
        files += 1
        df = parse(text)
        linux = not df.is_windows and df.final_stage is not None
        res = engine.fix_text(p.name, text, "dockerfile", settings)
        if linux:
            hf101["linux_final_stages"] += 1
            if res.fixed.get("HF101"):
                hf101["user_added"] += 1
            else:
                left = [d for d in res.remaining if d.code == "HF101"]
                if left and "left for a human" in left[0].message:
                    hf101["declined_with_reason"] += 1
                elif left:
                    hf101["declined_other_reason"] += 1
                else:
                    hf101["not_root"] += 1
        if res.changed:
            gates.update(file_gates(text, res.text))
    return gates, hf101, files


@pytest.fixture(scope="module")
def measured(corpus_dir: Path) -> tuple[Counter[str], Counter[str], int]:
    return gate_counts(corpus_dir)


def test_corpus_user_gates_hold(measured: tuple[Counter[str], Counter[str], int]) -> None:
    gates, hf101, files = measured
    print(f"\n{files} files; gate violations: " + ", ".join(f"{g}={gates[g]}" for g in GATES))
    total = hf101["linux_final_stages"] or 1
    print(
        "HF101 over Linux final stages: "
        + ", ".join(f"{k}={v} ({100 * v / total:.1f}%)" for k, v in sorted(hf101.items()))
    )
    assert {g: gates[g] for g in GATES} == dict.fromkeys(GATES, 0)


def test_every_hf101_decline_says_why(measured: tuple[Counter[str], Counter[str], int]) -> None:
    _gates, hf101, _files = measured
    assert hf101["user_added"] > 0
    assert hf101["declined_with_reason"] > 0
