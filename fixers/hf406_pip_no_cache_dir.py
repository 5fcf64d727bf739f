"""HF406: `pip install` without `--no-cache-dir`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hardenify.context import CheckContext, safe_fix
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.dockerfile import runedits
from hardenify.dockerfile.model import Instruction
from hardenify.rules import References, Rule, lazy_regex

from . import _pkg

RULE = Rule(
    code="HF406",
    name="pip-no-cache-dir",
    severity=Severity.WARNING,
    summary="`pip install` runs without `--no-cache-dir`.",
    what="Checks `pip install`, `pip3 install`, `pip3.12 install` and `python -m pip install` in "
    "shell-form RUNs and `RUN <<EOF` scripts for `--no-cache-dir`. It passes when `PIP_NO_CACHE_DIR` "
    "is set (any value: pip disables the cache for all of them) by ENV/ARG in the stage or a stage it "
    "is built FROM, or anywhere in the RUN; when an earlier RUN runs `pip config set "
    "global.no-cache-dir ...`; or when a `--mount=type=cache`/`type=tmpfs` targets a pip cache "
    "(a path containing `pip`, or a `.cache` directory). `pip install --upgrade pip` is checked too. "
    "`pipx`, `pipenv` and `uv pip` are not pip. Windows images are skipped.",
    why="pip keeps every downloaded wheel and HTTP response under ~/.cache/pip. In an image that "
    "cache is dead weight — often larger than the installed packages — and it ships in the layer.",
    example="FROM python:3.12-slim\nRUN pip install -r requirements.txt",
    fix="Insert ` --no-cache-dir` right after `install`: `pip install --no-cache-dir -r requirements.txt`.",
    fix_availability=FixAvailability.SAFE,
    fix_safety="Safe: the same packages are installed; pip just does not write its cache.",
    references=References(hadolint=("DL3042",)),
)

_PIP = re.compile(r"^pip\d*(?:\.\d+)?$")
_PYTHON = re.compile(r"^python\d*(?:\.\d+)?$")
_PIP_CONFIG = lazy_regex(r"\bconfig\s+(?:--\S+\s+)*set\s+\S*no-cache-dir")


def pip_install_index(cmd: _pkg.Cmd) -> int | None:
    """Index into cmd.words of `install` in a pip command, or None."""
    start: int | None = None
    if _PIP.match(cmd.prog):
        start = 1
    elif _PYTHON.match(cmd.prog):
        vals = cmd.values
        k = 0
        while k < len(vals):
            v = vals[k]
            if v == "-m":
                if k + 1 < len(vals) and vals[k + 1] == "pip":
                    start = k + 3
                break
            if v == "-mpip":
                start = k + 2
                break
            if not v.startswith("-") or v == "-c":
                return None  # a script (`python setup.py install`) or `-c code`
            k += 2 if v in ("-W", "-X") else 1
    if start is None:
        return None
    i = _pkg.subcommand(cmd, _pkg.PIP_VALUE_OPTS, start=start)
    return i if i is not None and cmd.words[i].value == "install" else None


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    for outer, run, cmds in _pkg.shell_runs(df):
        if _pkg.cache_mounted(run, needle="pip") or _cache_dir_mounted(run):
            continue
        if "PIP_NO_CACHE_DIR" in _pkg.run_text(run):
            continue
        env_checked = False
        for cmd in cmds:
            i = pip_install_index(cmd)
            if i is None or _pkg.has_long(cmd.values, "--no-cache-dir", "--no-cache"):
                continue
            if not env_checked:
                env_checked = True
                if "PIP_NO_CACHE_DIR" in _pkg.env_before(df, outer) or _PIP_CONFIG().search(
                    _pkg.earlier_run_text(df, outer)
                ):
                    break
            start, end = cmd.span(i)
            label = f"{cmd.prog} install" if _PIP.match(cmd.prog) else f"{cmd.prog} -m pip install"
            edit = runedits.insert_after_word(cmd, i, " --no-cache-dir")
            fix = safe_fix("Add `--no-cache-dir`", edit) if edit is not None else None
            yield ctx.diagnostic(
                RULE,
                start,
                end,
                f"`{label}` without `--no-cache-dir` keeps pip's download cache in the layer",
                fix=fix,
            )


def _cache_dir_mounted(run: Instruction) -> bool:
    for f in run.flags:
        if f.name != "mount":
            continue
        opts = f.options()
        target = (opts.get("target") or opts.get("dst") or opts.get("destination") or "").rstrip("/")
        if opts.get("type") in ("cache", "tmpfs") and target.endswith("/.cache"):
            return True
    return False
