"""Readers of the U.S. sources (Arizona–Sonora and the U.S.–Mexico border).

Each reader follows the contract in :mod:`borderscape.layers.ingest`:
``read_x(located, *, keep_personal=False) -> Layer`` (``RasterLayer`` for elevation).
The helpers at the top (vector reading with a CRS check, geometry checks against a region,
count parsing, finishing a layer) are shared with :func:`borderscape.layers.ingest.ingest_file`
and may be used by other reader modules.
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
import zipfile
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
from borderscape.layers.catalog import ARIZONA_SONORA, US_MEXICO_BORDER
from borderscape.layers.coords import check_region, locate, parse_column, parse_pair_column
from borderscape.layers.dates import parse_dates
from borderscape.layers.quality import Ledger, QualityReport
from borderscape.layers.schemas import SCHEMAS, Layer, RasterLayer, conform
from borderscape.layers.tables import read_table

if TYPE_CHECKING:  # pragma: no cover
    from borderscape.layers.fetch import Located

WGS84 = "EPSG:4326"

# --------------------------------------------------------------------------- helpers


def paths_of(located: "Located | str | os.PathLike | Sequence[str | os.PathLike]") -> list[Path]:
    """The file paths of a :class:`Located` (or of a path / list of paths given directly)."""
    if isinstance(located, (str, os.PathLike)):
        return [Path(located)]
    if isinstance(located, (list, tuple)):
        return [Path(p) for p in located]
    return [Path(p) for p in located.paths]


def one_path(located: "Located | str | os.PathLike | Sequence[str | os.PathLike]", source_id: str) -> Path:
    """The single file of a one-file source."""
    paths = paths_of(located)
    if len(paths) != 1:
        raise IngestError(f"source {source_id!r} is read from one file, got {len(paths)}",
                          remedy="give one file (FILE argument)")
    return paths[0]


def snake(name: str) -> str:
    """A column name in lower snake case (``Surface Management`` → ``surface_management``)."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_") or "column"


def _vector_uri(path: Path) -> str:
    """A GDAL path for a vector file; a ``.zip`` is opened on the first shapefile/GPKG/KML inside."""
    if path.suffix.lower() != ".zip":
        return str(path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise IngestError(f"{path.name} is not a readable zip archive", remedy="download the archive again") from exc
    for suffix in (".shp", ".gpkg", ".geojson", ".kml"):
        inside = sorted(n for n in names if n.lower().endswith(suffix))
        if inside:
            return f"/vsizip/{path}/{inside[0]}"
    raise IngestError(f"{path.name} holds no shapefile, GeoPackage, GeoJSON or KML",
                      remedy="give the archive published by the source, or the vector file itself")


def read_vector(path: str | os.PathLike) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read a vector file (shapefile, zipped shapefile, GeoPackage, GeoJSON, KML, KMZ) in EPSG:4326.

    A GeoJSON without a ``crs`` member is WGS84 by RFC 7946, and KML is always WGS84; any
    other file must declare its CRS.  Layers in another CRS are reprojected to EPSG:4326
    (noted).

    Returns
    -------
    frame, notes

    Raises
    ------
    CRSError
        The file declares no CRS (a shapefile without ``.prj``, a GeoPackage layer without
        a spatial reference).
    IngestError
        The file cannot be read as vector data.
    """
    path = Path(path)
    uri = _vector_uri(path)
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = gpd.read_file(uri, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError,
            pyogrio.errors.GeometryError, pyogrio.errors.CRSError, OSError, ValueError) as exc:
        raise IngestError(f"{path.name} cannot be read as vector data ({type(exc).__name__})",
                          remedy="give a shapefile (with .prj), GeoPackage, GeoJSON, KML or KMZ file") from exc
    if frame.crs is None:
        raise CRSError(f"{path.name} declares no coordinate reference system",
                       remedy="set the CRS in the file (e.g. ogr2ogr -a_srs EPSG:4326) and ingest it again; "
                              "borderscape never guesses a CRS")
    if not frame.crs.equals(WGS84):
        notes.append(f"reprojected from {frame.crs.to_string()} to EPSG:4326")
        frame = frame.to_crs(WGS84)
    frame = frame.set_geometry(shapely.force_2d(frame.geometry.values), crs=WGS84)
    return frame.reset_index(drop=True), notes


def check_geometries(geometry: gpd.GeoSeries, ledger: Ledger,
                     region: tuple[float, float, float, float] | None) -> gpd.GeoSeries:
    """Geometries (EPSG:4326) checked row by row, decisions recorded in ``ledger``.

    Points go through :func:`borderscape.layers.coords.check_region` (swapped or
    sign-flipped coordinates are repaired, others outside the region quarantined).  Lines
    and polygons: a missing or empty geometry is quarantined, an invalid one is repaired
    with :func:`shapely.make_valid`, one with coordinates beyond ±180°/±90° quarantined.
    """
    geoms = np.asarray(geometry.values, dtype=object).copy()
    missing = np.array([g is None or shapely.is_empty(g) for g in geoms], dtype=bool)
    is_point = np.array([g is not None and not shapely.is_empty(g) and g.geom_type == "Point" for g in geoms], dtype=bool)
    if is_point.any():
        lon = np.array([g.x if p else np.nan for g, p in zip(geoms, is_point)])
        lat = np.array([g.y if p else np.nan for g, p in zip(geoms, is_point)])
        check = check_region(lat, lon, region or (-180.0, -90.0, 180.0, 90.0))
        for what in sorted({r for r in check.repair[is_point] if r is not None}):
            ledger.repair(is_point & (check.repair == what), what)
        for why in sorted({p for p in check.problem[is_point] if p is not None}):
            ledger.quarantine(is_point & (check.problem == why), why)
        repaired = is_point & np.array([r is not None for r in check.repair], dtype=bool)
        for i in np.flatnonzero(repaired):
            geoms[i] = shapely.Point(check.lon[i], check.lat[i])
    ledger.quarantine(missing, "missing geometry")
    other = ~missing & ~is_point
    if other.any():
        valid = np.ones(len(geoms), dtype=bool)
        valid[other] = shapely.is_valid(np.array(list(geoms[other]), dtype=object))
        bad = other & ~valid
        for i in np.flatnonzero(bad):
            geoms[i] = shapely.make_valid(geoms[i])
        ledger.repair(bad, "invalid geometry made valid")
        bounds = np.full((len(geoms), 4), np.nan)
        bounds[other] = shapely.bounds(np.array(list(geoms[other]), dtype=object))
        with np.errstate(invalid="ignore"):
            out = other & ((bounds[:, 0] < -180) | (bounds[:, 2] > 180) | (bounds[:, 1] < -90) | (bounds[:, 3] > 90))
        ledger.quarantine(out, "coordinates out of range")
    return gpd.GeoSeries(geoms, crs=WGS84, index=geometry.index)


def quarantine_unreadable(ledger: Ledger, values: pd.Series, errors: np.ndarray, why: str) -> None:
    """Quarantine rows whose cell holds text that could not be parsed (empty cells are left alone)."""
    present = values.map(lambda v: v is not None and str(v).strip() != "").to_numpy(dtype=bool)
    ledger.quarantine(present & np.array([e is not None for e in errors], dtype=bool), why)


def points_from_columns(lat_values: pd.Series, lon_values: pd.Series, ledger: Ledger,
                        region: tuple[float, float, float, float] | None) -> tuple[gpd.GeoSeries, np.ndarray, np.ndarray]:
    """Points from latitude and longitude columns (decimal or DMS), checked against ``region``.

    Returns the points (EPSG:4326; None where a row cannot be placed) and the parsed
    latitude and longitude (degrees, NaN where unreadable).  Unreadable text, missing or
    out-of-range coordinates are quarantined; swapped or sign-flipped ones repaired.
    """
    lat, lat_err = parse_column(lat_values)
    lon, lon_err = parse_column(lon_values)
    quarantine_unreadable(ledger, lat_values, lat_err, "latitude cannot be read")
    quarantine_unreadable(ledger, lon_values, lon_err, "longitude cannot be read")
    return locate(lat, lon, ledger, region), lat, lon


def parse_count(values: pd.Series, ledger: Ledger, what: str) -> pd.Series:
    """Whole non-negative counts (``Int64``); text, fractions and negatives are quarantined.

    Empty cells become missing (<NA>) without a reason; thousands separators ``1,234``
    are read as 1234.
    """
    text = values.astype(object).where(values.notna(), None)
    cleaned = text.map(lambda v: None if v is None or str(v).strip() == "" else _thousands(str(v).strip()))
    num = pd.to_numeric(cleaned, errors="coerce").astype(float)
    present = cleaned.notna().to_numpy()
    v = num.to_numpy()
    notnum = present & np.isnan(v)
    with np.errstate(invalid="ignore"):
        infinite = np.isinf(v)
        negative = v < 0
        fraction = np.isfinite(v) & (np.mod(v, 1) != 0)
        huge = np.isfinite(v) & (np.abs(v) > 2**53)
    ledger.quarantine(notnum, f"{what} is not a number")
    ledger.quarantine(infinite | huge, f"{what} is too large")
    ledger.quarantine(negative, f"{what} is negative")
    ledger.quarantine(fraction, f"{what} is not a whole number")
    out = num.where(~(notnum | infinite | huge | negative | fraction), np.nan)
    return out.round().astype("Int64")


def _thousands(text: str) -> str:
    """``1,234,567`` → ``1234567``; any other text unchanged (``1,5`` is not read as 15)."""
    return text.replace(",", "") if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", text) else text


def parse_float(values: pd.Series, ledger: Ledger, what: str, *, scale: float = 1.0) -> pd.Series:
    """Real numbers (float64, NaN for empty); non-numeric text is quarantined."""
    text = values.astype(object).where(values.notna(), None)
    cleaned = text.map(lambda v: None if v is None or str(v).strip() == "" else str(v).strip())
    num = pd.to_numeric(cleaned, errors="coerce").astype(float)
    notnum = cleaned.notna().to_numpy() & np.isnan(num.to_numpy())
    ledger.quarantine(notnum, f"{what} is not a number")
    with np.errstate(invalid="ignore"):
        infinite = np.isinf(num.to_numpy())
    ledger.quarantine(infinite, f"{what} is not finite")
    return num.where(~infinite, np.nan) * scale


def parse_date_column(values: pd.Series, ledger: Ledger, what: str) -> tuple[pd.Series, np.ndarray]:
    """Dates and their precision; unparseable dates are quarantined with ``what`` in the reason."""
    texts = values.astype(object).where(values.notna(), None)
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    u_dates, u_precision, u_errors = parse_dates(pd.Series(uniques, dtype=object))
    # each distinct text is parsed once (exports repeat a few thousand dates many times)
    present = codes >= 0
    dates = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    dates[present] = u_dates.to_numpy()[codes[present]]
    precision = np.full(len(values), None, dtype=object)
    precision[present] = np.asarray(u_precision, dtype=object)[codes[present]]
    errors = np.full(len(values), None, dtype=object)
    errors[present] = np.asarray(u_errors, dtype=object)[codes[present]]
    ledger.quarantine(np.array([e is not None for e in errors], dtype=bool), f"{what} cannot be read as a date")
    return dates, precision


def text_column(values: pd.Series) -> pd.Series:
    """Text stripped of surrounding spaces; empty → missing (``string`` dtype)."""
    out = values.astype(object).where(values.notna(), None)
    out = out.map(lambda v: None if v is None or str(v).strip() == "" else str(v).strip())
    return out.astype("string")


def finish(source: str, kind: str, frame: pd.DataFrame, ledger: Ledger, *,
           geometry: gpd.GeoSeries | None = None, removed: Sequence[str] = (),
           notes: Sequence[str] = ()) -> Layer:
    """A :class:`Layer` from the output columns, the checked geometry and the ledger."""
    frame = frame.reset_index(drop=True)
    if kind in SCHEMAS:
        frame = conform(frame, kind)
    frame = ledger.annotate(frame)
    if geometry is not None:
        frame = gpd.GeoDataFrame(frame, geometry=geometry.reset_index(drop=True).values, crs=WGS84)
    report = ledger.report(source=source, files=[], removed_columns=list(removed), notes=list(notes))
    return Layer(source=source, kind=kind, frame=frame, report=report)


def _require(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise IngestError(f"{name} lacks the columns {absent}",
                          remedy="give the source's original export; found columns: " + ", ".join(map(str, frame.columns[:30])))


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
    "Sex": "sex", "Corridor Code": "corridor_code", "Corridor": "corridor",
    "Surface Management": "surface_management", "County": "county", "State": "state",
    "Post Mortem Interval": "post_mortem_interval", "Body Condition": "body_condition",
    "Condition Code": "condition_code", "OME Determined COD": "ome_determined_cod",
}


def read_pcome(located: "Located | str | os.PathLike", *, keep_personal: bool = False) -> Layer:
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
    ledger.quarantine(office, "coordinates are the medical examiner's office (32.175119, -110.928097): "
                              "remains were moved; where they were found is unknown")

    if "UTM X" in raw.columns and "UTM Y" in raw.columns:
        ux = pd.to_numeric(raw["UTM X"], errors="coerce").to_numpy(dtype=float)
        uy = pd.to_numeric(raw["UTM Y"], errors="coerce").to_numpy(dtype=float)
        px, py = Transformer.from_crs(WGS84, "EPSG:32612", always_xy=True).transform(lon, lat)
        with np.errstate(invalid="ignore"):
            offset = np.hypot(np.asarray(px) - ux, np.asarray(py) - uy)
            far = offset > UTM_TOLERANCE_M
        for i in np.flatnonzero(far):
            ledger.quarantine_row(int(i), f"UTM X/Y disagree with latitude/longitude by {offset[i] / 1000:.1f} km "
                                          "(more than 1 km): which pair is right is unknown")

    dates, precision = parse_date_column(raw["Reporting Date"], ledger, "Reporting Date")
    no_date = raw["Reporting Date"].isna().to_numpy()
    ledger.quarantine(no_date, "no Reporting Date")

    out = pd.DataFrame({
        "date": dates,
        "date_kind": "reported",
        "date_precision": pd.array(precision, dtype="string"),
        "dead": 1,
        "missing": 0,
        "cause": text_column(raw["Cause of Death"]) if "Cause of Death" in raw.columns else pd.NA,
        "location_precision": text_column(raw["Location Precision"]) if "Location Precision" in raw.columns else pd.NA,
        "source_id": "pcome",
        "record_id": text_column(raw["ML Number"]) if keep_personal and "ML Number" in raw.columns else pd.NA,
    })
    for col, name in _PCOME_KEEP.items():
        if col in raw.columns:
            out[name] = text_column(raw[col])
    if "Age" in raw.columns:
        age = pd.to_numeric(raw["Age"].fillna(""), errors="coerce")
        bad_age = raw["Age"].notna().to_numpy() & age.isna().to_numpy()
        ledger.repair(bad_age, "Age is not a number: set missing")
        out["age"] = age.round().astype("Int64")
    if "county" in out.columns:
        county = out["county"]
        normal = county.map(lambda v: v if pd.isna(v) else _county_case(v)).astype("string")
        changed = (county.fillna("") != normal.fillna("")).to_numpy()
        ledger.repair(changed, "County capitalisation normalised")
        out["county"] = normal
    if "post_mortem_interval" in out.columns:
        notes.append("Post Mortem Interval and other text fields stripped of surrounding spaces")

    removed = [c for c in PCOME_PERSONAL if c in raw.columns]
    if keep_personal:
        for col, name in (("Name", "name"), ("ML Number", "ml_number"), ("Location", "location_text")):
            if col in raw.columns:
                out[name] = text_column(raw[col])
        removed = []
        notes.append("personal columns kept on request (keep_personal): never show them in a rendered output")
    return finish("pcome", "deaths", out, ledger, geometry=geometry, removed=removed, notes=notes)


def _county_case(value: str) -> str:
    words = str(value).split()
    return " ".join(w if not w.isalpha() else w[:1].upper() + w[1:].lower() for w in words)


def read_pcome_terrain(located: "Located | str | os.PathLike", *, keep_personal: bool = False) -> Layer:
    """PCOME recovery sites vs random points with terrain covariates (White 2024).

    ``PointType`` is kept as ``point_type`` (``BodyLocation`` / ``RandomLocation``); ``dead``
    is 1 for a body location and 0 for a random point; ``cause`` = Cause_of_Death; the
    covariates (Slope and Aspect in degrees, Elevation in metres, Rough, solar and
    vegetation indices) are kept under snake-case names.  The table has no dates.
    """
    path = one_path(located, "pcome-terrain")
    table = read_table(path)
    raw = table.frame
    _require(raw, ["Latitude", "Longitude", "PointType"], path.name)
    ledger = Ledger(len(raw))
    geometry, _, _ = points_from_columns(raw["Latitude"], raw["Longitude"], ledger, ARIZONA_SONORA)
    ptype = text_column(raw["PointType"])
    unknown = ~ptype.isin(["BodyLocation", "RandomLocation"]).fillna(False).to_numpy(dtype=bool)
    ledger.quarantine(unknown, "PointType is neither BodyLocation nor RandomLocation")
    dead = pd.Series(np.where(ptype.fillna("") == "BodyLocation", 1, 0), dtype="Int64").where(~unknown, pd.NA)
    out = pd.DataFrame({
        "date": pd.NaT, "date_kind": pd.NA, "date_precision": pd.NA, "dead": dead, "missing": 0,
        "cause": text_column(raw["Cause_of_Death"]) if "Cause_of_Death" in raw.columns else pd.NA,
        "location_precision": pd.NA, "source_id": "pcome-terrain",
        "record_id": text_column(raw["FID"]) if "FID" in raw.columns else pd.NA,
        "point_type": ptype,
    })
    for col in raw.columns:
        if col in ("FID", "Cause_of_Death", "Latitude", "Longitude", "PointType"):
            continue
        out[snake(col)] = parse_float(raw[col], ledger, col)
    return finish("pcome-terrain", "deaths", out, ledger, geometry=geometry,
                  notes=table.notes + ["undated table: body locations and the author's random points"])


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
    "kind": ("kind", "type", "tower_type", "technology", "category", "system", "sensor_type"),
    "height_m": ("height_m", "height", "height_meters", "tower_height_m"),
    "height_ft": ("height_ft", "height_feet", "tower_height_ft"),
    "range_m": ("range_m", "range", "range_meters"),
    "range_km": ("range_km",),
    "active_from": ("active_from", "installed", "install_date", "date_installed", "date", "year_installed",
                    "year", "deployed", "first_seen"),
    "active_to": ("active_to", "removed", "decommissioned", "date_removed"),
    "deployment": ("status", "deployment", "state_of_deployment", "existing_proposed"),
    "name": ("name", "tower_name", "site", "label", "id"),
}


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


def read_towers(located: "Located | str | os.PathLike", *, keep_personal: bool = False) -> Layer:
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
    Every other column is kept under its snake-case name.
    """
    path = one_path(located, "eff-towers")
    notes: list[str] = []
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        table = read_table(path)
        raw = table.frame
        notes += table.notes
        ledger = Ledger(len(raw))
        lat_col, lon_col, pair_col = _find_role(raw.columns, "lat"), _find_role(raw.columns, "lon"), _find_role(raw.columns, "latlon")
        if lat_col and lon_col:
            geometry, _, _ = points_from_columns(raw[lat_col], raw[lon_col], ledger, US_MEXICO_BORDER)
        elif pair_col:
            lat, lon, err = parse_pair_column(raw[pair_col])
            quarantine_unreadable(ledger, raw[pair_col], err, "'lat, lon' text cannot be read")
            geometry = locate(lat, lon, ledger, US_MEXICO_BORDER)
        else:
            raise IngestError(f"{path.name} has no latitude/longitude columns",
                              remedy="name them lat/latitude and lon/longitude, or use "
                                     "`borderscape ingest sensors FILE --columns lat=COL,lon=COL,kind=COL`")
        used = {c for c in (lat_col, lon_col, pair_col) if c}
    else:
        frame, vnotes = read_vector(path)
        notes += vnotes
        raw = pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(object)
        raw = raw.where(raw.notna(), None)
        ledger = Ledger(len(raw))
        geometry = check_geometries(frame.geometry, ledger, US_MEXICO_BORDER)
        used = set()
    out = pd.DataFrame(index=raw.index)
    kind_col = _find_role(raw.columns, "kind")
    if kind_col:
        source_text = text_column(raw[kind_col])
        kinds = source_text.map(lambda v: tower_kind(v) or v).astype("string")
        out["kind"], out["kind_source"] = kinds, source_text
        unknown = sorted({str(v) for v, k in zip(source_text.dropna(), source_text.dropna().map(tower_kind)) if k is None})
        if unknown:
            notes.append(f"{len(unknown)} tower type text(s) not recognised; kept as written")
        used.add(kind_col)
    for role, column_name, scale in (("height_m", "height_m", 1.0), ("height_ft", "height_m", 0.3048),
                                     ("range_m", "range_m", 1.0), ("range_km", "range_m", 1000.0)):
        col = _find_role(raw.columns, role)
        if col and column_name not in out.columns:
            out[column_name] = parse_float(raw[col], ledger, col, scale=scale)
            if scale != 1.0:
                notes.append(f"{col} converted to metres (× {scale})")
            used.add(col)
    for role in ("active_from", "active_to"):
        col = _find_role(raw.columns, role)
        if col:
            out[role], _ = parse_date_column(raw[col].map(lambda v: None if v is None else str(v)), ledger, col)
            used.add(col)
    for role in ("deployment", "name"):
        col = _find_role(raw.columns, role)
        if col:
            out[role] = text_column(raw[col])
            used.add(col)
    for col in raw.columns:
        name = snake(col)
        name = f"source_{name}" if name in ("row", "status", "reason", "geometry") else name
        if col not in used and name not in out.columns:
            out[name] = text_column(raw[col].map(lambda v: None if v is None else str(v)))
    out["source_id"] = "eff-towers"
    return finish("eff-towers", "sensors", out, ledger, geometry=geometry, notes=notes)


# --------------------------------------------------------------------------- context


def _read_context_vector(located: "Located | str | os.PathLike", source_id: str, region: tuple[float, float, float, float] | None,
                         keep: Callable[[pd.DataFrame], pd.DataFrame]) -> Layer:
    path = one_path(located, source_id)
    frame, notes = read_vector(path)
    ledger = Ledger(len(frame))
    geometry = check_geometries(frame.geometry, ledger, region)
    attrs = keep(pd.DataFrame(frame.drop(columns=frame.geometry.name)))
    return finish(source_id, "context", attrs, ledger, geometry=geometry, notes=notes)


def read_boundary(located: "Located | str | os.PathLike", *, keep_personal: bool = False) -> Layer:
    """The IBWC U.S.–Mexico boundary (KMZ, KML, shapefile or zipped shapefile) as line(s).

    The KMZ holds one LineString (39,673 vertices, east → west); the KML boilerplate
    attributes (empty in the published file) are dropped; ``name`` is kept.
    """
    def keep(attrs: pd.DataFrame) -> pd.DataFrame:
        name = _find_role(attrs.columns, "name")
        return pd.DataFrame({"name": text_column(attrs[name]) if name else pd.Series(pd.NA, index=attrs.index, dtype="string"),
                             "feature": "international boundary"})
    return _read_context_vector(located, "ibwc-boundary", US_MEXICO_BORDER, keep)


def read_roads(located: "Located | str | os.PathLike", *, keep_personal: bool = False) -> Layer:
    """TIGER/Line primary and secondary roads (shapefile, or the zip published by the Census).

    Reprojected from NAD83 (EPSG:4269) to EPSG:4326 (sub-metre difference, noted); the
    fields LINEARID, FULLNAME, RTTYP and MTFCC are kept in lower case.
    """
    def keep(attrs: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({snake(c): attrs[c] for c in attrs.columns})
    return _read_context_vector(located, "tiger-roads-az", None, keep)


def read_stations(located: "Located | str | os.PathLike", *, keep_personal: bool = False) -> Layer:
    """U.S. Border Patrol stations (KML points of geocoded addresses).

    Keeps ``name`` (the station, a building — e.g. "Ajo Station") and ``address`` (the
    street address from the description, without phone and fax numbers).
    """
    def keep(attrs: pd.DataFrame) -> pd.DataFrame:
        name = _find_role(attrs.columns, "name")
        desc = attrs["description"] if "description" in attrs.columns else pd.Series(None, index=attrs.index, dtype=object)
        return pd.DataFrame({"name": text_column(attrs[name]) if name else pd.Series(pd.NA, index=attrs.index, dtype="string"),
                             "address": desc.map(_station_address).astype("string")})
    return _read_context_vector(located, "usbp-stations", (-125.0, 17.0, -66.0, 50.0), keep)


def _station_address(description: object) -> str | None:
    if description is None or (isinstance(description, float) and np.isnan(description)):
        return None
    parts = [p.strip() for p in re.split(r"<br\s*/?>|\n", str(description), flags=re.I)]
    address = [p for p in parts if p and not re.match(r"^(phone|fax)\b", p, flags=re.I)]
    return ", ".join(address) or None


def read_water_stations(located: "Located | str | os.PathLike", *, keep_personal: bool = False) -> Layer:
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
    out = pd.DataFrame({"feature": pd.Series("water station", index=raw.index),
                        "location_precision": "read off a poster: about 5 miles (8 km)"})
    return finish("hb-water-stations", "context", out, ledger, geometry=geometry, notes=table.notes)


# --------------------------------------------------------------------------- tables

_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def read_cbp_encounters(located: "Located | str | os.PathLike", *, keep_personal: bool = False) -> Layer:
    """CBP Southwest land border encounters by month (a table, no geometry).

    Two layouts: the compiled one (``month`` = ``YYYY-MM`` calendar month, ``encounters``)
    and CBP's own CSV (``Fiscal Year``, ``Month (abbv)``, ``Encounter Count``; the U.S.
    federal fiscal year starts in October, so FY2020 OCT is calendar 2019-10).  ``month``
    becomes the first day of the calendar month; every column is kept (snake case);
    unparseable months and negative or non-numeric counts are quarantined.
    """
    path = one_path(located, "cbp-encounters")
    table = read_table(path)
    raw = table.frame
    ledger = Ledger(len(raw))
    out = pd.DataFrame({snake(c): text_column(raw[c]) for c in raw.columns})
    if "month" in raw.columns and "encounters" in raw.columns:
        month, _ = parse_date_column(raw["month"], ledger, "month")
        counts = parse_count(raw["encounters"], ledger, "encounters")
    elif {"Fiscal Year", "Month (abbv)", "Encounter Count"} <= set(raw.columns):
        texts = [_calendar_month(fy, m) for fy, m in zip(raw["Fiscal Year"].tolist(), raw["Month (abbv)"].tolist())]
        month, _ = parse_date_column(pd.Series(texts, dtype=object).fillna("?"), ledger, "Fiscal Year/Month")
        counts = parse_count(raw["Encounter Count"], ledger, "Encounter Count")
        out = out.rename(columns={"encounter_count": "encounters"})
    else:
        raise IngestError(f"{path.name} is not a CBP encounters table",
                          remedy="expected columns month + encounters, or Fiscal Year + Month (abbv) + Encounter Count")
    out["month"] = month
    out["encounters"] = counts
    ledger.quarantine(raw.iloc[:, 0].isna().to_numpy() & month.isna().to_numpy(), "no month")
    frame = ledger.annotate(out)
    report = ledger.report(source="cbp-encounters", files=[], notes=table.notes)
    return Layer(source="cbp-encounters", kind="table", frame=frame, report=report)


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


def read_dem(located: "Located | str | os.PathLike", *, keep_personal: bool = False) -> RasterLayer:
    """An elevation grid (GeoTIFF or any GDAL raster) checked cell by cell.

    The file must have a CRS (else :class:`CRSError`).  Cells equal to the nodata value (or
    NaN) are quarantined with reason ``nodata``; cells outside −11,000…9,000 m cannot be
    elevations and are quarantined (and set to nodata).  Several tiles (a ``parts``
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
        raise RasterError(f"{paths[0].name} holds no valid elevation cell",
                          remedy="check the file and its nodata value")
    n_nodata, n_implausible = int(nodata_mask.sum()), int(implausible.sum())
    reasons = {}
    if n_nodata:
        reasons["nodata"] = n_nodata
    if n_implausible:
        reasons[f"value outside {ELEVATION_RANGE_M[0]:.0f}…{ELEVATION_RANGE_M[1]:.0f} m: not an elevation"] = n_implausible
    notes = [f"{a.shape[0]} × {a.shape[1]} cells; cells are the rows of this report"]
    if n_implausible:
        if np.issubdtype(a.dtype, np.floating):
            nodata = raster.nodata if raster.nodata is not None else np.nan
        elif raster.nodata is not None:
            nodata = raster.nodata
        else:
            raise RasterError(f"{paths[0].name} has implausible values and no nodata value to mark them",
                              remedy="set a nodata value (gdal_edit.py -a_nodata) and ingest again")
        raster = raster.with_array(np.where(implausible, nodata, a).astype(a.dtype))
        notes.append("implausible cells set to nodata")
    report = QualityReport(source=source_id, files=[], rows_read=int(a.size), kept=int(a.size) - n_nodata - n_implausible,
                           repaired=0, quarantined=n_nodata + n_implausible, reasons=reasons, notes=notes)
    return RasterLayer(source=source_id, raster=raster, report=report)


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
                    raise CRSError(f"raster {p.name} has no CRS", remedy="assign one with gdal_edit.py -a_srs EPSG:XXXX, then retry")
                if src.crs != first.crs or not np.allclose(src.res, first.res):
                    raise RasterError(f"tile {p.name} differs from {paths[0].name} in CRS or cell size",
                                      remedy="ingest tiles of one product only, or resample with borderscape.geo.raster.mosaic")
            dtype = np.result_type(*[np.dtype(src.dtypes[0]) for src in sources])
            nodata = first.nodata
            if nodata is None:
                if not np.issubdtype(dtype, np.floating):
                    raise RasterError("integer tiles without a nodata value cannot mark the cells no tile covers",
                                      remedy="set a nodata value on the tiles (gdal_edit.py -a_nodata)")
                nodata = np.nan
            array, transform = merge(sources, nodata=nodata, dtype=dtype)
            crs = CRS.from_wkt(first.crs.to_wkt())
    except rasterio.errors.RasterioError as exc:
        raise RasterError(f"cannot read or merge {len(paths)} tiles", remedy="check that the tiles are GeoTIFFs of one product") from exc
    return Raster(array[0], transform, crs, nodata)


# --------------------------------------------------------------------------- environment grid

#: Spacing of the az-env-grid cell centres, degrees.
ENV_GRID_CELL_DEG = 0.044
_ENV_COLUMNS = ("row", "col", "longitude", "latitude", "slope_deg", "july_tmax_c", "ndvi")


def read_env_grid(located: "Located | str | os.PathLike", *, keep_personal: bool = False) -> Layer:
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
    out = pd.DataFrame({
        "grid_row": parse_count(raw["row"], ledger, "row"),
        "grid_col": parse_count(raw["col"], ledger, "col"),
        "slope_deg": parse_float(raw["slope_deg"], ledger, "slope_deg"),
        "july_tmax_c": parse_float(raw["july_tmax_c"], ledger, "july_tmax_c"),
        "ndvi": parse_float(raw["ndvi"], ledger, "ndvi"),
        "cell_deg": ENV_GRID_CELL_DEG,
        "feature": "environment grid cell centre",
        "source_id": "az-env-grid",
    })
    return finish("az-env-grid", "context", out, ledger, geometry=geometry,
                  notes=table.notes + ["cell centres of a 0.044° grid; missing slope/NDVI are normal south of the border"])


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

__all__ = ["READERS", "read_vector", "check_geometries", "parse_count", "parse_float", "parse_date_column",
           "text_column", "finish", "paths_of", "one_path", "snake", "tower_kind"]
