"""A study's inputs: the layers it runs on, by role, where each came from, and why any is missing.

:func:`assemble_inputs` finds every layer a study names — a catalog id in the data mirror or
the download cache, or a file path — and ingests it; a DEM is resampled to the study's working
CRS and cell size and clipped to its region.  A layer that cannot be found is not an error: it
is recorded in :attr:`StudyInputs.missing` with the reason and the remedy, and the tests that
need it are skipped.
"""

from __future__ import annotations

import fnmatch
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from borderscape.analyses.budget import Budget, Estimate, check, estimate
from borderscape.analyses.study import Study, working_crs
from borderscape.geo.errors import BorderscapeError, InputError, RasterError, SourceNotFound
from borderscape.geo.raster import Raster, mosaic
from borderscape.layers.catalog import CATALOG
from borderscape.layers.fetch import locate, remedy_for, sha256_file
from borderscape.layers.ingest import ingest, read_sensor_file
from borderscape.layers.schemas import Layer, RasterLayer

#: The reader used for a file path given under a study's ``[layers]`` (by role).
ROLE_READER = {
    "deaths": "pcome",
    "terrain_covariates": "pcome-terrain",
    "border": "ibwc-boundary",
    "roads": "tiger-roads-az",
    "water_stations": "hb-water-stations",
    "stations": "usbp-stations",
    "encounters": "cbp-encounters",
    "environment": "az-env-grid",
    "towers": "eff-towers",
}
#: Roles of a maritime study whose user files (stations, tracks, areas) are read in the format
#: documented in :func:`borderscape.layers.ingest.read_sensor_file`.
SENSOR_FILE_ROLES = ("coastal_stations", "aerial_tracks", "operational_areas")
#: Command-line options that supply a role directly.
ROLE_OPTION = {"towers": "--towers FILE (a CSV, GeoJSON or KML of towers)", "dem": "--dem FILE (an elevation GeoTIFF)"}
#: What a role needs: the layer kinds it accepts, the geometry families it reads ("point",
#: "line", "polygon"; empty for a table), and catalog ids that serve it (for the remedy).  Read
#: from the batteries: the border may be an area (its outline is used), the environment grid
#: is points or cells, the coastline lines or land polygons.
ROLE_NEEDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "deaths": (("deaths",), ("point",), ("pcome", "iom-mmp", "iom-mmp-europe")),
    "terrain_covariates": (("deaths",), ("point",), ("pcome-terrain",)),
    "incidents": (("deaths",), ("point",), ("frontex-incidents",)),
    "towers": (("sensors",), ("point",), ("eff-towers",)),
    "coastal_stations": (("sensors",), ("point",), ()),
    "aerial_tracks": (("sensors",), ("line",), ()),
    "operational_areas": (("sensors",), ("polygon",), ("frontex-opareas",)),
    "border": (("context",), ("line", "polygon"), ("ibwc-boundary",)),
    "roads": (("context",), ("line",), ("tiger-roads-az",)),
    "coastline": (("context",), ("line", "polygon"), ("gshhg",)),
    "water_stations": (("context",), ("point",), ("hb-water-stations",)),
    "stations": (("context",), ("point",), ("usbp-stations",)),
    "sar_regions": (("context",), ("polygon",), ("imo-srr",)),
    "environment": (("context",), ("point", "polygon"), ("az-env-grid",)),
    "encounters": (("table",), (), ("cbp-encounters",)),
    "crossings": (("table",), (), ("iom-med-monthly", "unhcr-arrivals", "frontex-detections")),
}
_FAMILY = {0: "point", 4: "point", 1: "line", 2: "line", 5: "line", 3: "polygon", 6: "polygon"}
_PLURAL = {"point": "points", "line": "lines", "polygon": "polygons"}


@dataclass(frozen=True, eq=False)
class StudyInputs:
    """The layers a study runs on, by role, and what is missing.

    Attributes
    ----------
    layers
        Role (see :data:`ROLES`) → ingested :class:`Layer` (vector or table), or a
        :class:`Raster` / :class:`RasterLayer` for ``dem``.
    missing
        Role → why it is absent and how to supply it (used verbatim in skip reasons).
    simulated
        True when the layers come from a simulated world.
    """

    layers: Mapping[str, Layer | RasterLayer | Raster]
    missing: Mapping[str, str] = field(default_factory=dict)
    simulated: bool = False

    def get(self, role: str) -> Layer | RasterLayer | Raster | None:
        """The layer of ``role`` or None."""
        return self.layers.get(role)

    def dem(self) -> Raster | None:
        """The elevation raster, whichever form it was given in."""
        value = self.layers.get("dem")
        if isinstance(value, RasterLayer):
            return value.raster
        return value if isinstance(value, Raster) else None

    def why_missing(self, *roles: str) -> str | None:
        """None when every role is present, else the reasons of the missing ones."""
        absent = [r for r in roles if self.layers.get(r) is None]
        if not absent:
            return None
        return " ".join(
            f"No {r} layer: {self.missing.get(r, f'name one under [layers] {r} in the study file')}" for r in absent
        )


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
        return {
            "role": self.role,
            "id": self.source,
            "publisher": self.publisher,
            "licence": self.licence,
            "citation": self.citation,
            "caveats": self.caveats,
        }


@dataclass(frozen=True, eq=False)
class Assembled:
    """A study's inputs and the record of where each came from."""

    inputs: StudyInputs
    records: tuple[InputRecord, ...]
    #: The budget estimate checked before the battery (:mod:`borderscape.analyses.budget`).
    estimate: Estimate | None = None


def _study_box(study: Study) -> shapely.Polygon:
    return shapely.box(*study.bbox)


def prepare_dem(raster: Raster, study: Study) -> Raster:
    """A DEM resampled (bilinear) to the study's CRS and cell size and clipped to its bbox.

    Raises
    ------
    RasterError
        When the DEM does not overlap the study's bounding box.
    """
    crs = working_crs(study)
    res = float(study.resolution_m)
    already = raster.crs == crs and math.isclose(raster.res[0], res) and math.isclose(raster.res[1], res)
    grid = raster if already else raster.reproject(crs, res=res)
    clipped = grid.clip(_study_box(study), crs="EPSG:4326", crop=True)
    if not clipped.valid_mask().any():
        raise RasterError(
            "the DEM holds no elevation inside the study's bounding box",
            remedy=f"give a DEM that covers part of {list(study.bbox)} (west, south, east, north in degrees)",
        )
    return clipped


def read_dem(path: str | os.PathLike[str], study: Study) -> Raster:
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
        return InputRecord(
            role,
            "file",
            "user-supplied file",
            "as stated by its publisher",
            "cite the file's publisher",
            "a user-supplied file: check its provenance",
            tuple(files),
        )
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


def check_kind(role: str, layer: Layer, source: str) -> None:
    """Refuse a layer whose kind or geometry is not what ``role`` needs (:data:`ROLE_NEEDS`).

    The geometry family is that of most of the layer's non-empty geometries.

    Raises
    ------
    InputError
        Naming the role, the source, what it holds, what the role needs and catalog ids that
        serve the role.
    """
    needs = ROLE_NEEDS.get(role)
    if needs is None:
        return
    kinds, families, ids = needs
    held_family = ""
    counts: dict[str, int] = {}
    geoms = getattr(layer.frame, "geometry", None) if "geometry" in layer.frame.columns else None
    if geoms is not None:
        values = np.asarray(geoms.values, dtype=object)
        present = values[~(shapely.is_missing(values) | shapely.is_empty(values))]
        for type_id, n in zip(*np.unique(shapely.get_type_id(present), return_counts=True)):
            family = _FAMILY.get(int(type_id), "geometry collection")
            counts[family] = counts.get(family, 0) + int(n)
        if counts:
            held_family = max(counts, key=lambda f: counts[f])
    kind_ok = layer.kind in kinds
    if not families:
        geometry_ok = not counts
    elif counts:
        geometry_ok = held_family in families
    else:  # no geometry at all: a table, or every row without a position (the quality report says)
        geometry_ok = geoms is not None
    if kind_ok and geometry_ok:
        return
    src = CATALOG.get(source)
    name = f"{source!r} ({src.title})" if src is not None else repr(source)
    held = (
        f"{_PLURAL.get(held_family, held_family)} ({counts[held_family]:,} of {len(layer.frame):,} rows)"
        if held_family
        else "no geometries (a table)"
    )
    need = " or ".join(_PLURAL[f] for f in families) if families else "a table without geometries"
    ids_text = (
        f"name under [layers] {role} a catalog id that holds {need}, e.g. {', '.join(ids)} (see `borderscape sources`)"
        if ids
        else f"give a file of {need} under [layers] {role} (see `borderscape sources`)"
    )
    raise InputError(
        f"the layer for role {role!r}, source {name}, is a {layer.kind} layer of {held}, "
        f"but {role!r} needs {need} ({' or '.join(kinds)} layer)",
        remedy=ids_text + (f", or pass {ROLE_OPTION[role]}" if role in ROLE_OPTION else ""),
    )


def layers_estimate(
    study: Study, layers: Mapping[str, Layer | RasterLayer | Raster], *, dem_file: Path | None = None
) -> Estimate:
    """The budget estimate (:func:`borderscape.analyses.budget.estimate`) once the layers are
    read: the DEM's own grid, the towers' ranges and epochs (defaults per kind filled, as the
    battery places them), the number of remains or incidents."""
    value = layers.get("dem")
    dem = value.raster if isinstance(value, RasterLayer) else value if isinstance(value, Raster) else None
    towers = layers.get("towers")
    ranges: list[float] | None = []
    epochs: int | None = None
    if dem is not None and isinstance(towers, Layer):
        from borderscape.analyses.sensors import deployment

        dep = deployment(study, towers.frame, dem)
        ranges = [float(r) for r in dep.range_]
        epochs = max(1, int(dep.changes.size))
    records = sum(len(v.frame) for r, v in layers.items() if r in ("deaths", "incidents") and isinstance(v, Layer))
    has_raster = dem is not None or study.battery == "maritime"
    return estimate(study, raster=has_raster, tower_ranges=ranges, epochs=epochs, records=records, dem_file=dem_file)


def assemble_inputs(
    study: Study,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    towers: str | os.PathLike[str] | None = None,
    dem: str | os.PathLike[str] | None = None,
    step: Callable[[str], None] = lambda _: None,
    budget: Budget | None = None,
) -> Assembled:
    """Find and ingest every layer a study names.

    Parameters
    ----------
    study
        The study; ``study.layers`` maps roles to catalog ids or file paths (relative paths
        are read relative to the study file).
    data_dir
        Local mirror folder (default: ``BORDERSCAPE_DATA``; the face passes ``borderscape.settings.data_dir``).
    towers
        A towers file (overrides the study's ``towers`` layer), read with the ``eff-towers``
        reader.
    dem
        An elevation file (overrides the study's ``dem`` layer), resampled to the study's CRS
        and resolution and clipped to its bounding box.
    step
        Called with the role before each layer is read (for progress display).
    budget
        Memory and work the run may take (default :meth:`Budget.of() <borderscape.analyses.budget.Budget.of>`:
        half this machine's memory, 1.8·10¹² operations).  Checked before any layer is read (the
        study's grid, hot spots and simulations), then once the layers are read (towers'
        viewsheds, epochs, records); the estimate is returned in :attr:`Assembled.estimate`.

    Returns
    -------
    Assembled
        The inputs by role, with a ``missing`` reason (and remedy) for each layer not found.

    Raises
    ------
    BudgetError
        The run would need more memory or work than ``budget`` (an InputError).
    InputError
        A layer whose kind or geometry is not what its role needs (:func:`check_kind`).
    BorderscapeError
        A file that exists but cannot be read (a missing source is not an error).
    """
    roles = dict(study.layers)
    if towers is not None:
        roles["towers"] = str(towers)
    if dem is not None:
        roles["dem"] = str(dem)
    budget = budget if budget is not None else Budget.of()
    dem_file = _dem_path(roles.get("dem"), study, explicit=dem is not None)
    check(estimate(study, raster="dem" in roles or study.battery == "maritime", dem_file=dem_file), budget, study)
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
            missing[role] = (
                f"{value!r} under [layers] {role} in the study is neither a catalog id (see `borderscape "
                "sources`) nor an existing file (a relative path is read from the study file's folder). "
                "What to do: correct it"
            )
            continue
        if role == "dem":
            if path is not None:
                layers[role] = read_dem(path, study)
                records.append(
                    _record(role, "file", [{"path": str(path.resolve()), "sha256": sha256_file(path), "how": how}])
                )
                continue
            try:
                located = locate(value, data_dir=None if data_dir is None else Path(data_dir))
            except SourceNotFound as exc:
                missing[role] = _missing_reason(role, exc, value)
                continue
            layers[role] = prepare_dem(
                mosaic(
                    [str(p) for p in located.paths],
                    bounds=study.bbox,
                    crs=working_crs(study),
                    res=float(study.resolution_m),
                ),
                study,
            )
            records.append(
                _record(
                    role,
                    value,
                    [
                        {"path": str(p.resolve()), "sha256": h, "how": located.how}
                        for p, h in zip(located.paths, located.sha256)
                    ],
                )
            )
            continue
        if path is not None and role in SENSOR_FILE_ROLES:
            sensor_layer = read_sensor_file(path, role=role)
            check_kind(role, sensor_layer, value)
            layers[role] = sensor_layer
            records.append(
                _record(role, "file", [{"path": str(path.resolve()), "sha256": sha256_file(path), "how": how}])
            )
            continue
        source_id = value if is_id else (ROLE_READER[role] if explicit or path is None else reader_for(path, role))
        if source_id is None:
            raise InputError(
                f"the study's layer {role!r} is a file, but borderscape has no reader for role {role!r}",
                remedy=f"name a catalog id for it (see `borderscape sources`), or use one of the roles "
                f"{', '.join(sorted(ROLE_READER))}",
            )
        try:
            layer = ingest(source_id, path, data_dir=data_dir if path is None else None)
        except SourceNotFound as exc:
            missing[role] = _missing_reason(role, exc, source_id)
            continue
        if isinstance(layer, Layer):
            check_kind(role, layer, source_id if path is None else value)
        layers[role] = layer
        files = [
            {"path": str(Path(f["path"]).resolve()), "sha256": f["sha256"], "how": f["how"] if path is None else how}
            for f in layer.report.files
        ]
        records.append(_record(role, source_id, files))
    est = layers_estimate(study, layers, dem_file=dem_file if "dem" in layers else None)
    check(est, budget, study)
    return Assembled(StudyInputs(layers=layers, missing=missing, simulated=False), tuple(records), est)


def _dem_path(value: str | None, study: Study, *, explicit: bool) -> Path | None:
    """The DEM file a study reads (a path, not a catalog id), if it exists."""
    if value is None or (value in CATALOG and not explicit):
        return None
    path = Path(value).expanduser()
    if not path.is_absolute() and study.path is not None and not explicit:
        path = study.path.parent / path
    return path if path.is_file() else None
