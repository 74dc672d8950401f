"""``borderscape demo``: the whole pipeline on a simulated world, every output marked SIMULATED DATA."""

from __future__ import annotations

import json
import re

import pandas as pd
import pyarrow.parquet as pq
import pytest
from test_no_names import count_names, name_forms, parquet_text

from borderscape.cli import main

MARK = "SIMULATED DATA"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "demo"
    assert main(["demo", "--out", str(out), "--seed", "3"]) == 0
    return out


def test_demo_writes_every_output_flagged_simulated(demo):
    results = json.loads((demo / "results.json").read_text(encoding="utf-8"))
    assert results["simulated"] is True and results["seed"] == 3
    assert all(MARK in s["publisher"] and MARK in s["caveats"] for s in results["sources"])
    assert any(MARK in c for c in results["caveats"])
    prov = json.loads((demo / "provenance.json").read_text(encoding="utf-8"))
    assert prov["simulated"] is True and prov["seed"] == 3 and prov["options"]["world"]["alpha"] == 1.0
    assert MARK in (demo / "README.txt").read_text(encoding="utf-8")
    page = (demo / "map.html").read_text(encoding="utf-8")
    assert page.count(MARK) >= 2 and 'id="bs-data"' in page and not re.search(r"<script[^>]*\bsrc=", page)
    figures = sorted((demo / "figures").glob("*.svg"))
    # the demo world has a few records a year, fewer than [parameters.hardship] min_per_year (20): the yearly
    # figure is skipped, and says why
    assert [f["figure"] for f in prov["figures_skipped"]] == ["hardship_over_time"]
    assert "min_per_year" in prov["figures_skipped"][0]["reason"]
    assert {p.stem for p in figures} == {
        "mortality_per_encounter",
        "coverage_growth",
        "study_area",
        "hotspots_by_period",
        "cross_l_envelope",
    }
    for svg in figures:
        assert MARK in svg.read_text(encoding="utf-8"), svg.name  # title and footer (text kept as text)
        assert svg.with_suffix(".png").read_bytes().startswith(b"\x89PNG")
    tables = sorted((demo / "tables").glob("*.csv"))
    assert tables
    for csv in tables:
        frame = pd.read_csv(csv)
        assert (frame["data"] == MARK).all() and len(frame), csv.name
    for parquet in sorted((demo / "tables").glob("*.parquet")):
        assert set(pq.read_table(parquet).column("data").to_pylist()) == {MARK}


def test_demo_runs_every_hypothesis(demo):
    tests = {t["id"]: t for t in json.loads((demo / "results.json").read_text())["tests"]}
    for key in ("H1", "H3", "H4"):
        assert tests[key]["status"] == "ran", key
    assert {k.split(".")[0] for k in tests} == {"H1", "H2", "H3", "H4", "H5"}


def test_demo_is_reproducible(demo, tmp_path):
    assert main(["demo", "--out", str(tmp_path / "again"), "--seed", "3"]) == 0
    assert (tmp_path / "again" / "results.json").read_bytes() == (demo / "results.json").read_bytes()
    assert main(["demo", "--out", str(tmp_path / "other"), "--seed", "4"]) == 0
    assert (tmp_path / "other" / "results.json").read_bytes() != (demo / "results.json").read_bytes()


def test_no_name_of_the_dead_in_demo_outputs(demo, data_dir):
    forms = name_forms(data_dir)
    leaks = {}
    for path in sorted(p for p in demo.rglob("*") if p.is_file() and p.suffix != ".png"):
        text = parquet_text(path) if path.suffix == ".parquet" else path.read_text(encoding="utf-8", errors="replace")
        if count_names(text, forms):
            leaks[str(path.relative_to(demo))] = count_names(text, forms)
    assert not leaks, f"names found (counts per output): {leaks}"
