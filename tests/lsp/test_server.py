"""`hardenify server` end to end: pytest-lsp drives the real server over stdio."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytest_lsp", reason="pytest-lsp is not installed (pip install -e '.[test]')")

from lsprotocol import types

from hardenify import engine
from hardenify.settings import Settings
from tests.lsp.editor import Editor, codes, whole

pytestmark = pytest.mark.asyncio

DOCKERFILE = (
    "FROM python:latest\n"
    "RUN apt-get update && apt-get install curl\n"
    "ADD app.py /app/\n"
    'CMD ["python", "/app/app.py"]\n'
)


def _by_code(diags: list[types.Diagnostic], code: str) -> types.Diagnostic:
    found = [d for d in diags if d.code == code]
    assert found, f"no {code} in {codes(diags)}"
    return found[0]


async def test_dockerfile_diagnostics_carry_code_docs_link_severity_and_source(editor: Editor) -> None:
    diags = await editor.open("Dockerfile", DOCKERFILE)
    assert {"HF201", "HF401", "HF501"} <= set(codes(diags))
    d = _by_code(diags, "HF201")
    assert d.source == "hardenify"
    assert d.severity == types.DiagnosticSeverity.Warning
    assert d.range == types.Range(types.Position(0, 5), types.Position(0, 18))  # `python:latest`
    assert d.code_description is not None
    assert d.code_description.href.endswith("/docs/rules/HF201.md")
    assert "latest" in d.message


async def test_quick_fix_edit_applied_makes_the_diagnostic_go(editor: Editor) -> None:
    uri = editor.uri("Dockerfile")
    diags = await editor.open("Dockerfile", DOCKERFILE)
    d = _by_code(diags, "HF501")
    acts = await editor.actions(uri, d.range, only=[types.CodeActionKind.QuickFix])
    fixes = [a for a in acts if a.diagnostics and a.diagnostics[0].code == "HF501" and a.is_preferred]
    assert len(fixes) == 1
    assert fixes[0].kind == types.CodeActionKind.QuickFix
    new = editor.applied(uri, fixes[0])
    assert new == DOCKERFILE.replace("ADD app.py", "COPY app.py")
    after = await editor.change(uri, new)
    assert "HF501" not in codes(after)
    assert "HF201" in codes(after)  # the rest still reported


async def test_unsafe_fixes_are_offered_marked_and_not_preferred(editor: Editor) -> None:
    uri = editor.uri("Dockerfile")
    diags = await editor.open("Dockerfile", DOCKERFILE)
    d = _by_code(diags, "HF402")  # --no-install-recommends: an unsafe fix
    acts = await editor.actions(uri, d.range)
    unsafe = [
        a for a in acts if a.diagnostics and a.diagnostics[0].code == "HF402" and "Suppress" not in a.title
    ]
    assert len(unsafe) == 1
    assert unsafe[0].title.startswith("(unsafe) ")
    assert not unsafe[0].is_preferred
    assert "--no-install-recommends" in editor.applied(uri, unsafe[0])
    safe = [a for a in acts if a.diagnostics and a.diagnostics[0].code == "HF401" and a.is_preferred]
    assert len(safe) == 1 and not safe[0].title.startswith("(unsafe)")


async def test_fix_all_gives_what_hardenify_fix_writes(editor: Editor) -> None:
    uri = editor.uri("Dockerfile")
    await editor.open("Dockerfile", DOCKERFILE)
    acts = await editor.actions(uri, whole(DOCKERFILE), only=["source.fixAll"])
    assert [a.kind for a in acts] == ["source.fixAll.hardenify"]
    new = editor.applied(uri, acts[0])
    expected = engine.fix_text("Dockerfile", DOCKERFILE, "dockerfile", Settings()).text
    assert new == expected != DOCKERFILE
    after = await editor.change(uri, new)
    assert not {"HF401", "HF403", "HF501"} & set(codes(after))
    # Nothing safe left to fix: no fix-all is offered any more.
    assert await editor.actions(uri, whole(new), only=["source.fixAll"]) == []


async def test_suppress_action_inserts_a_pragma_the_engine_honours(editor: Editor) -> None:
    uri = editor.uri("Dockerfile")
    diags = await editor.open("Dockerfile", DOCKERFILE)
    d = _by_code(diags, "HF501")
    acts = await editor.actions(uri, d.range)
    (suppress,) = [a for a in acts if a.title.startswith("Suppress HF501")]
    new = editor.applied(uri, suppress)
    assert "# hardenify: ignore[HF501]\nADD app.py /app/\n" in new
    after = await editor.change(uri, new)
    assert "HF501" not in codes(after)
    assert {"HF201", "HF401"} <= set(codes(after))


async def test_hover_on_a_finding_shows_the_rule_docs(editor: Editor) -> None:
    from hardenify.rules import get_rule

    uri = editor.uri("Dockerfile")
    await editor.open("Dockerfile", DOCKERFILE)
    hover = await editor.hover(uri, 2, 1)  # on `ADD`
    assert hover is not None
    assert isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.kind == types.MarkupKind.Markdown
    rule = get_rule("HF501")
    assert rule is not None
    assert rule.docs() in hover.contents.value
    assert await editor.hover(uri, 3, 20) is None  # the exec-form CMD has no finding


async def test_config_file_change_and_editor_settings_are_picked_up(editor: Editor, tmp_path: Path) -> None:
    uri = editor.uri("Dockerfile")
    diags = await editor.open("Dockerfile", DOCKERFILE)
    assert "HF201" in codes(diags)
    registered = editor.client.registrations  # type: ignore[attr-defined]
    assert [r.method for r in registered] == [types.WORKSPACE_DID_CHANGE_WATCHED_FILES]

    (tmp_path / "pyproject.toml").write_text('[tool.hardenify]\nignore = ["HF201"]\n')
    editor.drain()
    editor.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(uri=(tmp_path / "pyproject.toml").as_uri(), type=types.FileChangeType.Created)]
        )
    )
    after = await editor.next_publish(uri)
    assert "HF201" not in codes(after) and "HF501" in codes(after)

    # The editor's settings act like CLI flags: `select` starts over, over the file's ignore.
    editor.drain()
    editor.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"hardenify": {"select": ["HF201"]}})
    )
    assert codes(await editor.next_publish(uri)) == ["HF201"]

    editor.drain()
    editor.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"hardenify": {}})
    )
    after = await editor.next_publish(uri)
    assert "HF201" not in codes(after) and "HF501" in codes(after)

    # A config edit with no event at all applies on the next run (config is re-read each run).
    (tmp_path / "pyproject.toml").write_text('[tool.hardenify]\nselect = ["HF5"]\n')
    after = await editor.change(uri, DOCKERFILE + "\n")
    assert set(codes(after)) == {"HF501"}


async def test_compose_file_and_dockerignore_get_diagnostics(editor: Editor) -> None:
    compose = "services:\n  web:\n    image: nginx:1.27\n    privileged: true\n"
    diags = await editor.open("compose.yaml", compose, "dockercompose")
    d = _by_code(diags, "HF601")
    assert d.range.start == types.Position(3, 4)
    ignore = await editor.open(".dockerignore", "node_modules\n", "ignore")
    assert "HF305" in codes(ignore)
    # A YAML file that is not a compose file is not ours.
    assert await editor.open("values.yaml", "privileged: true\n", "yaml") == []


async def test_secret_values_never_appear_in_diagnostics_actions_or_hover(editor: Editor) -> None:
    secret = "sk_live_9f8e7d6c5b4a39281"
    password = "hunter2-very-secret-pw"
    dockerfile = f"FROM python:3.12-slim\nENV API_TOKEN={secret}\nRUN curl -H 'token: {secret}' https://x/\n"
    compose = (
        f'services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: "{password}"\n'
    )
    shown: list[str] = []
    for name, text, lang in (
        ("Dockerfile", dockerfile, "dockerfile"),
        ("compose.yaml", compose, "dockercompose"),
    ):
        uri = editor.uri(name)
        diags = await editor.open(name, text, lang)
        assert diags
        shown += [d.message for d in diags]
        for a in await editor.actions(uri, whole(text)):
            shown.append(a.title)
            shown += [d.message for d in a.diagnostics or []]
        for d in diags:
            h = await editor.hover(uri, d.range.start.line, d.range.start.character)
            if h is not None:
                assert isinstance(h.contents, types.MarkupContent)
                shown.append(h.contents.value)
    assert any("API_TOKEN" in s for s in shown) and any("POSTGRES_PASSWORD" in s for s in shown)
    for s in shown:
        assert secret not in s and password not in s, s


async def test_crlf_bom_and_non_ascii_positions(editor: Editor) -> None:
    # U+1F600 is two UTF-16 code units, é one; the BOM is one unit of line 0.
    text = '\ufeffFROM python:latest\r\nRUN echo "héllo 😀" && apt-get install curl\r\nADD a /a\r\n'
    uri = editor.uri("Dockerfile")
    diags = await editor.open("Dockerfile", text)
    assert _by_code(diags, "HF201").range == types.Range(types.Position(0, 6), types.Position(0, 19))
    line1 = text.split("\r\n")[1]
    col = len(line1[: line1.index("apt-get install")].encode("utf-16-le")) // 2
    assert _by_code(diags, "HF401").range.start == types.Position(1, col)
    assert _by_code(diags, "HF501").range.start == types.Position(2, 0)
    # The quick fix's edit lands where the engine's does, and the file stays CRLF with its BOM.
    d = _by_code(diags, "HF401")
    acts = await editor.actions(uri, d.range)
    (fix,) = [a for a in acts if a.is_preferred and a.diagnostics and a.diagnostics[0].code == "HF401"]
    new = editor.applied(uri, fix)
    lint = engine.lint("Dockerfile", text, "dockerfile", Settings())
    (hf401,) = [x for x in lint.diagnostics if x.code == "HF401"]
    assert hf401.fix is not None
    expected, _ = engine.apply_edits(text, [hf401.fix])
    assert new == expected and new.startswith("\ufeffFROM") and new.count("\r\n") == 3
    # The suppress pragma keeps CRLF and goes after the BOM.
    (sup,) = [
        a
        for a in await editor.actions(uri, _by_code(diags, "HF201").range)
        if a.title.startswith("Suppress HF201")
    ]
    assert editor.applied(uri, sup).startswith("\ufeff# hardenify: ignore[HF201]\r\nFROM python:latest\r\n")
    assert "HF401" not in codes(await editor.change(uri, new))


async def test_saving_a_dockerignore_rechecks_the_open_dockerfile(editor: Editor) -> None:
    uri = editor.uri("Dockerfile")
    before = await editor.open("Dockerfile", "FROM python:3.12\nCOPY . /app\n")
    assert "there is no .dockerignore" in _by_code(before, "HF304").message
    ignore_uri = editor.uri(".dockerignore")
    await editor.open(".dockerignore", ".git\n.env\n", "ignore")
    editor.drain()
    editor.client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(ignore_uri))
    )
    after = _by_code(await editor.next_publish(uri), "HF304").message
    assert ".dockerignore does not exclude `.env.*`" in after
