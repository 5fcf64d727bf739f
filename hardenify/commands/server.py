"""`hardenify server`: the language server (stdio, or TCP for debugging)."""

from __future__ import annotations

import sys

import click

from hardenify.commands._common import EXIT_ERROR


def _address(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, int] | None:
    """`HOST:PORT` (`[::1]:2087` for IPv6) → (host, port)."""
    if value is None:
        return None
    host, sep, port = value.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(f"{value!r} is not HOST:PORT (e.g. 127.0.0.1:2087)")
    return host, int(port)


@click.command("server", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--stdio", is_flag=True, help="Talk LSP over stdin/stdout (the default).")
@click.option(
    "--tcp",
    metavar="HOST:PORT",
    callback=_address,
    help="Listen on a TCP address instead of stdio (for debugging a client).",
)
def command(stdio: bool, tcp: tuple[str, int] | None) -> None:
    """Run the hardenify language server for editors.

    Diagnostics, quick fixes, fix-all, suppression pragmas and rule docs on hover for
    Dockerfiles, compose files and .dockerignore, with the same rules, config and redaction
    as `hardenify check`. Editors start it as `hardenify server` and talk over stdio.
    Needs the `lsp` extra: pip install 'hardenify[lsp]'.
    """
    if stdio and tcp is not None:
        raise click.UsageError("--stdio and --tcp cannot be combined")
    try:
        from hardenify.lsp.server import serve
    except ImportError as e:
        click.echo(
            f"hardenify: error: the language server needs pygls ({e}); install hardenify[lsp]", err=True
        )
        sys.exit(EXIT_ERROR)
    import logging

    # stdout is the protocol channel: logs go to stderr, where editors show them.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="hardenify server: %(message)s")
    serve(tcp)
