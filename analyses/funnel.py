"""The funnel-effect battery: five hypotheses about surveillance and deaths, each a test.

After Chambers, Boyce, Launius & Dinsmore (2019), "Mortality, surveillance and the tertiary
'funnel effect' on the U.S.–Mexico border", J. Borderlands Studies 36(3):

H1  coverage displacement — fewer remains inside the coverage of the sensors active at the
    time than the area covered would lead one to expect (:mod:`~borderscape.analyses.displacement`);
H2  hardship — remains lie in harder terrain (energy cost from the border, distance to roads
    and water, slope, ruggedness) and more so over time and after interventions
    (:mod:`~borderscape.analyses.hardship`);
H3  routes — routes that avoid coverage cost more energy than unconstrained ones, by epoch
    (:mod:`~borderscape.analyses.displacement`);
H4  mortality rate — deaths per encounter, with an interrupted time series around
    intervention dates (:mod:`~borderscape.analyses.hardship`);
H5  hot spots — Gi* hot spots per period, and whether they moved into harder terrain
    (:mod:`~borderscape.analyses.hardship`).

Each hypothesis returns :class:`Outcome` records (``H2.road_distance`` …), with estimate,
confidence interval, p-value, n and method, or ``skipped`` with the reason and the remedy
when a layer it needs is missing.  Randomness: one child generator per hypothesis, spawned
in a fixed order from the study's seed, so that the same inputs and seed give identical
numbers and one hypothesis's draws never shift another's.

The battery looks at past periods only: it forecasts nothing and ranks no place.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from borderscape.analyses.results import StatResult
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.study import Intervention, SensorDefaults, Study
from borderscape.geo.raster import Raster
from borderscape.layers.schemas import Layer, RasterLayer

#: The results that test the funnel effect itself, one or more per hypothesis, checked on simulated
#: worlds to reject in 5 % ± 2 % of worlds without the effect and in at least 80 % with it
#: (``benchmarks/calibrate_funnel_*.py``).  Headlines of the briefing.
PRIMARY = frozenset({"H1", "H2.road_distance", "H2.water_distance", "H2.slope", "H2.ruggedness", "H2.energy",
                     "H3.fit", "H4", "H4.rate_ratio", "H5"})


def tier(test_id: str) -> str | None:
    """What a result of the funnel battery is for: ``tier`` in ``results.json`` (None for ids outside
    it, such as the maritime battery's ``M1`` …).

    * ``primary`` — a test of the funnel effect whose size and power are checked on simulated
      worlds (:data:`PRIMARY`);
    * ``secondary`` — another test of the funnel effect (the cross-L envelope ``H1.cross_k``,
      the trends ``H2.*.trend``, the interrupted time series ``H4.its.*``): its size is checked
      (5 % ± 2 %), its power is reported but may be lower, because it looks for a different
      shape of change (a steady trend, a jump of level in one month) than the primary test;
    * ``context`` — a number that describes the setting and whose null is not "no funnel
      effect": the area-share comparisons (``H1.area``, ``H1.before/after.*``: remains are not
      spread evenly even without surveillance), the modelled cost of avoiding coverage (``H3``,
      ``H3.slope``, ``H3.<epoch>``: a property of the terrain and the coverage), remains against
      random points (``H2.case_control*``) and the hot spots of one period (``H5.<period>``: remains
      cluster along routes whatever surveillance does).  Its p-value answers its own null only.
    """
    if not test_id.startswith("H"):
        return None
    if test_id in PRIMARY:
        return "primary"
    if test_id == "H1.cross_k" or test_id.endswith(".trend") or test_id.startswith("H4.its."):
        return "secondary"
    return "context"


#: Layer roles a study file's ``[layers]`` table may name.
ROLES = ("deaths", "terrain_covariates", "border", "roads", "water_stations", "stations", "encounters",
         "towers", "dem", "environment")


@dataclass(frozen=True)
class Outcome:
    """One line of ``results.json``'s ``tests`` list.

    Attributes
    ----------
    id
        ``H1`` … ``H5``, with a sub-id after a dot (``H2.road_distance``).
    name
        What is tested, in plain words.
    status
        ``ran`` or ``skipped``.
    reason
        For a skipped test: why, and what to supply; for a test that ran: notes (or ``""``).
    estimate, ci, p_value, n
        The effect size, its confidence interval, the p-value and the number of observations
        (``None`` when skipped).
    method
        The test or estimator, with its reference.
    tier
        ``primary``, ``secondary`` or ``context`` (:func:`tier`; from the id; None outside the funnel battery).
    parameters
        What is needed to reproduce the number (periods, permutations, seed …).
    """

    id: str
    name: str
    status: str
    reason: str = ""
    estimate: float | None = None
    ci: tuple[float, float] | None = None
    p_value: float | None = None
    n: int | None = None
    method: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)

    @property
    def tier(self) -> str | None:
        """``primary``, ``secondary`` or ``context`` (:func:`tier`)."""
        return tier(self.id)

    @classmethod
    def ran(cls, id: str, result: StatResult, *, name: str | None = None, reason: str = "") -> "Outcome":
        """An outcome from a statistical result record."""
        return cls(id=id, name=name or result.name, status="ran", reason=reason, estimate=float(result.estimate),
                   ci=(float(result.ci[0]), float(result.ci[1])), p_value=float(result.p_value), n=int(result.n),
                   method=result.method, parameters=dict(result.parameters))

    @classmethod
    def skipped(cls, id: str, name: str, reason: str) -> "Outcome":
        """An outcome for a test that could not run, with the reason and the remedy."""
        return cls(id=id, name=name, status="skipped", reason=reason)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (non-finite numbers become None)."""

        def num(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else float(v)

        return {
            "id": self.id, "name": self.name, "status": self.status, "reason": self.reason,
            "estimate": num(self.estimate),
            "ci": None if self.ci is None else [num(self.ci[0]), num(self.ci[1])],
            "p_value": num(self.p_value), "n": self.n, "method": self.method, "tier": self.tier,
            "parameters": _jsonable(dict(self.parameters)),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()
    return value


@dataclass(frozen=True, eq=False)
class Section:
    """What one hypothesis produced: its outcomes and the tables behind them."""

    outcomes: list[Outcome]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    rasters: dict[str, Raster] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Battery:
    """Every outcome of the battery, with its tables (name → frame) and rasters."""

    outcomes: tuple[Outcome, ...]
    tables: Mapping[str, pd.DataFrame]
    rasters: Mapping[str, Raster]


Hypothesis = Callable[[Study, StudyInputs, np.random.Generator], Section]


def hypotheses(battery: str = "funnel") -> list[tuple[str, Hypothesis]]:
    """The tests of a battery in order: (id prefix, function).

    ``funnel`` is the desert battery H1 … H5 above; ``maritime`` the sea battery of
    :mod:`borderscape.analyses.maritime` (same contract, ids M1 …).
    """
    if battery == "maritime":
        from borderscape.analyses import maritime

        return list(maritime.HYPOTHESES)
    from borderscape.analyses import displacement, hardship

    return [
        ("H1", displacement.h1_coverage),
        ("H2", hardship.h2_hardship),
        ("H3", displacement.h3_routes),
        ("H4", hardship.h4_mortality_rate),
        ("H5", hardship.h5_hotspots),
    ]


def run_battery(study: Study, inputs: StudyInputs, *, seed: int | None = None) -> Battery:
    """Run every hypothesis of the battery.

    Parameters
    ----------
    study
        The study (periods, interventions, sensor defaults, parameters).
    inputs
        The layers by role.
    seed
        Overrides the study's seed.

    Returns
    -------
    Battery
        Outcomes in the battery's order (H1 … H5 for ``funnel``), and the tables and rasters
        they rest on.
    """
    root = np.random.default_rng(study.seed if seed is None else seed)
    funcs = hypotheses(study.battery)
    children = root.spawn(len(funcs))
    outcomes: list[Outcome] = []
    tables: dict[str, pd.DataFrame] = {}
    rasters: dict[str, Raster] = {}
    for (prefix, func), rng in zip(funcs, children):
        section = func(study, inputs, rng)
        for outcome in section.outcomes:
            if outcome.id.split(".")[0] != prefix:
                raise AssertionError(f"{func.__name__} returned outcome {outcome.id} outside {prefix}")
        outcomes.extend(section.outcomes)
        tables.update(section.tables)
        rasters.update(section.rasters)
    return Battery(tuple(outcomes), tables, rasters)


def world_study(world: Any, *, name: str = "simulated-world", seed: int = 0, parameters: Mapping[str, Mapping[str, Any]] | None = None) -> Study:
    """A :class:`Study` that describes a simulated world (region, period, intervention, sensors)."""
    from pyproj import Transformer

    from borderscape.analyses.worlds import TARGET_HEIGHT_M, TOWER_KINDS, WALKER
    from borderscape.geo.viewshed import REFRACTION_DEFAULT

    left, bottom, right, top = world.dem.bounds
    to_ll = Transformer.from_crs(world.dem.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform([left, right, left, right], [bottom, bottom, top, top])
    start = pd.Timestamp(world.truth.params["start"]).date()
    end = pd.Timestamp(world.truth.params["end"]).date()
    params = {"cost": {"model": world.truth.params.get("model", "pandolf"), **WALKER},
              "viewshed": {"target_height_m": TARGET_HEIGHT_M, "curvature": True, "refraction": REFRACTION_DEFAULT}}
    for section, values in (parameters or {}).items():
        params.setdefault(section, {}).update(values)
    return Study(
        name=name, title="Simulated world", description="SIMULATED DATA: a generated world with a known answer.",
        seed=seed, bbox=(min(lon), min(lat), max(lon), max(lat)), crs=world.dem.crs.to_string(),
        resolution_m=float(world.dem.res[0]), start=start, end=end,
        interventions=(Intervention("towers deployed (simulated)", world.truth.intervention),),
        layers={k: "simulated" for k in world.layers},
        sensors={k: SensorDefaults(k, h, r, world.truth.intervention, "simulated") for k, (h, r, _) in TOWER_KINDS.items()},
        parameters=params, caveats=("SIMULATED DATA: nothing here is a real place, tower or person.",),
    )


def inputs_from_world(world: Any) -> StudyInputs:
    """The :class:`StudyInputs` of a simulated world."""
    return StudyInputs(layers=dict(world.layers), missing={}, simulated=True)
