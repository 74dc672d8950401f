"""borderscape: the geography of border deterrence.

Joins layers of border surveillance infrastructure with public migrant mortality and route
data, tests with spatial statistics whether surveillance funnels people into deadlier terrain
and waters, and renders the evidence for accountability about past surveillance.

Modules as namespaces: ``borderscape.geo`` (rasters, terrain, cost, visibility),
``borderscape.layers`` (sources, fetch, ingest), ``borderscape.analyses`` (statistics,
studies), ``borderscape.settings`` and ``borderscape.errors``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("borderscape")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
