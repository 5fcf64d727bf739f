"""Facts about secrets, as data: which names hold one, which token formats the vendors issue,
which values are placeholders, which options and files carry credentials.

Detection (`hardenify.secrets`) and the HF3xx/HF6xx rules read these tables; nothing else keeps a
copy. Each table says where its facts come from. Stdlib only and no I/O.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# ------------------------------------------------------------------------------- secret names

# BuildKit's SecretsUsedInArgOrEnv deny tokens (frontend/dockerfile/dockerfile2llb, documented at
# https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/), matched as whole
# `_`-separated tokens, case-insensitively...
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

PASSWORD_TOKENS = frozenset({"password", "passwd", "pass", "pwd", "psw", "pword", "passphrase"})
# Tokens that also name non-secret things (a config "Key", an "Auth" mode).
AMBIGUOUS_TOKENS = frozenset({"key", "auth"})

# ------------------------------------------------------------------------------- placeholders

PLACEHOLDER_WORDS = frozenset(
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
PLACEHOLDER_SUBSTRINGS = (
    "example",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "dummy",
    "fake",
    "redacted",
)

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
    doc: str = ""  # where the format is documented (the vendor's page, or the RFC)

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
        doc="https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/",
    ),
    TokenFormat(
        "gitlab-token",
        "GitLab token",
        "gitlab_token",
        _B + r"glpat-[A-Za-z0-9_\-]{20,}",
        ("glpat-",),
        doc="https://docs.gitlab.com/security/tokens/",
    ),
    TokenFormat(
        "slack-token",
        "Slack token",
        "slack_token",
        _B + r"xox[abprs]-[A-Za-z0-9-]{10,}",
        ("xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-"),
        doc="https://docs.slack.dev/authentication/tokens",
    ),
    TokenFormat(
        "slack-webhook",
        "Slack webhook URL",
        "slack_webhook",
        r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+",
        ("https://hooks.slack.com/services/T",),
        doc="https://api.slack.com/messaging/webhooks",
    ),
    TokenFormat(
        "aws-access-key-id",
        "AWS access key id",
        "aws_access_key_id",
        r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])",
        ("AKIA", "ASIA"),
        fixable=False,
        doc="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids",
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
        doc="https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html",
    ),
    TokenFormat(
        "stripe-key",
        "Stripe live key",
        "stripe_api_key",
        _B + r"(?:sk|rk)_live_[0-9A-Za-z]{20,}",
        ("sk_live_", "rk_live_"),
        doc="https://docs.stripe.com/keys",
    ),
    TokenFormat(
        "google-api-key",
        "Google API key",
        "google_api_key",
        _B + r"AIza[0-9A-Za-z_\-]{35}" + _E,
        ("AIza",),
        doc="https://cloud.google.com/docs/authentication/api-keys",
    ),
    TokenFormat(
        "npm-token",
        "npm token",
        "npm_token",
        _B + r"npm_[A-Za-z0-9]{36}" + _E,
        ("npm_",),
        doc="https://github.blog/changelog/2021-09-23-npm-has-a-new-access-token-format/",
    ),
    TokenFormat(
        "pypi-token",
        "PyPI token",
        "pypi_token",
        _B + r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}",
        ("pypi-AgEIcHlwaS5vcmc",),
        doc="https://pypi.org/help/#apitoken",
    ),
    TokenFormat(
        "dockerhub-token",
        "Docker Hub token",
        "docker_token",
        _B + r"dckr_pat_[A-Za-z0-9_\-]{27,}",
        ("dckr_pat_",),
        doc="https://docs.docker.com/security/for-developers/access-tokens/",
    ),
    TokenFormat(
        "huggingface-token",
        "Hugging Face token",
        "hf_token",
        _B + r"hf_[A-Za-z0-9]{34}" + _E,
        ("hf_",),
        doc="https://huggingface.co/docs/hub/security-tokens",
    ),
    TokenFormat(
        "openai-key",
        "OpenAI API key",
        "openai_api_key",
        _B + r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}T3BlbkFJ[A-Za-z0-9_\-]{20,}",
        ("T3BlbkFJ",),
        doc="https://platform.openai.com/docs/api-reference/authentication",
    ),
    TokenFormat(
        "anthropic-key",
        "Anthropic API key",
        "anthropic_api_key",
        _B + r"sk-ant-[a-z]+\d\d-[A-Za-z0-9_\-]{80,}",
        ("sk-ant-",),
        doc="https://docs.anthropic.com/en/api/overview#authentication",
    ),
    TokenFormat(
        "sendgrid-key",
        "SendGrid API key",
        "sendgrid_api_key",
        _B + r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}" + _E,
        ("SG.",),
        doc="https://www.twilio.com/docs/sendgrid/ui/account-and-settings/api-keys",
    ),
    TokenFormat(
        "private-key",
        "private key",
        "private_key",
        r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?:.*?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----)?",
        ("-----BEGIN",),
        fixable=False,
        flags=re.DOTALL,
        doc="https://www.rfc-editor.org/rfc/rfc7468",
    ),
    TokenFormat(
        "jwt",
        "JSON Web Token",
        "jwt",
        _B + r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        ("eyJ",),
        fixable=False,
        doc="https://www.rfc-editor.org/rfc/rfc7519",
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
        doc="https://www.rfc-editor.org/rfc/rfc9110#name-authorization",
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
        doc="https://www.gnu.org/software/inetutils/manual/html_node/The-_002enetrc-file.html",
    ),
    TokenFormat(
        "url-password",
        "password in a URL",
        "url_password",
        r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@'\"`$]+:([^\s/@'\"`]+)@[A-Za-z0-9][A-Za-z0-9.\-]*",
        ("://",),
        group=1,
        doc="https://www.rfc-editor.org/rfc/rfc3986#section-3.2.1",
    ),
)


# Formats whose secret is whatever follows a keyword: a placeholder there is not a credential.
PLACEHOLDER_CHECKED = frozenset({"url-password", "auth-header", "netrc-password"})

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
# Programs whose `login` subcommand takes the password as `-p X` (docker login --help).
LOGIN_PROGRAMS = frozenset({"docker", "podman", "buildah", "nerdctl", "helm", "skopeo"})
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh"})

# Tools that read a secret variable from the environment without naming it on the command line
# (each tool's documented environment variables: npm's `NPM_CONFIG_*`, the AWS CLI's
# `AWS_*`, gh's `GH_TOKEN`, twine's `TWINE_PASSWORD`, cargo's `CARGO_REGISTRY_TOKEN`...).
_NPM = ("npm", "npx", "yarn", "pnpm", "bun")
IMPLICIT_READERS: dict[str, tuple[str, ...]] = {
    "NPM_TOKEN": _NPM,
    "NODE_AUTH_TOKEN": _NPM,
    "NPM_AUTH_TOKEN": _NPM,
    "GITHUB_TOKEN": ("gh", "goreleaser"),
    "GH_TOKEN": ("gh",),
    "AWS_ACCESS_KEY_ID": ("aws", "terraform", "sam", "cdk"),
    "AWS_SECRET_ACCESS_KEY": ("aws", "terraform", "sam", "cdk"),
    "AWS_SESSION_TOKEN": ("aws", "terraform", "sam", "cdk"),
    "TWINE_PASSWORD": ("twine",),
    "CARGO_REGISTRY_TOKEN": ("cargo",),
    "COMPOSER_AUTH": ("composer",),
    "HF_TOKEN": ("huggingface-cli", "hf"),
    "HUGGING_FACE_HUB_TOKEN": ("huggingface-cli", "hf"),
    "SENTRY_AUTH_TOKEN": ("sentry-cli", *_NPM),
    "UV_PUBLISH_TOKEN": ("uv",),
}
IMPLICIT_PREFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("NPM_CONFIG_", _NPM),
    ("POETRY_", ("poetry",)),
    ("UV_INDEX_", ("uv",)),
    ("PIP_", ("pip", "pip3")),
    ("CARGO_REGISTRIES_", ("cargo",)),
    ("BUNDLE_", ("bundle", "bundler")),
)

# ------------------------------------------------------------------------- credential files

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


class CredentialKind(NamedTuple):
    """A kind of credential file: where the reading tools look for it is their documented
    default (`~/.npmrc`, `~/.netrc`, `~/.pypirc`, `pip.conf`, `~/.m2/settings.xml`,
    `~/.git-credentials`, `~/.docker/config.json`, `~/.aws/credentials`, `~/.ssh/id_*`)."""

    key: str
    label: str
    # Programs that read the file implicitly from its location.
    readers: frozenset[str]
    # Only ever used while building (a package-manager login): safe to move into a mount even
    # when nothing deletes it afterwards. Keys, .env and cloud credentials may be read at runtime.
    build_only: bool
    fixed_id: str | None = None  # its secret id; None: derived from the file name


# Stems of `*.pem`/`*.key` files that hold public material (CA bundles, signing keys, apt keys).
PUBLIC_KEY_HINTS = (
    r"(^|[-_.])(pub|public|gpg|pgp|asc|release|signing|sign|apt|repo|archive|keyring|ca|cert|certs|certificate"
    r"|chain|fullchain|bundle|root|trust|trusted|cacert)([-_.]|$)"
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
