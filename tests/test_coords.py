"""Coordinate parsing and region checks, against hand-computed values."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderscape.layers.coords import CANDIDATES, check_region, decimals, parse_column, parse_coordinate, parse_pair

ARIZONA = (-115.5, 30.0, -108.5, 35.0)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("32.175119", 32.175119),
        ("-110.928097", -110.928097),
        ("32,5", 32.5),
        ("32°10'30.4\"N", 32 + 10 / 60 + 30.4 / 3600),
        ("32 10 30.4 N", 32 + 10 / 60 + 30.4 / 3600),
        ("110d55m41sW", -(110 + 55 / 60 + 41 / 3600)),
        ("W 110 55.7", -(110 + 55.7 / 60)),
        ("-110:55:41", -(110 + 55 / 60 + 41 / 3600)),
        ("32 10 30 S", -(32 + 10 / 60 + 30 / 3600)),
        (12, 12.0),
    ],
)
def test_parse_coordinate(text, expected):
    assert parse_coordinate(text) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("text", ["", "abc", "N 32 W 110", "32 70 10", "<script>alert(1)</script>", None, float("nan")])
def test_parse_coordinate_rejects(text):
    with pytest.raises(ValueError):
        parse_coordinate(text)


def test_parse_pair_forms():
    assert parse_pair("32.4, -112.9") == (32.4, -112.9)
    assert parse_pair("37.34265178, 42.99259985") == (37.34265178, 42.99259985)
    # WKT is lon-first
    assert parse_pair("POINT (-110.5 31.2)") == (31.2, -110.5)
    assert parse_pair("32;12") == (32.0, 12.0)
    with pytest.raises(ValueError):
        parse_pair("somewhere in the desert")


def test_parse_column_keeps_order_and_reasons():
    values, errors = parse_column(pd.Series(["31.5", "bad", None, "31 30 0 N"]))
    assert values[0] == 31.5 and math.isnan(values[1]) and math.isnan(values[2]) and values[3] == 31.5
    assert errors[0] is None and "not a coordinate" in errors[1] and errors[2] == "missing coordinate"


def test_decimals():
    assert decimals(pd.Series(["32", "32.1", "32.12345", None, "1,25"])).tolist() == [0, 1, 5, -1, 2]


def test_check_region_repairs_swaps_and_flips():
    lat = np.array([32.1, -111.0, 32.0, -32.0, 95.0, np.nan, 0.0, 10.0])
    lon = np.array([-111.0, 32.1, 111.0, -111.0, 10.0, 1.0, 0.0, 10.0])
    r = check_region(lat, lon, ARIZONA)
    assert r.repair.tolist() == [
        None,
        "latitude and longitude swapped",
        "longitude sign flipped",
        "latitude sign flipped",
        None,
        None,
        None,
        None,
    ]
    assert r.problem.tolist() == [
        None,
        None,
        None,
        None,
        "coordinates out of range",
        "missing coordinates",
        "coordinates are (0, 0)",
        "outside the expected region",
    ]
    np.testing.assert_allclose(r.lat[:4], [32.1, 32.1, 32.0, 32.0])
    np.testing.assert_allclose(r.lon[:4], [-111.0, -111.0, -111.0, -111.0])
    # the input arrays are not modified in place
    assert lat[1] == -111.0 and lon[2] == 111.0


def test_candidates_are_tried_in_order():
    # the repairs check_region tries (also used for lines and polygons, borderscape.layers.parse)
    assert [what for what, _ in CANDIDATES] == [
        "latitude and longitude swapped",
        "longitude sign flipped",
        "latitude sign flipped",
        "latitude and longitude swapped, longitude sign flipped",
        "latitude and longitude sign flipped",
    ]
    lat, lon = np.array([1.0]), np.array([2.0])
    assert [tuple(float(v[0]) for v in fix(lat, lon)) for _, fix in CANDIDATES] == [
        (2.0, 1.0),
        (1.0, -2.0),
        (-1.0, 2.0),
        (2.0, -1.0),
        (-1.0, -2.0),
    ]


@given(
    st.floats(min_value=0, max_value=179.999),
    st.integers(0, 59),
    st.floats(min_value=0, max_value=59.999),
    st.sampled_from(["N", "S", "E", "W"]),
)
def test_dms_round_trip(deg, minutes, seconds, hemi):
    d = int(deg)
    text = f"{d}°{minutes}'{seconds:.3f}\"{hemi}"
    value = parse_coordinate(text)
    expected = d + minutes / 60 + float(f"{seconds:.3f}") / 3600
    assert value == pytest.approx(-expected if hemi in "SW" else expected, abs=1e-9)
