"""H2 hardship: are remains found in harder places, more so over time and after interventions?

After Chambers, Boyce, Launius & Dinsmore (2019).  Remains are the records of the ``deaths``
layer that count for the study (:func:`~borderscape.analyses.battery.common.records`: usable,
located, dated in the study period, inside its bounding box); the rows left out are counted by
reason under ``excluded_records`` in the parameters of every outcome that ran.  Distances are in
metres in the study's working CRS (:func:`~borderscape.analyses.study.working_crs`).

*The split date.*  Pre/post comparisons compare the records before and from the split date:
``[parameters.hardship] split = "YYYY-MM-DD"``, by default the study's first intervention (for
Arizona–Sonora, the SBInet contract of 2006-09-21, the start of the tower programme).

*Parameters*: ``[parameters.statistics]`` ``confidence`` (0.95), ``permutations`` (999; also the
number of bootstrap resamples); ``[parameters.hardship]`` ``split``, ``terrain_window_m`` (270),
``terrain_join_m`` (100), ``environment_join_m`` (3500), ``min_per_year`` (3),
``energy_segments`` (4); ``[parameters.cost]`` for the walker.

References
----------
Chambers, S. N., Boyce, G. A., Launius, S. & Dinsmore, A. (2019). Mortality, surveillance and
the tertiary "funnel effect" on the U.S.-Mexico border. J. Borderlands Studies 36(3).
van Elteren, P. H. (1960). On the combination of independent two-sample tests of Wilcoxon. Bull. Int. Stat.
Inst. 37, 351–361.
Keating, K. A. & Cherry, S. (2004). Use and interpretation of logistic regression in habitat-selection
studies. J. Wildlife Management 68, 774–789.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from borderscape.analyses.battery.common import (
    REMEDIES,
    Section,
    frame_of,
    missing,
    nearest_values,
    pandolf_params,
    ran,
    reason,
    records,
    settings,
    split_date,
    with_excluded,
)
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome
from borderscape.analyses.stats.models import case_control_logit
from borderscape.analyses.stats.tests import stratified_rank_test
from borderscape.analyses.stats.trends import compare_samples, mann_kendall
from borderscape.analyses.study import Study, working_crs
from borderscape.geo.costdistance import accumulated_cost
from borderscape.geo.errors import BorderscapeError
from borderscape.geo.nearest import nearest
from borderscape.geo.raster import Raster
from borderscape.geo.sample import sample_points
from borderscape.geo.terrain import focal_mean, ruggedness, slope
from borderscape.layers.quality import usable

__all__ = ["COVARIATES", "h2_hardship"]

#: H2 covariates: sub-id → (plain name, unit).
COVARIATES: dict[str, tuple[str, str]] = {
    "road_distance": ("distance from remains to the nearest road", "m"),
    "water_distance": ("distance from remains to the nearest water station", "m"),
    "slope": ("slope at remains", "degrees"),
    "ruggedness": ("terrain ruggedness at remains", "terrain units"),
    "energy": ("accumulated walking energy from the border to remains (Pandolf)", "kJ"),
}


def _geoms(layer: Any, crs: CRS) -> np.ndarray:
    """The usable, non-empty geometries of a layer, in ``crs``."""
    frame = usable(frame_of(layer))
    geom = frame.geometry.values
    frame = frame[~(shapely.is_missing(geom) | shapely.is_empty(geom))]
    return np.asarray(gpd.GeoSeries(frame.geometry.values, crs=frame.crs).to_crs(crs).values)


def _nearest_distance(points: gpd.GeoDataFrame, targets: np.ndarray) -> np.ndarray:
    """Distance (m) from each point to the nearest target geometry (:func:`~borderscape.geo.nearest.nearest`)."""
    return nearest(np.asarray(points.geometry.values), targets)[1]


def _border_segments(points: gpd.GeoDataFrame, border: Any, k: int) -> np.ndarray:
    """Segment (0 … k-1) of each point along the border: equal-count bands of the position of
    its nearest border point (metres along the border line; the easting when the border does not
    merge into one line)."""
    line = shapely.line_merge(shapely.union_all(_geoms(border, points.crs)))
    along = (
        shapely.line_locate_point(line, points.geometry.values)
        if isinstance(line, shapely.LineString)
        else np.asarray(points.geometry.x)
    )
    edges = np.quantile(along, np.linspace(0.0, 1.0, k + 1)[1:-1])
    return np.searchsorted(edges, along, side="right")


def _terrain_at(
    study: Study, inputs: StudyInputs, points: gpd.GeoDataFrame
) -> tuple[dict[str, pd.Series], dict[str, str], str]:
    """Slope and ruggedness at ``points``: from the DEM, else pcome-terrain, else the environment grid.

    Returns the values per covariate, the reasons of covariates that cannot be had, and a
    note saying where the values come from.
    """
    dem = inputs.dem()
    if dem is not None:
        window = study.params.hardship.terrain_window_m
        try:
            values = {
                "slope": sample_points(focal_mean(slope(dem), window), points),
                "ruggedness": sample_points(focal_mean(ruggedness(dem), window), points),
            }
        except BorderscapeError as exc:
            why = f"The DEM cannot be used: {reason(exc)}"
            return {}, {"slope": why, "ruggedness": why}, ""
        return (
            values,
            {},
            (
                f"slope (Horn 1981, degrees) and ruggedness (Riley 1999 TRI, metres) of the DEM, "
                f"each averaged over the {window:g} m square around the point"
            ),
        )
    terrain = inputs.get("terrain_covariates")
    if terrain is not None and {"slope", "rough", "point_type"} <= set(frame_of(terrain).columns):
        tol = study.params.hardship.terrain_join_m
        body = frame_of(terrain)
        body = usable(body[body["point_type"] == "BodyLocation"])
        body = gpd.GeoDataFrame(body[["slope", "rough"]], geometry=body.geometry.values, crs=body.crs)
        joined = nearest_values(points, body, ["slope", "rough"], tol)
        return (
            {"slope": joined["slope"], "ruggedness": joined["rough"]},
            {},
            f"Slope (degrees) and Rough of the nearest pcome-terrain BodyLocation within {tol:g} m "
            "(White 2024's covariates; records farther away have none)",
        )
    env = inputs.get("environment")
    if env is not None and "slope_deg" in frame_of(env).columns:
        tol = study.params.hardship.environment_join_m
        grid = frame_of(env)
        grid = usable(grid)
        grid = gpd.GeoDataFrame(grid[["slope_deg"]], geometry=grid.geometry.values, crs=grid.crs)
        joined = nearest_values(points, grid, ["slope_deg"], tol)
        return (
            {"slope": joined["slope_deg"]},
            {
                "ruggedness": "No ruggedness: the environment grid holds slope only; "
                + REMEDIES["dem"][1]
                + ", or name the pcome-terrain table under [layers] terrain_covariates."
            },
            f"mean slope (degrees) of the nearest environment-grid cell (0.044°) within {tol:g} m",
        )
    why = (
        "No terrain source: " + REMEDIES["dem"][1] + ", or name pcome-terrain under [layers] terrain_covariates "
        "or az-env-grid under [layers] environment."
    )
    return {}, {"slope": why, "ruggedness": why}, ""


def _energy_at(study: Study, inputs: StudyInputs, points: gpd.GeoDataFrame) -> tuple[pd.Series | None, str]:
    why = missing(study, inputs, "dem", "border")
    if why:
        return None, why
    dem: Raster = inputs.dem()
    try:
        border = gpd.GeoSeries(_geoms(inputs.get("border"), dem.crs), crs=dem.crs)
        surface = accumulated_cost(dem, border, model="pandolf", params=pandolf_params(study))
    except BorderscapeError as exc:
        return None, f"The energy from the border cannot be computed: {reason(exc)}"
    return (
        sample_points(surface.cost, points),
        f"accumulated Pandolf (1977) energy from the border, {surface.units}, walker {surface.params}",
    )


def _h2_covariate(
    key: str,
    values: pd.Series,
    dates: pd.Series,
    split: dt.date | None,
    config: dict[str, Any],
    rng: np.random.Generator,
    min_per_year: int,
    source: str,
    strata: np.ndarray | None,
) -> tuple[list[Outcome], pd.Series]:
    name, unit = COVARIATES[key]
    ok = values.notna().to_numpy() & dates.notna().to_numpy()
    v, d = values.to_numpy(dtype=np.float64)[ok], dates[ok]
    strata = None if strata is None else strata[ok]
    outcomes: list[Outcome] = []
    # headline: pre/post around the split date
    if split is None:
        outcomes.append(
            Outcome.skipped(
                f"H2.{key}",
                f"{name}: after vs before the split date",
                "The study has no intervention date: add one under [[periods.interventions]] "
                "or set [parameters.hardship] split.",
            )
        )
    else:
        post = (d >= pd.Timestamp(split)).to_numpy()
        if post.sum() < 2 or (~post).sum() < 2:
            outcomes.append(
                Outcome.skipped(
                    f"H2.{key}",
                    f"{name}: after vs before {split}",
                    f"Fewer than 2 records with a {key} on one side of {split} "
                    f"({int((~post).sum())} before, {int(post.sum())} after).",
                )
            )
        elif np.unique(v).size < 2:
            outcomes.append(
                Outcome.skipped(
                    f"H2.{key}",
                    f"{name}: after vs before {split}",
                    f"Every record has the same {key}: no rank test is possible.",
                )
            )
        else:
            comp = compare_samples(
                v[post],
                v[~post],
                statistic="median",
                permutations=config["permutations"],
                resamples=config["permutations"],
                ci_method="percentile",
                confidence=config["confidence"],
                seed=rng,
            )
            z, p = stratified_rank_test(v, post, strata)
            test = (
                "Mann-Whitney U test"
                if strata is None
                else f"van Elteren (1960) stratified Wilcoxon test over {int(np.unique(strata).size)} border segments "
                "(equal-count bands of the position along the border)"
            )
            result = dataclasses.replace(
                comp.difference,
                p_value=p,
                statistic=z,
                method=(
                    f"difference of medians with a percentile bootstrap CI ({config['permutations']} resamples); "
                    f"p-value: two-sided {test} of the records after against before, normal approximation, tie-corrected"
                ),
            )
            outcomes.append(
                ran(
                    f"H2.{key}",
                    result,
                    f"{name}: median after minus median before {split} ({unit})",
                    split=split.isoformat(),
                    unit=unit,
                    source=source,
                    median_before=float(np.median(v[~post])),
                    median_after=float(np.median(v[post])),
                    rank_z=z,
                    strata=1 if strata is None else int(np.unique(strata).size),
                )
            )
    # trend: Mann-Kendall on yearly medians
    years = d.dt.year.to_numpy()
    frame = pd.DataFrame({"year": years, "v": v})
    counts = frame.groupby("year")["v"].size()
    yearly = frame.groupby("year")["v"].median()[counts >= min_per_year]
    if len(yearly) < 3 or yearly.nunique() < 2:
        outcomes.append(
            Outcome.skipped(
                f"H2.{key}.trend",
                f"{name}: trend over years",
                f"Fewer than 3 years with at least {min_per_year} records with a {key}.",
            )
        )
    else:
        res = mann_kendall(yearly.to_numpy(), yearly.index.to_numpy(dtype=np.float64), confidence=config["confidence"])
        outcomes.append(
            ran(
                f"H2.{key}.trend",
                res,
                f"{name}: Theil-Sen trend of yearly medians ({unit} per year)",
                unit=unit,
                source=source,
                years=int(len(yearly)),
                min_per_year=min_per_year,
                records=int(ok.sum()),
            )
        )
    return outcomes, frame.groupby("year")["v"].median().rename(key)


def h2_hardship(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """H2: are remains found in harder places, more so over time and after interventions?

    At each located record of the ``deaths`` layer: distance to the nearest road and water
    station (m, in the study's working CRS, :func:`~borderscape.analyses.study.working_crs`), slope and ruggedness (from the DEM, each averaged
    over the square of side ``terrain_window_m`` centred on the record, 3 × 3 cells at 90 m: a
    record marks where a body was found, within about 100 m, on the way the person was
    crossing, and the mean describes the terrain of that way rather than of one cell; else the
    pcome-terrain covariates of the nearest body location within ``terrain_join_m``; else
    the slope of the nearest environment-grid cell within ``environment_join_m``), and the
    accumulated Pandolf energy from the border (kJ; needs a DEM and the border).

    For each covariate two outcomes:

    * ``H2.<covariate>``: median after the split date minus median before, with a
      percentile bootstrap CI (``permutations`` resamples;
      :func:`~borderscape.analyses.stats.trends.compare_samples`); the p-value is the two-sided
      rank test of the records after against before (:func:`~borderscape.analyses.stats.tests.stratified_rank_test`), which
      has more power for a shift of the whole distribution than a test of medians.  For the
      energy from the border the test is stratified by border segment
      (``[parameters.hardship] energy_segments``, default 4 equal-count bands of the position
      of the nearest border point along the border): the energy accumulated from the border
      depends strongly on where along the border a record lies, so records are compared
      with records of the same segment.  Slope, ruggedness and the distances are properties
      of the place itself, and a sideways displacement along the border is part of the
      effect, so they are not stratified.  Two-sided: in simulated worlds avoidance lowers
      the energy from the border at remains (diverted walkers die nearer the border) while it
      raises slope and ruggedness, so no single direction is right for every covariate.
    * ``H2.<covariate>.trend``: Mann–Kendall test and Theil–Sen slope (per year) of the
      yearly medians, over the years with at least ``min_per_year`` records
      (:func:`~borderscape.analyses.stats.trends.mann_kendall`).  Yearly medians, not records,
      so that years with many records do not dominate and the tie-corrected variance holds.

    And ``H2.case_control`` / ``H2.case_control.ruggedness``: odds ratio per standard
    deviation of slope / ruggedness of pcome-terrain body locations against its random
    background points, each a univariable logistic regression with HC1 robust standard
    errors (:func:`~borderscape.analyses.stats.models.case_control_logit`; Keating & Cherry 2004).

    Parameters
    ----------
    study, inputs, rng
        The study, its layers by role, and the generator (one child per covariate, spawned
        in the order of :data:`COVARIATES`).

    Returns
    -------
    Section
        Outcomes; tables ``h2_yearly`` (year, records, median per covariate) and
        ``h2_records`` (date, year, covariates; no names, case numbers or coordinates).
    """
    config = settings(study)
    children = rng.spawn(len(COVARIATES))
    split = split_date(study)
    min_per_year = study.params.hardship.min_per_year
    outcomes: list[Outcome] = []
    tables: dict[str, pd.DataFrame] = {}
    deaths = inputs.get("deaths")
    if deaths is None:
        why = missing(study, inputs, "deaths")
        for key, (name, _) in COVARIATES.items():
            outcomes.append(Outcome.skipped(f"H2.{key}", name, why))
            outcomes.append(Outcome.skipped(f"H2.{key}.trend", f"{name}: trend over years", why))
    else:
        located, excluded = records(study, deaths)
        points = gpd.GeoDataFrame(
            {"date": located["date"]}, geometry=located.geometry.values, crs=located.crs, index=located.index
        ).to_crs(working_crs(study))
        values: dict[str, pd.Series] = {}
        reasons: dict[str, str] = {}
        sources: dict[str, str] = {}
        for key, role in (("road_distance", "roads"), ("water_distance", "water_stations")):
            layer = inputs.get(role)
            if layer is None:
                reasons[key] = missing(study, inputs, role) or ""
            else:
                targets = _geoms(layer, points.crs)
                if len(targets) == 0:
                    reasons[key] = f"The {role} layer has no usable geometry."
                else:
                    values[key] = pd.Series(_nearest_distance(points, targets), index=points.index)
                    sources[key] = f"nearest of {len(targets)} {role} geometries, metres in {points.crs.to_string()}"
        terrain, why, note = _terrain_at(study, inputs, points)
        values.update(terrain)
        reasons.update(why)
        sources.update({k: note for k in terrain})
        energy, note = _energy_at(study, inputs, points)
        strata = None
        if energy is None:
            reasons["energy"] = note
        else:
            values["energy"], sources["energy"] = energy, note
            strata = _border_segments(points, inputs.get("border"), study.params.hardship.energy_segments)
        yearly_cols = []
        for (key, (name, _)), child in zip(COVARIATES.items(), children):
            if key not in values:
                outcomes.append(Outcome.skipped(f"H2.{key}", name, reasons.get(key, "")))
                outcomes.append(Outcome.skipped(f"H2.{key}.trend", f"{name}: trend over years", reasons.get(key, "")))
                continue
            got, yearly = _h2_covariate(
                key,
                values[key],
                points["date"],
                split,
                config,
                child,
                min_per_year,
                sources[key],
                strata if key == "energy" else None,
            )
            outcomes.extend(got)
            yearly_cols.append(yearly)
        record_table = pd.DataFrame({"date": points["date"].to_numpy(), "year": points["date"].dt.year.to_numpy()})
        for key in COVARIATES:
            if key in values:
                record_table[key] = values[key].to_numpy()
        if split is not None:
            record_table["period"] = np.where(points["date"].to_numpy() >= np.datetime64(split), "after", "before")
        tables["h2_records"] = record_table
        yearly = pd.concat([points["date"].dt.year.value_counts().sort_index().rename("records"), *yearly_cols], axis=1)
        yearly.index.name = "year"
        tables["h2_yearly"] = yearly.reset_index()
        outcomes = with_excluded(outcomes, excluded)
    outcomes.extend(_case_control(study, inputs, config))
    return Section(outcomes=outcomes, tables=tables)


def _case_control(study: Study, inputs: StudyInputs, config: dict[str, Any]) -> list[Outcome]:
    ids = (("H2.case_control", "slope", "slope"), ("H2.case_control.ruggedness", "rough", "ruggedness"))
    terrain = inputs.get("terrain_covariates")
    frame = None if terrain is None else usable(frame_of(terrain))
    if frame is None or not {"point_type", "slope", "rough"} <= set(frame.columns):
        why = (
            missing(study, inputs, "terrain_covariates")
            or "The terrain_covariates layer lacks point_type, slope or rough."
        )
        return [
            Outcome.skipped(
                i,
                f"remains against background points: odds ratio per SD of {label}",
                why + " (needs the pcome-terrain table: body locations and random points.)",
            )
            for i, _, label in ids
        ]
    frame = frame[frame["point_type"].isin(["BodyLocation", "RandomLocation"])]
    out = []
    for id_, column, label in ids:
        data = pd.DataFrame(
            {
                "case": (frame["point_type"] == "BodyLocation").astype(np.float64).to_numpy(),
                "x": frame[column].to_numpy(dtype=np.float64),
            }
        ).dropna()
        sd = float(data["x"].std(ddof=1))
        name = f"remains against background points: odds ratio per SD of {label}"
        if not sd > 0 or data["case"].nunique() < 2:
            out.append(Outcome.skipped(id_, name, f"No variation in {label} or no cases/background points."))
            continue
        data["z"] = (data["x"] - data["x"].mean()) / sd
        model = case_control_logit(data, "case", ["z"], confidence=config["confidence"])
        out.append(
            ran(
                id_,
                model.odds_ratios[0],
                name,
                sd=sd,
                n_cases=model.n_cases,
                n_controls=model.n_controls,
                source="pcome-terrain BodyLocation vs RandomLocation",
            )
        )
    return out
