"""What a rule sees: the parsed file, its neighbours, options, and a way to report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hardenify.diagnostics import Applicability, Diagnostic, Edit, Fix, Position, Redactor

if TYPE_CHECKING:
    from hardenify.dockerfile.model import Dockerfile, Instruction, Node
    from hardenify.dockerignore import DockerIgnore
    from hardenify.rules import Rule


@dataclass
class CheckContext:
    """Per-file input to every rule's `check(ctx)`.

    `dockerfile` is set for Dockerfiles, `dockerignore` is the file itself for .dockerignore
    files and the build context's .dockerignore (or None) for Dockerfiles.
    """

    filename: str
    text: str
    kind: str  # "dockerfile" | "dockerignore" | "compose"
    dockerfile: Dockerfile | None = None
    dockerignore: DockerIgnore | None = None
    # Does the build context (the Dockerfile's directory) have a .dockerignore file at all?
    has_dockerignore: bool = False
    # compose files: the parsed model (hardenify.compose.ComposeFile), kept Any so that this
    # module never needs ruamel or the compose package to import.
    compose: Any = None
    options: Mapping[str, Any] = field(default_factory=dict)
    redactor: Redactor = field(default_factory=Redactor)
    # Where the file is on disk, for rules that read its build context ("" = same as
    # `filename`; "-" for stdin). `filename` is only the name shown in output: relative to a
    # repository's root under `bulk`, so it cannot locate the context.
    path: str = ""
    _line_starts: list[int] | None = field(default=None, repr=False)

    @property
    def disk_path(self) -> str:
        """The file's path on disk (see `path`)."""
        return self.path or self.filename

    @property
    def df(self) -> Dockerfile:
        """The parsed Dockerfile; only valid for Dockerfile rules."""
        assert self.dockerfile is not None, "Dockerfile rule run on a non-Dockerfile"
        return self.dockerfile

    def secret(self, value: str) -> None:
        """Record a secret value so every output redacts it."""
        self.redactor.add(value)

    def position(self, offset: int) -> Position:
        if self.dockerfile is not None:
            r, c = self.dockerfile.position(offset)
            return Position(r, max(c, 1))
        if self._line_starts is None:
            starts = [0]
            for i, ch in enumerate(self.text):
                if ch == "\n":
                    starts.append(i + 1)
            self._line_starts = starts
        import bisect

        i = max(bisect.bisect_right(self._line_starts, offset) - 1, 0)
        return Position(i + 1, offset - self._line_starts[i] + 1)

    def diagnostic(
        self,
        rule: Rule,
        start: int,
        end: int,
        message: str,
        *,
        fix: Fix | None = None,
        note: str | None = None,
    ) -> Diagnostic:
        """Build a finding over text[start:end]."""
        return Diagnostic(
            code=rule.code,
            name=rule.name,
            message=message,
            severity=rule.severity,
            start=start,
            end=end,
            location=self.position(start),
            end_location=self.position(end),
            fix=fix,
            filename=self.filename,
            url=rule.url,
            note=note,
        )

    def at(
        self,
        rule: Rule,
        node: Node | Instruction,
        message: str,
        *,
        fix: Fix | None = None,
        note: str | None = None,
    ) -> Diagnostic:
        """A finding over a node's first line (instructions: keyword to end of content)."""
        from hardenify.dockerfile.model import Instruction

        start = node.start + (len(node.indent) if isinstance(node, Instruction) else 0)
        end = node.content_end if isinstance(node, Instruction) else node.end
        return self.diagnostic(rule, start, end, message, fix=fix, note=note)


def safe_fix(message: str, *edits: Edit) -> Fix:
    return Fix(tuple(edits), Applicability.SAFE, message)


def unsafe_fix(message: str, *edits: Edit) -> Fix:
    return Fix(tuple(edits), Applicability.UNSAFE, message)
