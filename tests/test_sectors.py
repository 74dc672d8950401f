"""Simulated Border Patrol sectors (borderscape.analyses.sectors) and the bookkeeping of
benchmarks/calibrate_worlds.py (issue 19, parts 1–2).

The sector tests check the stated properties of the worlds against what the mechanism makes (distances
from roads at the scale of the real records, a rising GPS share and long post-mortem intervals, repeat
encounters, drifting corridors, towers sited where people crossed), that a null world has no tower effect
by construction, and that a planted one has the stated effect.  The benchmark tests check its counts,
intervals, resumable cache and lean battery; they make no claim about the size of any test (that is the
benchmark's job, on hundreds of worlds: docs/calibration.md).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from borderscape.analyses.battery import run_battery
from borderscape.analyses.battery.h2_hardship import pmi_days
from borderscape.analyses.sectors import (
    NULL,
    PLANTED,
    PMI_CLASSES,
    SECTOR,
    SectorParams,
    TowerEffect,
    parameter_table,
    pmi_class,
    realised_effect,
    sector_inputs,
    sector_study,
    simulate_sector,
    siting_correlation,
    summary,
)
from borderscape.analyses.study import load_study
from borderscape.geo.errors import InputError

LARGE = next(e for e in PLANTED if e.label == "large")
#: A small sector for the benchmark's bookkeeping: fast, with every layer of a full one.
TINY = SectorParams(
    width_km=40.0,
    depth_km=30.0,
    res_m=1000.0,
    highway_km=20.0,
    ns_roads=1,
    corridors=3,
    deaths_per_year=60.0,
    towers=(("RVSS", "2006-09-21", 2), ("IFT", "2015-06-01", 2), ("AST", "2020-07-01", 2)),
)


def _load():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "calibrate_worlds.py"
    spec = importlib.util.spec_from_file_location("calibrate_worlds", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses and worker processes look the module up by name
    spec.loader.exec_module(mod)
    return mod


cw = _load()


@pytest.fixture(scope="module")
def worlds():
    """Four null sectors (for properties that hold on average)."""
    return [simulate_sector(seed=s) for s in (1, 2, 3, 4)]


@pytest.fixture(scope="module")
def pair():
    """A null sector and the planted sector of the same seed (large effect)."""
    return simulate_sector(seed=7), simulate_sector(seed=7, effect=LARGE)


# -- the worlds ---------------------------------------------------------------------------------------
def test_a_sector_has_the_scale_of_the_real_records(worlds):
    for w in worlds:
        s = summary(w)
        width = (w.dem.bounds[2] - w.dem.bounds[0]) / 1000.0
        assert width >= 100.0  # at least 100 km of border
        assert 1500 <= s["remains"] <= 3000  # "a few thousand remains over 20+ years"
        years = w.remains.frame["date"].dt.year
        assert years.min() == 2000 and years.max() == 2024
        # remains lie several km from roads (the 14 km toy worlds: 0.75-1.2 km; the real records 6-13 km)
        for key in ("road_km_before", "road_km_after"):
            assert 3.0 <= s[key] <= 13.0, (key, s[key])
    # on average the records move away from roads without any tower effect (search and GPS), as in the real records
    assert np.mean([summary(w)["road_km_after"] - summary(w)["road_km_before"] for w in worlds]) > 1.0


def test_gps_spreads_and_long_post_mortem_intervals_rise(worlds):
    before = np.mean([summary(w)["gps_before"] for w in worlds])
    after = np.mean([summary(w)["gps_after"] for w in worlds])
    assert 0.25 <= before <= 0.45 and 0.80 <= after <= 0.95  # real: 36 % -> 86 %
    rise = np.mean([summary(w)["long_pmi_after"] - summary(w)["long_pmi_before"] for w in worlds])
    assert rise > 0.05  # real: 13 % -> 26 %
    # every class is read back by H2's reader, and the body condition follows the interval as in the records
    frame = worlds[0].remains.frame
    bodies = {c: b for _, c, b in PMI_CLASSES}
    assert frame["post_mortem_interval"].map(pmi_days).notna().all()
    assert (frame["body_condition"] == frame["post_mortem_interval"].map(bodies)).all()


def test_pmi_classes_bound_the_delay_like_the_h2_reader():
    days = np.array([0.0, 0.5, 1.0, 1.5, 7.0, 8.0, 21.0, 35.0, 36.0, 91.0, 100.0, 243.0, 300.0, 5000.0])
    classes, _ = pmi_class(days)
    assert list(classes[:4]) == ["< 1 day", "< 1 day", "< 1 day", "< 1 week"]
    uppers = np.array([pmi_days(c) for c in classes])
    order = [c for _, c, _ in PMI_CLASSES]
    lowers = np.array([0.0 if order.index(c) == 0 else pmi_days(order[order.index(c) - 1]) for c in classes])
    assert (days <= uppers).all() and ((days > lowers) | (days <= 1.0)).all()


def test_repeat_encounters_raise_encounters_per_crosser_under_expulsions(worlds):
    w = worlds[0]
    p = w.truth.params
    m = w.truth.monthly.dropna(subset=["encounters"]).reset_index(drop=True)
    assert len(m) == p.encounter_months and m["month"].iloc[0] == pd.Timestamp("2019-10-01")
    apprehended = np.linspace(*p.apprehended, p.encounter_months)
    per = m["encounters"].to_numpy(float) / (m["crossers"].to_numpy() * apprehended)
    start, end = (pd.Timestamp(d) for d in p.expulsions)
    under = ((m["month"] >= start.to_period("M").to_timestamp()) & (m["month"] < end)).to_numpy()
    repeat = w.truth.draws["repeat_encounters"]
    assert p.repeat[0] <= repeat <= p.repeat[1]
    assert per[under].sum() / under.sum() == pytest.approx(repeat, rel=0.02)
    assert per[~under].mean() == pytest.approx(1.0, rel=0.02)
    enc = w.encounters.frame
    t42 = enc[enc["authority"] == "Title 42"]
    assert (t42["month"] >= start.to_period("M").to_timestamp()).all() and (t42["month"] < end).all()
    assert set(enc["area_of_responsibility"]) == {SECTOR}


def test_crossing_geography_drifts_but_not_in_a_stationary_sector(worlds):
    def corridor_p(world):
        d = world.truth.deaths[world.truth.deaths["died_null"]]
        early = d[d["date"].dt.year <= 2006]["corridor"].value_counts()
        late = d[d["date"].dt.year >= 2018]["corridor"].value_counts()
        idx = sorted(set(early.index) | set(late.index))
        return stats.chi2_contingency(np.array([early.reindex(idx, fill_value=0), late.reindex(idx, fill_value=0)]))[1]

    assert all(corridor_p(w) < 1e-6 for w in worlds)
    still = simulate_sector(seed=1, params=SectorParams().stationary())
    assert corridor_p(still) > 0.01


def test_towers_are_sited_where_people_crossed(worlds):
    r = [siting_correlation(w) for w in worlds]
    assert np.mean(r) > 0.5
    # the same statistic for towers placed uniformly along the border is about 0
    rng = np.random.default_rng(0)
    random_r = []
    for w in worlds:
        left, _, right, _ = w.dem.bounds
        t = w.truth
        first = pd.Timestamp(t.intervention)
        d = t.deaths[t.deaths["died_null"] & (t.deaths["date"] >= first - pd.DateOffset(months=24))]
        d = d[d["date"] < first]
        edges = np.arange(left, right + 5000.0, 5000.0)
        deaths, _ = np.histogram(d["x0"], bins=edges)
        for _ in range(25):
            towers, _ = np.histogram(rng.uniform(left, right, len(t.towers)), bins=edges)
            random_r.append(np.corrcoef(deaths, towers)[0, 1])
    assert abs(np.mean(random_r)) < 0.1
    assert np.mean([w.truth.towers["intensity"].mean() for w in worlds]) > 1.5


def test_a_null_sector_has_no_tower_effect_by_construction(pair):
    null, _ = pair
    d = null.truth.deaths
    assert (d["x"] == d["x0"]).all() and (d["y"] == d["y0"]).all()
    assert (d["road_m"] == d["road_null_m"]).all() and (d["died"] == d["died_null"]).all()
    real = realised_effect(null)
    assert [real[k] for k in ("shift_exposed_km", "shift_median_km", "extra_deaths", "extra_records")] == [0.0] * 4
    assert 0.2 < real["exposed_share"] < 0.8  # the towers see people; they change nothing
    # towers deployed elsewhere and at other dates leave every record and encounter of a null sector unchanged
    moved = simulate_sector(
        seed=7, params=SectorParams(towers=(("IFT", "2012-01-01", 10), ("AST", "2021-01-01", 3)), tower_y_km=(5, 30))
    )
    assert not moved.towers.frame["active_from"].equals(null.towers.frame["active_from"])
    cols = ["date", "location_precision", "post_mortem_interval", "corridor"]
    pd.testing.assert_frame_equal(moved.remains.frame[cols], null.remains.frame[cols])
    assert moved.remains.frame.geometry.equals(null.remains.frame.geometry)
    pd.testing.assert_frame_equal(moved.encounters.frame, null.encounters.frame)


def test_a_planted_sector_moves_the_exposed_by_about_the_stated_distance(pair):
    null, planted = pair
    d = planted.truth.deaths
    exposed = d["exposed"].to_numpy()
    shift = (d["road_m"] - d["road_null_m"]).to_numpy() / 1000.0
    # pushed up the gradient of the distance to roads: about the stated km, less where the push meets a
    # ridge of that field, the border or the highway
    assert 0.75 * LARGE.shift_km <= shift[exposed].mean() <= 1.02 * LARGE.shift_km
    assert (shift[~exposed] == 0).all()
    # exposed crossers die (1 + m) times as often; the null world's deaths are a subset of the planted world's
    assert d.loc[exposed, "died"].sum() / d.loc[exposed, "died_null"].sum() == pytest.approx(
        1 + LARGE.extra_mortality, abs=0.12
    )
    assert (d["died"] | ~d["died_null"]).all() and (d.loc[~exposed, "died"] == d.loc[~exposed, "died_null"]).all()
    # same seed: every draw but the effect is shared
    base = null.truth.deaths
    mine = d[d["died_null"]].reset_index(drop=True)
    assert np.array_equal(mine["x0"], base["x0"]) and np.array_equal(mine["date"], base["date"])
    assert (planted.dem.array == null.dem.array).all()
    real = realised_effect(planted)
    assert real["shift_median_km"] > 0.5 and real["extra_deaths"] > 0.05 and 0.2 < real["exposed_share"] < 0.8
    small = simulate_sector(seed=7, effect=PLANTED[0])
    ds = small.truth.deaths
    s = ((ds["road_m"] - ds["road_null_m"]) / 1000.0)[ds["exposed"]]
    assert s.mean() == pytest.approx(PLANTED[0].shift_km, rel=0.1)


def test_same_seed_same_sector_and_typed_errors():
    a, b, c = simulate_sector(seed=5), simulate_sector(seed=5), simulate_sector(seed=6)
    pd.testing.assert_frame_equal(a.remains.frame.drop(columns="geometry"), b.remains.frame.drop(columns="geometry"))
    assert a.remains.frame.geometry.equals(b.remains.frame.geometry)
    pd.testing.assert_frame_equal(a.encounters.frame, b.encounters.frame)
    assert (a.dem.array == b.dem.array).all() and not (a.dem.array == c.dem.array).all()
    with pytest.raises(InputError):
        simulate_sector(seed=None)
    with pytest.raises(InputError):
        TowerEffect("bad", -1.0, 0.0)
    with pytest.raises(InputError):
        TowerEffect("bad", 1.0, 1.5)
    with pytest.raises(InputError):
        SectorParams(highway_km=80.0)
    names = [row[0] for row in parameter_table()]
    assert names == [f.name for f in dataclasses.fields(SectorParams)]


def test_the_sector_study_is_the_shipped_study_moved(pair):
    null, _ = pair
    study = sector_study(null, seed=3)
    shipped = load_study("arizona-sonora")
    assert dict(study.endpoints) == dict(shipped.endpoints)
    assert study.params.h4.sectors == (SECTOR,)
    assert study.params.hardship.split == null.truth.intervention == study.interventions[0].date
    assert set(sector_inputs(null).layers) == set(null.layers)


# -- the benchmark ----------------------------------------------------------------------------------
def _rep(source, index, ran, sides, **kw):
    return cw.WorldReplicate(source, index, index, ran, kw.pop("skipped", {}), 1.0, sides=sides, **kw)


def test_size_power_and_direction_are_counted_on_the_adjusted_p():
    reps = [
        _rep("null", 0, {"H2.road_distance": (0.001, 0.004), "H5": (0.001, 0.003)}, {"H2.road_distance": 1, "H5": -1}),
        _rep("null", 1, {"H2.road_distance": (0.01, 0.06), "H5": (0.5, 0.5)}, {"H2.road_distance": 1, "H5": 1}),
        _rep("null", 2, {"H2.road_distance": (0.2, 0.2)}, {"H2.road_distance": -1}, skipped={"H5": "too few"}),
        _rep("large", 0, {"H2.road_distance": (0.001, 0.002), "H5": (0.01, 0.02)}, {"H2.road_distance": 1, "H5": 1}),
        _rep("large", 1, {"H2.road_distance": (0.001, 0.002), "H5": (0.01, 0.02)}, {"H2.road_distance": -1, "H5": 1}),
    ]
    cal = cw.calibrate(reps)
    h2, h5 = cal.rows[("null", "H2.road_distance")], cal.rows[("null", "H5")]
    assert (h2.ran, h2.rejected, h2.rejected_raw) == (3, 1, 2) and h2.ci == cw.summarise(reps)[0].ci
    assert (h5.ran, h5.rejected, h5.skipped_because) == (2, 1, "too few")
    # H5 rejected once, against the declared direction: size 1/2, size in the declared direction 0/2
    assert cal.declared[("null", "H5")].rejected == 0 and cal.declared[("null", "H2.road_distance")].rejected == 1
    # power counts only rejections in the declared direction
    assert cal.declared[("large", "H2.road_distance")].rejected == 1 and cal.declared[("large", "H5")].rejected == 2
    assert cal.ids == ("H2.road_distance", "H5", cw.ANY)
    lines = cw.table_lines(cal)
    assert len(lines) == 2 + 3 and "1/3 = 33.3 %" in lines[2] and "| 1/2 = 50.0 %" in lines[3]
    words = "\n".join(cw.wording(cal, [LARGE]))
    assert "falsely signals (adjusted p < 0.05) in 33.3 % of worlds" in words
    assert "planted tower effect in 50.0 % (large) of worlds" in words and "0.0 % in the direction" in words


def test_a_tiny_calibration_runs_resumes_and_reports(tmp_path):
    cache = tmp_path / "cache.jsonl"
    task_list = cw.tasks(2, 1, 11, [LARGE], 19, 19, "lean", 1, params=TINY)
    reps, reused = cw.run(task_list, 1, cache, "k", progress=False)
    assert reused == 0 and [(r.source, r.index, r.seed) for r in reps] == [
        ("null", 0, 11),
        ("null", 1, 12),
        ("large", 0, 11),
        ("stationary", 0, 11),
    ]
    assert not any(r.error for r in reps), [r.error for r in reps]
    for r in reps:
        assert set(r.ran) | set(r.skipped) == {"H1", "H2.road_distance", "H3.fit", "H4.trend", "H5"}
        assert "H2.road_distance" in r.ran and "withheld in the sector calibration" in r.skipped["H3.fit"]
        assert r.world["remains"] > 100 and set(r.sides) == set(r.ran)
    assert reps[0].realised["extra_deaths"] == 0 and reps[2].realised["extra_deaths"] > 0
    lines = cache.read_text().splitlines()
    assert len(lines) == 4 and all(json.loads(x)["key"] == "k" for x in lines)
    # a rerun takes every world from the cache; another fingerprint runs them again
    again, reused = cw.run(task_list, 1, cache, "k", progress=False)
    assert reused == 4 and [r.ran for r in again] == [r.ran for r in reps]
    with cache.open("a") as f:
        f.write('{"key": "k", "replicate": {"sour')  # a torn last line is ignored
    assert len(cw.read_cache(cache, "k")) == 4 and cw.read_cache(cache, "other") == {}
    cal = cw.calibrate(reps)
    text = cw.report(cal, reps, [LARGE], TINY, {"command": "python benchmarks/calibrate_worlds.py --null 2"})
    assert "python benchmarks/calibrate_worlds.py --null 2" in text and "| H2.road_distance | 2 / 2 |" in text
    assert "size in stationary sectors" in text and "| width_km | 40 |" in text


def test_the_lean_battery_gives_run_battery_s_primaries_for_h1_h2_h4():
    world = simulate_sector(seed=3, effect=LARGE, params=TINY)
    study = sector_study(
        world, seed=3, parameters={"statistics": {"permutations": 19}, "displacement": {"bootstrap": 19}}
    )
    lean = {o.id: o for o in cw.lean_battery(study, world)}
    full = {o.id: o for o in run_battery(study, sector_inputs(world)).outcomes}
    for key in ("H1", "H2.road_distance", "H4.trend"):
        assert lean[key].status == full[key].status == "ran"
        assert (lean[key].estimate, lean[key].p_value) == (full[key].estimate, full[key].p_value)
    assert lean["H3.fit"].status == "skipped" and full["H3.fit"].status == "ran"
    # Holm across the primaries that ran: the adjusted p of each is at least its raw p
    ran = [o for o in lean.values() if o.role == "primary" and o.status == "ran"]
    assert len(ran) == 4 and all(o.p_adjusted >= o.p_value for o in ran)
    assert all(o.direction in ("increase", "decrease") for o in ran) and NULL.is_null


def test_the_calibration_said_on_the_results_is_the_report():
    """analyses/calibration.py carries docs/calibration.md's wording: regenerate one, update the other
    (python benchmarks/calibrate_worlds.py, then copy its wording section)."""
    import pathlib
    import re

    from borderscape.analyses.calibration import SECTOR_WORDING, sector_caveat

    text = (pathlib.Path(__file__).parents[1] / "docs" / "calibration.md").read_text(encoding="utf-8")
    section = text.split("### Wording for the README and the briefing", 1)[1].split("\n### ", 1)[0]
    assert dict(re.findall(r"^- \*\*([^*]+)\*\*: (.+)$", section, re.M)) == SECTOR_WORDING
    assert SECTOR_WORDING["H2.road_distance"] in sector_caveat("H2.road_distance")
    assert sector_caveat("M1.change") is None
