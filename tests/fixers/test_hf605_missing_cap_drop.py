from pathlib import Path

from hardenify.diagnostics import Applicability
from tests.compose.util import dedent, findings, fixed, rows

CODE = "HF605"


def test_fires_on_service_key_without_cap_drop_all() -> None:
    text = """
    services:
      a:
        image: example/app:1
      b:
        image: example/app:1
        cap_drop: [NET_RAW]
      c:
        image: example/app:1
        cap_drop: [all]
      d:
        privileged: true
    """
    assert rows(text, CODE) == [("HF605", 2), ("HF605", 4)]


def test_safe_only_for_capability_free_images() -> None:
    text = """
    services:
      web:
        image: nginxinc/nginx-unprivileged:1.27
      grafana:
        image: grafana/grafana:11.0.0
      root_override:
        image: nginxinc/nginx-unprivileged:1.27
        user: root
      db:
        image: postgres:17
      app:
        build: .
    """
    got = {d.message.split("`")[1]: d.fix.applicability for d in findings(text, CODE) if d.fix}
    assert got == {"web": Applicability.SAFE, "grafana": Applicability.SAFE, "db": Applicability.UNSAFE}
    notes = {d.message.split("`")[1]: d.note or "" for d in findings(text, CODE) if d.fix is None}
    assert "runs it as root" in notes["root_override"] and "cannot be read" in notes["app"]


def test_safe_fix_adds_block_list_and_unsafe_needs_flag() -> None:
    before = """
    services:
      web:
        image: nginxinc/nginx-unprivileged:1.27
        ports:
          - "8080:8080"
      db:
        image: postgres:17
    """
    assert fixed(before, CODE, unsafe=False) == dedent(
        """
        services:
          web:
            image: nginxinc/nginx-unprivileged:1.27
            ports:
              - "8080:8080"
            cap_drop:
              - ALL
          db:
            image: postgres:17
        """
    )


def test_appends_to_existing_list_in_its_style() -> None:
    before = "services:\n  a:\n    image: memcached\n    cap_drop: [NET_RAW]\n  b:\n    image: memcached\n    cap_drop:\n    - MKNOD\n"
    assert fixed(before, CODE) == (
        "services:\n  a:\n    image: memcached\n    cap_drop: [NET_RAW, ALL]\n  b:\n    image: memcached\n    cap_drop:\n    - MKNOD\n    - ALL\n"
    )


def test_flow_style_file_and_flow_service() -> None:
    before = 'services:\n  a: {image: memcached, ports: ["80:80"]}\n  b:\n    image: prom/prometheus\n    dns: [1.1.1.1]\n'
    assert fixed(before, CODE) == (
        'services:\n  a: {image: memcached, ports: ["80:80"], cap_drop: [ALL]}\n  b:\n    image: prom/prometheus\n    dns: [1.1.1.1]\n'
        "    cap_drop: [ALL]\n"
    )


def test_extends_base_with_cap_drop_passes_and_external_is_skipped() -> None:
    text = """
    services:
      base:
        image: x
        cap_drop: [ALL]
      child:
        extends: base
      remote:
        extends: {file: other.yaml, service: base}
    """
    assert rows(text, CODE) == []


def test_already_hardened_multi_document_file_is_unchanged() -> None:
    text = "services:\n  a:\n    image: x\n    cap_drop: [ALL]\n---\nservices:\n  b:\n    image: y\n    cap_drop:\n      - ALL\n"
    assert fixed(text, CODE) == text


def test_multi_document_fixes_each_document() -> None:
    before = "services:\n  a:\n    image: memcached\n---\nservices:\n  b:\n    image: prom/prometheus\n"
    assert fixed(before, CODE) == (
        "services:\n  a:\n    image: memcached\n    cap_drop:\n      - ALL\n---\nservices:\n  b:\n    image: prom/prometheus\n"
        "    cap_drop:\n      - ALL\n"
    )


def test_cap_drop_comes_with_the_images_cap_add() -> None:
    """Images that chown and drop privileges (gosu) keep CHOWN/DAC_OVERRIDE/FOWNER/SETUID/SETGID;
    nginx also NET_BIND_SERVICE; an existing cap_add is extended, not duplicated."""
    before = """
    services:
      db:
        image: postgres:17
        cap_add: [SETUID]
      web:
        image: nginx:1.27
      lsio:
        image: lscr.io/linuxserver/sonarr:latest
    """
    after = fixed(before, CODE)
    assert "    cap_add: [SETUID, CHOWN, DAC_OVERRIDE, FOWNER, SETGID]\n    cap_drop: [ALL]\n" in after
    assert (
        "    image: nginx:1.27\n    cap_add: [CHOWN, NET_BIND_SERVICE, SETGID, SETUID]\n    cap_drop: [ALL]\n"
        in after
    )
    assert "cap_add: [CHOWN, DAC_OVERRIDE, FOWNER, KILL, SETGID, SETUID]" in after
    for d in findings(before, CODE):
        assert d.fix is not None and d.fix.applicability is Applicability.UNSAFE


def test_unknown_images_decline_with_a_reason() -> None:
    text = "services:\n  app:\n    image: example/app:1\n  php:\n    image: php:8.3-cli\n"
    ds = findings(text, CODE)
    assert [d.fix for d in ds] == [None, None]
    assert all("left for a human" in (d.note or "") and "cap_add" in (d.note or "") for d in ds)
    assert fixed(text, CODE) == dedent(text)


def test_built_service_facts_come_from_its_dockerfile_and_build_target(tmp_path: Path) -> None:
    """A non-root USER and no privilege dropper: nothing to add back. `build.target` picks the
    stage compose runs; a stage that starts gosu, or has no USER, declines."""
    (tmp_path / "Dockerfile").write_text(
        "FROM debian:bookworm-slim AS base\nRUN apt-get install -y gosu\n"
        'FROM base AS dev\nCMD ["gosu", "app", "run"]\n'
        'FROM debian:bookworm-slim AS prod\nUSER 1000:1000\nCMD ["run"]\n'
    )
    text = """
    services:
      prod:
        build: {context: ., target: prod}
      dev:
        build: {context: ., target: dev}
      last:
        build: .
    """
    ds = {d.message.split("`")[1]: d for d in findings(text, CODE, base_dir=str(tmp_path))}
    assert ds["prod"].fix is not None and "cap_add" not in ds["prod"].fix.message
    assert ds["dev"].fix is None and "sets no USER" in (ds["dev"].note or "")
    assert ds["last"].fix is not None
    (tmp_path / "Dockerfile").write_text('FROM debian:bookworm-slim\nUSER app\nENTRYPOINT ["/init"]\n')
    d = findings("services:\n  s:\n    build: .\n", CODE, base_dir=str(tmp_path))[0]
    assert d.fix is None and "needs root" in (d.note or "")
