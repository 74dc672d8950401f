"""H4 mortality rate: deaths per encounter, its trend over the months of the series, and its change at
intervention dates.

*Counts by month* include every row of the ``deaths`` layer inside the study's region and period
(the one rule, :func:`borderscape.analyses.region.select`), quarantined ones too when their recorded
point lies inside the region (a wrong location does not make a death less real; ``quarantined="by
point"``), by the month the remains were reported, in the months of the encounter series (H4's own
window, stated as ``window`` in its parameters; the rows left out by the rule are counted under
``excluded_records``); the denominator is the
CBP encounters of the Border Patrol sectors of ``[parameters.h4] sectors``.  ``[parameters.h4]``:
``sectors`` (``["Tucson Sector"]``), ``per`` (100000); ``[parameters.statistics]``: ``confidence``,
``min_months`` (fewest months on each side of a before/after comparison or an interrupted time
series, and in a trend; 24), ``shock_window_months``.

What the denominator means: encounters are events, not people.  Under Title 42 (March 2020 – May
2023) people expelled to Mexico could try again within days, so repeat encounters rose: a rate per
encounter that falls may be a denominator that rises, not fewer deaths per person crossing.  The
sensitivity variants of ``H4.trend`` therefore include Title 8 encounters only (apprehensions, which
the expulsions left out) and the series without the months of Title 42.

References
----------
Bernal, J. L., Cummins, S. & Gasparrini, A. (2017). Interrupted time series regression for the
evaluation of public health interventions: a tutorial. Int. J. Epidemiol. 46(1), 348–355.
Bhaskaran, K., Gasparrini, A., Hajat, S., Smeeth, L. & Armstrong, B. (2013). Time series regression
studies in environmental epidemiology. Int. J. Epidemiol. 42(4), 1187–1195 (Fourier terms for season).
McCullagh, P. & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed., §4.5 (quasi-likelihood).
Newey, W. K. & West, K. D. (1987). Econometrica 55, 703–708; (1994) Rev. Econ. Studies 61, 631–653.
Angrist, J. D. & Pischke, J.-S. (2009). Mostly Harmless Econometrics, §8.2.3.
Ljung, G. M. & Box, G. E. P. (1978). On a measure of lack of fit in time series models. Biometrika
65(2), 297–303.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from borderscape.analyses import region
from borderscape.analyses.battery.common import (
    Section,
    composition,
    denominator_breaks,
    frame_of,
    missing,
    settings,
    shock_caveats,
)
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import CompositionRow, Outcome, Variant
from borderscape.analyses.stats.intervals import garwood
from borderscape.analyses.stats.models import CountModel, count_regression, null_bootstrap_rate_ratio
from borderscape.analyses.study import Study
from borderscape.geo.errors import BorderscapeError
from borderscape.layers.quality import usable

__all__ = ["h4_mortality_rate", "hac_lags", "post_mortem_days"]

#: Pairs of annual harmonics (sin, cos of 2πkm/12, k = 1 … this) of every H4 model.  Two pairs (4
#: degrees of freedom) fit one annual peak of any timing, width and asymmetry; 11 month indicators
#: would spend 11 of 60 months' degrees of freedom on 5 observations per calendar month (Bhaskaran et
#: al. 2013).  The indicators are a sensitivity variant of ``H4.trend``.
HARMONICS = 2

#: Remains whose post-mortem interval is at most this many days died about when they were reported.
RECENT_DAYS = 35.0

#: What the denominator is, said on every H4 result.
DENOMINATOR = (
    "Encounters are events, not people: a person caught and returned who tries again is encountered again, "
    "so a rate per encounter that falls may be a denominator that rises, not fewer deaths per person crossing."
)


#: The measured size of H4.trend's test, said on the result (docs/calibration-primaries.md).
TREND_SIZE_CAVEAT = (
    "On 400 simulated 60-month series with no trend, overdispersion like this one's and autocorrelated "
    "encounters, this test gave p < 0.05 in 1.2 % (deaths in clusters) and 3.0 % (gamma-mixed monthly rates) "
    "of series; the Wald test in its variants, in 6.0 % and 8.8 % (docs/calibration-primaries.md)."
)


def hac_lags(months: int) -> int:
    """Lags of the Newey–West standard errors of a series of ``months`` months: ⌊4 (n/100)^(2/9)⌋, at
    least 1 (Newey & West 1994); 3 for 60 months."""
    return max(1, int(math.floor(4.0 * (months / 100.0) ** (2.0 / 9.0))))


_PMI = re.compile(r"([<>])\s*(\d+(?:\.\d+)?)(?:\s*-\s*(\d+(?:\.\d+)?))?\s*(day|week|month|year)", re.IGNORECASE)
_UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 30.44, "year": 365.25}


def post_mortem_days(text: Any) -> float:
    """The upper bound in days of a post-mortem interval written as the Pima County records write it
    (``< 1 day``, ``< 3 weeks``, ``< 6-8 months``; ``> 6-8 months`` is unbounded: ``inf``); NaN when
    unknown or not of that form."""
    if text is None or (isinstance(text, float) and math.isnan(text)) or text is pd.NA:
        return math.nan
    m = _PMI.search(str(text))
    if m is None:
        return math.nan
    if m.group(1) == ">":
        return math.inf
    upper = float(m.group(3) or m.group(2))
    return upper * _UNIT_DAYS[m.group(4).lower()]


# -- the monthly series ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Series:
    """The monthly table and the rows behind it (for the composition of a before/after comparison)."""

    table: pd.DataFrame
    deaths: pd.DataFrame
    encounters: pd.DataFrame
    note: str
    sectors: list[str]
    authority: bool
    recent: bool
    excluded: dict[str, int] = field(default_factory=dict)


def _authority(enc: pd.DataFrame) -> pd.Series | None:
    """``Title 8`` / ``Title 42`` per row (``authority``, or ``title_of_authority`` of CBP's own CSV)."""
    for column in ("authority", "title_of_authority"):
        if column in enc.columns:
            text = enc[column].astype("string").str.strip().str.lower().str.replace(r"\s+", " ", regex=True)
            return text.map({"title 8": "Title 8", "title 42": "Title 42"}, na_action="ignore")
    return None


def _monthly(study: Study, inputs: StudyInputs) -> tuple[_Series | None, str, list[str]]:
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
    months = pd.to_datetime(enc["month"]).dt.to_period("M").to_numpy()
    counts = enc["encounters"].astype("Float64")
    encounters = counts.groupby(months).sum(min_count=1).astype(float)
    authority = _authority(enc)
    deaths = frame_of(inputs.get("deaths"))
    chosen = region.select(study, deaths, quarantined="by point")  # the study's region and period first
    dated = deaths[chosen.keep]
    dmonth = pd.to_datetime(dated["date"]).dt.to_period("M").to_numpy()
    dead = (
        pd.to_numeric(dated["dead"], errors="coerce").fillna(0).to_numpy() if "dead" in dated else np.ones(len(dated))
    )
    per_month = pd.Series(dead, index=dmonth).groupby(level=0).sum()
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
    if authority is not None and authority.notna().any():
        for label, column in (("Title 8", "encounters_title8"), ("Title 42", "encounters_title42")):
            part = counts.where((authority == label).fillna(False).to_numpy(), 0.0)
            table[column] = part.groupby(months).sum().astype(float).reindex(full, fill_value=0.0).to_numpy()
    recent = "post_mortem_interval" in dated.columns
    if recent:
        days = dated["post_mortem_interval"].map(post_mortem_days).to_numpy(dtype=float)
        short = pd.Series(np.where(days <= RECENT_DAYS, dead, 0.0), index=dmonth).groupby(level=0).sum()
        table["deaths_recent"] = short.reindex(full, fill_value=0).to_numpy()
    table = table[table["encounters"] > 0].reset_index(drop=True)
    kept = set(table["month"].dt.to_period("M"))
    rows = pd.DataFrame({"month": pd.PeriodIndex(dmonth, freq="M")}, index=dated.index)
    for column in ("post_mortem_interval", "corridor"):
        if column in dated.columns:
            rows[column] = dated[column].to_numpy()
    rows = rows[rows["month"].isin(kept)]
    erows = pd.DataFrame({"month": pd.PeriodIndex(months, freq="M"), "encounters": counts.to_numpy(dtype=float)})
    if authority is not None:
        erows["authority"] = authority.to_numpy()
    if "demographic" in enc.columns:
        erows["demographic"] = enc["demographic"].to_numpy()
    erows = erows[erows["month"].isin(kept)]
    series = _Series(table, rows, erows, note, sectors, "encounters_title8" in table, recent, chosen.excluded)
    return series, note, sectors


# -- models ------------------------------------------------------------------------------------------


def _years(month: pd.Series) -> np.ndarray:
    """Years since the series' first month."""
    return np.asarray((month - month.iloc[0]).dt.days.to_numpy(dtype=np.float64) / 365.25)


def _design(
    table: pd.DataFrame,
    *,
    trend: bool,
    seasonal: str | None = "harmonics",
    split: pd.Timestamp | None = None,
    segmented: bool = False,
    breaks: tuple[pd.Timestamp, ...] = (),
    count: str = "deaths",
    exposure: str = "encounters",
) -> tuple[pd.DataFrame, list[str]]:
    """The model frame of an H4 count regression: ``deaths``, ``encounters`` and the covariates.

    ``t`` years since the first month (a linear trend); ``post`` 1 from ``split``'s month and
    ``t_post`` = (t − t₀)·post (segmented); seasonal terms: ``HARMONICS`` sin/cos pairs, or 11
    month-of-year indicators (January the reference; calendar months absent from the table dropped);
    ``break_<YYYY_MM>`` 1 from the month of each denominator break (a source entering or leaving the
    denominator: a level shift, modelled).
    """
    month = table["month"]
    t = _years(month)
    data = pd.DataFrame(
        {"deaths": table[count].to_numpy(dtype=np.float64), "encounters": table[exposure].to_numpy(dtype=np.float64)}
    )
    names: list[str] = []
    if trend:
        data["t"], names = t, ["t"]
    if split is not None:
        post = (month >= split).to_numpy().astype(np.float64)
        data["post"] = post
        names.append("post")
        if segmented:
            tz = (split - month.iloc[0]).days / 365.25
            data["t_post"] = (t - tz) * post
            names.append("t_post")
    m = month.dt.month.to_numpy()
    if seasonal == "harmonics":
        for k in range(1, HARMONICS + 1):
            data[f"sin{k}"] = np.sin(2 * np.pi * k * m / 12.0)
            data[f"cos{k}"] = np.cos(2 * np.pi * k * m / 12.0)
            names += [f"sin{k}", f"cos{k}"]
    elif seasonal == "dummies":
        for k in range(2, 13):
            column = (m == k).astype(np.float64)
            if 0 < column.sum() < len(column):
                data[f"month{k}"] = column
                names.append(f"month{k}")
    for b in breaks:
        step = (month >= b).to_numpy().astype(np.float64)
        if 0 < step.sum() < len(step):
            data[f"break_{b:%Y_%m}"] = step
            names.append(f"break_{b:%Y_%m}")
    return data, names


def _fit(
    data: pd.DataFrame, names: list[str], conf: float, *, family: str = "quasipoisson", hac: bool = True
) -> CountModel:
    """:func:`count_regression` of ``deaths`` with a log(``encounters``) offset: quasi-Poisson with
    standard errors the larger of the quasi-Poisson and Newey–West ones (``hac``), or NB2."""
    lags = hac_lags(len(data)) if (hac and family == "quasipoisson") else None
    with warnings.catch_warnings():
        # NB2: count_regression retries a fit that did not converge and raises when the retry fails too
        warnings.simplefilter("ignore", ConvergenceWarning)
        return count_regression(
            data, "deaths", names, exposure="encounters", family=family, confidence=conf, hac_lags=lags
        )


def _ratio(model: CountModel, names: list[str], name: str) -> tuple[float, tuple[float, float], float, dict[str, Any]]:
    r = model.rate_ratios[names.index(name)]
    return float(r.estimate), (float(r.ci[0]), float(r.ci[1])), float(r.p_value), dict(r.parameters)


# -- H4.trend ----------------------------------------------------------------------------------------


def _variant(
    name: str,
    table: pd.DataFrame,
    conf: float,
    breaks: tuple[pd.Timestamp, ...],
    note: str,
    **how: Any,
) -> Variant:
    """One sensitivity variant of the trend: the rate ratio per year under another denominator, other
    months or another model; its estimate None with the reason when it cannot be fitted."""
    family = how.pop("family", "quasipoisson")
    hac = how.pop("hac", True)
    design = {"trend": True, "seasonal": "harmonics", "breaks": breaks, **how}
    data, names = _design(table, **design)
    if len(data) < len(names) + 3 or data["deaths"].sum() == 0:
        return Variant(name, None, n=len(data), note=f"{note} Too few months or no deaths: not fitted.".strip())
    try:
        model = _fit(data, names, conf, family=family, hac=hac)
    except (BorderscapeError, np.linalg.LinAlgError, ValueError) as exc:
        return Variant(name, None, n=len(data), note=f"{note} Not fitted: {exc}".strip())
    est, ci, p, _ = _ratio(model, names, "t")
    return Variant(name, est, ci, n=len(data), p_value=p, note=note)


def _span(months: pd.Series) -> str:
    return f"{months.min():%Y-%m} to {months.max():%Y-%m}" if len(months) else "none"


def _trend(
    study: Study,
    series: _Series,
    conf: float,
    breaks: tuple[pd.Timestamp, ...],
    splits: list[dt.date],
    rng: np.random.Generator,
) -> tuple[Outcome, float | None]:
    """``H4.trend``: the rate ratio per year of deaths per encounter, and the model's Pearson dispersion.

    The estimate is the quasi-Poisson one; its p-value and interval come from a parametric bootstrap
    under the fitted negative-binomial null model
    (:func:`~borderscape.analyses.stats.models.null_bootstrap_rate_ratio`): the Wald test with the larger
    of the quasi-Poisson and Newey–West standard errors rejected in 6–9 % of simulated null series like
    this one (docs/calibration-primaries.md); it is kept as a sensitivity variant."""
    table = series.table
    n, min_months = len(table), study.params.statistics.min_months
    title = "deaths per encounter: rate ratio per year over the series"
    if n < min_months:
        return Outcome.skipped(
            "H4.trend",
            title,
            f"The series has {n} months; a trend needs at least {min_months} (statistics.min_months).",
        ), None
    data, names = _design(table, trend=True, breaks=breaks)
    try:
        model = _fit(data, names, conf)
    except (BorderscapeError, np.linalg.LinAlgError, ValueError) as exc:
        return Outcome.skipped("H4.trend", title, f"The quasi-Poisson regression could not be fitted: {exc}"), None
    wald_est, wald_ci, wald_p, pars = _ratio(model, names, "t")
    try:
        boot = null_bootstrap_rate_ratio(
            data,
            "deaths",
            [c for c in names if c != "t"],
            "t",
            exposure="encounters",
            seed=rng,
            resamples=max(19, study.params.statistics.permutations),
            confidence=conf,
            in_time_order=True,
        )
    except (BorderscapeError, np.linalg.LinAlgError, ValueError) as exc:
        return Outcome.skipped("H4.trend", title, f"The null bootstrap could not be run: {exc}"), None
    est, ci, p = boot.estimate, boot.ci, boot.p_value
    phi = model.pearson_dispersion
    lags = hac_lags(n)
    from statsmodels.stats.diagnostic import acorr_ljungbox

    resid = model.residuals.to_numpy()
    lb = acorr_ljungbox(resid, lags=[lags])
    lb_p = float(lb["lb_pvalue"].iloc[0])
    centred = resid - resid.mean()
    r1 = float(centred[1:] @ centred[:-1] / (centred @ centred))

    variants: list[Variant] = [
        Variant(
            "Wald interval and t-test, standard error the larger of the quasi-Poisson and Newey–West ones",
            wald_est,
            wald_ci,
            n=n,
            p_value=wald_p,
            note=(
                f"Student's t with {int(pars['df'])} df; guards against autocorrelated months but rejected too "
                "often on simulated null series (docs/calibration-primaries.md)."
            ),
        )
    ]
    if series.authority:
        t8 = table[table["encounters_title8"] > 0]
        low = t8.loc[t8["encounters_title8"].idxmin()] if len(t8) else None
        variants.append(
            _variant(
                "denominator: Title 8 encounters only (Title 42 expulsions left out)",
                t8,
                conf,
                breaks,
                "Title 8 apprehensions count people processed under immigration law; under Title 42 most people "
                "were expelled instead, so this denominator is a different, smaller population in those months"
                + (f" (fewest: {low['encounters_title8']:,.0f} in {low['month']:%Y-%m})." if low is not None else "."),
                exposure="encounters_title8",
            )
        )
        t42 = table["encounters_title42"] > 0
        rest = table[~t42]
        variants.append(
            _variant(
                "months with Title 42 expulsions left out",
                rest,
                conf,
                breaks,
                f"The months with any Title 42 encounter ({_span(table.loc[t42, 'month'])}) are left out; "
                f"{len(rest)} months remain ({', '.join(_runs(rest['month']))}).",
            )
        )
    else:
        for name in ("denominator: Title 8 encounters only", "months with Title 42 expulsions left out"):
            variants.append(
                Variant(name, None, note="The encounters table has no authority column (Title 8 / Title 42).")
            )
    variants.append(
        _variant(
            "negative binomial (NB2, maximum likelihood) instead of quasi-Poisson",
            table,
            conf,
            breaks,
            "Var = mu + alpha mu^2 instead of phi mu; model-based standard errors (no Newey–West).",
            family="negbin",
        )
    )
    variants.append(_variant("without seasonal terms", table, conf, breaks, "Trend only.", seasonal=None))
    variants.append(
        _variant(
            "11 month-of-year indicators instead of two harmonic pairs",
            table,
            conf,
            breaks,
            "Seasonal indicators (January the reference).",
            seasonal="dummies",
        )
    )
    variants.append(
        _variant(
            "quasi-Poisson standard errors only (no Newey–West)",
            table,
            conf,
            breaks,
            "The same estimate; the interval if the months were independent.",
            hac=False,
        )
    )
    if series.recent:
        variants.append(
            _variant(
                f"remains with a post-mortem interval of at most {RECENT_DAYS:.0f} days",
                table,
                conf,
                breaks,
                "Deaths that happened about when they were reported (the others may have died months or years "
                "earlier, against another month's encounters).",
                count="deaths_recent",
            )
        )

    caveats = [_denominator_caveat(series)]
    if series.recent:
        days = series.deaths["post_mortem_interval"].map(post_mortem_days)
        known = days.notna()
        if known.any():
            late = float((days[known] > 3 * _UNIT_DAYS["month"]).mean())
            caveats.append(
                f"Remains are counted by the month they were reported, not the month of death: {late:.0%} of those "
                "with a known post-mortem interval had lain for more than 3 months, so deaths lag encounters."
            )
    if lb_p < 0.05:
        caveats.append(
            f"The monthly residuals are autocorrelated (lag-1 r = {r1:.2f}; Ljung–Box p = {lb_p:.2g} at {lags} "
            f"lags): the null bootstrap simulates months with a lag-1 autocorrelation of "
            f"{boot.parameters['lag1_autocorrelation']:.2f} (that of the null model's residuals), and the variant "
            "with Newey–West standard errors shows how much autocorrelation changes the interval."
        )
    caveats.append(TREND_SIZE_CAVEAT)
    caveats.append(
        "A linear trend in the log rate summarises the series; it does not say the rate changed steadily "
        "(the monthly rates are in the table h4_monthly)."
    )
    caveats.extend(shock_caveats(study, *splits))
    outcome = Outcome(
        id="H4.trend",
        name=f"{title} (remains by reporting month / CBP encounters, {', '.join(series.sectors)})",
        status="ran",
        reason=series.note,
        estimate=est,
        ci=ci,
        p_value=p,
        n=n,
        method=(
            "quasi-Poisson regression (McCullagh & Nelder 1989) of monthly deaths with a log(encounters) offset, "
            f"a linear trend in years and {HARMONICS} annual harmonic pairs (Bhaskaran et al. 2013)"
            + (", a level shift at each denominator break" if any(c.startswith("break_") for c in names) else "")
            + "; rate ratio per year exp(beta_t); p-value and interval by parametric bootstrap of the t statistic "
            f"under the fitted negative-binomial null model ({boot.parameters['resamples']} series; Davison & "
            "Hinkley 1997 §4.2, §5.2); residual autocorrelation checked by the Ljung–Box test (1978)"
        ),
        parameters={
            "t": boot.statistic,
            **_common(series, conf, study),
            "dispersion": phi,
            "coefficient": pars["coefficient"],
            **{f"bootstrap_{k}": v for k, v in boot.parameters.items() if k not in ("coefficient", "confidence")},
            "se": pars["se"],
            "se_quasi": pars["se_quasi"],
            "se_hac": pars["se_hac"],
            "hac_lags": lags,
            "df": pars["df"],
            "seasonal_terms": f"{HARMONICS} harmonic pairs",
            "denominator_breaks": [f"{b:%Y-%m}" for b in breaks if f"break_{b:%Y_%m}" in names],
            "residual_lag1_autocorrelation": r1,
            "ljung_box_p": lb_p,
        },
        role="secondary",
        null_value=1.0,
        sensitivity=tuple(variants),
        caveats=tuple(caveats),
    )
    return outcome, phi


def _runs(months: pd.Series) -> list[str]:
    """Consecutive runs of months as ``YYYY-MM to YYYY-MM``."""
    p = pd.PeriodIndex(months.dt.to_period("M"))
    if not len(p):
        return []
    out, start, prev = [], p[0], p[0]
    for q in p[1:]:
        if q != prev + 1:
            out.append(f"{start} to {prev}")
            start = q
        prev = q
    out.append(f"{start} to {prev}")
    return out


def _season_caveat(before: pd.Series, after: pd.Series) -> tuple[str, ...]:
    """A caveat when a side covers less than a year: deaths peak in the summer heat, so a ratio of sides
    with different calendar months mixes season with change."""
    short = [(side, m) for side, m in (("before", before), ("after", after)) if len(m) < 12]
    if not short:
        return ()
    said = "; ".join(
        f"{side}: {', '.join(_MONTH_ORDER[k - 1] for k in dict.fromkeys(m.dt.month.tolist()))}" for side, m in short
    )
    return (
        f"A side covers less than a year ({said}): deaths peak in the summer heat, so the ratio mixes the "
        "season with any change.",
    )


_MONTH_ORDER = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _denominator_caveat(series: _Series) -> str:
    if series.authority:
        t42 = series.table.loc[series.table["encounters_title42"] > 0, "month"]
        if len(t42):
            return (
                f"{DENOMINATOR} Under Title 42 ({_span(t42)} in this table) people expelled to Mexico could try again "
                "within days, so repeat encounters rose."
            )
    return DENOMINATOR


def _common(series: _Series, conf: float, study: Study) -> dict[str, Any]:
    table = series.table
    return {
        "sectors": series.sectors,
        "first_month": table["month"].iloc[0].date().isoformat(),
        "last_month": table["month"].iloc[-1].date().isoformat(),
        "months": int(len(table)),
        "deaths": int(round(table["deaths"].sum())),
        "encounters": float(table["encounters"].sum()),
        "per": study.params.h4.per,
        "confidence": conf,
        "window": "the months of the encounter series inside the study period; deaths inside the study region "
        "(quarantined rows by their recorded point)",
        "excluded_records": dict(series.excluded),
    }


# -- rates and before/after ---------------------------------------------------------------------------


def _rate_ci(d: float, e: float, phi: float, conf: float, per: float) -> tuple[float, tuple[float, float]]:
    """Deaths per ``per`` encounters with the quasi-Poisson interval exp(log r ± z √(φ/D)) (φ ≥ 1); for D = 0,
    the exact Poisson (Garwood 1936) upper limit times φ."""
    z = stats.norm.ppf(0.5 + conf / 2.0)
    rate = d / e * per
    if d <= 0:
        return 0.0, (0.0, garwood(0, conf)[1] * phi / e * per)
    half = z * math.sqrt(phi / d)
    return rate, (rate * math.exp(-half), rate * math.exp(half))


def _weighted(erows: pd.DataFrame, before: pd.Series, after: pd.Series) -> list[CompositionRow]:
    """Shares of encounters (weighted by their counts) by authority and demographic group on each side."""
    rows: list[CompositionRow] = []
    for column, label in (("authority", "CBP encounters by authority"), ("demographic", "CBP encounters by group")):
        if column not in erows.columns:
            continue
        b = erows[erows["month"].isin(before) & erows[column].notna()]
        a = erows[erows["month"].isin(after) & erows[column].notna()]
        nb, na = float(b["encounters"].sum()), float(a["encounters"].sum())
        if nb <= 0 and na <= 0:
            continue
        sb, sa = b.groupby(column)["encounters"].sum(), a.groupby(column)["encounters"].sum()
        for level in sorted(set(sb.index) | set(sa.index), key=str):
            rows.append(
                CompositionRow(
                    variable=label,
                    level=str(level),
                    before=float(sb.get(level, 0.0)) / nb if nb > 0 else math.nan,
                    after=float(sa.get(level, 0.0)) / na if na > 0 else math.nan,
                    n_before=int(round(nb)),
                    n_after=int(round(na)),
                )
            )
    return rows


def _composition(series: _Series, before: pd.Series, after: pd.Series) -> tuple[CompositionRow, ...]:
    """What else differs between the two sides: the remains' post-mortem interval and corridor, the
    encounters' authority and demographic group."""
    pb, pa = before.dt.to_period("M"), after.dt.to_period("M")
    d = series.deaths
    labels = {"post_mortem_interval": "post-mortem interval of remains", "corridor": "corridor of remains"}
    rows = list(composition(d[d["month"].isin(pb)], d[d["month"].isin(pa)], labels))
    return tuple(rows + _weighted(series.encounters, pb, pa))


def _describe(
    key: str,
    title: str,
    series: _Series,
    before: np.ndarray,
    after: np.ndarray,
    phi: float,
    phi_source: str,
    conf: float,
    study: Study,
    date: dt.date,
    why: str,
    extra: dict[str, Any],
) -> Outcome:
    """A before/after comparison the series cannot support as a test: the two rates and their ratio with
    quasi-Poisson intervals (dispersion ``phi`` of ``H4.trend``), no p-value."""
    table, per = series.table, study.params.h4.per
    db, eb = float(table.loc[before, "deaths"].sum()), float(table.loc[before, "encounters"].sum())
    da, ea = float(table.loc[after, "deaths"].sum()), float(table.loc[after, "encounters"].sum())
    rb, cib = _rate_ci(db, eb, phi, conf, per)
    ra, cia = _rate_ci(da, ea, phi, conf, per)
    months = table["month"]
    parameters = {
        **_common(series, conf, study),
        **extra,
        "intervention": date.isoformat(),
        "months_before": int(before.sum()),
        "months_after": int(after.sum()),
        "window_before": _span(months[before]),
        "window_after": _span(months[after]),
        "deaths_before": int(round(db)),
        "deaths_after": int(round(da)),
        "encounters_before": eb,
        "encounters_after": ea,
        "rate_before": rb,
        "ci_before": list(cib),
        "rate_after": ra,
        "ci_after": list(cia),
        "dispersion": phi,
    }
    caveats = (_denominator_caveat(series), *_season_caveat(months[before], months[after]), *shock_caveats(study, date))
    method = (
        f"descriptive: deaths per {per:,.0f} encounters before and after, and their ratio, with quasi-Poisson "
        f"intervals exp(log r ± z sqrt(phi/D)), phi = {phi:.2f} the Pearson dispersion of {phi_source} "
        "(McCullagh & Nelder 1989); no test"
    )
    estimate: float | None = None
    ci: tuple[float, float] | None = None
    if db > 0 and da > 0:
        z = stats.norm.ppf(0.5 + conf / 2.0)
        estimate = ra / rb
        half = z * math.sqrt(phi * (1.0 / da + 1.0 / db))
        ci = (estimate * math.exp(-half), estimate * math.exp(half))
    else:
        method += "; no deaths on one side, so no ratio"
    return Outcome(
        id=key,
        name=title,
        status="ran",
        reason=why,
        estimate=estimate,
        ci=ci,
        p_value=None,
        n=int(before.sum() + after.sum()),
        method=method,
        parameters=parameters,
        role="descriptive",
        null_value=1.0,
        composition=_composition(series, months[before], months[after]),
        caveats=caveats,
    )


def _test(
    key: str,
    title: str,
    series: _Series,
    split: pd.Timestamp,
    conf: float,
    study: Study,
    date: dt.date,
    breaks: tuple[pd.Timestamp, ...],
    extra: dict[str, Any],
    *,
    segmented: bool,
) -> Outcome:
    """A step comparison (after-indicator and season) or an interrupted time series (Bernal et al. 2017:
    trend, level and trend change, season) with at least ``min_months`` on each side: the rate ratio of
    the level change, quasi-Poisson with the larger of quasi-Poisson and Newey–West standard errors."""
    table = series.table
    data, names = _design(table, trend=segmented, split=split, segmented=segmented, breaks=breaks)
    if data["deaths"].sum() == 0:
        return Outcome.skipped(key, title, "No deaths in the series.")
    try:
        model = _fit(data, names, conf)
    except (BorderscapeError, np.linalg.LinAlgError, ValueError) as exc:
        return Outcome.skipped(key, title, f"The quasi-Poisson regression could not be fitted: {exc}")
    est, ci, p, pars = _ratio(model, names, "post")
    post = data["post"].to_numpy() == 1
    months = table["month"]
    more: dict[str, Any] = {}
    if segmented:
        more["slope_change_rate_ratio_per_year"] = model.rate_ratios[names.index("t_post")].estimate
        how = (
            "quasi-Poisson segmented regression (interrupted time series; Bernal, Cummins & Gasparrini 2017) of "
            "monthly deaths with log(encounters) offset, trend, level and trend change"
        )
    else:
        how = "quasi-Poisson regression of monthly deaths with log(encounters) offset and an after-indicator"
    return Outcome(
        id=key,
        name=title,
        status="ran",
        reason=series.note,
        estimate=est,
        ci=ci,
        p_value=p,
        n=int(len(table)),
        method=(
            f"{how}, {HARMONICS} annual harmonic pairs (Bhaskaran et al. 2013)"
            + (", a level shift at each denominator break" if any(c.startswith("break_") for c in names) else "")
            + "; rate ratio exp(beta_post); standard error the larger of the quasi-Poisson (Pearson chi2/df) and "
            f"Newey–West ({pars['hac_lags']} lags) ones (Angrist & Pischke 2009 §8.2.3); Student's t "
            f"({int(pars['df'])} df)"
        ),
        parameters={
            **_common(series, conf, study),
            **extra,
            "intervention": date.isoformat(),
            "months_before": int((~post).sum()),
            "months_after": int(post.sum()),
            "deaths_after": int(data["deaths"][post].sum()),
            "dispersion": model.pearson_dispersion,
            "coefficient": pars["coefficient"],
            "se": pars["se"],
            "se_quasi": pars["se_quasi"],
            "se_hac": pars["se_hac"],
            **more,
        },
        role="secondary",
        null_value=1.0,
        composition=_composition(series, months[~post], months[post]),
        caveats=(
            _denominator_caveat(series),
            *_season_caveat(months[~post], months[post]),
            *shock_caveats(study, date),
        ),
    )


# -- interventions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Split:
    """Interventions that fall in one month: one split (no duplicated split dates)."""

    date: dt.date
    name: str
    month: pd.Timestamp


def _splits(study: Study) -> list[_Split]:
    """The study's interventions merged by month, in date order; the first date names the split."""
    by_month: dict[pd.Period, list[Any]] = {}
    for item in sorted(study.interventions, key=lambda i: i.date):
        by_month.setdefault(pd.Period(item.date, "M"), []).append(item)
    return [
        _Split(items[0].date, "; ".join(i.name for i in items), month.to_timestamp())
        for month, items in sorted(by_month.items())
    ]


def h4_mortality_rate(study: Study, inputs: StudyInputs, rng: np.random.Generator) -> Section:
    """H4: deaths per encounter, its trend over the series, and its change at intervention dates.

    Remains per month (by reporting date; every row dated in the study period, quarantined
    locations included) against CBP encounters of the sectors ``[parameters.h4] sectors`` (default the
    Tucson Sector, whose area holds the Pima County records) in the months both cover.  Every model is a
    quasi-Poisson regression of the monthly deaths with a log(encounters) offset and ``HARMONICS``
    annual harmonic pairs, standard errors the larger of the quasi-Poisson (φ = Pearson χ²/df) and the
    Newey–West HAC ones (:func:`hac_lags` lags), t-based intervals and tests
    (:func:`~borderscape.analyses.stats.models.count_regression`, ``family="quasipoisson"``); a
    denominator break of the study (``[[periods.shocks]]`` with ``denominator = true``) inside the
    series enters as a level shift.

    * ``H4.trend`` (the declared primary): the rate ratio per year of a linear trend in the log rate,
      with the sensitivity variants Title 8 encounters only, the months of Title 42 left out, negative
      binomial, no seasonal terms, month indicators, quasi-Poisson standard errors only, and recent deaths
      only (post-mortem interval ≤ ``RECENT_DAYS``).  Needs ``min_months`` months.
    * ``H4`` (descriptive): D / E · ``per`` over the whole series with the quasi-Poisson interval
      exp(log r ± z √(φ/D)), φ the dispersion of ``H4.trend``'s model (of an intercept-only one when the
      trend cannot be fitted); no p-value.
    * ``H4.rate_ratio``: rate after / before the first split with ``min_months`` months on each side
      (after-indicator and season: a secondary test); when no split has them, after / before the first
      split inside the series, descriptive (both rates with intervals, no p-value) with the reason.
    * ``H4.its.<date>`` for every split inside the series (interventions of the same month merged into
      one): the level change of an interrupted time series (Bernal et al. 2017) when both sides have
      ``min_months`` months (secondary); otherwise descriptive: the rate in the k months from the split
      over the k months before (k the shorter side).  Splits outside the series are listed in one skipped
      outcome ``H4.its``.

    Before/after results carry the composition of both sides (post-mortem interval and corridor of the
    remains, authority and group of the encounters) and the study's shocks near the split as caveats.

    Parameters
    ----------
    study
        Interventions, shocks, ``[parameters.h4]`` and ``[parameters.statistics]``.
    inputs
        Needs the ``deaths`` and ``encounters`` layers.
    rng
        Draws the null bootstrap of ``H4.trend``.

    Returns
    -------
    Section
        Outcomes and the table ``h4_monthly`` (month, deaths, encounters, rate per ``per``, and the
        Title 8 / Title 42 encounters and recent deaths when the data have them).
    """
    conf = settings(study)["confidence"]
    per = study.params.h4.per
    min_months = study.params.statistics.min_months
    name = f"deaths per {per:,.0f} encounters"
    trend_name = "change in deaths per encounter per year"
    rr_name = "rate ratio after/before"

    def all_skipped(why: str) -> Section:
        return Section(
            [
                Outcome.skipped("H4", name, why, role="descriptive"),
                Outcome.skipped("H4.trend", trend_name, why),
                Outcome.skipped("H4.rate_ratio", rr_name, why),
                Outcome.skipped("H4.its", "interrupted time series at the interventions", why),
            ]
        )

    why = missing(study, inputs, "deaths", "encounters")
    if why:
        return all_skipped(why)
    series, note, _ = _monthly(study, inputs)
    if series is None:
        return all_skipped(note)
    table = series.table
    table["rate"] = table["deaths"] / table["encounters"] * per
    months = table["month"]
    first, last = months.iloc[0], months.iloc[-1]
    breaks = tuple(b for b in denominator_breaks(study) if first < b.to_period("M").to_timestamp() <= last)
    breaks = tuple(b.to_period("M").to_timestamp() for b in breaks)
    splits = _splits(study)

    def sides(s: _Split) -> tuple[np.ndarray, int, int]:
        post = (months >= s.month).to_numpy()
        return post, int((~post).sum()), int(post.sum())

    inside = [s for s in splits if min(sides(s)[1:]) >= 1]
    outside = [s for s in splits if s not in inside]
    outcomes: list[Outcome] = []

    trend, phi = _trend(study, series, conf, breaks, [s.date for s in inside], rng)
    d_total, e_total = float(table["deaths"].sum()), float(table["encounters"].sum())
    phi_source = "H4.trend"
    if phi is None:
        if len(table) >= 2 and d_total > 0:
            mu = table["encounters"].to_numpy() * d_total / e_total
            phi = float((((table["deaths"].to_numpy() - mu) ** 2) / mu).sum() / (len(table) - 1))
            phi_source = "an intercept-only quasi-Poisson model (H4.trend not fitted)"
        else:
            phi, phi_source = 1.0, "none (too few months): Poisson"
    phi_used = max(1.0, phi)
    rate, ci = _rate_ci(d_total, e_total, phi_used, conf, per)
    outcomes.append(
        Outcome(
            id="H4",
            name=f"{name} (remains by reporting month / CBP encounters, {', '.join(series.sectors)})",
            status="ran",
            reason=series.note,
            estimate=rate,
            ci=ci,
            p_value=None,
            n=int(round(d_total)),
            method=(
                "descriptive: deaths / encounters over the series with the quasi-Poisson interval "
                f"exp(log r ± z sqrt(phi/D)), phi = {phi_used:.2f} the Pearson dispersion of {phi_source} "
                "(McCullagh & Nelder 1989); no test"
            ),
            parameters={**_common(series, conf, study), "dispersion": phi, "dispersion_of": phi_source},
            role="descriptive",
            caveats=(_denominator_caveat(series),),
        )
    )
    outcomes.append(trend)

    def label(s: _Split) -> str:
        return f"{s.name} ({s.date})"

    testable = [s for s in inside if min(sides(s)[1:]) >= min_months]
    if testable:
        s = testable[0]
        outcomes.append(
            _test(
                "H4.rate_ratio",
                f"rate after / rate before {label(s)}",
                series,
                s.month,
                conf,
                study,
                s.date,
                breaks,
                {"split_name": s.name},
                segmented=False,
            )
        )
    elif inside:
        s = inside[0]
        post, nb, na = sides(s)
        short = "before" if nb < na else "after"
        outcomes.append(
            _describe(
                "H4.rate_ratio",
                f"rate after / rate before {label(s)} (descriptive)",
                series,
                ~post,
                post,
                phi_used,
                phi_source,
                conf,
                study,
                s.date,
                f"{min(nb, na)} months {short} {s.name} ({s.date}) — too few for a test (at least {min_months} on "
                "each side, statistics.min_months): the rates before and after are described, with no p-value.",
                {"split_name": s.name},
            )
        )
    else:
        outcomes.append(
            Outcome.skipped(
                "H4.rate_ratio",
                rr_name,
                f"No intervention falls inside the series ({_span(months)}), so there is nothing to compare.",
            )
        )
    for s in inside:
        key = f"H4.its.{s.date.isoformat()}"
        post, nb, na = sides(s)
        title = f"level change of deaths per encounter at {label(s)}"
        if min(nb, na) >= min_months:
            outcomes.append(
                _test(key, title + ": rate ratio", series, s.month, conf, study, s.date, breaks, {}, segmented=True)
            )
            continue
        k = min(nb, na)
        idx = np.flatnonzero(post)[0]
        before = np.zeros(len(table), dtype=bool)
        after = np.zeros(len(table), dtype=bool)
        before[idx - k : idx] = True
        after[idx : idx + k] = True
        outcomes.append(
            _describe(
                key,
                f"rate in the {k} months from {label(s)} / the {k} months before (descriptive)",
                series,
                before,
                after,
                phi_used,
                phi_source,
                conf,
                study,
                s.date,
                f"{nb} months of the series before {s.date} and {na} from it — too few for an interrupted time "
                f"series (at least {min_months} on each side, statistics.min_months): the {k} months on each side "
                "are described, with no p-value.",
                {"window_months": k},
            )
        )
    if outside:
        listed = "; ".join(f"{label(s)}: {sides(s)[1]} months before, {sides(s)[2]} from it" for s in outside)
        outcomes.append(
            Outcome.skipped(
                "H4.its",
                "interrupted time series at the interventions outside the series",
                f"The encounters series runs {_span(months)}; these interventions leave no month of it on one "
                f"side: {listed}.",
            )
        )
    return Section(outcomes=outcomes, tables={"h4_monthly": table})
