"""Files a Dockerfile fix creates beside it: today, a missing `.dockerignore`.

The engine fixes one text at a time; creating a sibling file is the fix command's job, so
the decision lives here as a pure function the command calls after the per-file work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hardenify.dockerfile.model import Dockerfile, parse, split_words

if TYPE_CHECKING:
    from hardenify.outcome import FileOutcome
    from hardenify.runner import Task

# base image name → stack, for the per-stack .dockerignore template
_STACK_HINTS = (
    ("python", "python"),
    ("node", "node"),
    ("golang", "go"),
    ("rust", "rust"),
    ("ruby", "ruby"),
    ("php", "php"),
    ("openjdk", "java"),
    ("temurin", "java"),
    ("maven", "java"),
    ("gradle", "java"),
    ("dotnet", "dotnet"),
    ("nginx", "static"),
    ("httpd", "static"),
)


@dataclass(frozen=True)
class NewFile:
    path: Path
    content: str
    reason: str


def guess_stack(df: Dockerfile) -> str:
    for st in df.stages:
        image = st.resolved_image.lower().rsplit("/", 1)[-1]
        for hint, stack in _STACK_HINTS:
            if hint in image:
                return stack
    return "generic"


def copies_whole_context(df: Dockerfile) -> bool:
    for ins in df.instructions:
        if ins.cmd not in ("COPY", "ADD") or ins.flag("from") is not None:
            continue
        srcs = (ins.json or split_words(ins.args))[:-1]
        if any(s in (".", "./", "*", "./*") for s in srcs):
            return True
    return False


def missing_dockerignore(dockerfile_path: Path, text: str) -> NewFile | None:
    """A `.dockerignore` to create when the build context has none and `COPY . ...` copies it all.

    Not created when the Dockerfile itself COPYs a path the new file would exclude (a
    `COPY .npmrc` build would break): the finding stays for a human instead.
    """
    ctx_dir = dockerfile_path.parent
    if (ctx_dir / ".dockerignore").exists() or dockerfile_path.with_name(
        dockerfile_path.name + ".dockerignore"
    ).exists():
        return None
    df = parse(text)
    if df.is_windows or not copies_whole_context(df):
        return None
    from hardenify.dockerignore import DockerIgnore
    from hardenify.knowledge.dockerignore import default_dockerignore

    stack = guess_stack(df)
    content = default_dockerignore(stack)
    if df.newline == "\r\n":
        content = content.replace("\n", "\r\n")
    di = DockerIgnore.parse(content)
    for ins in df.instructions:
        if ins.cmd not in ("COPY", "ADD") or ins.flag("from") is not None:
            continue
        for src in (ins.json or split_words(ins.args))[:-1]:
            if (
                src not in (".", "./")
                and not src.startswith(("http://", "https://", "$"))
                and di.excludes(src)
            ):
                return None
    return NewFile(
        ctx_dir / ".dockerignore", content, f"no .dockerignore; created one for a {stack} build context"
    )


def rewire_compose(outcomes: Sequence[FileOutcome], tasks: Sequence[Task]) -> None:
    """Fix again, in place, the compose files of this run that build a Dockerfile the run
    rewrote, reading that Dockerfile as fixed: one run then reaches the fixed point (HF616 wires
    a new build secret now, not on the next run)."""
    fixed = {
        Path(t.path).resolve(): o.fixed_text
        for o, t in zip(outcomes, tasks, strict=True)
        if t.kind == "dockerfile" and t.path != "-" and o.changed and o.fixed_text is not None
    }
    if not fixed:
        return
    from dataclasses import replace

    from hardenify.compose import overlay
    from hardenify.runner import process

    for o, t in zip(outcomes, tasks, strict=True):
        if t.kind != "compose" or t.path == "-" or t.mode != "fix" or o.error or o.original is None:
            continue
        base = Path(t.path).resolve().parent
        if not any(base in p.parents for p in fixed):
            continue
        with overlay(fixed):
            again = process(replace(t, stdin_text=o.original))
        if again.error is None and again.fixed_text != o.fixed_text:
            for name in (
                "status",
                "diagnostics",
                "redactor",
                "fixed_text",
                "fixed",
                "refused",
                "unsafe_available",
                "applied",
                "introduced",
            ):
                setattr(o, name, getattr(again, name))
