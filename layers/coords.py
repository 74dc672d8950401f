"""Parsing coordinates in every form the sources use, and checking them against the region
a source is expected to cover.

Accepted forms of one coordinate: decimal degrees (``-110.9281``, ``32,175`` with a decimal
comma), degrees–minutes–seconds (``32°10'30.4"N``, ``32 10 30.4 N``, ``110d55m41sW``,
``W 110 55.7``; separate degree/minute/second/hemisphere cells are joined into that text by
:func:`join_dms`), and of a pair: one ``"lat, lon"`` string (IOM's ``location_coodinates``)
or WKT ``POINT (lon lat)``.

These functions parse values and never touch a ledger: what a reader records about a
coordinate (unreadable, missing, repaired, outside the region) is decided once, in
:func:`borderscape.layers.parse.locate`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

_DECIMAL = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_HEMI = re.compile(r"[NSEWnsew]")
_DMS_NUMBERS = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_WKT_POINT = re.compile(r"^\s*POINT\s*(?:Z\s*)?\(\s*([^\s,()]+)\s+([^\s,()]+)(?:\s+[^\s,()]+)?\s*\)\s*$", re.I)


def parse_coordinate(value: object) -> float:
    """One coordinate in decimal degrees.

    Parameters
    ----------
    value
        A number, or text in decimal or degrees–minutes–seconds form.  A hemisphere letter
        (N, S, E, W) before or after the numbers sets the sign (S and W negative).

    Returns
    -------
    float
        Decimal degrees.

    Raises
    ------
    ValueError
        When the text is not a coordinate (empty, several hemispheres, minutes ≥ 60 …).
    """
    if value is None:
        raise ValueError("missing coordinate")
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        v = float(value)
        if math.isnan(v):
            raise ValueError("missing coordinate")
        return v
    text = str(value).strip()
    if not text:
        raise ValueError("missing coordinate")
    if _DECIMAL.match(text):
        return float(text.replace(",", "."))
    # lower-case d, m, s right after a digit are unit markers (110d55m41sW); every other
    # N, S, E, W is a hemisphere
    text_units = re.sub(r"(?<=\d)[dms]", " ", text)
    hemis = _HEMI.findall(text_units)
    # letters other than hemispheres and the unit marks are not part of a coordinate
    stripped = re.sub(r"[NSEWnsew°º˚'′’\"″”:\s]", " ", text_units)
    if re.search(r"[^\d\s.,+-]", stripped) or len(hemis) > 1:
        raise ValueError(f"not a coordinate: {text[:40]!r}")
    numbers = _DMS_NUMBERS.findall(stripped)
    if not 1 <= len(numbers) <= 3:
        raise ValueError(f"not a coordinate: {text[:40]!r}")
    parts = [float(n.replace(",", ".")) for n in numbers]
    negative = parts[0] < 0 or text.lstrip().startswith("-")
    deg = abs(parts[0])
    minutes = parts[1] if len(parts) > 1 else 0.0
    seconds = parts[2] if len(parts) > 2 else 0.0
    if not (0 <= minutes < 60 and 0 <= seconds < 60) or any(p < 0 for p in parts[1:]):
        raise ValueError(f"minutes and seconds must lie in [0, 60): {text[:40]!r}")
    result = deg + minutes / 60.0 + seconds / 3600.0
    if hemis and hemis[0].upper() in "SW":
        negative = True
    return -result if negative else result


_HEMISPHERES = {
    "lat": {"n": "N", "north": "N", "s": "S", "south": "S"},
    "lon": {"e": "E", "east": "E", "w": "W", "west": "W"},
}


def join_dms(
    degrees: pd.Series,
    minutes: pd.Series | None = None,
    seconds: pd.Series | None = None,
    hemisphere: pd.Series | None = None,
    *,
    axis: str,
) -> pd.Series:
    """Separate degree, minute, second and hemisphere cells → one DMS text per row.

    The text is read by :func:`parse_coordinate` (the one DMS reader): ``31``, ``20``,
    ``15``, ``N`` → ``"31 20 15 N"``.  Missing minutes or seconds are 0; a missing
    hemisphere leaves the sign of the degrees.  A hemisphere that does not belong to
    ``axis`` (``lat``: N, S, North, South; ``lon``: E, W, East, West) or degrees with a
    fraction next to minutes or seconds give a text :func:`parse_coordinate` refuses, which
    says why.

    Parameters
    ----------
    degrees, minutes, seconds, hemisphere
        Cells as text (None where missing); only ``degrees`` is required.
    axis
        ``lat`` or ``lon``.

    Returns
    -------
    Series of object
        None where the degrees are missing.
    """
    if axis not in _HEMISPHERES:
        raise ValueError(f"axis must be 'lat' or 'lon', not {axis!r}")
    n = len(degrees)

    def listed(col: pd.Series | None) -> list:
        return [None] * n if col is None else [None if v is None or v != v else str(v).strip() for v in col.tolist()]

    out: list[str | None] = []
    for d, m, sec, h in zip(listed(degrees), listed(minutes), listed(seconds), listed(hemisphere)):
        if not d:
            out.append(None)
            continue
        parts = [d, m or "0", sec or "0"]
        text = " ".join(parts)
        if (m or sec) and re.search(r"[.,]\d*[1-9]", d):
            text += " (degrees with a fraction and minutes)"
        if h:
            letter = _HEMISPHERES[axis].get(h.lower())
            text += (
                f" {letter}" if letter else f" {h} (not a {'latitude' if axis == 'lat' else 'longitude'} hemisphere)"
            )
        out.append(text)
    return pd.Series(out, index=degrees.index, dtype=object)


def parse_pair(value: object) -> tuple[float, float]:
    """A ``(lat, lon)`` pair from one text field.

    Accepts ``"lat, lon"`` (comma, semicolon or whitespace separated; IOM's layout) and WKT
    ``POINT (lon lat)`` (note the lon-first order of WKT).

    Raises
    ------
    ValueError
        When the text holds no pair.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise ValueError("missing coordinates")
    text = str(value).strip()
    if not text:
        raise ValueError("missing coordinates")
    m = _WKT_POINT.match(text)
    if m:
        return parse_coordinate(m.group(2)), parse_coordinate(m.group(1))
    for sep in (";", ",", None):
        parts = text.split(sep) if sep else text.split()
        parts = [p for p in (q.strip() for q in parts) if p]
        if len(parts) == 2:
            try:
                return parse_coordinate(parts[0]), parse_coordinate(parts[1])
            except ValueError:
                continue
    raise ValueError(f"not a 'lat, lon' pair: {text[:60]!r}")


def parse_column(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse a column of coordinates.

    Returns
    -------
    values : ndarray of float
        Decimal degrees, NaN where the text could not be parsed.
    errors : ndarray of object
        ``None`` where parsing worked, else the reason.
    """
    out = np.full(len(values), np.nan)
    errors = np.empty(len(values), dtype=object)
    numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    for i, (v, num) in enumerate(zip(values.tolist(), numeric)):
        if not math.isnan(num):
            out[i] = num
            continue
        try:
            out[i] = parse_coordinate(v)
        except ValueError as exc:
            errors[i] = str(exc)
    return out, errors


def parse_pair_column(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse a column of ``"lat, lon"`` or WKT strings into (lat, lon, errors)."""
    lat = np.full(len(values), np.nan)
    lon = np.full(len(values), np.nan)
    errors = np.empty(len(values), dtype=object)
    for i, v in enumerate(values.tolist()):
        try:
            lat[i], lon[i] = parse_pair(v)
        except ValueError as exc:
            errors[i] = str(exc)
    return lat, lon, errors


def decimals(values: pd.Series) -> np.ndarray:
    """Number of decimal places written in each raw coordinate text (−1 when missing)."""
    out = np.full(len(values), -1, dtype=np.int64)
    for i, v in enumerate(values.tolist()):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        text = str(v).strip()
        if not text:
            continue
        m = re.search(r"[.,](\d+)\s*$", text)
        out[i] = len(m.group(1)) if m else 0
    return out


@dataclass(frozen=True)
class RegionCheck:
    """Outcome of :func:`check_region` for every row.

    ``lat`` and ``lon`` are the repaired coordinates; ``repair`` holds what was changed
    (or ``None``) and ``problem`` why the row cannot be located (or ``None``).
    """

    lat: np.ndarray
    lon: np.ndarray
    repair: np.ndarray
    problem: np.ndarray


#: Repairs tried, in order, on coordinates outside the expected region: (what, (lat, lon) → (lat, lon)).
CANDIDATES: tuple[tuple[str, Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]], ...] = (
    ("latitude and longitude swapped", lambda a, b: (b, a)),
    ("longitude sign flipped", lambda a, b: (a, -b)),
    ("latitude sign flipped", lambda a, b: (-a, b)),
    ("latitude and longitude swapped, longitude sign flipped", lambda a, b: (b, -a)),
    ("latitude and longitude sign flipped", lambda a, b: (-a, -b)),
)


def _inside(lat: np.ndarray, lon: np.ndarray, region: tuple[float, float, float, float]) -> np.ndarray:
    west, south, east, north = region
    with np.errstate(invalid="ignore"):
        return (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)


def check_region(lat: np.ndarray, lon: np.ndarray, region: tuple[float, float, float, float]) -> RegionCheck:
    """Detect swapped or sign-flipped coordinates against the region a source covers.

    For each row outside ``region`` (west, south, east, north in degrees) the candidates
    "latitude and longitude swapped", "longitude sign flipped", "latitude sign flipped" and
    their combinations are tried, in that order; the first that falls inside the region is
    taken as the repair.  Rows that no candidate places inside are flagged with the problem
    (``missing coordinates``, ``coordinates out of range`` or ``outside the expected region``);
    (0, 0) is always a problem.

    Parameters
    ----------
    lat, lon
        Decimal degrees (NaN for missing).
    region
        Expected bounding box (west, south, east, north).
    """
    lat = np.asarray(lat, dtype=float).copy()
    lon = np.asarray(lon, dtype=float).copy()
    n = len(lat)
    repair = np.full(n, None, dtype=object)
    problem = np.full(n, None, dtype=object)
    missing = np.isnan(lat) | np.isnan(lon)
    problem[missing] = "missing coordinates"
    null_island = ~missing & (lat == 0) & (lon == 0)
    problem[null_island] = "coordinates are (0, 0)"
    ok = ~missing & ~null_island & _inside(lat, lon, region)
    todo = ~missing & ~null_island & ~ok
    for what, fix in CANDIDATES:
        if not todo.any():
            break
        cand_lat, cand_lon = fix(lat, lon)
        hit = todo & _inside(cand_lat, cand_lon, region)
        lat[hit], lon[hit] = cand_lat[hit], cand_lon[hit]
        repair[hit] = what
        todo &= ~hit
    with np.errstate(invalid="ignore"):
        out_of_range = todo & ((np.abs(lat) > 90) | (np.abs(lon) > 180))
    problem[out_of_range] = "coordinates out of range"
    problem[todo & ~out_of_range] = "outside the expected region"
    return RegionCheck(lat, lon, repair, problem)
