"""The budget of memory and work: runaway studies are refused before any work (issue 16), and
a layer of the wrong kind for its role is a typed error with a remedy."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import borderscape as bs
from borderscape.analyses.budget import DEFAULT_MAX_WORK, Budget, BudgetError, GiB, check, estimate, limits
from borderscape.analyses.inputs import assemble_inputs
from borderscape.analyses.study import load_study, shipped_studies
from borderscape.errors import InputError

STUDIES = Path(__file__).resolve().parents[1] / "analyses" / "studies"
ETOPO_AZ = "etopo1-0.1deg-relief-subsets/etopo1_0.1deg_arizona_sonora_116W-106W_29N-35N.tif"


def _copy(tmp_path: Path, old: str, new: str) -> Path:
    text = (STUDIES / "arizona-sonora.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "az.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _cli(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, "BORDERSCAPE_PROGRESS": "0"}
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "borderscape", *args], capture_output=True, text=True, env=env, timeout=120
    )
    return done, time.perf_counter() - t


@pytest.mark.parametrize("name", shipped_studies())
def test_shipped_studies_are_under_the_default_budget(name):
    study = load_study(name)
    est = estimate(study)
    assert 0 < est.memory < 2 * GiB  # below the default on any machine with 4 GiB or more
    assert est.memory < Budget.of().max_memory
    assert est.work < DEFAULT_MAX_WORK / 10
    check(est, Budget.of(), study)


def test_a_90_m_arizona_dem_with_towers_is_under_budget():
    study = load_study("arizona-sonora")
    est = estimate(study, tower_ranges=[12000.0] * 60, epochs=10, records=4000)
    assert est.memory < 4 * GiB
    assert est.work < DEFAULT_MAX_WORK
    check(est, Budget.of(max_memory_gb=4), study)


@pytest.mark.parametrize(
    "change, words",
    [
        ({"resolution_m": 1}, ("TiB of memory", "raster cells", "resolution_m", "--max-memory")),
        ({"resolution_m": 10}, ("GiB of memory", "resolution_m")),
        ({"parameters": {"statistics": {"hotspot_cell_m": 1}}}, ("hot-spot cells", "hotspot_cell_m")),
        ({"parameters": {"statistics": {"permutations": 10**12}}}, ("Gi*", "permutations", "--max-work")),
    ],
)
def test_runaway_studies_are_refused_with_the_knob_to_turn(change, words):
    study = load_study("arizona-sonora").with_(**change)
    with pytest.raises(BudgetError) as err:
        check(estimate(study), Budget.of(max_memory_gb=16), study)
    assert isinstance(err.value, InputError)
    for w in words:
        assert w in str(err.value)


def test_many_towers_are_refused_as_viewshed_work():
    study = load_study("arizona-sonora")
    est = estimate(study, tower_ranges=[12000.0] * 300_000, epochs=10, records=4000)
    with pytest.raises(BudgetError, match=r"viewshed-cell evaluations .*300,000 towers") as err:
        check(est, Budget.of(max_memory_gb=16), study)
    assert "fewer towers" in str(err.value)
    check(est, Budget.of(max_memory_gb=16, max_work=1e14), study)  # raised deliberately


def test_limits_and_bad_values():
    with limits(max_memory_gb=2, max_work=5.0):
        assert Budget.of().max_memory == 2 * GiB
        assert Budget.of().max_work == 5.0
        assert Budget.of(max_work=7.0).max_work == 7.0
    assert Budget.of().max_work == DEFAULT_MAX_WORK
    with pytest.raises(InputError, match="--max-memory"):
        Budget.of(max_memory_gb=-1)


@pytest.mark.parametrize(
    "old, new", [("resolution_m = 90 ", "resolution_m = 1 "), ("hotspot_cell_m = 5000", "hotspot_cell_m = 1")]
)
def test_cli_refuses_within_seconds(tmp_path, data_dir, old, new):
    study = _copy(tmp_path, old, new)
    done, took = _cli("run", str(study), "--dem", str(data_dir / ETOPO_AZ), "--out", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr
    assert took < 10
    assert "of memory" in done.stderr and "What to do" in done.stderr
    assert "--max-memory" in done.stderr
    assert not (tmp_path / "out").exists()


def test_python_run_refuses_before_reading(tmp_path, data_dir):
    study = load_study("arizona-sonora").with_(resolution_m=1)
    t = time.perf_counter()
    with pytest.raises(BudgetError, match="TiB of memory"):
        bs.run(study, data_dir=data_dir, dem=data_dir / ETOPO_AZ)
    with pytest.raises(BudgetError, match="--max-work"):
        assemble_inputs(load_study("western-med"), data_dir=data_dir, budget=Budget.of(max_work=1e3))
    assert time.perf_counter() - t < 10


def test_shipped_study_runs_and_records_its_estimate(data_dir):
    result = bs.run("arizona-sonora", data_dir=data_dir)
    budget = result.options["budget"]
    assert budget["estimate"]["stage"] == "layers"
    assert budget["estimate"]["memory"] < budget["max_memory_bytes"]
    assert budget["estimate"]["work"] < budget["max_work"]
    assert budget["estimate"]["factors"]["bytes_per_cell"] == 64


def test_wrong_geometry_kind_is_a_typed_error(data_dir):
    study = load_study("arizona-sonora")
    study = study.with_(layers={**study.layers, "deaths": "tiger-roads-az"})
    with pytest.raises(InputError) as err:
        bs.run(study, data_dir=data_dir)
    text = str(err.value)
    for w in ("'deaths'", "tiger-roads-az", "lines", "needs points", "pcome", "borderscape sources"):
        assert w in text
