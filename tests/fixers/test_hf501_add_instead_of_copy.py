from hardenify.diagnostics import Applicability
from tests.fixers.util import codes, dedent, findings, fixed

CODE = "HF501"


def rows(text: str) -> list[int]:
    return [d.location.row for d in findings(text, CODE)]


def test_local_add_fires_with_safe_fix() -> None:
    ds = findings("FROM python:3.12-slim\nADD requirements.txt /app/\n", CODE)
    assert [(d.code, d.location.row) for d in ds] == [("HF501", 2)]
    assert ds[0].fix is not None and ds[0].fix.applicability is Applicability.SAFE


def test_near_misses_do_not_fire() -> None:
    text = """\
        FROM debian:12
        ADD https://example.com/a.txt /a.txt
        ADD https://github.com/moby/buildkit.git#v0.12.0 /src
        ADD git@github.com:moby/buildkit.git /src
        ADD https://github.com/x/y.git?ref=v1&keep-git-dir=1 /src
        ADD rootfs.tar.xz /
        ADD app.tgz /opt/
        ADD vendor.tar /opt/
        ADD app.tar.gz config.yml /opt/
        ADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 a /a
        ADD --unpack=false app.tar.gz /opt/
        COPY a /a
        """
    assert rows(text) == []


def test_fix_replaces_keyword_only() -> None:
    before = """\
        FROM debian:12
        ADD --chown=10001:10001 --chmod=0644 src/ /app/src/
        add . /app
        Add ["a b.txt", "/x/"]
          ADD a.zip b.gz.txt \\
            /opt/
        ONBUILD ADD . /app/src
        """
    after = """\
        FROM debian:12
        COPY --chown=10001:10001 --chmod=0644 src/ /app/src/
        copy . /app
        Copy ["a b.txt", "/x/"]
          COPY a.zip b.gz.txt \\
            /opt/
        ONBUILD COPY . /app/src
        """
    assert fixed(before, CODE) == dedent(after)


def test_variables_resolved_from_arg_defaults() -> None:
    before = "FROM eclipse-temurin:21\nARG JAR_FILE=target/app.jar\nADD ${JAR_FILE} /app.jar\n"
    after = "FROM eclipse-temurin:21\nARG JAR_FILE=target/app.jar\nCOPY ${JAR_FILE} /app.jar\n"
    assert fixed(before, CODE) == after
    assert rows("FROM x\nARG F=app.tar.gz\nADD ${F} /\n") == []


def test_unknown_variable_fires_without_fix() -> None:
    ds = findings("FROM x\nADD ${SRC} /app\n", CODE)
    assert len(ds) == 1 and ds[0].fix is None
    assert "could not be resolved" in ds[0].message


def test_unknown_flag_is_not_fixed() -> None:
    ds = findings("FROM x\nADD --future-flag=1 a /a\n", CODE)
    assert len(ds) == 1 and ds[0].fix is None


def test_heredoc_and_crlf_and_comment_in_continuation() -> None:
    before = "FROM x\r\nADD <<EOF /etc/motd\r\nhello\r\nEOF\r\nADD a \\\r\n# note\r\n  /a\r\n"
    after = "FROM x\r\nCOPY <<EOF /etc/motd\r\nhello\r\nEOF\r\nCOPY a \\\r\n# note\r\n  /a\r\n"
    assert fixed(before, CODE) == after


def test_windows_paths() -> None:
    before = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nADD app C:\\app\n"
    after = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nCOPY app C:\\app\n"
    assert fixed(before, CODE) == after


def test_already_good_is_unchanged() -> None:
    text = "FROM x\nCOPY . /app\nADD rootfs.tar.gz /\n"
    assert codes(text, CODE) == []
    assert fixed(text, CODE) == text


def test_odd_input_does_not_raise() -> None:
    for text in (
        "FROM x\nADD\n",
        "FROM x\nADD a\n",
        'FROM x\nADD ["a"\n',
        "ADD a /b\n",
        "FROM x\nONBUILD ADD\n",
    ):
        codes(text, CODE)


def test_quoted_url_git_and_archive_sources_stay_add() -> None:
    """Issue 14 item 5: BuildKit unquotes ADD sources, so a quoted URL is still fetched and a
    quoted archive still unpacked; COPY would fail or copy the tarball as is."""
    text = """\
        FROM debian:12
        ADD "https://github.com/moby/buildkit.git#v0.12.0" /src
        ADD 'https://example.com/a.txt' /a.txt
        ADD "vendor.tar.gz" /opt/
        ADD 'rootfs.tar.xz' /
        ADD "a.TGZ" /opt/
        ADD "x.tar.bz2" "y.tar.zst" "z.tbz2" /opt/
        ADD "w.txz" /opt/
        ADD "v".tar /opt/
        ADD ["https://example.com/a.txt", "/a.txt"]
        ADD ["vendor.tar.gz", "/opt/"]
        ADD --keep-git-dir=true "https://github.com/x/y.git" /src
        ADD --unpack=true "app.bin" /opt/
        ADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 "a" /a
        ARG TARBALL=vendor.tar.gz
        ADD "${TARBALL}" /opt/
        """
    assert rows(text) == []
    assert fixed(text, CODE) == dedent(text)


def test_quoted_local_source_is_copied_and_unclosed_quote_is_not_fixed() -> None:
    assert fixed('FROM x\nADD "app.py" /app/\n', CODE) == 'FROM x\nCOPY "app.py" /app/\n'
    ds = findings('FROM x\nADD "a b.txt /app/\n', CODE)
    assert len(ds) == 1 and ds[0].fix is None
