"""Find the files `hardenify` checks: Dockerfiles, Containerfiles, compose files, .dockerignore.

Behaves like ruff's file discovery so it surprises nobody: explicit paths are always checked
(unless `force_exclude`), directories are walked in sorted order, `exclude`/`extend-exclude`
and the usual tool/VCS directories are skipped, and `.gitignore` files (root and nested, plus
`.git/info/exclude`) are honoured. The gitignore matcher is implemented here so that
`hardenify check` stays a pure-stdlib start-up. Failures are values, not exceptions: one
unreadable path must not stop the other files.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Literal, NamedTuple

from hardenify.safeio import file_kind, read_text
from hardenify.settings import Settings

# "workflow": a GitHub Actions workflow that `hardenify new` wrote (see hardenify/workflows.py).
Kind = Literal["dockerfile", "dockerignore", "compose", "workflow"]

# Like ruff's defaults: VCS metadata, virtualenvs, caches, build output and vendored code.
DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "dist",
    "build",
    "site-packages",
    ".terraform",
    "vendor",
)

# `Dockerfile.<ext>` names that are documentation, templates, scripts, data or editor
# leftovers rather than Dockerfiles.
NOT_DOCKERFILE_EXTENSIONS = frozenset(
    {
        "md",
        "markdown",
        "rst",
        "j2",
        "jinja",
        "jinja2",
        "tmpl",
        "tpl",
        "template",
        "sh",
        "py",
        "json",
        "yml",
        "yaml",
        "txt",
        "orig",
        "bak",
        "rej",
        "swp",
        "patch",
        "diff",
    }
)

_COMPOSE_RE = re.compile(
    r"(?:docker-)?compose(?:\.[A-Za-z0-9_-]+)*\.ya?ml|docker-compose-[A-Za-z0-9_.-]+\.ya?ml"
)


def kind_for_name(name: str) -> Kind | None:
    """What a file is, judged by its base name alone; None when it is none of ours."""
    if name == ".dockerignore" or (name.endswith(".dockerignore") and name != ".dockerignore"):
        return "dockerignore"
    if _COMPOSE_RE.fullmatch(name):
        return "compose"
    if name in ("Dockerfile", "dockerfile", "Containerfile"):
        # `dockerfile` (lower case) is the name `docker build` falls back to.
        return "dockerfile"
    for base, seps in (("Dockerfile", ".-"), ("Containerfile", ".")):
        if name.startswith(base) and len(name) > len(base) + 1 and name[len(base)] in seps:
            dot = name.rfind(".")
            ext = name[dot + 1 :].lower() if dot >= len(base) else ""
            return None if ext in NOT_DOCKERFILE_EXTENSIONS else "dockerfile"
    for suffix in (".Dockerfile", ".dockerfile"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return "dockerfile"
    return None


def _generated_workflow(display: Path, path: str) -> Kind | None:
    """ "workflow" for a `.github/workflows/*.yml` that `hardenify new` generated (its marker line);
    any other workflow is not ours to check."""
    from hardenify import workflows

    if workflows.is_workflow_path(display.as_posix()) and workflows.read_marked(path):
        return "workflow"
    return None


# ------------------------------------------------------------------------------ gitignore


def _glob_to_regex(glob: str) -> str:
    """Translate one gitignore glob (wildmatch with WM_PATHNAME) to a regex body.

    `*` and `?` stay within a segment, `**` between slashes (or at either end) crosses
    directories, `[...]` accepts `!`/`^` negation, and `\\` escapes the next character.
    """
    out: list[str] = []
    n = len(glob)
    i = 0
    while i < n:
        c = glob[i]
        if c == "*":
            j = i
            while j < n and glob[j] == "*":
                j += 1
            if j - i >= 2 and (i == 0 or glob[i - 1] == "/") and (j == n or glob[j] == "/"):
                if j == n:
                    out.append(".*")
                else:
                    out.append("(?:.*/)?")
                    j += 1
            else:
                out.append("[^/]*")
            i = j
            continue
        if c == "?":
            out.append("[^/]")
        elif c == "[":
            cls, end = _gitignore_class(glob, i)
            if cls is None:
                out.append(re.escape(c))
            else:
                out.append(cls)
                i = end
                continue
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(glob[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _gitignore_class(glob: str, i: int) -> tuple[str | None, int]:
    """A `[...]` class at glob[i]; (None, i) when unterminated, then `[` is literal."""
    n = len(glob)
    j = i + 1
    negated = j < n and glob[j] in "!^"
    if negated:
        j += 1
    parts: list[str] = []
    first = True
    while j < n and (glob[j] != "]" or first):
        first = False
        c = glob[j]
        if c == "\\" and j + 1 < n:
            j += 1
            c = glob[j]
        if j + 2 < n and glob[j + 1] == "-" and glob[j + 2] != "]":
            hi = glob[j + 2]
            if c <= hi:
                parts.append(f"{re.escape(c)}-{re.escape(hi)}")
            j += 3
            continue
        parts.append(re.escape(c))
        j += 1
    if j >= n:
        return None, i
    body = "".join(parts)
    if negated:
        return f"[^/{body}]", j + 1
    return (f"[{body}]" if body else "(?!)"), j + 1


class IgnoreRule:
    """One gitignore line, compiled; `pattern` is the line as written (trimmed).

    Plain slotted classes here and in `GitIgnore`: dataclass creation is a measurable
    share of `hardenify check` start-up and these are never compared or printed.
    """

    __slots__ = ("anchored", "dir_only", "negated", "pattern", "regex")

    def __init__(
        self, pattern: str, negated: bool, dir_only: bool, anchored: bool, regex: re.Pattern[str]
    ) -> None:
        self.pattern = pattern
        self.negated = negated
        self.dir_only = dir_only
        self.anchored = anchored
        self.regex = regex

    def __repr__(self) -> str:
        return f"IgnoreRule({self.pattern!r})"

    def matches(self, path: str, is_dir: bool) -> bool:
        if self.dir_only and not is_dir:
            return False
        return self.regex.match(path) is not None


def _trim_trailing_spaces(line: str) -> str:
    """Drop trailing spaces unless escaped with a backslash, as git does."""
    end = len(line)
    while end > 0 and line[end - 1] == " ":
        if end >= 2 and line[end - 2] == "\\":
            break
        end -= 1
    return line[:end]


def compile_ignore_rule(line: str) -> IgnoreRule | None:
    """Compile one gitignore line; None for blanks and comments."""
    line = line.removesuffix("\r")
    if not line or line.startswith("#"):
        return None
    line = _trim_trailing_spaces(line)
    written = line
    negated = line.startswith("!")
    if negated:
        line = line[1:]
    dir_only = line.endswith("/")
    line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/")
    body = _glob_to_regex(line)
    prefix = "" if anchored else "(?:.*/)?"
    regex = re.compile(f"{prefix}{body}\\Z", re.DOTALL)
    return IgnoreRule(written, negated, dir_only, anchored, regex)


class GitIgnore:
    """The rules of one ignore file, matched against paths relative to its directory."""

    __slots__ = ("rules",)

    def __init__(self, rules: tuple[IgnoreRule, ...]) -> None:
        self.rules = rules

    def __repr__(self) -> str:
        return f"GitIgnore({[r.pattern for r in self.rules]!r})"

    @classmethod
    def parse(cls, text: str) -> GitIgnore:
        return cls.from_patterns(text.split("\n"))

    @classmethod
    def from_patterns(cls, patterns: Iterable[str]) -> GitIgnore:
        rules = (compile_ignore_rule(p) for p in patterns)
        return cls(tuple(r for r in rules if r is not None))

    def match(self, path: str, is_dir: bool, *, anchored: bool = True) -> bool | None:
        """True: ignored; False: re-included by a `!` rule; None: no rule matches.

        The last matching rule wins. With `anchored=False` only rules without a slash are
        tried (for paths outside the directory the rules belong to).
        """
        for rule in reversed(self.rules):
            if not anchored and rule.anchored:
                continue
            if rule.matches(path, is_dir):
                return not rule.negated
        return None


def _read_ignore_file(path: str) -> tuple[GitIgnore | None, str | None]:
    """An ignore file's rules, or (None, why) when it exists but cannot be used.

    Read through `safeio`: a `.gitignore` that is a FIFO, a socket, a device or a link to
    one (`/dev/zero`) is reported, never opened. A missing file is no error.
    """
    try:
        return GitIgnore.parse(read_text(path)), None
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, (exc.strerror or str(exc))


def find_repo_root(path: str) -> str | None:
    """The closest directory at or above `path` holding `.git` (a directory or a file)."""
    cur = os.path.abspath(path)
    while True:
        if os.path.exists(os.path.join(cur, ".git")):
            return cur
        parent = os.path.dirname(cur)
        if parent == cur:
            return None
        cur = parent


# ------------------------------------------------------------------------------ discovery


class Found(NamedTuple):
    """A file to check: `path` as the user would write it and what kind of file it is."""

    path: Path
    kind: Kind
    # Named on the command line (so checked even when excluded).
    explicit: bool = False


class PathError(NamedTuple):
    """A path that could not be used; the CLI prints it and exits 2 after the other files."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class Discovery(list[Found]):
    """The files found, in order, and the paths that failed in `errors`."""

    def __init__(self, items: Iterable[Found] = ()) -> None:
        super().__init__(items)
        self.errors: list[PathError] = []


# A gitignore stack entry: the ignore file's directory relative to the repo anchor.
_Stack = tuple[tuple[str, GitIgnore], ...]


def _join(base: str, name: str) -> str:
    return f"{base}/{name}" if base else name


def _relative(path: str, root: str) -> str | None:
    """`path` relative to `root` with `/` separators, or None when it is outside."""
    if path == root:
        return ""
    prefix = root.rstrip(os.sep) + os.sep
    if path.startswith(prefix):
        return path[len(prefix) :].replace(os.sep, "/")
    return None


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class _Walker:
    def __init__(
        self, excludes: GitIgnore, exclude_root: str, respect_gitignore: bool, force_exclude: bool
    ) -> None:
        self.excludes = excludes
        self.exclude_root = exclude_root
        self.respect_gitignore = respect_gitignore
        self.force_exclude = force_exclude
        self.out = Discovery()
        self.seen: set[tuple[int, int]] = set()

    # -- helpers

    def _excluded(self, rel_ex: str | None, name: str, is_dir: bool) -> bool:
        if rel_ex is None:
            return bool(self.excludes.match(name, is_dir, anchored=False))
        return bool(self.excludes.match(rel_ex, is_dir))

    @staticmethod
    def _ignored(stack: _Stack, rel_git: str, is_dir: bool) -> bool:
        for base, rules in reversed(stack):
            rel = rel_git if not base else rel_git[len(base) + 1 :]
            verdict = rules.match(rel, is_dir)
            if verdict is not None:
                return verdict
        return False

    def _add(self, display: Path, kind: Kind, explicit: bool) -> None:
        try:
            st = os.stat(display)
        except OSError as exc:
            self.out.errors.append(PathError(display, exc.strerror or str(exc)))
            return
        key = (st.st_dev, st.st_ino)
        if key in self.seen:
            return
        self.seen.add(key)
        self.out.append(Found(display, kind, explicit))

    def _ignore_file(self, path: str, display: Path) -> GitIgnore | None:
        """The rules of one ignore file; a file that cannot be used is reported and skipped."""
        rules, problem = _read_ignore_file(path)
        if problem is not None:
            self.out.errors.append(PathError(display, problem))
        return rules

    def _repo_stack(self, repo: str) -> _Stack:
        """The repository's `.git/info/exclude`: the lowest-precedence rules."""
        stack: list[tuple[str, GitIgnore]] = []
        if os.path.isdir(os.path.join(repo, ".git")):
            path = os.path.join(repo, ".git", "info", "exclude")
            info = self._ignore_file(path, Path(path))
            if info is not None:
                stack.append(("", info))
        return tuple(stack)

    def _initial_stack(self, abs_top: str) -> tuple[_Stack, str]:
        """The ignore rules from the repo root down to (not including) the walk root."""
        repo = find_repo_root(abs_top) or abs_top
        stack = list(self._repo_stack(repo))
        rel_top = _relative(abs_top, repo) or ""
        cur, rel = repo, ""
        for part in [p for p in rel_top.split("/") if p]:
            path = os.path.join(cur, ".gitignore")
            gi = self._ignore_file(path, Path(path))
            if gi is not None:
                stack.append((rel, gi))
            cur, rel = os.path.join(cur, part), _join(rel, part)
        return tuple(stack), rel_top

    def _special(self, display: Path, path: str) -> None:
        """A file with one of our names that is a FIFO, socket or device: say so, never open it."""
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return  # vanished, or a dangling link (already skipped above)
        if not stat.S_ISDIR(mode):
            self.out.errors.append(PathError(display, f"not a regular file ({file_kind(mode)})"))

    # -- entry points

    def explicit(self, arg: str | os.PathLike[str]) -> None:
        raw = os.fspath(arg)
        display = Path(raw)
        if self.force_exclude and self._explicitly_excluded(raw):
            return
        try:
            st = os.stat(raw)
        except FileNotFoundError:
            reason = "broken symbolic link" if os.path.islink(raw) else "No such file or directory"
            self.out.errors.append(PathError(display, reason))
            return
        except OSError as exc:
            self.out.errors.append(PathError(display, exc.strerror or str(exc)))
            return
        if stat.S_ISDIR(st.st_mode):
            self.walk(raw)
        elif stat.S_ISREG(st.st_mode):
            kind = kind_for_name(display.name) or _generated_workflow(Path(os.path.abspath(raw)), raw)
            self._add(display, kind or "dockerfile", True)
        else:
            # A FIFO, socket or device (or a link to one) is never opened: reading a FIFO
            # blocks forever and /dev/zero never ends.
            self.out.errors.append(PathError(display, f"not a regular file ({file_kind(st.st_mode)})"))

    def _explicitly_excluded(self, raw: str) -> bool:
        """`--force-exclude`: apply the excludes to a named path and its parents.

        Only the components below the exclude root are tried (a checkout living under
        `~/build/` must not exclude itself); outside that root only the name itself is.
        """
        abs_path = os.path.abspath(raw)
        rel = _relative(abs_path, self.exclude_root)
        if rel is None:
            return self._excluded(None, os.path.basename(abs_path), os.path.isdir(abs_path))
        parts = rel.split("/") if rel else []
        for k, name in enumerate(parts, 1):
            is_dir = k < len(parts) or os.path.isdir(abs_path)
            if self._excluded("/".join(parts[:k]), name, is_dir):
                return True
        return False

    def walk(self, top: str) -> None:
        """Walk `top` depth-first in name order, pruning excluded and ignored directories."""
        abs_top = os.path.abspath(top)
        real_top = os.path.realpath(top)
        rel_ex = _relative(abs_top, self.exclude_root)
        stack: _Stack = ()
        rel_git = ""
        if self.respect_gitignore:
            stack, rel_git = self._initial_stack(abs_top)
        visited: set[tuple[int, int]] = set()
        # Each frame: (directory shown to the user, its entries iterator, stack, rel paths).
        frames: list[tuple[Path, Iterator[os.DirEntry[str]], _Stack, str, str | None]] = []

        def enter(display: Path, abs_dir: str, stack: _Stack, rel_git: str, rel_ex: str | None) -> None:
            try:
                st = os.stat(abs_dir)
                key = (st.st_dev, st.st_ino)
                if key in visited:
                    return  # a symlink cycle or a second link to the same directory
                visited.add(key)
                with os.scandir(abs_dir) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                self.out.errors.append(PathError(display, exc.strerror or str(exc)))
                return
            if self.respect_gitignore:
                names = {e.name for e in entries}
                if ".git" in names and rel_git:
                    # A nested repository: its own rules apply, not its parent's.
                    stack, rel_git = self._repo_stack(abs_dir), ""
                if ".gitignore" in names:
                    gi = self._ignore_file(os.path.join(abs_dir, ".gitignore"), display / ".gitignore")
                    if gi is not None:
                        stack = (*stack, (rel_git, gi))
            frames.append((display, iter(entries), stack, rel_git, rel_ex))

        enter(Path(top), abs_top, stack, rel_git, rel_ex)
        while frames:
            display, entries, stack, rel_git, rel_ex = frames[-1]
            entry = next(entries, None)
            if entry is None:
                frames.pop()
                continue
            name = entry.name
            try:
                is_dir = entry.is_dir()
                is_file = not is_dir and entry.is_file()
                if entry.is_symlink():
                    target = os.path.realpath(entry.path)
                    if not _within(target, real_top) or not os.path.exists(target):
                        if not is_dir and not is_file and kind_for_name(name) is not None:
                            self._special(display / name, entry.path)  # a link to /dev/zero
                        continue  # never follow a link out of the tree (or a dangling one)
            except OSError:
                continue
            child_ex = _join(rel_ex, name) if rel_ex is not None else None
            if self._excluded(child_ex, name, is_dir):
                continue
            child_git = _join(rel_git, name)
            if self.respect_gitignore and self._ignored(stack, child_git, is_dir):
                continue
            if is_dir:
                enter(display / name, entry.path, stack, child_git, child_ex)
            elif is_file:
                kind = kind_for_name(name)
                if kind is None and name.endswith((".yml", ".yaml")):
                    kind = _generated_workflow(display / name, entry.path)
                if kind is not None:
                    self._add(display / name, kind, False)
            elif kind_for_name(name) is not None:
                self._special(display / name, entry.path)


def discover(
    paths: Sequence[str | os.PathLike[str]],
    settings: Settings | Sequence[str] | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
    respect_gitignore: bool | None = None,
    force_exclude: bool = False,
) -> Discovery:
    """Expand command-line paths into the files to check.

    `settings` gives the excludes: a `Settings` (its `exclude`, or the defaults when that
    is empty, plus `extend_exclude`, and its `respect_gitignore`), a plain list of exclude
    globs used as is, or None for the defaults. Exclude globs use .gitignore syntax: one
    without a `/` matches a file or directory name at any depth, one with a `/` is relative
    to `root` (default: the config file's directory, else the current directory).

    Explicit files come back in argument order whatever their name (a name we do not
    recognise is taken for a Dockerfile); a walked directory contributes its files in
    sorted order. A file reached twice is listed once. Missing or unreadable paths are in
    `.errors`, never raised.
    """
    if isinstance(settings, Settings):
        patterns: Sequence[str] = (*(settings.exclude or DEFAULT_EXCLUDES), *settings.extend_exclude)
        gitignore = settings.respect_gitignore
        default_root = os.path.dirname(settings.source) if settings.source else None
    else:
        patterns = DEFAULT_EXCLUDES if settings is None else settings
        gitignore = True
        default_root = None
    if respect_gitignore is not None:
        gitignore = respect_gitignore
    base = os.fspath(root) if root is not None else (default_root or os.getcwd())
    walker = _Walker(GitIgnore.from_patterns(patterns), os.path.abspath(base), gitignore, force_exclude)
    for arg in paths:
        walker.explicit(arg)
    return walker.out
