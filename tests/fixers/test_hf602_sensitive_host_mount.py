from tests.compose.util import findings, rows

CODE = "HF602"


def test_docker_socket_and_system_dirs_short_syntax() -> None:
    text = """
    services:
      a:
        volumes:
          - /var/run/docker.sock:/var/run/docker.sock
          - /run/docker.sock:/sock:ro
          - /etc:/host/etc:ro
          - /:/rootfs
          - ${SOCK:-/var/run/docker.sock}:/var/run/docker.sock
          - //./pipe/docker_engine://./pipe/docker_engine
    """
    ds = findings(text, CODE)
    assert [d.location.row for d in ds] == [4, 5, 6, 7, 8, 9]
    assert "root on the host" in ds[0].message
    assert "read-only" in ds[2].message
    assert all(d.fix is None for d in ds)


def test_long_syntax_bind() -> None:
    text = """
    services:
      a:
        volumes:
          - type: bind
            source: /proc
            target: /host/proc
            read_only: true
          - type: volume
            source: data
            target: /var/run/docker.sock
    """
    assert rows(text, CODE) == [("HF602", 4)]


def test_harmless_mounts_pass() -> None:
    text = """
    services:
      a:
        volumes:
          - /etc/localtime:/etc/localtime:ro
          - ./data:/data
          - data:/var/run
          - /var/lib/app
          - C:\\data:/data
          - ${HOST_DIR}:/data
    """
    assert rows(text, CODE) == []


def test_pragma_above_the_volumes_key() -> None:
    text = """
    services:
      a:
        # hardenify: ignore[HF602]
        volumes:
          - /var/run/docker.sock:/var/run/docker.sock
    """
    assert rows(text, CODE) == []
