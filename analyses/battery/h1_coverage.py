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
(``benchmarks/calibrate_funnel_displacement.py``).  Prefer ``H1``; ``H1.area`` is *descriptive*:
remains are not spread evenly even without surveillance, so its null is not the question.

``H1.before.<date>`` / ``H1.after.<date>`` (one pair per intervention that cuts the study
period, :func:`~borderscape.analyses.battery.common.period_bounds`).  The coverage C_T of the
sensors active on the last day before the next boundary (or the study's end); the records of
the period before the intervention (since the previous boundary or the study's start) and of
the period after it, each tested like ``H1.area`` against the covered share
of C_T (a binomial test: e is constant).  ``before`` is a placebo level: where remains were
found, relative to the coverage that was about to come.  Both are *descriptive* (an area-share
null, like ``H1.area``); each carries the ``composition`` of the two sides (location precision,
post-mortem interval, corridor, where the layer has them) and the study's shocks near the date.

``H1.cross_k``.  Cross-L function between the post-deployment remains and the sensors active
at the end of the study period (:func:`borderscape.analyses.stats.pointpattern.cross_l`, Lotwick &
Silverman 1982), with a global maximum-deviation envelope test (Myllymäki et al. 2017): the
null is random labelling of the pooled background and post-deployment remains (are remains
after deployment placed relative to the sensors like those before?), or complete spatial
randomness of the remains in the DEM's bounding rectangle when there are too few background
records.  Alternative: "less" (remains farther from sensors than the null).

Roles, uncertainty and sensitivity
----------------------------------
``H1`` is the declared primary endpoint (``[endpoints.H1]``, direction ``decrease``: the module
returns it as secondary and :func:`~borderscape.analyses.battery.run_battery` makes it primary);
``H1.cross_k`` is secondary; ``H1.area`` and ``H1.before/after.*`` are descriptive.

Remains are not found one by one: search efforts, a summer's heat and a year's routes make
records of the same year alike.  ``H1``'s interval is therefore a *year-block* bootstrap
(:func:`~borderscape.analyses.stats.resampling.cluster_bootstrap`: whole calendar years resampled,
background and post-deployment years separately; Davison & Hinkley 1997, §3.8); the record-level
interval is kept in ``parameters`` (``ci_records``).  The permutation p-value still exchanges
single records, and says so in the caveats.  ``H1`` compares remains found before the first
sensor with those found after it, so it carries the ``composition`` of the two sides and a
``sensitivity`` list: the same test on GPS-located records only, and on records with a short
post-mortem interval (``[parameters.hardship] short_pmi_days``, 35 days, the rule of H2: the death
then falls on the side of the date where the body was reported), where the layer has those columns.

Nothing here forecasts crossings or ranks places: every computation is about past epochs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

from borderscape.analyses.battery.common import (
    Section,
    composition,
    frame_of,
    missing,
    period_bounds,
    records_on_grid,
    settings,
    shock_caveats,
    viewshed_options,
)
from borderscape.analyses.battery.common import records as counted_records
from borderscape.analyses.battery.h2_hardship import pmi_days
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome, StatResult, Variant
from borderscape.analyses.sensors import Deployment, deployment, epoch_coverage
from borderscape.analyses.stats.intervals import percentile_ci
from borderscape.analyses.stats.pointpattern import (
    CSR,
    RandomLabelling,
    cross_l,
    envelope,
)
from borderscape.analyses.stats.resampling import cluster_bootstrap
from borderscape.analyses.stats.tests import background_test, poisson_binomial_p_value
from borderscape.analyses.study import Study
from borderscape.geo.raster import Raster

__all__ = [
    "COMPOSITION",
    "Background",
    "background_effect",
    "background_estimate",
    "h1_coverage",
    "record_attributes",
    "record_variants",
    "subset_variants",
]

#: The columns of a remains layer whose mix is shown on both sides of a before/after comparison.
COMPOSITION = {
    "location_precision": "location precision",
    "post_mortem_interval": "post-mortem interval",
    "corridor": "corridor",
}
#: The caveat of a permutation test that exchanges single records.
RECORD_CAVEAT = (
    "The permutation p-value exchanges single records, as if each were found independently; remains "
    "cluster in time (search efforts, a year's heat and routes), so it is likely too small. The interval "
    "resamples whole years."
)
#: Fewest calendar years on a side of a comparison for the year-block interval to be trusted.
FEW_YEARS = 10

_H1_NAME = "H1 coverage displacement: remains inside the coverage of active sensors, against the share expected"


def _ratio(o: float, e: float) -> float:
    return o / e - 1.0 if e > 0 else float("nan")


def background_effect(
    values: np.ndarray,
    pre: np.ndarray,
    column_of: np.ndarray,
    idx: np.ndarray,
    effect: Callable[[float, float, int], float] = lambda o, e, _n: _ratio(o, e),
) -> float:
    """``effect(O, E, n)`` of :func:`~borderscape.analyses.stats.tests.background_test` on the records
    ``idx`` (with repeats): O the sum of the post-deployment rows' values in their own column
    (``column_of``), E the sum over them of the background mean of their column, n their number;
    NaN without background or post-deployment rows.  The statistic of the year-block bootstrap."""
    b, a = idx[pre[idx]], idx[~pre[idx]]
    if b.size == 0 or a.size == 0:
        return float("nan")
    o = float(values[a, column_of[a]].sum())
    return effect(o, float(values[b].mean(axis=0)[column_of[a]].sum()), int(a.size))


@dataclass(frozen=True)
class Background:
    """A background test (:func:`background_estimate`): O, E, the effect, its year-block interval, the
    record-level interval, the permutation p-value, the later records and the year clusters."""

    o: float
    e: float
    estimate: float
    ci: tuple[float, float]
    ci_records: tuple[float, float]
    p_value: float
    n: int
    clusters: int
    finite: int
    years_before: int
    years_after: int

    def caveats(self) -> tuple[str, ...]:
        """:data:`RECORD_CAVEAT`, and a warning when a side holds fewer than :data:`FEW_YEARS` years."""
        few = min(self.years_before, self.years_after)
        if few >= FEW_YEARS:
            return (RECORD_CAVEAT,)
        return (
            RECORD_CAVEAT,
            f"The year-block interval rests on {self.years_before} years of background records and "
            f"{self.years_after} years of later ones; with fewer than {FEW_YEARS} clusters on a side a cluster "
            "bootstrap tends to be too narrow (Cameron, Gelbach & Miller 2008): compare the record-level interval "
            "in the sensitivity list.",
        )


def background_estimate(
    values: np.ndarray,
    pre: np.ndarray,
    column_of: np.ndarray,
    years: np.ndarray,
    *,
    alternative: str,
    effect: Callable[[float, float, int], float],
    permutations: int,
    bootstrap: int,
    confidence: float,
    rng: np.random.Generator,
    block_rng: np.random.Generator | None = None,
) -> Background:
    """:func:`~borderscape.analyses.stats.tests.background_test` (permutation p-value and record-level
    interval, drawn from ``rng``) and a year-block interval of the same effect
    (:func:`~borderscape.analyses.stats.resampling.cluster_bootstrap` over ``years``, background and
    later records resampled separately; drawn from ``block_rng``, else ``rng``).

    ``column_of``: each later record's column of ``values`` (ignored for background rows)."""
    o, e, ci_records, p = background_test(
        values,
        pre,
        column_of[~pre],
        permutations=permutations,
        bootstrap=bootstrap,
        confidence=confidence,
        seed=rng,
        alternative=alternative,
        effect=effect,
    )
    block = cluster_bootstrap(
        years,
        lambda idx: background_effect(values, pre, column_of, idx, effect),
        seed=block_rng if block_rng is not None else rng,
        resamples=bootstrap,
        confidence=confidence,
        strata=pre,
    )
    n = int((~pre).sum())
    return Background(
        o,
        e,
        effect(o, e, n),
        block.ci,
        ci_records,
        p,
        n,
        block.clusters,
        block.finite,
        len(set(np.asarray(years)[pre].tolist())),
        len(set(np.asarray(years)[~pre].tolist())),
    )


def subset_variants(
    values: np.ndarray,
    pre: np.ndarray,
    column_of: np.ndarray,
    years: np.ndarray,
    attributes: pd.DataFrame,
    *,
    min_background: int,
    short_days: float,
    rng: np.random.Generator,
    **test: Any,
) -> list[Variant]:
    """:func:`background_estimate` on each subset of :func:`record_variants` (``test``: its keyword
    arguments but ``rng``): estimate, year-block interval, n and p-value."""
    out: list[Variant] = []
    for name, mask, why in record_variants(attributes, short_days):
        b, a = mask & pre, mask & ~pre
        if b.sum() < min_background or a.sum() < 1:
            out.append(
                Variant(
                    name,
                    None,
                    n=int(a.sum()),
                    note=f"not computed: {int(b.sum())} background records (at least {min_background} needed) "
                    f"and {int(a.sum())} later ones",
                )
            )
            continue
        r = background_estimate(values[mask], pre[mask], column_of[mask], years[mask], rng=rng, **test)
        out.append(Variant(name, r.estimate, ci=r.ci, n=r.n, p_value=r.p_value, note=why))
    return out


def record_attributes(
    study: Study, layer: Any, dem: Raster, on_grid: pd.DataFrame, columns: Mapping[str, str] = COMPOSITION
) -> pd.DataFrame:
    """The ``columns`` of a remains layer, row for row with ``on_grid`` (the frame of
    :func:`~borderscape.analyses.battery.common.records_on_grid`, which keeps only date and place).

    The records are selected and ordered as :func:`~borderscape.analyses.battery.common.records_on_grid`
    does (same filters, same stable sort on date, x and y), and checked to be the same records
    (dates and coordinates equal); columns the layer lacks are left out.  An empty frame (no
    columns) when the layer has none of them or the check fails.
    """
    empty = pd.DataFrame(index=on_grid.index)
    kept, _ = counted_records(study, frame_of(layer))
    have = [c for c in columns if c in kept.columns]
    if not have or len(on_grid) == 0:
        return empty
    pts = kept.geometry.to_crs(dem.crs)
    x, y = pts.x.to_numpy(), pts.y.to_numpy()
    r, c = dem.rowcol(x, y)
    on = (r >= 0) & (r < dem.shape[0]) & (c >= 0) & (c < dem.shape[1])
    on[on] = dem.valid_mask()[r[on], c[on]]
    out = pd.DataFrame(
        {
            "date": kept["date"].to_numpy(dtype="datetime64[D]")[on],
            "x": x[on],
            "y": y[on],
            **{k: kept[k].to_numpy()[on] for k in have},
        }
    )
    out = out.sort_values(["date", "x", "y"], kind="stable").reset_index(drop=True)
    same = (
        len(out) == len(on_grid)
        and np.array_equal(out["date"].to_numpy(), on_grid["date"].to_numpy())
        and np.array_equal(out["x"].to_numpy(), on_grid["x"].to_numpy())
        and np.array_equal(out["y"].to_numpy(), on_grid["y"].to_numpy())
    )
    return out[have].set_axis(on_grid.index) if same else empty


def record_variants(attributes: pd.DataFrame, short_days: float) -> list[tuple[str, np.ndarray, str]]:
    """Subsets of the records for a sensitivity analysis: (name, boolean mask, why).

    GPS-located records only (``location_precision`` names a GPS coordinate) and records with a
    post-mortem interval class ending at or below ``short_days`` days (``[parameters.hardship]
    short_pmi_days``, 35: PCOME's < 1 day … < 5 weeks; the rule of H2,
    :func:`~borderscape.analyses.battery.h2_hardship.pmi_days`), when the layer has the column and
    the subset is a proper one.
    """
    out: list[tuple[str, np.ndarray, str]] = []
    n = len(attributes)
    if "location_precision" in attributes:
        gps = attributes["location_precision"].astype("string").str.contains("gps", case=False).fillna(False)
        out.append(
            (
                "GPS-located records only",
                gps.to_numpy(dtype=bool),
                "positions described in words are off by up to 15 km, enough to move a record in or out of coverage",
            )
        )
    if "post_mortem_interval" in attributes:
        days = np.array([pmi_days(t) for t in attributes["post_mortem_interval"]], dtype=float)
        out.append(
            (
                f"short post-mortem interval only (≤ {short_days:g} days)",
                days <= short_days,
                "remains found long after death may have died on the other side of the date",
            )
        )
    return [(name, mask, why) for name, mask, why in out if 0 < mask.sum() < n]


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
    # separate streams for the year-block interval and the sensitivity variants: spawning leaves
    # rng's own draws (hence every other number of H1) as they were
    block_rng, variant_rng = rng.spawn(2)
    attributes = record_attributes(study, inputs.get("deaths"), dem, records)

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
        values = flags.astype(np.float64)
        column_of = np.full(len(records), -1)
        column_of[post] = post_epoch
        years = pd.DatetimeIndex(dates).year.to_numpy()
        test: dict[str, Any] = dict(
            alternative="less",
            effect=lambda o_, e_, _n: _ratio(o_, e_),
            permutations=n_perm,
            bootstrap=n_boot,
            confidence=confidence,
        )
        h1 = background_estimate(values, pre, column_of, years, rng=rng, block_rng=block_rng, **test)
        variants = subset_variants(
            values,
            pre,
            column_of,
            years,
            attributes,
            min_background=min_bg,
            short_days=study.params.hardship.short_pmi_days,
            rng=variant_rng,
            **test,
        )
        outcomes.append(
            Outcome.ran(
                "H1",
                StatResult(
                    name=_H1_NAME + " (background: remains before deployment)",
                    estimate=h1.estimate,
                    ci=h1.ci,
                    p_value=h1.p_value,
                    n=n_post,
                    statistic=h1.o - h1.e,
                    method=(
                        "relative displacement O/E − 1, E from the share of pre-deployment remains inside each epoch's "
                        "coverage; one-sided permutation test of locations between pre- and post-deployment remains "
                        "(Good 2005); year-block percentile bootstrap CI, whole calendar years resampled within the "
                        "background and post-deployment groups (Davison & Hinkley 1997, §3.8)"
                    ),
                    parameters={
                        **common,
                        "observed": h1.o,
                        "expected": h1.e,
                        "background_records": n_pre,
                        "permutations": n_perm,
                        "bootstrap": n_boot,
                        "alternative": "less",
                        "first_sensor_active": str(first_active),
                        "ci_records": list(h1.ci_records),
                        "year_clusters": h1.clusters,
                        "ci_finite_resamples": h1.finite,
                    },
                ),
                role="secondary",
                sensitivity=(
                    Variant(
                        "record-level bootstrap interval (records independent)",
                        h1.estimate,
                        ci=h1.ci_records,
                        n=n_post,
                        p_value=h1.p_value,
                        note="the interval if every record were found independently of the others",
                    ),
                    *variants,
                ),
                composition=composition(attributes[pre], attributes[post], COMPOSITION),
                caveats=(*h1.caveats(), *shock_caveats(study, first_active)),
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
                role="descriptive",
                caveats=(
                    "Remains are not spread evenly over the corridor even without surveillance (they gather along "
                    "routes and near roads, where bodies are found): the area share is not the expected share, so "
                    "this is a description, not a test of displacement (H1 is).",
                ),
            )
        )

    # H1.before / H1.after around each intervention
    for t, lo, hi, ref in windows:
        share = area_share.get(ref, 0.0)
        in_ref = flags[:, columns[ref]] if ref >= 0 else np.zeros(len(records), dtype=bool)
        sides = {
            label: (dates >= np.datetime64(a, "D")) & (dates < np.datetime64(b, "D"))
            for label, a, b in (("before", lo, t), ("after", t, hi))
        }
        mix = composition(attributes[sides["before"]], attributes[sides["after"]], COMPOSITION)
        near = shock_caveats(study, t)
        for label, a, b in (("before", lo, t), ("after", t, hi)):
            sel = sides[label]
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
                        role="descriptive",
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
                    role="descriptive",
                    composition=mix,
                    caveats=(
                        "Against the area share of the corridor, like H1.area: remains are not spread evenly "
                        "even without surveillance, so this describes, it does not test.",
                        *near,
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
        role="secondary",
    ), table
