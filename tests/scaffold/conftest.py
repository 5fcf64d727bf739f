"""Fixtures for the `hardenify new` tests: the template set, renders without the network, the CLI."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from hardenify.scaffold import templateset
from hardenify.scaffold.detect import Detection, detect
from hardenify.scaffold.questions import Answers, Resolver
from hardenify.scaffold.render import Rendered, render

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"


@pytest.fixture(scope="session")
def tset() -> templateset.TemplateSet:
    return templateset.load()


def resolve(
    tset: templateset.TemplateSet, root: Path, explicit: dict[str, Any] | None = None, **kw: Any
) -> tuple[Detection, Answers]:
    det = detect(root)
    answers = Resolver(
        tset, det, explicit={"pin": False, **(explicit or {})}, use_defaults=True, **kw
    ).resolve()
    return det, answers


@pytest.fixture
def render_for(tset: templateset.TemplateSet, tmp_path: Path) -> Callable[..., Rendered]:
    """Render (no network: --no-pin) for a project directory, or an empty one, with answers."""

    def go(root: Path | None = None, **answers: Any) -> Rendered:
        root = root or (tmp_path / "empty")
        root.mkdir(exist_ok=True)
        det, ans = resolve(tset, root, answers)
        return render(tset, ans, det.for_stack(ans.stack))

    return go


@pytest.fixture
def sample_copy(tmp_path: Path) -> Callable[[str], Path]:
    """A private copy of samples/<name> (so generated files never land in the repo)."""

    def go(name: str) -> Path:
        dest = tmp_path / name
        shutil.copytree(SAMPLES / name, dest)
        return dest

    return go


@pytest.fixture
def new() -> Callable[..., Result]:
    """Invoke `hardenify new ARGS` through click (no TTY: CliRunner's stdin is not a terminal)."""
    from hardenify.commands.new import command

    def go(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(command, list(args), input=input, catch_exceptions=False)

    return go


@pytest.fixture(autouse=True)
def _no_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Unit tests never reach a registry: a test that wants pins patches `resolve_digests` itself."""

    def offline(refs: list[str], **_: Any) -> tuple[dict[str, str], dict[str, str]]:
        return {}, {r: "the registry did not answer with a digest (network)" for r in refs}

    monkeypatch.setattr("hardenify.scaffold.render.resolve_digests", offline)
    yield


@pytest.fixture(autouse=True)
def _own_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A private user config directory (platformdirs honours XDG_CONFIG_HOME), and fresh
    config discovery: the tester's own ~/.config/hardenify never changes what a test sees."""
    from hardenify.config import clear_cache

    home = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    clear_cache()
    yield home / "hardenify"
    clear_cache()
