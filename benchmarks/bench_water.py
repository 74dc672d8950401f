"""Benchmark: the water-loss (sweat, litres) cost surface against the energy (Pandolf, kJ) one.

Side by side, in one run, on the same generated DEM (default 2000 × 2000 cells of 30 m) from the
same border line, 8 neighbours, the study's default walker:

* energy — :func:`borderscape.geo.costdistance.accumulated_cost`, ``model="pandolf"``, η constant;
* water — the same call with ``model="water"`` and a per-cell air temperature raster (kelvin; a
  smooth north–south gradient of 38–44 °C with noise), so the kernel averages a cell value on every
  move exactly as Pandolf does with a per-cell η;
* water, constant temperature — no per-cell array.

Each is run once to load numba's cached kernels, then timed ``--repeat`` times, the three in turn
within each round (best reported).
Prints the seconds, cells per second and the water / energy ratio.

Usage::

    nice python benchmarks/bench_water.py [--size 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import shapely
from machine import describe

from borderscape.geo.costdistance import accumulated_cost
from borderscape.geo.raster import Raster
from borderscape.geo.synthetic import fractal_dem
from borderscape.geo.water import kelvin


def border_line(dem: Raster) -> gpd.GeoSeries:
    """A wavy east–west 'border' a few cells north of the southern edge."""
    left, bottom, right, top = dem.bounds
    x = np.linspace(left, right, 200)
    y = bottom + 0.05 * (top - bottom) + 0.02 * (top - bottom) * np.sin(6 * np.pi * (x - left) / (right - left))
    return gpd.GeoSeries([shapely.LineString(np.column_stack([x, y]))], crs=dem.crs)


def interleaved(repeat: int, runs: dict) -> tuple[dict[str, float], dict[str, object]]:
    """Best time of each run over ``repeat`` rounds, the runs taken in turn within a round (so a
    change in the machine's load during the benchmark falls on all of them alike)."""
    out = {name: fn() for name, fn in runs.items()}  # load the cached kernels (compile on a cold cache)
    best = dict.fromkeys(runs, np.inf)
    for _ in range(repeat):
        for name, fn in runs.items():
            t = time.perf_counter()
            out[name] = fn()
            best[name] = min(best[name], time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=2000, help="DEM rows = columns (default 2000)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each (default 3; best reported)")
    args = ap.parse_args()
    print(f"hardware: {describe()}")
    rng = np.random.default_rng(19)
    dem = fractal_dem((args.size, args.size), res=30.0, relief=600.0, rng=rng)
    border = border_line(dem)
    rows = np.linspace(44.0, 38.0, args.size)[:, None]  # hotter near the border (south is the last row)
    temp_c = (rows[::-1] + rng.normal(0.0, 0.3, dem.shape)).astype(np.float32)
    temp_k = kelvin(temp_c).astype(np.float32)
    walker = {"W": 70.0, "L": 10.0, "V": 1.25, "eta": 1.2}
    runs = {
        "energy (pandolf, kJ)": lambda: accumulated_cost(dem, border, model="pandolf", params=walker),
        "water (litres, per-cell temperature)": lambda: accumulated_cost(
            dem, border, model="water", params=walker, cell_values=temp_k
        ),
        "water (litres, constant 41 °C)": lambda: accumulated_cost(
            dem, border, model="water", params={**walker, "tair_k": 314.15}
        ),
    }
    cells = dem.array.size
    print(f"DEM {args.size} × {args.size} cells of 30 m ({cells / 1e6:.1f} M cells), 8 neighbours, border line source")
    results, surfaces = interleaved(args.repeat, runs)
    for name, surf in surfaces.items():
        secs = results[name]
        finite = np.isfinite(surf.cost.array)
        print(
            f"  {name:40s} {secs:7.2f} s  {cells / secs / 1e6:6.2f} M cells/s  "
            f"max {np.nanmax(surf.cost.array):10.2f} {surf.units}  reached {finite.mean():.1%}"
        )
    energy = results["energy (pandolf, kJ)"]
    for name in list(runs)[1:]:
        print(f"  ratio {name} / energy: {results[name] / energy:.2f}")


if __name__ == "__main__":
    main()
