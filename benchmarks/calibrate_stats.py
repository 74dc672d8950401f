"""Calibration and power of borderscape's tests on simulated data.

Run:  nice .venv/bin/python benchmarks/calibrate_stats.py [--reps 500] [--seed 1]

For each test, ``reps`` datasets are simulated under the null hypothesis; the table gives
the share rejected at alpha = 0.05 (target 0.05 +- 0.02) with a 95% Wilson interval, and
the power on a planted effect (share of planted datasets rejected). Gi* is reported both
per test (each cell at 5%, no correction) and family-wise with Benjamini-Hochberg FDR at
5% (under the complete null the FDR equals the probability of any rejection). Everything
is seeded: the same seed gives the same table.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd

from borderscape.analyses.stats import hotspots as hs
from borderscape.analyses.stats import models as md
from borderscape.analyses.stats import trends as tr

ALPHA = 0.05


def wilson(k: float, n: int) -> tuple[float, float]:
    z = 1.959964
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def rate(fn: Callable[[np.random.Generator], object], reps: int, rng: np.random.Generator) -> np.ndarray:
    """Mean over ``reps`` datasets of ``fn``'s value(s) (rejection indicators or shares)."""
    return np.mean([np.atleast_1d(np.asarray(fn(rng), dtype=float)) for _ in range(reps)], axis=0)


# ---------------------------------------------------------------------------- Gi*
SIDE = 20
_pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0.0, SIDE * 1000.0], [0.0, SIDE * 1000.0]), crs=32612)
GRID = hs.square_grid(_pts, 1000.0, bounds=(0, 0, SIDE * 1000.0, SIDE * 1000.0))
W = hs.distance_band_weights(GRID, 1500.0)  # queen-like, up to 8 neighbours
CENTRES = GRID.geometry.centroid
BLOCK = ((CENTRES.x - 10_500).abs() < 1600) & ((CENTRES.y - 10_500).abs() < 1600)  # 3 x 3


def gi_counts(rng: np.random.Generator, planted: bool) -> np.ndarray:
    mean = np.full(len(GRID), 5.0)
    if planted:
        mean[BLOCK.to_numpy()] *= 2.0
    return rng.poisson(mean)


def gi_analytic_null(rng):
    """(share of cells with p <= 0.05, any cell rejected by BH at 5%)."""
    p = hs.gi_star_weights(gi_counts(rng, False), W).p
    return np.mean(p <= ALPHA), hs.fdr_bh(p, ALPHA).reject.any()


def gi_analytic_power(rng):
    res = hs.gi_star_weights(gi_counts(rng, True), W)
    return np.mean(res.classify(ALPHA, fdr=True)[BLOCK.to_numpy()] == 1)


def make_gi_perm(n_perm):
    def null(rng):
        p = hs.gi_star_weights(gi_counts(rng, False), W, permutations=n_perm, seed=rng).p
        return np.mean(p <= ALPHA), hs.fdr_bh(p, ALPHA).reject.any()

    def power(rng):
        res = hs.gi_star_weights(gi_counts(rng, True), W, permutations=n_perm, seed=rng)
        return np.mean(res.classify(ALPHA, fdr=True)[BLOCK.to_numpy()] == 1)

    return null, power


# ---------------------------------------------------------------------------- trends
def ar1(rng, n, phi):
    e = rng.normal(size=n + 50)
    for i in range(1, n + 50):
        e[i] += phi * e[i - 1]
    return e[50:]


def mk_null(rng):
    return tr.mann_kendall(rng.normal(size=30)).p_value <= ALPHA


def mk_power(rng):
    return tr.mann_kendall(rng.normal(size=30) + 0.05 * np.arange(30)).p_value <= ALPHA


def mk_ar_plain(rng):
    return tr.mann_kendall(ar1(rng, 60, 0.5)).p_value <= ALPHA


def mk_ar_yw(rng):
    return tr.mann_kendall(ar1(rng, 60, 0.5), autocorrelation="yue-wang").p_value <= ALPHA


def mk_iid_yw(rng):
    return tr.mann_kendall(rng.normal(size=30), autocorrelation="yue-wang").p_value <= ALPHA


def make_its(n, phi, level, bootstrap):
    t = np.arange(n, dtype=float)

    def fn(rng):
        y = ar1(rng, n, phi) + level * (t >= n // 2)
        res = tr.interrupted_time_series(t, y, n // 2, bootstrap=bootstrap, seed=rng)
        return res.level_change.p_value <= ALPHA

    return fn


def make_perm(statistic, shift, n=60):
    def fn(rng):
        if statistic == "share":
            a = rng.uniform(size=n) < 0.3 + shift
            b = rng.uniform(size=n) < 0.3
            a, b = a.astype(float), b.astype(float)
        else:
            a = rng.exponential(10.0, 40) + shift
            b = rng.exponential(10.0, 40)
        res = tr.compare_samples(
            a, b, statistic=statistic, permutations=999, resamples=999, ci_method="percentile", seed=rng
        )
        return res.difference.p_value <= ALPHA

    return fn


def boot_coverage(rng):
    a, b = rng.exponential(10.0, 40), rng.exponential(10.0, 40)
    res = tr.compare_samples(a, b, permutations=99, resamples=1999, ci_method="bca", seed=rng)
    lo, hi = res.difference.ci
    return not (lo <= 0.0 <= hi)


# ---------------------------------------------------------------------------- models
N_CELLS = 400


def make_count(family, beta, alpha=0.5):
    def fn(rng):
        x = rng.normal(size=N_CELLS)
        area = rng.uniform(0.5, 1.5, N_CELLS)
        mu = area * np.exp(0.7 + beta * x)
        if family == "negbin":
            y = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu))
        else:
            y = rng.poisson(mu)
        df = pd.DataFrame({"y": y, "x": x, "area": area})
        res = md.count_regression(df, "y", ["x"], exposure="area", family=family)
        return res.rate_ratios[0].p_value <= ALPHA

    return fn


def rr_coverage(rng):
    x = rng.normal(size=N_CELLS)
    area = rng.uniform(0.5, 1.5, N_CELLS)
    mu = area * np.exp(0.7 + 0.2 * x)
    y = rng.negative_binomial(2, 1 / (1 + 0.5 * mu))
    res = md.count_regression(
        pd.DataFrame({"y": y, "x": x, "area": area}), "y", ["x"], exposure="area", family="negbin"
    )
    lo, hi = res.rate_ratios[0].ci
    return not (lo <= math.exp(0.2) <= hi)


def make_logit(beta):
    def fn(rng):
        n = 600
        x = rng.normal(size=n)
        eta = -1.0 + beta * x
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(int)
        res = md.case_control_logit(pd.DataFrame({"y": y, "x": x}), "y", ["x"])
        return res.odds_ratios[0].p_value <= ALPHA

    return fn


def moran_null(rng):
    return md.morans_i(rng.normal(size=len(GRID)), W, permutations=199, seed=rng).p_value <= ALPHA


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--power-reps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gi-permutations", type=int, default=9999)
    parser.add_argument("--only", default="", help="run only rows whose name contains this")
    args = parser.parse_args()
    print(f"nproc={os.cpu_count()} reps={args.reps} power_reps={args.power_reps} seed={args.seed}")
    perm_null, perm_power = make_gi_perm(args.gi_permutations)
    rows = [
        (
            ("Gi* analytical, per test (400 cells, Poisson(5))", "Gi* analytical, BH-FDR family-wise (any cell)"),
            gi_analytic_null,
            gi_analytic_power,
            "share of planted 3x3 block (x2 rate) found hot, BH 5%",
        ),
        (
            (
                f"Gi* permutation ({args.gi_permutations}), per test",
                f"Gi* permutation ({args.gi_permutations}), BH-FDR family-wise",
            ),
            perm_null,
            perm_power,
            "share of planted block found hot, BH 5%",
        ),
        ("Mann-Kendall, n=30 iid", mk_null, mk_power, "slope 0.05 sd/step"),
        ("Mann-Kendall plain, n=60 AR(1) phi=0.5", mk_ar_plain, None, ""),
        ("Mann-Kendall Yue-Wang, n=60 AR(1) phi=0.5", mk_ar_yw, None, ""),
        ("Mann-Kendall Yue-Wang, n=30 iid", mk_iid_yw, None, ""),
        (
            "ITS level change, sieve bootstrap (499), n=120 iid",
            make_its(120, 0.0, 0.0, 499),
            make_its(120, 0.0, 0.8, 499),
            "level +0.8 sd",
        ),
        ("ITS level change, sieve bootstrap (499), n=120 AR(1) 0.3", make_its(120, 0.3, 0.0, 499), None, ""),
        ("ITS level change, sieve bootstrap (499), n=60 AR(1) 0.3", make_its(60, 0.3, 0.0, 499), None, ""),
        ("ITS level change, HAC normal p, n=120 iid", make_its(120, 0.0, 0.0, 0), None, ""),
        ("ITS level change, HAC normal p, n=120 AR(1) 0.3", make_its(120, 0.3, 0.0, 0), None, ""),
        (
            "permutation test, medians, 40 v 40 exponential",
            make_perm("median", 0.0),
            make_perm("median", 6.0),
            "shift +6 (0.6 sd)",
        ),
        ("permutation test, shares, 60 v 60", make_perm("share", 0.0), make_perm("share", 0.25), "0.55 v 0.30"),
        (
            "permutation test, shares, 200 v 200",
            make_perm("share", 0.0, 200),
            make_perm("share", 0.1, 200),
            "0.40 v 0.30",
        ),
        ("BCa bootstrap CI for median difference misses 0", boot_coverage, None, ""),
        (
            "Poisson rate ratio, 400 cells",
            make_count("poisson", 0.0),
            make_count("poisson", 0.1),
            "RR = exp(0.1) per sd",
        ),
        (
            "NB2 rate ratio, 400 cells, alpha=0.5",
            make_count("negbin", 0.0),
            make_count("negbin", 0.2),
            "RR = exp(0.2) per sd",
        ),
        ("NB2 95% CI misses planted RR exp(0.2)", rr_coverage, None, ""),
        ("case-control logit (HC1), n=600", make_logit(0.0), make_logit(0.25), "OR = exp(0.25) per sd"),
        ("Moran's I permutation (199), 400 cells iid", moran_null, None, ""),
    ]
    # rows whose null rate is not meant to be 0.05: a naive test shown for contrast
    contrast = {
        "Mann-Kendall plain, n=60 AR(1) phi=0.5",
        "ITS level change, HAC normal p, n=120 iid",
        "ITS level change, HAC normal p, n=120 AR(1) 0.3",
    }
    print(f"{'test':58s} {'null rate':>9s} {'95% CI':>15s} {'ok':>3s} {'power':>6s}  effect    time")
    for k, (names, null_fn, power_fn, effect) in enumerate(rows):
        names = (names,) if isinstance(names, str) else names
        if args.only and not any(args.only in name for name in names):
            continue
        t0 = time.perf_counter()
        # streams depend on (seed, row) only, so --only reproduces the full run's rows
        rng_null, rng_power = np.random.default_rng([args.seed, k]).spawn(2)
        null_rates = rate(null_fn, args.reps, rng_null)
        power = f"{rate(power_fn, args.power_reps, rng_power)[0]:.3f}" if power_fn else "   -  "
        for j, (name, r) in enumerate(zip(names, null_rates)):
            lo, hi = wilson(r * args.reps, args.reps)
            ok = "n/a" if name in contrast else ("yes" if abs(r - ALPHA) <= 0.02 else "NO")
            print(
                f"{name:58s} {r:9.3f} [{lo:.3f}, {hi:.3f}] {ok:>3s} "
                f"{power if j == 0 else '   -  ':>6s}  {effect if j == 0 else ''}"
                f"  {time.perf_counter() - t0:5.1f}s",
                flush=True,
            )


if __name__ == "__main__":
    main()
