"""Node.js and static-site detection for `hardenify new`: a server, a single-page app, or files.

A package.json does not make a Node server. Create React App, Angular and Vite/Vue apps build
to static files that a web server serves (`stack: static`, `spa: true`, with the build command
and the directory the build writes); a site with an index.html and only build tooling is
served as it is. Only a project that depends on a server framework, or whose entry file
exists, runs under Node.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hardenify.scaffold.detect import (
    Detection,
    _common,
    _env_facts,
    _json,
    _read,
    _services,
    walk,
)
from hardenify.scaffold.detect_routes import (
    PORT_DIGITS,
    first_port,
    health_facts,
    js_routes,
    pick_health,
    strip_comments,
)

_JS_ENV = re.compile(
    r"process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*['\"]([A-Za-z_][A-Za-z0-9_]*)['\"]\s*\])"
)
_JS_PORT = re.compile(
    rf"process\.env\.PORT\s*(?:\|\||\?\?)\s*['\"]?{PORT_DIGITS}"
    rf"|\.listen\(\s*{PORT_DIGITS}"
    rf"|\.listen\([^)\n]*?(?:\|\||\?\?)\s*{PORT_DIGITS}\s*\)"
    rf"|\bPORT\b[^\n]{{0,40}}?\.default\(\s*{PORT_DIGITS}"
)
#: Dependencies that make a package a server (anything else with a build script is a front end).
SERVER_DEPS = frozenset(
    {
        "express",
        "koa",
        "fastify",
        "@nestjs/core",
        "next",
        "nuxt",
        "@hapi/hapi",
        "hapi",
        "restify",
        "polka",
        "hono",
        "@hono/node-server",
        "@remix-run/serve",
        "@remix-run/express",
        "sails",
        "@adonisjs/core",
        "micro",
        "socket.io",
        "@apollo/server",
        "apollo-server",
        "graphql-yoga",
        "@feathersjs/feathers",
        "@strapi/strapi",
        "@loopback/core",
        "json-server",
        "h3",
    }
)


def node_manager(root: Path) -> tuple[str, str | None]:
    if (root / "pnpm-lock.yaml").is_file():
        return "pnpm", "pnpm-lock.yaml"
    if (root / "yarn.lock").is_file():
        return ("yarn-berry" if (root / ".yarnrc.yml").is_file() else "yarn"), "yarn.lock"
    if (root / "package-lock.json").is_file():
        return "npm", "package-lock.json"
    if (root / "npm-shrinkwrap.json").is_file():
        return "npm", "npm-shrinkwrap.json"
    return "npm", None


def _node_version(root: Path, pkg: dict[str, Any]) -> str | None:
    for f in (".nvmrc", ".node-version"):
        m = re.match(r"^v?(\d{2})", _read(root / f, 256).strip())
        if m:
            return m.group(1)
    engines = str((pkg.get("engines") or {}).get("node") or "")
    m = re.match(r"^\s*(\^|~|>=|=)?\s*v?(\d{2})(?:\.|\s|$)", engines)
    if m is None or int(m.group(2)) < 18:
        return None
    # `>=18` is a floor, not a choice: keep the default (an LTS) unless the floor is above it.
    if m.group(1) == ">=" and int(m.group(2)) <= 22:
        return None
    return m.group(2)


def _deps(pkg: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in ("devDependencies", "dependencies"):
        section = pkg.get(key)
        if isinstance(section, dict):
            out.update({str(k): str(v) for k, v in section.items()})
    return out


def _scripts(pkg: dict[str, Any]) -> dict[str, str]:
    scripts = pkg.get("scripts")
    return {str(k): str(v) for k, v in scripts.items()} if isinstance(scripts, dict) else {}


def _major(spec: str) -> int | None:
    m = re.search(r"(\d+)", spec)
    return int(m.group(1)) if m else None


# ------------------------------------------------------------------------------------ classification


def spa_facts(root: Path, pkg: dict[str, Any]) -> dict[str, Any] | None:
    """Facts of a single-page app (CRA, Angular, Vite, Vue CLI), or None when it is not one."""
    deps = _deps(pkg)
    scripts = _scripts(pkg)
    if deps.keys() & SERVER_DEPS or "build" not in scripts:
        return None
    history = True  # client-side routes need index.html for unknown paths
    if "react-scripts" in deps:
        kind, out = "create-react-app", "build"
    elif "@angular/core" in deps and (root / "angular.json").is_file():
        kind, out = "angular", _angular_output(root)
    elif "vite" in deps and (root / "index.html").is_file():
        kind, out = "vite", _vite_output(root)
    elif "@vue/cli-service" in deps:
        kind, out = "vue-cli", "dist"
    else:
        return None
    if "vue-router" in deps:
        sources = " ".join(
            _read(p, 64 * 1024) for p in walk(root / "src", (".js", ".ts")) if "router" in p.as_posix()
        )
        history = "createWebHashHistory" not in sources
    framework = next((f for f in ("react", "vue", "svelte", "preact", "solid-js") if f in deps), kind)
    manager, _ = node_manager(root)
    run = "npm" if manager == "npm" else manager.split("-")[0]
    facts: dict[str, Any] = {
        "spa": True,
        "spa_framework": "angular" if kind == "angular" else framework,
        "spa_tool": kind,
        "build_command": f"{run} run build",
        "site_dir": out,
        "spa_fallback": history,
    }
    rs = _major(deps.get("react-scripts", ""))
    if kind == "create-react-app" and rs is not None and rs < 5:
        # webpack 4 and older hash with MD4, which Node 17+ (OpenSSL 3) refuses
        facts["node_options"] = "--openssl-legacy-provider"
    return facts


def _angular_output(root: Path) -> str:
    """`ng build`'s output dir from angular.json; the application builder adds `browser/`."""
    data = _json(root / "angular.json")
    projects = data.get("projects") if isinstance(data.get("projects"), dict) else {}
    assert isinstance(projects, dict)
    name = (
        data.get("defaultProject") if data.get("defaultProject") in projects else next(iter(projects), None)
    )
    project = projects.get(name) if name else None
    build = ((project or {}).get("architect") or (project or {}).get("targets") or {}).get("build") or {}
    options = build.get("options") or {}
    out = options.get("outputPath")
    builder = str(build.get("builder") or "")
    application = builder.endswith(":application")
    if isinstance(out, dict):
        base = str(out.get("base") or f"dist/{name}")
        browser = out.get("browser", "browser")
        return f"{base.rstrip('/')}/{browser}".rstrip("/") if browser else base.rstrip("/")
    base = str(out or f"dist/{name}").rstrip("/")
    return f"{base}/browser" if application else base


def _vite_output(root: Path) -> str:
    for name in ("vite.config.ts", "vite.config.js", "vite.config.mts", "vite.config.mjs"):
        text = strip_comments(_read(root / name, 64 * 1024))
        m = re.search(r"\boutDir\s*:\s*['\"]([\w./-]+)['\"]", text)
        if m:
            return m.group(1).removeprefix("./").rstrip("/") or "dist"
    return "dist"


def is_server(root: Path, pkg: dict[str, Any]) -> bool:
    """A Node server: it depends on a server framework, or its entry file exists and listens."""
    if _deps(pkg).keys() & SERVER_DEPS:
        return True
    scripts = _scripts(pkg)
    if any(
        re.match(r"^(?:node|ts-node|pm2|pm2-runtime|nodemon)\s", scripts.get(k, ""))
        for k in ("start", "start:prod")
    ):
        return True
    entry = _entry_file(root, pkg, scripts)
    if entry is not None:
        return bool(re.search(r"\.listen\(|createServer\(", _read(root / entry, 256 * 1024)))
    return False


def is_static_node(root: Path) -> bool:
    """package.json but no server: an SPA, a site built by a script, or HTML with build tooling."""
    if not (root / "package.json").is_file():
        return False
    pkg = _json(root / "package.json")
    if is_server(root, pkg):
        return False
    return spa_facts(root, pkg) is not None or "build" in _scripts(pkg) or (root / "index.html").is_file()


def _entry_file(root: Path, pkg: dict[str, Any], scripts: dict[str, str]) -> str | None:
    """The JS file `node` would run: from start scripts, `main`, then the usual names."""
    for key in ("start:prod", "start"):
        m = re.match(r"^node\s+(?:--\S+\s+)*([\w./-]+)", scripts.get(key, ""))
        if m:
            return m.group(1)
    main = str(pkg.get("main") or "")
    if main and (root / main).is_file():
        return main
    return next(
        (
            f
            for f in ("server.js", "index.js", "app.js", "main.js", "src/index.js", "src/server.js")
            if (root / f).is_file()
        ),
        None,
    )


# ---------------------------------------------------------------------------------------- node server


def _js_facts(root: Path) -> tuple[list[str], int | None, list[str]]:
    env: list[str] = []
    ports: list[str] = []
    routes: list[str] = []
    for path in walk(root, (".js", ".mjs", ".cjs", ".ts", ".mts")):
        text = _read(path)
        code = strip_comments(text)
        for m in _JS_ENV.finditer(code):
            name = m.group(1) or m.group(2)
            if name not in env:
                env.append(name)
        ports += [next(g for g in m.groups() if g) for m in _JS_PORT.finditer(code)]
        routes += js_routes(text)
    return env, first_port(ports), routes


def _node_command(root: Path, pkg: dict[str, Any], det: Detection) -> str:
    deps = _deps(pkg)
    scripts = _scripts(pkg)
    if "next" in deps:
        # `next start` works whether or not next.config sets output: "standalone"
        return "node node_modules/next/dist/bin/next start --hostname 0.0.0.0 --port {{ port }}"
    for key in ("start:prod", "start"):
        start = scripts.get(key, "")
        if re.match(r"^node\s", start) and not re.search(r"[;&|<>$]", start):
            return start
    if "@nestjs/core" in deps and "build" in scripts:
        return "node dist/main"
    entry = _entry_file(root, pkg, scripts)
    if entry is not None:
        return f"node {entry}"
    det.warnings.append(
        "no start file found (no `node …` start script, `main`, server.js or index.js): the start "
        "command `node index.js` is a guess; pass --command"
    )
    return "node index.js"


def detect_node(root: Path, det: Detection) -> dict[str, Any] | None:
    if not (root / "package.json").is_file():
        return None
    pkg = _json(root / "package.json")
    manager, lockfile = node_manager(root)
    det.evidence.append(f"package.json{' + ' + lockfile if lockfile else ''} → node ({manager})")
    if lockfile is None:
        det.notes.append(
            "no lockfile: run `npm install` once and commit package-lock.json (the build uses `npm ci`)"
        )
    scripts = _scripts(pkg)
    deps = set(_deps(pkg))
    env, port, routes = _js_facts(root)
    facts = _common(
        root,
        pkg.get("name"),
        {
            "description": pkg.get("description"),
            "app_version": pkg.get("version"),
            "license": pkg.get("license"),
        },
    )
    framework = next(
        (name for dep, name in _FRAMEWORKS if dep in deps),
        None,
    )
    facts.update(
        {
            "package_manager": manager,
            "lockfile": lockfile or "",
            "build_script": "build" in scripts,
            "port": port or 3000,
            "command": re.sub(r"\s+", " ", _node_command(root, pkg, det)).strip(),
        }
    )
    if framework:
        facts["framework"] = framework
    if framework == "nextjs":
        config = (
            _read(root / "next.config.js") + _read(root / "next.config.mjs") + _read(root / "next.config.ts")
        )
        facts["next_standalone"] = bool(re.search(r"output\s*:\s*['\"]standalone['\"]", config))
    if framework == "nextjs":
        routes += _next_routes(root)
    health, notes = health_facts(pick_health(routes))
    det.warnings.extend(notes)
    facts.update(health)
    version = _node_version(root, pkg)
    if version:
        facts["version"] = version
    npmrc = _read(root / ".npmrc", 16 * 1024)
    tokens = re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", npmrc)
    if tokens:
        facts["build_secrets"] = ",".join(dict.fromkeys(tokens))
    facts.update(_env_facts(env))
    facts.update(_services(env, deps))
    return facts


def _next_routes(root: Path) -> list[str]:
    """Next.js file-system routes: `app/page.tsx` or `pages/index.js` is `/`, `app/api/x/route.ts`
    and `pages/api/x.ts` are `/api/x`."""
    out: list[str] = []
    for base in (root, root / "src"):
        for page in ("app/page", "pages/index"):
            if any((base / f"{page}{ext}").is_file() for ext in _JS_EXTS):
                out.append("/")
        for name in ("health", "healthz", "ping", "status"):
            if any(
                (base / f"app/api/{name}/route{ext}").is_file() or (base / f"pages/api/{name}{ext}").is_file()
                for ext in _JS_EXTS
            ):
                out.append(f"/api/{name}")
    return out


_JS_EXTS = (".js", ".jsx", ".ts", ".tsx", ".mjs")
_FRAMEWORKS = (
    ("next", "nextjs"),
    ("@nestjs/core", "nestjs"),
    ("nuxt", "nuxt"),
    ("fastify", "fastify"),
    ("koa", "koa"),
    ("hono", "hono"),
    ("express", "express"),
)


# --------------------------------------------------------------------------------------------- static


def detect_static(root: Path, det: Detection) -> dict[str, Any] | None:
    pkg = _json(root / "package.json") if (root / "package.json").is_file() else {}
    scripts = _scripts(pkg)
    manager, lockfile = node_manager(root)
    facts = _common(root, pkg.get("name"), {"description": pkg.get("description")})
    spa = spa_facts(root, pkg) if pkg else None
    if spa is not None:
        det.evidence.append(
            f"package.json ({spa['spa_tool']}) → static single-page app, `{spa['build_command']}` → {spa['site_dir']}/"
        )
        facts.update(spa)
        facts.update({"node_build": True, "package_manager": manager, "lockfile": lockfile or ""})
        facts.update({"port": 8080, "health_path": "/", "health_probe": "http"})
        if lockfile is None:
            det.notes.append("no lockfile: the build installs without one, so it is not reproducible")
        if "node_options" in spa:
            det.warnings.append(
                f"react-scripts {_deps(pkg).get('react-scripts')} uses webpack 4, which fails on Node 17+ "
                "without NODE_OPTIONS=--openssl-legacy-provider (set for the build); upgrading react-scripts "
                "to 5 removes the need"
            )
        return facts
    site = next(
        (
            d
            for d in ("dist", "build", "public", "_site", "site", "out")
            if (root / d / "index.html").is_file()
        ),
        None,
    )
    if site is None and (root / "index.html").is_file():
        site = "."
    node_build = "build" in scripts and not is_server(root, pkg)
    if site == "." and node_build and lockfile is None:
        # index.html at the top and an optional build without a lockfile: serve the files as they are
        node_build = False
        det.warnings.append(
            "index.html is served as it is; package.json also has a `build` script: to serve its "
            "output instead, pass --data node_build=true --data site_dir=<its output dir>"
        )
    if site is None and not node_build:
        return None
    if node_build:
        site = "dist" if site in (None, ".") else site
    det.evidence.append(
        f"{(site or '.') + '/index.html' if not node_build else 'package.json (build script)'} → static"
    )
    facts.update(
        {
            "site_dir": site or ".",
            "node_build": node_build,
            "package_manager": manager,
            "lockfile": lockfile or "",
            "port": 8080,
            "health_path": "/health" if (root / (site or ".") / "health").is_file() else "/",
            "health_probe": "http",
        }
    )
    if node_build:
        run = "npm" if manager == "npm" else manager.split("-")[0]
        facts["build_command"] = f"{run} run build"
    return facts
