import json
from pathlib import Path

import pytest

from hardenify.diagnostics import Applicability
from tests.fixers.util import codes, dedent, findings, fixed

CODE = "HF407"

SINGLE = """
    FROM node:22-slim
    WORKDIR /app
    COPY package*.json ./
    RUN {run}
    COPY . .
    CMD ["node", "server.js"]
"""


def single(run: str) -> str:
    return dedent(SINGLE.format(run=run))


# ---------------------------------------------------------------------------- must not fire


def test_good_installs_pass() -> None:
    for run in (
        "npm ci --omit=dev",
        "npm ci --omit dev",
        "npm ci --production",
        "npm ci --only=production",
        "NODE_ENV=production npm ci",
        "npm ci --include=dev",
        "npm install express",
        "npm i -g pm2",
        "npm install --global typescript",
        "npm ci && npm run build",
        "npm ci && npm prune --omit=dev",
        "npm test",
        "yarn install --frozen-lockfile",
    ):
        assert codes(single(run), CODE) == [], run


def test_production_env_passes() -> None:
    text = "FROM node:22\nENV NODE_ENV=production\nCOPY . .\nRUN npm ci\n"
    assert codes(text, CODE) == []
    text = "FROM node:22\nARG NODE_ENV=production\nCOPY . .\nRUN npm ci\n"
    assert codes(text, CODE) == []


def test_builder_stage_needs_dev_dependencies() -> None:
    text = """
        FROM node:22 AS build
        COPY . .
        RUN npm ci && npm run build
        FROM nginx:1.27
        COPY --from=build /dist /usr/share/nginx/html
    """
    assert codes(text, CODE) == []


def test_single_stage_with_later_build_is_not_reported() -> None:
    text = "FROM node:22\nCOPY . .\nRUN npm ci\nRUN npx tsc -p .\n"
    assert codes(text, CODE) == []


def test_explicit_no_lockfile_choice_passes_part_one() -> None:
    assert codes(single("npm install --no-package-lock --omit=dev"), CODE) == []


# -------------------------------------------------------------------------------- must fire


def test_npm_install_fires_twice_with_rows() -> None:
    ds = findings(single("npm install"), CODE)
    assert [(d.location.row, d.location.column) for d in ds] == [(4, 5), (4, 5)]
    assert "npm ci" in ds[0].message and "--omit=dev" in ds[1].message
    assert all(d.fix is not None and d.fix.applicability is Applicability.UNSAFE for d in ds)


def test_multi_stage_final_ci_fires() -> None:
    text = """
        FROM node:22 AS build
        COPY . .
        RUN npm ci && npm run build
        FROM node:22-slim
        COPY package*.json ./
        RUN npm ci
        COPY --from=build /app/dist dist
    """
    ds = findings(text, CODE)
    assert [d.location.row for d in ds] == [6]


def test_multi_stage_final_with_build_reports_without_fix() -> None:
    text = """
        FROM node:22 AS deps
        FROM node:22-slim
        COPY . .
        RUN npm ci && npm run build
    """
    ds = findings(text, CODE)
    assert len(ds) == 1 and ds[0].fix is None and "earlier stage" in ds[0].message


def test_heredoc_fires() -> None:
    text = "FROM node:22\nCOPY . .\nRUN <<EOF\nnpm install\nEOF\n"
    assert [d.location.row for d in findings(text, CODE)] == [4, 4]


# -------------------------------------------------------------------------------------- fix


def test_fixes_are_unsafe_only() -> None:
    assert fixed(single("npm install"), CODE) == single("npm install")
    assert fixed(single("npm install"), CODE, unsafe=True) == single("npm ci --omit=dev")
    assert fixed(single("npm i --silent"), CODE, unsafe=True) == single("npm ci --omit=dev --silent")


def test_old_node_uses_production_and_no_ci_before_node_10() -> None:
    text = "FROM node:12\nCOPY . .\nRUN npm install\n"
    assert fixed(text, CODE, unsafe=True) == "FROM node:12\nCOPY . .\nRUN npm ci --production\n"
    text = "FROM node:8\nCOPY . .\nRUN npm install\n"
    assert fixed(text, CODE, unsafe=True) == "FROM node:8\nCOPY . .\nRUN npm install --production\n"


def test_no_ci_fix_without_a_lockfile() -> None:
    text = "FROM node:22\nCOPY package.json ./\nRUN npm install --omit=dev\n"
    ds = findings(text, CODE)
    assert len(ds) == 1 and ds[0].fix is None
    text = "FROM node:22\nCOPY package.json yarn.lock ./\nRUN npm install --omit=dev\n"
    assert findings(text, CODE)[0].fix is None
    text = "FROM node:22\nCOPY package.json package-lock.json ./\nRUN npm install --omit=dev\n"
    assert findings(text, CODE)[0].fix is not None


def test_fix_crlf_and_comment_in_continuation() -> None:
    before = "FROM node:22\r\nCOPY . .\r\nRUN npm install \\\r\n    # quiet\r\n    --silent\r\n"
    after = "FROM node:22\r\nCOPY . .\r\nRUN npm ci --omit=dev \\\r\n    # quiet\r\n    --silent\r\n"
    assert fixed(before, CODE, unsafe=True) == after


def test_no_change_when_good() -> None:
    text = single("npm ci --omit=dev")
    assert fixed(text, CODE, unsafe=True) == text


def test_onbuild_gets_only_the_ci_check() -> None:
    text = "FROM node:22\nONBUILD COPY . .\nONBUILD RUN npm install\n"
    ds = findings(text, CODE)
    assert len(ds) == 1 and "npm ci" in ds[0].message


# ------------------------------- issue 14 item 8: decided from the build context on disk


def _project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dockerfile: str, files: dict[str, str]) -> str:
    text = dedent(dockerfile)
    (tmp_path / "Dockerfile").write_text(text)
    for name, body in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(body)
    monkeypatch.chdir(tmp_path)
    return text


PKG = json.dumps({"name": "app", "version": "1.0.0", "dependencies": {"express": "^4"}})


@pytest.mark.parametrize(
    "copy",
    ["COPY . .", "COPY package*.json ./", "COPY package.json ./", "COPY ./ /app/", "COPY app/ ."],
)
def test_no_ci_when_the_context_has_no_lockfile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copy: str
) -> None:
    text = _project(
        tmp_path,
        monkeypatch,
        f'FROM node:22-slim\nWORKDIR /app\n{copy}\nRUN npm install\nCMD ["node", "server.js"]\n',
        {"package.json": PKG, "app/package.json": PKG},
    )
    ds = [d for d in findings(text, CODE) if "npm ci" in d.message]
    assert len(ds) == 1 and ds[0].fix is None
    assert ds[0].note is not None and "no package-lock.json" in ds[0].note
    assert "npm ci" not in fixed(text, CODE, unsafe=True)


@pytest.mark.parametrize(
    "copy", ["COPY . .", "COPY package*.json ./", "COPY package.json package-lock.json ./"]
)
def test_ci_when_a_copy_brings_the_lockfile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copy: str
) -> None:
    text = _project(
        tmp_path,
        monkeypatch,
        f'FROM node:22-slim\nWORKDIR /app\n{copy}\nRUN npm install\nCMD ["node", "server.js"]\n',
        {"package.json": PKG, "package-lock.json": "{}"},
    )
    assert "RUN npm ci --omit=dev\n" in fixed(text, CODE, unsafe=True)


def test_lockfile_in_context_but_not_copied_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _project(
        tmp_path,
        monkeypatch,
        "FROM node:22-slim\nWORKDIR /app\nCOPY package.json ./\nRUN npm install\nCOPY . .\n",
        {"package.json": PKG, "package-lock.json": "{}"},
    )
    assert "npm ci" not in fixed(text, CODE, unsafe=True)


def test_copy_from_another_stage_falls_back_to_the_shape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _project(
        tmp_path,
        monkeypatch,
        "FROM node:22 AS src\nFROM node:22-slim\nCOPY --from=src /app /app\nRUN npm install\n",
        {},
    )
    assert "RUN npm ci" in fixed(text, CODE, unsafe=True)


def test_no_omit_dev_when_install_scripts_or_start_need_dev_dependencies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare = json.dumps(
        {"name": "a", "scripts": {"prepare": "husky install"}, "devDependencies": {"husky": "8"}}
    )
    start = json.dumps(
        {"name": "a", "scripts": {"start": "nodemon server.js"}, "devDependencies": {"nodemon": "3"}}
    )
    for pkg, cmd, why in (
        (prepare, '["node", "server.js"]', "`prepare` script"),
        (start, '["npm", "start"]', "nodemon"),
    ):
        text = _project(
            tmp_path,
            monkeypatch,
            f"FROM node:22-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD {cmd}\n",
            {"package.json": pkg, "package-lock.json": "{}"},
        )
        (d,) = findings(text, CODE)
        assert d.fix is None and d.note is not None and why in d.note
        assert fixed(text, CODE, unsafe=True) == text


def test_no_omit_dev_when_a_later_step_runs_a_dev_tool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = json.dumps({"name": "a", "devDependencies": {"typescript": "5", "@graphql-codegen/cli": "5"}})
    for later in (
        "RUN tsc -p .",
        "RUN npx prisma generate",
        "RUN npm test",
        "RUN graphql-codegen --config codegen.yml",
    ):
        text = _project(
            tmp_path,
            monkeypatch,
            f"FROM node:22 AS deps\nFROM node:22-slim\nCOPY . .\nRUN npm ci\n{later}\n",
            {"package.json": pkg, "package-lock.json": "{}"},
        )
        assert "--omit=dev" not in fixed(text, CODE, unsafe=True), later
