"""`kg serve`: the graph as a local, read-only SPARQL 1.1 endpoint."""
