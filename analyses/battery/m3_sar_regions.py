"""M3 search-and-rescue regions: the share of incidents inside each SAR region, per period and at each intervention.

The precise IOM incidents (``deaths``) against the IMO SAR regions (``sar_regions``); the
Libyan SRR declared on 2018-06-28 among the interventions of the central Mediterranean.  SAR
regions may overlap; the Libyan SRR is contested.

References
----------
Wilson, E. B. (1927). JASA 22, 209–212.
Newcombe, R. G. (1998). Statistics in Medicine 17, 873–890.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderscape.analyses.battery.common import (
    Section,
    intervention_windows,
    missing,
    period_bounds,
    period_label,
    precise_deaths,
    sea_settings,
)
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome, StatResult
from borderscape.analyses.stats.intervals import wilson
from borderscape.analyses.stats.tests import share_difference
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

    Table ``sar_shares`` (region, period, inside, n, share, Wilson CI), periods cut at the
    interventions (:func:`~borderscape.analyses.battery.common.period_bounds`); outcomes
    ``M3.<region>.<date>``: share after − share before within ``window_months``
    (:func:`~borderscape.analyses.stats.tests.share_difference`).
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
    outcomes = []
    for label, start, t0, end in intervention_windows(study, dates, s["window_months"]):
        before = pts[((dates >= start) & (dates < t0)).to_numpy()]
        after = pts[((dates >= t0) & (dates < end)).to_numpy()]
        cb, ca = count_in_regions(before, regions, key), count_in_regions(after, regions, key)
        for region in regions[key]:
            oid = f"M3.{region}.{label}"
            oname = f"share of incidents inside the {region} SRR, after − before {label}"
            if len(before) < 5 or len(after) < 5:
                outcomes.append(
                    Outcome.skipped(
                        oid,
                        oname,
                        f"Only {len(before)} incident(s) before and {len(after)} after "
                        f"within {s['window_months']} months. {note}",
                    )
                )
                continue
            r = share_difference(int(ca[region]), len(after), int(cb[region]), len(before), s["confidence"])
            outcomes.append(
                Outcome.ran(
                    oid,
                    StatResult(
                        oname,
                        r.estimate,
                        r.ci,
                        r.p_value,
                        r.n,
                        r.method,
                        r.statistic,
                        {**r.parameters, "window_months": s["window_months"]},
                    ),
                    reason=note + " SAR regions may overlap; the Libyan SRR is contested.",
                )
            )
    return Section(outcomes, tables={"sar_shares": pd.DataFrame(rows)})
