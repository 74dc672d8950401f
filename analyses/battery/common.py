"""What several hypotheses of the battery share: one rule for each.

* :class:`Section` — what one hypothesis returns;
* which records count (:func:`records`, :func:`records_on_grid`, :func:`precise_deaths`,
  :func:`in_period`) and how those left out are reported (:func:`with_excluded`);
* periods: :func:`period_bounds` (the one rule that cuts a span of dates at interventions),
  :func:`period_label`, :func:`hotspot_bounds`, :func:`intervention_windows` (one :class:`Window`
  per intervention month, :func:`split_month`), :func:`split_date`;
* why a test is skipped: :func:`missing` (a layer is absent) and :func:`reason` (a typed error);
* the study's settings: :func:`settings`, :func:`sea_settings`, :func:`pandolf_params`,
  :func:`viewshed_options`, and the routes of the sea battery (:data:`ROUTES`);
* the share of cells that are Gi* hot spots (:func:`hot_cells`), for H5 and M5.

Hypothesis modules import this module, :mod:`borderscape.analyses.results`, the statistics
(:mod:`borderscape.analyses.stats`), :mod:`~borderscape.analyses.sensors`,
:mod:`~borderscape.analyses.routes`, :mod:`~borderscape.analyses.sea`, the inputs and the
study — never :mod:`borderscape.analyses.battery` itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from borderscape.analyses import region
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome, StatResult
from borderscape.analyses.stats.hotspots import GiStar, fdr_bh, hot_share
from borderscape.analyses.study import Study
from borderscape.geo.errors import BorderscapeError
from borderscape.geo.nearest import nearest
from borderscape.geo.raster import Raster
from borderscape.layers.readers_med import COARSE

#: How to supply the layers that a study's own files rarely hold, keyed by role: (flag, remedy).
REMEDIES = {
    "towers": (
        "--towers",
        "pass a tower file with `--towers FILE` (e.g. EFF's Atlas of Surveillance border-tower "
        "CSV, with longitude/latitude, kind and dates), or name one under [layers] towers",
    ),
    "dem": (
        "--dem",
        "pass an elevation model with `--dem FILE` (a GeoTIFF: Copernicus GLO-90 via "
        "`borderscape fetch dem-copernicus --bbox W,S,E,N`, or USGS 3DEP), or name one under [layers] dem",
    ),
}

#: A split date less than this many days after the previous period boundary does not split.
MIN_PERIOD_DAYS = 31

#: Study-file names of the Pandolf parameters → the cost model's names.


@dataclass(frozen=True, eq=False)
class Section:
    """What one hypothesis produced: its outcomes and the tables and rasters behind them."""

    outcomes: list[Outcome]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    rasters: dict[str, Raster] = field(default_factory=dict)


# -- settings ------------------------------------------------------------------------------------


def settings(study: Study) -> dict[str, Any]:
    """``[parameters.statistics]``: ``confidence`` (0.95), ``permutations`` (999; also the number
    of bootstrap resamples where a test says so) and ``fdr_alpha`` (0.05)."""
    s = study.params.statistics
    return {"confidence": s.confidence, "permutations": s.permutations, "fdr_alpha": s.fdr_alpha}


@dataclass(frozen=True)
class RouteSpec:
    """Which columns of the IOM monthly table (``iom-med-monthly``) make a route's rate.

    ``crossings = sum(arrivals) + sum(interceptions) + deaths``; a month counts when the
    deaths and the first arrivals column are present and no component is negative; other
    missing components count as 0 (so the rate is an upper bound in those months).
    """

    label: str
    arrivals: tuple[str, ...]
    interceptions: tuple[str, ...]
    deaths: str
    iom_route: str
    lacking: str


#: Routes of the IOM monthly compilation (column names of ``iom-med-monthly``).
ROUTES: dict[str, RouteSpec] = {
    "central": RouteSpec(
        "Central Mediterranean (Libya, Tunisia → Italy, Malta)",
        ("sea_arrivals_in_italy", "sea_arrivals_in_malta"),
        ("interceptions_by_libyan_coast_guard", "interceptions_by_tunisian_coast_guard"),
        "cmr",
        "Central Mediterranean",
        "Malta arrivals are complete only from 2019 and Libyan interceptions start in 2016: missing "
        "components count as 0, so earlier rates are upper bounds.",
    ),
    "western": RouteSpec(
        "Western Mediterranean (Morocco, Algeria → mainland Spain)",
        ("wmr_sea_arrivals",),
        ("interceptions_by_algerian_coast_guard",),
        "wmr",
        "Western Mediterranean",
        "Moroccan interceptions are not in the compilation and Algerian ones start in 2020; land arrivals at "
        "Ceuta and Melilla are left out (not sea crossings): the denominator is too small and rates are upper bounds.",
    ),
    "atlantic": RouteSpec(
        "Western Africa–Atlantic (→ Canary Islands)",
        ("waar",),
        (),
        "waar_1",
        "Western Africa / Atlantic route to the Canary Islands",
        "No interceptions (Moroccan, Mauritanian, Senegalese coast guards) are in the compilation and Canary "
        "arrivals are sparse before 2018: the denominator is too small and rates are upper bounds.",
    ),
}


def sea_settings(study: Study) -> dict[str, Any]:
    """The sea battery's settings: ``[parameters.maritime]`` (``routes``, ``iom_routes``,
    ``departure_coasts``, ``window_months``, ``exclude_years``, ``target_height_m``, ``lacking``,
    ``hotspot_permutations``, ``denominator``, ``change_periods`` as timestamps, ``min_per_month``)
    with :func:`settings` and ``[parameters.statistics]`` ``min_months`` and ``trend_autocorrelation``."""
    m = study.params.maritime
    routes = list(m.routes)
    return {
        "routes": routes,
        "iom_routes": list(m.iom_routes)
        if m.iom_routes is not None
        else [ROUTES[r].iom_route for r in routes if r in ROUTES],
        "departure_coasts": [{"name": c.name, "bbox": list(c.bbox)} for c in m.departure_coasts],
        "window_months": m.window_months,
        "exclude_years": list(m.exclude_years),
        "target_height_m": m.target_height_m,
        "lacking": {str(k): str(v) for k, v in m.lacking.items()},
        **settings(study),
        "hotspot_permutations": m.hotspot_permutations,
        "denominator": m.denominator,
        "change_periods": None if m.change_periods is None else [pd.Timestamp(d) for d in m.change_periods],
        "min_per_month": m.min_per_month,
        "min_months": study.params.statistics.min_months,
        "trend_autocorrelation": study.params.statistics.trend_autocorrelation,
    }


def hotspot_grid(study: Study, points: gpd.GeoDataFrame | gpd.GeoSeries) -> tuple[float, float]:
    """The Gi* grid of H5 and M5 and of the study-area figure: (cell side, distance band) in metres.

    ``[parameters.statistics] hotspot_cell_m`` and ``hotspot_band_m``; when not set, a tenth of the
    longer side of the points' extent (in their projected CRS; 1 km when they have no extent) and
    1.5 cells.
    """
    s = study.params.statistics
    cell = s.hotspot_cell_m
    if cell is None:
        xmin, ymin, xmax, ymax = points.total_bounds if len(points) else (0.0, 0.0, 0.0, 0.0)
        cell = max(xmax - xmin, ymax - ymin) / 10.0 or 1000.0
    band = s.hotspot_band_m if s.hotspot_band_m is not None else 1.5 * cell
    return float(cell), float(band)


def pandolf_params(study: Study) -> dict[str, float]:
    """The walker of ``[parameters.cost]`` as Pandolf's W (``body_mass_kg``), L (``load_kg``),
    V (``speed_m_s``) and η (``terrain_factor``)."""
    c = study.params.cost
    return {"W": c.body_mass_kg, "L": c.load_kg, "V": c.speed_m_s, "eta": c.terrain_factor}


def viewshed_options(study: Study) -> dict[str, Any]:
    """Target height (m, default 1.7), curvature and refraction (0.13) from ``[parameters.viewshed]``."""
    v = study.params.viewshed
    return dict(target_height=v.target_height_m, curvature=v.curvature, refraction=v.refraction)


# -- skip reasons ----------------------------------------------------------------------------------


def missing(study: Study, inputs: StudyInputs, *roles: str) -> str | None:
    """Why a test that needs ``roles`` cannot run: None when every role is present.

    Otherwise, in this order: what the study says its region lacks
    (``[parameters.maritime.lacking]``, role → text), the reasons of the missing roles
    (:meth:`~borderscape.analyses.inputs.StudyInputs.why_missing`), and the command-line remedy
    of a role that has one (:data:`REMEDIES`) when the reason does not name it yet.
    """
    base = inputs.why_missing(*roles)
    if base is None:
        return None
    absent = [r for r in roles if inputs.get(r) is None]
    lacking = study.params.maritime.lacking
    said = " ".join(lacking[r] for r in absent if r in lacking)
    text = f"{said} {base}".strip()
    extra = [REMEDIES[r][1] for r in absent if r in REMEDIES and REMEDIES[r][0] not in text]
    return text if not extra else text + " To run it: " + "; ".join(extra) + "."


def reason(exc: BorderscapeError) -> str:
    """A typed error as one line of a skip reason: its message, then what to do."""
    return " ".join(str(exc).split())


# -- records ----------------------------------------------------------------------------------------


def frame_of(layer: Any) -> pd.DataFrame:
    """The frame of a layer (or the frame itself)."""
    return layer.frame if hasattr(layer, "frame") else layer


def in_period(dates: Any, study: Study) -> np.ndarray:
    """True where a date lies in the study period, ``[periods] start`` … ``end``, both days
    included (dates are compared by day; NaT is outside): :func:`borderscape.analyses.region.in_period`."""
    return region.in_period(dates, study)


#: Why a record with whole-degree coordinates is left out of a location analysis (:func:`records`).
CENTROIDS = "whole-degree coordinates (regional centroids)"


def centroid_mask(frame: pd.DataFrame) -> np.ndarray:
    """True for the rows whose position is a regional centroid, not a site: ``location_precision`` is
    :data:`borderscape.layers.readers_med.COARSE` (IOM: latitude and longitude both whole degrees),
    or ``coord_decimals`` is 0 (a coordinate written without decimals)."""
    coarse = np.zeros(len(frame), dtype=bool)
    if "location_precision" in frame.columns:
        coarse |= (frame["location_precision"] == COARSE).fillna(False).to_numpy(dtype=bool)
    if "coord_decimals" in frame.columns:
        coarse |= (pd.to_numeric(frame["coord_decimals"], errors="coerce") == 0).fillna(False).to_numpy(dtype=bool)
    return coarse


def records(
    study: Study, layer: Any, *, centroids: bool = False, **options: Any
) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """The records of a point layer that count for a study: the one region-and-period rule of
    :func:`borderscape.analyses.region.select` (``options`` are passed on to it).

    A record counts when it is usable (not quarantined by the ingest,
    :func:`borderscape.layers.quality.usable`), has a point, lies inside the study's bounding box
    ``[region] bbox`` (its edges included) and is dated inside the study period (:func:`in_period`).
    The analyses of where records lie leave out regional centroids (:func:`centroid_mask`: IOM
    records with whole-degree coordinates, which can be tens of kilometres from the site) unless
    ``centroids``; they are counted under :data:`CENTROIDS`.

    Returns
    -------
    (records, excluded)
        The records (every column, the layer's CRS, ``date`` as datetime64) and the number of
        rows left out, by reason (:data:`borderscape.analyses.region.REASONS`, and :data:`CENTROIDS`
        when the layer records location precision): nothing is dropped silently.
    """
    kept, excluded = region.inside(study, frame_of(layer), **options)
    if centroids or not {"location_precision", "coord_decimals"} & set(kept.columns):
        return kept, excluded
    coarse = centroid_mask(kept)
    return kept[~coarse], {**excluded, CENTROIDS: int(coarse.sum())}


def records_on_grid(study: Study, layer: Any, dem: Raster) -> tuple[pd.DataFrame, dict[str, int]]:
    """The :func:`records` of a layer that lie on a valid cell of ``dem``, in date order.

    Returns
    -------
    (records, notes)
        Columns ``date`` (datetime64[D]), ``x``, ``y`` (m, the DEM's CRS), ``row``, ``col``,
        sorted by date, x and y; and the counts: ``records`` (rows of the layer),
        ``quarantined``, the reasons of :func:`records`, ``outside the DEM`` and ``used``.
    """
    frame = frame_of(layer)
    kept, excluded = records(study, frame)
    notes: dict[str, int] = {"records": len(frame), **excluded}
    pts = kept.geometry.to_crs(dem.crs)
    x, y = pts.x.to_numpy(), pts.y.to_numpy()
    r, c = dem.rowcol(x, y)
    on = (r >= 0) & (r < dem.shape[0]) & (c >= 0) & (c < dem.shape[1])
    on[on] = dem.valid_mask()[r[on], c[on]]
    notes["outside the DEM"] = int((~on).sum())
    out = pd.DataFrame(
        {"date": kept["date"].to_numpy(dtype="datetime64[D]")[on], "x": x[on], "y": y[on], "row": r[on], "col": c[on]}
    )
    out = out.sort_values(["date", "x", "y"], kind="stable").reset_index(drop=True)
    notes["used"] = len(out)
    return out, notes


def precise_deaths(study: Study, inputs: StudyInputs, iom_routes: Sequence[str]) -> tuple[gpd.GeoDataFrame, str]:
    """The incidents of the ``deaths`` layer (IOM) that count for a sea study and have precise positions.

    The :func:`records` of the layer on the IOM routes ``iom_routes`` (all when empty), less
    those with whole-degree coordinates (regional centroids: ``location_precision`` is
    :data:`borderscape.layers.readers_med.COARSE`, or ``coord_decimals`` is 0).

    Returns
    -------
    (incidents, note)
        The incidents (EPSG:4326 as ingested) and a note saying how many were left out.
    """
    f, _ = records(study, inputs.get("deaths"), centroids=True)
    if "route" in f.columns and iom_routes:
        f = f[f["route"].isin(list(iom_routes))]
    coarse = centroid_mask(f)
    note = (
        f"{int(coarse.sum())} of {len(f)} incident(s) on {', '.join(iom_routes) or 'all routes'} inside the study "
        "box have whole-degree (centroid) coordinates and are left out."
    )
    return f[~coarse], note


def with_excluded(outcomes: list[Outcome], excluded: Mapping[str, int]) -> list[Outcome]:
    """The outcomes that ran, with the counts of records left out (:func:`records`) in their
    parameters under ``excluded_records``."""
    return [
        dataclasses.replace(o, parameters={**o.parameters, "excluded_records": dict(excluded)})
        if o.status == "ran"
        else o
        for o in outcomes
    ]


def nearest_values(
    points: gpd.GeoDataFrame, source: gpd.GeoDataFrame, columns: list[str], tolerance_m: float
) -> pd.DataFrame:
    """Values of the nearest ``source`` point within ``tolerance_m`` metres (NaN beyond), per point
    (:func:`borderscape.geo.nearest.nearest`, in the points' CRS)."""
    src = source.to_crs(points.crs)
    index, _ = nearest(np.asarray(points.geometry.values), np.asarray(src.geometry.values), max_distance=tolerance_m)
    found = index >= 0
    out = pd.DataFrame(np.nan, index=points.index, columns=columns)
    for c in columns:
        values = np.full(len(points), np.nan)
        values[found] = src[c].to_numpy(dtype=np.float64)[index[found]]
        out[c] = values
    return out


def ran(id: str, result: StatResult, name: str, **extra: Any) -> Outcome:
    """:meth:`Outcome.ran` with a name and extra parameters."""
    outcome = Outcome.ran(id, result, name=name)
    return dataclasses.replace(outcome, parameters={**outcome.parameters, **extra})


# -- periods ----------------------------------------------------------------------------------------


def split_date(study: Study) -> dt.date | None:
    """The pre/post split date: ``[parameters.hardship] split`` or the study's first intervention."""
    value = study.params.hardship.split
    if value is not None:
        return pd.Timestamp(value).date()
    return min((i.date for i in study.interventions), default=None)


def period_bounds(study: Study, first: Any, last: Any, *, dates: Sequence[Any] | None = None) -> list[pd.Timestamp]:
    """Boundaries of the periods that cut the days ``first`` … ``last`` (both included) at dates.

    ``[first, t_1, …, t_k, last + 1 day]``: period j runs from boundary j to the day before
    boundary j + 1.  The split dates ``t`` are ``dates`` (default: the study's interventions)
    that lie in ``(first, last]``, in order; a date less than :data:`MIN_PERIOD_DAYS` days after
    the previous boundary does not split (e.g. two interventions a day apart make one boundary).
    """
    first, last = pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize()
    split = (
        [pd.Timestamp(d) for d in dates] if dates is not None else [pd.Timestamp(i.date) for i in study.interventions]
    )
    bounds = [first]
    for t in sorted(set(split)):
        if first < t <= last and (t - bounds[-1]).days >= MIN_PERIOD_DAYS:
            bounds.append(t)
    bounds.append(last + pd.Timedelta(days=1))
    return bounds


def period_label(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """``YYYY-MM-DD/YYYY-MM-DD``: the first and the last day of the period ``[start, end)``."""
    return f"{start.date()}/{(end - pd.Timedelta(days=1)).date()}"


def hotspot_bounds(study: Study, first: Any, last: Any) -> list[pd.Timestamp]:
    """The periods of the hot spots (H5, M5): :func:`period_bounds` at ``[parameters.statistics]
    hotspot_periods`` (a list of ``"YYYY-MM-DD"``), by default at the study's interventions."""
    given = study.params.statistics.hotspot_periods
    return period_bounds(study, first, last, dates=list(given) if given else None)


def split_month(date: Any) -> pd.Timestamp:
    """The first day of the month nearest ``date``: a date on day 1–15 splits at its own month, a later
    one at the next (2014-10-31 and 2014-11-01 both split monthly data at 2014-11)."""
    t = pd.Timestamp(date).normalize()
    first = t.replace(day=1)
    return first if t.day <= 15 else first + pd.DateOffset(months=1)


class Window(NamedTuple):
    """A comparison around one split: ``label`` (the first intervention's date), the window
    ``[start, end)`` and its ``split`` (first days of months), the interventions merged into it
    (``names``, ``dates``), and ``cut``: the denominator breaks that shortened it, or that coincide
    with the split (``coincides``)."""

    label: str
    start: pd.Timestamp
    split: pd.Timestamp
    end: pd.Timestamp
    names: tuple[str, ...]
    dates: tuple[dt.date, ...]
    cut: tuple[pd.Timestamp, ...] = ()
    coincides: bool = False


def intervention_windows(study: Study, dates: pd.Series, months: int, *, breaks: Sequence[Any] = ()) -> list[Window]:
    """One :class:`Window` per split month of the interventions inside the span of ``dates``
    (after the first date's month, up to the last date): ``months`` calendar months on each side.

    Interventions are split at the month nearest their date (:func:`split_month`); those that split
    at the same month merge into one window (no duplicated comparison).  A window is cut at every
    date of ``breaks`` (denominator breaks, :func:`denominator_breaks`) strictly inside it; a break
    on the split itself leaves the window whole and sets ``coincides``.
    """
    out: list[Window] = []
    if dates.empty:
        return out
    first, last = pd.Timestamp(dates.min()), pd.Timestamp(dates.max())
    groups: dict[pd.Timestamp, list[Any]] = {}
    for item in sorted(study.interventions, key=lambda i: i.date):
        if first < pd.Timestamp(item.date) <= last:
            groups.setdefault(split_month(item.date), []).append(item)
    cuts = sorted({split_month(b) for b in breaks})
    for t0, items in sorted(groups.items()):
        if t0 <= first.replace(day=1).normalize():
            continue
        start, end = t0 - pd.DateOffset(months=months), t0 + pd.DateOffset(months=months)
        used = []
        for b in cuts:
            if start < b < t0:
                start, used = b, [*used, b]
            elif t0 < b < end:
                end, used = b, [*used, b]
        out.append(
            Window(
                items[0].date.isoformat(),
                start,
                t0,
                end,
                tuple(i.name for i in items),
                tuple(i.date for i in items),
                tuple(used),
                t0 in cuts,
            )
        )
    return out


# -- hot spots ----------------------------------------------------------------------------------------


def hot_cells(
    res: GiStar,
    alpha: float,
    confidence: float,
    *,
    blocks: np.ndarray,
    seed: np.random.Generator,
    resamples: int,
) -> tuple[StatResult, np.ndarray, pd.Series]:
    """The share of grid cells that are Gi* hot spots in one period: a description, not a test.

    Cells are hot when their Gi* is positive and significant under Benjamini–Hochberg FDR
    control at ``alpha`` (:meth:`~borderscape.analyses.stats.hotspots.GiStar.classify`).
    Estimate: the share of hot cells; interval: spatial block bootstrap of the cells in the
    square ``blocks``, never narrower than Clopper–Pearson over the cells
    (:func:`~borderscape.analyses.stats.hotspots.hot_share`; Lahiri 2003), since hot cells come in
    clumps and a Clopper–Pearson interval over cells alone is too narrow (both kept in
    ``parameters``).  No p-value: remains cluster along routes whatever
    surveillance does, so "some cell is hot" is not the question (``p_value`` is NaN; the per-cell
    p- and q-values are in the cells table).

    Returns
    -------
    (result, q, hot)
        The result (``n`` the number of cells), the BH q-values and the classification
        (+1 hot, −1 cold, 0) per cell.
    """
    fdr = fdr_bh(res.p, alpha)
    hot = res.classify(alpha)
    share = hot_share((hot == 1).to_numpy(), blocks, seed=seed, resamples=resamples, confidence=confidence)
    result = StatResult(
        name="share of grid cells that are Gi* hot spots",
        estimate=share.share,
        ci=share.ci,
        p_value=float("nan"),
        n=share.cells,
        method=(
            res.method + f"; hot: z > 0 and Benjamini–Hochberg (1995) q <= {alpha:g} over the cells; interval of the "
            "share: " + share.interval
        ),
        parameters={
            "hot_cells": share.hot,
            "cold_cells": int((hot == -1).sum()),
            "blocks": share.blocks,
            "block_bootstrap_ci": None if share.block_bootstrap is None else list(share.block_bootstrap),
            "clopper_pearson_ci": list(share.clopper_pearson),
            "smallest_cell_p": float(np.min(res.p)),
        },
    )
    return result, np.asarray(fdr.q), hot


# -- what else changed: shocks, denominator breaks, composition -----------------------------------------


def shock_caveats(study: Study, *dates: Any) -> tuple[str, ...]:
    """The caveats of a comparison split at ``dates``: every shock of the study (``[[periods.shocks]]``,
    not a denominator break) within ``[parameters.statistics] shock_window_months`` of one of them,
    named with its date and note."""
    window = study.params.statistics.shock_window_months
    out: list[str] = []
    for shock in study.shocks:
        if shock.denominator:
            continue
        t = pd.Timestamp(shock.date)
        near = [pd.Timestamp(d) for d in dates if abs((t - pd.Timestamp(d)).days) <= window * 30.44]
        if near:
            note = f" ({shock.note})" if shock.note else ""
            out.append(
                f"{shock.name} ({shock.date.isoformat()}) falls within {window} months of the split "
                f"({', '.join(str(d.date()) for d in near)}): the change cannot be told apart from it{note}."
            )
    return tuple(out)


def denominator_breaks(study: Study) -> list[pd.Timestamp]:
    """The dates at which a source enters or leaves a denominator (``[[periods.shocks]]`` with
    ``denominator = true``), in order: time windows are cut at them."""
    return sorted(pd.Timestamp(s.date) for s in study.shocks if s.denominator)


def composition(before: pd.DataFrame, after: pd.DataFrame, variables: Mapping[str, str]) -> tuple[Any, ...]:
    """What else differs between the two sides of a before/after comparison.

    ``variables`` maps a column of ``before``/``after`` to its name in words; for every level of a
    column (missing values left out; a numeric column with more than 8 values is cut at its pooled
    quartiles) the share of each side's records with a known value at that level.  Returns
    :class:`~borderscape.analyses.results.CompositionRow` s in the order of ``variables``.
    """
    from borderscape.analyses.results import CompositionRow

    rows: list[CompositionRow] = []
    for column, label in variables.items():
        if column not in before.columns or column not in after.columns:
            continue
        b, a = before[column], after[column]
        both = pd.concat([b, a], ignore_index=True)
        if pd.api.types.is_numeric_dtype(both) and both.nunique(dropna=True) > 8:
            edges = np.unique(np.nanquantile(both.to_numpy(dtype=float), [0, 0.25, 0.5, 0.75, 1]))
            if len(edges) < 2:
                continue
            b = pd.cut(b.astype(float), edges, include_lowest=True).astype(str).where(b.notna())
            a = pd.cut(a.astype(float), edges, include_lowest=True).astype(str).where(a.notna())
        b, a = b.dropna().astype(str), a.dropna().astype(str)
        if b.empty and a.empty:
            continue
        levels = sorted(set(b) | set(a))
        for level in levels:
            rows.append(
                CompositionRow(
                    variable=label,
                    level=level,
                    before=float((b == level).mean()) if len(b) else float("nan"),
                    after=float((a == level).mean()) if len(a) else float("nan"),
                    n_before=int(len(b)),
                    n_after=int(len(a)),
                )
            )
    return tuple(rows)
