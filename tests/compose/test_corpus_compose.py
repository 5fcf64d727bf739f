"""The compose rules on the real-world corpus: lossless, crash-free, idempotent, schema-valid.

Run with `-s` to see the counts. The fix runs once per file (module fixture) and every test
checks one property of those results.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from hardenify.compose import parse
from hardenify.engine import FixResult, fix_text
from hardenify.settings import Settings

SETTINGS = Settings(select=("HF6",), unsafe_fixes=True)


@dataclass
class Run:
    files: dict[str, str] = field(default_factory=dict)
    results: dict[str, FixResult] = field(default_factory=dict)
    crashes: dict[str, str] = field(default_factory=dict)


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="surrogateescape")


@pytest.fixture(scope="module")
def run(corpus_dir: Path) -> Run:
    compose = corpus_dir / "compose"
    if not compose.is_dir():
        pytest.skip(f"no compose corpus at {compose}")
    out = Run()
    for path in sorted(compose.iterdir()):
        if not path.is_file():
            continue
        text = _read(path)
        out.files[path.name] = text
        try:
            out.results[path.name] = fix_text(path.name, text, "compose", SETTINGS)
        except Exception as exc:  # reported by test_no_crash with the file name
            out.crashes[path.name] = f"{type(exc).__name__}: {exc}"
    return out


@pytest.fixture(scope="module")
def validator(corpus_dir: Path) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = corpus_dir.parent / "schemas" / "compose-spec.json"
    if not schema_path.is_file():
        pytest.skip(f"compose schema not found at {schema_path}")
    return jsonschema.Draft7Validator(json.loads(schema_path.read_text()))


def _valid(validator: Any, text: str) -> bool:
    from ruamel.yaml import YAML

    try:
        docs = list(YAML(typ="safe").load_all(text))
    except Exception:
        return False
    return bool(docs) and all(d is not None and not any(True for _ in validator.iter_errors(d)) for d in docs)


def test_round_trip_is_byte_identical(corpus_dir: Path) -> None:
    compose = corpus_dir / "compose"
    if not compose.is_dir():
        pytest.skip(f"no compose corpus at {compose}")
    paths = sorted(p for p in compose.iterdir() if p.is_file())
    assert paths
    for path in paths:
        text = _read(path)
        cf = parse(text)
        assert cf.render() == text, path.name
        assert cf.error is None, f"{path.name}: {cf.error}"


def test_no_crash(run: Run) -> None:
    assert not run.crashes, run.crashes


def test_fix_is_accepted_and_idempotent(run: Run) -> None:
    refused = {name: r.refused for name, r in run.results.items() if r.refused}
    assert not refused, refused
    for name, res in run.results.items():
        if res.changed:
            again = fix_text(name, res.text, "compose", SETTINGS)
            assert again.text == res.text, f"{name}: a second fix changed the file again"
            assert not again.fixed, name


def test_fixes_keep_files_valid_and_report_counts(run: Run, validator: Any) -> None:
    fired = sum(1 for r in run.results.values() if r.fixed or r.remaining)
    fixed = sum(1 for r in run.results.values() if r.changed)
    refused = sum(1 for r in run.results.values() if r.refused)
    valid_before = valid_after = 0
    broken: list[str] = []
    per_rule: Counter[str] = Counter()
    for name, res in run.results.items():
        per_rule.update(res.fixed)
        if _valid(validator, run.files[name]):
            valid_before += 1
            if _valid(validator, res.text):
                valid_after += 1
            else:
                broken.append(name)
    files = len(run.files)
    print(
        f"\ncompose corpus: files={files} fired={fired} fixed={fixed} refused={refused} "
        f"valid_before={valid_before} valid_after={valid_after}\nfixes per rule: {dict(sorted(per_rule.items()))}"
    )
    assert not broken, f"schema-valid before, invalid after the fix: {broken}"
    assert valid_after == valid_before
    assert files >= 100
    assert fired >= 0.9 * files
    assert fixed >= 0.8 * files
    assert refused == 0


def test_unverified_fixes_are_rare(run: Run) -> None:
    """A fix the model could not verify is withheld (and said so); it should almost never happen."""
    withheld = [
        (name, d.code, d.location.row)
        for name, r in run.results.items()
        for d in r.remaining
        if d.note and "did not re-load" in d.note
    ]
    assert len(withheld) <= 2, withheld
