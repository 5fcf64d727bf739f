from tests.fixers.util import codes, findings

CODE = "HF409"


def rows(text: str) -> list[int]:
    return [d.location.row for d in findings(text, CODE)]


def test_curl_pipe_sh_fires() -> None:
    ds = findings("FROM debian:12\nRUN curl -fsSL https://example.com/install.sh | sh\n", CODE)
    assert [(d.code, d.location.row) for d in ds] == [("HF409", 2)]
    assert "curl … | sh" in ds[0].message
    assert ds[0].fix is None


def test_variants_fire() -> None:
    text = """\
        FROM debian:12
        RUN wget -qO- https://example.com/i.sh | sudo -E bash -
        RUN wget -O - https://example.com/i.sh | bash
        RUN curl -sSL https://example.com/i.py | python3 -
        RUN curl -sSL https://example.com/get | tee /tmp/log | sh -s -- --yes
        RUN bash <(curl -fsSL https://example.com/i.sh)
        RUN sh -c "$(curl -fsSL https://example.com/i.sh)"
        RUN eval "$(wget -qO- https://example.com/env)"
        RUN curl -sSL https://aka.ms/getvsdbgsh | bash /dev/stdin -v latest
        RUN apt-get update && \\
            curl -sL https://deb.nodesource.com/setup_20.x | bash - && \\
            apt-get install -y nodejs
        """
    assert rows(text) == [2, 3, 4, 5, 6, 7, 8, 9, 11]


def test_near_misses_do_not_fire() -> None:
    text = """\
        FROM debian:12
        RUN curl -fsSL https://api.example.com/v1 | python3 -c 'import json,sys; print(json.load(sys.stdin))'
        RUN curl -fsSLo /tmp/i.sh https://example.com/i.sh && sha256sum -c sums && sh /tmp/i.sh
        RUN curl -fsSL https://example.com/x.tar.gz | tar -xz
        RUN wget https://example.com/i.sh | sh
        RUN curl -O https://example.com/i.sh | sh
        RUN cat local.sh | sh
        RUN curl -fsSL https://example.com/key | gpg --dearmor -o /usr/share/keyrings/k.gpg
        RUN echo "curl https://x | sh" > /notes.txt
        RUN curl https://example.com/i.sh | perl -ne 'print'
        """
    assert rows(text) == []


def test_after_shell_keyword_and_in_onbuild() -> None:
    text = """\
        FROM debian:12
        RUN if [ -n "$X" ]; then curl -fsSL https://x/i.sh | sh; fi
        ONBUILD RUN curl -fsSL https://x/i.sh | bash
        """
    assert rows(text) == [2, 3]


def test_exec_form_sh_c_and_heredoc() -> None:
    text = """\
        FROM debian:12
        RUN ["/bin/sh", "-c", "curl -fsSL https://x/i.sh | sh"]
        RUN <<EOF
        set -e
        curl -fsSL https://x/i.sh | sh
        EOF
        """
    assert rows(text) == [2, 5]


def test_powershell_download_and_iex() -> None:
    text = """\
        # escape=`
        FROM mcr.microsoft.com/windows/servercore:ltsc2022
        SHELL ["powershell", "-Command"]
        RUN iex ((new-object net.webclient).DownloadString('https://chocolatey.org/install.ps1'))
        RUN iwr -UseBasicParsing 'https://get.scoop.sh' | iex
        RUN Invoke-WebRequest https://x/tool.zip -OutFile tool.zip
        """
    assert rows(text) == [4, 5]


def test_credentials_in_url_are_registered_as_secrets() -> None:
    text = "FROM debian:12\nRUN curl -fsSL https://deploy:s3cretPassw0rd@example.com/i.sh | sh\n"
    ds = findings(text, CODE)
    assert len(ds) == 1
    assert "s3cretPassw0rd" not in ds[0].message


def test_odd_input_does_not_raise() -> None:
    for text in ("FROM x\nRUN\n", "FROM x\nrun curl x |\n", "FROM x\nRUN |\n", "RUN curl x | sh\n", ""):
        codes(text, CODE)


def test_pragma_suppresses() -> None:
    assert codes("FROM debian:12\n# hardenify: ignore[HF409]\nRUN curl -fsSL https://x | sh\n", CODE) == []


def test_exec_form_shell_with_options_before_c() -> None:
    # BuildKit runs `/bin/bash -o pipefail -c "<script>"`: the `-c` string is a script even
    # when options come before `-c` (the one RUN model reads it; `_runedit` did not).
    text = 'FROM debian:12\nRUN ["/bin/bash", "-o", "pipefail", "-c", "curl -fsSL https://x.example/i.sh | bash"]\n'
    assert rows(text) == [2]
