"""Ingest of the U.S. sources: the real files of the mirror, and generated files with known answers.

Never print a value of the PCOME ``Name`` or ``ML Number`` columns (assert on counts only).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from peers import require_peer
from pyproj import Transformer

from borderscape.geo.errors import BorderscapeError, CRSError, IngestError, InputError
from borderscape.geo.raster import Raster
from borderscape.layers.catalog import CATALOG
from borderscape.layers.ingest import READERS, ingest, write_layer
from borderscape.layers.quality import usable
from borderscape.layers.readers_us import (
    NODATA,
    read_cbp_encounters,
    read_dem,
    read_pcome,
    read_roads,
    read_towers,
    tower_kind,
)
from borderscape.layers.schemas import DEATHS, RasterLayer

PCOME_2024 = "ogis-pima-ome-humane-borders/ogis_deaths_1981_2024-09.csv"
PCOME_2020 = "ogis-pima-ome-humane-borders/ogis_deaths_bansak2025_1981_2020-06.csv"


def conserved(layer) -> None:
    r = layer.report
    assert r.kept + r.repaired + r.quarantined == r.rows_read
    if not isinstance(layer, RasterLayer):
        assert len(layer.frame) == r.rows_read
        counts = layer.frame["status"].value_counts()
        assert counts.get("kept", 0) == r.kept and counts.get("repaired", 0) == r.repaired
        assert counts.get("quarantined", 0) == r.quarantined
        assert (layer.frame["row"].to_numpy() == np.arange(r.rows_read)).all()


@pytest.fixture(scope="module")
def pcome(data_dir):
    return ingest("pcome", data_dir=data_dir)


@pytest.fixture(scope="module")
def pcome_raw(data_dir):
    """The 2024-09 export read with plain pandas (no package code); Name column dropped at once."""
    raw = pd.read_csv(data_dir / PCOME_2024, dtype=str, keep_default_na=False)
    return raw.drop(columns=["Name"])


# --------------------------------------------------------------------------- PCOME


def test_pcome_newest_export_is_chosen_and_counts_pinned(pcome, pcome_raw, data_dir):
    r = pcome.report
    assert Path(r.files[0]["path"]).name == "ogis_deaths_1981_2024-09.csv"
    assert r.files[0]["how"] == "mirror" and len(r.files[0]["sha256"]) == 64
    # independent: plain pandas on the CSV
    lat = pcome_raw["Latitude"].astype(float)
    lon = pcome_raw["Longitude"].astype(float)
    office = (lat.round(6) == 32.175119) & (lon.round(6) == -110.928097)
    assert len(pcome_raw) == 4300 and r.rows_read == 4300
    assert office.sum() == 60
    reason = [k for k in r.reasons if "medical examiner's office" in k]
    assert len(reason) == 1 and r.reasons[reason[0]] == 60
    flagged = pcome.frame["reason"].str.contains("medical examiner's office")
    assert (flagged.to_numpy() == office.to_numpy()).all()
    assert (pcome.frame.loc[flagged, "status"] == "quarantined").all()
    conserved(pcome)


def test_pcome_quarantined_rows_still_count_in_totals_by_year(pcome, pcome_raw):
    by_year_pandas = pd.to_datetime(pcome_raw["Reporting Date"], format="%Y-%m-%d").dt.year.value_counts().sort_index()
    frame = pcome.frame
    assert frame["date"].notna().all()
    by_year_layer = frame.groupby(frame["date"].dt.year)["dead"].sum().sort_index()
    assert (by_year_layer.to_numpy() == by_year_pandas.to_numpy()).all()
    assert by_year_layer[2000] == 75 and by_year_layer[2001] == 79 and by_year_layer[2024] == 129
    # location analyses leave the office rows out
    assert len(usable(frame)) == 4300 - pcome.report.quarantined
    office_rows = frame[frame["reason"].str.contains("office")]
    assert office_rows["date"].notna().all() and (office_rows["dead"] == 1).all()


def test_pcome_utm_disagreement_is_flagged(pcome, pcome_raw):
    # independent: project lat/lon to UTM 12N and compare with the file's UTM X/Y
    t = Transformer.from_crs("EPSG:4326", "EPSG:32612", always_xy=True)
    x, y = t.transform(pcome_raw["Longitude"].astype(float).to_numpy(), pcome_raw["Latitude"].astype(float).to_numpy())
    d = np.hypot(x - pcome_raw["UTM X"].astype(float), y - pcome_raw["UTM Y"].astype(float))
    far = np.flatnonzero(d > 1000)
    assert far.tolist() == [1945] and 11_000 < d[1945] < 13_000
    flagged = np.flatnonzero(pcome.frame["reason"].str.contains("from UTM X/Y").to_numpy())
    assert flagged.tolist() == [1945]
    assert pcome.frame.loc[1945, "status"] == "quarantined"
    assert "coordinates are 12.8 km from UTM X/Y" in pcome.frame.loc[1945, "reason"]


def test_pcome_columns_and_schema(pcome, pcome_raw):
    f = pcome.frame
    assert f.crs.to_epsg() == 4326
    for column in DEATHS:
        assert column in f.columns
    for column in ("sex", "age", "corridor", "surface_management", "county", "post_mortem_interval", "body_condition"):
        assert column in f.columns
    assert (f["date_kind"] == "reported").all() and (f["dead"] == 1).all()
    assert (f["location_precision"] == pcome_raw["Location Precision"]).all()
    assert (f["cause"].fillna("") == pcome_raw["Cause of Death"].str.strip()).all()
    # County: "PIMA" and "Pima" become one value, each change is recorded as a repair
    assert set(f["county"].dropna()) >= {"Pima", "Santa Cruz", "Cochise"}
    assert not f["county"].dropna().str.isupper().any()
    changed = (pcome_raw["County"] != f["county"].fillna("")).to_numpy()
    assert changed.sum() == pcome.report.repairs["county had its capitalisation normalised"]
    assert f.loc[changed, "reason"].str.contains("county had its capitalisation normalised").all()
    assert f.loc[f["county"].eq("Pima").fillna(False)].shape[0] == pcome_raw["County"].str.lower().eq("pima").sum()
    # geometry equals the file's coordinates for usable rows
    ok = f["status"] != "quarantined"
    assert np.allclose(f.geometry[ok].x, pcome_raw["Longitude"].astype(float)[ok])
    assert np.allclose(f.geometry[ok].y, pcome_raw["Latitude"].astype(float)[ok])


def test_pcome_personal_columns_removed_by_default_and_kept_on_request(pcome, data_dir):
    assert set(pcome.report.removed_columns) == {"Name", "ML Number", "Location"}
    assert not {"name", "ml_number", "location_text", "Name", "ML Number"} & set(pcome.frame.columns)
    assert pcome.frame["record_id"].isna().all()
    kept = ingest("pcome", data_dir=data_dir, keep_personal=True)
    assert {"name", "ml_number", "location_text"} <= set(kept.frame.columns)
    assert kept.report.removed_columns == []
    assert kept.frame["record_id"].notna().all()
    raw = pd.read_csv(data_dir / PCOME_2024, dtype=str, keep_default_na=False, usecols=["ML Number"])
    assert (kept.frame["record_id"] == raw["ML Number"]).all()
    conserved(kept)


def test_pcome_2020_snapshot_us_dates(data_dir):
    layer = ingest("pcome", data_dir / PCOME_2020)
    raw = pd.read_csv(
        data_dir / PCOME_2020, dtype=str, keep_default_na=False, usecols=["Reporting Date", "Latitude", "Longitude"]
    )
    expected = pd.to_datetime(raw["Reporting Date"], format="%m/%d/%Y")
    assert layer.report.rows_read == 3270 == len(raw)
    assert (layer.frame["date"] == expected).all()
    assert layer.frame["date"].min() == pd.Timestamp("1981-11-25") and layer.frame["date"].max() == pd.Timestamp(
        "2020-06-29"
    )
    office = (raw["Latitude"].astype(float).round(6) == 32.175119) & (
        raw["Longitude"].astype(float).round(6) == -110.928097
    )
    assert layer.frame["reason"].str.contains("office").sum() == office.sum() > 0
    assert layer.report.files[0]["how"] == "file"
    conserved(layer)


def _pcome_like(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """A small PCOME-layout CSV (no real records): (date, lat, lon) per row."""
    cols = [
        "ML Number",
        "Name",
        "Sex",
        "Age",
        "Reporting Date",
        "Surface Management",
        "Location",
        "Location Precision",
        "Corridor Code",
        "Corridor",
        "Cause of Death",
        "OME Determined COD",
        "Condition Code",
        "Body Condition",
        "Post Mortem Interval",
        "State",
        "County",
        "Latitude",
        "Longitude",
        "UTM X",
        "UTM Y",
    ]
    recs = []
    for i, (date, lat, lon) in enumerate(rows):
        recs.append(
            {c: "" for c in cols}
            | {
                "ML Number": f"99-{i:05d}",
                "Name": "Unidentified",
                "Sex": "male",
                "Reporting Date": date,
                "Latitude": lat,
                "Longitude": lon,
                "County": "PIMA",
                "Cause of Death": "Exposure",
                "State": "Arizona",
            }
        )
    pd.DataFrame(recs, columns=cols).to_csv(path, index=False)
    return path


def test_pcome_swapped_and_sign_flipped_coordinates(tmp_path):
    path = _pcome_like(
        tmp_path / "ogis_deaths_test.csv",
        [
            ("2010-05-01", "32.1", "-111.5"),  # fine
            ("2010-05-02", "-111.5", "32.1"),  # swapped
            ("2010-05-03", "32.1", "111.5"),  # longitude sign flipped
            ("2010-05-04", "132.1", "-111.5"),  # out of range, no candidate fits
            ("2010-05-05", "45.0", "10.0"),  # elsewhere on Earth
            ("not a date", "32.2", "-111.2"),  # bad date
            ("5/6/2010", "", ""),  # no coordinates, US date
        ],
    )
    layer = read_pcome(path)
    f = layer.frame
    assert f["status"].tolist() == [
        "repaired",
        "repaired",
        "repaired",
        "quarantined",
        "quarantined",
        "quarantined",
        "quarantined",
    ]
    assert "coordinates had latitude and longitude swapped" in f.loc[1, "reason"]
    assert "coordinates had the longitude sign flipped" in f.loc[2, "reason"]
    assert (f.geometry[1].x, f.geometry[1].y) == (-111.5, 32.1) and (f.geometry[2].x, f.geometry[2].y) == (-111.5, 32.1)
    assert "coordinates are out of range" in f.loc[3, "reason"]
    assert "coordinates are outside the expected region" in f.loc[4, "reason"]
    assert "date is not a date" in f.loc[5, "reason"]
    assert "coordinates are missing" in f.loc[6, "reason"] and f.loc[6, "date"] == pd.Timestamp("2010-05-06")
    assert f.geometry[3] is None and f.geometry[6] is None
    conserved(layer)


# --------------------------------------------------------------------------- other U.S. sources


def test_every_us_catalog_source_in_the_mirror_ingests(data_dir):
    ids = [
        s.id
        for s in CATALOG.values()
        if s.loader
        in (
            "pcome",
            "pcome_terrain",
            "boundary",
            "roads",
            "stations",
            "water_stations",
            "cbp_encounters",
            "towers",
            "dem",
        )
    ]
    done = []
    for sid in ids:
        try:
            layer = ingest(sid, data_dir=data_dir)
        except Exception as exc:  # a source absent from the mirror is fine (towers, DEM tiles)
            from borderscape.geo.errors import SourceNotFound

            assert isinstance(exc, SourceNotFound), (sid, type(exc).__name__)
            continue
        conserved(layer)
        assert layer.report.files and all(len(f["sha256"]) == 64 for f in layer.report.files)
        done.append(sid)
    assert {
        "pcome",
        "pcome-terrain",
        "ibwc-boundary",
        "tiger-roads-az",
        "usbp-stations",
        "hb-water-stations",
        "cbp-encounters",
        "etopo1",
    } <= set(done)


def test_every_catalog_loader_has_a_reader():
    us_loaders = {
        "pcome",
        "pcome_terrain",
        "towers",
        "boundary",
        "roads",
        "stations",
        "water_stations",
        "cbp_encounters",
        "dem",
    }
    assert us_loaders <= set(READERS)
    assert {s.loader for s in CATALOG.values()} <= set(READERS)


def test_boundary_is_one_linestring(data_dir):
    layer = ingest("ibwc-boundary", data_dir=data_dir)
    g = layer.frame.geometry
    assert layer.report.rows_read == 1 and g.iloc[0].geom_type == "LineString"
    coords = shapely.get_coordinates(g.iloc[0])
    assert len(coords) == 39_673
    assert np.allclose(coords[0], (-96.9243, 25.9752), atol=1e-3) and np.allclose(
        coords[-1], (-117.4646, 32.5895), atol=1e-3
    )
    assert not shapely.has_z(g.iloc[0])


def test_roads_reprojected_and_from_zip(data_dir, tmp_path):
    layer = ingest("tiger-roads-az", data_dir=data_dir)
    f = layer.frame
    assert layer.report.rows_read == 1320 and f.crs.to_epsg() == 4326
    assert f["mtfcc"].value_counts().to_dict() == {"S1200": 1175, "S1100": 145}
    assert any("EPSG:4269" in n for n in layer.report.notes)
    archive = tmp_path / "tl_2021_04_prisecroads.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted((data_dir / "tiger-2021-arizona-roads").glob("tl_2021_04_prisecroads.*")):
            zf.write(p, arcname=p.name)
    zipped = ingest("tiger-roads-az", archive)
    assert zipped.report.rows_read == 1320
    assert shapely.equals_exact(zipped.frame.geometry.values, f.geometry.values, tolerance=1e-9).all()


def test_stations_keep_station_name_and_address(data_dir):
    layer = ingest("usbp-stations", data_dir=data_dir)
    f = layer.frame
    assert layer.report.rows_read == 134
    assert "Ajo Station" in set(f["name"])
    assert not f["address"].str.contains("Phone|Fax", case=False).any()
    assert f.loc[f["name"] == "Ajo Station", "address"].str.contains("AZ").all()
    assert set(f.columns) == {"name", "address", "row", "status", "reason", "geometry"}
    b = f.total_bounds
    assert b[0] == pytest.approx(-123.41, abs=0.01) and b[3] == pytest.approx(49.0, abs=0.01)


def test_water_stations(data_dir):
    layer = ingest("hb-water-stations", data_dir=data_dir)
    raw = pd.read_csv(data_dir / "humane-borders-water-stations/water_stations_2000_2019.csv")
    assert layer.report.rows_read == 47 == layer.report.kept
    assert np.allclose(layer.frame.geometry.x, raw["longitude"]) and np.allclose(
        layer.frame.geometry.y, raw["latitude"]
    )


def test_pcome_terrain(data_dir):
    layer = ingest("pcome-terrain", data_dir=data_dir)
    f = layer.frame
    assert layer.report.rows_read == 2875
    assert (f["point_type"] == "BodyLocation").sum() == 1877 and int(f["dead"].sum()) == 1877
    assert f["elevation"].dtype == float and f["slope"].notna().all()
    conserved(layer)


def test_cbp_encounters_real_totals(data_dir):
    layer = ingest("cbp-encounters", data_dir=data_dir)
    f = layer.frame
    raw = pd.read_csv(next((data_dir / "cbp-southwest-border-encounters-monthly").glob("*.csv")))
    assert layer.report.rows_read == 36_676 == len(raw) and layer.report.quarantined == 0
    assert list(raw.columns) == [c for c in f.columns if c not in ("row", "status", "reason")]
    tucson = f[f["area_of_responsibility"] == "Tucson Sector"]
    expected = (
        raw[raw["area_of_responsibility"] == "Tucson Sector"]
        .assign(y=lambda d: d["month"].str[:4])
        .groupby("y")["encounters"]
        .sum()
    )
    got = tucson.groupby(tucson["month"].dt.year)["encounters"].sum()
    assert int(got[2023]) == int(expected["2023"]) and 490_000 < int(got[2023]) < 520_000
    assert f["month"].min() == pd.Timestamp("2017-10-01") and f["month"].max() == pd.Timestamp("2025-05-01")


def test_cbp_encounters_hostile_rows_and_cbp_layout(tmp_path):
    p = tmp_path / "cbp_sw_border_encounters_x.csv"
    p.write_text(
        "month,component,area_of_responsibility,encounters\n"
        "2020-01,U.S. Border Patrol,Tucson Sector,10\n"
        "2020-13,U.S. Border Patrol,Tucson Sector,10\n"
        "January,U.S. Border Patrol,Tucson Sector,10\n"
        "2020-02,U.S. Border Patrol,Tucson Sector,-3\n"
        "2020-03,U.S. Border Patrol,Tucson Sector,many\n"
        '2020-04,U.S. Border Patrol,Tucson Sector,"1,234"\n'
    )
    layer = read_cbp_encounters(p)
    assert layer.frame["status"].tolist() == [
        "kept",
        "quarantined",
        "quarantined",
        "quarantined",
        "quarantined",
        "repaired",
    ]
    assert layer.report.reasons == {
        "month is not a date": 2,
        "encounters is negative": 1,
        "encounters is not a number": 1,
    }
    assert layer.report.repairs == {"encounters had its thousands separator removed": 1}
    assert int(layer.frame.loc[5, "encounters"]) == 1234
    assert pd.isna(layer.frame.loc[3, "encounters"])  # a negative count is not kept
    conserved(layer)
    q = tmp_path / "sw-nationwide-encounters.csv"
    q.write_text(
        "Fiscal Year,Month (abbv),Component,Area of Responsibility,Encounter Count\n"
        "2020,OCT,U.S. Border Patrol,Tucson Sector,5\n"
        "2020,JAN,U.S. Border Patrol,Tucson Sector,7\n"
        "2020 (FYTD),SEP,U.S. Border Patrol,Tucson Sector,8\n"
    )
    cbp = read_cbp_encounters(q)
    assert cbp.frame["month"].tolist() == [
        pd.Timestamp("2019-10-01"),
        pd.Timestamp("2020-01-01"),
        pd.Timestamp("2020-09-01"),
    ]
    assert cbp.frame["encounters"].tolist() == [5, 7, 8]


# --------------------------------------------------------------------------- towers


def test_tower_kinds():
    assert tower_kind("Integrated Fixed Tower") == "IFT"
    assert tower_kind("RVSS") == "RVSS" and tower_kind("Remote Video Surveillance System (RVSS)") == "RVSS"
    assert tower_kind("Autonomous Surveillance Tower (Anduril)") == "AST"
    assert tower_kind("Mobile Surveillance Capability") == "MSC"
    assert tower_kind("Tethered Aerostat Radar System") == "aerostat"
    assert tower_kind("ALPR") == "ALPR" and tower_kind("license plate reader") == "ALPR"
    assert tower_kind("castle") is None and tower_kind(None) is None


def test_towers_csv_with_common_columns(tmp_path):
    p = tmp_path / "eff_towers.csv"
    p.write_text(
        "Name,Type,Latitude,Longitude,Height (ft),Installed,Status,Notes\n"
        "T1,Integrated Fixed Tower,31.55,-111.05,80,2015-06-01,existing,<script>alert(1)</script>\n"
        "T2,RVSS,-110.9,31.4,100,2012,existing,\n"  # swapped
        "T3,Autonomous Surveillance Tower,31.60,-111.2,33,2021-03,existing,\n"
        "T4,Proposed tower,31.70,-111.3,,,proposed,\n"
        "T5,AST,95.0,-111.3,,,existing,\n"
    )  # out of range
    layer = read_towers(p)
    f = layer.frame
    assert f["kind"].tolist() == ["IFT", "RVSS", "AST", "Proposed tower", "AST"]
    assert f["kind_source"].tolist()[0] == "Integrated Fixed Tower"
    assert f["height_m"].tolist()[:3] == pytest.approx([80 * 0.3048, 100 * 0.3048, 33 * 0.3048])
    assert f["active_from"].tolist()[:3] == [
        pd.Timestamp("2015-06-01"),
        pd.Timestamp("2012-01-01"),
        pd.Timestamp("2021-03-01"),
    ]
    assert f["deployment"].tolist() == ["existing"] * 3 + ["proposed", "existing"]
    assert f.loc[0, "notes"] == "<script>alert(1)</script>"
    assert f["status"].tolist() == ["kept", "repaired", "kept", "kept", "quarantined"]
    assert "swapped" in f.loc[1, "reason"]
    assert f["row"].tolist() == [0, 1, 2, 3, 4]
    assert layer.frame.loc[4, "reason"].startswith("quarantined: coordinates are out of range")
    conserved(layer)


def test_towers_geojson(tmp_path):
    g = gpd.GeoDataFrame(
        {"type": ["IFT", "aerostat"], "height_m": [30.0, 4500.0]},
        geometry=[shapely.Point(-111.0, 31.5), shapely.Point(-110.5, 31.45)],
        crs="EPSG:4326",
    )
    p = tmp_path / "towers.geojson"
    g.to_file(p, driver="GeoJSON")
    layer = read_towers(p)
    assert layer.frame["kind"].tolist() == ["IFT", "aerostat"]
    assert layer.frame["height_m"].tolist() == [30.0, 4500.0]
    assert layer.report.kept == 2


# --------------------------------------------------------------------------- rasters


def _dem(path: Path, *, crs: str | None = "EPSG:4326", nodata: float | None = -9999.0) -> np.ndarray:
    rng = np.random.default_rng(7)
    a = rng.uniform(200, 1500, size=(20, 30)).astype("float32")
    a[0, :5] = -9999.0
    a[3, 3] = 20000.0  # not an elevation
    profile = {
        "driver": "GTiff",
        "height": 20,
        "width": 30,
        "count": 1,
        "dtype": "float32",
        "transform": Affine(0.01, 0, -112.0, 0, -0.01, 32.0),
        "nodata": nodata,
    }
    if crs:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(a, 1)
    return a


def test_dem_cells_counted_and_written_as_geotiff(tmp_path):
    a = _dem(tmp_path / "etopo1_0.1deg_test.tif")
    layer = read_dem(tmp_path / "etopo1_0.1deg_test.tif")
    r = layer.report
    assert r.rows_read == 600 and r.reasons[NODATA] == 5
    assert sum(v for k, v in r.reasons.items() if "not an elevation" in k) == 1
    assert r.kept == 594 and r.quarantined == 6
    out = write_layer(layer, tmp_path / "out" / "dem.tif")
    back = Raster.read(out)
    assert back.crs.to_epsg() == 4326 and back.array[3, 3] == -9999.0
    ok = np.ones_like(a, dtype=bool)
    ok[0, :5] = False
    ok[3, 3] = False
    assert np.array_equal(back.array[ok], a[ok])
    with pytest.raises(InputError, match=r"\.tif"):
        write_layer(layer, tmp_path / "dem.parquet")


def test_dem_without_crs_is_an_error(tmp_path):
    _dem(tmp_path / "nocrs.tif", crs=None)
    with pytest.raises(CRSError):
        read_dem(tmp_path / "nocrs.tif")


def test_real_etopo_subset(data_dir):
    path = data_dir / "etopo1-0.1deg-relief-subsets/etopo1_0.1deg_arizona_sonora_116W-106W_29N-35N.tif"
    layer = ingest("etopo1", path)
    with rasterio.open(path) as src:
        a = src.read(1)
    assert layer.report.rows_read == a.size == 101 * 61
    assert layer.report.kept == a.size  # every cell a plausible elevation
    assert -2100 < float(layer.raster.array.min()) < -2000 and 3000 < float(layer.raster.array.max()) < 3200


# --------------------------------------------------------------------------- writing


def test_write_layer_formats_and_atomicity(pcome, tmp_path):
    for name in ("l.parquet", "l.gpkg", "l.csv"):
        write_layer(pcome, tmp_path / name)
    # no temp files left; a CSV layer's record is its sidecar l.csv.json (borderscape.layers.layerfile)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.csv", "l.csv.json", "l.gpkg", "l.parquet"]
    back = gpd.read_parquet(tmp_path / "l.parquet")
    assert back.crs.to_epsg() == 4326 and len(back) == 4300
    assert (back["status"].astype(str) == pcome.frame["status"].astype(str)).all()
    assert (back["date"] == pcome.frame["date"]).all()
    gp = gpd.read_file(tmp_path / "l.gpkg")
    assert gp.crs.to_epsg() == 4326 and len(gp) == 4300
    csv = pd.read_csv(tmp_path / "l.csv")
    assert len(csv) == 4300 and csv["geometry"].iloc[0].startswith("POINT")
    with pytest.raises(InputError):
        write_layer(pcome, tmp_path / "l.shp")
    assert json.loads(pcome.report.write(tmp_path / "r.json").read_text())["rows_read"] == 4300


def test_write_table_layer(data_dir, tmp_path):
    layer = ingest("cbp-encounters", data_dir=data_dir)
    write_layer(layer, tmp_path / "t.parquet")
    back = pd.read_parquet(tmp_path / "t.parquet")
    assert len(back) == 36_676 and "geometry" not in back.columns
    # a table is a GeoPackage attribute table; it reads back as a table layer (issue 18)
    from borderscape.layers.layerfile import read_layer

    again = read_layer(write_layer(layer, tmp_path / "t.gpkg"))
    assert again.kind == "table" and len(again.frame) == 36_676 and "geometry" not in again.frame.columns
    with pytest.raises(InputError):
        write_layer(layer, tmp_path / "t.tif")


def test_failed_write_leaves_no_file(pcome, tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_parquet", boom)
    with pytest.raises(OSError):
        write_layer(pcome, tmp_path / "l.parquet")
    assert list(tmp_path.iterdir()) == []


def test_roads_reader_rejects_non_vector(tmp_path):
    p = tmp_path / "tl_2021_04_prisecroads.shp"
    p.write_bytes(b"not a shapefile at all")
    with pytest.raises(IngestError):
        read_roads(p)


def test_dem_tiles_are_merged(tmp_path):
    rng = np.random.default_rng(3)
    west = rng.uniform(100, 900, size=(10, 10)).astype("float32")
    east = rng.uniform(100, 900, size=(10, 10)).astype("float32")
    for name, a, x0 in (("USGS_1_n32w112.tif", west, -112.0), ("USGS_1_n32w111.tif", east, -111.0)):
        with rasterio.open(
            tmp_path / name,
            "w",
            driver="GTiff",
            height=10,
            width=10,
            count=1,
            dtype="float32",
            crs="EPSG:4269",
            transform=Affine(0.1, 0, x0, 0, -0.1, 32.0),
            nodata=-9999.0,
        ) as dst:
            dst.write(a, 1)
    layer = ingest("dem-3dep", tmp_path)  # a folder: every tile of the pattern
    assert layer.raster.shape == (10, 20) and layer.report.rows_read == 200 == layer.report.kept
    assert np.array_equal(layer.raster.array[:, :10], west) and np.array_equal(layer.raster.array[:, 10:], east)
    assert layer.raster.crs.to_epsg() == 4269 and len(layer.report.files) == 2
    with rasterio.open(
        tmp_path / "USGS_1_n33w112.tif",
        "w",
        driver="GTiff",
        height=5,
        width=5,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=Affine(0.2, 0, -112.0, 0, -0.2, 33.0),
    ) as dst:
        dst.write(np.ones((5, 5), "float32"), 1)
    with pytest.raises(BorderscapeError, match="CRS or cell size"):
        ingest("dem-3dep", tmp_path)


# --------------------------------------------------------------------------- conformance with GDAL


@pytest.mark.conformance
def test_vector_reprojection_matches_ogr2ogr(data_dir, tmp_path):
    """NAD27 / UTM 11N polygons and NAD83 lines reprojected by us vs by GDAL's ogr2ogr."""
    import subprocess

    from borderscape.layers.ingest import ingest_file

    ogr2ogr = require_peer("ogr2ogr")
    for shp, columns in (
        (data_dir / "usgs-southwest-deserts/deserts_sw.shp", {"name": "NAME"}),
        (data_dir / "tiger-2021-arizona-roads/tl_2021_04_prisecroads.shp", {"name": "FULLNAME"}),
    ):
        ref_path = tmp_path / f"{shp.stem}.geojson"
        subprocess.run(
            [
                ogr2ogr,
                "-f",
                "GeoJSON",
                "-t_srs",
                "EPSG:4326",
                "-lco",
                "COORDINATE_PRECISION=10",
                str(ref_path),
                str(shp),
            ],
            check=True,
            capture_output=True,
        )
        ref = json.loads(ref_path.read_text())["features"]
        ours = ingest_file("context", shp, columns=columns)
        assert len(ref) == ours.report.rows_read
        for feature, geom in zip(ref, ours.frame.geometry):
            expected = shapely.get_coordinates(shapely.geometry.shape(feature["geometry"]))
            assert np.allclose(shapely.get_coordinates(geom), expected, atol=1e-8, rtol=0)


@pytest.mark.conformance
def test_dem_cell_counts_match_gdalinfo(tmp_path):
    import subprocess

    gdalinfo = require_peer("gdalinfo")
    _dem(tmp_path / "d.tif")
    info = json.loads(
        subprocess.run(
            [gdalinfo, "-json", "-stats", str(tmp_path / "d.tif")], check=True, capture_output=True, text=True
        ).stdout
    )
    band = info["bands"][0]
    valid_percent = float(band["metadata"][""]["STATISTICS_VALID_PERCENT"])
    layer = read_dem(tmp_path / "d.tif")
    nodata = layer.report.reasons[NODATA]
    assert valid_percent == pytest.approx(100 * (layer.report.rows_read - nodata) / layer.report.rows_read, abs=0.005)
    # GDAL counts the 20,000 m cell as valid data; we quarantine it as not an elevation
    assert float(band["metadata"][""]["STATISTICS_MAXIMUM"]) == 20000.0 and layer.report.quarantined == nodata + 1
    assert float(band["metadata"][""]["STATISTICS_MINIMUM"]) == pytest.approx(
        float(np.nanmin(np.where(layer.raster.valid_mask(), layer.raster.array, np.nan))), rel=1e-6
    )
    assert band["noDataValue"] == layer.raster.nodata
