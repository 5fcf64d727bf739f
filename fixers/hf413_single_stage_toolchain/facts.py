"""What each stack and build base means for HF413: which packages and variables only build,
which programs a stack's runtime provides, which CMDs are tools rather than applications, and
when a base image is itself a toolchain. Tables about *images* (tags, WORKDIR, ENV, runtime
bases) are `hardenify.knowledge.runtimes`; these are about the split.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from hardenify.knowledge.runtimes import (
    BUILDER_BASES,
    DOTNET_SDK,
    BaseFacts,
)

OPTIONAL_FIELDS = frozenset({"distro", "variant"})

DISTROLESS_NODE = "/nodejs/bin/node"
BUILD_STAGE = "build"
VENV = "/opt/venv"
HINT = (
    "add `# hardenify: artifact=<path>` (what the runtime needs from the build; repeat it for several "
    "paths) and, if needed, `# hardenify: runtime=<image>`"
)


class Refuse(Exception):
    """The planner stops; the message is the reason, phrased for the user."""


# The build base a stack's template fields must come from (a `node:` template cannot take its
# version from `debian:12`).
TEMPLATE_BASES: dict[str, Callable[[str], bool]] = {
    "node": lambda n: n == "node",
    "python": lambda n: n == "python",
    "java": lambda n: BUILDER_BASES.get(n) == "java",
    "dotnet": lambda n: bool(DOTNET_SDK.match(n)),
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


def is_toolchain_package(name: str) -> bool:
    return name in TOOLCHAIN_PACKAGES or any(p.match(name) for p in _TOOLCHAIN_PATTERNS)


# Installed but not needed at run time, or already in every runtime base the mapping picks.
BUILD_ONLY_PACKAGES = frozenset(
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
RUNTIME_PROVIDED_DEV = frozenset({"libssl-dev", "openssl-dev", "zlib1g-dev", "zlib-dev", "libffi-dev"})
# What node-gyp needs at build time only.
NODE_BUILD_ONLY = frozenset({"python3", "python", "python-is-python3", "py3-pip"})

# ENV keys that only steer the build; every other ENV of the stage is repeated in the runtime.
BUILD_ENV_KEYS = frozenset(
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
BUILD_ENV_PREFIXES = (
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
STACK_PROGRAMS = {
    "node": frozenset({"node", "nodejs", "npm", "npx", "yarn", "docker-entrypoint.sh"}),
    "python": frozenset({"python", "python3"}),
    "java": frozenset({"java"}),
    "dotnet": frozenset({"dotnet"}),
}
# A CMD that is just one of these starts a shell or REPL: the image is a tool, not an app.
REPLS = frozenset(
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
WRAPPER_ENTRYPOINTS = frozenset(
    {"docker-entrypoint.sh", "entrypoint.sh", "tini", "tini-static", "dumb-init", "docker-php-entrypoint"}
)
# Build tools in a CMD: the container compiles when it starts.
BUILD_AT_START = {
    "go": ("run",),
    "cargo": ("run",),
    "mvn": ("spring-boot:run", "exec:java", "jetty:run", "quarkus:dev"),
    "mvnw": ("spring-boot:run", "exec:java", "jetty:run", "quarkus:dev"),
    "gradle": ("bootRun", "run", "quarkusDev"),
    "gradlew": ("bootRun", "run", "quarkusDev"),
    "dotnet": ("run", "watch"),
}

NODE_DISTROLESS = re.compile(r"distroless/nodejs", re.I)
RUNTIME_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


def builder_stack(base: BaseFacts) -> tuple[str, str] | None:
    """(stack, reason) when the base image itself is a build toolchain."""
    tag = base.tag.lower()
    if DOTNET_SDK.match(base.name):
        return "dotnet", f"`{base.image}` is the .NET SDK"
    stack = BUILDER_BASES.get(base.name)
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
