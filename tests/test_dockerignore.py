"""`.dockerignore` model: lossless round-trip and BuildKit's (moby/patternmatcher) matching."""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardenify.diagnostics import Edit
from hardenify.dockerignore import DockerIgnore, PatternSyntaxError, compile_pattern, go_clean


def excluded(text: str, path: str) -> bool:
    return DockerIgnore.parse(text).excludes(path)


# ------------------------------------------------------------------------------ filepath.Clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("", "."),
        (".", "."),
        ("./", "."),
        ("a//b", "a/b"),
        ("a/./b/", "a/b"),
        ("a/../b", "b"),
        ("a/b/../../..", ".."),
        ("../a", "../a"),
        ("/../a", "/a"),
        ("/", "/"),
        ("//a//", "/a"),
        ("abc/def/../../..", ".."),
    ],
)
def test_go_clean_matches_go_filepath_clean(raw: str, clean: str) -> None:
    assert go_clean(raw) == clean


# ------------------------------------------------------------------------------ Docker's docs

# The example file of https://docs.docker.com/build/concepts/context/#dockerignore-files
DOCS_EXAMPLE = "# comment\n*/temp*\n*/*/temp*\ntemp?\n"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("somedir/temporary.txt", True),  # */temp*: one level below the root
        ("somedir/temp", True),
        ("somedir/temp/inside.txt", True),  # and everything under a matched directory
        ("somedir/subdir/temporary.txt", True),  # */*/temp*: two levels below
        ("tempa", True),  # temp?
        ("tempb", True),
        ("temp", False),  # ? needs exactly one character
        ("tempab", False),
        ("temporary.txt", False),  # */temp* does not match at the root
        ("a/b/c/temp.txt", False),  # nor three levels down
        ("comment", False),
        ("# comment", False),
    ],
)
def test_docs_example(path: str, expected: bool) -> None:
    assert excluded(DOCS_EXAMPLE, path) is expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [("main.go", True), ("cmd/app/main.go", True), ("main.gox", False), ("go", False)],
)
def test_doublestar_go_files_in_every_directory_including_root(path: str, expected: bool) -> None:
    assert excluded("**/*.go\n", path) is expected


def test_exception_reincludes_readme() -> None:
    di = DockerIgnore.parse("*.md\n!README.md\n")
    assert di.excludes("CHANGES.md")
    assert not di.excludes("README.md")
    assert di.would_reinclude("README.md")
    assert not di.would_reinclude("CHANGES.md")


def test_docs_readme_secret_example_order_matters() -> None:
    # "No markdown files are included in the context except README files other than
    # README-secret.md."
    di = DockerIgnore.parse("*.md\n!README*.md\nREADME-secret.md\n")
    assert di.excludes("notes.md")
    assert not di.excludes("README.md")
    assert not di.excludes("README-dev.md")
    assert di.excludes("README-secret.md")
    assert not di.would_reinclude("README-secret.md")
    # "All of the README files are included. The middle line has no effect because
    # !README*.md matches README-secret.md and comes last."
    di = DockerIgnore.parse("*.md\nREADME-secret.md\n!README*.md\n")
    assert not di.excludes("README-secret.md")
    assert di.would_reinclude("README-secret.md")


# ------------------------------------------------------------------------------ semantics


def test_pattern_excludes_everything_under_a_matched_directory() -> None:
    di = DockerIgnore.parse("node_modules\n")
    assert di.excludes("node_modules")
    assert di.excludes("node_modules/left-pad/index.js")
    assert not di.excludes("src/node_modules")  # no implicit **/: only at the root


def test_exception_below_an_excluded_directory() -> None:
    di = DockerIgnore.parse("docs\n!docs/keep.txt\n")
    assert di.excludes("docs/other.txt")
    assert not di.excludes("docs/keep.txt")
    assert di.would_reinclude("docs/keep.txt")


def test_last_match_wins() -> None:
    assert not excluded("*.env\n!prod.env\n", "prod.env")
    assert excluded("!prod.env\n*.env\n", "prod.env")
    assert excluded(".env\n!.env\n.env\n", ".env")


def test_exception_without_earlier_exclusion_is_still_a_reinclude() -> None:
    di = DockerIgnore.parse("!.env\n")
    assert not di.excludes(".env")
    assert di.would_reinclude(".env")
    assert not di.would_reinclude("other")


@pytest.mark.parametrize(
    "pattern", ["/secret", "./secret", "secret/", "/./secret/", "x/../secret", "//secret"]
)
def test_patterns_are_cleaned_like_docker(pattern: str) -> None:
    di = DockerIgnore.parse(pattern + "\n")
    assert di.patterns[0].pattern == "secret"
    assert di.excludes("secret")
    assert di.excludes("secret/key.pem")


@pytest.mark.parametrize("path", ["secret", "./secret", "/secret", "secret/", "a/../secret"])
def test_paths_are_normalised_before_matching(path: str) -> None:
    assert excluded("secret\n", path)


def test_root_and_empty_paths_are_never_excluded() -> None:
    di = DockerIgnore.parse("*\n")
    assert not di.excludes(".")
    assert not di.excludes("")
    assert di.excludes("anything")
    assert di.excludes("a/b/c")


def test_star_and_question_mark_stay_within_a_segment() -> None:
    assert excluded("*.pem\n", "key.pem")
    assert not excluded("*.pem\n", "certs/key.pem")
    assert excluded("certs/*.pem\n", "certs/key.pem")
    assert not excluded("a?c\n", "a/c")


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("**", "anything/at/all", True),
        ("foo/**", "foo/x", True),
        ("foo/**", "foo/x/y", True),
        ("foo/**", "foo", False),
        ("**/foo", "foo", True),
        ("**/foo", "a/b/foo", True),
        ("**/foo", "a/barfoo", False),
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/y/b", True),
        ("a/**/b", "a/x/c", False),
        ("**/*.key", "deep/down/id.key", True),
        # moby's fast path: "**" then literal text is a plain suffix test.
        ("**foo", "barfoo", True),
        ("**foo", "a/barfoo", True),
        # ... and literal text then a trailing "**" a plain prefix test.
        ("foo**", "foobar", True),
        ("foo**", "fo", False),
    ],
)
def test_doublestar(pattern: str, path: str, expected: bool) -> None:
    assert excluded(pattern + "\n", path) is expected


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("[abc].txt", "b.txt", True),
        ("[abc].txt", "d.txt", False),
        ("[a-c].txt", "c.txt", True),
        ("[^a-c].txt", "d.txt", True),
        ("[^a-c].txt", "a.txt", False),
        ("[\\]].txt", "].txt", True),
        ("\\*.txt", "*.txt", True),
        ("\\*.txt", "a.txt", False),
        ("a\\?", "a?", True),
        ("a\\?", "ab", False),
        ("a.b", "axb", False),  # "." is literal
        ("a+(b)", "a+(b)", True),
        ("$HOME", "$HOME", True),
    ],
)
def test_filepath_match_syntax(pattern: str, path: str, expected: bool) -> None:
    assert excluded(pattern + "\n", path) is expected


@pytest.mark.parametrize("pattern", ["[", "[a", "[]", "[]a]", "[-a]", "[a-]", "a\\", "[\\"])
def test_bad_patterns_are_errors_not_exceptions(pattern: str) -> None:
    with pytest.raises(PatternSyntaxError):
        compile_pattern(pattern)
    di = DockerIgnore.parse(f"{pattern}\nok\n")
    assert [p.raw for p in di.errors] == [pattern]
    assert di.errors[0].error is not None and "syntax error" in di.errors[0].error
    assert not di.excludes(pattern)  # a broken pattern never matches
    assert di.excludes("ok")


@pytest.mark.parametrize("line", ["!", "!  ", " ! "])
def test_lone_exclamation_mark_is_illegal(line: str) -> None:
    di = DockerIgnore.parse(line + "\n")
    assert di.errors and di.errors[0].error == 'illegal exclusion pattern: "!"'


def test_slash_bang_becomes_an_exception_as_in_moby() -> None:
    # ReadAll strips the leading "/" and New() then sees "!x": a quirk worth keeping.
    di = DockerIgnore.parse("*\n/!keep\n")
    assert di.patterns[1].negated
    assert not di.excludes("keep")


@given(
    pattern=st.lists(st.text("ab*?.", min_size=1, max_size=4), min_size=1, max_size=3),
    path=st.lists(st.text("ab.", min_size=1, max_size=4), min_size=1, max_size=3),
)
def test_single_star_patterns_agree_with_per_segment_fnmatch(pattern: list[str], path: list[str]) -> None:
    """Without `**` and parents, a match is Go's filepath.Match: fnmatch per segment."""
    pat = "/".join(pattern)
    if "**" in pat:
        return
    expected = len(pattern) == len(path) and all(
        fnmatchcase(s, p) for s, p in zip(path, pattern, strict=True)
    )
    assert compile_pattern(pat)("/".join(path)) is expected


# ------------------------------------------------------------------------------ lines, spans


def test_comments_blanks_and_spans() -> None:
    text = "# build context\n\n  .git  \n!keep\n\t# not a comment\n"
    di = DockerIgnore.parse(text)
    assert [ln.kind for ln in di.lines] == ["comment", "blank", "pattern", "pattern", "pattern"]
    assert [p.line for p in di.patterns] == [3, 4, 5]
    for p in di.patterns:
        assert text[p.start : p.end] == p.raw
    assert di.patterns[0].raw == ".git"
    assert di.patterns[1].negated and di.patterns[1].pattern == "keep"
    # A "#" that is not the first character is a pattern (Docker only skips column-0 "#").
    assert di.patterns[2].pattern == "# not a comment"
    assert di.excludes("# not a comment")


def test_crlf_lines_and_newline_style() -> None:
    text = ".git\r\n*.pem\r\n!ok.pem\r\n"
    di = DockerIgnore.parse(text)
    assert di.newline == "\r\n"
    assert [p.pattern for p in di.patterns] == [".git", "*.pem", "ok.pem"]
    assert all(ln.newline == "\r\n" for ln in di.lines)
    assert di.excludes("a.pem") and not di.excludes("ok.pem")


def test_bom_is_skipped_on_the_first_line_only() -> None:
    di = DockerIgnore.parse("\ufeff# comment\n.env\n")
    assert di.bom
    assert di.lines[0].kind == "comment"
    assert [p.pattern for p in di.patterns] == [".env"]
    di = DockerIgnore.parse("\ufeff.env")
    assert di.patterns[0].pattern == ".env"
    assert di.patterns[0].start == 1


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\ufeff",
        "\n",
        ".git",
        ".git\n",
        ".git\r\n.env",
        "\ufeff.git\r\n*.pem\n# mixed\r\n",
        "  \n\t\n",
        "a\rb\n",  # a lone CR is not a line break for Docker
        "weird \udcff bytes\n",  # surrogateescape'd undecodable bytes
        "!\n[\n",
    ],
)
def test_render_is_lossless(text: str) -> None:
    di = DockerIgnore.parse(text)
    assert di.render() == text
    assert len(di.lines) == text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def test_final_newline_state() -> None:
    assert DockerIgnore.parse(".git\n").final_newline
    assert not DockerIgnore.parse(".git").final_newline
    assert DockerIgnore.parse("").final_newline


# ------------------------------------------------------------------------------ appending


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (".git\n", ".git\n.env\n*.pem\n"),
        (".git", ".git\n.env\n*.pem"),  # no final newline stays that way
        (".git\r\n", ".git\r\n.env\r\n*.pem\r\n"),
        (".git\r\nnode_modules", ".git\r\nnode_modules\r\n.env\r\n*.pem"),
        ("", ".env\n*.pem\n"),
        ("\ufeff", "\ufeff.env\n*.pem\n"),
        ("# only a comment\n", "# only a comment\n.env\n*.pem\n"),
    ],
)
def test_append_keeps_newline_style_and_final_newline(text: str, expected: str) -> None:
    di = DockerIgnore.parse(text)
    edit = di.append_lines([".env", "*.pem"])
    assert isinstance(edit, Edit)
    assert edit.start == edit.end == len(text)  # pure insertion at the end
    assert di.appended([".env", "*.pem"]) == expected
    again = DockerIgnore.parse(expected)
    assert again.excludes(".env") and again.excludes("id.pem")


def test_appended_entry_wins_over_an_earlier_exception() -> None:
    # Why the fixer appends: the last match wins, so an entry at the end decides.
    di = DockerIgnore.parse("*\n!app\n!.env\n")
    assert di.would_reinclude(".env")  # the user ships .env on purpose: the fixer must not append
    after = DockerIgnore.parse(di.appended([".env"]))
    assert after.excludes(".env")  # ... because appending would silently override them
    assert not after.excludes("app/main.py")


def test_append_rejects_multiline_or_empty_input() -> None:
    di = DockerIgnore.parse(".git\n")
    with pytest.raises(ValueError, match="several lines"):
        di.append_lines([".env\n*.pem"])
    with pytest.raises(ValueError, match="nothing to append"):
        di.append_lines([])


# ------------------------------------------------------------------------------ corpus


def test_corpus_dockerignore_files_round_trip(corpus_dir: Path) -> None:
    folder = corpus_dir / "dockerignore"
    if not folder.is_dir():
        pytest.skip(f"no dockerignore corpus at {folder}")
    files = sorted(p for p in folder.iterdir() if p.is_file())
    assert files, f"{folder} is empty"
    for path in files:
        raw = path.read_bytes()
        text = raw.decode("utf-8", "surrogateescape")
        di = DockerIgnore.parse(text)
        assert di.render().encode("utf-8", "surrogateescape") == raw, path.name
        assert di.errors == [], f"{path.name}: {di.errors}"
        for p in di.patterns:
            assert text[p.start : p.end] == p.raw, path.name
        # Every pattern at least matches something shaped like itself (smoke test of matching).
        for p in di.patterns:
            literal = p.pattern.replace("**/", "").replace("*", "x").replace("?", "x")
            if "[" not in literal and "\\" not in literal and literal not in (".", ".."):
                assert p.matches(literal.strip("/")), (path.name, p.raw)
