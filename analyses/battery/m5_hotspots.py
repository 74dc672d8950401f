"""M5 hot spots: Gi* hot spots of incidents at sea, per period.

References
----------
Getis, A. & Ord, J. K. (1992). Geographical Analysis 24(3), 189–206.
Ord, J. K. & Getis, A. (1995). Geographical Analysis 27(4), 286–306.
Benjamini, Y. & Hochberg, Y. (1995). JRSS B 57(1), 289–300.
Simes, R. J. (1986). Biometrika 73(3), 751–754.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd

from borderscape.analyses.battery.common import (
    Section,
    hot_cells,
    hotspot_bounds,
    hotspot_grid,
    missing,
    period_label,
    precise_deaths,
    reason,
    sea_settings,
)
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome
from borderscape.analyses.stats.hotspots import gi_star_by_window, square_grid
from borderscape.analyses.study import Study, working_crs
from borderscape.geo.errors import BorderscapeError

__all__ = ["m5_hotspots"]


def m5_hotspots(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """M5: Gi* hot spots of incidents (IOM, precise coordinates) per period.

    Periods split at the interventions (:func:`~borderscape.analyses.battery.common.hotspot_bounds`);
    counts per square cell (``hotspot_cell_m``) in the study's working CRS; Gi* with a distance
    band (``hotspot_band_m``) and conditional-randomisation pseudo p-values (Getis & Ord 1992; Ord & Getis 1995;
    ``[parameters.maritime] hotspot_permutations``, default 9999 — with thousands of cells
    the smallest pseudo p-value 1/(permutations+1) must survive the FDR; 0 gives analytical
    p-values, anti-conservative for sparse counts), Benjamini–Hochberg FDR. Estimate: the
    share of cells that are hot spots (Clopper–Pearson CI); p-value: the smallest BH q
    (Simes 1986 global test; :func:`~borderscape.analyses.battery.common.hot_cells`). Table
    ``m5_cells`` (EPSG:4326).
    """
    s = sea_settings(study)
    name = "Gi* hot spots of incidents"
    why = missing(study, inputs, "deaths")
    if why:
        return Section([Outcome.skipped("M5", name, why)])
    pts, note = precise_deaths(study, inputs, s["iom_routes"])
    if len(pts) < 10:
        return Section([Outcome.skipped("M5", name, f"Only {len(pts)} located incidents. {note}")])
    pts = pts[["date", "geometry"]].to_crs(working_crs(study))
    pts["date"] = pd.to_datetime(pts["date"])
    cell_m, band_m = hotspot_grid(study, pts)
    grid = square_grid(pts, cell_m)
    bounds = hotspot_bounds(study, pts["date"].min(), pts["date"].max())
    windows = list(zip(bounds[:-1], bounds[1:]))
    outcomes, cells = [], []
    for (a, b), child in zip(windows, rng.spawn(len(windows))):
        label = period_label(a, b)
        pname = f"{name}, share of cells hot, {label}"
        try:
            one = gi_star_by_window(
                pts,
                "date",
                [(a, b)],
                grid=grid,
                distance_band=band_m,
                permutations=s["hotspot_permutations"],
                seed=child,
            )
        except BorderscapeError as exc:
            outcomes.append(Outcome.skipped(f"M5.{label}", pname, "Gi* is undefined in this period: " + reason(exc)))
            continue
        res, counts = one.results[0], one.counts.iloc[:, 0]
        if counts.sum() < 3:
            outcomes.append(
                Outcome.skipped(f"M5.{label}", pname, f"Only {int(counts.sum())} incident(s) in the period.")
            )
            continue
        share, q, hot = hot_cells(res, s["fdr_alpha"], s["confidence"])
        outcomes.append(
            Outcome.ran(
                f"M5.{label}",
                dataclasses.replace(
                    share,
                    parameters={
                        **share.parameters,
                        "incidents": int(counts.sum()),
                        "cell_m": cell_m,
                        "band_m": band_m,
                        "permutations": s["hotspot_permutations"],
                        "fdr_alpha": s["fdr_alpha"],
                        "confidence": s["confidence"],
                    },
                ),
                name=pname,
                reason=note,
            )
        )
        cells.append(
            gpd.GeoDataFrame(
                {
                    "period": label,
                    "count": counts.to_numpy(),
                    "gi_z": res.z.to_numpy(),
                    "gi_p": res.p.to_numpy(),
                    "gi_q": q,
                    "hot": hot.to_numpy(),
                },
                geometry=grid.geometry.values,
                crs=grid.crs,
            )
        )
    tables = {"m5_cells": pd.concat(cells, ignore_index=True).to_crs("EPSG:4326")} if cells else {}
    return Section(outcomes, tables=tables)
