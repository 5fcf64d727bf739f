"""The fleet report's data: findings per repository and per rule, and a baseline to compare with.

Collected with the same discovery, config and engine as `hardenify check`, and redacted at
collection time: nothing after this module ever sees a secret, so no renderer can leak one.
The JSON form is both an output and the `--baseline` input of a later run.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hardenify import __version__
from hardenify.diagnostics import Severity

SCHEMA = "hardenify-fleet-report"
SCHEMA_VERSION = 1
SEVERITIES = ("error", "warning", "style", "info")  # worst first


class BaselineError(Exception):
    """A --baseline file that is not a report this version can compare with."""


@dataclass(frozen=True)
class Finding:
    file: str
    row: int
    column: int
    code: str
    name: str
    severity: str
    message: str


@dataclass
class RepoReport:
    name: str
    path: str
    files: int = 0
    findings: list[Finding] = field(default_factory=list)
    failed_files: list[tuple[str, str]] = field(default_factory=list)
    proofs: list[dict[str, Any]] = field(default_factory=list)  # the last `bulk --prove` here

    def severity_counts(self) -> Counter[str]:
        return Counter(f.severity for f in self.findings)

    def severity_key(self) -> tuple[int | str, ...]:
        """Worst first: most errors, then warnings, style, info; then by name."""
        counts = self.severity_counts()
        return (*(-counts[s] for s in SEVERITIES), self.name)


@dataclass(frozen=True)
class RuleInfo:
    code: str
    name: str
    severity: str
    url: str
    summary: str


@dataclass
class Baseline:
    """Counts from an earlier report: what "before" means in before/after columns."""

    total: int
    by_rule: Counter[str]
    by_repo: Counter[str]
    by_repo_rule: Counter[tuple[str, str]] = field(default_factory=Counter)


@dataclass
class Fleet:
    repos: list[RepoReport]
    title: str = "hardenify fleet report"
    baseline: Baseline | None = None
    version: str = __version__

    # ------------------------------------------------------------------------- tallies

    @property
    def total(self) -> int:
        return sum(len(r.findings) for r in self.repos)

    @property
    def files(self) -> int:
        return sum(r.files for r in self.repos)

    @property
    def failed_files(self) -> int:
        return sum(len(r.failed_files) for r in self.repos)

    def by_rule(self) -> Counter[str]:
        return Counter(f.code for r in self.repos for f in r.findings)

    def repos_per_rule(self) -> Counter[str]:
        return Counter(code for r in self.repos for code in {f.code for f in r.findings})

    def severity_counts(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for r in self.repos:
            out.update(r.severity_counts())
        return out

    def rule_rows(self) -> list[RuleInfo]:
        """Every rule with findings now (or in the baseline), most findings first."""
        counts = self.by_rule()
        codes = set(counts) | (set(self.baseline.by_rule) if self.baseline else set())
        infos = [rule_info(c, self._seen_name(c)) for c in codes]
        return sorted(infos, key=lambda i: (-counts[i.code], i.code))

    def repos_by_severity(self) -> list[RepoReport]:
        return sorted(self.repos, key=RepoReport.severity_key)

    def new_since_baseline(self, r: RepoReport) -> Counter[str]:
        """Rules with more findings in `r` than in the baseline: with a baseline taken before a
        fleet fix, the findings a fix brought in (e.g. HF202 on a runtime stage a split added)."""
        if self.baseline is None:
            return Counter()
        now = Counter(f.code for f in r.findings)
        return Counter(
            {
                c: n - self.baseline.by_repo_rule[(r.name, c)]
                for c, n in now.items()
                if n > self.baseline.by_repo_rule[(r.name, c)]
            }
        )

    def _seen_name(self, code: str) -> str:
        for r in self.repos:
            for f in r.findings:
                if f.code == code:
                    return f.name
        return ""

    # -------------------------------------------------------------------------- JSON

    def as_json(self) -> dict[str, Any]:
        counts = self.by_rule()
        per_repo = self.repos_per_rule()
        return {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "hardenify_version": self.version,
            "title": self.title,
            "totals": {
                "repositories": len(self.repos),
                "files": self.files,
                "failed_files": self.failed_files,
                "findings": self.total,
                "by_severity": {s: self.severity_counts()[s] for s in SEVERITIES},
            },
            "rules": [
                {
                    "code": i.code,
                    "name": i.name,
                    "severity": i.severity,
                    "url": i.url,
                    "summary": i.summary,
                    "findings": counts[i.code],
                    "repositories": per_repo[i.code],
                }
                for i in self.rule_rows()
            ],
            "repositories": [
                {
                    "name": r.name,
                    "path": r.path,
                    "files": r.files,
                    "by_severity": {s: r.severity_counts()[s] for s in SEVERITIES},
                    "findings": [f.__dict__ for f in r.findings],
                    "failed_files": [{"file": p, "reason": why} for p, why in r.failed_files],
                    "new_since_baseline": dict(sorted(self.new_since_baseline(r).items())),
                    "proofs": r.proofs,
                }
                for r in self.repos_by_severity()
            ],
            "baseline": None
            if self.baseline is None
            else {
                "findings": self.baseline.total,
                "by_rule": dict(sorted(self.baseline.by_rule.items())),
                "by_repository": dict(sorted(self.baseline.by_repo.items())),
            },
        }

    def to_json(self) -> str:
        return json.dumps(self.as_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def rule_info(code: str, seen_name: str = "") -> RuleInfo:
    """Metadata for a code; a code this version no longer has (from a baseline) still gets a row."""
    from hardenify.rules import rules_by_code

    r = rules_by_code().get(code)
    if r is None:
        return RuleInfo(code, seen_name or "unknown-rule", "info", "", "")
    return RuleInfo(r.code, r.name, r.severity.value, r.url, r.summary)


def load_baseline(path: Path) -> Baseline:
    """Counts from a report JSON written by an earlier `hardenify report`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise BaselineError(f"cannot read {path}: {e.strerror or e}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BaselineError(f"{path} is not JSON: {e}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise BaselineError(f"{path} is not a hardenify fleet report (write one with --format json)")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise BaselineError(f"{path} has report schema version {data.get('schema_version')!r}; expected 1")
    by_rule: Counter[str] = Counter()
    by_repo: Counter[str] = Counter()
    by_repo_rule: Counter[tuple[str, str]] = Counter()
    try:
        for repo in data["repositories"]:
            name = str(repo["name"])
            by_repo[name] += 0  # a repository with no findings is still "before: 0"
            for f in repo["findings"]:
                by_rule[str(f["code"])] += 1
                by_repo[name] += 1
                by_repo_rule[(name, str(f["code"]))] += 1
    except (KeyError, TypeError) as e:
        raise BaselineError(f"{path}: malformed report ({type(e).__name__}: {e})") from None
    return Baseline(total=sum(by_rule.values()), by_rule=by_rule, by_repo=by_repo, by_repo_rule=by_repo_rule)


# ------------------------------------------------------------------------------ collection


def expand_roots(paths: Sequence[Path]) -> list[Path]:
    """Each PATH is a repository (or any directory); a directory of clones means its clones."""
    out: list[Path] = []
    for p in paths:
        if (p / ".git").exists():
            out.append(p)
            continue
        try:
            clones = sorted(
                (c for c in p.iterdir() if c.is_dir() and (c / ".git").exists()), key=lambda c: c.name
            )
        except OSError:
            clones = []
        out.extend(clones or [p])
    return out


def collect(
    paths: Sequence[Path],
    *,
    select: tuple[str, ...] | None = None,
    ignore: tuple[str, ...] = (),
    extend_select: tuple[str, ...] = (),
    config_file: Path | None = None,
    jobs: int | None = None,
    progress: bool = False,
) -> list[RepoReport]:
    """Check every repository (one process pool for all files) and keep redacted findings."""
    from hardenify.bulk.fleet import repo_names
    from hardenify.bulk.treefix import FixOptions, plan_tree, run_trees
    from hardenify.prove.report import load as load_proofs
    from hardenify.reporters._common import clean, path_of, sorted_diagnostics
    from hardenify.runner import Progress

    roots = expand_roots(paths)
    opts = FixOptions(select=select, ignore=ignore, extend_select=extend_select, config_file=config_file)
    trees = [plan_tree(root, opts, mode="check") for root in roots]
    total = sum(len(t.tasks) for t in trees)
    run_trees(trees, jobs, Progress(total, "checking ") if progress else None)
    out = []
    for root, name, tf in zip(roots, repo_names(roots), trees, strict=True):
        rep = RepoReport(name=name, path=str(root), files=len(tf.tasks))
        rep.failed_files.extend(tf.plan_errors)
        rep.proofs = load_proofs(root)
        for o in tf.outcomes:
            file = path_of(o)
            if o.error is not None:
                rep.failed_files.append((file, clean(o.error, o.redactor)))
            for d in sorted_diagnostics(o):
                sev = d.severity.value if isinstance(d.severity, Severity) else str(d.severity)
                rep.findings.append(
                    Finding(
                        file,
                        d.location.row,
                        d.location.column,
                        d.code,
                        d.name,
                        sev,
                        clean(d.message, o.redactor),
                    )
                )
        out.append(rep)
    return out
