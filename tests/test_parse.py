"""One ingest dialect (layers/parse.py): each semantic decided once, and every reader using it.

The awkward column ``['1,234', 'NA', '-2', '2.5', '']`` must mean the same thing in the U.S.
readers, the Mediterranean readers and the generic loader.
"""

from __future__ import annotations

import inspect
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from borderscape.geo.raster import Raster
from borderscape.layers import ingest as ingest_module
from borderscape.layers import parse, readers_med, readers_us
from borderscape.layers.ingest import ingest, ingest_file
from borderscape.layers.quality import Ledger
from borderscape.layers.readers_us import read_cbp_encounters, read_env_grid

AWKWARD = ["1,234", "NA", "-2", "2.5", ""]
AZ = (-115.5, 30.0, -108.5, 35.0)


def run(func, values, *args, **kwargs):
    """Parse ``values`` with ``func`` on a fresh ledger; return (result, status, reasons per row, report)."""
    ledger = Ledger(len(values))
    out = func(pd.Series(values, dtype=object), ledger, *args, **kwargs)
    return out, ledger.status.tolist(), ledger.reason.tolist(), ledger.report(source="t", files=[])


def conserved(report) -> None:
    assert report.kept + report.repaired + report.quarantined == report.rows_read


# --------------------------------------------------------------------------- the semantics table


def test_awkward_counts_optional():
    out, status, reason, report = run(parse.counts, AWKWARD, "dead")
    assert str(out.dtype) == "Int64"
    assert out.iloc[0] == 1234
    assert out.iloc[1:].isna().all()  # NA and '' missing; -2 and 2.5 not kept
    assert status == ["repaired", "kept", "quarantined", "quarantined", "kept"]
    assert reason == [
        "repaired: dead had its thousands separator removed",
        "",
        "quarantined: dead is negative",
        "quarantined: dead is not a whole number",
        "",
    ]
    assert report.reasons == {"dead is negative": 1, "dead is not a whole number": 1}
    assert report.repairs == {"dead had its thousands separator removed": 1}
    conserved(report)


def test_awkward_counts_required():
    _, status, reason, report = run(parse.counts, AWKWARD, "dead", required=True)
    assert status == ["repaired", "quarantined", "quarantined", "quarantined", "quarantined"]
    assert reason[1] == reason[4] == "quarantined: dead is missing"
    assert report.reasons == {"dead is missing": 2, "dead is negative": 1, "dead is not a whole number": 1}
    conserved(report)


def test_awkward_measures():
    out, status, reason, _ = run(parse.measures, AWKWARD, "slope_deg")
    assert out.iloc[0] == 1234.0 and out.iloc[2] == -2.0 and out.iloc[3] == 2.5
    assert out.iloc[[1, 4]].isna().all()
    assert status == ["repaired", "kept", "kept", "kept", "kept"]
    out, status, reason, _ = run(parse.measures, AWKWARD, "height_m", negative_ok=False, scale=0.3048)
    assert status == ["repaired", "kept", "quarantined", "kept", "kept"]
    assert reason[2] == "quarantined: height_m is negative" and pd.isna(out.iloc[2])
    assert out.iloc[3] == pytest.approx(2.5 * 0.3048)


@pytest.mark.parametrize(
    "marker",
    [
        "",
        " ",
        "NA",
        "na",
        "N/A",
        "n.a.",
        "#N/A",
        "NaN",
        "nan",
        "null",
        "NULL",
        "None",
        "-",
        "--",
        "\u2014",
        None,
        float("nan"),
    ],
)
def test_missing_markers_mean_missing_in_every_kind_of_field(marker):
    for func, field in ((parse.counts, "dead"), (parse.measures, "height_m"), (parse.booleans, "sar_ops")):
        out, status, reason, _ = run(func, [marker], field)
        assert out.isna().all() and status == ["kept"] and reason == [""], func.__name__
        out, status, reason, _ = run(func, [marker], field, required=True)
        assert status == ["quarantined"] and reason == [f"quarantined: {field} is missing"]
    ledger = Ledger(1)
    dates, precision = parse.dates(pd.Series([marker], dtype=object), ledger, "date")
    assert dates.isna().all() and precision.tolist() == [None] and ledger.status.tolist() == ["kept"]
    assert parse.text(pd.Series([marker], dtype=object)).isna().all()
    ledger = Ledger(1)
    lat, unreadable = parse.coordinates(pd.Series([marker], dtype=object), ledger)
    assert np.isnan(lat).all() and not unreadable.any() and ledger.status.tolist() == ["kept"]


@pytest.mark.parametrize(
    "text, value, reason",
    [
        ("7", 7, ""),
        ("2.0", 2, ""),  # a count exported as a float (Frontex, IOM monthly)
        ("2.00", 2, ""),
        (" 12 ", 12, ""),  # surrounding whitespace is not content
        ("+3", 3, ""),
        ("0", 0, ""),
        ("1,234,567", 1234567, "repaired: n had its thousands separator removed"),
        ("1,5", None, "quarantined: n is not a number"),  # a decimal comma is never guessed in a number
        ("12 345", None, "quarantined: n is not a number"),
        ("abc", None, "quarantined: n is not a number"),
        ("inf", None, "quarantined: n is not finite"),
        ("1e999", None, "quarantined: n is not finite"),
        ("1e300", None, "quarantined: n is too large"),
        ("-2.5", None, "quarantined: n is negative"),  # one reason per cell: the first rule broken
        ("2.5", None, "quarantined: n is not a whole number"),
    ],
)
def test_count_cells(text, value, reason):
    out, _, got, _ = run(parse.counts, [text], "n")
    assert pd.isna(out.iloc[0]) if value is None else out.iloc[0] == value
    assert got == [reason]


def test_measure_thousands_with_decimals_and_numbers_given_as_numbers():
    out, status, _, _ = run(parse.measures, ["-1,234.5", 3, 2.5, None], "elevation")
    assert out.tolist()[:3] == [-1234.5, 3.0, 2.5] and np.isnan(out.iloc[3])
    assert status == ["repaired", "kept", "kept", "kept"]


def test_dates_and_booleans():
    dates, precision = parse.dates(
        pd.Series(["2020-01-31", "2020-13", "1/2/2020", "2019-07", "NA"]), ledger := Ledger(5), "date", required=True
    )
    assert dates.tolist()[0] == pd.Timestamp("2020-01-31") and dates.tolist()[2] == pd.Timestamp("2020-01-02")
    assert precision.tolist() == ["day", None, "day", "month", None]
    assert ledger.reason.tolist() == ["", "quarantined: date is not a date", "", "", "quarantined: date is missing"]
    out, status, reason, _ = run(parse.booleans, ["True", "no", "1", "maybe", ""], "sar_ops")
    assert out.tolist()[:3] == [True, False, True] and pd.isna(out.iloc[3]) and str(out.dtype) == "boolean"
    assert reason[3] == "quarantined: sar_ops is not true/false" and status[4] == "kept"


def test_text_is_stripped_and_otherwise_verbatim():
    script = "<script>alert('x')</script> & \"q\""
    out = parse.text(pd.Series([" Drowning ", "IOM Rome\xa0", script, "NA", None, "Pima"]))
    assert out.tolist()[:3] == ["Drowning", "IOM Rome", script]
    assert out.iloc[3:5].isna().all() and out.iloc[5] == "Pima" and str(out.dtype) == "string"


@given(
    st.lists(
        st.one_of(
            st.text(max_size=8),
            st.integers(-(10**20), 10**20).map(str),
            st.floats(allow_nan=True, allow_infinity=True).map(repr),
            st.sampled_from(AWKWARD + ["2.0", "1,000", "-1,000", "NaN"]),
        ),
        min_size=1,
        max_size=30,
    )
)
@settings(max_examples=150, deadline=None)
def test_counts_are_missing_or_whole_and_non_negative(cells):
    out, status, reason, report = run(parse.counts, cells, "dead")
    conserved(report)
    values = out.dropna()
    assert (values >= 0).all() and (values <= parse.MAX_COUNT).all()
    for s, r in zip(status, reason):  # a quarantined row says why; a kept row has no reason
        assert (s == "kept") == (r == "") and (s == "quarantined") == r.startswith("quarantined: dead is ")


# --------------------------------------------------------------------------- wording


def test_one_wording_template():
    assert parse.problem("dead", parse.NEGATIVE) == "dead is negative"
    assert parse.problem("coordinates", parse.MISSING) == "coordinates are missing"
    assert parse.problem("detection coordinates", parse.INCOMPLETE) == "detection coordinates are incomplete"
    assert parse.change("dead", parse.THOUSANDS_REMOVED) == "dead had its thousands separator removed"
    assert parse.change("geometry", "was made valid (x)") == "geometry was made valid (x)"
    assert parse.change("coordinates", "was moved") == "coordinates were moved"


QUARANTINE = re.compile(r"^[\w ./'()]+? (is|are) \S")
REPAIR = re.compile(r"^[\w ./'()]+? (had|was|were) \S")


def _all_reasons(layer) -> tuple[set[str], set[str]]:
    return set(layer.report.reasons), set(layer.report.repairs)


def test_every_reason_of_every_reader_follows_the_template(tmp_path):
    """Generated files with one problem of each kind, through U.S., Mediterranean and generic readers."""
    layers = [*_awkward_layers(tmp_path).values()]
    p = tmp_path / "ogis_deaths_t.csv"
    pd.DataFrame(
        {
            "Reporting Date": ["2010-05-01", "nope", "", "2010-05-04"],
            "Latitude": ["32.1", "-111.5", "", "32.175119"],
            "Longitude": ["-111.5", "32.1", "", "-110.928097"],
            "County": ["PIMA", "Pima", "", ""],
            "Age": ["30", "-1", "", "x"],
        }
    ).to_csv(p, index=False)
    layers.append(readers_us.read_pcome(p))
    p = tmp_path / "2019.json"
    p.write_text(
        json.dumps(
            [{"web_id": "1", "reported_date": "2019-01-01", "location_coodinates": "32.9, 12.1", "number_dead": "1"}]
            * 2
            + [5]
        ),
        encoding="utf-8",
    )
    layers.append(ingest("iom-mmp", p))
    p = tmp_path / "imo_gisis_srr_t.geojson"
    gpd.GeoDataFrame(
        {"rcc": list("abcd")},
        geometry=[
            shapely.Polygon([(12, 34), (14, 36), (14, 34), (12, 36)]),  # self-intersecting
            shapely.box(34.0, 12.0, 36.5, 15.0),  # x/y swapped
            shapely.box(100.0, -60.0, 101.0, -59.0),
            None,
        ],
        crs="EPSG:4326",
    ).to_file(p, driver="GeoJSON")
    layers.append(ingest("imo-srr", p))
    p = tmp_path / "t.csv"
    p.write_text(
        'lat,lon,wkt,when\n31.5,-111,"POINT (-111 31.5)",2020-01-01\nx,-111,nope,bad\n,,,\n0,0,,\n', encoding="utf-8"
    )
    layers.append(ingest_file("deaths", p, columns={"lat": "lat", "lon": "lon", "date": "when"}, region=AZ))
    layers.append(ingest_file("context", p, columns={"wkt": "wkt"}))
    quarantines, repairs = set(), set()
    for layer in layers:
        q, r = _all_reasons(layer)
        quarantines |= q
        repairs |= r
        conserved(layer.report)
    assert len(quarantines) >= 15 and len(repairs) >= 4
    for why in quarantines:
        assert QUARANTINE.match(why), why
    for what in repairs:
        assert REPAIR.match(what), what


# --------------------------------------------------------------------------- every reader, one dialect


def _awkward_layers(tmp_path) -> dict[str, object]:
    """The awkward column as ``dead`` (or the reader's count) through every kind of reader."""
    n = len(AWKWARD)
    out = {}
    # generic loader: `borderscape ingest deaths FILE --columns ...`
    p = tmp_path / "generic.csv"
    pd.DataFrame({"lat": ["31.5"] * n, "lon": ["-111.2"] * n, "dead": AWKWARD}).to_csv(p, index=False)
    out["generic"] = ingest_file("deaths", p, columns={"lat": "lat", "lon": "lon", "dead": "dead"}, region=AZ)
    # Mediterranean: IOM Europe-routes CSV (No. dead → dead), Frontex incidents (num_deaths → dead)
    p = tmp_path / "iom_europe_t.csv"
    pd.DataFrame(
        {
            "Main ID": [str(i) for i in range(n)],
            "No. dead": AWKWARD,
            "No. missing": ["0"] * n,
            "Latitude": ["35.5"] * n,
            "Longitude": ["12.6"] * n,
            "incident_date_clean": [f"2020-01-0{i + 1}" for i in range(n)],
        }
    ).to_csv(p, index=False)
    out["iom-europe"] = ingest("iom-mmp-europe", p)
    p = tmp_path / "frontex_pad194_t.csv"
    pd.DataFrame(
        {
            "incident_id": [str(i) for i in range(n)],
            "date": ["2016-05-01"] * n,
            "num_deaths": AWKWARD,
            "det_lat": ["34.5"] * n,
            "det_lon": ["12.5"] * n,
        }
    ).to_csv(p, index=False)
    out["frontex"] = ingest("frontex-incidents", p)
    # tables: Frontex detections (detections), CBP encounters (U.S. reader; encounters)
    p = tmp_path / "frontex_detections_t.csv"
    pd.DataFrame({"month": ["2020-01"] * n, "route": ["x"] * n, "detections": AWKWARD}).to_csv(p, index=False)
    out["frontex-detections"] = ingest("frontex-detections", p)
    p = tmp_path / "cbp_sw_border_encounters_t.csv"
    pd.DataFrame({"month": ["2020-01"] * n, "component": ["x"] * n, "encounters": AWKWARD}).to_csv(p, index=False)
    out["cbp"] = read_cbp_encounters(p)
    # a U.S. grid reader's count column (grid_row)
    p = tmp_path / "danger_index_environmental_layers_t.csv"
    pd.DataFrame(
        {
            "row": AWKWARD,
            "col": ["1"] * n,
            "longitude": ["-111.0"] * n,
            "latitude": ["32.0"] * n,
            "slope_deg": ["1"] * n,
            "july_tmax_c": ["40"] * n,
            "ndvi": ["0.1"] * n,
        }
    ).to_csv(p, index=False)
    out["env-grid"] = read_env_grid(p)
    return out


def test_the_awkward_column_means_the_same_in_every_reader(tmp_path):
    counted = {
        "generic": "dead",
        "iom-europe": "dead",
        "frontex": "dead",
        "frontex-detections": "detections",
        "cbp": "encounters",
        "env-grid": "grid_row",
    }
    layers = _awkward_layers(tmp_path)
    for name, layer in layers.items():
        column = counted[name]
        f, r = layer.frame, layer.report
        assert f["status"].astype(str).tolist() == ["repaired", "kept", "quarantined", "quarantined", "kept"], name
        assert f["reason"].tolist() == [
            f"repaired: {column} had its thousands separator removed",
            "",
            f"quarantined: {column} is negative",
            f"quarantined: {column} is not a whole number",
            "",
        ], name
        values = f[column]
        assert str(values.dtype) == "Int64" and values.iloc[0] == 1234 and values.iloc[1:].isna().all(), name
        assert (r.rows_read, r.kept, r.repaired, r.quarantined) == (5, 2, 1, 2), name
        conserved(r)


# --------------------------------------------------------------------------- coordinates and geometries


def test_locate_records_every_row_once():
    ledger = Ledger(7)
    lat = np.array([32.1, -111.0, np.nan, 32.0, np.nan, 31.0, 0.0])
    lon = np.array([-111.0, 32.1, np.nan, 111.0, -111.0, np.nan, 0.0])
    unreadable = np.array([False, False, False, False, False, True, False])
    g, ok, _, _ = parse.locate(lat, lon, ledger, AZ, unreadable=unreadable)
    assert g.crs.to_epsg() == 4326 and ok.tolist() == [True, True, False, True, False, False, False]
    assert (g.iloc[1].x, g.iloc[1].y) == (-111.0, 32.1) and g.iloc[2] is None
    assert ledger.reason.tolist() == [
        "",
        "repaired: coordinates had latitude and longitude swapped",
        "quarantined: coordinates are missing",
        "repaired: coordinates had the longitude sign flipped",
        "quarantined: coordinates are incomplete",
        "",  # its unreadable text already carries a reason elsewhere
        "quarantined: coordinates are (0, 0)",
    ]
    ledger = Ledger(2)
    parse.locate(
        np.array([np.nan, 50.0]), np.array([np.nan, 50.0]), ledger, AZ, required=False, subject="detection coordinates"
    )
    assert ledger.reason.tolist() == ["", "quarantined: detection coordinates are outside the expected region"]


def test_coordinate_cells():
    ledger = Ledger(4)
    values, unreadable = parse.coordinates(pd.Series(["31,5", "31°30'0\"N", "north", "NA"]), ledger)
    assert (
        values[:2].tolist() == [31.5, 31.5]
        and np.isnan(values[2:]).all()
        and unreadable.tolist() == [False, False, True, False]
    )
    assert ledger.reason.tolist() == ["", "", "quarantined: coordinates are unreadable", ""]
    ledger = Ledger(3)
    lat, lon, bad = parse.coordinate_pairs(pd.Series(["32.4, -112.9", "POINT (-110.5 31.2)", "x"]), ledger)
    assert (lat[0], lon[0], lat[1], lon[1]) == (32.4, -112.9, 31.2, -110.5) and bad.tolist() == [False, False, True]


def test_geometry_checks_treat_lines_and_polygons_like_points():
    g = gpd.GeoSeries(
        [
            shapely.LineString([(-111, 31), (-110, 32)]),  # fine
            shapely.LineString([(111, 31), (110, 32)]),  # longitude sign flipped
            shapely.box(31.0, -112.0, 32.0, -111.0),  # x/y swapped
            shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)]),  # bow-tie: invalid, and far away
            shapely.Polygon([(-111, 31), (-110, 32), (-110, 31), (-111, 32)]),  # bow-tie inside
            None,
            shapely.Point(),  # missing
            shapely.Point(31.5, -111.2),  # swapped point
            shapely.LineString([(500000, 3500000), (500010, 3500010)]),  # projected numbers
        ],
        crs="EPSG:4326",
    )
    ledger = Ledger(len(g))
    out = parse.check_geometries(g, ledger, AZ)
    assert ledger.status.tolist() == [
        "kept",
        "repaired",
        "repaired",
        "quarantined",
        "repaired",
        "quarantined",
        "quarantined",
        "repaired",
        "quarantined",
    ]
    reasons = ledger.reason.tolist()
    assert reasons[1] == "repaired: coordinates had the longitude sign flipped"
    assert reasons[2] == "repaired: coordinates had latitude and longitude swapped"
    assert reasons[3].startswith(
        "quarantined: coordinates are outside the expected region; repaired: geometry was made valid ("
    )
    assert reasons[4].startswith("repaired: geometry was made valid (Self-intersection")
    assert reasons[5] == reasons[6] == "quarantined: geometry is missing"
    assert reasons[8] == "quarantined: coordinates are out of range"
    assert out.iloc[1].equals(shapely.LineString([(-111, 31), (-110, 32)]))
    assert out.iloc[2].equals(shapely.box(-112.0, 31.0, -111.0, 32.0))
    assert shapely.is_valid(out.iloc[4]) and out.iloc[4].area == pytest.approx(0.5)
    assert (out.iloc[7].x, out.iloc[7].y) == (-111.2, 31.5)
    assert out.iloc[[3, 5, 6, 8]].isna().all()


# --------------------------------------------------------------------------- finishing


def test_finish_orders_columns_and_keeps_the_invariant():
    ledger = Ledger(3)
    ledger.quarantine(np.array([False, True, False]), parse.problem("dead", parse.NEGATIVE))
    frame = pd.DataFrame({"own": ["a", "b", "c"], "dead": [1, None, 2]})
    geometry = gpd.GeoSeries([shapely.Point(-111, 31.5), shapely.Point(-111, 31.6), None], crs="EPSG:4326")
    layer = parse.finish("x", "deaths", frame, ledger, geometry=geometry, removed=["Name"], notes=["n"])
    cols = list(layer.frame.columns)
    assert cols[:9] == [
        "date",
        "date_kind",
        "date_precision",
        "dead",
        "missing",
        "cause",
        "location_precision",
        "source_id",
        "record_id",
    ]
    assert cols[9:] == ["own", "geometry", "row", "status", "reason"]
    r = layer.report
    assert (r.rows_read, r.kept, r.repaired, r.quarantined) == (3, 2, 0, 1) and r.removed_columns == ["Name"]
    table = parse.finish("t", "table", frame, Ledger(3))
    assert not isinstance(table.frame, gpd.GeoDataFrame) and list(table.frame.columns) == [
        "own",
        "dead",
        "row",
        "status",
        "reason",
    ]


def test_finish_raster_counts_cells():
    from affine import Affine
    from pyproj import CRS

    raster = Raster(np.arange(12, dtype="float32").reshape(3, 4), Affine(1, 0, 0, 0, -1, 3), CRS.from_epsg(4326), -1.0)
    nodata = np.zeros((3, 4), bool)
    nodata[0, :2] = True
    layer = parse.finish_raster(
        "dem", raster, {"elevation is missing (nodata)": nodata, "elevation is absurd": np.zeros((3, 4), bool)}
    )
    assert (layer.report.rows_read, layer.report.kept, layer.report.quarantined) == (12, 10, 2)
    assert layer.report.reasons == {"elevation is missing (nodata)": 2}


def test_tidy_column_names():
    frame = pd.DataFrame([[1, 2, 3, 4, 5]], columns=["Month-Year", "month_year", "Status", "geometry", "No. dead"])
    assert list(parse.tidy_columns(frame, {"no. dead": "dead"}).columns) == [
        "month_year",
        "month_year_2",
        "source_status",
        "source_geometry",
        "dead",
    ]


# --------------------------------------------------------------------------- one rule, one place


@pytest.mark.parametrize("module", [readers_us, readers_med, ingest_module])
def test_readers_hold_no_parser_geometry_check_or_finishing_of_their_own(module):
    source = inspect.getsource(module)
    forbidden = [
        "pd.to_numeric",
        "to_numeric(",
        "make_valid",
        "is_valid(",
        "parse_dates",
        "parse_column",
        "parse_pair_column",
        "check_region",
        ".annotate(",
        "ledger.report(",
        "QualityReport(",
        "MISSING_TEXTS",
        "def finish",
        "def numbers",
        "def parse_count",
        "def parse_float",
        "def check_geometries",
        "def _check_geometries",
        "def _finish",
        "def _points",
        "def text_column",
    ]
    found = [f for f in forbidden if f in source]
    assert not found, f"{module.__name__} parses or finishes by itself: {found} (use borderscape.layers.parse)"


def test_the_semantics_table_is_documented():
    doc = parse.__doc__
    for phrase in (
        "missing marker",
        "thousands",
        "negative",
        "not a whole number",
        "2.0",
        "required",
        "optional",
        "<subject> <predicate>",
        "kept + repaired + quarantined = rows read",
    ):
        assert phrase in doc, phrase
