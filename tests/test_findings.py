"""The findings framework: one declared primary per question, multiplicity adjustment, shocks,
composition and the cluster bootstrap (issue 17)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from borderscape.analyses.battery import adjust, declare
from borderscape.analyses.battery.common import composition, denominator_breaks, shock_caveats
from borderscape.analyses.results import Outcome, Variant
from borderscape.analyses.stats.resampling import cluster_bootstrap
from borderscape.analyses.study import ENDPOINTS, Shock, load_study
from borderscape.geo.errors import StudyError

ARIZONA = load_study("arizona-sonora")


def _ran(id: str, p: float, role: str = "secondary", estimate: float = 1.0, **extra) -> Outcome:
    return Outcome(id=id, name=id, status="ran", estimate=estimate, ci=(0.0, 2.0), p_value=p, n=10, role=role, **extra)


# -- adjustment ------------------------------------------------------------------------------------


def _holm(p):
    """Holm (1979) step-down by hand, the independent reference."""
    p = np.asarray(p, float)
    order = np.argsort(p)
    m = len(p)
    out = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def _bh(p):
    """Benjamini & Hochberg (1995) step-up by hand."""
    p = np.asarray(p, float)
    m = len(p)
    order = np.argsort(p)[::-1]
    out = np.empty(m)
    running = 1.0
    for k, i in enumerate(order):
        rank = m - k
        running = min(running, p[i] * m / rank)
        out[i] = running
    return out


def test_holm_across_primaries_bh_within_each_hypothesis_none_for_descriptive():
    outcomes = [
        _ran("H1", 0.01, "primary"),
        _ran("H2.road_distance", 0.04, "primary"),
        _ran("H5", 0.03, "primary"),
        _ran("H2.slope", 0.01),
        _ran("H2.water_distance", 0.04),
        _ran("H2.ruggedness", 0.03),
        _ran("H5.trend", 0.02),
        _ran("H2.case_control", 1e-9, "descriptive"),
        Outcome.skipped("H3.fit", "routes", "no DEM", role="primary"),
    ]
    out = {o.id: o for o in adjust(outcomes)}
    holm = _holm([0.01, 0.04, 0.03])
    assert [out[k].p_adjusted for k in ("H1", "H2.road_distance", "H5")] == pytest.approx(holm)
    bh = _bh([0.01, 0.04, 0.03])
    assert [out[k].p_adjusted for k in ("H2.slope", "H2.water_distance", "H2.ruggedness")] == pytest.approx(bh)
    assert out["H5.trend"].p_adjusted == pytest.approx(0.02)  # a family of one
    assert out["H2.case_control"].p_adjusted is None and out["H3.fit"].p_adjusted is None
    # adjusting never makes a p-value smaller
    assert all(o.p_adjusted >= o.p_value for o in out.values() if o.p_adjusted is not None)


def test_holm_matches_on_random_families():
    rng = np.random.default_rng(3)
    for _ in range(20):
        p = rng.uniform(0, 0.2, size=int(rng.integers(2, 9)))
        out = adjust([_ran(f"H{i + 1}", float(v), "primary") for i, v in enumerate(p)])
        assert [o.p_adjusted for o in out] == pytest.approx(_holm(p))


# -- one declared primary per question --------------------------------------------------------------


def test_declared_endpoint_becomes_primary_and_no_other():
    got = declare(
        [_ran("H2.road_distance", 0.01), _ran("H2.slope", 0.2, "primary"), _ran("H2.trend", 0.1)], ARIZONA, "H2"
    )
    roles = {o.id: o.role for o in got}
    assert roles == {"H2.road_distance": "primary", "H2.slope": "secondary", "H2.trend": "secondary"}
    assert got[0].direction == "increase"


def test_a_missing_primary_is_added_skipped_with_the_reason():
    got = declare([Outcome.skipped("H3", "routes", "No dem layer: pass --dem FILE")], ARIZONA, "H3")
    primary = [o for o in got if o.role == "primary"]
    assert len(primary) == 1 and primary[0].id == ARIZONA.endpoints["H3"].result
    assert primary[0].status == "skipped" and "--dem" in primary[0].reason


def test_direction_and_sign_flips_are_said():
    flips = _ran(
        "H2.road_distance",
        0.01,
        estimate=500.0,
        sensitivity=(Variant("GPS-located only", 300.0), Variant("placebo split", -50.0)),
    )
    got = declare([flips], ARIZONA, "H2")[0]
    assert not any("changes sign" in c for c in got.caveats)  # only the placebo crosses zero
    flips = dataclasses.replace(flips, sensitivity=(*flips.sensitivity, Variant("short interval only", -20.0)))
    got = declare([flips], ARIZONA, "H2")[0]
    assert any("short interval only" in c and "changes sign" in c for c in got.caveats)
    assert not any("placebo" in c for c in got.caveats)  # a null placebo is the expected result
    against = declare([_ran("H2.road_distance", 0.01, estimate=-200.0)], ARIZONA, "H2")[0]
    assert any("against the direction declared" in c for c in against.caveats)
    ratio = _ran("H4.trend", 0.01, estimate=0.8, null_value=1.0)
    assert any("against" in c for c in declare([ratio], ARIZONA, "H4")[0].caveats)  # below 1: a decrease


def test_every_shipped_study_declares_one_endpoint_per_question():
    for name in ("arizona-sonora", "central-med", "western-med", "atlantic"):
        study = load_study(name)
        assert set(study.endpoints) == set(ENDPOINTS[study.battery])
        for question, endpoint in study.endpoints.items():
            assert endpoint.result.split(".")[0] == question


def test_endpoint_errors_name_the_key():
    base = ARIZONA.to_dict()
    with pytest.raises(StudyError, match="endpoints.H2.result"):
        ARIZONA.from_dict({**base, "endpoints": {"H2": {"result": "H4.trend"}}})
    with pytest.raises(StudyError, match="H9"):
        ARIZONA.from_dict({**base, "endpoints": {"H9": {"result": "H9"}}})
    with pytest.raises(StudyError, match="direction"):
        ARIZONA.from_dict({**base, "endpoints": {"H2": {"result": "H2.slope", "direction": "up"}}})


# -- shocks and composition ------------------------------------------------------------------------


def test_shock_caveats_name_shocks_near_the_split_only():
    study = ARIZONA.with_(
        shocks=(
            Shock("COVID-19", dt.date(2020, 3, 13), "lockdowns"),
            Shock("far away", dt.date(2010, 1, 1)),
            Shock("new source", dt.date(2020, 4, 1), denominator=True),
        )
    )
    caveats = shock_caveats(study, dt.date(2020, 3, 21))
    assert len(caveats) == 1 and "COVID-19" in caveats[0] and "lockdowns" in caveats[0]
    assert shock_caveats(study, dt.date(2015, 1, 1)) == ()
    assert denominator_breaks(study) == [pd.Timestamp("2020-04-01")]
    wider = study.with_(parameters={"statistics": {"shock_window_months": 120}})
    assert len(shock_caveats(wider, dt.date(2015, 1, 1))) == 2


def test_composition_shares_per_side():
    before = pd.DataFrame({"precision": ["GPS", "GPS", "estimated", None], "corridor": ["A", "B", "B", "B"]})
    after = pd.DataFrame({"precision": ["GPS"] * 3 + ["estimated"], "corridor": ["A"] * 4})
    rows = {(r.variable, r.level): r for r in composition(before, after, {"precision": "location", "corridor": "c"})}
    assert rows[("location", "GPS")].before == pytest.approx(2 / 3) and rows[("location", "GPS")].after == 0.75
    assert rows[("location", "GPS")].n_before == 3  # the unknown one is left out
    assert rows[("c", "B")].before == 0.75 and rows[("c", "B")].after == 0.0
    numeric = composition(pd.DataFrame({"x": np.arange(20.0)}), pd.DataFrame({"x": np.arange(20.0) + 10}), {"x": "x"})
    assert len(numeric) == 4 and sum(r.before for r in numeric) == pytest.approx(1.0)


def test_outcome_refuses_an_unknown_role():
    with pytest.raises(ValueError, match="role"):
        dataclasses.replace(_ran("H2.slope", 0.1), role="context")


# -- the cluster bootstrap ---------------------------------------------------------------------------


def test_cluster_bootstrap_covers_a_known_mean_when_records_are_clustered():
    """Coverage on simulated clustered data with a known mean: the cluster bootstrap is near nominal,
    the record-level interval far below it."""
    rng = np.random.default_rng(20261202)
    hits_cluster = hits_naive = 0
    worlds = 200
    g = np.repeat(np.arange(40), 25)
    for w in range(worlds):
        x = rng.normal(size=40)[g] + rng.normal(size=g.size)  # true mean 0, intra-class correlation 0.5
        res = cluster_bootstrap(g, lambda i, x=x: x[i].mean(), seed=w, resamples=299)
        hits_cluster += res.ci[0] <= 0 <= res.ci[1]
        half = 1.96 * x.std(ddof=1) / np.sqrt(x.size)
        hits_naive += abs(x.mean()) <= half
    cover, naive = hits_cluster / worlds, hits_naive / worlds
    assert 0.88 <= cover <= 0.99, cover  # nominal 0.95; the percentile bootstrap is a little short with 40 clusters
    assert naive < 0.6, naive


def test_cluster_bootstrap_is_seeded_and_keeps_strata():
    g = np.repeat(np.arange(10), 3)
    side = np.repeat([0, 1], 15)
    x = np.arange(30.0)
    seen = []

    def stat(i):
        seen.append((side[i] == 0).sum())
        return x[i].mean()

    a = cluster_bootstrap(g, stat, seed=5, resamples=50, strata=side)
    assert set(seen) == {15}  # each side keeps its 5 clusters of 3
    b = cluster_bootstrap(g, lambda i: x[i].mean(), seed=5, resamples=50, strata=side)
    assert np.array_equal(a.draws, b.draws) and a.clusters == 10


def test_a_disclosure_reaches_the_primary_results_caveats():
    got = declare([_ran("H2.road_distance", 0.01, estimate=10.0)], ARIZONA, "H2")[0]
    assert ARIZONA.endpoints["H2"].disclosure and ARIZONA.endpoints["H2"].disclosure in got.caveats
    sea = load_study("central-med")
    assert "not a blind pre-specification" in sea.endpoints["M1"].disclosure


def test_a_variant_whose_interval_includes_no_effect_is_said():
    base = dict(estimate=6000.0, sensitivity=())
    o = dataclasses.replace(_ran("H2.road_distance", 1e-4, **base), ci=(4000.0, 8000.0), n=4000)
    assert not any("includes no effect" in c for c in declare([o], ARIZONA, "H2")[0].caveats)
    wide = (
        Variant("spatial blocks of 25 km", 6000.0, (-1000.0, 11000.0), 4000, 0.3),
        Variant("GPS-located only", 7000.0, (5000.0, 9000.0), 3000),
        Variant("corridor A only", 2000.0, (-500.0, 4000.0), 600),
        Variant("placebo split at 2002", 100.0, (-900.0, 1000.0), 900),
    )
    got = declare([dataclasses.replace(o, sensitivity=wide)], ARIZONA, "H2")[0]
    text = " ".join(got.caveats)
    assert "spatial blocks of 25 km (-1e+03 to 1.1e+04)" in text
    assert "In 1 of the 2 variants on part of the records" in text and "corridor A only" in text
    assert "placebo" not in text
    # a primary whose own interval includes no effect gets no such caveat
    weak = dataclasses.replace(o, ci=(-100.0, 8000.0), sensitivity=wide)
    assert not any("includes no effect" in c for c in declare([weak], ARIZONA, "H2")[0].caveats)
