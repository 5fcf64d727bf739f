"""HF617-HF620: compose exposure rules (issue 17 item 6)."""

from hardenify.engine import lint
from hardenify.settings import Settings
from tests.fixers.util import dedent


def rows(text: str, code: str) -> list[int]:
    diags = lint("compose.yaml", dedent(text), "compose", Settings(select=(code,))).diagnostics
    return [d.location.row for d in diags]


def test_hf617_admin_and_debug_ports() -> None:
    text = """\
        services:
          app:
            image: example/app:1
            ports:
              - "9229:9229"
              - "127.0.0.1:5005:5005"
              - "8080:8080"
              - target: 22
                published: 2222
          docker:
            image: docker:27-dind
            ports: ["2375:2375"]
          adminer:
            image: adminer:4
            ports:
              - 8081:8080
          web:
            image: nginx:1.27
            ports:
              - 80:80
        """
    assert rows(text, "HF617") == [5, 8, 12, 16]


def test_hf617_leaves_database_ports_to_hf610() -> None:
    assert rows("services:\n  db:\n    image: postgres:17\n    ports: ['5432:5432']\n", "HF617") == []


def test_hf618_dangerous_devices() -> None:
    text = """\
        services:
          a:
            image: example/a:1
            devices:
              - /dev/mem:/dev/mem
              - "/dev/sda1:/dev/xvda:rwm"
              - /dev/fuse
              - /dev/nvme0n1p2
              - source: /dev/kvm
                target: /dev/kvm
          ok:
            image: example/b:1
            devices:
              - /dev/ttyUSB0:/dev/ttyUSB0
              - /dev/snd
              - /dev/dri/renderD128
              - /dev/net/tun
        """
    assert rows(text, "HF618") == [5, 6, 7, 8, 9]


def test_hf619_metadata_endpoint() -> None:
    text = """\
        services:
          a:
            image: example/a:1
            extra_hosts:
              - "metadata:169.254.169.254"
              - "db=10.0.0.5"
              - "api=169.254.170.2"
            dns: 169.254.169.254
          b:
            image: example/b:1
            extra_hosts:
              meta: 169.254.169.254
              other: 192.168.1.1
            dns: [1.1.1.1, 100.100.100.200]
          c:
            image: example/c:1
            extra_hosts: ["host.docker.internal:host-gateway"]
            dns: 8.8.8.8
        """
    assert rows(text, "HF619") == [5, 7, 8, 12, 14]


def test_hf620_secret_build_args() -> None:
    text = """\
        services:
          web:
            build:
              context: .
              args:
                NPM_TOKEN: ${NPM_TOKEN}
                NODE_ENV: production
                API_KEY: sk_live_abcdefghijklmnop1234
          api:
            build:
              context: .
              args:
                - GITHUB_TOKEN=ghp_4Rk9TzQ2mVb7Lx0PwE5nYc8Hs1Ju6Ga3Df0K
                - VERSION=1.2.3
                - DB_PASSWORD=
                - DB_PASS
          plain:
            build: .
            environment:
              API_TOKEN: x
        """
    assert rows(text, "HF620") == [6, 8, 13, 16]


def test_hf620_redacts_literal_values_everywhere() -> None:
    text = "services:\n  web:\n    build:\n      context: .\n      args:\n        API_KEY: sk_live_abcdefghijklmnop1234\n"
    res = lint("compose.yaml", text, "compose", Settings(select=("HF600",)))
    assert "sk_live_abcdefghijklmnop1234" in res.redactor.secrets
