"""Writing the split: the build stage keeps its bytes (named `AS build`), the runtime stage is
inserted after the last build step with the copies, ENV, WORKDIR, USER and ARGs it needs, and
run-time-only lines move into it. Also the plan's vocabulary (`Copy`, `Draft`, `Plan`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from hardenify.diagnostics import Edit
from hardenify.dockerfile.model import (
    Comment,
    Dockerfile,
    Instruction,
    Node,
    Stage,
    arg_pairs,
    env_pairs,
    split_words,
)
from hardenify.knowledge.bases import has_shell
from hardenify.knowledge.runtimes import (
    BASE_USERS,
)

from .evidence import VAR_RE, StageView, is_hint
from .facts import BUILD_ENV_KEYS, BUILD_ENV_PREFIXES, BUILD_STAGE, HINT, VENV, Refuse

_EXPANDED = frozenset({"ENV", "LABEL", "EXPOSE", "USER", "WORKDIR", "STOPSIGNAL", "VOLUME", "ARG"})
_RUNTIME_ONLY = frozenset(
    {"EXPOSE", "CMD", "ENTRYPOINT", "HEALTHCHECK", "STOPSIGNAL", "LABEL", "MAINTAINER", "VOLUME"}
)


# ------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Copy:
    """One `COPY --from=build <src> <dest>` line of the runtime stage."""

    src: str
    dest: str


@dataclass
class Plan:
    """A split the planner is sure of: its edits, and what it does in one sentence."""

    stack: str
    runtime: str
    copies: list[Copy]
    edits: list[Edit]
    summary: str


@dataclass
class Draft:
    """What the planner has decided for the runtime stage so far."""

    stack: str
    copies: list[Copy] = field(default_factory=list)
    build_lines: list[str] = field(default_factory=list)  # appended to the build stage
    venv_before: Instruction | None = None  # `python -m venv` goes before this RUN
    extra_env: list[str] = field(default_factory=list)  # new ENV lines for the runtime
    rewrites: dict[int, str] = field(default_factory=dict)  # id(instruction) → its new text

    def copy(self, path: str) -> None:
        """Add a path, unless a copied directory holds it already (a wider one replaces narrower)."""
        path = path.rstrip("/") or "/"
        for c in self.copies:
            if c.src == path or path.startswith(c.src + "/"):
                return
        self.copies = [c for c in self.copies if not c.src.startswith(path + "/")]
        self.copies.append(Copy(path, path))


# ------------------------------------------------------------------------------------ composing


def kw_like(like: str, word: str) -> str:
    """`word` in the letter case of `like`."""
    if like.islower():
        return word.lower()
    if like[:1].isupper() and like[1:].islower():
        return word[:1].upper() + word[1:].lower()
    return word.upper()


def compose(df: Dockerfile, view: StageView, draft: Draft, runtime: str) -> Plan:
    """Turn the draft into edits: name the stage, move run-time-only lines, insert the runtime."""
    stage = view.stage
    nl = df.newline
    like = stage.from_.keyword

    def kw(line: str) -> str:
        word, _, rest = line.partition(" ")
        return f"{kw_like(like, word)} {rest}"

    name = stage.name or BUILD_STAGE
    edits: list[Edit] = []
    if stage.name is None:
        end = len(stage.from_.args.rstrip(" \t"))
        pos = stage.from_.arg_src(end, end=True)
        edits.append(Edit(pos, pos, f" {kw_like(like, 'AS')} {BUILD_STAGE}"))

    instructions = stage.instructions
    last = max(i for i, ins in enumerate(instructions) if ins.cmd in ("RUN", "COPY", "ADD"))
    before, tail = instructions[: last + 1], instructions[last + 1 :]
    moved = [ins for ins in before if ins.cmd in _RUNTIME_ONLY]

    # USER stays where the build needs it; the runtime repeats the last one (by number when the
    # build created the user, since the runtime's /etc/passwd does not have it).
    user_lines: list[str] = []
    if not any(i.cmd == "USER" for i in tail):
        users = [i for i in before if i.cmd == "USER"]
        if users:
            user_lines.append(_runtime_user(view, users[-1], runtime))
    for ins in tail:
        if ins.cmd == "USER":
            new = _runtime_user(view, ins, runtime)
            if new != _raw(df, ins):
                draft.rewrites[id(ins)] = new

    copied = [c.src for c in draft.copies]
    env_lines, env_defined = _runtime_env(df, before, copied, kw)
    env_lines += [kw(line) for line in draft.extra_env]

    shell_lines: list[str] = []
    shells = [i for i in before if i.cmd == "SHELL"]
    if shells and has_shell(runtime) and not any(i.cmd == "SHELL" for i in tail):
        if any(i.cmd in ("CMD", "ENTRYPOINT", "HEALTHCHECK") and i.json is None for i in instructions):
            shell_lines.append(_raw(df, shells[-1]))

    workdir_lines = _runtime_workdir(view, tail, kw)
    copy_lines = [kw(f"COPY --from={name} {c.src} {c.dest}") for c in draft.copies]
    arg_lines = _needed_args(df, view, env_lines + workdir_lines + user_lines, moved + tail, env_defined, kw)

    moved_text: list[str] = []
    for ins in moved:
        start = _attached_start(df, ins)
        edits.append(Edit(start, ins.end, ""))
        rewritten = draft.rewrites.pop(id(ins)) if id(ins) in draft.rewrites else None
        body = (
            df.text[start : ins.start] + ins.indent + (rewritten if rewritten is not None else _raw(df, ins))
        )
        moved_text.append(body)

    tail_rewrites: list[tuple[int, int, str]] = []
    for ins in tail:
        rewritten = draft.rewrites.pop(id(ins)) if id(ins) in draft.rewrites else None
        if rewritten is not None:
            tail_rewrites.append((ins.start + len(ins.indent), ins.content_end, rewritten))

    block = [kw(f"FROM {_platform(stage)}{runtime}")]
    # USER before the moved CMD/ENTRYPOINT/HEALTHCHECK lines, so the file reads as it runs.
    block += arg_lines + workdir_lines + env_lines + shell_lines + copy_lines + user_lines + moved_text
    block_text = nl.join(_newlines(b, nl) for b in block)

    # One edit from the end of the last build instruction to where the runtime stage goes. The
    # bytes in between are re-emitted unchanged; claiming their span makes the engine defer other
    # rules' insertions there (HF101's USER "for the final stage", say) to the next pass, when the
    # final stage is the runtime stage.
    anchor = instructions[last]
    after = _first_after(df, anchor)
    end = after.start if after is not None else len(df.text)
    content = (df.text[anchor.content_end : anchor.end] or nl) + "".join(
        anchor.indent + kw(line) + nl for line in draft.build_lines
    )
    content += df.text[anchor.end : end]
    if not content.endswith("\n"):
        content += nl
    if not content.endswith(("\n\n", "\n\r\n")):
        content += nl  # a blank line before the runtime FROM
    content += block_text
    if after is not None or df.text.endswith("\n"):
        content += nl
    # The edit runs to the end of the file, re-emitting the tail (with its rewrites): everything
    # after the last build step now belongs to the new runtime stage, so another rule's edit
    # there, computed for the old single stage, must wait for the next pass. Ending the span at
    # the tail's first line let an insertion at that exact offset (HF101's `RUN useradd`, when no
    # blank line separated the last RUN from CMD) through, into a stage without a shell.
    tail_text = df.text[end:]
    for start, stop, new in sorted(tail_rewrites, reverse=True):
        tail_text = tail_text[: start - end] + new + tail_text[stop - end :]
    edits.append(Edit(anchor.content_end, len(df.text), content + tail_text))

    if draft.venv_before is not None:
        ins = draft.venv_before
        lines = [kw(f"RUN python -m venv {VENV}"), kw(f"ENV PATH={VENV}/bin:$PATH")]
        edits.append(Edit(ins.start, ins.start, "".join(ins.indent + x + nl for x in lines)))

    artifacts = ", ".join(f"`{c.src}`" for c in draft.copies)
    extra = " (devDependencies pruned)" if any("prune" in b for b in draft.build_lines) else ""
    summary = f"split: `{name}` stage + `{runtime}` runtime stage with {artifacts}{extra}"
    return Plan(stack=draft.stack, runtime=runtime, copies=list(draft.copies), edits=edits, summary=summary)


def _newlines(text: str, nl: str) -> str:
    """Moved text keeps its own line breaks, normalised to the file's newline."""
    return text.replace("\r\n", "\n").replace("\n", nl) if nl != "\n" else text.replace("\r\n", "\n")


def _platform(stage: Stage) -> str:
    flag = stage.from_.flag("platform")
    return f"{flag.raw} " if flag is not None else ""


def _first_after(df: Dockerfile, ins: Instruction) -> Node | None:
    """The first comment or instruction after `ins`: the runtime stage goes in front of it."""
    i = df.nodes.index(ins)
    for node in df.nodes[i + 1 :]:
        if isinstance(node, (Instruction, Comment)) and not is_hint(node):
            return node
    return None


def _attached_start(df: Dockerfile, ins: Instruction) -> int:
    """Start of the comment lines right above `ins`: they move with it."""
    i = df.nodes.index(ins)
    while i > 0 and isinstance(df.nodes[i - 1], Comment) and not is_hint(df.nodes[i - 1]):
        i -= 1
    return df.nodes[i].start


def _raw(df: Dockerfile, ins: Instruction) -> str:
    return df.text[ins.start + len(ins.indent) : ins.content_end]


def _runtime_workdir(view: StageView, tail: list[Instruction], kw: Callable[[str], str]) -> list[str]:
    """The WORKDIR the runtime stage needs before the tail (which may set its own)."""
    first = next((i for i in tail if i.cmd == "WORKDIR"), None)
    if first is not None:
        words = split_words(first.args)
        if words and words[0].strip("\"'").startswith(("/", "$")):
            return []
        wd = view.workdir_at.get(id(first))
    elif view.workdir_set:
        wd = view.workdir_at.get(id(tail[0])) if tail else view.final_workdir
    else:
        wd = view.initial_workdir if view.initial_workdir not in (None, "/") else "/"
    if wd is None:
        raise Refuse(f"cannot tell the WORKDIR the application runs in; {HINT}")
    return [] if wd == "/" else [kw(f"WORKDIR {wd}")]


def _runtime_user(view: StageView, ins: Instruction, runtime: str) -> str:
    """The USER line for the runtime stage: by number when the build created that user."""
    raw = _raw(view.df, ins)
    words = split_words(ins.args)
    spec = words[0] if words else ""
    user, _, group = spec.partition(":")
    if not user or "$" in spec or (user.isdigit() and (not group or group.isdigit())):
        return raw
    created = _created_ids(view)
    if user in created:
        uid, gid = created[user]
        if uid is None:
            raise Refuse(
                f"the runtime image does not have the user `{user}` the build creates: give it an explicit uid "
                f"(`useradd --uid 10001 {user}`), so the runtime can run as that number"
            )
        if group:
            gid = group if group.isdigit() else created.get(group, (None, None))[0]
            if gid is None:
                raise Refuse(f"cannot tell the gid of group `{group}`: give it an explicit gid")
        return (
            f"{kw_like(ins.keyword, 'USER')} {uid}:{gid}" if gid else f"{kw_like(ins.keyword, 'USER')} {uid}"
        )
    known = {"root", "nobody"}
    low = runtime.lower()
    base_ids = BASE_USERS.get(view.base.name, {}) if view.base is not None else {}
    if "distroless" in low:
        known.add("nonroot")
    if re.match(r"^(?:docker\.io/)?(?:library/)?node:", low):
        known.add("node")
    if "dotnet/" in low:
        known.add("app")
    if user not in known and user in base_ids and (not group or group == user):
        return f"{kw_like(ins.keyword, 'USER')} {base_ids[user]}"  # e.g. node → 1000:1000 on distroless
    if user not in known or (group and group not in known and not group.isdigit()):
        raise Refuse(
            f"`{runtime}` may not have the user `{spec}`: use a numeric `USER uid:gid`, or add "
            "`# hardenify: runtime=<image>`"
        )
    return raw


def _created_ids(view: StageView) -> dict[str, tuple[str | None, str | None]]:
    """Users and groups the stage creates → (uid or gid, primary gid), where the command says."""
    out: dict[str, tuple[str | None, str | None]] = {}
    value_opts = {
        "-u",
        "--uid",
        "-g",
        "--gid",
        "-G",
        "--groups",
        "--ingroup",
        "-s",
        "--shell",
        "-h",
        "--home",
        "-d",
        "--home-dir",
        "-c",
        "--comment",
        "--gecos",
        "-k",
        "-K",
        "-e",
        "-f",
        "-p",
    }
    for c in view.cmds:
        if c.program not in ("useradd", "adduser", "groupadd", "addgroup"):
            continue
        is_group = c.program in ("groupadd", "addgroup")
        num: str | None = None
        gid: str | None = None
        args = c.argv[1:]
        for i, a in enumerate(args):
            key, eq, val = a.partition("=")
            if not eq:
                val = args[i + 1] if i + 1 < len(args) else ""
            if key in ("-u", "--uid") or (is_group and key in ("-g", "--gid")):
                num = val
            elif key in ("-g", "--gid", "--ingroup", "-G") and not is_group and key != "-G":
                gid = val
        names = c.positional(value_opts)
        if not names:
            continue
        name = names[0]
        num = num if num and num.isdigit() else None
        if is_group and len(names) == 1:
            out.setdefault(name, (num, num))
            continue
        if gid is not None and not gid.isdigit():
            gid = out.get(gid, (None, None))[0]
        if gid is None and name in out:
            gid = out[name][0]
        out[name] = (num, gid)
    return out


def _runtime_env(
    df: Dockerfile, before: list[Instruction], copied: list[str], kw: Callable[[str], str]
) -> tuple[list[str], set[str]]:
    """The stage's ENV lines the runtime needs too, and the keys they define."""
    out: list[str] = []
    keys: set[str] = set()
    for ins in before:
        if ins.cmd != "ENV":
            continue
        pairs = env_pairs(ins)
        keep = [p for p in pairs if _env_relevant(p[0], p[1], copied)]
        keys.update(k for k, _, _, _ in keep)
        if keep and len(keep) == len(pairs):
            out.append(_raw(df, ins))
        elif keep:
            out.append(kw("ENV " + " ".join(ins.args[s:e] for _, _, s, e in keep)))
    return out, keys


def _env_relevant(key: str, value: str, copied: list[str]) -> bool:
    up = key.upper()
    if up in BUILD_ENV_KEYS or up.startswith(BUILD_ENV_PREFIXES):
        return False
    if up == "PATH":  # only when it points into something the runtime gets
        entries = [e.rstrip("/") for e in value.split(":") if e and "$" not in e]
        return any(any(e == c or e.startswith(c + "/") for c in copied) for e in entries)
    return True


def _needed_args(
    df: Dockerfile,
    view: StageView,
    lines: list[str],
    runtime_ins: list[Instruction],
    defined: set[str],
    kw: Callable[[str], str],
) -> list[str]:
    """ARG (or ENV) lines for variables the runtime stage expands but would not have."""
    texts = list(lines) + [_raw(df, i) for i in runtime_ins if i.cmd in _EXPANDED]
    used: list[str] = []
    for t in texts:
        for m in VAR_RE.finditer(t):
            n = m.group(1) or m.group(2)
            if n not in used:
                used.append(n)
    known = set(defined)
    for ins in runtime_ins:
        if ins.cmd == "ARG":
            known.update(n for n, _ in arg_pairs(ins))
        elif ins.cmd == "ENV":
            known.update(k for k, _, _, _ in env_pairs(ins))
    out: list[str] = []
    for n in used:
        if n in known:
            continue
        arg = view.arg_ins.get(n)
        if arg is not None:
            value = dict(arg_pairs(arg)).get(n)
            out.append(kw(f"ARG {n}" + (f"={_quote(value)}" if value is not None else "")))
        elif n in df.global_args:
            out.append(kw(f"ARG {n}"))
        elif n in view.env_keys and view.final_env.get(n) is not None:
            out.append(kw(f"ENV {n}={_quote(view.final_env[n] or '')}"))
    return out


def _quote(value: str) -> str:
    return value if re.fullmatch(r"[\w./:@%+,-]*", value) else json.dumps(value)
