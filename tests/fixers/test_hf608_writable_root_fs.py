from tests.compose.util import dedent, findings, fixed, rows

CODE = "HF608"


def test_detection() -> None:
    text = """
    services:
      a:
        image: x
      b:
        image: x
        read_only: true
      c:
        image: x
        read_only: false
    """
    ds = findings(text, CODE)
    assert [d.location.row for d in ds] == [2, 9]
    assert ds[1].fix is None and "false" in ds[1].message


def test_known_image_gets_its_writable_paths() -> None:
    before = """
    services:
      web:
        image: nginx:1.27
        volumes:
          - ./site:/usr/share/nginx/html:ro
          - cache:/var/cache
    """
    assert fixed(before, CODE) == dedent(
        """
        services:
          web:
            image: nginx:1.27
            volumes:
              - ./site:/usr/share/nginx/html:ro
              - cache:/var/cache
            read_only: true
            tmpfs:
              - /tmp
              - /var/run
        """
    )


def test_existing_tmpfs_list_is_extended_when_last() -> None:
    before = "services:\n  db:\n    image: postgres:17\n    tmpfs:\n      - /tmp:size=64m\n"
    assert fixed(before, CODE) == (
        "services:\n  db:\n    image: postgres:17\n    tmpfs:\n      - /tmp:size=64m\n"
        "      - /var/run/postgresql\n    read_only: true\n"
    )


def test_unknown_paths_decline_with_a_reason() -> None:
    """Built images, unknown images, images whose writes upstream does not settle, linuxserver
    (rewrites /etc/passwd) and grafana without a volume for its data: no read_only, and why."""
    text = """
    services:
      built:
        build: .
      unknown:
        image: example/app:1
      rabbit:
        image: rabbitmq:4
      lsio:
        image: lscr.io/linuxserver/radarr:latest
      grafana:
        image: grafana/grafana:11.0.0
    """
    ds = findings(text, CODE)
    assert [d.fix for d in ds] == [None] * 5
    notes = [d.note or "" for d in ds]
    assert all(n.startswith("left for a human") for n in notes)
    assert "/etc/passwd" in notes[3] and "/var/lib/grafana" in notes[4]
    assert fixed(text, CODE) == dedent(text)


def test_read_only_comes_with_the_images_writable_paths() -> None:
    before = """
    services:
      web:
        image: nginx:1.27
      grafana:
        image: grafana/grafana:11.0.0
        volumes: [data:/var/lib/grafana]
    """
    after = fixed(before, CODE)
    assert (
        "    image: nginx:1.27\n    read_only: true\n    tmpfs: [/tmp, /var/cache/nginx, /var/run]\n" in after
    )
    assert "tmpfs: [/tmp, /var/log/grafana]" in after


def test_needs_unsafe_flag() -> None:
    text = dedent("services:\n  a:\n    image: x\n")
    assert fixed(text, CODE, unsafe=False) == text


def test_already_read_only_crlf_file_unchanged() -> None:
    text = "services:\r\n  a:\r\n    image: x\r\n    read_only: true\r\n"
    assert rows(text, CODE, raw=True) == []
    assert fixed(text, CODE, raw=True) == text
