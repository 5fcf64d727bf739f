"""HF616: a service's Dockerfile mounts a build secret that its `build.secrets` does not provide."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any

from hardenify.compose.edits import append_items, block_lines, insert_keys, scalar_span
from hardenify.compose.findings import Finding, entry_span, model, pragmas, report
from hardenify.compose.model import BREAK_RE, ComposeFile, Entry, Service, is_map, is_scalar, is_seq, text_of
from hardenify.compose.placement import Placed, change, place_top, reach
from hardenify.compose.service import build_context, service_dockerfile
from hardenify.compose.verify import get
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Edit, FixAvailability, Severity
from hardenify.dockerfile.model import parse as parse_dockerfile
from hardenify.dockerfile.secretmounts import secret_mounts
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF616",
    name="build-secrets-not-wired",
    severity=Severity.WARNING,
    summary="A service's Dockerfile mounts a build secret (`RUN --mount=type=secret,id=X`) that "
    "its `build.secrets` does not provide.",
    what="For services with `build:`, reads the Dockerfile (`dockerfile_inline`, or the file inside "
    "the compose file's directory tree, at most 1 MiB; nothing outside it, no URLs) and reports "
    "secret ids its RUN instructions mount (`id=`, or the `target=` file name) that are missing "
    "from `build.secrets` (short or long syntax). Without a readable Dockerfile nothing is reported.",
    why="`docker compose build` passes only the secrets listed in `build.secrets`. A missing one is "
    "mounted as nothing: the RUN step fails (`required=true`), or silently builds without the "
    "credential, which tempts people into the insecure workaround of a build ARG (stored in the "
    "image history).",
    example="services:\n  app:\n    build: .\n# Dockerfile: RUN --mount=type=secret,id=npm_token npm ci",
    fix="Adds the missing ids to `build.secrets` (turning `build: ./dir` into `build: {context: ./dir, "
    "secrets: [...]}` in block style), and declares each at the top level unless it is declared "
    "already, from the source the Dockerfile itself names: `environment: NPM_TOKEN` for "
    '`--mount=type=secret,id=npm_token,env=NPM_TOKEN` or `NPM_TOKEN="$(cat /run/secrets/npm_token)"` '
    "(else the id upper-cased), `file: ./<context>/<file>` for a credential file mounted with "
    "`target=`. All of a file's secrets are wired in one fix, and `hardenify fix` wires them in the "
    "same run that moves a Dockerfile's secret to a mount (the compose file is fixed against the "
    "Dockerfile as that run leaves it).",
    fix_availability=FixAvailability.UNSAFE,
    fix_safety="Unsafe: the build now needs the environment variable (e.g. `export NPM_TOKEN=...` "
    "before `docker compose build`); change the top-level source to `file:` if the secret lives "
    "in a file.",
    references=References(),
    kinds=("compose",),
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def mounted_ids(dockerfile: str) -> list[str]:
    """Secret ids the Dockerfile's RUN instructions mount, in order, without duplicates."""
    out: list[str] = []
    for ins in parse_dockerfile(dockerfile).instructions:
        for run in (ins, ins.sub):
            if run is None or run.cmd != "RUN":
                continue
            for m in secret_mounts(run):
                if m.id not in out and "$" not in m.id:
                    out.append(m.id)
    return out


def wired_ids(cf: ComposeFile, build: Entry) -> list[str]:
    if not is_map(build.value):
        return []
    secrets = cf.lookup(build.value, "secrets")
    if secrets is None or not is_seq(secrets.value):
        return []
    out: list[str] = []
    for item in secrets.value.value:
        if is_scalar(item):
            out.append(text_of(item) or "")
        elif is_map(item):
            for key in ("target", "source"):
                e = cf.lookup(item, key)
                if e is not None and text_of(e.value):
                    out.append(str(text_of(e.value)))
                    break
    return out


def env_name(sid: str) -> str:
    """The conventional variable for a secret id nobody names: `npm_token` → `NPM_TOKEN`."""
    return re.sub(r"\W+", "_", sid).strip("_").upper() or "SECRET"


def sources(cf: ComposeFile, svc: Service, dockerfile: str) -> dict[str, dict[str, str]]:
    """Secret id → its top-level compose source, as the Dockerfile's own wiring says (the
    variable the user already uses, e.g. `env=NPM_TOKEN`, or the file a credential COPY took)."""
    from hardenify.dockerfile.secretmounts import secret_wiring

    out: dict[str, dict[str, str]] = {}
    context = build_context(cf, svc) or "."
    for w in secret_wiring(dockerfile):
        if w.env:
            out[w.id] = {"environment": w.env}
        elif w.src:
            rel = posixpath.normpath(posixpath.join(context, w.src))
            if not rel.startswith("../") and rel != "..":
                out[w.id] = {"file": "./" + rel}
    return out


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    pending: list[tuple[Service, Entry, list[str]]] = []
    wiring: dict[str, dict[str, str]] = {}
    for svc in cf.services:
        build = svc.get("build")
        if build is None:
            continue
        text = service_dockerfile(cf, svc)
        if text is None:
            continue
        wired = wired_ids(cf, build)
        missing = [i for i in mounted_ids(text) if i not in wired]
        if missing:
            pending.append((svc, build, missing))
            for sid, src in sources(cf, svc, text).items():
                wiring.setdefault(sid, src)
    plans = _plan(cf, pending, wiring)
    for svc, build, missing in pending:
        start, end = entry_span(cf, svc, build)
        ids = ", ".join(f"`{i}`" for i in missing)
        msg = (
            f"service `{svc.name}` builds a Dockerfile that mounts secret {ids}, missing from `build.secrets`"
        )
        finding = Finding(start, end, msg, pragmas(svc, build))
        planned = plans.get((svc.doc, svc.name))
        if planned is not None:
            finding.change = planned
            how = ", ".join(_how(wiring, i) for i in missing)
            finding.fix_message = f"Add {ids} to `build.secrets` ({how})"
            finding.note = f"`docker compose build` now needs {how}"
        yield finding


def _source(wiring: dict[str, dict[str, str]], sid: str) -> dict[str, str]:
    return wiring.get(sid) or {"environment": env_name(sid)}


def _how(wiring: dict[str, dict[str, str]], sid: str) -> str:
    src = _source(wiring, sid)
    return (
        f"the environment variable {src['environment']}"
        if "environment" in src
        else f"the file {src['file']}"
    )


def _plan(
    cf: ComposeFile, pending: list[tuple[Service, Entry, list[str]]], wiring: dict[str, dict[str, str]]
) -> dict[tuple[int, str], Any]:
    out: dict[tuple[int, str], Any] = {}
    docs = sorted({svc.doc for svc, _, _ in pending})
    for doc in docs:
        items = [(s, b, m) for s, b, m in pending if s.doc == doc]
        placed: list[Placed] = []
        declare: list[str] = []
        top = cf.top(doc, "secrets")
        declared = set(cf.keys(top.value)) if top is not None and is_map(top.value) else set()
        ok = True
        for svc, build, missing in items:
            p = _wire(cf, svc, build, missing)
            if p is None:
                ok = False
                break
            placed.append(p)
            declare += [i for i in missing if i not in declared and i not in declare]
        if not ok:
            continue
        if declare:
            tp = _place_top(cf, doc, declare, wiring)
            if tp is None:
                continue
            placed.append(tp)

        def landed(new: ComposeFile, items: list[tuple[Service, Entry, list[str]]] = items) -> bool:
            data = new.data()
            for svc, _, missing in items:
                build = get(data, (*svc.path, "build"))
                got = build.get("secrets") if isinstance(build, dict) else None
                names = [g.get("target") or g.get("source") if isinstance(g, dict) else g for g in got or []]
                if not all(m in names for m in missing):
                    return False
                if not all(isinstance(get(data, (svc.doc, "secrets", m)), dict) for m in missing):
                    return False
            return True

        ch = change(placed, landed)
        for svc, _, _ in items:
            out[(svc.doc, svc.name)] = ch
    return out


def _place_top(cf: ComposeFile, doc: int, ids: list[str], wiring: dict[str, dict[str, str]]) -> Placed | None:
    return place_top(cf, doc, "secrets", [(i, _source(wiring, i)) for i in ids])


def _wire(cf: ComposeFile, svc: Service, build: Entry, missing: list[str]) -> Placed | None:
    others, outside = reach(cf, svc, build.owner, "build")
    if outside or others:
        return None
    paths = cf.entry_paths(build.owner, "build")
    if is_map(build.value):
        secrets = cf.own(build.value, "secrets")
        if secrets is not None:
            if not is_seq(secrets.value):
                return None
            edit = append_items(cf, secrets.value, missing)
        elif cf.lookup(build.value, "secrets") is not None:
            return None  # merged in from an anchor: would need copying
        else:
            edit = insert_keys(cf, build.value, [("secrets", missing)])
        return Placed(edit, paths) if edit is not None else None
    # `build: ./dir` → a block mapping with context and secrets
    span = scalar_span(cf, build.value)
    if span is None or build.merged or build.owner is not svc.node:
        return None
    between = cf.text[int(build.key.end_mark.index) : span[0]]
    if not re.fullmatch(r"[ \t]*:[ \t]*['\"]?", between) or BREAK_RE.search(cf.text, span[0], span[1]):
        return None
    end = int(build.value.end_mark.index)
    col = cf.column(build.start) + cf.style()["indent"]
    lines = block_lines(cf, "context", text_of(build.value) or ".", col)
    lines += block_lines(cf, "secrets", missing, col)
    new = ":" + cf.newline + cf.newline.join(lines)
    return Placed(Edit(int(build.key.end_mark.index), end, new), paths)
