"""Hostile notices through `kg ingest`.

Refused inputs end in exit 1 with a message naming the file (and line where there is
one) and write nothing: data/ is byte-identical afterwards. Accepted variants of a real
notice (a BOM, invisible and bidi characters, Kangxi radicals, full-width digits, markup
and spreadsheet formulas in titles) give drafts whose every quote is the source text at
its offsets, and a second run changes nothing.

Kangxi radicals (⼈ U+2F08 for 人, typical of text copied out of a PDF) are read as the
ideographs they stand for when matching (NFKC, one character for one, so offsets hold),
with a warning, while quotes keep the characters of the text. Full-width digits are read
as ASCII digits for matching in the same way.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from kg.core.yamlstrict import load_yaml
from kg.ingest.text import KANGXI

from .conftest import FIXTURES, accepted, refused, run, snapshot

NOTICE = FIXTURES / "notice-batch4.txt"
SOURCE = "gd-npc-innovation-cases-batch4-2021"
TEXT = NOTICE.read_text(encoding="utf-8")
TITLE = "民生实事项目人大代表票决制 让群众点菜、代表定菜"


def _write(tmp: Path, name: str, data: str | bytes) -> Path:
    path = tmp / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


REFUSED = {
    "empty": (b"", ["the notice is empty"]),
    "whitespace-only": (" \n\t\r\n \n", ["the notice is empty"]),
    "ideographic-spaces-only": ("\u3000\n" * 10, ["no innovation cases found"]),
    "one-line-of-1MB": ("人" * 1_000_000, [":1:", "line 1 has 1,000,000 characters"]),
    "notice-with-a-1MB-line": (
        TEXT + "\n" + "x" * 1_000_000 + "\n",
        [f":{TEXT.count(chr(10)) + 2}:", "characters; a notice line has at most 200,000"],
    ),
    "gbk-bytes": (TEXT.encode("gb18030"), [":1:", "looks GBK/GB18030-encoded", "iconv"]),
    "nul-bytes": (TEXT.replace("项目一", "项目\x00一"), ["this is a binary file"]),
    "binary": (bytes(range(256)) * 64, ["this is a binary file"]),
    "over-20MB": (("人大常委会\n" * 1_300_000), ["a notice has at most 20,000,000"]),
    "no-cases": ("这是一段普通的文字,没有任何创新案例。\n" * 50, ["no innovation cases found"]),
    "duplicate-items": (
        TEXT.replace("项目二:", "项目一:", 1),
        [":10:", "item number 1 appears twice (lines 6 and 10)"],
    ),
}


@pytest.fixture(scope="module")
def shared_root(tmp_path_factory) -> Path:
    """A project refused notices run against (they must not write anything)."""

    from ..conftest import copy_inputs

    return copy_inputs(tmp_path_factory.mktemp("ingest-project"))


@pytest.mark.parametrize("kind", list(REFUSED))
def test_hostile_notice_is_refused_and_writes_nothing(shared_root: Path, tmp_path: Path, kind):
    data, words = REFUSED[kind]
    path = _write(tmp_path, f"{kind}.txt", data)
    before = snapshot(shared_root / "data")
    refused(run("ingest", path, "--root", shared_root), path.name, *words)
    assert snapshot(shared_root / "data") == before


@pytest.mark.parametrize(
    "option, value",
    [("--source-id", "../../../etc/cron.d/x"), ("--batch", "gd-b4/../../x"), ("--source-id", "Ａ")],
)
def test_hostile_ids_are_refused(shared_root: Path, option: str, value: str):
    before = snapshot(shared_root / "data")
    refused(run("ingest", NOTICE, "--root", shared_root, option, value), "is not a valid id")
    assert snapshot(shared_root / "data") == before


def test_missing_notice_and_folder(shared_root: Path, tmp_path: Path):
    refused(run("ingest", tmp_path / "nowhere.txt", "--root", shared_root), "file not found")
    refused(run("ingest", tmp_path, "--root", shared_root), "directory")


# -- accepted variants: verbatim quotes at the right offsets --


def _quotes(node, out):
    if isinstance(node, dict):
        if {"quote", "start", "end"} <= set(node):
            out.append((node["quote"], node["start"], node["end"]))
        for value in node.values():
            _quotes(value, out)
    elif isinstance(node, list):
        for value in node:
            _quotes(value, out)
    return out


def _drafts(root: Path) -> dict[str, dict]:
    folder = root / "data" / "drafts" / SOURCE
    return {
        p.name: load_yaml(p)
        for p in sorted(folder.glob("gd-b4-*.yaml"))
        if not p.name.endswith(".draft.yaml")
    }


def _ingest(project: Path, text: str | bytes, name: str = "notice.txt") -> tuple[str, dict]:
    path = _write(project, name, text)
    output = accepted(run("ingest", path, "--root", project))
    source = (project / "data" / "sources" / f"{SOURCE}.txt").read_bytes()
    assert source == path.read_bytes(), "the source is not a verbatim copy"
    drafts = _drafts(project)
    assert len(drafts) == 6, output
    decoded = source.decode("utf-8")
    for name_, record in drafts.items():
        for quote, start, end in _quotes(record, []):
            assert decoded[start:end] == quote, (name_, quote, start, end)
    again = accepted(run("ingest", path, "--root", project))
    assert "created" not in again and "updated" not in again, again
    return output, drafts


def _shape(drafts: dict[str, dict]) -> list:
    """What a variant must not change: ids, places, body types, mechanisms, offsets."""
    return [
        (
            r["id"],
            r["category"],
            r["body"]["type"],
            r["body"]["place"],
            sorted((m["id"], m["start"], m["end"]) for m in r.get("mechanisms") or []),
            r["title"]["start"],
            r["title"]["end"],
        )
        for r in drafts.values()
    ]


def _ids(shape: list) -> list:
    return [(*s[:4], sorted(m for m, _, _ in s[4])) for s in shape]


@pytest.fixture(scope="module")
def clean_shape(tmp_path_factory) -> list:

    from ..conftest import copy_inputs

    root = copy_inputs(tmp_path_factory.mktemp("clean"))
    return _shape(_ingest(root, TEXT)[1])


def _same_length(old: str, new: str) -> str:
    assert len(old) == len(new)
    return TEXT.replace(old, new)


VARIANTS = {
    # same length as the original, so the offsets of the clean drafts must hold
    "zero-width-space": _same_length("让群众点菜", "让群\u200b点菜"),
    "bidi-override": _same_length("让群众点菜", "让\u202e众点菜"),
    "form-feed": _same_length("让群众点菜", "让群\x0c点菜"),
    "noncharacter-fffe": _same_length("让群众点菜", "让群\ufffe点菜"),
    "script-tag": TEXT.replace("让群众点菜、代表定菜", "<script>window.__pwned=1</script>"),
    "img-onerror": TEXT.replace("让群众点菜、代表定菜", '<img src=x onerror="alert(1)">'),
    "csv-formula": TEXT.replace("让群众点菜、代表定菜", '=HYPERLINK("http://x","y")'),
}


@pytest.mark.parametrize("kind", list(VARIANTS))
def test_invisible_and_markup_characters_stay_verbatim(project: Path, clean_shape, kind):
    _, drafts = _ingest(project, VARIANTS[kind])
    shape = _shape(drafts)
    if len(VARIANTS[kind]) == len(TEXT):
        assert shape == clean_shape
    else:  # the title changed length: everything but the offsets is the same
        assert _ids(shape) == _ids(clean_shape)
    title = drafts["gd-b4-01.yaml"]["title"]["quote"]
    assert title in VARIANTS[kind]


def test_utf8_bom_counts_as_one_character(project: Path, clean_shape):
    """The BOM is kept in the copied source, so every offset is one more than without it."""
    _, drafts = _ingest(project, "\ufeff" + TEXT)
    shifted = [
        (*s[:4], [(m, a + 1, b + 1) for m, a, b in s[4]], s[5] + 1, s[6] + 1) for s in clean_shape
    ]
    assert _shape(drafts) == shifted


def test_kangxi_radicals_are_matched_with_a_warning_and_quoted_verbatim(project, clean_shape):
    radical_of = {chr(v): chr(k) for k, v in KANGXI.items() if 0x2F00 <= k <= 0x2FD5}
    text = "".join(radical_of.get(ch, ch) for ch in TEXT)
    replaced = sum(1 for a, b in zip(text, TEXT, strict=True) if a != b)
    assert replaced > 100 and unicodedata.normalize("NFKC", text) == TEXT
    output, drafts = _ingest(project, text)
    assert f"{replaced} Kangxi radical(s)" in output, output
    assert _shape(drafts) == clean_shape
    title = drafts["gd-b4-01.yaml"]["title"]["quote"]
    assert title != TITLE and unicodedata.normalize("NFKC", title) == TITLE  # verbatim


def test_fullwidth_digits_are_read_as_digits(project: Path, clean_shape):
    text = TEXT.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    output, drafts = _ingest(project, text)
    assert _shape(drafts) == clean_shape
    assert SOURCE in output  # the year 2021 was read from ２０２１
