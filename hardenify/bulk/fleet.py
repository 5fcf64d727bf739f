"""`hardenify bulk`: fix many git working copies, one branch and one commit each.

Per repository: refuse what a person would not touch (not a working copy, detached HEAD,
uncommitted changes, a merge in progress), run the fix in-process on the deterministic
branch (or on HEAD, creating the branch only when something changed), commit exactly the
files it changed, write the PR body, push on request, and go back to the branch the
working copy was on. One repository's failure never stops the others.

A repository with a file that cannot be read, analysed or parsed is a Failure as a whole
and nothing is committed there: a fleet PR that silently skipped a file would look complete
when it is not. Its owner fixes the file; the next run (idempotent) then commits everything.
"""

from __future__ import annotations

import enum
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hardenify.bulk.git import GitError, Repo
from hardenify.bulk.treefix import FixOptions, TreeFix, plan_tree, run_trees

if TYPE_CHECKING:
    from hardenify.prove.docker import Docker
    from hardenify.prove.run import ProveOptions


class State(str, enum.Enum):
    """How a repository ended; every repository ends in exactly one."""

    CHANGED = "changed"  # --dry-run: the fix would change files (nothing committed)
    COMMITTED = "committed"
    PUSHED = "pushed"
    SKIPPED = "skipped"  # nothing to fix, or the branch already has the fix
    FAILED = "failed"


@dataclass(frozen=True)
class BulkOptions:
    fix: FixOptions = field(default_factory=FixOptions)
    author: str | None = None
    push: bool = False
    remote: str = "origin"
    dry_run: bool = False
    pr_body_dir: Path | None = None
    jobs: int | None = None
    prove: ProveOptions | None = None  # `--prove`: build and run each changed Dockerfile
    engine: Docker | None = None


@dataclass
class RepoResult:
    """One repository's row in the final table (and in `--output-format json`)."""

    name: str
    path: str
    state: State = State.FAILED
    reason: str = ""
    branch: str = ""
    commit: str = ""
    fixed: Counter[str] = field(default_factory=Counter)
    diffstat: list[tuple[str, int, int]] = field(default_factory=list)
    pr_body: str = ""  # where the PR body was written
    proofs: list[dict[str, Any]] = field(default_factory=list)  # `--prove` evidence (Proof.as_json)

    @property
    def ok(self) -> bool:
        return self.state is not State.FAILED

    def fail(self, reason: str) -> None:
        self.state, self.reason = State.FAILED, reason

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "state": self.state.value,
            "reason": self.reason,
            "branch": self.branch,
            "commit": self.commit,
            "fixed": dict(sorted(self.fixed.items())),
            "files": [{"path": p, "added": a, "removed": r} for p, a, r in self.diffstat],
            "pr_body": self.pr_body,
            "proofs": self.proofs,
        }


@dataclass
class _Work:
    """A repository between preparation and the commit."""

    result: RepoResult
    repo: Repo
    original: str
    branch_existed: bool
    tree: TreeFix


def repo_names(paths: Sequence[Path]) -> list[str]:
    """Directory names, made unique in input order (`api`, `api-2`) for tables and PR body files."""
    seen: Counter[str] = Counter()
    out = []
    for p in paths:
        base = Path(os.path.abspath(p)).name or "repo"
        seen[base] += 1
        out.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return out


def run_fleet(
    paths: Sequence[Path],
    opts: BulkOptions,
    log: Callable[[str], None] = lambda _msg: None,
) -> list[RepoResult]:
    """Fix every repository; results in input order, one per path."""
    from hardenify.runner import Progress

    branch = opts.fix.branch_name()
    results: list[RepoResult] = []
    work: list[_Work] = []
    for path, name in zip(paths, repo_names(paths), strict=True):
        res = RepoResult(name=name, path=str(path), branch=branch)
        results.append(res)
        w = _prepare(res, Path(path), opts, branch)
        if w is not None:
            work.append(w)
        else:
            log(f"{name}: failed: {res.reason}")

    total = sum(len(w.tree.tasks) for w in work)
    run_trees([w.tree for w in work], opts.jobs, Progress(total, "fixing "))
    if opts.fix.pin:
        from hardenify.bulk.treefix import pin_trees

        pin_trees([w.tree for w in work])
        for w in work:
            for note in w.tree.pin_notes:
                log(f"{w.result.name}: {note}")
    if opts.prove is not None and opts.engine is not None:
        from hardenify.prove.run import prove_tree

        for w in work:
            w.tree.proofs = prove_tree(opts.engine, w.tree, opts.prove, log)
            w.result.proofs = [p.as_json() for p in w.tree.proofs]
            if w.tree.proofs:
                from hardenify.prove.report import save

                save(w.repo.git_dir(), w.tree.proofs)  # for `hardenify report`

    for w in work:
        _finish(w, opts, branch)
        r = w.result
        log(f"{r.name}: {r.state.value}" + (f": {r.reason}" if r.reason else ""))
    return results


def _prepare(res: RepoResult, path: Path, opts: BulkOptions, branch: str) -> _Work | None:
    """Check the working copy can be touched, switch to an existing fix branch, plan the files."""
    from hardenify.config import ConfigError

    try:
        repo = Repo.open(path)
        original = repo.current_branch()
        if original is None:
            res.fail("detached HEAD: check out a branch first")
            return None
        if not repo.has_commits():
            res.fail(f"branch {original} has no commits yet")
            return None
        busy = repo.busy()
        if busy:
            res.fail(f"{busy} is in progress")
            return None
        dirty = repo.dirty_files()
        if dirty:
            shown = ", ".join(dirty[:3]) + (", ..." if len(dirty) > 3 else "")
            res.fail(f"uncommitted changes ({len(dirty)} file(s): {shown}): commit or stash them first")
            return None
        if opts.push and not repo.has_remote(opts.remote):
            res.fail(f"--push: no remote named {opts.remote!r}")
            return None
    except GitError as e:
        res.fail(str(e))
        return None

    existed = repo.branch_exists(branch)
    try:
        if existed and original != branch:
            # Fix on top of the branch's tip: when it already has the fix, nothing changes.
            repo.switch(branch)
        tree = plan_tree(repo.root, opts.fix, only=repo.tracked_files())
    except (GitError, ConfigError) as e:
        res.fail(str(e))
        _back_to(repo, original, res)
        return None
    return _Work(res, repo, original, existed, tree)


def _finish(w: _Work, opts: BulkOptions, branch: str) -> None:
    """Write, commit, describe and push one repository; always leave it on its original branch."""
    res, repo, tf = w.result, w.repo, w.tree
    written: list[str] = []
    created: list[str] = []
    created_branch = False
    try:
        failures = tf.failures()
        if failures:
            shown = "; ".join(f"{p}: {why}" for p, why in failures[:2])
            more = f" (and {len(failures) - 2} more)" if len(failures) > 2 else ""
            res.fail(f"{len(failures)} file(s) cannot be fixed, nothing committed: {shown}{more}")
            return
        if not tf.has_changes:
            res.state = State.SKIPPED
            res.reason = f"up to date: {branch} already has the fix" if w.branch_existed else "nothing to fix"
            return
        res.fixed = tf.fixed_codes()
        res.diffstat = tf.diffstat()
        created = [tf.relpath(nf.path) for nf in tf.created]
        written = [tf.relpath(p) for p in tf.touched_paths()]
        tf.write()
        if opts.dry_run:
            _write_pr_body(w, opts, branch)
            repo.restore([p for p in written if p not in created], created)
            written = created = []
            res.state = State.CHANGED
            res.reason = "dry run: not committed"
            return
        if not w.branch_existed and w.original != branch:
            repo.switch(branch, create=True)  # carries the fixed files along
            created_branch = True
        from hardenify.bulk.pr import commit_message

        res.commit = repo.commit(written, commit_message(tf, opts.fix), opts.author)
        written = created = []
        res.state = State.COMMITTED
        _write_pr_body(w, opts, branch)
        if opts.push:
            try:
                repo.push(opts.remote, branch)
            except GitError as e:
                res.fail(f"committed {res.commit[:12]} on {branch}, but the push failed: {e}")
                return
            res.state = State.PUSHED
    except GitError as e:
        res.fail(str(e))
    except OSError as e:
        res.fail(f"cannot write: {e.strerror or e}")
    except Exception as e:  # a bug must not stop the fleet: report it on this repository's row
        res.fail(f"internal error: {type(e).__name__}: {e}")
    finally:
        if written or created:
            _undo(repo, written, created, res)
        _back_to(repo, w.original, res)
        if created_branch and res.state is State.FAILED and not res.commit:
            try:
                repo.delete_branch(branch)
            except GitError:
                pass


def _undo(repo: Repo, written: list[str], created: list[str], res: RepoResult) -> None:
    """Put back files written before a failure, so a failed repository is left as it was found."""
    try:
        repo.git("reset", "-q", "--", *written)
        repo.restore([p for p in written if p not in created], created)
    except GitError as e:
        res.reason += f" (and could not undo the changes: {e})"


def _back_to(repo: Repo, original: str, res: RepoResult) -> None:
    try:
        if repo.current_branch() != original:
            repo.switch(original)
    except GitError as e:
        res.fail(f"{res.reason + '; ' if res.reason else ''}could not switch back to {original}: {e}")


def _write_pr_body(w: _Work, opts: BulkOptions, branch: str) -> None:
    """`.git/hardenify/PR_BODY.md`, or `<--pr-body-dir>/<repo>.md`."""
    from hardenify.bulk.pr import pr_body
    from hardenify.writeback import atomic_write

    text = pr_body(w.tree, opts.fix, repo_name=w.result.name, branch=branch)
    if opts.pr_body_dir is not None:
        target = opts.pr_body_dir / f"{w.result.name}.md"
    else:
        target = w.repo.git_dir() / "hardenify" / "PR_BODY.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, text)
    w.result.pr_body = str(target)
