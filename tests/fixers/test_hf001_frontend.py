"""HF001 reports what BuildKit's parser and its Dockerfile frontend reject (issue 17 item 5)."""

import pytest

from hardenify.dockerfile.frontend import problems
from hardenify.dockerfile.model import parse
from tests.fixers.util import findings

CODE = "HF001"


def messages(text: str) -> list[tuple[int, str]]:
    return [(d.location.row, d.message) for d in findings(text, CODE)]


@pytest.mark.parametrize(
    ("text", "row", "message"),
    [
        (
            "FROM a\nRUN true\nENV APP_MODE=prod APP_DEBUG\n",
            3,
            'BuildKit: Syntax error - can\'t find = in "APP_DEBUG"',
        ),
        ("FROM a\nRUN --mount=type=secrets,id=x true\n", 2, "unsupported mount type 'secrets'"),
        (
            "FROM a\nRUN --mount=type=cache,targt=/x true\n",
            2,
            "unexpected key 'targt' in 'type=cache,targt=/x'",
        ),
        ("FROM a\nRUN --network=bridge true\n", 2, "unsupported network mode 'bridge'"),
        ("FROM a\nCOPY --chmodx=755 a b\n", 2, "unknown flag: chmodx"),
        ("FROM a\nADD --from=b a b\n", 2, "unknown flag: from"),
        ("FROM a\nHEALTHCHECK --interval=abc CMD true\n", 2, 'time: invalid duration "abc"'),
        ("FROM a\nHEALTHCHECK --retries=x CMD true\n", 2, 'strconv.ParseInt: parsing "x": invalid syntax'),
        ("FROM a\nEXPOSE 80/xyz\n", 2, "invalid proto: xyz"),
        ("FROM image AS\n", 1, "FROM requires either one or three arguments"),
        ("FROM image foo bar\n", 1, "FROM requires either one or three arguments"),
        ("FROM a\nONBUILD COPY --chmodx=7 a b\n", 2, "unknown flag: chmodx"),
    ],
)
def test_rejected(text: str, row: int, message: str) -> None:
    got = messages(text)
    assert len(got) == 1, got
    assert got[0][0] == row
    assert got[0][1].startswith(message), got


def test_valid_flags_and_shapes_pass() -> None:
    text = (
        "# syntax=docker/dockerfile:1\n"
        "FROM --platform=$BUILDPLATFORM golang:1.23 AS build\n"
        "RUN --mount=type=cache,target=/root/.cache,sharing=locked --mount=type=secret,id=t,env=T,required=true \\\n"
        "    --mount=type=bind,from=build,source=/a,target=/b,rw --network=none --security=insecure true\n"
        "COPY --from=build --chown=1000:1000 --chmod=0755 --link --parents --exclude=*.md a b\n"
        "ADD --checksum=sha256:abc --keep-git-dir=true --link --unpack=true https://example.com/x /x\n"
        "HEALTHCHECK --interval=1m30s --timeout=5s --start-period=0 --start-interval=500ms --retries=3 CMD true\n"
        "EXPOSE 80 80/tcp 53/udp 8000-8010/tcp ${PORT} 8080:80\n"
        "FROM scratch\n"
        "RUN --mount=type=tmpfs,target=/t,size=64m --mount=type=ssh,id=default,mode=0600,uid=1,gid=1 true\n"
    )
    assert messages(text) == []


def test_variables_are_judged_at_build_time() -> None:
    assert (
        list(problems(parse("FROM a\nRUN --network=$NET true\nHEALTHCHECK --interval=$I CMD true\n"))) == []
    )


def test_model_problems_are_not_doubled_by_buildkit() -> None:
    got = messages("FROM a\nFORM b\n")
    assert len(got) == 1 and "unknown instruction" in got[0][1]
