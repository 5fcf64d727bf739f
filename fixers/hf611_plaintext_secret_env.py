"""HF611: a compose service's environment holds a plaintext secret."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from hardenify.compose.edits import replace_scalar, scalar_span
from hardenify.compose.findings import Finding, model, report
from hardenify.compose.model import (
    ComposeFile,
    Entry,
    Node,
    Service,
    is_flow,
    is_map,
    is_scalar,
    is_seq,
    text_of,
)
from hardenify.compose.placement import Placed, change, place_items, place_top, reach
from hardenify.compose.secrets import findings, register_all
from hardenify.compose.service import has_vars, image
from hardenify.compose.verify import get
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Edit, FixAvailability, Severity
from hardenify.knowledge.images import family, file_variant
from hardenify.rules import References, Rule
from hardenify.secrets import (
    find_tokens,
    is_ambiguous_name,
    is_password_name,
    is_placeholder,
    is_secret_name,
    looks_like_key_material,
    secret_id_for,
)

RULE = Rule(
    code="HF611",
    name="plaintext-secret-env",
    severity=Severity.ERROR,
    summary="A compose service's `environment:` holds a plaintext secret.",
    what="""\
Reports `environment:` entries (mapping or `KEY=VALUE` list form, own or merged from an anchor)
that hold a literal credential:

- a secret-looking name (PASSWORD, PASSWD, PWD, SECRET, TOKEN, API_KEY, CREDENTIALS..., the same
  names as HF301) with a literal value: any value for password names, key-like values for
  names that are secret only through KEY/AUTH;
- a `${VAR:-literal}` fallback to a literal secret;
- a known token format (GitHub, GitLab, Slack, AWS, Stripe, OpenAI... tokens) or a password inside
  a URL (`postgres://app:s3cret@db/app`) under any name.

`${VAR}` interpolation, empty values, booleans, file paths and URLs without credentials are fine.
Every value found is redacted from all output.""",
    why="The compose file is committed, copied into CI logs and shared: every reader gets the "
    "credential. Environment variables also leak through `docker inspect`, `/proc/<pid>/environ`, "
    "crash reports and child processes. Compose secrets are files mounted at `/run/secrets/<name>` "
    "and never appear in the container's configuration.",
    example="services:\n  db:\n    image: postgres:17\n    environment:\n      POSTGRES_PASSWORD: s3cr3t-pa55",
    fix="""\
For images whose entrypoint reads `<NAME>_FILE` (postgres, postgis, timescaledb, mysql, mariadb,
mongo, wordpress, nextcloud, minio, Bitnami databases; `__FILE` for Grafana `GF_*` and Gitea
`GITEA__*`): replaces `NAME: value` with `NAME_FILE: /run/secrets/<service>_<name>`, adds the
secret to the service's `secrets:` and declares it at the top level as
`<service>_<name>: {file: ./secrets/<service>_<name>.txt}`.

The fix applies only when that file already exists beside the compose file and holds exactly
the value (a trailing newline aside). Hardenify never writes a secret value to disk itself: a
created file could be committed (a fleet PR commits every file a fix creates) or copied into
images, and a reference to a file nobody creates stops `docker compose up`. So every
`secrets: … file:` the fixed file references exists. Otherwise the finding says which file to
create: mode 0600, owned by the uid the service reads it as (compose bind-mounts the file with
its own owner and mode, and postgres, mysql... read it after dropping to uid 999), listed in
`.gitignore` and `.dockerignore`; the next `fix --unsafe-fixes` then moves the variable. Other images cannot read a file: the finding stays, without a fix.""",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="Unsafe: the value now comes from the file, so the file must travel with every "
    "deployment of the compose file. Entries merged from an anchor are moved only when no other "
    "service uses the anchor.",
    references=References(cis=("4.10",)),
    kinds=("compose",),
    registers_secrets=True,
)

BOOL_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "y", "n", "1", "0"})
_DEFAULT_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?-(.*)\}", re.DOTALL)
# Strings the compose fixes write: a secret equal to a part of one must not be redacted, or the
# redactor (which also rewrites fix edits) would corrupt the fix.
FIX_VOCABULARY = (
    "read_only tmpfs /tmp /var/cache/nginx /var/run/postgresql /var/run/mysqld /run/mysqld "
    "/usr/local/apache2/logs cap_drop ALL security_opt no-new-privileges:true deploy resources limits "
    "memory cpus pids mem_limit pids_limit healthcheck test interval timeout retries start_period "
    "CMD-SHELL pg_isready redis-cli valkey-cli mysqladmin mongosh rabbitmq-diagnostics ping "
    "127.0.0.1 [::1] host_ip secrets file environment ./secrets/ /run/secrets/ _FILE"
)


class Var(NamedTuple):
    """One environment entry."""

    svc: Service
    name: str
    value: str
    key: Node | None  # the key scalar (mapping form) or None (list form)
    node: Node  # the value scalar (mapping form) or the `KEY=VALUE` item (list form)
    owner: Node  # the mapping or list holding it
    env: Entry  # the service's `environment` entry


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = model(ctx)
    register_all(ctx, cf)  # every credential in the file, wherever it is, before any message
    if cf is not None:
        yield from report(ctx, RULE, [*_findings(ctx, cf), *findings(cf)])


def literal_secret(name: str, value: str) -> bool:
    """Is a literal value of `name` a secret worth reporting?"""
    s = value.strip()
    if not s or has_vars(s) or s.lower() in BOOL_WORDS:
        return False
    if s.startswith(("/", "./", "../", "~/")) and " " not in s:
        return False
    if re.match(r"[a-z][a-z0-9+.-]*://[^@\s]*$", s.lower()):
        return False
    if is_password_name(name):
        return True
    if is_ambiguous_name(name):
        return bool(looks_like_key_material(s))
    return True


def classify(name: str, value: str) -> tuple[str, str, str] | None:
    """(kind, secret, label): kind is literal | default | token; None when nothing is secret."""
    m = _DEFAULT_RE.fullmatch(value.strip())
    if m and is_secret_name(name) and literal_secret(name, m.group(2)):
        return "default", m.group(2), "a plaintext default"
    if is_secret_name(name) and literal_secret(name, value):
        return "literal", value.strip(), "a plaintext secret"
    for tok in find_tokens(value):
        return "token", tok.value, f"a {tok.fmt.label}"
    return None


def env_vars(cf: ComposeFile, svc: Service) -> Iterator[Var]:
    env = svc.get("environment")
    if env is None:
        return
    if is_map(env.value):
        for name in cf.keys(env.value):
            entry = cf.lookup(env.value, name)
            if entry is None or not is_scalar(entry.value):
                continue
            value = text_of(entry.value)
            if value is not None:
                yield Var(svc, name, value, entry.key, entry.value, entry.owner, env)
    elif is_seq(env.value):
        for item in env.value.value:
            text = text_of(item) if is_scalar(item) else None
            if text and "=" in text:
                name, _, value = text.partition("=")
                yield Var(svc, name.strip(), value, None, item, env.value, env)


def _register(ctx: CheckContext, cf: ComposeFile, secret: str, uses: int) -> None:
    """Redact a secret, unless it also appears as something that is not secret (then hiding it
    only garbles output, and a fix writing that text would be rewritten by the redactor)."""
    s = secret.strip()
    if is_placeholder(s) or s.lower() in FIX_VOCABULARY.lower():
        return
    if cf.text.lower().count(s.lower()) > uses:
        return
    ctx.secret(s)


def _findings(ctx: CheckContext, cf: ComposeFile) -> Iterator[Finding]:
    found: list[tuple[Var, str, str, str]] = []
    seen: set[tuple[int, str, int]] = set()
    for svc in cf.services:
        for var in env_vars(cf, svc):
            hit = classify(var.name, var.value)
            if hit is None:
                continue
            # An anchor merged into several services is reported once, at its line.
            ident = (id(var.owner), var.name, id(var.node))
            if ident in seen:
                continue
            seen.add(ident)
            found.append((var, *hit))
    counts: dict[str, int] = {}
    for _, _, secret, _ in found:
        counts[secret.strip()] = counts.get(secret.strip(), 0) + 1
    for _, _, secret, _ in found:
        _register(ctx, cf, secret, counts[secret.strip()])
    fixes = _plan(cf, [(v, k) for v, k, _, _ in found])
    for var, kind, _, label in found:
        start = int((var.key if var.key is not None else var.node).start_mark.index)
        end = cf.line_span(start)[1]
        users = _users(cf, var)
        where = (
            f"service `{var.svc.name}`"
            if users == [var.svc.name]
            else "services " + ", ".join(f"`{u}`" for u in users)
        )
        if kind == "default":
            msg = f"`{var.name}` of {where} falls back to {label} (`${{{var.name}:-…}}`)"
        else:
            msg = f"`{var.name}` of {where} holds {label}"
        finding = Finding(start, end, msg, (var.svc.start, var.env.start))
        planned = fixes.get(id(var.node))
        if planned is not None:
            ch, sid = planned
            finding.change = ch
            finding.fix_message = (
                f"Move `{var.name}` to the file-backed secret `{sid}` (./{secret_file(sid)})"
            )
            finding.note = "rotate the credential: it stays in the file's history"
        elif kind == "literal" and (fvar := _file_var(cf, var)) is not None:
            finding.note = (
                f"left for a human: hardenify writes no secret to disk. Create ./{secret_file(_sid(var))} "
                f"holding the value ({_file_mode(var)}, listed in .gitignore and .dockerignore), then "
                f"`hardenify fix --unsafe-fixes` moves `{var.name}` to `{fvar}`; rotate the credential"
            )
        elif kind == "literal":
            finding.note = "use a compose secret (`secrets:`) the application reads from /run/secrets, or pass it from the environment (`${VAR}`), and rotate it"
        else:
            finding.note = "pass it from the environment or a secret instead, and rotate it"
        yield finding


def _users(cf: ComposeFile, var: Var) -> list[str]:
    if var.key is None:
        services, _ = cf.users(var.env.owner, "environment")
    else:
        services, _ = cf.users(var.owner, var.name)
    names = sorted(name for _, name in services)
    return names or [var.svc.name]


def _plan(cf: ComposeFile, found: list[tuple[Var, str]]) -> dict[int, tuple[Any, str]]:
    """One fix per document moving every movable literal to a file-backed secret."""
    by_doc: dict[int, list[tuple[Var, str]]] = {}
    for var, kind in found:
        if kind != "literal":
            continue
        fvar = _file_var(cf, var)
        if fvar is not None:
            by_doc.setdefault(var.svc.doc, []).append((var, fvar))
    out: dict[int, tuple[Any, str]] = {}
    for doc, items in by_doc.items():
        planned = _plan_doc(cf, doc, items)
        if planned is None:
            continue
        ch, sids = planned
        for var, _ in items:
            if id(var.node) in sids:
                out[id(var.node)] = (ch, sids[id(var.node)])
    return out


def _file_var(cf: ComposeFile, var: Var) -> str | None:
    """The `_FILE` variable the service's image reads, when the entry can be moved."""
    img = image(var.svc)
    if img.builds or img.key is None:
        return None
    fvar = file_variant(img.key, var.name)
    if fvar is None:
        return None
    others, outside = (
        reach(cf, var.svc, var.env.owner, "environment")
        if var.key is None
        else reach(cf, var.svc, var.owner, var.name)
    )
    if others or outside:
        return None
    names = (
        cf.keys(var.env.value)
        if is_map(var.env.value)
        else [(text_of(i) or "").partition("=")[0].strip() for i in var.env.value.value]
    )
    if fvar in names:
        return None
    svc_secrets = var.svc.get("secrets")
    if svc_secrets is not None and not is_seq(svc_secrets.value):
        return None
    return fvar


def _sid(var: Var) -> str:
    prefixed = var.name.lower().startswith(var.svc.name.lower() + "_")  # wordpress + WORDPRESS_DB_PASSWORD
    sid: str = secret_id_for(var.name if prefixed else f"{var.svc.name}_{var.name}")
    return sid


def _file_mode(var: Var) -> str:
    """Compose bind-mounts a `file:` secret with the file's own owner and mode, and images that
    drop privileges read it after the switch: the file must be readable by that uid."""
    img = image(var.svc)
    fam = family(img.key, img.tag) if not img.builds else None
    if fam is not None and fam.uid is not None:
        return f"mode 0600 and owned by uid {fam.uid}, the user {fam.name} reads it as"
    return "mode 0600 and owned by the user the service reads it as"


def secret_file(sid: str) -> str:
    """Where the fix expects the value of secret `sid`, relative to the compose file."""
    return f"secrets/{sid}.txt"


def file_holds(cf: ComposeFile, sid: str, value: str) -> bool:
    """Does `./secrets/<sid>.txt` already exist beside the compose file and hold exactly `value`
    (a trailing newline aside, as the images' `file_env` helpers read it)?"""
    text = cf.reader(secret_file(sid)) if cf.reader is not None else None
    return text is not None and text.rstrip("\r\n") == value.strip()


def _plan_doc(cf: ComposeFile, doc: int, items: list[tuple[Var, str]]) -> tuple[Any, dict[int, str]] | None:
    top = cf.top(doc, "secrets")
    taken = set(cf.keys(top.value)) if top is not None and is_map(top.value) else set()
    sids: dict[int, str] = {}
    env_placed: list[Placed] = []
    per_service: dict[str, list[str]] = {}
    checks: list[tuple[Service, str, str, str, bool]] = []
    for var, fvar in items:
        sid = _sid(var)
        base, n = sid, 2
        while sid in taken:
            sid, n = f"{base}_{n}", n + 1
        if not file_holds(cf, sid, var.value):
            continue  # hardenify writes no secret to disk: the file must exist with the value
        taken.add(sid)
        sids[id(var.node)] = sid
        target = f"/run/secrets/{sid}"
        edits = _env_edits(cf, var, fvar, target)
        if edits is None:
            return None
        if var.key is None:
            paths = cf.entry_paths(var.env.owner, "environment")
        else:
            paths = cf.entry_paths(var.owner, var.name) + cf.entry_paths(var.owner, fvar)
        env_placed += [Placed(e, paths) for e in edits]
        per_service.setdefault(var.svc.name, []).append(sid)
        checks.append((var.svc, var.name, fvar, sid, var.key is None))
    svc_placed: list[Placed] = []
    for name, service_sids in per_service.items():
        svc = cf.service(name, doc)
        placed = place_items(cf, svc, "secrets", service_sids) if svc is not None else None
        if placed is None or placed.others:
            return None
        svc_placed.append(placed)
    if not sids:
        return None
    top_placed = place_top(
        cf, doc, "secrets", [(sid, {"file": f"./{secret_file(sid)}"}) for sid in sids.values()]
    )
    if top_placed is None:
        return None

    def landed(new: ComposeFile) -> bool:
        data = new.data()
        for svc, name, fvar, sid, listed in checks:
            env = get(data, (*svc.path, "environment"))
            target = f"/run/secrets/{sid}"
            if listed:
                if not isinstance(env, list) or f"{fvar}={target}" not in env:
                    return False
                if any(str(e).startswith(name + "=") for e in env):
                    return False
            elif not isinstance(env, dict) or env.get(fvar) != target or name in env:
                return False
            mounted = get(data, (*svc.path, "secrets"))
            if not isinstance(mounted, list) or sid not in [
                m.get("source") if isinstance(m, dict) else m for m in mounted
            ]:
                return False
            declared = get(data, (svc.doc, "secrets", sid))
            if not isinstance(declared, dict) or declared.get("file") != f"./secrets/{sid}.txt":
                return False
        return True

    return change([*env_placed, *svc_placed, top_placed], landed), sids


def _env_edits(cf: ComposeFile, var: Var, fvar: str, target: str) -> list[Edit] | None:
    flow = is_flow(var.owner)
    if var.key is None:
        if scalar_span(cf, var.node) is None:
            return None
        edit = replace_scalar(cf, var.node, f"{fvar}={target}", flow=flow)
        return [edit] if edit is not None else None
    key_edit = replace_scalar(cf, var.key, fvar, flow=flow)
    value_edit = replace_scalar(cf, var.node, target, flow=flow)
    if key_edit is None or value_edit is None:
        return None
    return [key_edit, value_edit]
