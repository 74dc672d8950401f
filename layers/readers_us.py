"""Readers of the U.S. sources (Arizona–Sonora and the U.S.–Mexico border).

Each reader follows the contract in :mod:`borderscape.layers.ingest`:
``read_x(located, *, keep_personal=False) -> Layer`` (``RasterLayer`` for elevation).
Every cell is read, every geometry checked and every layer finished by
:mod:`borderscape.layers.parse` (one dialect for all readers: what counts as missing, how
counts and dates are read, how the ledger is worded); this module holds only what is
particular to each source.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer

from borderscape.geo.errors import CRSError, IngestError, RasterError
from borderscape.geo.raster import Raster
from borderscape.layers import parse
from borderscape.layers.catalog import ARIZONA_SONORA, US_MEXICO_BORDER
from borderscape.layers.parse import problem, snake
from borderscape.layers.quality import Ledger
from borderscape.layers.schemas import Layer, RasterLayer
from borderscape.layers.tables import read_table, read_vector

if TYPE_CHECKING:  # pragma: no cover
    from borderscape.layers.fetch import Located

WGS84 = "EPSG:4326"

# --------------------------------------------------------------------------- helpers


def paths_of(located: Located | str | os.PathLike | Sequence[str | os.PathLike]) -> list[Path]:
    """The file paths of a :class:`Located` (or of a path / list of paths given directly)."""
    if isinstance(located, (str, os.PathLike)):
        return [Path(located)]
    if isinstance(located, (list, tuple)):
        return [Path(p) for p in located]
    return [Path(p) for p in located.paths]


def one_path(located: Located | str | os.PathLike | Sequence[str | os.PathLike], source_id: str) -> Path:
    """The single file of a one-file source."""
    paths = paths_of(located)
    if len(paths) != 1:
        raise IngestError(
            f"source {source_id!r} is read from one file, got {len(paths)}", remedy="give one file (FILE argument)"
        )
    return paths[0]


def points_from_columns(
    lat_values: pd.Series, lon_values: pd.Series, ledger: Ledger, region: tuple[float, float, float, float] | None
) -> tuple[gpd.GeoSeries, np.ndarray, np.ndarray]:
    """Points from latitude and longitude columns (:func:`borderscape.layers.parse.coordinates`
    and :func:`~borderscape.layers.parse.locate`; required).

    Returns the points (None where a row cannot be placed) and the parsed latitude and
    longitude as written (degrees, NaN where missing or unreadable).
    """
    lat, bad_lat = parse.coordinates(lat_values, ledger)
    lon, bad_lon = parse.coordinates(lon_values, ledger)
    geometry, _, _, _ = parse.locate(lat, lon, ledger, region, unreadable=bad_lat | bad_lon)
    return geometry, lat, lon


def _require(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise IngestError(
            f"{name} lacks the columns {absent}",
            remedy="give the source's original export; found columns: " + ", ".join(map(str, frame.columns[:30])),
        )


# --------------------------------------------------------------------------- PCOME

#: The Pima County Office of the Medical Examiner: remains moved there carry its coordinates.
PCOME_OFFICE = (32.175119, -110.928097)
#: UTM X/Y farther than this from the projected latitude/longitude flag a row (metres).
UTM_TOLERANCE_M = 1000.0
#: Columns of a PCOME export that identify a person (removed unless ``keep_personal``):
#: the name, the medical examiner's case number, and the free-text location description
#: (it can name people and private places).
PCOME_PERSONAL = ("Name", "ML Number", "Location")
_PCOME_KEEP = {
    "Sex": "sex",
    "Corridor Code": "corridor_code",
    "Corridor": "corridor",
    "Surface Management": "surface_management",
    "County": "county",
    "State": "state",
    "Post Mortem Interval": "post_mortem_interval",
    "Body Condition": "body_condition",
    "Condition Code": "condition_code",
    "OME Determined COD": "ome_determined_cod",
}


def read_pcome(located: Located | str | os.PathLike, *, keep_personal: bool = False) -> Layer:
    """Arizona OpenGIS Initiative for Deceased Migrants export (PCOME + Humane Borders).

    One row per recovered person: ``date`` = Reporting Date (``date_kind='reported'``; ISO or
    M/D/YYYY), ``dead`` = 1, ``cause`` = Cause of Death, ``location_precision`` = the
    source's Location Precision text; Sex, Age, Corridor, Surface Management, County
    (capitalisation normalised, recorded as a repair), State, Post Mortem Interval, Body
    Condition, condition code and the OME-determined cause are kept as columns.

    Quarantined for location analyses, but kept with their dates (so they count in totals
    by year):

    * rows at the medical examiner's office (32.175119, −110.928097): the remains were moved
      and the place where they were found is unknown;
    * rows whose UTM X/Y (zone 12N, as in every row of the published files) lie more than
      1 km from their latitude/longitude: one of the two pairs is wrong and nothing tells
      which (the 2024-09 and 2020-06 files hold one such row, 12.8 km apart);
    * rows outside Arizona–Sonora that no swap/sign flip explains, or without coordinates.

    Cells are read by :mod:`borderscape.layers.parse`: Reporting Date and the coordinates are
    required; Age is an optional count (a text that is not a whole non-negative number
    quarantines the row, as in every reader); UTM X/Y are optional measures.

    ``Name``, ``ML Number`` (a case number) and the free-text ``Location`` are removed
    unless ``keep_personal`` (then kept as ``name``, ``ml_number``, ``location_text``, and
    ``record_id`` = ML Number).
    """
    path = one_path(located, "pcome")
    table = read_table(path)
    raw = table.frame
    _require(raw, ["Reporting Date", "Latitude", "Longitude"], path.name)
    ledger = Ledger(len(raw))
    notes = list(table.notes)

    geometry, lat, lon = points_from_columns(raw["Latitude"], raw["Longitude"], ledger, ARIZONA_SONORA)

    with np.errstate(invalid="ignore"):
        office = (np.abs(lat - PCOME_OFFICE[0]) < 5e-7) & (np.abs(lon - PCOME_OFFICE[1]) < 5e-7)
    ledger.quarantine(
        office,
        problem(
            "coordinates",
            "the medical examiner's office (32.175119, -110.928097): "
            "remains were moved; where they were found is unknown",
        ),
    )

    if "UTM X" in raw.columns and "UTM Y" in raw.columns:
        ux = parse.measures(raw["UTM X"], ledger, "UTM X").to_numpy()
        uy = parse.measures(raw["UTM Y"], ledger, "UTM Y").to_numpy()
        px, py = Transformer.from_crs(WGS84, "EPSG:32612", always_xy=True).transform(lon, lat)
        with np.errstate(invalid="ignore"):
            offset = np.hypot(np.asarray(px) - ux, np.asarray(py) - uy)
            far = offset > UTM_TOLERANCE_M
        for i in np.flatnonzero(far):
            ledger.quarantine_row(
                int(i),
                problem(
                    "coordinates",
                    f"{offset[i] / 1000:.1f} km from UTM X/Y (more than 1 km): which pair is right is unknown",
                ),
            )

    dates, precision = parse.dates(raw["Reporting Date"], ledger, "date", required=True)

    out = pd.DataFrame(
        {
            "date": dates,
            "date_kind": "reported",
            "date_precision": pd.array(precision, dtype="string"),
            "dead": 1,
            "missing": 0,
            "cause": parse.text(raw["Cause of Death"]) if "Cause of Death" in raw.columns else pd.NA,
            "location_precision": parse.text(raw["Location Precision"])
            if "Location Precision" in raw.columns
            else pd.NA,
            "source_id": "pcome",
            "record_id": parse.text(raw["ML Number"]) if keep_personal and "ML Number" in raw.columns else pd.NA,
        }
    )
    for col, name in _PCOME_KEEP.items():
        if col in raw.columns:
            out[name] = parse.text(raw[col])
    if "Age" in raw.columns:
        out["age"] = parse.counts(raw["Age"], ledger, "age")
    if "county" in out.columns:
        county = out["county"]
        normal = county.map(lambda v: v if pd.isna(v) else _county_case(v)).astype("string")
        changed = (county.fillna("") != normal.fillna("")).to_numpy()
        ledger.repair(changed, parse.change("county", "had its capitalisation normalised"))
        out["county"] = normal
    if "post_mortem_interval" in out.columns:
        notes.append("Post Mortem Interval and other text fields stripped of surrounding spaces")

    removed = [c for c in PCOME_PERSONAL if c in raw.columns]
    if keep_personal:
        for col, name in (("Name", "name"), ("ML Number", "ml_number"), ("Location", "location_text")):
            if col in raw.columns:
                out[name] = parse.text(raw[col])
        removed = []
        notes.append("personal columns kept on request (keep_personal): never show them in a rendered output")
    return parse.finish("pcome", "deaths", out, ledger, geometry=geometry, removed=removed, notes=notes, raw=raw)


def _county_case(value: str) -> str:
    words = str(value).split()
    return " ".join(w if not w.isalpha() else w[:1].upper() + w[1:].lower() for w in words)


def read_pcome_terrain(located: Located | str | os.PathLike, *, keep_personal: bool = False) -> Layer:
    """PCOME recovery sites vs random points with terrain covariates (White 2024).

    ``PointType`` is kept as ``point_type`` (``BodyLocation`` / ``RandomLocation``); ``dead``
    is 1 for a body location and 0 for a random point; ``cause`` = Cause_of_Death; the
    covariates (Slope and Aspect in degrees, Elevation in metres, Rough, solar and
    vegetation indices) are kept under snake-case names as measures (negative values are
    real: aspect, MSAVI2).  The table has no dates.  Coordinates and PointType are required.
    """
    path = one_path(located, "pcome-terrain")
    table = read_table(path)
    raw = table.frame
    _require(raw, ["Latitude", "Longitude", "PointType"], path.name)
    ledger = Ledger(len(raw))
    geometry, _, _ = points_from_columns(raw["Latitude"], raw["Longitude"], ledger, ARIZONA_SONORA)
    ptype = parse.text(raw["PointType"])
    absent = ptype.isna().to_numpy(dtype=bool)
    unknown = ~absent & ~ptype.isin(["BodyLocation", "RandomLocation"]).fillna(False).to_numpy(dtype=bool)
    ledger.quarantine(absent, problem("point_type", parse.MISSING))
    ledger.quarantine(unknown, problem("point_type", "neither BodyLocation nor RandomLocation"))
    dead = pd.Series(np.where(ptype.fillna("") == "BodyLocation", 1, 0), dtype="Int64").where(
        ~(absent | unknown), pd.NA
    )
    out = pd.DataFrame(
        {
            "date": pd.NaT,
            "date_kind": pd.NA,
            "date_precision": pd.NA,
            "dead": dead,
            "missing": 0,
            "cause": parse.text(raw["Cause_of_Death"]) if "Cause_of_Death" in raw.columns else pd.NA,
            "location_precision": pd.NA,
            "source_id": "pcome-terrain",
            "record_id": parse.text(raw["FID"]) if "FID" in raw.columns else pd.NA,
            "point_type": ptype,
        }
    )
    covariates = [c for c in raw.columns if c not in ("FID", "Cause_of_Death", "Latitude", "Longitude", "PointType")]
    for col, name in zip(covariates, parse.tidy_columns(raw[covariates]).columns):
        out[name] = parse.measures(raw[col], ledger, name)
    return parse.finish(
        "pcome-terrain",
        "deaths",
        out,
        ledger,
        geometry=geometry,
        notes=table.notes + ["undated table: body locations and the author's random points"],
        raw=raw,
    )


# --------------------------------------------------------------------------- sensors

#: Canonical sensor kinds and the words that name them in tower lists.
TOWER_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("IFT", ("ift", "integrated fixed tower")),
    ("RVSS", ("rvss", "remote video surveillance")),
    ("AST", ("ast", "autonomous surveillance tower", "anduril", "sentry")),
    ("MSC", ("msc", "mobile surveillance capability", "mobile surveillance")),
    ("aerostat", ("aerostat", "tars", "tas", "tethered", "blimp", "balloon")),
    ("ALPR", ("alpr", "license plate", "licence plate", "lpr")),
    ("IST", ("ist", "integrated surveillance tower")),
    ("SBInet", ("sbinet", "sbi net", "sbi-net")),
    ("face_recognition", ("face recognition", "facial recognition")),
)

#: Column names accepted for each role of a tower list (compared in lower snake case).
TOWER_COLUMNS: dict[str, tuple[str, ...]] = {
    "lat": ("lat", "latitude", "y", "lat_dd"),
    "lon": ("lon", "long", "longitude", "lng", "x", "lon_dd"),
    "latlon": ("coordinates", "lat_lon", "latlon", "location_coordinates"),
    "wkt": ("wkt", "geometry", "geom", "the_geom", "wkt_geometry"),
    "kind": ("kind", "type", "tower_type", "technology", "category", "system", "sensor_type"),
    "height_m": ("height_m", "height", "height_meters", "tower_height_m"),
    "height_ft": ("height_ft", "height_feet", "tower_height_ft"),
    "range_m": ("range_m", "range", "range_meters"),
    "range_km": ("range_km",),
    "active_from": (
        "active_from",
        "installed",
        "install_date",
        "date_installed",
        "date",
        "year_installed",
        "year",
        "deployed",
        "first_seen",
    ),
    "active_to": ("active_to", "removed", "decommissioned", "date_removed"),
    "deployment": ("status", "deployment", "state_of_deployment", "existing_proposed"),
    "name": ("name", "tower_name", "site", "label", "id"),
}


# --------------------------------------------------------------------------- sensor rules
#
# Every path that makes a ``sensors`` layer (``read_towers`` behind ``--towers`` and the
# ``eff-towers`` source, ``borderscape ingest sensors FILE --columns ...``, and the maritime
# user files of :func:`borderscape.layers.ingest.read_sensor_file`) checks its rows with
# :func:`check_sensors`: the numbers are plausible, a sensor has the geometry its role allows,
# it does not end before it starts, and it is not counted twice.

#: Plausible physical bounds of a sensor's numbers, metres: a value must be > 0 and at most the
#: bound of its family (a negative value is ``F is negative`` first, as everywhere).  Why:
#:
#: * ``mast`` (towers and masts: IFT, RVSS, AST, MSC, IST, ALPR …, and any kind not named):
#:   height ≤ 500 m — border towers stand 10–60 m (IFT 80–180 ft, RVSS poles ≈ 20–30 m) and the
#:   tallest guyed masts on Earth ≈ 600 m are broadcast masts, not sensors; range ≤ 100 km —
#:   tower cameras and ground radars see 10–30 km (IFT radar ≈ 12 km), 100 km is a wide margin.
#: * ``radar`` (coastal radar stations, or a kind that names a radar): height ≤ 500 m (antennas on
#:   masts, buildings or cliffs); range ≤ 200 km — coastal surveillance radars are instrumented
#:   to 50–100 km; longer (over-the-horizon) radars are not sensors of this kind.
#: * ``aerostat`` (TARS, tethered balloons): height ≤ 5,000 m — TARS fly at up to about 4,600 m
#:   (15,000 ft); range ≤ 400 km — the TARS L-88 radar reaches about 370 km (200 nmi).
#: * ``aircraft`` (aerial tracks): height (flight altitude) ≤ 20,000 m — the ceiling of the
#:   highest surveillance drones (Global Hawk ≈ 18 km); range ≤ 400 km.
#:
#: A swath (aerial tracks) must be > 0 and ≤ 200 km (:data:`SWATH_MAX_M`): maritime patrol
#: radars and cameras sweep 20–100 km either side of a track.
SENSOR_BOUNDS_M: dict[str, dict[str, float]] = {
    "mast": {"height_m": 500.0, "range_m": 100_000.0},
    "radar": {"height_m": 500.0, "range_m": 200_000.0},
    "aerostat": {"height_m": 5_000.0, "range_m": 400_000.0},
    "aircraft": {"height_m": 20_000.0, "range_m": 400_000.0},
}
#: Largest plausible swath width, metres (see :data:`SENSOR_BOUNDS_M`).
SWATH_MAX_M = 200_000.0
#: What a family is called in a reason.
_FAMILY_WORDS = {"mast": "a tower or mast", "radar": "a radar", "aerostat": "an aerostat", "aircraft": "an aircraft"}

#: Geometries each sensor role accepts: point sensors (towers, coastal stations) are points,
#: aerial tracks are lines, operational areas are polygons.  A MultiPoint of ONE point is a
#: point sensor written as a multi-geometry: it becomes that Point (a repair, ``geometry was a
#: MultiPoint of one point, made a Point``).  A MultiPoint of several points is quarantined
#: (``geometry is a MultiPoint of several points``): a layer keeps one row per input record,
#: so it is not split — give one row per sensor.  Any other geometry is quarantined, naming
#: its type (``geometry is a LineString, not a point``).
SENSOR_GEOMETRIES: dict[str, tuple[tuple[str, ...], str]] = {
    "points": (("Point",), "a point"),
    "tracks": (("LineString", "MultiLineString"), "a line"),
    "areas": (("Polygon", "MultiPolygon"), "a polygon"),
}
#: Names a role may be given by (the study roles of the maritime files, and short names).
SENSOR_ROLES = {
    "points": "points",
    "towers": "points",
    "stations": "points",
    "coastal_stations": "points",
    "tracks": "tracks",
    "aerial_tracks": "tracks",
    "areas": "areas",
    "operational_areas": "areas",
}
#: Two point sensors closer than this (metres) share a position (:func:`check_sensors`).
SAME_POSITION_M = 1.0


def sensor_role(role: str | None, geometry: gpd.GeoSeries | None = None) -> str:
    """The geometry role (``points``, ``tracks``, ``areas``) of a sensor layer.

    ``role`` is one of :data:`SENSOR_ROLES` (``towers``, ``coastal_stations``,
    ``aerial_tracks``, ``operational_areas`` …); when None it is the family most of the
    present geometries belong to (points, then lines, then polygons on a tie; ``points`` when
    there is none).
    """
    if role is not None:
        try:
            return SENSOR_ROLES[role]
        except KeyError:
            raise IngestError(
                f"unknown sensor role {role!r}", remedy="use one of " + ", ".join(sorted(SENSOR_ROLES))
            ) from None
    if geometry is None:
        return "points"
    types = pd.Series(np.asarray(geometry.values, dtype=object)).map(
        lambda g: None if g is None or g.is_empty else g.geom_type
    )
    counts = {
        "points": int(types.isin(["Point", "MultiPoint"]).sum()),
        "tracks": int(types.isin(list(SENSOR_GEOMETRIES["tracks"][0])).sum()),
        "areas": int(types.isin(list(SENSOR_GEOMETRIES["areas"][0])).sum()),
    }
    return max(counts, key=lambda k: counts[k])  # first of the maxima: points, tracks, areas


def _sensor_family(kinds: pd.Series | None, default: str, n: int) -> np.ndarray:
    """``mast``, ``radar``, ``aerostat`` or ``aircraft`` for each row (:data:`SENSOR_BOUNDS_M`):
    ``aircraft`` for every track; else an aerostat or a radar where the kind names one, else
    ``default`` (``radar`` for coastal stations, ``mast`` otherwise)."""
    out = np.full(n, default, dtype=object)
    if kinds is None or default == "aircraft":
        return out
    codes, texts = pd.factorize(pd.Series(kinds, dtype=object).reset_index(drop=True))
    for code, text in enumerate(texts.tolist()):  # each distinct kind text once
        if tower_kind(text) == "aerostat":
            out[codes == code] = "aerostat"
        elif "radar" in str(text).lower():
            out[codes == code] = "radar"
    return out


def _sensor_geometry(geometry: gpd.GeoSeries, ledger: Ledger, role: str) -> gpd.GeoSeries:
    """Apply :data:`SENSOR_GEOMETRIES` to checked geometries (None where quarantined)."""
    accepted, word = SENSOR_GEOMETRIES[role]
    geoms = np.asarray(geometry.values, dtype=object).copy()
    types = np.array([shapely.GeometryType(t).name for t in range(8)], dtype=object)  # POINT … COLLECTION
    type_id = shapely.get_type_id(geoms)
    fits = (type_id < 0) | np.isin(types[np.clip(type_id, 0, 7)], [a.upper() for a in accepted])
    for i in np.flatnonzero(~fits):
        g = geoms[i]
        if g.is_empty:
            continue
        if role == "points" and g.geom_type == "MultiPoint":
            if len(g.geoms) == 1:
                geoms[i] = g.geoms[0]
                ledger.repair(np.arange(len(geoms)) == i, parse.change("geometry", SINGLE_MULTIPOINT))
            else:
                ledger.quarantine_row(i, problem("geometry", SEVERAL_POINTS))
                geoms[i] = None
            continue
        ledger.quarantine_row(i, problem("geometry", f"a {g.geom_type}, not {word}"))
        geoms[i] = None
    return gpd.GeoSeries(geoms, crs=geometry.crs, index=geometry.index)


#: Reasons of :func:`check_sensors` (the ones without a figure of their own).
SINGLE_MULTIPOINT = "was a MultiPoint of one point, made a Point"
SEVERAL_POINTS = "a MultiPoint of several points (give one row per sensor)"
ENDS_BEFORE_START = "before active_from"


def _out_of_range(field: str, bound_m: float, family: str) -> str:
    limit = f"{bound_m / 1000:,.0f} km" if bound_m >= 10_000 else f"{bound_m:,.0f} m"
    return problem(field, f"out of range (more than 0 and at most {limit} for {_FAMILY_WORDS[family]})")


def check_sensors(
    out: pd.DataFrame,
    geometry: gpd.GeoSeries,
    ledger: Ledger,
    *,
    raw: pd.DataFrame,
    role: str | None,
    name: str,
    notes: list[str],
) -> gpd.GeoSeries:
    """The rules every sensors layer is checked with, whatever file it came from.

    Parameters
    ----------
    out
        The layer's columns as parsed (``kind``, ``height_m``, ``range_m``, ``swath_m``,
        ``active_from``, ``active_to`` where present); bad values are set to missing in place.
    geometry
        The checked geometries (:func:`borderscape.layers.parse.check_geometries` or
        :func:`~borderscape.layers.parse.locate`), EPSG:4326.
    ledger
        The ingest's ledger.
    raw
        The input's cells (every column), for exact duplicates.
    role
        See :func:`sensor_role` (``towers``, ``coastal_stations``, ``aerial_tracks``,
        ``operational_areas`` …; None: inferred from the geometries).
    name
        The file's name (for the error of an empty file).
    notes
        The report's notes (positional duplicates are noted here).

    Rules
    -----
    * an input with no row is an :class:`IngestError` (an empty CSV, a KML with no
      placemark, a GeoJSON with no feature);
    * geometry: :data:`SENSOR_GEOMETRIES` (points for towers and stations, lines for aerial
      tracks, polygons for operational areas);
    * ``height_m``, ``range_m`` and ``swath_m``: > 0 and at most the bound of the sensor's
      family (:data:`SENSOR_BOUNDS_M`, :data:`SWATH_MAX_M`); outside, the row is quarantined
      ``height_m is out of range (more than 0 and at most 500 m for a tower or mast)`` and the
      value is set to missing (never used, never filled from a default: the row is left out);
    * ``active_to`` earlier than ``active_from``: quarantined ``active_to is before active_from``;
    * exact duplicates (every input cell and the geometry equal to an earlier located row's):
      quarantined ``row is a duplicate of row N`` (N the first such row), so a sensor counts
      once;
    * positional duplicates (point sensors within :data:`SAME_POSITION_M` of an earlier usable
      one, with other attributes): kept — several sensors can share a mast (a camera and a
      radar) — and listed in a note of the report.

    Returns
    -------
    GeoSeries
        The geometries, None where the geometry was refused.
    """
    n = len(out)
    if n == 0:
        raise IngestError(
            f"{name} holds no sensors (no data rows, placemarks or features)",
            remedy="check that the export is not empty, or give the file that holds the sensors",
        )
    kind = sensor_role(role, geometry)
    geometry = _sensor_geometry(geometry, ledger, kind)
    default = "aircraft" if kind == "tracks" else "radar" if role in ("stations", "coastal_stations") else "mast"
    family = _sensor_family(out["kind"] if "kind" in out.columns else None, default, n)
    for field in ("height_m", "range_m", "swath_m"):
        if field not in out.columns:
            continue
        v = out[field].to_numpy(dtype=float, na_value=np.nan)
        if field == "swath_m":
            limits = {"all": SWATH_MAX_M}
            groups = np.full(n, "all", dtype=object)
        else:
            limits = {f: b[field] for f, b in SENSOR_BOUNDS_M.items()}
            groups = family
        for group, bound in limits.items():
            with np.errstate(invalid="ignore"):
                bad = (groups == group) & ~np.isnan(v) & ((v <= 0) | (v > bound))
            if bad.any():
                why = (
                    problem(field, f"out of range (more than 0 and at most {bound / 1000:,.0f} km)")
                    if field == "swath_m"
                    else _out_of_range(field, bound, group)
                )
                ledger.quarantine(bad, why)
                v = np.where(bad, np.nan, v)
        out[field] = v
    if "active_from" in out.columns and "active_to" in out.columns:
        a_from = pd.to_datetime(out["active_from"]).to_numpy(dtype="datetime64[ns]")
        a_to = pd.to_datetime(out["active_to"]).to_numpy(dtype="datetime64[ns]")
        ledger.quarantine(
            ~np.isnat(a_from) & ~np.isnat(a_to) & (a_to < a_from), problem("active_to", ENDS_BEFORE_START)
        )
    _sensor_duplicates(raw, geometry, ledger, notes)
    return geometry


def _sensor_duplicates(raw: pd.DataFrame, geometry: gpd.GeoSeries, ledger: Ledger, notes: list[str]) -> None:
    """Exact duplicates quarantined; positional duplicates of point sensors noted (:func:`check_sensors`)."""
    geoms = np.asarray(geometry.values, dtype=object)
    # every cell and the geometry equal to an earlier located row's: the one rule of parse
    parse.exact_duplicates(raw, ledger, geometry)
    # positional duplicates among the usable point sensors
    usable_points = (shapely.get_type_id(geoms) == 0) & (ledger.status != "quarantined")
    idx = np.flatnonzero(usable_points)
    if len(idx) < 2:
        return
    from scipy.spatial import cKDTree

    lon = shapely.get_x(geoms[idx].astype(object))
    lat = shapely.get_y(geoms[idx].astype(object))
    # Earth-centred coordinates (metres): the straight distance equals the ground distance at 1 m
    x, y, z = Transformer.from_crs(WGS84, "EPSG:4978", always_xy=True).transform(lon, lat, np.zeros(len(idx)))
    pairs = sorted(
        (int(idx[max(a, b)]), int(idx[min(a, b)]))
        for a, b in cKDTree(np.column_stack([x, y, z])).query_pairs(SAME_POSITION_M)
    )
    if pairs:
        later = sorted({a for a, _ in pairs})
        shown = ", ".join(f"row {a} near row {b}" for a, b in pairs[:10]) + (" …" if len(pairs) > 10 else "")
        notes.append(
            f"{len(later)} sensor(s) lie within {SAME_POSITION_M:g} m of an earlier one with other attributes "
            f"({shown}): kept, as several sensors can share a mast; check the source if they should not"
        )


def tower_kind(text: object) -> str | None:
    """The canonical kind (IFT, RVSS, AST, MSC, aerostat, ALPR …) named by a type text, else None."""
    if text is None or (isinstance(text, float) and np.isnan(text)) or pd.isna(text):
        return None
    t = " " + re.sub(r"[^a-z0-9]+", " ", str(text).lower()) + " "
    for kind, words in TOWER_KINDS:
        for w in words:
            if f" {w} " in t:
                return kind
    return None


def _find_role(columns: Sequence[str], role: str) -> str | None:
    lookup = {snake(c): c for c in columns}
    for candidate in TOWER_COLUMNS[role]:
        if candidate in lookup:
            return lookup[candidate]
    return None


def read_towers(located: Located | str | os.PathLike, *, keep_personal: bool = False) -> Layer:
    """A list of surveillance towers (EFF's U.S.–Mexico border data or any similar list).

    Accepted layouts: a CSV with latitude/longitude columns (``lat``/``latitude``/``y`` and
    ``lon``/``long``/``longitude``/``lng``/``x``, decimal or DMS) or one ``"lat, lon"``
    column, or a GeoJSON/KML/GeoPackage of points.  Other recognised columns (names compared
    case- and punctuation-insensitively): type (``type``/``kind``/``tower_type``/
    ``technology``/``category``) → ``kind`` normalised to IFT, RVSS, AST, MSC, aerostat,
    ALPR, IST, SBInet (the source's text kept as ``kind_source``; unrecognised types are
    kept as written, noted); ``height``/``height_m`` (metres) or ``height_ft`` (feet,
    converted: 1 ft = 0.3048 m); ``range``/``range_m`` (metres) or ``range_km``; install date
    (``installed``/``date``/``year`` …) → ``active_from``; removal date → ``active_to``;
    ``status`` → ``deployment`` (existing, proposed …; the ledger owns ``status``); ``name``.
    Every other column is kept as text under its snake-case name.  Heights and ranges are
    measures that cannot be negative; dates are optional (:mod:`borderscape.layers.parse`).
    A CSV may instead give its geometry as WKT (``wkt``/``geometry``/``geom`` column).

    Every row is then checked by :func:`check_sensors` as a point sensor: a height outside
    0–500 m (0–5,000 m for an aerostat) or a range outside 0–100 km (200 km for a radar,
    400 km for an aerostat) is quarantined (``height_m is out of range (…)``) and never used;
    a line, polygon, collection or MultiPoint of several points is quarantined (a one-point
    MultiPoint becomes a Point); ``active_to`` before ``active_from`` is quarantined; an exact
    duplicate row is quarantined (``row is a duplicate of row N``) so it counts once; sensors
    within 1 m of another are kept and noted.  A file with no tower (an empty CSV, a KML with
    no placemark, a GeoJSON with no feature) is an :class:`IngestError`.
    """
    path = one_path(located, "eff-towers")
    notes: list[str] = []
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        table = read_table(path)
        raw = table.frame
        notes += table.notes
        ledger = Ledger(len(raw))
        lat_col, lon_col, pair_col, wkt_col = (
            _find_role(raw.columns, "lat"),
            _find_role(raw.columns, "lon"),
            _find_role(raw.columns, "latlon"),
            _find_role(raw.columns, "wkt"),
        )
        if lat_col and lon_col:
            geometry, _, _ = points_from_columns(raw[lat_col], raw[lon_col], ledger, US_MEXICO_BORDER)
        elif pair_col:
            lat, lon, unreadable = parse.coordinate_pairs(raw[pair_col], ledger)
            geometry, _, _, _ = parse.locate(lat, lon, ledger, US_MEXICO_BORDER, unreadable=unreadable)
        elif wkt_col:
            geometry = parse.check_geometries(parse.wkt_geometries(raw[wkt_col], ledger), ledger, US_MEXICO_BORDER)
        else:
            raise IngestError(
                f"{path.name} has no latitude/longitude columns",
                remedy="name them lat/latitude and lon/longitude, or use "
                "`borderscape ingest sensors FILE --columns lat=COL,lon=COL,kind=COL`",
            )
        used = {c for c in (lat_col, lon_col, pair_col, wkt_col) if c}
    else:
        frame, vnotes = read_sensor_vector(path)
        notes += vnotes
        raw = pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(object)
        raw = raw.where(raw.notna(), None)
        ledger = Ledger(len(raw))
        geometry = parse.check_geometries(frame.geometry, ledger, US_MEXICO_BORDER)
        used = set()
    out = pd.DataFrame(index=raw.index)
    kind_col = _find_role(raw.columns, "kind")
    if kind_col:
        source_text = parse.text(raw[kind_col])
        kinds = source_text.map(lambda v: tower_kind(v) or v).astype("string")
        out["kind"], out["kind_source"] = kinds, source_text
        unknown = sorted(
            {str(v) for v, k in zip(source_text.dropna(), source_text.dropna().map(tower_kind)) if k is None}
        )
        if unknown:
            notes.append(f"{len(unknown)} tower type text(s) not recognised; kept as written")
        used.add(kind_col)
    for role, column_name, scale in (
        ("height_m", "height_m", 1.0),
        ("height_ft", "height_m", 0.3048),
        ("range_m", "range_m", 1.0),
        ("range_km", "range_m", 1000.0),
    ):
        col = _find_role(raw.columns, role)
        if col and column_name not in out.columns:
            out[column_name] = parse.measures(raw[col], ledger, column_name, negative_ok=False, scale=scale)
            if scale != 1.0:
                notes.append(f"{col} converted to metres (× {scale})")
            used.add(col)
    for role in ("active_from", "active_to"):
        col = _find_role(raw.columns, role)
        if col:
            out[role], _ = parse.dates(raw[col], ledger, role)
            used.add(col)
    # a file written by `borderscape ingest` carries its ledger (row, status, reason): that
    # status is kept/repaired/quarantined, never the source's deployment status
    prior = [c for c in raw.columns if snake(c) == "status"] if has_prior_ledger(raw) else []
    for role in ("deployment", "name"):
        col = _find_role([c for c in raw.columns if c not in prior], role)
        if col:
            out[role] = parse.text(raw[col])
            used.add(col)
    for col, name in zip(raw.columns, parse.tidy_columns(raw).columns):
        if col not in used and name not in out.columns:
            out[name] = parse.text(raw[col])
    out["source_id"] = "eff-towers"
    geometry = check_sensors(out, geometry, ledger, raw=raw, role="towers", name=path.name, notes=notes)
    return parse.finish("eff-towers", "sensors", out, ledger, geometry=geometry, notes=notes)


def has_prior_ledger(raw: pd.DataFrame) -> bool:
    """True when ``raw`` holds the ledger columns of an earlier ingest (``row``, ``status``, ``reason``).

    Its ``status`` (kept, repaired, quarantined) describes that ingest, not the data: it must
    never fill a data column (a sensor's ``deployment``).
    """
    names = {snake(c): c for c in raw.columns}
    if not {"row", "status", "reason"} <= set(names):
        return False
    values = {str(v).strip().lower() for v in raw[names["status"]].dropna().tolist()}
    return values <= {"kept", "repaired", "quarantined", ""}


def read_sensor_vector(path: str | os.PathLike) -> tuple[gpd.GeoDataFrame, list[str]]:
    """:func:`borderscape.layers.tables.read_vector` for a sensors file, refusing an empty one.

    Raises
    ------
    IngestError
        The file holds no layer (a KML with no placemark) or no feature.
    """
    path = Path(path)
    if path.suffix.lower() != ".zip" and path.is_file():
        try:
            no_layer = len(pyogrio.list_layers(str(path))) == 0
        except (pyogrio.errors.DataSourceError, OSError, ValueError):
            no_layer = False  # read_vector says what is wrong with the file
        if no_layer:
            raise IngestError(
                f"{path.name} holds no sensors (no layer, placemark or feature)",
                remedy="check that the export is not empty, or give the file that holds the sensors",
            )
    frame, notes = read_vector(path)
    if len(frame) == 0:
        raise IngestError(
            f"{path.name} holds no sensors (no placemark or feature)",
            remedy="check that the export is not empty, or give the file that holds the sensors",
        )
    return frame, notes


# --------------------------------------------------------------------------- context


def _read_context_vector(
    located: Located | str | os.PathLike,
    source_id: str,
    region: tuple[float, float, float, float] | None,
    keep: Callable[[pd.DataFrame], pd.DataFrame],
) -> Layer:
    path = one_path(located, source_id)
    frame, notes = read_vector(path)
    ledger = Ledger(len(frame))
    geometry = parse.check_geometries(frame.geometry, ledger, region)
    attrs = keep(pd.DataFrame(frame.drop(columns=frame.geometry.name)))
    return parse.finish(source_id, "context", attrs, ledger, geometry=geometry, notes=notes)


def read_boundary(located: Located | str | os.PathLike, *, keep_personal: bool = False) -> Layer:
    """The IBWC U.S.–Mexico boundary (KMZ, KML, shapefile or zipped shapefile) as line(s).

    The KMZ holds one LineString (39,673 vertices, east → west); the KML boilerplate
    attributes (empty in the published file) are dropped; ``name`` is kept.
    """

    def keep(attrs: pd.DataFrame) -> pd.DataFrame:
        name = _find_role(attrs.columns, "name")
        return pd.DataFrame(
            {
                "name": parse.text(attrs[name]) if name else pd.Series(pd.NA, index=attrs.index, dtype="string"),
                "feature": "international boundary",
            }
        )

    return _read_context_vector(located, "ibwc-boundary", US_MEXICO_BORDER, keep)


def read_roads(located: Located | str | os.PathLike, *, keep_personal: bool = False) -> Layer:
    """TIGER/Line primary and secondary roads of any state (shapefile, or the zip published by the Census).

    Reprojected from NAD83 (EPSG:4269) to EPSG:4326 (sub-metre difference, noted); the
    fields LINEARID, FULLNAME, RTTYP and MTFCC are kept (as the file types them) under
    lower-case names.  The layer's source is the located catalog entry (``tiger-roads-tx`` …),
    ``tiger-roads-az`` for a bare path.
    """

    def keep(attrs: pd.DataFrame) -> pd.DataFrame:
        return parse.tidy_columns(attrs)

    source = getattr(getattr(located, "source", None), "id", "tiger-roads-az")
    return _read_context_vector(located, source, None, keep)


def read_stations(located: Located | str | os.PathLike, *, keep_personal: bool = False) -> Layer:
    """U.S. Border Patrol stations (KML points of geocoded addresses).

    Keeps ``name`` (the station, a building — e.g. "Ajo Station") and ``address`` (the
    street address from the description, without phone and fax numbers).
    """

    def keep(attrs: pd.DataFrame) -> pd.DataFrame:
        name = _find_role(attrs.columns, "name")
        desc = (
            attrs["description"] if "description" in attrs.columns else pd.Series(None, index=attrs.index, dtype=object)
        )
        return pd.DataFrame(
            {
                "name": parse.text(attrs[name]) if name else pd.Series(pd.NA, index=attrs.index, dtype="string"),
                "address": desc.map(_station_address).astype("string"),
            }
        )

    return _read_context_vector(located, "usbp-stations", (-125.0, 17.0, -66.0, 50.0), keep)


def _station_address(description: object) -> str | None:
    if description is None or (isinstance(description, float) and np.isnan(description)):
        return None
    parts = [p.strip() for p in re.split(r"<br\s*/?>|\n", str(description), flags=re.I)]
    address = [p for p in parts if p and not re.match(r"^(phone|fax)\b", p, flags=re.I)]
    return ", ".join(address) or None


def read_water_stations(located: Located | str | os.PathLike, *, keep_personal: bool = False) -> Layer:
    """Humane Borders water stations digitised from the 2000–2019 poster (CSV longitude, latitude).

    Positions are uncertain by about 5 miles (8 km); ``location_precision`` says so.
    """
    path = one_path(located, "hb-water-stations")
    table = read_table(path)
    raw = table.frame
    lat_col, lon_col = _find_role(raw.columns, "lat"), _find_role(raw.columns, "lon")
    if not (lat_col and lon_col):
        raise IngestError(f"{path.name} has no latitude/longitude columns", remedy="give the 'longitude,latitude' CSV")
    ledger = Ledger(len(raw))
    geometry, _, _ = points_from_columns(raw[lat_col], raw[lon_col], ledger, ARIZONA_SONORA)
    out = pd.DataFrame(
        {
            "feature": pd.Series("water station", index=raw.index),
            "location_precision": "read off a poster: about 5 miles (8 km)",
        }
    )
    return parse.finish("hb-water-stations", "context", out, ledger, geometry=geometry, notes=table.notes)


# --------------------------------------------------------------------------- tables

_MONTHS = {
    m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}


def read_cbp_encounters(located: Located | str | os.PathLike, *, keep_personal: bool = False) -> Layer:
    """CBP Southwest land border encounters by month (a table, no geometry).

    Two layouts: the compiled one (``month`` = ``YYYY-MM`` calendar month, ``encounters``)
    and CBP's own CSV (``Fiscal Year``, ``Month (abbv)``, ``Encounter Count``; the U.S.
    federal fiscal year starts in October, so FY2020 OCT is calendar 2019-10).  ``month``
    becomes the first day of the calendar month (required); every column is kept as text
    (snake case); ``encounters`` is an optional count (:mod:`borderscape.layers.parse`).
    """
    path = one_path(located, "cbp-encounters")
    table = read_table(path)
    raw = table.frame
    ledger = Ledger(len(raw))
    tidy = parse.tidy_columns(raw)
    out = pd.DataFrame({c: parse.text(tidy[c]) for c in tidy.columns})
    if "month" in raw.columns and "encounters" in raw.columns:
        month_text, count_text = raw["month"], raw["encounters"]
    elif {"Fiscal Year", "Month (abbv)", "Encounter Count"} <= set(raw.columns):
        fiscal, abbv = raw["Fiscal Year"], raw["Month (abbv)"]
        absent = parse.is_missing(fiscal) & parse.is_missing(abbv)
        month_text = pd.Series(
            [
                None if a else (_calendar_month(fy, m) or "?")
                for fy, m, a in zip(fiscal.tolist(), abbv.tolist(), absent)
            ],
            dtype=object,
        )
        count_text = raw["Encounter Count"]
        out = out.rename(columns={"encounter_count": "encounters"})
    else:
        raise IngestError(
            f"{path.name} is not a CBP encounters table",
            remedy="expected columns month + encounters, or Fiscal Year + Month (abbv) + Encounter Count",
        )
    out["month"], _ = parse.dates(month_text, ledger, "month", required=True)
    out["encounters"] = parse.counts(count_text, ledger, "encounters")
    return parse.finish("cbp-encounters", "table", out, ledger, notes=table.notes)


def _calendar_month(fiscal_year: object, month: object) -> str | None:
    try:
        fy = int(str(fiscal_year).strip()[:4])
        m = _MONTHS[str(month).strip().lower()[:3]]
    except (ValueError, KeyError, TypeError):
        return None
    return f"{fy - 1 if m >= 10 else fy:04d}-{m:02d}"


# --------------------------------------------------------------------------- rasters

#: Plausible elevations on Earth, metres (Challenger Deep about −10,935 m, Everest 8,849 m).
ELEVATION_RANGE_M = (-11000.0, 9000.0)
#: The reason of a nodata cell.
NODATA = problem("elevation", "missing (nodata)")


def read_dem(located: Located | str | os.PathLike, *, keep_personal: bool = False) -> RasterLayer:
    """An elevation grid (GeoTIFF or any GDAL raster) checked cell by cell.

    The file must have a CRS (else :class:`CRSError`).  Cells equal to the nodata value (or
    NaN) are quarantined with reason ``elevation is missing (nodata)``; cells outside
    −11,000…9,000 m cannot be elevations and are quarantined (and set to nodata).  Several tiles (a ``parts``
    pattern such as Copernicus or 3DEP 1° tiles) are merged into one grid with
    :func:`rasterio.merge.merge`; they must share CRS and cell size (cells no tile covers are
    nodata).  To resample to a projected grid for a bounding box use
    :func:`borderscape.geo.raster.mosaic`.
    """
    paths = paths_of(located)
    source_id = getattr(getattr(located, "source", None), "id", "dem")
    raster = _read_raster(paths[0]) if len(paths) == 1 else _merge_tiles(paths)
    a = raster.array
    nodata_mask = ~raster.valid_mask()
    values = a.astype(float)
    with np.errstate(invalid="ignore"):
        implausible = ~nodata_mask & ((values < ELEVATION_RANGE_M[0]) | (values > ELEVATION_RANGE_M[1]))
    if (~nodata_mask & ~implausible).sum() == 0:
        raise RasterError(
            f"{paths[0].name} holds no valid elevation cell", remedy="check the file and its nodata value"
        )
    n_implausible = int(implausible.sum())
    quarantined = {
        NODATA: nodata_mask,
        problem(
            "elevation", f"outside {ELEVATION_RANGE_M[0]:.0f}…{ELEVATION_RANGE_M[1]:.0f} m: not an elevation"
        ): implausible,
    }
    notes = [f"{a.shape[0]} × {a.shape[1]} cells; cells are the rows of this report"]
    if n_implausible:
        if np.issubdtype(a.dtype, np.floating):
            nodata = raster.nodata if raster.nodata is not None else np.nan
        elif raster.nodata is not None:
            nodata = raster.nodata
        else:
            raise RasterError(
                f"{paths[0].name} has implausible values and no nodata value to mark them",
                remedy="set a nodata value (gdal_edit.py -a_nodata) and ingest again",
            )
        raster = raster.with_array(np.where(implausible, nodata, a).astype(a.dtype))
        notes.append("implausible cells set to nodata")
    return parse.finish_raster(source_id, raster, quarantined, notes=notes)


def _read_raster(path: Path) -> Raster:
    try:
        return Raster.read(path)
    except RasterError:
        raise
    except (ValueError, OSError) as exc:  # rasterio raises plain errors for some broken files
        raise RasterError(f"cannot read {path.name} as a raster", remedy="give a GeoTIFF with a CRS") from exc


def _merge_tiles(paths: Sequence[Path]) -> Raster:
    """One grid from tiles sharing a CRS and cell size (rasterio.merge; first tile wins on overlaps)."""
    import rasterio
    from pyproj import CRS
    from rasterio.merge import merge

    try:
        with contextlib.ExitStack() as stack:
            sources = [stack.enter_context(rasterio.open(p)) for p in paths]
            first = sources[0]
            for p, src in zip(paths, sources):
                if src.crs is None:
                    raise CRSError(
                        f"raster {p.name} has no CRS",
                        remedy="assign one with gdal_edit.py -a_srs EPSG:XXXX, then retry",
                    )
                if src.crs != first.crs or not np.allclose(src.res, first.res):
                    raise RasterError(
                        f"tile {p.name} differs from {paths[0].name} in CRS or cell size",
                        remedy="ingest tiles of one product only, or resample with borderscape.geo.raster.mosaic",
                    )
            dtype = np.result_type(*[np.dtype(src.dtypes[0]) for src in sources])
            nodata = first.nodata
            if nodata is None:
                if not np.issubdtype(dtype, np.floating):
                    raise RasterError(
                        "integer tiles without a nodata value cannot mark the cells no tile covers",
                        remedy="set a nodata value on the tiles (gdal_edit.py -a_nodata)",
                    )
                nodata = np.nan
            array, transform = merge(sources, nodata=nodata, dtype=dtype)
            crs = CRS.from_wkt(first.crs.to_wkt())
    except rasterio.errors.RasterioError as exc:
        raise RasterError(
            f"cannot read or merge {len(paths)} tiles", remedy="check that the tiles are GeoTIFFs of one product"
        ) from exc
    return Raster(array[0], transform, crs, nodata)


# --------------------------------------------------------------------------- environment grid

#: Spacing of the az-env-grid cell centres, degrees.
ENV_GRID_CELL_DEG = 0.044
_ENV_COLUMNS = ("row", "col", "longitude", "latitude", "slope_deg", "july_tmax_c", "ndvi")


def read_env_grid(located: Located | str | os.PathLike, *, keep_personal: bool = False) -> Layer:
    """Southern Arizona environmental grid: one point per 0.044° cell centre (a ``context`` layer).

    Columns: ``grid_row``, ``grid_col`` (the grid's own indices), ``slope_deg`` (mean slope of
    the cell, degrees, from USGS 3DEP), ``july_tmax_c`` (mean July maximum temperature,
    °C, PRISM 2014–2023) and ``ndvi`` (NAIP, unitless); ``cell_deg`` = 0.044.  Empty values
    are normal (slope and NDVI are missing south of the border, where the inputs end) and
    stay missing (NaN) without a reason; non-numeric text is quarantined, as are centres
    that cannot be placed in the Arizona–Sonora region.
    """
    path = one_path(located, "az-env-grid")
    table = read_table(path)
    raw = table.frame
    _require(raw, list(_ENV_COLUMNS), path.name)
    ledger = Ledger(len(raw))
    geometry, _, _ = points_from_columns(raw["latitude"], raw["longitude"], ledger, ARIZONA_SONORA)
    out = pd.DataFrame(
        {
            "grid_row": parse.counts(raw["row"], ledger, "grid_row"),
            "grid_col": parse.counts(raw["col"], ledger, "grid_col"),
            "slope_deg": parse.measures(raw["slope_deg"], ledger, "slope_deg"),
            "july_tmax_c": parse.measures(raw["july_tmax_c"], ledger, "july_tmax_c"),
            "ndvi": parse.measures(raw["ndvi"], ledger, "ndvi"),
            "cell_deg": ENV_GRID_CELL_DEG,
            "feature": "environment grid cell centre",
            "source_id": "az-env-grid",
        }
    )
    return parse.finish(
        "az-env-grid",
        "context",
        out,
        ledger,
        geometry=geometry,
        notes=table.notes + ["cell centres of a 0.044° grid; missing slope/NDVI are normal south of the border"],
    )


#: loader name (catalog) → reader
READERS: dict[str, Callable[..., Layer | RasterLayer]] = {
    "pcome": read_pcome,
    "pcome_terrain": read_pcome_terrain,
    "towers": read_towers,
    "boundary": read_boundary,
    "roads": read_roads,
    "stations": read_stations,
    "water_stations": read_water_stations,
    "cbp_encounters": read_cbp_encounters,
    "dem": read_dem,
    "env_grid": read_env_grid,
}

__all__ = [
    "READERS",
    "SENSOR_BOUNDS_M",
    "SWATH_MAX_M",
    "check_sensors",
    "one_path",
    "paths_of",
    "points_from_columns",
    "read_sensor_vector",
    "sensor_role",
    "tower_kind",
]
