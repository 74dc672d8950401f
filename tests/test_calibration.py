"""The bookkeeping of benchmarks/calibrate_primaries.py (size of the primary endpoints on null data).

These tests check that the harness counts, rates and Monte Carlo intervals are computed right, that its
simulated series have the mean, dispersion and autocorrelation asked for, and that the same seed gives
the same table; they make no claim about the size of any test (that is the benchmark's job, on hundreds
of worlds: docs/calibration-primaries.md).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from borderscape.analyses.study import ENDPOINTS


def _load():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "calibrate_primaries.py"
    spec = importlib.util.spec_from_file_location("calibrate_primaries", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses and worker processes look the module up by name
    spec.loader.exec_module(mod)
    return mod


cp = _load()


@pytest.mark.parametrize("k, n", [(0, 10), (10, 10), (3, 200), (10, 200), (57, 400), (1, 1)])
def test_clopper_pearson_matches_statsmodels_and_the_closed_forms(k, n):
    lo, hi = cp.clopper_pearson(k, n)
    ref = proportion_confint(k, n, alpha=0.05, method="beta")
    assert (lo, hi) == pytest.approx(ref, abs=1e-12)
    if k == 0:  # closed forms at the edges: (α/2)^(1/n)
        assert lo == 0 and hi == pytest.approx(1 - 0.025 ** (1 / n), rel=1e-12)
    if k == n:
        assert hi == 1 and lo == pytest.approx(0.025 ** (1 / n), rel=1e-12)
    assert all(math.isnan(x) for x in cp.clopper_pearson(0, 0))


def test_summarise_counts_rejections_on_the_adjusted_p_value():
    R = cp.Replicate
    reps = [
        R("worlds", 0, 1, {"A": (0.01, 0.04), "B": (0.20, 0.20)}),
        R("worlds", 1, 2, {"A": (0.03, 0.06)}, {"B": "too few records"}),
        R("worlds", 2, 3, {"A": (0.50, 0.50), "B": (0.001, 0.005)}),
        R("worlds", 3, 4, error="OverflowError: math range error"),
        R("M1 series (compound)", 0, 1, {"M1.change": (0.049, 0.049)}),
        R("M1 series (compound)", 1, 2, {"M1.change": (0.050, 0.050)}),
    ]
    rows = {(r.source, r.id): r for r in cp.summarise(reps)}
    assert list(rows) == [("worlds", "A"), ("worlds", "B"), ("worlds", cp.ANY), ("M1 series (compound)", "M1.change")]
    a, b, fam, m1 = rows.values()
    # A ran in 3 of 4 worlds (the 4th failed); adjusted p < 0.05 once, raw p < 0.05 twice
    assert (a.replicates, a.ran, a.rejected, a.rejected_raw) == (4, 3, 1, 2)
    assert a.rate == pytest.approx(1 / 3) and a.raw_rate == pytest.approx(2 / 3)
    assert a.ci == cp.clopper_pearson(1, 3) and a.raw_ci == cp.clopper_pearson(2, 3)
    assert a.skipped_because.startswith("the battery failed: OverflowError")
    assert (b.ran, b.rejected, b.rejected_raw, b.skipped_because) == (2, 1, 1, "too few records")
    # family-wise: among the 3 worlds where some primary ran, worlds 0 (A) and 2 (B) rejected after adjustment
    assert (fam.replicates, fam.ran, fam.rejected, fam.rejected_raw) == (4, 3, 2, 3)
    # strictly below the level: p = 0.05 is not a rejection
    assert (m1.ran, m1.rejected) == (2, 1)
    lines = cp.table_lines(list(rows.values()))
    assert len(lines) == 2 + len(rows) and "| worlds | A | 3 / 4 | 1 | 33.3 % [" in lines[2]
    assert any("did not run in 1 of 4" in s for s in cp.skipped_lines(list(rows.values())))
    assert cp.error_lines(reps) == ["- worlds: 1 replicate(s), seeds 4: OverflowError: math range error"]


def test_sensitivity_variants_are_counted_on_their_raw_p_value():
    R = cp.Replicate
    reps = [
        R("s", 0, 0, {"A": (0.3, 0.3)}, variants={"A": {"nb2": 0.01, "no season": 0.2}}),
        R("s", 1, 1, {"A": (0.3, 0.3)}, variants={"A": {"nb2": 0.04}}),
        R("s", 2, 2, {"A": (0.3, 0.3)}, variants={"A": {"nb2": 0.5, "no season": 0.049}}),
    ]
    rows = {r.id: r for r in cp.summarise_variants(reps)}
    assert list(rows) == ["A | nb2", "A | no season"]
    assert (rows["A | nb2"].ran, rows["A | nb2"].rejected_raw, rows["A | nb2"].replicates) == (3, 2, 3)
    assert (rows["A | no season"].ran, rows["A | no season"].rejected_raw) == (2, 1)
    assert rows["A | nb2"].raw_ci == cp.clopper_pearson(2, 3)
    assert cp.variant_lines(list(rows.values()))[2].startswith("| s | A | nb2 | 3 / 3 | 2 | 66.7 % [")
    # names with data-dependent numbers are matched with their numbers masked; fixed names stay apart
    reps = [
        R(
            "s",
            i,
            i,
            {"A": (0.3, 0.3)},
            variants={"A": {f"break at {y}-01-01": p, "split 2006": 0.5, "split 2008": 0.01}},
        )
        for i, (y, p) in enumerate([(2003, 0.01), (2010, 0.2), (2012, 0.03)])
    ]
    rows = {r.id: r for r in cp.summarise_variants(reps)}
    assert list(rows) == ["A | break at …", "A | split 2006", "A | split 2008"]
    assert (rows["A | break at …"].ran, rows["A | break at …"].rejected_raw) == (3, 2)
    assert (rows["A | split 2008"].ran, rows["A | split 2008"].rejected_raw) == (3, 3)


def test_verdicts_compare_the_interval_with_five_percent():
    def row(k, n):
        return cp.summarise([cp.Replicate("s", i, i, {"X": (0.0, 0.0) if i < k else (1.0, 1.0)}) for i in range(n)])[0]

    assert row(20, 200).verdict == "ABOVE 5 % beyond MC error"  # 10 %: CP interval 6.2–15.0 %
    assert row(10, 200).verdict == "at most 5 % within MC error"  # 5 %: 2.4–9.0 %
    assert row(0, 200).verdict == "below 5 % (whole interval)"  # 0 %: 0–1.8 %
    assert cp.summarise([cp.Replicate("s", 0, 0, skipped={"X": "no data"})])[0].verdict == "did not run"


@pytest.mark.parametrize(
    "mechanism, mu, phi",
    [("compound", 16.4, 13.7), ("compound", 178.0, 196.0), ("negbin", 16.4, 13.7), ("negbin", 178.0, 196.0)],
)
def test_overdispersed_counts_have_the_mean_and_dispersion_asked(mechanism, mu, phi):
    """Against the closed forms: E = μ and Var = φ μ (compound Poisson with geometric sizes of mean (φ+1)/2;
    NB2 with k = μ/(φ−1) at a constant μ)."""
    rng = np.random.default_rng(2024)
    n = 40_000
    y = cp.overdispersed_counts(np.full(n, mu), phi, mechanism, rng)
    assert y.dtype.kind == "i" and y.min() >= 0
    assert y.mean() == pytest.approx(mu, abs=4 * math.sqrt(phi * mu / n))
    assert y.var() / mu == pytest.approx(phi, rel=0.08)
    assert np.array_equal(
        cp.overdispersed_counts(np.full(5, 3.0), 1.0, mechanism, np.random.default_rng(1)),
        np.random.default_rng(1).poisson(np.full(5, 3.0)),
    )
    with pytest.raises(ValueError):
        cp.overdispersed_counts(np.ones(3), 0.5, mechanism, rng)
    with pytest.raises(ValueError):
        cp.overdispersed_counts(np.ones(3), 2.0, "poisson-ish", rng)


def test_simulated_denominator_has_the_shape_asked():
    """A long series: the AR(1) residual of log E has the lag-1 correlation and the sd of the shape, and the
    mean death rate per unit of denominator is the shape's (no trend in it)."""
    shape = dataclasses.replace(cp.M1_SHAPE, months=6000)
    rng = np.random.default_rng(7)
    months, e = cp.simulate_denominator(shape, rng)
    assert len(months) == len(e) == 6000 and e.min() >= 1 and months[0] == pd.Timestamp("2014-01-01")
    t = (months - months[0]).days.to_numpy() / 365.25
    moy = months.month.to_numpy()
    s, c = shape.seasonal
    x = np.log(e) - (
        shape.level + shape.slope * t + s * np.sin(2 * np.pi * moy / 12) + c * np.cos(2 * np.pi * moy / 12)
    )
    assert np.corrcoef(x[:-1], x[1:])[0, 1] == pytest.approx(shape.ar1, abs=0.03)
    assert x.std() == pytest.approx(shape.sd, rel=0.1)
    mu = cp.death_means(shape, months, e)
    first, last = slice(0, 3000), slice(3000, 6000)
    assert mu[first].sum() / e[first].sum() == pytest.approx(mu[last].sum() / e[last].sum(), rel=0.03)


def test_harness_same_seed_same_table_whatever_the_jobs():
    """One tiny null world and one series of each question and mechanism, run twice (serially, then in 2
    processes): the same table.  Each replicate sees exactly one primary per question."""
    task_list = cp.tasks(1, 1, 5, size=48, walkers=300, permutations=19, bootstrap=19)
    first = cp.run(task_list, jobs=1)
    second = cp.run(task_list, jobs=2)
    assert [r.error for r in first] == [""] * len(first), [r.error for r in first]
    assert [(r.source, r.index, r.seed, dict(r.ran), dict(r.skipped), dict(r.variants)) for r in first] == [
        (r.source, r.index, r.seed, dict(r.ran), dict(r.skipped), dict(r.variants)) for r in second
    ]
    rows = cp.summarise(first)
    assert cp.table_lines(rows) == cp.table_lines(cp.summarise(second))
    world = first[0]
    assert world.source == "worlds" and set(world.ran) | set(world.skipped) == {
        e.result for e in ENDPOINTS["funnel"].values()
    }
    for r in first[1:]:
        question = r.source.split()[0]
        assert set(r.ran) | set(r.skipped) == {ENDPOINTS["funnel" if question == "H4" else "maritime"][question].result}
    for row in rows:
        assert row.replicates == 1 and 0 <= row.rejected <= row.ran <= 1
        if row.ran:
            assert row.rate == row.rejected / row.ran and row.ci == cp.clopper_pearson(row.rejected, row.ran)
    # another series index draws other numbers (the table is not the same whatever the seed)
    other = cp.series_replicate("M1", "compound", 1, 5, cp.M1_SHAPE, 19, 19)
    m1 = next(r for r in first if r.source == "M1 series (compound)")
    # (with 19 resamples the bootstrap p moves in steps of 1/20, so compare the variants' p-values too)
    assert other.ran and (other.ran, other.variants) != (m1.ran, m1.variants)


def test_report_is_written_atomically_with_the_command(tmp_path):
    rows = cp.summarise([cp.Replicate("worlds", 0, 1, {"H1": (0.2, 0.4)})])
    text = cp.report(rows, {"command": "nice .venv/bin/python benchmarks/calibrate_primaries.py --seed 3", "seed": "3"})
    path = tmp_path / "docs" / "calibration-primaries.md"
    cp.write_atomic(path, text)
    cp.write_atomic(path, text)  # over an existing file
    assert path.read_text(encoding="utf-8") == text
    assert [p.name for p in path.parent.iterdir()] == ["calibration-primaries.md"]
    assert "benchmarks/calibrate_primaries.py --seed 3" in text and "| worlds | H1 | 1 / 1 | 0 |" in text


def test_the_size_said_on_the_results_is_the_size_in_the_report():
    """The caveats of H4.trend and M1.change quote the calibration report: regenerate one, update the other."""
    import pathlib
    import re

    from borderscape.analyses.battery.h4_rate import TREND_SIZE_CAVEAT
    from borderscape.analyses.battery.m1_mortality import CHANGE_SIZE_CAVEAT

    text = (pathlib.Path(__file__).parents[1] / "docs" / "calibration-primaries.md").read_text(encoding="utf-8")

    def rate(source: str, primary: str) -> str:
        row = re.search(
            rf"^\| {re.escape(source)} \| {re.escape(primary)} \| \d+ / \d+ \| \d+ \| ([\d.]+ %)", text, re.M
        )
        assert row, (source, primary)
        return row.group(1)

    for caveat, question, primary in ((TREND_SIZE_CAVEAT, "H4", "H4.trend"), (CHANGE_SIZE_CAVEAT, "M1", "M1.change")):
        for mechanism in ("compound", "negbin"):
            assert rate(f"{question} series ({mechanism})", primary) in caveat, (primary, mechanism)
