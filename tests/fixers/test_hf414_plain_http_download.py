from tests.fixers.util import codes, findings, fixed

CODE = "HF414"


def rows(text: str) -> list[int]:
    return [d.location.row for d in findings(text, CODE)]


def test_downloads_over_http_fire() -> None:
    text = """\
        FROM debian:bookworm-slim
        RUN curl -fsSLo /usr/local/bin/tool http://example.com/tool && chmod +x /usr/local/bin/tool
        RUN wget -q "http://downloads.example.org/x.tgz"
        RUN set -e; \\
            wget ftp://ftp.example.org/pub/file.tar.gz
        ADD http://example.com/app.tar.gz /opt/
        """
    assert rows(text) == [2, 3, 5, 6]  # the URL word, on its continuation line
    msg = findings(text, CODE)[0].message
    assert "http://example.com/tool" in msg and "https://" in msg


def test_finding_points_at_the_url_word() -> None:
    d = findings("FROM debian\nRUN apt-get update && curl -o f http://example.com/f\n", CODE)[0]
    assert (d.location.row, d.location.column) == (2, 33)


def test_package_indexes_over_http_fire() -> None:
    text = """\
        FROM python:3.12-slim
        RUN pip install --index-url http://pypi.corp.example/simple app
        RUN pip install --extra-index-url=http://pypi.corp.example/simple app
        RUN python -m pip install -i http://pypi.corp.example/simple app
        RUN npm install --registry http://npm.corp.example/
        RUN npm config set registry http://npm.corp.example/
        ENV PIP_INDEX_URL=http://pypi.corp.example/simple
        """
    assert rows(text) == [2, 3, 4, 5, 6, 7]


def test_third_party_apt_source_without_signed_by_fires() -> None:
    text = """\
        FROM debian:bookworm-slim
        RUN echo "deb http://repo.example.com/apt stable main" > /etc/apt/sources.list.d/x.list
        """
    assert rows(text) == [2]


def test_must_not_fire() -> None:
    text = """\
        FROM debian:bookworm-slim
        RUN curl -fsSLo /tmp/x https://example.com/x
        RUN curl -fsSLo /tmp/x http://localhost:8080/x && wget http://127.0.0.1/y
        RUN curl -fsSLo /tmp/x http://$MIRROR/x
        RUN curl -fsSLo /tmp/x http://example.com/x && echo "abc  /tmp/x" | sha256sum -c -
        RUN echo "deb http://deb.debian.org/debian bookworm main" > /etc/apt/sources.list
        RUN echo "deb [signed-by=/usr/share/keyrings/x.gpg] http://repo.example.com/apt stable main" > /etc/apt/sources.list.d/x.list
        RUN npm install -f left-pad
        RUN pip install -r requirements.txt
        ENV HOMEPAGE=http://example.com
        ADD https://example.com/app.tar.gz /opt/
        ADD app.tar.gz /opt/
        """
    assert codes(text, CODE) == []


def test_heredoc_and_onbuild() -> None:
    text = "FROM debian\nRUN <<EOF\nset -e\ncurl -o /x http://example.com/x\nEOF\nONBUILD RUN wget http://example.com/y\n"
    assert rows(text) == [4, 6]


def test_no_fix() -> None:
    text = "FROM debian\nRUN curl -o /x http://example.com/x\n"
    assert fixed(text, CODE, unsafe=True) == text
