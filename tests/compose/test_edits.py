"""Span edits written in the file's own style, and re-load verification."""

from __future__ import annotations

from hardenify.compose import parse
from hardenify.compose.edits import Flow, append_items, insert_keys, remove_pair, replace_scalar
from hardenify.compose.verify import Change, verify
from hardenify.diagnostics import Edit
from hardenify.dockerfile.edits import apply
from tests.compose.util import dedent


def _svc_node(text: str, name: str = "a"):  # type: ignore[no-untyped-def]
    cf = parse(text)
    svc = cf.service(name)
    assert svc is not None
    return cf, svc


def test_insert_keys_block_style_after_last_entry_keeps_comments() -> None:
    text = dedent(
        """
        services:
          a:
            image: x  # keep me
            # about b
          b:
            image: y
        """
    )
    cf, a = _svc_node(text)
    edit = insert_keys(cf, a.node, [("read_only", True), ("tmpfs", ["/tmp"])])
    assert edit is not None
    assert apply(text, [edit]) == dedent(
        """
        services:
          a:
            image: x  # keep me
            read_only: true
            tmpfs:
              - /tmp
            # about b
          b:
            image: y
        """
    )


def test_insert_keys_follows_indent_and_flow_preference() -> None:
    text = "services:\n    a:\n        image: x\n        dns: [1.1.1.1]\n"
    cf, a = _svc_node(text)
    edit = insert_keys(
        cf, a.node, [("cap_drop", ["ALL"]), ("deploy", {"resources": {"limits": {"pids": 256}}})]
    )
    assert edit is not None
    assert apply(text, [edit]).endswith(
        "        cap_drop: [ALL]\n        deploy:\n            resources:\n                limits:\n"
        "                    pids: 256\n"
    )


def test_insert_keys_crlf_and_no_final_newline() -> None:
    text = "services:\r\n  a:\r\n    image: x"
    cf, a = _svc_node(text)
    edit = insert_keys(cf, a.node, [("read_only", True)])
    assert edit is not None
    assert apply(text, [edit]) == "services:\r\n  a:\r\n    image: x\r\n    read_only: true"


def test_insert_keys_into_flow_mapping() -> None:
    text = "services:\n  a: {image: x}\n  b: {}\n"
    cf, a = _svc_node(text)
    b = cf.service("b")
    assert b is not None
    e1 = insert_keys(cf, a.node, [("cap_drop", ["ALL"]), ("security_opt", ["no-new-privileges:true"])])
    e2 = insert_keys(cf, b.node, [("read_only", True)])
    assert e1 is not None and e2 is not None
    assert apply(text, [e1, e2]) == (
        'services:\n  a: {image: x, cap_drop: [ALL], security_opt: ["no-new-privileges:true"]}\n'
        "  b: {read_only: true}\n"
    )


def test_insert_before_a_final_block_scalar_without_newline() -> None:
    text = "services:\n  a:\n    image: x\n    command: >\n      run"
    cf, a = _svc_node(text)
    edit = insert_keys(cf, a.node, [("read_only", True)])
    assert edit is not None
    out = apply(text, [edit])
    assert out == "services:\n  a:\n    image: x\n    read_only: true\n    command: >\n      run"
    assert parse(out).data()[0]["services"]["a"]["command"] == "run"


def test_insert_after_alias_value() -> None:
    text = "x: &e {A: 1}\nservices:\n  a:\n    image: x\n    environment: *e\n"
    cf, a = _svc_node(text)
    edit = insert_keys(cf, a.node, [("read_only", True)])
    assert edit is not None
    assert apply(text, [edit]).endswith("    environment: *e\n    read_only: true\n")


def test_append_items_block_flow_and_empty() -> None:
    text = dedent(
        """
        services:
          a:
            cap_drop:
            - NET_RAW  # indentless
            security_opt: [label:type:x]
            dns: []
        """
    )
    cf, a = _svc_node(text)
    edits = []
    for key, item in (("cap_drop", "ALL"), ("security_opt", "no-new-privileges:true"), ("dns", "1.1.1.1")):
        entry = a.get(key)
        assert entry is not None
        edit = append_items(cf, entry.value, [item])
        assert edit is not None
        edits.append(edit)
    assert apply(text, edits) == dedent(
        """
        services:
          a:
            cap_drop:
            - NET_RAW  # indentless
            - ALL
            security_opt: [label:type:x, "no-new-privileges:true"]
            dns: [1.1.1.1]
        """
    )


def test_remove_pair_block_flow_and_last_line() -> None:
    text = "services:\n  a:\n    privileged: true\n    image: x\n  b: {privileged: true, image: y}\n  c:\n    image: z\n    privileged: true"
    cf, a = _svc_node(text)
    b, c = cf.service("b"), cf.service("c")
    assert b is not None and c is not None
    edits = []
    for svc in (a, b, c):
        entry = svc.get("privileged")
        assert entry is not None
        edit = remove_pair(cf, entry.owner, entry.index)
        assert edit is not None
        edits.append(edit)
    assert apply(text, edits) == "services:\n  a:\n    image: x\n  b: {image: y}\n  c:\n    image: z"


def test_remove_only_pair_is_refused() -> None:
    cf, a = _svc_node("services:\n  a:\n    privileged: true\n")
    entry = a.get("privileged")
    assert entry is not None
    assert remove_pair(cf, entry.owner, entry.index) is None


def test_replace_scalar_keeps_quotes_and_quotes_when_needed() -> None:
    text = "services:\n  a:\n    ports:\n      - '5432:5432'\n      - 6379:6379\n      - 11211\n    dns: [8.8.8.8]\n"
    cf, a = _svc_node(text)
    ports = a.get("ports")
    dns = a.get("dns")
    assert ports is not None and dns is not None
    edits = [
        replace_scalar(cf, ports.value.value[0], "127.0.0.1:5432:5432"),
        replace_scalar(cf, ports.value.value[1], "127.0.0.1:6379:6379"),
        replace_scalar(cf, ports.value.value[2], "127.0.0.1::11211"),
        replace_scalar(cf, dns.value.value[0], "[::1]", flow=True),
    ]
    assert all(e is not None for e in edits)
    assert apply(text, [e for e in edits if e is not None]) == (
        "services:\n  a:\n    ports:\n      - '127.0.0.1:5432:5432'\n      - 127.0.0.1:6379:6379\n"
        "      - 127.0.0.1::11211\n    dns: ['[::1]']\n"  # the file's own quote style
    )


def test_replace_scalar_skips_anchor_prefix_and_refuses_block_scalars() -> None:
    cf, a = _svc_node("services:\n  a:\n    image: &img nginx\n    command: |\n      run\n")
    image, command = a.get("image"), a.get("command")
    assert image is not None and command is not None
    edit = replace_scalar(cf, image.value, "nginx:1.27")
    assert edit is not None and cf.text[edit.start : edit.end] == "nginx"
    assert replace_scalar(cf, command.value, "x") is None


def test_flow_values_in_block_lines() -> None:
    cf, a = _svc_node("services:\n  a:\n    image: x\n")
    edit = insert_keys(cf, a.node, [("healthcheck", {"test": Flow(("CMD", "pg_isready")), "retries": 5})])
    assert edit is not None
    assert apply(cf.text, [edit]).endswith(
        "    healthcheck:\n      test: [CMD, pg_isready]\n      retries: 5\n"
    )


def test_verify_accepts_landed_changes_and_rejects_the_rest() -> None:
    text = "services:\n  a:\n    image: x\n  b:\n    image: y\n"
    cf, a = _svc_node(text)
    good = insert_keys(cf, a.node, [("read_only", True)])
    assert good is not None
    landed = Change(
        (good,),
        ((0, "services", "a", "read_only"),),
        lambda new: new.data()[0]["services"]["a"]["read_only"] is True,
    )
    # changes something it did not declare
    sneaky = Change((Edit(text.index("y"), text.index("y") + 1, "z"),), ())
    # does not parse
    broken = Change((Edit(len(text), len(text), "  c: [\n"),), ((0, "services", "c"),))
    # parses, but the promised value is not there
    wrong = Change(
        (Edit(len(text), len(text), "  c:\n    image: q\n"),), ((0, "services", "c"),), lambda new: False
    )
    assert verify(cf, [landed, sneaky, broken, wrong]) == [True, False, False, False]


def test_verify_refuses_files_with_duplicate_keys() -> None:
    text = "services:\n  a:\n    image: x\n    image: y\n"
    cf, a = _svc_node(text)
    edit = insert_keys(cf, a.node, [("read_only", True)])
    assert edit is not None
    assert verify(cf, [Change((edit,), ((0, "services", "a", "read_only"),))]) == [False]
