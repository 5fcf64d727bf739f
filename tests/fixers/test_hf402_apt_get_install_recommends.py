from hardenify.diagnostics import Applicability
from tests.fixers.util import codes, findings, fixed

CODE = "HF402"


def test_explicit_choices_pass() -> None:
    for cmd in (
        "apt-get install -y --no-install-recommends curl",
        "apt-get --no-install-recommends install -y curl",
        "apt-get install -y curl --no-install-recommends",
        "apt-get install -y --install-recommends curl",
        "apt-get install -y -o APT::Install-Recommends=false curl",
        "apt-get -oAPT::Install-Recommends=0 install -y curl",
        "apt-get update",
        "apt-get upgrade -y",
        "apt-cache show curl",
    ):
        assert codes(f"FROM debian\nRUN {cmd}\n", CODE) == [], cmd


def test_config_written_earlier_passes() -> None:
    text = """
        FROM debian
        RUN echo 'APT::Install-Recommends "false";' > /etc/apt/apt.conf.d/00norecommends
        RUN apt-get update && apt-get install -y curl
    """
    assert codes(text, CODE) == []


def test_config_in_other_stage_does_not_count() -> None:
    text = """
        FROM debian AS a
        RUN echo 'APT::Install-Recommends "false";' > /etc/apt/apt.conf.d/00norecommends
        FROM debian
        RUN apt-get install -y curl
    """
    assert codes(text, CODE) == [CODE]


def test_fires_on_apt_get_and_apt() -> None:
    text = """
        FROM debian
        RUN apt-get update && apt-get install -y curl
        RUN apt install -y git
        RUN <<EOF
        apt-get install -y vim
        EOF
    """
    ds = findings(text, CODE)
    assert [d.location.row for d in ds] == [2, 3, 5]
    assert all(d.fix is not None and d.fix.applicability is Applicability.UNSAFE for d in ds)


def test_fix_is_unsafe_only() -> None:
    text = "FROM debian\nRUN apt-get install -y curl\n"
    assert fixed(text, CODE) == text
    assert (
        fixed(text, CODE, unsafe=True) == "FROM debian\nRUN apt-get install -y --no-install-recommends curl\n"
    )


def test_fix_goes_after_a_following_yes_flag() -> None:
    assert (
        fixed("FROM debian\nRUN apt-get install -qy curl\n", CODE, unsafe=True)
        == "FROM debian\nRUN apt-get install -qy --no-install-recommends curl\n"
    )
    assert (
        fixed("FROM debian\nRUN apt-get -y install curl\n", CODE, unsafe=True)
        == "FROM debian\nRUN apt-get -y install --no-install-recommends curl\n"
    )


def test_fix_with_continuations_comment_and_crlf() -> None:
    before = "FROM debian\r\nRUN apt-get update \\\r\n  # pkgs\r\n  && apt-get install \\\r\n    -y \\\r\n    curl\r\n"
    after = (
        "FROM debian\r\nRUN apt-get update \\\r\n  # pkgs\r\n  && apt-get install \\\r\n"
        "    -y --no-install-recommends \\\r\n    curl\r\n"
    )
    assert fixed(before, CODE, unsafe=True) == after


def test_combined_with_hf401_gives_canonical_order() -> None:
    from hardenify.engine import fix_text
    from hardenify.settings import Settings

    res = fix_text(
        "Dockerfile",
        "FROM debian\nRUN apt-get install curl\n",
        "dockerfile",
        Settings(select=("HF401", "HF402"), unsafe_fixes=True),
    )
    assert res.text == "FROM debian\nRUN apt-get install -y --no-install-recommends curl\n"


def test_no_change_when_good() -> None:
    text = "FROM debian\nRUN apt-get install -y --no-install-recommends curl\n"
    assert fixed(text, CODE, unsafe=True) == text


def test_hadolint_pragma() -> None:
    assert codes("FROM debian\n# hadolint ignore=DL3015\nRUN apt-get install -y x\n", CODE) == []


# Issue 14 item 9: without recommends, curl/wget/git no longer pull in ca-certificates, so a
# later https download fails (42 real corpus files). The fix names ca-certificates then.


def test_fix_adds_ca_certificates_when_the_stage_downloads_over_tls() -> None:
    before = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN curl -fsSLo /a https://example.com/a\n"
    after = (
        "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl\n"
        "RUN curl -fsSLo /a https://example.com/a\n"
    )
    assert fixed(before, CODE, unsafe=True) == after
    ds = findings(before, CODE)
    assert ds[0].fix is not None and "ca-certificates" in ds[0].fix.message


def test_tls_download_forms_that_need_ca_certificates() -> None:
    for later in (
        "RUN apt-get install -y wget && wget -q https://example.com/x",
        "RUN git clone https://github.com/a/b.git /src",
        "ARG URL=https://example.com/x.tgz\nRUN curl -fsSL $URL | tar xz",
        'RUN curl -fsSL "$DOWNLOAD_URL" -o /x',  # unknown URL given to curl: may be https
        "RUN echo 'deb https://apt.example.com stable main' > /etc/apt/sources.list.d/x.list && apt-get update",
        "FROM base AS child\nRUN curl https://example.com/",  # a stage built FROM this one
        "HEALTHCHECK CMD curl -f https://localhost/health || exit 1",
    ):
        text = f"FROM debian:12 AS base\nRUN apt-get install -y curl git\n{later}\n"
        out = fixed(text, CODE, unsafe=True)
        assert "--no-install-recommends ca-certificates curl git" in out, later


def test_no_ca_certificates_when_not_needed_or_already_there() -> None:
    for text in (
        # no TLS download at all
        "FROM debian:12\nRUN apt-get install -y curl\nRUN curl http://example.com/\n",
        # the download happens before the install
        "FROM debian:12\nRUN curl -fsSL https://example.com/x -o /x && apt-get install -y make\n",
        # already installed explicitly, here or in a stage this one is built FROM
        "FROM debian:12\nRUN apt-get install -y curl ca-certificates\nRUN curl https://example.com/\n",
        "FROM debian:12 AS b\nRUN apt-get install -y --no-install-recommends ca-certificates\n"
        "FROM b\nRUN apt-get install -y curl\nRUN curl https://example.com/\n",
        # another stage downloads, not this one or its children
        "FROM debian:12 AS a\nRUN apt-get install -y make\nFROM debian:12\nRUN curl https://example.com/\n",
        # the downloading curl is not given a URL variable
        "FROM debian:12\nRUN apt-get install -y curl\nRUN echo $HOME\n",
    ):
        out = fixed(text, CODE, unsafe=True)
        assert out.count("ca-certificates") == text.count("ca-certificates"), text


def test_one_install_per_stage_lineage_names_ca_certificates() -> None:
    before = (
        "FROM debian:12 AS b\nRUN apt-get install -y curl\nRUN apt-get install -y git\n"
        "FROM b\nRUN apt-get install -y wget\nRUN git clone https://github.com/a/b\n"
    )
    out = fixed(before, CODE, unsafe=True)
    assert out.count("ca-certificates") == 1
    assert "apt-get install -y --no-install-recommends ca-certificates curl\n" in out
