"""``ingest_file``: files with no catalog entry, given a column mapping."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from borderscape.geo.errors import CRSError, InputError
from borderscape.layers.ingest import ingest_file, write_layer
from borderscape.layers.schemas import DEATHS, SENSORS

AZ = (-115.5, 30.0, -108.5, 35.0)


def conserved(layer) -> None:
    r = layer.report
    assert r.kept + r.repaired + r.quarantined == r.rows_read == len(layer.frame)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_decimal_and_dms_coordinates(tmp_path):
    p = write(
        tmp_path / "d.csv",
        "Lat,Lon,When,Dead,Missing,Cause,Notes,Secret\n"
        "31.5,-111.25,2019-07-02,2,1,heat,a,x\n"
        "31°30'00\"N,111°15'00\"W,7/3/2019,1,0,drowning,b,y\n"
        "31 30 0 N,W 111 15.0,2019-07,,,,c,z\n",
    )
    layer = ingest_file(
        "deaths",
        p,
        columns={"lat": "Lat", "lon": "Lon", "date": "When", "dead": "Dead", "missing": "Missing", "cause": "Cause"},
        keep=["Notes"],
        region=AZ,
    )
    f = layer.frame
    assert np.allclose(f.geometry.x, -111.25) and np.allclose(f.geometry.y, 31.5)
    assert f["date"].tolist() == [pd.Timestamp("2019-07-02"), pd.Timestamp("2019-07-03"), pd.Timestamp("2019-07-01")]
    assert f["date_precision"].tolist() == ["day", "day", "month"]
    assert f["dead"].tolist()[:2] == [2, 1] and pd.isna(f["dead"].iloc[2])
    assert f["missing"].tolist()[:2] == [1, 0]
    assert f["Notes"].tolist() == ["a", "b", "c"]
    assert "Secret" not in f.columns and "Lat" not in f.columns  # only mapped and kept columns
    assert set(DEATHS) <= set(f.columns) and (f["source_id"] == "deaths").all()
    assert layer.report.kept == 3 and layer.report.files[0]["sha256"]
    conserved(layer)


def test_latlon_string_and_region_repairs(tmp_path):
    p = write(
        tmp_path / "iom_like.csv",
        'id,coords\n1,"31.5, -111.2"\n2,"-111.2, 31.5"\n3,"31.5, 111.2"\n4,"nowhere"\n5,""\n6,"0, 0"\n',
    )
    layer = ingest_file("deaths", p, columns={"latlon": "coords"}, region=AZ)
    f = layer.frame
    assert f["status"].tolist() == ["kept", "repaired", "repaired", "quarantined", "quarantined", "quarantined"]
    assert "latitude and longitude swapped" in f.loc[1, "reason"] and "longitude sign flipped" in f.loc[2, "reason"]
    assert f.loc[3, "reason"] == "quarantined: coordinates are unreadable"
    assert f.loc[4, "reason"] == "quarantined: coordinates are missing"
    assert f.loc[5, "reason"] == "quarantined: coordinates are (0, 0)"
    assert np.allclose([f.geometry[i].x for i in range(3)], -111.2)
    assert (f["dead"] == 1).all() and any("each row counts one dead person" in n for n in layer.report.notes)
    conserved(layer)


def test_wkt_points_and_lines(tmp_path):
    p = write(
        tmp_path / "w.csv",
        'name,geom\nA,POINT (-111 31.5)\nB,"LINESTRING (-111 31, -110 32)"\nC,"POLYGON ((0 0, 1 1, 1 0, 0 1, 0 0))"\n'
        "D,POINT (500000 3500000)\nE,not wkt\n",
    )
    layer = ingest_file("context", p, columns={"wkt": "geom", "name": "name"})
    f = layer.frame
    assert f.geometry[0].equals(shapely.Point(-111, 31.5)) and f.geometry[1].geom_type == "LineString"
    assert f["status"].tolist() == ["kept", "kept", "repaired", "quarantined", "quarantined"]
    assert "geometry was made valid" in f.loc[2, "reason"] and shapely.is_valid(f.geometry[2])
    assert "coordinates are out of range" in f.loc[3, "reason"] and "geometry is unreadable" in f.loc[4, "reason"]
    assert f["name"].tolist() == list("ABCDE")
    conserved(layer)


def test_projected_xy_with_crs(tmp_path):
    t = Transformer.from_crs("EPSG:4326", "EPSG:32612", always_xy=True)
    x, y = t.transform(-111.0, 31.6)
    p = write(tmp_path / "utm.csv", f"E,N,Type,H,R,From,To,Dep\n{x},{y},RVSS,25,9000,2012-01-01,,existing\n")
    layer = ingest_file(
        "sensors",
        p,
        columns={
            "x": "E",
            "y": "N",
            "kind": "Type",
            "height": "H",
            "range": "R",
            "active_from": "From",
            "active_to": "To",
            "deployment": "Dep",
        },
        crs="EPSG:32612",
    )
    f = layer.frame
    assert f.geometry[0].x == pytest.approx(-111.0, abs=1e-9) and f.geometry[0].y == pytest.approx(31.6, abs=1e-9)
    assert set(SENSORS) <= set(f.columns)
    assert f.loc[0, "kind"] == "RVSS" and f.loc[0, "height_m"] == 25.0 and f.loc[0, "range_m"] == 9000.0
    assert f.loc[0, "active_from"] == pd.Timestamp("2012-01-01") and pd.isna(f.loc[0, "active_to"])
    assert f.loc[0, "deployment"] == "existing" and f.loc[0, "status"] == "kept"
    with pytest.raises(CRSError):
        ingest_file("sensors", p, columns={"x": "E", "y": "N"}, crs="EPSG:not-a-code")


def test_sensor_numbers_checked(tmp_path):
    p = write(tmp_path / "s.csv", "lat,lon,h\n31.5,-111,abc\n31.5,-111,-5\n31.5,-111,12.5\n")
    layer = ingest_file("sensors", p, columns={"lat": "lat", "lon": "lon", "height": "h"})
    assert layer.frame["status"].tolist() == ["quarantined", "quarantined", "kept"]
    assert layer.report.reasons == {"height_m is not a number": 1, "height_m is negative": 1}
    assert layer.frame["height_m"].isna().tolist() == [True, True, False]  # a negative height is not kept


def test_geojson_and_geopackage_reprojected(tmp_path):
    pts = gpd.GeoDataFrame(
        {"Kind": ["IFT", "AST"], "Extra": ["e1", "e2"]},
        geometry=[shapely.Point(-111.0, 31.5), shapely.Point(-110.0, 31.4)],
        crs="EPSG:4326",
    )
    pts.to_file(tmp_path / "t.geojson", driver="GeoJSON")
    pts.to_crs("EPSG:3857").to_file(tmp_path / "t.gpkg", driver="GPKG")
    a = ingest_file("sensors", tmp_path / "t.geojson", columns={"kind": "Kind"})
    b = ingest_file("sensors", tmp_path / "t.gpkg", columns={"kind": "Kind"}, keep=["Extra"])
    assert a.frame["kind"].tolist() == ["IFT", "AST"] and "Extra" not in a.frame.columns
    assert b.frame["Extra"].tolist() == ["e1", "e2"]
    assert b.frame.crs.to_epsg() == 4326 and any("EPSG:3857" in n for n in b.report.notes)
    assert np.allclose(shapely.get_coordinates(b.frame.geometry.values), shapely.get_coordinates(pts.geometry.values))
    with pytest.raises(InputError, match="own geometry"):
        ingest_file("sensors", tmp_path / "t.gpkg", columns={"lat": "Kind", "lon": "Kind"})


def test_kml_kmz_and_zipped_shapefile(tmp_path):
    g = gpd.GeoDataFrame({"Name": ["Station A"]}, geometry=[shapely.Point(-111.0, 31.5)], crs="EPSG:4326")
    g.to_file(tmp_path / "s.kml", driver="KML")
    with zipfile.ZipFile(tmp_path / "s.kmz", "w") as zf:
        zf.write(tmp_path / "s.kml", arcname="doc.kml")
    g.to_crs("EPSG:26912").to_file(tmp_path / "s.shp")
    with zipfile.ZipFile(tmp_path / "s.zip", "w") as zf:
        for part in tmp_path.glob("s.*"):
            if part.suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                zf.write(part, arcname=part.name)
    for name in ("s.kml", "s.kmz", "s.zip"):
        layer = ingest_file("context", tmp_path / name, columns={"name": "Name"})
        assert layer.frame["name"].tolist() == ["Station A"], name
        assert layer.frame.geometry[0].x == pytest.approx(-111.0, abs=1e-6), name


def test_mapping_errors(tmp_path):
    p = write(tmp_path / "m.csv", "a,b\n1,2\n")
    with pytest.raises(InputError, match="unknown role"):
        ingest_file("deaths", p, columns={"lat": "a", "lon": "b", "colour": "a"})
    with pytest.raises(InputError, match="no column"):
        ingest_file("deaths", p, columns={"lat": "a", "lon": "nope"})
    with pytest.raises(InputError, match="no coordinates"):
        ingest_file("deaths", p, columns={"date": "a"})
    with pytest.raises(InputError, match="unknown layer kind"):
        ingest_file("people", p, columns={"lat": "a", "lon": "b"})
    k = write(tmp_path / "k.csv", "a,b,status\n1,2,x\n")
    with pytest.raises(InputError, match="layer column"):
        ingest_file("deaths", k, columns={"lat": "a", "lon": "b"}, keep=["status"])
    with pytest.raises(InputError, match="does not exist"):
        ingest_file("deaths", tmp_path / "absent.csv", columns={"lat": "a", "lon": "b"})


def test_generic_layer_round_trip(tmp_path):
    p = write(tmp_path / "d.csv", "lat,lon,date\n31.5,-111.2,2020-01-01\n95,-111.2,2020-01-02\n")
    layer = ingest_file("deaths", p, columns={"lat": "lat", "lon": "lon", "date": "date"})
    write_layer(layer, tmp_path / "d.gpkg")
    back = gpd.read_file(tmp_path / "d.gpkg")
    assert back["status"].tolist() == ["kept", "quarantined"] and back.geometry[1] is None


def test_real_files_without_catalog_entry(data_dir):
    """USGS deserts (NAD27 / UTM 11N shapefile) and the 0.044° Arizona grid (CSV) through ingest_file."""
    deserts = ingest_file("context", data_dir / "usgs-southwest-deserts/deserts_sw.shp", columns={"name": "NAME"})
    f = deserts.frame
    assert deserts.report.rows_read == 4 and f.crs.to_epsg() == 4326
    assert any("26711" in n or "NAD27" in n for n in deserts.report.notes)
    sonoran = f.loc[f["name"] == "Arizona Sonoran Desert"].geometry.iloc[0]
    assert sonoran.contains(shapely.Point(-111.0, 32.2))  # Tucson lies in the Arizona Sonoran Desert
    assert not sonoran.contains(shapely.Point(-115.5, 36.2))  # Las Vegas (Mojave) does not
    conserved(deserts)
    grid = ingest_file(
        "context",
        data_dir / "az-environmental-grid-0044deg/danger_index_environmental_layers.csv",
        columns={"lat": "latitude", "lon": "longitude"},
        keep=["slope_deg", "ndvi"],
        region=AZ,
    )
    raw = pd.read_csv(data_dir / "az-environmental-grid-0044deg/danger_index_environmental_layers.csv")
    assert grid.report.rows_read == 11_280 == grid.report.kept
    assert (grid.frame["slope_deg"].isna().to_numpy() == raw["slope_deg"].isna().to_numpy()).all()
    assert np.allclose(grid.frame.geometry.x, raw["longitude"])


def test_count_parsing_never_guesses(tmp_path):
    p = write(
        tmp_path / "c.csv",
        'lat,lon,dead\n31.5,-111,"1,234"\n31.5,-111,"1,5"\n31.5,-111,1e300\n'
        "31.5,-111,-2\n31.5,-111,2.5\n31.5,-111,7\n31.5,-111,\n",
    )
    layer = ingest_file("deaths", p, columns={"lat": "lat", "lon": "lon", "dead": "dead"})
    f = layer.frame
    assert f["dead"].tolist()[0] == 1234 and f["dead"].tolist()[5] == 7
    assert f["dead"].isna().tolist() == [False, True, True, True, True, False, True]
    assert f["status"].tolist() == ["repaired"] + ["quarantined"] * 4 + ["kept", "kept"]
    assert layer.report.reasons == {
        "dead is not a number": 1,
        "dead is too large": 1,
        "dead is negative": 1,
        "dead is not a whole number": 1,
    }
    assert layer.report.repairs == {"dead had its thousands separator removed": 1}


def test_personal_columns_of_a_deaths_file_need_keep_personal(tmp_path):
    p = write(tmp_path / "d.csv", "lat,lon,Full Name,ML Number,Notes\n31.5,-111.2,A B,00-1,n\n")
    for keep in (["Full Name"], ["ML Number"]):
        with pytest.raises(InputError, match="names or case numbers"):
            ingest_file("deaths", p, columns={"lat": "lat", "lon": "lon"}, keep=keep)
    with pytest.raises(InputError, match="names or case numbers"):
        ingest_file("deaths", p, columns={"lat": "lat", "lon": "lon", "record_id": "ML Number"})
    layer = ingest_file(
        "deaths", p, columns={"lat": "lat", "lon": "lon"}, keep=["ML Number", "Notes"], keep_personal=True
    )
    assert layer.frame["ML Number"].tolist() == ["00-1"]
    ok = ingest_file("deaths", p, columns={"lat": "lat", "lon": "lon"}, keep=["Notes"])
    assert "Full Name" not in ok.frame.columns and "ML Number" not in ok.frame.columns
