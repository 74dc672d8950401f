"""H2 hardship: are remains found in harder places, more so over time and after interventions?

After Chambers, Boyce, Launius & Dinsmore (2019).  Remains are the records of the ``deaths``
layer that count for the study (:func:`~borderscape.analyses.battery.common.records`: usable,
located, dated in the study period, inside its bounding box); the rows left out are counted by
reason under ``excluded_records`` in the parameters of every outcome that ran.  Distances are in
metres in the study's working CRS (:func:`~borderscape.analyses.study.working_crs`).

*The split date.*  Pre/post comparisons compare the records before and from the split date:
``[parameters.hardship] split = "YYYY-MM-DD"``, by default the study's first intervention (for
Arizona–Sonora, the SBInet contract of 2006-09-21, the start of the tower programme).

*Records come in clusters.*  Remains found in one year share that year's search effort, reporting
and weather; so every before/after comparison is a difference of medians with a year-cluster
bootstrap interval and a cluster-level rank test
(:func:`~borderscape.analyses.stats.trends.clustered_comparison`), never a test that treats the
4,000 records as independent (that one is kept as a sensitivity variant, for comparison).

*What else changed.*  Between the two sides the records changed in more than hardship: how they
were located (GPS), how long the remains had lain (post-mortem interval), which corridor they come
from.  Every comparison carries that composition and sensitivity variants on the records that hold
it constant (:func:`_variants`); the declared primary, ``H2.road_distance``, adds placebo splits, a
scan of split years and a test of a single break against a gradual trend.

*Parameters*: ``[parameters.statistics]`` ``confidence`` (0.95), ``permutations`` (999; also the
number of bootstrap resamples), ``trend_autocorrelation`` (Mann–Kendall correction, ``yue-wang``);
``[parameters.hardship]`` ``split``, ``terrain_window_m`` (270), ``terrain_join_m`` (100),
``environment_join_m`` (3500), ``min_per_year`` (20), ``energy_segments`` (4),
``short_pmi_days`` (35), ``spatial_block_m`` (25,000), ``corridor_min_records`` (30),
``placebo_splits``; ``[parameters.cost]`` for the walker, and for the water-loss model its weather and
clothing (``relative_humidity``, ``clothing_clo``, ``wind_m_s``, ``solar_w_m2``, ``body_height_m``) and
``temperature_month``.

*Hardship in litres.*  ``H2.water_loss`` is the accumulated sweat loss walking from the border to the
remains (litres; the ``water`` cost model: Pandolf–Santee metabolism in the human heat balance, sweat
rate of Gonzalez et al. 2009, :mod:`borderscape.geo.water`), beside the energy, from the air
temperature of the ``temperature`` layer or else the environment grid's July maximum
(:func:`run_temperature`).  It is descriptive: a modelled measure for readers ("litres of water"), not
one of H2's tests; its caveat names the month and source of the temperature (a monthly maximum is a
worst-case afternoon, not the day each person walked).  These litres describe the past hardship of
people who died; they are never a map of where people are or will be.

References
----------
Chambers, S. N., Boyce, G. A., Launius, S. & Dinsmore, A. (2019). Mortality, surveillance and
the tertiary "funnel effect" on the U.S.-Mexico border. J. Borderlands Studies 36(3).
van Elteren, P. H. (1960). On the combination of independent two-sample tests of Wilcoxon. Bull. Int. Stat.
Inst. 37, 351–361.
Keating, K. A. & Cherry, S. (2004). Use and interpretation of logistic regression in habitat-selection
studies. J. Wildlife Management 68, 774–789.
White, J. et al. (2025). Applied Geography 180, 103651 (environmental predictors of where remains are
found in southern Arizona: slope −1.094 % per degree; potential evapotranspiration the strongest).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import math
import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import CRS
from scipy import stats

from borderscape.analyses import region
from borderscape.analyses.battery.common import (
    REMEDIES,
    Section,
    composition,
    frame_of,
    missing,
    nearest_values,
    reason,
    records,
    settings,
    shock_caveats,
    split_date,
    with_excluded,
)
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome, StatResult, Variant
from borderscape.analyses.routes import energy_variants, walker
from borderscape.analyses.stats.models import case_control_logit
from borderscape.analyses.stats.tests import stratified_rank_test
from borderscape.analyses.stats.trends import (
    break_or_trend,
    cluster_rank_test,
    clustered_comparison,
    mann_kendall,
    median_difference,
)
from borderscape.analyses.study import Study, working_crs
from borderscape.geo.costdistance import accumulated_cost
from borderscape.geo.costmodels import get_model
from borderscape.geo.errors import BorderscapeError, InputError
from borderscape.geo.nearest import nearest
from borderscape.geo.raster import Raster
from borderscape.geo.sample import sample_points
from borderscape.geo.terrain import focal_mean, ruggedness, slope
from borderscape.geo.water import dubois_area, kelvin, temperature_grid, temperature_on_grid
from borderscape.layers.quality import usable
from borderscape.layers.schemas import RasterLayer

__all__ = [
    "COVARIATES",
    "WATER_VARIANTS",
    "RunTemperature",
    "h2_hardship",
    "pmi_days",
    "run_temperature",
    "water_variants",
    "water_walker",
]

#: H2 covariates: sub-id → (plain name, unit).  The generator of H2 is spawned into one child per
#: covariate in this order (then one for the case-control variants).
COVARIATES: dict[str, tuple[str, str]] = {
    "road_distance": ("distance from remains to the nearest road", "m"),
    "water_distance": ("distance from remains to the nearest water station", "m"),
    "slope": ("slope at remains", "degrees"),
    "ruggedness": ("terrain ruggedness at remains", "terrain units"),
    "energy": ("accumulated walking energy from the border to remains (Pandolf)", "kJ"),
    "heat": ("July maximum temperature at remains (PRISM 2014-2023 mean)", "°C"),
    "aridity": ("aridity index at remains (pcome-terrain TotAveArid, gridMET)", "index"),
    "water_loss": ("accumulated sweat loss walking from the border to remains (Gonzalez et al. 2009)", "L"),
}

#: Covariates whose results are descriptive, not tests of H2 (the rest are secondary).
_ROLE = {"water_loss": "descriptive"}

#: What each before/after comparison shows of the records' make-up (column → name in words).
COMPOSITION = {
    "location_precision": "location precision",
    "post_mortem_interval": "post-mortem interval",
    "body_condition": "body condition",
    "corridor": "corridor",
    "source_id": "source",
}

#: Days per unit of a post-mortem interval class (``< 3 weeks``; a month is 365.25 / 12 days).
_PMI_UNITS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12.0, "year": 365.25}
_PMI = re.compile(r"^\s*([<>])\s*(\d+(?:\.\d+)?)(?:\s*-\s*(\d+(?:\.\d+)?))?\s*(day|week|month|year)s?\s*$", re.I)

#: The caveat of every distance to roads: the roads layer is not dated.
ROADS_CAVEAT = (
    "The roads are one layer for every year (for Arizona, TIGER/Line 2021): no dated roads layer exists here. "
    "A road built between a record's year and 2021 counts as if it had always been there, which understates the "
    "distances of the earlier records and so inflates an increase; a road closed before 2021 does the opposite."
)


def pmi_days(text: Any) -> float:
    """The upper bound in days of a post-mortem interval class (``"< 3 weeks"`` → 21, ``"< 6-8 months"``
    → 243.5, ``"> 6-8 months"`` → inf); NaN for a missing or unreadable class.

    >>> pmi_days("< 5 weeks"), pmi_days("> 6-8 months")
    (35.0, inf)
    """
    if text is None or (isinstance(text, float) and math.isnan(text)) or text is pd.NA:
        return float("nan")
    m = _PMI.match(str(text))
    if not m:
        return float("nan")
    if m.group(1) == ">":
        return float("inf")
    high = float(m.group(3) or m.group(2))
    return high * _PMI_UNITS[m.group(4).lower()]


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
    if not len(along):  # no records: no bands
        return np.zeros(0, dtype=np.intp)
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
    window = study.params.hardship.terrain_window_m
    coarse = ""
    if dem is not None and dem.source_res_m is not None and dem.source_res_m > window:
        # a DEM resampled from cells larger than the window holds no slope at the window's scale
        coarse = (
            f"The DEM's cells are {dem.source_res_m / 1e3:.3g} km, coarser than the {window:g} m terrain window "
            "(resampled to the study's cells it shows only a smoothed surface), so its slope and ruggedness are "
            "not used; give a DEM with cells of at most "
            f"{window:g} m (e.g. `borderscape fetch dem-copernicus`) for them. "
        )
        dem = None
    if dem is not None:
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
            coarse + f"Slope (degrees) and Rough of the nearest pcome-terrain BodyLocation within {tol:g} m "
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
                "ruggedness": coarse
                + "No ruggedness: the environment grid holds slope only; "
                + REMEDIES["dem"][1]
                + ", or name the pcome-terrain table (southern Arizona only) under [layers] terrain_covariates."
            },
            coarse + f"mean slope (degrees) of the nearest environment-grid cell (0.044°) within {tol:g} m",
        )
    why = coarse + (
        "No terrain source: " + REMEDIES["dem"][1] + ", or name pcome-terrain under [layers] terrain_covariates "
        "or az-env-grid under [layers] environment (both southern Arizona only; elsewhere a grid of your own "
        "with slope_deg)."
    )
    return {}, {"slope": why, "ruggedness": why}, ""


def _energy_at(
    study: Study, inputs: StudyInputs, points: gpd.GeoDataFrame, params: dict[str, float] | None = None
) -> tuple[pd.Series | None, str]:
    """Accumulated Pandolf energy from the border at ``points`` for the walker ``params`` (default the
    study's, :func:`~borderscape.analyses.routes.walker`), or None and the reason."""
    why = missing(study, inputs, "dem", "border")
    if why:
        return None, why
    dem: Raster = inputs.dem()
    params = walker(study) if params is None else params
    try:
        border = gpd.GeoSeries(_geoms(inputs.get("border"), dem.crs), crs=dem.crs)
        surface = accumulated_cost(dem, border, model="pandolf", params=params)
    except BorderscapeError as exc:
        return None, f"The energy from the border cannot be computed: {reason(exc)}"
    return (
        sample_points(surface.cost, points),
        f"accumulated Pandolf (1977) energy from the border, {surface.units}, walker {surface.params}",
    )


# -- hardship in litres ------------------------------------------------------------------------------

#: The sensitivity variants of the water-loss results (H2.water_loss, H3.water_loss): name → changes of
#: the ``water`` model's parameters (relative humidity; absorbed sun, an assumed midday load in full sun).
WATER_VARIANTS: tuple[tuple[str, dict[str, float]], ...] = (
    ("relative humidity 10 %", {"rh": 0.10}),
    ("relative humidity 40 % (monsoon)", {"rh": 0.40}),
    ("in sun: 150 W/m² absorbed", {"solar": 150.0}),
)

#: What every water-loss result says of itself.
WATER_ETHICS = (
    "These litres model the past hardship of people who died crossing this ground; they are never a map of "
    "where people are or will be, and must not be used to forecast crossings or to direct enforcement."
)

WATER_METHOD = (
    "sweat rate from the human heat balance: Pandolf (1977)-Santee (2001) metabolic rate, dry heat exchange and "
    "E_max from air temperature (ISO 7730, ASHRAE; Woodcock 1962), sweat by the piecewise equation of Gonzalez "
    "et al. (2009, J. Appl. Physiol. 107, 379-388), 147 + 1.527·E_req − 0.87·E_max g·m⁻²·h⁻¹; litres = sweat "
    "rate × A_D × time, summed move by move (borderscape.geo.water)"
)


def water_walker(study: Study) -> dict[str, float]:
    """The ``water`` model's parameters of a study: its walker (:func:`~borderscape.analyses.routes.walker`:
    W, L, V, η and the downhill model) with ``[parameters.cost]`` ``relative_humidity`` (rh),
    ``clothing_clo`` (clo), ``wind_m_s`` (wind), ``solar_w_m2`` (solar) and the body surface area
    A_D = 0.007184·W^0.425·H^0.725 (m²; W kg, H cm = 100·``body_height_m``; DuBois & DuBois 1916).

    Examples
    --------
    >>> from borderscape.analyses.study import load_study
    >>> p = water_walker(load_study("arizona-sonora"))
    >>> p["rh"], p["clo"], p["wind"], p["solar"], round(p["area"], 2)
    (0.2, 0.6, 0.0, 0.0, 1.81)
    """
    c = study.params.cost
    return {
        **walker(study),
        "rh": c.relative_humidity,
        "clo": c.clothing_clo,
        "wind": c.wind_m_s,
        "solar": c.solar_w_m2,
        "area": dubois_area(c.body_mass_kg, c.body_height_m),
    }


def water_variants(study: Study) -> list[tuple[str, dict[str, float]]]:
    """The water model's parameters under each of :data:`WATER_VARIANTS` (:func:`water_walker` with
    one thing changed); a variant equal to the study's own is left out."""
    base = water_walker(study)
    return [(name, {**base, **change}) for name, change in WATER_VARIANTS if {**base, **change} != base]


@dataclasses.dataclass(frozen=True, eq=False)
class RunTemperature:
    """The air temperature of a run on the DEM's cells, and where it came from.

    Attributes
    ----------
    grid
        °C on the DEM's grid (NaN: no temperature, impassable to the water-loss search).
    source
        Where it came from, in words (layer, month, how it was put on the grid).
    month
        The month (1–12) it describes, or None when the layer does not say.
    caveat
        What the temperature is and is not (a monthly maximum is a hot afternoon, not the day each
        person walked), with the weather and clothing assumed and the ethics sentence.
    """

    grid: np.ndarray
    source: str
    month: int | None
    caveat: str

    def parameters(self) -> dict[str, Any]:
        """JSON-ready description: source, month, range of the grid (°C)."""
        finite = self.grid[np.isfinite(self.grid)]
        return {
            "temperature_source": self.source,
            "temperature_month": self.month,
            "temperature_c_range": [float(finite.min()), float(finite.max())] if finite.size else None,
        }


#: Most cells on which the environment grid's temperatures are interpolated directly (larger DEMs: every k-th cell).
_TEMPERATURE_CELLS = 1_000_000

_MONTHS = ("January February March April May June July August September October November December").split()


def _weather_words(study: Study) -> str:
    c = study.params.cost
    return (
        f"relative humidity {100 * c.relative_humidity:g} %, {c.clothing_clo:g} clo, wind {c.wind_m_s:g} m/s, "
        + ("shade (no sun)" if c.solar_w_m2 == 0 else f"{c.solar_w_m2:g} W/m² of absorbed sun")
        + " ([parameters.cost])"
    )


def run_temperature(study: Study, inputs: StudyInputs, dem: Raster) -> RunTemperature | str:
    """The air temperature (°C) of a run on the DEM's cells, or why there is none.

    In this order: the ``temperature`` layer (a climate raster in °C, one band or the month
    ``[parameters.cost] temperature_month`` of a 12-band file, or a simulated world's field),
    resampled bilinearly onto the DEM (:func:`~borderscape.geo.water.temperature_on_grid`); else the
    ``july_tmax_c`` of the ``environment`` layer (for Arizona the shipped 0.044° grid, catalog source
    ``az-env-grid``: PRISM July maximum, mean of 2014-2023), interpolated linearly between its cell
    centres, nearest within 1.5 cells at the edges (:func:`~borderscape.geo.water.temperature_grid`).

    The result's caveat says which month and source it is: a monthly maximum is a hot afternoon of
    that month, a worst case, not the day each person walked.  Litres from it describe the past
    hardship of people who died; they are never a map of where people are or will be.
    """
    month = study.params.cost.temperature_month
    layer = inputs.get("temperature")
    when = f"{_MONTHS[month - 1]} " if month is not None else ""
    if isinstance(layer, (Raster, RasterLayer)):
        raster = layer.raster if isinstance(layer, RasterLayer) else layer
        grid = temperature_on_grid(dem, raster)
        if inputs.simulated:
            source = (
                "the simulated world's July maximum air temperature field (°C; elevation lapse rate, no real place)"
            )
            month, when = 7, "July "  # a simulated world's field is its July maximum, whatever the study says
        else:
            source = (
                f"the study's temperature layer (climate raster, °C; {when.strip() or 'month not stated'}, "
                "[parameters.cost] temperature_month), resampled bilinearly onto the DEM's cells"
            )
    elif layer is not None:
        return (
            "The temperature layer is not a raster: give a climate raster of air temperature in °C (GeoTIFF) under "
            "[layers] temperature."
        )
    else:
        env = inputs.get("environment")
        frame = None if env is None or isinstance(env, (Raster, RasterLayer)) else usable(frame_of(env))
        if frame is None or "july_tmax_c" not in frame.columns:
            return (
                "No air temperature for the water-loss model: name a climate raster (°C, GeoTIFF) under [layers] "
                "temperature, or az-env-grid (southern Arizona only) or a grid of your own with july_tmax_c under "
                "[layers] environment."
            )
        if month not in (None, 7):
            return (
                f"[parameters.cost] temperature_month = {month}, but the environment grid holds July maxima only: "
                "name a climate raster of that month under [layers] temperature, or remove temperature_month."
            )
        month, when = 7, "July "
        frame = frame[np.isfinite(frame["july_tmax_c"].to_numpy(dtype=np.float64))]
        geom = frame.geometry.values
        frame = frame[~(shapely.is_missing(geom) | shapely.is_empty(geom))]
        if len(frame) < 3:
            return "The environment layer holds fewer than 3 cells with a July maximum temperature."
        centres = shapely.centroid(frame.geometry.values)
        x, y = shapely.get_x(centres), shapely.get_y(centres)
        t = frame["july_tmax_c"].to_numpy(dtype=np.float64)
        crs = frame.crs.to_string()
        # a large DEM: interpolate on every k-th cell (at most about 10⁶ cells, each well below the
        # grid's 4.5 km), then bilinearly onto every cell
        step = max(1, math.ceil(math.sqrt(dem.array.size / _TEMPERATURE_CELLS)))
        rows, cols = math.ceil(dem.shape[0] / step), math.ceil(dem.shape[1] / step)
        target = Raster(np.zeros((rows, cols), np.float32), dem.transform * Affine.scale(step), dem.crs)
        near = temperature_grid(target, x, y, t, crs=crs, method="nearest")
        lin = temperature_grid(target, x, y, t, crs=crs, method="linear")
        coarse = np.where(np.isnan(lin), near, lin)
        grid = coarse if step == 1 else temperature_on_grid(dem, target.with_array(coarse, nodata=np.nan))
        grid = np.where(dem.valid_mask(), grid, np.nan)
        source = (
            "July maximum air temperature of the environment layer (for Arizona az-env-grid: PRISM 4 km, mean of "
            "July 2014-2023, 0.044° cells), interpolated linearly between cell centres onto the DEM's cells"
            + (f" (every {step}th cell, then bilinearly)" if step > 1 else "")
        )
    if not np.isfinite(grid).any():
        return "The temperature layer does not cover the DEM: give one that overlaps the study area."
    caveat = (
        f"Air temperature: {source}. A {when}maximum is a hot afternoon of that month, a worst case for walking in "
        f"{when.strip() or 'that month'}, not the day each person walked (many died in other months); weather and "
        f"clothing assumed: {_weather_words(study)}. Sweat below about 22 °C is floored at 0 and respiratory water "
        f"is not counted, so litres are a lower bound in cool air. {WATER_ETHICS}"
    )
    return RunTemperature(grid=grid, source=source, month=month, caveat=caveat)


def _water_at(
    study: Study, inputs: StudyInputs, points: gpd.GeoDataFrame
) -> tuple[pd.Series | None, list[tuple[str, pd.Series]], str, dict[str, Any], str]:
    """Accumulated water loss (L) from the border at ``points`` (model ``water``,
    :func:`water_walker`), and under each of :func:`water_variants`; or None and the reason.

    Returns (values, variants, source note or reason, parameters, caveat)."""
    why = missing(study, inputs, "dem", "border")
    if why:
        return None, [], why, {}, ""
    dem: Raster = inputs.dem()
    try:
        temperature = run_temperature(study, inputs, dem)
    except BorderscapeError as exc:
        return None, [], f"The air temperature cannot be put on the DEM: {reason(exc)}", {}, ""
    if isinstance(temperature, str):
        return None, [], temperature, {}, ""
    cells = kelvin(temperature.grid)
    params = water_walker(study)
    try:
        border = gpd.GeoSeries(_geoms(inputs.get("border"), dem.crs), crs=dem.crs)
        surface = accumulated_cost(dem, border, model="water", params=params, cell_values=cells)
        values = sample_points(surface.cost, points)
        alternatives = [
            (
                f"weather: {name}",
                sample_points(accumulated_cost(dem, border, model="water", params=p, cell_values=cells).cost, points),
            )
            for name, p in water_variants(study)
        ]
    except BorderscapeError as exc:
        return None, [], f"The water loss from the border cannot be computed: {reason(exc)}", {}, ""
    note = (
        f"accumulated sweat loss from the border, {surface.units} (model 'water': {WATER_METHOD}); walker and "
        f"weather {surface.params}; {temperature.source}"
    )
    extra = {
        "cost_model": "water",
        "cost_parameters": surface.params,
        "reference": get_model("water").reference,
        **temperature.parameters(),
    }
    return values, alternatives, note, extra, temperature.caveat


def _grid_values(
    layer: Any, points: gpd.GeoDataFrame, column: str, tolerance_m: float, *, rows: Any = None
) -> pd.Series | None:
    """``column`` of the nearest usable row of a point layer within ``tolerance_m`` (NaN beyond), or None
    when the layer lacks the column; ``rows`` selects rows of the layer first."""
    if layer is None or column not in frame_of(layer).columns:
        return None
    grid = usable(frame_of(layer))
    if rows is not None:
        grid = grid[rows(grid)]
    grid = gpd.GeoDataFrame(grid[[column]], geometry=grid.geometry.values, crs=grid.crs)
    return nearest_values(points, grid, [column], tolerance_m)[column]


def _climate_at(
    study: Study, inputs: StudyInputs, points: gpd.GeoDataFrame
) -> tuple[dict[str, pd.Series], dict[str, str], dict[str, str]]:
    """July maximum temperature (environment grid) and the aridity index (pcome-terrain) at ``points``."""
    values: dict[str, pd.Series] = {}
    reasons: dict[str, str] = {}
    notes: dict[str, str] = {}
    h = study.params.hardship
    heat = _grid_values(inputs.get("environment"), points, "july_tmax_c", h.environment_join_m)
    if heat is None:
        reasons["heat"] = (
            missing(study, inputs, "environment")
            or "The environment layer has no july_tmax_c column: name az-env-grid (southern Arizona only) or a grid "
            "of your own with july_tmax_c under [layers] environment."
        )
    else:
        values["heat"] = heat
        notes["heat"] = (
            f"July maximum temperature (°C; PRISM 4 km, mean of July 2014-2023) of the nearest environment-grid "
            f"cell (0.044°) within {h.environment_join_m:g} m: one climate map for every year"
        )
    terrain = inputs.get("terrain_covariates")
    arid = _grid_values(
        terrain, points, "totavearid", h.terrain_join_m, rows=lambda f: f["point_type"] == "BodyLocation"
    )
    if arid is None or "point_type" not in frame_of(terrain).columns:
        reasons["aridity"] = (
            missing(study, inputs, "terrain_covariates")
            or "The terrain_covariates layer has no TotAveArid column (needs the pcome-terrain table, southern "
            "Arizona only)."
        )
    else:
        values["aridity"] = arid
        notes["aridity"] = (
            f"TotAveArid of the nearest pcome-terrain BodyLocation within {h.terrain_join_m:g} m (White 2024: "
            "average aridity from gridMET potential evapotranspiration; values 0.06-0.52, which reads as a "
            "precipitation/PET ratio, lower = drier, but the table does not say)"
        )
    return values, reasons, notes


# -- the records and what else changed -------------------------------------------------------------


def _context(study: Study, located: gpd.GeoDataFrame, points: gpd.GeoDataFrame, split: dt.date | None) -> pd.DataFrame:
    """One row per record: date, year, side of the split, GPS-located, post-mortem interval (days),
    spatial block and the composition columns (no names, case numbers or coordinates leave here)."""
    ctx = pd.DataFrame(index=points.index)
    ctx["date"] = points["date"]
    ctx["year"] = points["date"].dt.year.to_numpy()
    ctx["after"] = (
        (points["date"] >= pd.Timestamp(split)).to_numpy() if split is not None else np.zeros(len(points), bool)
    )
    for column in COMPOSITION:
        ctx[column] = located[column].astype("string").to_numpy() if column in located.columns else pd.NA
    precision = ctx["location_precision"].astype("string")
    ctx["gps"] = precision.str.contains("GPS", case=False, regex=False).astype("boolean")
    ctx["pmi_days"] = [pmi_days(t) for t in ctx["post_mortem_interval"]]
    block = study.params.hardship.spatial_block_m
    bx = np.floor(points.geometry.x.to_numpy() / block).astype(np.int64)
    by = np.floor(points.geometry.y.to_numpy() / block).astype(np.int64)
    ctx["block"] = [f"{i}:{j}" for i, j in zip(bx, by)]
    return ctx


def _shift_words(sub: pd.DataFrame, post: np.ndarray, short_days: float) -> str:
    """The change of make-up between the sides, in words (GPS share, short post-mortem interval share,
    largest change of a corridor's share)."""
    parts = []
    gps = sub["gps"]
    if gps.notna().any():
        b, a = gps[~post].dropna().astype(bool).mean(), gps[post].dropna().astype(bool).mean()
        parts.append(f"GPS-located {100 * b:.0f} % → {100 * a:.0f} %")
    pmi = sub["pmi_days"]
    if np.isfinite(pmi).any() or pmi.notna().any():
        known = pmi.notna()
        short = pmi <= short_days
        b = short[~post & known].mean() if (~post & known).any() else float("nan")
        a = short[post & known].mean() if (post & known).any() else float("nan")
        parts.append(f"found within {short_days:g} days of death {100 * b:.0f} % → {100 * a:.0f} %")
    corridor = sub["corridor"].astype("string")
    if corridor.notna().any():
        b = corridor[~post].value_counts(normalize=True)
        a = corridor[post].value_counts(normalize=True)
        change = a.sub(b, fill_value=0.0)
        top = str(change.abs().idxmax())
        parts.append(f"corridor {top} {100 * b.get(top, 0.0):.1f} % → {100 * a.get(top, 0.0):.1f} % of records")
    if not parts:
        return ""
    return (
        "Search, reporting and place changed between the two sides, not only hardship: "
        + "; ".join(parts)
        + ". The sensitivity variants hold these constant."
    )


# -- one before/after comparison with its sensitivity -----------------------------------------------


def _variant(
    name: str,
    values: np.ndarray,
    post: np.ndarray,
    clusters: Any,
    config: dict[str, Any],
    rng: np.random.Generator,
    *,
    strata: Any = None,
    cluster_name: str = "year",
    note: str = "",
) -> Variant:
    """A sensitivity variant: the clustered comparison on other records or clusters (or its reason)."""
    try:
        res = clustered_comparison(
            values,
            post,
            clusters,
            strata=strata,
            seed=rng,
            resamples=config["permutations"],
            confidence=config["confidence"],
            cluster_name=cluster_name,
        )
    except InputError as exc:
        return Variant(name, None, n=int(values.size), note=f"{note} Not computed: {reason(exc)}".strip())
    return Variant(name, res.estimate, res.ci, res.n, res.p_value, note)


#: scipy >= 1.15 names the generator of stats.bootstrap ``rng``; before, ``random_state``.
_BOOTSTRAP_RNG = "rng" if "rng" in inspect.signature(stats.bootstrap).parameters else "random_state"


def _record_level(
    values: np.ndarray, post: np.ndarray, strata: np.ndarray | None, config: dict[str, Any], rng: np.random.Generator
) -> Variant:
    """The comparison as it was made before clustering was respected: a record-level percentile bootstrap
    (:func:`scipy.stats.bootstrap`) and the (van Elteren) rank test of the records."""
    res = stats.bootstrap(
        (values[post], values[~post]),
        lambda a, b, axis: np.median(a, axis=axis) - np.median(b, axis=axis),
        n_resamples=config["permutations"],
        confidence_level=config["confidence"],
        method="percentile",
        vectorized=True,
        **{_BOOTSTRAP_RNG: rng},
    )
    _, p = stratified_rank_test(values, post, strata)
    return Variant(
        "records treated as independent",
        median_difference(values, post),
        (float(res.confidence_interval.low), float(res.confidence_interval.high)),
        int(values.size),
        float(p),
        "Record-level percentile bootstrap and "
        + ("Mann-Whitney" if strata is None else "van Elteren stratified Wilcoxon")
        + " test: the unclustered interval, for comparison (narrower than the clustered one when years differ).",
    )


def _variants(
    values: np.ndarray,
    sub: pd.DataFrame,
    study: Study,
    config: dict[str, Any],
    rng: np.random.Generator,
    strata: np.ndarray | None,
    primary: bool,
) -> list[Variant]:
    """The sensitivity variants of every before/after comparison: the record-level interval, GPS-located
    records, a short post-mortem interval, within corridors; for the ``primary`` comparison also
    spatial blocks and GPS-located with a short post-mortem interval."""
    h = study.params.hardship
    post = sub["after"].to_numpy(dtype=bool)
    years = sub["year"].to_numpy()
    streams = iter(rng.spawn(8))
    out = [_record_level(values, post, strata, config, next(streams))]
    spatial = next(streams)
    if primary:
        out.append(
            _variant(
                f"spatial blocks of {h.spatial_block_m / 1000:g} km",
                values,
                post,
                sub["block"].to_numpy(),
                config,
                spatial,
                strata=strata,
                cluster_name=f"{h.spatial_block_m / 1000:g} km block",
                note="Clusters are square blocks of the working CRS instead of years: neighbouring records share "
                "terrain and search.",
            )
        )
    gps = sub["gps"].fillna(False).to_numpy(dtype=bool)
    short = (sub["pmi_days"] <= h.short_pmi_days).to_numpy(dtype=bool)
    subsets = (
        ("GPS-located records only", gps, "Records located by GPS (about 100 m); the others are described places."),
        (
            f"short post-mortem interval only (≤ {h.short_pmi_days:g} days)",
            short,
            "Remains found within about a month of death: where they lay depends less on how long and how hard "
            "anyone searched.",
        ),
        ("GPS-located and short post-mortem interval", gps & short, "Both restrictions at once."),
    )
    for name, keep, note in subsets if primary else subsets[:2]:
        if not keep.any():
            out.append(Variant(name, None, n=0, note=f"{note} No such records (column absent or empty)."))
            next(streams)
            continue
        out.append(
            _variant(
                name,
                values[keep],
                post[keep],
                years[keep],
                config,
                next(streams),
                strata=None if strata is None else strata[keep],
                note=note,
            )
        )
    corridor = sub["corridor"].astype("string")
    if corridor.notna().any():
        keep = corridor.notna().to_numpy()
        out.append(
            _variant(
                "within corridors (stratified by corridor)",
                values[keep],
                post[keep],
                years[keep],
                config,
                next(streams),
                strata=corridor[keep].to_numpy(dtype=str),
                note="The weighted mean of the within-corridor differences of medians; ranks within corridor: "
                "a change of the corridor mix does not count.",
            )
        )
    else:
        out.append(Variant("within corridors (stratified by corridor)", None, note="The records have no corridor."))
    return out


def _corridor_variants(
    values: np.ndarray, sub: pd.DataFrame, study: Study, config: dict[str, Any], rng: np.random.Generator
) -> list[Variant]:
    """One variant per corridor with at least ``corridor_min_records`` records on each side."""
    least = study.params.hardship.corridor_min_records
    corridor = sub["corridor"].astype("string")
    post = sub["after"].to_numpy(dtype=bool)
    out = []
    counts = pd.crosstab(corridor.fillna(""), post)
    big = [c for c in counts.index if c and counts.loc[c].min() >= least and counts.shape[1] == 2]
    for name, stream in zip(sorted(big, key=lambda c: -int(counts.loc[c].sum())), rng.spawn(max(len(big), 1))):
        keep = (corridor == name).fillna(False).to_numpy(dtype=bool)
        out.append(
            _variant(
                f"corridor {name} only",
                values[keep],
                post[keep],
                sub["year"].to_numpy()[keep],
                config,
                stream,
                note=f"One of the corridors with at least {least} records on each side.",
            )
        )
    return out


def _placebo_dates(study: Study, split: dt.date) -> list[dt.date]:
    given = study.params.hardship.placebo_splits
    if given is not None:
        return [pd.Timestamp(d).date() for d in given]

    def years_from(k: int) -> dt.date:
        try:
            return split.replace(year=split.year + k)
        except ValueError:  # 29 February
            return split.replace(year=split.year + k, day=28)

    return [years_from(-4), years_from(-2), years_from(4)]


def _placebos(
    values: np.ndarray,
    sub: pd.DataFrame,
    study: Study,
    split: dt.date,
    config: dict[str, Any],
    rng: np.random.Generator,
) -> list[Variant]:
    """Placebo splits: records on one side of the real split only, compared around another date."""
    dates = _placebo_dates(study, split)
    out = []
    when = sub["date"]
    for date, stream in zip(dates, rng.spawn(max(len(dates), 1))):
        side = (when < pd.Timestamp(split)) if date < split else (when >= pd.Timestamp(split))
        keep = side.to_numpy(dtype=bool)
        post = (when >= pd.Timestamp(date)).to_numpy(dtype=bool)[keep]
        where = f"records before {split} only" if date < split else f"records from {split} on only"
        out.append(
            _variant(
                f"placebo split at {date} ({where})",
                values[keep],
                post,
                sub["year"].to_numpy()[keep],
                config,
                stream,
                note="A split where no intervention is studied: a difference as large as the headline's here means "
                "the headline need not come from the split.",
            )
        )
    return out


def _scan(
    values: np.ndarray,
    sub: pd.DataFrame,
    study: Study,
    config: dict[str, Any],
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, dict[str, Any] | None, Variant | None]:
    """The estimate and clustered p-value at every candidate split year (1 January; at least 2 years on
    each side; the interval only for the best break), and whether one break or a straight line
    describes the yearly medians better
    (:func:`~borderscape.analyses.stats.trends.break_or_trend`, years with ``min_per_year`` records)."""
    years = sub["year"].to_numpy()
    first, last = int(years.min()), int(years.max())
    rows = []
    for year in range(first + 2, last - 1):
        post = years >= year
        try:
            test = cluster_rank_test(values, post, years, cluster_name="year")
            p = test["p"]
        except InputError:
            p = float("nan")
        rows.append(
            {
                "split": f"{year}-01-01",
                "estimate": median_difference(values, post),
                "p_value": p,
                "n_before": int((~post).sum()),
                "n_after": int(post.sum()),
            }
        )
    table = pd.DataFrame(rows)
    frame = pd.DataFrame({"year": years, "v": values})
    counts = frame.groupby("year")["v"].size()
    medians = frame.groupby("year")["v"].median()[counts >= study.params.hardship.min_per_year]
    try:
        verdict = break_or_trend(medians.index.to_numpy(), medians.to_numpy())
    except InputError:
        return table, None, None
    best = _variant(
        f"best single break: split at {verdict['break_year']}-01-01 (breakpoint scan)",
        values,
        years >= verdict["break_year"],
        years,
        config,
        rng,
        note=f"AIC of one step minus AIC of a straight line through the {verdict['years']} yearly medians: "
        f"{verdict['delta_aic']:+.1f} ({verdict['verdict']}); every split year is in the table h2_breakpoint_scan.",
    )
    return table, verdict, best


def _verdict_words(verdict: dict[str, Any], table: pd.DataFrame, split: dt.date, unit: str) -> str:
    """The breakpoint scan in words: a break at the split, or a gradual trend."""
    what = {
        "break": "a single break describes the yearly medians better than a straight line",
        "trend": "a gradual trend describes the yearly medians better than a single break",
        "undecided": "the yearly medians cannot tell a single break from a gradual trend",
    }[verdict["verdict"]]
    est = table.dropna(subset=["estimate"])
    spread = ""
    if len(est):
        lo, hi = est.loc[est["estimate"].idxmin()], est.loc[est["estimate"].idxmax()]
        spread = (
            f" Split at other years the difference runs from {lo['estimate']:,.0f} {unit} ({lo['split'][:4]}) to "
            f"{hi['estimate']:,.0f} {unit} ({hi['split'][:4]})."
        )
    return (
        f"Break or trend: {what} (AIC step − line {verdict['delta_aic']:+.1f}; best break {verdict['break_year']}, "
        f"linear slope {verdict['slope']:,.0f} {unit} per year over {verdict['years']} years); the split at "
        f"{split} is a date chosen for the intervention, not one the data pick.{spread}"
    )


def _placebo_words(placebos: list[Variant], unit: str) -> str:
    """The placebo splits in words: each estimate, and whether its interval excludes no effect."""
    parts = []
    for v in placebos:
        if v.estimate is None:
            continue
        clear = v.ci is not None and (v.ci[0] > 0 or v.ci[1] < 0)
        parts.append(
            f"{v.name.split(' (')[0].removeprefix('placebo split at ')}: {v.estimate:+,.0f} {unit}"
            + (" (interval excludes 0)" if clear else " (interval includes 0)")
        )
    if not parts:
        return "No placebo split could be computed."

    def moved(side: str) -> bool:
        return any(side in v.name and v.ci is not None and (v.ci[0] > 0 or v.ci[1] < 0) for v in placebos if v.estimate)

    reading = []
    if moved("records before"):
        reading.append("the values were already changing before the split")
    if moved("records from"):
        reading.append("they kept changing after it, as a gradual trend would and a single step would not")
    if not reading:
        reading.append("no placebo shows a change, as a single step at the split would predict")
    return (
        "Placebo splits (each within one side of the real split; a placebo near 0 is the expected result, not a "
        "change of sign of the finding): " + "; ".join(parts) + ". So " + " and ".join(reading) + "."
    )


def _comparison(
    key: str,
    values: pd.Series,
    ctx: pd.DataFrame,
    split: dt.date | None,
    study: Study,
    config: dict[str, Any],
    rng: np.random.Generator,
    source: str,
    strata: np.ndarray | None,
    alternatives: list[tuple[str, pd.Series]],
) -> tuple[Outcome, dict[str, pd.DataFrame]]:
    """``H2.<key>``: median after minus median before the split, clustered by year, with its
    sensitivity variants and composition (and, for ``road_distance``, placebos and the scan)."""
    name, unit = COVARIATES[key]
    id_ = f"H2.{key}"
    if split is None:
        why = (
            "The study has no intervention date: add one under [[periods.interventions]] "
            "or set [parameters.hardship] split."
        )
        return Outcome.skipped(id_, f"{name}: after vs before the split date", why), {}
    title = f"{name}: median after minus median before {split} ({unit})"
    ok = (values.notna() & ctx["date"].notna()).to_numpy()
    sub = ctx[ok]
    v = values.to_numpy(dtype=np.float64)[ok]
    st = None if strata is None else strata[ok]
    post = sub["after"].to_numpy(dtype=bool)
    if post.sum() < 2 or (~post).sum() < 2:
        return Outcome.skipped(
            id_,
            title,
            f"Fewer than 2 records with a {key} on one side of {split} "
            f"({int((~post).sum())} before, {int(post.sum())} after).",
        ), {}
    if np.unique(v).size < 2:
        return Outcome.skipped(id_, title, f"Every record has the same {key}: no comparison is possible."), {}
    main, more = rng.spawn(2)
    try:
        res = clustered_comparison(
            v,
            post,
            sub["year"].to_numpy(),
            strata=st,
            seed=main,
            resamples=config["permutations"],
            confidence=config["confidence"],
        )
    except InputError as exc:
        return Outcome.skipped(id_, title, f"No clustered comparison is possible: {reason(exc)}"), {}
    streams = more.spawn(5)
    declared = study.endpoints.get("H2")
    primary = id_ == (declared.result if declared is not None else "H2.road_distance")
    variants = _variants(v, sub, study, config, streams[0], st, primary)
    tables: dict[str, pd.DataFrame] = {}
    caveats: list[str] = []
    if primary:
        variants += _corridor_variants(v, sub, study, config, streams[1])
        placebos = _placebos(v, sub, study, split, config, streams[2])
        variants += placebos
        table, verdict, best = _scan(v, sub, study, config, streams[3])
        tables["h2_breakpoint_scan"] = table
        if best is not None:
            variants.append(best)
        if verdict is not None:
            caveats.append(_verdict_words(verdict, table, split, unit))
        caveats.append(_placebo_words(placebos, unit))
    if key == "road_distance":
        caveats.append(ROADS_CAVEAT)
    for (label, alt), stream in zip(alternatives, streams[4].spawn(max(len(alternatives), 1))):
        a = alt.to_numpy(dtype=np.float64)[ok]
        fine = np.isfinite(a)
        variants.append(
            _variant(
                label, a[fine], post[fine], sub["year"].to_numpy()[fine], config, stream,
                strata=None if st is None else st[fine],
                note="The energy surface under another walker." if key == "energy"
                else "The water-loss surface under other weather (temperature, walker and clothing unchanged).",
            )
        )  # fmt: skip
    shift = _shift_words(sub, post, study.params.hardship.short_pmi_days)
    if shift:
        caveats.append(shift)
    if key == "heat":
        caveats.append(
            "One climate map (July 2014-2023) for every year: a change says where remains were found, "
            "not that summers grew hotter."
        )
    caveats.extend(shock_caveats(study, split))
    comp = composition(sub[~post], sub[post], COMPOSITION)
    result = dataclasses.replace(res, name=title)
    outcome = Outcome.ran(
        id_,
        result,
        name=title,
        role="secondary",
        sensitivity=tuple(variants),
        composition=tuple(comp),
        caveats=tuple(caveats),
        reason=(
            "Records are clustered by year (search effort, reporting): the interval resamples whole years and the "
            "p-value compares year means, so it is wider and larger than a record-by-record test."
        ),
    )
    extra = {
        "split": split.isoformat(),
        "unit": unit,
        "source": source,
        "median_before": float(np.median(v[~post])),
        "median_after": float(np.median(v[post])),
        "n_before": int((~post).sum()),
        "n_after": int(post.sum()),
        "strata": 1 if st is None else int(np.unique(st).size),
    }
    return dataclasses.replace(outcome, parameters={**outcome.parameters, **extra}), tables


def _trend(
    key: str, values: pd.Series, ctx: pd.DataFrame, study: Study, config: dict[str, Any], source: str
) -> tuple[Outcome, pd.Series]:
    """``H2.<key>.trend``: Mann–Kendall and Theil–Sen of the yearly medians of years with at least
    ``min_per_year`` records, corrected for autocorrelation as the study says."""
    name, unit = COVARIATES[key]
    least = study.params.hardship.min_per_year
    correction = study.params.statistics.trend_autocorrelation
    ok = (values.notna() & ctx["date"].notna()).to_numpy()
    frame = pd.DataFrame({"year": ctx["year"].to_numpy()[ok], "v": values.to_numpy(dtype=np.float64)[ok]})
    counts = frame.groupby("year")["v"].size()
    all_medians = frame.groupby("year")["v"].median()
    yearly = all_medians[counts >= least]
    left_out = sorted(int(y) for y in counts.index[counts < least])
    if len(yearly) < 3 or yearly.nunique() < 2:
        return Outcome.skipped(
            f"H2.{key}.trend",
            f"{name}: trend over years",
            f"Fewer than 3 years with at least {least} records with a {key} "
            f"([parameters.hardship] min_per_year); {len(yearly)} such years.",
        ), all_medians.rename(key)
    res = mann_kendall(
        yearly.to_numpy(),
        yearly.index.to_numpy(dtype=np.float64),
        autocorrelation=correction,
        confidence=config["confidence"],
    )
    outcome = Outcome.ran(
        f"H2.{key}.trend",
        res,
        name=f"{name}: Theil-Sen trend of yearly medians ({unit} per year)",
        role="secondary",
        reason=(
            f"Years with fewer than {least} records are left out: {', '.join(map(str, left_out))}." if left_out else ""
        ),
    )
    extra = {
        "unit": unit,
        "source": source,
        "years": int(len(yearly)),
        "min_per_year": least,
        "years_left_out": left_out,
        "records": int(counts[counts >= least].sum()),
    }
    return dataclasses.replace(outcome, parameters={**outcome.parameters, **extra}), all_medians.rename(key)


def _as_water(outcome: Outcome, extra: dict[str, Any], caveat: str) -> Outcome:
    """An ``H2.water_loss`` outcome made descriptive (litres are a modelled, secondary measure of hardship
    beside energy: not adjusted with the tests of H2), with the model, its reference, the temperature
    used and its caveat (month and source; never a map of where people are or will be)."""
    if outcome.status != "ran":
        return dataclasses.replace(outcome, role="descriptive")
    params = dict(outcome.parameters)
    if "median_before" in params:
        params["litres_at_remains"] = {
            "median_before": params["median_before"],
            "median_after": params["median_after"],
        }
    return dataclasses.replace(
        outcome,
        role="descriptive",
        method=f"{outcome.method}; litres: {WATER_METHOD}",
        caveats=(*outcome.caveats, *((caveat,) if caveat else ())),
        parameters={**params, **extra},
    )


def h2_hardship(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """H2: are remains found in harder places, more so over time and after interventions?

    At each located record of the ``deaths`` layer: distance to the nearest road and water
    station (m, in the study's working CRS, :func:`~borderscape.analyses.study.working_crs`),
    slope and ruggedness (from the DEM, each averaged over the square of side ``terrain_window_m``
    centred on the record, 3 × 3 cells at 90 m: a record marks where a body was found, within about
    100 m, on the way the person was crossing, and the mean describes the terrain of that way rather
    than of one cell; else the pcome-terrain covariates of the nearest body location within
    ``terrain_join_m``; else the slope of the nearest environment-grid cell within
    ``environment_join_m``), the accumulated Pandolf energy from the border (kJ; needs a DEM and the
    border), the July maximum temperature of the environment grid (``heat``) and the aridity index of
    the pcome-terrain table (``aridity``), and the accumulated sweat loss from the border (``water_loss``,
    litres; needs a DEM, the border and an air temperature, :func:`run_temperature`; model ``water``,
    Gonzalez et al. 2009; ``descriptive``, with its variants at relative humidity 10 % and 40 % and in
    sun, :data:`WATER_VARIANTS`).

    For each covariate two outcomes, both ``secondary`` (the study declares which one is primary:
    ``[endpoints.H2]``, for Arizona ``H2.road_distance``; the two of ``water_loss`` are ``descriptive``):

    * ``H2.<covariate>``: median after the split date minus median before, clustered by year
      (:func:`~borderscape.analyses.stats.trends.clustered_comparison`: year-cluster bootstrap
      interval stratified by side, Welch test of the yearly mean percentile ranks).  For the energy
      from the border (and the water loss) the comparison is within border segments (``energy_segments`` equal-count bands
      of the position of the nearest border point along the border): the energy accumulated from the
      border depends strongly on where along the border a record lies.  Two-sided.  Each carries
      ``composition`` (location precision, post-mortem interval, body condition, corridor, source
      before and after) and ``sensitivity``: the record-level interval and test, spatial blocks of
      ``spatial_block_m``, GPS-located records only, a short post-mortem interval only
      (``short_pmi_days``), both, within corridors; ``H2.road_distance`` also each large corridor
      (``corridor_min_records``), the placebo splits (``placebo_splits``) and the best single break
      of a scan of split years (table ``h2_breakpoint_scan``), with a caveat in words on whether the
      yearly medians show a break or a gradual trend
      (:func:`~borderscape.analyses.stats.trends.break_or_trend`) and one on the undated roads layer;
      ``H2.energy`` also the energy under the walkers of
      :func:`~borderscape.analyses.routes.energy_variants` (terrain factor, load, downhill model).
    * ``H2.<covariate>.trend``: Mann–Kendall test and Theil–Sen slope (per year) of the yearly
      medians, over the years with at least ``min_per_year`` records, with the autocorrelation
      correction of ``[parameters.statistics] trend_autocorrelation``
      (:func:`~borderscape.analyses.stats.trends.mann_kendall`).

    And ``H2.case_control`` (slope), ``.ruggedness``, ``.heat`` and ``.aridity``: odds ratios per
    standard deviation from case-control logistic regressions of pcome-terrain body locations against
    its random background points, each adjusted for heat and aridity (and heat for slope), HC1 robust
    standard errors (:func:`~borderscape.analyses.stats.models.case_control_logit`; Keating & Cherry
    2004); ``descriptive``: they describe where remains lie, not a change over time, and the random
    points' sampling frame is not documented.

    Parameters
    ----------
    study, inputs, rng
        The study, its layers by role, and the generator (one child per covariate, spawned
        in the order of :data:`COVARIATES`, then one for the case-control models).

    Returns
    -------
    Section
        Outcomes; tables ``h2_yearly`` (year, records, median per covariate), ``h2_records``
        (date, year, covariates; no names, case numbers or coordinates) and ``h2_breakpoint_scan``.
    """
    config = settings(study)
    children = rng.spawn(len(COVARIATES) + 1)
    split = split_date(study)
    outcomes: list[Outcome] = []
    tables: dict[str, pd.DataFrame] = {}
    deaths = inputs.get("deaths")
    if deaths is None:
        why = missing(study, inputs, "deaths") or ""
        for key, (name, _) in COVARIATES.items():
            role = _ROLE.get(key, "secondary")
            outcomes.append(Outcome.skipped(f"H2.{key}", name, why, role=role))
            outcomes.append(Outcome.skipped(f"H2.{key}.trend", f"{name}: trend over years", why, role=role))
    else:
        located, excluded = records(study, deaths)
        points = gpd.GeoDataFrame(
            {"date": located["date"]}, geometry=located.geometry.values, crs=located.crs, index=located.index
        ).to_crs(working_crs(study))
        ctx = _context(study, located, points, split)
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
        alternatives: list[tuple[str, pd.Series]] = []
        if energy is None:
            reasons["energy"] = note
        else:
            values["energy"], sources["energy"] = energy, note
            strata = _border_segments(points, inputs.get("border"), study.params.hardship.energy_segments)
            for label, params in energy_variants(study):
                alt, _ = _energy_at(study, inputs, points, params)
                if alt is not None:
                    alternatives.append((f"walker: {label}", alt))
        climate, why, notes = _climate_at(study, inputs, points)
        values.update(climate)
        reasons.update(why)
        sources.update(notes)
        water, water_alternatives, note, water_extra, water_caveat = _water_at(study, inputs, points)
        if water is None:
            reasons["water_loss"] = note
        else:
            values["water_loss"], sources["water_loss"] = water, note
            if strata is None:
                strata = _border_segments(points, inputs.get("border"), study.params.hardship.energy_segments)
        by_border = {"energy": alternatives, "water_loss": water_alternatives}
        yearly_cols = []
        for (key, (name, _)), child in zip(COVARIATES.items(), children):
            if key not in values:
                why, role = reasons.get(key, ""), _ROLE.get(key, "secondary")
                outcomes.append(Outcome.skipped(f"H2.{key}", name, why, role=role))
                outcomes.append(Outcome.skipped(f"H2.{key}.trend", f"{name}: trend over years", why, role=role))
                continue
            outcome, more = _comparison(
                key,
                values[key],
                ctx,
                split,
                study,
                config,
                child,
                sources[key],
                strata if key in by_border else None,
                by_border.get(key, []),
            )
            tables.update(more)
            trend, yearly = _trend(key, values[key], ctx, study, config, sources[key])
            if key == "water_loss":
                outcome, trend = (
                    _as_water(outcome, water_extra, water_caveat),
                    _as_water(trend, water_extra, water_caveat),
                )
            outcomes.extend([outcome, trend])
            yearly_cols.append(yearly)
        record_table = pd.DataFrame({"date": points["date"].to_numpy(), "year": ctx["year"].to_numpy()})
        for key in COVARIATES:
            if key in values:
                record_table[key] = values[key].to_numpy()
        if split is not None:
            record_table["period"] = np.where(ctx["after"].to_numpy(), "after", "before")
        tables["h2_records"] = record_table
        yearly_table = pd.concat([ctx["year"].value_counts().sort_index().rename("records"), *yearly_cols], axis=1)
        yearly_table.index.name = "year"
        tables["h2_yearly"] = yearly_table.reset_index()
        outcomes = with_excluded(outcomes, excluded)
    outcomes.extend(_case_control(study, inputs, config))
    return Section(outcomes=outcomes, tables=tables)


#: The case-control results: id → (column of pcome-terrain or ``tmax``, label, adjusted for, the
#: variant's swap).  July Tmax and the aridity index are never in one model: at the pcome-terrain
#: points they correlate at about −0.9 (both follow elevation), and together they suppress each other
#: (each odds ratio is then far from its value alone, in opposite directions to what each shows alone).
CASE_CONTROL: dict[str, tuple[str, str, tuple[str, ...], tuple[str, str]]] = {
    "H2.case_control": ("slope", "slope", ("tmax",), ("tmax", "totavearid")),
    "H2.case_control.ruggedness": ("rough", "ruggedness", ("tmax",), ("tmax", "totavearid")),
    "H2.case_control.heat": ("tmax", "July maximum temperature", ("slope",), ("slope", "rough")),
    "H2.case_control.aridity": ("totavearid", "aridity index (TotAveArid)", ("slope",), ("slope", "rough")),
}
_LABELS = {
    "slope": "slope",
    "rough": "ruggedness",
    "tmax": "July maximum temperature",
    "totavearid": "aridity index",
}

#: What White et al. (2025) found, to check the direction of each odds ratio against: (sign, words).
_PUBLISHED = {
    "slope": (-1, "White et al. (2025) report fewer remains on steeper ground (−1.094 % per degree of slope)"),
    "rough": (-1, "White et al. (2025) report fewer remains on steeper ground (−1.094 % per degree of slope)"),
    "tmax": (1, "White et al. (2025) find heat and potential evapotranspiration (PET) the strongest predictors: "
             "more remains where it is hotter and drier"),
    "totavearid": (-1, "White et al. (2025) find potential evapotranspiration (PET) the strongest predictor: more "
                   "remains where it is drier. TotAveArid is undocumented (0.06-0.52); it rises with elevation and "
                   "falls with July Tmax here, so it reads as a moisture index (precipitation/PET, higher = less "
                   "arid) and the published direction is an odds ratio below 1"),
}  # fmt: skip


def _case_control(study: Study, inputs: StudyInputs, config: dict[str, Any]) -> list[Outcome]:
    terrain = inputs.get("terrain_covariates")
    frame = None if terrain is None else usable(frame_of(terrain))
    if frame is None or not {"point_type", "slope", "rough"} <= set(frame.columns):
        why = (
            missing(study, inputs, "terrain_covariates")
            or "The terrain_covariates layer lacks point_type, slope or rough."
        )
        return [
            Outcome.skipped(
                id_,
                f"remains against background points: odds ratio per SD of {label}",
                why + " (needs the pcome-terrain table: body locations and random points, southern Arizona only.)",
                role="descriptive",
            )
            for id_, (_, label, _, _) in CASE_CONTROL.items()
        ]
    frame = frame[frame["point_type"].isin(["BodyLocation", "RandomLocation"])]
    # the study's region (background points are undated, so the region only, for both kinds)
    frame = frame[region.select(study, frame, period=False).keep]
    points = gpd.GeoDataFrame(geometry=frame.geometry.values, crs=frame.crs, index=frame.index)
    tmax = _grid_values(
        inputs.get("environment"),
        points.to_crs(working_crs(study)),
        "july_tmax_c",
        study.params.hardship.environment_join_m,
    )
    data = pd.DataFrame(
        {
            "case": (frame["point_type"] == "BodyLocation").astype(np.float64).to_numpy(),
            "slope": frame["slope"].to_numpy(dtype=np.float64),
            "rough": frame["rough"].to_numpy(dtype=np.float64),
            "totavearid": frame["totavearid"].to_numpy(dtype=np.float64) if "totavearid" in frame.columns else np.nan,
            "tmax": np.nan if tmax is None else tmax.to_numpy(dtype=np.float64),
        }
    )
    absent = {c for c in ("tmax", "totavearid") if data[c].isna().all()}
    out = []
    both = data[["tmax", "totavearid"]].dropna()
    r_climate = float(both.corr().iloc[0, 1]) if len(both) > 2 else float("nan")
    for id_, (column, label, adjust, (old, new)) in CASE_CONTROL.items():
        name = f"remains against background points: odds ratio per SD of {label}"
        if column in absent:
            why = (
                "No July maximum temperature: name az-env-grid (southern Arizona only) or a grid of your own with "
                "july_tmax_c under [layers] environment."
                if column == "tmax"
                else "The terrain_covariates table has no TotAveArid (aridity) column."
            )
            out.append(Outcome.skipped(id_, name, why, role="descriptive"))
            continue
        covs = [column, *(c for c in adjust if c not in absent)]
        try:
            res, n_used, sds = _logit(data, covs, config)
            uni, _, _ = _logit(data, [column], config)
        except (BorderscapeError, np.linalg.LinAlgError, ValueError) as exc:
            why = reason(exc) if isinstance(exc, BorderscapeError) else str(exc)
            out.append(Outcome.skipped(id_, name, f"The logistic model cannot be fitted: {why}", role="descriptive"))
            continue
        variants = [Variant(f"{_LABELS[column]} alone (univariable)", uni.estimate, uni.ci, uni.n, uni.p_value)]
        if old in covs and new not in absent:
            try:
                alt, _, _ = _logit(data, [new if c == old else c for c in covs], config)
                variants.append(
                    Variant(
                        f"adjusted for {_LABELS[new]} instead of {_LABELS[old]}",
                        alt.estimate,
                        alt.ci,
                        alt.n,
                        alt.p_value,
                    )
                )
            except (BorderscapeError, np.linalg.LinAlgError, ValueError) as exc:
                variants.append(Variant(f"adjusted for {_LABELS[new]} instead of {_LABELS[old]}", None, note=str(exc)))
        sign, published = _PUBLISHED[column]
        side = int(np.sign(math.log(res.estimate))) if res.estimate > 0 else 0
        lo, hi = res.ci
        here = f"odds ratio {res.estimate:.2f} per SD, {lo:.2f}-{hi:.2f}"
        if lo <= 1.0 <= hi:
            check = f"{published}: here the interval includes no effect ({here})."
        else:
            check = f"{published}: {'the same' if side == sign else 'the opposite'} direction here ({here})."
        adjusted = [c for c in covs if c != column]
        caveats = [
            check,
            "Remains against random points describe where remains lie, not a change after an intervention "
            "(the table has no dates); the random points' sampling frame is not documented (White 2024).",
        ]
        if column in ("tmax", "totavearid") and math.isfinite(r_climate):
            caveats.append(
                f"July Tmax and the aridity index correlate at r = {r_climate:.2f} at these points (both follow "
                "elevation), so they are not put in one model; the July Tmax is a 0.044° (about 4.5 km) grid cell, "
                "the other covariates are 10 m."
            )
        outcome = Outcome.ran(
            id_,
            res,
            name=name + (f", adjusted for {', '.join(_LABELS[c] for c in adjusted)}" if adjusted else ""),
            role="descriptive",
            null_value=1.0,
            sensitivity=tuple(variants),
            caveats=tuple(caveats),
            reason=""
            if not absent & set(adjust)
            else f"Not available, so not adjusted for: {', '.join(_LABELS[c] for c in absent & set(adjust))}.",
        )
        extra = {
            "sd": sds[column],
            "sds": sds,
            "adjusted_for": adjusted,
            "n_cases": int(n_used[0]),
            "n_controls": int(n_used[1]),
            "left_out_missing": int(len(data) - sum(n_used)),
            "r_tmax_aridity": r_climate,
            "source": "pcome-terrain BodyLocation vs RandomLocation"
            + ("; July Tmax of the nearest az-env-grid cell" if "tmax" in covs else ""),
        }
        out.append(dataclasses.replace(outcome, parameters={**outcome.parameters, **extra}))
    return out


def _logit(
    data: pd.DataFrame, covariates: list[str], config: dict[str, Any]
) -> tuple[StatResult, tuple[int, int], dict[str, float]]:
    """The odds ratio per SD of ``covariates[0]`` from a case-control logit of the standardised
    covariates (complete cases); the numbers of cases and controls used, and the SDs."""
    d = data[["case", *covariates]].dropna()
    sds = {c: float(d[c].std(ddof=1)) for c in covariates}
    if d["case"].nunique() < 2 or not all(sd > 0 for sd in sds.values()):
        raise InputError("no variation in a covariate, or no cases or background points.")
    z = pd.DataFrame({"case": d["case"]})
    for c in covariates:
        z[c] = (d[c] - d[c].mean()) / sds[c]
    model = case_control_logit(z, "case", covariates, confidence=config["confidence"])
    return model.odds_ratios[0], (model.n_cases, model.n_controls), sds
