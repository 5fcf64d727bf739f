from tests.compose.util import findings, rows

CODE = "HF607"


def test_unconfined_profiles_fire() -> None:
    text = """
    services:
      a:
        security_opt:
          - seccomp:unconfined
          - apparmor=unconfined
          - label:disable
          - systempaths=unconfined
          - no-new-privileges:true
          - seccomp:./profile.json
    """
    ds = findings(text, CODE)
    assert [d.location.row for d in ds] == [4, 5, 6, 7]
    assert "seccomp" in ds[0].message and "AppArmor" in ds[1].message and "SELinux" in ds[2].message
    assert all(d.fix is None for d in ds)


def test_confined_services_pass_and_pragma() -> None:
    text = """
    services:
      a:
        security_opt: [seccomp:./profile.json, apparmor:my-profile]
      # hardenify: ignore[HF607]
      b:
        security_opt: [seccomp:unconfined]
    """
    assert rows(text, CODE) == []
