"""The image facts of `hardenify.knowledge.images`: sourced, consistent, and looked up by tag."""

from __future__ import annotations

import pytest

from hardenify.knowledge.images import FAMILIES, cap_add, family, writable_paths


def test_every_family_says_where_its_facts_come_from() -> None:
    for fam in FAMILIES:
        assert fam.source.startswith("https://github.com/"), fam.name
        assert fam.keys, fam.name


def test_root_starters_get_setuid_and_setgid_and_non_root_images_get_nothing() -> None:
    for fam in FAMILIES:
        if fam.root_start:
            assert fam.cap_add is not None and {"SETUID", "SETGID"} <= set(fam.cap_add), fam.name
        else:
            assert fam.cap_add == () and fam.uid not in (None, 0), fam.name


def test_one_family_per_image_and_variant() -> None:
    seen: dict[tuple[str, str], str] = {}
    for fam in FAMILIES:
        for key in fam.keys:
            assert (key, fam.variant) not in seen, (key, fam.variant, seen.get((key, fam.variant)))
            seen[(key, fam.variant)] = fam.name


@pytest.mark.parametrize(
    ("key", "tag", "name"),
    [
        ("postgres", "17-alpine", "postgres"),
        ("postgis/postgis", "16-3.4", "postgres"),
        ("php", "8.3-apache", "php-apache"),
        ("php", "8.3-fpm-alpine", "php-fpm"),
        ("php", "8.3-cli", None),
        ("wordpress", "6.6-php8.3-fpm", "wordpress-fpm"),
        ("wordpress", "latest", "wordpress"),
        ("lscr.io/linuxserver/jellyfin", "latest", "linuxserver"),
        ("bitnami/postgresql", "16", "bitnami"),
        ("bitnami/minideb", "bookworm", None),
        ("example/app", "1", None),
    ],
)
def test_lookup_by_key_and_tag(key: str, tag: str, name: str | None) -> None:
    fam = family(key, tag)
    assert (fam.name if fam else None) == name


def test_unknown_means_unknown_not_empty() -> None:
    assert cap_add("example/app", "1") is None
    assert cap_add("prom/prometheus", "v2.53.0") == ()
    assert cap_add("nginx", "1.27") == ("CHOWN", "NET_BIND_SERVICE", "SETGID", "SETUID")
    fam, why = writable_paths("rabbitmq", "4")
    assert fam is None and why and "not settled" in why
    fam, why = writable_paths("nginx", "1.27")
    assert fam is not None and fam.writable == ("/tmp", "/var/cache/nginx", "/var/run") and why is None
