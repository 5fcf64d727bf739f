"""Config files: hierarchical lookup, validation messages, and CLI > file > defaults."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardenify import config, rules
from hardenify.config import ConfigError, ConfigResolver, load_config, merge_cli, settings_for
from hardenify.diagnostics import Severity
from hardenify.settings import Settings


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    config.clear_cache()
    yield
    config.clear_cache()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def error_for(tmp_path: Path, text: str, name: str = "hardenify.toml") -> ConfigError:
    path = write(tmp_path / name, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value


# ------------------------------------------------------------------------------ lookup


def test_closest_config_wins(tmp_path: Path) -> None:
    root = write(tmp_path / "hardenify.toml", 'select = ["HF1"]\n')
    svc = write(tmp_path / "services" / "api" / ".hardenify.toml", 'select = ["HF2"]\n')
    (tmp_path / "services" / "web").mkdir(parents=True)
    assert config.find_config(tmp_path / "services" / "api" / "Dockerfile") == str(svc)
    assert config.find_config(tmp_path / "services" / "api") == str(svc)
    assert config.find_config(tmp_path / "services" / "web" / "Dockerfile") == str(root)
    assert config.find_config(tmp_path / "services" / "web") == str(root)
    assert settings_for(tmp_path / "services" / "api" / "Dockerfile").select == ("HF2",)
    assert settings_for(tmp_path / "services" / "web" / "Dockerfile").select == ("HF1",)


def test_precedence_within_one_directory(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.hardenify]\nselect = ["HF3"]\n')
    assert config.find_config(tmp_path) == str(tmp_path / "pyproject.toml")
    config.clear_cache()
    write(tmp_path / "hardenify.toml", "")
    assert config.find_config(tmp_path) == str(tmp_path / "hardenify.toml")
    config.clear_cache()
    write(tmp_path / ".hardenify.toml", "")
    assert config.find_config(tmp_path) == str(tmp_path / ".hardenify.toml")


def test_pyproject_without_our_table_is_skipped(tmp_path: Path) -> None:
    outer = write(tmp_path / "hardenify.toml", 'ignore = ["HF4"]\n')
    write(tmp_path / "pkg" / "pyproject.toml", '[project]\nname = "x"\n')
    # Mentions hardenify, but only as a dependency: still no [tool.hardenify] table.
    write(tmp_path / "pkg" / "sub" / "pyproject.toml", '[project]\ndependencies = ["hardenify"]\n')
    assert config.find_config(tmp_path / "pkg" / "sub" / "Dockerfile") == str(outer)
    assert settings_for(tmp_path / "pkg" / "Dockerfile").ignore == ("HF4",)


def test_pyproject_with_syntax_error_is_skipped_unless_it_concerns_us(tmp_path: Path) -> None:
    above = config.find_config(tmp_path)  # whatever applies to the tmp dir (normally None)
    write(tmp_path / "a" / "pyproject.toml", "[project\nname=\n")
    assert config.find_config(tmp_path / "a") == above
    write(tmp_path / "b" / "pyproject.toml", "[tool.hardenify]\nselect = [\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        config.find_config(tmp_path / "b")


def test_empty_config_file_stops_the_search(tmp_path: Path) -> None:
    write(tmp_path / "hardenify.toml", 'select = ["HF1"]\n')
    inner = write(tmp_path / "inner" / ".hardenify.toml", "")
    got = settings_for(tmp_path / "inner" / "Dockerfile")
    assert got == Settings(source=str(inner))


def test_no_config_gives_defaults(tmp_path: Path) -> None:
    resolver = ConfigResolver()
    with mock.patch.object(resolver, "_config_in", return_value=None):
        assert resolver.settings_for(tmp_path / "Dockerfile") == Settings()


def test_lookups_are_cached_per_directory(tmp_path: Path) -> None:
    resolver = ConfigResolver()
    write(tmp_path / "hardenify.toml", "")
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    calls: list[str] = []
    real = resolver._config_in

    def counting(directory: str) -> str | None:
        calls.append(directory)
        return real(directory)

    with mock.patch.object(resolver, "_config_in", side_effect=counting):
        first = resolver.find(deep / "Dockerfile")
        n = len(calls)
        assert n == 4  # c, b, a, tmp_path
        for name in ("Dockerfile", "Dockerfile.prod", "compose.yaml"):
            assert resolver.find(deep / name) == first
        assert resolver.find(tmp_path / "a" / "Dockerfile") == first
        assert len(calls) == n  # every directory on the way was remembered
    # The cache is the point: a new file is not seen until clear().
    write(deep / ".hardenify.toml", "")
    assert resolver.find(deep) == first
    resolver.clear()
    assert resolver.find(deep) == str(deep / ".hardenify.toml")


def test_loaded_settings_are_cached_per_file(tmp_path: Path) -> None:
    path = write(tmp_path / "hardenify.toml", 'select = ["HF1"]\n')
    assert load_config(path) is load_config(path)


def test_explicit_config_overrides_discovery(tmp_path: Path) -> None:
    write(tmp_path / "proj" / ".hardenify.toml", 'select = ["HF1"]\n')
    chosen = write(tmp_path / "ci.toml", 'select = ["HF6"]\n')
    got = settings_for(tmp_path / "proj" / "Dockerfile", chosen)
    assert got.select == ("HF6",)
    assert got.source == str(chosen)


def test_explicit_pyproject_config(tmp_path: Path) -> None:
    with_table = write(tmp_path / "a" / "pyproject.toml", '[tool.hardenify]\nfail-on = "error"\n')
    assert load_config(with_table).fail_on is Severity.ERROR
    without = write(tmp_path / "b" / "pyproject.toml", '[project]\nname = "x"\n')
    assert load_config(without) == Settings(source=str(without))


def test_explicit_config_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        settings_for(tmp_path, tmp_path / "nope.toml")


# ------------------------------------------------------------------------------ keys → Settings

FULL = """\
select = ["HF1", "hf2", "ALL"]
ignore = ["HF101"]
extend-select = ["HF301"]
fail-on = "warning"
exclude = ["legacy"]
extend-exclude = ["*.old"]
respect-gitignore = false
unsafe-fixes = true

[per-file-ignores]
"Dockerfile.dev" = ["HF1", "HF203"]

[severity]
HF101 = "error"
hf203 = "Info"

[options]
trusted-registries = ["registry.example.com"]
runtime-bases = { python = "python:{version}-slim" }
"""


def test_every_key_maps_to_settings(tmp_path: Path) -> None:
    path = write(tmp_path / ".hardenify.toml", FULL)
    got = load_config(path)
    assert got == Settings(
        select=("HF1", "HF2", "ALL"),
        ignore=("HF101",),
        extend_select=("HF301",),
        per_file_ignores={"Dockerfile.dev": ("HF1", "HF203")},
        severity={"HF101": Severity.ERROR, "HF203": Severity.INFO},
        fail_on=Severity.WARNING,
        unsafe_fixes=True,
        options={
            "trusted-registries": ["registry.example.com"],
            "runtime-bases": {"python": "python:{version}-slim"},
        },
        exclude=("legacy",),
        extend_exclude=("*.old",),
        respect_gitignore=False,
        source=str(path),
    )


def test_pyproject_table_and_options_subtable(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\n\n[tool.hardenify]\nselect = ["HF2"]\n\n'
    text += '[tool.hardenify.options]\ntrusted-registries = ["ghcr.io/acme"]\n'
    path = write(tmp_path / "pyproject.toml", text)
    got = settings_for(tmp_path / "Dockerfile")
    assert got.select == ("HF2",)
    assert got.options == {"trusted-registries": ["ghcr.io/acme"]}
    assert got.source == str(path)


# ------------------------------------------------------------------------------ errors


def test_unknown_key_suggests_the_right_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    err = error_for(tmp_path, '# rules\nselct = ["HF1"]\n')
    assert str(err) == "hardenify.toml:2: unknown key 'selct' (did you mean 'select'?)"
    assert (err.key, err.line) == ("selct", 2)


def test_snake_case_key_suggests_kebab_case(tmp_path: Path) -> None:
    err = error_for(tmp_path, 'extend_select = ["HF1"]\n')
    assert "unknown key 'extend_select' (did you mean 'extend-select'?)" in str(err)


def test_unknown_key_without_a_close_match_lists_the_valid_keys(tmp_path: Path) -> None:
    err = error_for(tmp_path, "banana = 1\n")
    assert "unknown key 'banana'; valid keys: select, ignore, extend-select" in str(err)


def test_pyproject_errors_name_the_table_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = '[project]\nname = "x"\n\n[tool.hardenify]\nselect = ["HF1"]\nfail_on = "error"\n'
    err = error_for(tmp_path, text, "pyproject.toml")
    assert str(err) == (
        "pyproject.toml:6: unknown key 'fail_on' in [tool.hardenify] (did you mean 'fail-on'?)"
    )


def test_tool_hardenify_must_be_a_table(tmp_path: Path) -> None:
    err = error_for(tmp_path, '[tool]\nhardenify = "on"\n', "pyproject.toml")
    assert "'tool.hardenify' must be a table" in str(err)
    assert err.line == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('select = "HF1"', """'select' must be a list of strings, not a string (write select = ["HF1"])"""),
        ("ignore = [1]", "'ignore' must be a list of strings, not an array"),
        ('respect-gitignore = "no"', "'respect-gitignore' must be true or false, not a string"),
        ("unsafe-fixes = 1", "'unsafe-fixes' must be true or false, not a number"),
        ("fail-on = 3", "'fail-on' must be one of info, style, warning, error, not a number"),
        ('severity = "error"', "'severity' must be a table of rule code = severity, not a string"),
        ('per-file-ignores = ["x"]', "'per-file-ignores' must be a table"),
        ("options = 1", "'options' must be a table ([options]), not a number"),
        ('exclude = "vendor"', "'exclude' must be a list of strings, not a string"),
    ],
)
def test_bad_types(tmp_path: Path, text: str, message: str) -> None:
    err = error_for(tmp_path, text + "\n")
    assert message in str(err)
    assert err.line == 1
    assert str(err).startswith(str(tmp_path / "hardenify.toml")) or str(err).startswith("hardenify.toml")


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        (
            'select = ["HF1",\n  "HF1234"]',
            "'select': unknown rule selector 'HF1234' (expected ALL, a rule code like HF101 "
            "or a prefix like HF1)",
            2,
        ),
        ('ignore = ["E501"]', "'ignore': unknown rule selector 'E501'", 1),
        ('extend-select = ["HFX"]', "'extend-select': unknown rule selector 'HFX'", 1),
        (
            '[per-file-ignores]\n"*.dev" = ["nope"]',
            "'per-file-ignores.*.dev': unknown rule selector 'nope'",
            2,
        ),
        (
            'fail-on = "critical"',
            "'fail-on': unknown severity 'critical' (valid: info, style, warning, error)",
            1,
        ),
        ('[severity]\nHF101 = "fatal"', "'severity.HF101': unknown severity 'fatal'", 2),
        ('[severity]\nHF1 = "error"', "'severity': 'HF1' is not a rule code (expected a code like HF101)", 2),
    ],
)
def test_bad_values(tmp_path: Path, text: str, message: str, line: int) -> None:
    err = error_for(tmp_path, text + "\n")
    assert message in str(err)
    assert err.line == line


def test_toml_syntax_error_gives_file_line_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    err = error_for(tmp_path, 'select = ["HF1"]\nignore = [HF2]\n')
    assert (err.line, err.column) == (2, 11)
    assert str(err).startswith("hardenify.toml:2:11: invalid TOML: ")
    assert "(at line" not in str(err)


def test_invalid_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "hardenify.toml"
    path.write_bytes(b'select = ["HF1"]\nignore = ["\xff"]\n')
    with pytest.raises(ConfigError, match="not valid UTF-8") as info:
        load_config(path)
    assert info.value.line == 2


def test_error_paths_outside_the_cwd_stay_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    err = error_for(tmp_path / "conf", "selct = []\n")
    assert str(err).startswith(str(tmp_path / "conf" / "hardenify.toml") + ":1: ")


# ------------------------------------------------------------------------------ merge_cli


BASE = Settings(
    select=("HF1", "HF2"),
    ignore=("HF203",),
    extend_select=("HF301",),
    per_file_ignores={"*.dev": ("HF1",)},
    fail_on=Severity.WARNING,
    unsafe_fixes=False,
    options={"trusted-registries": ["a.io"], "allowed-users": ["app"]},
    exclude=("legacy",),
    extend_exclude=("*.old",),
    source="/repo/hardenify.toml",
)


def test_nothing_given_keeps_the_file_settings() -> None:
    assert merge_cli(BASE) is BASE
    assert merge_cli(BASE, select=None, ignore=(), extend_select=(), unsafe_fixes=None) == BASE


def test_cli_select_starts_over_like_ruff() -> None:
    got = merge_cli(BASE, select=["HF6"])
    assert (got.select, got.extend_select, got.ignore) == (("HF6",), (), ())
    got = merge_cli(BASE, select=["HF6"], ignore=["HF601"], extend_select=["HF101"])
    assert (got.select, got.extend_select, got.ignore) == (("HF6",), ("HF101",), ("HF601",))
    assert got.source == BASE.source  # everything else is the file's


def test_cli_extend_select_and_ignore_add_to_the_file() -> None:
    got = merge_cli(BASE, extend_select=["HF4"], ignore=["HF5"])
    assert got.select == ("HF1", "HF2")
    assert got.extend_select == ("HF301", "HF4")
    assert got.ignore == ("HF203", "HF5")


def test_comma_separated_and_lower_case_cli_selectors() -> None:
    got = merge_cli(Settings(), select=["hf1,HF2", " HF301 "], ignore=["HF101,"])
    assert got.select == ("HF1", "HF2", "HF301")
    assert got.ignore == ("HF101",)


def test_bad_cli_selector_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"^--select: unknown rule selector 'XX1'"):
        merge_cli(Settings(), select=["HF1", "XX1"])
    with pytest.raises(ConfigError, match=r"^--ignore: unknown rule selector 'HF1X'"):
        merge_cli(Settings(), ignore=["HF1,HF1X"])
    with pytest.raises(ConfigError, match=r"^--extend-select: unknown rule selector 'HF1234'"):
        merge_cli(Settings(), extend_select=["HF1234"])
    with pytest.raises(ConfigError, match=r"^--per-file-ignores: unknown rule selector 'E501'"):
        merge_cli(Settings(), per_file_ignores={"*.dev": ["E501"]})


def test_other_cli_values_override_or_extend() -> None:
    got = merge_cli(
        BASE,
        unsafe_fixes=True,
        fail_on="ERROR",
        exclude=["tmp"],
        extend_exclude=["*.bak"],
        respect_gitignore=False,
        per_file_ignores={"*.dev": ["HF2"], "ci/*": ["HF6"]},
        options={"allowed-users": ["root"]},
    )
    assert got.unsafe_fixes is True
    assert got.fail_on is Severity.ERROR
    assert got.exclude == ("tmp",)
    assert got.extend_exclude == ("*.old", "*.bak")
    assert got.respect_gitignore is False
    assert got.per_file_ignores == {"*.dev": ("HF1", "HF2"), "ci/*": ("HF6",)}
    assert got.options == {"trusted-registries": ["a.io"], "allowed-users": ["root"]}
    assert BASE.options == {"trusted-registries": ["a.io"], "allowed-users": ["app"]}  # not mutated


def test_unsafe_fixes_false_on_the_cli_beats_true_in_the_file() -> None:
    assert merge_cli(Settings(unsafe_fixes=True), unsafe_fixes=False).unsafe_fixes is False
    assert merge_cli(Settings(unsafe_fixes=True), unsafe_fixes=None).unsafe_fixes is True


def test_bad_fail_on() -> None:
    with pytest.raises(ConfigError, match="--fail-on: unknown severity 'fatal'"):
        merge_cli(Settings(), fail_on="fatal")


# The effective rule set must be what ruff's two layers (file, then command line) give.

UNIVERSE = ("HF101", "HF102", "HF111", "HF201", "HF202", "HF301")
SELECTORS = ("ALL", "HF", "HF1", "HF2", "HF10", "HF11", "HF101", "HF102", "HF201")


def _fake_rule(code: str) -> rules.Rule:
    return rules.Rule(code, f"rule-{code.lower()}", Severity.WARNING, "s", "w", "y", "e")


FAKE_RULES = tuple(_fake_rule(c) for c in UNIVERSE)


def _spec(selectors: Sequence[str], code: str) -> int:
    best = -1
    for s in selectors:
        if s == "ALL":
            best = max(best, 0)
        elif code.startswith(s):
            best = max(best, len(s))
    return best


def _ruff_layer(
    current: set[str], select: Sequence[str] | None, extend: Sequence[str], ignore: Sequence[str]
) -> set[str]:
    """One layer of ruff's `as_rule_table`: by specificity, an ignore beats a select at a tie."""
    updates = {}
    for code in UNIVERSE:
        s = _spec([*(select or ()), *extend], code)
        i = _spec(ignore, code)
        if max(s, i) >= 0:
            updates[code] = s > i
    if select is not None:
        return {c for c, on in updates.items() if on}
    out = set(current)
    for c, on in updates.items():
        (out.add if on else out.discard)(c)
    return out


sel_lists = st.lists(st.sampled_from(SELECTORS), max_size=3)


@settings(max_examples=400, deadline=None)
@given(
    file_select=st.none() | st.lists(st.sampled_from(SELECTORS), min_size=1, max_size=3),
    file_extend=sel_lists,
    file_ignore=sel_lists,
    cli_select=st.none() | st.lists(st.sampled_from(SELECTORS), min_size=1, max_size=3),
    cli_extend=sel_lists,
    cli_ignore=sel_lists,
)
def test_merged_selection_equals_ruffs_layering(
    file_select: list[str] | None,
    file_extend: list[str],
    file_ignore: list[str],
    cli_select: list[str] | None,
    cli_extend: list[str],
    cli_ignore: list[str],
) -> None:
    file_settings = Settings(
        select=tuple(file_select) if file_select else None,
        extend_select=tuple(file_extend),
        ignore=tuple(file_ignore),
    )
    merged = merge_cli(file_settings, select=cli_select, extend_select=cli_extend, ignore=cli_ignore)
    expected = _ruff_layer(set(UNIVERSE), file_select, file_extend, file_ignore)
    expected = _ruff_layer(expected, cli_select, cli_extend, cli_ignore)
    with mock.patch.object(rules, "all_rules", return_value=FAKE_RULES):
        got = rules.resolve_selection(merged.select, merged.ignore, merged.extend_select)
    assert set(got) == expected


def test_cli_extend_select_reenables_a_rule_the_file_ignores() -> None:
    merged = merge_cli(Settings(ignore=("HF101",)), extend_select=["HF1"])
    with mock.patch.object(rules, "all_rules", return_value=FAKE_RULES):
        assert "HF101" in rules.resolve_selection(merged.select, merged.ignore, merged.extend_select)


def test_cli_ignore_beats_a_more_specific_file_select() -> None:
    merged = merge_cli(Settings(select=("HF101", "HF2")), ignore=["HF1"])
    with mock.patch.object(rules, "all_rules", return_value=FAKE_RULES):
        got = rules.resolve_selection(merged.select, merged.ignore, merged.extend_select)
    assert got == {"HF201", "HF202"}


def test_config_module_imports_no_heavy_dependencies() -> None:
    import subprocess
    import sys

    code = (
        "import sys, hardenify.config, hardenify.discovery, hardenify.dockerignore\n"
        "heavy = {'click', 'jinja2', 'libcst', 'ruamel', 'httpx', 'questionary', 'tomllib', 'tomli'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[]"
