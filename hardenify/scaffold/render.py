"""Render the templates for a set of answers, pin the images, and lint the result.

Rendering is pure (answers and digests in, file texts out), so the same answers always give
the same files: snapshot tests and `--update`'s 3-way merge both rely on it. The only I/O is
`resolve_digests`, which asks the registry (through hardenify's resolver and its cache) for
the digest of every image the files will name, before rendering, so the templates can write
`image:tag@sha256:…` directly.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hardenify import __version__
from hardenify.scaffold import extras, sandbox
from hardenify.scaffold.questions import Answers, base_info
from hardenify.scaffold.templateset import COMMON_OUTPUTS, TemplateError, TemplateSet
from hardenify.scaffold.validators import split_names

#: Health-probe sources, by the `health` kind of a base: (path in the project, template).
PROBES: dict[str, tuple[str, str]] = {
    "probe-go": (".hardenify/healthcheck.go", "_probes/healthcheck.go.j2"),
    "probe-rust": (".hardenify/healthcheck.rs", "_probes/healthcheck.rs.j2"),
    "probe-java": (".hardenify/HealthCheck.java", "_probes/HealthCheck.java.j2"),
}
NO_PIN_REASON = "pinning was turned off with --no-pin"


class RenderError(Exception):
    """A template failed to render (a bug in the template set, or an undefined variable)."""


@dataclass
class Rendered:
    """The files of one render, in output order, and the image facts behind them."""

    files: dict[str, str]
    images: dict[str, str]
    digests: dict[str, str] = field(default_factory=dict)
    unpinned: dict[str, str] = field(default_factory=dict)  # image → why it has no digest
    warnings: list[str] = field(default_factory=list)  # fallbacks the template took (stack.yaml)


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def shell_words(command: Any) -> str:
    """A detected command (a package.json script, say) as shell words that run it and nothing else.

    Each word is quoted, so `;`, `&&` or `$(…)` in a hostile project's file stay literal
    arguments; a command that does not split, or has a line break, renders as `false`.
    """
    text = str(command or "")
    try:
        words = shlex.split(text)
    except ValueError:
        return "false"
    if not words or any(c in text for c in "\r\n\x00"):
        return "false"
    return " ".join(shlex.quote(w) for w in words)


def secret_id(name: str) -> str:
    """`API_TOKEN` → `api_token`: the id of a BuildKit/compose secret for an env var."""
    return name.lower()


_ENVIRONMENTS: dict[tuple[Path, ...], Any] = {}


def environment(tset: TemplateSet) -> Any:
    """The (sandboxed) Jinja2 environment of a template set: StrictUndefined, org directory first.

    One per template search path and process, so each template is compiled once even when
    a run renders twice (by tag, then pinned).
    """
    env = _ENVIRONMENTS.get(tset.dirs)
    if env is None:
        env = _ENVIRONMENTS[tset.dirs] = _new_environment(tset)
    return env


def _new_environment(tset: TemplateSet) -> Any:
    from jinja2 import FileSystemLoader, StrictUndefined

    env = sandbox.environment(
        loader=FileSystemLoader([str(d) for d in tset.dirs]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["json"] = _json
    env.filters["secret_id"] = secret_id
    env.filters["shell_words"] = shell_words
    env.filters["names"] = split_names
    env.globals["fail"] = _fail
    return env


def _fail(message: str) -> str:
    """`{{ fail("...") }}` in a template: the answers make no sense for this template."""
    raise RenderError(message)


def _services(tset: TemplateSet) -> dict[str, Any]:
    from hardenify.scaffold.templateset import _load_yaml

    for d in tset.dirs:
        path = d / "_common" / "services.yaml"
        if path.is_file():
            data = _load_yaml(path)
            if not isinstance(data, dict):
                raise TemplateError(f"{path}: must be a mapping")
            return data
    return {}


def base_context(tset: TemplateSet, answers: Answers, facts: Mapping[str, Any]) -> dict[str, Any]:
    """Everything but digests: answers, detected facts, the stack's and base's info, image refs."""
    values = answers.values
    stack = tset.stacks[answers.stack]
    info = dict(stack.info)
    binfo = base_info(info, values.get("base"))
    version = binfo["version"] or values.get("version") or info.get("version")

    def fact(name: str, default: Any = None) -> Any:
        """An answer when a question asked it, else what detection found, else `default`: lets a
        template use a detected fact (`spa`, `cgo`, `notes`) whether or not a question exists."""
        if values.get(name) is not None:
            return values[name]
        return facts.get(name, default)

    ctx: dict[str, Any] = {
        **values,
        "fact": fact,
        "version": version,
        "detected": dict(facts),
        "stack_info": info,
        "hardenify_version": __version__,
        "template_version": tset.version,
        "env_list": split_names(values.get("env", "")),
        "secret_list": split_names(values.get("secrets", "")),
        "build_secret_list": split_names(values.get("build_secrets", "")),
    }
    env = environment(tset)
    where = f"{answers.stack}/stack.yaml"
    images: dict[str, str] = {}
    for role in ("build", "runtime"):
        if binfo.get(role):
            images[role] = _render_string(env, str(binfo[role]), ctx, f"{where} ({role})")
    for role, ref in (binfo.get("tools") or info.get("tools") or {}).items():
        rendered = _render_string(env, str(ref), ctx, f"{where} (tools.{role})").strip()
        if rendered:  # a tool whose reference renders empty is not needed for these answers
            images[str(role)] = rendered
    services = _services(tset)
    for svc in ("postgres", "redis"):
        if values.get(svc) and svc in services:
            images[svc] = str(services[svc]["image"])
    binfo = {**binfo, "build": images.get("build"), "runtime": images.get("runtime")}
    interpreter: Mapping[str, str] = binfo["interpreter"]
    argv = shlex.split(str(values.get("command") or ""))
    if argv and argv[0] in interpreter:
        argv[0] = interpreter[argv[0]]
    writable = ["/tmp", *split_names(str(facts.get("writable", "")).replace(",", " "))]
    writable += [w for w in binfo.get("writable", []) if w not in writable]
    health = str(values.get("health_path") or "")
    ctx.update(
        {
            # A TCP probe when the answer says `tcp`, or detection found no route the app answers
            # (`health_probe: tcp`) and the user kept its path: an HTTP probe there loops on 404s.
            "health_tcp": health == "tcp"
            or (fact("health_probe") == "tcp" and health == str(facts.get("health_path", health))),
            "base_info": binfo,
            "images": images,
            "argv": argv,
            "writable": writable,
            "services": services,
            "probe": PROBES.get(str(binfo["health"]), (None, None))[0],
        }
    )
    # A fallback the template takes for these answers (PHP's dev server on a base without Apache):
    # said like detection's warnings, in the output and README.Docker.md, with how to change it.
    said = [
        _render_string(env, str(w), ctx, f"{where} (warnings)").strip()
        for w in [*(info.get("warnings") or []), *(binfo.get("warnings") or [])]
    ]
    ctx["render_warnings"] = [w for w in said if w]
    extras.extend_context(ctx)  # --ci / --k8s: their images join `images`, so pinning covers them
    return ctx


def _render_string(env: Any, source: str, ctx: Mapping[str, Any], where: str) -> str:
    try:
        return str(env.from_string(source).render(**ctx))
    except RenderError:
        raise
    except Exception as exc:  # any failure of template code is the template's, said in one line
        raise RenderError(sandbox.describe(exc, where)) from None


def resolve_digests(refs: list[str], *, timeout: float = 5.0) -> tuple[dict[str, str], dict[str, str]]:
    """Ask the registry (through the digest cache) for each reference: (digests, reasons for misses)."""
    from hardenify.registry import RegistryConfig, Resolver

    digests: dict[str, str] = {}
    misses: dict[str, str] = {}
    unique = list(dict.fromkeys(refs))
    if not unique:
        return digests, misses
    with Resolver(RegistryConfig(timeout=timeout, max_retries=1)) as resolver:
        results = resolver.resolve_many(unique)
    for ref, res in results.items():
        if res.digest is not None:
            digests[ref] = res.digest
        else:
            kind = res.error.kind.value if res.error is not None else "unknown"
            misses[ref] = f"the registry did not answer with a digest ({kind})"
    return digests, misses


def render(
    tset: TemplateSet,
    answers: Answers,
    facts: Mapping[str, Any],
    *,
    digests: Mapping[str, str] | None = None,
    unpinned: Mapping[str, str] | None = None,
) -> Rendered:
    """Render every output of the chosen stack. Images missing from `digests` stay tags."""
    ctx = base_context(tset, answers, facts)
    images: dict[str, str] = ctx["images"]
    digests = dict(digests or {})
    reasons = {ref: (unpinned or {}).get(ref, NO_PIN_REASON) for ref in images.values() if ref not in digests}
    binfo = ctx["base_info"]

    def interp(name: str) -> str:
        return str(binfo["interpreter"].get(name, name))

    ctx.update({"digests": digests, "unpinned": reasons, "interp": interp})
    env = environment(tset)
    outputs: list[tuple[str, str]] = [
        (path, tset.template_name(answers.stack, t)) for path, t in COMMON_OUTPUTS
    ]
    if ctx["probe"] is not None:
        path, template = PROBES[str(binfo["health"])]
        outputs.append((path, template))
    for extra in ctx["stack_info"].get("outputs") or []:
        outputs.append((str(extra["path"]), f"{answers.stack}/{extra['template']}"))
    outputs.extend(extras.outputs(answers.values))
    files: dict[str, str] = {}
    for path, template in outputs:
        try:
            text = env.get_template(template).render(**ctx)
        except RenderError:
            raise
        except Exception as exc:  # any failure of template code is the template's, said in one line
            raise RenderError(sandbox.describe(exc, template)) from None
        files[path] = _tidy(
            text, dockerfile=path.rsplit("/", 1)[-1] == "Dockerfile", markdown=path.endswith(".md")
        )
    _guard_secrets(files, answers)
    pins = {r: d for r, d in digests.items() if r in images.values()}
    return Rendered(files, images, pins, reasons, list(ctx["render_warnings"]))


def _tidy(text: str, *, dockerfile: bool = False, markdown: bool = False) -> str:
    """No trailing spaces, at most one blank line in a row, one newline at the end.

    In a Dockerfile a blank line survives only before a comment: every section of the
    templates starts with one, so optional instructions can leave a blank line behind
    without breaking the layout. Markdown keeps two (PEP 8 spacing in Python snippets).
    """
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for i, line in enumerate(lines):
        if not line:
            if not out or (not out[-1] and (not markdown or len(out) < 2 or not out[-2])):
                continue
            if dockerfile and not (i + 1 < len(lines) and lines[i + 1].lstrip().startswith("#")):
                continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def _guard_secrets(files: Mapping[str, str], answers: Answers) -> None:
    """A template must never write a secret answer: refuse the whole render if one did."""
    for name in answers.secrets:
        value = answers.values.get(name)
        if not value or len(str(value)) < 4:
            continue
        for path, text in files.items():
            if str(value) in text:
                raise RenderError(f"the template wrote the secret answer {name!r} into {path}; refusing")


def lint_outputs(files: Mapping[str, str]) -> list[str]:
    """hardenify's own rules over the rendered files; every finding is a reason not to write."""
    from hardenify.engine import lint
    from hardenify.settings import Settings
    from hardenify.workflows import is_marked, is_workflow_path

    # HF204 (end of life) is judged against today's date, so the clock alone can turn a
    # template's pinned release into a finding; that must not make `new` refuse its output.
    # Keeping the templates' releases current is a maintenance task (see docs/rules/HF204.md).
    settings = Settings(ignore=("HF204",))
    problems: list[str] = []
    dockerignore = files.get(".dockerignore")
    for path, text in files.items():
        name = path.rsplit("/", 1)[-1]
        if name == "Dockerfile":
            result = lint(
                path,
                text,
                "dockerfile",
                settings,
                dockerignore_text=dockerignore,
                has_dockerignore=dockerignore is not None,
            )
        elif name == ".dockerignore":
            result = lint(path, text, "dockerignore", settings)
        elif name.startswith(("compose", "docker-compose")) and name.endswith((".yaml", ".yml")):
            result = lint(path, text, "compose", settings)
        elif is_workflow_path(path) and is_marked(text):
            result = lint(path, text, "workflow", settings)
        else:
            continue
        for d in result.diagnostics:
            problems.append(f"{path}:{d.location.row}:{d.location.column}: {d.code} {d.message}")
    return problems
