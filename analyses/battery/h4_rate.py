"""H4 mortality rate: deaths per encounter, and its change at intervention dates.

*Counts by month* include every row of the ``deaths`` layer dated in the study period
(:func:`~borderscape.analyses.battery.common.in_period`), quarantined ones too (a wrong location
does not make a death less real); the region is that of the Border Patrol sectors of
``[parameters.h4] sectors``.  ``[parameters.h4]``: ``sectors`` (``["Tucson Sector"]``),
``min_months`` (3, the floor of a segmented regression), ``per`` (100000);
``[parameters.statistics] confidence``.

References
----------
Bernal, J. L., Cummins, S. & Gasparrini, A. (2017). Interrupted time series regression for the
evaluation of public health interventions: a tutorial. Int. J. Epidemiol. 46(1), 348–355.
Garwood, F. (1936). Fiducial limits for the Poisson distribution. Biometrika 28, 437–442.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from borderscape.analyses.battery.common import (
    Section,
    frame_of,
    in_period,
    missing,
    settings,
)
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome
from borderscape.analyses.stats.intervals import garwood
from borderscape.analyses.stats.models import count_regression
from borderscape.analyses.study import Study
from borderscape.geo.errors import BorderscapeError
from borderscape.layers.quality import usable

__all__ = ["h4_mortality_rate"]


def _monthly(study: Study, inputs: StudyInputs) -> tuple[pd.DataFrame | None, str, list[str]]:
    """Monthly deaths (every row dated in the study period) and encounters of the chosen sectors, in the
    months of the study period that have encounter counts (months without a death count 0)."""
    enc = usable(frame_of(inputs.get("encounters")))
    if not {"month", "encounters"} <= set(enc.columns):
        return None, "The encounters table lacks the columns month and encounters.", []
    given = study.params.h4.sectors
    sectors = ["Tucson Sector"] if given is None else list(given)
    note = ""
    if "area_of_responsibility" in enc.columns:
        areas = enc["area_of_responsibility"]
        chosen = areas.isin(sectors).fillna(False).to_numpy(dtype=bool)
        present = sorted(str(a) for a in areas.dropna().unique())
        if not chosen.any() and len(present) == 1 and given is None:
            sectors, chosen = present, areas.notna().to_numpy(dtype=bool)
            note = f"the table holds one area only ({present[0]}), used in place of the default sectors"
        if not chosen.any():
            return (
                None,
                (f"No encounters in {sectors}: set [parameters.h4] sectors to some of {present[:20]}."),
                sectors,
            )
        enc = enc[chosen]
    months = pd.to_datetime(enc["month"]).dt.to_period("M")
    encounters = enc["encounters"].astype("Float64").groupby(months.to_numpy()).sum(min_count=1).astype(float)
    deaths = frame_of(inputs.get("deaths"))
    dated = deaths[in_period(deaths["date"], study)]
    dmonth = pd.to_datetime(dated["date"]).dt.to_period("M")
    dead = (
        pd.to_numeric(dated["dead"], errors="coerce").fillna(0).to_numpy() if "dead" in dated else np.ones(len(dated))
    )
    per_month = pd.Series(dead, index=dmonth.to_numpy()).groupby(level=0).sum()
    if per_month.empty or encounters.dropna().empty:
        return None, "No dated deaths or no encounter counts.", sectors
    first, last = pd.Period(study.start, "M"), pd.Period(study.end, "M")
    span = encounters[(encounters.index >= first) & (encounters.index <= last) & (encounters > 0)]
    if span.empty:
        return None, "The deaths and the encounters share no month.", sectors
    full = pd.period_range(span.index.min(), span.index.max(), freq="M")
    table = pd.DataFrame(
        {
            "month": full.to_timestamp(),
            "deaths": per_month.reindex(full, fill_value=0).to_numpy(),
            "encounters": span.reindex(full).to_numpy(),
        }
    )
    table = table[table["encounters"] > 0].reset_index(drop=True)
    return table, note, sectors


def h4_mortality_rate(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """H4: deaths per encounter, and its change at intervention dates (interrupted time series).

    Remains per month (by reporting date; every row dated in the study period, quarantined
    locations included) against CBP encounters of the sectors ``[parameters.h4] sectors`` (default the Tucson
    Sector, whose area holds the Pima County records) in the months both cover.

    * ``H4``: D / E · ``per`` over the whole overlap (D deaths, E encounters), with the
      exact Poisson (Garwood 1936) interval ``χ²(a/2; 2D)/2``, ``χ²(1−a/2; 2D+2)/2`` of D
      (:func:`~borderscape.analyses.stats.intervals.garwood`).
      Its p-value is that of ``H4.rate_ratio``.
    * ``H4.rate_ratio``: rate after / rate before the first intervention with at least
      ``min_months`` months on each side: Poisson regression ``log μ_t = log E_t + β0 +
      β2 D_t + γ1 sin(2πm/12) + γ2 cos(2πm/12)``, rate ratio exp(β2), quasi-Poisson
      standard errors (below).  (An exact conditional test of two Poisson rates ignores the
      month-to-month overdispersion of real series, and over-rejected in simulated worlds.)
    * ``H4.its.<date>`` for every intervention: Poisson segmented regression (Bernal et al.
      2017) ``log μ_t = log E_t + β0 + β1 t + β2 D_t + β3 (t − t0) D_t + γ1 sin(2πm/12) +
      γ2 cos(2πm/12)`` (t in years, D_t = 1 from the intervention's month, m the month),
      fitted by :func:`~borderscape.analyses.stats.models.count_regression`; the level change is
      the rate ratio exp(β2).  Overdispersion: standard errors are multiplied by √max(1, φ),
      φ the Pearson dispersion (quasi-Poisson).  Interventions with fewer than
      ``min_months`` months on a side are skipped with the reason.

    Parameters
    ----------
    study
        Interventions, ``[parameters.h4]`` and ``[parameters.statistics] confidence``.
    inputs
        Needs the ``deaths`` and ``encounters`` layers.
    rng
        Not used (all inference here is exact or asymptotic); taken for the battery's contract.

    Returns
    -------
    Section
        Outcomes and the table ``h4_monthly`` (month, deaths, encounters, rate per ``per``).
    """
    del rng
    conf = settings(study)["confidence"]
    per = study.params.h4.per
    min_months = study.params.statistics.min_months
    name = f"deaths per {per:,.0f} encounters"
    why = missing(study, inputs, "deaths", "encounters")
    its_ids = [(f"H4.its.{i.date.isoformat()}", i) for i in study.interventions]
    if why:
        return Section(
            [Outcome.skipped("H4", name, why), Outcome.skipped("H4.rate_ratio", "rate ratio after/before", why)]
            + [Outcome.skipped(k, f"level change at {i.name}", why) for k, i in its_ids]
        )
    table, note, sectors = _monthly(study, inputs)
    if table is None:
        return Section(
            [Outcome.skipped("H4", name, note), Outcome.skipped("H4.rate_ratio", "rate ratio after/before", note)]
            + [Outcome.skipped(k, f"level change at {i.name}", note) for k, i in its_ids]
        )
    table["rate"] = table["deaths"] / table["encounters"] * per
    months = table["month"]
    d_total, e_total = int(round(table["deaths"].sum())), float(table["encounters"].sum())
    lo, hi = garwood(d_total, conf)
    common = {
        "sectors": sectors,
        "first_month": months.iloc[0].date().isoformat(),
        "last_month": months.iloc[-1].date().isoformat(),
        "months": int(len(table)),
        "deaths": d_total,
        "encounters": e_total,
        "per": per,
        "confidence": conf,
    }

    def sides(date: dt.date) -> tuple[np.ndarray, int, int]:
        post = (months >= pd.Timestamp(date).to_period("M").to_timestamp()).to_numpy()
        return post, int(post.sum()), int((~post).sum())

    inside = [i for i in study.interventions if min(sides(i.date)[1:]) >= min_months]
    outcomes: list[Outcome] = []
    rr_outcome: Outcome
    if inside and d_total > 0:
        split = inside[0]
        rr_outcome = _rate_change(
            "H4.rate_ratio",
            f"rate after / rate before {split.date} ({split.name})",
            table,
            split.date,
            conf,
            {**common, "split_name": split.name},
            segmented=False,
        )
        rr_outcome = dataclasses.replace(rr_outcome, reason=note)
        p_value, h4_reason = rr_outcome.p_value, note
    else:
        p_value = math.nan
        h4_reason = (
            f"No intervention has {min_months} months of the series on each side, so no test of change "
            "(the p-value is empty)."
        ) + (f" {note}" if note else "")
        rr_outcome = Outcome.skipped("H4.rate_ratio", "rate ratio after/before", h4_reason)
    outcomes.append(
        Outcome(
            id="H4",
            name=f"{name} (remains by reporting month / CBP encounters, {', '.join(sectors)})",
            status="ran",
            reason=h4_reason,
            estimate=d_total / e_total * per,
            ci=(lo / e_total * per, hi / e_total * per),
            p_value=p_value,
            n=d_total,
            method="rate over the overlap with the exact Poisson (Garwood 1936) interval; p-value of H4.rate_ratio",
            parameters=common,
        )
    )
    outcomes.append(rr_outcome)
    for key, intervention in its_ids:
        post, n_post, n_pre = sides(intervention.date)
        title = f"level change of deaths per encounter at {intervention.name} ({intervention.date})"
        if min(n_post, n_pre) < min_months:
            outcomes.append(
                Outcome.skipped(
                    key,
                    title,
                    (
                        f"{intervention.date} leaves {n_pre} months of the series before it and {n_post} after "
                        f"({common['first_month']} to {common['last_month']}); at least {min_months} on each side are needed."
                    ),
                )
            )
            continue
        outcomes.append(
            _rate_change(key, title + ": rate ratio", table, intervention.date, conf, common, segmented=True)
        )
    return Section(outcomes=outcomes, tables={"h4_monthly": table})


def _rate_change(
    key: str, title: str, table: pd.DataFrame, date: dt.date, conf: float, common: dict[str, Any], *, segmented: bool
) -> Outcome:
    """Quasi-Poisson regression of monthly deaths with a log(encounters) offset: the rate ratio at ``date``."""
    month = table["month"]
    t0 = pd.Timestamp(date).to_period("M").to_timestamp()
    t = (month - month.iloc[0]).dt.days.to_numpy() / 365.25
    tz = (t0 - month.iloc[0]).days / 365.25
    post = (month >= t0).to_numpy().astype(np.float64)
    data = pd.DataFrame(
        {
            "deaths": table["deaths"].to_numpy(dtype=np.float64),
            "encounters": table["encounters"].to_numpy(dtype=np.float64),
            "t": t,
            "post": post,
            "t_post": (t - tz) * post,
            "sin": np.sin(2 * np.pi * month.dt.month.to_numpy() / 12.0),
            "cos": np.cos(2 * np.pi * month.dt.month.to_numpy() / 12.0),
        }
    )
    if data["deaths"].sum() == 0:
        return Outcome.skipped(key, title, "No deaths in the series.")
    covariates = ["t", "post", "t_post", "sin", "cos"] if segmented else ["post", "sin", "cos"]
    try:
        model = count_regression(data, "deaths", covariates, exposure="encounters", confidence=conf)
    except (BorderscapeError, np.linalg.LinAlgError, ValueError) as exc:
        return Outcome.skipped(key, title, f"The Poisson regression could not be fitted: {exc}")
    level = model.rate_ratios[covariates.index("post")]
    phi = max(1.0, model.pearson_dispersion)
    b, se = float(level.parameters["coefficient"]), float(level.parameters["se"]) * math.sqrt(phi)
    zc = stats.norm.ppf(0.5 + conf / 2.0)
    extra: dict[str, Any] = {}
    if segmented:
        extra["slope_change_rate_ratio_per_year"] = model.rate_ratios[covariates.index("t_post")].estimate
        how = (
            "Poisson segmented regression (interrupted time series; Bernal, Cummins & Gasparrini 2017) of monthly "
            "deaths with log(encounters) offset, trend, level and trend change, and annual harmonics"
        )
    else:
        how = (
            "Poisson regression of monthly deaths with log(encounters) offset, an after-indicator and annual "
            "harmonics (rate ratio after/before)"
        )
    return Outcome(
        id=key,
        name=title,
        status="ran",
        reason="",
        estimate=math.exp(b),
        ci=(math.exp(b - zc * se), math.exp(b + zc * se)),
        p_value=float(2 * stats.norm.sf(abs(b / se))),
        n=int(len(table)),
        method=how + "; standard errors scaled by sqrt(max(1, Pearson dispersion)) (quasi-Poisson), Wald CI and z-test",
        parameters={
            **common,
            "intervention": date.isoformat(),
            "months_before": int((post == 0).sum()),
            "months_after": int(post.sum()),
            "deaths_after": int(data["deaths"][post == 1].sum()),
            "dispersion": model.pearson_dispersion,
            "coefficient": b,
            "se": se,
            **extra,
        },
    )
