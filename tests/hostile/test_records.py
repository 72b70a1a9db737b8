"""Hostile YAML records and source metadata through `kg build --root`.

Each case damages a scratch copy of the project that already holds a good build, runs
`kg build`, and checks: exit 1 with a message naming the file (and line or field), no
traceback, and build/ byte-identical to what it was. A UTF-8 BOM is the one input that
is accepted: the build succeeds and writes the same bytes as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Built, accepted, refused, run, snapshot

CASE = "data/cases/gd-b3-04.yaml"
SOURCE_META = "data/sources/gd-npc-innovation-cases-batch3-2020.yaml"
TITLE = "创新代表暗访调研机制,找准监督突破口,构建垃圾分类监督工作新常态"

ALIAS_BOMB = 'lol0: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"lol{i}: &{chr(97 + i)} [{', '.join(['*' + chr(96 + i)] * 9)}]\n" for i in range(1, 9)
)


def _raw(built: Built, old: bytes, new: bytes) -> None:
    path = built.root / CASE
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))


def _line(built: Built, needle: str, rel: str = CASE) -> int:
    text = (built.root / rel).read_text(encoding="utf-8")
    return text[: text.index(needle)].count("\n") + 1


def duplicate_key(b: Built) -> list[str]:
    b.edit(CASE, "category: deputy-work\n", "category: deputy-work\ncategory: supervision\n")
    return [f"{CASE}:5", "duplicate key 'category' (first on line 4)"]


def yaml11_boolean_no(b: Built) -> list[str]:
    b.edit(CASE, "type: county-standing-committee", "type: NO")
    return [CASE, "body.type: unknown value 'NO'"]


def yaml11_boolean_on(b: Built) -> list[str]:
    b.edit(CASE, "item: 4\n", "item: on\n")
    return [f"{CASE}:3", "item: expected a whole number, found str 'on'"]


def yaml11_octal(b: Built) -> list[str]:
    b.edit(CASE, "item: 4\n", "item: 010\n")
    return [f"{CASE}:3", "item: expected a whole number, found str '010'"]


def alias_bomb(b: Built) -> list[str]:
    b.edit(CASE, "id: gd-b3-04\n", ALIAS_BOMB + "id: gd-b3-04\n")
    return [f"{CASE}:2", "aliases (*name) are not allowed"]


def python_object(b: Built) -> list[str]:
    canary = b.root / "PWNED"
    b.edit(
        CASE,
        "category: deputy-work",
        f'category: !!python/object/apply:os.system ["touch {canary}"]',
    )
    return [f"{CASE}:4", "tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"]


def python_name(b: Built) -> list[str]:
    b.edit(CASE, "category: deputy-work", "category: !!python/name:os.system")
    return [f"{CASE}:4", "is not allowed"]


def binary_tag(b: Built) -> list[str]:
    b.edit(CASE, "category: deputy-work", "category: !!binary ZGVwdXR5LXdvcms=")
    return [f"{CASE}:4", "tag 'tag:yaml.org,2002:binary' is not allowed"]


def merge_key(b: Built) -> list[str]:
    b.edit(CASE, "category: deputy-work\n", "category: deputy-work\n<<: {item: 5}\n")
    return [CASE, "unknown field '<<'"]


def nested_3000(b: Built) -> list[str]:
    b.edit(CASE, "category: deputy-work", "category: " + "[" * 3000 + "]" * 3000)
    return [CASE, "nested too deeply"]


def empty_record(b: Built) -> list[str]:
    (b.root / CASE).write_text("", encoding="utf-8")
    return [CASE, "the file must be a mapping of keys to values, found NoneType"]


def gbk_bytes(b: Built) -> list[str]:
    _raw(b, "天河".encode(), "天河".encode("gbk"))
    return [CASE, "not valid UTF-8", "iconv"]


def nul_character(b: Built) -> list[str]:
    line = _line(b, "  en: Innovating")
    b.edit(CASE, "  en: Innovating", "  en: In\x00novating")
    return [f"{CASE}:{line}", "character U+0000 is not allowed in YAML"]


def form_feed(b: Built) -> list[str]:
    line = _line(b, "  en: Innovating")
    b.edit(CASE, "  en: Innovating", "  en: In\x0cnovating")
    return [f"{CASE}:{line}", "character U+000C is not allowed in YAML"]


def noncharacter_fffe(b: Built) -> list[str]:
    line = _line(b, "  en: Innovating")
    b.edit(CASE, "  en: Innovating", "  en: In\ufffenovating")
    return [f"{CASE}:{line}", "character U+FFFE is not allowed in YAML"]


def zero_width_space_in_quote(b: Built) -> list[str]:
    b.edit(CASE, f"quote: {TITLE}", f"quote: {TITLE[:4]}\u200b{TITLE[4:-1]}")
    return [CASE, "title", "quote does not match the source"]


def bidi_override_in_quote(b: Built) -> list[str]:
    b.edit(CASE, f"quote: {TITLE}", f"quote: \u202e{TITLE[:-1]}")
    return [CASE, "title", "quote does not match the source"]


def kangxi_radical_in_quote(b: Built) -> list[str]:
    # ⼈ (U+2F08, KANGXI RADICAL MAN) looks like 人 but is another character
    b.edit(CASE, "quote: 广州市天河区人大常委会", "quote: 广州市天河区\u2f08大常委会")
    return [CASE, "body", "quote does not match the source"]


def fullwidth_digits(b: Built) -> list[str]:
    b.edit(CASE, "item: 4\n", "item: ４\n")
    return [f"{CASE}:3", "item: expected a whole number, found str '４'"]


def script_in_quote(b: Built) -> list[str]:
    b.edit(CASE, f"quote: {TITLE}", "quote: <script>window.__pwned=1</script>")
    return [CASE, "title", "quote does not match the source"]


def impossible_date(b: Built) -> list[str]:
    b.edit(SOURCE_META, 'date: "2020-12-31"', 'date: "2020-02-30"')
    return [SOURCE_META, "date: '2020-02-30' is not a date"]


def basic_format_date(b: Built) -> list[str]:
    # Python's date.fromisoformat reads it, but "20201231"^^xsd:date would be ill-typed
    b.edit(SOURCE_META, 'date: "2020-12-31"', 'date: "20201231"')
    return [SOURCE_META, "date: '20201231' is not a date"]


def source_path_traversal(b: Built) -> list[str]:
    b.edit(
        SOURCE_META,
        "file: gd-npc-innovation-cases-batch3-2020.txt",
        "file: ../../../../../../etc/hostname",
    )
    return [SOURCE_META, "file: '../../../../../../etc/hostname' is not a file name"]


def yaml_in_the_vocabulary(b: Built) -> list[str]:
    # a literal as subject in a hand-edited Turtle vocabulary: the strict gate names it
    path = b.root / "data/vocab/mechanisms.ttl"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines.append('"a literal" skos:prefLabel "x"@zh .')
    path.write_text("\n".join(lines), encoding="utf-8")
    return [f"data/vocab/mechanisms.ttl:{len(lines)}", "invalid Turtle", "not a valid subject"]


REFUSED: dict[str, Callable[[Built], list[str]]] = {
    f.__name__.replace("_", "-"): f
    for f in (
        duplicate_key,
        yaml11_boolean_no,
        yaml11_boolean_on,
        yaml11_octal,
        alias_bomb,
        python_object,
        python_name,
        binary_tag,
        merge_key,
        nested_3000,
        empty_record,
        gbk_bytes,
        nul_character,
        form_feed,
        noncharacter_fffe,
        zero_width_space_in_quote,
        bidi_override_in_quote,
        kangxi_radical_in_quote,
        fullwidth_digits,
        script_in_quote,
        impossible_date,
        basic_format_date,
        source_path_traversal,
        yaml_in_the_vocabulary,
    )
}


@pytest.mark.parametrize("kind", list(REFUSED))
def test_hostile_record_is_refused_and_build_kept(built: Built, kind: str):
    before = snapshot(built.build)
    words = REFUSED[kind](built)
    started = time.perf_counter()
    result = run("build", "--root", built.root, "--out", built.build)
    elapsed = time.perf_counter() - started
    output = refused(result, *words)
    assert "Traceback" not in output
    assert snapshot(built.build) == before, "build/ changed"
    assert elapsed < 30, f"{kind} took {elapsed:.1f} s"
    assert not (built.root / "PWNED").exists(), "a YAML tag ran a command"


def test_utf8_bom_is_accepted_and_changes_nothing(built: Built):
    """A BOM (Windows editors write one) is ignored: same graph, same bytes."""
    before = snapshot(built.build)
    path = built.case()
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    accepted(run("build", "--root", built.root, "--out", built.build))
    assert snapshot(built.build) == before


def test_validate_names_every_broken_record_at_once(built: Built):
    """Several hostile records in one run: all are reported, nothing is written."""
    yaml11_octal(built)
    other = built.root / "data/cases/gd-b3-05.yaml"
    other.write_text(other.read_text(encoding="utf-8") + "\nid: again\n", encoding="utf-8")
    output = refused(run("validate", "--root", built.root), CASE, "gd-b3-05.yaml")
    assert "duplicate key 'id'" in output


def test_the_alias_bomb_is_cheap(tmp_path: Path):
    """Refused at the first alias: no expansion happens, so it costs milliseconds."""
    from kg.core.errors import KgError
    from kg.core.yamlstrict import load_yaml

    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB, encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(KgError, match="aliases"):
        load_yaml(path)
    assert time.perf_counter() - started < 1.0
