"""Property-based tests (Hypothesis), with modest example counts.

1. records -> RDF -> Turtle / TriG / N-Triples / N-Quads / JSON-LD / RDF/XML -> RDF is
   isomorphic: a generated source text holds generated titles and quotes (CJK, any
   Unicode, control characters, quotes, markup) at the offsets the generated YAML
   record gives; the record and source go through the real loaders, the build, the
   writers and the strict reader. RDF/XML may instead refuse, naming the subject, when a
   value holds a character XML 1.0 cannot carry.
2. ingest never crashes on arbitrary text or bytes: a report or a KgError, nothing else.
3. every named query gives the same rows on the rdflib and Oxigraph stores for small
   generated graphs (random cases, places, categories and mechanism tags).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rdflib import Dataset
from rdflib.compare import isomorphic

from kg import KnowledgeGraph
from kg.build import serialize
from kg.build.dataset import build, load_inputs
from kg.core.errors import KgError
from kg.core.formats import RDF, get
from kg.core.namespaces import GRAPH
from kg.core.rdfio import parse_dataset
from kg.query.library import named_queries
from kg.records.load import load_case
from kg.records.schema import BODY_TYPES, BodyRef, Case, Claim, KnownIds, Measure, Span
from kg.sources.documents import load_source
from kg.store.memory import MemoryStore
from kg.store.oxigraph import OxigraphStore

from ..conftest import ROOT, copy_inputs

BASE = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
    database=None,
)


NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)


def examples(n: int) -> settings:
    """`n` examples; KG_HYPOTHESIS_SCALE=10 (say) for a deeper run than CI's."""
    return settings(BASE, max_examples=n * int(os.environ.get("KG_HYPOTHESIS_SCALE", "1")))


SOURCE_ID = "hyp-npc-cases-2024"
BATCH = "hyp-b1"
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
ANY = st.characters(codec="utf-8", exclude_categories=("Cs",))
SPECIAL = st.sampled_from(
    list("\"'\\<>&\n\r\t\x00\x0c\x85\u2028\u2029\ufeff\ufffe\u200b\u202e⼈１=+-@“”「」")
    + ['"""', "'''", "</script>", "@prefix", "\\u0000", "^^", "@en"]
)
TEXT = st.lists(st.one_of(CJK, CJK, ANY, SPECIAL), min_size=1, max_size=24).map("".join)
LABEL = TEXT.filter(lambda s: s.strip() != "")


@functools.cache
def seed_inputs():
    return load_inputs(ROOT)


@pytest.fixture(scope="module")
def inputs():
    return seed_inputs()


# -- 1. records -> RDF -> every serialisation -> RDF --


def _record_and_source(draw_title, draw_pieces, known: KnownIds, mechanisms: list[str]):
    """A source text with the record's quotes at their offsets; (text, source yaml, record)."""
    parts: list[str] = []

    def put(quote: str) -> dict:
        parts.append("\n")
        start = sum(len(p) for p in parts)
        parts.append(quote)
        return {"quote": quote, "start": start, "end": start + len(quote)}

    title, body, heading, tail, reason, mech_quotes = draw_pieces
    record = {
        "id": f"{BATCH}-01",
        "source": SOURCE_ID,
        "item": 1,
        "category": sorted(known.categories)[0],
        "title": {**put(title), "en": draw_title},
        "body": {**put(body), "type": BODY_TYPES[0], "place": "440106", "en": draw_title},
        "measures": [{"n": 1, "heading": heading, "heading_en": draw_title, **put(heading + tail)}],
        "selection_reason": {**put(reason), "en": draw_title},
        "mechanisms": [
            {"id": mechanisms[i % len(mechanisms)], **put(q)} for i, q in enumerate(mech_quotes)
        ],
    }
    parts.append("\n")
    text = "".join(parts)
    source = {
        "id": SOURCE_ID,
        "file": f"{SOURCE_ID}.txt",
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "title": title,
        "title_en": draw_title,
        "publisher": body,
        "date": "2024-01-31",
        "notice_title": title,
        "issuing_body": body,
        "batch": {
            "id": BATCH,
            "ordinal": 1,
            "year": 2024,
            "province": "440000",
            "label": reason,
        },
    }
    return text, source, record


def _dump(data: dict) -> str:
    """The project's own record writer (kg ingest's): it escapes what YAML would fold.

    (PyYAML's safe_dump writes U+0085 raw in a single-quoted scalar, which reads back as
    a space: a record written that way would no longer match its source.)
    """
    from kg.records.write import render

    return render(data, {}, [])


def _roundtrip(dataset: Dataset, fmt: str, folder: Path) -> Dataset:
    suffix = get(RDF, fmt).suffix
    path = folder / f"kg{suffix}"
    path.write_bytes(serialize.serialize(dataset, fmt))
    return parse_dataset(path)


@examples(40)
@given(
    title_en=LABEL,
    pieces=st.tuples(LABEL, LABEL, LABEL, TEXT, LABEL, st.lists(LABEL, min_size=1, max_size=3)),
)
def test_records_survive_every_serialisation(title_en, pieces):
    inputs = seed_inputs()
    known = KnownIds(
        sources={SOURCE_ID: BATCH},
        categories=frozenset(inputs_categories(inputs)),
        mechanisms=frozenset(inputs_mechanisms(inputs)),
        actors=frozenset(),
        platform_types=frozenset(),
        places=inputs.gazetteer.keys(),
    )
    text, source_doc, record_doc = _record_and_source(
        title_en, pieces, known, sorted(known.mechanisms)[:5]
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sources = folder / "sources"
        sources.mkdir()
        (sources / f"{SOURCE_ID}.txt").write_bytes(text.encode("utf-8"))
        (sources / f"{SOURCE_ID}.yaml").write_text(_dump(source_doc), encoding="utf-8")
        (folder / f"{BATCH}-01.yaml").write_text(_dump(record_doc), encoding="utf-8")
        source = load_source(sources / f"{SOURCE_ID}.yaml")
        case = load_case(folder / f"{BATCH}-01.yaml", known)
        assert case.title.quote == pieces[0] and case.title_en == title_en
        for span in case.spans():
            assert source.text[span.start : span.end] == span.quote
        built = build(dataclasses.replace(inputs, sources={SOURCE_ID: source}, cases=[case]))
        ours = Dataset()
        for graph in built.dataset.graphs():
            if str(graph.identifier) not in (
                str(GRAPH["ontology"]),
                str(GRAPH["vocabulary"]),
                str(GRAPH["places"]),
            ):
                named = ours.graph(graph.identifier)
                for triple in graph:
                    named.add(triple)
        original = serialize.union(ours)
        assert any(str(o) == title_en for o in original.objects())
        for fmt in ("ttl", "nt", "nq", "trig", "jsonld", "xml"):
            try:
                back = _roundtrip(ours, fmt, folder)
            except KgError as exc:
                assert fmt == "xml" and "RDF/XML cannot carry" in str(exc), (fmt, str(exc))
                assert re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", text + title_en)
                continue
            assert isomorphic(serialize.union(back), original), fmt
            if fmt in ("nq", "trig", "jsonld"):
                for graph in serialize.named_graphs(ours):
                    assert isomorphic(back.graph(graph.identifier), graph), (fmt, graph)


def inputs_categories(inputs) -> list[str]:
    from kg.sources.vocabulary import vocabulary_ids

    return sorted(vocabulary_ids(inputs.vocabulary)["categories"])


def inputs_mechanisms(inputs) -> list[str]:
    from kg.sources.vocabulary import vocabulary_ids

    return sorted(vocabulary_ids(inputs.vocabulary)["mechanisms"])


# -- 2. ingest never crashes --

TOKENS = st.sampled_from(
    [
        "项目一:",
        "项目二:",
        "项目三:",
        "申报单位:",
        "主要做法:",
        "入选理由:",
        "一是",
        "二是",
        "(一)",
        "1.",
        "人大常委会",
        "镇人大",
        "街道人大工委",
        "广州市天河区",
        "佛山市禅城区",
        "第三届",
        "2020年",
        "等10个项目",
        "一、监督工作方面",
        "来源:广东人大网 2020-12-31",
        "“",
        "”",
        "《",
        "》",
        "\n",
        "\r\n",
        "\u3000",
        "\ufeff",
        "⼈⼤",
        "１２",
        "<script>",
        "代表联络站",
        "满意度测评",
        "創新",
    ]
)
NOTICE = st.lists(st.one_of(TOKENS, TOKENS, CJK, ANY), max_size=300).map("".join)
PROSE = st.lists(st.one_of(CJK, CJK, CJK, TOKENS, SPECIAL), max_size=40).map("".join)
UNITS = st.sampled_from(
    [
        "广州市天河区人大常委会",
        "河源市东源县灯塔镇人大",
        "佛山市禅城区祖庙街道人大工委",
        "\u2f34州市天河区\u2f08\u2f24常委会",
        "某某县人大常委会",
        "<script>人大常委会",
        "",
    ]
)
ITEM = st.tuples(
    st.sampled_from(["一", "二", "三", "四", "十一", "1", "一"]), PROSE, UNITS, PROSE, PROSE
).map(
    lambda t: (
        f"项目{t[0]}:{t[1]}\n申报单位:{t[2]}\n主要做法:一是{t[3]}。二是{t[4]}。\n入选理由:{t[4]}\n"
    )
)
STRUCTURED = st.tuples(
    st.sampled_from(["", "来源:广东人大网 2021-12-28\n", "第四届广东省县乡人大工作创新案例\n"]),
    st.lists(st.one_of(ITEM, st.just("一、监督工作方面\n"), PROSE), min_size=1, max_size=6),
    st.booleans(),
).map(lambda t: (t[0] + "".join(t[1])).replace("\n", "\r\n" if t[2] else "\n"))


@pytest.fixture(scope="module")
def ingester(tmp_path_factory):

    from kg.ingest import Ingester

    return Ingester(copy_inputs(tmp_path_factory.mktemp("ingest-root")))


def _ingest_bytes(ingester, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "notice.txt"
        path.write_bytes(data)
        try:
            report = ingester.ingest(path, write=False)
        except KgError as exc:
            assert exc.problems and all(str(p) for p in exc.problems)
            return
        text = data.decode("utf-8")
        for draft in report.cases:
            for quote, start, end in _spans(draft.record):
                assert text[start:end] == quote


def _spans(node):
    if isinstance(node, dict):
        if {"quote", "start", "end"} <= set(node) and isinstance(node["start"], int):
            yield node["quote"], node["start"], node["end"]
        for value in node.values():
            yield from _spans(value)
    elif isinstance(node, list):
        for value in node:
            yield from _spans(value)


@examples(80)
@given(text=NOTICE)
def test_ingest_never_crashes_on_text(ingester, text):
    _ingest_bytes(ingester, text.encode("utf-8"))


@examples(60)
@given(text=STRUCTURED)
def test_ingest_never_crashes_on_notice_like_text(ingester, text):
    _ingest_bytes(ingester, text.encode("utf-8"))


@examples(40)
@given(data=st.binary(max_size=4000))
def test_ingest_never_crashes_on_bytes(ingester, data):
    _ingest_bytes(ingester, data)


@examples(10)
@given(line=st.integers(min_value=190_000, max_value=210_000), cjk=st.booleans())
def test_ingest_long_lines(ingester, line, cjk):
    body = ("人" if cjk else "a") * line
    _ingest_bytes(ingester, ("项目一:" + body + "\n申报单位:广州市天河区人大常委会\n").encode())


# -- 3. every named query, same rows on both stores --


def _places(inputs) -> list[str]:
    towns = sorted(inputs.gazetteer.towns)
    counties = [k for k in sorted(inputs.gazetteer.table) if k.startswith("44") and k[4:] != "00"]
    return counties[:12] + towns


@pytest.fixture(scope="module")
def vocab(inputs):
    from kg.sources.vocabulary import vocabulary_ids

    ids = vocabulary_ids(inputs.vocabulary)
    return {k: sorted(v) for k, v in ids.items()}


def _span(text: str, start: int, length: int, field: str) -> Span:
    return Span(text[start : start + length], start, start + length, "generated", field, None)


@st.composite
def corpora(draw, inputs, vocab):
    source = inputs.sources[next(iter(inputs.sources))]
    places = _places(inputs)
    n = draw(st.integers(min_value=1, max_value=6))
    cases = []
    for item in range(1, n + 1):
        offset = draw(st.integers(min_value=0, max_value=len(source.text) - 40))
        span = _span(source.text, offset, 10, "title")
        mechanisms = draw(
            st.lists(st.sampled_from(vocab["mechanisms"]), min_size=1, max_size=6, unique=True)
        )
        actors = draw(st.lists(st.sampled_from(vocab["actors"]), max_size=3, unique=True))
        roles = ("leads", "supports", "participates", "evaluates", "supervised")
        cases.append(
            Case(
                id=f"{source.batch.id}-{item:02d}",
                file="generated",
                source=source.id,
                item=item,
                category=draw(st.sampled_from(vocab["categories"])),
                title=span,
                title_en=f"case {item}",
                body=BodyRef(
                    draw(st.sampled_from(BODY_TYPES)), draw(st.sampled_from(places)), "", span
                ),
                measures=[Measure(1, span.quote[:3], "", span)],
                mechanisms=[
                    Claim(m, _span(source.text, offset + i, 5, "m"))
                    for i, m in enumerate(mechanisms)
                ],
                start_year=draw(st.one_of(st.none(), st.integers(2000, 2024))),
                start_year_span=None,
                actors=[
                    Claim(a, _span(source.text, offset, 4, "a"), draw(st.sampled_from(roles)))
                    for a in actors
                ],
            )
        )
    return cases


def _rows(kg: KnowledgeGraph, name: str, params: dict) -> list[str]:
    table = kg.select(name, **params)
    return sorted(repr(sorted(row.items())) for row in table.dicts())


@pytest.fixture(scope="module")
def corpus_strategy(inputs, vocab):
    return corpora(inputs, vocab)


@settings(examples(6), phases=NO_SHRINK)  # a build per example: shrinking took minutes
@given(data=st.data())
def test_named_queries_agree_on_generated_graphs(inputs, vocab, corpus_strategy, data):
    cases = data.draw(corpus_strategy)
    built = build(dataclasses.replace(inputs, cases=cases))
    memory = KnowledgeGraph(MemoryStore(built.dataset))
    oxigraph = KnowledgeGraph(OxigraphStore.from_dataset(built.dataset))
    used = sorted({m.id for c in cases for m in c.mechanisms})
    place = inputs.gazetteer.place(cases[0].body.place)
    params = {
        "mechanism": data.draw(st.sampled_from(used)),
        "case": data.draw(st.sampled_from([c.id for c in cases])),
        "place": data.draw(st.sampled_from([place.name, place.key, "广东省"])),
    }
    for name, query in sorted(named_queries().items()):
        given_params = {p.name: params[p.name] for p in query.params if p.default is None}
        assert _rows(memory, name, given_params) == _rows(oxigraph, name, given_params), name
