"""What a Dockerfile does with users: the users and groups a stage creates, the paths it gives
them, the ports it publishes, and whether a USER names root.

Read by the user/privilege (HF1xx) and base-image (HF2xx) rules and by HF609. What a *base
image* ships is a fact in `hardenify.knowledge.images` (`base_info`); why an image must start
as root is in `hardenify.dockerfile.droppers`.

Everything here is pure and never raises on odd input.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from hardenify.dockerfile.model import (
    Dockerfile,
    Instruction,
    Stage,
    arg_pairs,
    env_pairs,
    iter_words,
    split_words,
    substitute,
    unquote,
)
from hardenify.dockerfile.runs import Cmd, all_commands
from hardenify.dockerfile.stages import stage_env
from hardenify.knowledge.images import PACKAGE_MANAGER_FAMILY, Base, base_info, tag_family

# ------------------------------------------------------------------------------- base image


def base_image(stage: Stage) -> str:
    """The image the stage chain starts from, ARG defaults substituted (`Stage.resolved_image`:
    `postgres:${PG_VERSION}` without a default reads `postgres:`). `stages.root_image` answers
    "" for such a reference (the exact image is unknown); the repository alone still says what
    the image ships and how it starts (`base_info`: postgres drops privileges itself,
    distroless has no shell), which is what the user rules need."""
    return stage.chain[0].resolved_image


# ------------------------------------------------------------------------------- commands


def command_words(cmd: Cmd) -> list[str]:
    """The program's name and its arguments (`["useradd", "-u", "1000", "app"]`); [] when the
    command runs no program. What the user-database readers match on."""
    return [cmd.prog, *cmd.values] if cmd.words else []


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
    for ins in stage.chain_instructions:
        if at is not None and ins is at:
            break
        if ins.cmd == "ENV":
            defined.update(k for k, _, _, _ in env_pairs(ins))
        elif ins.cmd == "ARG" and id(ins) in own:
            defined.update(n for n, _ in arg_pairs(ins))
    return names <= defined


def numeric_user(df: Dockerfile, stage: Stage, name: str, upto: Instruction | None = None) -> str | None:
    """The numeric form of `USER name` when it is certain, else None."""
    instructions = stage.chain_instructions
    if upto is not None and upto in instructions:
        instructions = instructions[: instructions.index(upto)]
    db = user_db(instructions, stage_env(df, stage, upto))
    if db.modified:
        return None
    if name in db.users:
        return user_spec(db, name)
    base = base_info(base_image(stage))
    return base.known_users.get(name)


def numeric_group(df: Dockerfile, stage: Stage, group: str, upto: Instruction | None = None) -> str | None:
    """The numeric gid of a group name when it is certain, else None."""
    if group.isdigit():
        return group
    instructions = stage.chain_instructions
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
    spec = base_info(base_image(stage)).known_users.get(group)
    if spec is None or group == "nobody" or ":" not in spec:
        return None
    return spec.split(":", 1)[1]


# ------------------------------------------------------------------- what the image must have


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
            words = [w for w, _, _ in iter_words(ins.args) if not w.startswith("--")]
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
        words = ins.json if ins.json is not None else [w.strip("\"'") for w, _, _ in iter_words(ins.args)]
        out.extend(substitute(w, env) if "$" in w else w for w in words if w)
    return out


# ----------------------------------------------------------------------------- keyword style


def privileged_ports(instructions: list[Instruction]) -> list[int]:
    """Literal ports below 1024 that EXPOSE instructions publish (range starts included)."""
    out: list[int] = []
    for ins in instructions:
        if ins.cmd != "EXPOSE":
            continue
        for raw, _, _ in iter_words(ins.args):
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
