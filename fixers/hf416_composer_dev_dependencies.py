"""HF416: Composer dev dependencies or the xdebug extension in the shipped image."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hardenify.context import CheckContext, unsafe_fix
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.dockerfile import runedits
from hardenify.dockerfile.model import Dockerfile, Instruction
from hardenify.dockerfile.runs import Cmd, program_name
from hardenify.rules import References, Rule

from . import _pkg

RULE = Rule(
    code="HF416",
    name="composer-dev-dependencies",
    severity=Severity.WARNING,
    summary="`composer install` without `--no-dev`, or xdebug installed, in the shipped image.",
    what="In the stages whose layers ship (the final stage and the stages it is built FROM; the "
    "only stage of a single-stage file) reports `composer install`/`update` (also `composer.phar` "
    "and `php composer.phar ...`) without `--no-dev` when `COMPOSER_NO_DEV` is not set, and the "
    "xdebug extension being installed or enabled: `pecl install xdebug`, `docker-php-ext-enable "
    "xdebug`, `install-php-extensions xdebug`, or the `php-xdebug`/`php8.3-xdebug`/"
    "`php83-pecl-xdebug` packages through apt or apk. Builder stages only copied from pass, and "
    "so does an image with neither CMD nor ENTRYPOINT on a CLI base (a tool or test image, whose "
    "tests need the dev packages).",
    why="`require-dev` packages (test frameworks, debug bars, code generators) are not meant to run "
    "in production and some expose endpoints or execute code from requests (the "
    "`phpunit/phpunit` `eval-stdin.php` remote code execution, CVE-2017-9841, was exploited in "
    "images that shipped dev dependencies). xdebug lets whoever reaches its port step through and "
    "evaluate code in the application (`xdebug.start_with_request`), and slows every request.",
    example="FROM php:8.3-fpm\nCOPY . /var/www/html\nRUN composer install --optimize-autoloader\n"
    "RUN pecl install xdebug && docker-php-ext-enable xdebug",
    fix="Inserts ` --no-dev` after `install`/`update`. It declines when a later step of the shipped "
    "stages, its CMD or ENTRYPOINT runs a dev tool (phpunit, pest, phpstan, psalm, php-cs-fixer, "
    "phpcs, behat, codecept, infection). xdebug is reported without a fix: install it only in a "
    "development target (`FROM app AS dev`), or behind a build argument that defaults to off.",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="Unsafe: an application that loads a `require-dev` package at run time (a seeder, a "
    "debug bar enabled in production config) fails after the change; check `composer.json` before "
    "accepting it.",
    references=References(),
)

_COMPOSER = frozenset({"composer", "composer.phar"})
_SUBS = frozenset({"install", "i", "update", "u", "upgrade"})
_VALUE_OPTS = frozenset({"-d", "--working-dir"})
_DEV_TOOLS = frozenset(
    {
        "phpunit",
        "pest",
        "phpstan",
        "psalm",
        "php-cs-fixer",
        "phpcs",
        "behat",
        "codecept",
        "infection",
        "paratest",
    }
)
_XDEBUG_PKG = re.compile(r"^php[\d.]*-(?:pecl-)?xdebug(?:[=~].*)?$")
_NO_DEV_ENV = re.compile(r"\bCOMPOSER_NO_DEV=[\"']?(?:1|true)\b")


def _composer_sub(cmd: Cmd) -> int | None:
    """Index into cmd.words of composer's `install`/`update` word."""
    start = 1
    if cmd.prog in ("php", "php8", "php7") or re.fullmatch(r"php\d[\d.]*", cmd.prog):
        vals = cmd.values
        if not vals or program_name(vals[0]) not in _COMPOSER:
            return None
        start = 2
    elif cmd.prog not in _COMPOSER:
        return None
    i = _pkg.subcommand(cmd, _VALUE_OPTS, start=start)
    return i if i is not None and cmd.words[i].value in _SUBS else None


def _xdebug(cmd: Cmd) -> str | None:
    vals = cmd.values
    if cmd.prog == "pecl" and "install" in vals and any(v.lower().startswith("xdebug") for v in vals):
        return "pecl install xdebug"
    if cmd.prog in ("docker-php-ext-enable", "install-php-extensions") and any(
        v.lower().startswith("xdebug") for v in vals
    ):
        return f"{cmd.prog} xdebug"
    if cmd.prog in _pkg.APT or cmd.prog == "apk":
        for v in vals:
            if _XDEBUG_PKG.match(v.lower()) and _pkg.installs_package(
                cmd, re.split(r"[=~]", v, maxsplit=1)[0]
            ):
                return f"{cmd.prog} {'add' if cmd.prog == 'apk' else 'install'} {v}"
    return None


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    shipped = _pkg.shipping_stages(df)
    if not shipped or not _serves(df):
        return
    for outer, _run, cmds in _pkg.shell_runs(df):
        if outer.stage not in shipped:
            continue
        for k, cmd in enumerate(cmds):
            what = _xdebug(cmd)
            if what is not None:
                yield ctx.diagnostic(
                    RULE,
                    *_span(cmd),
                    f"`{what}` puts a debugger into the shipped image: install it only in a development target",
                )
                continue
            i = _composer_sub(cmd)
            if i is None or "--no-dev" in cmd.values or "--no-dev" in (w.value for w in cmd.prefix):
                continue
            if _no_dev_env(df, outer, cmd):
                continue
            msg = (
                f"`composer {cmd.words[i].value}` installs the `require-dev` packages into the shipped image"
            )
            tool = _dev_tool_later(df, outer, cmds[k + 1 :])
            if tool is not None:
                yield ctx.diagnostic(
                    RULE,
                    *_span(cmd),
                    f"{msg}; `--no-dev` is not added because a later step runs `{tool}`",
                    note="run the tests in a separate stage and install with `--no-dev` in the shipped one",
                )
                continue
            edit = runedits.insert_after_word(cmd, i, " --no-dev")
            fix = unsafe_fix("Add `--no-dev`", edit) if edit is not None else None
            yield ctx.diagnostic(RULE, *_span(cmd), f"{msg}: add `--no-dev`", fix=fix)


def _span(cmd: Cmd) -> tuple[int, int]:
    start, end = cmd.span()
    return start, end


def _serves(df: Dockerfile) -> bool:
    """Does the shipped image run something: a CMD/ENTRYPOINT in its chain, or a php-fpm/apache
    base? A CLI base with neither is a tool or test image (its tests need the dev packages)."""
    final = df.final_stage
    if final is None:
        return False
    if any(ins.cmd in ("CMD", "ENTRYPOINT") for ins in final.chain_instructions):
        return True
    return re.search(r"fpm|apache", final.chain[0].resolved_image, re.I) is not None


def _no_dev_env(df: Dockerfile, outer: Instruction, cmd: Cmd) -> bool:
    if any(_NO_DEV_ENV.search(w.raw) for w in cmd.prefix):
        return True
    value = _pkg.env_before(df, outer).get("COMPOSER_NO_DEV")
    return value is not None and value.strip("\"'").lower() in ("1", "true")


def _dev_tool_later(df: Dockerfile, outer: Instruction, rest: list[Cmd]) -> str | None:
    """A dev tool run later in this RUN, in later RUNs of the shipped chain, or by CMD/ENTRYPOINT."""
    later = list(rest)
    for o, r in _pkg.runs_after(df, outer):
        later += _pkg.commands(o, r)
    for c in later:
        names = [c.prog, *(program_name(v) for v in c.values[:2])]
        for n in names:
            if n in _DEV_TOOLS:
                return n
    stage = df.stage_of(outer)
    ids = {s.index for s in df.descendants(stage)} | {outer.stage} if stage is not None else {outer.stage}
    for ins in df.instructions:
        if ins.cmd in ("CMD", "ENTRYPOINT") and ins.stage in ids:
            for tool in _DEV_TOOLS:
                if re.search(rf"(?<![\w-]){re.escape(tool)}(?![\w-])", ins.args):
                    return tool
    return None
