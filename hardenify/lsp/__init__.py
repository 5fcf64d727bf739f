"""`hardenify server`: a language server over the same engine, config and redaction as `check`.

Split so each part can be read alone: `positions` (offsets ↔ LSP positions), `documents`
(one document's analysis through the runner), `actions` (quick fixes, fix-all, pragmas) and
`server` (the pygls wiring). Only `server` and `actions` import pygls/lsprotocol.
"""
