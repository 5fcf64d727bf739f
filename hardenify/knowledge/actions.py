"""GitHub Actions pinned by full commit SHA: what `hardenify new --ci github` writes and what HF701's
fix offers. The data is `actions.json` beside this module; each entry says where its SHA was read.

A tag is mutable (a compromised maintainer account can move `v4` to other code); a commit SHA is
not, so a workflow that runs with `id-token: write` and `packages: write` uses SHAs only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Action:
    """An action at one release: its tag, the commit the tag pointed to, and the source of that fact."""

    name: str  # owner/repo, or owner/repo/path for an action in a subdirectory
    version: str
    sha: str
    source: str

    @property
    def uses(self) -> str:
        """The `uses:` value with its version comment: `owner/repo@<sha> # v1.2.3`."""
        return f"{self.name}@{self.sha} # {self.version}"


@cache
def pinned_actions() -> dict[str, Action]:
    """Every action of `actions.json`, by name."""
    text = resources.files("hardenify.knowledge").joinpath("actions.json").read_text("utf-8")
    return {
        name: Action(name, str(a["version"]), str(a["sha"]), str(a["source"]))
        for name, a in json.loads(text)["actions"].items()
    }
