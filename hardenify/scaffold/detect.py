"""Project detection for `hardenify new`: which stack, and the facts its questions default to.

Each stack has a detector that looks for its marker files and, when they are there, reads
what it can: names, versions, the package manager, the start command, the port, the env vars
the code reads. Python code is read with libcst (`pyintrospect`); other languages get
targeted regular expressions over their sources, which is enough for `PORT` defaults and
`getenv("X")` calls. Detection never fails: anything unreadable is skipped and noted in
`Detection.notes`.

Facts are plain JSON-like values, keyed by the names questions.yaml uses in `detected:`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Detection order: a project with several markers is the first stack that matches (a Rails
#: or Django app usually has a package.json for its assets; that does not make it a Node app).
STACK_ORDER = ("dotnet", "java", "go", "rust", "python", "ruby", "php", "node", "static")

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "env",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "target",
        "dist",
        "build",
        "vendor",
        "bin",
        "obj",
        ".idea",
        ".vscode",
        ".gradle",
        ".next",
        "coverage",
        "tmp",
        "log",
        ".bundle",
        "site-packages",
    }
)
_TEST_DIRS = frozenset({"tests", "test", "spec", "testdata", "__tests__", "migrations"})
MAX_FILES = 400  # source files read per project: detection must stay well under a second
MAX_BYTES = 512 * 1024
_NEVER_ENV = frozenset(
    {"PORT", "HOME", "PATH", "USER", "PWD", "SHELL", "TERM", "LANG", "HOSTNAME", "TZ", "TMPDIR", "DEBUG"}
)


@dataclass
class Detection:
    """What `detect` found: the stack (or None), facts for question defaults, and why."""

    root: Path
    stack: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)  # "package.json + package-lock.json → node (npm)"
    notes: list[str] = field(default_factory=list)  # files that could not be read, guesses made
    #: Choices a user must know about (a dev-server fallback, a remapped port, a newer runtime),
    #: each saying how to change it. Printed by `new` and shown in README.Docker.md
    #: (facts["warnings"]); also at the front of `notes`.
    warnings: list[str] = field(default_factory=list)

    def for_stack(self, stack: str) -> dict[str, Any]:
        """Facts to use when the user picked `stack`: this stack's when detected, else common ones."""
        if stack == self.stack:
            return dict(self.facts)
        facts: dict[str, Any] = {
            k: self.facts[k]
            for k in ("name", "description", "app_version", "license", "source_url")
            if k in self.facts
        }
        other = _DETECTORS.get(stack)
        if other is not None:
            fresh = Detection(self.root)
            found = other(self.root, fresh)
            if found is not None:
                facts.update(finish(fresh, found))
        return facts


# --------------------------------------------------------------------------------------- helpers


def _read(path: Path, limit: int = MAX_BYTES) -> str:
    """The first `limit` bytes of a project file; "" when it is missing, unreadable or special
    (a FIFO named package.json would block `open` forever, /dev/zero never ends)."""
    from hardenify.safeio import check_regular

    try:
        check_regular(path)
        with path.open("rb") as f:
            return f.read(limit).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _toml(path: Path) -> dict[str, Any]:
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    try:
        data = tomllib.loads(_read(path))
    except (tomllib.TOMLDecodeError, UnicodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(_read(path))
    except (ValueError, UnicodeError):
        return {}
    return data if isinstance(data, dict) else {}


def walk(root: Path, suffixes: tuple[str, ...], *, skip_tests: bool = True) -> Iterator[Path]:
    """Source files under root with these suffixes, skipping vendored, build and VCS dirs."""
    count = 0
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            entries = sorted(d.iterdir())
        except OSError:
            continue
        for p in entries:
            if p.is_symlink():
                continue
            if p.is_dir():
                if p.name in SKIP_DIRS or p.name.startswith(".") or (skip_tests and p.name in _TEST_DIRS):
                    continue
                stack.append(p)
            elif p.suffix in suffixes and p.is_file() and not (skip_tests and _is_test_file(p.name)):
                count += 1
                if count > MAX_FILES:
                    return
                yield p


def _is_test_file(name: str) -> bool:
    return (
        name.startswith("test_")
        or name.endswith(("_test.py", "_test.go", ".test.js", ".spec.js", ".test.ts"))
        or name == "conftest.py"
    )


def sanitize_name(raw: str) -> str:
    """A valid image/service name from a package name: `@acme/My App` → `my-app`."""
    s = raw.strip().lower().rsplit("/", 1)[-1]
    s = re.sub(r"[^a-z0-9_.-]+", "-", s)
    s = re.sub(r"^[^a-z0-9]+|[^a-z0-9]+$", "", s)[:63]
    s = re.sub(r"[^a-z0-9]+$", "", s)
    return s or "app"


def is_secret_name(name: str) -> bool:
    """hardenify's one secret-name judgement (HF301's): `ACCESS_TOKEN_EXPIRE_MINUTES` is a
    setting, `ACCESS_TOKEN` a secret."""
    from hardenify.secrets import is_secret_name as matcher

    return bool(matcher(name))


def split_env(names: list[str]) -> tuple[list[str], list[str]]:
    """Env var names the code reads → (plain, secret); PORT and process plumbing are dropped."""
    plain: list[str] = []
    secret: list[str] = []
    for n in dict.fromkeys(names):  # once each: compose rejects a repeated environment/secret entry
        if n.upper() in _NEVER_ENV or n.endswith("_FILE"):
            continue
        (secret if is_secret_name(n) else plain).append(n)
    return plain, secret


def _scan(
    root: Path, suffixes: tuple[str, ...], patterns: dict[str, re.Pattern[str]]
) -> dict[str, list[str]]:
    """Every group(1) of every pattern over the sources, in order of first appearance."""
    out: dict[str, list[str]] = {k: [] for k in patterns}
    for path in walk(root, suffixes):
        text = _read(path)
        for key, pattern in patterns.items():
            for m in pattern.finditer(text):
                if m.group(1) not in out[key]:
                    out[key].append(m.group(1))
    return out


def _first_port(values: list[str]) -> int | None:
    from hardenify.scaffold.detect_routes import first_port

    return first_port(values)


def _services(env: list[str], deps: set[str]) -> dict[str, bool]:
    joined = {e.upper() for e in env}
    # DATABASE_URL alone could be sqlite or MySQL: a postgres driver or a PG-specific name decides.
    postgres = bool(
        joined & {"POSTGRES_URL", "POSTGRES_HOST", "PGHOST", "POSTGRES_PASSWORD", "POSTGRES_DB"}
        or deps
        & {"psycopg", "psycopg2", "psycopg2-binary", "asyncpg", "pg", "postgres", "pgx", "lib/pq", "sqlx"}
    )
    redis = bool(joined & {"REDIS_URL", "REDIS_HOST"} or deps & {"redis", "ioredis", "go-redis", "redis-rb"})
    return {"postgres": postgres, "redis": redis}


def _git_source(root: Path) -> str | None:
    """The `origin` remote as an https URL without credentials (for the OCI source label)."""
    text = _read(root / ".git" / "config", 64 * 1024)
    m = re.search(r'\[remote "origin"\][^\[]*?\burl\s*=\s*(\S+)', text)
    if not m:
        return None
    url = m.group(1)
    scp = re.fullmatch(r"(?:[\w.-]+@)?([\w.-]+):([\w./-]+?)(?:\.git)?/?", url)
    if scp and "://" not in url:
        host, path = scp.groups()
    else:
        u = re.fullmatch(r"(?:https?|ssh|git)://(?:[^@/]*@)?([\w.-]+)(?::\d+)?/([\w./-]+?)(?:\.git)?/?", url)
        if not u:
            return None
        host, path = u.groups()
    return f"https://{host}/{path}"


def _common(root: Path, name: str | None, meta: dict[str, Any]) -> dict[str, Any]:
    facts: dict[str, Any] = {"name": sanitize_name(name or root.resolve().name)}
    for key in ("description", "app_version", "license"):
        value = meta.get(key)
        if isinstance(value, str) and value.strip() and "\n" not in value:
            facts[key] = value.strip()[:200]
    source = _git_source(root)
    if source:
        facts["source_url"] = source
    return facts


def _env_facts(env: list[str]) -> dict[str, Any]:
    plain, secret = split_env(env)
    return {"env": ",".join(plain), "secrets": ",".join(secret)}


# --------------------------------------------------------------------------------------- python


def detect_python(root: Path, det: Detection) -> dict[str, Any] | None:
    """Python projects: see `detect_python` (imported here lazily: it imports this module)."""
    from hardenify.scaffold.detect_python import detect_python as detector

    return detector(root, det)


# ----------------------------------------------------------------------------------------- node


def detect_node(root: Path, det: Detection) -> dict[str, Any] | None:
    """Node servers: see `detect_node` (imported lazily: it imports this module)."""
    from hardenify.scaffold.detect_node import detect_node as detector

    return detector(root, det)


def detect_static(root: Path, det: Detection) -> dict[str, Any] | None:
    """Static sites and single-page apps: see `detect_node`."""
    from hardenify.scaffold.detect_node import detect_static as detector

    return detector(root, det)


# ------------------------------------------------------------------------------------------- go


#: Go modules that need cgo (a C compiler at build time, libc at run time).
CGO_MODULES = (
    "github.com/mattn/go-sqlite3",
    "github.com/mattn/go-oci8",
    "github.com/confluentinc/confluent-kafka-go",
    "github.com/tecbot/gorocksdb",
    "github.com/linxGnu/grocksdb",
    "github.com/DataDog/zstd",
    "github.com/miekg/pkcs11",
    "gopkg.in/gographics/imagick",
    "github.com/go-gl/glfw",
    "github.com/google/gopacket/pcap",
    "github.com/shirou/gopsutil/v3/internal/common",
    "github.com/rjeczalik/notify",
    "github.com/godror/godror",
    "github.com/libgit2/git2go",
    "github.com/h2non/bimg",
    "github.com/davidbyttow/govips",
)
_GO_PORT = re.compile(
    r"(?:\bport\s*:?=|Addr:|ListenAndServe(?:TLS)?\(|\.Run\(|\.Listen\(|\.Start\()\s*\"(?:[\w.-]*:)?"
    + r"(\d{2,5})\""
    + r"|\"([A-Z_]*PORT[A-Z_]*)\"\s*,\s*\"?(\d{2,5})\b"
    + r"|\"port\"\s*,\s*\"?(\d{2,5})\b"
)


#: The oldest release whose official image has a `-bookworm` tag (the templates build on Debian 12).
OLDEST_BOOKWORM_TAG = {"go": "1.20"}


def supported_version(product: str, version: str, what: str, det: Detection) -> str | None:
    """The release to build with when the project names `version`, with a warning when that
    release is past its end of life (the end-of-life table):

    * the oldest supported release at or above it, when the table names one (and it has a tag);
    * else the template's default (None) when no image tag exists for `version` (`golang:1.15-bookworm`);
    * else `version` itself: the table knows no supported successor, so picking one would be a guess.
    """
    from hardenify.knowledge import eol

    cycle = next((c for c in eol.cycles(product) if c.cycle == version), None)
    if cycle is None or cycle.eol > _today():
        return version
    oldest = _vkey(OLDEST_BOOKWORM_TAG.get(product, "0"))
    newer = [
        c
        for c in eol.supported(product, _today())
        if _vkey(c.cycle) >= _vkey(version) and _vkey(c.cycle) >= oldest
    ]
    ended = f"{what} {version}, which reached end of life on {cycle.eol.isoformat()}"
    if newer:
        choice: str | None = min(newer, key=lambda c: _vkey(c.cycle)).cycle
        how = f"the image uses {choice}, the nearest supported release (a newer toolchain builds older code)"
    elif _vkey(version) < oldest:
        choice = None
        how = "no Debian 12 image exists for it, so the image uses the template's release"
    else:
        choice = version
        how = "the image keeps it; move the project to a supported release"
    det.warnings.append(f"{ended}: {how}. Pass --runtime-version to choose another")
    return choice


def _warn_eol(product: str, version: str, what: str, det: Detection) -> None:
    """A warning when a version the project fixes (a .NET TargetFramework) is past its end of life."""
    from hardenify.knowledge import eol

    cycle = next((c for c in eol.cycles(product) if c.cycle == version), None)
    if cycle is not None and cycle.eol <= _today():
        det.warnings.append(
            f"{what}, which reached end of life on {cycle.eol.isoformat()}: the image gets no more "
            "security fixes; retarget the project to a supported release"
        )


def _today() -> Any:
    import datetime

    return datetime.date.today()


def _vkey(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v))


def detect_go(root: Path, det: Detection) -> dict[str, Any] | None:
    from hardenify.scaffold.detect_routes import (
        first_port,
        go_routes,
        health_facts,
        pick_health,
        strip_comments,
    )

    if not (root / "go.mod").is_file():
        return None
    gomod = _read(root / "go.mod")
    module = re.search(r"^module\s+(\S+)", gomod, re.M)
    gover = re.search(r"^go\s+(\d+\.\d+)", gomod, re.M)
    main_pkg = "."
    if not any("package main" in _read(p, 8192) for p in root.glob("*.go")):
        cmds = sorted(p.parent for p in root.glob("cmd/*/main.go"))
        if cmds:
            main_pkg = "./" + cmds[0].relative_to(root).as_posix()
    det.evidence.append(f"go.mod → go{' ' + gover.group(1) if gover else ''} (main package {main_pkg})")
    env: list[str] = []
    ports: list[str] = []
    routes: list[str] = []
    cgo_import = False
    port_env = ""
    for path in walk(root, (".go",)):
        code = strip_comments(_read(path))
        env += [
            n
            for n in re.findall(r"os\.(?:Getenv|LookupEnv)\(\s*\"([A-Za-z_][A-Za-z0-9_]*)\"", code)
            if n not in env
        ]
        for m in _GO_PORT.finditer(code):
            ports.append(m.group(1) or m.group(3) or m.group(4))
            if m.group(2) and m.group(2) != "PORT" and len(ports) == 1:
                port_env = m.group(2)  # getEnv("WHOAMI_PORT_NUMBER", "80"): the variable that sets it
        routes += go_routes(code)
        cgo_import = cgo_import or bool(re.search(r'^\s*import\s+"C"|^\s*"C"\s*$', code, re.M))
    name = sanitize_name(
        (module.group(1) if module else root.name) if main_pkg == "." else main_pkg.rsplit("/", 1)[-1]
    )
    facts = _common(root, name, {})
    required = set(re.findall(r"^\s*(?:require\s+)?([\w./-]+)\s+v[\w.+-]+", gomod, re.M))
    cgo_mods = sorted(m for m in required if any(m == c or m.startswith(c + "/") for c in CGO_MODULES))
    # gin's r.Run() with no address listens on :8080, as does the template's default
    facts.update(
        {
            "main_package": main_pkg,
            "binary": name,
            "port": first_port(ports) or 8080,
            "command": "/usr/local/bin/{{ binary }}",
            "go_sum": (root / "go.sum").is_file(),
            "cgo": bool(cgo_mods) or cgo_import,
        }
    )
    if port_env and first_port(ports[:1]) is not None:
        facts["port_env"] = port_env  # the env var whose default is the port
    health, notes = health_facts(pick_health(routes))
    det.warnings.extend(notes)
    facts.update(health)
    if facts["cgo"]:
        why = ", ".join(cgo_mods) if cgo_mods else 'import "C"'
        det.warnings.append(
            f"cgo is needed ({why}): the build uses CGO_ENABLED=1 with a C compiler, and the runtime "
            "image must have the C library (not scratch/static)"
        )
    if gover:
        version = supported_version("go", gover.group(1), "go.mod says go", det)
        if version:
            facts["version"] = version
    facts.update(_env_facts(env))
    facts.update(_services(env, required | {m.rsplit("/", 1)[-1] for m in required}))
    return facts


# ----------------------------------------------------------------------------------------- rust


def detect_rust(root: Path, det: Detection) -> dict[str, Any] | None:
    if not (root / "Cargo.toml").is_file():
        return None
    cargo = _toml(root / "Cargo.toml")
    package = cargo.get("package") or {}
    bins = cargo.get("bin") or []
    binary = (
        str(bins[0].get("name"))
        if bins and isinstance(bins[0], dict) and bins[0].get("name")
        else str(package.get("name") or root.name)
    )
    det.evidence.append(f"Cargo.toml → rust (binary {binary})")
    from hardenify.scaffold.detect_routes import (
        PORT_DIGITS,
        first_port,
        health_facts,
        pick_health,
        rust_routes,
        strip_comments,
    )

    env: list[str] = []
    ports: list[str] = []
    routes: list[str] = []
    port_re = re.compile(rf"(?:unwrap_or(?:_else)?\([^)]*?\"|0\.0\.0\.0:|127\.0\.0\.1:|\[::\]:){PORT_DIGITS}")
    for path in walk(root, (".rs",)):
        code = strip_comments(_read(path))
        env += [
            n for n in re.findall(r"env::var(?:_os)?\(\s*\"([A-Za-z_][A-Za-z0-9_]*)\"", code) if n not in env
        ]
        ports += port_re.findall(code)
        routes += rust_routes(code)
    ports += _config_ports(root)
    facts = _common(
        root,
        package.get("name"),
        {
            "description": package.get("description"),
            "app_version": package.get("version") if isinstance(package.get("version"), str) else None,
            "license": package.get("license") if isinstance(package.get("license"), str) else None,
        },
    )
    facts.update(
        {
            "binary": binary,
            "locked": (root / "Cargo.lock").is_file(),
            "port": first_port(ports) or 8080,
            "command": "/usr/local/bin/{{ binary }}",
        }
    )
    health, notes = health_facts(pick_health(routes))
    det.warnings.extend(notes)
    facts.update(health)
    facts.update(_env_facts(env))
    facts.update(_services(env, {str(k) for k in (cargo.get("dependencies") or {})}))
    return facts


def _config_ports(root: Path) -> list[str]:
    """`port:` under an `application:`/`server:`/`http:` key of a base config file (the
    config-crate layout: configuration/base.yaml)."""
    out: list[str] = []
    for d in ("configuration", "config"):
        for f in ("base.yaml", "base.yml", "default.yaml", "default.yml"):
            text = _read(root / d / f, 64 * 1024)
            m = re.search(
                r"^(?:application|server|http):[ \t]*\n(?:[ \t]+.*\n)*?[ \t]+port:[ \t]*(\d{2,5})\b",
                text,
                re.M,
            )
            if m:
                out.append(m.group(1))
    return out


# ----------------------------------------------------------------------------------------- java


def detect_java(root: Path, det: Detection) -> dict[str, Any] | None:
    pom = root / "pom.xml"
    gradle = next((root / f for f in ("build.gradle.kts", "build.gradle") if (root / f).is_file()), None)
    if not pom.is_file() and gradle is None:
        return None
    build_text = _read(pom) if pom.is_file() else _read(gradle) if gradle else ""
    tool = "maven" if pom.is_file() else "gradle"
    wrapper = (root / ("mvnw" if tool == "maven" else "gradlew")).is_file()
    spring = "spring-boot" in build_text or "org.springframework.boot" in build_text
    actuator = "spring-boot-starter-actuator" in build_text
    m = re.search(
        r"<(?:java\.version|maven\.compiler\.release|maven\.compiler\.target)>(\d+)<", build_text
    ) or re.search(
        r"(?:JavaLanguageVersion\.of\(|sourceCompatibility\s*=\s*['\"]?(?:JavaVersion\.VERSION_)?)(\d+)",
        build_text,
    )
    # the project's own artifactId: the one outside <parent>, <dependencies>, <build>, <profiles>
    own = re.sub(
        r"<(parent|dependencies|dependencyManagement|build|profiles|reporting|pluginRepositories)\b.*?</\1>",
        "",
        re.sub(r"<!--.*?-->", "", build_text, flags=re.S),
        flags=re.S,
    )
    artifact = re.search(r"<artifactId>\s*([^<\s]+)\s*</artifactId>", own) if tool == "maven" else None
    if artifact is None:
        settings = _read(root / "settings.gradle.kts") or _read(root / "settings.gradle")
        artifact = re.search(r"rootProject\.name\s*=\s*['\"]([^'\"]+)['\"]", settings)
    det.evidence.append(
        f"{'pom.xml' if tool == 'maven' else gradle.name if gradle else ''} → java ({tool}{', Spring Boot' if spring else ''})"
    )
    props = _read(root / "src/main/resources/application.properties") + _read(
        root / "src/main/resources/application.yml"
    )
    port_m = re.search(r"server\.port\s*[=:]\s*(\d{2,5})|port:\s*(\d{2,5})", props)
    from hardenify.scaffold.detect_routes import health_facts, java_routes, pick_health

    found = _scan(
        root,
        (".java", ".kt"),
        {"env": re.compile(r"System\.getenv\(\s*\"([A-Za-z_][A-Za-z0-9_]*)\"")},
    )
    routes = [r for p in walk(root, (".java", ".kt")) for r in java_routes(_read(p))]
    facts = _common(root, artifact.group(1) if artifact else None, {})
    facts.update(
        {
            "build_tool": tool,
            "wrapper": wrapper,
            "spring_boot": spring,
            "port": int(port_m.group(1) or port_m.group(2)) if port_m else 8080,
            "command": "java -XX:MaxRAMPercentage=75 -jar /app/app.jar",
        }
    )
    health, notes = health_facts("/actuator/health" if actuator else pick_health(routes))
    det.warnings.extend(notes)
    facts.update(health)
    if m and int(m.group(1)) >= 17:
        facts["version"] = m.group(1)
    facts.update(_env_facts(found["env"]))
    facts.update(_services(found["env"], {"pg"} if "postgresql" in build_text else set()))
    if "redis" in build_text:
        facts["redis"] = True
    return facts


# ----------------------------------------------------------------------------------------- ruby


def detect_ruby(root: Path, det: Detection) -> dict[str, Any] | None:
    if not (root / "Gemfile").is_file():
        return None
    gemfile = _read(root / "Gemfile")
    gems = set(re.findall(r"^\s*gem\s+['\"]([\w-]+)['\"]", gemfile, re.M))
    rails = "rails" in gems or (root / "config" / "application.rb").is_file()
    det.evidence.append(f"Gemfile → ruby{' (Rails)' if rails else ''}")
    found = _scan(
        root,
        (".rb", ".ru"),
        {
            "env": re.compile(r"ENV(?:\.fetch\(\s*|\[\s*)['\"]([A-Za-z_][A-Za-z0-9_]*)['\"]"),
            "port": re.compile(
                r"ENV(?:\.fetch\(\s*['\"]PORT['\"]\s*,|\[\s*['\"]PORT['\"]\s*\]\s*(?:\|\||or))\s*['\"]?(\d{2,5})\b"
            ),
        },
    )
    from hardenify.scaffold.detect_routes import health_facts, pick_health, rails_routes, sinatra_routes

    facts = _common(root, None, {})
    if rails:
        command, port = "bin/rails server --binding 0.0.0.0 --port {{ port }}", 3000
        # Rails writes pids and caches to tmp/, logs to log/, and (Rails 8) SQLite files to storage/
        facts["writable"] = ",".join(
            f"/app/{d}" for d in ("tmp", "log", "storage") if d != "storage" or (root / d).is_dir()
        )
    elif (root / "config.ru").is_file():
        port = _first_port(found["port"]) or 9292
        command = "bundle exec rackup --host 0.0.0.0 --port {{ port }}"
    else:
        main = next((f for f in ("app.rb", "main.rb", "server.rb") if (root / f).is_file()), "app.rb")
        command, port = f"ruby {main}", _first_port(found["port"]) or 8080
    version = re.search(r"^\s*ruby\s+['\"](\d+\.\d+)", gemfile, re.M)
    rv = _read(root / ".ruby-version", 256).strip()
    facts.update(
        {
            "rails": rails,
            "port": port,
            "command": command,
            "gemfile_lock": (root / "Gemfile.lock").is_file(),
            "native_gems": _native_gems(root, gems),
        }
    )
    if rails:
        rails_version = _rails_version(root, gemfile)
        if rails_version:
            facts["rails_version"] = ".".join(str(x) for x in rails_version)
        routes = rails_routes(_read(root / "config" / "routes.rb"))
        if "/up" in routes and rails_version is not None and rails_version < (7, 1):
            routes.remove("/up")  # /up is Rails 7.1's rails/health#show; older Rails has no such controller
        health = pick_health(routes)
    else:
        health = pick_health([r for p in walk(root, (".rb", ".ru")) for r in sinatra_routes(_read(p))])
    health_found, notes = health_facts(health)
    det.warnings.extend(notes)
    facts.update(health_found)
    if version:
        facts["version"] = version.group(1)
    elif re.match(r"^\d+\.\d+", rv):
        facts["version"] = ".".join(rv.split(".")[:2])
    env = found["env"] + (["SECRET_KEY_BASE", "RAILS_MASTER_KEY"] if rails else [])
    facts.update(_env_facts(env))
    facts.update(
        _services(env, ({"pg"} if "pg" in gems else set()) | ({"redis"} if "redis" in gems else set()))
    )
    return facts


#: Gems that compile a C extension at install time (the build stage needs a compiler).
NATIVE_GEMS = frozenset(
    {
        "nokogiri",
        "pg",
        "mysql2",
        "sqlite3",
        "bcrypt",
        "puma",
        "nio4r",
        "ffi",
        "msgpack",
        "bootsnap",
        "websocket-driver",
        "json",
        "racc",
        "bigdecimal",
        "date",
        "io-console",
        "psych",
        "thin",
        "eventmachine",
        "unf_ext",
        "hiredis",
        "oj",
        "byebug",
        "debug",
        "redcarpet",
        "sassc",
        "grpc",
        "google-protobuf",
        "charlock_holmes",
        "rugged",
        "stringio",
        "strscan",
        "digest-crc",
        "curb",
        "typhoeus",
        "unicorn",
        "kgio",
        "raindrops",
        "mini_racer",
    }
)


def _native_gems(root: Path, gems: set[str]) -> bool:
    """Whether any gem, direct or locked, builds a native extension (platform gems like
    `nokogiri (1.16.0-x86_64-linux)` ship compiled, but the locked platform may not match)."""
    locked = set(re.findall(r"^    ([\w-]+) \(", _read(root / "Gemfile.lock"), re.M))
    return bool((gems | locked) & NATIVE_GEMS)


def _rails_version(root: Path, gemfile: str) -> tuple[int, ...] | None:
    """Rails' version from Gemfile.lock (`    rails (7.1.3)`), else the Gemfile's requirement."""
    lock = _read(root / "Gemfile.lock")
    m = re.search(r"^    (?:rails|railties) \((\d+)\.(\d+)", lock, re.M) or re.search(
        r"^\s*gem\s+['\"]rails['\"]\s*,\s*['\"][~>=\s]*(\d+)\.(\d+)", gemfile, re.M
    )
    return (int(m.group(1)), int(m.group(2))) if m else None


# ------------------------------------------------------------------------------------------ php


def detect_php(root: Path, det: Detection) -> dict[str, Any] | None:
    composer_path = root / "composer.json"
    if not composer_path.is_file() and not any(root.glob("*.php")) and not any(root.glob("public/*.php")):
        return None
    composer = _json(composer_path) if composer_path.is_file() else {}
    require = {k for k in (composer.get("require") or {}) if k != "php" and not k.startswith("ext-")}
    docroot = "public" if (root / "public").is_dir() else "."
    det.evidence.append(f"{'composer.json' if composer else '*.php'} → php ({len(require)} packages)")
    found = _scan(
        root,
        (".php",),
        {"env": re.compile(r"(?:getenv\(\s*|\$_(?:ENV|SERVER)\[\s*)['\"]([A-Z_][A-Z0-9_]*)['\"]")},
    )
    from hardenify.scaffold.detect_routes import health_facts, php_routes, pick_health

    routes: list[str] = []
    for path in walk(root, (".php",)):
        found_routes = php_routes(_read(path))
        if path.name == "api.php" and path.parent.name == "routes":  # Laravel prefixes these with /api
            found_routes = ["/api" + r.rstrip("/") if r != "/" else "/api" for r in found_routes]
        routes += found_routes
    laravel = (root / "artisan").is_file() or "laravel/framework" in require
    serve = str((composer.get("scripts") or {}).get("serve") or "")
    port_m = re.search(r"-S\s+[\w.]+:(\d{2,5})", serve)
    port = int(port_m.group(1)) if port_m else 8080
    facts = _common(
        root,
        composer.get("name"),
        {
            "description": composer.get("description"),
            "license": composer.get("license") if isinstance(composer.get("license"), str) else None,
        },
    )
    env = [
        e
        for e in found["env"]
        if not e.startswith(("HTTP_", "REQUEST_", "SERVER_", "SCRIPT_", "DOCUMENT_", "QUERY_", "REMOTE_"))
    ]
    facts.update(
        {
            "composer_deps": bool(require),
            "composer_lock": (root / "composer.lock").is_file(),
            "docroot": docroot,
            "port": port,
            "php_server": _php_server(root, docroot),
        }
    )
    if laravel:
        facts["framework"] = "laravel"
        # Laravel writes compiled views, sessions, logs and caches here at run time
        facts["writable"] = ",".join(
            f"/app/{d}" for d in ("storage", "bootstrap/cache") if (root / d).is_dir()
        )
    health, notes = health_facts(pick_health(routes))
    det.warnings.extend(notes)
    facts.update(health)
    version = re.search(r"(\d+\.\d+)", str((composer.get("require") or {}).get("php") or ""))
    if version and tuple(int(x) for x in version.group(1).split(".")) >= (8, 2):
        facts["version"] = version.group(1)
    facts.update(_env_facts(env))
    facts.update(_services(env, {"pg"} if any("pgsql" in r or "postgres" in r for r in require) else set()))
    return facts


def _php_server(root: Path, docroot: str) -> str:
    """`apache` when the docroot has an .htaccess (its rewrite rules only work under Apache),
    else `php-fpm` (behind a web server). Both serve as an unprivileged user, never `php -S`."""
    return "apache" if (root / docroot / ".htaccess").is_file() else "php-fpm"


# --------------------------------------------------------------------------------------- dotnet


def detect_dotnet(root: Path, det: Detection) -> dict[str, Any] | None:
    projects = sorted(root.glob("*.csproj")) or sorted(
        walk(root, (".csproj",)), key=lambda p: (len(p.parts), p)
    )
    projects = [p for p in projects if not re.search(r"tests?\b", p.stem, re.I)]
    if not projects:
        return None
    proj = projects[0]
    text = _read(proj)
    # the TargetFramework may come from a Directory.Build.props in the project's folder or above
    props = "".join(
        _read(d / "Directory.Build.props")
        for d in [proj.parent, *proj.parent.parents]
        if d == root or root in d.parents
    )
    tfm = re.search(r"<TargetFrameworks?>\s*net(\d+\.\d+)", text) or re.search(
        r"<TargetFrameworks?>\s*net(\d+\.\d+)", props
    )
    assembly = re.search(r"<AssemblyName>([^<]+)</AssemblyName>", text)
    web = "Microsoft.NET.Sdk.Web" in text
    asm = assembly.group(1).strip() if assembly else proj.stem
    det.evidence.append(
        f"{proj.relative_to(root).as_posix()} → dotnet ({'web' if web else 'console'}{', net' + tfm.group(1) if tfm else ''})"
    )
    found = _scan(
        root,
        (".cs",),
        {"env": re.compile(r"GetEnvironmentVariable\(\s*\"([A-Za-z_][A-Za-z0-9_]*)\"")},
    )
    from hardenify.scaffold.detect_routes import dotnet_routes, health_facts, pick_health

    routes = [r for p in walk(root, (".cs",)) for r in dotnet_routes(_read(p))]
    facts = _common(root, asm, {})
    facts.update(
        {
            "project": proj.relative_to(root).as_posix(),
            "assembly": asm,
            "web": web,
            "port": 8080,
            "command": f"/app/{asm}",
        }
    )
    health, notes = health_facts(pick_health(routes))
    det.warnings.extend(notes)
    facts.update(health)
    if tfm:
        facts["version"] = tfm.group(1)
        facts["target_framework"] = f"net{tfm.group(1)}"
        # .NET 8 images listen on ASPNETCORE_HTTP_PORTS (8080); 6 and 7 only read ASPNETCORE_URLS
        facts["aspnetcore_port_env"] = (
            "ASPNETCORE_HTTP_PORTS" if _vkey(tfm.group(1)) >= (8,) else "ASPNETCORE_URLS"
        )
        _warn_eol("dotnet", tfm.group(1), f"the project targets net{tfm.group(1)}", det)
    facts.update(_env_facts(found["env"]))
    facts.update(_services(found["env"], {"pg"} if "Npgsql" in text else set()))
    return facts


_DETECTORS: dict[str, Callable[[Path, Detection], dict[str, Any] | None]] = {
    "dotnet": detect_dotnet,
    "java": detect_java,
    "go": detect_go,
    "rust": detect_rust,
    "python": detect_python,
    "ruby": detect_ruby,
    "php": detect_php,
    "node": detect_node,
    "static": detect_static,
}


def detect(root: Path) -> Detection:
    """Detect the stack of `root`: the first in STACK_ORDER whose marker files are there."""
    det = Detection(root)
    if not root.is_dir():
        return det
    for stack in STACK_ORDER:
        if stack == "node" and _is_static_node(root):
            continue  # a front-end build with no server: served as static files
        facts = _DETECTORS[stack](root, det)
        if facts is not None:
            det.stack = stack
            det.facts = finish(det, facts)
            return det
    det.facts = _common(root, None, {})
    return det


def finish(det: Detection, facts: dict[str, Any]) -> dict[str, Any]:
    """Checks common to every stack, once the stack's detector is done: a privileged port becomes
    an unprivileged one (the service never runs as root), and the warnings go into the facts
    (for README.Docker.md) and to the front of the notes (which `new` prints)."""
    from hardenify.scaffold.detect_routes import unprivileged

    port = facts.get("port")
    if isinstance(port, int) and 0 < port < 1024:
        facts["port"] = unprivileged(port)
        facts["code_port"] = port
        det.warnings.append(
            f"the code listens on port {port}, which only root may bind: the container uses "
            f"{facts['port']} instead. Make the app listen on {facts['port']} (set "
            f"{facts.get('port_env') or 'its port setting or PORT'}={facts['port']}), or pass --port "
            "to choose another port above 1023"
        )
    facts["warnings"] = list(det.warnings)
    det.notes = det.warnings + [n for n in det.notes if n not in det.warnings]
    return facts


def _is_static_node(root: Path) -> bool:
    from hardenify.scaffold.detect_node import is_static_node

    return is_static_node(root)
