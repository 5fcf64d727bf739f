"""What a compose service runs, for the rules that judge it.

- `interpolate`/`has_vars`: compose's `${VAR:-default}` interpolation, as far as it is known
  without the runtime environment.
- `image`: the image a service runs, interpolated, with a normalised key for the knowledge
  tables in `hardenify.knowledge.images`.
- `service_dockerfile`/`built_stage`: the Dockerfile a service builds (`dockerfile_inline`, or
  read through the model's sandboxed reader) and the stage it runs; None when unknown.
- `built_user`/`service_cap_add`: the user it runs as and the capabilities it needs back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hardenify.compose.model import ComposeFile, Entry, Service, is_map, text_of
from hardenify.dockerfile.droppers import drops_privileges
from hardenify.dockerfile.model import Dockerfile, Stage, split_words, substitute
from hardenify.dockerfile.model import parse as parse_dockerfile
from hardenify.dockerfile.stages import chain_instructions, stage_env
from hardenify.dockerfile.users import is_root_user
from hardenify.imageref import ImageRef, try_parse_ref
from hardenify.knowledge.images import cap_add, image_key
from hardenify.knowledge.programs import root_starter

# ---------------------------------------------------------------------------- interpolation

_VAR_RE = re.compile(r"\$\$|\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def interpolate(value: str) -> str | None:
    """`${X:-d}`/`${X-d}` → d; None when the value needs a variable's runtime value."""
    unknown = False

    def sub(m: re.Match[str]) -> str:
        nonlocal unknown
        if m.group(0) == "$$":
            return "$"
        body = m.group(1)
        if body is not None:
            dm = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*:?-(.*)", body, re.S)
            if dm:
                return dm.group(1)
        unknown = True
        return ""

    out = _VAR_RE.sub(sub, value)
    return None if unknown else out


def has_vars(value: str) -> bool:
    return bool(re.search(r"\$(?!\$)[{A-Za-z_]", value.replace("$$", "")))


# -------------------------------------------------------------------------------- images


@dataclass(frozen=True)
class Image:
    """The image a service runs."""

    written: str | None  # as written; None when there is no `image:`
    ref: ImageRef | None  # parsed after interpolation; None when unknown or unparsable
    key: str | None  # `postgres`, `bitnami/postgresql`, `gcr.io/distroless/static`
    tag: str  # effective tag, lower-case ("latest" when none)
    entry: Entry | None
    builds: bool  # the service has `build:` (the image is built, not pulled)

    @property
    def label(self) -> str:
        return self.written or "the built image"


def image(svc: Service) -> Image:
    entry, _ = svc.find("image")
    build, _ = svc.find("build")
    written = text_of(entry.value) if entry is not None else None
    ref = None
    if written:
        resolved = interpolate(written)
        ref = try_parse_ref(resolved.strip().lower()) if resolved else None
    key = image_key(ref) if ref is not None else None
    tag = (ref.tag or "latest").lower() if ref is not None else ""
    return Image(written, ref, key, tag, entry, build is not None)


# ------------------------------------------------------------------------ Dockerfile lookup


def build_context(cf: ComposeFile, svc: Service) -> str | None:
    """The service's build context as written (`build: dir` or `build.context`), None without one."""
    build, _ = svc.find("build")
    if build is None:
        return None
    if is_map(build.value):
        ctx_e = cf.lookup(build.value, "context")
        return text_of(ctx_e.value) if ctx_e is not None else "."
    return text_of(build.value)


def service_dockerfile(cf: ComposeFile, svc: Service) -> str | None:
    """The Dockerfile a service builds from (inline or a file inside the compose file's tree)."""
    build, _ = svc.find("build")
    if build is None:
        return None
    if is_map(build.value):
        inline = cf.lookup(build.value, "dockerfile_inline")
        if inline is not None:
            return text_of(inline.value)
        ctx_e = cf.lookup(build.value, "context")
        df_e = cf.lookup(build.value, "dockerfile")
        context = text_of(ctx_e.value) if ctx_e is not None else "."
        dockerfile = text_of(df_e.value) if df_e is not None else "Dockerfile"
    else:
        context, dockerfile = text_of(build.value), "Dockerfile"
    if cf.reader is None or not context or not dockerfile or has_vars(context + dockerfile):
        return None
    if re.match(r"[a-z][a-z0-9+.-]*://|git@|github\.com/", context):
        return None
    rel = dockerfile if dockerfile.startswith("/") else f"{context.rstrip('/')}/{dockerfile}"
    return cf.reader(rel)


def built_stage(cf: ComposeFile, svc: Service) -> tuple[Dockerfile, Stage] | None:
    """The parsed Dockerfile of a built service and the stage it builds (`build.target`, else
    the last); None when the Dockerfile cannot be read or has no stage."""
    text = service_dockerfile(cf, svc)
    if text is None:
        return None
    df = parse_dockerfile(text)
    build, _ = svc.find("build")
    target = None
    if build is not None and is_map(build.value):
        t = cf.lookup(build.value, "target")
        target = text_of(t.value) if t is not None else None
    if target:
        for stage in df.stages:
            if stage.name and stage.name.lower() == target.lower():
                return df, stage
        return None
    final = df.final_stage
    return (df, final) if final is not None else None


def explicit_user(svc: Service) -> str | None:
    """The service's `user:` after interpolation ("" when it needs a runtime variable), or None."""
    entry, _ = svc.find("user")
    if entry is None:
        return None
    return (interpolate(text_of(entry.value) or "") or "").strip()


def built_user(cf: ComposeFile, svc: Service) -> tuple[str | None, str]:
    """The non-root user a built service's stage (`build.target`, else the last) ends with, and
    no privilege dropper; else None and why not. The Dockerfile analysis layer decides."""
    built = built_stage(cf, svc)
    if built is None:
        return None, "its Dockerfile (or the `build.target` stage) cannot be read"
    df, stage = built
    instructions = chain_instructions(stage)
    users = [i for i in instructions if i.cmd == "USER"]
    if not users:
        return None, "its Dockerfile sets no USER, so it starts as root"
    words = split_words(users[-1].args)
    name = substitute(words[0], stage_env(df, stage, users[-1])) if words else ""
    if not name or "$" in name or is_root_user(name):
        return None, f"its Dockerfile's last USER is `{words[0] if words else ''}`"
    dropper = drops_privileges(instructions)
    for ins in instructions:
        if dropper is None and ins.cmd in ("ENTRYPOINT", "CMD"):
            for w in ins.json if ins.json is not None else split_words(ins.args):
                dropper = dropper or root_starter(w)
    if dropper:
        return None, f"its Dockerfile starts {dropper}, which needs root"
    return name, ""


def service_cap_add(cf: ComposeFile, svc: Service) -> tuple[tuple[str, ...] | None, str]:
    """Capabilities the service needs back after `cap_drop: [ALL]` (() for none), or None and
    why hardenify cannot tell. Facts come from `hardenify.knowledge.images`, or for a built
    image from its Dockerfile."""
    user = explicit_user(svc)
    img = image(svc)
    if user and not is_root_user(user):
        return (), f"it runs as `user: {user}`"
    if img.builds:
        if user is not None and not user:
            return None, "its `user:` needs a runtime variable"
        name, why = built_user(cf, svc)
        if name is None or user:
            return None, f"hardenify cannot tell which capabilities it needs: {why or 'it runs as root'}"
        return (), f"its Dockerfile runs it as `{name}`"
    caps = cap_add(img.key, img.tag)
    if caps is None:
        return None, f"hardenify does not know which capabilities `{img.label}` needs"
    if caps == () and user:
        return None, f"`{img.label}` needs no capability as its own user, but `user: {user}` runs it as root"
    return caps, ""
