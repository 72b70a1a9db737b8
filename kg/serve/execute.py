"""Answering one query: check it, run it on the store, write the reply. Runs in the
query's own process (see `kg.serve.server`), never in the server's."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib.term import Node

from kg.core.errors import KgError
from kg.query.graph import QueryGraph
from kg.query.writers import Unwritable, format_ask, graph_bytes, results_bytes
from kg.serve.negotiate import GRAPH_FORMATS, RESULT_FORMATS, negotiate
from kg.serve.replies import Refusal, Reply, error_reply, problem_reply, type_header
from kg.store.base import Graphs
from kg.store.sparql import PreparedQuery, is_update, prepare

DEFAULT_MAX_ROWS = 10_000


@dataclass
class Job:
    """A query to answer: text (or a query prepared by the parent), how to answer it."""

    text: str
    where: str = "query"
    bindings: dict[str, Node] | None = None
    prepared: PreparedQuery | None = None
    accept: str = ""
    formats: tuple[str, ...] = ()
    default_graphs: tuple[str, ...] | None = None  # the protocol's dataset, if given
    named_graphs: tuple[str, ...] = ()
    max_rows: int = DEFAULT_MAX_ROWS
    local_graphs: tuple[str, ...] = ()
    text_errors: bool = False


def _check(job: Job) -> PreparedQuery | Reply:
    try:
        return prepare(
            job.text, where=job.where, local_graphs=job.local_graphs, bindings=job.bindings
        )
    except KgError as exc:
        problem = exc.problems[0]
        if is_update(job.text):
            return error_reply(
                403,
                "updates (INSERT, DELETE, LOAD, CLEAR, ...) are refused: "
                "this endpoint is read-only",
                text=job.text_errors,
            )
        hint = problem.hint
        if problem.message.startswith("SERVICE"):
            hint = "this endpoint never runs federated queries"
        return error_reply(400, problem.message, hint=hint, line=problem.line, text=job.text_errors)


def answer(graph: QueryGraph, job: Job) -> Reply:
    """Check, run and serialise one query; every failure becomes an error reply."""
    try:
        return _answer(graph, job)
    except BaseException as exc:  # everything goes back as a message
        return reply_for_exception(exc, job.text_errors)


def _answer(graph: QueryGraph, job: Job) -> Reply:
    prepared = job.prepared or _check(job)
    if isinstance(prepared, Reply):
        return prepared
    store = graph.store
    graphs = None
    if job.default_graphs is not None:
        graphs = Graphs(job.default_graphs, job.named_graphs)
    truncated = False
    if prepared.form in ("SELECT", "ASK"):
        fmt = negotiate(job.accept, job.formats, RESULT_FORMATS)
        serialized = getattr(store, "select_serialized", None)  # Oxigraph writes it all
        if prepared.form == "SELECT" and serialized is not None and fmt.name != "xml":
            body, truncated = serialized(
                prepared, fmt.oxigraph, timeout=None, max_rows=job.max_rows, graphs=graphs
            )
        elif prepared.form == "SELECT":
            table = store.select(prepared, timeout=None, max_rows=job.max_rows, graphs=graphs)
            body, truncated = results_bytes(table, fmt.name), table.truncated
        else:
            answer_ = store.ask(prepared, timeout=None, graphs=graphs)
            body = format_ask(answer_, fmt.name).encode("utf-8")
    else:
        fmt = negotiate(job.accept, job.formats, GRAPH_FORMATS)
        triples = store.construct(prepared, timeout=None, max_rows=job.max_rows, graphs=graphs)
        body, truncated = graph_bytes(triples.graph, fmt.name), triples.truncated
    headers = {"Content-Type": type_header(fmt.media_type)}
    if truncated:
        headers["X-Truncated"] = "true"
    return Reply(200, headers, body)


def reply_for_exception(exc: BaseException, text: bool = False) -> Reply:
    if isinstance(exc, Refusal):
        return error_reply(exc.status, exc.message, hint=exc.hint, line=exc.line, text=text)
    if isinstance(exc, Unwritable):
        return problem_reply(406, exc, text)
    if isinstance(exc, KgError):
        return problem_reply(400, exc, text)
    if isinstance(exc, RecursionError):
        return error_reply(
            400, "query is nested too deeply to evaluate", hint="flatten nested groups", text=text
        )
    if isinstance(exc, MemoryError):
        return error_reply(503, "query needed more memory than a query may use", text=text)
    return error_reply(500, f"query failed: {type(exc).__name__}: {exc}", text=text)
