"""The maritime battery (borderscape.analyses.battery, M1 … M5): rates, distances, SAR shares, coverage at sea."""

from __future__ import annotations

import datetime as dt
import json
import math
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
from borderscape.analyses.battery.common import intervention_windows, precise_deaths
from borderscape.analyses.battery.m1_mortality import change_ratio, m1_mortality, pooled_rate
from borderscape.analyses.battery.m2_distances import _median_difference, m2_distances, monthly_trend
from borderscape.analyses.battery.m3_sar_regions import count_in_regions
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.stats.tests import risk_ratio, share_difference
from borderscape.analyses.stats.trends import mann_kendall
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


def _shipwreck_months(rng, months=120, boat=80, q=0.004, frac=0.6):
    """Crossers travel in boats of ``boat``; a boat sinks with probability ``q`` and ``frac`` of its people
    die: deaths come in shipwrecks.  The true rate is ``q * frac``."""
    n = rng.integers(4000, 20000, months)
    boats = n // boat
    sinks = rng.binomial(boats, q)
    k = np.array([rng.binomial(boat, frac, s).sum() if s else 0 for s in sinks])
    return k, boats * boat, q * frac


@pytest.mark.slow
def test_month_block_interval_covers_a_known_rate_where_clopper_pearson_does_not():
    """Seeded shipwreck worlds with a known rate: the month-block interval is several times wider than the
    Clopper–Pearson one and covers the rate in about 95 % of worlds; Clopper–Pearson does not."""
    rng = np.random.default_rng(11)
    worlds, cover_block, cover_cp, ratio = 150, 0, 0, []
    for _ in range(worlds):
        k, n, p = _shipwreck_months(rng)
        r = pooled_rate(k, n, np.arange(len(k)), rng=rng, resamples=199)
        assert r["estimate"] == pytest.approx(k.sum() / n.sum())
        cover_block += r["ci"][0] <= p <= r["ci"][1]
        cover_cp += r["cp_ci"][0] <= p <= r["cp_ci"][1]
        ratio.append((r["ci"][1] - r["ci"][0]) / (r["cp_ci"][1] - r["cp_ci"][0]))
        assert r["phi"] > 5  # the dispersion statistic sees the shipwrecks
    mc = np.sqrt(0.95 * 0.05 / worlds)  # Monte Carlo error of a 95 % coverage
    assert abs(cover_block / worlds - 0.95) < 3.5 * mc, cover_block / worlds
    assert cover_cp / worlds < 0.6
    assert np.median(ratio) > 3


def test_quasi_binomial_dispersion_matches_a_hand_computed_pearson_statistic():
    rng = np.random.default_rng(4)
    k, n, _ = _shipwreck_months(rng, months=60)
    r = pooled_rate(k, n, np.arange(60), rng=rng, resamples=99)
    p = k.sum() / n.sum()
    phi = ((k - n * p) ** 2 / (n * p * (1 - p))).sum() / 59
    assert r["phi"] == pytest.approx(phi, rel=1e-10)
    half = stats.norm.ppf(0.975) * np.sqrt(phi / (n.sum() * p * (1 - p)))  # Wald on the logit scale
    logit = np.log(p / (1 - p))
    expect = 1 / (1 + np.exp(-(logit - half))), 1 / (1 + np.exp(-(logit + half)))
    assert r["quasi_ci"] == pytest.approx(expect, rel=1e-6)


def _seasonal_months(rng, ratio, months=48, split=24, phi=30):
    """Monthly deaths with a season, a step of ``ratio`` at ``split`` and variance phi × mean (a scaled
    Poisson: the quasi-Poisson model exactly)."""
    dates = pd.date_range("2016-07-01", periods=months, freq="MS")
    n = rng.integers(5000, 20000, months).astype(float)
    season = 1 + 0.5 * np.sin(2 * np.pi * dates.month / 12)
    mu = n * 0.015 * season * np.where(np.arange(months) >= split, ratio, 1.0)
    k = phi * rng.poisson(mu / phi)
    frame = pd.DataFrame({"date": dates, "month": dates.strftime("%Y-%m"), "dead_missing": k, "crossings": n})
    return frame, dates[split]


def test_change_ratio_equals_a_statsmodels_formula_fit():
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    data, split = _seasonal_months(np.random.default_rng(5), 1.8)
    est, ci, p, fit = change_ratio(data, split)
    d = data.assign(after=(data["date"] >= split).astype(int), moy=data["date"].dt.month)
    ref = smf.glm("dead_missing ~ after + C(moy)", d, family=sm.families.Poisson(), offset=np.log(d["crossings"])).fit(
        scale="X2", use_t=True
    )
    assert est == pytest.approx(np.exp(ref.params["after"]), rel=1e-9)
    assert ci == pytest.approx(tuple(np.exp(ref.conf_int().loc["after"])), rel=1e-9)
    assert p == pytest.approx(ref.pvalues["after"], rel=1e-6)
    assert fit.scale == pytest.approx(ref.pearson_chi2 / ref.df_resid, rel=1e-9)


@pytest.mark.slow
def test_change_ratio_covers_a_planted_ratio_and_holds_its_size():
    rng = np.random.default_rng(6)
    worlds = 150
    for planted in (1.8, 1.0):
        cover = reject = 0
        for _ in range(worlds):
            data, split = _seasonal_months(rng, planted, phi=10)
            _, ci, p, _ = change_ratio(data, split)
            cover += ci[0] <= planted <= ci[1]
            reject += p < 0.05
        mc = np.sqrt(0.95 * 0.05 / worlds)
        assert abs(cover / worlds - 0.95) < 3.5 * mc, (planted, cover / worlds)
        if planted == 1.0:
            assert reject / worlds <= 0.05 + 3.5 * mc
        else:
            assert reject / worlds > 0.9


def test_interventions_in_one_month_make_one_split(central):
    study, _ = central
    dates = pd.Series(pd.date_range("2014-01-01", "2024-12-01", freq="MS"))
    windows = intervention_windows(study, dates, 24)
    splits = [w.split for w in windows]
    assert len(splits) == len(set(splits))
    merged = next(w for w in windows if w.split == pd.Timestamp("2014-11-01"))
    assert len(merged.names) == 2 and merged.label == "2014-10-31"
    assert {w.split.day for w in windows} == {1}
    # 2018-06-28 splits at July, 2019-08-05 at August
    assert {pd.Timestamp("2018-07-01"), pd.Timestamp("2019-08-01")} <= set(splits)
    # cut at a denominator break: the Triton expansion's window starts at the Libyan interceptions (2016-01)
    cut = intervention_windows(study, dates, 24, breaks=[pd.Timestamp("2016-01-01")])
    mou = next(w for w in cut if w.label == "2017-02-02")
    assert mou.start == pd.Timestamp("2016-01-01") and mou.cut == (pd.Timestamp("2016-01-01"),)


def _study_with(study, **maritime):
    import dataclasses as dc

    return study.with_(parameters=dc.replace(study.params, maritime=dc.replace(study.params.maritime, **maritime)))


def test_min_months_rule_makes_short_comparisons_descriptive(central):
    study, inputs = central
    out = {o.id: o for o in m1_mortality(study, inputs, np.random.default_rng(0)).outcomes}
    mn = out["M1.central.its.2014-10-31"]  # 10 months of series before the end of Mare Nostrum
    assert mn.role == "descriptive" and math.isnan(mn.p_value) and "min_months" in mn.method
    assert "M1.central.its.2014-11-01" not in out  # merged with the end of Mare Nostrum
    srr = out["M1.central.its.2018-06-28"]
    assert srr.role == "secondary" and srr.parameters["months_before"] >= 24 and srr.parameters["months_after"] >= 24
    assert "month of year" in srr.method
    # periods too short for the rule: no test, a skipped M1.change and a descriptive crude ratio
    short = _study_with(study, change_periods=(dt.date(2017, 7, 1), dt.date(2018, 7, 1), dt.date(2019, 7, 1)))
    got = {o.id: o for o in m1_mortality(short, inputs, np.random.default_rng(0)).outcomes}
    assert got["M1.change"].status == "skipped" and "min_months = 24" in got["M1.change"].reason
    assert got["M1.change.descriptive"].role == "descriptive"
    # periods across the 2016-01 denominator break: no test either
    across = _study_with(study, change_periods=(dt.date(2015, 1, 1), dt.date(2017, 1, 1), dt.date(2019, 1, 1)))
    got = {o.id: o for o in m1_mortality(across, inputs, np.random.default_rng(0)).outcomes}
    assert got["M1.change"].status == "skipped" and "2016-01-01" in got["M1.change"].reason


def test_pooled_rate_and_change_on_real_data(battery_run):
    outcomes = {o.id: o for o in battery_run.outcomes}
    pooled = outcomes["M1.central"]
    assert pooled.status == "ran" and pooled.role == "descriptive" and math.isnan(pooled.p_value)
    cp = pooled.parameters["clopper_pearson_ci"]
    # the interval reflects shipwreck clustering: about 15 times the width of the independent one
    assert (pooled.ci[1] - pooled.ci[0]) > 8 * (cp[1] - cp[0])
    assert pooled.parameters["dispersion_phi"] > 50 and "block bootstrap" in pooled.method
    change = outcomes["M1.change"]
    assert change.role == "primary" and change.status == "ran" and change.p_adjusted is not None
    assert change.null_value == 1.0 and change.direction == "either"
    assert change.parameters["months_before"] == change.parameters["months_after"] == 24
    assert change.ci[0] < change.estimate < change.ci[1]
    names = " | ".join(v.name for v in change.sensitivity)
    assert "month-block" in names and "denominator arrivals" in names and "without 2020" in names
    assert any("Themis" in c for c in change.caveats) and any("COVID-19" in c for c in change.caveats)
    assert {r.variable for r in change.composition} >= {"component of the crossings"}


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


def test_nearest_active_area_equals_measuring_to_the_areas_in_force():
    areas = gpd.GeoDataFrame(
        {
            "operation": ["A", "B"],
            "active_from": pd.to_datetime(["2015-01-01", "2016-06-01"]),
            "active_to": pd.to_datetime(["2017-12-31", pd.NaT]),
        },
        geometry=[shapely.box(12, 35, 13, 36), shapely.box(13.5, 34, 15, 35.2)],
        crs="EPSG:4326",
    )
    rng = np.random.default_rng(8)
    pts = gpd.GeoDataFrame(
        {"date": pd.to_datetime("2014-06-01") + pd.to_timedelta(rng.integers(0, 2500, 40), unit="D")},
        geometry=shapely.points(rng.uniform(11, 16, 40), rng.uniform(33, 37, 40)),
        crs="EPSG:4326",
    )
    labels, each = sea.distance_to_each_area(pts, areas, crs="EPSG:32633")
    assert labels == ["A", "B"]
    direct = sea.distance_to_active_areas(pts, areas, crs="EPSG:32633")
    np.testing.assert_allclose(sea.nearest_active(each, areas, pts["date"]), direct, rtol=1e-9, equal_nan=True)
    assert np.isnan(direct).any() and (direct == 0).any()
    assert sea.area_changes(areas, "2014-01-01", "2020-01-01") == [
        pd.Timestamp("2015-01-01"),
        pd.Timestamp("2016-06-01"),
        pd.Timestamp("2018-01-01"),
    ]


def test_monthly_trend_is_mann_kendall_on_the_monthly_medians():
    rng = np.random.default_rng(9)
    dates = pd.to_datetime("2015-01-01") + pd.to_timedelta(rng.integers(0, 2000, 600), unit="D")
    km = 100 + 0.01 * (dates - dates.min()).days.to_numpy() + rng.normal(0, 30, 600)
    got = monthly_trend(dates, km, minimum=3, autocorrelation="yue-wang")
    frame = pd.DataFrame({"m": dates.to_period("M"), "km": km})
    med = frame.groupby("m")["km"].agg(["median", "size"])
    med = med[med["size"] >= 3]
    ref = mann_kendall(med["median"].to_numpy(), med.index.to_timestamp(), autocorrelation="yue-wang")
    assert got.estimate == pytest.approx(ref.estimate) and got.p_value == pytest.approx(ref.p_value)
    assert got.n == len(med) and got.parameters["events"] == int(med["size"].sum())
    assert got.ci[0] < 0.01 * 365.25 < got.ci[1]  # the planted slope, km per year


@pytest.mark.slow
def test_whole_month_comparison_holds_its_size_when_incidents_cluster_by_month():
    """Simulated incidents with a shared effect per month and no change: the month-permutation test rejects
    in about 5 % of worlds and the month-block interval covers 0; treating incidents as independent
    rejects far more often."""
    rng = np.random.default_rng(2)
    worlds, reject_month, reject_iid, cover = 120, 0, 0, 0
    months = np.repeat(np.arange(48), 15)
    after = months >= 24
    for _ in range(worlds):
        v = np.repeat(rng.normal(0, 30, 48), 15) + rng.normal(0, 20, months.size)
        c = sea.month_block_comparison(v, months, after, _median_difference, seed=rng, resamples=99, permutations=99)
        naive = sea.month_block_comparison(
            v, np.arange(v.size), after, _median_difference, seed=rng, resamples=1, permutations=99
        )
        assert c.estimate == pytest.approx(np.median(v[after]) - np.median(v[~after]))
        reject_month += c.p_value < 0.05
        reject_iid += naive.p_value < 0.05
        cover += c.ci[0] <= 0 <= c.ci[1]
    mc = np.sqrt(0.05 * 0.95 / worlds)
    assert reject_month / worlds <= 0.05 + 3.5 * mc
    assert cover / worlds >= 0.95 - 3.5 * mc
    assert reject_iid / worlds > 0.3


def test_a_month_on_both_sides_is_refused():
    with pytest.raises(InputError, match="both sides"):
        sea.month_block_comparison(
            np.arange(4.0),
            ["2020-01", "2020-01", "2020-02", "2020-02"],
            [False, True, True, True],
            _median_difference,
            seed=0,
        )


def test_distance_outcomes_on_real_data(battery_run):
    outcomes = {o.id: o for o in battery_run.outcomes}
    for oid in ("M2.deaths.coast", "M2.detections.coast", "M2.deaths.coverage", "M2.detections.coverage"):
        assert outcomes[oid].status == "ran" and outcomes[oid].n >= 30  # months, not incidents
        assert "monthly medians" in outcomes[oid].method and outcomes[oid].parameters["events"] >= 100
    primary = outcomes["M2.deaths.coast"]
    assert primary.role == "primary" and primary.p_adjusted is not None and "Yue & Wang" in primary.method
    assert {v.name for v in primary.sensitivity} >= {
        "no autocorrelation correction",
        "monthly means instead of medians",
    }
    # Triton → Themis: the distance to the area in force moves with the area; the result says so and
    # gives the same incidents measured to one area held fixed
    themis = outcomes["M2.deaths.coverage.2018-02-01"]
    assert any("operational area in force changes" in c for c in themis.caveats)
    fixed = [v for v in themis.sensitivity if "held fixed" in v.name]
    assert len(fixed) == 3 and all(abs(v.estimate) < abs(themis.estimate) / 3 for v in fixed)
    assert "month-block bootstrap" in themis.method and themis.composition
    assert not any(o.id.endswith(".2014-11-01") for o in battery_run.outcomes)  # merged with 2014-10-31
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
    assert lby.role == "primary" and "month-block bootstrap" in lby.method and lby.p_adjusted is not None
    assert lby.parameters["months_before"] == lby.parameters["months_after"] == 24
    mn = outcomes["M3.LBY.2014-10-31"]  # 10 months of incidents before: no test
    assert mn.role == "descriptive" and math.isnan(mn.p_value)
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
    assert aerial.role == "primary" and aerial.null_value == 1.0 and "cluster-robust" in aerial.method
    katz = next(v for v in aerial.sensitivity if v.name.startswith("Katz"))
    assert (aerial.ci[1] / aerial.ci[0]) > (katz.ci[1] / katz.ci[0])  # months cluster: a wider interval


def test_cluster_robust_risk_ratio_matches_gee_with_the_small_sample_factor():
    """The modified Poisson regression with a cluster-robust variance (statsmodels GLM) against GEE
    (independence, robust), which omits the G/(G-1) (N-1)/(N-K) factor."""
    import statsmodels.api as sm

    from borderscape.analyses.battery.m4_assets import _cluster_poisson

    rng = np.random.default_rng(12)
    months = np.repeat([f"2016-{m:02d}" for m in range(1, 13)] * 3, 20)
    cls = rng.choice(["vessel", "aerial", "ngo"], months.size)
    risk = 0.1 * np.where(cls == "aerial", 1.5, 1.0) * np.repeat(rng.gamma(2, 0.5, 36), 20)
    d = pd.DataFrame({"cls": cls, "month": months, "dead": rng.binomial(1, np.clip(risk, 0, 1))})
    got = _cluster_poisson(d, 0.95)
    x = sm.add_constant(pd.DataFrame({c: (cls == c).astype(float) for c in ("aerial", "ngo")}))
    groups = pd.factorize(d["month"])[0]
    gee = sm.GEE(d["dead"], x, groups=groups, family=sm.families.Poisson()).fit()
    g, n, k = 12, len(d), 3
    se = np.sqrt(gee.cov_robust[1, 1] * g / (g - 1) * (n - 1) / (n - k))
    z = stats.norm.ppf(0.975)
    est, ci, _ = got["aerial"]
    crude = d.loc[cls == "aerial", "dead"].mean() / d.loc[cls == "vessel", "dead"].mean()
    assert est == pytest.approx(crude, rel=1e-8)
    assert ci == pytest.approx((est * np.exp(-z * se), est * np.exp(z * se)), rel=1e-6)


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
    assert {"M1.central", "M1.change", "M3.LBY.2018-06-28", "M4.aerial"} <= ids
    for q in ("M1", "M2", "M3", "M4"):
        primaries = [t for t in results["tests"] if t["id"].split(".")[0] == q and t["role"] == "primary"]
        assert len(primaries) == 1 and primaries[0]["status"] == "ran" and primaries[0]["p_adjusted"] is not None
    # no p-value on a descriptive result
    assert all(t["p_value"] is None for t in results["tests"] if t["role"] == "descriptive" and t["id"][:2] != "M5")
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
