"""Compose analysis is linear in the number of services (issue 12: 25,000 services ran past
400 s). Work is counted, not timed: the calls that were quadratic must grow like the file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

import hardenify.compose.model as model
import hardenify.compose.verify as verify
from hardenify.engine import lint
from hardenify.settings import Settings


def compose(n: int) -> str:
    out = ["services:"]
    for i in range(n):
        out.append(
            f'  svc{i}:\n    image: nginx:1.25\n    ports:\n      - "{8000 + i}:80"\n    environment:\n      A: b'
        )
    return "\n".join(out) + "\n"


def work(n: int, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    calls: Counter[str] = Counter()

    def counted(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return fn(*args, **kwargs)

        return wrapper

    with monkeypatch.context() as m:
        # `own` scanned the services mapping key by key (is_scalar per key) for every service
        m.setattr(model, "is_scalar", counted("is_scalar", model.is_scalar))
        m.setattr(verify, "_spans_conflict", counted("conflict", verify._spans_conflict))
        lint("compose.yaml", compose(n), "compose", Settings(select=("HF6",)))
    return calls


def test_work_grows_linearly_with_services(monkeypatch: pytest.MonkeyPatch) -> None:
    small, large = work(60, monkeypatch), work(240, monkeypatch)
    for name in ("is_scalar", "conflict"):
        # 4x the services: linear work is about 4x, quadratic would be about 16x
        assert large[name] <= 6 * max(small[name], 1), (name, small[name], large[name])
    assert small["is_scalar"] > 0


def test_many_services_still_indexed_correctly() -> None:
    cf = model.parse(compose(100) + "  svc5:\n    image: dup\n")  # a duplicate key: the first wins
    services = cf.top(0, "services")
    assert services is not None
    entry = cf.own(services.value, "svc5")
    assert entry is not None and entry.index == 5
    assert cf.own(services.value, "svc100") is None
    found = cf.service("svc99")
    assert found is not None and found.name == "svc99"
    assert [s.start for s in cf.named("svc5")] == [s.start for s in cf.services if s.name == "svc5"]
