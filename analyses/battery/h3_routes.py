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
Pandolf et al. 1977 with the Santee et al. 2001 downhill correction; parameters from
``[parameters.cost]``) without surveillance, and once per epoch (of those holding remains,
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

``H3.fit`` is the testable counterpart: did people take the avoiding routes?  For every
remains record, v = (distance to the nearest unconstrained route) − (distance to the nearest
route avoiding the coverage of the record's epoch), metres; positive when it lies nearer the
avoiding routes.  Estimate: the mean v of post-deployment remains minus the mean v that the
pre-deployment remains (the background) have under the same epochs' routes, i.e. (O − E)/n
with O and E as in ``H1``; p-value: the same one-sided permutation test of locations
(alternative "greater"); CI: the same separate bootstrap.

Nothing here forecasts crossings or ranks places: every computation is about past epochs.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderscape.analyses.battery.common import (
    Section,
    missing,
    pandolf_params,
    records_on_grid,
    settings,
    viewshed_options,
)
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome, StatResult
from borderscape.analyses.routes import (
    border_origins,
    distance_to_lines,
    least_energy_routes,
    north_edge,
)
from borderscape.analyses.sensors import Deployment, deployment, epoch_coverage
from borderscape.analyses.stats.tests import background_test, paired_tests
from borderscape.analyses.study import Study
from borderscape.geo.parallel import current
from borderscape.geo.raster import Raster
from borderscape.layers.quality import usable

__all__ = ["h3_routes"]

_H3_NAME = "H3 routes: extra energy of routes that avoid the coverage of active sensors"


def h3_routes(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """H3 routes: how much more energy do routes that avoid active coverage cost?

    The method and its formulas are in the module docstring.  Study parameters read:
    ``[parameters.routes] origins`` (25), ``destination`` (``"north_edge"`` or ``"roads"``),
    ``avoidance`` (2, or ``"impassable"``); ``[parameters.cost]`` (Pandolf W, L, V, η, also
    under the names body_mass_kg, load_kg, speed_m_s, terrain_factor);
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
        Outcomes ``H3``, ``H3.slope``, ``H3.<epoch start>`` and ``H3.fit`` (with remains);
        table ``h3_routes``
        (GeoDataFrame in EPSG:4326: origin, epoch_start, kind ``unconstrained``/``avoiding``,
        energy_kj, length_m, straight_m, LineString).
    """
    why = missing(study, inputs, "dem", "towers", "border")
    if why is not None:
        return Section([Outcome.skipped("H3", _H3_NAME, why)])
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
        return Section([Outcome.skipped("H3", _H3_NAME, "no sensor is active in the study period")])
    vs = viewshed_options(study)
    cov = epoch_coverage(dep, dem, epochs, **vs)
    params = pandolf_params(study)
    edge_row: int | None = None
    if destination == "roads":
        if inputs.get("roads") is None:
            return Section([Outcome.skipped("H3", _H3_NAME, missing(study, inputs, "roads") or "no roads layer")])
        target: Any = usable(inputs.get("roads").frame).geometry
    else:
        target, edge_row = north_edge(dem)
        if edge_row is None:
            return Section([Outcome.skipped("H3", _H3_NAME, _no_north_edge(dem, study.bbox))])
    origin_pts = gpd.GeoSeries(gpd.points_from_xy(origins[:, 0], origins[:, 1]), crs=dem.crs)

    # one task per cost surface (unconstrained, then one per epoch), on the run's executor
    # float32, as accumulated_cost reads multipliers: half the bytes sent to workers, same numbers
    mults = [None] + [
        np.where(cov[k].array > 0, np.nan if avoidance == "impassable" else float(avoidance), 1.0).astype(np.float32)
        for k in epochs
    ]
    surfaces = current().map(least_energy_routes, mults, dem=dem, target=target, params=params, origins=origin_pts)
    free, free_geoms = surfaces[0]
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

    def add_rows(kind: str, epoch_start: str, energy: np.ndarray, geoms: list) -> None:
        for j, (e, g) in enumerate(zip(energy, geoms)):
            xy = shapely.get_coordinates(g) if g is not None else np.full((2, 2), np.nan)
            rows.append(
                {
                    "origin": j,
                    "epoch_start": epoch_start,
                    "kind": kind,
                    "energy_kj": e,
                    "length_m": g.length if g is not None else np.nan,
                    "straight_m": float(np.hypot(*(xy[-1] - xy[0]))),
                    "geometry": g,
                }
            )

    add_rows("unconstrained", "", free, free_geoms)
    outcomes: list[Outcome] = []
    per_epoch: dict[int, StatResult] = {}
    slopes: dict[int, StatResult] = {}
    for k, (avoid, avoid_geoms) in zip(epochs, surfaces[1:]):
        avoiding[k] = avoid_geoms
        start = str(dep.changes[k])
        add_rows("avoiding", start, avoid, avoid_geoms)
        ok = np.isfinite(free) & np.isfinite(avoid) & np.array([g is not None for g in free_geoms])
        if ok.sum() < 3:
            outcomes.append(
                Outcome.skipped(
                    f"H3.{start}",
                    f"extra energy of avoiding coverage from {start}",
                    f"only {int(ok.sum())} origins have both routes (covered cells may cut "
                    "them off); lower [parameters.routes] avoidance",
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
        }
        per_epoch[k] = StatResult(
            name=f"mean extra energy (kJ per route) of routes avoiding the coverage in force from {start}",
            estimate=t["mean"],
            ci=t["ci_mean"],
            p_value=t["p_mean"],
            n=int(ok.sum()),
            statistic=t["mean"],
            method=(
                "least-energy routes (Dijkstra, Pandolf 1977 with Santee 2001) from the border, unconstrained vs "
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
        outcomes.append(Outcome.ran(f"H3.{start}", per_epoch[k]))
    if per_epoch:
        latest = max(per_epoch)
        note = (
            f"the latest epoch holding remains (from {dep.changes[latest]}); avoiding coverage can only cost "
            "more energy, so this measures what avoidance would cost, not whether people avoided (see H1)"
        )
        outcomes.insert(0, Outcome.ran("H3.slope", slopes[latest], reason=note))
        outcomes.insert(0, Outcome.ran("H3", per_epoch[latest], name=_H3_NAME, reason=note))
    else:
        outcomes.insert(0, Outcome.skipped("H3", _H3_NAME, "no epoch had enough routes; see the H3.<date> outcomes"))
    if records is not None:
        outcomes.append(
            _route_fit(study, dep, records, record_epoch, free_geoms, avoiding, n_perm, n_boot, confidence, rng, common)
        )
    table = gpd.GeoDataFrame(rows, geometry="geometry", crs=dem.crs).to_crs("EPSG:4326")
    return Section(outcomes, tables={"h3_routes": table})


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


def _route_fit(
    study: Study,
    dep: Deployment,
    records: pd.DataFrame,
    record_epoch: np.ndarray,
    free_geoms: list,
    avoiding: dict[int, list],
    n_perm: int,
    n_boot: int,
    confidence: float,
    rng: np.random.Generator,
    common: dict[str, Any],
) -> Outcome:
    """H3.fit: are remains after deployment nearer the avoiding routes than the background is?"""
    name = "remains after deployment lie nearer the routes that avoid coverage than remains before it (m)"
    min_bg = study.params.displacement.min_background
    active_any = np.array([dep.active(k).any() for k in range(len(dep.changes))], dtype=bool)
    first = dep.changes[np.argmax(active_any)]
    dates = records["date"].to_numpy(dtype="datetime64[D]")
    pre = dates < first
    routed = [k for k, geoms in avoiding.items() if any(g is not None for g in geoms)]
    post = ~pre & np.isin(record_epoch, routed)
    keep = pre | post
    if pre.sum() < min_bg or post.sum() < 1:
        return Outcome.skipped(
            "H3.fit",
            name,
            (
                f"{int(pre.sum())} remains before the first sensor became active ({first}) and {int(post.sum())} after; "
                f"the test needs at least {min_bg} before ([parameters.displacement] min_background) and 1 after"
            ),
        )
    pts = shapely.points(records["x"].to_numpy()[keep], records["y"].to_numpy()[keep])
    d_free = distance_to_lines(pts, free_geoms)
    epochs = sorted(routed)
    values = np.column_stack([d_free - distance_to_lines(pts, avoiding[k]) for k in epochs])
    col = {k: j for j, k in enumerate(epochs)}
    post_col = np.array([col[int(k)] for k in record_epoch[keep][~pre[keep]]])
    o, e, ci, p = background_test(
        values,
        pre[keep],
        post_col,
        permutations=n_perm,
        bootstrap=n_boot,
        confidence=confidence,
        seed=rng,
        alternative="greater",
        effect=lambda o_, e_, n_: (o_ - e_) / n_,
    )
    n_post = int(post.sum())
    return Outcome.ran(
        "H3.fit",
        StatResult(
            name=name,
            estimate=(o - e) / n_post,
            ci=ci,
            p_value=p,
            n=n_post,
            statistic=o - e,
            method=(
                "mean over post-deployment remains of (distance to the nearest unconstrained route − distance to the "
                "nearest route avoiding the coverage of its epoch), minus the same for pre-deployment remains; "
                "one-sided permutation test of locations between the two groups (Good 2005); percentile bootstrap"
            ),
            parameters={
                **common,
                "background_records": int(pre.sum()),
                "alternative": "greater",
                "first_sensor_active": str(first),
                "units": "m",
            },
        ),
    )
