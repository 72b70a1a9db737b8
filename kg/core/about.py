"""The version of renda-kg (one place; the package metadata reads it from pyproject)."""

__version__ = "0.1.0"
