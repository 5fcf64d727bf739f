"""Shared helpers for the user/privilege (HF1xx) and base-image (HF2xx) rules.

- stage chains (`FROM builder` inherits builder's USER, EXPOSE and base image);
- shell scripts of RUN instructions (shell form, exec form `sh -c`, heredoc scripts, ONBUILD)
  with a map back to file offsets;
- what a base image is known to ship (family, an existing non-root user, a non-root default);
- users created or modified by the Dockerfile itself (`useradd`, `adduser`, `groupadd`, ...);
- keyword case of the file, so inserted instructions look like their neighbours.

Everything here is pure and never raises on odd input.
"""

from __future__ import annotations

import posixpath
import re
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from hardenify.dockerfile.model import (
    Dockerfile,
    Instruction,
    Stage,
    _iter_words,
    arg_pairs,
    env_pairs,
    split_words,
    substitute,
    unquote,
)
from hardenify.dockerfile.shell import Command, tokenize
from hardenify.imageref import ImageRef, try_parse_ref
from hardenify.knowledge import images as image_facts
from hardenify.knowledge import programs
from hardenify.knowledge.bases import (
    ALPINE_USERS,
    CHAINGUARD_USERS,
    DEBIAN_USERS,
    DISTROLESS_USERS,
    NONROOT_UID,
)

# ------------------------------------------------------------------------------- stage chains


def word_spans(s: str) -> list[tuple[str, int, int]]:
    """Raw (quoted) words of an argument string with their [start, end) spans."""
    # The model's word splitter is private; suggested core change: make it public.
    return _iter_words(s)


def stage_names(df: Dockerfile, before: int | None = None) -> set[str]:
    """Lower-cased names of the stages defined before stage index `before` (all when None)."""
    return {s.name.lower() for s in df.stages if s.name and (before is None or s.index < before)}


# BuildKit's automatic platform ARGs are usable in FROM without a global ARG. Only the OS is
# certain for the Linux images these rules check (`FROM binaries-$TARGETOS` → binaries-linux).
PLATFORM_ARGS: dict[str, str | None] = {"TARGETOS": "linux", "BUILDOS": "linux"}


def parent_stage(df: Dockerfile, stage: Stage) -> Stage | None:
    """The earlier stage a `FROM <name>` builds on, or None when it starts from an image."""
    image = stage.image.lower()
    if not image or "$" in image:
        image = substitute(stage.image, {**PLATFORM_ARGS, **df.global_args}).lower()
    for other in reversed(df.stages[: stage.index]):
        if other.name and other.name.lower() == image:
            return other
    return None


def stage_chain(df: Dockerfile, stage: Stage) -> list[Stage]:
    """The stage and its ancestors, root (the one FROM an image) first."""
    chain = [stage]
    seen = {stage.index}
    cur = stage
    while True:
        parent = parent_stage(df, cur)
        if parent is None or parent.index in seen:
            break
        chain.append(parent)
        seen.add(parent.index)
        cur = parent
    chain.reverse()
    return chain


def chain_instructions(df: Dockerfile, stage: Stage) -> list[Instruction]:
    """Instructions of the stage and its ancestors, in build order (FROM lines excluded)."""
    out: list[Instruction] = []
    for st in stage_chain(df, stage):
        out.extend(st.instructions)
    return out


def root_image(df: Dockerfile, stage: Stage) -> str:
    """The image the stage chain starts from, ARG defaults substituted."""
    return stage_chain(df, stage)[0].resolved_image


def stage_env(df: Dockerfile, stage: Stage, upto: Instruction | None = None) -> dict[str, str | None]:
    """Global ARG defaults plus ARG/ENV values set in the chain before `upto` (a best guess)."""
    env: dict[str, str | None] = dict(df.global_args)
    for ins in chain_instructions(df, stage):
        if upto is not None and ins is upto:
            break
        if ins.cmd == "ARG":
            for name, value in arg_pairs(ins):
                if value is not None:
                    env[name] = substitute(value, env)
                elif name not in env:
                    env[name] = None
        elif ins.cmd == "ENV":
            for key, value, _, _ in env_pairs(ins):
                env[key] = substitute(value, env)
    return env


# ------------------------------------------------------------------------------------ scripts


class Script:
    """Shell text run by an instruction, and how to map an index in it to a file offset.

    Scripts are cached on their instruction (`run_scripts`), so they refer back to it weakly:
    a strong reference would make every parsed file a cycle that only the cyclic GC frees.
    """

    __slots__ = ("_commands", "_ins", "fixed", "offset", "text")

    def __init__(
        self,
        text: str,
        ins: Instruction,
        offset: Callable[[int], int],
        fixed: tuple[int, int] | None = None,
    ) -> None:
        self.text = text
        self._ins = weakref.ref(ins)
        self.offset = offset
        # For scripts inside one word (`sh -c "..."`, exec form): the span every finding gets.
        self.fixed = fixed
        self._commands: list[Command] | None = None

    @property
    def ins(self) -> Instruction:
        ins = self._ins()
        if ins is None:
            raise ReferenceError("the instruction of this script is gone (keep its Dockerfile alive)")
        return ins

    def commands(self) -> list[Command]:
        """The script's commands (shared by every caller: read-only)."""
        if self._commands is None:
            self._commands = tokenize(_script_lines(self.text))
        return self._commands

    def span(self, start: int, end: int) -> tuple[int, int]:
        if self.fixed is not None:
            return self.fixed
        s = self.offset(start)
        e = self.offset(end)
        return (s, max(e, s))

    def __repr__(self) -> str:
        return f"Script(text={self.text!r}, fixed={self.fixed!r})"


SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"})
_HEREDOC_WORD = re.compile(r"^\d*<<-?")


def _script_lines(text: str) -> str:
    """Make newlines separate commands for `tokenize` (which treats them as blanks).

    Unquoted, unescaped newlines become `;` and comments become spaces, so every offset is kept.
    """
    if "\n" not in text:
        return text
    out = list(text)
    quote = ""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if quote:
            if c == quote:
                quote = ""
            elif c == "\\" and quote == '"':
                i += 1
        elif c in "'\"":
            quote = c
        elif c == "\\":
            i += 1
        elif c == "#" and (i == 0 or text[i - 1] in " \t\n;&|("):
            while i < n and text[i] != "\n":
                out[i] = " "
                i += 1
            continue
        elif c == "\n":
            out[i] = ";"
        i += 1
    return "".join(out)


RESERVED = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "fi", "done"})


def program_index(cmd: Command) -> int:
    """Index of the program word: skips shell reserved words, then `Command.program_index`'s
    assignments and wrappers (`then chmod 777 x` runs chmod). Once per command."""
    return cmd.cached("users.program_index", lambda: _program_index(cmd))


def _program_index(cmd: Command) -> int:
    k = 0
    while k < len(cmd.words) and cmd.words[k].value in RESERVED and cmd.words[k].raw == cmd.words[k].value:
        k += 1
    if k == 0:
        return cmd.program_index()
    rest = Command(cmd.words[k:], cmd.before, cmd.after)
    return k + rest.program_index()


def _shifted(base: int) -> Callable[[int], int]:
    return lambda i: base + i


def _const(pos: int) -> Callable[[int], int]:
    return lambda _i: pos


def run_scripts(ins: Instruction, *, onbuild: bool = True) -> list[Script]:
    """The shell scripts a RUN (or ONBUILD RUN) executes, nested `sh -c '...'` included.

    Computed once per instruction (the HF1xx rules all ask): treat the list as read-only."""
    key = "users.run_scripts" if onbuild else "users.run_scripts.direct"
    return ins.cached(key, lambda: _run_scripts(ins, onbuild=onbuild))


def _run_scripts(ins: Instruction, *, onbuild: bool) -> list[Script]:
    if ins.cmd == "ONBUILD":
        if onbuild and ins.sub is not None and ins.sub.cmd == "RUN":
            return run_scripts(ins.sub, onbuild=False)
        return []
    if ins.cmd != "RUN":
        return []
    out: list[Script] = []
    if ins.json is not None:
        argv = ins.json
        shell = argv[0].rsplit("/", 1)[-1] if argv else ""
        whole = (ins.arg_src(0), ins.content_end)
        if len(argv) >= 3 and shell in SHELLS and argv[1] in ("-c", "-ec", "-xc", "-exc"):
            out.append(Script(argv[2], ins, _const(ins.arg_src(0)), whole))
        elif argv:
            # An exec form without a shell: one command, words quoted so tokenize keeps them.
            text = " ".join(_shell_quote(a) for a in argv)
            out.append(Script(text, ins, _const(ins.arg_src(0)), whole))
        return out
    args = ins.args
    top = Script(args, ins, ins.arg_mapper())
    out.append(top)
    cmds = top.commands()
    # Heredoc bodies are scripts when the heredoc is the command itself (`RUN <<EOF`) or
    # is fed to a shell (`RUN bash <<EOF`); otherwise they are data (`RUN cat <<EOF >f`).
    if ins.heredocs and cmds:
        first = cmds[0]
        words = first.words
        is_script = bool(words) and (
            _HEREDOC_WORD.match(words[0].raw) is not None
            or (first.program() in SHELLS and any(_HEREDOC_WORD.match(w.raw) for w in words[1:]))
        )
        if is_script:
            out.append(Script(ins.heredocs[0].content, ins, _shifted(ins.heredocs[0].start)))
    # One level of `sh -c "..."` nesting.
    for script in list(out):
        for cmd in script.commands():
            pi = program_index(cmd)
            if pi >= len(cmd.words) or cmd.words[pi].value.rsplit("/", 1)[-1] not in SHELLS:
                continue
            args_ = cmd.words[pi + 1 :]
            for j, w in enumerate(args_):
                if w.value.startswith("-") and "c" in w.value[1:] and not w.value.startswith("--"):
                    if j + 1 < len(args_):
                        inner = args_[j + 1]
                        span = script.span(inner.start, inner.end)
                        out.append(Script(inner.value, ins, _const(span[0]), span))
                    break
    return out


def _shell_quote(s: str) -> str:
    if s and re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", s):
        return s
    return "'" + s.replace("'", "'\\''") + "'"


def all_commands(instructions: list[Instruction]) -> Iterator[tuple[Script, Command]]:
    for ins in instructions:
        for script in run_scripts(ins):
            for cmd in script.commands():
                yield script, cmd


def command_words(cmd: Command) -> list[str]:
    """The program name (basename) and its arguments (once per command: read-only)."""
    return cmd.cached("users.command_words", lambda: _command_words(cmd))


def _command_words(cmd: Command) -> list[str]:
    i = program_index(cmd)
    if i >= len(cmd.words):
        return []
    return [cmd.words[i].value.rsplit("/", 1)[-1]] + [w.value for w in cmd.words[i + 1 :]]


# ------------------------------------------------------------------------------- base images


@dataclass(frozen=True)
class Base:
    """What hardenify knows about a base image."""

    family: str  # debian | alpine | rhel | rhel-minimal | distroless | scratch | windows | unknown
    image: str = ""
    user: str | None = None  # "uid:gid" of a non-root user the image already ships
    user_name: str | None = None
    nonroot_default: bool = False  # the image already runs as a non-root user
    no_fix: str | None = None  # why adding a USER would break the image
    known_users: dict[str, str] = field(default_factory=dict)  # name → "uid:gid", certain


DISTRO_CODENAMES = (
    "bookworm",
    "bullseye",
    "buster",
    "stretch",
    "trixie",
    "sid",
    "jessie",
    "jammy",
    "focal",
    "noble",
    "bionic",
    "xenial",
    "trusty",
    "lunar",
    "mantic",
    "oracular",
    "plucky",
)
DEBIAN_CODENAMES = ("slim", *DISTRO_CODENAMES)
DEBIAN_NAMES = frozenset(
    {
        "debian",
        "ubuntu",
        "python",
        "golang",
        "ruby",
        "php",
        "rust",
        "perl",
        "buildpack-deps",
        "pypy",
        "elixir",
        "erlang",
        "haskell",
        "julia",
        "r-base",
        "gcc",
        "clojure",
        "swift",
        "eclipse-temurin",
        "maven",
        "gradle",
        "sapmachine",
        "ibm-semeru-runtimes",
        "groovy",
        "ros",
        "neurodebian",
        "node",
        "adoptopenjdk",
        "dart",
    }
)
RHEL_NAMES = frozenset({"fedora", "centos", "rockylinux", "almalinux", "oraclelinux"})
DIND = programs.DIND
# Official images whose entrypoint starts as root to bind a privileged port, fix ownership of a
# data volume or drop privileges itself (gosu/su-exec): a USER line breaks them.
DAEMON_IMAGES = {
    "nginx": "nginx binds port 80 and writes /var/cache/nginx as root; use "
    "`nginxinc/nginx-unprivileged` (port 8080, user 101) instead",
    "httpd": "httpd binds port 80 as root and drops to `daemon` itself",
    "postgres": "the postgres entrypoint fixes data-directory ownership as root and drops to `postgres` "
    "with gosu",
    "mysql": "the mysql entrypoint drops to `mysql` with gosu after fixing ownership",
    "percona": "the percona entrypoint drops to `mysql` after fixing ownership",
    "mariadb": "the mariadb entrypoint drops to `mysql` with gosu after fixing ownership",
    "mongo": "the mongo entrypoint drops to `mongodb` with gosu after fixing ownership",
    "redis": "the redis entrypoint drops to `redis` with gosu after fixing ownership",
    "rabbitmq": "the rabbitmq entrypoint drops to `rabbitmq` with gosu",
    "elasticsearch": "the elasticsearch entrypoint manages its own user",
    "cassandra": "the cassandra entrypoint drops to `cassandra` with gosu",
    "couchdb": "the couchdb entrypoint drops to `couchdb` with gosu",
    "wordpress": "the wordpress image runs Apache, which binds port 80 as root",
    "drupal": "the drupal image runs Apache, which binds port 80 as root",
    "joomla": "the joomla image runs Apache, which binds port 80 as root",
    "nextcloud": "the nextcloud image runs Apache, which binds port 80 as root",
    "ghost": "the ghost entrypoint drops to `node` with gosu",
    "tomcat": "tomcat writes logs/, work/ and temp/ under CATALINA_HOME, owned by root",
    "docker": DIND,
    "redmine": "the redmine entrypoint fixes ownership as root and drops to `redmine` with gosu",
}
# Images that became non-root by default at some version: `base_info` decides them by tag.
_VERSIONED_NONROOT = frozenset({"docker.elastic.co/elasticsearch/elasticsearch", "elasticsearch"})
_MIRRORS = ("public.ecr.aws/docker/library/", "mirror.gcr.io/library/", "docker.io/library/")


def official_name(ref: ImageRef) -> str | None:
    """`python` for docker.io/library/python and well-known mirrors of it; else None."""
    if ref.registry == "docker.io" and ref.path.startswith("library/"):
        return ref.path[len("library/") :]
    full = f"{ref.registry}/{ref.path}"
    for m in _MIRRORS:
        if full.startswith(m):
            rest = full[len(m) :]
            return rest if "/" not in rest else None
    return None


def _major(tag: str) -> int | None:
    m = re.match(r"(\d+)", tag)
    return int(m.group(1)) if m else None


_TEMPLATE = re.compile(r"%%[^%]*%%|\$\{[^}]*\}|\$[A-Za-z_]\w*|\{\{[^}]*\}\}")


def _parse_loose(low: str) -> tuple[ImageRef, bool] | None:
    """Parse a reference whose tag (or digest) is a template placeholder or invalid.

    `debian:%%TAG%%`, `php:${PHP_VERSION}-apache`, `python:3.12@sha256:abc` still name a known
    repository; only the tag is unknown. Returns the reference and whether its tag is known.
    """
    # Placeholders may contain ':' (`${templateOption:imageVariant}`): mask them first.
    masked = _TEMPLATE.sub("\x00", low).split("@", 1)[0]
    name, tag = masked, ""
    if ":" in masked.rsplit("/", 1)[-1]:
        name, tag = masked.rsplit(":", 1)
    if not name or "\x00" in name or "%" in name or "$" in name:
        return None
    tag_known = bool(tag) and "\x00" not in tag and "%" not in tag and "$" not in tag
    ref = try_parse_ref(f"{name}:{tag}" if tag_known else name)
    if ref is None and tag_known:
        ref, tag_known = try_parse_ref(name), False
    return (ref, tag_known) if ref is not None else None


# Official images whose entrypoint drops from root to a service user that the image creates
# with fixed ids: name → (user, ids on Debian/Ubuntu/Oracle variants, ids on Alpine variants,
# the oldest version tag known to pin those ids). Older tags created the user without an id.
SERVICE_USERS: dict[str, tuple[str, str | None, str | None, tuple[int, ...]]] = {
    "postgres": ("postgres", "999:999", "70:70", (9,)),
    "redis": ("redis", "999:999", "999:1000", (5,)),
    "mongo": ("mongodb", "999:999", None, (4, 4)),
    "mysql": ("mysql", "999:999", None, (8,)),
    "mariadb": ("mysql", "999:999", None, (10, 4)),
    "percona": ("mysql", None, None, ()),
    "rabbitmq": ("rabbitmq", "999:999", "100:101", (3, 7)),
    "cassandra": ("cassandra", "999:999", None, (3,)),
    "elasticsearch": ("elasticsearch", None, None, ()),
    "ghost": ("node", "1000:1000", "1000:1000", ()),
    "redmine": ("redmine", None, None, ()),
}
# Registries/paths of the Dev Containers images: every variant runs its tools as a non-root
# user with uid/gid 1000 (`vscode`; `node` on the Node.js ones; `codespace` on universal).
_DEVCONTAINERS = re.compile(r"(?:mcr\.microsoft\.com|devcon\.azurecr\.io/public)/(?:vscode/)?devcontainers/")


def version_at_least(tag: str, minimum: tuple[int, ...]) -> bool:
    """Whether a tag names `minimum` or later; floating tags (`latest`, `alpine`) are current."""
    m = re.match(r"v?(\d+(?:\.\d+)*)", tag)
    if m is None:
        return not any(ch.isdigit() for ch in tag.split("-")[0])
    parts = tuple(int(x) for x in m.group(1).split("."))
    return parts[: len(minimum)] >= minimum


def base_info(image: str) -> Base:
    """Classify a (resolved) base image reference. Unknown is the safe default."""
    low = image.strip().lower()
    if low == "scratch":
        return Base("scratch", low)
    if not low:
        return Base("unknown", low)
    ref = try_parse_ref(low) if "$" not in low and "%" not in low else None
    tag_known = True
    if ref is None:
        loose = _parse_loose(low)
        if loose is None:
            return Base("unknown", low)
        ref, tag_known = loose
    tag = (ref.tag or "latest").lower() if tag_known else ""
    full = f"{ref.registry}/{ref.path}"
    off = official_name(ref)
    hub = ref.path if ref.registry == "docker.io" else None

    if any(k in tag for k in ("windowsservercore", "nanoserver", "ltsc")) or "windows" in full:
        return Base("windows", low)
    if full.startswith("cgr.dev/"):
        # Chainguard images ship `nonroot` (65532) and, but for the wolfi/chainguard bases,
        # run as it by default.
        name = ref.path.rsplit("/", 1)[-1]
        root_default = name in ("chainguard-base", "wolfi-base") or ref.path.startswith("chainguard-private/")
        return Base(
            "wolfi",
            low,
            user=NONROOT_UID,
            user_name="nonroot",
            nonroot_default=not root_default,
            known_users=dict(CHAINGUARD_USERS),
        )
    # Already non-root by default.
    if (
        "nonroot" in tag
        or "nginx-unprivileged" in full
        or (hub is not None and hub.startswith("bitnami/") and hub != "bitnami/minideb")
        or (hub is not None and hub.startswith("gitpod/workspace-"))
        or re.match(r"docker\.elastic\.co/(?:kibana/kibana|logstash/logstash)(?:-oss)?$", full) is not None
        or (full.startswith("mcr.microsoft.com/dotnet/") and ("chiseled" in tag or "distroless" in tag))
    ):
        return Base("nonroot", low, nonroot_default=True)
    key = off or hub or full
    if key not in _VERSIONED_NONROOT and image_facts.nonroot_default(key, tag):
        return Base("nonroot", low, nonroot_default=True)
    if re.match(r"registry\.access\.redhat\.com/ubi\d+/|docker\.io/redhat/ubi\d+", full) and not re.search(
        r"/ubi\d*(?:-minimal|-micro|-init)?$", full
    ):
        # Red Hat language/s2i images (ubi9/python-312, ubi8/nodejs-20, ubi9/openjdk-17...)
        return Base("nonroot", low, nonroot_default=True)
    # Distroless: every variant ships nonroot (65532) and nobody (65534).
    if ref.registry == "gcr.io" and ref.path.startswith("distroless/"):
        return Base(
            "distroless", low, user=NONROOT_UID, user_name="nonroot", known_users=dict(DISTROLESS_USERS)
        )
    alpine_tag = "alpine" in tag
    if _DEVCONTAINERS.match(full):
        fam = "alpine" if alpine_tag else ("debian" if tag_known else "unknown")
        return Base(
            fam,
            low,
            user="1000:1000",
            user_name="the Dev Containers user",
            known_users=dict(ALPINE_USERS if alpine_tag else DEBIAN_USERS),
        )
    if off == "node":
        fam = "alpine" if alpine_tag else ("debian" if tag_known else "unknown")
        users = dict(ALPINE_USERS if alpine_tag else DEBIAN_USERS) if tag_known else {}
        if not version_at_least(tag, (4,)):
            # 0.x tags (node 0.8-0.12, io.js era) predate the image's `node` user.
            return Base(fam, low, known_users=users)
        users["node"] = "1000:1000"
        return Base(fam, low, user="1000:1000", user_name="node", known_users=users)
    if full.startswith("mcr.microsoft.com/dotnet/"):
        fam = "alpine" if alpine_tag else "debian"
        major = _major(tag)
        if major is not None and major >= 8:
            return Base(fam, low, user="1654:1654", user_name="app", known_users={"app": "1654:1654"})
        return Base(fam, low) if tag_known else Base("unknown", low)
    if full.startswith("mcr.microsoft.com/azure-functions/"):
        return Base("debian", low, known_users=dict(DEBIAN_USERS))  # every variant is Debian-based
    if hub is not None and hub.startswith("tiangolo/"):
        # tiangolo's images build on the official python images (Debian unless `-alpine`).
        if not tag_known:
            return Base("unknown", low)
        return (
            Base("alpine", low, known_users=dict(ALPINE_USERS))
            if alpine_tag
            else Base("debian", low, known_users=dict(DEBIAN_USERS))
        )
    if re.match(r"(?:ghcr\.io|lscr\.io|docker\.io)/linuxserver/", full):
        return Base(
            "unknown",
            low,
            no_fix="linuxserver.io images start s6-overlay as root and drop to `abc` "
            "themselves: set PUID/PGID instead of a USER",
        )
    if re.match(r"[a-z0-9-]+-docker\.pkg\.dev/cloud-workstations-images/", full):
        return Base(
            "unknown",
            low,
            no_fix="Cloud Workstations images must start as root (their entrypoint "
            "runs sshd and the IDE as `user`)",
        )
    if hub == "photoprism/photoprism":
        # PhotoPrism's images create users for uids 50-99, 500-600 and 900-1200 and document running
        # them as `user: "1000:1000"` once initialised.
        return Base("unknown", low, user="1000:1000", user_name="PhotoPrism's documented non-root user")
    if full == "docker.elastic.co/elasticsearch/elasticsearch":
        # Elastic's images run Elasticsearch as 1000:0; 8.x sets `USER 1000:0`, older ones start as
        # root and their entrypoint skips the switch when it is not root.
        if tag_known and version_at_least(tag, (8,)) and any(ch.isdigit() for ch in tag):
            return Base("nonroot", low, nonroot_default=True)
        return Base(
            "unknown", low, user="1000:0", user_name="elasticsearch", known_users={"elasticsearch": "1000:0"}
        )
    if off is not None:
        return _official(off, low, tag, tag_known)
    if hub == "bitnami/minideb":
        return Base("debian", low, known_users=dict(DEBIAN_USERS))
    m = re.match(
        r"(?:registry\.access\.redhat\.com|docker\.io/redhat)/ubi\d+(?:/ubi)?(-minimal|-micro|-init)?$", full
    )
    if m:
        return Base("rhel-minimal" if m.group(1) in ("-minimal", "-micro") else "rhel", low)
    if full in ("quay.io/centos/centos", "docker.io/rockylinux/rockylinux", "quay.io/fedora/fedora"):
        return Base("rhel-minimal" if "minimal" in tag else "rhel", low)
    return Base("unknown", low)


def _docker_cli(tag: str) -> bool:
    """Whether a `docker` image tag is the CLI (client only): `-cli`/`-git`, or a bare version
    before 20.10, when the bare tags were the CLI and `-dind` the daemon."""
    words = set(re.split(r"[^a-z0-9.]+", tag))
    if "dind" in words or not tag:
        return False
    if words & {"cli", "git"}:
        return True
    m = re.match(r"(\d+)\.(\d+)", tag)
    return m is not None and (int(m.group(1)), int(m.group(2))) < (20, 10)


def _official(name: str, low: str, tag: str, tag_known: bool) -> Base:
    """`base_info` for Docker official images (`tag` is "" when it is a placeholder)."""
    alpine_tag = "alpine" in tag
    if name == "hello-world":
        return Base("scratch", low)  # one static binary on scratch
    if name == "docker" and _docker_cli(tag):
        return Base("alpine", low, known_users=dict(ALPINE_USERS))
    if name in DAEMON_IMAGES:
        users: dict[str, str] = {}
        service = SERVICE_USERS.get(name)
        if tag_known and service is not None and version_at_least(tag, service[3]):
            ids = service[2] if alpine_tag else service[1]
            if ids is not None:
                users[service[0]] = ids
        return Base("unknown", low, no_fix=DAEMON_IMAGES[name], known_users=users)
    if name == "php" and "apache" in tag:
        return Base(
            "debian",
            low,
            no_fix="the php Apache variant binds port 80 as root and drops to `www-data` itself",
            known_users=dict(DEBIAN_USERS),
        )
    if alpine_tag or name in ("alpine", "busybox"):
        return Base("alpine", low, known_users=dict(ALPINE_USERS))
    if name == "amazonlinux" or name == "amazoncorretto" or "al2" in tag:
        return Base("rhel-minimal", low)
    if "ubi" in tag:
        return Base("rhel-minimal" if "minimal" in tag or "micro" in tag else "rhel", low)
    if name in RHEL_NAMES:
        # oraclelinux `-slim` keeps shadow-utils (the mysql image runs useradd on it).
        return Base("rhel-minimal" if "minimal" in tag else "rhel", low)
    if name == "openjdk":
        if tag_known and (any(c in tag for c in DEBIAN_CODENAMES) or _major(tag) in (8, 11)):
            return Base("debian", low, known_users=dict(DEBIAN_USERS))
        return Base("unknown", low)  # openjdk:17+ defaults to Oracle Linux slim (no useradd)
    # debian, ubuntu and buildpack-deps have no Alpine variant: a placeholder tag is fine.
    if name in ("debian", "ubuntu", "buildpack-deps") or (
        tag_known and (name in DEBIAN_NAMES or any(c in tag for c in DEBIAN_CODENAMES))
    ):
        return Base("debian", low, known_users=dict(DEBIAN_USERS))
    return Base("unknown", low)


# ----------------------------------------------------------------------- users in the Dockerfile


@dataclass
class CreatedUser:
    """A user the build creates. Ids are digits, or a variable (`${APP_UID}`) when the build takes
    them from one: a build argument can change it, so it is never replaced by its default."""

    name: str
    uid: str | None = None
    gid: str | None = None  # numeric (or a variable) when known
    supplementary: bool = False


@dataclass
class UserDb:
    users: dict[str, CreatedUser] = field(default_factory=dict)
    groups: dict[str, str | None] = field(default_factory=dict)
    modified: bool = False  # usermod/groupmod/userdel, or /etc/passwd written directly


_NUM = re.compile(r"^\d+$")
# useradd/groupadd short options that take a value
_USERADD_VALUE = set("bcdefgGkKpPRuZ")
_GROUPADD_VALUE = set("gKpRP")
_BB_ADDUSER_VALUE = set("hgsGuk")
_BB_ADDGROUP_VALUE = set("g")


def _parse_opts(args: list[str], value_short: set[str]) -> tuple[dict[str, str], list[str]]:
    """Parse getopt-style options: {"-u": "1000", "--uid": "1000", "-r": ""}, positionals."""
    opts: dict[str, str] = {}
    pos: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            pos.extend(args[i + 1 :])
            break
        if a.startswith("--"):
            name, sep, val = a.partition("=")
            if sep:
                opts[name] = val
            elif name in _LONG_WITH_VALUE and i + 1 < len(args):
                opts[name] = args[i + 1]
                i += 1
            else:
                opts[name] = ""
        elif a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                c = a[j]
                if c in value_short:
                    rest = a[j + 1 :]
                    if rest:
                        opts["-" + c] = rest
                    elif i + 1 < len(args):
                        opts["-" + c] = args[i + 1]
                        i += 1
                    else:
                        opts["-" + c] = ""
                    break
                opts["-" + c] = ""
                j += 1
        else:
            pos.append(a)
        i += 1
    return opts, pos


_LONG_WITH_VALUE = frozenset(
    {
        "--uid",
        "--gid",
        "--groups",
        "--home-dir",
        "--home",
        "--shell",
        "--comment",
        "--gecos",
        "--skel",
        "--key",
        "--expiredate",
        "--inactive",
        "--password",
        "--base-dir",
        "--selinux-user",
        "--root",
        "--prefix",
        "--ingroup",
        "--firstuid",
        "--lastuid",
        "--firstgid",
        "--lastgid",
        "--conf",
        "--extrausers",
        "--add_extra_groups",
        "--add-extra-groups",
    }
)
_READERS = frozenset({"cat", "grep", "getent", "head", "tail", "ls", "test", "[", "stat", "id"})
_USER_TOOLS = frozenset({"usermod", "groupmod", "userdel", "groupdel", "deluser", "delgroup", "vipw"})


def user_db(instructions: list[Instruction], env: dict[str, str | None] | None = None) -> UserDb:
    """Users and groups the instructions create, with their ids when given explicitly."""
    db = UserDb()
    env = env or {}

    def num(v: str | None) -> str | None:
        if v is None:
            return None
        if _NUM.match(v):
            return v
        return id_variable(v)

    def group_gid(g: str | None) -> str | None:
        if g is None:
            return None
        if _NUM.match(g) or g.startswith("${"):
            return g
        return db.groups.get(g)

    for ins in instructions:
        if ins.cmd in ("COPY", "ADD") and re.search(r"/etc/(?:passwd|group|shadow)\b|\s/etc/?\s*$", ins.args):
            db.modified = True
        for _script, cmd in all_commands([ins]):
            words = command_words(cmd)
            if not words:
                continue
            prog, args = words[0], words[1:]
            writes_db = any("/etc/passwd" in a or "/etc/group" in a for a in args) and prog not in _READERS
            if prog in _USER_TOOLS or writes_db:
                db.modified = True
            elif prog == "groupadd":
                opts, pos = _parse_opts(args, _GROUPADD_VALUE)
                if pos:
                    db.groups[pos[-1]] = num(opts.get("-g") or opts.get("--gid"))
            elif prog == "addgroup":
                long_form = any(a.startswith("--") for a in args)
                opts, pos = _parse_opts(args, set() if long_form else _BB_ADDGROUP_VALUE)
                if len(pos) == 1:
                    db.groups[pos[0]] = num(opts.get("-g") or opts.get("--gid"))
            elif prog == "useradd":
                opts, pos = _parse_opts(args, _USERADD_VALUE)
                if not pos:
                    continue
                name = pos[-1]
                g = opts.get("-g") or opts.get("--gid")
                gid = group_gid(num(g) or g)
                if g is None and "-N" not in opts and "--no-user-group" not in opts:
                    gid = None  # a new group; its gid is chosen by useradd
                db.users[name] = CreatedUser(
                    name,
                    num(opts.get("-u") or opts.get("--uid")),
                    gid,
                    supplementary=bool(opts.get("-G") or opts.get("--groups")),
                )
            elif prog == "adduser":
                long_form = any(a.startswith("--") for a in args)
                opts, pos = _parse_opts(args, set() if long_form else _BB_ADDUSER_VALUE)
                if len(pos) != 1:
                    continue  # `adduser user group` adds an existing user to a group
                name = pos[0]
                if long_form:
                    uid = num(opts.get("--uid"))
                    g = opts.get("--gid") or opts.get("--ingroup")
                else:
                    uid = num(opts.get("-u"))
                    g = opts.get("-G")
                gid = group_gid(num(g) or g) if g else None
                db.users[name] = CreatedUser(name, uid, gid)
    return db


_ID_VAR = re.compile(r"\$(?:([A-Za-z_]\w*)|\{([A-Za-z_]\w*)((?::?[-+])[^}$]*)?\})")


def id_variable(value: str) -> str | None:
    """`${APP_UID}` for an id written as one variable (`$APP_UID`, `${APP_UID}`,
    `${APP_UID:-1000}`: the default is kept), else None. Never resolved to its default."""
    m = _ID_VAR.fullmatch(value)
    if m is None:
        return None
    if m.group(1):
        return "${" + m.group(1) + "}"
    return "${" + m.group(2) + (m.group(3) or "") + "}"


def is_variable_id(spec: str) -> bool:
    """Whether a `uid[:gid]` spec takes a part from a variable (so it is not a literal id)."""
    return "$" in spec


def user_spec(db: UserDb, name: str) -> str | None:
    """A numeric `uid[:gid]` equivalent to `USER name` for a user the Dockerfile created; the parts
    the build takes from variables stay variables (`${APP_UID}:${APP_GID}`)."""
    if db.modified:
        return None
    u = db.users.get(name)
    if u is None or u.uid is None:
        return None
    if u.gid is not None and not u.supplementary:
        return f"{u.uid}:{u.gid}"
    # The uid alone: the runtime takes the group (and supplementary groups) from /etc/passwd.
    return u.uid


def vars_in_scope(df: Dockerfile, stage: Stage, spec: str, at: Instruction | None) -> bool:
    """Whether every variable of a USER spec is defined in the final stage where the USER goes:
    an ARG declared in that stage (ARGs do not cross FROM) or an ENV of the stage chain."""
    names = set(re.findall(r"\$\{?([A-Za-z_]\w*)", spec))
    defined: set[str] = set()
    own = {id(i) for i in stage.instructions}
    for ins in chain_instructions(df, stage):
        if at is not None and ins is at:
            break
        if ins.cmd == "ENV":
            defined.update(k for k, _, _, _ in env_pairs(ins))
        elif ins.cmd == "ARG" and id(ins) in own:
            defined.update(n for n, _ in arg_pairs(ins))
    return names <= defined


def numeric_user(df: Dockerfile, stage: Stage, name: str, upto: Instruction | None = None) -> str | None:
    """The numeric form of `USER name` when it is certain, else None."""
    instructions = chain_instructions(df, stage)
    if upto is not None and upto in instructions:
        instructions = instructions[: instructions.index(upto)]
    db = user_db(instructions, stage_env(df, stage, upto))
    if db.modified:
        return None
    if name in db.users:
        return user_spec(db, name)
    base = base_info(root_image(df, stage))
    return base.known_users.get(name)


def numeric_group(df: Dockerfile, stage: Stage, group: str, upto: Instruction | None = None) -> str | None:
    """The numeric gid of a group name when it is certain, else None."""
    if group.isdigit():
        return group
    instructions = chain_instructions(df, stage)
    if upto is not None and upto in instructions:
        instructions = instructions[: instructions.index(upto)]
    db = user_db(instructions, stage_env(df, stage, upto))
    if db.modified:
        return None
    if group in db.groups:
        return db.groups[group]
    if group in db.users:
        return None
    # Well-known users of official images have a primary group of the same name and id.
    spec = base_info(root_image(df, stage)).known_users.get(group)
    if spec is None or group == "nobody" or ":" not in spec:
        return None
    return spec.split(":", 1)[1]


@dataclass(frozen=True)
class RootStart:
    """Why the image must start as root: `program` (gosu, supervisord, iptables...) found `where`."""

    program: str
    where: str
    network: bool = False  # a network tool needing CAP_NET_ADMIN, not a user switch

    def reason(self) -> str:
        if self.network:
            return (
                f"needs root because {self.where} {self.program}, which needs CAP_NET_ADMIN: keep it "
                "root and grant only that capability in compose/Kubernetes (`cap_add`, `cap_drop: [ALL]`)"
            )
        return (
            f"needs root because {self.where} {self.program}, which switches user itself: harden it in "
            "compose/Kubernetes instead (`cap_drop: [ALL]` plus the capabilities it needs, "
            "`no-new-privileges`)"
        )


# Dropper names that mean nothing else, so any word naming them (a download to
# /usr/local/bin/gosu, `chmod +x .../su-exec`, `gosu nobody true`) shows the image uses one.
_UNAMBIGUOUS = frozenset(
    {
        "gosu",
        "su-exec",
        "s6-setuidgid",
        "s6-applyuidgid",
        "chpst",
        "supervisord",
        "runsvdir",
        "s6-svscan",
        "my_init",
    }
)
_UNAMBIGUOUS_RE = re.compile(
    r"(?<![\w.-])(?:" + "|".join(re.escape(n) for n in sorted(_UNAMBIGUOUS)) + r"|s6-overlay)(?![\w-])"
)
_INSTALLERS = {
    "apt-get": "install",
    "apt": "install",
    "apk": "add",
    "yum": "install",
    "dnf": "install",
    "microdnf": "install",
    "tdnf": "install",
    "zypper": "install",
}


def effective_entry(instructions: list[Instruction]) -> list[str]:
    """The words of the last ENTRYPOINT and the last CMD of the chain, in that order."""
    out: list[str] = []
    for cmd in ("ENTRYPOINT", "CMD"):
        last = next((i for i in reversed(instructions) if i.cmd == cmd), None)
        if last is not None:
            out.extend(last.json if last.json is not None else split_words(last.args))
    return out


def root_start(instructions: list[Instruction], scripts: Sequence[tuple[str, str]] = ()) -> RootStart | None:
    """Why the image must start as root, if it must: its ENTRYPOINT/CMD (or the `scripts` they
    run, read from the build context: (path in the image, text)) call a privilege dropper, an init
    system, a supervisor, sshd or a network tool needing root, or the build installs one."""
    for word in effective_entry(instructions):
        found = programs.root_starter(word.strip())
        if found is not None:
            return RootStart(found, "the entrypoint runs", programs.is_network_tool(word))
    for path, text in scripts:
        found_s = script_root_start(text)
        if found_s is not None:
            name, network = found_s
            return RootStart(name, f"the entrypoint script {path} runs", network)
    return installed_root_start(instructions)


def drops_privileges(instructions: list[Instruction]) -> str | None:
    """The privilege dropper, init system or supervisor the image starts as root for, if any
    (the Dockerfile alone: no build context)."""
    found = root_start(instructions)
    return None if found is None or found.network else found.program


def script_root_start(text: str) -> tuple[str, bool] | None:
    """(program, is a network tool) for the first root-needing program a shell script runs."""
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    body = "\n".join(lines)
    m = _UNAMBIGUOUS_RE.search(body)
    if m is not None:
        word = m.group(0)
        return (programs.root_starter(word) or word), False
    for cmd in tokenize(_script_lines(body)):
        words = command_words(cmd)
        if not words:
            continue
        found = programs.root_starter(cmd.words[program_index(cmd)].value)
        if found is not None:
            return found, programs.is_network_tool(words[0])
    return None


def installed_root_start(instructions: list[Instruction]) -> RootStart | None:
    """A privilege dropper, supervisor, sshd or root-needing network tool the build installs."""
    for ins in instructions:
        copied = _UNAMBIGUOUS_RE.search(ins.args) if ins.cmd in ("COPY", "ADD") else None
        if copied is not None:
            return RootStart(copied.group(0), "the build installs")
        for _script, cmd in all_commands([ins]):
            words = command_words(cmd)
            if not words:
                continue
            prog = words[0]
            verb = _INSTALLERS.get(prog)
            if verb is not None and verb in words:
                for w in words[1:]:
                    name = re.split(r"[=<>~]", w, maxsplit=1)[0]
                    if name in programs.DROPPER_PACKAGES:
                        return RootStart(programs.DROPPER_PACKAGES[name], "the build installs")
                    if name in programs.NETWORK_ROOT_PACKAGES:
                        return RootStart(programs.NETWORK_ROOT_PACKAGES[name], "the build installs", True)
            if prog.startswith("pip") and "install" in words:
                for w in words[1:]:
                    name = re.split(r"[=<>~\[]", w, maxsplit=1)[0].lower()
                    if name in programs.PIP_DROPPERS:
                        return RootStart(programs.PIP_DROPPERS[name], "the build installs")
            for w in words:
                if any(n in w for n in ("gosu", "su-exec", "s6-", "chpst", "supervisord", "runsvdir")):
                    m = _UNAMBIGUOUS_RE.search(w)
                    if m is not None:
                        return RootStart(m.group(0), "the build installs")
    return None


# ------------------------------------------------------------------- what the image must have


# The package manager a build runs proves the distribution family it runs on.
PACKAGE_MANAGER_FAMILY = {
    "apt-get": "debian",
    "apt": "debian",
    "apk": "alpine",
    "yum": "rhel",
    "dnf": "rhel",
    "microdnf": "rhel-minimal",
}


def package_family(instructions: list[Instruction]) -> str | None:
    """The family whose package manager the instructions run, when they use exactly one family."""
    families = set()
    for _script, cmd in all_commands(instructions):
        words = command_words(cmd)
        if words and words[0] in PACKAGE_MANAGER_FAMILY:
            families.add(PACKAGE_MANAGER_FAMILY[words[0]])
    if families == {"rhel", "rhel-minimal"}:
        return "rhel-minimal"
    return families.pop() if len(families) == 1 else None


def tag_family(image: str) -> str | None:
    """The family a third-party image's tag names by convention (`-alpine`, `-bookworm`, `-ubuntu`)."""
    tag = image.lower().split("@", 1)[0].rsplit("/", 1)[-1].partition(":")[2]
    words = set(re.split(r"[^a-z0-9]+", tag))
    if "alpine" in words:
        return "alpine"
    if words & {"debian", "ubuntu", *DISTRO_CODENAMES}:
        return "debian"
    return None


def infer_family(base: Base, instructions: list[Instruction]) -> tuple[str, str]:
    """The family of a base image and how it is known: the table, else the package manager the
    build runs, else the tag's naming convention; ("unknown", "") when nothing tells."""
    if base.family in ("debian", "alpine", "rhel", "rhel-minimal"):
        return base.family, ""
    family = package_family(instructions)
    if family is not None:
        return family, "its package manager"
    family = tag_family(base.image)
    if family is not None:
        return family, "its tag"
    return base.family, ""


def official_name_tag(image: str) -> tuple[str | None, str]:
    """(`python`, `3.12-slim`) for an official image reference; the tag is "" when unknown."""
    low = image.strip().lower()
    ref = try_parse_ref(low) if "$" not in low and "%" not in low else None
    tag_known = True
    if ref is None:
        loose = _parse_loose(low) if low else None
        if loose is None:
            return None, ""
        ref, tag_known = loose
    return official_name(ref), (ref.tag or "latest").lower() if tag_known else ""


@dataclass(frozen=True)
class Owned:
    """A path the build gives to a user (`chown`, `install -o`, `COPY --chown`)."""

    path: str
    owner: str
    recursive: bool


def owned_paths(instructions: list[Instruction], env: dict[str, str | None]) -> list[Owned]:
    """Paths the instructions chown, with the owner (user part) as written."""
    out: list[Owned] = []
    cwd = "/"

    def sub(v: str) -> str:
        v = substitute(v, env) if "$" in v else v
        # Relative paths are relative to the WORKDIR in effect (`chown -R app ./`).
        return v if v.startswith(("/", "$")) else posixpath.normpath(posixpath.join(cwd, v))

    for ins in instructions:
        if ins.cmd == "WORKDIR":
            words = split_words(ins.args)
            if words:
                cwd = sub(unquote(words[0]))
            continue
        if ins.cmd in ("COPY", "ADD"):
            m = re.search(r"--chown=(\S+)", ins.args)
            words = [w for w, _, _ in word_spans(ins.args) if not w.startswith("--")]
            if m and words:
                owner = substitute(m.group(1), env) if "$" in m.group(1) else m.group(1)
                out.append(Owned(sub(words[-1].strip("\"'")), owner.split(":")[0], True))
        for _script, cmd in all_commands([ins]):
            words = command_words(cmd)
            if not words:
                continue
            prog, args = words[0], words[1:]
            if prog == "chown":
                rec = any(
                    a in ("-R", "--recursive") or (re.fullmatch(r"-[a-zA-Z]*R[a-zA-Z]*", a) is not None)
                    for a in args
                )
                rest = [a for a in args if not a.startswith("-")]
                if len(rest) >= 2:
                    owner = (
                        (substitute(rest[0], env) if "$" in rest[0] else rest[0])
                        .replace(".", ":")
                        .split(":")[0]
                    )
                    out.extend(Owned(sub(p), owner, rec) for p in rest[1:])
            elif prog == "install":
                who, paths, directory = _install_args(args)
                if who and directory:
                    owner = substitute(who, env) if "$" in who else who
                    out.extend(Owned(sub(p), owner, False) for p in paths)
    return out


def _install_args(args: list[str]) -> tuple[str | None, list[str], bool]:
    """`install`'s owner, operands and whether it makes directories (`-d`/`--directory`)."""
    owner: str | None = None
    paths: list[str] = []
    directory = False
    i = 0
    while i < len(args):
        a = args[i]
        if a in (
            "-o",
            "--owner",
            "-g",
            "--group",
            "-m",
            "--mode",
            "-S",
            "--suffix",
            "-t",
            "--target-directory",
        ):
            if a in ("-o", "--owner") and i + 1 < len(args):
                owner = args[i + 1]
            i += 2
            continue
        if a.startswith("--owner="):
            owner = a.partition("=")[2]
        elif a == "--directory" or (a.startswith("-") and not a.startswith("--") and "d" in a[1:]):
            directory = True
        elif not a.startswith("-"):
            paths.append(a)
        i += 1
    return owner, paths, directory


def volumes(instructions: list[Instruction], env: dict[str, str | None]) -> list[str]:
    """The paths VOLUME instructions declare (variables substituted)."""
    out: list[str] = []
    for ins in instructions:
        if ins.cmd != "VOLUME":
            continue
        words = ins.json if ins.json is not None else [w.strip("\"'") for w, _, _ in word_spans(ins.args)]
        out.extend(substitute(w, env) if "$" in w else w for w in words if w)
    return out


# ----------------------------------------------------------------------------- keyword style


def privileged_ports(instructions: list[Instruction]) -> list[int]:
    """Literal ports below 1024 that EXPOSE instructions publish (range starts included)."""
    out: list[int] = []
    for ins in instructions:
        if ins.cmd != "EXPOSE":
            continue
        for raw, _, _ in word_spans(ins.args):
            m = PORT_RE.match(raw)
            if m and 0 < int(m.group(1)) < 1024:
                out.append(int(m.group(1)))
    return out


PORT_RE = re.compile(r"^(\d+)(?:-(\d+))?(?:/(tcp|udp|sctp))?$", re.I)


_HADOLINT_WINDOWS_SHELL = re.compile(r"(?im)^[ \t]*#[ \t]*hadolint[ \t]+shell=(?:powershell|cmd)\b")
# RUN lines whose program exists only on Windows (PowerShell Desktop, cmd, Chocolatey).
_WINDOWS_PROGRAM = re.compile(r"(?i)(?:choco|powershell(?:\.exe)?|cmd(?:\.exe)?\s+/[cs])\s")
_DRIVE_PATH = re.compile(r"^[\"']?[A-Za-z]:[\\/]")


def looks_windows(df: Dockerfile) -> bool:
    """`df.is_windows` (escape, base, SHELL), plus a `# hadolint shell=powershell` pragma, a
    WORKDIR on a drive (`C:/app`) or a Windows-only program in a RUN. Once per file."""
    return df.cached("users.looks_windows", lambda: _looks_windows(df))


def _looks_windows(df: Dockerfile) -> bool:
    if df.is_windows:
        return True
    for ins in df.instructions:
        if ins.cmd == "WORKDIR" and _DRIVE_PATH.match(ins.args.strip()):
            return True
        if ins.cmd == "RUN" and ins.json is None and _WINDOWS_PROGRAM.match(ins.args.strip()):
            return True
    return bool(_HADOLINT_WINDOWS_SHELL.search(df.text))


def keyword_for(df: Dockerfile, cmd: str) -> str:
    """Write `cmd` in the file's keyword case: as an existing one is written, else its style."""
    cmd = cmd.upper()
    counts: dict[str, int] = {}
    for ins in df.instructions:
        if ins.cmd == cmd:
            counts[ins.keyword] = counts.get(ins.keyword, 0) + 1
    if counts:
        return max(counts, key=lambda k: counts[k])
    lower = sum(1 for i in df.instructions if i.keyword.islower())
    upper = sum(1 for i in df.instructions if i.keyword.isupper())
    title = sum(1 for i in df.instructions if i.keyword.istitle() and not i.keyword.isupper())
    if lower > upper and lower >= title:
        return cmd.lower()
    if title > upper and title > lower:
        return cmd.title()
    return cmd


def is_root_user(user: str) -> bool:
    return user.strip().split(":")[0] in ("root", "0")
