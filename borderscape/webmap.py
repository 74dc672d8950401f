"""Interactive, self-contained Leaflet maps (``borderscape map``).

A map is one HTML file: Leaflet 1.9.4 (from the ``django-js-lib-leaflet`` package, never a
CDN), a small script and stylesheet of our own (grid clustering, a time slider by year, a legend;
``borderscape/static/map.js`` and ``map.css``, package data read by :func:`static_text`), and
the data as JSON inside ``<script type="application/json">``.  It makes no network request, except
OpenStreetMap tiles when asked for (``tiles="osm"``); by default the background is the
study's own vector context (border, coastlines, roads).

Safety and privacy
    Every text from data is put on the page with DOM ``textContent`` (never ``innerHTML``);
    the JSON has ``<``, ``>`` and ``&`` written as ``\\u003c`` … so no data can close the
    script element; titles, sources and caveats in the HTML are escaped with
    :func:`html.escape`.  Popups show only allow-listed fields per kind of layer
    (:data:`FIELDS`): never a record id, name, age or sex.  Dates of deaths are shown to the
    month and their coordinates rounded to 3 decimals (about 100 m).

Aggregation
    Points of deaths layers are binned into square cells of :data:`CLUSTER_PX` screen pixels
    at the current zoom (recomputed on zoom, pan and a change of year); a cell with several
    records is one circle whose area grows with the count, a single record shows its own
    popup.  This keeps all 17,846 IOM incidents smooth with a few hundred SVG elements.
"""

from __future__ import annotations

import base64
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
from borderscape.geo.files import atomic_path, write_text_atomic
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
#: Colours of sensor layers, one per kind, in turn.
SENSOR_COLOURS = tuple(OKABE_ITO[c] for c in ("blue", "orange", "purple", "sky_blue", "yellow", "black"))
#: Popup fields allowed per kind of layer (every other column stays out of the file).
FIELDS = {
    "deaths": ("date", "dead", "missing", "cause", "location_precision", "source_id"),
    "sensors": ("kind", "deployment", "height_m", "active"),
    "context": ("name", "fullname", "feature", "kind", "type", "operation", "rcc", "country_iso3"),
}
LABELS = {
    "date": "date (month)",
    "location_precision": "location precision",
    "source_id": "source",
    "height_m": "height (m)",
    "active": "active (years)",
    "fullname": "name",
    "rcc": "rescue centre",
    "country_iso3": "country",
    "count": "records in cell",
    "gi_z": "Gi* z-score",
    "period": "period",
    "energy_kj": "energy (kJ)",
    "length_m": "length (m)",
    "epoch": "coverage from",
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
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"
PRIVACY_CAVEAT = (
    "Privacy: the map shows no record id, name, age or sex; dates of deaths are shown to the month "
    "and their positions rounded to 0.001° (about 100 m); places with several records are "
    "aggregated into circles whose area grows with the count."
)
MAP_CAVEAT = (
    "Remains and incidents are shown where they were found or reported, not where people walked or "
    "sailed; deaths are undercounted."
)
#: Study roles drawn on a study map: role -> (group, name, colour); roles not listed are not drawn.
ROLES = {
    "deaths": ("Remains and incidents", None, OKABE_ITO["vermillion"]),
    "incidents": ("Remains and incidents", None, OKABE_ITO["purple"]),
    "towers": ("Surveillance", "Surveillance towers", OKABE_ITO["blue"]),
    "coastal_stations": ("Surveillance", "Coastal radar stations", OKABE_ITO["blue"]),
    "aerial_tracks": ("Surveillance", "Aerial surveillance tracks", OKABE_ITO["blue"]),
    "operational_areas": ("Surveillance", "Operational areas", OKABE_ITO["blue"]),
    "sar_regions": ("Context", "Search and rescue regions", OKABE_ITO["green"]),
    "border": ("Context", "Border", OKABE_ITO["black"]),
    "coastline": ("Context", "Coastline", GREY),
    "roads": ("Context", "Roads", GREY),
    "water_stations": ("Context", "Water stations", OKABE_ITO["sky_blue"]),
    "stations": ("Context", "Border Patrol stations", OKABE_ITO["yellow"]),
}


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
        parts += [("kind not stated", unknown)] if len(unknown) else []
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
        first = (
            _year(rows["active_from"])
            if "active_from" in rows.columns
            else pd.Series(pd.NA, index=rows.index, dtype="Int64")
        )
        last = (
            _year(rows["active_to"])
            if "active_to" in rows.columns
            else pd.Series(pd.NA, index=rows.index, dtype="Int64")
        )
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
                note="circle area grows with the number of records" if clustered else "",
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
                group="Coverage",
                kind="areas",
                frame=frame,
                fields=("epoch",),
                colour=OKABE_ITO["sky_blue"],
                years=("year_from", "year_to"),
                visible=i == len(epochs) - 1,
                note="what sensors could see (modelled), not what was watched",
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
            ("unconstrained", "Modelled routes, unconstrained", OKABE_ITO["green"]),
            ("avoiding", "Modelled routes avoiding coverage", OKABE_ITO["orange"]),
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
                    group="Routes",
                    kind="lines",
                    frame=frame,
                    fields=("epoch", "energy_kj") if kind == "avoiding" else ("energy_kj",),
                    colour=colour,
                    years=("year_from", "year_to"),
                    note="least-energy model, not observed paths",
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
                name="Hot spots of deaths (Gi*, past periods)",
                group="Hot spots",
                kind="areas",
                frame=frame,
                fields=("period", "count", "gi_z"),
                colour=OKABE_ITO["orange"],
                years=("year_from", "year_to"),
                visible=False,
                note="cells where recorded deaths cluster (Getis–Ord Gi*, FDR-controlled)",
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
        "deaths": [OKABE_ITO["vermillion"], OKABE_ITO["purple"], OKABE_ITO["orange"]],
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


def _leaflet_dir() -> Any:
    return resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"


def _leaflet_css_inline() -> str:
    """leaflet.css with its images as data: URIs (no file request)."""
    folder = _leaflet_dir()
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(m: re.Match) -> str:
        png = (folder / "images" / m.group(1)).read_bytes()
        return "url(data:image/png;base64," + base64.b64encode(png).decode("ascii") + ")"

    return re.sub(r"url\(images/([A-Za-z0-9_-]+\.png)\)", data_uri, css)


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


GROUP_ORDER = ("Remains and incidents", "Hot spots", "Surveillance", "Coverage", "Routes", "Context")


def _bounds(layers: Sequence[MapLayer]) -> tuple[float, float, float, float]:
    boxes = [ly.frame.total_bounds for ly in layers if len(ly.frame)]
    if not boxes:
        return (-180.0, -60.0, 180.0, 75.0)
    b = np.array(boxes)
    return (float(np.nanmin(b[:, 0])), float(np.nanmin(b[:, 1])), float(np.nanmax(b[:, 2])), float(np.nanmax(b[:, 3])))


def _outcome_rows(outcomes: Sequence[Mapping[str, Any]]) -> str:
    e = html.escape

    def num(v: Any, fmt: str) -> str:
        return "" if v is None else format(v, fmt)

    rows = []
    for t in outcomes:
        ci = t.get("ci")
        ci_text = "" if ci is None or None in ci else f"[{ci[0]:.4g}, {ci[1]:.4g}]"
        test = t.get("role") != "descriptive"  # a descriptive result is not a test: no p-value shown
        cells = (
            t["id"],
            t.get("role") or "",
            t.get("name", ""),
            t["status"],
            num(t.get("estimate"), ".4g"),
            ci_text,
            num(t.get("p_adjusted"), ".3g") if test else "",
            num(t.get("p_value"), ".3g") if test else "",
            "" if t.get("n") is None else str(t["n"]),
            t.get("reason") or "",
        )
        rows.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in cells) + "</tr>")
    return "".join(rows)


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
) -> str:
    """The HTML text of an interactive Leaflet map.

    Parameters
    ----------
    layers
        Map layers, drawn in the order of :data:`GROUP_ORDER` then as given.
    title
        Page title (escaped).
    sources
        ``{"id", "publisher", "licence", "citation", "caveats"}`` per source (escaped), shown in
        the "Sources, licences and caveats" panel.
    caveats
        Caveats of the study (escaped); the map's own privacy caveat is added.
    simulated
        Mark every title ``SIMULATED DATA``.
    self_contained
        Inline Leaflet (its CSS images as data: URIs); else reference ``assets_url``.
    tiles
        ``none`` (vector context only) or ``osm`` (OpenStreetMap tiles: the only network request).
    assets_url
        Relative URL of the folder holding ``leaflet.js``/``leaflet.css`` (without self_contained).
    bbox
        ``(west, south, east, north)`` in degrees to open on (default: the layers' extent).
    outcomes
        Results of the battery (``results.json`` ``tests``), listed in a panel.
    notices
        Sentences shown under the title, on the first screen (escaped): a layer the study
        promises that the run did not have (:func:`borderscape.analyses.needs.notices`).

    Returns
    -------
    str
        One HTML document; lines and areas simplified to about half a screen pixel at the
        opening view (tolerance = larger side of the extent / 2048, degrees).
    """
    if tiles not in TILES:
        raise InputError(f"unknown tiles {tiles!r}", remedy=f"use one of {', '.join(TILES)}")
    if not self_contained and not assets_url:
        raise InputError(
            "a map that is not self-contained needs assets_url", remedy="pass assets_url or self_contained=True"
        )
    e = html.escape
    west, south, east, north = tuple(bbox) if bbox is not None else _bounds(layers)
    tolerance = max(east - west, north - south) / 2048.0
    ordered = sorted(
        layers, key=lambda ly: GROUP_ORDER.index(ly.group) if ly.group in GROUP_ORDER else len(GROUP_ORDER)
    )
    sources_ids = {s.get("id") for s in sources}
    attribution = [str(s.get("id", "")) for s in sources]
    for ly in ordered:
        entry = _source_entry(ly.source)
        if entry is not None and entry["id"] not in sources_ids:
            sources = [*sources, entry]
            sources_ids.add(entry["id"])
            attribution.append(entry["id"])
    data = {
        "layers": [_layer_data(ly, tolerance) for ly in ordered],
        "labels": LABELS,
        "bounds": [[south, west], [north, east]],
        "tiles": tiles,
        "osm": {"url": OSM_URL, "attribution": OSM_ATTRIBUTION} if tiles == "osm" else None,
        "attribution": sorted(set(attribution)),
        "simulated": simulated,
        "cluster_px": CLUSTER_PX,
    }
    shown_title = f"{SIMULATED} — {title}" if simulated else title
    all_caveats = list(caveats) + [MAP_CAVEAT, PRIVACY_CAVEAT]
    if simulated:
        all_caveats.insert(0, f"{SIMULATED}: a generated world; nothing here is a real place, tower or person.")
    if tiles == "osm":
        all_caveats.append("Basemap tiles are requested from OpenStreetMap (the only network request of this map).")
    source_items = "".join(
        f"<li><b>{e(str(s.get('id', '')))}</b>: {e(str(s.get('publisher', '')))}. Licence: {e(str(s.get('licence', '')))}. "
        f"Cite: {e(str(s.get('citation', '')))}."
        + (f" Caveat: {e(str(s['caveats']))}" if s.get("caveats") else "")
        + "</li>"
        for s in sources
    )
    source_items += (
        "<li><b>Leaflet 1.9.4</b>: © Volodymyr Agafonkin and contributors. Licence: BSD-2-Clause "
        "(bundled from the django-js-lib-leaflet package).</li>"
    )
    if tiles == "osm":
        source_items += f"<li><b>Basemap</b>: {e(OSM_ATTRIBUTION)}.</li>"
    caveat_items = "".join(f"<li>{e(c)}</li>" for c in all_caveats)
    tests = ""
    if outcomes:
        tests = (
            "<details><summary>Results of the tests</summary><p>Role: each question has one primary result; "
            "secondary results qualify it; descriptive results are not tests. Adj. p is adjusted for the number of "
            "tests (Holm across the primary results, Benjamini–Hochberg within a question): judge chance by it.</p>"
            "<table><tr><th>id</th><th>role</th><th>test</th><th>status</th><th>estimate</th><th>CI</th>"
            "<th>adj. p</th><th>p</th><th>n</th><th>notes / reason</th></tr>"
            f"{_outcome_rows(outcomes)}</table></details>"
        )
    banner = (
        (
            f'<div class="bs-simulated">{SIMULATED}: a generated world; nothing here is a real place, tower or '
            "person.</div>"
        )
        if simulated
        else ""
    )
    notice_html = "".join(f'<p class="bs-notice" role="note">{e(n)}</p>' for n in notices)
    if self_contained:
        folder = _leaflet_dir()
        head_assets = f"<style>\n{_leaflet_css_inline()}\n</style>"
        leaflet_js = f"<script>\n{_script_text((folder / 'leaflet.js').read_text(encoding='utf-8'))}\n</script>"
    else:
        base = e(assets_url.rstrip("/"), quote=True)
        head_assets = f'<link rel="stylesheet" href="{base}/leaflet.css">'
        leaflet_js = f'<script src="{base}/leaflet.js"></script>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(shown_title)}</title>
{head_assets}
<style>
{static_text("map.css")}</style>
</head><body>
<header>{banner}<h1>{e(shown_title)}</h1>{notice_html}</header>
<div id="bs-map" role="region" aria-label="{e(shown_title, quote=True)}"></div>
<div id="bs-info" class="bs-panel"><details><summary>Sources, licences and caveats</summary>
<h2>Caveats</h2><ul>{caveat_items}</ul>
<h2>Sources and licences</h2><ul>{source_items}</ul>
<p>Made with borderscape, for accountability about past surveillance: it forecasts no crossing and ranks no place.</p>
</details>{tests}</div>
<script type="application/json" id="bs-data">{_json_for_html(data)}</script>
{leaflet_js}
<script>
{_script_text(static_text("map.js"))}</script>
</body></html>
"""


# -- files ----------------------------------------------------------------------------------


def _copy_assets(folder: Path) -> None:
    """Copy leaflet.js, leaflet.css and images/ into ``folder`` (atomically, file by file)."""
    src = _leaflet_dir()
    for name in ("leaflet.js", "leaflet.css"):
        with atomic_path(folder / name) as tmp:
            tmp.write_bytes((src / name).read_bytes())
    for png in (src / "images").iterdir():
        if png.name.endswith(".png"):
            with atomic_path(folder / "images" / png.name) as tmp:
                tmp.write_bytes(png.read_bytes())


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


def render(
    gathered: StudyMap, *, self_contained: bool = True, tiles: str = "none", assets_url: str | None = None
) -> str:
    """The HTML text of the map of ``gathered`` (:func:`build_map`)."""
    return build_map(
        gathered.layers,
        title=gathered.title,
        sources=gathered.sources,
        caveats=gathered.caveats,
        simulated=gathered.simulated,
        self_contained=self_contained,
        tiles=tiles,
        assets_url=assets_url,
        bbox=gathered.bbox,
        outcomes=gathered.outcomes,
        notices=gathered.notices,
    )


def write_map(out: str | os.PathLike, gathered: StudyMap, *, self_contained: bool = True, tiles: str = "none") -> Path:
    """Write the map of ``gathered`` (a run's :class:`StudyMap`, or :func:`files_map`).

    Parameters
    ----------
    out
        The HTML file.  Without ``self_contained``, Leaflet is copied into ``<stem>_files/``
        beside it and referenced relatively (the folder is written first, the HTML last).
    gathered
        What to draw: from a run in memory (``borderscape.Result.map_data()``), a run folder
        (``borderscape.read_run(folder).map_data()``) or layer files (:func:`files_map`).
    self_contained, tiles
        See :func:`build_map`.

    Returns
    -------
    Path
        The HTML file written.
    """
    if tiles not in TILES:
        raise InputError(f"unknown tiles {tiles!r}", remedy=f"use one of {', '.join(TILES)}")
    out = Path(out)
    assets = None
    if not self_contained:
        folder = out.parent / f"{out.stem}_files"
        _copy_assets(folder)
        assets = folder.name
    return write_text_atomic(out, render(gathered, self_contained=self_contained, tiles=tiles, assets_url=assets))


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
