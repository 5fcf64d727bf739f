"""What the templates write for the structures real projects have (issue 16).

Each test renders with --no-pin and no network (the `render_for` fixture), then checks the
property the defect was about, and that `new`'s own gates still pass: hardenify's rules over
every output (`lint_outputs`, which includes HF621's compose-spec validation).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from hardenify.compose.schema import validate_text
from hardenify.scaffold.render import Rendered, lint_outputs

BASES = ("debian-slim", "distroless", "alpine", "chainguard")


def _compose(r: Rendered) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(r.files["compose.yaml"])
    return data


def _gates(r: Rendered) -> None:
    assert lint_outputs(r.files) == []
    assert validate_text(r.files["compose.yaml"]) == []


# ------------------------------------------------------------------------- item 2: compose


@pytest.mark.parametrize("base", BASES)
def test_database_passwords_passed_as_secrets_are_written_once(
    base: str, render_for: Callable[..., Rendered]
) -> None:
    r = render_for(
        stack="python",
        base=base,
        secrets="POSTGRES_PASSWORD,REDIS_PASSWORD,API_TOKEN",
        env="DATABASE_URL,REDIS_URL,API_TOKEN,MODE",
        postgres=True,
        redis=True,
    )
    _gates(r)
    svc = next(iter(_compose(r)["services"].values()))
    names = [e.split("=", 1)[0] for e in svc["environment"]]
    assert len(names) == len(set(names)), names
    assert names.count("POSTGRES_PASSWORD_FILE") == 1 and names.count("REDIS_PASSWORD_FILE") == 1
    assert "API_TOKEN" not in names, "a secret must not also be passed as a plain variable"
    assert svc["secrets"] == ["postgres_password", "redis_password", "api_token"]
    top = _compose(r)["secrets"]
    assert sorted(top) == ["api_token", "postgres_password", "redis_password"]
