"""Stage chain, env, user and workdir at an instruction: the one view,
`hardenify.dockerfile.stages` (issue 13).

The former views (`fixers._users` stage_chain/stage_env, `fixers._secretfix`
user_at/workdir_at, `fixers._split.StageView`) now read it: the `users.*` and `secretfix.*`
columns are `stages` itself, and HF413's walk (`split.*`) adds only its own cwd tracking. Where
the views once disagreed, a `# BuildKit:` comment says which answer a build agrees with; every
column asserts it.
"""

from __future__ import annotations

from typing import Any

from hardenify.dockerfile import parse, stages
from hardenify.fixers import _secretfix
from hardenify.fixers.hf413_single_stage_toolchain import evidence as _split


def views(text: str) -> dict[str, Any]:
    """Each view's answer at the last RUN of the last stage."""
    df = parse(text)
    st = df.stages[-1]
    ins = [i for i in st.instructions if i.cmd == "RUN"][-1]
    view = _split.read_stage(df, st)
    return {
        "chain": [s.index for s in stages.chain(st)],
        # `hardenify.dockerfile.users` reads the one stage view now (its own went).
        "users.chain": [s.index for s in stages.chain(st)],
        "env": stages.env_at(df, ins),
        "users.env": stages.stage_env(df, st, ins),
        "split.env": view.env_at[id(ins)],
        "cwd": stages.workdir_at(df, ins),
        "split.cwd": view.workdir_at[id(ins)],
        "secretfix.cwd": stages.workdir_at(df, ins),
        "user": stages.user_at(df, ins),
        "secretfix.user": stages.user_at(df, ins),
    }


# -------------------------------------------------------------------------------- chain


def test_chain_through_a_named_stage_is_case_insensitive() -> None:
    v = views("FROM alpine AS Builder\nENV P=1\nWORKDIR /b\nUSER 1000\nFROM builder\nRUN x\n")
    assert v["chain"] == v["users.chain"] == [0, 1]
    # BuildKit: the child inherits ENV, WORKDIR and USER; all agree (_split reads the chain
    # through `stages` since HF413 moved onto the core).
    assert (v["env"], v["users.env"], v["split.env"]) == ({"P": "1"}, {"P": "1"}, {"P": "1"})
    assert (v["cwd"], v["user"]) == ("/b", "1000")
    assert (v["secretfix.cwd"], v["secretfix.user"], v["split.cwd"]) == ("/b", "1000", "/b")


def test_chain_is_root_first() -> None:
    df = parse("FROM a AS one\nFROM one AS two\nFROM two\nRUN x\n")
    assert [s.index for s in stages.chain(df.stages[2])] == [0, 1, 2]
    assert stages.parent(df.stages[2]) is df.stages[1] and stages.parent(df.stages[0]) is None
    assert stages.root_image(df, df.stages[2]) == "a"
    assert [s.index for s in stages.children(df, df.stages[0])] == [1]
    assert [s.index for s in stages.descendants(df, df.stages[0])] == [1, 2]
    run = df.instructions[-1]
    assert stages.stage_of(df, run) is df.stages[2]
    assert stages.chain_instructions(df.stages[2]) == [run]


def test_root_image_with_an_unresolved_variable_is_unknown() -> None:
    df = parse("ARG BASE\nARG TAG=3\nFROM $BASE\nFROM python:$TAG\n")
    assert stages.root_image(df, df.stages[0]) == ""
    assert stages.root_image(df, df.stages[1]) == "python:3"


def test_chain_through_a_platform_arg() -> None:
    # BuildKit: TARGETOS is `linux` for the Linux builds these rules check, so
    # `FROM build-$TARGETOS` builds on `build-linux`. The model resolves it now (it did not).
    v = views("FROM golang AS build-linux\nUSER app\nFROM build-$TARGETOS\nRUN x\n")
    assert v["chain"] == v["users.chain"] == [0, 1]
    assert v["user"] == "app"
    assert v["secretfix.user"] == "app"  # follows Stage.chain
    # a global ARG with a default wins over the automatic value
    df = parse("ARG TARGETOS=windows\nFROM a AS build-linux\nFROM a AS build-windows\nFROM build-$TARGETOS\n")
    assert df.stages[2].parent is df.stages[1]


# ---------------------------------------------------------------------------------- env


def test_global_arg_not_redeclared() -> None:
    # BuildKit: a global ARG is visible in FROM only, not in RUN, until the stage redeclares it.
    # all agree (_users counted it as set before it read `stages`).
    v = views("ARG V=1\nFROM a\nRUN echo $V\n")
    assert (v["env"], v["users.env"], v["split.env"]) == ({}, {}, {})


def test_global_arg_redeclared_without_a_value() -> None:
    # BuildKit: `ARG V` in the stage takes the global default.
    v = views("ARG V=1\nFROM a\nARG V\nRUN echo $V\n")
    assert (v["env"], v["users.env"], v["split.env"]) == ({"V": "1"}, {"V": "1"}, {"V": "1"})


def test_env_referring_to_an_earlier_env() -> None:
    # BuildKit: B=/x/y.
    v = views("FROM a\nENV A=/x\nENV B=$A/y\nRUN x\n")
    assert [v[k]["B"] for k in ("env", "users.env", "split.env")] == ["/x/y", "/x/y", "/x/y"]


def test_env_referring_to_a_variable_set_on_the_same_line() -> None:
    # BuildKit substitutes one instruction with the values from before it, so B=/y (A was
    # unset). All agree (_users and _split expanded left to right, /x/y, before the move).
    v = views("FROM a\nENV A=/x B=$A/y\nRUN x\n")
    assert [v[k]["B"] for k in ("env", "users.env", "split.env")] == ["/y", "/y", "/y"]


def test_global_arg_is_not_used_to_expand_a_stage_env() -> None:
    # BuildKit: the global V is not in scope in the stage, so X is empty.
    df = parse("ARG V=1\nFROM a\nENV X=v$V\nRUN x\n")
    assert stages.env_at(df, df.instructions[-1]) == {"X": "v"}


def test_split_starts_from_the_base_images_env_and_workdir() -> None:
    # python's image sets no WORKDIR, so `/` is right for _split (it knows the image); the
    # other views say "unknown" (no image knowledge in the stage view).
    v = views("FROM python:3.12\nRUN x\n")
    assert (v["split.cwd"], v["secretfix.cwd"], v["cwd"]) == ("/", None, None)
    assert "HOME" not in v["split.env"]  # not in the image's env; RUN commands get HOME=/root
    v = views("FROM golang:1.23\nRUN x\n")
    assert (v["split.env"], v["split.cwd"]) == ({"GOPATH": "/go"}, "/go")
    df = parse("FROM a\nRUN x\n")
    assert [c.env["HOME"] for c in _split.read_stage(df, df.stages[0]).cmds] == ["/root"]


# ------------------------------------------------------------------------------ workdir


def test_relative_workdir_joins_the_previous_one() -> None:
    v = views("FROM a\nWORKDIR /app\nWORKDIR sub\nRUN x\n")
    assert v["cwd"] == v["split.cwd"] == v["secretfix.cwd"] == "/app/sub"


def test_workdir_with_home() -> None:
    # BuildKit expands WORKDIR from the image config's env and the file's ENV/ARG; images do not
    # set HOME there, so it builds /x. stages agrees; _split agrees since it reads `stages.resolve`;
    # _secretfix reads the core stage view now, so it agrees.
    v = views("FROM a\nWORKDIR $HOME/x\nRUN x\n")
    assert (v["cwd"], v["split.cwd"], v["secretfix.cwd"]) == ("/x", "/x", "/x")


def test_workdir_with_variables() -> None:
    df = parse("FROM a\nARG D=/srv\nWORKDIR $D/app\nRUN x\nWORKDIR $FROM_IMAGE\nRUN y\n")
    x, y = (i for i in df.instructions if i.cmd == "RUN")
    assert stages.workdir_at(df, x) == "/srv/app"
    assert stages.workdir_at(df, y) is None  # a variable the base image may set


def test_workdir_and_user_follow_the_chain() -> None:
    text = "FROM a AS base\nWORKDIR /srv\nUSER app\nFROM base\nWORKDIR data\nRUN x\n"
    v = views(text)
    assert (v["cwd"], v["user"]) == (v["secretfix.cwd"], v["secretfix.user"]) == ("/srv/data", "app")
    df = parse(text)
    assert _secretfix.non_root_at(df, df.stages[1].instructions[-1])


def test_user_at_takes_the_nearest_user() -> None:
    df = parse("FROM a\nUSER app\nRUN x\nUSER root\nRUN y\n")
    runs = [i for i in df.instructions if i.cmd == "RUN"]
    assert [stages.user_at(df, r) for r in runs] == ["app", "root"]
    assert [stages.user_at(df, r) for r in runs] == ["app", "root"]


# -------------------------------------------------------------------------------- shell


def test_shell_at() -> None:
    df = parse(
        'FROM a\nRUN x\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN y\nSHELL ["python", "-c"]\nRUN z\n'
    )
    x, y, z = (i for i in df.instructions if i.cmd == "RUN")
    assert [stages.shell_at(df, r) for r in (x, y)] == [None, ["/bin/bash", "-o", "pipefail", "-c"]]
    assert [stages.shell_name(stages.shell_at(df, r)) for r in (x, y, z)] == ["sh", "bash", "python"]
    # shell: python is no POSIX shell (a `_stagegraph` variant said any non-Windows shell was)
    assert [stages.posix_shell_at(df, r) for r in (x, y, z)] == [True, True, False]
    assert stages.has_shell_instruction(df.stages[0])


def test_stage_has_shell_asks_the_image_knowledge() -> None:
    df = parse("FROM gcr.io/distroless/static\nFROM scratch\nFROM debian\n")
    assert [stages.stage_has_shell(df, s) for s in df.stages] == [False, False, True]


# ------------------------------------------------------------------------------- stages


def test_shipping_stages_are_the_final_chain() -> None:
    df = parse("FROM a AS build\nRUN x\nFROM b AS base\nFROM base\nCOPY --from=build /o /o\n")
    assert stages.shipping_stages(df) == {1, 2}
    assert [s.index for s in stages.descendants(df, df.stages[1])] == [2]
    assert [s.index for s in stages.children(df, df.stages[1])] == [2]


def test_instructions_before() -> None:
    df = parse("FROM a AS base\nENV A=1\nFROM base\nENV B=2\nRUN x\nENV C=3\n")
    run = next(i for i in df.instructions if i.cmd == "RUN")
    assert [i.args for i in stages.instructions_before(df, run)] == ["A=1", "B=2"]


def test_windows_per_stage_and_per_file() -> None:
    # A file that builds Linux and Windows variants: the file is Windows, its Linux stage is not.
    df = parse(
        "FROM golang AS linux\nRUN make\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir\n"
    )
    linux_run, win_run = (i for i in df.instructions if i.cmd == "RUN")
    assert df.is_windows
    assert (stages.windows_at(df, linux_run), stages.windows_at(df, win_run)) == (False, True)
    assert not stages.posix_shell_at(df, win_run)


def test_an_absolute_workdir_resets_an_unknown_one() -> None:
    # BuildKit: `WORKDIR /app` is absolute whatever came before it.
    for first in ("WORKDIR $X", "WORKDIR sub"):
        df = parse(f"FROM a\n{first}\nWORKDIR /app\nRUN x\nWORKDIR y\nRUN z\n")
        x, z = (i for i in df.instructions if i.cmd == "RUN")
        assert (stages.workdir_at(df, x), stages.workdir_at(df, z)) == ("/app", "/app/y"), first
    df = parse("FROM a\nWORKDIR $X\nRUN x\n")
    assert stages.workdir_at(df, df.instructions[-1]) is None
