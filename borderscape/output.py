"""The run folder: writing it in one piece, and reading it back to render without recomputing.

A run folder holds

``results.json``
    ``study``, ``seed``, ``simulated``, ``tests`` (one object per outcome), ``sources``
    (publisher, licence, citation and caveats of each input), ``caveats`` and ``records`` (per
    record layer: rows read, inside the study's region and period, and left out by reason,
    :func:`borderscape.analyses.region.record_counts`) — sorted keys,
    no timestamps and no paths, so the same inputs and seed give byte-identical files.
``study.json``
    The study as run, in the layout of a study file with every default filled in
    (:meth:`~borderscape.analyses.study.Study.to_dict`): what a renderer needs besides the results.
``tables/``
    Each table behind the outcomes as CSV, and as GeoParquet when it has geometry; and
    ``sensitivity.csv`` and ``composition.csv``, the robustness variants and the before/after
    composition of every result, led by its id (:func:`findings_tables`).
``figures/``
    The static figures (PNG at 300 dpi and SVG) where their data exist.
``map/``
    The layers of the interactive map (GeoParquet, popups already allow-listed, remains
    rounded) and ``layers.json`` describing them, so ``borderscape map --from`` draws the
    same map without recomputing.
``map.html``
    The interactive, self-contained map of :mod:`borderscape.webmap`.
``provenance.json``
    Every input file with its path and sha256, package versions, parameters, seed, and the
    start and finish times (the only timestamps of a run).

:func:`write_run` writes all of it into a hidden sibling folder and swaps it in at the end,
so a folder is always either the old complete run or the new complete run, never a mix.
:func:`borderscape.runfolder.read_run` reads one back.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import errno
import json
import math
import os
import platform
import re
import shutil
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod

from borderscape import figures, webmap
from borderscape.analyses import region
from borderscape.analyses.battery import Battery
from borderscape.analyses.battery.common import hotspot_grid
from borderscape.analyses.battery.h2_hardship import COVARIATES
from borderscape.analyses.inputs import Assembled, InputRecord
from borderscape.analyses.needs import Notice, notices
from borderscape.analyses.study import Study, working_crs
from borderscape.errors import InputError
from borderscape.figures import SIMULATED
from borderscape.geo.files import atomic_path, write_text_atomic
from borderscape.geo.raster import Raster
from borderscape.layers.schemas import Layer
from borderscape.layers.tables import write_csv
from borderscape.runfolder import RUN_FILES, study_map_data

#: Packages whose versions go into provenance.json.
PACKAGES = (
    "borderscape",
    "numpy",
    "pandas",
    "geopandas",
    "shapely",
    "pyproj",
    "rasterio",
    "numba",
    "scipy",
    "statsmodels",
    "matplotlib",
)


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


def _to_parquet(frame: pd.DataFrame, tmp: str) -> None:
    frame.to_parquet(tmp, index=False)


def _to_csv(frame: pd.DataFrame, tmp: str) -> None:
    """CSV for people and spreadsheets: text that could run as a formula is escaped
    (:func:`borderscape.layers.tables.write_csv`)."""
    write_csv(frame, tmp)


def write_json(path: Path, data: Mapping[str, Any]) -> Path:
    """Write JSON atomically: sorted keys, indented, UTF-8, no NaN."""
    text = json.dumps(
        _clean(json.loads(json.dumps(data, default=_json_default))),
        sort_keys=True,
        indent=2,
        ensure_ascii=False,
        allow_nan=False,
    )
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
            written.append(_atomic(stem.with_suffix(".parquet"), partial(_to_parquet, frame)))
        written.append(_atomic(stem.with_suffix(".csv"), partial(_to_csv, plain)))
    return written


#: The columns of ``tables/sensitivity.csv`` and ``tables/composition.csv`` (:func:`findings_tables`).
SENSITIVITY_COLUMNS = ("result", "variant", "estimate", "ci_low", "ci_high", "n", "p_value", "note")
COMPOSITION_COLUMNS = ("result", "variable", "level", "before", "after", "n_before", "n_after")


def findings_tables(tests: Sequence[Mapping[str, Any]]) -> dict[str, pd.DataFrame]:
    """The robustness and composition of every result (``results.json``'s ``tests``) as two tables,
    one row per variant or per level, led by the result's id.

    ``sensitivity``: :data:`SENSITIVITY_COLUMNS` (a variant's p-value is its own, unadjusted);
    ``composition``: :data:`COMPOSITION_COLUMNS` (shares 0–1 of the records of each side whose
    variable is known).  Both are written even when empty, so a reader finds them in every run.
    """
    sens = [
        {
            "result": t["id"],
            "variant": v["name"],
            "estimate": v.get("estimate"),
            "ci_low": None if not v.get("ci") else v["ci"][0],
            "ci_high": None if not v.get("ci") else v["ci"][1],
            "n": v.get("n"),
            "p_value": v.get("p_value"),
            "note": v.get("note", ""),
        }
        for t in tests
        for v in t.get("sensitivity") or ()
    ]
    comp = [
        {"result": t["id"], **{k: r.get(k) for k in COMPOSITION_COLUMNS[1:]}}
        for t in tests
        for r in t.get("composition") or ()
    ]
    return {
        "sensitivity": pd.DataFrame(sens, columns=list(SENSITIVITY_COLUMNS)).astype({"n": "Int64"}),
        "composition": pd.DataFrame(comp, columns=list(COMPOSITION_COLUMNS)).astype(
            {"n_before": "Int64", "n_after": "Int64"}
        ),
    }


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


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
        rows.append(
            {"epoch": date.group(0) if date else name, "area_km2": float(seen.sum()) * r.res[0] * r.res[1] / 1e6}
        )
    return pd.DataFrame(rows, columns=["epoch", "area_km2"])


def save_figure(fig: Any, folder: Path, stem: str) -> list[Path]:
    """Write a matplotlib figure as ``stem.png`` (300 dpi, for print) and ``stem.svg``, atomically,
    then close it.

    Creation dates are left out of both files' metadata; the SVG keeps its text as text.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": stem}):
        written = [
            _atomic(
                folder / f"{stem}.png", lambda tmp: fig.savefig(tmp, format="png", dpi=300, metadata={"Software": None})
            ),
            _atomic(
                folder / f"{stem}.svg",
                lambda tmp: fig.savefig(tmp, format="svg", metadata={"Date": None, "Creator": None}),
            ),
        ]
    plt.close(fig)
    return written


def write_figures(
    folder: Path, study: Study, assembled: Assembled, battery: Battery, *, simulated: bool
) -> figures.FigureFiles:
    """The figures of a run, from the inputs and the battery's tables and rasters; a figure
    whose table is absent is not drawn.

    ``study_area`` (map), ``hardship_over_time`` (``h2_records``), ``mortality_per_encounter``
    (``h4_monthly``), ``mortality_per_crossing``, ``coverage_growth`` (coverage rasters),
    ``hotspots_by_period`` (``h5_cells`` / ``m5_cells``) and ``cross_l_envelope`` (``h1_cross_l``:
    the observed cross-L, the null's centre and its global envelope at every radius of ``H1.cross_k``).

    Each figure is drawn on its own: one that fails with an error of
    :func:`borderscape.figures.figure_errors` (a typed error, or what matplotlib, shapely or pyproj
    raise on odd inputs such as a degenerate extent) is skipped, logged as a warning on this
    module's logger and listed in the result's ``skipped``
    (:class:`~borderscape.figures.SkippedFigure`: stem and reason); the others are written.  Other
    exceptions (a bug, a full disk) propagate.

    Returns
    -------
    borderscape.figures.FigureFiles
        The files written (a list of paths) and, in ``.skipped``, the figures left out and why.
    """
    import logging

    import matplotlib.pyplot as plt

    log = logging.getLogger(__name__)
    records = assembled.records
    dates = list(study.interventions)  # drawn as numbered dashed lines, named in the footer
    maritime = study.battery == "maritime"
    drawers: list[tuple[str, Callable[[], Any]]] = [
        ("study_area", lambda: area_figure(study, assembled, battery, simulated=simulated))
    ]
    h2 = battery.tables.get("h2_records")
    if h2 is not None and "year" in h2.columns:

        def hardship() -> Any:
            assert h2 is not None
            least = study.params.hardship.min_per_year
            table = figures.yearly_quantiles(h2, COVARIATES, min_per_year=least)
            if not len(table):
                return figures.SkippedFigure(
                    "hardship_over_time",
                    f"no year has at least {least} records ([parameters.hardship] min_per_year), "
                    "so no yearly quantile is drawn",
                )
            footer = _footer(
                records,
                ("deaths", "roads", "water_stations", "environment", "terrain_covariates", "dem"),
                "remains are recorded where they were found, not where people died or walked; "
                "deaths are undercounted, and more so in remote terrain.",
                simulated=simulated,
            )
            return figures.hardship_over_time(table, footer=footer, simulated=simulated, interventions=dates)

        drawers.append(("hardship_over_time", hardship))
    h4 = battery.tables.get("h4_monthly")
    if h4 is not None and {"month", "deaths", "encounters"} <= set(h4.columns) and len(h4):

        def per_encounter() -> Any:
            footer = _footer(
                records,
                ("deaths", "encounters"),
                "encounters are events, not people; remains are counted by the month they were "
                "reported, and deaths are undercounted.",
                simulated=simulated,
            )
            return figures.mortality_over_time(h4, footer=footer, simulated=simulated, interventions=dates)

        drawers.append(("mortality_per_encounter", per_encounter))
    rates = battery.tables.get("mortality_per_crossing")
    if rates is not None and len(rates):

        def per_crossing() -> Any:
            footer = _footer(
                records,
                ("crossings", "deaths"),
                "dead and missing are minimum estimates; crossings = arrivals + interceptions + dead and "
                "missing, from national figures compiled by IOM.",
                simulated=simulated,
            )
            return figures.mortality_per_crossing(rates, footer=footer, simulated=simulated, interventions=dates)

        drawers.append(("mortality_per_crossing", per_crossing))
    pullback = battery.tables.get("m6_monthly")
    if pullback is not None and len(pullback) and {"pullback_share", "aerial_detections"} <= set(pullback.columns):

        def returns() -> Any:
            footer = _footer(
                records,
                ("crossings", "incidents"),
                "attempts = interceptions by the Libyan coast guard + arrivals in Italy and Malta + dead and "
                "missing (IOM); aerial detections are the boats Frontex recorded as first seen by its aircraft, "
                "mostly boats that went on to reach Europe. An association over time, not proof of cause.",
                simulated=simulated,
            )
            return figures.pullback_share(pullback, footer=footer, simulated=simulated, interventions=dates)

        drawers.append(("pullback_share", returns))
    coverage = coverage_table(battery.rasters)
    if len(coverage):

        def growth() -> Any:
            roles: tuple[str, ...]
            if maritime:
                roles, caveat = (
                    ("operational_areas", "coastal_stations", "aerial_tracks", "dem"),
                    "coverage is the approximate operational areas plus any stations and tracks supplied; "
                    "it is where surveillance could reach, not what was watched.",
                )
            else:
                roles, caveat = (
                    ("towers", "dem"),
                    "coverage is modelled from tower positions, assumed heights and "
                    "ranges and a DEM; it is what towers could see, not what was watched.",
                )
            footer = _footer(records, roles, caveat, simulated=simulated)
            return figures.coverage_growth(coverage, footer=footer, simulated=simulated)

        drawers.append(("coverage_growth", growth))
    cells = battery.tables.get("m5_cells" if maritime else "h5_cells")
    if cells is not None and len(cells):

        def hotspots() -> Any:
            context = [
                figures.usable(layer.frame).geometry
                for role in ("coastline", "border")
                if isinstance(layer := assembled.inputs.layers.get(role), Layer)
            ]
            footer = _footer(
                records,
                ("deaths", "coastline", "border"),
                "hot spots show where records were found in a past period (Gi*, false discovery rate "
                "controlled); they do not show where people crossed or will cross. Deaths are undercounted.",
                simulated=simulated,
            )
            return figures.hotspots_by_period(
                cells,
                footer=footer,
                simulated=simulated,
                context=pd.concat(context) if context else None,
                what="incidents" if maritime else "remains",
                crs=working_crs(study),  # the study's CRS ("auto": from its region), never the cells'
            )

        drawers.append(("hotspots_by_period", hotspots))
    envelope = battery.tables.get("h1_cross_l")
    if envelope is not None:

        def cross_l() -> Any:
            footer = _footer(
                records,
                ("deaths", "towers", "dem"),
                "the envelope is the null model's acceptance region from Monte Carlo simulations; sensors "
                "are those active at the end of the study; remains are found where people died, not where "
                "they walked.",
                simulated=simulated,
            )
            return figures.envelope_chart(
                envelope, statistic="Cross-L of remains around active sensors", footer=footer, simulated=simulated
            )

        drawers.append(("cross_l_envelope", cross_l))
    written = figures.FigureFiles()
    errors = figures.figure_errors()
    for stem, draw in drawers:
        before = set(plt.get_fignums())
        try:
            fig = draw()
            if isinstance(fig, figures.SkippedFigure):
                written.skipped.append(fig)
            elif fig is not None:
                written += save_figure(fig, folder, stem)
        except errors as exc:
            for number in set(plt.get_fignums()) - before:  # the failed figure's, half drawn
                plt.close(number)
            for suffix in (".png", ".svg"):  # a format written before the other failed
                (folder / f"{stem}{suffix}").unlink(missing_ok=True)
            why = " ".join(f"{type(exc).__name__}: {exc}".split())
            written.skipped.append(figures.SkippedFigure(stem, why))
            log.warning("figure %s skipped: %s", stem, why)
    return written


#: The largest towns (GeoNames) considered for labels on the static map of the study area.
AREA_TOWNS = 40


def area_figure(study: Study, assembled: Assembled, battery: Battery, *, simulated: bool) -> Any:
    """The static map of the study area (:func:`borderscape.figures.study_area_map`): context layers,
    sensors, the latest coverage raster in the study's CRS, and remains (or sea incidents with dead
    or missing) counted per cell of the hot-spot grid (:func:`~borderscape.analyses.battery.common.hotspot_grid`),
    leaving out coarse (whole-degree) positions."""
    crs = working_crs(study)
    # the bbox with its edges densified (0.05°) so that, projected, they follow the parallels and meridians
    lonlat = shapely.segmentize(shapely.box(*study.bbox), 0.05)
    box = gpd.GeoSeries([lonlat], crs="EPSG:4326").to_crs(crs)
    # a box far wider than its working CRS can hold (a whole-world box in one UTM zone) folds when
    # projected: its area is then nothing like the box's area on the ellipsoid, and no map is drawn
    true_area = abs(Geod(ellps="WGS84").geometry_area_perimeter(lonlat)[0])
    drawn = float(box.area.iloc[0])
    if not (np.isfinite(drawn) and box.is_valid.iloc[0] and 0.5 * true_area <= drawn <= 2 * true_area):
        raise InputError(
            f"the study box {list(study.bbox)} cannot be drawn in the study's CRS {crs.to_string()}",
            remedy='use a region a few hundred kilometres across, or crs = "auto"',
        )
    layers = {
        role: figures.usable(layer.frame)
        for role, layer in assembled.inputs.layers.items()
        if isinstance(layer, Layer) and isinstance(layer.frame, gpd.GeoDataFrame)
    }
    deaths = layers.get("deaths")
    points = None
    if deaths is not None:
        precise = (
            ~deaths["location_precision"].astype("string").str.contains("coarse|no coordinates", na=False)
            if "location_precision" in deaths.columns
            else np.ones(len(deaths), bool)
        )
        inside = region.select(study, deaths).keep  # the region-and-period rule of every analysis
        points = deaths[inside & precise & (deaths.geometry.geom_type == "Point")].geometry
    names = [n for n in sorted(battery.rasters) if "coverage" in n.lower() and battery.rasters[n].crs == crs]
    coverage = None
    if names:
        r = battery.rasters[names[-1]]
        left, bottom, right, top = r.bounds
        coverage = (np.asarray(r.valid_mask() & (np.nan_to_num(r.array.astype(float)) > 0)), (left, right, bottom, top))
    maritime = study.battery == "maritime"
    roles = (
        ("deaths", "coastline", "sar_regions", "operational_areas")
        if maritime
        else ("deaths", "border", "roads", "towers", "water_stations", "dem")
    )
    footer = _footer(
        assembled.records,
        roles,
        "remains are found where people died, not where they walked; deaths are undercounted; "
        "positions are often approximate, so records are counted per cell.",
        simulated=simulated,
    )
    cell_m, _ = hotspot_grid(study, points.to_crs(crs) if points is not None else box)
    places: list[tuple[str, float, float]] = []
    if not simulated:  # a generated world has no real towns
        from borderscape.basemap import towns

        found = towns(study.bbox, limit=AREA_TOWNS)
        xy = gpd.GeoSeries(gpd.points_from_xy([t.lon for t in found], [t.lat for t in found]), crs="EPSG:4326")
        projected = xy.to_crs(crs)
        places = [(t.name, float(p.x), float(p.y)) for t, p in zip(found, projected)]
        if places:
            footer += " Place names: GeoNames (CC BY 4.0)."
    return figures.study_area_map(
        layers,
        box=box,
        title=f"{study.title}: the study area",
        footer=footer,
        cell_m=cell_m,
        records=points,
        coverage=coverage,
        simulated=simulated,
        what="incidents with dead or missing" if maritime else "recovered remains",
        places=places,
    )


# -- the interactive map's layers -------------------------------------------------------------


def map_layers(study: Study, assembled: Assembled, battery: Battery) -> list[webmap.MapLayer]:
    """The layers of a run's interactive map: its inputs, coverage by epoch, routes and hot spots."""
    credits = {r.role: r.source for r in assembled.records}
    return webmap.layers_from_inputs(study, assembled.inputs.layers, battery.rasters, battery.tables, credits)


def _layer_meta(layer: webmap.MapLayer, file: str) -> dict[str, Any]:
    return {
        "file": file,
        "name": layer.name,
        "group": layer.group,
        "kind": layer.kind,
        "fields": list(layer.fields),
        "colour": layer.colour,
        "years": None if layer.years is None else list(layer.years),
        "cluster": layer.cluster,
        "decimals": layer.decimals,
        "visible": layer.visible,
        "note": layer.note,
        "source": layer.source,
        "fill": layer.fill,
    }


def write_map_layers(folder: Path, layers: Sequence[webmap.MapLayer]) -> list[Path]:
    """Each map layer as GeoParquet (coordinates rounded to the layer's decimals, as the map shows
    them) and ``layers.json`` describing them in drawing order."""
    written, meta = [], []
    for i, layer in enumerate(layers):
        file = f"layer-{i:03d}.parquet"
        frame = layer.frame
        if layer.kind == "points" and len(frame):  # remains: no finer position on disk than on the map
            frame = frame.set_geometry(webmap.round_coordinates(frame.geometry.values, layer.decimals), crs=frame.crs)
        written.append(_atomic(folder / file, partial(_to_parquet, frame)))
        meta.append(_layer_meta(layer, file))
    written.append(write_json(folder / "layers.json", {"layers": meta}))
    return written


# -- the run folder --------------------------------------------------------------------------


def first_screen(
    study: Study, assembled: Assembled, results: Mapping[str, Any], options: Mapping[str, Any]
) -> list[Notice]:
    """The first-screen lines of a run's map (:func:`borderscape.analyses.needs.notices`)."""
    given = [r for r in ("towers", "dem") if options.get(r)]
    return notices(results, study.to_dict(), assembled.inputs.missing, given=given)


def results_record(
    study: Study, battery: Battery, records: Sequence[InputRecord], seed: int, simulated: bool
) -> dict[str, Any]:
    """The content of ``results.json``."""
    return {
        "study": study.name,
        "seed": int(seed),
        "simulated": bool(simulated),
        "tests": [o.to_dict() for o in battery.outcomes],
        "sources": [r.public() for r in sorted(records, key=lambda r: (r.role, r.source))],
        "caveats": list(study.caveats),
        # per record layer: read, inside the study region and period, and left out by reason
        "records": {role: dict(c) for role, c in getattr(battery, "records", {}).items()},
    }


def _siblings(out: Path, what: str) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.{what}-*"))


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False where
    the system or the file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(tmp: Path, out: Path) -> None:
    """Replace ``out`` by the complete folder ``tmp``.

    Where the system can (Linux), ``tmp`` and ``out`` are exchanged in one atomic step and the
    old run, now under ``tmp``'s hidden name, is removed: ``out`` is at every moment the old
    complete run or the new one.  Elsewhere the old folder is moved aside (``.<name>.old-XXXX``),
    the new one renamed into place, then the old one removed; each rename is atomic.  Between
    the two, ``out`` does not exist and the old run is complete under its hidden name: an error
    there puts it back at once, and a process killed there is repaired by the next
    :func:`write_run` into the same folder (:func:`_restore_old`).
    """
    if out.exists() and _exchange(tmp, out):
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
    if out.exists():
        os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        if old.exists() and not out.exists():
            os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _restore_old(out: Path) -> Path | None:
    """Put back the old run of a swap that was killed between its two renames.

    When ``out`` is missing and a complete run folder waits under ``.<name>.old-*`` (the newest,
    if several), it is renamed back to ``out``.  Returns the folder restored, or None.
    """
    if out.exists():
        return None
    complete = [old for old in _siblings(out, "old") if all((old / f).is_file() for f in RUN_FILES)]
    if not complete:
        return None
    newest = max(complete, key=lambda p: p.stat().st_mtime_ns)
    os.replace(newest, out)
    return newest


def write_run(
    out: str | os.PathLike[str],
    *,
    study: Study,
    assembled: Assembled,
    battery: Battery,
    seed: int,
    simulated: bool,
    started: dt.datetime,
    options: Mapping[str, Any],
) -> tuple[dict[str, Any], list[Path]]:
    """Write a run folder (see the module's docstring) in one piece.

    Everything is written into a hidden sibling folder ``.<name>.partial-XXXX`` and swapped in
    at the end (:func:`_swap_in`), so ``out`` is always either the old complete run or the new
    complete run, never a mix and never nothing:

    1. if a write was killed between the two renames of its swap (``out`` missing, a complete
       ``.<name>.old-*`` beside it), that old run is renamed back to ``out`` first;
    2. leftovers of interrupted earlier writes (``.<name>.partial-*``, ``.<name>.old-*``) are removed;
    3. the new run is written into ``.<name>.partial-XXXX`` (removed again on any error);
    4. on Linux the partial folder and ``out`` are exchanged in one atomic step
       (``renameat2(RENAME_EXCHANGE)``) and the old run, now under the partial name, removed;
       elsewhere (or on a file system without the exchange) ``out`` is renamed to
       ``.<name>.old-XXXX``, the partial folder to ``out``, and the old one removed.

    A process killed in step 3 leaves ``out`` untouched; one killed in step 4 leaves the old
    run under ``out`` or the new run under ``out`` (and, with two renames, possibly the old run
    under ``.<name>.old-*`` alone, put back by step 1 of the next write).  Leftover hidden
    siblings are removed by the next write.

    Returns
    -------
    (dict, list of Path)
        The content of ``results.json`` and the files written (inside ``out``).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a folder", remedy="give --out a folder path")
    out.parent.mkdir(parents=True, exist_ok=True)
    _restore_old(out)
    for stale in _siblings(out, "partial") + _siblings(out, "old"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        results = results_record(study, battery, assembled.records, seed, simulated)
        files = [write_json(tmp / "results.json", results), write_json(tmp / "study.json", study.to_dict())]
        findings = findings_tables(results["tests"])
        clash = sorted(set(findings) & set(battery.tables))
        if clash:
            raise AssertionError(f"a hypothesis returned a table named {clash}, which the run folder reserves")
        files += write_tables(tmp / "tables", {**battery.tables, **findings}, simulated=simulated)
        drawn = write_figures(tmp / "figures", study, assembled, battery, simulated=simulated)
        files += drawn
        layers = map_layers(study, assembled, battery)
        files += write_map_layers(tmp / "map", layers)
        files.append(
            write_text_atomic(
                tmp / "map.html",
                webmap.render(
                    study_map_data(
                        layers,
                        title=study.title,
                        bbox=study.bbox,
                        results=results,
                        notices=[n.text for n in first_screen(study, assembled, results, options)],
                    ),
                    data_dir=options.get("data_dir"),
                ),
            )
        )
        if simulated:
            files.append(
                write_text_atomic(
                    tmp / "README.txt",
                    (
                        f"{SIMULATED}\n\nEverything in this folder was made by `borderscape demo` from a generated world "
                        f"(seed {seed}): the terrain, border, roads, towers, remains and encounters are simulated.\n"
                        "Nothing here is a real place, tower or person. Use it to see what `borderscape run` writes and to "
                        "check that the tests find an effect that was planted.\n"
                    ),
                )
            )
        provenance = {
            "study": study.name,
            "simulated": simulated,
            "seed": int(seed),
            "inputs": [
                {
                    "role": r.role,
                    "source": r.source,
                    "credit": r.publisher,
                    "read_with": r.reader,
                    "files": list(r.files),
                }
                for r in assembled.records
            ],
            "missing": dict(assembled.inputs.missing),
            "records": results.get("records", {}),
            "packages": _versions(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "parameters": study.to_dict(),
            "options": dict(options),
            "outputs": sorted(str(p.relative_to(tmp)) for p in files),
            "figures_skipped": [{"figure": f.stem, "reason": f.reason} for f in drawn.skipped],
            "started": started.isoformat(),
            "finished": dt.datetime.now(dt.UTC).isoformat(),
        }
        files.append(write_json(tmp / "provenance.json", provenance))
        _swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return results, [out / p.relative_to(tmp) for p in files]
