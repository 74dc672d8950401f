"""Hot spots: Getis–Ord Gi* on points or grid cells, with false-discovery control.

The module builds square and hexagonal grids from points (counts per cell), binary spatial
weights (fixed distance band, k-nearest neighbours, contiguity) as scipy sparse matrices, and
computes the local Getis–Ord Gi* statistic with analytical or permutation (conditional
randomisation) inference, Benjamini–Hochberg FDR control, per time window, and the change in
hot spots between two periods.

It describes where deaths were concentrated in PAST periods; it predicts nothing.

References
----------
Getis, A. & Ord, J.K. (1992). The analysis of spatial association by use of distance
statistics. Geographical Analysis 24(3), 189–206.
Ord, J.K. & Getis, A. (1995). Local spatial autocorrelation statistics: distributional issues
and an application. Geographical Analysis 27(4), 286–306.
Anselin, L. (1995). Local indicators of spatial association — LISA. Geographical Analysis
27(2), 93–115 (conditional randomisation).
Besag, J. & Clifford, P. (1991). Sequential Monte Carlo p-values. Biometrika 78(2), 301–304.
Lahiri, S. N. (2003). Resampling Methods for Dependent Data, ch. 12 (spatial block bootstrap).
Springer.
Pagano, M. & Tritchler, D. (1983). On obtaining permutation distributions in polynomial time.
JASA 78(382), 435–440 (exact conditional-randomisation p-values).
Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57(1),
289–300.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numba
import numpy as np
import pandas as pd
import shapely
from scipy import sparse, stats
from scipy.spatial import cKDTree

from borderscape.analyses.stats.intervals import clopper_pearson
from borderscape.analyses.stats.resampling import cluster_bootstrap
from borderscape.analyses.stats.seeds import Seed, generator, recorded
from borderscape.geo.errors import CRSError, InputError
from borderscape.geo.parallel import Executor, groups, resolve, spawn_chunks

__all__ = [
    "FDRResult",
    "GiStar",
    "HotShare",
    "HotShift",
    "HotspotChange",
    "WindowedGiStar",
    "block_side",
    "contiguity_weights",
    "count_points",
    "distance_band_weights",
    "fdr_bh",
    "gi_star",
    "gi_star_by_window",
    "gi_star_weights",
    "gi_star_z",
    "grid_blocks",
    "hex_grid",
    "hot_share",
    "hot_spot_mean",
    "hot_spot_shift",
    "hotspot_change",
    "knn_weights",
    "square_grid",
]


# ----------------------------------------------------------------------------------------
# Result records
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GiStar:
    """Local Getis–Ord Gi* per feature, aligned to the rows of the input.

    Attributes
    ----------
    z
        Gi* z-score per feature (analytical standardisation, Ord & Getis 1995), on the
        input's index. Positive = high values cluster around the feature (hot), negative =
        low values cluster (cold).
    p
        Two-sided p-value per feature: analytical (normal) when ``permutations == 0``,
        otherwise the pseudo p-value of conditional randomisation,
        ``(1 + extreme) / (permutations + 1)``.
    g
        The Gi* ratio ``sum_j w_ij y_j / sum_j y_j`` (self included).
    neighbours
        Number of features in each feature's neighbourhood, the feature itself included.
    method
        How ``p`` was obtained, with references.
    parameters
        Weights, permutations, seed: everything needed to reproduce the result.
    """

    z: pd.Series
    p: pd.Series
    g: pd.Series
    neighbours: pd.Series
    method: str
    parameters: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of features."""
        return len(self.z)

    def classify(self, alpha: float = 0.05, *, fdr: bool = True) -> pd.Series:
        """Hot (+1), cold (-1) or neither (0) per feature.

        Parameters
        ----------
        alpha
            Significance level; with ``fdr=True`` the Benjamini–Hochberg false discovery
            rate over all features, otherwise the per-feature level.
        fdr
            Control the false discovery rate across features (recommended).
        """
        if fdr:
            significant = fdr_bh(self.p, alpha).reject
        else:
            significant = self.p <= alpha
        out = np.where(significant, np.sign(self.z.to_numpy()), 0).astype(np.int8)
        return pd.Series(out, index=self.z.index, name="hotspot")

    def to_frame(self) -> pd.DataFrame:
        """The per-feature columns ``gi_z``, ``gi_p``, ``gi_g``, ``neighbours``."""
        return pd.DataFrame({"gi_z": self.z, "gi_p": self.p, "gi_g": self.g, "neighbours": self.neighbours})


@dataclass(frozen=True, eq=False)
class FDRResult:
    """Benjamini–Hochberg step-up procedure.

    Attributes
    ----------
    reject
        True where the null hypothesis is rejected at false discovery rate ``alpha``.
    q
        BH-adjusted p-values (q-values): reject exactly where ``q <= alpha``.
    threshold
        The largest raw p-value that is rejected (0.0 when none is).
    alpha
        The false discovery rate controlled.
    m
        Number of hypotheses.
    """

    reject: pd.Series | np.ndarray
    q: pd.Series | np.ndarray
    threshold: float
    alpha: float
    m: int


@dataclass(frozen=True, eq=False)
class WindowedGiStar:
    """Gi* computed on the same grid for several time windows.

    Attributes
    ----------
    windows
        The half-open windows ``[start, end)`` as pandas Timestamps.
    results
        One :class:`GiStar` per window, in the order of ``windows``.
    counts
        Counts per cell (rows = grid index) and window (columns = window labels).
    outside
        Number of points per window that fell in no grid cell (not counted).
    """

    windows: tuple[tuple[pd.Timestamp, pd.Timestamp], ...]
    results: tuple[GiStar, ...]
    counts: pd.DataFrame
    outside: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class HotspotChange:
    """Change of hot/cold status per feature between two periods.

    Attributes
    ----------
    status
        One of ``"became hot"``, ``"stopped being hot"``, ``"stayed hot"``,
        ``"became cold"``, ``"stopped being cold"``, ``"stayed cold"``, ``"hot to cold"``,
        ``"cold to hot"``, ``"neither"`` per feature.
    before, after
        Classification (+1 hot, -1 cold, 0 neither) in each period.
    counts
        Number of features per status.
    parameters
        ``alpha`` and whether FDR control was used.
    """

    status: pd.Series
    before: pd.Series
    after: pd.Series
    counts: Mapping[str, int]
    parameters: Mapping[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------
# Grids
# ----------------------------------------------------------------------------------------


def _require_projected(gdf: gpd.GeoDataFrame | gpd.GeoSeries, what: str) -> None:
    if gdf.crs is None:
        raise CRSError(
            f"{what} has no CRS.",
            remedy="Set the layer's CRS (e.g. gdf.set_crs(...)) and project it to a metric CRS.",
        )
    if not gdf.crs.is_projected:
        raise CRSError(
            f"{what} is in a geographic CRS ({gdf.crs.name}); distances must be in metres.",
            remedy="Project the layer first, e.g. gdf.to_crs(gdf.estimate_utm_crs()).",
        )


def _point_xy(points: gpd.GeoDataFrame | gpd.GeoSeries, what: str) -> np.ndarray:
    _require_projected(points, what)
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if len(geoms) == 0:
        raise InputError(f"{what} is empty.", remedy="Pass at least one point.")
    if geoms.isna().any() or geoms.is_empty.any():
        raise InputError(f"{what} has missing or empty geometries.", remedy="Drop them first.")
    if not (geoms.geom_type == "Point").all():
        raise InputError(f"{what} must contain points only.", remedy="Use centroids of polygons.")
    return shapely.get_coordinates(geoms.to_numpy())[:, :2].astype(np.float64)


def _bounds(xy: np.ndarray, bounds: Sequence[float] | None) -> tuple[float, float, float, float]:
    if bounds is None:
        return float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max())
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    if not (maxx >= minx and maxy >= miny):
        raise InputError("bounds must be (minx, miny, maxx, maxy) with max >= min.")
    return minx, miny, maxx, maxy


def _check_cell_size(cell_size: float) -> float:
    if not (np.isfinite(cell_size) and cell_size > 0):
        raise InputError(f"cell_size must be a positive number of metres, got {cell_size!r}.")
    return float(cell_size)


def cell_index(grid: gpd.GeoDataFrame, points: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    """The grid row of the cell each point falls in (-1 for a point in no cell).

    A point on a boundary shared by several cells goes to the cell that comes first in the
    grid's row order.

    Parameters
    ----------
    grid
        Polygon cells in a projected CRS.
    points
        Points in the same CRS.
    """
    _require_projected(grid, "grid")
    _require_projected(points, "points")
    if not grid.crs.equals(points.crs):
        raise CRSError("grid and points are in different CRSs.", remedy="Project the points to grid.crs.")
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    out = np.full(len(geoms), -1, dtype=np.int64)
    if len(geoms) == 0:
        return out
    point_idx, cell_idx = grid.sindex.query(geoms.to_numpy(), predicate="intersects")
    order = np.lexsort((cell_idx, point_idx))
    point_idx, cell_idx = point_idx[order], cell_idx[order]
    first = np.r_[True, point_idx[1:] != point_idx[:-1]] if len(point_idx) else np.zeros(0, dtype=bool)
    out[point_idx[first]] = cell_idx[first]
    return out


def count_points(grid: gpd.GeoDataFrame, points: gpd.GeoDataFrame | gpd.GeoSeries) -> tuple[np.ndarray, int]:
    """Count points per grid cell (:func:`cell_index`).

    Parameters
    ----------
    grid
        Polygon cells in a projected CRS.
    points
        Points in the same CRS.

    Returns
    -------
    counts, outside
        Integer counts aligned to the rows of ``grid``, and the number of points in no cell.
    """
    idx = cell_index(grid, points)
    inside = idx >= 0
    return np.bincount(idx[inside], minlength=len(grid)).astype(np.int64), int((~inside).sum())


def square_grid(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    cell_size: float,
    *,
    bounds: Sequence[float] | None = None,
) -> gpd.GeoDataFrame:
    """Square grid over points with the number of points per cell.

    Parameters
    ----------
    points
        Points in a projected CRS (metres).
    cell_size
        Side of a square cell (m).
    bounds
        ``(minx, miny, maxx, maxy)`` in metres; default the points' bounding box. The grid
        starts at ``(minx, miny)`` and has ``ceil(width / cell_size)`` columns (at least 1).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per cell (empty cells included, so Gi* sees the zeros), with columns
        ``row`` (0 at the bottom), ``col`` (0 at the left), ``count`` and polygon
        ``geometry``, in the points' CRS; index ``0..n-1``.
    """
    xy = _point_xy(points, "points")
    size = _check_cell_size(cell_size)
    minx, miny, maxx, maxy = _bounds(xy, bounds)
    ncols = max(1, math.ceil((maxx - minx) / size))
    nrows = max(1, math.ceil((maxy - miny) / size))
    rows, cols = np.divmod(np.arange(nrows * ncols), ncols)
    xs = minx + np.arange(ncols + 1) * size  # shared edges have identical coordinates
    ys = miny + np.arange(nrows + 1) * size
    cells = shapely.box(xs[cols], ys[rows], xs[cols + 1], ys[rows + 1])
    grid = gpd.GeoDataFrame({"row": rows, "col": cols}, geometry=cells, crs=points.crs)
    grid["count"], _ = count_points(grid, points)
    return grid


_SQRT3 = math.sqrt(3.0)


def _hex_round(qf: np.ndarray, rf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Round fractional axial coordinates to the containing hexagon (cube rounding)."""
    sf = -qf - rf
    q, r, s = np.round(qf), np.round(rf), np.round(sf)
    dq, dr, ds = np.abs(q - qf), np.abs(r - rf), np.abs(s - sf)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return q.astype(np.int64), r.astype(np.int64)


def hex_grid(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    cell_size: float,
    *,
    bounds: Sequence[float] | None = None,
) -> gpd.GeoDataFrame:
    """Hexagonal (pointy-top) grid over points with the number of points per cell.

    Parameters
    ----------
    points
        Points in a projected CRS (metres).
    cell_size
        Edge length of a hexagon = distance from its centre to a vertex (m). The area of a
        cell is ``3 * sqrt(3) / 2 * cell_size**2`` and neighbouring centres are
        ``sqrt(3) * cell_size`` apart.
    bounds
        ``(minx, miny, maxx, maxy)``; default the points' bounding box. Every hexagon that
        intersects the bounds is kept.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per cell (empty cells included), with axial coordinates ``q`` and ``r``,
        ``count`` and polygon ``geometry``, in the points' CRS; index ``0..n-1``.
        Centre of cell ``(q, r)``: ``x = minx + sqrt(3) * size * (q + r / 2)``,
        ``y = miny + 1.5 * size * r``.
    """
    xy = _point_xy(points, "points")
    size = _check_cell_size(cell_size)
    minx, miny, maxx, maxy = _bounds(xy, bounds)
    width, height = maxx - minx, maxy - miny
    r_range = np.arange(-1, math.ceil(height / (1.5 * size)) + 2)
    q_lo = math.floor(-1 - r_range.max() / 2) - 1
    q_hi = math.ceil(width / (_SQRT3 * size) + 1 - r_range.min() / 2) + 1
    qq, rr = np.meshgrid(np.arange(q_lo, q_hi + 1), r_range)
    qq, rr = qq.ravel(), rr.ravel()
    # vertices on the lattice (minx + i sqrt(3) size / 2, miny + j size / 2), so that
    # neighbouring hexagons share bit-identical vertices
    di = np.array([1, 0, -1, -1, 0, 1])
    dj = np.array([1, 2, 1, -1, -2, -1])
    vi = (2 * qq + rr)[:, None] + di[None, :]
    vj = (3 * rr)[:, None] + dj[None, :]
    vx = minx + vi * (_SQRT3 * size / 2.0)
    vy = miny + vj * (size / 2.0)
    keep = (vx.max(1) > minx) & (vx.min(1) < maxx) & (vy.max(1) > miny) & (vy.min(1) < maxy)
    # a degenerate (zero-width or zero-height) extent: keep the hexagons holding the points
    qp, rp = _hex_round(
        ((xy[:, 0] - minx) * _SQRT3 / 3 - (xy[:, 1] - miny) / 3) / size,
        (xy[:, 1] - miny) * 2 / 3 / size,
    )
    holds_point = pd.MultiIndex.from_arrays([qq, rr]).isin(pd.MultiIndex.from_arrays([qp, rp]))
    keep |= holds_point
    rings = np.stack([vx[keep], vy[keep]], axis=-1)
    cells = shapely.polygons(rings)
    grid = gpd.GeoDataFrame({"q": qq[keep], "r": rr[keep]}, geometry=cells, crs=points.crs)
    grid["count"], _ = count_points(grid, points)
    return grid


# ----------------------------------------------------------------------------------------
# Weights (binary, zero diagonal: the neighbour sets; Gi* adds each feature itself)
# ----------------------------------------------------------------------------------------


def _feature_xy(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    _require_projected(gdf, "layer")
    geoms = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    if geoms.isna().any() or geoms.is_empty.any():
        raise InputError("layer has missing or empty geometries.", remedy="Drop them first.")
    pts = geoms.to_numpy()
    not_point = shapely.get_type_id(pts) != 0
    if not_point.any():
        pts = pts.copy()
        pts[not_point] = shapely.centroid(pts[not_point])
    return shapely.get_coordinates(pts)[:, :2].astype(np.float64)


def _from_pairs(i: np.ndarray, j: np.ndarray, n: int) -> sparse.csr_array:
    keep = i != j
    data = np.ones(int(keep.sum()), dtype=np.float64)
    w = sparse.csr_array((data, (i[keep], j[keep])), shape=(n, n))
    w.sum_duplicates()
    w.data[:] = 1.0
    w.sort_indices()
    return w


def distance_band_weights(gdf: gpd.GeoDataFrame | gpd.GeoSeries, distance: float) -> sparse.csr_array:
    """Binary fixed-distance-band neighbours.

    ``w_ij = 1`` if ``0 < i != j`` and ``||x_i - x_j|| <= distance``, else 0. Polygons are
    represented by their centroids.

    Parameters
    ----------
    gdf
        Features in a projected CRS.
    distance
        Band radius (m).

    Returns
    -------
    scipy.sparse.csr_array
        Symmetric ``(n, n)`` binary matrix with a zero diagonal, rows in the order of ``gdf``.
    """
    if not (np.isfinite(distance) and distance > 0):
        raise InputError(f"distance_band must be a positive number of metres, got {distance!r}.")
    xy = _feature_xy(gdf)
    pairs = cKDTree(xy).query_pairs(float(distance), output_type="ndarray")
    i = np.r_[pairs[:, 0], pairs[:, 1]]
    j = np.r_[pairs[:, 1], pairs[:, 0]]
    return _from_pairs(i, j, len(xy))


def knn_weights(gdf: gpd.GeoDataFrame | gpd.GeoSeries, k: int) -> sparse.csr_array:
    """Binary k-nearest-neighbour weights (not symmetric in general).

    Row ``i`` has ones at the ``k`` features nearest to feature ``i`` (itself excluded;
    ties in distance are broken by the KD-tree's order). Polygons use their centroids.

    Parameters
    ----------
    gdf
        Features in a projected CRS.
    k
        Number of neighbours, ``1 <= k < n``.
    """
    xy = _feature_xy(gdf)
    n = len(xy)
    if not (isinstance(k, (int, np.integer)) and 1 <= k < n):
        raise InputError(f"k must be an integer in [1, {n - 1}], got {k!r}.")
    _, idx = cKDTree(xy).query(xy, k=k + 1)
    # drop the feature itself; if coincident points displaced it, drop the farthest instead
    is_self = idx == np.arange(n)[:, None]
    is_self[~is_self.any(axis=1), -1] = True
    cols = idx[~is_self]
    return _from_pairs(np.repeat(np.arange(n), k), cols, n)


_SQUARE_OFFSETS = {
    "rook": [(-1, 0), (1, 0), (0, -1), (0, 1)],
    "queen": [(-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)],
}
_HEX_OFFSETS = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, -1), (-1, 1)]


def contiguity_weights(grid: gpd.GeoDataFrame, *, rule: str = "queen") -> sparse.csr_array:
    """Binary contiguity weights of a grid made by :func:`square_grid` or :func:`hex_grid`.

    Parameters
    ----------
    grid
        Square grid (columns ``row``, ``col``) or hexagonal grid (columns ``q``, ``r``).
    rule
        ``"rook"`` (shared edge, 4 neighbours) or ``"queen"`` (shared edge or corner, 8
        neighbours) for square grids; ``"hex"`` (6 neighbours sharing an edge) for
        hexagonal grids.

    Returns
    -------
    scipy.sparse.csr_array
        Symmetric binary ``(n, n)`` matrix with a zero diagonal, rows in grid order.
    """
    if rule in _SQUARE_OFFSETS:
        cols = ("row", "col")
        offsets = _SQUARE_OFFSETS[rule]
    elif rule == "hex":
        cols = ("q", "r")
        offsets = _HEX_OFFSETS
    else:
        raise InputError(f"rule must be 'queen', 'rook' or 'hex', got {rule!r}.")
    if not all(c in grid.columns for c in cols):
        raise InputError(
            f"rule {rule!r} needs grid columns {cols}.",
            remedy="Build the grid with square_grid (queen/rook) or hex_grid (hex).",
        )
    a = grid[cols[0]].to_numpy(np.int64)
    b = grid[cols[1]].to_numpy(np.int64)
    position = pd.Series(np.arange(len(grid)), index=pd.MultiIndex.from_arrays([a, b]))
    if not position.index.is_unique:
        raise InputError("grid has duplicate cell coordinates.")
    rows_i, rows_j = [], []
    for da, db in offsets:
        target = pd.MultiIndex.from_arrays([a + da, b + db])
        j = position.reindex(target).to_numpy()
        ok = ~np.isnan(j)
        rows_i.append(np.flatnonzero(ok))
        rows_j.append(j[ok].astype(np.int64))
    return _from_pairs(np.concatenate(rows_i), np.concatenate(rows_j), len(grid))


# ----------------------------------------------------------------------------------------
# Gi*
# ----------------------------------------------------------------------------------------


@numba.njit(cache=True, nogil=True)
def _permuted_ids(uniform: np.ndarray, n_other: int) -> np.ndarray:
    """Random subsets of ``range(n_other)`` (rows of ``uniform`` -> one subset each).

    A partial Fisher–Yates shuffle of a running pool: each row's first ``kmax`` entries are
    a uniformly random ordered draw without replacement.
    """
    perms, kmax = uniform.shape
    pool = np.arange(n_other)
    out = np.empty((perms, kmax), dtype=np.int64)
    for p in range(perms):
        for m in range(kmax):
            j = m + int(uniform[p, m] * (n_other - m))
            tmp = pool[m]
            pool[m] = pool[j]
            pool[j] = tmp
            out[p, m] = pool[m]
    return out


@numba.njit(cache=True, nogil=True)
def _crand_extreme(y: np.ndarray, k_other: np.ndarray, lag: np.ndarray, ids: np.ndarray, total: float) -> np.ndarray:
    """Count permuted Gi* numerators at least as far from their null mean as observed.

    For feature ``i`` the value ``y_i`` stays; ``k_other[i]`` values drawn without
    replacement from the other ``n - 1`` features replace its neighbours. The null mean of
    the numerator is ``y_i + k_i * (total - y_i) / (n - 1)``.
    """
    n = y.shape[0]
    perms = ids.shape[0]
    extreme = np.zeros(n, dtype=np.int64)
    scale = np.abs(y).max() + 1.0
    for i in range(n):
        k = k_other[i]
        mean = y[i] + k * (total - y[i]) / (n - 1)
        observed = abs(lag[i] - mean) - 1e-9 * scale * (k + 1)
        count = 0
        for p in range(perms):
            s = y[i]
            for m in range(k):
                j = ids[p, m]
                if j >= i:
                    j += 1
                s += y[j]
            if abs(s - mean) >= observed:
                count += 1
        extreme[i] = count
    return extreme


#: Largest sum of counts for which :func:`gi_star_weights` enumerates exact p-values (the work
#: and memory of the enumeration grow with it).
EXACT_MAX_TOTAL = 1_000_000

#: Conditional permutations per chunk of Gi* (a fixed unit of work and of seeding).
PERM_CHUNK = 250


def _crand_chunk(
    chunk: tuple[int, np.random.Generator], *, y: np.ndarray, k_other: np.ndarray, lag: np.ndarray, total: float
) -> np.ndarray:
    """Extreme counts per feature over one chunk of conditional permutations."""
    size, gen = chunk
    uniform = gen.random((size, int(k_other.max())))
    return _crand_extreme(y, k_other, lag, _permuted_ids(uniform, y.shape[0] - 1), total)


def _crand_group(chunks: list[tuple[int, np.random.Generator]], **data: Any) -> np.ndarray:
    """Extreme counts per feature summed over consecutive chunks (see :func:`_crand_chunk`)."""
    return np.sum([_crand_chunk(c, **data) for c in chunks], axis=0)


@numba.njit(cache=True, nogil=True)
def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1.0) - math.lgamma(k + 1.0) - math.lgamma(n - k + 1.0)


@numba.njit(cache=True, nogil=True)
def _draw_sum_pmf(values: np.ndarray, mults: np.ndarray, kmax: int, smax: int) -> np.ndarray:
    """``P[j, s]``: probability that ``j`` draws without replacement from a multiset of
    non-negative integers (distinct ``values`` with multiplicities ``mults``) sum to ``s``,
    for ``j <= kmax`` and ``s <= smax`` (larger sums are not needed and are dropped).

    The generating function ``prod_v sum_c C(m_v, c) x^c t^(c v)`` (Pagano & Tritchler 1983)
    is multiplied out one distinct value at a time, kept as probabilities: after a group of
    ``m`` items of value ``v`` joins ``M`` items, ``P'_j(s) = sum_c H(c) P_(j-c)(s - c v)``
    with ``H`` the hypergeometric probability of ``c`` of the ``j`` draws falling in the
    group.  Every term is non-negative, so there is no cancellation and no overflow.
    """
    prob = np.zeros((kmax + 1, smax + 1))
    prob[0, 0] = 1.0
    seen = 0
    for g in range(values.shape[0]):
        v = values[g]
        m = mults[g]
        if m == 0:
            continue
        total = seen + m
        new = np.zeros_like(prob)
        for j in range(min(kmax, total) + 1):
            base = _log_choose(total, j)
            for c in range(max(0, j - seen), min(m, j) + 1):
                h = math.exp(_log_choose(m, c) + _log_choose(seen, j - c) - base)
                shift = c * v
                if shift > smax:
                    break
                src = prob[j - c]
                dst = new[j]
                for s in range(shift, smax + 1):
                    dst[s] += h * src[s - shift]
        prob = new
        seen = total
    return prob


def _exact_conditional_p(y: np.ndarray, k_other: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """Two-sided conditional-randomisation p-values of Gi*, without Monte Carlo.

    For feature ``i``, ``y_i`` stays and its ``k_i`` neighbours are a uniformly random subset of
    the other ``n - 1`` values (Anselin 1995); the null distribution of their sum is enumerated
    (:func:`_draw_sum_pmf`, once per distinct value of ``y_i``, for every ``k`` at once), and
    ``p_i = P(|S - E S| >= |s_obs - E S|)``, the limit of :func:`_crand_extreme`'s pseudo p-value
    as the number of permutations grows.  ``y`` must hold non-negative integers (counts).
    """
    n = y.shape[0]
    yi = y.astype(np.int64)
    values, mults = np.unique(yi, return_counts=True)
    total = int(yi.sum())
    kmax = int(k_other.max()) if n else 0
    p = np.ones(n)
    if kmax == 0:
        return p
    top = np.sort(yi)[::-1]
    scale = float(np.abs(y).max()) + 1.0
    for g, v in enumerate(values):
        rest = mults.copy()
        rest[g] -= 1
        smax = int(min(total - v, top[:kmax].sum()))
        prob = _draw_sum_pmf(values, rest, kmax, smax)
        sums = np.arange(smax + 1, dtype=np.float64)
        for i in np.flatnonzero((yi == v) & (k_other > 0)):
            k = int(k_other[i])
            mean = k * (total - v) / (n - 1)
            observed = abs(lag[i] - v - mean) - 1e-9 * scale * (k + 1)
            p[i] = min(1.0, float(prob[k][np.abs(sums - mean) >= observed].sum()))
    return p


def gi_star_z(values: np.ndarray, weights: sparse.sparray | sparse.spmatrix) -> np.ndarray:
    """Analytical Getis–Ord Gi* z-scores, of one column of values or of several at once.

    With binary weights ``w_ij`` (1 for a neighbour, and ``w_ii = 1``: each feature is its
    own neighbour), ``W_i = sum_j w_ij``, mean ``ybar`` and population standard deviation
    ``s = sqrt(sum_j y_j**2 / n - ybar**2)``::

        z_i  = (sum_j w_ij y_j - ybar W_i) / (s sqrt((n W_i - W_i**2) / (n - 1)))

    (Ord & Getis 1995, eq. 14 with binary weights; identical to esda
    ``G_Local(y, w, transform="B", star=True)``).  Where the denominator is 0 — all values of
    the column equal, or a feature whose neighbourhood is every feature (``W_i = n``, so its
    Gi* cannot deviate from the mean) — z is 0.

    Parameters
    ----------
    values
        ``(n,)`` values, or ``(n, k)``: one column per vector (e.g. counts per cell of several
        samples of records).
    weights
        ``(n, n)`` binary neighbour matrix (any diagonal is ignored; the self-weight is 1).

    Returns
    -------
    numpy.ndarray
        z-scores, of the shape of ``values``.
    """
    return _gi_z(np.asarray(values, dtype=np.float64), _off_diagonal(weights))


def _off_diagonal(weights: sparse.sparray | sparse.spmatrix) -> sparse.csr_array:
    """A CSR copy of ``weights`` without its diagonal (never the caller's matrix)."""
    w = sparse.csr_array(weights, dtype=np.float64, copy=True)
    w.setdiag(0.0)
    w.eliminate_zeros()
    return w


def _gi_z(y: np.ndarray, w: sparse.csr_array) -> np.ndarray:
    """:func:`gi_star_z` with weights already without their diagonal (:func:`_off_diagonal`)."""
    n = y.shape[0]
    wi = np.diff(w.indptr) + 1.0
    if y.ndim == 2:
        wi = wi[:, None]
    mean = y.mean(axis=0)
    sd = np.sqrt(np.maximum((y**2).mean(axis=0) - mean**2, 0.0))
    denom = sd * np.sqrt((n * wi - wi**2) / (n - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (w @ y + y - mean * wi) / denom
    return np.where(denom > 0, z, 0.0)


def gi_star_weights(
    values: pd.Series | np.ndarray,
    weights: sparse.sparray | sparse.spmatrix,
    *,
    permutations: int = 0,
    seed: Seed | None = None,
    index: pd.Index | None = None,
    executor: Executor | None = None,
    exact: bool = False,
) -> GiStar:
    """Getis–Ord Gi* for given binary neighbour weights.

    ``G*_i = sum_j w_ij y_j / sum_j y_j`` and its z-score ``z_i`` by :func:`gi_star_z` (Ord &
    Getis 1995, eq. 14 with binary weights, self-weight 1). Analytical p = ``2 * (1 - Phi(|z_i|))``.

    Permutation inference (``permutations > 0``) is conditional randomisation (Anselin
    1995): ``y_i`` is held fixed and its ``W_i - 1`` neighbours are replaced by values drawn
    without replacement from the other ``n - 1`` features. As in esda, one matrix of random
    draws is shared by all features (each feature's p-value is exact; the p-values of
    different features are dependent). Two-sided pseudo p-value
    ``(1 + #{|G*_sim - E| >= |G*_obs - E|}) / (permutations + 1)``, where ``E`` is the
    exact conditional mean. Because ``y_i`` is held fixed, this p-value weighs the evidence
    from the neighbours given ``y_i``; the analytical p-value also counts the deviation of
    ``y_i`` itself, so the two differ for features whose own value is extreme.

    Exact inference (``exact=True``, counts only): the same conditional-randomisation p-value
    without Monte Carlo.  The null distribution of the sum of ``W_i - 1`` values drawn without
    replacement from the other ``n - 1`` is enumerated by multiplying out its generating
    function (Pagano & Tritchler 1983), so the p-value is the limit of the pseudo p-value as
    the permutations grow: no Monte Carlo error and no floor at ``1 / (permutations + 1)``,
    which with thousands of cells decides what survives the FDR.  The work grows with the
    distinct counts, the largest neighbourhood and the sum of the counts, not with a number of
    permutations.

    Parameters
    ----------
    values
        Value per feature (e.g. deaths per cell); not all equal; finite.
    weights
        ``(n, n)`` binary neighbour matrix (any diagonal is ignored; the self-weight is 1).
    permutations
        Number of conditional randomisations; 0 for analytical inference only.
    seed
        Integer or Generator of the permutations (required when ``permutations > 0``).
    index
        Index for the result; default ``values.index`` or ``0..n-1``.
    executor
        Runs the chunks of :data:`PERM_CHUNK` permutations (:mod:`borderscape.geo.parallel`;
        default the run's executor, else serial).  Each chunk draws from its own generator
        spawned in order from ``seed``, so the p-values do not depend on the executor.
    exact
        Exact conditional-randomisation p-values (``values`` must be non-negative integers,
        e.g. counts per cell; ``permutations`` must then be 0).

    Returns
    -------
    GiStar
    """
    y = np.asarray(values, dtype=np.float64)
    if index is None:
        index = values.index if isinstance(values, pd.Series) else pd.RangeIndex(len(y))
    n = y.shape[0]
    if y.ndim != 1 or n < 3:
        raise InputError("Gi* needs a 1-D column of at least 3 values.")
    if not np.isfinite(y).all():
        raise InputError("Gi* values contain NaN or infinity.", remedy="Fill or drop them.")
    if not (isinstance(permutations, (int, np.integer)) and permutations >= 0):
        raise InputError(f"permutations must be a non-negative integer, got {permutations!r}.")
    w = sparse.csr_array(weights, dtype=np.float64, copy=True)  # never touch the caller's
    if w.shape != (n, n):
        raise InputError(f"weights have shape {w.shape}, expected ({n}, {n}).")
    w.setdiag(0.0)
    w.eliminate_zeros()
    if not np.all(w.data == 1.0):
        raise InputError("Gi* here uses binary weights: every non-zero weight must be 1.")
    k_other = np.diff(w.indptr).astype(np.int64)
    total = float(y.sum())
    mean = total / n
    sd = math.sqrt(max(float((y**2).mean()) - mean**2, 0.0))
    if sd == 0.0 or total == 0.0:
        raise InputError(
            "Gi* is undefined when all values are equal or they sum to zero.",
            remedy="Check the column; with no variation there are no hot spots to find.",
        )
    lag = w @ y + y
    wi = k_other + 1.0
    z = gi_star_z(y, w)
    g = lag / total
    params: dict[str, Any] = {"permutations": int(permutations), "weights": "binary, self=1"}
    if exact:
        if permutations:
            raise InputError("exact p-values need no permutations: pass permutations=0 with exact=True.")
        if not np.all((y >= 0) & (y == np.round(y))) or total > EXACT_MAX_TOTAL:
            raise InputError(
                f"exact Gi* p-values need non-negative integer values (counts) summing to at most {EXACT_MAX_TOTAL}.",
                remedy="Use permutations (conditional randomisation) or analytical p-values for other values.",
            )
        p = _exact_conditional_p(y, k_other, lag)
        params["inference"] = "exact conditional randomisation"
        method = (
            "Getis-Ord Gi* (Ord & Getis 1995), two-sided exact conditional-randomisation p-value (Anselin 1995): "
            "the permutation distribution enumerated by its generating function (Pagano & Tritchler 1983), "
            "no Monte Carlo floor"
        )
    elif permutations > 0:
        rng = generator(seed, what="Gi* conditional randomisation")
        params["seed"] = recorded(seed)
        # fixed chunks of permutations, each from its own spawned generator: the counts are the
        # same whatever runs the chunks (borderscape.geo.parallel)
        ex = resolve(executor)
        # several chunks per task (a few tasks per worker): fewer round trips, same integer sums
        parts = ex.map(
            _crand_group,
            groups(spawn_chunks(rng, int(permutations), PERM_CHUNK), 4 * ex.workers),
            y=y,
            k_other=k_other,
            lag=lag,
            total=total,
        )
        extreme = np.sum(parts, axis=0)
        p = (1.0 + extreme) / (permutations + 1.0)
        method = (
            "Getis-Ord Gi* (Ord & Getis 1995), two-sided pseudo p-value by conditional randomisation (Anselin 1995)"
        )
    else:
        p = 2.0 * stats.norm.sf(np.abs(z))
        method = "Getis-Ord Gi* (Ord & Getis 1995), two-sided analytical (normal) p-value"
    return GiStar(
        z=pd.Series(z, index=index, name="gi_z"),
        p=pd.Series(p, index=index, name="gi_p"),
        g=pd.Series(g, index=index, name="gi_g"),
        neighbours=pd.Series(wi.astype(np.int64), index=index, name="neighbours"),
        method=method,
        parameters=params,
    )


def gi_star(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    distance_band: float,
    permutations: int = 0,
    seed: Seed | None = None,
    exact: bool = False,
) -> GiStar:
    """Getis–Ord Gi* hot spots with a fixed distance band.

    Binary weights: features within ``distance_band`` metres of each other (centroids for
    polygons) are neighbours, and each feature is its own neighbour. See
    :func:`gi_star_weights` for the formula and the inference; use it directly for
    k-nearest or contiguity weights.

    Parameters
    ----------
    gdf
        Points or grid cells in a projected CRS (e.g. from :func:`square_grid`).
    column
        Numeric column (e.g. ``"count"``).
    distance_band
        Neighbourhood radius (m).
    permutations
        0: analytical p-values; otherwise the number of conditional randomisations
        (e.g. 9999) for pseudo p-values.
    seed
        Integer or Generator of the permutations (required when ``permutations > 0``).
    exact
        Exact conditional-randomisation p-values for counts (:func:`gi_star_weights`).

    Returns
    -------
    GiStar
        ``.z`` and ``.p`` Series on ``gdf.index`` (``.p`` analytical when
        ``permutations == 0``); ``.classify(alpha)`` gives hot/cold cells under FDR control.

    Examples
    --------
    >>> import geopandas as gpd, numpy as np
    >>> rng = np.random.default_rng(1)
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*rng.uniform(0, 1e4, (2, 300))),
    ...                        crs=32612)
    >>> grid = square_grid(pts, 1000.0)
    >>> res = gi_star(grid, "count", distance_band=1500.0)
    >>> res.z.index.equals(grid.index)
    True
    """
    if column not in gdf.columns:
        raise InputError(f"column {column!r} is not in the layer.", remedy="Name a numeric column.")
    w = distance_band_weights(gdf, distance_band)
    result = gi_star_weights(gdf[column], w, permutations=permutations, seed=seed, index=gdf.index, exact=exact)
    params = dict(result.parameters)
    params.update({"distance_band_m": float(distance_band), "column": column})
    return GiStar(
        z=result.z,
        p=result.p,
        g=result.g,
        neighbours=result.neighbours,
        method=result.method,
        parameters=params,
    )


def fdr_bh(p: pd.Series | np.ndarray | Sequence[float], alpha: float = 0.05) -> FDRResult:
    """Benjamini–Hochberg false discovery rate control.

    Sort the ``m`` p-values ``p_(1) <= ... <= p_(m)``; reject the hypotheses with the
    ``k`` smallest, where ``k = max{i : p_(i) <= i alpha / m}``. Adjusted
    ``q_(i) = min_{j >= i} min(1, m p_(j) / j)``. Controls the FDR at ``alpha`` under
    independence or positive regression dependence (Benjamini & Hochberg 1995; Benjamini &
    Yekutieli 2001). Under the complete null the FDR is the family-wise error rate.

    Parameters
    ----------
    p
        p-values in [0, 1]; a Series keeps its index.
    alpha
        False discovery rate, in (0, 1).

    Returns
    -------
    FDRResult
    """
    if not (0 < alpha < 1):
        raise InputError(f"alpha must be in (0, 1), got {alpha!r}.")
    index = p.index if isinstance(p, pd.Series) else None
    pv = np.asarray(p, dtype=np.float64)
    if pv.ndim != 1 or pv.size == 0:
        raise InputError("p must be a non-empty 1-D sequence of p-values.")
    if not np.all((pv >= 0) & (pv <= 1)):
        raise InputError("p-values must lie in [0, 1] (no NaN).")
    m = pv.size
    order = np.argsort(pv, kind="stable")
    ranked = pv[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1.0)
    below = np.flatnonzero(pv[order] <= alpha * np.arange(1, m + 1) / m)
    threshold = float(pv[order][below.max()]) if below.size else 0.0
    reject = (pv <= threshold) if below.size else np.zeros(m, dtype=bool)
    if index is not None:
        return FDRResult(
            reject=pd.Series(reject, index=index, name="reject"),
            q=pd.Series(q, index=index, name="q"),
            threshold=threshold,
            alpha=float(alpha),
            m=m,
        )
    return FDRResult(reject=reject, q=q, threshold=threshold, alpha=float(alpha), m=m)


def gi_star_by_window(
    points: gpd.GeoDataFrame,
    date_column: str,
    windows: Sequence[tuple[Any, Any]],
    *,
    grid: gpd.GeoDataFrame,
    distance_band: float,
    permutations: int = 0,
    seed: Seed | None = None,
    exact: bool = False,
) -> WindowedGiStar:
    """Gi* of point counts on one grid, separately for each time window.

    Parameters
    ----------
    points
        Events (e.g. recovered remains) in a projected CRS with a date column.
    date_column
        Column of dates (anything ``pandas.to_datetime`` reads); rows with no date are
        not counted in any window.
    windows
        ``(start, end)`` pairs; a window holds dates with ``start <= date < end``.
    grid
        Cells from :func:`square_grid` or :func:`hex_grid`, built over all periods so that
        every window uses the same cells.
    distance_band
        Neighbourhood radius (m).
    permutations, seed
        As in :func:`gi_star`; each window gets its own independent stream spawned from
        ``seed``.
    exact
        Exact conditional-randomisation p-values of the counts (:func:`gi_star_weights`).

    Returns
    -------
    WindowedGiStar
    """
    if date_column not in points.columns:
        raise InputError(f"date column {date_column!r} is not in the points layer.")
    if not windows:
        raise InputError("give at least one (start, end) window.")
    dates = pd.to_datetime(points[date_column], errors="coerce")
    w = distance_band_weights(grid, distance_band)
    rngs: list[np.random.Generator | None] = (
        list(generator(seed, what="Gi* conditional randomisation").spawn(len(windows)))
        if permutations > 0
        else [None] * len(windows)
    )
    spans, results, columns, outside = [], [], {}, []
    for (start, end), rng in zip(windows, rngs):
        t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
        if not t1 > t0:
            raise InputError(f"window ({start}, {end}) must end after it starts.")
        inside = ((dates >= t0) & (dates < t1)).to_numpy()
        counts, out = count_points(grid, points[inside])
        label = f"{t0.date()}/{t1.date()}"
        columns[label] = counts
        res = gi_star_weights(pd.Series(counts, index=grid.index), w, permutations=permutations, seed=rng, exact=exact)
        params = dict(res.parameters)
        params.update({"distance_band_m": float(distance_band), "window": label})
        results.append(GiStar(res.z, res.p, res.g, res.neighbours, res.method, params))
        spans.append((t0, t1))
        outside.append(out)
    return WindowedGiStar(
        windows=tuple(spans),
        results=tuple(results),
        counts=pd.DataFrame(columns, index=grid.index),
        outside=tuple(outside),
    )


_STATUS = {
    (0, 1): "became hot",
    (1, 0): "stopped being hot",
    (1, 1): "stayed hot",
    (0, -1): "became cold",
    (-1, 0): "stopped being cold",
    (-1, -1): "stayed cold",
    (1, -1): "hot to cold",
    (-1, 1): "cold to hot",
    (0, 0): "neither",
}


def hotspot_change(before: GiStar, after: GiStar, *, alpha: float = 0.05, fdr: bool = True) -> HotspotChange:
    """Cells that became, stayed or stopped being hot (or cold) between two periods.

    Each period is classified with :meth:`GiStar.classify` (FDR control within each
    period by default); the status is the pair (before, after). This is descriptive: a
    cell that "became hot" passed the threshold in the later period only, which is not a
    test that its Gi* changed.

    Parameters
    ----------
    before, after
        Gi* results on the same cells (same index).
    alpha, fdr
        As in :meth:`GiStar.classify`.
    """
    if not before.z.index.equals(after.z.index):
        raise InputError(
            "before and after must be computed on the same cells.",
            remedy="Build one grid over both periods (see gi_star_by_window).",
        )
    b = before.classify(alpha, fdr=fdr)
    a = after.classify(alpha, fdr=fdr)
    status = pd.Series([_STATUS[(int(x), int(y))] for x, y in zip(b, a)], index=b.index, name="change")
    counts = {label: int((status == label).sum()) for label in _STATUS.values()}
    return HotspotChange(
        status=status,
        before=b,
        after=a,
        counts=counts,
        parameters={"alpha": float(alpha), "fdr": bool(fdr)},
    )


# ----------------------------------------------------------------------------------------
# Shares of hot cells and shifts of hot spots between two sides of a date, with dependence
# ----------------------------------------------------------------------------------------


def grid_blocks(grid: gpd.GeoDataFrame, side: int) -> np.ndarray:
    """Square blocks of ``side`` x ``side`` cells of a :func:`square_grid`: one label per cell.

    The clusters of a spatial block bootstrap (Lahiri 2003, ch. 12): cells of one block are
    drawn together, so the dependence between neighbouring cells (Gi* z-scores of cells less
    than two distance bands apart share counts) stays inside the resampled units.

    Parameters
    ----------
    grid
        Square grid with columns ``row`` and ``col``.
    side
        Block side in cells (>= 1).
    """
    if not {"row", "col"} <= set(grid.columns):
        raise InputError("blocks need a square grid with columns 'row' and 'col'.", remedy="Use square_grid.")
    if not (isinstance(side, (int, np.integer)) and side >= 1):
        raise InputError(f"block side must be a positive number of cells, got {side!r}.")
    rows = grid["row"].to_numpy(np.int64) // side
    cols = grid["col"].to_numpy(np.int64) // side
    return rows * (int(cols.max()) + 1 if len(cols) else 1) + cols


def block_side(cell_m: float, band_m: float) -> int:
    """Block side (cells) of the spatial block bootstrap: ``ceil(2 * band / cell)``, the
    distance in cells over which two Gi* neighbourhoods overlap (at least 2)."""
    return max(2, math.ceil(2.0 * band_m / cell_m - 1e-9))


@dataclass(frozen=True, eq=False)
class HotShare:
    """The share of cells that are hot spots, with a spatial block bootstrap interval.

    Attributes
    ----------
    share, ci
        Share of hot cells and its interval.
    hot, cells, blocks
        Hot cells, cells, blocks.
    block_bootstrap
        The spatial block bootstrap percentile interval (None when no cell, or every cell, is hot).
    clopper_pearson
        The interval that treats cells as independent.
    interval
        How ``ci`` was made.
    """

    share: float
    ci: tuple[float, float]
    hot: int
    cells: int
    blocks: int
    block_bootstrap: tuple[float, float] | None
    clopper_pearson: tuple[float, float]
    interval: str


def hot_share(
    hot: np.ndarray, blocks: np.ndarray, *, seed: Seed, resamples: int = 999, confidence: float = 0.95
) -> HotShare:
    """The share of cells flagged hot, with an interval that respects spatial dependence.

    Cells are resampled in whole blocks (:func:`grid_blocks`) with
    :func:`~borderscape.analyses.stats.resampling.cluster_bootstrap` (Lahiri 2003; Davison &
    Hinkley 1997, §3.8): hot cells come in clumps (a hot spot is a neighbourhood), so a
    Clopper–Pearson interval that counts cells as independent trials is too narrow.  The
    interval reported is the union of the block bootstrap percentile interval and the
    Clopper–Pearson one: positive dependence between neighbouring cells can only lower the
    number of independent units below the number of cells, and with a handful of hot cells
    in one or two blocks the percentile bootstrap is itself too narrow (it cannot reach shares
    its resamples never produce).  When no cell (or every cell) is hot the bootstrap has
    nothing to vary; the interval is then Clopper–Pearson with the blocks as the independent
    units.

    Parameters
    ----------
    hot
        True for a hot cell, one per cell.
    blocks
        Block label per cell.
    seed, resamples, confidence
        Of the bootstrap.
    """
    flag = np.asarray(hot, dtype=np.float64)
    labels = np.asarray(blocks)
    if flag.ndim != 1 or flag.size == 0 or labels.shape != flag.shape:
        raise InputError("hot and blocks must be non-empty 1-D arrays of the same length.")
    k, m = int(flag.sum()), int(flag.size)
    n_blocks = int(np.unique(labels).size)
    cp = tuple(float(v) for v in clopper_pearson(k, m, confidence))
    if 0 < k < m:
        boot = cluster_bootstrap(
            labels, lambda idx: float(flag[idx].mean()), seed=seed, resamples=resamples, confidence=confidence
        )
        block: tuple[float, float] | None = (float(boot.ci[0]), float(boot.ci[1]))
        ci = (min(block[0], cp[0]), max(block[1], cp[1]))
        how = (
            f"spatial block bootstrap percentile interval ({resamples} resamples of {n_blocks} blocks of cells; "
            "Lahiri 2003), widened to the Clopper–Pearson interval of the cells where that is wider"
        )
    else:
        block = None
        low, high = clopper_pearson(0 if k == 0 else n_blocks, n_blocks, confidence)
        ci = (float(low), float(high))
        how = f"Clopper–Pearson interval with the {n_blocks} blocks of cells as independent units (no hot cell varies)"
    return HotShare(k / m, ci, k, m, n_blocks, block, (cp[0], cp[1]), how)


def hot_spot_mean(counts: np.ndarray, weights: sparse.sparray | sparse.spmatrix, values: np.ndarray) -> np.ndarray:
    """Mean of ``values`` over cells weighted by hot-spot intensity ``max(Gi* z, 0)``.

    Parameters
    ----------
    counts
        ``(m,)`` or ``(m, k)`` counts per cell (one column per sample of records).
    weights
        Binary neighbour weights of the cells (:func:`gi_star_z`).
    values
        ``(m,)`` value per cell (slope, distance from a coast …); NaN cells get no weight.

    Returns
    -------
    numpy.ndarray
        One mean per column (NaN where no cell with a value has z > 0).
    """
    y = np.asarray(counts, dtype=np.float64)
    one = y.ndim == 1
    y = y[:, None] if one else y
    v = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(v)
    w = np.maximum(_gi_z(y, _off_diagonal(weights)), 0.0) * finite[:, None]
    total = w.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(total > 0, (w * np.where(finite, v, 0.0)[:, None]).sum(axis=0) / total, np.nan)
    return out[0:1] if one else out


@dataclass(frozen=True, eq=False)
class HotShift:
    """After minus before of a hot-spot-weighted mean (:func:`hot_spot_shift`).

    Attributes
    ----------
    estimate, ci, p_value
        The difference, its block bootstrap interval and its two-sided block permutation p-value.
    n
        Records.
    permutations
        Permutations drawn (or, when ``p_method`` is ``exact``, every assignment of the blocks).
    extreme
        Permutations at least as extreme as observed.
    p_method
        ``monte carlo``, ``exact`` (every assignment enumerated) or ``normal tail`` (none of the
        permutations reached the observed value: the tail of a normal with the permutations'
        mean and standard deviation).
    blocks
        Blocks before and after.
    valid
        Permutations and bootstrap resamples on which the statistic was defined.
    """

    estimate: float
    ci: tuple[float, float]
    p_value: float
    n: int
    permutations: int
    extreme: int
    p_method: str
    blocks: tuple[int, int]
    valid: tuple[int, int]


#: Fewest permutations at least as extreme as observed before :func:`hot_spot_shift` stops
#: adding permutations (Besag & Clifford 1991 stop sequential Monte Carlo tests after h = 10).
MIN_EXTREME = 10


def _shift(cell_idx: np.ndarray, after: np.ndarray, m: int, w: sparse.csr_array, values: np.ndarray) -> np.ndarray:
    """After minus before of :func:`hot_spot_mean`, one per column of ``after`` (records x k);
    ``w`` without its diagonal (:func:`_off_diagonal`), ``values`` finite or NaN."""
    k = after.shape[1]
    flat = cell_idx[:, None] + m * np.arange(k)[None, :]
    finite = np.isfinite(values)
    v = np.where(finite, values, 0.0)[:, None]
    out = []
    for side in (after, ~after):
        counts = np.bincount(flat[side], minlength=m * k).reshape(k, m).T.astype(np.float64)
        z = np.maximum(_gi_z(counts, w), 0.0) * finite[:, None]
        total = z.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(total > 0, (z * v).sum(axis=0) / total, np.nan))
    return out[0] - out[1]


def hot_spot_shift(
    cell_idx: np.ndarray,
    after: np.ndarray,
    values: np.ndarray,
    weights: sparse.sparray | sparse.spmatrix,
    blocks: np.ndarray,
    *,
    seed: Seed,
    permutations: int = 999,
    max_permutations: int | None = None,
    resamples: int = 999,
    confidence: float = 0.95,
    batch: int | None = None,
) -> HotShift:
    """Did hot spots move to cells of higher ``values`` after a date?  A test that keeps space and time.

    The statistic is the difference (after minus before) of the mean of ``values`` over the grid's
    cells weighted by hot-spot intensity ``max(Gi* z, 0)`` of each side's records
    (:func:`hot_spot_mean`; Ord & Getis 1995).  The grid and its neighbour weights are fixed, so
    every permutation keeps the spatial clustering of the records; what is exchanged is time.

    p-value: two-sided permutation test (``|T| >= |t|``) that exchanges whole ``blocks`` of records
    (e.g. a calendar year of recoveries) between the two sides, keeping the number of blocks on each
    side: under no change the blocks are exchangeable, and records of one block (one year's search
    effort, one month's shipwrecks) move together rather than as independent draws.  When the
    blocks allow no more assignments than ``permutations`` they are all enumerated (exact test).
    Otherwise permutations are added (x10 at a time, up to ``max_permutations``) until at least
    :data:`MIN_EXTREME` are as extreme as observed, so the p-value is never at the floor
    ``1 / (permutations + 1)`` (sequential Monte Carlo, Besag & Clifford 1991); if none is at the
    cap, the p-value is the tail of a normal with the permutations' mean and standard deviation
    (``p_method = "normal tail"``).  Interval: percentile block bootstrap, blocks resampled within
    each side (:func:`~borderscape.analyses.stats.resampling.cluster_bootstrap`).

    Parameters
    ----------
    cell_idx
        Grid cell of each record (>= 0; :func:`cell_index`).
    after
        True for a record after the date.
    values
        Value per cell (NaN: not weighted).
    weights
        Binary neighbour weights of the cells.
    blocks
        Block label per record; a block must lie on one side of the date.
    seed
        Integer or Generator: two children are spawned (permutations, bootstrap).
    permutations, max_permutations
        Permutations to start with and the most to draw (default 20 x ``permutations``).
    resamples, confidence
        Of the bootstrap interval.
    batch
        Permutations evaluated at once (default: as many as keep a cells x batch array near
        2 million numbers).

    Returns
    -------
    HotShift
    """
    cell_idx = np.asarray(cell_idx, dtype=np.int64)
    after = np.asarray(after, dtype=bool)
    labels = np.asarray(blocks)
    vals = np.asarray(values, dtype=np.float64)
    m = vals.size
    if not (cell_idx.shape == after.shape == labels.shape) or cell_idx.ndim != 1:
        raise InputError("cell_idx, after and blocks must be 1-D arrays of one length (one per record).")
    if cell_idx.size and (cell_idx.min() < 0 or cell_idx.max() >= m):
        raise InputError("every record must fall in a cell of the grid (0 <= cell_idx < cells).")
    keys, block_of = np.unique(labels, return_inverse=True)
    side = np.zeros(keys.size, dtype=np.int64)
    np.add.at(side, block_of, after.astype(np.int64))
    sizes = np.bincount(block_of, minlength=keys.size)
    if np.any((side > 0) & (side < sizes)):
        raise InputError("a block holds records on both sides of the date.", remedy="Split the blocks at the date.")
    block_after = side > 0
    n_blocks, n_after = int(keys.size), int(block_after.sum())
    if n_after == 0 or n_after == n_blocks:
        raise InputError("records on both sides of the date are needed.")
    rng_perm, rng_boot = generator(seed, what="the hot-spot shift test").spawn(2)
    weights = _off_diagonal(weights)
    batch = int(batch or max(8, min(500, 2_000_000 // max(m, 1))))
    observed = float(_shift(cell_idx, after[:, None], m, weights, vals)[0])
    cap = int(max_permutations if max_permutations is not None else 20 * permutations)
    assignments = math.comb(n_blocks, n_after)
    draws: list[np.ndarray] = []
    if assignments <= permutations:
        combos = np.zeros((assignments, n_blocks), dtype=bool)
        for r, chosen in enumerate(itertools.combinations(range(n_blocks), n_after)):
            combos[r, list(chosen)] = True
        for start in range(0, assignments, batch):
            part = combos[start : start + batch]
            draws.append(_shift(cell_idx, part[:, block_of].T, m, weights, vals))
        p_method, target = "exact", assignments
    else:
        p_method, target = "monte carlo", int(permutations)
    null = np.empty(0)
    tol = abs(observed) * (1 - 1e-12)
    while True:
        while sum(d.size for d in draws) < target:
            size = min(batch, target - sum(d.size for d in draws))
            keys_after = np.argsort(rng_perm.random((size, n_blocks)), axis=1)[:, :n_after]
            chosen = np.zeros((size, n_blocks), dtype=bool)
            np.put_along_axis(chosen, keys_after, True, axis=1)
            draws.append(_shift(cell_idx, chosen[:, block_of].T, m, weights, vals))
        null = np.concatenate(draws)
        valid = null[np.isfinite(null)]
        extreme = int(np.sum(np.abs(valid) >= tol))
        if p_method == "exact" or extreme >= MIN_EXTREME or target >= cap or not np.isfinite(observed):
            break
        target = min(cap, target * 10)
    if p_method == "exact":
        p = extreme / max(valid.size, 1)
    elif extreme > 0 or valid.size < 2:
        p = (1.0 + extreme) / (1.0 + valid.size)
    else:
        mu, sd = float(valid.mean()), float(valid.std(ddof=1))
        a = abs(observed)
        p = float(stats.norm.sf((a - mu) / sd) + stats.norm.cdf((-a - mu) / sd)) if sd > 0 else 0.0
        p_method = "normal tail"
    boot = cluster_bootstrap(
        block_of,
        lambda idx: float(_shift(cell_idx[idx], after[idx][:, None], m, weights, vals)[0]),
        seed=rng_boot,
        resamples=resamples,
        confidence=confidence,
        strata=after.astype(np.int8),
    )
    return HotShift(
        estimate=observed,
        ci=(float(boot.ci[0]), float(boot.ci[1])),
        p_value=float(min(1.0, p)),
        n=int(cell_idx.size),
        permutations=int(valid.size) if p_method != "exact" else assignments,
        extreme=extreme,
        p_method=p_method,
        blocks=(n_blocks - n_after, n_after),
        valid=(int(valid.size), int(boot.finite)),
    )
