"""H1 coverage displacement and H3 routes: does surveillance push remains and routes away?

After Chambers, Boyce, Launius & Dinsmore (2019), "Mortality, surveillance and the tertiary
'funnel effect' on the U.S.–Mexico border", J. Borderlands Studies 36(3).  Both hypotheses
need the remains (``deaths``), the sensors (``towers``) and an elevation model (``dem``); H3
also uses the ``border`` (origins of routes) and, optionally, the ``roads`` (destinations).

Sensors and epochs
------------------
Point sensors (``towers``; rows quarantined by the ingest are left out) are placed on the DEM
grid.  A sensor's missing ``height_m``, ``range_m`` or ``active_from`` is filled from the
study's defaults for its kind (``[sensors.<KIND>]``; which were filled is recorded in the
outcomes' parameters); a sensor still lacking one, lying off the DEM or not a point is left
out and counted.  A sensor is active on day d when ``active_from ≤ d < active_to`` (NaT:
open-ended).  The *epochs* are the intervals between consecutive dates at which the active set
changes; coverage (how many active sensors see a cell, target 1.7 m or
``[parameters.viewshed] target_height_m``, :func:`borderscape.geo.viewshed.coverage_epochs`)
is computed for all the epochs needed at once: every sensor's viewshed is computed once and
added to each epoch it is active in, whatever the number of epochs and records.

H1 — remains inside coverage
----------------------------
Each usable remains record with a date in the study period, on a valid DEM cell, gets the
flag c_i = 1 when the cell it lies in is seen by at least one sensor active on its date.
Records dated before the first sensor became active are the *background* (pre-deployment
remains); the later ones are *post-deployment*.

``H1`` (the headline; a background-points test).  For post-deployment records, O = Σ c_i is
compared with E = Σ_i ê_{k(i)}, where ê_k is the share of background records that lie inside
the coverage of epoch k(i) of record i: the share expected if surveillance had not moved
where people died.  Estimate: relative displacement O/E − 1 (negative: fewer remains inside
coverage than expected).  p-value: a one-sided (fewer) permutation test of the locations
between background and post-deployment records, keeping every record's date, hence epoch
(exact under the null that the locations of remains are exchangeable over time; Good 2005,
*Permutation, Parametric and Bootstrap Tests of Hypotheses*, ch. 3).  CI: percentile
bootstrap resampling background and post-deployment records separately (Efron & Tibshirani
1993, ch. 13).  It needs ``[parameters.displacement] min_background`` (default 10)
background records.

``H1.area`` (the area-share test).  Expected share e_i = the covered share of the corridor
at record i's date, the corridor being the DEM's valid cells.  Under the null the flags are
independent, c_i ~ Bernoulli(e_i), so O follows a Poisson-binomial distribution whose
probabilities are computed exactly by dynamic programming (:func:`poisson_binomial_pmf`);
p = P(X ≤ O) (one-sided, fewer).  Estimate O/E − 1; CI: percentile bootstrap over records.
This test assumes that, without surveillance, remains would be spread evenly over the
corridor; they are not (they gather along routes, and near roads where bodies are found), so
it rejects too often when that assumption fails: in 200 simulated null worlds (α = 0) it
rejected at the 5 % level in 14.5 % of them, against 4.5 % for ``H1``
(``benchmarks/calibrate_funnel_displacement.py``).  Prefer ``H1``; ``H1.area`` is a context result
(:func:`~borderscape.analyses.funnel.tier`).

``H1.before.<date>`` / ``H1.after.<date>`` (one pair per study intervention).  The coverage
C_T of the sensors active on the last day before the next intervention (or the study's end);
the records of the interval before the intervention (since the previous one or the study's
start) and of the interval after it, each tested like ``H1.area`` against the covered share
of C_T (a binomial test: e is constant).  ``before`` is a placebo level: where remains were
found, relative to the coverage that was about to come.

``H1.cross_k``.  Cross-L function between the post-deployment remains and the sensors active
at the end of the study period (:func:`borderscape.analyses.pointpattern.cross_l`, Lotwick &
Silverman 1982), with a global maximum-deviation envelope test (Myllymäki et al. 2017): the
null is random labelling of the pooled background and post-deployment remains (are remains
after deployment placed relative to the sensors like those before?), or complete spatial
randomness of the remains in the DEM's bounding rectangle when there are too few background
records.  Alternative: "less" (remains farther from sensors than the null).

H3 — routes that avoid coverage
-------------------------------
``[parameters.routes]``: ``origins`` (default 25) points evenly spaced along the border
(at (j + ½)/n of its length; those off the DEM are dropped), ``destination`` —
``"north_edge"`` (default: the valid cells of the DEM's top row) or ``"roads"`` (every cell a
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

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderscape.analyses.funnel import Outcome, Section
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.pointpattern import CSR, RandomLabelling, cross_l, envelope
from borderscape.analyses.results import StatResult
from borderscape.analyses.study import Study
from borderscape.geo.costdistance import accumulated_cost, least_cost_paths
from borderscape.geo.costmodels import get_model
from borderscape.geo.parallel import current
from borderscape.geo.raster import Raster
from borderscape.geo.nearest import nearest
from borderscape.geo.viewshed import coverage_epochs
from borderscape.layers.quality import usable

#: How to supply the layers that a study's own files rarely hold, keyed by role: (flag, remedy).
REMEDIES = {
    "towers": ("--towers", "pass a tower file with `--towers FILE` (e.g. EFF's Atlas of Surveillance border-tower "
                           "CSV, with longitude/latitude, kind and dates), or name one under [layers] towers"),
    "dem": ("--dem", "pass an elevation model with `--dem FILE` (a GeoTIFF: Copernicus GLO-90 via "
                     "`borderscape fetch dem-copernicus --bbox W,S,E,N`, or USGS 3DEP), or name one under [layers] dem"),
}
_H1_NAME = "H1 coverage displacement: remains inside the coverage of active sensors, against the share expected"
_H3_NAME = "H3 routes: extra energy of routes that avoid the coverage of active sensors"
_PANDOLF_ALIASES = {"body_mass_kg": "W", "load_kg": "L", "speed_m_s": "V", "terrain_factor": "eta"}


# -- the Poisson-binomial test -------------------------------------------------------------
def poisson_binomial_pmf(p: np.ndarray) -> np.ndarray:
    """Exact distribution of the number of successes of independent Bernoulli(pᵢ) trials.

    P(X = k) by the recursion over trials f_{i}(k) = f_{i−1}(k)(1 − pᵢ) + f_{i−1}(k − 1)pᵢ
    (Chen & Liu 1997, Statistica Sinica 7, 875–892), O(n²) operations.

    Parameters
    ----------
    p
        Success probabilities in [0, 1].

    Returns
    -------
    numpy.ndarray
        n + 1 probabilities P(X = 0) … P(X = n).
    """
    p = np.asarray(p, dtype=np.float64)
    pmf = np.zeros(p.size + 1)
    pmf[0] = 1.0
    for i, pi in enumerate(p):
        pmf[1:i + 2] = pmf[1:i + 2] * (1.0 - pi) + pmf[0:i + 1] * pi
        pmf[0] *= 1.0 - pi
    return pmf


def poisson_binomial_p_value(observed: int, p: np.ndarray, *, alternative: str = "less") -> float:
    """p-value of ``observed`` successes under independent Bernoulli(pᵢ) trials.

    ``less``: P(X ≤ observed); ``greater``: P(X ≥ observed); ``two-sided``: the sum of
    P(X = k) over every k no more likely than ``observed`` (relative tolerance 1e-7), the
    rule of :func:`scipy.stats.binomtest`, to which it reduces when all pᵢ are equal.

    Parameters
    ----------
    observed
        Number of successes (e.g. remains inside coverage).
    p
        Success probability of each trial (e.g. the covered share at each record's date).
    alternative
        ``less``, ``greater`` or ``two-sided``.
    """
    pmf = poisson_binomial_pmf(p)
    k = int(observed)
    if alternative == "less":
        value = pmf[:k + 1].sum()
    elif alternative == "greater":
        value = pmf[k:].sum()
    elif alternative == "two-sided":
        value = pmf[pmf <= pmf[k] * (1.0 + 1e-7)].sum()
    else:
        raise ValueError(f"unknown alternative {alternative!r}")
    return float(min(1.0, value))


# -- sensors and epochs ----------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Deployment:
    """Sensors on the DEM grid and the epochs of their coverage.

    Attributes
    ----------
    x, y, height, range_
        Sensor positions (m, the DEM's CRS), heights and ranges (m).
    active_from, active_to
        datetime64[D] (NaT open-ended).
    changes
        datetime64[D] dates at which the active set changes, ascending: epoch k runs from
        ``changes[k]`` to the day before ``changes[k + 1]``.
    filled
        ``{"height_m": n, "range_m": n, "active_from": n}`` sensors given the kind's default.
    dropped
        Reason → number of sensors left out.
    """

    x: np.ndarray
    y: np.ndarray
    height: np.ndarray
    range_: np.ndarray
    active_from: np.ndarray
    active_to: np.ndarray
    changes: np.ndarray
    filled: dict[str, int]
    dropped: dict[str, int]

    def epoch_of(self, dates: np.ndarray) -> np.ndarray:
        """Epoch index of each date (−1 before the first change)."""
        return np.searchsorted(self.changes, np.asarray(dates, dtype="datetime64[D]"), side="right") - 1

    def active(self, k: int) -> np.ndarray:
        """Boolean mask of the sensors active in epoch ``k`` (none for k < 0)."""
        if k < 0:
            return np.zeros(self.x.size, dtype=bool)
        d = self.changes[k]
        return (self.active_from <= d) & (np.isnat(self.active_to) | (d < self.active_to))


def deployment(study: Study, towers: pd.DataFrame, dem: Raster) -> Deployment:
    """Place the usable point sensors on the DEM grid, filling gaps from the study's defaults.

    Parameters
    ----------
    study
        Supplies the defaults per sensor kind (``study.sensors``).
    towers
        The ``towers`` layer's frame (SENSORS schema, any CRS).
    dem
        The grid (projected CRS, metres).

    Returns
    -------
    Deployment
    """
    frame = usable(towers)
    dropped: dict[str, int] = {}
    geom = frame.geometry
    is_point = ~(geom.isna() | geom.is_empty) & (geom.geom_type == "Point")
    if (~is_point).any():
        dropped["not a point"] = int((~is_point).sum())
    frame = frame[is_point.to_numpy()]
    pts = frame.geometry.to_crs(dem.crs)
    defaults = {k.lower(): v for k, v in study.sensors.items()}
    kinds = frame["kind"].astype("string").fillna("").str.lower().to_numpy()
    values = {}
    filled = {}
    for column, attr in (("height_m", "height_m"), ("range_m", "range_m"), ("active_from", "active_from")):
        if column == "active_from":
            own = frame[column].to_numpy(dtype="datetime64[D]")
            fill = np.array([np.datetime64(defaults[k].active_from, "D") if k in defaults and defaults[k].active_from
                             else np.datetime64("NaT", "D") for k in kinds], dtype="datetime64[D]")
            missing = np.isnat(own)
        else:
            own = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
            fill = np.array([getattr(defaults[k], attr) if k in defaults else np.nan for k in kinds], dtype=np.float64)
            missing = np.isnan(own)
        values[column] = np.where(missing, fill, own)
        filled[column] = int((missing & ~(np.isnat(fill) if column == "active_from" else np.isnan(fill))).sum())
    x, y = pts.x.to_numpy(), pts.y.to_numpy()
    r, c = dem.rowcol(x, y)
    on_grid = (r >= 0) & (r < dem.shape[0]) & (c >= 0) & (c < dem.shape[1])
    on_grid[on_grid] = dem.valid_mask()[r[on_grid], c[on_grid]]
    complete = ~(np.isnan(values["height_m"]) | np.isnan(values["range_m"]) | (values["range_m"] <= 0)
                 | np.isnat(values["active_from"]))
    if (~complete).any():
        dropped["no height, range or start date, and no default for its kind"] = int((~complete).sum())
    if (complete & ~on_grid).any():
        dropped["outside the DEM"] = int((complete & ~on_grid).sum())
    keep = complete & on_grid
    a_from = values["active_from"][keep]
    a_to = frame["active_to"].to_numpy(dtype="datetime64[D]")[keep]
    changes = np.unique(np.concatenate([a_from, a_to[~np.isnat(a_to)]]))
    return Deployment(x=x[keep], y=y[keep], height=values["height_m"][keep], range_=values["range_m"][keep],
                      active_from=a_from, active_to=a_to, changes=changes, filled=filled, dropped=dropped)


def epoch_coverage(dep: Deployment, dem: Raster, epochs: list[int], *, target_height: float = 1.7,
                   curvature: bool = True, refraction: float = 0.13) -> dict[int, Raster]:
    """Coverage count (active sensors that see each cell) for the requested epochs.

    One call of :func:`borderscape.geo.viewshed.coverage_epochs` (heights, ranges and target
    height in metres; curvature and refraction as there): each sensor's viewshed is computed
    once and added to every requested epoch it is active in.

    Returns
    -------
    dict
        Epoch → int32 :class:`Raster` on the DEM grid (epochs < 0 have zero coverage).
    """
    wanted = sorted(set(epochs))
    active = np.stack([dep.active(k) for k in wanted], axis=1) if wanted else np.zeros((dep.x.size, 0), bool)
    counts = coverage_epochs(dem, dep.x, dep.y, dep.height, dep.range_, active, target_height=target_height,
                             curvature=curvature, refraction=refraction)
    return {k: dem.with_array(counts[j], nodata=None) for j, k in enumerate(wanted)}


# -- H1 ---------------------------------------------------------------------------------------
def _missing_reason(inputs: StudyInputs, roles: tuple[str, ...]) -> str | None:
    """The study's reasons for the missing roles, plus the command-line remedy when they lack it."""
    reason = inputs.why_missing(*roles)
    if reason is None:
        return None
    extra = [REMEDIES[r][1] for r in roles if inputs.get(r) is None and r in REMEDIES and REMEDIES[r][0] not in reason]
    return reason if not extra else reason + " To run it: " + "; ".join(extra) + "."


def _viewshed_options(study: Study) -> dict[str, Any]:
    """Target height (m), curvature and refraction from ``[parameters.viewshed]``."""
    return dict(target_height=float(study.parameter("viewshed", "target_height_m", 1.7)),
                curvature=bool(study.parameter("viewshed", "curvature", True)),
                refraction=float(study.parameter("viewshed", "refraction", 0.13)))


def _records(study: Study, deaths: pd.DataFrame, dem: Raster) -> tuple[pd.DataFrame, dict[str, int]]:
    """Usable remains with a date in the study period on a valid DEM cell: date, x, y, row, col."""
    frame = usable(deaths)
    notes: dict[str, int] = {"records": len(deaths), "quarantined": len(deaths) - len(frame)}
    geom = frame.geometry
    ok = ~(geom.isna() | geom.is_empty).to_numpy() & frame["date"].notna().to_numpy()
    notes["no date or location"] = int((~ok).sum())
    frame = frame[ok]
    pts = frame.geometry.to_crs(dem.crs)
    x, y = pts.x.to_numpy(), pts.y.to_numpy()
    date = frame["date"].to_numpy(dtype="datetime64[D]")
    start, end = np.datetime64(study.start, "D"), np.datetime64(study.end, "D")
    in_period = (date >= start) & (date <= end)
    notes["outside the study period"] = int((~in_period).sum())
    r, c = dem.rowcol(x, y)
    on = (r >= 0) & (r < dem.shape[0]) & (c >= 0) & (c < dem.shape[1])
    on[on] = dem.valid_mask()[r[on], c[on]]
    notes["outside the DEM"] = int((in_period & ~on).sum())
    keep = in_period & on
    out = pd.DataFrame({"date": date[keep], "x": x[keep], "y": y[keep], "row": r[keep], "col": c[keep]})
    out = out.sort_values(["date", "x", "y"], kind="stable").reset_index(drop=True)
    notes["used"] = len(out)
    return out, notes


def _ratio(o: float, e: float) -> float:
    return o / e - 1.0 if e > 0 else float("nan")


def _percentile_ci(draws: np.ndarray, confidence: float) -> tuple[float, float]:
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return (float("nan"), float("nan"))
    q = (1.0 - confidence) / 2.0
    return (float(np.quantile(draws, q)), float(np.quantile(draws, 1.0 - q)))


def _background_test(values: np.ndarray, pre: np.ndarray, post_col: np.ndarray, n_perm: int, n_boot: int,
                     confidence: float, rng: np.random.Generator, *, alternative: str,
                     effect: Callable[[float, float, int], float]) -> tuple[float, float, tuple[float, float], float]:
    """Post-deployment records against background records, by permutation of locations.

    ``values``: (records, columns) value of every record's location under every epoch column
    (coverage flags for H1); ``pre``: background rows; ``post_col``: the column of each
    post-deployment row (the rows not in ``pre``, in order).  O = Σ post values in their own
    column; E = Σ over post rows of the background mean of that column.  The p-value permutes
    the locations between background and post rows, keeping every row's column (Good 2005):
    ``less`` counts permuted O − E ≤ observed, ``greater`` ≥.  The CI is the percentile
    bootstrap of ``effect(O, E, n_post)``, resampling both groups separately.

    Returns
    -------
    tuple
        O, E, CI, p-value.
    """
    post_rows = np.flatnonzero(~pre)
    pre_rows = np.flatnonzero(pre)
    cols = np.asarray(post_col)

    def o_e(pre_idx: np.ndarray, post_idx: np.ndarray, post_cols: np.ndarray) -> tuple[float, float]:
        return float(values[post_idx, post_cols].sum()), float(values[pre_idx].mean(axis=0)[post_cols].sum())

    o, e = o_e(pre_rows, post_rows, cols)
    n0, pool = pre_rows.size, np.concatenate([pre_rows, post_rows])
    perm = np.empty(n_perm)
    for b in range(n_perm):
        shuffled = rng.permutation(pool)  # locations move between records; each record keeps its epoch
        po, pe = o_e(shuffled[:n0], shuffled[n0:], cols)
        perm[b] = po - pe
    tol = 1e-9 * max(1.0, abs(o - e))
    hits = perm <= (o - e) + tol if alternative == "less" else perm >= (o - e) - tol
    p_value = float((1 + np.count_nonzero(hits)) / (n_perm + 1))
    boots = np.empty(n_boot)
    for b in range(n_boot):
        j = rng.integers(0, post_rows.size, post_rows.size)  # a record keeps its location and epoch
        bo, be = o_e(rng.choice(pre_rows, n0), post_rows[j], cols[j])
        boots[b] = effect(bo, be, post_rows.size)
    return o, e, _percentile_ci(boots, confidence), p_value


def h1_coverage(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """H1 coverage displacement: fewer remains inside active coverage than expected?

    The tests and their formulas are in the module docstring.  Study parameters read:
    ``[parameters.statistics] permutations`` (default 999) and ``confidence`` (0.95),
    ``[parameters.viewshed] target_height_m``, ``curvature``, ``refraction``, and
    ``[parameters.displacement] min_background`` (10), ``bootstrap`` (999), ``radii_m`` (the
    cross-L radii, metres; default 10 radii up to a quarter of the DEM's shorter side).

    Parameters
    ----------
    study
        The study (period, interventions, sensor defaults, parameters).
    inputs
        Needs ``deaths``, ``towers`` and ``dem``; otherwise the outcome is ``skipped`` with
        what to supply.
    rng
        The hypothesis's generator (permutations, bootstrap, envelopes).

    Returns
    -------
    Section
        Outcomes ``H1``, ``H1.area``, ``H1.before.<date>``/``H1.after.<date>`` per
        intervention, ``H1.cross_k``; tables ``h1_records`` (per record: date, epoch start,
        covered, expected share; no personal data) and ``h1_epochs`` (covered share of the
        corridor and of the background per epoch); rasters ``h1_coverage_<date>`` (coverage
        count per epoch holding remains).
    """
    reason = _missing_reason(inputs, ("deaths", "towers", "dem"))
    if reason is not None:
        return Section([Outcome.skipped("H1", _H1_NAME, reason)])
    dem = inputs.dem()
    dep = deployment(study, inputs.get("towers").frame, dem)
    records, notes = _records(study, inputs.get("deaths").frame, dem)
    if dep.x.size == 0 or len(records) == 0:
        why = ("no usable sensor lies on the DEM" if dep.x.size == 0 else
               "no remains record with a date in the study period lies on the DEM")
        return Section([Outcome.skipped("H1", _H1_NAME, f"{why} ({notes}, sensors left out: {dep.dropped}); "
                                        "check that the towers, remains and DEM cover the same region")])
    confidence = float(study.parameter("statistics", "confidence", 0.95))
    n_perm = int(study.parameter("statistics", "permutations", 999))
    n_boot = int(study.parameter("displacement", "bootstrap", 999))
    min_bg = int(study.parameter("displacement", "min_background", 10))
    vs = _viewshed_options(study)

    dates = records["date"].to_numpy(dtype="datetime64[D]")
    epoch = dep.epoch_of(dates)
    active_any = np.array([dep.active(k).any() for k in range(len(dep.changes))], dtype=bool)
    first_active = dep.changes[np.argmax(active_any)] if active_any.any() else None
    pre = dates < first_active if first_active is not None else np.ones(dates.size, dtype=bool)
    # interventions: the epoch in force on the last day before the next one (or the study's end)
    bounds = sorted({iv.date for iv in study.interventions if study.start < iv.date <= study.end})
    windows = []
    for j, t in enumerate(bounds):
        lo = bounds[j - 1] if j > 0 else study.start
        hi = bounds[j + 1] if j + 1 < len(bounds) else study.end + dt.timedelta(days=1)
        ref = int(dep.epoch_of(np.array([np.datetime64(hi, "D") - 1]))[0])
        windows.append((t, lo, hi, ref))
    last_epoch = int(dep.epoch_of(np.array([np.datetime64(study.end, "D")]))[0])
    needed = sorted(set(epoch[~pre].tolist()) | {w[3] for w in windows} | {last_epoch})
    cov = epoch_coverage(dep, dem, needed, **vs)
    valid = dem.valid_mask()
    area_share = {k: (float(((cov[k].array > 0) & valid).sum() / valid.sum()) if k >= 0 else 0.0) for k in needed}
    columns = {k: j for j, k in enumerate(needed)}
    flags = np.column_stack([cov[k].array[records["row"], records["col"]] > 0 for k in needed]) \
        if needed else np.zeros((len(records), 0), dtype=bool)
    covered = np.array([flags[i, columns[k]] if k in columns else False for i, k in enumerate(epoch)])
    e_area = np.array([area_share.get(int(k), 0.0) for k in epoch])
    epoch_start = [str(dep.changes[k]) if k >= 0 else "" for k in epoch]

    common = dict(study_period=[study.start.isoformat(), study.end.isoformat()], sensors=int(dep.x.size),
                  sensors_filled_from_defaults=dep.filled, sensors_left_out=dep.dropped, records=notes,
                  epochs=[str(d) for d in dep.changes], target_height_m=vs["target_height"],
                  confidence=confidence)
    outcomes: list[Outcome] = []
    post = ~pre
    n_pre, n_post = int(pre.sum()), int(post.sum())

    # H1: against the background of pre-deployment remains
    if n_post == 0:
        outcomes.append(Outcome.skipped("H1", _H1_NAME, f"no remains record dated after the first sensor became "
                                        f"active ({first_active}); {notes}"))
    elif n_pre < min_bg:
        outcomes.append(Outcome.skipped(
            "H1", _H1_NAME, f"only {n_pre} remains records before the first sensor became active ({first_active}); "
            f"the background test needs at least {min_bg} ([parameters.displacement] min_background): extend the "
            "study period back in time, or read H1.area"))
    else:
        post_epoch = np.array([columns[int(k)] for k in epoch[post]])
        o, e, ci, p = _background_test(flags.astype(np.float64), pre, post_epoch, n_perm, n_boot, confidence, rng,
                                       alternative="less", effect=lambda o_, e_, _n: _ratio(o_, e_))
        outcomes.append(Outcome.ran("H1", StatResult(
            name=_H1_NAME + " (background: remains before deployment)", estimate=_ratio(o, e), ci=ci, p_value=p,
            n=n_post, statistic=o - e,
            method=("relative displacement O/E − 1, E from the share of pre-deployment remains inside each epoch's "
                    "coverage; one-sided permutation test of locations between pre- and post-deployment remains "
                    "(Good 2005); percentile bootstrap CI (Efron & Tibshirani 1993)"),
            parameters={**common, "observed": o, "expected": e, "background_records": n_pre,
                        "permutations": n_perm, "bootstrap": n_boot, "alternative": "less",
                        "first_sensor_active": str(first_active)})))

    # H1.area: against the covered share of the corridor
    if n_post:
        o_a, e_a = float(covered[post].sum()), float(e_area[post].sum())
        p_a = poisson_binomial_p_value(int(o_a), e_area[post], alternative="less")
        idx = np.flatnonzero(post)
        boots = np.empty(n_boot)
        for b in range(n_boot):
            s = rng.choice(idx, idx.size)
            boots[b] = _ratio(float(covered[s].sum()), float(e_area[s].sum()))
        outcomes.append(Outcome.ran("H1.area", StatResult(
            name=_H1_NAME + " (area share of the corridor)", estimate=_ratio(o_a, e_a),
            ci=_percentile_ci(boots, confidence), p_value=p_a, n=n_post, statistic=o_a,
            method=("relative displacement O/E − 1, E = Σ covered share of the corridor (the DEM's valid cells) at "
                    "each record's date; exact Poisson-binomial test P(X ≤ O) (Chen & Liu 1997), assuming remains "
                    "would be spread evenly without surveillance; percentile bootstrap CI over records"),
            parameters={**common, "observed": o_a, "expected": e_a, "bootstrap": n_boot, "alternative": "less",
                        "corridor": "valid cells of the DEM"})))

    # H1.before / H1.after around each intervention
    for t, lo, hi, ref in windows:
        share = area_share.get(ref, 0.0)
        in_ref = flags[:, columns[ref]] if ref >= 0 else np.zeros(len(records), dtype=bool)
        for label, a, b in (("before", lo, t), ("after", t, hi)):
            sel = (dates >= np.datetime64(a, "D")) & (dates < np.datetime64(b, "D"))
            oid = f"H1.{label}.{t.isoformat()}"
            name = f"remains inside the coverage in force before {hi.isoformat()}, {label} {t.isoformat()}"
            if not sel.any() or share <= 0:
                outcomes.append(Outcome.skipped(oid, name, "no remains record in this interval" if not sel.any()
                                                else "no sensor is active in the reference epoch"))
                continue
            n = int(sel.sum())
            o = float(in_ref[sel].sum())
            idx = np.flatnonzero(sel)
            boots = np.array([_ratio(float(in_ref[rng.choice(idx, n)].sum()), n * share) for _ in range(n_boot)])
            outcomes.append(Outcome.ran(oid, StatResult(
                name=name, estimate=_ratio(o, n * share), ci=_percentile_ci(boots, confidence),
                p_value=poisson_binomial_p_value(int(o), np.full(n, share), alternative="less"), n=n, statistic=o,
                method="relative displacement O/E − 1 against the covered share of the corridor; exact binomial "
                       "test P(X ≤ O); percentile bootstrap CI over records",
                parameters={**common, "observed": o, "expected": n * share, "interval": [a.isoformat(), b.isoformat()],
                            "reference_epoch": str(dep.changes[ref]) if ref >= 0 else None,
                            "covered_share": share, "alternative": "less"})))

    # H1.cross_k: remains after deployment against the sensors active at the end
    cross, cross_table = _cross_k(study, dem, dep, records, pre, last_epoch, min_bg, rng, common)
    outcomes.append(cross)

    record_table = pd.DataFrame({"date": records["date"], "epoch_start": epoch_start,
                                 "background": pre, "covered": covered, "expected_area_share": e_area})
    epoch_table = pd.DataFrame({
        "epoch_start": [str(dep.changes[k]) if k >= 0 else "" for k in needed],
        "active_sensors": [int(dep.active(k).sum()) for k in needed],
        "covered_share_of_corridor": [area_share[k] for k in needed],
        "covered_share_of_background": [float(flags[pre, columns[k]].mean()) if n_pre else float("nan")
                                        for k in needed],
        "records": [int((epoch == k).sum()) for k in needed],
        "records_covered": [int(covered[epoch == k].sum()) for k in needed],
    })
    rasters = {f"h1_coverage_{dep.changes[k]}": cov[k] for k in needed if k >= 0}
    tables = {"h1_records": record_table, "h1_epochs": epoch_table}
    if cross_table is not None:
        tables["h1_cross_l"] = cross_table
    return Section(outcomes, tables=tables, rasters=rasters)


def _cross_k(study: Study, dem: Raster, dep: Deployment, records: pd.DataFrame, pre: np.ndarray, last_epoch: int,
             min_bg: int, rng: np.random.Generator, common: dict[str, Any]) -> tuple[Outcome, pd.DataFrame | None]:
    """The ``H1.cross_k`` outcome and the envelope table ``h1_cross_l`` (r, observed, centre, low, high)."""
    name = "cross-L between remains after deployment and the sensors active at the end of the study"
    sensors = dep.active(last_epoch)
    post = ~pre
    if sensors.sum() < 1 or post.sum() < 2:
        return Outcome.skipped("H1.cross_k", name, "fewer than 2 post-deployment remains or no active sensor"), None
    left, bottom, right, top = dem.bounds
    window = shapely.box(left, bottom, right, top)
    side = min(right - left, top - bottom)
    radii = np.asarray(study.parameter("displacement", "radii_m", np.linspace(side / 40, side / 4, 10)), dtype=float)
    b = np.column_stack([dep.x[sensors], dep.y[sensors]])
    a = records[["x", "y"]].to_numpy()
    n_sim = int(study.parameter("statistics", "permutations", 999))
    if pre.sum() >= min_bg:
        null, pattern_b = RandomLabelling(), a[pre]

        def statistic(pa: np.ndarray, _pb: np.ndarray) -> np.ndarray:
            return cross_l(pa, b, window=window, radii=radii).l
        statistic.__name__ = "cross-L(remains, sensors)"
        env = envelope(a[post], pattern_b, window=window, radii=radii, statistic=statistic, null=null, n_sim=n_sim,
                       rng=rng, alternative="less")
    else:
        env = envelope(a[post], b, window=window, radii=radii, statistic="L", null=CSR(), n_sim=n_sim, rng=rng,
                       alternative="less")
    result = env.summary()
    params = {**common, **dict(result.parameters), "radii_m": radii.tolist(), "sensors": int(sensors.sum())}
    table = pd.DataFrame({"r": env.radii, "observed": env.observed, "centre": env.centre, "low": env.low,
                          "high": env.high})
    return Outcome.ran("H1.cross_k", StatResult(name=name + ": " + result.name, estimate=result.estimate,
                                                ci=result.ci, p_value=result.p_value, n=result.n,
                                                method=result.method, statistic=result.statistic,
                                                parameters=params)), table


# -- H3 ---------------------------------------------------------------------------------------
def pandolf_params(study: Study) -> dict[str, float]:
    """Pandolf parameters (W, L, V, eta) from ``[parameters.cost]``, accepting the study-file
    names ``body_mass_kg``, ``load_kg``, ``speed_m_s`` and ``terrain_factor``."""
    names = set(get_model("pandolf").param_names)
    out = {}
    for key, value in dict(study.parameters.get("cost", {})).items():
        key = _PANDOLF_ALIASES.get(key, key)
        if key in names:
            out[key] = float(value)
    return out


def route_energy(dem: Raster, route: shapely.LineString, params: dict[str, float]) -> float:
    """Pandolf energy (kJ) of walking a route through cell centres, move by move.

    E = Σ Pandolf(dz, d) over consecutive vertices, dz the elevation difference (m, uphill
    positive, in the direction of the line) and d the horizontal distance (m); see
    :mod:`borderscape.geo.costmodels` (Pandolf et al. 1977; Santee et al. 2001).
    """
    xy = shapely.get_coordinates(route)
    r, c = dem.rowcol(xy[:, 0], xy[:, 1])
    z = dem.array[r, c].astype(np.float64)
    step = np.hypot(np.diff(xy[:, 0]), np.diff(xy[:, 1]))
    return float(get_model("pandolf").cost(np.diff(z), step, **params).sum())


def border_origins(border: gpd.GeoDataFrame, dem: Raster, n: int) -> np.ndarray:
    """``n`` points evenly spaced along the border inside the DEM, at (j + ½)/n of its length.

    Returns
    -------
    numpy.ndarray
        (m, 2) x, y in the DEM's CRS (metres), m ≤ n: points on invalid cells are dropped.
    """
    left, bottom, right, top = dem.bounds
    inner = shapely.box(left + dem.res[0], bottom + dem.res[1], right - dem.res[0], top - dem.res[1])
    geoms = border.geometry.to_crs(dem.crs).to_numpy()
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    polygons = np.isin(shapely.get_type_id(geoms), (3, 6))
    geoms[polygons] = shapely.boundary(geoms[polygons])  # a border given as an area: its outline
    clipped = shapely.get_parts(shapely.intersection(shapely.union_all(geoms), inner))
    lines = [g for g in clipped if g.geom_type in ("LineString", "MultiLineString")]
    parts = [g for g in shapely.get_parts(shapely.line_merge(shapely.union_all(lines))) if g.length > 0] if lines else []
    if not parts:
        return np.zeros((0, 2))
    lengths = np.array([g.length for g in parts])
    s = (np.arange(n) + 0.5) / n * lengths.sum()
    which = np.searchsorted(np.cumsum(lengths), s, side="right").clip(0, len(parts) - 1)
    offset = s - np.concatenate([[0.0], np.cumsum(lengths)])[which]
    pts = shapely.get_coordinates([parts[w].interpolate(o) for w, o in zip(which, offset)])
    r, c = dem.rowcol(pts[:, 0], pts[:, 1])
    return pts[dem.valid_mask()[r, c]]


def _paired_tests(free: np.ndarray, avoid: np.ndarray, dist_km: np.ndarray, n_perm: int, n_boot: int,
                  confidence: float, rng: np.random.Generator) -> dict[str, Any]:
    """Mean extra energy (sign-flip test, bootstrap CI) and the difference of OLS slopes."""
    delta = avoid - free
    m = delta.size
    signs = rng.choice(np.array([-1.0, 1.0]), size=(n_perm, m))
    perm_means = (signs * delta).mean(axis=1)
    p_mean = float((1 + np.count_nonzero(np.abs(perm_means) >= abs(delta.mean()) - 1e-12)) / (n_perm + 1))
    boot_idx = rng.integers(0, m, size=(n_boot, m))
    ci_mean = _percentile_ci(delta[boot_idx].mean(axis=1), confidence)

    def slope_diff(x: np.ndarray, f: np.ndarray, a: np.ndarray) -> float:
        xc = x - x.mean()
        sxx = float((xc * xc).sum())
        return float((xc * (a - a.mean())).sum() / sxx - (xc * (f - f.mean())).sum() / sxx) if sxx > 0 else float("nan")

    xc = dist_km - dist_km.mean()
    sxx = float((xc * xc).sum())
    slope_free = float((xc * (free - free.mean())).sum() / sxx) if sxx > 0 else float("nan")
    slope_avoid = float((xc * (avoid - avoid.mean())).sum() / sxx) if sxx > 0 else float("nan")
    diff = slope_diff(dist_km, free, avoid)
    swap = rng.random((n_perm, m)) < 0.5
    perm_diffs = np.array([slope_diff(dist_km, np.where(s, avoid, free), np.where(s, free, avoid)) for s in swap])
    p_slope = float((1 + np.count_nonzero(np.abs(perm_diffs) >= abs(diff) - 1e-12)) / (n_perm + 1))
    boot_slopes = np.array([slope_diff(dist_km[i], free[i], avoid[i]) for i in boot_idx])
    return dict(mean=float(delta.mean()), ci_mean=ci_mean, p_mean=p_mean, slope_free=slope_free,
                slope_avoid=slope_avoid, slope_diff=diff, ci_slope=_percentile_ci(boot_slopes, confidence),
                p_slope=p_slope)


def _routes(multiplier: np.ndarray | None, *, dem: Raster, target: Any, params: dict[str, float],
            origins: gpd.GeoSeries) -> tuple[np.ndarray, list]:
    """Least-energy routes from ``origins`` to ``target`` under a cost multiplier: energies
    (kJ, :func:`route_energy`) and LineStrings (None where unreachable)."""
    surface = accumulated_cost(dem, target, model="pandolf", params=params, multiplier=multiplier,
                               travel="to_sources")
    geoms = list(least_cost_paths(surface, origins).geometry)
    return np.array([route_energy(dem, g, params) if g is not None else np.nan for g in geoms]), geoms


def h3_routes(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """H3 routes: how much more energy do routes that avoid active coverage cost?

    The method and its formulas are in the module docstring.  Study parameters read:
    ``[parameters.routes] origins`` (25), ``destination`` (``"north_edge"`` or ``"roads"``),
    ``avoidance`` (2, or ``"impassable"``); ``[parameters.cost]`` (Pandolf W, L, V, η, also
    under the names body_mass_kg, load_kg, speed_m_s, terrain_factor);
    ``[parameters.statistics] permutations``, ``confidence``; ``[parameters.displacement]
    bootstrap``; ``[parameters.viewshed]`` as for H1.

    The cost surfaces — unconstrained, then one per epoch — and their routes are independent
    tasks of the run's executor (:func:`borderscape.geo.parallel.current`: ``--workers`` /
    ``--scheduler``); the numbers do not depend on it.

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
    reason = _missing_reason(inputs, ("dem", "towers", "border"))
    if reason is not None:
        return Section([Outcome.skipped("H3", _H3_NAME, reason)])
    dem = inputs.dem()
    dep = deployment(study, inputs.get("towers").frame, dem)
    n_origins = int(study.parameter("routes", "origins", 25))
    destination = str(study.parameter("routes", "destination", "north_edge"))
    avoidance = study.parameter("routes", "avoidance", None)  # a number or "impassable": checked below
    avoidance = 2.0 if avoidance is None else avoidance
    if destination not in ("north_edge", "roads") or not (avoidance == "impassable" or (
            isinstance(avoidance, (int, float)) and not isinstance(avoidance, bool) and avoidance >= 1)):
        return Section([Outcome.skipped("H3", _H3_NAME, (
            f"[parameters.routes] destination={destination!r}, avoidance={avoidance!r}: destination must be "
            '"north_edge" or "roads" and avoidance a number ≥ 1 or "impassable"'))])
    origins = border_origins(usable(inputs.get("border").frame), dem, n_origins)
    if origins.shape[0] < 3 or dep.x.size == 0:
        return Section([Outcome.skipped("H3", _H3_NAME, (
            f"{origins.shape[0]} route origins on the border inside the DEM and {dep.x.size} usable sensors: "
            "H3 needs at least 3 origins and 1 sensor; check that the border, towers and DEM overlap"))])
    # epochs: those holding post-deployment remains, else the one in force at the study's end
    last = int(dep.epoch_of(np.array([np.datetime64(study.end, "D")]))[0])
    epochs = [last]
    records = None
    if inputs.get("deaths") is not None:
        records, _ = _records(study, inputs.get("deaths").frame, dem)
        record_epoch = dep.epoch_of(records["date"].to_numpy(dtype="datetime64[D]"))
        held = sorted({int(k) for k in record_epoch if k >= 0 and dep.active(int(k)).any()})
        epochs = held or epochs
    epochs = [k for k in epochs if k >= 0 and dep.active(k).any()]
    if not epochs:
        return Section([Outcome.skipped("H3", _H3_NAME, "no sensor is active in the study period")])
    vs = _viewshed_options(study)
    cov = epoch_coverage(dep, dem, epochs, **vs)
    params = pandolf_params(study)
    if destination == "roads":
        if inputs.get("roads") is None:
            return Section([Outcome.skipped("H3", _H3_NAME, _missing_reason(inputs, ("roads",)) or "no roads layer")])
        target: Any = usable(inputs.get("roads").frame).geometry
    else:
        target = np.zeros(dem.shape, dtype=bool)
        target[0] = dem.valid_mask()[0]
    origin_pts = gpd.GeoSeries(gpd.points_from_xy(origins[:, 0], origins[:, 1]), crs=dem.crs)

    # one task per cost surface (unconstrained, then one per epoch), on the run's executor
    # float32, as accumulated_cost reads multipliers: half the bytes sent to workers, same numbers
    mults = [None] + [np.where(cov[k].array > 0, np.nan if avoidance == "impassable" else float(avoidance),
                               1.0).astype(np.float32) for k in epochs]
    surfaces = current().map(_routes, mults, dem=dem, target=target, params=params, origins=origin_pts)
    free, free_geoms = surfaces[0]
    avoiding: dict[int, list] = {}
    confidence = float(study.parameter("statistics", "confidence", 0.95))
    n_perm = int(study.parameter("statistics", "permutations", 999))
    n_boot = int(study.parameter("displacement", "bootstrap", 999))
    common = dict(origins=int(origins.shape[0]), destination=destination, avoidance=avoidance,
                  cost_model="pandolf", cost_parameters=params, units="kJ", sensors=int(dep.x.size),
                  sensors_filled_from_defaults=dep.filled, sensors_left_out=dep.dropped,
                  permutations=n_perm, bootstrap=n_boot, confidence=confidence)
    rows: list[dict[str, Any]] = []

    def add_rows(kind: str, epoch_start: str, energy: np.ndarray, geoms: list) -> None:
        for j, (e, g) in enumerate(zip(energy, geoms)):
            xy = shapely.get_coordinates(g) if g is not None else np.full((2, 2), np.nan)
            rows.append({"origin": j, "epoch_start": epoch_start, "kind": kind, "energy_kj": e,
                         "length_m": g.length if g is not None else np.nan,
                         "straight_m": float(np.hypot(*(xy[-1] - xy[0]))), "geometry": g})

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
            outcomes.append(Outcome.skipped(f"H3.{start}", f"extra energy of avoiding coverage from {start}",
                                            f"only {int(ok.sum())} origins have both routes (covered cells may cut "
                                            "them off); lower [parameters.routes] avoidance"))
            continue
        straight = np.array([np.hypot(*(shapely.get_coordinates(g)[-1] - shapely.get_coordinates(g)[0]))
                             for g, good in zip(free_geoms, ok) if good]) / 1000.0
        t = _paired_tests(free[ok], avoid[ok], straight, n_perm, n_boot, confidence, rng)
        extra = {**common, "epoch_start": start, "active_sensors": int(dep.active(k).sum()),
                 "routes": int(ok.sum()), "mean_unconstrained_kj": float(free[ok].mean()),
                 "mean_avoiding_kj": float(avoid[ok].mean()),
                 "relative_extra": float(t["mean"] / free[ok].mean()) if free[ok].mean() > 0 else float("nan")}
        per_epoch[k] = StatResult(
            name=f"mean extra energy (kJ per route) of routes avoiding the coverage in force from {start}",
            estimate=t["mean"], ci=t["ci_mean"], p_value=t["p_mean"], n=int(ok.sum()), statistic=t["mean"],
            method=("least-energy routes (Dijkstra, Pandolf 1977 with Santee 2001) from the border, unconstrained vs "
                    "with a cost multiplier on covered cells; paired sign-flip permutation test (Good 2005) and "
                    "percentile bootstrap CI over routes"),
            parameters=extra)
        slopes[k] = StatResult(
            name=f"OLS slope of route energy on straight-line distance (kJ/km): avoiding {start} − unconstrained",
            estimate=t["slope_diff"], ci=t["ci_slope"], p_value=t["p_slope"], n=int(ok.sum()),
            statistic=t["slope_diff"],
            method=("difference of ordinary least-squares slopes, paired bootstrap CI over routes, permutation of the "
                    "avoid/free labels within routes"),
            parameters={**extra, "slope_unconstrained_kj_per_km": t["slope_free"],
                        "slope_avoiding_kj_per_km": t["slope_avoid"]})
        outcomes.append(Outcome.ran(f"H3.{start}", per_epoch[k]))
    if per_epoch:
        latest = max(per_epoch)
        note = (f"the latest epoch holding remains (from {dep.changes[latest]}); avoiding coverage can only cost "
                "more energy, so this measures what avoidance would cost, not whether people avoided (see H1)")
        outcomes.insert(0, Outcome.ran("H3.slope", slopes[latest], reason=note))
        outcomes.insert(0, Outcome.ran("H3", per_epoch[latest], name=_H3_NAME, reason=note))
    else:
        outcomes.insert(0, Outcome.skipped("H3", _H3_NAME, "no epoch had enough routes; see the H3.<date> outcomes"))
    if records is not None:
        outcomes.append(_route_fit(study, dep, records, record_epoch, free_geoms, avoiding, n_perm, n_boot,
                                   confidence, rng, common))
    table = gpd.GeoDataFrame(rows, geometry="geometry", crs=dem.crs).to_crs("EPSG:4326")
    return Section(outcomes, tables={"h3_routes": table})


def _distance_to_lines(points: np.ndarray, lines: list) -> np.ndarray:
    """Distance (m) from each point to the nearest of ``lines`` (None entries skipped).

    Lines are cut into their straight segments (collinear vertices removed first, which
    changes no distance) and searched with an STR-tree (Leutenegger et al. 1997).
    """
    segments = []
    for line in lines:
        if line is None:
            continue
        xy = shapely.get_coordinates(shapely.simplify(line, 0.0))
        segments.append(shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1)))
    return nearest(np.asarray(points), np.concatenate(segments))[1]


def _route_fit(study: Study, dep: Deployment, records: pd.DataFrame, record_epoch: np.ndarray, free_geoms: list,
               avoiding: dict[int, list], n_perm: int, n_boot: int, confidence: float, rng: np.random.Generator,
               common: dict[str, Any]) -> Outcome:
    """H3.fit: are remains after deployment nearer the avoiding routes than the background is?"""
    name = "remains after deployment lie nearer the routes that avoid coverage than remains before it (m)"
    min_bg = int(study.parameter("displacement", "min_background", 10))
    active_any = np.array([dep.active(k).any() for k in range(len(dep.changes))], dtype=bool)
    first = dep.changes[np.argmax(active_any)]
    dates = records["date"].to_numpy(dtype="datetime64[D]")
    pre = dates < first
    routed = [k for k, geoms in avoiding.items() if any(g is not None for g in geoms)]
    post = ~pre & np.isin(record_epoch, routed)
    keep = pre | post
    if pre.sum() < min_bg or post.sum() < 1:
        return Outcome.skipped("H3.fit", name, (
            f"{int(pre.sum())} remains before the first sensor became active ({first}) and {int(post.sum())} after; "
            f"the test needs at least {min_bg} before ([parameters.displacement] min_background) and 1 after"))
    pts = shapely.points(records["x"].to_numpy()[keep], records["y"].to_numpy()[keep])
    d_free = _distance_to_lines(pts, free_geoms)
    epochs = sorted(routed)
    values = np.column_stack([d_free - _distance_to_lines(pts, avoiding[k]) for k in epochs])
    col = {k: j for j, k in enumerate(epochs)}
    post_col = np.array([col[int(k)] for k in record_epoch[keep][~pre[keep]]])
    o, e, ci, p = _background_test(values, pre[keep], post_col, n_perm, n_boot, confidence, rng,
                                   alternative="greater", effect=lambda o_, e_, n_: (o_ - e_) / n_)
    n_post = int(post.sum())
    return Outcome.ran("H3.fit", StatResult(
        name=name, estimate=(o - e) / n_post, ci=ci, p_value=p, n=n_post, statistic=o - e,
        method=("mean over post-deployment remains of (distance to the nearest unconstrained route − distance to the "
                "nearest route avoiding the coverage of its epoch), minus the same for pre-deployment remains; "
                "one-sided permutation test of locations between the two groups (Good 2005); percentile bootstrap"),
        parameters={**common, "background_records": int(pre.sum()), "alternative": "greater",
                    "first_sensor_active": str(first), "units": "m"}))
