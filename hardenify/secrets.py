"""Shared secret detection for the HF3xx rules: secret-looking names, known token formats,
placeholders, BuildKit secret-mount helpers, and the `docker build --secret` wiring a fixed
Dockerfile needs.

Nothing here does I/O or raises on odd input. Values found here are secrets: callers must
register them with `ctx.secret(value)` (see `register`) before building any message.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING, NamedTuple

from hardenify.rules import lazy_regex

if TYPE_CHECKING:
    from hardenify.context import CheckContext
    from hardenify.dockerfile.model import Dockerfile, Instruction

# ------------------------------------------------------------------------------- secret names

# BuildKit's SecretsUsedInArgOrEnv deny tokens (frontend/dockerfile/dockerfile2llb), matched as
# whole `_`-separated tokens, case-insensitively...
BUILDKIT_DENY = frozenset(
    {"apikey", "auth", "credential", "credentials", "key", "password", "pword", "passwd", "secret", "token"}
)
# ...plus spellings BuildKit misses but real Dockerfiles use (DB_PASS, DB_PWD, SSH_PASSPHRASE, ACCESSTOKEN).
EXTRA_DENY = frozenset(
    {
        "pass",
        "pwd",
        "psw",
        "passphrase",
        "privatekey",
        "accesskey",
        "secretkey",
        "apitoken",
        "authtoken",
        "accesstoken",
        "clientsecret",
        "apisecret",
    }
)
DENY_TOKENS = BUILDKIT_DENY | EXTRA_DENY

# BuildKit's allow tokens (public, file, version) anywhere in the name, plus names of public
# key material (GPG_KEY, RABBITMQ_PGP_KEY_ID: fingerprints of public signing keys).
ALLOW_ANYWHERE = frozenset(
    {"public", "pub", "file", "version", "gpg", "pgp", "gnupg", "keyring", "keyserver", "fingerprint"}
)
# Metadata about a secret, not the secret: only when it is the LAST token (API_KEY_PATH,
# AUTH_URL, PASSWORD_MIN_LENGTH, TOKEN_TTL). DB_USER_PASSWORD stays a secret.
ALLOW_LAST = frozenset(
    {
        "path",
        "paths",
        "dir",
        "url",
        "uri",
        "endpoint",
        "host",
        "hostname",
        "port",
        "server",
        "type",
        "method",
        "mode",
        "enabled",
        "disabled",
        "required",
        "length",
        "len",
        "size",
        "bits",
        "name",
        "id",
        "ids",
        "ttl",
        "timeout",
        "expiry",
        "expiration",
        "header",
        "provider",
        "scheme",
        "algorithm",
        "format",
        "location",
        "domain",
        "realm",
        "issuer",
        "audience",
        "policy",
        "prefix",
        "suffix",
        "user",
        "username",
        "login",
        "count",
        "min",
        "max",
        "sha",
        "sha1",
        "sha256",
        "sha384",
        "sha512",
        "md5",
        "hash",
        "checksum",
        "sock",
        "socket",
        # durations and limits of a token, not the token (ACCESS_TOKEN_EXPIRE_MINUTES)
        "expire",
        "expires",
        "lifetime",
        "duration",
        "interval",
        "age",
        "seconds",
        "secs",
        "minutes",
        "mins",
        "hours",
        "days",
        "ms",
        "limit",
        "retries",
        "refresh",
    }
)
# A switch about auth, not a secret: ENABLE_AUTH, DISABLE_AUTH, SKIP_AUTH, USE_TOKEN.
ALLOW_FIRST = frozenset({"enable", "disable", "use", "skip", "no", "require", "with", "without"})
# Always secrets whatever the token rules say (Trivy DS031's list and common tool variables).
ALWAYS_SECRET = frozenset(
    {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AZURE_CLIENT_SECRET",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "GH_ENTERPRISE_TOKEN",
        "GITHUB_ENTERPRISE_TOKEN",
        "NPM_TOKEN",
        "NODE_AUTH_TOKEN",
        "HF_TOKEN",
        "OPENAI_API_KEY",
        "DIGITALOCEAN_ACCESS_TOKEN",
        "DOCKERHUB_PASSWORD",
        "CI_DEPLOY_PASSWORD",
        "FIREBASE_TOKEN",
        "HEROKU_API_KEY",
        "COMPOSER_AUTH",
    }
)
# Shell variables that only look like secrets.
NEVER_SECRET = frozenset({"PWD", "OLDPWD"})

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


PASSWORD_TOKENS = frozenset({"password", "passwd", "pass", "pwd", "psw", "pword", "passphrase"})
# Tokens that also name non-secret things (a config "Key", an "Auth" mode).
AMBIGUOUS_TOKENS = frozenset({"key", "auth"})


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


# ------------------------------------------------------------------------------- placeholders

_PLACEHOLDER_WORDS = frozenset(
    {
        "changeme",
        "change_me",
        "change-me",
        "changeit",
        "password",
        "passwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "none",
        "null",
        "nil",
        "undefined",
        "empty",
        "todo",
        "tbd",
        "dummy",
        "placeholder",
        "redacted",
        "unset",
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "-",
    }
)
_PLACEHOLDER_SUBSTRINGS = (
    "example",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "dummy",
    "fake",
    "redacted",
)
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
    if low in _PLACEHOLDER_WORDS or any(s in low for s in _PLACEHOLDER_SUBSTRINGS):
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


class TokenFormat(NamedTuple):
    """A known credential format: its regex and the literal text every match contains."""

    key: str  # stable id, e.g. "github-token"
    label: str  # for messages, e.g. "GitHub token"
    secret_id: str  # id used when the fix moves it into a secret mount
    pattern: str  # the regex source, compiled on first use (`regex`)
    # Substrings one of which every match contains (lower-case when `fold`): the regex only
    # runs on text that has one, so the common case costs a few substring scans.
    hints: tuple[str, ...]
    group: int = 0  # the regex group holding the secret itself
    fixable: bool = True  # a single opaque token that a `${VAR}` can replace in a RUN
    flags: int = 0
    fold: bool = False  # `hints` match case-insensitively (as the regex does)

    @property
    def regex(self) -> re.Pattern[str]:
        rx = _COMPILED.get(self.key)
        if rx is None:
            rx = _COMPILED[self.key] = re.compile(self.pattern, self.flags)
        return rx

    def may_match(self, text: str) -> bool:
        """Cheap test: False when `text` cannot hold a match (it has none of the hints)."""
        if self.fold:
            key = self.key + " hints"
            rx = _COMPILED.get(key)
            if rx is None:
                rx = _COMPILED[key] = re.compile("(?i:" + "|".join(re.escape(h) for h in self.hints) + ")")
            return rx.search(text) is not None
        return any(h in text for h in self.hints)


_COMPILED: dict[str, re.Pattern[str]] = {}  # TokenFormat regexes, compiled on first use


_B = r"(?<![A-Za-z0-9_])"  # no word character before
_E = r"(?![A-Za-z0-9_])"  # no word character after

TOKEN_FORMATS: tuple[TokenFormat, ...] = (
    TokenFormat(
        "github-token",
        "GitHub token",
        "github_token",
        _B + r"(?:(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{50,})" + _E,
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    TokenFormat(
        "gitlab-token", "GitLab token", "gitlab_token", _B + r"glpat-[A-Za-z0-9_\-]{20,}", ("glpat-",)
    ),
    TokenFormat(
        "slack-token",
        "Slack token",
        "slack_token",
        _B + r"xox[abprs]-[A-Za-z0-9-]{10,}",
        ("xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-"),
    ),
    TokenFormat(
        "slack-webhook",
        "Slack webhook URL",
        "slack_webhook",
        r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+",
        ("https://hooks.slack.com/services/T",),
    ),
    TokenFormat(
        "aws-access-key-id",
        "AWS access key id",
        "aws_access_key_id",
        r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])",
        ("AKIA", "ASIA"),
        fixable=False,
    ),
    TokenFormat(
        "aws-secret-access-key",
        "AWS secret access key",
        "aws_secret_access_key",
        r"(?i:aws_?secret_?(?:access_?)?key)[\"'\s:=]+([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
        ("awssecret", "aws_secret"),
        group=1,
        fixable=False,
        fold=True,
    ),
    TokenFormat(
        "stripe-key",
        "Stripe live key",
        "stripe_api_key",
        _B + r"(?:sk|rk)_live_[0-9A-Za-z]{20,}",
        ("sk_live_", "rk_live_"),
    ),
    TokenFormat(
        "google-api-key", "Google API key", "google_api_key", _B + r"AIza[0-9A-Za-z_\-]{35}" + _E, ("AIza",)
    ),
    TokenFormat("npm-token", "npm token", "npm_token", _B + r"npm_[A-Za-z0-9]{36}" + _E, ("npm_",)),
    TokenFormat(
        "pypi-token",
        "PyPI token",
        "pypi_token",
        _B + r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}",
        ("pypi-AgEIcHlwaS5vcmc",),
    ),
    TokenFormat(
        "dockerhub-token",
        "Docker Hub token",
        "docker_token",
        _B + r"dckr_pat_[A-Za-z0-9_\-]{27,}",
        ("dckr_pat_",),
    ),
    TokenFormat(
        "huggingface-token", "Hugging Face token", "hf_token", _B + r"hf_[A-Za-z0-9]{34}" + _E, ("hf_",)
    ),
    TokenFormat(
        "openai-key",
        "OpenAI API key",
        "openai_api_key",
        _B + r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}T3BlbkFJ[A-Za-z0-9_\-]{20,}",
        ("T3BlbkFJ",),
    ),
    TokenFormat(
        "anthropic-key",
        "Anthropic API key",
        "anthropic_api_key",
        _B + r"sk-ant-[a-z]+\d\d-[A-Za-z0-9_\-]{80,}",
        ("sk-ant-",),
    ),
    TokenFormat(
        "sendgrid-key",
        "SendGrid API key",
        "sendgrid_api_key",
        _B + r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}" + _E,
        ("SG.",),
    ),
    TokenFormat(
        "private-key",
        "private key",
        "private_key",
        r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?:.*?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----)?",
        ("-----BEGIN",),
        fixable=False,
        flags=re.DOTALL,
    ),
    TokenFormat(
        "jwt",
        "JSON Web Token",
        "jwt",
        _B + r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        ("eyJ",),
        fixable=False,
    ),
    TokenFormat(
        "auth-header",
        "credential in an Authorization header",
        "auth_token",
        r"(?i:(?<![A-Za-z0-9_-])authorization\s*:\s*(?:bearer|basic|token)\s+)"
        r"([A-Za-z0-9._~+/\-]{6,}=*)(?![A-Za-z0-9._~+/=\-$])",
        ("authorization",),
        group=1,
        fixable=False,  # Bearer and Basic values differ: one secret id for both would be a guess
        fold=True,
    ),
    TokenFormat(
        "netrc-password",
        "password in a .netrc entry",
        "netrc_password",
        # `machine HOST login USER password PW` (or `default ...`), on one line or split by
        # newlines or literal `\n` (an `echo -e`/`printf` writing ~/.netrc).
        r"(?i:(?<![A-Za-z0-9_-])(?:machine(?:\s|\\[nt])+[^\s\\\"'`]+|default)"
        r"(?:(?:\s|\\[nt])+(?:login|account)(?:\s|\\[nt])+[^\s\\\"'`]+)*(?:\s|\\[nt])+password(?:\s|\\[nt])+)"
        r"([^\s\\\"'`$;|&<>]{3,})",
        ("password",),
        group=1,
        fixable=False,
        fold=True,
    ),
    TokenFormat(
        "url-password",
        "password in a URL",
        "url_password",
        r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@'\"`$]+:([^\s/@'\"`]+)@[A-Za-z0-9][A-Za-z0-9.\-]*",
        ("://",),
        group=1,
    ),
)


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
            if fmt.key in _PLACEHOLDER_CHECKED and _url_password_placeholder(value):
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


# Formats whose secret is whatever follows a keyword: a placeholder there is not a credential.
_PLACEHOLDER_CHECKED = frozenset({"url-password", "auth-header", "netrc-password"})


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

SECRET_OPTION_RE = re.compile(
    r"--(?:(?:http|ftp|proxy|db|admin|root|user)-?)?(?:password|passwd|pass|token|api-?key|secret-?key"
    r"|access-?token|auth-?token|client-?secret)$"
)
MYSQL_CLIENTS = frozenset(
    {"mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlshow", "mysqlcheck", "mariadb", "mariadb-dump"}
    | {"mariadb-admin", "mariadb-import", "mariadb-check", "mysqlpump", "mysqlsh"}
)
# program → its short password flag, which takes the value attached (`-pX`) or as the next word.
# mysql's `-p X` is different: a bare `-p` prompts, and X is the database name.
SHORT_PASSWORD_FLAGS = {
    "sshpass": "-p",
    "redis-cli": "-a",
    "valkey-cli": "-a",
    "mongo": "-p",
    "mongosh": "-p",
}
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh"})


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
    if (
        prog in ("docker", "podman", "buildah", "nerdctl", "helm", "skopeo")
        and "login" in argv[start + 1 : start + 3]
    ):
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


# ---------------------------------------------------------------------- BuildKit secret mounts


def env_mount_supported(df: Dockerfile) -> bool:
    """Does the file's `# syntax=` frontend support `--mount=type=secret,env=` (1.10+)?

    `docker/dockerfile:1` (latest 1.x), `:1-labs`, `:1.10`+, `:latest`, `-upstream:master`
    do; no directive or an older pin does not (the builder's built-in frontend is unknown).
    """
    syntax = df.directive("syntax")
    if not syntax:
        return False
    ref = syntax.strip().split("@", 1)[0]
    repo, _, tag = ref.rpartition(":")
    if "/" in tag or not repo:
        repo, tag = ref, "latest"
    if not re.search(r"(^|/)docker/dockerfile(-upstream)?$", repo):
        return False
    tag = tag.lower().removesuffix("-labs")
    if tag in ("latest", "labs", "master", "master-labs", "1"):
        return True
    m = re.fullmatch(r"1\.(\d+)(?:\.\d+)?", tag)
    return bool(m and int(m.group(1)) >= 10)


class SecretMount(NamedTuple):
    id: str
    env: str | None
    target: str | None

    @property
    def path(self) -> str:
        return self.target or f"/run/secrets/{self.id}"


def secret_mounts(ins: Instruction) -> list[SecretMount]:
    out: list[SecretMount] = []
    for f in ins.flags:
        if f.name != "mount":
            continue
        opts = f.options()
        if opts.get("type") != "secret":
            continue
        target = opts.get("target") or opts.get("dst") or opts.get("destination") or None
        sid = opts.get("id") or (target.rsplit("/", 1)[-1] if target else "")
        if sid:
            out.append(SecretMount(sid, opts.get("env") or None, target))
    return out


def secret_id_for(name: str) -> str:
    """`NPM_TOKEN` → `npm_token` (ids are lower-case, `[a-z0-9_.-]`)."""
    sid = re.sub(r"[^a-z0-9_.-]+", "_", name.lower()).strip("_.-")
    return sid or "secret"


# ---------------------------------------------------------------------------- secret wiring

# Conventional context path of a credential file when the original COPY is not known.
DEFAULT_FILE_SOURCES = {
    "npmrc": ".npmrc",
    "netrc": ".netrc",
    "pypirc": ".pypirc",
    "pip_conf": "pip.conf",
    "maven_settings": "settings.xml",
    "git_credentials": ".git-credentials",
    "docker_config": ".docker/config.json",
    "aws_credentials": ".aws/credentials",
    "dotenv": ".env",
}


class SecretWiring(NamedTuple):
    """How to provide one secret to `docker build` and to compose's `build.secrets`."""

    id: str
    env: str | None = None  # the secret comes from this environment variable...
    src: str | None = None  # ...or from this file (relative to the build context)

    @property
    def cli(self) -> str:
        """The `docker build` flag, e.g. `--secret id=npm_token,env=NPM_TOKEN`."""
        return f"--secret id={self.id}," + (f"env={self.env}" if self.env else f"src={self.src}")

    @property
    def compose(self) -> dict[str, str]:
        """The top-level compose `secrets:` entry body: {"environment": ...} or {"file": ...}."""
        return {"environment": self.env} if self.env else {"file": f"./{self.src}" if self.src else ""}


def secret_wiring(text: str, original: str | None = None) -> list[SecretWiring]:
    """The secrets a Dockerfile's `RUN --mount=type=secret` steps expect, with their source.

    Env secrets: `env=NAME` on the mount, or `NAME="$(cat /run/secrets/id)"` in the RUN, or
    else the id upper-cased. File secrets (a mount with a `target=` path, as HF303 writes):
    the source is the file the `original` text COPYed (when given), else a conventional name.
    """
    from hardenify.dockerfile.model import parse

    df = parse(text)
    copies = _copied_sources(original) if original else {}
    out: dict[str, SecretWiring] = {}
    for ins in df.instructions:
        run = ins.sub if ins.cmd == "ONBUILD" and ins.sub is not None else ins
        if run.cmd != "RUN":
            continue
        for m in secret_mounts(run):
            if m.id in out:
                continue
            if m.env:
                out[m.id] = SecretWiring(m.id, env=m.env)
            elif m.target and m.target != f"/run/secrets/{m.id}":
                src = copies.get(m.id) or DEFAULT_FILE_SOURCES.get(m.id) or m.target.rsplit("/", 1)[-1]
                out[m.id] = SecretWiring(m.id, src=src)
            else:
                body = run.args + "".join(h.content for h in run.heredocs)
                pm = re.search(r"([A-Za-z_][A-Za-z0-9_]*)=\"?\$\(cat " + re.escape(m.path) + r"[ )]", body)
                out[m.id] = SecretWiring(m.id, env=pm.group(1) if pm else m.id.upper())
    return list(out.values())


def build_secret_flags(text: str, original: str | None = None) -> list[str]:
    """`docker build` flags for the secrets a (fixed) Dockerfile needs, e.g.
    ["--secret id=npm_token,env=NPM_TOKEN"]."""
    return [w.cli for w in secret_wiring(text, original)]


def _copied_sources(original: str) -> dict[str, str]:
    """secret id → the context path a credential COPY in `original` took it from."""
    from hardenify.dockerfile.model import parse, split_words

    out: dict[str, str] = {}
    for ins in parse(original).instructions:
        if ins.cmd not in ("COPY", "ADD"):
            continue
        words = ins.json if ins.json is not None else split_words(ins.args)
        for src in words[:-1]:
            kind = credential_kind(src)
            if kind is not None:
                out.setdefault(kind.secret_id(src), src.lstrip("./") if src.startswith("./") else src)
    return out


# ------------------------------------------------------------------------- credential files


class CredentialKind(NamedTuple):
    key: str
    label: str
    # Programs that read the file implicitly from its location.
    readers: frozenset[str]
    # Only ever used while building (a package-manager login): safe to move into a mount even
    # when nothing deletes it afterwards. Keys, .env and cloud credentials may be read at runtime.
    build_only: bool
    fixed_id: str | None = None

    def secret_id(self, src: str) -> str:
        if self.fixed_id:
            return self.fixed_id
        base = src.rstrip("/").rsplit("/", 1)[-1]
        return secret_id_for(base.lstrip("."))


_PUBLIC_KEY_HINTS = lazy_regex(
    r"(^|[-_.])(pub|public|gpg|pgp|asc|release|signing|sign|apt|repo|archive|keyring|ca|cert|certs|certificate"
    r"|chain|fullchain|bundle|root|trust|trusted|cacert)([-_.]|$)",
    re.I,
)

NPM_READERS = frozenset({"npm", "npx", "yarn", "pnpm", "corepack", "bun"})
PIP_READERS = frozenset({"pip", "pip3", "pipenv", "poetry", "uv", "pdm"})
GIT_READERS = frozenset(
    {"git", "go", "ssh", "scp", "rsync", "npm", "yarn", "pnpm", "pip", "pip3", "cargo", "bundle", "composer"}
)

CREDENTIAL_KINDS = {
    "npmrc": CredentialKind("npmrc", "npm credentials", NPM_READERS, True, "npmrc"),
    "netrc": CredentialKind(
        "netrc",
        "netrc credentials",
        frozenset({"curl", "wget", "git", "go", "pip", "pip3", "ftp"}),
        True,
        "netrc",
    ),
    "pypirc": CredentialKind(
        "pypirc", "PyPI credentials", frozenset({"twine", "python", "python3"}), True, "pypirc"
    ),
    "pip_conf": CredentialKind(
        "pip_conf", "pip configuration (index credentials)", PIP_READERS, True, "pip_conf"
    ),
    "maven_settings": CredentialKind(
        "maven_settings",
        "Maven settings (server credentials)",
        frozenset({"mvn", "mvnw"}),
        True,
        "maven_settings",
    ),
    "git_credentials": CredentialKind(
        "git_credentials", "git credentials", frozenset({"git", "go"}), True, "git_credentials"
    ),
    "docker_config": CredentialKind(
        "docker_config",
        "Docker registry credentials",
        frozenset({"docker", "crane", "skopeo"}),
        True,
        "docker_config",
    ),
    "aws_credentials": CredentialKind(
        "aws_credentials", "AWS credentials", frozenset({"aws", "terraform"}), False, "aws_credentials"
    ),
    "ssh_key": CredentialKind("ssh_key", "SSH private key", GIT_READERS, False),
    "private_key": CredentialKind("private_key", "private key or keystore", frozenset(), False),
    "dotenv": CredentialKind("dotenv", "environment file", frozenset(), False, "dotenv"),
    "ssh_dir": CredentialKind("ssh_dir", "SSH directory", frozenset(), False),
    "aws_dir": CredentialKind("aws_dir", "AWS configuration directory", frozenset(), False),
}


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
