"""``borderscape terrain viewshed``: how many sensors see each cell of a DEM, as a GeoTIFF."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import numpy as np

from borderscape import settings
from borderscape.errors import CRSError, InputError
from borderscape.geo.raster import Raster
from borderscape.geo.viewshed import REFRACTION_DEFAULT, coverage_count


@contextmanager
def _progress_bar() -> Iterator[Callable[[int, int], None] | None]:
    """A rich bar on standard error when it is a terminal (or settings.progress says so)."""
    enabled = settings.progress if settings.progress is not None else sys.stderr.isatty()
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("viewsheds"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("viewsheds", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _read_sensors(path: Path, crs: str | None):
    """Point sensors from any vector file GDAL reads; CSV needs x/y (or lon/lat) columns."""
    import geopandas as gpd
    import pyogrio

    options = {}
    if path.suffix.lower() == ".csv":
        options = {
            "X_POSSIBLE_NAMES": "x,lon,longitude,easting",
            "Y_POSSIBLE_NAMES": "y,lat,latitude,northing",
            "KEEP_GEOM_COLUMNS": "NO",
        }
    try:
        sensors = gpd.read_file(path, **options)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        raise InputError(
            f"cannot read sensors from {path}: {exc}",
            remedy="give a GeoJSON, GeoPackage, shapefile or a CSV with x/y or lon/lat columns",
        ) from exc
    if "geometry" not in sensors or sensors.geometry.isna().all():
        raise InputError(f"{path} has no point geometries", remedy="a CSV needs x/y or lon/lat columns")
    if sensors.crs is None:
        if crs is None:
            raise CRSError(
                f"the sensors in {path} have no CRS", remedy="pass --sensors-crs (e.g. EPSG:4326 for lon/lat degrees)"
            )
        sensors = sensors.set_crs(crs)
    if sensors.geometry.isna().any() or sensors.geometry.is_empty.any():
        bad = np.flatnonzero(sensors.geometry.isna() | sensors.geometry.is_empty)
        raise InputError(
            f"{bad.size} sensor(s) in {path} have no location (rows {bad[:10].tolist()})",
            remedy="fix or remove those rows",
        )
    if not (sensors.geom_type == "Point").all():
        raise InputError(f"{path} holds geometries other than points", remedy="give sensor locations as points")
    return sensors


def _per_sensor(sensors, column: str, flag_value: float | None, flag: str) -> np.ndarray:
    n = len(sensors)
    if column in sensors.columns:
        values = np.asarray(sensors[column], dtype=float)
        if flag_value is not None:
            values = np.where(np.isnan(values), flag_value, values)
        if np.isnan(values).any():
            bad = np.flatnonzero(np.isnan(values))
            raise InputError(
                f"{bad.size} sensor(s) have no {column} (rows {bad[:10].tolist()})",
                remedy=f"fill the '{column}' column or give {flag} as a default",
            )
        return values
    if flag_value is None:
        raise InputError(
            f"no {flag} given and the sensors file has no '{column}' column",
            remedy=f"pass {flag} M (metres) or add a '{column}' column",
        )
    return np.full(n, float(flag_value))


def _dates(column) -> np.ndarray:
    """A column of dates (strings, dates, tz-aware or naive; empty = open-ended) as UTC datetime64[s]."""
    import pandas as pd

    values = pd.to_datetime(column.replace("", None), utc=True)
    return values.dt.tz_convert(None).to_numpy("datetime64[s]")


@click.command("viewshed")
@click.argument("dem", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--sensors",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Vector file of sensor points (GeoJSON, GPKG, CSV with x/y or lon/lat, ...).",
)
@click.option(
    "--height",
    type=float,
    default=None,
    help="Sensor height above ground, m (a per-feature 'height' column overrides it).",
)
@click.option(
    "--range", "range_", type=float, default=None, help="Sensor range, m (a per-feature 'range' column overrides it)."
)
@click.option(
    "--target-height",
    type=float,
    default=0.0,
    show_default=True,
    help="Height of what is seen above the ground, m (1.7 for a person).",
)
@click.option("--no-curvature", is_flag=True, help="Ignore earth curvature and refraction.")
@click.option(
    "--refraction",
    type=float,
    default=REFRACTION_DEFAULT,
    show_default=True,
    help="Refraction coefficient k; GDAL's -cc is 1 - k.",
)
@click.option("--date", default=None, help="Count only sensors active on this date (columns active_from/active_to).")
@click.option("--sensors-crs", default=None, help="CRS of a sensors file that has none (e.g. EPSG:4326).")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Output GeoTIFF of counts (int32)."
)
def viewshed(
    dem: Path,
    sensors: Path,
    height: float | None,
    range_: float | None,
    target_height: float,
    no_curvature: bool,
    refraction: float,
    date: str | None,
    sensors_crs: str | None,
    out: Path,
) -> None:
    """Count how many sensors see each cell of DEM and write the counts to --out.

    Lines of sight run from each sensor (height above the ground at its cell) to a target
    --target-height above each cell, with earth curvature and refraction unless
    --no-curvature.  Sensors are reprojected to the DEM's CRS.
    """
    raster = Raster.read(dem)
    table = _read_sensors(sensors, sensors_crs)
    table = table.to_crs(raster.crs)
    heights = _per_sensor(table, "height", height, "--height")
    ranges = _per_sensor(table, "range", range_, "--range")
    active_from = active_to = None
    if date is not None:
        if "active_from" not in table.columns and "active_to" not in table.columns:
            raise InputError("--date needs 'active_from' and/or 'active_to' columns in the sensors file")
        try:
            if "active_from" in table.columns:
                active_from = _dates(table["active_from"])
            if "active_to" in table.columns:
                active_to = _dates(table["active_to"])
            when = np.datetime64(date, "s")
        except (ValueError, TypeError) as exc:
            raise InputError(f"cannot read dates: {exc}", remedy="use ISO dates such as 2015-06-01") from exc
        date = when
    with _progress_bar() as progress:
        count = coverage_count(
            raster,
            table.geometry.x.to_numpy(),
            table.geometry.y.to_numpy(),
            heights,
            ranges,
            target_height=target_height,
            curvature=not no_curvature,
            refraction=refraction,
            active_from=active_from,
            active_to=active_to,
            date=date,
            progress=progress,
        )
    count.write(out)
    seen = float((count.array > 0).mean() * 100)
    click.echo(
        f"wrote {out}: {len(table)} sensors, cells seen by at least one: {seen:.1f}%, "
        f"most sensors on one cell: {int(count.array.max())}"
    )
