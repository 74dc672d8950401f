"""A table as a stranger brings it (issue 18, Build item 4): names, case numbers, dates with times,
two-digit years, DMS coordinates, duplicates, Latin-1 — and a DMS sensor list.

Every name here is made up ("Test Person N"); none comes from a real record.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from borderscape.cli import main
from borderscape.geo.errors import InputError
from borderscape.layers import parse
from borderscape.layers.dates import parse_dates, pivot_year
from borderscape.layers.ingest import ingest_file, write_layer
from borderscape.layers.quality import Ledger
from borderscape.layers.readers_us import read_towers

AZ = (-115.5, 30.0, -108.5, 35.0)
NAMES = [f"Test Person {i}" for i in range(1, 12)]
CASES = [f"CASE-{i:03d}" for i in range(1, 12)]


def dms(d: float, m: float = 0.0, s: float = 0.0) -> float:
    """Independent reference: degrees + minutes/60 + seconds/3600."""
    return d + m / 60.0 + s / 3600.0


# rows: (name, case, date found, latitude, longitude, place, cause)
DEATHS = [
    (NAMES[0], CASES[0], "05/07/2013 13:12:00", "31°20'15\"N", "110°58'30\"W", "Nogales", "heat"),
    (NAMES[1], CASES[1], "06/25/17 22:10:00", "31 20 15 N", "-110°58'30\"", "Peñasco", ""),
    (NAMES[2], CASES[2], "2014-03-02T10:00:00", "31d25m00sN", "110d50m00sW", "Arivaca", "unknown"),
    None,  # exact duplicate of row 0
    None,  # exact duplicate of row 0
    None,  # exact duplicate of row 1
    (NAMES[3], CASES[3], "2014-03-02 08:00", "31d25m00sN", "110d50m00sW", "Arivaca", "heat"),  # likely dup of 2
    (NAMES[4], CASES[4], "01/02/2015", "", "", "Sasabe", ""),  # no coordinates
    (NAMES[5], CASES[5], "13/45/2015 10:00", "31.5", "-111.25", "Sasabe", ""),  # not a date
    (NAMES[6], CASES[6], "2/3/16 1:05", "31.55", "-111.3", "Sasabe", ""),
    (NAMES[7], CASES[7], "07/04/2018 06:00:00", "31.6", "111.1", "Ajo", ""),  # longitude sign lost
]
DEATHS[3] = DEATHS[4] = DEATHS[0]
DEATHS[5] = DEATHS[1]
HEADER = ("Decedent Name", "Case Number", "Date Found", "Latitude", "Longitude", "Place", "Cause")
COLUMNS = {"lat": "Latitude", "lon": "Longitude", "date": "Date Found", "cause": "Cause"}


def _csv(rows, header) -> str:
    def cell(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"') else v

    return "\n".join([",".join(header)] + [",".join(cell(v) for v in r) for r in rows]) + "\n"


@pytest.fixture
def stranger(tmp_path):
    p = tmp_path / "sector_deaths.csv"
    p.write_bytes(_csv(DEATHS, HEADER).encode("latin-1"))
    return p


def _no_names(*texts: str) -> None:
    for t in texts:
        for secret in NAMES + CASES:
            assert secret not in t


# --------------------------------------------------------------------------- dates


def test_dates_with_times_and_two_digit_years():
    values = pd.Series(
        ["05/07/2013 13:12:00", "06/25/17 22:10:00", "2013-05-07T13:12:00", "2013-05-07 13:12", "1/2/99"]
    )
    out, precision, errors = parse_dates(values)
    assert out.tolist() == [
        pd.Timestamp(d) for d in ("2013-05-07", "2017-06-25", "2013-05-07", "2013-05-07", "1999-01-02")
    ]
    assert precision.tolist() == ["day"] * 5 and all(e is None for e in errors)
    # the pivot: 20YY unless after the current year, then 19YY
    this = pd.Timestamp.today().year
    assert pivot_year(this % 100) == this and pivot_year((this + 1) % 100) == this + 1 - 100
    # an explicit format replaces the layouts; %y follows the same pivot
    out, precision, errors = parse_dates(pd.Series(["07.05.13 13:12", "2013-05-07"]), "%d.%m.%y %H:%M")
    assert out.iloc[0] == pd.Timestamp("2013-05-07") and pd.isna(out.iloc[1]) and errors[1] is not None
    # a time out of range is not a date
    assert parse_dates(pd.Series(["05/07/2013 25:00"]))[2][0] is not None


# --------------------------------------------------------------------------- the deaths table


def test_stranger_deaths_table(stranger, tmp_path):
    layer = ingest_file("deaths", stranger, columns=COLUMNS, keep=["Place"], region=AZ)
    r, f = layer.report, layer.frame
    assert (r.rows_read, r.kept, r.repaired, r.quarantined) == (11, 5, 1, 5)
    assert f["status"].tolist() == [
        "kept",
        "kept",
        "kept",
        "quarantined",
        "quarantined",
        "quarantined",
        "kept",
        "quarantined",
        "quarantined",
        "kept",
        "repaired",
    ]
    assert r.reasons == {
        "coordinates are missing": 1,
        "date is not a date": 1,
        "row is a duplicate of row 0": 2,
        "row is a duplicate of row 1": 1,
    }
    assert r.repairs == {"coordinates had the longitude sign flipped": 1}
    # samples: only the failed cell, never a name
    assert r.samples["date is not a date"] == ["13/45/2015 10:00"]
    assert r.samples["coordinates had the longitude sign flipped"] == ["31.6, 111.1"]
    assert "coordinates are missing" not in r.samples  # nothing was written there
    # DMS against the hand computation
    x, y = f.geometry.x.to_numpy(), f.geometry.y.to_numpy()
    assert y[0] == pytest.approx(dms(31, 20, 15), abs=1e-12) and x[0] == pytest.approx(-dms(110, 58, 30), abs=1e-12)
    assert (x[1], y[1]) == pytest.approx((x[0], y[0]), abs=1e-12)
    assert (x[2], y[2]) == pytest.approx((-dms(110, 50), dms(31, 25)), abs=1e-12)
    assert x[10] == pytest.approx(-111.1)
    # dates with times and two-digit years, dropped to the day
    assert f["date"].iloc[[0, 1, 2, 9]].tolist() == [
        pd.Timestamp("2013-05-07"),
        pd.Timestamp("2017-06-25"),
        pd.Timestamp("2014-03-02"),
        pd.Timestamp("2016-02-03"),
    ]
    # Latin-1 read, accents kept
    assert f["Place"].iloc[1] == "Peñasco" and any("Latin-1" in n for n in r.notes)
    # personal columns dropped and listed
    assert r.removed_columns == ["Decedent Name", "Case Number"]
    assert "Decedent Name" not in f.columns and "Case Number" not in f.columns
    # likely duplicate: same day and place as row 2, other fields differ; kept
    assert r.likely_duplicates == [[6, 2]] and f["status"].iloc[6] == "kept"
    assert any("likely duplicates" in n and "row 6 ~ row 2" in n for n in r.notes)
    assert r.warnings == []
    # nothing personal reaches the written layer or the report
    for suffix in (".parquet", ".csv", ".gpkg"):
        out = write_layer(layer, tmp_path / f"layer{suffix}")
        _no_names(out.read_bytes().decode("latin-1"))
    r.write(tmp_path / "report.json")
    _no_names((tmp_path / "report.json").read_text(), r.text())
    assert json.loads((tmp_path / "report.json").read_text())["samples"] == r.samples


def test_cli_date_format(stranger, tmp_path, capsys):
    out, rep = tmp_path / "d.parquet", tmp_path / "d.json"
    fmt = "%m/%d/%Y %H:%M:%S"
    code = main(
        [
            "ingest",
            "deaths",
            str(stranger),
            "--columns",
            "lat=Latitude,lon=Longitude,date=Date Found",
            "--region",
            "-115.5,30,-108.5,35",
            "--date-format",
            fmt,
            "--out",
            str(out),
            "--report",
            str(rep),
        ]
    )
    stdout, stderr = capsys.readouterr()
    assert code == 0 and "Traceback" not in stdout + stderr
    report = json.loads(rep.read_text())
    why = f"date is not a date in the format {fmt}"
    # only rows 0, 3, 4 (the same text) and 10 match the format; 8 has a 4-digit year but month 13
    assert report["reasons"][why] == 7
    assert report["samples"][why] == ["06/25/17 22:10:00", "2014-03-02T10:00:00", "2014-03-02 08:00"]
    assert (report["kept"], report["repaired"], report["quarantined"]) == (1, 1, 9)
    assert report["removed_columns"] == ["Decedent Name", "Case Number"]
    assert why in stdout and "06/25/17 22:10:00" in stdout
    assert gpd.read_parquet(out)["date"].notna().sum() == 4
    _no_names(stdout, stderr, rep.read_text(), out.read_bytes().decode("latin-1"))


# --------------------------------------------------------------------------- DMS sensors

SENSOR_HEADER = ("Site", "LatD", "LatM", "LatS", "NS", "LonD", "LonM", "LonS", "EW", "Licence From", "Licence To")
SENSORS = [
    ("S1", "31", "20", "15", "N", "110", "58", "30", "W", "2015-01-01", "12/31/2020"),
    ("S2", "31", "30", "0", "N", "111", "0", "0", "W", "06/01/2016", "01/01/14"),  # ends before it starts
    ("S3", "32", "0", "0", "", "-110", "30", "0", "", "", ""),  # sign from the degrees
    ("S4", "31", "75", "0", "N", "111", "0", "0", "W", "", ""),  # minutes out of range
    ("S5", "31", "10", "0", "E", "111", "10", "0", "W", "", ""),  # a longitude hemisphere for the latitude
]
SENSOR_ROLES = {
    "lat_deg": "LatD",
    "lat_min": "LatM",
    "lat_sec": "LatS",
    "lat_hemi": "NS",
    "lon_deg": "LonD",
    "lon_min": "LonM",
    "lon_sec": "LonS",
    "lon_hemi": "EW",
    "active_from": "Licence From",
    "active_to": "Licence To",
    "name": "Site",
}


def test_dms_sensor_columns(tmp_path):
    p = tmp_path / "licences.csv"
    p.write_text(_csv(SENSORS, SENSOR_HEADER))
    layer = ingest_file("sensors", p, columns=SENSOR_ROLES, region=AZ, sensor_role="towers")
    r, f = layer.report, layer.frame
    assert (r.rows_read, r.kept, r.repaired, r.quarantined) == (5, 2, 0, 3)
    assert f["status"].tolist() == ["kept", "quarantined", "kept", "quarantined", "quarantined"]
    assert r.reasons == {"active_to is before active_from": 1, "coordinates are unreadable": 2}
    assert r.samples["coordinates are unreadable"] == ["31 75 0 N", "31 10 0 E (not a latitude hemisphere)"]
    x, y = f.geometry.x.to_numpy(), f.geometry.y.to_numpy()
    assert (x[0], y[0]) == pytest.approx((-dms(110, 58, 30), dms(31, 20, 15)), abs=1e-12)
    assert (x[2], y[2]) == pytest.approx((-dms(110, 30), 32.0), abs=1e-12)
    assert f["active_to"].iloc[0] == pd.Timestamp("2020-12-31") and f["active_to"].iloc[1] == pd.Timestamp("2014-01-01")
    assert r.warnings == []
    # the ledger's status never becomes a deployment when the written layer is read again
    written = write_layer(layer, tmp_path / "licences_layer.csv")
    again = read_towers(written)
    assert "kept" not in again.frame["deployment"].astype(str).tolist()
    assert again.frame["deployment"].isna().all()
    with pytest.raises(InputError, match="ledger"):
        ingest_file("sensors", written, columns={"wkt": "geometry", "deployment": "status"})


def test_dms_roles_are_checked(tmp_path):
    p = tmp_path / "licences.csv"
    p.write_text(_csv(SENSORS, SENSOR_HEADER))
    with pytest.raises(InputError, match="lat_deg"):
        ingest_file("sensors", p, columns={"lat_min": "LatM", "lon_deg": "LonD"})
    with pytest.raises(InputError, match="both lat and lat_deg"):
        ingest_file("sensors", p, columns={"lat": "LatD", "lat_deg": "LatD", "lon_deg": "LonD"})


def test_degrees_alone_warn_and_are_never_repaired(tmp_path):
    rng = np.random.default_rng(18)
    rows = [
        (f"S{i}", str(int(d)), "10", "0", "N", str(int(e)), "20", "0", "W", "", "")
        for i, (d, e) in enumerate(zip(rng.integers(31, 34, 12), rng.integers(109, 115, 12)))
    ]
    p = tmp_path / "licences.csv"
    p.write_text(_csv(rows, SENSOR_HEADER))
    layer = ingest_file("sensors", p, columns={"lat": "LatD", "lon": "LonD"}, region=AZ, sensor_role="towers")
    r = layer.report
    assert (r.kept, r.repaired, r.quarantined) == (0, 0, 12)
    assert r.reasons == {
        "coordinates are outside the expected region (repair refused: whole-degree positions are never moved)": 12
    }
    assert len(r.warnings) == 3
    assert any(w.startswith("every latitude of the coordinates is a whole number") for w in r.warnings)
    assert any(w.startswith("every longitude") and "lon_deg, lon_min, lon_sec" in w for w in r.warnings)
    assert any("12 of 12 located rows" in w and "hemisphere" in w for w in r.warnings)
    assert all(f"warning: {w}" in r.notes for w in r.warnings)
    assert layer.frame.geometry.isna().all()
    # the same file with its minutes mapped: no warning, and the missing W is still a sign flip to refuse
    layer = ingest_file(
        "sensors", p, columns={"lat_deg": "LatD", "lat_min": "LatM", "lon_deg": "LonD", "lon_min": "LonM"}, region=AZ
    )
    assert layer.report.quarantined == 12 and "it would touch most rows" in next(iter(layer.report.reasons))
    assert not any("whole number" in w for w in layer.report.warnings)
    # with the hemispheres every row lands inside, untouched
    roles = {
        "lat_deg": "LatD",
        "lat_min": "LatM",
        "lat_hemi": "NS",
        "lon_deg": "LonD",
        "lon_min": "LonM",
        "lon_hemi": "EW",
    }
    layer = ingest_file("sensors", p, columns=roles, region=AZ)
    assert (layer.report.kept, layer.report.warnings) == (12, [])


def test_a_few_repairs_still_happen():
    """A minority of swapped rows is still repaired; the refusal needs most of at least 10 rows."""
    lat = np.r_[np.full(9, 31.5), -111.2]
    lon = np.r_[np.full(9, -111.2), 31.5]
    ledger = Ledger(10)
    parse.locate(lat, lon, ledger, AZ)
    assert ledger.status.tolist().count("repaired") == 1 and ledger.warnings == []


# --------------------------------------------------------------------------- duplicates in every path


def test_exact_duplicates_one_rule_for_catalog_readers(tmp_path):
    """The PCOME reader (a catalog path) gets the same exact-duplicate rule through parse.finish."""
    from borderscape.layers.readers_us import read_pcome

    header = "ML Number,Name,Reporting Date,Latitude,Longitude,Cause of Death\n"
    row = "CASE-001,Test Person 1,2019-07-01,31.5,-111.2,heat\n"
    other = "CASE-002,Test Person 2,2019-07-01,31.5,-111.2,heat\n"
    p = tmp_path / "ogis_deaths_test.csv"
    p.write_text(header + row + row + other)
    layer = read_pcome(p)
    r = layer.report
    assert (r.kept, r.quarantined) == (2, 1) and r.reasons == {"row is a duplicate of row 0": 1}
    # rows 0 and 2 differ only in their (removed) personal columns: a likely duplicate, kept
    assert r.likely_duplicates == [[2, 0]]
