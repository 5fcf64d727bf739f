import pytest

from hardenify.dockerignore import DockerIgnore
from hardenify.knowledge.dockerignore import (
    HEADER,
    SECURITY_ENTRIES,
    STACKS,
    default_dockerignore,
    missing_entries,
)
from hardenify.rules import get_rule
from tests.fixers.util import findings, fixed

CODE = "HF305"
ALL = [e.pattern for e in SECURITY_ENTRIES]


def di_findings(text: str) -> list[str]:
    return [d.message for d in findings(text, CODE, kind="dockerignore")]


def fix(text: str) -> str:
    return fixed(text, CODE, unsafe=True, kind="dockerignore")


def test_missing_entries_of_nothing_is_everything() -> None:
    assert missing_entries(None) == ALL
    assert missing_entries(DockerIgnore.parse("")) == ALL


def test_reports_only_what_is_missing() -> None:
    (msg,) = di_findings("node_modules\n.git/\n/.env*\n**/*.pem\n")
    assert msg.startswith(".dockerignore does not exclude `.aws`, `.ssh`, `.npmrc`")
    assert "`.git`" not in msg and "`.env`" not in msg and "pem" not in msg


@pytest.mark.parametrize(
    "text",
    [
        "*\n!src\n!package.json\n",
        "\n".join(ALL) + "\n",
        "**\n!app/\n",
    ],
)
def test_complete_files_are_quiet(text: str) -> None:
    assert di_findings(text) == []


@pytest.mark.parametrize("stack", [*STACKS, "unknown", "TypeScript"])
def test_default_dockerignore_is_complete(stack: str) -> None:
    text = default_dockerignore(stack)
    assert text.endswith("\n") and "\r" not in text
    di = DockerIgnore.parse(text)
    assert not di.errors
    assert missing_entries(di) == []
    assert not di.excludes(".env.example")
    for kept in ("dist/app.js", "target/release/app", "build/libs/app.jar", "src/main.py"):
        assert not di.excludes(kept), (stack, kept)


def test_stack_specific_entries() -> None:
    assert "**/node_modules" in default_dockerignore("node")
    assert "**/__pycache__" in default_dockerignore("python")
    assert "**/obj" in default_dockerignore("dotnet")
    assert "node_modules" not in default_dockerignore("python")


def test_fix_appends_under_a_header() -> None:
    text = "node_modules\n.git\n"
    out = fix(text)
    assert out == text + "\n".join([HEADER, *[p for p in ALL if p != ".git"]]) + "\n"
    assert missing_entries(DockerIgnore.parse(out)) == []


def test_fix_keeps_crlf_and_missing_final_newline() -> None:
    text = "node_modules\r\n*.log"
    out = fix(text)
    assert out.startswith(text + "\r\n" + HEADER + "\r\n.git\r\n")
    assert not out.endswith("\n") and "\n" not in out.replace("\r\n", "")


def test_fix_of_empty_and_bom_files() -> None:
    assert fix("") == "\n".join([HEADER, *ALL]) + "\n"
    out = fix("\ufeff")
    assert out.startswith("\ufeff" + HEADER)


def test_user_exceptions_are_restated_after_new_entries() -> None:
    text = "node_modules\n!.env.example\n*.md\n!README.md\n"
    out = fix(text)
    assert out.endswith("**/id_ed25519*\n!.env.example\n")
    di = DockerIgnore.parse(out)
    assert not di.excludes(".env.example") and di.excludes(".env.local") and not di.excludes("README.md")


def test_directory_exception_is_restated_when_new_entries_reach_into_it() -> None:
    out = fix("*\n!certs/\n")
    di = DockerIgnore.parse(out)
    assert out.endswith("!certs/\n") and not di.excludes("certs/ca.pem")


def test_deliberately_included_paths_are_respected() -> None:
    text = "\n".join(p for p in ALL if p != ".env.*") + "\n!.env.production\n"
    assert di_findings(text) == []
    assert fix(text) == text


def test_safe_mode_does_not_touch_the_file() -> None:
    assert fixed("node_modules\n", CODE, kind="dockerignore") == "node_modules\n"


@pytest.mark.parametrize("code", ["HF301", "HF302", "HF303", "HF304", "HF305"])
def test_documented_example_fires(code: str) -> None:
    rule = get_rule(code)
    assert rule is not None
    kind = rule.kinds[0]
    assert [d.code for d in findings(rule.example, code, kind=kind)], code


def test_file_level_pragma() -> None:
    assert di_findings("# hardenify: ignore-file[HF305]\nnode_modules\n") == []
