"""One ingest dialect: how every reader turns cells into values, and how it words the ledger.

Every reader — the U.S. sources (:mod:`borderscape.layers.readers_us`), the Mediterranean
and IOM sources (:mod:`borderscape.layers.readers_med`) and the generic loader
(:func:`borderscape.layers.ingest.ingest_file`, ``borderscape ingest deaths FILE
--columns ...``) — parses numbers, dates, booleans, text and coordinates, checks
geometries and finishes its layer with the functions of this module, so a cell means the
same thing, and a problem is worded the same way, whatever the source.  The value-level
parsers underneath live in :mod:`borderscape.layers.coords` (coordinate forms, the region
check) and :mod:`borderscape.layers.dates` (date layouts); the ledger itself in
:mod:`borderscape.layers.quality`.

Semantics
---------
A *required* field is one a row cannot do without (a date of a death record, the
position of a record that must be located); every other field is *optional*.  The reader
says which.  "Quarantined" is a status of the row (location analyses leave it out,
totals by year still count it); the row always stays in the layer.

=========================  ==============================================================  ==============================================
Cell                       Value                                                           Ledger
=========================  ==============================================================  ==============================================
missing marker             missing (``<NA>``, ``NaN``, ``NaT``) in every kind of field —   optional field: nothing (kept); required
                           numbers, dates, booleans, coordinates, text.  Markers, after    field: quarantined ``F is missing``
                           stripping and in any case: empty, ``NA N/A n.a. #N/A NaN
                           null None - -- —``
whitespace around a cell   stripped (not content)                                          nothing
text                       otherwise verbatim (no HTML escaping, no case change)           nothing
``1,234`` ``-1,234.5``     the number (groups of three digits split by commas, optional    repaired ``F had its thousands separator
                           decimals)                                                       removed``
``1,5`` ``12 345`` ``x``   not a number: a decimal comma is never guessed in a number      quarantined ``F is not a number``; value
                           (it is accepted in a coordinate, see below)                     missing
``inf`` ``1e999``          not finite                                                      quarantined ``F is not finite``; value missing
count                      whole and non-negative, ``Int64`` (dead, missing, persons,      —
                           arrivals, encounters …); a whole number written with
                           decimals (``2.0``: Frontex ``num_deaths``, IOM monthly counts
                           are exported as floats) is that number, without a repair
count ``-2``               negative                                                        quarantined ``F is negative``; value missing
count ``2.5``              not a whole number: no source publishes fractional counts (the  quarantined ``F is not a whole number``; value
                           IOM and Frontex files hold none); a fraction is an average or   missing
                           an error, never a count to keep
count above 2**53          cannot be held exactly                                          quarantined ``F is too large``; value missing
measure                    ``float64`` times the reader's unit ``scale`` (heights,         quarantined ``F is negative`` only where the
                           slopes, rates …); negatives allowed unless the reader says      reader says so; value missing
                           the measure cannot be negative (heights, ranges, swaths,
                           rates, proportions)
date                       the layouts of :mod:`borderscape.layers.dates`, with a          quarantined ``F is not a date``; value missing
                           precision (day, month, year): ``YYYY-MM-DD``, ``M/D/YYYY``,
                           ``M/D/YY``, each with an optional time (``05/07/2013 13:12:00``,
                           ``06/25/17 22:10``, ``2013-05-07T13:12:00Z``), ``YYYY-MM``,
                           ``YYYY`` …; a time of day is read and dropped to the day (keep
                           the column with ``keep``/``--keep`` to keep the text as written)
two-digit year ``YY``      20YY, unless 20YY is after the current year: then 19YY (in      —
                           2026: ``26`` → 2026, ``27`` → 1927); also for ``%y`` in a
                           ``date_format``
date with ``date_format``  a strptime pattern (``%m/%d/%Y %H:%M:%S``) replaces the         quarantined ``F is not a date in the format
                           layouts: every date cell must match it                          FMT``; value missing
true/false                 ``true false yes no 1 0`` in any case → nullable boolean        quarantined ``F is not true/false``
coordinate                 decimal (also with a decimal comma) or DMS (``31°20'15"N``,     quarantined ``coordinates are unreadable``
                           ``31 20 15 N``, ``-110°58'30"``, ``110d58m30sW``); a pair
                           ``"lat, lon"`` or WKT ``POINT (lon lat)`` (:mod:`~.coords`)
DMS in separate columns    degrees, minutes, seconds, hemisphere (roles ``lat_deg``        quarantined ``coordinates are unreadable``
                           ``lat_min`` ``lat_sec`` ``lat_hemi``, ``lon_…``): deg +         (a minute or second outside [0, 60), a
                           min/60 + sec/3600; minutes and seconds optional (0); the        hemisphere of the other axis, ``E`` for a
                           hemisphere (N S E W or the word) optional, else the sign of     latitude …)
                           the degrees
every coordinate whole     kept as read (they may be whole degrees)                        warning ``every latitude is a whole number
                                                                                           …``; region repairs refused (below)
latitude xor longitude     no point                                                        quarantined ``coordinates are incomplete``
no coordinates             no point                                                        required: ``coordinates are missing``;
                                                                                           optional: nothing
(0, 0)                     no point                                                        quarantined ``coordinates are (0, 0)``
outside the region         the first of: swap latitude/longitude, flip the longitude       repaired ``coordinates had latitude and
                           sign, flip the latitude sign, swap and flip, flip both, that    longitude swapped`` (``… had the longitude
                           lands inside — for points, lines and polygons alike             sign flipped`` …)
… no candidate fits        no geometry                                                     quarantined ``coordinates are out of range``
                                                                                           (beyond ±90°/±180°) or ``coordinates are
                                                                                           outside the expected region``
… repairs would touch      no geometry: a repair of most rows means a wrong column         quarantined ``coordinates are outside the
most rows (> 50 % of at    mapping or a missing hemisphere, not typing errors; nor are     expected region (repair refused: …)``; a
least 10 located), or      whole-degree positions ever moved into the region               warning with the remedy
every coordinate is whole
exact duplicate row        every raw cell (and the geometry) equal to an earlier row's:    quarantined ``row is a duplicate of row N``
                           counted once (:func:`exact_duplicates`, every reader)
likely duplicate           same date and position (to 1e-5°) as an earlier row, other      kept; listed in ``likely_duplicates`` and a
(deaths)                   fields differ: may be people found together                     note (:func:`finish`)
no geometry, or empty      no geometry                                                     quarantined ``geometry is missing``
invalid geometry           ``shapely.make_valid(method="structure")``: the area the        repaired ``geometry was made valid (GEOS
                           rings enclose, collapsed parts dropped                          reason)``; nothing left: quarantined
                                                                                           ``geometry is invalid and cannot be made valid``
=========================  ==============================================================  ==============================================

Every quarantine and repair reason shows, in the report's ``samples``, up to three distinct
raw values of the cell that broke the rule (never a cell of a personal column).

A cell breaks at most one rule: the first of *missing, not a number, not finite, too
large, negative, not a whole number* is recorded.  A value that breaks a rule is never
kept: the layer holds it as missing, the reason says why.

Wording
-------
Every reason is ``<subject> <predicate>`` (:func:`problem`, :func:`change`):

* the subject is the layer column the value fills (``dead``, ``date``, ``height_m``), the
  source column when the value fills none (``UTM X``), or ``coordinates`` (``detection
  coordinates`` …), ``geometry``, ``row``, ``elevation``;
* a quarantine predicate is in the present tense and says what is wrong (``is negative``,
  ``are outside the expected region``); a repair predicate is in the past tense and says
  what was changed (``had its thousands separator removed``, ``was made valid (…)``);
* reasons name no cell value, so the counts of a report stay countable; only a row's own
  figure may appear where it is the explanation (``row is a duplicate of row 12``,
  ``coordinates are 12.8 km from UTM X/Y …``, GEOS's location of a self-intersection).

Finishing
---------
:func:`finish` makes every vector or table layer: the schema columns of its kind first
(:func:`borderscape.layers.schemas.conform`), then the reader's own columns, the geometry
(EPSG:4326) and the ledger columns ``row``, ``status`` (kept / repaired / quarantined),
``reason``; its report comes from the ledger, so kept + repaired + quarantined = rows read.
:func:`finish_raster` does the same for grids (one ledger entry per cell).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderscape.layers.coords import CANDIDATES, check_region, join_dms, parse_column, parse_pair_column
from borderscape.layers.dates import parse_dates
from borderscape.layers.quality import Ledger, QualityReport
from borderscape.layers.schemas import LEDGER_COLUMNS, SCHEMAS, Layer, RasterLayer, conform

WGS84 = "EPSG:4326"
#: The whole Earth (west, south, east, north), the region of a reader that expects none.
WORLD = (-180.0, -90.0, 180.0, 90.0)

#: Texts that mean "no value" in any field (compared after stripping, case-insensitively).
MISSING_MARKERS = frozenset({"", "na", "n/a", "n.a.", "#n/a", "nan", "null", "none", "-", "--", "\u2014"})

#: A number written with thousands separators: ``1,234``, ``-1,234,567.5``.
THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")

#: Largest count held exactly (float64 and Int64 agree up to 2**53).
MAX_COUNT = 2.0**53

#: Region repairs are refused when they would touch more than this share of the located rows …
REPAIR_SHARE_MAX = 0.5
#: … and at least this many rows are located (a majority of two or three rows says little).
REPAIR_SHARE_MIN_ROWS = 10
#: Likely duplicates: same date and a position equal to this many degrees (about 1 m).
SAME_POSITION_DEG = 1e-5

# --------------------------------------------------------------------------- wording

#: Quarantine predicates (present tense: what is wrong), without the verb.
MISSING = "missing"
NOT_A_NUMBER = "not a number"
NOT_FINITE = "not finite"
TOO_LARGE = "too large"
NEGATIVE = "negative"
NOT_WHOLE = "not a whole number"
NOT_A_DATE = "not a date"
NOT_BOOLEAN = "not true/false"
UNREADABLE = "unreadable"
INCOMPLETE = "incomplete"
NULL_ISLAND = "(0, 0)"
OUT_OF_RANGE = "out of range"
OUTSIDE_REGION = "outside the expected region"
CANNOT_BE_MADE_VALID = "invalid and cannot be made valid"

#: Repair predicates (past tense: what was changed).
THOUSANDS_REMOVED = "had its thousands separator removed"

#: What :func:`borderscape.layers.coords.check_region` reports → the predicate of the reason.
_REGION_PROBLEMS = {
    "missing coordinates": MISSING,
    "coordinates are (0, 0)": NULL_ISLAND,
    "coordinates out of range": OUT_OF_RANGE,
    "outside the expected region": OUTSIDE_REGION,
}
_REGION_REPAIRS = {
    "latitude and longitude swapped": "had latitude and longitude swapped",
    "longitude sign flipped": "had the longitude sign flipped",
    "latitude sign flipped": "had the latitude sign flipped",
    "latitude and longitude swapped, longitude sign flipped": "had latitude and longitude swapped and the longitude sign flipped",
    "latitude and longitude sign flipped": "had the latitude and longitude signs flipped",
}


def _verb(subject: str, present: bool) -> str:
    plural = subject.split()[-1] == "coordinates"
    if present:
        return "are" if plural else "is"
    return "were" if plural else "was"


def problem(subject: str, what: str) -> str:
    """A quarantine reason: ``<subject> is <what>`` (``are`` for coordinates).

    >>> problem("dead", NEGATIVE)
    'dead is negative'
    >>> problem("detection coordinates", OUTSIDE_REGION)
    'detection coordinates are outside the expected region'
    """
    return f"{subject} {_verb(subject, True)} {what}"


def change(subject: str, what: str) -> str:
    """A repair reason: ``<subject> <what>``, ``what`` a past-tense phrase.

    A phrase starting with ``was`` takes ``were`` for coordinates.

    >>> change("dead", THOUSANDS_REMOVED)
    'dead had its thousands separator removed'
    >>> change("geometry", "was made valid (Self-intersection)")
    'geometry was made valid (Self-intersection)'
    """
    if what.startswith("was "):
        what = f"{_verb(subject, False)} {what[4:]}"
    return f"{subject} {what}"


# --------------------------------------------------------------------------- cells


def is_missing(values: pd.Series) -> np.ndarray:
    """True where a cell is absent (None, NaN) or holds a missing marker (:data:`MISSING_MARKERS`)."""
    s = pd.Series(values, dtype=object).reset_index(drop=True)
    absent = s.isna().to_numpy(dtype=bool)
    texts = s.where(~absent, "").map(lambda v: str(v).strip().lower())
    return absent | texts.isin(MISSING_MARKERS).to_numpy(dtype=bool)


def cells(values: pd.Series) -> pd.Series:
    """The cells as stripped text (object dtype), None where missing (:func:`is_missing`)."""
    missing = is_missing(values)
    out = [None if m else str(v).strip() for v, m in zip(pd.Series(values, dtype=object).tolist(), missing)]
    return pd.Series(out, index=values.index, dtype=object)


def text(values: pd.Series) -> pd.Series:
    """A text column (``string``): stripped of surrounding whitespace, missing markers → ``<NA>``.

    Otherwise verbatim (a ``<script>`` stays a ``<script>``: escaping is the renderer's job).
    """
    return cells(values).astype("string")


def _unique_apply(func: Callable[[pd.Series], tuple], values: pd.Series) -> list[np.ndarray]:
    """Apply a column parser to the distinct values only and spread its results back.

    Sources repeat values a lot (34,273 rows, 196 months); parsing each distinct text once
    keeps ingest fast without changing what is parsed.
    """
    keys = pd.Series(values, dtype=object)
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    has_na = bool((codes < 0).any())
    distinct = pd.Series(list(uniques) + ([None] if has_na else []), dtype=object)
    results = func(distinct)
    idx = np.where(codes < 0, len(uniques), codes)
    spread = []
    for r in results:
        arr = r.to_numpy() if isinstance(r, pd.Series) else np.asarray(r)
        spread.append(arr[idx])
    return spread


# --------------------------------------------------------------------------- numbers


def _numbers(
    values: pd.Series, ledger: Ledger, field: str, *, whole: bool, negative_ok: bool, required: bool
) -> np.ndarray:
    texts = cells(values)
    written = texts.copy()
    missing = texts.isna().to_numpy(dtype=bool)
    grouped = np.array([t is not None and THOUSANDS.fullmatch(t) is not None for t in texts.tolist()], dtype=bool)
    if grouped.any():
        texts = texts.copy()
        texts[grouped] = [t.replace(",", "") for t in texts[grouped].tolist()]
        ledger.repair(grouped, change(field, THOUSANDS_REMOVED), values=written)
    v = pd.to_numeric(texts, errors="coerce").astype(float).to_numpy()
    bad = np.zeros(len(v), dtype=bool)

    def rule(mask: np.ndarray, what: str) -> None:
        mask = mask & ~bad
        ledger.quarantine(mask, problem(field, what), values=written)
        bad[:] |= mask

    if required:
        rule(missing, MISSING)
    rule(~missing & np.isnan(v), NOT_A_NUMBER)
    with np.errstate(invalid="ignore"):
        rule(np.isinf(v), NOT_FINITE)
        if whole:
            rule(np.abs(v) > MAX_COUNT, TOO_LARGE)
        if not negative_ok:
            rule(v < 0, NEGATIVE)
        if whole:
            rule(np.isfinite(v) & (v != np.round(v)), NOT_WHOLE)
    return np.where(bad, np.nan, v)


def counts(values: pd.Series, ledger: Ledger, field: str, *, required: bool = False) -> pd.Series:
    """Whole non-negative numbers (``Int64``): dead, missing, persons, arrivals, encounters …

    Parameters
    ----------
    values
        The cells (text or numbers).
    ledger
        The ingest's ledger, one entry per cell.
    field
        The subject of the reasons: the layer column the counts fill.
    required
        A missing count quarantines the row (``F is missing``); else it stays missing.

    Returns
    -------
    Series of Int64
        Missing where the cell was missing or broke a rule (see the module table).
    """
    v = _numbers(values, ledger, field, whole=True, negative_ok=False, required=required)
    return pd.Series(np.round(v), index=values.index, dtype="float64").astype("Int64")


def measures(
    values: pd.Series,
    ledger: Ledger,
    field: str,
    *,
    negative_ok: bool = True,
    required: bool = False,
    scale: float = 1.0,
) -> pd.Series:
    """Real numbers (``float64``): heights, ranges, slopes, temperatures, rates …

    Parameters
    ----------
    values, ledger, field, required
        As in :func:`counts`.
    negative_ok
        False for measures that cannot be negative (heights, ranges, swaths, rates,
        proportions): a negative value quarantines the row (``F is negative``).
    scale
        Factor to the layer's unit (0.3048 for feet → metres).
    """
    v = _numbers(values, ledger, field, whole=False, negative_ok=negative_ok, required=required)
    return pd.Series(v * scale, index=values.index, dtype="float64")


# --------------------------------------------------------------------------- dates and booleans


def dates(
    values: pd.Series, ledger: Ledger, field: str, *, required: bool = False, date_format: str | None = None
) -> tuple[pd.Series, np.ndarray]:
    """Dates (``datetime64[ns]``, time of day dropped) and their precision.

    Parameters
    ----------
    values
        Date texts in the layouts of :mod:`borderscape.layers.dates`.
    ledger, field, required
        As in :func:`counts`; an unreadable date quarantines the row (``F is not a date``).
    date_format
        A strptime pattern every date must match (``%m/%d/%Y %H:%M:%S``); a date that does
        not is quarantined ``F is not a date in the format FMT``.  None: the layouts.

    Returns
    -------
    dates : Series of datetime64[ns]
    precision : ndarray of object
        ``day``, ``month``, ``year`` or None.
    """
    texts = cells(values)
    parsed, precision, errors = _unique_apply(lambda v: parse_dates(v, date_format), texts)
    out = pd.Series(parsed, index=values.index, dtype="datetime64[ns]")
    missing = texts.isna().to_numpy(dtype=bool)
    if required:
        ledger.quarantine(missing, problem(field, MISSING))
    why = problem(field, NOT_A_DATE) + (f" in the format {date_format}" if date_format else "")
    ledger.quarantine(np.array([e is not None for e in errors], dtype=bool), why, values=texts)
    return out, np.asarray(precision, dtype=object)


_BOOLEANS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}


def booleans(values: pd.Series, ledger: Ledger, field: str, *, required: bool = False) -> pd.Series:
    """True/false cells (``boolean``): ``true false yes no 1 0`` in any case."""
    texts = cells(values)
    missing = texts.isna().to_numpy(dtype=bool)
    out = texts.map(lambda t: None if t is None else _BOOLEANS.get(t.lower()))
    if required:
        ledger.quarantine(missing, problem(field, MISSING))
    ledger.quarantine(~missing & out.isna().to_numpy(dtype=bool), problem(field, NOT_BOOLEAN), values=texts)
    return out.astype("boolean")


# --------------------------------------------------------------------------- coordinates and geometries


def coordinates(values: pd.Series, ledger: Ledger, subject: str = "coordinates") -> tuple[np.ndarray, np.ndarray]:
    """One coordinate per cell (decimal degrees; decimal, decimal-comma or DMS text).

    Returns the values (NaN where missing or unreadable) and where the text was unreadable
    (quarantined ``<subject> are unreadable``).
    """
    texts = cells(values)
    parsed, errors = _unique_apply(parse_column, texts)
    unreadable = texts.notna().to_numpy(dtype=bool) & np.array([e is not None for e in errors], dtype=bool)
    ledger.quarantine(unreadable, problem(subject, UNREADABLE), values=texts)
    return np.where(unreadable, np.nan, parsed.astype(float)), unreadable


def dms_coordinates(
    degrees: pd.Series,
    minutes: pd.Series | None,
    seconds: pd.Series | None,
    hemisphere: pd.Series | None,
    ledger: Ledger,
    *,
    axis: str,
    subject: str = "coordinates",
) -> tuple[np.ndarray, np.ndarray]:
    """One coordinate from separate degree, minute, second and hemisphere columns.

    The parts of a row are joined (:func:`borderscape.layers.coords.join_dms`) and read by
    :func:`coordinates` — the one DMS reader — so ``31``, ``20``, ``15``, ``N`` is
    ``31°20'15"N`` = 31 + 20/60 + 15/3600.  Minutes and seconds are optional (0); without a
    hemisphere the sign of the degrees holds.  A hemisphere of the other ``axis`` (``E`` for
    a latitude) or not a hemisphere makes the row unreadable.

    Returns
    -------
    values : ndarray of float
        Decimal degrees, NaN where missing or unreadable.
    unreadable : ndarray of bool
    """
    joined = join_dms(
        cells(degrees),
        None if minutes is None else cells(minutes),
        None if seconds is None else cells(seconds),
        None if hemisphere is None else cells(hemisphere),
        axis=axis,
    )
    return coordinates(joined, ledger, subject)


def coordinate_pairs(
    values: pd.Series, ledger: Ledger, subject: str = "coordinates"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``"lat, lon"`` (or WKT ``POINT (lon lat)``) cells → latitude, longitude, unreadable mask."""
    texts = cells(values)
    lat, lon, errors = _unique_apply(parse_pair_column, texts)
    unreadable = texts.notna().to_numpy(dtype=bool) & np.array([e is not None for e in errors], dtype=bool)
    ledger.quarantine(unreadable, problem(subject, UNREADABLE), values=texts)
    return (
        np.where(unreadable, np.nan, lat.astype(float)),
        np.where(unreadable, np.nan, lon.astype(float)),
        unreadable,
    )


def wkt_geometries(values: pd.Series, ledger: Ledger) -> gpd.GeoSeries:
    """WKT cells (lon-first) → geometries (EPSG:4326); unreadable text quarantined ``geometry is unreadable``."""
    texts = cells(values).tolist()
    geoms = np.full(len(texts), None, dtype=object)
    bad = np.zeros(len(texts), dtype=bool)
    for i, t in enumerate(texts):
        if t is None:
            continue
        try:
            geoms[i] = shapely.from_wkt(t)
        except (shapely.errors.GEOSException, ValueError, TypeError):
            bad[i] = True
    ledger.quarantine(bad, problem("geometry", UNREADABLE))
    return gpd.GeoSeries(geoms, crs=WGS84, index=values.index)


def locate(
    lat: np.ndarray,
    lon: np.ndarray,
    ledger: Ledger,
    region: tuple[float, float, float, float] | None,
    *,
    required: bool = True,
    subject: str = "coordinates",
    unreadable: np.ndarray | None = None,
) -> tuple[gpd.GeoSeries, np.ndarray, np.ndarray, np.ndarray]:
    """Points (EPSG:4326) from parsed coordinates, checked against ``region``.

    Swapped or sign-flipped coordinates are repaired (the candidates of
    :func:`borderscape.layers.coords.check_region`); rows that cannot be placed get no
    geometry and are quarantined with the reason (module table).  Rows whose text was
    ``unreadable`` already carry that reason and get no second one.

    Parameters
    ----------
    lat, lon
        Decimal degrees, NaN where missing.
    ledger
        The ingest's ledger.
    region
        Expected (west, south, east, north) in degrees; None: the whole Earth.
    required
        Rows with neither latitude nor longitude are quarantined (``coordinates are
        missing``); when False they stay, without a point and without a reason.
    subject
        ``coordinates``, or e.g. ``detection coordinates`` for a second position.
    unreadable
        Rows whose coordinate text could not be read.

    Returns
    -------
    geometry : GeoSeries
        None where not located.
    located : ndarray of bool
    lat, lon : ndarray of float
        After repair; NaN where not located.
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    explained = np.zeros(len(lat), dtype=bool) if unreadable is None else np.asarray(unreadable, dtype=bool)
    check = check_region(lat, lon, region or WORLD)
    pairs = pd.Series(
        [None if np.isnan(a) and np.isnan(b) else f"{a:g}, {b:g}" for a, b in zip(lat, lon)], dtype=object
    )
    present = ~np.isnan(lat) & ~np.isnan(lon) & ~((lat == 0) & (lon == 0))
    whole = _whole_columns(lat, lon, present)
    for name in whole:
        ledger.warn(
            f"every {name} of the {subject} is a whole number: if only the degrees column was mapped, map "
            f"{name[:3]}_deg, {name[:3]}_min, {name[:3]}_sec (and {name[:3]}_hemi) instead, or one DMS text column"
        )
    repaired = np.array([r is not None for r in check.repair], dtype=bool)
    n_present = int(present.sum())
    most = n_present >= REPAIR_SHARE_MIN_ROWS and repaired.sum() > REPAIR_SHARE_MAX * n_present
    if repaired.any() and (whole or most):
        why = "whole-degree positions are never moved" if whole else "it would touch most rows"
        refused = problem(subject, f"{OUTSIDE_REGION} (repair refused: {why})")
        ledger.warn(
            f"{int(repaired.sum())} of {n_present} located rows lie outside the expected region and would need a "
            f"swap or sign flip; not repaired ({why}): quarantined. Check the column mapping (latitude and "
            "longitude, degrees/minutes/seconds) and the hemisphere (a missing W or S, or a minus sign)"
        )
        ledger.quarantine(repaired, refused, values=pairs)
        check.problem[repaired] = "refused"
        check.repair[repaired] = None
    for what in sorted({r for r in check.repair if r is not None}):
        ledger.repair(check.repair == what, change(subject, _REGION_REPAIRS[what]), values=pairs)
    half = np.isnan(lat) != np.isnan(lon)
    ledger.quarantine(half & ~explained, problem(subject, INCOMPLETE), values=pairs)
    for why in sorted({p for p in check.problem if p is not None and p != "refused"}):
        mask = check.problem == why
        if why == "missing coordinates":
            mask = mask & ~half & ~explained
            if not required:
                continue
        ledger.quarantine(mask, problem(subject, _REGION_PROBLEMS[why]), values=pairs)
    ok = np.array([p is None for p in check.problem], dtype=bool)
    lat_ok, lon_ok = np.where(ok, check.lat, np.nan), np.where(ok, check.lon, np.nan)
    points = np.array([shapely.Point(x, y) if k else None for x, y, k in zip(lon_ok, lat_ok, ok)], dtype=object)
    return gpd.GeoSeries(points, crs=WGS84), ok, lat_ok, lon_ok


def _whole_columns(lat: np.ndarray, lon: np.ndarray, present: np.ndarray) -> list[str]:
    """``latitude``/``longitude`` when every one of at least two located values is a whole number."""
    if present.sum() < 2:
        return []
    return [
        name for name, v in (("latitude", lat), ("longitude", lon)) if bool(np.all(v[present] == np.round(v[present])))
    ]


def _within(geom: Any, box: Any, world: Any) -> tuple[bool, bool]:
    """(inside ±180°/±90°, meets the region box) for one geometry."""
    return bool(shapely.covers(world, geom)), bool(shapely.intersects(geom, box))


def check_geometries(
    geometry: gpd.GeoSeries, ledger: Ledger, region: tuple[float, float, float, float] | None
) -> gpd.GeoSeries:
    """Geometries (EPSG:4326) checked row by row, decisions recorded in ``ledger``.

    Absent or empty geometries are quarantined (``geometry is missing``).  Points are
    checked by :func:`locate`.  An invalid line or polygon is made valid with
    ``shapely.make_valid(method="structure")`` (the area its rings enclose) and the repair
    names GEOS's reason; lines and polygons beyond ±180°/±90° or not meeting ``region``
    are tried with the same swaps and sign flips as points, and quarantined when none fits.

    Returns
    -------
    GeoSeries
        The checked geometries (None where quarantined for their geometry), same index.
    """
    geoms = np.asarray(geometry.values, dtype=object).copy()
    n = len(geoms)
    absent = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    ledger.quarantine(absent, problem("geometry", MISSING))
    geoms[absent] = None
    is_point = ~absent & (shapely.get_type_id(geoms) == 0)
    if is_point.any():
        # rows that are not points have no coordinates here: with required=False they get no reason
        points_only = np.where(is_point, geoms, np.array(None, dtype=object))
        lat = np.where(is_point, shapely.get_y(points_only), np.nan)
        lon = np.where(is_point, shapely.get_x(points_only), np.nan)
        nan_point = is_point & (np.isnan(lat) | np.isnan(lon))
        ledger.quarantine(nan_point, problem("geometry", MISSING))
        points, ok, _, _ = locate(lat, lon, ledger, region, required=False, unreadable=nan_point)
        geoms[is_point] = np.where(ok, points.to_numpy(), None)[is_point]
    other = np.flatnonzero(~absent & ~is_point)
    if len(other):
        valid = shapely.is_valid(geoms[other])
        for i in other[~valid]:
            why = shapely.is_valid_reason(geoms[i])
            fixed = shapely.make_valid(geoms[i], method="structure", keep_collapsed=False)
            if fixed is None or fixed.is_empty:
                ledger.quarantine_row(int(i), problem("geometry", CANNOT_BE_MADE_VALID))
                geoms[i] = None
            else:
                geoms[i] = fixed
                ledger.repair(np.arange(n) == i, change("geometry", f"was made valid ({why})"))
        world = shapely.box(*WORLD)
        box = shapely.box(*(region or WORLD))
        present = other[~shapely.is_missing(geoms[other])]
        fits = shapely.covers(world, geoms[present]) & shapely.intersects(geoms[present], box)
        for i in present[~fits]:
            in_world, _ = _within(geoms[i], box, world)
            for what, fix in CANDIDATES:
                moved = shapely.transform(geoms[i], lambda xy, fix=fix: np.column_stack(fix(xy[:, 1], xy[:, 0])[::-1]))
                if all(_within(moved, box, world)):
                    geoms[i] = moved
                    ledger.repair(np.arange(n) == i, change("coordinates", _REGION_REPAIRS[what]))
                    break
            else:
                ledger.quarantine_row(int(i), problem("coordinates", OUTSIDE_REGION if in_world else OUT_OF_RANGE))
                geoms[i] = None
    return gpd.GeoSeries(geoms, crs=WGS84, index=geometry.index)


# --------------------------------------------------------------------------- column names


def snake(name: object) -> str:
    """A column name in lower snake case (``Surface Management`` → ``surface_management``)."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_") or "column"


def tidy_columns(frame: pd.DataFrame, rename: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with tidy column names.

    A name is looked up (stripped, lower-cased) in ``rename``, else made :func:`snake`;
    names of the ledger columns and ``geometry`` get the prefix ``source_``; two columns
    that tidy to one name keep both (``_2`` …).
    """
    names: list[str] = []
    for col in frame.columns:
        key = str(col).strip().lower()
        name = (rename or {}).get(key) or snake(col)
        if name in LEDGER_COLUMNS or name == "geometry":
            name = f"source_{name}"
        while name in names:
            name += "_2"
        names.append(name)
    out = frame.copy()
    out.columns = names
    return out


# --------------------------------------------------------------------------- duplicates

#: The words of an exact duplicate's reason (``row is a duplicate of row N``; read back by
#: :mod:`borderscape.analyses.region`, which never counts such a row).
DUPLICATE_OF = "a duplicate of row"


def exact_duplicates(raw: pd.DataFrame, ledger: Ledger, geometry: gpd.GeoSeries | None = None) -> int:
    """Quarantine rows equal in every raw cell (and geometry) to an earlier row: ``row is a duplicate of row N``.

    The one rule for exact duplicates, run once per ledger whichever reader calls it first
    (a reader, :func:`borderscape.layers.readers_us.check_sensors`, or :func:`finish` given
    ``raw``).  Cells are compared as written (a missing cell equals a missing cell); N is the
    first such row.  With ``geometry`` (a vector file, whose geometry is not a cell) rows
    without a geometry are never duplicates: they are quarantined already.

    Returns
    -------
    int
        Rows quarantined as duplicates here (0 when the ledger was checked before).
    """
    if ledger.duplicates_checked:
        return 0
    ledger.duplicates_checked = True
    n = len(raw)
    if n < 2:
        return 0
    keys = pd.DataFrame({f"c{j}": raw.iloc[:, j].to_numpy(dtype=object) for j in range(raw.shape[1])}).astype(str)
    unplaced = np.zeros(n, dtype=bool)
    if geometry is not None:
        geoms = np.asarray(geometry.values, dtype=object)
        keys["geometry"] = shapely.to_wkb(geoms, hex=True)
        unplaced = shapely.is_missing(geoms)
    if keys.shape[1] == 0:
        return 0
    group = keys.groupby(list(keys.columns), sort=False, dropna=False).ngroup().to_numpy()
    group = np.where(unplaced, group.max(initial=0) + 1 + np.arange(n), group)
    _, first_of, which = np.unique(group, return_index=True, return_inverse=True)
    first = first_of[which]
    later = np.flatnonzero(first != np.arange(n))
    for i in later:
        ledger.quarantine_row(int(i), problem("row", f"{DUPLICATE_OF} {int(first[i])}"))
        ledger.duplicate_of[int(i)] = int(first[i])
    return len(later)


def likely_duplicates(dates: pd.Series, geometry: gpd.GeoSeries, ledger: Ledger) -> list[tuple[int, int]]:
    """(row, earlier row) pairs with the same date and point position to :data:`SAME_POSITION_DEG`.

    Rows already quarantined as exact duplicates are left out; the pairs are recorded in the
    ledger (the report's ``likely_duplicates``) and the rows are kept: two people can be
    found together on one day.
    """
    geoms = np.asarray(geometry.values, dtype=object)
    day = pd.to_datetime(pd.Series(dates).reset_index(drop=True), errors="coerce")
    is_point = ~shapely.is_missing(geoms) & (shapely.get_type_id(geoms) == 0)
    candidates = np.flatnonzero(is_point & day.notna().to_numpy())
    candidates = np.array([i for i in candidates if int(i) not in ledger.duplicate_of], dtype=np.int64)
    if len(candidates) < 2:
        return []
    pts = geoms[candidates]
    key = pd.DataFrame(
        {
            "d": day.to_numpy()[candidates],
            "x": np.round(shapely.get_x(pts) / SAME_POSITION_DEG).astype(np.int64),
            "y": np.round(shapely.get_y(pts) / SAME_POSITION_DEG).astype(np.int64),
        }
    )
    group = key.groupby(["d", "x", "y"], sort=False).ngroup().to_numpy()
    _, first_of, which = np.unique(group, return_index=True, return_inverse=True)
    first = candidates[first_of[which]]
    pairs = [(int(i), int(f)) for i, f in zip(candidates, first) if i != f]
    ledger.likely_duplicates.extend(pairs)
    return pairs


# --------------------------------------------------------------------------- finishing


def finish(
    source: str,
    kind: str,
    frame: pd.DataFrame,
    ledger: Ledger,
    *,
    geometry: gpd.GeoSeries | None = None,
    removed: Sequence[str] = (),
    notes: Sequence[str] = (),
    raw: pd.DataFrame | None = None,
) -> Layer:
    """The layer of a reader: its columns, the checked geometry and the ledger.

    Duplicates are decided here for every reader: given ``raw``, rows equal in every raw
    cell to an earlier row are quarantined (:func:`exact_duplicates`, unless the reader ran
    it already); in a ``deaths`` layer, located rows with the same date and position as an
    earlier row are listed as likely duplicates and kept (:func:`likely_duplicates`).

    Parameters
    ----------
    source
        Catalog id (or the kind, for a file with no catalog entry).
    kind
        ``deaths``, ``sensors``, ``context`` or ``table``.
    frame
        One row per input record, in input order.
    ledger
        The ledger of the ingest.
    geometry
        EPSG:4326 geometries (None for tables).
    removed
        Personal columns removed from the layer.
    notes
        What the reader decided, for the report.
    raw
        The input's cells (every column, personal ones included: compared, never stored),
        for exact duplicates.

    Returns
    -------
    Layer
        Schema columns first, then the reader's, then ``geometry``, ``row``, ``status``,
        ``reason``; the report from the ledger (``files`` filled in by
        :func:`borderscape.layers.ingest.ingest`).
    """
    notes = list(notes)
    if raw is not None:
        n_dup = exact_duplicates(raw.reset_index(drop=True), ledger, geometry)
        if n_dup:
            notes.append(f"{n_dup} row(s) are exact duplicates of an earlier row: quarantined, so each counts once")
    out = pd.DataFrame(frame).reset_index(drop=True)
    if kind == "deaths" and geometry is not None and "date" in out.columns:
        pairs = likely_duplicates(out["date"], geometry.reset_index(drop=True), ledger)
        if pairs:
            shown = ", ".join(f"row {a} ~ row {b}" for a, b in pairs[:10]) + (" …" if len(pairs) > 10 else "")
            notes.append(
                f"{len(pairs)} row(s) have the same date and position (to {SAME_POSITION_DEG:g}°) as an earlier row "
                f"but other fields differ ({shown}): likely duplicates, kept (people can be found together); "
                "listed in likely_duplicates — check the source"
            )
    if kind in SCHEMAS:
        out = conform(out, kind)
        first = list(SCHEMAS[kind])
        out = pd.DataFrame(out[first + [c for c in out.columns if c not in first]])
    if geometry is not None:
        out = gpd.GeoDataFrame(out, geometry=geometry.reset_index(drop=True).values, crs=WGS84)
    out = ledger.annotate(out)
    report = ledger.report(source=source, files=[], removed_columns=list(removed), notes=list(notes))
    return Layer(source=source, kind=kind, frame=out, report=report)


def finish_raster(
    source: str, raster: Any, quarantined: Mapping[str, np.ndarray], *, notes: Sequence[str] = ()
) -> RasterLayer:
    """The layer of a grid: one ledger entry per cell.

    Parameters
    ----------
    source
        Catalog id.
    raster
        The checked :class:`borderscape.geo.raster.Raster`.
    quarantined
        Reason (worded with :func:`problem`) → mask of the cells it quarantines.
    notes
        What the reader decided.
    """
    n = int(raster.array.size)
    bad = np.zeros(raster.array.shape, dtype=bool)
    reasons: dict[str, int] = {}
    for why, mask in quarantined.items():
        count = int(np.count_nonzero(mask))
        if count:
            reasons[why] = count
        bad |= np.asarray(mask, dtype=bool)
    q = int(bad.sum())
    report = QualityReport(
        source=source,
        files=[],
        rows_read=n,
        kept=n - q,
        repaired=0,
        quarantined=q,
        reasons=dict(sorted(reasons.items())),
        notes=list(notes),
    )
    return RasterLayer(source=source, raster=raster, report=report)


__all__ = [
    "MISSING_MARKERS",
    "THOUSANDS",
    "booleans",
    "cells",
    "change",
    "check_geometries",
    "coordinate_pairs",
    "coordinates",
    "counts",
    "dates",
    "dms_coordinates",
    "exact_duplicates",
    "finish",
    "finish_raster",
    "is_missing",
    "likely_duplicates",
    "locate",
    "measures",
    "problem",
    "snake",
    "text",
    "tidy_columns",
    "wkt_geometries",
]
