"""What a proof found and what it concludes: pure data and logic, no engine.

A verdict is decided only from facts gathered by `hardenify.prove.run`, so every rule here is
unit-tested without Docker: which differences are expected (a shell-form CMD made exec form, a
secret ENV moved out), which run states count as "the same", and when a file is reverted.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Paths a build stage leaves behind and a runtime stage does not need: compilers, headers,
# package-manager caches, toolchains. Files under these going away after a split are expected.
BUILD_ONLY_PREFIXES = (
    "usr/include/",
    "usr/lib/gcc/",
    "usr/libexec/gcc/",
    "usr/local/go/",
    "usr/local/cargo/",
    "usr/local/rustup/",
    "usr/share/doc/",
    "usr/share/man/",
    "usr/share/info/",
    "var/cache/",
    "var/lib/apt/lists/",
    "root/.cache/",
    "root/.npm/",
    "root/.cargo/",
    "go/pkg/",
    "tmp/",
)
_BUILD_ONLY_PARTS = ("/node_modules/.cache/", "/__pycache__/", "/.git/")

# How many groups of missing files a proof names; JSON lists at most MAX_JSON_FILES paths.
MAX_GROUPS = 4
MAX_JSON_FILES = 200


class Verdict(str, enum.Enum):
    PROVEN = "proven"
    UNPROVEN = "unproven"  # could not build or run here: not a failure of the fix
    REVERTED = "reverted"  # the fixed image fails where the original passed


@dataclass(frozen=True)
class ImageFacts:
    """The parts of an image's config and contents a fix may change."""

    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    exposed: tuple[str, ...] = ()
    workdir: str = ""
    env: Mapping[str, str] = field(default_factory=dict)
    user: str = ""
    healthcheck: tuple[str, ...] | None = None
    size: int = 0
    files: frozenset[str] | None = None  # None: not listed (too many, or the export failed)

    @classmethod
    def from_inspect(cls, data: Mapping[str, Any], files: frozenset[str] | None = None) -> ImageFacts:
        """From one element of `docker image inspect` output."""
        cfg = data.get("Config") or {}
        env: dict[str, str] = {}
        for item in cfg.get("Env") or ():
            key, _, value = str(item).partition("=")
            env[key] = value
        hc = cfg.get("Healthcheck") or {}
        test = tuple(str(t) for t in hc.get("Test") or ())
        return cls(
            entrypoint=_words(cfg.get("Entrypoint")),
            cmd=_words(cfg.get("Cmd")),
            exposed=tuple(sorted(str(p) for p in (cfg.get("ExposedPorts") or {}))),
            workdir=str(cfg.get("WorkingDir") or ""),
            env=env,
            user=str(cfg.get("User") or ""),
            healthcheck=test if test and test != ("NONE",) else None,
            size=int(data.get("Size") or 0),
            files=files,
        )

    @property
    def ports(self) -> tuple[int, ...]:
        """Exposed TCP port numbers (what "listening" is checked against)."""
        out = []
        for p in self.exposed:
            num, _, proto = p.partition("/")
            if (proto or "tcp") == "tcp" and num.isdigit():
                out.append(int(num))
        return tuple(out)


def _words(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def same_command(a: tuple[str, ...] | None, b: tuple[str, ...] | None) -> bool:
    """Equal, or one is the shell form of the other (`/bin/sh -c "python app.py"` vs exec form)."""
    if a == b:
        return True
    if a is None or b is None:
        return False

    def flat(w: tuple[str, ...]) -> str:
        if len(w) == 3 and w[0] in ("/bin/sh", "sh", "/bin/bash") and w[1] == "-c":
            w = tuple(w[2].removeprefix("exec ").split())
        return " ".join(x.strip("\"'") for x in w)

    return flat(a) == flat(b)


def is_build_only(path: str) -> bool:
    """A file a runtime stage is expected to drop (compilers, headers, caches)."""
    p = path.lstrip("./")
    return p.startswith(BUILD_ONLY_PREFIXES) or any(part in f"/{p}" for part in _BUILD_ONLY_PARTS)


@dataclass(frozen=True)
class Comparison:
    same: tuple[str, ...]  # "entrypoint", "cmd", ... unchanged (or only reformatted)
    changed: tuple[tuple[str, str, str], ...]  # (what, before, after)
    gone: tuple[str, ...]  # files the original ships that the fixed image does not (not build-only)
    gone_build_only: int
    size_before: int
    size_after: int


_FIELDS = ("entrypoint", "cmd", "exposed ports", "workdir", "env", "user", "healthcheck")


def compare(before: ImageFacts, after: ImageFacts, moved: Iterable[str] = ()) -> Comparison:
    """Config, file-tree and size differences; `moved` names env variables the fix moved out
    on purpose (secrets), which are not reported as lost."""
    moved_set = set(moved)
    same: list[str] = []
    changed: list[tuple[str, str, str]] = []

    def note(name: str, equal: bool, a: str, b: str) -> None:
        if equal:
            same.append(name)
        else:
            changed.append((name, a, b))

    note(
        "entrypoint",
        same_command(before.entrypoint, after.entrypoint),
        _show(before.entrypoint),
        _show(after.entrypoint),
    )
    note("cmd", same_command(before.cmd, after.cmd), _show(before.cmd), _show(after.cmd))
    note("exposed ports", before.exposed == after.exposed, " ".join(before.exposed), " ".join(after.exposed))
    note("workdir", before.workdir == after.workdir, before.workdir, after.workdir)
    lost = sorted(k for k in before.env if k not in after.env and k not in moved_set)
    added = sorted(k for k in after.env if k not in before.env)
    # Values are not shown: an env value may be a secret that is not moved.
    note("env", not lost and not added, " ".join(f"-{k}" for k in lost), " ".join(f"+{k}" for k in added))
    note("user", before.user == after.user, before.user or "root", after.user or "root")
    note(
        "healthcheck",
        before.healthcheck == after.healthcheck,
        _show(before.healthcheck),
        _show(after.healthcheck),
    )
    gone: list[str] = []
    build_only = 0
    if before.files is not None and after.files is not None:
        for path in sorted(before.files - after.files):
            if is_build_only(path):
                build_only += 1
            else:
                gone.append(path)
    return Comparison(tuple(same), tuple(changed), tuple(gone), build_only, before.size, after.size)


def gone_summary(gone: Sequence[str]) -> str:
    """A few names, or the count grouped by their top two directories, largest groups first."""
    if len(gone) <= 3:
        return ", ".join(gone)
    groups: Counter[str] = Counter(
        "/".join(p.split("/")[:2]) if p.count("/") >= 2 else p.split("/")[0] for p in gone
    )
    top = groups.most_common(MAX_GROUPS)
    shown = ", ".join(f"{g}/ ({n})" if n > 1 else g for g, n in top)
    more = ", …" if len(groups) > MAX_GROUPS else ""
    return f"{len(gone)} files: {shown}{more}"


def _show(words: tuple[str, ...] | None, width: int = 60) -> str:
    text = "none" if words is None else " ".join(words)
    return text if len(text) <= width else text[: width - 1] + "…"


class StateKind(str, enum.Enum):
    HEALTHY = "healthy"
    LISTENING = "listening"
    RUNNING = "running"
    EXITED = "exited"
    UNHEALTHY = "unhealthy"
    NOT_LISTENING = "not listening"
    FAILED = "failed to start"


@dataclass(frozen=True)
class RunState:
    """Where a container got to within the time budget, with the hardened run options."""

    kind: StateKind
    exit_code: int | None = None
    ports: tuple[int, ...] = ()  # ports found listening
    uid: int | None = None  # the effective uid of its main process, when readable
    detail: str = ""  # a redacted log excerpt when it failed

    @property
    def ok(self) -> bool:
        if self.kind is StateKind.EXITED:
            return self.exit_code == 0
        return self.kind in (StateKind.HEALTHY, StateKind.LISTENING, StateKind.RUNNING)

    def describe(self) -> str:
        if self.kind is StateKind.EXITED:
            return f"exited {self.exit_code}"
        if self.kind is StateKind.LISTENING:
            return "listening on " + ", ".join(str(p) for p in self.ports)
        return str(self.kind.value)


def same_state(before: RunState, after: RunState) -> bool:
    """The fixed container reached what the original reached (or better: started where it did not)."""
    if not before.ok:
        return True
    if not after.ok:
        return False
    if before.kind is StateKind.EXITED:
        return after.kind is StateKind.EXITED
    rank = {StateKind.RUNNING: 0, StateKind.LISTENING: 1, StateKind.HEALTHY: 2}
    return rank.get(after.kind, -1) >= rank.get(before.kind, -1) and set(before.ports) <= set(after.ports)


@dataclass
class Proof:
    """The evidence for one Dockerfile; every string in it is already redacted."""

    path: str
    verdict: Verdict
    reason: str = ""
    comparison: Comparison | None = None
    before: RunState | None = None
    after: RunState | None = None
    user: str = ""  # the fixed image's configured USER
    seconds: float = 0.0
    kept: bool = False  # reverted or unproven, but kept (--keep-unproven)
    log_excerpt: str = ""
    hardened_before: RunState | None = None  # set when the original failed the hardened run

    def evidence(self) -> list[str]:
        """Short phrases a reviewer reads: what held and what changed."""
        out: list[str] = []
        c = self.comparison
        if c is not None:
            out.append("built before and after")
            keep = [s for s in ("entrypoint", "cmd", "exposed ports") if s in c.same]
            if keep:
                out.append("same " + ", same ".join(keep))
            for what, a, b in c.changed:
                if what != "user":
                    out.append(f"{what}: {a or '-'} → {b or '-'}")
        if self.after is not None and self.after.uid is not None:
            out.append(f"runs as uid {self.after.uid}")
        elif self.user:
            out.append(f"runs as {self.user}")
        if c is not None and c.size_before and c.size_after:
            out.append(f"{human_size(c.size_before)} → {human_size(c.size_after)}")
        if c is not None and c.gone:
            out.append(f"no longer ships {gone_summary(c.gone)}")
        if c is not None and c.gone_build_only:
            out.append(f"{c.gone_build_only} build-only file(s) dropped")
        if self.hardened_before is not None:
            out.append(f"plain run (the original fails the hardened run: {self.hardened_before.describe()})")
        run = "hardened" if self.hardened_before is None else "plain"
        if self.before is not None and self.after is not None:
            if self.before.kind is self.after.kind and self.after.kind is StateKind.HEALTHY:
                out.append("healthcheck healthy")
            elif self.before.describe() == self.after.describe():
                out.append(f"{run} run: {self.after.describe()} before and after")
            else:
                out.append(f"{run} run: {self.before.describe()} → {self.after.describe()}")
        return out

    def headline(self) -> str:
        """`proven`, `unproven: needs network to build`, `reverted: …` (+ kept)."""
        head = self.verdict.value + (f": {self.reason}" if self.reason else "")
        if self.kept:
            head += " (kept: --keep-unproven)"
        return head

    def line(self) -> str:
        """One line for text output."""
        ev = self.evidence()
        return f"{self.path}: {self.headline()}" + (f"; {'; '.join(ev)}" if ev else "")

    def as_json(self) -> dict[str, Any]:
        c = self.comparison
        return {
            "path": self.path,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "kept": self.kept,
            "evidence": self.evidence(),
            "seconds": round(self.seconds, 2),
            "user": self.user,
            "size_before": c.size_before if c else None,
            "size_after": c.size_after if c else None,
            "same": list(c.same) if c else [],
            "changed": [{"what": w, "before": a, "after": b} for w, a, b in c.changed] if c else [],
            "files_gone": list(c.gone[:MAX_JSON_FILES]) if c else [],
            "files_gone_count": len(c.gone) if c else 0,
            "build_only_files_gone": c.gone_build_only if c else 0,
            "run_before": _state_json(self.before),
            "run_after": _state_json(self.after),
            "log_excerpt": self.log_excerpt,
            "hardened": self.hardened_before is None,
        }


def _state_json(s: RunState | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"state": s.kind.value, "exit_code": s.exit_code, "ports": list(s.ports), "uid": s.uid, "ok": s.ok}


def decide_run(before: RunState, after: RunState) -> tuple[Verdict, str]:
    """The verdict once both images built and ran."""
    if not before.ok and not after.ok:
        return (
            Verdict.UNPROVEN,
            f"the original does not start with the hardened run options either ({before.describe()})",
        )
    if same_state(before, after):
        return Verdict.PROVEN, ""
    return Verdict.REVERTED, f"the original {before.describe()}, the fixed image {after.describe()}"


def human_size(size: int) -> str:
    """669000000 -> '669 MB' (decimal units, like docker)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if value >= 10 or unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")
