"""The command line as users meet it: exit codes, stdin, bad input, writes that lose nothing."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hardenify.cli import app

BAD = "FROM python:3.12\nRUN pip install flask\nCMD python app.py\n"
GOOD = (
    "FROM python:3.12-slim@sha256:" + "a" * 64 + "\n"
    'HEALTHCHECK CMD ["python", "-c", "print(1)"]\n'
    "USER 10001:10001\n"
    'CMD ["python", "app.py"]\n'
)


def run(args: list[str], cwd: Path, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "hardenify.cli", *args], cwd=cwd, input=input, capture_output=True, check=False
    )


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def test_exit_codes_follow_ruff(tmp_path: Path, cli: CliRunner) -> None:
    (tmp_path / "Dockerfile").write_text(BAD)
    r = cli.invoke(app, ["check", str(tmp_path)])
    assert r.exit_code == 1, r.output
    assert "HF406" in r.output
    assert cli.invoke(app, ["check", "--exit-zero", str(tmp_path)]).exit_code == 0
    # a clean file (with every other rule that fires on it ignored) exits 0
    (tmp_path / "Dockerfile").write_text(GOOD)
    r = cli.invoke(app, ["check", "--select", "HF406,HF101", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert cli.invoke(app, ["check", "--select", "NOPE", str(tmp_path)]).exit_code == 2
    assert cli.invoke(app, ["check", str(tmp_path / "missing")]).exit_code == 2


def test_bad_files_get_one_line_and_others_still_run(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(BAD)
    (tmp_path / "Dockerfile.bin").write_bytes(b"FROM a\x00\x01\x02")
    (tmp_path / "Dockerfile.utf16").write_bytes("FROM a\n".encode("utf-16"))
    r = run(["check", "--output-format", "concise", "."], tmp_path)
    err = r.stderr.decode() + r.stdout.decode()
    assert r.returncode == 2
    assert "Dockerfile.bin: error: binary file" in err or "Dockerfile.bin: binary file" in err
    assert "UTF-16" in err
    assert "Traceback" not in err
    assert "Dockerfile:2:5: HF406" in r.stdout.decode()


def test_unreadable_file(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can read any file")
    p = tmp_path / "Dockerfile"
    p.write_text(BAD)
    p.chmod(0)
    r = run(["check", "Dockerfile"], tmp_path)
    assert r.returncode == 2 and b"cannot read" in r.stderr


def test_config_error_exits_2_with_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(BAD)
    (tmp_path / ".hardenify.toml").write_text('selct = ["HF1"]\n')
    r = run(["check", "."], tmp_path)
    assert r.returncode == 2
    assert b"selct" in r.stderr and b"Traceback" not in r.stderr


def test_stdin_check_and_fix(tmp_path: Path) -> None:
    r = run(
        ["check", "-", "--stdin-filename", "api/Dockerfile", "--output-format", "concise"],
        tmp_path,
        BAD.encode(),
    )
    assert r.returncode == 1 and b"api/Dockerfile:2:5: HF406" in r.stdout
    r = run(["fix", "-", "--select", "HF406"], tmp_path, BAD.encode())
    assert r.returncode == 0
    assert r.stdout.decode() == BAD.replace("pip install", "pip install --no-cache-dir")


def test_fix_diff_writes_nothing_and_exits_1(tmp_path: Path) -> None:
    p = tmp_path / "Dockerfile"
    p.write_text(BAD)
    r = run(["fix", "--diff", "--select", "HF406", "."], tmp_path)
    assert r.returncode == 1
    out = r.stdout.decode()
    assert "--- a/Dockerfile" in out and "+++ b/Dockerfile" in out
    assert "+RUN pip install --no-cache-dir flask" in out
    assert p.read_text() == BAD


def test_fix_in_place_keeps_mode_crlf_bom_and_is_idempotent(tmp_path: Path) -> None:
    p = tmp_path / "Dockerfile"
    original = ("\ufeff" + BAD.replace("\n", "\r\n")).encode()
    p.write_bytes(original)
    p.chmod(0o640)
    r = run(["fix", "--select", "HF406", "."], tmp_path)
    assert r.returncode == 0, r.stderr
    data = p.read_bytes()
    assert data.startswith("\ufeff".encode()) and b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert b"pip install --no-cache-dir flask\r\n" in data
    assert stat.S_IMODE(p.stat().st_mode) == 0o640
    assert not [x for x in tmp_path.iterdir() if x.name.endswith(".tmp")]
    r2 = run(["fix", "--select", "HF406", "."], tmp_path)
    assert r2.returncode == 0 and p.read_bytes() == data


def test_fix_refuses_symlink_out_of_tree(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "Dockerfile"
    target.write_text(BAD)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "Dockerfile").symlink_to(target)
    r = run(["fix", "--select", "HF406", "Dockerfile"], tree)
    assert r.returncode == 2
    assert b"symlink" in r.stderr
    assert target.read_text() == BAD


def test_json_output_is_one_array_with_ruff_fields(tmp_path: Path, cli: CliRunner) -> None:
    (tmp_path / "Dockerfile").write_text(BAD)
    r = cli.invoke(app, ["check", "--output-format", "json", str(tmp_path)])
    data = json.loads(r.output)
    assert isinstance(data, list) and data
    f = next(x for x in data if x["code"] == "HF406")
    assert {
        "code",
        "message",
        "filename",
        "location",
        "end_location",
        "fix",
        "url",
        "severity",
        "name",
    } <= set(f)
    assert f["location"] == {"row": 2, "column": 5}
    assert f["fix"]["applicability"] == "safe"


def test_secret_is_redacted_in_every_output(tmp_path: Path) -> None:
    token = "ghp_" + "Z9" * 18
    (tmp_path / "Dockerfile").write_text(
        f"FROM debian:12\nENV GITHUB_TOKEN={token}\nRUN echo $GITHUB_TOKEN\n"
    )
    outputs = []
    for fmt in ("text", "concise", "json", "sarif", "github", "gitlab"):
        r = run(["check", "--output-format", fmt, "."], tmp_path)
        outputs.append(r.stdout + r.stderr)
    r = run(["fix", "--diff", "--unsafe-fixes", "."], tmp_path)
    outputs.append(r.stdout + r.stderr)
    for out in outputs:
        assert token.encode() not in out
    assert any(b"HF302" in o for o in outputs)


def test_rules_and_rule(cli: CliRunner) -> None:
    r = cli.invoke(app, ["rules"])
    assert r.exit_code == 0 and "HF101" in r.output
    r = cli.invoke(app, ["rule", "HF101"])
    assert r.exit_code == 0 and "## Why is this bad?" in r.output
    assert cli.invoke(app, ["rule", "root-user"]).output == r.output
    assert cli.invoke(app, ["rule", "HF999"]).exit_code == 2


def test_help_teaches() -> None:
    r = CliRunner().invoke(app, ["check", "--help"])
    assert "Examples:" in r.output and "--output-format" in r.output and "Exit codes" in r.output


def test_fix_creates_missing_dockerignore_only_with_unsafe_fixes(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text('FROM python:3.12-slim\nCOPY . /app\nCMD ["python", "/app/x.py"]\n')
    r = run(["fix", "--select", "HF304", "."], tmp_path)
    assert r.returncode == 0 and not (tmp_path / ".dockerignore").exists()
    r = run(["fix", "--diff", "--unsafe-fixes", "--select", "HF304", "."], tmp_path)
    assert r.returncode == 1 and b"+++ b/.dockerignore" in r.stdout
    assert not (tmp_path / ".dockerignore").exists()
    r = run(["fix", "--unsafe-fixes", "--select", "HF304", "."], tmp_path)
    assert r.returncode == 0
    created = (tmp_path / ".dockerignore").read_text()
    assert ".git" in created and ".env" in created
    assert run(["check", "--select", "HF304", "."], tmp_path).returncode == 0


def test_dockerignore_not_created_when_the_build_copies_what_it_would_exclude(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM node:22-slim\nCOPY .npmrc /root/.npmrc\nCOPY . /app\n")
    run(["fix", "--unsafe-fixes", "--select", "HF304", "."], tmp_path)
    assert not (tmp_path / ".dockerignore").exists()


def test_internal_errors_are_one_line_not_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "HARDENIFY_DEBUG": ""}
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            "import hardenify.cli as c; c.app.commands.clear(); c.COMMANDS['check'] = ('json', 'x'); c.main(['check'])",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert r.returncode == 2
    assert "internal error" in r.stderr and "Traceback" not in r.stderr


def test_the_program_turns_the_gc_off_for_start_up_and_on_again_for_the_files(tmp_path: Path) -> None:
    """`python -m hardenify` (the console script's code) starts with the cyclic GC off; the
    runner freezes the start-up heap and turns it back on before the per-file work."""
    (tmp_path / "Dockerfile").write_text(BAD)
    probe = (
        "import gc, sys\n"
        "from hardenify import runner\n"
        "seen = []\n"
        "real = runner.process\n"
        "runner.process = lambda t: (seen.append(gc.isenabled()), real(t))[1]\n"
        "from hardenify.__main__ import main\n"
        "try:\n"
        "    main(['check', '--jobs', '1', 'Dockerfile'])\n"
        "except SystemExit as e:\n"
        "    print(seen, gc.get_freeze_count() > 0, e.code, file=sys.stderr)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert r.stderr.strip().splitlines()[-1] == "[True] True 1", r.stderr
    m = subprocess.run(
        [sys.executable, "-m", "hardenify", "check", "Dockerfile"],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert m.returncode == 1 and b"HF101" in m.stdout, m.stderr
