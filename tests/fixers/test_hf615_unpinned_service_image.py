from tests.compose.util import findings

CODE = "HF615"
DIGEST = "sha256:" + "0" * 64


def test_unpinned_images_fire_like_pin_sees_them() -> None:
    text = f"""
    x-base: &base
      image: postgres:17
    services:
      a:
        <<: *base
      b:
        <<: *base
      c:
        image: redis:7@{DIGEST}
      d:
        image: ${{IMAGE}}
      e:
        build: .
        image: mine
    """
    ds = findings(text, CODE)
    assert [d.location.row for d in ds] == [2]  # the shared anchor is one site
    assert "hardenify pin" in ds[0].message and ds[0].fix is None


def test_sites_match_the_pin_command() -> None:
    from hardenify.pinning import scan_compose
    from tests.compose.util import dedent

    text = dedent(
        "services:\n  a:\n    image: nginx:1.27\n  b:\n    image: 'redis'\n  c:\n    build: .\n    image: x\n"
    )
    sites = [(s.start, s.end) for s in scan_compose(text).sites]
    assert [(d.start, d.end) for d in findings(text, CODE)] == sites
