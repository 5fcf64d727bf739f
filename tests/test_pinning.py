"""The pure pinning core: which references are found, and that edits touch nothing else."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardenify.diagnostics import Edit
from hardenify.dockerfile.edits import apply as apply_edits
from hardenify.pinning import (
    PinningError,
    ScanResult,
    pinned_reference,
    plan,
    scan,
    scan_compose,
    scan_dockerfile,
)
from hardenify.registry.types import ErrorKind, Resolution, ResolveError

D1, D2, D3, D4 = ("sha256:" + c * 64 for c in "1234")
OLD = "sha256:" + "0" * 64

DIGESTS = {
    "python:3.12-slim": D1,
    "python:3.12": D1,
    "python": D1,
    "gcr.io/distroless/static-debian12:nonroot": D2,
    "golang:1.23": D3,
    "node:22-slim": D4,
    "debian:12": D2,
    "postgres:16": D3,
    "redis:7": D4,
}


def resolutions(sc: ScanResult, update: bool, digests: dict[str, str] | None = None) -> dict[str, Resolution]:
    table = DIGESTS if digests is None else digests
    return {ref: Resolution(ref, digest=table[ref]) for ref in sc.lookups(update=update)}


def pin(
    text: str, kind: str = "dockerfile", *, update: bool = False, digests: dict[str, str] | None = None
) -> str:
    sc = scan(text, "compose" if kind == "compose" else "dockerfile")
    return plan(sc, resolutions(sc, update, digests), update=update).apply(text)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("FROM python:3.12-slim\n", f"FROM python:3.12-slim@{D1}\n"),
        ("from python:3.12-slim as build\n", f"from python:3.12-slim@{D1} as build\n"),
        (
            "FROM --platform=$BUILDPLATFORM python:3.12 AS b\n",
            f"FROM --platform=$BUILDPLATFORM python:3.12@{D1} AS b\n",
        ),
        ("FROM python", f"FROM python:latest@{D1}"),  # no final newline, untagged
        (
            "  FROM\tgcr.io/distroless/static-debian12:nonroot  \n",
            f"  FROM\tgcr.io/distroless/static-debian12:nonroot@{D2}  \n",
        ),
    ],
)
def test_from_lines(before: str, after: str) -> None:
    assert pin(before) == after


def test_crlf_continuations_and_comments_inside_them_survive() -> None:
    before = (
        "# build stage\r\n"
        "FROM \\\r\n"
        "  # the base, chosen for size\r\n"
        "  python:3.12-slim \\\r\n"
        "  AS build\r\n"
        "RUN --mount=type=cache,target=/root/.cache \\\r\n"
        "    # go toolchain from its image\r\n"
        "    --mount=type=bind,from=golang:1.23,source=/usr/local/go,target=/go \\\r\n"
        "    go version\r\n"
        "FROM gcr.io/distroless/static-debian12:nonroot\r\n"
        "COPY --from=build /app /app\r\n"
    )
    after = (
        "# build stage\r\n"
        "FROM \\\r\n"
        "  # the base, chosen for size\r\n"
        f"  python:3.12-slim@{D1} \\\r\n"
        "  AS build\r\n"
        "RUN --mount=type=cache,target=/root/.cache \\\r\n"
        "    # go toolchain from its image\r\n"
        f"    --mount=type=bind,from=golang:1.23@{D3},source=/usr/local/go,target=/go \\\r\n"
        "    go version\r\n"
        f"FROM gcr.io/distroless/static-debian12:nonroot@{D2}\r\n"
        "COPY --from=build /app /app\r\n"
    )
    assert pin(before) == after


def test_arg_default_is_pinned_once_for_every_from_using_it() -> None:
    before = (
        'ARG BASE=python:3.12-slim\nARG RUNTIME="debian:12"\n'
        "FROM ${BASE} AS a\nFROM $BASE AS b\nFROM ${RUNTIME}\n"
    )
    after = (
        f'ARG BASE=python:3.12-slim@{D1}\nARG RUNTIME="debian:12@{D2}"\n'
        "FROM ${BASE} AS a\nFROM $BASE AS b\nFROM ${RUNTIME}\n"
    )
    sc = scan_dockerfile(before)
    assert [(s.kind, s.line) for s in sc.sites] == [("arg", 1), ("arg", 2)]
    assert sc.sites[0].where == "ARG BASE (used by FROM on line 3)"
    assert pin(before) == after


def test_arg_without_default_is_reported_not_guessed() -> None:
    text = "ARG BASE\nFROM ${BASE}\nARG LATE=python:3.12\n"
    sc = scan_dockerfile(text)
    assert sc.sites == ()
    [skip] = sc.skipped
    assert skip.line == 2 and "ARG BASE (line 1), which has no default" in skip.reason
    assert pin(text) == text


def test_variables_inside_references_are_reported_and_left_alone() -> None:
    text = "ARG V=3.12\nFROM python:${V}-slim\nFROM ${REGISTRY}/app:1\nCOPY --from=$IMG /a /b\n"
    sc = scan_dockerfile(text)
    assert sc.sites == ()
    assert [s.line for s in sc.skipped] == [2, 3, 4]
    assert all("variable" in s.reason or "not declared" in s.reason for s in sc.skipped)
    assert pin(text) == text


def test_copy_from_images_but_not_stages_or_indexes() -> None:
    before = (
        "FROM python:3.12 AS Builder\n"
        "FROM debian:12\n"
        "COPY --from=builder /a /a\n"
        "COPY --from=0 /b /b\n"
        "COPY --chown=1:1 --from=node:22-slim /usr/bin/node /usr/bin/node\n"
        'COPY --from="redis:7" /x /x\n'
        "ONBUILD COPY --from=postgres:16 /y /y\n"
    )
    after = (
        f"FROM python:3.12@{D1} AS Builder\n"
        f"FROM debian:12@{D2}\n"
        "COPY --from=builder /a /a\n"
        "COPY --from=0 /b /b\n"
        f"COPY --chown=1:1 --from=node:22-slim@{D4} /usr/bin/node /usr/bin/node\n"
        f'COPY --from="redis:7@{D4}" /x /x\n'
        f"ONBUILD COPY --from=postgres:16@{D3} /y /y\n"
    )
    assert pin(before) == after


def test_run_mount_from_stage_is_left_alone() -> None:
    text = (
        "FROM golang:1.23 AS tools\nFROM debian:12\n"
        "RUN --mount=from=tools,target=/t --mount=type=secret,id=x true\n"
    )
    sc = scan_dockerfile(text)
    assert [s.text for s in sc.sites] == ["golang:1.23", "debian:12"]


def test_stage_names_scratch_and_pinned_refs_need_no_lookup() -> None:
    text = f"FROM python:3.12@{OLD} AS base\nFROM base AS test\nFROM scratch\nCOPY --from=test / /\n"
    sc = scan_dockerfile(text)
    assert [s.text for s in sc.sites] == [f"python:3.12@{OLD}"]
    assert sc.lookups() == []
    result = plan(sc, {})
    assert result.changes == () and [s.text for s in result.current] == [f"python:3.12@{OLD}"]
    assert result.apply(text) == text


def test_from_of_a_later_stage_name_is_an_image() -> None:
    # BuildKit only resolves FROM <name> against *earlier* stages.
    sc = scan_dockerfile("FROM python:3.12 AS a\nFROM debian:12 AS python\n")
    assert [s.text for s in sc.sites] == ["python:3.12", "debian:12"]


def test_update_mode_rewrites_only_moved_tags() -> None:
    before = f"FROM python:3.12@{OLD}\nFROM debian:12@{D2}\nFROM redis@{OLD}\nFROM node:22-slim\n"
    sc = scan_dockerfile(before)
    assert sc.lookups() == ["node:22-slim"]
    assert sc.lookups(update=True) == ["python:3.12", "debian:12", "node:22-slim"]  # bare digest: no tag
    result = plan(sc, resolutions(sc, True), update=True)
    assert [(c.action, c.old, c.previous, c.digest) for c in result.changes] == [
        ("update", f"python:3.12@{OLD}", OLD, D1),
        ("pin", "node:22-slim", None, D4),
    ]
    assert [s.text for s in result.current] == [f"debian:12@{D2}", f"redis@{OLD}"]
    assert (
        result.apply(before)
        == f"FROM python:3.12@{D1}\nFROM debian:12@{D2}\nFROM redis@{OLD}\nFROM node:22-slim@{D4}\n"
    )
    # Without update mode the stale pin is left as it is.
    assert (
        pin(before)
        == f"FROM python:3.12@{OLD}\nFROM debian:12@{D2}\nFROM redis@{OLD}\nFROM node:22-slim@{D4}\n"
    )


def test_failures_are_reported_per_site_and_do_not_block_others() -> None:
    text = "FROM python:3.12\nFROM ghcr.io/nope/nope:1\n"
    sc = scan_dockerfile(text)
    err = ResolveError(ErrorKind.NOT_FOUND, "not found")
    res = {
        "python:3.12": Resolution("python:3.12", digest=D1),
        "ghcr.io/nope/nope:1": Resolution("x", error=err),
    }
    result = plan(sc, res)
    assert [f.site.line for f in result.failures] == [2]
    assert result.failures[0].error.kind is ErrorKind.NOT_FOUND
    assert result.apply(text) == f"FROM python:3.12@{D1}\nFROM ghcr.io/nope/nope:1\n"


def test_malformed_digest_is_never_written() -> None:
    sc = scan_dockerfile("FROM python:3.12\n")
    result = plan(sc, {"python:3.12": Resolution("python:3.12", digest="sha256:ABC")})
    assert result.changes == () and result.failures[0].error.kind is ErrorKind.BAD_DIGEST
    with pytest.raises(ValueError):
        pinned_reference("python:3.12", "sha256:short")


def test_reference_split_across_a_continuation_is_skipped() -> None:
    text = "FROM python\\\n:3.12\n"
    sc = scan_dockerfile(text)
    assert sc.sites == () and "split across lines" in sc.skipped[0].reason


def test_bom_is_kept() -> None:
    assert pin("\ufeffFROM python:3.12\n") == f"\ufeffFROM python:3.12@{D1}\n"


def test_apply_edits_refuses_overlaps() -> None:
    assert apply_edits("abcdef", [Edit(4, 6, "X"), Edit(0, 1, "")]) == "bcdX"
    with pytest.raises(ValueError):
        apply_edits("abcdef", [Edit(0, 3, "x"), Edit(2, 4, "y")])


# -------------------------------------------------------------------------------- compose

COMPOSE = """\
# top comment
x-common: &common
  image: &img "python:3.12"   # shared base
  restart: unless-stopped

services:
  web:
    <<: *common
    ports: ["8080:8080"]
  db:
    image:   postgres:16     # keep two spaces
  cache: {image: 'redis:7', ports: []}
  app:
    build: .
    image: me/app:dev
  pinned:
    image: debian:12@OLD
  templated:
    image: ${REGISTRY:-docker.io}/library/node:22-slim
""".replace("OLD", OLD)


def test_compose_images_are_rewritten_in_place() -> None:
    after = pin(COMPOSE, "compose")
    expected = (
        COMPOSE.replace('"python:3.12"', f'"python:3.12@{D1}"')
        .replace("postgres:16 ", f"postgres:16@{D3} ")
        .replace("'redis:7'", f"'redis:7@{D4}'")
    )
    assert after == expected
    # Byte-identical except for the image scalars.
    assert after.replace(f"@{D1}", "").replace(f"@{D3}", "").replace(f"@{D4}", "") == COMPOSE


def test_compose_skips_build_images_and_variables() -> None:
    sc = scan_compose(COMPOSE)
    assert [(s.where, s.line) for s in sc.sites] == [
        ("x-common.image", 3),
        ("services.db.image", 11),
        ("services.cache.image", 12),
        ("services.pinned.image", 17),
    ]
    reasons = {s.text: s.reason for s in sc.skipped}
    assert "build:" in reasons["me/app:dev"]
    assert "variable" in reasons["${REGISTRY:-docker.io}/library/node:22-slim"]


def test_compose_crlf_and_update_mode() -> None:
    text = f'services:\r\n  db:\r\n    image: "postgres:16@{OLD}"\r\n'
    assert pin(text, "compose", update=True) == f'services:\r\n  db:\r\n    image: "postgres:16@{D3}"\r\n'
    assert pin(text, "compose") == text


def test_compose_that_is_not_yaml_is_an_error() -> None:
    with pytest.raises(PinningError, match="not valid YAML"):
        scan_compose("services:\n  web:\n    image: [unclosed\n")
    assert scan_compose("- just\n- a list\n").sites == ()


# ------------------------------------------------------------------------------- property

_LINES = st.sampled_from(
    [
        "FROM python:3.12-slim AS build",
        "FROM gcr.io/distroless/static-debian12:nonroot",
        "FROM build",
        "FROM scratch",
        "COPY --from=node:22-slim /a /b",
        "COPY --from=build /a /b",
        "RUN --mount=type=bind,from=golang:1.23,target=/go true",
        "# a comment",
        "",
        "RUN echo \\\n  # inside\n  done",
        "ENV A=1",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_LINES, min_size=1, max_size=12), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_pinning_only_inserts_digests(lines: list[str], nl: str, final: bool) -> None:
    text = nl.join(line.replace("\n", nl) for line in lines) + (nl if final else "")
    # `FROM build` before any stage named build is the image build:latest.
    after = pin(text, digests=defaultdict(lambda: D1, DIGESTS))
    stripped = after.replace(f":latest@{D1}", "")
    for d in (D1, D2, D3, D4):
        stripped = stripped.replace(f"@{d}", "")
    assert stripped == text
    # And pinning is idempotent: a second pass finds nothing to do.
    assert scan_dockerfile(after).lookups() == []


def test_an_arg_default_with_a_variable_is_noted_once() -> None:
    sc = scan_dockerfile("ARG V=3\nARG BASE=python:${V}\nFROM ${BASE} AS a\nFROM ${BASE} AS b\n")
    assert sc.sites == ()
    assert [(s.line, s.text) for s in sc.skipped] == [(2, "python:${V}")]
