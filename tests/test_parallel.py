"""Dask execution gives the same numbers as one process (borderscape.geo.parallel)."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest
import shapely

from borderscape.analyses.stats import hotspots, pointpattern
from borderscape.cli import main
from borderscape.geo import parallel, tiles
from borderscape.geo.errors import InputError
from borderscape.geo.raster import Raster
from borderscape.geo.synthetic import fractal_dem
from borderscape.geo.viewshed import coverage_count, coverage_epochs


@pytest.fixture(scope="module")
def dask_ex():
    """One local cluster of 2 single-threaded worker processes for the module."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.wait_for_workers(2)
        yield parallel.DaskExecutor(client)


def _scaled(x, *, factor):
    return x * factor


def _counted(n, seen):
    for i in range(n):
        seen.append(i)
        yield i


def _sum_placed(item, *, offset):
    i, (a, b) = item
    return i + float(a.sum() + b.sum()) + offset


def _fail(x):
    if x == 3:
        raise InputError("item 3 is bad", remedy="leave it out")
    return x


def test_demo_results_identical_with_1_and_2_workers(tmp_path):
    pytest.importorskip("distributed")
    one, two = tmp_path / "w1", tmp_path / "w2"
    assert main(["demo", "--out", str(one), "--seed", "3", "--workers", "1"]) == 0
    assert main(["demo", "--out", str(two), "--seed", "3", "--workers", "2"]) == 0
    assert (one / "results.json").read_bytes() == (two / "results.json").read_bytes()
    tests = {t["id"]: t for t in json.loads((two / "results.json").read_text())["tests"]}
    assert tests["H1.cross_k"]["status"] == "ran" and tests["H3"]["status"] == "ran"  # envelope and routes ran
    prov = [json.loads((d / "provenance.json").read_text())["options"] for d in (one, two)]
    assert (prov[0]["workers"], prov[1]["workers"], prov[1]["scheduler"]) == (1, 2, None)


def test_map_keeps_order_and_passes_shared_arguments(dask_ex):
    big = np.arange(50_000.0)  # scattered once
    assert dask_ex.workers == 2
    assert dask_ex.map(_scaled, list(range(20)), factor=3) == [3 * i for i in range(20)]
    got = dask_ex.map(_scaled, [1.0, 2.0], factor=big)
    np.testing.assert_array_equal(got[1], 2.0 * big)
    assert parallel.SerialExecutor().map(_scaled, [1, 2], factor=2) == [2, 4]
    assert dask_ex.map(_scaled, [], factor=1) == []


def test_a_task_error_comes_back_typed(dask_ex):
    for ex in (dask_ex, parallel.SerialExecutor()):
        with pytest.raises(InputError, match="item 3 is bad") as info:
            ex.map(_fail, [1, 2, 3, 4])
        assert info.value.remedy == "leave it out"


def test_without_dask_more_workers_is_a_typed_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    with pytest.raises(parallel.DaskMissing, match=r'pip install "borderscape\[dask\]"'):
        with parallel.open_executor(2):
            pass
    with parallel.open_executor(1) as ex, parallel.open_executor(None) as ex2:  # serial needs no Dask
        assert isinstance(ex, parallel.SerialExecutor) and isinstance(ex2, parallel.SerialExecutor)
    assert main(["demo", "--out", str(tmp_path / "x"), "--workers", "2"]) == 2
    assert "borderscape[dask]" in capsys.readouterr().err
    with pytest.raises(InputError, match="not both"):
        with parallel.open_executor(2, "tcp://127.0.0.1:1"):
            pass


def test_installed_executor_is_scoped(dask_ex):
    assert isinstance(parallel.current(), parallel.SerialExecutor)
    with parallel.using(dask_ex):
        assert parallel.current() is dask_ex
    assert isinstance(parallel.current(), parallel.SerialExecutor)


def test_chunks_and_seeds_do_not_depend_on_workers():
    assert parallel.chunk_sizes(250) == [100, 100, 50]
    a = parallel.spawn_chunks(np.random.default_rng(7), 250)
    b = parallel.spawn_chunks(np.random.default_rng(7), 250)
    assert [s for s, _ in a] == [100, 100, 50]
    assert [g.random() for _, g in a] == [g.random() for _, g in b]
    draws = [g.random() for _, g in parallel.spawn_chunks(np.random.default_rng(7), 250)]
    assert len(set(draws)) == 3  # independent streams


class _Threads:
    """An executor (:class:`borderscape.geo.parallel.Executor`'s ``map``) that runs the items on two threads."""

    workers = 2

    def map(self, func, items, **shared):
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return list(pool.map(lambda item: func(item, **shared), items))


def test_envelope_same_numbers_serial_threads_and_dask(dask_ex):
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0, 1000, (80, 2)), rng.uniform(0, 1000, (15, 2))
    kw = dict(window=shapely.box(0, 0, 1000, 1000), radii=np.linspace(20, 200, 8), n_sim=249)
    serial = pointpattern.envelope(a, b, seed=5, **kw)
    threads = pointpattern.envelope(a, b, seed=5, executor=_Threads(), **kw)
    with parallel.using(dask_ex):
        dask = pointpattern.envelope(a, b, seed=5, **kw)
    for e in (threads, dask):
        np.testing.assert_array_equal(e.simulated, serial.simulated)
        assert e.p_value == serial.p_value and np.array_equal(e.low, serial.low)
    assert serial.simulated.shape == (249, 8) and len({tuple(r) for r in serial.simulated}) == 249


def test_gi_star_permutations_same_serial_and_dask(dask_ex):
    rng = np.random.default_rng(3)
    n = 200
    y = rng.poisson(2.0, n).astype(float)
    i, j = np.triu_indices(n, 1)
    keep = rng.random(i.size) < 0.03
    from scipy import sparse

    w = sparse.coo_array((np.ones(2 * keep.sum()), (np.r_[i[keep], j[keep]], np.r_[j[keep], i[keep]])), shape=(n, n))
    serial = hotspots.gi_star_weights(pd.Series(y), w, permutations=2500, seed=11)
    remote = hotspots.gi_star_weights(pd.Series(y), w, permutations=2500, seed=11, executor=dask_ex)
    pd.testing.assert_series_equal(serial.p, remote.p)
    assert serial.p.min() < 0.05 < serial.p.max()


def test_coverage_same_serial_and_dask(dask_ex):
    dem = fractal_dem((160, 200), res=30, rng=np.random.default_rng(4))
    rng = np.random.default_rng(5)
    rows, cols = rng.integers(5, 155, 40), rng.integers(5, 195, 40)
    x, y = dem.xy(rows, cols)
    ranges = rng.uniform(400, 1500, 40)
    serial = coverage_count(dem, x, y, 10.0, ranges, target_height=1.7)
    remote = coverage_count(dem, x, y, 10.0, ranges, target_height=1.7, executor=dask_ex)
    assert serial.array.max() >= 3
    assert np.array_equal(serial.array, remote.array)


def test_coverage_epochs_equal_coverage_at_each_epoch_serial_and_dask(dask_ex):
    dem = fractal_dem((160, 200), res=30, rng=np.random.default_rng(4))
    rng = np.random.default_rng(6)
    n = 60
    x, y = dem.xy(rng.integers(5, 155, n), rng.integers(5, 195, n))
    heights, ranges = rng.uniform(5, 30, n), rng.uniform(400, 1500, n)
    # switched on in one of 4 waves, some switched off again later, one never on
    on = rng.integers(0, 4, n)
    off = np.where(rng.random(n) < 0.3, on + rng.integers(1, 3, n), 99)
    epochs = np.arange(4)
    active = (on[:, None] <= epochs) & (epochs < off[:, None])
    active[0] = False
    each = np.stack(
        [
            coverage_count(
                dem, x[active[:, k]], y[active[:, k]], heights[active[:, k]], ranges[active[:, k]], target_height=1.7
            ).array
            for k in epochs
        ]
    )
    serial = coverage_epochs(dem, x, y, heights, ranges, active, target_height=1.7)
    remote = coverage_epochs(dem, x, y, heights, ranges, active, target_height=1.7, executor=dask_ex)
    assert serial.shape == (4,) + dem.shape and serial.dtype == np.int32
    assert len(np.unique(active[active.any(axis=1)], axis=0)) >= 5 and each.max() >= 3
    assert np.array_equal(serial, each) and np.array_equal(remote, each)


def test_nearest_join_same_serial_and_dask(dask_ex, monkeypatch):
    from borderscape.geo import nearest as nearest_module

    rng = np.random.default_rng(8)
    x0, y0 = rng.uniform(0, 50_000, 3_000), rng.uniform(0, 5_000, 3_000)
    roads = shapely.linestrings(
        np.stack([np.c_[x0, y0], np.c_[x0 + rng.normal(0, 300, 3_000), y0 + rng.normal(0, 300, 3_000)]], axis=1)
    )
    points = shapely.points(rng.uniform(0, 50_000, 20_001), rng.uniform(0, 5_000, 20_001))
    points[7] = None
    points[11] = shapely.Point()
    mixed = points.copy()  # not only points: these travel as WKB
    mixed[3] = shapely.LineString([(100, 100), (400, 300)])
    serial = nearest_module.nearest(points, roads, max_distance=150.0)
    serial_mixed = nearest_module.nearest(mixed, roads, max_distance=150.0)
    monkeypatch.setattr(nearest_module, "PARALLEL_MIN", 1_000)
    remote = nearest_module.nearest(points, roads, max_distance=150.0, executor=dask_ex)
    remote_mixed = nearest_module.nearest(mixed, roads, max_distance=150.0, executor=dask_ex)
    for a, b in ((serial, remote), (serial_mixed, remote_mixed)):
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1], equal_nan=True)
    assert 0 < (serial[0] >= 0).mean() < 1 and serial[0][7] == serial[0][11] == -1
    assert np.array_equal(np.delete(serial_mixed[0], 3), np.delete(serial[0], 3))


def test_scheduler_address_reaches_an_existing_cluster(dask_ex):
    address = dask_ex.client.scheduler.address
    with parallel.open_executor(scheduler=address) as ex:
        assert isinstance(ex, parallel.DaskExecutor) and ex.workers == 2 and parallel.current() is ex
        assert ex.map(_scaled, [1, 2, 3], factor=2) == [2, 4, 6]
    assert dask_ex.map(_scaled, [5], factor=2) == [10]  # the cluster outlives the connection


def test_imap_keeps_order_streams_and_raises_typed(dask_ex):
    big = np.arange(50_000.0)
    for ex in (dask_ex, parallel.SerialExecutor()):
        seen: list[int] = []
        it = ex.imap(_scaled, _counted(12, seen), ahead=3, factor=big)
        first = next(it)
        assert np.array_equal(first, 0 * big)
        assert len(seen) <= 4  # only `ahead` tasks beyond the one handed out were sent
        rest = list(it)
        assert [r[1] for r in rest] == [float(i) for i in range(1, 12)]
        with pytest.raises(InputError, match="item 3 is bad"):
            list(ex.imap(_fail, [1, 2, 3, 4], ahead=2))


def test_put_places_data_once_and_tasks_get_the_values(dask_ex):
    values = [(np.full(30_000, float(i)), np.ones(3)) for i in range(5)]
    expected = [i + 30_000.0 * i + 3.0 + 0.5 for i in range(5)]
    for ex in (dask_ex, parallel.SerialExecutor()):
        handles = ex.put(values)
        try:
            for _ in range(2):  # used by two rounds of tasks, sent once
                got = list(ex.imap(_sum_placed, list(enumerate(handles)), ahead=5, offset=0.5))
                assert got == expected
        finally:
            ex.drop(handles)
    handles = dask_ex.put(values)
    held = dask_ex.client.who_has(handles)
    assert len({w for ws in held.values() for w in ws}) == 2  # dealt to both workers
    dask_ex.drop(handles)


def _plus(item, *, offset):
    previous, value = item
    if value == 13:
        raise InputError("13 is bad")
    return (0.0 if previous is None else previous) + value + offset


def test_keep_leaves_results_on_the_workers_for_later_rounds(dask_ex):
    for ex in (dask_ex, parallel.SerialExecutor()):
        state = ex.keep(_plus, [(None, float(i)) for i in range(4)], offset=0.5)
        again = ex.keep(_plus, [(h, 10.0) for h in state], offset=0.0)  # each from its own result
        assert list(ex.imap(_plus, [(h, 0.0) for h in again], ahead=4, offset=0.0)) == [i + 10.5 for i in range(4)]
        with pytest.raises(InputError, match="13 is bad"):  # raised here, or when a task using it is collected
            bad = ex.keep(_plus, [(None, 13.0)], offset=0.0)
            list(ex.imap(_plus, [(h, 0.0) for h in bad], ahead=1, offset=0.0))
        ex.drop(state + again)
    state = dask_ex.keep(_plus, [(None, float(i)) for i in range(4)], offset=0.0)
    distributed = pytest.importorskip("distributed")
    distributed.wait(state)
    held = dask_ex.client.who_has(state)
    assert all(len(ws) == 1 for ws in held.values())  # kept where computed, not sent here
    dask_ex.drop(state)


def test_local_workers_allocate_as_this_process_does(monkeypatch):
    pytest.importorskip("distributed")
    import os

    # as in a fresh process (a nanny started earlier in this one left the variable set here)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    with parallel.open_executor(2) as ex:
        env = ex.client.run(lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS")))
    assert list(env.values()) == [(None, "1")] * 2  # Dask's trim setting left out, its thread limit kept


def test_groups_are_consecutive_and_balanced():
    assert parallel.groups(list(range(10)), 4) == [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]]
    assert parallel.groups([1, 2], 8) == [[1], [2]]
    assert parallel.groups([], 3) == []


def test_tiled_terrain_and_cost_same_serial_and_dask(dask_ex, tmp_path):
    dem = fractal_dem((150, 170), res=30, rng=np.random.default_rng(1))
    path = tmp_path / "dem.tif"
    dem.write(path)
    one = tiles.terrain_tiled(path, tmp_path / "s1.vrt", tile=40)
    two = tiles.terrain_tiled(path, tmp_path / "s2.vrt", tile=40, executor=dask_ex)
    a1, a2 = (Raster.read(p).array for p in (one, two))
    assert np.isfinite(a1).mean() > 0.9 and np.array_equal(a1, a2, equal_nan=True)
    src = np.zeros(dem.shape, bool)
    src[-1, :] = True
    mult = np.random.default_rng(2).uniform(1, 3, dem.shape).astype(np.float32)
    kw = dict(model="tobler", multiplier=mult, tile=48)
    serial = tiles.accumulated_cost_tiled(dem, src, **kw)
    remote = tiles.accumulated_cost_tiled(dem, src, executor=dask_ex, **kw)
    assert serial.rounds > 2 and (serial.rounds, serial.solves) == (remote.rounds, remote.solves)
    assert np.array_equal(serial.cost.array, remote.cost.array, equal_nan=True)
    # from files, each worker reading its tiles and writing their costs
    mult_file = tmp_path / "mult.tif"
    dem.with_array(mult, nodata=np.nan).write(mult_file)
    files = tiles.accumulated_cost_tiled(
        path, src, model="tobler", multiplier=mult_file, tile=48, out=tmp_path / "cost.vrt", executor=dask_ex
    )
    assert (files.rounds, files.solves) == (serial.rounds, serial.solves)
    assert np.array_equal(Raster.read(files.path).array, serial.cost.array, equal_nan=True)
