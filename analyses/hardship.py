"""H2 hardship, H4 mortality rate and H5 hot spots of the funnel-effect battery.

Each function takes a :class:`~borderscape.analyses.study.Study`, the
:class:`~borderscape.analyses.funnel.StudyInputs` and a :class:`numpy.random.Generator`,
and returns a :class:`~borderscape.analyses.funnel.Section`.  A test whose layer is missing
is returned as ``skipped`` with the reason and the remedy; nothing here raises on real data
that merely lacks a layer.

Conventions
-----------
*Locations.*  Remains are the rows of the ``deaths`` layer that are not quarantined
(:func:`borderscape.layers.quality.usable`), have a point, are dated inside the study period
(``[period] start`` … ``end``) and lie inside the study's bounding box; the rows left out are
counted by reason under ``excluded_records`` in the parameters of every H2 and H5 outcome that
ran.  Distances are in metres in the study's CRS (``[region] crs``), or in the local UTM zone
(:func:`borderscape.geo.crs.local_crs`) when it is ``"auto"``.  *Counts by month* (H4) include
every row dated in the study period, quarantined ones too (a wrong location does not make a
death less real); the region of H4 is the Border Patrol sectors of ``[parameters.h4]``.

*The split date.*  Pre/post comparisons (H2) and the headline of H5 compare the records
before and from the split date: ``[parameters.hardship] split = "YYYY-MM-DD"``, by default the
study's first intervention (for Arizona–Sonora, the SBInet contract of 2006-09-21, the start of
the tower programme).

*Parameters* (``[parameters.statistics]``): ``confidence`` (0.95), ``permutations`` (999; also
the number of bootstrap resamples), ``hotspot_cell_m``, ``hotspot_band_m``, ``fdr_alpha``
(0.05), ``hotspot_periods`` (a list of ``"YYYY-MM-DD"`` boundaries; default the study's
interventions).  ``[parameters.hardship]``: ``split``, ``terrain_window_m`` (270), ``terrain_join_m`` (100),
``environment_join_m`` (3500), ``min_per_year`` (3), ``energy_segments`` (4).  ``[parameters.h4]``: ``sectors``
(``["Tucson Sector"]``), ``min_months`` (3, the floor of a segmented regression), ``per`` (100000).

Randomness: each function spawns its child generators from ``rng`` in a fixed order, so the
same inputs and generator give identical outcomes.

References
----------
Chambers, S. N., Boyce, G. A., Launius, S. & Dinsmore, A. (2019). Mortality, surveillance and
the tertiary "funnel effect" on the U.S.-Mexico border. J. Borderlands Studies 36(3).
Bernal, J. L., Cummins, S. & Gasparrini, A. (2017). Interrupted time series regression for the
evaluation of public health interventions: a tutorial. Int. J. Epidemiol. 46(1), 348–355.
Garwood, F. (1936). Fiducial limits for the Poisson distribution. Biometrika 28, 437–442.
Getis, A. & Ord, J. K. (1992); Ord, J. K. & Getis, A. (1995). Geogr. Anal. 24(3); 27(4).
van Elteren, P. H. (1960). On the combination of independent two-sample tests of Wilcoxon. Bull. Int. Stat.
Inst. 37, 351–361.
Simes, R. J. (1986). An improved Bonferroni procedure for multiple tests of significance.
Biometrika 73(3), 751–754.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy import sparse, stats

from borderscape.analyses.funnel import Outcome, Section
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.hotspots import cell_index, distance_band_weights, fdr_bh, gi_star_by_window, square_grid
from borderscape.analyses.models import case_control_logit, count_regression
from borderscape.analyses.results import StatResult
from borderscape.analyses.study import Study
from borderscape.analyses.trends import compare_samples, mann_kendall
from borderscape.geo.costdistance import accumulated_cost
from borderscape.geo.crs import local_crs
from borderscape.geo.errors import BorderscapeError
from borderscape.geo.raster import Raster
from borderscape.geo.sample import sample_points, zonal_stats
from borderscape.geo.nearest import nearest
from borderscape.geo.terrain import focal_mean, ruggedness, slope
from borderscape.layers.quality import usable

__all__ = ["h2_hardship", "h4_mortality_rate", "h5_hotspots", "stratified_rank_test", "COVARIATES"]

#: H2 covariates: sub-id → (plain name, unit).
COVARIATES: dict[str, tuple[str, str]] = {
    "road_distance": ("distance from remains to the nearest road", "m"),
    "water_distance": ("distance from remains to the nearest water station", "m"),
    "slope": ("slope at remains", "degrees"),
    "ruggedness": ("terrain ruggedness at remains", "terrain units"),
    "energy": ("accumulated walking energy from the border to remains (Pandolf)", "kJ"),
}
_DEM_REMEDY = "supply an elevation model with --dem FILE (a GeoTIFF in metres) or name one under [layers] dem"
#: Study-file names of the Pandolf parameters → the cost model's names.
_COST_NAMES = {"body_mass_kg": "W", "load_kg": "L", "speed_m_s": "V", "terrain_factor": "eta"}


# -- shared helpers -------------------------------------------------------------------------------

def _settings(study: Study) -> dict[str, Any]:
    return {"confidence": float(study.parameter("statistics", "confidence", 0.95)),
            "permutations": int(study.parameter("statistics", "permutations", 999)),
            "fdr_alpha": float(study.parameter("statistics", "fdr_alpha", 0.05))}


def _date(value: Any) -> dt.date:
    return pd.Timestamp(value).date()


def _split(study: Study) -> dt.date | None:
    """The pre/post split date: ``[parameters.hardship] split`` or the first intervention."""
    value = study.parameter("hardship", "split", None)
    if value is not None:
        return _date(value)
    return min((i.date for i in study.interventions), default=None)


def _work_crs(study: Study, frame: gpd.GeoDataFrame) -> CRS:
    if study.crs and study.crs.lower() != "auto":
        return CRS.from_user_input(study.crs)
    return local_crs(frame)


def _frame(layer: Any) -> pd.DataFrame:
    return layer.frame if hasattr(layer, "frame") else layer


def _in_period(dates: pd.Series, study: Study) -> np.ndarray:
    """True where a date lies in the study period ``[period] start`` … ``end`` (inclusive)."""
    d = pd.to_datetime(dates)
    return ((d >= pd.Timestamp(study.start)) & (d <= pd.Timestamp(study.end))).to_numpy(dtype=bool)


def _located(layer: Any, crs: CRS | None, study: Study) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """Usable rows with a point geometry, dated inside the study period and lying inside the
    study's bounding box, projected; columns ``date``, ``geometry``.

    Returns the points and the number of usable located rows left out, by reason
    (``undated``, ``outside the study period``, ``outside the study region``), which the
    outcomes report under ``excluded_records``: nothing is dropped silently.
    """
    frame = usable(_frame(layer))
    geom = frame.geometry.values
    frame = frame[~(shapely.is_missing(geom) | shapely.is_empty(geom))]
    dates = pd.to_datetime(frame["date"]) if "date" in frame else pd.Series(pd.NaT, index=frame.index)
    lonlat = gpd.GeoSeries(frame.geometry.values, crs=frame.crs).to_crs("EPSG:4326")
    west, south, east, north = study.bbox
    inside = shapely.contains_xy(shapely.box(west, south, east, north), lonlat.x.to_numpy(), lonlat.y.to_numpy())
    dated = dates.notna().to_numpy()
    in_period = _in_period(dates, study)
    excluded = {"undated": int((~dated).sum()), "outside the study period": int((dated & ~in_period).sum()),
                "outside the study region": int((in_period & ~inside).sum())}
    keep = in_period & inside
    out = gpd.GeoDataFrame({"date": dates[keep]}, geometry=frame.geometry.values[keep], crs=frame.crs,
                           index=frame.index[keep])
    return out.to_crs(crs if crs is not None else _work_crs(study, out)), excluded


def _with_excluded(outcomes: list[Outcome], excluded: Mapping[str, int]) -> list[Outcome]:
    """The outcomes that ran, with the counts of records left out in their parameters."""
    return [dataclasses.replace(o, parameters={**o.parameters, "excluded_records": dict(excluded)})
            if o.status == "ran" else o for o in outcomes]


def _geoms(layer: Any, crs: CRS) -> np.ndarray:
    frame = usable(_frame(layer))
    geom = frame.geometry.values
    frame = frame[~(shapely.is_missing(geom) | shapely.is_empty(geom))]
    return np.asarray(gpd.GeoSeries(frame.geometry.values, crs=frame.crs).to_crs(crs).values)


def _nearest_distance(points: gpd.GeoDataFrame, targets: np.ndarray) -> np.ndarray:
    """Distance (m) from each point to the nearest target geometry (:func:`~borderscape.geo.nearest.nearest`)."""
    return nearest(np.asarray(points.geometry.values), targets)[1]


def _nearest_values(points: gpd.GeoDataFrame, source: gpd.GeoDataFrame, columns: list[str],
                    tolerance_m: float) -> pd.DataFrame:
    """Values of the nearest ``source`` point within ``tolerance_m`` metres (NaN beyond)."""
    src = source.to_crs(points.crs)
    index, _ = nearest(np.asarray(points.geometry.values), np.asarray(src.geometry.values), max_distance=tolerance_m)
    found = index >= 0
    out = pd.DataFrame(np.nan, index=points.index, columns=columns)
    for c in columns:
        values = np.full(len(points), np.nan)
        values[found] = src[c].to_numpy(dtype=np.float64)[index[found]]
        out[c] = values
    return out


def _pandolf_params(study: Study) -> dict[str, float]:
    """The walker of ``[parameters.cost]`` as Pandolf's W, L, V, η (study-file or model names)."""
    params = {}
    for key, value in study.parameters.get("cost", {}).items():
        name = _COST_NAMES.get(key, key)
        if name in _COST_NAMES.values() and isinstance(value, (int, float)) and not isinstance(value, bool):
            params[name] = float(value)
    return params


def _say(exc: BorderscapeError) -> str:
    """An error's message and remedy on one line, for a skip reason."""
    return " ".join(str(exc).split())


def stratified_rank_test(values: np.ndarray, after: np.ndarray, strata: np.ndarray | None = None) -> tuple[float, float]:
    """Two-sided stratified Wilcoxon–Mann–Whitney test (van Elteren 1960) of after against before.

    Within stratum ``s`` (``n_s`` values, ``m_s`` after, ``n_s - m_s`` before) the rank sum
    ``W_s`` of the after-values has ``E_s = m_s (n_s + 1) / 2`` and the tie-corrected variance
    ``V_s = m_s (n_s - m_s) / 12 * ((n_s + 1) - sum_t (t^3 - t) / (n_s (n_s - 1)))`` (``t``
    the sizes of tied groups).  With weights ``1 / (n_s + 1)`` (van Elteren's locally most
    powerful weights)::

        z = sum_s (W_s - E_s) / (n_s + 1) / sqrt(sum_s V_s / (n_s + 1)^2),   p = 2 * (1 - Phi(|z|)).

    One stratum gives the Mann–Whitney U test (normal approximation, no continuity
    correction).  Strata without values on both sides add nothing.  z > 0: after-values are
    larger.

    Parameters
    ----------
    values
        One value per record (any unit).
    after
        Boolean, True for records from the split date.
    strata
        Integer stratum per record (e.g. the border segment); None for one stratum.

    Returns
    -------
    (z, p)
        The standard normal statistic and its two-sided p-value (NaN, NaN when no stratum
        has values on both sides or all values tie).

    References
    ----------
    van Elteren, P. H. (1960). On the combination of independent two-sample tests of
    Wilcoxon. Bull. Int. Stat. Inst. 37, 351–361.
    """
    values = np.asarray(values, dtype=np.float64)
    after = np.asarray(after, dtype=bool)
    strata = np.zeros(values.size, dtype=np.int64) if strata is None else np.asarray(strata)
    num = var = 0.0
    for s in np.unique(strata):
        inside = strata == s
        x, g = values[inside], after[inside]
        n, m = x.size, int(g.sum())
        if m == 0 or m == n:
            continue
        _, ties = np.unique(x, return_counts=True)
        v = m * (n - m) / 12.0 * ((n + 1) - float(np.sum(ties.astype(np.float64) ** 3 - ties)) / (n * (n - 1)))
        num += (float(stats.rankdata(x)[g].sum()) - m * (n + 1) / 2.0) / (n + 1)
        var += v / (n + 1) ** 2
    if not var > 0:
        return math.nan, math.nan
    z = num / math.sqrt(var)
    return z, float(2.0 * stats.norm.sf(abs(z)))


def _border_segments(points: gpd.GeoDataFrame, border: Any, k: int) -> np.ndarray:
    """Segment (0 … k-1) of each point along the border: equal-count bands of the position of
    its nearest border point (metres along the border line; the easting when the border does not
    merge into one line)."""
    line = shapely.line_merge(shapely.union_all(_geoms(border, points.crs)))
    along = shapely.line_locate_point(line, points.geometry.values) if isinstance(
        line, shapely.LineString) else np.asarray(points.geometry.x)
    edges = np.quantile(along, np.linspace(0.0, 1.0, k + 1)[1:-1])
    return np.searchsorted(edges, along, side="right")


def _ran(id: str, result: StatResult, name: str, **extra: Any) -> Outcome:
    outcome = Outcome.ran(id, result, name=name)
    return dataclasses.replace(outcome, parameters={**outcome.parameters, **extra})


# -- H2 hardship --------------------------------------------------------------------------------

def _terrain_at(study: Study, inputs: StudyInputs, points: gpd.GeoDataFrame) -> tuple[dict[str, pd.Series], dict[str, str], str]:
    """Slope and ruggedness at ``points``: from the DEM, else pcome-terrain, else the environment grid.

    Returns the values per covariate, the reasons of covariates that cannot be had, and a
    note saying where the values come from.
    """
    dem = inputs.dem()
    if dem is not None:
        window = float(study.parameter("hardship", "terrain_window_m", 270.0))
        try:
            values = {"slope": sample_points(focal_mean(slope(dem), window), points),
                      "ruggedness": sample_points(focal_mean(ruggedness(dem), window), points)}
        except BorderscapeError as exc:
            why = f"The DEM cannot be used: {_say(exc)}"
            return {}, {"slope": why, "ruggedness": why}, ""
        return values, {}, (f"slope (Horn 1981, degrees) and ruggedness (Riley 1999 TRI, metres) of the DEM, "
                            f"each averaged over the {window:g} m square around the point")
    terrain = inputs.get("terrain_covariates")
    if terrain is not None and {"slope", "rough", "point_type"} <= set(_frame(terrain).columns):
        tol = float(study.parameter("hardship", "terrain_join_m", 100.0))
        body = _frame(terrain)
        body = usable(body[body["point_type"] == "BodyLocation"])
        body = gpd.GeoDataFrame(body[["slope", "rough"]], geometry=body.geometry.values, crs=body.crs)
        joined = _nearest_values(points, body, ["slope", "rough"], tol)
        return ({"slope": joined["slope"], "ruggedness": joined["rough"]}, {},
                f"Slope (degrees) and Rough of the nearest pcome-terrain BodyLocation within {tol:g} m "
                "(White 2024's covariates; records farther away have none)")
    env = inputs.get("environment")
    if env is not None and "slope_deg" in _frame(env).columns:
        tol = float(study.parameter("hardship", "environment_join_m", 3500.0))
        grid = _frame(env)
        grid = usable(grid)
        grid = gpd.GeoDataFrame(grid[["slope_deg"]], geometry=grid.geometry.values, crs=grid.crs)
        joined = _nearest_values(points, grid, ["slope_deg"], tol)
        return ({"slope": joined["slope_deg"]},
                {"ruggedness": "No ruggedness: the environment grid holds slope only. " + _DEM_REMEDY
                 + ", or name the pcome-terrain table under [layers] terrain_covariates."},
                f"mean slope (degrees) of the nearest environment-grid cell (0.044°) within {tol:g} m")
    why = ("No terrain source: " + _DEM_REMEDY + ", or name pcome-terrain under [layers] terrain_covariates "
           "or az-env-grid under [layers] environment.")
    return {}, {"slope": why, "ruggedness": why}, ""


def _energy_at(study: Study, inputs: StudyInputs, points: gpd.GeoDataFrame) -> tuple[pd.Series | None, str]:
    missing = inputs.why_missing("dem", "border")
    if missing:
        if inputs.dem() is None:
            missing += " Energy from the border needs an elevation model: " + _DEM_REMEDY + "."
        return None, missing
    dem: Raster = inputs.dem()
    try:
        border = gpd.GeoSeries(_geoms(inputs.get("border"), dem.crs), crs=dem.crs)
        surface = accumulated_cost(dem, border, model="pandolf", params=_pandolf_params(study))
    except BorderscapeError as exc:
        return None, f"The energy from the border cannot be computed: {_say(exc)}"
    return (sample_points(surface.cost, points),
            f"accumulated Pandolf (1977) energy from the border, {surface.units}, walker {surface.params}")


def _h2_covariate(key: str, values: pd.Series, dates: pd.Series, split: dt.date | None, settings: dict[str, Any],
                  rng: np.random.Generator, min_per_year: int, source: str,
                  strata: np.ndarray | None) -> tuple[list[Outcome], pd.Series]:
    name, unit = COVARIATES[key]
    ok = values.notna().to_numpy() & dates.notna().to_numpy()
    v, d = values.to_numpy(dtype=np.float64)[ok], dates[ok]
    strata = None if strata is None else strata[ok]
    outcomes: list[Outcome] = []
    # headline: pre/post around the split date
    if split is None:
        outcomes.append(Outcome.skipped(f"H2.{key}", f"{name}: after vs before the split date",
                                        "The study has no intervention date: add one under [[periods.interventions]] "
                                        "or set [parameters.hardship] split."))
    else:
        post = (d >= pd.Timestamp(split)).to_numpy()
        if post.sum() < 2 or (~post).sum() < 2:
            outcomes.append(Outcome.skipped(f"H2.{key}", f"{name}: after vs before {split}",
                                            f"Fewer than 2 records with a {key} on one side of {split} "
                                            f"({int((~post).sum())} before, {int(post.sum())} after)."))
        elif np.unique(v).size < 2:
            outcomes.append(Outcome.skipped(f"H2.{key}", f"{name}: after vs before {split}",
                                            f"Every record has the same {key}: no rank test is possible."))
        else:
            comp = compare_samples(v[post], v[~post], statistic="median", permutations=settings["permutations"],
                                   resamples=settings["permutations"], ci_method="percentile",
                                   confidence=settings["confidence"], seed=rng)
            z, p = stratified_rank_test(v, post, strata)
            test = ("Mann-Whitney U test" if strata is None else
                    f"van Elteren (1960) stratified Wilcoxon test over {int(np.unique(strata).size)} border segments "
                    "(equal-count bands of the position along the border)")
            result = dataclasses.replace(comp.difference, p_value=p, statistic=z, method=(
                f"difference of medians with a percentile bootstrap CI ({settings['permutations']} resamples); "
                f"p-value: two-sided {test} of the records after against before, normal approximation, tie-corrected"))
            outcomes.append(_ran(f"H2.{key}", result,
                                 f"{name}: median after minus median before {split} ({unit})",
                                 split=split.isoformat(), unit=unit, source=source,
                                 median_before=float(np.median(v[~post])), median_after=float(np.median(v[post])),
                                 rank_z=z, strata=1 if strata is None else int(np.unique(strata).size)))
    # trend: Mann-Kendall on yearly medians
    years = d.dt.year.to_numpy()
    frame = pd.DataFrame({"year": years, "v": v})
    counts = frame.groupby("year")["v"].size()
    yearly = frame.groupby("year")["v"].median()[counts >= min_per_year]
    if len(yearly) < 3 or yearly.nunique() < 2:
        outcomes.append(Outcome.skipped(f"H2.{key}.trend", f"{name}: trend over years",
                                        f"Fewer than 3 years with at least {min_per_year} records with a {key}."))
    else:
        res = mann_kendall(yearly.to_numpy(), yearly.index.to_numpy(dtype=np.float64),
                           confidence=settings["confidence"])
        outcomes.append(_ran(f"H2.{key}.trend", res, f"{name}: Theil-Sen trend of yearly medians ({unit} per year)",
                             unit=unit, source=source, years=int(len(yearly)), min_per_year=min_per_year,
                             records=int(ok.sum())))
    return outcomes, frame.groupby("year")["v"].median().rename(key)


def h2_hardship(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """H2: are remains found in harder places, more so over time and after interventions?

    At each located record of the ``deaths`` layer: distance to the nearest road and water
    station (m, in the study's projected CRS), slope and ruggedness (from the DEM, each averaged
    over the square of side ``terrain_window_m`` centred on the record, 3 × 3 cells at 90 m: a
    record marks where a body was found, within about 100 m, on the way the person was
    crossing, and the mean describes the terrain of that way rather than of one cell; else the
    pcome-terrain covariates of the nearest body location within ``terrain_join_m``; else
    the slope of the nearest environment-grid cell within ``environment_join_m``), and the
    accumulated Pandolf energy from the border (kJ; needs a DEM and the border).

    For each covariate two outcomes:

    * ``H2.<covariate>``: median after the split date minus median before, with a
      percentile bootstrap CI (``permutations`` resamples;
      :func:`~borderscape.analyses.trends.compare_samples`); the p-value is the two-sided
      rank test of the records after against before (:func:`stratified_rank_test`), which
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
      (:func:`~borderscape.analyses.trends.mann_kendall`).  Yearly medians, not records,
      so that years with many records do not dominate and the tie-corrected variance holds.

    And ``H2.case_control`` / ``H2.case_control.ruggedness``: odds ratio per standard
    deviation of slope / ruggedness of pcome-terrain body locations against its random
    background points, each a univariable logistic regression with HC1 robust standard
    errors (:func:`~borderscape.analyses.models.case_control_logit`; Keating & Cherry 2004).

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
    settings = _settings(study)
    children = rng.spawn(len(COVARIATES))
    split = _split(study)
    min_per_year = int(study.parameter("hardship", "min_per_year", 3))
    outcomes: list[Outcome] = []
    tables: dict[str, pd.DataFrame] = {}
    deaths = inputs.get("deaths")
    if deaths is None:
        why = inputs.why_missing("deaths")
        for key, (name, _) in COVARIATES.items():
            outcomes.append(Outcome.skipped(f"H2.{key}", name, why))
            outcomes.append(Outcome.skipped(f"H2.{key}.trend", f"{name}: trend over years", why))
    else:
        points, excluded = _located(deaths, None, study)
        values: dict[str, pd.Series] = {}
        reasons: dict[str, str] = {}
        sources: dict[str, str] = {}
        for key, role in (("road_distance", "roads"), ("water_distance", "water_stations")):
            layer = inputs.get(role)
            if layer is None:
                reasons[key] = inputs.why_missing(role) or ""
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
            strata = _border_segments(points, inputs.get("border"),
                                      int(study.parameter("hardship", "energy_segments", 4)))
        yearly_cols = []
        for (key, (name, _)), child in zip(COVARIATES.items(), children):
            if key not in values:
                outcomes.append(Outcome.skipped(f"H2.{key}", name, reasons.get(key, "")))
                outcomes.append(Outcome.skipped(f"H2.{key}.trend", f"{name}: trend over years", reasons.get(key, "")))
                continue
            got, yearly = _h2_covariate(key, values[key], points["date"], split, settings, child, min_per_year,
                                        sources[key], strata if key == "energy" else None)
            outcomes.extend(got)
            yearly_cols.append(yearly)
        records = pd.DataFrame({"date": points["date"].to_numpy(), "year": points["date"].dt.year.to_numpy()})
        for key in COVARIATES:
            if key in values:
                records[key] = values[key].to_numpy()
        if split is not None:
            records["period"] = np.where(points["date"].to_numpy() >= np.datetime64(split), "after", "before")
        tables["h2_records"] = records
        yearly = pd.concat([points["date"].dt.year.value_counts().sort_index().rename("records"), *yearly_cols],
                           axis=1)
        yearly.index.name = "year"
        tables["h2_yearly"] = yearly.reset_index()
        outcomes = _with_excluded(outcomes, excluded)
    outcomes.extend(_case_control(inputs, settings))
    return Section(outcomes=outcomes, tables=tables)


def _case_control(inputs: StudyInputs, settings: dict[str, Any]) -> list[Outcome]:
    ids = (("H2.case_control", "slope", "slope"), ("H2.case_control.ruggedness", "rough", "ruggedness"))
    terrain = inputs.get("terrain_covariates")
    frame = None if terrain is None else usable(_frame(terrain))
    if frame is None or not {"point_type", "slope", "rough"} <= set(frame.columns):
        why = inputs.why_missing("terrain_covariates") or "The terrain_covariates layer lacks point_type, slope or rough."
        return [Outcome.skipped(i, f"remains against background points: odds ratio per SD of {label}",
                                why + " (needs the pcome-terrain table: body locations and random points.)")
                for i, _, label in ids]
    frame = frame[frame["point_type"].isin(["BodyLocation", "RandomLocation"])]
    out = []
    for id_, column, label in ids:
        data = pd.DataFrame({"case": (frame["point_type"] == "BodyLocation").astype(np.float64).to_numpy(),
                             "x": frame[column].to_numpy(dtype=np.float64)}).dropna()
        sd = float(data["x"].std(ddof=1))
        name = f"remains against background points: odds ratio per SD of {label}"
        if not sd > 0 or data["case"].nunique() < 2:
            out.append(Outcome.skipped(id_, name, f"No variation in {label} or no cases/background points."))
            continue
        data["z"] = (data["x"] - data["x"].mean()) / sd
        model = case_control_logit(data, "case", ["z"], confidence=settings["confidence"])
        out.append(_ran(id_, model.odds_ratios[0], name, sd=sd, n_cases=model.n_cases, n_controls=model.n_controls,
                        source="pcome-terrain BodyLocation vs RandomLocation"))
    return out


# -- H4 mortality rate --------------------------------------------------------------------------

def _garwood(count: int, confidence: float) -> tuple[float, float]:
    """Exact (Garwood 1936) interval of a Poisson mean from one count."""
    a = 1.0 - confidence
    lo = 0.0 if count == 0 else stats.chi2.ppf(a / 2.0, 2 * count) / 2.0
    return float(lo), float(stats.chi2.ppf(1.0 - a / 2.0, 2 * count + 2) / 2.0)


def _monthly(study: Study, inputs: StudyInputs) -> tuple[pd.DataFrame | None, str, list[str]]:
    """Monthly deaths (every row dated in the study period) and encounters of the chosen sectors, in the
    months of the study period that have encounter counts (months without a death count 0)."""
    enc = usable(_frame(inputs.get("encounters")))
    if not {"month", "encounters"} <= set(enc.columns):
        return None, "The encounters table lacks the columns month and encounters.", []
    sectors = list(study.parameter("h4", "sectors", ["Tucson Sector"]))
    note = ""
    if "area_of_responsibility" in enc.columns:
        areas = enc["area_of_responsibility"]
        chosen = areas.isin(sectors).fillna(False).to_numpy(dtype=bool)
        present = sorted(str(a) for a in areas.dropna().unique())
        if not chosen.any() and len(present) == 1 and study.parameter("h4", "sectors", None) is None:
            sectors, chosen = present, areas.notna().to_numpy(dtype=bool)
            note = f"the table holds one area only ({present[0]}), used in place of the default sectors"
        if not chosen.any():
            return None, (f"No encounters in {sectors}: set [parameters.h4] sectors to some of "
                          f"{present[:20]}."), sectors
        enc = enc[chosen]
    months = pd.to_datetime(enc["month"]).dt.to_period("M")
    encounters = enc["encounters"].astype("Float64").groupby(months.to_numpy()).sum(min_count=1).astype(float)
    deaths = _frame(inputs.get("deaths"))
    dated = deaths[_in_period(deaths["date"], study)]
    dmonth = pd.to_datetime(dated["date"]).dt.to_period("M")
    dead = pd.to_numeric(dated["dead"], errors="coerce").fillna(0).to_numpy() if "dead" in dated else np.ones(len(dated))
    per_month = pd.Series(dead, index=dmonth.to_numpy()).groupby(level=0).sum()
    if per_month.empty or encounters.dropna().empty:
        return None, "No dated deaths or no encounter counts.", sectors
    first, last = pd.Period(study.start, "M"), pd.Period(study.end, "M")
    span = encounters[(encounters.index >= first) & (encounters.index <= last) & (encounters > 0)]
    if span.empty:
        return None, "The deaths and the encounters share no month.", sectors
    full = pd.period_range(span.index.min(), span.index.max(), freq="M")
    table = pd.DataFrame({"month": full.to_timestamp(), "deaths": per_month.reindex(full, fill_value=0).to_numpy(),
                          "encounters": span.reindex(full).to_numpy()})
    table = table[table["encounters"] > 0].reset_index(drop=True)
    return table, note, sectors


def h4_mortality_rate(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """H4: deaths per encounter, and its change at intervention dates (interrupted time series).

    Remains per month (by reporting date; every row dated in the study period, quarantined
    locations included) against CBP encounters of the sectors ``[parameters.h4] sectors`` (default the Tucson
    Sector, whose area holds the Pima County records) in the months both cover.

    * ``H4``: D / E · ``per`` over the whole overlap (D deaths, E encounters), with the
      exact Poisson (Garwood 1936) interval ``χ²(a/2; 2D)/2``, ``χ²(1−a/2; 2D+2)/2`` of D.
      Its p-value is that of ``H4.rate_ratio``.
    * ``H4.rate_ratio``: rate after / rate before the first intervention with at least
      ``min_months`` months on each side: Poisson regression ``log μ_t = log E_t + β0 +
      β2 D_t + γ1 sin(2πm/12) + γ2 cos(2πm/12)``, rate ratio exp(β2), quasi-Poisson
      standard errors (below).  (An exact conditional test of two Poisson rates ignores the
      month-to-month overdispersion of real series, and over-rejected in simulated worlds.)
    * ``H4.its.<date>`` for every intervention: Poisson segmented regression (Bernal et al.
      2017) ``log μ_t = log E_t + β0 + β1 t + β2 D_t + β3 (t − t0) D_t + γ1 sin(2πm/12) +
      γ2 cos(2πm/12)`` (t in years, D_t = 1 from the intervention's month, m the month),
      fitted by :func:`~borderscape.analyses.models.count_regression`; the level change is
      the rate ratio exp(β2).  Overdispersion: standard errors are multiplied by √max(1, φ),
      φ the Pearson dispersion (quasi-Poisson).  Interventions with fewer than
      ``min_months`` months on a side are skipped with the reason.

    Parameters
    ----------
    study
        Interventions, ``[parameters.h4]`` and ``[parameters.statistics] confidence``.
    inputs
        Needs the ``deaths`` and ``encounters`` layers.
    rng
        Not used (all inference here is exact or asymptotic); taken for the battery's contract.

    Returns
    -------
    Section
        Outcomes and the table ``h4_monthly`` (month, deaths, encounters, rate per ``per``).
    """
    del rng
    settings = _settings(study)
    conf = settings["confidence"]
    per = float(study.parameter("h4", "per", 100000.0))
    min_months = int(study.parameter("h4", "min_months", 3))
    name = f"deaths per {per:,.0f} encounters"
    why = inputs.why_missing("deaths", "encounters")
    its_ids = [(f"H4.its.{i.date.isoformat()}", i) for i in study.interventions]
    if why:
        return Section([Outcome.skipped("H4", name, why), Outcome.skipped("H4.rate_ratio", "rate ratio after/before", why)]
                       + [Outcome.skipped(k, f"level change at {i.name}", why) for k, i in its_ids])
    table, note, sectors = _monthly(study, inputs)
    if table is None:
        return Section([Outcome.skipped("H4", name, note), Outcome.skipped("H4.rate_ratio", "rate ratio after/before", note)]
                       + [Outcome.skipped(k, f"level change at {i.name}", note) for k, i in its_ids])
    table["rate"] = table["deaths"] / table["encounters"] * per
    months = table["month"]
    d_total, e_total = int(round(table["deaths"].sum())), float(table["encounters"].sum())
    lo, hi = _garwood(d_total, conf)
    common = {"sectors": sectors, "first_month": months.iloc[0].date().isoformat(),
              "last_month": months.iloc[-1].date().isoformat(), "months": int(len(table)), "deaths": d_total,
              "encounters": e_total, "per": per, "confidence": conf}

    def sides(date: dt.date) -> tuple[np.ndarray, int, int]:
        post = (months >= pd.Timestamp(date).to_period("M").to_timestamp()).to_numpy()
        return post, int(post.sum()), int((~post).sum())

    inside = [i for i in study.interventions if min(sides(i.date)[1:]) >= min_months]
    outcomes: list[Outcome] = []
    rr_outcome: Outcome
    if inside and d_total > 0:
        split = inside[0]
        rr_outcome = _rate_change("H4.rate_ratio", f"rate after / rate before {split.date} ({split.name})", table,
                                  split.date, conf, {**common, "split_name": split.name}, segmented=False)
        rr_outcome = dataclasses.replace(rr_outcome, reason=note)
        p_value, h4_reason = rr_outcome.p_value, note
    else:
        p_value = math.nan
        h4_reason = (f"No intervention has {min_months} months of the series on each side, so no test of change "
                     "(the p-value is empty).") + (f" {note}" if note else "")
        rr_outcome = Outcome.skipped("H4.rate_ratio", "rate ratio after/before", h4_reason)
    outcomes.append(Outcome(
        id="H4", name=f"{name} (remains by reporting month / CBP encounters, {', '.join(sectors)})", status="ran",
        reason=h4_reason, estimate=d_total / e_total * per, ci=(lo / e_total * per, hi / e_total * per),
        p_value=p_value, n=d_total,
        method="rate over the overlap with the exact Poisson (Garwood 1936) interval; p-value of H4.rate_ratio",
        parameters=common))
    outcomes.append(rr_outcome)
    for key, intervention in its_ids:
        post, n_post, n_pre = sides(intervention.date)
        title = f"level change of deaths per encounter at {intervention.name} ({intervention.date})"
        if min(n_post, n_pre) < min_months:
            outcomes.append(Outcome.skipped(key, title, (
                f"{intervention.date} leaves {n_pre} months of the series before it and {n_post} after "
                f"({common['first_month']} to {common['last_month']}); at least {min_months} on each side are needed.")))
            continue
        outcomes.append(_rate_change(key, title + ": rate ratio", table, intervention.date, conf, common,
                                     segmented=True))
    return Section(outcomes=outcomes, tables={"h4_monthly": table})


def _rate_change(key: str, title: str, table: pd.DataFrame, date: dt.date, conf: float, common: dict[str, Any], *,
                 segmented: bool) -> Outcome:
    """Quasi-Poisson regression of monthly deaths with a log(encounters) offset: the rate ratio at ``date``."""
    month = table["month"]
    t0 = pd.Timestamp(date).to_period("M").to_timestamp()
    t = (month - month.iloc[0]).dt.days.to_numpy() / 365.25
    tz = (t0 - month.iloc[0]).days / 365.25
    post = (month >= t0).to_numpy().astype(np.float64)
    data = pd.DataFrame({"deaths": table["deaths"].to_numpy(dtype=np.float64),
                         "encounters": table["encounters"].to_numpy(dtype=np.float64),
                         "t": t, "post": post, "t_post": (t - tz) * post,
                         "sin": np.sin(2 * np.pi * month.dt.month.to_numpy() / 12.0),
                         "cos": np.cos(2 * np.pi * month.dt.month.to_numpy() / 12.0)})
    if data["deaths"].sum() == 0:
        return Outcome.skipped(key, title, "No deaths in the series.")
    covariates = ["t", "post", "t_post", "sin", "cos"] if segmented else ["post", "sin", "cos"]
    try:
        model = count_regression(data, "deaths", covariates, exposure="encounters", confidence=conf)
    except (BorderscapeError, np.linalg.LinAlgError, ValueError) as exc:
        return Outcome.skipped(key, title, f"The Poisson regression could not be fitted: {exc}")
    level = model.rate_ratios[covariates.index("post")]
    phi = max(1.0, model.pearson_dispersion)
    b, se = float(level.parameters["coefficient"]), float(level.parameters["se"]) * math.sqrt(phi)
    zc = stats.norm.ppf(0.5 + conf / 2.0)
    extra: dict[str, Any] = {}
    if segmented:
        extra["slope_change_rate_ratio_per_year"] = model.rate_ratios[covariates.index("t_post")].estimate
        how = ("Poisson segmented regression (interrupted time series; Bernal, Cummins & Gasparrini 2017) of monthly "
               "deaths with log(encounters) offset, trend, level and trend change, and annual harmonics")
    else:
        how = ("Poisson regression of monthly deaths with log(encounters) offset, an after-indicator and annual "
               "harmonics (rate ratio after/before)")
    return Outcome(
        id=key, name=title, status="ran", reason="",
        estimate=math.exp(b), ci=(math.exp(b - zc * se), math.exp(b + zc * se)),
        p_value=float(2 * stats.norm.sf(abs(b / se))), n=int(len(table)),
        method=how + "; standard errors scaled by sqrt(max(1, Pearson dispersion)) (quasi-Poisson), Wald CI and z-test",
        parameters={**common, "intervention": date.isoformat(), "months_before": int((post == 0).sum()),
                    "months_after": int(post.sum()), "deaths_after": int(data["deaths"][post == 1].sum()),
                    "dispersion": model.pearson_dispersion, "coefficient": b, "se": se, **extra})


# -- H5 hot spots ---------------------------------------------------------------------------------

def _boundaries(study: Study, first: pd.Timestamp, last: pd.Timestamp) -> list[pd.Timestamp]:
    given = study.parameter("statistics", "hotspot_periods", None)
    dates = [pd.Timestamp(v) for v in given] if given else [pd.Timestamp(i.date) for i in study.interventions]
    inner = sorted({d for d in dates if first < d <= last})
    return [first, *inner, last + pd.Timedelta(days=1)]


def _cell_slope(study: Study, inputs: StudyInputs, grid: gpd.GeoDataFrame) -> tuple[pd.Series | None, str]:
    """Mean slope (degrees) per grid cell: DEM zonal mean, else environment-grid cells."""
    dem = inputs.dem()
    if dem is not None:
        try:
            means = zonal_stats(slope(dem), grid.geometry)["mean"]
        except BorderscapeError as exc:
            return None, f"The DEM cannot be used: {_say(exc)}"
        return means.reindex(grid.index), "mean slope of the DEM's cells in each grid cell (Horn 1981, degrees)"
    env = inputs.get("environment")
    if env is not None and "slope_deg" in _frame(env).columns:
        frame = usable(_frame(env))
        centres = gpd.GeoDataFrame({"slope_deg": frame["slope_deg"].to_numpy(dtype=np.float64)},
                                   geometry=frame.geometry.values, crs=frame.crs).to_crs(grid.crs)
        centres = centres[centres["slope_deg"].notna()]
        cell_idx, pt_idx = grid.sindex.query(centres.geometry.values, predicate="contains")[::-1]
        inside = pd.Series(centres["slope_deg"].to_numpy()[pt_idx]).groupby(cell_idx).mean()
        out = pd.Series(np.nan, index=grid.index)
        out.iloc[inside.index.to_numpy()] = inside.to_numpy()
        empty = out.isna().to_numpy()
        if empty.any():
            tol = float(study.parameter("hardship", "environment_join_m", 3500.0))
            pts = gpd.GeoDataFrame(geometry=grid.geometry.centroid[empty].values, crs=grid.crs)
            out[empty] = _nearest_values(pts, centres, ["slope_deg"], tol)["slope_deg"].to_numpy()
        return out, ("mean slope_deg of the environment-grid (0.044°) centres inside each cell, else the nearest "
                     "centre within environment_join_m")
    return None, ("No terrain for the hot cells: " + _DEM_REMEDY
                  + ", or name az-env-grid under [layers] environment.")


def h5_hotspots(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """H5: Gi* hot spots of remains per period, and whether they moved into harder terrain.

    Remains are counted on one square grid (``hotspot_cell_m``; default the larger side of
    the records' extent / 10) over all periods; Gi* (Ord & Getis 1995) with a fixed distance
    band ``hotspot_band_m`` (default 1.5 cells: the 8 neighbours), conditional-randomisation pseudo p-values
    (``permutations``, seeded) and Benjamini–Hochberg FDR at ``fdr_alpha`` across the cells
    (:func:`~borderscape.analyses.hotspots.gi_star_by_window`).

    * ``H5``: did hot spots move into steeper terrain?  For the records before and from the
      split date, analytical Gi* z-scores of the counts per cell (same grid and band); each
      side's hot-spot slope is the mean slope of the cells weighted by their hot-spot
      intensity max(z, 0) (:func:`gi_star_z`); the estimate is after minus before (degrees).
      p-value: two-sided permutation test of the before/after labels of the records
      (``permutations``; exact when locations are exchangeable over time, Good 2005), which
      respects the clustering of cells that made a test over hot cells optimistic; CI:
      percentile bootstrap resampling records within each side.  Weighting by intensity, not
      thresholding at an FDR level, keeps the statistic defined in small samples.  Slope per
      cell: zonal mean of the DEM's slope, else the mean ``slope_deg`` of the environment grid
      centres inside the cell (nearest within ``environment_join_m`` when none).
    * ``H5.<start>/<end>``: per period (boundaries ``hotspot_periods``, default the study's
      interventions), the share of cells that are hot, with its Clopper–Pearson interval;
      the p-value is Simes' (1986) global test that no cell is hot (the smallest BH q-value).
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
    settings = _settings(study)
    perms, alpha, conf = settings["permutations"], settings["fdr_alpha"], settings["confidence"]
    rng_periods, rng_split, rng_compare = rng.spawn(3)
    name = "hot spots of remains moved into steeper terrain (mean slope of hot cells, after minus before)"
    why = inputs.why_missing("deaths")
    if why:
        return Section([Outcome.skipped("H5", name, why)])
    points, excluded = _located(inputs.get("deaths"), None, study)
    if len(points) < 3:
        return Section([Outcome.skipped("H5", name, "Fewer than 3 located, dated remains.")])
    xmin, ymin, xmax, ymax = points.total_bounds
    cell = float(study.parameter("statistics", "hotspot_cell_m", max(xmax - xmin, ymax - ymin) / 10.0 or 1000.0))
    band = float(study.parameter("statistics", "hotspot_band_m", 1.5 * cell))
    grid = square_grid(points, cell)
    first, last = points["date"].min().normalize(), points["date"].max().normalize()
    bounds = _boundaries(study, first, last)
    windows = list(zip(bounds[:-1], bounds[1:]))
    outcomes: list[Outcome] = []
    slope_cells, slope_note = _cell_slope(study, inputs, grid)
    cells = []
    for (start, end), child in zip(windows, rng_periods.spawn(len(windows))):
        label = f"{start.date()}/{end.date()}"
        period_name = f"share of grid cells that are Gi* hot spots, {label}"
        try:
            one = gi_star_by_window(points, "date", [(start, end)], grid=grid, distance_band=band,
                                    permutations=perms, seed=child)
        except BorderscapeError as exc:
            outcomes.append(Outcome.skipped(f"H5.{label}", period_name, f"Gi* is undefined in this period: {exc}"))
            continue
        res, counts = one.results[0], one.counts.iloc[:, 0]
        fdr = fdr_bh(res.p, alpha)
        hot = res.classify(alpha)
        k, m = int((hot == 1).sum()), int(len(hot))
        ci = stats.binomtest(k, m).proportion_ci(confidence_level=conf, method="exact")
        outcomes.append(Outcome(
            id=f"H5.{label}", name=period_name, status="ran", reason="", estimate=k / m, ci=(ci.low, ci.high),
            p_value=float(np.min(fdr.q)), n=m,
            method=(res.method + f"; Benjamini-Hochberg FDR {alpha:g}; Clopper-Pearson CI of the share; p-value: "
                    "Simes (1986) global test (smallest BH q-value)"),
            parameters={"hot_cells": k, "cold_cells": int((hot == -1).sum()), "records": int(counts.sum()),
                        "cell_m": cell, "band_m": band, "permutations": perms, "fdr_alpha": alpha,
                        "confidence": conf}))
        cells.append(gpd.GeoDataFrame({"period": label, "row": grid["row"].to_numpy(), "col": grid["col"].to_numpy(),
                                       "count": counts.to_numpy(), "gi_z": res.z.to_numpy(), "gi_p": res.p.to_numpy(),
                                       "gi_q": np.asarray(fdr.q), "hot": hot.to_numpy(),
                                       "slope": np.nan if slope_cells is None else slope_cells.to_numpy()},
                                      geometry=grid.geometry.values, crs=grid.crs))
    tables = {"h5_cells": pd.concat(cells, ignore_index=True).to_crs("EPSG:4326")} if cells else {}
    outcomes.insert(0, _h5_headline(study, points, grid, slope_cells, slope_note, first, last, cell, band, settings,
                                    rng_split, rng_compare, name))
    return Section(outcomes=_with_excluded(outcomes, excluded), tables=tables)


def gi_star_z(counts: np.ndarray, weights: Any) -> np.ndarray:
    """Analytical Gi* z-scores of several count vectors at once.

    ``counts`` is ``(cells, k)``: one column per vector; ``weights`` the ``(cells, cells)``
    binary neighbour matrix without self-weights.  The same formula as
    :func:`borderscape.analyses.hotspots.gi_star_weights` (Ord & Getis 1995, binary weights,
    self-weight 1), vectorised over the columns; a column whose values are all equal gets z = 0.
    """
    y = np.asarray(counts, dtype=np.float64)
    n = y.shape[0]
    w_star = sparse.csr_array(weights) + sparse.identity(n, format="csr")
    w_i = np.asarray(w_star.sum(axis=1)).ravel()[:, None]
    mean = y.mean(axis=0)
    sd = np.sqrt(np.maximum((y * y).mean(axis=0) - mean * mean, 0.0))
    denom = sd * np.sqrt((n * w_i - w_i * w_i) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (w_star @ y - w_i * mean) / denom
    return np.where(denom > 0, z, 0.0)


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


def _h5_headline(study: Study, points: gpd.GeoDataFrame, grid: gpd.GeoDataFrame, slope_cells: pd.Series | None,
                 slope_note: str, first: pd.Timestamp, last: pd.Timestamp, cell: float, band: float,
                 settings: dict[str, Any], rng_split: np.random.Generator, rng_compare: np.random.Generator,
                 name: str) -> Outcome:
    split = _split(study)
    if slope_cells is None:
        return Outcome.skipped("H5", name, slope_note)
    if split is None or not first < pd.Timestamp(split) <= last:
        return Outcome.skipped("H5", name, "No split date inside the records: add an intervention under "
                                           "[[periods.interventions]] or set [parameters.hardship] split.")
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
    n_perm = settings["permutations"]
    null = _hot_slope(cell_idx, np.column_stack([rng_split.permutation(after) for _ in range(n_perm)]),
                      slopes, weights)
    valid = null[np.isfinite(null)]
    p = float((1 + np.sum(np.abs(valid) >= abs(observed) * (1 - 1e-12))) / (1 + valid.size))
    before_idx, after_idx = np.flatnonzero(~after), np.flatnonzero(after)
    picks = [np.r_[rng_compare.choice(before_idx, before_idx.size), rng_compare.choice(after_idx, after_idx.size)]
             for _ in range(n_perm)]
    draws = np.array([_hot_slope(cell_idx[pick], after[pick][:, None], slopes, weights)[0] for pick in picks])
    draws = draws[np.isfinite(draws)]
    a = 1.0 - settings["confidence"]
    ci = (float(np.quantile(draws, a / 2)), float(np.quantile(draws, 1 - a / 2))) if draws.size else (None, None)
    result = StatResult(
        name=name + f" at {split} (degrees)", estimate=observed, ci=ci, p_value=p, n=int(after.size),
        method=("difference (after − before the split) of the mean slope of grid cells weighted by hot-spot "
                "intensity max(Gi* z, 0) (analytical Gi*, Ord & Getis 1995, fixed distance band); two-sided "
                "permutation test of the before/after labels of the records (exact when locations are "
                "exchangeable over time; Good 2005); percentile bootstrap CI resampling records within each side"),
        statistic=observed,
        parameters={"permutations": n_perm, "bootstrap": n_perm, "valid_permutations": int(valid.size)})
    return _ran("H5", result, result.name, split=pd.Timestamp(split).date().isoformat(),
                records_before=int((~after).sum()), records_after=int(after.sum()), slope_source=slope_note,
                cell_m=cell, band_m=band, cells=int(slopes.size))
