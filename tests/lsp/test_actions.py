"""Code actions and document analysis without a client: pragmas, fix-all edits, settings."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("lsprotocol", reason="pygls is not installed (pip install -e '.[test]')")

from hardenify.diagnostics import Edit
from hardenify.lsp import actions
from hardenify.lsp.documents import Analysis, ClientSettings, DocumentError, analyse, kind_of


def _analyse(tmp_path: Path, name: str, text: str, **kw: object) -> Analysis:
    path = tmp_path / name
    path.write_text(text, newline="")
    res = analyse(text, path=str(path), language_id=None, root=str(tmp_path), client=ClientSettings(), **kw)  # type: ignore[arg-type]
    assert res is not None
    return res


def _apply(text: str, e: Edit) -> str:
    return text[: e.start] + e.content + text[e.end :]


@pytest.mark.parametrize(
    ("name", "text", "code", "expected_prefix"),
    [
        # before the instruction holding the finding, indented like it
        (
            "Dockerfile",
            "FROM python:3.12\n  ADD a /a\n",
            "HF501",
            "FROM python:3.12\n  # hardenify: ignore[HF501]\n  ADD a /a\n",
        ),
        # after the parser directives, which a comment before them would disable
        (
            "Dockerfile",
            "# syntax=docker/dockerfile:1\nFROM python:latest\n",
            "HF201",
            "# syntax=docker/dockerfile:1\n# hardenify: ignore[HF201]\nFROM python:latest\n",
        ),
        ("Dockerfile", "\ufeffFROM python:latest\r\n", "HF201", "\ufeff# hardenify: ignore[HF201]\r\nFROM"),
        (
            "compose.yaml",
            "services:\r\n  web:\r\n    image: nginx:1.27\r\n    privileged: true\r\n",
            "HF601",
            "# hardenify: ignore-file[HF601]\r\nservices:\r\n",
        ),
        (".dockerignore", "node_modules\n", "HF305", "# hardenify: ignore-file[HF305]\nnode_modules\n"),
    ],
)
def test_the_pragma_suppresses_exactly_that_finding(
    tmp_path: Path, name: str, text: str, code: str, expected_prefix: str
) -> None:
    res = _analyse(tmp_path, name, text)
    (d,) = [x for x in res.outcome.diagnostics if x.code == code][:1]
    edit, _ = actions.pragma_edit(res, d)
    new = _apply(text, edit)
    assert new.startswith(expected_prefix)
    after = _analyse(tmp_path, name, new)
    assert code not in {x.code for x in after.outcome.diagnostics}
    others = {x.code for x in res.outcome.diagnostics} - {code}
    assert others <= {x.code for x in after.outcome.diagnostics}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("a\r\nb\r\n", "a\r\nx\r\nb\r\n"),
        ("RUN a\r\n", "RUN a -y\r\n"),
        ("same", "same"),
        ("", "FROM x\n"),
        ("abc\r\n", "abc\r\n\r\n"),
        ("x\r\ny", "x\r\n\r\ny"),
    ],
)
def test_whole_text_edit_turns_old_into_new_without_splitting_crlf(old: str, new: str) -> None:
    e = actions.whole_text_edit(old, new)
    assert _apply(old, e) == new
    for i in (e.start, e.end):
        assert not (0 < i < len(old) and old[i - 1] == "\r" and old[i] == "\n")


def test_fix_all_is_only_the_safe_fixes(tmp_path: Path) -> None:
    from hardenify.lsp.documents import fixed_text

    text = "FROM python:3.12\nRUN apt-get install curl\n"
    res = _analyse(tmp_path, "Dockerfile", text)
    new, refused = fixed_text(res)
    assert refused is None and new is not None
    assert "apt-get install -y curl" in new  # HF401, safe
    assert "--no-install-recommends" not in new  # HF402, unsafe


def test_client_settings_accept_both_shapes_and_ignore_junk() -> None:
    s = ClientSettings.parse({"hardenify": {"select": "HF2", "ignore": ["HF201"], "extendSelect": ["HF6"]}})
    assert s == ClientSettings(select=("HF2",), ignore=("HF201",), extend_select=("HF6",))
    assert ClientSettings.parse({"configFile": "/x/.hardenify.toml"}).config_file == "/x/.hardenify.toml"
    assert (
        ClientSettings.parse(None)
        == ClientSettings.parse(["x"])
        == ClientSettings.parse({"select": 3})
        == ClientSettings()
    )


def test_bad_editor_selectors_and_bad_config_become_one_line_errors(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    with pytest.raises(DocumentError, match="HFX"):
        analyse(
            "FROM x\n", path=str(path), language_id=None, root=None, client=ClientSettings(select=("HFX",))
        )
    (tmp_path / ".hardenify.toml").write_text("select = 3\n")
    with pytest.raises(DocumentError, match=r"\.hardenify\.toml"):
        analyse("FROM x\n", path=str(path), language_id=None, root=None, client=ClientSettings())


def test_kind_by_name_then_language_and_excluded_files_are_not_checked(tmp_path: Path) -> None:
    assert kind_of("/r/prod.Dockerfile", None) == "dockerfile"
    assert kind_of("/r/docker-compose.override.yml", "yaml") == "compose"
    assert kind_of("/r/values.yaml", "yaml") is None
    assert kind_of(None, "dockerfile") == "dockerfile"
    assert kind_of("/r/x.txt", "plaintext") is None
    (tmp_path / ".hardenify.toml").write_text('extend-exclude = ["vendor"]\n')
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "Dockerfile").write_text("FROM python:latest\n")
    assert (
        analyse(
            "FROM python:latest\n",
            path=str(tmp_path / "vendor" / "Dockerfile"),
            language_id="dockerfile",
            root=str(tmp_path),
            client=ClientSettings(),
        )
        is None
    )


def test_a_file_the_engine_cannot_use_is_one_problem_not_a_crash(tmp_path: Path) -> None:
    res = _analyse(tmp_path, "Dockerfile", "FROM x\n<<<<<<< HEAD\nRUN a\n=======\nRUN b\n>>>>>>> main\n")
    assert res.outcome.error is not None and "merge conflict" in res.outcome.error
    assert actions.problem(res.outcome.error).message.startswith(
        "hardenify: line 2: unresolved merge conflict"
    )


def test_a_secret_is_redacted_in_the_lsp_diagnostic(tmp_path: Path) -> None:
    secret = "sk_live_0123456789abcdef"
    res = _analyse(tmp_path, "Dockerfile", f"FROM python:3.12\nENV API_TOKEN={secret}\nRUN echo {secret}\n")
    assert secret in res.outcome.redactor.secrets
    shown = [actions.to_lsp(d, res.index, res.outcome.redactor).message for d in res.outcome.diagnostics]
    assert shown and not any(secret in m for m in shown)


def test_per_file_ignores_match_the_path_below_the_workspace_root(tmp_path: Path) -> None:
    (tmp_path / ".hardenify.toml").write_text('per-file-ignores = { "services/*/Dockerfile" = ["HF201"] }\n')
    (tmp_path / "services" / "api").mkdir(parents=True)
    text = "FROM python:latest\n"
    res = _analyse(tmp_path, "services/api/Dockerfile", text)
    assert "HF201" not in {d.code for d in res.outcome.diagnostics}
    assert "HF201" in {d.code for d in _analyse(tmp_path, "Dockerfile", text).outcome.diagnostics}
