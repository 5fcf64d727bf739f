"""What a package or tool install names, per package manager, and whether each is pinned.

Shared by HF417 (unpinned tool installs) and HF418 (package versions not pinned): one reading of
`apt-get install`, `apk add`, `pip install`, `npm install`, `gem install`, `go install`, `cargo
install`, `pipx install`, `yarn global add` and `pnpm add -g` command lines. A word that is a
path, a URL, a file or a variable is not a registry package and is never reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from hardenify.dockerfile.runs import Cmd
from hardenify.dockerfile.shell import Word

from . import _pkg


@dataclass(frozen=True)
class Spec:
    """One package named by an install command."""

    manager: str  # "apt", "apk", "pip", "npm", "gem", "go", "cargo", "pipx", "yarn", "pnpm"
    word: Word
    name: str
    pinned: bool


@dataclass(frozen=True)
class Install:
    """An install command: its manager, whether it installs globally (npm -g), and its specs."""

    manager: str
    cmd: Cmd
    specs: tuple[Spec, ...]
    global_: bool = False
    version_option: bool = False  # `gem install -v`, `cargo install --version`: pins a lone spec


_PIP_VALUE = _pkg.PIP_VALUE_OPTS | {
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--upgrade-strategy",
    "--only-binary",
    "--no-binary",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--progress-bar",
    "--report",
    "-C",
    "--config-settings",
    "--install-option",
}
_GEM_VALUE = frozenset(
    {
        "-v",
        "--version",
        "-i",
        "--install-dir",
        "-n",
        "--bindir",
        "-s",
        "--source",
        "--platform",
        "-P",
        "--trust-policy",
    }
)
_CARGO_VALUE = frozenset(
    {
        "--version",
        "--vers",
        "--git",
        "--branch",
        "--tag",
        "--rev",
        "--path",
        "--root",
        "--index",
        "--registry",
        "--target",
        "--target-dir",
        "--profile",
        "-j",
        "--jobs",
        "-F",
        "--features",
        "--bin",
        "--example",
        "--config",
        "-Z",
    }
)
_PIPX_VALUE = frozenset({"--python", "--pip-args", "--index-url", "-i", "--suffix", "--preinstall"})
_NOT_REGISTRY = re.compile(
    r"^(?:\.|/|~|\$|[a-z+]+://|git\+|github:|file:|[\w.-]+/[\w.-]+$)|\.(?:deb|rpm|apk|whl|tgz|gz|zip|gem)$"
)
_PIP_SPEC = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")


def _registry(value: str) -> bool:
    return bool(value) and "$" not in value and "`" not in value and not _NOT_REGISTRY.search(value)


def installs(cmd: Cmd) -> Install | None:
    """The install a command performs, or None when it is not one this module reads."""
    from .hf406_pip_no_cache_dir import pip_install_index

    prog = cmd.prog
    if prog in _pkg.APT:
        sub = _pkg.apt_sub(cmd)
        if sub is None or sub[1] != "install":
            return None
        return _make("apt", cmd, sub[0] + 1, _pkg.APT_VALUE_OPTS, _apt_pinned)
    if prog == "apk":
        i = _pkg.subcommand(cmd, _pkg.APK_VALUE_OPTS)
        if i is None or cmd.words[i].value != "add":
            return None
        return _make("apk", cmd, i + 1, _pkg.APK_VALUE_OPTS, lambda v: bool(re.search(r"[=~<>]", v)))
    i = pip_install_index(cmd)
    if i is not None:
        return _make("pip", cmd, i + 1, _PIP_VALUE, _pip_pinned, name=_pip_name)
    if prog == "npm":
        i = _pkg.subcommand(cmd, _pkg.NPM_VALUE_OPTS)
        if i is None or cmd.words[i].value not in ("install", "i", "add", "in", "isntall"):
            return None
        vals = cmd.values
        glob = "-g" in vals or "--global" in vals or "--location=global" in vals
        return _make("npm", cmd, i + 1, _pkg.NPM_VALUE_OPTS, _npm_pinned, name=_npm_name, global_=glob)
    if prog == "yarn" and cmd.values[:2] == ["global", "add"]:
        return _make("yarn", cmd, 3, frozenset(), _npm_pinned, name=_npm_name, global_=True)
    if prog == "pnpm":
        i = _pkg.subcommand(cmd)
        if i is None or cmd.words[i].value not in ("add", "install", "i"):
            return None
        glob = "-g" in cmd.values or "--global" in cmd.values
        return _make("pnpm", cmd, i + 1, frozenset(), _npm_pinned, name=_npm_name, global_=glob)
    if prog == "gem":
        i = _pkg.subcommand(cmd, _GEM_VALUE)
        if i is None or cmd.words[i].value not in ("install", "i"):
            return None
        opt = bool(_pkg.option_values(cmd.values, "-v", "--version"))
        return _make("gem", cmd, i + 1, _GEM_VALUE, lambda v: ":" in v, version_option=opt)
    if prog == "go":
        i = _pkg.subcommand(cmd)
        if i is None or cmd.words[i].value != "install":
            return None
        return _make(
            "go",
            cmd,
            i + 1,
            frozenset({"-o", "-C", "-tags", "-ldflags", "-gcflags"}),
            _go_pinned,
            name=lambda v: v.split("@", 1)[0],
        )
    if prog == "cargo":
        i = _pkg.subcommand(cmd, _CARGO_VALUE)
        if i is None or cmd.words[i].value != "install":
            return None
        vals = cmd.values
        if _pkg.has_long(vals, "--path"):
            return None
        if _pkg.has_long(vals, "--git"):
            pinned = _pkg.has_long(vals, "--rev", "--tag")
            words = cmd.words
            k = next(k for k, w in enumerate(words) if w.value == "--git" or w.value.startswith("--git="))
            word = words[k + 1] if words[k].value == "--git" and k + 1 < len(words) else words[k]
            url = word.value.removeprefix("--git=")
            return Install("cargo", cmd, (Spec("cargo", word, url, pinned),))
        opt = _pkg.has_long(vals, "--version", "--vers")
        return _make(
            "cargo",
            cmd,
            i + 1,
            _CARGO_VALUE,
            lambda v: "@" in v,
            name=lambda v: v.split("@", 1)[0],
            version_option=opt,
        )
    if prog == "pipx":
        i = _pkg.subcommand(cmd, _PIPX_VALUE)
        if i is None or cmd.words[i].value != "install":
            return None
        return _make("pipx", cmd, i + 1, _PIPX_VALUE, _pip_pinned, name=_pip_name)
    return None


def _make(
    manager: str,
    cmd: Cmd,
    start: int,
    value_opts: frozenset[str],
    pinned: Callable[[str], bool],
    *,
    name: Callable[[str], str] | None = None,
    global_: bool = False,
    version_option: bool = False,
) -> Install:
    specs: list[Spec] = []
    for w in _pkg.positional(cmd, start, value_opts):
        v = w.value
        if manager == "go":
            if not v or v.startswith((".", "/", "$")) or "." not in v.split("/", 1)[0]:
                continue  # local packages and std commands
        elif not _registry(v):
            continue
        label = name(v) if name is not None else re.split(r"[=~<>:]", v, maxsplit=1)[0]
        specs.append(Spec(manager, w, label, pinned(v)))
    return Install(manager, cmd, tuple(specs), global_, version_option)


def _apt_pinned(value: str) -> bool:
    return "=" in value


def _pip_name(value: str) -> str:
    m = _PIP_SPEC.match(value)
    return m.group(1) if m else value


def _pip_pinned(value: str) -> bool:
    m = _PIP_SPEC.match(value)
    rest = (m.group(3) if m else "").strip()
    return bool(re.match(r"(?:===?|~=|>=|<=|!=|<|>|@)", rest))


def _npm_name(value: str) -> str:
    at = value.find("@", 1)
    return value if at < 0 else value[:at]


_NPM_TAGS = frozenset(
    {"latest", "next", "beta", "alpha", "canary", "rc", "dev", "nightly", "stable", "lts", "*", ""}
)


def _npm_pinned(value: str) -> bool:
    at = value.find("@", 1)
    return at >= 0 and value[at + 1 :].lower() not in _NPM_TAGS


_FLOATING = frozenset({"latest", "master", "main", "head", "dev", "develop", "trunk"})


def _go_pinned(value: str) -> bool:
    """Without `@`, `go install` takes the version from the go.mod of the module it runs in."""
    _, at, version = value.partition("@")
    return not at or version.lower() not in _FLOATING
