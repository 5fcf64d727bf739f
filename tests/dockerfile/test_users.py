"""The users a stage creates (`hardenify.dockerfile.users`), privilege droppers
(`hardenify.dockerfile.droppers`), root users and base-image facts (`hardenify.knowledge.images`)."""

from __future__ import annotations

import pytest

from hardenify.dockerfile import droppers, parse, stages, users
from hardenify.knowledge import images


def db(text: str) -> tuple[dict[str, tuple[str | None, str | None, bool]], dict[str, str | None], bool]:
    df = parse(text)
    st = df.stages[-1]
    d = users.user_db(list(st.chain_instructions), users.stage_env(df, st))
    return {k: (v.uid, v.gid, v.supplementary) for k, v in d.users.items()}, d.groups, d.modified


# ------------------------------------------------------------------------------ user db


def test_useradd_with_ids_and_group() -> None:
    assert db("FROM debian\nRUN groupadd -g 1001 app && useradd -u 1001 -g app -m app\n") == (
        {"app": ("1001", "1001", False)},
        {"app": "1001"},
        False,
    )


def test_busybox_adduser() -> None:
    assert db("FROM alpine\nRUN addgroup -S app && adduser -S -G app -u 10001 app\n") == (
        {"app": ("10001", None, False)},
        {"app": None},
        False,
    )


def test_uid_from_a_build_arg_stays_a_variable() -> None:
    # `--build-arg APP_UID=1001` changes it, so the default is never written in its place.
    assert db("FROM debian\nARG APP_UID=1000\nRUN useradd -u $APP_UID app\n")[0] == {
        "app": ("${APP_UID}", None, False)
    }
    df = parse("FROM debian\nARG APP_UID=1000\nRUN useradd -u $APP_UID app\nUSER app\n")
    assert users.numeric_user(df, df.stages[0], "app") == "${APP_UID}"
    assert users.is_variable_id("${APP_UID}") and not users.is_variable_id("1000")


def test_numeric_user() -> None:
    df = parse("FROM debian\nRUN useradd -u 1000 app\nUSER app\n")
    st = df.stages[0]
    assert users.numeric_user(df, st, "app") == "1000"
    assert users.numeric_user(df, st, "nobody") == "65534:65534"  # the base ships it
    assert users.numeric_user(df, st, "root") is None


def test_passwd_written_directly_or_users_modified() -> None:
    assert db("FROM alpine\nRUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd\n") == ({}, {}, True)
    assert db("FROM debian\nRUN useradd -u 1000 app && usermod -aG sudo app\n")[2] is True


# -------------------------------------------------------------------- privilege droppers

ROOT_START = {
    "gosu installed (postgres)": (
        'FROM postgres\nRUN apt-get install -y gosu\nENTRYPOINT ["docker-entrypoint.sh"]\n',
        "gosu",
        ("gosu", "the build installs", False),
    ),
    "gosu in the entrypoint": (
        'FROM debian\nENTRYPOINT ["gosu","app","run"]\n',
        "gosu",
        ("gosu", "the entrypoint runs", False),
    ),
    "supervisord": (
        'FROM debian\nRUN apt-get install -y supervisor\nCMD ["supervisord"]\n',
        "supervisord",
        ("supervisord", "the entrypoint runs", False),
    ),
    "sshd": (
        'FROM debian\nRUN apt-get install -y openssh-server\nCMD ["/usr/sbin/sshd","-D"]\n',
        "sshd",
        ("sshd", "the entrypoint runs", False),
    ),
    # a network tool needs root (CAP_NET_ADMIN) but does not drop privileges itself
    "iptables": ('FROM debian\nCMD ["iptables","-L"]\n', None, ("iptables", "the entrypoint runs", True)),
    "plain app": ('FROM debian\nCMD ["python","app.py"]\n', None, None),
}


@pytest.mark.parametrize("text,dropper,start", ROOT_START.values(), ids=ROOT_START.keys())
def test_root_start_and_droppers(text: str, dropper: str | None, start: tuple[str, str, bool] | None) -> None:
    ins = list(parse(text).stages[0].instructions)
    assert droppers.drops_privileges(ins) == dropper
    rs = droppers.root_start(ins)
    assert (rs and (rs.program, rs.where, rs.network)) == start


@pytest.mark.parametrize(
    "script,found",
    [
        ('#!/bin/sh\nset -e\nexec gosu app "$@"\n', ("gosu", False)),
        ("#!/bin/sh\nexec su-exec app x\n", ("su-exec", False)),
        ("#!/bin/sh\nexec setpriv --reuid=1 x\n", ("setpriv", False)),
        ("#!/bin/sh\nexec runuser -u app x\n", ("runuser", False)),
        ("exec su app -c x\n", ("su", False)),
        ('#!/bin/sh\n# gosu\nexec "$@"\n', None),  # a comment is not a call
    ],
)
def test_script_root_start(script: str, found: tuple[str, bool] | None) -> None:
    assert droppers.script_root_start(script) == found


def test_entrypoint_script_from_the_build_context() -> None:
    ins = list(parse('FROM debian\nENTRYPOINT ["/entry.sh"]\n').stages[0].instructions)
    rs = droppers.root_start(ins, [("/entry.sh", '#!/bin/sh\nexec gosu app "$@"\n')])
    assert rs is not None and (rs.program, rs.where) == ("gosu", "the entrypoint script /entry.sh runs")
    assert "switches user itself" in rs.reason()


# ------------------------------------------------------------------------------ root


@pytest.mark.parametrize(
    "user,root",
    [
        ("root", True),
        ("0", True),
        ("0:0", True),
        ("root:root", True),
        (" root", True),
        ("app", False),
        ("1000", False),
        ("1000:0", False),  # group root, user not: not a root user
        ("${UID}", False),  # unknown: not called root
        ("ROOT", False),  # user names are case-sensitive
    ],
)
def test_is_root_user(user: str, root: bool) -> None:
    assert users.is_root_user(user) is root


# ------------------------------------------------------------------------- base images


@pytest.mark.parametrize(
    "image,family,nonroot,user",
    [
        ("node:20", "debian", False, "1000:1000"),
        ("python:3.12-slim", "debian", False, None),
        ("gcr.io/distroless/static:nonroot", "nonroot", True, None),
        ("nginxinc/nginx-unprivileged", "nonroot", True, None),
        ("mcr.microsoft.com/windows/servercore:ltsc2022", "windows", False, None),
    ],
)
def test_base_info(image: str, family: str, nonroot: bool, user: str | None) -> None:
    b = images.base_info(image)
    assert (b.family, b.nonroot_default, b.user) == (family, nonroot, user)


def test_base_info_declines_images_that_must_start_as_root() -> None:
    assert "gosu" in (images.base_info("postgres:16").no_fix or "")
    assert "nginx-unprivileged" in (images.base_info("nginx").no_fix or "")


# ------------------------------------------- answers that changed with the one stage view


def test_a_global_arg_is_not_set_in_a_stage_unless_redeclared() -> None:
    # shell/BuildKit: a global ARG is visible in FROM only; inside the stage `$V` is unset until
    # `ARG V` redeclares it (then it takes the global default). `fixers._users.stage_env` used
    # to count it as set; the user rules now read `stages.stage_env`, which agrees with BuildKit.
    df = parse("ARG V=1\nFROM a\nRUN useradd -u $V app\nARG V\nUSER app\n")
    st = df.stages[0]
    run, _redeclared, user = st.instructions
    assert stages.stage_env(df, st, run) == {}
    assert stages.stage_env(df, st, user) == {"V": "1"}
    # So `USER ${V}` with a global `V=root` not redeclared is not known to be root.
    df = parse("ARG V=root\nFROM debian\nUSER ${V}\n")
    assert "V" not in stages.stage_env(df, df.stages[0], df.stages[0].instructions[0])


def test_user_db_reads_the_one_run_model() -> None:
    # The commands come from `Instruction.commands` (runs.py): a heredoc script with a
    # non-shell shebang runs no `useradd`, and a data heredoc is not a script.
    assert db("FROM debian\nRUN <<EOF\n#!/usr/bin/env python3\nprint('useradd -u 1 x')\nEOF\n")[0] == {}
    assert db("FROM debian\nRUN cat <<EOF > /x.sh\nuseradd -u 1 x\nEOF\n")[0] == {}
    assert db("FROM debian\nRUN <<EOF\nset -e\nuseradd -u 1001 app\nEOF\n")[0] == {
        "app": ("1001", None, False)
    }
    # `sudo useradd` runs useradd (the wrapper is the command's prefix).
    assert db("FROM debian\nRUN sudo useradd -u 1001 app\n")[0] == {"app": ("1001", None, False)}


def test_base_image_keeps_a_templated_tag() -> None:
    # `stages.root_image` answers "" for an image with an unset variable; the user rules still
    # need the repository (postgres drops privileges itself whatever its tag).
    df = parse("FROM postgres:${PG}\n")
    assert stages.root_image(df, df.stages[0]) == ""
    assert users.base_image(df.stages[0]).startswith("postgres:")
    assert "gosu" in (images.base_info(users.base_image(df.stages[0])).no_fix or "")


@pytest.mark.parametrize(
    "image,nonroot",
    [
        ("elasticsearch:8.15.0", True),  # `USER 1000:0` since 8.0
        ("docker.elastic.co/elasticsearch/elasticsearch:8.15.0", True),
        ("elasticsearch:7.17.0", False),  # starts as root, drops itself (below)
        ("cgr.dev/chainguard/static", True),
        ("cgr.dev/chainguard/wolfi-base", False),  # Chainguard's OS bases start as root
        ("bitnami/postgresql:16", True),
        ("gcr.io/distroless/static:nonroot", True),
        ("registry.access.redhat.com/ubi9/python-312", True),
        ("registry.access.redhat.com/ubi9/ubi-minimal", False),
        ("python:3.12", False),
    ],
)
def test_one_nonroot_list_for_hf101_and_hf609(image: str, nonroot: bool) -> None:
    # HF101 reads `base_info`, HF609 `nonroot_default` by image key: the same answer.
    from hardenify.imageref import parse_ref

    ref = parse_ref(image)
    assert images.base_info(image).nonroot_default is nonroot
    assert images.nonroot_default(images.image_key(ref), (ref.tag or "latest").lower()) is nonroot


def test_elasticsearch_before_8_drops_privileges_itself() -> None:
    assert images.drops_privileges("elasticsearch", "7.17.0")
    assert not images.drops_privileges("elasticsearch", "8.15.0")
