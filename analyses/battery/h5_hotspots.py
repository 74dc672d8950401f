"""H5 hot spots: Gi* hot spots of remains per period, and whether they moved into harder terrain.

Remains are the records of the ``deaths`` layer that count for the study
(:func:`~borderscape.analyses.battery.common.records`), in the study's working CRS; the rows
left out are counted under ``excluded_records``.  ``[parameters.statistics]``:
``confidence`` (0.95), ``permutations`` (999), ``hotspot_cell_m``, ``hotspot_band_m``,
``fdr_alpha`` (0.05), ``hotspot_periods``; ``[parameters.hardship] split`` (default: the first
intervention), ``environment_join_m`` (3500).

References
----------
Getis, A. & Ord, J. K. (1992); Ord, J. K. & Getis, A. (1995). Geogr. Anal. 24(3); 27(4).
Simes, R. J. (1986). An improved Bonferroni procedure for multiple tests of significance.
Biometrika 73(3), 751–754.
Good, P. (2005). Permutation, Parametric and Bootstrap Tests of Hypotheses. Springer.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from borderscape.analyses.battery.common import (
    REMEDIES,
    Section,
    frame_of,
    hot_cells,
    hotspot_bounds,
    hotspot_grid,
    missing,
    nearest_values,
    period_label,
    ran,
    reason,
    records,
    settings,
    split_date,
    with_excluded,
)
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome, StatResult
from borderscape.analyses.stats.hotspots import (
    cell_index,
    distance_band_weights,
    gi_star_by_window,
    gi_star_z,
    square_grid,
)
from borderscape.analyses.stats.intervals import percentile_ci
from borderscape.analyses.study import Study, working_crs
from borderscape.geo.errors import BorderscapeError
from borderscape.geo.sample import zonal_stats
from borderscape.geo.terrain import slope
from borderscape.layers.quality import usable

__all__ = ["h5_hotspots"]


def _cell_slope(study: Study, inputs: StudyInputs, grid: gpd.GeoDataFrame) -> tuple[pd.Series | None, str]:
    """Mean slope (degrees) per grid cell: DEM zonal mean, else environment-grid cells."""
    dem = inputs.dem()
    if dem is not None:
        try:
            means = zonal_stats(slope(dem), grid.geometry)["mean"]
        except BorderscapeError as exc:
            return None, f"The DEM cannot be used: {reason(exc)}"
        return means.reindex(grid.index), "mean slope of the DEM's cells in each grid cell (Horn 1981, degrees)"
    env = inputs.get("environment")
    if env is not None and "slope_deg" in frame_of(env).columns:
        frame = usable(frame_of(env))
        centres = gpd.GeoDataFrame(
            {"slope_deg": frame["slope_deg"].to_numpy(dtype=np.float64)}, geometry=frame.geometry.values, crs=frame.crs
        ).to_crs(grid.crs)
        centres = centres[centres["slope_deg"].notna()]
        cell_idx, pt_idx = grid.sindex.query(centres.geometry.values, predicate="contains")[::-1]
        inside = pd.Series(centres["slope_deg"].to_numpy()[pt_idx]).groupby(cell_idx).mean()
        out = pd.Series(np.nan, index=grid.index)
        out.iloc[inside.index.to_numpy()] = inside.to_numpy()
        empty = out.isna().to_numpy()
        if empty.any():
            tol = study.params.hardship.environment_join_m
            pts = gpd.GeoDataFrame(geometry=grid.geometry.centroid[empty].values, crs=grid.crs)
            out[empty] = nearest_values(pts, centres, ["slope_deg"], tol)["slope_deg"].to_numpy()
        return out, (
            "mean slope_deg of the environment-grid (0.044°) centres inside each cell, else the nearest "
            "centre within environment_join_m"
        )
    return None, (
        "No terrain for the hot cells: " + REMEDIES["dem"][1] + ", or name az-env-grid under [layers] environment."
    )


def h5_hotspots(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """H5: Gi* hot spots of remains per period, and whether they moved into harder terrain.

    Remains are counted on one square grid (``hotspot_cell_m``; default the larger side of
    the records' extent / 10) over all periods; Gi* (Ord & Getis 1995) with a fixed distance
    band ``hotspot_band_m`` (default 1.5 cells: the 8 neighbours), conditional-randomisation pseudo p-values
    (``permutations``, seeded) and Benjamini–Hochberg FDR at ``fdr_alpha`` across the cells
    (:func:`~borderscape.analyses.stats.hotspots.gi_star_by_window`).

    * ``H5``: did hot spots move into steeper terrain?  For the records before and from the
      split date, analytical Gi* z-scores of the counts per cell (same grid and band); each
      side's hot-spot slope is the mean slope of the cells weighted by their hot-spot
      intensity max(z, 0) (:func:`~borderscape.analyses.stats.hotspots.gi_star_z`); the estimate is after minus before (degrees).
      p-value: two-sided permutation test of the before/after labels of the records
      (``permutations``; exact when locations are exchangeable over time, Good 2005), which
      respects the clustering of cells that made a test over hot cells optimistic; CI:
      percentile bootstrap resampling records within each side.  Weighting by intensity, not
      thresholding at an FDR level, keeps the statistic defined in small samples.  Slope per
      cell: zonal mean of the DEM's slope, else the mean ``slope_deg`` of the environment grid
      centres inside the cell (nearest within ``environment_join_m`` when none).
    * ``H5.<first day>/<last day>``: per period (:func:`~borderscape.analyses.battery.common.hotspot_bounds`:
      boundaries ``hotspot_periods``, default the study's interventions), the share of cells
      that are hot, with its Clopper–Pearson interval; the p-value is Simes' (1986) global
      test that no cell is hot (the smallest BH q-value;
      :func:`~borderscape.analyses.battery.common.hot_cells`).
      It describes a period; it is not a test of the funnel effect (remains cluster along
      routes whether or not surveillance moved them: 45 % of null worlds have a hot cell).

    Parameters
    ----------
    study
        Interventions, split date and ``[parameters.statistics]``.
    inputs
        Needs ``deaths``; terrain from ``dem`` or ``environment`` for the headline.
    rng
        Three children are spawned: the per-period Gi* permutations, the permutations of
        the headline, and its bootstrap.

    Returns
    -------
    Section
        Outcomes and ``h5_cells``: a GeoDataFrame (EPSG:4326) with one row per cell and
        period: period, row, col, count, gi_z, gi_p, gi_q, hot (+1/−1/0) and slope.
    """
    config = settings(study)
    perms, alpha, conf = config["permutations"], config["fdr_alpha"], config["confidence"]
    rng_periods, rng_split, rng_compare = rng.spawn(3)
    name = "hot spots of remains moved into steeper terrain (mean slope of hot cells, after minus before)"
    why = missing(study, inputs, "deaths")
    if why:
        return Section([Outcome.skipped("H5", name, why)])
    located, excluded = records(study, inputs.get("deaths"))
    points = gpd.GeoDataFrame(
        {"date": located["date"]}, geometry=located.geometry.values, crs=located.crs, index=located.index
    ).to_crs(working_crs(study))
    if len(points) < 3:
        return Section([Outcome.skipped("H5", name, "Fewer than 3 located, dated remains.")])
    cell, band = hotspot_grid(study, points)
    grid = square_grid(points, cell)
    first, last = points["date"].min().normalize(), points["date"].max().normalize()
    bounds = hotspot_bounds(study, first, last)
    windows = list(zip(bounds[:-1], bounds[1:]))
    outcomes: list[Outcome] = []
    slope_cells, slope_note = _cell_slope(study, inputs, grid)
    cells = []
    for (start, end), child in zip(windows, rng_periods.spawn(len(windows))):
        label = period_label(start, end)
        period_name = f"share of grid cells that are Gi* hot spots, {label}"
        try:
            one = gi_star_by_window(
                points, "date", [(start, end)], grid=grid, distance_band=band, permutations=perms, seed=child
            )
        except BorderscapeError as exc:
            outcomes.append(
                Outcome.skipped(f"H5.{label}", period_name, f"Gi* is undefined in this period: {reason(exc)}")
            )
            continue
        res, counts = one.results[0], one.counts.iloc[:, 0]
        share, q, hot = hot_cells(res, alpha, conf)
        outcomes.append(
            Outcome.ran(
                f"H5.{label}",
                dataclasses.replace(
                    share,
                    parameters={
                        **share.parameters,
                        "records": int(counts.sum()),
                        "cell_m": cell,
                        "band_m": band,
                        "permutations": perms,
                        "fdr_alpha": alpha,
                        "confidence": conf,
                    },
                ),
                name=period_name,
            )
        )
        cells.append(
            gpd.GeoDataFrame(
                {
                    "period": label,
                    "row": grid["row"].to_numpy(),
                    "col": grid["col"].to_numpy(),
                    "count": counts.to_numpy(),
                    "gi_z": res.z.to_numpy(),
                    "gi_p": res.p.to_numpy(),
                    "gi_q": q,
                    "hot": hot.to_numpy(),
                    "slope": np.nan if slope_cells is None else slope_cells.to_numpy(),
                },
                geometry=grid.geometry.values,
                crs=grid.crs,
            )
        )
    tables = {"h5_cells": pd.concat(cells, ignore_index=True).to_crs("EPSG:4326")} if cells else {}
    outcomes.insert(
        0,
        _h5_headline(
            study, points, grid, slope_cells, slope_note, first, last, cell, band, config, rng_split, rng_compare, name
        ),
    )
    return Section(outcomes=with_excluded(outcomes, excluded), tables=tables)


def _hot_slope(cell_idx: np.ndarray, after: np.ndarray, slopes: np.ndarray, weights: Any) -> np.ndarray:
    """z⁺-weighted mean slope after minus before, for each column of ``after`` (records × k booleans)."""
    m = slopes.size
    k = after.shape[1]
    flat = cell_idx[:, None] + m * np.arange(k)[None, :]
    counts_after = np.bincount(flat[after], minlength=m * k).reshape(k, m).T
    counts_before = np.bincount(flat[~after], minlength=m * k).reshape(k, m).T
    finite = np.isfinite(slopes)
    s = np.where(finite, slopes, 0.0)[:, None]
    out = []
    for counts in (counts_before, counts_after):
        w = np.maximum(gi_star_z(counts, weights), 0.0) * finite[:, None]
        total = w.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(total > 0, (w * s).sum(axis=0) / total, np.nan))
    return out[1] - out[0]


def _h5_headline(
    study: Study,
    points: gpd.GeoDataFrame,
    grid: gpd.GeoDataFrame,
    slope_cells: pd.Series | None,
    slope_note: str,
    first: pd.Timestamp,
    last: pd.Timestamp,
    cell: float,
    band: float,
    config: dict[str, Any],
    rng_split: np.random.Generator,
    rng_compare: np.random.Generator,
    name: str,
) -> Outcome:
    split = split_date(study)
    if slope_cells is None:
        return Outcome.skipped("H5", name, slope_note)
    if split is None or not first < pd.Timestamp(split) <= last:
        return Outcome.skipped(
            "H5",
            name,
            "No split date inside the records: add an intervention under "
            "[[periods.interventions]] or set [parameters.hardship] split.",
        )
    s = pd.Timestamp(split)
    after = (points["date"] >= s).to_numpy()
    cell_idx = cell_index(grid, points)
    inside = cell_idx >= 0
    cell_idx, after = cell_idx[inside], after[inside]
    if after.sum() < 2 or (~after).sum() < 2:
        return Outcome.skipped("H5", name, f"Fewer than 2 located records on a side of {split}.")
    slopes = slope_cells.to_numpy(dtype=np.float64)
    weights = distance_band_weights(grid, band)
    observed = float(_hot_slope(cell_idx, after[:, None], slopes, weights)[0])
    if not np.isfinite(observed):
        return Outcome.skipped("H5", name, f"No cell with a slope is a Gi* hot spot (z > 0) on one side of {split}.")
    n_perm = config["permutations"]
    null = _hot_slope(cell_idx, np.column_stack([rng_split.permutation(after) for _ in range(n_perm)]), slopes, weights)
    valid = null[np.isfinite(null)]
    p = float((1 + np.sum(np.abs(valid) >= abs(observed) * (1 - 1e-12))) / (1 + valid.size))
    before_idx, after_idx = np.flatnonzero(~after), np.flatnonzero(after)
    picks = [
        np.r_[rng_compare.choice(before_idx, before_idx.size), rng_compare.choice(after_idx, after_idx.size)]
        for _ in range(n_perm)
    ]
    draws = np.array([_hot_slope(cell_idx[pick], after[pick][:, None], slopes, weights)[0] for pick in picks])
    ci = percentile_ci(draws, config["confidence"])
    result = StatResult(
        name=name + f" at {split} (degrees)",
        estimate=observed,
        ci=ci,
        p_value=p,
        n=int(after.size),
        method=(
            "difference (after − before the split) of the mean slope of grid cells weighted by hot-spot "
            "intensity max(Gi* z, 0) (analytical Gi*, Ord & Getis 1995, fixed distance band); two-sided "
            "permutation test of the before/after labels of the records (exact when locations are "
            "exchangeable over time; Good 2005); percentile bootstrap CI resampling records within each side"
        ),
        statistic=observed,
        parameters={"permutations": n_perm, "bootstrap": n_perm, "valid_permutations": int(valid.size)},
    )
    return ran(
        "H5",
        result,
        result.name,
        split=pd.Timestamp(split).date().isoformat(),
        records_before=int((~after).sum()),
        records_after=int(after.sum()),
        slope_source=slope_note,
        cell_m=cell,
        band_m=band,
        cells=int(slopes.size),
    )
