from tests.fixers.util import codes, findings, fixed

CODE = "HF415"


def rows(text: str) -> list[int]:
    return [d.location.row for d in findings(text, CODE)]


def test_unset_variables_fire() -> None:
    text = """\
        FROM debian:bookworm-slim
        ARG PREFIX
        RUN rm -rf "$PREFIX"/share/doc
        RUN rm -fr ${CACHE_DIR}/*
        RUN set -e && rm -r -f $BUILD/ && true
        """
    assert rows(text) == [3, 4, 5]
    assert "${PREFIX:?}" in findings(text, CODE)[0].message


def test_must_not_fire() -> None:
    text = """\
        ARG GLOBAL=/opt/g
        FROM debian:bookworm-slim
        ARG GLOBAL
        ENV APP_HOME=/app
        ARG TMP=/tmp/build
        RUN rm -rf "$APP_HOME"/cache "${TMP}"/* $GLOBAL/x
        RUN rm -rf "${PREFIX:?}"/share ${OTHER:-/tmp/x}/y
        RUN DIR=/tmp/x; rm -rf "$DIR"/*
        RUN for d in a b; do rm -rf "$d"/tmp; done
        RUN rm -f "$PREFIX"/one-file
        RUN rm -rf "$PREFIX"
        RUN rm -rf /var/lib/apt/lists/*
        """
    assert codes(text, CODE) == []


def test_stage_chain_env_counts() -> None:
    text = "FROM debian AS base\nENV D=/d\nFROM base\nRUN rm -rf $D/x\nFROM debian\nRUN rm -rf $D/x\n"
    assert rows(text) == [6]


def test_no_fix() -> None:
    text = "FROM debian\nRUN rm -rf $X/*\n"
    assert fixed(text, CODE, unsafe=True) == text
