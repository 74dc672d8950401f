"""Simulated Border Patrol sectors, at the scale of the real records, for calibration (issue 19).

The worlds of :mod:`borderscape.analyses.worlds` are 14 km squares in which walkers follow least-cost
routes; their remains lie about a kilometre from a road, and nothing but the towers changes over
time.  A *sector* world is built for a different question: when the towers do nothing, how often does
each primary result of the battery say they did, on ground like the real one — and how often does it
find a tower effect of a plausible size?  So a sector has the scale of the Arizona–Sonora records
(:func:`simulate_sector`: 120 km of border, about 2,000 remains reported over 2000–2024, a median of
several kilometres from the nearest road) and everything that changed in the real records for reasons
other than towers:

* **search and discovery** that reach farther from roads and find more old remains over the years (the
  real records' rise of skeletonised remains: a post-mortem interval over 6–8 months in 13 % of the
  records before 2006-09-21 and 26 % after);
* a **location-precision mix** that changes as GPS spreads (GPS-located records 36 % before 2006-09-21
  and 86 % after in the real records), described locations lying nearer roads;
* **encounters per crosser** that change: apprehension that grows with enforcement, and repeat
  encounters under an expulsion policy (as under Title 42, 2020-03-21 to 2023-05-11);
* **crossing geography that drifts**: corridors whose shares and positions change over the years
  (a trend and year-to-year noise), whatever the towers do;
* **towers sited where crossings are** (endogenous siting): each batch at the places of the most
  crossings of the two years before its deployment.

*Null* worlds have all of this and no tower effect.  *Planted* worlds add a :class:`TowerEffect`
stated in real units: the remains of people whose way crossed the coverage of an active tower lie
``shift_km`` farther from the nearest road, and such people die ``extra_mortality`` more often.

Nothing here is a real place, tower or person, and nothing here forecasts crossings: the sectors exist
to measure the size and power of the battery's tests.

The mechanism
-------------
Distances are metres in UTM 12N (EPSG:32612); the grid has ``res_m`` cells (500 m) over
``width_km`` × ``depth_km`` (120 × 60 km).  Time t is in years from the start of the lead-in.

*Ground.*  A fractal DEM (:func:`borderscape.geo.synthetic.fractal_dem`, relief ``relief_m``).
The border runs west–east 1.5 km north of the southern edge (a gentle wiggle of ±0.5 km); a
highway ``highway_km`` north of it; ``ns_roads`` roads run from the border to the northern edge at
evenly spread positions (jittered): the sector's primary and secondary roads (the real study uses
TIGER primary and secondary roads).  Wiggly lines are y(x) = y₀ + Σₖ₌₁³ aₖ sin(2πk·x/W + φₖ),
aₖ ~ U(0.5, 1)·A/k.

*Crossing geography.*  ``corridors`` corridors k, each with a centre cₖ(t) along the border
(cₖ(0) uniform over the places between 5 % and 95 % of the width at least ``corridor_road_km`` from
a north–south road: people cross away from roads; moving vₖ ~ N(0, ``corridor_shift_km``) km per
decade) and a spread sₖ ~ U(3, 6) km.  Their shares wₖ(t) ∝ exp(aₖ + bₖ·t/10 + zₖ(t)): aₖ ~ N(0, 0.5),
bₖ ~ N(0, ``corridor_trend``) per decade, zₖ a yearly AR(1) with correlation 0.7 and marginal
standard deviation ``corridor_noise``.

*Crossers and deaths.*  Crossers per month
N(t) = N₀ · exp(g·t + x(t) + 0.3·cos(2π(m − 3)/12)) · S(t), g ~ U(``crossing_growth``) per year, x a monthly
AR(1) (correlation 0.9, sd 0.25), m the month of the year (a spring peak), S(t) a surge
that rises log-linearly from 1 (``surge_start``) to ``surge`` ~ U(1.5, 2.5) (``surge_full``) and,
in the lead-in, a ramp from ``ramp_from`` to 1 at ``ramp_end`` (crossings moved into Arizona after
1994; the real records rise from 75 in 2000 to 151 in 2002).  N₀ is
such that the mean deaths per year are ``deaths_per_year``: a crosser dies with probability
1 / ``crossers_per_death`` · exp(0.6·cos(2π(m − 7)/12) + η(t)) / c (a summer peak and a monthly
lognormal heat factor η ~ N(−σ²/2, σ²), σ = ``heat_sd``; c normalises the seasonal term).  Deaths are
a Poisson process; each lies on the way of a crosser: a corridor k drawn with probability wₖ(t), the
point x = cₖ(t) + sₖ·ε₁ + 0.15·d·ε₂ where d = D(x)·B is the distance north of the border,
B ~ Beta(2, 2.5) and D(x) the distance from the border to the highway (deaths lie between them).

*The tower effect* (planted worlds only).  A death is *exposed* when its point lies in the coverage
(at least one active tower sees the cell: :func:`borderscape.geo.viewshed.coverage_epochs`, a person
1.7 m tall) on its date.  An exposed death is moved ``shift_km`` away from roads, up the gradient of
the distance-to-road field in 8 steps (so that its distance to the nearest road grows by about
``shift_km``); exposed crossers die (1 + ``extra_mortality``) times as often.  To keep null and planted
worlds of one seed comparable, deaths are drawn at (1 + 1) times the null rate and thinned with one
uniform number each: a death counts in a world when U < (1 + m·exposed) / 2, m the world's
``extra_mortality`` (0 in a null world): the null world's deaths are a subset of every planted world's
with the same seed, and every other draw is the same.

*Discovery.*  A death at distance r (m) from the nearest road is reported the same day (a companion or
an agent finds the person: post-mortem interval under a day) with probability
q₀·exp(−r/ℓ), q₀ = ``report_p0``, ℓ = ``report_scale_km``.  Otherwise its remains are found, in month
a = 0, 1, … after death (calendar time τ), with the hazard

    h(r, a, τ) = h₀ · exp(−(r / L(τ))²) · exp(−(a + ½) / f) + ρ(τ)

the first term road-side finds of fresh remains (patrols, passers-by, birds; h₀ = ``find_rate``, reach
L(τ) = ``reach_km``, falling with the age of the remains, f = ``fresh_months``), the second deliberate
searches that find remains anywhere, of any age (ρ = ``remote_rate``); L and ρ move linearly from their
first to their second value between the start and the end of the period (more searchers, farther from
roads).  The month of discovery is the first in which the cumulative hazard reaches an Exp(1) draw
(linear inside the month); remains not found within ``findable_years`` are lost (bones scatter).  The post-mortem interval is the time from death to report,
in the classes of the Pima County records, and the body condition follows it as in those records
(``< 1 day`` fully fleshed … ``> 6-8 months`` complete skeletonisation with bone degradation).  Only
reports dated in the period are records.

*Location precision.*  A record is located by GPS with probability p(τ) = p₀ + (p₁ − p₀) /
(1 + exp(−(τ − τ_mid)/s)) (``gps_share``, ``gps_midpoint``, ``gps_scale_years``; 30 m error), else by a
physical description (55 %: 700 m error) or a vague one (45 %: 5 km error); a described location is
first drawn towards the nearest road point, to a share U(``described_pull``, 1) of its distance (the
real records located by description lie nearer roads than GPS-located ones: 2000–2006 medians 4.8 km
against 7.1 km).

*Encounters.*  For the last ``encounter_months`` months of the period (the CBP sector series of the
real study starts in 2019-10): encounters ~ Poisson(N(t)·a(t)·R(t)), the apprehended share a(t)
rising linearly from 0.5 to 0.7 over those months, and repeat encounters R ~ U(1.3, 2.0) during the
expulsion policy (1 otherwise); in those months a share U(0.5, 0.8) of the encounters are expulsions
(``authority`` Title 42), the rest Title 8.

*Towers.*  ``towers`` batches (kind, date, count) as in the real programme: RVSS poles from the
programme's start (2006-09-21), IFTs from 2015, ASTs from 2020 (heights and ranges of
:data:`~borderscape.analyses.worlds.TOWER_KINDS`).  Each tower of a batch is placed at x drawn from
the crossing intensity of the 24 months before the batch, Σₖ wₖ φ((x − cₖ)/sₖ)/sₖ (endogenous siting),
y 2–25 km north of the border, on the highest of 6 cells within 1.5 km.

All randomness comes from child generators spawned in a fixed order from the seed
(:meth:`numpy.random.Generator.spawn`): ground, geography, crossers, deaths, discovery, precision,
towers, encounters, temperature.  The tower effect draws nothing: worlds of one seed differ only by it.

References
----------
Chambers, S. N., Boyce, G. A., Launius, S. & Dinsmore, A. (2019). Mortality, surveillance and the
tertiary "funnel effect" on the U.S.-Mexico border. J. Borderlands Studies 36(3).
Arizona OpenGIS Initiative for Deceased Migrants (Humane Borders, Pima County OME): the shares of
GPS-located records and of post-mortem intervals above (export of 2024-09, shipped data).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
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
from borderscape.analyses.study import Intervention, SensorDefaults, Study, load_study
from borderscape.analyses.worlds import TARGET_HEIGHT_M, TOWER_KINDS, air_temperature
from borderscape.geo.errors import InputError
from borderscape.geo.raster import Raster
from borderscape.geo.synthetic import fractal_dem
from borderscape.geo.terrain import slope
from borderscape.geo.viewshed import REFRACTION_DEFAULT, active_at, coverage_epochs
from borderscape.layers.quality import Ledger
from borderscape.layers.schemas import Layer, conform

__all__ = [
    "NULL",
    "PLANTED",
    "SectorParams",
    "SectorTruth",
    "SectorWorld",
    "TowerEffect",
    "parameter_table",
    "pmi_class",
    "realised_effect",
    "sector_inputs",
    "sector_study",
    "simulate_sector",
    "siting_correlation",
    "summary",
]

#: The value of ``source`` and ``source_id`` of every simulated layer.
SIMULATED = "simulated"
#: The note every simulated layer's quality report carries.
NOTE = "SIMULATED DATA generated by borderscape.analyses.sectors.simulate_sector: not real places, towers or people"
#: The name of the simulated sector (the ``area_of_responsibility`` of its encounters).
SECTOR = "Simulated Sector"
_WGS84 = "EPSG:4326"
_UTM = "EPSG:32612"
_DAYS_PER_MONTH = 365.25 / 12.0
#: Deaths are drawn at (1 + this) times the null rate and thinned (module docstring).
MAX_EXTRA_MORTALITY = 1.0

#: Post-mortem interval classes of the Pima County records: (upper bound in days, class, body condition).
PMI_CLASSES: tuple[tuple[float, str, str], ...] = (
    (1.0, "< 1 day", "Fully fleshed"),
    (7.0, "< 1 week", "Decomposed"),
    (21.0, "< 3 weeks", "Decomposed w/ focal skeletonization"),
    (35.0, "< 5 weeks", "Skeletonization w/ mummification"),
    (91.3, "< 3 months", "Skeletonization w/ articulation/ligamentous attachments"),
    (243.5, "< 6-8 months", "Complete skeletonization w/ disarticulation"),
    (np.inf, "> 6-8 months", "Complete skeletonization w/ bone degradation"),
)
#: Location-precision classes: (text, error standard deviation per axis in m).
PRECISION = {
    "gps": ("GPS coordinate (simulated, within ca. 100 m)", 30.0),
    "described": ("physical description (simulated, within ca. 2 km)", 700.0),
    "vague": ("vague physical description (simulated, within ca. 15 km)", 5000.0),
}
#: Share of the records not located by GPS that have a physical description (the rest: a vague one);
#: 509 and 448 records of the real 2024 export.
DESCRIBED_SHARE = 0.55


@dataclass(frozen=True)
class TowerEffect:
    """A planted tower effect, in real units.

    Attributes
    ----------
    label
        A name for the report (``null``, ``small`` …).
    shift_km
        The remains of people whose way crossed active coverage are pushed this many km away from the
        nearest road, up the gradient of the distance to roads (≥ 0); the realised extra distance is a
        little less where the push meets a ridge of that field, the border or the highway
        (:func:`realised_effect`).
    extra_mortality
        Such people die this much more often: 0.25 = 25 % more deaths among the exposed (0 to
        :data:`MAX_EXTRA_MORTALITY`).
    """

    label: str
    shift_km: float
    extra_mortality: float

    def __post_init__(self) -> None:
        if not (np.isfinite(self.shift_km) and self.shift_km >= 0):
            raise InputError(f"TowerEffect: shift_km must be ≥ 0, got {self.shift_km}")
        if not (0 <= self.extra_mortality <= MAX_EXTRA_MORTALITY):
            raise InputError(
                f"TowerEffect: extra_mortality must be between 0 and {MAX_EXTRA_MORTALITY}, got {self.extra_mortality}"
            )

    @property
    def is_null(self) -> bool:
        """True when the towers do nothing."""
        return self.shift_km == 0 and self.extra_mortality == 0

    def words(self) -> str:
        """The effect in words, for a report."""
        if self.is_null:
            return "no tower effect"
        return (
            f"remains of people whose way crossed active coverage pushed {self.shift_km:g} km away from the nearest "
            f"road; {100 * self.extra_mortality:.0f} % more deaths among them"
        )


#: The null: towers do nothing.
NULL = TowerEffect("null", 0.0, 0.0)
#: The planted sizes of the calibration (for the exposed; the realised shift over all remains after the
#: first deployment is smaller, :func:`realised_effect`).
PLANTED: tuple[TowerEffect, ...] = (
    TowerEffect("small", 1.0, 0.10),
    TowerEffect("medium", 2.0, 0.25),
    TowerEffect("large", 4.0, 0.50),
)

#: The tower batches of a sector: (kind, first day active, towers).  Kinds, dates and programme as in
#: the real study's defaults (RVSS from the SBInet contract of 2006-09-21, IFT from 2015, AST from 2020).
TOWER_BATCHES: tuple[tuple[str, str, int], ...] = (
    ("RVSS", "2006-09-21", 4),
    ("RVSS", "2009-06-01", 4),
    ("IFT", "2015-06-01", 4),
    ("IFT", "2017-06-01", 3),
    ("AST", "2020-07-01", 5),
    ("AST", "2022-01-01", 4),
)


def _p(default: Any, unit: str, basis: str) -> Any:
    return field(default=default, metadata={"unit": unit, "basis": basis})


@dataclass(frozen=True)
class SectorParams:
    """Every setting of a simulated sector, in real units (module docstring for the formulas).

    Each field's metadata carries its unit and basis (:func:`parameter_table`); a draw per world is written
    as a range, e.g. ``surge = (1.5, 2.5)`` is U(1.5, 2.5).
    """

    width_km: float = _p(120.0, "km", "≥ 100 km of border (issue 19); the Tucson Sector has 262 miles")
    depth_km: float = _p(60.0, "km", "from the border north; assumption")
    res_m: float = _p(500.0, "m", "grid cell: coarse enough for ~1 s per world, fine enough for 3 km tower ranges")
    relief_m: float = _p(900.0, "m", "basin-and-range relief of the Sonoran desert (assumption)")
    highway_km: float = _p(42.0, "km", "west–east highway north of the border, like AZ-86 (assumption)")
    ns_roads: int = _p(3, "roads", "north–south roads from the border, about 40 km apart, like SR-85, SR-286, I-19")
    water_stations: int = _p(8, "stations", "do not change deaths (H2.water_distance only)")
    environment_cell_km: float = _p(4.5, "km", "an environment grid like the shipped 0.044° one (slope, July Tmax)")
    start: str = _p("2000-01-01", "date", "the Arizona–Sonora study's period")
    end: str = _p("2024-09-30", "date", "the Arizona–Sonora study's period")
    lead_in_years: float = _p(5.0, "years", "deaths before the period whose remains are found in it")
    ramp_from: float = _p(
        0.1, "× crossers", "crossings at the start of the lead-in, rising log-linearly to 1 at ramp_end"
    )
    ramp_end: str = _p(
        "2002-01-01", "date", "crossings moved into Arizona after 1994; real records 75 in 2000 → 151 in 2002"
    )
    towers: tuple[tuple[str, str, int], ...] = _p(TOWER_BATCHES, "batches", "RVSS 2006–09, IFT 2015–17, AST 2020–22")
    tower_y_km: tuple[float, float] = _p((2.0, 25.0), "km", "towers this far north of the border (U)")
    expulsions: tuple[str, str] = _p(("2020-03-21", "2023-05-11"), "dates", "as Title 42")
    corridors: int = _p(5, "corridors", "Humane Borders corridors of a sector (assumption)")
    corridor_road_km: float = _p(6.0, "km", "corridors start at least this far from a north–south road (assumption)")
    corridor_trend: float = _p(
        0.6, "log-share per decade (sd)", "Cabeza Prieta corridor 3.4 % → 13.2 % of the real records"
    )
    corridor_noise: float = _p(0.3, "log-share (sd)", "year-to-year change of a corridor's share (AR(1), ρ 0.7)")
    corridor_shift_km: float = _p(1.0, "km per decade (sd)", "drift of a corridor's centre (assumption)")
    deaths_per_year: float = _p(
        120.0,
        "deaths/year",
        "before discovery (2002 on): about 2,000 remains in 2000–2024, ~4,100 real records over ~300 km of border",
    )
    crossers_per_death: float = _p(1000.0, "crossers", "sets the scale of encounters only (assumption)")
    heat_sd: float = _p(0.35, "log (sd)", "month-to-month heat factor of deaths: overdispersion (assumption)")
    crossing_growth: tuple[float, float] = _p((-0.04, 0.04), "per year", "trend of crossings, log scale (U)")
    surge: tuple[float, float] = _p((1.5, 2.5), "× crossers", "rise of crossings 2019-10 → 2021-06 (U)")
    surge_start: str = _p("2019-10-01", "date", "start of the rise of crossings")
    surge_full: str = _p("2021-06-01", "date", "end of the rise of crossings")
    report_p0: float = _p(0.8, "probability", "reported the same day at a road: 28 % of real records '< 1 day'")
    report_scale_km: float = _p(7.0, "km", "fall of same-day reports with distance to roads")
    find_rate: float = _p(5.0, "per month", "discovery hazard at a road (road patrols, passers-by)")
    reach_km: tuple[float, float] = _p(
        (4.0, 6.0), "km", "reach L of road-side searches, start → end (hazard ∝ exp(−(r/L)²))"
    )
    fresh_months: float = _p(2.0, "months", "road-side finds fall with the age of the remains as exp(−age/this)")
    remote_rate: tuple[float, float] = _p(
        (0.0, 0.03),
        "per month",
        "hazard of remote searches anywhere, start → end: '> 6-8 months' 13 % → 26 % in the real records",
    )
    findable_years: float = _p(4.0, "years", "remains not found after this are lost (assumption)")
    gps_share: tuple[float, float] = _p(
        (0.22, 0.96), "share", "GPS-located records 36 % → 86 % in the real records (split 2006-09-21)"
    )
    gps_midpoint: str = _p("2007-06-01", "date", "midpoint of the spread of GPS")
    gps_scale_years: float = _p(2.0, "years", "logistic scale of the spread of GPS")
    described_pull: float = _p(
        0.2, "share", "described locations drawn to U(0.2, 1) of their distance to the nearest road"
    )
    encounter_months: int = _p(60, "months", "the CBP sector series of the real study (2019-10 → 2024-09)")
    repeat: tuple[float, float] = _p((1.3, 2.0), "encounters per apprehended crosser", "under expulsions (U)")
    apprehended: tuple[float, float] = _p((0.5, 0.7), "share", "of crossers encountered, first → last month")
    title42_share: tuple[float, float] = _p((0.5, 0.8), "share", "of encounters that are expulsions (U)")

    def __post_init__(self) -> None:
        rules = [
            (self.width_km >= 20 and self.depth_km >= 20, "width_km and depth_km must be ≥ 20"),
            (self.res_m > 0 and self.width_km * 1000 / self.res_m >= 16, "res_m must leave ≥ 16 cells across"),
            (0 < self.highway_km < self.depth_km - 1.5, "highway_km must lie inside the depth"),
            (self.ns_roads >= 1 and self.corridors >= 1 and self.water_stations >= 1, "counts must be ≥ 1"),
            (self.deaths_per_year > 0 and self.crossers_per_death > 0, "deaths_per_year, crossers_per_death > 0"),
            (self.encounter_months >= 1, "encounter_months must be ≥ 1"),
            (0 < self.report_p0 < 1 and self.report_scale_km > 0, "report_p0 in (0, 1), report_scale_km > 0"),
            (self.find_rate > 0 and min(self.reach_km) > 0, "find_rate and reach_km must be > 0"),
            (min(self.remote_rate) >= 0, "remote_rate must be ≥ 0"),
            (0 <= min(self.gps_share) <= max(self.gps_share) <= 1, "gps_share must lie in [0, 1]"),
            (0 <= self.described_pull <= 1, "described_pull must lie in [0, 1]"),
            (len(self.towers) >= 1 and all(n >= 1 and k in TOWER_KINDS for k, _, n in self.towers), "tower batches"),
        ]
        for ok, message in rules:
            if not ok:
                raise InputError(f"SectorParams: {message}", remedy="see help(SectorParams)")
        if not (_date(self.start) < _date(self.towers[0][1]) <= _date(self.end)):
            raise InputError("SectorParams: the first tower batch must fall inside the period")

    def stationary(self) -> SectorParams:
        """The same sector with nothing changing over time but the towers: constant search (the mean of each
        start → end pair), GPS share and encounters per crosser, no corridor drift, no rise of crossings and
        no lead-in ramp.  A control: what the tests do when only chance is at work."""

        def mean(pair: tuple[float, float]) -> tuple[float, float]:
            m = (pair[0] + pair[1]) / 2.0
            return (m, m)

        return dataclasses.replace(
            self,
            reach_km=mean(self.reach_km),
            remote_rate=mean(self.remote_rate),
            gps_share=mean(self.gps_share),
            corridor_trend=0.0,
            corridor_noise=0.0,
            corridor_shift_km=0.0,
            surge=(1.0, 1.0),
            crossing_growth=(0.0, 0.0),
            ramp_from=1.0,
            repeat=(1.0, 1.0),
            apprehended=mean(self.apprehended),
        )


def parameter_table(params: SectorParams | None = None) -> list[tuple[str, str, str, str]]:
    """(name, value, unit, basis) of every setting of a sector, for a report."""
    params = params or SectorParams()
    out = []
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        if f.name == "towers":
            text = "; ".join(f"{n} {k} from {d}" for k, d, n in value)
        elif isinstance(value, tuple):
            text = " – ".join(str(v) for v in value)
        else:
            text = f"{value:g}" if isinstance(value, float) else str(value)
        out.append((f.name, text, f.metadata.get("unit", ""), f.metadata.get("basis", "")))
    return out


@dataclass(frozen=True, eq=False)
class SectorTruth:
    """What a sector was made with, and what happened.

    Attributes
    ----------
    seed
        The integer seed (None when a generator was passed).
    effect
        The planted :class:`TowerEffect` (:data:`NULL` for a null world).
    params
        The :class:`SectorParams`.
    draws
        The per-world draws (repeat-encounter factor, surge, crossing trend …).
    intervention
        First day a tower is active.
    epochs
        First day of each epoch of tower coverage, ascending.
    coverage
        Per epoch, the count of active towers that see each cell (on the DEM grid).
    deaths
        One row per drawn death (in the world or in its null counterpart), metres in UTM 12N:
        ``date``, ``corridor``, ``x0``/``y0`` (the point without tower effect), ``x``/``y`` (the
        world's), ``exposed``, ``died`` and ``died_null`` (a death in this world, and in the null world
        of the same seed), ``road_m`` and ``road_null_m`` (distance to the nearest road), ``report_date``
        and ``report_null`` (NaT when never found), ``reported`` and ``reported_null`` (a record of the
        period), ``pmi_days``, ``gps``.
    monthly
        One row per month from the lead-in on: ``month``, ``crossers`` (mean), ``death_mean`` (null),
        ``encounters`` (the table's months only), ``encounters_title42``.
    towers
        ``x``, ``y`` (m), ``kind``, ``active_from``, ``intensity`` (relative crossing intensity at the
        tower's x when it was sited; 1 = the sector's mean).
    """

    seed: int | None
    effect: TowerEffect
    params: SectorParams
    draws: Mapping[str, float]
    intervention: dt.date
    epochs: tuple[dt.date, ...]
    coverage: tuple[Raster, ...]
    deaths: pd.DataFrame
    monthly: pd.DataFrame
    towers: pd.DataFrame


@dataclass(frozen=True, eq=False)
class SectorWorld:
    """A simulated sector: layers shaped like real ingested layers, and the truth behind them.

    Attributes
    ----------
    dem
        Elevations (m), UTM 12N.
    border, roads, water_stations
        ``context`` layers in EPSG:4326.
    towers
        ``sensors`` layer.
    remains
        ``deaths`` layer: one row per reported body, with ``post_mortem_interval``, ``body_condition``
        and ``corridor`` as in the Pima County records.
    encounters
        ``table`` layer: ``month``, ``encounters``, ``authority``, ``area_of_responsibility``.
    environment
        ``context`` layer of points like the shipped 0.044° environment grid: the centre of each block
        of ``environment_cell_km``, its mean slope (``slope_deg``, Horn 1981 on the DEM) and mean July
        maximum temperature (``july_tmax_c``).
    truth
        :class:`SectorTruth`.
    temperature
        July maximum air temperature (°C) on the DEM's grid
        (:func:`borderscape.analyses.worlds.air_temperature`).
    simulated
        Always True.
    """

    dem: Raster
    border: Layer
    roads: Layer
    water_stations: Layer
    towers: Layer
    remains: Layer
    encounters: Layer
    environment: Layer
    truth: SectorTruth
    temperature: Raster
    simulated: bool = True

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
            "environment": self.environment,
        }


def pmi_class(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The post-mortem interval class and body condition of each delay (days from death to report), as the
    Pima County records write them (:data:`PMI_CLASSES`: ``< 1 day`` … ``> 6-8 months``)."""
    days = np.asarray(days, dtype=float)
    bounds = np.array([b for b, _, _ in PMI_CLASSES[:-1]])
    k = np.searchsorted(bounds, days, side="left")
    k = np.where(days <= 0, 0, k)
    classes = np.array([c for _, c, _ in PMI_CLASSES], dtype=object)
    bodies = np.array([b for _, _, b in PMI_CLASSES], dtype=object)
    return classes[k], bodies[k]


def simulate_sector(
    *, seed: Seed | None = None, effect: TowerEffect = NULL, params: SectorParams | None = None
) -> SectorWorld:
    """Generate a sector with realistic changes over time and the tower effect ``effect``.

    The mechanism and its formulas are in the module docstring.  Everything is vectorised: one world of
    the default size takes well under a second.

    Parameters
    ----------
    seed
        An integer, or a :class:`numpy.random.Generator` (used and advanced); required.
    effect
        The planted tower effect (:data:`NULL`: towers do nothing).
    params
        The settings (:class:`SectorParams`, default the calibration's).

    Returns
    -------
    SectorWorld

    Raises
    ------
    InputError
        For a missing seed or a setting out of range.
    """
    gen = generator(seed, what="simulate_sector")
    params = params or SectorParams()
    p = params
    g_ground, g_geo, g_cross, g_death, g_find, g_prec, g_tower, g_enc, g_temp = gen.spawn(9)
    t_start, t_end = _date(p.start), _date(p.end)
    t_lead = t_start - dt.timedelta(days=int(round(p.lead_in_years * 365.25)))

    # -- ground: DEM, border, roads ---------------------------------------------------------------------
    rows, cols = int(round(p.depth_km * 1000 / p.res_m)), int(round(p.width_km * 1000 / p.res_m))
    dem = fractal_dem(
        (rows, cols), res=p.res_m, relief=p.relief_m, base=300.0, rng=g_ground, origin=(440_000.0, 3_530_000.0)
    )
    left, bottom, right, top = dem.bounds
    width = right - left
    border = _wiggly_ew(g_ground, left, right, bottom + 1500.0, 500.0)
    highway = _wiggly_ew(g_ground, left, right, bottom + 1500.0 + p.highway_km * 1000.0, 1500.0)
    ns, ns_x = [], []
    for j in range(p.ns_roads):
        ns_x.append(left + (j + 0.5 + g_ground.uniform(-0.25, 0.25)) * width / p.ns_roads)
        ns.append(_wiggly_ns(g_ground, ns_x[-1], border, top, 2000.0))
    roads = [highway, *ns]
    road_union = shapely.union_all(roads)
    road_cells = rasterize(
        [(g, 1) for g in roads], out_shape=dem.shape, transform=dem.transform, fill=0, all_touched=True, dtype="uint8"
    ).astype(bool)
    road_field = ndimage.distance_transform_edt(~road_cells, sampling=p.res_m)
    grad_y, grad_x = np.gradient(road_field, p.res_m)  # per row (southward) and per column (eastward)

    # -- crossing geography ---------------------------------------------------------------------------------
    months = pd.date_range(pd.Timestamp(t_lead).to_period("M").to_timestamp(), pd.Timestamp(t_end), freq="MS")
    n_months = len(months)
    t_month = _years(months.to_numpy(dtype="datetime64[D]"), t_lead) + 0.5 / 12.0
    n_years = int(np.ceil(t_month[-1])) + 1
    k = p.corridors
    # corridor centres at least corridor_road_km from the north-south roads where they meet the border
    slots = left + np.linspace(0.05, 0.95, 361) * width
    away = np.min(np.abs(slots[:, None] - np.array(ns_x)[None, :]), axis=1) >= p.corridor_road_km * 1000.0
    centre0 = g_geo.choice(slots[away] if away.any() else slots, size=k) + g_geo.uniform(-125.0, 125.0, k)
    velocity = g_geo.normal(0.0, p.corridor_shift_km * 1000.0, k) / 10.0  # m per year
    spread = g_geo.uniform(3000.0, 6000.0, k)
    base = g_geo.normal(0.0, 0.5, k)
    trend = g_geo.normal(0.0, p.corridor_trend, k) / 10.0
    yearly = _ar1(g_geo, (n_years, k), 0.7, p.corridor_noise)
    log_w = base[None, :] + trend[None, :] * t_month[:, None] + yearly[np.floor(t_month).astype(int)]
    weights = np.exp(log_w - log_w.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)  # months × corridors
    centres = centre0[None, :] + velocity[None, :] * t_month[:, None]

    # -- crossers and deaths per month --------------------------------------------------------------------
    moy = months.month.to_numpy()
    growth = g_cross.uniform(*p.crossing_growth)
    noise = _ar1(g_cross, (n_months,), 0.9, 0.25)
    surge_to = g_cross.uniform(*p.surge)
    s0, s1 = (_years(np.datetime64(_date(d), "D"), t_lead) for d in (p.surge_start, p.surge_full))
    surge = np.exp(np.log(surge_to) * np.clip((t_month - s0) / (s1 - s0), 0.0, 1.0))
    r1 = _years(np.datetime64(_date(p.ramp_end), "D"), t_lead)
    surge *= np.exp(np.log(p.ramp_from) * np.clip(1.0 - t_month / r1, 0.0, 1.0))
    shape = np.exp(growth * t_month + noise + 0.3 * np.cos(2 * np.pi * (moy - 3) / 12.0)) * surge
    season = np.exp(0.6 * np.cos(2 * np.pi * (moy - 7) / 12.0))
    season /= np.mean(np.exp(0.6 * np.cos(2 * np.pi * (np.arange(1, 13) - 7) / 12.0)))
    heat = np.exp(g_cross.normal(-(p.heat_sd**2) / 2.0, p.heat_sd, n_months))
    per_month = p.deaths_per_year / 12.0
    in_period = months >= pd.Timestamp(t_start).to_period("M").to_timestamp()
    crossers = per_month * p.crossers_per_death * shape / np.mean(shape[in_period])
    death_mean = crossers / p.crossers_per_death * season * heat

    # candidate deaths at (1 + MAX_EXTRA_MORTALITY) times the null rate, thinned below
    counts = g_death.poisson(death_mean * (1.0 + MAX_EXTRA_MORTALITY))
    month_of = np.repeat(np.arange(n_months), counts)
    n = month_of.size
    days_in = months.days_in_month.to_numpy()[month_of]
    date = months.to_numpy(dtype="datetime64[D]")[month_of] + np.floor(g_death.random(n) * days_in).astype(
        "timedelta64[D]"
    )
    date = np.minimum(date, np.datetime64(t_end, "D"))
    order = np.argsort(date, kind="stable")
    month_of, date = month_of[order], date[order]
    cum = np.cumsum(weights[month_of], axis=1)
    corridor = np.minimum((g_death.random(n)[:, None] > cum).sum(axis=1), k - 1)
    eps = g_death.standard_normal((n, 2))
    frac = g_death.beta(2.0, 2.5, n)
    accept_u = g_death.random(n)
    x0 = centres[month_of, corridor] + spread[corridor] * eps[:, 0]
    x0 = np.clip(x0, left + 250.0, right - 250.0)
    y_border = _line_y(border, x0)
    depth = (_line_y(highway, x0) - y_border - 500.0) * frac
    x0 = np.clip(x0 + 0.15 * depth * eps[:, 1], left + 250.0, right - 250.0)
    y_border = _line_y(border, x0)
    y0 = np.clip(y_border + 300.0 + depth, bottom + 250.0, top - 250.0)

    # -- towers, sited where the crossings of the 24 months before each batch were ------------------
    towers = _site_towers(g_tower, dem, p, border, weights, centres, spread, months, left, right)
    t_int = min(towers["active_from"]).date()
    epochs = tuple(sorted(set(towers["active_from"].dt.date)))
    active = active_at(
        len(towers),
        towers["active_from"].to_numpy(dtype="datetime64[ns]"),
        None,
        np.array(epochs, dtype="datetime64[ns]"),
    )
    counts_cov = coverage_epochs(
        dem,
        towers["x"].to_numpy(),
        towers["y"].to_numpy(),
        towers["height_m"].to_numpy(),
        towers["range_m"].to_numpy(),
        active,
        target_height=TARGET_HEIGHT_M,
        refraction=REFRACTION_DEFAULT,
    )
    coverage = tuple(dem.with_array(c, nodata=None) for c in counts_cov)

    # -- exposure and the tower effect ----------------------------------------------------------------
    epoch = np.searchsorted(np.array(epochs, dtype="datetime64[D]"), date, side="right") - 1
    r, c = dem.rowcol(x0, y0)
    r, c = np.clip(r, 0, rows - 1), np.clip(c, 0, cols - 1)
    exposed = np.zeros(n, dtype=bool)
    some = epoch >= 0
    exposed[some] = counts_cov[epoch[some], r[some], c[some]] > 0
    died_null = accept_u < 1.0 / (1.0 + MAX_EXTRA_MORTALITY)
    died = accept_u < (1.0 + effect.extra_mortality * exposed) / (1.0 + MAX_EXTRA_MORTALITY)
    x, y = x0.copy(), y0.copy()
    if effect.shift_km > 0 and exposed.any():
        x[exposed], y[exposed] = _push_from_roads(
            x0[exposed], y0[exposed], effect.shift_km * 1000.0, dem, grad_x, grad_y, border, highway
        )
    road_null = shapely.distance(shapely.points(x0, y0), road_union)
    road = np.where(exposed, shapely.distance(shapely.points(x, y), road_union), road_null)

    # -- discovery (the same draws for the world and its null counterpart) --------------------------
    t_death = _years(date, t_lead)
    find_u = g_find.random(n)
    find_e = g_find.exponential(1.0, n)
    t_first, t_last = _years(t_start, t_lead), _years(np.datetime64(t_end, "D"), t_lead)
    delay = _discovery_delay(p, road, t_death, t_first, t_last, find_u, find_e)
    delay_null = delay.copy()
    moved = exposed & (road != road_null)
    if moved.any():
        delay_null[moved] = _discovery_delay(
            p, road_null[moved], t_death[moved], t_first, t_last, find_u[moved], find_e[moved]
        )
    report = _report_date(date, delay)
    report_null = _report_date(date, delay_null)
    lo, hi = np.datetime64(t_start, "D"), np.datetime64(t_end, "D")
    reported = died & ~np.isnat(report) & (report >= lo) & (report <= hi)
    reported_null = died_null & ~np.isnat(report_null) & (report_null >= lo) & (report_null <= hi)

    # -- location precision --------------------------------------------------------------------------
    t_report = _years(np.where(np.isnat(report), date, report), t_lead)
    mid = _years(np.datetime64(_date(p.gps_midpoint), "D"), t_lead)
    p_lo, p_hi = p.gps_share
    p_gps = p_lo + (p_hi - p_lo) / (1.0 + np.exp(-(t_report - mid) / p.gps_scale_years))
    u_gps, u_desc, u_pull = g_prec.random(n), g_prec.random(n), g_prec.random(n)
    jitter = g_prec.standard_normal((n, 2))
    gps = u_gps < p_gps
    described = ~gps & (u_desc < DESCRIBED_SHARE)
    pull = p.described_pull + (1.0 - p.described_pull) * u_pull
    near = shapely.get_coordinates(shapely.shortest_line(shapely.points(x, y), road_union))[1::2]
    rx = np.where(gps, x, near[:, 0] + (x - near[:, 0]) * pull)
    ry = np.where(gps, y, near[:, 1] + (y - near[:, 1]) * pull)
    sigma = np.where(gps, PRECISION["gps"][1], np.where(described, PRECISION["described"][1], PRECISION["vague"][1]))
    rx = np.clip(rx + sigma * jitter[:, 0], left + 1.0, right - 1.0)
    ry = np.clip(ry + sigma * jitter[:, 1], bottom + 1.0, top - 1.0)
    precision = np.where(
        gps, PRECISION["gps"][0], np.where(described, PRECISION["described"][0], PRECISION["vague"][0])
    )

    # -- encounters ------------------------------------------------------------------------------------
    repeat = g_enc.uniform(*p.repeat)
    share42 = g_enc.uniform(*p.title42_share)
    table_months = np.arange(n_months - p.encounter_months, n_months)
    a0, a1 = p.apprehended
    apprehended = np.linspace(a0, a1, p.encounter_months)
    e0, e1 = (np.datetime64(_date(d), "D") for d in p.expulsions)
    m_days = months.to_numpy(dtype="datetime64[D]")[table_months]
    under = (m_days >= e0.astype("datetime64[M]").astype("datetime64[D]")) & (m_days < e1)
    mean_enc = crossers[table_months] * apprehended * np.where(under, repeat, 1.0)
    enc = g_enc.poisson(mean_enc)
    enc42 = np.where(under, g_enc.binomial(enc, share42), 0)
    temperature = air_temperature(dem, g_temp)
    environment = _environment(dem, temperature, p.environment_cell_km)

    # -- the truth --------------------------------------------------------------------------------------
    names = np.array([f"simulated corridor {chr(65 + i)}" for i in range(k)], dtype=object)
    deaths = pd.DataFrame(
        {
            "date": date.astype("datetime64[ns]"),
            "corridor": names[corridor],
            "x0": x0,
            "y0": y0,
            "x": x,
            "y": y,
            "exposed": exposed,
            "died": died,
            "died_null": died_null,
            "road_m": road,
            "road_null_m": road_null,
            "report_date": report.astype("datetime64[ns]"),
            "report_null": report_null.astype("datetime64[ns]"),
            "reported": reported,
            "reported_null": reported_null,
            "pmi_days": delay * _DAYS_PER_MONTH,
            "gps": gps,
            "rx": rx,
            "ry": ry,
            "location_precision": precision,
        }
    )
    deaths = deaths[died | died_null].reset_index(drop=True)
    monthly = pd.DataFrame(
        {
            "month": months,
            "crossers": crossers,
            "death_mean": death_mean,
            "encounters": pd.array([pd.NA] * n_months, dtype="Int64"),
            "encounters_title42": pd.array([pd.NA] * n_months, dtype="Int64"),
        }
    )
    monthly.loc[table_months, "encounters"] = enc
    monthly.loc[table_months, "encounters_title42"] = enc42
    draws = {
        "crossing_growth_per_year": float(growth),
        "surge": float(surge_to),
        "repeat_encounters": float(repeat),
        "title42_share": float(share42),
    }
    truth = SectorTruth(
        seed=None if isinstance(seed, np.random.Generator) else seed,
        effect=effect,
        params=params,
        draws=draws,
        intervention=t_int,
        epochs=epochs,
        coverage=coverage,
        deaths=deaths,
        monthly=monthly,
        towers=towers,
    )

    # -- the layers ------------------------------------------------------------------------------------
    rec = deaths[deaths["reported"]].sort_values("report_date", kind="stable")
    pmi, body = pmi_class(rec["pmi_days"].to_numpy())
    remains = _layer(
        "deaths",
        pd.DataFrame(
            {
                "date": rec["report_date"].to_numpy(),
                "date_kind": "reported",
                "date_precision": "day",
                "dead": 1,
                "missing": 0,
                "cause": "simulated death (exposure)",
                "location_precision": rec["location_precision"].to_numpy(),
                "source_id": SIMULATED,
                "record_id": pd.NA,
                "post_mortem_interval": pmi,
                "body_condition": body,
                "corridor": rec["corridor"].to_numpy(),
            }
        ),
        shapely.points(rec["rx"].to_numpy(), rec["ry"].to_numpy()),
    )
    tower_layer = _layer(
        "sensors",
        towers.drop(columns=["x", "y", "intensity"]).assign(
            kind_source=towers["kind"], active_to=pd.NaT, deployment="existing", source_id=SIMULATED
        ),
        shapely.points(towers["x"].to_numpy(), towers["y"].to_numpy()),
    )
    border_layer = _layer(
        "context",
        pd.DataFrame({"name": ["simulated border"], "feature": "international boundary", "source_id": SIMULATED}),
        [border],
    )
    roads_layer = _layer(
        "context",
        pd.DataFrame(
            {
                "name": ["simulated highway", *(f"simulated road {chr(65 + j)}" for j in range(len(ns)))],
                "kind": ["highway", *(["road"] * len(ns))],
                "source_id": SIMULATED,
            }
        ),
        roads,
    )
    wx = g_ground.uniform(left + 2000.0, right - 2000.0, p.water_stations)
    wy = _line_y(border, wx) + g_ground.uniform(2000.0, p.highway_km * 1000.0 - 2000.0, p.water_stations)
    water_layer = _layer(
        "context",
        pd.DataFrame(
            {
                "feature": pd.Series("water station", index=range(p.water_stations)),
                "location_precision": "simulated: exact",
                "source_id": SIMULATED,
            }
        ),
        shapely.points(wx, wy),
    )
    enc_rows = []
    for j, m in enumerate(table_months):
        enc_rows.append((months[m], "Title 8", int(enc[j] - enc42[j])))
        if under[j]:
            enc_rows.append((months[m], "Title 42", int(enc42[j])))
    enc_frame = pd.DataFrame(enc_rows, columns=["month", "authority", "encounters"])
    enc_frame["encounters"] = enc_frame["encounters"].astype("Int64")
    enc_frame["area_of_responsibility"] = SECTOR
    enc_frame["encounter_type"] = np.where(enc_frame["authority"] == "Title 42", "Expulsions", "Apprehensions")
    enc_frame["source_id"] = SIMULATED
    return SectorWorld(
        dem=dem,
        border=border_layer,
        roads=roads_layer,
        water_stations=water_layer,
        towers=tower_layer,
        remains=remains,
        encounters=_layer("table", enc_frame, None),
        environment=environment,
        truth=truth,
        temperature=temperature,
    )


def realised_effect(world: SectorWorld) -> dict[str, float]:
    """What the planted effect did in this world, against its null counterpart (same seed, no effect).

    Returns
    -------
    dict
        ``exposed_share``: share of the deaths from the first deployment on whose point lay in active
        coverage; ``shift_exposed_km``: mean extra distance to the nearest road of the exposed deaths;
        ``shift_median_km``: median road distance of the records reported from the first deployment on,
        minus the same in the null counterpart (km); ``extra_deaths``: relative change of the deaths from
        the first deployment on; ``extra_records``: the same for the records reported in the period from
        the first deployment on.  All 0 in a null world.
    """
    d = world.truth.deaths
    t_int = np.datetime64(world.truth.intervention, "ns")
    after = d["date"].to_numpy() >= t_int
    world_deaths, null_deaths = d["died"].to_numpy() & after, d["died_null"].to_numpy() & after
    exposed = d["exposed"].to_numpy() & world_deaths
    rec = d["reported"].to_numpy() & (d["report_date"].to_numpy() >= t_int)
    rec_null = d["reported_null"].to_numpy() & (d["report_null"].to_numpy() >= t_int)
    shift = (d["road_m"] - d["road_null_m"]).to_numpy()
    return {
        "exposed_share": float(exposed.sum() / max(world_deaths.sum(), 1)),
        "shift_exposed_km": float(shift[exposed].mean() / 1000.0) if exposed.any() else 0.0,
        "shift_median_km": float(
            (np.median(d["road_m"].to_numpy()[rec]) - np.median(d["road_null_m"].to_numpy()[rec_null])) / 1000.0
        )
        if rec.any() and rec_null.any()
        else float("nan"),
        "extra_deaths": float(world_deaths.sum() / max(null_deaths.sum(), 1) - 1.0),
        "extra_records": float(rec.sum() / max(rec_null.sum(), 1) - 1.0),
    }


def siting_correlation(world: SectorWorld, bin_km: float = 5.0) -> float:
    """Endogenous siting as a number: Pearson's r, over bins of ``bin_km`` along the border (west–east),
    between the towers sited in a bin and the deaths (true points, null world) of the 24 months before the
    first deployment.  About 0 for towers sited at random; positive when towers stand where people crossed."""
    t = world.truth
    left, _, right, _ = world.dem.bounds
    edges = np.arange(left, right + bin_km * 1000.0, bin_km * 1000.0)
    first = pd.Timestamp(t.intervention)
    d = t.deaths
    before = d["died_null"].to_numpy() & (d["date"] >= first - pd.DateOffset(months=24)).to_numpy()
    before &= (d["date"] < first).to_numpy()
    deaths, _ = np.histogram(d["x0"].to_numpy()[before], bins=edges)
    towers, _ = np.histogram(t.towers["x"].to_numpy(), bins=edges)
    if deaths.std() == 0 or towers.std() == 0:
        return float("nan")
    return float(np.corrcoef(deaths, towers)[0, 1])


def summary(world: SectorWorld) -> dict[str, float]:
    """What a reader of the records of this sector would see, split at the first deployment: the number of
    remains, the median distance (km) from a record's reported point to the nearest road, the share located
    by GPS and the share with a post-mortem interval over 6–8 months, before and after; the siting
    correlation (:func:`siting_correlation`)."""
    rem = world.remains.frame
    pts = rem.geometry.to_crs(_UTM)
    roads = world.roads.frame.geometry.to_crs(_UTM).union_all()
    dist = shapely.distance(pts.values, roads) / 1000.0
    after = (rem["date"] >= pd.Timestamp(world.truth.intervention)).to_numpy()
    gps = rem["location_precision"].astype("string").str.contains("GPS", regex=False).to_numpy(dtype=bool)
    long = (rem["post_mortem_interval"].astype("string") == PMI_CLASSES[-1][1]).to_numpy(dtype=bool)

    def share(mask: np.ndarray, side: np.ndarray) -> float:
        return float(mask[side].mean()) if side.any() else float("nan")

    return {
        "remains": float(len(rem)),
        "road_km_before": float(np.median(dist[~after])) if (~after).any() else float("nan"),
        "road_km_after": float(np.median(dist[after])) if after.any() else float("nan"),
        "gps_before": share(gps, ~after),
        "gps_after": share(gps, after),
        "long_pmi_before": share(long, ~after),
        "long_pmi_after": share(long, after),
        "siting_r": siting_correlation(world),
    }


def sector_study(
    world: SectorWorld,
    *,
    seed: int = 0,
    name: str = "simulated-sector",
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
    temperature: bool = False,
) -> Study:
    """The shipped Arizona–Sonora study (:func:`~borderscape.analyses.study.load_study`: its endpoints,
    its parameters), moved to a simulated sector.

    Region: the lon/lat box of the DEM's corners; CRS UTM 12N; cell size the DEM's; period the sector's;
    interventions the first tower deployment and the start and end of the expulsion policy (like the real
    study's SBInet contract and Title 42); sensor defaults the :data:`~borderscape.analyses.worlds.TOWER_KINDS`;
    ``[parameters.hardship] split`` the first deployment; ``[parameters.h4] sectors`` the simulated sector;
    ``parameters`` (section → values) on top.  With ``temperature``, the study names the world's air
    temperature layer (the litres of H2 and H3, descriptive results; they cost time).
    """
    left, bottom, right, top = world.dem.bounds
    to_ll = Transformer.from_crs(world.dem.crs, _WGS84, always_xy=True)
    lon, lat = to_ll.transform([left, right, left, right], [bottom, bottom, top, top])
    p = world.truth.params
    t_int = world.truth.intervention
    e0, e1 = (_date(d) for d in p.expulsions)
    params: dict[str, dict[str, Any]] = {
        "hardship": {"split": t_int.isoformat()},
        "h4": {"sectors": [SECTOR]},
    }
    for section, values in (parameters or {}).items():
        params.setdefault(section, {}).update(values)
    layers = {k: SIMULATED for k in world.layers}
    if temperature:
        layers["temperature"] = SIMULATED
    base = load_study("arizona-sonora")
    return base.with_(
        name=name,
        title="Simulated sector",
        description="SIMULATED DATA: a generated Border Patrol sector with a known answer (borderscape.analyses.sectors).",
        seed=seed,
        bbox=(min(lon), min(lat), max(lon), max(lat)),
        crs=world.dem.crs.to_string(),
        resolution_m=float(world.dem.res[0]),
        start=_date(p.start),
        end=_date(p.end),
        interventions=(
            Intervention("towers deployed (simulated)", t_int),
            Intervention("expulsion policy begins (simulated)", e0),
            Intervention("expulsion policy ends (simulated)", e1),
        ),
        shocks=(),
        layers=layers,
        sensors={k: SensorDefaults(k, h, r, t_int, SIMULATED) for k, (h, r, _) in TOWER_KINDS.items()},
        parameters=params,
        caveats=("SIMULATED DATA: nothing here is a real place, tower or person.",),
        path=None,
    )


def sector_inputs(world: SectorWorld, *, temperature: bool = False) -> StudyInputs:
    """The :class:`~borderscape.analyses.inputs.StudyInputs` of a sector: its layers, and with
    ``temperature`` its air temperature as the ``temperature`` layer."""
    layers: dict[str, Layer | Raster] = dict(world.layers)
    if temperature:
        layers["temperature"] = world.temperature
    return StudyInputs(layers=layers, missing={}, simulated=True)


# -- helpers ------------------------------------------------------------------------------------------
def _date(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{value!r} is not a date", remedy="give an ISO date such as 2010-01-01") from None


def _years(when: Any, origin: dt.date) -> Any:
    """Years (365.25 days) from ``origin`` to ``when`` (a date or datetime64 array)."""
    if isinstance(when, dt.date):
        return (when - origin).days / 365.25
    days = (np.asarray(when).astype("datetime64[D]") - np.datetime64(origin, "D")).astype(np.float64)
    return days / 365.25


def _ar1(gen: np.random.Generator, shape: tuple[int, ...], rho: float, sd: float) -> np.ndarray:
    """A stationary AR(1) along the first axis, correlation ``rho``, marginal sd ``sd``."""
    z = gen.standard_normal(shape)
    out = np.empty(shape)
    out[0] = sd * z[0]
    innovation = sd * np.sqrt(1.0 - rho**2)
    for i in range(1, shape[0]):
        out[i] = rho * out[i - 1] + innovation * z[i]
    return out


def _wiggle(gen: np.random.Generator, t: np.ndarray, amplitude: float) -> np.ndarray:
    a = gen.uniform(0.5, 1.0, 3) * amplitude / np.arange(1, 4)
    phi = gen.uniform(0.0, 2.0 * np.pi, 3)
    out: np.ndarray = sum(a[j] * np.sin(2.0 * np.pi * (j + 1) * t + phi[j]) for j in range(3))
    return out


def _wiggly_ew(gen: np.random.Generator, left: float, right: float, y0: float, amplitude: float) -> shapely.LineString:
    x = np.linspace(left + 1.0, right - 1.0, 97)
    return shapely.LineString(np.column_stack([x, y0 + _wiggle(gen, (x - left) / (right - left), amplitude)]))


def _wiggly_ns(
    gen: np.random.Generator, x0: float, border: shapely.LineString, top: float, amplitude: float
) -> shapely.LineString:
    y_south = float(_line_y(border, np.array([x0]))[0])
    y = np.linspace(y_south, top - 1.0, 65)
    x = x0 + _wiggle(gen, (y - y_south) / (top - y_south), amplitude)
    return shapely.LineString(np.column_stack([x - (x[0] - x0), y]))


def _line_y(line: shapely.LineString, x: np.ndarray) -> np.ndarray:
    xy = shapely.get_coordinates(line)
    return np.asarray(np.interp(x, xy[:, 0], xy[:, 1]), dtype=np.float64)


def _site_towers(
    gen: np.random.Generator,
    dem: Raster,
    p: SectorParams,
    border: shapely.LineString,
    weights: np.ndarray,
    centres: np.ndarray,
    spread: np.ndarray,
    months: pd.DatetimeIndex,
    left: float,
    right: float,
) -> pd.DataFrame:
    """Towers of every batch at x drawn from the crossing intensity of the 24 months before the batch."""
    grid_x = np.linspace(left + 1000.0, right - 1000.0, 480)
    mean_intensity = _intensity(grid_x, weights, centres, spread).mean(axis=0)
    rows, cols = dem.shape
    out = []
    for kind, first, count in p.towers:
        day = pd.Timestamp(_date(first))
        window = np.flatnonzero((months < day) & (months >= day - pd.DateOffset(months=24)))
        if window.size == 0:
            window = np.array([max(int(np.searchsorted(months, day)) - 1, 0)])
        dens = _intensity(grid_x, weights[window], centres[window], spread).mean(axis=0)
        pick = gen.choice(grid_x.size, size=count, p=dens / dens.sum())
        tx = grid_x[pick] + gen.uniform(-125.0, 125.0, count)
        ty = _line_y(border, tx) + gen.uniform(p.tower_y_km[0] * 1000.0, p.tower_y_km[1] * 1000.0, count)
        # the highest of 6 cells within 1.5 km: a tower stands where it sees
        cand_x = tx[:, None] + gen.uniform(-1500.0, 1500.0, (count, 6))
        cand_y = ty[:, None] + gen.uniform(-1500.0, 1500.0, (count, 6))
        r, c = dem.rowcol(cand_x.ravel(), cand_y.ravel())
        r, c = np.clip(r, 0, rows - 1), np.clip(c, 0, cols - 1)
        best = np.argmax(dem.array[r, c].reshape(count, 6), axis=1)
        bx, by = dem.xy(r.reshape(count, 6)[np.arange(count), best], c.reshape(count, 6)[np.arange(count), best])
        h, rng_m, _ = TOWER_KINDS[kind]
        for j in range(count):
            out.append(
                {
                    "x": float(bx[j]),
                    "y": float(by[j]),
                    "kind": kind,
                    "height_m": h,
                    "range_m": rng_m,
                    "active_from": day,
                    "intensity": float(dens[pick[j]] / mean_intensity.mean()),
                }
            )
    return pd.DataFrame(out)


def _intensity(x: np.ndarray, weights: np.ndarray, centres: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """Crossing intensity along the border (months × len(x)): Σₖ wₖ φ((x − cₖ)/sₖ)/sₖ."""
    z = (x[None, :, None] - centres[:, None, :]) / spread[None, None, :]
    dens = weights[:, None, :] * np.exp(-0.5 * z * z) / (spread * np.sqrt(2 * np.pi))[None, None, :]
    return np.asarray(dens.sum(axis=2), dtype=np.float64)


def _push_from_roads(
    x: np.ndarray,
    y: np.ndarray,
    distance: float,
    dem: Raster,
    grad_x: np.ndarray,
    grad_y: np.ndarray,
    border: shapely.LineString,
    highway: shapely.LineString,
    steps: int = 8,
) -> tuple[np.ndarray, np.ndarray]:
    """Move points ``distance`` m up the gradient of the distance-to-road field, in ``steps`` steps, kept
    between the border and the highway and inside the grid."""
    left, bottom, right, top = dem.bounds
    rows, cols = dem.shape
    x, y = x.copy(), y.copy()
    for _ in range(steps):
        r, c = dem.rowcol(x, y)
        r, c = np.clip(r, 0, rows - 1), np.clip(c, 0, cols - 1)
        gx, gy = grad_x[r, c], -grad_y[r, c]  # rows run southward
        norm = np.hypot(gx, gy)
        norm = np.where(norm > 0, norm, 1.0)
        x = np.clip(x + distance / steps * gx / norm, left + 250.0, right - 250.0)
        y = y + distance / steps * gy / norm
        y = np.clip(y, _line_y(border, x) + 300.0, _line_y(highway, x) - 300.0)
    return x, y


def _discovery_delay(
    p: SectorParams,
    road_m: np.ndarray,
    t_death: np.ndarray,
    t_start: float,
    t_end: float,
    u_now: np.ndarray,
    e: np.ndarray,
) -> np.ndarray:
    """Months from death to report (NaN: not found before the end of the period or the findable horizon).

    Same-day report when U < q₀ exp(−r/ℓ); else the first month a in which the cumulative hazard
    Σ h(r, a, τ) (module docstring) reaches e ~ Exp(1), linear inside the month.  Times t in years from
    the start of the lead-in."""
    now = u_now < p.report_p0 * np.exp(-road_m / (p.report_scale_km * 1000.0))
    age = np.arange(int(round(p.findable_years * 12)))
    tau = t_death[:, None] + (age[None, :] + 0.5) / 12.0
    f = np.clip((tau - t_start) / max(t_end - t_start, 1e-9), 0.0, 1.0)
    remote = p.remote_rate[0] + (p.remote_rate[1] - p.remote_rate[0]) * f
    reach = (p.reach_km[0] + (p.reach_km[1] - p.reach_km[0]) * f) * 1000.0
    fresh = np.exp(-(age[None, :] + 0.5) / p.fresh_months)
    hazard = p.find_rate * np.exp(-((road_m[:, None] / reach) ** 2)) * fresh + remote
    hazard[tau > t_end + 1.0 / 12.0] = 0.0
    cum = np.cumsum(hazard, axis=1)
    hit = cum >= e[:, None]
    found = hit.any(axis=1)
    first = np.argmax(hit, axis=1)
    rows = np.arange(cum.shape[0])
    before = np.where(first > 0, cum[rows, np.maximum(first - 1, 0)], 0.0)
    step = hazard[rows, first]
    months = first + (e - before) / np.where(step > 0, step, 1.0)
    return np.where(now, 0.0, np.where(found, months, np.nan))


def _report_date(date: np.ndarray, delay_months: np.ndarray) -> np.ndarray:
    days = np.floor(np.nan_to_num(delay_months, nan=0.0) * _DAYS_PER_MONTH).astype(np.int64)
    out = date.astype("datetime64[D]") + days.astype("timedelta64[D]")
    return np.where(np.isnan(delay_months), np.datetime64("NaT", "D"), out)


def _environment(dem: Raster, temperature: Raster, cell_km: float) -> Layer:
    """Points at the centres of blocks of about ``cell_km`` with the blocks' mean slope and July maximum."""
    k = max(1, int(round(cell_km * 1000.0 / dem.res[0])))
    rows, cols = dem.shape
    r_n, c_n = rows // k, cols // k
    sl = slope(dem).array[: r_n * k, : c_n * k].astype(np.float64)
    tm = temperature.array[: r_n * k, : c_n * k].astype(np.float64)
    blocks = (r_n, k, c_n, k)
    slope_mean = np.nanmean(sl.reshape(blocks), axis=(1, 3))
    tmax_mean = np.nanmean(tm.reshape(blocks), axis=(1, 3))
    rr, cc = np.indices((r_n, c_n))
    x, y = dem.xy(rr.ravel() * k + (k - 1) / 2.0, cc.ravel() * k + (k - 1) / 2.0)
    frame = pd.DataFrame(
        {
            "grid_row": rr.ravel(),
            "grid_col": cc.ravel(),
            "slope_deg": slope_mean.ravel(),
            "july_tmax_c": tmax_mean.ravel(),
            "cell_deg": k * dem.res[0] / 111_320.0,
            "feature": "environment grid cell (simulated)",
            "source_id": SIMULATED,
        }
    )
    return _layer("context", frame, shapely.points(x, y))


def _layer(kind: str, frame: pd.DataFrame, geometry: Any) -> Layer:
    """A layer like the ingest makes: schema columns, every row kept, EPSG:4326 geometry."""
    frame = frame.reset_index(drop=True)
    if kind in ("deaths", "sensors"):
        frame = conform(frame, kind)
    ledger = Ledger(len(frame))
    frame = ledger.annotate(frame)
    if geometry is not None:
        frame = gpd.GeoDataFrame(
            frame, geometry=gpd.GeoSeries(list(geometry), crs=_UTM).to_crs(_WGS84).values, crs=_WGS84
        )
    return Layer(
        source=SIMULATED, kind=kind, frame=frame, report=ledger.report(source=SIMULATED, files=[], notes=[NOTE])
    )
