"""Reading the one stage: its RUN commands with the directory and variables each runs with,
the OS packages it keeps, the build commands per stack (the evidence HF413 reports), the
entrypoint, and the `# hardenify: artifact=/runtime=` hints.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hardenify.dockerfile import runs, stages
from hardenify.dockerfile.model import (
    Comment,
    Dockerfile,
    Instruction,
    Node,
    Stage,
    arg_pairs,
    env_pairs,
    split_words,
    unquote,
)
from hardenify.dockerfile.shell import tokenize, uses_shell_features
from hardenify.knowledge.programs import INSTALL_SUBCOMMANDS
from hardenify.knowledge.runtimes import (
    BASE_ENV,
    BASE_WORKDIR,
    ROOT_HOME,
    ROOT_WORKDIR_BASES,
    BaseFacts,
    base_facts,
)

from .facts import (
    BUILD_ONLY_PACKAGES,
    NODE_BUILD_ONLY,
    REPLS,
    RUNTIME_PROVIDED_DEV,
    WRAPPER_ENTRYPOINTS,
    builder_stack,
    is_toolchain_package,
)

_HINT_RE = re.compile(r"^\s*hardenify\s*:\s*(artifact|runtime)\s*=\s*(.*?)\s*$", re.I)
VAR_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))")
PY_RE = re.compile(r"python(?:3(?:\.\d+)?)?")
_PIP_RE = re.compile(r"pip(?:3(?:\.\d+)?)?")
# ------------------------------------------------------------------------------------ stage walk


@dataclass
class Cmd:
    """One simple command of a RUN (the core's `runs.Cmd`: one token stream for every rule),
    with what HF413 alone follows: the directory (`cd` within the RUN) and the variables
    (assignments before the program) it runs with."""

    run: runs.Cmd
    env: dict[str, str | None]
    cwd: str | None
    ins: Instruction

    @property
    def argv(self) -> list[str]:
        return self.run.argv

    @property
    def program(self) -> str:
        return self.run.prog

    @property
    def text(self) -> str:
        """The command as written in its script (for messages)."""
        return self.run.script.text[self.run.start : self.run.end]

    def sub(self, value_opts: Iterable[str] = ()) -> str:
        """The first non-option argument (`build` in `go -C x build -o y`)."""
        return self.run.sub(value_opts)

    def positional(self, value_opts: Iterable[str] = ()) -> list[str]:
        """Non-option arguments after the program."""
        return [w.value for w in runs.positional(self.run, 1, value_opts)]

    def opt(self, *names: str) -> str | None:
        """Value of the last `-o x` / `--out=x` among `names`."""
        return self.run.opt(*names)

    def has(self, *flags: str) -> bool:
        return self.run.has(*flags)


@dataclass
class StageView:
    """The stage read in build order: its commands, working directories and variables.

    ENV/ARG values are the core's (`stages.stage_env`, as BuildKit expands them), laid over
    what the base image sets (`knowledge.runtimes.BASE_ENV`); WORKDIRs start from the base
    image's (`BASE_WORKDIR`, or `/` for images that set none)."""

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
        expanded = stages.resolve(path, dict(env))
        if expanded is None:
            return None
        if not expanded.startswith("/"):
            if cwd is None:
                return None
            expanded = posixpath.join(cwd, expanded)
        norm = "/" + posixpath.normpath(expanded).lstrip("/")
        return norm + "/" if expanded.endswith("/") and norm != "/" else norm


def read_stage(df: Dockerfile, stage: Stage) -> StageView:
    """Walk the stage's chain in build order (HF413 reads single-stage files: the stage itself)."""
    base = base_facts(stages.root_image(df, stage))
    view = StageView(df, stage, base)
    base_env: dict[str, str | None] = dict(BASE_ENV.get(base.name, {})) if base is not None else {}
    cwd: str | None = None
    if base is not None:
        if base.name in BASE_WORKDIR:
            cwd = BASE_WORKDIR[base.name]
        elif base.name in ROOT_WORKDIR_BASES:
            cwd = "/"
    view.initial_workdir = cwd
    for ins in stages.chain_instructions(stage):
        env = {**base_env, **stages.stage_env(df, stage, ins)}
        view.workdir_at[id(ins)] = cwd
        view.env_at[id(ins)] = env
        if ins.cmd == "ARG":
            for name, _ in arg_pairs(ins):
                view.arg_ins[name] = ins
        elif ins.cmd == "ENV":
            view.env_keys.update(key for key, _, _, _ in env_pairs(ins))
        elif ins.cmd == "WORKDIR":
            words = split_words(ins.args)
            new = view.resolve(unquote(words[0]), cwd, env) if words else None
            cwd = (new.rstrip("/") or "/") if new else None
            view.workdir_set = True
        elif ins.cmd == "RUN":
            view.cmds.extend(run_commands(ins, cwd, env))
    view.final_env = {**base_env, **stages.stage_env(df, stage)}
    view.final_workdir = cwd
    return view


def run_commands(ins: Instruction, cwd: str | None, env: Mapping[str, str | None]) -> list[Cmd]:
    """The simple commands of a RUN (`Instruction.commands`, nested `sh -c` scripts included),
    each with its directory and variables: a `cd` moves the rest of its script (not the
    enclosing one), `FOO=1 cmd` sets FOO for that command and a `sh -c` it runs. The shell gives
    a root build HOME=/root. Commands that run no program, `cd` and a `sh -c` that hands over
    to its nested script are not listed."""
    base = {"HOME": ROOT_HOME, **env}
    here: dict[int, str | None] = {}  # id(script) → its current directory
    seen: dict[int, tuple[str | None, dict[str, str | None]]] = {}  # id(command) → (cwd, env)
    out: list[Cmd] = []
    commands = ins.commands
    parents = {id(c.parent) for c in commands if c.parent is not None}
    for c in commands:
        key = id(c.script)
        if key not in here:
            here[key] = seen[id(c.parent)][0] if c.parent is not None and id(c.parent) in seen else cwd
        outer_env = seen[id(c.parent)][1] if c.parent is not None and id(c.parent) in seen else base
        local = dict(outer_env)
        for w in c.prefix:
            if _ASSIGN.match(w.value):
                k, _, v = w.value.partition("=")
                local[k] = v
        seen[id(c)] = (here[key], local)
        argv = c.argv
        if not argv or id(c) in parents:
            continue
        if argv[0] in ("cd", "pushd") and len(argv) >= 2:
            target = stages.resolve(argv[1], local)
            current = here[key]
            if target is None:
                here[key] = None
            elif target.startswith("/"):
                here[key] = posixpath.normpath(target)
            elif current is not None:
                here[key] = posixpath.normpath(posixpath.join(current, target))
            continue
        out.append(Cmd(c, local, here[key], ins))
    return out


_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


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
            BUILD_ONLY_PACKAGES | RUNTIME_PROVIDED_DEV | (NODE_BUILD_ONLY if stack == "node" else set())
        )
        return [p for p in self.kept if not is_toolchain_package(p) and p not in harmless]


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
        if sub in INSTALL_SUBCOMMANDS.get(c.program, ()):
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
GO_VALUE_OPTS = (
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
CARGO_VALUE_OPTS = (
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
        if prog == "go" and c.sub(GO_VALUE_OPTS) in ("build", "install"):
            ev.go_builds.append(c)
            _build_evidence(ev, view, builder, tools, c, "go", f"`go {c.sub(GO_VALUE_OPTS)}`")
        elif prog == "cargo" and c.sub(CARGO_VALUE_OPTS) in ("build", "b", "install"):
            ev.cargo_builds.append(c)
            _build_evidence(ev, view, builder, tools, c, "rust", f"`cargo {c.sub(CARGO_VALUE_OPTS)}`")
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
        elif PY_RE.fullmatch(prog) and c.argv[1:3] == ["-m", "venv"]:
            rest = c.positional()
            target = rest[-1] if len(rest) > 1 else None  # positional() includes "venv"
            ev.venvs.append((c, view.resolve(target, c.cwd, c.env) if target else None))
        elif prog == "virtualenv" or (prog == "uv" and c.sub() == "venv"):
            rest = [a for a in c.positional() if a != "venv"]
            ev.venvs.append((c, view.resolve(rest[-1], c.cwd, c.env) if rest else None))
        elif PY_RE.fullmatch(prog) and len(c.argv) > 2 and c.argv[1].endswith("setup.py"):
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
    if prog == "npm" and sub == "prune" and omits_dev(c):
        ev.node_pruned = True
    elif prog == "npm" and sub in ("ci", "install", "i", "clean-install", "isntall") and len(pos) == 1:
        ev.node_installs.append(c)
        if not omits_dev(c):
            ev.add("node", f"`npm {sub}` keeps devDependencies")
    elif prog == "yarn" and (sub == "install" or (not sub and not c.has("--version", "-v", "--help", "-h"))):
        ev.node_installs.append(c)
        if not omits_dev(c):
            ev.add("node", "`yarn install` keeps devDependencies")
    elif prog == "pnpm" and sub in ("install", "i") and len(pos) == 1:
        ev.node_installs.append(c)
        if not omits_dev(c):
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


def omits_dev(c: Cmd) -> bool:
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
    return bool(PY_RE.fullmatch(c.program)) and c.argv[1:3] == ["-m", "pip"]


def pip_args(c: Cmd) -> list[str]:
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
    args = pip_args(c)
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


def healthcheck_command(ins: Instruction) -> str | None:
    m = re.match(r"[ \t]*(?i:cmd)[ \t]+", ins.args)
    return ins.args[m.end() :] if m else None


def command_words(ins: Instruction) -> list[str] | None:
    """The argv an instruction runs: its exec form, or the words of a shell form that needs no
    shell (no operators, variables, globbing ...). None when a shell is needed."""
    if ins.json is not None:
        return list(ins.json)
    text = healthcheck_command(ins) if ins.cmd == "HEALTHCHECK" else ins.args
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
    text = healthcheck_command(ins) if ins.cmd == "HEALTHCHECK" else ins.args
    for command in tokenize(text or ""):
        i = command.program_index()
        if i < len(command.words):
            return command.words[i].value
    return ""


def program_of(ins: Instruction) -> str:
    words = command_words(ins)
    return words[0] if words else shell_program(ins)


# ------------------------------------------------------------------------------------- planning


def is_repl(entry: Entry) -> bool:
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
    while len(words) > 1 and (words[0].rsplit("/", 1)[-1] in WRAPPER_ENTRYPOINTS or words[0] == "--"):
        words = words[1:]
    return len(words) == 1 and words[0].rsplit("/", 1)[-1] in REPLS
