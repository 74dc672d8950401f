"""M6 aerial surveillance and returns to Libya: does more aerial surveillance go with a larger share of
attempted crossings ended by the Libyan coast guard?

Amnesty International (2019, *Rights of refugees and migrants in the digital age*) states that Italy and
Frontex fly drones and other aircraft over the central Mediterranean, find boats and pass their positions
to the Libyan authorities, who intercept them and take the people back to Libya, where they face arbitrary
detention, torture and other ill-treatment.  Human Rights Watch and Border Forensics (2022, *Airborne
Complicity*) counted more than 32,400 people intercepted and returned to Libya in 2021 and found a moderate
correlation between drone flight activity and interceptions, with no meaningful effect on the death rate.
M6 asks the same question of the data a study holds, over past months only.

**The pull-back share** of month t (``iom-med-monthly``, the ``crossings`` layer):

.. math:: s_t = I_t / A_t, \\qquad A_t = I_t + R_t + D_t

with I the interceptions by the Libyan coast guard, R the arrivals in Italy and Malta (the central route;
Malta missing → 0) and D the dead and missing on the central route: the share of attempted crossings that
ended in a return to Libya.  The series of Libyan interceptions enters the compilation in 2016-01 (a
denominator break, ``[[periods.shocks]]``): before it the share is not defined, so the window starts at the
first month with a Libyan figure.  Years of ``[parameters.maritime] exclude_years`` are left out (in the
shipped central-Mediterranean study 2021, whose dead and missing are a copy of 2014's).

**Aerial surveillance activity** a_t: the boats first detected by an aerial asset (``detector_type``
``Aerial``: fixed-wing aircraft, helicopters, multipurpose aerial surveillance, drones — the ``aerial``
class of :data:`~borderscape.analyses.battery.m4_assets.DETECTOR_CLASS`) per month in the Frontex incident
records (``incidents``, ``frontex-incidents``) inside the study's region and period; ``x_t = log2(1 + a_t)``
so that the odds ratio is per doubling of the activity.  The window ends at the last month both sources
cover (the month of the last Frontex record counts only when that record lies in the month's last week).
**Seam for flight hours:** a monthly table of flight hours (``month``, ``flight_hours``, optionally
``area``, as :func:`borderscape.layers.flights.flight_hours` returns it; the ``sea`` rows are used) passed
as ``activity=`` to :func:`m6_interceptions` gives the secondary ``M6.flight_hours`` with the same model.

**The model** (pre-specified by the issue before any M6 number was computed; see the disclosure in the
study file):

.. math:: \\operatorname{logit} E[s_t] = b_0 + b_1 t + \\sum_j g_j \\, 1[t \\ge \\tau_j]
          + \\sum_{k=1}^{2} (c_k \\sin 2\\pi k m_t/12 + d_k \\cos 2\\pi k m_t/12) + \\beta x_t

t in years since the window's first month; one level shift 1[t ≥ τ_j] at the month (``split_month``) of
every intervention and every shock of the study (not a denominator break) inside the window — in the
central Mediterranean the Italy–Libya memorandum (2017-02), the NGO code of conduct (2017-08), Themis
replacing Triton (2018-02), the Libyan search-and-rescue region (2018-07), the security decree bis
(2019-08), COVID-19 and Irini (2020-03, merged: splits less than :data:`MERGE_MONTHS` months apart make one
shift); a shift with fewer than :data:`MIN_AFTER_MONTHS` months of the window after it is left out and
named; two annual harmonic pairs (Bhaskaran et al. 2013).  Fitted as a quasi-binomial logit GLM with equal
weight per month (the fractional logit of Papke & Wooldridge 1996: with thousands of crossings a month, the
months differ by much more than binomial sampling, so weighting them by crossings would let a few busy
months decide).  ``exp(beta)``: the odds ratio of the pull-back share per doubling of aerial activity,
within the periods the level shifts separate.

**Inference** (issue 17's standard): not a Wald test.  The p-value and the interval come from a parametric
bootstrap of the t statistic under the fitted null model with a latent AR(1) month effect
(:func:`~borderscape.analyses.stats.models.null_bootstrap_odds_ratio`): shares persist from month to month,
and aerial activity does too.  The Wald test and Newey–West (HAC) standard errors are sensitivity variants.
The size of the test on simulated null series is measured in ``tests/test_m6.py`` and stated in the result.

Results:

* ``M6.aerial`` — the declared primary, with sensitivity variants (without 2020; Libyan and Tunisian
  interceptions; aerial detections counted by persons on board; Libyan departures only; the aerial share of
  recorded boats; weighted by crossings; 2021 kept; no level shifts; month-of-year indicators; Wald; HAC)
  and the composition of the Frontex records and of the months in each period between level shifts;
* ``M6.lag<k>`` — secondary: the activity of k months earlier (``[parameters.maritime] aerial_lags``);
* ``M6.flight_hours`` — secondary, when a flight-hours table is supplied;
* ``M6.death_rate`` — secondary: dead and missing per attempted crossing against the same activity
  (quasi-Poisson, offset log attempted crossings, the negative-binomial null bootstrap of
  :func:`~borderscape.analyses.stats.models.null_bootstrap_rate_ratio`);
* ``M6.share`` — descriptive: the pooled pull-back share, with a 6-month-block bootstrap interval;
* ``M6.assets`` — descriptive: the share of the interceptions Frontex recorded whose boat was first detected
  from the air; per operation and intercepting asset in the table ``m6_interceptions_by_asset``.

Tables: ``m6_monthly`` (:data:`MONTHLY_COLUMNS`), ``m6_interceptions_by_asset`` (:data:`ASSET_COLUMNS`).

What M6 is not.  It describes an association over past months; it does not prove that surveillance caused
a single interception.  Frontex records the boats known to its operations — mostly boats that went on to
reach Italy or Malta or were met by European vessels; a boat seen from the air and then intercepted by the
Libyan coast guard is largely absent from them.  This documents how surveillance contributes to people
being returned to danger; it is never a tool to intercept better, and nothing in it looks forward in time.

References
----------
Amnesty International (2019). Rights of refugees and migrants in the digital age (primer). London.
Human Rights Watch & Border Forensics (2022). Airborne Complicity: Frontex aerial surveillance enables
abuse. https://www.hrw.org/video-photos/interactive/2022/12/08/airborne-complicity-frontex-aerial-surveillance-enables-abuse
Papke, L. E. & Wooldridge, J. M. (1996). Econometric methods for fractional response variables with an
application to 401(k) plan participation rates. J. Applied Econometrics 11, 619–632.
McCullagh, P. & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed., ch. 9. Chapman & Hall.
Bhaskaran, K., Gasparrini, A., Hajat, S., Smeeth, L. & Armstrong, B. (2013). Time series regression
studies in environmental epidemiology. Int. J. Epidemiol. 42, 1187–1195.
Davison, A. C. & Hinkley, D. V. (1997). Bootstrap Methods and their Application, §4.2, §5.2, §8.2. CUP.
Newey, W. K. & West, K. D. (1987). Econometrica 55, 703–708.
Clopper, C. J. & Pearson, E. S. (1934). Biometrika 26, 404–413.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from borderscape.analyses import region
from borderscape.analyses.battery.common import (
    ROUTES,
    Section,
    in_period,
    missing,
    sea_settings,
    split_month,
    with_excluded,
)
from borderscape.analyses.battery.m4_assets import DETECTOR_CLASS
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import CompositionRow, Outcome, StatResult, Variant
from borderscape.analyses.stats.intervals import clopper_pearson
from borderscape.analyses.stats.models import null_bootstrap_odds_ratio, null_bootstrap_rate_ratio
from borderscape.analyses.stats.resampling import cluster_bootstrap
from borderscape.analyses.study import Study
from borderscape.geo.errors import BorderscapeError, InputError

__all__ = [
    "ASSET_COLUMNS",
    "MONTHLY_COLUMNS",
    "Activity",
    "aerial_activity",
    "aerial_odds_ratio",
    "death_rate_ratio",
    "flight_activity",
    "interceptions_by_asset",
    "level_shifts",
    "m6_interceptions",
    "pullback_months",
]

LIBYA = "interceptions_by_libyan_coast_guard"
TUNISIA = "interceptions_by_tunisian_coast_guard"

#: Columns of the ``m6_monthly`` table (the output contract).
MONTHLY_COLUMNS = [
    "month",
    "interceptions",
    "interceptions_tunisia",
    "arrivals",
    "dead_missing",
    "attempted",
    "pullback_share",
    "ci_low",
    "ci_high",
    "aerial_detections",
    "aerial_persons",
    "frontex_boats",
    "flight_hours",
    "used",
    "left_out",
]

#: Columns of the ``m6_interceptions_by_asset`` table.
ASSET_COLUMNS = [
    "operation",
    "first_month",
    "last_month",
    "interceptor",
    "boats",
    "share",
    "first_detected_from_air",
    "share_first_detected_from_air",
]

#: Intercepting asset (Frontex ``interceptor_type``) → class; missing → ``unknown``.
INTERCEPTOR_CLASS = {
    "EU_Coast_Guard": "vessel",
    "EU_ops": "vessel",
    "Ita_ops": "vessel",
    "NGO": "ngo",
    "Commercial": "commercial",
    "Land_patrol": "land_patrol",
    "No_intercept": "no_interception",
    "Other": "other",
}

#: Interceptor classes that are not an interception at sea (left out of ``M6.assets``).
NOT_AT_SEA = ("land_patrol", "no_interception", "unknown")

#: Splits of level shifts less than this many months apart make one shift (the earlier month).
MERGE_MONTHS = 3
#: A level shift needs at least this many months of the window after it.
MIN_AFTER_MONTHS = 6
#: Months per block of the block bootstraps of the descriptive shares (consecutive calendar months).
BLOCK_MONTHS = 6
#: Annual harmonic pairs of the seasonal terms.
HARMONICS = 2
#: The last Frontex record's month counts when the record lies within this many days of the month's end.
LAST_WEEK_DAYS = 7

METHOD = (
    "quasi-binomial logit GLM of the monthly pull-back share with equal weight per month (fractional logit; "
    "Papke & Wooldridge 1996; McCullagh & Nelder 1989 ch. 9), a linear trend, a level shift at each "
    "intervention and shock of the study inside the window and two annual harmonic pairs (Bhaskaran et al. "
    "2013); odds ratio exp(beta) per doubling of aerial activity (x = log2(1 + activity))"
)

#: The measured size of M6.aerial's test on simulated null series (tests/test_m6.py), said on the result.
SIZE_CAVEAT = (
    "On 1,700 simulated 77-month null series with a trend, level shifts, seasonality, month-to-month persistence "
    "(latent AR(1), rho 0.5) and an autocorrelated activity series, this test gave p < 0.05 in 5.4 % of series "
    "(Monte Carlo s.e. 0.6 %; the Wald test in about 12 %), and in 3.8–6.5 % under other persistence (rho 0, "
    "0.7) and heavy-tailed noise (400–600 series each; the simulation of tests/test_m6.py)."
)

CONSTRUCT_CAVEAT = (
    "Frontex records the boats known to its operations — mostly boats that went on to reach Italy or Malta or "
    "were met by European vessels; a boat seen from the air and then intercepted by the Libyan coast guard is "
    "largely absent from them. The count of aerial detections therefore rises with arrivals, which are in the "
    "denominator of the share, so a negative association can be mechanical; the variant with the aerial share "
    "of recorded boats takes the number of boats out."
)


@dataclass(frozen=True)
class Activity:
    """Aerial surveillance activity per month from the Frontex incident records.

    Attributes
    ----------
    monthly
        One row per month from ``first`` to ``last`` (``date`` the first day): ``aerial`` (boats first
        detected from the air), ``aerial_persons`` (people on those boats; a boat without a count adds 0),
        ``aerial_libya`` (those that departed from Libya), ``boats`` (every record), ``known`` (records with
        a known detector class), ``aerial_share`` (aerial / known, NaN when none).
    first, last
        The first and last month the records cover (the last record's month only when that record lies in
        the month's last :data:`LAST_WEEK_DAYS` days).
    records
        The records used (region and period of the study), with ``detector`` and ``interceptor`` classes
        and ``month``.
    note
        How many records were left out and why.
    excluded
        Rows left out by reason (:func:`borderscape.analyses.region.select`).
    """

    monthly: pd.DataFrame
    first: pd.Timestamp
    last: pd.Timestamp
    records: pd.DataFrame
    note: str
    excluded: dict[str, int]


# -- the monthly series -------------------------------------------------------------------------------


def pullback_months(monthly: pd.DataFrame, *, exclude_years: Sequence[int] = ()) -> pd.DataFrame:
    """The central route's months from the first Libyan interception figure: interceptions, arrivals,
    dead and missing, attempted crossings and the pull-back share.

    A month is listed when its Libyan interceptions and its arrivals in Italy are known (non-negative);
    Malta arrivals and Tunisian interceptions missing count as 0 (``missing_malta``, ``missing_tunisia``
    say where).  ``attempted = interceptions + arrivals + dead_missing`` (Libyan interceptions only) and
    ``attempted_both`` with the Tunisian interceptions too; NaN when the dead and missing are unknown.
    ``left_out`` says why a month cannot enter a model ("" when it can): a year of ``exclude_years``, or
    no dead-and-missing figure.

    Parameters
    ----------
    monthly
        The ``iom-med-monthly`` table (``date`` the first day of the month).
    exclude_years
        Calendar years not to use (known faulty figures).

    Returns
    -------
    pandas.DataFrame
        ``date``, ``month`` (``YYYY-MM``), ``interceptions``, ``interceptions_tunisia``, ``arrivals``,
        ``dead_missing``, ``attempted``, ``attempted_both``, ``share``, ``missing_malta``,
        ``missing_tunisia``, ``left_out``; in date order.
    """
    spec = ROUTES["central"]
    cols = [*spec.arrivals, LIBYA, TUNISIA, spec.deaths]
    absent = [c for c in cols if c not in monthly.columns]
    if absent:
        raise InputError(
            f"the crossings table lacks the columns {absent}",
            remedy="give the IOM monthly compilation (catalog id iom-med-monthly)",
        )
    dates = pd.to_datetime(monthly["date"]).dt.to_period("M").dt.to_timestamp()
    v = monthly[cols].apply(pd.to_numeric, errors="coerce").astype(float)
    v.index = dates.to_numpy()
    v = v[~v.index.duplicated(keep="first")].sort_index()
    v = v.mask(v < 0)
    known = v[LIBYA].notna() & v[spec.arrivals[0]].notna()
    if not known.any():
        raise InputError(
            "the crossings table has no month with both Libyan interceptions and arrivals in Italy",
            remedy="give the IOM monthly compilation (catalog id iom-med-monthly), whose Libyan series starts in 2016",
        )
    v = v[v.index >= known[known].index.min()]
    v = v[v[LIBYA].notna() & v[spec.arrivals[0]].notna()]
    arrivals = v[list(spec.arrivals)].fillna(0.0).sum(axis=1)
    dead = v[spec.deaths]
    libya, tunisia = v[LIBYA], v[TUNISIA]
    out = pd.DataFrame(
        {
            "date": v.index,
            "month": v.index.strftime("%Y-%m"),
            "interceptions": libya.to_numpy(),
            "interceptions_tunisia": tunisia.to_numpy(),
            "arrivals": arrivals.to_numpy(),
            "dead_missing": dead.to_numpy(),
            "attempted": (libya + arrivals + dead).to_numpy(),
            "attempted_both": (libya + tunisia.fillna(0.0) + arrivals + dead).to_numpy(),
            "missing_malta": v[spec.arrivals[1]].isna().to_numpy(),
            "missing_tunisia": tunisia.isna().to_numpy(),
        }
    ).reset_index(drop=True)
    out["share"] = out["interceptions"] / out["attempted"]
    why = np.where(out["dead_missing"].isna(), "no dead-and-missing figure", "")
    why = np.where(
        out["date"].dt.year.isin(list(exclude_years)), "year left out ([parameters.maritime] exclude_years)", why
    )
    out["left_out"] = why
    return out


def _class(values: pd.Series, mapping: dict[str, str], default: str) -> pd.Series:
    return values.map(mapping).where(values.notna(), "unknown").fillna(default).astype(str)


def aerial_activity(study: Study, incidents: Any) -> Activity:
    """Boats first detected from the air per month in the Frontex incident records of the study.

    The records counted are those of the study's region and period (the one rule,
    :func:`borderscape.analyses.region.select`; records without a position — most Frontex records — are
    counted, as in M4).  A month between the first and the last month the records cover with no aerial
    detection counts 0; months outside are absent (no records is not no surveillance).

    Parameters
    ----------
    study
        The study (region, period).
    incidents
        The ``incidents`` layer (``frontex-incidents``: ``date``, ``detector_type``, ``interceptor_type``,
        ``num_persons``, ``country_of_departure``, ``operation_name``).

    Returns
    -------
    Activity
    """
    f = incidents.frame if hasattr(incidents, "frame") else incidents
    if "detector_type" not in f.columns:
        raise InputError(
            "the incidents layer has no detector_type column",
            remedy="give the Frontex incidents (catalog id frontex-incidents)",
        )
    chosen = region.select(study, f, unlocated="keep")
    f = f[chosen.keep]
    dates = pd.to_datetime(f["date"])
    recs = pd.DataFrame(
        {
            "date": dates.dt.normalize().to_numpy(),
            "month": dates.dt.to_period("M").dt.to_timestamp().to_numpy(),
            "detector": _class(f["detector_type"], DETECTOR_CLASS, "other").to_numpy(),
            "interceptor": (
                _class(f["interceptor_type"], INTERCEPTOR_CLASS, "other").to_numpy()
                if "interceptor_type" in f.columns
                else "unknown"
            ),
            "persons": pd.to_numeric(
                f.get("num_persons", pd.Series(np.nan, index=f.index)), errors="coerce"
            ).to_numpy(),
            "libya": (f.get("country_of_departure", pd.Series("", index=f.index)) == "Libya").fillna(False).to_numpy(),
            "operation": _operation(f.get("operation_name", pd.Series(np.nan, index=f.index))).to_numpy(),
        }
    ).dropna(subset=["month"])
    if recs.empty:
        raise InputError(
            "no Frontex incident record lies inside the study's region and period",
            remedy="check [region] bbox and [periods], or give the Frontex incidents (frontex-incidents)",
        )
    first = pd.Timestamp(recs["month"].min())
    last_day = pd.Timestamp(recs["date"].max())
    days = calendar.monthrange(last_day.year, last_day.month)[1]
    last = last_day.to_period("M").to_timestamp()
    partial = last_day.day <= days - LAST_WEEK_DAYS
    if partial:
        last = last - pd.DateOffset(months=1)
    months = pd.date_range(first, last, freq="MS")
    aerial = recs["detector"] == "aerial"
    g = recs.groupby("month")
    monthly = pd.DataFrame(
        {
            "aerial": recs[aerial].groupby("month").size(),
            "aerial_persons": recs[aerial].groupby("month")["persons"].sum(min_count=0),
            "aerial_libya": recs[aerial & recs["libya"]].groupby("month").size(),
            "boats": g.size(),
            "known": recs[recs["detector"] != "unknown"].groupby("month").size(),
        }
    ).reindex(months)
    monthly = monthly.fillna(0.0)
    monthly["aerial_share"] = np.where(
        monthly["known"] > 0, monthly["aerial"] / monthly["known"].where(monthly["known"] > 0), np.nan
    )
    monthly = monthly.rename_axis("date").reset_index()
    no_count = int((aerial & recs["persons"].isna()).sum())
    note = (
        f"{len(recs)} Frontex record(s) inside the study's region and period "
        f"({chosen.excluded.get('outside the study region', 0)} outside the region left out), "
        f"{int(aerial.sum())} first detected from the air; they cover {first:%Y-%m} to {last:%Y-%m}"
        + (f" (the last record, {last_day.date()}, leaves {last_day:%Y-%m} partial: left out)" if partial else "")
        + (f"; {no_count} aerial record(s) without a number of persons count 0 persons." if no_count else ".")
    )
    return Activity(monthly, first, last, recs, note, dict(chosen.excluded))


def _operation(names: pd.Series) -> pd.Series:
    """The Frontex operation of a record: ``EPN Triton 2016`` → ``Triton``, ``JO Themis 2021`` → ``Themis``."""
    s = names.astype("string").str.replace(r"^(EPN|JO)\s+", "", regex=True).str.replace(r"\s*\d{4}.*$", "", regex=True)
    return s.str.strip().fillna("unknown").replace("", "unknown").astype(str)


def flight_activity(table: pd.DataFrame, *, area: str = "sea") -> pd.Series:
    """Flight hours per month from a user's monthly table: the seam for aerial tracks.

    Parameters
    ----------
    table
        ``month`` (a date in the month, or ``YYYY-MM``) and ``flight_hours`` (h), optionally ``area``
        — the form of :func:`borderscape.layers.flights.flight_hours`, whose ``sea`` rows (flight hours
        inside the study's sea) are used.
    area
        Which ``area`` rows to use when the table has that column.

    Returns
    -------
    pandas.Series
        Flight hours indexed by the first day of each month, in order.

    Raises
    ------
    InputError
        A missing column, no row of ``area``, a month given twice, or hours that are negative or not finite.
    """
    absent = [c for c in ("month", "flight_hours") if c not in table.columns]
    if absent:
        raise InputError(
            f"the flight-hours table lacks the column(s) {absent}",
            remedy="give month and flight_hours columns (borderscape.layers.flights.flight_hours returns them)",
        )
    t = table
    if "area" in t.columns:
        t = t[t["area"].astype(str) == area]
        if t.empty:
            raise InputError(
                f"the flight-hours table has no rows for area {area!r}",
                remedy=f"give the rows of the study's sea (area {area!r}) or pass area=",
            )
    months = pd.to_datetime(t["month"].astype(str)).dt.to_period("M").dt.to_timestamp()
    hours = pd.to_numeric(t["flight_hours"], errors="coerce").astype(float)
    if not np.isfinite(hours).all() or (hours < 0).any():
        raise InputError(
            "the flight-hours table has hours that are missing, negative or not finite",
            remedy="give non-negative hours for every month (0 for a month without flights)",
        )
    if months.duplicated().any():
        raise InputError(
            f"the flight-hours table gives the month(s) {sorted({f'{m:%Y-%m}' for m in months[months.duplicated()]})} "
            "more than once",
            remedy="give one row per month (per area)",
        )
    return pd.Series(hours.to_numpy(), index=pd.DatetimeIndex(months.to_numpy()), name="flight_hours").sort_index()


# -- level shifts and the model -----------------------------------------------------------------------


def level_shifts(study: Study, dates: pd.Series) -> tuple[list[tuple[pd.Timestamp, tuple[str, ...]]], list[str]]:
    """The level shifts of M6's model: every intervention and every shock (not a denominator break) of the
    study whose month (:func:`~borderscape.analyses.battery.common.split_month`) lies after the first of
    ``dates`` and has at least :data:`MIN_AFTER_MONTHS` of ``dates`` from it; splits less than
    :data:`MERGE_MONTHS` months after the previous shift join it.

    Returns
    -------
    (shifts, notes)
        ``[(month, names), …]`` in order, and a sentence for every event merged or left out.
    """
    d = pd.to_datetime(pd.Series(dates)).sort_values()
    if d.empty:
        return [], []
    first = pd.Timestamp(d.iloc[0])
    events = [(split_month(i.date), i.name, i.date) for i in study.interventions]
    events += [(split_month(s.date), s.name, s.date) for s in study.shocks if not s.denominator]
    shifts: list[tuple[pd.Timestamp, list[str]]] = []
    notes: list[str] = []
    for month, name, date in sorted(events, key=lambda e: (e[0], e[2])):
        if month <= first or month > d.iloc[-1]:
            continue
        after = int((d >= month).sum())
        if after < MIN_AFTER_MONTHS:
            notes.append(
                f"{name} ({date.isoformat()}) has {after} month(s) of the window after it (fewer than "
                f"{MIN_AFTER_MONTHS}): no level shift for it; those months share the previous period's level."
            )
            continue
        if shifts and (month.year - shifts[-1][0].year) * 12 + month.month - shifts[-1][0].month < MERGE_MONTHS:
            shifts[-1][1].append(name)
            notes.append(
                f"{name} ({date.isoformat()}) falls within {MERGE_MONTHS} months of the level shift at "
                f"{shifts[-1][0]:%Y-%m}: one shift for both, their effects cannot be told apart."
            )
            continue
        shifts.append((month, [name]))
    return [(m, tuple(n)) for m, n in shifts], notes


def _design(
    frame: pd.DataFrame,
    shifts: Sequence[pd.Timestamp],
    *,
    seasonal: str | None = "harmonics",
    trend: bool = True,
) -> tuple[pd.DataFrame, list[str]]:
    """The nuisance terms of M6's model for the months of ``frame`` (column ``date``): ``step`` (months since
    the first), ``t`` (years), ``shift_YYYY_MM`` (1 from each shift's month; constant ones dropped) and
    the seasonal terms (``HARMONICS`` sin/cos pairs, or 11 month-of-year indicators, or none)."""
    date = pd.to_datetime(frame["date"]).reset_index(drop=True)
    first = date.min()
    step = (date.dt.year - first.year) * 12 + date.dt.month - first.month
    x = pd.DataFrame({"step": step.to_numpy(dtype=np.int64)})
    names: list[str] = []
    if trend:
        x["t"] = step.to_numpy(dtype=float) / 12.0
        names.append("t")
    for s in shifts:
        col = (date >= s).to_numpy(dtype=float)
        if 0 < col.sum() < len(col):
            x[f"shift_{s:%Y_%m}"] = col
            names.append(f"shift_{s:%Y_%m}")
    m = date.dt.month.to_numpy()
    if seasonal == "harmonics":
        for k in range(1, HARMONICS + 1):
            x[f"sin{k}"] = np.sin(2 * np.pi * k * m / 12.0)
            x[f"cos{k}"] = np.cos(2 * np.pi * k * m / 12.0)
            names += [f"sin{k}", f"cos{k}"]
    elif seasonal == "dummies":
        for k in range(2, 13):
            col = (m == k).astype(float)
            if 0 < col.sum() < len(col):
                x[f"month{k:02d}"] = col
                names.append(f"month{k:02d}")
    return x, names


def _model_frame(
    frame: pd.DataFrame,
    x: str,
    shifts: Sequence[pd.Timestamp],
    *,
    successes: str,
    trials: str,
    seasonal: str | None,
    trend: bool,
) -> tuple[pd.DataFrame, list[str]]:
    f = frame.reset_index(drop=True)
    design, names = _design(f, shifts, seasonal=seasonal, trend=trend)
    design["k"] = np.round(f[successes].to_numpy(dtype=float))
    design["n"] = np.round(f[trials].to_numpy(dtype=float))
    design["x"] = f[x].to_numpy(dtype=float)
    return design, names


def aerial_odds_ratio(
    frame: pd.DataFrame,
    x: str,
    shifts: Sequence[pd.Timestamp],
    rng: np.random.Generator,
    *,
    resamples: int = 999,
    confidence: float = 0.95,
    successes: str = "interceptions",
    trials: str = "attempted",
    weights: str = "equal",
    seasonal: str | None = "harmonics",
    trend: bool = True,
) -> StatResult:
    """M6's model on one monthly frame: the odds ratio of the share ``successes / trials`` per unit of
    ``x``, with the null-bootstrap p-value and interval
    (:func:`~borderscape.analyses.stats.models.null_bootstrap_odds_ratio`).

    ``logit E[s_t] = b0 + b1 t + Σ g_j 1[t ≥ τ_j] + seasonal + β x_t`` (:data:`METHOD`); ``frame`` holds
    ``date`` (first of month), ``successes``, ``trials`` (counts) and ``x``; months may be missing.

    Returns
    -------
    StatResult
        ``estimate`` exp(β), ``n`` the months.
    """
    data, names = _model_frame(frame, x, shifts, successes=successes, trials=trials, seasonal=seasonal, trend=trend)
    if len(data) <= len(names) + 3:
        raise InputError(
            f"{len(data)} months for {len(names) + 2} coefficients: too few to fit M6's model",
            remedy="widen the study period or supply more months of activity",
        )
    return null_bootstrap_odds_ratio(
        data, "k", "n", names, "x", time="step", seed=rng, weights=weights, resamples=max(19, resamples),
        confidence=confidence,
    )  # fmt: skip


def _wald(
    frame: pd.DataFrame,
    x: str,
    shifts: Sequence[pd.Timestamp],
    confidence: float,
    *,
    hac_lags: int | None = None,
) -> tuple[float, tuple[float, float], float, Any]:
    """The Wald odds ratio, interval and p-value of M6's model (quasi-binomial, Student's t on n − p df), or
    with Newey–West (HAC) standard errors and a normal reference (``hac_lags``)."""
    import statsmodels.api as sm

    data, names = _model_frame(
        frame, x, shifts, successes="interceptions", trials="attempted", seasonal="harmonics", trend=True
    )
    exog = sm.add_constant(data[[*names, "x"]], has_constant="add")
    model = sm.GLM(data["k"] / data["n"], exog, family=sm.families.Binomial())
    if hac_lags is None:
        fit = model.fit(scale="X2", use_t=True)
    else:
        fit = model.fit(cov_type="HAC", cov_kwds={"maxlags": int(hac_lags), "use_correction": True})
    lo, hi = np.asarray(fit.conf_int(alpha=1 - confidence).loc["x"])
    return float(np.exp(fit.params["x"])), (float(np.exp(lo)), float(np.exp(hi))), float(fit.pvalues["x"]), fit


def death_rate_ratio(
    frame: pd.DataFrame,
    x: str,
    shifts: Sequence[pd.Timestamp],
    rng: np.random.Generator,
    *,
    resamples: int = 999,
    confidence: float = 0.95,
) -> StatResult:
    """``M6.death_rate``: the rate ratio of dead and missing per attempted crossing per unit of ``x``.

    ``log E[D_t] = log A_t + b0 + b1 t + Σ g_j 1[t ≥ τ_j] + seasonal + β x_t``, a quasi-Poisson GLM whose
    p-value and interval come from the parametric bootstrap under the fitted negative-binomial null model
    (:func:`~borderscape.analyses.stats.models.null_bootstrap_rate_ratio`; deaths come in shipwrecks).
    """
    data, names = _model_frame(
        frame, x, shifts, successes="dead_missing", trials="attempted", seasonal="harmonics", trend=True
    )
    if len(data) <= len(names) + 3:
        raise InputError(
            f"{len(data)} months for {len(names) + 2} coefficients: too few to fit the death-rate model",
            remedy="widen the study period",
        )
    return null_bootstrap_rate_ratio(
        data, "k", names, "x", exposure="n", seed=rng, resamples=max(19, resamples), confidence=confidence
    )


# -- descriptive ----------------------------------------------------------------------------------------


def _blocks(dates: pd.Series) -> np.ndarray:
    """Block labels of :data:`BLOCK_MONTHS` consecutive calendar months (from the first month)."""
    d = pd.to_datetime(dates)
    first = d.min()
    step = (d.dt.year - first.year) * 12 + d.dt.month - first.month
    return np.asarray(step // BLOCK_MONTHS, dtype=np.int64)


def _ratio_of_sums(k: np.ndarray, n: np.ndarray) -> Any:
    def stat(idx: np.ndarray) -> float:
        den = n[idx].sum()
        return float(k[idx].sum() / den) if den > 0 else math.nan

    return stat


def interceptions_by_asset(records: pd.DataFrame) -> pd.DataFrame:
    """The share of the boats Frontex recorded in each operation by the class of the asset that intercepted
    them, and how many of each were first detected from the air (:data:`ASSET_COLUMNS`).

    ``records`` as :attr:`Activity.records` (``month``, ``operation``, ``interceptor``, ``detector``).
    Operations in order of their first month; ``share`` among the records of the operation.
    """
    rows = []
    order = records.groupby("operation")["month"].min().sort_values()
    for op in order.index:
        r = records[records["operation"] == op]
        total = len(r)
        for cls, g in r.groupby("interceptor"):
            air = int((g["detector"] == "aerial").sum())
            rows.append(
                {
                    "operation": op,
                    "first_month": f"{pd.Timestamp(r['month'].min()):%Y-%m}",
                    "last_month": f"{pd.Timestamp(r['month'].max()):%Y-%m}",
                    "interceptor": str(cls),
                    "boats": int(len(g)),
                    "share": len(g) / total,
                    "first_detected_from_air": air,
                    "share_first_detected_from_air": air / len(g),
                }
            )
    return pd.DataFrame(rows, columns=ASSET_COLUMNS)


def _share_outcome(used: pd.DataFrame, rng: np.random.Generator, s: dict[str, Any], note: str) -> Outcome:
    k, n = used["interceptions"].to_numpy(float), used["attempted"].to_numpy(float)
    boot = cluster_bootstrap(
        _blocks(used["date"]), _ratio_of_sums(k, n), seed=rng, resamples=s["permutations"], confidence=s["confidence"]
    )
    cp = clopper_pearson(np.array([k.sum()]), np.array([n.sum()]), s["confidence"])
    return Outcome.ran(
        "M6.share",
        StatResult(
            "share of attempted crossings on the central route that ended in an interception by the Libyan "
            "coast guard, pooled over the months of M6",
            boot.estimate,
            boot.ci,
            math.nan,
            int(len(used)),
            f"pooled share Σ interceptions / Σ attempted crossings; interval: bootstrap of blocks of {BLOCK_MONTHS} "
            "consecutive months (Davison & Hinkley 1997 §8.2), percentile; descriptive: no test",
            parameters={
                "interceptions": int(k.sum()),
                "attempted": int(n.sum()),
                "first": str(used["month"].min()),
                "last": str(used["month"].max()),
                "clopper_pearson_ci": [float(cp[0][0]), float(cp[1][0])],
                "blocks": int(boot.clusters),
                "resamples": s["permutations"],
                "confidence": s["confidence"],
            },
        ),
        reason=note,
        role="descriptive",
        sensitivity=(
            Variant(
                "Clopper–Pearson, every attempt independent (shown for comparison; too narrow)",
                boot.estimate,
                (float(cp[0][0]), float(cp[1][0])),
                int(n.sum()),
            ),
        ),
    )


def _assets_outcome(act: Activity, rng: np.random.Generator, s: dict[str, Any]) -> Outcome:
    r = act.records[~act.records["interceptor"].isin(NOT_AT_SEA)].reset_index(drop=True)
    name = "share of the interceptions at sea that Frontex recorded whose boat was first detected from the air"
    if r.empty:
        return Outcome.skipped("M6.assets", name, "No Frontex record has an intercepting asset at sea. " + act.note)
    air = (r["detector"] == "aerial").to_numpy(float)
    ones = np.ones(len(r))
    boot = cluster_bootstrap(
        _blocks(r["month"]),
        _ratio_of_sums(air, ones),
        seed=rng,
        resamples=s["permutations"],
        confidence=s["confidence"],
    )
    by_class = r.groupby("interceptor").size()
    return Outcome.ran(
        "M6.assets",
        StatResult(
            name,
            boot.estimate,
            boot.ci,
            math.nan,
            int(len(r)),
            f"share of boats; interval: bootstrap of blocks of {BLOCK_MONTHS} consecutive months, percentile; "
            "descriptive: no test. Per operation and intercepting asset: table m6_interceptions_by_asset",
            parameters={
                "boats": int(len(r)),
                "first_detected_from_air": int(air.sum()),
                "by_interceptor": {str(k): int(v) for k, v in by_class.items()},
                "first": f"{pd.Timestamp(r['month'].min()):%Y-%m}",
                "last": f"{pd.Timestamp(r['month'].max()):%Y-%m}",
                "resamples": s["permutations"],
                "confidence": s["confidence"],
            },
        ),
        reason=act.note,
        role="descriptive",
        caveats=(
            "These are interceptions by European, Italian, NGO and commercial vessels recorded by Frontex: the "
            "Libyan coast guard's interceptions are not among them, so this share says how often Frontex's own "
            "records begin with an aircraft, not how many returns to Libya followed an aerial sighting.",
        ),
    )


# -- the outcomes -------------------------------------------------------------------------------------


def _log2(v: pd.Series | np.ndarray) -> np.ndarray:
    return np.log2(1.0 + np.asarray(v, dtype=float))


def _joined(months: pd.DataFrame, act: Activity, flights: pd.Series | None) -> pd.DataFrame:
    """The months of the IOM series with the activity of the month and of earlier months (``x_lag<k>``)."""
    a = act.monthly.set_index("date")
    out = months.copy()
    out["aerial"] = out["date"].map(a["aerial"])
    out["aerial_persons"] = out["date"].map(a["aerial_persons"])
    out["aerial_libya"] = out["date"].map(a["aerial_libya"])
    out["aerial_share"] = out["date"].map(a["aerial_share"])
    out["frontex_boats"] = out["date"].map(a["boats"])
    out["flight_hours"] = out["date"].map(flights) if flights is not None else np.nan
    return out


def _lagged(frame: pd.DataFrame, act: Activity, lag: int) -> pd.Series:
    a = act.monthly.set_index("date")["aerial"]
    return (frame["date"] - pd.DateOffset(months=lag)).map(a)


def _segments(
    frame: pd.DataFrame, shifts: list[tuple[pd.Timestamp, tuple[str, ...]]], act: Activity
) -> tuple[tuple[CompositionRow, ...], list[dict[str, Any]]]:
    """Composition: for each level shift, the detector mix of the Frontex records and the months that
    enter the model in the period before it and the period after it (up to the next shift)."""
    used = frame["date"]
    bounds = [pd.Timestamp(used.min()), *[m for m, _ in shifts], pd.Timestamp(used.max()) + pd.DateOffset(months=1)]
    recs = act.records
    segments = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        months = int(((used >= a) & (used < b)).sum())
        calendar_months = (b.year - a.year) * 12 + b.month - a.month
        r = recs[(recs["month"] >= a) & (recs["month"] < b)]
        segments.append(
            {
                "start": f"{a:%Y-%m}",
                "end": f"{(b - pd.DateOffset(months=1)):%Y-%m}",
                "months_used": months,
                "calendar_months": int(calendar_months),
                "records": r,
                "aerial": int((r["detector"] == "aerial").sum()),
                "mean_share": float(frame.loc[(used >= a) & (used < b), "share"].mean()) if months else math.nan,
            }
        )
    rows: list[CompositionRow] = []
    for (m, names), before, after in zip(shifts, segments[:-1], segments[1:]):
        label = f"{' / '.join(names)} ({m:%Y-%m}): {before['start']}…{before['end']} vs {after['start']}…{after['end']}"
        rb, ra = before["records"], after["records"]
        kb, ka = rb[rb["detector"] != "unknown"], ra[ra["detector"] != "unknown"]
        for level in sorted(set(kb["detector"]) | set(ka["detector"])):
            rows.append(
                CompositionRow(
                    f"detecting asset of the Frontex-recorded boats, {label}",
                    level,
                    float((kb["detector"] == level).mean()) if len(kb) else math.nan,
                    float((ka["detector"] == level).mean()) if len(ka) else math.nan,
                    int(len(kb)),
                    int(len(ka)),
                )
            )
        rows.append(
            CompositionRow(
                f"months of the period that enter the model, {label}",
                "share of the calendar months",
                before["months_used"] / max(before["calendar_months"], 1),
                after["months_used"] / max(after["calendar_months"], 1),
                before["months_used"],
                after["months_used"],
            )
        )
    table = [{k: v for k, v in seg.items() if k != "records"} for seg in segments]
    return tuple(rows), table


def _bootstrap_variant(
    name: str,
    frame: pd.DataFrame,
    x: str,
    shifts: Sequence[pd.Timestamp],
    rng: np.random.Generator,
    s: dict[str, Any],
    note: str = "",
    **options: Any,
) -> Variant:
    f = frame.dropna(subset=[x, options.get("successes", "interceptions"), options.get("trials", "attempted")])
    try:
        r = aerial_odds_ratio(f, x, shifts, rng, resamples=s["permutations"], confidence=s["confidence"], **options)
    except (BorderscapeError, np.linalg.LinAlgError, ValueError) as exc:
        return Variant(name, None, note=f"Could not be computed: {exc}")
    return Variant(name, r.estimate, r.ci, r.n, r.p_value, note=note)


def _primary(
    s: dict[str, Any],
    frame: pd.DataFrame,
    everything: pd.DataFrame,
    act: Activity,
    shifts: list[tuple[pd.Timestamp, tuple[str, ...]]],
    shift_notes: list[str],
    rng: np.random.Generator,
    note: str,
) -> Outcome:
    """``M6.aerial``: the pull-back share against the aerial detections of the same month."""
    name = (
        "pull-back share (Libyan interceptions / attempted crossings) against boats detected from the air in "
        "the same month: odds ratio per doubling"
    )
    months = [m for m, _ in shifts]
    conf = s["confidence"]
    f = frame.assign(x=_log2(frame["aerial"]))
    rngs = iter(rng.spawn(12))
    try:
        res = aerial_odds_ratio(f, "x", months, next(rngs), resamples=s["permutations"], confidence=conf)
    except (BorderscapeError, np.linalg.LinAlgError, ValueError) as exc:
        return Outcome.skipped("M6.aerial", name, f"M6's model could not be fitted: {exc} {note}")
    wald_est, wald_ci, wald_p, fit = _wald(f, "x", months, conf)
    lags = _hac_lags(len(f))
    hac_est, hac_ci, hac_p, _ = _wald(f, "x", months, conf, hac_lags=lags)
    from statsmodels.stats.diagnostic import acorr_ljungbox

    resid = np.asarray(fit.resid_pearson)
    lb_p = float(acorr_ljungbox(resid, lags=[lags])["lb_pvalue"].iloc[0])
    centred = resid - resid.mean()
    r1 = float(centred[1:] @ centred[:-1] / (centred @ centred))

    variants = [
        Variant(
            "Wald interval and t-test (quasi-binomial, months independent)",
            wald_est,
            wald_ci,
            int(len(f)),
            wald_p,
            note=f"Student's t on {int(fit.df_resid)} df; rejected too often on simulated null series (tests/test_m6.py).",
        ),
        Variant(
            f"Wald with Newey–West (HAC) standard errors, {lags} lags",
            hac_est,
            hac_ci,
            int(len(f)),
            hac_p,
            note="Autocorrelation-robust but biased down in short series (Newey & West 1987).",
        ),
    ]
    no2020 = f[f["date"].dt.year != 2020]
    variants.append(
        _bootstrap_variant(
            "without 2020 (COVID-19, Irini)", no2020, "x", months, next(rngs), s, f"{len(no2020)} months."
        )
    )
    both = f.assign(interceptions=f["interceptions"] + f["interceptions_tunisia"].fillna(0.0))
    gaps = int(f["missing_tunisia"].sum())
    variants.append(
        _bootstrap_variant(
            "interceptions by the Libyan and Tunisian coast guards",
            both,
            "x",
            months,
            next(rngs),
            s,
            "Share = (Libyan + Tunisian interceptions) / (both + arrivals + dead and missing)"
            + (f"; {gaps} month(s) without a Tunisian figure count 0." if gaps else "."),
            trials="attempted_both",
        )
    )
    variants.append(
        _bootstrap_variant(
            "aerial detections counted by persons on board (log2(1 + persons))",
            f.assign(xp=_log2(f["aerial_persons"])),
            "xp",
            months,
            next(rngs),
            s,
            "People on the boats first detected from the air, per doubling.",
        )
    )
    variants.append(
        _bootstrap_variant(
            "aerial detections of boats that departed from Libya only",
            f.assign(xl=_log2(f["aerial_libya"])),
            "xl",
            months,
            next(rngs),
            s,
            "Per doubling.",
        )
    )
    variants.append(
        _bootstrap_variant(
            "aerial share of the Frontex-recorded boats (per 10 percentage points)",
            f.assign(xs=10.0 * f["aerial_share"]),
            "xs",
            months,
            next(rngs),
            s,
            "Intensity instead of a count: the number of boats Frontex recorded is taken out.",
        )
    )
    variants.append(
        _bootstrap_variant(
            "months weighted by attempted crossings (quasi-binomial counts)",
            f,
            "x",
            months,
            next(rngs),
            s,
            "Busy months weigh more.",
            weights="trials",
        )
    )
    excluded = sorted(set(s["exclude_years"]))
    if excluded:
        kept = everything[(everything["left_out"] == "") | everything["date"].dt.year.isin(excluded)].dropna(
            subset=["attempted", "aerial"]
        )
        kept = kept.assign(x=_log2(kept["aerial"]))
        variants.append(
            _bootstrap_variant(
                f"years of exclude_years kept ({', '.join(map(str, excluded))})",
                kept,
                "x",
                months,
                next(rngs),
                s,
                "Their dead and missing as recorded (faulty in the compilation); the dead and missing are a small "
                "part of the attempted crossings.",
            )
        )
    else:
        next(rngs)
    variants.append(
        _bootstrap_variant(
            "no level shifts (trend and season only)", f, "x", [], next(rngs), s, "Changes between periods count too."
        )
    )
    variants.append(
        _bootstrap_variant(
            "11 month-of-year indicators instead of two harmonic pairs",
            f,
            "x",
            months,
            next(rngs),
            s,
            "January the reference.",
            seasonal="dummies",
        )
    )
    composition, segments = _segments(f, shifts, act)
    shift_text = "; ".join(f"{m:%Y-%m} ({' / '.join(n)})" for m, n in shifts) or "none"
    caveats = [
        CONSTRUCT_CAVEAT,
        "An association over months, not proof that surveillance caused an interception; nothing is forecast.",
        f"Level shifts at {shift_text} absorb the changes between these periods: the estimate rests on the "
        "month-to-month variation within them.",
        *shift_notes,
        "The denominator holds every arrival in Italy and Malta, whatever the departure country (Libya, Tunisia, "
        "Algeria, Türkiye …): the share is that of all attempted crossings on the route ended by the Libyan coast guard.",
    ]
    left = everything[(everything["left_out"] != "") & everything["date"].between(f["date"].min(), f["date"].max())]
    if len(left):
        reasons = left.groupby("left_out")["month"].agg(lambda m: f"{m.min()}…{m.max()} ({len(m)} months)")
        caveats.append("Months left out: " + "; ".join(f"{v}: {k}" for k, v in reasons.items()) + ".")
    if lb_p < 0.05:
        caveats.append(
            f"The monthly residuals are autocorrelated (lag-1 r = {r1:.2f}; Ljung–Box p = {lb_p:.2g} at {lags} lags): "
            "the null bootstrap models this as an AR(1) month effect."
        )
    caveats.append(SIZE_CAVEAT)
    params = {
        "first": str(f["month"].min()),
        "last": str(f["month"].max()),
        "months": int(len(f)),
        "interceptions": int(f["interceptions"].sum()),
        "attempted": int(f["attempted"].sum()),
        "aerial_detections": int(f["aerial"].sum()),
        "pooled_share": float(f["interceptions"].sum() / f["attempted"].sum()),
        "activity": "boats first detected by aerial assets (Frontex detector_type Aerial), x = log2(1 + boats)",
        "level_shifts": [{"month": f"{m:%Y-%m}", "events": list(n)} for m, n in shifts],
        "periods": segments,
        "seasonal_terms": f"{HARMONICS} annual harmonic pairs",
        "weights": "equal (one per month)",
        "wald_p": wald_p,
        "wald_ci": list(wald_ci),
        "hac_p": hac_p,
        "hac_lags": lags,
        "residual_lag1_autocorrelation": r1,
        "ljung_box_p": lb_p,
        **{f"bootstrap_{k}": v for k, v in res.parameters.items() if k not in ("confidence",)},
        "confidence": conf,
        "resamples": s["permutations"],
    }
    return Outcome.ran(
        "M6.aerial",
        StatResult(
            name,
            res.estimate,
            res.ci,
            res.p_value,
            res.n,
            METHOD
            + "; p-value and interval by parametric bootstrap of the t statistic under the fitted null model with "
            f"a latent AR(1) month effect ({res.parameters['resamples']} series; Davison & Hinkley 1997 §4.2, §5.2)",
            statistic=res.statistic,
            parameters=params,
        ),
        reason=note,
        role="secondary",
        null_value=1.0,
        sensitivity=tuple(variants),
        composition=composition,
        caveats=tuple(caveats),
    )


def _hac_lags(months: int) -> int:
    """Lags of the Newey–West standard errors of a series of ``months`` months: ⌊4 (n/100)^(2/9)⌋, at least 1
    (Newey & West 1994)."""
    return max(1, int(math.floor(4.0 * (months / 100.0) ** (2.0 / 9.0))))


def _secondary(
    oid: str,
    name: str,
    frame: pd.DataFrame,
    x: str,
    months: Sequence[pd.Timestamp],
    rng: np.random.Generator,
    s: dict[str, Any],
    note: str,
    what: str,
    caveats: Sequence[str] = (),
) -> Outcome:
    f = frame.dropna(subset=[x])
    if len(f) < s["min_months"]:
        return Outcome.skipped(
            oid,
            name,
            f"{len(f)} months with activity: fewer than [parameters.statistics] min_months = {s['min_months']}.",
        )
    try:
        r = aerial_odds_ratio(f, x, months, rng, resamples=s["permutations"], confidence=s["confidence"])
    except (BorderscapeError, np.linalg.LinAlgError, ValueError) as exc:
        return Outcome.skipped(oid, name, f"M6's model could not be fitted: {exc}")
    return Outcome.ran(
        oid,
        StatResult(
            name,
            r.estimate,
            r.ci,
            r.p_value,
            r.n,
            METHOD.replace("aerial activity (x = log2(1 + activity))", what)
            + "; p-value and interval by parametric bootstrap under the fitted null model with a latent AR(1) "
            f"month effect ({r.parameters['resamples']} series)",
            statistic=r.statistic,
            parameters={
                "first": str(f["month"].min()),
                "last": str(f["month"].max()),
                **{f"bootstrap_{k}": v for k, v in r.parameters.items()},
            },
        ),
        reason=note,
        role="secondary",
        null_value=1.0,
        caveats=tuple(caveats),
    )


def _death_outcome(
    frame: pd.DataFrame, months: Sequence[pd.Timestamp], rng: np.random.Generator, s: dict[str, Any], note: str
) -> Outcome:
    name = "dead and missing per attempted crossing against boats detected from the air: rate ratio per doubling"
    f = frame.assign(x=_log2(frame["aerial"]))
    try:
        r = death_rate_ratio(f, "x", months, rng, resamples=s["permutations"], confidence=s["confidence"])
    except (BorderscapeError, np.linalg.LinAlgError, ValueError) as exc:
        return Outcome.skipped("M6.death_rate", name, f"The death-rate model could not be fitted: {exc}")
    return Outcome.ran(
        "M6.death_rate",
        StatResult(
            name,
            r.estimate,
            r.ci,
            r.p_value,
            r.n,
            "quasi-Poisson GLM of the monthly dead and missing with offset log attempted crossings, a linear trend, "
            "the level shifts and two annual harmonic pairs of M6.aerial; rate ratio per doubling of aerial "
            "detections; p-value and interval by parametric bootstrap of the t statistic under the fitted "
            f"negative-binomial null model ({r.parameters['resamples']} series; Davison & Hinkley 1997 §4.2)",
            statistic=r.statistic,
            parameters={
                "dead_missing": int(f["dead_missing"].sum()),
                "attempted": int(f["attempted"].sum()),
                **{f"bootstrap_{k}": v for k, v in r.parameters.items()},
            },
        ),
        reason=note,
        role="secondary",
        null_value=1.0,
        caveats=(
            CONSTRUCT_CAVEAT,
            "Deaths are IOM's minimum counts; shipwrecks that leave no trace are missing.",
        ),
    )


def _monthly_table(everything: pd.DataFrame, used: pd.Series, conf: float) -> pd.DataFrame:
    k = everything["interceptions"].to_numpy(float)
    n = everything["attempted"].to_numpy(float)
    ok = np.isfinite(n) & (n > 0)
    low, high = np.full(len(k), np.nan), np.full(len(k), np.nan)
    if ok.any():
        lo, hi = clopper_pearson(k[ok], n[ok], conf)
        low[ok], high[ok] = lo, hi
    left = everything["left_out"].copy()
    no_activity = everything["aerial"].isna() & (left == "")
    left[no_activity] = "no Frontex records for the month (outside the records' span)"
    return pd.DataFrame(
        {
            "month": everything["month"],
            "interceptions": everything["interceptions"].astype("Int64"),
            "interceptions_tunisia": everything["interceptions_tunisia"].round().astype("Int64"),
            "arrivals": everything["arrivals"].round().astype("Int64"),
            "dead_missing": everything["dead_missing"].round().astype("Int64"),
            "attempted": everything["attempted"].round().astype("Int64"),
            "pullback_share": everything["share"],
            "ci_low": low,
            "ci_high": high,
            "aerial_detections": everything["aerial"].round().astype("Int64"),
            "aerial_persons": everything["aerial_persons"].round().astype("Int64"),
            "frontex_boats": everything["frontex_boats"].round().astype("Int64"),
            "flight_hours": everything["flight_hours"].astype(float),
            "used": used.to_numpy(dtype=bool),
            "left_out": left,
        }
    )[MONTHLY_COLUMNS]


def m6_interceptions(
    study: Study, inputs: StudyInputs, rng: np.random.Generator, *, activity: pd.DataFrame | None = None
) -> Section:
    """M6: does aerial surveillance go with a larger share of attempted crossings ended by the Libyan coast guard?

    Layers: ``crossings`` (``iom-med-monthly``) and ``incidents`` (``frontex-incidents``); the study's
    routes must include ``central``.  ``activity``: an optional monthly flight-hours table
    (:func:`flight_activity`; e.g. from :func:`borderscape.layers.flights.flight_hours` of the study's
    ``aerial_tracks``), which adds ``M6.flight_hours``.  Outcomes and model: see the module.  Every
    bootstrap draws from ``rng`` (children spawned in a fixed order).

    Returns
    -------
    Section
        Outcomes ``M6.aerial`` (the primary when declared), ``M6.lag<k>``, ``M6.flight_hours``,
        ``M6.death_rate``, ``M6.share``, ``M6.assets``; tables ``m6_monthly`` and
        ``m6_interceptions_by_asset``.
    """
    s = sea_settings(study)
    name = "aerial surveillance and the share of attempted crossings ended by the Libyan coast guard"
    why = missing(study, inputs, "crossings", "incidents")
    if why:
        return Section([Outcome.skipped("M6", name, why), Outcome.skipped("M6.aerial", name, why)])
    if "central" not in s["routes"]:
        why = (
            f"M6 concerns interceptions by the Libyan coast guard on the central route; the study's routes are "
            f'{", ".join(s["routes"])}. What to do: add "central" to [parameters.maritime] routes.'
        )
        return Section([Outcome.skipped("M6", name, why), Outcome.skipped("M6.aerial", name, why)])
    frame = inputs.get("crossings").frame
    frame = frame[in_period(frame["date"], study)]
    months = pullback_months(frame, exclude_years=s["exclude_years"])
    act = aerial_activity(study, inputs.get("incidents"))
    if activity is None:  # the flight hours the study's `flights` layer gave (analyses.inputs)
        activity = inputs.tables.get("flight_hours")
    flights = flight_activity(activity) if activity is not None else None
    everything = _joined(months, act, flights)
    used_mask = (everything["left_out"] == "") & everything["aerial"].notna()
    used = everything[used_mask].reset_index(drop=True)
    tables = {
        "m6_monthly": _monthly_table(everything, used_mask, s["confidence"]),
        "m6_interceptions_by_asset": interceptions_by_asset(act.records),
    }
    note = (
        f"IOM months from the first Libyan interception figure ({months['month'].min()}); {act.note} "
        "Interceptions are figures reported by the Libyan authorities via IOM, not independently verified."
    )
    share_rng, primary_rng, lag_rng, flight_rng, death_rng, assets_rng = rng.spawn(6)
    outcomes: list[Outcome] = []
    if len(used) < s["min_months"]:
        why = (
            f"{len(used)} month(s) have both the IOM figures and Frontex records: fewer than [parameters.statistics] "
            f"min_months = {s['min_months']}. {note}"
        )
        outcomes += [Outcome.skipped("M6", name, why), Outcome.skipped("M6.aerial", name, why)]
        outcomes.append(_assets_outcome(act, assets_rng, s))
        return Section(with_excluded(outcomes, act.excluded), tables=tables)
    shifts, shift_notes = level_shifts(study, used["date"])
    shift_months = [m for m, _ in shifts]
    outcomes.append(_primary(s, used, everything, act, shifts, shift_notes, primary_rng, note))
    lags = list(study.params.maritime.aerial_lags)
    for lag, child in zip(lags, lag_rng.spawn(max(len(lags), 1))):
        lagged = used.assign(x=_log2(_lagged(used, act, lag)))
        outcomes.append(
            _secondary(
                f"M6.lag{lag}",
                f"pull-back share against boats detected from the air {lag} month(s) earlier: odds ratio per doubling",
                lagged,
                "x",
                shift_months,
                child,
                s,
                note,
                f"aerial detections {lag} month(s) earlier (x = log2(1 + boats))",
                caveats=(CONSTRUCT_CAVEAT,),
            )
        )
    if flights is not None:
        fl = everything[(everything["left_out"] == "") & everything["flight_hours"].notna()].reset_index(drop=True)
        outcomes.append(
            _secondary(
                "M6.flight_hours",
                "pull-back share against aerial flight hours over the sea in the same month: odds ratio per doubling",
                fl.assign(x=_log2(fl["flight_hours"])),
                "x",
                [m for m, _ in level_shifts(study, fl["date"])[0]],
                flight_rng,
                s,
                note.replace(act.note, f"Flight hours from a user-supplied tracks table ({len(fl)} months)."),
                "flight hours over the sea (x = log2(1 + hours))",
                caveats=("Flight hours are those of the tracks supplied: aircraft without public tracks are absent.",),
            )
        )
    elif inputs.get("aerial_tracks") is not None:
        outcomes.append(
            Outcome.skipped(
                "M6.flight_hours",
                "pull-back share against aerial flight hours over the sea",
                "The study names aerial tracks (lines with a swath), which carry no times. What to do: give ADS-B "
                'reports with times as [layers] flights = "tracks.csv" (docs/flights.md).',
            )
        )
    outcomes.append(_death_outcome(used, shift_months, death_rng, s, note))
    outcomes.append(_share_outcome(used, share_rng, s, note))
    outcomes.append(_assets_outcome(act, assets_rng, s))
    return Section(with_excluded(outcomes, act.excluded), tables=tables)
