"""HF621: compose files the Compose Specification (and so `docker compose`) rejects."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardenify.compose.schema import SCHEMA_PATH, validate_text
from hardenify.engine import lint
from hardenify.settings import Settings
from tests.compose.util import dedent, findings, rows

CODE = "HF621"

VALID = """\
    services:
      web:
        image: nginx:1.27
        environment:
          - MODE=a
          - OTHER=b
        secrets:
          - token
          - source: token
            target: /run/secrets/token_copy
    secrets:
      token:
        environment: TOKEN
    x-notes: {free: form}
"""


def test_a_valid_file_passes() -> None:
    assert rows(VALID, CODE) == []


def test_duplicate_list_environment_entries_are_reported_at_the_repeat() -> None:
    text = """\
        services:
          web:
            image: nginx:1.27
            environment:
              - POSTGRES_PASSWORD_FILE=/run/secrets/postgres_password
              - MODE=a
              - POSTGRES_PASSWORD_FILE=/run/secrets/postgres_password
              - MODE=b
    """
    ds = findings(text, CODE)
    assert [(d.location.row, d.location.column) for d in ds] == [(7, 9), (8, 9)]
    assert "`POSTGRES_PASSWORD_FILE` twice" in ds[0].message and "the same entry" in ds[0].message
    assert "first at line 5" in ds[0].message
    assert "`MODE` twice" in ds[1].message and "a second value" in ds[1].message


def test_duplicate_labels_and_secret_mounts_are_reported() -> None:
    text = """\
        services:
          web:
            image: nginx:1.27
            labels: ["a=1", "a=2"]
            secrets:
              - token
              - token
        secrets:
          token:
            environment: TOKEN
    """
    assert rows(text, CODE) == [("HF621", 4), ("HF621", 7)]
    messages = [d.message for d in findings(text, CODE)]
    assert "mounts secret `token` at `/run/secrets/token` twice" in messages[1]


def test_mapping_form_duplicates_are_hf600s_not_reported_twice() -> None:
    text = """\
        services:
          web:
            image: nginx:1.27
            environment:
              MODE: a
              MODE: b
    """
    assert rows(text, CODE) == []
    assert rows(text, "HF600") == [("HF600", 6)]


def test_unknown_top_level_and_service_keys() -> None:
    text = """\
        services:
          web:
            image: nginx:1.27
            restart_policy: always
        networks: {}
        servics: {}
    """
    ds = findings(text, CODE)
    assert [(d.location.row, d.message) for d in ds] == [
        (4, "unknown key `restart_policy` in `services.web` (not in the compose spec)"),
        (6, "unknown key `servics` in the top level (not in the compose spec)"),
    ]


def test_wrong_types_point_at_the_value_and_never_quote_it() -> None:
    text = """\
        services:
          web:
            image: nginx:1.27
            ports: "8080:80"
            environment: s3cr3t-Value-That-Is-Long
            healthcheck:
              test: 5
    """
    ds = findings(text, CODE)
    assert [d.location.row for d in ds] == [4, 5, 7]
    assert ds[0].message == "`services.web.ports` must be a list"
    assert ds[1].message == "`services.web.environment` must be a mapping or a list"
    assert all("s3cr3t" not in d.message and "8080" not in d.message for d in ds)


def test_secret_values_never_reach_any_message() -> None:
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    text = f"""\
        services:
          web:
            image: nginx:1.27
            environment:
              - GITHUB_TOKEN={token}
              - GITHUB_TOKEN={token}
            mem_limit: [{token}]
    """
    res = lint("compose.yaml", dedent(text), "compose", Settings(select=(CODE,)))
    assert {d.code for d in res.diagnostics} == {CODE} and len(res.diagnostics) == 2
    for d in res.diagnostics:
        assert token not in d.message and token not in (d.note or "")


def test_pragma_silences_a_finding() -> None:
    text = """\
        services:
          web:
            image: nginx:1.27
            # hardenify: ignore[HF621]
            restart_policy: always
    """
    assert rows(text, CODE) == []


def test_anchors_merges_extensions_and_reset_tags_are_understood() -> None:
    text = """\
        x-base: &base
          image: nginx:1.27
          environment:
            - MODE=a
        services:
          web:
            <<: *base
            read_only: true
          api:
            <<: *base
            ports: !reset []
    """
    assert rows(text, CODE) == []


def test_a_merged_mistake_points_into_the_anchor() -> None:
    text = """\
        x-base: &base
          image: nginx:1.27
          cpu: 2
        services:
          web:
            <<: *base
    """
    assert rows(text, CODE) == [("HF621", 3)]


def test_newer_compose_keys_than_the_schema_pass() -> None:
    text = """\
        services:
          web:
            image: alpine:3.21
            pre_start:
              - image: alpine:3.21
                command: sh -c 'exit 0'
    """
    assert rows(text, CODE) == []


def test_validate_text_says_line_and_problem() -> None:
    assert validate_text(dedent(VALID)) == []
    assert validate_text("services:\n  web:\n    image: a\n    imagee: b\n") == [
        "line 4: unknown key `imagee` in `services.web` (not in the compose spec)"
    ]
    assert validate_text("services: [\n")[0].startswith("line ")


def test_the_vendored_schema_is_the_shared_one(corpus_dir: Path) -> None:
    shared = corpus_dir.parent / "schemas" / "compose-spec.json"
    if not shared.is_file():
        pytest.skip(f"no shared schema at {shared}")
    assert SCHEMA_PATH.read_bytes() == shared.read_bytes()


# Corpus measurement (2026-12-05): 2 of 199 files fire, both genuinely invalid: a Compose v1
# file without `services:` (jessfraz openvpn) and docker/compose's own `wrong-composefile`
# fixture. `pre_start` hooks (docker/compose e2e tests) fired before NEWER_THAN_SCHEMA.
EXPECTED_CORPUS_HITS = {
    "0046__jessfraz__dockerfiles__openvpn__docker-compose.yml": ["unknown key `vpn` in the top level"],
    "0064__docker__compose__pkg__e2e__fixtures__wrong-composefile__compose.yaml": [
        "unknown key `wrongField` in `services.simple`"
    ],
}


def test_corpus_fires_only_on_genuinely_invalid_files(corpus_dir: Path) -> None:
    compose = corpus_dir / "compose"
    if not compose.is_dir():
        pytest.skip(f"no compose corpus at {compose}")
    hits: dict[str, list[str]] = {}
    files = 0
    for path in sorted(compose.iterdir()):
        files += 1
        text = path.read_bytes().decode("utf-8", errors="surrogateescape")
        res = lint(str(path), text, "compose", Settings(select=(CODE,)))
        if res.diagnostics:
            hits[path.name] = [d.message.split(" (")[0] for d in res.diagnostics]
    print(f"\nHF621 over the compose corpus: {len(hits)} of {files} files fire: {sorted(hits)}")
    assert files >= 150
    assert hits == EXPECTED_CORPUS_HITS
