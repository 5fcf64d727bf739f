from tests.fixers.util import codes, findings

CODE = "HF502"


def rows(text: str) -> list[int]:
    return [d.location.row for d in findings(text, CODE)]


def test_remote_add_without_checksum_fires() -> None:
    text = """\
        FROM debian:12
        ADD https://github.com/tianon/gosu/releases/download/1.17/gosu-amd64 /usr/local/bin/gosu
        ADD http://example.com/a.tgz /tmp/
        ARG URL=https://example.com/tool
        ADD ${URL} /tool
        ONBUILD ADD https://example.com/x /x
        """
    ds = findings(text, CODE)
    assert [d.location.row for d in ds] == [2, 3, 5, 6]
    assert "plain HTTP" in ds[1].message
    assert all(d.fix is None for d in ds)


def test_near_misses_do_not_fire() -> None:
    text = """\
        FROM debian:12
        ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://x/a /a
        ADD https://github.com/moby/buildkit.git#v0.12.0 /src
        ADD git@github.com:moby/buildkit.git /src
        ADD local.txt /a
        ADD ${UNKNOWN} /a
        COPY https-notes.txt /a
        """
    assert rows(text) == []


def test_credentials_never_in_message() -> None:
    ds = findings("FROM x\nADD https://user:hunter2secret@example.com/f /f\n", CODE)
    assert len(ds) == 1 and "hunter2secret" not in ds[0].message and "example.com" in ds[0].message


def test_token_as_user_name_is_redacted_from_fix_free_output() -> None:
    ds = findings("FROM x\nADD https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/o/r/raw/f /f\n", CODE)
    assert len(ds) == 1 and "ghp_" not in ds[0].message


def test_odd_input_does_not_raise() -> None:
    for text in (
        "FROM x\nADD\n",
        "FROM x\nADD https://[::1\n /a\n",
        "ADD https://x /a\n",
        'FROM x\nADD ["https://x", "/a"]\n',
    ):
        codes(text, CODE)
