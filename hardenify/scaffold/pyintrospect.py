"""Read a Python project's code with libcst (a real parser, not regex) for `hardenify new`.

What it finds, per module:

* the web framework in use (Django, Flask, FastAPI, Starlette) from imports and from the
  application objects (`app = FastAPI()`, `application = get_wsgi_application()`);
* the module path of that object (`app.main:app`), which the start command needs;
* a port: `uvicorn.run(..., port=8000)`, `app.run(port=5000)`, or the default of a `PORT`
  env read such as `int(os.environ.get("PORT", "8000"))`;
* every environment variable the code reads (`os.environ[...]`, `os.environ.get`,
  `os.getenv`, `environ.get` after `from os import environ`, pydantic `BaseSettings` fields
  with their `env_prefix`), which become compose `environment:` or `secrets:` entries;
* health-check routes (string literals such as "/health") and `if __name__ == "__main__":`;
* GET routes the app object itself declares (`@app.get("/")`, `@app.route("/health")`,
  `app.add_url_rule("/")`, routes of a Blueprint/APIRouter made without a prefix), so the
  healthcheck probes a path that exists;
* app factories: `def create_app(): app = Flask(...); return app` is the target
  `pkg:create_app()`, not `pkg:app` (which does not exist at import time).

A file that does not parse is skipped (and reported): detection must never fail a run.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FRAMEWORKS = ("django", "fastapi", "starlette", "flask")
_APP_FACTORIES = {
    "FastAPI": "fastapi",
    "Starlette": "starlette",
    "Flask": "flask",
    "get_wsgi_application": "django",
    "get_asgi_application": "django",
}
#: A Python file larger than this is generated code, not where a service declares its app.
MAX_SOURCE_BYTES = 2 * 1024 * 1024
HEALTH_PATHS = ("/health", "/healthz", "/healthcheck", "/livez", "/readyz", "/ping", "/status")
_SETTINGS_BASES = frozenset({"BaseSettings"})
#: Router objects whose decorated routes are served at their literal path when made without a
#: prefix (a prefix given where they are mounted is not seen: a known, rare miss).
_ROUTERS = frozenset({"Blueprint", "APIRouter"})
_GET_DECORATORS = frozenset({"get", "route", "api_route", "head"})


@dataclass
class AppObject:
    framework: str
    module: str  # dotted module path, e.g. "app.main"
    name: str  # the variable, e.g. "app"
    kind: str  # "asgi" or "wsgi"
    factory: bool = False  # `name` is a function that returns the app (`create_app`)

    @property
    def target(self) -> str:
        """`module:app`, or `module:create_app()` for a factory (gunicorn's and flask's syntax)."""
        return f"{self.module}:{self.name}()" if self.factory else f"{self.module}:{self.name}"


@dataclass
class ModuleFacts:
    module: str
    path: Path
    imports: set[str] = field(default_factory=set)
    apps: list[AppObject] = field(default_factory=list)
    env: list[str] = field(default_factory=list)
    env_defaults: dict[str, str] = field(default_factory=dict)
    ports: list[int] = field(default_factory=list)
    health_paths: list[str] = field(default_factory=list)
    routes: list[str] = field(default_factory=list)  # GET routes on an app object (no prefix)
    router_routes: list[tuple[str, str]] = field(default_factory=list)  # (router name, path)
    prefixed: set[str] = field(default_factory=set)  # routers mounted with a prefix here
    has_main_guard: bool = False
    django_wsgi: str | None = None  # WSGI_APPLICATION = "proj.wsgi.application"
    django_asgi: str | None = None
    django_urlconf: str | None = None  # ROOT_URLCONF = "proj.urls"


@dataclass
class PythonFacts:
    """The project-wide summary `detect` turns into defaults."""

    modules: list[ModuleFacts] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def imports(self) -> set[str]:
        return {i for m in self.modules for i in m.imports}

    def framework(self, deps: Iterable[str] = ()) -> str | None:
        """The framework of the first application object, else the first one imported or depended on."""
        for app in self.apps():
            return app.framework
        known = self.imports | {d.lower() for d in deps}
        for fw in FRAMEWORKS:
            if fw in known:
                return fw
        return None

    def apps(self) -> list[AppObject]:
        """Application objects, the likeliest entry point first (shallow `main`/`app`/`asgi` modules)."""
        found = [a for m in self.modules for a in m.apps]
        preferred = ("main", "app", "asgi", "wsgi", "server", "api", "application")

        def rank(a: AppObject) -> tuple[int, int, str]:
            leaf = a.module.rsplit(".", 1)[-1]
            return (
                a.module.count("."),
                preferred.index(leaf) if leaf in preferred else len(preferred),
                a.module,
            )

        return sorted(found, key=lambda a: (a.factory, *rank(a)))

    def routes(self) -> list[str]:
        """GET routes declared on app objects, and on routers never mounted with a prefix
        (matched by name, so a shared name like `router` errs towards leaving routes out)."""
        prefixed = {name for m in self.modules for name in m.prefixed}
        out = [r for m in self.modules for r in m.routes]
        out += [path for m in self.modules for name, path in m.router_routes if name not in prefixed]
        return out

    def env(self) -> list[str]:
        out: list[str] = []
        for m in self.modules:
            for name in m.env:
                if name not in out:
                    out.append(name)
        return out

    def port(self) -> int | None:
        for m in self.modules:
            if m.ports:
                return m.ports[0]
        for m in self.modules:
            raw = m.env_defaults.get("PORT")
            if raw is not None and raw.isdigit() and 0 < int(raw) < 65536:
                return int(raw)
        return None

    def health_path(self) -> str | None:
        for path in HEALTH_PATHS:
            if any(path in m.health_paths for m in self.modules):
                return path
        return None

    def main_modules(self) -> list[str]:
        return [m.module for m in self.modules if m.has_main_guard]

    def django_urls(self) -> Path | None:
        """The file of ROOT_URLCONF, when it is one of the modules read."""
        conf = next((m.django_urlconf for m in self.modules if m.django_urlconf), None)
        return next((m.path for m in self.modules if conf and m.module == conf), None)

    def django_target(self) -> tuple[str, str] | None:
        """("wsgi"|"asgi", "proj.wsgi:application") from settings, or from a wsgi.py/asgi.py module."""
        for m in self.modules:
            if m.django_asgi:
                mod, _, attr = m.django_asgi.rpartition(".")
                return "asgi", f"{mod}:{attr}"
            if m.django_wsgi:
                mod, _, attr = m.django_wsgi.rpartition(".")
                return "wsgi", f"{mod}:{attr}"
        for app in self.apps():
            if app.framework == "django":
                return app.kind, app.target
        return None


def _dotted(node: Any) -> str | None:
    """`os.environ.get` → "os.environ.get" for Name/Attribute chains, else None."""
    import libcst as cst

    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def _string(node: Any) -> str | None:
    import libcst as cst

    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _int(node: Any) -> int | None:
    import libcst as cst

    if isinstance(node, cst.Integer):
        try:
            return int(node.value.replace("_", ""), 0)
        except ValueError:
            return None
    return None


def _make_visitor(facts: ModuleFacts) -> Any:
    import libcst as cst

    class Visitor(cst.CSTVisitor):
        """One pass over a module; records into `facts`."""

        def __init__(self) -> None:
            super().__init__()
            # local names bound to os.environ / os.getenv / os (import aliases)
            self.environ_names: set[str] = {"os.environ"}
            self.getenv_names: set[str] = {"os.getenv"}
            self.os_names: set[str] = {"os"}
            self.settings_depth = 0
            self.settings_prefix: list[str] = []
            self.functions: list[str] = []  # enclosing function names
            self.local_apps: dict[str, tuple[str, str]] = {}  # function → (framework, kind)
            self.route_objects: set[str] = set()  # app objects
            self.routers: set[str] = set()  # Blueprint()/APIRouter() made without a prefix

        # ---- imports
        def visit_Import(self, node: cst.Import) -> None:
            for alias in node.names:
                name = _dotted(alias.name) or ""
                facts.imports.add(name.split(".")[0].lower())
                if name == "os" and alias.asname is not None:
                    asname = _dotted(alias.asname.name)
                    if asname:
                        self.os_names.add(asname)
                        self.environ_names.add(f"{asname}.environ")
                        self.getenv_names.add(f"{asname}.getenv")

        def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
            module = _dotted(node.module) if node.module is not None else None
            if module:
                facts.imports.add(module.split(".")[0].lower())
            if module != "os" or isinstance(node.names, cst.ImportStar):
                return
            for alias in node.names:
                name = _dotted(alias.name)
                local = _dotted(alias.asname.name) if alias.asname is not None else name
                if name == "environ" and local:
                    self.environ_names.add(local)
                elif name == "getenv" and local:
                    self.getenv_names.add(local)

        # ---- env reads
        def _env(self, name_node: Any, default: Any = None) -> None:
            name = _string(name_node)
            if name is None or not name or not name.replace("_", "a").isalnum():
                return
            if name not in facts.env:
                facts.env.append(name)
            if default is not None:
                value = _string(default)
                num = _int(default)
                if value is None and num is not None:
                    value = str(num)
                if value is not None:
                    facts.env_defaults.setdefault(name, value)

        def visit_Subscript(self, node: cst.Subscript) -> None:
            if _dotted(node.value) in self.environ_names and len(node.slice) == 1:
                element = node.slice[0].slice
                if isinstance(element, cst.Index):
                    self._env(element.value)

        def visit_Call(self, node: cst.Call) -> None:
            func = _dotted(node.func)
            if func is None:
                return
            owner, _, leaf_name = func.rpartition(".")
            if leaf_name == "add_url_rule" and owner in (self.route_objects | self.routers):
                self._route(node, None if owner in self.route_objects else owner)
            if leaf_name in ("include_router", "register_blueprint", "mount") and any(
                a.keyword is not None and a.keyword.value in ("prefix", "url_prefix") for a in node.args
            ):
                mounted = [a for a in node.args if a.keyword is None]
                name = _dotted(mounted[0].value) if mounted else None
                if name:
                    facts.prefixed.add(name.rsplit(".", 1)[-1])
            args = [a for a in node.args if a.keyword is None]
            if func in self.getenv_names or (
                func.endswith((".get", ".setdefault")) and func.rsplit(".", 1)[0] in self.environ_names
            ):
                if args:
                    self._env(args[0].value, args[1].value if len(args) > 1 else None)
                return
            leaf = func.rsplit(".", 1)[-1]
            if leaf == "run" or func in ("uvicorn.run", "uvicorn.Config"):
                for a in node.args:
                    if a.keyword is not None and a.keyword.value == "port":
                        port = _int(a.value)
                        if port is not None and 0 < port < 65536:
                            facts.ports.append(port)

        # ---- application objects and settings
        def visit_Assign(self, node: cst.Assign) -> None:
            if not isinstance(node.value, cst.Call):
                self._django_setting(node)
                return
            factory = (_dotted(node.value.func) or "").rsplit(".", 1)[-1]
            names = [t.target.value for t in node.targets if isinstance(t.target, cst.Name)]
            if factory in _ROUTERS and not any(
                a.keyword is not None and a.keyword.value in ("prefix", "url_prefix") for a in node.value.args
            ):
                self.routers.update(names)
            fw = _APP_FACTORIES.get(factory)
            if fw is None:
                if not self.functions and factory in self.local_apps:
                    # `app = create_app()` at module level: a real module attribute
                    fw, kind = self.local_apps[factory]
                    facts.apps.extend(AppObject(fw, facts.module, n, kind) for n in names)
                return
            kind = "wsgi" if factory in ("Flask", "get_wsgi_application") else "asgi"
            self.route_objects.update(names)
            if self.functions:
                # made inside a function: the function is the factory (`pkg:create_app()`)
                func = self.functions[-1]
                if func not in self.local_apps and not func.startswith("_") and len(self.functions) == 1:
                    self.local_apps[func] = (fw, kind)
                    facts.apps.append(AppObject(fw, facts.module, func, kind, factory=True))
                return
            facts.apps.extend(AppObject(fw, facts.module, n, kind) for n in names)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            for deco in node.decorators:
                call = deco.decorator
                if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
                    continue
                owner = _dotted(call.func.value)
                if owner in (self.route_objects | self.routers) and call.func.attr.value in _GET_DECORATORS:
                    self._route(call, None if owner in self.route_objects else owner)
            self.functions.append(node.name.value)

        def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
            self.functions.pop()

        def _route(self, call: cst.Call, router: str | None = None) -> None:
            """Record the path of `@app.get("/x")`/`@app.route("/x")` unless its methods exclude GET."""
            args = [a for a in call.args if a.keyword is None or a.keyword.value in ("path", "rule")]
            path = _string(args[0].value) if args else None
            methods = next((a.value for a in call.args if a.keyword and a.keyword.value == "methods"), None)
            if methods is not None and "GET" not in cst.Module([]).code_for_node(methods).upper():
                return
            if path is None or not path.startswith("/"):
                return
            if router is not None:
                facts.router_routes.append((router, path))
            elif path not in facts.routes:
                facts.routes.append(path)

        def _django_setting(self, node: cst.Assign) -> None:
            for target in node.targets:
                if isinstance(target.target, cst.Name) and target.target.value in (
                    "WSGI_APPLICATION",
                    "ASGI_APPLICATION",
                    "ROOT_URLCONF",
                ):
                    value = _string(node.value)
                    if value:
                        if target.target.value == "WSGI_APPLICATION":
                            facts.django_wsgi = value
                        elif target.target.value == "ROOT_URLCONF":
                            facts.django_urlconf = value
                        else:
                            facts.django_asgi = value

        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            bases = {(_dotted(b.value) or "").rsplit(".", 1)[-1] for b in node.bases}
            if bases & _SETTINGS_BASES:
                self.settings_depth += 1
                self.settings_prefix.append(_settings_prefix(node))

        def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
            bases = {(_dotted(b.value) or "").rsplit(".", 1)[-1] for b in original_node.bases}
            if bases & _SETTINGS_BASES:
                self.settings_depth -= 1
                self.settings_prefix.pop()

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            if self.settings_depth == 0 or not isinstance(node.target, cst.Name):
                return
            field_name = node.target.value
            if field_name == "model_config" or field_name.startswith("_"):
                return
            env_name = _field_env(node.value)
            name = env_name or (self.settings_prefix[-1] + field_name).upper()
            if name not in facts.env:
                facts.env.append(name)

        # ---- literals and __main__
        def visit_SimpleString(self, node: cst.SimpleString) -> None:
            value = _string(node)
            if value in HEALTH_PATHS:
                facts.health_paths.append(value)

        def visit_If(self, node: cst.If) -> None:
            test = node.test
            if isinstance(test, cst.Comparison) and _dotted(test.left) == "__name__":
                for comp in test.comparisons:
                    if _string(comp.comparator) == "__main__":
                        facts.has_main_guard = True

    return Visitor()


def _settings_prefix(node: Any) -> str:
    """env_prefix from `model_config = SettingsConfigDict(env_prefix=...)` or `class Config`."""
    import libcst as cst

    for stmt in node.body.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, (cst.Assign, cst.AnnAssign)) and isinstance(small.value, cst.Call):
                    for arg in small.value.args:
                        if arg.keyword is not None and arg.keyword.value == "env_prefix":
                            return _string(arg.value) or ""
        elif isinstance(stmt, cst.ClassDef) and stmt.name.value == "Config":
            for inner in stmt.body.body:
                if isinstance(inner, cst.SimpleStatementLine):
                    for small in inner.body:
                        if (
                            isinstance(small, cst.Assign)
                            and isinstance(small.targets[0].target, cst.Name)
                            and small.targets[0].target.value == "env_prefix"
                        ):
                            return _string(small.value) or ""
    return ""


def _field_env(value: Any) -> str | None:
    """`Field(..., env="X")` (pydantic v1) or `Field(validation_alias="X")` / `alias="X"`."""
    import libcst as cst

    if not isinstance(value, cst.Call) or (_dotted(value.func) or "").rsplit(".", 1)[-1] != "Field":
        return None
    for arg in value.args:
        if arg.keyword is not None and arg.keyword.value in ("env", "validation_alias", "alias"):
            name = _string(arg.value)
            if name:
                return name
    return None


def module_name(path: Path, roots: Sequence[Path]) -> str:
    """`<root>/app/main.py` → `app.main`; `app/__init__.py` → `app` (first root that contains it)."""
    for root in roots:
        try:
            rel = path.relative_to(root)
        except ValueError:
            continue
        parts = list(rel.with_suffix("").parts)
        if parts and parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts)
    return path.stem


def introspect(files: Iterable[Path], roots: Sequence[Path]) -> PythonFacts:
    """Parse every file with libcst and collect what each module tells about the service."""
    import libcst as cst

    from hardenify.safeio import read_bytes

    out = PythonFacts()
    for path in files:
        try:
            source = read_bytes(path, MAX_SOURCE_BYTES)  # regular files only, bounded
            tree = cst.parse_module(source)
        except (OSError, cst.ParserSyntaxError, UnicodeDecodeError) as exc:
            out.errors.append(f"{path}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
            continue
        facts = ModuleFacts(module_name(path, roots), path)
        with warnings.catch_warnings():
            # evaluating a project's string literals warns on its invalid escapes ("\_"): not ours
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", SyntaxWarning)
            tree.visit(_make_visitor(facts))
        out.modules.append(facts)
    return out
