"""Calibration of the point-pattern envelope tests of borderscape.analyses.stats.pointpattern.

Size: over many simulated datasets for which the null hypothesis holds, the global
maximum-deviation test (p = (1 + #{T_sim >= T_obs}) / (n_sim + 1)) must reject at alpha = 5 %
in 5 % ± 2 % of them.  Power: the rejection rate on datasets with planted clustering of
"remains" around "sensors" and planted repulsion from sensors.

Run:  nice .venv/bin/python benchmarks/calibrate_pointpattern.py [--datasets 500] [--sims 99]

The data are generated here with plain numpy/shapely (not with the package's samplers).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import shapely
from affine import Affine
from shapely.geometry import Polygon, box

from borderscape.analyses.stats import pointpattern as pp
from borderscape.geo.raster import Raster

SQUARE = box(0.0, 0.0, 1000.0, 1000.0)
POLY = Polygon(
    [(0, 0), (1000, 0), (1000, 600), (400, 1000), (0, 800)], holes=[[(600, 200), (750, 200), (750, 350), (600, 350)]]
)
RADII = np.linspace(10.0, 200.0, 12)
N_A, N_B = 100, 25  # "remains", "sensors"
# background intensity for the inhomogeneous null: rising fivefold from west to east
GRADIENT = Raster(
    np.tile(1.0 + 4.0 * (np.arange(20) + 0.5) / 20, (20, 1)), Affine(50.0, 0, 0, 0, -50.0, 1000.0), "EPSG:32612"
)


def inside(window, p):
    return p[shapely.intersects_xy(window, p[:, 0], p[:, 1])]


def csr(window, n, rng):
    x0, y0, x1, y1 = window.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        out = np.vstack([out, inside(window, rng.random((2 * n, 2)) * (x1 - x0, y1 - y0) + (x0, y0))])
    return out[:n]


def thomas(window, n, rng, sigma=25.0, mu=5):
    """n points of a Thomas cluster process (parents uniform, Gaussian children)."""
    x0, y0, x1, y1 = window.buffer(4 * sigma).bounds
    out = np.empty((0, 2))
    while len(out) < n:
        par = rng.random((n // mu + 1, 2)) * (x1 - x0, y1 - y0) + (x0, y0)
        kids = np.repeat(par, rng.poisson(mu, len(par)), axis=0)
        kids = kids + rng.normal(0, sigma, kids.shape)
        out = np.vstack([out, inside(window, kids)])
    return out[rng.permutation(len(out))[:n]]


def gradient_points(window, n, rng):
    """Density proportional to the GRADIENT raster (1 + 4 x_c / 1000 on 50 m columns with
    centres x_c), by rejection from uniform points."""
    out = np.empty((0, 2))
    while len(out) < n:
        p = csr(window, 2 * n, rng)
        w = 1.0 + 4.0 * (np.floor(p[:, 0] / 50.0) + 0.5) * 50.0 / 1000.0
        out = np.vstack([out, p[rng.random(len(p)) * 5.0 < w]])
    return out[:n]


def null_dataset(test: str, rng: np.random.Generator):
    """(a, b, window, null model) with the null hypothesis true."""
    if test in ("cross-L, CSR null", "cross-K, CSR null", "cross-G, CSR null"):
        return csr(POLY, N_A, rng), csr(POLY, N_B, rng), POLY, pp.CSR()
    if test == "L, CSR null":
        return csr(POLY, N_A, rng), None, POLY, pp.CSR()
    if test == "cross-L, random labelling":
        pool = thomas(POLY, N_A + N_B, rng)
        return pool[:N_A], pool[N_A:], POLY, pp.RandomLabelling()
    if test == "cross-L, toroidal shift":
        return thomas(SQUARE, N_A, rng), csr(SQUARE, N_B, rng), SQUARE, pp.ToroidalShift()
    if test == "cross-L, inhomogeneous null":
        return gradient_points(POLY, N_A, rng), csr(POLY, N_B, rng), POLY, pp.Inhomogeneous(GRADIENT)
    raise ValueError(test)


def planted_dataset(scenario: str, rng: np.random.Generator):
    """Remains clustered around sensors, or repelled by them; sensors CSR."""
    sensors = csr(POLY, N_B, rng)
    if scenario == "clustering around sensors":
        k = 15  # 15 % of the remains scattered N(0, 30^2 m^2) around random sensors
        near = np.empty((0, 2))
        while len(near) < k:
            near = np.vstack([near, inside(POLY, sensors[rng.integers(0, N_B, k)] + rng.normal(0, 30.0, (k, 2)))])
        return np.vstack([csr(POLY, N_A - k, rng), near[:k]]), sensors
    if scenario == "repulsion from sensors":
        out = np.empty((0, 2))
        while len(out) < N_A:
            p = csr(POLY, N_A, rng)
            d = np.min(np.hypot(*(p[:, None, :] - sensors[None, :, :]).transpose(2, 0, 1)), axis=1)
            out = np.vstack([out, p[d > 25.0]])  # no remains within 25 m of a sensor
        return out[:N_A], sensors
    raise ValueError(scenario)


NULL_TESTS = (
    "cross-K, CSR null",
    "cross-L, CSR null",
    "cross-G, CSR null",
    "L, CSR null",
    "cross-L, random labelling",
    "cross-L, toroidal shift",
    "cross-L, inhomogeneous null",
)
SCENARIOS = ("clustering around sensors", "repulsion from sensors")


def rejection_rate(test: str, *, n_datasets: int, n_sim: int, seed: int, alpha: float = 0.05) -> float:
    """Share of null datasets on which the global envelope test of the statistic named first
    in ``test`` ("cross-K", "L", ...) rejects at ``alpha``."""
    rng = np.random.default_rng(seed)
    rejected = 0
    for _ in range(n_datasets):
        a, b, window, null = null_dataset(test, rng)
        stat = test.split(",")[0].replace("cross-", "")
        e = pp.envelope(a, b, window=window, radii=RADII, null=null, n_sim=n_sim, seed=rng, statistic=stat)
        rejected += e.p_value <= alpha
    return rejected / n_datasets


def power(
    scenario: str, *, n_datasets: int, n_sim: int, seed: int, alternative: str = "two-sided", alpha: float = 0.05
) -> float:
    """Share of planted datasets on which the cross-L test (CSR null) rejects at ``alpha``."""
    rng = np.random.default_rng(seed)
    rejected = 0
    for _ in range(n_datasets):
        a, b = planted_dataset(scenario, rng)
        e = pp.envelope(a, b, window=POLY, radii=RADII, n_sim=n_sim, seed=rng, alternative=alternative)
        rejected += e.p_value <= alpha
    return rejected / n_datasets


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=int, default=500)
    ap.add_argument("--power-datasets", type=int, default=200)
    ap.add_argument("--sims", type=int, default=99)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    print(
        f"window: irregular polygon with a hole ({POLY.area / 1e6:.3f} km²), toroidal: 1 km square; "
        f"n_remains={N_A}, n_sensors={N_B}; radii {RADII[0]:.0f}..{RADII[-1]:.0f} m ({len(RADII)}); "
        f"translation correction (G: border); global maximum-deviation test, n_sim={args.sims}, alpha=0.05"
    )
    se = np.sqrt(0.05 * 0.95 / args.datasets)
    print(f"size over {args.datasets} null datasets (binomial s.e. {se:.4f}; target 0.05 ± 0.02):")
    for test in NULL_TESTS:
        t = time.perf_counter()
        rate = rejection_rate(test, n_datasets=args.datasets, n_sim=args.sims, seed=args.seed)
        flag = "ok" if abs(rate - 0.05) <= 0.02 else "OUT OF RANGE"
        print(f"  {test:32s} rejection rate {rate:.3f}  [{flag}]  ({time.perf_counter() - t:.0f} s)")
    print(f"power over {args.power_datasets} planted datasets (cross-L vs sensors, CSR null):")
    for scenario, one_sided in zip(SCENARIOS, ("greater", "less")):
        for alt in ("two-sided", one_sided):
            rate = power(scenario, n_datasets=args.power_datasets, n_sim=args.sims, seed=args.seed + 1, alternative=alt)
            print(f"  {scenario:28s} {alt:9s} power {rate:.3f}")


if __name__ == "__main__":
    main()
