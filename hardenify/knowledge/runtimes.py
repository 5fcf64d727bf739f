"""The runtime base images HF413's split uses, and the option that overrides them.

Apart from `_split` so that the rule's docs can show the table without importing the split
machinery, which only single-stage files need.
"""

from __future__ import annotations

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
