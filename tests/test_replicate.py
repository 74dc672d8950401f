"""``borderscape replicate`` and :mod:`borderscape.analyses.replication`.

The real-data tests run the whole report once (about 10 s) on the shared mirror and check it against
references computed here independently: the Bansak et al. (2025) periods counted from the raw CSV
with pandas (not through the ``pcome`` reader), populated cells counted with a Python set, and IOM's
2021 Libyan interceptions summed from the raw CSV.  No row of the Arizona records is ever printed.

The flight-activity correlations (Airborne Complicity) are checked on flight tracks generated here
(:func:`test_flights.patrol`, one patrol a month over the central Mediterranean) whose monthly hours are
planted to rise with IOM's monthly Libyan interceptions: the reference rho is computed with scipy from
the planted hours and the raw CSV, not through the flights reader.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import spearmanr
from test_flights import patrol

from borderscape.analyses import replication
from borderscape.analyses.replication import BANSAK_SNAPSHOT, Comparison, populated_cells
from borderscape.cli import cli

PUBLISHED = {
    "bansak.pre": 1215,
    "bansak.post": 1826,
    "bansak.all": 3041,
    "bansak.cells_pre": 629,
    "bansak.cells_post": 780,
    "bansak.neighbours_pre": 136,
    "bansak.neighbours_post": 136,
    "white.slope_direction": -1.094,
    "white.slope_size": -1.094,
    "white.pet_strongest": 1,
    "iom.libya_2021": 32425,
    "hrw.libya_2021": 32400,
    "pima.1990_2012": 2238,
    "pima.1990_fy2013": 2413,
    "pima.2007": 214,
    "pima.2010": 222,
    "pima.2019": 153,
    "pima.2020_q1_q3": 177,
}
CITED = {"bansak": "Bansak", "white": "White", "iom": "IOM", "hrw": "Human Rights Watch", "pima": "Pima County"}
FLIGHT_ROWS = ("hrw.flights_interceptions_sign", "hrw.flights_interceptions_size", "hrw.flights_death_rate")
MONTHLY_CSV = (
    "iom-mediterranean-crossings-monthly/iom_med_atlantic_crossings_interceptions_deaths_monthly_2014_2025.csv"
)


def _raw_monthly(data_dir) -> pd.DataFrame:
    raw = pd.read_csv(data_dir / MONTHLY_CSV)
    raw["month"] = raw["date"].str[:7]
    return raw


@pytest.fixture(scope="module")
def rising_tracks(tmp_path_factory, data_dir):
    """One patrol a month 2017-01 ... 2020-12 inside the central-med sea; hours rise with the interceptions.

    Hours = 0.5 + 2.5·(0.4·rank share of the month's Libyan interceptions + 0.6·uniform noise): a
    positive, moderate rank correlation by construction (the planted rho is checked below).
    """
    raw = _raw_monthly(data_dir)
    window = raw[(raw["month"] >= "2017-01") & (raw["month"] <= "2020-12")]
    intercepted = window["interceptions_by_libyan_coast_guard"].to_numpy(float)
    share = (pd.Series(intercepted).rank().to_numpy() - 0.5) / len(intercepted)
    hours = 0.5 + 2.5 * (0.4 * share + 0.6 * np.random.default_rng(0).uniform(size=len(share)))
    rng = np.random.default_rng(21)
    reports = pd.concat(
        [
            patrol(rng, "4ca7f1", f"{m}-10 08:00:00", h, lon=14.0, lat=34.5, step_s=(60.0, 120.0))
            for m, h in zip(window["month"], hours)
        ],
        ignore_index=True,
    )
    path = tmp_path_factory.mktemp("tracks") / "drone_2017_2020.csv"
    reports.to_csv(path, index=False)
    return path, window.assign(planted_hours=hours)


@pytest.fixture(scope="module")
def report(data_dir):
    return replication.replicate(data_dir)


@pytest.fixture(scope="module")
def by_id(report):
    return {c.id: c for c in report.comparisons}


def _raw_snapshot(data_dir):
    # only the two columns the periods need: never the names
    return pd.read_csv(
        data_dir / "ogis-pima-ome-humane-borders" / BANSAK_SNAPSHOT,
        usecols=["Reporting Date", "Post Mortem Interval", "Latitude", "Longitude"],
    )


def test_bansak_pre_period_matches_exactly(by_id, data_dir):
    raw = _raw_snapshot(data_dir)
    year = pd.to_datetime(raw["Reporting Date"], format="%m/%d/%Y").dt.year
    pmi = raw["Post Mortem Interval"].str.strip()
    moved = (year == 2008) & (pmi == "> 6-8 months")
    pre = year.between(2000, 2007) | moved
    post = year.between(2008, 2019) & pmi.notna() & ~moved
    assert by_id["bansak.pre"].ours == pre.sum() == 1215
    assert by_id["bansak.pre"].verdict == "agree"
    assert by_id["bansak.post"].ours == post.sum() == 1826
    assert by_id["bansak.all"].ours == 3041
    # without the post-mortem-interval filter: the 3,155, reported as a difference with its reason
    unfiltered = by_id["bansak.all_unfiltered"]
    assert unfiltered.ours == year.between(2000, 2019).sum() == 3155
    assert unfiltered.verdict == "differ" and unfiltered.difference == 114
    assert "post-mortem interval" in unfiltered.reason


def test_every_published_number_and_citation_present(by_id, report):
    for id_, value in PUBLISHED.items():
        c = by_id[id_]
        assert c.published == value, id_
        assert CITED[id_.split(".")[0]] in c.citation, id_
        assert c.verdict in ("agree", "differ"), id_
        assert c.how, id_
    assert by_id["iom.cmr_rates_months"].published > 100  # months with an IOM rate
    for c in report.comparisons:
        if c.verdict == "differ":
            assert c.reason, f"{c.id} differs without a reason"
    assert report.seconds < 60


def test_hot_spot_cells_against_a_set_count(by_id, data_dir):
    raw = _raw_snapshot(data_dir)
    year = pd.to_datetime(raw["Reporting Date"], format="%m/%d/%Y").dt.year
    pre = raw[year.between(2000, 2007) | ((year == 2008) & (raw["Post Mortem Interval"].str.strip() == "> 6-8 months"))]
    x, y = pre["Longitude"].to_numpy(), pre["Latitude"].to_numpy()
    cells = {(math.floor((a - x.min()) / 0.0427), math.floor((b - y.min()) / 0.0427)) for a, b in zip(x, y)}
    c = by_id["bansak.cells_pre"]
    assert c.ours == len(cells)
    low, high = c.details["origin_range"]
    assert low <= c.ours <= high
    assert (c.verdict == "agree") == (abs(c.ours - 629) <= 0.02 * 629)


def test_populated_cells_matches_brute_force():
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(-112, -110, 500), rng.uniform(31, 32, 500)
    got = populated_cells(lon, lat, 0.05, (-112.01, 30.99))
    ref = {(math.floor((a + 112.01) / 0.05), math.floor((b - 30.99) / 0.05)) for a, b in zip(lon, lat)}
    assert {tuple(r) for r in got} == ref


def test_iom_and_libya_2021(by_id, data_dir):
    raw = pd.read_csv(
        data_dir
        / "iom-mediterranean-crossings-monthly"
        / "iom_med_atlantic_crossings_interceptions_deaths_monthly_2014_2025.csv"
    )
    total = raw.loc[raw["year"] == 2021, "interceptions_by_libyan_coast_guard"].sum()
    assert by_id["iom.libya_2021"].ours == total == 32425
    assert by_id["iom.libya_2021"].verdict == "agree"
    assert by_id["hrw.libya_2021"].verdict == "agree"
    months = by_id["iom.cmr_rates_months"]
    # every month that differs is explained by the Tunisian interceptions IOM leaves out before 2017
    assert months.details["explained_by_tunisia"] == len(months.details["months_differing"])
    assert all(m < "2017" for m in months.details["months_differing"])


def test_white_directions_reuse_h2(by_id):
    c = by_id["white.slope_direction"]
    assert c.verdict == "agree" and c.ours < 0
    assert "H2.case_control" in c.how
    lo, hi = c.details["ci"]
    assert lo < c.ours < hi < 0


def test_verdict_follows_the_tolerance(by_id):
    pre = by_id["bansak.pre"]
    wrong = dataclasses.replace(pre, published=1216)
    assert wrong.verdict == "differ" and wrong.difference == -1
    assert dataclasses.replace(pre, published=1216, tolerance=1).verdict == "agree"
    assert Comparison("x", "x", "c", 100, 101.9, tolerance=0.02, relative=True).verdict == "agree"
    assert Comparison("x", "x", "c", 100, 102.1, tolerance=0.02, relative=True).verdict == "differ"
    assert Comparison("x", "x", "c", 32400, 32425, kind="at_least").verdict == "agree"
    assert Comparison("x", "x", "c", 32500, 32425, kind="at_least").verdict == "differ"
    assert Comparison("x", "x", "c", -1.094, -2.2, kind="direction").verdict == "agree"
    assert Comparison("x", "x", "c", 1.094, -2.2, kind="direction").verdict == "differ"
    assert Comparison("x", "x", "c", 1, 4, kind="rank").verdict == "differ"
    assert Comparison("x", "x", "c", 1, None).verdict == "not computed"
    libya = by_id["hrw.libya_2021"]
    assert dataclasses.replace(libya, published=40000).verdict == "differ"
    with pytest.raises(ValueError):
        Comparison("x", "x", "c", 1, 1, kind="guess")


def test_each_comparison_names_the_sources_it_compares(report, data_dir):
    """The catalog ids of each row's data; ``about`` and ``replicate(sources=...)`` pick the rows about a
    run's sources (the briefing's checks), a user's own file (id ``file``) picks none."""
    expected = {"bansak": ("pcome",), "pima": ("pcome",), "white": ("pcome-terrain",), "iom": ("iom-med-monthly",)}
    for c in report.comparisons:
        if c.id in FLIGHT_ROWS:
            assert c.sources == ("iom-med-monthly", "flights"), c.id
        else:
            assert c.sources == expected.get(c.id.split(".")[0], ("iom-med-monthly",)), c.id
        assert json.loads(json.dumps(c.to_dict()))["sources"] == list(c.sources)
    central = {"iom-med-monthly", "iom-mmp", "gshhg", "file"}
    about = [c.id for c in replication.about(report.comparisons, central)]
    assert about == ["iom.cmr_rates_months", "iom.cmr_rate_worst_month", "iom.libya_2021", "hrw.libya_2021"]
    only = replication.replicate(data_dir, sources=central)
    assert [c.id for c in only.comparisons] == about and {f["source"] for f in only.files} == {"iom-med-monthly"}
    assert replication.about(report.comparisons, {"file"}) == [] and not replication.has_checks({"file"})
    assert replication.has_checks({"pcome-terrain"}) and not replication.has_checks({"flights"})


def test_cli_exit_code_json_and_runtime(data_dir, tmp_path):
    out, md = tmp_path / "rep.json", tmp_path / "rep.md"
    result = CliRunner().invoke(
        cli, ["replicate", "--data-dir", str(data_dir), "--json", str(out), "--markdown", str(md)]
    )
    assert result.exit_code == 0, result.output
    assert "ran in" in result.stderr
    seconds = float(result.stderr.rsplit("ran in", 1)[1].split()[0])
    assert 0 < seconds < 60
    data = json.loads(out.read_text(encoding="utf-8"))
    rows = {r["id"]: r for r in data["comparisons"]}
    assert rows["bansak.pre"]["published"] == 1215 and rows["bansak.pre"]["verdict"] == "agree"
    assert data["agree"] + data["differ"] + data["not_computed"] == len(rows)
    assert "bansak.pre\tagree" in result.stdout
    text = md.read_text(encoding="utf-8")
    assert "| `bansak.pre` |" in text and "Bansak" in text
    # no name of the dead anywhere in what the command wrote (names read here only to look for them)
    names = pd.read_csv(data_dir / "ogis-pima-ome-humane-borders" / BANSAK_SNAPSHOT, usecols=["Name"])["Name"]
    names = {
        str(n).strip().lower() for n in names.dropna() if len(str(n).strip()) >= 8 and "unknown" not in str(n).lower()
    }
    written = (out.read_text(encoding="utf-8") + text + result.output).lower()
    hits = sum(n in written for n in names)
    assert hits == 0


def test_cli_strict_and_missing_data(monkeypatch, tmp_path, by_id):
    monkeypatch.setenv("BORDERSCAPE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("BORDERSCAPE_DATA", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(
        cli, ["replicate", "--data-dir", str(tmp_path / "empty"), "--json", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["agree"] == 0 and data["not_computed"] == len(data["comparisons"]) > 0
    assert all(r["reason"] for r in data["comparisons"])
    strict = CliRunner().invoke(cli, ["replicate", "--data-dir", str(tmp_path / "empty"), "--strict"])
    assert strict.exit_code == 1


def test_pima_summaries_count_the_raw_export_by_reporting_date(by_id, data_dir):
    # the reporting date column only (never the names), counted with pandas on the raw CSV
    raw = pd.read_csv(
        data_dir / "ogis-pima-ome-humane-borders" / "ogis_deaths_1981_2024-09.csv", usecols=["Reporting Date"]
    )
    dates = pd.to_datetime(raw["Reporting Date"], format="%Y-%m-%d")
    for cid, _what, citation, published, first, last in replication.PIMA_SUMMARIES:
        c = by_id[cid]
        assert c.ours == ((dates >= first) & (dates <= last)).sum(), cid
        assert c.published == published and c.relative and c.tolerance == 0.05
        assert c.agrees == (abs(c.ours - published) <= 0.05 * published), cid
        assert "Pima County" in c.citation or "Pima County" in citation


# -- flight activity against interceptions and the death rate (Airborne Complicity) ---------------------


def test_flight_rows_without_tracks_are_not_computed(by_id):
    for id_ in FLIGHT_ROWS:
        c = by_id[id_]
        assert c.verdict == "not computed" and c.ours is None, id_
        assert c.reason == "not computed: no flight tracks supplied (`--flights FILE`)"
        assert "Human Rights Watch" in c.citation and "moderate and statistically significant" in c.citation
        assert "no meaningful" in c.published_text or "moderate" in c.published_text or c.published_text == "positive"


def test_tracks_rising_with_interceptions_agree(rising_tracks, data_dir):
    path, window = rising_tracks
    planted = spearmanr(window["planted_hours"], window["interceptions_by_libyan_coast_guard"])
    assert 0.3 < planted.statistic < 0.7  # the fixture is what it claims: positive and moderate
    hours, words = replication.flight_hours_per_month(path)
    # the reader counts the planted hours (reports 60-120 s apart, every patrol inside the sea)
    assert np.abs(hours.to_numpy() - window["planted_hours"].to_numpy()).max() < 0.02
    assert "quarantined" in words
    from borderscape.layers.ingest import ingest

    monthly = ingest("iom-med-monthly", data_dir=data_dir).frame
    rows = {c.id: c for c in replication.flight_correlations(monthly, hours, read=words)}
    sign, size, death = (rows[i] for i in FLIGHT_ROWS)
    assert sign.verdict == "agree" and size.verdict == "agree"
    assert size.ours == pytest.approx(planted.statistic, abs=0.02)
    assert size.details["n_months"] == 48
    assert size.details["p_value"] == pytest.approx(planted.pvalue, rel=0.5)
    assert "rho" in size.how and "n 48 months" in size.how and "p " in size.how
    assert "autocorrelated" in size.reason and "M6" in size.reason
    # the death rate: recomputed from the raw CSV (dead and missing / attempted crossings, central route)
    parts = ["sea_arrivals_in_italy", "sea_arrivals_in_malta"]
    parts += ["interceptions_by_libyan_coast_guard", "interceptions_by_tunisian_coast_guard", "cmr"]
    rate = window["cmr"] / window[parts].fillna(0).sum(axis=1)
    expected = spearmanr(window["planted_hours"], rate).statistic
    assert death.ours == pytest.approx(expected, abs=0.02)
    assert death.verdict == ("agree" if abs(death.ours) <= 0.3 else "differ")
    assert death.details["n_months"] == 48 and 0 < death.details["p_value"] <= 1


def test_falling_hours_differ_in_sign_and_a_short_series_is_not_computed(data_dir):
    from borderscape.layers.ingest import ingest

    monthly = ingest("iom-med-monthly", data_dir=data_dir).frame
    months = pd.date_range("2018-01-01", "2019-12-01", freq="MS")
    libya = (
        pd.to_numeric(monthly["interceptions_by_libyan_coast_guard"], errors="coerce")
        .set_axis(pd.to_datetime(monthly["date"]))
        .reindex(months)
    )
    falling = pd.Series(-libya.to_numpy(), index=months)
    rows = {c.id: c for c in replication.flight_correlations(monthly, falling)}
    assert rows["hrw.flights_interceptions_sign"].ours == pytest.approx(-1.0)
    assert rows["hrw.flights_interceptions_sign"].verdict == "differ"
    assert rows["hrw.flights_interceptions_size"].verdict == "differ"
    short = {c.id: c for c in replication.flight_correlations(monthly, falling.iloc[:3])}
    for id_ in FLIGHT_ROWS:
        assert short[id_].verdict == "not computed" and "at least 6" in short[id_].reason, id_
    # 2021's deaths copy 2014's: a series inside 2021 has interceptions but no death rate
    in_2021 = pd.Series(np.arange(12.0), index=pd.date_range("2021-01-01", periods=12, freq="MS"))
    rows = {c.id: c for c in replication.flight_correlations(monthly, in_2021)}
    assert rows["hrw.flights_interceptions_size"].ours is not None
    death = rows["hrw.flights_death_rate"]
    assert death.verdict == "not computed" and "2021" in death.reason


def test_cli_with_flights_adds_the_rows(rising_tracks, data_dir, tmp_path, monkeypatch):
    path, _ = rising_tracks
    out = tmp_path / "rep.json"
    result = CliRunner().invoke(
        cli, ["replicate", "--data-dir", str(data_dir), "--flights", str(path), "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    rows = {r["id"]: r for r in data["comparisons"]}
    assert rows["hrw.flights_interceptions_size"]["verdict"] == "agree"
    assert rows["hrw.flights_interceptions_sign"]["verdict"] == "agree"
    assert any(f["source"] == "flights" and f["path"].endswith("drone_2017_2020.csv") for f in data["files"])
    assert data["seconds"] < 60
    monkeypatch.setenv("BORDERSCAPE_CACHE", str(tmp_path / "cache"))
    bad = tmp_path / "empty.csv"
    bad.write_text("", encoding="utf-8")
    rows = {c.id: c for c in replication.replicate(tmp_path / "nothing", flights=bad).comparisons}
    assert rows["hrw.flights_interceptions_size"].verdict == "not computed"
    assert "could not be used" in rows["hrw.flights_interceptions_size"].reason
