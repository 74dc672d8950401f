"""Benchmark: anisotropic accumulated walking cost from a border line.

Side by side, in one run, on the same generated DEM (default 4000 × 4000 cells of 30 m):

* ours — :func:`borderscape.geo.costdistance.accumulated_cost` with r.walk's model, 8 neighbours;
* GRASS ``r.walk`` with the same model, friction 0 and the same start cells (target: ours ≥ 3×
  faster; only the r.walk call is timed, not import/export);
* scikit-image ``MCP_Geometric`` on the equivalent isotropic cost (0.72 s/m × 30 m per cell,
  8 neighbours; target: ours no slower);
* our peak memory per cell (target ≤ 40 bytes): the rise of the peak RSS (VmHWM) over the RSS
  just before the call, measured in a fresh process (ru_maxrss would carry the parent's RSS
  over the fork);
* the time of a first call in a fresh process (numba loads the cached kernels; nothing is
  compiled once the cache exists).

Usage::

    nice python benchmarks/bench_costdistance.py [--size 4000] [--skip-grass]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from machine import describe

from borderscape.geo.costdistance import accumulated_cost, source_cells
from borderscape.geo.raster import Raster
from borderscape.geo.synthetic import fractal_dem

CHILD = r"""
import sys, time
import numpy as np
from affine import Affine
from borderscape.geo.raster import Raster
from borderscape.geo.costdistance import accumulated_cost

def status(key):  # kB -> bytes; VmHWM is the peak RSS of this process image (reset at exec)
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024

z = np.load(sys.argv[1])
src = np.load(sys.argv[2])
dem = Raster(z, Affine(30.0, 0, 500000.0, 0, -30.0, 3600000.0), "EPSG:32612")
small = Raster(z[:20, :20].copy(), dem.transform, dem.crs)
t = time.perf_counter()
accumulated_cost(small, np.ones((20, 20), bool), model="rwalk")
first = time.perf_counter() - t
rss_before = status("VmRSS")
assert status("VmHWM") - rss_before < 0.05 * z.size  # the baseline is not below an earlier peak
t, c = time.perf_counter(), time.process_time()
out = accumulated_cost(dem, src, model="rwalk")
elapsed, cpu = time.perf_counter() - t, time.process_time() - c
print(first, elapsed, cpu, status("VmHWM") - rss_before)
"""


def border_line(dem: Raster) -> gpd.GeoSeries:
    """A wavy east–west 'border' a few cells north of the southern edge."""
    left, bottom, right, top = dem.bounds
    x = np.linspace(left, right, 200)
    y = bottom + 0.05 * (top - bottom) + 0.02 * (top - bottom) * np.sin(6 * np.pi * (x - left) / (right - left))
    return gpd.GeoSeries([shapely.LineString(np.column_stack([x, y]))], crs=dem.crs)


def run_grass(work: Path, dem: Raster, src: np.ndarray) -> tuple[float, float, np.ndarray]:
    dem.write(work / "dem.tif")
    dem.with_array(np.where(src, 1.0, np.nan).astype(np.float32), nodata=np.nan).write(work / "start.tif")
    (work / "run.sh").write_text("""set -e
r.in.gdal input=dem.tif output=dem -o --quiet
r.in.gdal input=start.tif output=start -o --quiet
g.region raster=dem
r.mapcalc "zero = 0.0" --quiet
TIMEFORMAT="%R %U %S"
{ time r.walk elevation=dem friction=zero output=walk start_raster=start memory=4000 --quiet ; } 2> time.txt
r.out.gdal input=walk output=walk.tif type=Float64 -c --quiet
""")
    proc = subprocess.run(
        ["grass", "--tmp-location", "EPSG:32612", "--exec", "bash", "run.sh"], cwd=work, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    wall, user, system = map(float, (work / "time.txt").read_text().split()[-3:])
    return wall, user + system, Raster.read(work / "walk.tif").array


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=4000, help="cells per side (default 4000)")
    ap.add_argument("--skip-grass", action="store_true", help="do not run GRASS r.walk")
    args = ap.parse_args()
    n = args.size
    print(f"hardware: {describe('scikit-image')}")
    dem = fractal_dem((n, n), res=30.0, relief=600, rng=np.random.default_rng(42))
    border = border_line(dem)
    rows, cols = source_cells(dem, border)
    src = np.zeros(dem.shape, bool)
    src[rows, cols] = True
    print(f"DEM {n} x {n} cells of 30 m ({n * n / 1e6:.1f} M cells); border: {src.sum()} source cells")

    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as tmp:
        work = Path(tmp)
        np.save(work / "z.npy", dem.array)
        np.save(work / "src.npy", src)
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(work / "z.npy"), str(work / "src.npy")],
            capture_output=True,
            text=True,
            check=True,
        )
        first, ours_t, ours_cpu, mem = map(float, out.stdout.split())
        print(f"fresh process, first call (cached kernels, incl. numba start-up): {first:.2f} s")
        print("times: wall s / CPU s (CPU time is the fairer measure on a shared machine)")
        print(
            f"ours, r.walk's model, 8 neighbours:        {ours_t:8.2f} / {ours_cpu:8.2f}   "
            f"peak memory {mem / (n * n):.1f} bytes/cell (target <= 40)"
        )
        ours = accumulated_cost(dem, src, model="rwalk").cost.array

        from skimage.graph import MCP_Geometric

        costs = np.full(dem.shape, 0.72 * 30.0)
        t, c = time.perf_counter(), time.process_time()
        mcp = MCP_Geometric(costs, fully_connected=True)
        mcp_cost, _ = mcp.find_costs(list(zip(rows.tolist(), cols.tolist())))
        mcp_t, mcp_cpu = time.perf_counter() - t, time.process_time() - c
        print(
            f"skimage MCP_Geometric, isotropic, 8-conn: {mcp_t:8.2f} / {mcp_cpu:8.2f}   ours (anisotropic) is "
            f"{mcp_t / ours_t:.2f}x (wall) {mcp_cpu / ours_cpu:.2f}x (CPU) as fast (target >= 1)"
        )
        # ours on the same isotropic cost (r.walk's model with b = c = d = 0: 0.72 s/m)
        t, c = time.perf_counter(), time.process_time()
        iso = accumulated_cost(dem, src, model="rwalk", params={"b": 0, "c": 0, "d": 0}).cost.array
        iso_t, iso_cpu = time.perf_counter() - t, time.process_time() - c
        same = np.allclose(iso, mcp_cost, rtol=1e-9)
        print(
            f"ours, same isotropic cost:                 {iso_t:8.2f} / {iso_cpu:8.2f}   "
            f"{mcp_t / iso_t:.2f}x (wall) {mcp_cpu / iso_cpu:.2f}x (CPU) as fast as MCP; equal results: {same}"
        )
        del mcp, mcp_cost, iso

        if args.skip_grass:
            print("GRASS r.walk: skipped")
        elif shutil.which("grass") is None:
            print("GRASS r.walk: not installed")
        else:
            grass_t, grass_cpu, theirs = run_grass(work, dem, src)
            both = np.isfinite(ours) & np.isfinite(theirs)
            rel = np.abs(ours[both] - theirs[both]) / np.maximum(theirs[both], 1e-12)
            print(
                f"GRASS r.walk (8 neighbours):               {grass_t:8.2f} / {grass_cpu:8.2f}   ours is "
                f"{grass_t / ours_t:.2f}x (wall) {grass_cpu / ours_cpu:.2f}x (CPU) as fast (target >= 3)"
            )
            print(
                f"agreement with r.walk: {np.mean(rel <= 0.01) * 100:.3f} % of cells within 1 %, "
                f"median relative difference {np.median(rel):.1e}"
            )
    print(f"peak RSS of this driver: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
