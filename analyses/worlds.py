"""Simulated worlds with a known answer, to check the funnel-effect battery.

:func:`simulate_world` generates terrain, a border, roads, water stations and surveillance
towers with deployment dates, lets walkers cross from the border to a highway along
least-cost routes that avoid the coverage of the towers active on their crossing date with a
strength α, kills some of them with a probability that rises with exertion, and finds some
of the bodies with a probability that falls with remoteness.  Every layer is shaped exactly
like the real ingested layer of its kind (a :class:`~borderscape.layers.schemas.Layer` with
the schema columns, the ledger columns and a quality report; vector layers in EPSG:4326; the
DEM a :class:`~borderscape.geo.raster.Raster` in a projected CRS), so the battery cannot tell
them apart — except that every layer says it is simulated: ``source`` and ``source_id`` are
``"simulated"``, the quality report carries a note, and :attr:`World.simulated` is True.
Nothing here is real: no real place, road, tower or person.  The worlds exist to check
that the statistics find a planted effect and do not find an absent one; they are not a
model of where real people cross, and nothing here forecasts crossings.

The mechanism
-------------
*Terrain.*  ``dem`` = :func:`borderscape.geo.synthetic.fractal_dem` (``size`` × ``size``
cells of ``res`` metres, UTM 12N).  The border is a gently irregular west–east line
``border_frac`` of the way up from the southern edge; a highway runs parallel to it
``highway_frac`` of the way up; two north–south roads run from the border to the northern
edge.  Irregular lines are y(x) = y₀ + Σₖ₌₁³ aₖ·sin(2πk·x/W + φₖ), aₖ ~ U(0.5, 1)·A/k,
φₖ ~ U(0, 2π) (W the width of the world, A the amplitude).

*Towers.*  ``towers`` towers are deployed in ``batches`` equal batches on dates
tₘ = t_int + m·(t_end − t_int)/batches, m = 0 … batches − 1 (t_int the intervention date):
none is active before the intervention and their number grows after it.  Each tower stands
on the highest of 8 random cells of the zone between the border and the highway that lies
within 2 km of a road or within 3 km of the border; its kind is drawn from
:data:`TOWER_KINDS` (height and range per kind).  The coverage of epoch m is the count of
towers active on tₘ that see a cell, by :func:`borderscape.geo.viewshed.coverage_epochs`
(target 1.7 m above the ground); epoch −1 (before t₀) has no coverage.

*Walkers.*  ``walkers`` crossing dates are drawn month by month with intensity
λ(month) ∝ 1 + s·cos(2π(month − 3)/12) (s = ``seasonality``, a spring peak), each on a uniform
day of its month; each walker starts at a uniform point along the border and walks to the
cheapest point of the highway.  Walkers also cross during a lead-in of ``lead_in_days`` before
the period (as many per month, on average, with no tower active): as in real records, the
remains reported in the first months of the period include people who died before it, so the
series of reports does not start from zero.  The cost of a move between cells i and j is

    c(i → j) = E_pandolf(dz, d) · (m_i + m_j) / 2,    m = exp(α · 1[cell covered])

where E_pandolf is the energy of the move (kJ; Pandolf, Givoni & Goldman 1977 with the
Santee et al. 2001 downhill correction; :mod:`borderscape.geo.costmodels`, or Tobler's
1993 off-path walking time with ``model="tobler"``) and "covered" means seen by at least one tower
active on the walker's crossing date.  α = 0 is the null: surveillance has no effect on
routes.  One accumulated-cost surface towards the highway is computed per epoch
(:func:`borderscape.geo.costdistance.accumulated_cost`, ``travel="to_sources"``) and every
walker of the epoch follows its backlinks (:func:`~borderscape.geo.costdistance.least_cost_paths`).

*Exertion.*  E(s), the Pandolf energy (kJ, without the multiplier) spent from the border to
distance s along the route, summed move by move; E_total = E(end).

*Death.*  The hazard of dying per kJ spent rises exponentially with exertion:

    h(E) = c · (γ / E_ref) · exp(γ · E / E_ref),    Λ(E) = ∫₀ᴱ h = c · (exp(γ E / E_ref) − 1)

with E_ref the median over walkers of the least energy from their origin to the highway
without surveillance (so E_ref does not depend on α), γ = ``death_gamma`` and c chosen so
that a route of energy E_ref is fatal with probability p_ref = ``death_p_ref``:
c = −log(1 − p_ref) / (exp(γ) − 1).  A walker dies with probability 1 − exp(−Λ(E_total)),
at the point where Λ(E) = −log U (U ~ U(0, 1), inverse-transform sampling), on the day it
crossed.  (These probabilities are far higher than real ones, so that a small world holds
enough deaths to test.)

*Finding the body.*  The remains are found with probability

    p_find = p_max · exp(−r / r_scale)

where r is the distance (metres) from the death to the nearest road, p_max = ``find_p_max``
and r_scale = ``find_scale_m``; they are reported D days after the death,
D ~ Exponential(mean ``find_delay_days``), and only if that date falls in the period (earlier
and later reports are left out).  The reported position is the death's, displaced by a normal error of
30 m per axis (``GPS``) or, with probability ``imprecise_share``, 700 m (``description``).

*Encounters.*  Monthly encounters ~ Poisson(``encounters_per_walker`` · walkers · λ(month) /
Σλ): a denominator proportional to the crossing intensity.

*Air temperature.*  A July-maximum field (°C) on the DEM's cells, so that the water-loss results
(litres of sweat, :mod:`borderscape.geo.water`) run on a world as on real data:

    T(x, y) = T₀ − Γ · z(x, y) / 1000 − g · n(y) + σ · ε(x, y)

with Γ = ``lapse_rate_k_per_km`` (6.5 K/km, the standard-atmosphere lapse rate), n the northward
fraction of the world (0 on the southern edge, 1 on the northern; g = 2 K: lower, hotter desert
toward the border, an assumption), ε a smooth random field (white noise filtered by a Gaussian of
size/16 cells, scaled to unit standard deviation; σ = 0.5 K), and T₀ chosen so that the hottest cell
is ``tmax_c`` (42 °C); with the default relief of 600 m the field spans about 35–42 °C.  Its random
numbers come from a child generator spawned from the world's (:meth:`numpy.random.Generator.spawn`),
so it shifts no other draw of the world.  The temperature changes no route, death or discovery (the
walkers' hazard follows energy): it only measures the simulated journeys in litres.  It is
:attr:`World.temperature`, the ``temperature`` layer of :func:`inputs_from_world`.

All randomness comes from one :class:`numpy.random.Generator`, drawn in a fixed order that
does not depend on α: worlds with the same seed and different α share terrain, towers,
crossing dates, origins and the uniform numbers of death and discovery, and differ only by
the routes.

References
----------
Pandolf, K. B., Givoni, B. & Goldman, R. F. (1977). J. Appl. Physiol. 43(4), 577–581.
Santee, W. R. et al. (2001). Aviat. Space Environ. Med. 72, 562–566.
Tobler, W. (1993). NCGIA Technical Report 93-1.
Chambers, S. N., Boyce, G. A., Launius, S. & Dinsmore, A. (2019). Mortality, surveillance and
the tertiary "funnel effect" on the U.S.-Mexico border. J. Borderlands Studies 36(3).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from rasterio.features import rasterize
from scipy import ndimage

from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.stats.seeds import Seed, generator
from borderscape.analyses.study import Intervention, SensorDefaults, Study
from borderscape.geo.costdistance import accumulated_cost, least_cost_paths
from borderscape.geo.costmodels import get_model
from borderscape.geo.errors import InputError
from borderscape.geo.raster import Raster
from borderscape.geo.synthetic import fractal_dem
from borderscape.geo.viewshed import REFRACTION_DEFAULT, active_at, coverage_epochs
from borderscape.layers.quality import Ledger
from borderscape.layers.schemas import Layer, conform

#: The value of ``source`` and ``source_id`` of every simulated layer.
SIMULATED = "simulated"
#: The note every simulated layer's quality report carries.
NOTE = "SIMULATED DATA generated by borderscape.analyses.worlds.simulate_world: not real places, towers or people"

#: Tower kinds of simulated worlds: (height above ground m, range m, share of towers); the
#: heights and ranges are those of the shipped Arizona–Sonora study's defaults.
TOWER_KINDS: dict[str, tuple[float, float, float]] = {
    "RVSS": (24.0, 5000.0, 0.5),
    "IFT": (40.0, 12000.0, 0.3),
    "AST": (10.0, 3000.0, 0.2),
}
#: Pandolf parameters of the walkers (kg, kg, m/s, η), as in the shipped study.
WALKER = {"W": 70.0, "L": 10.0, "V": 1.2, "eta": 1.5}
#: Height of a person above the ground for coverage, metres.
TARGET_HEIGHT_M = 1.7
_WGS84 = "EPSG:4326"
_PRECISION = (
    ("GPS coordinate (simulated, within ca. 100 m)", 30.0),
    ("physical description (simulated, within ca. 2 km)", 700.0),
)


@dataclass(frozen=True, eq=False)
class Truth:
    """What a simulated world was made with, and what happened to every walker.

    Attributes
    ----------
    alpha
        Strength of avoidance of active coverage (0 = no effect on routes).
    intervention
        Date before which no tower is active.
    seed
        The integer seed, or None when a generator was passed.
    params
        Every parameter of :func:`simulate_world` and the derived constants of the death
        model (``e_ref_kj``, ``death_c``).
    epochs
        First day of each epoch of tower coverage (the deployment dates), ascending.
    coverage
        Per epoch, int32 count of active towers that see each cell (on the DEM grid).
    walkers
        GeoDataFrame in the DEM's CRS, one row per walker, ordered by crossing date:
        ``date`` (crossing), ``epoch`` (index into ``epochs``; −1 before the first),
        ``origin_x``/``origin_y`` (m), ``length_m``, ``energy_kj`` (Pandolf exertion of the
        whole route), ``least_energy_kj`` (least energy to the highway without
        surveillance), ``route_cost`` (cost with the coverage multiplier, in ``cost_units``),
        ``covered_m`` (route length inside active coverage), ``died``, ``death_x``/
        ``death_y`` (m), ``death_energy_kj``, ``road_distance_m`` (death to the nearest
        road), ``found``, ``report_date`` (NaT unless found), ``reported`` (found and
        reported within the period: a row of ``remains``), and the route as ``geometry``.
    """

    alpha: float
    intervention: dt.date
    seed: int | None
    params: dict[str, Any]
    epochs: tuple[dt.date, ...]
    coverage: tuple[Raster, ...]
    walkers: gpd.GeoDataFrame


@dataclass(frozen=True, eq=False)
class World:
    """A simulated world: layers shaped like real ingested layers, and the truth behind them.

    Attributes
    ----------
    dem
        Elevations (m), projected CRS in metres.
    border, roads, water_stations
        ``context`` layers in EPSG:4326 (lines, lines, points).
    towers
        ``sensors`` layer (SENSORS schema) in EPSG:4326.
    remains
        ``deaths`` layer (DEATHS schema) in EPSG:4326, one row per reported body.
    encounters
        ``table`` layer: ``month`` (first day), ``encounters`` (Int64).
    truth
        :class:`Truth`.
    simulated
        Always True.
    temperature
        July maximum air temperature (°C) on the DEM's grid (see the module docstring), or None
        for a world made without one.
    """

    dem: Raster
    border: Layer
    roads: Layer
    water_stations: Layer
    towers: Layer
    remains: Layer
    encounters: Layer
    truth: Truth
    simulated: bool = True
    temperature: Raster | None = None

    @property
    def layers(self) -> dict[str, Layer | Raster]:
        """The layers under the keys of a study file's ``[layers]`` table."""
        return {
            "deaths": self.remains,
            "border": self.border,
            "roads": self.roads,
            "water_stations": self.water_stations,
            "encounters": self.encounters,
            "towers": self.towers,
            "dem": self.dem,
        }


def simulate_world(
    *,
    seed: Seed | None = None,
    alpha: float = 1.0,
    size: int = 256,
    res: float = 90.0,
    walkers: int = 400,
    towers: int = 16,
    batches: int = 4,
    water_stations: int = 6,
    start: str | dt.date = "2000-01-01",
    end: str | dt.date = "2019-12-31",
    intervention: str | dt.date = "2010-01-01",
    model: str = "pandolf",
    border_frac: float = 0.06,
    highway_frac: float = 0.75,
    relief: float = 600.0,
    seasonality: float = 0.3,
    death_p_ref: float = 0.25,
    death_gamma: float = 3.0,
    find_p_max: float = 0.9,
    find_scale_m: float = 3000.0,
    find_delay_days: float = 45.0,
    lead_in_days: int = 365,
    imprecise_share: float = 0.1,
    encounters_per_walker: float = 1000.0,
    neighbours: int = 8,
    tmax_c: float = 42.0,
    lapse_rate_k_per_km: float = 6.5,
) -> World:
    """Generate a world in which surveillance displaces walkers with a known strength α.

    The mechanism and its formulas are in the module docstring.

    Parameters
    ----------
    seed
        An integer, or a :class:`numpy.random.Generator` (used and advanced); required
        (:func:`borderscape.analyses.stats.seeds.generator`).
    alpha
        Avoidance strength (≥ 0): the cost of a covered cell is multiplied by exp(α).
    size
        Cells per side of the square DEM.
    res
        Cell size, metres.
    walkers
        Number of walkers over the whole period (the lead-in adds its own).
    towers, batches
        Number of towers, deployed in this many equal batches from the intervention on.
    water_stations
        Number of water stations (they do not change routes or deaths).
    start, end
        The period (ISO dates, inclusive).
    intervention
        Date of the first tower deployment (start < intervention ≤ end).
    model
        Cost model of route choice: ``pandolf`` (kJ) or ``tobler`` (s).
    border_frac, highway_frac
        Positions of the border and the highway as fractions of the height, from the south.
    relief
        Elevation range of the terrain, metres.
    seasonality
        Amplitude s of the seasonal crossing intensity (0 ≤ s < 1).
    death_p_ref, death_gamma
        Probability of dying on a route of the reference energy, and the steepness γ.
    find_p_max, find_scale_m
        Probability of finding a body on a road, and the distance scale (m) of its decay.
    find_delay_days
        Mean days between death and report.
    lead_in_days
        Days before ``start`` in which walkers already cross (their remains count when reported
        in the period); 0 for none.
    imprecise_share
        Share of reports located by description (700 m error) rather than GPS (30 m).
    encounters_per_walker
        Mean encounters per simulated walker (scales the monthly encounters table).
    neighbours
        8 or 16 moves per cell in the route search.
    tmax_c
        Air temperature (°C) of the hottest cell of the July-maximum field.
    lapse_rate_k_per_km
        Fall of the air temperature with elevation, K per km (≥ 0).

    Returns
    -------
    World

    Raises
    ------
    InputError
        For a missing seed, or a parameter out of range.
    """
    gen = generator(seed, what="simulate_world")
    t_start, t_end, t_int = (
        _date(v, name) for v, name in ((start, "start"), (end, "end"), (intervention, "intervention"))
    )
    _check(
        alpha=alpha,
        size=size,
        res=res,
        walkers=walkers,
        towers=towers,
        batches=batches,
        water_stations=water_stations,
        t_start=t_start,
        t_end=t_end,
        t_int=t_int,
        model=model,
        border_frac=border_frac,
        highway_frac=highway_frac,
        seasonality=seasonality,
        death_p_ref=death_p_ref,
        death_gamma=death_gamma,
        find_p_max=find_p_max,
        find_scale_m=find_scale_m,
        imprecise_share=imprecise_share,
        neighbours=neighbours,
        lead_in_days=lead_in_days,
        tmax_c=tmax_c,
        lapse_rate_k_per_km=lapse_rate_k_per_km,
    )
    params = dict(
        alpha=float(alpha),
        size=size,
        res=res,
        walkers=walkers,
        towers=towers,
        batches=batches,
        water_stations=water_stations,
        start=t_start.isoformat(),
        end=t_end.isoformat(),
        intervention=t_int.isoformat(),
        model=model,
        border_frac=border_frac,
        highway_frac=highway_frac,
        relief=relief,
        seasonality=seasonality,
        death_p_ref=death_p_ref,
        death_gamma=death_gamma,
        find_p_max=find_p_max,
        find_scale_m=find_scale_m,
        find_delay_days=find_delay_days,
        lead_in_days=lead_in_days,
        imprecise_share=imprecise_share,
        encounters_per_walker=encounters_per_walker,
        neighbours=neighbours,
        walker=dict(WALKER),
        tower_kinds={k: list(v) for k, v in TOWER_KINDS.items()},
        target_height_m=TARGET_HEIGHT_M,
        tmax_c=float(tmax_c),
        lapse_rate_k_per_km=float(lapse_rate_k_per_km),
    )

    # -- terrain, border, roads (drawn first, in a fixed order) ---------------------------------
    dem = fractal_dem((size, size), res=res, relief=relief, rng=gen)
    left, bottom, right, top = dem.bounds
    width, height = right - left, top - bottom
    border_line = _wiggly_ew(gen, left, right, bottom + border_frac * height, 0.02 * height)
    highway = _wiggly_ew(gen, left, right, bottom + highway_frac * height, 0.02 * height)
    ns_roads = [
        _wiggly_ns(gen, left + f * width, border_line, top, 0.02 * width)
        for f in (0.15 + 0.1 * gen.random(), 0.75 + 0.1 * gen.random())
    ]
    roads = [highway] + ns_roads
    road_union = shapely.union_all(roads)

    # -- towers and water stations --------------------------------------------------------------
    xs, ys = dem.xy(*np.indices(dem.shape))
    north = ys > _line_y(border_line, xs) + res
    road_cells = rasterize(
        [(g, 1) for g in roads], out_shape=dem.shape, transform=dem.transform, fill=0, all_touched=True, dtype="uint8"
    ).astype(bool)
    road_dist = ndimage.distance_transform_edt(~road_cells, sampling=res)
    south = ys < _line_y(highway, xs) - res
    zone = north & south & ((road_dist <= 2000.0) | (ys - _line_y(border_line, xs) <= 3000.0))
    tower_frame = _towers(gen, dem, np.flatnonzero(zone.ravel()), towers, batches, t_int, t_end)
    band = np.flatnonzero((north & south).ravel())
    water_idx = gen.choice(band, size=water_stations, replace=False)

    # -- walkers: every random number they need, in a fixed order ---------------------------------
    t_lead = t_start - dt.timedelta(days=int(lead_in_days))
    dates, month_starts, intensity = _crossing_dates(gen, walkers, t_lead, t_start, t_end, seasonality)
    in_period = month_starts >= np.datetime64(pd.Timestamp(t_start).to_period("M").to_timestamp(), "ns")
    total = dates.size  # the period's walkers and those of the lead-in
    origin_u = gen.random(total)
    death_u = gen.random(total)
    find_u = gen.random(total)
    delay = gen.exponential(find_delay_days, total)
    imprecise = gen.random(total) < imprecise_share
    jitter = gen.standard_normal((total, 2))
    month_starts, intensity = month_starts[in_period], intensity[in_period]
    monthly = gen.poisson(encounters_per_walker * walkers * intensity / intensity.sum())

    origins = shapely.line_interpolate_point(border_line, origin_u * border_line.length)
    ox, oy = shapely.get_x(origins), shapely.get_y(origins)

    # -- epochs of coverage and the routes of each ----------------------------------------------
    epochs = tuple(sorted(set(tower_frame["active_from"].dt.date)))
    tx, ty = tower_frame["x"].to_numpy(), tower_frame["y"].to_numpy()
    active = active_at(
        len(tower_frame),
        tower_frame["active_from"].to_numpy(dtype="datetime64[ns]"),
        tower_frame["active_to"].to_numpy(dtype="datetime64[ns]"),
        np.array(epochs, dtype="datetime64[ns]"),
    )
    counts = coverage_epochs(
        dem,
        tx,
        ty,
        tower_frame["height_m"].to_numpy(),
        tower_frame["range_m"].to_numpy(),
        active,
        target_height=TARGET_HEIGHT_M,
    )
    coverage = tuple(dem.with_array(c, nodata=None) for c in counts)
    epoch = np.searchsorted(np.array(epochs, dtype="datetime64[D]"), dates.astype("datetime64[D]"), side="right") - 1
    route_params = WALKER if model == "pandolf" else {"off_path": 1.0}
    highway_gs = gpd.GeoSeries([highway], crs=dem.crs)
    free_energy = accumulated_cost(
        dem, highway_gs, model="pandolf", params=WALKER, neighbours=neighbours, travel="to_sources"
    )
    least_energy = free_energy.cost.array[dem.rowcol(ox, oy)]
    e_ref = float(np.median(least_energy))
    death_c = -np.log1p(-death_p_ref) / np.expm1(death_gamma)
    params.update(e_ref_kj=e_ref, death_c=float(death_c))

    pandolf = get_model("pandolf")
    n = total
    out = {
        k: np.full(n, np.nan)
        for k in ("length_m", "energy_kj", "route_cost", "covered_m", "death_x", "death_y", "death_energy_kj")
    }
    died = np.zeros(n, dtype=bool)
    geoms = np.empty(n, dtype=object)
    lam_star = -np.log(death_u)
    e_star = e_ref / death_gamma * np.log1p(lam_star / death_c)  # energy at which each walker would die
    origin_pts = gpd.GeoSeries(gpd.points_from_xy(ox, oy), crs=dem.crs)
    for k in range(-1, len(epochs)):
        who = np.flatnonzero(epoch == k)
        if who.size == 0:
            continue
        covered = (coverage[k].array > 0) if k >= 0 else np.zeros(dem.shape, dtype=bool)
        if model == "pandolf" and (alpha == 0 or not covered.any()):
            surface = free_energy
        else:
            mult = np.exp(alpha * covered.astype(np.float64))
            surface = accumulated_cost(
                dem,
                highway_gs,
                model=model,
                params=route_params,
                neighbours=neighbours,
                multiplier=mult,
                travel="to_sources",
            )
        paths = least_cost_paths(surface, origin_pts.iloc[who].reset_index(drop=True))
        lines, costs = paths.geometry.to_numpy(), paths["cost"].to_numpy()
        for j, i in enumerate(who):
            line = lines[j]
            xy = shapely.get_coordinates(line)
            r, c = dem.rowcol(xy[:, 0], xy[:, 1])
            z = dem.array[r, c].astype(np.float64)
            step = np.hypot(np.diff(xy[:, 0]), np.diff(xy[:, 1]))
            cum = np.concatenate([[0.0], np.cumsum(pandolf.cost(np.diff(z), step, **WALKER))])
            cov = covered[r, c].astype(np.float64)
            geoms[i] = line
            out["length_m"][i] = step.sum()
            out["energy_kj"][i] = cum[-1]
            out["route_cost"][i] = costs[j]
            out["covered_m"][i] = float(np.sum(step * (cov[:-1] + cov[1:]) / 2.0))
            if e_star[i] < cum[-1]:
                died[i] = True
                s = int(np.searchsorted(cum, e_star[i], side="right"))
                f = (e_star[i] - cum[s - 1]) / (cum[s] - cum[s - 1])
                out["death_x"][i], out["death_y"][i] = xy[s - 1] + f * (xy[s] - xy[s - 1])
                out["death_energy_kj"][i] = e_star[i]

    # -- discovery --------------------------------------------------------------------------------
    road_distance = np.full(n, np.nan)
    road_distance[died] = shapely.distance(shapely.points(out["death_x"][died], out["death_y"][died]), road_union)
    p_find = find_p_max * np.exp(-np.nan_to_num(road_distance) / find_scale_m)
    found = died & (find_u < p_find)
    delay_days = (np.floor(delay).astype(np.int64) * np.timedelta64(1, "D")).astype("timedelta64[ns]")
    report_date = np.where(found, dates + delay_days, np.datetime64("NaT", "ns"))
    reported = found & (report_date >= np.datetime64(t_start, "ns")) & (report_date <= np.datetime64(t_end, "ns"))

    walkers_frame = gpd.GeoDataFrame(
        {
            "date": dates,
            "epoch": epoch,
            "origin_x": ox,
            "origin_y": oy,
            "length_m": out["length_m"],
            "energy_kj": out["energy_kj"],
            "least_energy_kj": least_energy,
            "route_cost": out["route_cost"],
            "cost_units": get_model(model).units,
            "covered_m": out["covered_m"],
            "died": died,
            "death_x": out["death_x"],
            "death_y": out["death_y"],
            "death_energy_kj": out["death_energy_kj"],
            "road_distance_m": road_distance,
            "found": found,
            "report_date": report_date,
            "reported": reported,
        },
        geometry=list(geoms),
        crs=dem.crs,
    )

    # -- the layers ---------------------------------------------------------------------------------
    sigma = np.where(imprecise, _PRECISION[1][1], _PRECISION[0][1])
    rx = np.clip(out["death_x"] + sigma * jitter[:, 0], left + 1.0, right - 1.0)
    ry = np.clip(out["death_y"] + sigma * jitter[:, 1], bottom + 1.0, top - 1.0)
    keep = np.flatnonzero(reported)
    keep = keep[np.argsort(report_date[keep], kind="stable")]
    remains = _layer(
        "deaths",
        pd.DataFrame(
            {
                "date": report_date[keep],
                "date_kind": "reported",
                "date_precision": "day",
                "dead": 1,
                "missing": 0,
                "cause": "simulated death (exertion)",
                "location_precision": np.where(imprecise[keep], _PRECISION[1][0], _PRECISION[0][0]),
                "source_id": SIMULATED,
                "record_id": pd.NA,
            }
        ),
        shapely.points(rx[keep], ry[keep]),
        dem.crs,
    )
    towers_layer = _layer("sensors", tower_frame.drop(columns=["x", "y"]), shapely.points(tx, ty), dem.crs)
    border_layer = _layer(
        "context",
        pd.DataFrame({"name": ["simulated border"], "feature": "international boundary", "source_id": SIMULATED}),
        [border_line],
        dem.crs,
    )
    roads_layer = _layer(
        "context",
        pd.DataFrame(
            {
                "name": ["simulated highway", "simulated road A", "simulated road B"],
                "kind": ["highway", "road", "road"],
                "source_id": SIMULATED,
            }
        ),
        roads,
        dem.crs,
    )
    wx, wy = xs.ravel()[water_idx], ys.ravel()[water_idx]
    water_layer = _layer(
        "context",
        pd.DataFrame(
            {
                "feature": pd.Series("water station", index=range(water_stations)),
                "location_precision": "simulated: exact",
                "source_id": SIMULATED,
            }
        ),
        shapely.points(wx, wy),
        dem.crs,
    )
    encounters = pd.DataFrame(
        {
            "month": month_starts,
            "encounters": pd.array(monthly, dtype="Int64"),
            "area_of_responsibility": "simulated sector",
            "source_id": SIMULATED,
        }
    )
    encounters_layer = _layer("table", encounters, None, None)

    temperature = air_temperature(dem, gen.spawn(1)[0], tmax_c=tmax_c, lapse_rate_k_per_km=lapse_rate_k_per_km)
    truth = Truth(
        alpha=float(alpha),
        intervention=t_int,
        seed=None if isinstance(seed, np.random.Generator) else seed,
        params=params,
        epochs=epochs,
        coverage=coverage,
        walkers=walkers_frame,
    )
    return World(
        dem=dem,
        border=border_layer,
        roads=roads_layer,
        water_stations=water_layer,
        towers=towers_layer,
        remains=remains,
        encounters=encounters_layer,
        truth=truth,
        temperature=temperature,
    )


#: Northward fall of the simulated July maximum (K from the southern to the northern edge), and the
#: standard deviation of its smooth random part (K).
NORTH_COOLING_K, TEMPERATURE_NOISE_K = 2.0, 0.5


def air_temperature(
    dem: Raster, gen: np.random.Generator, *, tmax_c: float = 42.0, lapse_rate_k_per_km: float = 6.5
) -> Raster:
    """A simulated July-maximum air temperature field (°C) on the DEM's cells.

    T = T₀ − Γ·z/1000 − g·n + σ·ε (module docstring): Γ = ``lapse_rate_k_per_km``, n the northward
    fraction of the grid (0 on the last row, 1 on the first), g = :data:`NORTH_COOLING_K`, ε a
    Gaussian-filtered white noise (σ_filter = max(rows, cols)/16 cells) scaled to unit standard deviation,
    σ = :data:`TEMPERATURE_NOISE_K`, and T₀ such that the hottest valid cell is ``tmax_c``.
    NaN where the DEM has no data.  Nothing here is a real place.

    Parameters
    ----------
    dem
        Elevations (m).
    gen
        The generator of ε.
    tmax_c
        Temperature of the hottest cell, °C.
    lapse_rate_k_per_km
        K per km of elevation.

    Returns
    -------
    Raster
        float32 °C on the DEM's grid.
    """
    rows, cols = dem.shape
    noise = ndimage.gaussian_filter(gen.standard_normal(dem.shape), sigma=max(rows, cols) / 16.0, mode="reflect")
    noise = (noise - noise.mean()) / (noise.std() or 1.0)
    north = 1.0 - np.arange(rows, dtype=np.float64)[:, None] / max(rows - 1, 1)
    z = dem.array.astype(np.float64)
    field = -lapse_rate_k_per_km * z / 1000.0 - NORTH_COOLING_K * north + TEMPERATURE_NOISE_K * noise
    valid = dem.valid_mask()
    field = np.where(valid, field, np.nan)
    field = field + (tmax_c - np.nanmax(field))
    return dem.with_array(field.astype(np.float32), nodata=np.nan)


# -- helpers ------------------------------------------------------------------------------------
def _date(value: str | dt.date, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{name}={value!r} is not a date", remedy="give an ISO date such as 2010-01-01") from None


def _check(
    *,
    alpha: float,
    size: int,
    res: float,
    walkers: int,
    towers: int,
    batches: int,
    water_stations: int,
    t_start: dt.date,
    t_end: dt.date,
    t_int: dt.date,
    model: str,
    border_frac: float,
    highway_frac: float,
    seasonality: float,
    death_p_ref: float,
    death_gamma: float,
    find_p_max: float,
    find_scale_m: float,
    imprecise_share: float,
    neighbours: int,
    lead_in_days: int,
    tmax_c: float,
    lapse_rate_k_per_km: float,
) -> None:
    rules = [
        (lead_in_days >= 0, "lead_in_days must be ≥ 0"),
        (bool(np.isfinite(tmax_c)) and -30 <= tmax_c <= 55, "tmax_c must be an air temperature of -30 to 55 °C"),
        (bool(np.isfinite(lapse_rate_k_per_km)) and 0 <= lapse_rate_k_per_km <= 15, "lapse_rate_k_per_km must be 0-15"),
        (np.isfinite(alpha) and alpha >= 0, "alpha must be a finite number ≥ 0"),
        (size >= 32, "size must be at least 32 cells"),
        (res > 0, "res must be > 0 metres"),
        (walkers >= 1 and towers >= 1 and water_stations >= 1, "walkers, towers and water_stations must be ≥ 1"),
        (1 <= batches <= towers, "batches must be between 1 and the number of towers"),
        (t_start < t_int <= t_end, "dates must satisfy start < intervention ≤ end"),
        (model in ("pandolf", "tobler"), "model must be 'pandolf' or 'tobler'"),
        (0 < border_frac < highway_frac < 1, "fractions must satisfy 0 < border_frac < highway_frac < 1"),
        (0 <= seasonality < 1, "seasonality must be in [0, 1)"),
        (0 < death_p_ref < 1 and death_gamma > 0, "death_p_ref must be in (0, 1) and death_gamma > 0"),
        (0 < find_p_max <= 1 and find_scale_m > 0, "find_p_max must be in (0, 1] and find_scale_m > 0"),
        (0 <= imprecise_share <= 1, "imprecise_share must be in [0, 1]"),
        (neighbours in (8, 16), "neighbours must be 8 or 16"),
    ]
    for ok, message in rules:
        if not ok:
            raise InputError(f"simulate_world: {message}", remedy="see help(simulate_world) for each parameter")


def _wiggle(gen: np.random.Generator, t: np.ndarray, amplitude: float) -> np.ndarray:
    """Σₖ₌₁³ aₖ sin(2πk·t + φₖ), aₖ ~ U(0.5, 1)·amplitude/k, for t in [0, 1]."""
    a = gen.uniform(0.5, 1.0, 3) * amplitude / np.arange(1, 4)
    phi = gen.uniform(0.0, 2.0 * np.pi, 3)
    return sum(a[k] * np.sin(2.0 * np.pi * (k + 1) * t + phi[k]) for k in range(3))


def _wiggly_ew(gen: np.random.Generator, left: float, right: float, y0: float, amplitude: float) -> shapely.LineString:
    x = np.linspace(left + 1.0, right - 1.0, 65)
    return shapely.LineString(np.column_stack([x, y0 + _wiggle(gen, (x - left) / (right - left), amplitude)]))


def _wiggly_ns(
    gen: np.random.Generator, x0: float, border: shapely.LineString, top: float, amplitude: float
) -> shapely.LineString:
    y_south = float(_line_y(border, np.array([x0]))[0])
    y = np.linspace(y_south, top - 1.0, 65)
    x = x0 + _wiggle(gen, (y - y_south) / (top - y_south), amplitude)
    x = x - (x[0] - x0)  # start on the border
    return shapely.LineString(np.column_stack([x, y]))


def _line_y(line: shapely.LineString, x: np.ndarray) -> np.ndarray:
    """y of a west–east line (x increasing) at x."""
    xy = shapely.get_coordinates(line)
    return np.interp(x, xy[:, 0], xy[:, 1])


def _towers(
    gen: np.random.Generator, dem: Raster, zone_idx: np.ndarray, n: int, batches: int, t_int: dt.date, t_end: dt.date
) -> pd.DataFrame:
    """Tower positions (x, y in the DEM's CRS), kinds, heights, ranges and deployment dates."""
    kinds = list(TOWER_KINDS)
    share = np.array([TOWER_KINDS[k][2] for k in kinds])
    kind = np.array(kinds)[gen.choice(len(kinds), size=n, p=share / share.sum())]
    candidates = gen.choice(zone_idx, size=(n, 8))
    z = dem.array.ravel()[candidates]
    best = candidates[np.arange(n), np.argmax(z, axis=1)]
    x, y = dem.xy(*np.unravel_index(best, dem.shape))
    span = (t_end - t_int).days
    batch_dates = [t_int + dt.timedelta(days=int(m * span / batches)) for m in range(batches)]
    batch = np.arange(n) * batches // n
    return pd.DataFrame(
        {
            "x": x,
            "y": y,
            "kind": kind,
            "kind_source": kind,
            "height_m": [TOWER_KINDS[k][0] for k in kind],
            "range_m": [TOWER_KINDS[k][1] for k in kind],
            "active_from": pd.to_datetime([batch_dates[b] for b in batch]),
            "active_to": pd.NaT,
            "deployment": "existing",
            "source_id": SIMULATED,
        }
    )


def _crossing_dates(
    gen: np.random.Generator, n: int, t_lead: dt.date, t_start: dt.date, t_end: dt.date, seasonality: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted crossing dates (datetime64[ns]) of ``n`` walkers in the period and of those of the
    lead-in (as many per month, on average), the first days of the months from the lead-in on,
    and their intensity."""
    months = pd.date_range(pd.Timestamp(t_lead).to_period("M").to_timestamp(), pd.Timestamp(t_end), freq="MS")
    intensity = 1.0 + seasonality * np.cos(2.0 * np.pi * (months.month.to_numpy() - 3) / 12.0)
    period = months >= pd.Timestamp(t_start).to_period("M").to_timestamp()
    total = int(round(n * intensity.sum() / intensity[period].sum()))
    pick = gen.choice(len(months), size=total, p=intensity / intensity.sum())
    first = np.maximum(months.to_numpy()[pick], np.datetime64(t_lead, "ns"))
    last = np.minimum((months + pd.offsets.MonthEnd(0)).to_numpy()[pick], np.datetime64(t_end, "ns"))
    days = ((last - first) // np.timedelta64(1, "D")).astype(np.int64) + 1
    dates = first + (np.floor(gen.random(total) * days).astype(np.int64) * np.timedelta64(1, "D")).astype(
        "timedelta64[ns]"
    )
    return np.sort(dates), months.to_numpy(), intensity


def _layer(kind: str, frame: pd.DataFrame, geometry: Any, crs: Any) -> Layer:
    """A layer like the ingest makes: schema columns, every row kept, EPSG:4326 geometry."""
    frame = frame.reset_index(drop=True)
    if kind in ("deaths", "sensors"):
        frame = conform(frame, kind)
    ledger = Ledger(len(frame))
    frame = ledger.annotate(frame)
    if geometry is not None:
        frame = gpd.GeoDataFrame(
            frame, geometry=gpd.GeoSeries(list(geometry), crs=crs).to_crs(_WGS84).values, crs=_WGS84
        )
    report = ledger.report(source=SIMULATED, files=[], notes=[NOTE])
    return Layer(source=SIMULATED, kind=kind, frame=frame, report=report)


def world_study(
    world: World,
    *,
    name: str = "simulated-world",
    seed: int = 0,
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
) -> Study:
    """A :class:`~borderscape.analyses.study.Study` that describes a simulated world.

    Its region is the lon/lat box of the DEM's corners, its CRS the DEM's, its period and
    intervention the world's, its sensor defaults the :data:`TOWER_KINDS` (active from the
    intervention), its walker :data:`WALKER` and its viewshed target :data:`TARGET_HEIGHT_M`;
    ``parameters`` (section → values) are added on top.
    """
    left, bottom, right, top = world.dem.bounds
    to_ll = Transformer.from_crs(world.dem.crs, _WGS84, always_xy=True)
    lon, lat = to_ll.transform([left, right, left, right], [bottom, bottom, top, top])
    start = pd.Timestamp(world.truth.params["start"]).date()
    end = pd.Timestamp(world.truth.params["end"]).date()
    params: dict[str, dict[str, Any]] = {
        "cost": {"model": world.truth.params.get("model", "pandolf"), **WALKER},
        "viewshed": {"target_height_m": TARGET_HEIGHT_M, "curvature": True, "refraction": REFRACTION_DEFAULT},
    }
    for section, values in (parameters or {}).items():
        params.setdefault(section, {}).update(values)
    return Study(
        name=name,
        title="Simulated world",
        description="SIMULATED DATA: a generated world with a known answer.",
        seed=seed,
        bbox=(min(lon), min(lat), max(lon), max(lat)),
        crs=world.dem.crs.to_string(),
        resolution_m=float(world.dem.res[0]),
        start=start,
        end=end,
        interventions=(Intervention("towers deployed (simulated)", world.truth.intervention),),
        layers={k: "simulated" for k in (*world.layers, *(("temperature",) if world.temperature is not None else ()))},
        sensors={
            k: SensorDefaults(k, h, r, world.truth.intervention, "simulated") for k, (h, r, _) in TOWER_KINDS.items()
        },
        parameters=params,
        caveats=("SIMULATED DATA: nothing here is a real place, tower or person.",),
    )


def inputs_from_world(world: World) -> StudyInputs:
    """The :class:`~borderscape.analyses.inputs.StudyInputs` of a simulated world: its layers, and its
    air temperature field as the ``temperature`` layer (for the litres of H2 and H3)."""
    layers: dict[str, Layer | Raster] = dict(world.layers)
    if world.temperature is not None:
        layers["temperature"] = world.temperature
    return StudyInputs(layers=layers, missing={}, simulated=True)
