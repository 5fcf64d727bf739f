"""HF205: the shipped stage runs on a full image when a minimal variant exists (issue 17 item 1)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from hardenify.engine import lint
from hardenify.settings import Settings
from tests.fixers.util import codes, findings, fixed

CODE = "HF205"
DIGEST = "sha256:" + "a" * 64


def one(text: str) -> str:
    ds = findings(text, CODE)
    assert len(ds) == 1, ds
    return ds[0].message


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # multi-stage: the runtime stage copies wheels built on a slim builder (before this rule, clean)
        (
            "FROM python:3.12-slim AS build\nRUN pip wheel -w /w requests\n"
            'FROM python:3.12\nCOPY --from=build /w /w\nCOPY app.py /app/\nCMD ["python", "/app/app.py"]\n',
            "FROM python:3.12-slim AS build\nRUN pip wheel -w /w requests\n"
            'FROM python:3.12-slim\nCOPY --from=build /w /w\nCOPY app.py /app/\nCMD ["python", "/app/app.py"]\n',
        ),
        (
            'FROM node:22-bookworm\nCOPY dist /app\nCMD ["node", "/app/server.js"]\n',
            'FROM node:22-bookworm-slim\nCOPY dist /app\nCMD ["node", "/app/server.js"]\n',
        ),
        # corpus 0386 (docker-library julia): Debian full → slim, apt installs work the same
        (
            'FROM debian:stretch\nRUN apt-get update && apt-get install -y ca-certificates\nCMD ["julia"]\n',
            'FROM debian:stretch-slim\nRUN apt-get update && apt-get install -y ca-certificates\nCMD ["julia"]\n',
        ),
        (
            'from docker.io/library/debian:12 as app\r\nCMD ["/usr/sbin/nginx"]\r\n',
            'from docker.io/library/debian:12-slim as app\r\nCMD ["/usr/sbin/nginx"]\r\n',
        ),
        (
            'FROM eclipse-temurin:21-jdk-jammy\nCOPY app.jar /\nENTRYPOINT ["java", "-jar", "/app.jar"]\n',
            'FROM eclipse-temurin:21-jre-jammy\nCOPY app.jar /\nENTRYPOINT ["java", "-jar", "/app.jar"]\n',
        ),
        (
            "FROM openjdk:11-jdk-slim\nCOPY app.jar /\nCMD java -jar /app.jar\n",
            "FROM openjdk:11-jre-slim\nCOPY app.jar /\nCMD java -jar /app.jar\n",
        ),
        # the stage installs curl itself, so the slim image gets it too
        (
            "FROM python:3.12\nRUN apt-get update && apt-get install -y curl\nHEALTHCHECK CMD curl -f http://localhost/\n"
            'CMD ["python", "-m", "http.server"]\n',
            "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y curl\nHEALTHCHECK CMD curl -f http://localhost/\n"
            'CMD ["python", "-m", "http.server"]\n',
        ),
    ],
)
def test_fix_swaps_to_the_minimal_variant(before: str, after: str) -> None:
    assert fixed(before, CODE) == before  # unsafe only
    assert fixed(before, CODE, unsafe=True) == after
    assert codes(after, CODE) == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('FROM python:3.12\nRUN pip install flask\nCMD ["python", "app.py"]\n', "`pip install` may compile"),
        # corpus 0020 (awesome-compose react-express-mysql backend): npm ci in the shipped stage
        (
            'FROM node:lts\nCOPY package*.json ./\nRUN npm ci\nCMD ["node", "index.js"]\n',
            "`npm ci` may compile",
        ),
        (
            "FROM node:20 AS b\nRUN npm ci\nFROM node:20\nCOPY --from=b /app /app\nCMD node /app/server.js\n",
            "files copied from stage `b`",
        ),
        (
            'FROM python:3.12\nHEALTHCHECK CMD curl -f http://localhost/ || exit 1\nCMD ["python", "app.py"]\n',
            "HEALTHCHECK runs `curl`",
        ),
        ('FROM python:3.12\nRUN git clone https://x/y /app\nCMD ["python", "/app/a.py"]\n', "RUN runs `git`"),
        ('FROM python:3.12\nCOPY start.sh /\nENTRYPOINT ["/start.sh"]\n', "does not read"),
        (
            'FROM eclipse-temurin:17\nCOPY . /src\nRUN javac /src/A.java\nCMD ["java", "-cp", "/src", "A"]\n',
            "`javac`, which a JRE does not have",
        ),
        (
            'FROM debian:bookworm\nRUN apt-get update && apt-get install -y openjdk-17-jre-headless\nCMD ["java", "-jar", "/a.jar"]\n',
            "#863199",
        ),
        (f'FROM python:3.12@{DIGEST}\nCMD ["python", "app.py"]\n', "re-pin with `hardenify pin`"),
        ('ARG V=3.12\nFROM python:${V}\nCMD ["python", "app.py"]\n', "build argument"),
    ],
)
def test_reports_and_declines_with_the_reason(text: str, reason: str) -> None:
    ds = findings(text, CODE)
    assert len(ds) == 1 and ds[0].fix is None
    assert reason in ds[0].message, ds[0].message
    assert "HF413" in (ds[0].note or "")
    assert fixed(text, CODE, unsafe=True) == text


def test_report_only_families() -> None:
    assert "distroless" in one('FROM golang:1.23\nCOPY . .\nRUN go build -o /app\nCMD ["/app"]\n')
    assert "eclipse-temurin:17-jre" in one('FROM openjdk:17\nCOPY a.jar /\nCMD ["java", "-jar", "/a.jar"]\n')
    assert "stable-slim" in one('FROM debian\nCMD ["/usr/sbin/nginx"]\n')
    assert "-alpine" in one(
        'FROM python:3.12-alpine AS b\nRUN apk add --no-cache gcc\nFROM python:3.12\nCMD ["python", "a.py"]\n'
    )


@pytest.mark.parametrize(
    "text",
    [
        'FROM python:3.12-slim\nCMD ["python", "app.py"]\n',
        'FROM python:3.12-alpine\nCMD ["python", "app.py"]\n',
        'FROM node:22-bookworm-slim\nCMD ["node", "a.js"]\n',
        'FROM gcr.io/distroless/python3-debian12\nCMD ["app.py"]\n',
        'FROM eclipse-temurin:21-jre\nCMD ["java", "-jar", "/a.jar"]\n',
        'FROM ubuntu:24.04\nCMD ["/usr/bin/app"]\n',
        # builder stages are not shipped
        'FROM golang:1.23 AS build\nRUN go build -o /app\nFROM scratch\nCOPY --from=build /app /app\nCMD ["/app"]\n',
        # the final stage's root is also a builder of another stage
        'FROM python:3.12 AS base\nCMD ["python", "a.py"]\nFROM base AS test\nRUN pytest\n'
        'FROM alpine AS x\nCOPY --from=base /a /a\nFROM base\nCMD ["python", "a.py"]\n',
        # base and tool images: no application
        "FROM debian:bookworm\nRUN apt-get update\n",
        'FROM python:3.12\nCMD ["python3"]\n',
        'FROM node:20\nCMD ["bash"]\n',
        'FROM debian:10\nENTRYPOINT ["/init.sh"]\nCMD ["sleep", "infinity"]\n',
        # Windows
        'FROM python:3.12-windowsservercore-ltsc2022\nCMD ["python", "a.py"]\n',
        '# escape=`\nFROM python:3.12\nCMD ["python", "a.py"]\n',
    ],
)
def test_must_not_fire(text: str) -> None:
    assert codes(text, CODE) == []


def test_corpus_hits_are_few_and_fixes_rare(corpus_dir: Path) -> None:
    """Measured on the shared corpus (2026-12-05): 35 hits, 3 with a fix; most decline with reasons."""
    tally: Counter[str] = Counter()
    for path in sorted((corpus_dir / "dockerfiles").iterdir()):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        for d in lint(path.name, text, "dockerfile", Settings(select=(CODE,))).diagnostics:
            if d.code == CODE:
                tally["fix" if d.fix is not None else "report"] += 1
                assert (
                    d.fix is not None
                    or "not swapped" in d.message
                    or "use `" in d.message
                    or "distroless" in d.message
                )
    assert 15 <= tally["fix"] + tally["report"] <= 80, tally
    assert tally["fix"] <= 10, tally
