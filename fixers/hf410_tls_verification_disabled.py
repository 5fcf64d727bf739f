"""HF410: TLS certificate or package signature verification is switched off."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from hardenify.context import CheckContext, unsafe_fix
from hardenify.diagnostics import Diagnostic, Edit, FixAvailability, Severity
from hardenify.dockerfile import edits, stages
from hardenify.dockerfile.model import Dockerfile, Instruction, env_pairs
from hardenify.dockerfile.runedits import delete_span, remove_command
from hardenify.dockerfile.runs import Cmd, Script, run_scripts
from hardenify.dockerfile.shell import Word, tokenize
from hardenify.rules import References, Rule, lazy_regex

RULE = Rule(
    code="HF410",
    name="tls-verification-disabled",
    severity=Severity.ERROR,
    summary="The build turns off TLS certificate checks or package signature checks.",
    what="Reports, in RUN instructions (shell form, `sh -c`, heredoc scripts, ONBUILD) and in "
    "ENV/ARG:\n\n"
    "- `curl -k` / `--insecure`, `wget --no-check-certificate`;\n"
    "- `pip --trusted-host` (also `python -m pip`, `uv pip`, `uv --allow-insecure-host`), "
    "`pip config set global.trusted-host`, `PIP_TRUSTED_HOST`;\n"
    "- `npm|yarn|pnpm config set strict-ssl false`, `--strict-ssl=false`, `--no-strict-ssl`, "
    "yarn berry's `enableStrictSsl false`, `NPM_CONFIG_STRICT_SSL=false`;\n"
    "- `git config http.sslVerify false`, `git -c http.sslVerify=false`, `GIT_SSL_NO_VERIFY` "
    "(git disables verification whatever its value);\n"
    "- `NODE_TLS_REJECT_UNAUTHORIZED=0`, `PYTHONHTTPSVERIFY=0`;\n"
    "- `apk --allow-untrusted`, `apt-get`/`apt --allow-unauthenticated` or "
    "`--allow-insecure-repositories` (and their `-o APT::…`/`Acquire::…` spellings);\n"
    "- `deb [trusted=yes] …` source lines (in RUN or in heredocs).\n\n"
    "Local package sources are not reported: `[trusted=yes]` on a `file:`/`copy:` repository, "
    "`apk index --allow-untrusted` and `apk add --allow-untrusted` of local `.apk` files built "
    "earlier in the same build. "
    "RUN commands are not checked on Windows images (their shells are not POSIX); ENV/ARG are.",
    why="With certificate checks off, anyone on the network path of the build (a proxy, a "
    "poisoned DNS answer, a compromised mirror) can serve their own package or script, and it "
    "is installed into the image as root. Skipping package signature checks has the same "
    "effect for distribution packages. ENV settings also stay in the final image and switch "
    "verification off for the application at run time.",
    example="FROM node:22-bookworm-slim\n"
    "ENV NODE_TLS_REJECT_UNAUTHORIZED=0\n"
    "RUN npm config set strict-ssl false && npm ci\n"
    "RUN curl -fsSLk https://example.com/tool.tar.gz | tar -xz",
    fix="Remove the setting: the flag (`-fsSLk` → `-fsSL`, `--trusted-host pypi.org` and its "
    "value), the whole `npm config set strict-ssl false &&` / `git config … http.sslVerify "
    "false &&` segment (the whole RUN when it was the only command), the ENV/ARG pair (the instruction when it was the only pair), the "
    "`trusted=yes` option. When a private registry or proxy uses its own CA, install that CA "
    "instead (`COPY corp-ca.crt /usr/local/share/ca-certificates/` + `update-ca-certificates`, "
    "`NODE_EXTRA_CA_CERTS`, `PIP_CERT`, `git config http.sslCAInfo`).",
    fix_availability=FixAvailability.UNSAFE,
    fix_safety="Unsafe: a build that only worked because verification was off (a self-signed "
    "or intercepting proxy, an HTTP-only package index, an unsigned apt repository) fails after "
    "the fix until the right CA or signing key is installed. No fix is offered when the "
    "setting cannot be removed without changing what the rest of the command means (inside a "
    "pipeline or `||` list, or when removal would delete a comment line). Deleting an ENV, ARG "
    "or RUN instruction can leave two RUN instructions next to each other, which hadolint's "
    "DL3059 (info: consolidate consecutive RUNs) then reports; that trade is deliberate.",
    references=References(
        checkov=(
            "CKV2_DOCKER_2",
            "CKV2_DOCKER_3",
            "CKV2_DOCKER_4",
            "CKV2_DOCKER_5",
            "CKV2_DOCKER_6",
            "CKV2_DOCKER_7",
            "CKV2_DOCKER_8",
            "CKV2_DOCKER_12",
            "CKV2_DOCKER_13",
            "CKV2_DOCKER_14",
            "CKV2_DOCKER_16",
        ),
        cis=("4.11",),
    ),
)

_FALSE = ("false", "0", "no", "off")
_PIP_RE = re.compile(r"^pip[0-9.]*$")
_PY_RE = re.compile(r"^(python|pypy)[0-9.]*$")
_CURL_ARG_LETTERS = set("AbcCdDeEFhHKmoPQrtTuUwxXyYz")
_CURL_LONG_WITH_VALUE = frozenset(
    {
        "--header",
        "--data",
        "--data-raw",
        "--data-binary",
        "--data-urlencode",
        "--output",
        "--user",
        "--url",
        "--proxy",
        "--cacert",
        "--cert",
        "--key",
        "--user-agent",
        "--referer",
        "--form",
        "--write-out",
        "--request",
        "--retry",
        "--max-time",
        "--connect-timeout",
        "--config",
    }
)
_TRUSTED_RE = re.compile(r"\[([^\]\n]*?)\]")
_TRUSTED_OPT = lazy_regex(r"(?i)\btrusted\s*=\s*yes\b")
_DEB_LINE = lazy_regex(r"\bdeb(?:-src)?\s+\[")
_APT_OPTS = (
    ("apt::get::allowunauthenticated", True),
    ("acquire::allowinsecurerepositories", True),
    ("acquire::allowdowngradetoinsecurerepositories", True),
    ("acquire::https::verify-peer", False),
    ("acquire::https::verify-host", False),
)


class Hit(NamedTuple):
    start: int  # file offsets of the finding
    end: int
    message: str
    fix: list[Edit] | None
    fix_message: str = ""


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    hits: list[Hit] = []
    for outer in df.instructions:
        run = outer.run
        if run is None or stages.windows_at(df, run):
            continue
        # the shell form, a script heredoc, an exec form's `sh -c` string (not nested scripts)
        for script in run_scripts(outer):
            if script.kind in ("args", "heredoc", "json"):
                hits.extend(_script_hits(df, script))
    for ins in df.instructions:
        if ins.cmd in ("ENV", "ARG"):
            hits.extend(_env_hits(df, ins))
        if ins.cmd in ("RUN", "COPY", "ADD") and not stages.windows_at(df, ins):
            hits.extend(_heredoc_hits(df, ins))
    seen: set[tuple[int, int]] = set()
    for h in hits:
        if (h.start, h.end) in seen:
            continue
        seen.add((h.start, h.end))
        fix = unsafe_fix(h.fix_message, *h.fix) if h.fix else None
        yield ctx.diagnostic(RULE, h.start, max(h.end, h.start), h.message, fix=fix)


# ------------------------------------------------------------------------------------ ENV/ARG


def bad_env(name: str, value: str) -> str | None:
    """Why an environment variable disables verification, or None."""
    v = value.strip()
    if "$" in value:
        return None
    if name == "NODE_TLS_REJECT_UNAUTHORIZED" and v == "0":
        return "`NODE_TLS_REJECT_UNAUTHORIZED=0` makes Node.js accept any TLS certificate"
    if name == "PYTHONHTTPSVERIFY" and v == "0":
        return "`PYTHONHTTPSVERIFY=0` makes Python's urllib skip certificate verification"
    if name.lower() == "npm_config_strict_ssl" and v.lower() == "false":
        return f"`{name}=false` makes npm accept any TLS certificate"
    if name == "GIT_SSL_NO_VERIFY":
        return "`GIT_SSL_NO_VERIFY` (any value) makes git skip TLS verification"
    if name == "PIP_TRUSTED_HOST" and v:
        return "`PIP_TRUSTED_HOST` makes pip skip TLS verification for those hosts"
    return None


def _env_hits(df: Dockerfile, ins: Instruction) -> Iterator[Hit]:
    script = Script(ins, ins, "args", ins.args, escape=df.escape)
    spans: list[tuple[str, str, int, int]] = []
    if ins.cmd == "ENV":
        spans = env_pairs(ins)
    else:
        for cmd in tokenize(ins.args):
            for w in cmd.words:
                name, sep, value = w.value.partition("=")
                if sep:
                    spans.append((name, value, w.start, w.end))
                else:
                    spans.append((name, "", -1, -1))  # ARG without a default: nothing set
    total = len(spans)
    for name, value, a, b in spans:
        if a < 0:
            continue
        why = bad_env(name, value)
        if why is None:
            continue
        s, e = ins.arg_src(a), ins.arg_src(b, end=True)
        if total == 1:
            fix: list[Edit] | None = [edits.delete(df, ins)]
            msg = f"delete the {ins.cmd} instruction setting `{name}`"
        else:
            edit = delete_span(df, script, a, b)
            fix = [edit] if edit else None
            msg = f"remove `{name}` from the {ins.cmd} instruction"
        yield Hit(s, e, f"{why} ({ins.cmd} stays in the image)" if ins.cmd == "ENV" else why, fix, msg)


# ---------------------------------------------------------------------------------------- RUN


# Programs `_command_hits` looks into (besides `pip*`/`python* -m pip`, matched by regex).
_CHECKED_PROGRAMS = frozenset(
    {"export", "curl", "wget", "uv", "npm", "yarn", "pnpm", "npx", "git", "apk", "apt-get", "apt", "aptitude"}
)


def _may_hit(cmd: Cmd) -> bool:
    """False when `_command_hits` cannot report the command: no `X=…` prefix and a program
    it does not look at (most commands; skips a generator per command)."""
    if any("=" in w.value for w in cmd.prefix):
        return True
    prog = cmd.prog.lower()
    return prog in _CHECKED_PROGRAMS or _PIP_RE.match(prog) is not None or _PY_RE.match(prog) is not None


def _script_hits(df: Dockerfile, script: Script) -> Iterator[Hit]:
    cmds = script.commands()
    for k, cmd in enumerate(cmds):
        if not _may_hit(cmd):
            continue
        for a, b, msg, fix, fmsg in _command_hits(df, script, cmds, k, cmd):
            if script.kind == "json":
                ins = script.run
                yield Hit(ins.start + len(ins.indent), ins.content_end, msg, None)
            else:
                s = script.pos(a)
                yield Hit(s, script.pos(b, end=True), msg, fix if script.editable else None, fmsg)
    for a, b, msg, fix, fmsg in _trusted_hits(df, script, script.text):
        if script.kind == "json":
            ins = script.run
            yield Hit(ins.start + len(ins.indent), ins.content_end, msg, None)
        else:
            yield Hit(script.pos(a), script.pos(b, end=True), msg, fix, fmsg)


def _heredoc_hits(df: Dockerfile, ins: Instruction) -> Iterator[Hit]:
    """`deb [trusted=yes]` in heredoc bodies that are data (written to a sources list)."""
    for h in ins.heredocs:
        body = Script(ins, ins, "heredoc", h.content, heredoc=h)
        for a, b, msg, fix, fmsg in _trusted_hits(df, body, h.content):
            yield Hit(body.pos(a), body.pos(b, end=True), msg, fix, fmsg)


Found = tuple[int, int, str, "list[Edit] | None", str]


def _trusted_hits(df: Dockerfile, script: Script, text: str) -> Iterator[Found]:
    for m in _TRUSTED_RE.finditer(text):
        inner = m.group(1)
        opt = _TRUSTED_OPT().search(inner)
        if opt is None:
            continue
        before = text[max(0, m.start() - 40) : m.start() + 1]
        if not _DEB_LINE().search(before):
            continue
        uri = text[m.end() :].lstrip(" \t").lower()
        if uri.startswith(("file:", "copy:", "cdrom:", "/")):
            continue  # a local repository (packages built in this build): nothing crosses a network
        msg = "`[trusted=yes]` makes apt install from this repository without checking signatures"
        # the option's span inside the brackets
        ostart = m.start(1) + opt.start()
        oend = m.start(1) + opt.end()
        if not script.editable or script.pos(oend, end=True) - script.pos(ostart) != oend - ostart:
            yield ostart, oend, msg, None, ""
            continue
        others = (inner[: opt.start()] + inner[opt.end() :]).strip(" \t")
        if not others:
            # drop "[trusted=yes]" and one following blank
            a, b = m.start(), m.end()
            if b < len(text) and text[b] in " \t":
                b += 1
        else:
            a, b = ostart, oend
            if a > m.start(1) and text[a - 1] in " \t":
                a -= 1
            elif b < m.end(1) and text[b] in " \t":
                b += 1
        s, e = script.pos(a), script.pos(b, end=True)
        if e - s != b - a:
            yield ostart, oend, msg, None, ""
            continue
        yield ostart, oend, msg, [Edit(s, e, "")], "remove `trusted=yes`"


def _delete_words(df: Dockerfile, script: Script, first: Word, last: Word) -> list[Edit] | None:
    e = delete_span(df, script, first.start, last.end)
    return [e] if e else None


def _remove_cmd(df: Dockerfile, script: Script, cmds: list[Cmd], k: int) -> list[Edit] | None:
    e = remove_command(df, script, cmds, k)
    if e is not None:
        return [e]
    ins = script.run
    if len(cmds) == 1 and script.kind == "args" and not ins.heredocs and ins.cmd == "RUN":
        # the command is the whole RUN (not an ONBUILD RUN): delete the instruction
        if any(x is ins for x in df.instructions):
            return [edits.delete(df, ins)]
    return None


def _command_hits(df: Dockerfile, script: Script, cmds: list[Cmd], k: int, cmd: Cmd) -> Iterator[Found]:
    words = cmd.all_words
    idx = cmd.program_index
    prog = cmd.prog.lower()
    rest = cmd.words[1:]

    # environment assignments: `X=0 cmd`, `env X=0 cmd`, `export X=0`
    for w in words[:idx]:
        name, sep, value = w.value.partition("=")
        if sep and name.replace("_", "").isalnum():
            why = bad_env(name, value)
            if why:
                fix = (
                    _delete_words(df, script, w, w) if idx < len(words) else _remove_cmd(df, script, cmds, k)
                )
                yield w.start, w.end, why, fix, f"remove `{name}=…`"
    if idx >= len(words):
        return
    if prog == "export":
        for w in [x for x in rest if "=" in x.value]:
            name, _, value = w.value.partition("=")
            why = bad_env(name, value)
            if why:
                only = len([x for x in rest if not x.value.startswith("-")]) == 1
                fix = _remove_cmd(df, script, cmds, k) if only else _delete_words(df, script, w, w)
                yield w.start, w.end, why, fix, f"remove `export {name}=…`"
        return

    if prog == "curl":
        yield from _curl(df, script, rest)
    elif prog == "wget":
        for w in rest:
            if w.value == "--no-check-certificate" or w.value.startswith("--no-check-certificate="):
                yield (
                    w.start,
                    w.end,
                    "`wget --no-check-certificate` accepts any TLS certificate",
                    _delete_words(df, script, w, w),
                    "remove `--no-check-certificate`",
                )
    elif _PIP_RE.match(prog) or (_PY_RE.match(prog) and _module(rest) == "pip") or prog == "uv":
        yield from _pip(df, script, cmds, k, prog, rest)
    elif prog in ("npm", "yarn", "pnpm", "npx"):
        yield from _npm(df, script, cmds, k, prog, rest)
    elif prog == "git":
        yield from _git(df, script, cmds, k, rest)
    elif prog == "apk" and _apk_remote(cmd):
        for w in rest:
            if w.value == "--allow-untrusted":
                yield (
                    w.start,
                    w.end,
                    "`apk --allow-untrusted` installs packages without checking their signatures",
                    _delete_words(df, script, w, w),
                    "remove `--allow-untrusted`",
                )
    elif prog in ("apt-get", "apt", "aptitude"):
        yield from _apt(df, script, prog, rest)


def _apk_remote(cmd: Cmd) -> bool:
    """`apk add/upgrade/fetch` of repository packages (not local `.apk` files, not `apk index`)."""
    sub = next((a for a in cmd.values if not a.startswith("-")), "")
    if sub not in ("add", "upgrade", "fetch", "fix", "update"):
        return False
    sub_seen = False
    pkgs = []
    for a in cmd.values:
        if a.startswith("-"):
            continue
        if not sub_seen:
            sub_seen = True
            continue
        pkgs.append(a)
    return not pkgs or any("/" not in p and not p.endswith(".apk") for p in pkgs)


def _module(rest: list[Word]) -> str:
    for n, w in enumerate(rest):
        if w.value == "-m" and n + 1 < len(rest):
            return rest[n + 1].value
        if w.value.startswith("-m") and len(w.value) > 2:
            return w.value[2:]
        if not w.value.startswith("-"):
            return ""
    return ""


def _curl(df: Dockerfile, script: Script, rest: list[Word]) -> Iterator[Found]:
    skip = False
    for w in rest:
        v = w.value
        if skip:
            skip = False
            continue
        if v == "--":
            break
        if v == "--insecure":
            yield (
                w.start,
                w.end,
                "`curl --insecure` accepts any TLS certificate",
                _delete_words(df, script, w, w),
                "remove `--insecure`",
            )
            continue
        if v.startswith("--"):
            skip = v in _CURL_LONG_WITH_VALUE
            continue
        if v.startswith("-") and len(v) > 1:
            letters = v[1:]
            for pos, ch in enumerate(letters):
                if ch == "k":
                    fix: list[Edit] | None
                    if letters == "k":
                        fix = _delete_words(df, script, w, w)
                    elif w.raw == v:
                        # remove one letter from a cluster: -fsSLk → -fsSL
                        cut = 1 + pos
                        s = script.pos(w.start + cut)
                        e = script.pos(w.start + cut + 1, end=True)
                        fix = [Edit(s, e, "")] if e - s == 1 and script.editable else None
                    else:
                        fix = None
                    yield w.start, w.end, "`curl -k` accepts any TLS certificate", fix, "remove `-k`"
                    break
                if ch in _CURL_ARG_LETTERS:
                    skip = pos == len(letters) - 1
                    break


def _pip(
    df: Dockerfile, script: Script, cmds: list[Cmd], k: int, prog: str, rest: list[Word]
) -> Iterator[Found]:
    values = [w.value for w in rest if not w.value.startswith("-")]
    # pip config set global.trusted-host HOST
    if "config" in values and "set" in values:
        ks = [v for v in values if v.endswith(".trusted-host") or v == "trusted-host"]
        if ks:
            w = next(x for x in rest if x.value == ks[0])
            yield (
                w.start,
                w.end,
                "`pip config set …trusted-host` makes pip skip TLS verification for that host",
                _remove_cmd(df, script, cmds, k),
                "remove the `pip config set …trusted-host` command",
            )
    flags = ("--trusted-host", "--allow-insecure-host") if prog == "uv" else ("--trusted-host",)
    for n, w in enumerate(rest):
        v = w.value
        for f in flags:
            if v == f and n + 1 < len(rest):
                yield (
                    w.start,
                    rest[n + 1].end,
                    f"`{f}` makes pip skip TLS verification for that host",
                    _delete_words(df, script, w, rest[n + 1]),
                    f"remove `{f} {rest[n + 1].value}`",
                )
            elif v.startswith(f + "="):
                yield (
                    w.start,
                    w.end,
                    f"`{f}` makes pip skip TLS verification for that host",
                    _delete_words(df, script, w, w),
                    f"remove `{v}`",
                )


def _npm(
    df: Dockerfile, script: Script, cmds: list[Cmd], k: int, prog: str, rest: list[Word]
) -> Iterator[Found]:
    values = [w.value for w in rest if not w.value.startswith("-")]
    keys = ("strict-ssl", "enablestrictssl")
    head = values[:2] if values[:1] in (["config"], ["c"]) else values[:1]
    if head in (["config", "set"], ["c", "set"], ["set"]):
        tail = values[len(head) :]
        bad = False
        if len(tail) == 2 and tail[0].lower() in keys and tail[1].lower() in _FALSE:
            bad = True
        elif len(tail) == 1 and "=" in tail[0]:
            key, _, val = tail[0].partition("=")
            bad = key.lower() in keys and val.lower() in _FALSE
        if bad:
            w = rest[0]
            yield (
                w.start,
                rest[-1].end,
                f"`{prog} config set strict-ssl false` makes {prog} accept any TLS certificate",
                _remove_cmd(df, script, cmds, k),
                f"remove the `{prog} config set strict-ssl false` command",
            )
            return
    for n, w in enumerate(rest):
        v = w.value.lower()
        if v == "--no-strict-ssl" or (v.startswith("--strict-ssl=") and v.split("=", 1)[1] in _FALSE):
            yield (
                w.start,
                w.end,
                f"`{w.value}` makes {prog} accept any TLS certificate",
                _delete_words(df, script, w, w),
                f"remove `{w.value}`",
            )
        elif v == "--strict-ssl" and n + 1 < len(rest) and rest[n + 1].value.lower() in _FALSE:
            yield (
                w.start,
                rest[n + 1].end,
                f"`--strict-ssl {rest[n + 1].value}` makes {prog} accept any TLS certificate",
                _delete_words(df, script, w, rest[n + 1]),
                "remove `--strict-ssl false`",
            )


def _is_sslverify_key(key: str) -> bool:
    low = key.lower()
    return low.startswith("http.") and low.endswith(".sslverify")


def _git(df: Dockerfile, script: Script, cmds: list[Cmd], k: int, rest: list[Word]) -> Iterator[Found]:
    n = 0
    # global options before the subcommand: -c key=value, -C dir, --git-dir=...
    while n < len(rest) and rest[n].value.startswith("-"):
        v = rest[n].value
        if v == "-c" and n + 1 < len(rest):
            key, _, val = rest[n + 1].value.partition("=")
            if _is_sslverify_key(key) and val.lower() in _FALSE:
                yield (
                    rest[n].start,
                    rest[n + 1].end,
                    "`git -c http.sslVerify=false` makes git skip TLS verification",
                    _delete_words(df, script, rest[n], rest[n + 1]),
                    "remove `-c http.sslVerify=false`",
                )
            n += 2
            continue
        n += 2 if v in ("-C", "--git-dir", "--work-tree", "--namespace") else 1
    if n >= len(rest) or rest[n].value != "config":
        return
    sub = rest[n + 1 :]
    pos: list[Word] = []
    m = 0
    while m < len(sub):
        v = sub[m].value
        if v in ("-f", "--file", "--blob"):
            m += 2
            continue
        if not v.startswith("-"):
            pos.append(sub[m])
        m += 1
    if len(pos) == 2 and _is_sslverify_key(pos[0].value) and pos[1].value.lower() in _FALSE:
        yield (
            pos[0].start,
            pos[1].end,
            "`git config http.sslVerify false` makes git skip TLS verification",
            _remove_cmd(df, script, cmds, k),
            "remove the `git config http.sslVerify false` command",
        )


def _apt(df: Dockerfile, script: Script, prog: str, rest: list[Word]) -> Iterator[Found]:
    for n, w in enumerate(rest):
        v = w.value
        if v in ("--allow-unauthenticated", "--allow-insecure-repositories"):
            yield (
                w.start,
                w.end,
                f"`{prog} {v}` installs packages without checking their signatures",
                _delete_words(df, script, w, w),
                f"remove `{v}`",
            )
            continue
        opt: str | None = None
        last = w
        if v == "-o" and n + 1 < len(rest):
            opt, last = rest[n + 1].value, rest[n + 1]
        elif v.startswith("-o") and len(v) > 2:
            opt = v[2:]
        elif v.startswith("--option="):
            opt = v.split("=", 1)[1]
        if opt is None:
            continue
        key, _, val = opt.partition("=")
        val = val.strip().strip("\"'").lower()
        for name, bad_when_true in _APT_OPTS:
            if key.strip().lower() != name:
                continue
            truthy = val in ("1", "true", "yes", "on")
            falsy = val in _FALSE
            if (bad_when_true and truthy) or (not bad_when_true and falsy):
                yield (
                    w.start,
                    last.end,
                    f"`{prog} -o {opt}` turns off repository or TLS verification",
                    _delete_words(df, script, w, last),
                    f"remove `-o {opt}`",
                )
