"""Validate a build: the mechanism vocabulary (`kg.validate.vocabulary`), evidence quotes
against their sources, SHACL shapes, QC queries.

Every finding names the record file and field it came from where one exists, so a
curator can go straight to the line to fix.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from kg.build.dataset import AnyBuild, Build, build, load_inputs
from kg.core.errors import Problem
from kg.core.isolate import start_isolated
from kg.core.layout import Project
from kg.core.namespaces import ACTOR, CAT, MECH, PLACE, PREFIXES, PTYPE, REGION, RKG, SH
from kg.core.rdfio import parse_turtle
from kg.core.textio import read_utf8
from kg.validate import cache as validate_cache


@dataclass
class Report:
    """The outcome of validation: `conforms` is False if any finding is an error."""

    problems: list[Problem] = field(default_factory=list)
    checked_spans: int = 0
    shacl_results: int = 0
    qc_queries: int = 0
    partial: dict[str, int] = field(default_factory=dict)  # evidence level -> cases

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]

    @property
    def conforms(self) -> bool:
        return not self.errors

    def text(self) -> str:
        lines = [str(p) if p.severity == "error" else f"warning: {p}" for p in self.problems]
        verdict = "valid" if self.conforms else "INVALID"
        if self.partial:
            counts = ", ".join(f"{n} {level}" for level, n in sorted(self.partial.items()))
            lines.append(f"cases resting on less than a full item block: {counts}")
        lines.append(
            f"{verdict}: {len(self.errors)} error(s), {len(self.warnings)} warning(s); "
            f"{self.checked_spans} evidence spans checked, {self.qc_queries} QC queries run"
        )
        return "\n".join(lines)


def check_evidence(result: AnyBuild) -> tuple[list[Problem], int]:
    """Every quote must occur verbatim in its case's source at its offsets."""
    problems, checked = [], 0
    sources = result.inputs.sources
    for case in result.inputs.cases:
        for source_id, spans in case.spans_by_source().items():
            more, count = _check_spans(sources[source_id].text, spans)
            problems += more
            checked += count
    return problems, checked


def _check_spans(text: str, spans: list) -> tuple[list[Problem], int]:
    """The spans of one source (the primary or an other source) against its text."""
    problems, checked = [], 0
    for span in spans:
        checked += 1
        if span.end > len(text):
            problems.append(
                Problem(
                    span.file,
                    f"offsets {span.start}-{span.end} lie beyond "
                    f"the end of the source ({len(text)} characters)",
                    span.field,
                    span.line,
                    _relocate_hint(text, span.quote),
                )
            )
        elif text[span.start : span.end] != span.quote:
            found = text[span.start : span.end]
            problems.append(
                Problem(
                    span.file,
                    f"quote does not match the source at "
                    f"{span.start}-{span.end} (the source has {found!r})",
                    span.field,
                    span.line,
                    _relocate_hint(text, span.quote),
                )
            )
    return problems, checked


def _relocate_hint(text: str, quote: str) -> str:
    at = text.find(quote)
    if at < 0:
        return "the quote does not occur in the source: copy it verbatim from the source text"
    again = text.find(quote, at + 1)
    more = " (it occurs more than once; pick the right one)" if again >= 0 else ""
    return f"the quote occurs at start: {at}, end: {at + len(quote)}{more}"


def _origin(result: AnyBuild, node: object) -> tuple[str, str]:
    paths = result.inputs.paths
    if isinstance(node, URIRef):
        if node in result.origins:
            return result.origins[node]
        text = str(node)
        for ns, where in (
            (MECH, paths.vocab),
            (ACTOR, paths.vocab),
            (CAT, paths.vocab),
            (PTYPE, paths.vocab),
            (REGION, paths.vocab),
            (PLACE, paths.places),
            (RKG, paths.ontology),
        ):
            if text.startswith(str(ns)):
                return str(where), text[len(str(ns)) :]
    return "graph", str(node)


def shacl_findings(result: AnyBuild, data: Graph) -> list[dict]:
    """pySHACL over the whole graph: one plain record per result (see `shacl_problems`)."""
    import pyshacl  # heavy import, only when validating

    shapes = parse_turtle(result.inputs.paths.shapes)
    # inplace: pySHACL would otherwise copy the data graph first (a fifth of its time on
    # the seed); with no inference and no SHACL rules in our shapes it changes nothing, and
    # the graph is made for this validation (`_start_graph_findings`).
    _, report_graph, _ = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        inplace=True,
    )
    short = data.namespace_manager.normalizeUri
    findings = []
    for res in sorted(report_graph.subjects(RDF.type, SH.ValidationResult), key=str):
        focus = report_graph.value(res, SH.focusNode)
        path = report_graph.value(res, SH.resultPath)
        message = report_graph.value(res, SH.resultMessage)
        findings.append(
            {
                "focus": str(focus),
                "iri": isinstance(focus, URIRef),
                "shown": short(focus),
                "path": short(path) if isinstance(path, URIRef) else "",
                "message": str(message or "shape violated"),
                "violation": report_graph.value(res, SH.resultSeverity) == SH.Violation,
            }
        )
    return findings


def shacl_problems(result: AnyBuild, findings: list[dict]) -> list[Problem]:
    """SHACL findings as problems that name the record file and field of their focus."""
    problems = []
    for found in findings:
        focus = URIRef(found["focus"]) if found["iri"] else found["focus"]
        file, field_name = _origin(result, focus)
        prop = f" {found['path']}" if found["path"] else ""
        problems.append(
            Problem(
                file,
                f"{found['message']} [{found['shown']}{prop}]",
                field_name,
                severity="error" if found["violation"] else "warning",
            )
        )
    return problems


def _queries(result: AnyBuild) -> list[Path]:
    folder = result.inputs.paths.qc
    return sorted(folder.glob("*.rq")) if folder.is_dir() else []


def qc_findings(result: AnyBuild, data: Graph) -> dict[str, dict]:
    """ODK-style quality-control queries, each of which must return zero rows: per query
    file name, its first 20 rows (terms shortened) or its syntax error.

    They run on Oxigraph: each is a whole-graph scan that rdflib answers 100x slower.
    """
    import pyoxigraph

    store = pyoxigraph.Store()
    store.load(data.serialize(format="nt", encoding="utf-8"), pyoxigraph.RdfFormat.N_TRIPLES)
    findings: dict[str, dict] = {}
    for path in _queries(result):
        try:
            rows = list(store.query(read_utf8(path), prefixes=PREFIXES))
        except SyntaxError as exc:
            findings[path.name] = {"error": str(exc)}
            continue
        findings[path.name] = {
            "rows": [", ".join(_short(data, v) for v in row if v is not None) for row in rows[:20]]
        }
    return findings


def qc_problems(result: AnyBuild, findings: dict[str, dict]) -> list[Problem]:
    problems = []
    for path in _queries(result):
        found = findings.get(path.name, {})
        if "error" in found:
            problems.append(Problem(str(path), f"SPARQL syntax error: {found['error']}"))
        for values in found.get("rows", []):
            problems.append(
                Problem(str(path), f"quality check failed for {values}", hint=_description(path))
            )
    return problems


def _short(data: Graph, term: object) -> str:
    value = getattr(term, "value", str(term))
    if type(term).__name__ == "NamedNode":
        return data.namespace_manager.normalizeUri(URIRef(value))
    return value


def _description(path: Path) -> str:
    for line in read_utf8(path).splitlines():
        if line.startswith("# description:"):
            return line.removeprefix("# description:").strip()
    return ""


def validate(
    result: AnyBuild,
    *,
    cache: bool = False,
    meanwhile: Callable[[AnyBuild], object] | None = None,
) -> Report:
    """All checks; the report lists every finding rather than stopping at the first.

    With `cache`, SHACL and the QC queries are not run again on a graph they already
    judged (`kg.validate.cache`); the checks of records and quotes always run.
    `meanwhile(result)` is called while SHACL runs in its child: work that waits for
    the verdict anyway (`kg run` renders the output files then).
    """
    report = Report()
    pending = _start_graph_findings(result, cache)  # SHACL runs meanwhile, in a child
    report.problems += _vocabulary_problems(result, cache)
    evidence, report.checked_spans = check_evidence(result)
    report.problems += evidence
    for case in result.inputs.cases:
        if case.evidence != "full":
            report.partial[case.evidence] = report.partial.get(case.evidence, 0) + 1
    if meanwhile is not None:
        meanwhile(result)
    findings = pending()
    shacl = shacl_problems(result, findings["shacl"])
    report.shacl_results = len(shacl)
    report.problems += shacl
    report.problems += qc_problems(result, findings["qc"])
    report.qc_queries = len(findings["qc"])  # one entry per query file
    return report


def _vocabulary_problems(result: AnyBuild, cache: bool) -> list[Problem]:
    """The vocabulary lint's problems; with `cache`, kept under the digest of the
    vocabulary's files (compiling its 500 patterns takes 0.3 s of an edited `kg run`)."""
    folder = result.inputs.paths.vocab
    if cache:
        where = validate_cache.lint_folder(result.inputs.paths.root)
        entry = validate_cache.vocabulary_key(folder)
        kept = validate_cache.load(where, entry)
        if kept is not None and isinstance(kept.get("vocabulary"), list):
            try:
                return [Problem(**found) for found in kept["vocabulary"]]
            except TypeError:  # an entry of another shape: linted again, and kept anew
                pass
    # Imported only now: the lint brings networkx and the tagger (0.23 s), which a kept
    # answer does not need.
    from kg.validate.vocabulary import check_vocabulary

    problems = check_vocabulary(result.inputs.vocabulary, folder)
    if not cache:
        return problems
    validate_cache.save(where, entry, {"vocabulary": [dataclasses.asdict(p) for p in problems]})
    return problems


def _start_graph_findings(result: AnyBuild, cache: bool) -> Callable[[], dict]:
    """The function that gives what SHACL and the QC queries found: kept in
    `kg.validate.cache` when this graph (with these shapes, queries and code) was
    validated before; else pySHACL starts now in a forked child (0.6 s for the seed, the
    longest check) while this process runs the QC queries and the other checks."""
    if cache:
        where = validate_cache.folder(result.inputs.paths.root)
        entry = validate_cache.key(result)
        if (kept := validate_cache.load(where, entry)) is not None:
            return lambda: kept
    data = result.union()  # made once: the child inherits it
    shacl = start_isolated(lambda: shacl_findings(result, data), 0, "SHACL validation")

    def findings() -> dict:
        found = {"qc": qc_findings(result, data)}
        found["shacl"] = shacl()
        if cache:
            validate_cache.save(where, entry, found)
        return found

    return findings


def build_project(
    root: Path | Project,
    *,
    check: bool = True,
    cache: bool = False,
    meanwhile: Callable[[Build], object] | None = None,
) -> tuple[Build, Report | None]:
    """Build the dataset of a project; validate it unless `check` is False (with the
    findings cache of `kg.validate.cache` if `cache`; `meanwhile` as for `validate`)."""
    result = build(load_inputs(root))
    return result, validate(result, cache=cache, meanwhile=meanwhile) if check else None
