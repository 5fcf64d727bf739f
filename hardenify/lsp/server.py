"""The pygls wiring of `hardenify server`: document events in, diagnostics and actions out.

Work is bounded: a change is checked once the typing pauses (DEBOUNCE seconds, one pending
run per document, always on the newest text), open and save check at once, and a document
is checked on the event loop one at a time, so an editor typing fast never queues up runs.
Config is re-read on every run (see `documents`), so a changed config file or editor setting
only needs the open documents checked again.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from hardenify import __version__
from hardenify.lsp import actions
from hardenify.lsp.documents import Analysis, ClientSettings, DocumentError, analyse, fixed_text
from hardenify.lsp.positions import UTF16

log = logging.getLogger("hardenify.lsp")

DEBOUNCE = 0.3  # seconds of quiet after the last change before a document is checked
CONFIG_TIMEOUT = 5.0  # seconds to wait for the editor's answer to workspace/configuration
# Files whose change can change another document's findings: config, and the companions a
# rule reads (a Dockerfile's .dockerignore, the Dockerfile a compose service builds).
WATCHED = "**/{pyproject.toml,.hardenify.toml,hardenify.toml,.dockerignore,*.dockerignore,Dockerfile,*.Dockerfile,Dockerfile.*,Containerfile}"


class HardenifyServer(LanguageServer):
    """The server plus what it remembers per open document."""

    def __init__(self) -> None:
        # Full sync: pygls applies incremental changes with `str.splitlines`, which breaks
        # lines where LSP does not (U+2028, form feed); a whole Dockerfile is small.
        super().__init__("hardenify", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.client_settings = ClientSettings()
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.analyses: dict[str, Analysis] = {}
        self.fix_all: dict[str, tuple[str, str | None]] = {}  # uri → (text, fixed text)
        self.debounce = DEBOUNCE

    # ------------------------------------------------------------------ helpers

    def root_for(self, path: str | None) -> str | None:
        """The workspace folder holding `path` (the deepest), else the workspace root."""
        roots = [to_fs_path(f.uri) for f in self.workspace.folders.values()]
        best = None
        for r in roots:
            if r and path and (path == r or path.startswith(r.rstrip(os.sep) + os.sep)):
                if best is None or len(r) > len(best):
                    best = r
        return best or self.workspace.root_path

    def encoding(self) -> str:
        """The negotiated position encoding as its LSP name ("utf-16" unless the client chose)."""
        enc = self.workspace.position_encoding
        return str(getattr(enc, "value", enc) or UTF16)

    def analysis(self, uri: str) -> Analysis | None:
        """The analysis of the document's current text: the last one when the text is the
        same (a code action or hover right after a publish), else a new one."""
        doc = self.workspace.get_text_document(uri)
        last = self.analyses.get(uri)
        if last is not None and last.text == doc.source:
            return last
        try:
            return self._analyse(uri)
        except DocumentError:
            return None

    def _analyse(self, uri: str, mode: str = "check") -> Analysis | None:
        doc = self.workspace.get_text_document(uri)
        path = to_fs_path(uri) if uri.startswith("file:") else None
        res = analyse(
            doc.source,
            path=path,
            language_id=doc.language_id,
            root=self.root_for(path),
            client=self.client_settings,
            encoding=self.encoding(),
            mode=mode,
        )
        if res is None:
            self.analyses.pop(uri, None)
        else:
            self.analyses[uri] = res
        return res

    def check(self, uri: str) -> None:
        """Check one open document now and publish its diagnostics (never raises)."""
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        if uri not in self.workspace.text_documents:
            return
        doc = self.workspace.get_text_document(uri)
        diags: list[types.Diagnostic]
        try:
            res = self._analyse(uri)
        except DocumentError as e:
            diags = [actions.problem(str(e))]
        except Exception as e:  # a bug must not take the editor's server down
            log.exception("checking %s failed", uri)
            diags = [actions.problem(f"internal error ({type(e).__name__}); please report it")]
        else:
            if res is None:
                diags = []
            elif res.outcome.error:
                diags = [actions.problem(res.outcome.redactor(res.outcome.error))]
            else:
                diags = [actions.to_lsp(d, res.index, res.outcome.redactor) for d in res.outcome.diagnostics]
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diags, version=doc.version)
        )

    def schedule(self, uri: str) -> None:
        """Check `uri` once the edits pause; a newer change pushes the run back."""
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        loop = asyncio.get_running_loop()
        self.pending[uri] = loop.call_later(self.debounce, self.check, uri)

    def check_all(self, except_uri: str | None = None) -> None:
        self.fix_all.clear()
        for uri in list(self.workspace.text_documents):
            if uri != except_uri:
                self.check(uri)

    def safe_fixed(self, uri: str, res: Analysis) -> str | None:
        """The text after every safe fix (what `hardenify fix` would write), memoised per text."""
        hit = self.fix_all.get(uri)
        if hit is not None and hit[0] == res.text:
            return hit[1]
        fixed, refused = fixed_text(res)
        if refused:
            log.info("fix-all for %s declined: %s", uri, refused)
        self.fix_all[uri] = (res.text, fixed)
        return fixed


server = HardenifyServer()


@server.feature(types.INITIALIZE)
def initialize(ls: HardenifyServer, params: types.InitializeParams) -> None:
    ls.client_settings = ClientSettings.parse(params.initialization_options)


@server.feature(types.INITIALIZED)
def initialized(ls: HardenifyServer, params: types.InitializedParams) -> None:
    caps = ls.client_capabilities.workspace
    watched = caps.did_change_watched_files if caps else None
    if watched is not None and watched.dynamic_registration:
        ls.client_register_capability(
            types.RegistrationParams(
                registrations=[
                    types.Registration(
                        id="hardenify-watched-files",
                        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=types.DidChangeWatchedFilesRegistrationOptions(
                            watchers=[types.FileSystemWatcher(glob_pattern=WATCHED)]
                        ),
                    )
                ]
            )
        )


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: HardenifyServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.check(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: HardenifyServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: HardenifyServer, params: types.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.check(uri)
    # A saved .dockerignore or Dockerfile is another open document's companion file.
    res = ls.analyses.get(uri)
    if res is not None and res.kind in ("dockerignore", "dockerfile"):
        ls.check_all(except_uri=uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: HardenifyServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    handle = ls.pending.pop(uri, None)
    if handle is not None:
        handle.cancel()
    ls.analyses.pop(uri, None)
    ls.fix_all.pop(uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(ls: HardenifyServer, params: types.DidChangeConfigurationParams) -> None:
    settings: Any = params.settings
    if not settings:
        caps = ls.client_capabilities.workspace
        if caps is not None and caps.configuration:
            # A client that only says "something changed" (the pull model): ask for ours.
            try:
                answer = await asyncio.wait_for(
                    ls.workspace_configuration_async(
                        types.ConfigurationParams(items=[types.ConfigurationItem(section="hardenify")])
                    ),
                    CONFIG_TIMEOUT,
                )
                settings = answer[0] if answer else None
            except Exception as e:  # a client that does not answer keeps the old settings
                log.warning("workspace/configuration failed: %s", e)
                settings = None
    if settings is not None:
        ls.client_settings = ClientSettings.parse(settings)
    ls.check_all()


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: HardenifyServer, params: types.DidChangeWatchedFilesParams) -> None:
    ls.check_all()


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, actions.FIX_ALL_KIND]),
)
def code_action(ls: HardenifyServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    res = ls.analysis(uri)
    if res is None or res.outcome.error:
        return []
    only = [str(k) for k in params.context.only] if params.context.only else None
    fix_all = None
    if actions.has_safe_fix(res) and actions.wants(only, actions.FIX_ALL_KIND):
        fix_all = ls.safe_fixed(uri, res)
    version = ls.workspace.get_text_document(uri).version
    return actions.code_actions(res, uri, version, params.range, only, fix_all)


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: HardenifyServer, params: types.HoverParams) -> types.Hover | None:
    from hardenify.rules import rules_by_code

    res = ls.analysis(params.text_document.uri)
    if res is None:
        return None
    pos = params.position
    here = actions.overlapping(res, types.Range(pos, pos))
    if not here:
        return None
    rules = rules_by_code()
    docs = list(dict.fromkeys(rules[d.code].docs() for d in here if d.code in rules))
    if not docs:
        return None
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n---\n\n".join(docs)),
        range=actions.lsp_range(res.index, here[0].start, here[0].end),
    )


def serve(tcp: tuple[str, int] | None = None) -> None:
    """Run until the client says exit (stdio) or forever (TCP, one client at a time)."""
    if tcp is None:
        server.start_io()
    else:
        server.start_tcp(*tcp)
