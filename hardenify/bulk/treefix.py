"""Fix whole trees in-process: plan every tree, run one process pool over all files, write.

`hardenify bulk`, the all-repos autofixer and `hardenify report` share this so a fleet run
pays for one pool however many repositories it visits, and every tree is fixed exactly as
`hardenify fix <tree>` would fix it (same discovery, config, engine, .dockerignore creation).
"""

from __future__ import annotations

import difflib
import hashlib
import os
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hardenify import __version__
from hardenify.outcome import FileOutcome
from hardenify.runner import Task
from hardenify.settings import Settings

if TYPE_CHECKING:
    from hardenify.prove.model import Proof
    from hardenify.writeback import NewFile

# Findings that mean "this file does not parse": a fleet run must not commit around them.
PARSE_ERROR_CODES = frozenset({"HF001", "HF600"})


@dataclass(frozen=True)
class FixOptions:
    """The rule selection and fix mode of a fleet run; the same for every tree."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    config_file: Path | None = None
    pin: bool = False  # `--pin`: also pin image references to digests after the fixes

    def selected_codes(self) -> list[str]:
        """The codes the command line enables (a repo's own config may narrow them further)."""
        from hardenify.rules import resolve_selection

        return sorted(resolve_selection(self.select, self.ignore, self.extend_select))

    def fingerprint(self) -> str:
        """A short hash of (hardenify version, selected codes, unsafe flag).

        It names the branch, so a rerun with the same tool and flags lands on the same
        branch (and finds its work already done), while a new version or selection does not.
        """
        parts = [__version__, ",".join(self.selected_codes()), str(self.unsafe_fixes)]
        if self.pin:  # only when set, so existing fix branches keep their names
            parts.append("pin")
        key = "\n".join(parts)
        return hashlib.sha256(key.encode()).hexdigest()[:10]

    def branch_name(self, prefix: str = "hardenify/fix-") -> str:
        return prefix + self.fingerprint()


@dataclass
class TreeFix:
    """What fixing one tree produced; nothing is written until `write` is called."""

    root: Path
    pin_notes: list[str] = field(default_factory=list)  # `--pin`: images left unpinned, and why
    tasks: list[Task] = field(default_factory=list)
    outcomes: list[FileOutcome] = field(default_factory=list)
    created: list[NewFile] = field(default_factory=list)
    # (display path, reason) for paths discovery could not use
    plan_errors: list[tuple[str, str]] = field(default_factory=list)
    # root-relative paths the repository tracks (None: every file may be written)
    only: Collection[str] | None = None
    # `--prove` evidence per changed Dockerfile (hardenify.prove.model.Proof)
    proofs: list[Proof] = field(default_factory=list)

    def failures(self) -> list[tuple[str, str]]:
        """Files that could not be read, analysed, parsed or safely written, with why."""
        out = list(self.plan_errors)
        for o, t in zip(self.outcomes, self.tasks, strict=True):
            if o.error is not None:
                out.append((o.filename, o.redactor(o.error)))
                continue
            parse = [d for d in o.diagnostics if d.code in PARSE_ERROR_CODES]
            if parse:
                first = min(parse, key=lambda d: d.location.row)
                msg = o.redactor(first.message)
                out.append((o.filename, f"does not parse (line {first.location.row}: {msg})"))
                continue
            if o.changed:
                problem = self._unwritable(t)
                if problem:
                    out.append((o.filename, problem))
        seen: dict[Path, str] = {}
        for t, o in self.changed():
            target = self._target(t)
            if target is not None and seen.setdefault(target, o.fixed_text or "") != o.fixed_text:
                out.append((o.filename, f"{self.relpath(target)} is fixed differently through another link"))
        return out

    def _target(self, t: Task) -> Path | None:
        """The file a fix of `t` writes (a symlink's target), under `root`; None if outside."""
        from hardenify.writeback import WriteRefused, write_target

        try:
            real = write_target(t.path, [self.root.resolve()])
        except WriteRefused:
            return None
        return self.root / real.relative_to(self.root.resolve())

    def _unwritable(self, t: Task) -> str | None:
        """Why writing `t` would change a file this run does not commit, if it would.

        A symlinked Dockerfile is fixed by writing its target, which must be inside the
        repository and tracked, so the commit (or a dry run's restore) covers what changed.
        """
        from hardenify.writeback import WriteRefused, write_target

        try:
            write_target(t.path, [self.root.resolve()], "the repository")
        except WriteRefused as e:
            return str(e)
        target = self._target(t)
        assert target is not None
        rel = self.relpath(target)
        if self.only is not None and rel not in self.only:
            return f"not written: it is a symlink to {rel}, which the repository does not track"
        return None

    def changed(self) -> list[tuple[Task, FileOutcome]]:
        return [(t, o) for t, o in zip(self.tasks, self.outcomes, strict=True) if o.changed]

    @property
    def has_changes(self) -> bool:
        return bool(self.created) or any(o.changed for o in self.outcomes)

    def fixed_codes(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for o in self.outcomes:
            out.update(o.fixed)
        return out

    def touched_paths(self) -> list[Path]:
        """Every file `write` changes or creates (a symlink's target, not the link), in a stable order."""
        paths = [self._target(t) or Path(t.path) for t, _ in self.changed()]
        paths += [nf.path for nf in self.created]
        return sorted(set(paths), key=lambda p: p.as_posix())

    def relpath(self, path: Path) -> str:
        return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(self.root))).as_posix()

    def write(self) -> None:
        """Write fixed files and create companions atomically; raises OSError on the first failure.

        Call it only when `failures()` is empty: that is what keeps every write inside the tree.
        Each file is written once, and only if it still holds the text its fix was computed from.
        """
        from hardenify.writeback import atomic_write, create, write_target

        for nf in self.created:
            create(nf)
        done: set[Path] = set()
        for t, o in self.changed():
            assert o.fixed_text is not None
            target = write_target(t.path, [self.root.resolve()])
            if target not in done:
                done.add(target)
                atomic_write(target, o.fixed_text, expect=o.original)

    def diffstat(self) -> list[tuple[str, int, int]]:
        """(path, lines added, lines removed) per touched file, like `git diff --stat`."""
        rows: list[tuple[str, int, int]] = []
        seen: set[str] = set()
        for t, o in self.changed():
            assert o.original is not None and o.fixed_text is not None
            rel = self.relpath(self._target(t) or Path(t.path))
            if rel in seen:
                continue  # two links to one file
            seen.add(rel)
            added, removed = _line_delta(o.original, o.fixed_text)
            rows.append((rel, added, removed))
        for nf in self.created:
            rows.append((self.relpath(nf.path), len(nf.content.splitlines()), 0))
        return sorted(rows)


def _line_delta(before: str, after: str) -> tuple[int, int]:
    a = before.splitlines(keepends=True)
    b = after.splitlines(keepends=True)
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return added, removed


def plan_tree(
    root: Path, opts: FixOptions, *, only: Collection[str] | None = None, mode: str = "fix"
) -> TreeFix:
    """Discover the files below `root` with its own config, as `hardenify fix` run there would.

    `only` restricts the tasks to these root-relative POSIX paths (a repository's tracked
    files), so a fleet run never commits a file the repository did not already have.
    Raises `hardenify.config.ConfigError` for a config file that cannot be used.
    """
    from hardenify import config, discovery

    def settings_for(directory: Path) -> Settings:
        return config.merge_cli(
            config.settings_for(directory, opts.config_file),
            select=opts.select,
            ignore=opts.ignore,
            extend_select=opts.extend_select,
            unsafe_fixes=opts.unsafe_fixes,
        )

    root = Path(os.path.abspath(root))
    tf = TreeFix(root=root, only=only)
    base = settings_for(root)
    found = discovery.discover([root], base, root=root)
    tf.plan_errors.extend((_rel(Path(e.path), root), e.reason) for e in found.errors)
    for item in found:
        rel = _rel(Path(item.path), root)
        if only is not None and rel not in only:
            continue
        tf.tasks.append(Task(str(item.path), rel, item.kind, settings_for(Path(item.path).parent), mode=mode))
    return tf


def _rel(path: Path, root: Path) -> str:
    try:
        return Path(os.path.abspath(path)).relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def run_trees(
    trees: Sequence[TreeFix],
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Run every tree's tasks through one pool (results stay in input order), then plan companions."""
    from hardenify.runner import run_all

    tasks = [t for tf in trees for t in tf.tasks]
    outcomes = run_all(tasks, jobs, progress)
    i = 0
    for tf in trees:
        tf.outcomes = outcomes[i : i + len(tf.tasks)]
        i += len(tf.tasks)
        if tf.tasks and tf.tasks[0].mode == "fix":
            tf.created = companions(tf.outcomes, tf.tasks)


def companions(outcomes: Sequence[FileOutcome], tasks: Sequence[Task]) -> list[NewFile]:
    """The companion files `hardenify fix` would write (`writeback.plan_companions`)."""
    from hardenify.writeback import plan_companions

    return sorted(plan_companions(outcomes, tasks), key=lambda nf: nf.path.as_posix())


def fix_tree(
    root: Path, opts: FixOptions, *, jobs: int | None = 1, only: Collection[str] | None = None
) -> TreeFix:
    """Plan and run one tree (nothing written): the all-repos autofixer's unit of work."""
    tf = plan_tree(root, opts, only=only)
    run_trees([tf], jobs)
    return tf


def pin_trees(trees: Sequence[TreeFix]) -> None:
    """`--pin`: pin the fixed texts of every tree in one batch of registry lookups."""
    from hardenify.pinstep import pin_outcomes, registry_config

    owner = {id(o): tf for tf in trees for o in tf.outcomes}
    for o, note in pin_outcomes([o for tf in trees for o in tf.outcomes], registry_config()).notes:
        owner[id(o)].pin_notes.append(note)
