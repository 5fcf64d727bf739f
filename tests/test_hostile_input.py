"""Hostile repositories: special files are never opened, nesting and alias bombs end in one
clear line, and `check` finishes in bounded time on any tree (issue 12, items 4 and 6)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardenify import config
from hardenify.compose.model import MAX_EXPANDED_NODES, parse
from hardenify.config import ConfigError, load_config, settings_for
from hardenify.discovery import discover
from hardenify.runner import SourceError, read_source
from hardenify.safeio import FileTooLarge, NotRegularFile, read_bytes

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")

TIMEOUT = 60  # seconds for one CLI run; a hang fails the test instead of the suite


def run_check(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hardenify", "check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, "HARDENIFY_DEBUG": ""},
    )


@pytest.fixture(autouse=True)
def _fresh_config() -> None:
    config.clear_cache()


# ------------------------------------------------------------------------------ safeio


def test_read_bytes_refuses_fifo_without_opening(tmp_path: Path) -> None:
    fifo = tmp_path / "Dockerfile"
    os.mkfifo(fifo)  # opening it for reading would block: the test would hang
    with pytest.raises(NotRegularFile, match=r"not a regular file \(fifo\)"):
        read_bytes(fifo)


def test_read_bytes_refuses_link_to_dev_zero(tmp_path: Path) -> None:
    link = tmp_path / ".gitignore"
    link.symlink_to("/dev/zero")
    with pytest.raises(NotRegularFile, match="character device"):
        read_bytes(link)


def test_read_bytes_refuses_socket(tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))
        with pytest.raises(NotRegularFile, match="socket"):
            read_bytes(path)


def test_read_bytes_bounds_size(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"x" * 101)
    with pytest.raises(FileTooLarge, match="101 bytes; the limit is 100"):
        read_bytes(big, 100)
    assert read_bytes(big, 101) == b"x" * 101


def test_read_source_names_the_kind(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "Dockerfile")
    with pytest.raises(SourceError, match=r"^not a regular file \(fifo\)$"):
        read_source(tmp_path / "Dockerfile")
    with pytest.raises(SourceError, match=r"^is a directory$"):
        read_source(tmp_path)


# ------------------------------------------------------------------------------ discovery


def _hostile_tree(root: Path) -> None:
    (root / ".git").mkdir()
    os.mkfifo(root / ".gitignore")
    (root / "Dockerfile").symlink_to("/dev/zero")
    os.mkfifo(root / ".dockerignore")
    os.mkfifo(root / "compose.yaml")
    sub = root / "svc"
    sub.mkdir()
    (sub / ".gitignore").symlink_to("/dev/zero")
    (sub / "Dockerfile").write_text("FROM alpine:3.19\nUSER 1000\n")


def test_discovery_reports_special_files_and_goes_on(tmp_path: Path) -> None:
    _hostile_tree(tmp_path)
    found = discover([tmp_path])
    assert [f.path for f in found] == [tmp_path / "svc" / "Dockerfile"]
    errors = {str(e) for e in found.errors}
    assert errors == {
        f"{tmp_path / '.gitignore'}: not a regular file (fifo)",
        f"{tmp_path / '.dockerignore'}: not a regular file (fifo)",
        f"{tmp_path / 'Dockerfile'}: not a regular file (character device)",
        f"{tmp_path / 'compose.yaml'}: not a regular file (fifo)",
        f"{tmp_path / 'svc' / '.gitignore'}: not a regular file (character device)",
    }


def test_explicit_special_file_is_one_line(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "Dockerfile")
    found = discover([tmp_path / "Dockerfile"])
    assert list(found) == []
    assert [e.reason for e in found.errors] == ["not a regular file (fifo)"]


def test_check_cli_on_hostile_tree_finishes_with_one_line_each(tmp_path: Path) -> None:
    _hostile_tree(tmp_path)
    res = run_check(".", "--select", "HF201", cwd=tmp_path)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr
    assert "hardenify: error: .gitignore: not a regular file (fifo)" in res.stderr
    assert "hardenify: error: Dockerfile: not a regular file (character device)" in res.stderr


# ------------------------------------------------------------------------------ config


@pytest.mark.parametrize("name", [".hardenify.toml", "pyproject.toml"])
def test_special_config_file_is_an_error_not_a_hang(tmp_path: Path, name: str) -> None:
    os.mkfifo(tmp_path / name)
    with pytest.raises(ConfigError, match=r"not a regular file \(fifo\)"):
        settings_for(tmp_path / "Dockerfile")


def test_config_linked_to_dev_zero(tmp_path: Path) -> None:
    (tmp_path / ".hardenify.toml").symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match="character device"):
        load_config(tmp_path / ".hardenify.toml")


@pytest.mark.parametrize(
    "body",
    [
        "a = " + "[" * 100_000 + "]" * 100_000,
        "a = " + "{b=" * 100_000 + "1" + "}" * 100_000,
        "[tool.hardenify]\nselect = " + "[" * 50_000 + "]" * 50_000,
    ],
    ids=["arrays", "inline-tables", "pyproject"],
)
def test_deeply_nested_config_is_one_line(tmp_path: Path, body: str) -> None:
    name = "pyproject.toml" if body.startswith("[tool") else ".hardenify.toml"
    (tmp_path / name).write_text(body)
    with pytest.raises(ConfigError, match="invalid TOML: nested too deeply"):
        load_config(tmp_path / name)


def test_deeply_nested_config_via_cli_exits_2(tmp_path: Path) -> None:
    (tmp_path / ".hardenify.toml").write_text("a = " + "[" * 100_000 + "]" * 100_000)
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.19\n")
    res = run_check("Dockerfile", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.strip() == "hardenify: error: .hardenify.toml: invalid TOML: nested too deeply"


def test_deep_tables_under_options_are_refused(tmp_path: Path) -> None:
    header = ".".join(["options", *["a"] * 50_000])
    (tmp_path / ".hardenify.toml").write_text(f"[{header}]\n")
    with pytest.raises(ConfigError, match="unknown key 'a' in \\[options\\]"):
        load_config(tmp_path / ".hardenify.toml")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ('trusted-registries = "x"', r"'options.trusted-registries' must be a list of strings, not a string"),
        ("trusted-registries = [1]", r"'options.trusted-registries' must be a list of strings, not an array"),
        (
            'trusted-registeries = ["x"]',
            r"unknown key 'trusted-registeries' .* \(did you mean 'trusted-registries'",
        ),
        ("frobnicate = true", r"unknown key 'frobnicate' in \[tool.hardenify.options\]; valid keys"),
        ("runtime-bases = 3", r"'options.runtime-bases' must be a table"),
        (
            'runtime-bases = { python = "" }',
            r"'options.runtime-bases.python' must be a non-empty image string",
        ),
    ],
)
def test_options_are_validated(tmp_path: Path, options: str, message: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(f"[tool.hardenify]\nselect = ['HF2']\n\n[tool.hardenify.options]\n{options}\n")
    with pytest.raises(ConfigError, match=message) as err:
        load_config(path)
    assert err.value.line == 5
    assert str(path.name) in str(err.value)


def test_valid_options_load(tmp_path: Path) -> None:
    path = tmp_path / ".hardenify.toml"
    path.write_text('[options]\ntrusted-registries = ["ghcr.io/acme"]\nruntime-bases = { go = "scratch" }\n')
    assert load_config(path).options == {
        "trusted-registries": ["ghcr.io/acme"],
        "runtime-bases": {"go": "scratch"},
    }


# ------------------------------------------------------------------------------ YAML aliases


def lol_bomb(levels: int = 9, uses: int = 1) -> str:
    lines = ['x-l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"x-l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]")
    last = f"*l{levels - 1}"
    lines.append("services:\n  web:\n    image: nginx:1.25\n" + f"    command: {last}\n" * min(uses, 1))
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_a_parse_error() -> None:
    cf = parse(lol_bomb())
    assert cf.error is not None and "alias bomb" in cf.error
    assert cf.docs == []
    assert cf.text.splitlines()[cf.row(cf.error_offset) - 1].startswith("x-l6:")


def test_aliases_below_the_bound_still_load() -> None:
    cf = parse(lol_bomb(levels=5))  # 9**5 values: big but legitimate
    assert cf.error is None
    assert [s.name for s in cf.services] == ["web"]
    assert MAX_EXPANDED_NODES > 9**6


def test_billion_laughs_check_and_fix_finish(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(lol_bomb())
    res = run_check("compose.yaml", "--select", "HF6", cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    assert "HF600" in res.stdout and "alias bomb" in res.stdout


# ------------------------------------------------------------------------------ fuzz

_KINDS = ("file", "fifo", "socket", "devzero", "devnull", "loop", "dangling", "dir_link")
_NAMES = (".gitignore", ".dockerignore", "Dockerfile", "compose.yaml", ".hardenify.toml", "Dockerfile.dev")


def _make(path: Path, kind: str) -> None:
    if kind == "file":
        path.write_text("FROM alpine:3.19\n" if "ocker" in path.name else "")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(path))
        s.close()
    elif kind == "devzero":
        path.symlink_to("/dev/zero")
    elif kind == "devnull":
        path.symlink_to("/dev/null")
    elif kind == "loop":
        path.symlink_to(path.name)  # a link to itself
    elif kind == "dangling":
        path.symlink_to("missing")
    elif kind == "dir_link":
        path.symlink_to(".")  # a directory loop


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entries=st.lists(
        st.tuples(st.sampled_from(("", "a", "a/b")), st.sampled_from(_NAMES), st.sampled_from(_KINDS)),
        min_size=1,
        max_size=8,
        unique_by=lambda e: (e[0], e[1]),
    )
)
def test_fuzz_check_over_special_trees_finishes(
    tmp_path_factory: pytest.TempPathFactory, entries: list[tuple[str, str, str]]
) -> None:
    root = tmp_path_factory.mktemp("tree")
    for sub, name, kind in entries:
        d = root / sub
        d.mkdir(parents=True, exist_ok=True)
        if not (d / name).exists() and not (d / name).is_symlink():
            _make(d / name, kind)
    res = run_check(".", cwd=root)  # a hang raises TimeoutExpired and fails the example
    assert res.returncode in (0, 1, 2), res.stderr
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr, res.stderr


_ANCHOR = st.sampled_from([f"a{i}" for i in range(6)])


@st.composite
def aliased_yaml(draw: st.DrawFn) -> str:
    """Compose files whose anchors nest aliases of earlier anchors, up to a few per level."""
    lines = ["x-a0: &a0 [1, 2, 3]"]
    n = draw(st.integers(1, 12))
    for i in range(1, n):
        width = draw(st.integers(1, 12))
        refs = [f"*a{draw(st.integers(0, i - 1))}" for _ in range(width)]
        if draw(st.booleans()):
            lines.append(f"x-a{i}: &a{i} [" + ", ".join(refs) + "]")
        else:
            lines.append(f"x-a{i}: &a{i} {{" + ", ".join(f"k{j}: {r}" for j, r in enumerate(refs)) + "}")
    use = draw(st.integers(0, n - 1))
    merge = draw(st.integers(0, n - 1))
    return "\n".join(lines) + (
        f"\nx-m: &m {{image: 'nginx:1.25'}}\nservices:\n  web:\n    <<: *m\n    command: *a{use}\n"
        f"    environment: *a{merge}\n"
    )


@settings(max_examples=30, deadline=None)
@given(text=aliased_yaml())
def test_fuzz_yaml_aliases_are_bounded(text: str) -> None:
    code = (
        "import sys\nfrom hardenify.engine import lint\nfrom hardenify.settings import Settings\n"
        "lint('compose.yaml', sys.stdin.read(), 'compose', Settings())\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], input=text, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert res.returncode == 0, res.stderr
