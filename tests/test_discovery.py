"""File discovery: the name matrix, walking, excludes, .gitignore, symlinks and errors."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from hardenify.discovery import DEFAULT_EXCLUDES, Found, GitIgnore, discover, kind_for_name
from hardenify.settings import Settings


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("FROM scratch\n")


def rel(found: Iterable[Found], root: Path) -> list[str]:
    """The found paths relative to `root` (relative paths are relative to the cwd)."""
    return [(f.path if not f.path.is_absolute() else f.path.relative_to(root)).as_posix() for f in found]


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from an empty directory: anchored excludes are relative to the cwd by default."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ------------------------------------------------------------------------------ names


@pytest.mark.parametrize(
    "name",
    [
        "Dockerfile",
        "dockerfile",
        "Dockerfile.prod",
        "Dockerfile.dev.arm64",
        "Dockerfile-windows",
        "Dockerfile-prod.alpine",
        "api.Dockerfile",
        "api.dockerfile",
        "Containerfile",
        "Containerfile.fedora",
    ],
)
def test_dockerfile_names(name: str) -> None:
    assert kind_for_name(name) == "dockerfile"


@pytest.mark.parametrize(
    "name",
    [
        "Dockerfile.md",
        "Dockerfile.j2",
        "Dockerfile.jinja",
        "Dockerfile.tmpl",
        "Dockerfile.template",
        "Dockerfile.sh",
        "Dockerfile.py",
        "Dockerfile.json",
        "Dockerfile.yml",
        "Dockerfile.yaml",
        "Dockerfile.txt",
        "Dockerfile.orig",
        "Dockerfile.bak",
        "Dockerfile.rej",
        "Dockerfile.swp",
        "Dockerfile.MD",
        "Dockerfile.prod.j2",
        "Dockerfile-prod.bak",
        "Containerfile.md",
        "Dockerfile.",
        "Dockerfile-",
        "Dockerfiles",
        ".Dockerfile",
        "Dockerfile~",
        "README.md",
        "Makefile",
        "docker.yml",
    ],
)
def test_not_dockerfile_names(name: str) -> None:
    assert kind_for_name(name) is None


@pytest.mark.parametrize(
    "name", [".dockerignore", "Dockerfile.dockerignore", "api.Dockerfile.dockerignore", "web.dockerignore"]
)
def test_dockerignore_names(name: str) -> None:
    assert kind_for_name(name) == "dockerignore"


@pytest.mark.parametrize(
    "name",
    [
        "compose.yaml",
        "compose.yml",
        "docker-compose.yaml",
        "docker-compose.yml",
        "compose.override.yaml",
        "compose.override.yml",
        "docker-compose.override.yml",
        "docker-compose.override.yaml",
        "docker-compose.prod.yml",
        "compose.dev.yaml",
        "docker-compose.ci.test.yml",
        "docker-compose-dev.yml",
    ],
)
def test_compose_names(name: str) -> None:
    assert kind_for_name(name) == "compose"


@pytest.mark.parametrize(
    "name",
    ["compose.json", "compose.yaml.bak", "my-compose.yml", "composer.yml", "compose-dev.yml", "docker.yml"],
)
def test_not_compose_names(name: str) -> None:
    assert kind_for_name(name) != "compose"


# ------------------------------------------------------------------------------ walking


def test_walk_is_sorted_and_recursive_with_kinds(in_tmp: Path) -> None:
    touch(
        in_tmp, "b/Dockerfile", "a/compose.yaml", "a/.dockerignore", "a/z/Containerfile", "README.md", "x.py"
    )
    found = discover(["."])
    assert rel(found, in_tmp) == ["a/.dockerignore", "a/compose.yaml", "a/z/Containerfile", "b/Dockerfile"]
    assert [f.kind for f in found] == ["dockerignore", "compose", "dockerfile", "dockerfile"]
    assert not any(f.explicit for f in found)
    assert found.errors == []
    # Paths are shown the way they were reached: "." + "a/compose.yaml" is "a/compose.yaml".
    assert found[1].path == Path("a/compose.yaml")


def test_walk_keeps_the_given_directory_prefix(tmp_path: Path) -> None:
    touch(tmp_path, "svc/Dockerfile")
    found = discover([tmp_path / "svc"], root=tmp_path)
    assert [f.path for f in found] == [tmp_path / "svc" / "Dockerfile"]


def test_explicit_files_keep_argument_order_and_any_name(in_tmp: Path) -> None:
    touch(in_tmp, "zeta.Dockerfile", "alpha/Dockerfile", "build-image", "notes.txt")
    found = discover(["zeta.Dockerfile", "build-image", "alpha"])
    assert [(str(f.path), f.kind, f.explicit) for f in found] == [
        ("zeta.Dockerfile", "dockerfile", True),
        ("build-image", "dockerfile", True),  # an unknown name given explicitly is a Dockerfile
        ("alpha/Dockerfile", "dockerfile", False),
    ]


def test_explicit_dockerignore_and_compose_keep_their_kind(in_tmp: Path) -> None:
    touch(in_tmp, ".dockerignore", "compose.yaml")
    found = discover([".dockerignore", "compose.yaml"])
    assert [f.kind for f in found] == ["dockerignore", "compose"]


def test_duplicates_are_listed_once(in_tmp: Path) -> None:
    touch(in_tmp, "app/Dockerfile", "app/compose.yaml")
    found = discover(["app/Dockerfile", "app", "./app/Dockerfile", str(in_tmp / "app")])
    assert [str(f.path) for f in found] == ["app/Dockerfile", "app/compose.yaml"]
    assert found[0].explicit  # the first time it was reached wins


def test_missing_paths_are_error_values(in_tmp: Path) -> None:
    touch(in_tmp, "Dockerfile")
    found = discover(["nope/Dockerfile", "Dockerfile", "gone"])
    assert [str(f.path) for f in found] == ["Dockerfile"]
    assert [(str(e.path), e.reason) for e in found.errors] == [
        ("nope/Dockerfile", "No such file or directory"),
        ("gone", "No such file or directory"),
    ]
    assert str(found.errors[0]) == "nope/Dockerfile: No such file or directory"


def test_broken_symlink_given_explicitly_is_an_error(in_tmp: Path) -> None:
    os.symlink("missing-target", in_tmp / "Dockerfile")
    found = discover(["Dockerfile"])
    assert list(found) == []
    assert [e.reason for e in found.errors] == ["broken symbolic link"]


def test_unreadable_directory_is_reported_and_the_rest_continues(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    touch(in_tmp, "locked/Dockerfile", "open/Dockerfile")
    real_scandir = os.scandir

    def scandir(path: str) -> Any:
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)  # as if chmod 000 (root would ignore that)
    found = discover(["."])
    assert rel(found, in_tmp) == ["open/Dockerfile"]
    assert [(str(e.path), e.reason) for e in found.errors] == [("locked", "Permission denied")]


# ------------------------------------------------------------------------------ excludes


def test_default_excludes_are_skipped_when_walking(in_tmp: Path) -> None:
    touch(in_tmp, "Dockerfile", *(f"{d}/Dockerfile" for d in DEFAULT_EXCLUDES), "src/vendor/x/Dockerfile")
    assert rel(discover(["."]), in_tmp) == ["Dockerfile"]


def test_explicit_path_is_checked_even_when_excluded(in_tmp: Path) -> None:
    touch(in_tmp, "vendor/Dockerfile", "node_modules/pkg/Dockerfile")
    found = discover(["vendor/Dockerfile", "node_modules/pkg"])
    assert rel(found, in_tmp) == ["vendor/Dockerfile", "node_modules/pkg/Dockerfile"]


def test_force_exclude_applies_excludes_to_explicit_paths(in_tmp: Path) -> None:
    touch(in_tmp, "vendor/Dockerfile", "app/Dockerfile", "app/Dockerfile.skip")
    settings = Settings(extend_exclude=("*.skip",))
    found = discover(
        ["vendor/Dockerfile", "app/Dockerfile", "app/Dockerfile.skip"], settings, force_exclude=True
    )
    assert rel(found, in_tmp) == ["app/Dockerfile"]
    assert found.errors == []


def test_settings_exclude_replaces_defaults_and_extend_exclude_adds(in_tmp: Path) -> None:
    touch(in_tmp, "vendor/Dockerfile", "legacy/Dockerfile", "app/Dockerfile", "app/Dockerfile.old")
    only_legacy = Settings(exclude=("legacy",))
    assert rel(discover(["."], only_legacy), in_tmp) == [
        "app/Dockerfile",
        "app/Dockerfile.old",
        "vendor/Dockerfile",  # the defaults no longer apply
    ]
    extended = Settings(extend_exclude=("legacy", "Dockerfile.old"))
    assert rel(discover(["."], extended), in_tmp) == ["app/Dockerfile"]


def test_plain_exclude_list_is_used_as_is(in_tmp: Path) -> None:
    touch(in_tmp, "vendor/Dockerfile", "app/Dockerfile")
    assert rel(discover(["."], ["app"]), in_tmp) == ["vendor/Dockerfile"]
    assert rel(discover(["."], []), in_tmp) == ["app/Dockerfile", "vendor/Dockerfile"]


def test_exclude_with_slash_is_anchored_at_the_config_directory(tmp_path: Path) -> None:
    touch(tmp_path, "proj/services/legacy/Dockerfile", "proj/other/services/legacy/Dockerfile")
    settings = Settings(extend_exclude=("services/legacy",), source=str(tmp_path / "proj" / "hardenify.toml"))
    found = discover([tmp_path / "proj"], settings)
    assert rel(found, tmp_path) == ["proj/other/services/legacy/Dockerfile"]


def test_exclude_glob_with_doublestar(in_tmp: Path) -> None:
    touch(in_tmp, "a/tests/fixtures/Dockerfile", "tests/fixtures/x/Dockerfile", "tests/Dockerfile")
    found = discover(["."], Settings(extend_exclude=("**/fixtures/**",)))
    assert rel(found, in_tmp) == ["tests/Dockerfile"]


# ------------------------------------------------------------------------------ gitignore


@pytest.mark.parametrize(
    ("rules", "path", "is_dir", "expected"),
    [
        ("build", "build", True, True),
        ("build", "a/b/build", False, True),  # no slash: any depth
        ("/build", "build", True, True),
        ("/build", "a/build", True, None),  # leading slash: anchored
        ("docs/build", "docs/build", True, True),
        ("docs/build", "x/docs/build", True, None),  # a middle slash anchors too
        ("out/", "out", True, True),
        ("out/", "out", False, None),  # dir-only
        ("*.log\n!keep.log", "keep.log", False, False),
        ("*.log\n!keep.log", "x.log", False, True),
        ("!keep.log\n*.log", "keep.log", False, True),  # last match wins
        ("**/tmp", "a/b/tmp", True, True),
        ("**/tmp", "tmp", True, True),
        ("cache/**", "cache/x/y", False, True),
        ("cache/**", "cache", True, None),
        ("a/**/z", "a/z", True, True),
        ("a/**/z", "a/b/c/z", True, True),
        ("*.tmp", "a/x.tmp", False, True),
        ("a*b", "a/b", False, None),  # * does not cross /
        ("fo?", "foo", False, True),
        ("[abc].txt", "b.txt", False, True),
        ("[!abc].txt", "d.txt", False, True),
        ("[!abc].txt", "a.txt", False, None),
        ("\\#hash", "#hash", False, True),
        ("\\!bang", "!bang", False, True),
        ("# comment", "# comment", False, None),
        ("trailing   ", "trailing", False, True),
        ("space\\ ", "space ", False, True),
        ("", "anything", False, None),
    ],
)
def test_gitignore_matching(rules: str, path: str, is_dir: bool, expected: bool | None) -> None:
    assert GitIgnore.parse(rules).match(path, is_dir) is expected


def test_gitignore_root_nested_negation_and_dir_only(in_tmp: Path) -> None:
    (in_tmp / ".git").mkdir()
    touch(
        in_tmp,
        "Dockerfile",
        "generated/Dockerfile",
        "out/Dockerfile",
        "keep.Dockerfile",
        "drop.Dockerfile",
        "svc/Dockerfile",
        "svc/tmp/Dockerfile",
        "svc/local.Dockerfile",
        "svc/sub/local.Dockerfile",
    )
    (in_tmp / "out.Dockerfile").write_text("FROM x\n")  # a file named like the dir-only rule
    (in_tmp / ".gitignore").write_text("/generated\nout/\n*.Dockerfile\n!keep.Dockerfile\n")
    (in_tmp / "svc" / ".gitignore").write_text("tmp/\n!local.Dockerfile\n")
    found = discover(["."])
    assert rel(found, in_tmp) == [
        "Dockerfile",
        "keep.Dockerfile",
        "svc/Dockerfile",
        "svc/local.Dockerfile",  # the nested .gitignore re-includes it at any depth below svc
        "svc/sub/local.Dockerfile",
    ]


def test_gitignore_allow_list_idiom(in_tmp: Path) -> None:
    # Ignore everything, but keep walking directories and keep the Dockerfiles.
    (in_tmp / ".gitignore").write_text("*\n!*/\n!Dockerfile\n")
    touch(in_tmp, "Dockerfile", "svc/Dockerfile", "svc/compose.yaml", "svc/deep/Dockerfile")
    assert rel(discover(["."]), in_tmp) == ["Dockerfile", "svc/Dockerfile", "svc/deep/Dockerfile"]


def test_git_info_exclude_is_honoured(in_tmp: Path) -> None:
    (in_tmp / ".git" / "info").mkdir(parents=True)
    (in_tmp / ".git" / "info" / "exclude").write_text("scratch/\n")
    touch(in_tmp, "scratch/Dockerfile", "Dockerfile")
    assert rel(discover(["."]), in_tmp) == ["Dockerfile"]


def test_gitignore_has_precedence_over_info_exclude(in_tmp: Path) -> None:
    (in_tmp / ".git" / "info").mkdir(parents=True)
    (in_tmp / ".git" / "info" / "exclude").write_text("*.Dockerfile\n")
    (in_tmp / ".gitignore").write_text("!api.Dockerfile\n")
    touch(in_tmp, "api.Dockerfile", "web.Dockerfile")
    assert rel(discover(["."]), in_tmp) == ["api.Dockerfile"]


def test_parent_gitignore_applies_when_walking_a_subdirectory(in_tmp: Path) -> None:
    (in_tmp / ".git").mkdir()
    (in_tmp / ".gitignore").write_text("services/api/generated/\n*.local.Dockerfile\n")
    touch(
        in_tmp,
        "services/api/Dockerfile",
        "services/api/generated/Dockerfile",
        "services/api/dev.local.Dockerfile",
    )
    found = discover(["services/api"])
    assert [str(f.path) for f in found] == ["services/api/Dockerfile"]


def test_gitignore_outside_the_repository_is_not_read(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*\n")  # above the repo: must not apply
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    touch(repo, "Dockerfile")
    assert [f.path.name for f in discover([repo], root=repo)] == ["Dockerfile"]


def test_nested_repository_uses_its_own_rules(in_tmp: Path) -> None:
    (in_tmp / ".git").mkdir()
    (in_tmp / ".gitignore").write_text("*.Dockerfile\n")
    (in_tmp / "sub" / ".git").mkdir(parents=True)
    touch(in_tmp, "a.Dockerfile", "sub/b.Dockerfile")
    assert rel(discover(["."]), in_tmp) == ["sub/b.Dockerfile"]


def test_respect_gitignore_off(in_tmp: Path) -> None:
    (in_tmp / ".gitignore").write_text("ignored/\n")
    touch(in_tmp, "ignored/Dockerfile")
    assert rel(discover(["."]), in_tmp) == []
    assert rel(discover(["."], Settings(respect_gitignore=False)), in_tmp) == ["ignored/Dockerfile"]
    assert rel(discover(["."], respect_gitignore=False), in_tmp) == ["ignored/Dockerfile"]


def test_explicit_file_is_checked_even_when_gitignored(in_tmp: Path) -> None:
    (in_tmp / ".gitignore").write_text("*.Dockerfile\n")
    touch(in_tmp, "x.Dockerfile")
    assert rel(discover(["x.Dockerfile"]), in_tmp) == ["x.Dockerfile"]


def test_crlf_gitignore(in_tmp: Path) -> None:
    (in_tmp / ".gitignore").write_bytes(b"skip/\r\n*.bak.Dockerfile\r\n")
    touch(in_tmp, "skip/Dockerfile", "a.bak.Dockerfile", "Dockerfile")
    assert rel(discover(["."]), in_tmp) == ["Dockerfile"]


# ------------------------------------------------------------------------------ symlinks


def test_symlink_cycle_terminates(in_tmp: Path) -> None:
    touch(in_tmp, "a/Dockerfile")
    os.symlink("..", in_tmp / "a" / "up")
    os.symlink(".", in_tmp / "a" / "self")
    found = discover(["."])
    assert rel(found, in_tmp) == ["a/Dockerfile"]
    assert found.errors == []


def test_symlinks_out_of_the_tree_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    touch(outside, "Dockerfile", "deep/Dockerfile")
    tree = tmp_path / "tree"
    touch(tree, "Dockerfile")
    os.symlink(outside, tree / "linked-dir")
    os.symlink(outside / "Dockerfile", tree / "linked.Dockerfile")
    found = discover([tree], root=tree)
    assert [f.path for f in found] == [tree / "Dockerfile"]


def test_symlink_inside_the_tree_is_followed_once(in_tmp: Path) -> None:
    touch(in_tmp, "real/Dockerfile")
    os.symlink("real", in_tmp / "alias")
    os.symlink("real/Dockerfile", in_tmp / "link.Dockerfile")
    found = discover(["."])
    # "alias/Dockerfile" comes first in sorted order; the other two spellings are duplicates.
    assert rel(found, in_tmp) == ["alias/Dockerfile"]


def test_explicit_symlink_is_taken(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    touch(outside, "Dockerfile")
    tree = tmp_path / "tree"
    tree.mkdir()
    os.symlink(outside / "Dockerfile", tree / "Dockerfile")
    found = discover([tree / "Dockerfile"], root=tree)
    assert [f.path for f in found] == [tree / "Dockerfile"]
