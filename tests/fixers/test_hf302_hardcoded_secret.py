import json
import subprocess
from collections import Counter

import dockerfile
import pytest

from hardenify.engine import fix_text, lint
from hardenify.secrets import find_tokens, is_hardcoded_secret, is_placeholder
from hardenify.settings import Settings
from tests.fixers.util import codes, findings, fixed

CODE = "HF302"

# Fake credentials in the real formats (never valid anywhere), assembled from pieces so that
# secret scanners run over this repository do not flag the test file itself.
GH = "ghp" + "_" + "a1B2" * 9
GL = "glpat" + "-" + "x9Y8z7W6v5U4t3S2r1Q0"
NPM = "npm" + "_" + "Zz09" * 9
SLACK = "xox" + "b-1234567890-abcdefghijkl"
AWS_ID = "AK" + "IA" + "Q2W3E4R5T6Y7U8I9"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzzzzzzzzzz"
STRIPE = "sk" + "_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
GOOGLE = "AI" + "za" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"
JWT = (
    "eyJhbGciOiJIUzI1NiJ9"
    + "."
    + "eyJzdWIiOiIxMjM0NTY3ODkwIn0"
    + "."
    + "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
)
KEY = (
    "-----BEGIN RSA "
    + "PRIVATE KEY-----\\nMIIEowIBAAKCAQEAtest0000\\nabcd1234efgh\\n-----END RSA "
    + "PRIVATE KEY-----"
)


def diags(text: str) -> list[tuple[int, str]]:
    return [(d.location.row, d.message) for d in findings(text, CODE)]


def fix(text: str) -> str:
    out = fixed(text, CODE, unsafe=True)
    dockerfile.parse_string(out)
    return out


def hadolint_codes(text: str) -> Counter[str]:
    p = subprocess.run(["hadolint", "--no-fail", "-f", "json", "-"], input=text.encode(), capture_output=True)
    return Counter(d["code"] for d in json.loads(p.stdout or b"[]"))


# ------------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("value", "key"),
    [
        (GH, "github-token"),
        ("github_pat_" + "A1b2C3d4E5" * 6, "github-token"),
        (GL, "gitlab-token"),
        (NPM, "npm-token"),
        (SLACK, "slack-token"),
        (AWS_ID, "aws-access-key-id"),
        (STRIPE, "stripe-key"),
        (GOOGLE, "google-api-key"),
        (JWT, "jwt"),
        ("https://bob:hunter22@nexus.example.com/repo", "url-password"),
        (f"aws_secret_access_key={AWS_SECRET}", "aws-secret-access-key"),
        (KEY, "private-key"),
    ],
)
def test_token_formats(value: str, key: str) -> None:
    found = find_tokens(f"x {value} y")
    assert [m.fmt.key for m in found] == [key]


@pytest.mark.parametrize(
    "text",
    [
        "AKIAIOSFODNN7EXAMPLE",  # AWS documentation key
        "https://user:${PASSWORD}@host",
        "https://user:$(cat /run/secrets/p)@host",
        "https://user:password@host",
        "https://example.com/path?x=1",
        "ghp_short",
        "mynpm_" + "a" * 36,  # embedded in a longer word
    ],
)
def test_not_tokens(text: str) -> None:
    assert find_tokens(text) == []


@pytest.mark.parametrize(
    ("name", "value", "secret"),
    [
        ("DB_PASSWORD", "hunter2", True),
        ("DB_PASSWORD", "changeme", False),
        ("DB_PASSWORD", "${DB_PASSWORD}", False),
        ("DB_PASSWORD", "", False),
        ("DB_PASSWORD", "<your-password>", False),
        ("API_TOKEN", "your_token_here", False),
        ("API_TOKEN", "abc", False),  # a token name needs key-like material
        ("API_TOKEN", "a8f9c7d6e5b4a3f2", True),
        ("SECRET_KEY_BASE", "assets", False),
        ("key", "B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8", False),  # a GPG fingerprint
        ("AWS_SECRET_ACCESS_KEY", "FAKE_TO_GENERATE_WARNING_OUTPUT", False),
        ("NODE_VERSION", "a8f9c7d6e5b4a3f2", False),
    ],
)
def test_hardcoded_values(name: str, value: str, secret: bool) -> None:
    assert is_hardcoded_secret(name, value) is secret


def test_placeholders() -> None:
    for v in (
        "",
        "xxx",
        "***",
        "{{ token }}",
        "%TOKEN%",
        "none",
        "true",
        "123",
        "/run/secrets/x",
        "http://h/x",
    ):
        assert is_placeholder(v), v
    assert not is_placeholder("hunter2")


def test_findings_everywhere_with_rows() -> None:
    text = f"""\
        FROM alpine
        # ci token: {GH}
        ENV A=1 GITHUB_TOKEN={GH}
        ARG DB_PASSWORD=hunter22
        LABEL build.key={NPM}
        RUN git clone https://oauth2:{GL}@gitlab.com/acme/app.git
        RUN mysql -u root --password=Sup3rS3cret -e 'select 1' && curl -u bob:Sup3rS3cret https://x/ \\
            && DB_PASSWORD=Sup3rS3cret ./migrate
        RUN <<EOF
        echo {SLACK}
        EOF
        HEALTHCHECK CMD curl -H "Authorization: Bearer {JWT}" http://localhost/
        RUN aws configure set aws_access_key_id {AWS_ID} && aws configure set aws_secret_access_key {AWS_SECRET}
        """
    got = diags(text)
    assert [r for r, _ in got] == [2, 3, 4, 5, 6, 7, 7, 8, 10, 12, 13, 13]
    msgs = [m for _, m in got]
    assert msgs[0] == "GitHub token in a comment"
    assert "ENV `GITHUB_TOKEN` hard-codes GitHub token" in msgs[1]
    assert "ARG `DB_PASSWORD` hard-codes a secret value" in msgs[2]
    assert "LABEL `build.key`" in msgs[3]
    assert msgs[8] == "Slack token in a heredoc of RUN"
    assert "HEALTHCHECK" in msgs[9]


def test_comment_column_points_at_the_token() -> None:
    (d,) = findings(f"FROM a\n  #  ci {GH}\n", CODE)
    assert (d.location.row, d.location.column, d.end_location.column) == (2, 9, 9 + len(GH))


def test_every_value_is_registered_and_never_shown() -> None:
    text = f'FROM a\nENV GITHUB_TOKEN={GH}\nRUN x --password=Sup3rS3cret\nRUN echo "{KEY}" > /k\n'
    res = lint("Dockerfile", text, "dockerfile", Settings(select=(CODE,)))
    assert {GH, "Sup3rS3cret", "MIIEowIBAAKCAQEAtest0000", "abcd1234efgh"} <= res.redactor.secrets
    for d in res.diagnostics:
        blob = d.message + (d.note or "") + (d.fix.message if d.fix else "")
        assert GH not in blob and "Sup3rS3cret" not in blob and "MIIE" not in blob
        assert "Rotate" in (d.note or "")


def test_near_misses_do_not_fire() -> None:
    text = """\
        FROM postgres:16
        ARG DB_PASSWORD
        ENV POSTGRES_PASSWORD=changeme DB_PASSWORD_FILE=/run/secrets/db TOKEN=${TOKEN}
        ENV DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app
        RUN curl -u "$USER:$PASS" https://x && key='B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8'
        RUN RAILS_ENV=production SECRET_KEY_BASE=assets bundle exec rake assets:precompile
        RUN --mount=type=secret,id=t,env=GITHUB_TOKEN git clone https://x:${GITHUB_TOKEN}@github.com/a/b
        LABEL org.opencontainers.image.source=https://github.com/a/b
        """
    assert codes(text, CODE) == []


# ------------------------------------------------------------------------------------- fixes


def test_env_token_used_by_run_becomes_a_secret_mount() -> None:
    text = f"FROM alpine\nENV GITHUB_TOKEN={GH}\nRUN gh release download v1\n"
    d = findings(text, CODE)[0]
    assert d.fix is not None and "Rotate" in d.fix.message
    assert fix(text) == (
        'FROM alpine\nRUN --mount=type=secret,id=github_token GITHUB_TOKEN="$(cat /run/secrets/github_token)" '
        "gh release download v1\n"
    )


def test_unreferenced_runtime_env_is_removed_with_runtime_advice() -> None:
    text = 'FROM mysql:8\nENV MYSQL_USER=app \\\n    MYSQL_PASSWORD=gordonpassword\nCMD ["mysqld"]\n'
    d = findings(text, CODE)[0]
    assert d.fix is not None and "supply it when building or running" in d.fix.message
    assert fix(text) == 'FROM mysql:8\nENV MYSQL_USER=app\nCMD ["mysqld"]\n'


def test_arg_default_used_by_run() -> None:
    text = 'FROM alpine\nARG LICENSE_KEY=lgNvGyhnUKpa5PJi\nRUN curl "https://x/?license_key=${LICENSE_KEY}"\n'
    assert fix(text) == (
        'FROM alpine\nRUN --mount=type=secret,id=license_key LICENSE_KEY="$(cat /run/secrets/license_key)" '
        '&& export LICENSE_KEY && curl "https://x/?license_key=${LICENSE_KEY}"\n'
    )


def test_referenced_env_with_no_run_use_has_no_fix() -> None:
    text = "FROM a\nENV DB_PASSWORD=hunter22\nENV URL=postgres://u:${DB_PASSWORD}@db/x\n"
    d = findings(text, CODE)[0]
    assert d.fix is None and "No automatic fix" in (d.note or "")


def test_label_pair_and_whole_label_removed() -> None:
    assert fix(f"FROM a\nLABEL a=b token={NPM}\n") == "FROM a\nLABEL a=b\n"
    assert fix(f"FROM a\nLABEL token={NPM}\nRUN x\n") == "FROM a\nRUN x\n"


def test_run_token_replaced_portable_and_quoted() -> None:
    text = f"FROM alpine\nRUN git clone https://oauth2:{GL}@gitlab.com/acme/app.git\n"
    assert fix(text) == (
        "FROM alpine\nRUN --mount=type=secret,id=gitlab_token git clone "
        'https://oauth2:"$(cat /run/secrets/gitlab_token)"@gitlab.com/acme/app.git\n'
    )


def test_run_token_in_double_quotes_env_form() -> None:
    text = f'# syntax=docker/dockerfile:1\nFROM alpine\nUSER app\nRUN curl -H "Authorization: token {GH}" https://api\n'
    assert fix(text) == (
        "# syntax=docker/dockerfile:1\nFROM alpine\nUSER app\n"
        'RUN --mount=type=secret,id=github_token,env=GITHUB_TOKEN curl -H "Authorization: token ${GITHUB_TOKEN}" '
        "https://api\n"
    )


def test_url_password_gets_a_host_named_secret() -> None:
    text = "FROM alpine\nUSER 1000\nRUN pip install --index-url https://bob:hunter22@nexus.corp.example.com/simple x\n"
    out = fix(text)
    assert "--mount=type=secret,id=nexus_corp_example_password,mode=0444 pip" in out
    assert (
        'https://bob:"$(cat /run/secrets/nexus_corp_example_password)"@nexus.corp.example.com/simple' in out
    )


def test_run_token_without_fix() -> None:
    for text in (
        f"FROM a\nRUN echo '{GH}' > /t\n",  # single quotes: no expansion
        f'FROM a\nRUN ["sh", "-c", "echo {GH}"]\n',  # exec form
        f"# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN echo {GH}\n",
        f"FROM a\nRUN aws configure set aws_access_key_id {AWS_ID}\n",  # not a single opaque token
        f'FROM a\nRUN echo "{KEY}" > /root/.ssh/id_rsa\n',
        f"FROM a\nONBUILD RUN echo {GH}\n",
    ):
        ds = findings(text, CODE)
        assert ds and all(d.fix is None for d in ds), text


def test_two_tokens_in_one_run_share_the_mount() -> None:
    text = f"FROM a\nRUN curl -H 'x' https://x/{GH} && curl https://y/{GH}\n"
    out = fix(text)
    assert out.count("--mount=type=secret,id=github_token") == 1
    assert out.count('"$(cat /run/secrets/github_token)"') == 2


def test_crlf_and_continuation_are_kept() -> None:
    text = f"FROM alpine\r\nRUN apk add git \\\r\n    # clone\r\n    && git clone https://x:{GH}@github.com/a/b\r\n"
    assert fix(text) == (
        "FROM alpine\r\nRUN --mount=type=secret,id=github_token apk add git \\\r\n    # clone\r\n"
        '    && git clone https://x:"$(cat /run/secrets/github_token)"@github.com/a/b\r\n'
    )


def test_safe_mode_leaves_the_file_alone_and_counts_unsafe() -> None:
    text = f"FROM a\nRUN git clone https://x:{GH}@github.com/a/b\n"
    res = fix_text("Dockerfile", text, "dockerfile", Settings(select=(CODE,)))
    assert res.text == text and res.unsafe_available == 1


def test_already_good_input_is_unchanged() -> None:
    text = '# syntax=docker/dockerfile:1\nFROM a\nRUN --mount=type=secret,id=t,env=T curl -H "x: ${T}" https://x\n'
    assert codes(text, CODE) == []
    assert fixed(text, CODE, unsafe=True) == text


def test_fixes_introduce_no_hadolint_finding() -> None:
    for text in (
        f"FROM alpine:3.20\nRUN git clone https://oauth2:{GL}@gitlab.com/acme/app.git\n",
        f"# syntax=docker/dockerfile:1\nFROM alpine:3.20\nRUN git clone https://oauth2:{GL}@gitlab.com/acme/app.git\n",
        'FROM alpine:3.20\nARG LICENSE_KEY=lgNvGyhnUKpa5PJi\nRUN curl "https://x/?k=${LICENSE_KEY}"\n',
    ):
        before, after = hadolint_codes(text), hadolint_codes(fix(text))
        assert not (after - before), after - before
