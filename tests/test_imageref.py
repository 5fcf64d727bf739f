import pytest

from hardenify.imageref import ImageRefError, is_valid_digest, parse_ref

D = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("ref", "registry", "path", "tag", "digest"),
    [
        ("python", "docker.io", "library/python", None, None),
        ("python:3.12-slim", "docker.io", "library/python", "3.12-slim", None),
        (f"python:3.12@{D}", "docker.io", "library/python", "3.12", D),
        ("bitnami/redis:7", "docker.io", "bitnami/redis", "7", None),
        (
            "gcr.io/distroless/static-debian12:nonroot",
            "gcr.io",
            "distroless/static-debian12",
            "nonroot",
            None,
        ),
        ("localhost:5000/app:1", "localhost:5000", "app", "1", None),
        ("127.0.0.1:5000/a/b", "127.0.0.1:5000", "a/b", None, None),
        ("index.docker.io/library/node:22", "docker.io", "library/node", "22", None),
    ],
)
def test_parse(ref: str, registry: str, path: str, tag: str | None, digest: str | None) -> None:
    r = parse_ref(ref)
    assert (r.registry, r.path, r.tag, r.digest) == (registry, path, tag, digest)


def test_familiar_and_str() -> None:
    assert parse_ref("docker.io/library/python:3").familiar == "python"
    assert str(parse_ref("python:3").with_digest(D)) == f"python:3@{D}"
    assert str(parse_ref("gcr.io/x/y:1")) == "gcr.io/x/y:1"


@pytest.mark.parametrize("bad", ["", "Python:3", "a b", "x@sha256:zz", "x:!bad"])
def test_errors(bad: str) -> None:
    with pytest.raises(ImageRefError):
        parse_ref(bad)


def test_digest_validation() -> None:
    assert is_valid_digest(D)
    assert not is_valid_digest("sha256:" + "A" * 64) and not is_valid_digest("sha256:abc")
