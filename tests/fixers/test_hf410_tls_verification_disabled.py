from hardenify.diagnostics import Applicability
from tests.fixers.util import codes, dedent, findings, fixed

CODE = "HF410"


def rows(text: str) -> list[int]:
    return [d.location.row for d in findings(text, CODE)]


def test_run_flags_fire_with_rows() -> None:
    text = """\
        FROM debian:12
        RUN curl -fsSLk https://x/a.tgz -o a.tgz
        RUN curl --insecure https://x
        RUN wget --no-check-certificate https://x
        RUN pip install --trusted-host pypi.org flask
        RUN python3 -m pip install --trusted-host=pypi.org flask
        RUN npm config set strict-ssl false && npm ci
        RUN yarn config set strict-ssl false
        RUN npm install --strict-ssl=false
        RUN git config --global http.sslVerify false
        RUN git -c http.sslVerify=false clone https://x/r.git
        RUN apk add --allow-untrusted curl
        RUN apt-get install -y --allow-unauthenticated curl
        RUN echo "deb [trusted=yes] http://repo.example.com/ ./" > /etc/apt/sources.list.d/x.list
        RUN NODE_TLS_REJECT_UNAUTHORIZED=0 npm ci
        RUN export PYTHONHTTPSVERIFY=0 && python app.py
        """
    assert rows(text) == list(range(2, 17))
    ds = findings(text, CODE)
    assert all(d.fix is not None and d.fix.applicability is Applicability.UNSAFE for d in ds)


def test_env_and_arg_fire() -> None:
    text = """\
        FROM node:22
        ENV NODE_TLS_REJECT_UNAUTHORIZED=0
        ENV NPM_CONFIG_STRICT_SSL=false
        ENV npm_config_strict_ssl false
        ARG GIT_SSL_NO_VERIFY=1
        ENV PIP_TRUSTED_HOST=pypi.org PYTHONHTTPSVERIFY=0
        """
    assert rows(text) == [2, 3, 4, 5, 6, 6]


def test_near_misses_do_not_fire() -> None:
    text = """\
        FROM debian:12
        RUN curl -fsSL -H "X-k: 1" https://x
        RUN curl -u k:pass https://x
        RUN curl https://x | grep -k lol
        RUN echo "--no-check-certificate" && echo -k
        RUN grep --trusted-host file
        ENV NODE_TLS_REJECT_UNAUTHORIZED=1 PYTHONHTTPSVERIFY=1
        ENV NPM_CONFIG_STRICT_SSL=true
        ENV ASDFGIT_SSL_NO_VERIFY=1
        ARG GIT_SSL_NO_VERIFY
        ENV NODE_TLS_REJECT_UNAUTHORIZED=${TLS}
        RUN npm config set registry https://r.example.com
        RUN git config --global http.sslVerify true
        RUN echo "deb [signed-by=/k.gpg] http://repo/ ./" > /etc/apt/sources.list.d/x.list
        RUN echo "deb [ trusted=yes ] file://$tempDir ./" > /etc/apt/sources.list.d/temp.list
        RUN apk index --allow-untrusted -o APKINDEX.tar.gz /tmp/pkgs/*.apk
        RUN apk add --no-cache --allow-untrusted /tmp/packages/nginx-module-*.apk
        """
    assert rows(text) == []


def test_windows_run_is_skipped_but_env_is_not() -> None:
    text = """\
        # escape=`
        FROM mcr.microsoft.com/windows/servercore:ltsc2022
        RUN curl.exe -k https://x -o x
        ENV NODE_TLS_REJECT_UNAUTHORIZED=0
        """
    assert rows(text) == [4]


def test_fix_removes_flags_and_values() -> None:
    before = """\
        FROM debian:12
        RUN curl -fsSLk https://x | tar -xz && curl --insecure -o a https://y
        RUN pip install --trusted-host pypi.org --trusted-host=files.pythonhosted.org -r req.txt
        RUN apt-get install -y --allow-unauthenticated curl
        RUN git -c http.sslVerify=false clone https://x/r.git
        """
    after = """\
        FROM debian:12
        RUN curl -fsSL https://x | tar -xz && curl -o a https://y
        RUN pip install -r req.txt
        RUN apt-get install -y curl
        RUN git clone https://x/r.git
        """
    assert fixed(before, CODE, unsafe=True) == dedent(after)


def test_fix_is_unsafe_only() -> None:
    text = "FROM debian:12\nRUN curl -k https://x\n"
    assert fixed(text, CODE) == dedent(text)


def test_fix_removes_segments_and_whole_runs() -> None:
    before = """\
        FROM node:22
        RUN npm config set strict-ssl false && npm ci
        RUN npm ci && yarn config set strict-ssl false
        RUN git config --global http.sslVerify false
        RUN NODE_TLS_REJECT_UNAUTHORIZED=0 npm ci && export PYTHONHTTPSVERIFY=0
        CMD ["node", "app.js"]
        """
    after = """\
        FROM node:22
        RUN npm ci
        RUN npm ci
        RUN npm ci
        CMD ["node", "app.js"]
        """
    assert fixed(before, CODE, unsafe=True) == dedent(after)


def test_fix_env_pair_or_instruction() -> None:
    before = """\
        FROM node:22
        ENV NODE_TLS_REJECT_UNAUTHORIZED=0
        ENV A=1 PYTHONHTTPSVERIFY=0 B=2
        ENV C=3 \\
            GIT_SSL_NO_VERIFY=true \\
            D=4
        ARG PIP_TRUSTED_HOST=pypi.org
        """
    after = """\
        FROM node:22
        ENV A=1 B=2
        ENV C=3 \\
            D=4
        """
    assert fixed(before, CODE, unsafe=True) == dedent(after)


def test_fix_keeps_comments_in_continuations() -> None:
    before = """\
        FROM node:22
        RUN apt-get update && \\
            npm config set strict-ssl false && \\
            # install dependencies
            npm ci && \\
            apk add \\
              --allow-untrusted \\
              curl
        """
    after = """\
        FROM node:22
        RUN apt-get update && \\
            # install dependencies
            npm ci && \\
            apk add \\
              curl
        """
    assert fixed(before, CODE, unsafe=True) == dedent(after)


def test_no_fix_when_removal_would_drop_a_comment() -> None:
    text = """\
        FROM debian:12
        RUN apt-get update && \\
            # the last step
            npm config set strict-ssl false
        """
    ds = findings(text, CODE)
    assert len(ds) == 1 and ds[0].fix is None


def test_no_segment_fix_inside_pipeline_or_or_list() -> None:
    text = "FROM debian:12\nRUN npm config set strict-ssl false || true\n"
    ds = findings(text, CODE)
    assert len(ds) == 1 and ds[0].fix is None


def test_last_word_alone_on_last_line_joins_previous_line() -> None:
    before = 'FROM alpine:3.20\nRUN apk add curl \\\n    --allow-untrusted\nCMD ["sh"]\n'
    after = 'FROM alpine:3.20\nRUN apk add curl\nCMD ["sh"]\n'
    assert fixed(before, CODE, unsafe=True) == after


def test_trusted_yes_fix_keeps_other_options() -> None:
    before = """\
        FROM debian:12
        RUN echo "deb [arch=amd64 trusted=yes] http://repo/ ./" > /etc/apt/sources.list.d/a.list
        RUN echo "deb [trusted=yes] http://repo/ ./" > /etc/apt/sources.list.d/b.list
        """
    after = """\
        FROM debian:12
        RUN echo "deb [arch=amd64] http://repo/ ./" > /etc/apt/sources.list.d/a.list
        RUN echo "deb http://repo/ ./" > /etc/apt/sources.list.d/b.list
        """
    assert fixed(before, CODE, unsafe=True) == dedent(after)


def test_heredoc_script_and_data() -> None:
    before = """\
        FROM debian:12
        RUN <<EOF
        set -e
        curl --insecure -o /tmp/a https://x
        EOF
        COPY <<EOF /etc/apt/sources.list.d/x.list
        deb [trusted=yes] http://repo/ ./
        EOF
        """
    assert rows(before) == [4, 7]
    after = """\
        FROM debian:12
        RUN <<EOF
        set -e
        curl -o /tmp/a https://x
        EOF
        COPY <<EOF /etc/apt/sources.list.d/x.list
        deb http://repo/ ./
        EOF
        """
    assert fixed(before, CODE, unsafe=True) == dedent(after)


def test_crlf_is_kept() -> None:
    before = "FROM node:22\r\nENV A=1 NODE_TLS_REJECT_UNAUTHORIZED=0\r\nRUN npm ci \\\r\n    --strict-ssl=false \\\r\n    --omit=dev\r\n"
    after = "FROM node:22\r\nENV A=1\r\nRUN npm ci \\\r\n    --omit=dev\r\n"
    assert fixed(before, CODE, unsafe=True) == after


def test_lowercase_and_onbuild() -> None:
    text = "from debian:12\nrun curl -k https://x\nONBUILD RUN wget --no-check-certificate https://x\n"
    assert rows(text) == [2, 3]
    assert (
        fixed(text, CODE, unsafe=True) == "from debian:12\nrun curl https://x\nONBUILD RUN wget https://x\n"
    )


def test_already_good_is_unchanged() -> None:
    text = "FROM debian:12\nRUN curl -fsSL https://x -o /tmp/x\nENV NODE_EXTRA_CA_CERTS=/etc/ssl/corp.pem\n"
    assert codes(text, CODE) == []
    assert fixed(text, CODE, unsafe=True) == dedent(text)


def test_odd_input_does_not_raise() -> None:
    for text in (
        "FROM x\nRUN\n",
        "FROM x\nENV\n",
        "FROM x\nARG\n",
        "ENV GIT_SSL_NO_VERIFY=1\n",
        "FROM x\nRUN ['a'\n",
    ):
        codes(text, CODE)


def test_exec_form_shell_with_options_before_c() -> None:
    # BuildKit runs `/bin/bash -o pipefail -c "<script>"`: `curl -k` in it is reported, no fix
    # (an exec form's string cannot be edited in place).
    text = 'FROM debian:12\nRUN ["/bin/bash", "-o", "pipefail", "-c", "curl -k https://x.example/f -o /f"]\n'
    ds = findings(text, CODE)
    assert [(d.location.row, d.fix) for d in ds] == [(2, None)]
