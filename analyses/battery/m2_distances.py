"""M2 distances: how far from the departure coasts and from coverage did deaths and detections lie, over time?

Geodesic distances (WGS84; :mod:`borderscape.analyses.sea`) of the precise IOM incidents
(``deaths``) and of the Frontex detections (``incidents``) from the departure coasts (GSHHG
shorelines, ``coastline``, clipped to ``[[parameters.maritime.departure_coasts]]`` boxes) and
from the operational areas active on each event's date (``operational_areas``).

Incidents are not independent draws: several boats leave in one wave, one shipwreck is recorded as
several incidents, busy months hold hundreds.  So the trend is a Mann–Kendall test on the
*monthly medians* (months with at least ``[parameters.maritime] min_per_month`` events) with the
autocorrelation correction of ``[parameters.statistics] trend_autocorrelation``, and the change at
each intervention compares whole months (month-block bootstrap interval, month-permutation
p-value; :func:`~borderscape.analyses.sea.month_block_comparison`), descriptive when a side has
fewer than ``[parameters.statistics] min_months`` months.

A distance to the areas *in force* moves when the (approximate, reconstructed) operational area
changes, whatever the incidents do: every coverage result whose months span an area change says
so, and gives the same incidents measured to each area held fixed.

The coverage of each epoch (coastal stations, aerial tracks, operational areas:
:func:`~borderscape.analyses.sensors.sea_coverage`) is returned as rasters.

References
----------
Karney, C. F. F. (2013). Algorithms for geodesics. J. Geodesy 87, 43–55.
Sen, P. K. (1968). Estimates of the regression coefficient based on Kendall's tau. JASA 63, 1379–1389.
Yue, S. & Wang, C. Y. (2004). The Mann–Kendall test modified by effective sample size to detect trend
in serially correlated hydrological series. Water Resour. Manag. 18, 201–218.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from borderscape.analyses.battery.common import (
    Section,
    Window,
    composition,
    intervention_windows,
    missing,
    precise_deaths,
    reason,
    records,
    sea_settings,
    shock_caveats,
)
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome, StatResult, Variant
from borderscape.analyses.sea import (
    area_changes,
    departure_coast,
    distance_to_each_area,
    geodesic_distance_to_lines,
    month_block_comparison,
    monthly_series,
    nearest_active,
)
from borderscape.analyses.sensors import sea_coverage, study_grid
from borderscape.analyses.stats.trends import mann_kendall
from borderscape.analyses.study import Study, working_crs
from borderscape.geo.errors import BorderscapeError
from borderscape.geo.raster import Raster
from borderscape.layers.quality import usable

__all__ = ["m2_distances", "monthly_trend"]

#: What else may differ between the two sides of a comparison, per kind of event (column → words).
COMPOSITION = {
    "deaths": {"coord_decimals": "decimals of the reported coordinates", "date_precision": "precision of the date"},
    "detections": {
        "detector_type": "detecting asset",
        "country_of_departure": "country of departure",
        "location_precision": "how the detection position was matched",
    },
}


def _detections(study: Study, inputs: StudyInputs) -> gpd.GeoDataFrame:
    """The Frontex incidents that count for the study (:func:`~borderscape.analyses.battery.common.records`)."""
    return records(study, inputs.get("incidents"))[0]


def _median(x: np.ndarray) -> float:
    """The median by partition (np.median's checks cost 4× the work on these small arrays, measured)."""
    n = x.size
    k = n // 2
    if n % 2:
        return float(np.partition(x, k)[k])
    part = np.partition(x, [k - 1, k])
    return float(0.5 * (part[k - 1] + part[k]))


def _median_difference(after: np.ndarray, before: np.ndarray) -> float:
    return _median(after) - _median(before) if len(after) and len(before) else math.nan


def monthly_trend(
    dates: Any,
    km: Any,
    *,
    minimum: int = 3,
    how: str = "median",
    autocorrelation: str = "yue-wang",
    confidence: float = 0.95,
) -> StatResult:
    """Mann–Kendall / Theil–Sen trend (km per year) of the monthly medians (or means) of ``km``.

    Months with fewer than ``minimum`` events are left out; the months are the observations, so a
    month of many incidents counts once.  The autocorrelation correction is
    :func:`~borderscape.analyses.stats.trends.mann_kendall`'s.
    """
    g = monthly_series(dates, km, minimum=minimum, how=how)
    mk = mann_kendall(g["value"].to_numpy(), g["month"], autocorrelation=autocorrelation, confidence=confidence)
    return dataclasses.replace(
        mk,
        name=f"trend of the monthly {how}s (km per year)",
        method=f"{mk.method}; on the monthly {how}s of months with ≥ {minimum} events (months are the observations)",
        parameters={**mk.parameters, "months": int(len(g)), "events": int(g["n"].sum()), "min_per_month": minimum},
    )


def _trend_outcome(
    base: str,
    name: str,
    note: str,
    dates: np.ndarray,
    km: np.ndarray,
    fixed: dict[str, np.ndarray],
    changes: list[pd.Timestamp],
    s: dict[str, Any],
) -> Outcome:
    auto, conf, minimum = s["trend_autocorrelation"], s["confidence"], s["min_per_month"]
    try:
        r = monthly_trend(dates, km, minimum=minimum, autocorrelation=auto, confidence=conf)
    except BorderscapeError as exc:
        return Outcome.skipped(base, name, reason(exc) + " " + note)
    variants = []
    for label, kw in (
        ("every month with at least one event", {"minimum": 1}),
        ("monthly means instead of medians", {"how": "mean"}),
        ("no autocorrelation correction", {"autocorrelation": "none"}),
    ):
        args = {"minimum": minimum, "autocorrelation": auto, "confidence": conf, **kw}
        try:
            v = monthly_trend(dates, km, **args)
            variants.append(Variant(label, v.estimate, v.ci, v.n, v.p_value))
        except BorderscapeError as exc:
            variants.append(Variant(label, None, note=reason(exc)))
    caveats = []
    if fixed:
        for label, d in fixed.items():
            ok = np.isfinite(d)
            try:
                v = monthly_trend(dates[ok], d[ok] / 1000.0, minimum=minimum, autocorrelation=auto, confidence=conf)
                variants.append(
                    Variant(
                        f"distance to {label} held fixed over the whole series",
                        v.estimate,
                        v.ci,
                        v.n,
                        v.p_value,
                        note="The same incidents measured to one area: only the incidents move.",
                    )
                )
            except BorderscapeError as exc:
                variants.append(Variant(f"distance to {label} held fixed", None, note=reason(exc)))
        if changes:
            caveats.append(
                "The approximate operational areas in force change on "
                + ", ".join(str(d.date()) for d in changes)
                + ": a distance to the areas in force moves when the area changes, whatever the incidents do; "
                "the variants with one area held fixed show the move of the incidents alone."
            )
    return Outcome.ran(
        base,
        dataclasses.replace(r, name=f"{name}: {r.name}"),
        reason=note,
        role="secondary",
        sensitivity=tuple(variants),
        caveats=tuple(caveats),
    )


def _window_months(w: Window, first: pd.Timestamp, last: pd.Timestamp) -> tuple[int, int]:
    """Calendar months of each side of ``w`` inside the span of the events (``first`` … ``last``)."""
    lo = max(w.start, first.to_period("M").to_timestamp())
    hi = min(w.end, last.to_period("M").to_timestamp() + pd.DateOffset(months=1))

    def count(a: pd.Timestamp, b: pd.Timestamp) -> int:
        return max(0, (b.year - a.year) * 12 + b.month - a.month)

    return count(lo, w.split), count(w.split, hi)


def _comparison_outcome(
    study: Study,
    what: str,
    base: str,
    name: str,
    note: str,
    frame: pd.DataFrame,
    km: np.ndarray,
    fixed: dict[str, np.ndarray],
    changes: list[pd.Timestamp],
    w: Window,
    g: np.random.Generator,
    s: dict[str, Any],
) -> Outcome:
    when = pd.to_datetime(frame["date"]).reset_index(drop=True)
    oid = f"{base}.{w.label}"
    oname = f"{name}: median after − before {' and '.join(w.names)} (split {w.split.strftime('%Y-%m')}, km)"
    inside = ((when >= w.start) & (when < w.end)).to_numpy()
    after = (when >= w.split).to_numpy()[inside]
    values, months = km[inside], when[inside].dt.strftime("%Y-%m").to_numpy()
    if (~after).sum() < 5 or after.sum() < 5:
        return Outcome.skipped(
            oid,
            oname,
            f"Only {(~after).sum()} event(s) before and {after.sum()} after within {s['window_months']} months. {note}",
        )
    mb, ma = _window_months(w, when.min(), when.max())
    descriptive = min(mb, ma) < s["min_months"]
    boots, conf = s["permutations"], s["confidence"]
    gm, gv = g.spawn(2)
    c = month_block_comparison(
        values,
        months,
        after,
        _median_difference,
        seed=gm,
        resamples=boots,
        permutations=0 if descriptive else boots,
        confidence=conf,
    )
    caveats = list(shock_caveats(study, w.split))
    variants = []
    moved = [d for d in changes if w.start < d < w.end]
    if fixed and moved:
        shifts = []
        for label, d in fixed.items():
            dv = d[inside] / 1000.0
            ok = np.isfinite(dv)
            if (~after[ok]).sum() < 5 or after[ok].sum() < 5:
                continue
            fc = month_block_comparison(
                dv[ok], months[ok], after[ok], _median_difference, seed=gv, resamples=boots, permutations=0
            )
            variants.append(
                Variant(
                    f"distance to {label} held fixed on both sides",
                    fc.estimate,
                    fc.ci,
                    int(ok.sum()),
                    note="The same area on both sides: only the incidents move.",
                )
            )
            shifts.append(f"{label}: {fc.estimate:+.0f} km")
        caveats.append(
            "The approximate operational area in force changes inside the compared months ("
            + ", ".join(str(d.date()) for d in moved)
            + f"): part of the {c.estimate:+.0f} km is the area changing, not the incidents. Measured to one area "
            "held fixed on both sides the change is " + ("; ".join(shifts) if shifts else "not computable") + "."
        )
    sub = frame.reset_index(drop=True)[inside]
    rows = composition(sub[~after], sub[after], COMPOSITION.get(what, {}))
    why = (
        f"{mb} month(s) before and {ma} after inside the span of the events: fewer than [parameters.statistics] "
        f"min_months = {s['min_months']} on a side"
    )
    method = (
        "difference of medians after − before; interval: month-block bootstrap (months resampled whole within "
        "each side; Davison & Hinkley 1997 §3.8), percentile; "
        + (
            "descriptive: " + why
            if descriptive
            else "p-value: permutation of whole months between the sides (Good 2005)"
        )
    )
    return Outcome.ran(
        oid,
        StatResult(
            oname,
            c.estimate,
            c.ci,
            c.p_value,
            c.n_before + c.n_after,
            method,
            parameters={
                "before": c.n_before,
                "after": c.n_after,
                "months_before": mb,
                "months_after": ma,
                "months_with_events_before": c.months_before,
                "months_with_events_after": c.months_after,
                "split": str(w.split.date()),
                "window_months": s["window_months"],
                "resamples": boots,
                "permutations": c.permutations,
                "confidence": conf,
            },
        ),
        reason=note,
        role="descriptive" if descriptive else "secondary",
        sensitivity=tuple(variants),
        composition=rows,
        caveats=tuple(caveats),
    )


def m2_distances(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """M2: distance of deaths and detections from the departure coasts and from coverage, over time.

    Outcomes ``M2.<deaths|detections>.<coast|coverage>`` (Theil–Sen slope of the monthly medians in
    km per year, Mann–Kendall p-value with the study's autocorrelation correction; sensitivity
    variants) and ``….<date>`` (difference of medians after − before each intervention month within
    ``window_months``: month-block bootstrap interval, month-permutation p-value; descriptive with
    fewer than ``min_months`` months on a side).  Tables ``m2_distances`` (one row per event) and
    rasters ``coverage_<date>`` per epoch (:func:`~borderscape.analyses.sensors.sea_coverage`).
    """
    s = sea_settings(study)
    crs = working_crs(study)
    outcomes: list[Outcome] = []
    rows = []
    series = []
    areas = None if inputs.get("operational_areas") is None else usable(inputs.get("operational_areas").frame)
    for what, role in (("deaths", "deaths"), ("detections", "incidents")):
        if inputs.get(role) is None:
            why = missing(study, inputs, role)
            for target in ("coast", "coverage"):
                outcomes.append(Outcome.skipped(f"M2.{what}.{target}", f"distance of {what} from the {target}", why))
            continue
        if role == "deaths":
            pts, note = precise_deaths(study, inputs, s["iom_routes"])
        else:
            pts = _detections(study, inputs)
            note = "Frontex detection positions (incidents without coordinates are left out)."
        for target in ("coast", "coverage"):
            name = f"distance of {what} from the {'departure coast' if target == 'coast' else 'operational areas active at the date'}"
            need = "coastline" if target == "coast" else "operational_areas"
            why = missing(study, inputs, need)
            if target == "coast" and not why and not s["departure_coasts"]:
                why = (
                    "No departure coasts: add [[parameters.maritime.departure_coasts]] tables "
                    '{ name = "Libya", bbox = [w, s, e, n] } to the study file.'
                )
            if why:
                outcomes.append(Outcome.skipped(f"M2.{what}.{target}", name, why))
                continue
            if len(pts) < 10:
                outcomes.append(
                    Outcome.skipped(
                        f"M2.{what}.{target}",
                        name,
                        f"Only {len(pts)} located, dated {what} in the study box and period. {note}",
                    )
                )
                continue
            lon, lat = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
            fixed: dict[str, np.ndarray] = {}
            if target == "coast":
                coast = departure_coast(inputs.get("coastline").frame, s["departure_coasts"])
                if coast.empty:
                    outcomes.append(
                        Outcome.skipped(
                            f"M2.{what}.{target}",
                            name,
                            "The departure-coast boxes hold no GSHHG shoreline: check their bbox.",
                        )
                    )
                    continue
                d = geodesic_distance_to_lines(lon, lat, coast, crs=crs)[0]
            else:
                assert areas is not None
                labels, each = distance_to_each_area(pts, areas, crs=crs)
                d = nearest_active(each, areas, pts["date"])
                fixed = {label: each[:, i] for i, label in enumerate(labels)}
            km = d / 1000.0
            ok = np.isfinite(km)
            sub = pts[ok]
            series.append((what, target, name, note, sub, km[ok], {k: v[ok] for k, v in fixed.items()}))
            rows.append(
                pd.DataFrame(
                    {
                        "kind": what,
                        "target": target,
                        "date": pd.to_datetime(pts["date"]).to_numpy(),
                        "lon": lon,
                        "lat": lat,
                        "distance_km": km,
                    }
                )
            )
    for (what, target, name, note, sub, km, fixed), child in zip(series, rng.spawn(max(len(series), 1))):
        base = f"M2.{what}.{target}"
        if target == "coverage":
            note += (
                " Outside the active areas' dates the distance is undefined and the event is left out; inside = 0 km."
            )
        if len(km) < 10:
            outcomes.append(Outcome.skipped(base, name, f"Only {len(km)} event(s) with a distance. {note}"))
            continue
        order = np.argsort(sub["date"].to_numpy(), kind="stable")
        sub, km = sub.iloc[order].reset_index(drop=True), km[order]
        fixed = {k: v[order] for k, v in fixed.items()}
        dates = pd.to_datetime(sub["date"])
        changes = area_changes(areas, dates.min(), dates.max()) if (fixed and areas is not None) else []
        outcomes.append(_trend_outcome(base, name, note, dates.to_numpy(), km, fixed, changes, s))
        wins = intervention_windows(study, dates, s["window_months"])
        for w, g in zip(wins, child.spawn(max(len(wins), 1))):
            outcomes.append(_comparison_outcome(study, what, base, name, note, sub, km, fixed, changes, w, g, s))
    tables = {"m2_distances": pd.concat(rows, ignore_index=True)} if rows else {}
    rasters, cov_note = _epoch_coverage(study, inputs, crs, s)
    if cov_note:
        for i, o in enumerate(outcomes):
            if o.id.endswith(".coverage") and o.status == "ran":
                outcomes[i] = dataclasses.replace(o, reason=(o.reason + " " + cov_note).strip())
    return Section(outcomes, tables=tables, rasters=rasters)


def _epoch_coverage(study: Study, inputs: StudyInputs, crs: CRS, s: dict[str, Any]) -> tuple[dict[str, Raster], str]:
    """Coverage at sea on the study's start and each intervention inside the period
    (:func:`~borderscape.analyses.sensors.sea_coverage`): rasters ``coverage_<date>`` and a note."""
    areas = inputs.get("operational_areas")
    stations = inputs.get("coastal_stations")
    tracks = inputs.get("aerial_tracks")
    if areas is None and stations is None and tracks is None:
        return {}, ""
    dem = inputs.dem()
    grid = dem if (stations is not None and dem is not None) else study_grid(study, crs)
    epochs = [study.start] + [i.date for i in study.interventions if study.start < i.date <= study.end]
    try:
        cov = sea_coverage(
            sorted(set(epochs)),
            grid,
            stations=None if stations is None else usable(stations.frame),
            tracks=None if tracks is None else usable(tracks.frame),
            areas=None if areas is None else usable(areas.frame),
            dem=dem,
            target_height=s["target_height_m"],
        )
    except BorderscapeError as exc:
        return {}, "Coverage rasters not built: " + reason(exc)
    return {f"coverage_{c.date.date().isoformat()}": c.count for c in cov}, f"Coverage per epoch: {cov[-1].note}."
