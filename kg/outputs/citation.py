"""The files that make a release citable on its own: README, CITATION.cff, LICENSE, and
the source texts that the evidence offsets point into.

The release date is fixed by the data, not the clock, so the same graph always gives
the same files: `SOURCE_DATE_EPOCH` when set (the reproducible-builds convention),
otherwise the latest date the graph itself records (the ontology's or vocabularies'
`dcterms:modified`/`created`, a source's `dcterms:issued`).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

from kg.core.errors import KgError, Problem
from kg.core.textio import read_utf8

if TYPE_CHECKING:
    from kg.query.graph import QueryGraph

_DATES = """
SELECT (MAX(STR(?date)) AS ?latest) WHERE {
  VALUES ?p { dcterms:modified dcterms:created dcterms:issued }
  ?s ?p ?date FILTER(datatype(?date) = xsd:date)
}
"""
DATA_LICENCE = "https://creativecommons.org/licenses/by/4.0/"


def release_date(kg: QueryGraph) -> dt.date:
    """SOURCE_DATE_EPOCH's day (UTC), else the latest date recorded in the graph."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
        except (ValueError, OverflowError, OSError):
            raise KgError(
                Problem(
                    "SOURCE_DATE_EPOCH",
                    f"{epoch!r} is not a number of seconds since 1970-01-01",
                    hint="set it to e.g. $(git log -1 --format=%ct), or unset it",
                )
            ) from None
    rows = kg.query(_DATES, timeout=None).rows
    latest = rows[0][0] if rows and rows[0][0] else None
    return dt.date.fromisoformat(str(latest)[:10]) if latest else dt.date(1970, 1, 1)


def source_files(root: Path) -> dict[str, bytes]:
    """data/sources/*.txt and their metadata, byte for byte, as `sources/NAME`."""
    folder = root / "data" / "sources"
    if not folder.is_dir():
        return {}
    out = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in (".txt", ".yaml"):
            read_utf8(path)  # a source that is not UTF-8 text is refused, with its name
            out[f"sources/{path.name}"] = path.read_bytes()
    return out


def citation_cff(version: str, date: dt.date) -> bytes:
    lines = [
        "cff-version: 1.2.0",
        'message: "If you use this dataset, please cite it as below."',
        "type: dataset",
        "title: \"renda-kg: a knowledge graph of local people's congress innovation cases"
        ' (人大工作创新案例知识图谱)"',
        "authors:",
        '  - name: "renda-kg contributors"',
        f'version: "{version}"',
        f"date-released: {date.isoformat()}",
        "license: CC-BY-4.0",
        "keywords:",
        "  - people's congress",
        "  - local governance",
        "  - China",
        "  - knowledge graph",
        "  - RDF",
        'identifiers:\n  - type: url\n    value: "https://w3id.org/renda-kg/dataset"',
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def licence_text() -> bytes:
    return (
        "The data of this release (the graph in every serialisation, the tables, the\n"
        "codebook, the networks and the documentation) are licensed under the Creative\n"
        f"Commons Attribution 4.0 International licence (CC BY 4.0): {DATA_LICENCE}\n"
        "Cite the release as CITATION.cff says.\n"
        "\n"
        "The files in sources/ are verbatim copies of published notices, kept so that\n"
        "every quote and offset in the graph can be checked against its source; their\n"
        "rights stay with their publishers, named in each source's .yaml file.\n"
        "\n"
        "The software that built the release (renda-kg) is under the MIT licence.\n"
    ).encode()


def readme_text(version: str, date: dt.date, files: dict[str, bytes], counts: dict) -> bytes:
    """What is in the release and how to read it, with the number of cases and triples."""
    tables = sorted(n.removeprefix("csv/") for n in files if n.startswith("csv/"))
    lines = [
        f"# renda-kg {version} ({date.isoformat()})",
        "",
        "人大工作创新案例知识图谱: innovation cases of county- and township-level people's",
        "congresses in China, the bodies that declared them, their places and recurring",
        "mechanisms, with every claim traced to a sentence of its source.",
        "",
        f"{counts.get('cases', 0)} cases, {counts.get('triples', 0)} triples.",
        "",
        "## Files",
        "",
        "| file | what |",
        "|---|---|",
        "| `kg.ttl`, `kg.nt`, `kg.rdf` | the graph (union of all named graphs) |",
        "| `kg.trig`, `kg.nq`, `kg.jsonld` | the same with one named graph per source |",
        "| `kg.graphml`, `kg.gexf` | the typed network for Gephi (every role kept) |",
        "| `networks/` | case-mechanism, co-occurrence and similarity networks |",
        "| `csv/` | tidy tables for R, Stata and pandas; `csv/codebook.md` explains each |",
        "| `sources/` | the source texts the evidence offsets point into |",
        "| `docs/index.html` | the ontology and vocabularies |",
        "| `void.ttl` | VoID/DCAT description; `context.jsonld` the JSON-LD context |",
        "| `CANONICAL`, `SHA256SUMS` | RDFC-1.0 checksum of the graph; file checksums |",
        "",
        "## Reading the tables",
        "",
        "```r",
        'cases <- read.csv("csv/cases.csv", encoding = "UTF-8",',
        '                  colClasses = c(code = "character"))',
        "```",
        "",
        "```python",
        "import pandas as pd",
        'cases = pd.read_csv("csv/cases.csv", dtype={"code": str})',
        "```",
        "",
        "Stata: `import delimited using csv/cases.csv, encoding(utf-8) stringcols(_all)`,",
        "or export `.dta` files with `kg export --format dta`.",
        "",
        "Tables: " + ", ".join(f"`{t}`" for t in tables) + ".",
        "",
        "An evidence row's `start` and `end` are code-point offsets into",
        "`sources/<source>.txt`: `text[start:end]` is the quote.",
        "",
        "Licence: see LICENSE (data CC BY 4.0). Citation: see CITATION.cff.",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")
