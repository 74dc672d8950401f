"""The maritime battery: surveillance at sea, search-and-rescue regions and deaths at sea.

The sea counterpart of :mod:`borderscape.analyses.funnel` (same contract: each hypothesis
takes ``(study, inputs, rng)`` and returns a :class:`~borderscape.analyses.funnel.Section`):

M1  mortality per crossing by route and month — dead and missing / (arrivals +
    interceptions + dead and missing) — with exact (Clopper–Pearson) intervals, a pooled
    rate per route and an interrupted time series (negative-binomial, log-crossings offset)
    around each dated intervention of the study;
M2  distance of deaths and of detections from the departure coasts and from the coverage
    (operational areas active at the date), over time (Mann–Kendall / Theil–Sen, km per
    year) and before/after each intervention;
M3  the share of incidents inside each search-and-rescue region, per period, and its change
    at each intervention (the Libyan SRR declared on 2018-06-28 among them);
M4  deaths against detection by asset type (Frontex incidents: the share of boats with deaths
    by the class of the detecting asset against vessel-detected boats, risk ratio with the
    Katz interval; deaths per 1000 people on board in the table — a negative-binomial model
    of deaths per person does not converge on these heavy-tailed counts);
M5  hot spots of incidents per period (Gi* on a square grid in the study's projected CRS,
    Benjamini–Hochberg FDR).

Layer roles (``[layers]`` of the study file): ``crossings`` (``iom-med-monthly``),
``deaths`` (``iom-mmp`` or ``iom-mmp-europe``), ``incidents`` (``frontex-incidents``),
``sar_regions`` (``imo-srr``), ``operational_areas`` (``frontex-opareas``), ``coastline``
(``gshhg``), and optionally ``coastal_stations``, ``aerial_tracks`` and ``dem`` for the
coverage of :func:`sea_coverage`.

Parameters (``[parameters.maritime]``): ``routes`` (keys of :data:`ROUTES`), ``iom_routes``
(IOM ``migration_route`` names kept from the deaths layer), ``departure_coasts`` (a list of
``{ name, bbox = [w, s, e, n] }``), ``window_months`` (each side of an intervention, default
24), ``exclude_years`` (years of the crossings table not to use), ``target_height_m``.
``[parameters.statistics]``: ``confidence``, ``permutations``, ``hotspot_cell_m``,
``hotspot_band_m``, ``fdr_alpha``. ``[parameters.maritime.lacking]`` maps a role to what the
study's region lacks (e.g. ``sar_regions = "No SAR polygons for Spain or Morocco ..."``); the
text opens the reason of every outcome skipped for want of that role.

The battery looks at past periods only: it forecasts nothing and ranks no place.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.enums
import rasterio.features
import shapely
import shapely.geometry
from affine import Affine
from pyproj import CRS, Geod
from scipy import stats

from borderscape.analyses.funnel import Outcome, Section
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.hotspots import fdr_bh, gi_star_by_window, square_grid
from borderscape.analyses.models import count_regression
from borderscape.analyses.results import StatResult
from borderscape.analyses.study import Study
from borderscape.analyses.trends import compare_samples, mann_kendall
from borderscape.geo.crs import local_crs
from borderscape.geo.errors import BorderscapeError, InputError
from borderscape.geo.radar import coastal_coverage, swath_count
from borderscape.geo.raster import Raster
from borderscape.layers.quality import usable

#: The WGS84 ellipsoid used for every distance (pyproj.Geod; Karney 2013 geodesics).
GEOD = Geod(ellps="WGS84")

#: ``location_precision`` of IOM rows with whole-degree coordinates (regional centroids).
COARSE = "coarse (whole-degree coordinates)"


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
        "cmr", "Central Mediterranean",
        "Malta arrivals are complete only from 2019 and Libyan interceptions start in 2016: missing "
        "components count as 0, so earlier rates are upper bounds."),
    "western": RouteSpec(
        "Western Mediterranean (Morocco, Algeria → mainland Spain)",
        ("wmr_sea_arrivals",), ("interceptions_by_algerian_coast_guard",), "wmr", "Western Mediterranean",
        "Moroccan interceptions are not in the compilation and Algerian ones start in 2020; land arrivals at "
        "Ceuta and Melilla are left out (not sea crossings): the denominator is too small and rates are upper bounds."),
    "atlantic": RouteSpec(
        "Western Africa–Atlantic (→ Canary Islands)",
        ("waar",), (), "waar_1", "Western Africa / Atlantic route to the Canary Islands",
        "No interceptions (Moroccan, Mauritanian, Senegalese coast guards) are in the compilation and Canary "
        "arrivals are sparse before 2018: the denominator is too small and rates are upper bounds."),
}

#: Detector classes of Frontex incidents (``detector_type`` → class); others are dropped.
DETECTOR_CLASS = {
    "Aerial": "aerial", "EU_Coast_Guard": "vessel", "EU_ops": "vessel", "Ita_ops": "vessel",
    "Commercial": "commercial", "NGO": "ngo", "Call_Ext_report": "distress_call",
    "Coastal_surv": "coastal_surveillance", "Land_patrol": "none_at_sea",
}

#: Columns of the ``mortality_per_crossing`` table (the output contract).
RATE_COLUMNS = ["route", "month", "dead_missing", "crossings", "rate", "ci_low", "ci_high"]


# -- settings ---------------------------------------------------------------------------------

def _settings(study: Study) -> dict[str, Any]:
    p = dict(study.parameters.get("maritime", {}))
    return {
        "routes": list(p.get("routes", ["central"])),
        "iom_routes": list(p.get("iom_routes", [ROUTES[r].iom_route for r in p.get("routes", ["central"]) if r in ROUTES])),
        "departure_coasts": list(p.get("departure_coasts", [])),
        "window_months": int(p.get("window_months", 24)),
        "exclude_years": [int(y) for y in p.get("exclude_years", [])],
        "target_height_m": float(p.get("target_height_m", 2.0)),
        "lacking": {str(k): str(v) for k, v in dict(p.get("lacking", {})).items()},
        "confidence": float(study.parameter("statistics", "confidence", 0.95)),
        "permutations": int(study.parameter("statistics", "permutations", 999)),
        "hotspot_permutations": int(p.get("hotspot_permutations", 9999)),
        "cell_m": float(study.parameter("statistics", "hotspot_cell_m", 25000.0)),
        "band_m": float(study.parameter("statistics", "hotspot_band_m", 50000.0)),
        "fdr_alpha": float(study.parameter("statistics", "fdr_alpha", 0.05)),
    }


def _why(inputs: StudyInputs, s: dict[str, Any], *roles: str) -> str | None:
    """None when every role is present; else what the study says it lacks
    (``[parameters.maritime.lacking]``, role → text) and the reasons of the missing roles."""
    base = inputs.why_missing(*roles)
    if base is None:
        return None
    said = " ".join(s["lacking"][r] for r in roles if inputs.get(r) is None and r in s["lacking"])
    return f"{said} {base}".strip()


def _reason(exc: BorderscapeError) -> str:
    """A typed error as one line of a skip reason: the message, then what to do."""
    return exc.message + (f" What to do: {exc.remedy}" if exc.remedy else "")


def _crs(study: Study) -> CRS:
    if study.crs and study.crs != "auto":
        return CRS.from_user_input(study.crs)
    w, s, e, n = study.bbox
    return local_crs(gpd.GeoSeries([shapely.Point((w + e) / 2, (s + n) / 2)], crs="EPSG:4326"))


def _in_study(study: Study, frame: pd.DataFrame) -> pd.DataFrame:
    """Usable rows with a date and a point inside the study box, between its start and end."""
    f = usable(frame)
    f = f[f.geometry.notna() & ~f.geometry.is_empty & f["date"].notna()]
    w, s, e, n = study.bbox
    x, y = f.geometry.x.to_numpy(), f.geometry.y.to_numpy()
    keep = (x >= w) & (x <= e) & (y >= s) & (y <= n)
    f = f[keep]
    dates = pd.to_datetime(f["date"])
    return f[(dates >= pd.Timestamp(study.start)) & (dates <= pd.Timestamp(study.end))]


def _period_bounds(study: Study, first: pd.Timestamp, last: pd.Timestamp, min_days: int = 31) -> list[pd.Timestamp]:
    """Period boundaries from ``first`` to ``last`` (exclusive end, ``last`` + 1 day) split at the
    interventions inside; an intervention within ``min_days`` of the previous boundary does not split."""
    bounds = [first.normalize()]
    for t in sorted(pd.Timestamp(i.date) for i in study.interventions):
        if first < t <= last and (t - bounds[-1]).days >= min_days:
            bounds.append(t)
    bounds.append(last.normalize() + pd.Timedelta(days=1))
    return bounds


def _windows(study: Study, dates: pd.Series, months: int) -> list[tuple[str, pd.Timestamp, pd.Timestamp, pd.Timestamp]]:
    """(label, start, intervention, end) for each intervention inside the data's span."""
    out = []
    if dates.empty:
        return out
    first, last = dates.min(), dates.max()
    for item in study.interventions:
        t0 = pd.Timestamp(item.date)
        if first < t0 <= last:
            out.append((item.date.isoformat(), t0 - pd.DateOffset(months=months), t0, t0 + pd.DateOffset(months=months)))
    return out


# -- M1: mortality per crossing ----------------------------------------------------------------

def exact_ci(k: np.ndarray, n: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Clopper–Pearson (exact binomial) interval of the proportion ``k / n``.

    ``low = B(a/2; k, n-k+1)``, ``high = B(1-a/2; k+1, n-k)`` with ``B`` the beta quantile
    and ``a = 1 - confidence`` (Clopper & Pearson 1934); ``low = 0`` when ``k = 0`` and
    ``high = 1`` when ``k = n``.

    Parameters
    ----------
    k, n
        Events and trials (counts).
    confidence
        Level of the interval.

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper bounds (proportions).
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    a = 1.0 - confidence
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k > 0, stats.beta.ppf(a / 2, k, n - k + 1), 0.0)
        high = np.where(k < n, stats.beta.ppf(1 - a / 2, k + 1, n - k), 1.0)
    return low, high


def mortality_per_crossing(monthly: pd.DataFrame, routes: Sequence[str], *, exclude_years: Sequence[int] = (),
                           confidence: float = 0.95) -> pd.DataFrame:
    """Monthly deaths per attempted crossing by route, with exact intervals.

    ``rate = dead_missing / crossings``, ``crossings = arrivals + interceptions +
    dead_missing`` (the IOM definition of attempted crossings; columns of each route in
    :data:`ROUTES`). A month is used for a route when its deaths and first arrivals column
    are present and none of its components is negative; other missing components count as
    0. Years in ``exclude_years`` are left out. The interval is Clopper–Pearson
    (:func:`exact_ci`).

    Parameters
    ----------
    monthly
        The ``iom-med-monthly`` table (one row per month, ``date`` the first day).
    routes
        Keys of :data:`ROUTES`.
    exclude_years
        Calendar years not to use (known faulty figures).
    confidence
        Level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RATE_COLUMNS` (``month`` as ``YYYY-MM``), sorted by route and month.
    """
    frames = []
    dates = pd.to_datetime(monthly["date"])
    for key in routes:
        if key not in ROUTES:
            raise InputError(f"unknown route {key!r}", remedy=f"use one of {', '.join(ROUTES)} in [parameters.maritime] routes")
        spec = ROUTES[key]
        cols = list(spec.arrivals) + list(spec.interceptions) + [spec.deaths]
        absent = [c for c in cols if c not in monthly.columns]
        if absent:
            raise InputError(f"the crossings table lacks the columns {absent}",
                             remedy="give the IOM monthly compilation (catalog id iom-med-monthly)")
        values = monthly[cols].apply(pd.to_numeric, errors="coerce").astype(float)
        ok = values[spec.deaths].notna() & values[spec.arrivals[0]].notna() & ~(values < 0).any(axis=1)
        ok &= ~dates.dt.year.isin(list(exclude_years))
        v = values[ok].fillna(0.0)
        deaths = v[spec.deaths].to_numpy()
        crossings = v[list(spec.arrivals) + list(spec.interceptions)].sum(axis=1).to_numpy() + deaths
        keep = crossings > 0
        low, high = exact_ci(deaths[keep], crossings[keep], confidence)
        frames.append(pd.DataFrame({
            "route": key, "month": dates[ok][keep].dt.strftime("%Y-%m").to_numpy(),
            "dead_missing": deaths[keep].astype(np.int64), "crossings": crossings[keep].astype(np.int64),
            "rate": deaths[keep] / crossings[keep], "ci_low": low, "ci_high": high}))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=RATE_COLUMNS)
    return out[RATE_COLUMNS].sort_values(["route", "month"], ignore_index=True)


def _pooled(route: str, table: pd.DataFrame, confidence: float) -> StatResult:
    k, n = int(table["dead_missing"].sum()), int(table["crossings"].sum())
    low, high = exact_ci(np.array([k]), np.array([n]), confidence)
    observed = np.vstack([table["dead_missing"].to_numpy(), (table["crossings"] - table["dead_missing"]).to_numpy()])
    chi2, p, dof, _ = stats.chi2_contingency(observed, correction=False)
    return StatResult(
        name=f"dead and missing per attempted crossing, {route} route, pooled over months",
        estimate=k / n, ci=(float(low[0]), float(high[0])), p_value=float(p), n=n,
        method=("pooled proportion with Clopper–Pearson exact CI (Clopper & Pearson 1934); p-value: Pearson "
                "chi-square test that the monthly rates are equal (heterogeneity over months)"),
        statistic=float(chi2),
        parameters={"months": int(len(table)), "dead_missing": k, "first": table["month"].min(),
                    "last": table["month"].max(), "chi2_dof": int(dof), "confidence": confidence})


def _its(route: str, table: pd.DataFrame, label: str, start: pd.Timestamp, t0: pd.Timestamp, end: pd.Timestamp,
         confidence: float) -> StatResult:
    month = pd.to_datetime(table["month"] + "-01")
    w = table[(month >= start) & (month < end)].copy()
    wm = pd.to_datetime(w["month"] + "-01")
    before, after = int((wm < t0).sum()), int((wm >= t0).sum())
    if before < 6 or after < 6:
        raise InputError(f"only {before} month(s) before and {after} after {label} inside the window",
                         remedy="widen [parameters.maritime] window_months or add data around the date")
    w["t"] = (wm - t0).dt.days.to_numpy() / 365.25
    w["post"] = (wm >= t0).astype(float).to_numpy()
    w["t_post"] = w["t"] * w["post"]
    model = count_regression(w, "dead_missing", ["t", "post", "t_post"], exposure="crossings", family="negbin",
                             confidence=confidence)
    rr = model.rate_ratios[1]
    return StatResult(
        name=f"change in deaths per crossing at {label}, {route} route (rate ratio of the level change)",
        estimate=rr.estimate, ci=rr.ci, p_value=rr.p_value, n=int(len(w)),
        method=("interrupted time series (Wagner et al. 2002) as a negative-binomial (NB2) regression "
                "log E[deaths] = log(crossings) + b0 + b1 t + b2 post + b3 (t - t0) post; estimate exp(b2), Wald CI "
                "(Cameron & Trivedi 2013)"),
        statistic=rr.statistic,
        parameters={"intervention": label, "window_start": start.date().isoformat(), "window_end": end.date().isoformat(),
                    "months_before": before, "months_after": after,
                    "slope_change_rate_ratio_per_year": model.rate_ratios[2].estimate,
                    "alpha_nb2": None if model.alpha is None else model.alpha.estimate, "confidence": confidence})


def m1_mortality(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """M1: deaths per attempted crossing by route and month, pooled, and around interventions.

    Tables: ``mortality_per_crossing`` (:data:`RATE_COLUMNS`). Outcomes: ``M1.<route>`` (pooled
    rate) and ``M1.<route>.its.<date>`` (rate ratio of the level change at each intervention,
    within ``window_months`` each side). ``rng`` is unused (closed-form inference).
    """
    s = _settings(study)
    name = "deaths per attempted crossing by route and month"
    why = _why(inputs, s, "crossings")
    if why:
        return Section([Outcome.skipped("M1", name, why)])
    table = mortality_per_crossing(inputs.get("crossings").frame, s["routes"], exclude_years=s["exclude_years"],
                                   confidence=s["confidence"])
    outcomes: list[Outcome] = []
    for route in s["routes"]:
        rt = table[table["route"] == route]
        spec = ROUTES[route]
        rid = f"M1.{route}"
        if rt.empty:
            outcomes.append(Outcome.skipped(rid, f"{name}: {spec.label}",
                                            f"No month has both {spec.deaths} deaths and {spec.arrivals[0]} arrivals in the "
                                            "crossings table. What to do: give a table with those columns."))
            continue
        note = spec.lacking + (f" Years left out: {s['exclude_years']}." if s["exclude_years"] else "")
        outcomes.append(Outcome.ran(rid, _pooled(route, rt, s["confidence"]), reason=note))
        dates = pd.to_datetime(rt["month"] + "-01")
        for label, start, t0, end in _windows(study, dates, s["window_months"]):
            iname = f"deaths per crossing before/after {label}, {route} route"
            try:
                outcomes.append(Outcome.ran(f"{rid}.its.{label}", _its(route, rt, label, start, t0, end, s["confidence"]),
                                            reason=note))
            except BorderscapeError as exc:  # too few months, or the NB fit did not converge
                outcomes.append(Outcome.skipped(f"{rid}.its.{label}", iname, _reason(exc)))
    return Section(outcomes, tables={"mortality_per_crossing": table})


# -- M2: distances --------------------------------------------------------------------------

def geodesic_distance_to_lines(lon: np.ndarray, lat: np.ndarray, lines: gpd.GeoSeries, *,
                               crs: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shortest geodesic distance (WGS84, metres) from points to polylines, and the nearest point.

    The polylines are their lon/lat vertices joined by straight lon/lat segments (as GSHHG
    draws them). Candidate segments are those within 1.05 × (nearest projected distance)
    + 1 km in ``crs``; on each, the point ``P(s) = A + s (B - A)``, ``0 ≤ s ≤ 1``, that
    minimises the geodesic distance (Karney 2013, ``pyproj.Geod.inv``) is found by golden-section
    search (45 steps); the smallest over candidates is returned.

    Parameters
    ----------
    lon, lat
        Points, decimal degrees.
    lines
        LineStrings or polygon boundaries, EPSG:4326.
    crs
        A projected CRS (metres) to preselect segments.

    Returns
    -------
    tuple of numpy.ndarray
        Distance (m), and lon, lat of the nearest point on the lines.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lines.crs is None or not CRS.from_user_input(lines.crs).equals(CRS.from_epsg(4326)):
        raise InputError("lines must be in EPSG:4326", remedy="reproject them with to_crs('EPSG:4326')")
    coords, index = shapely.get_coordinates(shapely.get_parts(lines.values), return_index=True)
    same = index[1:] == index[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    if len(a) == 0:
        raise InputError("no line segments to measure to", remedy="give lines with at least two vertices")
    if len(lon) == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    ax, ay = tr.transform(a[:, 0], a[:, 1])
    bx, by = tr.transform(b[:, 0], b[:, 1])
    px, py = tr.transform(lon, lat)
    segs = shapely.linestrings(np.stack([np.c_[ax, ay], np.c_[bx, by]], axis=1))
    pts = shapely.points(px, py)
    tree = shapely.STRtree(segs)
    _, d0 = tree.query_nearest(pts, return_distance=True, all_matches=False)
    pi, si = tree.query(pts, predicate="dwithin", distance=d0 * 1.02 + 2000.0)
    # keep, per point, the 3 segments whose point nearest in a local equirectangular frame
    # (x scaled by cos(latitude)) is nearest geodesically
    cosl = np.cos(np.radians(lat[pi]))
    ux, uy = (b[si, 0] - a[si, 0]) * cosl, b[si, 1] - a[si, 1]
    wx, wy = (lon[pi] - a[si, 0]) * cosl, lat[pi] - a[si, 1]
    s_eq = np.clip((ux * wx + uy * wy) / np.maximum(ux * ux + uy * uy, 1e-300), 0.0, 1.0)
    d_eq = GEOD.inv(lon[pi], lat[pi], a[si, 0] + s_eq * (b[si, 0] - a[si, 0]), a[si, 1] + s_eq * (b[si, 1] - a[si, 1]))[2]
    order = np.lexsort((d_eq, pi))
    rank = np.arange(len(order)) - np.searchsorted(pi[order], pi[order], side="left")
    keep = order[rank < 3]
    pi, si = pi[keep], si[keep]
    x0, y0 = a[si, 0], a[si, 1]
    dx, dy = b[si, 0] - x0, b[si, 1] - y0
    plon, plat = lon[pi], lat[pi]

    def dist(s: np.ndarray) -> np.ndarray:
        return GEOD.inv(plon, plat, x0 + s * dx, y0 + s * dy)[2]

    g = (math.sqrt(5) - 1) / 2
    lo, hi = np.zeros(len(pi)), np.ones(len(pi))
    c, d = hi - g * (hi - lo), lo + g * (hi - lo)
    fc, fd = dist(c), dist(d)
    for _ in range(45):
        left = fc < fd
        hi = np.where(left, d, hi)
        lo = np.where(left, lo, c)
        c, d = hi - g * (hi - lo), lo + g * (hi - lo)
        fc, fd = dist(c), dist(d)
    best_s = np.clip((lo + hi) / 2, 0, 1)
    cand = np.stack([np.zeros_like(best_s), best_s, np.ones_like(best_s)])
    dists = np.stack([dist(s) for s in cand])
    pick = np.argmin(dists, axis=0)
    s_best = cand[pick, np.arange(len(pi))]
    d_best = dists[pick, np.arange(len(pi))]
    order = np.lexsort((d_best, pi))
    first = order[np.r_[True, pi[order][1:] != pi[order][:-1]]]
    out_d = np.full(len(lon), np.nan)
    out_x = np.full(len(lon), np.nan)
    out_y = np.full(len(lon), np.nan)
    out_d[pi[first]] = d_best[first]
    out_x[pi[first]] = x0[first] + s_best[first] * dx[first]
    out_y[pi[first]] = y0[first] + s_best[first] * dy[first]
    return out_d, out_x, out_y


def departure_coast(coastline: gpd.GeoDataFrame, coasts: Sequence[dict[str, Any]]) -> gpd.GeoSeries:
    """The shoreline of the departure countries: GSHHG land shorelines (level 1) clipped to
    each box.

    Parameters
    ----------
    coastline
        Ingested ``gshhg`` shorelines (EPSG:4326 lines with ``level``).
    coasts
        ``{"name": ..., "bbox": [west, south, east, north]}`` in degrees, as in the study's
        ``[[parameters.maritime.departure_coasts]]``.

    Returns
    -------
    geopandas.GeoSeries
        LineStrings, EPSG:4326.
    """
    lines = usable(coastline)
    if "level" in lines.columns:
        lines = lines[lines["level"].astype("Int64") == 1]
    parts = []
    for coast in coasts:
        w, s, e, n = (float(v) for v in coast["bbox"])
        clipped = shapely.clip_by_rect(lines.geometry.values, w, s, e, n)
        parts += [g for g in shapely.get_parts(clipped) if not g.is_empty and g.geom_type == "LineString"]
    return gpd.GeoSeries(parts, crs="EPSG:4326")


def distance_to_active_areas(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *, crs: Any) -> np.ndarray:
    """Geodesic distance (m) from each dated point to the nearest operational area active on its
    date (``active_from <= date <= active_to``, NaT = open); 0 inside an area, NaN when none is active.

    Parameters
    ----------
    points
        EPSG:4326 points with a ``date`` column.
    areas
        EPSG:4326 polygons with ``active_from`` / ``active_to``.
    crs
        Projected CRS for the preselection of :func:`geodesic_distance_to_lines`.
    """
    dates = pd.to_datetime(points["date"]).to_numpy()
    af = pd.to_datetime(areas["active_from"]).to_numpy()
    at = pd.to_datetime(areas["active_to"]).to_numpy()
    active = ((pd.isna(af)[None, :] | (af[None, :] <= dates[:, None]))
              & (pd.isna(at)[None, :] | (dates[:, None] <= at[None, :])))
    out = np.full(len(points), np.nan)
    keys = [tuple(r) for r in active]
    lon, lat = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    for key in sorted(set(keys)):
        if not any(key):
            continue
        rows = np.array([k == key for k in keys])
        geoms = areas.geometry.values[np.array(key)]
        inside = np.zeros(rows.sum(), bool)
        for g in geoms:
            inside |= shapely.contains_xy(g, lon[rows], lat[rows])
        d, _, _ = geodesic_distance_to_lines(lon[rows], lat[rows], gpd.GeoSeries(shapely.boundary(geoms), crs="EPSG:4326"),
                                             crs=crs)
        out[rows] = np.where(inside, 0.0, d)
    return out


def _precise_deaths(study: Study, inputs: StudyInputs, iom_routes: Sequence[str]) -> tuple[gpd.GeoDataFrame, str]:
    layer = inputs.get("deaths")
    f = _in_study(study, layer.frame)
    if "route" in f.columns and iom_routes:
        f = f[f["route"].isin(list(iom_routes))]
    coarse = (f["location_precision"] == COARSE).fillna(False).to_numpy(dtype=bool)
    if "coord_decimals" in f.columns:
        coarse |= (pd.to_numeric(f["coord_decimals"], errors="coerce") == 0).fillna(False).to_numpy()
    note = (f"{int(coarse.sum())} of {len(f)} incident(s) on {', '.join(iom_routes) or 'all routes'} inside the study "
            "box have whole-degree (centroid) coordinates and are left out.")
    return f[~coarse], note


def _detections(study: Study, inputs: StudyInputs) -> gpd.GeoDataFrame:
    return _in_study(study, inputs.get("incidents").frame)


def m2_distances(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """M2: distance of deaths and detections from the departure coasts and from coverage, over time.

    Outcomes ``M2.<deaths|detections>.<coast|coverage>`` (Theil–Sen slope in km per year with
    Sen's CI and the Mann–Kendall p-value) and ``….<date>`` (difference of medians after −
    before each intervention within ``window_months``, permutation p-value, bootstrap CI).
    Tables ``m2_distances`` (one row per event) and rasters ``coverage_<date>`` per epoch
    (:func:`sea_coverage`).
    """
    s = _settings(study)
    crs = _crs(study)
    outcomes: list[Outcome] = []
    rows = []
    series = []
    for what, role in (("deaths", "deaths"), ("detections", "incidents")):
        if inputs.get(role) is None:
            why = _why(inputs, s, role)
            for target in ("coast", "coverage"):
                outcomes.append(Outcome.skipped(f"M2.{what}.{target}", f"distance of {what} from the {target}", why))
            continue
        if role == "deaths":
            pts, note = _precise_deaths(study, inputs, s["iom_routes"])
        else:
            pts = _detections(study, inputs)
            note = "Frontex detection positions (incidents without coordinates are left out)."
        for target in ("coast", "coverage"):
            name = f"distance of {what} from the {'departure coast' if target == 'coast' else 'operational areas active at the date'}"
            need = "coastline" if target == "coast" else "operational_areas"
            why = _why(inputs, s, need)
            if target == "coast" and not why and not s["departure_coasts"]:
                why = ("No departure coasts: add [[parameters.maritime.departure_coasts]] tables "
                       "{ name = \"Libya\", bbox = [w, s, e, n] } to the study file.")
            if why:
                outcomes.append(Outcome.skipped(f"M2.{what}.{target}", name, why))
                continue
            if len(pts) < 10:
                outcomes.append(Outcome.skipped(f"M2.{what}.{target}", name,
                                                f"Only {len(pts)} located, dated {what} in the study box and period. {note}"))
                continue
            lon, lat = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
            if target == "coast":
                coast = departure_coast(inputs.get("coastline").frame, s["departure_coasts"])
                if coast.empty:
                    outcomes.append(Outcome.skipped(f"M2.{what}.{target}", name,
                                                    "The departure-coast boxes hold no GSHHG shoreline: check their bbox."))
                    continue
                d = geodesic_distance_to_lines(lon, lat, coast, crs=crs)[0]
            else:
                d = distance_to_active_areas(pts, usable(inputs.get("operational_areas").frame), crs=crs)
            km = d / 1000.0
            ok = np.isfinite(km)
            series.append((what, target, name, note, pts["date"].to_numpy()[ok], km[ok]))
            rows.append(pd.DataFrame({"kind": what, "target": target, "date": pd.to_datetime(pts["date"]).to_numpy(),
                                      "lon": lon, "lat": lat, "distance_km": km}))
    for (what, target, name, note, dates, km), child in zip(series, rng.spawn(max(len(series), 1))):
        base = f"M2.{what}.{target}"
        if target == "coverage":
            note += " Outside the active areas' dates the distance is undefined and the event is left out; inside = 0 km."
        if len(km) < 10:
            outcomes.append(Outcome.skipped(base, name, f"Only {len(km)} event(s) with a distance. {note}"))
            continue
        order = np.argsort(dates, kind="stable")
        mk = mann_kendall(km[order], pd.to_datetime(dates[order]), confidence=s["confidence"])
        outcomes.append(Outcome.ran(base, StatResult(
            name=f"{name}: trend (km per year)", estimate=mk.estimate, ci=mk.ci, p_value=mk.p_value, n=mk.n,
            method=mk.method, statistic=mk.statistic, parameters=dict(mk.parameters)), reason=note))
        when = pd.Series(pd.to_datetime(dates))
        wins = _windows(study, when, s["window_months"])
        for (label, start, t0, end), g in zip(wins, child.spawn(max(len(wins), 1))):
            before = km[((when >= start) & (when < t0)).to_numpy()]
            after = km[((when >= t0) & (when < end)).to_numpy()]
            oid = f"{base}.{label}"
            oname = f"{name}: median after − before {label} (km)"
            if before.size < 5 or after.size < 5:
                outcomes.append(Outcome.skipped(oid, oname, f"Only {before.size} event(s) before and {after.size} after "
                                                            f"{label} within {s['window_months']} months. {note}"))
                continue
            comp = compare_samples(after, before, statistic="median", permutations=s["permutations"],
                                   resamples=s["permutations"], ci_method="percentile", confidence=s["confidence"], seed=g)
            r = comp.difference
            outcomes.append(Outcome.ran(oid, StatResult(
                name=oname, estimate=r.estimate, ci=r.ci, p_value=r.p_value, n=r.n, method=r.method,
                statistic=r.statistic, parameters={**r.parameters, "before": int(before.size), "after": int(after.size),
                                                   "window_months": s["window_months"]}), reason=note))
    tables = {"m2_distances": pd.concat(rows, ignore_index=True)} if rows else {}
    rasters, cov_note = _epoch_coverage(study, inputs, crs, s)
    if cov_note:
        for i, o in enumerate(outcomes):
            if o.id.endswith(".coverage") and o.status == "ran":
                outcomes[i] = dataclasses.replace(o, reason=(o.reason + " " + cov_note).strip())
    return Section(outcomes, tables=tables, rasters=rasters)


# -- coverage at sea ----------------------------------------------------------------------------

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
    af = pd.to_datetime(frame["active_from"]) if "active_from" in frame else pd.Series(pd.NaT, index=frame.index)
    at = pd.to_datetime(frame["active_to"]) if "active_to" in frame else pd.Series(pd.NaT, index=frame.index)
    return ((af.isna() | (af <= date)) & (at.isna() | (date <= at))).to_numpy()


def sea_coverage(dates: Sequence[Any], grid: Raster, *, stations: gpd.GeoDataFrame | None = None,
                 tracks: gpd.GeoDataFrame | None = None, areas: gpd.GeoDataFrame | None = None,
                 dem: Raster | None = None, target_height: float = 2.0) -> list[SeaCoverage]:
    """Coverage at sea per epoch from coastal stations, aerial tracks and operational areas.

    * **Stations** (points): the radar horizon with the 4/3-earth model and land masking
      from ``dem`` (:func:`borderscape.geo.radar.coastal_coverage`, Skolnik 2001):
      ``d = sqrt(2 k R h_a) + sqrt(2 k R h_t)``, capped by the station's ``range_m``.
      Columns ``height_m`` (antenna above ground, m), ``range_m`` (m), ``active_from``,
      ``active_to``. A DEM is required (it is the grid then).
    * **Tracks** (lines): swaths of ``swath_m`` metres (:func:`~borderscape.geo.radar.swath_count`).
    * **Areas** (polygons): cells whose centre lies inside an area active at the date.

    Every layer is EPSG:4326 as ingested (reprojected to the grid); a row counts on a date
    when ``active_from <= date <= active_to`` (empty = open).

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
            raise InputError("coastal stations need a DEM to mask the sea hidden by land",
                             remedy="add a dem layer to the study (e.g. dem = \"etopo1\") or pass --dem FILE")
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
                c = coastal_coverage(dem, st.geometry.x.to_numpy(), st.geometry.y.to_numpy(),
                                     st["height_m"].to_numpy(float),
                                     max_range=st["range_m"].to_numpy(float), target_height=target_height)
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
                total += rasterio.features.rasterize(shapes, out_shape=grid.shape, transform=grid.transform, fill=0,
                                                     dtype="int32", merge_alg=rasterio.enums.MergeAlg.add)
                polys.append(("areas", shapely.union_all(ar.geometry.values)))
            notes.append(f"{len(ar)} operational area(s) active")
        frame = gpd.GeoDataFrame({"source": [p[0] for p in polys]}, geometry=[p[1] for p in polys], crs=grid.crs)
        frame["area_km2"] = frame.geometry.area / 1e6
        out.append(SeaCoverage(when, grid.with_array(total, nodata=None), frame, "; ".join(notes)))
    return out


def _vectorise(mask: np.ndarray, grid: Raster) -> Any:
    shapes = [shapely.geometry.shape(g) for g, v in rasterio.features.shapes(mask.astype(np.uint8), mask=mask,
                                                                          transform=grid.transform) if v == 1]
    return shapely.union_all(shapes) if shapes else shapely.Polygon()


def _study_grid(study: Study, crs: CRS) -> Raster:
    from pyproj import Transformer

    w, s, e, n = study.bbox
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    xs, ys = tr.transform(np.r_[np.linspace(w, e, 21), np.linspace(w, e, 21), np.full(21, w), np.full(21, e)],
                          np.r_[np.full(21, s), np.full(21, n), np.linspace(s, n, 21), np.linspace(s, n, 21)])
    res = max(float(study.resolution_m), 1.0)
    cols = int(math.ceil((max(xs) - min(xs)) / res))
    rows = int(math.ceil((max(ys) - min(ys)) / res))
    return Raster(np.zeros((rows, cols), np.int32), Affine(res, 0, min(xs), 0, -res, max(ys)), crs, None)


def _epoch_coverage(study: Study, inputs: StudyInputs, crs: CRS, s: dict[str, Any]) -> tuple[dict[str, Raster], str]:
    areas = inputs.get("operational_areas")
    stations = inputs.get("coastal_stations")
    tracks = inputs.get("aerial_tracks")
    if areas is None and stations is None and tracks is None:
        return {}, ""
    dem = inputs.dem()
    grid = dem if (stations is not None and dem is not None) else _study_grid(study, crs)
    epochs = [study.start] + [i.date for i in study.interventions if study.start < i.date <= study.end]
    try:
        cov = sea_coverage(sorted(set(epochs)), grid, stations=None if stations is None else usable(stations.frame),
                           tracks=None if tracks is None else usable(tracks.frame),
                           areas=None if areas is None else usable(areas.frame), dem=dem,
                           target_height=s["target_height_m"])
    except BorderscapeError as exc:
        return {}, "Coverage rasters not built: " + _reason(exc)
    return {f"coverage_{c.date.date().isoformat()}": c.count for c in cov}, f"Coverage per epoch: {cov[-1].note}."


# -- M3: SAR regions ---------------------------------------------------------------------------

def count_in_regions(points: gpd.GeoDataFrame, regions: gpd.GeoDataFrame, key: str) -> pd.Series:
    """How many points lie inside (or on the boundary of) each region (regions may overlap).

    Parameters
    ----------
    points
        Points, in the regions' CRS.
    regions
        Polygons (e.g. the ``imo-srr`` SAR regions).
    key
        Column naming each region (``country_iso3``).

    Returns
    -------
    pandas.Series
        Counts indexed by ``regions[key]``.
    """
    x, y = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    return pd.Series([int(shapely.intersects_xy(g, x, y).sum()) for g in regions.geometry.values],
                     index=regions[key].to_numpy(), name="inside")


def _wilson(k: float, n: float, z: float) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def share_difference(k1: int, n1: int, k0: int, n0: int, confidence: float = 0.95) -> StatResult:
    """Difference of two shares ``k1/n1 - k0/n0`` with Newcombe's hybrid score interval
    (method 10, Newcombe 1998, from Wilson intervals) and the pooled two-proportion z-test
    ``z = d / sqrt(p (1 - p) (1/n1 + 1/n0))``, ``p = (k1 + k0) / (n1 + n0)``.

    Parameters
    ----------
    k1, n1
        Events and total after (the group).
    k0, n0
        Events and total before (the reference).
    confidence
        Level of the interval.

    Returns
    -------
    StatResult
        Estimate in share units (−1 … 1).
    """
    z = stats.norm.ppf(0.5 + confidence / 2)
    p1, p0 = k1 / n1, k0 / n0
    l1, u1 = _wilson(k1, n1, z)
    l0, u0 = _wilson(k0, n0, z)
    d = p1 - p0
    low = d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    pool = (k1 + k0) / (n1 + n0)
    se = math.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n0))
    zs = d / se if se > 0 else 0.0
    return StatResult(name="difference of shares", estimate=d, ci=(low, high), p_value=float(2 * stats.norm.sf(abs(zs))),
                      n=n1 + n0, method="difference of proportions, Newcombe (1998) hybrid score CI, pooled two-proportion z-test",
                      statistic=zs, parameters={"after": [k1, n1], "before": [k0, n0], "confidence": confidence})


def m3_sar_regions(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """M3: share of incidents inside each SAR region per period, and its change at each intervention.

    Table ``sar_shares`` (region, period, inside, n, share, Wilson CI); outcomes
    ``M3.<region>.<date>``: share after − share before within ``window_months``.
    """
    s = _settings(study)
    name = "share of incidents inside each search-and-rescue region"
    why = _why(inputs, s, "deaths", "sar_regions")
    if why:
        return Section([Outcome.skipped("M3", name, why)])
    pts, note = _precise_deaths(study, inputs, s["iom_routes"])
    regions = usable(inputs.get("sar_regions").frame)
    key = "country_iso3" if "country_iso3" in regions.columns else regions.columns[0]
    if len(pts) < 10:
        return Section([Outcome.skipped("M3", name, f"Only {len(pts)} located incidents. {note}")])
    dates = pd.to_datetime(pts["date"])
    bounds = _period_bounds(study, dates.min(), dates.max())
    z = stats.norm.ppf(0.5 + s["confidence"] / 2)
    rows = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        sel = pts[((dates >= a) & (dates < b)).to_numpy()]
        if sel.empty:
            continue
        counts = count_in_regions(sel, regions, key)
        for region, k in counts.items():
            lo, hi = _wilson(k, len(sel), z)
            rows.append({"region": region, "period": f"{a.date()}/{(b - pd.Timedelta(days=1)).date()}", "inside": int(k),
                         "n": len(sel), "share": k / len(sel), "ci_low": lo, "ci_high": hi})
    outcomes = []
    for label, start, t0, end in _windows(study, dates, s["window_months"]):
        before = pts[((dates >= start) & (dates < t0)).to_numpy()]
        after = pts[((dates >= t0) & (dates < end)).to_numpy()]
        cb, ca = count_in_regions(before, regions, key), count_in_regions(after, regions, key)
        for region in regions[key]:
            oid = f"M3.{region}.{label}"
            oname = f"share of incidents inside the {region} SRR, after − before {label}"
            if len(before) < 5 or len(after) < 5:
                outcomes.append(Outcome.skipped(oid, oname, f"Only {len(before)} incident(s) before and {len(after)} after "
                                                            f"within {s['window_months']} months. {note}"))
                continue
            r = share_difference(int(ca[region]), len(after), int(cb[region]), len(before), s["confidence"])
            outcomes.append(Outcome.ran(oid, StatResult(oname, r.estimate, r.ci, r.p_value, r.n, r.method, r.statistic,
                                                        {**r.parameters, "window_months": s["window_months"]}),
                                        reason=note + " SAR regions may overlap; the Libyan SRR is contested."))
    return Section(outcomes, tables={"sar_shares": pd.DataFrame(rows)})


# -- M4: deaths by detecting asset ---------------------------------------------------------------

def risk_ratio(k1: int, n1: int, k0: int, n0: int, confidence: float = 0.95) -> StatResult:
    """Ratio of two shares ``(k1/n1) / (k0/n0)`` with the Katz log interval
    ``exp(log RR ± z sqrt(1/k1 - 1/n1 + 1/k0 - 1/n0))`` (Katz et al. 1978) and the pooled
    two-proportion z-test of equal shares.

    Parameters
    ----------
    k1, n1
        Events and total in the group.
    k0, n0
        Events and total in the reference group.
    confidence
        Level of the interval.

    Returns
    -------
    StatResult

    Raises
    ------
    InputError
        No event in a group (the log interval is undefined).
    """
    z = stats.norm.ppf(0.5 + confidence / 2)
    p1, p0 = k1 / n1, k0 / n0
    if k1 == 0 or k0 == 0:
        raise InputError("a risk ratio needs at least one event in each group",
                         remedy="merge sparse classes or widen the period")
    rr = p1 / p0
    se = math.sqrt(1 / k1 - 1 / n1 + 1 / k0 - 1 / n0)
    pool = (k1 + k0) / (n1 + n0)
    zs = (p1 - p0) / math.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n0))
    return StatResult(name="risk ratio", estimate=rr, ci=(rr * math.exp(-z * se), rr * math.exp(z * se)),
                      p_value=float(2 * stats.norm.sf(abs(zs))), n=n1 + n0,
                      method="risk ratio with Katz log CI (Katz et al. 1978), pooled two-proportion z-test",
                      statistic=float(zs), parameters={"group": [k1, n1], "reference": [k0, n0], "confidence": confidence})


def m4_detection_assets(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """M4: the share of boats with deaths by the class of the detecting asset (Frontex incidents).

    Classes (:data:`DETECTOR_CLASS`): ``aerial`` (fixed-wing, helicopter, multipurpose
    aerial surveillance, drones), ``vessel`` (coast guard, navy and EU operation vessels; the
    reference), ``ngo``, ``commercial``, ``distress_call``, ``coastal_surveillance`` and
    ``none_at_sea`` (first seen by a land patrol on arrival). Outcome ``M4.<class>``: risk
    ratio of a boat having at least one death against vessel-detected boats
    (:func:`risk_ratio`). Table ``deaths_by_detector`` (boats, boats with deaths, deaths,
    persons, deaths per 1000 persons). ``rng`` is unused (closed-form inference).
    """
    s = _settings(study)
    name = "share of boats with deaths by detecting asset class, against vessels"
    why = _why(inputs, s, "incidents")
    if why:
        return Section([Outcome.skipped("M4", name, why)])
    f = usable(inputs.get("incidents").frame)
    if "detector_type" not in f.columns or "num_deaths" not in f.columns:
        return Section([Outcome.skipped("M4", name, "The incidents layer has no detector_type / num_deaths columns: "
                                                    "give the Frontex incidents (catalog id frontex-incidents).")])
    dates = pd.to_datetime(f["date"])
    f = f[(dates >= pd.Timestamp(study.start)) & (dates <= pd.Timestamp(study.end))]
    d = pd.DataFrame({"cls": f["detector_type"].map(DETECTOR_CLASS),
                      "deaths": pd.to_numeric(f["num_deaths"], errors="coerce"),
                      "persons": pd.to_numeric(f["num_persons"], errors="coerce")}).dropna(subset=["cls", "deaths"])
    note = (f"{len(f) - len(d)} of {len(f)} incident(s) without a known detector class or death count are left out. "
            "Deaths are those Frontex recorded at the incident, a minimum; detection is not random, so the "
            "ratios describe, they do not prove that an asset type causes deaths.")
    summary = d.groupby("cls").agg(boats=("deaths", "size"), with_deaths=("deaths", lambda v: int((v > 0).sum())),
                                   deaths=("deaths", "sum"), persons=("persons", "sum")).reset_index()
    summary["deaths_per_1000_persons"] = 1000 * summary["deaths"] / summary["persons"]
    summary = summary.rename(columns={"cls": "detector_class"})
    if "vessel" not in set(d["cls"]):
        return Section([Outcome.skipped("M4", name, "No incidents detected by vessels (the reference class). " + note)],
                       tables={"deaths_by_detector": summary})
    ref = d[d["cls"] == "vessel"]
    k0, n0 = int((ref["deaths"] > 0).sum()), len(ref)
    outcomes = []
    for c in sorted(set(d["cls"]) - {"vessel"}):
        g = d[d["cls"] == c]
        oid, oname = f"M4.{c}", f"share of boats with deaths, detected by {c} / by vessel (risk ratio)"
        try:
            r = risk_ratio(int((g["deaths"] > 0).sum()), len(g), k0, n0, s["confidence"])
        except BorderscapeError as exc:
            outcomes.append(Outcome.skipped(oid, oname, _reason(exc) + " " + note))
            continue
        outcomes.append(Outcome.ran(oid, StatResult(oname, r.estimate, r.ci, r.p_value, r.n, r.method, r.statistic,
                                                    dict(r.parameters)), reason=note))
    return Section(outcomes, tables={"deaths_by_detector": summary})


# -- M5: hot spots ---------------------------------------------------------------------------------

def m5_hotspots(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """M5: Gi* hot spots of incidents (IOM, precise coordinates) per period.

    Periods split at the interventions; counts per square cell (``hotspot_cell_m``) in the
    study CRS; Gi* with a distance band (``hotspot_band_m``) and conditional-randomisation
    conditional-randomisation pseudo p-values (Getis & Ord 1992; Ord & Getis 1995;
    ``[parameters.maritime] hotspot_permutations``, default 9999 — with thousands of cells
    the smallest pseudo p-value 1/(permutations+1) must survive the FDR; 0 gives analytical
    p-values, anti-conservative for sparse counts), Benjamini–Hochberg FDR. Estimate: the
    share of cells that are hot spots (Clopper–Pearson CI); p-value: the smallest BH q
    (Simes 1986 global test). Table ``m5_cells`` (EPSG:4326).
    """
    s = _settings(study)
    name = "Gi* hot spots of incidents"
    why = _why(inputs, s, "deaths")
    if why:
        return Section([Outcome.skipped("M5", name, why)])
    pts, note = _precise_deaths(study, inputs, s["iom_routes"])
    if len(pts) < 10:
        return Section([Outcome.skipped("M5", name, f"Only {len(pts)} located incidents. {note}")])
    pts = pts[["date", "geometry"]].to_crs(_crs(study))
    pts["date"] = pd.to_datetime(pts["date"])
    grid = square_grid(pts, s["cell_m"])
    bounds = _period_bounds(study, pts["date"].min(), pts["date"].max())
    windows = list(zip(bounds[:-1], bounds[1:]))
    outcomes, cells = [], []
    for (a, b), child in zip(windows, rng.spawn(len(windows))):
        label = f"{a.date()}/{(b - pd.Timedelta(days=1)).date()}"
        pname = f"{name}, share of cells hot, {label}"
        try:
            one = gi_star_by_window(pts, "date", [(a, b)], grid=grid, distance_band=s["band_m"],
                                    permutations=s["hotspot_permutations"], seed=child)
        except BorderscapeError as exc:
            outcomes.append(Outcome.skipped(f"M5.{label}", pname, "Gi* is undefined in this period: " + _reason(exc)))
            continue
        res, counts = one.results[0], one.counts.iloc[:, 0]
        if counts.sum() < 3:
            outcomes.append(Outcome.skipped(f"M5.{label}", pname, f"Only {int(counts.sum())} incident(s) in the period."))
            continue
        fdr = fdr_bh(res.p, s["fdr_alpha"])
        hot = res.classify(s["fdr_alpha"])
        k, m = int((hot == 1).sum()), int(len(hot))
        ci = stats.binomtest(k, m).proportion_ci(confidence_level=s["confidence"], method="exact")
        outcomes.append(Outcome(
            id=f"M5.{label}", name=pname, status="ran", reason=note, estimate=k / m, ci=(ci.low, ci.high),
            p_value=float(np.min(fdr.q)), n=m,
            method=(res.method + f"; Benjamini–Hochberg FDR {s['fdr_alpha']:g}; Clopper–Pearson CI of the share; "
                    "p-value: Simes (1986) global test (smallest BH q-value)"),
            parameters={"hot_cells": k, "cold_cells": int((hot == -1).sum()), "incidents": int(counts.sum()),
                        "cell_m": s["cell_m"], "band_m": s["band_m"], "permutations": s["hotspot_permutations"],
                        "fdr_alpha": s["fdr_alpha"], "confidence": s["confidence"]}))
        cells.append(gpd.GeoDataFrame({"period": label, "count": counts.to_numpy(), "gi_z": res.z.to_numpy(),
                                       "gi_p": res.p.to_numpy(), "gi_q": np.asarray(fdr.q), "hot": hot.to_numpy()},
                                      geometry=grid.geometry.values, crs=grid.crs))
    tables = {"m5_cells": pd.concat(cells, ignore_index=True).to_crs("EPSG:4326")} if cells else {}
    return Section(outcomes, tables=tables)


#: The maritime battery in order: (id prefix, function), as :func:`borderscape.analyses.funnel.hypotheses`.
HYPOTHESES = [
    ("M1", m1_mortality),
    ("M2", m2_distances),
    ("M3", m3_sar_regions),
    ("M4", m4_detection_assets),
    ("M5", m5_hotspots),
]
