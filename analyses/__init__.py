"""Statistics, the funnel-effect battery and studies."""

from borderscape.geo.lazy import submodules

__getattr__ = submodules(__name__)
