"""HF414: the build downloads code or packages over plain HTTP (or FTP)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.dockerfile.model import Instruction, env_pairs
from hardenify.dockerfile.runs import Cmd, program_name, run_text
from hardenify.rules import References, Rule, lazy_regex

RULE = Rule(
    code="HF414",
    name="plain-http-download",
    severity=Severity.WARNING,
    summary="The build downloads files or packages over plain HTTP or FTP.",
    what="Reports, in RUN commands (heredoc scripts and `sh -c` strings included) and ENV:\n\n"
    "- `curl`/`wget` of an `http://` or `ftp://` URL;\n"
    "- `ADD http://…`;\n"
    "- a package index over HTTP: `pip install --index-url`/`-i`/`--extra-index-url`/"
    "`--find-links`/`-f`, `pip config set global.index-url`, `npm`/`yarn`/`pnpm` `--registry` "
    "or `config set registry`, and ENV `PIP_INDEX_URL`, `PIP_EXTRA_INDEX_URL`, "
    "`NPM_CONFIG_REGISTRY`;\n"
    "- an apt source `deb http://…` written by the build for a third-party repository without "
    "`[signed-by=…]`.\n\n"
    "Not reported: loopback and `.localhost` hosts, URLs whose host is a variable, a download "
    "that the same RUN verifies (`sha256sum -c`, `sha512sum -c`, `gpg --verify`, `cosign "
    "verify-blob`...), and the distributions' own apt mirrors (apt checks their Release "
    "signatures with the keys the image ships).",
    why="Anything fetched over plain HTTP can be read and replaced by whoever sits on the path "
    "(a compromised Wi-Fi, a proxy, a hostile network in CI): the build then runs or ships their "
    "code. A package index over HTTP also leaks which packages and versions the image uses, and "
    "pip and npm do not verify packages from a custom index by signature.",
    example="FROM debian:bookworm-slim\n"
    "RUN curl -fsSLo /usr/local/bin/tool http://example.com/tool && chmod +x /usr/local/bin/tool\n"
    "RUN pip install --index-url http://pypi.corp.example/simple app",
    fix="No automatic fix: whether the server answers over HTTPS cannot be known from the file. "
    "Use the `https://` URL, or verify the download against a pinned checksum "
    '(`echo "<sha256>  file" | sha256sum -c -`) or signature in the same RUN.',
    references=References(cis=("4.11",)),
)

_DOWNLOADERS = frozenset({"curl", "wget"})
# Flags that name a package index, per program family (`-f` is npm's --force: pip only).
_PIP_FLAGS = frozenset({"--index-url", "-i", "--extra-index-url", "--find-links", "-f", "--index"})
_NPM_FLAGS = frozenset({"--registry"})
_PKG_FLAGS = {
    "pip": _PIP_FLAGS,
    "pip3": _PIP_FLAGS,
    "uv": _PIP_FLAGS,
    "npm": _NPM_FLAGS,
    "yarn": _NPM_FLAGS,
    "pnpm": _NPM_FLAGS,
}
_ENV_INDEXES = frozenset(
    {
        "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "PIP_FIND_LINKS",
        "NPM_CONFIG_REGISTRY",
        "UV_INDEX_URL",
        "UV_EXTRA_INDEX_URL",
        "YARN_REGISTRY",
        "YARN_NPM_REGISTRY_SERVER",
    }
)
_VERIFIERS = lazy_regex(
    r"\bsha(?:1|224|256|384|512)sum\b[^\n]*\s(?:-c|--check)\b|\bgpg2?\b[^\n]*--verify|\bcosign\s+verify"
    r"|\bminisign\b[^\n]*-V|\bopenssl\s+dgst\b[^\n]*-verify|\bchecksum\b"
)
_APT_LINE = lazy_regex(r"(?:^|[\s\"'])deb(?:-src)?\s+(\[[^\]]*\]\s+)?(http://[^\s\"']+)", re.M)
# Hosts of distributions' own apt mirrors: their Release files are checked with the keys the
# base image ships, so HTTP there is apt's normal, signed transport.
_DISTRO_MIRRORS = lazy_regex(
    r"^(?:[\w-]+\.)*(?:debian\.org|ubuntu\.com|archive\.canonical\.com|kali\.org|raspbian\.org"
    r"|linuxmint\.com|devuan\.org)$"
)


def _plain_url(value: str) -> str | None:
    """The value when it is an http:// or ftp:// URL to a real, literal host; else None."""
    low = value.strip().strip("'\"").lower()
    if not (low.startswith("http://") or low.startswith("ftp://")):
        return None
    try:
        host = urlsplit(low).hostname or ""
    except ValueError:
        return None
    if not host or "$" in host or "{" in host or "%" in host:
        return None
    if host in ("localhost", "::1") or host.endswith(".localhost") or host.startswith("127."):
        return None
    return value.strip().strip("'\"")


def _url_in(value: str) -> str | None:
    """`--index-url=http://…` style: the URL after the first `=`, or the value itself."""
    return _plain_url(value.partition("=")[2] if value.startswith("-") else value)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    for ins in ctx.df.instructions:
        target = ins.sub if ins.cmd == "ONBUILD" and ins.sub is not None else ins
        if target.cmd == "ADD":
            yield from _add(ctx, ins, target)
        elif target.cmd == "ENV":
            yield from _env(ctx, ins, target)
        elif target.cmd == "RUN" and target.json is None:
            yield from _run(ctx, ins, target)


def _add(ctx: CheckContext, ins: Instruction, add: Instruction) -> Iterator[Diagnostic]:
    words = add.args.split()
    for w in words[:-1]:
        if not w.startswith("--") and _plain_url(w):
            yield ctx.at(RULE, ins, f"`ADD {w}` downloads over plain HTTP: use an https:// URL")


def _env(ctx: CheckContext, ins: Instruction, env: Instruction) -> Iterator[Diagnostic]:
    for key, value, s, e in env_pairs(env):
        if key.upper() in _ENV_INDEXES and any(_plain_url(v) for v in value.split()):
            start, end = env.arg_src(s), env.arg_src(e, end=True)
            yield ctx.diagnostic(
                RULE, start, end, f"`{key}` points the package manager at an index over plain HTTP"
            )


def _run(ctx: CheckContext, outer: Instruction, run: Instruction) -> Iterator[Diagnostic]:
    text = run_text(run)
    if "http://" not in text.lower() and "ftp://" not in text.lower():
        return
    verified = _VERIFIERS().search(text) is not None
    for cmd in outer.commands:
        found = _command_url(cmd, verified)
        if found is None:
            continue
        index, what = found
        if cmd.editable:
            start, end = cmd.pos(cmd.words[index].start), cmd.pos(cmd.words[index].end, end=True)
        else:
            start, end = cmd.span()
        yield ctx.diagnostic(RULE, start, end, what)
    for m in _APT_LINE().finditer(text):
        options, url = m.group(1) or "", m.group(2)
        host = urlsplit(url.lower()).hostname or ""
        if "signed-by" in options or _DISTRO_MIRRORS().match(host) or _plain_url(url) is None:
            continue
        yield ctx.at(
            RULE,
            outer,
            f"apt source `{url}` is plain HTTP without `[signed-by=…]`: any key apt trusts can "
            "sign it; use https:// and a `signed-by` keyring",
        )


def _command_url(cmd: Cmd, verified: bool) -> tuple[int, str] | None:
    """(word index, message) of the first plain-HTTP URL this command fetches from."""
    if not cmd.words:
        return None
    prog = program_name(cmd.words[0].value)
    values = [w.value for w in cmd.words]
    if prog in _DOWNLOADERS:
        if verified:
            return None
        for i, v in enumerate(values[1:], 1):
            if not v.startswith("-") and _plain_url(v):
                return (
                    i,
                    f"`{prog}` downloads `{_plain_url(v)}` over plain HTTP: use https:// or check a pinned sha256",
                )
        return None
    base = prog
    if prog.startswith("python") and len(values) > 2 and values[1] == "-m":
        base = values[2]
    flags = _PKG_FLAGS.get(base)
    if flags is None:
        return None
    for i, v in enumerate(values[1:], 1):
        flag = v.partition("=")[0]
        if flag in flags:
            url = _url_in(v) if "=" in v else (_plain_url(values[i + 1]) if i + 1 < len(values) else None)
            if url:
                return i, f"`{base} {flag}` uses a package index over plain HTTP (`{url}`): use https://"
        if v in ("registry", "global.index-url", "global.extra-index-url", "index-url") and i + 1 < len(
            values
        ):
            url = _plain_url(values[i + 1])
            if url and "set" in values[1:i]:
                return i + 1, f"`{base} config set {v}` points at a package index over plain HTTP (`{url}`)"
    return None
