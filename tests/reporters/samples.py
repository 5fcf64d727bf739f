"""Hand-built outcomes for reporter tests: no rule modules exist yet, so diagnostics are
made directly, with positions computed from the text exactly as the engine computes them.

The sample run has three files:
- app/Dockerfile: CRLF line endings, a tab-indented multi-line RUN, a secret that appears
  in the source line, the message, the note and a fix's edit (unsafe), and a safe fix.
- svc/Dockerfile: LF, no final newline, an unsafe fix, a multi-edit safe fix, an info finding.
- broken/Dockerfile: could not be processed; its error message contains the secret.
"""

from __future__ import annotations

from collections import Counter

from hardenify.diagnostics import Applicability, Diagnostic, Edit, Fix, Position, Redactor, Severity
from hardenify.outcome import FileOutcome

SECRET = "hunter2-s3cr3t-value"  # 20 chars: deliberately not the marker's 14

APP_TEXT = (
    f"FROM alpine:3.19\r\nENV API_TOKEN={SECRET}\r\nUSER root\r\nRUN apk add \\\r\n\tcurl \\\r\n\tgit\r\n"
)
SVC_TEXT = "FROM python:3.12\nCOPY . /app\nUSER root"


def position(text: str, offset: int) -> Position:
    """1-based row/column of a character offset, rows split on "\\n" (the parser's rule)."""
    row = text.count("\n", 0, offset) + 1
    return Position(row, offset - (text.rfind("\n", 0, offset) + 1) + 1)


def span(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return start, start + len(needle)


def diag(
    text: str,
    code: str,
    name: str,
    start: int,
    end: int,
    message: str,
    severity: Severity = Severity.ERROR,
    *,
    fix: Fix | None = None,
    note: str | None = None,
    filename: str = "Dockerfile",
    url: str | None = None,
) -> Diagnostic:
    return Diagnostic(
        code=code,
        name=name,
        message=message,
        severity=severity,
        start=start,
        end=end,
        location=position(text, start),
        end_location=position(text, end),
        fix=fix,
        filename=filename,
        url=url,
        note=note,
    )


def secret_redactor() -> Redactor:
    r = Redactor()
    r.add(SECRET)
    return r


def app_outcome() -> FileOutcome:
    t = APP_TEXT
    env_start = t.index("ENV")
    env_end = t.index("\r\n", env_start)
    line3 = t.index("USER")
    user = span(t, "USER root")
    root = span(t, "root")
    run_start = t.index("RUN")
    run_end = t.index("git") + 3
    diags = [
        diag(
            t,
            "HF301",
            "secret-in-env",
            env_start,
            env_end,
            f"API_TOKEN holds a secret ({SECRET})",
            fix=Fix(
                (Edit(env_start, line3, f"ARG API_TOKEN # was {SECRET}\r\n"),),
                Applicability.UNSAFE,
                "Move API_TOKEN to a build secret",
            ),
            note=f"rotate {SECRET}: it is in the image history",
            filename="app/Dockerfile",
        ),
        diag(
            t,
            "HF101",
            "root-user",
            *user,
            "Container runs as root",
            fix=Fix((Edit(*root, "10001"),), Applicability.SAFE, "Switch to an unprivileged user"),
            filename="app/Dockerfile",
        ),
        diag(
            t,
            "HF401",
            "apk-no-cache",
            run_start,
            run_end,
            "apk add without --no-cache keeps the package index",
            Severity.WARNING,
            filename="app/Dockerfile",
        ),
    ]
    return FileOutcome(
        filename="app/Dockerfile",
        kind="dockerfile",
        status="success",
        diagnostics=diags,
        redactor=secret_redactor(),
        original=t,
    )


def svc_outcome() -> FileOutcome:
    t = SVC_TEXT
    from_end = t.index("\n")
    copy = span(t, "COPY . /app")
    user = span(t, "USER root")
    root = span(t, "root")
    diags = [
        # Deliberately out of order: reporters sort by position.
        diag(
            t,
            "HF101",
            "root-user",
            *user,
            "Container runs as root",
            fix=Fix(
                (Edit(root[0], root[1], "app"), Edit(user[0], user[0], "RUN adduser -D app\n")),
                Applicability.SAFE,
                "Create and switch to user app",
            ),
            filename="svc/Dockerfile",
        ),
        diag(
            t,
            "HF203",
            "unpinned-base-image",
            0,
            from_end,
            "Base image python:3.12 is not pinned by digest",
            Severity.WARNING,
            fix=Fix((Edit(from_end, from_end, "@sha256:abc"),), Applicability.UNSAFE, "Pin the digest"),
            filename="svc/Dockerfile",
        ),
        diag(
            t,
            "HF402",
            "broad-copy",
            *copy,
            "COPY . copies the whole build context",
            Severity.INFO,
            note="add a .dockerignore",
            filename="svc/Dockerfile",
        ),
    ]
    return FileOutcome(
        filename="svc/Dockerfile",
        kind="dockerfile",
        status="success",
        diagnostics=diags,
        original=t,
    )


def error_outcome() -> FileOutcome:
    return FileOutcome(
        filename="broken/Dockerfile",
        kind="dockerfile",
        status="failure",
        error=f"internal error (ValueError: bad token {SECRET})",
        redactor=secret_redactor(),
    )


def sample_outcomes() -> list[FileOutcome]:
    return [app_outcome(), svc_outcome(), error_outcome()]


def fixed_outcome(
    original: str,
    fixed_text: str,
    *,
    filename: str = "Dockerfile",
    fixed: dict[str, int] | None = None,
    redactor: Redactor | None = None,
    refused: str | None = None,
) -> FileOutcome:
    """An outcome as `hardenify fix` produces it (nothing remaining unless added later)."""
    return FileOutcome(
        filename=filename,
        kind="dockerfile",
        status="success",
        original=original,
        fixed_text=fixed_text,
        fixed=Counter(fixed or {}),
        redactor=redactor or Redactor(),
        refused=refused,
    )
