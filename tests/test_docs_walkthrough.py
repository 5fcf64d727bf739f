"""docs/adding-a-rule.md stays true: its code imports names that exist, and its example rule,
run against the core as it is today, passes the example's own tests."""

from __future__ import annotations

import ast
import importlib
import re
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "adding-a-rule.md"
BLOCK = re.compile(r"```python\n# file: (?P<file>[^\n]+)\n(?P<code>.*?)```", re.S)


def _blocks() -> dict[str, str]:
    return {m["file"].split(" ")[0]: m["code"] for m in BLOCK.finditer(DOC.read_text(encoding="utf-8"))}


def test_the_walkthrough_has_its_three_files() -> None:
    files = _blocks()
    assert any(f.startswith("fixers/hf") for f in files)
    assert any(f.startswith("tests/fixers/test_hf") for f in files)
    assert any(f.startswith("hardenify/knowledge/") for f in files)


def _imports(code: str) -> Iterator[tuple[str, str]]:
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hardenify"):
            for alias in node.names:
                yield node.module, alias.name


def test_every_hardenify_name_it_imports_exists() -> None:
    files = _blocks()
    added = {  # names the walk-through itself adds (its knowledge step)
        t.id
        for path, code in files.items()
        if path.startswith("hardenify/")
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    missing = []
    for code in files.values():
        for module, name in _imports(code):
            if name in added:
                continue
            mod = importlib.import_module(module)
            if not hasattr(mod, name) and importlib.util.find_spec(f"{module}.{name}") is None:
                missing.append(f"{module}.{name}")
    assert missing == []


def _rule_module(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    files = _blocks()
    for path, code in files.items():
        if path.startswith("hardenify/"):
            target = importlib.import_module(path.removesuffix(".py").replace("/", "."))
            scratch: dict[str, Any] = {}
            exec(compile(code, path, "exec"), scratch)
            for key, value in scratch.items():
                if not key.startswith("__"):
                    monkeypatch.setattr(target, key, value, raising=False)
    (path, code) = next((p, c) for p, c in files.items() if p.startswith("fixers/"))
    mod = types.ModuleType("walkthrough_rule")
    exec(compile(code, path, "exec"), mod.__dict__)
    return mod


def test_the_example_rule_passes_its_own_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    from hardenify.dockerfile.edits import apply_fixes
    from hardenify.engine import make_context
    from hardenify.settings import Settings

    rule = _rule_module(monkeypatch)

    def findings(text: str, code: str) -> list[Any]:
        assert code == rule.RULE.code
        ctx = make_context("Dockerfile", text, "dockerfile", Settings())
        return list(rule.check(ctx))

    def codes(text: str, code: str) -> list[str]:
        return [d.code for d in findings(text, code)]

    def fixed(text: str, code: str) -> str:
        for _ in range(10):
            fixes = [d.fix for d in findings(text, code) if d.fix is not None]
            if not fixes:
                return text
            text, _applied = apply_fixes(text, fixes)
        raise AssertionError("the example's fixes do not reach a fixpoint")

    test_code = next(c for p, c in _blocks().items() if p.startswith("tests/"))
    test_code = test_code.replace("from tests.fixers.util import codes, findings, fixed\n", "")
    namespace: dict[str, Any] = {"codes": codes, "findings": findings, "fixed": fixed}
    exec(compile(test_code, "walkthrough-tests", "exec"), namespace)
    tests: list[Callable[[], None]] = [v for k, v in namespace.items() if k.startswith("test_")]
    assert len(tests) >= 3
    for test in tests:
        test()
