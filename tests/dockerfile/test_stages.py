"""Stage chain, env, user and workdir at an instruction, as each of today's views reads them
(issue 13, step 1).

The views are `Stage.chain` (the model), `fixers._pkg`
(env_before), `fixers._secretfix` (user_at, workdir_at), `fixers._split.StageView` and
`fixers._stagegraph.stage_env`. Each test records today's answer of each, side by side; where
they disagree, a `# BuildKit:` comment says which answer a build agrees with.
"""

from __future__ import annotations

from typing import Any

from hardenify.dockerfile import parse
from hardenify.fixers import _pkg, _secretfix, _split, _stagegraph


def views(text: str) -> dict[str, Any]:
    """Each view's answer at the last RUN of the last stage."""
    df = parse(text)
    st = df.stages[-1]
    ins = [i for i in st.instructions if i.cmd == "RUN"][-1]
    view = _split.read_stage(df, st)
    return {
        "model.chain": [s.index for s in st.chain],
        "stagegraph.chain": [s.index for s in _stagegraph.stage_chain(df, st)],
        "stagegraph.env": _stagegraph.stage_env(df, st, ins),
        "pkg.env": _pkg.env_before(df, ins),
        "split.env": view.env_at[id(ins)],
        "split.cwd": view.workdir_at[id(ins)],
        "secretfix.cwd": _secretfix.workdir_at(df, ins),
        "secretfix.user": _secretfix.user_at(df, ins),
    }


def envs(v: dict[str, Any]) -> dict[str, Any]:
    return {k: v[k] for k in ("stagegraph.env", "pkg.env", "split.env")}


# -------------------------------------------------------------------------------- chain


def test_chain_through_a_named_stage_is_case_insensitive() -> None:
    v = views("FROM alpine AS Builder\nENV P=1\nWORKDIR /b\nUSER 1000\nFROM builder\nRUN x\n")
    assert v["model.chain"] == v["stagegraph.chain"] == [0, 1]
    # BuildKit: the child inherits ENV, WORKDIR and USER. All but _split agree; _split reads the
    # stage alone (HF413 only reads single-stage files, so it never meets a parent).
    assert envs(v) == {
        "stagegraph.env": {"P": "1"},
        "pkg.env": {"P": "1"},
        "split.env": {"HOME": "/root"},
    }
    assert (v["secretfix.cwd"], v["secretfix.user"], v["split.cwd"]) == ("/b", "1000", None)


def test_chain_through_a_platform_arg() -> None:
    # BuildKit: TARGETOS is `linux` for the Linux builds these rules check, so
    # `FROM build-$TARGETOS` builds on `build-linux`. _users agrees (PLATFORM_ARGS); the model's
    # `Stage.chain` (and _stagegraph, which returns it) does not resolve it.
    v = views("FROM golang AS build-linux\nUSER app\nFROM build-$TARGETOS\nRUN x\n")
    assert v["model.chain"] == v["stagegraph.chain"] == [1]
    assert v["secretfix.user"] is None  # follows Stage.chain, so misses `USER app`


# ---------------------------------------------------------------------------------- env


def test_global_arg_not_redeclared() -> None:
    # BuildKit: a global ARG is visible in FROM only, not in RUN, until the stage redeclares it.
    # _stagegraph, _pkg and _split agree; _users counts it as set.
    v = views("ARG V=1\nFROM a\nRUN echo $V\n")
    assert envs(v) == {
        "stagegraph.env": {},
        "pkg.env": {},
        "split.env": {"HOME": "/root"},
    }


def test_global_arg_redeclared_without_a_value() -> None:
    # BuildKit: `ARG V` in the stage takes the global default. All but _pkg agree (it says None).
    v = views("ARG V=1\nFROM a\nARG V\nRUN echo $V\n")
    assert envs(v) == {
        "stagegraph.env": {"V": "1"},
        "pkg.env": {"V": None},
        "split.env": {"HOME": "/root", "V": "1"},
    }


def test_env_referring_to_an_earlier_env() -> None:
    # BuildKit: B=/x/y. All but _pkg agree (it keeps the text unexpanded).
    v = views("FROM a\nENV A=/x\nENV B=$A/y\nRUN x\n")
    assert [e["B"] for e in envs(v).values()] == ["/x/y", "$A/y", "/x/y"]


def test_env_referring_to_a_variable_set_on_the_same_line() -> None:
    # BuildKit substitutes one instruction with the values from before it, so B=/y (A was
    # unset). No view agrees: _users, _stagegraph and _split expand left to right (/x/y), _pkg
    # does not expand.
    v = views("FROM a\nENV A=/x B=$A/y\nRUN x\n")
    assert [e["B"] for e in envs(v).values()] == ["/x/y", "$A/y", "/x/y"]


def test_split_starts_from_the_base_images_env_and_workdir() -> None:
    # python's image sets no WORKDIR, so `/` is right; the other views say "unknown".
    v = views("FROM python:3.12\nRUN x\n")
    assert (v["split.cwd"], v["secretfix.cwd"]) == ("/", None)
    assert v["split.env"]["HOME"] == "/root"


# ------------------------------------------------------------------------------ workdir


def test_relative_workdir_joins_the_previous_one() -> None:
    v = views("FROM a\nWORKDIR /app\nWORKDIR sub\nRUN x\n")
    assert v["split.cwd"] == v["secretfix.cwd"] == "/app/sub"


def test_workdir_with_home() -> None:
    # BuildKit expands WORKDIR from the image config's env and the file's ENV/ARG; images do not
    # set HOME there, so it builds /x. _split assumes HOME=/root (/root/x); _secretfix declines.
    v = views("FROM a\nWORKDIR $HOME/x\nRUN x\n")
    assert (v["split.cwd"], v["secretfix.cwd"]) == ("/root/x", None)


def test_workdir_and_user_follow_the_chain() -> None:
    text = "FROM a AS base\nWORKDIR /srv\nUSER app\nFROM base\nWORKDIR data\nRUN x\n"
    v = views(text)
    assert (v["secretfix.cwd"], v["secretfix.user"]) == ("/srv/data", "app")
    df = parse(text)
    assert _secretfix.non_root_at(df, df.stages[1].instructions[-1])


def test_user_at_takes_the_nearest_user() -> None:
    df = parse("FROM a\nUSER app\nRUN x\nUSER root\nRUN y\n")
    runs = [i for i in df.instructions if i.cmd == "RUN"]
    assert [_secretfix.user_at(df, r) for r in runs] == ["app", "root"]
    assert [_secretfix.non_root_at(df, r) for r in runs] == [True, False]


# ------------------------------------------------------------------------------- stages


def test_shipping_stages_are_the_final_chain() -> None:
    df = parse("FROM a AS build\nRUN x\nFROM b AS base\nFROM base\nCOPY --from=build /o /o\n")
    assert _pkg.shipping_stages(df) == _secretfix.final_chain(df) == {1, 2}
    assert [s.index for s in _pkg.descendants(df, df.stages[1])] == [2]
    assert [s.index for s in _stagegraph.children(df, df.stages[1])] == [2]


def test_windows_per_stage_and_per_file() -> None:
    # A file that builds Linux and Windows variants: the file is Windows, its Linux stage is not.
    df = parse(
        "FROM golang AS linux\nRUN make\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir\n"
    )
    linux_run, win_run = (i for i in df.instructions if i.cmd == "RUN")
    assert df.is_windows
    assert (_stagegraph.windows_at(df, linux_run), _stagegraph.windows_at(df, win_run)) == (False, True)
