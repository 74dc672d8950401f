"""The source catalog: complete entries, the ids issue 2 requires, tile names, dates in names."""

from __future__ import annotations

import re

import pytest
from shapely.geometry import box

from borderscape.geo.errors import SourceError
from borderscape.layers.catalog import CATALOG, dem_tile_names, get_source
from borderscape.layers.fetch import name_date

REQUIRED_IDS = {
    "pcome",
    "pcome-terrain",
    "iom-mmp",
    "eff-towers",
    "ibwc-boundary",
    "tiger-roads-az",
    "usbp-stations",
    "hb-water-stations",
    "cbp-encounters",
    "frontex-incidents",
    "frontex-detections",
    "imo-srr",
    "unhcr-arrivals",
    "iom-med-monthly",
    "gshhg",
    "dem-copernicus",
    "dem-3dep",
}
FORMATS = {"csv", "json-records", "kml", "kmz", "shp", "geojson", "gpkg", "geotiff", "netcdf", "zip", "gml"}


def test_required_ids_exist():
    assert REQUIRED_IDS <= set(CATALOG)


@pytest.mark.parametrize("source_id", sorted(CATALOG))
def test_entry_is_complete(source_id):
    s = CATALOG[source_id]
    assert s.id == source_id and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s.id)
    for text in (s.title, s.publisher, s.licence, s.citation, s.loader, s.how_to_get):
        assert isinstance(text, str) and text.strip()
    assert s.kind in {"deaths", "sensors", "context", "table", "raster"}
    assert s.urls and all(u.startswith("https://") for u in s.urls)
    assert all(u.startswith(("https://", "http://")) for u in s.downloads)
    assert s.patterns and all(p.format in FORMATS and p.glob for p in s.patterns)
    if s.region is not None:
        w, so, e, n = s.region
        assert -180 <= w < e <= 180 and -90 <= so < n <= 90


def test_user_supplied_and_tile_sources():
    assert CATALOG["eff-towers"].user_supplied and not CATALOG["eff-towers"].downloads
    for sid in ("dem-copernicus", "dem-3dep"):
        assert "{name}" in CATALOG[sid].tile_url and all(p.parts for p in CATALOG[sid].patterns)


def test_unknown_id_lists_known_ids():
    with pytest.raises(SourceError) as err:
        get_source("pcomee")
    assert "pcome" in err.value.remedy and "iom-mmp" in err.value.remedy


def _tile_box(source_id: str, name: str):
    """The 1°×1° cell a tile name stands for, parsed independently of dem_tile_names."""
    if source_id == "dem-copernicus":  # named by the south-west corner
        m = re.fullmatch(r"Copernicus_DSM_COG_10_([NS])(\d\d)_00_([EW])(\d{3})_00_DEM", name)
        lat = int(m[2]) * (1 if m[1] == "N" else -1)
        lon = int(m[4]) * (1 if m[3] == "E" else -1)
        return box(lon, lat, lon + 1, lat + 1)
    m = re.fullmatch(r"([ns])(\d\d)([ew])(\d{3})", name)  # 3DEP: named by the north-west corner
    top = int(m[2]) * (1 if m[1] == "n" else -1)
    lon = int(m[4]) * (1 if m[3] == "e" else -1)
    return box(lon, top - 1, lon + 1, top)


@pytest.mark.parametrize("source_id", ["dem-copernicus", "dem-3dep"])
@pytest.mark.parametrize(
    "bbox",
    [(-112.5, 31.2, -110.1, 32.9), (-112.0, 31.0, -110.0, 33.0), (9.5, -1.5, 10.5, 0.5), (-0.5, 35.2, 0.5, 35.8)],
)
def test_tiles_cover_exactly_the_cells_meeting_the_box(source_id, bbox):
    names = dem_tile_names(source_id, bbox)
    assert len(set(names)) == len(names)
    target = box(*bbox)
    cells = [_tile_box(source_id, n) for n in names]
    # reference: every integer cell whose interior meets the box's interior, by shapely
    w, so, e, n = (int(v) for v in bbox)
    expected = {
        (lon, lat)
        for lon in range(w - 3, e + 3)
        for lat in range(so - 3, n + 3)
        if box(lon, lat, lon + 1, lat + 1).intersection(target).area > 0
    }
    assert {(int(c.bounds[0]), int(c.bounds[1])) for c in cells} == expected
    # row-major from the north-west
    keys = [(-c.bounds[1], c.bounds[0]) for c in cells]
    assert keys == sorted(keys)


def test_tile_names_known_values():
    assert dem_tile_names("dem-copernicus", (-111.5, 31.2, -111.1, 31.8)) == [
        "Copernicus_DSM_COG_10_N31_00_W112_00_DEM"
    ]
    assert dem_tile_names("dem-3dep", (-111.5, 31.2, -111.1, 31.8)) == ["n32w112"]
    assert dem_tile_names("dem-copernicus", (10.2, -0.8, 10.4, -0.2)) == ["Copernicus_DSM_COG_10_S01_00_E010_00_DEM"]
    with pytest.raises(SourceError, match="bounding box"):
        dem_tile_names("dem-copernicus", (-110.0, 31.0, -112.0, 32.0))
    with pytest.raises(SourceError, match="no elevation tiles"):
        dem_tile_names("pcome", (-112.0, 31.0, -111.0, 32.0))


@pytest.mark.parametrize(
    "name, expected",
    [
        ("ogis_deaths_1981_2024-09.csv", (2024, 9, 0)),
        ("ogis_deaths_bansak2025_1981_2020-06.csv", (2020, 6, 0)),
        ("MissingMigrants-Global-2026-05-06.csv", (2026, 5, 6)),
        ("tl_2021_04_prisecroads.shp", (2021, 0, 0)),
        ("unhcr_daily_sea_arrivals_italy_2015-10_2026-03.csv", (2026, 3, 0)),
        ("gshhg_full_shorelines_116W-106W_29N-35N.geojson", (0, 0, 0)),
        ("Copernicus_DSM_COG_10_N31_00_W112_00_DEM.tif", (0, 0, 0)),
        ("2019.json", (2019, 0, 0)),
        ("export_2014-2019.csv", (2019, 0, 0)),
    ],
)
def test_name_date(name, expected):
    assert name_date(name) == expected


@pytest.mark.parametrize("source_id", sorted(CATALOG))
def test_downloaded_file_names_match_the_entry_patterns(source_id):
    """What `borderscape fetch` puts in the cache must be found again by the entry's patterns."""
    import fnmatch
    from pathlib import PurePosixPath
    from urllib.parse import urlsplit

    s = CATALOG[source_id]
    urls = list(s.downloads)
    if s.tile_url:
        urls += [s.tile_url.format(name=n) for n in dem_tile_names(source_id, (-111.5, 31.5, -110.5, 32.5))]
    for url in urls:
        name = PurePosixPath(urlsplit(url).path).name.lower()
        if name.endswith(".zip") and any(p.format == "shp" for p in s.patterns):
            continue  # extracted next to the zip; the shapefile inside is what the pattern finds
        assert any(fnmatch.fnmatchcase(name, p.glob.lower()) for p in s.patterns), url


# ------------------------------------------------------------------------ pinned downloads (issue 16)


def test_pins_are_well_formed_and_name_fixed_files():
    pinned = {sid: s for sid, s in CATALOG.items() if s.pins}
    assert set(pinned) == {"pcome-terrain", "usbp-stations"}
    for s in pinned.values():
        for pin in s.pins:
            assert pin.url in s.downloads and s.pin(pin.url) is pin
            assert re.fullmatch(r"[0-9a-f]{64}", pin.sha256) and pin.size > 0 and pin.note
            # a pinned link names a commit, so its bytes cannot change under the pin
            assert re.search(r"/[0-9a-f]{40}/", pin.url), pin.url
    assert CATALOG["iom-mmp"].pin(CATALOG["iom-mmp"].downloads[0]) is None


@pytest.mark.parametrize("source_id", ["pcome-terrain", "usbp-stations"])
def test_pins_match_the_shared_copies(source_id, data_dir, tmp_path):
    """The pins were computed from the shared copies, byte-identical to the publishers' files (PROVENANCE.md)."""
    import hashlib

    from borderscape.layers.fetch import locate

    [pin] = CATALOG[source_id].pins
    loc = locate(source_id, data_dir=data_dir, cache_dir=tmp_path)
    data = loc.paths[0].read_bytes()
    assert len(data) == pin.size and hashlib.sha256(data).hexdigest() == pin.sha256
    # git's blob id of the copy is the one PROVENANCE.md records for the pinned commit
    blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    assert blob[:8] in pin.note


@pytest.mark.parametrize("source_id", ["dem-copernicus", "dem-3dep"])
@pytest.mark.parametrize(
    "bbox",
    [(-112.5, 31.2, -110.1, 32.9), (-112.0, 31.0, -110.0, 33.0), (9.5, -1.5, 10.5, 0.5), (-114.9, 31.3, -109, 34)],
)
def test_tile_count_is_the_number_of_tile_names(source_id, bbox):
    from borderscape.layers.catalog import dem_tile_count

    assert dem_tile_count(source_id, bbox) == len(dem_tile_names(source_id, bbox))


def test_tile_count_of_the_world_and_bad_boxes():
    from borderscape.layers.catalog import dem_tile_count

    assert dem_tile_count("dem-copernicus", (-180, -90, 180, 90)) == 64_800
    for bad in [(-110.0, 31.0, -112.0, 32.0), (float("nan"), 31, -110, 32), (-200, 31, -110, 32), ("a", 1, 2, 3)]:
        with pytest.raises(SourceError, match="bounding box"):
            dem_tile_count("dem-copernicus", bad)
    with pytest.raises(SourceError, match="no elevation tiles"):
        dem_tile_count("pcome", (-112.0, 31.0, -111.0, 32.0))
