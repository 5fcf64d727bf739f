"""HF605: a compose service keeps Docker's default capabilities (no `cap_drop: [ALL]`)."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.compose.findings import Finding, model, report, service_span
from hardenify.compose.model import ComposeFile, Service, is_seq, is_true, text_of
from hardenify.compose.placement import Placed, change, others_note, place_items, upper_list
from hardenify.compose.service import image, service_cap_add
from hardenify.compose.verify import get
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.knowledge.images import capability_free
from hardenify.rules import References, Rule

from .hf604_dangerous_capability import capability

RULE = Rule(
    code="HF605",
    name="missing-cap-drop",
    severity=Severity.WARNING,
    summary="A compose service does not drop Linux capabilities (`cap_drop: [ALL]`).",
    what="Reports services whose `cap_drop` (own, merged from an anchor, or from a same-file "
    "`extends`) does not contain ALL. Privileged services are left to HF601; services extending "
    "another file are skipped (rules read one file).",
    why="Docker gives every container 14 capabilities by default (CHOWN, DAC_OVERRIDE, FOWNER, "
    "SETUID, SETGID, NET_RAW, MKNOD, SYS_CHROOT...). Most services need none of them, and each one "
    "is something an attacker in the container can use: NET_RAW for ARP/DNS spoofing on the bridge, "
    "SETUID/SETGID and DAC_OVERRIDE to defeat file permissions. Dropping ALL and adding back only "
    "what is needed (`cap_add`) is least privilege. CIS Docker Benchmark 5.3.",
    example="services:\n  api:\n    image: example/api:3.1",
    fix="""\
Adds `cap_drop: [ALL]` together with the `cap_add` list the image needs to start, so the
service keeps working (existing `cap_drop`/`cap_add` lists are extended in their own style):

- images that chown their data and switch user with gosu (postgres, redis, mysql, mariadb, mongo,
  rabbitmq): `CHOWN`, `DAC_OVERRIDE`, `FOWNER`, `SETGID`, `SETUID`;
- nginx and httpd/php-apache (root master binding :80, workers as another user): `CHOWN`,
  `NET_BIND_SERVICE`, `SETGID`, `SETUID`; php-fpm: `CHOWN`, `SETGID`, `SETUID`;
- wordpress, nextcloud: the gosu set plus `NET_BIND_SERVICE` (fpm variants without it);
- linuxserver (s6-overlay): the gosu set plus `KILL`;
- images that run as a non-root user and need nothing (Bitnami, Grafana, Prometheus, memcached,
  nginx-unprivileged, distroless `:nonroot`...), a service with a non-root `user:`, and a built
  image whose Dockerfile (the `build.target` stage, else the last) ends with a non-root USER and
  starts no privilege dropper (gosu, su-exec, setpriv, s6, supervisord...): no `cap_add`.

Each family's facts and their upstream source are in `hardenify/knowledge/images.py`.
The fix declines, and says why, for any other image (hardenify does not know what it needs), a
built image without such a USER or whose Dockerfile cannot be read, a capability-free image run
as root by `user:`, and a `cap_add` that is not a list.""",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="Safe when nothing is added back and the image runs as its own non-root user (the "
    "known non-root images above). Unsafe when capabilities are added back, for built images and "
    "`user:` overrides (a setuid helper the service execs would lose its privileges), and when the "
    "list lives in an anchor other services share.",
    references=References(cis=("5.3",)),
    kinds=("compose",),
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(cf))


def _findings(cf: ComposeFile) -> Iterator[Finding]:
    for svc in cf.services:
        priv = svc.get("privileged")
        if priv is not None and is_true(priv.value):
            continue
        entry, unknown = svc.find("cap_drop")
        if unknown:
            continue
        if entry is not None:
            if not is_seq(entry.value):
                continue
            if "ALL" in [capability(text_of(i) or "") for i in entry.value.value]:
                continue
        start, end = service_span(svc)
        msg = f"service `{svc.name}` keeps Docker's default capabilities: add `cap_drop: [ALL]`"
        caps, why = service_cap_add(cf, svc)
        if caps is None:
            yield Finding(
                start,
                end,
                msg,
                (),
                note=f"left for a human: {why}; add `cap_drop: [ALL]` with the `cap_add` list it needs",
            )
            continue
        have_entry, have_unknown = svc.find("cap_add")
        if have_unknown or (have_entry is not None and not is_seq(have_entry.value)):
            yield Finding(start, end, msg, (), note="left for a human: its `cap_add` is not a plain list")
            continue
        have = (
            [capability(text_of(i) or "") for i in have_entry.value.value] if have_entry is not None else []
        )
        add = [c for c in caps if c not in have]
        img = image(svc)
        safe = (
            not caps
            and not img.builds
            and explicit_user_absent(svc)
            and img.key is not None
            and (capability_free(img.key, img.tag))
        )
        note = (
            None
            if safe
            else (
                f"keeps {', '.join(caps)} (what `{img.label}` needs to start)"
                if caps
                else f"needs no capability: {why}"
                if why
                else None
            )
        )
        finding = Finding(start, end, msg, (), note=note)
        placed: list[Placed | None] = [place_items(cf, svc, "cap_drop", ["ALL"])]
        if add:
            placed.append(place_items(cf, svc, "cap_add", add))
        if all(p is not None for p in placed):
            ok = [p for p in placed if p is not None]

            def landed(new: ComposeFile, svc: Service = svc, caps: tuple[str, ...] = caps) -> bool:
                if "ALL" not in upper_list(get(new.data(), (*svc.path, "cap_drop"))):
                    again = new.service(svc.name, svc.doc)
                    found = again.find("cap_drop")[0] if again is not None else None
                    if found is None or not is_seq(found.value):
                        return False
                    if "ALL" not in [capability(text_of(i) or "") for i in found.value.value]:
                        return False
                again = new.service(svc.name, svc.doc)
                got = again.find("cap_add")[0] if again is not None else None
                have = (
                    [capability(text_of(i) or "") for i in got.value.value]
                    if got is not None and is_seq(got.value)
                    else []
                )
                return all(c in have for c in caps)

            others = sorted({o for p in ok for o in p.others})
            # the new cap_add lines go before a new cap_drop key inserted at the same point
            finding.change = change(ok[::-1] if len(ok) == 2 else ok, landed)
            finding.safe = safe and not others
            finding.fix_message = (
                "Add `cap_drop: [ALL]`"
                + (f" and `cap_add: [{', '.join(add)}]`" if add else "")
                + (others_note(others))
            )
        yield finding


def explicit_user_absent(svc: Service) -> bool:
    entry, _ = svc.find("user")
    return entry is None
