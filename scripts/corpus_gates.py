"""Print issue 14's corpus gates and HF101 figures over `../shared/corpus` in one run.

    python scripts/corpus_gates.py [CORPUS_DIR]

Counts before a change, classified by this checkout's gates:

    PYTHONPATH=/path/to/old-checkout python scripts/corpus_gates.py --dump old.json [CORPUS_DIR]
    python scripts/corpus_gates.py --before old.json [CORPUS_DIR]

The classifiers are the gate tests' own (`tests/test_corpus_user_gates.py`,
`tests/test_corpus_fixes_keep_working.py`, `tests/test_corpus_fixed_point_gates.py`), applied here to one
fix with every rule (the apt gate, like CI, fixes with HF402 alone so lines stay aligned). Exit 1 on any
violation.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if "--dump" not in sys.argv:  # a dump runs the hardenify on PYTHONPATH, not this checkout's
    sys.path.insert(0, str(ROOT))


def dump(corpus: Path, out: Path) -> int:
    """Write {file: {fixed, second_changes, fixed_402}} as the hardenify on the path fixes each file."""
    import json

    try:  # an editable install maps hardenify.fixers to its own checkout: use the path's rules
        import fixers

        sys.modules["hardenify.fixers"] = fixers
    except ModuleNotFoundError:
        pass
    from hardenify import engine
    from hardenify.runner import SourceError, read_source
    from hardenify.settings import Settings

    every, only_402 = Settings(unsafe_fixes=True), Settings(select=("HF402",), unsafe_fixes=True)
    res = {}
    for p in sorted((corpus / "dockerfiles").iterdir()):
        try:
            text = read_source(p)
        except SourceError:
            continue
        fixed = engine.fix_text(p.name, text, "dockerfile", every).text
        again = engine.fix_text(p.name, fixed, "dockerfile", every).text
        res[p.name] = {
            "text": text,
            "fixed": fixed,
            "second_changes": again != fixed,
            "fixed_402": engine.fix_text(p.name, text, "dockerfile", only_402).text,
        }
    out.write_text(json.dumps(res))
    return 0


def before(corpus: Path, dumped: Path) -> int:
    """Print the gate violations of a dump (see `dump`), classified by this checkout's gates."""
    import json
    from collections import Counter

    from tests.test_corpus_fixes_keep_working import (
        _HTTPS_DOWNLOAD,
        fetching_add_lines,
        text_after_first_change,
    )
    from tests.test_corpus_user_gates import file_gates

    gates: Counter[str] = Counter()
    for v in json.loads(dumped.read_text()).values():
        text, fixed, f402 = v["text"], v["fixed"], v["fixed_402"]
        if fixed != text:
            gates.update(file_gates(text, fixed))
        gates["fetching_add_to_copy"] += max(
            0, len(fetching_add_lines(text)) - len(fetching_add_lines(fixed))
        )
        if "install" in text and _HTTPS_DOWNLOAD.search(text):
            if f402.count("--no-install-recommends") > text.count("--no-install-recommends"):
                if _HTTPS_DOWNLOAD.search(text_after_first_change(text, f402)):
                    gates["recommends_without_ca"] += "ca-certificates" not in f402
        gates["second_pass_changes"] += v["second_changes"]
    print(f"before ({dumped}): " + ", ".join(f"{k}={n}" for k, n in sorted(gates.items())))
    return 0


def _count_candidates(text: str, counts: dict[str, int]) -> None:
    """The files each gate can catch, read like the gates read them."""
    from hardenify.dockerfile import parse
    from hardenify.dockerfile.droppers import root_start
    from hardenify.knowledge.bases import has_shell
    from tests.test_corpus_user_gates import _ARG_UID, _pinned_froms, _root_image

    df = parse(text)
    counts["shell_less"] += any(not has_shell(_root_image(df, st)) for st in df.stages)
    final = df.final_stage
    counts["dropper"] += final is not None and root_start(final.chain_instructions) is not None
    n, pinned = _pinned_froms(df)
    counts["all_pinned"] += bool(n) and n == pinned
    counts["arg_uid"] += _ARG_UID.search(text) is not None


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] in ("--dump", "--before"):
        corpus = Path(argv[2]).resolve() if len(argv) > 2 else ROOT.parent / "shared" / "corpus"
        return (dump if argv[0] == "--dump" else before)(corpus, Path(argv[1]))
    from hardenify import engine
    from hardenify.runner import SourceError, read_source
    from hardenify.settings import Settings
    from tests.conftest import corpus_path
    from tests.test_corpus_fixed_point_gates import dockerfile_fixed_point, tree_fixed_point
    from tests.test_corpus_fixes_keep_working import (
        _HTTPS_DOWNLOAD,
        _fix,
        fetching_add_lines,
        text_after_first_change,
    )
    from tests.test_corpus_user_gates import GATES, gate_counts

    corpus = Path(argv[0]).resolve() if argv else corpus_path()
    if not (corpus / "dockerfiles").is_dir():
        print(f"corpus_gates: error: {corpus}: no corpus (dockerfiles/) there", file=sys.stderr)
        return 2

    gates, hf101, files = gate_counts(corpus)
    adds = broken_adds = https_flagged = https_missing = 0
    candidates = dict.fromkeys(("shell_less", "dropper", "all_pinned", "arg_uid"), 0)
    unsafe = Settings(unsafe_fixes=True)
    for p in sorted((corpus / "dockerfiles").iterdir()):
        try:
            text = read_source(p)
        except SourceError:
            continue
        fixed = engine.fix_text(p.name, text, "dockerfile", unsafe).text
        _count_candidates(text, candidates)
        lines = fetching_add_lines(text)
        adds += len(lines)
        # Other rules insert lines, so count the fetching ADDs instead of matching line numbers.
        broken_adds += max(0, len(lines) - len(fetching_add_lines(fixed)))
        if "install" not in text or not _HTTPS_DOWNLOAD.search(text):
            continue
        # Like the CI gate, HF402 alone: its edits only insert words, so the lines stay aligned.
        only_402 = _fix(p.name, text, "HF402")
        if only_402.count("--no-install-recommends") > text.count("--no-install-recommends"):
            if _HTTPS_DOWNLOAD.search(text_after_first_change(text, only_402)):
                https_flagged += 1
                https_missing += "ca-certificates" not in only_402
    _files, df_changed, df_moving = dockerfile_fixed_point(corpus)
    trees, tree_moving = tree_fixed_point(corpus)

    print(f"corpus: {corpus} ({files} Dockerfiles), fix --unsafe-fixes, all rules")
    print(f"{'gate (candidates)':<64}checked   violations")
    rows = [
        (
            "no RUN in a shell-less stage (files with one)",
            candidates["shell_less"],
            gates["run_in_shell_less_stage"],
        ),
        ("no root USER written (all files)", files, gates["root_user_written"]),
        ("no quoted-URL/git/archive ADD turned into COPY (ADDs)", adds, broken_adds),
        ("no USER added where a privilege dropper runs", candidates["dropper"], gates["user_with_dropper"]),
        ("no new unpinned FROM in an all-pinned file", candidates["all_pinned"], gates["new_unpinned_from"]),
        ("no --no-install-recommends without ca-certificates", https_flagged, https_missing),
        ("no ARG-driven uid turned literal", candidates["arg_uid"], gates["arg_uid_literal"]),
        ("one pass reaches the fixed point (Dockerfiles changed)", df_changed, len(df_moving)),
        ("one pass reaches the fixed point (repo trees, compose)", trees["trees"], len(tree_moving)),
    ]
    for name, checked, bad in rows:
        print(f"{name:<64}{checked:>7}   {bad:>10}")
    print(f"  (compose files changed in those trees: {trees['compose_files_changed']})")
    total = hf101["linux_final_stages"]
    neither = total - hf101["user_added"] - hf101["declined_with_reason"]
    print(f"HF101 over {total} Linux final stages:")
    for label, n in (
        ("USER added", hf101["user_added"]),
        ("declined with a reason", hf101["declined_with_reason"]),
        ("neither (already non-root)", hf101["not_root"]),
        ("neither (declined without a reason)", hf101["declined_other_reason"]),
    ):
        print(f"  {label:<38}{n:>6}  {100 * n / (total or 1):5.1f}%")
    assert neither == hf101["not_root"] + hf101["declined_other_reason"]
    violations = (
        sum(gates[g] for g in GATES) + broken_adds + https_missing + len(df_moving) + len(tree_moving)
    )
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
