"""M6 (borderscape.analyses.battery.m6_interceptions): aerial surveillance and the share of attempted
crossings ended by the Libyan coast guard — on the real central-Mediterranean data and on simulated
monthly series with a known answer (no effect: the size of the test; a planted effect: its power).

The null-size and power checks are small here (100 and 40 series with 99 resamples each); the larger
measurement quoted in the result (1,700 series, 5.4 %) is the same simulation with
``M6_SIZE_SERIES=1000 M6_RESAMPLES=199``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from borderscape.analyses.battery import MARITIME, adjust, declare
from borderscape.analyses.battery.m6_interceptions import (
    ASSET_COLUMNS,
    MONTHLY_COLUMNS,
    _wald,
    aerial_odds_ratio,
    flight_activity,
    level_shifts,
    m6_interceptions,
)
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.params import Maritime
from borderscape.analyses.stats.models import _quasi_binomial_t, null_bootstrap_odds_ratio
from borderscape.analyses.study import load_study
from borderscape.geo.errors import InputError
from borderscape.layers.ingest import ingest

MONTHLY_CSV = (
    "iom-mediterranean-crossings-monthly/iom_med_atlantic_crossings_interceptions_deaths_monthly_2014_2025.csv"
)
INCIDENTS_CSV = "frontex-central-med-boat-incidents/frontex_pad194_themis_triton_boat_incidents_2014_2023.csv"


@pytest.fixture(scope="module")
def central(data_dir):
    study = load_study("central-med")
    layers = {role: ingest(study.layers[role], data_dir=data_dir) for role in ("crossings", "incidents")}
    return study, StudyInputs(layers)


@pytest.fixture(scope="module")
def m6(central):
    study, inputs = central
    section = m6_interceptions(study, inputs, np.random.default_rng(20180628))
    return section, {o.id: o for o in adjust(declare(section.outcomes, study, "M6"))}


# -- the real data -------------------------------------------------------------------------------------


def test_m6_is_in_the_sea_battery_and_declared_in_the_study():
    assert ("M6", m6_interceptions) in MARITIME
    endpoint = load_study("central-med").endpoints["M6"]
    assert endpoint.result == "M6.aerial" and endpoint.direction == "increase" and endpoint.disclosure
    assert Maritime().aerial_lags == (1, 2)


def test_monthly_table_matches_an_independent_recomputation(data_dir, m6):
    """The pull-back share per month from the raw CSV with plain pandas; 2021's Libyan total is IOM's 32,425."""
    section, _ = m6
    table = section.tables["m6_monthly"]
    assert list(table.columns) == MONTHLY_COLUMNS
    raw = pd.read_csv(Path(data_dir) / MONTHLY_CSV)
    raw["month"] = pd.to_datetime(raw["date"]).dt.strftime("%Y-%m")
    assert int(table.loc[table["month"].str.startswith("2021"), "interceptions"].sum()) == 32425
    r = raw[raw["interceptions_by_libyan_coast_guard"].notna() & raw["sea_arrivals_in_italy"].notna()]
    r = r[r["month"] >= "2016-01"].set_index("month")
    attempted = (
        r["interceptions_by_libyan_coast_guard"]
        + r["sea_arrivals_in_italy"]
        + r["sea_arrivals_in_malta"].fillna(0)
        + r["cmr"]
    )
    got = table.set_index("month")
    assert list(got.index) == list(r.index)
    share = r["interceptions_by_libyan_coast_guard"] / attempted
    known = share.notna()
    np.testing.assert_allclose(got.loc[known, "pullback_share"], share[known], rtol=1e-12)
    assert (got["ci_low"][known] <= got["pullback_share"][known]).all()
    assert (got["pullback_share"][known] <= got["ci_high"][known]).all()
    # aerial detections: boats with detector_type Aerial per month, recounted from the raw Frontex CSV
    inc = pd.read_csv(Path(data_dir) / INCIDENTS_CSV)
    air = inc[inc["detector_type"] == "Aerial"].groupby(pd.to_datetime(inc["date"]).dt.strftime("%Y-%m")).size()
    covered = got["aerial_detections"].notna()
    assert covered.sum() == 89  # 2016-01 … 2023-05: June 2023 (records end on the 11th) is partial
    # the study box leaves out 4 records without a month shift in 2016-2023 aerial counts of more than 1
    diff = got.loc[covered, "aerial_detections"].astype(int) - air.reindex(got.index[covered]).fillna(0).astype(int)
    assert diff.abs().max() <= 1 and diff.abs().sum() <= 4
    # what enters the model: 2016-01 … 2023-05 without 2021 (the study's exclude_years)
    used = got[got["used"]]
    assert (used.index.min(), used.index.max(), len(used)) == ("2016-01", "2023-05", 77)
    assert set(got.loc[got.index.str.startswith("2021"), "left_out"]) == {
        "year left out ([parameters.maritime] exclude_years)"
    }


def test_primary_on_real_data_has_role_adjusted_p_sensitivity_and_composition(m6):
    _, by_id = m6
    o = by_id["M6.aerial"]
    print(
        f"\nM6.aerial: OR {o.estimate:.3f} per doubling ({o.ci[0]:.3f}–{o.ci[1]:.3f}), p = {o.p_value:.3f}, "
        f"p_adj (M6 alone) = {o.p_adjusted:.3f}, n = {o.n}"
    )
    assert o.status == "ran" and o.role == "primary" and o.direction == "increase"
    assert o.p_adjusted is not None and o.p_adjusted >= o.p_value
    assert o.n == 77 and 0.5 < o.estimate < 2.0 and o.ci[0] < o.estimate < o.ci[1]
    names = [v.name for v in o.sensitivity]
    for wanted in ("without 2020", "Libyan and Tunisian", "persons on board", "Wald interval", "Newey–West"):
        assert any(wanted in n for n in names), wanted
    assert all(v.estimate is not None for v in o.sensitivity)
    assert o.composition and {r.variable.split(",")[0] for r in o.composition} == {
        "detecting asset of the Frontex-recorded boats",
        "months of the period that enter the model",
    }
    shifts = [s["month"] for s in o.parameters["level_shifts"]]
    assert shifts == ["2017-02", "2017-08", "2018-02", "2018-07", "2019-08", "2020-03"]
    assert any("Irini" in c and "one shift for both" in c for c in o.caveats)
    assert any("Frontex records the boats known" in c for c in o.caveats)
    # the Wald variant is the same estimate; the bootstrap interval is wider than the Wald one
    wald = next(v for v in o.sensitivity if v.name.startswith("Wald interval"))
    assert wald.estimate == pytest.approx(o.estimate)
    assert o.ci[1] - o.ci[0] > wald.ci[1] - wald.ci[0]


def test_secondaries_and_descriptives_on_real_data(m6):
    section, by_id = m6
    for oid in ("M6.lag1", "M6.lag2", "M6.death_rate"):
        o = by_id[oid]
        assert o.status == "ran" and o.role == "secondary" and o.p_adjusted is not None, oid
    # Benjamini–Hochberg within M6's secondaries, recomputed
    from statsmodels.stats.multitest import multipletests

    sec = [o for o in by_id.values() if o.role == "secondary" and o.status == "ran"]
    np.testing.assert_allclose([o.p_adjusted for o in sec], multipletests([o.p_value for o in sec], method="fdr_bh")[1])
    for oid in ("M6.share", "M6.assets"):
        o = by_id[oid]
        assert o.role == "descriptive" and o.p_adjusted is None and o.ci[0] <= o.estimate <= o.ci[1], oid
    assert 0.05 < by_id["M6.share"].estimate < 0.5
    assets = section.tables["m6_interceptions_by_asset"]
    assert list(assets.columns) == ASSET_COLUMNS
    np.testing.assert_allclose(assets.groupby("operation")["share"].sum(), 1.0)
    assert {"Hermes", "Triton", "Themis"} <= set(assets["operation"])


def test_same_seed_same_numbers(central, m6):
    study, inputs = central
    again = m6_interceptions(study, inputs, np.random.default_rng(20180628))
    first, _ = m6
    for a, b in zip(first.outcomes, again.outcomes):
        assert (a.id, a.estimate, a.ci, a.p_value) == (b.id, b.estimate, b.ci, b.p_value)
        assert [(v.estimate, v.ci, v.p_value) for v in a.sensitivity] == [
            (v.estimate, v.ci, v.p_value) for v in b.sensitivity
        ]


def test_flight_hours_seam_adds_a_secondary_and_refuses_bad_tables(central):
    study, inputs = central
    rng = np.random.default_rng(3)
    months = pd.date_range("2015-06-01", "2023-12-01", freq="MS")
    hours = rng.gamma(4.0, 40.0, len(months))
    table = pd.concat(
        [
            pd.DataFrame({"month": months, "area": "all", "flight_hours": hours * 1.5}),
            pd.DataFrame({"month": months, "area": "sea", "flight_hours": hours}),
        ]
    )
    section = m6_interceptions(study, inputs, np.random.default_rng(1), activity=table)
    o = next(o for o in section.outcomes if o.id == "M6.flight_hours")
    assert o.status == "ran" and o.n == 84 and o.ci[0] < o.estimate < o.ci[1]  # 2016–2023 without 2021
    got = section.tables["m6_monthly"].set_index("month")["flight_hours"]
    assert got["2016-03"] == pytest.approx(hours[list(months).index(pd.Timestamp("2016-03-01"))])
    with pytest.raises(InputError, match="more than once"):
        flight_activity(pd.DataFrame({"month": ["2020-01", "2020-01"], "flight_hours": [1.0, 2.0]}))
    with pytest.raises(InputError, match="negative"):
        flight_activity(pd.DataFrame({"month": ["2020-01"], "flight_hours": [-1.0]}))
    with pytest.raises(InputError, match="area 'sea'"):
        flight_activity(pd.DataFrame({"month": ["2020-01"], "area": ["all"], "flight_hours": [1.0]}))


def test_skips_say_what_is_missing(central):
    study, inputs = central
    section = m6_interceptions(study, StudyInputs({}, {}), np.random.default_rng(0))
    primary = [o for o in declare(section.outcomes, study, "M6") if o.role == "primary"]
    assert [o.status for o in primary] == ["skipped"] and "No crossings layer" in primary[0].reason
    western = load_study("western-med")
    section = m6_interceptions(western, inputs, np.random.default_rng(0))
    assert all(o.status == "skipped" for o in section.outcomes)
    assert "central route" in section.outcomes[0].reason


def test_level_shifts_merge_close_events_and_drop_late_ones():
    study = load_study("central-med")
    months = pd.Series(pd.date_range("2016-01-01", "2023-05-01", freq="MS"))
    shifts, notes = level_shifts(study, months)
    assert [f"{m:%Y-%m}" for m, _ in shifts] == ["2017-02", "2017-08", "2018-02", "2018-07", "2019-08", "2020-03"]
    assert len(shifts[-1][1]) == 2  # COVID-19 and Irini
    assert any("2023-01-02" in n and "no level shift" in n for n in notes)


# -- the statistics against references ------------------------------------------------------------------


def test_batched_quasi_binomial_t_equals_statsmodels():
    rng = np.random.default_rng(0)
    n = 60
    x = np.column_stack([np.ones(n), rng.normal(size=(n, 6))])
    trials = rng.integers(300, 20000, n)
    shares = np.column_stack(
        [rng.binomial(trials, 1 / (1 + np.exp(1.5 + rng.normal(0, 0.5, n)))) / trials for _ in range(4)]
    )
    for w in (np.ones(n), trials.astype(float)):
        got = _quasi_binomial_t(shares, x, w, 6)
        ref = [
            sm.GLM(shares[:, b], x, family=sm.families.Binomial(), var_weights=w).fit(scale="X2").tvalues[6]
            for b in range(4)
        ]
        np.testing.assert_allclose(got, ref, rtol=1e-8)


def test_bootstrap_estimate_is_the_statsmodels_fractional_logit():
    rng = np.random.default_rng(4)
    d = pd.DataFrame({"month": np.arange(48), "n": rng.integers(2000, 9000, 48), "x": rng.normal(size=48)})
    d["k"] = rng.binomial(d["n"], 1 / (1 + np.exp(1 + 0.2 * d["x"] + rng.normal(0, 0.4, 48))))
    r = null_bootstrap_odds_ratio(d, "k", "n", [], "x", time="month", seed=9, resamples=99)
    ref = sm.GLM(d["k"] / d["n"], sm.add_constant(d[["x"]]), family=sm.families.Binomial()).fit(scale="X2")
    assert r.estimate == pytest.approx(np.exp(ref.params["x"]), rel=1e-10)
    assert r.statistic == pytest.approx(ref.tvalues["x"], rel=1e-8)
    assert r.parameters["se_quasi"] == pytest.approx(ref.bse["x"], rel=1e-8)
    with pytest.raises(InputError):
        null_bootstrap_odds_ratio(d.assign(k=d["n"] + 1), "k", "n", [], "x", time="month", seed=9, resamples=99)


# -- simulated monthly series ---------------------------------------------------------------------------

START = pd.Timestamp("2016-01-01")
SHIFTS = [
    pd.Timestamp("2017-02-01"),
    pd.Timestamp("2018-02-01"),
    pd.Timestamp("2018-07-01"),
    pd.Timestamp("2020-03-01"),
]


def _ar1(rng, n, rho, sd):
    e = rng.normal(size=n)
    u = np.empty(n)
    u[0] = sd * e[0]
    for i in range(1, n):
        u[i] = rho * u[i - 1] + np.sqrt(1 - rho**2) * sd * e[i]
    return u


def simulated_series(rng, odds_ratio=1.0, rho=0.5, sd=0.5, months=89, gap=(60, 72)):
    """A monthly series like the real one: 89 months from 2016-01 with a year left out (77 months), attempted
    crossings with seasons and persistence, aerial detections that trend, have seasons, persist and rise with
    the crossings, and a pull-back share with a trend, a season, level shifts at four of the study's dates
    and a persistent (AR(1)) month effect; ``odds_ratio`` per doubling of detections (1: no effect)."""
    dates = pd.date_range(START, periods=months, freq="MS")
    t = np.arange(months) / 12.0
    m = dates.month.to_numpy()
    season = np.sin(2 * np.pi * m / 12)
    n = np.round(np.exp(np.log(8000) + 0.6 * season + _ar1(rng, months, 0.6, 0.5))).astype(int)
    a = rng.poisson(np.exp(2.0 + 0.25 * t + 0.4 * season + _ar1(rng, months, 0.6, 0.5) + 0.3 * np.log(n / 8000)))
    x = np.log2(1 + a)
    eta = -2.0 + 0.1 * t + 0.3 * np.cos(2 * np.pi * m / 12) + _ar1(rng, months, rho, sd) + np.log(odds_ratio) * x
    for s, g in zip(SHIFTS, (0.8, 0.5, -0.4, 0.3)):
        eta += g * (dates >= s)
    k = rng.binomial(n, 1 / (1 + np.exp(-eta)))
    keep = np.ones(months, bool)
    keep[gap[0] : gap[1]] = False
    frame = pd.DataFrame({"date": dates, "interceptions": k, "attempted": n, "aerial": a, "x": x})
    return frame[keep].reset_index(drop=True)


def rejection_rate(n_series, seed, resamples, **kw):
    """Share of simulated series whose M6 primary (and whose Wald test) gives p < 0.05."""
    rng = np.random.default_rng(seed)
    boot = wald = 0
    for child in rng.spawn(n_series):
        data_rng, test_rng = child.spawn(2)
        f = simulated_series(data_rng, **kw)
        boot += aerial_odds_ratio(f, "x", SHIFTS, test_rng, resamples=resamples).p_value < 0.05
        wald += _wald(f, "x", SHIFTS, 0.95)[2] < 0.05
    return boot / n_series, wald / n_series


def test_primary_holds_its_size_on_null_series():
    n = int(os.environ.get("M6_SIZE_SERIES", 100))
    size, wald = rejection_rate(n, 2026, int(os.environ.get("M6_RESAMPLES", 99)))
    print(f"\nM6 null size: {size:.1%} of {n} series (Wald test: {wald:.1%})")
    assert size <= 0.10


def test_primary_detects_a_planted_effect():
    n = 40
    power, _ = rejection_rate(n, 7, 99, odds_ratio=1.5)
    print(f"\nM6 power at odds ratio 1.5 per doubling: {power:.0%} of {n} series")
    assert power >= 0.8
    # and the interval covers the planted ratio on one long-run series
    f = simulated_series(np.random.default_rng(3), odds_ratio=1.5)
    r = aerial_odds_ratio(f, "x", SHIFTS, np.random.default_rng(4), resamples=199)
    assert r.ci[0] < 1.5 < r.ci[1] and r.ci[0] > 1.0


def test_the_libyan_search_and_rescue_region_starts_on_the_studys_date(data_dir):
    """The map draws the Libyan SRR only from its declaration: the reader's date (SRR_DECLARED) is the
    central-Mediterranean study's intervention date, in both the GISIS file and the derived sea areas."""
    from borderscape.analyses.study import load_study
    from borderscape.layers.ingest import ingest
    from borderscape.layers.readers_med import SRR_DECLARED

    study = load_study("central-med")
    declared = [i.date for i in study.interventions if "search-and-rescue region" in i.name]
    assert [pd.Timestamp(d) for d in declared] == [pd.Timestamp(SRR_DECLARED["LBY"])]
    folder = Path(data_dir) / "imo-sar-regions-central-med"
    for file in (None, folder / "srr_sea_areas_clipped_by_thesis_author.geojson"):
        frame = ingest("imo-srr", file=file, data_dir=data_dir).frame
        code = frame["country_iso3"] if "country_iso3" in frame else frame["country"]
        libya = code.isin(["LBY", "Libya"]).to_numpy()
        assert libya.sum() == 1
        assert (frame.loc[libya, "active_from"] == pd.Timestamp("2018-06-28")).all()
        assert frame.loc[~libya, "active_from"].isna().all()
