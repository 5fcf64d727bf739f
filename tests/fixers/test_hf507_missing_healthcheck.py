import json

from hardenify.diagnostics import Applicability
from tests.fixers.util import codes, dedent, findings, fixed

CODE = "HF507"


def rows(text: str) -> list[int]:
    return [d.location.row for d in findings(text, CODE)]


def test_service_without_healthcheck_fires_on_final_from() -> None:
    text = """\
        FROM python:3.12 AS build
        RUN pip wheel .
        FROM python:3.12-slim
        EXPOSE 8000
        CMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]
        """
    ds = findings(text, CODE)
    assert [(d.code, d.location.row) for d in ds] == [("HF507", 3)]
    assert "gunicorn" in ds[0].message and "inherited" in ds[0].message
    assert ds[0].fix is not None and ds[0].fix.applicability is Applicability.UNSAFE


def test_server_detection() -> None:
    assert rows('FROM debian:12\nCMD ["nginx", "-g", "daemon off;"]\n') == [1]
    assert rows("FROM nginx:1.27\nCOPY site /usr/share/nginx/html\n") == [1]
    assert rows('FROM ruby:3.3\nCMD ["bundle", "exec", "rails", "server"]\n') == [1]
    assert rows("FROM python:3.12\nCMD python manage.py runserver 0.0.0.0:8000\n") == [1]


def test_near_misses_do_not_fire() -> None:
    cases = [
        'FROM python:3.12\nEXPOSE 8000\nHEALTHCHECK NONE\nCMD ["app"]\n',
        'FROM python:3.12 AS base\nHEALTHCHECK CMD ["true"]\nFROM base\nEXPOSE 80\nCMD ["app"]\n',
        'FROM scratch\nCOPY app /app\nEXPOSE 80\nCMD ["/app"]\n',
        "FROM python:3.12\nEXPOSE 8000\n",  # no command of its own: a base image
        'FROM python:3.12\nCMD ["python", "job.py"]\n',  # a job, not a service
        'FROM golang:1.23 AS builder\nEXPOSE 8080\nCMD ["go", "run", "."]\n',
        "FROM golang:1.23\nRUN go build\n",
    ]
    for text in cases:
        assert rows(text) == [], text


def test_devcontainer_is_skipped() -> None:
    text = 'FROM node:22\nEXPOSE 3000\nCMD ["npm", "start"]\n'
    assert findings(text, CODE) != []
    from hardenify.engine import lint
    from hardenify.settings import Settings

    res = lint(".devcontainer/Dockerfile", text, "dockerfile", Settings(select=(CODE,)))
    assert res.diagnostics == []


def test_python_fix_before_cmd() -> None:
    before = """\
        FROM python:3.12-slim
        EXPOSE 8000
        # start
        CMD ["gunicorn", "app:app"]
        """
    probe = "import socket; socket.create_connection(('127.0.0.1', 8000), 2).close()"
    after = f"""\
        FROM python:3.12-slim
        EXPOSE 8000
        HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 CMD ["python", "-c", {json.dumps(probe)}]
        # start
        CMD ["gunicorn", "app:app"]
        """
    assert fixed(before, CODE, unsafe=True) == dedent(after)
    assert fixed(before, CODE) == dedent(before)


def test_node_fix_lowercase_crlf() -> None:
    before = 'from node:22-slim\r\nexpose 3000\r\ncmd ["node", "server.js"]\r\n'
    out = fixed(before, CODE, unsafe=True)
    lines = out.split("\r\n")
    assert lines[2].startswith(
        'healthcheck --interval=30s --timeout=3s --start-period=10s --retries=3 cmd ["node", "-e", '
    )
    assert "connect(3000,'127.0.0.1')" in lines[2]
    assert lines[3] == 'cmd ["node", "server.js"]'
    assert "\n" not in out.replace("\r\n", "")


def test_port_from_env_and_distroless() -> None:
    before = 'FROM gcr.io/distroless/python3-debian12\nENV PORT=8080\nEXPOSE ${PORT}\nCMD ["app.py"]\n'
    out = fixed(before, CODE, unsafe=True)
    assert (
        'CMD ["python3", "-c", "import socket; socket.create_connection((\'127.0.0.1\', 8080), 2).close()"]'
        in out
    )


def test_no_fix_without_single_port_or_probe() -> None:
    cases = [
        'FROM python:3.12\nEXPOSE 8000 8001\nCMD ["app"]\n',
        'FROM python:3.12\nEXPOSE 53/udp\nCMD ["app"]\n',
        'FROM debian:12\nEXPOSE 8000\nCMD ["app"]\n',
        'FROM gcr.io/distroless/static\nEXPOSE 8000\nCMD ["/app"]\n',
        'FROM python:3.12-windowsservercore\nEXPOSE 8000\nCMD ["app"]\n',
    ]
    for text in cases:
        ds = findings(text, CODE)
        assert len(ds) == 1 and ds[0].fix is None, text


def test_fix_appends_when_command_is_inherited() -> None:
    before = 'FROM node:22 AS base\nCMD ["node", "s.js"]\nFROM base\nEXPOSE 80\nCOPY . /app'
    out = fixed(before, CODE, unsafe=True)
    assert out.startswith(before + "\nHEALTHCHECK --interval=30s")
    assert not out.endswith("\n")


def test_already_good_is_unchanged() -> None:
    text = 'FROM python:3.12\nEXPOSE 8000\nHEALTHCHECK CMD ["python", "-c", "1"]\nCMD ["app"]\n'
    assert codes(text, CODE) == []
    assert fixed(text, CODE, unsafe=True) == text


def test_odd_input_does_not_raise() -> None:
    for text in (
        "",
        "EXPOSE 80\n",
        "FROM x\nEXPOSE\nCMD\n",
        "FROM ${X}\nEXPOSE 80\nCMD a\n",
        "FROM x\nEXPOSE 99999\nCMD a\n",
    ):
        codes(text, CODE)
