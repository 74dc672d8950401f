"""H3 routes: how much more energy do routes that avoid the coverage of active sensors cost?

After Chambers, Boyce, Launius & Dinsmore (2019).  H3 needs an elevation model (``dem``), the
sensors (``towers``) and the ``border`` (origins of routes); the remains (``deaths``, optional)
choose the epochs, and the ``roads`` the destinations when ``destination = "roads"``.  Sensors,
their epochs and coverage are those of :mod:`borderscape.analyses.sensors`; routes and their
energy those of :mod:`borderscape.analyses.routes`.

H3 — routes that avoid coverage
-------------------------------
``[parameters.routes]``: ``origins`` (default 25) points evenly spaced along the border
(:func:`~borderscape.analyses.routes.border_origins`)
(at (j + ½)/n of its length; those off the DEM are dropped), ``destination`` —
``"north_edge"`` (default: the valid cells of the DEM's top row, or of the first row below
it that holds any when the top row is empty, as after reprojecting a DEM and clipping it to
the study's bounding box, or with a coarse DEM: :func:`~borderscape.analyses.routes.north_edge`;
the row used is the parameter ``destination_row``) or ``"roads"`` (every cell a
road of the ``roads`` layer touches) — and ``avoidance``, the cost multiplier in covered cells
(default 2: a covered cell costs twice its energy, a moderate aversion; ``"impassable"``
forbids covered cells).  For every origin, the least-energy
route to the destination set is found by Dijkstra (:mod:`borderscape.geo.costdistance`,
Pandolf et al. 1977 with the Santee et al. 2001 downhill correction, as published or made
continuous at zero grade; parameters from ``[parameters.cost]``,
:func:`~borderscape.analyses.routes.walker`) without surveillance, and once per epoch (of those holding remains,
or the latest epoch when none does) with the multiplier on the cells covered in that epoch.
The *caloric* cost of a route, E = Σ moves Pandolf(dz, d) in kJ without the multiplier, is
recomputed along its cells.  Because the unconstrained route is the least-energy route to the
same destination set, the avoiding route's energy is never lower: Δ_j = E_avoid,j − E_free,j
≥ 0 (an exact property of the search, up to rounding).

``H3.<epoch start>``: mean extra energy per route Δ̄ (kJ), CI by percentile bootstrap over
routes, p-value by a paired sign-flip permutation test of Δ (Good 2005).  ``H3``: the same for
the latest epoch that holds remains — the coverage people faced most recently.  ``H3.slope``:
ordinary least squares of E on the straight-line distance between a route's ends (km), for
the avoiding routes of that epoch minus the unconstrained ones (kJ per km); CI by a paired
bootstrap over routes; p-value by permuting the avoid/free labels within each route.

Δ ≥ 0 whenever any covered cell lies on an unconstrained route, whatever people really do: H3
measures what avoiding coverage *would* cost (a model counterfactual), it has no null of
"no avoidance" (its rejection rate is 100 % in simulated worlds with α = 0 as with α > 0).

``H3.water_loss`` — the same routes in litres.  Every route of H3 (the least-energy routes,
unconstrained and avoiding coverage) is also measured in litres of sweat, move by move, with the
``water`` model (Pandolf–Santee metabolism in the human heat balance, the sweat rate of Gonzalez
et al. 2009; :func:`borderscape.geo.water.route_litres`) at the run's air temperature
(:func:`~borderscape.analyses.battery.h2_hardship.run_temperature`: the ``temperature`` layer, or
the environment grid's July maximum) and the weather and clothing of ``[parameters.cost]``.
``H3.water_loss`` is the mean extra litres per route for the latest epoch, with the same paired
sign-flip test and percentile bootstrap as ``H3`` (descriptive), its weather variants (relative
humidity 10 % and 40 %, in sun) on the same routes; every ``H3.<epoch>`` carries the mean litres of
both routes and the mean extra (``mean_extra_litres``) beside its kJ, and the table ``h3_routes`` a
``litres`` column.  Routes are chosen for energy, so a few avoiding routes may cost fewer litres
(cooler ground).  Litres describe the past hardship of people who died; they are never a map of
where people are or will be.

``H3.fit`` is the testable counterpart: did people take the avoiding routes?  For every
remains record, v = (distance to the nearest unconstrained route) − (distance to the nearest
route avoiding the coverage of the record's epoch), metres; positive when it lies nearer the
avoiding routes.  Estimate: the mean v of post-deployment remains minus the mean v that the
pre-deployment remains (the background) have under the same epochs' routes, i.e. (O − E)/n
with O and E as in ``H1``; p-value: the same one-sided permutation test of locations
(alternative "greater"); CI: the same year-block bootstrap as ``H1`` (whole calendar years
resampled within each group; the record-level interval is in the sensitivity list).  The funnel
effect predicts people took the avoiding routes, so the declared direction of ``H3.fit`` is
``increase`` (``[endpoints.H3]``).

Roles and sensitivity
---------------------
``H3.fit`` is the declared primary endpoint (returned as secondary; run_battery makes it
primary).  ``H3``, ``H3.<epoch start>`` and ``H3.slope`` are *descriptive*: properties of the
terrain and the coverage, positive by construction.  ``H3.fit`` and ``H3`` carry a
``sensitivity`` list with every estimate recomputed — routes included — under each walker of
:func:`~borderscape.analyses.routes.energy_variants` (η 1.2 light brush, 1.8 swampy bog, 2.1
loose sand; load 0 and 20 kg; the other downhill model) and under each avoidance strength of
:data:`~borderscape.analyses.routes.VARIANT_AVOIDANCE` (1.5, 4, ``"impassable"``) other than the
study's; ``H3.fit`` also on GPS-located records only and on records with a short post-mortem
interval (:func:`~borderscape.analyses.battery.h1_coverage.record_variants`), and the
``composition`` of the records before and after the first deployment.  The variants' cost
surfaces are tasks of the same executor as the main ones; ``[parameters.routes] sensitivity =
false`` leaves them out (they are 8–9 times the routing work of H3).

Nothing here forecasts crossings or ranks places: every computation is about past epochs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderscape.analyses.battery.common import (
    Section,
    composition,
    missing,
    reason,
    records_on_grid,
    settings,
    shock_caveats,
    viewshed_options,
)
from borderscape.analyses.battery.h1_coverage import (
    COMPOSITION,
    background_estimate,
    record_attributes,
    subset_variants,
)
from borderscape.analyses.battery.h2_hardship import (
    WATER_METHOD,
    RunTemperature,
    run_temperature,
    water_variants,
    water_walker,
)
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome, StatResult, Variant
from borderscape.analyses.routes import (
    VARIANT_AVOIDANCE,
    border_origins,
    distance_to_lines,
    energy_variants,
    north_edge,
    routes_under,
    walker,
)
from borderscape.analyses.sensors import Deployment, deployment, epoch_coverage
from borderscape.analyses.stats.intervals import percentile_ci
from borderscape.analyses.stats.tests import paired_tests
from borderscape.analyses.study import Study
from borderscape.geo.costmodels import get_model, terrain_label
from borderscape.geo.errors import BorderscapeError
from borderscape.geo.parallel import current
from borderscape.geo.raster import Raster
from borderscape.geo.water import route_litres
from borderscape.layers.quality import usable

__all__ = ["h3_routes"]

_H3_NAME = "H3 routes: extra energy of routes that avoid the coverage of active sensors"
_WATER_NAME = "H3 routes in litres: extra sweat loss of routes that avoid the coverage of active sensors"
_COUNTERFACTUAL_LITRES = (
    "A property of the terrain, the heat and the coverage, not a test of the funnel effect: what avoiding coverage "
    "would cost in water along the least-energy routes, whatever people did (H3.fit tests whether they took the "
    "avoiding routes)."
)
_COUNTERFACTUAL = (
    "A property of the terrain and the coverage, not a test of the funnel effect: the avoiding route can never "
    "cost less than the unconstrained one, so this is positive whatever people did (H3.fit tests whether they "
    "took the avoiding routes)."
)


def h3_routes(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """H3 routes: how much more energy do routes that avoid active coverage cost?

    The method and its formulas are in the module docstring.  Study parameters read:
    ``[parameters.routes] origins`` (25), ``destination`` (``"north_edge"`` or ``"roads"``),
    ``avoidance`` (2, or ``"impassable"``), ``sensitivity`` (true); ``[parameters.cost]`` (Pandolf W, L,
    V, η, also under the names body_mass_kg, load_kg, speed_m_s, terrain_factor; ``downhill``);
    ``[parameters.statistics] permutations``, ``confidence``; ``[parameters.displacement]
    bootstrap``; ``[parameters.viewshed]`` as for H1.

    The cost surfaces — unconstrained, then one per epoch — and their routes
    (:func:`~borderscape.analyses.routes.least_energy_routes`) are independent tasks of the
    run's executor (:func:`borderscape.geo.parallel.current`: ``--workers`` / ``--scheduler``);
    the numbers do not depend on it.

    Parameters
    ----------
    study
        The study.
    inputs
        Needs ``dem``, ``towers`` and ``border``; ``deaths`` (optional) choose the epochs,
        ``roads`` the destinations when ``destination = "roads"``.
    rng
        The hypothesis's generator (bootstrap and permutations).

    Returns
    -------
    Section
        Outcomes ``H3``, ``H3.slope``, ``H3.water_loss``, ``H3.<epoch start>`` and ``H3.fit`` (with
        remains); table ``h3_routes``
        (GeoDataFrame in EPSG:4326: origin, epoch_start, kind ``unconstrained``/``avoiding``,
        energy_kj, litres, length_m, straight_m, LineString).
    """
    why = missing(study, inputs, "dem", "towers", "border")
    if why is not None:
        return Section([Outcome.skipped("H3", _H3_NAME, why, role="descriptive")])
    dem = inputs.dem()
    dep = deployment(study, inputs.get("towers").frame, dem)
    n_origins = study.params.routes.origins
    destination = study.params.routes.destination  # both checked when the study was read
    avoidance = study.params.routes.avoidance
    origins = border_origins(usable(inputs.get("border").frame), dem, n_origins)
    if origins.shape[0] < 3 or dep.x.size == 0:
        return Section(
            [
                Outcome.skipped(
                    "H3",
                    _H3_NAME,
                    (
                        f"{origins.shape[0]} route origins on the border inside the DEM and {dep.x.size} usable sensors: "
                        "H3 needs at least 3 origins and 1 sensor; check that the border, towers and DEM overlap"
                    ),
                    role="descriptive",
                )
            ]
        )
    # epochs: those holding post-deployment remains, else the one in force at the study's end
    last = int(dep.epoch_of(np.array([np.datetime64(study.end, "D")]))[0])
    epochs = [last]
    records = None
    if inputs.get("deaths") is not None:
        records, _ = records_on_grid(study, inputs.get("deaths"), dem)
        record_epoch = dep.epoch_of(records["date"].to_numpy(dtype="datetime64[D]"))
        held = sorted({int(k) for k in record_epoch if k >= 0 and dep.active(int(k)).any()})
        epochs = held or epochs
    epochs = [k for k in epochs if k >= 0 and dep.active(k).any()]
    if not epochs:
        return Section([Outcome.skipped("H3", _H3_NAME, "no sensor is active in the study period", role="descriptive")])
    vs = viewshed_options(study)
    cov = epoch_coverage(dep, dem, epochs, **vs)
    params = walker(study)
    edge_row: int | None = None
    if destination == "roads":
        if inputs.get("roads") is None:
            return Section(
                [
                    Outcome.skipped(
                        "H3", _H3_NAME, missing(study, inputs, "roads") or "no roads layer", role="descriptive"
                    )
                ]
            )
        target: Any = usable(inputs.get("roads").frame).geometry
    else:
        target, edge_row = north_edge(dem)
        if edge_row is None:
            return Section([Outcome.skipped("H3", _H3_NAME, _no_north_edge(dem, study.bbox), role="descriptive")])
    origin_pts = gpd.GeoSeries(gpd.points_from_xy(origins[:, 0], origins[:, 1]), crs=dem.crs)
    # the air temperature of the water-loss model on the DEM (or why there is none): litres along the same routes
    try:
        temperature: RunTemperature | str = run_temperature(study, inputs, dem)
    except BorderscapeError as exc:
        temperature = f"The air temperature cannot be put on the DEM: {reason(exc)}"
    water_params = water_walker(study)

    def litres(geoms: list, params: dict[str, float] = water_params) -> np.ndarray:
        if isinstance(temperature, str):
            return np.full(len(geoms), np.nan)
        return np.array([route_litres(dem, g, temperature.grid, params) if g is not None else np.nan for g in geoms])

    # separate streams for the year-block interval of H3.fit and for the sensitivity variants:
    # spawning leaves rng's own draws (hence the main numbers) as they were
    block_rng, variant_rng = rng.spawn(2)

    # one task per cost surface on the run's executor: unconstrained, then one per epoch; then the
    # sensitivity variants (each walker: unconstrained and per epoch; each avoidance: per epoch)
    covered = {k: cov[k].array > 0 for k in epochs}
    plan = _variant_plan(study, params, avoidance) if study.params.routes.sensitivity else []
    items: list[tuple[Any, Any, dict[str, float]]] = [(None, avoidance, params)]
    items += [(covered[k], avoidance, params) for k in epochs]
    for _, p_v, a_v, own_free in plan:
        items += ([(None, a_v, p_v)] if own_free else []) + [(covered[k], a_v, p_v) for k in epochs]
    surfaces = iter(current().map(routes_under, items, dem=dem, target=target, origins=origin_pts))
    free, free_geoms = next(surfaces)
    main = [next(surfaces) for _ in epochs]
    variant_surfaces = []
    for name, p_v, a_v, own_free in plan:
        free_v = next(surfaces) if own_free else (free, free_geoms)
        variant_surfaces.append((name, p_v, a_v, free_v, {k: next(surfaces) for k in epochs}))

    avoiding: dict[int, list] = {}
    config = settings(study)
    confidence, n_perm = config["confidence"], config["permutations"]
    n_boot = study.params.displacement.bootstrap
    common = dict(
        origins=int(origins.shape[0]),
        destination=destination,
        **({"destination_row": edge_row} if edge_row is not None else {}),
        avoidance=avoidance,
        cost_model="pandolf",
        cost_parameters=params,
        units="kJ",
        sensors=int(dep.x.size),
        sensors_filled_from_defaults=dep.filled,
        sensors_left_out=dep.dropped,
        permutations=n_perm,
        bootstrap=n_boot,
        confidence=confidence,
    )
    rows: list[dict[str, Any]] = []

    def add_rows(kind: str, epoch_start: str, energy: np.ndarray, geoms: list, water: np.ndarray) -> None:
        for j, (e, g, w) in enumerate(zip(energy, geoms, water)):
            xy = shapely.get_coordinates(g) if g is not None else np.full((2, 2), np.nan)
            rows.append(
                {
                    "origin": j,
                    "epoch_start": epoch_start,
                    "kind": kind,
                    "energy_kj": e,
                    "litres": w,
                    "length_m": g.length if g is not None else np.nan,
                    "straight_m": float(np.hypot(*(xy[-1] - xy[0]))),
                    "geometry": g,
                }
            )

    free_litres = litres(free_geoms)
    avoid_litres: dict[int, np.ndarray] = {}
    add_rows("unconstrained", "", free, free_geoms, free_litres)
    outcomes: list[Outcome] = []
    per_epoch: dict[int, StatResult] = {}
    slopes: dict[int, StatResult] = {}
    for k, (avoid, avoid_geoms) in zip(epochs, main):
        avoiding[k] = avoid_geoms
        start = str(dep.changes[k])
        avoid_litres[k] = litres(avoid_geoms)
        add_rows("avoiding", start, avoid, avoid_geoms, avoid_litres[k])
        ok = _both(free, free_geoms, avoid)
        if ok.sum() < 3:
            outcomes.append(
                Outcome.skipped(
                    f"H3.{start}",
                    f"extra energy of avoiding coverage from {start}",
                    f"only {int(ok.sum())} origins have both routes (covered cells may cut "
                    "them off); lower [parameters.routes] avoidance",
                    role="descriptive",
                )
            )
            continue
        straight = (
            np.array(
                [
                    np.hypot(*(shapely.get_coordinates(g)[-1] - shapely.get_coordinates(g)[0]))
                    for g, good in zip(free_geoms, ok)
                    if good
                ]
            )
            / 1000.0
        )
        t = paired_tests(
            free[ok], avoid[ok], straight, permutations=n_perm, bootstrap=n_boot, confidence=confidence, seed=rng
        )
        extra = {
            **common,
            "epoch_start": start,
            "active_sensors": int(dep.active(k).sum()),
            "routes": int(ok.sum()),
            "mean_unconstrained_kj": float(free[ok].mean()),
            "mean_avoiding_kj": float(avoid[ok].mean()),
            "relative_extra": float(t["mean"] / free[ok].mean()) if free[ok].mean() > 0 else float("nan"),
            **_litres_beside(free_litres[ok], avoid_litres[k][ok]),
        }
        per_epoch[k] = StatResult(
            name=f"mean extra energy (kJ per route) of routes avoiding the coverage in force from {start}",
            estimate=t["mean"],
            ci=t["ci_mean"],
            p_value=t["p_mean"],
            n=int(ok.sum()),
            statistic=t["mean"],
            method=(
                f"least-energy routes (Dijkstra, {_walker_words(params)}) from the border, unconstrained vs "
                "with a cost multiplier on covered cells; paired sign-flip permutation test (Good 2005) and "
                "percentile bootstrap CI over routes"
            ),
            parameters=extra,
        )
        slopes[k] = StatResult(
            name=f"OLS slope of route energy on straight-line distance (kJ/km): avoiding {start} − unconstrained",
            estimate=t["slope_diff"],
            ci=t["ci_slope"],
            p_value=t["p_slope"],
            n=int(ok.sum()),
            statistic=t["slope_diff"],
            method=(
                "difference of ordinary least-squares slopes, paired bootstrap CI over routes, permutation of the "
                "avoid/free labels within routes"
            ),
            parameters={
                **extra,
                "slope_unconstrained_kj_per_km": t["slope_free"],
                "slope_avoiding_kj_per_km": t["slope_avoid"],
            },
        )
        outcomes.append(Outcome.ran(f"H3.{start}", per_epoch[k], role="descriptive", caveats=(_COUNTERFACTUAL,)))
    if per_epoch:
        latest = max(per_epoch)
        note = (
            f"the latest epoch holding remains (from {dep.changes[latest]}); avoiding coverage can only cost "
            "more energy, so this measures what avoidance would cost, not whether people avoided (see H3.fit)"
        )
        outcomes.insert(0, Outcome.ran("H3.slope", slopes[latest], reason=note, role="descriptive"))
        outcomes.insert(
            0,
            Outcome.ran(
                "H3",
                per_epoch[latest],
                name=_H3_NAME,
                reason=note,
                role="descriptive",
                sensitivity=tuple(
                    _extra_variant(name, free_v, avoid_v[latest], n_boot, confidence, variant_rng)
                    for name, _, _, free_v, avoid_v in variant_surfaces
                ),
                caveats=(_COUNTERFACTUAL,),
            ),
        )
    else:
        outcomes.insert(
            0,
            Outcome.skipped(
                "H3", _H3_NAME, "no epoch had enough routes; see the H3.<date> outcomes", role="descriptive"
            ),
        )
    if records is not None:
        fit = _FitData(study, dep, records, record_epoch, record_attributes(study, inputs.get("deaths"), dem, records))
        outcomes.append(
            _route_fit(
                fit,
                free_geoms,
                avoiding,
                variant_surfaces,
                n_perm,
                n_boot,
                confidence,
                rng,
                block_rng,
                variant_rng,
                common,
            )
        )
    # litres last: its generator is spawned after every other draw of H3, which it leaves as they were
    water = _water_outcome(
        study,
        temperature,
        per_epoch,
        dep,
        free_geoms,
        free,
        free_litres,
        {k: (avoid, avoid_litres[k], geoms) for k, (avoid, geoms) in zip(epochs, main)},
        lambda geoms, params: litres(geoms, params),
        n_perm,
        n_boot,
        confidence,
        rng.spawn(1)[0],
    )
    at = next((i + 1 for i, o in enumerate(outcomes) if o.id == "H3.slope"), len(outcomes))
    outcomes.insert(at, water)
    table = gpd.GeoDataFrame(rows, geometry="geometry", crs=dem.crs).to_crs("EPSG:4326")
    return Section(outcomes, tables={"h3_routes": table})


def _litres_beside(free: np.ndarray, avoid: np.ndarray) -> dict[str, float | None]:
    """The mean litres of the unconstrained and avoiding routes and the mean extra (None without a
    temperature), for the parameters of an energy result."""
    ok = np.isfinite(free) & np.isfinite(avoid)
    if not ok.any():
        return {"mean_unconstrained_litres": None, "mean_avoiding_litres": None, "mean_extra_litres": None}
    return {
        "mean_unconstrained_litres": float(free[ok].mean()),
        "mean_avoiding_litres": float(avoid[ok].mean()),
        "mean_extra_litres": float((avoid[ok] - free[ok]).mean()),
    }


def _water_outcome(
    study: Study,
    temperature: RunTemperature | str,
    per_epoch: dict[int, StatResult],
    dep: Deployment,
    free_geoms: list,
    free: np.ndarray,
    free_litres: np.ndarray,
    by_epoch: dict[int, tuple[np.ndarray, np.ndarray, list]],
    litres: Any,
    n_perm: int,
    n_boot: int,
    confidence: float,
    rng: np.random.Generator,
) -> Outcome:
    """``H3.water_loss``: the mean extra litres of sweat of the routes avoiding the coverage of the latest
    epoch of H3, over the same routes as the energy (paired sign-flip test and percentile bootstrap,
    as H3), with the weather variants of :data:`~borderscape.analyses.battery.h2_hardship.WATER_VARIANTS`
    along the same routes.  Descriptive, like H3."""
    if isinstance(temperature, str):
        return Outcome.skipped("H3.water_loss", _WATER_NAME, temperature, role="descriptive")
    if not per_epoch:
        return Outcome.skipped(
            "H3.water_loss", _WATER_NAME, "no epoch had enough routes; see the H3.<date> outcomes", role="descriptive"
        )
    latest = max(per_epoch)
    avoid, avoid_litres, avoid_geoms = by_epoch[latest]
    ok = _both(free, free_geoms, avoid) & np.isfinite(free_litres) & np.isfinite(avoid_litres)
    start = str(dep.changes[latest])
    if ok.sum() < 3:
        return Outcome.skipped(
            "H3.water_loss",
            _WATER_NAME,
            f"only {int(ok.sum())} routes have litres on both sides (cells without a temperature cut them)",
            role="descriptive",
        )
    straight = (
        np.array(
            [
                np.hypot(*(shapely.get_coordinates(g)[-1] - shapely.get_coordinates(g)[0]))
                for g in np.asarray(free_geoms, dtype=object)[ok]
            ]
        )
        / 1000.0
    )
    main_rng, variant_rng = rng.spawn(2)
    t = paired_tests(
        free_litres[ok],
        avoid_litres[ok],
        straight,
        permutations=n_perm,
        bootstrap=n_boot,
        confidence=confidence,
        seed=main_rng,
    )
    variants = []
    free_ok = [g for g, good in zip(free_geoms, ok) if good]
    avoid_ok = [g for g, good in zip(avoid_geoms, ok) if good]
    for (name, params), stream in zip(water_variants(study), variant_rng.spawn(max(len(water_variants(study)), 1))):
        a, b = litres(free_ok, params), litres(avoid_ok, params)
        delta = b - a
        boots = delta[stream.integers(0, delta.size, size=(n_boot, delta.size))].mean(axis=1)
        variants.append(
            Variant(
                f"weather: {name}",
                float(delta.mean()),
                ci=percentile_ci(boots, confidence),
                n=int(delta.size),
                note=f"the same routes; mean unconstrained route {a.mean():.2f} L",
            )
        )
    result = StatResult(
        name=f"mean extra sweat loss (litres per route) of routes avoiding the coverage in force from {start}",
        estimate=t["mean"],
        ci=t["ci_mean"],
        p_value=t["p_mean"],
        n=int(ok.sum()),
        statistic=t["mean"],
        method=(
            "the least-energy routes of H3 (unconstrained and avoiding coverage) measured in litres, move by move "
            f"(borderscape.geo.water.route_litres; {WATER_METHOD}); paired sign-flip permutation test (Good 2005) "
            "and percentile bootstrap CI over routes"
        ),
        parameters={
            "epoch_start": start,
            "routes": int(ok.sum()),
            "units": "L",
            "cost_model": "water",
            "cost_parameters": water_walker(study),
            "reference": get_model("water").reference,
            **_litres_beside(free_litres[ok], avoid_litres[ok]),
            "mean_extra_kj": float((avoid[ok] - free[ok]).mean()),
            "extra_litres_per_km_of_straight_line": t["slope_diff"],
            "permutations": n_perm,
            "bootstrap": n_boot,
            "confidence": confidence,
            **temperature.parameters(),
        },
    )
    return Outcome.ran(
        "H3.water_loss",
        result,
        name=_WATER_NAME,
        reason=(
            f"the latest epoch holding remains (from {start}), as H3; the routes are chosen for least energy: an "
            "avoiding route never costs less energy, but may cost fewer litres (over cooler ground)"
        ),
        role="descriptive",
        sensitivity=tuple(variants),
        caveats=(_COUNTERFACTUAL_LITRES, temperature.caveat),
    )


def _variant_plan(
    study: Study, params: dict[str, float], avoidance: float | str
) -> list[tuple[str, dict[str, float], float | str, bool]]:
    """The sensitivity variants of H3: (name, walker, avoidance, whether its unconstrained routes differ
    from the study's).  The walkers of :func:`~borderscape.analyses.routes.energy_variants` under the
    study's avoidance, then the study's walker under each strength of
    :data:`~borderscape.analyses.routes.VARIANT_AVOIDANCE` other than the study's."""
    out = [(name, p, avoidance, True) for name, p in energy_variants(study)]
    for a in VARIANT_AVOIDANCE:
        if a == avoidance or (a != "impassable" and avoidance != "impassable" and float(a) == float(avoidance)):
            continue
        label = "avoidance impassable (covered cells forbidden)" if a == "impassable" else f"avoidance {float(a):g}"
        out.append((label, params, a, False))
    return out


def _walker_words(params: dict[str, float]) -> str:
    """The cost model of ``params`` in words, with its references."""
    downhill = (
        "Santee 2001 downhill correction made continuous at zero grade"
        if params.get("continuous") == 1.0
        else "Santee 2001 downhill correction"
    )
    return (
        f"Pandolf 1977 with the {downhill}; η = {params['eta']:g}, {terrain_label(params['eta'])}, Soule & Goldman 1972"
    )


def _both(free: np.ndarray, free_geoms: list, avoid: np.ndarray) -> np.ndarray:
    """Origins whose unconstrained and avoiding routes both exist."""
    return np.isfinite(free) & np.isfinite(avoid) & np.array([g is not None for g in free_geoms], dtype=bool)


def _extra_variant(
    name: str,
    free_v: tuple[np.ndarray, list],
    avoid_v: tuple[np.ndarray, list],
    n_boot: int,
    confidence: float,
    rng: np.random.Generator,
) -> Variant:
    """H3 (mean extra energy of avoiding routes, latest epoch) under a variant: estimate and percentile
    bootstrap CI over routes."""
    (free, free_geoms), (avoid, _) = free_v, avoid_v
    ok = _both(free, free_geoms, avoid)
    if ok.sum() < 3:
        return Variant(name, None, n=int(ok.sum()), note=f"only {int(ok.sum())} origins have both routes")
    delta = avoid[ok] - free[ok]
    boots = delta[rng.integers(0, delta.size, size=(n_boot, delta.size))].mean(axis=1)
    return Variant(
        name,
        float(delta.mean()),
        ci=percentile_ci(boots, confidence),
        n=int(ok.sum()),
        note=f"mean unconstrained route {free[ok].mean():.0f} kJ",
    )


def _no_north_edge(dem: Raster, bbox: tuple[float, ...]) -> str:
    """Why H3 has no north-edge destination: the DEM holds no valid cell in any row."""
    rows, cols = dem.shape
    box = ",".join(f"{v:g}" for v in bbox)
    return (
        f"the elevation model (role dem, {rows} × {cols} cells of {dem.res[0]:g} m in {dem.crs}) holds no valid cell "
        "in any row, so routes have no north-edge destination. To run it: give a finer DEM that covers the study "
        f"area with `--dem FILE`, e.g. from `borderscape fetch dem-copernicus --bbox {box}`, or set "
        '[parameters.routes] destination = "roads"'
    )


@dataclass(frozen=True)
class _FitData:
    """What H3.fit reads besides the routes: the records on the grid, their epochs and attributes."""

    study: Study
    dep: Deployment
    records: pd.DataFrame
    record_epoch: np.ndarray
    attributes: pd.DataFrame


def _fit_design(
    fit: _FitData, free_geoms: list, avoiding: dict[int, list]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Any] | str:
    """The records H3.fit compares and their values: (values of the kept records, background flags,
    column of each kept record, which records are kept, the day the first sensor became active), or
    why it cannot run."""
    min_bg = fit.study.params.displacement.min_background
    dep = fit.dep
    active_any = np.array([dep.active(k).any() for k in range(len(dep.changes))], dtype=bool)
    first = dep.changes[np.argmax(active_any)]
    dates = fit.records["date"].to_numpy(dtype="datetime64[D]")
    pre = dates < first
    routed = [k for k, geoms in avoiding.items() if any(g is not None for g in geoms)]
    post = ~pre & np.isin(fit.record_epoch, routed)
    keep = pre | post
    if pre.sum() < min_bg or post.sum() < 1 or all(g is None for g in free_geoms):
        return (
            f"{int(pre.sum())} remains before the first sensor became active ({first}) and {int(post.sum())} after; "
            f"the test needs at least {min_bg} before ([parameters.displacement] min_background) and 1 after"
        )
    pts = shapely.points(fit.records["x"].to_numpy()[keep], fit.records["y"].to_numpy()[keep])
    d_free = distance_to_lines(pts, free_geoms)
    epochs = sorted(routed)
    values = np.column_stack([d_free - distance_to_lines(pts, avoiding[k]) for k in epochs])
    col = {k: j for j, k in enumerate(epochs)}
    column_of = np.full(int(keep.sum()), -1)
    column_of[~pre[keep]] = [col[int(k)] for k in fit.record_epoch[keep][~pre[keep]]]
    return values, pre[keep], column_of, keep, first


def _fit_effect(o: float, e: float, n: int) -> float:
    return (o - e) / n


def _route_fit(
    fit: _FitData,
    free_geoms: list,
    avoiding: dict[int, list],
    variant_surfaces: list[tuple[str, dict[str, float], Any, tuple[np.ndarray, list], dict[int, Any]]],
    n_perm: int,
    n_boot: int,
    confidence: float,
    rng: np.random.Generator,
    block_rng: np.random.Generator,
    variant_rng: np.random.Generator,
    common: dict[str, Any],
) -> Outcome:
    """H3.fit: are remains after deployment nearer the avoiding routes than the background is?"""
    name = "remains after deployment lie nearer the routes that avoid coverage than remains before it (m)"
    design = _fit_design(fit, free_geoms, avoiding)
    if isinstance(design, str):
        return Outcome.skipped("H3.fit", name, design)
    values, pre, column_of, keep, first = design
    dates = fit.records["date"].to_numpy(dtype="datetime64[D]")
    years = pd.DatetimeIndex(dates[keep]).year.to_numpy()
    test: dict[str, Any] = dict(
        alternative="greater", effect=_fit_effect, permutations=n_perm, bootstrap=n_boot, confidence=confidence
    )
    r = background_estimate(values, pre, column_of, years, rng=rng, block_rng=block_rng, **test)
    attributes = fit.attributes[keep].reset_index(drop=True)
    variants = [
        Variant(
            "record-level bootstrap interval (records independent)",
            r.estimate,
            ci=r.ci_records,
            n=r.n,
            p_value=r.p_value,
            note="the interval if every record were found independently of the others",
        ),
        *subset_variants(
            values,
            pre,
            column_of,
            years,
            attributes,
            min_background=fit.study.params.displacement.min_background,
            short_days=fit.study.params.hardship.short_pmi_days,
            rng=variant_rng,
            **test,
        ),
    ]
    for v_name, _, _, (_, free_v), avoid_v in variant_surfaces:
        d_v = _fit_design(fit, free_v, {k: geoms for k, (_, geoms) in avoid_v.items()})
        if isinstance(d_v, str):
            variants.append(Variant(v_name, None, note=f"not computed: {d_v}"))
            continue
        values_v, pre_v, column_v, keep_v, _ = d_v
        years_v = pd.DatetimeIndex(dates[keep_v]).year.to_numpy()
        r_v = background_estimate(values_v, pre_v, column_v, years_v, rng=variant_rng, **test)
        variants.append(Variant(v_name, r_v.estimate, ci=r_v.ci, n=r_v.n, p_value=r_v.p_value))
    n_pre = int(pre.sum())
    return Outcome.ran(
        "H3.fit",
        StatResult(
            name=name,
            estimate=r.estimate,
            ci=r.ci,
            p_value=r.p_value,
            n=r.n,
            statistic=r.o - r.e,
            method=(
                "mean over post-deployment remains of (distance to the nearest unconstrained route − distance to the "
                "nearest route avoiding the coverage of its epoch), minus the same for pre-deployment remains; "
                "one-sided permutation test of locations between the two groups (Good 2005); year-block percentile "
                "bootstrap CI, whole calendar years resampled within each group (Davison & Hinkley 1997, §3.8); "
                f"routes: {_walker_words(common['cost_parameters'])}"
            ),
            parameters={
                **common,
                "background_records": n_pre,
                "alternative": "greater",
                "first_sensor_active": str(first),
                "units": "m",
                "ci_records": list(r.ci_records),
                "year_clusters": r.clusters,
                "ci_finite_resamples": r.finite,
            },
        ),
        role="secondary",
        sensitivity=tuple(variants),
        composition=composition(attributes[pre], attributes[~pre], COMPOSITION),
        caveats=(*r.caveats(), *shock_caveats(fit.study, first)),
    )
