"""Calibrate H1 (coverage displacement) and H3 (routes) on simulated worlds.

Rejection rates at the 5 % level over null worlds (α = 0: surveillance does not change
routes) and planted worlds (α > 0), for every outcome of
:func:`borderscape.analyses.battery.h1_coverage.h1_coverage` and ``h3_routes.h3_routes`` that is a test of
the effect: ``H1`` (background permutation test), ``H1.area`` (area-share Poisson-binomial
test), ``H1.cross_k`` (cross-L envelope, random labelling), ``H3.fit`` (remains nearer the
avoiding routes than before deployment).  ``H3`` itself (the extra energy of avoiding
coverage) has no null of "no avoidance": it is positive in every world, planted or not; its
rejection rate is printed to show exactly that.

Targets (by the ``role`` the battery gives, :func:`borderscape.analyses.battery.declare`: the study's
declared endpoint is primary): a primary test rejects in ≥ 80 % of planted worlds and 5 % ± 2 % of
null worlds; a secondary one in at most 7 % of null worlds (its power is printed); a descriptive
result has no null of "no funnel effect".  (The size of the primaries after Holm adjustment across the
whole battery: ``benchmarks/calibrate_primaries.py``.)  A Wilson 95 %
interval is printed with every rate.  World seeds are 0 … n − 1 (null) and 20 000 … (planted,
``--planted-base``): no selection.  (H3's default ``avoidance = 2`` was chosen over 10 on a
pilot of 30 planted worlds with seeds 10 000 … 10 029, which is why the planted seeds of the
reported run start at 20 000.)  Runs serially (one core); use ``nice``.

    nice .venv/bin/python benchmarks/calibrate_funnel_displacement.py --null 200 --planted 100
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import time

import numpy as np

from borderscape.analyses.battery import declare
from borderscape.analyses.battery.h1_coverage import h1_coverage
from borderscape.analyses.battery.h3_routes import h3_routes
from borderscape.analyses.worlds import inputs_from_world, simulate_world, world_study

TESTS = ("H1", "H1.area", "H1.cross_k", "H3.fit", "H3")


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion k/n."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (centre - half, centre + half)


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def one_world(seed: int, alpha: float, args: argparse.Namespace) -> tuple[dict[str, float], dict[str, str]]:
    """p-value (NaN when it did not run) and role of each of :data:`TESTS` in one world."""
    world = simulate_world(seed=seed, alpha=alpha, size=args.size, walkers=args.walkers)
    study = world_study(
        world,
        seed=seed,
        parameters={"statistics": {"permutations": args.permutations}, "displacement": {"bootstrap": args.bootstrap}},
    )
    inputs = inputs_from_world(world)
    rng = np.random.default_rng(seed)
    outcomes = declare(h1_coverage(study, inputs, rng).outcomes, study, "H1") + declare(
        h3_routes(study, inputs, rng).outcomes, study, "H3"
    )
    p = {o.id: o.p_value for o in outcomes if o.status == "ran"}
    role = {o.id: o.role for o in outcomes}
    return {t: p.get(t, float("nan")) for t in TESTS}, {t: role.get(t, "") for t in TESTS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--null", type=int, default=200, help="null worlds (α = 0)")
    parser.add_argument("--planted", type=int, default=100, help="planted worlds")
    parser.add_argument("--alpha", type=float, default=0.5, help="planted avoidance strength α")
    parser.add_argument("--planted-base", type=int, default=20_000, help="first seed of the planted worlds")
    parser.add_argument("--size", type=int, default=128, help="cells per side of each world")
    parser.add_argument("--walkers", type=int, default=800, help="walkers per world")
    parser.add_argument("--permutations", type=int, default=499)
    parser.add_argument("--bootstrap", type=int, default=99, help="bootstrap draws (CIs are not calibrated here)")
    args = parser.parse_args()
    print(f"hardware: nproc={os.cpu_count()} cpu={cpu_model()}")
    print(
        f"worlds: planted seeds from {args.planted_base}, size={args.size} walkers={args.walkers} permutations={args.permutations} "
        f"null α=0 ×{args.null}, planted α={args.alpha} ×{args.planted}"
    )
    t0 = time.perf_counter()
    rows = {}
    roles: dict[str, str] = {}
    for label, alpha, n, base in (
        ("null", 0.0, args.null, 0),
        ("planted", args.alpha, args.planted, args.planted_base),
    ):
        found = [one_world(base + i, alpha, args) for i in range(n)]
        rows[label] = np.array([[v for v in p.values()] for p, _ in found]).reshape(n, len(TESTS))
        for _, role in found:
            for test, r in role.items():
                roles[test] = roles.get(test) or r
    elapsed = time.perf_counter() - t0
    print(
        f"{'test':<12} {'role':<11} {'null: rejected / ran (rate, 95% CI)':<42} {'planted: rejected / ran (rate, 95% CI)'}"
    )
    for j, test in enumerate(TESTS):
        cells = []
        for label in ("null", "planted"):
            p = rows[label][:, j]
            ran = np.isfinite(p)
            k, m = int((p[ran] < 0.05).sum()), int(ran.sum())
            lo, hi = wilson(k, m)
            cells.append(f"{k:>4}/{m:<4} ({k / max(m, 1):6.1%}, {lo:5.1%}–{hi:5.1%})")
        print(f"{test:<12} {roles.get(test, ''):<11} {cells[0]:<42} {cells[1]}")
    print(f"elapsed {elapsed:.0f} s ({elapsed / (args.null + args.planted):.2f} s per world)")


if __name__ == "__main__":
    main()
