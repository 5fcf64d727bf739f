"""Credentials that used to pass unseen: options on a command line, Authorization headers,
.netrc entries written in RUN, and tokens in compose command/entrypoint/labels (issue 12)."""

from __future__ import annotations

import pytest

from hardenify.engine import lint
from hardenify.secrets import argv_secrets, find_tokens
from hardenify.settings import Settings
from tests.fixers.util import findings

GH = "ghp" + "_" + "A1b2C3d4" * 4 + "Q7r8"  # split so secret scanners skip this file


def hf302(text: str) -> list[tuple[int, str]]:
    return [(d.location.row, d.message) for d in findings(text, "HF302")]


def registered(text: str, kind: str = "dockerfile") -> set[str]:
    return lint("f", text, kind, Settings(select=())).redactor.secrets


# ------------------------------------------------------------------------------ Dockerfile


@pytest.mark.parametrize(
    ("line", "secret", "what"),
    [
        ("RUN mysql -uroot -pMyHiddenPass1 db < x.sql", "MyHiddenPass1", "`mysql -p`"),
        ("RUN mysqldump -p'Quoted9pw' db", "Quoted9pw", "`mysqldump -p`"),
        ("RUN sshpass -p SshPassValue7 ssh host", "SshPassValue7", "`sshpass -p`"),
        ("RUN sshpass -pSshPassValue8 scp a b:", "SshPassValue8", "`sshpass -p`"),
        ("RUN redis-cli -a RedisPw55 ping", "RedisPw55", "`redis-cli -a`"),
        ("RUN docker login -u me -p DockerPw66 reg.example", "DockerPw66", "`docker login -p`"),
        ("RUN wget --http-password=WgetPw77 https://x.example/f", "WgetPw77", "`--http-password`"),
        (
            'RUN curl -H "Authorization: Bearer BearerTok3nValue" https://x',
            "BearerTok3nValue",
            "Authorization",
        ),
        (
            "RUN curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA==' x",
            "dXNlcjpwYXNzd29yZA==",
            "Authorization",
        ),
        (
            'RUN echo "machine x.example login u password NetrcPassValue5" > ~/.netrc',
            "NetrcPassValue5",
            ".netrc",
        ),
        (
            'RUN printf "machine x.example\\nlogin u\\npassword NetrcPass6\\n" > /root/.netrc',
            "NetrcPass6",
            ".netrc",
        ),
        ('CMD ["app", "--password", "CmdPassValue42"]', "CmdPassValue42", "in CMD"),
        ("CMD app --db-password=CmdPass43 serve", "CmdPass43", "in CMD"),
        ('ENTRYPOINT ["sh", "-c", "mysql -pEpPass44 db && exec app"]', "EpPass44", "in ENTRYPOINT"),
        ('HEALTHCHECK CMD ["redis-cli", "-a", "HcPass45", "ping"]', "HcPass45", "in HEALTHCHECK"),
        ("HEALTHCHECK CMD mysqladmin ping -pHcPass46", "HcPass46", "in HEALTHCHECK"),
    ],
)
def test_credentials_on_command_lines_are_found_and_registered(line: str, secret: str, what: str) -> None:
    text = f"FROM alpine:3.20\n{line}\n"
    found = hf302(text)
    assert len(found) == 1 and found[0][0] == 2 and what in found[0][1], found
    assert secret in registered(text)


@pytest.mark.parametrize(
    "line",
    [
        "RUN mysql -p db",  # a bare -p prompts; `db` is the database
        "RUN mysql -u root -p$MYSQL_PASSWORD db",
        'RUN mysql -p"${MYSQL_PASSWORD}" db',
        "RUN sshpass -e ssh host",
        "RUN sshpass -p $SSHPASS ssh host",
        "RUN docker push -p reg.example/x",  # -p is not a password outside `login`
        "RUN cp -p a b",
        "RUN mkdir -p /app",
        'RUN curl -H "Authorization: Bearer $TOKEN" https://x',
        'RUN curl -H "Authorization: Bearer ${TOKEN}" https://x',
        'RUN curl -H "Authorization: Bearer your-token-here" https://x',
        'RUN echo "machine x login u password $NETRC_PASSWORD" > ~/.netrc',
        "RUN --mount=type=secret,id=netrc,target=/root/.netrc pip install x",
        'CMD ["app", "--password-file", "/run/secrets/pw"]',
        'CMD ["app", "--password", "$APP_PASSWORD"]',
        "CMD app --token=changeme",
        'ENTRYPOINT ["docker-entrypoint.sh", "-p", "5432"]',
    ],
)
def test_references_prompts_and_placeholders_are_not_secrets(line: str) -> None:
    text = f"FROM alpine:3.20\n{line}\n"
    assert hf302(text) == []
    assert registered(text) == set()


def test_token_formats_need_a_value_after_the_keyword() -> None:
    assert [m.value for m in find_tokens("Authorization: Bearer abc")] == []  # too short to be one
    assert [m.value for m in find_tokens("reset your password now")] == []
    assert [m.value for m in find_tokens("default login anonymous password Gu3st1")] == ["Gu3st1"]


def test_argv_secrets_reports_word_and_offset() -> None:
    hits = argv_secrets(["/usr/bin/mysql", "-uroot", "-pPw1234", "db"])
    assert [(h.word, h.offset) for h in hits] == [(2, 2)]
    assert argv_secrets(["mysql", "-p", "db"]) == []
    assert [(h.word, h.offset) for h in argv_secrets(["sshpass", "-p", "Pw1234", "ssh"])] == [(2, 0)]


# -------------------------------------------------------------------------------- compose


def hf611(text: str) -> list[tuple[int, str]]:
    return [(d.location.row, d.message) for d in findings(text, "HF611", kind="compose")]


def test_compose_tokens_in_command_entrypoint_labels_and_healthcheck() -> None:
    text = (
        "services:\n"
        "  app:\n"
        "    image: nginx:1.27\n"
        f'    command: ["run", "--token", "{GH}"]\n'
        "    entrypoint: mysql -pEntryPw77 db\n"
        "    labels:\n"
        f"      gh: {GH[:-4]}Zz99\n"
        "    healthcheck:\n"
        '      test: ["CMD-SHELL", "redis-cli -a HcPw88 ping"]\n'
    )
    found = hf611(text)
    assert [r for r, _ in found] == [4, 5, 7, 9], found
    assert "GitHub token" in found[0][1] and "`command` of service `app`" in found[0][1]
    assert "`mysql -p`" in found[1][1] and "label" in found[2][1] and "healthcheck" in found[3][1]
    assert {GH, "EntryPw77", GH[:-4] + "Zz99", "HcPw88"} <= registered(text, "compose")


def test_compose_secrets_are_registered_even_when_hf611_is_not_selected() -> None:
    text = (
        "services:\n  db:\n    image: postgres:17\n    environment:\n      POSTGRES_PASSWORD: Sel3ctedOut\n"
    )
    assert "Sel3ctedOut" in registered(text, "compose")


def test_compose_repeated_key_values_are_registered() -> None:
    text = (
        "services:\n  db:\n    image: postgres:17\n    environment:\n"
        "      DB_PASSWORD: FirstDupPass99\n      DB_PASSWORD: SecondDupPass88\n"
    )
    assert {"FirstDupPass99", "SecondDupPass88"} <= registered(text, "compose")


def test_compose_file_the_loader_rejects_still_masks_password_lines() -> None:
    text = "services:\n  db:\n    environment:\n      DB_PASSWORD: BrokenYamlPw1\n    image: [oops\n"
    assert "BrokenYamlPw1" in registered(text, "compose")


def test_compose_value_written_elsewhere_is_public_not_masked() -> None:
    # `postgres` is also the image name: masking it would garble every line, hiding nothing.
    text = "services:\n  db:\n    image: postgres:17\n    environment:\n      POSTGRES_PASSWORD: postgres\n"
    assert "postgres" not in registered(text, "compose")


def test_compose_references_are_not_findings() -> None:
    text = (
        "services:\n  app:\n    image: nginx:1.27\n"
        '    command: ["run", "--token", "${API_TOKEN}"]\n'
        "    entrypoint: mysql -p db\n"
        "    labels:\n      traefik.http.routers.app.rule: Host(`x.example`)\n"
    )
    assert hf611(text) == []
    assert registered(text, "compose") == set()


# ------------------------------------------------------------------------------ knowledge


def test_every_token_format_names_where_it_is_documented() -> None:
    from hardenify.knowledge.secrets import TOKEN_FORMATS

    assert len({f.key for f in TOKEN_FORMATS}) == len(TOKEN_FORMATS)
    for fmt in TOKEN_FORMATS:
        assert fmt.doc.startswith("https://"), fmt.key
        assert fmt.hints and fmt.regex.groups >= fmt.group, fmt.key


def test_secret_knowledge_is_data_without_hardenify_imports() -> None:
    import ast
    from pathlib import Path

    import hardenify.knowledge.secrets as k

    tree = ast.parse(Path(k.__file__).read_text(encoding="utf-8"))
    modules = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    modules += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in modules if m.startswith(("hardenify", "fixers"))]


def test_credential_files_keep_their_secret_ids() -> None:
    from hardenify.secrets import credential_kind, credential_secret_id

    npmrc = credential_kind("./.npmrc", "/app/")
    key = credential_kind("deploy/id_ed25519", "/root/.ssh/")
    assert npmrc is not None and credential_secret_id(npmrc, "./.npmrc") == "npmrc"
    assert key is not None and credential_secret_id(key, "deploy/id_ed25519") == "id_ed25519"
    assert credential_kind("ca.pem", "/etc/ssl/certs/") is None
