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


# -- exact conditional randomisation, shares of hot cells, hot-spot shifts (issue 17) -------------------


def _lattice(side: int, cell: float = 1000.0) -> gpd.GeoDataFrame:
    """A side x side square grid of cells (rows and columns), without counts."""
    xy = np.c_[np.repeat(np.arange(side), side), np.tile(np.arange(side), side)] * cell + cell / 2
    return hs.square_grid(_points(xy), cell, bounds=(0, 0, side * cell, side * cell))


def test_exact_p_equals_full_enumeration_of_the_conditional_null():
    """Closed form: every subset of the other values enumerated, on random graphs with tied counts."""
    import itertools

    from scipy import sparse

    rng = np.random.default_rng(1)
    for _ in range(5):
        n = 10
        y = rng.poisson(1.5, n).astype(float)
        y[0] += 1  # never all equal
        a = np.triu((rng.random((n, n)) < 0.35).astype(float), 1)
        a = a + a.T
        res = hs.gi_star_weights(y, sparse.csr_array(a), exact=True)
        lag = a @ y + y
        for i in range(n):
            k = int(a[i].sum())
            others = np.delete(y, i)
            if k == 0:
                assert res.p.iloc[i] == 1.0
                continue
            sims = np.array([sum(c) for c in itertools.combinations(others, k)])
            mean = k * others.mean()
            ref = np.mean(np.abs(sims - mean) >= abs(lag[i] - y[i] - mean) - 1e-9)
            assert res.p.iloc[i] == pytest.approx(ref, abs=1e-12)
    assert "Pagano & Tritchler 1983" in res.method and res.parameters["inference"].startswith("exact")


def test_exact_p_is_the_limit_of_the_monte_carlo_pseudo_p():
    rng = np.random.default_rng(12)
    grid = hs.square_grid(_points(rng.uniform(0, 20_000, (600, 2))), 1000.0)
    w = hs.distance_band_weights(grid, 2100.0)
    exact = hs.gi_star_weights(grid["count"], w, exact=True).p.to_numpy()
    perms = 20_000
    mc = hs.gi_star_weights(grid["count"], w, permutations=perms, seed=5).p.to_numpy()
    # the pseudo p-value is (1 + Binomial(N, p)) / (N + 1): within 5 binomial standard errors of the exact p
    se = np.sqrt(exact * (1 - exact) / perms)
    assert np.all(np.abs(mc - exact) <= 5 * se + 2 / perms)
    assert exact.min() < 1 / (perms + 1) or np.all(exact > 0)  # no floor: exact p can go below it


def test_exact_inputs_are_checked():
    grid = _lattice(5)
    w = hs.distance_band_weights(grid, 1500.0)
    with pytest.raises(InputError, match="integer"):
        hs.gi_star_weights(np.linspace(0.5, 3.0, 25), w, exact=True)
    with pytest.raises(InputError, match="permutations"):
        hs.gi_star_weights(np.arange(25), w, exact=True, permutations=99, seed=1)


def test_exact_p_is_valid_on_sparse_null_counts_where_the_analytic_p_is_not():
    """Null worlds: sparse, heavy-tailed counts (60 occupied cells of 900, as remains cluster) shuffled
    over the cells.  Under this complete null any flagged cell is a false discovery: with exact
    p-values BH at 5 % flags one in about 5 % of worlds or fewer; with the normal approximation in
    most worlds (on the real Arizona grid: 2 % against 100 % of 200 null worlds)."""
    rng = np.random.default_rng(3)
    grid = _lattice(30)
    w = hs.distance_band_weights(grid, 2100.0)  # 12 neighbours
    base = np.zeros(len(grid), dtype=int)
    base[rng.choice(len(grid), 60, replace=False)] = rng.geometric(0.2, 60)
    worlds, exact_any, analytic_any = 40, 0, 0
    for _ in range(worlds):
        y = rng.permutation(base)
        exact_any += bool((hs.gi_star_weights(y, w, exact=True).classify(0.05) != 0).any())
        analytic_any += bool((hs.gi_star_weights(y, w).classify(0.05) != 0).any())
    assert stats.binomtest(exact_any, worlds, 0.05, alternative="greater").pvalue > 0.01
    assert analytic_any >= worlds // 2


def test_analytic_and_exact_agree_on_a_lattice_with_a_known_hot_spot():
    rng = np.random.default_rng(8)
    grid = _lattice(30)
    centres = grid.geometry.centroid
    dist = np.hypot(centres.x - 20_500, centres.y - 9_500)
    lam = 6.0 + 14.0 * (dist < 2500)
    y = rng.poisson(lam)
    w = hs.distance_band_weights(grid, 1500.0)
    exact = hs.gi_star_weights(y, w, exact=True)
    analytic = hs.gi_star_weights(y, w)
    hot_e, hot_a = exact.classify(0.05) == 1, analytic.classify(0.05) == 1
    assert hot_e[dist < 1000].all() and hot_a[dist < 1000].all()
    assert not hot_e[dist > 6000].any() and not hot_a[dist > 6000].any()
    assert (hot_e & hot_a).sum() / (hot_e | hot_a).sum() >= 0.8
    # the exact conditional p holds y_i fixed, the analytic one also weighs y_i's own deviation
    # (gi_star_weights): close, not equal
    rho = stats.spearmanr(np.log(exact.p), np.log(analytic.p)).statistic
    assert rho > 0.8


def _share_widths(hot: np.ndarray, grid: gpd.GeoDataFrame, seed: int) -> tuple[float, float]:
    share = hs.hot_share(hot, hs.grid_blocks(grid, 4), seed=seed, resamples=999)
    assert share.block_bootstrap is not None
    assert share.ci[0] <= share.block_bootstrap[0] and share.ci[1] >= share.block_bootstrap[1]
    assert share.ci[0] <= share.clopper_pearson[0] and share.ci[1] >= share.clopper_pearson[1]
    return share.block_bootstrap[1] - share.block_bootstrap[0], share.clopper_pearson[1] - share.clopper_pearson[0]


def test_block_bootstrap_share_is_wider_than_clopper_pearson_on_a_clumped_field():
    from scipy import ndimage

    rng = np.random.default_rng(4)
    grid = _lattice(40)
    field = ndimage.gaussian_filter(rng.normal(size=(40, 40)), 3.0)  # autocorrelated over ~ 3 cells
    values = field[grid["row"].to_numpy(), grid["col"].to_numpy()]
    clumped = values > np.quantile(values, 0.9)
    block, cp = _share_widths(clumped, grid, seed=1)
    assert block > 1.5 * cp
    # independent cells: the block bootstrap is about as wide as Clopper–Pearson, not wider by design
    scattered = rng.random(len(grid)) < 0.1
    block, cp = _share_widths(scattered, grid, seed=1)
    assert 0.6 * cp < block < 1.4 * cp


def test_hot_share_same_seed_same_interval():
    rng = np.random.default_rng(6)
    grid = _lattice(20)
    hot = rng.random(len(grid)) < 0.2
    blocks = hs.grid_blocks(grid, 4)
    one, two = (hs.hot_share(hot, blocks, seed=np.random.default_rng(5)) for _ in range(2))
    other = hs.hot_share(hot, blocks, seed=np.random.default_rng(6))
    assert one.block_bootstrap == two.block_bootstrap and one.ci == two.ci
    assert other.block_bootstrap != one.block_bootstrap


def test_hot_share_without_hot_cells_counts_blocks_as_units():
    grid = _lattice(12)
    share = hs.hot_share(np.zeros(len(grid), bool), hs.grid_blocks(grid, 3), seed=0)
    assert share.share == 0 and share.block_bootstrap is None and share.blocks == 16
    assert share.ci == pytest.approx((0.0, 1 - 0.025 ** (1 / 16)))
    assert hs.block_side(5000.0, 15000.0) == 6 and hs.block_side(25000.0, 50000.0) == 4


def _shift_world(rng: np.random.Generator, effect: bool, years: int = 12, per_year: int = 60):
    """Records on a 20 x 20 lattice over ``years`` years; ``values`` rise from west to east.  With an
    effect, the records of the later half sit in a cluster in the east, else both halves share one
    clustered distribution."""
    grid = _lattice(20)
    year = np.repeat(np.arange(years), per_year)
    after = year >= years // 2
    centre_before = np.array([6_000.0, 10_000.0])
    centre_after = np.array([14_000.0, 10_000.0]) if effect else centre_before
    xy = np.where(after[:, None], centre_after, centre_before) + rng.normal(0, 2500, (year.size, 2))
    # a year's records share a small offset (one year's search effort)
    xy += rng.normal(0, 1500, (years, 2))[year]
    xy = np.clip(xy, 1, 19_999)
    idx = hs.cell_index(grid, _points(xy))
    values = grid.geometry.centroid.x.to_numpy() / 1000.0
    return idx, after, values, hs.distance_band_weights(grid, 1500.0), year.astype(str)


def test_hot_spot_shift_finds_a_planted_move_and_is_reproducible():
    rng = np.random.default_rng(2)
    idx, after, values, w, blocks = _shift_world(rng, effect=True)
    one = hs.hot_spot_shift(idx, after, values, w, blocks, seed=9, permutations=199, resamples=199)
    two = hs.hot_spot_shift(idx, after, values, w, blocks, seed=9, permutations=199, resamples=199)
    assert (one.estimate, one.ci, one.p_value, one.permutations) == (
        two.estimate,
        two.ci,
        two.p_value,
        two.permutations,
    )
    assert one.estimate > 4 and one.ci[0] > 0
    # 12 year blocks, 6 after: C(12, 6) = 924 assignments > 199, so Monte Carlo; none as extreme ->
    # more permutations, then the normal tail: never the floor 1 / (permutations + 1)
    assert one.p_value < 0.01
    assert all(one.p_value != pytest.approx(1 / (n + 1), rel=1e-9) for n in (199, 1990, 3980))
    assert one.p_method in {"normal tail", "monte carlo"} and one.blocks == (6, 6)
    other = hs.hot_spot_shift(idx, after, values, w, blocks, seed=10, permutations=199, resamples=199)
    assert other.ci != one.ci


def test_hot_spot_shift_is_exact_when_the_blocks_are_few():
    """Four year blocks, two after: the six assignments enumerated by hand."""
    import itertools

    rng = np.random.default_rng(5)
    idx, after, values, w, blocks = _shift_world(rng, effect=False, years=4, per_year=50)
    res = hs.hot_spot_shift(idx, after, values, w, blocks, seed=1, permutations=999, resamples=99)
    stats_ = []
    m = values.size
    for chosen in itertools.combinations(["0", "1", "2", "3"], 2):
        side = np.isin(blocks, chosen)
        means = [hs.hot_spot_mean(np.bincount(idx[s], minlength=m), w, values)[0] for s in (side, ~side)]
        stats_.append(means[0] - means[1])
    observed = stats_[-1]  # blocks "2", "3" are after
    assert res.estimate == pytest.approx(observed)
    assert res.p_method == "exact" and res.permutations == 6
    assert res.p_value == pytest.approx(np.mean(np.abs(stats_) >= abs(observed) * (1 - 1e-12)))


@pytest.mark.slow
def test_hot_spot_shift_holds_its_size_on_null_worlds():
    """No move: the year-block permutation test rejects at 5 % in about 5 % of worlds."""
    rng = np.random.default_rng(11)
    rejections = 0
    worlds = 100
    for _ in range(worlds):
        idx, after, values, w, blocks = _shift_world(rng, effect=False)
        res = hs.hot_spot_shift(idx, after, values, w, blocks, seed=rng, permutations=199, resamples=9)
        rejections += res.p_value <= 0.05
    assert stats.binomtest(rejections, worlds, 0.05).pvalue > 0.01 and rejections <= 12


def test_hot_spot_shift_checks_blocks():
    rng = np.random.default_rng(2)
    idx, after, values, w, blocks = _shift_world(rng, effect=False)
    with pytest.raises(InputError, match="both sides"):
        hs.hot_spot_shift(idx, after, values, w, np.zeros(after.size, int), seed=1, permutations=9, resamples=9)


def _floors(m: int, permutations: tuple[int, ...] = (99, 199, 999, 9999)) -> np.ndarray:
    """Every p-value a permutation floor can produce: 1/(N+1) and its BH transforms m/(j (N+1))."""
    j = np.arange(1, m + 1)
    floors = np.unique(np.concatenate([m / (j * (n + 1.0)) for n in permutations]))
    return floors[floors < 0.5]  # a p-value near 1 is no floor


def _at_floor(values: np.ndarray, floors: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    pos = np.clip(np.searchsorted(floors, v), 1, floors.size - 1)
    nearest = np.minimum(np.abs(floors[pos] - v), np.abs(floors[pos - 1] - v))
    return nearest <= 1e-9 * v


def test_real_h5_no_reported_p_sits_at_a_permutation_floor(data_dir):
    """Arizona: the per-period Gi* p- and q-values of every cell, and the headline's p-value, are
    exact or sequential, never 1/(permutations + 1) nor its BH transform (issue 17: 0.0334 = 6.213/186)."""
    from borderscape.analyses.battery.common import hotspot_grid, records, split_date
    from borderscape.analyses.battery.h5_hotspots import _cell_slope, _year_blocks, period_hot_spots
    from borderscape.analyses.inputs import StudyInputs
    from borderscape.analyses.study import load_study, working_crs
    from borderscape.layers.ingest import ingest

    study = load_study("arizona-sonora")
    layers = {role: ingest(study.layers[role], data_dir=data_dir) for role in ("deaths", "environment")}
    inputs = StudyInputs(layers=layers, missing={})
    located, _ = records(study, inputs.get("deaths"))
    points = gpd.GeoDataFrame(
        {"date": located["date"]}, geometry=located.geometry.values, crs=located.crs, index=located.index
    ).to_crs(working_crs(study))
    cell, band = hotspot_grid(study, points)
    grid = hs.square_grid(points, cell)
    outcomes, cells = period_hot_spots(study, points, grid, band, "H5", str, np.random.default_rng(1), permutations=999)
    floors = _floors(len(grid))
    assert len(outcomes) >= 5 and all(o.status == "ran" and o.role == "descriptive" for o in outcomes)
    assert all(o.p_value is None for o in outcomes)
    for o, table in zip(outcomes, cells):
        assert not _at_floor(table["gi_p"], floors).any() and not _at_floor(table["gi_q"], floors).any()
        assert o.estimate == pytest.approx((table["hot"] == 1).mean())
        # the block bootstrap interval is wider than the cells' Clopper–Pearson interval on real clumps
        boot, cp = o.parameters["block_bootstrap_ci"], o.parameters["clopper_pearson_ci"]
        assert boot[1] - boot[0] > 2 * (cp[1] - cp[0])
    slopes, _ = _cell_slope(study, inputs, grid)
    after = (points["date"] >= pd.Timestamp(split_date(study))).to_numpy()
    shift = hs.hot_spot_shift(
        hs.cell_index(grid, points),
        after,
        slopes.to_numpy(),
        hs.distance_band_weights(grid, band),
        _year_blocks(points["date"], after),
        seed=2,
        permutations=999,
        resamples=99,
    )
    assert shift.blocks == (7, 19) and not _at_floor([shift.p_value], _floors(1)).any()
    assert shift.ci[0] < shift.estimate < shift.ci[1]


@pytest.mark.slow  # ingests the IOM records and GSHHG shorelines and runs M5 with its variants (~1 min)
def test_real_m5_shift_and_periods_have_no_floor(data_dir):
    from borderscape.analyses.battery.m5_hotspots import m5_hotspots
    from borderscape.analyses.inputs import StudyInputs
    from borderscape.analyses.study import load_study
    from borderscape.layers.ingest import ingest

    study = load_study("central-med")
    layers = {role: ingest(study.layers[role], data_dir=data_dir) for role in ("deaths", "coastline")}
    section = m5_hotspots(study, StudyInputs(layers=layers, missing={}), np.random.default_rng(3))
    by_id = {o.id: o for o in section.outcomes}
    shift = by_id["M5"]
    assert shift.status == "ran" and shift.parameters["months_before"] == shift.parameters["months_after"] == 24
    assert shift.ci[0] <= shift.estimate <= shift.ci[1]
    assert not _at_floor([shift.p_value], _floors(1)).any()
    assert len(shift.sensitivity) == 5 and shift.composition
    periods = [o for o in section.outcomes if o.id != "M5"]
    assert len(periods) >= 5 and all(o.role == "descriptive" and o.p_value is None for o in periods)
    cells = section.tables["m5_cells"]
    floors = _floors(int((cells["period"] == cells["period"].iloc[0]).sum()))
    assert not _at_floor(cells["gi_p"], floors).any() and not _at_floor(cells["gi_q"], floors).any()
