"""HF301: an ARG or ENV whose name says it holds a secret."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hardenify.context import CheckContext, unsafe_fix
from hardenify.contextfiles import context_root
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.dockerfile.model import Instruction
from hardenify.rules import References, Rule
from hardenify.secrets import (
    is_ambiguous_name,
    is_key_fingerprint,
    is_password_name,
    is_placeholder,
    is_secret_name,
    looks_like_key_material,
    register,
)

from ._secretfix import Decl, Plan, declarations, var_to_secret

RULE = Rule(
    code="HF301",
    name="secret-in-arg-env",
    severity=Severity.WARNING,
    summary="An ARG or ENV has a secret-looking name (TOKEN, PASSWORD, SECRET, API_KEY...).",
    what="Reports ARG and ENV declarations whose name looks like a credential, the way BuildKit's "
    "`SecretsUsedInArgOrEnv` check does: a name containing one of the tokens apikey, auth, "
    "credential(s), key, password, pword, passwd, secret or token as a whole `_`-separated (or "
    "camelCase) word, plus pass, pwd, psw and passphrase (`NPM_TOKEN`, `DB_PASS`, `githubToken`). "
    "Names are not secrets when they carry `public`, `file`, `version`, `gpg`/`pgp` or `fingerprint` "
    "anywhere (`GPG_KEY`, `SECRET_KEY_FILE`), or end in a word describing the secret rather than "
    "holding it: `_PATH`, `_DIR`, `_URL`, `_HOST`, `_PORT`, `_TYPE`, `_MODE`, `_ENABLED`, `_LENGTH`, "
    "`_SIZE`, `_NAME`, `_ID`, `_USER`, `_TTL`... (`AUTH_URL`, `PASSWORD_MIN_LENGTH`); `AWS_ACCESS_KEY_ID` "
    "and a few other well-known credential variables always count; durations and limits "
    "(`ACCESS_TOKEN_EXPIRE_MINUTES`, `TOKEN_TTL`) do not. A value that cannot be a credential is not "
    "reported: an empty ENV, a boolean, a number (except for a password), a path or file name "
    "(`NGROK_CA_KEY=assets/ngrok/root.key`), a URL without `user:pass@` or a `?token=`-like parameter, "
    "and a key id or fingerprint under a `key`/`auth` name. An ARG without a value is still reported.",
    why="Build arguments are recorded in the image history and provenance attestations "
    "(`docker history --no-trunc`), and ENV values are stored in the image configuration, visible to "
    "anyone who can pull the image (`docker inspect`) and to every process in the container. BuildKit "
    "secret mounts expose a secret to one RUN step only and never store it. CIS Docker Benchmark 4.10.",
    example="FROM node:22\nARG NPM_TOKEN\nRUN npm config set //registry.npmjs.org/:_authToken=$NPM_TOKEN && npm ci",
    fix="Remove the ARG/ENV and mount the secret on each RUN that uses it (`$NAME`, `${NAME}`, the name "
    "itself, or a tool known to read it from the environment, such as npm/yarn/pnpm for NPM_TOKEN). With "
    "`# syntax=docker/dockerfile:1` (or 1.10+) the mount sets the variable directly: "
    "`RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci`. Without it the portable form reads "
    'the file: `RUN --mount=type=secret,id=npm_token NPM_TOKEN="$(cat /run/secrets/npm_token)" npm ci` '
    '(or `NAME="$(cat ...)" && export NAME && ...` when several commands use it; `mode=0444` is added '
    "when a non-root USER reads it). Existing `--mount` flags are kept. Unquoted `$NAME` references in "
    "those RUN steps are double-quoted: hadolint treats an ARG/ENV as a constant and stays quiet about "
    "them, but reports ShellCheck SC2086 once the value comes from a secret. Build with "
    "`docker build --secret id=npm_token,env=NPM_TOKEN .`; `hardenify fix` prints the flags.",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="Unsafe: the build then needs `--secret` instead of `--build-arg`, and a RUN step that "
    "reads the variable without naming it (a tool reading its environment) stops seeing it. There is no "
    "fix when the name is used outside RUN (COPY, LABEL, another ENV, CMD...), in an exec-form RUN, "
    "under a non-POSIX SHELL, on Windows images, when RUN steps see it but none names it, or when an ENV "
    "is not used by any RUN: then it is runtime configuration, and removing it would silently break "
    "the application; pass it when the container starts (`docker run --env-file`, compose `secrets:`). "
    "When an ENV in the final stage is moved into a secret mount, the fix message says it is no longer "
    "set at runtime.",
    references=References(
        hadolint=("DL3064",), trivy=("DS031",), buildkit=("SecretsUsedInArgOrEnv",), cis=("4.10",)
    ),
)

_SWITCH_VALUES = frozenset({"true", "false", "yes", "no", "on", "off", "0", "1", "enabled", "disabled"})
# Extensions of files a variable may name (a path to a key is not the key).
_FILE_EXT = re.compile(
    r"(?i)\.(?:key|pem|crt|cer|der|csr|p12|pfx|jks|keystore|truststore|json|ya?ml|toml|ini|conf|cfg|"
    r"properties|xml|txt|env|asc|gpg|pub|sig|secret|token|gz|zip)$"
)
_URL = re.compile(r"(?i)^[a-z][a-z0-9+.-]*://([^/?#]*)([^#]*)")
_CREDENTIAL_QUERY = re.compile(
    r"(?i)[?&](?:[\w.-]*(?:token|key|secret|password|passwd|pwd|auth|sig|signature))="
)


def _is_path(v: str) -> bool:
    """A file path or file name: `/etc/app/key.pem`, `./certs/ca.key`, `$HOME/.ssh/id`, `a/b.key`,
    `server.key`. A relative path with no extension may be base64 (`wJalr/K7MDENG/bPx`): not a path."""
    if any(c.isspace() for c in v) or "://" in v:
        return False
    if v.startswith(("/", "./", "../", "~/", "$")) and "/" in v:
        return True
    return bool(_FILE_EXT.search(v)) and not looks_like_key_material(v.rsplit(".", 1)[0].rsplit("/", 1)[-1])


def _is_plain_url(v: str) -> bool:
    """A URL with no credential in it: no `user:pass@`, no `?token=`-like parameter."""
    m = _URL.match(v)
    return m is not None and "@" not in m.group(1) and not _CREDENTIAL_QUERY.search(m.group(2))


def holds_no_secret(d: Decl) -> bool:
    """Values that cannot be a credential: empty (ENV), a switch, a number, a path or file name,
    a URL without credentials, or a key id/fingerprint under a `key`/`auth` name.

    `ENV NGROK_CA_KEY=assets/ngrok/ngrokroot.key` names a file the build writes; turning it into a
    secret mount of a secret nobody provides broke the build.
    """
    if d.value is None:
        return False
    v = d.value.strip()
    if not v:
        return d.kind == "ENV"
    if v.lower() in _SWITCH_VALUES or _is_path(v) or _is_plain_url(v):
        return True
    if v.isdigit() and not is_password_name(d.name):
        return True  # a count or a duration; a numeric password is still a password
    if is_ambiguous_name(d.name) and is_key_fingerprint(v) and (len(v) >= 40 or v.lower().startswith("0x")):
        # `HASHICORP_KEY=C874011F...`: a full fingerprint (or 0x key id) of a public signing key;
        # a bare 16-hex value may as well be an API key
        return True
    # `Filters__0__Key=ProcessId`, `AUTH=basic`: only `key`/`auth` make the name look secret,
    # and the value is plainly not key material.
    return (
        is_ambiguous_name(d.name)
        and "$" not in v
        and not is_placeholder(v)
        and not looks_like_key_material(v)
    )


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    plans: dict[str, Plan | str] = {}
    for ins in df.instructions:
        target: Instruction = ins
        onbuild = False
        if ins.cmd == "ONBUILD" and ins.sub is not None:
            target, onbuild = ins.sub, True
        for d in declarations(target):
            if not is_secret_name(d.name) or holds_no_secret(d):
                continue
            if d.value and not is_placeholder(d.value):
                register(ctx, d.value)
            if onbuild:
                plan: Plan | str = "ONBUILD declarations are not rewritten"
            else:
                if d.name not in plans:
                    plans[d.name] = var_to_secret(df, d.name, context_root(ctx.disk_path))
                plan = plans[d.name]
            yield _diagnostic(ctx, d, plan)


def _diagnostic(ctx: CheckContext, d: Decl, plan: Plan | str) -> Diagnostic:
    ins = d.ins
    if d.kind == "ARG":
        msg = (
            f"ARG `{d.name}` looks like a secret: build arguments are recorded in the image history; "
            "use a secret mount (`RUN --mount=type=secret`)"
        )
    else:
        msg = (
            f"ENV `{d.name}` looks like a secret: ENV values are stored in the image configuration "
            "for anyone who can pull it"
        )
        if isinstance(plan, str) and "runtime" in plan:
            msg += "; pass it when the container starts instead (`docker run --env-file`, compose `secrets:`)"
        else:
            msg += "; use a secret mount (`RUN --mount=type=secret`)"
    start, end = ins.src(d.start), ins.src(d.end, end=True)
    if isinstance(plan, Plan):
        return ctx.diagnostic(
            RULE, start, end, msg, fix=unsafe_fix(plan.message, *plan.edits), note=plan.action or None
        )
    return ctx.diagnostic(RULE, start, end, msg, note=f"No automatic fix: {plan}.")
