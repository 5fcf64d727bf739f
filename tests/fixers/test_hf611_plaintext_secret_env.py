from pathlib import Path

from hardenify.diagnostics import REDACTED
from hardenify.engine import fix_text, lint
from hardenify.settings import Settings
from tests.compose.util import NAME, dedent, findings, fixed, rows

CODE = "HF611"


def test_literal_secrets_fire_and_interpolation_passes() -> None:
    text = """
    services:
      app:
        image: example/app:1
        environment:
          DB_PASSWORD: hunter2-but-longer
          API_TOKEN: ${API_TOKEN}
          SECRET_KEY: ${SECRET_KEY:?set it}
          EMPTY_PASSWORD:
          MYSQL_ALLOW_EMPTY_PASSWORD: "yes"
          PASSWORD_FILE: /run/secrets/pw
          LOG_LEVEL: debug
          DATABASE_URL: postgres://app:s3cr3t-value@db:5432/app
          GITHUB: ghp_0123456789abcdefghijABCDEFGHIJ012345
      worker:
        image: example/app:1
        environment:
          - JWT_SECRET=another-secret-value
          - REDIS_PASSWORD=${REDIS_PASSWORD:-fallback-pass}
          - PLAIN
    """
    ds = findings(text, CODE)
    assert [d.location.row for d in ds] == [5, 12, 13, 17, 18]
    assert "falls back" in ds[4].message
    assert "GitHub token" in ds[2].message and "password in a URL" in ds[1].message


def test_values_are_redacted_everywhere() -> None:
    text = dedent("services:\n  a:\n    image: x\n    environment:\n      DB_PASSWORD: Sup3rS3cretValue\n")
    res = lint(NAME, text, "compose", Settings(select=(CODE,)))
    assert "Sup3rS3cretValue" in res.redactor.secrets
    assert res.redactor(text).count(REDACTED) == 1
    assert all("Sup3rS3cretValue" not in (d.message + (d.note or "")) for d in res.diagnostics)


def test_file_env_images_move_to_file_secrets(tmp_path: Path) -> None:
    """Moved only when ./secrets/<id>.txt already holds the value: every referenced file exists."""
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "db_postgres_password.txt").write_text("pa55-w0rd-long\n")
    (tmp_path / "secrets" / "cache_redis_password.txt").write_text("r3dis-pa55word")
    base = str(tmp_path)
    before = """
    services:
      db:
        image: postgres:17
        environment:
          POSTGRES_USER: app
          POSTGRES_PASSWORD: "pa55-w0rd-long"  # rotate me
      cache:
        image: bitnami/redis:7.4
        environment:
          - REDIS_PASSWORD=r3dis-pa55word
        secrets:
          - existing
    secrets:
      existing:
        file: ./existing.txt
    """
    assert fixed(before, CODE, base_dir=base) == dedent(
        """
        services:
          db:
            image: postgres:17
            environment:
              POSTGRES_USER: app
              POSTGRES_PASSWORD_FILE: "/run/secrets/db_postgres_password"  # rotate me
            secrets:
              - db_postgres_password
          cache:
            image: bitnami/redis:7.4
            environment:
              - REDIS_PASSWORD_FILE=/run/secrets/cache_redis_password
            secrets:
              - existing
              - cache_redis_password
        secrets:
          existing:
            file: ./existing.txt
          db_postgres_password:
            file: ./secrets/db_postgres_password.txt
          cache_redis_password:
            file: ./secrets/cache_redis_password.txt
        """
    )
    res = fix_text(
        NAME, dedent(before), "compose", Settings(select=(CODE,), unsafe_fixes=True), base_dir=base
    )
    assert res.fixed[CODE] >= 1


def test_no_fix_without_the_file_and_the_note_says_what_to_create(tmp_path: Path) -> None:
    """Hardenify writes no secret to disk: without the file (or with another value in it) the
    entry stays, and the note names the file to create."""
    text = (
        "services:\n  db:\n    image: mysql:8.4\n    environment:\n      MYSQL_ROOT_PASSWORD: r00t-pa55word\n"
    )
    for base in (None, str(tmp_path)):
        ds = findings(text, CODE, base_dir=base)
        assert ds[0].fix is None and ds[0].note is not None
        assert "./secrets/db_mysql_root_password.txt" in ds[0].note and "rotate" in ds[0].note
        assert "left for a human" in ds[0].note and "MYSQL_ROOT_PASSWORD_FILE" in ds[0].note
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "db_mysql_root_password.txt").write_text("something-else")
    assert findings(text, CODE, base_dir=str(tmp_path))[0].fix is None
    (tmp_path / "secrets" / "db_mysql_root_password.txt").write_text("r00t-pa55word\n")
    assert "MYSQL_ROOT_PASSWORD_FILE: /run/secrets/db_mysql_root_password" in fixed(
        text, CODE, base_dir=str(tmp_path), raw=True
    )


def test_images_without_file_support_get_no_fix() -> None:
    text = "services:\n  app:\n    image: example/app:1\n    environment:\n      DB_PASSWORD: hunter2-but-longer\n"
    ds = findings(text, CODE)
    assert len(ds) == 1 and ds[0].fix is None
    assert fixed(text, CODE) == dedent(text)


def test_shared_anchor_is_reported_once_without_fix() -> None:
    text = """
    x-db: &db
      POSTGRES_PASSWORD: pa55-w0rd-long
    services:
      db:
        image: postgres:17
        environment:
          <<: *db
      app:
        image: example/app:1
        environment:
          <<: *db
    """
    ds = findings(text, CODE)
    assert [d.location.row for d in ds] == [2]
    assert "`app`" in ds[0].message and "`db`" in ds[0].message
    assert ds[0].fix is None


def test_pragma_and_placeholder_free_file_unchanged() -> None:
    text = """
    services:
      db:
        image: postgres:17
        environment:
          # hardenify: ignore[HF611]
          POSTGRES_PASSWORD: pa55-w0rd-long
          POSTGRES_PASSWORD_FILE2: ${X}
    """
    assert rows(text, CODE) == []
