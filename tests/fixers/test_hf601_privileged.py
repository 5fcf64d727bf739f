from hardenify.diagnostics import Applicability
from tests.compose.util import dedent, findings, fixed, rows

CODE = "HF601"


def test_privileged_true_fires_on_its_line() -> None:
    text = "services:\n  a:\n    image: x\n    privileged: true\n  b:\n    image: y\n    privileged: false\n"
    ds = findings(text, CODE)
    assert [(d.code, d.location.row) for d in ds] == [("HF601", 4)]
    assert ds[0].fix is not None and ds[0].fix.applicability is Applicability.UNSAFE


def test_quoted_true_counts_and_variables_do_not() -> None:
    assert rows('services:\n  a:\n    privileged: "true"\n', CODE) == [("HF601", 3)]
    assert rows("services:\n  a:\n    privileged: ${PRIV:-true}\n", CODE) == []


def test_unsafe_fix_removes_the_line_keeping_comments() -> None:
    before = """
    services:
      a:
        image: x  # the app
        # needs the GPU? no
        privileged: true  # legacy
        ports: ["80:80"]
    """
    assert fixed(before, CODE) == dedent(
        """
        services:
          a:
            image: x  # the app
            # needs the GPU? no
            ports: ["80:80"]
        """
    )
    assert fixed(before, CODE, unsafe=False) == dedent(before)


def test_only_key_is_set_to_false() -> None:
    assert (
        fixed("services:\n  a:\n    privileged: true\n", CODE) == "services:\n  a:\n    privileged: false\n"
    )


def test_merged_from_a_shared_anchor_edits_the_anchor_and_says_so() -> None:
    before = """
    x-base: &base
      privileged: true
      restart: always
    services:
      a:
        <<: *base
        image: x
      b:
        <<: *base
        image: y
    """
    ds = findings(before, CODE)
    assert [d.location.row for d in ds] == [5, 8]  # each service key, not the shared line
    assert "&base" in ds[0].message
    assert ds[0].fix is not None and "also changes b" in ds[0].fix.message
    assert fixed(before, CODE) == dedent(
        """
        x-base: &base
          restart: always
        services:
          a:
            <<: *base
            image: x
          b:
            <<: *base
            image: y
        """
    )


def test_anchor_used_outside_services_gets_no_fix() -> None:
    text = "defaults: &d\n  privileged: true\n  image: x\nservices:\n  a:\n    <<: *d\n"
    ds = findings(text, CODE)
    assert len(ds) == 1 and ds[0].fix is None


def test_pragmas() -> None:
    text = dedent(
        """
        services:
          # hardenify: ignore[HF601]
          a:
            privileged: true
          b:
            # hardenify: ignore[HF601]
            privileged: true
          c:
            privileged: true  # hardenify: ignore[HF601]
          d:
            privileged: true
        """
    )
    assert rows(text, CODE) == [("HF601", 11)]


def test_crlf_and_no_final_newline_survive() -> None:
    before = "services:\r\n  a:\r\n    image: x\r\n    privileged: true"
    assert fixed(before, CODE, raw=True) == "services:\r\n  a:\r\n    image: x"
