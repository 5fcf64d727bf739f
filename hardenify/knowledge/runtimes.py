"""Build and runtime base images: which official images are build toolchains, what their tags
say, what they set up for a build (WORKDIR, ENV, users), and the runtime base HF413's split
puts an application on, per stack.

Facts about images, kept here so the rule (`fixers/hf413_single_stage_toolchain`) holds no copy
and its docs can show the mapping without importing the split machinery. Whether an image has
a shell is `knowledge.bases.has_shell`; which users vendor images run as is `knowledge.images`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hardenify.imageref import try_parse_ref

#: The config option (`[options] runtime-bases = {...}`) that overrides `DEFAULT_RUNTIME_BASES`.
OPTION = "runtime-bases"

#: The runtime base per stack key. Placeholders are read from the build base's tag: {image} the
#: build base as written, {version} its leading version (`3.12`, `22`), {series} the first two
#: numbers of it (`8.0` for `8.0.404`), {major}, {distro} a Debian/Ubuntu codename suffix
#: (`-bookworm`, or ""), {variant} the rest of the tag after the version (`-bookworm-slim`,
#: `-alpine`, or ""), {debian} the Debian release the build links against (12 unless the tag
#: names another), {java} the Java feature release (`17` in `maven:3.9-eclipse-temurin-17`).
DEFAULT_RUNTIME_BASES: dict[str, str] = {
    "go-static": "gcr.io/distroless/static-debian{debian}:nonroot",
    "go": "gcr.io/distroless/cc-debian{debian}:nonroot",
    "rust-static": "gcr.io/distroless/static-debian{debian}:nonroot",
    "rust": "gcr.io/distroless/cc-debian{debian}:nonroot",
    "node": "node:{version}{distro}-slim",
    "node-alpine": "{image}",
    "python": "python:{version}-slim{distro}",
    "python-alpine": "{image}",
    "java": "eclipse-temurin:{java}-jre",
    "java-alpine": "eclipse-temurin:{java}-jre-alpine",
    "dotnet": "mcr.microsoft.com/dotnet/aspnet:{series}{variant}",
    "dotnet-self-contained": "mcr.microsoft.com/dotnet/runtime-deps:{series}{variant}",
}

#: Official images that are a build toolchain, by familiar name → stack (Docker Hub official
#: images: each ships its compiler/SDK; `gcc` and `buildpack-deps` ship gcc and make).
BUILDER_BASES: dict[str, str] = {
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
#: The .NET SDK (mcr.microsoft.com/dotnet/sdk, formerly dotnet/core/sdk).
DOTNET_SDK = re.compile(r"^mcr\.microsoft\.com/dotnet/(?:core/)?sdk$")

#: What official build images set up that a path in the Dockerfile may rely on. docker-library
#: golang: `ENV GOPATH /go` and `WORKDIR $GOPATH`; rust-lang/docker-rust: `ENV
#: RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo`; nodejs/docker-node: `groupadd
#: --gid 1000 node && useradd --uid 1000 --gid node ... node`.
BASE_WORKDIR: dict[str, str] = {"golang": "/go"}
BASE_ENV: dict[str, dict[str, str]] = {
    "golang": {"GOPATH": "/go"},
    "rust": {"CARGO_HOME": "/usr/local/cargo", "RUSTUP_HOME": "/usr/local/rustup"},
}
BASE_USERS: dict[str, dict[str, str]] = {"node": {"node": "1000:1000"}}
#: Images whose config sets no WorkingDir, so a build starts in `/` (their Dockerfiles on Docker
#: Hub have no WORKDIR).
ROOT_WORKDIR_BASES = frozenset(
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
#: HOME of the root user every build starts as (/etc/passwd of Debian and Alpine: `root:x:0:0:root:/root`).
ROOT_HOME = "/root"

#: Debian codenames → release (debian.org/releases); Ubuntu LTS codenames a tag may name.
DEBIAN_RELEASE = {"bookworm": "12", "bullseye": "11", "buster": "10", "trixie": "13"}
UBUNTU = frozenset({"focal", "jammy", "noble"})


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
            if part in DEBIAN_RELEASE:
                distro, debian = f"-{part}", DEBIAN_RELEASE[part]
            elif part in UBUNTU:
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
    """The reference's name and tag parts; None for a variable or unparsable reference."""
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
    if BUILDER_BASES.get(base.name) != "java":
        return None
    if base.name in ("maven", "gradle"):
        m = re.search(r"(?:jdk|temurin|openjdk|corretto|semeru|sapmachine|graalvm)-?(\d+)", tag)
        return m.group(1) if m else None
    m = re.match(r"^(\d+)", tag)
    if m:
        return "8" if m.group(1) == "1" else m.group(1)
    return None


def runtime_bases(options: Mapping[str, Any]) -> dict[str, str]:
    """The mapping in force: the defaults with the `runtime-bases` option laid over them."""
    table = dict(DEFAULT_RUNTIME_BASES)
    custom = options.get(OPTION)
    if isinstance(custom, Mapping):
        for k, v in custom.items():
            if isinstance(k, str) and isinstance(v, str) and v.strip():
                table[k] = v.strip()
    return table
