"""Rasters, CRSs, terrain, cost models, visibility and sampling.

This floor knows nothing of deaths or towers: only arrays, transforms, CRSs and geometries.
"""

from borderscape.geo.lazy import submodules

__getattr__ = submodules(__name__)
