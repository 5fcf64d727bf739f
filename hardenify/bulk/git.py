"""The few git operations a fleet run needs, through the `git` CLI.

The CLI (not a library) because it is what every developer machine and CI image has, and
it honours the user's config (identity, signing, hooks, credential helpers) exactly as a
person's `git commit` / `git push` would. Every call is non-interactive.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


class GitError(Exception):
    """A git command failed; the message is the one line a fleet table can show."""


class Repo:
    """One working copy, addressed by its top-level directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def open(cls, path: Path) -> Repo:
        """The working copy at `path` (its top level); GitError when it is none."""
        if not path.exists():
            raise GitError("no such directory")
        if not path.is_dir():
            raise GitError("not a directory")
        try:
            top = _git(path, "rev-parse", "--show-toplevel").strip()
        except GitError:
            raise GitError("not a git working copy") from None
        if not top:
            raise GitError("not a git working copy (a bare repository?)")
        if Path(top).resolve() != path.resolve():
            raise GitError(f"not the top of a working copy (that is {top})")
        return cls(Path(top))

    def git(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
        return _git(self.root, *args, stdin=stdin, env=env)

    def ok(self, *args: str) -> bool:
        """True when the git command exits 0 (for yes/no questions such as "does this ref exist?")."""
        try:
            self.git(*args)
        except GitError:
            return False
        return True

    # ---------------------------------------------------------------------------- state

    def current_branch(self) -> str | None:
        """The checked-out branch, or None on a detached HEAD."""
        try:
            ref = self.git("symbolic-ref", "-q", "HEAD").strip()
        except GitError:
            return None
        return ref.removeprefix("refs/heads/")

    def has_commits(self) -> bool:
        return self.ok("rev-parse", "-q", "--verify", "HEAD^{commit}")

    def dirty_files(self) -> list[str]:
        """Tracked files with uncommitted changes (staged or not), and unmerged paths."""
        entries = self.git("status", "--porcelain=v1", "-z", "--untracked-files=no").split("\0")
        out: list[str] = []
        it = iter(entries)
        for entry in it:
            if len(entry) > 3:
                out.append(entry[3:])
                if entry[0] in "RC":
                    next(it, None)  # a rename's source path follows
        return out

    def busy(self) -> str | None:
        """A merge, rebase, cherry-pick or bisect in progress, which a branch switch would disturb."""
        gitdir = self.git_dir()
        for marker, what in (
            ("MERGE_HEAD", "a merge"),
            ("rebase-merge", "a rebase"),
            ("rebase-apply", "a rebase"),
            ("CHERRY_PICK_HEAD", "a cherry-pick"),
            ("REVERT_HEAD", "a revert"),
            ("BISECT_LOG", "a bisect"),
        ):
            if (gitdir / marker).exists():
                return what
        return None

    def tracked_files(self) -> set[str]:
        """Every tracked path, root-relative with forward slashes."""
        out = self.git("ls-files", "-z", "--full-name")
        return {p for p in out.split("\0") if p}

    def git_dir(self) -> Path:
        return Path(self.git("rev-parse", "--absolute-git-dir").strip())

    def branch_exists(self, name: str) -> bool:
        return self.ok("show-ref", "--verify", "--quiet", f"refs/heads/{name}")

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def has_remote(self, name: str) -> bool:
        return name in self.git("remote").split()

    # -------------------------------------------------------------------------- changes

    def switch(self, branch: str, *, create: bool = False) -> None:
        """Check out `branch` (creating it at HEAD, keeping working-tree changes, when `create`)."""
        if create:
            self.git("checkout", "-q", "-b", branch)
        else:
            self.git("checkout", "-q", branch)

    def delete_branch(self, branch: str) -> None:
        self.git("branch", "-q", "-D", branch)

    def commit(self, paths: list[str], message: str, author: str | None = None) -> str:
        """Stage exactly `paths` and commit them; returns the new commit id."""
        self.git("add", "--", *paths)
        args = ["commit", "-q", "-F", "-"]
        env: dict[str, str] | None = None
        if author:
            args += ["--author", author]
            env = _committer_fallback(self, author)
        self.git(*args, stdin=message, env=env)
        return self.head()

    def restore(self, paths: list[str], created: list[str]) -> None:
        """Undo a dry run: tracked files back to HEAD, files the run created removed."""
        if paths:
            self.git("checkout", "-q", "HEAD", "--", *paths)
        for rel in created:
            try:
                (self.root / rel).unlink()
            except FileNotFoundError:
                pass

    def push(self, remote: str, branch: str) -> None:
        self.git("push", "-q", "-u", remote, f"refs/heads/{branch}:refs/heads/{branch}")


def _committer_fallback(repo: Repo, author: str) -> dict[str, str] | None:
    """With --author and no git identity configured, commit as the author too.

    `git commit --author` still needs a committer; a CI runner often has no user.name.
    """
    if repo.ok("config", "user.email") and repo.ok("config", "user.name"):
        return None
    name, _, rest = author.partition("<")
    email = rest.rstrip(">").strip()
    return {
        "GIT_COMMITTER_NAME": name.strip() or "hardenify",
        "GIT_COMMITTER_EMAIL": email or "hardenify@localhost",
    }


def _git(cwd: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    full_env = dict(os.environ)
    # Never prompt (a fleet run has nobody to answer) and keep messages parseable.
    full_env.update({"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"})
    full_env.pop("GIT_DIR", None)
    full_env.pop("GIT_WORK_TREE", None)
    full_env.pop("GIT_INDEX_FILE", None)
    if env:
        full_env.update(env)
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=full_env,
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed (no `git` on PATH)") from None
    except OSError as e:
        raise GitError(f"cannot run git: {e.strerror or e}") from None
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        detail = _best_line(lines) or f"exit {proc.returncode}"
        raise GitError(f"git {args[0]}: {detail}")
    return proc.stdout


def _best_line(lines: list[str]) -> str:
    """The line of git's stderr that says what went wrong (`fatal:`/`error:` before hints)."""
    for prefix in ("fatal:", "error:"):
        for ln in lines:
            if ln.startswith(prefix):
                return ln
    return lines[-1] if lines else ""
