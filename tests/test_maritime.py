"""The maritime battery (borderscape.analyses.battery, M1 … M5): rates, distances, SAR shares, coverage at sea."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from pyproj import CRS, Geod
from scipy import stats

from borderscape.analyses import sea, sensors
from borderscape.analyses.battery import run_battery
from borderscape.analyses.battery.common import precise_deaths
from borderscape.analyses.battery.m1_mortality import _its, mortality_per_crossing
from borderscape.analyses.battery.m2_distances import m2_distances
from borderscape.analyses.battery.m3_sar_regions import count_in_regions
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.stats.tests import risk_ratio, share_difference
from borderscape.analyses.study import load_study
from borderscape.geo.errors import InputError
from borderscape.geo.raster import Raster
from borderscape.layers.ingest import SENSOR_FILE_EXAMPLES, ingest, ingest_file, read_sensor_file

GEOD = Geod(ellps="WGS84")
MONTHLY_CSV = (
    "iom-mediterranean-crossings-monthly/iom_med_atlantic_crossings_interceptions_deaths_monthly_2014_2025.csv"
)


@pytest.fixture(scope="module")
def central(data_dir):
    study = load_study("central-med")
    layers = {role: ingest(source, data_dir=data_dir) for role, source in study.layers.items()}
    return study, StudyInputs(layers)


@pytest.fixture(scope="module")
def battery_run(central):
    study, inputs = central
    return run_battery(study, inputs)


# -- M1: mortality per crossing --------------------------------------------------------------


def test_central_rates_match_an_independent_recomputation(data_dir, battery_run):
    """Recompute the central-Mediterranean monthly rates from the raw CSV with plain pandas."""
    raw = pd.read_csv(Path(data_dir) / MONTHLY_CSV)
    cols = [
        "sea_arrivals_in_italy",
        "sea_arrivals_in_malta",
        "interceptions_by_libyan_coast_guard",
        "interceptions_by_tunisian_coast_guard",
        "cmr",
    ]
    ok = raw["cmr"].notna() & raw["sea_arrivals_in_italy"].notna() & ~(raw[cols] < 0).any(axis=1)
    ok &= raw["year"] != 2021  # the study leaves 2021 out (copied 2014 deaths)
    r = raw[ok]
    crossings = r[cols].fillna(0).sum(axis=1)
    expected = pd.DataFrame(
        {
            "month": pd.to_datetime(r["date"]).dt.strftime("%Y-%m"),
            "dead_missing": r["cmr"],
            "crossings": crossings,
            "rate": r["cmr"] / crossings,
        }
    ).reset_index(drop=True)
    table = battery_run.tables["mortality_per_crossing"]
    assert list(table.columns) == ["route", "month", "dead_missing", "crossings", "rate", "ci_low", "ci_high"]
    got = table[table["route"] == "central"].reset_index(drop=True)
    assert len(got) == len(expected) > 100
    assert list(got["month"]) == list(expected["month"])
    np.testing.assert_array_equal(got["dead_missing"].to_numpy(), expected["dead_missing"].to_numpy())
    np.testing.assert_array_equal(got["crossings"].to_numpy(), expected["crossings"].to_numpy())
    np.testing.assert_allclose(got["rate"], expected["rate"], rtol=1e-12)
    for k, n, lo, hi in got[["dead_missing", "crossings", "ci_low", "ci_high"]].itertuples(index=False):
        ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=0.95, method="exact")
        assert lo == pytest.approx(ci.low, abs=1e-10) and hi == pytest.approx(ci.high, abs=1e-10)


def _simulated_monthly(rng, rate_ratio, months=72, t0=36):
    dates = pd.date_range("2014-01-01", periods=months, freq="MS")
    crossings = rng.integers(8000, 15000, months)
    rate = 0.01 * np.where(np.arange(months) >= t0, rate_ratio, 1.0) * rng.gamma(50, 1 / 50, months)
    deaths = rng.poisson(crossings * rate)
    return pd.DataFrame({"date": dates, "waar": crossings - deaths, "waar_1": deaths}), dates[t0]


def test_its_recovers_a_planted_rate_ratio_and_not_a_null_one():
    rng = np.random.default_rng(7)
    for planted in (2.0, 1.0):
        monthly, t0 = _simulated_monthly(rng, planted)
        table = mortality_per_crossing(monthly, ["atlantic"])
        res = _its("atlantic", table, "t0", t0 - pd.DateOffset(months=36), t0, t0 + pd.DateOffset(months=36), 0.95)
        assert res.ci[0] < planted < res.ci[1]
        if planted == 2.0:
            assert res.p_value < 0.01
        assert res.n == 72


def test_pooled_rate_and_its_outcomes_ran(battery_run):
    outcomes = {o.id: o for o in battery_run.outcomes}
    pooled = outcomes["M1.central"]
    assert pooled.status == "ran" and pooled.ci[0] < pooled.estimate < pooled.ci[1]
    srr = outcomes["M1.central.its.2018-06-28"]
    assert srr.status == "ran" and srr.estimate > 0 and srr.n >= 36 and "negative-binomial" in srr.method


# -- M2: distances ----------------------------------------------------------------------------


def test_geodesic_distance_to_lines_agrees_with_brute_force_geod():
    rng = np.random.default_rng(3)
    coast = gpd.GeoSeries(
        [
            shapely.LineString([(11.0, 33.0), (11.6, 33.2), (12.4, 32.9), (13.3, 32.8)]),
            shapely.LineString([(10.2, 34.0), (10.9, 35.5)]),
        ],
        crs="EPSG:4326",
    )
    lon = rng.uniform(10.0, 14.0, 20)
    lat = rng.uniform(33.0, 35.5, 20)
    d, nx, ny = sea.geodesic_distance_to_lines(lon, lat, coast, crs="EPSG:32633")
    # brute force: every segment densified to ~2 m steps in lon/lat, Geod.inv to all of them
    dense = []
    for line in coast:
        xy = np.asarray(line.coords)
        for (x0, y0), (x1, y1) in zip(xy[:-1], xy[1:]):
            s = np.linspace(0, 1, 100_001)
            dense.append(np.c_[x0 + s * (x1 - x0), y0 + s * (y1 - y0)])
    dense = np.vstack(dense)
    for i in range(len(lon)):
        brute = GEOD.inv(np.full(len(dense), lon[i]), np.full(len(dense), lat[i]), dense[:, 0], dense[:, 1])[2].min()
        assert abs(d[i] - brute) < 1.0
        assert GEOD.inv(lon[i], lat[i], nx[i], ny[i])[2] == pytest.approx(d[i], abs=1e-6)


def test_distance_to_active_areas_uses_the_dates():
    areas = gpd.GeoDataFrame(
        {
            "active_from": pd.to_datetime(["2015-01-01", "2018-01-01"]),
            "active_to": pd.to_datetime(["2017-12-31", pd.NaT]),
        },
        geometry=[shapely.box(12, 35, 13, 36), shapely.box(14, 35, 15, 36)],
        crs="EPSG:4326",
    )
    pts = gpd.GeoDataFrame(
        {"date": pd.to_datetime(["2016-05-01", "2019-05-01", "2016-05-01", "2010-01-01"])},
        geometry=shapely.points([(12.5, 35.5), (12.5, 35.5), (13.5, 35.5), (12.5, 35.5)]),
        crs="EPSG:4326",
    )
    d = sea.distance_to_active_areas(pts, areas, crs="EPSG:32633")
    assert d[0] == 0.0  # inside the area active then
    expect = GEOD.inv(12.5, 35.5, 14.0, 35.5)[2]  # only the eastern area is active in 2019
    assert d[1] == pytest.approx(expect, abs=5.0)  # (a lon/lat edge bulges little over 1.5°)
    assert d[2] == pytest.approx(GEOD.inv(13.5, 35.5, 13.0, 35.5)[2], abs=5.0)
    assert np.isnan(d[3])  # no area active in 2010


def test_distance_outcomes_on_real_data(battery_run):
    outcomes = {o.id: o for o in battery_run.outcomes}
    for oid in ("M2.deaths.coast", "M2.detections.coast", "M2.deaths.coverage", "M2.detections.coverage"):
        assert outcomes[oid].status == "ran" and outcomes[oid].n >= 100
    assert "whole-degree" in outcomes["M2.deaths.coast"].reason
    assert "no coastal stations given" in outcomes["M2.deaths.coverage"].reason  # areas only, and it says so
    assert "coverage_2018-02-01" in battery_run.rasters
    table = battery_run.tables["m2_distances"]
    assert (table.loc[table["target"] == "coast", "distance_km"] >= 0).all()


# -- M3: SAR regions --------------------------------------------------------------------------


def test_counts_in_sar_regions_agree_with_geopandas_sjoin(central):
    study, inputs = central
    pts, _ = precise_deaths(study, inputs, ["Central Mediterranean"])
    regions = inputs.get("sar_regions").frame
    regions = regions[regions["status"] != "quarantined"]
    ours = count_in_regions(pts, regions, "country_iso3")
    joined = gpd.sjoin(pts[["geometry"]], regions[["country_iso3", "geometry"]], predicate="intersects")
    plain = joined.groupby("country_iso3").size()
    for iso in regions["country_iso3"]:
        assert ours[iso] == plain.get(iso, 0)
    assert ours.sum() > 500


def test_libyan_srr_share_change_is_reported(battery_run):
    outcomes = {o.id: o for o in battery_run.outcomes}
    lby = outcomes["M3.LBY.2018-06-28"]
    assert lby.status == "ran" and lby.ci[0] <= lby.estimate <= lby.ci[1] and 0 <= lby.p_value <= 1
    shares = battery_run.tables["sar_shares"]
    assert ((shares["ci_low"] <= shares["share"]) & (shares["share"] <= shares["ci_high"])).all()


def test_share_difference_and_risk_ratio_against_closed_forms():
    r = share_difference(30, 100, 20, 100)
    # Newcombe (1998) method 10 example 1 style check: the interval holds the estimate, the
    # z-test equals statsmodels' pooled two-proportion test
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    z, p = proportions_ztest([30, 20], [100, 100])
    assert r.p_value == pytest.approx(p, rel=1e-10)
    low, high = confint_proportions_2indep(30, 100, 20, 100, method="newcomb", compare="diff")
    assert r.ci == pytest.approx((low, high), rel=1e-9)
    rr = risk_ratio(30, 100, 20, 100)
    low, high = confint_proportions_2indep(30, 100, 20, 100, method="log", compare="ratio")
    assert rr.estimate == pytest.approx(1.5) and rr.ci == pytest.approx((low, high), rel=1e-9)


# -- coverage at sea ------------------------------------------------------------------------------


def _grid(shape=(81, 81), res=1000.0, crs="EPSG:32633", x0=400_000.0, y0=4_000_000.0, array=None):
    a = np.zeros(shape, np.float32) if array is None else array
    return Raster(a, Affine(res, 0, x0, 0, -res, y0), CRS.from_user_input(crs), None)


def _to_lonlat(x, y, crs="EPSG:32633"):
    from pyproj import Transformer

    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)


def test_station_coverage_ends_at_the_radar_horizon(tmp_path):
    dem = _grid()
    cx, cy = dem.xy(40, 40)
    lon, lat = _to_lonlat(cx, cy)
    height = 30.0
    csv = tmp_path / "stations.csv"
    csv.write_text(
        f"name,lon,lat,height_m,range_m,active_from,active_to\nS,{lon:.8f},{lat:.8f},{height},100000,2015-01-01,\n"
    )
    st = ingest_file(
        "sensors",
        csv,
        columns={
            "lon": "lon",
            "lat": "lat",
            "height": "height_m",
            "range": "range_m",
            "active_from": "active_from",
            "active_to": "active_to",
            "name": "name",
        },
    ).frame
    (cov,) = sensors.sea_coverage(["2016-01-01"], dem, stations=st, dem=dem, target_height=0.0)
    horizon = np.sqrt(2 * 4 / 3 * 6_371_000 * height)  # textbook: 4.12 km * sqrt(h / m)
    assert horizon == pytest.approx(4121.8 * np.sqrt(height), rel=1e-3)
    rows, cols = np.indices(dem.shape)
    xs, ys = dem.xy(rows.ravel(), cols.ravel())
    r = np.hypot(np.asarray(xs) - cx, np.asarray(ys) - cy).reshape(dem.shape)
    seen = cov.count.array > 0
    assert seen[r < horizon - 1500].all()
    assert not seen[r > horizon + 1500].any()
    assert "1 coastal station" in cov.note and cov.polygons["source"].tolist() == ["stations"]
    (before,) = sensors.sea_coverage(["2014-01-01"], dem, stations=st, dem=dem)
    assert before.count.array.sum() == 0  # not yet active


def test_a_headland_hides_the_sea_behind_it():
    z = np.zeros((81, 81), np.float32)
    z[33:36, 43:57] = 150.0  # a high headland north-east of the station
    st_dem = _grid(array=z)
    sx, sy = st_dem.xy(40, 40)
    lon, lat = _to_lonlat(sx, sy)
    st = gpd.GeoDataFrame(
        {"height_m": [10.0], "range_m": [40000.0], "active_from": [pd.NaT], "active_to": [pd.NaT]},
        geometry=[shapely.Point(lon, lat)],
        crs="EPSG:4326",
    )
    (cov,) = sensors.sea_coverage(["2020-01-01"], st_dem, stations=st, dem=st_dem)
    flat = _grid()
    (open_sea,) = sensors.sea_coverage(["2020-01-01"], flat, stations=st, dem=flat)
    seen, seen_flat = cov.count.array > 0, open_sea.count.array > 0
    # 15.6 km away, inside the horizon of a 10 m antenna for a 2 m boat (18.8 km)
    assert seen_flat[28, 50] and seen_flat[52, 50]
    assert not seen[28, 50]  # sea behind the headland
    assert seen[52, 50]  # sea at the same distance, open side
    assert not seen[34, 50]  # land is not sea coverage


def test_documented_user_formats_are_generated_ingested_and_combined(tmp_path):
    """Write the documented example files, ingest each, and build coverage from them."""
    for name, text in SENSOR_FILE_EXAMPLES.items():
        (tmp_path / name).write_text(text)
    stations = read_sensor_file(tmp_path / "stations.csv").frame
    tracks = read_sensor_file(tmp_path / "tracks.geojson").frame
    areas = read_sensor_file(tmp_path / "areas.kml").frame
    assert len(stations) == 2 and stations["height_m"].tolist() == [60.0, 80.0]
    assert stations["active_to"].isna().tolist() == [True, False]
    assert tracks.geometry.iloc[0].geom_type == "LineString" and tracks["swath_m"].iloc[0] == 40000
    assert areas.geometry.iloc[0].geom_type == "Polygon" and str(areas["active_from"].iloc[0].date()) == "2016-01-01"
    # a sea-level DEM (all 0 m) in UTM 33N at 2 km over the examples
    dem = _grid(shape=(170, 190), res=2000.0, x0=220_000.0, y0=4_060_000.0)
    in2017, in2022 = sensors.sea_coverage(
        ["2017-06-01", "2022-06-01"], dem, stations=stations, tracks=tracks, areas=areas, dem=dem
    )
    assert set(in2017.polygons["source"]) == {"stations", "tracks", "areas"}
    assert "2 coastal station(s) active" in in2017.note and "1 coastal station(s) active" in in2022.note
    area = in2017.polygons.set_index("source")["area_km2"]
    # the swath: about length x width (+ round caps)
    length = GEOD.line_length([12.5, 14.8], [34.8, 35.4]) / 1000
    assert area["tracks"] == pytest.approx(length * 40 + np.pi * 20**2, rel=0.03)
    # in 2022 only example-A is active: a 60 m antenna sees a 2 m boat to 37.8 km, inside its 45 km range
    horizon_a = 4121.8 * (np.sqrt(60) + np.sqrt(2.0)) / 1000
    assert in2022.polygons["source"].tolist() == ["stations"]
    seen_km2 = in2022.polygons.set_index("source").loc["stations", "area_km2"]
    assert seen_km2 == pytest.approx(np.pi * min(horizon_a, 45.0) ** 2, rel=0.08)
    assert in2017.count.array.max() >= 2  # overlapping sensors add up


def test_study_with_user_stations_gets_coverage_rasters_per_epoch(tmp_path):
    import dataclasses

    (tmp_path / "stations.csv").write_text(SENSOR_FILE_EXAMPLES["stations.csv"])
    stations = read_sensor_file(tmp_path / "stations.csv")
    study = dataclasses.replace(load_study("central-med"), bbox=(12.0, 34.0, 15.5, 37.0), resolution_m=2000.0)
    dem = _grid(shape=(170, 190), res=2000.0, x0=220_000.0, y0=4_060_000.0)
    section = m2_distances(study, StudyInputs({"coastal_stations": stations, "dem": dem}), np.random.default_rng(0))
    assert all(o.status == "skipped" for o in section.outcomes)  # no deaths, no detections
    before, during = section.rasters["coverage_2014-01-01"], section.rasters["coverage_2017-02-02"]
    # example-B (80 m, horizon 42.7 km for a 2 m boat) starts in mid-2015, 150 km from example-A
    seen_b = (during.array > 0).sum() - (before.array > 0).sum()
    assert seen_b * 4.0 == pytest.approx(np.pi * 42.7**2, rel=0.08) and before.array.max() == 1


def test_stations_without_a_dem_are_refused():
    grid = _grid()
    st = gpd.GeoDataFrame({"height_m": [10.0], "range_m": [1e4]}, geometry=[shapely.Point(12, 36)], crs="EPSG:4326")
    with pytest.raises(InputError, match="DEM"):
        sensors.sea_coverage(["2020-01-01"], grid, stations=st)


# -- M4, M5, skips, determinism, timing, end to end -----------------------------------------------


def test_detection_assets_table_and_ratios(battery_run):
    table = battery_run.tables["deaths_by_detector"]
    assert {"aerial", "vessel", "ngo"} <= set(table["detector_class"])
    outcomes = {o.id: o for o in battery_run.outcomes}
    aerial = outcomes["M4.aerial"]
    row, ref = table.set_index("detector_class").loc["aerial"], table.set_index("detector_class").loc["vessel"]
    assert aerial.estimate == pytest.approx((row["with_deaths"] / row["boats"]) / (ref["with_deaths"] / ref["boats"]))


def test_hotspots_per_period(battery_run):
    m5 = [o for o in battery_run.outcomes if o.id.startswith("M5.")]
    assert len(m5) >= 5 and all(o.status == "ran" for o in m5)
    assert all(0 <= o.estimate <= 1 and o.ci[0] <= o.estimate <= o.ci[1] for o in m5)


def test_skipped_outcomes_say_what_is_missing_and_what_to_do():
    study = load_study("western-med")
    inputs = StudyInputs(
        layers={}, missing={"crossings": "source 'iom-med-monthly' was not found. What to do: run fetch"}
    )
    battery = run_battery(study, inputs)
    by_id = {o.id: o for o in battery.outcomes}
    assert all(o.status == "skipped" for o in battery.outcomes)
    assert "iom-med-monthly" in by_id["M1"].reason and "What to do" in by_id["M1"].reason
    assert "No SAR polygons for Spain" in by_id["M3"].reason and "[layers] sar_regions" in by_id["M3"].reason
    assert "No Frontex incident records" in by_id["M4"].reason


def test_run_central_med_end_to_end_with_the_same_numbers(data_dir, tmp_path, battery_run):
    """`borderscape run central-med` writes the contract's table, and (same seed) the same outcomes."""
    from borderscape.cli import main

    out = tmp_path / "out"
    try:
        main(["run", "central-med", "--data-dir", str(data_dir), "--out", str(out)])
    except SystemExit as exc:
        assert exc.code in (0, None)
    table = pd.read_csv(out / "tables" / "mortality_per_crossing.csv")
    assert list(table.columns) == ["route", "month", "dead_missing", "crossings", "rate", "ci_low", "ci_high"]
    results = json.loads((out / "results.json").read_text())
    ids = {t["id"] for t in results["tests"]}
    assert {"M1.central", "M3.LBY.2018-06-28", "M4.aerial"} <= ids
    direct = [json.loads(json.dumps(o.to_dict())) for o in battery_run.outcomes]
    written = [{k: t[k] for k in direct[0]} for t in results["tests"]]
    assert written == direct


def test_run_reads_a_users_aerial_tracks_file(data_dir, tmp_path):
    """A study copy naming a user's tracks file (the documented GeoJSON format) runs, records the
    file with its sha256, and draws the mortality figure."""
    import hashlib
    from importlib.resources import files

    from borderscape.cli import main

    text = files("borderscape.analyses").joinpath("studies/central-med.toml").read_text(encoding="utf-8")
    (tmp_path / "tracks.geojson").write_text(SENSOR_FILE_EXAMPLES["tracks.geojson"])
    study = tmp_path / "mine.toml"
    study.write_text(text.replace('coastline = "gshhg"', 'coastline = "gshhg"\naerial_tracks = "tracks.geojson"', 1))
    out = tmp_path / "out"
    assert main(["run", str(study), "--data-dir", str(data_dir), "--out", str(out)]) == 0
    provenance = json.loads((out / "provenance.json").read_text())
    digest = hashlib.sha256((tmp_path / "tracks.geojson").read_bytes()).hexdigest()
    assert digest in json.dumps(provenance)
    assert (out / "figures" / "mortality_per_crossing.png").stat().st_size > 10_000
