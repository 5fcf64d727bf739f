"""`hardenify server` as a command: the lsp extra is optional, and costs nothing when unused."""

from __future__ import annotations

import subprocess
import sys

_NO_PYGLS = "import sys; sys.modules['pygls'] = None; from hardenify.cli import main; main({argv!r})"


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_without_pygls_the_server_exits_2_saying_what_to_install() -> None:
    r = _run(_NO_PYGLS.format(argv=["server"]))
    assert r.returncode == 2
    assert "install hardenify[lsp]" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_a_bad_tcp_address_is_a_usage_error() -> None:
    r = _run(_NO_PYGLS.format(argv=["server", "--tcp", "localhost"]))
    assert r.returncode == 2
    assert "HOST:PORT" in r.stderr


def test_version_and_help_do_not_import_the_language_server() -> None:
    r = _run(
        "import sys\n"
        "from hardenify.cli import main\n"
        "for argv in (['--version'], ['--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol', 'cattrs') or m.startswith('hardenify.lsp')))"
    )
    assert r.returncode == 0, r.stderr
    assert "server" in r.stdout  # listed in --help
    assert r.stdout.strip().splitlines()[-1] == "[]"
