"""Minimal variants of full base images, and what the minimal ones lack (HF205).

A full official image (`python:3.12`, `node:22`) is built `FROM buildpack-deps`, which adds
compilers, headers and network/VCS tools on top of Debian; its `-slim` variant is built `FROM
debian:<codename>-slim` and keeps only what the runtime needs. `debian:<x>-slim` itself differs
from `debian:<x>` only by dpkg path exclusions (documentation, man pages, translations). A JRE
image lacks the JDK's development tools. Swapping to the minimal variant is sound only when the
stage uses none of what is missing, so these facts decide it.

Sources (read at the commits named):
- docker-library/buildpack-deps 8330ca1d2319b779c8b7a8aa64bb40dbe568e1e2, `debian/bookworm/curl/
  Dockerfile` (ca-certificates curl gnupg netbase sq wget), `debian/bookworm/scm/Dockerfile` (git
  mercurial openssh-client subversion procps), `debian/bookworm/Dockerfile` (autoconf automake
  bzip2 dpkg-dev file g++ gcc imagemagick libtool make patch unzip xz-utils and the -dev headers
  `BUILDPACK_HEADERS` lists);
- docker-library/python 4f07059567fa61c80397126e8063dbbde011b794, `3.12/bookworm/Dockerfile`
  (`FROM buildpack-deps:bookworm`) and `3.12/slim-bookworm/Dockerfile` (`FROM
  debian:bookworm-slim`, keeps ca-certificates netbase tzdata; gcc, make, wget, the headers are
  installed to build Python and purged with `apt-get purge --auto-remove`);
- nodejs/docker-node f27d936f7d7ccdeec25cd2de33584c1a841f561d, `22/bookworm/Dockerfile` (`FROM
  buildpack-deps:bookworm`) and `22/bookworm-slim/Dockerfile` (`FROM debian:bookworm-slim`;
  ca-certificates curl wget gnupg dirmngr xz-utils installed and purged again);
- debuerreotype's `debuerreotype-slimify` and its `slimify-excludes` (path-exclude
  /usr/share/doc/*, /usr/share/man/*, /usr/share/info/*, /usr/share/locale/*, groff, lintian,
  linda; copyright files kept);
- Debian bug #863199: installing a JRE/JDK package on a slim image fails in
  update-alternatives because /usr/share/man/man1 does not exist;
- adoptium/containers (eclipse-temurin): `-jre` images carry only the JRE's `bin/`;
  openjdk (deprecated on Docker Hub) published `-jre` tags only for 8 and 11.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hardenify.imageref import ImageRef

#: Programs a buildpack-deps based full image has and its `-slim` variant does not, with the
#: Debian package that provides each (so a stage that installs the package itself is fine).
FULL_ONLY_PROGRAMS: dict[str, str] = {
    "curl": "curl",
    "wget": "wget",
    "gpg": "gnupg",
    "gpgv2": "gnupg",
    "dirmngr": "dirmngr",
    "sq": "sq",
    "git": "git",
    "hg": "mercurial",
    "svn": "subversion",
    "ssh": "openssh-client",
    "scp": "openssh-client",
    "sftp": "openssh-client",
    "ssh-keyscan": "openssh-client",
    "ssh-keygen": "openssh-client",
    "ps": "procps",
    "pkill": "procps",
    "pgrep": "procps",
    "top": "procps",
    "free": "procps",
    "watch": "procps",
    "autoconf": "autoconf",
    "autoreconf": "autoconf",
    "automake": "automake",
    "aclocal": "automake",
    "bzip2": "bzip2",
    "bunzip2": "bzip2",
    "dpkg-architecture": "dpkg-dev",
    "dpkg-buildpackage": "dpkg-dev",
    "file": "file",
    "gcc": "gcc",
    "cc": "gcc",
    "cpp": "cpp",
    "g++": "g++",
    "c++": "g++",
    "make": "make",
    "libtool": "libtool",
    "libtoolize": "libtool",
    "patch": "patch",
    "unzip": "unzip",
    "xz": "xz-utils",
    "unxz": "xz-utils",
    "convert": "imagemagick",
    "identify": "imagemagick",
    "mogrify": "imagemagick",
    "pkg-config": "pkg-config",
}

#: Development headers buildpack-deps installs (what compiles C extensions against); a stage
#: that needs one on the slim image must install it.
BUILDPACK_HEADERS = frozenset(
    {
        "default-libmysqlclient-dev",
        "libbz2-dev",
        "libc6-dev",
        "libcurl4-openssl-dev",
        "libdb-dev",
        "libevent-dev",
        "libffi-dev",
        "libgdbm-dev",
        "libglib2.0-dev",
        "libgmp-dev",
        "libjpeg-dev",
        "libkrb5-dev",
        "liblzma-dev",
        "libmagickcore-dev",
        "libmagickwand-dev",
        "libmaxminddb-dev",
        "libncurses5-dev",
        "libncursesw5-dev",
        "libpng-dev",
        "libpq-dev",
        "libreadline-dev",
        "libsqlite3-dev",
        "libssl-dev",
        "libwebp-dev",
        "libxml2-dev",
        "libxslt-dev",
        "libyaml-dev",
        "zlib1g-dev",
    }
)

#: Tools of a JDK that a JRE image does not have (eclipse-temurin `-jre`: the JRE's bin/ only).
JDK_ONLY_PROGRAMS = frozenset(
    {
        "javac",
        "jar",
        "jarsigner",
        "javadoc",
        "javap",
        "jlink",
        "jdeps",
        "jdeprscan",
        "jshell",
        "jcmd",
        "jmap",
        "jstack",
        "jstat",
        "jps",
        "jinfo",
        "jhsdb",
        "jdb",
        "jconsole",
        "jpackage",
        "jmod",
        "jimage",
        "mvn",
        "mvnw",
        "gradle",
        "gradlew",
        "ant",
        "sbt",
    }
)

#: Debian packages whose maintainer scripts fail on a slim image (no /usr/share/man/man1,
#: Debian bug #863199), by name prefix.
SLIM_BREAKS_PACKAGES = ("openjdk-", "default-jre", "default-jdk", "ca-certificates-java")

_CODENAMES = "jessie|stretch|buster|bullseye|bookworm|trixie|forky"
_NODE_LTS = "argon|boron|carbon|dubnium|erbium|fermium|gallium|hydrogen|iron|jod|krypton"
_VERSION = r"\d+(?:\.\d+)*(?:(?:a|b|rc)\d+)?"
_WINDOWS = re.compile(r"windows|nanoserver|servercore|ltsc", re.I)
#: The eclipse-temurin releases with `-jre` images (the LTS lines).
TEMURIN_JRE = frozenset({"8", "11", "17", "21", "25"})


@dataclass(frozen=True)
class Minimal:
    """A full image's minimal counterpart.

    `tag` is the tag to swap to (None when no same-image tag exists and only `suggestion` is
    given); `lacks` says in words what the minimal image does not have; `kind` names the family
    for the stage checks ("buildpack", "debian", "jdk", "golang")."""

    family: str
    kind: str
    tag: str | None
    suggestion: str
    lacks: str


def minimal_variant(key: str, ref: ImageRef) -> Minimal | None:
    """The minimal variant of a full image, or None when the image is already minimal (slim,
    alpine, distroless, scratch), is not a known full image, or is a Windows image."""
    tag = ref.tag or "latest"
    if _WINDOWS.search(tag) or re.search(r"distroless|jre|chiseled|onbuild", tag, re.I):
        return None
    if key in ("eclipse-temurin", "openjdk"):
        return _temurin(tag) if key == "eclipse-temurin" else _openjdk(tag)
    if re.search(r"slim|alpine", tag, re.I):
        return None
    if key == "python":
        new = _python_tag(tag)
        return None if new is None else _make("python", "buildpack", key, new, _BUILDPACK_LACKS)
    if key == "node":
        new = _node_tag(tag)
        return None if new is None else _make("node", "buildpack", key, new, _BUILDPACK_LACKS)
    if key == "debian":
        return _debian(tag)
    if key == "golang":
        return Minimal(
            "golang",
            "golang",
            None,
            "build the binary in a builder stage and copy it into `gcr.io/distroless/static-debian12` "
            "(`cc-debian12` for cgo)",
            "the Go toolchain, which a compiled binary does not need to run",
        )
    return None


_BUILDPACK_LACKS = (
    "compilers, headers (libpq-dev, libssl-dev...), curl, wget, git and other buildpack-deps tools"
)


def _make(family: str, kind: str, key: str, tag: str, lacks: str) -> Minimal:
    return Minimal(family, kind, tag, f"`{key}:{tag}`", lacks)


def _python_tag(tag: str) -> str | None:
    if tag == "latest":
        return "slim"
    m = re.fullmatch(rf"({_VERSION})(?:-({_CODENAMES}))?", tag)
    if m:
        return f"{m.group(1)}-slim" + (f"-{m.group(2)}" if m.group(2) else "")
    m = re.fullmatch(rf"({_CODENAMES})", tag)
    return f"slim-{m.group(1)}" if m else None


def _node_tag(tag: str) -> str | None:
    if tag == "latest":
        return "slim"
    if re.fullmatch(rf"(?:{_VERSION}|lts|current|{_NODE_LTS})(?:-(?:{_CODENAMES}))?|(?:{_CODENAMES})", tag):
        return f"{tag}-slim"
    return None


def _debian(tag: str) -> Minimal | None:
    lacks = "documentation, man pages and translations (dpkg path exclusions)"
    if tag == "latest":
        return Minimal("debian", "debian", None, "`debian:stable-slim`", lacks)
    names = rf"\d+(?:\.\d+)?|{_CODENAMES}|stable|oldstable|oldoldstable|testing|unstable|sid"
    if re.fullmatch(rf"(?:{names})(?:-\d{{8}})?", tag):
        return _make("debian", "debian", "debian", f"{tag}-slim", lacks)  # `bookworm-20240110-slim` too
    return None


def _temurin(tag: str) -> Minimal | None:
    m = re.fullmatch(r"(\d+)((?:[.u][\w.+]*)?)(?:-jdk)?((?:-[a-z]+)?)", tag)
    lacks = "the JDK's tools (javac, jar, jlink, jcmd, jmap...)"
    if not m or m.group(1) not in TEMURIN_JRE or ("jdk" not in tag and m.group(2)):
        return None
    rest = m.group(3)
    new = f"{m.group(1)}{m.group(2)}-jre{rest}"
    return _make("eclipse-temurin", "jdk", "eclipse-temurin", new, lacks)


def _openjdk(tag: str) -> Minimal | None:
    m = re.fullmatch(r"(\d+)(?:-jdk)?(-slim)?(?:-[a-z]+)?", tag)
    if not m:
        return None
    lacks = "the JDK's tools (javac, jar, jlink, jcmd, jmap...)"
    major = m.group(1)
    if major in ("8", "11") and re.fullmatch(r"\d+(?:-jdk)?(?:-slim)?", tag):
        return _make("openjdk", "jdk", "openjdk", f"{major}-jre{m.group(2) or ''}", lacks)
    if major == "8" and re.fullmatch(r"8(?:-jdk)?-alpine", tag):
        return _make("openjdk", "jdk", "openjdk", "8-jre-alpine", lacks)
    if major in ("8", "11"):
        return Minimal(
            "openjdk", "jdk", None, f"`openjdk:{major}-jre` or `eclipse-temurin:{major}-jre`", lacks
        )
    if int(major) >= 8:
        jre = major if major in TEMURIN_JRE else "a supported release's"
        return Minimal(
            "openjdk", "jdk", None, f"`eclipse-temurin:{jre}-jre` (openjdk has no JRE tags after 11)", lacks
        )
    return None
