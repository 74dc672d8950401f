"""Hostile sensor files (project issue 16): implausible heights, ranges and swaths, duplicates,
geometries a sensor cannot have, ends before starts and empty files, on every path that makes a
sensors layer — ``read_towers`` (``--towers``, ``borderscape ingest eff-towers``), the generic
``borderscape ingest sensors`` and the maritime files of ``read_sensor_file`` — and a large
sensors layer clustered on the map."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from pyproj import Transformer

from borderscape import webmap
from borderscape.analyses.sensors import deployment
from borderscape.analyses.study import load_study
from borderscape.cli import main
from borderscape.geo.errors import IngestError
from borderscape.geo.raster import Raster
from borderscape.layers.ingest import ingest_file, read_sensor_file
from borderscape.layers.readers_us import SENSOR_BOUNDS_M, SWATH_MAX_M, read_towers

HEIGHT_MAST = "height_m is out of range (more than 0 and at most 500 m for a tower or mast)"
RANGE_MAST = "range_m is out of range (more than 0 and at most 100 km for a tower or mast)"
RANGE_RADAR = "range_m is out of range (more than 0 and at most 200 km for a radar)"
HEIGHT_AEROSTAT = "height_m is out of range (more than 0 and at most 5,000 m for an aerostat)"
SWATH = "swath_m is out of range (more than 0 and at most 200 km)"
EMPTY_KML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>towers</name></Document></kml>\n'
)


def balanced(layer) -> None:
    """The quality report's invariant, and every row in the frame."""
    r = layer.report
    assert r.kept + r.repaired + r.quarantined == r.rows_read == len(layer.frame)


def reasons(layer) -> list[str]:
    return layer.frame["reason"].tolist()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- heights and ranges ------------------------------------------------------------------------


def test_tower_heights_and_ranges_outside_plausible_bounds_are_quarantined(tmp_path):
    p = write(
        tmp_path / "towers.csv",
        "name,latitude,longitude,type,height_m,range_km,installed\n"
        "a,31.50,-111.00,IFT,-30,10,2010-01-01\n"  # negative: the dialect's first rule
        "b,31.51,-111.01,IFT,1e9,10,2010-01-01\n"  # a billion metres
        "c,31.52,-111.02,IFT,0,10,2010-01-01\n"  # zero is no height
        "d,31.53,-111.03,RVSS,30,10,2010-01-01\n"  # plausible
        "e,31.54,-111.04,aerostat,3000,370,2010-01-01\n"  # an aerostat flies at 3 km, its radar sees 370 km
        "f,31.55,-111.05,IFT,3000,10,2010-01-01\n"  # a tower is not 3 km high
        "g,31.56,-111.06,IFT,40,150,2010-01-01\n"  # a tower camera does not see 150 km
        "h,31.57,-111.07,aerostat,6000,100,2010-01-01\n"  # above the 5 km of an aerostat
        "i,31.58,-111.08,IFT,500,100,2010-01-01\n",  # the bounds themselves are plausible
    )
    layer = read_towers(p)
    balanced(layer)
    f = layer.frame
    assert f["status"].tolist() == ["quarantined"] * 3 + ["kept", "kept"] + ["quarantined"] * 3 + ["kept"]
    assert layer.report.reasons == {
        "height_m is negative": 1,
        HEIGHT_MAST: 3,
        RANGE_MAST: 1,
        HEIGHT_AEROSTAT: 1,
    }
    # a value out of range is never kept: the layer holds it as missing
    assert f["height_m"].isna().tolist() == [True, True, True, False, False, True, False, True, False]
    assert np.isnan(f.loc[6, "range_m"]) and f.loc[4, "range_m"] == 370_000.0
    assert SENSOR_BOUNDS_M["mast"] == {"height_m": 500.0, "range_m": 100_000.0}


def test_generic_sensors_and_stations_have_the_same_bounds(tmp_path):
    p = write(
        tmp_path / "s.csv",
        "lat,lon,h,r,k\n31.5,-111,600,5000,IFT\n31.6,-111,30,150000,coastal radar\n31.7,-111,30,250000,radar\n",
    )
    layer = ingest_file("sensors", p, columns={"lat": "lat", "lon": "lon", "height": "h", "range": "r", "kind": "k"})
    balanced(layer)
    assert layer.frame["status"].tolist() == ["quarantined", "kept", "quarantined"]
    assert layer.report.reasons == {HEIGHT_MAST: 1, RANGE_RADAR: 1}
    # a user's coastal stations are radars: 150 km is plausible, 250 km is not
    st = write(
        tmp_path / "stations.csv",
        "name,lon,lat,height_m,range_m\nA,14.2,36.4,60,150000\nB,12.9,35.6,80,250000\nC,13.0,35.0,900,40000\n",
    )
    stations = read_sensor_file(st)
    balanced(stations)
    assert stations.frame["status"].tolist() == ["kept", "quarantined", "quarantined"]
    assert stations.report.reasons == {
        RANGE_RADAR: 1,
        "height_m is out of range (more than 0 and at most 500 m for a radar)": 1,
    }


def test_track_swaths_out_of_range_are_quarantined(tmp_path):
    features = [
        {
            "type": "Feature",
            "properties": {"name": f"t{i}", "swath_m": s},
            "geometry": {"type": "LineString", "coordinates": [[12.5, 34.8 + i / 10], [14.8, 35.4 + i / 10]]},
        }
        for i, s in enumerate([40000, 300000, 0, SWATH_MAX_M])
    ]
    p = write(tmp_path / "tracks.geojson", json.dumps({"type": "FeatureCollection", "features": features}))
    layer = read_sensor_file(p)
    balanced(layer)
    assert layer.frame["status"].tolist() == ["kept", "quarantined", "quarantined", "kept"]
    assert layer.report.reasons == {SWATH: 2}
    assert layer.frame["swath_m"].isna().tolist() == [False, True, True, False]


# -- duplicates --------------------------------------------------------------------------------


def test_exact_duplicates_count_once_and_positional_ones_are_noted(tmp_path):
    p = write(
        tmp_path / "towers.csv",
        "name,latitude,longitude,type,height_m\n"
        "a,31.5,-111.0,IFT,30\n"
        "b,31.6,-111.1,RVSS,20\n"
        "a,31.5,-111.0,IFT,30\n"  # an exact duplicate of row 0
        "a,31.5,-111.0,IFT,30\n"  # and another
        "c,31.6,-111.1,AST,10\n",  # row 1's position, other attributes: a second sensor on the mast
    )
    layer = read_towers(p)
    balanced(layer)
    assert layer.frame["status"].tolist() == ["kept", "kept", "quarantined", "quarantined", "kept"]
    assert reasons(layer)[2:4] == ["quarantined: row is a duplicate of row 0"] * 2
    assert layer.report.reasons == {"row is a duplicate of row 0": 2}
    (note,) = [n for n in layer.report.notes if "within 1 m" in n]
    assert note.startswith("1 sensor(s) lie within 1 m") and "row 4 near row 1" in note and "kept" in note
    # the same rule on the generic path and for vector files
    g = gpd.GeoDataFrame(
        {"Kind": ["IFT", "IFT", "RVSS"]},
        geometry=[shapely.Point(-111, 31.5), shapely.Point(-111, 31.5), shapely.Point(-111.000001, 31.5)],
        crs="EPSG:4326",
    )
    g.to_file(tmp_path / "t.geojson", driver="GeoJSON")
    generic = ingest_file("sensors", tmp_path / "t.geojson", columns={"kind": "Kind"})
    balanced(generic)
    assert generic.report.reasons == {"row is a duplicate of row 0": 1}
    assert any("row 2 near row 0" in n for n in generic.report.notes)  # 0.1 m apart


# -- geometries --------------------------------------------------------------------------------


def test_towers_that_are_not_points_are_quarantined(tmp_path):
    p = write(
        tmp_path / "towers.csv",
        "name,wkt,type\n"
        "a,POINT (-111 31.5),IFT\n"
        'b,"LINESTRING (-111 31.5, -110 31.6)",IFT\n'
        'c,"POLYGON ((-111 31.5, -110 31.5, -110 31.6, -111 31.5))",IFT\n'
        'd,"MULTIPOINT ((-110.5 31.4))",IFT\n'
        'e,"MULTIPOINT ((-111 31.4), (-110 31.4))",IFT\n'
        'f,"GEOMETRYCOLLECTION (POINT (-110 31.5))",IFT\n',
    )
    layer = read_towers(p)
    balanced(layer)
    f = layer.frame
    assert f["status"].tolist() == ["kept", "quarantined", "quarantined", "repaired", "quarantined", "quarantined"]
    assert layer.report.reasons == {
        "geometry is a LineString, not a point": 1,
        "geometry is a Polygon, not a point": 1,
        "geometry is a MultiPoint of several points (give one row per sensor)": 1,
        "geometry is a GeometryCollection, not a point": 1,
    }
    assert layer.report.repairs == {"geometry was a MultiPoint of one point, made a Point": 1}
    assert f.geometry.iloc[3].equals(shapely.Point(-110.5, 31.4))
    assert f.geometry.iloc[[1, 2, 4, 5]].isna().all()
    # the same from a GeoJSON of towers
    g = gpd.GeoDataFrame(
        {"type": ["IFT", "RVSS"]},
        geometry=[shapely.Point(-111, 31.5), shapely.LineString([(-111, 31.5), (-110, 31.6)])],
        crs="EPSG:4326",
    )
    g.to_file(tmp_path / "towers.geojson", driver="GeoJSON")
    vec = read_towers(tmp_path / "towers.geojson")
    balanced(vec)
    assert vec.frame["status"].tolist() == ["kept", "quarantined"]


def test_lines_only_for_tracks_and_polygons_only_for_areas(tmp_path):
    line = shapely.LineString([(12.5, 34.8), (14.8, 35.4)])
    poly = shapely.box(13.0, 34.5, 14.0, 35.2)
    point = shapely.Point(13.5, 35.0)
    g = gpd.GeoDataFrame({"name": ["l1", "l2", "p", "a"]}, geometry=[line, line.reverse(), point, poly], crs=4326)
    g.to_file(tmp_path / "tracks.geojson", driver="GeoJSON")
    tracks = read_sensor_file(tmp_path / "tracks.geojson")  # mostly lines: read as aerial tracks
    balanced(tracks)
    assert tracks.frame["status"].tolist() == ["kept", "kept", "quarantined", "quarantined"]
    assert tracks.report.reasons == {"geometry is a Point, not a line": 1, "geometry is a Polygon, not a line": 1}
    areas = read_sensor_file(tmp_path / "tracks.geojson", role="operational_areas")  # the study role decides
    balanced(areas)
    assert areas.frame["status"].tolist() == ["quarantined", "quarantined", "quarantined", "kept"]
    assert areas.report.reasons == {
        "geometry is a LineString, not a polygon": 2,
        "geometry is a Point, not a polygon": 1,
    }
    with pytest.raises(IngestError, match="unknown sensor role"):
        read_sensor_file(tmp_path / "tracks.geojson", role="satellites")


# -- dates ------------------------------------------------------------------------------------


def test_an_end_before_the_start_is_quarantined(tmp_path):
    p = write(
        tmp_path / "towers.csv",
        "latitude,longitude,type,installed,removed\n"
        "31.5,-111.0,IFT,2015-01-01,2012-06-30\n"
        "31.6,-111.1,IFT,2015-01-01,2015-01-01\n"  # one day is a valid life
        "31.7,-111.2,IFT,,2012-06-30\n",
    )
    layer = read_towers(p)
    balanced(layer)
    assert layer.frame["status"].tolist() == ["quarantined", "kept", "kept"]
    assert layer.report.reasons == {"active_to is before active_from": 1}
    st = write(tmp_path / "stations.csv", "name,lon,lat,active_from,active_to\nA,14.2,36.4,2020-01-01,2019-12-31\n")
    assert read_sensor_file(st).report.reasons == {"active_to is before active_from": 1}


# -- empty files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("towers.csv", ""),
        ("towers.csv", "name,lat,lon,type\n"),
        ("towers.kml", EMPTY_KML),
        ("towers.geojson", '{"type": "FeatureCollection", "features": []}'),
    ],
    ids=["empty-csv", "header-only-csv", "kml-without-placemarks", "geojson-without-features"],
)
def test_empty_sensor_files_are_typed_errors(tmp_path, name, text, capsys):
    p = write(tmp_path / name, text)
    with pytest.raises(IngestError) as towers:
        read_towers(p)
    assert towers.value.remedy
    with pytest.raises(IngestError):
        read_sensor_file(p)
    columns = {"lat": "lat", "lon": "lon"} if name.endswith(".csv") else {}
    with pytest.raises(IngestError):
        ingest_file("sensors", p, columns=columns or {"name": "name"})
    code = main(["ingest", "eff-towers", str(p), "--out", str(tmp_path / "t.parquet")])
    out = capsys.readouterr().err
    assert code == 2 and "What to do" in out and "internal error" not in out


# -- the command line ---------------------------------------------------------------------------


def hostile_towers(path: Path) -> Path:
    return write(
        path,
        "name,latitude,longitude,type,height_m,installed\n"
        "a,31.50,-111.00,IFT,-30,2010-01-01\n"
        "b,31.51,-111.01,IFT,1e9,2010-01-01\n"
        "c,31.52,-111.02,RVSS,30,2010-01-01\n"
        "c,31.52,-111.02,RVSS,30,2010-01-01\n",
    )


def test_borderscape_ingest_reports_the_reasons(tmp_path, capsys):
    p = hostile_towers(tmp_path / "towers.csv")
    report = tmp_path / "report.json"
    assert main(["ingest", "eff-towers", str(p), "--out", str(tmp_path / "t.parquet"), "--report", str(report)]) == 0
    r = json.loads(report.read_text())
    assert r["reasons"] == {"height_m is negative": 1, HEIGHT_MAST: 1, "row is a duplicate of row 2": 1}
    assert (r["kept"], r["repaired"], r["quarantined"], r["rows_read"]) == (1, 0, 3, 4)
    written = gpd.read_parquet(tmp_path / "t.parquet")
    assert written["status"].tolist() == ["quarantined", "quarantined", "kept", "quarantined"]
    generic = tmp_path / "generic.json"
    args = ["ingest", "sensors", str(p), "--columns", "lat=latitude,lon=longitude,height=height_m,kind=type"]
    assert main([*args, "--out", str(tmp_path / "g.parquet"), "--report", str(generic)]) == 0
    assert json.loads(generic.read_text())["reasons"] == r["reasons"]


# -- a quarantined tower is not used ------------------------------------------------------------


def test_quarantined_towers_are_not_deployed(tmp_path):
    """The towers behind H1/H3 (:func:`deployment`): only the plausible, distinct ones."""
    study = load_study("arizona-sonora")
    # a flat 20 km grid around the towers (UTM 12N)
    dem = Raster(
        np.full((200, 200), 900.0, np.float32), Affine(100.0, 0, 480_000.0, 0, -100.0, 3_500_000.0), "EPSG:32612"
    )
    x = 480_000.0 + np.array([2000, 4000, 6000, 8000, 10_000])
    y = 3_500_000.0 - np.array([2000, 4000, 6000, 8000, 10_000])
    lon, lat = Transformer.from_crs("EPSG:32612", "EPSG:4326", always_xy=True).transform(x, y)
    rows = [
        f"{lat[0]:.6f},{lon[0]:.6f},IFT,-30,8000,2010-01-01",
        f"{lat[1]:.6f},{lon[1]:.6f},IFT,1e9,8000,2010-01-01",
        f"{lat[2]:.6f},{lon[2]:.6f},RVSS,30,8000,2010-01-01",
        f"{lat[2]:.6f},{lon[2]:.6f},RVSS,30,8000,2010-01-01",
        f"{lat[3]:.6f},{lon[3]:.6f},IFT,25,8000,2010-01-01",
        f"{lat[4]:.6f},{lon[4]:.6f},IFT,25,8000000,2010-01-01",
    ]
    p = write(tmp_path / "towers.csv", "latitude,longitude,type,height_m,range_m,installed\n" + "\n".join(rows) + "\n")
    layer = read_towers(p)
    balanced(layer)
    dep = deployment(study, layer.frame, dem)
    assert dep.x.size == 2  # rows 2 and 4: no −30 m, no 1e9 m, no second copy, no 8,000 km range
    assert np.all(dep.height <= 500) and np.all(dep.range_ <= 100_000)
    assert sorted(dep.height.tolist()) == [25.0, 30.0]


def test_borderscape_run_counts_each_plausible_tower_once(data_dir, tmp_path):
    """``borderscape run --towers``: H1 places the 12 good towers, not the hostile extra rows."""
    from test_run import make_dem, make_towers

    towers = make_towers(tmp_path / "towers.csv")
    frame = pd.read_csv(towers)
    extra = frame.iloc[[0, 1, 2]].copy()
    extra.loc[extra.index[1], "height_m"] = 1e9  # a copy of tower 1 a billion metres high
    extra.loc[extra.index[2], "height_m"] = -30  # and of tower 2 thirty metres underground
    pd.concat([frame, extra], ignore_index=True).to_csv(towers, index=False)  # row 12 repeats row 0 exactly
    dem = make_dem(tmp_path / "dem.tif")
    out = tmp_path / "az"
    args = ["run", "arizona-sonora", "--data-dir", str(data_dir), "--towers", str(towers), "--dem", str(dem)]
    assert main([*args, "--out", str(out)]) == 0
    tests = {t["id"]: t for t in json.loads((out / "results.json").read_text())["tests"]}
    assert tests["H1"]["status"] == "ran"
    assert tests["H1"]["parameters"]["sensors"] == 12


# -- the map ----------------------------------------------------------------------------------


def sensors_frame(n: int, kinds: tuple[str, ...] = ("IFT", "RVSS"), seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    return gpd.GeoDataFrame(
        {
            "kind": [kinds[i % len(kinds)] for i in range(n)],
            "height_m": 30.0,
            "range_m": 10_000.0,
            "swath_m": np.nan,
            "active_from": pd.Timestamp("2010-01-01"),
            "active_to": pd.NaT,
            "deployment": "existing",
            "source_id": "sensors",
            "status": "kept",
        },
        geometry=gpd.points_from_xy(rng.uniform(-114, -106, n), rng.uniform(31.3, 33.5, n)),
        crs="EPSG:4326",
    )


def test_large_sensor_layers_are_clustered():
    small = webmap.layers_from_frame(
        sensors_frame(webmap.CLUSTER_SENSORS_ABOVE), kind="sensors", name="T", group="Surveillance", colour="#0072B2"
    )
    assert len(small) == 2 and not any(ly.cluster for ly in small)
    # the total counts: two kinds of 300 are 600 sensors on one map
    large = webmap.layers_from_frame(
        sensors_frame(600), kind="sensors", name="T", group="Surveillance", colour="#0072B2"
    )
    assert len(large) == 2 and all(ly.cluster and ly.kind == "points" for ly in large)
    assert all(webmap._layer_data(ly, 0.0)["cluster"] is True for ly in large)
    # quarantined rows are not drawn and do not count
    frame = sensors_frame(600)
    frame.loc[:200, "status"] = "quarantined"
    assert not any(
        ly.cluster for ly in webmap.layers_from_frame(frame, kind="sensors", name="T", group="S", colour="#0072B2")
    )
    forced = webmap.layers_from_frame(
        sensors_frame(10), kind="sensors", name="T", group="S", colour="#0072B2", cluster=True
    )
    assert all(ly.cluster for ly in forced)
    # areas and tracks are never clustered
    areas = gpd.GeoDataFrame({"status": ["kept"] * 600}, geometry=[shapely.box(0, 0, 1, 1)] * 600, crs=4326)
    assert not any(
        ly.cluster for ly in webmap.layers_from_frame(areas, kind="sensors", name="A", group="S", colour="#000")
    )


def test_a_map_of_100000_sensors_opens_clustered(tmp_path):
    from browser import open_page

    layer = sensors_frame(100_000, kinds=("IFT", "RVSS", "aerostat"))
    layer.to_parquet(tmp_path / "sensors.parquet")
    html = tmp_path / "sensors.html"
    assert main(["map", "--layer", str(tmp_path / "sensors.parquet"), "--out", str(html), "--self-contained"]) == 0
    with open_page(html, width=1200, height=800) as (page, report):
        clusters = page.locator(".bs-cluster").count()
        drawn = page.locator(".bs-cluster, .bs-dot").count()
        assert clusters > 10 and drawn < 3000  # cells, not 100,000 markers
        assert report.errors == [] and report.blocked == []
