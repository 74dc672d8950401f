"""Regression models: counts on grid cells, residual Moran's I, case–control logistic.

* :func:`count_regression` — Poisson, quasi-Poisson or negative-binomial (NB2) regression of
  counts per cell or per month (e.g. remains recovered per grid cell, deaths per month) on
  covariates (e.g. share of the cell covered by towers, time), with an exposure offset; reports
  rate ratios.  The quasi-Poisson fit can guard against autocorrelation of a monthly series with
  Newey–West standard errors.
* :func:`null_bootstrap_rate_ratio` — the quasi-Poisson rate ratio of one covariate with its
  p-value and interval calibrated by a parametric bootstrap under the fitted negative-binomial
  null model: for short, heavily overdispersed monthly series, where Wald tests reject too often.
* :func:`null_bootstrap_odds_ratio` — the same for a monthly share (a quasi-binomial logit), with a
  persistent (AR(1)) month effect in the null simulation.
* :func:`morans_i` — Moran's I of model residuals on a spatial weights matrix (are the
  residuals still clustered in space?), analytical and permutation inference.
* :func:`case_control_logit` — logistic regression of recovery locations against
  background points with heteroskedasticity-robust (sandwich) standard errors; reports
  odds ratios.

These models describe associations in PAST data. The module offers no prediction: it must
not be used to score places or people.

References
----------
Cameron, A.C. & Trivedi, P.K. (2013). Regression Analysis of Count Data, 2nd ed. CUP
(Poisson, NB2, exposure offsets).
McCullagh, P. & Nelder, J.A. (1989). Generalized Linear Models, 2nd ed. Chapman & Hall, §4.5
(quasi-likelihood: the Pearson χ²/df scale).
Newey, W.K. & West, K.D. (1987). A simple, positive semi-definite, heteroskedasticity and
autocorrelation consistent covariance matrix. Econometrica 55, 703–708; (1994) Automatic lag
selection in covariance matrix estimation. Rev. Econ. Studies 61, 631–653.
Angrist, J.D. & Pischke, J.-S. (2009). Mostly Harmless Econometrics. Princeton UP, §8.2.3 (the
larger of the conventional and the robust standard error, against the small-sample bias of the
robust one).
Davison, A.C. & Hinkley, D.V. (1997). Bootstrap Methods and their Application. CUP, §4.2 (parametric
bootstrap tests), §5.2 (studentized bootstrap intervals).
Cameron, A.C. & Trivedi, P.K. (1990). Regression-based tests for overdispersion in the Poisson
model. J. Econometrics 46, 347–364.
Moran, P.A.P. (1950). Notes on continuous stochastic phenomena. Biometrika 37, 17–23.
Cliff, A.D. & Ord, J.K. (1981). Spatial Processes. Pion (moments of I under normality).
Keating, K.A. & Cherry, S. (2004). Use and interpretation of logistic regression in
habitat-selection studies. J. Wildlife Management 68, 774–789 (use–availability designs).
White, H. (1980). A heteroskedasticity-consistent covariance matrix estimator.
Econometrica 48, 817–838.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import sparse, stats

from borderscape.analyses.results import StatResult
from borderscape.analyses.stats.seeds import Seed, generator, recorded
from borderscape.geo.errors import InputError

__all__ = [
    "CountModel",
    "LogitModel",
    "case_control_logit",
    "count_regression",
    "morans_i",
    "null_bootstrap_odds_ratio",
    "null_bootstrap_rate_ratio",
]


@dataclass(frozen=True, eq=False)
class CountModel:
    """A fitted count regression.

    Attributes
    ----------
    rate_ratios
        One :class:`StatResult` per covariate: ``exp(beta)``, the multiplicative change
        of the expected rate per unit of the covariate, with Wald CI and p-value.
    baseline_rate
        ``exp(beta_0)``: expected count per unit exposure when all covariates are 0.
    alpha
        NB2 dispersion ``alpha`` (``Var = mu + alpha mu^2``) with its Wald CI and the test
        of ``alpha = 0`` (None for Poisson).
    fitted
        Expected counts ``mu_i`` on the data's index.
    residuals
        Pearson residuals ``(y - mu) / sqrt(Var)`` on the data's index.
    log_likelihood, aic
        Of the fit (quasi-Poisson: statsmodels' Poisson log-likelihood divided by the scale).
    pearson_dispersion
        ``sum(residuals^2) / (n - p)``; values well above 1 under Poisson signal
        overdispersion.
    family, method
        The model and the reference.
    n
        Number of cells.
    """

    rate_ratios: tuple[StatResult, ...]
    baseline_rate: StatResult
    alpha: StatResult | None
    fitted: pd.Series
    residuals: pd.Series
    log_likelihood: float
    aic: float
    pearson_dispersion: float
    family: str
    method: str
    n: int


@dataclass(frozen=True, eq=False)
class LogitModel:
    """A fitted case–control logistic regression.

    Attributes
    ----------
    odds_ratios
        One :class:`StatResult` per covariate: ``exp(beta)`` with robust CI and p-value.
    n_cases, n_controls
        Numbers of cases (1) and background points (0).
    cov_type
        The sandwich estimator used (``"HC0"`` … ``"HC3"``).
    log_likelihood
        Of the fit.
    method
        The model and references.
    """

    odds_ratios: tuple[StatResult, ...]
    n_cases: int
    n_controls: int
    cov_type: str
    log_likelihood: float
    method: str


def _design(data: pd.DataFrame, covariates: Sequence[str]) -> np.ndarray:
    if isinstance(covariates, str):
        covariates = [covariates]
    missing = [c for c in covariates if c not in data.columns]
    if missing:
        raise InputError(f"covariate columns {missing} are not in the data.")
    if len(set(covariates)) != len(covariates):
        raise InputError("covariates must be distinct columns.")
    x = data[list(covariates)].to_numpy(dtype=np.float64)
    if not np.isfinite(x).all():
        raise InputError("covariates contain NaN or infinity.", remedy="Drop or fill those rows.")
    return np.column_stack([np.ones(len(data)), x])


def _outcome(data: pd.DataFrame, column: str) -> np.ndarray:
    if column not in data.columns:
        raise InputError(f"column {column!r} is not in the data.")
    y = data[column].to_numpy(dtype=np.float64)
    if not np.isfinite(y).all():
        raise InputError(f"{column!r} contains NaN or infinity.")
    return y


def _ratio_records(
    names: Sequence[str],
    params: np.ndarray,
    bse: np.ndarray,
    stat: np.ndarray,
    pvalues: np.ndarray,
    confidence: float,
    n: int,
    method: str,
    label: str,
    extra: dict[str, Any],
    df: float | None = None,
) -> tuple[StatResult, ...]:
    # Student's t with ``df`` degrees of freedom when the scale is estimated (quasi-likelihood), else normal
    zc = stats.norm.ppf(0.5 + confidence / 2.0) if df is None else stats.t.ppf(0.5 + confidence / 2.0, df)
    out = []
    for k, name in enumerate(names):
        b, se = float(params[k]), float(bse[k])
        with np.errstate(over="ignore"):  # a diverging fit: an infinite ratio, said as such, not a warning
            estimate, low, high = (float(np.exp(v)) for v in (b, b - zc * se, b + zc * se))
        out.append(
            StatResult(
                name=f"{label} per unit of {name}",
                estimate=estimate,  # np.exp: beyond ±709 inf, where math.exp raised OverflowError
                ci=(low, high),
                p_value=float(pvalues[k]),
                n=n,
                method=method,
                statistic=float(stat[k]),
                parameters={**extra, "coefficient": b, "se": se, "confidence": confidence},
            )
        )
    return tuple(out)


def count_regression(
    data: pd.DataFrame,
    count: str,
    covariates: Sequence[str],
    *,
    exposure: str | None = None,
    family: str = "poisson",
    confidence: float = 0.95,
    hac_lags: int | None = None,
) -> CountModel:
    """Poisson, quasi-Poisson or negative-binomial regression of counts with an exposure offset.

    ``y_i ~ Poisson(mu_i)`` or ``NB2(mu_i, alpha)`` (``Var y_i = mu_i + alpha mu_i^2``),
    ``log mu_i = log E_i + beta_0 + sum_k beta_k x_ik``, with ``E_i`` the exposure (e.g.
    cell area in km², or crossings) so ``exp(beta_k)`` is a rate ratio (Cameron &
    Trivedi 2013, ch. 3). Poisson is fitted as a statsmodels GLM (IRLS); NB2 by maximum
    likelihood of ``(beta, alpha)`` jointly (statsmodels ``NegativeBinomial``,
    ``loglike_method="nb2"``). Wald CIs ``exp(beta +- z se)``; model-based standard errors.

    ``family="quasipoisson"``: the Poisson estimates with ``Var y_i = phi mu_i``, phi the Pearson
    χ²/(n − p) (McCullagh & Nelder 1989, §4.5; statsmodels ``GLM.fit(scale="X2")``); standard
    errors multiplied by √phi, intervals and p-values from Student's t with n − p degrees of
    freedom.  With ``hac_lags`` (a series in time order) each standard error is the larger of the
    quasi-Poisson one and the Newey–West (1987) HAC one (Bartlett kernel, ``hac_lags`` lags,
    small-sample factor n/(n − p); statsmodels ``cov_type="HAC"``): the HAC estimate guards against
    autocorrelated months but is biased down in short series, so the larger of the two is used
    (Angrist & Pischke 2009, §8.2.3).  The rate ratios' parameters hold both (``se_quasi``,
    ``se_hac``).

    Parameters
    ----------
    data
        One row per cell (a GeoDataFrame is fine).
    count
        Column of non-negative integer counts.
    covariates
        Numeric covariate columns; an intercept is added.
    exposure
        Column of positive exposures; None for unit exposure.
    family
        ``"poisson"``, ``"quasipoisson"`` or ``"negbin"``.
    confidence
        Level of the intervals.
    hac_lags
        Quasi-Poisson only: lags of the Newey–West standard errors (None: none; the rows must then
        be in time order, one per period).

    Returns
    -------
    CountModel
    """
    if family not in ("poisson", "quasipoisson", "negbin"):
        raise InputError(f"family must be 'poisson', 'quasipoisson' or 'negbin', got {family!r}.")
    if hac_lags is not None and (family != "quasipoisson" or hac_lags < 1):
        raise InputError("hac_lags needs family='quasipoisson' and at least 1 lag.")
    y = _outcome(data, count)
    if (y < 0).any() or (y != np.round(y)).any():
        raise InputError(f"{count!r} must hold non-negative integer counts.")
    x = _design(data, covariates)
    names = [covariates] if isinstance(covariates, str) else list(covariates)
    if exposure is None:
        offset = np.zeros(len(y))
    else:
        e = _outcome(data, exposure)
        if (e <= 0).any():
            raise InputError(f"exposure {exposure!r} must be positive in every row.")
        offset = np.log(e)
    n = len(y)
    if n <= x.shape[1] + (family == "negbin"):
        raise InputError("too few rows for the number of covariates.")
    df: float | None = None
    per_coef: dict[str, np.ndarray] = {}
    if family == "quasipoisson":
        glm = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset)
        fit = glm.fit(scale="X2")
        mu = np.asarray(fit.mu)
        var = mu
        alpha_rec = None
        df = float(n - x.shape[1])
        params, bse = np.asarray(fit.params), np.asarray(fit.bse)
        per_coef["se_quasi"] = bse
        method = (
            "quasi-Poisson GLM with log link and log-exposure offset, scale = Pearson chi2/df "
            "(McCullagh & Nelder 1989), t-based Wald CIs"
        )
        if hac_lags is not None:
            hac = glm.fit(cov_type="HAC", cov_kwds={"maxlags": int(hac_lags), "use_correction": True})
            per_coef["se_hac"] = np.asarray(hac.bse)
            bse = np.maximum(bse, per_coef["se_hac"])
            method += (
                f"; standard errors the larger of the quasi-Poisson and the Newey–West HAC ones ({hac_lags} lags, "
                "Bartlett kernel; Newey & West 1987; Angrist & Pischke 2009 §8.2.3)"
            )
        tv = params / bse
        pv = 2.0 * stats.t.sf(np.abs(tv), df)
    elif family == "poisson":
        fit = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit()
        mu = np.asarray(fit.mu)
        var = mu
        alpha_rec = None
        method = "Poisson GLM with log link and log-exposure offset (Cameron & Trivedi 2013), Wald CIs"
        params, bse, tv, pv = fit.params, fit.bse, fit.tvalues, fit.pvalues
    else:
        model = sm.NegativeBinomial(y, x, loglike_method="nb2", offset=offset)
        fit = model.fit(disp=0, maxiter=200)
        if not fit.mle_retvals.get("converged", True):
            fit = model.fit(method="bfgs", disp=0, maxiter=2000)
            if not fit.mle_retvals.get("converged", True):
                raise InputError(
                    "the negative-binomial fit did not converge.",
                    remedy="Rescale covariates, or use family='poisson' if alpha is near 0.",
                )
        params, bse, tv, pv = fit.params[:-1], fit.bse[:-1], fit.tvalues[:-1], fit.pvalues[:-1]
        a, a_se = float(fit.params[-1]), float(fit.bse[-1])
        mu = np.exp(x @ params + offset)
        var = mu + a * mu**2
        zc = stats.norm.ppf(0.5 + confidence / 2.0)
        alpha_rec = StatResult(
            name="NB2 dispersion alpha (Var = mu + alpha mu^2)",
            estimate=a,
            ci=(a - zc * a_se, a + zc * a_se),
            p_value=float(fit.pvalues[-1]),
            n=n,
            method="maximum likelihood (statsmodels NegativeBinomial nb2), Wald CI and z-test",
            statistic=float(fit.tvalues[-1]),
            parameters={"se": a_se, "confidence": confidence},
        )
        method = (
            "negative binomial (NB2) maximum likelihood with log-exposure offset (Cameron & Trivedi 2013), Wald CIs"
        )
    resid = (y - mu) / np.sqrt(var)
    extra: dict[str, Any] = {"family": family, "exposure": exposure, "count": count}
    if df is not None:
        extra["df"] = df
    if hac_lags is not None:
        extra["hac_lags"] = int(hac_lags)
    records = _ratio_records(
        ["intercept", *names],
        np.asarray(params),
        np.asarray(bse),
        np.asarray(tv),
        np.asarray(pv),
        confidence,
        n,
        method,
        "rate ratio",
        extra,
        df=df,
    )
    if per_coef:
        records = tuple(
            dataclasses.replace(r, parameters={**r.parameters, **{k: float(v[i]) for k, v in per_coef.items()}})
            for i, r in enumerate(records)
        )
    baseline = StatResult(
        name="baseline rate exp(beta_0) per unit exposure",
        estimate=records[0].estimate,
        ci=records[0].ci,
        p_value=records[0].p_value,
        n=n,
        method=method,
        statistic=records[0].statistic,
        parameters=records[0].parameters,
    )
    return CountModel(
        rate_ratios=records[1:],
        baseline_rate=baseline,
        alpha=alpha_rec,
        fitted=pd.Series(mu, index=data.index, name="fitted"),
        residuals=pd.Series(resid, index=data.index, name="pearson_residual"),
        log_likelihood=float(fit.llf),
        aic=float(fit.aic),
        pearson_dispersion=float((resid**2).sum() / (n - x.shape[1])),
        family=family,
        method=method,
        n=n,
    )


#: Largest Poisson mean drawn in a bootstrap replicate: a Gamma(k, 1/k) multiplier with a tiny k can
#: exceed what numpy's Poisson sampler accepts (about 1e19); 1e9 deaths a month is beyond any series.
_MAX_MEAN = 1e9


def _nb2_null(y: np.ndarray, x0: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, float, str]:
    """Fitted means and NB2 ``alpha`` of the null model: maximum likelihood (statsmodels
    ``NegativeBinomial``, Newton then BFGS then Nelder–Mead), else the Poisson means with the
    Cameron–Trivedi (1990) moment estimator ``alpha = sum mu((y - mu)^2 - y) / sum mu^2``."""
    import warnings

    from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

    model = sm.NegativeBinomial(y, x0, loglike_method="nb2", offset=offset)
    for how in ("newton", "bfgs", "nm"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                warnings.simplefilter("ignore", HessianInversionWarning)
                warnings.simplefilter("ignore", RuntimeWarning)
                fit = model.fit(method=how, disp=0, maxiter=500 if how != "nm" else 5000)
        except (np.linalg.LinAlgError, ValueError):
            continue
        params = np.asarray(fit.params)
        if np.all(np.isfinite(params)) and fit.mle_retvals.get("converged", True) and params[-1] > 0:
            return np.exp(x0 @ params[:-1] + offset), float(params[-1]), f"maximum likelihood ({how})"
    mu = np.asarray(sm.GLM(y, x0, family=sm.families.Poisson(), offset=offset).fit().mu)
    alpha = float(np.sum(mu * ((y - mu) ** 2 - y)) / np.sum(mu**2))
    return mu, max(alpha, 1e-8), "moment estimator (Cameron & Trivedi 1990)"


def _quasi_poisson_t(y: np.ndarray, x: np.ndarray, offset: np.ndarray, j: int) -> np.ndarray:
    """The quasi-Poisson t statistic of coefficient ``j`` for every column of ``y`` (n × B).

    Poisson IRLS run on all B replicates at once (log link, offset), then ``t = beta_j / se_j`` with
    ``se_j² = phi [(X'WX)^-1]_jj`` and ``phi`` the Pearson χ²/(n − p) — what statsmodels'
    ``GLM(...).fit(scale="X2")`` gives for one series (a test checks they agree).  Written here
    because B statsmodels fits cost about 2–4 ms each (3 s for 999 replicates of a 60-month series)
    against about 20 ms for the batch.  A replicate whose fit does not converge in 100 iterations
    (a coefficient running off to infinity: one side with no deaths) gets ``t = ±inf``; a replicate
    with no counts at all gets ``t = 0``.
    """
    n, p = x.shape
    b = y.shape[1]
    mu = np.maximum(y, 0.5) + 0.0
    eta = np.log(mu)
    beta = np.zeros((b, p))
    dev_old = np.full(b, np.inf)
    converged = np.zeros(b, dtype=bool)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for _ in range(100):
            z = eta - offset[:, None] + (y - mu) / mu
            xtwx = np.einsum("ni,nb,nj->bij", x, mu, x)
            xtwz = np.einsum("ni,nb->bi", x, mu * z)
            try:
                beta = np.linalg.solve(xtwx, xtwz[..., None])[..., 0]
            except np.linalg.LinAlgError:
                beta = np.stack([np.linalg.lstsq(a, v, rcond=None)[0] for a, v in zip(xtwx, xtwz)])
            eta = x @ beta.T + offset[:, None]
            mu = np.exp(np.minimum(eta, 700.0))
            term = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
            dev = 2.0 * np.sum(term - (y - mu), axis=0)
            converged = np.abs(dev - dev_old) <= 1e-9 * (np.abs(dev) + 0.1)
            if converged.all():
                break
            dev_old = dev
        xtwx = np.einsum("ni,nb,nj->bij", x, mu, x)
        phi = np.sum((y - mu) ** 2 / mu, axis=0) / (n - p)
        try:
            inv_jj = np.linalg.inv(xtwx)[:, j, j]
        except np.linalg.LinAlgError:
            inv_jj = np.array([np.linalg.pinv(a)[j, j] for a in xtwx])
        t = beta[:, j] / np.sqrt(phi * inv_jj)
    bad = ~converged | ~np.isfinite(t)
    t = np.where(bad, np.inf, t)
    return np.where(y.sum(axis=0) == 0, 0.0, t)


def _bootstrap_t(
    t_obs: float, replicate: Callable[[int], np.ndarray], resamples: int, confidence: float
) -> tuple[np.ndarray, int, int, float, float]:
    """The two-sided bootstrap-t test and its critical value, one rule for every null bootstrap here.

    ``replicate(b)`` gives b null replicates of the t statistic (``inf`` for a failed fit).  When none
    reaches ``|t_obs|``, 3 × ``resamples`` more are drawn (the p-value then rests on 4 × as many).
    p = (1 + #{|t*| ≥ |t|}) / (B + 1) (Davison & Hinkley 1997 §4.2); the critical value is the (K+1)-th
    largest |t*|, K the most replicates at or beyond |t| that still give p < 1 − confidence, so that the
    interval coef ± crit · se excludes no effect exactly when p < 1 − confidence.

    Returns (t*, B, exceedances, p-value, critical value).
    """
    t_star = replicate(resamples)
    if not np.any(np.abs(t_star) >= abs(t_obs)):
        t_star = np.concatenate([t_star, replicate(3 * resamples)])
    b_used = len(t_star)
    hits = int(np.sum(np.abs(t_star) >= abs(t_obs)))
    p_value = (1 + hits) / (b_used + 1)
    most = math.ceil(round((1.0 - confidence) * (b_used + 1), 9)) - 2
    crit = float(np.sort(np.abs(t_star))[::-1][most]) if most >= 0 else math.inf
    return t_star, b_used, hits, p_value, crit


def null_bootstrap_rate_ratio(
    data: pd.DataFrame,
    count: str,
    covariates: Sequence[str],
    test: str,
    *,
    exposure: str,
    seed: Seed,
    resamples: int = 999,
    confidence: float = 0.95,
    in_time_order: bool = False,
    name: str | None = None,
) -> StatResult:
    """The rate ratio of ``test`` in a quasi-Poisson regression, with its p-value and interval from a
    parametric bootstrap under the fitted negative-binomial null model.

    Model: ``log E[y_t] = log E_t + beta_0 + sum_k beta_k x_tk + beta_test x_t,test`` (``E_t`` the
    exposure, e.g. encounters or crossings; ``x_k`` the nuisance covariates, e.g. seasonal terms).
    Statistic: the quasi-Poisson Wald ``t = beta_test / se`` (scale = Pearson χ²/df; McCullagh &
    Nelder 1989).  Short monthly series of deaths are so overdispersed (a shipwreck, a heat wave:
    Pearson φ of 14 to 200) that ``t`` is far from Student's t: on simulated 48–60-month series with
    no effect the Wald test rejected in 7–16 % of series at the 5 % level (docs/calibration-primaries.md).
    So the null distribution of ``t`` is simulated (Davison & Hinkley 1997, §4.2): the null model
    (without ``test``) is fitted as an NB2 regression, ``Var y = mu + alpha mu²`` (maximum likelihood,
    or the Cameron–Trivedi 1990 moment estimator when that fails), and B series are drawn from it,
    ``y*_t ~ Poisson(mu_t G_t)``, ``G_t ~ Gamma(1/alpha, alpha)``, with the same exposures and
    covariates; each is refitted.  With ``in_time_order`` (one row per period, in order) the months'
    Gamma multipliers are serially correlated like the data: a Gaussian AR(1) with the lag-1
    autocorrelation ρ (clipped to 0 … 0.9) mapped to Gamma
    quantiles (a Gaussian copula), so a run of bad months in the data is a run in the simulations
    too (ρ from the full model's residuals, divided by the share of the monthly variance the
    multiplier carries, so that the simulated residuals have about the data's autocorrelation).
    NB2 is the more dispersed of the two usual forms at large means, so
    the test is conservative when deaths come in clusters (a variance proportional to the mean).

    * p-value ``(1 + #{|t*| >= |t|}) / (B + 1)``; when no replicate reaches ``|t|`` the count is
      extended to 4 B before the bound ``1 / (4B + 1)`` is reported (``parameters["p_at_floor"]``).
    * Interval: ``exp(beta ± c se)`` with ``c`` the (K + 1)-th largest ``|t*|``, K the largest count
      of replicates at or beyond ``|t|`` that still gives p < 1 − confidence (about the ``confidence``
      quantile of ``|t*|``): a symmetric studentized interval whose critical value comes from the null
      simulation, so it excludes a ratio of 1 exactly when p < 1 − confidence.

    Parameters
    ----------
    data
        One row per period; in time order when ``in_time_order``.
    count
        Column of non-negative integer counts (deaths).
    covariates
        Nuisance covariate columns (an intercept is added).
    test
        The covariate whose rate ratio is estimated and tested (e.g. time in years, or a 0/1 step).
    exposure
        Column of positive exposures (log offset).
    seed
        An int or a Generator; the same seed gives the same p-value and interval.
    resamples
        B, the number of simulated series (extended to 4 B when none reaches the observed statistic).
    confidence
        Level of the interval.
    in_time_order
        The rows are consecutive periods: carry the residuals' lag-1 autocorrelation into the null
        simulation (else the periods are simulated independently).
    name
        What is estimated, in plain words.

    Returns
    -------
    StatResult
        ``estimate`` exp(beta_test); ``statistic`` the observed t; ``parameters`` the coefficient,
        its quasi-Poisson standard error, the critical value, the resamples used, the replicates that
        did not converge (counted as reaching |t|), the NB2 alpha of the null fit and how it was
        estimated, and whether p is at the Monte Carlo floor.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> months = np.arange(48)
    >>> d = pd.DataFrame({"t": months / 12, "e": rng.integers(800, 1200, 48)})
    >>> d["deaths"] = rng.poisson(0.01 * d["e"] * rng.gamma(2.0, 0.5, 48))
    >>> r = null_bootstrap_rate_ratio(d, "deaths", [], "t", exposure="e", seed=2, resamples=199)
    >>> r.ci[0] < r.estimate < r.ci[1], 0 < r.p_value <= 1
    (True, True)
    """
    if resamples < 19:
        raise InputError(f"resamples must be at least 19, got {resamples}.")
    names = [covariates] if isinstance(covariates, str) else list(covariates)
    if test in names:
        raise InputError(f"the tested column {test!r} is also a nuisance covariate.")
    y = _outcome(data, count)
    if (y < 0).any() or (y != np.round(y)).any():
        raise InputError(f"{count!r} must hold non-negative integer counts.")
    e = _outcome(data, exposure)
    if (e <= 0).any():
        raise InputError(f"exposure {exposure!r} must be positive in every row.")
    offset = np.log(e)
    x0 = _design(data, names)
    x = np.column_stack([x0, _design(data, [test])[:, 1]])
    n, p = x.shape
    if n <= p + 1:
        raise InputError("too few rows for the number of covariates.")
    if y.sum() == 0:
        raise InputError(f"{count!r} is zero in every row: there is no rate to compare.")
    fit = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit(scale="X2")
    coef, se = float(fit.params[-1]), float(fit.bse[-1])
    t_obs = coef / se
    mu0, alpha, how = _nb2_null(y, x0, offset)
    rng = generator(seed, what="the null bootstrap")
    k = 1.0 / alpha
    rho = 0.0
    if in_time_order:
        # ρ from the full model's residuals (those of the null model would read an omitted trend as
        # autocorrelation), scaled up by the share of each month's variance the Gamma multiplier carries:
        # corr(e_t, e_t+1) = ρ_G w_t, w_t = sqrt(a_t a_t+1), a_t = α μ_t / (1 + α μ_t)
        mu1 = np.asarray(fit.mu)
        r = (y - mu1) / np.sqrt(mu1 + alpha * mu1**2)
        r = r - r.mean()
        share = alpha * mu1 / (1.0 + alpha * mu1)
        w = float(np.mean(np.sqrt(share[1:] * share[:-1])))
        if r @ r > 0 and w > 0:
            rho = float(np.clip((r[1:] @ r[:-1]) / (r @ r) / w, 0.0, 0.9))

    def draw(b: int) -> np.ndarray:
        if rho > 0:
            z = np.empty((n, b))
            z[0] = rng.standard_normal(b)
            for i in range(1, n):
                z[i] = rho * z[i - 1] + math.sqrt(1.0 - rho**2) * rng.standard_normal(b)
            g = stats.gamma.ppf(stats.norm.cdf(z), k, scale=alpha)
        else:
            g = rng.gamma(k, alpha, size=(n, b))
        return rng.poisson(np.minimum(mu0[:, None] * g, _MAX_MEAN)).astype(np.float64)

    t_star, b_used, hits, p_value, crit = _bootstrap_t(
        t_obs, lambda b: _quasi_poisson_t(draw(b), x, offset, p - 1), resamples, confidence
    )
    with np.errstate(over="ignore", invalid="ignore"):
        low, high = (float(np.exp(coef + s * crit * se)) for s in (-1.0, 1.0))
    return StatResult(
        name=name or f"rate ratio per unit of {test}",
        estimate=float(np.exp(coef)),
        ci=(low, high),
        p_value=float(p_value),
        n=int(n),
        method=(
            "quasi-Poisson GLM with log-exposure offset (McCullagh & Nelder 1989); p-value and interval by "
            f"parametric bootstrap of the t statistic under the fitted negative-binomial (NB2) null model ({b_used} "
            "series; Davison & Hinkley 1997 §4.2, §5.2)"
        ),
        statistic=float(t_obs),
        parameters={
            "coefficient": coef,
            "se_quasi": se,
            "dispersion": float(fit.scale),
            "critical_t": crit,
            "resamples": int(b_used),
            "exceedances": hits,
            "failed_fits": int(np.sum(np.isinf(t_star))),
            "nb2_alpha": alpha,
            "nb2_alpha_method": how,
            "lag1_autocorrelation": rho,
            "p_at_floor": hits == 0,
            "confidence": confidence,
            "seed": recorded(seed),
        },
    )


def morans_i(
    values: pd.Series | np.ndarray,
    weights: sparse.sparray | sparse.spmatrix,
    *,
    permutations: int = 999,
    seed: Seed | None = None,
    confidence: float = 0.95,
) -> StatResult:
    """Global Moran's I (e.g. of model residuals) with analytical and permutation inference.

    Weights are row-standardised (``w_ij / sum_j w_ij``; rows with no neighbour stay
    zero), ``z = y - ybar``, ``S0 = sum_ij w_ij``::

        I = (n / S0) * sum_ij w_ij z_i z_j / sum_i z_i^2,     E[I] = -1 / (n - 1)

    The z-score uses the variance of I under normality (Cliff & Ord 1981, eq. 2.33), as
    ``esda.Moran(..., transformation="r")``'s ``z_norm``. The p-value is the two-sided
    permutation p-value ``(1 + #{|I* - E[I]| >= |I - E[I]|}) / (permutations + 1)`` (total
    randomisation, whose exact mean is ``E[I]``), or the normal p-value when
    ``permutations == 0``. For regression residuals both are approximations (residuals are
    not exchangeable); they are standard diagnostics. The interval is
    ``I +- z_{1-a/2} sqrt(Var_norm[I])`` (null variance; a rough guide only).

    Parameters
    ----------
    values
        One value per feature (e.g. ``CountModel.residuals``).
    weights
        ``(n, n)`` non-negative weights with zero diagonal (e.g. from
        :func:`borderscape.analyses.stats.hotspots.contiguity_weights`).
    permutations
        Number of random permutations (0: normal p-value only).
    seed
        Integer or Generator of the permutations (required when ``permutations > 0``).
    confidence
        Level of the interval.

    Returns
    -------
    StatResult
        estimate = I, statistic = z (normality), parameters: ``expected``,
        ``variance_norm``, ``p_norm``.
    """
    y = np.asarray(values, dtype=np.float64).ravel()
    n = y.size
    if n < 4 or not np.isfinite(y).all():
        raise InputError("Moran's I needs at least 4 finite values.")
    w = sparse.csr_array(weights, dtype=np.float64)
    if w.shape != (n, n):
        raise InputError(f"weights have shape {w.shape}, expected ({n}, {n}).")
    if (w.data < 0).any() or w.diagonal().any():
        raise InputError("weights must be non-negative with a zero diagonal.")
    rows = np.asarray(w.sum(axis=1)).ravel()
    scale = np.divide(1.0, rows, out=np.zeros(n), where=rows > 0)
    w = sparse.csr_array(sparse.diags_array(scale) @ w)
    z = y - y.mean()
    z2 = float(z @ z)
    if z2 == 0:
        raise InputError("Moran's I is undefined for constant values.")
    s0 = float(w.sum())
    i_obs = float(n / s0 * (z @ (w @ z)) / z2)
    expected = -1.0 / (n - 1)
    ws = w + w.T
    s1 = float((ws.multiply(ws)).sum()) / 2.0
    s2 = float(((np.asarray(w.sum(axis=1)).ravel() + np.asarray(w.sum(axis=0)).ravel()) ** 2).sum())
    var_norm = (n * n * s1 - n * s2 + 3 * s0 * s0) / ((n * n - 1) * s0 * s0) - expected**2
    z_norm = (i_obs - expected) / math.sqrt(var_norm)
    p_norm = float(2 * stats.norm.sf(abs(z_norm)))
    params: dict[str, Any] = {
        "expected": expected,
        "variance_norm": var_norm,
        "p_norm": p_norm,
        "permutations": permutations,
        "transformation": "row-standardised",
        "confidence": confidence,
    }
    if permutations > 0:
        rng = generator(seed, what="Moran's I permutations")
        params["seed"] = recorded(seed)
        extreme, done = 0, 0
        tol = 1e-12 * max(1.0, abs(i_obs - expected))
        while done < permutations:
            size = min(1000, permutations - done)
            zp = rng.permuted(np.broadcast_to(z, (size, n)), axis=1).T
            sims = n / s0 * np.einsum("ij,ij->j", zp, w @ zp) / z2
            extreme += int((np.abs(sims - expected) >= abs(i_obs - expected) - tol).sum())
            done += size
        p = (1.0 + extreme) / (permutations + 1.0)
        method = "Moran's I (Moran 1950), row-standardised weights, two-sided permutation p-value"
    else:
        p = p_norm
        method = "Moran's I (Moran 1950), row-standardised weights, normal p-value (Cliff & Ord 1981)"
    half = stats.norm.ppf(0.5 + confidence / 2.0) * math.sqrt(var_norm)
    return StatResult(
        name="Moran's I",
        estimate=i_obs,
        ci=(i_obs - half, i_obs + half),
        p_value=float(p),
        n=n,
        method=method,
        statistic=float(z_norm),
        parameters=params,
    )


def case_control_logit(
    data: pd.DataFrame,
    outcome: str,
    covariates: Sequence[str],
    *,
    cov_type: str = "HC1",
    confidence: float = 0.95,
) -> LogitModel:
    """Case–control (use–availability) logistic regression with robust standard errors.

    ``logit P(case_i) = beta_0 + sum_k beta_k x_ik`` fitted by maximum likelihood
    (statsmodels ``Logit``), cases = remains recovery locations (``outcome == 1``),
    controls = background points sampled from the study area (``outcome == 0``). Because
    the ratio of controls to cases is set by design, ``beta_0`` is not interpretable and is
    not reported; ``exp(beta_k)`` are odds ratios (Keating & Cherry 2004). Standard
    errors are White's sandwich estimator (``cov_type`` HC0–HC3; White 1980), Wald CIs.

    Parameters
    ----------
    data
        Cases and background points, one row each.
    outcome
        Column of 1 (case) / 0 (background).
    covariates
        Numeric covariate columns (e.g. distance to the nearest tower in km).
    cov_type
        ``"HC0"``, ``"HC1"``, ``"HC2"`` or ``"HC3"``.
    confidence
        Level of the intervals.

    Returns
    -------
    LogitModel
    """
    if cov_type not in ("HC0", "HC1", "HC2", "HC3"):
        raise InputError(f"cov_type must be one of HC0..HC3, got {cov_type!r}.")
    y = _outcome(data, outcome)
    if not np.isin(y, (0, 1)).all():
        raise InputError(f"{outcome!r} must be 0 (background) or 1 (case).")
    n_cases = int(y.sum())
    if n_cases == 0 or n_cases == len(y):
        raise InputError("need both cases (1) and background points (0).")
    x = _design(data, covariates)
    names = [covariates] if isinstance(covariates, str) else list(covariates)
    fit = sm.Logit(y, x).fit(disp=0, cov_type=cov_type, maxiter=100)
    if not fit.mle_retvals.get("converged", True):
        raise InputError(
            "the logistic fit did not converge (perfect separation?).",
            remedy="Check covariates that split cases from background perfectly.",
        )
    method = (
        "case-control logistic regression (Keating & Cherry 2004), maximum likelihood, "
        f"{cov_type} sandwich standard errors (White 1980), Wald CIs"
    )
    records = _ratio_records(
        names,
        np.asarray(fit.params)[1:],
        np.asarray(fit.bse)[1:],
        np.asarray(fit.tvalues)[1:],
        np.asarray(fit.pvalues)[1:],
        confidence,
        len(y),
        method,
        "odds ratio",
        {"cov_type": cov_type, "outcome": outcome},
    )
    return LogitModel(
        odds_ratios=records,
        n_cases=n_cases,
        n_controls=len(y) - n_cases,
        cov_type=cov_type,
        log_likelihood=float(fit.llf),
        method=method,
    )


def _logit_irls(s: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quasi-binomial logit fits of every column of the shares ``s`` (n × B) with prior weights ``w``: IRLS run
    on all B replicates at once.  Returns ``(beta, mu, converged)``: coefficients (B × p), fitted shares
    (n × B) and whether the deviance settled within 100 iterations."""
    b, p = s.shape[1], x.shape[1]
    mu = (s + 0.5) / 2.0
    eta = np.log(mu / (1.0 - mu))
    beta = np.zeros((b, p))
    dev_old = np.full(b, np.inf)
    converged = np.zeros(b, dtype=bool)
    wc = w[:, None]
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for _ in range(100):
            v = mu * (1.0 - mu)
            z = eta + (s - mu) / v
            wv = wc * v
            xtwx = np.einsum("ni,nb,nj->bij", x, wv, x)
            xtwz = np.einsum("ni,nb->bi", x, wv * z)
            try:
                beta = np.linalg.solve(xtwx, xtwz[..., None])[..., 0]
            except np.linalg.LinAlgError:
                beta = np.stack([np.linalg.lstsq(a, c, rcond=None)[0] for a, c in zip(xtwx, xtwz)])
            eta = x @ beta.T
            mu = np.clip(1.0 / (1.0 + np.exp(-eta)), 1e-12, 1.0 - 1e-12)
            a = np.where(s > 0, s * np.log(np.where(s > 0, s, 1.0) / mu), 0.0)
            c = np.where(s < 1, (1.0 - s) * np.log(np.where(s < 1, 1.0 - s, 1.0) / (1.0 - mu)), 0.0)
            dev = 2.0 * np.sum(wc * (a + c), axis=0)
            converged = np.abs(dev - dev_old) <= 1e-10 * (np.abs(dev) + 0.1)
            if converged.all():
                break
            dev_old = dev
    return beta, mu, converged


def _quasi_binomial_t(s: np.ndarray, x: np.ndarray, w: np.ndarray, j: int) -> np.ndarray:
    """The quasi-binomial t statistic of coefficient ``j`` for every column of the shares ``s`` (n × B).

    ``t = beta_j / se_j`` with ``se_j² = phi [(X'WX)^-1]_jj``, ``W = w mu (1 - mu)`` and
    ``phi = sum w (s - mu)² / (mu (1 - mu)) / (n - p)`` from :func:`_logit_irls` — what statsmodels'
    ``GLM(s, X, family=Binomial(), var_weights=w).fit(scale="X2")`` gives for one series (a test checks they
    agree).  A replicate whose fit does not converge gets ``t = ±inf``.
    """
    n, p = x.shape
    beta, mu, converged = _logit_irls(s, x, w)
    wc = w[:, None]
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        v = mu * (1.0 - mu)
        xtwx = np.einsum("ni,nb,nj->bij", x, wc * v, x)
        phi = np.sum(wc * (s - mu) ** 2 / v, axis=0) / (n - p)
        try:
            inv_jj = np.linalg.inv(xtwx)[:, j, j]
        except np.linalg.LinAlgError:
            inv_jj = np.array([np.linalg.pinv(a)[j, j] for a in xtwx])
        t = beta[:, j] / np.sqrt(phi * inv_jj)
    return np.where(~converged | ~np.isfinite(t), np.inf, t)


def _latent_ar1(k: np.ndarray, n_t: np.ndarray, eta0: np.ndarray, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Latent AR(1) parameters of the empirical logits about the null fit, for every column of ``k`` (n × B)
    and ``eta0`` (n × B): ``(rho, sigma²)`` (raw moment estimates, see :func:`null_bootstrap_odds_ratio`)."""
    p0 = 1.0 / (1.0 + np.exp(-eta0))
    r = np.log((k + 0.5) / (n_t[:, None] - k + 0.5)) - eta0
    r = r - r.mean(axis=0)
    sigma2 = np.maximum(np.mean(r**2, axis=0) - np.mean(1.0 / (n_t[:, None] * p0 * (1.0 - p0)), axis=0), 1e-6)
    pairs = np.flatnonzero(np.diff(steps) == 1)
    rho = np.mean(r[pairs] * r[pairs + 1], axis=0) / sigma2 if len(pairs) else np.zeros(k.shape[1])
    return rho, sigma2


def null_bootstrap_odds_ratio(
    data: pd.DataFrame,
    successes: str,
    trials: str,
    covariates: Sequence[str],
    test: str,
    *,
    time: str,
    seed: Seed,
    weights: str = "equal",
    resamples: int = 999,
    confidence: float = 0.95,
    name: str | None = None,
) -> StatResult:
    """The odds ratio of ``test`` in a quasi-binomial logit regression of a monthly share, with its p-value
    and interval from a parametric bootstrap under the fitted null model with autocorrelated months.

    Model: the share ``s_t = k_t / n_t`` (successes / trials, e.g. interceptions / attempted crossings),
    ``logit E[s_t] = beta_0 + sum_k beta_k x_tk + beta_test x_t,test``, ``Var s_t = phi mu_t (1 - mu_t) / w_t``,
    fitted by quasi-likelihood (McCullagh & Nelder 1989, §9.2.4; statsmodels ``GLM`` with a binomial family,
    ``var_weights = w`` and ``scale = "X2"``).  ``weights="equal"`` (``w_t = 1``): every month counts alike,
    the fractional logit of Papke & Wooldridge (1996) — right when the months differ by more than binomial
    sampling (with thousands of crossings a month they do); ``weights="trials"`` (``w_t = n_t``): the
    quasi-binomial GLM of the counts, in which months with many trials dominate.  Statistic: the Wald
    ``t = beta_test / se`` (``phi`` the Pearson χ²/(n − p)).

    Monthly shares persist from one month to the next, and a Wald test (or a bootstrap that draws months
    independently) then rejects too often when the covariate is itself autocorrelated.  So the null
    distribution of ``t`` is simulated from the fitted null model (without ``test``) with a latent
    Gaussian AR(1) month effect (Davison & Hinkley 1997, §4.2; a logit-normal binomial model):

    ``logit p_t = eta0_t + u_t``, ``u_t = rho u_{t-1} + sqrt(1 - rho²) sigma e_t``, ``k*_t ~ Binomial(n_t, p_t)``,

    with the same trials and covariates; each replicate is refitted.  ``sigma`` and ``rho`` come from the
    residuals of the empirical logits about the null fit, ``r_t = logit((k_t + ½) / (n_t − k_t + ½)) − eta0_t``
    (centred): ``sigma² = mean(r²) − mean(1 / (n_t p0_t (1 − p0_t)))`` (the binomial part removed; at least
    1e-6) and ``rho`` = the mean of ``r_t r_{t+1}`` over pairs of consecutive time steps / ``sigma²``.
    Residuals of a regression on a trend, steps and seasonal terms understate both (their lag-1
    autocorrelation is biased towards −p/n), so both are bias-corrected by the bootstrap (Davison & Hinkley
    1997, §2.2.1): ``min(B, 199)`` series are drawn with the raw estimates, the same estimates are computed on
    each, and ``rho~ = 2 rho − mean(rho*)``, ``sigma~² = sigma² · sigma² / mean(sigma²*)``; ``rho~`` is
    bounded to [0, 0.95] (a negative value is set to 0, which for a positively autocorrelated covariate makes
    the test conservative).  Time steps (``time``, integers, e.g. months since the start) may have gaps (a
    year left out): the latent series runs over every step and the rows present are kept, so a gap of g
    steps carries ``rho^g``.

    * p-value ``(1 + #{|t*| >= |t|}) / (B + 1)``; when no replicate reaches ``|t|`` the count is extended to
      4 B before the bound ``1 / (4B + 1)`` is reported (``parameters["p_at_floor"]``).
    * Interval: ``exp(beta ± c se)`` with ``c`` the ``confidence`` quantile of ``|t*|`` (a symmetric
      studentized interval whose critical value comes from the null simulation, so it excludes an odds
      ratio of 1 exactly when p < 1 − confidence, up to Monte Carlo error).

    Parameters
    ----------
    data
        One row per period (any order: the rows are taken in ``time`` order).
    successes, trials
        Columns of non-negative integer counts, ``0 <= successes <= trials``, ``trials > 0``.
    covariates
        Nuisance covariate columns (an intercept is added).
    test
        The covariate whose odds ratio is estimated and tested.
    time
        Column of integer time steps (distinct).
    seed
        An int or a Generator; the same seed gives the same p-value and interval.
    weights
        ``"equal"`` or ``"trials"`` (see above).
    resamples
        B, the number of simulated series (extended to 4 B when none reaches the observed statistic).
    confidence
        Level of the interval.
    name
        What is estimated, in plain words.

    Returns
    -------
    StatResult
        ``estimate`` exp(beta_test), the odds ratio per unit of ``test``; ``statistic`` the observed t;
        ``parameters`` the coefficient, its quasi-likelihood standard error, the dispersion, the critical
        value, the resamples used, the replicates that did not converge (counted as reaching |t|), the AR(1)
        ``rho`` and latent ``sigma`` of the null model (raw and bias-corrected), and whether p is at the floor.

    References
    ----------
    Papke, L. E. & Wooldridge, J. M. (1996). Econometric methods for fractional response variables with an
    application to 401(k) plan participation rates. J. Applied Econometrics 11, 619–632.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"month": np.arange(60), "n": rng.integers(2000, 9000, 60)})
    >>> d["x"] = rng.normal(size=60)
    >>> d["k"] = rng.binomial(d["n"], 1 / (1 + np.exp(1 + rng.normal(0, 0.4, 60))))
    >>> r = null_bootstrap_odds_ratio(d, "k", "n", [], "x", time="month", seed=2, resamples=199)
    >>> r.ci[0] < r.estimate < r.ci[1], 0 < r.p_value <= 1
    (True, True)
    """
    if resamples < 19:
        raise InputError(f"resamples must be at least 19, got {resamples}.")
    if weights not in ("equal", "trials"):
        raise InputError(f"weights must be 'equal' or 'trials', got {weights!r}.")
    names = [covariates] if isinstance(covariates, str) else list(covariates)
    if test in names:
        raise InputError(f"the tested column {test!r} is also a nuisance covariate.")
    steps = _outcome(data, time)
    if (steps != np.round(steps)).any() or len(np.unique(steps)) != len(steps):
        raise InputError(f"{time!r} must hold distinct integer time steps.")
    order = np.argsort(steps, kind="stable")
    data = data.iloc[order]
    steps = steps[order].astype(np.int64)
    k = _outcome(data, successes)
    n_t = _outcome(data, trials)
    if (k < 0).any() or (k != np.round(k)).any() or (n_t != np.round(n_t)).any():
        raise InputError(f"{successes!r} and {trials!r} must hold non-negative integer counts.")
    if (n_t <= 0).any() or (k > n_t).any():
        raise InputError(f"{trials!r} must be positive and at least {successes!r} in every row.")
    x0 = _design(data, names)
    x = np.column_stack([x0, _design(data, [test])[:, 1]])
    n, p = x.shape
    if n <= p + 1:
        raise InputError("too few rows for the number of covariates.")
    s = k / n_t
    w = np.ones(n) if weights == "equal" else n_t
    fit = sm.GLM(s, x, family=sm.families.Binomial(), var_weights=w).fit(scale="X2")
    coef, se = float(fit.params[-1]), float(fit.bse[-1])
    t_obs = coef / se
    null = sm.GLM(s, x0, family=sm.families.Binomial(), var_weights=w).fit(scale="X2")
    eta0 = x0 @ np.asarray(null.params)
    rho_raw, sigma2_raw = (float(v[0]) for v in _latent_ar1(k[:, None], n_t, eta0[:, None], steps))
    rng = generator(seed, what="the null bootstrap")
    grid = steps - steps[0]
    length = int(grid[-1]) + 1
    trials_int = n_t.astype(np.int64)

    def draw(b: int, rho: float, sigma: float) -> np.ndarray:
        u = np.empty((length, b))
        u[0] = rng.normal(0.0, sigma, b)
        innov = rng.normal(0.0, sigma * math.sqrt(1.0 - rho * rho), (length - 1, b))
        for i in range(1, length):
            u[i] = rho * u[i - 1] + innov[i - 1]
        prob = 1.0 / (1.0 + np.exp(-(eta0[:, None] + u[grid])))
        return rng.binomial(trials_int[:, None], prob).astype(np.float64)

    # bias correction of (rho, sigma²): the same moment estimates on series drawn with the raw ones
    rho_start = float(np.clip(rho_raw, 0.0, 0.95))
    k_b = draw(min(resamples, 199), rho_start, math.sqrt(sigma2_raw))
    _, mu_b, ok_b = _logit_irls(k_b / n_t[:, None], x0, w)
    rho_b, sigma2_b = _latent_ar1(k_b, n_t, np.log(mu_b / (1.0 - mu_b)), steps)
    fine = ok_b & np.isfinite(rho_b) & np.isfinite(sigma2_b)
    if fine.any():
        rho = float(np.clip(2.0 * rho_raw - np.mean(rho_b[fine]), 0.0, 0.95))
        sigma2 = float(sigma2_raw * sigma2_raw / np.mean(sigma2_b[fine]))
    else:
        rho, sigma2 = rho_start, sigma2_raw
    sigma = math.sqrt(sigma2)

    t_star, b_used, hits, p_value, crit = _bootstrap_t(
        t_obs, lambda b: _quasi_binomial_t(draw(b, rho, sigma) / n_t[:, None], x, w, p - 1), resamples, confidence
    )
    with np.errstate(over="ignore", invalid="ignore"):
        low, high = (float(np.exp(coef + sign * crit * se)) for sign in (-1.0, 1.0))
    return StatResult(
        name=name or f"odds ratio per unit of {test}",
        estimate=float(np.exp(coef)),
        ci=(low, high),
        p_value=float(p_value),
        n=int(n),
        method=(
            "quasi-binomial logit GLM of the share"
            + (
                " with equal weight per period (fractional logit; Papke & Wooldridge 1996)"
                if weights == "equal"
                else ""
            )
            + " (McCullagh & Nelder 1989); p-value and interval by parametric bootstrap of the t statistic under "
            f"the fitted null model with a latent AR(1) period effect, bias-corrected ({b_used} series; Davison & "
            "Hinkley 1997 §2.2.1, §4.2, §5.2)"
        ),
        statistic=float(t_obs),
        parameters={
            "coefficient": coef,
            "se_quasi": se,
            "dispersion": float(fit.scale),
            "critical_t": crit,
            "resamples": int(b_used),
            "exceedances": hits,
            "failed_fits": int(np.sum(np.isinf(t_star))),
            "ar1_rho": rho,
            "ar1_rho_raw": rho_raw,
            "latent_sd": sigma,
            "latent_sd_raw": math.sqrt(sigma2_raw),
            "weights": weights,
            "p_at_floor": hits == 0,
            "confidence": confidence,
            "seed": recorded(seed),
        },
    )
