"""Run a study end to end: gather its layers, run the funnel-effect battery, write the outputs.

:func:`run_study` (``borderscape run``) reads a study file, finds each layer it names (a
catalog id in the data mirror or cache, or a file path), runs
:func:`borderscape.analyses.funnel.run_battery` and writes, into one folder:

``results.json``
    ``study``, ``seed``, ``simulated``, ``tests`` (one object per outcome), ``sources``
    (publisher, licence, citation and caveats of each input) and ``caveats`` — sorted keys,
    no timestamps and no paths, so the same inputs and seed give byte-identical files.
``tables/``
    Each table behind the outcomes as CSV, and as GeoParquet when it has geometry.
``figures/``
    A map of the study area, hardship over time, mortality per encounter or per crossing,
    coverage growth, hot spots by period and the cross-L envelope, where their data exist
    (PNG at 300 dpi and SVG).
``map.html``
    The interactive, self-contained Leaflet map of :mod:`borderscape.webmap` (layer
    control, time slider, clusters), with sources and caveats.
``provenance.json``
    Every input file with its path and sha256, package versions, parameters, seed, and the
    start and finish times (the only timestamps of a run).

:func:`run_demo` (``borderscape demo``) does the same on a simulated world; every output
then says ``SIMULATED DATA``.  A layer that cannot be found does not stop a run: the tests
that need it are skipped with the reason and the remedy.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
import json
import math
import os
import platform
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from borderscape import figures
from borderscape.analyses.funnel import Battery, inputs_from_world, run_battery, world_study
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.study import Study, load_study, working_crs
from borderscape.errors import BorderscapeError, InputError, RasterError, SourceNotFound, StudyError
from borderscape.geo.crs import local_crs
from borderscape.geo.files import atomic_path, write_text_atomic
from borderscape.geo.raster import Raster, mosaic
from borderscape.layers.catalog import CATALOG
from borderscape.layers.fetch import locate, remedy_for, sha256_file
from borderscape.layers.ingest import ingest, read_sensor_file
from borderscape.layers.schemas import Layer, RasterLayer

SIMULATED = "SIMULATED DATA"
#: The reader used for a file path given under a study's ``[layers]`` (by role).
ROLE_READER = {
    "deaths": "pcome", "terrain_covariates": "pcome-terrain", "border": "ibwc-boundary",
    "roads": "tiger-roads-az", "water_stations": "hb-water-stations", "stations": "usbp-stations",
    "encounters": "cbp-encounters", "environment": "az-env-grid", "towers": "eff-towers",
}
#: Roles of a maritime study whose user files (stations, tracks, areas) are read in the format
#: documented in :func:`borderscape.layers.ingest.read_sensor_file`.
SENSOR_FILE_ROLES = ("coastal_stations", "aerial_tracks", "operational_areas")
#: Command-line options that supply a role directly.
ROLE_OPTION = {"towers": "--towers FILE (a CSV, GeoJSON or KML of towers)",
               "dem": "--dem FILE (an elevation GeoTIFF)"}
#: Packages whose versions go into provenance.json.
PACKAGES = ("borderscape", "numpy", "pandas", "geopandas", "shapely", "pyproj", "rasterio", "numba",
            "scipy", "statsmodels", "matplotlib")


@dataclass(frozen=True)
class InputRecord:
    """Where one input layer came from.

    Attributes
    ----------
    role
        The study role (``deaths``, ``towers``, ``dem`` …).
    source
        Catalog id, or ``file`` for a file read with no catalog entry.
    publisher, licence, citation, caveats
        From the catalog (or stated for a user's file / simulated world).
    files
        ``{"path", "sha256", "how"}`` per file read (empty for simulated layers).
    """

    role: str
    source: str
    publisher: str
    licence: str
    citation: str
    caveats: str
    files: tuple[Mapping[str, str], ...] = ()

    def public(self) -> dict[str, str]:
        """The entry of ``results.json``'s ``sources`` list (no paths)."""
        return {"role": self.role, "id": self.source, "publisher": self.publisher, "licence": self.licence,
                "citation": self.citation, "caveats": self.caveats}


@dataclass(frozen=True, eq=False)
class Assembled:
    """A study's inputs and the record of where each came from."""

    inputs: StudyInputs
    records: tuple[InputRecord, ...]


@dataclass(frozen=True, eq=False)
class RunOutput:
    """What a run wrote: the folder, the battery and the ``results.json`` content."""

    out: Path
    battery: Battery
    results: dict[str, Any]
    files: tuple[Path, ...] = field(default=())


# -- inputs ----------------------------------------------------------------------------------

study_crs = working_crs


def _study_box(study: Study) -> shapely.Polygon:
    return shapely.box(*study.bbox)


def prepare_dem(raster: Raster, study: Study) -> Raster:
    """A DEM resampled (bilinear) to the study's CRS and cell size and clipped to its bbox.

    Raises
    ------
    RasterError
        When the DEM does not overlap the study's bounding box.
    """
    crs = study_crs(study)
    res = float(study.resolution_m)
    already = raster.crs == crs and math.isclose(raster.res[0], res) and math.isclose(raster.res[1], res)
    grid = raster if already else raster.reproject(crs, res=res)
    clipped = grid.clip(_study_box(study), crs="EPSG:4326", crop=True)
    if not clipped.valid_mask().any():
        raise RasterError("the DEM holds no elevation inside the study's bounding box",
                          remedy=f"give a DEM that covers part of {list(study.bbox)} (west, south, east, north in degrees)")
    return clipped


def read_dem(path: str | os.PathLike, study: Study) -> Raster:
    """Read a DEM file (only the window over the study area), then :func:`prepare_dem`.

    Raises
    ------
    RasterError, CRSError
        When the file cannot be read as a raster, has no CRS, or misses the study area.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"the DEM file {path} does not exist", remedy="check the path given with --dem")
    return prepare_dem(Raster.read(path, bounds=study.bbox, bounds_crs="EPSG:4326"), study)


def _record(role: str, source_id: str, files: list[dict[str, str]]) -> InputRecord:
    src = CATALOG.get(source_id)
    if src is None:
        return InputRecord(role, "file", "user-supplied file", "as stated by its publisher",
                           "cite the file's publisher", "a user-supplied file: check its provenance", tuple(files))
    return InputRecord(role, src.id, src.publisher, src.licence, src.citation, src.caveats, tuple(files))


def reader_for(path: Path, role: str) -> str | None:
    """The catalog source whose file-name patterns match ``path`` (so its reader is used), else
    the default source of ``role`` (:data:`ROLE_READER`), else None."""
    name = path.name.lower()
    for source in CATALOG.values():
        if any(fnmatch.fnmatchcase(name, p.glob.lower()) for p in source.patterns):
            return source.id
    return ROLE_READER.get(role)


def _missing_reason(role: str, exc: BorderscapeError, source_id: str) -> str:
    """Why a role is missing and how to supply it — without any path of this machine."""
    src = CATALOG[source_id]
    what = f"source {src.id!r} ({src.title}) was not found in the data folder or the download cache"
    remedy = exc.remedy or remedy_for(src)
    if role in ROLE_OPTION:
        remedy = f"pass {ROLE_OPTION[role]}; or {remedy}"
    return f"{what}. What to do: {remedy}"


def assemble_inputs(study: Study, *, data_dir: str | os.PathLike | None = None,
                    towers: str | os.PathLike | None = None, dem: str | os.PathLike | None = None,
                    step: Callable[[str], None] = lambda _: None) -> Assembled:
    """Find and ingest every layer a study names.

    Parameters
    ----------
    study
        The study; ``study.layers`` maps roles to catalog ids or file paths (relative paths
        are read relative to the study file).
    data_dir
        Local mirror folder (default: ``borderscape.settings.data_dir``).
    towers
        A towers file (overrides the study's ``towers`` layer), read with the ``eff-towers``
        reader.
    dem
        An elevation file (overrides the study's ``dem`` layer), resampled to the study's CRS
        and resolution and clipped to its bounding box.
    step
        Called with the role before each layer is read (for progress display).

    Returns
    -------
    Assembled
        The inputs by role, with a ``missing`` reason (and remedy) for each layer not found.

    Raises
    ------
    BorderscapeError
        A file that exists but cannot be read (a missing source is not an error).
    """
    from borderscape import settings

    data_dir = data_dir if data_dir is not None else settings.data_dir
    roles = dict(study.layers)
    if towers is not None:
        roles["towers"] = str(towers)
    if dem is not None:
        roles["dem"] = str(dem)
    layers: dict[str, Layer | RasterLayer | Raster] = {}
    missing: dict[str, str] = {}
    records: list[InputRecord] = []
    given = {r for r, v in (("towers", towers), ("dem", dem)) if v is not None}
    for role in sorted(roles, key=lambda r: (r not in given, r)):  # files given as options first: fail fast
        value = roles[role]
        step(role)
        explicit = role in given
        is_id = value in CATALOG and not explicit
        path = None if is_id else Path(value).expanduser()
        if path is not None and not path.is_absolute() and study.path is not None and not explicit:
            path = study.path.parent / path
        how = "given (option)" if explicit else "given (study file)"
        if path is not None and not path.exists():
            if explicit:
                raise InputError(f"the file {path} does not exist", remedy=f"check the path given with --{role}")
            missing[role] = (f"{value!r} under [layers] {role} in the study is neither a catalog id (see `borderscape "
                             "sources`) nor an existing file (a relative path is read from the study file's folder). "
                             "What to do: correct it")
            continue
        if role == "dem":
            if path is not None:
                layers[role] = read_dem(path, study)
                records.append(_record(role, "file", [{"path": str(path.resolve()), "sha256": sha256_file(path),
                                                       "how": how}]))
                continue
            try:
                located = locate(value, data_dir=data_dir)
            except SourceNotFound as exc:
                missing[role] = _missing_reason(role, exc, value)
                continue
            layers[role] = prepare_dem(mosaic([str(p) for p in located.paths], bounds=study.bbox,
                                              crs=study_crs(study), res=float(study.resolution_m)), study)
            records.append(_record(role, value, [{"path": str(p.resolve()), "sha256": h, "how": located.how}
                                                 for p, h in zip(located.paths, located.sha256)]))
            continue
        if path is not None and role in SENSOR_FILE_ROLES:
            layers[role] = read_sensor_file(path)
            records.append(_record(role, "file", [{"path": str(path.resolve()), "sha256": sha256_file(path),
                                                   "how": how}]))
            continue
        source_id = value if is_id else (ROLE_READER[role] if explicit else reader_for(path, role))
        if source_id is None:
            raise InputError(f"the study's layer {role!r} is a file, but borderscape has no reader for role {role!r}",
                             remedy=f"name a catalog id for it (see `borderscape sources`), or use one of the roles "
                                    f"{', '.join(sorted(ROLE_READER))}")
        try:
            layer = ingest(source_id, path, data_dir=data_dir if path is None else None)
        except SourceNotFound as exc:
            missing[role] = _missing_reason(role, exc, source_id)
            continue
        layers[role] = layer
        files = [{"path": str(Path(f["path"]).resolve()), "sha256": f["sha256"],
                  "how": f["how"] if path is None else how} for f in layer.report.files]
        records.append(_record(role, source_id, files))
    return Assembled(StudyInputs(layers=layers, missing=missing, simulated=False), tuple(records))


# -- writing ---------------------------------------------------------------------------------

def _atomic(path: Path, write: Callable[[str], None]) -> Path:
    """Write through ``write(tmp)`` into a temporary file of the same folder, then rename it."""
    with atomic_path(path) as tmp:
        write(str(tmp))
    return path


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, (Path, CRS)):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def _clean(value: Any) -> Any:
    """Non-finite floats become None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def write_json(path: Path, data: Mapping[str, Any]) -> Path:
    """Write JSON atomically: sorted keys, indented, UTF-8, no NaN."""
    text = json.dumps(_clean(json.loads(json.dumps(data, default=_json_default))), sort_keys=True, indent=2,
                      ensure_ascii=False, allow_nan=False)
    return write_text_atomic(path, text + "\n")


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "table"


def write_tables(folder: Path, tables: Mapping[str, pd.DataFrame], *, simulated: bool) -> list[Path]:
    """Each table as CSV (geometry as WKT), and as GeoParquet when it has geometry.

    A simulated run's tables get a first column ``data`` holding ``SIMULATED DATA``.
    """
    written = []
    for name in sorted(tables):
        frame = tables[name]
        if simulated:
            frame = frame.copy()
            frame.insert(0, "data", SIMULATED)
        stem = folder / _slug(name)
        plain = pd.DataFrame(frame)
        if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
            plain[frame.geometry.name] = frame.geometry.to_wkt()
            written.append(_atomic(stem.with_suffix(".parquet"), lambda tmp, f=frame: f.to_parquet(tmp, index=False)))
        written.append(_atomic(stem.with_suffix(".csv"), lambda tmp, p=plain: p.to_csv(tmp, index=False)))
    return written


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def study_parameters(study: Study) -> dict[str, Any]:
    """Everything of the study that shapes the numbers (for provenance.json)."""
    return {
        "bbox": list(study.bbox), "crs": study.crs, "resolution_m": study.resolution_m,
        "start": study.start.isoformat(), "end": study.end.isoformat(),
        "interventions": [{"name": i.name, "date": i.date.isoformat(), "note": i.note} for i in study.interventions],
        "layers": dict(study.layers),
        "sensors": {k: {"height_m": s.height_m, "range_m": s.range_m,
                        "active_from": None if s.active_from is None else s.active_from.isoformat(), "basis": s.basis}
                    for k, s in study.sensors.items()},
        "parameters": {k: dict(v) for k, v in study.parameters.items()},
    }


def _footer(records: tuple[InputRecord, ...], roles: tuple[str, ...], caveat: str, *, simulated: bool) -> str:
    names = [r.publisher for r in records if r.role in roles]
    src = "; ".join(dict.fromkeys(names)) or "none"
    text = f"Sources: {src}. Caveat: {caveat}"
    return f"{SIMULATED}: generated by borderscape, not real records. " + text if simulated else text


def coverage_table(rasters: Mapping[str, Raster]) -> pd.DataFrame:
    """Area (km²) of cells seen by at least one active sensor, per raster whose name holds
    ``coverage``; the epoch is the ISO date in the name (else the name)."""
    rows = []
    for name in sorted(rasters):
        if "coverage" not in name.lower():
            continue
        r = rasters[name]
        seen = np.asarray(r.valid_mask() & (np.nan_to_num(r.array.astype(float)) > 0))
        date = re.search(r"\d{4}-\d{2}-\d{2}", name)
        rows.append({"epoch": date.group(0) if date else name, "area_km2": float(seen.sum()) * r.res[0] * r.res[1] / 1e6})
    return pd.DataFrame(rows, columns=["epoch", "area_km2"])


def save_figure(fig: Any, folder: Path, stem: str) -> list[Path]:
    """Write a matplotlib figure as ``stem.png`` (300 dpi, for print) and ``stem.svg``, atomically,
    then close it.

    Creation dates are left out of both files' metadata; the SVG keeps its text as text.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": stem}):
        written = [_atomic(folder / f"{stem}.png", lambda tmp: fig.savefig(tmp, format="png", dpi=300,
                                                                           metadata={"Software": None})),
                   _atomic(folder / f"{stem}.svg", lambda tmp: fig.savefig(tmp, format="svg",
                                                                           metadata={"Date": None, "Creator": None}))]
    plt.close(fig)
    return written


def write_figures(folder: Path, study: Study, assembled: Assembled, battery: Battery, *, simulated: bool) -> list[Path]:
    """The figures of a run, from the inputs and the battery's tables and rasters; a figure
    whose table is absent is not drawn.

    ``study_area`` (map), ``hardship_over_time`` (``h2_records``), ``mortality_per_encounter``
    (``h4_monthly``), ``mortality_per_crossing``, ``coverage_growth`` (coverage rasters),
    ``hotspots_by_period`` (``h5_cells`` / ``m5_cells``) and ``cross_l_envelope`` (``h1_cross_l``:
    the observed cross-L, the null's centre and its global envelope at every radius of ``H1.cross_k``).
    """
    from borderscape.analyses.hardship import COVARIATES

    records = assembled.records
    dates = [i.date for i in study.interventions]
    written: list[Path] = []
    written += save_figure(study_map(study, assembled, battery, simulated=simulated), folder, "study_area")
    h2 = battery.tables.get("h2_records")
    if h2 is not None and "year" in h2.columns:
        table = figures.yearly_quantiles(h2, COVARIATES, min_per_year=int(study.parameter("hardship", "min_per_year", 3)))
        if len(table):
            footer = _footer(records, ("deaths", "roads", "water_stations", "environment", "terrain_covariates", "dem"),
                             "remains are recorded where they were found, not where people died or walked; "
                             "deaths are undercounted, and more so in remote terrain.", simulated=simulated)
            fig = figures.hardship_over_time(table, footer=footer, simulated=simulated, interventions=dates)
            written += save_figure(fig, folder, "hardship_over_time")
    h4 = battery.tables.get("h4_monthly")
    if h4 is not None and {"month", "deaths", "encounters"} <= set(h4.columns) and len(h4):
        footer = _footer(records, ("deaths", "encounters"),
                         "encounters are events, not people; remains are counted by the month they were "
                         "reported, and deaths are undercounted.", simulated=simulated)
        fig = figures.mortality_over_time(h4, footer=footer, simulated=simulated, interventions=dates)
        written += save_figure(fig, folder, "mortality_per_encounter")
    rates = battery.tables.get("mortality_per_crossing")
    if rates is not None and len(rates):
        footer = _footer(records, ("crossings", "deaths"),
                         "dead and missing are minimum estimates; crossings = arrivals + interceptions + dead and "
                         "missing, from national figures compiled by IOM.", simulated=simulated)
        written += save_figure(figures.mortality_per_crossing(rates, footer=footer, simulated=simulated,
                                                              interventions=dates), folder, "mortality_per_crossing")
    coverage = coverage_table(battery.rasters)
    if len(coverage):
        if study.battery == "maritime":
            roles, caveat = (("operational_areas", "coastal_stations", "aerial_tracks", "dem"),
                             "coverage is the approximate operational areas plus any stations and tracks supplied; "
                             "it is where surveillance could reach, not what was watched.")
        else:
            roles, caveat = (("towers", "dem"), "coverage is modelled from tower positions, assumed heights and "
                             "ranges and a DEM; it is what towers could see, not what was watched.")
        footer = _footer(records, roles, caveat, simulated=simulated)
        written += save_figure(figures.coverage_growth(coverage, footer=footer, simulated=simulated), folder,
                                "coverage_growth")
    maritime = study.battery == "maritime"
    cells = battery.tables.get("m5_cells" if maritime else "h5_cells")
    if cells is not None and len(cells):
        context = [figures.usable(layer.frame).geometry for role in ("coastline", "border")
                   if isinstance(layer := assembled.inputs.layers.get(role), Layer)]
        footer = _footer(records, ("deaths", "coastline", "border"),
                         "hot spots show where records were found in a past period (Gi*, false discovery rate "
                         "controlled); they do not show where people crossed or will cross. Deaths are undercounted.",
                         simulated=simulated)
        fig = figures.hotspots_by_period(cells, footer=footer, simulated=simulated,
                                         context=pd.concat(context) if context else None,
                                         what="incidents" if maritime else "remains")
        written += save_figure(fig, folder, "hotspots_by_period")
    table = battery.tables.get("h1_cross_l")
    if table is not None:
        footer = _footer(records, ("deaths", "towers", "dem"),
                         "the envelope is the null model's acceptance region from Monte Carlo simulations; sensors "
                         "are those active at the end of the study; remains are found where people died, not where "
                         "they walked.", simulated=simulated)
        written += save_figure(figures.envelope_chart(table, statistic="Cross-L of remains around active sensors",
                                                      footer=footer, simulated=simulated), folder, "cross_l_envelope")
    return written


def study_map(study: Study, assembled: Assembled, battery: Battery, *, simulated: bool) -> Any:
    """The static map of the study area (:func:`borderscape.figures.study_area_map`): context layers,
    sensors, the latest coverage raster in the study's CRS, and remains (or sea incidents with dead
    or missing) counted per ``hotspot_cell_m`` cell, leaving out coarse (whole-degree) positions."""
    crs = study_crs(study)
    box = gpd.GeoSeries([_study_box(study)], crs="EPSG:4326").to_crs(crs)
    layers = {role: figures.usable(layer.frame) for role, layer in assembled.inputs.layers.items()
              if isinstance(layer, Layer) and isinstance(layer.frame, gpd.GeoDataFrame)}
    deaths = layers.get("deaths")
    points = None
    if deaths is not None:
        precise = ~deaths["location_precision"].astype("string").str.contains("coarse|no coordinates", na=False) \
            if "location_precision" in deaths.columns else np.ones(len(deaths), bool)
        points = deaths[precise & (deaths.geometry.geom_type == "Point")].geometry
    names = [n for n in sorted(battery.rasters) if "coverage" in n.lower() and battery.rasters[n].crs == crs]
    coverage = None
    if names:
        r = battery.rasters[names[-1]]
        left, bottom, right, top = r.bounds
        coverage = (np.asarray(r.valid_mask() & (np.nan_to_num(r.array.astype(float)) > 0)), (left, right, bottom, top))
    maritime = study.battery == "maritime"
    roles = ("deaths", "coastline", "sar_regions", "operational_areas") if maritime else \
        ("deaths", "border", "roads", "towers", "water_stations", "dem")
    footer = _footer(assembled.records, roles,
                     "remains are found where people died, not where they walked; deaths are undercounted; "
                     "positions are often approximate, so records are counted per cell.", simulated=simulated)
    return figures.study_area_map(layers, box=box, title=f"{study.title}: the study area", footer=footer,
                                  cell_m=float(study.parameter("statistics", "hotspot_cell_m", 5000.0)),
                                  records=points, coverage=coverage, simulated=simulated,
                                  what="incidents with dead or missing" if maritime else "recovered remains")


# -- the map ----------------------------------------------------------------------------------

def map_html(study: Study, assembled: Assembled, results: Mapping[str, Any], *, simulated: bool,
             battery: Battery | None = None) -> str:
    """The interactive, self-contained Leaflet map of a run (:mod:`borderscape.webmap`): remains
    aggregated into clusters, border, roads, towers and the other inputs, coverage by epoch,
    modelled routes and hot spots from ``battery``, a time slider, the outcomes, and every
    source's publisher, licence, citation and caveats.  Every text is escaped; popups show
    no personal data; no network request.
    """
    from borderscape import webmap

    layers = webmap.layers_from_inputs(study, assembled.inputs.layers, battery.rasters if battery else {},
                                       battery.tables if battery else {})
    return webmap.build_map(layers, title=study.title, sources=results["sources"], caveats=results["caveats"],
                            simulated=simulated, bbox=study.bbox, outcomes=results["tests"])


# -- the run ---------------------------------------------------------------------------------

@contextlib.contextmanager
def _progress(total: int, enabled: bool | None) -> Iterator[Callable[[str], None]]:
    """A progress bar on a terminal (stderr); a no-op callback otherwise."""
    from rich.console import Console
    from rich.progress import Progress

    from borderscape import settings

    console = Console(stderr=True)
    show = enabled if enabled is not None else (settings.progress if settings.progress is not None else console.is_terminal)
    if not show:
        yield lambda _: None
        return
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("starting", total=total)

        def step(what: str) -> None:
            bar.update(task, advance=1, description=what)

        yield step


def _results(study: Study, battery: Battery, records: tuple[InputRecord, ...], seed: int, simulated: bool) -> dict[str, Any]:
    return {
        "study": study.name, "seed": int(seed), "simulated": bool(simulated),
        "tests": [o.to_dict() for o in battery.outcomes],
        "sources": [r.public() for r in sorted(records, key=lambda r: (r.role, r.source))],
        "caveats": list(study.caveats),
    }


def write_outputs(out: Path, study: Study, assembled: Assembled, battery: Battery, *, seed: int, simulated: bool,
                  started: dt.datetime, options: Mapping[str, Any]) -> RunOutput:
    """Write results.json, tables/, figures/, map.html (and README.txt for a simulated run),
    then provenance.json last."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results = _results(study, battery, assembled.records, seed, simulated)
    files = [write_json(out / "results.json", results)]
    files += write_tables(out / "tables", battery.tables, simulated=simulated)
    files += write_figures(out / "figures", study, assembled, battery, simulated=simulated)
    files.append(write_text_atomic(out / "map.html", map_html(study, assembled, results, simulated=simulated,
                                                                     battery=battery)))
    if simulated:
        files.append(write_text_atomic(out / "README.txt", (
            f"{SIMULATED}\n\nEverything in this folder was made by `borderscape demo` from a generated world "
            f"(seed {seed}): the terrain, border, roads, towers, remains and encounters are simulated.\n"
            "Nothing here is a real place, tower or person. Use it to see what `borderscape run` writes and to "
            "check that the tests find an effect that was planted.\n")))
    provenance = {
        "study": study.name, "simulated": simulated, "seed": int(seed),
        "inputs": [{"role": r.role, "source": r.source, "files": list(r.files)} for r in assembled.records],
        "missing": dict(assembled.inputs.missing),
        "packages": _versions(), "python": platform.python_version(), "platform": platform.platform(),
        "parameters": study_parameters(study), "options": dict(options),
        "outputs": sorted(str(p.relative_to(out)) for p in files),
        "started": started.isoformat(), "finished": dt.datetime.now(dt.timezone.utc).isoformat(),
    }
    files.append(write_json(out / "provenance.json", provenance))
    return RunOutput(out, battery, results, tuple(files))


def run_study(study: str | os.PathLike | Study, *, data_dir: str | os.PathLike | None = None,
              towers: str | os.PathLike | None = None, dem: str | os.PathLike | None = None,
              out: str | os.PathLike | None = None, seed: int | None = None,
              progress: bool | None = None, workers: int | None = None,
              scheduler: str | None = None) -> RunOutput:
    """Run a study's funnel-effect battery and write every output.

    Parameters
    ----------
    study
        A shipped study name (``arizona-sonora``), the path of a TOML file, or a :class:`Study`.
    data_dir
        Local mirror folder (default ``BORDERSCAPE_DATA``).
    towers, dem
        Files that supply the ``towers`` / ``dem`` layers (see :func:`assemble_inputs`).
    out
        Output folder (default ``out/<study name>``).
    seed
        Overrides the study's seed.
    progress
        Show progress: None (default) only on a terminal.
    workers, scheduler
        Run the viewsheds, routes and simulations on a local Dask cluster of ``workers``
        processes, or on the cluster of the scheduler at ``scheduler``
        (:func:`borderscape.geo.parallel.open_executor`); None/1: in this process.  The
        numbers, and results.json, are the same; provenance.json records both.

    Returns
    -------
    RunOutput

    Raises
    ------
    StudyError
        Unknown or malformed study.
    DaskMissing
        ``workers`` > 1 or ``scheduler`` without Dask installed.
    BorderscapeError
        An input that exists but cannot be read (an unreadable DEM …).
    """
    from borderscape.geo.parallel import open_executor

    started = dt.datetime.now(dt.timezone.utc)
    st = study if isinstance(study, Study) else load_study(study)
    seed = st.seed if seed is None else int(seed)
    out = Path(out) if out is not None else Path("out") / st.name
    with open_executor(workers, scheduler), _progress(len(st.layers) + 4, progress) as step:
        assembled = assemble_inputs(st, data_dir=data_dir, towers=towers, dem=dem, step=lambda r: step(f"reading {r}"))
        step("running the battery")
        battery = run_battery(st, assembled.inputs, seed=seed)
        step("writing outputs")
        options = {"data_dir": None if data_dir is None else str(Path(data_dir).resolve()),
                   "towers": None if towers is None else str(Path(towers).resolve()),
                   "dem": None if dem is None else str(Path(dem).resolve()), "out": str(out.resolve()),
                   "workers": workers, "scheduler": scheduler}
        return write_outputs(out, st, assembled, battery, seed=seed, simulated=False, started=started, options=options)


def run_studies(studies: list[str | os.PathLike | Study], *, data_dir: str | os.PathLike | None = None,
                towers: str | os.PathLike | None = None, dem: str | os.PathLike | None = None,
                out: str | os.PathLike | None = None, seed: int | None = None, workers: int | None = None,
                scheduler: str | None = None) -> list[RunOutput]:
    """Run several studies, each as one task (:func:`run_study`, into ``out/<study name>``).

    With ``workers`` or ``scheduler`` the studies run at once, one per worker at a time, each
    serially inside its task; without, one after the other.  Each study's outputs are the same
    as those of :func:`run_study` alone.  ``towers`` and ``dem`` are given to every study
    (a whole-border file serves each region); ``seed`` overrides every study's seed.

    Raises
    ------
    StudyError
        An unknown or malformed study, or two studies with the same name (their outputs
        would overwrite each other).
    """
    from borderscape.geo.parallel import open_executor

    loaded = [s if isinstance(s, Study) else load_study(s) for s in studies]
    names = [s.name for s in loaded]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise StudyError(f"two studies are named {', '.join(twice)}: their outputs would go to the same folder",
                         remedy="give each study file its own [study] name")
    base = Path(out) if out is not None else Path("out")
    with open_executor(workers, scheduler) as ex:
        return ex.map(_study_task, loaded, data_dir=data_dir, towers=towers, dem=dem, base=base, seed=seed)


def _study_task(study: Study, *, base: Path, **options: Any) -> RunOutput:
    return run_study(study, out=base / study.name, progress=False, **options)


def run_demo(*, out: str | os.PathLike | None = None, seed: int = 0, progress: bool | None = None,
             workers: int | None = None, scheduler: str | None = None) -> RunOutput:
    """Simulate a world (:func:`borderscape.analyses.worlds.simulate_world`), run the battery
    on it and write the same outputs as :func:`run_study`, each marked ``SIMULATED DATA``.
    ``workers`` and ``scheduler`` as in :func:`run_study`."""
    from borderscape.analyses.worlds import simulate_world
    from borderscape.geo.parallel import open_executor

    started = dt.datetime.now(dt.timezone.utc)
    out = Path(out) if out is not None else Path("out") / "demo"
    with open_executor(workers, scheduler), _progress(3, progress) as step:
        step("simulating a world")
        world = simulate_world(seed=seed)
        study = world_study(world, seed=seed)
        inputs = inputs_from_world(world)
        record = lambda role: InputRecord(role, "simulated", f"{SIMULATED}: borderscape simulate_world (seed {seed})",  # noqa: E731
                                          "generated data, no licence needed", "borderscape.analyses.worlds.simulate_world",
                                          f"{SIMULATED}: not a real place, tower or person.")
        assembled = Assembled(inputs, tuple(record(role) for role in sorted(inputs.layers)))
        step("running the battery")
        battery = run_battery(study, inputs, seed=seed)
        step("writing outputs")
        return write_outputs(out, study, assembled, battery, seed=seed, simulated=True, started=started,
                             options={"out": str(out.resolve()), "world": dict(world.truth.params),
                                      "workers": workers, "scheduler": scheduler})
