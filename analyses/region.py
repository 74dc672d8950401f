"""The one rule for which records of a study count: inside its region and its period.

A study has one region (``[region] bbox``, west, south, east, north in degrees, EPSG:4326, its
edges included) and one period (``[periods] start`` … ``end``, both days included, dates compared
by day).  :func:`select` applies them to a point layer (deaths, incidents) and gives every row left
out exactly one reason, tested in this order:

1. ``quarantined`` — the ingest quarantined the row (:func:`borderscape.layers.quality.usable`):
   its position is not trusted.  Counting analyses (deaths per month) may instead test a
   quarantined row by its recorded point (``quarantined="by point"``): a wrong position does not
   make a death less real, but a death recorded elsewhere is not one of the region's, and a row
   that repeats an earlier one (an exact duplicate) is never counted;
2. ``unlocated`` — no geometry (missing or empty);
3. ``outside the study region`` — its position lies outside the bounding box;
4. ``undated`` — no date;
5. ``before the study period`` / ``after the study period``.

Every analysis (the batteries' hypotheses), table, figure and map of a run selects records with
this rule; one that needs a narrower window (H4: the months of the encounter series) applies the
rule first and states its own window.  The counts go into ``results.json`` (``records``) so that
nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

#: The reasons a row is left out, in the order they are tested (a row gets the first that applies).
REASONS = (
    "quarantined",
    "unlocated",
    "outside the study region",
    "undated",
    "before the study period",
    "after the study period",
)
#: Layer roles whose rows are records (points counted by the analyses), reported in ``results.json``.
RECORD_ROLES = ("deaths", "incidents")


@dataclass(frozen=True)
class Selection:
    """Which rows of a layer count for a study.

    Attributes
    ----------
    keep
        One boolean per row of the layer's frame: True when the row counts.
    reason
        One entry per row: the reason it is left out (one of :data:`REASONS`), or None when kept.
    window
        The period applied (first and last day), or None when the period was not applied.
    """

    keep: np.ndarray
    reason: np.ndarray
    window: tuple[dt.date, dt.date] | None

    @property
    def counts(self) -> dict[str, int]:
        """``read`` (rows of the layer), ``inside`` (rows kept) and the rows left out by reason
        (every reason of :data:`REASONS`, zero included); the reasons and ``inside`` sum to ``read``."""
        out = {"read": int(self.keep.size), "inside": int(self.keep.sum())}
        for r in REASONS:
            out[r] = int(np.count_nonzero(self.reason == r))
        return out

    @property
    def excluded(self) -> dict[str, int]:
        """The rows left out, by reason (:data:`REASONS`)."""
        c = self.counts
        return {r: c[r] for r in REASONS}


def _frame(layer: Any) -> pd.DataFrame:
    return layer.frame if hasattr(layer, "frame") else layer


def day_window(study: Any, start: Any = None, end: Any = None) -> tuple[dt.date, dt.date]:
    """The first and last day of the study period, or of ``start`` … ``end`` where given."""
    first = pd.Timestamp(study.start if start is None else start).date()
    last = pd.Timestamp(study.end if end is None else end).date()
    return first, last


def in_period(dates: Any, study: Any, start: Any = None, end: Any = None) -> np.ndarray:
    """True where a date lies in the study period (or ``start`` … ``end``), both days included,
    compared by day; NaT is outside."""
    first, last = day_window(study, start, end)
    d = pd.Series(pd.to_datetime(dates)).dt.normalize()
    return ((d >= pd.Timestamp(first)) & (d <= pd.Timestamp(last))).to_numpy(dtype=bool)


def located_inside(frame: pd.DataFrame, bbox: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Which rows have a geometry (``located``) and which of those intersect ``bbox`` (degrees,
    edges included), the geometry taken in EPSG:4326.

    Raises
    ------
    CRSError
        A frame with geometries but no CRS (coordinates are never guessed).
    """
    import geopandas as gpd
    import shapely

    from borderscape.geo.crs import require_crs

    n = len(frame)
    if not isinstance(frame, gpd.GeoDataFrame):
        return np.zeros(n, bool), np.zeros(n, bool)
    geom = np.asarray(frame.geometry.values, dtype=object)
    located = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    inside = np.zeros(n, bool)
    if located.any():
        require_crs(frame, name="records")
        lonlat = gpd.GeoSeries(geom[located], crs=frame.crs).to_crs("EPSG:4326").values
        inside[located] = shapely.intersects(shapely.box(*bbox), np.asarray(lonlat, dtype=object))
    return located, inside


def select(
    study: Any,
    layer: Any,
    *,
    period: bool = True,
    start: Any = None,
    end: Any = None,
    quarantined: Literal["exclude", "by point"] = "exclude",
    unlocated: Literal["exclude", "keep"] = "exclude",
) -> Selection:
    """The rows of a point layer inside the study's region and period (see the module).

    Parameters
    ----------
    study
        The study (``bbox``, ``start``, ``end``).
    layer
        A layer or its (Geo)DataFrame; dates in ``date``, status in ``status`` (ingest).  A plain
        table without geometry (a list of deaths that has no positions at all) is not tested for
        the region: the study that names it says it is the region's.
    period
        Apply the period (False: the region only, e.g. undated background points).
    start, end
        A narrower window than the study period (an analysis states it in its method).
    quarantined
        ``"exclude"`` (location analyses) or ``"by point"`` (counts: a quarantined row counts
        when its recorded point lies inside the region).
    unlocated
        ``"exclude"`` (default) or ``"keep"``: a non-spatial analysis of a layer whose source
        gives many rows no position (Frontex incidents for M4) counts them; it must say how many.

    Returns
    -------
    Selection
        ``keep`` per row, the ``reason`` of every row left out and the counts.
    """
    frame = _frame(layer)
    n = len(frame)
    reason = np.full(n, None, dtype=object)
    if "status" in frame.columns:
        q = (frame["status"] == "quarantined").fillna(False).to_numpy(dtype=bool)
    else:
        q = np.zeros(n, bool)
    if quarantined == "by point" and "reason" in frame.columns:
        from borderscape.layers.parse import DUPLICATE_OF

        # a repeat of an earlier row is never a second record, whatever its point
        repeat = frame["reason"].astype("string").str.contains(DUPLICATE_OF, regex=False).fillna(False)
        reason[q & repeat.to_numpy(dtype=bool)] = "quarantined"
    if quarantined == "exclude":
        reason[q] = "quarantined"
    import geopandas as gpd

    if isinstance(frame, gpd.GeoDataFrame):
        located, inside = located_inside(frame, study.bbox)
        open_ = reason == None  # noqa: E711 (element-wise)
        if unlocated == "exclude":
            reason[open_ & ~located] = "unlocated"
        open_ = reason == None  # noqa: E711
        reason[open_ & located & ~inside] = "outside the study region"
    window = None
    if period:
        window = day_window(study, start, end)
        dates = pd.to_datetime(frame["date"]) if "date" in frame.columns else pd.Series(pd.NaT, index=frame.index)
        d = dates.dt.normalize().to_numpy()
        dated = ~pd.isna(d)
        first, last = (np.datetime64(pd.Timestamp(w)) for w in window)
        with np.errstate(invalid="ignore"):
            before = dated & (d < first)
            after = dated & (d > last)
        for mask, why in ((~dated, "undated"), (before, "before the study period"), (after, "after the study period")):
            open_ = reason == None  # noqa: E711
            reason[open_ & mask] = why
    keep = reason == None  # noqa: E711
    return Selection(np.asarray(keep, dtype=bool), reason, window)


def inside(study: Any, layer: Any, **options: Any) -> tuple[pd.DataFrame, dict[str, int]]:
    """The rows of a layer that count (:func:`select` with ``options``) and the rows left out by reason.

    Returns
    -------
    (records, excluded)
        The kept rows (every column, the layer's CRS; ``date`` as datetime64 when present) and
        :attr:`Selection.excluded`.
    """
    frame = _frame(layer)
    sel = select(study, frame, **options)
    out = frame[sel.keep].copy()
    if "date" in out.columns:
        out["date"] = pd.to_datetime(out["date"])
    return out, sel.excluded


def record_counts(study: Any, layers: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The counts of :func:`select` for every record layer of a run (roles :data:`RECORD_ROLES`
    present in ``layers``), for ``results.json`` and provenance: ``read``, ``inside``, the reasons,
    and the ``region`` and ``period`` applied."""
    out: dict[str, dict[str, Any]] = {}
    for role in RECORD_ROLES:
        layer = layers.get(role)
        frame = None if layer is None else _frame(layer)
        if frame is None or not hasattr(frame, "geometry") or "date" not in frame.columns:
            continue
        sel = select(study, frame)
        first, last = sel.window or day_window(study)
        out[role] = {
            **sel.counts,
            "region": [float(v) for v in study.bbox],
            "period": [first.isoformat(), last.isoformat()],
        }
    return out


def summary_line(counts: Mapping[str, Mapping[str, Any]]) -> str:
    """One line of :func:`record_counts` for a briefing or run summary, e.g. ``deaths: 523 of 553
    records inside the study region and period (30 outside the study region)``; "" when empty."""
    parts = []
    for role, c in counts.items():
        out = [f"{c[r]:,} {r}" for r in REASONS if c.get(r)]
        text = f"{role}: {c['inside']:,} of {c['read']:,} records inside the study region and period"
        parts.append(text + (f" ({', '.join(out)})" if out else ""))
    return "; ".join(parts)
