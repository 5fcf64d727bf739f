"""HF303: a credential file is COPY'd or ADD'ed into the image."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hardenify.context import CheckContext, unsafe_fix
from hardenify.contextfiles import context_root, read
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.rules import References, Rule

from ._secretcopy import CopySource, copy_sources, copy_to_secret
from ._secretfix import Plan

RULE = Rule(
    code="HF303",
    name="credential-file-copied",
    severity=Severity.ERROR,
    summary="COPY/ADD puts a credential file into the image (.npmrc, .netrc, id_rsa, *.key, .env...).",
    what="Reports COPY and ADD sources that are credential files: `.npmrc`, `.netrc`, `.pypirc`, "
    "`pip.conf`, Maven `settings.xml` (under `.m2` or a `maven` path), `.git-credentials`, "
    "`.docker/config.json`, `.aws/credentials` and the `.aws`/`.ssh` directories, SSH keys "
    "(`id_rsa`, `id_ed25519`, ...), private keys and keystores (`*.key`, `*.pem`, `*.p12`, `*.pfx`, "
    "`*.jks`) and `.env`/`.env.<name>` files. Names that say the file is public are skipped: "
    "certificates and CA bundles (`ca.pem`, `cert.pem`, `fullchain.pem`), signing keys "
    "(`repo.key`, `*.gpg.key`, `release.key`) and keys copied to a `.pub`/`.asc`/`.gpg` or apt keyring "
    "destination; so are `.env.example`/`.sample`/`.template`/`.dist`. A `*.pem` counts only when its "
    "name suggests a key (key, private, tls, server, ...). An `.npmrc` is read from the build context "
    "(a regular file inside it, at most 256 KiB): one with no credential in it (`engine-strict`, "
    "`shamefully-hoist`, a registry without auth, `_authToken=${NPM_TOKEN}`) is not reported; when it "
    "cannot be read it is reported by name, with a note saying so.",
    why="Every COPY creates a layer; a later `RUN rm` only hides the file in a newer layer, and "
    "anyone who can pull the image can extract it (`docker save`). Build-time credentials belong in "
    "a BuildKit secret mount, runtime ones in a runtime secret. CIS Docker Benchmark 4.10.",
    example="FROM node:22\nWORKDIR /app\nCOPY package.json package-lock.json .npmrc ./\n"
    "RUN npm ci && rm -f .npmrc",
    fix="For the common shape only: the file is removed from the COPY (the whole COPY when it was the "
    "only source) and every later RUN that reads it (names it, or runs a tool that reads it: npm/yarn/"
    "pnpm for `.npmrc`, pip for `pip.conf`, mvn for `settings.xml`, git for `.git-credentials`, ...) "
    "gets `--mount=type=secret,id=npmrc,target=/app/.npmrc` at the same path (`mode=0444` when a "
    "non-root USER reads it). `rm` commands deleting the file are dropped: a secret mount leaves "
    "nothing behind, and deleting it would fail. Build with `docker build --secret id=npmrc,src=.npmrc .`.",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="Unsafe: the build then needs the file passed with `--secret`. No fix when the destination "
    "cannot be resolved statically (relative path without WORKDIR, variables, `~`), for `COPY --from`, "
    "directories, exec-form COPY with several sources, Windows images, when no later RUN reads the file, "
    "or for keys, `.env` and AWS credentials that nothing deletes after the build (the application may "
    "read them at runtime).",
    references=References(trivy=("DS031",), cis=("4.10",)),
)


_NPMRC_AUTH_KEY = re.compile(r"(?i)(?:^|:)(?:_authtoken|_auth|_password|password)$")
_URL_USERINFO = re.compile(r"(?i)[a-z][a-z0-9+.-]*://[^/@\s]+@")
_ONLY_VARS = re.compile(r"^(?:\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*)$")


def npmrc_has_credential(text: str) -> bool:
    """Does an `.npmrc` hold a credential: an `_authToken`/`_auth`/`_password` with a literal
    value, or a URL with `user:pass@`? `engine-strict`, `shamefully-hoist` and a registry
    without auth do not, and `_authToken=${NPM_TOKEN}` only names a variable."""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip().strip("\"'")
        if _URL_USERINFO.search(line):
            return True
        if sep and _NPMRC_AUTH_KEY.search(key) and value and not _ONLY_VARS.match(value):
            return True
    return False


def _content_check(ctx: CheckContext, cs: CopySource) -> tuple[bool, str | None]:
    """(is a credential, note) from the file in the build context, for kinds whose name alone
    does not decide (`.npmrc`). Unreadable: still a credential, with a note saying so."""
    if cs.kind.key != "npmrc" or cs.ins.flag("from") is not None:
        return True, None
    root = context_root(ctx.disk_path)
    text = read(root, cs.src) if root is not None else None
    if text is None:
        where = (
            "no build context on disk" if root is None else "not a readable regular file in the build context"
        )
        return True, f"could not check whether `{cs.src}` holds a credential ({where})"
    return npmrc_has_credential(text), None


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    for node in df.instructions:
        ins, onbuild = node, False
        if node.cmd == "ONBUILD" and node.sub is not None:
            ins, onbuild = node.sub, True
        for cs in copy_sources(ins):
            credential, unchecked = _content_check(ctx, cs)
            if not credential:
                continue  # an .npmrc of settings only (engine-strict, a registry without auth)
            msg = (
                f"{ins.cmd} puts `{cs.src}` ({cs.kind.label}) into an image layer: anyone who can pull "
                "the image can read it, even if a later step deletes it"
            )
            plan: Plan | str = "ONBUILD instructions are not rewritten" if onbuild else copy_to_secret(df, cs)
            if cs.start >= 0:
                start, end = ins.src(cs.start), ins.src(cs.end, end=True)
            else:
                start, end = ins.start + len(ins.indent), ins.content_end
            if isinstance(plan, Plan):
                note = f"Reported by name: {unchecked}." if unchecked else None
                yield ctx.diagnostic(
                    RULE, start, end, msg, fix=unsafe_fix(plan.message, *plan.edits), note=note
                )
            else:
                extra = f" Reported by name: {unchecked}." if unchecked else ""
                yield ctx.diagnostic(RULE, start, end, msg, note=f"No automatic fix: {plan}.{extra}")
