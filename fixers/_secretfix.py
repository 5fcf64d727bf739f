"""Fix planning shared by HF301, HF302 and HF303.

- `var_to_secret(df, name)`: remove every ARG/ENV declaration of NAME and give each RUN that
  uses it a BuildKit secret mount instead (`env=` when the frontend supports it, else the
  portable `NAME="$(cat /run/secrets/id)"` prefix).
- `copy_to_secret(df, ins, src)`: drop a COPY'd credential file and mount it as a secret at
  the same path on the RUN steps that read it, dropping `rm` cleanups of it.
- `delete_word` / `delete_span`: remove part of an instruction's logical line losslessly,
  across continuation lines, keeping comment lines and the file's final-newline state.

Every planner returns either a `Plan` (edits + a message) or a `str` saying why no sound fix
exists; it never raises.
"""

from __future__ import annotations

import posixpath
import re
from functools import lru_cache
from typing import NamedTuple

from hardenify.diagnostics import Edit
from hardenify.dockerfile import edits
from hardenify.dockerfile.model import Dockerfile, Instruction, env_pairs, iter_words, split_words, unquote
from hardenify.dockerfile.shell import Command, quote_state, tokenize

from ._secrets import (
    CredentialKind,
    credential_kind,
    env_mount_supported,
    ref_re,
    secret_id_for,
    secret_mounts,
    word_re,
)

POSIX_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"})
SHELL_KEYWORDS = frozenset({"if", "for", "while", "until", "case", "{", "(", "!", "[[", "function", "select"})

# Tools that read a secret variable from the environment without naming it on the command line.
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


# ---------------------------------------------------------------------------------- stages


def descendants(df: Dockerfile, index: int) -> list[int]:
    """Indices of the stages built FROM stage `index`, directly or not."""
    return [st.index for st in df.descendants(df.stages[index])]


def final_chain(df: Dockerfile) -> set[int]:
    """The final stage and the stages it is built FROM (their ENV reaches the running image)."""
    st = df.final_stage
    return {x.index for x in st.chain} if st is not None else set()


def _before(df: Dockerfile, ins: Instruction) -> list[Instruction]:
    """Instructions that take effect before `ins`: earlier ones in its stage, then (for the
    part not set there) those of the stages it is built FROM, nearest first."""
    st = df.stage_of(ins)
    if st is None:
        return []
    out = list(reversed([i for i in st.instructions if i.start < ins.start]))
    for parent in reversed(st.chain[:-1]):
        out.extend(reversed(parent.instructions))
    return out


def user_at(df: Dockerfile, ins: Instruction) -> str | None:
    """The USER in effect at `ins` (None: the base image's default, usually root)."""
    for prev in _before(df, ins):
        if prev.cmd == "USER":
            words = prev.words()
            return words[0] if words else None
    return None


def non_root_at(df: Dockerfile, ins: Instruction) -> bool:
    user = user_at(df, ins)
    return user is not None and user.split(":")[0] not in ("root", "0")


def workdir_at(df: Dockerfile, ins: Instruction) -> str | None:
    """The absolute WORKDIR at `ins`, or None when unknown (none set, or uses variables)."""
    parts: list[str] = []
    for prev in _before(df, ins):
        if prev.cmd != "WORKDIR":
            continue
        words = split_words(prev.args)
        if len(words) != 1 or "$" in words[0]:
            return None
        parts.append(unquote(words[0]))
        if parts[-1].startswith("/"):
            break
    if not parts or not parts[-1].startswith("/"):
        return None
    path = parts[-1]
    for p in reversed(parts[:-1]):
        path = posixpath.join(path, p)
    return posixpath.normpath(path)


def non_posix_shell(df: Dockerfile, ins: Instruction) -> bool:
    for prev in _before(df, ins):
        if prev.cmd == "SHELL":
            prog = (prev.json or [""])[0].replace("\\", "/").rsplit("/", 1)[-1].lower()
            return prog.removesuffix(".exe") not in POSIX_SHELLS
    return False


def runs_after(df: Dockerfile, ins: Instruction, *, inherit: bool) -> list[Instruction]:
    """RUN instructions after `ins` in its stage (and, with `inherit`, in stages built FROM it)."""
    if ins.stage < 0 or ins.stage >= len(df.stages):
        return []
    st = df.stages[ins.stage]
    out = [i for i in st.instructions if i.cmd == "RUN" and i.start > ins.start]
    if inherit:
        for d in descendants(df, st.index):
            out.extend(i for i in df.stages[d].instructions if i.cmd == "RUN")
    return out


def run_body(ins: Instruction) -> str:
    """What a RUN executes: its arguments (or JSON argv) and heredoc bodies."""
    return ins.args + "\n" + "".join(h.content for h in ins.heredocs)


def mentions_program(body: str, names: tuple[str, ...] | frozenset[str]) -> bool:
    return any(re.search(r"(?<![\w.-])" + re.escape(n) + r"(?![\w-])", body) for n in names)


def implicit_readers(name: str) -> tuple[str, ...]:
    up = name.upper()
    if up in IMPLICIT_READERS:
        return IMPLICIT_READERS[up]
    for prefix, readers in IMPLICIT_PREFIXES:
        if up.startswith(prefix):
            return readers
    return ()


def run_uses_var(ins: Instruction, name: str) -> bool:
    body = run_body(ins)
    if ref_re(name).search(body) or word_re(name).search(body):
        return True
    readers = implicit_readers(name)
    return bool(readers) and mentions_program(body, readers)


# ----------------------------------------------------------------------- lossless deletion


def _line_bounds(text: str, pos: int) -> tuple[int, int, int]:
    """(line start, content end, end incl. newline) of the physical line holding `pos`."""
    ls = text.rfind("\n", 0, pos) + 1
    nl = text.find("\n", pos)
    if nl == -1:
        return ls, len(text), len(text)
    ce = nl - 1 if nl > ls and text[nl - 1] == "\r" else nl
    return ls, ce, nl + 1


def delete_span(df: Dockerfile, ins: Instruction, s: int, e: int) -> list[Edit] | None:
    """Delete `ins.logical[s:e]`, which may cross continuation lines.

    Comment lines inside the continuation are kept. A content line left with only
    whitespace (and its escape) is removed whole; when that is the instruction's last line,
    the escape of the previous content line goes too, so the instruction ends there.
    Returns None when the deletion would touch the keyword line's keyword.
    """
    text = df.text
    segs = ins.segments
    if not segs or s >= e:
        return []
    cuts: dict[int, tuple[int, int]] = {}
    for i, seg in enumerate(segs):
        a, b = max(s, seg.lstart), min(e, seg.lstart + seg.length)
        if a < b:
            cuts[i] = (a - seg.lstart, b - seg.lstart)
    if not cuts:
        return []

    def piece(i: int) -> str:
        seg = segs[i]
        return ins.logical[seg.lstart : seg.lstart + seg.length]

    def remaining(i: int) -> str:
        p = piece(i)
        if i not in cuts:
            return p
        a, b = cuts[i]
        return p[:a] + p[b:]

    empty = {i for i in cuts if i > 0 and not remaining(i).strip(" \t")}
    if 0 in cuts and not remaining(0).strip(" \t"):
        return None
    last = len(segs) - 1
    out: list[Edit] = []
    esc_seg: int | None = None
    if last in empty:
        esc_seg = max(j for j in range(last) if j not in empty)
    for i in sorted(set(cuts) | ({esc_seg} if esc_seg is not None else set())):
        seg = segs[i]
        if i in empty:
            ls, ce, le = _line_bounds(text, seg.sstart)
            if le == ce and i == last and ls > 0:
                # the file ends on this line without a newline: remove the newline before it
                cut = 2 if text[ls - 2 : ls] == "\r\n" else 1
                out.append(Edit(ls - cut, ce, ""))
            else:
                out.append(Edit(ls, le, ""))
            continue
        if i == esc_seg:
            p = piece(i)
            a, b = cuts.get(i, (len(p), len(p)))
            kept = [k for k in range(len(p)) if not (a <= k < b) and p[k] not in " \t"]
            if not kept:
                return None
            pos = kept[-1] + 1
            _, ce, _ = _line_bounds(text, seg.sstart)
            if pos <= a:
                out.append(Edit(seg.sstart + pos, ce, ""))
            else:
                out.append(Edit(seg.sstart + a, seg.sstart + b, ""))
                out.append(Edit(seg.sstart + pos, ce, ""))
            continue
        a, b = cuts[i]
        out.append(Edit(seg.sstart + a, seg.sstart + b, ""))
    return out


def _segment_of(ins: Instruction, index: int) -> int:
    for i, seg in enumerate(ins.segments):
        if seg.lstart <= index < seg.lstart + seg.length:
            return i
    return -1


def delete_word(df: Dockerfile, ins: Instruction, s: int, e: int) -> list[Edit] | None:
    """Delete the word at `ins.logical[s:e]` with one run of whitespace next to it.

    The edits include an empty insertion at the instruction's start: two such insertions
    conflict in `engine.apply_edits`, so one pass removes at most one word of an instruction.
    Fixes removing its other words run on the next pass, which sees the last word left and
    removes the whole instruction instead of leaving a bare `ENV`/`ARG`/`LABEL`.
    """
    out = _delete_word(df, ins, s, e)
    return None if out is None else [Edit(ins.start, ins.start, ""), *out]


def _delete_word(df: Dockerfile, ins: Instruction, s: int, e: int) -> list[Edit] | None:
    si = _segment_of(ins, s)
    if si < 0 or _segment_of(ins, e - 1) != si:
        return None
    seg = ins.segments[si]
    lo, hi = seg.lstart, seg.lstart + seg.length
    log = ins.logical
    a = s
    while a > lo and log[a - 1] in " \t":
        a -= 1
    if a > lo and a < s:
        return delete_span(df, ins, a, e)
    b = e
    while b < hi and log[b] in " \t":
        b += 1
    if b < hi and b > e:
        return delete_span(df, ins, s, b)
    return delete_span(df, ins, s, e)


def delete_command(df: Dockerfile, ins: Instruction, cmds: list[Command], j: int) -> list[Edit] | None:
    """Delete simple command `cmds[j]` of a RUN (spans relative to `ins.args`) with its `&&`/`;`.

    Refuses inside pipelines and `||` chains, where dropping a command changes the logic.
    """
    c = cmds[j]
    if c.before not in ("", "&&", ";") or c.after not in ("", "&&", ";"):
        return None
    off = ins.args_offset
    log = ins.logical
    if len(cmds) == 1:
        if ins.heredocs or ins.args.strip() != ins.args[c.start : c.end].strip():
            return None
        return [edits.delete(df, ins)]
    if j > 0:
        prev = cmds[j - 1]
        op = ins.args.rfind(c.before, prev.end, c.start)
        if op < 0:
            return None
        a, b = off + op, off + c.end
        # keep the separation before the operator: take the whitespace *before* it if the
        # operator shares a line with the previous command, else the whitespace after it.
        sa = _segment_of(ins, a)
        if sa >= 0 and _segment_of(ins, off + prev.end - 1) == sa:
            while a > off + prev.end and log[a - 1] in " \t":
                a -= 1
        return delete_span(df, ins, a, b)
    nxt = cmds[j + 1]
    return delete_span(df, ins, off + c.start, off + nxt.start)


# --------------------------------------------------------------------------- mount editing


def mount_insert_pos(ins: Instruction) -> int:
    if ins.flags:
        return ins.flags[-1].end
    return ins.src(len(ins.keyword), end=True)


def _single_simple_command(ins: Instruction) -> bool:
    cmds = tokenize(ins.args)
    return len(cmds) == 1 and bool(cmds[0].words) and cmds[0].words[0].value not in SHELL_KEYWORDS


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
    from ._contextfiles import source_files

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
    chain = final_chain(df)
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
        if non_posix_shell(df, r):
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
    for cmd in tokenize(ins.args):
        raws = [w.raw for w in cmd.words]
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
    for cmd in tokenize(ins.args):
        if cmd.program() == "tee":
            found.extend(a for a in cmd.args() if not a.startswith("-") and "$" not in a)
    return list(dict.fromkeys(found))


def _remove_written_copies(ins: Instruction, ref: re.Pattern[str]) -> list[Edit]:
    """Append `&& rm -f <file>` for secret copies the RUN does not already remove."""
    files = written_files(ins, ref)
    removed = {a for cmd in tokenize(ins.args) if cmd.program() == "rm" for a in cmd.args()}
    files = [f for f in files if f not in removed]
    if not files:
        return []
    pos = ins.arg_src(len(ins.args.rstrip()), end=True)
    return [Edit(pos, pos, " && rm -f " + " ".join(files))]


# ------------------------------------------------------------------ COPY'd file → secret mount


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
    workdir = workdir_at(df, cs.ins)
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


def _rm_targets(cmd: Command, target: str, workdir: str | None, home: str) -> list[int]:
    """Indices of `rm` arguments (words) that name `target`."""
    if cmd.program() != "rm":
        return []
    idx: list[int] = []
    start = cmd.program_index() + 1
    for k in range(start, len(cmd.words)):
        v = cmd.words[k].value
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
    user = user_at(df, ins) or "root"
    home = "/root" if user.split(":")[0] in ("root", "0") else f"/home/{user.split(':')[0]}"
    scope = runs_after(df, ins, inherit=True)
    consumers: list[Instruction] = []
    removals: list[Edit] = []
    removal_runs: set[int] = set()
    mention = re.compile(r"(?<![\w.-])" + re.escape(base) + r"(?![\w-])|" + re.escape(target))
    for r in scope:
        if removal_runs:
            break  # an earlier step deleted the file: later steps never saw it
        cmds = tokenize(r.args) if r.json is None else []
        rm_spans: list[tuple[int, int]] = []
        r_workdir = workdir_at(df, r)
        for j, c in enumerate(cmds):
            hits = _rm_targets(c, target, r_workdir, home)
            if not hits:
                continue
            args_left = [
                k for k in range(c.program_index() + 1, len(c.words)) if not c.words[k].value.startswith("-")
            ]
            if len(hits) == len(args_left):
                e = delete_command(df, r, cmds, j)
                rm_spans.append((c.start, c.end))
            else:
                e = []
                for k in hits:
                    w = c.words[k]
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
    sid = cs.kind.secret_id(cs.src)
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
