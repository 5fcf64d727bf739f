"""Python detection for `hardenify new`: dependencies, the app object, the server, the port.

The start command is a production server the project already depends on (gunicorn, uvicorn,
uwsgi, waitress, hypercorn; the one its Procfile names first). Only when there is none does it
fall back to the framework's development server, and then a warning says so and how to change it.
Requirements files are read with their `-r`/`-c` includes (bounded depth, never outside the
project). A project whose Python code lives one level down (`app/manage.py`, a uv workspace
member `backend/`) is detected there, with paths relative to the project root.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hardenify.scaffold.detect import (
    SKIP_DIRS,
    Detection,
    _common,
    _env_facts,
    _read,
    _services,
    _toml,
    walk,
)
from hardenify.scaffold.detect_routes import health_facts, pick_health

if TYPE_CHECKING:
    from hardenify.scaffold.pyintrospect import PythonFacts

_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\s*\[([^\]]*)\])?")
_INCLUDE = re.compile(r"^\s*(?:-r|-c|--requirement|--constraint)(?:\s*=\s*|\s+)(\S+)")
MAX_INCLUDE_DEPTH = 5
#: A PEP 508 distribution name: what `uv sync --package` may be given (it reaches a RUN line).
_PACKAGE_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?")
MAX_INCLUDED_FILES = 20
_MARKERS = ("pyproject.toml", "Pipfile", "uv.lock", "poetry.lock", "setup.py", "manage.py")
#: Where a repository keeps its Python service when not at the top (first match wins).
_SUBDIRS = ("app", "backend", "server", "api", "web", "service", "src")
#: Marker files of the stacks detected after Python: their projects are not searched below the top.
_OTHER_STACKS = ("package.json", "Gemfile", "composer.json", "index.html")
#: Production servers, in the order chosen when the project lists several (a Procfile decides first).
WSGI_SERVERS = ("gunicorn", "uwsgi", "waitress")
ASGI_SERVERS = ("uvicorn", "hypercorn", "daphne")
#: Dependency extras that bring a server along (`fastapi[standard]` installs uvicorn).
_EXTRA_SERVERS = {("fastapi", "standard"): "uvicorn", ("uvicorn", "standard"): "uvicorn"}


def requirement_names(lines: list[str]) -> set[str]:
    """Normalised distribution names (and servers their extras bring) from requirement lines."""
    out: set[str] = set()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        m = _REQ_NAME.match(line)
        if m:
            name = m.group(1).lower().replace("_", "-")
            out.add("uwsgi" if name == "pyuwsgi" else name)
            for extra in (m.group(2) or "").split(","):
                server = _EXTRA_SERVERS.get((name, extra.strip().lower()))
                if server:
                    out.add(server)
    return out


def requirement_lines(path: Path, root: Path, det: Detection) -> list[str]:
    """The lines of a requirements file and of the files it includes with -r/-c, depth first.

    Includes resolve against the including file's directory, as pip does. An include outside
    the project, missing, or past the depth/file limits is skipped with a note: the project's
    own files are all we read.
    """
    top = root.resolve()
    seen: set[Path] = set()
    lines: list[str] = []

    def visit(p: Path, depth: int) -> None:
        try:
            real = p.resolve()
        except (OSError, RuntimeError):
            return
        if real in seen:
            return
        if not real.is_relative_to(top):
            det.notes.append(f"{p.name}: include outside the project not read")
            return
        if len(seen) >= MAX_INCLUDED_FILES:
            det.notes.append(f"{p.name}: more than {MAX_INCLUDED_FILES} requirement files, rest not read")
            return
        seen.add(real)
        text = _read(real)
        if not text and not real.is_file():
            det.notes.append(f"{real.relative_to(top).as_posix()}: included requirements file not found")
            return
        for line in text.splitlines():
            m = _INCLUDE.match(line)
            if m is None:
                lines.append(line)
            elif "://" in m.group(1):
                continue  # a URL include: not fetched
            elif depth >= MAX_INCLUDE_DEPTH:
                det.notes.append(
                    f"{p.name}: -r includes nested deeper than {MAX_INCLUDE_DEPTH}, rest not read"
                )
            else:
                visit(real.parent / m.group(1), depth + 1)

    visit(path, 0)
    return lines


def _python_version(root: Path, proj: Path, pyproject: dict[str, Any]) -> str | None:
    for base in dict.fromkeys((proj, root)):
        pv = _read(base / ".python-version", 1024).strip().splitlines()
        if pv:
            m = re.match(r"^(?:python-?)?(3\.\d+)", pv[0].strip())
            if m:
                return m.group(1)
    req = str((pyproject.get("project") or {}).get("requires-python") or "")
    m = re.search(r"(?:==|~=)\s*(3\.\d+)", req)
    if m:
        return m.group(1)
    m = re.search(r">=\s*3\.(\d+)", req)
    if m and int(m.group(1)) > 12:
        return f"3.{m.group(1)}"
    return None


def _has_markers(d: Path) -> bool:
    return any((d / p).is_file() for p in _MARKERS) or any(p.is_file() for p in d.glob("requirements*.txt"))


def project_dir(root: Path) -> str:
    """Where the Python project is, relative to root: ".", a uv workspace's single member, or a
    conventional subdirectory (app/, backend/…) holding manage.py, pyproject.toml or requirements."""
    pyproject = _toml(root / "pyproject.toml") if (root / "pyproject.toml").is_file() else {}
    members = (((pyproject.get("tool") or {}).get("uv") or {}).get("workspace") or {}).get("members") or []
    if not pyproject.get("project") and isinstance(members, list):
        # plain relative names only: the member's path reaches the Dockerfile's COPY lines
        literal = [
            m for m in members if isinstance(m, str) and re.fullmatch(r"[A-Za-z0-9._-][A-Za-z0-9._/-]*", m)
        ]
        for member in literal:
            if (root / member / "pyproject.toml").is_file() and ".." not in Path(member).parts:
                return Path(member).as_posix()
    if _has_markers(root) or any((root / f).is_file() for f in _OTHER_STACKS):
        return "."  # a Node/Ruby/PHP/static project with a Python helper folder stays what it is
    for sub in _SUBDIRS:
        d = root / sub
        if d.is_dir() and not d.is_symlink() and _has_markers(d):
            return sub
    return "."


def _license(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("text"), str) and len(value["text"]) < 64:
        return str(value["text"])
    return None


def _procfile_server(root: Path, proj: Path) -> str | None:
    """The server a Procfile's `web:` line runs (`web: uwsgi ./etc/uwsgi.ini` → uwsgi)."""
    for base in dict.fromkeys((proj, root)):
        m = re.search(r"^web:\s*(?:python\s+-m\s+)?([\w-]+)", _read(base / "Procfile", 16 * 1024), re.M)
        if m:
            return m.group(1).lower()
    return None


def detect_python(root: Path, det: Detection) -> dict[str, Any] | None:
    sub = project_dir(root)
    proj = root / sub
    reqs = sorted(p for p in proj.glob("requirements*.txt") if p.is_file())
    markers = [p for p in _MARKERS if (proj / p).is_file() or (root / p).is_file()]
    if not markers and not reqs:
        return None
    pyproject_path = proj / "pyproject.toml"
    pyproject = _toml(pyproject_path) if pyproject_path.is_file() else {}
    project = pyproject.get("project") or {}
    poetry = ((pyproject.get("tool") or {}).get("poetry")) or {}
    deps: set[str] = set()

    def locked(name: str) -> bool:
        return (proj / name).is_file() or (root / name).is_file()

    if locked("uv.lock"):
        strategy = "uv"
    elif locked("poetry.lock"):
        strategy = "poetry"
    elif (proj / "Pipfile").is_file():
        strategy = "pipenv"
        deps |= {str(k).lower() for k in (_toml(proj / "Pipfile").get("packages", {}) or {})}
    elif reqs:
        strategy = "requirements"
    elif project:
        strategy = "pyproject"
    else:
        strategy = "none"
    req_file = next((p for p in reqs if p.name == "requirements.txt"), reqs[0] if reqs else None)
    if req_file is not None:
        deps |= requirement_names(requirement_lines(req_file, root, det))
    deps |= requirement_names([str(d) for d in project.get("dependencies", []) or []])
    deps |= {str(k).lower() for k in (poetry.get("dependencies") or {})}
    where = "" if sub == "." else f" in {sub}/"
    det.evidence.append(f"{' + '.join(markers + [r.name for r in reqs])}{where} → python ({strategy})")

    src_layout = (proj / "src").is_dir() and any((proj / "src").glob("*/__init__.py"))
    code = proj / "src" if src_layout else proj
    python_path = code.relative_to(root).as_posix()
    roots = [code] if src_layout else [proj]
    from hardenify.scaffold.pyintrospect import introspect

    py = introspect(walk(proj, (".py",)), roots)
    det.notes.extend(f"skipped {e}" for e in py.errors)
    framework = py.framework(deps)
    facts: dict[str, Any] = _common(
        root,
        project.get("name") or poetry.get("name"),
        {
            "description": project.get("description") or poetry.get("description"),
            "app_version": project.get("version") or poetry.get("version"),
            "license": _license(project.get("license") or poetry.get("license")),
        },
    )
    facts.update(
        {
            "python_deps": strategy,
            "python_path": python_path,
            "project_dir": sub,
            "framework": framework,
            "deps": sorted(deps),
        }
    )
    if req_file is not None:
        facts["requirements_file"] = req_file.relative_to(root).as_posix()
    if strategy == "uv" and sub != "." and not (proj / "uv.lock").is_file():
        # a uv workspace member: pyproject.toml and uv.lock are the workspace's, at the top, and
        # `uv sync --package NAME` installs the member's dependencies (all members' without a name)
        name = project.get("name")
        facts["uv_workspace"] = True
        facts["uv_package"] = name if isinstance(name, str) and _PACKAGE_NAME.fullmatch(name) else ""
    version = _python_version(root, proj, pyproject)
    if version:
        facts["version"] = version
    command, server, port = _python_command(root, proj, py, framework, deps, project, roots, det)
    facts["port"] = py.port() or port
    facts["command"] = command
    if server is None or server in ("flask", "django", "python"):
        facts["dev_server"] = command.split(" {{", 1)[0]
    apps = py.apps()
    if apps:
        facts["app_object"] = apps[0].target
    facts.update(_python_health(py, framework, det))
    env = py.env()
    facts.update(_env_facts(env))
    facts.update(_services(env, deps))
    return facts


def _python_health(py: PythonFacts, framework: str | None, det: Detection) -> dict[str, str]:
    """A GET route the app declares (health-named first, then /), else the TCP fallback."""
    routes = py.routes()
    if framework == "django":
        routes = _django_routes(py)
    # a health-named route, else a health-named literal elsewhere in the code, else `/`
    path = pick_health([r for r in routes if r != "/"]) or py.health_path()
    if path is None and "/admin/login/" in routes:
        path = "/admin/login/"  # Django's (and Wagtail's) admin login answers 200 without a session
    path = path or pick_health(routes)
    facts, notes = health_facts(path)
    det.warnings.extend(notes)
    return facts


def _django_routes(py: PythonFacts) -> list[str]:
    """Literal top-level `path("x/", …)` entries of ROOT_URLCONF; `admin/` gives its login page."""
    urls = py.django_urls()
    if urls is None:
        return []
    text = _read(urls)
    out: list[str] = []
    for m in re.finditer(r"\bpath\(\s*[rRbB]?['\"]([^'\"<]*)['\"]\s*,\s*([^,)]*)", text):
        route, view = m.group(1), m.group(2)
        if route == "admin/":
            out.append("/admin/login/")
        elif "include(" not in view:
            out.append("/" + route)
    return out


def _servers(root: Path, proj: Path, deps: set[str], kind: str) -> list[str]:
    """Production servers the project has for a `kind` ("wsgi"/"asgi") app, its Procfile's first."""
    offered = ASGI_SERVERS if kind == "asgi" else WSGI_SERVERS
    have = [s for s in offered if s in deps]
    if kind == "asgi" and "gunicorn" in deps and "uvicorn" in deps:
        have.insert(0, "gunicorn+uvicorn")
    first = _procfile_server(root, proj)
    if first in have:
        have.remove(first)
        have.insert(0, first)
    return have


def _serve(server: str, target: str, factory: bool) -> str:
    port, bind = "{{ port }}", "0.0.0.0:{{ port }}"
    if server == "gunicorn":
        return f"python -m gunicorn --bind {bind} {target}"
    if server == "gunicorn+uvicorn":
        return f"python -m gunicorn --bind {bind} --worker-class uvicorn.workers.UvicornWorker {target}"
    if server == "uvicorn":
        if factory:
            return f"python -m uvicorn --factory {target.removesuffix('()')} --host 0.0.0.0 --port {port}"
        return f"python -m uvicorn {target} --host 0.0.0.0 --port {port}"
    if server == "hypercorn":
        return f"python -m hypercorn --bind {bind} {target}"
    if server == "daphne":
        return f"python -m daphne --bind 0.0.0.0 --port {port} {target}"
    if server == "waitress":
        if factory:
            return f"python -m waitress --listen={bind} --call {target.removesuffix('()')}"
        return f"python -m waitress --listen={bind} {target}"
    # uwsgi is a program, not a module; --need-app makes it exit when the app does not load.
    return f"uwsgi --http-socket {bind} --master --need-app --module {target}"


def _python_command(
    root: Path,
    proj: Path,
    py: PythonFacts,
    framework: str | None,
    deps: set[str],
    project: dict[str, Any],
    roots: list[Path],
    det: Detection,
) -> tuple[str, str | None, int]:
    """(command, server used, default port). The port stays `{{ port }}` in the command, so
    `--port` changes both."""
    port_ref = "{{ port }}"
    bind = f"0.0.0.0:{port_ref}"
    apps = py.apps()
    if framework == "django":
        dj = py.django_target()
        if dj is not None:
            kind, obj = dj
            servers = _servers(root, proj, deps, kind)
            if kind == "asgi" and not servers:
                servers = _servers(root, proj, deps, "wsgi")
                wsgi = next((m.django_wsgi for m in py.modules if m.django_wsgi), None)
                if servers and wsgi:
                    mod, _, attr = wsgi.rpartition(".")
                    obj = f"{mod}:{attr}"
            if servers:
                return _serve(servers[0], obj, False), servers[0], 8000
        det.warnings.append(
            "no production server (gunicorn, uwsgi, uvicorn) in the dependencies: the start command is "
            "Django's development server (`manage.py runserver`); add gunicorn to your requirements and "
            "re-run `hardenify new`, or pass --command"
        )
        manage = (proj / "manage.py").relative_to(root).as_posix()
        return f"python {manage} runserver {bind} --noreload", "django", 8000
    if framework in ("fastapi", "starlette", "flask"):
        app = apps[0] if apps else None
        kind = app.kind if app else ("wsgi" if framework == "flask" else "asgi")
        target = app.target if app else ("app:app" if framework == "flask" else "main:app")
        servers = _servers(root, proj, deps, kind)
        if servers:
            return _serve(servers[0], target, bool(app and app.factory)), servers[0], 8000
        if framework == "flask":
            det.warnings.append(
                "no production WSGI server (gunicorn, uwsgi, waitress) in the dependencies: the start "
                "command is Flask's development server (`flask run`); add gunicorn to your dependencies "
                f"and re-run `hardenify new`, or pass --command 'python -m gunicorn --bind 0.0.0.0:8000 {target}' --port 8000"
            )
            return f"python -m flask --app {target} run --host 0.0.0.0 --port {port_ref}", "flask", 5000
        det.warnings.append(
            "uvicorn is not in the dependencies although the start command needs it: add uvicorn "
            "(or fastapi[standard]) to your dependencies"
        )
        return _serve("uvicorn", target, bool(app and app.factory)), "uvicorn", 8000
    return _script_command(root, proj, py, project, roots), "python", 8000


def _script_command(
    root: Path, proj: Path, py: PythonFacts, project: dict[str, Any], roots: list[Path]
) -> str:
    """No web framework: a package's __main__, a console script's module, or a main-like file."""
    for base in roots:
        for pkg in sorted(base.glob("*/__main__.py")):
            if pkg.parent.name not in SKIP_DIRS:
                return f"python -m {pkg.parent.name}"
    for script in (project.get("scripts") or {}).values():
        module = str(script).split(":", 1)[0]
        if module in py.main_modules():
            return f"python -m {module}"
    for name in ("main.py", "app.py", "server.py", "run.py", "wsgi.py"):
        if (proj / name).is_file():
            return f"python {(proj / name).relative_to(root).as_posix()}"
    mains = py.main_modules()
    if mains:
        return f"python -m {mains[0]}"
    return "python main.py"
