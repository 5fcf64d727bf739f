from hardenify.dockerfile.shell import tokenize, uses_shell_features


def test_splits_commands_on_operators_with_spans() -> None:
    s = "apt-get update && DEBIAN_FRONTEND=noninteractive sudo apt-get -q install -y curl | tee log; echo 'a && b'"
    cmds = tokenize(s)
    assert [c.program() for c in cmds] == ["apt-get", "apt-get", "tee", "echo"]
    assert [c.before for c in cmds] == ["", "&&", "|", ";"]
    assert cmds[1].subcommand() == "install"
    assert cmds[1].has_flag("-y") and not cmds[1].has_flag("--no-install-recommends")
    assert cmds[3].argv == ["echo", "a && b"]
    w = cmds[1].words[-1]
    assert s[w.start : w.end] == "curl"


def test_combined_short_flags_and_long_with_value() -> None:
    (c,) = tokenize("apt-get install -qy --target-release=bookworm x")
    assert c.has_flag("-y") and c.has_flag("--target-release")


def test_command_substitution_stays_one_word() -> None:
    (c,) = tokenize('echo "$(cat /run/secrets/x | base64)" done')
    assert len(c.words) == 3


def test_shell_features() -> None:
    assert not uses_shell_features("python app.py --port 8000")
    for s in ("a && b", "echo $HOME", "a | b", "x > y", "ls *.py", "echo `id`", "a; b", 'echo "$X"'):
        assert uses_shell_features(s), s
    assert not uses_shell_features("node 'server.js'")


def test_newlines_separate_commands_and_backslash_newline_continues() -> None:
    cmds = tokenize("set -e\napt-get update\napt-get install \\\n  -y curl\n")
    assert [c.program() for c in cmds] == ["set", "apt-get", "apt-get"]
    assert cmds[2].argv == ["apt-get", "install", "-y", "curl"]


def test_program_skips_keywords_and_sudo_value_options() -> None:
    (c,) = tokenize("sudo -u app -E make install")
    assert c.program() == "make"
    cmds = tokenize("if true; then chmod 777 /x; fi")
    assert [c.program() for c in cmds] == ["true", "chmod", "fi"]
