"""Sources, fetching, ingest into typed layers, and their quality reports."""

from borderscape.geo.lazy import submodules

__getattr__ = submodules(__name__)
