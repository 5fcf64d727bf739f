"""Validators: the gate that keeps user values from breaking out of Dockerfile/YAML/shell contexts."""

from __future__ import annotations

import pytest

from hardenify.scaffold.validators import split_names, validate


@pytest.mark.parametrize(("value", "expected"), [("1", 1), (65535, 65535), (" 8080 ", 8080)])
def test_ports_in_range(value: object, expected: int) -> None:
    assert validate("port", value) == expected


@pytest.mark.parametrize("value", ["0", "65536", "-1", "80a", "8080\nUSER root"])
def test_ports_out_of_range_or_not_numbers(value: str) -> None:
    with pytest.raises(ValueError):
        validate("port", value)


def test_uid_zero_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="root"):
        validate("uid", 0)
    assert validate("uid", "10001") == 10001


@pytest.mark.parametrize(
    "command",
    [
        "python app.py\nUSER root",
        "node -e 'say \"hi\"'",
        "python app.py `id`",
        "run \\\\ x",
        "sh -c 'unterminated",
        "",
    ],
)
def test_commands_with_injection_characters_are_refused(command: str) -> None:
    with pytest.raises(ValueError):
        validate("command", command)


def test_commands_are_normalised_to_plain_words() -> None:
    assert validate("command", "  python   -m   app ") == "python -m app"
    assert validate("command", "php -S 0.0.0.0:8080 -t public") == "php -S 0.0.0.0:8080 -t public"
    # a quoted argument with a space survives as one argument
    assert validate("command", "app --greeting 'hello world'") == "app --greeting 'hello world'"


@pytest.mark.parametrize("name", ["app", "my-service.v2", "a", "svc_1"])
def test_good_names(name: str) -> None:
    assert validate("name", name) == name


@pytest.mark.parametrize("name", ["App", "-app", "app-", "a b", 'x"y', "a" * 64, "svc:latest"])
def test_bad_names(name: str) -> None:
    with pytest.raises(ValueError):
        validate("name", name)


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        ("/health", True),
        ("/api/v1/health-z", True),
        ("health", False),
        ("/h'x", False),
        ("/a b", False),
        ("/x\n", False),
    ],
)
def test_url_paths(path: str, ok: bool) -> None:
    if ok:
        assert validate("path", path) == path
    else:
        with pytest.raises(ValueError):
            validate("path", path)


def test_relpaths_stay_inside_the_project() -> None:
    assert validate("relpath", "./src/") == "src"
    assert validate("relpath", "") == "."
    for bad in ("../x", "/etc", "a/../../b", "a b", "x'y"):
        with pytest.raises(ValueError):
            validate("relpath", bad)


def test_names_lists_addresses_and_limits() -> None:
    assert validate("names", "API_TOKEN, DB_URL API_TOKEN") == "API_TOKEN,DB_URL"
    assert split_names(["A", "B", "A"]) == ["A", "B"]
    with pytest.raises(ValueError):
        validate("names", "API-TOKEN")
    assert validate("address", "127.0.0.1") == "127.0.0.1"
    assert validate("address", "::1") == "[::1]"
    with pytest.raises(ValueError):
        validate("address", "localhost")
    assert validate("memory", "512M") == "512M"
    assert validate("cpus", "0.5") == "0.5"
    for kind, bad in (("memory", "lots"), ("cpus", "0"), ("pids", 3), ("version", "3.12;rm")):
        with pytest.raises(ValueError):
            validate(kind, bad)


def test_unknown_validator_is_a_template_bug() -> None:
    with pytest.raises(KeyError, match="unknown validator"):
        validate("nope", "x")
