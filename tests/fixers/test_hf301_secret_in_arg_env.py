import json
import subprocess
from collections import Counter
from pathlib import Path

import dockerfile
import pytest

from hardenify.dockerfile.model import parse
from hardenify.dockerfile.secretmounts import build_secret_flags, env_mount_supported, secret_wiring
from hardenify.engine import lint
from hardenify.secrets import is_secret_name, name_tokens
from hardenify.settings import Settings
from tests.fixers.util import codes, dedent, findings, fixed

CODE = "HF301"


def rows(text: str) -> list[int]:
    return [d.location.row for d in findings(text, CODE)]


def fix(text: str) -> str:
    out = fixed(text, CODE, unsafe=True)
    dockerfile.parse_string(out)  # BuildKit's own parser accepts the result
    return out


def hadolint_codes(text: str) -> Counter[str]:
    p = subprocess.run(["hadolint", "--no-fail", "-f", "json", "-"], input=text.encode(), capture_output=True)
    return Counter(d["code"] for d in json.loads(p.stdout or b"[]"))


# ------------------------------------------------------------------------------ name matching


@pytest.mark.parametrize(
    "name",
    [
        "NPM_TOKEN",
        "GITHUB_TOKEN",
        "API_KEY",
        "APIKEY",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "DB_PASSWORD",
        "DB_PASS",
        "MYSQL_PWD",
        "SSH_PASSPHRASE",
        "PRIVATE_KEY",
        "CREDENTIALS",
        "AUTH",
        "githubToken",
        "apiKey",
        "DB_USER_PASSWORD",
        "secret_MESSAGE",
        "npm-token",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "GPG_KEY",
        "RABBITMQ_PGP_KEY_ID",
        "PUBLIC_KEY",
        "SECRET_KEY_FILE",
        "DOCKER_AUTH_VERSION",
        "AUTH_URL",
        "TOKEN_PATH",
        "PASSWORD_MIN_LENGTH",
        "KEY_SIZE",
        "ENABLE_AUTH",
        "PWD",
        "OLDPWD",
        "KEYBOARD",
        "MONKEY",
        "TOKENIZER_MODEL",
        "PASSWORDLESS",
        "NODE_VERSION",
        "KEY_SHA512",
        "SSH_AUTH_SOCK",
        "",
    ],
)
def test_not_secret_names(name: str) -> None:
    assert not is_secret_name(name)


def test_name_tokens_split_camel_case_and_separators() -> None:
    assert name_tokens("APIKey") == ["api", "key"]
    assert name_tokens("githubToken") == ["github", "token"]
    assert name_tokens("a.b-c_D") == ["a", "b", "c", "d"]


# ---------------------------------------------------------------------------------- checking


def test_arg_and_env_fire_with_rows() -> None:
    text = """\
        FROM node:22
        ARG NPM_TOKEN
        ENV A=1 API_KEY=abcdef0123456789 B=2
        env db_password=hunter2
        """
    assert rows(text) == [2, 3, 4]
    ds = findings(text, CODE)
    assert "ARG `NPM_TOKEN`" in ds[0].message and "history" in ds[0].message
    assert "ENV `API_KEY`" in ds[1].message
    # the finding covers the pair, not the whole line
    assert (ds[1].location.column, ds[1].end_location.column) == (9, 33)


def test_near_misses_do_not_fire() -> None:
    text = """\
        FROM python:3.12
        ENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D
        ENV PWD=/app TOKEN_PATH=/run/secrets/token PASSWORD_MIN_LENGTH=8
        ARG DOCKER_AUTH_VERSION=1.5.0
        ENV API_KEY=
        ENV SSL_KEY=/etc/ssl/private/server.key
        ENV AUTH_ENABLED=true USE_AUTH=false
        ENV DefaultProcess__Filters__0__Key=ProcessId
        LABEL token=abc
        RUN echo $NPM_TOKEN
        """
    assert codes(text, CODE) == []


def test_onbuild_and_windows_report_without_fix() -> None:
    ds = findings("FROM node\nONBUILD ARG NPM_TOKEN\n", CODE)
    assert [d.location.row for d in ds] == [2] and ds[0].fix is None
    win = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nARG API_TOKEN\nRUN echo $env:API_TOKEN\n"
    ds = findings(win, CODE)
    assert len(ds) == 1 and ds[0].fix is None and "Windows" in (ds[0].note or "")


def test_hadolint_pragma_suppresses_through_dl3064() -> None:
    assert codes("FROM a\n# hadolint ignore=DL3064\nARG NPM_TOKEN\n", CODE) == []


def test_values_are_registered_as_secrets() -> None:
    res = lint(
        "Dockerfile", "FROM node\nARG API_TOKEN=s3cr3tvalue99\n", "dockerfile", Settings(select=(CODE,))
    )
    assert "s3cr3tvalue99" in res.redactor.secrets
    assert all("s3cr3tvalue99" not in (d.message + (d.fix.message if d.fix else "")) for d in res.diagnostics)


# ------------------------------------------------------------------------------------- fixes


def test_portable_fix_single_command_uses_prefix() -> None:
    text = """\
        FROM node:22
        ARG NPM_TOKEN
        RUN npm ci
        """
    assert fix(text) == dedent(
        """\
        FROM node:22
        RUN --mount=type=secret,id=npm_token NPM_TOKEN="$(cat /run/secrets/npm_token)" npm ci
        """
    )


def test_portable_fix_exports_when_several_commands_or_own_reference() -> None:
    text = """\
        FROM node:22
        ARG NPM_TOKEN
        RUN npm config set //registry.npmjs.org/:_authToken=$NPM_TOKEN && npm ci
        """
    assert fix(text) == dedent(
        """\
        FROM node:22
        RUN --mount=type=secret,id=npm_token NPM_TOKEN="$(cat /run/secrets/npm_token)" && export NPM_TOKEN \
&& npm config set //registry.npmjs.org/:_authToken="$NPM_TOKEN" && npm ci
        """
    )


@pytest.mark.parametrize(
    "syntax", ["docker/dockerfile:1", "docker/dockerfile:1.10", "docker.io/docker/dockerfile:1-labs"]
)
def test_env_form_with_a_recent_frontend(syntax: str) -> None:
    text = (
        f"# syntax={syntax}\nFROM node:22\nARG NPM_TOKEN\nRUN --mount=type=cache,target=/root/.npm npm ci\n"
    )
    assert fix(text) == (
        f"# syntax={syntax}\nFROM node:22\n"
        "RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci\n"
    )


@pytest.mark.parametrize(
    ("syntax", "ok"),
    [
        ("docker/dockerfile:1", True),
        ("docker/dockerfile:1.12.0", True),
        ("docker/dockerfile-upstream:master", True),
        ("docker/dockerfile:1.9", False),
        ("docker/dockerfile:1.7@sha256:" + "a" * 64, False),
        ("example.com/other:1", False),
        (None, False),
    ],
)
def test_env_mount_support(syntax: str | None, ok: bool) -> None:
    head = f"# syntax={syntax}\n" if syntax else ""
    assert env_mount_supported(parse(head + "FROM alpine\n")) is ok


def test_multiline_run_with_comment_and_only_consumers_touched() -> None:
    text = """\
        FROM node:22 AS build
        RUN echo before $NPM_TOKEN
        ARG NPM_TOKEN
        RUN apk add git \\
            # install deps
            && npm ci
        RUN ls
        FROM nginx
        RUN echo $NPM_TOKEN
        """
    assert fix(text) == dedent(
        """\
        FROM node:22 AS build
        RUN echo before $NPM_TOKEN
        RUN --mount=type=secret,id=npm_token NPM_TOKEN="$(cat /run/secrets/npm_token)" && export NPM_TOKEN \
&& apk add git \\
            # install deps
            && npm ci
        RUN ls
        FROM nginx
        RUN echo $NPM_TOKEN
        """
    )


def test_global_arg_stage_arg_and_env_forwarding_are_removed_together() -> None:
    text = """\
        # syntax=docker/dockerfile:1
        ARG GITHUB_TOKEN
        FROM golang:1.23 AS build
        ARG GITHUB_TOKEN
        ENV GITHUB_TOKEN=${GITHUB_TOKEN}
        RUN git config --global url."https://${GITHUB_TOKEN}@github.com/".insteadOf "https://github.com/"
        RUN go build ./...
        """
    assert fix(text) == dedent(
        """\
        # syntax=docker/dockerfile:1
        FROM golang:1.23 AS build
        RUN --mount=type=secret,id=github_token,env=GITHUB_TOKEN git config --global \
url."https://${GITHUB_TOKEN}@github.com/".insteadOf "https://github.com/"
        RUN go build ./...
        """
    )


def test_env_inherited_by_child_stage_mounts_there_too() -> None:
    text = "FROM node AS base\nENV NPM_TOKEN=$NPM_TOKEN\nARG NPM_TOKEN\nFROM base AS b\nRUN npm ci\n"
    out = fix(text)
    assert out == (
        'FROM node AS base\nFROM base AS b\nRUN --mount=type=secret,id=npm_token NPM_TOKEN="$(cat /run/secrets/npm_token)" '
        "npm ci\n"
    )


def test_env_in_final_stage_fix_says_runtime_changes() -> None:
    text = 'FROM python\nENV API_KEY=abc123def456ghi\nRUN ./fetch --key $API_KEY\nCMD ["app"]\n'
    d = findings(text, CODE)[0]
    assert d.fix is not None and "no longer be set in the running container" in d.fix.message
    assert "abc123def456ghi" not in d.fix.message


def test_runtime_only_env_has_no_fix_and_says_so() -> None:
    ds = findings("FROM node\nENV API_TOKEN=xyz\nCMD node server.js\n", CODE)
    assert ds[0].fix is None
    assert "pass it when the container starts" in ds[0].message
    assert "runtime configuration" in (ds[0].note or "")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("FROM a\nARG TOKEN\nLABEL t=$TOKEN\nRUN x $TOKEN\n", "LABEL"),
        ("FROM a\nARG TOKEN\nCOPY --chown=${TOKEN} a b\nRUN x $TOKEN\n", "COPY"),
        ("FROM a\nARG TOKEN\nENV URL=https://x:${TOKEN}@h\nRUN x $TOKEN\n", "built from"),
        ("FROM a\nENV TOKEN=abc\nRUN x $TOKEN\nCMD echo $TOKEN\n", "CMD"),
        ('FROM a\nARG TOKEN\nRUN ["sh", "-c", "x $TOKEN"]\n', "exec-form"),
        ('FROM a\nSHELL ["pwsh", "-c"]\nARG TOKEN\nRUN x $TOKEN\n', "POSIX"),
        ("FROM a\nARG TOKEN\nRUN make\n", "no RUN step names"),
        ("FROM a\nARG TOKEN\nRUN <<EOF\nx $TOKEN\nEOF\n", "heredoc"),
        ("FROM a\nARG TOKEN\nONBUILD RUN x $TOKEN\nRUN x $TOKEN\n", "ONBUILD"),
    ],
)
def test_no_fix_when_unsound(text: str, why: str) -> None:
    ds = findings(text, CODE)
    assert ds and all(d.fix is None for d in ds)
    assert why in (ds[0].note or ""), ds[0].note


def test_only_unquoted_plain_references_are_quoted() -> None:
    text = "FROM a\nARG TOKEN\nRUN x $TOKEN \"${TOKEN}\" ${Y:-$TOKEN} 'lit $TOKEN' ${TOKEN}/p\n"
    assert fix(text) == (
        'FROM a\nRUN --mount=type=secret,id=token TOKEN="$(cat /run/secrets/token)" && export TOKEN && '
        'x "$TOKEN" "${TOKEN}" ${Y:-$TOKEN} \'lit $TOKEN\' "${TOKEN}"/p\n'
    )


def test_heredoc_run_is_fixed_with_env_form() -> None:
    text = "# syntax=docker/dockerfile:1\nFROM a\nARG TOKEN\nRUN <<EOF\nx $TOKEN\nEOF\n"
    assert (
        fix(text)
        == "# syntax=docker/dockerfile:1\nFROM a\nRUN --mount=type=secret,id=token,env=TOKEN <<EOF\nx $TOKEN\nEOF\n"
    )


def test_non_root_user_gets_readable_secret_file() -> None:
    text = "FROM node\nUSER node\nARG NPM_TOKEN\nRUN npm ci\n"
    assert "--mount=type=secret,id=npm_token,mode=0444 " in fix(text)


def test_unused_arg_without_run_in_scope_is_removed() -> None:
    assert fix("FROM alpine\nCOPY a /a\nARG API_SECRET\n") == "FROM alpine\nCOPY a /a\n"
    assert fix("ARG API_SECRET\nFROM alpine\n") == "FROM alpine\n"


def test_one_name_among_several_in_arg_and_env() -> None:
    text = "FROM alpine\nARG A NPM_TOKEN B\nENV X=1 \\\n    API_KEY=${NPM_TOKEN}x \\\n    Y=2\nRUN echo $NPM_TOKEN\n"
    ds = findings(text, CODE)
    assert [d.location.row for d in ds] == [2, 4]
    # NPM_TOKEN feeds another ENV value: no fix for it; API_KEY is not used by RUN: no fix
    assert all(d.fix is None for d in ds)
    text = "FROM alpine\nARG A NPM_TOKEN B\nRUN echo $NPM_TOKEN\n"
    out = fix(text)
    assert out.startswith("FROM alpine\nARG A B\nRUN --mount=type=secret,id=npm_token ")


def test_removing_the_last_continuation_line_keeps_comments_and_crlf() -> None:
    text = "FROM alpine\r\nENV A=1 \\\r\n    # the token\r\n    API_TOKEN=zz\r\nRUN x $API_TOKEN\r\n"
    assert fix(text) == (
        "FROM alpine\r\nENV A=1\r\n    # the token\r\n"
        'RUN --mount=type=secret,id=api_token API_TOKEN="$(cat /run/secrets/api_token)" && export API_TOKEN '
        '&& x "$API_TOKEN"\r\n'
    )


def test_removing_a_middle_continuation_line() -> None:
    text = "FROM alpine\nENV A=1 \\\n    API_TOKEN=zz \\\n    B=2\nRUN x $API_TOKEN\n"
    assert fix(text).startswith("FROM alpine\nENV A=1 \\\n    B=2\nRUN --mount=")


def test_no_final_newline_is_kept() -> None:
    text = "FROM alpine\nRUN true\nARG API_SECRET"
    assert fix(text) == "FROM alpine\nRUN true"


def test_existing_secret_mount_with_same_id_is_reused() -> None:
    text = "FROM a\nARG NPM_TOKEN\nRUN --mount=type=secret,id=npm_token,target=/s npm ci\n"
    assert (
        fix(text) == 'FROM a\nRUN --mount=type=secret,id=npm_token,target=/s NPM_TOKEN="$(cat /s)" npm ci\n'
    )


def test_already_good_input_is_unchanged() -> None:
    text = (
        "# syntax=docker/dockerfile:1\nFROM node\nRUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci\n"
    )
    assert codes(text, CODE) == []
    assert fixed(text, CODE, unsafe=True) == text


def test_safe_mode_does_not_apply_the_unsafe_fix() -> None:
    text = "FROM node\nARG NPM_TOKEN\nRUN npm ci\n"
    assert fixed(text, CODE) == text


def test_fix_introduces_no_hadolint_finding() -> None:
    for text in (
        "FROM node:22\nARG NPM_TOKEN\nRUN npm config set x=$NPM_TOKEN && npm ci\n",
        "FROM node:22\nARG NPM_TOKEN\nRUN npm ci\n",
        "# syntax=docker/dockerfile:1\nFROM node:22\nARG NPM_TOKEN\nRUN npm ci\n",
    ):
        before, after = hadolint_codes(text), hadolint_codes(fix(text))
        assert not (after - before), after - before


# ---------------------------------------------------------------------------- secret wiring


def test_build_secret_flags_for_every_mount_form() -> None:
    text = (
        "# syntax=docker/dockerfile:1\nFROM a\n"
        "RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci\n"
        'RUN --mount=type=secret,id=api_key API_KEY="$(cat /run/secrets/api_key)" x\n'
        "RUN --mount=type=secret,id=gitlab_token git clone https://x:$(cat /run/secrets/gitlab_token)@h/r\n"
        "RUN --mount=type=secret,id=npmrc,target=/app/.npmrc npm ci\n"
        "RUN --mount=type=cache,target=/c true\n"
    )
    assert build_secret_flags(text) == [
        "--secret id=npm_token,env=NPM_TOKEN",
        "--secret id=api_key,env=API_KEY",
        "--secret id=gitlab_token,env=GITLAB_TOKEN",
        "--secret id=npmrc,src=.npmrc",
    ]


def test_wiring_uses_the_original_copy_source_and_compose_form() -> None:
    original = "FROM a\nWORKDIR /app\nCOPY config/.npmrc ./\nRUN npm ci\n"
    fixed_text = "FROM a\nWORKDIR /app\nRUN --mount=type=secret,id=npmrc,target=/app/.npmrc npm ci\n"
    (w,) = secret_wiring(fixed_text, original)
    assert w.cli == "--secret id=npmrc,src=config/.npmrc"
    assert w.compose == {"file": "./config/.npmrc"}
    (e,) = secret_wiring("FROM a\nRUN --mount=type=secret,id=t,env=T x\n")
    assert e.compose == {"environment": "T"}


def test_secret_written_to_a_file_is_removed_in_the_same_run() -> None:
    """The mount keeps the value out of the layer only if no file copy of it survives the RUN."""
    text = (
        "FROM node:22-slim\nARG NPM_TOKEN\n"
        'RUN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci\n'
    )
    out = fixed(text, CODE, unsafe=True)
    assert out.rstrip("\n").endswith("npm ci && rm -f .npmrc")
    assert "--mount=type=secret,id=npm_token" in out
    # already removed: nothing added
    done = 'FROM node:22-slim\nARG NPM_TOKEN\nRUN echo "t=${NPM_TOKEN}" > .npmrc && npm ci && rm -f .npmrc\n'
    assert fixed(done, CODE, unsafe=True).count("rm -f .npmrc") == 1


# ------------------------------------------------------- issue 14 item 6: values that are no secret


@pytest.mark.parametrize(
    "name",
    ["ACCESS_TOKEN_EXPIRE_MINUTES", "TOKEN_LIFETIME", "JWT_TOKEN_EXPIRES", "SESSION_KEY_AGE", "API_KEY_ID"],
)
def test_durations_limits_and_ids_are_not_secret_names(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize(
    "pair",
    [
        "NGROK_CA_KEY assets/ngrok/ngrokroot.key",  # legacy form: a path the build writes
        "NGROK_CA_KEY=assets/ngrok/ngrokroot.key",
        "TLS_KEY=./certs/server.key",
        "SSH_KEY=$HOME/.ssh/id_ed25519",
        "SIGNING_KEY=release-signing.pem",
        "AUTH_TOKEN_URL=https://auth.example.com/oauth/token",
        "OIDC_TOKEN=https://issuer.example.com/.well-known/openid-configuration",
        "HASHICORP_KEY=C874011F0AB405110D02105534365D9472D7468F",
        "API_TOKEN_RETRIES=5",
        "API_TOKEN=false",
    ],
)
def test_env_values_that_cannot_be_a_credential_are_not_reported(pair: str) -> None:
    assert codes(f"FROM node:22\nENV {pair}\nRUN echo ok\n", CODE) == []


@pytest.mark.parametrize(
    "pair",
    [
        "API_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",  # base64 with slashes
        "REPO_TOKEN=https://user:s3cr3tPassw0rd@git.example.com/repo.git",  # credentials in the URL
        "FEED_KEY=https://example.com/feed?api_key=0123456789abcdef0123",
        "DB_PASSWORD=123456",  # a numeric password is still a password
        "GITHUB_TOKEN=0123456789abcdef0123456789abcdef01234567",  # classic 40-hex token, not a key id
    ],
)
def test_real_secret_values_still_fire(pair: str) -> None:
    assert codes(f"FROM node:22\nENV {pair}\n", CODE) == [CODE]


def test_name_only_arg_is_still_reported() -> None:
    assert codes("FROM node:22\nARG NGROK_CA_KEY\nRUN echo ok\n", CODE) == [CODE]


def test_path_valued_key_is_never_turned_into_a_secret_mount() -> None:
    """The reported case: the fix mounted a secret nobody provides and the build failed."""
    text = """\
        FROM golang:1.22
        ENV NGROK_CA_KEY assets/client/tls/ngrokroot.key
        RUN openssl genrsa -out $NGROK_CA_KEY 2048 && go build ./...
        """
    assert fix(text) == dedent(text)


# ------------------------------------ issue 14 item 7: a secret ENV the app reads at run time

RUNTIME_DOCKERFILE = (
    "FROM node:22-slim\nWORKDIR /app\nENV API_TOKEN=tok_0123456789abcdefABCDEF\nCOPY . .\n"
    'RUN npm ci --omit=dev && node scripts/warmup.js --token "$API_TOKEN"\nCMD ["node", "server.js"]\n'
)


def test_env_the_app_reads_says_how_to_pass_it_at_run_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reported case: the fix removed the ENV, /private answered 401 instead of 200."""
    (tmp_path / "Dockerfile").write_text(RUNTIME_DOCKERFILE)
    (tmp_path / "server.js").write_text("const t = process.env.API_TOKEN;\n")
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "node_modules" / "x" / "i.js").write_text("API_TOKEN\n")  # dependencies are not the app
    monkeypatch.chdir(tmp_path)
    (d,) = findings(RUNTIME_DOCKERFILE, CODE)
    assert d.fix is not None
    msg = d.fix.message
    assert "Action required before merge" in msg and "`server.js`" in msg and "node_modules" not in msg
    assert "docker run -e API_TOKEN" in msg and 'environment: ["API_TOKEN"]' in msg
    assert "tok_0123456789abcdefABCDEF" not in msg
    out = fixed(RUNTIME_DOCKERFILE, CODE, unsafe=True)
    assert "ENV API_TOKEN" not in out and "tok_0123456789" not in out  # still kept out of the image


def test_env_nothing_in_the_context_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "Dockerfile").write_text(RUNTIME_DOCKERFILE)
    (tmp_path / "server.js").write_text("console.log('hi')\n")
    monkeypatch.chdir(tmp_path)
    (d,) = findings(RUNTIME_DOCKERFILE, CODE)
    assert d.fix is not None and "nothing in the build context reads it" in d.fix.message
    assert "Action required" not in d.fix.message


def test_env_without_a_context_says_it_could_not_search() -> None:
    (d,) = findings(RUNTIME_DOCKERFILE, CODE)
    assert d.fix is not None and "could not be searched" in d.fix.message
