"""HF106: `USER name:group` where the build gave the user supplementary groups, which it drops."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.context import CheckContext, unsafe_fix
from hardenify.diagnostics import Diagnostic, Edit, FixAvailability, Severity
from hardenify.dockerfile.model import Instruction, Stage
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF106",
    name="user-group-drops-supplementary",
    severity=Severity.WARNING,
    summary="`USER name:group` drops the supplementary groups the build gave the user.",
    what="Reports `USER <user>:<group>` (names or ids) when the same stage chain, before that "
    "line, adds the user to other groups: `usermod -aG`/`-G`, `useradd -G`/`--groups`, Debian's "
    "`adduser <user> <group>` and `--add-extra-groups`, busybox's `addgroup <user> <group>`, or "
    "`gpasswd -a`. A numeric uid is matched to the user a `useradd -u`/`adduser -u` created. "
    "Without such evidence a `USER name:group` is not reported (it is the usual, harmless "
    "form).",
    why="Docker's USER documentation: when a group is given, the user has only that group; "
    "every other group membership configured in the image is ignored. A user added to `docker`, "
    "`video`, `audio` or an application's shared group loses that access at run time only, so "
    'the image builds and then fails with permission errors, and the usual "fix" is to run as '
    "root.",
    example="FROM debian:bookworm-slim\nRUN useradd -u 10001 app && usermod -aG video app\nUSER app:app",
    fix="Removes `:<group>` when the group is the user's own primary group (the group named like "
    "the user that useradd/adduser create, or the gid given to `useradd -g`): the process then "
    "runs with the same primary group plus the supplementary ones. Declines (no fix) when the "
    "group differs from the primary one, since removing it would change the primary group.",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="Unsafe: the process gains the supplementary groups the build configured, which is "
    "the intent of adding them but widens what it can access.",
    references=References(),
)


def _supplementary(stage: Stage, upto: Instruction) -> dict[str, str]:
    """User name → how the build added it to another group, from the chain before `upto`."""
    from hardenify.dockerfile.runs import all_commands, options
    from hardenify.dockerfile.users import _parse_opts, command_words

    out: dict[str, str] = {}
    for ins in stage.chain_instructions:
        if ins is upto:
            break
        if ins.run is None:
            continue
        for _script, cmd in all_commands([ins]):
            words = command_words(cmd)
            if not words:
                continue
            prog, args = words[0], words[1:]
            line = " ".join(words)
            if prog == "usermod":
                opts, pos = _parse_opts(args, set("cdegGlLpsuZ"))
                if pos and (opts.get("-G") or opts.get("--groups") or opts.get("--append") is not None):
                    out.setdefault(pos[-1], line)
            elif prog == "useradd":
                opts, pos = _parse_opts(args, set("bcdefgGkKpPRuZ"))
                if pos and (opts.get("-G") or opts.get("--groups")):
                    out.setdefault(pos[-1], line)
            elif prog in ("adduser", "addgroup"):
                long_form = any(a.startswith("--") for a in args)
                value_short = set() if long_form else (set("hgsGuk") if prog == "adduser" else set("g"))
                opts, pos = _parse_opts(args, value_short)
                if len(pos) == 2 and not options(args):
                    out.setdefault(pos[0], line)  # `adduser user group` / busybox `addgroup user group`
                elif pos and (
                    opts.get("--add-extra-groups") is not None or opts.get("--add_extra_groups") is not None
                ):
                    out.setdefault(pos[-1], line)
            elif prog == "gpasswd":
                opts, pos = _parse_opts(args, set("adMAR"))
                if opts.get("-a"):
                    out.setdefault(opts["-a"], line)
    return out


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    from hardenify.dockerfile.users import user_db

    df = ctx.df
    for stage in df.stages:
        for ins in stage.instructions:
            if ins.cmd != "USER" or ":" not in ins.args or "$" in ins.args:
                continue
            spec = ins.args.strip()
            user, _, group = spec.partition(":")
            if not user or not group or " " in spec:
                continue
            extra = _supplementary(stage, ins)
            if not extra:
                continue
            db = user_db([i for i in stage.chain_instructions if i is not ins and i.start < ins.start])
            name = user
            if user.isdigit():
                name = next((u.name for u in db.users.values() if u.uid == user), user)
            how = extra.get(name)
            if how is None:
                continue
            msg = (
                f"`USER {spec}` runs with group `{group}` only: the supplementary groups the build gave "
                f"`{name}` (`{how}`) are dropped"
            )
            created = db.users.get(name)
            primary = created is not None and (
                group == name
                if created.gid is None
                else group in (created.gid, _group_name(db.groups, created.gid))
            )
            if primary:
                start = ins.start + len(ins.indent)
                at = df.text.find(spec, start, ins.content_end)
                if at >= 0:
                    edit = Edit(at + len(user), at + len(spec), "")
                    yield ctx.at(
                        RULE, ins, f"{msg}; write `USER {user}`", fix=unsafe_fix(f"Use `USER {user}`", edit)
                    )
                    continue
            yield ctx.at(
                RULE,
                ins,
                msg,
                note="write `USER <user>` to keep them (its primary group comes from /etc/passwd), or "
                "grant the access through the group named here",
            )


def _group_name(groups: dict[str, str | None], gid: str) -> str | None:
    return next((g for g, v in groups.items() if v == gid), None)
