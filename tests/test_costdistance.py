"""Accumulated cost, paths and corridors: closed forms and an independent graph search (scipy)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from borderscape.geo.costdistance import accumulated_cost, corridor, least_cost_paths, source_cells
from borderscape.geo.costmodels import get_model
from borderscape.geo.errors import CRSError, InputError, RasterError
from borderscape.geo.raster import Raster
from borderscape.geo.synthetic import fractal_dem

CRS = "EPSG:32612"
RES = 30.0
# worst-case overestimate of a chamfer distance against the Euclidean one
BOUND_8 = np.sqrt(4.0 - 2.0 * np.sqrt(2.0))  # 1.0824, at 22.5°
BOUND_16 = np.sqrt(1.0 + (np.sqrt(5.0) - 2.0) ** 2)  # 1.0275, at atan(√5 − 2) = 13.3°


def grid(z: np.ndarray, res: float = RES) -> Raster:
    return Raster(np.asarray(z, dtype=np.float32), Affine(res, 0, 500_000.0, 0, -res, 3_600_000.0), CRS)


def point_at(r: Raster, row: int, col: int) -> gpd.GeoSeries:
    x, y = r.xy(row, col)
    return gpd.GeoSeries([shapely.Point(float(x), float(y))], crs=CRS)


@pytest.mark.parametrize("neighbours,bound", [(8, BOUND_8), (16, BOUND_16)])
@pytest.mark.parametrize("model", ["tobler", "pandolf", "naismith", "irmischer", "rwalk"])
def test_flat_plane_gives_distance_times_flat_rate(model, neighbours, bound):
    n = 81
    dem = grid(np.full((n, n), 700.0))
    surf = accumulated_cost(dem, point_at(dem, 40, 40), model=model, neighbours=neighbours)
    rate = get_model(model).cost(0.0, 1.0)  # cost per metre on the flat
    rr, cc = np.mgrid[0:n, 0:n]
    euclid = np.hypot(rr - 40, cc - 40) * RES
    ratio = surf.cost.array[euclid > 0] / (euclid[euclid > 0] * rate)
    assert ratio.min() == pytest.approx(1.0, abs=1e-12)  # never below the straight line
    assert ratio.max() <= bound + 1e-9  # the known chamfer bound …
    assert ratio.max() >= bound - 0.002  # … which is reached
    on_axes = (rr == 40) | (cc == 40) | (np.abs(rr - 40) == np.abs(cc - 40))
    np.testing.assert_allclose(surf.cost.array[on_axes], euclid[on_axes] * rate, rtol=1e-12)


@pytest.mark.parametrize("model", ["tobler", "pandolf", "naismith", "irmischer", "rwalk"])
@pytest.mark.parametrize("grade", [0.05, 0.2, 0.3])  # elevation steps exact in float32
def test_uniform_slope_gives_analytic_up_and_downhill_costs(model, grade):
    n = 50
    z = 500.0 + grade * RES * np.arange(n)[::-1]  # rises to the north (row 0 highest)
    dem = grid(z[:, None])
    m = get_model(model)
    per_cell_up = m.cost(grade * RES, RES)
    per_cell_down = m.cost(-grade * RES, RES)
    from_south = accumulated_cost(dem, point_at(dem, n - 1, 0), model=model).cost.array[:, 0]
    from_north = accumulated_cost(dem, point_at(dem, 0, 0), model=model).cost.array[:, 0]
    steps = np.arange(n)
    np.testing.assert_allclose(from_south[::-1], steps * per_cell_up, rtol=1e-12)
    np.testing.assert_allclose(from_north, steps * per_cell_down, rtol=1e-12)
    # walking to the sources reverses the direction of travel
    to_south = accumulated_cost(dem, point_at(dem, n - 1, 0), model=model, travel="to_sources").cost.array[:, 0]
    np.testing.assert_allclose(to_south[::-1], steps * per_cell_down, rtol=1e-12)
    # Tobler by hand: 6·exp(−3.5·|S + 0.05|) km/h
    if model == "tobler":
        assert per_cell_up == pytest.approx(RES / (6 * np.exp(-3.5 * (grade + 0.05)) / 3.6))
        assert per_cell_down == pytest.approx(RES / (6 * np.exp(-3.5 * abs(-grade + 0.05)) / 3.6))


_DR = [0, 0, -1, 1, -1, -1, 1, 1, -2, -2, 2, 2, -1, -1, 1, 1]
_DC = [-1, 1, 0, 0, -1, 1, 1, -1, -1, 1, 1, -1, -2, 2, 2, -2]


def reference(dem, src_mask, model, params, cell, mult, blocked, neighbours, reverse=False):
    """Accumulated cost by scipy's Dijkstra on an explicitly built directed graph."""
    z = dem.array.astype(np.float64)
    rows, cols = z.shape
    m = get_model(model)
    idx = np.arange(rows * cols).reshape(rows, cols)
    heads, tails, weights = [], [], []
    for k in range(neighbours):
        dr, dc = _DR[k], _DC[k]
        r0, r1 = max(0, -dr), rows - max(0, dr)
        c0, c1 = max(0, -dc), cols - max(0, dc)
        o = (slice(r0, r1), slice(c0, c1))
        t = (slice(r0 + dr, r1 + dr), slice(c0 + dc, c1 + dc))
        cells = [o, t]
        if k >= 8:
            if abs(dr) == 2:
                cells += [
                    (slice(r0 + dr // 2, r1 + dr // 2), slice(c0, c1)),
                    (slice(r0 + dr // 2, r1 + dr // 2), slice(c0 + dc, c1 + dc)),
                ]
            else:
                cells += [
                    (slice(r0, r1), slice(c0 + dc // 2, c1 + dc // 2)),
                    (slice(r0 + dr, r1 + dr), slice(c0 + dc // 2, c1 + dc // 2)),
                ]
        ok = ~np.any([blocked[s] for s in cells[1:]], axis=0) & ~blocked[o]
        cv = np.mean([cell[s].astype(np.float64) for s in cells], axis=0)
        mv = np.mean([mult[s].astype(np.float64) for s in cells], axis=0)
        dz = z[t] - z[o]
        w = m.cost(-dz if reverse else dz, np.hypot(dr * RES, dc * RES), cell_value=cv, **params) * mv
        heads.append(idx[o][ok]), tails.append(idx[t][ok]), weights.append(w[ok])
    g = coo_matrix(
        (np.concatenate(weights), (np.concatenate(heads), np.concatenate(tails))), shape=(rows * cols, rows * cols)
    ).tocsr()
    d = dijkstra(g, directed=True, indices=np.flatnonzero(src_mask), min_only=True)
    d = d.reshape(rows, cols)
    d[np.isinf(d)] = np.nan
    return d


@pytest.mark.parametrize("neighbours", [8, 16])
@pytest.mark.parametrize(
    "model,params", [("pandolf", {"W": 80, "L": 25, "V": 1.1}), ("rwalk", {}), ("tobler", {"off_path": 1})]
)
def test_matches_an_independent_graph_search(model, params, neighbours):
    rng = np.random.default_rng(7)
    dem = fractal_dem((40, 50), rng=rng, relief=300)
    cell = rng.uniform(1.0, 2.5, dem.shape).astype(np.float32)  # η or friction per cell
    mult = rng.uniform(0.5, 3.0, dem.shape).astype(np.float32)
    blocked = np.zeros(dem.shape, bool)
    blocked[20, 5:45] = True  # a wall with gaps at both ends
    src = np.zeros(dem.shape, bool)
    src[[2, 35, 37], [3, 40, 10]] = True
    ours = accumulated_cost(
        dem,
        src,
        model=model,
        params=params,
        cell_values=cell if model != "tobler" else None,
        multiplier=mult,
        barriers=blocked,
        neighbours=neighbours,
    )
    cell_ref = cell if model != "tobler" else np.zeros(dem.shape)
    ref = reference(dem, src, model, params, cell_ref, mult, blocked, neighbours)
    np.testing.assert_allclose(ours.cost.array, ref, rtol=1e-9)
    # walking towards the sources: the same graph with every move reversed
    back = accumulated_cost(
        dem,
        src,
        model=model,
        params=params,
        multiplier=mult,
        barriers=blocked,
        neighbours=neighbours,
        travel="to_sources",
    )
    m = get_model(model)
    default = m.pack(params)[m.param_names.index(m.cell_param)] if m.cell_param else 0.0
    ref_back = reference(dem, src, model, params, np.full(dem.shape, default), mult, blocked, neighbours, reverse=True)
    np.testing.assert_allclose(back.cost.array, ref_back, rtol=1e-9)
    assert not np.allclose(back.cost.array, ours.cost.array, equal_nan=True)


def test_isotropic_cost_equals_scikit_image_mcp_geometric():
    """With r.walk's model and b = c = d = 0 the cost is 0.72 s/m everywhere: MCP's case."""
    from skimage.graph import MCP_Geometric

    dem = fractal_dem((60, 70), rng=np.random.default_rng(13))
    src = np.zeros(dem.shape, bool)
    src[[5, 50], [10, 60]] = True
    ours = accumulated_cost(dem, src, model="rwalk", params={"b": 0, "c": 0, "d": 0}).cost.array
    theirs, _ = MCP_Geometric(np.full(dem.shape, 0.72 * RES), fully_connected=True).find_costs([(5, 10), (50, 60)])
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_inputs_are_not_modified_and_barrier_cells_unreached():
    rng = np.random.default_rng(3)
    dem = fractal_dem((30, 30), rng=rng)
    before = dem.array.copy()
    wall = np.zeros(dem.shape, bool)
    wall[:, 15] = True
    surf = accumulated_cost(dem, point_at(dem, 10, 5), barriers=wall, neighbours=16)
    np.testing.assert_array_equal(dem.array, before)
    assert np.all(np.isnan(surf.cost.array[:, 15:]))  # a full wall: nothing behind it, no knight jumps
    assert np.all(np.isfinite(surf.cost.array[:, :15]))
    assert np.all(surf.backlink.array[:, 15:] == -1)


def test_missing_elevations_and_nan_multipliers_are_impassable():
    dem = fractal_dem((30, 30), rng=np.random.default_rng(12))
    z = dem.array.copy()
    z[:, 10] = np.nan  # a gap in the DEM …
    holed = dem.with_array(z)
    surf = accumulated_cost(holed, point_at(dem, 15, 3), neighbours=16)
    assert np.all(np.isnan(surf.cost.array[:, 10:]))
    mult = np.ones(dem.shape)
    mult[12, :] = np.nan  # … and a NaN multiplier row
    surf = accumulated_cost(dem, point_at(dem, 5, 5), multiplier=mult, neighbours=16)
    assert np.all(np.isnan(surf.cost.array[12:])) and np.all(np.isfinite(surf.cost.array[:12]))


def test_cut_off_leaves_costlier_cells_unreached():
    dem = fractal_dem((40, 40), rng=np.random.default_rng(4))
    full = accumulated_cost(dem, point_at(dem, 20, 20)).cost.array
    cut = accumulated_cost(dem, point_at(dem, 20, 20), max_cost=600.0).cost.array
    keep = full <= 600.0
    assert 0 < keep.sum() < keep.size
    np.testing.assert_array_equal(cut[keep], full[keep])
    assert np.all(np.isnan(cut[~keep]))


def test_line_source_cells_are_zero_and_points_outside_raise():
    dem = fractal_dem((30, 40), rng=np.random.default_rng(5))
    left, bottom, right, top = dem.bounds
    ymid = (bottom + top) / 2
    border = gpd.GeoSeries([shapely.LineString([(left - 100, ymid), (right + 100, ymid)])], crs=CRS)
    surf = accumulated_cost(dem, border.to_crs("EPSG:4326"), model="naismith")  # reprojected back
    rows, cols = source_cells(dem, border)
    assert len(set(cols.tolist())) == 40
    assert np.all(surf.cost.array[rows, cols] == 0.0)
    assert np.all(surf.cost.array[surf.backlink.array > 0] > 0)
    with pytest.raises(InputError, match="outside"):
        accumulated_cost(dem, gpd.GeoSeries([shapely.Point(0, 0)], crs=CRS))
    with pytest.raises(CRSError):
        accumulated_cost(dem, gpd.GeoSeries([shapely.Point(left + 10, ymid)]))


def test_paths_follow_backlinks_and_their_cost_adds_up():
    dem = fractal_dem((60, 60), rng=np.random.default_rng(6), relief=400)
    surf = accumulated_cost(dem, point_at(dem, 5, 5), model="pandolf", params={"L": 20}, neighbours=16)
    tx, ty = dem.xy(np.array([55, 30, 5]), np.array([50, 58, 5]))
    targets = gpd.GeoDataFrame({"id": [1, 2, 3]}, geometry=gpd.points_from_xy(tx, ty), crs=CRS, index=[10, 11, 12])
    paths = least_cost_paths(surf, targets.to_crs("EPSG:4326"))
    assert list(paths.index) == [10, 11, 12]
    assert paths.loc[12, "cost"] == 0.0 and paths.loc[12, "geometry"] is None
    model = get_model("pandolf")
    for i in (10, 11):
        line = paths.loc[i, "geometry"]
        xy = np.asarray(line.coords)
        r, c = dem.rowcol(xy[:, 0], xy[:, 1])
        assert (r[0], c[0]) == (5, 5)  # from the source …
        assert (r[-1], c[-1]) == tuple(dem.rowcol(tx[i - 10], ty[i - 10])[k] for k in (0, 1))  # … to the target
        z = dem.array.astype(np.float64)[r, c]
        steps = model.cost(np.diff(z), np.hypot(np.diff(xy[:, 0]), np.diff(xy[:, 1])), L=20)
        assert steps.sum() == pytest.approx(paths.loc[i, "cost"], rel=1e-9)
        assert paths.loc[i, "length_m"] == pytest.approx(line.length)
        assert paths.loc[i, "units"] == "kJ"


def test_corridor_minimum_is_the_least_cost_route():
    dem = fractal_dem((40, 40), rng=np.random.default_rng(8))
    a, b = point_at(dem, 3, 3), point_at(dem, 35, 30)
    cor = corridor(dem, a, b, model="tobler", neighbours=16)
    a_to_b = accumulated_cost(dem, a, model="tobler", neighbours=16).cost.array[35, 30]
    assert np.nanmin(cor.array) == pytest.approx(a_to_b, rel=1e-12)
    assert cor.array[3, 3] == pytest.approx(a_to_b, rel=1e-12)
    assert np.all(cor.array >= a_to_b - 1e-6)


def test_typed_errors():
    dem = fractal_dem((10, 10), rng=np.random.default_rng(9))
    src = point_at(dem, 5, 5)
    with pytest.raises(InputError, match="choose one of"):
        accumulated_cost(dem, src, model="mule")
    with pytest.raises(InputError, match="no parameter"):
        accumulated_cost(dem, src, model="tobler", params={"W": 70})
    with pytest.raises(InputError, match="no per-cell"):
        accumulated_cost(dem, src, model="tobler", cell_values=np.ones(dem.shape))
    with pytest.raises(RasterError, match="grid"):
        accumulated_cost(dem, src, model="pandolf", cell_values=grid(np.ones((10, 10)), res=10.0))
    with pytest.raises(InputError, match="8 or 16"):
        accumulated_cost(dem, src, neighbours=4)
    lonlat = Raster(dem.array, Affine(0.001, 0, -111, 0, -0.001, 32), "EPSG:4326")
    with pytest.raises(CRSError, match="metres"):
        accumulated_cost(lonlat, np.ones(dem.shape, bool))
