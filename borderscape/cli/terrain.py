"""``borderscape terrain``: cost surfaces and viewsheds as GeoTIFFs, for work in QGIS."""

from __future__ import annotations

import click

from borderscape.cli.terrain_cost import cost
from borderscape.cli.terrain_viewshed import viewshed


@click.group()
def terrain() -> None:
    """Terrain computations: accumulated walking cost, least-cost paths and viewsheds."""


terrain.add_command(cost)
terrain.add_command(viewshed)
