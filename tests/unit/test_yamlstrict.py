"""The strict YAML loader: YAML 1.1 surprises, duplicates, aliases and tags are refused."""

from pathlib import Path

import pytest

from kg.core.errors import KgError
from kg.core.yamlstrict import load_yaml


def _load(tmp_path: Path, text: str | bytes):
    path = tmp_path / "r.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return load_yaml(path)


def test_yaml11_booleans_and_octals_stay_as_written(tmp_path):
    data = _load(tmp_path, "a: NO\nb: on\nc: 010\nd: 440604\ne: true\nf: 1.5\ng: 2020-12-31\n")
    assert data == {
        "a": "NO",
        "b": "on",
        "c": "010",
        "d": 440604,
        "e": True,
        "f": 1.5,
        "g": "2020-12-31",
    }


def test_duplicate_key_names_line(tmp_path):
    with pytest.raises(KgError) as err:
        _load(tmp_path, "id: a\ntitle: x\nid: b\n")
    problem = err.value.problems[0]
    assert problem.line == 3
    assert "duplicate key 'id'" in problem.message and "line 1" in problem.message


@pytest.mark.parametrize(
    "text, words",
    [
        ("a: &x [1]\nb: *x\n", "aliases"),
        ("a: !!python/object:os.system x\n", "not allowed"),
        ("a: !custom x\n", "not allowed"),
        ("a: [1, 2\n", "invalid YAML"),
    ],
)
def test_refused_constructs(tmp_path, text, words):
    with pytest.raises(KgError) as err:
        _load(tmp_path, text)
    assert words in str(err.value)
    assert err.value.problems[0].line is not None


def test_alias_bomb_is_refused_quickly(tmp_path):
    bomb = "a: &a [x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(20)
    )
    with pytest.raises(KgError, match="aliases"):
        _load(tmp_path, bomb)


def test_non_utf8_names_file_and_line(tmp_path):
    with pytest.raises(KgError) as err:
        _load(tmp_path, b"a: ok\nb: " + "广东".encode("gbk") + b"\n")
    problem = err.value.problems[0]
    assert "not valid UTF-8" in problem.message
    assert problem.line == 2 and problem.file.endswith("r.yaml")
    assert "iconv" in problem.hint


def test_bom_is_accepted(tmp_path):
    assert _load(tmp_path, "\ufeffa: b\n") == {"a": "b"}


def test_key_lines_are_recorded(tmp_path):
    data = _load(tmp_path, "a: 1\nb:\n  c: 2\n")
    assert data.key_lines == {"a": 1, "b": 2}
    assert data["b"].key_lines == {"c": 3}


YAML_FILES = sorted((Path(__file__).parents[2] / "data").rglob("*.yaml"))


def _both_paths(monkeypatch, path: Path):
    """What load_yaml gives with libyaml's parser, and with the pure-Python strict one."""
    import yaml

    fast = load_yaml(path)
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    slow = load_yaml(path)
    monkeypatch.undo()
    return fast, slow


def _lines(value):
    """Every line number a loaded document remembers, in document order."""
    if isinstance(value, dict):
        own = [(value.line, sorted(value.key_lines.items()))]
        return own + [x for v in value.values() for x in _lines(v)]
    if isinstance(value, list):
        return [x for v in value for x in _lines(v)]
    return []


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_fast_path_reads_every_record_like_the_strict_loader(monkeypatch, path):
    import yaml

    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML without libyaml: only the strict loader runs")
    fast, slow = _both_paths(monkeypatch, path)
    assert fast == slow
    assert _lines(fast) == _lines(slow)


@pytest.mark.parametrize(
    "text",
    ["a: &x 1\nb: *x\n", "a: !!python/name:os.system x\n", "a: 1\na: 2\n", "a: [1, {b: 2]\n"],
    ids=["alias", "tag", "duplicate", "broken"],
)
def test_what_the_fast_path_doubts_gets_the_strict_loaders_message(monkeypatch, tmp_path, text):
    import yaml

    with pytest.raises(KgError) as fast:
        _load(tmp_path, text)
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    with pytest.raises(KgError) as slow:
        _load(tmp_path, text)
    assert str(fast.value) == str(slow.value)


def test_a_text_read_again_is_a_copy_with_its_lines(tmp_path):
    """The second read of the same text (here from another file) comes from the kept
    parse: equal, with the lines of its keys, and a copy of its own to change."""
    text = "id: a\nitems:\n  - name: x\n    note: y\n"
    first = _load(tmp_path, text)
    other = tmp_path / "elsewhere.yaml"
    other.write_text(text, encoding="utf-8")
    second = load_yaml(other)
    assert second == first and second is not first
    assert second.key_lines == {"id": 1, "items": 2}
    assert second["items"][0].line == 3 and second["items"][0].key_lines["note"] == 4
    second["items"][0]["name"] = "changed"
    assert load_yaml(other)["items"][0]["name"] == "x"


def test_a_bad_text_is_refused_each_time_with_its_own_file(tmp_path):
    for name in ("one.yaml", "two.yaml"):
        path = tmp_path / name
        path.write_text("a: 1\na: 2\n", encoding="utf-8")
        with pytest.raises(KgError) as caught:
            load_yaml(path)
        assert name in str(caught.value) and ".yaml:2:" in str(caught.value)
