from tests.compose.util import findings, rows

CODE = "HF604"


def test_dangerous_capabilities_fire_per_entry() -> None:
    text = """
    services:
      a:
        cap_add:
          - NET_BIND_SERVICE
          - CAP_SYS_ADMIN
          - sys_ptrace
        cap_drop: [ALL]
      b:
        cap_add: [ALL, CHOWN]
    """
    ds = findings(text, CODE)
    assert [(d.location.row, d.message.split(" capability ")[1].split(" ")[0]) for d in ds] == [
        (5, "SYS_ADMIN"),
        (6, "SYS_PTRACE"),
        (9, "ALL"),
    ]
    assert all(d.fix is None for d in ds)


def test_default_capabilities_pass() -> None:
    assert rows("services:\n  a:\n    cap_add: [CHOWN, SETUID, NET_BIND_SERVICE]\n", CODE) == []
