"""HF302: a secret value written into the Dockerfile."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import NamedTuple

from hardenify.context import CheckContext, unsafe_fix
from hardenify.diagnostics import Diagnostic, Edit, FixAvailability, Severity
from hardenify.dockerfile import edits
from hardenify.dockerfile.model import Comment, Dockerfile, Instruction, env_pairs
from hardenify.dockerfile.secretmounts import env_mount_supported, secret_mounts
from hardenify.dockerfile.shell import quote_state, tokenize
from hardenify.dockerfile.stages import posix_shell_at
from hardenify.rules import References, Rule
from hardenify.secrets import (
    SecretMatch,
    argv_secrets,
    find_tokens,
    is_hardcoded_secret,
    is_secret_name,
    ref_re,
    register,
    secret_id_for,
    shell_script,
    word_re,
)

from ._secretedit import delete_word
from ._secretfix import Decl, Plan, declarations, mount_insert_pos, non_root_at, var_to_secret

ROTATE = (
    "Rotate this credential now: it is in the Dockerfile's git history and in every image layer and "
    "build cache made from it; removing it from the file does not revoke it."
)

RULE = Rule(
    code="HF302",
    name="hardcoded-secret",
    severity=Severity.ERROR,
    summary="A credential is written into the Dockerfile (token, private key, password, URL with a password).",
    what="Finds secret values anywhere in the file: known token formats (GitHub `ghp_`/`gho_`/`ghs_`/"
    "`github_pat_`, GitLab `glpat-`, Slack `xox?-` and webhooks, AWS access key ids `AKIA...` and secret "
    "keys next to an `aws_secret_access_key` name, Stripe `sk_live_`, Google `AIza`, npm `npm_`, PyPI, "
    "Docker Hub `dckr_pat_`, Hugging Face `hf_`, OpenAI, Anthropic, SendGrid, JWTs, private key blocks, "
    "passwords in URLs `scheme://user:pass@host`) in ARG/ENV/LABEL values, RUN lines, heredocs, other "
    "instructions and comments; and non-empty literal values of ARG/ENV names that look like secrets "
    "(see HF301), of `NAME=value` words in RUN, and of `--password`/`--token`-style options and "
    "`curl -u user:pass`. Every value found is redacted in all output. Obvious placeholders are not "
    "reported: empty values, pure `${VAR}` references, changeme/password/secret/none/true/false, values "
    "containing example/dummy/fake/placeholder, `xxx`, `<token>`, `{{ token }}`, `your-token-here`, short "
    "numbers, paths, and URLs without credentials. AWS's documented `...EXAMPLE` keys are ignored.",
    why="A secret in a Dockerfile is in the repository's history and in every image built from it, "
    "readable by anyone with the source or the image. It must be revoked, not just deleted. "
    "CIS Docker Benchmark 4.10.",
    # (split so that secret scanners do not flag this source file)
    example="FROM alpine:3.20\nENV GITHUB_TOKEN=ghp" + "_16C7e42F292c6912E7710c838347Ae178B4a\n"
    "RUN git clone https://oauth2:glpat" + "-abcdefghij0123456789@gitlab.com/acme/app.git",
    fix="ARG/ENV with a secret used by RUN steps: moved into a build secret exactly as HF301 does. An "
    "ARG/ENV that nothing else references: the declaration is removed (supply the value at build or run "
    "time). A LABEL holding a token: the label is removed. A token or URL password inside a RUN command "
    "(not single-quoted, not in a heredoc): replaced by `${GITHUB_TOKEN}` from "
    "`--mount=type=secret,id=github_token,env=GITHUB_TOKEN` when the `# syntax=` frontend supports "
    "`env=`, else by `$(cat /run/secrets/github_token)`. Private keys, JWTs, AWS keys, comments and "
    "heredoc bodies are reported without a fix. Every finding carries a note to rotate the credential.",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="Unsafe: the build then needs the secret passed with `docker build --secret`, and a removed "
    "ENV is no longer set when the container runs. The fix removes the value from future builds only; "
    "the credential stays valid and exposed until it is rotated.",
    references=References(
        trivy=(
            "github-pat",
            "github-oauth",
            "github-fine-grained-pat",
            "gitlab-pat",
            "slack-access-token",
            "slack-web-hook",
            "aws-access-key-id",
            "aws-secret-access-key",
            "stripe-secret-token",
            "npm-access-token",
            "private-key",
            "jwt-token",
        ),
        checkov=(
            "CKV_SECRET_2",
            "CKV_SECRET_4",
            "CKV_SECRET_9",
            "CKV_SECRET_10",
            "CKV_SECRET_12",
            "CKV_SECRET_13",
            "CKV_SECRET_14",
            "CKV_SECRET_17",
        ),
        cis=("4.10",),
    ),
    registers_secrets=True,
)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    plans: dict[str, Plan | str] = {}
    for node in df.nodes:
        if isinstance(node, Comment):
            for m in find_tokens(node.body):
                register(ctx, m.value)
                off = _content_end(df, node) - len(node.body)
                yield ctx.diagnostic(
                    RULE, off + m.start, off + m.end, f"{m.fmt.label} in a comment", note=ROTATE
                )
        if not isinstance(node, Instruction):
            continue
        ins, onbuild = node, False
        if ins.cmd == "ONBUILD" and ins.sub is not None:
            ins, onbuild = ins.sub, True
        yield from _instruction(ctx, df, ins, onbuild, plans)


def _content_end(df: Dockerfile, node: Comment) -> int:
    end = node.end
    while end > node.start and df.text[end - 1] in "\r\n":
        end -= 1
    return end


def _instruction(
    ctx: CheckContext, df: Dockerfile, ins: Instruction, onbuild: bool, plans: dict[str, Plan | str]
) -> Iterator[Diagnostic]:
    if ins.cmd in ("ARG", "ENV"):
        for d in declarations(ins):
            yield from _declaration(ctx, df, d, onbuild, plans)
    elif ins.cmd == "LABEL":
        pairs = env_pairs(ins)
        for key, value, s, e in pairs:
            found = find_tokens(value)
            if not found:
                continue
            for m in found:
                register(ctx, m.value)
            fix = None
            if not onbuild:
                ed = (
                    [edits.delete(df, ins)]
                    if len(pairs) == 1
                    else delete_word(df, ins, ins.args_offset + s, ins.args_offset + e)
                )
                if ed:
                    fix = unsafe_fix(f"Remove the label `{key}`", *ed)
            yield ctx.diagnostic(
                RULE,
                ins.arg_src(s),
                ins.arg_src(e, end=True),
                f"{found[0].fmt.label} in LABEL `{key}`: labels are readable by anyone who can pull the image",
                fix=fix,
                note=ROTATE,
            )
    elif ins.cmd == "RUN":
        yield from _run(ctx, df, ins, onbuild)
    else:
        found = find_tokens(ins.logical)
        for m in found:
            register(ctx, m.value)
            yield ctx.diagnostic(
                RULE, ins.src(m.start), ins.src(m.end, end=True), f"{m.fmt.label} in {ins.cmd}", note=ROTATE
            )
        if ins.cmd in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
            taken = [(m.start, m.end) for m in found]
            for f in _argv_values(ins):
                if any(s < f.end and f.start < e for s, e in taken):
                    continue
                register(ctx, f.value)
                yield ctx.diagnostic(
                    RULE,
                    ins.src(f.start),
                    ins.src(f.end, end=True),
                    f"{f.what} in {ins.cmd}: it is stored in the image configuration",
                    note=ROTATE,
                )
    for h in ins.heredocs:
        for m in find_tokens(h.content):
            register(ctx, m.value)
            yield ctx.diagnostic(
                RULE,
                h.start + m.start,
                h.start + m.end,
                f"{m.fmt.label} in a heredoc of {ins.cmd}",
                note=ROTATE,
            )


def _declaration(
    ctx: CheckContext, df: Dockerfile, d: Decl, onbuild: bool, plans: dict[str, Plan | str]
) -> Iterator[Diagnostic]:
    value = d.value
    if not value:
        return
    found = find_tokens(value)
    if found:
        for m in found:
            register(ctx, m.value)
        what = found[0].fmt.label
    elif is_hardcoded_secret(d.name, value) and not _switch_or_path(value):
        register(ctx, value)
        what = "a secret value"
    else:
        return
    msg = f"{d.kind} `{d.name}` hard-codes {what}: it is stored in the image for anyone who can pull it"
    start, end = d.ins.src(d.start), d.ins.src(d.end, end=True)
    if onbuild:
        yield ctx.diagnostic(RULE, start, end, msg, note=ROTATE)
        return
    if d.name not in plans:
        plans[d.name] = var_to_secret(df, d.name)
    plan = plans[d.name]
    if isinstance(plan, Plan):
        fix = unsafe_fix(plan.message + ". Rotate the leaked credential", *plan.edits)
        yield ctx.diagnostic(RULE, start, end, msg, fix=fix, note=ROTATE)
        return
    removal = _remove_unreferenced(df, d)
    if removal is not None:
        fix = unsafe_fix(
            f"Remove the hard-coded {d.kind} {d.name}; supply it when building or running instead, "
            "and rotate the leaked credential",
            *removal,
        )
        yield ctx.diagnostic(RULE, start, end, msg, fix=fix, note=ROTATE)
        return
    yield ctx.diagnostic(RULE, start, end, msg, note=f"{ROTATE} No automatic fix: {plan}.")


def _switch_or_path(value: str) -> bool:
    v = value.strip()
    return v.lower() in ("true", "false", "yes", "no", "on", "off", "enabled", "disabled") or (
        v.startswith("/") and " " not in v
    )


def _remove_unreferenced(df: Dockerfile, d: Decl) -> list[Edit] | None:
    """Delete a declaration nothing else mentions (its value is not used by the build)."""
    pat = word_re(d.name)
    for ins in df.instructions:
        if ins.cmd in ("ARG", "ENV"):
            if any(
                not (x.ins is d.ins and x.start == d.start) and x.raw_value and pat.search(x.raw_value)
                for x in declarations(ins)
            ):
                return None
            continue
        body = ins.logical + "".join(h.content for h in ins.heredocs)
        if pat.search(body):
            return None
    if d.siblings == 1:
        return [edits.delete(df, d.ins)]
    return delete_word(df, d.ins, d.start, d.end)


def _run(ctx: CheckContext, df: Dockerfile, ins: Instruction, onbuild: bool) -> Iterator[Diagnostic]:
    for m in find_tokens(ins.logical[: ins.args_offset]):  # in the flags
        register(ctx, m.value)
        yield ctx.diagnostic(
            RULE, ins.src(m.start), ins.src(m.end, end=True), f"{m.fmt.label} in RUN flags", note=ROTATE
        )
    args = ins.args
    found = find_tokens(args)
    for m in found:
        register(ctx, m.value)
    for m in found:
        msg = f"{m.fmt.label} in RUN: the command line is stored in the image history"
        fix = None if onbuild else _replace_in_run(df, ins, m)
        yield ctx.diagnostic(
            RULE,
            ins.arg_src(m.start),
            ins.arg_src(m.end, end=True),
            msg,
            fix=unsafe_fix(fix[0] + ". Rotate the leaked credential", *fix[1]) if fix else None,
            note=ROTATE,
        )
    taken = [(m.start, m.end) for m in found]
    for start, end, what in _named_values(args):
        if any(s < end and start < e for s, e in taken):
            continue
        register(ctx, args[start:end])
        yield ctx.diagnostic(
            RULE,
            ins.arg_src(start),
            ins.arg_src(end, end=True),
            f"{what} in RUN: the command line is stored in the image history",
            note=ROTATE,
        )


def _named_values(args: str) -> Iterator[tuple[int, int, str]]:
    """Literal values of `SECRET_NAME=value` words, and credentials passed as options
    (`--password value`, `curl -u u:p`, `mysql -pX`, `sshpass -p X`: see `argv_secrets`)."""
    for cmd in tokenize(args):
        words = cmd.words
        for w in words:
            name, sep, val = w.value.partition("=")
            if sep and _IDENTIFIER.fullmatch(name) and is_secret_name(name):
                raw = w.raw
                if "$" not in raw and is_hardcoded_secret(name, val) and not _switch_or_path(val):
                    yield w.start + raw.index("=") + 1, w.end, f"a hard-coded value for `{name}`"
        if not any(w.value.startswith("-") for w in words):
            continue  # no option: nothing more to find (most commands)
        values = [w.value for w in words]
        for hit in argv_secrets(values, cmd.program_index()):
            w = words[hit.word]
            if "$" in w.raw:
                continue
            yield _word_tail(w.raw, w.value, hit.offset) + w.start, w.end, hit.what


def _word_tail(raw: str, value: str, offset: int) -> int:
    """Where value[offset:] starts in the word as written (`-p'pw'` → 2), 0 when unclear."""
    if not offset:
        return 0
    i = raw.find(value[:offset])
    return i + offset if i >= 0 else 0


class _Found(NamedTuple):
    start: int  # span in `ins.logical`
    end: int
    what: str
    value: str  # the secret as the program receives it


def _argv_values(ins: Instruction) -> Iterator[_Found]:
    """Credentials passed as options to CMD/ENTRYPOINT/HEALTHCHECK (`--password X`, `mysql -pX`)."""
    argv = ins.json
    if argv is None:
        base, args = ins.args_offset, ins.args
        if ins.cmd == "HEALTHCHECK":  # `HEALTHCHECK [--flags] CMD command...`
            m = re.match(r"(?:--\S+\s+)*CMD\s+", args, re.I)
            if m is None:
                return
            base, args = base + m.end(), args[m.end() :]
        for start, end, what in _named_values(args):
            yield _Found(base + start, base + end, what, args[start:end])
        return
    if ins.cmd == "HEALTHCHECK" and argv and argv[0] in ("CMD", "CMD-SHELL"):
        argv = argv[1:] if argv[0] == "CMD" else ["sh", "-c", *argv[1:2]]
    script = shell_script(argv)
    if script is not None:
        text = script[1]
        values = [(text[s:e].strip("\"'"), what) for s, e, what in _named_values(text)]
    else:
        values = [(argv[h.word][h.offset :], h.what) for h in argv_secrets(argv)]
    for value, what in values:
        # Located as JSON writes it; a value with escapes is reported on the whole instruction.
        shown = json.dumps(value)[1:-1]
        at = ins.logical.find(shown, ins.args_offset)
        if at < 0:
            yield _Found(ins.args_offset, len(ins.logical), what, value)
        else:
            yield _Found(at, at + len(shown), what, value)


def _url_secret_id(args: str, m: SecretMatch) -> str:
    """`https://u:p@nexus.corp.example/x` → `nexus_corp_password`."""
    host = re.match(r"[A-Za-z0-9.\-]*", args[m.end + 1 :])
    labels = [x for x in (host.group(0) if host else "").lower().split(".") if x and x != "www"]
    if len(labels) > 1:
        labels = labels[:-1]
    return secret_id_for("_".join(labels) + "_password") if labels else "url_password"


def _replace_in_run(df: Dockerfile, ins: Instruction, m: SecretMatch) -> tuple[str, list[Edit]] | None:
    """Replace a token in a shell-form RUN by a reference to a secret mount."""
    if not m.fmt.fixable or df.is_windows or ins.json is not None or not posix_shell_at(df, ins):
        return None
    args = ins.args
    if quote_state(args, m.start) == "'" or args[: m.start].count("`") % 2:
        return None
    start, end = ins.arg_src(m.start), ins.arg_src(m.end, end=True)
    if "\n" in df.text[start:end]:
        return None
    sid = _url_secret_id(args, m) if m.fmt.key == "url-password" else m.fmt.secret_id
    var = sid.upper()
    existing = {x.id: x for x in secret_mounts(ins)}
    mount = existing.get(sid)
    edits_: list[Edit] = []
    if mount is not None:
        ref = f"${{{mount.env}}}" if mount.env else f"$(cat {mount.path})"
    else:
        env_ok = (
            env_mount_supported(df) and not word_re(var).search(df.text) and not ref_re(var).search(df.text)
        )
        opts = f"type=secret,id={sid}"
        if env_ok:
            opts += f",env={var}"
            ref = f"${{{var}}}"
        else:
            if non_root_at(df, ins):
                opts += ",mode=0444"
            ref = f"$(cat /run/secrets/{sid})"
        pos = mount_insert_pos(ins)
        edits_.append(Edit(pos, pos, f" --mount={opts}"))
    # Unquoted, the shell would split the expansion (hadolint: SC2046/SC2086); a token has no
    # spaces, so quoting only the reference keeps the word the same.
    edits_.append(Edit(start, end, ref if quote_state(args, m.start) == '"' else f'"{ref}"'))
    msg = (
        f"Read the {m.fmt.label} from a build secret (`{ref}`); build with "
        f"`docker build --secret id={sid},env={mount.env if mount and mount.env else var}`"
    )
    return msg, edits_
