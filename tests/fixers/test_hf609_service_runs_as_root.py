from pathlib import Path

from tests.compose.util import findings, rows

CODE = "HF609"


def test_explicit_root_users_fire_on_the_user_line() -> None:
    text = """
    services:
      a:
        image: x
        user: root
      b:
        image: x
        user: "0:0"
      c:
        image: x
        user: ${APP_UID:-0}
      d:
        image: x
        user: "10001:10001"
      e:
        image: x
        user: ${APP_UID}
    """
    assert rows(text, CODE) == [("HF609", 4), ("HF609", 7), ("HF609", 10)]


def test_missing_user_depends_on_the_image() -> None:
    text = """
    services:
      py:
        image: python:3.12-slim
      web:
        image: nginx:1.27
      unpriv:
        image: nginxinc/nginx-unprivileged:1.27
      db:
        image: postgres:17
      graf:
        image: grafana/grafana:11.0.0
      static:
        image: gcr.io/distroless/static-debian12:nonroot
      vendor:
        image: ghcr.io/example/app:1
      var:
        image: ${IMAGE}
    """
    ds = findings(text, CODE)
    assert [d.message.split("`")[1] for d in ds] == ["py", "web", "vendor"]
    assert "nginx-unprivileged" in ds[1].message
    assert "root unless the image sets one" in ds[2].message


def test_built_images_use_the_dockerfile_when_readable(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "Dockerfile").write_text("FROM python:3.12-slim\nCMD python\n")
    (tmp_path / "nonroot").mkdir()
    (tmp_path / "nonroot" / "Dockerfile").write_text("FROM python:3.12-slim\nUSER 10001:10001\n")
    (tmp_path / "Dockerfile.dev").write_text("FROM alpine\nUSER root\n")
    text = """
    services:
      a:
        build: ./root
      b:
        build: {context: ./nonroot}
      c:
        build:
          context: .
          dockerfile: Dockerfile.dev
      d:
        build: ./missing
      e:
        build:
          context: .
          dockerfile_inline: |
            FROM gcr.io/distroless/static-debian12:nonroot
    """
    assert rows(text, CODE, base_dir=str(tmp_path)) == [("HF609", 2), ("HF609", 6)]
    assert rows(text, CODE) == []  # no file access: built images are unknown
