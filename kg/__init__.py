"""renda-kg: a research knowledge graph of local people's congress innovation cases.

The pipeline runs one way: sources -> records -> build (RDF) -> validate -> query/analyse
-> render/export. Each module imports only the stages before it.
"""

__version__ = "0.1.0"
