"""The layering the core promises, read from the source with `ast` (nothing is imported).

- No module under `hardenify/` imports a rule module or rule helper (`fixers`, `hardenify.fixers`),
  at the top or inside a function. The registry (`hardenify/rules.py`) loads rules by name through
  `importlib.import_module`: that is the one allowed entry, and it is dynamic, so not an import here.
- `hardenify/bulk`, `hardenify/commands` and the fleet report (`hardenify/bulk/report`) form no
  import cycle.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "hardenify"
SKIP = {"fixers", "templates"}  # worktree symlinks to the top-level rule and template packages


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[1] in SKIP:
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def _imports(module: str, path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every import statement, at any depth; relative ones resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:  # `from hardenify import fixers`, `from . import report`
                yield node.lineno, f"{base}.{alias.name}"


def _is_fixers(name: str) -> bool:
    return name == "fixers" or name.startswith(("fixers.", "hardenify.fixers"))


def _fixers_imports() -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for module, path in _modules()
        for line, name in _imports(module, path)
        if _is_fixers(name)
    ]


def test_no_core_module_imports_fixers() -> None:
    assert _fixers_imports() == []


def test_no_import_cycle_among_bulk_commands_and_report() -> None:
    scope = ("hardenify.bulk", "hardenify.commands")
    modules = {m: p for m, p in _modules() if m.startswith(scope)}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for m, p in modules.items():
        for _, name in _imports(m, p):
            while name and name not in modules:  # `from pkg import name`: the module, or its package
                name = name.rpartition(".")[0]
            if name and name != m:
                graph[m].add(name)
    state: dict[str, int] = {}  # 1: on the DFS stack, 2: done
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return [*stack[stack.index(n) :], n]
            if n not in state:
                cycle = visit(n)
                if cycle:
                    return cycle
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            cycle = visit(m)
            assert cycle is None, " -> ".join(cycle)


def test_fixers_holds_rules_and_small_family_helpers() -> None:
    """`fixers/` is rules (`hfNNN_*` modules or packages) plus family helpers under 400 lines;
    analysis two families share belongs in `hardenify/`."""
    fixers = ROOT / "fixers"
    strays: list[str] = []
    for path in sorted(fixers.iterdir()):
        name = path.name
        if name in ("__init__.py", "__pycache__") or re.fullmatch(r"hf\d{3}_[a-z0-9_]+(\.py)?", name):
            continue
        if name.startswith("_") and name.endswith(".py"):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines < 400:
                continue
            strays.append(f"{name}: {lines} lines (a family helper stays under 400)")
        else:
            strays.append(f"{name}: neither a rule nor a family helper")
    assert strays == []
