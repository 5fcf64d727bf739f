"""Fix planning shared by HF301 and HF302 (and the `Plan` HF303's planner returns too).

- `var_to_secret(df, name)`: remove every ARG/ENV declaration of NAME and give each RUN that
  uses it a BuildKit secret mount instead (`env=` when the frontend supports it, else the
  portable `NAME="$(cat /run/secrets/id)"` prefix).
- COPY'd credential files are `_secretcopy`'s; lossless deletions are `_secretedit`'s. Stage
  facts (user, shell, descendants, shipping stages) come from `hardenify.dockerfile.stages`.

Every planner returns either a `Plan` (edits + a message) or a `str` saying why no sound fix
exists; it never raises.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from hardenify.diagnostics import Edit
from hardenify.dockerfile import edits, stages
from hardenify.dockerfile.model import Dockerfile, Instruction, env_pairs, iter_words, unquote
from hardenify.dockerfile.secretmounts import env_mount_supported, secret_mounts
from hardenify.dockerfile.shell import quote_state
from hardenify.secrets import implicit_readers, ref_re, secret_id_for, word_re

from ._secretedit import delete_word, shell_commands

# Words that start a compound command: `NAME=value` cannot prefix a command starting with one.
_COMPOUND_STARTS = frozenset(
    {"if", "for", "while", "until", "case", "{", "(", "!", "[[", "function", "select"}
)


class Plan(NamedTuple):
    edits: list[Edit]
    message: str
    secret_id: str = ""
    runs: int = 0
    action: str = ""  # what the operator must do before merging (e.g. pass the ENV at run time)


# ------------------------------------------------------------------------------ declarations


class Decl(NamedTuple):
    """One ARG/ENV name (with its value) and its span in `ins.logical`."""

    ins: Instruction
    kind: str  # "ARG" | "ENV"
    name: str
    value: str | None
    raw_value: str | None  # as written (quotes kept)
    start: int
    end: int
    siblings: int  # number of declarations in the same instruction


def declarations(ins: Instruction) -> list[Decl]:
    """ARG/ENV declarations of one instruction (top level; ONBUILD is not looked into)."""
    if ins.cmd == "ARG":
        ws = iter_words(ins.args)
        out = []
        for raw, s, e in ws:
            name, sep, value = raw.partition("=")
            out.append(
                Decl(
                    ins,
                    "ARG",
                    name,
                    unquote(value) if sep else None,
                    value if sep else None,
                    ins.args_offset + s,
                    ins.args_offset + e,
                    len(ws),
                )
            )
        return out
    if ins.cmd == "ENV":
        pairs = env_pairs(ins)
        out = []
        for key, value, s, e in pairs:
            raw = ins.args[s:e]
            _, sep, rv = raw.partition("=")
            out.append(
                Decl(
                    ins,
                    "ENV",
                    key,
                    value,
                    rv if sep else value,
                    ins.args_offset + s,
                    ins.args_offset + e,
                    len(pairs),
                )
            )
        return out
    return []


def all_declarations(df: Dockerfile) -> list[Decl]:
    return [d for ins in df.instructions for d in declarations(ins)]


def run_body(ins: Instruction) -> str:
    """What a RUN executes: its arguments (or JSON argv) and heredoc bodies."""
    return ins.args + "\n" + "".join(h.content for h in ins.heredocs)


def mentions_program(body: str, names: tuple[str, ...] | frozenset[str]) -> bool:
    return any(re.search(r"(?<![\w.-])" + re.escape(n) + r"(?![\w-])", body) for n in names)


def run_uses_var(ins: Instruction, name: str) -> bool:
    body = run_body(ins)
    if ref_re(name).search(body) or word_re(name).search(body):
        return True
    readers = implicit_readers(name)
    return bool(readers) and mentions_program(body, readers)


# --------------------------------------------------------------------------- mount editing


def mount_insert_pos(ins: Instruction) -> int:
    if ins.flags:
        return ins.flags[-1].end
    return ins.src(len(ins.keyword), end=True)


def _single_simple_command(ins: Instruction) -> bool:
    cmds = shell_commands(ins)
    return len(cmds) == 1 and bool(cmds[0].all_words) and cmds[0].all_words[0].value not in _COMPOUND_STARTS


def non_root_at(df: Dockerfile, ins: Instruction) -> bool:
    """Does `ins` run as a user other than root (a secret file then needs `mode=0444`)?"""
    user = stages.user_at(df, ins)
    return user is not None and user.split(":")[0] not in ("root", "0")


def runs_after(df: Dockerfile, ins: Instruction, *, inherit: bool) -> list[Instruction]:
    """RUN instructions after `ins` in its stage (and, with `inherit`, in stages built FROM it)."""
    if ins.stage < 0 or ins.stage >= len(df.stages):
        return []
    st = df.stages[ins.stage]
    out = [i for i in st.instructions if i.cmd == "RUN" and i.start > ins.start]
    if inherit:
        for d in stages.descendants(df, st):
            out.extend(i for i in d.instructions if i.cmd == "RUN")
    return out


# --------------------------------------------------------------------- ARG/ENV → secret mount


def quote_references(ins: Instruction, ref: re.Pattern[str]) -> list[Edit]:
    """Double-quote unquoted `$NAME`/`${NAME}` in a shell-form RUN.

    hadolint tells ShellCheck that ARG/ENV variables are set to a constant, so it does not
    report their unquoted use; once the variable comes from a secret it reports SC2086. A
    token holds no spaces or globs, so quoting does not change what the command receives.
    """
    args = ins.args
    out: list[Edit] = []
    for m in ref.finditer(args):
        if quote_state(args, m.start()) or _inside_braces(args, m.start()):
            continue
        start, end = ins.arg_src(m.start()), ins.arg_src(m.end(), end=True)
        out.append(Edit(start, end, f'"{m.group(0)}"'))
    return out


def _inside_braces(s: str, index: int) -> bool:
    """Is `index` inside an unclosed `${...}` (a default value like `${X:-$NAME}`)?"""
    depth = 0
    i = 0
    while i < index:
        if s.startswith("${", i):
            depth += 1
            i += 2
            continue
        if s[i] == "}" and depth:
            depth -= 1
        i += 1
    return depth > 0


@lru_cache(maxsize=64)
def runtime_readers(name: str, context: str | None, limit: int = 3) -> tuple[str, ...] | None:
    """Files of the build context that read `name` when the container runs: the scripts
    ENTRYPOINT/CMD run and the application's code and config (a bounded scan for the name as
    a whole word). None when there is no context on disk to look at."""
    if context is None:
        return None
    from hardenify.contextfiles import source_files

    word = re.compile(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])")
    found: list[str] = []
    for rel, text in source_files(context):
        if word.search(text):
            found.append(rel)
            if len(found) >= limit:
                break
    return tuple(found)


def runtime_action(name: str, readers: tuple[str, ...] | None) -> str:
    """What the fix message tells the operator when an ENV leaves the running container."""
    if readers:
        return (
            f". Action required before merge: {name} is read when the container runs "
            f"({', '.join(f'`{r}`' for r in readers)}) and the image no longer sets it; pass it at run "
            f"time: `docker run -e {name} ...` (the value taken from your environment), or in compose "
            f'`environment: ["{name}"]` (or `env_file:`), from your secret store'
        )
    if readers is None:
        return (
            f". {name} will no longer be set in the running container (the build context could not be "
            f"searched for readers): if the application reads it, pass it at run time "
            f'(`docker run -e {name}`, compose `environment: ["{name}"]` or `secrets:`)'
        )
    return (
        f". {name} will no longer be set in the running container (nothing in the build context reads "
        f"it): if the application does, pass it at run time (`docker run -e {name}`, compose `environment:`)"
    )


def var_to_secret(df: Dockerfile, name: str, context: str | None = None) -> Plan | str:
    """Plan replacing every ARG/ENV declaration of `name` with secret mounts on its RUNs.

    `context` (the build context directory) lets the message say whether, and where, the
    running application reads an ENV the fix takes out of the image."""
    if df.is_windows:
        return "no automatic fix on Windows images"
    decls = [d for d in all_declarations(df) if d.name == name]
    if not decls:
        return f"{name} is not declared"
    ref = ref_re(name)
    # 1. other uses: builder-time substitution or runtime use cannot become a secret mount
    for ins in df.instructions:
        if ins.cmd == "RUN":
            continue
        if ins.cmd in ("ARG", "ENV"):
            for d in declarations(ins):
                if d.name == name and (d.raw_value is None or not ref.sub("", d.raw_value).strip("\"'")):
                    continue  # the declaration itself (ENV NAME=${NAME} forwards the ARG)
                if d.raw_value and ref.search(d.raw_value):
                    return f"{ins.cmd} {d.name} is built from {name}"
            continue
        body = ins.logical + "".join(h.content for h in ins.heredocs)
        if ref.search(body):
            if ins.cmd in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
                return f"{ins.cmd} reads {name} when the container runs"
            return f"{ins.cmd} on line {ins.line} uses {name}"
    # 2. which RUN steps see it, and which of them use it
    consumers: list[Instruction] = []
    scope_total = 0
    runtime_env = False
    chain = stages.shipping_stages(df)
    for d in decls:
        if d.ins.stage < 0:
            continue
        scope = runs_after(df, d.ins, inherit=d.kind == "ENV")
        scope_total += len(scope)
        used = [r for r in scope if run_uses_var(r, name)]
        if d.kind == "ENV":
            if not used:
                return f"ENV {name} is not used by any RUN step: it is runtime configuration"
            if d.ins.stage in chain:
                runtime_env = True
        for r in used:
            if all(r is not c for c in consumers):
                consumers.append(r)
    if scope_total and not consumers:
        return f"no RUN step names {name}; a tool may read it from the environment"
    for ins in df.instructions:
        if (
            ins.cmd == "ONBUILD"
            and ins.sub is not None
            and ins.sub.cmd == "RUN"
            and ref.search(ins.sub.logical)
        ):
            return f"ONBUILD RUN uses {name}"
    sid = secret_id_for(name)
    env_mode = env_mount_supported(df)
    out: list[Edit] = []
    # 3. mounts on the consumers
    for r in sorted(consumers, key=lambda i: i.start):
        if r.json is not None:
            return f"the exec-form RUN on line {r.line} cannot read a secret file"
        if not stages.posix_shell_at(df, r):
            return f"the RUN on line {r.line} does not run a POSIX shell"
        existing = {m.id: m for m in secret_mounts(r)}
        m = existing.get(sid)
        if m is not None and m.env == name:
            continue
        path = m.path if m is not None else f"/run/secrets/{sid}"
        if m is None:
            opts = f"type=secret,id={sid}"
            if env_mode:
                opts += f",env={name}"
            elif non_root_at(df, r):
                opts += ",mode=0444"
            out.append(Edit(mount_insert_pos(r), mount_insert_pos(r), f" --mount={opts}"))
            if env_mode:
                continue
        if f"$(cat {path})" in r.args:
            continue
        if not r.args.strip() or r.args.lstrip().startswith("<<"):
            return f"the heredoc RUN on line {r.line} needs `# syntax=docker/dockerfile:1` for `env=` secrets"
        assign = f'{name}="$(cat {path})"'
        if _single_simple_command(r) and not ref.search(r.args):
            prefix = f"{assign} "
        else:
            prefix = f"{assign} && export {name} && "
        pos = r.arg_src(0)
        out.append(Edit(pos, pos, prefix))
    for r in consumers:
        if r.json is None:
            out.extend(quote_references(r, ref))
            out.extend(_remove_written_copies(r, ref))
    # 4. remove the declarations
    by_ins: dict[int, list[Decl]] = {}
    for d in decls:
        by_ins.setdefault(id(d.ins), []).append(d)
    for group in by_ins.values():
        ins = group[0].ins
        if len(group) == group[0].siblings:
            out.append(edits.delete(df, ins))
            continue
        for d in group:
            e = delete_word(df, ins, d.start, d.end)
            if e is None:
                return f"cannot remove {name} from the {ins.cmd} on line {ins.line} cleanly"
            out.extend(e)
    n = len(consumers)
    if n:
        how = f"env={name}" if env_mode else f'{name}="$(cat /run/secrets/{sid})"'
        msg = (
            f"Use a build secret for {name}: `--mount=type=secret,id={sid}` ({how}) on "
            f"{n} RUN step{'s' if n > 1 else ''}; build with `docker build --secret id={sid},env={name}`"
        )
    else:
        msg = f"Remove the unused {decls[0].kind} {name}"
    action = ""
    if runtime_env:
        tail = runtime_action(name, runtime_readers(name, context))
        msg += tail
        action = tail.removeprefix(". ").removeprefix("Action required before merge: ")
    return Plan(out, msg, sid, n, action)


def written_files(ins: Instruction, ref: re.Pattern[str]) -> list[str]:
    """Files a RUN writes the secret into (`echo ...$TOKEN > .npmrc`, `... | tee f`).

    A secret mount keeps the value out of the layer only if nothing copies it to disk;
    such a file would ship in the image (and in every stage copied from this one).
    """
    found: list[str] = []
    cmds = shell_commands(ins)
    for cmd in cmds:
        raws = [w.raw for w in cmd.all_words]
        if not any(ref.search(r) for r in raws):
            continue
        for i, raw in enumerate(raws):
            target = ""
            if raw in (">", ">>") and i + 1 < len(raws):
                target = raws[i + 1]
            elif raw.startswith((">>", ">")) and raw.lstrip(">"):
                target = raw.lstrip(">")
            if target and not target.startswith(("&", "/dev/", "$")) and "$" not in target:
                found.append(target)
    for cmd in cmds:
        if cmd.program == "tee":
            found.extend(a for a in cmd.values if not a.startswith("-") and "$" not in a)
    return list(dict.fromkeys(found))


def _remove_written_copies(ins: Instruction, ref: re.Pattern[str]) -> list[Edit]:
    """Append `&& rm -f <file>` for secret copies the RUN does not already remove."""
    files = written_files(ins, ref)
    removed = {a for cmd in shell_commands(ins) if cmd.program == "rm" for a in cmd.values}
    files = [f for f in files if f not in removed]
    if not files:
        return []
    pos = ins.arg_src(len(ins.args.rstrip()), end=True)
    return [Edit(pos, pos, " && rm -f " + " ".join(files))]
