"""Result values of a lookup.

A failed lookup is a value, not an exception, so one bad image never aborts the others and
the command can report every problem in one run.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ErrorKind(str, enum.Enum):
    """Why a reference could not be resolved; stable strings for JSON output and tests."""

    INVALID_REFERENCE = "invalid-reference"
    NOT_FOUND = "not-found"  # 404: unknown tag or repository
    DENIED = "denied"  # 401/403 after the auth dance
    NETWORK = "network"  # DNS failure, connection refused, connection dropped
    TIMEOUT = "timeout"
    TLS = "tls"  # certificate not trusted, handshake failure
    BAD_DIGEST = "bad-digest"  # the registry answered with a digest we refuse to write
    RATE_LIMITED = "rate-limited"  # 429 after every retry
    SERVER_ERROR = "server-error"  # 5xx after every retry
    PROTOCOL = "protocol"  # an answer that is not what the distribution API promises
    PLATFORM = "platform"  # the index has no manifest for the requested platform
    OFFLINE = "offline"  # offline mode and not in the cache


@dataclass(frozen=True)
class ResolveError:
    """A failed lookup: `kind` for programs, `message` for people (never holds a secret)."""

    kind: ErrorKind
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Resolution:
    """The answer for one reference: exactly one of `digest` and `error` is set.

    `source` says where a digest came from: "registry", "cache", or "reference" (the
    reference carried a digest and no tag, so there was nothing to look up).
    """

    ref: str
    digest: str | None = None
    error: ResolveError | None = None
    source: str = "registry"

    def __post_init__(self) -> None:
        if (self.digest is None) == (self.error is None):
            raise ValueError("a Resolution holds exactly one of digest and error")

    @property
    def ok(self) -> bool:
        return self.digest is not None
