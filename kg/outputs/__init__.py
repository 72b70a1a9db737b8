"""What the graph is turned into for people and other tools: network views,
figures, documentation, exports, releases and the dataset description.
"""
