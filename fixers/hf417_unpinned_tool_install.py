"""HF417: a tool is installed from a language registry without a version."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.rules import References, Rule

from . import _pkg

RULE = Rule(
    code="HF417",
    name="unpinned-tool-install",
    severity=Severity.WARNING,
    summary="A tool is installed from a language registry without a version (`go install …@latest`, `npm i -g x`).",
    what="Reports tool installs whose version is whatever is newest at build time: `go install "
    "<module>@latest` (or `@master`/`@main`/`@HEAD`; without `@` the module's go.mod decides), `cargo install <crate>` without "
    "`--version`/`<crate>@<version>` (and `--git` without `--rev`/`--tag`), `npm install -g`, "
    "`yarn global add` and `pnpm add -g` of a package without `@<version>` (or with a dist-tag "
    "such as `@latest`), `pipx install` without `==<version>`, `pip install` of a known "
    "command-line tool (poetry, pipenv, uv, awscli, ansible, pre-commit...; "
    "`hardenify/knowledge/tools.py`) without a version, and `gem install` without `-v` or "
    "`<gem>:<version>`. Project installs (`npm ci`, `pip install -r requirements.txt`, `npm "
    "install` without names) and local paths pass; a pip install with a constraints file (`-c`) "
    "passes. Package versions of apt, apk, pip and npm project dependencies are HF418's (off by "
    "default).",
    why="An unpinned tool makes the build depend on the day it runs: a new major release changes "
    "behaviour or breaks the build, and a compromised release (the `ua-parser-js`, `event-stream` "
    "and `ctx` incidents) goes straight into every image built after it. A pinned version is "
    "reviewed once and changes only through a commit.",
    example="FROM golang:1.23 AS tools\nRUN go install golang.org/x/tools/gopls@latest\n"
    "FROM node:22-slim\nRUN npm install -g pnpm",
    fix="No automatic fix: the version to pin is a choice. The message says how to pin for each "
    "registry (`@v1.2.3`, `--version 1.2.3 --locked`, `pnpm@9.1.0`, `poetry==1.8.3`, `-v 2.5.0`).",
    references=References(hadolint=("DL3016", "DL3028")),
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    from hardenify.knowledge.tools import HOW_TO_PIN, PIP_TOOLS

    from ._installs import installs

    for _outer, _run, cmds in _pkg.shell_runs(ctx.df):
        for cmd in cmds:
            found = installs(cmd)
            if found is None or found.manager in ("apt", "apk") or found.version_option:
                continue
            if found.manager in ("npm", "pnpm") and not found.global_:
                continue
            specs = [s for s in found.specs if not s.pinned]
            if found.manager == "pip":
                if _pkg.option_values(cmd.values, "-c", "--constraint"):
                    continue
                specs = [s for s in specs if s.name.lower() in PIP_TOOLS]
            if not specs:
                continue
            names = ", ".join(f"`{s.name}`" if s.manager == "cargo" else f"`{s.word.value}`" for s in specs)
            start, end = cmd.span()
            yield ctx.diagnostic(
                RULE,
                start,
                end,
                f"{names} installed with {found.manager} without a fixed version: the build gets whatever "
                f"is newest that day; pin it ({HOW_TO_PIN.get(found.manager, 'a version')})",
            )
