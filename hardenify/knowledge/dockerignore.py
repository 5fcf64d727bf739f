"""What a `.dockerignore` must exclude, what a missing one should contain, and how to add the
security entries to an existing one without undoing the user's `!` exceptions.

Data, with the reason for each entry beside it. Read by HF304 (Dockerfile side), HF305 (the
.dockerignore itself) and `hardenify.writeback`, which creates a missing `.dockerignore` from
`default_dockerignore(stack)`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from hardenify.dockerignore import DockerIgnore

HEADER = "# added by hardenify: keep credentials and VCS metadata out of the build context"


class Entry(NamedTuple):
    pattern: str
    # Context-relative paths the pattern must exclude for the entry to count as present.
    probes: tuple[str, ...]


# Security-relevant entries only: build outputs are not secrets, and excluding them (dist/,
# target/, build/) would break Dockerfiles that COPY prebuilt artefacts.
SECURITY_ENTRIES: tuple[Entry, ...] = (
    Entry(".git", (".git", ".git/config")),
    Entry(".env", (".env",)),
    Entry(".env.*", (".env.local", ".env.production")),
    Entry(".aws", (".aws", ".aws/credentials")),
    Entry(".ssh", (".ssh", ".ssh/id_rsa")),
    Entry(".npmrc", (".npmrc",)),
    Entry(".netrc", (".netrc",)),
    Entry(".pypirc", (".pypirc",)),
    Entry(".git-credentials", (".git-credentials",)),
    # Only the credential file: many projects keep build configuration under `.docker/`.
    Entry(".docker/config.json", (".docker/config.json",)),
    Entry("**/*.pem", ("server.pem", "config/tls/server.pem")),
    Entry("**/*.key", ("server.key", "config/tls/server.key")),
    Entry("**/id_rsa*", ("id_rsa", "keys/id_rsa")),
    Entry("**/id_ed25519*", ("id_ed25519", "keys/id_ed25519")),
)


def _deliberately_included(di: DockerIgnore, entry: Entry) -> bool:
    """A `!` exception decides one of the entry's paths: the user wants it in the context."""
    return any(di.would_reinclude(p) for p in entry.probes)


def missing_entries(di: DockerIgnore | None) -> list[str]:
    """Security entries the file does not exclude (all of them when there is no file).

    An entry counts as present when every probe path is excluded (`.env*` covers `.env` and
    `.env.*`; `*` with `!src` covers everything). An entry the user re-includes on purpose
    with a `!` exception that decides one of its paths (`!.env.production`) is respected and
    not reported.
    """
    if di is None:
        return [e.pattern for e in SECURITY_ENTRIES]
    out = []
    for e in SECURITY_ENTRIES:
        if all(di.excludes(p) for p in e.probes):
            continue
        if _deliberately_included(di, e):
            continue
        out.append(e.pattern)
    return out


def _sample_paths(pattern: str) -> list[str]:
    """Concrete paths an exception pattern stands for (globs filled in with a name)."""
    out = []
    for fill in ("x", ".x"):
        p = re.sub(r"\*\*/?", "", pattern)
        p = re.sub(r"\[[^\]]*\]", "x", p)
        p = re.sub(r"[*?]", fill, p).strip("/")
        if p and p not in out:
            out.append(p)
    return out


def lines_to_append(di: DockerIgnore) -> list[str]:
    """The block HF305 appends: a header comment, the missing entries, then every existing `!`
    exception the new entries would otherwise override (the last match wins), restated so the
    user's intent survives (`!.env.example` stays included after `.env.*`)."""
    missing = missing_entries(di)
    if not missing:
        return []
    added = DockerIgnore.parse("\n".join(missing) + "\n")
    restate: list[str] = []
    for pat in di.patterns:
        if not pat.negated or pat.error is not None or pat.raw in restate:
            continue
        samples = _sample_paths(pat.pattern)
        probes = set(samples)
        # A directory exception (`!build/`, `!dist/**/bin`) also re-includes files below it.
        looks_dir = pat.raw.endswith("/") or "." not in pat.pattern.rsplit("/", 1)[-1]
        for s in samples if looks_dir else []:
            for e in SECURITY_ENTRIES:
                if e.pattern in missing:
                    probes.update(f"{s}/{p.rsplit('/', 1)[-1]}" for p in e.probes)
        if any(added.excludes(p) for p in probes):
            restate.append(pat.raw)
    return [HEADER, *missing, *restate]


# ----------------------------------------------------------------------- default .dockerignore

_COMMON = [
    "# Version control and editor files",
    ".git",
    ".hg",
    ".svn",
    ".idea",
    ".vscode",
    "**/.DS_Store",
    "",
    "# Credentials and local environment files: never send them to the builder",
    ".env",
    ".env.*",
    "!.env.example",
    ".aws",
    ".ssh",
    ".npmrc",
    ".netrc",
    ".pypirc",
    ".git-credentials",
    ".docker/config.json",
    "**/*.pem",
    "**/*.key",
    "**/id_rsa*",
    "**/id_ed25519*",
]

_STACKS: dict[str, list[str]] = {
    "python": [
        "# Python caches and virtual environments",
        "**/__pycache__",
        "**/*.py[cod]",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".coverage",
        "htmlcov",
        "**/*.egg-info",
    ],
    "node": [
        "# Node.js dependencies and logs (installed inside the image)",
        "**/node_modules",
        "npm-debug.log*",
        "yarn-debug.log*",
        "yarn-error.log*",
        ".pnpm-store",
        ".yarn/cache",
        "coverage",
        ".next/cache",
    ],
    "go": [
        "# Go test and coverage output",
        "**/*.test",
        "**/*.out",
        "coverage.*",
    ],
    "java": [
        "# Java build caches",
        ".gradle",
        "**/*.class",
        "**/*.log",
    ],
    "rust": [
        "# Rust editor backups (target/ is kept: some Dockerfiles COPY a prebuilt binary)",
        "**/*.rs.bk",
    ],
    "ruby": [
        "# Ruby: bundler state, logs and temporary files",
        ".bundle",
        "vendor/bundle",
        "log/*",
        "tmp/*",
        "coverage",
    ],
    "php": [
        "# PHP tool caches",
        ".phpunit.result.cache",
        ".php-cs-fixer.cache",
    ],
    "dotnet": [
        "# .NET intermediate output and user files (bin/ is kept: some Dockerfiles COPY a publish folder)",
        "**/obj",
        "**/*.user",
        "**/*.suo",
        "TestResults",
    ],
    "static": [
        "# Static sites: sources of dependencies are fetched inside the image",
        "**/node_modules",
    ],
    "generic": [],
}

STACKS = tuple(_STACKS)


def default_dockerignore(stack: str) -> str:
    """A `.dockerignore` for a new build context of the given stack (unknown stacks: generic).

    VCS/editor noise, the security entries, then the stack's local caches. Build outputs a
    Dockerfile may COPY (`dist/`, `build/`, `target/`, `bin/`, `vendor/`) are not excluded.
    Creating the file still changes what the build can COPY (a Dockerfile that copies `.npmrc`
    or `.git` would then fail), so the caller should treat creating it as an unsafe fix.
    """
    key = stack.strip().lower()
    aliases = {
        "javascript": "node",
        "typescript": "node",
        "nodejs": "node",
        "golang": "go",
        "kotlin": "java",
        "maven": "java",
        "gradle": "java",
        "csharp": "dotnet",
        ".net": "dotnet",
        "html": "static",
    }
    key = aliases.get(key, key)
    extra = _STACKS.get(key, [])
    lines = ["# .dockerignore created by hardenify: files listed here never reach the image builder", ""]
    lines += _COMMON
    if extra:
        lines += ["", *extra]
    return "\n".join(lines) + "\n"
