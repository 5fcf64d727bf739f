"""e2e tier: fixtures for tests that build and run images on the offline container world.

* Every test under tests/e2e is marked `e2e` (add `@pytest.mark.e2e` anyway, for readers).
* `HARDENIFY_SKIP_E2E=1` (set by `.ci/run` when the offline registry cannot be set up) skips every e2e test;
  `HARDENIFY_SKIP_E2E_REASON` says why.
* `HARDENIFY_REQUIRE_E2E=1` (set by `.ci/run` when setup succeeded) turns "no engine" into a failure, so CI
  cannot pass by silently skipping the e2e tier.
* Containers started during a test are removed after it; images built in the session at its end.
* `-m "not e2e"` deselects the tier.

The helper functions live in `tests/e2e/helpers.py` (`from tests.e2e.helpers import build, run_hardened, …`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e import helpers

E2E_DIR = Path(__file__).resolve().parent
SETUP_HINT = "run ../shared/offline-registry/setup.sh"
_REPORT_KEY = pytest.StashKey[list[str]]()


def _skip_reason() -> str | None:
    if os.environ.get("HARDENIFY_SKIP_E2E", "") not in ("", "0"):
        why = os.environ.get("HARDENIFY_SKIP_E2E_REASON", "HARDENIFY_SKIP_E2E is set")
        return f"e2e tier disabled: {why}"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
        if reason and item.get_closest_marker("e2e") is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def docker() -> str:
    """Path of the docker CLI (`/usr/bin/docker`) once `docker info` answers; skips the test otherwise."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    problem = helpers.engine_problem()
    if problem:
        message = f"no Docker engine answers ({problem}): {SETUP_HINT}"
        if os.environ.get("HARDENIFY_REQUIRE_E2E") == "1":
            pytest.fail(f"HARDENIFY_REQUIRE_E2E=1 but {message}", pytrace=False)
        pytest.skip(message)
    return helpers.DOCKER


@pytest.fixture(scope="session")
def registry_digests() -> dict[str, str]:
    """{reference: digest} of the offline registry's stand-in images (full and short references)."""
    path = helpers.DIGESTS_TSV
    if not path.is_file():
        message = f"no registry digests at {path}: {SETUP_HINT}"
        if os.environ.get("HARDENIFY_REQUIRE_E2E") == "1":
            pytest.fail(f"HARDENIFY_REQUIRE_E2E=1 but {message}", pytrace=False)
        pytest.skip(message)
    digests = helpers.read_digests(path)
    if not digests:
        pytest.fail(f"{path} lists no images", pytrace=False)
    return digests


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The repo's `samples/` directory."""
    return helpers.SAMPLES_DIR


@pytest.fixture(autouse=True)
def _e2e_container_scope(request: pytest.FixtureRequest) -> Iterator[None]:
    """Containers a test starts are labelled with its scope and removed when it ends (pass or fail)."""
    with helpers.container_scope(request.node.name):
        yield


@pytest.fixture(scope="session", autouse=True)
def _e2e_session_cleanup() -> Iterator[None]:
    yield
    if helpers.anything_created() and helpers.engine_problem() is None:
        helpers.cleanup_containers()
        helpers.cleanup_images()


@pytest.fixture
def e2e_report(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """`e2e_report("legacy-go: 612.3 MB")` prints the line now and again in the terminal summary."""
    lines = request.config.stash.setdefault(_REPORT_KEY, [])

    def report(line: str) -> None:
        print(line)
        lines.append(line)

    return report


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    lines = config.stash.get(_REPORT_KEY, [])
    if lines:
        terminalreporter.section("hardenify e2e report")
        for line in lines:
            terminalreporter.write_line(line)
