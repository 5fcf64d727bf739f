import datetime as dt
import json
from pathlib import Path

import pytest

from hardenify.imageref import parse_ref
from hardenify.knowledge import eol
from tests.fixers.util import codes, findings, fixed

CODE = "HF204"
DAY = dt.date(2026, 12, 5)


def verdict(image: str, today: dt.date = DAY) -> str | None:
    v = eol.end_of_life(parse_ref(image), today)
    return None if v is None else v.what


def test_runtimes_from_official_tags() -> None:
    assert verdict("python:3.8-slim") == "Python 3.8"
    assert verdict("python:3.8.19-slim-bookworm") == "Python 3.8"
    assert verdict("node:16-alpine") == "Node.js 16"
    assert verdict("node:17") == "Node.js 17"
    assert verdict("golang:1.19") == "Go 1.19"
    assert verdict("ruby:2.7.8-slim") == "Ruby 2.7"
    assert verdict("php:8.1-fpm") == "PHP 8.1"
    assert verdict("mcr.microsoft.com/dotnet/aspnet:6.0") == ".NET 6.0"


def test_distributions_and_distributions_in_tags() -> None:
    assert verdict("debian:buster-slim") == "Debian 10 (buster)"
    assert verdict("debian:10") == "Debian 10 (buster)"
    assert verdict("ubuntu:18.04") == "Ubuntu 18.04 (bionic)"
    assert verdict("ubuntu:23.10") == "Ubuntu 23.10 (mantic)"  # non-LTS, past its nine months
    assert verdict("alpine:3.14") == "Alpine 3.14"
    assert verdict("python:3.13-slim-buster") == "Debian 10 (buster)"
    assert verdict("golang:1.25-alpine3.16") == "Alpine 3.16"


def test_supported_unknown_and_versionless_tags_pass() -> None:
    for image in (
        "python:3.13-slim",
        "node:22",
        "debian:bookworm-slim",
        "ubuntu:24.04",
        "ubuntu:noble",
        "alpine:3.22",
        "python",
        "python:latest",
        "node:lts-alpine",
        "debian:stable-slim",
        "myorg/python:3.8",
        "pypy:3.8",
    ):
        assert verdict(image) is None, image


def test_the_date_decides() -> None:
    assert verdict("node:20", dt.date(2026, 4, 29)) is None
    assert verdict("node:20", dt.date(2026, 4, 30)) == "Node.js 20"


def test_every_product_has_a_source_and_sorted_valid_dates() -> None:
    table = json.loads((Path(eol.__file__).parent / "eol.json").read_text(encoding="utf-8"))
    for product, meta in table["products"].items():
        assert meta["source"].startswith("https://endoflife.date/"), product
        assert meta["cycles"], product
        for row in meta["cycles"]:
            dt.date.fromisoformat(row["eol"])


def test_rule_fires_on_dockerfile_with_nearest_release() -> None:
    ds = findings("FROM python:3.8-slim AS build\nFROM node:16-alpine\nCOPY --from=build /a /a\n", CODE)
    assert [d.location.row for d in ds] == [1, 2]
    assert "Python 3.8, end of life since 2024-10-07" in ds[0].message
    assert "nearest supported release is" in ds[0].message
    assert "nearest supported release is 2" in ds[1].message  # an even (LTS) Node.js major


def test_rule_resolves_arg_defaults_and_skips_stages() -> None:
    assert codes("ARG PY=3.7\nFROM python:${PY}-slim\n", CODE) == [CODE]
    assert codes("FROM python:3.13-slim AS b\nFROM b\n", CODE) == []


def test_rule_fires_on_compose() -> None:
    text = "services:\n  db:\n    image: postgres:17\n  web:\n    image: node:14\n  app:\n    build: .\n    image: node:14\n"
    ds = findings(text, CODE, kind="compose")
    assert [d.location.row for d in ds] == [5]


@pytest.fixture
def on_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule's clock at DAY, so the nearest supported release does not move with the date."""
    import hardenify.fixers.hf204_end_of_life_image as mod

    monkeypatch.setattr(mod, "_today", lambda: DAY)


@pytest.mark.usefixtures("on_day")
@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("FROM python:3.8-slim\n", "FROM python:3.11-slim\n"),
        ("FROM python:3.7.9 AS app\n", "FROM python:3.11 AS app\n"),
        ("FROM node:16-alpine\n", "FROM node:22-alpine\n"),
        ("FROM debian:buster-slim\n", "FROM debian:bookworm-slim\n"),
        ("FROM debian:10\n", "FROM debian:12\n"),
        ("FROM ubuntu:18.04\n", "FROM ubuntu:22.04\n"),
        (
            "from docker.io/library/python:3.8-slim as b\r\nFROM b\r\n",
            "from docker.io/library/python:3.11-slim as b\r\nFROM b\r\n",
        ),
        (
            "FROM python:3.13-slim AS b\nCOPY --from=node:16 /x /x\n",
            "FROM python:3.13-slim AS b\nCOPY --from=node:22 /x /x\n",
        ),
    ],
)
def test_unsafe_fix_moves_to_the_nearest_supported_release_keeping_the_variant(
    before: str, after: str
) -> None:
    assert fixed(before, CODE, unsafe=True) == after
    assert fixed(before, CODE, unsafe=False) == before  # unsafe only
    assert fixed(after, CODE, unsafe=True) == after


@pytest.mark.usefixtures("on_day")
@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("FROM python:3.8-slim-buster\n", "names another release too"),
        ("FROM python:3.8-alpine3.12\n", "names another release too"),
        ("FROM python:3.8@sha256:" + "0" * 64 + "\n", "pinned by digest"),
        ("ARG PY=python:3.7\nFROM $PY\n", "build argument"),
        ("ARG V=3.7\nFROM python:${V}-slim\n", "build argument"),
    ],
)
def test_fix_declines_with_the_reason(text: str, why: str) -> None:
    (d,) = findings(text, CODE)
    assert d.fix is None and d.note and why in d.note
    assert fixed(text, CODE, unsafe=True) == text


@pytest.mark.usefixtures("on_day")
def test_compose_has_no_fix() -> None:
    text = "services:\n  web:\n    image: node:14\n"
    assert fixed(text, CODE, unsafe=True, kind="compose") == text
