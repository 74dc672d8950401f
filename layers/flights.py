"""Aerial surveillance tracks as a layer: position reports → validated flights → flight hours per month.

Who flies over the sea and for how long is part of the record of how people are found and
returned.  This module reads flight tracks a user obtained from public ADS-B archives (or
from records released under freedom-of-information requests), checks every position report
like every other layer of borderscape, cuts each aircraft's reports into flights, and counts
the flight hours per calendar month inside the study's sea and inside each area (search-and-
rescue regions, operational areas), and the area seen by a sensor of a given swath.  It
describes past flights only: nothing here forecasts a flight or a crossing.

Two formats (:func:`read_flights`; docs/flights.md lists what each public archive exports):

* **CSV, one row per position report** — a time (ISO 8601 with or without a zone, or
  epoch seconds), an aircraft id (ICAO 24-bit address, registration or callsign), longitude
  and latitude (or one ``"lat, lon"`` position column), optionally an altitude (metres or
  feet) and an on-ground flag.  The columns of the OpenSky Network state vectors, of ADS-B
  Exchange (readsb) traces flattened to CSV and of Flightradar24's CSV export are recognised
  by name (:data:`KNOWN_COLUMNS`); any other layout is mapped with ``columns=``.  The file is
  read by :func:`borderscape.layers.tables.read_table` (encoding and delimiter detected) and
  the cells by :mod:`borderscape.layers.parse` (missing markers, coordinates, numbers,
  booleans, the ledger's wording).
* **GeoJSON LineString / MultiLineString features with per-vertex times**, one feature per
  flight or per aircraft: a ``times`` (or ``coordTimes``) property holding one ISO 8601 text
  or epoch-seconds number per vertex, or a fourth coordinate ``[lon, lat, altitude_m,
  epoch_seconds]``.  The file is parsed with :mod:`json`, not GDAL: GDAL drops the fourth
  coordinate.

Times
-----
A time is epoch seconds (a number, fractions allowed: OpenSky and ADS-B Exchange) or ISO 8601
text with a time of day (``2021-05-03T12:00:00Z``, ``2021-05-03 14:00:00+02:00``,
``2021-05-03 12:00:00 UTC``).  A zone is converted to UTC; a text **without** a zone is read
as UTC (every public ADS-B archive publishes UTC).  A date without a time of day is not a
position time (``time is not a time``).  Times before :data:`EARLIEST` (epoch 0 and small
numbers are null markers) or more than a day after now are ``time is out of range`` (epoch
milliseconds land there; the report warns).  :func:`borderscape.layers.dates.parse_dates`
is not used because it reads days and drops the time of day by design.  Times are held as
``datetime64[ns]`` without a zone, in UTC.

Validation (each report is one row of the ledger; nothing is dropped)
---------------------------------------------------------------------
The cell checks may give a row several reasons; the sequence checks (duplicates, then time and
speed along each aircraft's reports) run only on the rows that passed the cell checks:

==========================================  ====================================================================
rule                                        reason in the ledger
==========================================  ====================================================================
aircraft id missing                         ``aircraft is missing``
time missing / unreadable / out of range    ``time is missing`` / ``time is not a time`` / ``time is out of
                                            range``
coordinates                                 as every reader (:func:`borderscape.layers.parse.locate`):
                                            ``coordinates are missing``, ``… unreadable``, ``… (0, 0)``,
                                            ``… out of range``
altitude not a number / outside             ``altitude_m is not a number`` / ``altitude_m is out of range``
:data:`ALTITUDE_RANGE_M`
same aircraft, time and position as an      ``row is a duplicate of row N``
earlier report
time before the aircraft's previous kept    ``time is earlier than the aircraft's previous report``
report (in file order; GeoJSON features
ordered by their first time)
same time, another position                 ``time is the same as the aircraft's previous report, at another
                                            position``
speed from the previous kept report         ``speed from the aircraft's previous report is above 1000 km/h``
above ``max_speed_kmh`` (geodesic distance  (the first report of an aircraft whose next two reports agree with
on the WGS84 ellipsoid / time)              each other but not with it: ``speed to the aircraft's next reports
                                            is above …``)
==========================================  ====================================================================

Flights and flown time
----------------------
An aircraft's kept reports are cut into flights wherever two consecutive reports are more
than ``gap_minutes`` apart (default :data:`GAP_MINUTES`), and at every feature or part
boundary of a GeoJSON file: a gap is not flown time (it is listed in :attr:`Flights.gaps`).
Between two consecutive reports of a flight the aircraft is taken to fly straight at a
constant speed (a *segment*); a segment whose two ends are both on the ground is not flown
time.  Flight hours are therefore a **lower bound** of the time flown: ADS-B receivers are on
land and lose low-flying aircraft far offshore, and state aircraft may fly with their
transponder off.

Ceilings
--------
:data:`MAX_SPEED_KMH` = 1,000 km/h: the aircraft and drones reported over the central
Mediterranean (medium-altitude drones of the Heron and Hermes families, turboprop patrol
aircraft such as the King Air, Dornier 228, ATR 42/72) have maximum speeds of roughly
200–600 km/h (manufacturers' data sheets); the ceiling leaves room for tailwind and for the
position noise of reports a few seconds apart.  Raise it (e.g. 1,300 km/h) for jet aircraft.
:data:`ALTITUDE_RANGE_M` = −500 m … 20,000 m: barometric altitudes run slightly below sea
level in high pressure; 20 km is above the ceiling of every drone or patrol aircraft
(the highest-flying surveillance drones, of the Global Hawk family, reach about 18 km).

References
----------
Schäfer, M., Strohmeier, M., Lenders, V., Martinovic, I. & Wilhelm, M. (2014). Bringing up
OpenSky: a large-scale ADS-B sensor network for research. IPSN '14, 83–94.
Karney, C. F. F. (2013). Algorithms for geodesics. J. Geodesy 87, 43–55 (distances, via pyproj.Geod).
Human Rights Watch & Border Forensics (2022). Airborne Complicity: Frontex aerial surveillance
enables abuse.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer

from borderscape.geo.crs import LONLAT, local_crs, require_crs, require_projected
from borderscape.geo.errors import CRSError, IngestError, InputError
from borderscape.layers import parse
from borderscape.layers.fetch import sha256_file
from borderscape.layers.quality import Ledger, QualityReport
from borderscape.layers.tables import read_table

__all__ = [
    "ALTITUDE_RANGE_M",
    "EARLIEST",
    "FLIGHT_FILE_EXAMPLES",
    "GAP_MINUTES",
    "KNOWN_COLUMNS",
    "MAX_SPEED_KMH",
    "ROLES",
    "Flights",
    "flight_hours",
    "read_flights",
]

#: Two consecutive reports of an aircraft further apart than this (minutes) belong to two flights.
GAP_MINUTES = 30.0
#: Speed between consecutive reports above which the later report is impossible (km/h).
MAX_SPEED_KMH = 1000.0
#: Plausible altitudes (metres): below or above is ``altitude_m is out of range``.
ALTITUDE_RANGE_M = (-500.0, 20_000.0)
#: Earliest plausible position time (UTC); epoch 0 and small numbers are null markers.
EARLIEST = pd.Timestamp("1980-01-01")
#: Feet → metres (international foot).
FOOT_M = 0.3048

#: Roles a CSV column can play (``columns=`` maps role → column of the file).
ROLES = ("time", "aircraft", "lon", "lat", "latlon", "altitude", "on_ground")

#: Column names recognised per role (compared in lower snake case, first match wins): OpenSky
#: state vectors (``time icao24 lat lon … onground … baroaltitude geoaltitude lastposupdate``: the
#: position time is ``lastposupdate``, so a state vector repeating an old position is a duplicate), ADS-B Exchange /
#: readsb (``hex r flight lat lon alt_baro alt_geom``), Flightradar24 CSV (``Timestamp UTC
#: Callsign Position Altitude``) and plain names.
KNOWN_COLUMNS: dict[str, tuple[str, ...]] = {
    # OpenSky's lastposupdate / time_position: when the position was received (its `time` is when the
    # state vector was written, every few seconds, also repeating an old position)
    "time": (
        "lastposupdate",
        "time_position",
        "time",
        "timestamp",
        "utc",
        "datetime",
        "date_time",
        "time_utc",
        "timestamp_utc",
        "ts",
        "now",
    ),
    "aircraft": (
        "icao24",
        "icao",
        "hex",
        "icao_hex",
        "aircraft",
        "aircraft_id",
        "registration",
        "reg",
        "r",
        "callsign",
        "flight",
    ),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "longitude", "lng", "long"),
    "latlon": ("position", "latlon", "lat_lon"),
    "altitude": (
        "baroaltitude",
        "baro_altitude",
        "geoaltitude",
        "geo_altitude",
        "alt_baro",
        "alt_geom",
        "altitude_m",
        "alt_m",
        "altitude_ft",
        "alt_ft",
        "altitude",
        "alt",
    ),
    "on_ground": ("onground", "on_ground", "ground"),
}

#: Altitude columns whose name says the unit (OpenSky publishes metres, readsb / ADS-B Exchange feet).
_UNIT_BY_NAME = {
    "baroaltitude": "m",
    "baro_altitude": "m",
    "geoaltitude": "m",
    "geo_altitude": "m",
    "altitude_m": "m",
    "alt_m": "m",
    "alt_baro": "ft",
    "alt_geom": "ft",
    "altitude_ft": "ft",
    "alt_ft": "ft",
}
_UNITS = {"m": 1.0, "ft": FOOT_M}
#: Per-vertex time properties of a GeoJSON feature (``coordTimes``: togeojson's name for GPX/KML times).
_TIME_PROPERTIES = ("times", "coordTimes", "coord_times", "timestamps")
_GEOJSON_SUFFIXES = (".geojson", ".json")

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|UTC|GMT|[+-]\d{2}(:?\d{2})?)?$", re.I)
_GEOD = Geod(ellps="WGS84")
_NS_PER_S = 1_000_000_000
_NS_PER_H = 3_600 * _NS_PER_S

# wording of the sequence checks (parse.problem builds "<subject> is <what>")
NOT_A_TIME = "not a time"
_BACKWARDS = parse.problem("time", "earlier than the aircraft's previous report")
_SAME_TIME = parse.problem("time", "the same as the aircraft's previous report, at another position")


@dataclass(frozen=True, eq=False)
class Flights:
    """Validated flight tracks: flown segments, every report with its status, gaps, quality report.

    Attributes
    ----------
    segments
        GeoDataFrame (EPSG:4326), one row per flown segment between two consecutive reports of
        a flight: ``aircraft``, ``flight`` (``<aircraft>@<start, UTC ISO>``), ``start``, ``end``
        (UTC, ``datetime64[ns]``), ``duration_s`` (s), ``length_m`` (geodesic, m),
        ``speed_kmh`` (km/h), geometry (a two-point LineString).
    points
        GeoDataFrame (EPSG:4326) of EVERY report read, in input order: ``aircraft``, ``time``,
        ``altitude_m``, ``on_ground``, ``flight`` (missing when quarantined), for GeoJSON
        ``feature`` and ``vertex``, the geometry (None where not located) and the ledger
        columns ``row``, ``status``, ``reason``.
    gaps
        One row per gap longer than ``gap_minutes`` between two reports of an aircraft (not
        flown time): ``aircraft``, ``start``, ``end``, ``hours``.
    report
        The quality report (``kept + repaired + quarantined == rows_read``, one row per report).
    gap_minutes, max_speed_kmh
        The thresholds used.
    """

    segments: gpd.GeoDataFrame
    points: gpd.GeoDataFrame
    gaps: pd.DataFrame
    report: QualityReport
    gap_minutes: float
    max_speed_kmh: float

    @property
    def kept(self) -> int:
        """Reports used (kept or repaired)."""
        return int(self.report.kept + self.report.repaired)

    @property
    def quarantined(self) -> int:
        """Reports quarantined (with a reason each)."""
        return int(self.report.quarantined)

    @property
    def quarantine(self) -> pd.DataFrame:
        """The quarantined reports: ``row``, ``aircraft``, ``time``, ``reason``."""
        q = self.points[self.points["status"] == "quarantined"]
        return pd.DataFrame(q[["row", "aircraft", "time", "reason"]]).reset_index(drop=True)

    @property
    def hours(self) -> float:
        """Total flown time of the segments (hours)."""
        return float(self.segments["duration_s"].sum() / 3600.0)

    @property
    def tracks(self) -> gpd.GeoDataFrame:
        """One row per flight: ``aircraft``, ``flight``, ``start``, ``end``, ``reports``, ``flown_h``,
        geometry (LineString through the flight's kept reports; a Point for a single report)."""
        p = self.points[self.points["flight"].notna()]
        rows = []
        flown = self.segments.groupby("flight")["duration_s"].sum() / 3600.0
        for flight, g in p.groupby("flight", sort=False):
            xy = shapely.get_coordinates(g.geometry.values)
            rows.append(
                {
                    "aircraft": g["aircraft"].iloc[0],
                    "flight": flight,
                    "start": g["time"].min(),
                    "end": g["time"].max(),
                    "reports": len(g),
                    "flown_h": float(flown.get(flight, 0.0)),
                    "geometry": shapely.LineString(xy) if len(xy) > 1 else shapely.Point(xy[0]),
                }
            )
        cols = ["aircraft", "flight", "start", "end", "reports", "flown_h", "geometry"]
        return gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry="geometry", crs=parse.WGS84)


# --------------------------------------------------------------------------- reading


def read_flights(
    path: str | os.PathLike[str],
    *,
    columns: Mapping[str, str] | None = None,
    altitude_unit: str | None = None,
    gap_minutes: float = GAP_MINUTES,
    max_speed_kmh: float = MAX_SPEED_KMH,
    altitude_range_m: tuple[float, float] = ALTITUDE_RANGE_M,
) -> Flights:
    """Read and validate flight tracks from a CSV of position reports or a GeoJSON file of lines.

    Parameters
    ----------
    path
        ``.csv``/``.tsv``/``.txt`` (one row per report) or ``.geojson``/``.json`` (LineString
        or MultiLineString features with per-vertex times); another suffix is read as
        GeoJSON when the file starts with ``{``, else as delimited text.
    columns
        Role → column (CSV) or property (GeoJSON) name, for roles of :data:`ROLES`:
        ``time``, ``aircraft``, ``lon`` + ``lat`` or ``latlon`` (one ``"lat, lon"`` text),
        ``altitude``, ``on_ground``.  Roles not given are found by the names of
        :data:`KNOWN_COLUMNS` (OpenSky, ADS-B Exchange, Flightradar24 layouts); the report's
        notes say which column played which role.  GeoJSON: ``aircraft`` and ``time`` (the
        per-vertex list) may be mapped; a feature without an aircraft property is its own
        aircraft (its ``id`` member, else ``feature-K``).
    altitude_unit
        ``"m"`` or ``"ft"``.  None: the column name decides (``baroaltitude``/``geoaltitude``:
        metres, OpenSky; ``alt_baro``/``alt_geom``: feet, readsb; ``…_m``/``…_ft``), else metres
        (noted); the third GeoJSON coordinate is metres (RFC 7946).  Given, it wins over the
        name (a warning says so when they disagree).  An altitude cell ``ground`` (readsb)
        marks the report as on the ground.
    gap_minutes
        Reports of an aircraft more than this many minutes apart belong to two flights; the
        time between them is not flown time (:attr:`Flights.gaps`).
    max_speed_kmh
        Ceiling of the speed between consecutive reports (km/h), geodesic distance on the
        WGS84 ellipsoid divided by the time between them.
    altitude_range_m
        Plausible altitudes (metres).

    Returns
    -------
    Flights
        Segments, every report with its status and reason, gaps, the quality report.

    Raises
    ------
    InputError
        Unknown role, a mapped column absent from the file, no time, aircraft or position
        column found, bad thresholds or unit.
    IngestError
        An empty file, a file that is not a table or not GeoJSON, a GeoJSON without features.
    CRSError
        A GeoJSON with a ``crs`` member other than WGS 84 longitude/latitude.

    Examples
    --------
    >>> from pathlib import Path
    >>> _ = Path("states.csv").write_text(FLIGHT_FILE_EXAMPLES["opensky_states.csv"])
    >>> flights = read_flights("states.csv")
    >>> flights.kept, flights.quarantined, dict(flights.report.reasons)
    (7, 1, {'row is a duplicate of row 2': 1})
    >>> round(flights.hours * 60)  # minutes flown: 6 reports a minute apart, then a 5-minute leg
    10
    """
    columns = dict(columns or {})
    unknown = sorted(set(columns) - set(ROLES))
    if unknown:
        raise InputError(f"unknown role(s) {unknown} for flight tracks", remedy=f"map columns to: {', '.join(ROLES)}")
    if altitude_unit is not None and altitude_unit not in _UNITS:
        raise InputError(f"altitude_unit must be 'm' or 'ft', not {altitude_unit!r}", remedy="give 'm' or 'ft'")
    if not (np.isfinite(gap_minutes) and gap_minutes > 0):
        raise InputError(f"gap_minutes must be a positive number, got {gap_minutes!r}", remedy="e.g. 30")
    if not (np.isfinite(max_speed_kmh) and max_speed_kmh > 0):
        raise InputError(f"max_speed_kmh must be a positive number, got {max_speed_kmh!r}", remedy="e.g. 1000")
    lo, hi = (float(v) for v in altitude_range_m)
    if not lo < hi:
        raise InputError(f"altitude_range_m must be (low, high), got {altitude_range_m!r}", remedy="e.g. (-500, 20000)")
    path = Path(path)
    if not path.is_file():
        raise InputError(f"the file {path} does not exist", remedy="check the path")
    if _is_geojson(path):
        raw, order, notes = _geojson_reports(path, columns)
        scale = _UNITS[altitude_unit or "m"]
        fmt = "geojson"
    else:
        raw, notes, scale = _csv_reports(path, columns, altitude_unit)
        order = pd.DataFrame({"part": np.zeros(len(raw), dtype=np.int64), "first": 0.0, "pos": np.arange(len(raw))})
        fmt = path.suffix.lower().lstrip(".") or "csv"
    flights = _validate(raw, order, notes, scale, gap_minutes, max_speed_kmh, (lo, hi))
    files = [{"path": str(path), "sha256": sha256_file(path), "how": "file", "format": fmt}]
    report = QualityReport(**{**flights.report.to_dict(), "files": files})
    return Flights(flights.segments, flights.points, flights.gaps, report, float(gap_minutes), float(max_speed_kmh))


def _is_geojson(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix in _GEOJSON_SUFFIXES:
        return True
    if suffix in (".csv", ".tsv", ".txt"):
        return False
    with open(path, "rb") as fh:
        return fh.read(256).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def _csv_reports(
    path: Path, columns: dict[str, str], altitude_unit: str | None
) -> tuple[pd.DataFrame, list[str], float]:
    """The file's cells by role (object columns ``time aircraft lat lon latlon altitude on_ground``)."""
    table = read_table(path)
    frame = table.frame
    notes = list(table.notes)
    absent = [c for c in columns.values() if c not in frame.columns]
    if absent:
        shown = ", ".join(repr(str(c)) for c in list(frame.columns)[:40])
        raise InputError(f"{path.name} has no column(s) {absent}", remedy=f"use the file's column names: {shown}")
    by_snake: dict[str, str] = {}
    for c in frame.columns:
        by_snake.setdefault(parse.snake(c), str(c))
    chosen = dict(columns)
    for role, names in KNOWN_COLUMNS.items():
        # a position mapped one way (lat + lon, or latlon) is not looked for the other way
        if role in chosen or (role == "latlon" and ("lat" in columns or "lon" in columns)):
            continue
        if role in ("lat", "lon") and "latlon" in columns:
            continue
        for name in names:
            if name in by_snake and by_snake[name] not in chosen.values():
                chosen[role] = by_snake[name]
                break
    if "lat" in chosen and "lon" in chosen:
        chosen.pop("latlon", None)
    elif "latlon" in chosen:
        chosen.pop("lat", None)
        chosen.pop("lon", None)
    needed = [r for r in ("time", "aircraft") if r not in chosen]
    if not ({"lat", "lon"} <= set(chosen) or "latlon" in chosen):
        needed.append("lon + lat (or latlon)")
    if needed:
        shown = ", ".join(repr(str(c)) for c in list(frame.columns)[:40])
        raise InputError(
            f"{path.name}: no column found for {', '.join(needed)} (columns: {shown})",
            remedy="map them, e.g. columns={'time': 'seen', 'aircraft': 'icao24', 'lon': 'x', 'lat': 'y'}; "
            "see docs/flights.md for the layouts of OpenSky, ADS-B Exchange and Flightradar24 exports",
        )
    notes.append("columns: " + ", ".join(f"{role} ← {col!r}" for role, col in chosen.items()))
    ignored = [str(c) for c in frame.columns if c not in chosen.values()]
    if ignored:
        notes.append(f"{len(ignored)} column(s) not used: {', '.join(ignored[:20])}{' …' if len(ignored) > 20 else ''}")
    scale = 1.0
    if "altitude" in chosen:
        by_name = _UNIT_BY_NAME.get(parse.snake(chosen["altitude"]))
        if by_name is None and re.search(r"(^|_)(ft|feet)($|_)", parse.snake(chosen["altitude"])):
            by_name = "ft"
        unit = altitude_unit or by_name or "m"
        if altitude_unit and by_name and altitude_unit != by_name:
            notes.append(
                f"warning: altitude column {chosen['altitude']!r} is named like {by_name}, read as {altitude_unit} "
                "(altitude_unit)"
            )
        elif not altitude_unit and not by_name:
            notes.append(
                f"altitude column {chosen['altitude']!r} does not name its unit: read as metres "
                "(give altitude_unit='ft' for feet, e.g. Flightradar24 exports)"
            )
        scale = _UNITS[unit]
        notes.append(f"altitude read in {unit}" + (" and converted to metres" if unit == "ft" else ""))
    raw = pd.DataFrame({role: frame[col].to_numpy(dtype=object) for role, col in chosen.items()})
    return raw, notes, scale


def _geojson_reports(path: Path, columns: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """One row per vertex of every feature: cells by role, the order keys and pre-set problems."""
    bad_roles = sorted(set(columns) - {"time", "aircraft"})
    if bad_roles:
        raise InputError(
            f"{path.name} is GeoJSON: only 'time' and 'aircraft' properties can be mapped, not {bad_roles}",
            remedy="positions and altitudes are the coordinates of the lines",
        )
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IngestError(
            f"{path.name} is not GeoJSON ({type(exc).__name__})", remedy="give a UTF-8 GeoJSON file"
        ) from exc
    if not isinstance(data, dict):
        raise IngestError(f"{path.name} is not a GeoJSON object", remedy="give a FeatureCollection of lines")
    crs = data.get("crs")
    if crs is not None:
        name = str(((crs or {}).get("properties") or {}).get("name", ""))
        if not re.search(r"(CRS84|EPSG::?4326)$", name):
            raise CRSError(
                f"{path.name} declares the CRS {name or crs!r}, not WGS 84 longitude/latitude",
                remedy="reproject it to EPSG:4326 (RFC 7946 GeoJSON has no crs member)",
            )
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features") or []
    elif kind == "Feature":
        features = [data]
    elif kind in ("LineString", "MultiLineString"):
        features = [{"type": "Feature", "geometry": data, "properties": {}}]
    else:
        raise IngestError(f"{path.name}: GeoJSON of type {kind!r}", remedy="give a FeatureCollection of lines")
    if not isinstance(features, list) or not features:
        raise IngestError(f"{path.name} holds no features", remedy="check that the export is complete")
    records: list[dict[str, Any]] = []
    preset: list[str | None] = []
    notes: list[str] = []
    unnamed = 0
    part = 0
    for k, feature in enumerate(features):
        feature = feature if isinstance(feature, dict) else {}
        props = feature.get("properties") or {}
        props = props if isinstance(props, dict) else {}
        aircraft = _property(props, columns.get("aircraft"), KNOWN_COLUMNS["aircraft"])
        if aircraft is None:
            unnamed += 1
            aircraft = str(feature["id"]) if feature.get("id") is not None else f"feature-{k}"
        geom = feature.get("geometry") or {}
        gtype = geom.get("type") if isinstance(geom, dict) else None
        coords = geom.get("coordinates") if isinstance(geom, dict) else None
        if gtype == "LineString" and isinstance(coords, list):
            parts = [coords]
        elif gtype == "MultiLineString" and isinstance(coords, list):
            parts = [p if isinstance(p, list) else [] for p in coords]
        else:
            records.append({"aircraft": aircraft, "feature": k, "vertex": 0, "part": part})
            preset.append(parse.problem("geometry", "missing") if not gtype else "geometry is not a line")
            part += 1
            continue
        vertices = [v for p in parts for v in p]
        times, why = _vertex_times(props, columns.get("time"), parts, vertices)
        j = 0
        for p in parts:
            for v in p:
                v = v if isinstance(v, list) else []
                records.append(
                    {
                        "aircraft": aircraft,
                        "lon": v[0] if len(v) > 0 else None,
                        "lat": v[1] if len(v) > 1 else None,
                        "altitude": v[2] if len(v) > 2 else None,
                        "time": None if times is None else times[j],
                        "feature": k,
                        "vertex": j,
                        "part": part,
                    }
                )
                preset.append(why)
                j += 1
            part += 1
        if not vertices:
            records.append({"aircraft": aircraft, "feature": k, "vertex": 0, "part": part})
            preset.append(parse.problem("geometry", "missing"))
            part += 1
    if unnamed:
        notes.append(
            f"{unnamed} feature(s) have no aircraft property ({', '.join(KNOWN_COLUMNS['aircraft'][:4])} …): "
            "each is its own aircraft (its id, else feature-K)"
        )
    cols = ["time", "aircraft", "lon", "lat", "altitude", "feature", "vertex", "part"]
    raw = pd.DataFrame(records, columns=cols).astype(object)
    raw = raw.where(raw.notna(), None)
    raw["_preset"] = pd.Series(preset, dtype=object)
    order = pd.DataFrame(
        {"part": raw["part"].to_numpy(dtype=np.int64), "first": 0.0, "pos": np.arange(len(raw), dtype=np.int64)}
    )
    notes.append("GeoJSON: one report per vertex; the third coordinate is the altitude in metres (RFC 7946)")
    return raw, order, notes


def _property(props: Mapping[str, Any], name: str | None, known: Sequence[str]) -> str | None:
    if name is not None:
        value = props.get(name)
    else:
        by_snake = {parse.snake(k): k for k in props}
        value = next((props[by_snake[n]] for n in known if n in by_snake and props[by_snake[n]] is not None), None)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return str(value).strip()


def _vertex_times(
    props: Mapping[str, Any], name: str | None, parts: list[list[Any]], vertices: list[Any]
) -> tuple[list[Any] | None, str | None]:
    """One time per vertex (from a property list or the fourth coordinates), or why there is none."""
    names = (name,) if name else _TIME_PROPERTIES
    value = next((props[n] for n in names if props.get(n) is not None), None)
    if value is not None:
        if not isinstance(value, list):
            return None, parse.problem("time", "not a list of one time per vertex")
        if len(value) == len(parts) and len(parts) > 1 and all(isinstance(v, list) for v in value):
            value = [t for v in value for t in v]  # togeojson: one list per part
        if len(value) != len(vertices):
            return None, parse.problem(
                "time", f"not given for every vertex ({len(value)} times, {len(vertices)} vertices)"
            )
        return list(value), None
    fourth = [v[3] if isinstance(v, list) and len(v) > 3 else None for v in vertices]
    if all(t is None for t in fourth):
        return None, parse.problem("time", "missing (no times property and no fourth coordinate)")
    return fourth, None


# --------------------------------------------------------------------------- cells


def _times(values: pd.Series, ledger: Ledger, explained: np.ndarray) -> np.ndarray:
    """Epoch seconds or ISO 8601 texts → ``datetime64[ns]`` (UTC, no zone); NaT where quarantined.

    ``explained``: rows already quarantined for their time (a GeoJSON feature without times),
    which get no second reason.
    """
    texts = parse.cells(values)
    n = len(texts)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    missing = texts.isna().to_numpy(dtype=bool)
    ledger.quarantine(missing & ~explained, parse.problem("time", parse.MISSING))
    number = pd.to_numeric(texts, errors="coerce").to_numpy(dtype=float)
    is_number = ~missing & np.isfinite(number)
    latest = pd.Timestamp.now("UTC").tz_localize(None) + pd.Timedelta(days=1)
    lo_s, hi_s = EARLIEST.timestamp(), latest.timestamp()
    with np.errstate(invalid="ignore"):
        in_range = is_number & (number >= lo_s) & (number <= hi_s)
    out[in_range] = (np.round(number[in_range] * 1e6).astype(np.int64) * 1000).astype("datetime64[ns]")
    far = is_number & ~in_range
    with np.errstate(invalid="ignore"):
        millis = far & (number / 1000 >= lo_s) & (number / 1000 <= hi_s)
    if millis.sum() and millis.sum() >= 0.5 * far.sum():
        ledger.warn(
            f"{int(millis.sum())} time(s) look like epoch milliseconds: give epoch seconds (divide by 1000) or ISO 8601"
        )
    is_text = ~missing & ~is_number
    iso = is_text & np.array([t is not None and _ISO.match(t) is not None for t in texts.tolist()], dtype=bool)
    if iso.any():
        cleaned = texts[iso].str.replace(r"\s*(UTC|GMT)$", "Z", regex=True, flags=re.I)
        # a year outside the plausible span is out of range (pandas cannot hold years after 2262 in ns)
        year = cleaned.str.slice(0, 4).astype(int).to_numpy()
        beyond = (year < EARLIEST.year) | (year > latest.year)
        parsed = pd.to_datetime(cleaned.where(~beyond, None), utc=True, format="ISO8601", errors="coerce")
        stamps = parsed.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]").to_numpy()
        ok = ~np.isnat(stamps) & (stamps >= EARLIEST.to_datetime64()) & (stamps <= latest.to_datetime64())
        where = np.flatnonzero(iso)
        out[where[ok]] = stamps[ok]
        far[where[beyond | (~np.isnat(stamps) & ~ok)]] = True
        iso[where[np.isnat(stamps) & ~beyond]] = False
    ledger.quarantine(is_text & ~iso & ~far, parse.problem("time", NOT_A_TIME), values=texts)
    ledger.quarantine(far, parse.problem("time", parse.OUT_OF_RANGE), values=texts)
    return out


def _cells_by_role(
    raw: pd.DataFrame, ledger: Ledger, scale: float, altitude_range: tuple[float, float]
) -> dict[str, Any]:
    """Parse every role of ``raw`` (object columns), recording each problem in ``ledger``."""
    n = len(raw)
    preset = np.zeros(n, dtype=bool)
    if "_preset" in raw:  # a GeoJSON feature without a line or without times: one reason for its rows
        for why in sorted({w for w in raw["_preset"] if w}):
            mask = (raw["_preset"] == why).to_numpy(dtype=bool)
            ledger.quarantine(mask, why)
            preset |= mask
    aircraft = parse.cells(raw["aircraft"]).map(lambda s: None if s is None else s.upper())
    ledger.quarantine(aircraft.isna().to_numpy(dtype=bool), parse.problem("aircraft", parse.MISSING))
    times = _times(raw["time"], ledger, preset)
    if "latlon" in raw:
        lat, lon, unreadable = parse.coordinate_pairs(raw["latlon"], ledger)
    else:
        lat, bad_lat = parse.coordinates(raw["lat"], ledger)
        lon, bad_lon = parse.coordinates(raw["lon"], ledger)
        unreadable = bad_lat | bad_lon
    geometry, _, lat, lon = parse.locate(lat, lon, ledger, None, unreadable=unreadable | preset)
    on_ground = np.zeros(n, dtype=bool)
    altitude = np.full(n, np.nan)
    if "altitude" in raw:
        cells = parse.cells(raw["altitude"])
        ground = cells.map(lambda s: s is not None and s.lower() == "ground").to_numpy(dtype=bool)
        on_ground |= ground
        cells[ground] = None
        altitude = parse.measures(cells, ledger, "altitude_m", scale=scale).to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            outside = (altitude < altitude_range[0]) | (altitude > altitude_range[1])
        ledger.quarantine(outside, parse.problem("altitude_m", parse.OUT_OF_RANGE), values=raw["altitude"])
    if "on_ground" in raw:
        flag = parse.booleans(raw["on_ground"], ledger, "on_ground")
        on_ground |= flag.fillna(False).to_numpy(dtype=bool)
    return {
        "aircraft": aircraft.to_numpy(dtype=object),
        "time": times,
        "lon": lon,
        "lat": lat,
        "geometry": geometry,
        "altitude_m": altitude,
        "on_ground": on_ground,
    }


# --------------------------------------------------------------------------- sequences


def _validate(
    raw: pd.DataFrame,
    order: pd.DataFrame,
    notes: list[str],
    scale: float,
    gap_minutes: float,
    max_speed_kmh: float,
    altitude_range: tuple[float, float],
) -> Flights:
    n = len(raw)
    ledger = Ledger(n)
    c = _cells_by_role(raw, ledger, scale, altitude_range)
    t_ns = c["time"].astype(np.int64)
    usable = ledger.status != "quarantined"
    _duplicates(c["aircraft"], t_ns, c["lon"], c["lat"], usable, ledger)
    usable = ledger.status != "quarantined"
    # GeoJSON: an aircraft's features are taken in the order of their first time
    if "feature" in raw:
        feat = raw["feature"].to_numpy(dtype=np.int64)
        first = pd.Series(np.where(usable, t_ns, np.iinfo(np.int64).max)).groupby(feat).transform("min").to_numpy()
        order = order.assign(first=first.astype(float))
    seq = pd.DataFrame(
        {"i": np.flatnonzero(usable), "ac": c["aircraft"][usable], "first": order["first"].to_numpy()[usable]}
    )
    seq["pos"] = order["pos"].to_numpy()[usable]
    part = order["part"].to_numpy()
    gap_ns = int(round(gap_minutes * 60 * _NS_PER_S))
    flight = np.full(n, None, dtype=object)
    seg_a: list[np.ndarray] = []
    seg_b: list[np.ndarray] = []
    gap_rows: list[dict[str, Any]] = []
    single = 0
    ground_segments = 0
    for ac, g in seq.groupby("ac", sort=False):
        idx = g.sort_values(["first", "pos"], kind="stable")["i"].to_numpy()
        kept = _sequence(idx, t_ns, c["lon"], c["lat"], max_speed_kmh, ledger, str(ac))
        if not len(kept):
            continue
        dt = np.diff(t_ns[kept])
        same_part = part[kept][1:] == part[kept][:-1]
        new = np.concatenate([[True], (dt > gap_ns) | ~same_part])
        starts = np.flatnonzero(new)
        for a, b in zip(starts, list(starts[1:]) + [len(kept)]):
            start = pd.Timestamp(t_ns[kept[a]])
            flight[kept[a:b]] = f"{ac}@{start:%Y-%m-%dT%H:%M:%S}Z"
            single += b - a == 1
        # segments: consecutive kept reports of one flight, unless both are on the ground
        within = ~new[1:]
        ground = c["on_ground"][kept[:-1]] & c["on_ground"][kept[1:]]
        ground_segments += int((within & ground).sum())
        seg_a.append(kept[:-1][within & ~ground])
        seg_b.append(kept[1:][within & ~ground])
        for k in np.flatnonzero((dt > gap_ns) & same_part):
            i, j = kept[k], kept[k + 1]
            gap_rows.append(
                {
                    "aircraft": ac,
                    "start": pd.Timestamp(t_ns[i]),
                    "end": pd.Timestamp(t_ns[j]),
                    "hours": (t_ns[j] - t_ns[i]) / _NS_PER_H,
                }
            )
    seg_rows = (
        np.concatenate(seg_a) if seg_a else np.zeros(0, dtype=np.int64),
        np.concatenate(seg_b) if seg_b else np.zeros(0, dtype=np.int64),
    )
    segments = _segments(seg_rows, c, t_ns, flight)
    gaps = pd.DataFrame(gap_rows, columns=["aircraft", "start", "end", "hours"])
    notes = list(notes)
    n_flights = len({f for f in flight if f is not None})
    notes.append(
        f"{n_flights} flight(s) of {len({a for a, f in zip(c['aircraft'], flight) if f is not None})} aircraft, "
        f"{len(segments)} flown segment(s), {segments['duration_s'].sum() / 3600:.3f} h flown"
    )
    if len(gaps):
        notes.append(
            f"{len(gaps)} gap(s) longer than {gap_minutes:g} min between reports of an aircraft "
            f"({gaps['hours'].sum():.2f} h): not flown time — a new flight starts after each"
        )
    if single:
        notes.append(f"{single} flight(s) have a single report: no flown time")
    if ground_segments:
        notes.append(f"{ground_segments} segment(s) between two reports on the ground: not flown time")
    points = pd.DataFrame(
        {
            "aircraft": pd.array(c["aircraft"], dtype="string"),
            "time": pd.Series(c["time"], dtype="datetime64[ns]"),
            "altitude_m": c["altitude_m"],
            "on_ground": c["on_ground"],
            "flight": pd.array(flight, dtype="string"),
        }
    )
    if "feature" in raw:
        points["feature"] = raw["feature"].to_numpy(dtype=np.int64)
        points["vertex"] = raw["vertex"].to_numpy(dtype=np.int64)
    points = gpd.GeoDataFrame(points, geometry=c["geometry"].reset_index(drop=True).values, crs=parse.WGS84)
    points = ledger.annotate(points)
    report = ledger.report(source="flights", files=[], notes=notes)
    return Flights(segments, points, gaps, report, float(gap_minutes), float(max_speed_kmh))


def _duplicates(
    aircraft: np.ndarray, t_ns: np.ndarray, lon: np.ndarray, lat: np.ndarray, usable: np.ndarray, ledger: Ledger
) -> None:
    """Reports with the same aircraft, time and position as an earlier one: ``row is a duplicate of row N``."""
    idx = np.flatnonzero(usable)
    if len(idx) < 2:
        return
    key = pd.DataFrame({"a": aircraft[idx], "t": t_ns[idx], "x": lon[idx], "y": lat[idx]})
    group = key.groupby(["a", "t", "x", "y"], sort=False).ngroup().to_numpy()
    _, first_of, which = np.unique(group, return_index=True, return_inverse=True)
    first = idx[first_of[which]]
    for i, f in zip(idx, first):
        if i != f:
            ledger.quarantine_row(int(i), parse.problem("row", f"{parse.DUPLICATE_OF} {int(f)}"))
            ledger.duplicate_of[int(i)] = int(f)


def _speed_kmh(t_ns: np.ndarray, lon: np.ndarray, lat: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Geodesic distance (WGS84) / time between reports ``a`` and ``b`` (km/h; inf when no time passes)."""
    _, _, dist = _GEOD.inv(lon[a], lat[a], lon[b], lat[b])
    dt = (t_ns[b] - t_ns[a]) / _NS_PER_S
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(dt > 0, np.asarray(dist) / dt * 3.6, np.inf)


def _sequence(
    idx: np.ndarray,
    t_ns: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    max_speed_kmh: float,
    ledger: Ledger,
    aircraft: str,
) -> np.ndarray:
    """The reports of one aircraft (rows ``idx``, in sequence order) that survive the time and speed checks.

    Each report is compared with the previous *kept* report: a time before it is quarantined
    (time going backwards), an equal time (another position) too, and a speed above
    ``max_speed_kmh``.  When the first report of the aircraft is the odd one out (its next
    report is impossible from it, the report after that possible from the next but not from
    the first), the first is quarantined instead.
    """
    if len(idx) < 2:
        return idx
    speed = _speed_kmh(t_ns, lon, lat, idx[:-1], idx[1:])
    if np.all(speed <= max_speed_kmh):
        return idx
    too_fast = parse.problem("speed from the aircraft's previous report", f"above {max_speed_kmh:g} km/h")
    first_odd = parse.problem("speed to the aircraft's next reports", f"above {max_speed_kmh:g} km/h")
    kept = [0]
    run = longest = 0
    for k in range(1, len(idx)):
        last = kept[-1]
        dt = t_ns[idx[k]] - t_ns[idx[last]]
        if dt < 0:
            ledger.quarantine_row(int(idx[k]), _BACKWARDS)
            continue
        if dt == 0:
            ledger.quarantine_row(int(idx[k]), _SAME_TIME)
            continue
        v = speed[k - 1] if last == k - 1 else _speed_kmh(t_ns, lon, lat, idx[[last]], idx[[k]])[0]
        if v <= max_speed_kmh:
            kept.append(k)
            run = 0
            continue
        if len(kept) == 1 and k + 1 < len(idx) and t_ns[idx[k + 1]] > t_ns[idx[k]]:
            ahead = _speed_kmh(t_ns, lon, lat, idx[[k, last]], idx[[k + 1, k + 1]])
            if ahead[0] <= max_speed_kmh and ahead[1] > max_speed_kmh:
                ledger.quarantine_row(int(idx[last]), first_odd)
                kept = [k]
                continue
        ledger.quarantine_row(int(idx[k]), too_fast)
        run += 1
        longest = max(longest, run)
    if longest >= 10:
        ledger.warn(
            f"aircraft {aircraft}: {longest} consecutive reports quarantined for speed — two aircraft may share "
            "this id (a callsign is reused), or the track jumps; map a more specific id column (icao24)"
        )
    return np.asarray(idx[np.asarray(kept)], dtype=np.int64)


def _segments(
    pairs: tuple[np.ndarray, np.ndarray], c: Mapping[str, Any], t_ns: np.ndarray, flight: np.ndarray
) -> gpd.GeoDataFrame:
    cols = ["aircraft", "flight", "start", "end", "duration_s", "length_m", "speed_kmh"]
    a, b = (np.asarray(v, dtype=np.int64) for v in pairs)
    if not len(a):
        empty = pd.DataFrame(
            {k: pd.Series(dtype=d) for k, d in zip(cols, ["string"] * 2 + ["datetime64[ns]"] * 2 + ["float64"] * 3)}
        )
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=parse.WGS84), crs=parse.WGS84)
    lon, lat = c["lon"], c["lat"]
    _, _, dist = _GEOD.inv(lon[a], lat[a], lon[b], lat[b])
    duration = (t_ns[b] - t_ns[a]) / _NS_PER_S
    frame = pd.DataFrame(
        {
            "aircraft": pd.array(c["aircraft"][a], dtype="string"),
            "flight": pd.array(flight[a], dtype="string"),
            "start": c["time"][a],
            "end": c["time"][b],
            "duration_s": duration,
            "length_m": np.asarray(dist, dtype=float),
            "speed_kmh": np.asarray(dist, dtype=float) / duration * 3.6,
        }
    )
    lines = shapely.linestrings(
        np.column_stack([lon[a], lat[a], lon[b], lat[b]]).reshape(-1, 2), indices=np.repeat(np.arange(len(a)), 2)
    )
    return gpd.GeoDataFrame(frame, geometry=lines, crs=parse.WGS84)


# --------------------------------------------------------------------------- flight hours


def flight_hours(
    flights: Flights | gpd.GeoDataFrame,
    sea: Any,
    areas: gpd.GeoDataFrame | Any = None,
    *,
    key: str | None = None,
    swath_m: float | None = None,
    crs: Any = None,
) -> pd.DataFrame:
    """Flight hours per calendar month (UTC) inside the sea and inside each area, and the area seen by a swath.

    Between two reports an aircraft flies straight at constant speed, so a segment's time is
    shared among zones in proportion to its length inside each:

    .. math:: h_{m,Z} = \\sum_{s \\in m} \\Delta t_s \\, \\frac{|s \\cap Z|}{|s|}

    (lengths in the metric ``crs``; a zero-length segment counts whole where its point lies).
    A segment that spans midnight at the end of a month is first cut at that instant, its
    position interpolated linearly in time.  With ``swath_m`` = w, the area under surveillance
    in month m is the area of the union of the flown segments buffered by w / 2 (round caps:
    a straight segment of length L covers L·w + π(w/2)²), intersected with each zone, in km².

    Parameters
    ----------
    flights
        A :class:`Flights`, or a GeoDataFrame (with a CRS) of LineStrings with columns
        ``aircraft``, ``flight``, ``start``, ``end`` (UTC): each line flown from ``start`` to
        ``end`` at constant speed along its vertices (:attr:`Flights.segments` has this form).
    sea
        The study's sea: bounds ``(west, south, east, north)`` in degrees, a shapely polygon
        in longitude/latitude (EPSG:4326), or a GeoDataFrame/GeoSeries with a CRS (all its
        polygons together).
    areas
        Optional polygons (GeoDataFrame with a CRS, or a :class:`~borderscape.layers.schemas.Layer`,
        whose quarantined rows are left out), e.g. the ``imo-srr`` search-and-rescue regions;
        they may overlap.  Each is counted inside the sea only (area ∩ sea): SAR regions as
        filed cross land.  Rows with the same ``key`` are one area.
    key
        Column naming each area; default the first of ``name``, ``country_iso3``, ``rcc``,
        ``zone_label``, ``operation``, ``id`` present, else the row index.
    swath_m
        Width seen by the aircraft's sensor (m); None: no swath areas (``swath_km2`` is NaN).
    crs
        Metric CRS of lengths and areas; default the UTM zone of the sea's centre
        (:func:`borderscape.geo.crs.local_crs`).  Pass the study's working CRS to match the
        rest of a run.  Lengths and areas carry the CRS's scale error (UTM: within about
        0.1 % less than 3° from the central meridian, ~1 % in length and ~2 % in area at 10°
        of longitude away at 35°N); time shares within one segment are unaffected in practice.

    Returns
    -------
    pandas.DataFrame
        One row per month × zone, for every month from the first to the last flown month
        (months without flights hold 0): ``month`` (first day, ``datetime64[ns]``), ``area``
        (``all`` — everywhere, ``sea``, then each area's key), ``flight_hours`` (h),
        ``flights`` and ``aircraft`` (number with time in the zone that month), ``swath_km2``
        (km², NaN without ``swath_m``).  Months outside the tracks' span are absent: no
        tracks is not zero flights.

    Raises
    ------
    InputError
        A sea or area that is not a polygon, a missing column, a geometry that is not a
        LineString, an end before a start, an area named ``all`` or ``sea``, a bad swath.
    CRSError
        A GeoDataFrame without a CRS, or a ``crs`` that is not projected in metres.

    Examples
    --------
    >>> from pathlib import Path
    >>> _ = Path("states.csv").write_text(FLIGHT_FILE_EXAMPLES["opensky_states.csv"])
    >>> table = flight_hours(read_flights("states.csv"), (12.0, 34.0, 14.0, 36.0), swath_m=20_000)
    >>> print(table.round({"flight_hours": 3, "swath_km2": 0}).to_string(index=False))
         month area  flight_hours  flights  aircraft  swath_km2
    2021-05-01  all         0.167        1         1     1516.0
    2021-05-01  sea         0.167        1         1     1516.0
    """
    segs = _as_segments(flights)
    sea_geom = _polygon(sea, "sea")
    zones: list[tuple[str, Any]] = [("all", None), ("sea", sea_geom)]
    for name, geom in _areas(areas, key):
        zones.append((name, shapely.intersection(geom, sea_geom)))
    if swath_m is not None and not (np.isfinite(swath_m) and swath_m > 0):
        raise InputError(f"swath_m must be a positive width in metres, got {swath_m!r}", remedy="e.g. 20000, or None")
    work = local_crs(sea_geom.bounds) if crs is None else require_projected(crs, name="crs")
    to_work = Transformer.from_crs(LONLAT, work, always_xy=True)
    projected = [
        (
            name,
            None if g is None else shapely.transform(shapely.segmentize(g, 0.05), to_work.transform, interleaved=False),
        )
        for name, g in zones
    ]
    cols = ["month", "area", "flight_hours", "flights", "aircraft", "swath_km2"]
    if segs.empty:
        return pd.DataFrame({c: pd.Series(dtype=d) for c, d in zip(cols, _DTYPES)})
    p = _month_pieces(segs, to_work)
    lines = shapely.linestrings(
        np.column_stack([p["x0"], p["y0"], p["x1"], p["y1"]]).reshape(-1, 2), indices=np.repeat(np.arange(len(p)), 2)
    )
    length = shapely.length(lines)
    hours = (p["t1"] - p["t0"]).to_numpy(dtype=float) / _NS_PER_H
    months = pd.date_range(p["month"].min(), p["month"].max(), freq="MS")
    covered = {}
    if swath_m is not None:
        for m in months:
            here = (p["month"] == m).to_numpy()
            covered[m] = _swath(lines[here], p.loc[here, "flight"], swath_m)
    rows = []
    for name, zone in projected:
        share = _share(lines, length, p, zone)
        inside = pd.DataFrame({"month": p["month"], "h": hours * share, "f": p["flight"], "a": p["aircraft"]})
        flown = inside[share > 0]
        agg = pd.DataFrame(
            {
                "flight_hours": inside.groupby("month")["h"].sum(),
                "flights": flown.groupby("month")["f"].nunique(),
                "aircraft": flown.groupby("month")["a"].nunique(),
            }
        ).reindex(months)
        agg = agg.fillna({"flight_hours": 0.0, "flights": 0, "aircraft": 0})
        agg["swath_km2"] = np.nan
        for m, union in covered.items():
            agg.loc[m, "swath_km2"] = shapely.area(union if zone is None else shapely.intersection(union, zone)) / 1e6
        agg.insert(0, "area", name)
        rows.append(agg.rename_axis("month").reset_index())
    out = pd.concat(rows, ignore_index=True)
    order = {name: k for k, (name, _) in enumerate(zones)}
    out = out.sort_values(["month", "area"], key=lambda s: s.map(order) if s.name == "area" else s, kind="stable")
    out = out.reset_index(drop=True)[cols]
    return out.astype(dict(zip(cols, _DTYPES)))


_DTYPES = ["datetime64[ns]", "string", "float64", "int64", "int64", "float64"]


def _as_segments(flights: Flights | gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    segs = flights.segments if isinstance(flights, Flights) else flights
    if not isinstance(segs, gpd.GeoDataFrame):
        raise InputError(
            f"flights must be Flights or a GeoDataFrame of segments, not {type(segs).__name__}",
            remedy="pass read_flights(...) or its .segments",
        )
    require_crs(segs, name="flight segments")
    absent = [c for c in ("aircraft", "flight", "start", "end") if c not in segs.columns]
    if absent:
        raise InputError(f"flight segments lack the column(s) {absent}", remedy="use read_flights(...).segments")
    segs = segs.to_crs(LONLAT) if not CRS.from_user_input(segs.crs).equals(LONLAT) else segs
    geoms = segs.geometry.values
    bad = shapely.is_missing(geoms) | (shapely.get_type_id(geoms) != 1) | (shapely.get_num_points(geoms) < 2)
    if bad.any():
        raise InputError(
            f"{int(bad.sum())} flight segment(s) are not LineStrings of two or more points",
            remedy="give one LineString per segment or flight piece (explode MultiLineStrings and split them in time)",
        )
    start = pd.to_datetime(segs["start"]).to_numpy(dtype="datetime64[ns]")
    end = pd.to_datetime(segs["end"]).to_numpy(dtype="datetime64[ns]")
    if np.isnat(start).any() or np.isnat(end).any() or (end < start).any():
        raise InputError("flight segments need a start and an end not before it", remedy="check start and end")
    return segs


def _polygon(value: Any, name: str) -> Any:
    """A polygonal shapely geometry in longitude/latitude from bounds, a geometry or a GeoDataFrame."""
    if isinstance(value, (gpd.GeoDataFrame, gpd.GeoSeries)):
        geom = value.geometry if isinstance(value, gpd.GeoDataFrame) else value
        require_crs(geom, name=name)
        geom = shapely.union_all(shapely.make_valid(np.asarray(geom.to_crs(LONLAT).values, dtype=object)))
    elif isinstance(value, shapely.Geometry):
        geom = shapely.make_valid(value)
    elif isinstance(value, (tuple, list, np.ndarray)) and len(value) == 4:
        w, s, e, n = (float(v) for v in value)
        if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
            raise InputError(f"{name} bounds {tuple(value)} are not (west, south, east, north) in degrees")
        geom = shapely.box(w, s, e, n)
    else:
        raise InputError(
            f"{name} must be bounds (west, south, east, north), a polygon or a GeoDataFrame, not {type(value).__name__}",
            remedy="e.g. the study's bbox",
        )
    if isinstance(geom, shapely.GeometryCollection) and not isinstance(geom, shapely.MultiPolygon):
        geom = shapely.union_all([g for g in geom.geoms if isinstance(g, (shapely.Polygon, shapely.MultiPolygon))])
    if geom.is_empty or not isinstance(geom, (shapely.Polygon, shapely.MultiPolygon)):
        raise InputError(f"{name} is not a polygon ({geom.geom_type})", remedy="give a polygon or bounds")
    return geom


def _areas(areas: Any, key: str | None) -> list[tuple[str, Any]]:
    if areas is None:
        return []
    frame = getattr(areas, "frame", areas)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError("areas must be a GeoDataFrame (or a Layer) of polygons", remedy="e.g. ingest('imo-srr').frame")
    require_crs(frame, name="areas")
    if "status" in frame.columns:
        frame = frame[frame["status"] != "quarantined"]
    if key is None:
        key = next((k for k in ("name", "country_iso3", "rcc", "zone_label", "operation", "id") if k in frame), None)
    elif key not in frame.columns:
        raise InputError(f"areas have no column {key!r}", remedy=f"use one of {', '.join(map(str, frame.columns))}")
    names = frame.index.astype(str) if key is None else frame[key].astype(str)
    frame = frame.to_crs(LONLAT)
    out: list[tuple[str, Any]] = []
    for name in pd.unique(names.to_numpy()):
        if name in ("all", "sea"):
            raise InputError(f"an area is named {name!r}, a name the table uses for itself", remedy="rename it")
        out.append((str(name), _polygon(frame[(names == name).to_numpy()], f"area {name!r}")))
    return out


def _month_pieces(segs: gpd.GeoDataFrame, to_work: Transformer) -> pd.DataFrame:
    """Every vertex-to-vertex piece of every line, in the metric CRS, cut at month boundaries (UTC)."""
    coords, index = shapely.get_coordinates(segs.geometry.values, return_index=True)
    x, y = (np.asarray(v, dtype=float) for v in to_work.transform(coords[:, 0], coords[:, 1]))
    n_rows = len(segs)
    first = np.searchsorted(index, np.arange(n_rows))
    count = np.bincount(index, minlength=n_rows)
    step = np.zeros(len(x))
    same = index[1:] == index[:-1]
    step[1:] = np.where(same, np.hypot(np.diff(x), np.diff(y)), 0.0)
    cum = np.cumsum(step)
    cum -= cum[first][index]
    total = cum[first + count - 1][index]
    k = np.arange(len(x)) - first[index]
    frac = np.where(total > 0, cum / np.where(total > 0, total, 1.0), k / (count[index] - 1))
    t0 = pd.to_datetime(segs["start"]).to_numpy(dtype="datetime64[ns]").astype(np.int64)
    t1 = pd.to_datetime(segs["end"]).to_numpy(dtype="datetime64[ns]").astype(np.int64)
    tv = t0[index] + np.round(frac * (t1 - t0)[index]).astype(np.int64)
    a = np.flatnonzero(np.concatenate([same, [False]]))
    pieces = {
        "x0": x[a],
        "y0": y[a],
        "x1": x[a + 1],
        "y1": y[a + 1],
        "t0": tv[a],
        "t1": tv[a + 1],
        "flight": segs["flight"].astype(str).to_numpy()[index[a]],
        "aircraft": segs["aircraft"].astype(str).to_numpy()[index[a]],
    }
    while True:
        month = pieces["t0"].astype("datetime64[ns]").astype("datetime64[M]")
        bound = (month + 1).astype("datetime64[ns]").astype(np.int64)
        cross = pieces["t1"] > bound
        if not cross.any():
            break
        f = (bound[cross] - pieces["t0"][cross]) / (pieces["t1"][cross] - pieces["t0"][cross])
        xm = pieces["x0"][cross] + f * (pieces["x1"][cross] - pieces["x0"][cross])
        ym = pieces["y0"][cross] + f * (pieces["y1"][cross] - pieces["y0"][cross])
        later = {k: v[cross].copy() for k, v in pieces.items()}
        later.update(x0=xm, y0=ym, t0=bound[cross])
        pieces["x1"][cross], pieces["y1"][cross], pieces["t1"][cross] = xm, ym, bound[cross]
        pieces = {k: np.concatenate([v, later[k]]) for k, v in pieces.items()}
    out = pd.DataFrame(pieces)
    out["month"] = out["t0"].to_numpy().astype("datetime64[ns]").astype("datetime64[M]").astype("datetime64[ns]")
    return out


def _share(lines: np.ndarray, length: np.ndarray, p: pd.DataFrame, zone: Any) -> np.ndarray:
    """Share of each piece's length inside ``zone`` (1 for ``None``; a zero-length piece: 1 if its point meets it)."""
    if zone is None:
        return np.ones(len(lines))
    shapely.prepare(zone)
    share = np.zeros(len(lines))
    degenerate = length == 0
    share[degenerate] = shapely.intersects_xy(zone, p["x0"].to_numpy()[degenerate], p["y0"].to_numpy()[degenerate])
    whole = ~degenerate & shapely.contains(zone, lines)
    share[whole] = 1.0
    edge = np.flatnonzero(~degenerate & ~whole & shapely.intersects(zone, lines))
    if len(edge):
        share[edge] = np.clip(shapely.length(shapely.intersection(lines[edge], zone)) / length[edge], 0.0, 1.0)
    return share


def _swath(lines: np.ndarray, flight: pd.Series, swath_m: float) -> Any:
    """Union of the pieces buffered by ``swath_m / 2`` (round caps), one merged line per flight."""
    if not len(lines):
        return shapely.Polygon()
    degenerate = shapely.length(lines) == 0
    parts = []
    if (~degenerate).any():
        codes, _ = pd.factorize(flight.to_numpy()[~degenerate])  # contiguous 0 … k-1, as shapely needs
        order = np.argsort(codes, kind="stable")
        merged = shapely.line_merge(shapely.multilinestrings(lines[~degenerate][order], indices=codes[order]))
        parts.append(shapely.buffer(merged, swath_m / 2.0, quad_segs=16))
    if degenerate.any():
        parts.append(shapely.buffer(shapely.get_point(lines[degenerate], 0), swath_m / 2.0, quad_segs=16))
    return shapely.union_all(np.concatenate(parts))


# --------------------------------------------------------------------------- examples

#: Small example files of the documented formats (file name → text); illustrative tracks, not
#: real aircraft.  ``opensky_states.csv`` has the columns of the OpenSky Network state vectors
#: (epoch seconds, metres); ``tracks.geojson`` a LineString with a ``times`` list.
FLIGHT_FILE_EXAMPLES: dict[str, str] = {
    "opensky_states.csv": (
        "time,icao24,lat,lon,velocity,heading,vertrate,callsign,onground,alert,spi,squawk,baroaltitude,"
        "geoaltitude,lastposupdate,lastcontact\n"
        "1620000000,abcdef,35.0000,12.5000,100.0,90.0,0.0,PATROL1 ,False,False,False,,3000.0,3050.0,1620000000.0,1620000000.0\n"
        "1620000060,abcdef,35.0020,12.5658,100.0,90.0,0.0,PATROL1 ,False,False,False,,3000.0,3050.0,1620000060.0,1620000060.0\n"
        "1620000120,abcdef,35.0040,12.6316,100.0,90.0,0.0,PATROL1 ,False,False,False,,3000.0,3050.0,1620000120.0,1620000120.0\n"
        "1620000120,abcdef,35.0040,12.6316,100.0,90.0,0.0,PATROL1 ,False,False,False,,3000.0,3050.0,1620000120.0,1620000120.0\n"
        "1620000180,abcdef,35.0060,12.6974,100.0,90.0,0.0,PATROL1 ,False,False,False,,3000.0,3050.0,1620000180.0,1620000180.0\n"
        "1620000240,abcdef,35.0080,12.7632,100.0,90.0,0.0,PATROL1 ,False,False,False,,3000.0,3050.0,1620000240.0,1620000240.0\n"
        "1620000300,abcdef,35.0100,12.8290,100.0,90.0,0.0,PATROL1 ,False,False,False,,3000.0,3050.0,1620000300.0,1620000300.0\n"
        "1620000600,abcdef,35.0200,13.1580,100.0,90.0,0.0,PATROL1 ,False,False,False,,3000.0,3050.0,1620000600.0,1620000600.0\n"
    ),
    "tracks.geojson": (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"properties": {"icao24": "abcdef", "times": ["2021-05-03T00:00:00Z", "2021-05-03T00:30:00Z", '
        '"2021-05-03T01:00:00Z"]}, '
        '"geometry": {"type": "LineString", "coordinates": [[12.5, 35.0, 3000], [13.0, 35.2, 3000], '
        "[13.5, 35.0, 3000]]}}]}\n"
    ),
}
