"""Tests of borderscape.analyses.stats.pointpattern against pointpats, scipy, shapely, statsmodels
and closed forms."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from scipy.spatial import cKDTree
from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon, box

from borderscape.analyses.results import StatResult
from borderscape.analyses.stats import pointpattern as pp
from borderscape.geo.errors import CRSError, InputError
from borderscape.geo.raster import Raster

SQUARE = box(0.0, 0.0, 1000.0, 1000.0)
# an irregular window with a hole: exercises the polygon paths of every correction
POLY = Polygon(
    [(0, 0), (1000, 0), (1000, 600), (400, 1000), (0, 800)], holes=[[(600, 200), (750, 200), (750, 350), (600, 350)]]
)
MULTI = MultiPolygon([box(0, 0, 400, 1000), box(500, 0, 1000, 600)])


def uniform(window, n, seed):
    return pp._uniform(pp._Window.of(window), n, np.random.default_rng(seed))


def thomas(window, kappa, mu, sigma, rng):
    """Thomas process: Poisson(kappa) parents in the window dilated by 5 sigma, Poisson(mu)
    children each, N(0, sigma^2 I) displacements; returns (children, parents) inside the window."""
    x0, y0, x1, y1 = window.buffer(5 * sigma).bounds
    n_par = rng.poisson(kappa * (x1 - x0) * (y1 - y0))
    par = rng.random((n_par, 2)) * (x1 - x0, y1 - y0) + (x0, y0)
    kids = np.repeat(par, rng.poisson(mu, n_par), axis=0)
    kids = kids + rng.normal(0, sigma, kids.shape)
    inside = lambda p: p[shapely.intersects_xy(window, p[:, 0], p[:, 1])]  # noqa: E731
    return inside(kids), inside(par)


# ---------------------------------------------------------------------------------------
# references
# ---------------------------------------------------------------------------------------
def test_k_none_equals_pointpats():
    """pointpats.k: K = 2 #{pairs d < r} / (n * lambda) with lambda = n / |bbox of the points|.
    On a window W, pointpats' intensity is PointPattern(points, window=Window).lambda_window
    = n / |W|.  Ours divides by n (n - 1) / |W|, so K_pp(W) = K_ours * (n - 1) / n exactly."""
    from pointpats import PointPattern, Window
    from pointpats import k as pp_k

    pts = uniform(POLY, 300, 11)
    radii = np.linspace(0, 300, 31)
    sup, k_bbox = pp_k(pts, support=radii)
    n = len(pts)
    x0, y0, x1, y1 = pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()
    lambda_bbox = n / ((x1 - x0) * (y1 - y0))
    pp_window = Window([list(POLY.exterior.coords)], [list(r.coords) for r in POLY.interiors])
    for window, lam in ((box(x0, y0, x1, y1), lambda_bbox), (POLY, PointPattern(pts, window=pp_window).lambda_window)):
        k_ref = k_bbox * lambda_bbox / lam  # pointpats' K with its intensity on this window
        ours = pp.k_function(pts, window=window, radii=radii, correction="none")
        np.testing.assert_array_equal(sup, ours.radii)
        np.testing.assert_allclose(ours.k * (n - 1) / n, k_ref, rtol=1e-9, atol=0)
    assert k_bbox[-1] > 0


def test_g_none_equals_pointpats():
    from pointpats import g as pp_g

    pts = uniform(SQUARE, 250, 5)
    d_max = cKDTree(pts).query(pts, k=2)[0][:, 1].max()
    radii = np.linspace(0, d_max * 1.01, 40)
    _, g_ref = pp_g(pts, support=radii)
    ours = pp.g_function(pts, window=SQUARE, radii=radii, correction="none")
    np.testing.assert_allclose(ours.g, g_ref, rtol=1e-12, atol=1e-12)


def ref_cross_k(a, b, window, radii, weight):
    """Independent reference: all pairs from cKDTree.sparse_distance_matrix, weights by a
    per-pair function, cumulative sums in numpy."""
    m = cKDTree(a).sparse_distance_matrix(cKDTree(b), radii[-1], output_type="ndarray")
    i, j, d = m["i"], m["j"], m["v"]
    w = np.array([weight(a[ii], b[jj]) for ii, jj in zip(i, j)])
    s = np.array([w[d <= r].sum() for r in radii])
    return window.area * s / (len(a) * len(b))


def test_translation_rectangle_matches_reference():
    a, b = uniform(SQUARE, 400, 1), uniform(SQUARE, 60, 2)
    radii = np.linspace(10, 250, 13)
    ref = ref_cross_k(a, b, SQUARE, radii, lambda p, q: 1e6 / ((1000 - abs(q[0] - p[0])) * (1000 - abs(q[1] - p[1]))))
    ours = pp.cross_k(a, b, window=SQUARE, radii=radii, correction="translation")
    np.testing.assert_allclose(ours.k, ref, rtol=1e-12)


def test_translation_polygon_matches_exact_intersections():
    """Grid interpolation of the set covariance against exact shapely intersection areas."""
    a, b = uniform(POLY, 100, 3), uniform(POLY, 30, 4)
    radii = np.linspace(20, 250, 8)

    def weight(p, q):
        moved = affinity.translate(POLY, q[0] - p[0], q[1] - p[1])
        return POLY.area / POLY.intersection(moved).area

    ref = ref_cross_k(a, b, POLY, radii, weight)
    ours = pp.cross_k(a, b, window=POLY, radii=radii, correction="translation")
    np.testing.assert_allclose(ours.k, ref, rtol=5e-4)  # documented interpolation error


def circle_fraction_sampled(window, c, r, m=20000):
    t = (np.arange(m) + 0.5) * 2 * np.pi / m
    return shapely.intersects_xy(window, c[0] + r * np.cos(t), c[1] + r * np.sin(t)).mean()


@pytest.mark.parametrize("window", [SQUARE, POLY, MULTI], ids=["square", "polygon-with-hole", "multipolygon"])
def test_isotropic_matches_sampled_circumference(window):
    a, b = uniform(window, 60, 6), uniform(window, 25, 7)
    radii = np.linspace(20, 300, 8)
    ref = ref_cross_k(a, b, window, radii, lambda p, q: 1.0 / circle_fraction_sampled(window, p, np.hypot(*(q - p))))
    ours = pp.cross_k(a, b, window=window, radii=radii, correction="isotropic")
    np.testing.assert_allclose(ours.k, ref, rtol=2e-3)


def test_border_matches_brute_force():
    a, b = uniform(POLY, 200, 8), uniform(POLY, 50, 9)
    radii = np.linspace(10, 200, 9)
    d = np.hypot(*(a[:, None, :] - b[None, :, :]).transpose(2, 0, 1))
    bd = shapely.distance(shapely.points(a), POLY.boundary)
    ref = [POLY.area / len(b) * (d[bd >= r] <= r).sum() / (bd >= r).sum() for r in radii]
    ours = pp.cross_k(a, b, window=POLY, radii=radii, correction="border")
    np.testing.assert_allclose(ours.k, ref, rtol=1e-12)
    # univariate: j != i and n - 1 in the denominator
    du = np.hypot(*(a[:, None, :] - a[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(du, np.inf)
    bd = shapely.distance(shapely.points(a), POLY.boundary)
    ref_u = [POLY.area / (len(a) - 1) * (du[bd >= r] <= r).sum() / (bd >= r).sum() for r in radii]
    np.testing.assert_allclose(pp.k_function(a, window=POLY, radii=radii, correction="border").k, ref_u, rtol=1e-12)


@pytest.mark.parametrize("correction", ["none", "isotropic", "translation"])
def test_univariate_is_cross_without_self_pairs(correction):
    """cross_k(a, a) also counts the n self pairs (d = 0, weight 1):
    n^2 K_aa = n (n - 1) K + n |W|.  (Border: checked by brute force above.)"""
    a = uniform(POLY, 120, 10)
    radii = np.linspace(5, 200, 10)
    uni = pp.k_function(a, window=POLY, radii=radii, correction=correction).k
    cross = pp.cross_k(a, a, window=POLY, radii=radii, correction=correction).k
    n = len(a)
    np.testing.assert_allclose(cross * n * n, uni * n * (n - 1) + n * POLY.area, rtol=1e-10)


def test_g_border_and_km_match_references():
    from statsmodels.duration.survfunc import SurvfuncRight

    a = uniform(POLY, 300, 12)
    b = uniform(POLY, 80, 13)
    radii = np.linspace(0, 120, 25)
    d = cKDTree(b).query(a)[0]
    bd = shapely.distance(shapely.points(a), POLY.boundary)
    rs = [((d <= r) & (bd >= r)).sum() / (bd >= r).sum() for r in radii]
    np.testing.assert_allclose(pp.cross_g(a, b, window=POLY, radii=radii, correction="border").g, rs, rtol=1e-12)
    sf = SurvfuncRight(np.minimum(d, bd), (d <= bd).astype(int))
    idx = np.searchsorted(sf.surv_times, radii, side="right") - 1
    km = np.where(idx >= 0, 1 - sf.surv_prob[np.maximum(idx, 0)], 0.0)
    np.testing.assert_allclose(pp.cross_g(a, b, window=POLY, radii=radii, correction="km").g, km, rtol=1e-10)


# ---------------------------------------------------------------------------------------
# closed forms on simulated data
# ---------------------------------------------------------------------------------------
def sim_mean_se(fn, n_rep):
    vals = np.array([fn(s) for s in range(n_rep)])
    return vals.mean(axis=0), vals.std(axis=0, ddof=1) / np.sqrt(n_rep)


# The tolerance: each mean over n_rep independent simulations has standard error
# se = sd / sqrt(n_rep); 4 se bounds the chance deviation at any r (two-sided normal
# probability 6e-5), so a deterministic pass is not a lucky one, and a biased estimator
# (as "none", below) is caught.
@pytest.mark.parametrize("window", [SQUARE, POLY, MULTI], ids=["square", "polygon-with-hole", "multipolygon"])
@pytest.mark.parametrize("correction", ["translation", "isotropic"])
def test_csr_mean_k_is_pi_r2(window, correction):
    radii = np.array([25.0, 50, 100, 150, 200, 250])
    mean, se = sim_mean_se(
        lambda s: pp.k_function(uniform(window, 150, 1000 + s), window=window, radii=radii, correction=correction).k,
        200,
    )
    assert np.all(np.abs(mean - np.pi * radii**2) < 4 * se)
    assert np.all(se < 0.05 * np.pi * radii**2)  # precise enough to mean something


def test_csr_mean_k_without_correction_is_biased():
    radii = np.array([100.0, 200, 250])
    mean, se = sim_mean_se(
        lambda s: pp.k_function(uniform(POLY, 150, 2000 + s), window=POLY, radii=radii, correction="none").k, 100
    )
    assert np.all(mean < np.pi * radii**2 - 4 * se)


@pytest.mark.parametrize("correction", ["translation", "isotropic", "border"])
def test_cross_k_independent_patterns_is_pi_r2(correction):
    radii = np.array([25.0, 75, 150, 250])
    mean, se = sim_mean_se(
        lambda s: (
            pp.cross_k(
                uniform(POLY, 120, 3000 + s),
                uniform(POLY, 40, 5000 + s),
                window=POLY,
                radii=radii,
                correction=correction,
            ).k
        ),
        200,
    )
    assert np.all(np.abs(mean - np.pi * radii**2) < 4 * se)


@pytest.mark.parametrize("correction", ["border", "km"])
def test_g_under_csr(correction):
    """Binomial pattern, interior point: G(r) = 1 - (1 - pi r^2 / |W|)^(n - 1)."""
    radii = np.array([10.0, 20, 30, 45])
    n = 300
    mean, se = sim_mean_se(
        lambda s: pp.g_function(uniform(SQUARE, n, 6000 + s), window=SQUARE, radii=radii, correction=correction).g, 200
    )
    theory = 1 - (1 - np.pi * radii**2 / SQUARE.area) ** (n - 1)
    assert np.all(np.abs(mean - theory) < 4 * se)


def test_thomas_process_k():
    """Thomas process: K(r) = pi r^2 + (1 - exp(-r^2 / (4 sigma^2))) / kappa."""
    kappa, mu, sigma = 25e-6, 8, 30.0
    radii = np.array([20.0, 50, 100, 150, 200])
    rng = np.random.default_rng(77)
    mean, se = sim_mean_se(
        lambda s: pp.k_function(thomas(SQUARE, kappa, mu, sigma, rng)[0], window=SQUARE, radii=radii).k, 100
    )
    theory = np.pi * radii**2 + (1 - np.exp(-(radii**2) / (4 * sigma**2))) / kappa
    assert np.all(np.abs(mean - theory) < 4 * se)
    assert np.all(theory - np.pi * radii**2 > 8 * se)  # clustering is far from CSR at this precision


def test_cross_k_children_around_parents():
    """Children displaced N(0, sigma^2 I) from Poisson(lambda_b) parents: cross-K of children
    against parents is pi r^2 + (1 - exp(-r^2 / (2 sigma^2))) / lambda_b."""
    kappa, mu, sigma = 40e-6, 6, 25.0
    radii = np.array([15.0, 40, 80, 150])
    rng = np.random.default_rng(78)

    def one(_):
        kids, par = thomas(POLY, kappa, mu, sigma, rng)
        return pp.cross_k(kids, par, window=POLY, radii=radii).k

    mean, se = sim_mean_se(one, 150)
    theory = np.pi * radii**2 + (1 - np.exp(-(radii**2) / (2 * sigma**2))) / kappa
    assert np.all(np.abs(mean - theory) < 4 * se)


# ---------------------------------------------------------------------------------------
# null models, envelopes, seeds
# ---------------------------------------------------------------------------------------
class _Threads:
    """An executor (:class:`borderscape.geo.parallel.Executor`'s ``map``) that runs the items on two threads."""

    workers = 2

    def map(self, func, items, **shared):
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return list(pool.map(lambda item: func(item, **shared), items))


def test_same_seed_same_numbers_different_seed_differs():
    a, b = uniform(POLY, 150, 20), uniform(POLY, 30, 21)
    kw = dict(window=POLY, radii=np.linspace(10, 200, 10), n_sim=39)
    e1 = pp.envelope(a, b, seed=5, **kw)
    e2 = pp.envelope(a, b, seed=5, **kw)
    e3 = pp.envelope(a, b, seed=6, **kw)
    e4 = pp.envelope(a, b, seed=np.random.default_rng(5), executor=_Threads(), **kw)
    np.testing.assert_array_equal(e1.simulated, e2.simulated)
    assert e1.summary() == e2.summary()
    np.testing.assert_array_equal(e1.simulated, e4.simulated)  # a generator, threads: the same numbers
    assert not np.array_equal(e1.simulated, e3.simulated)
    np.testing.assert_array_equal(e1.observed, e3.observed)


def test_envelope_detects_planted_clustering_and_repulsion():
    rng = np.random.default_rng(30)
    sensors = uniform(SQUARE, 25, 31)
    near = sensors[rng.integers(0, 25, 60)] + rng.normal(0, 20, (60, 2))
    near = near[shapely.intersects_xy(SQUARE, near[:, 0], near[:, 1])]
    clustered = np.vstack([uniform(SQUARE, 140, 32), near])
    kw = dict(window=SQUARE, radii=np.linspace(10, 150, 15), n_sim=199)
    e = pp.envelope(clustered, sensors, seed=1, alternative="greater", **kw)
    assert e.p_value <= 0.01 and np.any(e.observed > e.high)
    cand = uniform(SQUARE, 2000, 33)
    far = cand[cKDTree(sensors).query(cand)[0] > 80][:200]
    e = pp.envelope(far, sensors, seed=2, alternative="less", **kw)
    assert e.p_value <= 0.01 and np.any(e.observed < e.low)
    # null data: a true null is rejected at 5 % by design (the rate is checked by the
    # calibration), so only a far smaller p-value would be a failure here
    e = pp.envelope(uniform(SQUARE, 200, 34), sensors, seed=3, **kw)
    assert e.p_value > 0.01


def test_global_envelope_agrees_with_p_value_and_pointwise_band():
    a = uniform(POLY, 120, 40)
    kw = dict(window=POLY, radii=np.linspace(10, 200, 12), n_sim=99, seed=4)
    g = pp.envelope(a, **kw)
    p = pp.envelope(a, kind="pointwise", **kw)
    np.testing.assert_array_equal(g.simulated, p.simulated)
    assert g.p_value == p.p_value
    srt = np.sort(p.simulated, axis=0)
    np.testing.assert_array_equal(p.low, srt[1])  # k = floor(0.025 * 100) = 2nd smallest
    np.testing.assert_array_equal(p.high, srt[-2])
    t = np.abs(g.simulated - g.centre).max(axis=1)
    assert np.allclose(g.high - g.centre, np.sort(t)[-5])  # k = floor(0.05 * 100) = 5th largest
    outside = np.any((g.observed < g.low) | (g.observed > g.high))
    assert outside == (g.p_value <= 0.05)
    expected_p = (1 + np.sum(t >= g.t_observed)) / 100
    assert g.p_value == expected_p


def test_l_is_sqrt_k_over_pi():
    a, b = uniform(POLY, 80, 52), uniform(POLY, 20, 53)
    radii = np.linspace(10, 200, 8)
    k = pp.k_function(a, window=POLY, radii=radii)
    np.testing.assert_array_equal(pp.l_function(a, window=POLY, radii=radii).l, np.sqrt(k.k / np.pi))
    np.testing.assert_array_equal(k.l, np.sqrt(k.k / np.pi))
    kc = pp.cross_k(a, b, window=POLY, radii=radii)
    lc = pp.cross_l(a, b, window=POLY, radii=radii)
    np.testing.assert_array_equal(lc.l, np.sqrt(kc.k / np.pi))
    assert (lc.n, lc.n_b) == (80, 20)


def test_one_sided_envelope():
    a, b = uniform(SQUARE, 100, 54), uniform(SQUARE, 30, 55)
    kw = dict(window=SQUARE, radii=np.linspace(20, 200, 10), n_sim=99, seed=7)
    g = pp.envelope(a, b, alternative="greater", **kw)
    assert np.all(np.isneginf(g.low)) and np.all(np.isfinite(g.high))
    t = (g.simulated - g.centre).max(axis=1)
    assert g.p_value == (1 + np.sum(t >= (g.observed - g.centre).max())) / 100
    s = pp.envelope(a, b, alternative="less", kind="pointwise", **kw)
    assert np.all(np.isposinf(s.high))
    np.testing.assert_array_equal(s.low, np.sort(s.simulated, axis=0)[4])  # k = floor(0.05 * 100)


def test_summary_is_a_stat_result():
    a, b = uniform(SQUARE, 100, 50), uniform(SQUARE, 30, 51)
    e = pp.envelope(a, b, window=SQUARE, radii=[50.0, 100.0, 150.0], n_sim=99, seed=9)
    s = e.summary(r=100.0)
    assert isinstance(s, StatResult)
    assert s.estimate == pytest.approx(e.observed[1] - e.centre[1])
    assert s.ci[0] < 0 < s.ci[1] and s.n == 100 and s.parameters["n_b"] == 30
    dev = np.abs(e.simulated[:, 1] - e.centre[1])
    assert s.p_value == (1 + np.sum(dev >= abs(s.estimate))) / 100
    assert e.summary().p_value == e.p_value
    with pytest.raises(InputError):
        e.summary(r=75.0)


def test_g_statistic_envelope_runs_with_border_correction():
    a, b = uniform(SQUARE, 80, 60), uniform(SQUARE, 20, 61)
    e = pp.envelope(a, b, window=SQUARE, radii=np.linspace(5, 150, 10), statistic="G", n_sim=39, seed=1)
    assert e.statistic == "cross-G" and e.correction == "border"
    assert np.all((e.simulated >= 0) & (e.simulated <= 1))


def test_random_labelling_and_toroidal_shift():
    a, b = uniform(SQUARE, 50, 70), uniform(SQUARE, 20, 71)
    win = pp._Window.of(SQUARE)
    gen = np.random.default_rng(0)
    a2, b2 = pp.RandomLabelling().prepare(a, b, win)(gen)
    assert len(a2) == 50 and len(b2) == 20
    pooled = np.sort(np.vstack([a, b]), axis=0)
    np.testing.assert_array_equal(np.sort(np.vstack([a2, b2]), axis=0), pooled)
    a3, b3 = pp.ToroidalShift().prepare(a, b, win)(gen)
    assert b3 is b and np.all((a3 >= 0) & (a3 < 1000))
    shift = np.mod(a3 - a, 1000)  # one common shift modulo the sides
    np.testing.assert_allclose(shift - shift[0], np.zeros_like(shift), atol=1e-9)
    with pytest.raises(InputError, match="rectangular"):
        pp.ToroidalShift().prepare(a, b, pp._Window.of(POLY))
    with pytest.raises(InputError):
        pp.RandomLabelling().prepare(a, None, win)


def test_inhomogeneous_null_follows_intensity():
    """Left half of the window 3 times as intense as the right: 3/4 of the points fall left."""
    arr = np.ones((10, 10))
    arr[:, :5] = 3.0
    ras = Raster(arr, Affine(100.0, 0, 0, 0, -100.0, 1000.0), "EPSG:32612")
    a = uniform(POLY, 4000, 80)
    for null in (pp.Inhomogeneous(ras), pp.Inhomogeneous(lambda x, y: np.where(x < 500, 3.0, 1.0), resolution=50.0)):
        sim, _ = null.prepare(a, None, pp._Window.of(POLY))(np.random.default_rng(1))
        assert len(sim) == 4000 and shapely.intersects_xy(POLY, sim[:, 0], sim[:, 1]).all()
        left_area = POLY.intersection(box(0, 0, 500, 1000)).area
        p = 3 * left_area / (3 * left_area + (POLY.area - left_area))
        assert abs(np.mean(sim[:, 0] < 500) - p) < 4 * np.sqrt(p * (1 - p) / 4000)
    ga = gpd.GeoSeries(gpd.points_from_xy(a[:50, 0], a[:50, 1]), crs="EPSG:32611")
    with pytest.raises(CRSError, match="raster"):
        pp.envelope(ga, window=POLY, radii=[50.0], null=pp.Inhomogeneous(ras), n_sim=19, seed=1)


# ---------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------
def test_geoseries_inputs_and_crs_errors():
    a, b = uniform(SQUARE, 50, 90), uniform(SQUARE, 20, 91)
    ga = gpd.GeoSeries(gpd.points_from_xy(a[:, 0], a[:, 1]), crs="EPSG:32612")
    gb = gpd.GeoDataFrame(geometry=gpd.points_from_xy(b[:, 0], b[:, 1]), crs="EPSG:32612")
    radii = [50.0, 100.0]
    np.testing.assert_array_equal(
        pp.cross_k(ga, gb, window=SQUARE, radii=radii).k, pp.cross_k(a, b, window=SQUARE, radii=radii).k
    )
    with pytest.raises(CRSError):
        pp.cross_k(ga.set_crs(None, allow_override=True), b, window=SQUARE, radii=radii)
    with pytest.raises(CRSError):
        pp.cross_k(ga.set_crs("EPSG:4326", allow_override=True), b, window=SQUARE, radii=radii)
    with pytest.raises(CRSError):
        pp.cross_k(ga, gb.to_crs("EPSG:32611"), window=SQUARE, radii=radii)
    halves = gpd.GeoSeries([box(0, 0, 500, 1000), box(500, 0, 1000, 1000)], crs="EPSG:32612")
    np.testing.assert_allclose(
        pp.cross_k(ga, gb, window=halves, radii=radii).k, pp.cross_k(a, b, window=SQUARE, radii=radii).k, rtol=1e-12
    )
    with pytest.raises(CRSError):
        pp.cross_k(ga, gb, window=halves.to_crs("EPSG:32611"), radii=radii)


def test_bad_inputs_raise_typed_errors():
    a = uniform(SQUARE, 30, 92)
    with pytest.raises(InputError, match="outside the window"):
        pp.k_function(a + 2000, window=SQUARE, radii=[10.0])
    with pytest.raises(InputError, match="radii"):
        pp.k_function(a, window=SQUARE, radii=[20.0, 10.0])
    with pytest.raises(InputError, match="correction"):
        pp.k_function(a, window=SQUARE, radii=[10.0], correction="km")
    with pytest.raises(InputError, match="seed"):
        pp.envelope(a, window=SQUARE, radii=[10.0], n_sim=19)
    with pytest.raises(InputError, match="n_sim"):
        pp.envelope(a, window=SQUARE, radii=[10.0], n_sim=10, seed=1)
    with pytest.raises(InputError, match="Polygon"):
        pp.k_function(a, window=shapely.Point(0, 0), radii=[10.0])


def test_inputs_are_not_modified_and_results_are_frozen():
    a = uniform(SQUARE, 40, 93)
    before = a.copy()
    res = pp.k_function(a, window=SQUARE, radii=[10.0, 50.0])
    np.testing.assert_array_equal(a, before)
    with pytest.raises(ValueError):
        res.k[0] = 1.0
    with pytest.raises(AttributeError):
        res.correction = "none"  # type: ignore[misc]


# ---------------------------------------------------------------------------------------
# calibration (slow): the full numbers come from benchmarks/calibrate_pointpattern.py
# ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_calibration_null_rejection_near_five_percent():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "calibrate_pointpattern.py"
    spec = importlib.util.spec_from_file_location("calibrate_pointpattern", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for test in ("cross-K, CSR null", "L, CSR null"):
        rate = mod.rejection_rate(test, n_datasets=500, n_sim=99, seed=2026)
        assert abs(rate - 0.05) <= 0.02, (test, rate)
