"""M5 hot spots: Gi* hot spots of incidents at sea per period, and whether they moved towards or away from
the departure coasts.

References
----------
Getis, A. & Ord, J. K. (1992). Geographical Analysis 24(3), 189–206.
Ord, J. K. & Getis, A. (1995). Geographical Analysis 27(4), 286–306.
Anselin, L. (1995). Local indicators of spatial association — LISA. Geographical Analysis 27(2), 93–115.
Pagano, M. & Tritchler, D. (1983). On obtaining permutation distributions in polynomial time. JASA 78(382),
435–440.
Benjamini, Y. & Hochberg, Y. (1995). JRSS B 57(1), 289–300.
Besag, J. & Clifford, P. (1991). Sequential Monte Carlo p-values. Biometrika 78(2), 301–304.
Lahiri, S. N. (2003). Resampling Methods for Dependent Data. Springer (spatial block bootstrap).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from borderscape.analyses.battery.common import (
    Section,
    composition,
    hotspot_grid,
    missing,
    precise_deaths,
    reason,
    sea_settings,
)
from borderscape.analyses.battery.h5_hotspots import period_hot_spots, shift_method, window_caveats
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome, StatResult, Variant
from borderscape.analyses.sea import departure_coast, geodesic_distance_to_lines
from borderscape.analyses.stats.hotspots import (
    HotShift,
    cell_index,
    distance_band_weights,
    hot_spot_shift,
    square_grid,
)
from borderscape.analyses.study import Study, working_crs
from borderscape.geo.errors import BorderscapeError

__all__ = ["m5_hotspots"]

#: What else changed between the two sides of the split (columns of the IOM records).
COMPOSITION = {"country": "country of the incident", "source_quality": "IOM source quality", "cause": "cause of death"}

#: Permutations and bootstrap resamples of each sensitivity variant of M5 (none added).
VARIANT_RESAMPLES = 199


def m5_hotspots(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """M5: Gi* hot spots of incidents (IOM, precise coordinates) per period, and whether they moved.

    Counts per square cell (``hotspot_cell_m``) in the study's working CRS; Gi* with a distance
    band (``hotspot_band_m``; Getis & Ord 1992; Ord & Getis 1995).

    * ``M5`` (the primary): did the hot spots of incidents move towards or away from the
      departure coasts?  The mean geodesic distance (km) of the grid's cells from the departure
      coasts (GSHHG shorelines inside ``[[parameters.maritime.departure_coasts]]``), weighted by the
      hot-spot intensity max(Gi* z, 0) of the incidents on each side of the split, after minus before
      (:func:`~borderscape.analyses.stats.hotspots.hot_spot_shift`).  The comparison is the study's
      pre-specified one: ``[parameters.maritime] change_periods`` ``[start, split, end)`` when given
      (the months of M1's primary), else the first intervention with at least ``[parameters.statistics]
      min_months`` months of incidents on each side, all incidents.  p-value: two-sided permutation test
      exchanging whole calendar months of incidents between the sides (incidents of one month — one
      shipwreck, one weather window — move together; the grid stays, so the spatial clustering is kept),
      permutations added until 10 are as extreme (never at the floor); interval: months resampled within
      each side.  ``sensitivity``: incidents exchanged one by one, cells and bands of half and twice the
      size; ``composition``: country, IOM source quality and cause of the incidents on each side.
    * ``M5.<first day>/<last day>`` (descriptive): per period (split at the interventions,
      :func:`~borderscape.analyses.battery.common.hotspot_bounds`), the share of cells that are hot
      (:func:`~borderscape.analyses.battery.h5_hotspots.period_hot_spots`): exact conditional-randomisation
      p-values per cell (``[parameters.statistics] hotspot_inference``; with "permutation",
      ``[parameters.maritime] hotspot_permutations``), BH FDR ``fdr_alpha``, a spatial block bootstrap
      interval, no p-value.  Table ``m5_cells`` (EPSG:4326).
    """
    s = sea_settings(study)
    rng_periods, rng_shift, rng_variants = rng.spawn(3)
    name = "Gi* hot spots of incidents"
    shift_name = (
        "hot spots of incidents moved from the departure coasts (hot-spot-weighted distance, after minus before)"
    )
    why = missing(study, inputs, "deaths")
    if why:
        return Section([Outcome.skipped("M5", shift_name, why)])
    located, note = precise_deaths(study, inputs, s["iom_routes"])
    if len(located) < 10:
        why = f"Only {len(located)} located incidents. {note}"
        return Section([Outcome.skipped("M5", shift_name, why)])
    pts = located[["date", "geometry"]].to_crs(working_crs(study))
    pts["date"] = pd.to_datetime(pts["date"])
    cell_m, band_m = hotspot_grid(study, pts)
    grid = square_grid(pts, cell_m)
    outcomes, cells = period_hot_spots(
        study,
        pts,
        grid,
        band_m,
        "M5",
        lambda label: f"{name}, share of cells hot, {label}",
        rng_periods,
        permutations=s["hotspot_permutations"],
        min_records=3,
        reason_text=note,
    )
    tables = {"m5_cells": pd.concat(cells, ignore_index=True).to_crs("EPSG:4326")} if cells else {}
    outcomes.insert(
        0, _m5_shift(study, inputs, located, pts, grid, cell_m, band_m, s, rng_shift, rng_variants, shift_name, note)
    )
    return Section(outcomes, tables=tables)


def _comparison(study: Study, dates: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp] | str:
    """(start, split, end) of M5, or why there is none."""
    periods = getattr(study.params.maritime, "change_periods", None)
    if periods:
        start, split, end = (pd.Timestamp(d) for d in periods)
        return start, split, end
    months = study.params.statistics.min_months
    first, last = dates.min(), dates.max()
    for item in sorted(study.interventions, key=lambda i: i.date):
        t = pd.Timestamp(item.date)
        if first + pd.DateOffset(months=months) <= t <= last - pd.DateOffset(months=months):
            return first.normalize(), t, last.normalize() + pd.Timedelta(days=1)
    return (
        f"No intervention has at least {months} months of located incidents on each side "
        f"({first.date()} … {last.date()}): set [parameters.maritime] change_periods or lower "
        "[parameters.statistics] min_months."
    )


def _month_blocks(dates: pd.Series, after: np.ndarray) -> np.ndarray:
    """Calendar month of each incident, the split month cut in two (``2018-06b``/``2018-06a``)."""
    months = pd.to_datetime(dates).dt.strftime("%Y-%m").to_numpy()
    return np.array([f"{m}{'a' if a else 'b'}" for m, a in zip(months, after)])


def _coast_km(grid: gpd.GeoDataFrame, reach: np.ndarray, coast: gpd.GeoSeries, crs: Any) -> np.ndarray:
    """Geodesic distance (km) of each cell's centre from the departure coasts, for the cells in
    ``reach`` (NaN elsewhere: a cell with no incident within its band has Gi* z < 0 on every sample
    of the incidents, so it never weighs in the hot-spot mean)."""
    out = np.full(len(grid), np.nan)
    if reach.any():
        centres = gpd.GeoSeries(grid.geometry.centroid[reach].values, crs=grid.crs).to_crs("EPSG:4326")
        out[reach] = geodesic_distance_to_lines(centres.x.to_numpy(), centres.y.to_numpy(), coast, crs=crs)[0] / 1000.0
    return out


def _m5_shift(
    study: Study,
    inputs: StudyInputs,
    located: gpd.GeoDataFrame,
    pts: gpd.GeoDataFrame,
    grid: gpd.GeoDataFrame,
    cell_m: float,
    band_m: float,
    s: dict[str, Any],
    rng: np.random.Generator,
    rng_variants: np.random.Generator,
    name: str,
    note: str,
) -> Outcome:
    why = missing(study, inputs, "coastline")
    if not why and not s["departure_coasts"]:
        why = "No departure coasts: add [[parameters.maritime.departure_coasts]] tables (name, bbox)."
    if why:
        return Outcome.skipped("M5", name, why)
    coast = departure_coast(inputs.get("coastline").frame, s["departure_coasts"])
    if coast.empty:
        return Outcome.skipped("M5", name, "The departure-coast boxes hold no GSHHG shoreline: check their bbox.")
    window = _comparison(study, pts["date"])
    if isinstance(window, str):
        return Outcome.skipped("M5", name, window)
    start, split, end = window
    inside = ((pts["date"] >= start) & (pts["date"] < end)).to_numpy()
    sub, rows = pts[inside], located[inside]
    after = (sub["date"] >= split).to_numpy()
    if after.sum() < 3 or (~after).sum() < 3:
        return Outcome.skipped("M5", name, f"Fewer than 3 located incidents on a side of {split.date()}.")
    crs = working_crs(study)
    blocks = _month_blocks(sub["date"], after)
    count = s["permutations"]
    distances: dict[tuple[float, float], np.ndarray] = {}

    def run(
        cell: float, band: float, labels: np.ndarray, seed: np.random.Generator, n: int, adaptive: bool
    ) -> tuple[HotShift | None, str]:
        g = grid if cell == cell_m else square_grid(pts, cell)
        idx = cell_index(g, sub)
        w = distance_band_weights(g, band)
        occupied = np.bincount(idx[idx >= 0], minlength=len(g)) > 0
        reach = occupied | ((w @ occupied.astype(np.float64)) > 0)
        key = (cell, band)
        if key not in distances:
            distances[key] = _coast_km(g, reach, coast, crs)
        try:
            shift = hot_spot_shift(
                idx,
                after,
                distances[key],
                w,
                labels,
                seed=seed,
                permutations=n,
                max_permutations=None if adaptive else n,
                resamples=n,
                confidence=s["confidence"],
            )
        except BorderscapeError as exc:
            return None, reason(exc)
        if not np.isfinite(shift.estimate):
            return None, "No cell is a Gi* hot spot (z > 0) on one side of the split."
        return shift, ""

    shift, why = run(cell_m, band_m, blocks, rng, count, True)
    if shift is None:
        return Outcome.skipped("M5", name, why)
    variants: list[Variant] = []
    streams = iter(rng_variants.spawn(5))
    n_var = min(VARIANT_RESAMPLES, count)
    specs = [
        ("incidents exchanged one by one (permutation and bootstrap of single incidents)", cell_m, band_m, True),
        (f"cells of {cell_m * 0.5 / 1000:g} km (×0.5), band {band_m / 1000:g} km", cell_m * 0.5, band_m, False),
        (f"cells of {cell_m * 2 / 1000:g} km (×2), band {band_m / 1000:g} km", cell_m * 2, band_m, False),
        (f"band of {band_m * 0.5 / 1000:g} km (×0.5), cells {cell_m / 1000:g} km", cell_m, band_m * 0.5, False),
        (f"band of {band_m * 2 / 1000:g} km (×2), cells {cell_m / 1000:g} km", cell_m, band_m * 2, False),
    ]
    for label, cell, band, single in specs:
        seed = next(streams)
        if band < cell:
            variants.append(Variant(label, None, note="The band is shorter than a cell."))
            continue
        labels = np.arange(len(sub)).astype(str) if single else blocks
        v, why = run(cell, band, labels, seed, n_var, False)
        variants.append(
            Variant(label, None, note=why)
            if v is None
            else Variant(label, v.estimate, v.ci, v.n, v.p_value, f"{n_var} permutations and resamples")
        )
    result = StatResult(
        name=name + f" at {split.date()} (km)",
        estimate=shift.estimate,
        ci=shift.ci,
        p_value=shift.p_value,
        n=shift.n,
        method=shift_method("geodesic distance from the departure coasts (GSHHG)", "calendar months of incidents"),
        statistic=shift.estimate,
        parameters={
            "start": start.date().isoformat(),
            "split": split.date().isoformat(),
            "end": (end - pd.Timedelta(days=1)).date().isoformat(),
            "incidents_before": int((~after).sum()),
            "incidents_after": int(after.sum()),
            "months_before": shift.blocks[0],
            "months_after": shift.blocks[1],
            "permutations": shift.permutations,
            "p_method": shift.p_method,
            "as_extreme": shift.extreme,
            "bootstrap": count,
            "valid_permutations": shift.valid[0],
            "valid_bootstrap": shift.valid[1],
            "cell_m": cell_m,
            "band_m": band_m,
            "cells": len(grid),
            "departure_coasts": [c["name"] for c in s["departure_coasts"]],
        },
    )
    return Outcome.ran(
        "M5",
        result,
        name=result.name,
        reason=note,
        role="secondary",
        sensitivity=tuple(variants),
        composition=composition(rows[~after], rows[after], COMPOSITION),
        caveats=window_caveats(study, start, split, end),
    )
