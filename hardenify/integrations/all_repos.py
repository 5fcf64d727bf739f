"""An all-repos autofixer: all-repos clones, branches, commits and opens the PRs; hardenify fixes.

    pip install all-repos
    python -m hardenify.integrations.all_repos -C all-repos.json --dry-run   # look first
    python -m hardenify.integrations.all_repos -C all-repos.json             # commit + push

all-repos finds the repositories with a Dockerfile, compose file or .dockerignore (`git
grep` over its clones), clones each into a temporary directory, checks out
`all-repos_autofix_hardenify/fix-<hash>`, calls `apply_fix` there, commits with `git commit
-a` when anything changed, and hands the branch to the push module of its config (a
GitHub/GitLab/Bitbucket PR, a merge, or `all_repos.push.readonly` to do nothing). The fix
runs in-process, on tracked files only, exactly as `hardenify fix .` would; a file that
cannot be read or does not parse makes that repository error out (no commit), and
`check_fix` refuses a fix that a second run would change again. See docs/fleet.md.
"""

from __future__ import annotations

import argparse
import functools
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hardenify import __version__
from hardenify.bulk.treefix import FixOptions, TreeFix, fix_tree

if TYPE_CHECKING:
    from all_repos.config import Config  # type: ignore[import-untyped,import-not-found,unused-ignore]

# Files hardenify reads, as git pathspecs (`**/` also matches the top level).
PATHSPECS = (
    ":(glob)**/Dockerfile",
    ":(glob)**/dockerfile",
    ":(glob)**/Dockerfile.*",
    ":(glob)**/Dockerfile-*",
    ":(glob)**/*.Dockerfile",
    ":(glob)**/*.dockerfile",
    ":(glob)**/Containerfile",
    ":(glob)**/Containerfile.*",
    ":(glob)**/compose*.yml",
    ":(glob)**/compose*.yaml",
    ":(glob)**/docker-compose*.yml",
    ":(glob)**/docker-compose*.yaml",
    ":(glob)**/.dockerignore",
)


class HardenifyFixError(RuntimeError):
    """Raised inside a repository so all-repos reports it as errored and commits nothing."""


def find_repos(config: Config) -> set[str]:
    """The cloned repositories that have at least one file hardenify reads."""
    from all_repos.grep import repos_matching  # type: ignore[import-untyped,import-not-found,unused-ignore]

    # `-e ''` matches any line: the pathspecs do the selecting.
    found: set[str] = repos_matching(config, ("-e", "", "--", *PATHSPECS))
    return found


def _tracked() -> set[str]:
    out = subprocess.run(["git", "ls-files", "-z", "--full-name"], capture_output=True, text=True, check=True)
    return {p for p in out.stdout.split("\0") if p}


def _fix_here(opts: FixOptions) -> TreeFix:
    tf = fix_tree(Path.cwd(), opts, jobs=1, only=_tracked())
    failures = tf.failures()
    if failures:
        detail = "; ".join(f"{p}: {why}" for p, why in failures)
        raise HardenifyFixError(
            f"hardenify: {len(failures)} file(s) cannot be fixed, nothing committed: {detail}"
        )
    return tf


def apply_fix(opts: FixOptions) -> None:
    """Fix the clone in the current directory and stage new files (all-repos commits with -a)."""
    from hardenify.bulk.pr import pr_body

    tf = _fix_here(opts)
    if not tf.has_changes:
        print("hardenify: nothing to fix", flush=True)
        return
    tf.write()
    created = [tf.relpath(nf.path) for nf in tf.created]
    if created:
        # `git commit -a` and `git diff origin/HEAD` only see tracked files.
        subprocess.run(["git", "add", "--", *created], check=True)
    codes = tf.fixed_codes()
    print(f"hardenify: fixed {', '.join(f'{c} ×{codes[c]}' for c in sorted(codes))}", flush=True)
    print(
        pr_body(tf, opts, repo_name=_repo_name(), branch=opts.branch_name(), tool="all-repos + hardenify"),
        flush=True,
    )


def _repo_name() -> str:
    """all-repos works in a temporary clone: name the repository after its origin instead."""
    url = subprocess.run(["git", "config", "remote.origin.url"], capture_output=True, text=True, check=False)
    name = url.stdout.strip().rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git")
    return name or Path.cwd().name


def check_fix(opts: FixOptions) -> None:
    """Before all-repos commits: fixing the fixed tree again must change nothing."""
    tf = _fix_here(opts)
    if tf.has_changes:
        changed = ", ".join(tf.relpath(p) for p in tf.touched_paths())
        raise HardenifyFixError(f"hardenify: a second fix would change {changed} again; not committing")


def commit_message(opts: FixOptions) -> str:
    """all-repos uses one message for every repository (and its PR title/body)."""
    mode = "safe and unsafe fixes" if opts.unsafe_fixes else "safe fixes"
    return (
        "hardenify: harden container builds\n\n"
        f"Applied by hardenify {__version__} ({mode}) through its all-repos autofixer: "
        "Dockerfile, compose and .dockerignore findings fixed in place; each rule is documented "
        "with `hardenify rule CODE`. Rerunning changes nothing. Run `hardenify check .` for "
        "the findings that need a human."
    )


def _selectors(value: str) -> tuple[str, ...]:
    from hardenify.rules import is_selector

    out = tuple(tok.strip().upper() for tok in value.split(",") if tok.strip())
    bad = [t for t in out if not is_selector(t)]
    if bad:
        raise argparse.ArgumentTypeError(f"{bad[0]!r} is not a rule code or prefix (e.g. HF101, HF1, ALL)")
    return out


def _flatten(values: list[tuple[str, ...]] | None) -> tuple[str, ...]:
    return tuple(code for group in values or () for code in group)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        from all_repos import autofix_lib  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        print("hardenify: this needs all-repos: pip install all-repos", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(
        prog="python -m hardenify.integrations.all_repos",
        description="all-repos autofixer: run `hardenify fix` in every repository with a Dockerfile, "
        "compose file or .dockerignore.",
    )
    autofix_lib.add_fixer_args(parser)
    parser.add_argument(
        "--select", type=_selectors, action="append", metavar="CODES", help="Only these rules."
    )
    parser.add_argument(
        "--ignore", type=_selectors, action="append", metavar="CODES", help="Not these rules."
    )
    parser.add_argument(
        "--extend-select", type=_selectors, action="append", metavar="CODES", help="These rules as well."
    )
    parser.add_argument(
        "--unsafe-fixes", action="store_true", help="Also apply fixes that can change behaviour."
    )
    parser.add_argument(
        "--hardenify-config",
        type=Path,
        metavar="FILE",
        help="hardenify config file for every repository (default: each repository's own).",
    )
    args = parser.parse_args(argv)
    opts = FixOptions(
        select=_flatten(args.select) or None,
        ignore=_flatten(args.ignore),
        extend_select=_flatten(args.extend_select),
        unsafe_fixes=args.unsafe_fixes,
        config_file=args.hardenify_config.resolve() if args.hardenify_config else None,
    )
    repos, config, commit, settings = autofix_lib.from_cli(
        args, find_repos=find_repos, msg=commit_message(opts), branch_name=opts.branch_name()
    )
    autofix_lib.fix(
        repos,
        apply_fix=functools.partial(apply_fix, opts),
        check_fix=functools.partial(check_fix, opts),
        config=config,
        commit=commit,
        autofix_settings=settings,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
