"""Interactive maps (``borderscape map``, ``borderscape.map(...)``), made with folium.

A map is a :class:`folium.Map` (:func:`interactive_map`) a researcher can show in a notebook,
extend with folium and save; :func:`to_html` (and ``m.save``) writes its page.  folium and its
plugins do the map, the layer control, the clustering (Leaflet.markercluster), the scale bar
and gesture handling (Leaflet.GestureHandling); borderscape's script (``static/map.js``) adds
only what no maintained plugin does: filling the layers from compact JSON, cluster icons that
count people, a legend with a size key, and a range of years.  A self-contained page inlines
Leaflet and the plugins from their installed XStatic packages (:mod:`borderscape.assets`) and
makes no network request, except OpenStreetMap tiles when asked for (``tiles="osm"``); by
default the background is a quiet vector basemap (:mod:`borderscape.basemap`: GSHHG coastlines
and borders, GeoNames places) and the study's own border, coastlines and roads.  Static
exports of the same map: :mod:`borderscape.staticmap`.

Safety and privacy
    Every text from data is put on the page with DOM ``textContent`` (never ``innerHTML``) or
    escaped with :func:`html.escape` (titles, sources, caveats, layer names, place names); the
    JSON has ``<``, ``>`` and ``&`` written as ``\\u003c`` … so no data can close the script
    element.  Popups show only allow-listed fields per kind of layer (:data:`FIELDS`): never a
    record id, name, age or sex.  Dates of deaths are shown to the month and their coordinates
    rounded to 3 decimals (about 100 m).

Aggregation
    Points are clustered by Leaflet.markercluster (within :data:`CLUSTER_RADIUS` pixels); a
    cluster shows the number of people (dead + missing) or sensors it holds, in the layer's
    colour, and grows with the logarithm of that number (the size key in the legend).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderscape.errors import BorderscapeError, CRSError, InputError
from borderscape.figures import SIMULATED, usable
from borderscape.geo.files import write_text_atomic
from borderscape.i18n import N_, Translator
from borderscape.layers.catalog import CATALOG
from borderscape.layers.schemas import DEATHS, SENSORS

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}
GREY = "#8C8C8C"
#: The banner and first caveat of a map of a generated world.
SIMULATED_WORLD = N_("SIMULATED DATA: a generated world; nothing here is a real place, tower or person.")
#: Hot spots: Paul Tol's "wine" (Tol 2021, colour-blind safe), far from the vermillion of remains for every
#: kind of colour vision (tests/test_webmap.py).
WINE = "#882255"
#: Colours of sensor layers, one per kind, in turn.
SENSOR_COLOURS = tuple(OKABE_ITO[c] for c in ("blue", "orange", "purple", "sky_blue", "yellow", "black"))
#: Popup fields allowed per kind of layer (every other column stays out of the file).
FIELDS = {
    "deaths": ("date", "dead", "missing", "cause", "location_precision", "source_id"),
    "sensors": ("kind", "deployment", "height_m", "active"),
    "context": ("name", "fullname", "feature", "kind", "type", "operation", "rcc", "country_iso3"),
}
#: The popup's name of each field (translated where shown).
LABELS = {
    "date": N_("date (month)"),
    "dead": N_("dead"),
    "missing": N_("missing"),
    "cause": N_("cause"),
    "location_precision": N_("location precision"),
    "source_id": N_("source"),
    "kind": N_("kind"),
    "deployment": N_("deployment"),
    "height_m": N_("height (m)"),
    "active": N_("active (years)"),
    "name": N_("name"),
    "fullname": N_("name"),
    "feature": N_("feature"),
    "type": N_("type"),
    "operation": N_("operation"),
    "rcc": N_("rescue centre"),
    "country_iso3": N_("country"),
    "count": N_("records in cell"),
    "gi_z": N_("Gi* z-score"),
    "period": N_("period"),
    "energy_kj": N_("energy (kJ)"),
    "length_m": N_("length (m)"),
    "epoch": N_("coverage from"),
}
#: Decimals kept in coordinates: deaths ~100 m, everything else ~10 m.
DEATHS_DECIMALS = 3
DECIMALS = 4
#: Size of a clustering cell, screen pixels.
CLUSTER_PX = 48
#: A sensors layer with more usable points than this is clustered like the remains: drawn one
#: marker each, thousands of sensors (a generated 100,000-sensor layer) freeze the browser,
#: while 500 markers stay fluid; the total of the layer counts, before it is split by kind.
CLUSTER_SENSORS_ABOVE = 500
TILES = ("none", "osm")
OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = N_("© OpenStreetMap contributors (ODbL)")
PRIVACY_CAVEAT = N_(
    "Privacy: the map shows no record id, name, age or sex; dates of deaths are shown to the month "
    "and their positions rounded to 0.001° (about 100 m); places with several records are "
    "aggregated into circles whose area grows with the count."
)
MAP_CAVEAT = N_(
    "Remains and incidents are shown where they were found or reported, not where people walked or "
    "sailed; deaths are undercounted."
)
#: Study roles drawn on a study map: role -> (group, name, colour); roles not listed are not drawn.
#: Layer names and groups are kept in English (the keys of run folders) and translated where shown.
ROLES = {
    "deaths": (N_("Remains and incidents"), None, OKABE_ITO["vermillion"]),
    "incidents": (N_("Remains and incidents"), None, OKABE_ITO["yellow"]),
    "towers": (N_("Surveillance"), N_("Surveillance towers"), OKABE_ITO["blue"]),
    "coastal_stations": (N_("Surveillance"), N_("Coastal radar stations"), OKABE_ITO["blue"]),
    "aerial_tracks": (N_("Surveillance"), N_("Aerial surveillance tracks"), OKABE_ITO["blue"]),
    "operational_areas": (N_("Surveillance"), N_("Operational areas"), OKABE_ITO["blue"]),
    "sar_regions": (N_("Context"), N_("Search and rescue regions"), "#4D4D4D"),
    "border": (N_("Context"), N_("Border"), OKABE_ITO["black"]),
    "coastline": (N_("Context"), N_("Coastline"), GREY),
    "roads": (N_("Context"), N_("Roads"), GREY),
    "water_stations": (N_("Context"), N_("Water stations"), OKABE_ITO["sky_blue"]),
    "stations": (N_("Context"), N_("Border Patrol stations"), OKABE_ITO["yellow"]),
}

#: The layer of the boats a Frontex aircraft saw first (the incidents' ``detector_type`` of the aerial class),
#: drawn apart from the other incidents in a colour of its own.
AERIAL_DETECTIONS = N_("Boats first seen from the air (Frontex detection positions)")
AERIAL_COLOUR = OKABE_ITO[
    "black"
]  # the only palette colour CVD-distinct from remains, incidents, areas, coverage and hot spots


@dataclass(frozen=True, eq=False)
class MapLayer:
    """One layer of a web map.

    Attributes
    ----------
    name
        Shown in the layer control and the legend.
    group
        ``Remains and incidents``, ``Surveillance``, ``Coverage``, ``Routes``, ``Hot spots``,
        ``Context`` (orders the layer control).
    kind
        ``points``, ``lines`` or ``areas``.
    frame
        GeoDataFrame in EPSG:4326 holding only the geometry and the popup/year columns.
    fields
        Columns shown in popups, in order (already allow-listed).
    colour
        CSS colour of the layer.
    years
        ``(first, last)``: columns of the first and last year a feature is shown by the time
        slider (integers; missing = open-ended); None: always shown.
    cluster
        Aggregate points into screen-grid cells.
    decimals
        Decimals kept in coordinates.
    visible
        Shown when the map opens.
    note
        Legend text after the name.
    source
        Catalog id (for the attribution), or ''.
    fill
        Opacity of the fill of areas (0: outline only).
    """

    name: str
    group: str
    kind: str
    frame: gpd.GeoDataFrame
    fields: tuple[str, ...] = ()
    colour: str = OKABE_ITO["black"]
    years: tuple[str, str] | None = None
    cluster: bool = False
    decimals: int = DECIMALS
    visible: bool = True
    note: str = ""
    source: str = ""
    fill: float = 0.25

    def __post_init__(self) -> None:
        if self.kind not in ("points", "lines", "areas"):
            raise InputError(f"map layer {self.name!r}: kind must be points, lines or areas, not {self.kind!r}")
        if self.frame.crs is None or not self.frame.crs.equals("EPSG:4326"):
            raise InputError(f"map layer {self.name!r} must be in EPSG:4326", remedy="reproject it with to_crs(4326)")


@dataclass(frozen=True)
class StudyMap:
    """What :func:`study_map` gathers for :func:`build_map`."""

    layers: tuple[MapLayer, ...]
    title: str
    sources: tuple[Mapping[str, str], ...]
    caveats: tuple[str, ...]
    simulated: bool
    bbox: tuple[float, float, float, float] | None = None
    outcomes: tuple[Mapping[str, Any], ...] = ()
    #: First-screen lines: a layer the study promises that the run did not have (shown under the title).
    notices: tuple[str, ...] = ()


# -- layers from frames ---------------------------------------------------------------------


def _family(geoms: gpd.GeoSeries) -> np.ndarray:
    """``points``, ``lines`` or ``areas`` for each geometry."""
    kinds = geoms.geom_type.fillna("").to_numpy()
    return np.where(
        np.char.endswith(kinds.astype(str), "Point"),
        "points",
        np.where(np.char.endswith(kinds.astype(str), "Polygon"), "areas", "lines"),
    )


def _year(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce").dt.year.astype("Int64")


def _month_text(dates: pd.Series, precision: pd.Series | None) -> pd.Series:
    """Dates to the month (``YYYY-MM``), or the year where the source only gives a year."""
    d = pd.to_datetime(dates, errors="coerce")
    text = d.dt.strftime("%Y-%m")
    if precision is not None:
        year_only = precision.astype("string").fillna("") == "year"
        text = text.where(~year_only.to_numpy(), d.dt.strftime("%Y"))
    return text.astype("object").where(d.notna().to_numpy(), None)


def _active_years(rows: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The first and last year of each row from ``active_from``/``active_to`` (missing: open-ended)."""
    none = pd.Series(pd.NA, index=rows.index, dtype="Int64")
    return (
        _year(rows["active_from"]) if "active_from" in rows.columns else none,
        _year(rows["active_to"]) if "active_to" in rows.columns else none,
    )


def layers_from_frame(
    frame: gpd.GeoDataFrame,
    *,
    kind: str,
    name: str,
    group: str,
    colour: str,
    source: str = "",
    visible: bool = True,
    cluster: bool | None = None,
) -> list[MapLayer]:
    """Map layers (one per geometry family) from an ingested layer's frame, keeping only the
    allow-listed popup fields of its kind (:data:`FIELDS`).

    Parameters
    ----------
    frame
        A layer's GeoDataFrame (any CRS; quarantined rows and empty geometries are left out).
    kind
        ``deaths``, ``sensors`` or ``context`` (anything else is drawn as context).
    name, group, colour, source, visible
        See :class:`MapLayer`.
    cluster
        Whether sensor points are clustered; None: when the layer holds more than
        :data:`CLUSTER_SENSORS_ABOVE` usable points (deaths points are always clustered).

    Returns
    -------
    list of MapLayer
        Deaths points are clustered and get a ``year`` column for the time slider; sensors
        get ``year_from``/``year_to`` from ``active_from``/``active_to``, and their points are
        clustered when there are many (``cluster``).
    """
    if frame.crs is None:
        raise CRSError(f"layer {name!r} has no CRS", remedy="set the CRS the coordinates are in")
    if kind == "sensors" and cluster is None:
        shown = usable(frame).geometry
        points = int((shown.notna() & ~shown.is_empty & shown.geom_type.isin(["Point", "MultiPoint"])).sum())
        cluster = points > CLUSTER_SENSORS_ABOVE
    if kind == "sensors" and "kind" in frame.columns and frame["kind"].dropna().nunique() > 1:
        # sensors by kind: one layer each (IFT, RVSS, aerostat …), colours from the palette in turn
        kinds = sorted(frame["kind"].dropna().astype(str).unique())
        colours = [colour, *(c for c in SENSOR_COLOURS if c != colour)]
        unknown = frame[frame["kind"].isna()]
        parts = [(k, frame[frame["kind"].astype("string") == k]) for k in kinds]
        parts += [(N_("kind not stated"), unknown)] if len(unknown) else []
        return [
            layer
            for i, (k, part) in enumerate(parts)
            for layer in layers_from_frame(
                part,
                kind="sensors",
                name=f"{name}: {k}",
                group=group,
                colour=colours[i % len(colours)],
                source=source,
                visible=visible,
                cluster=cluster,
            )
        ]
    rows = usable(frame).to_crs("EPSG:4326")
    out = gpd.GeoDataFrame(geometry=rows.geometry.values, crs="EPSG:4326")
    years = None
    if kind == "deaths":
        out["date"] = _month_text(rows["date"], rows.get("date_precision")).to_numpy()
        out["year"] = _year(rows["date"]).to_numpy()
        years = ("year", "year")
        for c in ("dead", "missing", "cause", "location_precision", "source_id"):
            out[c] = rows[c].to_numpy() if c in rows.columns else None
    elif kind == "sensors":
        first, last = _active_years(rows)
        out["year_from"], out["year_to"] = first.to_numpy(), last.to_numpy()
        years = ("year_from", "year_to")
        out["active"] = [
            None if pd.isna(a) and pd.isna(b) else f"{'?' if pd.isna(a) else a}–{'' if pd.isna(b) else b}"
            for a, b in zip(first, last)
        ]
        for c in ("kind", "deployment", "height_m"):
            out[c] = rows[c].to_numpy() if c in rows.columns else None
    else:
        kind = "context"
        for c in FIELDS["context"]:
            if c in rows.columns:
                out[c] = rows[c].to_numpy()
        if {"active_from", "active_to"} & set(rows.columns):
            # a dated context feature (the Libyan search-and-rescue region from 2018) follows the time slider
            first, last = _active_years(rows)
            out["year_from"], out["year_to"] = first.to_numpy(), last.to_numpy()
            years = ("year_from", "year_to")
    fields = tuple(c for c in FIELDS[kind] if c in out.columns and out[c].notna().any())
    families = _family(out.geometry)
    layers = []
    for family in ("areas", "lines", "points"):
        clustered = family == "points" and (kind == "deaths" or (kind == "sensors" and bool(cluster)))
        part = out[families == family]
        if not len(part):
            continue
        suffix = "" if len(set(families)) == 1 else f" ({family})"
        layers.append(
            MapLayer(
                name=name + suffix,
                group=group,
                kind=family,
                frame=part.reset_index(drop=True),
                fields=fields,
                colour=colour,
                years=years,
                cluster=clustered,
                decimals=DEATHS_DECIMALS if kind == "deaths" else DECIMALS,
                visible=visible,
                note="",
                source=source,
                fill=0.0 if kind == "context" else 0.25,
            )
        )
    return layers


def coverage_layers(rasters: Mapping[str, Any], *, until: int | None = None) -> list[MapLayer]:
    """One area layer per coverage epoch from the battery's rasters (``h1_coverage_<date>`` or
    ``coverage_<date>``; a cell > 0 is covered), vectorised with :func:`rasterio.features.shapes`.

    Each epoch is shown by the time slider from its start year until the year before the next
    epoch starts (the last one until ``until``, or open-ended).
    """
    from rasterio import features

    epochs = sorted(
        (m.group(1), key) for key in rasters if (m := re.fullmatch(r"(?:h1_)?coverage_(\d{4}-\d{2}-\d{2})", key))
    )
    layers = []
    for i, (date, key) in enumerate(epochs):
        raster = rasters[key]
        covered = np.asarray(raster.array > 0) & raster.valid_mask()
        if not covered.any():
            continue
        polys = [
            shapely.geometry.shape(g)
            for g, v in features.shapes(covered.astype(np.uint8), mask=covered, transform=raster.transform)
            if v == 1
        ]
        union = shapely.union_all(polys)
        start = int(date[:4])
        end = int(epochs[i + 1][0][:4]) - 1 if i + 1 < len(epochs) else until
        frame = gpd.GeoDataFrame(
            {"epoch": [date], "year_from": pd.array([start], "Int64"), "year_to": pd.array([end], "Int64")},
            geometry=[union],
            crs=raster.crs,
        ).to_crs("EPSG:4326")
        layers.append(
            MapLayer(
                name=f"Coverage from {date}",
                group=N_("Coverage"),
                kind="areas",
                frame=frame,
                fields=("epoch",),
                colour=OKABE_ITO["sky_blue"],
                years=("year_from", "year_to"),
                visible=i == len(epochs) - 1,
                note=N_("what sensors could see (modelled), not what was watched"),
            )
        )
    return layers


def _period_years(period: pd.Series) -> tuple[pd.Series, pd.Series]:
    parts = period.astype(str).str.split("/", expand=True)
    return (
        pd.to_datetime(parts[0], errors="coerce").dt.year.astype("Int64"),
        pd.to_datetime(parts[1], errors="coerce").dt.year.astype("Int64"),
    )


def table_layers(tables: Mapping[str, pd.DataFrame]) -> list[MapLayer]:
    """Layers from the battery's tables that carry geometry: modelled routes (``h3_routes``)
    and Gi* hot-spot cells of remains or incidents (``h5_cells``, ``m5_cells``; hot cells only)."""
    layers = []
    routes = tables.get("h3_routes")
    if isinstance(routes, gpd.GeoDataFrame) and len(routes):
        r = routes.to_crs("EPSG:4326")
        for kind, name, colour in (
            ("unconstrained", N_("Modelled routes, unconstrained"), OKABE_ITO["green"]),
            ("avoiding", N_("Modelled routes avoiding coverage"), OKABE_ITO["orange"]),
        ):
            part = r[(r["kind"] == kind).to_numpy() & r.geometry.notna().to_numpy()]
            if not len(part):
                continue
            start = (
                _year(part["epoch_start"])
                if "epoch_start" in part.columns
                else pd.Series(pd.NA, index=part.index, dtype="Int64")
            )
            frame = gpd.GeoDataFrame(
                {
                    "epoch": part.get("epoch_start", pd.Series(None, index=part.index)).astype("object").to_numpy(),
                    "energy_kj": part["energy_kj"].round(0).to_numpy() if "energy_kj" in part else None,
                    "year_from": (
                        start if kind == "avoiding" else pd.Series(pd.NA, index=part.index, dtype="Int64")
                    ).to_numpy(),
                    "year_to": pd.array([pd.NA] * len(part), "Int64"),
                },
                geometry=part.geometry.values,
                crs="EPSG:4326",
            )
            layers.append(
                MapLayer(
                    name=name,
                    group=N_("Routes"),
                    kind="lines",
                    frame=frame,
                    fields=("epoch", "energy_kj") if kind == "avoiding" else ("energy_kj",),
                    colour=colour,
                    years=("year_from", "year_to"),
                    note=N_("least-energy model, not observed paths"),
                )
            )
    for key in ("h5_cells", "m5_cells"):
        cells = tables.get(key)
        if not isinstance(cells, gpd.GeoDataFrame) or not len(cells) or "hot" not in cells.columns:
            continue
        hot = cells[(cells["hot"] == 1).to_numpy()].to_crs("EPSG:4326")
        if not len(hot):
            continue
        first, last = _period_years(hot["period"])
        frame = gpd.GeoDataFrame(
            {
                "period": hot["period"].astype(str).to_numpy(),
                "count": hot["count"].to_numpy(),
                "gi_z": hot["gi_z"].round(2).to_numpy(),
                "year_from": first.to_numpy(),
                "year_to": last.to_numpy(),
            },
            geometry=hot.geometry.values,
            crs="EPSG:4326",
        )
        layers.append(
            MapLayer(
                name=N_("Hot spots of deaths (Gi*, past periods)"),
                group=N_("Hot spots"),
                kind="areas",
                frame=frame,
                fields=("period", "count", "gi_z"),
                colour=WINE,
                years=("year_from", "year_to"),
                visible=False,
                note=N_("cells where recorded deaths cluster (Getis–Ord Gi*, FDR-controlled)"),
            )
        )
    return layers


# -- reading written layers -----------------------------------------------------------------


def read_layer_file(path: str | os.PathLike) -> tuple[gpd.GeoDataFrame, str, str]:
    """Read a layer written by ``borderscape ingest … --out FILE`` (GeoParquet or GeoPackage).

    Returns
    -------
    frame, kind, source
        The GeoDataFrame; ``deaths``/``sensors`` when it has that schema's columns, else
        ``context``; the catalog id in its ``source_id`` column (the GeoPackage layer name,
        else ``file``).

    Raises
    ------
    InputError
        A missing file, a format without CRS (CSV) or a table without geometry.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"the layer file {path} does not exist", remedy="check the path given with --layer")
    from borderscape.layers.layerfile import read_layer, read_record

    if read_record(path) is not None:  # the file says what it is (borderscape.layers.layerfile)
        layer = read_layer(path)
        if not isinstance(layer.frame, gpd.GeoDataFrame):
            raise InputError(f"{path.name} is a table without geometry", remedy="map only spatial layers")
        return layer.frame, ("context" if layer.kind not in ("deaths", "sensors") else layer.kind), layer.source
    suffix = path.suffix.lower()
    source = "file"
    try:
        if suffix == ".parquet":
            frame = gpd.read_parquet(path)
        elif suffix == ".gpkg":
            import pyogrio

            names = [n for n, _ in pyogrio.list_layers(path)]
            source = names[0] if names else source
            frame = gpd.read_file(path, layer=source, engine="pyogrio")
        else:
            raise InputError(
                f"--layer {path.name}: a map reads layers written as .parquet or .gpkg",
                remedy=f"write it with `borderscape ingest … --out {path.stem}.parquet`",
            )
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes a typed error
        raise InputError(
            f"cannot read the layer file {path.name}: {exc}",
            remedy="give a layer written by `borderscape ingest … --out FILE.parquet`",
        ) from exc
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise InputError(f"{path.name} is a table without geometry", remedy="map only spatial layers")
    if frame.crs is None:
        raise CRSError(f"{path.name} has no CRS", remedy="re-ingest it; written layers carry EPSG:4326")
    kind = (
        "deaths"
        if set(DEATHS) <= set(frame.columns)
        else "sensors"
        if set(SENSORS) <= set(frame.columns)
        else "context"
    )
    if "source_id" in frame.columns and frame["source_id"].notna().any():
        source = str(frame["source_id"].dropna().astype(str).mode().iloc[0])
    return frame, kind, source


def _source_entry(source: str, role: str = "") -> dict[str, str] | None:
    src = CATALOG.get(source)
    if src is None:
        return None
    return {
        "role": role,
        "id": src.id,
        "publisher": src.publisher,
        "licence": src.licence,
        "citation": src.citation,
        "caveats": src.caveats,
    }


def file_layers(paths: Sequence[str | os.PathLike]) -> tuple[list[MapLayer], list[dict[str, str]]]:
    """Map layers and source entries for files given with ``--layer``."""
    layers: list[MapLayer] = []
    sources: list[dict[str, str]] = []
    palette = {
        "deaths": [OKABE_ITO["vermillion"], OKABE_ITO["yellow"], OKABE_ITO["blue"]],
        "sensors": [OKABE_ITO["blue"], OKABE_ITO["sky_blue"]],
        "context": [OKABE_ITO["black"], GREY, OKABE_ITO["green"], OKABE_ITO["yellow"]],
    }
    used = {k: 0 for k in palette}
    for path in paths:
        frame, kind, source = read_layer_file(path)
        # a file is credited to a catalog source only when it was made from that source's pinned files
        # (borderscape.layers.layerfile.is_pinned_file); else to the user-supplied file itself
        from borderscape.layers.fetch import sha256_file
        from borderscape.layers.layerfile import is_pinned_file, read_record, user_file_credit

        record = read_record(path) or {}
        made_from = [str(m.get("sha256")) for m in record.get("inputs") or []]
        if not is_pinned_file(source, made_from):
            source = ""
        src = CATALOG.get(source)
        name = src.title if src is not None else Path(path).stem
        group = {"deaths": "Remains and incidents", "sensors": "Surveillance"}.get(kind, "Context")
        colour = palette[kind][used[kind] % len(palette[kind])]
        used[kind] += 1
        layers += layers_from_frame(frame, kind=kind, name=name, group=group, colour=colour, source=source)
        entry = _source_entry(source, kind) or {
            "role": kind,
            "id": Path(path).name,
            "publisher": user_file_credit(path, sha256_file(path)),
            "licence": "as stated by its publisher",
            "citation": "cite the file's publisher",
            "caveats": "a user-supplied file: check its provenance"
            + (f"; made by `borderscape ingest {record['source']}`" if record.get("source") else ""),
        }
        if entry not in sources:
            sources.append(entry)
    return layers, sources


# -- a study --------------------------------------------------------------------------------


def _name_for(role: str, source: str) -> str:
    default = ROLES.get(role, ("", None, ""))[1]
    if default:
        return default
    src = CATALOG.get(source)
    return src.title if src is not None else role.replace("_", " ").capitalize()


def layers_from_inputs(
    study: Any,
    layers: Mapping[str, Any],
    rasters: Mapping[str, Any],
    tables: Mapping[str, pd.DataFrame],
    credits: Mapping[str, str] | None = None,
) -> list[MapLayer]:
    """The map layers of a study: its inputs (roles of :data:`ROLES`, clipped to a margin
    around the study area; of a deaths layer only the records inside the study's region and period,
    :func:`borderscape.analyses.region.select`, the rule every analysis uses), coverage by epoch,
    routes and hot spots.  ``credits`` (role → the credited source id of the run's
    :class:`~borderscape.analyses.inputs.InputRecord`) names and attributes each input layer; without
    it the layer's own ``source`` is used."""
    from borderscape.analyses.battery.m4_assets import first_seen_from_the_air
    from borderscape.analyses.region import select
    from borderscape.layers.schemas import Layer

    west, south, east, north = study.bbox
    mx, my = (east - west) * 0.25, (north - south) * 0.25
    box = (west - mx, south - my, east + mx, north + my)
    out: list[MapLayer] = []
    for role in ROLES:
        layer = layers.get(role)
        if not isinstance(layer, Layer) or not isinstance(layer.frame, gpd.GeoDataFrame):
            continue
        group, _, colour = ROLES[role]
        frame = layer.frame
        if layer.kind != "deaths":
            frame = usable(frame).to_crs("EPSG:4326").clip(box)
        else:
            frame = frame[select(study, frame).keep]
        # the credited source of the role (the run's InputRecord), never the catalog id of the reader
        credited = layer.source if credits is None else credits.get(role, "file")
        if role == "incidents" and "detector_type" in frame.columns:
            # the boats Frontex first saw from the air (their detection positions: 2014-11 to 2017-09), apart
            aerial = first_seen_from_the_air(frame["detector_type"])
            out += layers_from_frame(
                frame[aerial],
                kind=layer.kind,
                name=AERIAL_DETECTIONS,
                group=group,
                colour=AERIAL_COLOUR,
                source=credited,
            )
            frame = frame[~aerial]
        out += layers_from_frame(
            frame, kind=layer.kind, name=_name_for(role, credited), group=group, colour=colour, source=credited
        )
    until = int(str(study.end)[:4]) if getattr(study, "end", None) is not None else None
    return out + coverage_layers(rasters, until=until) + table_layers(tables)


# -- the page -------------------------------------------------------------------------------


def static_text(name: str) -> str:
    """The text of one of borderscape's own front-end files (``borderscape/static/<name>``).

    The map's script and styles (``map.js``, ``map.css``) and the briefing's styles
    (``brief.css``) are package data, read with :mod:`importlib.resources` (so they are found
    in a wheel, a zip or an editable install alike) and inlined into the pages by
    :func:`build_map` and :func:`borderscape.brief.brief_html`.

    Parameters
    ----------
    name
        File name inside ``borderscape/static/``, such as ``map.js``.

    Returns
    -------
    str
        The file's text (UTF-8).

    Raises
    ------
    BorderscapeError
        The file is not there: the installation is incomplete.
    """
    try:
        return (resources.files("borderscape") / "static" / name).read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise BorderscapeError(
            f"borderscape's front-end file static/{name} is missing from the installation",
            remedy="reinstall borderscape (`pip install --force-reinstall borderscape`, "
            "or `pip install -e .` in a checkout)",
        ) from exc


def _script_text(js: str) -> str:
    """JavaScript safe inside a ``<script>`` element."""
    return re.sub(r"<(/script|!--)", r"<\\\1", js, flags=re.IGNORECASE)


def _json_for_html(data: Any) -> str:
    """JSON with ``<``, ``>`` and ``&`` escaped, safe inside ``<script type="application/json">``."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _plain(value: Any) -> Any:
    """A JSON value for a popup cell (None for missing)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return int(value) if float(value).is_integer() else round(float(value), 2)
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()[:10]
    return str(value)


def _encode(column: pd.Series) -> dict[str, list]:
    """Dictionary encoding: distinct values and one code per feature (-1: missing)."""
    values: list = []
    index: dict = {}
    codes = []
    for v in column.tolist():
        p = _plain(v)
        if p is None:
            codes.append(-1)
            continue
        if p not in index:
            index[p] = len(values)
            values.append(p)
        codes.append(index[p])
    return {"values": values, "codes": codes}


def _flat(coords: np.ndarray, decimals: int) -> list[float]:
    """``[lon, lat, lon, lat …]`` rounded (Python's correctly rounded ``round``)."""
    return [round(float(v), decimals) for v in np.asarray(coords, float)[:, :2].ravel()]


def round_coordinates(geoms: Any, decimals: int) -> np.ndarray:
    """Geometries whose coordinates are rounded exactly as the map writes them (:func:`_flat`)."""
    return shapely.transform(
        np.asarray(geoms),
        lambda c: np.array([round(float(v), decimals) for v in np.asarray(c, float).ravel()]).reshape(np.shape(c)),
    )


def _geometry(geom: Any, kind: str, decimals: int) -> list:
    if kind == "lines":
        return [
            _flat(shapely.get_coordinates(g), decimals)
            for g in shapely.get_parts(geom)
            if shapely.get_num_coordinates(g) >= 2
        ]
    polys = []
    for poly in shapely.get_parts(geom):
        rings = [poly.exterior, *poly.interiors]
        polys.append(
            [_flat(shapely.get_coordinates(r), decimals) for r in rings if shapely.get_num_coordinates(r) >= 4]
        )
    return [p for p in polys if p]


def _layer_data(layer: MapLayer, tolerance: float) -> dict[str, Any]:
    frame = layer.frame
    geoms = frame.geometry.values
    if layer.kind != "points" and tolerance > 0:
        geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    frame, geoms = frame[keep], geoms[keep]
    if layer.kind == "points":
        pts = shapely.get_coordinates(shapely.centroid(geoms))
        geometry: Any = _flat(pts, layer.decimals) if len(pts) else []
    else:
        geometry = [_geometry(g, layer.kind, layer.decimals) for g in geoms]
    years = None
    if layer.years is not None:
        first, last = (pd.array(frame[c], dtype="Int64") for c in layer.years)
        years = [[None if pd.isna(a) else int(a), None if pd.isna(b) else int(b)] for a, b in zip(first, last)]
    return {
        "name": layer.name,
        "group": layer.group,
        "kind": layer.kind,
        "colour": layer.colour,
        "cluster": layer.cluster,
        "visible": layer.visible,
        "note": layer.note,
        "n": int(len(frame)),
        "fill": layer.fill,
        "fields": list(layer.fields),
        "props": {f: _encode(frame[f]) for f in layer.fields},
        "years": years,
        "geometry": geometry,
    }


GROUP_ORDER = (
    N_("Remains and incidents"),
    N_("Hot spots"),
    N_("Surveillance"),
    N_("Coverage"),
    N_("Routes"),
    N_("Context"),
)


def _bounds(layers: Sequence[MapLayer]) -> tuple[float, float, float, float]:
    boxes = [ly.frame.total_bounds for ly in layers if len(ly.frame)]
    if not boxes:
        return (-180.0, -60.0, 180.0, 75.0)
    b = np.array(boxes)
    return (float(np.nanmin(b[:, 0])), float(np.nanmin(b[:, 1])), float(np.nanmax(b[:, 2])), float(np.nanmax(b[:, 3])))


#: Words of the panel of results (a result's role and status), translated where shown.
#: Marks an element holding names, ids or symbols that are not to be translated (in the pseudo-locale's test too).
NO = ' translate="no"'
ROLE_NAMES = {"primary": N_("primary"), "secondary": N_("secondary"), "descriptive": N_("descriptive")}
STATUS_NAMES = {"ran": N_("ran"), "skipped": N_("skipped")}


def _outcome_rows(outcomes: Sequence[Mapping[str, Any]], tr: Translator, present: set[str]) -> str:
    """The rows of the panel of results: each result named as the briefing names it
    (:func:`borderscape.readings.reading`), numbers written the reader's way, every text escaped."""
    from borderscape.readings import Context, _skipped_reason, reading

    e = html.escape
    ctx = Context(tr, tests=outcomes)
    rows = []
    for t in outcomes:
        ci = t.get("ci")
        test = t.get("role") != "descriptive"  # a descriptive result is not a test: no p-value shown
        role, status = str(t.get("role") or ""), str(t["status"])
        if status == "ran":
            reason = tr.text(str(t.get("reason") or "")) if t.get("reason") else ""
        else:
            reason = _skipped_reason(t, present, ctx)
        cells = (
            t["id"],
            tr.gettext(ROLE_NAMES[role]) if role in ROLE_NAMES else role,
            reading(t, ctx).label,
            tr.gettext(STATUS_NAMES[status]) if status in STATUS_NAMES else status,
            "" if t.get("estimate") is None else tr.number(t["estimate"], 4),
            "" if ci is None or None in ci else tr.interval(ci[0], ci[1], 4),
            tr.number(t["p_adjusted"], 3) if test and t.get("p_adjusted") is not None else "",
            tr.number(t["p_value"], 3) if test and t.get("p_value") is not None else "",
            "" if t.get("n") is None else tr.integer(t["n"]),
            reason,
        )
        rows.append(f"<tr><td{NO}>" + "</td><td>".join(e(str(c)) for c in cells) + "</td></tr>")
    return "".join(rows)


#: Every text the map's script shows (one place, so that a translation has one table to fill; sent
#: translated to the script in the page's data).
STRINGS = {
    "legend": N_("Legend"),
    "layers": N_("Layers"),
    "years": N_("Years"),
    "first_year": N_("First year shown"),
    "last_year": N_("Last year shown"),
    "cluster_hint": N_("{unit}, {layer}: press Enter or click to zoom in"),
    "size_key": N_("Numbers count {unit}; circles grow with the number."),
    "size_key_other": N_("In the circles of the other layers: {units}."),
    "towns": N_("Town or city"),
    "countries": N_("Country"),
    "single": N_("{layer}: one record (click for details)"),
    "simulated": N_("SIMULATED DATA"),
    "not_shown": N_("What this map cannot show"),
    "zoom_in": N_("Zoom in"),
    "zoom_out": N_("Zoom out"),
    "close": N_("Close"),
}
#: Leaflet.GestureHandling's messages (its ``gestureHandlingOptions.text``).
GESTURES = {
    "touch": N_("Use two fingers to move the map"),
    "scroll": N_("Use Ctrl + scroll to zoom the map"),
    "scrollMac": N_("Use ⌘ + scroll to zoom the map"),
}
#: Numbers drawn in the size key of the legend.
SIZE_KEY = (1, 10, 100, 1000)
#: Below this window size (CSS pixels) the layer control and the legend start collapsed behind buttons.
WIDE = "(min-width: 800px) and (min-height: 640px)"
#: Maximum cluster radius in pixels: for layers marked ``cluster`` and for the others (few points,
#: clustered only where they overlap).
CLUSTER_RADIUS = (48, 14)
#: A layer control listing more layers than this starts collapsed on every screen (it would hide the map).
MAX_EXPANDED = 10
_HEX = re.compile(r"#[0-9A-Fa-f]{6}")


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of a ``#RRGGBB`` colour.

    ``L = 0.2126 R + 0.7152 G + 0.0722 B`` of the linearised channels, each
    ``c / 12.92`` if ``c ≤ 0.04045`` else ``((c + 0.055) / 1.055)^2.4`` (W3C WCAG 2.1, §1.4.3,
    definition of relative luminance).
    """
    channels = [int(colour[i : i + 2], 16) / 255.0 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio ``(L1 + 0.05) / (L2 + 0.05)`` of two ``#RRGGBB`` colours (1 to 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with ``background`` (numbers on clusters)."""
    return "#000000" if contrast_ratio("#000000", background) >= contrast_ratio("#FFFFFF", background) else "#FFFFFF"


def _colour(value: str) -> str:
    """A ``#RRGGBB`` colour, or black for anything else (a run folder's layers.json is data)."""
    return value if isinstance(value, str) and _HEX.fullmatch(value) else OKABE_ITO["black"]


def _unit(layer: MapLayer) -> str:
    """What the number on a cluster of ``layer`` counts (English; translated where shown)."""
    if layer.group == "Remains and incidents" and ({"dead", "missing"} & set(layer.fields)):
        return N_("people dead or missing")
    if layer.group == "Remains and incidents":
        return N_("records")
    if layer.group == "Surveillance":
        return N_("sensors")
    return N_("sites")


def _weights(layer: MapLayer) -> list[int] | None:
    """People per record (dead + missing, at least 1) for records with those columns; else None."""
    if _unit(layer) != "people dead or missing":
        return None
    total = np.zeros(len(layer.frame))
    for c in ("dead", "missing"):
        if c in layer.frame.columns:
            total += pd.to_numeric(layer.frame[c], errors="coerce").fillna(0).clip(lower=0).to_numpy()
    return [max(1, int(v)) for v in total]


def _line_weight(layer: MapLayer) -> float:
    """Stroke width in pixels: context lines (roads, coasts) thin and quiet, the border bold."""
    if layer.group != "Context":
        return 1.5 if layer.kind == "areas" else 2.0
    return 2.5 if layer.name == "Border" else 1.0


def _shape(layer: MapLayer) -> str:
    return {"Remains and incidents": "circle", "Surveillance": "square"}.get(layer.group, "diamond")


def _period(layers: Sequence[MapLayer]) -> tuple[int, int] | None:
    """The years the slider offers: those of the records (already limited to the study period),
    else those of any layer with years."""

    def years(ly: MapLayer) -> list[int]:
        if ly.years is None:
            return []
        vals = pd.concat([pd.Series(pd.array(ly.frame[c], dtype="Int64")) for c in ly.years]).dropna()
        return [int(v) for v in vals]

    records = [y for ly in layers if ly.group == "Remains and incidents" for y in years(ly)]
    found = records or [y for ly in layers for y in years(ly)]
    return (min(found), max(found)) if found else None


def _ordered(layers: Sequence[MapLayer]) -> list[MapLayer]:
    return sorted(layers, key=lambda ly: GROUP_ORDER.index(ly.group) if ly.group in GROUP_ORDER else len(GROUP_ORDER))


def _sources_with_layers(
    sources: Sequence[Mapping[str, str]], layers: Sequence[MapLayer]
) -> tuple[list[Mapping[str, str]], list[str]]:
    """The sources, with those credited by layers (catalog ids) added once; and their ids."""
    out = list(sources)
    ids = [str(s.get("id", "")) for s in sources]
    for ly in layers:
        entry = _source_entry(ly.source)
        if entry is not None and entry["id"] not in ids:
            out.append(entry)
            ids.append(entry["id"])
    return out, ids


def _years_text(a: Any, b: Any) -> str:
    a = None if a is None or pd.isna(a) else int(a)
    b = None if b is None or pd.isna(b) else int(b)
    if a is None and b is None:
        return ""
    if a == b:
        return str(a)
    return f"{'' if a is None else a}–{'' if b is None else b}"


KINDS = {"points": N_("points"), "lines": N_("lines"), "areas": N_("areas")}


def data_tables(layers: Sequence[MapLayer], period: tuple[int, int] | None, tr: Translator) -> str:
    """The data-table alternative of the map (escaped HTML): what each layer holds, and the
    records and people of each records layer per year, in the language of ``tr``."""
    _ = tr.gettext
    e = html.escape
    w = {
        m: e(_(m))
        for m in (
            N_("What the map shows"),
            N_("Layer"),
            N_("Group"),
            N_("Drawn as"),
            N_("Features"),
            N_("Years"),
            N_("People dead or missing"),
            N_("Year"),
            N_("Records"),
        )
    }
    rows = []
    for ly in layers:
        span = ""
        if ly.years is not None and len(ly.frame):
            first = pd.Series(pd.array(ly.frame[ly.years[0]], dtype="Int64"))
            last = pd.Series(pd.array(ly.frame[ly.years[1]], dtype="Int64"))
            lo = first.min() if first.notna().any() else None
            hi = last.max() if last.notna().any() else (first.max() if first.notna().any() else None)
            span = _years_text(lo, hi)
        rows.append(
            f"<tr><th scope='row'>{e(shown_name(ly, tr))}</th><td>{e(tr.text(ly.group))}</td><td>{e(_(KINDS[ly.kind]))}</td>"
            f"<td class='bs-num'>{tr.integer(len(ly.frame))}</td><td>{e(span)}</td></tr>"
        )
    parts = [
        f"<table><caption>{w['What the map shows']}</caption><thead><tr><th scope='col'>{w['Layer']}</th>"
        f"<th scope='col'>{w['Group']}</th><th scope='col'>{w['Drawn as']}</th>"
        f"<th scope='col'>{w['Features']}</th><th scope='col'>{w['Years']}</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    ]
    for ly in layers:
        if ly.group != "Remains and incidents" or ly.kind != "points" or ly.years is None or not len(ly.frame):
            continue
        year = pd.Series(pd.array(ly.frame[ly.years[0]], dtype="Int64"))
        weights = _weights(ly)
        people = pd.Series(weights if weights is not None else [1] * len(ly.frame), dtype="int64")
        table = pd.DataFrame({"year": year, "people": people}).dropna(subset=["year"])
        by = table.groupby("year").agg(records=("people", "size"), people=("people", "sum"))
        if period is not None:
            by = by.reindex(range(period[0], period[1] + 1), fill_value=0)
        head = f"<th scope='col'>{w['People dead or missing']}</th>" if weights is not None else ""
        body = "".join(
            f"<tr><th scope='row'>{int(y)}</th><td class='bs-num'>{tr.integer(r.records)}</td>"
            + (f"<td class='bs-num'>{tr.integer(r.people)}</td>" if weights is not None else "")
            + "</tr>"
            for y, r in by.iterrows()
        )
        caption = _("{layer}: records per year").replace("{layer}", shown_name(ly, tr))
        parts.append(
            f"<table><caption>{e(caption)}</caption><thead><tr><th scope='col'>{w['Year']}</th>"
            f"<th scope='col'>{w['Records']}</th>{head}</tr></thead><tbody>{body}</tbody></table>"
        )
    return "".join(parts)


def _control_label(layer: MapLayer, tr: Translator) -> str:
    """The layer control's entry (Leaflet writes it as HTML): a colour key and the escaped name."""
    return (
        f'<span class="bs-key bs-key-{layer.kind}" style="--bs-colour:{_colour(layer.colour)}"></span>'
        f"{html.escape(shown_name(layer, tr))}"
    )


def shown_name(layer: MapLayer, tr: Translator) -> str:
    """A layer's name as the reader sees it: translated (names are kept in English) and capitalised;
    a name no catalogue knows (a file's) as it is."""
    name = tr.text(layer.name)
    return name[:1].upper() + name[1:] if tr.known(layer.name) else name


def _shown(field: str, value: Any, tr: Translator) -> Any:
    """A popup value the reader's way: numbers, months (``date``), dates (``epoch``) and periods
    (``period``) written by ``tr``; any other text as it is (data are not translated)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return tr.integer(value)
    if isinstance(value, float):
        return tr.number(value)
    if field == "date" and re.fullmatch(r"\d{4}-\d{2}", value):
        return tr.month(value)
    if field in ("epoch", "period"):
        return tr.localize(value)
    return value


def _place_markers(folium: Any, group: Any, places: Sequence[Any], max_zoom: int = 13) -> None:
    """Labels of countries and towns (non-interactive markers in the labels pane)."""
    for p in places:
        if p.min_zoom > max_zoom:
            continue
        if p.kind == "country":
            icon = folium.DivIcon(
                html=f"<span>{html.escape(p.name)}</span>",
                class_name=f"bs-country bs-minzoom-{int(p.min_zoom)}",
                icon_size=(0, 0),
            )
        else:
            icon = folium.DivIcon(
                html=f'<span class="bs-town-dot"></span><span class="bs-town-name">{html.escape(p.name)}</span>',
                class_name=f"bs-town bs-minzoom-{int(p.min_zoom)}",
                icon_size=(0, 0),
            )
        folium.Marker(
            [round(p.lat, 4), round(p.lon, 4)], icon=icon, interactive=False, keyboard=False, pane="bs-labels"
        ).add_to(group)


def _line_features(geoms: gpd.GeoSeries, style: Mapping[str, Any]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of lines (rounded to 4 decimals) carrying their Leaflet style."""
    features = []
    for g in geoms.values:
        if g is None or g.is_empty:
            continue
        parts = [shapely.get_coordinates(p) for p in shapely.get_parts(g) if shapely.get_num_coordinates(p) >= 2]
        if not parts:
            continue
        coords = [[[round(float(x), 4), round(float(y), 4)] for x, y in part] for part in parts]
        features.append(
            {
                "type": "Feature",
                "properties": {"style": dict(style)},
                "geometry": {"type": "MultiLineString", "coordinates": coords},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _page_class() -> type:
    """:class:`MapPage`, defined on first use (branca is imported only when a map is drawn)."""
    global _MAP_PAGE
    if _MAP_PAGE is None:
        _MAP_PAGE = _define_page()
    return _MAP_PAGE


_MAP_PAGE: type | None = None


def _walk(element: Any) -> Any:
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def _define_page() -> type:
    from branca.element import CssLink, Element, Figure, JavascriptLink

    from borderscape import assets

    class MapPage(Figure):
        """The HTML page around a borderscape map (a :class:`branca.element.Figure`).

        It writes the page's language, title, header (title, subtitle, first-screen notices,
        year range), footer (source line, sources, licences and caveats, data table, results),
        the map's data (``<script type="application/json" id="bs-data">``) and borderscape's
        own script and styles; and it replaces the CDN addresses folium and its plugins name
        with the files of the installed XStatic packages (:mod:`borderscape.assets`): inlined
        when ``self_contained``, else linked under ``assets_url``.  Element ids are numbered in
        tree order when first rendered, so the same map gives the same bytes.
        """

        def __init__(self, *, title: str, translator: Translator) -> None:
            super().__init__(title=title)
            self.translator = translator
            self.parts: dict[str, Any] = {}
            self.self_contained = True
            self.assets_url: str | None = None
            self.assets_used: list[str] = []
            self.numbered = 0

        def render(self, **kwargs: Any) -> str:
            import folium

            elements = list(_walk(self))
            if any(isinstance(el, folium.Popup) for el in elements):  # folium's popups call jQuery
                for m in (el for el in elements if isinstance(el, folium.Map)):
                    if _JQUERY_JS not in m.default_js:
                        m.default_js = [*m.default_js, _JQUERY_JS]
            if self.self_contained and any(isinstance(el, folium.Icon) for el in elements):
                raise InputError(
                    "folium.Icon needs Leaflet.awesome-markers and Bootstrap's icon fonts, of which borderscape has "
                    "no offline copy",
                    remedy="use folium.CircleMarker or folium.DivIcon, or write the map with self_contained=False",
                )
            for el in _walk(self):  # numbered once, in tree order: the same map, the same names
                if el is not self and not getattr(el, "_bs_numbered", False):
                    self.numbered += 1
                    el._id = f"{self.numbered:04d}"
                    el._bs_numbered = True
            data = dict(self.parts.get("data", {}))
            bound = self.parts.get("elements", [])
            if data:
                data["layers"] = [
                    {**spec, "var": el.get_name()} for spec, el in zip(data.get("layers", []), bound, strict=True)
                ]
                maps = [c for c in self._children.values() if c._name == "Map"]
                data["map"] = maps[0].get_name() if maps else None
            # folium adds elements while it renders (each render again): they are dropped afterwards, so
            # that rendering twice (to_html, then m.save) gives the same page
            saved = [(el, el._children.copy()) for el in [*_walk(self), self.header, self.html, self.script]]
            try:
                for child in self._children.values():
                    child.render(**kwargs)
                return self._page(data, **kwargs)
            finally:
                for el, children in saved:
                    el._children = children

        def _page(self, data: dict[str, Any], **kwargs: Any) -> str:
            head = self._head()
            e = html.escape
            p = self.parts
            tr = self.translator
            lang = e(tr.lang, quote=True)
            js = _script_text(static_text("map.js"))
            data_json = f'<script type="application/json" id="bs-data">{_json_for_html(data)}</script>' if data else ""
            licence_word = e(tr.gettext("Licence:"))
            libraries = "".join(
                f"<li><b{NO}>{e(name)}</b>. {licence_word} <span{NO}>{e(licence)}</span>.</li>"
                for name, licence in assets.credits(self.assets_used)
            )
            footer = p.get("footer", "").replace("<!--libraries-->", libraries)
            return (
                f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">\n'
                '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f"<title>{e(self.title or '')}</title>\n{head}\n<style>\n{static_text('map.css')}</style>\n</head>"
                f'<body class="{e(p.get("body_class", ""), quote=True)}">\n{p.get("header", "")}\n'
                f'<main id="bs-map" aria-label="{e(p.get("label", self.title or ""), quote=True)}">'
                f"{self.html.render(**kwargs)}</main>\n{footer}\n{data_json}\n"
                f"<script>\n{self.script.render(**kwargs)}\n</script>\n<script>\n{js}</script>\n</body></html>\n"
            )

        def _head(self) -> str:
            """The header's elements, with every CDN address replaced by the installed file."""
            out = []
            self.assets_used = []
            for child in self.header._children.values():
                if isinstance(child, (JavascriptLink, CssLink)):
                    out.append(self._asset(child.url, script=isinstance(child, JavascriptLink)))
                    continue
                text = child.render()
                text = re.sub(r"<meta name=\"viewport\"[^>]*>", "", text)  # folium forbids zooming the page
                text = re.sub(r"<meta http-equiv=\"content-type\"[^>]*>", "", text)
                out.append(text)
            return "\n".join(t for t in out if t.strip())

        def _asset(self, url: str, *, script: bool) -> str:
            name = assets.local_name(url)
            if name is None:
                if self.self_contained:
                    raise InputError(
                        f"the map holds a plugin loaded from {url}, of which borderscape has no offline copy",
                        remedy="write the map with self_contained=False (it then loads that file from the network), "
                        "or leave that plugin out",
                    )
                ref = html.escape(url, quote=True)
                return f'<script src="{ref}"></script>' if script else f'<link rel="stylesheet" href="{ref}">'
            self.assets_used.append(name)
            if self.self_contained:
                if script:
                    return f"<script>\n{_script_text(assets.asset_text(name))}\n</script>"
                return f"<style>\n{_style_text(assets.inline_css(name))}\n</style>"
            ref = html.escape(f"{(self.assets_url or '').rstrip('/')}/{name}", quote=True)
            return f'<script src="{ref}"></script>' if script else f'<link rel="stylesheet" href="{ref}">'

    class GestureHandling(Element):
        """Leaflet.GestureHandling: the page scrolls under the map; zooming needs two fingers or
        Ctrl + wheel (the map option ``gestureHandling`` switches it on)."""

        def render(self, **kwargs: Any) -> None:
            figure = self.get_root()
            figure.header.add_child(JavascriptLink(_GESTURE_URL + ".js"), name="leaflet_gesture_js")
            figure.header.add_child(CssLink(_GESTURE_URL + ".css"), name="leaflet_gesture_css")

    MapPage.GestureHandling = GestureHandling
    return MapPage


_GESTURE_URL = "https://unpkg.com/leaflet-gesture-handling@1.2.1/dist/leaflet-gesture-handling.min"
_LEAFLET_JS = ("leaflet", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")
_LEAFLET_CSS = ("leaflet_css", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css")
_JQUERY_JS = ("jquery", "https://code.jquery.com/jquery-3.7.1.min.js")


def _style_text(css: str) -> str:
    """CSS safe inside a ``<style>`` element."""
    return re.sub(r"<(/style)", r"<\\\1", css, flags=re.IGNORECASE)


def interactive_map(
    gathered: StudyMap,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    credit: str | None = None,
    embed: bool = False,
    stats: bool | None = None,
    tiles: str = "none",
    data_dir: str | os.PathLike[str] | None = None,
    basemap: bool = True,
    lang: str = "en",
) -> Any:
    """The interactive map of ``gathered`` as a :class:`folium.Map` to show in a notebook, extend
    and save.

    The map is folium's: its layers are folium layers (a ``MarkerCluster`` per point layer,
    a ``FeatureGroup`` per line or area layer, ``GeoJson`` coastlines and borders, ``Marker``
    place labels), switched by folium's ``LayerControl``, with Leaflet's scale bar and
    Leaflet.GestureHandling.  The records and features themselves travel as compact JSON in
    the page, and borderscape's script (``static/map.js``) fills the layers from it: dictionary
    encoded popups, cluster icons with counts, the legend with its size key and the year
    range, which no folium plugin provides.  Its root is a page (``m.get_root()``) that writes
    the title, notices, footer and data table, and swaps every CDN address for the installed
    XStatic files (:func:`to_html`).

    Parameters
    ----------
    gathered
        What to draw (:class:`StudyMap`).
    title, subtitle, credit
        The page's heading, the line under it, and who made the map (in the source line);
        default: the study's title, a line saying what the records are and their years, none.
    embed
        A page for an iframe: compact heading, and the results of the tests left out unless
        ``stats``.
    stats
        Show the results of the tests in a panel (default: not in an ``embed`` map).
    tiles
        ``none`` (the vector basemap only) or ``osm`` (OpenStreetMap tiles: a network request).
    data_dir
        Where the GSHHG coastlines and borders are looked for (default ``BORDERSCAPE_DATA``).
    basemap
        Draw coastlines, borders and place names (:mod:`borderscape.basemap`).
    lang
        The language of every text the reader sees (:data:`borderscape.i18n.LANGUAGES`, or the
        pseudo-locale :data:`borderscape.i18n.PSEUDO`): the page's own texts, the study's title and
        caveats, the layers, legend, popups' labels and the data table, with numbers and dates
        written the reader's way; place names and the values of data are shown as they are.
        The :class:`~borderscape.i18n.Translator` used is ``m.get_root().translator`` (its
        ``untranslated`` holds the texts no catalogue translated).

    Returns
    -------
    folium.Map
        Add folium layers to it and show or save it; :func:`to_html` writes its page.

    Examples
    --------
    A map of a layer file, extended with a folium marker (a run folder works the same way:
    ``bs.map(bs.read_run("out/az"))``):

    >>> import folium, geopandas as gpd, shapely, borderscape as bs
    >>> remains = gpd.GeoDataFrame(
    ...     {"date": ["2020-05-01"], "dead": [1]}, geometry=[shapely.Point(-111.0, 31.9)], crs="EPSG:4326"
    ... )
    >>> remains.to_parquet("remains.parquet")
    >>> m = bs.map(["remains.parquet"])
    >>> _ = folium.CircleMarker([32.2, -110.97], radius=8, tooltip="Tucson").add_to(m)
    >>> m.save("remains.html")
    >>> "remains" in open("remains.html", encoding="utf-8").read()
    True
    """
    import folium
    from folium.plugins import MarkerCluster
    from folium.utilities import JsCode

    from borderscape import basemap as basemap_module

    if tiles not in TILES:
        raise InputError(f"unknown tiles {tiles!r}", remedy=f"use one of {', '.join(TILES)}")
    e = html.escape
    layers = _ordered(gathered.layers)
    west, south, east, north = tuple(gathered.bbox) if gathered.bbox is not None else _bounds(layers)
    tolerance = max(east - west, north - south) / 2048.0
    stats = (not embed) if stats is None else bool(stats)
    simulated = gathered.simulated
    tr = Translator(lang)
    _ = tr.gettext
    heading = title if title is not None else tr.text(gathered.title)
    shown_title = f"{_(SIMULATED)} — {heading}" if simulated else heading
    period = _period(layers)
    page = _page_class()(title=shown_title, translator=tr)
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=6,
        tiles=None,
        control_scale=True,
        zoom_snap=0.5,
        gesture_handling=True,
        gesture_handling_options={"text": {k: _(v) for k, v in GESTURES.items()}, "duration": 1000},
    )
    m.options.update(min_zoom=1, max_zoom=18)  # folium's own min_zoom/max_zoom are the tile layer's
    m.default_js = [_LEAFLET_JS]
    m.default_css = [_LEAFLET_CSS]
    page.add_child(m)
    page.GestureHandling().add_to(m)
    m.fit_bounds([[south, west], [north, east]], max_zoom=12)
    if tiles == "osm":
        folium.TileLayer(OSM_URL, attr=e(_(OSM_ATTRIBUTION)), name="OpenStreetMap", control=False).add_to(m)
    folium.map.CustomPane("bs-basemap", z_index=350).add_to(m)
    folium.map.CustomPane("bs-labels", z_index=450).add_to(m)

    sources, attribution = _sources_with_layers(gathered.sources, layers)
    notes: list[str] = []
    if basemap and not simulated:  # a generated world has no real places
        mx, my = (east - west) * 0.25, (north - south) * 0.25
        borders = [g for ly in layers if ly.name == "Border" for g in ly.frame.geometry.values if g is not None]
        base = basemap_module.basemap(
            (west - mx, south - my, east + mx, north + my),
            data_dir,
            border_lines=borders,
            tolerance=tolerance,
            label_box=(west, south, east, north),
            lang=tr.locale,
        )
        notes += list(base.notes)
        for entry in base.sources:
            if entry["id"] not in attribution:
                sources.append(entry)
                attribution.append(entry["id"])
        for geoms, style, name in (
            (base.coastlines, {"color": "#7f8c96", "weight": 1, "opacity": 0.9}, "Coastlines (GSHHG)"),
            (base.borders, {"color": "#6b6b6b", "weight": 1.5, "dashArray": "5 4", "opacity": 0.9}, "Borders (WDBII)"),
        ):
            if len(geoms):
                folium.GeoJson(
                    _line_features(geoms, style), name=name, control=False, pane="bs-basemap", interactive=False
                ).add_to(m)
        places = folium.FeatureGroup(name=e(_("Place names (GeoNames)")), control=True, show=True)
        _place_markers(folium, places, base.places)
        places.add_to(m)

    specs, elements = [], []
    for ly in layers:
        spec = _layer_data(ly, tolerance)
        spec.update(
            name=shown_name(ly, tr),
            note=tr.text(ly.note) if ly.note else "",
            props={f: {**p, "values": [_shown(f, v, tr) for v in p["values"]]} for f, p in spec["props"].items()},
            colour=_colour(ly.colour),
            text=text_colour(_colour(ly.colour)),
            unit=_(_unit(ly)),
            shape=_shape(ly),
            weight=_line_weight(ly),
            weights=_weights(ly) if ly.kind == "points" else None,
        )
        keep = _kept(ly, tolerance)
        if spec["weights"] is not None:
            spec["weights"] = [w for w, k in zip(spec["weights"], keep) if k]
        if ly.kind == "points":
            element = MarkerCluster(
                name=_control_label(ly, tr),
                show=ly.visible,
                max_cluster_radius=CLUSTER_RADIUS[0] if ly.cluster else CLUSTER_RADIUS[1],
                show_coverage_on_hover=False,
                spiderfy_on_max_zoom=True,
                chunked_loading=True,
            )
        else:
            element = folium.FeatureGroup(name=_control_label(ly, tr), show=ly.visible)
        element.add_to(m)
        specs.append(spec)
        elements.append(element)
    # collapsed behind its button on a small screen, and on any screen when it lists many layers
    entries = len(elements) + (1 if basemap and not simulated else 0)
    collapsed = "true" if entries > MAX_EXPANDED else f"!window.matchMedia({json.dumps(WIDE)}).matches"
    folium.LayerControl(position="topright", collapsed=JsCode(collapsed)).add_to(m)

    # the page around the map
    all_caveats = [tr.text(c) for c in gathered.caveats] + [_(MAP_CAVEAT), _(PRIVACY_CAVEAT)]
    if simulated:
        all_caveats.insert(0, _(SIMULATED_WORLD))
    if tiles == "osm":
        all_caveats.append(_("Basemap tiles are requested from OpenStreetMap (the only network request of this map)."))
    all_caveats += [_("Basemap: {note}.").replace("{note}", tr.text(n)) for n in notes]
    licence, cite, caveat = _("Licence:"), _("Cite:"), _("Caveat:")
    w = {
        m: e(_(m))
        for m in (
            N_("Basemap"),
            N_("Results of the tests"),
            N_("Map:"),
            N_("Sources:"),
            N_("Sources, licences and caveats"),
            N_("Caveats"),
            N_("Sources and licences"),
            N_("Data table"),
        )
    }
    source_items = "".join(
        f"<li><b translate='no'>{e(str(s.get('id', '')))}</b>: <span translate='no'>{e(str(s.get('publisher', '')))}</span>. "
        f"{e(licence)} {e(tr.text(str(s.get('licence', ''))))}. {e(cite)} <span translate='no'>{e(str(s.get('citation', '')))}</span>."
        + (f" {e(caveat)} {e(tr.text(str(s['caveats'])))}" if s.get("caveats") else "")
        + "</li>"
        for s in sources
    )
    source_items += (
        f"<!--libraries--><li><b translate='no'>folium, branca</b> <span translate='no'>(© python-visualization)</span>. "
        f"{e(licence)} <span translate='no'>MIT</span>.</li>"
    )
    if tiles == "osm":
        source_items += f"<li><b>{w['Basemap']}</b>: {e(_(OSM_ATTRIBUTION))}.</li>"
    caveat_items = "".join(f"<li>{e(c)}</li>" for c in all_caveats)
    tests = ""
    if stats and gathered.outcomes:
        present = {str(s.get("role")) for s in sources}
        heads = ("id", _("role"), _("test"), _("status"), _("estimate"), _("CI"), _("adj. p"), "p", "n")
        tests = (
            f"<details id='bs-tests'><summary>{w['Results of the tests']}</summary><p>"
            + e(
                _(
                    "Role: each question has one primary result; secondary results qualify it; descriptive results "
                    "are not tests. Adj. p is adjusted for the number of tests (Holm across the primary results, "
                    "Benjamini–Hochberg within a question): judge chance by it."
                )
            )
            + "</p><table><tr>"
            + "".join(f"<th{NO if h in ('id', 'p', 'n') else ''}>{e(h)}</th>" for h in (*heads, _("notes / reason")))
            + f"</tr>{_outcome_rows(gathered.outcomes, tr, present)}</table></details>"
        )
    drawn = {ly.source for ly in layers} | {"gshhg", "geonames"}
    publishers = []
    for s in sources:
        if s.get("id") not in drawn:
            continue
        name = re.split(r" \(|, | via |; ", str(s.get("publisher", "")), maxsplit=1)[0]
        if name and name not in publishers:
            publishers.append(name)
    made = f" {w['Map:']} <span translate='no'>{e(credit)}</span>." if credit else ""
    source_line = (
        f"<p class='bs-source'>{w['Sources:']} <span translate='no'>{e('; '.join(publishers))}</span>.{made}</p>"
    )
    footer = (
        f'<footer id="bs-info" class="bs-panel">{source_line}'
        f"<details><summary>{w['Sources, licences and caveats']}</summary>"
        f"<h2>{w['Caveats']}</h2><ul>{caveat_items}</ul><h2>{w['Sources and licences']}</h2><ul>{source_items}</ul>"
        "<p>"
        + e(
            _(
                "Made with borderscape, for accountability about past surveillance: it forecasts no crossing and ranks "
                "no place."
            )
        )
        + f"</p></details><details id='bs-table'><summary>{w['Data table']}</summary>"
        f"{data_tables(layers, period, tr)}</details>{tests}</footer>"
    )
    if subtitle is None:
        subtitle = default_subtitle(layers, tr)
    banner = f'<div class="bs-simulated">{e(_(SIMULATED_WORLD))}</div>' if simulated else ""
    text = {k: _(v) for k, v in STRINGS.items()}
    years = ""
    if period is not None and period[0] < period[1]:
        lo, hi = period
        years = (
            '<div class="bs-years" role="group" aria-labelledby="bs-years-label">'
            f'<span id="bs-years-label">{e(text["years"])}</span><span class="bs-range">'
            f'<input type="range" id="bs-year-from" min="{lo}" max="{hi}" step="1" value="{lo}" '
            f'aria-label="{e(text["first_year"], quote=True)}">'
            f'<input type="range" id="bs-year-to" min="{lo}" max="{hi}" step="1" value="{hi}" '
            f'aria-label="{e(text["last_year"], quote=True)}"></span>'
            f'<output id="bs-years-shown" for="bs-year-from bs-year-to" aria-live="polite">{lo}–{hi}</output></div>'
        )
    header = (
        f'<header>{banner}<div class="bs-titles"><h1>{e(shown_title)}</h1>'
        + (f'<p class="bs-subtitle">{e(subtitle)}</p>' if subtitle else "")
        + f"</div>{years}"
        + (
            f'<details class="bs-notices" open><summary>{e(text["not_shown"])} ({len(gathered.notices)})</summary>'
            + "".join(f'<p class="bs-notice" role="note">{e(tr.text(n))}</p>' for n in gathered.notices)
            + "</details>"
            if gathered.notices
            else ""
        )
        + "</header>"
    )
    page.parts = {
        "header": header,
        "footer": footer,
        "label": map_label(shown_title, tr),
        "body_class": "bs-embed" if embed else "",
        "elements": elements,
        "data": {
            "layers": specs,
            "labels": {k: _(v) for k, v in LABELS.items()},
            "text": text,
            "locale": tr.locale,
            "bounds": [[south, west], [north, east]],
            "tiles": tiles,
            "osm": {"url": OSM_URL, "attribution": _(OSM_ATTRIBUTION)} if tiles == "osm" else None,
            "attribution": sorted(set(attribution)),
            "simulated": simulated,
            "period": list(period) if period is not None else None,
            "size_key": list(SIZE_KEY),
            "wide": WIDE,
        },
    }
    return m


def default_subtitle(layers: Sequence[MapLayer], tr: Translator) -> str | None:
    """The line under a map's title: how many records of each records layer, and their years."""
    records = [ly for ly in layers if ly.group == "Remains and incidents" and ly.kind == "points"]
    period = _period(layers)
    if not records or period is None:
        return None
    return "; ".join(
        tr.ngettext("{n} record of {layer}", "{n} records of {layer}", len(ly.frame))
        .replace("{n}", tr.integer(len(ly.frame)))
        .replace("{layer}", shown_name(ly, tr))
        for ly in records
    ) + (f", {period[0]}–{period[1]}" if period[0] != period[1] else f", {period[0]}")


def map_label(title: str, tr: Translator) -> str:
    """The accessible name of a map (its ``aria-label``, an embedding iframe's ``title``)."""
    return tr.gettext("Interactive map: {title}").replace("{title}", title)


def _kept(layer: MapLayer, tolerance: float) -> np.ndarray:
    """Which features of ``layer`` :func:`_layer_data` keeps (not missing or empty)."""
    geoms = layer.frame.geometry.values
    if layer.kind != "points" and tolerance > 0:
        geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def to_html(m: Any, *, self_contained: bool = True, assets_url: str | None = None) -> str:
    """The HTML page of a map made by :func:`interactive_map` (and extended, maybe).

    Parameters
    ----------
    m
        The :class:`folium.Map` (its root must be borderscape's page).
    self_contained
        Inline Leaflet, its plugins and their images: one file that makes no network request
        (except tiles, when asked for).  A plugin of which borderscape has no offline copy is
        refused (:class:`InputError`).
    assets_url
        Without ``self_contained``: the relative URL of the folder holding the files
        (:func:`borderscape.assets.copy_assets`).

    Returns
    -------
    str
        The page.
    """
    if not self_contained and not assets_url:
        raise InputError(
            "a map that is not self-contained needs assets_url", remedy="pass assets_url or self_contained=True"
        )
    page = m.get_root()
    if not hasattr(page, "parts"):
        raise InputError("this map was not made by borderscape.webmap.interactive_map", remedy="use m.save(path)")
    page.self_contained = self_contained
    page.assets_url = assets_url
    return page.render()


def build_map(
    layers: Sequence[MapLayer],
    *,
    title: str,
    sources: Sequence[Mapping[str, str]],
    caveats: Sequence[str],
    simulated: bool = False,
    self_contained: bool = True,
    tiles: str = "none",
    assets_url: str | None = None,
    bbox: Sequence[float] | None = None,
    outcomes: Sequence[Mapping[str, Any]] = (),
    notices: Sequence[str] = (),
    **options: Any,
) -> str:
    """The HTML text of an interactive map of ``layers`` (:func:`interactive_map`, :func:`to_html`).

    Parameters
    ----------
    layers, title, sources, caveats, simulated, bbox, outcomes, notices
        As the fields of :class:`StudyMap`: titles, sources and caveats are escaped; the
        map's own privacy caveat is added; ``notices`` are shown under the title.
    self_contained, assets_url
        See :func:`to_html`.
    tiles
        ``none`` or ``osm``.
    **options
        Passed to :func:`interactive_map` (``subtitle``, ``credit``, ``embed``, ``stats``,
        ``data_dir``, ``basemap``, ``lang``).

    Returns
    -------
    str
        One HTML document; lines and areas simplified to about half a screen pixel at the
        opening view (tolerance = larger side of the extent / 2048, degrees).
    """
    if tiles not in TILES:
        raise InputError(f"unknown tiles {tiles!r}", remedy=f"use one of {', '.join(TILES)}")
    gathered = StudyMap(
        tuple(layers),
        title,
        tuple(sources),
        tuple(caveats),
        simulated,
        None if bbox is None else tuple(float(v) for v in bbox),
        tuple(outcomes),
        tuple(notices),
    )
    return render(gathered, self_contained=self_contained, tiles=tiles, assets_url=assets_url, **options)


# -- files ----------------------------------------------------------------------------------

#: The files a map written with its files beside it needs (:func:`write_map`).
FILES = (
    "leaflet.js",
    "leaflet.css",
    "leaflet.markercluster.js",
    "MarkerCluster.css",
    "MarkerCluster.Default.css",
    "leaflet-gesture-handling.min.js",
    "leaflet-gesture-handling.min.css",
)


def _copy_assets(folder: Path) -> None:
    """Copy Leaflet, its plugins and Leaflet's images into ``folder`` (atomically, file by file)."""
    from borderscape.assets import copy_assets

    copy_assets(folder, list(FILES))


def files_map(paths: Sequence[str | os.PathLike]) -> StudyMap:
    """The map of layer files written by ``borderscape ingest … --out FILE``, with no study.

    Raises
    ------
    InputError
        No file given.
    """
    if not paths:
        raise InputError(
            "nothing to map: give a STUDY, a run folder (--from), or one or more --layer FILE",
            remedy="borderscape map arizona-sonora --out map.html, borderscape map --from out/arizona-sonora "
            "--out map.html, or borderscape map --layer deaths.parquet --out map.html",
        )
    layers, sources = file_layers(paths)
    return StudyMap(tuple(layers), "Map of " + ", ".join(Path(p).name for p in paths), tuple(sources), (), False)


def with_files(gathered: StudyMap, paths: Sequence[str | os.PathLike]) -> StudyMap:
    """``gathered`` with the layers of ``paths`` added (their sources credited once)."""
    if not paths:
        return gathered
    more, more_sources = file_layers(paths)
    sources = list(gathered.sources) + [s for s in more_sources if s not in gathered.sources]
    return dataclasses.replace(gathered, layers=gathered.layers + tuple(more), sources=tuple(sources))


def run_data_dir(folder: str | os.PathLike[str]) -> Path | None:
    """The data folder a run read its inputs from (``provenance.json`` ``options.data_dir``), if it
    still exists: where the map of the run folder finds the basemap's coastlines again."""
    try:
        options = json.loads((Path(folder) / "provenance.json").read_text(encoding="utf-8")).get("options") or {}
    except (OSError, ValueError):
        return None
    value = options.get("data_dir") if isinstance(options, Mapping) else None
    return Path(value) if isinstance(value, str) and value and Path(value).is_dir() else None


def render(
    gathered: StudyMap,
    *,
    self_contained: bool = True,
    tiles: str = "none",
    assets_url: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    **options: Any,
) -> str:
    """The HTML text of the map of ``gathered`` (:func:`interactive_map`, then :func:`to_html`).

    ``data_dir`` (the GSHHG files of the basemap) defaults to ``borderscape.settings.data_dir``.
    """
    if data_dir is None:
        from borderscape import settings

        data_dir = settings.data_dir
    m = interactive_map(gathered, tiles=tiles, data_dir=data_dir, **options)
    return to_html(m, self_contained=self_contained, assets_url=assets_url)


def write_map(
    out: str | os.PathLike,
    gathered: StudyMap,
    *,
    self_contained: bool = True,
    tiles: str = "none",
    **options: Any,
) -> Path:
    """Write the map of ``gathered`` (a run's :class:`StudyMap`, or :func:`files_map`).

    Parameters
    ----------
    out
        The HTML file.  Without ``self_contained``, Leaflet and its plugins are copied into
        ``<stem>_files/`` beside it and referenced relatively (the folder is written first,
        the HTML last).
    gathered
        What to draw: from a run in memory (``borderscape.Result.map_data()``), a run folder
        (``borderscape.read_run(folder).map_data()``) or layer files (:func:`files_map`).
    self_contained, tiles
        See :func:`build_map`.
    **options
        Passed to :func:`interactive_map` (``title``, ``subtitle``, ``credit``, ``embed``,
        ``stats``, ``data_dir``, ``basemap``, ``lang``).

    Returns
    -------
    Path
        The HTML file written.
    """
    if tiles not in TILES:
        raise InputError(f"unknown tiles {tiles!r}", remedy=f"use one of {', '.join(TILES)}")
    out = Path(out)
    assets_url = None
    if not self_contained:
        folder = out.parent / f"{out.stem}_files"
        _copy_assets(folder)
        assets_url = folder.name
    page = render(gathered, self_contained=self_contained, tiles=tiles, assets_url=assets_url, **options)
    return write_text_atomic(out, page)


def embed_snippet(src: str, *, title: str, aspect: str = "4 / 3") -> str:
    """A responsive ``<iframe>`` snippet for embedding a map in a web page.

    Parameters
    ----------
    src
        URL of the map file: an ``http://`` or ``https://`` URL with a host, or a relative path
        (no scheme, not starting with ``//``, no control characters), such as ``map.html`` or
        ``maps/az.html``.  Anything else (``javascript:``, ``data:``, ``file:``,
        protocol-relative ``//host/...``) is refused.
    title
        The iframe's accessible title (escaped).
    aspect
        CSS ``aspect-ratio`` of the wrapper, such as ``4 / 3`` or ``16 / 9``.

    Returns
    -------
    str
        A ``<div>`` wrapper of full width with the aspect ratio, holding a lazily loaded,
        sandboxed (``allow-scripts`` only) iframe.

    Raises
    ------
    InputError
        ``src`` is not an http(s) URL or a relative path, or ``aspect`` is not a ratio.
    """
    import urllib.parse

    remedy = "give an http:// or https:// URL (https://example.org/map.html) or a relative path (map.html)"
    if not isinstance(src, str) or not src.strip():
        raise InputError("the embed URL is empty", remedy=remedy)
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F or ch.isspace() for ch in src):
        raise InputError(
            f"the embed URL {src!r} holds spaces or control characters", remedy=remedy + "; write a space as %20"
        )
    if "\\" in src:
        raise InputError(f"the embed URL {src!r} holds a backslash", remedy=remedy)
    parts = urllib.parse.urlsplit(src)
    if parts.scheme:
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise InputError(f"the embed URL {src!r} is not an http(s) URL or a relative path", remedy=remedy)
    elif src.startswith("//") or ":" in src.split("/", 1)[0]:
        raise InputError(f"the embed URL {src!r} is not an http(s) URL or a relative path", remedy=remedy)
    if not re.fullmatch(r"\s*\d+(\.\d+)?\s*/\s*\d+(\.\d+)?\s*", aspect):
        raise InputError(f"aspect {aspect!r} is not a ratio", remedy="write it like 4 / 3 or 16 / 9")
    e = html.escape
    return (
        f'<div style="position:relative;width:100%;aspect-ratio:{e(aspect.strip())};">'
        f'<iframe src="{e(src, quote=True)}" title="{e(title, quote=True)}" loading="lazy" sandbox="allow-scripts" '
        'style="position:absolute;inset:0;width:100%;height:100%;border:0;"></iframe></div>'
    )
