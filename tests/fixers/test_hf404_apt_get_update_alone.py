from hardenify.diagnostics import Applicability
from tests.fixers.util import codes, dedent, findings, fixed

CODE = "HF404"


def test_update_with_install_passes() -> None:
    for run in (
        "apt-get update && apt-get install -y x",
        "apt-get update -qq && apt-get upgrade -y",
        "apt-get update; apt-get dist-upgrade -y",
        "apt-get update && xargs apt-get install -y < pkgs.txt",
        "apt-get update && xx-apt-get install -y gcc",
        "apt-get update && install_packages curl",
        "apt-get update && bash -c 'apt-get install -y x'",
        "apt-get update && /bin/bash /tmp/scripts/common.sh",
        "apt-get update && ./install-deps",
        "apt-get update && curl -fsSL https://example.com/setup | bash -",
        "apt-get install -y x",
    ):
        assert codes(f"FROM debian\nRUN {run}\n", CODE) == [], run


def test_install_before_update_does_not_count() -> None:
    assert codes("FROM debian\nRUN apt-get install -y x && apt-get update\n", CODE) == [CODE]


def test_fires_with_row() -> None:
    text = """
        FROM debian
        RUN apt-get update
        RUN apt-get install -y curl
        RUN <<EOF
        apt update
        echo done
        EOF
    """
    ds = findings(text, CODE)
    assert [(d.location.row, d.location.column) for d in ds] == [(2, 5), (5, 1)]
    assert ds[0].fix is not None and ds[0].fix.applicability is Applicability.UNSAFE
    assert ds[1].fix is None


def test_merge_into_next_install() -> None:
    before = "FROM debian\nRUN apt-get update\nRUN apt-get install -y curl\n"
    assert fixed(before, CODE) == before  # unsafe only
    assert fixed(before, CODE, unsafe=True) == "FROM debian\nRUN apt-get update && apt-get install -y curl\n"


def test_merge_across_metadata_keeps_flags_prefix_and_continuations() -> None:
    before = """
        FROM debian
        RUN DEBIAN_FRONTEND=noninteractive apt-get update -qq
        ENV LANG=C.UTF-8
        COPY sources.list /etc/apt/
        RUN apt-get install -y \\
            # tools
            curl \\
         && rm -rf /var/lib/apt/lists/*
    """
    after = """
        FROM debian
        ENV LANG=C.UTF-8
        COPY sources.list /etc/apt/
        RUN DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y \\
            # tools
            curl \\
         && rm -rf /var/lib/apt/lists/*
    """
    assert fixed(before, CODE, unsafe=True) == dedent(after)


def test_merge_after_set_e() -> None:
    before = "FROM debian\nRUN apt-get update\nRUN set -eux; apt-get install -y curl; rm -rf /var/lib/apt/lists/*\n"
    after = (
        "FROM debian\nRUN set -eux; apt-get update; apt-get install -y curl; rm -rf /var/lib/apt/lists/*\n"
    )
    assert fixed(before, CODE, unsafe=True) == after


def test_redundant_update_is_deleted() -> None:
    before = "FROM debian\nRUN apt-get update\nRUN apt-get update && apt-get install -y curl\n"
    assert fixed(before, CODE, unsafe=True) == "FROM debian\nRUN apt-get update && apt-get install -y curl\n"


def test_crlf_merge() -> None:
    before = "FROM debian\r\nRUN apt-get update\r\nRUN apt-get install -y curl \\\r\n  && echo ok\r\n"
    after = "FROM debian\r\nRUN apt-get update && apt-get install -y curl \\\r\n  && echo ok\r\n"
    assert fixed(before, CODE, unsafe=True) == after


def test_no_fix_cases() -> None:
    for text in (
        # a `;` chain would let a failing update pass silently
        "FROM debian\nRUN apt-get update\nRUN apt-get install -y curl; echo\n",
        "FROM debian\nRUN apt-get update\nRUN apt-get install -y curl || true\n",
        # USER in between
        "FROM debian\nRUN apt-get update\nUSER app\nRUN apt-get install -y curl\n",
        # next RUN does not install
        "FROM debian\nRUN apt-get update\nRUN echo hi\nRUN apt-get install -y curl\n",
        # lone RUN does more than update, or has flags
        "FROM debian\nRUN apt-get update && echo hi\nRUN apt-get install -y curl\n",
        "FROM debian\nRUN --network=host apt-get update\nRUN apt-get install -y curl\n",
        # other stage, end of file, heredoc target, exec form target
        "FROM debian\nRUN apt-get update\nFROM debian\nRUN apt-get install -y curl\n",
        "FROM debian\nRUN apt-get update",
        "FROM debian\nRUN apt-get update\nRUN <<EOF\napt-get install -y curl\nEOF\n",
        'FROM debian\nRUN apt-get update\nRUN ["apt-get", "install", "-y", "curl"]\n',
    ):
        ds = findings(text, CODE)
        assert len(ds) == 1 and ds[0].fix is None, text


def test_no_change_when_good() -> None:
    text = "FROM debian\nRUN apt-get update && apt-get install -y curl\n"
    assert fixed(text, CODE, unsafe=True) == text


def test_pragma_and_windows() -> None:
    assert codes("FROM debian\n# hardenify: ignore[HF404]\nRUN apt-get update\n", CODE) == []
    assert codes("# escape=`\nFROM mcr.microsoft.com/windows/servercore\nRUN apt-get update\n", CODE) == []
