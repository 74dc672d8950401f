"""M1 mortality per crossing: deaths per attempted crossing by route and month, pooled, and its change.

Dead and missing / attempted crossings per route of :data:`~borderscape.analyses.battery.common.ROUTES`:
``[parameters.maritime] denominator = "attempted"`` counts arrivals + interceptions + dead and
missing (the IOM definition), ``"arrivals"`` arrivals + dead and missing (no interceptions: a
denominator consistent over a series into which interceptions enter part-way).

Deaths come in shipwrecks: one month holds hundreds of dead from one boat and the next none, so
crossers are not independent trials (the monthly rates vary about 200 times more than binomial
counts would).  Every interval here therefore treats the month as the unit:

* ``M1.<route>`` — the pooled rate (descriptive): Σ deaths / Σ crossings with a month-block
  bootstrap interval, the dispersion φ and a quasi-binomial interval beside it;
* ``M1.change`` — the declared primary: the rate ratio between the periods of
  ``[parameters.maritime] change_periods`` (or the first intervention that allows it), from a
  quasi-Poisson GLM with month-of-year terms and a log-crossings offset, with sensitivity variants;
* ``M1.<route>.its.<date>`` — interrupted time series (secondary) at each intervention month,
  with seasonal terms, windows cut at denominator breaks; descriptive with the reason when a side
  has fewer than ``[parameters.statistics] min_months`` months.

Layer: ``crossings`` (``iom-med-monthly``).

References
----------
Clopper, C. J. & Pearson, E. S. (1934). Biometrika 26, 404–413.
McCullagh, P. & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed., ch. 9 (quasi-likelihood). Chapman & Hall.
Davison, A. C. & Hinkley, D. V. (1997). Bootstrap Methods and their Application, §3.8. CUP.
Wagner, A. K., Soumerai, S. B., Zhang, F. & Ross-Degnan, D. (2002). Segmented regression
analysis of interrupted time series studies. J. Clin. Pharm. Ther. 27, 299–309.
Bernal, J. L., Cummins, S. & Gasparrini, A. (2017). Interrupted time series regression for the
evaluation of public health interventions: a tutorial. Int. J. Epidemiol. 46, 348–355.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from borderscape.analyses.battery.common import (
    ROUTES,
    Section,
    Window,
    denominator_breaks,
    in_period,
    intervention_windows,
    missing,
    sea_settings,
    shock_caveats,
    split_month,
)
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import CompositionRow, Outcome, StatResult, Variant
from borderscape.analyses.stats.intervals import clopper_pearson
from borderscape.analyses.stats.models import null_bootstrap_rate_ratio
from borderscape.analyses.stats.resampling import cluster_bootstrap
from borderscape.analyses.study import Study
from borderscape.geo.errors import InputError

__all__ = [
    "RATE_COLUMNS",
    "change_ratio",
    "m1_mortality",
    "monthly_rates",
    "mortality_per_crossing",
    "pooled_rate",
    "quasi_poisson",
]

#: Columns of the ``mortality_per_crossing`` table (the output contract).
RATE_COLUMNS = ["route", "month", "dead_missing", "crossings", "rate", "ci_low", "ci_high"]

QP_METHOD = (
    "quasi-Poisson GLM (log link, offset log crossings, dispersion φ = Pearson χ²/df; McCullagh & Nelder 1989 "
    "ch. 9) with month-of-year terms; rate ratio exp(b), t-based Wald interval and p-value on the residual df"
)
BLOCK_METHOD = (
    "month-block bootstrap (whole months resampled with replacement, within each side; Davison & Hinkley 1997 "
    "§3.8), percentile interval"
)


#: The measured size of the step comparison on null series (benchmarks/calibrate_primaries.py,
#: docs/calibration-primaries.md, 2026-12-02), said beside every result it gives.
CHANGE_SIZE_CAVEAT = (
    "On 400 simulated series with no change and shipwreck-like overdispersion this comparison gave p < 0.05 in "
    "0.8 % (compound Poisson deaths) and 3.0 % (gamma-mixed monthly rates) of series; the Wald test in its "
    "variants, in 7.2 % and 11.8 % (docs/calibration-primaries.md)."
)


def monthly_rates(
    monthly: pd.DataFrame, route: str, *, exclude_years: Sequence[int] = (), denominator: str = "attempted"
) -> pd.DataFrame:
    """The months of one route that count: deaths, crossings and their components.

    A month counts when its deaths and first arrivals column are present, no component is negative
    and its year is not in ``exclude_years``; other missing components count as 0 (``missing``
    says how many were missing).  ``denominator="attempted"``: crossings = arrivals +
    interceptions + dead and missing; ``"arrivals"``: arrivals + dead and missing.

    Returns
    -------
    pandas.DataFrame
        ``date`` (first of month), ``month`` (``YYYY-MM``), ``dead_missing``, ``crossings``,
        ``missing`` (components missing and counted as 0), one column per component used and
        ``missing_<component>`` (True where it was missing), for months with crossings > 0, in date order.
    """
    if route not in ROUTES:
        raise InputError(
            f"unknown route {route!r}", remedy=f"use one of {', '.join(ROUTES)} in [parameters.maritime] routes"
        )
    if denominator not in ("attempted", "arrivals"):
        raise InputError(
            f"unknown denominator {denominator!r}", remedy='use "attempted" or "arrivals" in [parameters.maritime]'
        )
    spec = ROUTES[route]
    cols = list(spec.arrivals) + list(spec.interceptions) + [spec.deaths]
    absent = [c for c in cols if c not in monthly.columns]
    if absent:
        raise InputError(
            f"the crossings table lacks the columns {absent}",
            remedy="give the IOM monthly compilation (catalog id iom-med-monthly)",
        )
    dates = pd.to_datetime(monthly["date"])
    values = monthly[cols].apply(pd.to_numeric, errors="coerce").astype(float)
    ok = values[spec.deaths].notna() & values[spec.arrivals[0]].notna() & ~(values < 0).any(axis=1)
    ok &= ~dates.dt.year.isin(list(exclude_years))
    parts = list(spec.arrivals) + (list(spec.interceptions) if denominator == "attempted" else [])
    v = values[ok]
    deaths = v[spec.deaths].to_numpy()
    out = pd.DataFrame(
        {
            "date": dates[ok].dt.normalize().to_numpy(),
            "month": dates[ok].dt.strftime("%Y-%m").to_numpy(),
            "dead_missing": deaths,
            "crossings": v[parts].fillna(0.0).sum(axis=1).to_numpy() + deaths,
            "missing": v[parts].isna().sum(axis=1).to_numpy(),
        }
    )
    for c in parts:
        out[c] = v[c].fillna(0.0).to_numpy()
        out[f"missing_{c}"] = v[c].isna().to_numpy()
    return out[out["crossings"] > 0].sort_values("date", ignore_index=True)


def mortality_per_crossing(
    monthly: pd.DataFrame,
    routes: Sequence[str],
    *,
    exclude_years: Sequence[int] = (),
    confidence: float = 0.95,
    denominator: str = "attempted",
) -> pd.DataFrame:
    """Monthly deaths per attempted crossing by route (:func:`monthly_rates`), with exact intervals.

    The interval of each month is Clopper–Pearson (Clopper & Pearson 1934), which treats the
    crossers of a month as independent: within a month deaths still come in shipwrecks, so read
    it as a lower bound of the uncertainty of that month.

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
    denominator
        ``"attempted"`` or ``"arrivals"`` (:func:`monthly_rates`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RATE_COLUMNS` (``month`` as ``YYYY-MM``), sorted by route and month.
    """
    frames = []
    for key in routes:
        m = monthly_rates(monthly, key, exclude_years=exclude_years, denominator=denominator)
        k, n = m["dead_missing"].to_numpy(), m["crossings"].to_numpy()
        low, high = clopper_pearson(k, n, confidence)
        frames.append(
            pd.DataFrame(
                {
                    "route": key,
                    "month": m["month"].to_numpy(),
                    "dead_missing": k.astype(np.int64),
                    "crossings": n.astype(np.int64),
                    "rate": k / n,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=RATE_COLUMNS)
    return out[RATE_COLUMNS].sort_values(["route", "month"], ignore_index=True)


# -- estimators ------------------------------------------------------------------------------------


def _ratio_of_sums(k: np.ndarray, n: np.ndarray) -> Any:
    def stat(idx: np.ndarray) -> float:
        den = n[idx].sum()
        return float(k[idx].sum() / den) if den > 0 else math.nan

    return stat


def pooled_rate(
    deaths: np.ndarray,
    crossings: np.ndarray,
    months: np.ndarray,
    *,
    rng: np.random.Generator,
    resamples: int = 999,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """The pooled rate Σ deaths / Σ crossings with intervals that respect shipwreck clustering.

    Returns a dict: ``estimate``; ``ci`` — percentile interval of a month-block bootstrap of the
    ratio of sums (:func:`~borderscape.analyses.stats.resampling.cluster_bootstrap`, one cluster per
    label of ``months``); ``phi`` — the dispersion, Pearson χ² / (months − 1) of the monthly counts
    about the pooled rate (1 for binomial counts); ``quasi_ci`` — the quasi-binomial Wald interval
    (logit scale, variance × φ; statsmodels GLM with ``scale="X2"``); ``cp_ci`` — the Clopper–Pearson
    interval that treats every crosser as independent (too narrow when φ > 1).
    """
    import statsmodels.api as sm

    k, n = np.asarray(deaths, float), np.asarray(crossings, float)
    est = float(k.sum() / n.sum())
    boot = cluster_bootstrap(months, _ratio_of_sums(k, n), seed=rng, resamples=resamples, confidence=confidence)
    dof = max(len(k) - 1, 1)
    phi = float(((k - n * est) ** 2 / (n * est * (1 - est))).sum() / dof) if 0 < est < 1 else math.nan
    # proportions with var_weights = crossings: with a two-column (successes, failures) endog statsmodels
    # computes the "X2" scale on the unweighted proportions (measured: φ 0.01 instead of 126)
    fit = sm.GLM(k / n, np.ones((len(k), 1)), family=sm.families.Binomial(), var_weights=n).fit(scale="X2")
    lo, hi = fit.conf_int(alpha=1 - confidence)[0]
    cp = clopper_pearson(np.array([k.sum()]), np.array([n.sum()]), confidence)
    return {
        "estimate": est,
        "ci": boot.ci,
        "phi": phi,
        "quasi_ci": (float(1 / (1 + math.exp(-lo))), float(1 / (1 + math.exp(-hi)))),
        "cp_ci": (float(cp[0][0]), float(cp[1][0])),
        "finite": boot.finite,
    }


def quasi_poisson(data: pd.DataFrame, terms: Sequence[str], *, seasonal: bool = True, confidence: float = 0.95) -> Any:
    """A quasi-Poisson GLM of ``dead_missing`` with offset log ``crossings``: the fitted statsmodels results.

    Covariates: a constant, ``terms`` (columns of ``data``) and, with ``seasonal``, month-of-year
    indicators (January the reference; months absent from the data get no term).  Dispersion
    φ = Pearson χ² / residual df (``scale="X2"``), t-based inference on the residual df
    (McCullagh & Nelder 1989, ch. 9).
    """
    import statsmodels.api as sm

    x = pd.DataFrame({"const": 1.0}, index=data.index)
    for t in terms:
        x[t] = data[t].astype(float)
    if seasonal:
        moy = pd.to_datetime(data["date"]).dt.month
        for mo in sorted(set(moy) - {moy.min()}):
            x[f"month_{mo:02d}"] = (moy == mo).astype(float)
    if len(x) <= x.shape[1]:
        raise InputError(
            f"{len(x)} months for {x.shape[1]} coefficients: too few to fit the rate model",
            remedy="widen the periods or [parameters.maritime] window_months",
        )
    model = sm.GLM(
        data["dead_missing"].to_numpy(float),
        x,
        family=sm.families.Poisson(),
        offset=np.log(data["crossings"].to_numpy(float)),
    )
    return model.fit(scale="X2", use_t=True)


def change_ratio(
    data: pd.DataFrame, split: Any, *, seasonal: bool = True, confidence: float = 0.95
) -> tuple[float, tuple[float, float], float, Any]:
    """The rate ratio after / before ``split`` (a step, no trend) from :func:`quasi_poisson`:
    (estimate, interval, p-value, fitted results)."""
    d = data.copy()
    d["after"] = (pd.to_datetime(d["date"]) >= pd.Timestamp(split)).astype(float)
    fit = quasi_poisson(d, ["after"], seasonal=seasonal, confidence=confidence)
    lo, hi = np.asarray(fit.conf_int(alpha=1 - confidence))[1]
    return float(np.exp(fit.params["after"])), (float(np.exp(lo)), float(np.exp(hi))), float(fit.pvalues["after"]), fit


def change_ratio_bootstrap(
    data: pd.DataFrame, split: Any, rng: np.random.Generator, *, resamples: int, confidence: float = 0.95
) -> StatResult:
    """The rate ratio after / before ``split`` of :func:`change_ratio` (same model: a step and month-of-year
    terms), with its p-value and interval from a parametric bootstrap under the fitted negative-binomial
    null model (:func:`~borderscape.analyses.stats.models.null_bootstrap_rate_ratio`)."""
    d = pd.DataFrame(
        {
            "dead_missing": data["dead_missing"].to_numpy(float),
            "crossings": data["crossings"].to_numpy(float),
            "after": (pd.to_datetime(data["date"]) >= pd.Timestamp(split)).to_numpy(float),
        }
    )
    moy = pd.to_datetime(data["date"]).dt.month.to_numpy()
    terms = []
    for mo in sorted(set(moy) - {moy.min()}):
        d[f"month_{mo:02d}"] = (moy == mo).astype(float)
        terms.append(f"month_{mo:02d}")
    if len(d) <= len(terms) + 3:
        raise InputError(
            f"{len(d)} months for {len(terms) + 2} coefficients: too few to fit the rate model",
            remedy="widen the periods or [parameters.maritime] window_months",
        )
    return null_bootstrap_rate_ratio(
        d,
        "dead_missing",
        terms,
        "after",
        exposure="crossings",
        seed=rng,
        resamples=max(19, resamples),
        confidence=confidence,
        in_time_order=True,
    )


def _block_ratio(
    data: pd.DataFrame, split: pd.Timestamp, rng: np.random.Generator, resamples: int, confidence: float
) -> tuple[float, tuple[float, float]]:
    """Crude ratio of the pooled rates after / before ``split`` and its month-block bootstrap interval."""
    after = (pd.to_datetime(data["date"]) >= split).to_numpy()
    k, n = data["dead_missing"].to_numpy(float), data["crossings"].to_numpy(float)

    def stat(idx: np.ndarray) -> float:
        a, b = idx[after[idx]], idx[~after[idx]]
        if not len(a) or not len(b) or k[b].sum() == 0:
            return math.nan
        return float((k[a].sum() / n[a].sum()) / (k[b].sum() / n[b].sum()))

    boot = cluster_bootstrap(
        data["month"].to_numpy(), stat, seed=rng, resamples=resamples, confidence=confidence, strata=after
    )
    return boot.estimate, boot.ci


# -- the outcomes ------------------------------------------------------------------------------------


def _between(m: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    d = pd.to_datetime(m["date"])
    return m[((d >= start) & (d < end)).to_numpy()].reset_index(drop=True)


def _uses_breaks(route: str, denominator: str) -> bool:
    """Denominator breaks concern interceptions: they cut windows only when the denominator holds some."""
    return denominator == "attempted" and bool(ROUTES[route].interceptions)


def _pooled_outcome(
    route: str, m: pd.DataFrame, s: dict[str, Any], breaks: list[pd.Timestamp], rng: np.random.Generator, note: str
) -> Outcome:
    spec = ROUTES[route]
    k, n = m["dead_missing"].to_numpy(float), m["crossings"].to_numpy(float)
    r = pooled_rate(k, n, m["month"].to_numpy(), rng=rng, resamples=s["permutations"], confidence=s["confidence"])
    variants = [
        Variant(
            "quasi-binomial interval (logit-scale Wald, variance × φ)",
            r["estimate"],
            r["quasi_ci"],
            int(len(m)),
            note="Overdispersion-consistent interval from the same months; close to the block bootstrap.",
        ),
        Variant(
            "Clopper–Pearson, every crosser independent (shown for comparison; too narrow)",
            r["estimate"],
            r["cp_ci"],
            int(n.sum()),
            note=f"Ignores that deaths come in shipwrecks (φ = {r['phi']:.0f}).",
        ),
    ]
    inside = [b for b in breaks if pd.Timestamp(m["date"].min()) < b <= pd.Timestamp(m["date"].max())]
    if inside:
        late = _between(m, max(inside), pd.Timestamp.max)
        if len(late) >= 2:
            rl = pooled_rate(
                late["dead_missing"].to_numpy(float),
                late["crossings"].to_numpy(float),
                late["month"].to_numpy(),
                rng=rng,
                resamples=s["permutations"],
                confidence=s["confidence"],
            )
            variants.append(
                Variant(
                    f"from {max(inside).date()} (after the last denominator break)",
                    rl["estimate"],
                    rl["ci"],
                    int(len(late)),
                    note="A denominator whose sources are the same in every month.",
                )
            )
    breaks_text = (
        f" The series spans the denominator break(s) {', '.join(str(b.date()) for b in inside)}: before them the "
        "denominator lacks sources counted later, so the pooled rate mixes two definitions."
        if inside
        else ""
    )
    result = StatResult(
        name=f"dead and missing per attempted crossing, {route} route, pooled over months",
        estimate=r["estimate"],
        ci=r["ci"],
        p_value=math.nan,
        n=int(len(m)),
        method=(
            f"pooled rate Σ deaths / Σ crossings ({s['denominator']} denominator); interval: {BLOCK_METHOD} "
            f"of the ratio of sums, because deaths come in shipwrecks (dispersion φ = {r['phi']:.0f}); descriptive: "
            "no test"
        ),
        parameters={
            "months": int(len(m)),
            "dead_missing": int(k.sum()),
            "crossings": int(n.sum()),
            "first": str(m["month"].min()),
            "last": str(m["month"].max()),
            "dispersion_phi": r["phi"],
            "quasi_binomial_ci": list(r["quasi_ci"]),
            "clopper_pearson_ci": list(r["cp_ci"]),
            "resamples": s["permutations"],
            "denominator": s["denominator"],
            "confidence": s["confidence"],
        },
    )
    return Outcome.ran(
        f"M1.{route}",
        result,
        name=f"{result.name}: {spec.label}",
        reason=(note + breaks_text).strip(),
        role="descriptive",
        sensitivity=tuple(variants),
    )


def _design(
    study: Study, s: dict[str, Any], m: pd.DataFrame, breaks: list[pd.Timestamp]
) -> tuple[Window | None, str, str]:
    """The comparison of M1.change: (window, how it was chosen, why it is not a test — "" when it is)."""
    minimum = s["min_months"]
    if s["change_periods"] is not None:
        breaks = [split_month(b) for b in breaks]  # as intervention_windows reads them
        start, split, end = (split_month(d) if d.day != 1 else pd.Timestamp(d) for d in s["change_periods"])
        names = tuple(i.name for i in study.interventions if split_month(i.date) == split)
        w = Window(split.date().isoformat(), start, split, end, names, ())
        how = "declared in [parameters.maritime] change_periods"
        crossed = [b for b in breaks if start < b < end and b != split]
        on = [b for b in breaks if b == split]
        before, after = len(_between(m, start, split)), len(_between(m, split, end))
        if crossed:
            return (
                w,
                how,
                (
                    f"The declared periods cross the denominator break(s) {', '.join(str(b.date()) for b in crossed)}: "
                    "a change of the denominator's sources would read as a change of the rate."
                ),
            )
        if on:
            return w, how, f"A denominator break coincides with the split ({on[0].date()})."
        if min(before, after) < minimum:
            return (
                w,
                how,
                (
                    f"{before} month(s) with data before and {after} after: fewer than [parameters.statistics] "
                    f"min_months = {minimum} on a side."
                ),
            )
        return w, how, ""
    windows = intervention_windows(study, m["date"], s["window_months"], breaks=breaks)
    said = []
    for w in windows:
        before, after = len(_between(m, w.start, w.split)), len(_between(m, w.split, w.end))
        if not w.coincides and min(before, after) >= minimum:
            return (
                w,
                (
                    f"the first intervention with at least {minimum} months of data on each side within "
                    f"{s['window_months']} months, crossing no denominator break"
                ),
                "",
            )
        said.append(f"{w.label}: {before} before, {after} after" + (" (break at the split)" if w.coincides else ""))
    return (
        None,
        "",
        (
            f"No intervention has {minimum} months of data on each side within {s['window_months']} months without "
            f"crossing a denominator break ({'; '.join(said) or 'no intervention inside the series'}). What to do: "
            'declare the periods in [parameters.maritime] change_periods, or use denominator = "arrivals".'
        ),
    )


def _window_notes(study: Study, w: Window) -> list[str]:
    """Caveats of a comparison window: shocks near the split, other interventions and shocks inside it."""
    notes = list(shock_caveats(study, w.split))
    others = [
        f"{i.name} ({i.date.isoformat()})"
        for i in study.interventions
        if w.start <= pd.Timestamp(i.date) < w.end and split_month(i.date) != w.split
    ]
    if others:
        notes.append("Other interventions inside the compared months: " + "; ".join(others) + ".")
    window = study.params.statistics.shock_window_months * 30.44
    far = [
        f"{x.name} ({x.date.isoformat()})"
        for x in study.shocks
        if not x.denominator
        and w.start <= pd.Timestamp(x.date) < w.end
        and abs((pd.Timestamp(x.date) - w.split).days) > window
    ]
    if far:
        notes.append("Shocks inside the compared months: " + "; ".join(far) + ".")
    return notes


def _missing_by_component(data: pd.DataFrame) -> dict[str, int]:
    """How many months of ``data`` lack each component (recorded as NaN in ``missing_<column>``)."""
    return {c[8:]: int(data[c].sum()) for c in data.columns if c.startswith("missing_") and data[c].sum() > 0}


def _composition(route: str, before: pd.DataFrame, after: pd.DataFrame) -> tuple[CompositionRow, ...]:
    """The share of each component of the denominator on each side."""
    spec = ROUTES[route]
    parts = [c for c in (*spec.arrivals, *spec.interceptions) if c in before.columns]
    nb, na = float(before["crossings"].sum()), float(after["crossings"].sum())
    rows = [
        CompositionRow(
            "component of the crossings",
            c.replace("_", " "),
            before[c].sum() / nb,
            after[c].sum() / na,
            int(nb),
            int(na),
        )
        for c in parts
    ]
    rows.append(
        CompositionRow(
            "component of the crossings",
            "dead and missing",
            before["dead_missing"].sum() / nb,
            after["dead_missing"].sum() / na,
            int(nb),
            int(na),
        )
    )
    mb, ma = int((before["missing"] > 0).sum()), int((after["missing"] > 0).sum())
    rows.append(
        CompositionRow(
            "months with a missing component (counted as 0)",
            "share of months",
            mb / max(len(before), 1),
            ma / max(len(after), 1),
            len(before),
            len(after),
        )
    )
    return tuple(rows)


def _change_outcome(
    study: Study,
    s: dict[str, Any],
    route: str,
    oid: str,
    m: pd.DataFrame,
    other: pd.DataFrame | None,
    breaks: list[pd.Timestamp],
    rng: np.random.Generator,
    note: str,
) -> list[Outcome]:
    """M1.change: the rate ratio between the declared periods, with its sensitivity variants."""
    name = f"change of deaths per attempted crossing between the declared periods, {route} route (rate ratio)"
    w, how, why = _design(study, s, m, breaks)
    if w is None:
        return [Outcome.skipped(oid, name, why + " " + note)]
    data = _between(m, w.start, w.end)
    before, after = _between(data, w.start, w.split), _between(data, w.split, w.end)
    conf, boots = s["confidence"], s["permutations"]
    label = f"{w.start.date()}…{(w.split - pd.Timedelta(days=1)).date()} vs {w.split.date()}…{(w.end - pd.Timedelta(days=1)).date()}"
    rb, rc = (float(x["dead_missing"].sum() / x["crossings"].sum()) if len(x) else math.nan for x in (before, after))
    params: dict[str, Any] = {
        "design": how,
        "before": [str(w.start.date()), str((w.split - pd.Timedelta(days=1)).date())],
        "after": [str(w.split.date()), str((w.end - pd.Timedelta(days=1)).date())],
        "split_interventions": list(w.names),
        "months_before": int(len(before)),
        "months_after": int(len(after)),
        "dead_missing_before": int(before["dead_missing"].sum()),
        "dead_missing_after": int(after["dead_missing"].sum()),
        "crossings_before": int(before["crossings"].sum()),
        "crossings_after": int(after["crossings"].sum()),
        "rate_before": rb,
        "rate_after": rc,
        "denominator": s["denominator"],
        "min_months": s["min_months"],
        "confidence": conf,
        "resamples": boots,
    }
    caveats = _window_notes(study, w)
    if min(len(before), len(after)) < 2:
        return [Outcome.skipped(oid, name, f"{len(before)} month(s) before and {len(after)} after {label}. " + note)]
    crude, crude_ci = _block_ratio(data, w.split, rng, boots, conf)
    if why:
        return [
            Outcome.skipped(oid, name, why + f" The crude ratio is in {oid}.descriptive. " + note),
            Outcome.ran(
                f"{oid}.descriptive",
                StatResult(
                    f"{name}: crude ratio of the pooled rates, {label}",
                    crude,
                    crude_ci,
                    math.nan,
                    int(len(data)),
                    f"ratio of the pooled rates after / before; interval: {BLOCK_METHOD}; descriptive: " + why,
                    parameters=params,
                ),
                reason=note,
                role="descriptive",
                null_value=1.0,
                caveats=tuple(caveats),
            ),
        ]
    wald_est, wald_ci, wald_p, fit = change_ratio(data, w.split, confidence=conf)
    boot = change_ratio_bootstrap(data, w.split, rng, resamples=boots, confidence=conf)
    est, ci, p = boot.estimate, boot.ci, boot.p_value
    params.update(
        {f"bootstrap_{k}": v for k, v in boot.parameters.items() if k not in ("coefficient", "confidence", "seed")}
    )
    params.update(
        {
            "dispersion_phi": float(fit.scale),
            "df_resid": float(fit.df_resid),
            "crude_ratio": crude,
            "crude_ratio_block_ci": list(crude_ci),
            "seasonal_terms": "month of year (11 indicators)",
        }
    )
    variants = [
        Variant(
            "Wald interval and t-test on the residual df (quasi-Poisson)",
            wald_est,
            wald_ci,
            int(len(data)),
            wald_p,
            note="Rejected too often on simulated null series with shipwreck-like clustering "
            "(docs/calibration-primaries.md).",
        ),
        Variant(
            "crude ratio of the pooled rates, month-block bootstrap interval",
            crude,
            crude_ci,
            int(len(data)),
            note="No seasonal terms; months resampled whole within each side.",
        ),
    ]
    e2, c2, p2, _ = change_ratio(data, w.split, seasonal=False, confidence=conf)
    variants.append(Variant("quasi-Poisson without month-of-year terms", e2, c2, int(len(data)), p2))
    if other is not None:
        od = _between(other, w.start, w.end)
        what = (
            "arrivals + dead and missing (interceptions left out)"
            if s["denominator"] == "attempted"
            else "arrivals + interceptions + dead and missing (the IOM definition)"
        )
        cross = [str(b.date()) for b in denominator_breaks(study) if w.start < b < w.end]
        try:
            e3, c3, p3, _ = change_ratio(od, w.split, confidence=conf)
            variants.append(
                Variant(
                    f"denominator {what}",
                    e3,
                    c3,
                    int(len(od)),
                    p3,
                    note=("Crosses the denominator break(s) " + ", ".join(cross) + ".") if cross else "",
                )
            )
        except InputError as exc:
            variants.append(Variant(f"denominator {what}", None, note=str(exc)))
    no2020 = data[pd.to_datetime(data["date"]).dt.year != 2020].reset_index(drop=True)
    if len(no2020) < len(data):
        nb = int((pd.to_datetime(no2020["date"]) < w.split).sum())
        try:
            e4, c4, p4, _ = change_ratio(no2020, w.split, confidence=conf)
            variants.append(
                Variant(
                    "without 2020 (COVID-19)",
                    e4,
                    c4,
                    int(len(no2020)),
                    p4,
                    note=f"{nb} months before, {len(no2020) - nb} after.",
                )
            )
        except InputError as exc:
            variants.append(Variant("without 2020 (COVID-19)", None, note=str(exc)))
    gaps = int((data["missing"] > 0).sum())
    if gaps:
        which = "; ".join(f"{c.replace('_', ' ')}: {n} month(s)" for c, n in _missing_by_component(data).items())
        caveats.append(
            f"In {gaps} of the {len(data)} months a component of the denominator is missing and counts as 0, so the "
            f"rate of those months is an upper bound ({which})."
        )
    caveats.append(CHANGE_SIZE_CAVEAT)
    result = StatResult(
        name=f"{name}, {label}",
        estimate=est,
        ci=ci,
        p_value=p,
        n=int(len(data)),
        method=(
            f"{QP_METHOD.split('; rate ratio')[0]}; step change after / before the split, no trend term; rate ratio "
            f"exp(b); p-value and interval by parametric bootstrap of the t statistic under the fitted negative-"
            f"binomial null model ({boot.parameters['resamples']} series; Davison & Hinkley 1997 §4.2, §5.2)"
        ),
        statistic=float(fit.tvalues["after"]),
        parameters=params,
    )
    return [
        Outcome.ran(
            oid,
            result,
            reason=note,
            role="secondary",
            null_value=1.0,
            sensitivity=tuple(variants),
            composition=_composition(route, before, after),
            caveats=tuple(caveats),
        )
    ]


def _its_outcome(
    study: Study, s: dict[str, Any], route: str, m: pd.DataFrame, w: Window, rng: np.random.Generator, note: str
) -> Outcome:
    """The interrupted time series at one (merged) intervention month."""
    oid = f"M1.{route}.its.{w.label}"
    names = " and ".join(w.names)
    name = f"change of deaths per crossing at {names} (split {w.split.strftime('%Y-%m')}), {route} route"
    data = _between(m, w.start, w.end)
    before, after = (
        int((pd.to_datetime(data["date"]) < w.split).sum()),
        int((pd.to_datetime(data["date"]) >= w.split).sum()),
    )
    caveats = list(shock_caveats(study, w.split))
    if w.cut:
        caveats.append("The window is cut at the denominator break(s) " + ", ".join(str(b.date()) for b in w.cut) + ".")
    params = {
        "interventions": list(w.names),
        "split": str(w.split.date()),
        "window_start": str(w.start.date()),
        "window_end": str((w.end - pd.Timedelta(days=1)).date()),
        "months_before": before,
        "months_after": after,
        "confidence": s["confidence"],
    }
    if min(before, after) < 2:
        return Outcome.skipped(oid, name, f"{before} month(s) before and {after} after within the window. {note}")
    why = ""
    if w.coincides:
        why = "a denominator break coincides with the split, so the change of sources cannot be told from it"
    elif min(before, after) < s["min_months"]:
        why = (
            f"{before} month(s) before and {after} after: fewer than [parameters.statistics] min_months = "
            f"{s['min_months']} on a side"
        )
    if why:
        crude, ci = _block_ratio(data, w.split, rng, s["permutations"], s["confidence"])
        return Outcome.ran(
            oid,
            StatResult(
                f"{name}: crude ratio of the pooled rates after / before",
                crude,
                ci,
                math.nan,
                int(len(data)),
                f"ratio of the pooled rates after / before the split; interval: {BLOCK_METHOD}; descriptive: {why}",
                parameters={**params, "descriptive_because": why},
            ),
            reason=note,
            role="descriptive",
            null_value=1.0,
            caveats=tuple(caveats),
        )
    d = data.copy()
    t = (pd.to_datetime(d["date"]) - w.split).dt.days.to_numpy() / 365.25
    d["t"], d["post"] = t, (t >= 0).astype(float)
    d["t_post"] = d["t"] * d["post"]
    fit = quasi_poisson(d, ["t", "post", "t_post"], confidence=s["confidence"])
    ci = np.exp(np.asarray(fit.conf_int(alpha=1 - s["confidence"]))[2])
    params.update(
        {
            "slope_change_rate_ratio_per_year": float(np.exp(fit.params["t_post"])),
            "slope_change_p": float(fit.pvalues["t_post"]),
            "dispersion_phi": float(fit.scale),
        }
    )
    return Outcome.ran(
        oid,
        StatResult(
            f"{name} (rate ratio of the level change)",
            float(np.exp(fit.params["post"])),
            (float(ci[0]), float(ci[1])),
            float(fit.pvalues["post"]),
            int(len(data)),
            "interrupted time series (Wagner et al. 2002; Bernal et al. 2017): "
            + QP_METHOD
            + "; log E[deaths] = log crossings + b0 + b1 t + b2 post + b3 t·post + month of year; estimate exp(b2)",
            float(fit.tvalues["post"]),
            params,
        ),
        reason=note,
        role="secondary",
        null_value=1.0,
        caveats=tuple(caveats),
    )


def m1_mortality(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """M1: deaths per attempted crossing by route and month, pooled, its change, and around interventions.

    Tables: ``mortality_per_crossing`` (:data:`RATE_COLUMNS`, the study's denominator). Outcomes:
    ``M1.<route>`` (pooled rate, descriptive), ``M1.change`` (the first route's rate ratio between the
    declared periods: the primary; ``M1.<route>.change`` for further routes; ``….descriptive`` with the
    crude ratio when the periods do not allow a test) and ``M1.<route>.its.<date>`` (interrupted time
    series at each intervention month, within ``window_months`` each side cut at denominator breaks).
    Every interval is drawn from ``rng`` (month-block bootstraps).
    """
    s = sea_settings(study)
    name = "deaths per attempted crossing by route and month"
    why = missing(study, inputs, "crossings")
    if why:
        return Section([Outcome.skipped("M1", name, why), Outcome.skipped("M1.change", name, why)])
    frame = inputs.get("crossings").frame
    frame = frame[in_period(frame["date"], study)]  # months whose first day lies in the study period
    table = mortality_per_crossing(
        frame, s["routes"], exclude_years=s["exclude_years"], confidence=s["confidence"], denominator=s["denominator"]
    )
    outcomes: list[Outcome] = []
    for i, (route, child) in enumerate(zip(s["routes"], rng.spawn(len(s["routes"])))):
        spec = ROUTES[route]
        rid = f"M1.{route}"
        cid = "M1.change" if i == 0 else f"{rid}.change"
        m = monthly_rates(frame, route, exclude_years=s["exclude_years"], denominator=s["denominator"])
        if m.empty:
            why = (
                f"No month has both {spec.deaths} deaths and {spec.arrivals[0]} arrivals in the "
                "crossings table. What to do: give a table with those columns."
            )
            outcomes += [Outcome.skipped(rid, f"{name}: {spec.label}", why), Outcome.skipped(cid, name, why)]
            continue
        other = None
        if spec.interceptions:
            alt = "arrivals" if s["denominator"] == "attempted" else "attempted"
            other = monthly_rates(frame, route, exclude_years=s["exclude_years"], denominator=alt)
        breaks = denominator_breaks(study) if _uses_breaks(route, s["denominator"]) else []
        note = spec.lacking + (f" Years left out: {s['exclude_years']}." if s["exclude_years"] else "")
        pooled_rng, change_rng, its_rng = child.spawn(3)
        outcomes.append(_pooled_outcome(route, m, s, breaks, pooled_rng, note))
        outcomes += _change_outcome(study, s, route, cid, m, other, breaks, change_rng, note)
        windows = intervention_windows(study, m["date"], s["window_months"], breaks=breaks)
        for w, g in zip(windows, its_rng.spawn(max(len(windows), 1))):
            outcomes.append(_its_outcome(study, s, route, m, w, g, note))
    return Section(outcomes, tables={"mortality_per_crossing": table})
