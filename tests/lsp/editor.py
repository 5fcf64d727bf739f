"""Test helpers (imported only where pytest-lsp is installed): a real `hardenify server` over stdio, driven by pytest-lsp, and a small editor around it.

Every wait is bounded (TIMEOUT); a publish is awaited on a queue of every publishDiagnostics
the server sent, so back-to-back publishes (a config change re-checks every open document)
are never missed.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

TIMEOUT = 60.0  # generous: the machine's cores are shared; a hang still fails
PUBLISH = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS


def _make_client() -> LanguageClient:
    client = LanguageClient(converter_factory=default_converter)
    register_lsp_features(client, {m: f for m, f in DEFAULT_CLIENT_FEATURES.items() if m != PUBLISH})
    client.published = asyncio.Queue()  # type: ignore[attr-defined]

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(ls: LanguageClient, params: types.RegistrationParams) -> None:
        ls.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    client.registrations = []  # type: ignore[attr-defined]

    @client.feature(PUBLISH)
    def on_publish(ls: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        ls.diagnostics[params.uri] = params.diagnostics
        ls.published.put_nowait(params)  # type: ignore[attr-defined]

    return client


async def bounded(aw: Any) -> Any:
    return await asyncio.wait_for(aw, TIMEOUT)


def utf16_offset(text: str, line: int, character: int) -> int:
    """An LSP position → index into `text`, written independently of hardenify.lsp.positions."""
    starts = [0]
    i = 0
    while i < len(text):
        if text[i] == "\r" and text[i + 1 : i + 2] == "\n":
            i += 2
            starts.append(i)
            continue
        if text[i] in "\r\n":
            starts.append(i + 1)
        i += 1
    pos = starts[line]
    units = 0
    while units < character:
        units += len(text[pos].encode("utf-16-le")) // 2
        pos += 1
    return pos


def apply_edits(text: str, edits: Sequence[types.TextEdit]) -> str:
    spans = [
        (
            utf16_offset(text, e.range.start.line, e.range.start.character),
            utf16_offset(text, e.range.end.line, e.range.end.character),
            e.new_text,
        )
        for e in edits
    ]
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


class Editor:
    """Open, change and save documents of a workspace on disk, as an editor would."""

    def __init__(self, client: LanguageClient, root: Path) -> None:
        self.client = client
        self.root = root
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}

    def uri(self, name: str) -> str:
        return (self.root / name).as_uri()

    def drain(self) -> None:
        q: asyncio.Queue[Any] = self.client.published  # type: ignore[attr-defined]
        while not q.empty():
            q.get_nowait()

    async def next_publish(self, uri: str) -> list[types.Diagnostic]:
        q: asyncio.Queue[types.PublishDiagnosticsParams] = self.client.published  # type: ignore[attr-defined]

        async def wait() -> list[types.Diagnostic]:
            while True:
                p = await q.get()
                if p.uri == uri:
                    return list(p.diagnostics)

        result: list[types.Diagnostic] = await bounded(wait())
        return result

    async def open(self, name: str, text: str, language_id: str = "dockerfile") -> list[types.Diagnostic]:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        uri = self.uri(name)
        self.versions[uri] = 1
        self.texts[uri] = text
        self.drain()
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)
            )
        )
        return await self.next_publish(uri)

    async def change(self, uri: str, text: str) -> list[types.Diagnostic]:
        self.versions[uri] += 1
        self.texts[uri] = text
        self.drain()
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                [types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        return await self.next_publish(uri)

    async def actions(
        self, uri: str, rng: types.Range, only: list[str] | None = None
    ) -> list[types.CodeAction]:
        res = await bounded(
            self.client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri),
                    range=rng,
                    context=types.CodeActionContext(
                        diagnostics=list(self.client.diagnostics.get(uri, [])), only=only
                    ),
                )
            )
        )
        return [a for a in res or [] if isinstance(a, types.CodeAction)]

    def applied(self, uri: str, action: types.CodeAction) -> str:
        """The document's text with the action's edit applied (the edit must target it)."""
        assert action.edit is not None and action.edit.document_changes
        (change,) = action.edit.document_changes
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.uri == uri
        assert change.text_document.version == self.versions[uri]
        edits = [e for e in change.edits if isinstance(e, types.TextEdit)]
        return apply_edits(self.texts[uri], edits)

    async def hover(self, uri: str, line: int, character: int) -> types.Hover | None:
        result: types.Hover | None = await bounded(
            self.client.text_document_hover_async(
                types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line, character))
            )
        )
        return result


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "hardenify", "server"], client_factory=_make_client
    )
)
async def editor_client(lsp_client: LanguageClient, tmp_path: Path) -> AsyncIterator[None]:
    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=tmp_path.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="ws")],
    )
    await bounded(lsp_client.initialize_session(params))
    yield
    await bounded(lsp_client.shutdown_session())


@pytest.fixture
def editor(editor_client: LanguageClient, tmp_path: Path) -> Editor:
    return Editor(editor_client, tmp_path)


def codes(diags: Sequence[types.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diags)


def whole(text: str) -> types.Range:
    """A range over the whole text (an editor's "select all")."""
    lines = re.split(r"\r\n|\r|\n", text)
    return types.Range(types.Position(0, 0), types.Position(len(lines), 0))
