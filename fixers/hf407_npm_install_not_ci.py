"""HF407: `npm install` instead of `npm ci`, and devDependencies in the shipped image."""

from __future__ import annotations

import re
from collections.abc import Iterator
from fnmatch import fnmatch

from hardenify.context import CheckContext, unsafe_fix
from hardenify.diagnostics import Diagnostic, Edit, FixAvailability, Severity
from hardenify.dockerfile.model import Dockerfile, Instruction, split_words
from hardenify.fixers import _pkg
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF407",
    name="npm-install-not-ci",
    severity=Severity.WARNING,
    summary="`npm install` where `npm ci` belongs, or devDependencies installed into the shipped image.",
    what="Two checks on npm in shell-form RUNs and `RUN <<EOF` scripts (Windows images are skipped):\n\n"
    "1. `npm install` (or `npm i`, `npm add`...) with no package names and not global (`-g`) — "
    "installing the project's dependencies — is reported: use `npm ci`. `--no-package-lock` and "
    "`--package-lock-only` (a deliberate choice) pass.\n"
    "2. `npm ci` / project-wide `npm install` in the final stage of a multi-stage build, or in a "
    "single-stage image that runs no build script afterwards, without `--omit=dev`, `--production` or "
    "`--only=prod`, is reported. `NODE_ENV=production` (ENV/ARG in the stage lineage, or in the RUN), "
    "`npm_config_production`/`npm_config_omit=dev`, and a later `npm prune --omit=dev|--production` "
    "pass. A single-stage image that runs `npm run ...`, `npx`, `yarn`... afterwards needs its "
    "devDependencies to build and is not reported. `ONBUILD RUN` gets only the first check (the "
    "downstream build decides what ships).",
    why="`npm install` resolves version ranges at build time and may rewrite the lockfile, so two builds "
    "of one commit can ship different code — a supply-chain risk; `npm ci` installs exactly what "
    "package-lock.json pins and fails if it is out of date. devDependencies (test runners, bundlers, "
    "type checkers) are not needed at runtime: shipped, they add size and CVEs (CIS Docker Benchmark "
    "4.3).",
    example='FROM node:22-slim\nWORKDIR /app\nCOPY package*.json ./\nRUN npm install\nCOPY . .\nCMD ["node", "server.js"]',
    fix="1. Replace `install` with `ci` — not offered when the stage visibly copies package.json without "
    "a lockfile, copies only yarn.lock/pnpm-lock.yaml, or the base is `node:<10` (no `npm ci`).\n"
    "2. Insert ` --omit=dev` after the subcommand (` --production` on `node:<15` bases, whose npm 6 "
    "ignores `--omit`) — only when no `npm run`/`npx`/`yarn`... follows in the stage.",
    fix_availability=FixAvailability.UNSAFE,
    fix_safety="Unsafe. `npm ci` fails without a package-lock.json (or npm-shrinkwrap.json) in sync "
    "with package.json, and deletes an existing node_modules first. `--omit=dev` breaks the image when "
    "a devDependency is used at runtime or by an install script (a `postinstall`/`prepare` build, "
    "`ts-node`, `nodemon` in CMD).",
    references=References(cis=("4.3",)),
)

_INSTALL = frozenset({"install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal",
                      "isntall", "add"})
_CI = frozenset({"ci", "clean-install", "ic", "install-clean", "isntall-clean"})
_BUILD_SUBS = frozenset({"run", "run-script", "rum", "urn", "test", "t", "tst", "exec", "x", "rebuild"})
_BUILD_TOOLS = frozenset({"npx", "yarn", "yarnpkg", "pnpm", "pnpx", "bun", "bunx"})
_PROD_ENV = re.compile(
    r"(?i)\b(?:NODE_ENV=[\"']?production\b|npm_config_production=[\"']?(?:true|1)\b|npm_config_omit=[\"']?[\w,]*dev)"
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    stages = df.stages
    final = df.final_stage
    for outer, run, cmds in _pkg.shell_runs(df):
        for n, cmd in enumerate(cmds):
            if cmd.prog != "npm":
                continue
            i = _pkg.subcommand(cmd, _pkg.NPM_VALUE_OPTS)
            if i is None:
                continue
            sub = cmd.words[i].value
            vals = cmd.values
            if sub not in _INSTALL and sub not in _CI:
                continue
            if _global(vals) or (sub in _INSTALL and _pkg.positional(cmd, i + 1, _pkg.NPM_VALUE_OPTS)):
                continue
            start, end = cmd.span(i)
            if sub in _INSTALL and not _pkg.has_long(vals, "--no-package-lock", "--package-lock-only") and not any(
                v == "--package-lock=false" for v in vals
            ):
                ci = cmd.editable and _ci_fix(df, outer, run)
                yield ctx.diagnostic(
                    RULE,
                    start,
                    end,
                    f"`npm {sub}` re-resolves dependency versions at build time: use `npm ci` to install "
                    "exactly what the lockfile pins",
                    fix=unsafe_fix("Use `npm ci`", Edit(cmd.pos(cmd.words[i].start), cmd.word_end(i), "ci"))
                    if ci
                    else None,
                )
            if final is None or outer.stage != final.index or outer is not run or _omits_dev(cmd, vals, run):
                continue
            if _PROD_ENV.search(_env_text(df, outer)) or _pruned_later(df, outer, cmds[n + 1 :]):
                continue
            builds = _builds_later(df, outer, cmds[n + 1 :])
            if builds and len(stages) == 1:
                continue
            flag = " --production" if _node_major(df, outer) in range(0, 15) else " --omit=dev"
            edit = None if builds else _pkg.insert_after_word(cmd, i, flag)
            fix = unsafe_fix(f"Add `{flag.strip()}`", edit) if edit is not None else None
            name = "npm ci" if sub in _CI else f"npm {sub}"
            yield ctx.diagnostic(
                RULE,
                start,
                end,
                f"`{name}` installs devDependencies into the final image: add `{flag.strip()}`"
                + (" (and build in an earlier stage)" if builds else ""),
                fix=fix,
            )


def _global(vals: list[str]) -> bool:
    return "-g" in vals or _pkg.has_long(vals, "--global") or "--location=global" in vals


def _omits_dev(cmd: _pkg.Cmd, vals: list[str], run: Instruction) -> bool:
    if _pkg.has_long(vals, "--include"):
        return True  # an explicit choice either way
    if any(v == "--production" or v == "--production=true" for v in vals):
        return True
    if any("dev" in v.split(",") for v in _pkg.option_values(vals, "", "--omit")):
        return True
    if any(v in ("prod", "production") for v in _pkg.option_values(vals, "", "--only")):
        return True
    pre = " ".join(w.value for w in cmd.prefix)
    return bool(_PROD_ENV.search(pre)) or bool(_PROD_ENV.search(run.args))


def _env_text(df: Dockerfile, ins: Instruction) -> str:
    return " ".join(f"{k}={v}" for k, v in _pkg.env_before(df, ins).items() if v is not None)


def _later_cmds(df: Dockerfile, ins: Instruction, rest: list[_pkg.Cmd]) -> list[_pkg.Cmd]:
    out = list(rest)
    for outer, run in _pkg.runs_after(df, ins, include_descendants=False):
        if outer is run:
            out += _pkg.commands(outer, run)
    return out


def _pruned_later(df: Dockerfile, ins: Instruction, rest: list[_pkg.Cmd]) -> bool:
    for c in _later_cmds(df, ins, rest):
        if c.prog == "npm" and "prune" in c.values:
            vals = c.values
            if "--production" in vals or any("dev" in v.split(",") for v in _pkg.option_values(vals, "", "--omit")):
                return True
    return False


def _builds_later(df: Dockerfile, ins: Instruction, rest: list[_pkg.Cmd]) -> bool:
    for c in _later_cmds(df, ins, rest):
        if c.prog in _BUILD_TOOLS or "node_modules/.bin/" in c.words[0].value:
            return True
        if c.prog == "npm":
            i = _pkg.subcommand(c, _pkg.NPM_VALUE_OPTS)
            if i is not None and c.words[i].value in _BUILD_SUBS:
                return True
    return False


def _node_major(df: Dockerfile, ins: Instruction) -> int:
    """Major version of a `node:<N>` base in the stage lineage (-1 when unknown)."""
    stage = _pkg.stage_of(df, ins)
    if stage is None:
        return -1
    root = _pkg.lineage(df, stage)[0]
    m = re.search(r"(?:^|/)node:v?(\d+)", root.resolved_image.lower())
    return int(m.group(1)) if m else -1


def _ci_fix(df: Dockerfile, outer: Instruction, run: Instruction) -> bool:
    """Offer `npm ci` unless the stage visibly has no package-lock.json."""
    if 0 <= _node_major(df, outer) < 10:
        return False
    has_lock = other_lock = dir_like = copied = False
    sources: list[str] = []
    for x in _pkg.instructions_before(df, outer):
        if x.cmd in ("COPY", "ADD"):
            srcs = x.json[:-1] if x.json is not None else split_words(x.args)[:-1]
            sources += srcs
    for f in run.flags:
        if f.name == "mount":
            src = f.options().get("source") or f.options().get("src")
            if src:
                sources.append(src)
    for src in sources:
        copied = True
        base = src.rstrip("/").rsplit("/", 1)[-1].strip("\"'")
        if any(fnmatch(lock, base) for lock in ("package-lock.json", "npm-shrinkwrap.json")):
            has_lock = True
        elif base in ("yarn.lock", "pnpm-lock.yaml", "bun.lockb", "bun.lock"):
            other_lock = True
        elif src.endswith("/") or "." not in base or base in (".", "..") or "$" in base:
            dir_like = True
    if has_lock:
        return True
    if other_lock:
        return False
    return dir_like or not copied
