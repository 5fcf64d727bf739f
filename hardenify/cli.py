"""The `hardenify` command line.

Thin on purpose: each command lives in `hardenify/commands/<name>.py` and is imported only
when it runs, so `hardenify check` never pays for jinja2, libcst, questionary or ruamel.
Exit codes follow ruff: 0 clean, 1 findings (or changes with --diff), 2 usage or I/O error.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from hardenify import __version__

# name → (module, short help). Help is here so `hardenify --help` imports no command.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("hardenify.commands.check", "Report security and hygiene findings in Dockerfiles."),
    "fix": ("hardenify.commands.fix", "Rewrite Dockerfiles (and .dockerignore) to fix findings."),
    "pin": ("hardenify.commands.pin", "Pin base images to digests through the registry API."),
    "new": ("hardenify.commands.new", "Scaffold a hardened Dockerfile, .dockerignore and compose.yaml."),
    "rule": ("hardenify.commands.rules", "Show the documentation of one rule."),
    "rules": ("hardenify.commands.rules", "List every rule with its code, severity and fix."),
    "bulk": ("hardenify.commands.bulk", "Fix many git repositories: branch, fix, commit, PR body."),
    "report": ("hardenify.commands.report", "Write an HTML/Markdown/JSON fleet report."),
    "server": ("hardenify.commands.server", "Run the language server for editors (needs hardenify[lsp])."),
}


class LazyGroup(click.Group):
    """A click group that imports a command module only when that command is invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, (mod, _) in COMMANDS.items() if _module_exists(mod)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None or not _module_exists(entry[0]):
            return None
        mod = importlib.import_module(entry[0])
        cmd = getattr(mod, cmd_name.replace("-", "_") + "_command", None) or mod.command
        assert isinstance(cmd, click.Command)
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _module_exists(mod: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(mod) is not None
    except ModuleNotFoundError:
        return False


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=(
        "Examples:\n\n"
        "\b\n"
        "  hardenify check .                      # report findings in every Dockerfile below .\n"
        "  hardenify fix --diff .                 # show what the safe fixes would change\n"
        "  hardenify fix --unsafe-fixes Dockerfile\n"
        "  hardenify pin --check .                # CI gate: every base image pinned by digest\n"
        "  hardenify new --defaults               # scaffold a hardened Dockerfile here\n"
        "  hardenify bulk --repos-dir ~/clones    # branch, fix and commit across many repos\n"
        "  hardenify rule HF101                   # explain a rule\n\n"
        "Exit codes: 0 no findings, 1 findings (or changes with --diff), 2 usage or I/O error."
    ),
)
@click.version_option(__version__, "-V", "--version", prog_name="hardenify")
def app() -> None:
    """Make container builds secure by default.

    hardenify lints Dockerfiles and compose files, fixes them without losing a byte you did
    not mean to change, pins base images to digests and scaffolds hardened new services.
    """


def main(argv: list[str] | None = None) -> Any:
    try:
        return app.main(args=argv, prog_name="hardenify", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("hardenify: interrupted", err=True)
        sys.exit(130)
    except Exception as e:  # a bug: say so in one line; the traceback only on request
        if os.environ.get("HARDENIFY_DEBUG"):
            raise
        click.echo(
            f"hardenify: internal error: {type(e).__name__}: {e}\n"
            "This is a bug in hardenify; please report it (set HARDENIFY_DEBUG=1 for the traceback).",
            err=True,
        )
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
