from hardenify.diagnostics import Applicability
from tests.fixers.util import codes, dedent, findings, fixed

CODE = "HF408"


# ---------------------------------------------------------------------------- must not fire


def test_clean_variants_pass() -> None:
    for run in (
        "yum install -y httpd && yum clean all",
        "yum install -y httpd && dnf clean all",
        "dnf install -y httpd && dnf clean all && rm -rf /var/cache/dnf",
        "dnf -y install httpd && rm -rf /var/cache/dnf/*",
        "yum install -y httpd && rm -rf /var/cache/yum",
        "microdnf install -y x && microdnf clean all",
        "tdnf install -y x && tdnf clean all",
        "zypper -n install curl && zypper clean -a",
        "zypper --non-interactive in curl && zypper cc",
        "zypper install -y curl && zypper clean",
        "yum clean all",
        "rpm -i x.rpm",
        "echo yum install httpd",
    ):
        assert codes(f"FROM rockylinux:9\nRUN {run}\n", CODE) == [], run


def test_cache_mount_passes_the_clean_check() -> None:
    text = "FROM fedora\nRUN --mount=type=cache,target=/var/cache/dnf dnf install -y x\n"
    assert codes(text, CODE) == []


def test_assumeyes_config_passes_the_yes_check() -> None:
    text = "FROM centos:7\nRUN echo 'assumeyes=1' >> /etc/yum.conf\nRUN yum install x && yum clean all\n"
    assert codes(text, CODE) == []


def test_microdnf_yes_fix_is_unsafe() -> None:
    text = "FROM ubi9-minimal\nRUN microdnf install x && microdnf clean all\n"
    ds = findings(text, CODE)
    assert len(ds) == 1 and ds[0].fix is not None and ds[0].fix.applicability is Applicability.UNSAFE
    assert fixed(text, CODE) == text
    assert (
        fixed(text, CODE, unsafe=True)
        == "FROM ubi9-minimal\nRUN microdnf install -y x && microdnf clean all\n"
    )


# -------------------------------------------------------------------------------- must fire


def test_missing_clean_and_yes_with_rows() -> None:
    text = """
        FROM rockylinux:9
        RUN dnf install httpd
        RUN yum -y install x && yum clean all && yum -y install y
        RUN zypper install curl
    """
    ds = findings(text, CODE)
    got = [(d.location.row, "-y" if "-y" in d.message else "clean") for d in ds]
    assert got == [(2, "-y"), (2, "clean"), (3, "clean"), (4, "-y"), (4, "clean")]
    assert all(d.fix is not None and d.fix.applicability is Applicability.SAFE for d in ds)


def test_group_install_and_heredoc() -> None:
    text = "FROM centos\nRUN yum group install -y 'Development Tools'\nRUN <<EOF\ndnf install -y x\nEOF\n"
    assert [d.location.row for d in findings(text, CODE)] == [2, 4]


# -------------------------------------------------------------------------------------- fix


def test_fix_one_line() -> None:
    before = "FROM rockylinux:9\nRUN dnf install httpd\n"
    assert fixed(before, CODE) == "FROM rockylinux:9\nRUN dnf install -y httpd && dnf clean all\n"
    before = "FROM opensuse/leap\nRUN zypper in -y curl\n"
    assert fixed(before, CODE) == "FROM opensuse/leap\nRUN zypper in -y curl && zypper clean --all\n"


def test_fix_multi_line_keeps_style_sudo_and_comments() -> None:
    before = """
        FROM centos:7
        RUN sudo yum install -y \\
              httpd \\
            # php too
            && sudo yum install -y php
    """
    after = """
        FROM centos:7
        RUN sudo yum install -y \\
              httpd \\
            # php too
            && sudo yum install -y php \\
            && sudo yum clean all
    """
    assert fixed(before, CODE) == dedent(after)


def test_fix_crlf() -> None:
    before = "FROM centos:7\r\nRUN yum install -y httpd && \\\r\n    yum install -y php\r\n"
    after = "FROM centos:7\r\nRUN yum install -y httpd && \\\r\n    yum install -y php && \\\r\n    yum clean all\r\n"
    assert fixed(before, CODE) == after


def test_fix_heredoc() -> None:
    before = "FROM fedora\nRUN <<EOF\nset -e\ndnf install -y x\nEOF\n"
    after = "FROM fedora\nRUN <<EOF\nset -e\ndnf install -y x && dnf clean all\nEOF\n"
    assert fixed(before, CODE) == after


def test_no_change_when_good() -> None:
    text = "FROM fedora\nRUN dnf install -y x \\\n && dnf clean all\n"
    assert fixed(text, CODE) == text


def test_pragmas_and_windows() -> None:
    assert codes("FROM centos\n# hadolint ignore=DL3032,DL3030\nRUN yum install x\n", CODE) == []
    assert codes("# escape=`\nFROM mcr.microsoft.com/windows/servercore\nRUN yum install x\n", CODE) == []
