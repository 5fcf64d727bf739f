from hardenify.diagnostics import Applicability
from tests.compose.util import dedent, findings, fixed, rows

CODE = "HF606"


def test_detection_variants() -> None:
    text = """
    services:
      a:
        image: x
      b:
        image: x
        security_opt: [no-new-privileges]
      c:
        image: x
        security_opt: ["no-new-privileges=true"]
      d:
        image: x
        security_opt:
          - no-new-privileges:false
      e:
        image: x
        security_opt: [label:type:svirt_t]
    """
    ds = findings(text, CODE)
    assert [d.location.row for d in ds] == [2, 13, 14]
    assert "explicitly" in ds[1].message and ds[1].fix is None
    assert ds[2].fix is not None


def test_safety_follows_the_image() -> None:
    text = "services:\n  db:\n    image: postgres:17\n  web:\n    image: nginx:1.27\n  app:\n    image: example/app:1\n"
    got = [d.fix.applicability for d in findings(text, CODE) if d.fix]
    assert got == [Applicability.SAFE, Applicability.SAFE, Applicability.UNSAFE]


def test_fix_appends_in_flow_style_quoted_and_keeps_comments() -> None:
    before = """
    services:
      db:
        image: postgres:17  # pinned later
        security_opt: [label:type:x]  # SELinux
    """
    assert fixed(before, CODE, unsafe=False) == dedent(
        """
        services:
          db:
            image: postgres:17  # pinned later
            security_opt: [label:type:x, "no-new-privileges:true"]  # SELinux
        """
    )


def test_fix_adds_block_list_to_anchor_used_once() -> None:
    before = """
    x-sec: &sec
      security_opt:
        - apparmor:docker-default
    services:
      db:
        <<: *sec
        image: postgres:17
    """
    assert fixed(before, CODE) == dedent(
        """
        x-sec: &sec
          security_opt:
            - apparmor:docker-default
            - no-new-privileges:true
        services:
          db:
            <<: *sec
            image: postgres:17
        """
    )


def test_anchor_shared_by_services_makes_the_fix_unsafe() -> None:
    text = """
    x-sec: &sec
      security_opt: [apparmor:docker-default]
    services:
      a:
        <<: *sec
        image: postgres:17
      b:
        <<: *sec
        image: postgres:17
    """
    ds = findings(text, CODE)
    assert [d.fix.applicability for d in ds if d.fix] == [Applicability.UNSAFE, Applicability.UNSAFE]


def test_no_final_newline_kept() -> None:
    assert fixed("services:\n  db:\n    image: redis:7", CODE, raw=True) == (
        "services:\n  db:\n    image: redis:7\n    security_opt:\n      - no-new-privileges:true"
    )
    assert (
        rows(
            "services:\n  db:\n    image: redis:7\n    security_opt: [no-new-privileges:true]", CODE, raw=True
        )
        == []
    )
