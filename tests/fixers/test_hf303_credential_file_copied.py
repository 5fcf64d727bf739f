import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import dockerfile
import pytest

from hardenify.dockerfile.secretmounts import build_secret_flags
from tests.fixers.util import codes, dedent, findings, fixed

CODE = "HF303"


def rows(text: str) -> list[int]:
    return [d.location.row for d in findings(text, CODE)]


def fix(text: str) -> str:
    out = fixed(text, CODE, unsafe=True)
    dockerfile.parse_string(out)
    return out


def note(text: str) -> str:
    (d,) = findings(text, CODE)
    assert d.fix is None
    return d.note or ""


def hadolint_codes(text: str) -> Counter[str]:
    p = subprocess.run(["hadolint", "--no-fail", "-f", "json", "-"], input=text.encode(), capture_output=True)
    return Counter(d["code"] for d in json.loads(p.stdout or b"[]"))


def test_credential_files_fire_with_rows() -> None:
    text = """\
        FROM node:22
        WORKDIR /app
        COPY package.json .npmrc ./
        ADD id_rsa /root/.ssh/
        cOpY .netrc /root/
        COPY ["config/.pypirc", "/root/"]
        COPY .aws /root/.aws
        COPY certs/server.key /etc/ssl/private/
        COPY .env.production .env
        COPY settings.xml /root/.m2/settings.xml
        COPY --from=build /root/.git-credentials /tmp/
        ONBUILD COPY .npmrc .
        COPY docker/config.json /root/.docker/config.json
        COPY keystore.p12 tls-key.pem /app/
        """
    assert rows(text) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 14]
    d = findings(text, CODE)[0]
    assert "`.npmrc` (npm credentials)" in d.message and "image layer" in d.message
    assert (d.location.column, d.end_location.column) == (19, 25)


def test_public_and_harmless_files_do_not_fire() -> None:
    text = """\
        FROM debian
        COPY ca.pem /usr/local/share/ca-certificates/
        COPY certs/fullchain.pem cert.pem /etc/nginx/
        COPY jenkins.io-2026.key /war/jenkins-key.pub
        COPY nodesource.gpg.key /tmp/
        COPY release.key /etc/apt/trusted.gpg.d/
        COPY .env.example .env
        COPY settings.xml /app/
        COPY config.json /app/config.json
        COPY <<EOF /root/.npmrc
        registry=https://registry.npmjs.org/
        EOF
        ADD https://example.com/server.key /tmp/
        COPY package.json ./
        COPY .npmrcx keys.txt /x/
        """
    assert codes(text, CODE) == []


def test_common_shape_multi_source_with_rm() -> None:
    text = """\
        FROM node:22
        WORKDIR /app
        COPY package.json package-lock.json .npmrc ./
        RUN npm ci && rm -f .npmrc
        COPY . .
        """
    assert fix(text) == dedent(
        """\
        FROM node:22
        WORKDIR /app
        COPY package.json package-lock.json ./
        RUN --mount=type=secret,id=npmrc,target=/app/.npmrc npm ci
        COPY . .
        """
    )
    d = findings(text, CODE)[0]
    assert d.fix is not None and "docker build --secret id=npmrc,src=.npmrc" in d.fix.message


def test_single_source_rm_on_own_line_and_rm_only_run() -> None:
    text = """\
        FROM node:22
        WORKDIR /app
        COPY .npmrc /root/.npmrc
        RUN npm ci \\
            # drop the token again
            && rm -f /root/.npmrc ~/.cache/x
        RUN npm run build
        """
    assert fix(text) == dedent(
        """\
        FROM node:22
        WORKDIR /app
        RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci \\
            # drop the token again
            && rm -f ~/.cache/x
        RUN npm run build
        """
    )
    text = "FROM node\nWORKDIR /app\nCOPY .npmrc .\nRUN yarn install \\\n    && yarn build\nRUN rm .npmrc\nRUN yarn test\n"
    assert fix(text) == (
        "FROM node\nWORKDIR /app\n"
        "RUN --mount=type=secret,id=npmrc,target=/app/.npmrc yarn install \\\n    && yarn build\nRUN yarn test\n"
    )


def test_rm_as_last_continuation_line_removes_the_escape() -> None:
    text = "FROM node\r\nWORKDIR /app\r\nCOPY .npmrc ./\r\nRUN npm ci \\\r\n    && rm .npmrc\r\n"
    assert (
        fix(text)
        == "FROM node\r\nWORKDIR /app\r\nRUN --mount=type=secret,id=npmrc,target=/app/.npmrc npm ci\r\n"
    )


def test_non_root_user_and_maven_settings() -> None:
    text = """\
        FROM maven:3-eclipse-temurin-21
        USER 1000
        COPY settings.xml /home/app/.m2/settings.xml
        RUN --mount=type=cache,target=/home/app/.m2/repository mvn -B package
        """
    assert fix(text) == dedent(
        """\
        FROM maven:3-eclipse-temurin-21
        USER 1000
        RUN --mount=type=cache,target=/home/app/.m2/repository \
--mount=type=secret,id=maven_settings,target=/home/app/.m2/settings.xml,mode=0444 mvn -B package
        """
    )


def test_ssh_key_with_cleanup_is_fixed_and_wired() -> None:
    text = "FROM alpine\nCOPY deploy/id_ed25519 /root/.ssh/id_ed25519\nRUN git clone git@github.com:a/b.git && rm /root/.ssh/id_ed25519\n"
    out = fix(text)
    assert out == (
        "FROM alpine\nRUN --mount=type=secret,id=id_ed25519,target=/root/.ssh/id_ed25519 git clone git@github.com:a/b.git\n"
    )
    assert build_secret_flags(out, text) == ["--secret id=id_ed25519,src=deploy/id_ed25519"]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("FROM a\nCOPY .npmrc .\nRUN npm ci\n", "destination path"),
        ("FROM a\nWORKDIR /app\nCOPY .npmrc $HOME/\nRUN npm ci\n", "destination path"),
        ("FROM a\nWORKDIR /app\nCOPY .npmrc ./\nRUN ls\n", "no later RUN"),
        ("FROM a\nWORKDIR /app\nCOPY .env ./\nRUN set -a && . ./.env && npm run build\n", "runs"),
        ("FROM a\nCOPY server.key /etc/ssl/private/\nRUN chmod 600 /etc/ssl/private/server.key\n", "runs"),
        ("FROM a\nCOPY --from=b /root/.npmrc /root/\nRUN npm ci\n", "another stage"),
        ("FROM a\nCOPY .ssh /root/.ssh\nRUN git clone x && rm -rf /root/.ssh\n", "directory"),
        ('FROM a\nWORKDIR /app\nCOPY ["package.json", ".npmrc", "./"]\nRUN npm ci\n', "exec-form"),
        ("FROM a\nWORKDIR /app\nCOPY .npmrc ./\nRUN npm ci | tee log && rm .npmrc | cat\n", "cleanly"),
        (
            "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nCOPY .npmrc C:/\nRUN npm ci\n",
            "Windows",
        ),
        ("FROM a\nWORKDIR /app\nONBUILD COPY .npmrc ./\n", "ONBUILD"),
    ],
)
def test_no_fix_when_unsound(text: str, why: str) -> None:
    assert why in note(text)


def test_exec_form_single_source_and_json_run() -> None:
    text = 'FROM node\nWORKDIR /app\nCOPY [".npmrc", "./"]\nRUN ["npm", "ci"]\n'
    assert (
        fix(text)
        == 'FROM node\nWORKDIR /app\nRUN --mount=type=secret,id=npmrc,target=/app/.npmrc ["npm", "ci"]\n'
    )


def test_steps_after_the_file_was_deleted_get_no_mount() -> None:
    text = "FROM node\nWORKDIR /app\nCOPY .npmrc ./\nRUN npm ci && rm .npmrc\nRUN npm run build\n"
    assert (
        fix(text)
        == "FROM node\nWORKDIR /app\nRUN --mount=type=secret,id=npmrc,target=/app/.npmrc npm ci\nRUN npm run build\n"
    )


def test_child_stage_reading_the_file_gets_the_mount() -> None:
    text = (
        "FROM node AS deps\nWORKDIR /app\nCOPY .npmrc ./\nRUN npm ci\nFROM deps AS build\nRUN npm run build\n"
    )
    out = fix(text)
    assert out.count("--mount=type=secret,id=npmrc,target=/app/.npmrc") == 2


def test_already_good_input_is_unchanged() -> None:
    text = "FROM node\nWORKDIR /app\nRUN --mount=type=secret,id=npmrc,target=/app/.npmrc npm ci\n"
    assert codes(text, CODE) == []
    assert fixed(text, CODE, unsafe=True) == text


def test_fix_introduces_no_hadolint_finding() -> None:
    text = "FROM node:22\nWORKDIR /app\nCOPY package.json .npmrc ./\nRUN npm ci && rm -f .npmrc\n"
    before, after = hadolint_codes(text), hadolint_codes(fix(text))
    assert not (after - before), after - before


# --------------------------------------- issue 14 item 6: an .npmrc is judged by what it holds


NPMRC_DOCKERFILE = "FROM node:22\nWORKDIR /app\nCOPY package.json .npmrc ./\nRUN npm ci && rm -f .npmrc\n"


def _in_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, npmrc: str | None) -> None:
    (tmp_path / "Dockerfile").write_text(NPMRC_DOCKERFILE)
    if npmrc is not None:
        (tmp_path / ".npmrc").write_text(npmrc)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    "npmrc",
    [
        "engine-strict=true\nshamefully-hoist=true\n",
        "registry=https://registry.example.com/\n; a comment\nsave-exact=true\n",
        "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n",
    ],
)
def test_npmrc_without_credential_is_not_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, npmrc: str
) -> None:
    _in_context(tmp_path, monkeypatch, npmrc)
    assert codes(NPMRC_DOCKERFILE, CODE) == []
    assert fixed(NPMRC_DOCKERFILE, CODE, unsafe=True) == NPMRC_DOCKERFILE


@pytest.mark.parametrize(
    "npmrc",
    [
        "//registry.npmjs.org/:_authToken=npm_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345\n",
        "_auth=dXNlcjpwYXNz\nalways-auth=true\n",
        "registry=https://user:pass@npm.example.com/\n",
    ],
)
def test_npmrc_with_credential_is_reported_and_fixed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, npmrc: str
) -> None:
    _in_context(tmp_path, monkeypatch, npmrc)
    (d,) = findings(NPMRC_DOCKERFILE, CODE)
    assert d.fix is not None and d.note is None
    assert "--mount=type=secret,id=npmrc" in fixed(NPMRC_DOCKERFILE, CODE, unsafe=True)


def test_unreadable_npmrc_is_reported_by_name_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _in_context(tmp_path, monkeypatch, None)  # absent from the context
    (d,) = findings(NPMRC_DOCKERFILE, CODE)
    assert d.fix is not None and d.note is not None and "could not check" in d.note
    os.mkfifo(tmp_path / ".npmrc")  # a FIFO is never opened (it would block)
    (d,) = findings(NPMRC_DOCKERFILE, CODE)
    assert d.note is not None and "could not check" in d.note
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # the text is not a file on disk: no context
    (d,) = findings(NPMRC_DOCKERFILE, CODE)
    assert d.note is not None and "no build context on disk" in d.note


def test_npmrc_symlink_out_of_the_context_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "outside.npmrc"
    outside.write_text("engine-strict=true\n")
    ctx_dir = tmp_path / "ctx"
    ctx_dir.mkdir()
    (ctx_dir / ".npmrc").symlink_to(outside)
    _in_context(ctx_dir, monkeypatch, None)
    (d,) = findings(NPMRC_DOCKERFILE, CODE)
    assert d.note is not None and "could not check" in d.note
