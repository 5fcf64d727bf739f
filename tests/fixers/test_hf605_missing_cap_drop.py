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
    assert got == {
        "web": Applicability.SAFE,
        "grafana": Applicability.SAFE,
        "root_override": Applicability.UNSAFE,
        "db": Applicability.UNSAFE,
        "app": Applicability.UNSAFE,
    }


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
    before = "services:\n  a:\n    image: x\n    cap_drop: [NET_RAW]\n  b:\n    image: x\n    cap_drop:\n    - MKNOD\n"
    assert fixed(before, CODE) == (
        "services:\n  a:\n    image: x\n    cap_drop: [NET_RAW, ALL]\n  b:\n    image: x\n    cap_drop:\n    - MKNOD\n    - ALL\n"
    )


def test_flow_style_file_and_flow_service() -> None:
    before = 'services:\n  a: {image: x, ports: ["80:80"]}\n  b:\n    image: y\n    dns: [1.1.1.1]\n'
    assert fixed(before, CODE) == (
        'services:\n  a: {image: x, ports: ["80:80"], cap_drop: [ALL]}\n  b:\n    image: y\n    dns: [1.1.1.1]\n'
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
    before = "services:\n  a:\n    image: x\n---\nservices:\n  b:\n    image: y\n"
    assert fixed(before, CODE) == (
        "services:\n  a:\n    image: x\n    cap_drop:\n      - ALL\n---\nservices:\n  b:\n    image: y\n"
        "    cap_drop:\n      - ALL\n"
    )
