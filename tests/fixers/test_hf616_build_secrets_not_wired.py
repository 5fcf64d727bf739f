from pathlib import Path

from tests.compose.util import dedent, findings, fixed, rows

CODE = "HF616"
DOCKERFILE = "FROM node:22\nRUN --mount=type=secret,id=npm_token npm ci\nRUN --mount=type=secret,target=/root/.netrc make\n"


def _tree(tmp_path: Path) -> str:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text(DOCKERFILE)
    return str(tmp_path)


def test_missing_ids_fire(tmp_path: Path) -> None:
    base = _tree(tmp_path)
    text = """
    services:
      a:
        build: ./app
      b:
        build:
          context: ./app
          secrets: [npm_token, .netrc]
      c:
        build:
          context: ./app
          secrets:
            - source: npm
              target: npm_token
    """
    ds = findings(text, CODE, base_dir=base)
    assert [d.location.row for d in ds] == [3, 9]
    assert "`npm_token`, `.netrc`" in ds[0].message and "`.netrc`" in ds[1].message
    assert rows(text, CODE) == []  # without file access nothing is known


def test_inline_dockerfile_needs_no_files() -> None:
    text = """
    services:
      a:
        build:
          context: .
          dockerfile_inline: |
            FROM alpine
            RUN --mount=type=secret,id=token cat /run/secrets/token
    """
    assert rows(text, CODE) == [("HF616", 3)]


def test_fix_wires_secrets_and_declares_them(tmp_path: Path) -> None:
    base = _tree(tmp_path)
    before = """
    services:
      a:
        build: ./app  # the app
      b:
        build:
          context: ./app
          secrets:
            - npm_token
    secrets:
      npm_token:
        environment: NPM_TOKEN
    """
    assert fixed(before, CODE, base_dir=base) == dedent(
        """
        services:
          a:
            build:
              context: ./app
              secrets:
                - npm_token
                - .netrc  # the app
          b:
            build:
              context: ./app
              secrets:
                - npm_token
                - .netrc
        secrets:
          npm_token:
            environment: NPM_TOKEN
          .netrc:
            file: ./app/.netrc
        """
    )


def test_fix_uses_the_variable_the_dockerfile_names(tmp_path: Path) -> None:
    """The Dockerfile's `env=NPM_TOKEN` (or `NPM_TOKEN="$(cat ...)"`) is the user's variable: the
    compose source uses it, never the lower-case id (issue 14 item 11)."""
    (tmp_path / "Dockerfile").write_text(
        "FROM node:22\n"
        "RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci\n"
        'RUN --mount=type=secret,id=gh PRIVATE_GH="$(cat /run/secrets/gh)" make\n'
        "RUN --mount=type=secret,id=pip_token pip install x\n"
    )
    got = fixed("services:\n  app:\n    build: .\n", CODE, base_dir=str(tmp_path), raw=True)
    assert "npm_token:\n    environment: NPM_TOKEN" in got
    assert "gh:\n    environment: PRIVATE_GH" in got
    assert "pip_token:\n    environment: PIP_TOKEN" in got
    assert "npm_token\n" in got and "environment: npm_token" not in got


def test_one_fix_run_moves_the_build_arg_and_wires_compose(tmp_path: Path) -> None:
    """Issue 14 item 11: `hardenify fix` fixes the compose file against the Dockerfile as the same
    run leaves it, so HF616 wires the new secret now (with NPM_TOKEN), and a second run changes
    nothing."""
    import subprocess
    import sys

    (tmp_path / "Dockerfile").write_text(
        "FROM node:22-bookworm-slim\nARG NPM_TOKEN\nCOPY package.json .\n"
        'RUN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci && rm .npmrc\n'
    )
    (tmp_path / "package.json").write_text("{}\n")
    (tmp_path / "package-lock.json").write_text("{}\n")
    (tmp_path / "compose.yaml").write_text("services:\n  app:\n    build: .\n")

    def fix(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "hardenify",
                "fix",
                "--unsafe-fixes",
                "--select",
                "HF301,HF616",
                *extra,
                ".",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert fix().returncode == 0
    assert "id=npm_token" in (tmp_path / "Dockerfile").read_text()
    compose = (tmp_path / "compose.yaml").read_text()
    assert "      secrets:\n        - npm_token\n" in compose
    assert "  npm_token:\n    environment: NPM_TOKEN\n" in compose
    again = fix("--diff")
    assert again.returncode == 0 and again.stdout == ""
