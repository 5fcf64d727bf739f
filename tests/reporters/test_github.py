"""The github format: exact workflow commands and GitHub's escaping rules."""

from __future__ import annotations

from hardenify.diagnostics import Severity
from hardenify.outcome import FileOutcome
from hardenify.reporters import render
from hardenify.reporters.github import escape_data, escape_property
from tests.reporters.samples import diag, sample_outcomes

EXPECTED = """\
::error file=app/Dockerfile,line=2,col=1,endLine=2,endColumn=35,title=hardenify (HF301)::HF301 API_TOKEN holds a secret (***REDACTED***)
::error file=app/Dockerfile,line=3,col=1,endLine=3,endColumn=10,title=hardenify (HF101)::HF101 Container runs as root
::warning file=app/Dockerfile,line=4,col=1,endLine=6,endColumn=5,title=hardenify (HF401)::HF401 apk add without --no-cache keeps the package index
::warning file=svc/Dockerfile,line=1,col=1,endLine=1,endColumn=17,title=hardenify (HF203)::HF203 Base image python:3.12 is not pinned by digest
::notice file=svc/Dockerfile,line=2,col=1,endLine=2,endColumn=12,title=hardenify (HF402)::HF402 COPY . copies the whole build context
::error file=svc/Dockerfile,line=3,col=1,endLine=3,endColumn=10,title=hardenify (HF101)::HF101 Container runs as root
::error file=broken/Dockerfile,title=hardenify (error)::internal error (ValueError: bad token ***REDACTED***)
"""


def test_exact_output() -> None:
    assert render(sample_outcomes(), "github") == EXPECTED


def test_colour_flag_is_ignored() -> None:
    assert render(sample_outcomes(), "github", color=True) == EXPECTED


def test_escaping_rules() -> None:
    assert escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert escape_property("C:\\a,b\n%") == "C%3A\\a%2Cb%0A%25"


def test_message_cannot_inject_a_second_command() -> None:
    t = "RUN x\n"
    d = diag(t, "HF999", "test-rule", 0, 5, "bad\n::set-output name=x::1 at 100%", Severity.STYLE)
    o = FileOutcome("dir:1,2/Dockerfile", "dockerfile", "success", [d], original=t)
    out = render([o], "github")
    assert out == (
        "::notice file=dir%3A1%2C2/Dockerfile,line=1,col=1,endLine=1,endColumn=6,"
        "title=hardenify (HF999)::HF999 bad%0A::set-output name=x::1 at 100%25\n"
    )
    assert out.count("\n") == 1


def test_no_findings_no_output() -> None:
    assert render([], "github") == ""
