"""What BuildKit's Dockerfile frontend rejects after its parser accepted the file.

The `dockerfile` package binds BuildKit's *parser*, which splits lines and keeps every
`--flag` as text. The frontend (`instructions.Parse`) then refuses unknown flags, unknown mount
types and keys, durations that are not Go durations, and a few argument shapes. hardenify reports
those as HF001 with the frontend's own wording, so `check` fails where `docker build` would.
Flags are the ones of the current stable frontend (dockerfile:1); labs-only flags
(`RUN --security`, `RUN --device`) are accepted, since a `# syntax=` line may enable them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from hardenify.dockerfile.model import Dockerfile, Flag, Instruction

# instruction → flags the frontend knows (BFlags.AddString/AddBool/AddStrings in parse.go)
FLAGS: dict[str, frozenset[str]] = {
    "FROM": frozenset({"platform"}),
    "RUN": frozenset({"mount", "network", "security", "device"}),
    "COPY": frozenset({"from", "chown", "chmod", "link", "parents", "exclude"}),
    "ADD": frozenset({"chown", "chmod", "link", "keep-git-dir", "checksum", "exclude", "unpack"}),
    "HEALTHCHECK": frozenset({"interval", "timeout", "start-period", "start-interval", "retries"}),
}
MOUNT_TYPES = frozenset({"bind", "cache", "tmpfs", "secret", "ssh"})
# keys runmount.go's parseMount accepts
MOUNT_KEYS = frozenset(
    {
        "type",
        "from",
        "source",
        "src",
        "target",
        "dst",
        "destination",
        "readonly",
        "ro",
        "readwrite",
        "rw",
        "id",
        "sharing",
        "mode",
        "uid",
        "gid",
        "required",
        "env",
        "size",
    }
)
NETWORK_MODES = frozenset({"default", "none", "host"})
_DURATION = re.compile(r"^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$|^0$")
_PORT = re.compile(r"^(\d+)(?:-(\d+))?(?:/([A-Za-z]+))?$")


class FrontendProblem(NamedTuple):
    start: int  # file span of what is wrong
    end: int
    message: str


def problems(df: Dockerfile) -> Iterator[FrontendProblem]:
    """Every instruction the frontend would refuse, in file order."""
    for ins in df.instructions:
        target = ins.sub if ins.cmd == "ONBUILD" and ins.sub is not None else ins
        yield from _instruction(ins, target)


def _instruction(outer: Instruction, ins: Instruction) -> Iterator[FrontendProblem]:
    known = FLAGS.get(ins.cmd, frozenset())
    for f in ins.flags:
        if f.name not in known:
            yield FrontendProblem(f.start, f.end, f"unknown flag: {f.name}")
            continue
        yield from _flag(ins, f)
    if ins.cmd == "FROM":
        words = ins.args.split()
        if len(words) == 2 or (len(words) == 3 and words[1].lower() != "as") or len(words) > 3:
            yield FrontendProblem(outer.start, outer.end, "FROM requires either one or three arguments")
    elif ins.cmd == "EXPOSE":
        for word in ins.args.split():
            if "$" in word or ":" in word:
                continue  # expanded at build time, or a host:container mapping Docker accepts
            m = _PORT.match(word)
            if m is None:
                yield FrontendProblem(outer.start, outer.end, f"invalid containerPort: {word}")
            elif m.group(3) and m.group(3).lower() not in ("tcp", "udp", "sctp"):
                yield FrontendProblem(outer.start, outer.end, f"invalid proto: {m.group(3)}")


def _flag(ins: Instruction, f: Flag) -> Iterator[FrontendProblem]:
    value = f.value or ""
    if "$" in value:
        return  # expanded at build time: judged then
    if ins.cmd == "RUN" and f.name == "mount":
        opts = f.options()
        kind = opts.get("type", "bind")
        if kind not in MOUNT_TYPES:
            yield FrontendProblem(f.start, f.end, f"unsupported mount type {kind!r}")
        for key in opts:
            if key not in MOUNT_KEYS:
                yield FrontendProblem(f.start, f.end, f"unexpected key '{key}' in '{f.value}'")
    elif ins.cmd == "RUN" and f.name == "network":
        if value not in NETWORK_MODES:
            yield FrontendProblem(f.start, f.end, f"unsupported network mode {value!r}")
    elif ins.cmd == "HEALTHCHECK" and f.name in ("interval", "timeout", "start-period", "start-interval"):
        if not _DURATION.match(value):
            yield FrontendProblem(f.start, f.end, f'time: invalid duration "{value}"')
    elif ins.cmd == "HEALTHCHECK" and f.name == "retries":
        if not re.fullmatch(r"[+-]?\d+", value):
            yield FrontendProblem(f.start, f.end, f'strconv.ParseInt: parsing "{value}": invalid syntax')
