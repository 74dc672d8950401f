"""A study with ADS-B flight reports: the reports are read and validated, flight hours per month over the
study's sea and each SAR region are made while assembling the inputs, and M6 uses them (issue 21)."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
import pytest
from test_flights import patrol

from borderscape.analyses.battery.m6_interceptions import m6_interceptions
from borderscape.analyses.inputs import assemble_inputs
from borderscape.analyses.study import load_study


@pytest.fixture(scope="module")
def tracks_study(tmp_path_factory, data_dir):
    folder = tmp_path_factory.mktemp("flights")
    rng = np.random.default_rng(21)
    months = pd.date_range("2016-01-01", "2023-05-01", freq="MS")
    hours = rng.uniform(0.5, 3.0, len(months))
    parts = [
        patrol(rng, "4ca123", f"{m:%Y-%m}-15 09:00:00", h, lon=14.0, lat=34.5, step_s=(60.0, 120.0))
        for m, h in zip(months, hours)
    ]
    reports = pd.concat(parts, ignore_index=True)
    hostile = reports.iloc[[10, 10]].copy()  # an exact duplicate of a report
    back = reports.iloc[[20]].copy()
    back["time"] -= 3 * 3600.0  # a report three hours back in time, between two later ones
    reports = pd.concat([reports.iloc[:21], back, reports.iloc[21:], hostile], ignore_index=True)
    reports.to_csv(folder / "adsb.csv", index=False)
    text = (resources.files("borderscape.analyses") / "studies" / "central-med.toml").read_text(encoding="utf-8")
    text = text.replace("[layers]\n", '[layers]\nflights = "adsb.csv"\n', 1)
    (folder / "sea.toml").write_text(text, encoding="utf-8")
    study = load_study(str(folder / "sea.toml"))
    return study, assemble_inputs(study, data_dir=data_dir), months, hours


def test_flight_hours_per_month_reach_the_inputs_with_a_record(tracks_study):
    study, assembled, months, hours = tracks_study
    table = assembled.inputs.tables["flight_hours"]
    sea = table[table["area"] == "sea"].set_index("month")["flight_hours"]
    # every patrol lies inside the study's sea: the hours of a month are those flown (the reports are
    # spaced 60-120 s, so the hours flown between the first and last report are the planted hours)
    got = np.array([sea.get(m, sea.get(f"{m:%Y-%m}", np.nan)) for m in months], dtype=float)
    assert np.nanmax(np.abs(got - hours)) < 0.02 and not np.isnan(got).any()
    record = next(r for r in assembled.records if r.role == "flights")
    assert "quarantined with a reason" in record.reader and "user-supplied" in record.publisher.lower()
    layer = assembled.inputs.get("flights")
    reasons = layer.frame.loc[layer.frame["status"] == "quarantined", "reason"].str.lower()
    assert len(reasons) >= 2 and reasons.str.contains("duplicate").any()
    # the SAR regions of the study split the sea's hours
    assert {"sea", "all"} <= set(table["area"]) and len(set(table["area"])) > 2


def test_m6_uses_the_flight_hours(tracks_study):
    study, assembled, months, _ = tracks_study
    section = m6_interceptions(study, assembled.inputs, np.random.default_rng(1))
    o = next(o for o in section.outcomes if o.id == "M6.flight_hours")
    assert o.status == "ran" and o.role == "secondary" and o.n > 60
    assert o.ci[0] < o.estimate < o.ci[1] and 0 < o.p_value <= 1
