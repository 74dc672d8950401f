"""A budget of memory and work, checked before a study's heavy steps start.

A study's region (``bbox``, ``crs``, ``resolution_m``) gives the size of its raster grid
without reading anything, and its parameters give the size of its simulations.  From them
:func:`estimate` computes what a run would hold in memory and how many elementary operations
it would do; :func:`check` refuses, with a :class:`BudgetError` that says the estimate in
plain units and which knob to turn, a run over the :class:`Budget`.  The estimate is checked
twice by :func:`borderscape.analyses.inputs.assemble_inputs`: before any layer is read (the
grid, hot spots and simulations: a 1 m grid is refused before the DEM is opened), and once
the towers and remains are read but before the battery runs (viewsheds, coverage epochs,
permutations of records).

Memory (bytes)
--------------
``cells × (BYTES_PER_CELL + BYTES_PER_EPOCH_CELL × epochs) + hot-spot cells × BYTES_PER_HOTSPOT_CELL``
(+ the DEM file's window at its own resolution, read before it is resampled).

* :data:`BYTES_PER_CELL` = 64 for the funnel battery.  The most the battery holds at once per
  cell, counted in the code: the DEM (float32, 4 B, held all run); H2's terrain —
  :func:`borderscape.geo.terrain.slope` works on a float64 copy (8) and returns float32 (4),
  then :func:`~borderscape.geo.terrain.focal_mean` allocates the zero-filled values, weights,
  two uniform-filter outputs and the result, five float64 arrays (40), and the valid mask (1):
  57 B; accumulated cost (H2 energy, H3 routes) holds ~22 B per padded cell (float32
  elevations, float32 multiplier, int32 heap index, bool mask, float64 cost, int8 backlink)
  plus the float32 multiplier given (4) and the DEM: ≤ 30 B.  64 = the H2 peak rounded up
  for the resampled DEM's temporary (:meth:`~borderscape.geo.raster.Raster.reproject` writes a
  float32 grid while the source is held).  Maritime battery: 16 (the int32 study grid and the
  int32 running total of :func:`~borderscape.analyses.sensors.sea_coverage`, a uint8 and a
  bool mask per vectorised coverage, and the DEM when one is given).
* :data:`BYTES_PER_EPOCH_CELL` = 8 (funnel): an int32 coverage count per epoch, held twice —
  H1 returns its epochs' rasters in the battery (kept until the run is written) while H3
  computes its own (:func:`~borderscape.analyses.sensors.epoch_coverage`).  Maritime: 4 (an
  int32 count per date kept by M2).
* :data:`BYTES_PER_HOTSPOT_CELL` = 512: a hot-spot cell is a shapely polygon of 5 vertices in a
  GeoDataFrame (GEOS geometry ~250 B with its Python object), its row, column and index
  (int64), its distance-band weights (a sparse row of ~9 float64 values with int32 indices,
  ~110 B) and a handful of float64 per-cell statistics of the Gi* (z, p, counts, lags).

Work (operations)
-----------------
Each part is counted in its own units and weighted by :data:`OPS_PER_UNIT`, the elementary
operations (~1 ns of one core) a unit takes (measured: a viewshed cell 72, a Dijkstra move 39,
a Gi* neighbour term 1):

* ``viewsheds``: 2 × Σ_towers min(π r² / res², cells) — each tower's R2 sweep evaluates every
  cell of its disc of range r once, and H1 and H3 each compute the coverage;
* ``coverage``: 2 × cells × epochs (adding viewsheds into each epoch's count, H1 and H3);
* ``routes``: surfaces × cells × 8 — one Dijkstra over the grid (8 neighbour moves per cell) per
  cost surface: H2's energy from the border and H3's unconstrained one and one per epoch, each
  again per walker variant of the sensitivity analysis (:data:`SENSITIVITY_WALKERS`), plus one per
  epoch per avoidance variant (:data:`SENSITIVITY_AVOIDANCE`) when ``[parameters.routes]
  sensitivity`` is on — plus origins × (rows + cols) per H3 surface to trace the routes down the
  backlinks.  (A surface is accumulated towards the destination once; the origins only trace
  paths on it, so the work is not origins × cells.)
* ``hotspots``: permutations × hot-spot cells × neighbours in the band × windows (the Gi*
  conditional randomisation of each period, and H5's slope comparison);
* ``records``: max(permutations, bootstrap) × records × :data:`RECORD_RESAMPLINGS` (the
  permutation and bootstrap loops over remains of H1 … H5 or M1 … M5).

Hot-spot cells = ⌈W / hotspot_cell_m⌉ × ⌈H / hotspot_cell_m⌉ over the study's bounding box
(W, H its projected sides): an upper bound, the records' extent lies inside the box.  Before
the towers are read ``epochs`` is 1 and ``viewsheds`` 0, so the first check is a lower bound
of the second.

Defaults
--------
Memory: :data:`DEFAULT_MEMORY_SHARE` (50 %) of this machine's physical memory
(``os.sysconf``); work: :data:`DEFAULT_MAX_WORK` = 1.8·10¹² operations (about ten minutes of one
core).  The shipped studies estimate at most ~2.3·10¹⁰ operations and ~1.4 GiB (Arizona–Sonora
at 90 m with a DEM); 100,000 towers of 12 km at 90 m estimate ~1.1·10¹⁰ viewshed-cell
evaluations (~8·10¹¹ operations), and a 1 m grid over Arizona ~11 TiB.  Raise them deliberately with ``--max-memory GB`` / ``--max-work
OPS`` (``borderscape run``, ``map``, ``brief``) or ``max_memory_gb=`` / ``max_work=`` of
:func:`borderscape.run`, or for a block of code with :func:`limits`.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from borderscape.analyses.study import Study, working_crs
from borderscape.geo.errors import InputError

__all__ = [
    "BYTES_PER_CELL",
    "BYTES_PER_EPOCH_CELL",
    "BYTES_PER_HOTSPOT_CELL",
    "DEFAULT_MAX_WORK",
    "DEFAULT_MEMORY_SHARE",
    "Budget",
    "BudgetError",
    "Estimate",
    "check",
    "estimate",
    "grid_shape",
    "limits",
]

#: Bytes held at once per raster cell of the study grid, by battery (see the module docstring).
BYTES_PER_CELL: dict[str, int] = {"funnel": 64, "maritime": 16}
#: Walker variants (terrain factor, load, downhill model) and avoidance strengths of the H2/H3
#: sensitivity analyses (``analyses.routes.energy_variants``, ``VARIANT_AVOIDANCE``).
SENSITIVITY_WALKERS = 6
SENSITIVITY_AVOIDANCE = 3

#: Bytes per raster cell per coverage epoch (int32 counts; funnel: H1's and H3's).
BYTES_PER_EPOCH_CELL: dict[str, int] = {"funnel": 8, "maritime": 4}
#: Bytes per cell of the Gi* hot-spot grid (polygon, indices, weights, statistics).
BYTES_PER_HOTSPOT_CELL = 512
#: Bytes per cell of a DEM file's window read at its own resolution (float32 read + float32 copy).
BYTES_PER_SOURCE_CELL = 8
#: Share of the machine's physical memory a run may use by default.
DEFAULT_MEMORY_SHARE = 0.5
#: Default work budget, in elementary operations (about 1 ns of one core each here): 1.8·10¹²,
#: about half an hour of one core.
DEFAULT_MAX_WORK = 1.8e12
#: Elementary operations per unit of each part of the work, measured on a 1,500 × 1,500 grid at
#: 90 m (one core): a viewshed-cell evaluation of the R2 sweep (12 km, 40 m tower) 72 ns, a
#: Dijkstra move of the Pandolf accumulated cost 39 ns, a Gi* neighbour term of a conditional
#: permutation 1.1 ns; adding a cell to a coverage count 1; a resampled record ~10.
OPS_PER_UNIT: dict[str, float] = {"viewsheds": 72.0, "coverage": 1.0, "routes": 39.0, "hotspots": 1.0, "records": 10.0}
#: What one unit of each part is, in words.
UNITS: dict[str, str] = {
    "viewsheds": "viewshed-cell evaluations",
    "coverage": "coverage-cell updates",
    "routes": "Dijkstra moves",
    "hotspots": "Gi* neighbour terms",
    "records": "resampled records",
}
#: Permutation/bootstrap loops over records in a battery (an upper bound of H1 … H5, M1 … M5).
RECORD_RESAMPLINGS = 16
#: Neighbour moves per cell of the Dijkstra of accumulated cost.
DIJKSTRA_MOVES = 8
#: Hot-spot cell side when ``hotspot_cell_m`` is not set: funnel ≤ a tenth of the records'
#: extent (at most 11 × 11 cells), maritime 25 km.
MARITIME_HOTSPOT_CELL_M = 25_000.0

GiB = 1024**3


class BudgetError(InputError):
    """A run would need more memory or work than its budget: refused before the work starts."""


def machine_memory() -> int | None:
    """Physical memory of this machine in bytes (``os.sysconf``), None where unknown."""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    return int(pages) * int(size) if pages > 0 and size > 0 else None


@dataclass(frozen=True)
class Budget:
    """How much memory (bytes) and work (operations) a run may take.

    Build with :meth:`of`: ``Budget.of(max_memory_gb=32, max_work=1e11)``; None takes the
    defaults (or those set by :func:`limits`).
    """

    max_memory: int
    max_work: float
    memory_basis: str = ""

    @classmethod
    def of(cls, max_memory_gb: float | None = None, max_work: float | None = None) -> Budget:
        """A budget of ``max_memory_gb`` GiB and ``max_work`` operations (None: the defaults)."""
        outer = _LIMITS.get()
        if max_memory_gb is None and outer is not None and outer[0] is not None:
            max_memory_gb = outer[0]
        if max_work is None and outer is not None and outer[1] is not None:
            max_work = outer[1]
        for name, v in (("--max-memory", max_memory_gb), ("--max-work", max_work)):
            if v is not None and not (math.isfinite(v) and v > 0):
                raise InputError(f"{name} must be a positive number, got {v!r}")
        if max_memory_gb is not None:
            memory, basis = int(max_memory_gb * GiB), f"{max_memory_gb:g} GiB as given"
        else:
            total = machine_memory()
            if total is None:
                memory, basis = 8 * GiB, "8 GiB (this machine's memory is unknown)"
            else:
                memory = int(total * DEFAULT_MEMORY_SHARE)
                basis = f"{DEFAULT_MEMORY_SHARE:.0%} of this machine's {_bytes(total)}"
        return cls(memory, DEFAULT_MAX_WORK if max_work is None else float(max_work), basis)


_LIMITS: contextvars.ContextVar[tuple[float | None, float | None] | None] = contextvars.ContextVar(
    "borderscape_budget", default=None
)


@contextlib.contextmanager
def limits(max_memory_gb: float | None = None, max_work: float | None = None) -> Iterator[None]:
    """Within the block, :meth:`Budget.of` defaults to these limits (GiB, operations)."""
    token = _LIMITS.set((max_memory_gb, max_work))
    try:
        yield
    finally:
        _LIMITS.reset(token)


@dataclass(frozen=True)
class Estimate:
    """What a run would hold and do, estimated from the study (and its layers once read).

    Attributes
    ----------
    cells
        Raster cells of the study grid (rows × cols over the projected bbox at ``resolution_m``);
        0 when the study has no raster (no DEM and no maritime grid).
    shape
        (rows, cols) of that grid.
    hotspot_cells
        Cells of the Gi* grid (upper bound).
    memory
        Bytes held at once (see the module docstring).
    memory_parts
        Bytes by part: ``raster``, ``coverage``, ``hotspots``, ``dem_file``.
    work
        Elementary operations: Σ parts × :data:`OPS_PER_UNIT`.
    work_parts
        Units by part (see :data:`UNITS`): ``viewsheds``, ``coverage``, ``routes``,
        ``hotspots``, ``records``.
    towers, epochs, records
        The counts the estimate rests on (None: not read yet).
    stage
        ``"study"`` (before any layer is read) or ``"layers"`` (after).
    """

    cells: int
    shape: tuple[int, int]
    hotspot_cells: int
    memory: int
    memory_parts: Mapping[str, int]
    work: float
    work_parts: Mapping[str, float]
    resolution_m: float
    towers: int | None = None
    epochs: int | None = None
    records: int | None = None
    stage: str = "study"
    factors: Mapping[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (for provenance.json's options)."""
        out = asdict(self)
        out["shape"] = list(self.shape)
        out["memory_gib"] = round(self.memory / GiB, 3)
        out["memory_parts"] = dict(self.memory_parts)
        out["work_parts"] = {k: float(v) for k, v in self.work_parts.items()}
        out["factors"] = dict(self.factors)
        return out


def grid_shape(study: Study, res: float | None = None) -> tuple[int, int]:
    """(rows, cols) of the study grid: the bbox projected to the working CRS (its edges sampled
    at 21 points each) in cells of ``res`` (default ``resolution_m``) metres; nothing is read."""
    width, height = _projected_sides(study)
    res = max(float(study.resolution_m if res is None else res), 1e-3)
    return max(1, math.ceil(height / res)), max(1, math.ceil(width / res))


def _projected_sides(study: Study) -> tuple[float, float]:
    from pyproj import Transformer

    w, s, e, n = study.bbox
    tr = Transformer.from_crs("EPSG:4326", working_crs(study), always_xy=True)
    lon = [w + (e - w) * i / 20 for i in range(21)]
    lat = [s + (n - s) * i / 20 for i in range(21)]
    xs, ys = tr.transform(lon + lon + [w] * 21 + [e] * 21, [s] * 21 + [n] * 21 + lat + lat)
    return float(max(xs) - min(xs)), float(max(ys) - min(ys))


def _hotspot(study: Study, width: float, height: float) -> tuple[int, float, int, int]:
    """(cells, neighbours in band, windows, permutations) of the Gi* grid."""
    st = study.params.statistics
    if study.battery == "maritime":
        cell = st.hotspot_cell_m or MARITIME_HOTSPOT_CELL_M
        perms = study.params.maritime.hotspot_permutations
    else:
        cell = st.hotspot_cell_m
        perms = st.permutations
    if cell is None:
        cells = 11 * 11
        band_cells = 1.5
    else:
        cells = max(1, math.ceil(width / cell)) * max(1, math.ceil(height / cell))
        band_cells = (st.hotspot_band_m / cell) if st.hotspot_band_m is not None else 1.5
    reach = math.floor(band_cells)
    neighbours = float(min(cells, (2 * reach + 1) ** 2))
    windows = len(st.hotspot_periods or study.interventions) + 2
    return cells, neighbours, windows, int(perms)


def estimate(
    study: Study,
    *,
    raster: bool | None = None,
    tower_ranges: Sequence[float] | None = None,
    epochs: int | None = None,
    records: int | None = None,
    dem_file: str | os.PathLike[str] | None = None,
    origins: int | None = None,
) -> Estimate:
    """Estimate the memory (bytes) and work (operations) of running ``study``.

    Parameters
    ----------
    study
        The study: its bbox, working CRS and ``resolution_m`` give the grid.
    raster
        Whether a raster grid is computed on (default: a ``dem`` layer is named, or the study
        is maritime, whose coverage is gridded).
    tower_ranges
        Range (m) of each tower once the towers are read (None: not read yet: no viewsheds).
    epochs
        Coverage epochs (distinct dates at which the set of active sensors changes); default 1.
    records
        Remains/incident records once read (None: not read yet).
    dem_file
        A DEM file: its header (not its cells) gives the window read at its own resolution.
    origins
        Route origins (default ``[parameters.routes] origins``).

    Returns
    -------
    Estimate
    """
    kind = study.battery
    width, height = _projected_sides(study)
    res = float(study.resolution_m)
    rows, cols = max(1, math.ceil(height / res)), max(1, math.ceil(width / res))
    has_raster = ("dem" in study.layers or dem_file is not None or kind == "maritime") if raster is None else raster
    cells = rows * cols if has_raster else 0
    n_epochs = max(1, int(epochs)) if epochs is not None else 1
    hot_cells, neighbours, windows, perms = _hotspot(study, width, height)
    per_cell = BYTES_PER_CELL.get(kind, 64)
    per_epoch = BYTES_PER_EPOCH_CELL.get(kind, 8)
    memory_parts = {
        "raster": cells * per_cell,
        "coverage": cells * per_epoch * n_epochs,
        "hotspots": hot_cells * BYTES_PER_HOTSPOT_CELL,
        "dem_file": _dem_file_cells(dem_file, study) * BYTES_PER_SOURCE_CELL if dem_file is not None else 0,
    }
    disc = [min(math.pi * r * r / (res * res), float(cells)) for r in (tower_ranges or ()) if math.isfinite(r)]
    towers = None if tower_ranges is None else len(tower_ranges)
    has_towers = cells > 0 and (towers or 0) > 0
    work_parts: dict[str, float] = {
        "viewsheds": 2.0 * sum(disc),
        "coverage": 2.0 * cells * n_epochs if has_towers else 0.0,
        "routes": 0.0,
        "hotspots": float(perms) * hot_cells * neighbours * windows,
        "records": float(max(perms, study.params.displacement.bootstrap)) * (records or 0) * RECORD_RESAMPLINGS,
    }
    if kind == "funnel" and cells:
        n_orig = study.params.routes.origins if origins is None else origins
        # H2's energy surface and one per walker variant (its sensitivity);  H3: the free surface and one
        # per epoch, again per walker variant, plus one per epoch per avoidance variant
        # (analyses.routes.energy_variants, VARIANT_AVOIDANCE; not imported here: routes pulls in geopandas)
        sensitive = study.params.routes.sensitivity
        walkers = 1 + (SENSITIVITY_WALKERS if sensitive else 0)
        h3 = (1 + n_epochs) * walkers + (SENSITIVITY_AVOIDANCE * n_epochs if sensitive else 0)
        traced = h3 if towers is None or towers > 0 else 0
        surfaces = walkers + traced
        work_parts["routes"] = float(surfaces * cells * DIJKSTRA_MOVES + n_orig * (rows + cols) * traced)
    return Estimate(
        cells=cells,
        shape=(rows, cols),
        hotspot_cells=hot_cells,
        memory=int(sum(memory_parts.values())),
        memory_parts=memory_parts,
        work=float(sum(v * OPS_PER_UNIT[k] for k, v in work_parts.items())),
        work_parts=work_parts,
        resolution_m=res,
        towers=towers,
        epochs=n_epochs if epochs is not None else None,
        records=records,
        stage="study" if tower_ranges is None and records is None else "layers",
        factors={
            "bytes_per_cell": per_cell,
            "bytes_per_epoch_cell": per_epoch,
            "bytes_per_hotspot_cell": BYTES_PER_HOTSPOT_CELL,
            "hotspot_neighbours": neighbours,
            "hotspot_windows": windows,
            "permutations": perms,
            "record_resamplings": RECORD_RESAMPLINGS,
            "dijkstra_moves": DIJKSTRA_MOVES,
        },
    )


def _dem_file_cells(path: str | os.PathLike[str], study: Study) -> int:
    """Cells of the window of a DEM file over the study's bbox at the file's own resolution,
    from its header; 0 when the header cannot be read (the read then fails with its own error)."""
    try:
        import rasterio
        from rasterio.warp import transform_bounds

        with rasterio.open(Path(path)) as src:
            if src.crs is None:
                return 0
            left, bottom, right, top = transform_bounds("EPSG:4326", src.crs, *study.bbox, densify_pts=21)
            fl, fb, fr, ft = src.bounds
            w = max(0.0, min(right, fr) - max(left, fl))
            h = max(0.0, min(top, ft) - max(bottom, fb))
            xres, yres = abs(src.res[0]), abs(src.res[1])
            return math.ceil(w / xres) * math.ceil(h / yres)
    except Exception:  # noqa: BLE001 - only an estimate: the read reports the real problem
        return 0


def _bytes(n: float) -> str:
    for unit, size in (("TiB", 1024**4), ("GiB", GiB), ("MiB", 1024**2)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n / 1024:.1f} KiB"


def _duration(ops: float) -> str:
    seconds = ops * 1e-9
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def _count(n: float) -> str:
    return f"{n:,.0f}" if n < 1e7 else f"{n:.2g}"


def check(est: Estimate, budget: Budget, study: Study) -> None:
    """Refuse an estimate over ``budget`` with a :class:`BudgetError` naming the knob to turn.

    Raises
    ------
    BudgetError
        Memory or work over the budget.
    """
    raise_flag = "or, deliberately, raise the budget: --max-memory GB (borderscape.run(..., max_memory_gb=...))"
    if est.memory > budget.max_memory:
        parts = est.memory_parts
        big = max(parts, key=lambda k: parts[k])
        why = {
            "raster": f"{_count(est.cells)} raster cells ({est.shape[0]:,} × {est.shape[1]:,} at {est.resolution_m:g} m "
            f"over the bbox) × {est.factors['bytes_per_cell']:g} bytes per cell",
            "coverage": f"{_count(est.cells)} raster cells × {est.epochs or 1} coverage epochs × "
            f"{est.factors['bytes_per_epoch_cell']:g} bytes",
            "hotspots": f"{_count(est.hotspot_cells)} hot-spot cells × {BYTES_PER_HOTSPOT_CELL} bytes",
            "dem_file": "the DEM file's window over the bbox at its own resolution",
        }[big]
        knob = {
            "raster": _coarser(est, budget, study) + ", or a smaller [region] bbox",
            "coverage": _coarser(est, budget, study) + ", a smaller [region] bbox, or fewer towers (fewer epochs)",
            "hotspots": f"a larger [parameters.statistics] hotspot_cell_m (now {_cell_text(study)}) or a smaller bbox",
            "dem_file": "a coarser DEM file (or one cut to the study's region), or a smaller bbox",
        }[big]
        raise BudgetError(
            f"this run would need about {_bytes(est.memory)} of memory ({why}), more than the budget of "
            f"{_bytes(budget.max_memory)} ({budget.memory_basis}); refused before any work",
            remedy=f"set {knob}; {raise_flag}",
        )
    if est.work > budget.max_work:
        parts = est.work_parts
        big = max(parts, key=lambda k: parts[k] * OPS_PER_UNIT[k])
        towers, records = est.towers or 0, est.records or 0
        what = {
            "viewsheds": (
                f"{_count(parts['viewsheds'])} viewshed-cell evaluations ({towers:,} towers × π r² / res² "
                f"at {est.resolution_m:g} m, twice: H1 and H3)",
                "fewer towers (--towers FILE with a subset), shorter ranges, a coarser [region] resolution_m "
                "or a smaller bbox",
            ),
            "coverage": (
                f"{_count(parts['coverage'])} coverage-cell updates ({_count(est.cells)} cells × "
                f"{est.epochs or 1} epochs, twice)",
                "a coarser [region] resolution_m, a smaller bbox or fewer towers (fewer epochs)",
            ),
            "routes": (
                f"{_count(parts['routes'])} Dijkstra moves ({_count(est.cells)} cells × {DIJKSTRA_MOVES} "
                "neighbours per cost surface, with the H2/H3 sensitivity analyses' variants)",
                "a coarser [region] resolution_m, a smaller bbox, or [parameters.routes] sensitivity = false "
                "(H3 then reports no sensitivity to the walker and the avoidance: say so when you publish)",
            ),
            "hotspots": (
                f"{_count(parts['hotspots'])} Gi* operations ({est.factors['permutations']:,.0f} permutations × "
                f"{_count(est.hotspot_cells)} hot-spot cells × {est.factors['hotspot_neighbours']:g} neighbours × "
                f"{est.factors['hotspot_windows']:g} periods)",
                "fewer permutations ([parameters.statistics] permutations, or [parameters.maritime] "
                "hotspot_permutations) or a larger hotspot_cell_m",
            ),
            "records": (
                f"{_count(parts['records'])} resampled records ({records:,} records × "
                f"{est.factors['permutations']:,.0f} permutations × {RECORD_RESAMPLINGS} tests)",
                "fewer [parameters.statistics] permutations / [parameters.displacement] bootstrap",
            ),
        }[big]
        raise BudgetError(
            f"this run would take about {est.work:.2g} operations (~{_duration(est.work)} of one core), mostly "
            f"{what[0]}, more than the work budget of {budget.max_work:.2g} operations (~{_duration(budget.max_work)}); "
            "refused before any work",
            remedy=f"set {what[1]}; or, deliberately, raise the budget: --max-work OPS "
            "(borderscape.run(..., max_work=...))",
        )


def _cell_text(study: Study) -> str:
    c = study.params.statistics.hotspot_cell_m
    return "derived" if c is None else f"{c:g} m"


def _coarser(est: Estimate, budget: Budget, study: Study) -> str:
    """``a coarser [region] resolution_m (N m or more would fit)``."""
    fixed = est.memory_parts.get("hotspots", 0) + est.memory_parts.get("dem_file", 0)
    grid = est.memory - fixed
    room = budget.max_memory - fixed
    if grid <= 0 or room <= 0:
        return "a coarser [region] resolution_m"
    fit = est.resolution_m * math.sqrt(grid / room)
    nice = next((r for r in (5, 10, 15, 20, 25, 30, 50, 60, 90, 100, 120, 150, 250, 500, 1000) if r >= fit), None)
    hint = f"{nice} m or coarser would fit" if nice is not None else f"about {math.ceil(fit)} m would fit"
    return f"a coarser [region] resolution_m (now {est.resolution_m:g} m; {hint})"
