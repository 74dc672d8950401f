"""H1 coverage displacement: fewer remains inside the coverage of active sensors than expected?

After Chambers, Boyce, Launius & Dinsmore (2019), "Mortality, surveillance and the tertiary
'funnel effect' on the U.S.–Mexico border", J. Borderlands Studies 36(3).  H1 needs the remains
(``deaths``), the sensors (``towers``) and an elevation model (``dem``).  Sensors, their
activity and the coverage of each epoch are those of :mod:`borderscape.analyses.sensors`
(:func:`~borderscape.analyses.sensors.deployment`, :func:`~borderscape.analyses.sensors.epoch_coverage`;
target 1.7 m or ``[parameters.viewshed] target_height_m``).

H1 — remains inside coverage
----------------------------
Each remains record that counts for the study
(:func:`~borderscape.analyses.battery.common.records`: usable, located, dated in the study
period, inside its bounding box) and lies on a valid DEM cell gets the flag c_i = 1 when the cell it lies in is seen by at least one sensor active on its date.
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
probabilities are computed exactly by dynamic programming
(:func:`~borderscape.analyses.stats.tests.poisson_binomial_pmf`);
p = P(X ≤ O) (one-sided, fewer).  Estimate O/E − 1; CI: percentile bootstrap over records.
This test assumes that, without surveillance, remains would be spread evenly over the
corridor; they are not (they gather along routes, and near roads where bodies are found), so
it rejects too often when that assumption fails: in 200 simulated null worlds (α = 0) it
rejected at the 5 % level in 14.5 % of them, against 4.5 % for ``H1``
(``benchmarks/calibrate_funnel_displacement.py``).  Prefer ``H1``; ``H1.area`` is a context result
(:func:`~borderscape.analyses.battery.tier`).

``H1.before.<date>`` / ``H1.after.<date>`` (one pair per intervention that cuts the study
period, :func:`~borderscape.analyses.battery.common.period_bounds`).  The coverage C_T of the
sensors active on the last day before the next boundary (or the study's end); the records of
the period before the intervention (since the previous boundary or the study's start) and of
the period after it, each tested like ``H1.area`` against the covered share
of C_T (a binomial test: e is constant).  ``before`` is a placebo level: where remains were
found, relative to the coverage that was about to come.

``H1.cross_k``.  Cross-L function between the post-deployment remains and the sensors active
at the end of the study period (:func:`borderscape.analyses.stats.pointpattern.cross_l`, Lotwick &
Silverman 1982), with a global maximum-deviation envelope test (Myllymäki et al. 2017): the
null is random labelling of the pooled background and post-deployment remains (are remains
after deployment placed relative to the sensors like those before?), or complete spatial
randomness of the remains in the DEM's bounding rectangle when there are too few background
records.  Alternative: "less" (remains farther from sensors than the null).

Nothing here forecasts crossings or ranks places: every computation is about past epochs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from borderscape.analyses.battery.common import (
    Section,
    missing,
    period_bounds,
    records_on_grid,
    settings,
    viewshed_options,
)
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome, StatResult
from borderscape.analyses.sensors import Deployment, deployment, epoch_coverage
from borderscape.analyses.stats.intervals import percentile_ci
from borderscape.analyses.stats.pointpattern import (
    CSR,
    RandomLabelling,
    cross_l,
    envelope,
)
from borderscape.analyses.stats.tests import background_test, poisson_binomial_p_value
from borderscape.analyses.study import Study
from borderscape.geo.raster import Raster

__all__ = ["h1_coverage"]

_H1_NAME = "H1 coverage displacement: remains inside the coverage of active sensors, against the share expected"


def _ratio(o: float, e: float) -> float:
    return o / e - 1.0 if e > 0 else float("nan")


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
    why = missing(study, inputs, "deaths", "towers", "dem")
    if why is not None:
        return Section([Outcome.skipped("H1", _H1_NAME, why)])
    dem = inputs.dem()
    dep = deployment(study, inputs.get("towers").frame, dem)
    records, notes = records_on_grid(study, inputs.get("deaths"), dem)
    if dep.x.size == 0 or len(records) == 0:
        why = (
            "no usable sensor lies on the DEM"
            if dep.x.size == 0
            else "no remains record with a date in the study period lies on the DEM"
        )
        return Section(
            [
                Outcome.skipped(
                    "H1",
                    _H1_NAME,
                    f"{why} ({notes}, sensors left out: {dep.dropped}); "
                    "check that the towers, remains and DEM cover the same region",
                )
            ]
        )
    config = settings(study)
    confidence, n_perm = config["confidence"], config["permutations"]
    n_boot = study.params.displacement.bootstrap
    min_bg = study.params.displacement.min_background
    vs = viewshed_options(study)

    dates = records["date"].to_numpy(dtype="datetime64[D]")
    epoch = dep.epoch_of(dates)
    active_any = np.array([dep.active(k).any() for k in range(len(dep.changes))], dtype=bool)
    first_active = dep.changes[np.argmax(active_any)] if active_any.any() else None
    pre = dates < first_active if first_active is not None else np.ones(dates.size, dtype=bool)
    # interventions: the epoch in force on the last day before the next one (or the study's end)
    bounds = [b.date() for b in period_bounds(study, study.start, study.end)]
    windows = []
    for j in range(1, len(bounds) - 1):
        lo, t, hi = bounds[j - 1], bounds[j], bounds[j + 1]
        ref = int(dep.epoch_of(np.array([np.datetime64(hi, "D") - 1]))[0])
        windows.append((t, lo, hi, ref))
    last_epoch = int(dep.epoch_of(np.array([np.datetime64(study.end, "D")]))[0])
    needed = sorted(set(epoch[~pre].tolist()) | {w[3] for w in windows} | {last_epoch})
    cov = epoch_coverage(dep, dem, needed, **vs)
    valid = dem.valid_mask()
    area_share = {k: (float(((cov[k].array > 0) & valid).sum() / valid.sum()) if k >= 0 else 0.0) for k in needed}
    columns = {k: j for j, k in enumerate(needed)}
    flags = (
        np.column_stack([cov[k].array[records["row"], records["col"]] > 0 for k in needed])
        if needed
        else np.zeros((len(records), 0), dtype=bool)
    )
    covered = np.array([flags[i, columns[k]] if k in columns else False for i, k in enumerate(epoch)])
    e_area = np.array([area_share.get(int(k), 0.0) for k in epoch])
    epoch_start = [str(dep.changes[k]) if k >= 0 else "" for k in epoch]

    common = dict(
        study_period=[study.start.isoformat(), study.end.isoformat()],
        sensors=int(dep.x.size),
        sensors_filled_from_defaults=dep.filled,
        sensors_left_out=dep.dropped,
        records=notes,
        epochs=[str(d) for d in dep.changes],
        target_height_m=vs["target_height"],
        confidence=confidence,
    )
    outcomes: list[Outcome] = []
    post = ~pre
    n_pre, n_post = int(pre.sum()), int(post.sum())

    # H1: against the background of pre-deployment remains
    if n_post == 0:
        outcomes.append(
            Outcome.skipped(
                "H1",
                _H1_NAME,
                f"no remains record dated after the first sensor became active ({first_active}); {notes}",
            )
        )
    elif n_pre < min_bg:
        outcomes.append(
            Outcome.skipped(
                "H1",
                _H1_NAME,
                f"only {n_pre} remains records before the first sensor became active ({first_active}); "
                f"the background test needs at least {min_bg} ([parameters.displacement] min_background): extend the "
                "study period back in time, or read H1.area",
            )
        )
    else:
        post_epoch = np.array([columns[int(k)] for k in epoch[post]])
        o, e, ci, p = background_test(
            flags.astype(np.float64),
            pre,
            post_epoch,
            permutations=n_perm,
            bootstrap=n_boot,
            confidence=confidence,
            seed=rng,
            alternative="less",
            effect=lambda o_, e_, _n: _ratio(o_, e_),
        )
        outcomes.append(
            Outcome.ran(
                "H1",
                StatResult(
                    name=_H1_NAME + " (background: remains before deployment)",
                    estimate=_ratio(o, e),
                    ci=ci,
                    p_value=p,
                    n=n_post,
                    statistic=o - e,
                    method=(
                        "relative displacement O/E − 1, E from the share of pre-deployment remains inside each epoch's "
                        "coverage; one-sided permutation test of locations between pre- and post-deployment remains "
                        "(Good 2005); percentile bootstrap CI (Efron & Tibshirani 1993)"
                    ),
                    parameters={
                        **common,
                        "observed": o,
                        "expected": e,
                        "background_records": n_pre,
                        "permutations": n_perm,
                        "bootstrap": n_boot,
                        "alternative": "less",
                        "first_sensor_active": str(first_active),
                    },
                ),
            )
        )

    # H1.area: against the covered share of the corridor
    if n_post:
        o_a, e_a = float(covered[post].sum()), float(e_area[post].sum())
        p_a = poisson_binomial_p_value(int(o_a), e_area[post], alternative="less")
        idx = np.flatnonzero(post)
        boots = np.empty(n_boot)
        for b in range(n_boot):
            s = rng.choice(idx, idx.size)
            boots[b] = _ratio(float(covered[s].sum()), float(e_area[s].sum()))
        outcomes.append(
            Outcome.ran(
                "H1.area",
                StatResult(
                    name=_H1_NAME + " (area share of the corridor)",
                    estimate=_ratio(o_a, e_a),
                    ci=percentile_ci(boots, confidence),
                    p_value=p_a,
                    n=n_post,
                    statistic=o_a,
                    method=(
                        "relative displacement O/E − 1, E = Σ covered share of the corridor (the DEM's valid cells) at "
                        "each record's date; exact Poisson-binomial test P(X ≤ O) (Chen & Liu 1997), assuming remains "
                        "would be spread evenly without surveillance; percentile bootstrap CI over records"
                    ),
                    parameters={
                        **common,
                        "observed": o_a,
                        "expected": e_a,
                        "bootstrap": n_boot,
                        "alternative": "less",
                        "corridor": "valid cells of the DEM",
                    },
                ),
            )
        )

    # H1.before / H1.after around each intervention
    for t, lo, hi, ref in windows:
        share = area_share.get(ref, 0.0)
        in_ref = flags[:, columns[ref]] if ref >= 0 else np.zeros(len(records), dtype=bool)
        for label, a, b in (("before", lo, t), ("after", t, hi)):
            sel = (dates >= np.datetime64(a, "D")) & (dates < np.datetime64(b, "D"))
            oid = f"H1.{label}.{t.isoformat()}"
            name = f"remains inside the coverage in force before {hi.isoformat()}, {label} {t.isoformat()}"
            if not sel.any() or share <= 0:
                outcomes.append(
                    Outcome.skipped(
                        oid,
                        name,
                        "no remains record in this interval"
                        if not sel.any()
                        else "no sensor is active in the reference epoch",
                    )
                )
                continue
            n = int(sel.sum())
            o = float(in_ref[sel].sum())
            idx = np.flatnonzero(sel)
            boots = np.array([_ratio(float(in_ref[rng.choice(idx, n)].sum()), n * share) for _ in range(n_boot)])
            outcomes.append(
                Outcome.ran(
                    oid,
                    StatResult(
                        name=name,
                        estimate=_ratio(o, n * share),
                        ci=percentile_ci(boots, confidence),
                        p_value=poisson_binomial_p_value(int(o), np.full(n, share), alternative="less"),
                        n=n,
                        statistic=o,
                        method="relative displacement O/E − 1 against the covered share of the corridor; exact binomial "
                        "test P(X ≤ O); percentile bootstrap CI over records",
                        parameters={
                            **common,
                            "observed": o,
                            "expected": n * share,
                            "interval": [a.isoformat(), b.isoformat()],
                            "reference_epoch": str(dep.changes[ref]) if ref >= 0 else None,
                            "covered_share": share,
                            "alternative": "less",
                        },
                    ),
                )
            )

    # H1.cross_k: remains after deployment against the sensors active at the end
    cross, cross_table = _cross_k(study, dem, dep, records, pre, last_epoch, min_bg, rng, common)
    outcomes.append(cross)

    record_table = pd.DataFrame(
        {
            "date": records["date"],
            "epoch_start": epoch_start,
            "background": pre,
            "covered": covered,
            "expected_area_share": e_area,
        }
    )
    epoch_table = pd.DataFrame(
        {
            "epoch_start": [str(dep.changes[k]) if k >= 0 else "" for k in needed],
            "active_sensors": [int(dep.active(k).sum()) for k in needed],
            "covered_share_of_corridor": [area_share[k] for k in needed],
            "covered_share_of_background": [
                float(flags[pre, columns[k]].mean()) if n_pre else float("nan") for k in needed
            ],
            "records": [int((epoch == k).sum()) for k in needed],
            "records_covered": [int(covered[epoch == k].sum()) for k in needed],
        }
    )
    rasters = {f"h1_coverage_{dep.changes[k]}": cov[k] for k in needed if k >= 0}
    tables = {"h1_records": record_table, "h1_epochs": epoch_table}
    if cross_table is not None:
        tables["h1_cross_l"] = cross_table
    return Section(outcomes, tables=tables, rasters=rasters)


def _cross_k(
    study: Study,
    dem: Raster,
    dep: Deployment,
    records: pd.DataFrame,
    pre: np.ndarray,
    last_epoch: int,
    min_bg: int,
    rng: np.random.Generator,
    common: dict[str, Any],
) -> tuple[Outcome, pd.DataFrame | None]:
    """The ``H1.cross_k`` outcome and the envelope table ``h1_cross_l`` (r, observed, centre, low, high)."""
    name = "cross-L between remains after deployment and the sensors active at the end of the study"
    sensors = dep.active(last_epoch)
    post = ~pre
    if sensors.sum() < 1 or post.sum() < 2:
        return Outcome.skipped("H1.cross_k", name, "fewer than 2 post-deployment remains or no active sensor"), None
    left, bottom, right, top = dem.bounds
    window = shapely.box(left, bottom, right, top)
    side = min(right - left, top - bottom)
    given = study.params.displacement.radii_m
    radii = np.linspace(side / 40, side / 4, 10) if given is None else np.asarray(given, dtype=float)
    b = np.column_stack([dep.x[sensors], dep.y[sensors]])
    a = records[["x", "y"]].to_numpy()
    n_sim = study.params.statistics.permutations
    if pre.sum() >= min_bg:
        null, pattern_b = RandomLabelling(), a[pre]

        def statistic(pa: np.ndarray, _pb: np.ndarray) -> np.ndarray:
            return cross_l(pa, b, window=window, radii=radii).l

        statistic.__name__ = "cross-L(remains, sensors)"
        env = envelope(
            a[post],
            pattern_b,
            window=window,
            radii=radii,
            statistic=statistic,
            null=null,
            n_sim=n_sim,
            seed=rng,
            alternative="less",
        )
    else:
        env = envelope(
            a[post], b, window=window, radii=radii, statistic="L", null=CSR(), n_sim=n_sim, seed=rng, alternative="less"
        )
    result = env.summary()
    params = {**common, **dict(result.parameters), "radii_m": radii.tolist(), "sensors": int(sensors.sum())}
    table = pd.DataFrame(
        {"r": env.radii, "observed": env.observed, "centre": env.centre, "low": env.low, "high": env.high}
    )
    return Outcome.ran(
        "H1.cross_k",
        StatResult(
            name=name + ": " + result.name,
            estimate=result.estimate,
            ci=result.ci,
            p_value=result.p_value,
            n=result.n,
            method=result.method,
            statistic=result.statistic,
            parameters=params,
        ),
    ), table
