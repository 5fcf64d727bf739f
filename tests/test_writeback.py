"""What `fix`, `pin` and `bulk` write is never worse than what was there (issue 12, item 5).

Owner, group and mode survive; read-only files, files edited while hardenify runs, symlinks
leaving the tree and files with merge-conflict markers are left alone with one line saying why;
a fix never leaves an instruction BuildKit or hardenify's own parse rules reject.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer

from hardenify import engine, runner, writeback
from hardenify.cli import app
from hardenify.settings import Settings
from tests.test_pin_cli import serve

BAD = "FROM python:3.12\nRUN pip install flask\n"
FIXED = "FROM python:3.12\nRUN pip install --no-cache-dir flask\n"
CONFLICT = (
    "FROM python:3.12\n<<<<<<< HEAD\nRUN pip install flask\n=======\nRUN pip install django\n>>>>>>> topic\n"
)


def invoke(*args: str, cwd: Path) -> Result:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(app, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    monkeypatch.setenv("HARDENIFY_CACHE_DIR", str(tmp_path / "cache"))


def _needs_chown() -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another owner needs root")


# ------------------------------------------------------------------------------ owner and mode


def test_fix_keeps_owner_group_and_mode(tmp_path: Path) -> None:
    _needs_chown()
    df = tmp_path / "Dockerfile"
    df.write_text(BAD)
    os.chown(df, 1234, 1234)
    df.chmod(0o640)
    r = invoke("fix", "--select", "HF406", "Dockerfile", cwd=tmp_path)
    assert r.exit_code == 0, r.output
    st = df.stat()
    assert df.read_text() == FIXED
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 1234, 0o640)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".hardenify.tmp")]


def test_pin_keeps_owner_group_and_mode(httpserver: HTTPServer, tmp_path: Path) -> None:
    _needs_chown()
    host = f"localhost:{httpserver.port}"
    digest = serve(httpserver, "library/python", "3.12")
    df = tmp_path / "Dockerfile"
    df.write_text(f"FROM {host}/library/python:3.12\n")
    os.chown(df, 1234, 4321)
    df.chmod(0o604)
    r = invoke("pin", "Dockerfile", cwd=tmp_path)
    assert r.exit_code == 0, r.output
    st = df.stat()
    assert df.read_text() == f"FROM {host}/library/python:3.12@{digest}\n"
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 4321, 0o604)


def test_atomic_write_keeps_owner_and_refuses_what_it_cannot_keep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _needs_chown()
    f = tmp_path / "f"
    f.write_text("a")
    os.chown(f, 1234, 1234)

    def no_chown(fd: int, uid: int, gid: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "fchown", no_chown)  # an unprivileged user fixing someone else's file
    with pytest.raises(writeback.WriteRefused, match="owner 1234:1234"):
        writeback.atomic_write(f, "b")
    assert f.read_text() == "a"
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


# ---------------------------------------------------------------------- read-only, concurrent edit


@pytest.mark.parametrize("command", ["fix", "pin"])
def test_read_only_file_is_refused_not_replaced(command: str, tmp_path: Path, httpserver: HTTPServer) -> None:
    host = f"localhost:{httpserver.port}"
    serve(httpserver, "library/python", "3.12")
    df = tmp_path / "Dockerfile"
    text = BAD.replace("python:3.12", f"{host}/library/python:3.12")
    df.write_text(text)
    df.chmod(0o444)  # root could write it anyway: the bits are what the user said
    args = ["fix", "--select", "HF406"] if command == "fix" else ["pin"]
    r = invoke(*args, "Dockerfile", cwd=tmp_path)
    assert r.exit_code == 2, r.output
    assert df.read_text() == text
    assert stat.S_IMODE(df.stat().st_mode) == 0o444
    lines = [ln for ln in r.stderr.splitlines() if "read-only" in ln]
    assert len(lines) == 1 and lines[0].startswith(
        ("Dockerfile: not fixed:", "hardenify: error: Dockerfile:")
    )


def test_an_edit_made_while_fix_runs_is_never_thrown_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    df = tmp_path / "Dockerfile"
    other = tmp_path / "b.Dockerfile"
    df.write_text(BAD)
    other.write_text(BAD)
    edited = BAD + "# my edit\n"
    real = runner.process

    def process_then_someone_edits(task: runner.Task) -> runner.FileOutcome:
        out = real(task)  # the file is read and fixed ...
        if Path(task.path).name == "Dockerfile":
            df.write_text(edited)  # ... and edited before hardenify writes it back
        return out

    monkeypatch.setattr(runner, "process", process_then_someone_edits)
    r = invoke("fix", "--select", "HF406", "-j", "1", ".", cwd=tmp_path)
    assert r.exit_code == 2, r.output
    assert df.read_text() == edited
    assert other.read_text() == FIXED  # the other file goes on
    assert "Dockerfile: not fixed: the file changed on disk while hardenify was fixing it" in r.stderr


def test_unchanged_check_compares_bytes_and_identity(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"caf\xe9\r\n")  # not UTF-8, CRLF: the comparison is byte for byte
    text = runner.decode(f.read_bytes())
    writeback.atomic_write(f, "new\n", expect=text)
    assert f.read_bytes() == b"new\n"
    f.write_text("same size")
    with pytest.raises(writeback.WriteRefused, match="changed on disk"):
        writeback.atomic_write(f, "x", expect="SAME SIZE")
    f.unlink()
    with pytest.raises(writeback.WriteRefused, match="changed on disk"):
        writeback.atomic_write(f, "x", expect="same size")
    assert not f.exists()


# ------------------------------------------------------------------------------------- symlinks


def test_pin_does_not_write_through_a_link_leaving_the_tree(httpserver: HTTPServer, tmp_path: Path) -> None:
    host = f"localhost:{httpserver.port}"
    digest = serve(httpserver, "library/python", "3.12")
    outside = tmp_path / "shared" / "Dockerfile"
    outside.parent.mkdir()
    outside.write_text(f"FROM {host}/library/python:3.12\n")
    proj = tmp_path / "proj"
    (proj / "inner").mkdir(parents=True)
    (proj / "Dockerfile").symlink_to(outside)
    (proj / "inner" / "real.Dockerfile").write_text(f"FROM {host}/library/python:3.12\n")
    (proj / "inner" / "Dockerfile").symlink_to("real.Dockerfile")
    r = invoke("pin", "Dockerfile", "inner/Dockerfile", cwd=proj)  # named: discovery skips links
    assert r.exit_code == 2, r.output
    assert outside.read_text() == f"FROM {host}/library/python:3.12\n"
    assert "hardenify: error: Dockerfile: not written: it is a symlink to" in r.stderr
    assert "outside the tree being fixed" in r.stderr
    # a link inside the tree is written through and stays a link
    assert (proj / "inner" / "Dockerfile").is_symlink()
    assert (proj / "inner" / "real.Dockerfile").read_text() == f"FROM {host}/library/python:3.12@{digest}\n"


def test_write_target_refuses_a_symlinked_directory_leaving_the_tree(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "Dockerfile").write_text(BAD)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "svc").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(writeback.WriteRefused, match="symlinked directory"):
        writeback.write_target(tree / "svc" / "Dockerfile", [tree.resolve()])
    assert (
        writeback.write_target(tree / "svc" / "Dockerfile", [tmp_path.resolve()])
        == (tmp_path / "elsewhere" / "Dockerfile").resolve()
    )


# ------------------------------------------------------------------------------ conflict markers


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (CONFLICT, 2),
        (CONFLICT.replace("\n", "\r\n"), 2),
        ("FROM a\n<<<<<<<\nA\n||||||| base\nB\n=======\nC\n>>>>>>>\n", 2),  # diff3 style, no labels
        ("FROM a\n=======\n<<<<<<< ours\nx\n=======\n>>>>>>> theirs", 3),
    ],
)
def test_conflict_markers_are_found(text: str, line: int) -> None:
    assert runner.conflict_line(text) == line


@pytest.mark.parametrize(
    "text",
    [
        BAD,
        "FROM a\nRUN <<EOF\necho =======\n=======\nEOF\n",  # a banner in a heredoc
        "FROM a\n<<<<<<< HEAD\nRUN x\n>>>>>>> topic\n",  # no separator
        "FROM a\n>>>>>>> x\n=======\n<<<<<<< y\n",  # out of order
        "FROM a\nRUN echo '<<<<<<< not at line start'\n=======\n>>>>>>> x\n",
        "FROM a\n<<<<<<<<< HEAD\n=======\n>>>>>>> x\n",  # nine, not seven
    ],
)
def test_text_that_only_looks_like_a_conflict_is_not_one(text: str) -> None:
    assert runner.conflict_line(text) is None


def test_conflict_scan_is_linear_on_hostile_input() -> None:
    text = "<<<<<<< x\n" * 200_000 + "=======\n" * 10  # no closing marker
    assert runner.conflict_line(text) is None


@pytest.mark.parametrize("command", ["check", "fix", "pin"])
def test_a_file_with_conflict_markers_is_reported_and_never_fixed(command: str, tmp_path: Path) -> None:
    df = tmp_path / "Dockerfile"
    df.write_text(CONFLICT)
    args = {"check": ["check"], "fix": ["fix", "--unsafe-fixes"], "pin": ["pin", "--offline"]}[command]
    r = invoke(*args, "Dockerfile", cwd=tmp_path)
    assert r.exit_code == 2, r.output
    assert df.read_text() == CONFLICT
    # check lists unusable files with its findings (stdout); fix and pin on stderr
    where = "Dockerfile: error: line 2:" if command == "check" else "hardenify: error: Dockerfile: line 2:"
    assert f"{where} unresolved merge conflict (<<<<<<< marker); resolve it first" in r.output
    assert r.output.count("unresolved merge conflict") == 1


def test_bulk_does_not_commit_a_file_with_conflict_markers(tmp_path: Path) -> None:
    from hardenify.bulk.treefix import FixOptions, fix_tree

    (tmp_path / "Dockerfile").write_text(CONFLICT)
    tf = fix_tree(tmp_path, FixOptions(unsafe_fixes=True))
    assert not tf.has_changes
    assert tf.failures() == [
        ("Dockerfile", "line 2: unresolved merge conflict (<<<<<<< marker); resolve it first")
    ]


# --------------------------------------------------------------------------- unbuildable results


SECRETS = (
    "FROM python:3.12\n"
    "ARG GITHUB_TOKEN NPM_TOKEN\n"
    "RUN echo $GITHUB_TOKEN\n"
    "RUN echo $NPM_TOKEN\n"
    "ENV API_KEY=abc123secretvalue DB_PASSWORD=hunter2hunter2\n"
    "RUN echo $API_KEY\n"
    "RUN echo $DB_PASSWORD\n"
    "USER app\n"
)


def test_removing_every_pair_removes_the_instruction() -> None:
    settings = Settings(select=("HF301",), unsafe_fixes=True)
    res = engine.fix_text("Dockerfile", SECRETS, "dockerfile", settings)
    assert res.refused is None, res.refused
    assert res.fixed["HF301"] == 4
    lines = res.text.splitlines()
    assert not [ln for ln in lines if ln.split() and ln.split()[0] in ("ARG", "ENV")], res.text
    assert lines[0] == "FROM python:3.12" and lines[-1] == "USER app"
    assert engine.buildkit_error(res.text) is None
    assert not engine.parse_dockerfile(res.text).problems
    assert engine.fix_text("Dockerfile", res.text, "dockerfile", settings).text == res.text


def test_removing_one_pair_of_several_keeps_the_others() -> None:
    text = "FROM python:3.12\nENV API_KEY=abc123secretvalue LANG=C.UTF-8\nRUN echo $API_KEY\nUSER app\n"
    res = engine.fix_text("Dockerfile", text, "dockerfile", Settings(select=("HF301",), unsafe_fixes=True))
    assert "ENV LANG=C.UTF-8\n" in res.text
    assert "API_KEY=abc" not in res.text


def test_a_result_hardenify_cannot_parse_is_refused_even_when_buildkit_accepts_it() -> None:
    before = "FROM a\nENV A=1\n"
    after = "FROM a\nENV\n"
    assert engine.buildkit_error(after) is None  # BuildKit's line parser lets a bare ENV through
    why = engine._verify(before, after, "dockerfile")
    assert why is not None and "ENV requires at least one argument" in why
    # a problem the original already had is not the fix's fault
    assert engine._verify("FROM a\nENV\nRUN x\n", "FROM a\nENV\nRUN y\n", "dockerfile") is None


def _git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    ident = ["-c", "user.name=t", "-c", "user.email=t@example.test", "-c", "commit.gpgsign=false"]
    return subprocess.run(
        ["git", *ident, *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout


@pytest.mark.parametrize("tracked", [True, False])
def test_bulk_commits_the_target_of_a_symlinked_dockerfile_or_nothing(tracked: bool, tmp_path: Path) -> None:
    from hardenify.bulk.treefix import FixOptions, fix_tree

    repo = tmp_path / "repo"
    (repo / "base").mkdir(parents=True)
    (repo / "svc").mkdir()
    (repo / "base" / "image.df").write_text(BAD)  # not a Dockerfile name: found only through the link
    (repo / "svc" / "Dockerfile").symlink_to("../base/image.df")
    _git(repo, "init", "-q")
    _git(repo, "add", "svc/Dockerfile", *(["base/image.df"] if tracked else []))
    _git(repo, "commit", "-q", "-m", "init")
    only = set(_git(repo, "ls-files", "-z").split("\0")) - {""}
    tf = fix_tree(repo, FixOptions(select=("HF406",)), only=only)
    if tracked:
        assert tf.failures() == []
        assert [tf.relpath(p) for p in tf.touched_paths()] == ["base/image.df"]  # what gets committed
        assert [row[0] for row in tf.diffstat()] == ["base/image.df"]
        tf.write()
        assert (repo / "svc" / "Dockerfile").is_symlink()
        assert (repo / "base" / "image.df").read_text() == FIXED
    else:
        assert tf.failures() == [
            (
                "svc/Dockerfile",
                "not written: it is a symlink to base/image.df, which the repository does not track",
            )
        ]
        assert (repo / "base" / "image.df").read_text() == BAD


def test_bulk_never_writes_through_a_link_leaving_the_repository(tmp_path: Path) -> None:
    from hardenify.bulk.treefix import FixOptions, fix_tree

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text(BAD)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Dockerfile").write_text(BAD)
    tf = fix_tree(repo, FixOptions(select=("HF406",)))
    tf.tasks[0].path = str(repo / "svc.Dockerfile")  # as if discovery had followed a link out
    (repo / "svc.Dockerfile").symlink_to(outside / "Dockerfile")
    problems = tf.failures()
    assert len(problems) == 1 and "outside the repository" in problems[0][1]
    assert (outside / "Dockerfile").read_text() == BAD
