"""Aerial surveillance tracks (borderscape.layers.flights): generated tracks with known flight hours.

Every track is generated here from a seed (numpy Generator) with positions on the WGS84
ellipsoid (pyproj.Geod), so the flown time, the time inside each zone and the swath area are
known in closed form; hostile files are built from the same tracks with known faults.
"""

from __future__ import annotations

import datetime
import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from borderscape.geo.errors import CRSError, IngestError, InputError
from borderscape.layers.flights import (
    FLIGHT_FILE_EXAMPLES,
    Flights,
    flight_hours,
    read_flights,
)

GEOD = Geod(ellps="WGS84")
SEA = (11.0, 33.0, 17.0, 37.0)  # west, south, east, north: inside UTM zone 33N (central meridian 15°E)
EPOCH = pd.Timestamp("1970-01-01")


def epoch(ts: str | pd.Timestamp) -> float:
    return (pd.Timestamp(ts) - EPOCH) / pd.Timedelta(seconds=1)


def patrol(
    rng: np.random.Generator,
    aircraft: str,
    start: str,
    hours: float,
    *,
    lon: float,
    lat: float,
    speed_kmh: float = 400.0,
    leg_min: float = 30.0,
    step_s: tuple[float, float] = (5.0, 20.0),
) -> pd.DataFrame:
    """A back-and-forth patrol (east for ``leg_min``, then west …) at a constant geodesic speed.

    Report intervals are drawn from ``step_s``; the last report is exactly ``hours`` after the first.
    """
    total = hours * 3600.0
    t = [0.0]
    while t[-1] < total:
        t.append(min(total, t[-1] + rng.uniform(*step_s)))
    t = np.array(t)
    x, y = [lon], [lat]
    for a, b in zip(t[:-1], t[1:]):
        leg = int(a // (leg_min * 60)) % 2  # the leg of the interval's start (intervals never span a turn much)
        az = 90.0 if leg == 0 else 270.0
        nx, ny, _ = GEOD.fwd(x[-1], y[-1], az, speed_kmh / 3.6 * (b - a))
        x.append(nx)
        y.append(ny)
    rng_alt = rng.uniform(1500, 4000)
    return pd.DataFrame(
        {
            "time": epoch(start) + t,
            "icao24": aircraft,
            "lon": np.round(x, 7),
            "lat": np.round(y, 7),
            "baroaltitude": np.round(rng_alt + rng.normal(0, 20, len(t)), 1),
        }
    )


def straight(
    aircraft: str, start: str, minutes: float, lon0: float, lat0: float, lon1: float, lat1: float, step_s: float
) -> pd.DataFrame:
    """Reports every ``step_s`` along a line of constant lon/lat rate from (lon0, lat0) to (lon1, lat1)."""
    t = np.arange(0.0, minutes * 60 + 1e-9, step_s)
    f = t / (minutes * 60)
    return pd.DataFrame(
        {
            "time": epoch(start) + t,
            "icao24": aircraft,
            "lon": lon0 + f * (lon1 - lon0),
            "lat": lat0 + f * (lat1 - lat0),
            "baroaltitude": 3000.0,
        }
    )


def write_csv(frame: pd.DataFrame, path) -> str:
    frame.to_csv(path, index=False)
    return str(path)


def hours_of(table: pd.DataFrame, area: str, month: str | None = None) -> float:
    rows = table[table["area"] == area]
    if month is not None:
        rows = rows[rows["month"] == pd.Timestamp(month)]
    return float(rows["flight_hours"].sum())


# --------------------------------------------------------------------------- known hours


def test_three_hours_at_400_kmh_inside_a_box_are_three_hours(tmp_path):
    rng = np.random.default_rng(20210503)
    inside = patrol(rng, "4ca001", "2021-05-03T06:00:00", 3.0, lon=13.0, lat=35.0)
    outside = patrol(rng, "4ca002", "2021-05-03T06:00:00", 2.0, lon=5.0, lat=42.0)  # north-west of the sea
    flights = read_flights(write_csv(pd.concat([inside, outside]), tmp_path / "states.csv"))
    assert flights.quarantined == 0 and flights.kept == len(inside) + len(outside)
    speeds = flights.segments["speed_kmh"].to_numpy()
    assert np.allclose(speeds, 400.0, rtol=1e-4)  # Geod.fwd positions rounded to 1e-7° (~1 cm)
    table = flight_hours(flights, SEA)
    assert hours_of(table, "sea") == pytest.approx(3.0, abs=1e-9)
    assert hours_of(table, "all") == pytest.approx(5.0, abs=1e-9)
    sea = table[table["area"] == "sea"].iloc[0]
    assert (sea["flights"], sea["aircraft"]) == (1, 1)
    assert list(table.columns) == ["month", "area", "flight_hours", "flights", "aircraft", "swath_km2"]
    assert table["swath_km2"].isna().all()


def test_hours_shared_between_two_areas_in_proportion_to_length_inside(tmp_path):
    # due east along 34.5°N from 12°E to 15°E in one hour; a report every 60 s moves 0.05°,
    # so the boundary at 13.31°E cuts a segment 20 % of the way along
    track = straight("4ca003", "2021-07-10T10:00:00", 60, 12.0, 34.5, 15.0, 34.5, 60)
    flights = read_flights(write_csv(track, tmp_path / "t.csv"))
    areas = gpd.GeoDataFrame(
        {"name": ["west", "east", "middle"]},
        geometry=[shapely.box(11, 33, 13.31, 36), shapely.box(13.31, 33, 16, 36), shapely.box(12.5, 33, 14, 36)],
        crs="EPSG:4326",
    )
    table = flight_hours(flights, SEA, areas)
    # along a parallel a constant lon rate is a constant speed: time share = longitude share
    assert hours_of(table, "west") == pytest.approx(1.31 / 3, abs=2e-4)
    assert hours_of(table, "east") == pytest.approx(1.69 / 3, abs=2e-4)
    assert hours_of(table, "west") + hours_of(table, "east") == pytest.approx(1.0, abs=1e-9)
    assert hours_of(table, "middle") == pytest.approx(1.5 / 3, abs=2e-4)  # areas may overlap
    # an area is counted inside the sea only
    small_sea = (11.0, 33.0, 13.0, 37.0)
    clipped = flight_hours(flights, small_sea, areas)
    assert hours_of(clipped, "middle") == pytest.approx(0.5 / 3, abs=2e-4)
    assert hours_of(clipped, "sea") == pytest.approx(1.0 / 3, abs=2e-4)


def test_a_flight_across_midnight_at_the_end_of_a_month_is_split_at_midnight(tmp_path):
    # reports every 7 minutes from 23:00 on 31 May; the last one at 01:00 on 1 June
    t = list(np.arange(0, 120 * 60, 7 * 60)) + [120 * 60]
    t = np.array(t, dtype=float)
    lon = 13.0 + 0.8 * t / t[-1]
    track = pd.DataFrame(
        {"time": epoch("2021-05-31T23:00:00") + t, "icao24": "4ca004", "lon": lon, "lat": 35.3, "baroaltitude": 2000}
    )
    # the same across New Year, written as ISO times with a zone (+01:00)
    ny = track.copy()
    ny["icao24"] = "4ca005"
    plus_one = datetime.timezone(datetime.timedelta(hours=1))
    ny["time"] = [
        (pd.Timestamp("2021-12-31T23:00:00Z") + pd.Timedelta(seconds=s)).tz_convert(plus_one).isoformat() for s in t
    ]
    assert ny["time"].iloc[0] == "2022-01-01T00:00:00+01:00"
    flights = read_flights(write_csv(pd.concat([track.astype({"time": object}), ny]), tmp_path / "m.csv"))
    assert flights.quarantined == 0
    table = flight_hours(flights, SEA, swath_m=10_000)
    assert hours_of(table, "sea", "2021-05-01") == pytest.approx(1.0, abs=1e-9)
    assert hours_of(table, "sea", "2021-06-01") == pytest.approx(1.0, abs=1e-9)
    assert hours_of(table, "sea", "2021-12-01") == pytest.approx(1.0, abs=1e-9)
    assert hours_of(table, "sea", "2022-01-01") == pytest.approx(1.0, abs=1e-9)
    # every month between is present with zero hours (no flights, but inside the tracks' span)
    sea = table[table["area"] == "sea"]
    assert len(sea) == 9 and (sea.set_index("month").loc["2021-07-01":"2021-11-01", "flight_hours"] == 0).all()
    # each half of the path is seen by the swath in its own month: two capsules of half the length
    may = sea[sea["month"] == pd.Timestamp("2021-05-01")]["swath_km2"].iloc[0]
    june = sea[sea["month"] == pd.Timestamp("2021-06-01")]["swath_km2"].iloc[0]
    assert may == pytest.approx(june, rel=0.02)


def test_gaps_over_the_threshold_are_not_flown_time(tmp_path):
    a = straight("4ca006", "2021-03-01T08:00:00", 60, 12.0, 34.0, 13.0, 34.2, 30)
    b = straight("4ca006", "2021-03-01T09:45:00", 30, 13.0, 34.2, 13.5, 34.4, 30)  # 45 min after a ends
    c = straight("4ca006", "2021-03-01T10:35:00", 30, 13.5, 34.4, 13.9, 34.5, 30)  # 20 min after b ends
    path = write_csv(pd.concat([a, b, c]), tmp_path / "g.csv")
    flights = read_flights(path)
    assert flights.tracks["flight"].nunique() == 2  # the 45-minute gap splits; the 20-minute one does not
    assert len(flights.gaps) == 1 and flights.gaps["hours"].iloc[0] == pytest.approx(0.75)
    assert flights.hours == pytest.approx(1.0 + (30 + 20 + 30) / 60)  # the 20-minute gap is flown time
    assert hours_of(flight_hours(flights, SEA), "sea") == pytest.approx(flights.hours, abs=1e-9)
    strict = read_flights(path, gap_minutes=10)
    assert strict.hours == pytest.approx(2.0) and len(strict.gaps) == 2


def test_swath_area_matches_the_closed_form_of_a_capsule(tmp_path):
    # a straight geodesic north along the central meridian of UTM 33N (15°E): length L, swath w
    lon1, lat1, _ = GEOD.fwd(15.0, 34.0, 0.0, 200_000.0)
    track = pd.DataFrame(
        {
            "time": [epoch("2021-08-01T10:00"), epoch("2021-08-01T10:30")],
            "icao24": "4ca007",
            "lon": [15.0, lon1],
            "lat": [34.0, lat1],
        }
    )
    twin = track.assign(icao24="4ca008", time=track["time"] + 3600)  # the same path an hour later
    flights = read_flights(write_csv(pd.concat([track, twin]), tmp_path / "s.csv"))
    length = flights.segments["length_m"].iloc[0]
    assert length == pytest.approx(200_000.0, rel=1e-9)
    w = 20_000.0
    capsule = (length * w + math.pi * (w / 2) ** 2) / 1e6
    north = gpd.GeoDataFrame({"name": ["north"]}, geometry=[shapely.box(14, 34.9, 16, 37)], crs="EPSG:4326")
    table = flight_hours(flights, SEA, north, swath_m=w)
    sea = table[table["area"] == "sea"].iloc[0]
    # UTM scale on the central meridian is 0.9996; the 16-gon caps are 0.6 % short of circles
    assert sea["swath_km2"] == pytest.approx(capsule, rel=2e-3)
    assert sea["flight_hours"] == pytest.approx(1.0)  # two half-hour flights; the union is not doubled
    # a helicopter hovering at one point for an hour (zero-length segments) in another month: a disc
    hover = pd.DataFrame(
        {"time": epoch("2021-09-01T10:00") + np.arange(0, 3601, 60.0), "icao24": "4ca009", "lon": 13.01, "lat": 35.25}
    )
    both = read_flights(write_csv(pd.concat([track, twin, hover]), tmp_path / "h.csv"))
    hours = flight_hours(both, SEA, swath_m=w)
    september = hours[(hours["area"] == "sea") & (hours["month"] == pd.Timestamp("2021-09-01"))].iloc[0]
    assert september["flight_hours"] == pytest.approx(1.0)
    assert september["swath_km2"] == pytest.approx(math.pi * (w / 2) ** 2 / 1e6, rel=3e-3)
    # the part north of 34.9°N: the rest of the line plus one half cap
    _, _, south_part = GEOD.inv(15.0, 34.0, 15.0, 34.9)
    half = ((length - south_part) * w + math.pi * (w / 2) ** 2 / 2) / 1e6
    assert table[table["area"] == "north"]["swath_km2"].iloc[0] == pytest.approx(half, rel=3e-3)


# --------------------------------------------------------------------------- two formats, same hours


def _geojson(frame: pd.DataFrame, *, fourth: bool) -> dict:
    features = []
    for ac, g in frame.groupby("icao24", sort=False):
        # one feature per flight: cut where reports are more than 30 minutes apart
        cut = np.concatenate([[0], np.flatnonzero(np.diff(g["time"].to_numpy()) > 1800) + 1, [len(g)]])
        for a, b in zip(cut[:-1], cut[1:]):
            part = g.iloc[a:b]
            props = {"icao24": ac}
            if fourth:
                coords = [
                    [x, y, z, t] for x, y, z, t in part[["lon", "lat", "baroaltitude", "time"]].to_numpy().tolist()
                ]
            else:
                coords = part[["lon", "lat", "baroaltitude"]].to_numpy().tolist()
                props["times"] = [(EPOCH + pd.Timedelta(seconds=s)).isoformat() + "Z" for s in part["time"]]
            features.append(
                {"type": "Feature", "properties": props, "geometry": {"type": "LineString", "coordinates": coords}}
            )
    rng = np.random.default_rng(7)
    order = rng.permutation(len(features))  # feature order in the file does not matter
    return {"type": "FeatureCollection", "features": [features[i] for i in order]}


def test_geojson_and_csv_of_the_same_tracks_give_the_same_hours(tmp_path):
    rng = np.random.default_rng(42)
    frames = [
        patrol(rng, "4ca010", "2021-09-30T20:00:00", 5.0, lon=12.5, lat=34.5, step_s=(20, 60)),
        patrol(rng, "4ca010", "2021-10-02T09:00:00", 2.0, lon=13.5, lat=35.0, step_s=(20, 60)),
        patrol(rng, "4ca011", "2021-10-15T12:00:00", 4.0, lon=14.0, lat=33.8, speed_kmh=250, step_s=(20, 60)),
    ]
    tracks = pd.concat(frames, ignore_index=True)
    tracks["time"] = tracks["time"].round(3)  # milliseconds: the same instant in epoch seconds and ISO text
    csv = read_flights(write_csv(tracks, tmp_path / "t.csv"))
    (tmp_path / "a.geojson").write_text(json.dumps(_geojson(tracks, fourth=False)))
    (tmp_path / "b.geojson").write_text(json.dumps(_geojson(tracks, fourth=True)))
    areas = gpd.GeoDataFrame(
        {"country_iso3": ["MLT", "LBY"]}, geometry=[shapely.box(11, 34.33, 16, 37), shapely.box(11, 33, 16, 34.33)]
    ).set_crs("EPSG:4326")
    expected = flight_hours(csv, SEA, areas, swath_m=15_000)
    assert hours_of(expected, "all") == pytest.approx(11.0, abs=1e-6)
    for name in ("a.geojson", "b.geojson"):
        gj = read_flights(tmp_path / name)
        assert gj.quarantined == 0 and gj.kept == csv.kept
        got = flight_hours(gj, SEA, areas, swath_m=15_000)
        pd.testing.assert_frame_equal(got, expected, rtol=1e-7)
    assert set(expected["area"]) == {"all", "sea", "MLT", "LBY"}
    assert hours_of(expected, "MLT") + hours_of(expected, "LBY") == pytest.approx(hours_of(expected, "sea"))
    # the segments themselves are accepted, in another CRS too
    again = flight_hours(csv.segments.to_crs("EPSG:3857"), SEA, areas, swath_m=15_000)
    pd.testing.assert_frame_equal(again, expected, rtol=1e-6)


# --------------------------------------------------------------------------- hostile tracks


def test_hostile_reports_are_quarantined_with_reasons_and_the_clean_hours_survive(tmp_path):
    rng = np.random.default_rng(5)
    clean = patrol(rng, "4ca020", "2021-06-12T07:00:00", 2.0, lon=13.0, lat=34.8, step_s=(30, 60))
    clean_hours = read_flights(write_csv(clean, tmp_path / "clean.csv")).hours
    assert clean_hours == pytest.approx(2.0)
    rows = clean.astype(object).to_dict("records")
    bad = []

    def insert(at: int, row: dict, why: str) -> None:
        rows.insert(at, row)
        bad.append(why)

    insert(30, dict(rows[29]), "duplicate")  # exact copy
    insert(50, {**rows[49], "baroaltitude": 1.0}, "duplicate")  # same aircraft, time, position
    insert(70, {**rows[69], "time": rows[69]["time"] - 600}, "backwards")
    mid = rows[90]
    lon_far, lat_far, _ = GEOD.fwd(mid["lon"], mid["lat"], 180.0, 5000 / 3.6 * 30)  # 5,000 km/h for 30 s
    insert(91, {**mid, "time": mid["time"] + 30, "lon": lon_far, "lat": lat_far}, "speed")
    insert(110, {**rows[109], "time": rows[109]["time"] + 1, "lon": "NaN", "lat": "NaN"}, "coordinates missing")
    insert(112, {**rows[111], "time": rows[111]["time"] + 1, "lon": "", "lat": "34.9"}, "coordinates incomplete")
    insert(114, {**rows[113], "time": "yesterday"}, "time")
    insert(116, {**rows[115], "time": rows[115]["time"] + 1, "baroaltitude": 99_999.0}, "altitude")
    insert(118, {**rows[117], "time": rows[117]["time"] + 1, "icao24": ""}, "aircraft")
    hostile = read_flights(write_csv(pd.DataFrame(rows), tmp_path / "hostile.csv"))
    r = hostile.report
    assert r.rows_read == len(rows) and r.kept + r.repaired + r.quarantined == r.rows_read
    assert hostile.quarantined == len(bad) and hostile.kept == len(clean)
    reasons = r.reasons
    assert sum(n for why, n in reasons.items() if why.startswith("row is a duplicate of row")) == 2
    assert reasons["time is earlier than the aircraft's previous report"] == 1
    assert reasons["speed from the aircraft's previous report is above 1000 km/h"] == 1
    assert reasons["coordinates are missing"] == 1
    assert reasons["coordinates are incomplete"] == 1
    assert reasons["time is not a time"] == 1
    assert reasons["altitude_m is out of range"] == 1
    assert reasons["aircraft is missing"] == 1
    q = hostile.quarantine
    assert len(q) == len(bad) and q["reason"].str.startswith("quarantined: ").all()
    assert hostile.hours == pytest.approx(clean_hours, abs=1e-9)  # the faults took no flown time away
    assert hours_of(flight_hours(hostile, SEA), "sea") == pytest.approx(clean_hours, abs=1e-9)


def test_a_wrong_first_report_is_quarantined_not_the_rest_of_the_track(tmp_path):
    track = straight("4ca021", "2021-06-13T07:00:00", 30, 13.0, 34.0, 13.5, 34.0, 60)
    track.loc[0, ["lon", "lat"]] = [20.0, 38.0]  # 800 km away one minute before the second report
    flights = read_flights(write_csv(track, tmp_path / "f.csv"))
    assert flights.quarantined == 1
    assert flights.quarantine["row"].tolist() == [0]
    assert flights.report.reasons == {"speed to the aircraft's next reports is above 1000 km/h": 1}
    assert flights.hours == pytest.approx(29 / 60)


def test_a_shared_id_jump_is_quarantined_and_warned_about(tmp_path):
    a = straight("SHARED1", "2021-06-14T07:00:00", 20, 13.0, 34.0, 13.4, 34.0, 60)
    b = straight("SHARED1", "2021-06-14T07:21:00", 20, 18.0, 38.0, 18.4, 38.0, 60)  # another aircraft, same callsign
    flights = read_flights(write_csv(pd.concat([a, b]), tmp_path / "j.csv"), columns={"aircraft": "icao24"})
    assert flights.quarantined == len(b)
    assert any("share this id" in w for w in flights.report.warnings)


def test_unknown_columns_and_bad_mappings_are_input_errors(tmp_path):
    odd = pd.DataFrame({"seen": [epoch("2021-01-01T00:00"), epoch("2021-01-01T00:01")], "hexid": "4ca030"})
    odd["x"], odd["y"] = [13.0, 13.05], [34.0, 34.0]
    path = write_csv(odd, tmp_path / "odd.csv")
    with pytest.raises(InputError, match="no column found for time, aircraft, lon \\+ lat") as err:
        read_flights(path)
    assert "'seen'" in str(err.value) and "What to do" in str(err.value)
    with pytest.raises(InputError, match="unknown role"):
        read_flights(path, columns={"speed": "x"})
    with pytest.raises(InputError, match="has no column"):
        read_flights(path, columns={"time": "when"})
    mapped = read_flights(path, columns={"time": "seen", "aircraft": "hexid", "lon": "x", "lat": "y"})
    assert mapped.kept == 2 and mapped.hours == pytest.approx(1 / 60)
    with pytest.raises(InputError, match="altitude_unit"):
        read_flights(path, altitude_unit="furlongs")
    with pytest.raises(InputError, match="gap_minutes"):
        read_flights(path, gap_minutes=0)


def test_empty_and_header_only_files_are_ingest_errors(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "header.csv").write_text("time,icao24,lat,lon\n")
    (tmp_path / "none.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    (tmp_path / "broken.geojson").write_text('{"type": "FeatureCollection", "features": [')
    for name in ("empty.csv", "header.csv", "none.geojson", "broken.geojson"):
        with pytest.raises(IngestError):
            read_flights(tmp_path / name)
    with pytest.raises(InputError, match="does not exist"):
        read_flights(tmp_path / "absent.csv")


def test_latin1_files_are_read_and_noted(tmp_path):
    track = straight("9H-ÉMI", "2021-02-02T10:00:00", 10, 14.0, 35.5, 14.2, 35.6, 60)
    track["remarque"] = "garde côtière"
    path = tmp_path / "latin1.csv"
    path.write_bytes(track.to_csv(index=False).encode("latin-1"))
    flights = read_flights(path, columns={"aircraft": "icao24"})
    assert any("Latin-1" in n for n in flights.report.notes)
    assert any("not used: remarque" in n for n in flights.report.notes)  # unknown columns are listed, not read
    assert set(flights.points["aircraft"]) == {"9H-ÉMI"}
    assert flights.quarantined == 0 and flights.hours == pytest.approx(10 / 60)


def test_feet_and_metres(tmp_path):
    track = straight("4ca040", "2021-04-04T10:00:00", 10, 14.0, 35.5, 14.2, 35.6, 60)
    metres = np.linspace(3000, 7500, len(track))
    in_m = read_flights(write_csv(track.assign(baroaltitude=metres), tmp_path / "m.csv"))  # OpenSky: metres
    feet = track.drop(columns="baroaltitude").assign(alt_baro=metres / 0.3048)  # readsb: feet
    in_ft = read_flights(write_csv(feet, tmp_path / "ft.csv"))
    assert np.allclose(in_ft.points["altitude_m"], metres) and np.allclose(in_m.points["altitude_m"], metres)
    generic = track.drop(columns="baroaltitude").assign(altitude=metres / 0.3048)
    path = write_csv(generic, tmp_path / "generic.csv")
    told = read_flights(path, altitude_unit="ft")
    assert np.allclose(told.points["altitude_m"], metres) and told.quarantined == 0
    # feet read as metres: 24,600 ft taken for 24,600 m is above the ceiling
    wrong = read_flights(path)
    assert any("does not name its unit" in n for n in wrong.report.notes)
    too_high = metres / 0.3048 > 20_000
    assert wrong.quarantined == int(too_high.sum()) > 0
    assert wrong.report.reasons == {"altitude_m is out of range": int(too_high.sum())}


def test_times_in_every_accepted_form_agree_and_bad_times_are_quarantined(tmp_path):
    base = pd.Timestamp("2021-05-03T12:00:00")
    forms = [
        str(epoch(base)),
        "2021-05-03T12:00:00Z",
        "2021-05-03 14:00:00+02:00",
        "2021-05-03T12:00:00",
        "2021-05-03 12:00:00 UTC",
        "2021-05-03T07:00:00-0500",
    ]
    frame = pd.DataFrame({"time": forms, "icao24": [f"a{i}" for i in range(len(forms))], "lon": 13.0, "lat": 35.1})
    flights = read_flights(write_csv(frame, tmp_path / "t.csv"))
    assert flights.quarantined == 0 and (flights.points["time"] == base).all()
    bad = pd.DataFrame(
        {
            "time": ["2021-05-03", "0", str(epoch(base) * 1000), "2999-01-01T00:00:00Z", "noon", ""],
            "icao24": "b1",
            "lon": 13.0,
            "lat": 35.1,
        }
    )
    flights = read_flights(write_csv(bad, tmp_path / "bad.csv"))
    assert flights.report.reasons == {
        "time is not a time": 2,
        "time is out of range": 3,
        "time is missing": 1,
    }


def test_geojson_features_that_are_not_tracks_are_quarantined(tmp_path):
    good = {
        "type": "Feature",
        "properties": {"callsign": "PATROL2", "coordTimes": ["2021-05-03T10:00:00Z", "2021-05-03T10:20:00Z"]},
        "geometry": {"type": "LineString", "coordinates": [[13.0, 35.0], [13.5, 35.0]]},
    }
    point = {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [13.0, 35.0]}}
    short = {
        "type": "Feature",
        "properties": {"callsign": "PATROL3", "times": ["2021-05-03T10:00:00Z"]},
        "geometry": {"type": "LineString", "coordinates": [[13.0, 35.0], [13.5, 35.0], [14.0, 35.0]]},
    }
    untimed = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[13.0, 35.0], [13.5, 35.0]]}}
    multi = {
        "type": "Feature",
        "id": "drone-7",
        "properties": {
            "times": [
                ["2021-05-04T10:00:00Z", "2021-05-04T10:10:00Z"],
                ["2021-05-04T10:15:00Z", "2021-05-04T10:25:00Z"],
            ]
        },
        "geometry": {
            "type": "MultiLineString",
            "coordinates": [[[13.0, 35.0], [13.2, 35.0]], [[13.3, 35.0], [13.5, 35.0]]],
        },
    }
    path = tmp_path / "mixed.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [good, point, short, untimed, multi]}))
    flights = read_flights(path)
    assert flights.report.rows_read == 2 + 1 + 3 + 2 + 4
    assert flights.report.reasons == {
        "geometry is not a line": 1,
        "time is not given for every vertex (1 times, 3 vertices)": 3,
        "time is missing (no times property and no fourth coordinate)": 2,
    }
    # the two parts of a MultiLineString are two flights: the 5 minutes between them are not flown
    assert flights.hours == pytest.approx((20 + 10 + 10) / 60)
    assert set(flights.segments["aircraft"]) == {"PATROL2", "DRONE-7"}
    bad_crs = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:32633"}}}
    bad_crs["features"] = [good]
    (tmp_path / "utm.geojson").write_text(json.dumps(bad_crs))
    with pytest.raises(CRSError):
        read_flights(tmp_path / "utm.geojson")


def test_time_between_two_reports_on_the_ground_is_not_flown(tmp_path):
    track = straight("4ca050", "2021-04-05T06:00:00", 40, 14.0, 35.5, 14.4, 35.5, 60)
    track = track.drop(columns="baroaltitude").rename(columns={"icao24": "hex"})
    track["alt_baro"] = [str(v) for v in np.full(len(track), 9000)]
    track.loc[:10, "alt_baro"] = "ground"  # readsb writes "ground" for the altitude of an aircraft on the ground
    track.loc[:10, ["lon", "lat"]] = [14.0, 35.5]
    track.loc[:10, "lon"] = 14.0 + np.arange(11) * 1e-4  # taxiing
    flights = read_flights(write_csv(track, tmp_path / "ground.csv"))
    assert flights.quarantined == 0
    assert flights.hours == pytest.approx(30 / 60)  # 10 ground segments of the 40 are not flown
    assert any("on the ground" in n for n in flights.report.notes)


def test_a_flightradar24_export_is_recognised(tmp_path):
    # Flightradar24's per-flight CSV: Timestamp (epoch s), UTC (ISO), Callsign, Position ("lat,lon"), Altitude (ft)
    track = straight("PATROL9", "2021-10-10T09:00:00", 30, 12.2, 35.9, 12.9, 35.3, 60)
    fr24 = pd.DataFrame(
        {
            "Timestamp": track["time"].astype(np.int64),
            "UTC": [(EPOCH + pd.Timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ") for t in track["time"]],
            "Callsign": "PATROL9",
            "Position": [f"{y:.6f},{x:.6f}" for x, y in zip(track["lon"], track["lat"])],
            "Altitude": 5000,
            "Speed": 190,
            "Direction": 135,
        }
    )
    flights = read_flights(write_csv(fr24, tmp_path / "fr24.csv"), altitude_unit="ft")
    assert flights.quarantined == 0 and flights.hours == pytest.approx(0.5)
    assert np.allclose(flights.points["altitude_m"], 5000 * 0.3048)
    assert any("latlon ← 'Position'" in n and "time ← 'Timestamp'" in n for n in flights.report.notes)
    # an explicit mapping wins: the UTC column instead of Timestamp gives the same times
    utc = read_flights(tmp_path / "fr24.csv", columns={"time": "UTC"}, altitude_unit="ft")
    assert (utc.points["time"] == flights.points["time"]).all()


def test_opensky_state_vectors_repeating_an_old_position_are_duplicates(tmp_path):
    # a state vector every 10 s; a new position only every 30 s (lastposupdate), as OpenSky writes them
    track = straight("4ca070", "2021-11-11T11:00:00", 30, 13.0, 34.0, 13.6, 34.1, 30)
    rows = []
    for _, r in track.iterrows():
        for lag in (0, 10, 20):
            if r["time"] + lag <= track["time"].iloc[-1]:
                rows.append({**r, "time": r["time"] + lag, "lastposupdate": r["time"], "onground": "False"})
    states = pd.DataFrame(rows)
    flights = read_flights(write_csv(states, tmp_path / "states.csv"))
    assert flights.kept == len(track) and flights.quarantined == len(states) - len(track)
    assert all(why.startswith("row is a duplicate of row") for why in flights.report.reasons)
    assert flights.hours == pytest.approx(0.5) and np.allclose(flights.segments["duration_s"], 30)
    # read by the write time, the repeats stand still for 20 s and the aircraft jumps in 10 s
    by_write = read_flights(tmp_path / "states.csv", columns={"time": "time"})
    assert by_write.quarantined == 0 and by_write.hours == pytest.approx(0.5)
    assert by_write.segments["speed_kmh"].max() == pytest.approx(3 * flights.segments["speed_kmh"].max(), rel=1e-6)


def test_flight_hours_refuses_bad_zones_and_crs(tmp_path):
    (tmp_path / "s.csv").write_text(FLIGHT_FILE_EXAMPLES["opensky_states.csv"])
    flights = read_flights(tmp_path / "s.csv")
    assert isinstance(flights, Flights)
    with pytest.raises(InputError, match="not a polygon"):
        flight_hours(flights, shapely.LineString([(12, 34), (13, 35)]))
    with pytest.raises(InputError, match="bounds"):
        flight_hours(flights, (14.0, 34.0, 12.0, 36.0))
    with pytest.raises(CRSError):
        flight_hours(flights, SEA, crs="EPSG:4326")
    sea_named = gpd.GeoDataFrame({"name": ["sea"]}, geometry=[shapely.box(*SEA)], crs="EPSG:4326")
    with pytest.raises(InputError, match="named 'sea'"):
        flight_hours(flights, SEA, sea_named)
    with pytest.raises(CRSError):
        flight_hours(flights, SEA, gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.box(*SEA)]))
    with pytest.raises(InputError, match="swath"):
        flight_hours(flights, SEA, swath_m=-5)
    none = flight_hours(flights.segments.iloc[:0], SEA)
    assert none.empty and list(none.columns) == ["month", "area", "flight_hours", "flights", "aircraft", "swath_km2"]


# --------------------------------------------------------------------------- the real SAR regions


def test_hours_in_the_imo_sar_regions_agree_with_point_sampling(tmp_path, data_dir):
    from borderscape.layers.ingest import ingest

    srr = ingest("imo-srr", data_dir=data_dir)
    rng = np.random.default_rng(2018)
    # from Lampedusa towards Tripoli and back, crossing the Italian, Maltese and Libyan regions
    out = straight("4ca060", "2021-08-20T06:00:00", 150, 12.6, 35.5, 13.2, 33.2, 30)
    back = straight("4ca060", "2021-08-20T08:30:30", 150, 13.2, 33.2, 12.4, 35.6, 30)
    tracks = pd.concat([out, back])
    tracks["lon"] += rng.normal(0, 0.002, len(tracks))
    tracks["lat"] += rng.normal(0, 0.002, len(tracks))
    flights = read_flights(write_csv(tracks, tmp_path / "srr.csv"))
    sea = (7.5, 30.0, 25.5, 39.0)  # the central-med study's bbox
    table = flight_hours(flights, sea, srr.frame, crs="EPSG:32633")
    # reference: each segment's time shared by the share of 201 points along it inside the region
    segs = flights.segments
    f = np.linspace(0, 1, 201)
    usable = srr.frame[srr.frame["status"] != "quarantined"]
    for iso, region in zip(usable["country_iso3"], usable.geometry):
        ref = 0.0
        for line, dur in zip(segs.geometry, segs["duration_s"]):
            (x0, y0), (x1, y1) = line.coords
            inside = shapely.intersects_xy(region, x0 + f * (x1 - x0), y0 + f * (y1 - y0))
            ref += dur / 3600 * inside.mean()
        assert hours_of(table, iso) == pytest.approx(ref, abs=2e-4), iso  # 1/200 of a 30 s segment per crossing
    assert hours_of(table, "LBY") > 1 and hours_of(table, "MLT") > 1
