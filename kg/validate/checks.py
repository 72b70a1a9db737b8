"""Validate a build: the mechanism vocabulary (`kg.validate.vocabulary`), evidence quotes
against their sources, SHACL shapes, QC queries.

Every finding names the record file and field it came from where one exists, so a
curator can go straight to the line to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from kg.build.dataset import Build, build, load_inputs
from kg.core.errors import Problem
from kg.core.layout import Project
from kg.core.namespaces import ACTOR, CAT, MECH, PLACE, PREFIXES, PTYPE, REGION, RKG, SH
from kg.core.rdfio import parse_turtle
from kg.core.textio import read_utf8
from kg.validate.vocabulary import check_vocabulary


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


def check_evidence(result: Build) -> tuple[list[Problem], int]:
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


def _origin(result: Build, node: object) -> tuple[str, str]:
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


def run_shacl(result: Build, data: Graph) -> list[Problem]:
    """pySHACL over the whole graph; results are mapped back to record files."""
    import pyshacl  # heavy import, only when validating

    shapes = parse_turtle(result.inputs.paths.shapes)
    _, report_graph, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    problems = []
    for res in sorted(report_graph.subjects(RDF.type, SH.ValidationResult), key=str):
        focus = report_graph.value(res, SH.focusNode)
        path = report_graph.value(res, SH.resultPath)
        message = report_graph.value(res, SH.resultMessage)
        severity = report_graph.value(res, SH.resultSeverity)
        file, field_name = _origin(result, focus)
        prop = data.namespace_manager.normalizeUri(path) if isinstance(path, URIRef) else ""
        problems.append(
            Problem(
                file,
                f"{message or 'shape violated'} [{data.namespace_manager.normalizeUri(focus)}"
                f"{' ' + prop if prop else ''}]",
                field_name,
                severity="error" if severity == SH.Violation else "warning",
            )
        )
    return problems


def run_qc(result: Build, data: Graph) -> tuple[list[Problem], int]:
    """ODK-style quality-control queries: each must return zero rows.

    They run on Oxigraph: each is a whole-graph scan that rdflib answers 100x slower.
    """
    import pyoxigraph

    folder = result.inputs.paths.qc
    paths = sorted(folder.glob("*.rq")) if folder.is_dir() else []
    store = pyoxigraph.Store()
    store.load(data.serialize(format="nt", encoding="utf-8"), pyoxigraph.RdfFormat.N_TRIPLES)
    problems = []
    for path in paths:
        try:
            rows = list(store.query(read_utf8(path), prefixes=PREFIXES))
        except SyntaxError as exc:
            problems.append(Problem(str(path), f"SPARQL syntax error: {exc}"))
            continue
        for row in rows[:20]:
            values = ", ".join(_short(data, v) for v in row if v is not None)
            problems.append(
                Problem(str(path), f"quality check failed for {values}", hint=_description(path))
            )
    return problems, len(paths)


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


def validate(result: Build) -> Report:
    """All checks; the report lists every finding rather than stopping at the first."""
    report = Report()
    report.problems += check_vocabulary(result.inputs.vocabulary, result.inputs.paths.vocab)
    evidence, report.checked_spans = check_evidence(result)
    report.problems += evidence
    for case in result.inputs.cases:
        if case.evidence != "full":
            report.partial[case.evidence] = report.partial.get(case.evidence, 0) + 1
    data = result.union()
    shacl = run_shacl(result, data)
    report.shacl_results = len(shacl)
    report.problems += shacl
    qc, report.qc_queries = run_qc(result, data)
    report.problems += qc
    return report


def build_project(root: Path | Project, *, check: bool = True) -> tuple[Build, Report | None]:
    """Build the dataset of a project; validate it unless `check` is False."""
    result = build(load_inputs(root))
    return result, validate(result) if check else None
