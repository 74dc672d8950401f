"""A study's inputs: the layers it runs on, by role, where each came from, whom to credit, and why
any is missing.

:func:`assemble_inputs` reads every layer a study names under ``[layers]``; ``run``, ``map`` and
``brief`` all go through it (and ``--towers FILE`` through the same :func:`read_layer_entry`).
A ``[layers]`` entry is one of:

* a **catalog id** (``deaths = "pcome"``): found in the data mirror or the download cache and
  read by the catalog's reader; credited to the catalog source;
* a **path to a layer file** written by ``borderscape ingest … --out FILE`` (``.parquet``,
  ``.gpkg``, ``.geojson``, ``.csv`` with its ``.csv.json``): read by
  :func:`borderscape.layers.layerfile.read_layer`, whose kind is the one the file records (never
  guessed from PCOME's columns);
* an **inline table** for a raw file, ``deaths = { path = "sector.csv", columns = { lat =
  "Latitude", lon = "Longitude", date = "Date" }, date_format = "%m/%d/%Y %H:%M:%S", source =
  "my-sector" }``: read by :func:`borderscape.layers.ingest.ingest_file` with the role's kind
  (:data:`ROLE_NEEDS`), the study's bbox as ``region`` unless given, and any other option of
  ``ingest_file``; an inline table without ``columns`` names a layer file and its ``source``.

A file path whose name matches a catalog source's file pattern (and, for ``--towers``, any raw
CSV, GeoJSON or KML) is still read by that catalog source's reader.  Relative paths are read
from the study file's folder.

Credit (:class:`InputRecord`, from which provenance.json, results.json's ``sources``, the
briefing, the map's attribution and the figures' source lines all take it): a catalog id is
credited to its catalog source; a file to the study's ``[sources.<id>]`` named by the entry's
``source = "<id>"``; else to ``user-supplied file NAME (sha256 first 12 hex…)``, with the reader
that read it.  A file is credited to a catalog source only when its sha256 (or, for a layer
file, the sha256 of the files it was made from) is one the catalog pins — never because of its
name or columns.

A DEM is resampled to the study's working CRS and cell size and clipped to its region.  A layer
that cannot be found is not an error: it is recorded in :attr:`StudyInputs.missing` with the
reason and the remedy, and the tests that need it are skipped.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from borderscape.analyses.budget import Budget, Estimate, check, estimate
from borderscape.analyses.params import ROLE_NEEDS, role_kind
from borderscape.analyses.study import Study, working_crs
from borderscape.geo.errors import BorderscapeError, InputError, RasterError, SourceNotFound
from borderscape.geo.raster import Raster, mosaic
from borderscape.geo.water import read_temperature
from borderscape.layers.catalog import CATALOG
from borderscape.layers.fetch import locate, remedy_for, sha256_file
from borderscape.layers.flights import Flights, flight_hours, read_flights
from borderscape.layers.ingest import ingest, read_sensor_file
from borderscape.layers.layerfile import is_pinned_file, user_file_credit
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
    tables
        Tables derived from a layer while assembling (``flight_hours``: flight hours per month over the
        study's sea and each SAR region, from the ``flights`` layer, :func:`borderscape.layers.flights.flight_hours`).
    """

    layers: Mapping[str, Layer | RasterLayer | Raster]
    missing: Mapping[str, str] = field(default_factory=dict)
    simulated: bool = False
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)

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
        Whom the layer is credited to: a catalog id (the catalog's file read through its id, or a
        file whose sha256 is the catalog's pinned one), the id of the study's ``[sources.<id>]``
        table, or ``file`` for a user-supplied file the study names no source for.
    publisher, licence, citation, caveats, url
        From the catalog, the study's ``[sources.<id>]``, or for a user-supplied file
        ``"user-supplied file NAME (sha256 first 12 hex)"`` (or a simulated world).  Every output
        (provenance.json, results.json, the briefing, the map's attribution, the figures' source
        lines) takes its credit from here.
    files
        ``{"path", "sha256", "how"}`` per file read (empty for simulated layers).
    reader
        How the file was read, in words (``catalog reader 'eff-towers'``, ``layer file (deaths)``,
        ``ingest_file (deaths; columns from the study)`` …; empty for catalog ids).
    """

    role: str
    source: str
    publisher: str
    licence: str
    citation: str
    caveats: str
    files: tuple[Mapping[str, str], ...] = ()
    url: str = ""
    reader: str = ""

    def public(self) -> dict[str, str]:
        """The entry of ``results.json``'s ``sources`` list (no paths)."""
        return {
            "role": self.role,
            "id": self.source,
            "publisher": self.publisher,
            "licence": self.licence,
            "citation": self.citation,
            "caveats": self.caveats,
            "url": self.url,
            "read_with": self.reader,
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
    # the file's own cell size, when this step resampled it (a raster already on the study's grid,
    # such as the mosaic of catalog tiles, keeps what it says, usually None: unknown)
    native = raster.source_res_m if already or raster.source_res_m is not None else cell_size_m(raster)
    return dataclasses.replace(clipped, source_res_m=native)


def cell_size_m(raster: Raster) -> float:
    """The cell size of a raster in metres, the coarser side: a projected CRS's units (metres
    assumed when its axis unit is not stated otherwise), or for degrees the side at the raster's
    centre latitude (WGS 84 ellipsoid, :class:`pyproj.Geod`: a 0.1° cell at 31° N is ~9.5 × 11.1 km)."""
    rx, ry = abs(float(raster.res[0])), abs(float(raster.res[1]))
    if not raster.crs.is_geographic:
        unit = raster.crs.axis_info[0].unit_conversion_factor if raster.crs.axis_info else 1.0
        return max(rx, ry) * float(unit or 1.0)
    from pyproj import Geod

    west, south, east, north = raster.bounds
    lat = max(min((south + north) / 2.0, 89.0), -89.0)
    lon = (west + east) / 2.0
    geod = Geod(ellps="WGS84")
    dx = geod.line_length([lon, lon + rx], [lat, lat])
    dy = geod.line_length([lon, lon], [lat - ry / 2.0, lat + ry / 2.0])
    return float(max(dx, dy))


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


def _record(role: str, source_id: str, files: list[dict[str, str]], *, reader: str = "") -> InputRecord:
    """The record of a catalog source read through its id (or of a user file, when ``source_id``
    is not a catalog id: see :func:`credit_file`)."""
    src = CATALOG.get(source_id)
    if src is None:
        return _user_record(role, files, reader=reader)
    url = src.urls[0] if src.urls else ""
    return InputRecord(
        role, src.id, src.publisher, src.licence, src.citation, src.caveats, tuple(files), url=url, reader=reader
    )


def _user_record(role: str, files: list[dict[str, str]], *, reader: str, made: str = "") -> InputRecord:
    names = "; ".join(user_file_credit(f["path"], str(f.get("sha256", ""))) for f in files) or "user-supplied file"
    return InputRecord(
        role,
        "file",
        names,
        "as stated by its publisher",
        'cite the file\'s publisher (name it in the study: [sources.<id>] and source = "<id>")',
        "a user-supplied file: check its provenance"
        + (f"; {made}" if made else "")
        + (f"; read with {reader}" if reader else ""),
        tuple(files),
        reader=reader,
    )


def credit_file(
    role: str,
    files: list[dict[str, str]],
    *,
    reader: str,
    study: Study | None = None,
    source: str | None = None,
    catalog: str | None = None,
    made: str = "",
) -> InputRecord:
    """Whom a file read for ``role`` is credited to.

    ``source`` (a layer entry's ``source = "<id>"``): the study's ``[sources.<id>]``, or that
    catalog entry when the study names a catalog id.  Else ``catalog`` (the catalog source whose
    reader read the file, or that an ingested layer file was made from) when every file's sha256
    is one the catalog pins (:class:`~borderscape.layers.catalog.Pin`): it is that source's own
    file.  Else the user-supplied file, named with the first 12 hex of its sha256, saying which
    reader read it — never a catalog source's publisher.
    """
    if source is not None:
        credit = study.sources.get(source) if study is not None else None
        if credit is not None:
            return InputRecord(
                role,
                source,
                credit.publisher,
                credit.licence,
                credit.citation or f"cite {credit.publisher}",
                credit.caveats,
                tuple(files),
                url=credit.url,
                reader=reader,
            )
        if source in CATALOG:
            return _record(role, source, files, reader=reader)
    if catalog is not None and is_pinned_file(catalog, [str(f.get("sha256")) for f in files]):
        return _record(role, catalog, files, reader=reader)
    return _user_record(role, files, reader=reader, made=made)


def reader_for(path: Path, role: str) -> str | None:
    """The catalog source whose file-name patterns match ``path`` (so its reader is used), else
    the default source of ``role`` (:data:`ROLE_READER`), else None."""
    return _pattern_source(path) or ROLE_READER.get(role)


def _pattern_source(path: Path) -> str | None:
    name = path.name.lower()
    for source in CATALOG.values():
        if any(fnmatch.fnmatchcase(name, p.glob.lower()) for p in source.patterns):
            return source.id
    return None


def _within(inner: Sequence[float], outer: Sequence[float]) -> bool:
    """True when box ``inner`` (west, south, east, north) lies inside box ``outer``."""
    return inner[0] >= outer[0] and inner[1] >= outer[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _ingest_keys() -> set[str]:
    import inspect

    from borderscape.layers.ingest import ingest_file

    return {n for n, p in inspect.signature(ingest_file).parameters.items() if p.kind is p.KEYWORD_ONLY}


def read_layer_entry(
    role: str,
    entry: str | os.PathLike[str] | Mapping[str, Any],
    *,
    study: Study | None = None,
    base: Path | None = None,
    how: str = "given (study file)",
    option: bool = False,
) -> tuple[Layer, InputRecord]:
    """Read one layer named by a file (not a catalog id) and say whom it is credited to — the one
    reader of a study's ``[layers]`` file entries and of ``--towers``, for ``run``, ``map`` and ``brief``.

    Parameters
    ----------
    role
        The study role (its kind: :func:`role_kind`).
    entry
        A path, or an inline table (:func:`borderscape.analyses.study._layer_entry`): ``path``,
        optionally ``source`` and, for a raw file, ``columns`` with other options of
        :func:`borderscape.layers.ingest.ingest_file` (``region`` defaults to the study's bbox).
    study
        The study (its bbox and ``[sources]``).
    base
        Folder of relative paths (the study file's).
    how
        How the file was given (for provenance).
    option
        The file came from a command-line option (``--towers``): a raw file is read with the
        role's reader (:data:`ROLE_READER`) as documented for the option.

    How the file is read:

    1. an inline table with ``columns``: :func:`~borderscape.layers.ingest.ingest_file` with the
       role's kind;
    2. a file with a borderscape layer record (written by ``borderscape ingest``):
       :func:`~borderscape.layers.layerfile.read_layer` — the kind is the recorded one;
    3. a maritime sensor role (coastal stations, tracks, areas): the documented sensor format
       (:func:`~borderscape.layers.ingest.read_sensor_file`);
    4. a file whose name matches a catalog source's file pattern, or ``--towers``: that catalog
       source's reader (credited to the catalog only when its sha256 is the catalog's pinned one);
    5. otherwise the role's reader (:data:`ROLE_READER`); when that fails, an InputError whose
       remedy shows the inline-table form.

    Raises
    ------
    InputError
        A missing file, or one that none of these can read.
    """
    from borderscape.layers.layerfile import LAYER_FILE_SUFFIXES, inline_remedy, read_layer, read_record

    table: Mapping[str, Any] = entry if isinstance(entry, Mapping) else {"path": str(entry)}
    path = Path(str(table["path"])).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    if not path.is_file():
        where = "given with --" + role if option else f"under [layers] {role}"
        raise InputError(f"the file {path} does not exist", remedy=f"check the path {where}")
    source = table.get("source")

    def files_of(layer: Layer) -> list[dict[str, str]]:
        return [{"path": str(Path(f["path"]).resolve()), "sha256": f["sha256"], "how": how} for f in layer.report.files]

    if "columns" in table:
        from borderscape.layers.ingest import ingest_file

        kind = role_kind(role)
        if kind not in ("deaths", "sensors", "context"):
            raise InputError(
                f"role {role!r} reads a table, which an inline [layers] table cannot map",
                remedy=f"name a catalog id for {role}, or a table layer file written by `borderscape ingest`",
            )
        accepted = _ingest_keys()
        options = {k: v for k, v in table.items() if k not in ("path", "source") and k in accepted}
        options["columns"] = dict(options["columns"])
        if "keep" in options:
            options["keep"] = tuple(options["keep"])
        if "region" in accepted and options.get("region") is None and study is not None:
            options["region"] = tuple(study.bbox)
        if kind == "sensors" and "sensor_role" in accepted:
            options["sensor_role"] = role
        layer = ingest_file(kind, path, **options)
        reader = f"ingest_file ({kind}; columns mapped in the study)"
        return layer, credit_file(role, files_of(layer), reader=reader, study=study, source=source)
    if path.suffix.lower() in LAYER_FILE_SUFFIXES and read_record(path) is not None:
        layer = read_layer(path)
        made_from = layer.report.files[0].get("made_from", []) if layer.report.files else []
        made = (
            f"made by `borderscape ingest {layer.source}` from "
            + ", ".join(f"{m.get('name')} (sha256 {str(m.get('sha256'))[:12]}…)" for m in made_from)
            if made_from
            else ""
        )
        files = [{"path": str(path.resolve()), "sha256": layer.report.files[0]["sha256"], "how": how}]
        record = credit_file(role, files, reader=f"layer file ({layer.kind})", study=study, source=source, made=made)
        if record.source == "file" and is_pinned_file(layer.source, [str(m.get("sha256")) for m in made_from]):
            # made from the catalog source's own (pinned) files: credit that source
            record = _record(role, layer.source, files, reader=f"layer file ({layer.kind}); {made}")
        return layer, record
    if role in SENSOR_FILE_ROLES:
        layer = read_sensor_file(path, role=role)
        return layer, credit_file(role, files_of(layer), reader="sensor file format", study=study, source=source)
    matched = _pattern_source(path)
    catalog = ROLE_READER.get(role) if option else matched or ROLE_READER.get(role)
    if option and matched is not None and CATALOG[matched].kind == role_kind(role):
        catalog = matched
    if catalog is None:
        raise InputError(
            f"the study's layer {role!r} is {path.name}, which carries no borderscape layer record, and "
            f"borderscape has no reader for role {role!r}",
            remedy=inline_remedy(path.name, role),
        )
    region = CATALOG[catalog].region
    if matched is None and not option and study is not None and region is not None and not _within(study.bbox, region):
        # the role's default reader checks positions against its own source's region (PCOME: Arizona):
        # a file of another region would lose every row to that check
        raise InputError(
            f"{path.name} under [layers] {role} carries no borderscape layer record, and the reader borderscape "
            f"would try ({CATALOG[catalog].title}) reads only {list(region)}, not this study's region "
            f"{list(study.bbox)}",
            remedy=inline_remedy(path.name, role),
        )
    try:
        ingested = ingest(catalog, path)
    except BorderscapeError as exc:
        if matched is not None or option:
            raise
        raise InputError(
            f"{path.name} carries no borderscape layer record, and it is not a {CATALOG[catalog].title} file "
            f"either ({exc.message})",
            remedy=inline_remedy(path.name, role),
        ) from exc
    if not isinstance(ingested, Layer):
        raise InputError(f"{path.name} is a raster, but role {role!r} needs a vector layer or a table")
    layer = ingested
    reader = f"the reader of catalog source {catalog!r}"
    return layer, credit_file(role, files_of(layer), reader=reader, study=study, source=source, catalog=catalog)


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
    flights: dict[str, Flights] = {}
    given = {r for r, v in (("towers", towers), ("dem", dem)) if v is not None}
    for role in sorted(roles, key=lambda r: (r not in given, r)):  # files given as options first: fail fast
        entry = roles[role]
        step(role)
        explicit = role in given
        value = str(entry["path"]) if isinstance(entry, Mapping) else entry
        is_id = not isinstance(entry, Mapping) and value in CATALOG and not explicit
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
        if role == "flights" and path is not None:  # ADS-B reports; hours per month are made below
            flights[role] = read_flights(path)
            fl = flights[role]
            layers[role] = Layer(source="flights", kind="table", frame=fl.points, report=fl.report)
            files = [{"path": str(path.resolve()), "sha256": sha256_file(path), "how": how}]
            source = entry.get("source") if isinstance(entry, Mapping) else None
            reader = (
                f"flight tracks (borderscape.layers.flights: {fl.kept:,} reports kept, {fl.quarantined:,} "
                f"quarantined with a reason, {fl.hours:,.1f} flight hours)"
            )
            records.append(credit_file(role, files, reader=reader, study=study, source=source))
            continue
        if role == "temperature" and path is not None:  # a climate raster (°C), resampled onto the DEM later
            layers[role] = read_temperature(path, month=study.params.cost.temperature_month, bounds=study.bbox)
            files = [{"path": str(path.resolve()), "sha256": sha256_file(path), "how": how}]
            source = entry.get("source") if isinstance(entry, Mapping) else None
            records.append(credit_file(role, files, reader="GeoTIFF (air temperature, °C)", study=study, source=source))
            continue
        if role == "dem":
            if path is not None:
                layers[role] = read_dem(path, study)
                dem_files = [{"path": str(path.resolve()), "sha256": sha256_file(path), "how": how}]
                source = entry.get("source") if isinstance(entry, Mapping) else None
                records.append(credit_file(role, dem_files, reader="GeoTIFF", study=study, source=source))
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
        if path is not None:
            file_layer, file_record = read_layer_entry(
                role,
                {**entry, "path": str(path)} if isinstance(entry, Mapping) else str(path),
                study=study,
                how=how,
                option=explicit,
            )
            check_kind(role, file_layer, value)
            layers[role] = file_layer
            records.append(file_record)
            continue
        try:
            layer = ingest(value, None, data_dir=data_dir)
        except SourceNotFound as exc:
            missing[role] = _missing_reason(role, exc, value)
            continue
        if isinstance(layer, Layer):
            check_kind(role, layer, value)
        layers[role] = layer
        files = [
            {"path": str(Path(f["path"]).resolve()), "sha256": f["sha256"], "how": f["how"]} for f in layer.report.files
        ]
        records.append(_record(role, value, files))
    est = layers_estimate(study, layers, dem_file=dem_file if "dem" in layers else None)
    check(est, budget, study)
    tables: dict[str, pd.DataFrame] = {}
    if "flights" in flights:
        sar = layers.get("sar_regions")
        tables["flight_hours"] = flight_hours(
            flights["flights"], study.bbox, sar if isinstance(sar, Layer) else None, crs=working_crs(study)
        )
    return Assembled(StudyInputs(layers=layers, missing=missing, simulated=False, tables=tables), tuple(records), est)


def _dem_path(value: str | Mapping[str, Any] | None, study: Study, *, explicit: bool) -> Path | None:
    """The DEM file a study reads (a path, not a catalog id), if it exists."""
    if isinstance(value, Mapping):
        value = str(value["path"])
    if value is None or (value in CATALOG and not explicit):
        return None
    path = Path(value).expanduser()
    if not path.is_absolute() and study.path is not None and not explicit:
        path = study.path.parent / path
    return path if path.is_file() else None
