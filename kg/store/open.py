"""A store from its spec: memory | oxigraph | oxigraph:DIR | sparql:URL."""

from __future__ import annotations

from pathlib import Path

from kg.core.errors import KgError, Problem, option
from kg.store.base import Store

STORE_KINDS = "memory, oxigraph, oxigraph:DIR or sparql:URL"


def open_store(spec: str, *, graph_file: Path | None = None, timeout: float | None = None) -> Store:
    """The store named by `spec`.

    `memory` and `oxigraph` load `graph_file` (required for them here); `oxigraph:DIR`
    opens a persistent store filled by `kg load`; `sparql:URL` talks to a running endpoint.
    """
    from kg.store.memory import MemoryStore  # imports rdflib's SPARQL engine: ~0.25 s
    from kg.store.oxigraph import OxigraphStore

    kind, _, arg = spec.partition(":")
    if kind in ("memory", "oxigraph") and not arg:
        if graph_file is None:
            raise KgError(Problem(option("store"), f"the {kind} store needs a graph file"))
        return (
            MemoryStore.from_file(graph_file)
            if kind == "memory"
            else OxigraphStore.from_file(graph_file)
        )
    if kind == "oxigraph":
        folder = Path(arg)
        if not folder.is_dir():
            raise KgError(
                Problem(
                    arg,
                    "no Oxigraph store in this folder",
                    hint=f"fill it first: kg load --store oxigraph:{arg}",
                )
            )
        try:
            return OxigraphStore(folder)
        except OSError as exc:
            raise KgError(Problem(arg, f"cannot open the Oxigraph store: {exc}")) from None
    if kind == "sparql" and arg:
        from kg.store.remote import REMOTE_TIMEOUT, RemoteStore  # urllib, ssl: only here

        return RemoteStore(arg, timeout=REMOTE_TIMEOUT if timeout is None else timeout)
    raise KgError(Problem(option("store"), f"unknown store {spec!r}", hint=f"use {STORE_KINDS}"))
