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


def test_unknown_image_gets_tmp_and_a_note() -> None:
    ds = findings("services:\n  a:\n    build: .\n", CODE)
    assert ds[0].note is not None and "only /tmp" in ds[0].note
    assert fixed("services:\n  a:\n    build: .\n", CODE) == "services:\n  a:\n    build: .\n    read_only: true\n    tmpfs:\n      - /tmp\n"


def test_needs_unsafe_flag() -> None:
    text = dedent("services:\n  a:\n    image: x\n")
    assert fixed(text, CODE, unsafe=False) == text


def test_already_read_only_crlf_file_unchanged() -> None:
    text = "services:\r\n  a:\r\n    image: x\r\n    read_only: true\r\n"
    assert rows(text, CODE, raw=True) == []
    assert fixed(text, CODE, raw=True) == text
