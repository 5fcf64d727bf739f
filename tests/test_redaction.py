"""One redactor, every writer: no secret value from a scanned file reaches any output.

The end-to-end test runs every command over a repository full of secrets (check in every
format, fix --diff, pin --diff against a fake registry, bulk --dry-run and bulk, report,
error paths) and greps every stdout, stderr, written file and commit message for each raw
value (issue 12 item 2). Network-free: pin talks to pytest-httpserver on localhost.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from hardenify.cli import app
from hardenify.diagnostics import REDACTED, Redactor
from tests.test_pin_cli import serve

GIT = shutil.which("git")

# Fake credentials in real formats, assembled from pieces so secret scanners skip this file.
GH = "ghp" + "_" + "A1b2C3d4E5f6G7h8I9j0" + "K1l2M3n4O5p6Q7r8"
GH_PAT = "github" + "_pat_" + "11ABCDEFG0123456789_" + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
SECRETS = {
    "env": "s3cr3tEnvValue99",
    "mysql": "MyHiddenPass1",
    "sshpass": "SshPassValue7",
    "bearer": "BearerTok3nValue",
    "basic": "dXNlcjpCYXNpY1Bhc3M=",
    "netrc": "NetrcPassValue5",
    "cmd": "CmdPassValue42",
    "gh-command": GH,
    "gh-label": GH_PAT,
    "compose-env": "EnvComposePass77",
    "dup-first": "FirstDupPass99",
    "dup-second": "SecondDupPass88",
    "broken-yaml": "BrokenYamlPass55",
    "near-image": "NearImagePass31",
}


def dockerfile(host: str) -> str:
    s = SECRETS
    return (
        f"FROM {host}/library/python:3.12\n"
        f"ENV API_TOKEN={s['env']}\n"
        "ARG PIP_TOKEN=${PIP_TOKEN}\n"
        f"RUN mysql -p{s['mysql']} -u root db\n"
        f"RUN sshpass -p {s['sshpass']} ssh host true\n"
        f'RUN curl -H "Authorization: Bearer {s["bearer"]}" https://x.example\n'
        f'RUN curl -H "Authorization: Basic {s["basic"]}" https://x.example\n'
        f'RUN echo "machine x.example login u password {s["netrc"]}" > ~/.netrc\n'
        f'CMD ["app", "--password", "{s["cmd"]}"]\n'
    )


def compose(host: str) -> str:
    s = SECRETS
    return (
        "services:\n"
        "  app:\n"
        f"    environment: {{DB_PASSWORD: {s['near-image']}}}\n"  # the line right above image:
        f"    image: {host}/library/nginx:1.27\n"
        f'    command: ["run", "--token", "{s["gh-command"]}"]\n'
        "    labels:\n"
        f"      gh: {s['gh-label']}\n"
        "  db:\n"
        f"    image: {host}/library/postgres:16\n"
        "    environment:\n"
        f"      POSTGRES_PASSWORD: {s['compose-env']}\n"
    )


DUPLICATE_KEYS = (
    "services:\n  cache:\n    image: redis:7\n    environment:\n"
    f"      REDIS_PASSWORD: {SECRETS['dup-first']}\n      REDIS_PASSWORD: {SECRETS['dup-second']}\n"
)
BROKEN_YAML = (
    f"services:\n  q:\n    environment:\n      QUEUE_PASSWORD: {SECRETS['broken-yaml']}\n    image: [oops\n"
)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    monkeypatch.setenv("HARDENIFY_CACHE_DIR", str(tmp_path / "cache"))
    for var in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.setenv(var, "t")
    for var in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(var, "t@example.com")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def make_repo(root: Path, host: str, name: str = "svc", *, broken: bool = True) -> Path:
    """A git repository of secrets; `broken` adds files that do not parse (bulk refuses them)."""
    repo = root / "fleet" / name
    repo.mkdir(parents=True)
    (repo / "Dockerfile").write_text(dockerfile(host))
    (repo / "compose.yaml").write_text(compose(host))
    if broken:
        (repo / "dup").mkdir()
        (repo / "broken").mkdir()
        (repo / "dup" / "compose.yaml").write_text(DUPLICATE_KEYS)
        (repo / "broken" / "compose.yaml").write_text(BROKEN_YAML)
    (repo / ".dockerignore").write_text(".git\n.env\n")
    if GIT:
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", "initial")
    return repo


def invoke(cwd: Path, *args: str) -> tuple[str, str, int]:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        r = CliRunner().invoke(app, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
    return r.stdout, r.stderr, r.exit_code


def leaks(text: str) -> list[str]:
    return [name for name, value in SECRETS.items() if value in text]


# --------------------------------------------------------------------------- the redactor


def test_redactor_masks_literals_and_never_a_variable_reference() -> None:
    r = Redactor()
    for v in ("${PIP_TOKEN}", "$PIP_TOKEN", "PIP_TOKEN", "s3cretdefault"):
        r.add(v)
    assert r.secrets == {"PIP_TOKEN", "s3cretdefault"}  # a pure reference is never a secret
    line = "ARG PIP_TOKEN=${PIP_TOKEN} X=${X:-s3cretdefault} $PIP_TOKEN"
    assert r(line) == f"ARG {REDACTED}=${{PIP_TOKEN}} X=${{X:-{REDACTED}}} $PIP_TOKEN"
    assert r.spans(line) == [(4, 13), (34, 47)]


def test_redactor_ignores_short_values_and_the_marker() -> None:
    r = Redactor()
    r.update(["ab", "REDACTED", "", "  'quoted-value'  "])
    assert r.secrets == {"quoted-value"}
    assert r(r("x quoted-value y")) == f"x {REDACTED} y"


def test_pin_diff_masks_tokens_in_context_lines(httpserver: HTTPServer, tmp_path: Path) -> None:
    host = f"localhost:{httpserver.port}"
    serve(httpserver, "library/python", "3.12")
    tok = SECRETS["env"]
    (tmp_path / "Dockerfile").write_text(f"ARG X=1\nFROM {host}/library/python:3.12\nENV API_TOKEN={tok}\n")
    out, err, code = invoke(tmp_path, "pin", "--diff", "Dockerfile")
    assert code == 1 and "+FROM" in out and f"ENV API_TOKEN={REDACTED}" in out
    assert tok not in out + err


# ------------------------------------------------------------------------------ end to end


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_no_secret_reaches_any_output(httpserver: HTTPServer, tmp_path: Path) -> None:
    host = f"localhost:{httpserver.port}"
    for repo_tag in ("library/python:3.12", "library/nginx:1.27", "library/postgres:16"):
        serve(httpserver, *repo_tag.split(":"))
    repo = make_repo(tmp_path, host)
    clean = make_repo(tmp_path, host, "clean", broken=False)
    outputs: dict[str, str] = {}

    def run(label: str, *args: str, cwd: Path = repo) -> int:
        out, err, code = invoke(cwd, *args)
        outputs[label] = out + "\n" + err
        return code

    for fmt in ("text", "concise", "json", "sarif", "github", "gitlab"):
        run(f"check {fmt}", "check", "--output-format", fmt, ".")
        run(f"check {fmt} --select HF1", "check", "--select", "HF1", "--output-format", fmt, ".")
    run("fix --diff", "fix", "--diff", ".")
    run("fix --diff --unsafe-fixes", "fix", "--diff", "--unsafe-fixes", ".")
    run("fix --diff --select HF5", "fix", "--diff", "--unsafe-fixes", "--select", "HF5", ".")
    assert run("pin --diff", "pin", "--diff", ".") == 1
    assert "+    image: " in outputs["pin --diff"]  # the pin itself is shown
    run("error: pin on a duplicate key", "pin", "--diff", "dup/compose.yaml")
    assert "hardenify: error: dup/compose.yaml" in outputs["error: pin on a duplicate key"]
    run("error: check of broken yaml", "check", "broken/compose.yaml")
    assert "HF600" in outputs["error: check of broken yaml"]
    run("error: check of a missing path", "check", "missing/Dockerfile")

    fleet = repo.parent
    report_dir = tmp_path / "report"
    assert run("report", "report", str(fleet), "-o", str(report_dir), cwd=tmp_path) == 0
    for f in report_dir.iterdir():
        outputs[f"report file {f.name}"] = f.read_text()

    bodies = tmp_path / "bodies"
    run(
        "bulk --dry-run",
        "bulk",
        "--dry-run",
        "--unsafe-fixes",
        "--pr-body-dir",
        str(bodies),
        str(repo),
        str(clean),
        cwd=tmp_path,
    )
    assert run("bulk", "bulk", "--unsafe-fixes", str(repo), str(clean), cwd=tmp_path) == 1  # svc fails
    outputs["commit messages"] = git(clean, "log", "--all", "--format=%B")
    assert "hardenify" in outputs["commit messages"]
    for f in [*bodies.glob("*"), *(clean / ".git" / "hardenify").glob("*")]:
        if f.is_file():
            outputs[f"bulk file {f.name}"] = f.read_text()
    assert any(k.startswith("bulk file") for k in outputs), "bulk wrote no PR body"

    found = {label: leaks(text) for label, text in outputs.items()}
    assert {label: names for label, names in found.items() if names} == {}
    # The masks are where the secrets were shown: snippets, diff lines, the pin error.
    for label in ("check text", "fix --diff --unsafe-fixes", "pin --diff", "error: pin on a duplicate key"):
        assert REDACTED in outputs[label], label


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_fix_diff_applies_with_git_apply(tmp_path: Path) -> None:
    """Without a secret in a changed hunk, `fix --diff` is a patch git applies as it is,
    and a `${PIP_TOKEN}` reference in it is never masked."""
    repo = tmp_path / "r"
    repo.mkdir()
    (repo / "Dockerfile").write_text(
        "FROM python:3.12-slim\nARG PIP_TOKEN=${PIP_TOKEN}\n"
        "RUN apt-get update && apt-get install curl\n\n\n\n\n"
        "ENV DB_PASSWORD=Kept0utOfHunk1\n\n\n\n\nCOPY . /app\nCMD python /app/main.py\n"
    )
    (repo / "compose.yaml").write_text("services:\n  web:\n    image: nginx:1.27\n")
    git(repo, "init", "-q")
    out, _err, code = invoke(repo, "fix", "--diff", ".")
    assert code == 1 and out.startswith("--- a/")
    assert "+++ b/Dockerfile" in out and "+++ b/compose.yaml" in out
    assert "ARG PIP_TOKEN=${PIP_TOKEN}" in out and "Kept0utOfHunk1" not in out
    subprocess.run(["git", "apply", "--check", "-"], input=out, text=True, cwd=repo, check=True)
    subprocess.run(["git", "apply", "-"], input=out, text=True, cwd=repo, check=True)
    after, _, code = invoke(repo, "fix", "--diff", ".")
    assert code == 0 and after == ""
