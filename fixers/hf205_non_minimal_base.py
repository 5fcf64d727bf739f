"""HF205: the shipped stage runs on a full image when a minimal variant of it exists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from hardenify.context import CheckContext, unsafe_fix
from hardenify.diagnostics import Diagnostic, Edit, FixAvailability, Severity
from hardenify.dockerfile.model import Dockerfile, Instruction, Stage
from hardenify.rules import References, Rule

if TYPE_CHECKING:
    from hardenify.dockerfile.runs import Cmd
    from hardenify.imageref import ImageRef
    from hardenify.knowledge.minimal import Minimal

RULE = Rule(
    code="HF205",
    name="non-minimal-base",
    severity=Severity.WARNING,
    summary="The shipped stage runs on a full image when a minimal variant of the same version exists.",
    what="Looks at the image the final stage is built on (through `FROM <stage>` chains, when no "
    "other stage builds on or copies from that root) and reports a full image whose minimal "
    "variant of the same version exists: `python:<v>` and `node:<v>` (built on buildpack-deps) → "
    "`-slim`; `debian:<release>` → `debian:<release>-slim`; a JDK (`eclipse-temurin:<v>[-jdk]`, "
    "`openjdk:<v>`) → its JRE; a `golang` image as the runtime → a distroless image with the "
    "binary. Only images that run an application are reported (a CMD/ENTRYPOINT that is not just "
    "a shell or REPL: base and tool images pass). Builder stages, stages only copied from, "
    "`-slim`/`-alpine`/distroless/scratch images and Windows images pass. `ubuntu` is not "
    "reported: Ubuntu's official image is already the minimized cloud image and has no smaller "
    "tag of the same release. Multi-stage files are checked too (HF413 covers single-stage "
    "files that build in the shipped stage). When the file's other stages already use apk, the "
    "message mentions the `-alpine` variant as well (never fixed to it: musl changes binaries).",
    why="A full image ships compilers, headers, network and VCS tools (`python:3.12` is ~1 GB, "
    "`python:3.12-slim` ~130 MB): every one is attack surface the application never uses and a "
    "source of scanner findings nobody can fix by updating the application. Hardening guides "
    "(CIS Docker 4.3, NIST SP 800-190) start with a minimal base.",
    example="FROM python:3.12 AS build\nRUN pip wheel -w /wheels requests\n\nFROM python:3.12\n"
    'COPY --from=build /wheels /wheels\nCOPY app.py /app/\nCMD ["python", "/app/app.py"]',
    fix="Swaps the tag to the minimal variant (`python:3.12` → `python:3.12-slim`, "
    "`node:22-bookworm` → `node:22-bookworm-slim`, `debian:12` → `debian:12-slim`, "
    "`eclipse-temurin:21-jdk` → `eclipse-temurin:21-jre`), keeping the registry and every other "
    "byte of the FROM line. It declines, saying why, when the stage (its RUNs, CMD, ENTRYPOINT and "
    "HEALTHCHECK) uses a program the minimal image lacks and does not install itself (curl, wget, "
    "git, gcc, make, ps... from the buildpack-deps layers; javac, jar, jcmd... for a JRE); when it "
    "builds packages that may compile native code (`pip install`, `npm ci`, `gem install`...: "
    "slim has no compiler or headers); when it copies files from a stage built on a full image "
    "that did such installs (they may link against libraries only the full image has, such as "
    "libpq); when the entrypoint or a RUN runs a script hardenify does not read; when a Debian "
    "slim stage installs a JRE/JDK package (Debian bug #863199: no /usr/share/man/man1); when the "
    "image comes from a build argument; and when the image is pinned by digest (a new tag with "
    "the old digest would still pull the full image: swap the tag by hand and re-pin with "
    "`hardenify pin`). `golang` runtimes and openjdk releases after 11 (no JRE tags) are reported "
    "without a fix. When the swap declines, split the build (HF413 does it for single-stage "
    "files) or install what the stage needs on the slim image.",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="Unsafe: the decision is made from what the Dockerfile shows. A program the "
    "application itself shells out to at run time (not named in the Dockerfile), or a library "
    "loaded with dlopen, may be missing from the minimal image: run the image's tests after the "
    "swap.",
    references=References(cis=("4.3",)),
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    final = df.final_stage
    if final is None or df.escape == "`":
        return
    root = final.chain[0]
    if "$" in root.resolved_image or not root.resolved_image.strip():
        return
    from hardenify.imageref import try_parse_ref
    from hardenify.knowledge.images import image_key
    from hardenify.knowledge.minimal import minimal_variant

    ref = try_parse_ref(root.resolved_image.strip())
    if ref is None:
        return
    minimal = minimal_variant(image_key(ref), ref)
    if minimal is None:
        return
    from hardenify.dockerfile import stages

    if stages.stage_is_windows(df, final) or _used_elsewhere(df, final) or not _runs_application(final):
        return
    yield from _report(ctx, final, root, ref, minimal)


def _report(
    ctx: CheckContext, final: Stage, root: Stage, ref: ImageRef, minimal: Minimal
) -> Iterator[Diagnostic]:
    df = ctx.df
    shown = root.resolved_image.strip()
    edit, target = _tag_edit(df, root, minimal)
    suggestion = f"`{target}`" if target else minimal.suggestion
    alpine = ""
    if minimal.kind == "buildpack" and _file_uses_apk(df, final):
        alpine = " (or its `-alpine` variant, as this file's other stages use apk)"
    advice = f"use {suggestion}" if suggestion.startswith("`") else suggestion
    msg = f"the shipped stage runs on the full `{shown}`, which brings {minimal.lacks}: {advice}{alpine}"
    reason = None
    if ref.digest:
        reason = "the image is pinned by digest: swap the tag by hand and re-pin with `hardenify pin`"
    elif minimal.tag is None:
        reason = ""
    elif edit is None:
        reason = "the image comes from a build argument or spans lines"
    else:
        reason = _needs_full(df, final, minimal)
    if reason is None and edit is not None:
        yield ctx.at(RULE, root.from_, msg, fix=unsafe_fix(f"Use {suggestion}", edit))
        return
    note = (
        "install what the stage needs on the minimal image, or build in one stage and copy only "
        "the artifacts into a minimal runtime stage (HF413 splits single-stage files)"
    )
    if reason:
        msg += f"; not swapped automatically: {reason}"
    yield ctx.at(RULE, root.from_, msg, note=note)


def _tag_edit(df: Dockerfile, root: Stage, minimal: Minimal) -> tuple[Edit | None, str | None]:
    """The edit replacing the FROM image's tag, and the new reference as written."""
    from hardenify.dockerfile.model import iter_words as word_spans

    ins = root.from_
    spans = word_spans(ins.args)
    if not spans or minimal.tag is None:
        return None, None
    raw, s, e = spans[0]
    if "$" in raw or "@" in raw:
        return None, None
    slash = raw.rfind("/")
    colon = raw.find(":", slash + 1)
    name = raw if colon < 0 else raw[:colon]
    new = f"{name}:{minimal.tag}"
    start, end = ins.arg_src(s), ins.arg_src(e, end=True)
    if df.text[start:end] != raw:
        return None, new
    return Edit(start, end, new), new


def _stage_refs(ins: Instruction) -> list[str]:
    """Stage names or indices an instruction copies or mounts from."""
    target = ins.sub if ins.cmd == "ONBUILD" and ins.sub is not None else ins
    out: list[str] = []
    for flag in target.flags:
        if flag.name == "from" and target.cmd == "COPY" and flag.value:
            out.append(flag.value.lower())
        elif flag.name == "mount" and target.cmd == "RUN":
            value = flag.options().get("from")
            if value:
                out.append(value.lower())
    return out


def _names(stage: Stage) -> set[str]:
    return {str(stage.index)} | ({stage.name.lower()} if stage.name else set())


def _used_elsewhere(df: Dockerfile, final: Stage) -> bool:
    """Does a stage outside the final chain build on or copy from a stage of the chain? Then
    the chain's root is also a builder, and swapping it changes that stage too."""
    chain = {s.index for s in final.chain}
    names = {n for s in final.chain for n in _names(s)}
    for st in df.stages:
        if st.index in chain:
            continue
        if any(s.index in chain for s in st.chain):
            return True
        if any(r in names for ins in st.instructions for r in _stage_refs(ins)):
            return True
    return False


def _runs_application(final: Stage) -> bool:
    from .hf413_single_stage_toolchain.evidence import is_repl as _is_repl
    from .hf413_single_stage_toolchain.evidence import read_entry

    entry = read_entry(final)
    for st in reversed(final.chain[:-1]):
        if entry.entrypoint is not None and entry.cmd is not None:
            break
        up = read_entry(st)
        entry = type(entry)(entry.entrypoint or up.entrypoint, entry.cmd or up.cmd)
    if entry.main is None or _is_repl(entry):
        return False
    return not any(_idles(ins) for ins in (entry.entrypoint, entry.cmd) if ins is not None)


def _idles(ins: Instruction) -> bool:
    """`sleep infinity` / `tail -f /dev/null`: a development container kept alive, not an app."""
    from .hf413_single_stage_toolchain.evidence import command_words

    words = command_words(ins) or []
    return words in (["sleep", "infinity"], ["tail", "-f", "/dev/null"])


def _file_uses_apk(df: Dockerfile, final: Stage) -> bool:
    chain = {s.index for s in final.chain}
    return any(
        ins.stage not in chain and any(c.prog == "apk" for c in ins.commands)
        for ins in df.instructions
        if ins.run is not None
    )


# ----------------------------------------------------------------------- what the stage needs

_PACKAGE_BUILDS: dict[str, frozenset[str]] = {
    "npm": frozenset(
        {"install", "i", "ci", "add", "rebuild", "isntall", "in", "ins", "inst", "insta", "instal"}
    ),
    "yarn": frozenset({"", "install", "add"}),
    "pnpm": frozenset({"install", "i", "add"}),
    "gem": frozenset({"install", "i"}),
    "bundle": frozenset({"install", ""}),
    "bundler": frozenset({"install"}),
    "poetry": frozenset({"install", "add"}),
    "pipenv": frozenset({"install", "sync"}),
    "pdm": frozenset({"install", "sync", "add"}),
    "uv": frozenset({"pip", "sync", "add"}),
    "pecl": frozenset({"install"}),
    "cpanm": frozenset({""}),
    "node-gyp": frozenset({""}),
}


def _package_build(cmd: Cmd) -> str | None:
    """`pip install`, `npm ci`... as written when the command may compile native code."""
    from .hf406_pip_no_cache_dir import pip_install_index

    if pip_install_index(cmd) is not None:
        return f"{cmd.prog} install"
    subs = _PACKAGE_BUILDS.get(cmd.prog)
    if subs is None:
        return None
    first = next((v for v in cmd.values if not v.startswith("-")), "")
    if first in subs:
        return f"{cmd.prog} {first}".strip()
    return None


def _chain_runs(stage: Stage) -> list[Instruction]:
    return [i for i in stage.chain_instructions if i.run is not None and i.run.json is None]


def _entry_programs(stage: Stage) -> list[tuple[str, str]]:
    """(program, where) for CMD/ENTRYPOINT/HEALTHCHECK of the chain (shell forms tokenized)."""
    from hardenify.dockerfile.runs import effective, program_name
    from hardenify.dockerfile.shell import POSIX_SHELLS, tokenize

    out: list[tuple[str, str]] = []
    for ins in stage.chain_instructions:
        if ins.cmd not in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
            continue
        texts: list[str] = []
        if ins.json is not None:
            argv = list(ins.json)
            if argv:
                out.append((argv[0], ins.cmd))
            if len(argv) > 2 and program_name(argv[0]) in POSIX_SHELLS and argv[1].startswith("-"):
                texts.append(argv[-1])
        else:
            text = ins.args
            if ins.cmd == "HEALTHCHECK":
                head = text.split(None, 1)
                text = "" if not head or head[0].upper() != "CMD" else (head[1] if len(head) > 1 else "")
            texts.append(text)
        for text in texts:
            for command in tokenize(text):
                _prefix, argv_words = effective(command)
                if argv_words:
                    out.append((argv_words[0].value, ins.cmd))
    return out


def _needs_full(df: Dockerfile, final: Stage, minimal: Minimal) -> str | None:
    """Why the stage may need something the minimal image lacks, or None when it does not."""
    from hardenify.dockerfile.runs import program_name
    from hardenify.knowledge.minimal import FULL_ONLY_PROGRAMS, JDK_ONLY_PROGRAMS, SLIM_BREAKS_PACKAGES

    from . import _pkg

    runs = _chain_runs(final)
    cmds = [c for ins in runs for c in ins.commands]
    installed = {v for c in cmds for v in c.values if _pkg.installs_package(c, v.split("=", 1)[0])}
    installed = {v.split("=", 1)[0] for v in installed}
    for c in cmds:
        if _pkg.runs_script(c):
            return f"a RUN runs `{c.words[0].value}`, which hardenify does not read"
    used = [(c.prog, "a RUN") for c in cmds] + [
        (program_name(p), where) for p, where in _entry_programs(final)
    ]
    for prog, where in used:
        if prog.endswith((".sh", ".bash")) and not _base_script(final, prog):
            return f"the {where} runs `{prog}`, which hardenify does not read"
    if minimal.kind == "debian":
        for pkg in sorted(installed):
            if pkg.startswith(SLIM_BREAKS_PACKAGES):
                return f"`{pkg}` fails to install on Debian slim images (no /usr/share/man/man1, Debian bug #863199)"
        for prog, where in used:
            if prog in ("man", "info", "apropos"):
                return f"the {where} runs `{prog}`; slim images have no man or info pages"
        return None
    if minimal.kind == "jdk":
        for prog, where in used:
            if prog in JDK_ONLY_PROGRAMS:
                return f"the {where} runs `{prog}`, which a JRE does not have"
        return None
    for c in cmds:
        built = _package_build(c)
        if built is not None:
            return f"`{built}` may compile native code, and the slim image has no compiler or headers"
    for prog, where in used:
        provider = FULL_ONLY_PROGRAMS.get(prog)
        if provider is not None and provider not in installed:
            return f"the {where} runs `{prog}`, which the slim image does not have"
    return _copied_from_full(df, final)


def _base_script(final: Stage, prog: str) -> bool:
    """`docker-entrypoint.sh` of the node image, not replaced by a COPY of the file."""
    if prog != "docker-entrypoint.sh":
        return False
    return not any(
        ins.cmd in ("COPY", "ADD") and "docker-entrypoint.sh" in ins.args for ins in final.chain_instructions
    )


def _copied_from_full(df: Dockerfile, final: Stage) -> str | None:
    """Files copied from a stage built on a full image where packages were built: they may
    link against libraries (libpq, libxml2, libjpeg...) the slim image does not have."""
    from hardenify.imageref import try_parse_ref
    from hardenify.knowledge.images import image_key
    from hardenify.knowledge.minimal import minimal_variant

    by_name = {n: st for st in df.stages for n in _names(st)}
    for ins in final.chain_instructions:
        for name in _stage_refs(ins):
            src = by_name.get(name)
            if src is None or src.index >= final.index:
                continue
            root_image = src.chain[0].resolved_image.strip()
            ref = try_parse_ref(root_image) if "$" not in root_image else None
            if ref is None:
                continue
            full = minimal_variant(image_key(ref), ref)
            if full is None or full.kind != "buildpack":
                continue
            for c in (c for x in _chain_runs(src) for c in x.commands):
                built = _package_build(c)
                if built is not None:
                    return (
                        f"files copied from stage `{src.name or src.index}` were built on the full "
                        f"`{root_image}` (`{built}`) and may link against libraries only it has"
                    )
    return None
