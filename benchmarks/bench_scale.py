"""Scaling out on Dask: a generated whole-border world with 1 worker (serial) and 2 workers.

The world: the US–Mexico border as a 3,000 km × 100 km strip at 90 m (1,112 × 33,334 cells,
a fractal DEM), 500 towers along the border (heights 10–40 m, ranges 8–12 km) and 10,000
remains.  Stages, each timed serially (no Dask) and on a local Dask cluster of 2
single-threaded worker processes, with the same numbers checked equal:

1. coverage of 4 epochs of deployment, up to 500 towers switched on in 4 waves, in one call of
   ``coverage_epochs`` as the pipeline does (each tower's viewshed computed once; groups of
   towers, each with the DEM window of its ranges);
2. slope of the whole strip by tiles with a 1-cell halo, read by windows; each task writes its
   tile as a deflate GeoTIFF, and the output is their VRT mosaic;
3. H3's least-energy routes: 6 cost surfaces (unconstrained + 5 epochs of coverage) with 50
   origins each, on a 600 km window of the border (6 whole-border surfaces would take
   several minutes);
4. a Monte Carlo envelope of cross-L(remains, towers), 999 simulations in chunks of 100;
5. Gi* hot spots of the remains on 5 km cells, 9,999 conditional permutations in chunks;
6. distance to the nearest road of the 10,000 remains and 1,000,000 background points (200,000
   road segments of 400 m; ``geo.nearest``, the points in chunks, the segments sent once).
   The world itself has only the 10,000 remains, whose join stays in one process, so this
   stage is totalled apart from the others;
7. accumulated cost by tiles with boundary exchange on a 1,112 × 4,000 window (tiles of at most
   1,024), from a GeoTIFF: each worker reads its tiles' windows, keeps their costs between rounds
   and writes them at the end (the output a VRT mosaic), as for a raster larger than memory.

Prints the time of each stage, the speed-up, and the peak resident memory of the driver and
of each worker.  Run:  nice .venv/bin/python benchmarks/bench_scale.py
(``--columns 3000`` runs a 270 km strip, to check the script quickly.)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe  # noqa: E402

from borderscape.analyses.routes import least_energy_routes as _routes  # noqa: E402
from borderscape.analyses.stats import hotspots  # noqa: E402
from borderscape.analyses.stats.pointpattern import CSR, envelope  # noqa: E402
from borderscape.geo import parallel, tiles  # noqa: E402
from borderscape.geo.nearest import nearest  # noqa: E402
from borderscape.geo.raster import Raster  # noqa: E402
from borderscape.geo.synthetic import fractal_dem  # noqa: E402
from borderscape.geo.viewshed import coverage_count, coverage_epochs  # noqa: E402

SEED = 2026
RES = 90.0
SHAPE = (1_112, 33_334)  # 100 km × 3,000 km
N_TOWERS = 500
N_REMAINS = 10_000
ROUTE_COLS = 6_667  # 600 km window for the routes
EPOCHS = 4
COST_COLS = 4_000
N_ROADS = 200_000
N_BACKGROUND = 1_000_000
EXTRA = "nearest road"  # a stage beyond the issue's world (10,000 remains), totalled apart


def peak_rss_mib() -> float:
    """Peak resident memory of this process, MiB (VmHWM: unlike ru_maxrss, not inherited by a
    worker process from the process that started it)."""
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM")) / 1024


def world(tmp: Path, columns: int) -> dict:
    rng = np.random.default_rng(SEED)
    t = time.perf_counter()
    dem = fractal_dem(
        (SHAPE[0], columns),
        res=RES,
        relief=1200,
        base=300,
        rng=rng,
        origin=(-1_500_000.0, 3_500_000.0),
        crs="EPSG:5070",
    )
    path = tmp / "border.tif"  # a tiled GeoTIFF, as a COG would be: windows read only their blocks
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=dem.shape[1],
        height=dem.shape[0],
        count=1,
        dtype="float32",
        crs=dem.crs,
        transform=dem.transform,
        tiled=True,
        blockxsize=256,
        blockysize=256,
        compress="deflate",
    ) as dst:
        dst.write(dem.array, 1)
    left, bottom, right, top = dem.bounds
    # towers within 15 km north of the border (the south edge)
    tx = rng.uniform(left + 1_000, right - 1_000, N_TOWERS)
    ty = rng.uniform(bottom + 1_000, bottom + 15_000, N_TOWERS)
    heights = rng.uniform(10, 40, N_TOWERS)
    ranges = rng.uniform(8_000, 12_000, N_TOWERS)
    # remains: most within 40 km of the border, denser in a few corridors
    centres = rng.uniform(left, right, 12)
    cx = centres[rng.integers(0, 12, N_REMAINS)] + rng.normal(0, 60_000, N_REMAINS)
    rx = np.clip(cx, left + 1, right - 1)
    ry = np.clip(bottom + rng.exponential(20_000, N_REMAINS), bottom + 1, top - 1)
    # roads: short straight segments (as TIGER's are) spread over the strip; background points
    # for a case-control comparison, uniform over the strip
    n_roads = N_ROADS * columns // SHAPE[1]
    sx, sy = rng.uniform(left, right, n_roads), rng.uniform(bottom, top, n_roads)
    turn = rng.uniform(0, np.pi, n_roads)
    roads = shapely.linestrings(np.stack([np.c_[sx, sy], np.c_[sx + 400 * np.cos(turn), sy + 400 * np.sin(turn)]], 1))
    n_back = N_BACKGROUND * columns // SHAPE[1]
    points = np.concatenate(
        [shapely.points(rx, ry), shapely.points(rng.uniform(left, right, n_back), rng.uniform(bottom, top, n_back))]
    )
    print(
        f"world: DEM {SHAPE[0]} × {columns} cells at {RES:g} m ({dem.array.nbytes / 2**20:.0f} MiB float32), "
        f"{N_TOWERS} towers, {N_REMAINS} remains, {n_roads} road segments, {n_back} background points; "
        f"generated in {time.perf_counter() - t:.1f} s"
    )
    return dict(
        dem=dem,
        path=path,
        tx=tx,
        ty=ty,
        heights=heights,
        ranges=ranges,
        rx=rx,
        ry=ry,
        rng=rng,
        roads=roads,
        points=points,
    )


class Clock:
    """Wall time and CPU time of a stage: this process's, plus every worker's on a cluster."""

    def __init__(self, ex: parallel.Executor) -> None:
        # the files an earlier stage wrote (the slope tiles) go to disk now, not while this one runs
        os.sync()
        self.client = getattr(ex, "client", None)
        self.stream = None
        if self.client is not None:
            from distributed import get_task_stream

            self.stream = get_task_stream(client=self.client)
            self.stream.__enter__()
        self.wall = time.perf_counter()
        self.cpu = self._cpu()

    def _cpu(self) -> float:
        workers = sum(self.client.run(time.process_time).values()) if self.client is not None else 0.0
        return time.process_time() + workers

    def stop(self) -> tuple[float, float, float]:
        """Wall s, CPU s, and the mean number of tasks computing at once (1 when serial)."""
        wall, cpu = time.perf_counter() - self.wall, self._cpu() - self.cpu
        if self.stream is None:
            return wall, cpu, 1.0
        self.stream.__exit__(None, None, None)
        busy = sum(
            ss["stop"] - ss["start"]
            for task in self.stream.data
            for ss in task["startstops"]
            if ss["action"] == "compute"
        )
        return wall, cpu, busy / wall


def stages(w: dict, ex: parallel.Executor, tmp: Path) -> dict[str, tuple[tuple[float, float, float], object]]:
    """Each stage's (wall, CPU) seconds and a result to compare across executors."""
    out: dict[str, tuple[tuple[float, float, float], object]] = {}
    dem: Raster = w["dem"]

    # coverage of each of 4 epochs of deployment (the towers switched on in 4 waves, west first)
    t = Clock(ex)
    wave = np.argsort(np.argsort(w["tx"])) * EPOCHS // N_TOWERS
    covs = coverage_epochs(
        dem,
        w["tx"],
        w["ty"],
        w["heights"],
        w["ranges"],
        wave[:, None] <= np.arange(EPOCHS),
        target_height=1.7,
        executor=ex,
    )
    cov = covs[-1]
    out[f"coverage ({EPOCHS} epochs, up to 500 towers)"] = (t.stop(), covs)

    t = Clock(ex)
    slope_path = tiles.terrain_tiled(w["path"], tmp / f"slope{ex.workers}.vrt", tile=1024, executor=ex)
    out["slope by tiles (66 tiles)"] = (t.stop(), Raster.read(slope_path).array)

    sub = Raster(dem.array[:, :ROUTE_COLS].copy(), dem.transform, dem.crs, dem.nodata)
    covered = cov[:, :ROUTE_COLS] > 0
    rng = np.random.default_rng(SEED + 1)
    mults = [None] + [
        np.where(covered & (rng.random(covered.shape) < share), 2.0, 1.0).astype(np.float32)
        for share in (0.2, 0.4, 0.6, 0.8, 1.0)
    ]
    left, bottom, right, top = sub.bounds
    ox = np.linspace(left + 2_000, right - 2_000, 50)
    origins = gpd.GeoSeries(gpd.points_from_xy(ox, np.full(50, bottom + 200.0)), crs=sub.crs)
    target = np.zeros(sub.shape, bool)
    target[0] = True
    params = {"W": 60.0, "L": 20.0, "V": 1.2, "eta": 1.2}
    t = Clock(ex)
    routes = ex.map(_routes, mults, dem=sub, target=target, params=params, origins=origins)
    out["routes (6 surfaces × 50 origins)"] = (t.stop(), np.concatenate([e for e, _ in routes]))

    left, bottom, right, top = dem.bounds
    window = shapely.box(left, bottom, right, top)
    a = np.column_stack([w["rx"], w["ry"]])
    b = np.column_stack([w["tx"], w["ty"]])
    t = Clock(ex)
    env = envelope(
        a,
        b,
        window=window,
        radii=np.linspace(2_500, 25_000, 10),
        statistic="L",
        null=CSR(),
        n_sim=999,
        seed=SEED,
        alternative="less",
        executor=ex,
    )
    out["envelope cross-L (999 sims)"] = (t.stop(), env.simulated)

    pts = gpd.GeoSeries(gpd.points_from_xy(w["rx"], w["ry"]), crs=dem.crs)
    grid = hotspots.square_grid(pts, 5_000, bounds=dem.bounds)
    wts = hotspots.distance_band_weights(grid, 10_000)
    counts = grid["count"].astype(float)
    t = Clock(ex)
    gi = hotspots.gi_star_weights(counts, wts, permutations=9_999, seed=SEED, executor=ex)
    out["Gi* (9,999 permutations)"] = (t.stop(), gi.p.to_numpy())

    t = Clock(ex)
    near = nearest(w["points"], w["roads"], executor=ex)
    out[f"nearest road ({w['points'].size:,} points)"] = (t.stop(), np.stack(near))

    sub = Raster(dem.array[:, :COST_COLS].copy(), dem.transform, dem.crs, dem.nodata)
    sub_path = tmp / "cost_window.tif"
    if not sub_path.exists():
        sub.write(sub_path)
    src = np.zeros(sub.shape, bool)
    src[-1, :] = True
    t = Clock(ex)
    tc = tiles.accumulated_cost_tiled(
        sub_path, src, model="pandolf", params=params, tile=1024, out=tmp / f"cost{ex.workers}.vrt", executor=ex
    )
    out[f"tiled cost ({tc.rounds} rounds, {tc.solves} solves)"] = (t.stop(), Raster.read(tc.path).array)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=SHAPE[1], help="DEM columns (default: 3,000 km at 90 m)")
    columns = parser.parse_args().columns
    print(describe("dask", "distributed"))
    print(f"nproc {os.cpu_count()}; load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        w = world(tmp, columns)
        _warm()
        with parallel.open_executor(None) as ex:
            serial = stages(w, ex, tmp)
        serial_rss = peak_rss_mib()
        with parallel.open_executor(2) as ex:
            ex.client.run(_warm)
            _warm_executor(ex)
            dask = stages(w, ex, tmp)
            workers_rss = ex.client.run(peak_rss_mib)
    print(
        f"\n{'stage':38s} {'1 worker: wall s':>16s} {'2 workers: wall s':>17s} {'speed-up':>8s}  "
        f"{'CPU s 1 / 2':>12s}  {'tasks at once':>11s}  same numbers"
    )
    totals = {"world": np.zeros(4), "all": np.zeros(4)}
    for (name, ((s1, u1, _), r1)), (_, ((s2, u2, k2), r2)) in zip(serial.items(), dask.items()):
        same = np.array_equal(r1, r2, equal_nan=True)
        print(f"{name:38s} {s1:16.2f} {s2:17.2f} {s1 / s2:7.2f}x  {u1:5.1f} / {u2:5.1f}  {k2:11.2f}  {same}")
        totals["all"] += (s1, s2, u1, u2)
        if not name.startswith(EXTRA):
            totals["world"] += (s1, s2, u1, u2)
    for label, (t1, t2, c1, c2) in (
        ("parallel stages of the world", totals["world"]),
        ("the same and the nearest-road join", totals["all"]),
    ):
        print(f"{label:38s} {t1:16.2f} {t2:17.2f} {t1 / t2:7.2f}x  {c1:5.1f} / {c2:5.1f}")
    print(
        f"the nearest-road join of the {N_BACKGROUND:,} background points is an extra: the world's own join, "
        f"{N_REMAINS:,} remains, takes about 0.1 s and stays in one process (below geo.nearest.PARALLEL_MIN)"
    )
    print(
        "CPU s: this process (and, with 2 workers, the workers too); tasks at once: time the workers spent "
        "computing tasks / wall time (2 = both busy throughout); CPU / wall below the tasks at once means the "
        "cores were busy with other work"
    )
    print(
        f"peak RSS: driver {serial_rss:.0f} MiB (includes generating the world by FFT); "
        + ", ".join(f"worker {i} {v:.0f} MiB" for i, v in enumerate(workers_rss.values()))
    )
    print(f"load average at the end {os.getloadavg()}")


def _warm_executor(ex: parallel.Executor) -> None:
    """Start and stop the clock once, and send a few tasks with array data through each way the
    stages use (map with scattered items, imap, put/drop) before timing: the first task stream
    registers its plugin on the scheduler and the first transfers open the connections between
    this process and each worker, one-time costs of the cluster (like starting it), which
    otherwise fell on the first stage timed (coverage: 0.75 s against 0.65 s warm)."""
    Clock(ex).stop()
    arrays = [np.full(50_000, float(i)) for i in range(2 * ex.workers)]
    assert ex.map(np.sum, arrays) == [a.sum() for a in arrays]
    assert list(ex.imap(np.sum, arrays, ahead=ex.workers)) == [a.sum() for a in arrays]
    handles = ex.put(arrays)
    assert list(ex.imap(np.sum, handles, ahead=ex.workers)) == [a.sum() for a in arrays]
    ex.drop(handles)


def _warm() -> None:
    """Import the modules of the stages and load their numba kernels from the on-disk cache (in
    the driver and on each worker) before timing, by running each kernel once on a tiny world:
    a one-time cost per process, not part of any stage."""
    from borderscape.analyses.battery import h3_routes  # noqa: F401

    dem = fractal_dem((64, 64), res=RES, rng=np.random.default_rng(0), crs="EPSG:5070")
    x, y = dem.xy(np.array([20, 40]), np.array([20, 40]))
    coverage_count(dem, x, y, 10.0, 1_000.0, target_height=1.7)
    from borderscape.geo import terrain

    terrain.slope(dem)
    src = np.zeros(dem.shape, bool)
    src[-1] = True
    tiles.accumulated_cost_tiled(
        dem, src, model="pandolf", params={"W": 60.0, "L": 20.0, "V": 1.2, "eta": 1.2}, tile=32
    )
    pts = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=dem.crs)
    grid = hotspots.square_grid(pts, 1_000, bounds=dem.bounds)
    hotspots.gi_star_weights(
        grid["count"].astype(float), hotspots.distance_band_weights(grid, 2_000), permutations=9, seed=0
    )
    left, bottom, right, top = dem.bounds
    rng = np.random.default_rng(0)
    a = rng.uniform([left, bottom], [right, top], (30, 2))
    envelope(a, a[:5], window=shapely.box(left, bottom, right, top), radii=[500.0, 1_000.0], n_sim=39, seed=0)


if __name__ == "__main__":
    main()
