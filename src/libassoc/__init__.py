"""libassoc: the knowledge graph of library associations."""

__version__ = "0.1.0"
