"""Routes, ports and comments in non-Python sources, for `hardenify new`'s detection.

Regular expressions over source text are enough to find `app.get("/health")` or
`ListenAndServe(":8080")`, but only after comments are gone: a JSDoc `@port 80` or a
`// listen on 127.0.0.1:8000` must not become the service's port. `strip_comments` blanks
comments (keeping string literals and line numbers); the route and port helpers then read
what is left.

Health paths: a route the app really registers, at a path we can compute without running it
(routes under a router mounted with a computed prefix are skipped). The preferred names come
first (`/health`, `/healthz`, …), then `/`; when neither is found the healthcheck falls back to a
TCP probe (`health_probe: tcp`), which is honest where an HTTP guess would mark a good service
unhealthy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Health route names, best first; a path matches with an optional /api and /vN prefix.
HEALTH_NAMES = (
    "health",
    "healthz",
    "healthcheck",
    "health_check",
    "health-check",
    "livez",
    "readyz",
    "ping",
    "status",
    "up",
)
_HEALTH_RE = re.compile(r"^/(?:api/)?(?:v\d+/)?([a-z_-]+)/?$")
#: A port literal: 2-5 digits not followed by another digit or a dot (127.0.0.1 is an address).
PORT_DIGITS = r"(\d{2,5})(?![\d.])"
#: Privileged ports map to the same port plus this (80 → 8080, 443 → 8443).
UNPRIVILEGED_OFFSET = 8000


_STRINGS = r"\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`"
_SLASH = r"//[^\n]*|/\*.*?(?:\*/|\Z)"
_HASH = r"#[^\n]*"
_COMMENT_RES = {
    (h, s): re.compile("|".join([_STRINGS] + ([_SLASH] if s else []) + ([_HASH] if h else [])), re.S)
    for h in (False, True)
    for s in (False, True)
}


def _blank(m: re.Match[str]) -> str:
    text = m.group(0)
    return text if text[0] in "\"'`" else re.sub(r"[^\n]", " ", text)


def strip_comments(text: str, *, hash_comments: bool = False, slash_comments: bool = True) -> str:
    """`text` with comments replaced by spaces (newlines kept), string literals untouched.

    `//` and `/* */` (C-like languages) and `#` (Ruby, shell, PHP) comments; one regex pass that
    matches strings first, so `"http://x"` and `'#fff'` survive.
    """
    return _COMMENT_RES[(hash_comments, slash_comments)].sub(_blank, text)


def valid_port(value: str | int | None) -> int | None:
    """An int port from a literal, or None when it is not one (0, 70000, "127" of an address)."""
    if value is None:
        return None
    s = str(value)
    if not s.isdigit():
        return None
    port = int(s)
    return port if 0 < port < 65536 else None


def first_port(values: Iterable[str | int | None]) -> int | None:
    for v in values:
        port = valid_port(v)
        if port is not None:
            return port
    return None


def unprivileged(port: int) -> int:
    """The port the container listens on instead of a privileged one: 80 → 8080, 443 → 8443."""
    return port + UNPRIVILEGED_OFFSET if port < 1024 else port


def join_path(prefix: str, path: str) -> str:
    """`/api/ping` + `/` → `/api/ping/`; `/api` + `users` → `/api/users`."""
    if not prefix or prefix == "/":
        return path if path.startswith("/") else "/" + path
    return prefix.rstrip("/") + ("/" + path.lstrip("/") if path not in ("", "/") else "/")


def pick_health(paths: Iterable[str]) -> str | None:
    """The best health route among the app's GET routes: a health-named one, else `/`."""
    found = [p for p in paths if isinstance(p, str) and p.startswith("/")]
    ranked: list[tuple[int, int, str]] = []
    for p in found:
        m = _HEALTH_RE.match(p)
        if m and m.group(1) in HEALTH_NAMES:
            ranked.append((HEALTH_NAMES.index(m.group(1)), len(p), p))
    if ranked:
        return min(ranked)[2]
    return "/" if "/" in found else None


def health_facts(path: str | None, *, fallback_note: str = "") -> tuple[dict[str, str], list[str]]:
    """Facts for a found health path, or the TCP fallback and a note saying how to change it."""
    if path is not None:
        return {"health_path": path, "health_probe": "http"}, []
    note = (
        "no health route found in the code: the healthcheck only checks that the port accepts "
        "connections (health_probe=tcp); pass --health-path /your-route for an HTTP probe"
    )
    return {"health_path": "/", "health_probe": "tcp"}, [
        note + (f" ({fallback_note})" if fallback_note else "")
    ]


# ------------------------------------------------------------------------------ per-language routes

# Express/Koa/Fastify/Hono: `app.get("/x"` on the app object (routers are mounted with prefixes).
_JS_APP = re.compile(
    r"\b(?:const|let|var)\s+(\w+)\s*=\s*(?:express|Koa|fastify|Fastify|new\s+Hono|polka)\s*\("
)
_JS_ROUTE = re.compile(r"\b(\w+)\.(?:get|all|head)\(\s*['\"`](/[^'\"`\s]*)['\"`]")
# NestJS: @Controller('x') + @Get('y'); a Controller with no path is the root.
_NEST_CONTROLLER = re.compile(r"@Controller\(\s*(?:['\"`]([^'\"`]*)['\"`])?\s*\)")
_NEST_GET = re.compile(r"@Get\(\s*(?:['\"`]([^'\"`]*)['\"`])?\s*\)")


def js_routes(text: str) -> list[str]:
    """GET routes an Express-like app object or a NestJS controller registers in one file."""
    text = strip_comments(text)
    apps = set(_JS_APP.findall(text)) | {"app", "server", "fastify"}
    out = [m.group(2) for m in _JS_ROUTE.finditer(text) if m.group(1) in apps]
    controllers = _NEST_CONTROLLER.findall(text)
    if len(controllers) == 1:
        prefix = "/" + controllers[0].strip("/")
        out += [join_path(prefix, g or "") for g in _NEST_GET.findall(text)]
    return out


_GO_GROUP = re.compile(r"(\w+)\s*:?=\s*(\w+)\.Group\(\s*\"([^\"]*)\"")
_GO_ROUTE = re.compile(r"\b(\w+)\.(?:GET|Get|HandleFunc|Handle|HEAD|Any)\(\s*\"(?:GET\s+)?(/[^\"\s]*)\"")
_GO_PARAMS = re.compile(r"(\w+)\s+\*(?:gin\.RouterGroup|echo\.Group|fiber\.Group|mux\.Router)\b")


def go_routes(text: str) -> list[str]:
    """Routes on the root router or on groups with literal prefixes (function params are skipped:
    their prefix is set by the caller)."""
    text = strip_comments(text)
    prefixes: dict[str, str] = {}
    for var, parent, prefix in _GO_GROUP.findall(text):
        if parent in prefixes:
            prefixes[var] = join_path(prefixes[parent], prefix)
        elif parent not in _GO_PARAMS.findall(text):
            prefixes[var] = prefix
    params = set(_GO_PARAMS.findall(text))
    out: list[str] = []
    for var, path in _GO_ROUTE.findall(text):
        if var in params:
            continue
        out.append(join_path(prefixes[var], path) if var in prefixes else path)
    return out


_RUST_ROUTE = re.compile(
    r"(?:\.route\(\s*\"(/[^\"]*)\"\s*,\s*(?:web::)?get\b|#\[get\(\s*\"(/[^\"]*)\"|\.route\(\s*\"(/[^\"]*)\"\s*,\s*(?:axum::routing::)?get\()"
)
_RUST_SCOPE = re.compile(r"(?:web::scope|\.nest)\(\s*\"")


def rust_routes(text: str) -> list[str]:
    """actix-web and axum GET routes, leaving out those chained inside a `web::scope("/x")` or
    `.nest("/x", …)` (their path has the scope's prefix)."""
    text = strip_comments(text)
    scoped = _scoped_spans(text)
    out: list[str] = []
    for m in _RUST_ROUTE.finditer(text):
        if not any(a <= m.start() < b for a, b in scoped):
            out.append(m.group(1) or m.group(2) or m.group(3))
    return out


def _scoped_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each scope: from the scope call to the `)` closing the call it sits in."""
    spans: list[tuple[int, int]] = []
    for m in _RUST_SCOPE.finditer(text):
        depth, i = 0, m.start()
        while i < len(text):
            c = text[i]
            depth += c == "("
            depth -= c == ")"
            if depth < 0 or (c == ";" and depth <= 0):
                break
            i += 1
        spans.append((m.start(), i))
    return spans


_JAVA_CLASS_MAPPING = re.compile(
    r"@RequestMapping\(\s*(?:value\s*=\s*|path\s*=\s*)?\"([^\"]*)\"\s*\)\s*(?:public\s+)?class"
)
_JAVA_GET = re.compile(
    r"@(?:GetMapping|RequestMapping)\(\s*(?:value\s*=\s*|path\s*=\s*)?(?:\{\s*)?\"([^\"]*)\""
)


def java_routes(text: str) -> list[str]:
    """Spring `@GetMapping("/x")` (with the class's `@RequestMapping` prefix when literal)."""
    text = strip_comments(text)
    cls = _JAVA_CLASS_MAPPING.search(text)
    prefix = cls.group(1) if cls else ""
    body = text[cls.end() :] if cls else text
    return [join_path(prefix, p) for p in _JAVA_GET.findall(body)]


_CS_MAP = re.compile(r"\.Map(?:Get|HealthChecks|Methods)\(\s*\"(/[^\"]*)\"")


def dotnet_routes(text: str) -> list[str]:
    """Minimal-API `app.MapGet("/x")` and `MapHealthChecks("/health")`."""
    return _CS_MAP.findall(strip_comments(text))


_PHP_ROUTE = re.compile(r"(?:\$app->get|Route::get|\$router->get)\(\s*['\"]([^'\"]*)['\"]")


def php_routes(text: str) -> list[str]:
    """Slim `$app->get('/')`, Laravel `Route::get('/')` (Laravel's routes/api.php has an /api prefix,
    which callers add)."""
    return ["/" + p.lstrip("/") for p in _PHP_ROUTE.findall(strip_comments(text, hash_comments=True))]


_RB_ROUTE = re.compile(r"^\s*get\s+['\"](/[^'\"]*)['\"]", re.M)
_RAILS_UP = re.compile(r"^\s*get\s+['\"]/?up['\"]", re.M)
_RAILS_ROOT = re.compile(r"^\s*root\b", re.M)


def sinatra_routes(text: str) -> list[str]:
    return _RB_ROUTE.findall(strip_comments(text, hash_comments=True, slash_comments=False))


def rails_routes(routes_rb: str) -> list[str]:
    """`/up` when config/routes.rb maps it (Rails 7.1 generates it), `/` when it has a `root`."""
    text = strip_comments(routes_rb, hash_comments=True, slash_comments=False)
    out = ["/up"] if _RAILS_UP.search(text) else []
    if _RAILS_ROOT.search(text):
        out.append("/")
    return out + _RB_ROUTE.findall(text)
