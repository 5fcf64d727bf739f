"""HF303's fix planning: a COPY'd credential file becomes a BuildKit secret mount.

`copy_to_secret(df, cs)` drops a COPY'd credential file and mounts it as a secret at the same
path on the RUN steps that read it, dropping `rm` cleanups of it. It returns either a `Plan`
(edits + a message) or a `str` saying why no sound fix exists; it never raises.
"""

from __future__ import annotations

import posixpath
import re
from typing import NamedTuple

from hardenify.diagnostics import Edit
from hardenify.dockerfile import edits, stages
from hardenify.dockerfile.model import Dockerfile, Instruction, iter_words, unquote
from hardenify.dockerfile.runs import Cmd
from hardenify.dockerfile.secretmounts import secret_mounts
from hardenify.knowledge.secrets import CredentialKind
from hardenify.secrets import credential_kind, credential_secret_id

from ._secretedit import delete_command, delete_word, shell_commands
from ._secretfix import Plan, mentions_program, mount_insert_pos, non_root_at, runs_after


class CopySource(NamedTuple):
    ins: Instruction
    src: str
    dest: str
    kind: CredentialKind
    start: int  # span of the source word in ins.logical (-1 for JSON form)
    end: int
    nsources: int


def copy_sources(ins: Instruction) -> list[CopySource]:
    """Credential files among a COPY/ADD's sources (heredoc and URL sources are skipped)."""
    if ins.cmd not in ("COPY", "ADD") or ins.heredocs:
        return []
    if ins.json is not None:
        words = [(w, -1, -1) for w in ins.json]
    else:
        words = [(unquote(w), ins.args_offset + s, ins.args_offset + e) for w, s, e in iter_words(ins.args)]
    if len(words) < 2:
        return []
    dest = words[-1][0]
    out = []
    for w, s, e in words[:-1]:
        kind = credential_kind(w, dest)
        if kind is not None:
            out.append(CopySource(ins, w, dest, kind, s, e, len(words) - 1))
    return out


def _resolve(path: str, workdir: str | None) -> str | None:
    if path.startswith("/"):
        return posixpath.normpath(path)
    if workdir is None:
        return None
    return posixpath.normpath(posixpath.join(workdir, path))


def copy_target(df: Dockerfile, cs: CopySource) -> str | None:
    """Absolute path the file lands at, or None when it cannot be known statically."""
    dest = cs.dest
    if "$" in dest or dest.startswith("~") or not dest:
        return None
    base = cs.src.rstrip("/").rsplit("/", 1)[-1]
    workdir = stages.workdir_at(df, cs.ins)
    if dest.endswith("/") or dest in (".", "./") or cs.nsources > 1:
        d = _resolve(dest, workdir)
        return posixpath.join(d, base) if d else None
    d = _resolve(dest, workdir)
    if d is None:
        return None
    if d in ("/", "/root", "/tmp") or d == workdir:
        return posixpath.join(d, base)
    dbase = d.rsplit("/", 1)[-1]
    if dbase == base or credential_kind(dbase, d) is not None:
        return d
    return None


def _rm_targets(cmd: Cmd, target: str, workdir: str | None, home: str) -> list[int]:
    """Indices of `rm` arguments (words) that name `target`."""
    if cmd.program != "rm":
        return []
    idx: list[int] = []
    start = cmd.program_index + 1
    for k in range(start, len(cmd.all_words)):
        v = cmd.all_words[k].value
        if v.startswith("-"):
            continue
        for h in ("~/", "$HOME/", "${HOME}/"):
            if v.startswith(h):
                v = posixpath.join(home, v[len(h) :])
        p = _resolve(v, workdir) if "/" in v or workdir else None
        if p == target or ("/" not in v and workdir is None and v == target.rsplit("/", 1)[-1]):
            idx.append(k)
    return idx


def copy_to_secret(df: Dockerfile, cs: CopySource) -> Plan | str:
    """Plan replacing a COPY of a credential file with secret mounts on the RUNs that read it."""
    ins = cs.ins
    if df.is_windows:
        return "no automatic fix on Windows images"
    if ins.flag("from") is not None:
        return "it is copied from another stage or image"
    if cs.kind.key in ("ssh_dir", "aws_dir"):
        return "a directory cannot be a secret mount"
    target = copy_target(df, cs)
    if target is None:
        return "its destination path cannot be determined (relative path without WORKDIR, or variables)"
    if re.search(r"[\s,=\"']", target):
        return "its destination path cannot be written in a --mount option"
    base = target.rsplit("/", 1)[-1]
    user = stages.user_at(df, ins) or "root"
    home = "/root" if user.split(":")[0] in ("root", "0") else f"/home/{user.split(':')[0]}"
    scope = runs_after(df, ins, inherit=True)
    consumers: list[Instruction] = []
    removals: list[Edit] = []
    removal_runs: set[int] = set()
    mention = re.compile(r"(?<![\w.-])" + re.escape(base) + r"(?![\w-])|" + re.escape(target))
    for r in scope:
        if removal_runs:
            break  # an earlier step deleted the file: later steps never saw it
        cmds = shell_commands(r)
        rm_spans: list[tuple[int, int]] = []
        r_workdir = stages.workdir_at(df, r)
        for j, c in enumerate(cmds):
            hits = _rm_targets(c, target, r_workdir, home)
            if not hits:
                continue
            args_left = [
                k
                for k in range(c.program_index + 1, len(c.all_words))
                if not c.all_words[k].value.startswith("-")
            ]
            if len(hits) == len(args_left):
                e = delete_command(df, r, cmds, j)
                rm_spans.append((c.start, c.end))
            else:
                e = []
                for k in hits:
                    w = c.all_words[k]
                    sub = delete_word(df, r, r.args_offset + w.start, r.args_offset + w.end)
                    if sub is None:
                        e = None
                        break
                    e.extend(sub)
                    rm_spans.append((w.start, w.end))
            if e is None:
                return f"cannot remove the `rm` of {base} on line {r.line} cleanly"
            removals.extend(e)
            removal_runs.add(id(r))
        body = r.args
        for a, b in rm_spans:
            body = body[:a] + " " * (b - a) + body[b:]
        body += "\n" + "".join(h.content for h in r.heredocs)
        if mention.search(body) or (cs.kind.readers and mentions_program(body, cs.kind.readers)):
            consumers.append(r)
    if not consumers:
        return f"no later RUN step reads {base}"
    if not cs.kind.build_only and not removals:
        return f"{base} may be needed when the container runs (nothing deletes it after the build steps)"
    sid = credential_secret_id(cs.kind, cs.src)
    out = list(removals)
    for r in consumers:
        if any(m.target == target for m in secret_mounts(r)):
            continue
        if id(r) in removal_runs and r.json is None and not _survives(df, r, out):
            continue
        opts = f"type=secret,id={sid},target={target}"
        if non_root_at(df, r):
            opts += ",mode=0444"
        pos = mount_insert_pos(r)
        out.append(Edit(pos, pos, f" --mount={opts}"))
    if cs.nsources == 1:
        out.append(edits.delete(df, ins))
    else:
        if cs.start < 0:
            return "an exec-form COPY with several sources"
        e = delete_word(df, ins, cs.start, cs.end)
        if e is None:
            return "cannot remove the source cleanly"
        out.extend(e)
    n = len(consumers)
    msg = (
        f"Mount {cs.src} as a build secret (`--mount=type=secret,id={sid},target={target}`) on {n} RUN "
        f"step{'s' if n > 1 else ''} instead of copying it; build with `docker build --secret id={sid},src={cs.src}`"
    )
    if removals:
        msg += f"; the `rm` of {base} is dropped (a secret mount leaves nothing to delete)"
    return Plan(out, msg, sid, n)


def _survives(df: Dockerfile, r: Instruction, planned: list[Edit]) -> bool:
    """False when a planned edit deletes the whole instruction `r`."""
    return not any(e.start <= r.start and e.end >= r.content_end for e in planned)
