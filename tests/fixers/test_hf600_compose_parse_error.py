from tests.compose.util import findings, rows

CODE = "HF600"


def test_invalid_yaml_is_reported_at_the_problem() -> None:
    ds = findings("services:\n  web:\n    image: nginx\n    ports: [80:80\n  db:\n    image: x\n", CODE)
    assert len(ds) == 1 and ds[0].location.row >= 4
    assert ds[0].message.startswith("not valid YAML")


def test_duplicate_keys_are_reported_at_the_repeat() -> None:
    text = "services:\n  web:\n    image: a\n    image: b\n  web:\n    image: c\n"
    assert sorted(rows(text, CODE)) == [("HF600", 4), ("HF600", 5)]


def test_valid_files_and_merge_keys_pass() -> None:
    text = "x: &x {a: 1}\ny: &y {b: 2}\nservices:\n  web:\n    <<: [*x, *y]\n    image: a\n"
    assert rows(text, CODE) == []
