"""`hardenify new` on a project it does not control: no code from it runs, nothing hangs.

Issue 12, "no code from the repository runs" and the `--data-file` line of "nothing hangs":

* every template (hardenify's, an organisation's, stack.yaml image refs, questions.yaml
  expressions) renders in a sandbox: attribute-walking payloads fail in one line naming the
  template file and line, exit 2, even under --pretend, and never run (each payload would
  create a marker directory; the tests assert it does not exist);
* text from the project (a detected start command) is never evaluated as a template;
* a template-dir the project names itself is used only with --trust-template-dir;
* answers files with alias bombs, deep or huge structures, non-mappings, FIFOs or devices
  end in one line, exit 2, in bounded time (a subprocess with a timeout).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from hardenify.scaffold.questions import interpolate
from hardenify.scaffold.templateset import builtin_dir

#: Each payload would create the directory MARKER if its template ran unsandboxed.
PAYLOADS = {
    "cycler": '{{ cycler.__init__.__globals__.os.mkdir("MARKER") }}',
    "joiner": '{{ joiner.__init__.__globals__.os.mkdir("MARKER") }}',
    "mro": (
        "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{% if c.__name__ == '_wrap_close' %}"
        "{{ c.__init__.__globals__['mkdir']('MARKER') }}{% endif %}{% endfor %}"
    ),
    "lipsum": '{{ lipsum.__globals__.os.mkdir("MARKER") }}',
    "template-reference": '{{ self._TemplateReference__context.cycler.__init__.__globals__.os.mkdir("MARKER") }}',
    "range": '{{ range.__init__.__globals__.os.mkdir("MARKER") }}',
    "namespace": '{{ namespace.__init__.__globals__.os.mkdir("MARKER") }}',
    "format": '{{ "{0.__init__.__globals__[os].mkdir}".format(cycler) }}',
}
#: Payloads that would exhaust memory or CPU if the operators were not bounded.
EXHAUSTING = {
    "repeat": "{{ 'x' * 10**10 }}",
    "power": "{{ 10**256**256**256 }}",
}


def run_cli(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`hardenify ARGS` in a child process: a hang fails the test instead of stopping the run."""
    env = {**os.environ, "XDG_CONFIG_HOME": str(cwd / "xdg-config")}
    return subprocess.run(
        [sys.executable, "-c", "from hardenify.cli import main; main()", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def org_with(tmp_path: Path, dockerfile_line: str | None = None, name: str = "org") -> Path:
    """An org template set: the python stack, its Dockerfile.j2 gaining one line (line 2)."""
    org = tmp_path / name
    shutil.copytree(builtin_dir() / "python", org / "python")
    if dockerfile_line is not None:
        path = org / "python" / "Dockerfile.j2"
        first, rest = path.read_text().split("\n", 1)
        path.write_text(f"{first}\n{dockerfile_line}\n{rest}")
    return org


def python_project(tmp_path: Path) -> Path:
    project = tmp_path / "svc"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "svc"\ndependencies = []\n')
    (project / "main.py").write_text("print('hi')\n")
    return project


def one_error_line(result: Result, where: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"hardenify: error: {where}"), lines[0]
    return lines[0]


def test_the_markers_would_appear_without_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The marker check is meaningful: plain Jinja2 does run the first payload."""
    from jinja2 import Environment

    monkeypatch.chdir(tmp_path)
    Environment().from_string(PAYLOADS["cycler"]).render()
    assert (tmp_path / "MARKER").is_dir()


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_payloads_in_an_org_dockerfile_template_fail_in_one_line_and_never_run(
    new: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, payload: str
) -> None:
    monkeypatch.chdir(tmp_path)
    org = org_with(tmp_path, PAYLOADS[payload])
    result = new(
        "--defaults", "--no-pin", "--pretend", "--template-dir", str(org), str(python_project(tmp_path))
    )
    assert result.exit_code == 2, result.output
    line = one_error_line(result, f"{org / 'python' / 'Dockerfile.j2'}:2: ")
    assert "unsafe" in line or "undefined" in line
    assert not (tmp_path / "MARKER").exists()
    assert not list(tmp_path.rglob("MARKER"))


@pytest.mark.parametrize("payload", sorted(EXHAUSTING))
def test_exhausting_operators_are_refused_at_once(
    new: Callable[..., Result], tmp_path: Path, payload: str
) -> None:
    org = org_with(tmp_path, EXHAUSTING[payload])
    result = new(
        "--defaults", "--no-pin", "--pretend", "--template-dir", str(org), str(python_project(tmp_path))
    )
    assert result.exit_code == 2, result.output
    one_error_line(result, f"{org / 'python' / 'Dockerfile.j2'}:2: the ")


def test_a_template_that_includes_itself_is_one_line(new: Callable[..., Result], tmp_path: Path) -> None:
    org = org_with(tmp_path, '{% include "python/Dockerfile.j2" %}')
    result = new(
        "--defaults", "--no-pin", "--pretend", "--template-dir", str(org), str(python_project(tmp_path))
    )
    assert result.exit_code == 2, result.output
    assert "recurses without end" in one_error_line(result, str(org / "python" / "Dockerfile.j2"))


def test_payloads_in_stack_yaml_and_questions_yaml_are_sandboxed_too(
    new: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    org = org_with(tmp_path)
    project = python_project(tmp_path)
    stack = org / "python" / "stack.yaml"
    text = stack.read_text()
    assert 'runtime: "python:{{ version }}-slim-bookworm"' in text
    stack.write_text(
        text.replace(
            'runtime: "python:{{ version }}-slim-bookworm"', "runtime: '" + PAYLOADS["cycler"] + "'", 1
        )
    )
    result = new("--defaults", "--no-pin", "--pretend", "--template-dir", str(org), str(project))
    assert result.exit_code == 2, result.output
    one_error_line(result, "python/stack.yaml (runtime): access to attribute '__init__'")

    (org / "questions.yaml").write_text(
        "version: 1\nquestions:\n  memory:\n    default: '" + PAYLOADS["lipsum"] + "'\n"
    )
    stack.write_text(text)
    result = new("--defaults", "--no-pin", "--pretend", "--template-dir", str(org), str(project))
    assert result.exit_code == 2, result.output
    one_error_line(result, "question 'memory' default: access to attribute '__globals__'")
    assert not list(tmp_path.rglob("MARKER"))


def test_every_scaffold_environment_is_a_sandbox(tmp_path: Path) -> None:
    from jinja2.sandbox import SandboxedEnvironment

    from hardenify.scaffold import questions, render, templateset

    assert isinstance(render.environment(templateset.load()), SandboxedEnvironment)
    assert isinstance(render.environment(templateset.load(org_with(tmp_path))), SandboxedEnvironment)
    assert isinstance(questions._env(), SandboxedEnvironment)


def test_a_detected_start_script_is_data_not_a_template(
    new: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    project = tmp_path / "web"
    project.mkdir()
    start = "node server.js --tag {{ 7*7 }} " + PAYLOADS["cycler"]
    (project / "package.json").write_text(json.dumps({"name": "web", "scripts": {"start": start}}))
    (project / "server.js").write_text("require('http').createServer().listen(3000)\n")
    result = new("--defaults", "--no-pin", str(project))
    assert result.exit_code == 0, result.output
    assert not list(tmp_path.rglob("MARKER"))
    dockerfile = (project / "Dockerfile").read_text()
    assert '"{{", "7*7", "}}"' in dockerfile  # the script's own text, not evaluated
    assert "49" not in dockerfile


def test_interpolate_fills_only_bare_answer_references() -> None:
    ctx = {"port": 8080, "binary": "api", "cycler": object()}
    assert interpolate("serve --port {{ port }}", ctx) == "serve --port 8080"
    assert interpolate("/usr/local/bin/{{binary}}", ctx) == "/usr/local/bin/api"
    assert interpolate("x {{ unknown }} {{ 7*7 }}", ctx) == "x {{ unknown }} {{ 7*7 }}"
    assert interpolate("{{ cycler }}", ctx) == "{{ cycler }}"  # only plain values are filled in
    assert interpolate("a {{ name }}", {"name": "{{ port }}"}) == "a {{ port }}"  # one pass
    assert interpolate(3000, ctx) == 3000


# ---------------------------------------------------------------------------- --trust-template-dir


def evil_org(tmp_path: Path) -> Path:
    """A template set a hostile project ships: its Dockerfile would create MARKER."""
    return org_with(tmp_path, PAYLOADS["cycler"], name="evil")


@pytest.mark.parametrize(
    ("config", "text"),
    [
        ("pyproject.toml", '[tool.hardenify]\ntemplate-dir = "../evil"\n'),
        (".hardenify.toml", 'template-dir = "../evil"\n'),
        ("hardenify.toml", 'template-dir = "../evil"\n'),
    ],
)
def test_a_template_dir_the_project_names_needs_trust(
    new: Callable[..., Result],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    config: str,
    text: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    evil = evil_org(tmp_path)
    project = python_project(tmp_path)
    if config == "pyproject.toml":
        text = (project / config).read_text() + text
    (project / config).write_text(text)

    result = new("--defaults", "--no-pin", "--pretend", str(project))
    assert result.exit_code == 0, result.output
    warning = [line for line in result.stderr.splitlines() if "template-dir" in line]
    assert len(warning) == 1 and warning[0].startswith("hardenify: warning: ignoring template-dir")
    assert str(project / config) in warning[0] and "--trust-template-dir" in warning[0]
    assert not list(tmp_path.rglob("MARKER"))

    trusted = new("--defaults", "--no-pin", "--pretend", "--trust-template-dir", str(project))
    assert trusted.exit_code == 2, trusted.output  # used, and still sandboxed
    one_error_line(trusted, f"{evil / 'python' / 'Dockerfile.j2'}:2: ")
    assert not list(tmp_path.rglob("MARKER"))


def test_a_template_dir_in_the_projects_answers_file_needs_trust(
    new: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    evil_org(tmp_path)
    project = python_project(tmp_path)
    assert new("--defaults", "--no-pin", str(project)).exit_code == 0
    answers = project / ".hardenify-answers.yml"
    answers.write_text(answers.read_text().replace("answers:\n", "template_dir: ../evil\nanswers:\n", 1))

    result = new("--update", "--pretend", str(project))
    assert result.exit_code == 0, result.output
    assert "ignoring template-dir" in result.stderr and str(answers) in result.stderr
    assert new("--update", "--pretend", "--trust-template-dir", str(project)).exit_code == 2
    assert not list(tmp_path.rglob("MARKER"))


def test_the_users_own_config_and_the_command_line_need_no_trust(
    new: Callable[..., Result], tmp_path: Path, _own_user_config: Path
) -> None:
    org = org_with(tmp_path)
    (org / "questions.yaml").write_text("version: 7\nquestions:\n  memory:\n    default: 384M\n")
    _own_user_config.mkdir(parents=True)
    (_own_user_config / "config.toml").write_text(f"template-dir = {json.dumps(str(org))}\n")
    project = python_project(tmp_path)
    (project / ".hardenify.toml").write_text('template-dir = "../nowhere"\n')

    result = new("--defaults", "--no-pin", str(project))
    assert result.exit_code == 0, result.output
    assert "ignoring template-dir" in result.stderr  # the project's setting, reported
    assert "memory: 384M" in (project / ".hardenify-answers.yml").read_text()  # the user's set, used

    other = org_with(tmp_path, name="cli-org")
    (other / "questions.yaml").write_text("version: 8\nquestions:\n  memory:\n    default: 640M\n")
    result = new("--defaults", "--no-pin", "--force", "--template-dir", str(other), str(project))
    assert result.exit_code == 0, result.output
    assert "ignoring" not in result.stderr
    assert "memory: 640M" in (project / ".hardenify-answers.yml").read_text()


def test_a_broken_user_config_is_one_line(
    new: Callable[..., Result], tmp_path: Path, _own_user_config: Path
) -> None:
    _own_user_config.mkdir(parents=True)
    (_own_user_config / "config.toml").write_text("template-dir = [\n")
    result = new("--defaults", "--no-pin", "--pretend", str(python_project(tmp_path)))
    assert result.exit_code == 2
    one_error_line(result, str(_own_user_config / "config.toml"))


def test_help_documents_trust_template_dir(new: Callable[..., Result]) -> None:
    result = new("--help")
    assert "--trust-template-dir" in result.output and "templates are code" in result.output


# ------------------------------------------------------------------------------------ --data-file

BOMB = "\n".join(
    ["a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']"]
    + [f"{b}: &{b} [{', '.join(['*' + a] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)]
    + ["name: *i", ""]
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (BOMB, "more than 20000 values once aliases are expanded"),
        ("port: &x [*x]\n", "nested more than 32 levels deep"),  # a recursive alias
        ("name: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
        ("name: " + "[" * 40 + "]" * 40 + "\n", "nested more than 32 levels deep"),
        ("- stack: python\n", "expected a mapping of question: answer, not a list"),
        ("just text\n", "expected a mapping of question: answer, not a str"),
        ("name: [a, b]\n", "answer 'name' must be text, a number or yes/no, not a list"),
        ("? [a]\n: b\n", "a list is not a question name"),
        ("name: [\n", "invalid YAML"),
        ("name: x\nname: y\n", "invalid YAML"),
    ],
)
def test_bad_data_files_end_in_one_line_in_bounded_time(tmp_path: Path, content: str, message: str) -> None:
    data = tmp_path / "answers.yml"
    data.write_text(content)
    project = python_project(tmp_path)
    proc = run_cli(
        "new", "--defaults", "--no-pin", "--pretend", "--data-file", str(data), str(project), cwd=tmp_path
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"hardenify: error: {data}: "), proc.stderr
    assert message in lines[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("kind", ["fifo", "device", "symlink-to-device", "huge", "binary"])
def test_data_files_that_are_not_small_text_files_are_never_read(tmp_path: Path, kind: str) -> None:
    data = tmp_path / "answers.yml"
    if kind == "fifo":
        os.mkfifo(data)  # opening it would block this run forever
    elif kind == "device":
        data = Path("/dev/zero")
    elif kind == "symlink-to-device":
        data.symlink_to("/dev/zero")  # read to the end, it never ends
    elif kind == "huge":
        data.write_text("name: x\n" + "#" * (2 * 1024 * 1024) + "\n")
    else:
        data.write_bytes(b"name: \xff\xfe\n")
    proc = run_cli(
        "new",
        "--defaults",
        "--no-pin",
        "--pretend",
        "--data-file",
        str(data),
        str(python_project(tmp_path)),
        cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"hardenify: error: {data}: "), proc.stderr
    expected = {
        "fifo": "not a regular file (fifo)",
        "device": "not a regular file (character device)",
        "symlink-to-device": "not a regular file (character device)",
        "huge": "file too large",
        "binary": "not UTF-8",
    }[kind]
    assert expected in lines[0]


def test_a_fifo_answers_file_in_the_project_is_never_opened(tmp_path: Path) -> None:
    project = python_project(tmp_path)
    os.mkfifo(project / ".hardenify-answers.yml")
    proc = run_cli("new", "--update", "--pretend", str(project), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == (
        f"hardenify: error: {project / '.hardenify-answers.yml'}: cannot read: not a regular file (fifo)"
    )


def test_a_good_data_file_still_works(new: Callable[..., Result], tmp_path: Path) -> None:
    data = tmp_path / "answers.yml"
    data.write_text("base: distroless\nport: &p 7000\nmemory: 1G\nname: svc\n")
    project = python_project(tmp_path)
    result = new("--defaults", "--no-pin", "--data-file", str(data), str(project))
    assert result.exit_code == 0, result.output
    saved = (project / ".hardenify-answers.yml").read_text()
    assert "port: 7000" in saved and "memory: 1G" in saved and "base: distroless" in saved


# -------------------------------------------------------------------------------- detection


def test_detection_never_opens_special_files(tmp_path: Path) -> None:
    """A FIFO named package.json or app.py, a link to /dev/zero: skipped, never opened."""
    project = python_project(tmp_path)
    os.mkfifo(project / "package.json")
    os.mkfifo(project / "app.py")
    (project / "settings.py").symlink_to("/dev/zero")
    proc = run_cli("new", "--show-detection", str(project), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["stack"] == "python"
