"""borderscape: the geography of border deterrence.

Joins layers of border surveillance infrastructure with public migrant mortality and route
data, tests with spatial statistics whether surveillance funnels people into deadlier terrain
and waters, and renders the evidence for accountability about past surveillance.

In a notebook::

    import borderscape as bs
    s = bs.load_study("arizona-sonora")           # the typed study; edit with s.with_(...)
    r = bs.run(s, data_dir="../shared/data")       # a Result; nothing is written
    r.results["tests"]                             # what results.json holds
    r.write("out/az")                              # the run folder, when you want it
    folder = bs.read_run("out/az")                 # a run folder read back, to render again

The parts:

``load_study``, ``shipped_studies``
    Studies (:mod:`borderscape.analyses.study`).
``run``, ``demo``, ``Result``
    Compute a study's battery (:mod:`borderscape.pipeline`).
``read_run``
    Read a run folder back (:mod:`borderscape.runfolder`).
``map``
    The interactive map of a run, a run folder or layer files, as a ``folium.Map``
    (:mod:`borderscape.maps`).
``borderscape.geo``
    Rasters, CRSs, terrain, walking cost, visibility, sampling, tiles, parallel executors.
``borderscape.layers``
    The source catalog, fetching, ingest into typed layers, quality reports.
``borderscape.analyses``
    Statistics (``analyses.stats``), the batteries of hypotheses (``analyses.battery``),
    studies, simulated worlds.
``borderscape.settings``, ``borderscape.errors``
    Defaults from the environment; typed errors with remedies.

Everything is imported on first use, so ``import borderscape`` and ``borderscape --help``
stay fast.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("borderscape")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

#: Public name -> the module that defines it (imported on first use).
_API = {
    "load_study": "borderscape.analyses.study",
    "shipped_studies": "borderscape.analyses.study",
    "run": "borderscape.pipeline",
    "demo": "borderscape.pipeline",
    "Result": "borderscape.pipeline",
    "read_run": "borderscape.runfolder",
    "map": "borderscape.maps",
}
_SUBPACKAGES = ("geo", "layers", "analyses", "settings", "errors")

__all__ = ["__version__", *_API, *_SUBPACKAGES]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    if name in _SUBPACKAGES:
        return importlib.import_module(f"borderscape.{name}")
    raise AttributeError(f"module 'borderscape' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
