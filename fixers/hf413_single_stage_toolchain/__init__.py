"""HF413: a single-stage image ships its build toolchain; the unsafe fix splits it in two.

The rule is this module; the split is the package's other modules, imported only for
single-stage files: `evidence` reads the stage, `facts` says what a stack needs, `plan` decides
the split (or declines, saying why), `edits` writes the build and runtime stages.
"""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.context import CheckContext, unsafe_fix
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.knowledge.runtimes import DEFAULT_RUNTIME_BASES, OPTION
from hardenify.rules import References, Rule

_MAPPING = "\n".join(f"- `{k}` → `{v}`" for k, v in DEFAULT_RUNTIME_BASES.items())

RULE = Rule(
    code="HF413",
    name="single-stage-toolchain",
    severity=Severity.WARNING,
    summary="A single-stage image ships its build toolchain (compilers, SDK, dev dependencies) to production.",
    what="Checks Dockerfiles with exactly one FROM whose image runs an application (a CMD or "
    "ENTRYPOINT that is not just a shell or REPL) and still holds what built it: a builder base "
    "(`golang`, `rust`, `maven`, `gradle`, a JDK such as `openjdk`/`eclipse-temurin`, "
    "`mcr.microsoft.com/dotnet/sdk`, the full `python`/`node` images, `gcc`, `buildpack-deps`), "
    "compilers installed with apt/apk/dnf and not removed again (gcc, g++, build-essential, make, "
    "...), a build command (`go build`, `cargo build`, `npm run build`, `mvn package`, "
    "`gradle build`, `dotnet publish`), Python build tools (poetry, pipenv, uv, pdm, hatch, "
    "Cython, maturin), or Node devDependencies (`npm install`/`npm ci` without `--omit=dev`). "
    "Images whose RUN removes the toolchain after using it (the docker-library pattern), "
    "pure-Python installs on a slim base (a venv copy would make them larger) and Windows images "
    "pass.",
    why="Compilers, package managers, SDKs, sources and dev dependencies are attack surface the "
    "application never uses: an attacker with code execution gets a compiler and a package "
    "manager, and scanners report CVEs in all of them. They also make the image several times "
    "larger (`golang` is ~600 MB for an ~8 MB binary). A multi-stage build keeps the toolchain in "
    "a build stage and ships only the artifacts on a minimal base.",
    example='FROM golang:1.23\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\nCMD ["/out/app"]',
    fix=f"""\
Renames the stage `AS build` (keeping the keyword's case) and adds a runtime stage after its
last RUN/COPY/ADD that copies only the artifacts (`COPY --from=build <path> <path>`, same path,
so every reference keeps working), and the CA certificates and time zones the build installed
(`ca-certificates`, `tzdata`) when the runtime is another image. A file that pins its base by
digest gets a runtime stage pinned the same way, or no split. The original lines stay as they are; the trailing EXPOSE,
CMD, ENTRYPOINT, HEALTHCHECK, USER, LABEL... end up in the runtime stage, and such lines from the
middle of the stage are moved there. ENV (minus build-only variables such as GOPATH, CGO_*,
PIP_*, NPM_CONFIG_*), the last USER, SHELL and the WORKDIR are repeated in the runtime; ARGs
the runtime stage expands are declared in it.

Per stack:
- **Go**: copies the binary CMD/ENTRYPOINT runs when `go build -o` / `go install` wrote it,
  plus files COPY'd in after the build or outside the directory it builds in (config,
  templates, static assets) and absolute paths among the CMD's arguments that a COPY put there.
  `distroless/static` only when CGO_ENABLED=0 is set, else `distroless/cc` (cgo binaries need
  glibc); Go on Alpine without CGO_ENABLED=0 is refused (musl).
- **Rust**: the binary from `target/<profile>` (or `cargo install`'s bin), with the same extra
  files as Go; `distroless/cc`, `distroless/static` for `--target *-musl`.
- **Node**: the application directory (WORKDIR and where `npm ci` ran), after `RUN npm prune
  --omit=dev` (`--production` before Node 15, `pnpm prune --prod`) at the end of the build when
  the install kept devDependencies; yarn is refused (v1 and Berry prune differently). Runtime
  `node:<same version>-slim`, which keeps npm and a shell so `npm start` still works; mapping
  `node` to `gcr.io/distroless/nodejs22-debian12:nonroot` drops them, and then CMD must be `node
  <file>` (rewritten to the distroless form `CMD ["<file>"]`).
- **Python** (on the `python` image): inserts `RUN python -m venv /opt/venv` and `ENV
  PATH=/opt/venv/bin:$PATH` before the first `pip install` (or uses the venv the file already
  installs into), and copies the venv and the application directory into the same Python's
  slim variant. Refused when something installs where a venv cannot catch it (`--user`,
  `--target`, pip by absolute path, poetry/pipenv/uv/pdm, `setup.py install`).
- **Java**: the jar or classpath of `java -jar …` into `eclipse-temurin:<release>-jre`.
- **.NET**: the `dotnet publish -o` directory holding the entry assembly into
  `mcr.microsoft.com/dotnet/aspnet:<major.minor>` (`runtime-deps` when self-contained).

On a runtime without a shell (distroless) shell-form CMD/ENTRYPOINT/HEALTHCHECK are rewritten
in exec form, a program found on PATH becomes its absolute path, and commands that need a shell
or a tool the runtime lacks (curl in a HEALTHCHECK, an entrypoint script) are refused.

It does not guess. It refuses, saying why, when it cannot tell the artifact or the
entrypoint (a CMD that runs something no build command produced, `go run`, variables in paths),
when the build installs OS packages the application may need at run time (libpq, ffmpeg...),
when a USER the build created has no explicit uid, when the image starts as root to drop
privileges itself (gosu, su-exec, supervisord...: the runtime base would lack them), or for
ONBUILD and heredocs. Comments say
what it cannot see: `# hardenify: artifact=/out/app` (repeatable; these paths are copied
instead of the inferred ones) and `# hardenify: runtime=<image>`.

The runtime base per stack comes from this mapping, overridable in the config with
`[options] {OPTION} = {{ node = "gcr.io/distroless/nodejs{{major}}-debian12:nonroot" }}`
(fields: {{image}}, {{version}}, {{series}}, {{major}}, {{distro}}, {{variant}}, {{debian}}, {{java}}):

{_MAPPING}""",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="Unsafe: the runtime image has only the copied artifacts, so anything else the "
    "application reads at run time (for Go and Rust, files it reads from the source tree it was "
    "built in; files written by RUN outside the application directory; a tool it shells out "
    "to) is missing unless named with an `artifact=` hint; native extensions compiled against "
    "libraries of a full image may need those libraries in the slim runtime; distroless bases "
    "have no shell for `docker exec`; and files the runtime copies are owned as in the build "
    "(the copied top directory itself becomes root-owned).",
    references=References(),
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    if len(df.stages) != 1:
        return  # `analyze` says the same; this keeps most runs from importing the split code
    from .facts import stack_label
    from .plan import analyze

    found = analyze(df, ctx.options)
    if found is None:
        return
    stage = df.stages[0]
    why = "; ".join(found.evidence[:3])
    label = f"{stack_label(found.stack)} " if found.stack in found.stacks else ""
    msg = f"single-stage image ships its {label}build toolchain ({why})"
    refusal = found.refusal
    if found.plan is not None:
        refusal = _runtime_needs_root(ctx)
    if found.plan is not None and refusal is None:
        fix = unsafe_fix(found.plan.summary, *found.plan.edits)
        yield ctx.at(RULE, stage.from_, f"{msg}: split it into a build and a runtime stage", fix=fix)
        return
    yield ctx.at(
        RULE,
        stage.from_,
        f"{msg}; it cannot be split automatically: {refusal}",
        note="build in one stage and copy only the artifacts into a minimal runtime stage",
    )


def _runtime_needs_root(ctx: CheckContext) -> str | None:
    """Why the runtime stage would lose what the entrypoint needs to start as root (gosu,
    supervisord... installed by the build, or run by the entrypoint scripts in the context)."""
    from hardenify.dockerfile.buildcontext import context_dir, entry_scripts
    from hardenify.dockerfile.droppers import root_start

    stage = ctx.df.stages[0]
    found = root_start(stage.instructions, entry_scripts(stage.instructions, context_dir(ctx.disk_path)))
    if found is None:
        return None
    return (
        f"{found.where} {found.program}, which a minimal runtime base lacks (and which needs a root "
        "start): split it by hand, copying it into the runtime stage"
    )
