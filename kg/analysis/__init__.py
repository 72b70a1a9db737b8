"""Cross-case analysis: networkx projections and the pattern report."""
