from hardenify.diagnostics import Applicability
from tests.fixers.util import codes, findings, fixed

CODE = "HF406"


def test_passes() -> None:
    for run in (
        "pip install --no-cache-dir flask",
        "pip --no-cache-dir install flask",
        "pip install --no-cache flask",
        "PIP_NO_CACHE_DIR=1 pip install flask",
        "export PIP_NO_CACHE_DIR=off && pip install flask",
        "pip download flask",
        "pip freeze",
        "pipx install black",
        "pipenv install",
        "uv pip install flask",
        "python setup.py install",
        "python -c 'import pip' install",
        "echo pip install flask",
    ):
        assert codes(f"FROM python:3.12\nRUN {run}\n", CODE) == [], run


def test_env_arg_and_parent_stage_pass() -> None:
    assert codes("FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN pip install x\n", CODE) == []
    assert codes("FROM python:3.12\nARG PIP_NO_CACHE_DIR=true\nRUN pip install x\n", CODE) == []
    text = "FROM python:3.12 AS base\nENV PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install x\n"
    assert codes(text, CODE) == []
    text = "FROM python:3.12 AS base\nENV PIP_NO_CACHE_DIR=1\nFROM python:3.12\nRUN pip install x\n"
    assert codes(text, CODE) == [CODE]
    text = "FROM python:3.12\nRUN pip config set global.no-cache-dir false\nRUN pip install x\n"
    assert codes(text, CODE) == []


def test_cache_mounts_pass() -> None:
    for target in ("/root/.cache/pip", "/root/.cache", "/home/app/.cache/pip"):
        text = f"FROM python:3.12\nRUN --mount=type=cache,target={target} pip install x\n"
        assert codes(text, CODE) == [], target


def test_fires_on_all_spellings() -> None:
    text = """
        FROM python:3.12
        RUN pip install -r requirements.txt \\
            && pip3 install --upgrade pip \\
            && python3 -m pip install gunicorn \\
            && python3.12 -mpip install uvicorn \\
            && /opt/venv/bin/pip3.12 install x
    """
    ds = findings(text, CODE)
    assert [d.location.row for d in ds] == [2, 3, 4, 5, 6]
    assert "`python3 -m pip install`" in ds[2].message
    assert all(d.fix is not None and d.fix.applicability is Applicability.SAFE for d in ds)


def test_fix() -> None:
    before = "FROM python:3.12\nRUN python -m pip install --upgrade pip && pip install -r r.txt\n"
    after = "FROM python:3.12\nRUN python -m pip install --no-cache-dir --upgrade pip && pip install --no-cache-dir -r r.txt\n"
    assert fixed(before, CODE) == after


def test_fix_crlf_heredoc_and_comment_in_continuation() -> None:
    before = "FROM python:3.12\r\nRUN pip install \\\r\n    # web\r\n    flask\r\nRUN <<EOF\r\npip3 install x\r\nEOF\r\n"
    after = (
        "FROM python:3.12\r\nRUN pip install --no-cache-dir \\\r\n    # web\r\n    flask\r\n"
        "RUN <<EOF\r\npip3 install --no-cache-dir x\r\nEOF\r\n"
    )
    assert fixed(before, CODE) == after


def test_no_change_when_good() -> None:
    text = "FROM python:3.12\nRUN pip install --no-cache-dir -r r.txt\n"
    assert fixed(text, CODE) == text


def test_hadolint_pragma() -> None:
    assert codes("FROM python:3.12\n# hadolint ignore=DL3042\nRUN pip install x\n", CODE) == []
