"""A lossless Dockerfile model that follows BuildKit's parser line for line.

Every node records the character span it came from, so `render()` is the original text
and an edit is a span replacement. Nothing here ever raises on bad input: problems are
collected in `Dockerfile.problems` and reported as HF0xx findings.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from hardenify.diagnostics import ParseProblem
from hardenify.dockerfile.memo import Memo

if TYPE_CHECKING:
    from hardenify.dockerfile.runs import Cmd

_T = TypeVar("_T")

BOM = "\ufeff"
KNOWN_DIRECTIVES = ("syntax", "escape", "check")
_DIRECTIVE_RE = re.compile(r"^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$")
_HEREDOC_RE = re.compile(r"^(\d*)<<(-?)([^<]*)$")
_KEYWORD_RE = re.compile(r"[^ \t\v\f\r]*")
_HEALTHCHECK_CMD_RE = re.compile(r"[ \t]*(?i:cmd)[ \t]+")
# One raw word: unquoted non-blanks, backslash escapes, "..." (with escapes) and '...'; an
# unclosed quote runs to the end. Same result as the character loop BuildKit's splitter uses.
_WORD_RE = re.compile(r"""(?:[^ \t\r\n"'\\]+|\\[\s\S]?|"(?:[^"\\]+|\\[\s\S]?)*"?|'[^']*'?)+""")
_SUBST_RE = re.compile(r"\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\})")
KNOWN_INSTRUCTIONS = frozenset(
    [
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    ]
)
# Substrings of an image reference that mean a Windows image. Not a bare "windows": Linux images
# that cross-compile for Windows (`dockcross/windows-static-x64`) are named after it.
WINDOWS_IMAGE_HINTS = (
    "servercore",
    "nanoserver",
    "ltsc",
    "windows/",
    "mcr.microsoft.com/windows",
    "-windows",
    ":windows",
    "windowsservercore",
    "microsoft/dotnet-framework",
    "mcr.microsoft.com/dotnet/framework/",
    "microsoft/iis",
)
# SHELL programs that exist only on Windows (`pwsh` also runs on Linux).
WINDOWS_SHELLS = frozenset({"cmd", "cmd.exe", "powershell", "powershell.exe"})


def is_windows_image(image: str) -> bool:
    """Does the image reference name a Windows image? The one answer for every rule."""
    low = image.lower()
    return any(k in low for k in WINDOWS_IMAGE_HINTS)


def is_windows_shell(argv: Sequence[str]) -> bool:
    """Is an exec-form SHELL (`["powershell", "-Command"]`) a Windows-only shell?"""
    return bool(argv) and argv[0].lower().replace("\\", "/").rsplit("/", 1)[-1] in WINDOWS_SHELLS


HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
JSON_INSTRUCTIONS = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"})
_WS = " \t"
# Go's unicode.IsSpace, which BuildKit uses to trim lines (Python's str.isspace differs).
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


# ------------------------------------------------------------------------------------------ nodes


@dataclass
class Node:
    """A span of the file: [start, end) in characters, lines 1-based and inclusive."""

    start: int
    end: int
    line: int
    end_line: int


@dataclass
class Blank(Node):
    pass


@dataclass
class Comment(Node):
    # The comment's text after '#', without the line ending.
    body: str = ""


@dataclass
class Directive(Node):
    key: str = ""
    value: str = ""


class Flag(NamedTuple):
    """`--name=value` (or a bare `--name`) with its source span."""

    name: str
    value: str | None
    raw: str
    start: int
    end: int

    def options(self) -> dict[str, str]:
        """`--mount=type=secret,id=x` → {"type": "secret", "id": "x"} (csv of key=value)."""
        out: dict[str, str] = {}
        for part in (self.value or "").split(","):
            if not part:
                continue
            k, sep, v = part.partition("=")
            out[k.strip().lower()] = v.strip() if sep else ""
        return out


class Heredoc(NamedTuple):
    name: str
    content: str
    chomp: bool  # <<- strips leading tabs
    expand: bool  # unquoted delimiter: variables expand
    fd: int | None
    start: int  # body span (first body line .. end of terminator line)
    end: int


class Segment(NamedTuple):
    """A run of the logical line that is contiguous in the source."""

    lstart: int
    sstart: int
    length: int


@dataclass
class Instruction(Node, Memo):
    keyword: str = ""  # as written (keeps case)
    cmd: str = ""  # upper-case
    logical: str = ""  # BuildKit's `original`: continuations joined, comment lines dropped
    segments: list[Segment] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    args_offset: int = 0  # index into `logical` where the arguments (after flags) start
    heredocs: list[Heredoc] = field(default_factory=list)
    json: list[str] | None = None
    sub: Instruction | None = None  # the instruction inside ONBUILD
    stage: int = -1  # index of the stage it belongs to; -1 before the first FROM
    indent: str = ""  # leading whitespace of the first line
    content_end: int = 0  # end of the last physical line before its line ending
    eol: str = "\n"  # line ending of the first line ("" at end of file)
    # Derived data computed on first use (segment starts, the RUN's commands): rules ask
    # for the same things many times per file, and the parsed model is never edited.
    _seg_starts: list[int] | None = field(default=None, repr=False, compare=False)
    _commands: list[Cmd] | None = field(default=None, repr=False, compare=False)
    _pairs: list[tuple[str, str, int, int]] | None = field(default=None, repr=False, compare=False)
    _arg_pairs: list[tuple[str, str | None]] | None = field(default=None, repr=False, compare=False)
    _memo: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def args(self) -> str:
        return self.logical[self.args_offset :]

    @property
    def is_json(self) -> bool:
        return self.json is not None

    def src(self, index: int, *, end: bool = False) -> int:
        """Map an index into `logical` to an offset in the file text."""
        segs = self.segments
        if len(segs) > 1 and self._seg_starts is None:
            self._seg_starts = [s.lstart for s in segs]
        return logical_to_source(segs, self._seg_starts, self.start, index, end=end)

    def arg_src(self, index: int, *, end: bool = False) -> int:
        """Map an index into `args` to an offset in the file text."""
        return self.src(self.args_offset + index, end=end)

    def arg_mapper(self) -> ArgMapper:
        """`arg_src` as a callable that does not hold the instruction, for analysis cached on
        the instruction itself (a strong reference back would make the file a GC cycle)."""
        segs = self.segments
        if len(segs) > 1 and self._seg_starts is None:
            self._seg_starts = [s.lstart for s in segs]
        return ArgMapper(segs, self._seg_starts, self.start, self.args_offset)

    def flag(self, name: str) -> Flag | None:
        for f in self.flags:
            if f.name == name:
                return f
        return None

    def words(self) -> list[str]:
        """Whitespace-separated arguments (BuildKit's parseStringsWhitespaceDelimited)."""
        return self.args.split()

    @property
    def multiline(self) -> bool:
        return self.end_line > self.line

    @property
    def run(self) -> Instruction | None:
        """The RUN this node executes: itself, the RUN inside `ONBUILD RUN`, else None."""
        if self.cmd == "RUN":
            return self
        if self.cmd == "ONBUILD" and self.sub is not None and self.sub.cmd == "RUN":
            return self.sub
        return None

    @property
    def commands(self) -> list[Cmd]:
        """Every simple command a RUN (or ONBUILD RUN) executes, in execution order.

        Exactly the commands of `runs.run_scripts(self)` (shell form, script heredocs, the
        `-c` string of an exec-form shell, an exec form's one command, nested `sh -c`
        scripts right after the command that runs them): one token stream whoever asks.
        Computed once per instruction and shared by every rule; treat it as read-only.
        """
        if self._commands is None:
            from hardenify.dockerfile.runs import instruction_commands

            self._commands = instruction_commands(self)
        return self._commands


@dataclass
class Stage:
    """One FROM and the instructions after it."""

    index: int
    from_: Instruction
    image: str  # as written (may contain ${ARG})
    resolved_image: str  # ARG defaults substituted
    name: str | None
    platform: str | None
    instructions: list[Instruction] = field(default_factory=list)
    # The earlier stage this one is built FROM (`FROM builder`), set by the parser.
    parent: Stage | None = field(default=None, repr=False, compare=False)
    # Caches. They only point at earlier stages and at instructions, never back at this
    # stage: a reference cycle would leave every parsed file to the cyclic GC.
    _ancestors: list[Stage] | None = field(default=None, repr=False, compare=False)
    _chain_instructions: list[Instruction] | None = field(default=None, repr=False, compare=False)

    @property
    def chain(self) -> list[Stage]:
        """The stage and the stages it is built FROM, the root (FROM an image) first."""
        if self._ancestors is None:
            ancestors: list[Stage] = []
            st = self.parent
            while st is not None:  # parents are earlier stages: no loops
                ancestors.append(st)
                st = st.parent
            ancestors.reverse()
            self._ancestors = ancestors
        return [*self._ancestors, self]

    @property
    def chain_instructions(self) -> list[Instruction]:
        """Instructions of the chain in build order (FROM lines excluded); read-only."""
        if self._chain_instructions is None:
            self._chain_instructions = [i for st in self.chain for i in st.instructions]
        return self._chain_instructions


# ---------------------------------------------------------------------------------------- model


@dataclass
class Dockerfile(Memo):
    text: str
    bom: bool
    escape: str
    directives: list[Directive]
    nodes: list[Node]
    problems: list[ParseProblem]
    newline: str
    final_newline: bool
    _line_starts: list[int] = field(default_factory=list, repr=False)
    # Derived data, computed on first use. The model is never edited after `parse` (fixes
    # are text edits followed by a new parse), so these stay valid for the object's life.
    _instructions: list[Instruction] | None = field(default=None, repr=False, compare=False)
    _stages: list[Stage] | None = field(default=None, repr=False, compare=False)
    _global_args: dict[str, str | None] | None = field(default=None, repr=False, compare=False)
    _is_windows: bool | None = field(default=None, repr=False, compare=False)
    _memo: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def render(self) -> str:
        """Re-create the text from the nodes; identical to the input by construction."""
        head = BOM if self.bom else ""
        return head + "".join(self.text[n.start : n.end] for n in self.nodes)

    def cached_for(self, key: str, node: object, build: Callable[[], _T]) -> _T:
        """`cached` for data about one node of this file (an instruction's scripts, say)."""
        memo: dict[int, tuple[object, _T]] = self.cached(key, dict)
        hit = memo.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        value = build()
        memo[id(node)] = (node, value)
        return value

    # -- navigation
    @property
    def instructions(self) -> list[Instruction]:
        """The instruction nodes in file order (one shared list: do not modify it)."""
        if self._instructions is None:
            self._instructions = [n for n in self.nodes if isinstance(n, Instruction)]
        return self._instructions

    @property
    def comments(self) -> list[Comment]:
        return [n for n in self.nodes if isinstance(n, Comment)]

    @property
    def stages(self) -> list[Stage]:
        if self._stages is None:
            self._stages = _build_stages(self)
        return self._stages

    @property
    def global_args(self) -> dict[str, str | None]:
        """ARGs declared before the first FROM, with their defaults (a fresh dict)."""
        if self._global_args is None:
            out: dict[str, str | None] = {}
            for ins in self.instructions:
                if ins.cmd == "FROM":
                    break
                if ins.cmd == "ARG":
                    for name, value in arg_pairs(ins):
                        out[name] = value
            self._global_args = out
        return dict(self._global_args)

    def stage_of(self, ins: Instruction) -> Stage | None:
        """The stage `ins` belongs to (None before the first FROM)."""
        st = self.stages
        return st[ins.stage] if 0 <= ins.stage < len(st) else None

    def children(self, stage: Stage) -> list[Stage]:
        """Later stages built directly FROM `stage`."""
        return [s for s in self.stages[stage.index + 1 :] if s.parent is stage]

    def descendants(self, stage: Stage) -> list[Stage]:
        """Later stages built FROM `stage`, directly or through others, in file order."""
        out: list[Stage] = []
        family = {stage.index}
        for s in self.stages[stage.index + 1 :]:
            if s.parent is not None and s.parent.index in family:
                out.append(s)
                family.add(s.index)
        return out

    def directive(self, key: str) -> str | None:
        for d in self.directives:
            if d.key == key:
                return d.value
        return None

    @property
    def final_stage(self) -> Stage | None:
        st = self.stages
        return st[-1] if st else None

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (row, column) of a character offset (column counts characters)."""
        starts = self._line_starts
        i = bisect.bisect_right(starts, offset) - 1
        i = max(i, 0)
        return i + 1, offset - starts[i] + 1

    def line_text(self, row: int) -> str:
        starts = self._line_starts
        s = starts[row - 1]
        e = starts[row] if row < len(starts) else len(self.text)
        return self.text[s:e].rstrip("\r\n")

    @property
    def is_windows(self) -> bool:
        """Windows images: backtick escape, or a servercore/nanoserver/windows base."""
        if self._is_windows is None:
            self._is_windows = self._windows()
        return self._is_windows

    def _windows(self) -> bool:
        if self.escape == "`":
            return True
        if any(is_windows_image(st.resolved_image) for st in self.stages):
            return True
        return any(
            ins.cmd == "SHELL" and ins.json and is_windows_shell(ins.json) for ins in self.instructions
        )

    def stage_is_windows(self, stage: Stage) -> bool:
        """This stage builds a Windows image (backtick escape, Windows base in its chain, a
        cmd/powershell SHELL). `is_windows` is true for the whole file as soon as one stage is;
        files that build Linux and Windows variants (moby's, buildkit's) still have Linux stages."""
        return self.cached_for("windows.stage", stage, lambda: self._stage_windows(stage))

    def _stage_windows(self, stage: Stage) -> bool:
        if self.escape == "`":
            return True
        if any(is_windows_image(st.resolved_image or st.image) for st in stage.chain):
            return True
        return any(x.cmd == "SHELL" and x.json and is_windows_shell(x.json) for x in stage.chain_instructions)

    def windows_at(self, ins: Instruction) -> bool:
        """Is `ins` part of a Windows stage? (the whole file's answer before the first FROM)"""
        stage = self.stage_of(ins)
        return self.is_windows if stage is None else self.stage_is_windows(stage)


class ArgMapper:
    """`Instruction.arg_src` on the parts it needs (see `Instruction.arg_mapper`)."""

    __slots__ = ("args_offset", "seg_starts", "segments", "start")

    def __init__(self, segments: list[Segment], seg_starts: list[int] | None, start: int, args_offset: int):
        self.segments, self.seg_starts, self.start, self.args_offset = (
            segments,
            seg_starts,
            start,
            args_offset,
        )

    def __call__(self, index: int, *, end: bool = False) -> int:
        return logical_to_source(
            self.segments, self.seg_starts, self.start, self.args_offset + index, end=end
        )


def logical_to_source(
    segs: list[Segment], starts: list[int] | None, default: int, index: int, *, end: bool = False
) -> int:
    """`Instruction.src` on its parts: `starts` lists the segments' `lstart` (needed when
    there are several), `default` is the offset for an instruction without segments."""
    if not segs:
        return default
    if len(segs) == 1:  # one physical line: most instructions
        seg = segs[0]
        if index < seg.lstart:
            return seg.sstart
        return seg.sstart + min(index - seg.lstart, seg.length)
    assert starts is not None
    i = bisect.bisect_right(starts, index) - 1
    if i < 0:
        return segs[0].sstart
    seg = segs[i]
    off = index - seg.lstart
    if off > seg.length:
        off = seg.length
    if off == 0 and end and i > 0:
        prev = segs[i - 1]
        return prev.sstart + prev.length
    return seg.sstart + off


def arg_pairs(ins: Instruction) -> list[tuple[str, str | None]]:
    """`ARG A=1 B` → [("A", "1"), ("B", None)], quotes removed from values."""
    if ins._arg_pairs is None:  # computed once per instruction: many rules read ARGs
        out: list[tuple[str, str | None]] = []
        for word in split_words(ins.args):
            name, sep, value = word.partition("=")
            out.append((name, unquote(value) if sep else None))
        ins._arg_pairs = out
    return list(ins._arg_pairs)


def env_pairs(ins: Instruction) -> list[tuple[str, str, int, int]]:
    """ENV/LABEL pairs as (key, value, start, end) with spans into `args`.

    Handles the modern `K=V K2="v 2"` form and the legacy `ENV K some value` form.
    """
    if ins._pairs is None:  # computed once per instruction: many rules read ENVs
        ins._pairs = _env_pairs(ins.args)
    return list(ins._pairs)


def _env_pairs(args: str) -> list[tuple[str, str, int, int]]:
    toks = iter_words(args)
    if not toks:
        return []
    first = toks[0][0]
    if "=" not in first:
        # legacy: first word is the key, the rest of the line is the value
        key_end = toks[0][2]
        rest = args[key_end:].lstrip(_WS)
        vstart = len(args) - len(rest)
        return [(first, rest.rstrip(), toks[0][1], vstart + len(rest.rstrip()))]
    out = []
    for word, s, e in toks:
        k, sep, v = word.partition("=")
        if sep:
            out.append((k, unquote(v), s, e))
    return out


def unquote(s: str) -> str:
    """Remove shell quotes and backslash escapes the way BuildKit's word processing does."""
    if "'" not in s and '"' not in s and "\\" not in s:
        return s  # nothing to remove (most words)
    out = []
    i, n = 0, len(s)
    quote = ""
    while i < n:
        c = s[i]
        if quote:
            if c == quote:
                quote = ""
            elif c == "\\" and quote == '"' and i + 1 < n and s[i + 1] in '"\\$`':
                i += 1
                out.append(s[i])
            else:
                out.append(c)
        elif c in "\"'":
            quote = c
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(s[i])
        else:
            out.append(c)
        i += 1
    return "".join(out)


def iter_words(s: str) -> list[tuple[str, int, int]]:
    """Split on unquoted whitespace, keeping quotes: raw words with their [start, end) spans.

    BuildKit's word splitting for ARG/ENV/LABEL/FROM/COPY arguments: a backslash escapes
    the next character (also inside double quotes), an unclosed quote runs to the end.
    """
    return [(m.group(), m.start(), m.end()) for m in _WORD_RE.finditer(s)]


def split_words(s: str) -> list[str]:
    return _WORD_RE.findall(s)


def substitute(value: str, env: dict[str, str | None]) -> str:
    """Expand `$V`, `${V}`, `${V:-d}` and `${V-d}` from `env` (unknown → empty), as BuildKit does."""
    if "$" not in value:
        return value

    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        op, default = m.group(3), m.group(4)
        val = env.get(name)
        if op in (":-", "-"):
            if val is None or (op == ":-" and val == ""):
                return substitute(default or "", env)
            return val
        if op in (":+", "+"):
            return substitute(default or "", env) if val else ""
        return val or ""

    return _SUBST_RE.sub(repl, value)


# BuildKit's automatic platform ARGs are usable in FROM without a global ARG. Only the OS is
# certain for the Linux images these rules check (`FROM binaries-$TARGETOS` → binaries-linux).
PLATFORM_ARGS: dict[str, str | None] = {"TARGETOS": "linux", "BUILDOS": "linux"}


def _platform_args(gargs: dict[str, str | None]) -> dict[str, str | None]:
    """Global ARG defaults, with the platform ARGs where the file gives no value."""
    env = dict(gargs)
    for k, v in PLATFORM_ARGS.items():
        if env.get(k) is None:
            env[k] = v
    return env


def _build_stages(df: Dockerfile) -> list[Stage]:
    stages: list[Stage] = []
    gargs = df.global_args
    current: Stage | None = None
    by_name: dict[str, Stage] = {}
    for ins in df.instructions:
        if ins.cmd == "FROM":
            words = split_words(ins.args)
            image = words[0] if words else ""
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            plat = ins.flag("platform")
            current = Stage(
                index=len(stages),
                from_=ins,
                image=image,
                resolved_image=substitute(image, gargs),
                name=name,
                platform=plat.value if plat else None,
            )
            # `FROM <name>` builds on the nearest earlier stage of that name. BuildKit's
            # automatic platform ARGs count here (`FROM build-$TARGETOS` → build-linux).
            ref = image if "$" not in image else substitute(image, _platform_args(gargs))
            current.parent = by_name.get(ref.lower())
            if name:
                by_name[name.lower()] = current
            stages.append(current)
        elif current is not None:
            current.instructions.append(ins)
    return stages


# --------------------------------------------------------------------------------------- parser


def _split_lines(text: str, start: int) -> list[tuple[int, int, int]]:
    """Physical lines as (start, content_end, end): split on '\n' only, '\r\n' is one ending."""
    lines = []
    pos = start
    pieces = text[start:].split("\n")
    last = pieces.pop()  # after the final "\n" ("" when the text ends with one)
    for piece in pieces:
        end = pos + len(piece)
        lines.append((pos, end - 1 if piece.endswith("\r") else end, end + 1))
        pos = end + 1
    if last:
        lines.append((pos, pos + len(last), pos + len(last)))
    return lines


def parse(text: str) -> Dockerfile:
    """Parse Dockerfile text. Never raises; problems land in `.problems`."""
    bom = text.startswith(BOM)
    base = 1 if bom else 0
    lines = _split_lines(text, base)
    nodes: list[Node] = []
    directives: list[Directive] = []
    problems: list[ParseProblem] = []
    escape = "\\"
    in_directives = True
    seen_directive: set[str] = set()
    # Line endings: every "\r\n" ends a line (a "\r" just before "\n" belongs to its line).
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    newline = "\r\n" if crlf > lf else "\n"
    final_newline = bool(lines) and lines[-1][2] > lines[-1][1]
    line_starts = [s for s, _, _ in lines] or [base]

    i = 0
    nlines = len(lines)
    while i < nlines:
        s, ce, e = lines[i]
        content = text[s:ce]
        lineno = i + 1
        stripped = content.lstrip(GO_SPACE)

        if in_directives:
            m = _DIRECTIVE_RE.match(content)
            if m and m.group(1).lower() in KNOWN_DIRECTIVES and m.group(1).lower() not in seen_directive:
                key = m.group(1).lower()
                seen_directive.add(key)
                value = m.group(2)
                if key == "escape":
                    if value not in ("\\", "`"):
                        problems.append(ParseProblem(lineno, f"invalid escape token {value!r}: use \\ or `"))
                    else:
                        escape = value
                d = Directive(s, e, lineno, lineno, key=key, value=value)
                directives.append(d)
                nodes.append(d)
                i += 1
                continue
            in_directives = False

        if stripped.startswith("#"):
            nodes.append(Comment(s, e, lineno, lineno, body=stripped[1:]))
            i += 1
            continue
        if not stripped:
            nodes.append(Blank(s, e, lineno, lineno))
            i += 1
            continue

        ins, i = _parse_instruction(text, lines, i, escape, problems)
        nodes.append(ins)

    df = Dockerfile(
        text=text,
        bom=bom,
        escape=escape,
        directives=directives,
        nodes=nodes,
        problems=problems,
        newline=newline,
        final_newline=final_newline or not lines,
        _line_starts=line_starts,
    )
    stage = -1
    for ins in df.instructions:
        if ins.cmd == "FROM":
            stage += 1
        ins.stage = stage
        if ins.sub is not None:
            ins.sub.stage = stage
    _validate(df)
    return df


def _parse_instruction(
    text: str, lines: list[tuple[int, int, int]], i: int, escape: str, problems: list[ParseProblem]
) -> tuple[Instruction, int]:
    s, ce, e = lines[i]
    first = text[s:ce]
    indent_len = len(first) - len(first.lstrip(GO_SPACE))
    start_line = i + 1
    segments: list[Segment] = []
    parts: list[str] = []
    llen = 0
    nlines = len(lines)
    # The first line, then continuation lines (comment and blank lines inside are skipped),
    # each with its trailing escape removed (a doubled escape does not continue).
    content = first[indent_len:]
    piece_start = s + indent_len
    last = i
    i += 1
    while True:
        stripped = content.rstrip(_WS)
        cont = stripped.endswith(escape) and not stripped.endswith(escape, 0, len(stripped) - 1)
        piece = stripped[:-1] if cont else content
        if piece:
            segments.append(Segment(llen, piece_start, len(piece)))
            parts.append(piece)
            llen += len(piece)
        if not cont:
            break
        while i < nlines:
            ls, lce, _ = lines[i]
            content = text[ls:lce]
            last = i
            i += 1
            lstripped = content.lstrip(GO_SPACE)
            if lstripped and not lstripped.startswith("#"):
                piece_start = ls
                break
        else:
            break
    if cont:
        problems.append(ParseProblem(last + 1, "line continuation at end of file"))
    logical = "".join(parts)
    ins = _make_instruction(logical, segments, problems, start_line)
    # heredoc bodies follow the logical line
    if ins.cmd in HEREDOC_INSTRUCTIONS:
        for name, chomp, expand, fd in _heredoc_markers(ins.args):
            if i >= len(lines):
                problems.append(ParseProblem(start_line, f"heredoc <<{name} has no body"))
                break
            body_start = lines[i][0]
            body_parts = []
            terminated = False
            while i < len(lines):
                ls, lce, le = lines[i]
                content = text[ls:lce]
                last = i
                i += 1
                cmp = content.lstrip("\t") if chomp else content
                if cmp == name:
                    terminated = True
                    break
                body_parts.append(text[ls:le])
            if not terminated:
                problems.append(ParseProblem(start_line, f"heredoc <<{name} is not terminated"))
            ins.heredocs.append(
                Heredoc(name, "".join(body_parts), chomp, expand, fd, body_start, lines[last][2])
            )
    end = lines[last][2]
    ins.start, ins.end = s, end
    ins.line, ins.end_line = start_line, last + 1
    ins.indent = first[:indent_len]
    ins.content_end = lines[last][1]
    ins.eol = text[ce:e]
    return ins, i


def _make_instruction(
    logical: str, segments: list[Segment], problems: list[ParseProblem], lineno: int
) -> Instruction:
    # BuildKit trims the joined line (strings.TrimSpace) before splitting off the keyword;
    # a first line that is only a continuation leaves leading whitespace from the next one.
    lead = len(logical) - len(logical.lstrip(GO_SPACE))
    m = _KEYWORD_RE.match(logical[lead:].rstrip(GO_SPACE))
    keyword = m.group(0) if m else ""
    cmd = keyword.upper()
    ins = Instruction(0, 0, lineno, lineno, keyword=keyword, cmd=cmd, logical=logical, segments=segments)
    if cmd not in KNOWN_INSTRUCTIONS:
        problems.append(ParseProblem(lineno, f"unknown instruction: {keyword}"))
    pos = lead + len(keyword)
    # flags: leading `--x` words (BuildKit's extractBuilderFlags)
    while True:
        j = pos
        while j < len(logical) and logical[j] in _WS:
            j += 1
        if not logical.startswith("--", j) or cmd == "ONBUILD":
            pos = j
            break
        wm = _WORD_RE.match(logical, j)
        if wm is None:
            pos = j
            break
        raw, wend = wm.group(), wm.end() - j
        if raw == "--":  # explicit end of flags; BuildKit drops it
            pos = j + 2
            break
        name, sep, value = raw[2:].partition("=")
        ins.flags.append(
            Flag(name.lower(), unquote(value) if sep else None, raw, ins.src(j), ins.src(j + wend, end=True))
        )
        pos = j + wend
    ins.args_offset = pos
    args = logical[pos:]
    if cmd in JSON_INSTRUCTIONS:
        ins.json = _parse_json(args)
    elif cmd == "HEALTHCHECK":
        hm = _HEALTHCHECK_CMD_RE.match(args)
        if hm:
            ins.json = _parse_json(args[hm.end() :])
    if cmd == "ONBUILD":
        sub_logical = args
        offset = pos
        sub_segments = []
        for seg in segments:
            a, b = seg.lstart, seg.lstart + seg.length
            lo, hi = max(a, offset), b
            if lo < hi:
                sub_segments.append(Segment(lo - offset, seg.sstart + (lo - a), hi - lo))
        if sub_logical.strip():
            sub = _make_instruction(sub_logical, sub_segments, problems, lineno)
            if sub.cmd in ("ONBUILD", "FROM", "MAINTAINER"):
                problems.append(ParseProblem(lineno, f"{sub.cmd} is not allowed inside ONBUILD"))
            ins.sub = sub
    return ins


def _parse_json(args: str) -> list[str] | None:
    s = args.strip(" \t")
    if not s.startswith("["):
        return None
    try:
        val = json.loads(s)
    except ValueError:
        return None
    if isinstance(val, list) and all(isinstance(x, str) for x in val):
        return val
    return None


def _heredoc_markers(args: str) -> list[tuple[str, bool, bool, int | None]]:
    """Heredoc delimiters in the line, as BuildKit finds them (raw-quoted shell words)."""
    out: list[tuple[str, bool, bool, int | None]] = []
    if "<<" not in args:
        return out
    for word in split_words(args):
        m = _HEREDOC_RE.match(word)
        if not m or not m.group(3):
            continue
        rest = m.group(3)
        quoted = any(q in rest for q in "\"'")
        name = unquote(rest)
        if not name or any(c in name for c in " \t"):
            continue
        fd = int(m.group(1)) if m.group(1) else None
        out.append((name, m.group(2) == "-", not quoted, fd))
    return out


def _validate(df: Dockerfile) -> None:
    """Problems BuildKit reports on a file its line parser accepted."""
    ins = df.instructions
    if not ins:
        df.problems.append(ParseProblem(1, "file contains no instructions"))
        return
    first_real = next((x for x in ins if x.cmd not in ("ARG",)), None)
    if first_real is not None and first_real.cmd != "FROM" and first_real.cmd in KNOWN_INSTRUCTIONS:
        df.problems.append(ParseProblem(first_real.line, f"{first_real.cmd} before the first FROM"))
    for x in ins:
        if x.cmd in KNOWN_INSTRUCTIONS and x.cmd not in ("CMD", "ENTRYPOINT", "RUN") and not x.args.strip():
            if not x.heredocs:
                df.problems.append(ParseProblem(x.line, f"{x.cmd} requires at least one argument"))
        if x.cmd in ("ENV", "LABEL"):
            words = split_words(x.args)
            if len(words) == 1 and "=" not in words[0]:
                df.problems.append(
                    ParseProblem(x.line, f"{x.cmd} {words[0]} has no value: write {x.cmd} {words[0]}=value")
                )
        if x.args.lstrip(" \t").startswith("[") and x.cmd in JSON_INSTRUCTIONS and x.json is None:
            if x.cmd in ("CMD", "ENTRYPOINT", "RUN", "SHELL"):
                df.problems.append(
                    ParseProblem(
                        x.line, f"{x.cmd} looks like JSON but is not valid JSON: it runs as shell form"
                    )
                )
