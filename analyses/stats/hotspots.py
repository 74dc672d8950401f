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
Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57(1),
289–300.
"""

from __future__ import annotations

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

from borderscape.analyses.stats.seeds import Seed, generator, recorded
from borderscape.geo.errors import CRSError, InputError
from borderscape.geo.parallel import Executor, groups, resolve, spawn_chunks

__all__ = [
    "FDRResult",
    "GiStar",
    "HotspotChange",
    "WindowedGiStar",
    "contiguity_weights",
    "count_points",
    "distance_band_weights",
    "fdr_bh",
    "gi_star",
    "gi_star_by_window",
    "gi_star_weights",
    "gi_star_z",
    "hex_grid",
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
    y = np.asarray(values, dtype=np.float64)
    n = y.shape[0]
    w = sparse.csr_array(weights, dtype=np.float64, copy=True)  # never touch the caller's
    w.setdiag(0.0)
    w.eliminate_zeros()
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
    if permutations > 0:
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
    result = gi_star_weights(gdf[column], w, permutations=permutations, seed=seed, index=gdf.index)
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
        res = gi_star_weights(pd.Series(counts, index=grid.index), w, permutations=permutations, seed=rng)
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
