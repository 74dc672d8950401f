"""``borderscape ingest`` on the command line."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from borderscape.cli import cli, main
from borderscape.cli.ingest import parse_columns, parse_region
from borderscape.geo.errors import InputError


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_catalog_source_with_report(data_dir, tmp_path, capsys):
    code, out, err = run(
        [
            "ingest",
            "pcome",
            "--data-dir",
            str(data_dir),
            "--out",
            str(tmp_path / "d.parquet"),
            "--report",
            str(tmp_path / "d.json"),
        ],
        capsys,
    )
    assert code == 0
    lines = out.strip().splitlines()
    # the summary line, then one indented line per reason/repair (with samples), removed columns …
    assert all(line.startswith("  ") for line in lines[1:])
    assert any("quarantined 60: coordinates are the medical examiner's office" in line for line in lines[1:])
    assert lines[0].startswith("pcome: 4300 rows read, ") and "61 quarantined" in lines[0]
    assert "ogis_deaths_1981_2024-09.csv" in lines[0] and "not chosen: ogis_deaths_bansak2025" in lines[0]
    report = json.loads((tmp_path / "d.json").read_text())
    assert report["rows_read"] == 4300
    assert report["kept"] + report["repaired"] + report["quarantined"] == report["rows_read"]
    assert sum(v for k, v in report["reasons"].items() if "office" in k) == 60
    assert report["removed_columns"] == ["Name", "ML Number", "Location"]
    layer = gpd.read_parquet(tmp_path / "d.parquet")
    assert len(layer) == 4300 and layer.crs.to_epsg() == 4326
    assert err == ""  # no spinner when not on a terminal


def test_generic_file(tmp_path, capsys):
    p = tmp_path / "mine.csv"
    p.write_text("Lat,Lon,Found,Cause,Notes,Other\n31.5,-111.2,2021-06-01,heat,n1,o1\n-111.3,31.6,2021-06-02,,n2,o2\n")
    code, out, _ = run(
        [
            "ingest",
            "deaths",
            str(p),
            "--columns",
            "lat=Lat,lon=Lon",
            "--columns",
            "date=Found,cause=Cause",
            "--keep",
            "Notes",
            "--region",
            "-115.5,30,-108.5,35",
            "--out",
            str(tmp_path / "m.gpkg"),
            "--report",
            str(tmp_path / "m.json"),
        ],
        capsys,
    )
    assert code == 0 and out.startswith("deaths: 2 rows read, 1 kept, 1 repaired, 0 quarantined | mine.csv")
    layer = gpd.read_file(tmp_path / "m.gpkg")
    assert "Notes" in layer.columns and "Other" not in layer.columns
    assert layer.geometry[1].x == pytest.approx(-111.3)
    assert json.loads((tmp_path / "m.json").read_text())["repairs"] == {
        "coordinates had latitude and longitude swapped": 1
    }


def test_raster_source_to_tif_and_parquet_refused(data_dir, tmp_path, capsys):
    tif = data_dir / "etopo1-0.1deg-relief-subsets/etopo1_0.1deg_arizona_sonora_116W-106W_29N-35N.tif"
    code, out, _ = run(["ingest", "etopo1", str(tif), "--out", str(tmp_path / "r.tif")], capsys)
    assert code == 0 and out.startswith(f"etopo1: {101 * 61} cells read, {101 * 61} kept")
    code, _, err = run(["ingest", "etopo1", str(tif), "--out", str(tmp_path / "r.parquet")], capsys)
    assert code == 2 and "error:" in err and ".tif" in err
    assert not (tmp_path / "r.parquet").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["ingest", "nonsense", "--out", "x.parquet"], "unknown source"),
        (["ingest", "deaths", "--out", "x.parquet"], "needs a FILE"),
        (
            ["ingest", "deaths", "f.csv", "--columns", "lat=a,lon=b", "--keep", "Name", "--out", "x.parquet"],
            "look like names or case numbers",
        ),
        (["ingest", "pcome", "--columns", "lat=a", "--out", "x.parquet"], "are for deaths|sensors|context"),
        (["ingest", "pcome", "--out", "x.shp"], "unknown layer format"),
        (["ingest", "deaths", "f.csv", "--columns", "lat", "--out", "x.parquet"], "not ROLE=COLUMN"),
    ],
)
def test_refusals_are_typed(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f.csv").write_text("a,b,Name\n1,2,x\n")
    code, _, err = run(args, capsys)
    assert code == 2 and err.startswith("error:") and message in err


def test_missing_source_names_the_remedy(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("BORDERSCAPE_DATA", raising=False)
    monkeypatch.setenv("BORDERSCAPE_CACHE", str(tmp_path / "cache"))
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(["ingest", "eff-towers", "--data-dir", str(empty), "--out", str(tmp_path / "t.parquet")], capsys)
    assert code == 2 and "eff-towers" in err and "What to do" in err


def test_help_has_examples():
    result = CliRunner().invoke(cli, ["ingest", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output and "--columns lat=" in result.output and "--keep-personal" in result.output


def test_parse_helpers():
    assert parse_columns(("lat=Lat, lon = Lon", "date=When")) == {"lat": "Lat", "lon": "Lon", "date": "When"}
    assert parse_columns(("wkt=geom=x",)) == {"wkt": "geom=x"}
    with pytest.raises(InputError):
        parse_columns(("lat=a,lat=b",))
    assert parse_region("-115.5,30,-108.5,35") == (-115.5, 30.0, -108.5, 35.0)
    assert parse_region(None) is None
    for bad in ("1,2,3", "a,b,c,d", "10,0,5,1"):
        with pytest.raises(InputError):
            parse_region(bad)


def test_unwritable_output_is_a_typed_error(tmp_path, capsys):
    p = tmp_path / "mine.csv"
    p.write_text("lat,lon\n31.5,-111.2\n")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(
        ["ingest", "deaths", str(p), "--columns", "lat=lat,lon=lon", "--out", str(blocker / "sub" / "o.parquet")],
        capsys,
    )
    assert code == 2 and "error:" in err
    assert pd.read_csv(p).shape == (1, 2)  # input untouched


def test_personal_column_of_own_file_needs_the_flag(tmp_path, capsys):
    p = tmp_path / "mine.csv"
    p.write_text("lat,lon,Case Number,Station name\n31.5,-111.2,A-1,Ajo\n")
    code, _, err = run(
        [
            "ingest",
            "deaths",
            str(p),
            "--columns",
            "lat=lat,lon=lon",
            "--keep",
            "Case Number",
            "--out",
            str(tmp_path / "m.parquet"),
        ],
        capsys,
    )
    assert code == 2 and "look like names or case numbers" in err and not (tmp_path / "m.parquet").exists()
    code, out, err = run(
        [
            "ingest",
            "deaths",
            str(p),
            "--columns",
            "lat=lat,lon=lon",
            "--keep",
            "Case Number",
            "--keep-personal",
            "--out",
            str(tmp_path / "m.parquet"),
        ],
        capsys,
    )
    assert code == 0 and "warning" in err
    assert gpd.read_parquet(tmp_path / "m.parquet")["Case Number"].tolist() == ["A-1"]
    code, _, _ = run(
        [
            "ingest",
            "context",
            str(p),
            "--columns",
            "lat=lat,lon=lon,name=Station name",
            "--out",
            str(tmp_path / "s.parquet"),
        ],
        capsys,
    )
    assert code == 0  # a station's name is not a person's
