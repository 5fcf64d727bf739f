"""The `hardenify` console script and `python -m hardenify`.

Separate from `hardenify.cli` so that the process-wide start-up setting below is made by the
program only, never by a library that imports the CLI module.
"""

from __future__ import annotations

import gc
from typing import Any


def main(argv: list[str] | None = None) -> Any:
    # Start-up allocates tens of thousands of long-lived objects (click, the rule modules,
    # their regexes and dataclasses) and the cyclic GC walks them again and again: about 8%
    # of a one-file `check`. It is off while starting; `runner.run_all` freezes the start-up
    # heap and turns it back on before the per-file work, so long runs still collect.
    gc.disable()
    from hardenify.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":  # pragma: no cover
    main()
