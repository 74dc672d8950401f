"""H5 hot spots: Gi* hot spots of remains per period, and whether they moved into harder terrain.

Remains are the records of the ``deaths`` layer that count for the study
(:func:`~borderscape.analyses.battery.common.records`), in the study's working CRS; the rows
left out are counted under ``excluded_records``.  ``[parameters.statistics]``:
``confidence`` (0.95), ``permutations`` (999), ``hotspot_cell_m``, ``hotspot_band_m``,
``fdr_alpha`` (0.05), ``hotspot_periods``, ``hotspot_inference`` ("exact"),
``hotspot_block_cells``; ``[parameters.hardship] split`` (default: the first intervention),
``environment_join_m`` (3500).

References
----------
Getis, A. & Ord, J. K. (1992); Ord, J. K. & Getis, A. (1995). Geogr. Anal. 24(3); 27(4).
Anselin, L. (1995). Local indicators of spatial association — LISA. Geogr. Anal. 27(2), 93–115.
Pagano, M. & Tritchler, D. (1983). On obtaining permutation distributions in polynomial time.
JASA 78(382), 435–440.
Benjamini, Y. & Hochberg, Y. (1995). JRSS B 57(1), 289–300.
Besag, J. & Clifford, P. (1991). Sequential Monte Carlo p-values. Biometrika 78(2), 301–304.
Lahiri, S. N. (2003). Resampling Methods for Dependent Data. Springer (spatial block bootstrap).
Good, P. (2005). Permutation, Parametric and Bootstrap Tests of Hypotheses. Springer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from borderscape.analyses.battery.common import (
    REMEDIES,
    Section,
    composition,
    frame_of,
    hot_cells,
    hotspot_bounds,
    hotspot_grid,
    missing,
    nearest_values,
    period_label,
    reason,
    records,
    settings,
    shock_caveats,
    split_date,
    with_excluded,
)
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome, StatResult, Variant
from borderscape.analyses.stats.hotspots import (
    HotShift,
    block_side,
    cell_index,
    distance_band_weights,
    fdr_bh,
    gi_star_by_window,
    gi_star_weights,
    grid_blocks,
    hot_spot_shift,
    square_grid,
)
from borderscape.analyses.study import Study, working_crs
from borderscape.geo.errors import BorderscapeError
from borderscape.geo.sample import zonal_stats
from borderscape.geo.terrain import slope
from borderscape.layers.quality import usable

__all__ = ["h5_hotspots", "period_hot_spots", "shift_method", "window_caveats"]

#: Permutations and bootstrap resamples of each sensitivity variant of H5, none added (a variant is read
#: for its sign and size, not its third decimal; the cells-×0.5 grid costs 16 times the headline's work,
#: the band-×2 weights 4 times).
VARIANT_RESAMPLES = 199

#: What else changed between the two sides of the split (columns of the PCOME records).
COMPOSITION = {
    "location_precision": "location precision",
    "post_mortem_interval": "post-mortem interval",
    "corridor": "corridor",
}


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
        "No terrain for the hot cells: " + REMEDIES["dem"][1] + ", or name az-env-grid (southern Arizona only) or a "
        "grid of your own with slope_deg under [layers] environment."
    )


def gi_options(study: Study, permutations: int, seed: np.random.Generator) -> dict[str, Any]:
    """The inference of the per-cell Gi* p-values (``[parameters.statistics] hotspot_inference``)
    as keyword arguments of :func:`~borderscape.analyses.stats.hotspots.gi_star_by_window`."""
    mode = study.params.statistics.hotspot_inference
    if mode == "exact":
        return {"exact": True}
    if mode == "permutation" and permutations > 0:
        return {"permutations": permutations, "seed": seed}
    return {}


def period_hot_spots(
    study: Study,
    points: gpd.GeoDataFrame,
    grid: gpd.GeoDataFrame,
    band: float,
    prefix: str,
    name: Callable[[str], str],
    rng: np.random.Generator,
    *,
    permutations: int,
    min_records: int = 1,
    extra: dict[str, Any] | None = None,
    reason_text: str = "",
) -> tuple[list[Outcome], list[gpd.GeoDataFrame]]:
    """The share of hot cells in each hot-spot period (H5, M5): descriptive outcomes and cell tables.

    Periods: :func:`~borderscape.analyses.battery.common.hotspot_bounds`.  Per-cell p-values by
    :func:`gi_options` (default exact conditional randomisation: no permutation floor); hot cells
    at BH FDR ``fdr_alpha``; the share's interval by a spatial block bootstrap of the cells
    (:func:`~borderscape.analyses.battery.common.hot_cells`), blocks of ``hotspot_block_cells``
    (default :func:`~borderscape.analyses.stats.hotspots.block_side`).  Role ``descriptive``, no
    p-value: where remains or incidents cluster in one period is not a test of a change.
    """
    config = settings(study)
    st = study.params.statistics
    cell = float(np.sqrt(grid.geometry.iloc[0].area))
    side = st.hotspot_block_cells or block_side(cell, band)
    blocks = grid_blocks(grid, side)
    bounds = hotspot_bounds(study, points["date"].min().normalize(), points["date"].max().normalize())
    windows = list(zip(bounds[:-1], bounds[1:]))
    outcomes: list[Outcome] = []
    cells: list[gpd.GeoDataFrame] = []
    for (start, end), child in zip(windows, rng.spawn(len(windows))):
        label = period_label(start, end)
        rng_gi, rng_boot = child.spawn(2)
        try:
            one = gi_star_by_window(
                points, "date", [(start, end)], grid=grid, distance_band=band, **gi_options(study, permutations, rng_gi)
            )
        except BorderscapeError as exc:
            outcomes.append(
                Outcome.skipped(
                    f"{prefix}.{label}",
                    name(label),
                    f"Gi* is undefined in this period: {reason(exc)}",
                    role="descriptive",
                )
            )
            continue
        res, counts = one.results[0], one.counts.iloc[:, 0]
        if counts.sum() < min_records:
            outcomes.append(
                Outcome.skipped(
                    f"{prefix}.{label}",
                    name(label),
                    f"Only {int(counts.sum())} record(s) in the period.",
                    role="descriptive",
                )
            )
            continue
        share, q, hot = hot_cells(
            res,
            config["fdr_alpha"],
            config["confidence"],
            blocks=blocks,
            seed=rng_boot,
            resamples=config["permutations"],
        )
        parameters = {
            **share.parameters,
            "records": int(counts.sum()),
            "cell_m": cell,
            "band_m": band,
            "block_cells": int(side),
            "inference": st.hotspot_inference,
            "fdr_alpha": config["fdr_alpha"],
            "confidence": config["confidence"],
            "bootstrap": config["permutations"],
            **(extra or {}),
        }
        if st.hotspot_inference == "permutation":
            parameters["permutations"] = permutations
        outcome = Outcome.ran(
            f"{prefix}.{label}",
            dataclasses.replace(share, parameters=parameters),
            name=name(label),
            reason=reason_text,
            role="descriptive",
        )
        outcomes.append(dataclasses.replace(outcome, p_value=None))
        frame = {
            "period": label,
            "count": counts.to_numpy(),
            "gi_z": res.z.to_numpy(),
            "gi_p": res.p.to_numpy(),
            "gi_q": q,
            "hot": hot.to_numpy(),
        }
        if "row" in grid.columns:
            frame = {"period": label, "row": grid["row"].to_numpy(), "col": grid["col"].to_numpy(), **frame}
        cells.append(gpd.GeoDataFrame(frame, geometry=grid.geometry.values, crs=grid.crs))
    return outcomes, cells


def window_caveats(study: Study, start: Any, split: Any, end: Any) -> tuple[str, ...]:
    """Caveats of a before/after comparison of hot spots: the shocks near the split
    (:func:`~borderscape.analyses.battery.common.shock_caveats`) and the other interventions and
    shocks inside the compared span ``[start, end)``, whose effects the comparison mixes in (an event
    within a month of the split is taken as the split's own: splits may be rounded to months)."""
    t0, t, t1 = pd.Timestamp(start), pd.Timestamp(split), pd.Timestamp(end)
    events = [(i.name, pd.Timestamp(i.date)) for i in study.interventions] + [
        (x.name, pd.Timestamp(x.date)) for x in study.shocks if not x.denominator
    ]
    inside = sorted(
        {(d, n) for n, d in events if t0 < d < t1 and abs((d - t).days) > 31},  # within a month: the split's own
        key=lambda e: e[0],
    )
    out = list(shock_caveats(study, t))
    for label, side in (("before", [e for e in inside if e[0] < t]), ("after", [e for e in inside if e[0] > t])):
        if side:
            out.append(
                f"The records {label} the split ({t.date()}) also span "
                + "; ".join(f"{n} ({d.date()})" for d, n in side)
                + ": the comparison mixes their effects in."
            )
    return tuple(out)


def shift_method(what: str, block: str) -> str:
    """The ``method`` text of a hot-spot shift (H5, M5.shift), with its references."""
    return (
        f"difference (after − before the split) of the {what} of grid cells weighted by hot-spot intensity "
        "max(Gi* z, 0) of each side's records (analytical Gi* z, Ord & Getis 1995, fixed distance band); "
        f"two-sided permutation test exchanging whole {block} between the sides (the grid is fixed, so the "
        "spatial clustering is kept; exact when every assignment is enumerated, else sequential Monte Carlo "
        "adding permutations until 10 are as extreme, Besag & Clifford 1991; Good 2005); percentile "
        f"bootstrap interval resampling {block} within each side (cluster bootstrap, Davison & Hinkley 1997)"
    )


def h5_hotspots(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """H5: Gi* hot spots of remains per period, and whether they moved into harder terrain.

    Remains are counted on one square grid (``hotspot_cell_m``; default the larger side of
    the records' extent / 10) over all periods; Gi* (Ord & Getis 1995) with a fixed distance
    band ``hotspot_band_m`` (default 1.5 cells: the 8 neighbours).

    * ``H5`` (the primary): did hot spots move into steeper terrain?  For the records before
      and from the split date, analytical Gi* z-scores of the counts per cell (same grid and
      band); each side's hot-spot slope is the mean slope of the cells weighted by their
      hot-spot intensity max(z, 0); the estimate is after minus before (degrees)
      (:func:`~borderscape.analyses.stats.hotspots.hot_spot_shift`).  p-value: two-sided
      permutation test exchanging whole calendar years of recoveries (the split year cut in
      two) between the sides: the grid stays, so the spatial clustering of the remains is kept,
      and the records of one year (one year's search effort) move together; permutations are
      added until 10 are as extreme as observed, so the p-value never sits at the floor
      1/(permutations+1).  CI: percentile bootstrap resampling years within each side.
      Weighting by intensity, not thresholding at an FDR level, keeps the statistic defined in
      small samples.  Slope per cell: zonal mean of the DEM's slope, else the mean
      ``slope_deg`` of the environment grid centres inside the cell (nearest within
      ``environment_join_m`` when none).  ``sensitivity``: records exchanged one by one (the
      test before issue 17), cells of half and twice the side, bands of half and twice the
      radius, and hot cells thresholded at BH FDR ``fdr_alpha`` and twice it instead of
      weighted.  ``composition``: location precision, post-mortem interval and corridor of the
      records on each side.
    * ``H5.<first day>/<last day>`` (descriptive): per period
      (:func:`~borderscape.analyses.battery.common.hotspot_bounds`: boundaries
      ``hotspot_periods``, default the study's interventions), the share of cells that are hot
      (:func:`period_hot_spots`): exact conditional-randomisation p-values per cell (no
      Monte Carlo floor), BH FDR at ``fdr_alpha``, a spatial block bootstrap interval.  It
      describes a period; it is not a test of the funnel effect (remains cluster along routes
      whether or not surveillance moved them), so it carries no p-value.

    Parameters
    ----------
    study
        Interventions, split date and ``[parameters.statistics]``.
    inputs
        Needs ``deaths``; terrain from ``dem`` or ``environment`` for the headline.
    rng
        Three children are spawned: the per-period cells (Gi* permutations when asked, the
        share's bootstrap), the headline's permutations and bootstrap, and its sensitivity.

    Returns
    -------
    Section
        Outcomes and ``h5_cells``: a GeoDataFrame (EPSG:4326) with one row per cell and
        period: period, row, col, count, gi_z, gi_p, gi_q, hot (+1/−1/0) and slope.
    """
    config = settings(study)
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
        left = ", ".join(f"{v:,} {k}" for k, v in excluded.items() if v)
        return Section(
            [
                Outcome.skipped(
                    "H5",
                    name,
                    f"{len(points)} remains inside the study region and period (fewer than 3)"
                    + (f"; left out: {left}." if left else "."),
                )
            ]
        )
    cell, band = hotspot_grid(study, points)
    grid = square_grid(points, cell)
    slope_cells, slope_note = _cell_slope(study, inputs, grid)
    outcomes, cells = period_hot_spots(
        study,
        points,
        grid,
        band,
        "H5",
        lambda label: f"share of grid cells that are Gi* hot spots, {label}",
        rng_periods,
        permutations=config["permutations"],
    )
    for frame in cells:
        frame["slope"] = np.nan if slope_cells is None else slope_cells.to_numpy()
    tables = {"h5_cells": pd.concat(cells, ignore_index=True).to_crs("EPSG:4326")} if cells else {}
    outcomes.insert(
        0,
        _h5_headline(
            study, inputs, located, points, grid, slope_cells, slope_note, cell, band, rng_split, rng_compare, name
        ),
    )
    return Section(outcomes=with_excluded(outcomes, excluded), tables=tables)


def _year_blocks(dates: pd.Series, after: np.ndarray) -> np.ndarray:
    """Calendar year of each record, the split year cut in two (``2006b``/``2006a``)."""
    years = pd.to_datetime(dates).dt.year.to_numpy()
    return np.array([f"{y}{'a' if a else 'b'}" for y, a in zip(years, after)])


def _shift_on(
    study: Study,
    inputs: StudyInputs,
    points: gpd.GeoDataFrame,
    after: np.ndarray,
    blocks: np.ndarray,
    cell: float,
    band: float,
    seed: np.random.Generator,
    grid: gpd.GeoDataFrame | None = None,
    slopes: pd.Series | None = None,
    resamples: int | None = None,
    adaptive: bool = True,
) -> tuple[HotShift | None, str]:
    """The headline's statistic and test on a grid of ``cell`` metres with a band of ``band`` metres
    (``resamples`` permutations and bootstrap resamples, default ``permutations``; ``adaptive``: add
    permutations while fewer than 10 are as extreme as observed)."""
    config = settings(study)
    count = int(resamples or config["permutations"])
    if grid is None:
        grid = square_grid(points, cell)
    if slopes is None:
        slopes, note = _cell_slope(study, inputs, grid)
        if slopes is None:
            return None, note
    idx = cell_index(grid, points)
    inside = idx >= 0
    try:
        shift = hot_spot_shift(
            idx[inside],
            after[inside],
            slopes.to_numpy(dtype=np.float64),
            distance_band_weights(grid, band),
            blocks[inside],
            seed=seed,
            permutations=count,
            max_permutations=None if adaptive else count,
            resamples=count,
            confidence=config["confidence"],
        )
    except BorderscapeError as exc:
        return None, reason(exc)
    if not np.isfinite(shift.estimate):
        return None, "No cell with a slope is a Gi* hot spot (z > 0) on one side of the split."
    return shift, ""


def _fdr_variant(
    points: gpd.GeoDataFrame, after: np.ndarray, grid: gpd.GeoDataFrame, slopes: np.ndarray, band: float, alpha: float
) -> Variant:
    """The headline with hot cells thresholded (exact p, BH FDR ``alpha``) instead of weighted: estimate only."""
    name = f"hot cells at BH FDR {alpha:g} (mean slope of the hot cells) instead of weighting by max(z, 0)"
    idx = cell_index(grid, points)
    w = distance_band_weights(grid, band)
    means = []
    for side in (~after, after):
        counts = np.bincount(idx[side & (idx >= 0)], minlength=len(grid))
        try:
            res = gi_star_weights(counts, w, exact=True)
        except BorderscapeError as exc:
            return Variant(name, None, note=reason(exc))
        hot = (np.asarray(fdr_bh(res.p, alpha).reject) & (res.z.to_numpy() > 0)) & np.isfinite(slopes)
        means.append(float(slopes[hot].mean()) if hot.any() else np.nan)
    if not all(np.isfinite(means)):
        return Variant(name, None, note="No hot cell with a slope on one side of the split.")
    return Variant(
        name,
        means[1] - means[0],
        n=int(len(points)),
        note="Estimate only: an interval would need exact Gi* p-values for every resample.",
    )


def _h5_headline(
    study: Study,
    inputs: StudyInputs,
    located: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame,
    grid: gpd.GeoDataFrame,
    slope_cells: pd.Series | None,
    slope_note: str,
    cell: float,
    band: float,
    rng_split: np.random.Generator,
    rng_compare: np.random.Generator,
    name: str,
) -> Outcome:
    config = settings(study)
    split = split_date(study)
    first, last = points["date"].min().normalize(), points["date"].max().normalize()
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
    idx = cell_index(grid, points)
    if (after & (idx >= 0)).sum() < 2 or (~after & (idx >= 0)).sum() < 2:
        return Outcome.skipped("H5", name, f"Fewer than 2 located records on a side of {split}.")
    blocks = _year_blocks(points["date"], after)
    shift, why = _shift_on(study, inputs, points, after, blocks, cell, band, rng_split, grid=grid, slopes=slope_cells)
    if shift is None:
        return Outcome.skipped("H5", name, why)
    result = StatResult(
        name=name + f" at {split} (degrees)",
        estimate=shift.estimate,
        ci=shift.ci,
        p_value=shift.p_value,
        n=shift.n,
        method=shift_method("mean slope", "calendar years of recoveries"),
        statistic=shift.estimate,
        parameters={
            "permutations": shift.permutations,
            "p_method": shift.p_method,
            "as_extreme": shift.extreme,
            "bootstrap": config["permutations"],
            "valid_permutations": shift.valid[0],
            "valid_bootstrap": shift.valid[1],
            "years_before": shift.blocks[0],
            "years_after": shift.blocks[1],
        },
    )
    variants = _h5_variants(study, inputs, points, after, grid, slope_cells, cell, band, rng_compare)
    outcome = Outcome.ran(
        "H5",
        result,
        name=result.name,
        sensitivity=tuple(variants),
        composition=composition(located[~after], located[after], COMPOSITION),
        caveats=window_caveats(study, first, s, last + pd.Timedelta(days=1)),
        role="secondary",
    )
    return dataclasses.replace(
        outcome,
        parameters={
            **outcome.parameters,
            "split": s.date().isoformat(),
            "records_before": int((~after & (idx >= 0)).sum()),
            "records_after": int((after & (idx >= 0)).sum()),
            "slope_source": slope_note,
            "cell_m": cell,
            "band_m": band,
            "cells": len(grid),
        },
    )


def _h5_variants(
    study: Study,
    inputs: StudyInputs,
    points: gpd.GeoDataFrame,
    after: np.ndarray,
    grid: gpd.GeoDataFrame,
    slope_cells: pd.Series,
    cell: float,
    band: float,
    rng: np.random.Generator,
) -> list[Variant]:
    """The headline under other tests, grids, bands and hot-spot definitions (each with
    :data:`VARIANT_RESAMPLES` permutations and bootstrap resamples at most)."""
    alpha = settings(study)["fdr_alpha"]
    count = min(VARIANT_RESAMPLES, settings(study)["permutations"])
    streams = iter(rng.spawn(5))
    out: list[Variant] = []

    def add(label: str, shift: HotShift | None, why: str, note: str) -> None:
        if shift is None:
            out.append(Variant(label, None, note=why))
        else:
            out.append(Variant(label, shift.estimate, shift.ci, shift.n, shift.p_value, note))

    records_as_blocks = np.arange(len(points)).astype(str)
    shift, why = _shift_on(
        study, inputs, points, after, records_as_blocks, cell, band, next(streams), grid, slope_cells, count, False
    )
    add(
        "records exchanged one by one (permutation and bootstrap of single records)",
        shift,
        why,
        "The test before issue 17: it treats the records of one year as independent draws.",
    )
    blocks = _year_blocks(points["date"], after)
    for factor in (0.5, 2.0):
        shift, why = _shift_on(
            study, inputs, points, after, blocks, cell * factor, band, next(streams), resamples=count, adaptive=False
        )
        add(f"cells of {cell * factor / 1000:g} km (×{factor:g}), band {band / 1000:g} km", shift, why, "")
    for factor in (0.5, 2.0):
        if band * factor < cell:
            out.append(Variant(f"band of {band * factor / 1000:g} km (×{factor:g})", None, note="Shorter than a cell."))
            continue
        shift, why = _shift_on(
            study, inputs, points, after, blocks, cell, band * factor, next(streams), grid, slope_cells, count, False
        )
        add(f"band of {band * factor / 1000:g} km (×{factor:g}), cells {cell / 1000:g} km", shift, why, "")
    slopes = slope_cells.to_numpy(dtype=np.float64)
    for a in (alpha, min(2 * alpha, 0.5)):
        out.append(_fdr_variant(points, after, grid, slopes, band, a))
    return out
