"""M1 mortality per crossing: deaths per attempted crossing by route and month, and around interventions.

Dead and missing / (arrivals + interceptions + dead and missing), the IOM definition of
attempted crossings, per route of :data:`~borderscape.analyses.battery.common.ROUTES`, with
exact (Clopper–Pearson) intervals; a pooled rate per route; and an interrupted time series
(negative binomial, log-crossings offset) around each dated intervention of the study.
Layer: ``crossings`` (``iom-med-monthly``).  Parameters: ``[parameters.maritime]`` ``routes``,
``window_months`` (24), ``exclude_years``; ``[parameters.statistics] confidence``.

References
----------
Clopper, C. J. & Pearson, E. S. (1934). Biometrika 26, 404–413.
Wagner, A. K., Soumerai, S. B., Zhang, F. & Ross-Degnan, D. (2002). Segmented regression
analysis of interrupted time series studies. J. Clin. Pharm. Ther. 27, 299–309.
Cameron, A. C. & Trivedi, P. K. (2013). Regression Analysis of Count Data, 2nd ed. CUP.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from borderscape.analyses.battery.common import (
    ROUTES,
    Section,
    intervention_windows,
    missing,
    reason,
    sea_settings,
)
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome, StatResult
from borderscape.analyses.stats.intervals import clopper_pearson
from borderscape.analyses.stats.models import count_regression
from borderscape.analyses.study import Study
from borderscape.geo.errors import BorderscapeError, InputError

__all__ = ["RATE_COLUMNS", "m1_mortality", "mortality_per_crossing"]

#: Columns of the ``mortality_per_crossing`` table (the output contract).
RATE_COLUMNS = ["route", "month", "dead_missing", "crossings", "rate", "ci_low", "ci_high"]


def mortality_per_crossing(
    monthly: pd.DataFrame, routes: Sequence[str], *, exclude_years: Sequence[int] = (), confidence: float = 0.95
) -> pd.DataFrame:
    """Monthly deaths per attempted crossing by route, with exact intervals.

    ``rate = dead_missing / crossings``, ``crossings = arrivals + interceptions +
    dead_missing`` (the IOM definition of attempted crossings; columns of each route in
    :data:`~borderscape.analyses.battery.common.ROUTES`). A month is used for a route when its deaths and first arrivals column
    are present and none of its components is negative; other missing components count as
    0. Years in ``exclude_years`` are left out. The interval is Clopper–Pearson
    (:func:`~borderscape.analyses.stats.intervals.clopper_pearson`).

    Parameters
    ----------
    monthly
        The ``iom-med-monthly`` table (one row per month, ``date`` the first day).
    routes
        Keys of :data:`~borderscape.analyses.battery.common.ROUTES`.
    exclude_years
        Calendar years not to use (known faulty figures).
    confidence
        Level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RATE_COLUMNS` (``month`` as ``YYYY-MM``), sorted by route and month.
    """
    frames = []
    dates = pd.to_datetime(monthly["date"])
    for key in routes:
        if key not in ROUTES:
            raise InputError(
                f"unknown route {key!r}", remedy=f"use one of {', '.join(ROUTES)} in [parameters.maritime] routes"
            )
        spec = ROUTES[key]
        cols = list(spec.arrivals) + list(spec.interceptions) + [spec.deaths]
        absent = [c for c in cols if c not in monthly.columns]
        if absent:
            raise InputError(
                f"the crossings table lacks the columns {absent}",
                remedy="give the IOM monthly compilation (catalog id iom-med-monthly)",
            )
        values = monthly[cols].apply(pd.to_numeric, errors="coerce").astype(float)
        ok = values[spec.deaths].notna() & values[spec.arrivals[0]].notna() & ~(values < 0).any(axis=1)
        ok &= ~dates.dt.year.isin(list(exclude_years))
        v = values[ok].fillna(0.0)
        deaths = v[spec.deaths].to_numpy()
        crossings = v[list(spec.arrivals) + list(spec.interceptions)].sum(axis=1).to_numpy() + deaths
        keep = crossings > 0
        low, high = clopper_pearson(deaths[keep], crossings[keep], confidence)
        frames.append(
            pd.DataFrame(
                {
                    "route": key,
                    "month": dates[ok][keep].dt.strftime("%Y-%m").to_numpy(),
                    "dead_missing": deaths[keep].astype(np.int64),
                    "crossings": crossings[keep].astype(np.int64),
                    "rate": deaths[keep] / crossings[keep],
                    "ci_low": low,
                    "ci_high": high,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=RATE_COLUMNS)
    return out[RATE_COLUMNS].sort_values(["route", "month"], ignore_index=True)


def _pooled(route: str, table: pd.DataFrame, confidence: float) -> StatResult:
    k, n = int(table["dead_missing"].sum()), int(table["crossings"].sum())
    low, high = clopper_pearson(np.array([k]), np.array([n]), confidence)
    observed = np.vstack([table["dead_missing"].to_numpy(), (table["crossings"] - table["dead_missing"]).to_numpy()])
    chi2, p, dof, _ = stats.chi2_contingency(observed, correction=False)
    return StatResult(
        name=f"dead and missing per attempted crossing, {route} route, pooled over months",
        estimate=k / n,
        ci=(float(low[0]), float(high[0])),
        p_value=float(p),
        n=n,
        method=(
            "pooled proportion with Clopper–Pearson exact CI (Clopper & Pearson 1934); p-value: Pearson "
            "chi-square test that the monthly rates are equal (heterogeneity over months)"
        ),
        statistic=float(chi2),
        parameters={
            "months": int(len(table)),
            "dead_missing": k,
            "first": table["month"].min(),
            "last": table["month"].max(),
            "chi2_dof": int(dof),
            "confidence": confidence,
        },
    )


def _its(
    route: str,
    table: pd.DataFrame,
    label: str,
    start: pd.Timestamp,
    t0: pd.Timestamp,
    end: pd.Timestamp,
    confidence: float,
) -> StatResult:
    month = pd.to_datetime(table["month"] + "-01")
    w = table[(month >= start) & (month < end)].copy()
    wm = pd.to_datetime(w["month"] + "-01")
    before, after = int((wm < t0).sum()), int((wm >= t0).sum())
    if before < 6 or after < 6:
        raise InputError(
            f"only {before} month(s) before and {after} after {label} inside the window",
            remedy="widen [parameters.maritime] window_months or add data around the date",
        )
    w["t"] = (wm - t0).dt.days.to_numpy() / 365.25
    w["post"] = (wm >= t0).astype(float).to_numpy()
    w["t_post"] = w["t"] * w["post"]
    model = count_regression(
        w, "dead_missing", ["t", "post", "t_post"], exposure="crossings", family="negbin", confidence=confidence
    )
    rr = model.rate_ratios[1]
    return StatResult(
        name=f"change in deaths per crossing at {label}, {route} route (rate ratio of the level change)",
        estimate=rr.estimate,
        ci=rr.ci,
        p_value=rr.p_value,
        n=int(len(w)),
        method=(
            "interrupted time series (Wagner et al. 2002) as a negative-binomial (NB2) regression "
            "log E[deaths] = log(crossings) + b0 + b1 t + b2 post + b3 (t - t0) post; estimate exp(b2), Wald CI "
            "(Cameron & Trivedi 2013)"
        ),
        statistic=rr.statistic,
        parameters={
            "intervention": label,
            "window_start": start.date().isoformat(),
            "window_end": end.date().isoformat(),
            "months_before": before,
            "months_after": after,
            "slope_change_rate_ratio_per_year": model.rate_ratios[2].estimate,
            "alpha_nb2": None if model.alpha is None else model.alpha.estimate,
            "confidence": confidence,
        },
    )


def m1_mortality(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """M1: deaths per attempted crossing by route and month, pooled, and around interventions.

    Tables: ``mortality_per_crossing`` (:data:`RATE_COLUMNS`). Outcomes: ``M1.<route>`` (pooled
    rate) and ``M1.<route>.its.<date>`` (rate ratio of the level change at each intervention,
    within ``window_months`` each side). ``rng`` is unused (closed-form inference).
    """
    s = sea_settings(study)
    name = "deaths per attempted crossing by route and month"
    why = missing(study, inputs, "crossings")
    if why:
        return Section([Outcome.skipped("M1", name, why)])
    table = mortality_per_crossing(
        inputs.get("crossings").frame, s["routes"], exclude_years=s["exclude_years"], confidence=s["confidence"]
    )
    outcomes: list[Outcome] = []
    for route in s["routes"]:
        rt = table[table["route"] == route]
        spec = ROUTES[route]
        rid = f"M1.{route}"
        if rt.empty:
            outcomes.append(
                Outcome.skipped(
                    rid,
                    f"{name}: {spec.label}",
                    f"No month has both {spec.deaths} deaths and {spec.arrivals[0]} arrivals in the "
                    "crossings table. What to do: give a table with those columns.",
                )
            )
            continue
        note = spec.lacking + (f" Years left out: {s['exclude_years']}." if s["exclude_years"] else "")
        outcomes.append(Outcome.ran(rid, _pooled(route, rt, s["confidence"]), reason=note))
        dates = pd.to_datetime(rt["month"] + "-01")
        for label, start, t0, end in intervention_windows(study, dates, s["window_months"]):
            iname = f"deaths per crossing before/after {label}, {route} route"
            try:
                outcomes.append(
                    Outcome.ran(
                        f"{rid}.its.{label}", _its(route, rt, label, start, t0, end, s["confidence"]), reason=note
                    )
                )
            except BorderscapeError as exc:  # too few months, or the NB fit did not converge
                outcomes.append(Outcome.skipped(f"{rid}.its.{label}", iname, reason(exc)))
    return Section(outcomes, tables={"mortality_per_crossing": table})
