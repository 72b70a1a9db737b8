"""HTML documentation of the ontology and the SKOS vocabularies: offline and bilingual.

One page, generated from the graph itself (so it cannot drift from the data): the
ontology header, classes and properties with zh/en labels, comments, domains, ranges
and source quotes, then each concept scheme as a tree with its labels, surface forms
and definitions. Every string is escaped; the page loads nothing.
"""

from __future__ import annotations

import html
from collections import defaultdict
from typing import TYPE_CHECKING

from rdflib import URIRef

from kg.query.writers import compact

if TYPE_CHECKING:
    from kg.query.graph import QueryGraph

_TERMS = """
SELECT ?term ?kind ?label_zh ?label_en ?comment_zh ?comment_en ?domain ?range ?quote WHERE {
  VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty }
  ?term a ?kind .
  FILTER(STRSTARTS(STR(?term), STR(rkg:)))
  OPTIONAL { ?term rdfs:label ?label_zh FILTER(lang(?label_zh) = "zh") }
  OPTIONAL { ?term rdfs:label ?label_en FILTER(lang(?label_en) = "en") }
  OPTIONAL { ?term rdfs:comment ?comment_zh FILTER(lang(?comment_zh) = "zh") }
  OPTIONAL { ?term rdfs:comment ?comment_en FILTER(lang(?comment_en) = "en") }
  OPTIONAL { ?term rdfs:domain ?domain FILTER(isIRI(?domain)) }
  OPTIONAL { ?term rdfs:range ?range FILTER(isIRI(?range)) }
  OPTIONAL { ?term rkg:sourceQuote ?quote }
}
ORDER BY ?kind ?term
"""
_HEADER = """
SELECT ?p ?o WHERE { ?ontology a owl:Ontology ; ?p ?o } ORDER BY ?p ?o
"""
_CONCEPTS = """
SELECT ?scheme ?scheme_zh ?scheme_en ?concept ?broader ?pref_zh ?pref_en ?alt ?def_zh ?def_en
       ?quote WHERE {
  ?concept skos:inScheme ?scheme .
  OPTIONAL { ?scheme dcterms:title ?scheme_zh FILTER(lang(?scheme_zh) = "zh") }
  OPTIONAL { ?scheme dcterms:title ?scheme_en FILTER(lang(?scheme_en) = "en") }
  OPTIONAL { ?concept skos:broader ?broader }
  OPTIONAL { ?concept skos:prefLabel ?pref_zh FILTER(lang(?pref_zh) = "zh") }
  OPTIONAL { ?concept skos:prefLabel ?pref_en FILTER(lang(?pref_en) = "en") }
  OPTIONAL { ?concept skos:altLabel ?alt }
  OPTIONAL { ?concept skos:definition ?def_zh FILTER(lang(?def_zh) = "zh") }
  OPTIONAL { ?concept skos:definition ?def_en FILTER(lang(?def_en) = "en") }
  OPTIONAL { ?concept rkg:sourceQuote ?quote }
}
ORDER BY ?scheme ?concept
"""
_CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; margin: 24px;
       max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #ddd;
padding: 4px 6px; vertical-align: top; font-size: 0.9em; text-align: left; }
code { color: #4e79a7; } .quote { color: #7a5200; } .alt { color: #666; font-size: 0.85em; }
ul.tree { list-style: none; padding-left: 1.2em; } ul.tree li { margin: 6px 0; }
nav a { margin-right: 1em; }
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _ontology_section(kg: QueryGraph) -> list[str]:
    out = ['<h2 id="ontology">本体 Ontology</h2>', "<dl>"]
    for p, o in kg.query_own(_HEADER).rows:
        out.append(f"<dt><code>{_e(compact(p))}</code></dt><dd>{_e(o)}</dd>")
    out.append("</dl>")
    rows: dict[str, dict] = {}
    for row in kg.query_own(_TERMS).dicts():
        entry = rows.setdefault(row["term"], {**row, "quotes": set()})
        if row["quote"]:
            entry["quotes"].add(row["quote"])
    for kind, title in (
        ("Class", "类 Classes"),
        ("ObjectProperty", "对象属性 Object properties"),
        ("DatatypeProperty", "数据属性 Datatype properties"),
        ("AnnotationProperty", "注释属性 Annotation properties"),
    ):
        terms = [r for r in rows.values() if r["kind"].endswith(kind)]
        if not terms:
            continue
        out += [
            f"<h3>{_e(title)}</h3>",
            "<table><tr><th>term</th><th>标签 label</th>"
            "<th>说明 comment</th><th>domain → range</th></tr>",
        ]
        for r in terms:
            term = compact(URIRef(r["term"]))
            quotes = "".join(f'<div class="quote">“{_e(q)}”</div>' for q in sorted(r["quotes"]))
            dr = " → ".join(_e(compact(URIRef(x))) if x else "·" for x in (r["domain"], r["range"]))
            out.append(
                f'<tr id="{_e(term)}"><td><code>{_e(term)}</code></td>'
                f"<td>{_e(r['label_zh'])}<br>{_e(r['label_en'])}</td>"
                f"<td>{_e(r['comment_zh'])}<br>{_e(r['comment_en'])}{quotes}</td>"
                f"<td>{dr if r['domain'] or r['range'] else ''}</td></tr>"
            )
        out.append("</table>")
    return out


def _vocabulary_section(kg: QueryGraph) -> list[str]:
    concepts: dict[str, dict] = {}
    schemes: dict[str, tuple[str, str]] = {}
    for row in kg.query_own(_CONCEPTS).dicts():
        schemes[row["scheme"]] = (row["scheme_zh"] or row["scheme"], row["scheme_en"] or "")
        c = concepts.setdefault(
            row["concept"], {**row, "alts": set(), "broaders": set(), "quotes": set()}
        )
        for key, value in (
            ("alts", row["alt"]),
            ("broaders", row["broader"]),
            ("quotes", row["quote"]),
        ):
            if value:
                c[key].add(value)
    children: dict[str, list[str]] = defaultdict(list)
    for concept, c in sorted(concepts.items()):
        for parent in c["broaders"]:
            children[parent].append(concept)
    out = ['<h2 id="vocabularies">词表 Vocabularies</h2>']

    def item(concept: str, depth: int) -> list[str]:
        c = concepts[concept]
        alts = "、".join(sorted(c["alts"]))
        quotes = "".join(f'<div class="quote">“{_e(q)}”</div>' for q in sorted(c["quotes"]))
        lines = [
            f'<li id="{_e(compact(URIRef(concept)))}"><b>{_e(c["pref_zh"])}</b> '
            f"{_e(c['pref_en'])} <code>{_e(compact(URIRef(concept)))}</code>"
            f"<div>{_e(c['def_zh'])}</div><div>{_e(c['def_en'])}</div>"
            + (f'<div class="alt">别名 altLabels: {_e(alts)}</div>' if alts else "")
            + quotes
        ]
        if children.get(concept) and depth < 10:
            lines.append('<ul class="tree">')
            for child in children[concept]:
                lines += item(child, depth + 1)
            lines.append("</ul>")
        lines.append("</li>")
        return lines

    for scheme, (zh, en) in sorted(schemes.items()):
        members = [c for c, v in sorted(concepts.items()) if v["scheme"] == scheme]
        tops = [c for c in members if not (concepts[c]["broaders"] & set(members))]
        out.append(
            f'<h3 id="{_e(compact(URIRef(scheme)))}">{_e(zh)} · {_e(en)} ({len(members)})</h3>'
        )
        out.append('<ul class="tree">')
        for top in tops:
            out += item(top, 0)
        out.append("</ul>")
    return out


def render_docs(kg: QueryGraph) -> str:
    """The documentation page as a string (UTF-8, no scripts, no external resources)."""
    body = _ontology_section(kg) + _vocabulary_section(kg)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="zh">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'\">",
            "<title>renda-kg 本体与词表 · ontology and vocabularies</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            "<h1>renda-kg 本体与词表 · Ontology and vocabularies</h1>",
            '<nav><a href="#ontology">本体 Ontology</a><a href="#vocabularies">词表 '
            "Vocabularies</a></nav>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )
