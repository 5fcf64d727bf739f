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
    assert fixed(text, CODE, unsafe=True) == "FROM debian\nRUN apt-get install -y --no-install-recommends curl\n"


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
        "Dockerfile", "FROM debian\nRUN apt-get install curl\n", "dockerfile",
        Settings(select=("HF401", "HF402"), unsafe_fixes=True),
    )
    assert res.text == "FROM debian\nRUN apt-get install -y --no-install-recommends curl\n"


def test_no_change_when_good() -> None:
    text = "FROM debian\nRUN apt-get install -y --no-install-recommends curl\n"
    assert fixed(text, CODE, unsafe=True) == text


def test_hadolint_pragma() -> None:
    assert codes("FROM debian\n# hadolint ignore=DL3015\nRUN apt-get install -y x\n", CODE) == []
