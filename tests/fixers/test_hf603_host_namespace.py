from tests.compose.util import findings, rows

CODE = "HF603"


def test_each_host_namespace_fires() -> None:
    text = """
    services:
      a:
        network_mode: host
        pid: "host"
        ipc: host
        uts: host
        userns_mode: host
    """
    ds = findings(text, CODE)
    assert [d.location.row for d in ds] == [3, 4, 5, 6, 7]
    assert "CIS 5.9" in ds[0].message and "CIS 5.15" in ds[1].message


def test_other_modes_pass() -> None:
    text = """
    services:
      a:
        network_mode: "service:b"
        pid: container:abc
        ipc: shareable
      b:
        network_mode: bridge
    """
    assert rows(text, CODE) == []


def test_merged_setting_points_at_the_service() -> None:
    text = "x: &x\n  network_mode: host\nservices:\n  a:\n    <<: *x\n    image: y\n"
    ds = findings(text, CODE)
    assert [d.location.row for d in ds] == [4]
    assert "&x at line 2" in ds[0].message
