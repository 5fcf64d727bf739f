"""The compose model: lossless round trip, lookups through anchors and merges, style, pragmas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hardenify.compose import load, parse, sibling_reader
from hardenify.compose.model import is_map, text_of
from tests.compose.util import dedent

ANCHORS = dedent(
    """
    x-common: &common
      restart: always
      cap_drop: [NET_RAW]
    x-env: &env
      A: "1"
    services:
      web:
        <<: *common
        image: nginx:1.27  # web
        environment: *env
      api:
        <<: [*common]
        image: example/api:1
        cap_drop: [ALL]
      clone: *common
    """
)


def test_render_without_edits_is_the_text() -> None:
    for text in (
        ANCHORS,
        "services:\r\n  a:\r\n    image: x",
        "",
        "# only a comment\n",
        "---\na: 1\n---\nb: 2\n",
    ):
        assert parse(text).render() == text


def test_parse_error_is_recorded_not_raised() -> None:
    cf = parse("services:\n  a: [unclosed\n")
    assert cf.error is not None
    assert cf.services == []


def test_services_and_merged_lookups() -> None:
    cf = parse(ANCHORS)
    assert [s.name for s in cf.services] == ["web", "api", "clone"]
    web = cf.service("web")
    assert web is not None
    restart = web.get("restart")
    assert restart is not None and restart.merged and text_of(restart.value) == "always"
    image = web.get("image")
    assert image is not None and not image.merged
    api = cf.service("api")
    assert api is not None
    own = api.get("cap_drop")
    assert own is not None and not own.merged  # own keys override merged ones


def test_users_of_an_anchor() -> None:
    cf = parse(ANCHORS)
    web = cf.service("web")
    assert web is not None
    entry = web.get("cap_drop")
    assert entry is not None
    services, outside = cf.users(entry.owner, "cap_drop")
    # api overrides cap_drop, so only web and clone show the anchor's list
    assert services == {(0, "web"), (0, "clone")}
    assert not outside
    assert (0, "x-common", "cap_drop") in cf.entry_paths(entry.owner, "cap_drop")


def test_anchor_used_outside_services_is_ambiguous() -> None:
    cf = parse("shared: &s\n  privileged: true\nservices:\n  a:\n    <<: *s\n    image: x\n")
    a = cf.service("a")
    assert a is not None
    entry = a.get("privileged")
    assert entry is not None
    assert cf.users(entry.owner, "privileged") == ({(0, "a")}, True)


def test_extends_same_file_and_other_file() -> None:
    cf = parse(
        dedent(
            """
            services:
              base:
                image: x
                read_only: true
              child:
                extends: base
              remote:
                extends:
                  file: other.yaml
                  service: base
            """
        )
    )
    child, remote = cf.service("child"), cf.service("remote")
    assert child is not None and remote is not None
    entry, unknown = child.find("read_only")
    assert entry is not None and not unknown
    assert remote.find("read_only") == (None, True)


def test_style_detection() -> None:
    block4 = parse("services:\n    a:\n        ports:\n        -   '80:80'\n")
    assert block4.style() == {"indent": 4, "seq_indent": 0, "flow_lists": False, "quote": "'"}
    flow = parse('services:\n  a:\n    ports: ["80:80"]\n    dns: [1.1.1.1]\n')
    assert flow.style()["flow_lists"] is True
    assert flow.style()["quote"] == '"'


def test_multi_document_services_keep_their_document() -> None:
    cf = parse("services:\n  a:\n    image: x\n---\nservices:\n  b:\n    image: y\n")
    assert [(s.name, s.doc) for s in cf.services] == [("a", 0), ("b", 1)]
    assert cf.data()[1]["services"]["b"]["image"] == "y"


def test_data_applies_merges_and_types() -> None:
    cf = parse("x: &x {a: 1, b: true}\ny:\n  <<: *x\n  b: false\n  c: 1.5\n  d:\n")
    assert cf.data() == [{"x": {"a": 1, "b": True}, "y": {"a": 1, "b": False, "c": 1.5, "d": None}}]


def test_pragmas_above_or_trailing() -> None:
    text = dedent(
        """
        services:
          # hardenify: ignore[HF601, HF605]
          a:
            privileged: true  # hardenify: ignore[HF603]
          # hardenify: ignore
          b:
            image: x
          # hardenify: ignore[HF601]

          c:
            image: y
        """
    )
    cf = parse(text)
    a, b, c = cf.service("a"), cf.service("b"), cf.service("c")
    assert a is not None and b is not None and c is not None
    assert cf.ignored("HF601", a.start)
    assert cf.ignored("HF6", a.start) is False  # a prefix in the source silences, not in the query
    assert not cf.ignored("HF602", a.start)
    priv = a.get("privileged")
    assert priv is not None and cf.ignored("HF603", priv.start)
    assert cf.ignored("HF612", b.start)  # bare ignore silences everything
    assert not cf.ignored("HF601", c.start)  # a blank line breaks "directly above"


def test_ignore_file_is_not_a_line_pragma() -> None:
    cf = parse("services:\n  # hardenify: ignore-file[HF601]\n  a:\n    image: x\n")
    a = cf.service("a")
    assert a is not None and not cf.ignored("HF601", a.start)


def test_sibling_reader_stays_inside_its_tree(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM alpine\n")
    (tmp_path / "big").write_bytes(b"x" * (1024 * 1024 + 1))
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("secret")
    (tmp_path / "link").symlink_to(outside)
    read = sibling_reader(str(tmp_path))
    assert read("app/Dockerfile") == "FROM alpine\n"
    assert read("./app/../app/Dockerfile") == "FROM alpine\n"
    assert read(f"../{outside.name}") is None
    assert read("link") is None
    assert read(str(tmp_path / "app" / "Dockerfile")) is None  # absolute paths are refused
    assert read("big") is None
    assert read("missing") is None
    assert read("${DIR}/Dockerfile") is None


def test_load_reads_beside_an_existing_file_only(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text("services: {}\n")
    (tmp_path / "Dockerfile").write_text("FROM alpine\n")
    cf = load(compose.read_text(), filename=str(compose))
    assert cf.reader is not None and cf.reader("Dockerfile") == "FROM alpine\n"
    assert load("services: {}\n", filename="-").reader is None
    assert load("services: {}\n", filename=str(tmp_path / "nope.yaml")).reader is None


def test_importing_rules_does_not_import_ruamel() -> None:
    code = (
        "import sys\n"
        "from hardenify.rules import all_rules\n"
        "from hardenify.engine import lint\n"
        "from hardenify.settings import Settings\n"
        "assert any(r.code.startswith('HF6') for r in all_rules())\n"
        "lint('Dockerfile', 'FROM alpine:3.20\\n', 'dockerfile', Settings())\n"
        "assert 'ruamel' not in sys.modules, 'ruamel imported by a Dockerfile run'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_mapping_helpers() -> None:
    cf = parse(ANCHORS)
    web = cf.service("web")
    assert web is not None and is_map(web.node)
    assert cf.keys(web.node) == ["image", "environment", "restart", "cap_drop"]
