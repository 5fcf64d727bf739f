from tests.fixers.util import codes, findings, fixed

CODE = "HF403"


# ---------------------------------------------------------------------------- must not fire


def test_cleanup_variants_pass() -> None:
    for tail in (
        "rm -rf /var/lib/apt/lists/*",
        "rm -rf /var/lib/apt/lists",
        "rm -fr /var/lib/apt/lists/* /tmp/*",
        "rm -r -f /var/lib/apt/lists/",
        "apt-get distclean",
        "find /var/lib/apt/lists -type f -delete",
    ):
        text = f"FROM debian\nRUN apt-get update && apt-get install -y curl && {tail}\n"
        assert codes(text, CODE) == [], tail


def test_no_update_no_finding() -> None:
    assert codes("FROM debian\nRUN apt-get install -y curl\n", CODE) == []


def test_cleanup_before_update_does_not_count() -> None:
    text = "FROM debian\nRUN rm -rf /var/lib/apt/lists/* && apt-get update && apt-get install -y x\n"
    assert codes(text, CODE) == [CODE]


def test_cache_mounts_pass() -> None:
    for target in ("/var/lib/apt", "/var/lib/apt/lists", "/var/lib/apt/"):
        text = f"FROM debian\nRUN --mount=type=cache,target={target} apt-get update && apt-get install -y x\n"
        assert codes(text, CODE) == [], target
    text = (
        "FROM debian\nRUN --mount=type=tmpfs,dst=/var/lib/apt/lists apt-get update && apt-get install -y x\n"
    )
    assert codes(text, CODE) == []
    text = (
        "FROM debian\nRUN --mount=type=cache,target=/var/cache/apt apt-get update && apt-get install -y x\n"
    )
    assert codes(text, CODE) == [CODE]


def test_builder_stage_that_does_not_ship_is_skipped() -> None:
    text = """
        FROM debian AS build
        RUN apt-get update && apt-get install -y gcc
        FROM debian AS base
        RUN apt-get update && apt-get install -y curl
        FROM base
        COPY --from=build /out /out
    """
    assert [d.location.row for d in findings(text, CODE)] == [4]


def test_cleanup_inside_sh_c_counts() -> None:
    text = (
        "FROM debian\nRUN apt-get update && bash -c 'apt-get install -y x && rm -rf /var/lib/apt/lists/*'\n"
    )
    assert codes(text, CODE) == []


def test_windows_skipped() -> None:
    assert codes("# escape=`\nFROM mcr.microsoft.com/windows/servercore\nRUN apt-get update\n", CODE) == []


# -------------------------------------------------------------------------------- must fire


def test_fires_on_update_with_row() -> None:
    text = """
        FROM debian
        RUN set -eux; \\
            apt-get update; \\
            apt-get install -y curl
    """
    ds = findings(text, CODE)
    assert [(d.location.row, d.location.column) for d in ds] == [(3, 5)]
    assert "rm -rf /var/lib/apt/lists/*" in ds[0].message


def test_apt_update_and_heredoc_and_onbuild_fire() -> None:
    text = """
        FROM debian
        RUN apt update && apt install -y x
        RUN <<EOF
        apt-get update
        apt-get install -y y
        EOF
        ONBUILD RUN apt-get update && apt-get install -y z
    """
    assert [d.location.row for d in findings(text, CODE)] == [2, 4, 7]


# -------------------------------------------------------------------------------------- fix


def test_fix_one_line() -> None:
    assert (
        fixed("FROM debian\nRUN apt-get update && apt-get install -y curl\n", CODE)
        == "FROM debian\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
    )


def test_fix_leading_operator_style() -> None:
    before = """
        FROM debian
        RUN apt-get update \\
            && apt-get install -y --no-install-recommends \\
                curl \\
                git
    """
    after = """
        FROM debian
        RUN apt-get update \\
            && apt-get install -y --no-install-recommends \\
                curl \\
                git \\
            && rm -rf /var/lib/apt/lists/*
    """
    from tests.fixers.util import dedent

    assert fixed(before, CODE) == dedent(after)


def test_fix_trailing_operator_style_with_tabs() -> None:
    before = "FROM debian\nRUN apt-get update && \\\n\tapt-get install -y \\\n\t\tcurl\n"
    after = "FROM debian\nRUN apt-get update && \\\n\tapt-get install -y \\\n\t\tcurl && \\\n\trm -rf /var/lib/apt/lists/*\n"
    assert fixed(before, CODE) == after


def test_fix_package_list_only_continuation() -> None:
    before = "FROM debian\nRUN apt-get update && apt-get install -y \\\n        curl \\\n        git\n"
    after = (
        "FROM debian\nRUN apt-get update && apt-get install -y \\\n        curl \\\n        git \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n"
    )
    assert fixed(before, CODE) == after


def test_fix_crlf_and_comment_in_continuation() -> None:
    before = (
        "FROM debian\r\n"
        "RUN apt-get update \\\r\n"
        "    # install the tools\r\n"
        "    && apt-get install -y curl\r\n"
        'CMD ["bash"]\r\n'
    )
    after = (
        "FROM debian\r\n"
        "RUN apt-get update \\\r\n"
        "    # install the tools\r\n"
        "    && apt-get install -y curl \\\r\n"
        "    && rm -rf /var/lib/apt/lists/*\r\n"
        'CMD ["bash"]\r\n'
    )
    assert fixed(before, CODE) == after


def test_fix_before_trailing_comment_and_without_final_newline() -> None:
    assert (
        fixed("FROM debian\nRUN apt-get update && apt-get install -y x # tools", CODE)
        == "FROM debian\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/* # tools"
    )


def test_fix_heredoc_appends_to_last_command() -> None:
    before = "FROM debian\nRUN <<EOF\napt-get update\napt-get install -y git\n\nEOF\n"
    after = "FROM debian\nRUN <<EOF\napt-get update\napt-get install -y git && rm -rf /var/lib/apt/lists/*\n\nEOF\n"
    assert fixed(before, CODE) == after


def test_fix_keeps_sudo() -> None:
    assert (
        fixed("FROM debian\nRUN sudo apt-get update && sudo apt-get install -y x\n", CODE)
        == "FROM debian\nRUN sudo apt-get update && sudo apt-get install -y x && sudo rm -rf /var/lib/apt/lists/*\n"
    )


def test_no_fix_when_a_later_run_needs_the_lists() -> None:
    text = """
        FROM debian AS base
        RUN apt-get update && apt-get install -y curl
        FROM base
        RUN apt-get install -y git
    """
    ds = findings(text, CODE)
    assert len(ds) == 1 and ds[0].fix is None
    # ... but a later RUN that updates first is fine
    text2 = "FROM debian\nRUN apt-get update && apt-get install -y a\nRUN apt-get update && apt-get install -y b\n"
    assert all(d.fix is not None for d in findings(text2, CODE))


def test_no_fix_when_the_tail_cannot_take_an_operator() -> None:
    for text in (
        "FROM debian\nRUN apt-get update && apt-get install -y x &\n",
        "FROM debian\nRUN apt-get update && apt-get install -y x;\n",
        "FROM debian\nRUN apt-get update && apt-get install -y x && exit 0\n",
        "FROM debian\nRUN <<EOF\napt-get update\napt-get install -y x\ncat <<X > /f\nhi\nX\nEOF\n",
    ):
        ds = findings(text, CODE)
        assert len(ds) == 1 and ds[0].fix is None, text


def test_no_change_when_good() -> None:
    text = "FROM debian\nRUN apt-get update && apt-get install -y x \\\n && rm -rf /var/lib/apt/lists/*\n"
    assert fixed(text, CODE) == text


def test_fix_heredoc_skips_trailing_comment_line() -> None:
    before = "FROM debian\nRUN <<EOF\nset -e\napt-get update\napt-get install -y git\n# done\nEOF\n"
    after = "FROM debian\nRUN <<EOF\nset -e\napt-get update\napt-get install -y git && rm -rf /var/lib/apt/lists/*\n# done\nEOF\n"
    assert fixed(before, CODE) == after
