"""HF105 with ids from build arguments (issue 14 item 4): keep the variables, never a literal."""

from __future__ import annotations

from hardenify.diagnostics import Applicability
from tests.fixers.util import findings, fixed

CODE = "HF105"
ARGS = "FROM debian:12\nARG APP_UID=1000\nARG APP_GID=1000\n"


def test_arg_ids_stay_variables_under_an_unsafe_fix() -> None:
    text = ARGS + 'RUN groupadd -g $APP_GID app && useradd -u $APP_UID -g app app\nUSER app\nCMD ["x"]\n'
    ds = findings(text, CODE)
    assert ds[0].fix is not None and ds[0].fix.applicability is Applicability.UNSAFE
    assert fixed(text, CODE) == text  # nothing under a safe fix
    assert "USER ${APP_UID}:${APP_GID}\n" in fixed(text, CODE, unsafe=True)


def test_literal_ids_stay_a_safe_fix() -> None:
    text = 'FROM debian:12\nRUN groupadd -g 2000 app && useradd -u 2000 -g app app\nUSER app\nCMD ["x"]\n'
    ds = findings(text, CODE)
    assert ds[0].fix is not None and ds[0].fix.applicability is Applicability.SAFE
    assert "USER 2000:2000\n" in fixed(text, CODE)


def test_arg_ids_not_in_scope_get_no_fix() -> None:
    # ARGs do not cross FROM: the final stage cannot expand $APP_UID.
    text = 'FROM debian:12 AS base\nARG APP_UID=1000\nRUN useradd -u $APP_UID app\nFROM base\nUSER app\nCMD ["x"]\n'
    ds = findings(text, CODE)
    assert ds[0].fix is None and "1000" not in ds[0].message


def test_root_default_is_never_the_fix() -> None:
    text = 'FROM debian:12\nARG USER_ID=0\nRUN useradd -u ${USER_ID:-0} app\nUSER app\nCMD ["x"]\n'
    ds = findings(text, CODE)
    assert ds[0].fix is None
    out = fixed(text, CODE, unsafe=True)
    assert "USER 0" not in out and out == text
