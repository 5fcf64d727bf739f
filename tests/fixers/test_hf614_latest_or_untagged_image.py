from tests.compose.util import findings

CODE = "HF614"


def test_latest_and_untagged_fire_on_the_value() -> None:
    text = """
    services:
      a:
        image: redis
      b:
        image: "nginx:latest"
      c:
        image: postgres:17
      d:
        image: postgres@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
      e:
        image: app:${TAG:-latest}
      f:
        image: app:${TAG}
      g:
        build: .
        image: myapp
    """
    ds = findings(text, CODE)
    assert [(d.location.row, d.location.column) for d in ds] == [(3, 12), (5, 12), (11, 12)]
    assert "redis:7.4" in ds[0].message
