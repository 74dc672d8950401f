"""Ingest of the Mediterranean/Atlantic and IOM sources (layers/readers_med.py).

Counts pinned here are computed twice: by the package, and independently in the test with
plain json/pandas/shapely on the raw files (never through borderscape code).
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from borderscape.geo.errors import CRSError, IngestError
from borderscape.layers.catalog import CATALOG
from borderscape.layers.ingest import ingest, write_layer
from borderscape.layers.readers_med import COARSE, READERS, operation_period

MED_LOADERS = set(READERS)
MED_SOURCES = sorted(s.id for s in CATALOG.values() if s.loader in MED_LOADERS)

# every file of the shared mirror that the Mediterranean catalog entries cover:
# (source id, path relative to the mirror; a folder = the parts of one dataset)
MIRROR_FILES = [
    ("iom-mmp", "iom-missing-migrants/hdx_api_json"),
    ("iom-mmp", "iom-missing-migrants/MissingMigrants-Global-2026-05-06.csv"),
    ("iom-mmp-europe", "iom-missing-migrants/iom_europe_routes_2014_2026-05.csv"),
    (
        "frontex-incidents",
        "frontex-central-med-boat-incidents/frontex_pad194_themis_triton_boat_incidents_2014_2023.csv",
    ),
    (
        "frontex-detections",
        "frontex-illegal-border-crossings-monthly/frontex_detections_by_route_nationality_month_2009-01_2025-04.csv",
    ),
    ("imo-srr", "imo-sar-regions-central-med/imo_gisis_srr_ita_lby_mlt_tun.geojson"),
    ("frontex-opareas", "imo-sar-regions-central-med/frontex_operational_areas_APPROXIMATE_triton_themis.geojson"),
    ("unhcr-arrivals", "unhcr-mediterranean-arrivals/unhcr_monthly_arrivals_by_country_2014-01_2019-11.csv"),
    ("unhcr-italy-daily", "unhcr-mediterranean-arrivals/unhcr_daily_sea_arrivals_italy_2015-10_2026-03.csv"),
    ("unhcr-italy-daily", "unhcr-mediterranean-arrivals/unhcr_daily_arrivals_italy.csv"),
    (
        "iom-med-monthly",
        "iom-mediterranean-crossings-monthly/iom_med_atlantic_crossings_interceptions_deaths_monthly_2014_2025.csv",
    ),
    ("gshhg", "gshhg-shorelines-borders/gshhg_full_shorelines_25W-40E_20N-48N.gpkg"),
    ("gshhg", "gshhg-shorelines-borders/gshhg_high_shorelines_25W-40E_20N-48N.geojson"),
    ("gshhg", "gshhg-shorelines-borders/gshhg_full_shorelines_116W-106W_29N-35N.geojson"),
    ("gshhg", "gshhg-shorelines-borders/gshhg_wdbii_high_national_borders_25W-40E_20N-48N.geojson"),
    ("gshhg", "gshhg-shorelines-borders/gshhg_wdbii_full_national_borders_116W-106W_29N-35N.geojson"),
    ("imo-srr", "imo-sar-regions-central-med/srr_sea_areas_clipped_by_thesis_author.geojson"),
]
# files of the same folders that the same readers also read when given explicitly
EXTRA_FILES = [
    ("unhcr-italy-daily", "unhcr-mediterranean-arrivals/unhcr_daily_arrivals_greece.csv"),
]

IOM_JSON = "iom-missing-migrants/hdx_api_json"


def _raw_rows(path: Path) -> int:
    """Records in a raw file, counted without borderscape."""
    if path.is_dir():
        return sum(len(json.loads(p.read_text(encoding="utf-8"))) for p in sorted(path.glob("*.json")))
    if path.suffix == ".csv":
        return len(pd.read_csv(path, dtype=str, keep_default_na=False))
    return len(pyogrio.read_dataframe(path, read_geometry=False))


@pytest.fixture(scope="module")
def iom_json_layer(data_dir):
    return ingest("iom-mmp", data_dir / IOM_JSON)


@pytest.fixture(scope="module")
def iom_json_raw(data_dir) -> pd.DataFrame:
    records = []
    for p in sorted((data_dir / IOM_JSON).glob("*.json")):
        records += json.loads(p.read_text(encoding="utf-8"))
    return pd.DataFrame(records).fillna("")


# --------------------------------------------------------------------------- every file


def test_every_covered_mirror_file_is_tested(data_dir):
    """The parametrised list below holds exactly the mirror files the catalog patterns match."""
    covered = set()
    for sid in MED_SOURCES:
        for pat in CATALOG[sid].patterns:
            for p in data_dir.rglob("*"):
                if p.is_file() and fnmatch.fnmatch(p.name.lower(), pat.glob.lower()):
                    covered.add(str(p.parent.relative_to(data_dir)) if pat.parts else str(p.relative_to(data_dir)))
    assert covered == {rel for _, rel in MIRROR_FILES}


@pytest.mark.parametrize(
    "source_id, rel", MIRROR_FILES + EXTRA_FILES, ids=[r.split("/")[-1] for _, r in MIRROR_FILES + EXTRA_FILES]
)
def test_ingest_conserves_rows(data_dir, source_id, rel):
    path = data_dir / rel
    layer = ingest(source_id, path)
    r = layer.report
    assert r.rows_read == _raw_rows(path) == len(layer.frame)
    assert r.kept + r.repaired + r.quarantined == r.rows_read
    assert list(layer.frame["row"]) == list(range(r.rows_read))
    assert (layer.frame["status"] == "quarantined").sum() == r.quarantined
    if isinstance(layer.frame, gpd.GeoDataFrame):
        assert layer.frame.crs.to_epsg() == 4326
    assert r.files and r.files[0]["sha256"]


def test_mirror_search_finds_the_yearly_json_parts(data_dir):
    layer = ingest("iom-mmp", data_dir=data_dir)
    assert len(layer.report.files) == 12
    assert layer.frame["source_file"].iloc[0] == "2014.json"


# --------------------------------------------------------------------------- IOM JSON counts


def test_iom_json_counts_match_independent_computation(iom_json_layer, iom_json_raw):
    raw, frame, report = iom_json_raw, iom_json_layer.frame, iom_json_layer.report
    assert report.rows_read == len(raw) == 17_846

    # exact duplicates: all fields equal to an earlier row
    dup = raw.duplicated(keep="first").to_numpy()
    assert dup.sum() == 73
    assert sum(v for k, v in report.reasons.items() if k.startswith("row is a duplicate of row")) == 73
    first = raw.drop_duplicates(keep="first").reset_index().set_index(list(raw.columns))["index"]
    for i in np.flatnonzero(dup)[:5]:
        n = first.loc[tuple(raw.iloc[i])]
        assert f"row is a duplicate of row {int(np.atleast_1d(n)[0])}" in frame["reason"].iloc[i]

    empty_date = (raw["reported_date"].str.strip() == "").to_numpy()
    assert empty_date.sum() == 15 == report.reasons["date is missing"]
    no_coords = (raw["location_coodinates"].str.strip() == "").to_numpy()
    assert no_coords.sum() == 1 == report.reasons["coordinates are missing"]

    def negative(col):
        return pd.to_numeric(raw[col].str.replace(",", ""), errors="coerce").lt(0).to_numpy()

    neg = np.zeros(len(raw), bool)
    for col in (
        "number_dead",
        "number_missing",
        "total_dead_and_missing",
        "number_of_survivors",
        "number_of_female",
        "number_of_male",
        "number_of_children",
    ):
        neg |= negative(col)
    expected_quarantine = dup | empty_date | no_coords | neg
    assert (frame["status"] == "quarantined").to_numpy().tolist() == expected_quarantine.tolist()
    assert report.quarantined == expected_quarantine.sum()

    # whole-degree coordinates: both parts written without decimals
    whole = raw["location_coodinates"].str.fullmatch(r"\s*-?\d+\s*,\s*-?\d+\s*").to_numpy()
    assert whole.sum() == 1_026
    assert ((frame["location_precision"] == COARSE).to_numpy() == whole).all()
    assert (frame.loc[whole, "status"] != "quarantined").sum() > 1_000  # coarse rows are kept

    # IOM's total: 70,215 over the numeric cells, plus the one cell written "1,022"
    totals = pd.to_numeric(raw["total_dead_and_missing"].str.replace(",", ""), errors="coerce")
    assert totals.sum() == 71_237 == frame["dead_and_missing"].sum()
    assert report.repairs == {"dead_and_missing had its thousands separator removed": 1}
    # a negative count quarantines its row and is not kept
    assert frame.loc[negative("number_missing"), "missing"].isna().all()
    assert report.reasons["missing is negative"] == negative("number_missing").sum() == 20


def test_iom_json_ids_repeat_but_differing_rows_are_kept(iom_json_layer, iom_json_raw):
    raw, frame = iom_json_raw, iom_json_layer.frame
    repeated = raw["web_id"].duplicated(keep=False) & ~raw.duplicated(keep=False)
    assert repeated.sum() > 300
    reasons = frame.loc[repeated.to_numpy(), "reason"]
    assert not reasons.str.contains("duplicate").any()


def test_iom_json_values(iom_json_layer, iom_json_raw):
    frame = iom_json_layer.frame
    raw = iom_json_raw
    i = int(np.flatnonzero((raw["location_coodinates"] != "") & (raw["reported_date"] != ""))[0])
    lat, lon = (float(v) for v in raw["location_coodinates"].iloc[i].split(","))
    assert frame.geometry.iloc[i].y == pytest.approx(lat) and frame.geometry.iloc[i].x == pytest.approx(lon)
    assert frame["date"].iloc[i] == pd.Timestamp(raw["reported_date"].iloc[i])
    assert frame["date_kind"].iloc[i] == "reported"
    assert frame["record_id"].iloc[i] == raw["web_id"].iloc[i]
    with_route = np.flatnonzero(raw["migration_route"] != "")
    assert (frame["route"].iloc[with_route] == raw["migration_route"].iloc[with_route].to_numpy()).all()
    assert frame["route"].isna().sum() == (raw["migration_route"] == "").sum()
    assert (frame["source_id"] == "iom-mmp").all()
    med = raw["region"] == "Mediterranean"
    assert (frame["region"] == "Mediterranean").sum() == med.sum() == 2_885


def test_iom_export_csv(data_dir):
    path = data_dir / "iom-missing-migrants/MissingMigrants-Global-2026-05-06.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = ingest("iom-mmp", path).frame
    assert frame["date"].iloc[0] == pd.Timestamp("2026-01-01")
    assert frame["date_kind"].iloc[0] == "incident"
    assert frame["date"].min() == pd.Timestamp("2026-01-01") and frame["date"].max() == pd.Timestamp("2026-05-03")
    lat, lon = (float(v) for v in raw["Coordinates"].iloc[0].split(","))
    assert (frame.geometry.iloc[0].y, frame.geometry.iloc[0].x) == pytest.approx((lat, lon))
    dead = pd.to_numeric(raw["Number Dead"], errors="coerce")
    assert frame["dead"].sum() == dead[dead >= 0].sum()
    neg = (pd.to_numeric(raw["Minimum Estimated Number of Missing"], errors="coerce") < 0) | (
        pd.to_numeric(raw["Number of Survivors"], errors="coerce") < 0
    )
    assert (frame["status"] == "quarantined").sum() == neg.sum()
    assert frame["route"].iloc[0] == raw["Migration route"].iloc[0]


def test_iom_europe_csv(data_dir):
    path = data_dir / "iom-missing-migrants/iom_europe_routes_2014_2026-05.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    layer = ingest("iom-mmp-europe", path)
    frame = layer.frame
    assert layer.report.rows_read == 6_802
    assert frame["dead"].isna().sum() == (raw["No. dead"] == "NA").sum() == 638
    assert (frame["route"] == "Central Mediterranean").sum() == (raw["Route"] == "Central Mediterranean").sum() == 1_624
    assert frame.geometry.y.iloc[0] == pytest.approx(float(raw["Latitude"].iloc[0]))
    assert frame["date"].min() == pd.Timestamp("2014-01-19") and frame["date"].max() == pd.Timestamp("2026-05-03")
    negative = np.zeros(len(raw), bool)
    for col in ("No. dead", "No. missing", "No. dead/missing", "No. survivors", "No. Female", "No. Male", "No. minors"):
        negative |= pd.to_numeric(raw[col], errors="coerce").lt(0).to_numpy()
    assert layer.report.quarantined == negative.sum()


# --------------------------------------------------------------------------- generated IOM files


def _iom_record(**over):
    rec = {
        "web_id": "2019.MMP0001",
        "region": "Mediterranean",
        "reported_date": "2019-05-01",
        "number_dead": "3",
        "number_missing": "",
        "total_dead_and_missing": "3",
        "number_of_survivors": "",
        "number_of_female": "",
        "number_of_male": "",
        "number_of_children": "",
        "cause_death": "Drowning",
        "country_of_incident": "Libya",
        "location_description": "off Zuwara",
        "unsd_geographic_grouping": "Northern Africa",
        "location_coodinates": "32.93, 12.08",
        "migration_route": "Central Mediterranean",
        "information_source": "IOM Libya",
        "url": "https://example.org/x",
        "source_quality": "4",
    }
    rec.update(over)
    return rec


def test_generated_iom_json_pairs_duplicates_and_script_tags(tmp_path):
    script = "<script>alert('x')</script> & \"quoted\" text"
    records = [
        _iom_record(),  # 0 kept
        _iom_record(),  # 1 exact duplicate of 0
        _iom_record(number_dead="5", total_dead_and_missing="5"),  # 2 same id, other counts: kept
        _iom_record(web_id="2019.MMP0002", location_coodinates="32, 12"),  # 3 whole degrees: coarse
        _iom_record(web_id="2019.MMP0003", location_coodinates=""),  # 4 no coordinates
        _iom_record(web_id="2019.MMP0004", location_coodinates="north of Zuwara"),  # 5 unreadable
        _iom_record(web_id="2019.MMP0005", reported_date=""),  # 6 no date
        _iom_record(web_id="2019.MMP0006", location_description=script),  # 7 script kept as data
        _iom_record(web_id="2019.MMP0007", location_coodinates="-5.5, 200"),  # 8 out of range
    ]
    path = tmp_path / "2019.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    layer = ingest("iom-mmp", path)
    f = layer.frame
    assert list(f["status"]) == [
        "kept",
        "quarantined",
        "kept",
        "kept",
        "quarantined",
        "quarantined",
        "quarantined",
        "kept",
        "quarantined",
    ]
    assert f["reason"].iloc[1] == "quarantined: row is a duplicate of row 0"
    assert (f.geometry.iloc[0].y, f.geometry.iloc[0].x) == (32.93, 12.08)
    assert f["dead"].tolist()[:3] == [3, 3, 5]
    assert f["location_precision"].iloc[3] == COARSE and f["coord_decimals"].iloc[3] == 0
    assert f["location_precision"].iloc[0] == "reported coordinates" and f["coord_decimals"].iloc[0] == 2
    assert f["reason"].iloc[4] == "quarantined: coordinates are missing"
    assert f["reason"].iloc[5] == "quarantined: coordinates are unreadable"
    assert f["reason"].iloc[6] == "quarantined: date is missing"
    assert f["location_description"].iloc[7] == script
    assert "out of range" in f["reason"].iloc[8]
    assert f.geometry.iloc[[4, 5, 8]].isna().all()
    out = write_layer(layer, tmp_path / "iom.parquet")
    back = gpd.read_parquet(out)
    assert back["location_description"].iloc[7] == script
    assert len(back) == len(records)


def test_generated_iom_csv_swapped_coordinates_are_detected(tmp_path):
    header = (
        "Main ID,Incident ID,Region,Incident Date,Year,Reported Month,Number Dead,"
        "Minimum Estimated Number of Missing,Number of Survivors,Number of Females,Number of Males,"
        "Number of Children,Region of Origin,Cause of Death,Country of Origin,Location of death,"
        "Information Source,Coordinates,Migration route,URL,UNSD Geographical Grouping,Source Quality"
    )
    rows = [
        '2026.MMP1,2026.MMP1,North America,"Thu, 01/01/2026 - 12:00",2026,January,1,0,,,1,,x,Mixed,Mexico,'
        'desert,CBP,"31.8, -111.2",US-Mexico border crossing,,x,3',
        '2026.MMP2,2026.MMP2,North America,"Fri, 01/02/2026 - 12:00",2026,January,2,0,,,1,,x,Mixed,Mexico,'
        'desert,CBP,"-111.2, 31.8",US-Mexico border crossing,,x,3',
    ]
    path = tmp_path / "MissingMigrants-Global-2026-01-03.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    f = ingest("iom-mmp", path).frame
    assert list(f["status"]) == ["kept", "repaired"]
    assert f["reason"].iloc[1] == "repaired: coordinates had latitude and longitude swapped"
    assert (f.geometry.iloc[1].y, f.geometry.iloc[1].x) == (31.8, -111.2)
    assert f["date"].iloc[1] == pd.Timestamp("2026-01-02")


def test_generated_europe_csv_swaps_and_flips_against_the_region(tmp_path):
    cols = [
        "Main ID",
        "Incident date",
        "No. dead",
        "No. missing",
        "Route",
        "Latitude",
        "Longitude",
        "incident_date_clean",
        "incident_date_precision",
    ]
    rows = [
        ["a", "2020-01-01", "1", "0", "Atlantic", "28.1", "-15.4", "2020-01-01", "day"],  # Canaries
        ["b", "2020-01-02", "1", "0", "Atlantic", "-15.4", "28.1", "2020-01-02", "day"],  # swapped
        ["c", "2020-01-03", "1", "NA", "Central", "-35.5", "12.6", "2020-01-03", "day"],  # lat sign
        ["d", "2020-01-04", "-1", "0", "Central", "35.5", "12.6", "2020-01-04", "day"],  # negative
        ["e", "2020-01", "1", "0", "Central", "80", "100", "2020-01", "month"],  # far away
    ]
    path = tmp_path / "iom_europe_test.csv"
    pd.DataFrame(rows, columns=cols).to_csv(path, index=False)
    f = ingest("iom-mmp-europe", path).frame
    assert list(f["status"]) == ["kept", "repaired", "repaired", "quarantined", "quarantined"]
    assert f["reason"].iloc[1] == "repaired: coordinates had latitude and longitude swapped"
    assert f["reason"].iloc[2] == "repaired: coordinates had the latitude sign flipped"
    assert (f.geometry.iloc[1].y, f.geometry.iloc[1].x) == (28.1, -15.4)
    assert f["reason"].iloc[3] == "quarantined: dead is negative" and pd.isna(f["dead"].iloc[3])
    assert "outside the expected region" in f["reason"].iloc[4]
    assert f["location_precision"].iloc[4] == "no coordinates"
    assert f["date_precision"].iloc[4] == "month" and f["date"].iloc[4] == pd.Timestamp("2020-01-01")
    assert pd.isna(f["missing"].iloc[2])


@pytest.mark.parametrize("text", ["{not json", '{"a": 1, "b": 2}', "42", "[]"])
def test_generated_iom_json_that_is_not_records_is_a_typed_error(tmp_path, text):
    path = tmp_path / "2019.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IngestError):
        ingest("iom-mmp", path)


def test_iom_csv_without_iom_columns_is_a_typed_error(tmp_path):
    path = tmp_path / "MissingMigrants-Global-2026-01-01.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(IngestError, match="coordinate columns"):
        ingest("iom-mmp", path)


# --------------------------------------------------------------------------- Frontex


def test_frontex_incidents(data_dir):
    path = data_dir / "frontex-central-med-boat-incidents/frontex_pad194_themis_triton_boat_incidents_2014_2023.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    layer = ingest("frontex-incidents", path)
    f = layer.frame
    has = (raw["det_lat"] != "") & (raw["det_lon"] != "")
    assert has.sum() == 2_898 == f.geometry.notna().sum()
    assert layer.report.quarantined == 0  # no coordinates is a normal state here
    assert (f.loc[~has.to_numpy(), "location_precision"] == "no coordinates").all()
    assert (
        f.loc[(raw["match_quality"] == "avg_match").to_numpy(), "location_precision"]
        == "detection position (avg_match)"
    ).all()
    assert f["dead"].sum() == pd.to_numeric(raw["num_deaths"], errors="coerce").sum() == 1_518
    i = int(np.flatnonzero(has)[0])
    assert f.geometry.iloc[i].x == pytest.approx(float(raw["det_lon"].iloc[i]))
    assert f["int_lat"].iloc[i] == pytest.approx(float(raw["int_lat"].iloc[i]))
    assert f["detected_by"].iloc[i] == raw["detected_by"].iloc[i]
    assert f["date"].min() == pd.Timestamp("2014-01-01") and f["date"].max() == pd.Timestamp("2023-06-11")
    assert str(f["sar_ops"].dtype) == "boolean"
    assert f["sar_ops"].sum() == (raw["sar_ops"] == "True").sum()
    assert f["interceptor_type"].isna().sum() == (raw["interceptor_type"].isin(["NA", ""])).sum()


def test_generated_frontex_incidents_positions(tmp_path):
    path = tmp_path / "frontex_incidents_test.csv"
    path.write_text(
        "incident_id,date,num_deaths,sar_ops,detected_by,det_lat,det_lon,int_lat,int_lon,match_quality\n"
        "1,2016-05-01,2,True,FWA,34.5,12.5,34.6,12.4,1-1_match\n"
        "2,2016-05-02,0,False,CPV,,,,,\n"
        "3,2016-05-03,NA,True,CPV,12.5,34.5,34.6,12.4,avg_match\n"
        "4,2016-05-04,1,maybe,CPV,34.5,,,,1-1_match\n"
        "5,2016-05-05,-1,True,CPV,34.5,12.5,,,1-1_match\n",
        encoding="utf-8",
    )
    f = ingest("frontex-incidents", path).frame
    assert list(f["status"]) == ["kept", "kept", "repaired", "quarantined", "quarantined"]
    assert f["location_precision"].tolist()[:3] == [
        "detection position (1-1_match)",
        "no coordinates",
        "detection position (avg_match)",
    ]
    assert f.geometry.iloc[1] is None and pd.isna(f["dead"].iloc[2])
    # 12.5 N 34.5 E lies south of the Mediterranean/Atlantic box (20-48 N); swapped, it is inside
    assert f["reason"].iloc[2] == "repaired: detection coordinates had latitude and longitude swapped"
    assert (f.geometry.iloc[2].x, f.geometry.iloc[2].y) == (12.5, 34.5)
    assert (f["det_lat"].iloc[2], f["det_lon"].iloc[2]) == (34.5, 12.5)
    assert "detection coordinates are incomplete" in f["reason"].iloc[3]
    assert "sar_ops is not true/false" in f["reason"].iloc[3]
    assert f["reason"].iloc[4] == "quarantined: dead is negative"
    assert pd.isna(f["dead"].iloc[4]) and pd.isna(f["num_deaths"].iloc[4])
    assert (f.geometry.iloc[0].x, f.geometry.iloc[0].y) == (12.5, 34.5)
    assert f["int_lat"].iloc[0] == 34.6 and f["detected_by"].iloc[0] == "FWA"


def test_frontex_detections(data_dir):
    path = (
        data_dir
        / "frontex-illegal-border-crossings-monthly/frontex_detections_by_route_nationality_month_2009-01_2025-04.csv"
    )
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    f = ingest("frontex-detections", path).frame
    assert len(f) == 34_273
    assert f["detections"].sum() == raw["detections"].astype(int).sum()
    assert f["date"].iloc[0] == pd.Timestamp(raw["month"].iloc[0] + "-01")
    assert (f["date_precision"] == "month").all()
    assert list(f.columns[:7]) == ["date", "date_precision", "month", "route", "type", "nationality_iso3", "detections"]


def test_generated_table_with_negative_and_na_counts(tmp_path):
    path = tmp_path / "frontex_detections_test.csv"
    path.write_text(
        "month,route,type,nationality_iso3,detections\n"
        "2020-01,Central Mediterranean Route,Sea,TUN,5\n"
        "2020-02,Central Mediterranean Route,Sea,TUN,NA\n"
        "2020-03,Central Mediterranean Route,Sea,TUN,-4\n"
        "2020-13,Central Mediterranean Route,Sea,TUN,3\n"
        "2020-05,Central Mediterranean Route,Sea,TUN,many\n",
        encoding="utf-8",
    )
    layer = ingest("frontex-detections", path)
    f = layer.frame
    assert list(f["status"]) == ["kept", "kept", "quarantined", "quarantined", "quarantined"]
    assert pd.isna(f["detections"].iloc[1])
    assert f["reason"].iloc[2] == "quarantined: detections is negative" and pd.isna(f["detections"].iloc[2])
    assert f["reason"].iloc[3] == "quarantined: date is not a date"
    assert f["reason"].iloc[4] == "quarantined: detections is not a number"


# --------------------------------------------------------------------------- UNHCR and IOM tables


def test_unhcr_monthly_arrivals(data_dir):
    path = data_dir / "unhcr-mediterranean-arrivals/unhcr_monthly_arrivals_by_country_2014-01_2019-11.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    f = ingest("unhcr-arrivals", path).frame
    assert f["date"].iloc[0] == pd.Timestamp("2014-01-01") and f["date"].iloc[-1] == pd.Timestamp("2019-11-01")
    assert "month_year" in f and f["month_year"].iloc[0] == "Jan-2014"
    for col in ("spain_land", "cyprus_all", "malta_all"):
        assert f[col].isna().sum() == (raw[col] == "NA").sum() > 0
    assert f["italy_all"].sum() == raw["italy_all"].astype(int).sum()


def test_unhcr_daily_layouts_share_columns(data_dir):
    new = ingest(
        "unhcr-italy-daily",
        data_dir / "unhcr-mediterranean-arrivals/unhcr_daily_sea_arrivals_italy_2015-10_2026-03.csv",
    ).frame
    old = ingest("unhcr-italy-daily", data_dir / "unhcr-mediterranean-arrivals/unhcr_daily_arrivals_italy.csv").frame
    assert {"date", "individuals"} <= set(new.columns) & set(old.columns)
    # the two series agree on the days both hold
    both = new.set_index("date")["individuals"].align(old.set_index("date")["individuals"], join="inner")
    assert len(both[0]) > 1000 and (both[0] == both[1]).mean() > 0.95
    raw = pd.read_csv(data_dir / "unhcr-mediterranean-arrivals/unhcr_daily_sea_arrivals_italy_2015-10_2026-03.csv")
    assert new["individuals"].sum() == raw["individuals"].sum()


def test_iom_med_monthly_quirks(data_dir):
    path = (
        data_dir
        / "iom-mediterranean-crossings-monthly/iom_med_atlantic_crossings_interceptions_deaths_monthly_2014_2025.csv"
    )
    raw = pd.read_csv(path)
    layer = ingest("iom-med-monthly", path)
    f = layer.frame
    numeric = raw.select_dtypes("number")
    negative = (numeric < 0).any(axis=1)
    placeholder = raw["date"].isin(["2025-11-01", "2025-12-01"])
    assert negative.sum() == 2
    assert (f["status"] == "quarantined").to_numpy().tolist() == (negative | placeholder).tolist()
    no_route_deaths = raw[["emr", "cmr", "wmr", "waar_1"]].isna().all(axis=1) & ~placeholder
    assert no_route_deaths.sum() == 10
    assert f.loc[no_route_deaths.to_numpy(), "total_deaths_on_maritime_routes_to_europe"].isna().all()
    assert (raw.loc[no_route_deaths, "total_deaths_on_maritime_routes_to_europe"] == 0).all()
    assert (f.loc[no_route_deaths.to_numpy(), "status"] == "repaired").all()
    assert f["cmr"].sum() == raw["cmr"].sum()
    assert f["date"].iloc[0] == pd.Timestamp("2014-01-01")


# --------------------------------------------------------------------------- vector layers


def test_srr_italian_polygon_made_valid(data_dir):
    path = data_dir / "imo-sar-regions-central-med/imo_gisis_srr_ita_lby_mlt_tun.geojson"
    raw = gpd.read_file(path)
    assert not shapely.is_valid(raw.geometry.iloc[0])  # as filed: self-intersecting
    f = ingest("imo-srr", path).frame
    assert list(f["country_iso3"]) == ["ITA", "LBY", "MLT", "TUN"]
    assert f.geometry.is_valid.all()
    assert list(f["status"]) == ["repaired", "kept", "kept", "kept"]
    assert f["reason"].iloc[0].startswith("repaired: geometry was made valid (Self-intersection")
    assert f.geometry.iloc[0].geom_type in ("Polygon", "MultiPolygon")
    # the repair keeps the area the ring encloses (GEOS make_valid, structure method)
    assert f.geometry.iloc[0].area == pytest.approx(shapely.make_valid(raw.geometry.iloc[0], method="structure").area)
    assert f.geometry.iloc[1].equals(raw.geometry.iloc[1])


def test_operational_areas_are_sensor_areas_with_periods(data_dir):
    path = data_dir / "imo-sar-regions-central-med/frontex_operational_areas_APPROXIMATE_triton_themis.geojson"
    f = ingest("frontex-opareas", path).frame
    assert (f["kind"] == "area").all()
    assert f["active_from"].tolist() == [
        pd.Timestamp("2014-11-01"),
        pd.Timestamp("2015-05-01"),
        pd.Timestamp("2018-02-01"),
    ]
    assert f["active_to"].iloc[0] == pd.Timestamp("2015-05-31") and pd.isna(f["active_to"].iloc[2])
    assert (f["location_precision"] == "approximate (reconstructed area)").all()
    assert f["distance_nm"].tolist() == [30.0, 138.0, 24.0]


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_vector_without_crs_is_a_typed_error(tmp_path):
    path = tmp_path / "gshhg_full_shorelines_nocrs.gpkg"
    gpd.GeoDataFrame({"kind": ["shoreline"]}, geometry=[shapely.LineString([(0, 0), (1, 1)])]).to_file(path)
    with pytest.raises(CRSError):
        ingest("gshhg", path)


@pytest.mark.parametrize(
    "text, start, end",
    [
        ("Triton (Nov 2014 – May 2015)", "2014-11-01", "2015-05-31"),
        ("Themis (Feb 2018 – present)", "2018-02-01", None),
        ("Operation Sophia (June 2015 - March 2020)", "2015-06-01", "2020-03-31"),
        ("no period here", None, None),
    ],
)
def test_operation_period(text, start, end):
    got = operation_period(text)
    assert got == (pd.Timestamp(start) if start else None, pd.Timestamp(end) if end else None)


def test_gshhg_gpkg_points_and_attributes(data_dir):
    path = data_dir / "gshhg-shorelines-borders/gshhg_full_shorelines_25W-40E_20N-48N.gpkg"
    f = ingest("gshhg", path).frame
    assert len(f) == 8_061
    assert int(shapely.get_num_coordinates(f.geometry.values).sum()) == 578_106
    assert set(f["kind"]) == {"shoreline"} and set(f["level"]) <= {1, 2, 3}
    assert (f.geom_type == "LineString").all()


def test_polygon_with_swapped_axes_is_repaired(tmp_path):
    # a Maltese-like box written lat/lon instead of lon/lat
    good = shapely.box(12.0, 34.0, 15.0, 36.5)
    swapped = shapely.box(34.0, 12.0, 36.5, 15.0)
    far = shapely.box(100.0, -60.0, 101.0, -59.0)
    path = tmp_path / "imo_gisis_srr_test.geojson"
    gpd.GeoDataFrame({"rcc": ["a", "b", "c"]}, geometry=[good, swapped, far], crs="EPSG:4326").to_file(
        path, driver="GeoJSON"
    )
    f = ingest("imo-srr", path).frame
    assert list(f["status"]) == ["kept", "repaired", "quarantined"]
    assert f.geometry.iloc[1].equals(good)
    assert f["reason"].iloc[1] == "repaired: coordinates had latitude and longitude swapped"
    assert f["reason"].iloc[2] == "quarantined: coordinates are outside the expected region"


# --------------------------------------------------------------------------- hostile inputs


@pytest.mark.parametrize(
    "source_id, name, content",
    [
        ("iom-mmp", "2019.json", b""),
        ("frontex-detections", "frontex_detections_bin.csv", b"\x00\x01\x02\x03binary"),
        ("frontex-detections", "frontex_detections_head.csv", b"month,route,type,nationality_iso3,detections\n"),
        ("unhcr-arrivals", "unhcr_arrivals_wrong.csv", b"a;b\n1;2\n"),
        ("imo-srr", "imo_gisis_srr_empty.geojson", b'{"type": "FeatureCollection", "features": []}'),
    ],
)
def test_hostile_files_give_typed_errors(tmp_path, source_id, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError):
        ingest(source_id, path)


def test_latin1_table_and_odd_json_records(tmp_path):
    path = tmp_path / "frontex_detections_latin.csv"
    path.write_bytes(
        "month,route,type,nationality_iso3,detections\n2020-01,Caf\xe9 Route,Sea,TUN,5\n".encode("latin-1")
    )
    layer = ingest("frontex-detections", path)
    assert layer.frame["route"].iloc[0] == "Caf\xe9 Route"
    assert any("Latin-1" in n for n in layer.report.notes)
    path = tmp_path / "2018.json"
    path.write_text(json.dumps([_iom_record(location_coodinates=[32.1, 12.2], number_dead=2), 5]), encoding="utf-8")
    f = ingest("iom-mmp", path).frame
    assert (f.geometry.iloc[0].y, f.geometry.iloc[0].x) == (32.1, 12.2) and f["dead"].iloc[0] == 2
    assert f["status"].iloc[1] == "quarantined" and "row is not a JSON object" in f["reason"].iloc[1]
