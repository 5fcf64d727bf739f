"""The planner behind HF413: split a single-stage image into a build stage and a runtime stage.

It reads the one stage and answers three questions, and refuses (saying why and what to add)
as soon as one has no confident answer:

1. Does the shipped image keep a build toolchain, and for which stack? A builder base
   (`golang`, `rust`, `maven`, the full `python`/`node` images, the .NET SDK, a JDK), compilers
   installed and never removed, a build command (`go build`, `cargo build`, `npm run build`,
   `mvn package`, `dotnet publish`), Python build tools (poetry, uv, ...) or Node
   devDependencies. A pure-Python `pip install` on a slim base is not: there is nothing to drop.
2. What does the runtime need from the build? The program CMD/ENTRYPOINT runs when a build
   command produced it (Go, Rust), the application directory (Node, Python), a venv pip is
   made to install into (Python), the jar (Java), the publish directory (.NET). Whatever the
   entrypoint uses existed in the original image, which *is* the build stage, so copying those
   paths from it is right by construction. What cannot be read off the file is not guessed:
   `# hardenify: artifact=/path` (repeatable) and `# hardenify: runtime=image` comments say it.
3. Which runtime base? `DEFAULT_RUNTIME_BASES`, overridable with the `runtime-bases` option,
   filled in from the build base's tag.

The edits keep the original stage byte for byte (it becomes `AS build`) and mostly insert: the
runtime stage goes in front of the trailing run-time-only instructions (EXPOSE, CMD, ...), which
so move with it; run-time-only instructions in the middle of the stage are moved; ENV, USER and
SHELL the build needs stay and are repeated. Pure; never raises on odd input.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hardenify.diagnostics import Edit
from hardenify.dockerfile.model import (
    Comment,
    Dockerfile,
    Instruction,
    Node,
    Stage,
    arg_pairs,
    env_pairs,
    split_words,
    substitute,
)
from hardenify.dockerfile.shell import tokenize, uses_shell_features
from hardenify.imageref import try_parse_ref
from hardenify.knowledge.bases import has_shell

from ._runtime_bases import DEFAULT_RUNTIME_BASES as DEFAULT_RUNTIME_BASES
from ._runtime_bases import OPTION as OPTION

# ---------------------------------------------------------------------------------- configuration

# Fields that may legitimately be empty in a template.
_OPTIONAL_FIELDS = frozenset({"distro", "variant"})

DISTROLESS_NODE = "/nodejs/bin/node"
BUILD_STAGE = "build"
VENV = "/opt/venv"
HINT = (
    "add `# hardenify: artifact=<path>` (what the runtime needs from the build; repeat it for several "
    "paths) and, if needed, `# hardenify: runtime=<image>`"
)

_BUILDER_BASES = {
    "golang": "go",
    "rust": "rust",
    "maven": "java",
    "gradle": "java",
    "openjdk": "java",
    "eclipse-temurin": "java",
    "amazoncorretto": "java",
    "adoptopenjdk": "java",
    "ibm-semeru-runtimes": "java",
    "sapmachine": "java",
    "gcc": "native",
    "buildpack-deps": "native",
}
_DOTNET_SDK = re.compile(r"^mcr\.microsoft\.com/dotnet/(?:core/)?sdk$")
# The build base a stack's template fields must come from (a `node:` template cannot take its
# version from `debian:12`).
_TEMPLATE_BASES: dict[str, Callable[[str], bool]] = {
    "node": lambda n: n == "node",
    "python": lambda n: n == "python",
    "java": lambda n: _BUILDER_BASES.get(n) == "java",
    "dotnet": lambda n: bool(_DOTNET_SDK.match(n)),
}

#: OS packages that only build things: installing them is evidence of a toolchain, and the
#: runtime does not need them.
TOOLCHAIN_PACKAGES = frozenset(
    {
        "gcc",
        "g++",
        "cpp",
        "clang",
        "llvm",
        "build-essential",
        "build-base",
        "alpine-sdk",
        "make",
        "cmake",
        "ninja-build",
        "autoconf",
        "automake",
        "libtool",
        "pkg-config",
        "pkgconf",
        "musl-dev",
        "libc6-dev",
        "libc-dev",
        "linux-headers",
        "python3-dev",
        "python-dev",
        "cargo",
        "rustc",
        "golang",
        "golang-go",
        "go",
        "maven",
        "gradle",
        "default-jdk",
        "default-jdk-headless",
        "dpkg-dev",
        "debhelper",
        "fakeroot",
    }
)
_TOOLCHAIN_PATTERNS = (
    re.compile(r"^(?:gcc|g\+\+|clang|cpp)-[\w.-]+$"),  # gcc-12, gcc-arm-linux-gnueabihf
    re.compile(r"^libc6?-dev-[\w-]+-cross$"),
    re.compile(r"^openjdk-?\d+-jdk(?:-headless)?$"),
    re.compile(r"^openjdk\d+$"),
)
# Installed but not needed at run time, or already in every runtime base the mapping picks.
_BUILD_ONLY_PACKAGES = frozenset(
    {
        "git",
        "curl",
        "wget",
        "unzip",
        "xz-utils",
        "ca-certificates",
        "tzdata",
        "openssh-client",
        "gnupg",
        "gnupg2",
        "gpg",
        "gpg-agent",
        "dirmngr",
        "apt-utils",
        "apt-transport-https",
        "software-properties-common",
        "lsb-release",
    }
)
# -dev packages whose runtime library every mapped glibc runtime already has (distroless/cc and
# the slim language images ship libssl3, zlib and libffi).
_RUNTIME_PROVIDED_DEV = frozenset({"libssl-dev", "openssl-dev", "zlib1g-dev", "zlib-dev", "libffi-dev"})
# What node-gyp needs at build time only.
_NODE_BUILD_ONLY = frozenset({"python3", "python", "python-is-python3", "py3-pip"})

# ENV keys that only steer the build; every other ENV of the stage is repeated in the runtime.
_BUILD_ENV_KEYS = frozenset(
    {
        "GOPATH",
        "GOOS",
        "GOARCH",
        "GOARM",
        "GOAMD64",
        "GOFLAGS",
        "GOPROXY",
        "GOPRIVATE",
        "GONOSUMDB",
        "GONOPROXY",
        "GOSUMDB",
        "GOCACHE",
        "GOMODCACHE",
        "GOTOOLCHAIN",
        "GO111MODULE",
        "GOBIN",
        "GOLANG_VERSION",
        "CC",
        "CXX",
        "CFLAGS",
        "CXXFLAGS",
        "CPPFLAGS",
        "LDFLAGS",
        "RUSTFLAGS",
        "RUST_VERSION",
        "RUSTUP_HOME",
        "MAVEN_OPTS",
        "MAVEN_CONFIG",
        "MAVEN_HOME",
        "M2_HOME",
        "GRADLE_HOME",
        "GRADLE_OPTS",
        "GRADLE_USER_HOME",
        "DEBIAN_FRONTEND",
        "YARN_VERSION",
        "PYTHON_PIP_VERSION",
        "PYTHON_SETUPTOOLS_VERSION",
        "PYTHON_GET_PIP_URL",
        "PYTHON_GET_PIP_SHA256",
    }
)
_BUILD_ENV_PREFIXES = (
    "CARGO_",
    "CGO_",
    "PIP_",
    "POETRY_",
    "PIPENV_",
    "UV_",
    "PDM_",
    "NPM_CONFIG_",
    "YARN_",
    "PNPM_",
    "COREPACK_",
    "NUGET_",
    "DOTNET_CLI_",
)

# Programs a stack's runtime base provides, so a CMD may run them.
_STACK_PROGRAMS = {
    "node": frozenset({"node", "nodejs", "npm", "npx", "yarn", "docker-entrypoint.sh"}),
    "python": frozenset({"python", "python3"}),
    "java": frozenset({"java"}),
    "dotnet": frozenset({"dotnet"}),
}
# A CMD that is just one of these starts a shell or REPL: the image is a tool, not an app.
_REPLS = frozenset(
    {
        "sh",
        "bash",
        "ash",
        "dash",
        "zsh",
        "fish",
        "python",
        "python3",
        "node",
        "irb",
        "iex",
        "ghci",
        "jshell",
        "erl",
        "gcc",
        "cargo",
        "go",
        "dotnet",
        "mvn",
        "gradle",
    }
)
# Entrypoints that hand over to the CMD (`docker-entrypoint.sh node` is still just `node`).
_WRAPPER_ENTRYPOINTS = frozenset(
    {"docker-entrypoint.sh", "entrypoint.sh", "tini", "tini-static", "dumb-init", "docker-php-entrypoint"}
)
# Build tools in a CMD: the container compiles when it starts.
_BUILD_AT_START = {
    "go": ("run",),
    "cargo": ("run",),
    "mvn": ("spring-boot:run", "exec:java", "jetty:run", "quarkus:dev"),
    "mvnw": ("spring-boot:run", "exec:java", "jetty:run", "quarkus:dev"),
    "gradle": ("bootRun", "run", "quarkusDev"),
    "gradlew": ("bootRun", "run", "quarkusDev"),
    "dotnet": ("run", "watch"),
}
# Official images' WORKDIR and ENV, for paths that rely on them.
_BASE_WORKDIR = {"golang": "/go"}
_ROOT_WORKDIR_BASES = frozenset(
    {
        "node",
        "python",
        "rust",
        "debian",
        "ubuntu",
        "alpine",
        "openjdk",
        "eclipse-temurin",
        "maven",
        "gcc",
        "buildpack-deps",
        "amazoncorretto",
        "mcr.microsoft.com/dotnet/sdk",
    }
)
# Users official build images ship, by number (for runtimes that lack the name).
_BASE_USERS = {"node": {"node": "1000:1000"}}
_BASE_ENV = {
    "golang": {"GOPATH": "/go"},
    "rust": {"CARGO_HOME": "/usr/local/cargo", "RUSTUP_HOME": "/usr/local/rustup"},
}
_DEBIAN_RELEASE = {"bookworm": "12", "bullseye": "11", "buster": "10", "trixie": "13"}
_UBUNTU = frozenset({"focal", "jammy", "noble"})
_NODE_DISTROLESS = re.compile(r"distroless/nodejs", re.I)
_RUNTIME_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
_HINT_RE = re.compile(r"^\s*hardenify\s*:\s*(artifact|runtime)\s*=\s*(.*?)\s*$", re.I)
_VAR_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))")
_PY_RE = re.compile(r"python(?:3(?:\.\d+)?)?")
_PIP_RE = re.compile(r"pip(?:3(?:\.\d+)?)?")
# Instructions whose arguments BuildKit expands with the stage's ARG/ENV values.
_EXPANDED = frozenset({"ENV", "LABEL", "EXPOSE", "USER", "WORKDIR", "STOPSIGNAL", "VOLUME", "ARG"})
_RUNTIME_ONLY = frozenset(
    {"EXPOSE", "CMD", "ENTRYPOINT", "HEALTHCHECK", "STOPSIGNAL", "LABEL", "MAINTAINER", "VOLUME"}
)


# ------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Copy:
    """One `COPY --from=build <src> <dest>` line of the runtime stage."""

    src: str
    dest: str


@dataclass
class Plan:
    """A split the planner is sure of: its edits, and what it does in one sentence."""

    stack: str
    runtime: str
    copies: list[Copy]
    edits: list[Edit]
    summary: str


@dataclass
class Analysis:
    """Why HF413 fires (`evidence`), and either a plan or the reason there is none."""

    stack: str
    evidence: list[str]
    stacks: list[str] = field(default_factory=list)
    plan: Plan | None = None
    refusal: str | None = None


class Refuse(Exception):
    """The planner stops; the message is the reason, phrased for the user."""


# ------------------------------------------------------------------------------ base image facts


@dataclass(frozen=True)
class BaseFacts:
    """What a base reference says: familiar name and the parts of its tag."""

    image: str
    name: str  # `python`, `mcr.microsoft.com/dotnet/sdk`
    tag: str
    version: str  # "" when the tag starts with no version
    variant: str  # the tag after the version, with its leading "-"
    alpine: bool

    def fields(self, raw_image: str) -> dict[str, str]:
        """Template fields for the runtime mapping ("" means unknown)."""
        distro = ""
        debian = "12"
        for part in self.variant.lower().split("-"):
            if part in _DEBIAN_RELEASE:
                distro, debian = f"-{part}", _DEBIAN_RELEASE[part]
            elif part in _UBUNTU:
                distro = f"-{part}"
        nums = self.version.split(".") if self.version[:1].isdigit() else []
        return {
            "image": raw_image,
            "version": self.version,
            "series": ".".join(nums[:2]) if len(nums) >= 2 else "",
            "major": nums[0] if nums else "",
            "distro": distro,
            "variant": self.variant,
            "debian": debian,
            "java": java_release(self) or "",
        }


def base_facts(image: str) -> BaseFacts | None:
    ref = try_parse_ref(image) if image and "$" not in image else None
    if ref is None:
        return None
    tag = ref.tag or ""
    m = re.match(r"^(\d+(?:\.\d+)*|lts|current)(.*)$", tag)
    version, variant = (m.group(1), m.group(2)) if m else ("", f"-{tag}" if tag else "")
    return BaseFacts(
        image, ref.familiar, tag, version, variant, "alpine" in tag.lower() or ref.familiar == "alpine"
    )


def java_release(base: BaseFacts) -> str | None:
    """The Java feature release a JDK base's tag names (`3.9-eclipse-temurin-17` → `17`)."""
    tag = base.tag.lower()
    if _BUILDER_BASES.get(base.name) != "java":
        return None
    if base.name in ("maven", "gradle"):
        m = re.search(r"(?:jdk|temurin|openjdk|corretto|semeru|sapmachine|graalvm)-?(\d+)", tag)
        return m.group(1) if m else None
    m = re.match(r"^(\d+)", tag)
    if m:
        return "8" if m.group(1) == "1" else m.group(1)
    return None


def builder_stack(base: BaseFacts) -> tuple[str, str] | None:
    """(stack, reason) when the base image itself is a build toolchain."""
    tag = base.tag.lower()
    if _DOTNET_SDK.match(base.name):
        return "dotnet", f"`{base.image}` is the .NET SDK"
    stack = _BUILDER_BASES.get(base.name)
    if stack == "java":
        if "jre" in tag and base.name not in ("maven", "gradle"):
            return None
        return stack, f"`{base.image}` is a JDK build image"
    if stack == "native":
        if base.name == "buildpack-deps" and ("curl" in tag or "scm" in tag):
            return None
        return stack, f"`{base.image}` ships a C toolchain"
    if stack is not None:
        return stack, f"`{base.image}` is a {stack_label(stack)} build image"
    if base.name in ("python", "node") and not re.search(r"slim|alpine|windows|nanoserver|servercore", tag):
        return base.name, f"`{base.image}` (the full image) ships gcc and make"
    return None


def stack_label(stack: str) -> str:
    return {
        "go": "Go",
        "rust": "Rust",
        "java": "Java",
        "dotnet": ".NET",
        "node": "Node",
        "python": "Python",
    }.get(stack, "native")


def runtime_has_shell(image: str) -> bool:
    """False for distroless, scratch, Chainguard and chiseled images (`knowledge.bases`)."""
    return has_shell(image)


# ------------------------------------------------------------------------------------ stage walk


@dataclass
class Cmd:
    """One simple command of a RUN, with the directory and variables it runs with."""

    argv: list[str]
    env: dict[str, str | None]
    cwd: str | None
    ins: Instruction
    text: str

    @property
    def program(self) -> str:
        return self.argv[0].rsplit("/", 1)[-1] if self.argv else ""

    def sub(self, value_opts: Iterable[str] = ()) -> str:
        """The first non-option argument (`build` in `go -C x build -o y`)."""
        opts = set(value_opts)
        skip = False
        for a in self.argv[1:]:
            if skip:
                skip = False
            elif a in opts:
                skip = True
            elif not a.startswith("-"):
                return a
        return ""

    def positional(self, value_opts: Iterable[str] = ()) -> list[str]:
        """Non-option arguments after the program."""
        opts = set(value_opts)
        out: list[str] = []
        skip = False
        for a in self.argv[1:]:
            if skip:
                skip = False
            elif a in opts:
                skip = True
            elif not a.startswith("-"):
                out.append(a)
        return out

    def opt(self, *names: str) -> str | None:
        """Value of the last `-o x` / `--out=x` among `names`."""
        found: str | None = None
        args = self.argv[1:]
        for i, a in enumerate(args):
            for n in names:
                if a == n and i + 1 < len(args):
                    found = args[i + 1]
                elif a.startswith(n + "="):
                    found = a[len(n) + 1 :]
        return found

    def has(self, *flags: str) -> bool:
        return any(a in flags or a.split("=", 1)[0] in flags for a in self.argv[1:] if a.startswith("-"))


@dataclass
class StageView:
    """The stage read in build order: its commands, working directories and variables."""

    df: Dockerfile
    stage: Stage
    base: BaseFacts | None
    cmds: list[Cmd] = field(default_factory=list)
    env_keys: set[str] = field(default_factory=set)
    arg_ins: dict[str, Instruction] = field(default_factory=dict)
    final_env: dict[str, str | None] = field(default_factory=dict)
    initial_workdir: str | None = None
    final_workdir: str | None = None
    workdir_set: bool = False
    workdir_at: dict[int, str | None] = field(default_factory=dict)  # id(instruction) → cwd before it
    env_at: dict[int, dict[str, str | None]] = field(default_factory=dict)

    def resolve(self, path: str, cwd: str | None, env: Mapping[str, str | None]) -> str | None:
        """`path` made absolute and normalised (variables expanded); None when unknowable.

        A trailing `/` (a directory) is kept.
        """
        if not path:
            return None
        expanded = expand(path, env)
        if expanded is None:
            return None
        if not expanded.startswith("/"):
            if cwd is None:
                return None
            expanded = posixpath.join(cwd, expanded)
        norm = "/" + posixpath.normpath(expanded).lstrip("/")
        return norm + "/" if expanded.endswith("/") and norm != "/" else norm


def expand(value: str, env: Mapping[str, str | None]) -> str | None:
    """`value` with variables substituted; None when one of them is unknown."""
    for m in _VAR_RE.finditer(value):
        name = m.group(1) or m.group(2)
        if env.get(name) is None and not re.search(r"\{[^}]*:?[-+]", m.group(0)):
            return None
    out = substitute(value, dict(env))
    return None if "$" in out else out


def read_stage(df: Dockerfile, stage: Stage) -> StageView:
    base = base_facts(stage.resolved_image)
    view = StageView(df, stage, base)
    gargs = df.global_args
    env: dict[str, str | None] = {"HOME": "/root"}
    cwd: str | None = None
    if base is not None:
        env.update(_BASE_ENV.get(base.name, {}))
        if base.name in _BASE_WORKDIR:
            cwd = _BASE_WORKDIR[base.name]
        elif base.name in _ROOT_WORKDIR_BASES:
            cwd = "/"
    view.initial_workdir = cwd
    for ins in stage.instructions:
        view.workdir_at[id(ins)] = cwd
        view.env_at[id(ins)] = dict(env)
        if ins.cmd == "ARG":
            for name, value in arg_pairs(ins):
                view.arg_ins[name] = ins
                if value is not None:
                    env[name] = substitute(value, {**gargs, **env})
                elif name not in env:
                    env[name] = gargs.get(name)
        elif ins.cmd == "ENV":
            for key, value, _, _ in env_pairs(ins):
                env[key] = substitute(value, {**gargs, **env})
                view.env_keys.add(key)
        elif ins.cmd == "WORKDIR":
            words = split_words(ins.args)
            new = view.resolve(words[0].strip("\"'"), cwd, env) if words else None
            cwd = (new.rstrip("/") or "/") if new else None
            view.workdir_set = True
        elif ins.cmd == "RUN":
            view.cmds.extend(_run_commands(ins, cwd, env))
    view.final_env = env
    view.final_workdir = cwd
    return view


def _run_commands(ins: Instruction, cwd: str | None, env: dict[str, str | None]) -> list[Cmd]:
    """The simple commands of a RUN (and of one `sh -c '…'` level), following `cd`."""
    texts: list[str] = []
    if ins.json is not None:
        argv = ins.json
        if len(argv) >= 3 and argv[0].rsplit("/", 1)[-1] in ("sh", "bash") and argv[1] == "-c":
            texts.append(argv[2])
        elif argv:
            return [Cmd(list(argv), dict(env), cwd, ins, " ".join(argv))]
    else:
        texts.append(ins.args)
        texts.extend(h.content for h in ins.heredocs)
    out: list[Cmd] = []
    for text in texts:
        out.extend(_shell_commands(text, ins, cwd, env, nested=False))
    return out


_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_WRAPPERS = frozenset({"sudo", "env", "exec", "command", "nohup", "time"})


def _shell_commands(
    text: str, ins: Instruction, cwd: str | None, env: dict[str, str | None], *, nested: bool
) -> list[Cmd]:
    out: list[Cmd] = []
    here = cwd
    for command in tokenize(text):
        words = [w.value for w in command.words]
        local = dict(env)
        i = 0
        while i < len(words):
            if _ASSIGN.match(words[i]):
                k, _, v = words[i].partition("=")
                local[k] = v
            elif words[i].rsplit("/", 1)[-1] in _WRAPPERS:
                pass
            elif not (i > 0 and words[i].startswith("-") and words[i - 1].rsplit("/", 1)[-1] in _WRAPPERS):
                break
            i += 1
        argv = words[i:]
        if not argv:
            continue
        if argv[0] in ("cd", "pushd") and len(argv) >= 2:
            target = expand(argv[1], local)
            if target is None:
                here = None
            elif target.startswith("/"):
                here = posixpath.normpath(target)
            elif here is not None:
                here = posixpath.normpath(posixpath.join(here, target))
            continue
        if not nested and argv[0].rsplit("/", 1)[-1] in ("sh", "bash") and len(argv) >= 3 and argv[1] == "-c":
            out.extend(_shell_commands(argv[2], ins, here, local, nested=True))
            continue
        out.append(Cmd(argv, local, here, ins, text[command.start : command.end]))
    return out


def read_hints(df: Dockerfile) -> tuple[list[str], str | None]:
    """`# hardenify: artifact=…` paths (comma/space separated, repeatable) and `runtime=…`."""
    artifacts: list[str] = []
    runtime: str | None = None
    for c in df.comments:
        m = _HINT_RE.match(c.body)
        if not m:
            continue
        if m.group(1).lower() == "artifact":
            artifacts.extend(p for p in re.split(r"[,\s]+", m.group(2)) if p)
        elif m.group(2):
            runtime = m.group(2)
    return artifacts, runtime


def is_hint(node: Node) -> bool:
    return isinstance(node, Comment) and bool(_HINT_RE.match(node.body))


# ---------------------------------------------------------------------------------- OS packages


def is_toolchain_package(name: str) -> bool:
    return name in TOOLCHAIN_PACKAGES or any(p.match(name) for p in _TOOLCHAIN_PATTERNS)


@dataclass
class Packages:
    """OS packages the stage installs: those it keeps, and toolchain it removes again."""

    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def toolchain(self) -> list[str]:
        return [p for p in self.kept if is_toolchain_package(p)]

    def runtime_relevant(self, stack: str) -> list[str]:
        """Kept packages a minimal runtime base would lack and the app may need."""
        harmless = (
            _BUILD_ONLY_PACKAGES | _RUNTIME_PROVIDED_DEV | (_NODE_BUILD_ONLY if stack == "node" else set())
        )
        return [p for p in self.kept if not is_toolchain_package(p) and p not in harmless]


_INSTALL = {
    "apt-get": ("install",),
    "apt": ("install",),
    "aptitude": ("install",),
    "apk": ("add",),
    "yum": ("install",),
    "dnf": ("install",),
    "microdnf": ("install",),
    "tdnf": ("install",),
    "zypper": ("install", "in"),
}
_REMOVE = {
    "apt-get": ("purge", "remove", "autoremove"),
    "apt": ("purge", "remove", "autoremove"),
    "apk": ("del",),
    "yum": ("remove", "erase"),
    "dnf": ("remove", "erase"),
    "microdnf": ("remove",),
    "zypper": ("remove", "rm"),
}
_PKG_VALUE_OPTS = (
    "-t",
    "--target-release",
    "-o",
    "--option",
    "--virtual",
    "-X",
    "--repository",
    "-c",
    "--setopt",
)


def read_packages(cmds: list[Cmd]) -> Packages:
    installed: dict[str, str] = {}  # package → apk virtual group ("" for none)
    removed: set[str] = set()
    sweeping = False  # `apt-get purge --auto-remove $buildDeps`: removes what was installed
    for c in cmds:
        sub = c.sub(_PKG_VALUE_OPTS)
        if sub in _INSTALL.get(c.program, ()):
            virtual = (c.opt("--virtual", "-t") or "") if c.program == "apk" else ""
            for name in _package_args(c):
                installed.setdefault(name, virtual)
        elif sub in _REMOVE.get(c.program, ()):
            removed.update(_package_args(c))
            if sub == "autoremove" or c.has("--auto-remove") or any("$" in a for a in c.argv):
                sweeping = True
    out = Packages()
    for name, group in installed.items():
        if name in removed or (group and group in removed) or (sweeping and is_toolchain_package(name)):
            out.removed.append(name)
        else:
            out.kept.append(name)
    return out


def _package_args(c: Cmd) -> list[str]:
    out: list[str] = []
    for a in c.positional(_PKG_VALUE_OPTS)[1:]:
        name = re.split(r"[=<>~:]", a, maxsplit=1)[0].lower()  # pins and `:i386` arch suffixes
        if name and not name.startswith("$"):
            out.append(name)
    return out


# ------------------------------------------------------------------------------------- evidence


@dataclass
class Evidence:
    """Why the stage keeps a toolchain, and the build commands found, by stack."""

    reasons: list[str] = field(default_factory=list)
    stacks: list[str] = field(default_factory=list)
    go_builds: list[Cmd] = field(default_factory=list)
    cargo_builds: list[Cmd] = field(default_factory=list)
    node_installs: list[Cmd] = field(default_factory=list)
    node_builds: list[Cmd] = field(default_factory=list)
    node_pruned: bool = False
    pip_installs: list[Cmd] = field(default_factory=list)
    py_tools: list[Cmd] = field(default_factory=list)
    venvs: list[tuple[Cmd, str | None]] = field(default_factory=list)
    java_builds: list[Cmd] = field(default_factory=list)
    dotnet_publishes: list[Cmd] = field(default_factory=list)

    def add(self, stack: str, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)
        if stack not in self.stacks:
            self.stacks.append(stack)


_PY_BUILD_TOOLS = frozenset(
    {
        "poetry",
        "pipenv",
        "pdm",
        "hatch",
        "uv",
        "build",
        "cython",
        "maturin",
        "setuptools-rust",
        "pybind11",
        "scikit-build",
        "meson-python",
    }
)
_NODE_BUILD_SCRIPT = re.compile(r"build|compile|bundle|dist|tsc|webpack", re.I)
_NODE_BUILDERS = frozenset(
    {"tsc", "webpack", "vite", "next", "ng", "nest", "rollup", "esbuild", "parcel", "babel"}
)
_GO_VALUE_OPTS = (
    "-o",
    "-C",
    "-ldflags",
    "-tags",
    "-gcflags",
    "-asmflags",
    "-p",
    "-mod",
    "-modfile",
    "-pkgdir",
)
_CARGO_VALUE_OPTS = (
    "--target",
    "--target-dir",
    "--profile",
    "--bin",
    "-p",
    "--package",
    "--features",
    "-F",
    "--root",
    "--path",
    "-j",
    "--jobs",
    "--manifest-path",
    "--config",
)
_JAVA_GOALS = frozenset(
    {"package", "install", "verify", "build", "assemble", "bootJar", "jar", "shadowJar", "installDist", "war"}
)
_TOOL_DIRS = re.compile(
    r"/usr/local/go\b|/go/pkg\b|rustup|\.cargo\b|/usr/local/cargo\b|/root/\.m2\b|/root/\.gradle\b"
)


def gather(view: StageView, packages: Packages) -> Evidence:
    """Collect the evidence; build commands on a plain base count only while a toolchain stays."""
    ev = Evidence()
    builder = builder_stack(view.base) if view.base is not None else None
    if builder is not None:
        ev.add(*builder)
    tools = packages.toolchain
    if tools:
        names = ", ".join(f"`{p}`" for p in tools[:4])
        ev.add("native", f"installs {names} and keeps {'it' if len(tools) == 1 else 'them'}")
    for c in view.cmds:
        prog = c.program
        if prog == "go" and c.sub(_GO_VALUE_OPTS) in ("build", "install"):
            ev.go_builds.append(c)
            _build_evidence(ev, view, builder, tools, c, "go", f"`go {c.sub(_GO_VALUE_OPTS)}`")
        elif prog == "cargo" and c.sub(_CARGO_VALUE_OPTS) in ("build", "b", "install"):
            ev.cargo_builds.append(c)
            _build_evidence(ev, view, builder, tools, c, "rust", f"`cargo {c.sub(_CARGO_VALUE_OPTS)}`")
        elif prog in ("npm", "yarn", "pnpm"):
            _node_command(ev, c)
        elif prog in _NODE_BUILDERS or (prog == "npx" and any(a in _NODE_BUILDERS for a in c.argv[1:2])):
            ev.node_builds.append(c)
            ev.add("node", f"a Node build step (`{c.text.strip()[:40]}`)")
        elif _is_pip(c):
            _pip_command(ev, c)
        elif prog in ("poetry", "pipenv", "pdm", "uv", "hatch") and c.sub() in ("install", "sync", "build"):
            ev.py_tools.append(c)
            ev.add("python", f"`{prog} {c.sub()}`")
        elif _PY_RE.fullmatch(prog) and c.argv[1:3] == ["-m", "venv"]:
            rest = c.positional()
            target = rest[-1] if len(rest) > 1 else None  # positional() includes "venv"
            ev.venvs.append((c, view.resolve(target, c.cwd, c.env) if target else None))
        elif prog == "virtualenv" or (prog == "uv" and c.sub() == "venv"):
            rest = [a for a in c.positional() if a != "venv"]
            ev.venvs.append((c, view.resolve(rest[-1], c.cwd, c.env) if rest else None))
        elif _PY_RE.fullmatch(prog) and len(c.argv) > 2 and c.argv[1].endswith("setup.py"):
            ev.py_tools.append(c)  # not evidence by itself (see `_pip_command`), but not venv-safe
        elif prog in ("mvn", "mvnw", "gradle", "gradlew") and _JAVA_GOALS & set(c.argv[1:]):
            ev.java_builds.append(c)
            _build_evidence(ev, view, builder, tools, c, "java", f"`{prog} {' '.join(c.positional())[:30]}`")
        elif prog == "javac":
            ev.java_builds.append(c)
            _build_evidence(ev, view, builder, tools, c, "java", "`javac`")
        elif prog == "dotnet" and c.sub() in ("publish", "build"):
            if c.sub() == "publish":
                ev.dotnet_publishes.append(c)
            _build_evidence(ev, view, builder, tools, c, "dotnet", f"`dotnet {c.sub()}`")
        elif prog in ("make", "cmake", "gcc", "g++", "cc", "clang", "ninja"):
            _build_evidence(ev, view, builder, tools, c, "native", f"compiles with `{prog}`")
    if ev.node_pruned:  # the file drops devDependencies itself
        ev.reasons = [r for r in ev.reasons if "devDependencies" not in r]
    return ev


def _build_evidence(
    ev: Evidence,
    view: StageView,
    builder: tuple[str, str] | None,
    tools: list[str],
    c: Cmd,
    stack: str,
    reason: str,
) -> None:
    """A build command counts unless its RUN removes the toolchain again (docker-library style)."""
    if builder is None and not tools:
        same_run = [x for x in view.cmds if x.ins is c.ins]
        for x in same_run:
            if x.sub(_PKG_VALUE_OPTS) in _REMOVE.get(x.program, ()):
                return
            if x.program == "rm" and any(_TOOL_DIRS.search(a) for a in x.argv[1:]):
                return
    ev.add(stack, reason)


def _node_command(ev: Evidence, c: Cmd) -> None:
    prog = c.program
    pos = c.positional(("--prefix", "-C", "--cwd", "--dir", "--workspace", "-w"))
    sub = pos[0] if pos else ""
    if prog == "npm" and sub == "prune" and _omits_dev(c):
        ev.node_pruned = True
    elif prog == "npm" and sub in ("ci", "install", "i", "clean-install", "isntall") and len(pos) == 1:
        ev.node_installs.append(c)
        if not _omits_dev(c):
            ev.add("node", f"`npm {sub}` keeps devDependencies")
    elif prog == "yarn" and (sub == "install" or (not sub and not c.has("--version", "-v", "--help", "-h"))):
        ev.node_installs.append(c)
        if not _omits_dev(c):
            ev.add("node", "`yarn install` keeps devDependencies")
    elif prog == "pnpm" and sub in ("install", "i") and len(pos) == 1:
        ev.node_installs.append(c)
        if not _omits_dev(c):
            ev.add("node", "`pnpm install` keeps devDependencies")
    elif prog == "pnpm" and sub == "prune" and c.has("--prod", "-P"):
        ev.node_pruned = True
    else:
        script = ""
        if sub in ("run", "run-script"):
            script = pos[1] if len(pos) > 1 else ""
        elif prog in ("yarn", "pnpm") and sub not in ("add", "global", "config", "set", "dlx"):
            script = sub
        if script and _NODE_BUILD_SCRIPT.search(script):
            ev.node_builds.append(c)
            runs = f"{prog} run {script}" if sub in ("run", "run-script") else f"{prog} {script}"
            ev.add("node", f"a Node build step (`{runs}`)")


def _omits_dev(c: Cmd) -> bool:
    """`--omit=dev`, `--production`, `--prod` or NODE_ENV=production at install time."""
    if (c.env.get("NODE_ENV") or "").strip("\"'") == "production":
        return True
    args = c.argv[1:]
    for i, a in enumerate(args):
        if a in ("--production", "--prod", "-P", "--only=prod", "--only=production", "--omit=dev"):
            return True
        if a in ("--omit", "--only") and i + 1 < len(args) and args[i + 1] in ("dev", "prod", "production"):
            return True
    return False


def _is_pip(c: Cmd) -> bool:
    if _PIP_RE.fullmatch(c.program):
        return True
    return bool(_PY_RE.fullmatch(c.program)) and c.argv[1:3] == ["-m", "pip"]


def _pip_args(c: Cmd) -> list[str]:
    return c.argv[3:] if c.argv[1:3] == ["-m", "pip"] else c.argv[1:]


_PIP_VALUE_OPTS = frozenset(
    {
        "-r",
        "--requirement",
        "-c",
        "--constraint",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
    }
)


def _pip_command(ev: Evidence, c: Cmd) -> None:
    args = _pip_args(c)
    if not args or args[0] not in ("install", "wheel"):
        return
    ev.pip_installs.append(c)
    if args[0] == "wheel":
        return
    # A pure-Python `pip install .` is not evidence: on a slim base there is no compiler to drop,
    # and the venv copy (pip and setuptools again) would make the runtime larger, not smaller.
    skip = False
    for a in args[1:]:
        if skip:
            skip = False
            continue
        if a in _PIP_VALUE_OPTS:
            skip = True
            continue
        if a.startswith("-"):
            continue
        name = re.split(r"[=<>~!\[;@ ]", a, maxsplit=1)[0].lower()
        if name in _PY_BUILD_TOOLS:
            ev.add("python", f"installs the build tool `{name}`")


# ----------------------------------------------------------------------------------- entrypoint


@dataclass
class Entry:
    """The stage's last ENTRYPOINT and CMD."""

    entrypoint: Instruction | None
    cmd: Instruction | None

    @property
    def main(self) -> Instruction | None:
        """The instruction whose first word is the program that starts."""
        if self.entrypoint is not None and (self.entrypoint.json is None or self.entrypoint.json):
            return self.entrypoint
        return self.cmd

    def runs(self) -> list[Instruction]:
        """The instructions that name programs: a CMD after an ENTRYPOINT only holds arguments."""
        if self.entrypoint is not None and self.main is self.entrypoint:
            return [self.entrypoint]
        return [self.cmd] if self.cmd is not None else []


def read_entry(stage: Stage) -> Entry:
    ep = cmd = None
    for ins in stage.instructions:
        if ins.cmd == "ENTRYPOINT":
            ep = ins
        elif ins.cmd == "CMD":
            cmd = ins
    return Entry(ep, cmd)


def _healthcheck_command(ins: Instruction) -> str | None:
    m = re.match(r"[ \t]*(?i:cmd)[ \t]+", ins.args)
    return ins.args[m.end() :] if m else None


def command_words(ins: Instruction) -> list[str] | None:
    """The argv an instruction runs: its exec form, or the words of a shell form that needs no
    shell (no operators, variables, globbing ...). None when a shell is needed."""
    if ins.json is not None:
        return list(ins.json)
    text = _healthcheck_command(ins) if ins.cmd == "HEALTHCHECK" else ins.args
    if text is None:
        return None
    text = text.strip()
    if not text or uses_shell_features(text):
        return None
    commands = tokenize(text)
    if len(commands) != 1:
        return None
    words = [w.value for w in commands[0].words]
    if words and _ASSIGN.match(words[0]):
        return None
    if words and words[0] == "exec":
        words = words[1:]
    return words or None


def shell_program(ins: Instruction) -> str:
    """The first program a shell-form command runs (best effort)."""
    text = _healthcheck_command(ins) if ins.cmd == "HEALTHCHECK" else ins.args
    for command in tokenize(text or ""):
        i = command.program_index()
        if i < len(command.words):
            return command.words[i].value
    return ""


def program_of(ins: Instruction) -> str:
    words = command_words(ins)
    return words[0] if words else shell_program(ins)


# ------------------------------------------------------------------------------------- planning


@dataclass
class Draft:
    """What the planner has decided for the runtime stage so far."""

    stack: str
    copies: list[Copy] = field(default_factory=list)
    build_lines: list[str] = field(default_factory=list)  # appended to the build stage
    venv_before: Instruction | None = None  # `python -m venv` goes before this RUN
    extra_env: list[str] = field(default_factory=list)  # new ENV lines for the runtime
    rewrites: dict[int, str] = field(default_factory=dict)  # id(instruction) → its new text

    def copy(self, path: str) -> None:
        """Add a path, unless a copied directory holds it already (a wider one replaces narrower)."""
        path = path.rstrip("/") or "/"
        for c in self.copies:
            if c.src == path or path.startswith(c.src + "/"):
                return
        self.copies = [c for c in self.copies if not c.src.startswith(path + "/")]
        self.copies.append(Copy(path, path))


def analyze(df: Dockerfile, options: Mapping[str, Any]) -> Analysis | None:
    """None when HF413 does not fire; otherwise the evidence and a plan or the reason for none."""
    if len(df.stages) != 1:
        return None
    stage = df.stages[0]
    if df.stage_is_windows(stage):
        return None
    entry = read_entry(stage)
    if entry.main is None or _is_repl(entry):
        return None
    view = read_stage(df, stage)
    packages = read_packages(view.cmds)
    ev = gather(view, packages)
    if not ev.reasons:
        return None
    stack = _choose_stack(ev, entry, view)
    analysis = Analysis(stack=stack, evidence=ev.reasons, stacks=ev.stacks)
    try:
        analysis.plan = _plan(df, view, ev, packages, entry, stack, options)
    except Refuse as e:
        analysis.refusal = str(e)
    return analysis


def _is_repl(entry: Entry) -> bool:
    """A CMD/ENTRYPOINT that is only a shell or interpreter: a tool image, not an application."""
    main = entry.main
    if main is None:
        return True
    words = command_words(main)
    if words is None:
        return False
    if main is entry.entrypoint and entry.cmd is not None:
        extra = command_words(entry.cmd)
        words = words + (extra if extra is not None else ["…"])
    while len(words) > 1 and (words[0].rsplit("/", 1)[-1] in _WRAPPER_ENTRYPOINTS or words[0] == "--"):
        words = words[1:]
    return len(words) == 1 and words[0].rsplit("/", 1)[-1] in _REPLS


def _choose_stack(ev: Evidence, entry: Entry, view: StageView) -> str:
    """The stack whose runtime the entrypoint needs."""
    main = entry.main
    prog = program_of(main).rsplit("/", 1)[-1] if main is not None else ""
    if prog in ("node", "nodejs", "npm", "yarn", "pnpm", "npx"):
        return "node"
    if prog == "java":
        return "java"
    if prog == "dotnet":
        return "dotnet"
    if _PY_RE.fullmatch(prog):
        return "python"
    for stack in ("go", "rust", "dotnet", "java"):
        if stack in ev.stacks:
            return stack
    if "python" in ev.stacks or (view.base is not None and view.base.name == "python" and ev.pip_installs):
        return "python"
    if "node" in ev.stacks:
        return "node"
    return ev.stacks[0] if ev.stacks else "native"


def _plan(
    df: Dockerfile,
    view: StageView,
    ev: Evidence,
    packages: Packages,
    entry: Entry,
    stack: str,
    options: Mapping[str, Any],
) -> Plan:
    stage = view.stage
    hints, runtime_hint = read_hints(df)
    if any(i.cmd == "ONBUILD" for i in stage.instructions):
        raise Refuse("it has ONBUILD triggers, which would then fire in images built on the runtime stage")
    if any(i.heredocs for i in stage.instructions):
        raise Refuse("it uses heredocs; split it by hand")
    if not any(i.cmd in ("RUN", "COPY", "ADD") for i in stage.instructions):
        raise Refuse("nothing is built in it")
    relevant = packages.runtime_relevant(stack)
    if relevant and not runtime_hint:
        names = ", ".join(f"`{p}`" for p in relevant[:5])
        raise Refuse(
            f"it installs OS packages the application may need at run time ({names}), which a minimal "
            "runtime base lacks: add `# hardenify: runtime=<image that has them>`"
        )
    for ins in entry.runs():
        _refuse_build_at_start(ins)

    if hints:
        draft = _plan_from_hints(view, hints, stack)
    elif stack in ("go", "rust"):
        draft = _plan_native(view, ev, entry, stack)
    elif stack == "node":
        draft = _plan_node(view, ev)
    elif stack == "python":
        draft = _plan_python(view, ev)
    elif stack == "java":
        draft = _plan_java(view, entry)
    elif stack == "dotnet":
        draft = _plan_dotnet(view, ev, entry)
    else:
        raise Refuse(f"hardenify cannot tell what the runtime needs from this build; {HINT}")
    runtime = runtime_hint or _runtime_image(_runtime_key(view, ev, draft.stack), draft.stack, view, options)
    runtime = _keep_pin(stage.image, runtime)
    _check_programs(view, entry, draft, runtime, trust_runtime=runtime_hint is not None)
    if runtime.split("@", 1)[0] != stage.image.split("@", 1)[0]:
        _keep_runtime_files(view, packages, draft)
    return _compose(df, view, draft, runtime)


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
# What the build gives the image that a different runtime base may lack, by the package (or the
# directory a COPY writes) that shows the build wanted it: CA certificates (/etc/ssl/certs holds
# links into /usr/share/ca-certificates on Debian and Alpine) and time zones.
_RUNTIME_FILES = (
    (frozenset({"ca-certificates"}), ("/etc/ssl/certs", "/usr/share/ca-certificates")),
    (frozenset({"tzdata"}), ("/usr/share/zoneinfo",)),
)


def _keep_pin(build: str, runtime: str) -> str:
    """The runtime FROM of a file that pins its base by digest is pinned too: the same image keeps
    the digest; another image cannot be pinned offline, so the split is refused."""
    m = _DIGEST.search(build.strip())
    if m is None or "@" in runtime:
        return runtime
    if runtime == build.strip()[: m.start()]:
        return runtime + m.group(0)
    raise Refuse(
        f"the base image is pinned by digest, and the runtime base `{runtime}` would not be: pin it "
        f"(`hardenify pin`) and name it with `# hardenify: runtime={runtime}@sha256:<digest>`"
    )


def _keep_runtime_files(view: StageView, packages: Packages, draft: Draft) -> None:
    """Copy the CA certificates and time zones the build installed into a different runtime."""
    written = " ".join(i.args for i in view.stage.instructions if i.cmd in ("COPY", "ADD"))
    for names, paths in _RUNTIME_FILES:
        if names.intersection(packages.kept):
            for path in paths:
                draft.copy(path)
        else:
            for path in paths:
                if path in written:
                    draft.copy(path)


def _refuse_build_at_start(ins: Instruction) -> None:
    words = command_words(ins)
    if words is None:
        commands = tokenize(ins.args)
        words = commands[0].argv if commands else []
    if not words:
        return
    subs = _BUILD_AT_START.get(words[0].rsplit("/", 1)[-1])
    if subs and any(s in words[1:] for s in subs):
        raise Refuse(
            f"the container starts with `{' '.join(words[:2])}`, which compiles when it starts: run the "
            "built artifact instead"
        )


def _runtime_key(view: StageView, ev: Evidence, stack: str) -> str:
    alpine = view.base is not None and view.base.alpine
    if stack == "go":
        if ev.go_builds and all(_cgo_disabled(c) for c in ev.go_builds):
            return "go-static"
        if alpine:
            raise Refuse(
                "Go on Alpine links against musl unless CGO_ENABLED=0: set `ENV CGO_ENABLED=0` for a static "
                "binary, or add `# hardenify: runtime=<image>`"
            )
        return "go"
    if stack == "rust":
        targets = [c.opt("--target") or c.env.get("CARGO_BUILD_TARGET") or "" for c in ev.cargo_builds]
        if targets and all("musl" in t for t in targets):
            return "rust-static"
        if alpine:
            raise Refuse("Rust on Alpine builds for musl: add `# hardenify: runtime=<image>`")
        return "rust"
    if stack in ("node", "python", "java"):
        return f"{stack}-alpine" if alpine else stack
    if stack == "dotnet":
        return "dotnet-self-contained" if any(_self_contained(c) for c in ev.dotnet_publishes) else "dotnet"
    raise Refuse(
        f"there is no runtime base for {stack_label(stack)} builds: add `# hardenify: runtime=<image>`"
    )


def runtime_bases(options: Mapping[str, Any]) -> dict[str, str]:
    """The mapping in force: the defaults with the `runtime-bases` option laid over them."""
    table = dict(DEFAULT_RUNTIME_BASES)
    custom = options.get(OPTION)
    if isinstance(custom, Mapping):
        for k, v in custom.items():
            if isinstance(k, str) and isinstance(v, str) and v.strip():
                table[k] = v.strip()
    return table


def _runtime_image(key: str, stack: str, view: StageView, options: Mapping[str, Any]) -> str:
    template = runtime_bases(options)[key]
    base = view.base
    names = re.findall(r"\{(\w+)\}", template)
    if base is None:
        if any(n != "image" for n in names):
            raise Refuse(
                f"the runtime base `{template}` needs the tag of `{view.stage.image}`, which hardenify cannot "
                "read: add `# hardenify: runtime=<image>`"
            )
        fields = {"image": view.stage.image}
    else:
        fields = base.fields(view.stage.image)
        if any(n not in ("image", "debian") for n in names) and stack in _TEMPLATE_BASES:
            if not _TEMPLATE_BASES[stack](base.name):
                raise Refuse(
                    f"the runtime base `{template}` takes its version from a `{stack_label(stack)}` base image, "
                    f"but this one is `{base.image}`: add `# hardenify: runtime=<image>`"
                )
    for n in names:
        if n not in fields:
            raise Refuse(f"the `{OPTION}` entry `{key} = {template!r}` uses the unknown field {{{n}}}")
        if not fields[n] and n not in _OPTIONAL_FIELDS:
            raise Refuse(
                f"the runtime base `{template}` needs the {n} of `{view.stage.image}`, which its tag does not "
                "say: use a versioned tag, or add `# hardenify: runtime=<image>`"
            )
    return template.format_map(_keep_arg_version(view, fields))


def _keep_arg_version(view: StageView, fields: dict[str, str]) -> dict[str, str]:
    """`FROM node:${NODE_VERSION}`: the runtime FROM keeps `${NODE_VERSION}` when it is the tag."""
    m = re.search(r":(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)$", view.stage.image)
    if m and not fields.get("variant") and re.fullmatch(r"[\d.]+", fields.get("version", "")):
        return {**fields, "version": m.group(1)}
    return fields


def _cgo_disabled(c: Cmd) -> bool:
    return (c.env.get("CGO_ENABLED") or "").strip("\"'") == "0"


def _self_contained(c: Cmd) -> bool:
    text = " ".join(c.argv).lower()
    if re.search(r"--self-contained[= ]false|--no-self-contained", text):
        return False
    return c.has("--self-contained", "--sc") or bool(
        re.search(r"[-/]p:(?:publishaot|publishselfcontained|selfcontained)=true", text)
    )


# -- per stack


def _plan_from_hints(view: StageView, hints: list[str], stack: str) -> Draft:
    draft = Draft(stack=stack)
    for h in hints:
        path = view.resolve(h, view.final_workdir, view.final_env)
        if path is None:
            raise Refuse(f"the artifact hint `{h}` is relative with no WORKDIR, or uses an unknown variable")
        draft.copy(path)
    return draft


def _plan_native(view: StageView, ev: Evidence, entry: Entry, stack: str) -> Draft:
    draft = Draft(stack=stack)
    main = entry.main
    assert main is not None
    prog = program_of(main)
    if not prog:
        raise Refuse("the CMD/ENTRYPOINT names no program")
    outputs = _go_outputs(view, ev) if stack == "go" else _cargo_outputs(view, ev)
    target: str | None = None
    if "/" in prog:
        path = view.resolve(prog, view.final_workdir, view.final_env)
        if path is None:
            raise Refuse(f"cannot tell where `{prog}` is; {HINT}")
        for kind, out in outputs:
            if (kind == "file" and out == path) or (kind != "file" and posixpath.dirname(path) == out):
                target = path
    else:
        # A bare name is looked up on PATH: an explicit output of that name, or an install dir.
        found = [out for kind, out in outputs if kind == "file" and posixpath.basename(out) == prog]
        found += [posixpath.join(out, prog) for kind, out in outputs if kind == "bin"]
        if len(set(found)) == 1:
            target = found[0]
    if target is None:
        built = ", ".join(f"`{out}`" for _, out in outputs) or "nothing hardenify can locate"
        tool = "`go build`" if stack == "go" else "`cargo build`"
        raise Refuse(f"the container runs `{prog}`, but {tool} writes {built}; {HINT}")
    draft.copy(target)
    words = command_words(main)
    copied_in = [
        d for d in (_copy_dest(view, i) for i in view.stage.instructions if i.cmd in ("COPY", "ADD")) if d
    ]
    for w in (words or [])[1:]:
        _copy_path_arg(draft, w, copied_in)
    _runtime_files(view, draft, ev.go_builds if stack == "go" else ev.cargo_builds)
    return draft


def _runtime_files(view: StageView, draft: Draft, builds: list[Cmd]) -> None:
    """Files the build copies in that are not sources: copied after the last build command, or
    outside the directories it builds in (config, templates, static assets)."""
    instructions = view.stage.instructions
    last = max((instructions.index(c.ins) for c in builds), default=-1)
    roots = [c.cwd for c in builds if c.cwd and c.cwd != "/"]
    for i, ins in enumerate(instructions):
        if ins.cmd not in ("COPY", "ADD"):
            continue
        dest = _copy_dest(view, ins)
        if dest is None:
            raise Refuse(f"cannot tell where line {ins.line} copies to; {HINT}")
        d = dest.rstrip("/") or "/"
        source = any(d == r or d.startswith(r + "/") or r.startswith(d.rstrip("/") + "/") for r in roots)
        if i < last and source:
            continue
        target = _copy_target(ins, dest)
        if target == "/":
            raise Refuse(f"line {ins.line} copies into `/`, so its files cannot be told apart; {HINT}")
        draft.copy(target)


def _go_outputs(view: StageView, ev: Evidence) -> list[tuple[str, str]]:
    """What `go build` / `go install` write: ("file", path), ("dir", cwd) or ("bin", GOBIN)."""
    out: list[tuple[str, str]] = []
    for c in ev.go_builds:
        if c.sub(_GO_VALUE_OPTS) == "build":
            o = c.opt("-o")
            if o is not None:
                path = view.resolve(o, c.cwd, c.env)
                if path is not None:
                    out.append(("dir", path.rstrip("/")) if path.endswith("/") else ("file", path))
            elif c.cwd is not None:
                out.append(("dir", c.cwd))
        else:
            gopath = (c.env.get("GOPATH") or "").split(":")[0]
            gobin = c.env.get("GOBIN") or (f"{gopath}/bin" if gopath else None)
            path = view.resolve(gobin, c.cwd, c.env) if gobin else None
            if path is not None:
                out.append(("bin", path.rstrip("/")))
    return out


def _cargo_outputs(view: StageView, ev: Evidence) -> list[tuple[str, str]]:
    """What `cargo build` (the profile dir) and `cargo install` (`<root>/bin`) write."""
    out: list[tuple[str, str]] = []
    for c in ev.cargo_builds:
        if c.sub(_CARGO_VALUE_OPTS) == "install":
            root = (
                c.opt("--root")
                or c.env.get("CARGO_INSTALL_ROOT")
                or c.env.get("CARGO_HOME")
                or "/root/.cargo"
            )
            path = view.resolve(root, c.cwd, c.env)
            if path is not None:
                out.append(("bin", posixpath.join(path.rstrip("/"), "bin")))
            continue
        cwd = c.cwd
        manifest = c.opt("--manifest-path")
        if manifest is not None:
            mpath = view.resolve(manifest, c.cwd, c.env)
            cwd = posixpath.dirname(mpath) if mpath else None
        tdir = view.resolve(c.opt("--target-dir") or c.env.get("CARGO_TARGET_DIR") or "target", cwd, c.env)
        if tdir is None:
            continue
        profile = c.opt("--profile") or ("release" if c.has("--release", "-r") else "debug")
        profile = "debug" if profile == "dev" else profile
        triple = c.opt("--target") or c.env.get("CARGO_BUILD_TARGET")
        out.append(("dir", posixpath.join(tdir.rstrip("/"), *([triple] if triple else []), profile)))
    return out


def _copy_path_arg(draft: Draft, word: str, copied_in: list[str]) -> None:
    """An absolute path among the entrypoint's arguments (a config file, say) comes along when
    a COPY/ADD put it in the image; other paths are mounted at run time or made by RUN."""
    value = word.split("=", 1)[1] if word.startswith("-") and "=" in word else word
    if value.startswith("/") and value != "/" and not any(ch in value for ch in "*?[$"):
        path = posixpath.normpath(value)
        if any(path == d.rstrip("/") or path.startswith(d.rstrip("/") + "/") for d in copied_in):
            draft.copy(path)


def _app_dirs(view: StageView, draft: Draft, installs: list[Cmd]) -> None:
    """Node and Python: the directories the application was copied and installed into."""
    dirs: list[str] = [c.cwd for c in installs if c.cwd and c.cwd != "/"]
    if view.workdir_set and view.final_workdir and view.final_workdir != "/":
        dirs.append(view.final_workdir)
    for ins in view.stage.instructions:
        if ins.cmd not in ("COPY", "ADD"):
            continue
        dest = _copy_dest(view, ins)
        if dest is None:
            raise Refuse(f"cannot tell where line {ins.line} copies to; {HINT}")
        if dest.rstrip("/") == "":
            raise Refuse(f"line {ins.line} copies into `/`, so the application cannot be told apart; {HINT}")
        if not any(dest.rstrip("/") == d or dest.startswith(d + "/") for d in dirs):
            dirs.append(_copy_target(ins, dest))
    if not dirs:
        raise Refuse(f"there is no WORKDIR or COPY destination to take the application from; {HINT}")
    for d in dirs:
        draft.copy(d)


def _copy_words(ins: Instruction) -> list[str]:
    return list(ins.json) if ins.json is not None else [w.strip("\"'") for w in split_words(ins.args)]


def _copy_dest(view: StageView, ins: Instruction) -> str | None:
    words = _copy_words(ins)
    if len(words) < 2:
        return None
    cwd = view.workdir_at.get(id(ins))
    return view.resolve(words[-1], cwd, view.env_at.get(id(ins), {}))


def _copy_target(ins: Instruction, dest: str) -> str:
    """The path a COPY created: `dest/<name>` for one plain file copied into a directory."""
    sources = _copy_words(ins)[:-1]
    if dest.endswith("/") and len(sources) == 1:
        src = sources[0].rstrip("/")
        name = posixpath.basename(src)
        if "." in name.strip(".") and not any(ch in src for ch in "*?[$") and "://" not in src:
            return posixpath.join(dest, name)
    return dest.rstrip("/") or "/"


def _plan_node(view: StageView, ev: Evidence) -> Draft:
    """The app directory, with devDependencies pruned at the end of the build."""
    draft = Draft(stack="node")
    managers = {c.program for c in ev.node_installs}
    if any(not _omits_dev(c) for c in ev.node_installs) and not ev.node_pruned:
        if "yarn" in managers:
            raise Refuse(
                "yarn cannot drop devDependencies in place reliably (v1 and Berry differ): end the build "
                "with `yarn install --production` (v1) or `yarn workspaces focus --production` (Berry)"
            )
        if "pnpm" in managers:
            draft.build_lines.append("RUN pnpm prune --prod")
        else:
            major = (
                view.base.fields("")["major"] if view.base is not None and view.base.name == "node" else ""
            )
            flag = "--production" if major and int(major) < 15 else "--omit=dev"
            draft.build_lines.append(f"RUN npm prune {flag}")
    _app_dirs(view, draft, ev.node_installs)
    return draft


def _plan_python(view: StageView, ev: Evidence) -> Draft:
    """A venv pip installs into (created before the first install when the file has none)."""
    draft = Draft(stack="python")
    if view.base is None or view.base.name != "python":
        raise Refuse(
            f"the runtime venv needs the build and runtime on the same `python` image family; {HINT}"
        )
    if ev.py_tools:
        raise Refuse(
            f"`{ev.py_tools[0].text.strip()[:40]}` installs where hardenify cannot follow: install with pip "
            f"into a venv, or {HINT}"
        )
    if not ev.pip_installs:
        raise Refuse(f"nothing installs the dependencies with pip; {HINT}")
    venv = _existing_venv(ev)
    for c in ev.pip_installs:
        args = _pip_args(c)
        bad = [a for a in args if a.split("=", 1)[0] in ("--user", "-t", "--target", "--prefix", "--root")]
        if bad:
            raise Refuse(f"`pip {args[0]} … {bad[0]}` installs outside a venv; {HINT}")
        if "/" in c.argv[0] and (venv is None or not c.argv[0].startswith(venv + "/")):
            raise Refuse(f"`{c.argv[0]}` is called by its path, so a venv on PATH would not catch it; {HINT}")
    if venv is None:
        venv = VENV
        draft.venv_before = ev.pip_installs[0].ins
        draft.extra_env.append(f"ENV PATH={VENV}/bin:$PATH")
    draft.copy(venv)
    _app_dirs(view, draft, [])
    return draft


def _existing_venv(ev: Evidence) -> str | None:
    """A venv the file creates, if pip installs go into it (PATH or its own pip)."""
    for _c, path in ev.venvs:
        if path is None:
            continue
        path = path.rstrip("/")
        first = ev.pip_installs[0]
        on_path = (first.env.get("PATH") or "").split(":")[0].rstrip("/") == f"{path}/bin"
        by_path = all(p.argv[0].startswith(path + "/") for p in ev.pip_installs)
        if on_path or by_path:
            return path
        raise Refuse(f"the file creates the venv `{path}`, but pip does not install into it; {HINT}")
    return None


def _plan_java(view: StageView, entry: Entry) -> Draft:
    """The jar(s) or classpath the `java` command names."""
    draft = Draft(stack="java")
    main = entry.main
    assert main is not None
    words = command_words(main)
    if words is None:
        commands = tokenize(main.args)
        words = commands[0].argv if commands else []
    if not words or words[0].rsplit("/", 1)[-1] != "java":
        raise Refuse(f"the container does not start with `java -jar …`; {HINT}")
    jars: list[str] = []
    for i, w in enumerate(words):
        if w in ("-jar", "-cp", "-classpath", "--class-path") and i + 1 < len(words):
            jars.extend(p for p in words[i + 1].split(":") if p)
    if not jars:
        raise Refuse(f"the `java` command names no jar or classpath; {HINT}")
    for jar in jars:
        path = view.resolve(jar, view.final_workdir, view.final_env) if "$" not in jar else None
        if path is None:
            raise Refuse(f"cannot tell where `{jar}` is; {HINT}")
        parent, name = posixpath.split(path)
        if any(ch in parent for ch in "*?["):
            raise Refuse(f"cannot copy `{jar}`; {HINT}")
        if name == "*":
            draft.copy(parent)
        elif any(ch in name for ch in "*?["):
            draft.copies.append(Copy(path, parent + "/"))
        else:
            draft.copy(path)
    return draft


def _plan_dotnet(view: StageView, ev: Evidence, entry: Entry) -> Draft:
    """The `dotnet publish -o` directory that holds the entry assembly."""
    draft = Draft(stack="dotnet")
    outputs: list[str] = []
    for c in ev.dotnet_publishes:
        o = c.opt("-o", "--output")
        path = view.resolve(o, c.cwd, c.env) if o is not None else None
        if path is not None:
            outputs.append(path.rstrip("/") or "/")
    main = entry.main
    assert main is not None
    words = command_words(main)
    if words is None:
        raise Refuse(f"the CMD/ENTRYPOINT needs a shell to tell what it runs; {HINT}")
    target_word = words[1] if words[0].rsplit("/", 1)[-1] == "dotnet" and len(words) > 1 else words[0]
    target = view.resolve(target_word, view.final_workdir, view.final_env)
    if target is None:
        raise Refuse(f"cannot tell where `{target_word}` is; {HINT}")
    folder = posixpath.dirname(target)
    if folder not in outputs:
        built = ", ".join(f"`{o}`" for o in outputs) or "no `-o` directory"
        raise Refuse(f"the container runs `{target}`, but `dotnet publish` writes {built}; {HINT}")
    draft.copy(folder)
    return draft


# -- what the runtime runs


def _check_programs(
    view: StageView, entry: Entry, draft: Draft, runtime: str, *, trust_runtime: bool
) -> None:
    """Every program the runtime starts (CMD, ENTRYPOINT, HEALTHCHECK) must exist there; on a
    runtime without a shell, commands are rewritten to exec form (or the split is refused)."""
    shell = runtime_has_shell(runtime)
    node_distroless = draft.stack == "node" and bool(_NODE_DISTROLESS.search(runtime))
    checks = entry.runs() + [
        i for i in view.stage.instructions if i.cmd == "HEALTHCHECK" and _healthcheck_command(i) is not None
    ]
    copied = [c.src for c in draft.copies]
    for ins in checks:
        words = command_words(ins)
        if words is None and (not shell or node_distroless):
            raise Refuse(
                f"`{ins.keyword} {ins.args.strip()[:60]}` needs a shell, which `{runtime}` does not have: write "
                "it in exec form without variables, or add `# hardenify: runtime=<image with a shell>`"
            )
        prog = words[0] if words is not None else shell_program(ins)
        if not prog:
            continue
        name = prog.rsplit("/", 1)[-1]
        path = view.resolve(prog, view.final_workdir, view.final_env) if "/" in prog else None
        artifact = None
        if "/" not in prog and draft.stack not in _STACK_PROGRAMS:  # copies of go/rust are binaries
            artifact = next((c for c in copied if posixpath.basename(c) == prog), None)
        in_build_output = (
            path is not None and any(path == c or path.startswith(c + "/") for c in copied)
        ) or (artifact is not None)
        if not in_build_output and not trust_runtime:
            if node_distroless:
                ok = name in ("node", "nodejs")
            elif draft.stack == "python":
                ok = "/" not in prog or name in _STACK_PROGRAMS["python"]  # console scripts are in the venv
            else:
                ok = name in _STACK_PROGRAMS.get(draft.stack, frozenset())
            if not ok:
                what = "the HEALTHCHECK" if ins.cmd == "HEALTHCHECK" else "the container"
                raise Refuse(f"{what} runs `{prog}`, which `{runtime}` does not have; {HINT}")
        argv = list(words) if words is not None else None
        if argv is not None and artifact is not None and posixpath.dirname(artifact) not in _RUNTIME_PATH:
            argv[0] = artifact  # the original found it on PATH; the runtime's PATH does not have it
        if argv is not None and node_distroless and ins.cmd == "HEALTHCHECK" and name in ("node", "nodejs"):
            argv[0] = DISTROLESS_NODE  # not on the image's PATH
        elif argv is not None and node_distroless:
            if ins.cmd == "ENTRYPOINT" or name not in ("node", "nodejs"):
                raise Refuse(
                    "the distroless Node runtime's ENTRYPOINT is `node`: the CMD must be `node <file>` in exec "
                    f"form, not `{' '.join(words or [])[:40]}`"
                )
            argv = argv[1:]
        if argv is not None and (argv != words or (ins.json is None and (not shell or node_distroless))):
            draft.rewrites[id(ins)] = _exec_text(ins, argv)


def _exec_text(ins: Instruction, argv: list[str]) -> str:
    body = json.dumps(argv)
    if ins.cmd == "HEALTHCHECK":
        flags = "".join(f"{f.raw} " for f in ins.flags)
        return f"{ins.keyword} {flags}{_kw_like(ins.keyword, 'CMD')} {body}"
    return f"{ins.keyword} {body}"


# ------------------------------------------------------------------------------------ composing


def _kw_like(like: str, word: str) -> str:
    """`word` in the letter case of `like`."""
    if like.islower():
        return word.lower()
    if like[:1].isupper() and like[1:].islower():
        return word[:1].upper() + word[1:].lower()
    return word.upper()


def _compose(df: Dockerfile, view: StageView, draft: Draft, runtime: str) -> Plan:
    """Turn the draft into edits: name the stage, move run-time-only lines, insert the runtime."""
    stage = view.stage
    nl = df.newline
    like = stage.from_.keyword

    def kw(line: str) -> str:
        word, _, rest = line.partition(" ")
        return f"{_kw_like(like, word)} {rest}"

    name = stage.name or BUILD_STAGE
    edits: list[Edit] = []
    if stage.name is None:
        end = len(stage.from_.args.rstrip(" \t"))
        pos = stage.from_.arg_src(end, end=True)
        edits.append(Edit(pos, pos, f" {_kw_like(like, 'AS')} {BUILD_STAGE}"))

    instructions = stage.instructions
    last = max(i for i, ins in enumerate(instructions) if ins.cmd in ("RUN", "COPY", "ADD"))
    before, tail = instructions[: last + 1], instructions[last + 1 :]
    moved = [ins for ins in before if ins.cmd in _RUNTIME_ONLY]

    # USER stays where the build needs it; the runtime repeats the last one (by number when the
    # build created the user, since the runtime's /etc/passwd does not have it).
    user_lines: list[str] = []
    if not any(i.cmd == "USER" for i in tail):
        users = [i for i in before if i.cmd == "USER"]
        if users:
            user_lines.append(_runtime_user(view, users[-1], runtime))
    for ins in tail:
        if ins.cmd == "USER":
            new = _runtime_user(view, ins, runtime)
            if new != _raw(df, ins):
                draft.rewrites[id(ins)] = new

    copied = [c.src for c in draft.copies]
    env_lines, env_defined = _runtime_env(df, before, copied, kw)
    env_lines += [kw(line) for line in draft.extra_env]

    shell_lines: list[str] = []
    shells = [i for i in before if i.cmd == "SHELL"]
    if shells and runtime_has_shell(runtime) and not any(i.cmd == "SHELL" for i in tail):
        if any(i.cmd in ("CMD", "ENTRYPOINT", "HEALTHCHECK") and i.json is None for i in instructions):
            shell_lines.append(_raw(df, shells[-1]))

    workdir_lines = _runtime_workdir(view, tail, kw)
    copy_lines = [kw(f"COPY --from={name} {c.src} {c.dest}") for c in draft.copies]
    arg_lines = _needed_args(df, view, env_lines + workdir_lines + user_lines, moved + tail, env_defined, kw)

    moved_text: list[str] = []
    for ins in moved:
        start = _attached_start(df, ins)
        edits.append(Edit(start, ins.end, ""))
        rewritten = draft.rewrites.pop(id(ins)) if id(ins) in draft.rewrites else None
        body = (
            df.text[start : ins.start] + ins.indent + (rewritten if rewritten is not None else _raw(df, ins))
        )
        moved_text.append(body)

    tail_rewrites: list[tuple[int, int, str]] = []
    for ins in tail:
        rewritten = draft.rewrites.pop(id(ins)) if id(ins) in draft.rewrites else None
        if rewritten is not None:
            tail_rewrites.append((ins.start + len(ins.indent), ins.content_end, rewritten))

    block = [kw(f"FROM {_platform(stage)}{runtime}")]
    # USER before the moved CMD/ENTRYPOINT/HEALTHCHECK lines, so the file reads as it runs.
    block += arg_lines + workdir_lines + env_lines + shell_lines + copy_lines + user_lines + moved_text
    block_text = nl.join(_newlines(b, nl) for b in block)

    # One edit from the end of the last build instruction to where the runtime stage goes. The
    # bytes in between are re-emitted unchanged; claiming their span makes the engine defer other
    # rules' insertions there (HF101's USER "for the final stage", say) to the next pass, when the
    # final stage is the runtime stage.
    anchor = instructions[last]
    after = _first_after(df, anchor)
    end = after.start if after is not None else len(df.text)
    content = (df.text[anchor.content_end : anchor.end] or nl) + "".join(
        anchor.indent + kw(line) + nl for line in draft.build_lines
    )
    content += df.text[anchor.end : end]
    if not content.endswith("\n"):
        content += nl
    if not content.endswith(("\n\n", "\n\r\n")):
        content += nl  # a blank line before the runtime FROM
    content += block_text
    if after is not None or df.text.endswith("\n"):
        content += nl
    # The edit runs to the end of the file, re-emitting the tail (with its rewrites): everything
    # after the last build step now belongs to the new runtime stage, so another rule's edit
    # there, computed for the old single stage, must wait for the next pass. Ending the span at
    # the tail's first line let an insertion at that exact offset (HF101's `RUN useradd`, when no
    # blank line separated the last RUN from CMD) through, into a stage without a shell.
    tail_text = df.text[end:]
    for start, stop, new in sorted(tail_rewrites, reverse=True):
        tail_text = tail_text[: start - end] + new + tail_text[stop - end :]
    edits.append(Edit(anchor.content_end, len(df.text), content + tail_text))

    if draft.venv_before is not None:
        ins = draft.venv_before
        lines = [kw(f"RUN python -m venv {VENV}"), kw(f"ENV PATH={VENV}/bin:$PATH")]
        edits.append(Edit(ins.start, ins.start, "".join(ins.indent + x + nl for x in lines)))

    artifacts = ", ".join(f"`{c.src}`" for c in draft.copies)
    extra = " (devDependencies pruned)" if any("prune" in b for b in draft.build_lines) else ""
    summary = f"split: `{name}` stage + `{runtime}` runtime stage with {artifacts}{extra}"
    return Plan(stack=draft.stack, runtime=runtime, copies=list(draft.copies), edits=edits, summary=summary)


def _newlines(text: str, nl: str) -> str:
    """Moved text keeps its own line breaks, normalised to the file's newline."""
    return text.replace("\r\n", "\n").replace("\n", nl) if nl != "\n" else text.replace("\r\n", "\n")


def _platform(stage: Stage) -> str:
    flag = stage.from_.flag("platform")
    return f"{flag.raw} " if flag is not None else ""


def _first_after(df: Dockerfile, ins: Instruction) -> Node | None:
    """The first comment or instruction after `ins`: the runtime stage goes in front of it."""
    i = df.nodes.index(ins)
    for node in df.nodes[i + 1 :]:
        if isinstance(node, (Instruction, Comment)) and not is_hint(node):
            return node
    return None


def _attached_start(df: Dockerfile, ins: Instruction) -> int:
    """Start of the comment lines right above `ins`: they move with it."""
    i = df.nodes.index(ins)
    while i > 0 and isinstance(df.nodes[i - 1], Comment) and not is_hint(df.nodes[i - 1]):
        i -= 1
    return df.nodes[i].start


def _raw(df: Dockerfile, ins: Instruction) -> str:
    return df.text[ins.start + len(ins.indent) : ins.content_end]


def _runtime_workdir(view: StageView, tail: list[Instruction], kw: Callable[[str], str]) -> list[str]:
    """The WORKDIR the runtime stage needs before the tail (which may set its own)."""
    first = next((i for i in tail if i.cmd == "WORKDIR"), None)
    if first is not None:
        words = split_words(first.args)
        if words and words[0].strip("\"'").startswith(("/", "$")):
            return []
        wd = view.workdir_at.get(id(first))
    elif view.workdir_set:
        wd = view.workdir_at.get(id(tail[0])) if tail else view.final_workdir
    else:
        wd = view.initial_workdir if view.initial_workdir not in (None, "/") else "/"
    if wd is None:
        raise Refuse(f"cannot tell the WORKDIR the application runs in; {HINT}")
    return [] if wd == "/" else [kw(f"WORKDIR {wd}")]


def _runtime_user(view: StageView, ins: Instruction, runtime: str) -> str:
    """The USER line for the runtime stage: by number when the build created that user."""
    raw = _raw(view.df, ins)
    words = split_words(ins.args)
    spec = words[0] if words else ""
    user, _, group = spec.partition(":")
    if not user or "$" in spec or (user.isdigit() and (not group or group.isdigit())):
        return raw
    created = _created_ids(view)
    if user in created:
        uid, gid = created[user]
        if uid is None:
            raise Refuse(
                f"the runtime image does not have the user `{user}` the build creates: give it an explicit uid "
                f"(`useradd --uid 10001 {user}`), so the runtime can run as that number"
            )
        if group:
            gid = group if group.isdigit() else created.get(group, (None, None))[0]
            if gid is None:
                raise Refuse(f"cannot tell the gid of group `{group}`: give it an explicit gid")
        return (
            f"{_kw_like(ins.keyword, 'USER')} {uid}:{gid}"
            if gid
            else f"{_kw_like(ins.keyword, 'USER')} {uid}"
        )
    known = {"root", "nobody"}
    low = runtime.lower()
    base_ids = _BASE_USERS.get(view.base.name, {}) if view.base is not None else {}
    if "distroless" in low:
        known.add("nonroot")
    if re.match(r"^(?:docker\.io/)?(?:library/)?node:", low):
        known.add("node")
    if "dotnet/" in low:
        known.add("app")
    if user not in known and user in base_ids and (not group or group == user):
        return f"{_kw_like(ins.keyword, 'USER')} {base_ids[user]}"  # e.g. node → 1000:1000 on distroless
    if user not in known or (group and group not in known and not group.isdigit()):
        raise Refuse(
            f"`{runtime}` may not have the user `{spec}`: use a numeric `USER uid:gid`, or add "
            "`# hardenify: runtime=<image>`"
        )
    return raw


def _created_ids(view: StageView) -> dict[str, tuple[str | None, str | None]]:
    """Users and groups the stage creates → (uid or gid, primary gid), where the command says."""
    out: dict[str, tuple[str | None, str | None]] = {}
    value_opts = {
        "-u",
        "--uid",
        "-g",
        "--gid",
        "-G",
        "--groups",
        "--ingroup",
        "-s",
        "--shell",
        "-h",
        "--home",
        "-d",
        "--home-dir",
        "-c",
        "--comment",
        "--gecos",
        "-k",
        "-K",
        "-e",
        "-f",
        "-p",
    }
    for c in view.cmds:
        if c.program not in ("useradd", "adduser", "groupadd", "addgroup"):
            continue
        is_group = c.program in ("groupadd", "addgroup")
        num: str | None = None
        gid: str | None = None
        args = c.argv[1:]
        for i, a in enumerate(args):
            key, eq, val = a.partition("=")
            if not eq:
                val = args[i + 1] if i + 1 < len(args) else ""
            if key in ("-u", "--uid") or (is_group and key in ("-g", "--gid")):
                num = val
            elif key in ("-g", "--gid", "--ingroup", "-G") and not is_group and key != "-G":
                gid = val
        names = c.positional(value_opts)
        if not names:
            continue
        name = names[0]
        num = num if num and num.isdigit() else None
        if is_group and len(names) == 1:
            out.setdefault(name, (num, num))
            continue
        if gid is not None and not gid.isdigit():
            gid = out.get(gid, (None, None))[0]
        if gid is None and name in out:
            gid = out[name][0]
        out[name] = (num, gid)
    return out


def _runtime_env(
    df: Dockerfile, before: list[Instruction], copied: list[str], kw: Callable[[str], str]
) -> tuple[list[str], set[str]]:
    """The stage's ENV lines the runtime needs too, and the keys they define."""
    out: list[str] = []
    keys: set[str] = set()
    for ins in before:
        if ins.cmd != "ENV":
            continue
        pairs = env_pairs(ins)
        keep = [p for p in pairs if _env_relevant(p[0], p[1], copied)]
        keys.update(k for k, _, _, _ in keep)
        if keep and len(keep) == len(pairs):
            out.append(_raw(df, ins))
        elif keep:
            out.append(kw("ENV " + " ".join(ins.args[s:e] for _, _, s, e in keep)))
    return out, keys


def _env_relevant(key: str, value: str, copied: list[str]) -> bool:
    up = key.upper()
    if up in _BUILD_ENV_KEYS or up.startswith(_BUILD_ENV_PREFIXES):
        return False
    if up == "PATH":  # only when it points into something the runtime gets
        entries = [e.rstrip("/") for e in value.split(":") if e and "$" not in e]
        return any(any(e == c or e.startswith(c + "/") for c in copied) for e in entries)
    return True


def _needed_args(
    df: Dockerfile,
    view: StageView,
    lines: list[str],
    runtime_ins: list[Instruction],
    defined: set[str],
    kw: Callable[[str], str],
) -> list[str]:
    """ARG (or ENV) lines for variables the runtime stage expands but would not have."""
    texts = list(lines) + [_raw(df, i) for i in runtime_ins if i.cmd in _EXPANDED]
    used: list[str] = []
    for t in texts:
        for m in _VAR_RE.finditer(t):
            n = m.group(1) or m.group(2)
            if n not in used:
                used.append(n)
    known = set(defined)
    for ins in runtime_ins:
        if ins.cmd == "ARG":
            known.update(n for n, _ in arg_pairs(ins))
        elif ins.cmd == "ENV":
            known.update(k for k, _, _, _ in env_pairs(ins))
    out: list[str] = []
    for n in used:
        if n in known:
            continue
        arg = view.arg_ins.get(n)
        if arg is not None:
            value = dict(arg_pairs(arg)).get(n)
            out.append(kw(f"ARG {n}" + (f"={_quote(value)}" if value is not None else "")))
        elif n in df.global_args:
            out.append(kw(f"ARG {n}"))
        elif n in view.env_keys and view.final_env.get(n) is not None:
            out.append(kw(f"ENV {n}={_quote(view.final_env[n] or '')}"))
    return out


def _quote(value: str) -> str:
    return value if re.fullmatch(r"[\w./:@%+,-]*", value) else json.dumps(value)
