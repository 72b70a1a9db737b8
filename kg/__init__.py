"""renda-kg: a research knowledge graph of local people's congress innovation cases.

The pipeline runs one way: sources -> records -> build (RDF) -> validate -> query/analyse
-> render/export. Each module imports only the stages before it.
"""

import logging

__version__ = "0.1.0"


def _without_traceback(record: logging.LogRecord) -> bool:
    """rdflib logs an ill-typed literal ("abc"^^xsd:integer) with a full traceback."""
    record.exc_info = record.exc_text = None
    return True


logging.getLogger("rdflib.term").addFilter(_without_traceback)
