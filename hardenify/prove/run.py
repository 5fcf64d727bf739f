"""Prove one changed Dockerfile end to end, and revert the fixes that fail.

Both images are built from the Dockerfile's directory (the fixed text is written outside the
context), compared, then started with the hardened run options and watched until they reach a
state or the time budget ends:

* an image with a HEALTHCHECK must report `healthy` (checked every second);
* an image that EXPOSEs TCP ports must listen on them. Containers run with `--network=none`,
  so nothing can connect from outside; instead the main process's network namespace is read
  through the host's `/proc/<pid>/net/tcp{,6}` (LISTEN sockets). That needs nothing inside the
  image (distroless works) and opens no network. With a remote engine /proc is not ours, and
  "running" is all that is checked;
* anything else must still be running after `settle` seconds, or have exited 0 (a job image).

Every wait is bounded; every container and image made here is removed afterwards.
"""

from __future__ import annotations

import os
import secrets as _secrets
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hardenify.diagnostics import Redactor
from hardenify.outcome import FileOutcome
from hardenify.prove import buildlog, wiring
from hardenify.prove.docker import Docker, effective_uid, listening_ports
from hardenify.prove.model import (
    ImageFacts,
    Proof,
    RunState,
    StateKind,
    Verdict,
    compare,
    decide_run,
)
from hardenify.runner import Task

if TYPE_CHECKING:
    from hardenify.bulk.treefix import TreeFix

# Test-only: makes `--prove` treat a deliberately wrong fix as the fix, so the e2e tier can show
# it is reverted. "run" adds an ENTRYPOINT that does not exist; "build" adds a failing RUN.
TEST_BREAK_ENV = "HARDENIFY_PROVE_TEST_BREAK"
HARDENED = ("--read-only", "--cap-drop=ALL", "--security-opt=no-new-privileges", "--network=none")
LABEL = "org.hardenify.prove=1"
RUN_COMMON = ("--label", LABEL, "--health-interval=1s")


@dataclass(frozen=True)
class ProveOptions:
    build_args: tuple[str, ...] = ()  # `K=V` or `K` (from the environment)
    secrets: tuple[str, ...] = ()  # `--secret` specs, passed to both builds
    keep_unproven: bool = False
    build_timeout: float = 600.0
    run_timeout: float = 30.0  # to become healthy / listen
    settle: float = 3.0  # "still running after N seconds"
    list_files: bool = True


def break_for_test(text: str) -> str:
    """The deliberately wrong fix of TEST_BREAK_ENV (unchanged when it is not set)."""
    mode = os.environ.get(TEST_BREAK_ENV, "")
    nl = "" if text.endswith("\n") else "\n"
    if mode == "run":
        return f'{text}{nl}ENTRYPOINT ["/hardenify-test-hook/broken"]\n'
    if mode == "build":
        return f"{text}{nl}RUN /hardenify-test-hook/broken\n"
    return text


def hardened_tmpfs(text: str) -> tuple[str, ...]:
    """What the compose fix would mount as tmpfs under `read_only` for this image's base
    (`hardenify.knowledge.images.writable_paths`), else /tmp."""
    from hardenify.dockerfile.model import parse
    from hardenify.imageref import try_parse_ref
    from hardenify.knowledge.images import image_key, writable_paths

    stage = parse(text).final_stage
    while stage is not None and stage.parent is not None:
        stage = stage.parent
    ref = try_parse_ref(stage.resolved_image) if stage is not None else None
    if ref is not None:
        fam, _ = writable_paths(image_key(ref), ref.tag or "")
        if fam is not None and fam.writable:
            return tuple(fam.writable)
    return ("/tmp",)


def observe(d: Docker, cid: str, facts: ImageFacts, opts: ProveOptions, redactor: Redactor) -> RunState:
    """Watch a started container until it reaches a state or the budget ends (bounded)."""
    start = time.monotonic()
    deadline = start + max(opts.run_timeout, opts.settle)
    uid: int | None = None
    ports_seen: set[int] | None = None
    first_listen: float | None = None
    while True:
        st = d.state(cid)
        pid = int(st.get("Pid") or 0)
        if pid > 0 and d.local and uid is None:
            uid = effective_uid(pid)
        if not st.get("Running"):
            code = int(st.get("ExitCode") or 0) if st else None
            detail = "" if code == 0 else buildlog.excerpt(d.logs(cid), redactor)
            return RunState(StateKind.EXITED, code, uid=uid, detail=detail)
        health = (st.get("Health") or {}).get("Status")
        now = time.monotonic()
        if facts.ports and d.local and pid > 0:
            ports_seen = listening_ports(pid)
        listening = ports_seen is None or set(facts.ports) <= ports_seen
        if facts.healthcheck is not None:
            if health == "healthy" and listening:
                return RunState(StateKind.HEALTHY, ports=facts.ports, uid=uid)
            if health == "unhealthy":
                return RunState(StateKind.UNHEALTHY, uid=uid, detail=buildlog.excerpt(d.logs(cid), redactor))
        elif facts.ports and ports_seen is not None:
            some = set(facts.ports) & ports_seen
            if some and first_listen is None:
                first_listen = now
            # All exposed ports, or those that listen once `settle` passed since the first did
            # (an EXPOSE the app never binds must not cost the whole budget).
            if listening or (first_listen is not None and now - first_listen >= opts.settle):
                return RunState(StateKind.LISTENING, ports=tuple(sorted(some)), uid=uid)
        elif now - start >= opts.settle:
            return RunState(StateKind.RUNNING, uid=uid)
        if now >= deadline:
            if facts.healthcheck is not None:
                return RunState(
                    StateKind.UNHEALTHY, uid=uid, detail=f"not healthy after {opts.run_timeout:.0f}s"
                )
            if facts.ports and ports_seen is not None:
                return RunState(StateKind.NOT_LISTENING, ports=tuple(sorted(ports_seen)), uid=uid)
            return RunState(StateKind.RUNNING, uid=uid)
        time.sleep(0.25)


def prove_one(
    d: Docker,
    path: Path,
    display: str,
    original: str,
    fixed: str,
    redactor: Redactor,
    opts: ProveOptions,
    *,
    root: Path | None = None,
    new_dockerignore: str | None = None,
) -> Proof:
    """Build, compare and run `original` and `fixed` (the text of the Dockerfile at `path`);
    `new_dockerignore` is the `.dockerignore` the fix creates beside it, used for the fixed build."""
    t0 = time.monotonic()
    token = _secrets.token_hex(5)
    context = path.parent
    tags = (f"hardenify-prove:{token}-before", f"hardenify-prove:{token}-after")
    containers: list[str] = []
    proof = Proof(display, Verdict.UNPROVEN)
    try:
        with tempfile.TemporaryDirectory(prefix="hardenify-prove-secrets-") as tmp:
            compose = wiring.from_compose(path, root)
            context = compose.context or context
            args = {**compose.build_args, **wiring.parse_build_args(opts.build_args)}
            ignore_path = path.with_name(path.name + ".dockerignore")
            ignore = _read(ignore_path)
            built: list[str] = []
            moved: set[str] = set()
            ignores = (ignore, new_dockerignore if new_dockerignore is not None else ignore)
            for which, text, tag, ign in (
                ("original", original, tags[0], ignores[0]),
                ("fixed", fixed, tags[1], ignores[1]),
            ):
                specs, missing, moved_here = wiring.secret_specs(
                    text, original, context, opts.secrets, compose, Path(tmp)
                )
                moved |= moved_here
                if missing:
                    proof.reason = f"needs build secret {', '.join(missing)} (pass --secret id=…)"
                    return proof
                image, log = d.build(
                    context,
                    text,
                    tag,
                    build_args=args,
                    secrets=specs,
                    dockerignore=ign,
                    timeout=opts.build_timeout,
                )
                if image is None:
                    why = buildlog.cause(log)
                    proof.log_excerpt = buildlog.excerpt(log, redactor)
                    if which == "original":
                        proof.reason = f"the original does not build here: {why or 'build failed'}"
                    elif why:
                        proof.reason = why
                    else:
                        proof.verdict = Verdict.REVERTED
                        proof.reason = "the fixed file does not build (the original does)"
                    return proof
                built.append(image)
            # Both file trees are streamed at once: `docker export` waits on the engine's disk, not on us.
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=2) as pool:
                facts = list(pool.map(lambda tag: _facts(d, tag, opts), tags))
            if facts[0] is None or facts[1] is None:
                proof.reason = "cannot inspect the built images"
                return proof
            before, after = facts[0], facts[1]
            # A secret the fix moved out of the image (to a build mount or to run time) is not "lost".
            moved |= {k for k, v in before.env.items() if v and redactor(v) != v}
            proof.comparison = compare(before, after, moved)
            proof.user = after.user
            hardened = [*HARDENED]
            for p in hardened_tmpfs(fixed):
                hardened += ["--tmpfs", p]
            states = _run_pair(
                d, tags, (before, after), [*hardened, *RUN_COMMON], token, opts, redactor, containers
            )
            if states is None:
                proof.reason = "cannot start the original image"
                return proof
            if not states[0].ok:
                # The original itself needs more than the hardened options allow (a writable root,
                # capabilities): whether the fix broke the image is then decided from a plain run.
                proof.hardened_before = states[0]
                states = _run_pair(
                    d,
                    tags,
                    (before, after),
                    ["--network=none", *RUN_COMMON],
                    token,
                    opts,
                    redactor,
                    containers,
                )
                if states is None:
                    proof.reason = "cannot start the original image"
                    return proof
            proof.before, proof.after = states
            proof.verdict, proof.reason = decide_run(states[0], states[1])
            if proof.verdict is not Verdict.PROVEN:
                proof.log_excerpt = states[1].detail or states[0].detail
            return proof
    finally:
        for cid in containers:
            d.remove_container(cid)
        for tag in tags:
            d.remove_image(tag)
        proof.seconds = time.monotonic() - t0


def _run_pair(
    d: Docker,
    tags: tuple[str, str],
    facts: tuple[ImageFacts, ImageFacts],
    options: list[str],
    token: str,
    opts: ProveOptions,
    redactor: Redactor,
    containers: list[str],
) -> list[RunState] | None:
    """Start both images at once (so their waits overlap) and observe each; None when the
    original cannot even be created."""
    started: list[str | None] = []
    errors: list[str] = []
    for i, tag in enumerate(tags):
        name = f"hardenify-prove-{token}-{len(containers)}-{i}"
        cid, err = d.start(tag, name, options)
        started.append(cid)
        errors.append(buildlog.excerpt(err, redactor, lines=2))
        containers.append(cid or name)  # a failed `docker run -d` can leave a created container
    if started[0] is None:
        return None
    return [
        RunState(StateKind.FAILED, detail=err) if cid is None else observe(d, cid, f, opts, redactor)
        for cid, f, err in zip(started, facts, errors, strict=True)
    ]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        return None


def _facts(d: Docker, tag: str, opts: ProveOptions) -> ImageFacts | None:
    data = d.inspect(tag)
    if data is None:
        return None
    return ImageFacts.from_inspect(data, d.files(tag) if opts.list_files else None)


def prove_outcomes(
    d: Docker,
    outcomes: Sequence[FileOutcome],
    tasks: Sequence[Task],
    opts: ProveOptions,
    *,
    root: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Proof]:
    """Prove every changed Dockerfile; a reverted one gets its original text back (unless
    `keep_unproven`), so nothing downstream writes, commits or wires it."""
    proofs: list[Proof] = []
    for o, t in zip(outcomes, tasks, strict=True):
        if (
            t.kind != "dockerfile"
            or t.path == "-"
            or not o.changed
            or o.fixed_text is None
            or o.original is None
        ):
            continue
        o.fixed_text = break_for_test(o.fixed_text)
        if progress is not None:
            progress(o.filename)
        new_ignore = None
        if t.settings.unsafe_fixes:
            from hardenify.writeback import missing_dockerignore

            nf = missing_dockerignore(Path(t.path), o.fixed_text)
            new_ignore = nf.content if nf is not None else None
        proof = prove_one(
            d,
            Path(t.path),
            o.filename,
            o.original,
            o.fixed_text,
            o.redactor,
            opts,
            root=root,
            new_dockerignore=new_ignore,
        )
        if proof.verdict is Verdict.REVERTED:
            if opts.keep_unproven:
                proof.kept = True
            else:
                o.fixed_text = o.original
                o.fixed.clear()
        proofs.append(proof)
    return proofs


def prove_tree(
    d: Docker, tf: TreeFix, opts: ProveOptions, log: Callable[[str], None] | None = None
) -> list[Proof]:
    """`bulk --prove` for one repository: prove, and after a revert plan compose files and new
    `.dockerignore` files again from what is left, as `fix` does (which proves before planning them)."""
    from hardenify.bulk.treefix import companions
    from hardenify.runner import process

    proofs = prove_outcomes(
        d,
        tf.outcomes,
        tf.tasks,
        opts,
        root=tf.root,
        progress=(lambda f: log(f"proving {f}")) if log else None,
    )
    if any(p.verdict is Verdict.REVERTED and not p.kept for p in proofs):
        for i, t in enumerate(tf.tasks):
            if t.kind == "compose":
                tf.outcomes[i] = process(t)
        tf.created = companions(tf.outcomes, tf.tasks)
    return proofs
