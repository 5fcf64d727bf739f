"""The engine's contracts: selection, pragmas, overrides, fixpoint, refusal, redaction."""

from __future__ import annotations

import pytest

from hardenify import engine
from hardenify.context import CheckContext, safe_fix
from hardenify.diagnostics import Edit, Severity
from hardenify.rules import Rule, all_rules, resolve_selection
from hardenify.settings import Settings

ROOT_DF = "FROM debian:12\nRUN pip install x\n"


def codes(text: str, settings: Settings, filename: str = "Dockerfile") -> list[str]:
    return [d.code for d in engine.lint(filename, text, "dockerfile", settings).diagnostics]


def test_every_rule_module_is_well_formed() -> None:
    rules = all_rules()
    assert len({r.code for r in rules}) == len(rules)
    for r in rules:
        assert r.check is not None
        assert r.summary and r.what and r.why and r.example, r.code
        assert r.code[:3] in ("HF0", "HF1", "HF2", "HF3", "HF4", "HF5", "HF6", "HF7"), r.code


def test_selection_specificity_like_ruff() -> None:
    enabled = resolve_selection(("HF1",), ignore=("HF101",))
    assert "HF101" not in enabled and all(c.startswith("HF1") for c in enabled)
    assert "HF101" in resolve_selection(("HF101",), ignore=("HF1",))
    assert resolve_selection((), ()) == frozenset()


def test_per_file_ignores_and_severity_override() -> None:
    s = Settings(per_file_ignores={"docker/dev/*": ("HF101",)}, severity={"HF101": Severity.INFO})
    assert "HF101" not in codes(ROOT_DF, s, "docker/dev/Dockerfile")
    ds = engine.lint("Dockerfile", ROOT_DF, "dockerfile", s).diagnostics
    assert [d.severity for d in ds if d.code == "HF101"] == [Severity.INFO]
    assert not engine.fails(next(d for d in ds if d.code == "HF101"), Settings(fail_on=Severity.WARNING))


def test_ignore_file_pragma_and_bare_ignore() -> None:
    assert "HF101" not in codes("# hardenify: ignore-file[HF101]\n" + ROOT_DF, Settings())
    assert codes("# hardenify: ignore-file\n" + ROOT_DF, Settings()) == []
    text = "FROM debian:12\n# hardenify: ignore\nRUN pip install x\n"
    assert "HF406" not in codes(text, Settings()) and "HF101" in codes(text, Settings())


def test_stacked_pragmas_apply_to_next_instruction() -> None:
    text = "FROM debian:12\n# hardenify: ignore[HF406]\n# hadolint ignore=DL3013\nRUN pip install x\nRUN pip install y\n"
    ds = engine.lint("Dockerfile", text, "dockerfile", Settings(select=("HF406",))).diagnostics
    assert [d.location.row for d in ds] == [5]


def _rule(code: str, name: str) -> Rule:
    return Rule(code=code, name=name, severity=Severity.ERROR, summary="s", what="w", why="y", example="e")


def test_fix_loop_refuses_when_fixes_fight(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two fixes that undo each other never settle: the file is left alone with a reason."""
    a, b = _rule("HF998", "flip"), _rule("HF999", "flop")

    def flip(ctx: CheckContext):  # type: ignore[no-untyped-def]
        if "A" in ctx.text:
            i = ctx.text.index("A")
            yield ctx.diagnostic(a, i, i + 1, "A", fix=safe_fix("to B", Edit(i, i + 1, "B")))

    def flop(ctx: CheckContext):  # type: ignore[no-untyped-def]
        if "B" in ctx.text:
            i = ctx.text.index("B")
            yield ctx.diagnostic(b, i, i + 1, "B", fix=safe_fix("to A", Edit(i, i + 1, "A")))

    object.__setattr__(a, "check", flip)
    object.__setattr__(b, "check", flop)
    monkeypatch.setattr(engine, "all_rules", lambda: (a, b))
    monkeypatch.setattr("hardenify.rules.all_rules", lambda: (a, b))
    res = engine.fix_text("Dockerfile", "FROM x\n# A\n", "dockerfile", Settings())
    assert res.refused and "did not settle" in res.refused
    assert res.text == "FROM x\n# A\n" and not res.fixed


def test_fix_refuses_output_buildkit_rejects(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = _rule("HF997", "breaks-file")

    def breaker(ctx: CheckContext):  # type: ignore[no-untyped-def]
        if "ENV A=1" in ctx.text:
            i = ctx.text.index("ENV A=1")
            yield ctx.diagnostic(bad, i, i + 7, "x", fix=safe_fix("break", Edit(i, i + 7, "ENV A")))

    object.__setattr__(bad, "check", breaker)
    monkeypatch.setattr(engine, "all_rules", lambda: (bad,))
    monkeypatch.setattr("hardenify.rules.all_rules", lambda: (bad,))
    res = engine.fix_text("Dockerfile", "FROM x\nENV A=1\n", "dockerfile", Settings())
    assert res.refused and "BuildKit" in res.refused
    assert res.text == "FROM x\nENV A=1\n"


def test_redaction_applies_to_messages() -> None:
    token = "ghp_" + "Q1" * 18
    text = f"FROM debian:12\nENV GITHUB_TOKEN={token}\nRUN echo $GITHUB_TOKEN\n"
    res = engine.lint("Dockerfile", text, "dockerfile", Settings())
    assert res.redactor.secrets, "the secret must be registered"
    for d in res.diagnostics:
        assert token not in d.message and token not in (d.note or "")
        if d.fix:
            assert all(token not in e.content for e in d.fix.edits)


def test_redaction_never_changes_what_is_written() -> None:
    """A secret whose value also appears in a fix's text must not corrupt the fixed file."""
    text = "FROM python:3.12\nENV DB_PASSWORD=recommends\nRUN apt-get install -y curl\n"
    res = engine.fix_text("Dockerfile", text, "dockerfile", Settings(select=("HF402",), unsafe_fixes=True))
    assert "recommends" in res.redactor.secrets  # registered although HF302 was not selected
    assert "RUN apt-get install -y --no-install-recommends curl\n" in res.text
    assert "REDACTED" not in res.text


def test_insertions_at_one_point_go_in_one_per_pass() -> None:
    """Their order can be semantic (a top-level block vs a service's keys at end of file)."""
    text = "abc"
    fixes = [safe_fix("1", Edit(3, 3, "X")), safe_fix("2", Edit(3, 3, "Y")), safe_fix("3", Edit(0, 1, "A"))]
    out, applied = engine.apply_edits(text, fixes)
    assert out == "AbcX" and len(applied) == 2


def test_unsafe_fixes_for_allows_one_rules_unsafe_fix() -> None:
    text = "FROM python:3.12\nRUN apt-get install -y curl\nEXPOSE 22\n"
    s = Settings(select=("HF402", "HF503"), unsafe_fixes_for=frozenset({"HF402"}))
    res = engine.fix_text("Dockerfile", text, "dockerfile", s)
    assert "--no-install-recommends" in res.text and "EXPOSE 22" in res.text
    assert res.unsafe_available == 1  # HF503's, still behind --unsafe-fixes


def test_checking_leaves_no_reference_cycles() -> None:
    """Per-file caches (the model's memos, cached scripts) must not point back at what holds
    them: a cycle leaves every parsed file to the cyclic GC instead of freeing it at once."""
    import gc
    from pathlib import Path

    from hardenify.engine import parse_dockerfile

    root = Path(__file__).resolve().parent.parent / "samples"
    texts = [p.read_text() for p in sorted(root.glob("*/Dockerfile"))]
    texts.append(
        "FROM debian:12\nONBUILD RUN sudo apt-get install curl\n"
        "RUN sh -c 'chmod 777 /srv' && cd /srv && curl -k https://x | sh\n"
        "RUN <<EOF\napt-get update\nEOF\nUSER root\nCMD gosu app run\n"
    )
    assert len(texts) > 3
    settings = Settings(unsafe_fixes=True)
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        for text in texts:
            engine.lint("Dockerfile", text, "dockerfile", settings)
            engine.fix_text("Dockerfile", text, "dockerfile", settings)
        parse_dockerfile.cache_clear()
        assert gc.collect() == 0
    finally:
        if was:
            gc.enable()
