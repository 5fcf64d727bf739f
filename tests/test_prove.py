"""`--prove` without an engine: comparison, verdicts, redacted build-log excerpts, wiring, exit 2.

Everything that needs a Docker engine is in tests/e2e/test_prove_e2e.py.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hardenify.diagnostics import REDACTED, Redactor
from hardenify.prove import buildlog, wiring
from hardenify.prove.docker import listening_ports
from hardenify.prove.model import (
    ImageFacts,
    Proof,
    RunState,
    StateKind,
    Verdict,
    compare,
    decide_run,
    gone_summary,
    human_size,
    is_build_only,
    same_command,
    same_state,
)
from hardenify.prove.report import counts, markdown
from hardenify.prove.run import TEST_BREAK_ENV, break_for_test, hardened_tmpfs

INSPECT = {
    "Size": 669_000_000,
    "Config": {
        "Entrypoint": None,
        "Cmd": ["/bin/sh", "-c", "python app.py"],
        "ExposedPorts": {"8000/tcp": {}, "22/tcp": {}},
        "WorkingDir": "/app",
        "Env": ["PATH=/usr/bin", "API_TOKEN=tok_abc123456", "LANG=C.UTF-8"],
        "User": "",
        "Healthcheck": {"Test": ["CMD", "true"]},
    },
}


def facts(**over: object) -> ImageFacts:
    base = ImageFacts.from_inspect(INSPECT, frozenset({"app/app.py", "usr/bin/python3", "usr/include/x.h"}))
    return ImageFacts(**{**base.__dict__, **over})  # type: ignore[arg-type]


def test_facts_from_inspect() -> None:
    f = facts()
    assert f.cmd == ("/bin/sh", "-c", "python app.py") and f.entrypoint is None
    assert f.exposed == ("22/tcp", "8000/tcp") and f.ports == (22, 8000)
    assert f.env["API_TOKEN"] == "tok_abc123456" and f.healthcheck == ("CMD", "true")
    none_hc = ImageFacts.from_inspect({"Config": {"Healthcheck": {"Test": ["NONE"]}}})
    assert none_hc.healthcheck is None and none_hc.ports == ()


def test_shell_and_exec_form_are_the_same_command() -> None:
    assert same_command(("/bin/sh", "-c", "python app.py"), ("python", "app.py"))
    assert same_command(("/bin/sh", "-c", "exec python app.py"), ("python", "app.py"))
    assert not same_command(("python", "app.py"), ("python", "other.py"))
    assert not same_command(None, ("python",))


def test_compare_reports_changes_but_not_moved_secrets() -> None:
    after = facts(
        cmd=("python", "app.py"),
        exposed=("8000/tcp",),
        env={"PATH": "/usr/bin", "LANG": "C.UTF-8"},
        user="10001",
        size=30_000_000,
        files=frozenset({"app/app.py"}),
    )
    c = compare(facts(), after, moved={"API_TOKEN"})
    assert "cmd" in c.same and "entrypoint" in c.same and "env" in c.same
    changed = {w: (a, b) for w, a, b in c.changed}
    assert changed["exposed ports"] == ("22/tcp 8000/tcp", "8000/tcp")
    assert changed["user"] == ("root", "10001")
    assert c.gone == ("usr/bin/python3",) and c.gone_build_only == 1
    # The secret's value never appears in a comparison, only names.
    lost = compare(facts(), after)
    assert ("env", "-API_TOKEN", "") in lost.changed
    assert "tok_abc123456" not in repr(lost)


def test_build_only_and_gone_summary() -> None:
    assert is_build_only("usr/include/stdio.h") and is_build_only("root/.cache/pip/x")
    assert is_build_only("app/node_modules/.cache/y") and not is_build_only("app/server.js")
    assert gone_summary(["a", "b"]) == "a, b"
    many = [f"usr/lib/x{i}" for i in range(5)] + ["etc/a/b", "bin"]
    assert gone_summary(many) == "7 files: usr/lib/ (5), etc/a, bin"


@pytest.mark.parametrize(
    ("before", "after", "same"),
    [
        (RunState(StateKind.LISTENING, ports=(8000,)), RunState(StateKind.HEALTHY, ports=(8000,)), True),
        (RunState(StateKind.LISTENING, ports=(8000,)), RunState(StateKind.RUNNING), False),
        (RunState(StateKind.HEALTHY, ports=(80,)), RunState(StateKind.LISTENING, ports=(80,)), False),
        (RunState(StateKind.EXITED, 0), RunState(StateKind.EXITED, 0), True),
        (RunState(StateKind.EXITED, 0), RunState(StateKind.EXITED, 1), False),
        (RunState(StateKind.RUNNING), RunState(StateKind.EXITED, 0), False),
        (RunState(StateKind.EXITED, 1), RunState(StateKind.RUNNING), True),  # the fix made it start
    ],
)
def test_same_state(before: RunState, after: RunState, same: bool) -> None:
    assert same_state(before, after) is same


def test_decide_run() -> None:
    ok = RunState(StateKind.RUNNING)
    assert decide_run(ok, ok) == (Verdict.PROVEN, "")
    verdict, why = decide_run(ok, RunState(StateKind.EXITED, 127))
    assert verdict is Verdict.REVERTED and "exited 127" in why
    verdict, why = decide_run(RunState(StateKind.EXITED, 1), RunState(StateKind.EXITED, 1))
    assert verdict is Verdict.UNPROVEN and "original" in why


def test_proof_evidence_reads_like_the_pr_body_promise() -> None:
    before = facts()
    after = facts(cmd=("python", "app.py"), user="10001", size=30_000_000, files=before.files)
    p = Proof(
        "svc/Dockerfile",
        Verdict.PROVEN,
        comparison=compare(before, after),
        before=RunState(StateKind.HEALTHY),
        after=RunState(StateKind.HEALTHY, uid=10001),
        user="10001",
    )
    assert p.line() == (
        "svc/Dockerfile: proven; built before and after; same entrypoint, same cmd, same exposed ports; "
        "runs as uid 10001; 669 MB → 30 MB; healthcheck healthy"
    )
    data = p.as_json()
    assert data["verdict"] == "proven" and data["size_before"] == 669_000_000 and data["hardened"] is True
    assert data["run_after"]["uid"] == 10001
    kept = Proof("Dockerfile", Verdict.REVERTED, reason="the fixed file does not build", kept=True)
    assert kept.headline() == "reverted: the fixed file does not build (kept: --keep-unproven)"


def test_markdown_table_is_escaped_and_counts() -> None:
    proofs = [
        Proof("a|b/Dockerfile", Verdict.PROVEN),
        Proof("c/Dockerfile", Verdict.REVERTED, reason="the original running, the fixed image exited 1"),
        Proof("d/Dockerfile", Verdict.UNPROVEN, reason="needs network to build"),
    ]
    md = "\n".join(markdown(proofs))
    assert "| Dockerfile | Verdict | Evidence |" in md
    assert r"`a\|b/Dockerfile`" in md and "unproven: needs network to build" in md
    assert "Reverted fixes are not in this change" in md
    assert counts(proofs) == {"proven": 1, "unproven": 1, "reverted": 1}
    assert markdown([]) == []


def test_human_size() -> None:
    assert [human_size(n) for n in (999, 3_700_000, 30_000_000, 669_000_000)] == [
        "999 B",
        "3.7 MB",
        "30 MB",
        "669 MB",
    ]


# ----------------------------------------------------------------------------- build logs


@pytest.mark.parametrize(
    ("log", "reason"),
    [
        ("#7 1.2 Temporary failure in name resolution", "needs network to build"),
        ("npm ERR! errno EAI_AGAIN", "needs network to build"),
        ("E: Unable to locate package curl", "needs network to build"),
        (
            "failed to solve with frontend dockerfile.v0: failed to create LLB definition: "
            "docker.io/acme/private:1: not found",
            "base image not available here (private or unknown)",
        ),
        (
            "pull access denied for corp/base, repository does not exist",
            "base image not available here (private or unknown)",
        ),
        ("cat: /run/secrets/npm_token: No such file or directory", "needs a build secret"),
        ("/bin/sh: 1: APP_VERSION: parameter not set", "needs a build argument"),
        ('failed to compute cache key: "/vendor.tar.gz" not found: not found', None),
        ("executor failed running [/bin/sh -c make]: exit code: 2", None),
    ],
)
def test_build_failure_cause(log: str, reason: str | None) -> None:
    assert buildlog.cause(log) == reason


def test_excerpt_redacts_secrets_and_keeps_variable_references() -> None:
    r = Redactor()
    r.add("s3cr3t-value-xyz")
    log = "\n".join(
        [
            "#5 [2/3] RUN echo s3cr3t-value-xyz",
            "#5 sha256:0123abcd",
            "#5 0.31 curl https://bob:hunter22@example.test/x",
            "#5 0.32 NPM_TOKEN=npm_abcdefghijklmnop npm ci",
            '#5 0.33 API_KEY="quoted value" PIP_TOKEN=${PIP_TOKEN}',
            "#5 ERROR: executor failed running: exit code: 1",
            "failed to compute cache key: /vendor.tar.gz not found",
        ]
    )
    text = buildlog.redact(log, r)
    for secret in ("s3cr3t-value-xyz", "hunter22", "npm_abcdefghijklmnop", "quoted value"):
        assert secret not in text
    assert "${PIP_TOKEN}" in text and "cache key: /vendor.tar.gz" in text
    assert REDACTED in text
    # The excerpt prefers error lines, without BuildKit's step prefixes.
    assert buildlog.excerpt(log, r) == (
        "ERROR: executor failed running: exit code: 1\nfailed to compute cache key: /vendor.tar.gz not found"
    )
    no_errors = buildlog.excerpt("\n".join(log.splitlines()[:5]), r, lines=3)
    assert no_errors.splitlines()[0] == "curl https://" + REDACTED + "@example.test/x"
    assert "sha256:" not in no_errors and len(no_errors.splitlines()) == 3
    assert all(len(line) <= 200 for line in buildlog.excerpt("x" * 500, r).splitlines())


# ----------------------------------------------------------------------------- wiring


def test_parse_build_args(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FROM_ENV", "e")
    monkeypatch.delenv("UNSET_ARG", raising=False)
    assert wiring.parse_build_args(["A=1", "B=x=y", "FROM_ENV", "UNSET_ARG"]) == {
        "A": "1",
        "B": "x=y",
        "FROM_ENV": "e",
    }
    assert wiring.secret_id_of("id=npm,src=/x") == "npm" and wiring.secret_id_of("src=/x") is None


def test_compose_build_args_and_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = tmp_path / "api"
    svc.mkdir()
    (svc / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "token.txt").write_text("t")
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  api:\n"
        "    build:\n"
        "      context: api\n"
        "      args: {VERSION: '1.2', FROM_ENV: '${HF_TEST_VAR}', UNKNOWN: '${HF_TEST_UNSET}'}\n"
        "      secrets: [tok, env_tok]\n"
        "  other:\n"
        "    build: {context: ., args: [OTHER=1]}\n"
        "secrets:\n"
        "  tok: {file: ./token.txt}\n"
        "  env_tok: {environment: HF_TEST_SECRET}\n"
    )
    monkeypatch.setenv("HF_TEST_VAR", "from-env")
    monkeypatch.setenv("HF_TEST_SECRET", "x")
    monkeypatch.delenv("HF_TEST_UNSET", raising=False)
    w = wiring.from_compose(svc / "Dockerfile", tmp_path)
    assert w.context == svc.resolve()
    assert w.build_args == {"VERSION": "1.2", "FROM_ENV": "from-env"}
    assert w.compose_secrets == {
        "tok": f"id=tok,src={(tmp_path / 'token.txt').resolve()}",
        "env_tok": "id=env_tok,env=HF_TEST_SECRET",
    }


def test_a_moved_secret_is_built_from_the_value_the_original_hard_coded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("hardenify.secrets")
    monkeypatch.delenv("API_TOKEN", raising=False)
    original = 'FROM python:3.12-slim\nENV API_TOKEN=tok_9f8e7d6c5b4a\nRUN use "$API_TOKEN"\n'
    fixed = (
        "FROM python:3.12-slim\n"
        'RUN --mount=type=secret,id=api_token API_TOKEN="$(cat /run/secrets/api_token)" use "$API_TOKEN"\n'
    )
    specs, missing, moved = wiring.secret_specs(fixed, original, tmp_path, (), wiring.Wiring(), tmp_path)
    assert missing == [] and moved == {"API_TOKEN"}
    assert specs == [f"id=api_token,src={tmp_path / 'secret-api_token'}"]
    path = tmp_path / "secret-api_token"
    assert path.read_text() == "tok_9f8e7d6c5b4a" and stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.setenv("API_TOKEN", "from-env")
    specs, _, _ = wiring.secret_specs(fixed, original, tmp_path, (), wiring.Wiring(), tmp_path)
    assert specs == ["id=api_token,env=API_TOKEN"]
    user = ["id=api_token,src=/run/user-file"]
    assert wiring.secret_specs(fixed, original, tmp_path, user, wiring.Wiring(), tmp_path)[0] == user


def test_a_secret_nobody_provides_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("hardenify.secrets")
    monkeypatch.delenv("NPM_TOKEN", raising=False)
    fixed = "FROM node:22-slim\nRUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci\n"
    _, missing, _ = wiring.secret_specs(fixed, fixed, tmp_path, (), wiring.Wiring(), tmp_path)
    assert missing == ["npm_token"]


# ----------------------------------------------------------------------------- run helpers


def test_hardened_tmpfs_reuses_the_compose_knowledge() -> None:
    nginx = hardened_tmpfs("FROM nginxinc/nginx-unprivileged:1.27 AS web\nFROM web\n")
    assert "/tmp" in nginx
    assert hardened_tmpfs("FROM example.test/unknown:1\n") == ("/tmp",)


def test_break_for_test_is_inert_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TEST_BREAK_ENV, raising=False)
    assert break_for_test("FROM x\n") == "FROM x\n"
    monkeypatch.setenv(TEST_BREAK_ENV, "run")
    assert break_for_test("FROM x").startswith("FROM x\nENTRYPOINT ")
    monkeypatch.setenv(TEST_BREAK_ENV, "build")
    assert break_for_test("FROM x\n").endswith("RUN /hardenify-test-hook/broken\n")


@pytest.mark.skipif(not Path("/proc/self/net/tcp").exists(), reason="needs Linux /proc")
def test_listening_ports_reads_proc() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        found = listening_ports(os.getpid())
    assert found is not None and port in found
    assert listening_ports(2**22 + 7) is None  # no such process


def test_prove_without_an_engine_says_so_and_exits_2(tmp_path: Path) -> None:
    df = tmp_path / "Dockerfile"
    df.write_text("FROM python:3.12-slim\nCOPY . /app\nCMD python /app/app.py\n")
    before = df.read_bytes()
    env = dict(os.environ, HARDENIFY_DOCKER=str(tmp_path / "no-docker"))
    for cmd in (["fix", "--unsafe-fixes", "--prove", str(df)],):
        proc = subprocess.run(
            [sys.executable, "-m", "hardenify.cli", *cmd],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("hardenify: error: --prove needs a Docker engine: ")
        assert "Traceback" not in proc.stderr
    assert df.read_bytes() == before  # nothing fixed, nothing written


def test_bulk_prove_without_an_engine_exits_2(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    env = dict(os.environ, HARDENIFY_DOCKER=str(tmp_path / "no-docker"))
    proc = subprocess.run(
        [sys.executable, "-m", "hardenify.cli", "bulk", "--prove", "--dry-run", str(repo)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2 and "--prove needs a Docker engine" in proc.stderr, proc.stderr


def test_proofs_reach_the_fleet_report(tmp_path: Path) -> None:
    from hardenify.prove.report import fleet_markdown, load, save

    repo = tmp_path / "api"
    (repo / ".git").mkdir(parents=True)
    proofs = [
        Proof("Dockerfile", Verdict.PROVEN, user="10001"),
        Proof("worker/Dockerfile", Verdict.UNPROVEN, reason="needs network to build"),
    ]
    save(repo / ".git", proofs)
    loaded = load(repo)
    assert [(p["path"], p["verdict"], p["reason"]) for p in loaded] == [
        ("Dockerfile", "proven", ""),
        ("worker/Dockerfile", "unproven", "needs network to build"),
    ]
    assert loaded[0]["evidence"] == ["runs as 10001"]
    md = "\n".join(fleet_markdown([("api", loaded), ("web", [])]))
    assert "## Proofs (`bulk --prove`)" in md and "1 proven, 1 unproven, 0 reverted" in md
    assert "| api | `worker/Dockerfile` | unproven: needs network to build |" in md
    assert fleet_markdown([("web", [])]) == []
    (repo / ".git" / "hardenify" / "PROOF.json").write_text('{"not": "a list"}')
    assert load(repo) == []
    assert load(tmp_path / "no-repo") == []
