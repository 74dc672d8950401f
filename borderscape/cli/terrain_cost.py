"""``borderscape terrain cost``: accumulated walking cost and least-cost paths as files for QGIS."""

from __future__ import annotations

from pathlib import Path

import click

from borderscape.errors import InputError
from borderscape.geo.files import atomic_path

MODEL_NAMES = "tobler|pandolf|naismith|rwalk|irmischer"


def _read_vector(path: str, what: str):
    import geopandas as gpd
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        gdf = gpd.read_file(path)
    except (DataSourceError, DataLayerError, ValueError, OSError) as exc:
        raise InputError(
            f"cannot read {what} {path}: {exc}",
            remedy="give a vector file GDAL reads: GeoJSON, GeoPackage, shapefile …",
        ) from exc
    if gdf.empty:
        raise InputError(f"{what} file {path} has no features")
    return gdf


def _parse_params(pairs: tuple[str, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            if not sep or not name:
                raise ValueError
            out[name.strip()] = float(value)
        except ValueError:
            raise InputError(
                f"--param {pair!r} is not NAME=VALUE with a number", remedy="e.g. --param W=70 --param L=15"
            ) from None
    return out


def _write_atomic_vector(gdf, path: Path) -> None:
    with atomic_path(path) as tmp:
        gdf.to_file(tmp, layer="paths" if path.suffix.lower() == ".gpkg" else None)


@click.command("cost")
@click.argument("dem", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--sources",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Vector file (GeoJSON, GPKG, shapefile) of points or lines, e.g. the border.",
)
@click.option("--model", default="tobler", show_default=True, metavar=MODEL_NAMES, help="Walking-cost model.")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A model parameter, repeatable (e.g. --param W=70 --param L=15 for pandolf).",
)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Accumulated cost GeoTIFF to write.")
@click.option(
    "--paths-to",
    type=click.Path(exists=True, dir_okay=False),
    help="Vector file of target points: least-cost paths are traced to each.",
)
@click.option("--paths-out", type=click.Path(dir_okay=False), help="Where to write the paths (GPKG/GeoJSON).")
@click.option(
    "--neighbours",
    type=click.Choice(["8", "16"]),
    default="8",
    show_default=True,
    help="Moves per cell: 16 adds knight's moves (as r.walk -k).",
)
@click.option(
    "--cell-values",
    type=click.Path(exists=True, dir_okay=False),
    help="Raster on the DEM's grid of the model's per-cell parameter (eta for pandolf, friction for rwalk).",
)
@click.option(
    "--barriers",
    type=click.Path(exists=True, dir_okay=False),
    help="Raster on the DEM's grid; non-zero cells are impassable.",
)
@click.option("--max-cost", type=float, help="Cut-off in the model's units; costlier cells stay empty.")
@click.option(
    "--travel",
    type=click.Choice(["from-sources", "to-sources"]),
    default="from-sources",
    show_default=True,
    help="Walk away from the sources, or towards them.",
)
def cost(
    dem: str,
    sources: str,
    model: str,
    params: tuple[str, ...],
    out: str,
    paths_to: str | None,
    paths_out: str | None,
    neighbours: str,
    cell_values: str | None,
    barriers: str | None,
    max_cost: float | None,
    travel: str,
) -> None:
    """Accumulated walking cost over DEM from SOURCES (and least-cost paths), as GeoTIFF/GPKG.

    The DEM must be in a projected CRS in metres (reproject it first, e.g. with gdalwarp -t_srs
    to the local UTM zone).  Units: seconds (tobler, naismith, irmischer, rwalk) or kJ (pandolf).
    """
    import numpy as np

    from borderscape.geo.costdistance import accumulated_cost, least_cost_paths
    from borderscape.geo.costmodels import get_model
    from borderscape.geo.raster import Raster

    cm = get_model(model)
    values = _parse_params(params)
    cm.pack(values)  # unknown names and bad values fail before any file is read
    if (paths_to is None) != (paths_out is None):
        raise InputError("--paths-to and --paths-out go together", remedy="give both, or neither")
    grid = Raster.read(dem)
    src = _read_vector(sources, "sources")
    surface = accumulated_cost(
        grid,
        src,
        model=cm.name,
        params=values,
        cell_values=Raster.read(cell_values) if cell_values else None,
        neighbours=int(neighbours),
        barriers=(Raster.read(barriers).array != 0) if barriers else None,
        max_cost=max_cost,
        travel=travel.replace("-", "_"),
    )
    surface.cost.write(out)
    reached = np.isfinite(surface.cost.array)
    click.echo(
        f"{out}: accumulated cost in {surface.units} ({cm.name}, {neighbours} neighbours), "
        f"{int(reached.sum())} of {reached.size} cells reached, max {np.nanmax(surface.cost.array):.6g}"
    )
    if paths_to is not None:
        paths = least_cost_paths(surface, _read_vector(paths_to, "path targets"))
        _write_atomic_vector(paths, Path(paths_out))
        click.echo(f"{paths_out}: {int(paths['cost'].notna().sum())} of {len(paths)} paths (cost in {surface.units})")
