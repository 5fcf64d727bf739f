"""HF407: `npm install` instead of `npm ci`, and devDependencies in the shipped image."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator
from fnmatch import fnmatch

from hardenify.context import CheckContext, unsafe_fix
from hardenify.contextfiles import context_root, is_dir, is_file, read
from hardenify.diagnostics import Diagnostic, Edit, FixAvailability, Severity
from hardenify.dockerfile import runedits
from hardenify.dockerfile.model import Dockerfile, Instruction, split_words, unquote
from hardenify.rules import References, Rule

from . import _pkg

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
    fix="1. Replace `install` with `ci` — only when a package-lock.json/npm-shrinkwrap.json exists in the "
    "build context on disk and a COPY (or bind mount) before the RUN brings it in; without a context on "
    "disk, not when the stage visibly copies package.json without a lockfile or only yarn.lock/"
    "pnpm-lock.yaml. Never on `node:<10` (no `npm ci`).\n"
    "2. Insert ` --omit=dev` after the subcommand (` --production` on `node:<15` bases, whose npm 6 "
    "ignores `--omit`) — only when no later step of the stage needs devDependencies (`npm run`, `npx`, "
    "`yarn`..., a dev tool such as `tsc`/`webpack`/`prisma` or one named in package.json's "
    "devDependencies), package.json has no install lifecycle script (`prepare`, `postinstall`...), and "
    "CMD does not run an npm script that starts a devDependency.",
    fix_availability=FixAvailability.UNSAFE,
    fix_safety="Unsafe. `npm ci` fails without a package-lock.json (or npm-shrinkwrap.json) in sync "
    "with package.json, and deletes an existing node_modules first. `--omit=dev` breaks the image when "
    "a devDependency is used at runtime or by an install script (a `postinstall`/`prepare` build, "
    "`ts-node`, `nodemon` in CMD).",
    references=References(cis=("4.3",)),
)

_INSTALL = frozenset(
    {"install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall", "add"}
)
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
    root = context_root(ctx.disk_path)
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
            if (
                sub in _INSTALL
                and not _pkg.has_long(vals, "--no-package-lock", "--package-lock-only")
                and not any(v == "--package-lock=false" for v in vals)
            ):
                ci, why = _ci_fix(df, outer, run, root)
                ci = ci and cmd.editable
                yield ctx.diagnostic(
                    RULE,
                    start,
                    end,
                    f"`npm {sub}` re-resolves dependency versions at build time: use `npm ci` to install "
                    "exactly what the lockfile pins",
                    fix=unsafe_fix("Use `npm ci`", Edit(cmd.pos(cmd.words[i].start), cmd.word_end(i), "ci"))
                    if ci
                    else None,
                    note=why,
                )
            if final is None or outer.stage != final.index or outer is not run or _omits_dev(cmd, vals, run):
                continue
            if _PROD_ENV.search(_env_text(df, outer)) or _pruned_later(df, outer, cmds[n + 1 :]):
                continue
            manifest = _package_json(df, outer, root)
            builds = _builds_later(df, outer, cmds[n + 1 :], manifest)
            if builds and len(stages) == 1:
                continue
            needs_dev = None if builds else _dev_needed(df, outer, manifest)
            flag = " --production" if _node_major(df, outer) in range(0, 15) else " --omit=dev"
            edit = None if builds or needs_dev else runedits.insert_after_word(cmd, i, flag)
            fix = unsafe_fix(f"Add `{flag.strip()}`", edit) if edit is not None else None
            name = "npm ci" if sub in _CI else f"npm {sub}"
            yield ctx.diagnostic(
                RULE,
                start,
                end,
                f"`{name}` installs devDependencies into the final image: add `{flag.strip()}`"
                + (" (and build in an earlier stage)" if builds else ""),
                fix=fix,
                note=f"No automatic fix: {needs_dev}." if needs_dev else None,
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
            if "--production" in vals or any(
                "dev" in v.split(",") for v in _pkg.option_values(vals, "", "--omit")
            ):
                return True
    return False


def _builds_later(
    df: Dockerfile, ins: Instruction, rest: list[_pkg.Cmd], manifest: dict[str, object] | None
) -> bool:
    """Does a later step of the stage need devDependencies: `npm run`/`test`, `npx`, yarn..., a
    `node_modules/.bin` tool, or a dev tool by name (`tsc`, `webpack`, `prisma generate`...)?"""
    dev = _dev_names(manifest) | _DEV_TOOLS
    for c in _later_cmds(df, ins, rest):
        if c.words and (c.prog in _BUILD_TOOLS or "node_modules/.bin/" in c.words[0].value or c.prog in dev):
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
    root = stage.chain[0]
    m = re.search(r"(?:^|/)node:v?(\d+)", root.resolved_image.lower())
    return int(m.group(1)) if m else -1


_LOCKS = ("package-lock.json", "npm-shrinkwrap.json")
_OTHER_LOCKS = ("yarn.lock", "pnpm-lock.yaml", "bun.lockb", "bun.lock")


def _context_sources(df: Dockerfile, outer: Instruction, run: Instruction) -> tuple[list[str], bool]:
    """Build-context paths the COPY/ADDs (and bind mounts of `run`) bring in before `run`, and
    whether something else may bring files too (`COPY --from`, a URL, an unresolved variable)."""
    sources: list[str] = []
    other = False
    for x in _pkg.instructions_before(df, outer):
        if x.cmd not in ("COPY", "ADD") or x.heredocs:
            continue
        words = list(x.json[:-1]) if x.json is not None else [unquote(w) for w in split_words(x.args)[:-1]]
        if x.flag("from") is not None:
            other = True
            continue
        for w in words:
            if "$" in w or "://" in w or w.startswith("git@"):
                other = True
            else:
                sources.append(w)
    for f in run.flags:
        if f.name == "mount":
            opts = f.options()
            if opts.get("type", "bind") == "bind" and not opts.get("from"):
                src = opts.get("source") or opts.get("src") or "."
                sources.append(src)
            elif opts.get("type", "bind") == "bind":
                other = True
    return sources, other


def _brings(root: str, src: str, names: tuple[str, ...]) -> bool:
    """Does COPY source `src` bring one of `names` that exists in the context?"""
    src = src.strip() or "."
    base = src.rstrip("/").rsplit("/", 1)[-1]
    folder = posixpath.dirname(src.rstrip("/"))
    if any(c in base for c in "*?["):
        return any(fnmatch(n, base) and is_file(root, posixpath.join(folder, n)) for n in names)
    if is_dir(root, src):
        return any(is_file(root, posixpath.join(src, n)) for n in names)
    return base in names and is_file(root, src)


def _ci_fix(
    df: Dockerfile, outer: Instruction, run: Instruction, root: str | None
) -> tuple[bool, str | None]:
    """(offer `npm ci`, note). Decided from the build context on disk when there is one: the
    lockfile must exist there and be brought in by a COPY (or bind mount) before this RUN."""
    if 0 <= _node_major(df, outer) < 10:
        return False, "No automatic fix: `npm ci` needs npm 5.7+ (node 10+)."
    sources, other = _context_sources(df, outer, run)
    if root is not None:
        if any(_brings(root, s, _LOCKS) for s in sources):
            return True, None
        if not other:
            return False, (
                "No automatic fix: no package-lock.json or npm-shrinkwrap.json in the build context reaches "
                "this step, and `npm ci` fails without one; commit a lockfile (`npm install` writes it) and COPY it."
            )
    note = (
        None if root is not None else "Could not check the build context for a lockfile (no context on disk)."
    )
    return _ci_by_shape(sources, other), note


def _ci_by_shape(sources: list[str], other: bool) -> bool:
    """Without the context: offer `npm ci` unless the stage visibly has no package-lock.json."""
    has_lock = other_lock = False
    dir_like = other
    for src in sources:
        base = src.rstrip("/").rsplit("/", 1)[-1].strip("\"'")
        if any(fnmatch(lock, base) for lock in _LOCKS):
            has_lock = True
        elif base in _OTHER_LOCKS:
            other_lock = True
        elif src.endswith("/") or "." not in base or base in (".", ".."):
            dir_like = True
    if has_lock:
        return True
    if other_lock:
        return False
    return dir_like or not sources


# --------------------------------------------------------------------------- devDependencies

# Tools that live in devDependencies: running one later in the stage needs them installed.
_DEV_TOOLS = frozenset(
    {
        "tsc",
        "ts-node",
        "tsx",
        "webpack",
        "vite",
        "rollup",
        "esbuild",
        "parcel",
        "babel",
        "jest",
        "mocha",
        "vitest",
        "eslint",
        "prisma",
        "ng",
        "next",
        "nuxt",
        "gulp",
        "grunt",
        "nest",
        "graphql-codegen",
        "nodemon",
    }
)
# npm runs these scripts of the root package on `npm ci`/`npm install`, also with --omit=dev.
_LIFECYCLE = ("preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare")


def _package_json(df: Dockerfile, outer: Instruction, root: str | None) -> dict[str, object] | None:
    """The package.json the stage copies from the build context (parsed), or None."""
    if root is None:
        return None
    sources, _ = _context_sources(df, outer, outer.run or outer)
    for src in sources:
        s = src.strip().rstrip("/") or "."
        if is_dir(root, s):
            cand = posixpath.join(s, "package.json")
        elif fnmatch("package.json", s.rsplit("/", 1)[-1]):
            cand = posixpath.join(posixpath.dirname(s), "package.json")
        else:
            continue
        text = read(root, cand)
        if text is None:
            continue
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return None
        return data if isinstance(data, dict) else None
    return None


def _dev_names(manifest: dict[str, object] | None) -> set[str]:
    dev = manifest.get("devDependencies") if manifest else None
    return {k.rsplit("/", 1)[-1] for k in dev} if isinstance(dev, dict) else set()


def _dev_needed(df: Dockerfile, outer: Instruction, manifest: dict[str, object] | None) -> str | None:
    """Why the image needs devDependencies although no later RUN builds: an install lifecycle
    script (`prepare: husky install`) or a start script that runs a dev tool (`nodemon`)."""
    if not manifest:
        return None
    scripts = manifest.get("scripts")
    if not isinstance(scripts, dict):
        return None
    for name in _LIFECYCLE:
        if isinstance(scripts.get(name), str):
            return (
                f"package.json has a `{name}` script, which npm runs on install and may need devDependencies"
            )
    dev = _dev_names(manifest) | _DEV_TOOLS
    stage = df.stage_of(outer)
    entry = [x for x in (stage.instructions if stage else []) if x.cmd in ("CMD", "ENTRYPOINT")]
    text = " ".join(" ".join(x.json) if x.json is not None else x.args for x in entry)
    for m in re.finditer(r"\bnpm\s+(?:run(?:-script)?\s+)?([\w:.-]+)", text):
        body = scripts.get(m.group(1))
        if isinstance(body, str) and body.split() and body.split()[0] in dev:
            return f"the container runs `npm {m.group(1)}`, whose script starts `{body.split()[0]}` (a devDependency)"
    return None
