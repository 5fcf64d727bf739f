"""Secret detection and redaction shared by the core and the rules: secret-looking names,
known token formats, placeholders, credentials on a command line and credential files.

The facts (token lists, formats, placeholders, credential file kinds) live in
`hardenify.knowledge.secrets`; this module applies them. Nothing here does I/O or raises on
odd input. Values found here are secrets: callers must register them with `ctx.secret(value)`
(see `register`) before building any message.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING, NamedTuple

from hardenify.knowledge.secrets import (
    ALLOW_ANYWHERE,
    ALLOW_FIRST,
    ALLOW_LAST,
    ALWAYS_SECRET,
    AMBIGUOUS_TOKENS,
    CREDENTIAL_KINDS,
    DENY_TOKENS,
    IMPLICIT_PREFIXES,
    IMPLICIT_READERS,
    LOGIN_PROGRAMS,
    MYSQL_CLIENTS,
    NEVER_SECRET,
    PASSWORD_TOKENS,
    PLACEHOLDER_CHECKED,
    PLACEHOLDER_SUBSTRINGS,
    PLACEHOLDER_WORDS,
    PUBLIC_KEY_HINTS,
    SECRET_OPTION_RE,
    SHELLS,
    SHORT_PASSWORD_FLAGS,
    TOKEN_FORMATS,
    CredentialKind,
    TokenFormat,
)
from hardenify.rules import lazy_regex

if TYPE_CHECKING:
    from hardenify.context import CheckContext

# ------------------------------------------------------------------------------- secret names

_CAMEL_RE = lazy_regex(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def name_tokens(name: str) -> list[str]:
    """`API_KEY` → ["api", "key"]; `githubToken` → ["github", "token"]; `APIKey` → ["api", "key"]."""
    out: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", name):
        if not part:
            continue
        if part.isupper() or part.islower() or part.isdigit():
            out.append(part.lower())
        else:
            out.extend(m.group(0).lower() for m in _CAMEL_RE().finditer(part))
    return out


@lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """Does an ARG/ENV name look like it holds a secret?

    Mirrors BuildKit's SecretsUsedInArgOrEnv (a deny token as a whole `_`-separated token,
    unless an allow token is present), with the extra tokens and allow rules above.
    """
    if not name or name.upper() in NEVER_SECRET:
        return False
    if name.upper() in ALWAYS_SECRET:
        return True
    toks = name_tokens(name)
    if not toks or not any(t in DENY_TOKENS for t in toks):
        return False
    if any(t in ALLOW_ANYWHERE for t in toks):
        return False
    if toks[-1] in ALLOW_LAST and toks[-1] not in DENY_TOKENS:
        return False
    return not (toks[0] in ALLOW_FIRST and len(toks) > 1)


def is_password_name(name: str) -> bool:
    """A name that holds a password: any non-placeholder value of it is a secret."""
    return is_secret_name(name) and any(t in PASSWORD_TOKENS for t in name_tokens(name))


def is_ambiguous_name(name: str) -> bool:
    """Secret-looking only through `key`/`auth` (`Filters__0__Key`, `AUTH`): its value decides."""
    deny = {t for t in name_tokens(name) if t in DENY_TOKENS}
    return bool(deny) and deny <= AMBIGUOUS_TOKENS and name.upper() not in ALWAYS_SECRET


def looks_like_key_material(value: str) -> bool:
    """High-entropy-looking: 12+ characters without spaces mixing letters and digits (or 24+
    characters of a base64/hex alphabet). `ProcessId`, `assets`, `basic` are not."""
    v = value.strip().strip("\"'")
    if len(v) < 12 or any(c.isspace() for c in v):
        return False
    if any(c.isdigit() for c in v) and any(c.isalpha() for c in v):
        return True
    return len(v) >= 24 and bool(re.fullmatch(r"[A-Za-z0-9+/=_\-.]+", v))


def is_hardcoded_secret(name: str, value: str | None) -> bool:
    """Is `value`, assigned to `name`, a real credential written into the file?

    Password names: any value that is not a placeholder. Other secret names (TOKEN, SECRET,
    API_KEY...): only values that look like key material, so `SECRET_KEY_BASE=assets` or
    `Filters__0__Key=ProcessId` are not reported.
    """
    if value is None or not is_secret_name(name) or is_placeholder(value):
        return False
    if is_password_name(name):
        return True
    if name_tokens(name) == ["key"] and is_key_fingerprint(value):
        return False  # docker-library's `key='<GPG fingerprint>'`
    return looks_like_key_material(value)


def is_key_fingerprint(value: str) -> bool:
    """A PGP key id or fingerprint (8, 16 or 40 hex digits, optionally 0x-prefixed or spaced)."""
    v = value.strip().strip("\"'").replace(" ", "")
    v = v[2:] if v.lower().startswith("0x") else v
    return len(v) in (8, 16, 40) and bool(re.fullmatch(r"[0-9A-Fa-f]+", v))


_VAR_REF_RE = re.compile(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\$\([^)]*\)")


def is_placeholder(value: str | None) -> bool:
    """Is a value obviously not a real credential?

    Empty; only `${VAR}`/`$VAR` references; a well-known placeholder word (changeme,
    password, none, true...); something containing example/placeholder/dummy/fake; `xxx`,
    `***`, `<token>`, `{{ token }}`, `your-token-here`; a short number; a path or a URL
    without credentials (the value then names where the secret lives, not the secret).
    """
    if value is None:
        return True
    v = value.strip().strip("\"'").strip()
    if not v:
        return True
    if not _VAR_REF_RE.sub("", v).strip(" \t\"':@/"):
        return True
    low = v.lower()
    if low in PLACEHOLDER_WORDS or any(s in low for s in PLACEHOLDER_SUBSTRINGS):
        return True
    if re.fullmatch(r"x{3,}|\*{3,}|\.{3,}|_+|#+|0+", low):
        return True
    if re.fullmatch(r"<[^<>]*>|\{\{.*\}\}|%[^%]*%|@[^@]*@|\[[^\]]*\]", v):
        return True
    if re.match(r"your[-_ ]", low) or re.search(r"[-_ ]here$", low):
        return True
    if v.isdigit() and len(v) < 6:
        return True
    if v.startswith(("/", "~/", "./", "../")) and " " not in v:
        return True
    return bool(re.match(r"[a-z][a-z0-9+.-]*://[^@\s]*$", low))


# ----------------------------------------------------------------------------- token formats


@cache
def _token_gate() -> re.Pattern[str]:
    """One pass that finds none of the hints in text holding no token (nearly all text)."""
    alts = {re.escape(h) for fmt in TOKEN_FORMATS if not fmt.fold for h in fmt.hints}
    folded = "|".join(re.escape(h) for fmt in TOKEN_FORMATS if fmt.fold for h in fmt.hints)
    return re.compile("|".join(sorted(alts)) + f"|(?i:{folded})")


class SecretMatch(NamedTuple):
    fmt: TokenFormat
    start: int  # span of the secret itself in the searched text
    end: int
    value: str


def find_tokens(text: str) -> list[SecretMatch]:
    """Known credential formats in `text`, without overlaps, in order."""
    if _token_gate().search(text) is None:
        return []
    found: list[SecretMatch] = []
    for fmt in TOKEN_FORMATS:
        if not fmt.may_match(text):
            continue
        for m in fmt.regex.finditer(text):
            start, end = m.span(fmt.group)
            value = m.group(fmt.group)
            if start < 0 or not value:
                continue
            if fmt.key in PLACEHOLDER_CHECKED and _url_password_placeholder(value):
                continue
            if "EXAMPLE" in value.upper() and fmt.key != "private-key":
                continue
            found.append(SecretMatch(fmt, start, end, value))
    found.sort(key=lambda sm: (sm.start, -(sm.end - sm.start)))
    out: list[SecretMatch] = []
    for sm in found:
        if out and sm.start < out[-1].end:
            continue
        out.append(sm)
    return out


def _url_password_placeholder(pw: str) -> bool:
    if "$" in pw or re.fullmatch(r"%[^%]+%", pw):
        return True
    return is_placeholder(pw) or pw.lower() in ("pass", "pw", "pwd", "user", "x", "token")


def register(ctx: CheckContext, value: str) -> None:
    """Register a secret for redaction: the whole value and each of its lines."""
    ctx.secret(value)
    for line in re.split(r"\\n|\r?\n", value):
        if line.strip():
            ctx.secret(line.strip())


# --------------------------------------------------------------------- secrets in a command line


class ArgSecret(NamedTuple):
    """A literal secret in an argument vector: argv[word][offset:] is the value."""

    word: int
    offset: int
    what: str


def argv_secrets(argv: list[str], start: int = 0) -> list[ArgSecret]:
    """Literal credentials passed as options: `--password X`/`--token=X`, `curl -u user:pass`,
    `mysql -pX`, `sshpass -p X`, `redis-cli -a X`, `mongosh -p X`, `docker login -p X`.

    `argv[start]` is the program (a path or a name). Values holding `$` (a variable the
    shell or compose fills in) and placeholders are not secrets.
    """
    if start >= len(argv):
        return []
    prog = argv[start].rsplit("/", 1)[-1]
    short = SHORT_PASSWORD_FLAGS.get(prog)
    if prog in LOGIN_PROGRAMS and "login" in argv[start + 1 : start + 3]:
        short, prog = "-p", f"{prog} login"
    out: list[ArgSecret] = []

    def literal(v: str) -> bool:
        return bool(v) and "$" not in v and not v.startswith("-") and not is_placeholder(v)

    for k in range(start + 1, len(argv)):
        word = argv[k]
        nxt = argv[k + 1] if k + 1 < len(argv) else None
        opt, eq, val = word.partition("=")
        if opt.startswith("--") and SECRET_OPTION_RE.match(opt):
            if eq:
                if literal(val):
                    out.append(ArgSecret(k, len(opt) + 1, f"a hard-coded `{opt}`"))
            elif nxt is not None and literal(nxt):
                out.append(ArgSecret(k + 1, 0, f"a hard-coded `{opt}`"))
        elif prog == "curl" and word in ("-u", "--user") and nxt is not None:
            _user, colon, pw = nxt.partition(":")
            if colon and "$" not in nxt and pw and not is_placeholder(pw):
                out.append(ArgSecret(k + 1, 0, "a hard-coded `curl -u` password"))
        elif prog in MYSQL_CLIENTS and word.startswith("-p") and len(word) > 2 and not word.startswith("--"):
            if literal(word[2:]):
                out.append(ArgSecret(k, 2, f"a hard-coded `{prog} -p` password"))
        elif short is not None and word.startswith(short) and not word.startswith("--"):
            if word == short:
                if nxt is not None and literal(nxt):
                    out.append(ArgSecret(k + 1, 0, f"a hard-coded `{prog} {short}` password"))
            elif literal(word[len(short) :]):
                out.append(ArgSecret(k, len(short), f"a hard-coded `{prog} {short}` password"))
    return out


def shell_script(argv: list[str]) -> tuple[int, str] | None:
    """`sh -c SCRIPT` / `bash -lc SCRIPT`: (index of SCRIPT, SCRIPT), else None."""
    if not argv or argv[0].rsplit("/", 1)[-1] not in SHELLS:
        return None
    for k in range(1, len(argv) - 1):
        w = argv[k]
        if w.startswith("-") and not w.startswith("--") and "c" in w[1:]:
            return k + 1, argv[k + 1]
        if not w.startswith("-"):
            return None
    return None


# ------------------------------------------------------------------------ variable references


def ref_re(name: str) -> re.Pattern[str]:
    """`$NAME` or `${NAME...}` (not `$NAME_2`)."""
    n = re.escape(name)
    return re.compile(r"\$(?:" + n + r"(?![A-Za-z0-9_])|\{" + n + r"(?:\}|[:\-+?=#%/][^}]*\}?))")


def word_re(name: str) -> re.Pattern[str]:
    """NAME as a whole word (for `printenv NAME`, `${NAME}`, `$NAME`)."""
    return re.compile(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])")


# --------------------------------------------------------------------------------- secret ids


def secret_id_for(name: str) -> str:
    """`NPM_TOKEN` → `npm_token` (ids are lower-case, `[a-z0-9_.-]`)."""
    sid = re.sub(r"[^a-z0-9_.-]+", "_", name.lower()).strip("_.-")
    return sid or "secret"


def credential_secret_id(kind: CredentialKind, src: str) -> str:
    """The secret id a credential file of `kind` copied from `src` is mounted under."""
    if kind.fixed_id:
        return kind.fixed_id
    base = src.rstrip("/").rsplit("/", 1)[-1]
    return secret_id_for(base.lstrip("."))


def implicit_readers(name: str) -> tuple[str, ...]:
    """Programs that read the secret variable `name` from the environment without naming it."""
    up = name.upper()
    if up in IMPLICIT_READERS:
        return IMPLICIT_READERS[up]
    for prefix, readers in IMPLICIT_PREFIXES:
        if up.startswith(prefix):
            return readers
    return ()


# ------------------------------------------------------------------------- credential files

_PUBLIC_KEY_HINTS = lazy_regex(PUBLIC_KEY_HINTS, re.I)


def credential_kind(src: str, dest: str = "") -> CredentialKind | None:
    """What credential a COPY/ADD source (with its destination) is, or None.

    `*.pem`/`*.key` whose name says public (ca.pem, cert.pem, repo.key, *.gpg.key) or that
    go to a `.pub`/`.asc`/`.gpg`/apt keyring destination are not credentials. `.env.example`
    and friends are not either. `settings.xml` counts only for Maven (`.m2` or `maven` path).
    """
    s = src.strip().rstrip("/")
    if not s or "://" in s or s.startswith("<<") or "$" in s:
        return None
    base = s.rsplit("/", 1)[-1]
    low = base.lower()
    path_low = s.lower()
    dest_low = dest.lower()
    if low == ".npmrc":
        return CREDENTIAL_KINDS["npmrc"]
    if low in (".netrc", "_netrc"):
        return CREDENTIAL_KINDS["netrc"]
    if low == ".pypirc":
        return CREDENTIAL_KINDS["pypirc"]
    if low == "pip.conf":
        return CREDENTIAL_KINDS["pip_conf"]
    if low == "settings.xml" and (
        ".m2" in path_low or "maven" in path_low or ".m2" in dest_low or "maven" in dest_low
    ):
        return CREDENTIAL_KINDS["maven_settings"]
    if low == ".git-credentials":
        return CREDENTIAL_KINDS["git_credentials"]
    if low == "config.json" and (
        path_low.endswith(".docker/config.json") or "/.docker/" in dest_low or dest_low.endswith("/.docker")
    ):
        return CREDENTIAL_KINDS["docker_config"]
    if low == "credentials" and (path_low.endswith(".aws/credentials") or "/.aws" in dest_low):
        return CREDENTIAL_KINDS["aws_credentials"]
    if low == ".ssh":
        return CREDENTIAL_KINDS["ssh_dir"]
    if low == ".aws":
        return CREDENTIAL_KINDS["aws_dir"]
    if re.fullmatch(r"id_(rsa|dsa|ecdsa|ed25519)(_sk)?", low):
        return CREDENTIAL_KINDS["ssh_key"]
    if low == ".env" or (
        low.startswith(".env.")
        and not re.search(r"\.(example|sample|template|tmpl|dist|defaults?|schema|test|ci|docker)$", low)
    ):
        return CREDENTIAL_KINDS["dotenv"]
    ext = low.rsplit(".", 1)[-1] if "." in low else ""
    if ext in ("pem", "key", "p12", "pfx", "jks", "keystore"):
        stem = low[: -(len(ext) + 1)]
        if ext in ("pem", "key") and (
            _PUBLIC_KEY_HINTS().search(stem)
            or re.search(r"\.(pub|asc|gpg|crt|cer)$", dest_low)
            or "/etc/apt/" in dest_low
            or "keyrings" in dest_low
            or "ca-certificates" in dest_low
            or ("/certs" in dest_low and "private" not in dest_low)
        ):
            return None
        if ext == "pem" and not re.search(r"(key|priv|secret|rsa|ecdsa|ed25519|tls|ssl|server|client)", stem):
            return None
        return CREDENTIAL_KINDS["private_key"]
    return None
