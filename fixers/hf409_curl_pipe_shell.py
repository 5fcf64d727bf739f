"""HF409: a RUN executes a script downloaded at build time without verifying it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.dockerfile.runedits import body_start
from hardenify.dockerfile.runs import Cmd, Script, run_scripts
from hardenify.dockerfile.shell import POSIX_SHELLS
from hardenify.rules import References, Rule, lazy_regex

RULE = Rule(
    code="HF409",
    name="curl-pipe-shell",
    severity=Severity.WARNING,
    summary="A RUN pipes a downloaded script into a shell or interpreter without verifying it.",
    what="Reports `curl … | sh`, `wget -O- … | bash`, `… | sudo python3 -`, `bash <(curl …)`, "
    '`sh -c "$(curl …)"`, `eval "$(wget -qO- …)"` and PowerShell\'s '
    "`iex (… DownloadString(…))` / `iwr … | iex` in RUN instructions (shell form, `sh -c` exec "
    "form, heredoc scripts and ONBUILD RUN). An interpreter that gets a script argument "
    "(`curl … | python3 -c 'import json…'`) only reads data and is not reported.",
    why="Whatever the server (or anyone able to tamper with the transfer, a compromised CDN or "
    "a hijacked domain) returns at build time runs as root in the build, and the result is "
    "baked into the image. Nothing pins what was executed, so two builds of the same "
    "Dockerfile can run different code, and a truncated download can run half a script.",
    example="FROM debian:bookworm-slim\nRUN curl -fsSL https://example.com/install.sh | sh",
    fix="Download to a file, verify a pinned checksum (or signature), then run it:\n\n"
    "```dockerfile\n"
    "ARG INSTALL_SHA256=<sha256 of the reviewed script>\n"
    "RUN curl -fsSLo /tmp/install.sh https://example.com/install.sh \\\n"
    '    && echo "${INSTALL_SHA256}  /tmp/install.sh" | sha256sum -c - \\\n'
    "    && sh /tmp/install.sh && rm /tmp/install.sh\n"
    "```\n\n"
    "or use `ADD --checksum=sha256:… https://… /tmp/install.sh`. Prefer a distribution "
    "package or a pinned release artifact when one exists. No automatic fix: the checksum "
    "must come from a reviewed copy of the script.",
    references=References(cis=("4.11",)),
)

DOWNLOADERS = frozenset({"curl", "wget"})
INTERPRETERS = POSIX_SHELLS | frozenset(
    {"python", "python2", "python3", "perl", "ruby", "node", "nodejs", "php", "pwsh", "lua", "tclsh"}
)
_PY_RE = re.compile(r"^(python|pypy)[0-9.]*$")
# curl options that take a value (their value is the rest of a short-option cluster)
_CURL_ARG_LETTERS = set("AbcCdDeEFhHKmoPQrtTuUwxXyYz")

_PROC_SUBST = lazy_regex(
    r"(?:^|[\s;&|(])(?:sudo\s+(?:-\S+\s+)*)?(?:(?:/usr)?/bin/)?"
    r"(?:sh|bash|zsh|ksh|dash|ash|source|\.|python[0-9.]*|perl|ruby|node)"
    r"(?:\s+-\S+)*\s+<\(\s*(?:sudo\s+)?(?:curl|wget)\b"
)
_CMD_SUBST_DL = lazy_regex(r"(?:\$\(|`)\s*(?:sudo\s+)?(?:curl|wget)\b")
_PS_IEX = lazy_regex(
    r"(?i)(?:\biex\b|invoke-expression)[\s(\"'&]*[^;|]*?"
    r"(?:downloadstring|invoke-webrequest|invoke-restmethod|\biwr\b|\birm\b)"
    r"|(?:downloadstring|invoke-webrequest|invoke-restmethod|\biwr\b|\birm\b)[^;|]*\|\s*"
    r"(?:\biex\b|invoke-expression)"
)
_URL_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"|;&)]+")
_PS_RUNNERS = ("iex", "invoke-expression")
_PS_DOWNLOADS = ("downloadstring", "invoke-webrequest", "invoke-restmethod", "iwr", "irm")


def _may_run_powershell_download(text: str) -> bool:
    """False when `_PS_IEX` cannot match: it needs a runner and a download word.

    The regex is case-insensitive and slow; ASCII text (nearly all) is pre-checked with
    lower-cased substring tests, which are exact for ASCII.
    """
    if not text.isascii():
        return True
    low = text.lower()
    return any(w in low for w in _PS_RUNNERS) and any(w in low for w in _PS_DOWNLOADS)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    for outer in df.instructions:
        # the shell form, a script heredoc, an exec form's `sh -c` string (not nested scripts)
        for script in run_scripts(outer):
            if script.kind not in ("args", "heredoc", "json"):
                continue
            _register_url_secrets(ctx, script.text)
            for start, end, msg in _findings(script):
                if script.kind == "json":
                    yield ctx.at(RULE, script.run, msg)
                else:
                    s = script.pos(start)
                    e = max(script.pos(end, end=True), s)
                    yield ctx.diagnostic(RULE, s, e, msg)


def _register_url_secrets(ctx: CheckContext, text: str) -> None:
    if "://" not in text:
        return
    for m in _URL_RE.finditer(text):
        try:
            parts = urlsplit(m.group(0))
        except ValueError:
            continue
        if parts.password:
            ctx.secret(parts.password)
        if parts.username and parts.password is None and len(parts.username) >= 16:
            ctx.secret(parts.username)  # a token used as the user name


def _findings(script: Script) -> Iterator[tuple[int, int, str]]:
    text = script.text
    cmds = script.commands()
    seen: set[int] = set()
    # 1. pipelines: downloader | … | interpreter
    i = 0
    while i < len(cmds):
        j = i
        while j + 1 < len(cmds) and cmds[j].after in ("|", "|&"):
            j += 1
        pipeline = cmds[i : j + 1]
        dl = next((c for c in pipeline[:-1] if _downloads_to_stdout(c)), None)
        if dl is not None:
            k = pipeline.index(dl)
            sink = next((c for c in pipeline[k + 1 :] if _runs_stdin(c)), None)
            if sink is not None:
                seen.add(body_start(dl))
                yield (
                    body_start(dl),
                    sink.end,
                    f"`{dl.prog} … | {sink.prog}` runs a downloaded script without "
                    "verifying it: download to a file and check a pinned sha256 first",
                )
        i = j + 1
    # 2. sh -c "$(curl …)", eval "$(curl …)"
    for c in cmds:
        prog = c.prog
        rest = c.words[1:]
        if prog in INTERPRETERS or _PY_RE.match(prog):
            for n, w in enumerate(rest):
                if w.value.startswith("-") and not w.value.startswith("--") and "c" in w.value[1:]:
                    if n + 1 < len(rest) and _CMD_SUBST_DL().search(rest[n + 1].raw):
                        yield (
                            body_start(c),
                            c.end,
                            f'`{prog} -c "$(curl …)"` runs a downloaded script without verifying it',
                        )
                    break
        elif prog == "eval" and any(_CMD_SUBST_DL().search(w.raw) for w in rest):
            yield body_start(c), c.end, '`eval "$(curl …)"` runs a downloaded script without verifying it'
    # 3. bash <(curl …)
    for m in _PROC_SUBST().finditer(text) if "<(" in text else ():
        start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip(" \t\n;&|(")))
        if start in seen:
            continue
        yield start, m.end(), "`bash <(curl …)` runs a downloaded script without verifying it"
    # 4. PowerShell: iex (New-Object Net.WebClient).DownloadString(…), iwr … | iex
    for m in _PS_IEX().finditer(text) if _may_run_powershell_download(text) else ():
        yield (
            m.start(),
            m.end(),
            "`Invoke-Expression` runs a downloaded script without verifying it: save it, check "
            "`Get-FileHash` against a pinned sha256, then run it",
        )


def _downloads_to_stdout(cmd: Cmd) -> bool:
    prog = cmd.prog
    if prog not in DOWNLOADERS:
        return False
    args = cmd.values
    if prog == "wget":
        for n, a in enumerate(args):
            nxt = args[n + 1] if n + 1 < len(args) else ""
            if a in ("-O", "--output-document") and nxt in ("-", "/dev/stdout"):
                return True
            if a in ("--output-document=-", "--output-document=/dev/stdout", "-O-"):
                return True
            if a.startswith("-") and not a.startswith("--") and "O" in a:
                tail = a[a.index("O") + 1 :]
                if tail in ("-", "/dev/stdout") or (tail == "" and nxt in ("-", "/dev/stdout")):
                    return True
        return False
    # curl writes to stdout unless -o FILE / -O / --output FILE / --remote-name
    for n, a in enumerate(args):
        nxt = args[n + 1] if n + 1 < len(args) else ""
        if a in ("-o", "--output"):
            if nxt not in ("-", "/dev/stdout"):
                return False
        elif a.startswith("--output="):
            if a.split("=", 1)[1] not in ("-", "/dev/stdout"):
                return False
        elif a in ("-O", "--remote-name", "--remote-name-all", "-J"):
            return False
        elif a.startswith("-") and not a.startswith("--") and len(a) > 1:
            for pos, ch in enumerate(a[1:], 1):
                if ch == "O":
                    return False
                if ch in _CURL_ARG_LETTERS:
                    if ch == "o":
                        value = a[pos + 1 :] or nxt
                        if value not in ("-", "/dev/stdout"):
                            return False
                    break
    return True


def _runs_stdin(cmd: Cmd) -> bool:
    """An interpreter that reads its program from stdin (no script argument, `-` or `-s`)."""
    prog = cmd.prog
    if not (prog in INTERPRETERS or _PY_RE.match(prog)):
        return False
    args = cmd.values
    for a in args:
        if a in ("-", "-s", "/dev/stdin"):
            return True
        if a == "--":
            continue
        if a.startswith("-"):
            if not a.startswith("--") and (
                "c" in a[1:] or ("e" in a[1:] and prog in ("perl", "ruby", "node"))
            ):
                return False  # -c / -e: the program is an argument, stdin is data
            if prog.startswith("python") and a in ("-m",):
                return False
            if a in ("-e", "--eval", "-p", "--print", "-r", "-R"):
                return False
            continue
        return False  # a script file argument: stdin is data
    return True
