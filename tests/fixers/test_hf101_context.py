"""HF101 reads the build context: entrypoint scripts decide whether a USER would break the image.

Issue 14 items 1, 2 and 4, and issue 12 item 6 (group names that made HF101 raise StopIteration).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hardenify.engine import fix_text, lint
from hardenify.settings import Settings
from tests.fixers.util import findings, fixed

CODE = "HF101"


def _lint(path: Path) -> list:  # type: ignore[type-arg]
    return lint(str(path), path.read_text(), "dockerfile", Settings(select=(CODE,))).diagnostics


def _project(tmp_path: Path, dockerfile: str, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    df = tmp_path / "Dockerfile"
    df.write_text(dockerfile)
    return df


GOSU_SCRIPT = '#!/bin/sh\nset -e\nchown -R app /data\nexec gosu app "$@"\n'
APP = 'FROM debian:12\nCOPY entrypoint.sh /usr/local/bin/\nENTRYPOINT ["entrypoint.sh"]\nCMD ["server"]\n'


@pytest.mark.parametrize(
    ("script", "program"),
    [
        (GOSU_SCRIPT, "gosu"),
        ('#!/bin/sh\nexec su-exec app "$@"\n', "su-exec"),
        ('#!/bin/sh\nexec setpriv --reuid=1000 --regid=1000 --init-groups "$@"\n', "setpriv"),
        ('#!/bin/sh\nexec chpst -u app "$@"\n', "chpst"),
        ('#!/bin/sh\nexec s6-setuidgid app "$@"\n', "s6-setuidgid"),
        ('#!/bin/sh\nexec runuser -u app -- "$@"\n', "runuser"),
        ('#!/bin/sh\nexec su app -c "$*"\n', "su"),
        ("#!/bin/sh\nexec /usr/bin/supervisord -n\n", "supervisord"),
        ("#!/bin/sh\nexec runsvdir /etc/service\n", "runit"),
        ("#!/bin/sh\nexec /usr/sbin/sshd -D\n", "sshd"),
        ("#!/bin/sh\niptables -A INPUT -j DROP\nexec server\n", "iptables"),
        ("#!/bin/sh\nexec openvpn --config /etc/vpn.conf\n", "openvpn"),
        ("#!/bin/sh\nexec kismet\n", "kismet"),
    ],
)
def test_entrypoint_script_in_the_context_keeps_the_image_root(
    tmp_path: Path, script: str, program: str
) -> None:
    df = _project(tmp_path, APP, {"entrypoint.sh": script})
    ds = _lint(df)
    assert len(ds) == 1 and ds[0].fix is None
    assert "left for a human: needs root because the entrypoint script" in ds[0].message
    assert program in ds[0].message


def test_scripts_the_entrypoint_calls_are_read_too(tmp_path: Path) -> None:
    files = {"start.sh": "#!/bin/sh\n. /app/lib/run.sh\n", "lib/run.sh": GOSU_SCRIPT}
    dockerfile = 'FROM debian:12\nCOPY . /app\nCMD ["/app/start.sh"]\n'
    ds = _lint(_project(tmp_path, dockerfile, files))
    assert ds[0].fix is None and "gosu" in ds[0].message


def test_plain_entrypoint_script_still_gets_the_fix(tmp_path: Path) -> None:
    df = _project(tmp_path, APP, {"entrypoint.sh": '#!/bin/sh\n# gosu is not used here\nexec "$@"\n'})
    ds = _lint(df)
    assert ds[0].fix is not None


def test_context_files_are_read_safely(tmp_path: Path) -> None:
    """A FIFO, a symlink out of the context and a huge file are never read (no hang, no leak)."""
    outside = tmp_path / "outside.sh"
    outside.write_text(GOSU_SCRIPT)
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "entrypoint.sh").symlink_to(outside)
    df = _project(ctx, APP, {})
    assert _lint(df)[0].fix is not None  # the link leaves the context: not read
    (ctx / "entrypoint.sh").unlink()
    os.mkfifo(ctx / "entrypoint.sh")
    assert _lint(df)[0].fix is not None  # a FIFO is never opened (this would block)
    (ctx / "entrypoint.sh").unlink()
    (ctx / "entrypoint.sh").write_text("#" * (300 * 1024) + "\nexec gosu app x\n")
    assert _lint(df)[0].fix is not None  # over the size cap: not read


def test_installed_droppers_keep_the_image_root() -> None:
    for text, program in (
        ('FROM debian:12\nRUN apt-get install -y gosu\nCMD ["server"]\n', "gosu"),
        ('FROM alpine:3.20\nRUN apk add --no-cache su-exec\nCMD ["server"]\n', "su-exec"),
        ('FROM debian:12\nRUN curl -o /usr/local/bin/gosu https://x/gosu-amd64\nCMD ["server"]\n', "gosu"),
        ('FROM python:3.12\nRUN pip install supervisor\nCMD ["server"]\n', "supervisord"),
        ('FROM alpine:3.20\nADD https://x/s6-overlay-noarch.tar.xz /tmp\nENTRYPOINT ["/init"]\n', "s6"),
        ('FROM debian:12\nRUN apt-get install -y openvpn\nCMD ["/start"]\n', "openvpn"),
        ('FROM debian:12\nRUN apt-get install -y pptp-linux\nCMD ["/start"]\n', "pptp"),
        ('FROM debian:12\nCMD ["/lib/systemd/systemd"]\n', "systemd"),
    ):
        ds = findings(text, CODE)
        assert ds[0].fix is None and "left for a human" in ds[0].message and program in ds[0].message, text


# --------------------------------------------------------------------------- base and tool images


def test_final_stage_without_cmd_is_a_base() -> None:
    for text in ("FROM python:3.12-slim\nRUN pip install flask\n", "FROM myorg/base:1\nRUN apt-get update\n"):
        ds = findings(text, CODE)
        assert ds[0].fix is None and "no CMD/ENTRYPOINT of its own" in ds[0].message
        assert fixed(text, CODE, unsafe=True) == text


def test_inherited_service_cmd_is_still_an_application() -> None:
    # nginx's own CMD runs the server: a file that only adds content is a runnable image.
    assert findings("FROM nginx:1.27\nCOPY site /usr/share/nginx/html\n", CODE)[0].fix is not None
    # A CMD from an earlier stage of the same file counts as the image's own.
    text = 'FROM debian:12 AS base\nCMD ["app"]\nFROM base\nCOPY app /app\n'
    assert findings(text, CODE)[0].fix is not None


def test_tool_image_writing_a_volume_gets_the_fix_with_a_note() -> None:
    text = 'FROM debian:12\nCOPY tool /usr/local/bin/tool\nWORKDIR /work\nVOLUME /work\nENTRYPOINT ["tool"]\n'
    ds = findings(text, CODE)
    assert ds[0].fix is not None and ds[0].note is not None and "VOLUME /work" in ds[0].note
    assert "writable by" in ds[0].fix.message


# ------------------------------------------------------------------------------ ids from build args


def test_arg_driven_uid_stays_a_variable() -> None:
    text = (
        "FROM debian:12\nARG APP_UID=1000\nARG APP_GID=1000\n"
        'RUN groupadd -g $APP_GID app && useradd -u $APP_UID -g app app\nCMD ["app"]\n'
    )
    out = fixed(text, CODE, unsafe=True)
    assert "USER ${APP_UID}:${APP_GID}\n" in out
    assert "USER 1000" not in out


def test_uid_arg_outside_the_final_stage_is_not_used() -> None:
    text = 'FROM debian:12 AS base\nARG APP_UID=1000\nRUN useradd -u $APP_UID app\nFROM base\nCMD ["app"]\n'
    ds = findings(text, CODE)
    assert ds[0].fix is None or "USER 1000" not in "".join(e.content for e in ds[0].fix.edits)


def test_root_default_is_never_written() -> None:
    text = 'FROM debian:12\nARG USER_ID=0\nRUN useradd -u ${USER_ID:-0} app\nCMD ["app"]\n'
    out = fixed(text, CODE, unsafe=True)
    assert "USER 0" not in out and "USER ${USER_ID" not in out
    text = 'FROM debian:12\nARG USER_ID\nUSER ${USER_ID:-0}\nRUN x\nUSER root\nCMD ["app"]\n'
    out = fixed(text, CODE, unsafe=True)
    assert "USER 0" not in out and out.count("USER ${USER_ID:-0}") == 1


@pytest.mark.parametrize("groups", [("app",), ("app", "appuser"), ("app", "appuser", "hardenify")])
def test_taken_group_names_do_not_crash(groups: tuple[str, ...]) -> None:
    adds = " && ".join(f"groupadd {g}" for g in groups)
    text = f'FROM debian:12\nRUN {adds}\nCMD ["app"]\n'
    res = fix_text("Dockerfile", text, "dockerfile", Settings(select=(CODE,), unsafe_fixes=True))
    assert "USER 10001:10001" in res.text
    created = res.text.split("useradd", 1)[1]
    assert not any(f" {g}\n" in created for g in groups)
