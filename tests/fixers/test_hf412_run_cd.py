from tests.fixers.util import codes, dedent, findings, fixed

CODE = "HF412"


def rows(text: str) -> list[int]:
    return [d.location.row for d in findings(text, CODE)]


def test_first_command_cd_fires() -> None:
    ds = findings("FROM debian:12\nRUN cd /src && make\n", CODE)
    assert [(d.code, d.location.row) for d in ds] == [("HF412", 2)]
    assert "WORKDIR /src" in ds[0].message


def test_variants_and_near_misses() -> None:
    text = """\
        FROM debian:12
        RUN cd /tmp; make
        RUN cd /tmp
        RUN git clone https://x/r.git && cd r && make
        RUN (cd /tmp && make)
        RUN ["sh", "-c", "cd /tmp && make"]
        RUN cd /tmp || exit 1
        run cd /x && make
        """
    assert rows(text) == [2, 3, 8]


def test_windows_is_skipped() -> None:
    assert rows("# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN cd C:\\x && dir\n") == []


def test_fix_in_builder_stage() -> None:
    before = """\
        FROM golang:1.23 AS build
        COPY . /src
        RUN cd /src && go build -o /out/app .
        FROM gcr.io/distroless/static
        COPY --from=build /out/app /app
        """
    after = """\
        FROM golang:1.23 AS build
        COPY . /src
        WORKDIR /src
        RUN go build -o /out/app .
        FROM gcr.io/distroless/static
        COPY --from=build /out/app /app
        """
    assert fixed(before, CODE, unsafe=True) == dedent(after)
    assert fixed(before, CODE) == dedent(before)


def test_fix_keeps_layout_comments_flags_and_crlf() -> None:
    before = (
        "FROM golang:1.23 AS tool\r\n"
        "# build it\r\n"
        "RUN --mount=type=cache,target=/root/.cache \\\r\n"
        "    cd /go/src/tool && \\\r\n"
        "    # install\r\n"
        "    go install . \\\r\n"
        " && tool --help\r\n"
        "FROM debian:12\r\n"
        "COPY --from=tool /go/bin/tool /usr/local/bin/\r\n"
    )
    after = (
        "FROM golang:1.23 AS tool\r\n"
        "WORKDIR /go/src/tool\r\n"
        "# build it\r\n"
        "RUN --mount=type=cache,target=/root/.cache \\\r\n"
        "    # install\r\n"
        "    go install . \\\r\n"
        " && tool --help\r\n"
        "FROM debian:12\r\n"
        "COPY --from=tool /go/bin/tool /usr/local/bin/\r\n"
    )
    assert fixed(before, CODE, unsafe=True) == after


def test_fix_before_next_absolute_workdir_and_relative_path() -> None:
    before = """\
        FROM node:22
        WORKDIR /app
        RUN cd web && npm ci
        ENV NODE_ENV=production
        COPY dist /srv/dist
        RUN cd /srv && ls
        WORKDIR /srv
        CMD ["node", "main.js"]
        """
    after = """\
        FROM node:22
        WORKDIR /app
        WORKDIR /app/web
        RUN npm ci
        ENV NODE_ENV=production
        COPY dist /srv/dist
        WORKDIR /srv
        RUN ls
        WORKDIR /srv
        CMD ["node", "main.js"]
        """
    assert fixed(before, CODE, unsafe=True) == dedent(after)


def test_no_fix_when_later_instructions_depend_on_the_directory() -> None:
    cases = [
        "FROM debian:12\nRUN cd /src && make\n",  # final stage: the image's working directory
        "FROM debian:12 AS b\nRUN cd /src && make\nRUN make install\nFROM debian:12\n",
        "FROM debian:12 AS b\nRUN cd /src && make\nCOPY x .\nFROM debian:12\n",
        "FROM debian:12 AS b\nRUN cd /src && make\nFROM b\n",  # a child stage inherits it
        "FROM debian:12 AS b\nRUN cd src && make\nFROM debian:12\n",  # relative, no WORKDIR
        "FROM debian:12 AS b\nRUN cd $HOME && make\nFROM debian:12\n",
        "FROM debian:12 AS b\nRUN cd /src && make && cd - && make\nFROM debian:12\n",
        "FROM debian:12 AS b\nRUN cd /src; make\nFROM debian:12\n",
        "FROM debian:12 AS b\nRUN --mount=target=cache cd /src && make\nFROM debian:12\n",
        "FROM debian:12 AS b\nRUN cd /src && make\nWORKDIR rel\nFROM debian:12\n",
    ]
    for text in cases:
        ds = findings(text, CODE)
        assert len(ds) == 1 and ds[0].fix is None, text


def test_already_good_is_unchanged() -> None:
    text = "FROM debian:12\nWORKDIR /src\nRUN make\n"
    assert codes(text, CODE) == []
    assert fixed(text, CODE, unsafe=True) == text


def test_odd_input_does_not_raise() -> None:
    for text in (
        "FROM x\nRUN cd\n",
        "FROM x\nRUN cd &&\n",
        "RUN cd /x && y\n",
        "FROM x\nONBUILD RUN cd /x && y\n",
    ):
        codes(text, CODE)


def test_linux_stage_of_a_file_that_also_builds_windows() -> None:
    text = """\
        FROM mcr.microsoft.com/windows/servercore:ltsc2022 AS win
        RUN cd C:\\src && build.cmd
        FROM golang:1.23 AS tool
        RUN cd /src && go build -o /out/tool .
        FROM debian:12
        COPY --from=tool /out/tool /usr/local/bin/
        """
    assert rows(text) == [4]
    assert "WORKDIR /src\nRUN go build -o /out/tool .\n" in fixed(text, CODE, unsafe=True)
