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
3. Which runtime base? `knowledge.runtimes.DEFAULT_RUNTIME_BASES`, overridable with the `runtime-bases` option,
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hardenify.dockerfile.model import (
    Dockerfile,
    Instruction,
    split_words,
)
from hardenify.dockerfile.shell import tokenize
from hardenify.knowledge.bases import has_shell
from hardenify.knowledge.runtimes import (
    OPTION,
    runtime_bases,
)

from .edits import Copy, Draft, Plan, compose, kw_like
from .evidence import (
    CARGO_VALUE_OPTS,
    GO_VALUE_OPTS,
    PY_RE,
    Cmd,
    Entry,
    Evidence,
    Packages,
    StageView,
    command_words,
    gather,
    healthcheck_command,
    is_repl,
    omits_dev,
    pip_args,
    program_of,
    read_entry,
    read_hints,
    read_packages,
    read_stage,
    shell_program,
)
from .facts import (
    BUILD_AT_START,
    DISTROLESS_NODE,
    HINT,
    NODE_DISTROLESS,
    OPTIONAL_FIELDS,
    RUNTIME_PATH,
    STACK_PROGRAMS,
    TEMPLATE_BASES,
    VENV,
    Refuse,
    stack_label,
)


@dataclass
class Analysis:
    """Why HF413 fires (`evidence`), and either a plan or the reason there is none."""

    stack: str
    evidence: list[str]
    stacks: list[str] = field(default_factory=list)
    plan: Plan | None = None
    refusal: str | None = None


def analyze(df: Dockerfile, options: Mapping[str, Any]) -> Analysis | None:
    """None when HF413 does not fire; otherwise the evidence and a plan or the reason for none."""
    if len(df.stages) != 1:
        return None
    stage = df.stages[0]
    if df.stage_is_windows(stage):
        return None
    entry = read_entry(stage)
    if entry.main is None or is_repl(entry):
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
    if PY_RE.fullmatch(prog):
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
    return compose(df, view, draft, runtime)


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
    subs = BUILD_AT_START.get(words[0].rsplit("/", 1)[-1])
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
        if any(n not in ("image", "debian") for n in names) and stack in TEMPLATE_BASES:
            if not TEMPLATE_BASES[stack](base.name):
                raise Refuse(
                    f"the runtime base `{template}` takes its version from a `{stack_label(stack)}` base image, "
                    f"but this one is `{base.image}`: add `# hardenify: runtime=<image>`"
                )
    for n in names:
        if n not in fields:
            raise Refuse(f"the `{OPTION}` entry `{key} = {template!r}` uses the unknown field {{{n}}}")
        if not fields[n] and n not in OPTIONAL_FIELDS:
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
        if c.sub(GO_VALUE_OPTS) == "build":
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
        if c.sub(CARGO_VALUE_OPTS) == "install":
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
    if any(not omits_dev(c) for c in ev.node_installs) and not ev.node_pruned:
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
        args = pip_args(c)
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
    shell = has_shell(runtime)
    node_distroless = draft.stack == "node" and bool(NODE_DISTROLESS.search(runtime))
    checks = entry.runs() + [
        i for i in view.stage.instructions if i.cmd == "HEALTHCHECK" and healthcheck_command(i) is not None
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
        if "/" not in prog and draft.stack not in STACK_PROGRAMS:  # copies of go/rust are binaries
            artifact = next((c for c in copied if posixpath.basename(c) == prog), None)
        in_build_output = (
            path is not None and any(path == c or path.startswith(c + "/") for c in copied)
        ) or (artifact is not None)
        if not in_build_output and not trust_runtime:
            if node_distroless:
                ok = name in ("node", "nodejs")
            elif draft.stack == "python":
                ok = "/" not in prog or name in STACK_PROGRAMS["python"]  # console scripts are in the venv
            else:
                ok = name in STACK_PROGRAMS.get(draft.stack, frozenset())
            if not ok:
                what = "the HEALTHCHECK" if ins.cmd == "HEALTHCHECK" else "the container"
                raise Refuse(f"{what} runs `{prog}`, which `{runtime}` does not have; {HINT}")
        argv = list(words) if words is not None else None
        if argv is not None and artifact is not None and posixpath.dirname(artifact) not in RUNTIME_PATH:
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
        return f"{ins.keyword} {flags}{kw_like(ins.keyword, 'CMD')} {body}"
    return f"{ins.keyword} {body}"


# ------------------------------------------------------------------------------------ composing
