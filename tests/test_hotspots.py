"""Gi* hot spots: agreement with esda/libpysal/statsmodels, planted hot spots, grids."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import stats

from borderscape.analyses.stats import hotspots as hs
from borderscape.geo.errors import CRSError, InputError

esda = pytest.importorskip("esda")
libpysal = pytest.importorskip("libpysal")

CRS = 32612  # UTM 12N (Arizona), metres


def _points(xy: np.ndarray, **columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)


def _libpysal_w(w) -> libpysal.weights.W:
    neighbours = {i: list(w.indices[w.indptr[i] : w.indptr[i + 1]]) for i in range(w.shape[0])}
    return libpysal.weights.W(neighbours, silence_warnings=True)


def _esda_gi(y: np.ndarray, w, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return esda.G_Local(np.asarray(y, dtype=float), _libpysal_w(w), transform="B", star=True, **kw)


@pytest.fixture(scope="module")
def clustered():
    """Uniform background points plus a planted cluster around (7000, 3000)."""
    rng = np.random.default_rng(42)
    background = rng.uniform(0, 10_000, (400, 2))
    cluster = rng.normal((7000, 3000), 300, (120, 2))
    return _points(np.vstack([background, cluster]))


def test_gi_star_z_equals_esda_for_every_weight_kind(clustered):
    grid = hs.square_grid(clustered, 500.0)
    hexes = hs.hex_grid(clustered, 300.0)
    cases = [
        (grid, hs.distance_band_weights(grid, 1200.0)),
        (grid, hs.knn_weights(grid, 6)),
        (grid, hs.contiguity_weights(grid, rule="queen")),
        (grid, hs.contiguity_weights(grid, rule="rook")),
        (hexes, hs.contiguity_weights(hexes, rule="hex")),
    ]
    for cells, w in cases:
        ours = hs.gi_star_weights(cells["count"], w)
        ref = _esda_gi(cells["count"].to_numpy(), w, permutations=0)
        np.testing.assert_allclose(ours.z.to_numpy(), ref.Zs, atol=1e-6, rtol=0)
        np.testing.assert_allclose(ours.g.to_numpy(), ref.Gs, atol=1e-12)
        # analytical two-sided p = 2 x esda's one-sided normal tail
        np.testing.assert_allclose(ours.p.to_numpy(), 2 * ref.p_norm, atol=1e-9)


def test_gi_star_entry_point_aligns_to_index_and_matches_esda_distance_band():
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 5000, (300, 2))
    gdf = _points(xy, deaths=rng.poisson(3, 300))
    gdf.index = pd.Index(rng.permutation(np.arange(1000, 1300)), name="cell_id")
    res = hs.gi_star(gdf, "deaths", distance_band=600.0)
    assert res.z.index.equals(gdf.index) and res.p.index.equals(gdf.index)
    band = libpysal.weights.DistanceBand(xy, threshold=600.0, binary=True, silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.G_Local(gdf["deaths"].to_numpy(float), band, transform="B", star=True, permutations=0)
    np.testing.assert_allclose(res.z.to_numpy(), ref.Zs, atol=1e-6, rtol=0)


def test_weights_neighbour_sets_equal_libpysal():
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 3000, (150, 2))
    gdf = _points(xy)
    ours = _libpysal_w(hs.distance_band_weights(gdf, 400.0))
    ref = libpysal.weights.DistanceBand(xy, threshold=400.0, binary=True, silence_warnings=True)
    assert {k: set(v) for k, v in ours.neighbors.items()} == {k: set(v) for k, v in ref.neighbors.items()}
    ours_knn = _libpysal_w(hs.knn_weights(gdf, 5))
    ref_knn = libpysal.weights.KNN(xy, k=5)
    assert {k: set(v) for k, v in ours_knn.neighbors.items()} == {k: set(v) for k, v in ref_knn.neighbors.items()}


def test_contiguity_matches_libpysal_polygon_contiguity(clustered):
    grid = hs.square_grid(clustered, 1000.0)
    for rule, builder in (("queen", libpysal.weights.Queen), ("rook", libpysal.weights.Rook)):
        ours = _libpysal_w(hs.contiguity_weights(grid, rule=rule))
        ref = builder.from_dataframe(grid, use_index=False, silence_warnings=True)
        assert {k: set(v) for k, v in ours.neighbors.items()} == {k: set(v) for k, v in ref.neighbors.items()}
    hexes = hs.hex_grid(clustered, 600.0)
    ours = _libpysal_w(hs.contiguity_weights(hexes, rule="hex"))
    ref = libpysal.weights.Rook.from_dataframe(hexes, use_index=False, silence_warnings=True)
    assert {k: set(v) for k, v in ours.neighbors.items()} == {k: set(v) for k, v in ref.neighbors.items()}


def test_gi_star_closed_form_on_a_tiny_line():
    # 5 points 1 km apart on a line, band 1.1 km: neighbours are the adjacent points
    gdf = _points(np.c_[np.arange(5) * 1000.0, np.zeros(5)], y=[1.0, 2.0, 9.0, 2.0, 1.0])
    res = hs.gi_star(gdf, "y", distance_band=1100.0)
    y = np.array([1.0, 2.0, 9.0, 2.0, 1.0])
    n, ybar, s = 5, y.mean(), y.std()
    lag = np.array([3.0, 12.0, 13.0, 12.0, 3.0])
    wi = np.array([2.0, 3.0, 3.0, 3.0, 2.0])
    z = (lag - ybar * wi) / (s * np.sqrt((n * wi - wi**2) / (n - 1)))
    np.testing.assert_allclose(res.z.to_numpy(), z, rtol=1e-12)
    np.testing.assert_array_equal(res.neighbours.to_numpy(), wi.astype(int))
    # band 2.1 km: the middle point neighbours every point (W_i = n), its Gi* cannot deviate: z = 0,
    # the same in gi_star and in the column-wise gi_star_z (one formula)
    wide = hs.gi_star(gdf, "y", distance_band=2100.0)
    assert wide.z.iloc[2] == 0.0 and wide.p.iloc[2] == 1.0
    np.testing.assert_array_equal(
        hs.gi_star_z(np.c_[y, y], hs.distance_band_weights(gdf, 2100.0))[:, 0], wide.z.to_numpy()
    )


def test_permutation_p_is_reproducible_and_bounded():
    rng = np.random.default_rng(3)
    gdf = _points(rng.uniform(0, 10_000, (300, 2)), v=rng.normal(10, 1, 300))
    ours = hs.gi_star(gdf, "v", distance_band=900.0, permutations=999, seed=2)
    again = hs.gi_star(gdf, "v", distance_band=900.0, permutations=999, seed=2)
    other = hs.gi_star(gdf, "v", distance_band=900.0, permutations=999, seed=3)
    pd.testing.assert_series_equal(ours.p, again.p)
    assert not ours.p.equals(other.p)
    assert ((ours.p >= 1 / 1000) & (ours.p <= 1)).all()
    # an island (only itself as neighbour) has nothing to permute: p = 1
    assert (ours.p[ours.neighbours == 1] == 1).all()
    # the z-scores do not depend on the permutations
    pd.testing.assert_series_equal(ours.z, other.z)
    # never unseeded: permutations need a seed (an integer or a generator), analytical p-values do not
    with pytest.raises(InputError, match="seed"):
        hs.gi_star(gdf, "v", distance_band=900.0, permutations=99)
    with pytest.raises(InputError, match="seed"):
        hs.gi_star_by_window(
            gdf.assign(date=pd.Timestamp("2020-01-01")),
            "date",
            [("2019-01-01", "2021-01-01")],
            grid=hs.square_grid(gdf, 1000.0),
            distance_band=1500.0,
            permutations=99,
        )
    analytical = hs.gi_star(gdf, "v", distance_band=900.0)
    pd.testing.assert_series_equal(analytical.z, ours.z)
    generator = hs.gi_star(gdf, "v", distance_band=900.0, permutations=999, seed=np.random.default_rng(2))
    pd.testing.assert_series_equal(generator.p, ours.p)


@pytest.mark.slow  # esda's conditional randomisation compiles uncached for about a minute
def test_permutation_p_agrees_with_esda():
    rng = np.random.default_rng(3)
    gdf = _points(rng.uniform(0, 10_000, (300, 2)), v=rng.normal(10, 1, 300))
    w = hs.distance_band_weights(gdf, 900.0)
    ours = hs.gi_star(gdf, "v", distance_band=900.0, permutations=2999, seed=2)
    ref = _esda_gi(gdf["v"].to_numpy(), w, permutations=2999, seed=2, n_jobs=1)
    # esda reports a one-sided ("directed") pseudo p; ours is two-sided about the exact
    # conditional mean: for a symmetric variable ours ~ 2 x esda's, up to Monte Carlo error
    # (islands excluded: ours is p = 1 there, esda treats them with an island weight)
    has_neighbours = ours.neighbours.to_numpy() > 1
    diff = np.abs(ours.p.to_numpy() - np.minimum(1.0, 2 * ref.p_sim))[has_neighbours]
    assert diff.mean() < 0.02 and diff.max() < 0.08


def test_pseudo_p_exact_for_enumerable_case():
    # n=4, one neighbour each: the conditional null of y_i + y_J, J uniform on the other 3
    gdf = _points(np.c_[[0.0, 100.0, 5000.0, 5100.0], [0.0, 0.0, 0.0, 0.0]], y=[1.0, 5.0, 2.0, 3.0])
    res = hs.gi_star(gdf, "y", distance_band=150.0, permutations=20000, seed=0)
    y = np.array([1.0, 5.0, 2.0, 3.0])
    nb = [1, 0, 3, 2]
    for i in range(4):
        others = np.delete(y, i)
        sims = y[i] + others
        mean = sims.mean()
        exact = np.mean(np.abs(sims - mean) >= abs(y[i] + y[nb[i]] - mean) - 1e-12)
        assert res.p.iloc[i] == pytest.approx(exact, abs=0.015)


def test_pseudo_p_matches_an_independent_numpy_conditional_randomisation():
    rng = np.random.default_rng(12)
    gdf = _points(rng.uniform(0, 8000, (200, 2)), y=rng.poisson(2.0, 200))  # tied counts
    res = hs.gi_star(gdf, "y", distance_band=1000.0, permutations=9999, seed=4)
    w = hs.distance_band_weights(gdf, 1000.0)
    y = gdf["y"].to_numpy(float)
    ref_rng = np.random.default_rng(99)
    for i in np.flatnonzero(res.neighbours.to_numpy() > 2)[:6]:
        nb = w.indices[w.indptr[i] : w.indptr[i + 1]]
        others = np.delete(y, i)
        sims = y[i] + np.array([ref_rng.choice(others, nb.size, replace=False).sum() for _ in range(4000)])
        mean = y[i] + nb.size * others.mean()
        ref = np.mean(np.abs(sims - mean) >= abs(y[i] + y[nb].sum() - mean) - 1e-9)
        assert res.p.iloc[i] == pytest.approx(ref, abs=0.03)


def test_planted_hot_spot_is_detected_with_fdr(clustered):
    grid = hs.square_grid(clustered, 500.0)
    res = hs.gi_star(grid, "count", distance_band=800.0, permutations=999, seed=7)
    hot = res.classify(0.05, fdr=True)
    centres = grid.geometry.centroid
    dist = np.hypot(centres.x - 7000, centres.y - 3000)
    assert (hot[dist < 400] == 1).all()
    assert (hot[dist > 2500] != 1).all()
    analytical = hs.gi_star(grid, "count", distance_band=800.0).classify(0.05)
    assert (analytical[dist < 400] == 1).all()


def test_fdr_bh_equals_statsmodels():
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    rng = np.random.default_rng(0)
    p = np.concatenate([rng.uniform(0, 1, 200), rng.uniform(0, 0.002, 20)])
    ours = hs.fdr_bh(p, 0.05)
    reject, q, _, _ = multitest.multipletests(p, alpha=0.05, method="fdr_bh")
    np.testing.assert_array_equal(ours.reject, reject)
    np.testing.assert_allclose(ours.q, q, rtol=1e-12)
    assert ours.threshold == p[reject].max()
    series = hs.fdr_bh(pd.Series(p, index=np.arange(220) + 10), 0.05)
    assert series.reject.index[0] == 10
    assert not hs.fdr_bh([0.5, 0.9], 0.05).reject.any()
    with pytest.raises(InputError):
        hs.fdr_bh([0.1, np.nan])


def test_square_grid_counts_every_point_once(clustered):
    grid = hs.square_grid(clustered, 700.0)
    assert grid.crs == clustered.crs
    assert grid["count"].sum() == len(clustered)
    assert np.allclose(grid.geometry.area, 700.0**2)
    # each point lies in a cell whose count includes it: recount with a spatial join
    # (intersects, first cell per point: the extreme points lie on the grid's outer edge)
    joined = gpd.sjoin(clustered, grid, predicate="intersects").sort_values("index_right")
    joined = joined[~joined.index.duplicated(keep="first")]
    assert len(joined) == len(clustered)
    recount = joined.groupby("index_right").size().reindex(grid.index, fill_value=0)
    assert (recount.to_numpy() == grid["count"].to_numpy()).all()


def test_hex_grid_geometry_and_counts(clustered):
    size = 400.0
    hexes = hs.hex_grid(clustered, size)
    assert hexes["count"].sum() == len(clustered)
    np.testing.assert_allclose(hexes.geometry.area, 1.5 * np.sqrt(3) * size**2, rtol=1e-9)
    assert shapely.union_all(hexes.geometry.to_numpy()).covers(shapely.box(*clustered.total_bounds))
    w = hs.contiguity_weights(hexes, rule="hex")
    assert np.diff(w.indptr).max() == 6
    # neighbouring centres are sqrt(3) * size apart
    i = int(np.argmax(np.diff(w.indptr)))
    c = hexes.geometry.centroid
    for j in w.indices[w.indptr[i] : w.indptr[i + 1]]:
        assert c.iloc[i].distance(c.iloc[j]) == pytest.approx(np.sqrt(3) * size)


def test_inputs_are_not_modified(clustered):
    grid = hs.square_grid(clustered, 1000.0)
    before = grid.copy()
    w = hs.distance_band_weights(grid, 1500.0)
    w.setdiag(1.0)  # a caller's matrix with self-weights: must come back untouched
    w_before = w.copy()
    hs.gi_star_weights(grid["count"], w, permutations=99, seed=1)
    pd.testing.assert_frame_equal(grid, before)
    assert (w != w_before).nnz == 0 and w.nnz == w_before.nnz


def test_crs_and_input_errors(clustered):
    no_crs = clustered.set_crs(None, allow_override=True)
    with pytest.raises(CRSError):
        hs.square_grid(no_crs, 100.0)
    with pytest.raises(CRSError):
        hs.gi_star(clustered.to_crs(4326).assign(v=1.0), "v", distance_band=100.0)
    grid = hs.square_grid(clustered, 1000.0)
    with pytest.raises(InputError):
        hs.gi_star(grid, "nope", distance_band=1500.0)
    with pytest.raises(InputError):
        hs.gi_star(grid.assign(count=3), "count", distance_band=1500.0)
    with pytest.raises(InputError):
        hs.contiguity_weights(grid, rule="hex")


def test_windows_and_change_find_a_hot_spot_that_appeared():
    rng = np.random.default_rng(11)
    early = rng.uniform(0, 10_000, (300, 2))
    late = np.vstack([rng.uniform(0, 10_000, (300, 2)), rng.normal((2500, 7500), 250, (80, 2))])
    dates = np.r_[np.full(300, np.datetime64("2005-06-01")), np.full(380, np.datetime64("2015-06-01"))]
    pts = _points(np.vstack([early, late]), date=dates)
    grid = hs.square_grid(pts, 500.0, bounds=(0, 0, 10_000, 10_000))
    windows = [("2000-01-01", "2010-01-01"), ("2010-01-01", "2020-01-01")]
    res = hs.gi_star_by_window(pts, "date", windows, grid=grid, distance_band=800.0, permutations=499, seed=3)
    assert res.counts.sum().tolist() == [300, 380]
    assert res.outside == (0, 0)
    direct = hs.gi_star(grid.assign(count=res.counts.iloc[:, 0].to_numpy()), "count", distance_band=800.0)
    np.testing.assert_allclose(res.results[0].z, direct.z)
    again = hs.gi_star_by_window(pts, "date", windows, grid=grid, distance_band=800.0, permutations=499, seed=3)
    pd.testing.assert_series_equal(res.results[1].p, again.results[1].p)
    change = hs.hotspot_change(res.results[0], res.results[1], alpha=0.05)
    centres = grid.geometry.centroid
    near = np.hypot(centres.x - 2500, centres.y - 7500) < 300
    assert (change.status[near] == "became hot").all()
    assert change.counts["became hot"] >= near.sum()
    assert change.counts["stopped being hot"] == 0


def test_numba_kernels_are_cached():
    for kernel in (hs._crand_extreme, hs._permuted_ids):
        assert type(kernel._cache).__name__ == "FunctionCache"  # NullCache without cache=True


@pytest.mark.slow
def test_calibration_small():
    """A small run of benchmarks/calibrate_stats.py's Gi* null calibration."""
    rng = np.random.default_rng(2024)
    grid = hs.square_grid(_points(rng.uniform(0, 10_000, (50, 2))), 1000.0, bounds=(0, 0, 10_000, 10_000))
    w = hs.distance_band_weights(grid, 1500.0)
    per_test, family = [], []
    for _ in range(200):
        y = rng.poisson(10.0, len(grid))
        res = hs.gi_star_weights(y, w)
        per_test.append(np.mean(res.p <= 0.05))
        family.append(hs.fdr_bh(res.p, 0.05).reject.any())
    assert abs(np.mean(per_test) - 0.05) < 0.02
    assert np.mean(family) < 0.08
    assert stats.binomtest(int(np.sum(family)), 200, 0.05).pvalue > 0.001
