"""Sensors and what they cover, per epoch: on land (towers on a DEM) and at sea.

Whether a sensor is active on a day is decided in one place,
:func:`borderscape.geo.viewshed.active_at`: from its ``active_from`` to its ``active_to``, both
days included (``active_to`` is the last day active, as the sensors schema documents it); an
empty date is open-ended.

On land
-------
Point sensors (``towers``; rows quarantined by the ingest are left out) are placed on the DEM
grid (:func:`deployment`).  A sensor's missing ``height_m``, ``range_m`` or ``active_from`` is
filled from the study's defaults for its kind (``[sensors.<KIND>]``; which were filled is
recorded); a sensor still lacking one, lying off the DEM or not a point is left out and
counted.  The *epochs* are the intervals between consecutive dates at which the active set
changes (a first day active, or the day after a last day active); coverage (how many active
sensors see a cell, :func:`borderscape.geo.viewshed.coverage_epochs`) is computed for all the
epochs needed at once (:func:`epoch_coverage`): every sensor's viewshed is computed once and
added to each epoch it is active in, whatever the number of epochs and records.

At sea
------
:func:`sea_coverage`: coastal radar stations (radar horizon, land-masked), aerial tracks
(swaths) and operational areas, counted on a grid per date.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.enums
import rasterio.features
import shapely
import shapely.geometry
from affine import Affine
from pyproj import CRS, Transformer

from borderscape.analyses.study import Study
from borderscape.geo.errors import InputError
from borderscape.geo.radar import coastal_coverage, swath_count
from borderscape.geo.raster import Raster
from borderscape.geo.viewshed import active_at, coverage_epochs
from borderscape.layers.quality import usable

__all__ = ["Deployment", "SeaCoverage", "deployment", "epoch_coverage", "sea_coverage", "study_grid"]


# -- on land -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Deployment:
    """Sensors on the DEM grid and the epochs of their coverage.

    Attributes
    ----------
    x, y, height, range_
        Sensor positions (m, the DEM's CRS), heights and ranges (m).
    active_from, active_to
        datetime64[D]: the first and the last day active (NaT open-ended).
    changes
        datetime64[D] dates at which the active set changes, ascending: epoch k runs from
        ``changes[k]`` to the day before ``changes[k + 1]``.
    filled
        ``{"height_m": n, "range_m": n, "active_from": n}`` sensors given the kind's default.
    dropped
        Reason → number of sensors left out.
    """

    x: np.ndarray
    y: np.ndarray
    height: np.ndarray
    range_: np.ndarray
    active_from: np.ndarray
    active_to: np.ndarray
    changes: np.ndarray
    filled: dict[str, int]
    dropped: dict[str, int]

    def epoch_of(self, dates: np.ndarray) -> np.ndarray:
        """Epoch index of each date (−1 before the first change)."""
        return np.searchsorted(self.changes, np.asarray(dates, dtype="datetime64[D]"), side="right") - 1

    def active(self, k: int) -> np.ndarray:
        """Boolean mask of the sensors active in epoch ``k`` (none for k < 0): those active on
        its first day (:func:`borderscape.geo.viewshed.active_at`; the set is the same on every
        day of the epoch)."""
        if k < 0:
            return np.zeros(self.x.size, dtype=bool)
        return active_at(self.x.size, self.active_from, self.active_to, self.changes[k])


def deployment(study: Study, towers: pd.DataFrame, dem: Raster) -> Deployment:
    """Place the usable point sensors on the DEM grid, filling gaps from the study's defaults.

    Parameters
    ----------
    study
        Supplies the defaults per sensor kind (``study.sensors``).
    towers
        The ``towers`` layer's frame (SENSORS schema, any CRS).
    dem
        The grid (projected CRS, metres).

    Returns
    -------
    Deployment
    """
    frame = usable(towers)
    dropped: dict[str, int] = {}
    geom = frame.geometry
    is_point = ~(geom.isna() | geom.is_empty) & (geom.geom_type == "Point")
    if (~is_point).any():
        dropped["not a point"] = int((~is_point).sum())
    frame = frame[is_point.to_numpy()]
    pts = frame.geometry.to_crs(dem.crs)
    defaults = {k.lower(): v for k, v in study.sensors.items()}
    kinds = frame["kind"].astype("string").fillna("").str.lower().to_numpy()
    values = {}
    filled = {}
    for column, attr in (("height_m", "height_m"), ("range_m", "range_m"), ("active_from", "active_from")):
        if column == "active_from":
            own = frame[column].to_numpy(dtype="datetime64[D]")
            fill = np.array(
                [
                    np.datetime64(defaults[k].active_from, "D")
                    if k in defaults and defaults[k].active_from
                    else np.datetime64("NaT", "D")
                    for k in kinds
                ],
                dtype="datetime64[D]",
            )
            missing = np.isnat(own)
        else:
            own = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
            fill = np.array([getattr(defaults[k], attr) if k in defaults else np.nan for k in kinds], dtype=np.float64)
            missing = np.isnan(own)
        values[column] = np.where(missing, fill, own)
        filled[column] = int((missing & ~(np.isnat(fill) if column == "active_from" else np.isnan(fill))).sum())
    x, y = pts.x.to_numpy(), pts.y.to_numpy()
    r, c = dem.rowcol(x, y)
    on_grid = (r >= 0) & (r < dem.shape[0]) & (c >= 0) & (c < dem.shape[1])
    on_grid[on_grid] = dem.valid_mask()[r[on_grid], c[on_grid]]
    complete = ~(
        np.isnan(values["height_m"])
        | np.isnan(values["range_m"])
        | (values["range_m"] <= 0)
        | np.isnat(values["active_from"])
    )
    if (~complete).any():
        dropped["no height, range or start date, and no default for its kind"] = int((~complete).sum())
    if (complete & ~on_grid).any():
        dropped["outside the DEM"] = int((complete & ~on_grid).sum())
    keep = complete & on_grid
    a_from = values["active_from"][keep]
    a_to = frame["active_to"].to_numpy(dtype="datetime64[D]")[keep]
    # the active set changes on a first day active and on the day after a last day active
    changes = np.unique(np.concatenate([a_from, a_to[~np.isnat(a_to)] + np.timedelta64(1, "D")]))
    return Deployment(
        x=x[keep],
        y=y[keep],
        height=values["height_m"][keep],
        range_=values["range_m"][keep],
        active_from=a_from,
        active_to=a_to,
        changes=changes,
        filled=filled,
        dropped=dropped,
    )


def epoch_coverage(
    dep: Deployment,
    dem: Raster,
    epochs: list[int],
    *,
    target_height: float = 1.7,
    curvature: bool = True,
    refraction: float = 0.13,
) -> dict[int, Raster]:
    """Coverage count (active sensors that see each cell) for the requested epochs.

    One call of :func:`borderscape.geo.viewshed.coverage_epochs` (heights, ranges and target
    height in metres; curvature and refraction as there): each sensor's viewshed is computed
    once and added to every requested epoch it is active in.

    Returns
    -------
    dict
        Epoch → int32 :class:`Raster` on the DEM grid (epochs < 0 have zero coverage).
    """
    wanted = sorted(set(epochs))
    active = np.stack([dep.active(k) for k in wanted], axis=1) if wanted else np.zeros((dep.x.size, 0), bool)
    counts = coverage_epochs(
        dem,
        dep.x,
        dep.y,
        dep.height,
        dep.range_,
        active,
        target_height=target_height,
        curvature=curvature,
        refraction=refraction,
    )
    return {k: dem.with_array(counts[j], nodata=None) for j, k in enumerate(wanted)}


# -- at sea ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SeaCoverage:
    """Coverage at sea on one date.

    Attributes
    ----------
    date
        The epoch's date.
    count
        int32 raster: how many active sensors (stations, track swaths, areas) cover each cell.
    polygons
        GeoDataFrame (the grid's CRS) with ``source`` (``stations``, ``tracks``, ``areas``)
        and the covered area of each.
    note
        What the coverage rests on (e.g. "operational areas only").
    """

    date: pd.Timestamp
    count: Raster
    polygons: gpd.GeoDataFrame
    note: str


def _active(frame: gpd.GeoDataFrame, date: pd.Timestamp) -> np.ndarray:
    """Rows of a sensor layer active on ``date`` (:func:`borderscape.geo.viewshed.active_at`)."""

    def bound(column: str) -> np.ndarray | None:
        return pd.to_datetime(frame[column]).to_numpy(dtype="datetime64[ns]") if column in frame else None

    af, at = bound("active_from"), bound("active_to")
    if af is None and at is None:
        return np.ones(len(frame), dtype=bool)
    return active_at(len(frame), af, at, np.datetime64(date))


def sea_coverage(
    dates: Sequence[Any],
    grid: Raster,
    *,
    stations: gpd.GeoDataFrame | None = None,
    tracks: gpd.GeoDataFrame | None = None,
    areas: gpd.GeoDataFrame | None = None,
    dem: Raster | None = None,
    target_height: float = 2.0,
) -> list[SeaCoverage]:
    """Coverage at sea per epoch from coastal stations, aerial tracks and operational areas.

    * **Stations** (points): the radar horizon with the 4/3-earth model and land masking
      from ``dem`` (:func:`borderscape.geo.radar.coastal_coverage`, Skolnik 2001):
      ``d = sqrt(2 k R h_a) + sqrt(2 k R h_t)``, capped by the station's ``range_m``.
      Columns ``height_m`` (antenna above ground, m), ``range_m`` (m), ``active_from``,
      ``active_to``. A DEM is required (it is the grid then).
    * **Tracks** (lines): swaths of ``swath_m`` metres (:func:`~borderscape.geo.radar.swath_count`).
    * **Areas** (polygons): cells whose centre lies inside an area active at the date.

    Every layer is EPSG:4326 as ingested (reprojected to the grid); a row counts on a date
    when it is active then (:func:`borderscape.geo.viewshed.active_at`: ``active_from <= date <=
    active_to``, ``active_to`` the last day active; empty = open).

    User formats (read with :func:`borderscape.layers.ingest.read_sensor_file`, i.e.
    :func:`borderscape.layers.ingest.ingest_file` as ``sensors`` with
    :data:`borderscape.layers.ingest.SENSOR_FILE_COLUMNS`); :data:`borderscape.layers.ingest.SENSOR_FILE_EXAMPLES` holds one small file of each (positions
    and values are illustrative, not real sensors):

    ``stations.csv`` — one row per coastal station; ``height_m`` antenna height above the
    ground, ``range_m`` instrumented range, dates ``YYYY-MM-DD`` (empty = open)::

        name,lon,lat,height_m,range_m,active_from,active_to
        example-A,14.20,36.40,60,45000,2012-01-01,
        example-B,12.90,35.60,80,50000,2015-06-01,2020-12-31

    ``tracks.geojson`` — LineString features with ``swath_m`` (full swath width, m) and
    dates as properties::

        {"type": "FeatureCollection", "features": [{"type": "Feature",
          "properties": {"name": "patrol-1", "swath_m": 40000, "active_from": "2017-01-01",
                         "active_to": "2017-12-31"},
          "geometry": {"type": "LineString", "coordinates": [[12.5, 34.8], [14.8, 35.4]]}}]}

    ``areas.kml`` — Placemarks with a Polygon and ExtendedData ``active_from`` /
    ``active_to``::

        <Placemark><name>area-1</name><ExtendedData>
          <Data name="active_from"><value>2016-01-01</value></Data>
          <Data name="active_to"><value>2018-12-31</value></Data></ExtendedData>
          <Polygon><outerBoundaryIs><LinearRing><coordinates>
            13.0,34.5 14.0,34.5 14.0,35.2 13.0,35.2 13.0,34.5
          </coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>

    Parameters
    ----------
    dates
        Epoch dates.
    grid
        The raster grid of the result (projected CRS, metres); ignored for stations, which
        use ``dem``'s grid — give ``dem`` as ``grid`` when stations are given.
    stations, tracks, areas
        Ingested sensor layers (EPSG:4326) or None.
    dem
        Elevations (m) on ``grid`` for station coverage; required with stations.
    target_height
        Height of a boat above the sea, metres.

    Returns
    -------
    list of SeaCoverage
        One per date.

    Raises
    ------
    InputError
        Stations without a DEM, or a DEM that is not the grid.
    """
    if stations is not None and len(stations):
        if dem is None:
            raise InputError(
                "coastal stations need a DEM to mask the sea hidden by land",
                remedy='add a dem layer to the study (e.g. dem = "etopo1") or pass --dem FILE',
            )
        if dem.shape != grid.shape or dem.transform != grid.transform:
            raise InputError("the DEM is not on the coverage grid", remedy="pass the DEM as the grid")
    out = []
    for date in dates:
        when = pd.Timestamp(date)
        total = np.zeros(grid.shape, np.int32)
        polys, notes = [], []
        if stations is not None and len(stations):
            st = stations[_active(stations, when)].to_crs(grid.crs)
            if len(st):
                c = coastal_coverage(
                    dem,
                    st.geometry.x.to_numpy(),
                    st.geometry.y.to_numpy(),
                    st["height_m"].to_numpy(float),
                    max_range=st["range_m"].to_numpy(float),
                    target_height=target_height,
                )
                total += c.array
                polys.append(("stations", _vectorise(c.array > 0, grid)))
            notes.append(f"{len(st)} coastal station(s) active")
        else:
            notes.append("no coastal stations given: coverage rests on the operational areas (and tracks) only")
        if tracks is not None and len(tracks):
            tr = tracks[_active(tracks, when)]
            if len(tr):
                tr = tr.to_crs(grid.crs)
                sc = swath_count(tr, tr["swath_m"].to_numpy(float), grid)
                total += sc.array
                polys.append(("tracks", _vectorise(sc.array > 0, grid)))
            notes.append(f"{len(tr)} aerial track(s) active")
        if areas is not None and len(areas):
            ar = areas[_active(areas, when)]
            if len(ar):
                ar = ar.to_crs(grid.crs)
                shapes = [(g, 1) for g in ar.geometry.values if g is not None and not g.is_empty]
                total += rasterio.features.rasterize(
                    shapes,
                    out_shape=grid.shape,
                    transform=grid.transform,
                    fill=0,
                    dtype="int32",
                    merge_alg=rasterio.enums.MergeAlg.add,
                )
                polys.append(("areas", shapely.union_all(ar.geometry.values)))
            notes.append(f"{len(ar)} operational area(s) active")
        frame = gpd.GeoDataFrame({"source": [p[0] for p in polys]}, geometry=[p[1] for p in polys], crs=grid.crs)
        frame["area_km2"] = frame.geometry.area / 1e6
        out.append(SeaCoverage(when, grid.with_array(total, nodata=None), frame, "; ".join(notes)))
    return out


def _vectorise(mask: np.ndarray, grid: Raster) -> Any:
    shapes = [
        shapely.geometry.shape(g)
        for g, v in rasterio.features.shapes(mask.astype(np.uint8), mask=mask, transform=grid.transform)
        if v == 1
    ]
    return shapely.union_all(shapes) if shapes else shapely.Polygon()


def study_grid(study: Study, crs: CRS) -> Raster:
    """An empty int32 grid over the study's bounding box in ``crs``, cells of
    ``[region] resolution_m`` metres (at least 1 m): the grid of :func:`sea_coverage` when no DEM
    gives one.  The box's edges, sampled at 21 points each, are projected and their extent taken."""
    w, s, e, n = study.bbox
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    xs, ys = tr.transform(
        np.r_[np.linspace(w, e, 21), np.linspace(w, e, 21), np.full(21, w), np.full(21, e)],
        np.r_[np.full(21, s), np.full(21, n), np.linspace(s, n, 21), np.linspace(s, n, 21)],
    )
    res = max(float(study.resolution_m), 1.0)
    cols = int(math.ceil((max(xs) - min(xs)) / res))
    rows = int(math.ceil((max(ys) - min(ys)) / res))
    return Raster(np.zeros((rows, cols), np.int32), Affine(res, 0, min(xs), 0, -res, max(ys)), crs, None)
