"""Base-image families: whether they have a shell, which user they run as, which users exist.

A fix that emits `RUN` needs `/bin/sh` in the stage, and a fix that writes `USER name` needs
`name` in the image's /etc/passwd. These facts decide both, so they live here once; the rules
(`knowledge.images.base_info`, HF413's split) read them and keep no copy.

Each table names its source. When in doubt a family is recorded as *without* a shell: a wrong
"no shell" only makes a fix decline, a wrong "has a shell" makes an image that does not build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Users every Debian/Ubuntu base has, with fixed ids (Debian's base-passwd package,
#: /usr/share/base-passwd/passwd.master: `www-data:x:33:33`, `nobody:x:65534:65534`).
DEBIAN_USERS: dict[str, str] = {"nobody": "65534:65534", "www-data": "33:33"}
#: Alpine's alpine-baselayout passwd file: `nobody:x:65534:65534`.
ALPINE_USERS: dict[str, str] = {"nobody": "65534:65534"}
#: distroless images ship /etc/passwd with `nonroot:x:65532:65532` and `nobody:x:65534:65534`
#: (GoogleContainerTools/distroless, base/base.bzl `NONROOT = 65532`).
DISTROLESS_USERS: dict[str, str] = {"nonroot": "65532:65532", "nobody": "65534:65534"}
#: Chainguard/Wolfi images ship `nonroot` 65532 (images.chainguard.dev, "Overview of Chainguard
#: Images": "run as a non-root user with UID 65532 by default").
CHAINGUARD_USERS: dict[str, str] = {"nonroot": "65532:65532"}
#: The numeric user for a shell-less image, where no user can be created: distroless' `nonroot`.
NONROOT_UID = "65532:65532"

# Which vendor images already run as non-root is a per-image fact: `hardenify.knowledge.images`
# (`nonroot_default`), shared with the compose rules.


@dataclass(frozen=True)
class Family:
    """A base-image family: `shell` is whether `/bin/sh` exists, `users` name → "uid:gid"."""

    name: str
    shell: bool
    default_user: str  # the user the image runs as when the Dockerfile sets none (its usual tags)
    users: dict[str, str]
    source: str


#: Images without a shell. distroless: "Distroless images ... do not contain package managers,
#: shells or any other programs" (distroless README; only `:debug` tags add busybox).
#: scratch: an empty filesystem (docs.docker.com, "Create a base image"). Chainguard's runtime
#: images have no shell (only `-dev` variants do; counted shell-less to be safe). Ubuntu chiseled
#: images (.NET `-chiseled`, `ubuntu/*` chisel) are built without a shell (canonical/chisel).
_SHELL_LESS = re.compile(r"(?:^|/)distroless/|^scratch$|(?:^|/)cgr\.dev/|chainguard|chiseled", re.I)

FAMILIES: dict[str, Family] = {
    # distroless runs as root unless the tag is `:nonroot`/`:debug-nonroot`.
    "distroless": Family(
        "distroless", False, "0", DISTROLESS_USERS, "GoogleContainerTools/distroless README"
    ),
    "wolfi": Family("wolfi", False, NONROOT_UID, CHAINGUARD_USERS, "images.chainguard.dev overview"),
    "scratch": Family("scratch", False, "0", {}, "docs.docker.com: scratch is an empty image"),
    "debian": Family("debian", True, "0", DEBIAN_USERS, "Debian base-passwd"),
    "alpine": Family("alpine", True, "0", ALPINE_USERS, "alpine-baselayout"),
}


def has_shell(image: str) -> bool:
    """Whether `RUN` (which needs /bin/sh) can run in a stage built on `image`.

    False for distroless, scratch, Chainguard and chiseled images, whatever their tag or digest."""
    ref = image.strip().split("@", 1)[0]
    if ref.lower() == "scratch":
        return False
    return _SHELL_LESS.search(ref) is None


def nonroot_user(image: str) -> str | None:
    """The numeric non-root user a shell-less image ships ("65532:65532"), else None."""
    low = image.strip().lower()
    if low.split("@", 1)[0] == "scratch":
        return NONROOT_UID  # a numeric USER needs no /etc/passwd
    if has_shell(image):
        return None
    return NONROOT_UID
