"""Gates of issue 15 over the compose corpus: the unsafe fixes keep services able to start.

Each gate counts, over `../shared/corpus/compose` fixed with `--unsafe-fixes` (HF6 rules), what
the fix introduced (a setting present after the fix and absent before):

- `missing_secret_files`: `secrets: … file:` references added by the fix (the corpus has no
  files beside the compose files, so every added reference would point at nothing);
- `dropper_without_setid`: services of an image family that starts as root and drops privileges
  itself (and no non-root `user:` overrides that), given `cap_drop: [ALL]` without SETUID and SETGID in `cap_add`;
- `read_only_without_paths`: services given `read_only: true` whose image's writable paths are
  unknown, or known and not all mounted;
- `memory_under_heap`: memory limits added below a heap or memory size the service configures.

Run `python -m tests.compose.test_corpus_gates DIR` to count an already fixed copy of the corpus
(files named as in the corpus), e.g. one fixed by an older hardenify.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from hardenify.compose.service import interpolate
from hardenify.engine import fix_text
from hardenify.imageref import try_parse_ref
from hardenify.knowledge.images import family, image_key
from hardenify.settings import Settings

SETTINGS = Settings(select=("HF6",), unsafe_fixes=True)
GATES = ("missing_secret_files", "dropper_without_setid", "read_only_without_paths", "memory_under_heap")
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def _load(text: str) -> list[Any]:
    from ruamel.yaml import YAML

    try:
        return [d for d in YAML(typ="safe").load_all(text) if isinstance(d, dict)]
    except Exception:
        return []


def _services(docs: Iterable[Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for i, doc in enumerate(docs):
        services = doc.get("services")
        if isinstance(services, dict):
            for name, svc in services.items():
                if isinstance(svc, dict):
                    out[f"{i}/{name}"] = svc
    return out


def _secret_files(docs: Iterable[Any]) -> set[str]:
    out: set[str] = set()
    for doc in docs:
        secrets = doc.get("secrets")
        if isinstance(secrets, dict):
            out |= {str(v["file"]) for v in secrets.values() if isinstance(v, dict) and "file" in v}
    return out


def _family(svc: Mapping[str, Any]) -> Any:
    image = svc.get("image")
    if not isinstance(image, str) or "build" in svc:
        return None
    resolved = interpolate(image)
    ref = try_parse_ref(resolved.strip().lower()) if resolved else None
    return family(image_key(ref), (ref.tag or "latest").lower()) if ref is not None else None


def _caps(value: Any) -> set[str]:
    return {str(c).upper().removeprefix("CAP_") for c in value} if isinstance(value, list) else set()


def _mounted(svc: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for v in svc.get("volumes") or []:
        if isinstance(v, str):
            parts = v.split(":")
            out.append(parts[1] if len(parts) >= 2 else parts[0])
        elif isinstance(v, dict) and v.get("target"):
            out.append(str(v["target"]))
    tmpfs = svc.get("tmpfs")
    out += [str(t).split(":")[0] for t in (tmpfs if isinstance(tmpfs, list) else [tmpfs] if tmpfs else [])]
    return [p.rstrip("/") or "/" for p in out]


def _covered(path: str, targets: list[str]) -> bool:
    return any(path == t or path.startswith(t + "/") for t in targets)


def _bytes(value: Any) -> int | None:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([bkmg]?)b?", str(value).strip().lower())
    return int(float(m.group(1)) * _UNITS[m.group(2)]) if m else None


def _memory(svc: Mapping[str, Any]) -> Any:
    limits = ((svc.get("deploy") or {}).get("resources") or {}).get("limits") or {}
    return svc.get("mem_limit") or (limits.get("memory") if isinstance(limits, dict) else None)


def _heap(svc: Mapping[str, Any]) -> int | None:
    texts: list[str] = []
    for key in ("command", "entrypoint", "environment"):
        v = svc.get(key)
        if isinstance(v, str):
            texts.append(v)
        elif isinstance(v, list):
            texts += [str(i) for i in v]
        elif isinstance(v, dict):
            texts += [str(i) for i in v.values()]
    best = None
    for text in texts:
        for pat, unit in ((r"-Xmx(\d+)([kmg]?)", ""), (r"--max-old-space-size[= ](\d+)()", "m")):
            for m in re.finditer(pat, text, re.I):
                size = int(m.group(1)) * _UNITS[m.group(2).lower() or unit]
                best = max(best or 0, size)
    return best


def gate_counts(pairs: Iterable[tuple[str, str]]) -> Counter[str]:
    """The gate counts over (original, fixed) texts."""
    counts: Counter[str] = Counter({g: 0 for g in GATES})
    for before_text, after_text in pairs:
        before, after = _load(before_text), _load(after_text)
        counts["missing_secret_files"] += len(_secret_files(after) - _secret_files(before))
        old = _services(before)
        for key, svc in _services(after).items():
            prev = old.get(key, {})
            fam = _family(svc)
            added_drop = "ALL" in _caps(svc.get("cap_drop")) and "ALL" not in _caps(prev.get("cap_drop"))
            user = str(svc.get("user", "")).split(":")[0]
            starts_as_root = fam is not None and fam.root_start and user in ("", "root", "0")
            if added_drop and starts_as_root and not {"SETUID", "SETGID"} <= _caps(svc.get("cap_add")):
                counts["dropper_without_setid"] += 1
            if svc.get("read_only") is True and prev.get("read_only") is not True:
                known = fam is not None and fam.writable is not None and not fam.read_only_block
                paths = (*fam.writable, *fam.state) if known else ()
                if not known or not all(_covered(p, _mounted(svc)) for p in paths):
                    counts["read_only_without_paths"] += 1
            heap, memory = _heap(svc), _memory(svc)
            if heap and memory is not None and _memory(prev) is None:
                limit = _bytes(memory)
                if limit is not None and limit < heap:
                    counts["memory_under_heap"] += 1
    return counts


@pytest.fixture(scope="module")
def pairs(corpus_dir: Path) -> list[tuple[str, str]]:
    compose = corpus_dir / "compose"
    if not compose.is_dir():
        pytest.skip(f"no compose corpus at {compose}")
    out = []
    for path in sorted(p for p in compose.iterdir() if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="surrogateescape")
        out.append((text, fix_text(path.name, text, "compose", SETTINGS).text))
    return out


def test_gates_hold_on_the_corpus(pairs: list[tuple[str, str]]) -> None:
    counts = gate_counts(pairs)
    print(f"\ncompose corpus gates after the fix: {dict(counts)}")
    assert counts == Counter({g: 0 for g in GATES})


def test_fixes_still_apply_where_the_facts_are_known(pairs: list[tuple[str, str]]) -> None:
    """The gates hold because fixes carry the facts, not because nothing is fixed any more."""
    cap_adds = sum(a.count("cap_add") - b.count("cap_add") for b, a in pairs)
    read_only = sum(a.count("read_only: true") - b.count("read_only: true") for b, a in pairs)
    print(f"\ncap_add lists added or extended: {cap_adds}; read_only added: {read_only}")
    assert cap_adds >= 20 and read_only >= 10


def _main(argv: list[str]) -> int:
    fixed_dir = Path(argv[0])
    corpus = (
        Path(argv[1])
        if len(argv) > 1
        else Path(__file__).resolve().parents[3] / "shared" / "corpus" / "compose"
    )
    pairs = []
    for path in sorted(p for p in corpus.iterdir() if p.is_file()):
        after = fixed_dir / path.name
        if after.is_file():
            pairs.append(
                (path.read_text(errors="surrogateescape"), after.read_text(errors="surrogateescape"))
            )
    print(f"{len(pairs)} files: {dict(gate_counts(pairs))}")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
