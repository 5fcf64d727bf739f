"""`hardenify new` through its CLI: non-interactive answers, safety of existing files, --update,
org templates, pinning and the output checks."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from ruamel.yaml import YAML

from hardenify.scaffold.templateset import builtin_dir

GENERATED = ("Dockerfile", ".dockerignore", "compose.yaml", "README.Docker.md", ".hardenify-answers.yml")


def yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path)


def check(*paths: Path) -> Result:
    from hardenify.cli import app

    # HF204 depends on today's date, not on the generator: render.lint_outputs ignores it too.
    return CliRunner().invoke(app, ["check", "--ignore", "HF204", *map(str, paths)], catch_exceptions=False)


def test_defaults_write_files_that_pass_hardenify_check(
    new: Callable[..., Result], sample_copy: Callable[[str], Path]
) -> None:
    project = sample_copy("python-app")
    result = new("--defaults", "--no-pin", str(project))
    assert result.exit_code == 0, result.output
    for name in GENERATED:
        assert (project / name).is_file(), name
    assert "create" in result.output and "Dockerfile" in result.output
    verdict = check(project / "Dockerfile", project / "compose.yaml")
    assert verdict.exit_code == 0, verdict.output
    saved = yaml(project / ".hardenify-answers.yml")
    assert saved["answers"]["stack"] == "python" and saved["answers"]["pin"] is False
    assert saved["template_version"] == "1"
    assert saved["rendered"]["Dockerfile"] == (project / "Dockerfile").read_text()


def test_no_tty_without_defaults_names_the_missing_flags(new: Callable[..., Result], tmp_path: Path) -> None:
    project = tmp_path / "fresh"  # nothing to detect a port or command from
    result = new("--stack", "python", str(project))
    assert result.exit_code == 2
    assert "no TTY" in result.output
    assert "--port (or --data port=VALUE)" in result.output
    assert "--command (or --data command=VALUE)" in result.output
    assert "--defaults" in result.output
    assert not (project / "Dockerfile").exists()


def test_no_tty_works_when_every_required_answer_is_given(new: Callable[..., Result], tmp_path: Path) -> None:
    result = new(
        "--stack",
        "go",
        "--port",
        "9090",
        "--command",
        "/usr/local/bin/svc",
        "--no-pin",
        "--name",
        "svc",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    df = (tmp_path / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["/usr/local/bin/svc"]' in df and "EXPOSE 9090" in df
    assert (tmp_path / ".hardenify" / "healthcheck.go").is_file()  # distroless: a compiled probe


def test_pretend_writes_nothing(new: Callable[..., Result], tmp_path: Path) -> None:
    result = new("--defaults", "--no-pin", "--stack", "node", "--pretend", str(tmp_path))
    assert result.exit_code == 0
    assert "create           Dockerfile" in result.output and "nothing written" in result.output
    assert list(tmp_path.iterdir()) == []


def test_existing_files_are_never_overwritten_without_force(
    new: Callable[..., Result], sample_copy: Callable[[str], Path]
) -> None:
    project = sample_copy("node-app")
    (project / "Dockerfile").write_text("FROM node:22\nCMD node server.js\n")
    result = new("--defaults", "--no-pin", str(project))
    assert result.exit_code == 1
    assert "-CMD node server.js" in result.output  # the diff is shown
    assert "nothing written" in result.output
    assert (project / "Dockerfile").read_text() == "FROM node:22\nCMD node server.js\n"
    assert not (project / "compose.yaml").exists()

    forced = new("--defaults", "--no-pin", "--force", str(project))
    assert forced.exit_code == 0
    assert 'ENTRYPOINT ["node", "server.js"]' in (project / "Dockerfile").read_text()


def test_rerun_with_the_same_answers_changes_nothing(
    new: Callable[..., Result], sample_copy: Callable[[str], Path]
) -> None:
    project = sample_copy("rust-app")
    assert new("--defaults", "--no-pin", str(project)).exit_code == 0
    again = new("--defaults", "--no-pin", str(project))
    assert again.exit_code == 0
    assert "unchanged        Dockerfile" in again.output


def test_data_file_data_and_flags_in_order_of_precedence(new: Callable[..., Result], tmp_path: Path) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text("stack: python\nport: 7000\nname: fromfile\nmemory: 1G\n")
    project = tmp_path / "p"
    result = new(
        "--defaults",
        "--no-pin",
        "--data-file",
        str(answers),
        "-d",
        "port=7100",
        "-d",
        "name=fromdata",
        "--name",
        "fromflag",
        str(project),
    )
    assert result.exit_code == 0, result.output
    saved = yaml(project / ".hardenify-answers.yml")["answers"]
    assert (saved["port"], saved["name"], saved["memory"]) == (7100, "fromflag", "1G")
    compose = yaml(project / "compose.yaml")
    assert compose["services"]["fromflag"]["ports"] == ["127.0.0.1:7100:7100"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "out of range"),
        (["--command", "python app.py\nUSER root"], "one line"),
        (["--stack", "cobol"], "not one of"),
        (["--base", "scratch"], "not one of"),
        (["-d", "nosuch=1"], "unknown answer"),
        (["-d", "redis=maybe"], "yes/no"),
        (["--uid", "0"], "root"),
    ],
)
def test_invalid_answers_are_usage_errors(
    new: Callable[..., Result], tmp_path: Path, args: list[str], message: str
) -> None:
    stack = [] if "--stack" in args else ["--stack", "python"]
    result = new("--defaults", "--no-pin", *stack, *args, str(tmp_path))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "Dockerfile").exists()


def test_pins_digests_when_the_registry_answers(
    new: Callable[..., Result], sample_copy: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[list[str]] = []

    def registry(refs: list[str], **_: Any) -> tuple[dict[str, str], dict[str, str]]:
        asked.append(list(refs))
        return {r: "sha256:" + f"{i:x}" * 64 for i, r in enumerate(refs, 1)}, {}

    monkeypatch.setattr("hardenify.scaffold.render.resolve_digests", registry)
    project = sample_copy("go-app")
    result = new("--defaults", "--no-syntax-directive", str(project))
    assert result.exit_code == 0, result.output
    assert asked == [["golang:1.23-bookworm", "gcr.io/distroless/static-debian12:nonroot"]]
    df = (project / "Dockerfile").read_text()
    assert "FROM golang:1.23-bookworm@sha256:" + "1" * 64 + " AS build" in df
    assert "FROM gcr.io/distroless/static-debian12:nonroot@sha256:" + "2" * 64 in df
    assert "ignore[HF202]" not in df and "Not pinned" not in df
    assert check(project / "Dockerfile").exit_code == 0


def test_unanswered_lookups_leave_a_tag_a_note_and_the_reason(
    new: Callable[..., Result], tmp_path: Path
) -> None:
    result = new("--defaults", "--stack", "php", str(tmp_path))  # the autouse fixture: the registry is down
    assert result.exit_code == 0
    df = (tmp_path / "Dockerfile").read_text()
    assert (
        "# Not pinned to a digest (the registry did not answer with a digest (network)): run `hardenify pin Dockerfile`"
        in df
    )
    assert "# hardenify: ignore[HF202]\nFROM php:8.3-apache-bookworm\n" in df
    assert "not pinned to a digest" in result.output


def test_show_detection_and_list_questions(
    new: Callable[..., Result], sample_copy: Callable[[str], Path]
) -> None:
    project = sample_copy("python-app")
    shown = new("--show-detection", str(project))
    data = json.loads(shown.output)
    assert data["stack"] == "python" and data["facts"]["secrets"] == "API_TOKEN"
    listed = new("--list-questions", str(project))
    assert "python_deps" in listed.output and "--port" in listed.output
    assert not (project / "Dockerfile").exists()


def test_static_port_changes_in_the_generated_nginx_config_on_every_base(
    new: Callable[..., Result], tmp_path: Path
) -> None:
    for base in ("chainguard", "debian-slim"):
        project = tmp_path / base
        result = new(
            "--defaults", "--no-pin", "--stack", "static", "--base", base, "--port", "9000", str(project)
        )
        assert result.exit_code == 0, result.output
        assert "listen       9000;" in (project / ".hardenify" / "nginx.conf").read_text()
        assert "sed -i" not in (project / "Dockerfile").read_text()


# ------------------------------------------------------------------------------ org templates


def make_org(tmp_path: Path, version: int = 1) -> Path:
    """An org template set overriding the python stack (a copy of hardenify's, to be edited)."""
    org = tmp_path / "org-templates"
    shutil.copytree(builtin_dir() / "python", org / "python")
    (org / "questions.yaml").write_text(f"version: {version}\nquestions:\n  memory:\n    default: 256M\n")
    return org


def bump(org: Path, version: int, old: str, new: str) -> None:
    path = org / "python" / "Dockerfile.j2"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    (org / "questions.yaml").write_text(f"version: {version}\nquestions:\n  memory:\n    default: 256M\n")


def test_org_templates_override_defaults_and_are_recorded(
    new: Callable[..., Result], sample_copy: Callable[[str], Path], tmp_path: Path
) -> None:
    org = make_org(tmp_path)
    project = sample_copy("python-app")
    result = new("--defaults", "--no-pin", "--template-dir", str(org), str(project))
    assert result.exit_code == 0, result.output
    saved = yaml(project / ".hardenify-answers.yml")
    assert saved["template_version"] == "1+org.1"
    assert saved["answers"]["memory"] == "256M"
    assert Path(project / saved["template_dir"]).resolve() == org.resolve()


def test_config_template_dir_and_an_org_stack(new: Callable[..., Result], tmp_path: Path) -> None:
    org = tmp_path / "org"
    (org / "elixir").mkdir(parents=True)
    shutil.copy(builtin_dir() / "go" / "stack.yaml", org / "elixir" / "stack.yaml")
    (org / "elixir" / "Dockerfile.j2").write_text(
        "{% import '_macros/docker.j2' as d with context %}\n{{ d.header() }}\n\n# ---- runtime\n"
        "{{ d.from_(images.runtime) }}\n{{ d.labels(images.runtime) }}\n{{ d.user() }}\nEXPOSE {{ port }}\n"
        "{{ d.healthcheck() }}\n{{ d.entrypoint() }}\n"
    )
    project = tmp_path / "svc"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.hardenify]\ntemplate-dir = "../org"\n')
    result = new(
        "--defaults",
        "--no-pin",
        "--stack",
        "elixir",
        "--base",
        "debian-slim",
        "--command",
        "/app/bin/svc start",
        "--trust-template-dir",  # the project names the template dir itself
        str(project),
    )
    assert result.exit_code == 0, result.output
    df = (project / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["/app/bin/svc", "start"]' in df and "FROM debian:bookworm-slim" in df


def test_update_merges_user_edits_with_a_newer_template(
    new: Callable[..., Result], sample_copy: Callable[[str], Path], tmp_path: Path
) -> None:
    org = make_org(tmp_path)
    project = sample_copy("python-app")
    assert new("--defaults", "--no-pin", "--template-dir", str(org), str(project)).exit_code == 0
    df = project / "Dockerfile"
    df.write_text(df.read_text().replace("COPY . /app\n", "COPY . /app\n# our own note, kept by --update\n"))
    bump(org, 2, "    PYTHONUNBUFFERED=1 \\\n", "    PYTHONUNBUFFERED=1 \\\n    PYTHONFAULTHANDLER=1 \\\n")

    result = new("--update", "--trust-template-dir", str(project))  # the dir the answers file names
    assert result.exit_code == 0, result.output
    assert "merge your edits Dockerfile" in result.output
    text = df.read_text()
    assert "# our own note, kept by --update\n" in text
    assert "PYTHONFAULTHANDLER=1" in text
    saved = yaml(project / ".hardenify-answers.yml")
    assert saved["template_version"] == "1+org.2"
    assert "PYTHONFAULTHANDLER=1" in saved["rendered"]["Dockerfile"]  # the new base
    assert "our own note" not in saved["rendered"]["Dockerfile"]


def test_update_conflicts_are_marked_and_exit_1(
    new: Callable[..., Result], sample_copy: Callable[[str], Path], tmp_path: Path
) -> None:
    org = make_org(tmp_path)
    project = sample_copy("python-app")
    assert new("--defaults", "--no-pin", "--template-dir", str(org), str(project)).exit_code == 0
    df = project / "Dockerfile"
    df.write_text(df.read_text().replace("    PYTHONUNBUFFERED=1 \\\n", "    PYTHONUNBUFFERED=0 \\\n"))
    bump(org, 2, "    PYTHONUNBUFFERED=1 \\\n", "    PYTHONUNBUFFERED=1 \\\n    PYTHONFAULTHANDLER=1 \\\n")

    result = new("--update", "--template-dir", str(org), str(project))
    assert result.exit_code == 1
    assert "CONFLICT" in result.output and "conflict(s) left in Dockerfile" in result.output
    text = df.read_text()
    assert "<<<<<<< yours\n    PYTHONUNBUFFERED=0 \\\n||||||| generated (template 1+org.1)\n" in text
    assert "=======\n    PYTHONUNBUFFERED=1 \\\n    PYTHONFAULTHANDLER=1 \\\n>>>>>>> new template\n" in text
    # a second --update refuses to merge over unresolved markers
    again = new("--update", str(project))
    assert again.exit_code == 2 and "conflict markers" in again.output


def test_update_without_answers_file_is_a_usage_error(new: Callable[..., Result], tmp_path: Path) -> None:
    result = new("--update", str(tmp_path))
    assert result.exit_code == 2 and "--update` needs the answers file" in result.output


def test_secret_answers_are_never_written(
    new: Callable[..., Result], sample_copy: Callable[[str], Path], tmp_path: Path
) -> None:
    org = make_org(tmp_path)
    (org / "questions.yaml").write_text(
        "version: 1\nquestions:\n  deploy_token:\n    type: secret\n    help: Deploy token\n"
    )
    project = sample_copy("python-app")
    secret = "s3cr3t-deploy-token-value"
    result = new(
        "--defaults", "--no-pin", "--template-dir", str(org), "-d", f"deploy_token={secret}", str(project)
    )
    assert result.exit_code == 0, result.output
    for path in project.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="replace"), path
    assert "deploy_token" not in yaml(project / ".hardenify-answers.yml")["answers"]

    # a template that tries to write one is refused before anything is written
    leaky = org / "python" / "Dockerfile.j2"
    leaky.write_text(leaky.read_text() + "# {{ deploy_token }}\n")
    fresh = sample_copy("node-app")
    refused = new(
        "--defaults",
        "--no-pin",
        "--stack",
        "python",
        "--template-dir",
        str(org),
        "-d",
        f"deploy_token={secret}",
        str(fresh),
    )
    assert refused.exit_code == 2 and "secret answer 'deploy_token'" in refused.output
    assert not (fresh / "Dockerfile").exists()
    assert secret not in refused.output


def test_output_that_fails_hardenify_check_is_not_written(
    new: Callable[..., Result], sample_copy: Callable[[str], Path], tmp_path: Path
) -> None:
    org = make_org(tmp_path)
    bad = org / "python" / "Dockerfile.j2"
    bad.write_text(bad.read_text().replace("{{ d.user() }}", "USER root"))
    project = sample_copy("python-app")
    result = new("--defaults", "--no-pin", "--template-dir", str(org), str(project))
    assert result.exit_code == 2
    assert "do not pass `hardenify check`" in result.output and "HF101" in result.output
    assert not (project / "Dockerfile").exists()
