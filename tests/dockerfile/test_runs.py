"""What a RUN executes, as each of today's command models reads it (issue 13, step 1).

The models are `hardenify.dockerfile.runs` (`Instruction.commands`), `fixers._runedit.Script`
and `fixers._split.Cmd` (`fixers._users.Script` is gone: `hardenify.dockerfile.users` reads
the runs model; its changed answers are in `test_users.py`). These tests record today's answer of each,
side by side, so moving to one model shows every changed answer. Where the models disagree, a
`# shell:` comment says which answer BuildKit and the shell agree with; the one model keeps
that answer (issue 13, "Order" step 3).
"""

from __future__ import annotations

import pytest

from hardenify.dockerfile import Dockerfile, Instruction, parse
from hardenify.fixers import _runedit, _split

Argvs = list[list[str]]


def _run(text: str) -> tuple[Dockerfile, Instruction]:
    df = parse(text)
    return df, next(i for i in df.instructions if i.cmd in ("RUN", "ONBUILD"))


def models(text: str) -> dict[str, Argvs]:
    """The words of each simple command of the file's first RUN, per model."""
    df, ins = _run(text)
    return {
        "runs": [[w.value for w in c.words] for c in ins.commands],
        "runedit": [[w.value for w in c.words] for s in _runedit.run_scripts(df, ins) for c in s.commands()],
        "split": [c.argv for c in _split._run_commands(ins, "/", {})],
    }


def same(argvs: Argvs) -> dict[str, Argvs]:
    return dict.fromkeys(("runs", "runedit", "split"), argvs)


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
    # runs, _users and _runedit agree with the shell; _split runs every heredoc body.
    assert models("FROM a\nRUN cat <<EOF > /etc/x\nrm -rf /\nEOF\n") == {
        **same([["cat", "<<EOF", ">", "/etc/x"]]),
        "split": [["cat", "<<EOF", ">", "/etc/x"], ["rm", "-rf", "/"]],
    }


def test_nested_data_heredoc_inside_a_script() -> None:
    # shell: `hello world` and `X` are the nested heredoc's data and its delimiter.
    # Only runs agrees: the other three tokenise the body as commands (one heredoc body,
    # tokenised differently, as the issue says).
    script = [["<<EOF"], ["cat", "<<X", ">", "/f"], ["hello", "world"], ["X"], ["apt-get", "update"]]
    assert models("FROM a\nRUN <<EOF\ncat <<X > /f\nhello world\nX\napt-get update\nEOF\n") == {
        **same(script),
        "runs": [["<<EOF"], ["cat", "<<X", ">", "/f"], ["apt-get", "update"]],
    }


def test_heredoc_fed_to_python_is_not_shell() -> None:
    # shell: python3 reads the body; runs, _users and _runedit agree; _split reads it as shell.
    assert models("FROM a\nRUN python3 <<EOF\nimport os\nprint(1)\nEOF\n") == {
        **same([["python3", "<<EOF"]]),
        "split": [["python3", "<<EOF"], ["import", "os"], ["print(1)"]],
    }


def test_heredoc_with_a_non_shell_shebang() -> None:
    # BuildKit runs a `RUN <<EOF` body with a shebang through that interpreter: runs and
    # _runedit agree; _users and _split read `print(1)` as a shell command.
    assert models("FROM a\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n") == {
        "runs": [["<<EOF"]],
        "runedit": [["<<EOF"]],
        "split": [["<<EOF"], ["print(1)"]],
    }


def test_newline_inside_quotes_in_a_heredoc() -> None:
    # shell: 'a⏎b' is one word of echo. _users, _runedit and _split agree; runs splits the
    # script at every newline first and reads `b'` as a second command.
    assert models("FROM a\nRUN <<EOF\necho 'a\nb'\nmake\nEOF\n") == {
        **same([["<<EOF"], ["echo", "a\nb"], ["make"]]),
        "runs": [["<<EOF"], ["echo", "a"], ["b"], ["make"]],
    }


def test_exec_form_without_a_shell() -> None:
    # BuildKit executes apt-get directly: _users and _split see the command; runs and _runedit
    # see none (their callers only edit shell text, so nothing to edit is right for them).
    assert models('FROM a\nRUN ["apt-get","update"]\n') == {
        "runs": [],
        "runedit": [],
        "split": [["apt-get", "update"]],
    }


def test_exec_form_sh_c() -> None:
    # BuildKit runs sh -c, which runs both commands: all but runs see them.
    inner = [["apt-get", "update"], ["apt-get", "install", "-y", "curl"]]
    assert models('FROM a\nRUN ["sh","-c","apt-get update && apt-get install -y curl"]\n') == {
        **same(inner),
        "runs": [],
    }


def test_shell_form_sh_c() -> None:
    # shell: `sh -c` runs `cd /x` then `make`. runs and _users list the outer command and the
    # inner ones; _runedit does not look inside; _split keeps only the inner commands and
    # follows `cd` into the working directory instead of listing it.
    assert models("FROM a\nRUN sh -c 'cd /x && make'\n") == {
        "runs": [["sh", "-c", "cd /x && make"], ["cd", "/x"], ["make"]],
        "runedit": [["sh", "-c", "cd /x && make"]],
        "split": [["make"]],
    }
    _, ins = _run("FROM a\nRUN sh -c 'cd /x && make'\n")
    assert [c.cwd for c in _split._run_commands(ins, "/", {})] == ["/x"]


def test_cd_is_a_working_directory_in_split() -> None:
    assert models("FROM a\nRUN cd /src && make && make install\n") == {
        **same([["cd", "/src"], ["make"], ["make", "install"]]),
        "split": [["make"], ["make", "install"]],
    }
    _, ins = _run("FROM a\nRUN cd /src && make\n")
    assert [c.cwd for c in _split._run_commands(ins, "/", {})] == ["/src"]


def test_prefix_words_before_the_program() -> None:
    # shell: `sudo -u app make` runs make (as app); `FOO=1 env make x` runs make with FOO=1.
    # runs moves sudo/assignments/env into `prefix` and starts at the program; _users and
    # _runedit keep every word (their callers find the program with `program_index`); _split
    # drops wrappers and their options but takes `-u`'s value `app` for the program: wrong.
    assert models("FROM a\nRUN sudo -u app make && FOO=1 env make x\n") == {
        "runs": [["make"], ["make", "x"]],
        "runedit": [["sudo", "-u", "app", "make"], ["FOO=1", "env", "make", "x"]],
        "split": [["app", "make"], ["make", "x"]],
    }
    _, ins = _run("FROM a\nRUN sudo -u app make\n")
    cmd = ins.commands[0]
    assert [w.value for w in cmd.prefix] == ["sudo", "-u", "app"] and cmd.sudo
    _, ins = _run("FROM a\nRUN FOO=1 make\n")
    assert _split._run_commands(ins, "/", {"FOO": None})[0].env["FOO"] == "1"


def test_onbuild_run() -> None:
    # ONBUILD RUN runs in a child build, not this one. runs and _users read its commands (for
    # detection); _runedit returns none (it edits RUN only); `_split.read_stage` never passes an
    # ONBUILD, and given one it reads the `RUN` keyword as the program.
    df, ins = _run("FROM a\nONBUILD RUN make\n")
    assert [[w.value for w in c.words] for c in ins.commands] == [["make"]]
    assert _runedit.run_scripts(df, ins) == []
    assert [c.argv for c in _split._run_commands(ins, "/", {})] == [["RUN", "make"]]


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
    # _runedit: Script.src maps an index of its text (heredoc: base + index)
    rs = _runedit.run_scripts(df, heredoc_run)
    body = next(x for x in rs if x.kind == "heredoc")
    w = body.commands()[0].words[0]
    assert text[body.src(w.start) : body.src(w.end, end=True)] == "make"
    # _split: the command's text, no spans (it never edits RUN text)
    assert [c.text for c in _split._run_commands(shell_run, "/", {})] == [
        "apt-get update",
        "apt-get install -y curl",
    ]
