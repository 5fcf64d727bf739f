"""Why a build failed, from its log, and a short excerpt of that log that is safe to show.

A build that cannot run here (no network, a private base image, an argument or secret only the
owner has) says nothing about the fix: it is *unproven*, with the reason. Excerpts go through
the file's Redactor (the one every writer uses) and through a pattern for credential-looking
assignments, since a failing step's command line may hold a value the redactor never saw.
"""

from __future__ import annotations

import re

from hardenify.diagnostics import REDACTED, Redactor

# (reason, pattern) in priority order: the first that matches the log names the cause.
_CAUSES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "needs network to build",
        re.compile(
            r"Temporary failure (in name resolution|resolving)|Could not resolve|Name or service not known"
            r"|network is unreachable|Network is unreachable|getaddrinfo|ENOTFOUND|EAI_AGAIN"
            r"|Failed to establish a new connection|dial tcp|Connection refused|Could not connect to"
            r"|unable to access '|No matching distribution found|Unable to locate package",
        ),
    ),
    (
        "base image not available here (private or unknown)",
        re.compile(
            r"pull access denied|manifest unknown|MANIFEST_UNKNOWN|NAME_UNKNOWN|failed to resolve source metadata"
            r"|failed to create LLB definition: .*(not found|unauthorized|denied|forbidden)"
            r"|401 Unauthorized|failed to authorize|repository does not exist",
        ),
    ),
    (
        "needs a build secret",
        re.compile(r"secret \S+ not found|/run/secrets/\S+: No such file|secret .* required"),
    ),
    (
        "needs a build argument",
        re.compile(
            r"parameter (null or )?not set|: parameter not set|\bARG\b.*required|build-arg .* required"
        ),
    ),
    ("build timed out", re.compile(r"^hardenify: timed out", re.M)),
)

_ASSIGN = re.compile(
    r"(?i)(\b[A-Z0-9_]*(?:TOKEN|SECRET|PASSWORD|PASSWD|PASS|KEY|AUTH|CREDENTIALS?)[A-Z0-9_]*\s*=\s*)"
    r"(\"[^\"]*\"|'[^']*'|[^\s\"']+)"
)
_URL_CRED = re.compile(r"(://)[^/\s:@]+:[^/\s@]+@")
_STEP_NOISE = re.compile(r"^#\d+ (sha256:[0-9a-f]+|DONE|CACHED|\d+\.\d+ )?\s*$")


def cause(log: str) -> str | None:
    """The reason a build could not run here, or None when the log points at the Dockerfile."""
    for reason, pattern in _CAUSES:
        if pattern.search(log):
            return reason
    return None


def redact(text: str, redactor: Redactor) -> str:
    """The redactor's known secrets, plus `*TOKEN=value` assignments and URL credentials."""
    text = redactor(text)
    text = _ASSIGN.sub(lambda m: m.group(1) + (m.group(2) if m.group(2).startswith("$") else REDACTED), text)
    return _URL_CRED.sub(r"\1" + REDACTED + "@", text)


def excerpt(log: str, redactor: Redactor, lines: int = 6, width: int = 200) -> str:
    """The last meaningful lines of a log (errors first), redacted and shortened."""
    kept = [ln for ln in log.splitlines() if ln.strip() and not _STEP_NOISE.match(ln)]
    errors = [ln for ln in kept if re.search(r"(?i)error|failed|denied|not found|exit code", ln)]
    chosen = (errors or kept)[-lines:]
    out = []
    for ln in chosen:
        ln = redact(re.sub(r"^#\d+ (\d+\.\d+ )?", "", ln.rstrip()), redactor)
        out.append(ln if len(ln) <= width else ln[: width - 1] + "…")
    return "\n".join(out)
