"""``borderscape replicate`` and :mod:`borderscape.analyses.replication`.

The real-data tests run the whole report once (about 10 s) on the shared mirror and check it against
references computed here independently: the Bansak et al. (2025) periods counted from the raw CSV
with pandas (not through the ``pcome`` reader), populated cells counted with a Python set, and IOM's
2021 Libyan interceptions summed from the raw CSV.  No row of the Arizona records is ever printed.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

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
