from pathlib import Path

from hardenify.diagnostics import Applicability
from tests.compose.util import dedent, findings, fixed, rows

CODE = "HF613"


def test_detection() -> None:
    text = """
    services:
      a:
        image: example/app:1
      b:
        image: example/app:1
        healthcheck:
          test: ["CMD", "true"]
      c:
        image: example/app:1
        healthcheck:
          disable: true
      d:
        image: vaultwarden/server:1.32.0
      e:
        build: .
    """
    assert rows(text, CODE) == [("HF613", 2)]


def test_built_image_with_healthcheck_passes(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine\nHEALTHCHECK CMD true\n")
    (tmp_path / "none").mkdir()
    (tmp_path / "none" / "Dockerfile").write_text("FROM alpine\n")
    text = "services:\n  a:\n    build: .\n  b:\n    build: ./none\n"
    assert rows(text, CODE, base_dir=str(tmp_path)) == [("HF613", 4)]


def test_known_probe_is_an_unsafe_fix() -> None:
    ds = findings("services:\n  db:\n    image: postgres:17\n  app:\n    image: example/app:1\n", CODE)
    assert ds[0].fix is not None and ds[0].fix.applicability is Applicability.UNSAFE
    assert ds[1].fix is None
    assert fixed("services:\n  db:\n    image: postgres:17\n", CODE) == dedent(
        """
        services:
          db:
            image: postgres:17
            healthcheck:
              test: [CMD-SHELL, "pg_isready -U $${POSTGRES_USER:-postgres}"]
              interval: 10s
              timeout: 5s
              retries: 5
              start_period: 30s
        """
    )
