from tests.fixers.util import codes, findings, fixed

CODE = "HF103"


def ports(text: str) -> list[tuple[int, int]]:
    return [(d.location.row, d.location.column) for d in findings(text, CODE)]


def test_privileged_ports_of_a_non_root_image() -> None:
    text = "FROM debian:12\nUSER 10001:10001\nEXPOSE 80 443/tcp 8080 53/udp\n"
    assert ports(text) == [(3, 8), (3, 11), (3, 24)]
    assert "8080" in findings(text, CODE)[0].message


def test_ranges_start_below_1024() -> None:
    assert ports("FROM debian\nUSER app\nEXPOSE 1000-1100/udp 8000-8010\n") == [(3, 8)]


def test_variables_and_garbage_are_skipped() -> None:
    for expose in ("${PORT}", "$PORT", "${PORT:-80}", "http", "0", "80:80", "8080/tcp"):
        assert codes(f"FROM debian\nUSER app\nEXPOSE {expose}\n", CODE) == [], expose


def test_root_image_is_left_to_hf101() -> None:
    assert codes("FROM nginx:1.27\nEXPOSE 80\n", CODE) == []
    assert codes("FROM debian\nUSER app\nUSER root\nEXPOSE 80\n", CODE) == []


def test_non_root_bases_and_inherited_user() -> None:
    assert codes("FROM nginxinc/nginx-unprivileged:1.27\nEXPOSE 80\n", CODE) == [CODE]
    assert codes("FROM debian AS base\nUSER 1000\nEXPOSE 22\nFROM base\n", CODE) == [CODE]
    assert codes("FROM mcr.microsoft.com/dotnet/aspnet:8.0\nUSER $APP_UID\nEXPOSE 80\n", CODE) == [CODE]


def test_only_the_shipped_image() -> None:
    text = "FROM debian AS build\nEXPOSE 80\nFROM debian\nUSER 1000\nEXPOSE 8080\n"
    assert codes(text, CODE) == []


def test_multiline_expose_with_comment() -> None:
    text = "FROM debian\nUSER app\nEXPOSE 8080 \\\n  # admin\n  443\n"
    assert ports(text) == [(5, 3)]


def test_windows_quiet_and_no_fix() -> None:
    assert (
        codes("# escape=`\nFROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nUSER x\nEXPOSE 80\n", CODE)
        == []
    )
    text = "FROM debian\nUSER app\nEXPOSE 80\n"
    assert fixed(text, CODE, unsafe=True) == text


def test_odd_input() -> None:
    for text in ("EXPOSE 80\n", "FROM x\nUSER\nEXPOSE\n", "FROM x\nUSER a\nexpose 80\n"):
        findings(text, CODE)
    assert codes("from x\nuser a\nexpose 80\n", CODE) == [CODE]
