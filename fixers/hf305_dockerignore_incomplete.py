"""HF305: a .dockerignore that lets credentials or `.git` into the build context."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.context import CheckContext, unsafe_fix
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.knowledge.dockerignore import lines_to_append, missing_entries
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF305",
    name="dockerignore-incomplete",
    severity=Severity.WARNING,
    summary="The .dockerignore does not exclude .git, .env files, keys or credential files.",
    what="Checks a `.dockerignore` (with Docker's own matching: last match wins, `**`, `!` exceptions) "
    "for the security entries every build context should exclude: `.git`, `.env`, `.env.*`, `.aws`, "
    "`.ssh`, `.npmrc`, `.netrc`, `.pypirc`, `.git-credentials`, `.docker/config.json`, `**/*.pem`, "
    "`**/*.key`, `**/id_rsa*` and `**/id_ed25519*`. An entry counts as present when the file already "
    "excludes the paths it stands for, however it is written (`.env*`, `*` followed by `!src`). A path "
    "that a `!` exception re-includes on purpose (`!.env.production`) is respected and not reported. "
    "Build outputs and caches (`node_modules`, `dist/`, `target/`) are not security issues and are "
    "not reported.",
    why="Everything the `.dockerignore` lets through is sent to the builder and lands in the image with "
    "any `COPY .`: repository history, local environment files, cloud and registry credentials, "
    "private keys.",
    example="# .dockerignore\nnode_modules\n*.log",
    fix="Appends the missing entries at the end of the file under a `# added by hardenify` comment, "
    "in the file's own line endings and keeping its final-newline state. Entries go last because the "
    "last matching pattern wins; any existing `!` exception the new entries would override "
    "(`!.env.example` after `.env.*`, `!certs/ca.pem` after `**/*.pem`) is restated after them, so it "
    "keeps including what the user chose to include.",
    fix_availability=FixAvailability.UNSAFE,
    fix_safety="Unsafe: excluding a path changes the build when a Dockerfile uses it: `COPY .npmrc`, "
    "`COPY certs/server.key`, or `git describe` on a copied `.git` would fail after the fix. A "
    "`.dockerignore` rule cannot see the Dockerfiles that use the context, so it cannot prove the "
    "excluded paths are unused; review the Dockerfile(s) (HF303 reports copied credential files).",
    references=References(),
    kinds=("dockerignore",),
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    di = ctx.dockerignore
    if di is None:
        return
    missing = missing_entries(di)
    if not missing:
        return
    lines = lines_to_append(di)
    msg = ".dockerignore does not exclude " + ", ".join(f"`{m}`" for m in missing)
    fix = (
        unsafe_fix(f"Append {', '.join(missing)} to .dockerignore", di.append_lines(lines)) if lines else None
    )
    end = di.lines[0].end if di.lines else 0
    yield ctx.diagnostic(RULE, 0, end, msg, fix=fix)
