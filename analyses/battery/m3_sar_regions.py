"""M3 search-and-rescue regions: the share of incidents inside each SAR region, per period and at each intervention.

The precise IOM incidents (``deaths``) against the IMO SAR regions (``sar_regions``); the
Libyan SRR declared on 2018-06-28 among the interventions of the central Mediterranean.  SAR
regions may overlap; the Libyan SRR is contested.

Incidents cluster in time (one shipwreck recorded as several incidents, waves of departures), so
the comparisons take whole months as the unit.

References
----------
Wilson, E. B. (1927). JASA 22, 209–212.
Davison, A. C. & Hinkley, D. V. (1997). Bootstrap Methods and their Application, §3.8. CUP.
Good, P. (2005). Permutation, Parametric and Bootstrap Tests of Hypotheses, 3rd ed. Springer.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderscape.analyses.battery.common import (
    Section,
    composition,
    intervention_windows,
    missing,
    period_bounds,
    period_label,
    precise_deaths,
    sea_settings,
    shock_caveats,
)
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome, StatResult
from borderscape.analyses.sea import month_block_comparison
from borderscape.analyses.stats.intervals import wilson
from borderscape.analyses.study import Study
from borderscape.layers.quality import usable

__all__ = ["count_in_regions", "m3_sar_regions"]


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
    return pd.Series(
        [int(shapely.intersects_xy(g, x, y).sum()) for g in regions.geometry.values],
        index=regions[key].to_numpy(),
        name="inside",
    )


def m3_sar_regions(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """M3: share of incidents inside each SAR region per period, and its change at each intervention.

    Table ``sar_shares`` (region, period, inside, n, share, Wilson CI — descriptive, incidents taken as
    independent), periods cut at the interventions (:func:`~borderscape.analyses.battery.common.period_bounds`);
    outcomes ``M3.<region>.<date>``: share after − share before each intervention month within
    ``window_months``, with whole months as the unit (month-block bootstrap interval, month-permutation
    p-value: :func:`~borderscape.analyses.sea.month_block_comparison`); descriptive when a side has
    fewer than ``[parameters.statistics] min_months`` months.
    """
    s = sea_settings(study)
    name = "share of incidents inside each search-and-rescue region"
    why = missing(study, inputs, "deaths", "sar_regions")
    if why:
        return Section([Outcome.skipped("M3", name, why)])
    pts, note = precise_deaths(study, inputs, s["iom_routes"])
    regions = usable(inputs.get("sar_regions").frame)
    key = "country_iso3" if "country_iso3" in regions.columns else regions.columns[0]
    if len(pts) < 10:
        return Section([Outcome.skipped("M3", name, f"Only {len(pts)} located incidents. {note}")])
    dates = pd.to_datetime(pts["date"])
    bounds = period_bounds(study, dates.min(), dates.max())
    rows = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        sel = pts[((dates >= a) & (dates < b)).to_numpy()]
        if sel.empty:
            continue
        counts = count_in_regions(sel, regions, key)
        for region, k in counts.items():
            lo, hi = wilson(k, len(sel), s["confidence"])
            rows.append(
                {
                    "region": region,
                    "period": period_label(a, b),
                    "inside": int(k),
                    "n": len(sel),
                    "share": k / len(sel),
                    "ci_low": lo,
                    "ci_high": hi,
                }
            )
    x, y = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
    inside = {r: shapely.intersects_xy(g, x, y) for r, g in zip(regions[key], regions.geometry.values)}
    months = dates.dt.strftime("%Y-%m").to_numpy()
    first, last = dates.min().to_period("M").to_timestamp(), dates.max().to_period("M").to_timestamp()
    outcomes = []
    windows = intervention_windows(study, dates, s["window_months"])
    for w, g in zip(windows, rng.spawn(max(len(windows), 1))):
        sel = ((dates >= w.start) & (dates < w.end)).to_numpy()
        after = (dates >= w.split).to_numpy()[sel]
        lo = max(w.start, first)
        hi = min(w.end, last + pd.DateOffset(months=1))
        mb = (w.split.year - lo.year) * 12 + w.split.month - lo.month
        ma = (hi.year - w.split.year) * 12 + hi.month - w.split.month
        descriptive = min(mb, ma) < s["min_months"]
        caveats = list(shock_caveats(study, w.split))
        sub = pts[sel]
        rows_c = composition(sub[~after], sub[after], {"coord_decimals": "decimals of the reported coordinates"})
        for region, child in zip(regions[key], g.spawn(len(regions))):
            oid = f"M3.{region}.{w.label}"
            oname = (
                f"share of incidents inside the {region} SRR, after − before {' and '.join(w.names)} "
                f"(split {w.split.strftime('%Y-%m')})"
            )
            if (~after).sum() < 5 or after.sum() < 5:
                outcomes.append(
                    Outcome.skipped(
                        oid,
                        oname,
                        f"Only {(~after).sum()} incident(s) before and {after.sum()} after "
                        f"within {s['window_months']} months. {note}",
                    )
                )
                continue
            c = month_block_comparison(
                inside[region][sel].astype(float),
                months[sel],
                after,
                _share_difference,
                seed=child,
                resamples=s["permutations"],
                permutations=0 if descriptive else s["permutations"],
                confidence=s["confidence"],
            )
            why = (
                f"{mb} month(s) before and {ma} after inside the span of the incidents: fewer than "
                f"[parameters.statistics] min_months = {s['min_months']} on a side"
            )
            outcomes.append(
                Outcome.ran(
                    oid,
                    StatResult(
                        oname,
                        c.estimate,
                        c.ci,
                        c.p_value,
                        c.n_before + c.n_after,
                        "difference of shares after − before; interval: month-block bootstrap (months resampled "
                        "whole within each side; Davison & Hinkley 1997 §3.8), percentile; "
                        + (
                            "descriptive: " + why
                            if descriptive
                            else "p-value: permutation of whole months between the sides (Good 2005)"
                        ),
                        parameters={
                            "inside_before": int(inside[region][sel][~after].sum()),
                            "inside_after": int(inside[region][sel][after].sum()),
                            "before": c.n_before,
                            "after": c.n_after,
                            "months_before": mb,
                            "months_after": ma,
                            "split": str(w.split.date()),
                            "window_months": s["window_months"],
                            "resamples": c.resamples,
                            "permutations": c.permutations,
                            "confidence": s["confidence"],
                        },
                    ),
                    reason=note + " SAR regions may overlap; the Libyan SRR is contested.",
                    role="descriptive" if descriptive else "secondary",
                    composition=rows_c,
                    caveats=tuple(caveats),
                )
            )
    return Section(outcomes, tables={"sar_shares": pd.DataFrame(rows)})


def _share_difference(after: np.ndarray, before: np.ndarray) -> float:
    return float(after.mean() - before.mean())
