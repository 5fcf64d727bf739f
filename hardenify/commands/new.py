"""`hardenify new`: scaffold a hardened Dockerfile, .dockerignore, compose.yaml and README.

Detect → answer (flags, --data, --data-file, saved answers, wizard) → render → lint → write.
Nothing is written unless every generated file passes `hardenify check` with zero findings,
and no existing file is replaced without `--force` or a yes on the TTY: one yes for the whole
set, so the files on disk and the answers file always come from the same answers. `--update`
re-renders with the saved answers and merges the result into the user's edited files (3-way,
against the files as they were generated, which the answers file keeps).

Exit codes: 0 done; 1 existing files differ or the wizard was cancelled (nothing written), or
`--update` left conflicts; 2 usage error, answers nothing settled without a TTY, or output
that failed the checks.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from hardenify.scaffold.answers import AnswersFile
    from hardenify.scaffold.detect import Detection
    from hardenify.scaffold.render import Rendered
    from hardenify.scaffold.templateset import TemplateSet

EXIT_OK, EXIT_DIFFERS, EXIT_ERROR = 0, 1, 2

#: question → the flag that answers it (used in "which flag to pass" messages).
FLAGS: dict[str, str] = {
    "stack": "--stack",
    "base": "--base",
    "name": "--name",
    "port": "--port",
    "command": "--command",
    "version": "--runtime-version",
    "uid": "--uid",
    "health_path": "--health-path",
    "env": "--env",
    "secrets": "--secret",
    "build_secrets": "--build-secret",
    "postgres": "--postgres/--no-postgres",
    "redis": "--redis/--no-redis",
    "bind": "--bind",
    "pin": "--pin/--no-pin",
    "syntax_directive": "--syntax-directive/--no-syntax-directive",
    "ci": "--ci",
    "k8s": "--k8s/--no-k8s",
}


class NewError(click.ClickException):
    """A usage or template problem: printed as `hardenify: error: …`, exit 2."""

    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"hardenify: error: {self.format_message()}", err=True)


def _data(ctx: click.Context, param: click.Parameter, value: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in value:
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r}: expected KEY=VALUE, e.g. --data port=8080")
        out[key.strip()] = val
    return out


@click.command("new", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--stack", help="python, node, go, java, rust, ruby, php, dotnet, static (default: detected).")
@click.option(
    "--base", help="Runtime base: debian-slim, distroless, alpine or chainguard (default per stack)."
)
@click.option("--name", help="Service and image name (default: the project's name).")
@click.option("--port", type=int, help="Port the service listens on (default: detected).")
@click.option(
    "--command", "--entrypoint", "command", help="Start command, run without a shell (default: detected)."
)
@click.option(
    "--runtime-version", "version", help="Language/runtime version, e.g. 3.12 or 22 (default: detected)."
)
@click.option("--uid", type=int, help="Numeric non-root uid the service runs as (default per base).")
@click.option(
    "--health-path",
    help="HTTP path the healthcheck probes, or `tcp` to only check the port (default: detected).",
)
@click.option("--env", "env", metavar="NAMES", help="Env vars compose passes through (comma-separated).")
@click.option("--secret", "secrets", metavar="NAMES", help="Secret env vars, mounted as compose secrets.")
@click.option(
    "--build-secret", "build_secrets", metavar="NAMES", help="Secrets the dependency install needs."
)
@click.option("--postgres/--no-postgres", default=None, help="Add a hardened PostgreSQL service.")
@click.option("--redis/--no-redis", default=None, help="Add a hardened Redis service.")
@click.option("--bind", metavar="ADDRESS", help="Host address compose publishes on (default 127.0.0.1).")
@click.option("--pin/--no-pin", default=None, help="Pin base images to digests (default: on).")
@click.option(
    "--syntax-directive/--no-syntax-directive",
    default=None,
    help="Write `# syntax=docker/dockerfile:1` (off for air-gapped builders).",
)
@click.option(
    "--ci",
    type=click.Choice(["github", "gitlab", "none"]),
    default=None,
    help="Also write a pipeline: build with SBOM and provenance, Trivy scan, cosign sign (default: none).",
)
@click.option(
    "--k8s/--no-k8s",
    default=None,
    help="Also write kustomize-ready Kubernetes manifests, Pod Security `restricted` (default: off).",
)
@click.option(
    "-d",
    "--data",
    "data",
    multiple=True,
    callback=_data,
    metavar="KEY=VALUE",
    help="Answer any question. Repeatable.",
)
@click.option(
    "--data-file", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="YAML file of answers."
)
@click.option("--defaults", is_flag=True, help="Accept detected/default answers without asking.")
@click.option(
    "--template-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="An organisation's template set (overrides/adds stacks). Default: `template-dir` "
    "in your own config.toml (~/.config/hardenify/ on Linux).",
)
@click.option(
    "--trust-template-dir",
    is_flag=True,
    help="Use a template-dir that the project names itself (its .hardenify.toml, "
    "pyproject.toml or .hardenify-answers.yml). Off by default: templates are code.",
)
@click.option(
    "--force", is_flag=True, help="Overwrite existing files that differ (with --update: discard your edits)."
)
@click.option("--pretend", is_flag=True, help="Show what would be written; write nothing.")
@click.option(
    "--update", is_flag=True, help="Re-render with the saved answers and merge into your edited files."
)
@click.option("--show-detection", is_flag=True, help="Print what detection found (JSON) and exit.")
@click.option(
    "--list-questions", is_flag=True, help="List the questions, one a line (names for --data), and exit."
)
@click.option(
    "--help-questions",
    is_flag=True,
    help="Explain every question: its flag, type, choices, default here, and whether the wizard asks it.",
)
def command(
    directory: Path,
    data: dict[str, str],
    data_file: Path | None,
    defaults: bool,
    template_dir: Path | None,
    trust_template_dir: bool,
    force: bool,
    pretend: bool,
    update: bool,
    show_detection: bool,
    list_questions: bool,
    help_questions: bool,
    **flags: Any,
) -> None:
    """Scaffold a hardened container setup for the project in DIRECTORY (default: .).

    Writes a multi-stage Dockerfile, .dockerignore, compose.yaml and README.Docker.md that
    pass `hardenify check` with zero findings: numeric non-root user, read-only root
    filesystem, no capabilities, no-new-privileges, resource limits, healthcheck, secrets as
    files, base images pinned by digest.

    \b
    What is detected: the stack (python, node, go, java, rust, ruby, php,
    dotnet, static), name, runtime version, port, start command, health path,
    env vars, secrets and databases the code uses (Python is parsed, never
    run). `--show-detection` prints it all.

    \b
    What is asked (on a TTY): only what detection could not settle, i.e.
    the stack, port or start command when the project does not show them
    (often nothing). Then a summary of every answer and where it came from:
    write, change any answer (go back), or go through all questions
    (advanced: base image, uid, limits, bind address, pinning...).
    `--help-questions` explains each question; `--list-questions` names them.

    \b
    Answering without a TTY (CI, `</dev/null`): flags such as --port, or
    `--data NAME=VALUE` for any question, or `--data-file answers.yml` (a
    YAML mapping; a saved .hardenify-answers.yml works too). What detection
    settled is used as is; anything it could not settle is an error (exit 2)
    naming the flag, unless --defaults takes the template's defaults.

    \b
    The answers file: .hardenify-answers.yml records the answers (never a
    secret) and the files as generated. A re-run in the wizard offers its
    answers as the defaults; `--update` re-renders with them (a newer
    template, your edits merged 3-way; new questions take their defaults).
    Existing files that differ are shown as diffs and replaced all together
    after one yes (or --force), never some of them; without a TTY: nothing
    written, exit 1.

    \b
    Examples:
      hardenify new                                   # wizard, defaults from detection
      hardenify new --defaults                        # no questions
      hardenify new --defaults --stack go --base distroless --port 8080 svc/
      hardenify new --defaults --no-pin --no-syntax-directive   # offline / air-gapped
      hardenify new --data-file answers.yml --pretend
      hardenify new --update                          # newer templates, your edits kept
      hardenify new --template-dir ~/org-templates --defaults
      hardenify new --update --trust-template-dir     # the template-dir the project names
    """
    from hardenify.scaffold.answers import FILENAME, AnswersFileError
    from hardenify.scaffold.answers import load as load_answers
    from hardenify.scaffold.detect import detect
    from hardenify.scaffold.questions import AnswerError
    from hardenify.scaffold.render import RenderError
    from hardenify.scaffold.templatedir import TemplateDirError, choose
    from hardenify.scaffold.templateset import TemplateError

    root = directory
    if root.exists() and not root.is_dir():
        raise NewError(f"{root} is not a directory")
    saved = None
    if update:
        try:
            saved = load_answers(root / FILENAME)
        except AnswersFileError as exc:
            raise NewError(str(exc)) from None
    elif not defaults and _tty() and (root / FILENAME).is_file():
        # A re-run in the wizard: the answers given last time are its defaults (copier's answers
        # file). Without the wizard a re-run stays what the flags and detection say, as before.
        try:
            saved = load_answers(root / FILENAME)
        except AnswersFileError as exc:
            click.echo(f"hardenify: warning: {exc}; its answers are not used", err=True)
    try:
        chosen = choose(
            root,
            template_dir,
            saved.template_dir if saved is not None and update else None,
            trust=trust_template_dir,
        )
    except TemplateDirError as exc:
        raise NewError(str(exc)) from None
    for line in chosen.ignored:
        click.echo(f"hardenify: warning: {line}", err=True)
    tdir = chosen.path
    try:
        tset = _load_templates(tdir)
        detection = detect(root)
        if show_detection:
            _print_detection(detection)
            return
        explicit = _explicit(data_file, data, flags)
        if list_questions or help_questions:
            _print_questions(tset, detection, explicit, saved, verbose=help_questions)
            return
        interactive = not defaults and _tty()
        if interactive:
            _print_detection_summary(detection)
            if saved is not None and not update:
                click.echo(f"hardenify new: the answers saved in {FILENAME} are the defaults.")
        answers = _resolve(
            tset, detection, explicit, saved, interactive=interactive, defaults=defaults, update=update
        )
        rendered = _render(tset, answers, detection)
    except (TemplateError, AnswerError, RenderError, AnswersFileError) as exc:
        raise NewError(str(exc)) from None
    from hardenify.scaffold.render import lint_outputs

    problems = lint_outputs(rendered.files)
    if problems:
        raise NewError(
            "the generated files do not pass `hardenify check`, so nothing was written:\n  "
            + "\n  ".join(problems)
        )
    if not interactive:
        # Detection's fallbacks (dev server, remapped port, TCP probe) must not pass silently; said
        # once the output is good, so that an error stays the one line it is (the wizard showed them).
        for warning in detection.warnings:
            click.echo(f"hardenify new: note: {warning}", err=True)
    for warning in rendered.warnings:  # the template's own fallbacks (PHP's dev server)
        click.echo(f"hardenify new: note: {warning}", err=True)
    plan = _plan(root, rendered, saved, update=update, force=force)
    if pretend:
        _show_plan(plan, diffs=True)
        click.echo("(--pretend: nothing written)")
        return
    if plan.differs and not force:
        if not _tty():
            _show_plan(plan, diffs=True, only_differs=True)
            click.echo(
                f"hardenify new: {len(plan.differs)} existing file(s) differ; nothing written. "
                "Use --force to overwrite, --pretend to preview, or --update to merge.",
                err=True,
            )
            sys.exit(EXIT_DIFFERS)
        # One question for the whole set: files from two sets of answers would not fit together,
        # and the answers file must describe what is on disk.
        for change in plan.differs:
            click.echo(_diff(change.path, change.old or "", change.new))
        paths = ", ".join(c.path for c in plan.differs)
        if not click.confirm(f"Overwrite {len(plan.differs)} existing file(s): {paths}?", default=False):
            click.echo(
                "hardenify new: nothing written (answers not saved). Use --update to merge with your edits.",
                err=True,
            )
            sys.exit(EXIT_DIFFERS)
    _write(root, plan, tset, answers, rendered, tdir)
    _show_plan(plan, diffs=False)
    _next_steps(rendered, answers.values)
    if plan.conflicts:
        click.echo(
            f"hardenify new: {plan.conflicts} conflict(s) left in "
            f"{', '.join(c.path for c in plan.changes if c.conflicts)}: resolve the <<<<<<< / >>>>>>> blocks.",
            err=True,
        )
        sys.exit(EXIT_DIFFERS)


# ------------------------------------------------------------------------------------- answers


def _tty() -> bool:
    """A person at a terminal on both ends. A closed stdin (`<&-`) is None, a closed file raises."""
    try:
        return bool(sys.stdin and sys.stdin.isatty() and sys.stdout and sys.stdout.isatty())
    except (ValueError, OSError):
        return False


def _load_templates(tdir: Path | None) -> TemplateSet:
    from hardenify.scaffold.templateset import load

    return load(tdir)


def _explicit(data_file: Path | None, data: Mapping[str, str], flags: Mapping[str, Any]) -> dict[str, Any]:
    """--data-file, then --data, then the named flags: the later source wins."""
    from hardenify.scaffold.answers import load_data_file

    explicit: dict[str, Any] = {}
    if data_file is not None:
        explicit.update(load_data_file(data_file))
    explicit.update(data)
    explicit.update({k: v for k, v in flags.items() if v is not None})
    return explicit


def _resolve(
    tset: TemplateSet,
    detection: Detection,
    explicit: Mapping[str, Any],
    saved: AnswersFile | None,
    *,
    interactive: bool,
    defaults: bool,
    update: bool = False,
) -> Any:
    from hardenify.scaffold.questions import Resolver

    resolver = Resolver(
        tset,
        detection,
        explicit=explicit,
        saved=saved.answers if saved is not None else {},
        # --update: answers are saved; a question the newer template added takes its default.
        use_defaults=defaults or update,
        flags=FLAGS,
    )
    if not interactive:
        return resolver.resolve()
    from dataclasses import replace

    from hardenify.scaffold.wizard import Cancelled, QuestionaryUI, interview

    ui = QuestionaryUI()
    if update:  # the saved answers stand; only what nothing settles is asked, no summary
        return replace(resolver, interactive=True, ask=ui.ask).resolve()
    try:
        return interview(resolver, ui)
    except Cancelled:
        click.echo("hardenify new: cancelled; nothing written.", err=True)
        sys.exit(EXIT_DIFFERS)


def _render(tset: TemplateSet, answers: Any, detection: Detection) -> Rendered:
    """Render once by tag, resolve the digests of the images the files really use, render again."""
    from hardenify.scaffold.render import render, resolve_digests

    facts = detection.for_stack(answers.stack)
    first = render(tset, answers, facts)
    if not answers.values.get("pin", True):
        return first
    used = [ref for ref in first.images.values() if any(ref in text for text in first.files.values())]
    digests, misses = resolve_digests(used)
    if not digests:
        return render(tset, answers, facts, unpinned=misses)
    return render(tset, answers, facts, digests=digests, unpinned=misses)


# ------------------------------------------------------------------------------------ planning


@dataclass
class Change:
    path: str
    new: str
    old: str | None
    action: str  # create, overwrite, unchanged, merged, kept, conflict, skipped
    conflicts: int = 0
    note: str = ""


@dataclass
class Plan:
    changes: list[Change]

    @property
    def differs(self) -> list[Change]:
        return [c for c in self.changes if c.action == "overwrite"]

    @property
    def conflicts(self) -> int:
        return sum(c.conflicts for c in self.changes)


def _read(path: Path) -> str | None:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            return f.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeError) as exc:
        raise NewError(f"cannot read {path}: {exc}") from None


def _plan(root: Path, rendered: Rendered, saved: AnswersFile | None, *, update: bool, force: bool) -> Plan:
    from hardenify.scaffold.merge import has_conflict_markers, merge3

    changes: list[Change] = []
    for path, new in rendered.files.items():
        old = _read(root / path)
        if old is None:
            if update and saved is not None and path in saved.rendered:
                changes.append(Change(path, new, None, "skipped", note="you deleted it; not recreated"))
            else:
                changes.append(Change(path, new, None, "create"))
        elif old == new:
            changes.append(Change(path, new, old, "unchanged"))
        elif update and not force:
            if has_conflict_markers(old):
                raise NewError(
                    f"{path} still has conflict markers from an earlier --update: resolve them first"
                )
            base = saved.rendered.get(path, "") if saved is not None else ""
            result = merge3(
                base, old, new, base_label=f"generated (template {saved.template_version if saved else '?'})"
            )
            action = "conflict" if result.conflicts else ("unchanged" if result.text == old else "merged")
            changes.append(Change(path, result.text, old, action, result.conflicts))
        else:
            changes.append(Change(path, new, old, "overwrite"))
    return Plan(changes)


def _diff(path: str, old: str, new: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    )


def _show_plan(plan: Plan, *, diffs: bool, only_differs: bool = False) -> None:
    verbs = {
        "create": "create",
        "overwrite": "overwrite",
        "unchanged": "unchanged",
        "merged": "merge your edits",
        "conflict": "CONFLICT",
        "kept": "keep (not overwritten)",
        "skipped": "skip",
    }
    for c in plan.changes:
        if only_differs and c.action != "overwrite":
            continue
        extra = f" ({c.note})" if c.note else (f" ({c.conflicts} conflict(s))" if c.conflicts else "")
        click.echo(f"  {verbs[c.action]:<16} {c.path}{extra}")
        if diffs and c.old is not None and c.new != c.old:
            click.echo(_diff(c.path, c.old, c.new))


def _atomic_write(path: Path, text: str) -> None:
    """Write one generated file through `hardenify.writeback` (atomic, keeps an existing file's mode
    and owner), creating its directory first."""
    from hardenify.writeback import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text)


def _write(
    root: Path, plan: Plan, tset: TemplateSet, answers: Any, rendered: Rendered, tdir: Path | None
) -> None:
    from hardenify import __version__
    from hardenify.scaffold.answers import FILENAME, AnswersFile, dump

    try:
        for c in plan.changes:
            if c.action in ("create", "overwrite", "merged", "conflict"):
                _atomic_write(root / c.path, c.new)
        template_dir = None
        if tdir is not None:
            resolved = tdir.resolve()
            try:
                template_dir = os.path.relpath(resolved, root.resolve())
            except ValueError:
                template_dir = str(resolved)
        data = AnswersFile(__version__, tset.version, answers.public(), dict(rendered.files), template_dir)
        _atomic_write(root / FILENAME, dump(data, answers.secrets))
    except OSError as exc:
        raise NewError(f"cannot write into {root}: {exc}") from None


# ------------------------------------------------------------------------------------ printing


def _print_detection(detection: Detection) -> None:
    import json

    click.echo(
        json.dumps(
            {
                "stack": detection.stack,
                "evidence": detection.evidence,
                "notes": detection.notes,
                "facts": detection.facts,
            },
            indent=2,
            default=str,
        )
    )


def _print_detection_summary(detection: Detection) -> None:
    if detection.stack is None:
        click.echo("hardenify new: no known project files here; answer the questions to start from scratch.")
        return
    for line in detection.evidence:
        click.echo(f"detected: {line}")
    for note in detection.notes[:5]:
        click.echo(f"note: {note}")


def _print_questions(
    tset: TemplateSet,
    detection: Detection,
    explicit: Mapping[str, Any],
    saved: AnswersFile | None,
    *,
    verbose: bool,
) -> None:
    """The questions for this project, choices and defaults rendered as `new` would see them."""
    from hardenify.scaffold.questions import AnswerError, Resolver, evaluate, truthy

    resolver = Resolver(
        tset,
        detection,
        explicit=explicit,
        saved=saved.answers if saved is not None else {},
        use_defaults=True,
        flags=FLAGS,
    )
    try:
        answers = resolver.resolve()
    except AnswerError:
        # No stack yet (an empty directory): list the common questions with what can be rendered.
        answers = None
    values = answers.values if answers is not None else {}
    sources = answers.sources if answers is not None else {}
    stack = values.get("stack")
    if verbose:
        where = f"the {stack} stack" if stack else "no detected stack (pass --stack for its own questions)"
        click.echo(f"Questions of `hardenify new` for {where}.")
        click.echo("The wizard asks those marked 'asked unless settled' when no flag, saved answer or")
        click.echo("detection settles them; all are on its summary screen and under 'Advanced'.")
        click.echo("Without a TTY, answer with the flag, --data NAME=VALUE or --data-file FILE.\n")
    from hardenify.scaffold.wizard import show

    for q in tset.questions_for(stack):
        flag = FLAGS.get(q.name)
        how = f"{flag}, --data {q.name}=…" if flag else f"--data {q.name}=…"
        ctx = resolver.context(answers) if answers is not None else None
        choices = _rendered_choices(resolver, q, ctx)
        applies = True
        if ctx is not None and q.when is not None:
            try:
                applies = truthy(evaluate(q.when, ctx))
            except AnswerError:
                applies = True
        if not verbose:
            extra = f" choices: {', '.join(choices)}" if choices else ""
            click.echo(f"{q.name:<20} {q.type:<7} {how}  {q.help}{extra}")
            continue
        kind = "asked unless settled" if (q.required or q.secret) else "advanced"
        click.echo(f"{q.name} ({q.type}, {kind}): {q.help}")
        click.echo(f"    answer with: {how}")
        if choices:
            click.echo(f"    choices: {', '.join(choices)}")
        if not applies:
            click.echo("    (does not apply to this project's answers)")
        elif q.name in values:
            shown = show(values[q.name], q.secret)
            click.echo(f"    here: {shown} ({sources.get(q.name, 'default')})")


def _rendered_choices(resolver: Any, q: Any, ctx: Mapping[str, Any] | None) -> list[str]:
    """A choice question's choices as text, or [] when they depend on answers not known yet."""
    from hardenify.scaffold.questions import AnswerError

    if q.type != "choice":
        return []
    if isinstance(q.choices, list):
        return [str(c) for c in q.choices]
    if ctx is None:
        ctx = {"stacks": sorted(resolver.templates.stacks), "detected": {}, "stack_info": {}, "base_info": {}}
    try:
        choices = resolver.choices(q, ctx)
    except AnswerError:
        return ["(depends on the stack)"]
    return [str(c) for c in choices or []]


def _next_steps(rendered: Rendered, values: Mapping[str, Any]) -> None:
    name = values.get("name", "app")
    if rendered.unpinned:
        click.echo(
            f"note: {len(rendered.unpinned)} image(s) not pinned to a digest; run `hardenify pin` when the registry is reachable."
        )
    click.echo(f"next: docker build -t {name}:local .   |   docker compose up --build")
