"""A study's inputs: the layers it runs on, by role, and why any is missing.

Assembling them from catalog ids, files and user layers also lives here (moving from the face).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from borderscape.geo.raster import Raster
from borderscape.layers.schemas import Layer, RasterLayer


@dataclass(frozen=True, eq=False)
class StudyInputs:
    """The layers a study runs on, by role, and what is missing.

    Attributes
    ----------
    layers
        Role (see :data:`ROLES`) → ingested :class:`Layer` (vector or table), or a
        :class:`Raster` / :class:`RasterLayer` for ``dem``.
    missing
        Role → why it is absent and how to supply it (used verbatim in skip reasons).
    simulated
        True when the layers come from a simulated world.
    """

    layers: Mapping[str, Layer | RasterLayer | Raster]
    missing: Mapping[str, str] = field(default_factory=dict)
    simulated: bool = False

    def get(self, role: str) -> Layer | RasterLayer | Raster | None:
        """The layer of ``role`` or None."""
        return self.layers.get(role)

    def dem(self) -> Raster | None:
        """The elevation raster, whichever form it was given in."""
        value = self.layers.get("dem")
        return value.raster if isinstance(value, RasterLayer) else value

    def why_missing(self, *roles: str) -> str | None:
        """None when every role is present, else the reasons of the missing ones."""
        absent = [r for r in roles if self.layers.get(r) is None]
        if not absent:
            return None
        return " ".join(f"No {r} layer: {self.missing.get(r, f'name one under [layers] {r} in the study file')}"
                        for r in absent)
