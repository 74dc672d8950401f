"""Size of every primary endpoint on simulated data with no effect (issue 17, "Must show").

Run:  nice .venv/bin/python benchmarks/calibrate_primaries.py [--worlds 200] [--series 400] [--seed 1]
      [--jobs 2] [--size 96] [--walkers 4000] [--permutations 199] [--bootstrap 199]
      [--out docs/calibration-primaries.md]

Question: when nothing happens, how often does each primary result say something happened?  Two
kinds of null data are made, and each goes through the battery exactly as a study does
(:func:`borderscape.analyses.battery.run_battery`: the study's declared endpoint is made primary by
``declare`` and its p-value adjusted across the battery's primaries by Holm in ``adjust``):

* **Worlds** (the desert battery H1 … H5): :func:`borderscape.analyses.worlds.simulate_world` with
  ``alpha = 0`` (surveillance does not change routes, so nothing about the remains, the routes or
  deaths per encounter changes when towers are deployed), world ``i`` with seed ``seed + i``, read
  through :func:`~borderscape.analyses.worlds.world_study` and
  :func:`~borderscape.analyses.worlds.inputs_from_world`.  For every outcome whose role is
  ``primary`` and that ran, the harness records ``p_value`` and ``p_adjusted``; a world rejects a
  primary when ``p_adjusted < 0.05``.  The family-wise row counts worlds in which any primary was
  rejected.
* **Monthly series** (H4 and the sea's M1, whose real inputs are a monthly count of deaths against a
  monthly denominator): a denominator shaped like the real one (log-linear trend, annual harmonics and
  AR(1) noise, fitted to the real series: :data:`H4_SHAPE`, :data:`M1_SHAPE`, re-measured by
  ``--measure-shapes DATA_DIR``) and deaths at a rate per unit of denominator that never changes
  (it has the real seasonal pattern but no trend and no step), overdispersed like the real deaths:

  - ``compound``: deaths come in clusters (shipwrecks; several remains found together): a
    compound Poisson count, clusters ~ Poisson(μ / m), each of Geometric size with mean m on 1, 2, …;
    Var = (2m − 1) μ = φ μ, so m = (φ + 1) / 2 (the quasi-Poisson variance);
  - ``negbin``: each month's rate multiplied by a Gamma(k, 1/k) factor (NB2); Var = μ + μ² / k,
    with k = μ̄ / (φ − 1) so that the Pearson dispersion at the mean count μ̄ is φ.

  φ defaults to the dispersions the review reported (13.7 for H4, 196 for the central
  Mediterranean).  Each series is put into a minimal :class:`~borderscape.analyses.inputs.StudyInputs`
  (a ``deaths`` layer and an ``encounters`` table for H4 under the shipped ``arizona-sonora`` study; a
  ``crossings`` table with the IOM columns of the central route for M1 under ``central-med``) and run
  through ``run_battery``; the hypotheses whose layers are absent are skipped, so the series' primary
  is the only one and its adjusted p equals its raw p (a stricter check than inside the battery).

Every rate is reported with its exact (Clopper & Pearson 1934) 95 % Monte Carlo interval.  A primary
"rejects in at most 5 %" when the lower bound of that interval is at most 5 %; it rejects too often
when the lower bound lies above 5 %.  With 200 replicates and a true size of 5 % the interval is
about 2.4–9.0 %; with 400, 3.1–7.6 %.  Everything is seeded: the same arguments give the same table,
whatever ``--jobs``.  The report (``--out``) is written atomically and names the command that
regenerates it.  This is a benchmark (not run in CI); ``tests/test_calibration.py`` checks its
bookkeeping on a handful of tiny worlds and series.

References
----------
Clopper, C. J. & Pearson, E. S. (1934). The use of confidence or fiducial limits illustrated in the
case of the binomial. Biometrika 26, 404–413.
Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scand. J. Stat. 6, 65–70.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import math
import multiprocessing
import os
import pathlib
import platform
import re
import shlex
import sys
import time
import traceback
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import stats

from borderscape.analyses.battery import run_battery
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome
from borderscape.analyses.study import Study, load_study
from borderscape.analyses.worlds import inputs_from_world, simulate_world, world_study
from borderscape.layers.quality import Ledger
from borderscape.layers.schemas import Layer, conform

#: Level at which a primary is rejected (on its adjusted p-value) and the confidence of the MC intervals.
LEVEL = 0.05
CONFIDENCE = 0.95
#: The label of the family-wise row (any primary of a replicate rejected).
ANY = "any primary (family-wise)"
SIMULATED = "simulated"


# -- the shapes of the real monthly series --------------------------------------------------------
@dataclass(frozen=True)
class SeriesShape:
    """A monthly series of deaths against a denominator, shaped like a real one, with no change in the rate.

    Denominator: ``log E_t = level + slope·t + s·sin(2πm/12) + c·cos(2πm/12) + x_t`` (t in years from the
    first month, m the month of the year 1 … 12), ``x_t`` a stationary AR(1) with lag-1 correlation ``ar1``
    and marginal standard deviation ``sd``.  Deaths: mean ``μ_t = rate · E_t · exp(rs·sin + rc·cos)``
    (a seasonal rate, constant from year to year), overdispersed with dispersion ``dispersion`` (φ).
    """

    question: str
    study: str
    first_month: str
    months: int
    level: float
    slope: float
    seasonal: tuple[float, float]
    ar1: float
    sd: float
    rate: float
    rate_seasonal: tuple[float, float]
    dispersion: float
    basis: str = ""


#: H4: Tucson Sector encounters 2019-10 … 2024-09 (60 months) and Pima County remains by reporting month,
#: measured by :func:`measure_shapes` on the shared data (2026-12); φ = 13.7 is the dispersion the review
#: quotes (the measured Pearson dispersion of the constant-rate seasonal model is 18.7; with a trend, 8.2).
H4_SHAPE = SeriesShape(
    question="H4",
    study="arizona-sonora",
    first_month="2019-10",
    months=60,
    level=8.736,
    slope=0.418,
    seasonal=(0.063, 0.186),
    ar1=0.875,
    sd=0.461,
    rate=7.29e-4,
    rate_seasonal=(-0.265, -0.418),
    dispersion=13.7,
    basis="cbp-encounters (Tucson Sector) and pcome, 2019-10 to 2024-09",
)
#: M1: IOM attempted crossings and dead and missing on the central Mediterranean route, 2014-01 … 2024-12
#: (the study leaves 2021 out); φ = 196 as the review quotes (measured: 193 for a constant rate, 164 with
#: seasonal terms).
M1_SHAPE = SeriesShape(
    question="M1",
    study="central-med",
    first_month="2014-01",
    months=132,
    level=8.946,
    slope=-1.24e-5,
    seasonal=(-0.407, -0.479),
    ar1=0.799,
    sd=0.827,
    rate=0.01624,
    rate_seasonal=(0.489, 0.111),
    dispersion=196.0,
    basis="iom-med-monthly, central route, 2014-01 to 2024-12 without 2021",
)
SHAPES = {"H4": H4_SHAPE, "M1": M1_SHAPE}
MECHANISMS = ("compound", "negbin")


def simulate_denominator(shape: SeriesShape, rng: np.random.Generator) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Months and a positive integer denominator drawn from ``shape`` (see :class:`SeriesShape`)."""
    months = pd.date_range(pd.Period(shape.first_month, "M").to_timestamp(), periods=shape.months, freq="MS")
    t = (months - months[0]).days.to_numpy() / 365.25
    moy = months.month.to_numpy()
    x = np.empty(shape.months)
    x[0] = rng.normal(0.0, shape.sd)
    innovation = shape.sd * math.sqrt(1.0 - shape.ar1**2)
    for i in range(1, shape.months):
        x[i] = shape.ar1 * x[i - 1] + rng.normal(0.0, innovation)
    s, c = shape.seasonal
    log_e = shape.level + shape.slope * t + s * np.sin(2 * np.pi * moy / 12) + c * np.cos(2 * np.pi * moy / 12) + x
    return months, np.maximum(1, np.round(np.exp(log_e))).astype(np.int64)


def death_means(shape: SeriesShape, months: pd.DatetimeIndex, denominator: np.ndarray) -> np.ndarray:
    """Mean deaths per month: the shape's rate (seasonal, with no trend and no step) times the denominator."""
    moy = months.month.to_numpy()
    rs, rc = shape.rate_seasonal
    return shape.rate * denominator * np.exp(rs * np.sin(2 * np.pi * moy / 12) + rc * np.cos(2 * np.pi * moy / 12))


def overdispersed_counts(mu: np.ndarray, dispersion: float, mechanism: str, rng: np.random.Generator) -> np.ndarray:
    """Counts with mean ``mu`` and Pearson dispersion ``dispersion`` (φ ≥ 1).

    ``compound``: clusters ~ Poisson(μ / m), sizes Geometric on 1, 2, … with mean m = (φ + 1) / 2, so that
    Var = φ μ.  The sum of n such sizes is n plus a negative binomial (n, 1 / m) number of failures.
    ``negbin``: Poisson(μ · G), G ~ Gamma(k, 1/k), k = mean(μ) / (φ − 1): Var = μ + μ² / k.
    """
    mu = np.asarray(mu, dtype=float)
    if dispersion < 1:
        raise ValueError(f"dispersion must be >= 1, got {dispersion}")
    if dispersion == 1:
        return rng.poisson(mu)
    if mechanism == "compound":
        m = (dispersion + 1.0) / 2.0
        clusters = rng.poisson(mu / m)
        extra = np.zeros(mu.shape, dtype=np.int64)
        some = clusters > 0
        extra[some] = rng.negative_binomial(clusters[some], 1.0 / m)
        return clusters + extra
    if mechanism == "negbin":
        k = float(np.mean(mu)) / (dispersion - 1.0)
        return rng.poisson(mu * rng.gamma(k, 1.0 / k, mu.shape))
    raise ValueError(f"mechanism must be one of {MECHANISMS}, got {mechanism!r}")


def _layer(kind: str, frame: pd.DataFrame, points: Sequence[shapely.Point] | None = None) -> Layer:
    """A layer like the ingest makes (schema columns, ledger, quality report that says it is simulated)."""
    frame = frame.reset_index(drop=True)
    if kind == "deaths":
        frame = conform(frame, kind)
    ledger = Ledger(len(frame))
    frame = ledger.annotate(frame)
    if points is not None:
        frame = gpd.GeoDataFrame(frame, geometry=list(points), crs="EPSG:4326")
    report = ledger.report(source=SIMULATED, files=[], notes=["SIMULATED monthly series (calibrate_primaries.py)"])
    return Layer(source=SIMULATED, kind=kind, frame=frame, report=report)


def series_inputs(
    shape: SeriesShape,
    study: Study,
    months: pd.DatetimeIndex,
    denominator: np.ndarray,
    deaths: np.ndarray,
    rng: np.random.Generator,
) -> StudyInputs:
    """The minimal inputs of the series' question: H4 a ``deaths`` layer (one row per death, a uniform day of
    its month, at the centre of the study region) and a Tucson Sector ``encounters`` table; M1 a ``crossings``
    table with the IOM columns of the central route (the denominator as arrivals in Italy, deaths in ``cmr``)."""
    if shape.question == "H4":
        first = np.repeat(months.to_numpy(), deaths)
        days = np.repeat(months.days_in_month.to_numpy(), deaths)
        dates = first + (np.floor(rng.random(len(first)) * days).astype(np.int64) * np.timedelta64(1, "D"))
        west, south, east, north = study.bbox
        frame = pd.DataFrame(
            {
                "date": pd.to_datetime(dates),
                "date_kind": "reported",
                "date_precision": "day",
                "dead": 1,
                "missing": 0,
                "cause": "simulated death",
                "location_precision": "simulated: region centre",
                "source_id": SIMULATED,
                "record_id": pd.NA,
            }
        )
        centre = shapely.Point((west + east) / 2, (south + north) / 2)
        encounters = pd.DataFrame(
            {
                "month": months,
                "component": "U.S. Border Patrol",
                "area_of_responsibility": "Tucson Sector",
                "authority": "Title 8",
                "encounter_type": "Apprehensions",
                "encounters": pd.array(denominator, dtype="Int64"),
                "source_id": SIMULATED,
            }
        )
        return StudyInputs(
            layers={
                "deaths": _layer("deaths", frame, [centre] * len(frame)),
                "encounters": _layer("table", encounters),
            },
            simulated=True,
        )
    if shape.question == "M1":
        table = pd.DataFrame(
            {
                "date": months,
                "year": pd.array(months.year, dtype="Int64"),
                "month": pd.array(months.month, dtype="Int64"),
                "sea_arrivals_in_italy": pd.array(denominator, dtype="Int64"),
                "sea_arrivals_in_malta": pd.array(np.zeros(len(months), dtype=np.int64), dtype="Int64"),
                "interceptions_by_libyan_coast_guard": pd.array(np.zeros(len(months), dtype=np.int64), dtype="Int64"),
                "interceptions_by_tunisian_coast_guard": pd.array(np.zeros(len(months), dtype=np.int64), dtype="Int64"),
                "cmr": pd.array(deaths, dtype="Int64"),
            }
        )
        return StudyInputs(layers={"crossings": _layer("table", table)}, simulated=True)
    raise ValueError(f"no series inputs for {shape.question}")


# -- one replicate --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Replicate:
    """What the primaries of one null world or series gave.

    ``ran`` maps a primary id to ``(p_value, p_adjusted)``; ``skipped`` maps a primary id to its reason;
    ``error`` is the exception that stopped the battery (a bug to report: the replicate counts, but no
    primary ran in it), else empty; ``variants`` maps a primary id to the raw p-value of each of its
    sensitivity variants that has one (variant name → p).
    """

    source: str
    index: int
    seed: int
    ran: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    skipped: Mapping[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    error: str = ""
    variants: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


def primaries(outcomes: Sequence[Outcome]) -> tuple[dict[str, tuple[float, float]], dict[str, str]]:
    """The primary outcomes that ran with a finite p (id → (p, adjusted p)) and the others (id → reason)."""
    ran: dict[str, tuple[float, float]] = {}
    skipped: dict[str, str] = {}
    for o in outcomes:
        if o.role != "primary":
            continue
        p, q = o.p_value, o.p_adjusted
        if o.status == "ran" and p is not None and q is not None and math.isfinite(p) and math.isfinite(q):
            ran[o.id] = (float(p), float(q))
        else:
            skipped[o.id] = o.reason or ("ran without a p-value" if o.status == "ran" else o.status)
    return ran, skipped


def variant_p_values(outcomes: Sequence[Outcome]) -> dict[str, dict[str, float]]:
    """Primary id → {sensitivity variant name → its finite raw p-value}, for the primaries that ran."""
    return {
        o.id: {v.name: float(v.p_value) for v in o.sensitivity if v.p_value is not None and math.isfinite(v.p_value)}
        for o in outcomes
        if o.role == "primary" and o.status == "ran" and o.sensitivity
    }


def study_parameters(permutations: int, bootstrap: int, battery: str = "funnel") -> dict[str, dict[str, int]]:
    """The study parameters the benchmark changes: permutations, simulations and bootstrap resamples (the
    maritime battery has no ``[parameters.displacement]``)."""
    out = {"statistics": {"permutations": permutations}}
    if battery == "funnel":
        out["displacement"] = {"bootstrap": bootstrap}
    return out


def world_replicate(index: int, seed: int, size: int, walkers: int, permutations: int, bootstrap: int) -> Replicate:
    """Simulate null world ``index`` (seed ``seed + index``, α = 0) and run the desert battery on it."""
    start = time.perf_counter()
    world_seed = seed + index
    try:
        world = simulate_world(seed=world_seed, alpha=0.0, size=size, walkers=walkers)
        study = world_study(world, seed=world_seed, parameters=study_parameters(permutations, bootstrap))
        battery = run_battery(study, inputs_from_world(world))
    except Exception as exc:  # a bug in a hypothesis: recorded and reported, the other replicates go on
        return Replicate("worlds", index, world_seed, seconds=time.perf_counter() - start, error=_error(exc))
    ran, skipped = primaries(battery.outcomes)
    variants = variant_p_values(battery.outcomes)
    return Replicate("worlds", index, world_seed, ran, skipped, time.perf_counter() - start, variants=variants)


def _error(exc: Exception) -> str:
    """An exception in one line, with the innermost frame of the project that raised it."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "site-packages" not in f.filename]
    where = f" (at {pathlib.Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return " ".join(f"{type(exc).__name__}: {exc}{where}".split())


def series_source(question: str, mechanism: str) -> str:
    return f"{question} series ({mechanism})"


def series_replicate(
    question: str, mechanism: str, index: int, seed: int, shape: SeriesShape, permutations: int, bootstrap: int
) -> Replicate:
    """Simulate null series ``index`` of ``question`` and run its battery on it (the other hypotheses skip)."""
    start = time.perf_counter()
    code = MECHANISMS.index(mechanism)
    rng = np.random.default_rng([seed, sum(map(ord, question)), code, index])
    study = load_study(shape.study)
    study = study.with_(parameters=study_parameters(permutations, bootstrap, study.battery))
    months, denominator = simulate_denominator(shape, rng)
    deaths = overdispersed_counts(death_means(shape, months, denominator), shape.dispersion, mechanism, rng)
    inputs = series_inputs(shape, study, months, denominator, deaths, rng)
    battery_seed = seed + index
    source = series_source(question, mechanism)
    try:
        battery = run_battery(study, inputs, seed=battery_seed)
    except Exception as exc:  # a bug in a hypothesis: recorded and reported, the other replicates go on
        return Replicate(source, index, battery_seed, seconds=time.perf_counter() - start, error=_error(exc))
    ran, skipped = primaries(battery.outcomes)
    ran = {k: v for k, v in ran.items() if k.split(".")[0] == question}
    skipped = {k: v for k, v in skipped.items() if k.split(".")[0] == question}
    variants = {k: v for k, v in variant_p_values(battery.outcomes).items() if k.split(".")[0] == question}
    return Replicate(source, index, battery_seed, ran, skipped, time.perf_counter() - start, variants=variants)


# -- the table ------------------------------------------------------------------------------------
def clopper_pearson(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Exact (Clopper & Pearson 1934) interval of a binomial proportion k / n, from beta quantiles."""
    if n <= 0:
        return math.nan, math.nan
    a = 1.0 - confidence
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - a / 2, k + 1, n - k))
    return lo, hi


@dataclass(frozen=True)
class Row:
    """One line of the table: a primary (or the family) of one source of null data."""

    source: str
    id: str
    replicates: int
    ran: int
    rejected: int
    rate: float
    ci: tuple[float, float]
    rejected_raw: int
    raw_rate: float
    raw_ci: tuple[float, float]
    skipped_because: str = ""

    @property
    def verdict(self) -> str:
        if self.ran == 0:
            return "did not run"
        if self.ci[0] > LEVEL:
            return "ABOVE 5 % beyond MC error"
        if self.ci[1] <= LEVEL:
            return "below 5 % (whole interval)"
        return "at most 5 % within MC error"


def summarise(replicates: Sequence[Replicate], level: float = LEVEL, confidence: float = CONFIDENCE) -> list[Row]:
    """Per source of null data and primary id: replicates, replicates in which it ran, rejections at
    ``p_adjusted < level`` (and ``p_value < level``), rates and their Clopper–Pearson intervals; and, for a
    source with more than one primary, the family-wise row (:data:`ANY`: replicates in which any primary that
    ran was rejected, among those in which at least one ran)."""
    rows: list[Row] = []
    sources = list(dict.fromkeys(r.source for r in replicates))
    for source in sources:
        reps = [r for r in replicates if r.source == source]
        ids = sorted({k for r in reps for k in (*r.ran, *r.skipped)})
        for key in ids:
            ran = [r.ran[key] for r in reps if key in r.ran]
            reasons = Counter(
                r.skipped[key] if key in r.skipped else f"the battery failed: {r.error}"
                for r in reps
                if key in r.skipped or r.error
            )
            rows.append(
                _row(
                    source,
                    key,
                    len(reps),
                    [q < level for _, q in ran],
                    [p < level for p, _ in ran],
                    confidence,
                    reasons.most_common(1)[0][0] if reasons else "",
                )
            )
        if len(ids) > 1:
            some = [r for r in reps if r.ran]
            rows.append(
                _row(
                    source,
                    ANY,
                    len(reps),
                    [any(q < level for _, q in r.ran.values()) for r in some],
                    [any(p < level for p, _ in r.ran.values()) for r in some],
                    confidence,
                )
            )
    return rows


def _row(source: str, key: str, n: int, adjusted: list[bool], raw: list[bool], confidence: float, why: str = "") -> Row:
    m, k, kr = len(adjusted), int(sum(adjusted)), int(sum(raw))
    return Row(
        source=source,
        id=key,
        replicates=n,
        ran=m,
        rejected=k,
        rate=k / m if m else math.nan,
        ci=clopper_pearson(k, m, confidence),
        rejected_raw=kr,
        raw_rate=kr / m if m else math.nan,
        raw_ci=clopper_pearson(kr, m, confidence),
        skipped_because=why,
    )


_NUMBER = re.compile(r"\d+(?:[.\-]\d+)*")


def variant_keys(names: Sequence[str]) -> list[tuple[str, int]]:
    """The keys that match a replicate's sensitivity variants with the same variant of other replicates:
    the name with its numbers masked (a breakpoint's date or a cell size that depends on the data), and the
    order of the name among those of the replicate with the same masked name (two placebo dates stay two)."""
    seen: Counter[str] = Counter()
    out = []
    for name in names:
        masked = _NUMBER.sub("…", name)
        out.append((masked, seen[masked]))
        seen[masked] += 1
    return out


def summarise_variants(replicates: Sequence[Replicate], level: float = LEVEL) -> list[Row]:
    """Per source, primary and sensitivity variant (id ``<primary> | <variant>``): the replicates in which the
    variant has a p-value, and how often its raw p < ``level`` (a variant is not adjusted: ``rejected`` is
    the raw count).  Variants are matched across replicates by :func:`variant_keys`; the label is the
    variant's name when it is the same in every replicate, else the name with its numbers masked (…)."""
    rows: list[Row] = []
    for source in dict.fromkeys(r.source for r in replicates):
        reps = [r for r in replicates if r.source == source]
        hits: dict[tuple[str, str, int], list[bool]] = {}
        names: dict[tuple[str, str, int], set[str]] = {}
        repeated: set[tuple[str, str]] = set()
        for r in reps:
            for key, found in r.variants.items():
                for (masked, k), (name, p) in zip(variant_keys(list(found)), found.items()):
                    hits.setdefault((key, masked, k), []).append(p < level)
                    names.setdefault((key, masked, k), set()).add(name)
                    if k:
                        repeated.add((key, masked))
        for (key, masked, k), found_hits in hits.items():
            label = next(iter(names[(key, masked, k)])) if len(names[(key, masked, k)]) == 1 else masked
            if len(names[(key, masked, k)]) > 1 and (key, masked) in repeated:
                label += f" [{k + 1}]"
            rows.append(_row(source, f"{key} | {label}", len(reps), found_hits, found_hits, CONFIDENCE))
    return rows


def variant_lines(rows: Sequence[Row]) -> list[str]:
    """The sensitivity variants as a Markdown table (raw p-values)."""
    out = [
        "| null data | primary | sensitivity variant | has a p / replicates | raw p < 0.05 | rate [95 % MC interval] |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        key, name = r.id.split(" | ", 1)
        out.append(
            f"| {r.source} | {key} | {name} | {r.ran} / {r.replicates} | {r.rejected_raw} "
            f"| {_pct(r.raw_rate)} [{_pct(r.raw_ci[0])}, {_pct(r.raw_ci[1])}] |"
        )
    return out


def _pct(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{100 * x:.1f} %"


def table_lines(rows: Sequence[Row]) -> list[str]:
    """The rows as a Markdown table."""
    out = [
        "| null data | primary | ran / replicates | rejected (adjusted p < 0.05) | rate [95 % MC interval] "
        "| raw p < 0.05: rate [95 % MC interval] | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r.source} | {r.id} | {r.ran} / {r.replicates} | {r.rejected} "
            f"| {_pct(r.rate)} [{_pct(r.ci[0])}, {_pct(r.ci[1])}] "
            f"| {_pct(r.raw_rate)} [{_pct(r.raw_ci[0])}, {_pct(r.raw_ci[1])}] | {r.verdict} |"
        )
    return out


def skipped_lines(rows: Sequence[Row]) -> list[str]:
    """Why a primary did not run in some replicates (the most common reason)."""
    return [
        f"- {r.source}, {r.id}: did not run in {r.replicates - r.ran} of {r.replicates}; most often: "
        f"{' '.join(r.skipped_because.split())[:300]}"
        for r in rows
        if r.id != ANY and r.ran < r.replicates
    ]


def error_lines(replicates: Sequence[Replicate]) -> list[str]:
    """Replicates whose battery raised (bugs to report): per source and message, how many and their seeds."""
    found: dict[tuple[str, str], list[int]] = {}
    for r in replicates:
        if r.error:
            found.setdefault((r.source, r.error), []).append(r.seed)
    return [
        f"- {source}: {len(seeds)} replicate(s), seeds {', '.join(map(str, seeds[:10]))}"
        f"{' …' if len(seeds) > 10 else ''}: {message[:300]}"
        for (source, message), seeds in found.items()
    ]


def report(
    rows: Sequence[Row], meta: Mapping[str, str], errors: Sequence[str] = (), variants: Sequence[Row] = ()
) -> str:
    """The Markdown report: what was run, the table, why some primaries did not run, and the runtime."""
    lines = [
        "# Size of the primary endpoints on null data",
        "",
        "Generated by `benchmarks/calibrate_primaries.py` (issue 17: *on simulated worlds with no effect, each "
        "primary after adjustment rejects in at most 5 % of worlds, with its Monte Carlo error*). Do not edit by "
        "hand: rerun the command below.",
        "",
        "```",
        meta["command"],
        "```",
        "",
        *(f"- {k}: {v}" for k, v in meta.items() if k != "command"),
        "",
        "A replicate rejects a primary when its Holm-adjusted p-value (`p_adjusted`, computed by `run_battery` "
        "across the battery's primaries) is below 0.05; the raw-p column shows the same without the "
        "adjustment. Rates are out of the replicates in which the primary ran; intervals are exact "
        "(Clopper–Pearson 1934) 95 % Monte Carlo intervals. *At most 5 % within MC error*: the interval reaches "
        "5 % or below; *ABOVE 5 %*: its lower bound exceeds 5 %. In the series (H4, M1) the series' primary is "
        "the only one that runs, so its adjusted p equals its raw p.",
        "",
        *table_lines(rows),
        "",
    ]
    skipped = skipped_lines(rows)
    if skipped:
        lines += ["## Primaries that did not run in some replicates", "", *skipped, ""]
    if errors:
        lines += ["## Replicates in which the battery raised (bugs)", "", *errors, ""]
    if variants:
        lines += [
            "## Sensitivity variants of the primaries",
            "",
            "The same null data through each variant the primary carries (raw p-values; a variant is never "
            "adjusted). A variant that holds its size where the primary does not points to the cause.",
            "",
            *variant_lines(variants),
            "",
        ]
    lines += [
        "## What the null data are",
        "",
        "- *worlds*: `simulate_world(alpha=0)`: towers are deployed but walkers ignore them, so no route, "
        "death or find changes at the intervention.",
        "- *series (compound)*: deaths in clusters (compound Poisson, geometric cluster sizes, Var = φ μ); "
        "*series (negbin)*: a Gamma-mixed monthly rate (Var = μ + μ²/k, Pearson dispersion φ at the mean "
        "count). The denominator has the real series' trend, seasonality and AR(1) noise; the death rate per "
        "unit of denominator has the real seasonal pattern and never changes.",
        "- Not covered: M2–M5 (incident locations, search-and-rescue shares, assets, hot spots at sea) have "
        "no null simulator yet.",
        "",
    ]
    return "\n".join(lines)


def write_atomic(path: pathlib.Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and :func:`os.replace`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# -- running --------------------------------------------------------------------------------------
def tasks(
    worlds: int,
    series: int,
    seed: int,
    *,
    size: int,
    walkers: int,
    permutations: int,
    bootstrap: int,
    shapes: Mapping[str, SeriesShape] = SHAPES,
    questions: Sequence[str] = ("H4", "M1"),
) -> list[tuple]:
    """Every replicate to run, in a fixed order: ``(function, args)``."""
    out: list[tuple] = [(world_replicate, (i, seed, size, walkers, permutations, bootstrap)) for i in range(worlds)]
    for q in questions:
        for mech in MECHANISMS:
            out += [(series_replicate, (q, mech, i, seed, shapes[q], permutations, bootstrap)) for i in range(series)]
    return out


def _call(task: tuple) -> Replicate:
    func, args = task
    return func(*args)


def run(task_list: Sequence[tuple], jobs: int = 1, *, progress: bool = False) -> list[Replicate]:
    """Run the replicates (serially, or in ``jobs`` worker processes); the result keeps the task order.
    With ``progress``, a line on stderr at every tenth of the replicates."""
    start, out = time.perf_counter(), []
    step = max(1, len(task_list) // 10)
    with multiprocessing.Pool(jobs) if jobs > 1 else _Serial() as pool:
        for i, rep in enumerate(pool.imap(_call, task_list, chunksize=1), 1):
            out.append(rep)
            if progress and (i % step == 0 or i == len(task_list)):
                print(
                    f"{i}/{len(task_list)} replicates, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True
                )
    return out


class _Serial:
    """A stand-in for a pool of one: ``imap`` in this process."""

    def __enter__(self) -> _Serial:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def imap(self, func, items, chunksize=1):  # noqa: ANN001, ANN201 - the Pool.imap signature
        return map(func, items)


def measure_shapes(data_dir: str) -> dict[str, SeriesShape]:
    """The shapes of the real H4 and M1 series (for ``--measure-shapes``): OLS of log(denominator) on t and
    annual harmonics with the lag-1 correlation and standard deviation of its residuals; a Poisson GLM of
    deaths with log(denominator) offset and annual harmonics, with its Pearson dispersion."""
    import statsmodels.api as sm

    from borderscape.analyses.battery.common import in_period
    from borderscape.analyses.battery.m1_mortality import mortality_per_crossing
    from borderscape.layers.ingest import ingest
    from borderscape.layers.quality import usable

    # H4: Tucson Sector encounters (every authority) and remains by reporting month, in the months both cover
    az = load_study("arizona-sonora")
    enc = usable(ingest(az.layers["encounters"], data_dir=data_dir).frame)
    enc = enc[enc["area_of_responsibility"].eq("Tucson Sector").fillna(False).to_numpy(dtype=bool)]
    per_month = enc["encounters"].astype(float).groupby(pd.to_datetime(enc["month"]).dt.to_period("M")).sum()
    dead = ingest(az.layers["deaths"], data_dir=data_dir).frame
    dead = dead[in_period(dead["date"], az)]
    deaths_month = (
        pd.to_numeric(dead["dead"], errors="coerce")
        .fillna(0)
        .groupby(pd.to_datetime(dead["date"]).dt.to_period("M"))
        .sum()
    )
    span = per_month[(per_month > 0) & (per_month.index <= pd.Period(az.end, "M"))]
    full = pd.period_range(span.index.min(), span.index.max(), freq="M")
    h4 = pd.DataFrame(
        {
            "month": full.to_timestamp(),
            "deaths": deaths_month.reindex(full, fill_value=0).to_numpy(),
            "encounters": span.reindex(full).to_numpy(),
        }
    )
    med = load_study("central-med")
    m1 = mortality_per_crossing(
        ingest(med.layers["crossings"], data_dir=data_dir).frame, ["central"], exclude_years=[2021]
    )
    found = {}
    for shape, months, deaths, denominator in (
        (H4_SHAPE, pd.DatetimeIndex(h4["month"]), h4["deaths"], h4["encounters"]),
        (M1_SHAPE, pd.DatetimeIndex(pd.to_datetime(m1["month"] + "-01")), m1["dead_missing"], m1["crossings"]),
    ):
        t = (months - months[0]).days.to_numpy() / 365.25
        harm = np.column_stack([np.sin(2 * np.pi * months.month / 12), np.cos(2 * np.pi * months.month / 12)])
        ols = sm.OLS(np.log(denominator.to_numpy(float)), sm.add_constant(np.column_stack([t, harm]))).fit()
        r = ols.resid
        glm = sm.GLM(
            deaths.to_numpy(float),
            sm.add_constant(harm),
            family=sm.families.Poisson(),
            offset=np.log(denominator.to_numpy(float)),
        ).fit(scale="X2")
        found[shape.question] = dataclasses.replace(
            shape,
            level=float(ols.params[0]),
            slope=float(ols.params[1]),
            seasonal=(float(ols.params[2]), float(ols.params[3])),
            ar1=float(np.corrcoef(r[:-1], r[1:])[0, 1]),
            sd=float(np.std(r)),
            rate=float(deaths.sum() / denominator.sum()),
            rate_seasonal=(float(glm.params[1]), float(glm.params[2])),
            dispersion=float(glm.scale),
        )
    return found


def cpu_model() -> str:
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worlds", type=int, default=200, help="null worlds (desert battery)")
    parser.add_argument("--series", type=int, default=400, help="null series per question and mechanism")
    parser.add_argument("--seed", type=int, default=1, help="world i has seed SEED + i; series are seeded from it")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--size", type=int, default=96, help="cells per side of a world (90 m)")
    parser.add_argument("--walkers", type=int, default=4000, help="walkers per world")
    parser.add_argument(
        "--permutations", type=int, default=199, help="[parameters.statistics] permutations (and bootstrap resamples)"
    )
    parser.add_argument("--bootstrap", type=int, default=199, help="[parameters.displacement] bootstrap (H1, H3)")
    parser.add_argument("--questions", nargs="*", default=["H4", "M1"], choices=sorted(SHAPES))
    parser.add_argument("--h4-dispersion", type=float, default=H4_SHAPE.dispersion, help="φ of the H4 deaths")
    parser.add_argument("--m1-dispersion", type=float, default=M1_SHAPE.dispersion, help="φ of the sea's deaths")
    parser.add_argument("--out", default="docs/calibration-primaries.md", help="the report ('' for none)")
    parser.add_argument("--measure-shapes", metavar="DATA_DIR", default="", help="print the real series' shapes")
    args = parser.parse_args(argv)
    if args.measure_shapes:
        for shape in measure_shapes(args.measure_shapes).values():
            print(shape)
        return
    shapes = {
        "H4": dataclasses.replace(H4_SHAPE, dispersion=args.h4_dispersion),
        "M1": dataclasses.replace(M1_SHAPE, dispersion=args.m1_dispersion),
    }
    hardware = f"nproc={os.cpu_count()}, {cpu_model()}, Python {platform.python_version()}"
    print(f"hardware: {hardware}")
    start = time.perf_counter()
    task_list = tasks(
        args.worlds,
        args.series,
        args.seed,
        size=args.size,
        walkers=args.walkers,
        permutations=args.permutations,
        bootstrap=args.bootstrap,
        shapes=shapes,
        questions=args.questions,
    )
    replicates = run(task_list, args.jobs, progress=True)
    elapsed = time.perf_counter() - start
    rows = summarise(replicates)
    seconds = Counter()
    for r in replicates:
        seconds[r.source] += r.seconds
    command = "nice .venv/bin/python benchmarks/calibrate_primaries.py " + " ".join(
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)
    )
    meta = {
        "command": command.strip(),
        "seed": f"{args.seed} (world i: seed {args.seed} + i, alpha = 0; series i: generator "
        f"[{args.seed}, question, mechanism, i], battery seed {args.seed} + i)",
        "worlds": f"{args.worlds} of {args.size} × {args.size} cells of 90 m, {args.walkers} walkers",
        "resampling": f"[parameters.statistics] permutations = {args.permutations} (permutations, simulations and "
        f"bootstrap resamples), [parameters.displacement] bootstrap = {args.bootstrap}, in worlds and series "
        "(fewer than the shipped 999 to fit the runtime: a Monte Carlo permutation p-value keeps its size at "
        "any count, bootstrap intervals and p-values are coarser)",
        "series": f"{args.series} per question and mechanism; "
        + "; ".join(
            f"{q}: {s.months} months from {s.first_month}, φ = {s.dispersion:g} ({s.basis})"
            for q, s in shapes.items()
            if q in args.questions
        ),
        "runtime": f"{elapsed:.0f} s wall with {args.jobs} worker(s); seconds spent in the replicates by source: "
        + ", ".join(f"{k} {v:.0f}" for k, v in seconds.items()),
        "hardware": hardware,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    errors = error_lines(replicates)
    variants = summarise_variants(replicates)
    text = report(rows, meta, errors, variants)
    print("\n".join(table_lines(rows)))
    for line in (*skipped_lines(rows), *errors, "", *variant_lines(variants)):
        print(line)
    print(f"\nruntime {elapsed:.0f} s wall ({args.jobs} jobs); " + meta["runtime"].split("; ", 1)[1])
    if args.out:
        write_atomic(pathlib.Path(args.out), text)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
