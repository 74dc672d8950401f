"""Hostile inputs give a typed error or quarantined rows, never a traceback."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borderscape.cli import main
from borderscape.geo.errors import BorderscapeError, CRSError, IngestError
from borderscape.layers.ingest import ingest, ingest_file, write_layer

COLS = {"lat": "lat", "lon": "lon", "date": "date", "dead": "dead", "cause": "cause"}


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def assert_cli_refuses(args: list[str], capsys, match: str) -> None:
    code, out, err = run_cli(args, capsys)
    assert code == 2, (code, out, err)
    assert err.startswith("error:") and match in err
    assert "Traceback" not in out + err


def test_empty_file(tmp_path, capsys):
    p = tmp_path / "empty.csv"
    p.write_bytes(b"")
    with pytest.raises(IngestError, match="empty"):
        ingest_file("deaths", p, columns=COLS)
    with pytest.raises(IngestError, match="empty"):
        ingest("pcome", p)
    assert_cli_refuses(["ingest", "pcome", str(p), "--out", str(tmp_path / "o.parquet")], capsys, "empty")
    assert not (tmp_path / "o.parquet").exists()


def test_header_only_file(tmp_path, capsys):
    p = tmp_path / "header.csv"
    p.write_text("lat,lon,date,dead,cause\n")
    with pytest.raises(IngestError, match="no data rows"):
        ingest_file("deaths", p, columns=COLS)
    assert_cli_refuses(
        ["ingest", "deaths", str(p), "--columns", "lat=lat,lon=lon", "--out", str(tmp_path / "o.parquet")],
        capsys,
        "no data rows",
    )


def test_delimiters(tmp_path, capsys):
    semi = tmp_path / "semi.csv"
    semi.write_text("lat;lon;date\n31,5;-111,2;2020-01-01\n31.6;-111.3;2020-01-02\n")
    layer = ingest_file("deaths", semi, columns={"lat": "lat", "lon": "lon", "date": "date"})
    assert layer.report.kept == 2 and layer.frame.geometry[0].y == pytest.approx(31.5)
    colon = tmp_path / "colon.csv"
    colon.write_text("lat:lon:date\n31.5:-111.2:2020-01-01\n")
    with pytest.raises(IngestError, match="single column"):
        ingest_file("deaths", colon, columns={"lat": "lat", "lon": "lon"})
    assert_cli_refuses(
        ["ingest", "deaths", str(colon), "--columns", "lat=lat,lon=lon", "--out", str(tmp_path / "o.parquet")],
        capsys,
        "delimiter",
    )
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("lat,lon\n31.5,-111.2\n31.5,-111.2,extra,cells\n")
    with pytest.raises(IngestError):
        ingest_file("deaths", ragged, columns={"lat": "lat", "lon": "lon"})


def test_latin1_text(tmp_path):
    p = tmp_path / "latin1.csv"
    p.write_bytes("lat,lon,cause\n31.5,-111.2,Deshidratación\n31.6,-111.1,Golpe de calor – señal\n".encode("cp1252"))
    layer = ingest_file("deaths", p, columns={"lat": "lat", "lon": "lon", "cause": "cause"})
    assert layer.frame["cause"].tolist()[0] == "Deshidratación"
    assert any("Latin-1" in n for n in layer.report.notes)
    assert layer.report.kept == 2


def test_out_of_range_coordinates_are_quarantined(tmp_path):
    p = tmp_path / "range.csv"
    p.write_text("lat,lon\n91,-111\n31,-181\n-95,200\n1e308,5\nnan,inf\n31.5,-111.2\n")
    layer = ingest_file("deaths", p, columns={"lat": "lat", "lon": "lon"})
    f = layer.frame
    assert f["status"].tolist() == ["quarantined"] * 5 + ["kept"]
    assert all(g is None for g in f.geometry[:5])
    assert layer.report.reasons.get("coordinates are out of range", 0) >= 3


def test_geojson_without_crs_is_wgs84_and_projected_numbers_are_quarantined(tmp_path):
    p = tmp_path / "nocrs.geojson"
    p.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"k": "IFT"},
                        "geometry": {"type": "Point", "coordinates": [-111.0, 31.5]},
                    },
                    {
                        "type": "Feature",
                        "properties": {"k": "IFT"},
                        "geometry": {"type": "Point", "coordinates": [500000, 3500000]},
                    },
                    {"type": "Feature", "properties": {"k": "IFT"}, "geometry": None},
                ],
            }
        )
    )
    layer = ingest_file("sensors", p, columns={"kind": "k"})
    assert layer.frame.crs.to_epsg() == 4326
    assert layer.frame["status"].tolist() == ["kept", "quarantined", "quarantined"]
    assert layer.report.reasons == {"coordinates are out of range": 1, "geometry is missing": 1}


def test_geopackage_and_shapefile_without_crs(tmp_path, capsys):
    g = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(-111, 31.5)])
    with pytest.warns(UserWarning):
        g.to_file(tmp_path / "nocrs.gpkg", driver="GPKG")
    with pytest.warns(UserWarning):
        g.to_file(tmp_path / "nocrs.shp")
    for name in ("nocrs.gpkg", "nocrs.shp"):
        with pytest.raises(CRSError, match="no coordinate reference system"):
            ingest_file("context", tmp_path / name, columns={})
    assert_cli_refuses(
        [
            "ingest",
            "context",
            str(tmp_path / "nocrs.gpkg"),
            "--columns",
            "name=a",
            "--out",
            str(tmp_path / "o.parquet"),
        ],
        capsys,
        "coordinate reference system",
    )


def test_binary_file_named_csv(tmp_path, capsys):
    p = tmp_path / "ogis_deaths_2024.csv"
    p.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(IngestError, match="binary"):
        ingest("pcome", p)
    assert_cli_refuses(["ingest", "pcome", str(p), "--out", str(tmp_path / "o.parquet")], capsys, "binary")


def test_not_a_zip_and_not_a_vector(tmp_path):
    kmz = tmp_path / "us_mex_boundary.kmz"
    kmz.write_text("hello")
    with pytest.raises(BorderscapeError):
        ingest("ibwc-boundary", kmz)
    z = tmp_path / "tl_2021_04_prisecroads.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("readme.txt", "nothing here")
    with pytest.raises(IngestError, match="holds no shapefile"):
        ingest("tiger-roads-az", z)


def test_200_mb_single_line(tmp_path, capsys):
    p = tmp_path / "huge.csv"
    block = b"31.5,-111.2,2020-01-01," * 43690  # ~1 MiB, no line break
    with open(p, "wb") as fh:
        for _ in range(200):
            fh.write(block)
    try:
        assert p.stat().st_size > 200 * 10**6
        with pytest.raises(IngestError, match="line break"):
            ingest_file("deaths", p, columns={"lat": "a", "lon": "b"})
        assert_cli_refuses(
            ["ingest", "deaths", str(p), "--columns", "lat=a,lon=b", "--out", str(tmp_path / "o.parquet")],
            capsys,
            "not a table",
        )
    finally:
        p.unlink()


def test_script_tags_are_kept_verbatim(tmp_path):
    evil = "<script>alert('x')</script>"
    p = tmp_path / "xss.csv"
    with open(p, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["lat", "lon", "cause", "note"])
        w.writerow([31.5, -111.2, evil, f'{evil} & "quoted" <b>bold</b>'])
    layer = ingest_file("deaths", p, columns={"lat": "lat", "lon": "lon", "cause": "cause"}, keep=["note"])
    assert layer.frame.loc[0, "cause"] == evil
    assert layer.frame.loc[0, "note"] == f'{evil} & "quoted" <b>bold</b>'
    write_layer(layer, tmp_path / "x.parquet")
    write_layer(layer, tmp_path / "x.csv")
    assert gpd.read_parquet(tmp_path / "x.parquet").loc[0, "cause"] == evil
    assert pd.read_csv(tmp_path / "x.csv").loc[0, "note"] == f'{evil} & "quoted" <b>bold</b>'


# --------------------------------------------------------------------------- fuzz

_junk_coordinate = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(-200, 200).map(lambda v: f"{v:.5f}"),
    st.builds(
        lambda d, m, s, h: f"{d}°{m}'{s}\"{h}",
        st.integers(-200, 200),
        st.integers(-5, 70),
        st.floats(-1, 70).map(lambda v: f"{v:.1f}"),
        st.sampled_from("NSEWX "),
    ),
    st.sampled_from(["", " ", "N", "--1", "1,2,3", "1e999", "POINT (1 2)", "0", "١٢", "½"]),
    st.text(max_size=12),
    st.sampled_from(["31.5", "-111.2", "32°10'30\"N", "110 55 41 W", "-111,2"]),
)
_cell = st.one_of(
    st.text(max_size=20),
    _junk_coordinate,
    st.integers().map(str),
    st.sampled_from(
        [
            "2020-01-01",
            "1/2/2020",
            "2020-13",
            "Thu, 01/01/2026 - 12:00",
            "-3",
            "1.5",
            "NaN",
            "0000",
            "9999-12-31",
            "1066-10-14",
            "2020-02-30",
        ]
    ),
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    rows=st.lists(st.tuples(_junk_coordinate, _junk_coordinate, _cell, _cell, _cell), min_size=1, max_size=25),
    latlon=st.booleans(),
)
def test_fuzz_csv_loader(tmp_path, rows, latlon):
    buf = io.StringIO()
    w = csv.writer(buf)  # default \r\n terminator: cells holding \r or \n are quoted
    w.writerow(["lat", "lon", "date", "dead", "cause"])
    for r in rows:
        w.writerow(r)
    p = tmp_path / "fuzz.csv"
    p.write_bytes(buf.getvalue().encode("utf-8", errors="replace"))  # lone surrogates become "?"
    columns = {"latlon": "lat", "date": "date", "dead": "dead", "cause": "cause"} if latlon else COLS
    try:
        layer = ingest_file("deaths", p, columns=columns, region=(-115.5, 30.0, -108.5, 35.0))
    except BorderscapeError:
        return  # a typed error is an acceptable answer to junk
    r = layer.report
    assert r.kept + r.repaired + r.quarantined == r.rows_read == len(layer.frame)
    assert r.rows_read == len(rows)
    assert sum(r.reasons.values()) >= r.quarantined
