"""`hardenify.knowledge.bases` and `.programs`: the facts HF101 and HF413 share, kept once."""

from __future__ import annotations

from pathlib import Path

from hardenify.knowledge import bases, programs

FIXERS = Path(__file__).resolve().parents[1] / "fixers"


def test_shell_less_bases() -> None:
    for image in (
        "scratch",
        "gcr.io/distroless/static-debian12:nonroot",
        "gcr.io/distroless/cc-debian12@sha256:" + "a" * 64,
        "cgr.dev/chainguard/static",
        "mcr.microsoft.com/dotnet/runtime-deps:8.0-jammy-chiseled",
    ):
        assert not bases.has_shell(image), image
        assert bases.nonroot_user(image) == "65532:65532"
    for image in ("debian:12", "alpine:3.20", "python:3.12-slim", "node:22-slim", "busybox"):
        assert bases.has_shell(image), image
        assert bases.nonroot_user(image) is None


def test_family_facts_have_sources() -> None:
    assert bases.FAMILIES["distroless"].users["nonroot"] == "65532:65532"
    assert not bases.FAMILIES["scratch"].shell and bases.FAMILIES["debian"].shell
    assert all(f.source for f in bases.FAMILIES.values())


def test_root_starters() -> None:
    for word in ("gosu", "/usr/local/bin/su-exec", "setpriv", "chpst", "s6-setuidgid", "runuser", "su"):
        assert programs.root_starter(word) is not None, word
    for word in ("supervisord", "runsvdir", "/init", "/sbin/init", "/usr/sbin/sshd", "iptables", "openvpn"):
        assert programs.root_starter(word) is not None, word
    for word in ("python", "node", "/app/server", "tini", "dumb-init"):
        assert programs.root_starter(word) is None, word
    assert programs.is_network_tool("/sbin/iptables") and not programs.is_network_tool("gosu")


def test_no_rule_keeps_its_own_copy() -> None:
    """The tables moved out of `fixers/` stay out (issue 13: one place for base-image facts)."""
    for path in FIXERS.glob("*.py"):
        text = path.read_text()
        for name in (
            "NONROOT_IMAGES = ",
            "DISTROLESS_USERS = ",
            "DEBIAN_USERS = ",
            "PRIVILEGE_DROPPERS = ",
            "_SHELL_LESS = ",
        ):
            assert name not in text, (path.name, name)
