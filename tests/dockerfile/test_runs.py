"""What a RUN executes: the one model, `hardenify.dockerfile.runs` (issue 13).

`runs.run_scripts` and `Instruction.commands` give one token stream. HF413's walk (`split`)
reads it and adds only cwd tracking; `fixers._users.Script` and `_runedit.Script` are gone. Each
former disagreement asserts what BuildKit and the shell do (`# shell:`).
"""

from __future__ import annotations

import pytest

from hardenify.dockerfile import Dockerfile, Instruction, parse, runs
from hardenify.fixers.hf413_single_stage_toolchain import evidence as _split

Argvs = list[list[str]]


def _run(text: str) -> tuple[Dockerfile, Instruction]:
    df = parse(text)
    return df, next(i for i in df.instructions if i.cmd in ("RUN", "ONBUILD"))


def models(text: str) -> dict[str, Argvs]:
    """The words of each simple command of the file's first RUN, per model."""
    _df, ins = _run(text)
    return {
        "runs": [[w.value for w in c.words] for c in ins.commands],
        "split": [c.argv for c in _split.run_commands(ins, "/", {})],
    }


def same(argvs: Argvs) -> dict[str, Argvs]:
    return dict.fromkeys(("runs", "split"), argvs)


# ------------------------------------------------------------------ where all four agree

AGREE = {
    # The issue says `_split` reads `set -e⏎curl …` as one command; today all four split it
    # (the shell does too).
    "heredoc set -e then curl": (
        "FROM a\nRUN <<EOF\nset -e\ncurl -fsSL https://x -o /y\nEOF\n",
        [["<<EOF"], ["set", "-e"], ["curl", "-fsSL", "https://x", "-o", "/y"]],
    ),
    "heredoc with CRLF": (
        "FROM a\r\nRUN <<EOF\r\nset -e\r\ncurl -fsSL https://x -o /y\r\nEOF\r\n",
        [["<<EOF"], ["set", "-e"], ["curl", "-fsSL", "https://x", "-o", "/y"]],
    ),
    "comment line in a heredoc script": (
        "FROM a\nRUN <<EOF\n# apt-get install foo\napt-get update\nEOF\n",
        [["<<EOF"], ["apt-get", "update"]],
    ),
    "bash -e reading a heredoc": (
        "FROM a\nRUN bash -e <<EOF\nset -x\napt-get update\nEOF\n",
        [["bash", "-e", "<<EOF"], ["set", "-x"], ["apt-get", "update"]],
    ),
    "continuation inside a heredoc": (
        "FROM a\nRUN <<EOF\napt-get install \\\n  curl\nmake\nEOF\n",
        [["<<EOF"], ["apt-get", "install", "curl"], ["make"]],
    ),
    "pipe and && continued on the next heredoc line": (
        "FROM a\nRUN <<EOF\ncurl x |\n  sh\nmake &&\n  make install\nEOF\n",
        [["<<EOF"], ["curl", "x"], ["sh"], ["make"], ["make", "install"]],
    ),
}


@pytest.mark.parametrize("text,argvs", AGREE.values(), ids=AGREE.keys())
def test_models_agree(text: str, argvs: Argvs) -> None:
    assert models(text) == same(argvs)


# ------------------------------------------------------------------- where they disagree


def test_data_heredoc_body_is_not_a_command() -> None:
    # shell: `cat <<EOF > /etc/x` writes the body to a file; `rm -rf /` never runs.
    # All agree with the shell (_split ran every heredoc body until HF413 read the core's tokens).
    assert models("FROM a\nRUN cat <<EOF > /etc/x\nrm -rf /\nEOF\n") == same(
        [["cat", "<<EOF", ">", "/etc/x"]]
    )


def test_nested_data_heredoc_inside_a_script() -> None:
    # shell: `hello world` and `X` are the nested heredoc's data and its delimiter.
    script = [["<<EOF"], ["cat", "<<X", ">", "/f"], ["hello", "world"], ["X"], ["apt-get", "update"]]
    right = [["<<EOF"], ["cat", "<<X", ">", "/f"], ["apt-get", "update"]]
    assert models("FROM a\nRUN <<EOF\ncat <<X > /f\nhello world\nX\napt-get update\nEOF\n") == {
        **same(script),
        "runs": right,
        "split": right,
    }


def test_nested_heredocs_with_chomp_and_quotes() -> None:
    _df, ins = _run("FROM a\nRUN <<EOF\ncat <<-'A' >/a; cat <<B >/b\n\tdata a\n\tA\ndata b\nB\nmake\nEOF\n")
    assert [c.argv for c in ins.commands] == [
        ["<<EOF"],
        ["cat", "<<-A", ">/a"],
        ["cat", "<<B", ">/b"],
        ["make"],
    ]


def test_heredoc_fed_to_python_is_not_shell() -> None:
    # shell: python3 reads the body; all agree (_split, on the core's tokens, too).
    assert models("FROM a\nRUN python3 <<EOF\nimport os\nprint(1)\nEOF\n") == same([["python3", "<<EOF"]])


def test_heredoc_with_a_non_shell_shebang() -> None:
    # BuildKit runs a `RUN <<EOF` body with a shebang through that interpreter: all agree now
    # (_users and _split read `print(1)` as a shell command before the move).
    assert models("FROM a\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n") == {
        "runs": [["<<EOF"]],
        "split": [["<<EOF"]],
    }
    _, ins = _run("FROM a\nRUN <<EOF\n#!/bin/bash\nmake\nEOF\n")
    assert [s.kind for s in runs.run_scripts(ins)] == ["args", "heredoc"]


def test_newline_inside_quotes_in_a_heredoc() -> None:
    # shell: 'a⏎b' is one word of echo: every model now agrees.
    assert models("FROM a\nRUN <<EOF\necho 'a\nb'\nmake\nEOF\n") == same(
        [["<<EOF"], ["echo", "a\nb"], ["make"]]
    )


def test_exec_form_without_a_shell() -> None:
    # BuildKit executes apt-get directly: one command, in an `exec` script that cannot be edited.
    assert models('FROM a\nRUN ["apt-get","update"]\n') == same([["apt-get", "update"]])
    _df, ins = _run('FROM a\nRUN ["apt-get","update"]\n')
    (script,) = runs.run_scripts(ins)
    assert script.kind == "exec" and not script.editable and not ins.commands[0].editable
    assert script.span(0, 3) == (ins.arg_src(0), ins.content_end)


def test_exec_form_sh_c() -> None:
    # BuildKit runs sh -c, which runs both commands: every model sees them.
    inner = [["apt-get", "update"], ["apt-get", "install", "-y", "curl"]]
    text = 'FROM a\nRUN ["sh","-c","apt-get update && apt-get install -y curl"]\n'
    assert models(text) == same(inner)
    _, ins = _run(text)
    assert [s.kind for s in runs.run_scripts(ins)] == ["json"]
    _, ins = _run('FROM a\nRUN ["/bin/bash","-o","pipefail","-ec","make"]\n')
    assert [c.argv for c in ins.commands] == [["make"]]


def test_shell_form_sh_c() -> None:
    # shell: `sh -c` runs `cd /x` then `make`. runs lists the outer command and the
    # inner ones; _split keeps only the inner commands and follows `cd` into the working
    # directory instead of listing it.
    assert models("FROM a\nRUN sh -c 'cd /x && make'\n") == {
        "runs": [["sh", "-c", "cd /x && make"], ["cd", "/x"], ["make"]],
        "split": [["make"]],
    }
    text = "FROM a\nRUN sh -c 'cd /x && make'\n"
    _df, ins = _run(text)
    assert [c.cwd for c in _split.run_commands(ins, "/", {})] == ["/x"]
    top, nested = runs.run_scripts(ins)
    assert (top.kind, nested.kind, nested.editable) == ("args", "nested", False)
    # a nested script maps to its word; its commands to the enclosing command
    s, e = nested.span(0, 2)
    assert text[s:e] == "'cd /x && make'"
    sh, cd, _make = ins.commands
    assert cd.parent is sh and cd.span() == sh.span() and not cd.editable
    assert [c.order for c in ins.commands] == [0, 1, 2]


def test_cd_is_a_working_directory_in_split() -> None:
    assert models("FROM a\nRUN cd /src && make && make install\n") == {
        **same([["cd", "/src"], ["make"], ["make", "install"]]),
        "split": [["make"], ["make", "install"]],
    }
    _, ins = _run("FROM a\nRUN cd /src && make\n")
    assert [c.cwd for c in _split.run_commands(ins, "/", {})] == ["/src"]


def test_prefix_words_before_the_program() -> None:
    # shell: `sudo -u app make` runs make (as app); `FOO=1 env make x` runs make with FOO=1.
    # runs moves sudo/assignments/env into `prefix` and starts at the program; _split reads
    # the same tokens (before the move it took `-u`'s value `app` for the program).
    assert models("FROM a\nRUN sudo -u app make && FOO=1 env make x\n") == {
        "runs": [["make"], ["make", "x"]],
        "split": [["make"], ["make", "x"]],
    }
    _, ins = _run("FROM a\nRUN sudo -u app make\n")
    cmd = ins.commands[0]
    assert [w.value for w in cmd.prefix] == ["sudo", "-u", "app"] and cmd.sudo
    assert [w.value for w in cmd.all_words] == ["sudo", "-u", "app", "make"] and cmd.program_index == 3
    _, ins = _run("FROM a\nRUN FOO=1 make\n")
    assert _split.run_commands(ins, "/", {"FOO": None})[0].env["FOO"] == "1"


def test_reserved_words_are_prefix_and_only_when_unquoted() -> None:
    _, ins = _run("FROM a\nRUN if true; then chmod 777 /x; fi; 'then' y\n")
    assert [(c.prog, [w.value for w in c.prefix]) for c in ins.commands] == [
        ("true", ["if"]),
        ("chmod", ["then"]),
        ("", ["fi"]),
        ("then", []),
    ]


def test_option_helpers() -> None:
    _, ins = _run("FROM a\nRUN apt-get -o Dpkg::x=1 -qy install --no-install-recommends -t sid curl -- -x\n")
    cmd = ins.commands[0]
    assert cmd.sub(("-o", "-t")) == "install"
    assert runs.subcommand(cmd, ("-o", "-t")) == 4
    assert runs.has_long(cmd.values, "--no-install-recommends") and cmd.has("--no-install-recommends", "-y")
    assert runs.short_letters(cmd.values) == ["o", "q", "y", "t"]
    assert cmd.opt("-t", "--target-release") == "sid"
    assert runs.option_values(cmd.values, "-o", "--option") == ["Dpkg::x=1"]
    assert [w.value for w in runs.positional(cmd, 1, ("-o", "-t"))] == ["install", "curl", "-x"]


def test_onbuild_run() -> None:
    # ONBUILD RUN runs in a child build, not this one. runs reads its commands (for
    # detection, unless `onbuild=False`); `_split.read_stage` never passes an ONBUILD, and given
    # one it reads the core's commands (it took the `RUN` keyword for the program before).
    _df, ins = _run("FROM a\nONBUILD RUN make\n")
    assert [[w.value for w in c.words] for c in ins.commands] == [["make"]]
    assert runs.run_scripts(ins, onbuild=False) == []
    (script,) = runs.run_scripts(ins)
    assert script.outer is ins and script.run is ins.sub
    assert [c.argv for c in _split.run_commands(ins, "/", {})] == [["make"]]


def test_instruction_commands_are_the_scripts_commands() -> None:
    # one token stream whoever asks: the same Cmd objects
    _df, ins = _run("FROM a\nRUN <<EOF\nset -e\nsh -c 'make'\nEOF\n")
    from_scripts = {id(c) for s in runs.run_scripts(ins) for c in s.commands()}
    assert {id(c) for c in ins.commands} == from_scripts
    assert [c.argv for c in ins.commands] == [["<<EOF"], ["set", "-e"], ["sh", "-c", "make"], ["make"]]


# -------------------------------------------------------------- spans map back to the file


def test_spans_map_back_to_the_file_in_each_model() -> None:
    text = "FROM a\nRUN apt-get update && \\\n    apt-get install -y curl\nRUN <<EOF\nmake install\nEOF\n"
    df = parse(text)
    shell_run, heredoc_run = (i for i in df.instructions if i.cmd == "RUN")
    # runs: Cmd.span covers program to last word, across the continuation
    s, e = shell_run.commands[1].span()
    assert text[s:e] == "apt-get install -y curl"
    s, e = heredoc_run.commands[1].span()
    assert text[s:e] == "make install"
    # runs: Script.span / Script.pos map indices of the script's own text
    top = runs.run_scripts(shell_run)[0]
    c = top.commands()[1]
    s, e = top.span(c.words[0].start, c.words[-1].end)
    assert text[s:e] == "apt-get install -y curl"
    body = next(x for x in runs.run_scripts(heredoc_run) if x.kind == "heredoc")
    w = body.commands()[0].words[0]
    assert text[body.pos(w.start) : body.pos(w.end, end=True)] == "make"
    # _split: the command's text, no spans (it never edits RUN text)
    assert [c.text for c in _split.run_commands(shell_run, "/", {})] == [
        "apt-get update",
        "apt-get install -y curl",
    ]
