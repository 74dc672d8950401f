"""Regression models: counts on grid cells, residual Moran's I, case–control logistic.

* :func:`count_regression` — Poisson, quasi-Poisson or negative-binomial (NB2) regression of
  counts per cell or per month (e.g. remains recovered per grid cell, deaths per month) on
  covariates (e.g. share of the cell covered by towers, time), with an exposure offset; reports
  rate ratios.  The quasi-Poisson fit can guard against autocorrelation of a monthly series with
  Newey–West standard errors.
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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import sparse, stats

from borderscape.analyses.results import StatResult
from borderscape.analyses.stats.seeds import Seed, generator, recorded
from borderscape.geo.errors import InputError

__all__ = ["CountModel", "LogitModel", "case_control_logit", "count_regression", "morans_i"]


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
