"""The batteries of tests: the desert funnel effect (H1 … H5) and the sea (M1 … M6).

After Chambers, Boyce, Launius & Dinsmore (2019), "Mortality, surveillance and the tertiary
'funnel effect' on the U.S.–Mexico border", J. Borderlands Studies 36(3):

H1  coverage displacement — fewer remains inside the coverage of the sensors active at the
    time than the area covered would lead one to expect (:mod:`.h1_coverage`);
H2  hardship — remains lie in harder terrain (energy cost from the border, distance to roads
    and water, slope, ruggedness) and more so over time and after interventions
    (:mod:`.h2_hardship`);
H3  routes — routes that avoid coverage cost more energy than unconstrained ones, by epoch
    (:mod:`.h3_routes`);
H4  mortality rate — deaths per encounter, with an interrupted time series around
    intervention dates (:mod:`.h4_rate`);
H5  hot spots — Gi* hot spots per period, and whether they moved into harder terrain
    (:mod:`.h5_hotspots`).

The sea battery, same contract: M1 mortality per crossing by route and month
(:mod:`.m1_mortality`), M2 distances of deaths and detections from the departure coasts and
from coverage (:mod:`.m2_distances`), M3 shares of incidents inside search-and-rescue regions
(:mod:`.m3_sar_regions`), M4 deaths by detecting asset (:mod:`.m4_assets`), M5 hot spots of
incidents (:mod:`.m5_hotspots`), M6 aerial surveillance and interceptions by the Libyan coast guard
(:mod:`.m6_interceptions`).

Each hypothesis is a function ``(study, inputs, rng) -> Section`` returning
:class:`~borderscape.analyses.results.Outcome` records (``H2.road_distance`` …) with estimate,
confidence interval, p-value, n and method, or ``skipped`` with the reason and the remedy
when a layer it needs is missing.  Randomness: one child generator per hypothesis, spawned in
a fixed order from the study's seed, so that the same inputs and seed give identical numbers
and one hypothesis's draws never shift another's.

The batteries look at past periods only: they forecast nothing and rank no place.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from borderscape.analyses import region
from borderscape.analyses.battery import (
    h1_coverage,
    h2_hardship,
    h3_routes,
    h4_rate,
    h5_hotspots,
    m1_mortality,
    m2_distances,
    m3_sar_regions,
    m4_assets,
    m5_hotspots,
    m6_interceptions,
)
from borderscape.analyses.battery.common import Section, reason
from borderscape.analyses.calibration import sector_caveat
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.results import Outcome
from borderscape.analyses.stats.seeds import generator
from borderscape.analyses.study import Study
from borderscape.geo.errors import BorderscapeError
from borderscape.geo.raster import Raster

__all__ = ["FUNNEL", "MARITIME", "SKIPPABLE", "Battery", "Hypothesis", "adjust", "declare", "hypotheses", "run_battery"]

#: A hypothesis of a battery: ``(study, inputs, rng) -> Section``.
Hypothesis = Callable[[Study, StudyInputs, np.random.Generator], Section]

#: The desert battery in order: (id prefix, function).
FUNNEL: list[tuple[str, Hypothesis]] = [
    ("H1", h1_coverage.h1_coverage),
    ("H2", h2_hardship.h2_hardship),
    ("H3", h3_routes.h3_routes),
    ("H4", h4_rate.h4_mortality_rate),
    ("H5", h5_hotspots.h5_hotspots),
]

#: The sea battery in order: (id prefix, function).
MARITIME: list[tuple[str, Hypothesis]] = [
    ("M1", m1_mortality.m1_mortality),
    ("M2", m2_distances.m2_distances),
    ("M3", m3_sar_regions.m3_sar_regions),
    ("M4", m4_assets.m4_detection_assets),
    ("M5", m5_hotspots.m5_hotspots),
    ("M6", m6_interceptions.m6_interceptions),
]


def adjust(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """``p_adjusted`` for every result that ran: Holm (1979) across the primary results of the battery,
    Benjamini & Hochberg (1995) among the secondary results of each hypothesis; None for descriptive
    results (and for any result without a finite p-value).  Computed by
    :func:`statsmodels.stats.multitest.multipletests`.

    Holm controls the family-wise error rate of the battery's questions (one primary each) under any
    dependence; BH controls the false discovery rate among a hypothesis's secondary results, which
    are read as support for or against its primary, not as findings of their own.
    """
    from statsmodels.stats.multitest import multipletests

    out = [dataclasses.replace(o, p_adjusted=None) for o in outcomes]

    def testable(o: Outcome) -> bool:
        return o.status == "ran" and o.p_value is not None and math.isfinite(o.p_value)

    families: dict[tuple[str, str], list[int]] = {}
    for i, o in enumerate(out):
        if not testable(o) or o.role == "descriptive":
            continue
        key = ("primary", "") if o.role == "primary" else ("secondary", o.id.split(".")[0])
        families.setdefault(key, []).append(i)
    for (role, _), idx in families.items():
        pvals = np.array([out[i].p_value for i in idx], dtype=float)
        adjusted = multipletests(pvals, method="holm" if role == "primary" else "fdr_bh")[1]
        for i, p in zip(idx, adjusted):
            out[i] = dataclasses.replace(out[i], p_adjusted=float(p))
    return out


def _side(o: Outcome, estimate: float | None) -> int:
    """-1, 0 or 1: the side of ``o``'s null value that ``estimate`` lies on."""
    if estimate is None or not math.isfinite(estimate):
        return 0
    return int(np.sign(estimate - o.null_value))


def declare(outcomes: Sequence[Outcome], study: Study, prefix: str) -> list[Outcome]:
    """The outcomes of hypothesis ``prefix`` with the study's declared endpoint made ``primary``.

    Exactly one primary per question: an outcome the module called primary but the study did not
    declare becomes secondary; when the declared result is absent (the whole hypothesis was skipped,
    or the data could not support it) a skipped primary is added with the reason.  A primary result
    whose sensitivity variant lies on the other side of no effect, or whose estimate lies against the
    declared direction, says so in its caveats (placebo variants, named ``placebo …``, are expected to
    find nothing and are left out of that check).
    """
    endpoint = study.endpoints.get(prefix)
    out = [dataclasses.replace(o, role="secondary") if o.role == "primary" else o for o in outcomes]
    if endpoint is None:
        return out
    found = [i for i, o in enumerate(out) if o.id == endpoint.result]
    if not found:
        why = next((o.reason for o in out if o.status == "skipped" and o.reason), "")
        out.insert(
            0,
            Outcome.skipped(
                endpoint.result,
                endpoint.why or endpoint.result,
                why or f"{prefix} did not produce {endpoint.result}, the endpoint declared in [endpoints.{prefix}].",
                role="primary",
            ),
        )
        found = [0]
    i = found[0]
    o = out[i]
    caveats = list(o.caveats)
    if endpoint.disclosure:
        caveats.append(endpoint.disclosure)
    side = _side(o, o.estimate)
    wanted = {"increase": 1, "decrease": -1}.get(endpoint.direction, 0)
    if o.status == "ran" and wanted and side == -wanted:
        caveats.append(f"The estimate lies against the direction declared in the study file ({endpoint.direction}).")
    # a placebo split is expected to find nothing: its sign says nothing about the result's robustness
    flipped = [
        v.name
        for v in o.sensitivity
        if side and _side(o, v.estimate) == -side and not v.name.lower().startswith("placebo")
    ]
    if o.status == "ran" and flipped:
        caveats.append(
            "The estimate changes sign (crosses no effect) in the sensitivity variant"
            + ("s " if len(flipped) > 1 else " ")
            + "; ".join(flipped)
            + "."
        )
    caveats.extend(_wider_variants(o, flipped))
    calibrated = sector_caveat(o.id) if study.battery == "funnel" else None
    if calibrated:
        caveats.append(calibrated)
    out[i] = dataclasses.replace(o, role="primary", direction=endpoint.direction, caveats=tuple(caveats))
    return out


def _includes_null(o: Outcome, ci: tuple[float, float] | None) -> bool:
    if ci is None or not all(math.isfinite(c) for c in ci):
        return False
    return min(ci) <= o.null_value <= max(ci)


def _wider_variants(o: Outcome, flipped: Sequence[str]) -> list[str]:
    """Caveats of a primary whose interval excludes no effect when a sensitivity variant's includes it: a
    variant on all the records (another way of drawing the interval, another model) is named with its
    interval; variants on part of the records are counted.  Placebos and sign changes (said already) are
    left out."""
    if o.status != "ran" or o.ci is None or not all(math.isfinite(c) for c in o.ci) or _includes_null(o, o.ci):
        return []
    wide = [
        v
        for v in o.sensitivity
        if _includes_null(o, v.ci) and not v.name.lower().startswith("placebo") and v.name not in flipped
    ]
    if not wide:
        return []
    full = [v for v in wide if v.n is None or v.n == o.n]
    part = [v for v in wide if v not in full]
    out = []
    if full:
        said = "; ".join(f"{v.name} ({v.ci[0]:.3g} to {v.ci[1]:.3g})" for v in full if v.ci)
        out.append(
            "The interval includes no effect with the same records under another assumption: "
            f"{said}. The finding depends on the assumption the primary interval makes."
        )
    if part:
        subsets = [
            v
            for v in o.sensitivity
            if v.n is not None and v.n != o.n and v.ci is not None and not v.name.lower().startswith("placebo")
        ]
        out.append(
            f"In {len(part)} of the {len(subsets)} variants on part of the records the interval includes no "
            f"effect ({'; '.join(v.name for v in part)}); smaller subsets give wider intervals."
        )
    return out


@dataclass(frozen=True, eq=False)
class Battery:
    """Every outcome of the battery, with its tables (name → frame) and rasters, and how many
    records of each record layer were inside the study's region and period and why the others were
    left out (:func:`borderscape.analyses.region.record_counts`)."""

    outcomes: tuple[Outcome, ...]
    tables: Mapping[str, pd.DataFrame]
    rasters: Mapping[str, Raster]
    records: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


#: The exceptions that make a hypothesis skipped rather than fail the run (see :func:`run_battery`).
SKIPPABLE: tuple[type[Exception], ...] = (BorderscapeError, np.linalg.LinAlgError, ValueError)


def _title(prefix: str, func: Hypothesis) -> str:
    """A hypothesis's name for a skipped outcome: the first line of its docstring, else its id
    and function name."""
    lines = (func.__doc__ or "").strip().splitlines()
    return lines[0].strip().rstrip(".?") if lines else f"{prefix} ({func.__name__})"


def _why(exc: Exception) -> str:
    """A skip reason from an exception: a typed error's message and remedy; an untyped one's
    type and message, said to be a failed computation."""
    if isinstance(exc, BorderscapeError):
        return reason(exc)
    return " ".join(f"could not be computed: {type(exc).__name__}: {exc}".split())


def hypotheses(battery: str = "funnel") -> list[tuple[str, Hypothesis]]:
    """The tests of a battery in order: (id prefix, function).

    ``funnel`` is the desert battery H1 … H5 (:data:`FUNNEL`); ``maritime`` the sea battery
    M1 … M6 (:data:`MARITIME`).
    """
    return list(MARITIME if battery == "maritime" else FUNNEL)


def run_battery(study: Study, inputs: StudyInputs, *, seed: int | None = None) -> Battery:
    """Run every hypothesis of the study's battery (``study.battery``); a hypothesis that cannot
    be computed is skipped with its reason, the others run.

    What is skipped and what propagates: a hypothesis that raises one of :data:`SKIPPABLE` —
    a typed :class:`~borderscape.geo.errors.BorderscapeError` (an input that does not fit it,
    with the remedy), :class:`numpy.linalg.LinAlgError` (a singular model matrix) or
    :class:`ValueError` (numpy, scipy and statsmodels refusing degenerate data in a fit) —
    becomes one ``skipped`` outcome whose id is the hypothesis's prefix (``H3``, ``M2`` …) and
    whose reason is the error's message and remedy (an untyped error's reason names its type);
    its draws are lost but, each hypothesis having its own generator, no other's change.  Any
    other exception (``KeyError``, ``TypeError``, ``AttributeError``, ``AssertionError`` …: a
    bug) propagates and the run fails.

    Parameters
    ----------
    study
        The study (periods, interventions, sensor defaults, parameters).
    inputs
        The layers by role.
    seed
        Overrides the study's seed.

    Returns
    -------
    Battery
        Outcomes in the battery's order (H1 … H5 for ``funnel``), each with its role (one
        primary per question, :func:`declare`) and adjusted p-value (:func:`adjust`), and the
        tables and rasters they rest on.
    """
    root = generator(study.seed if seed is None else seed, what="the battery")
    funcs = hypotheses(study.battery)
    children = root.spawn(len(funcs))
    outcomes: list[Outcome] = []
    tables: dict[str, pd.DataFrame] = {}
    rasters: dict[str, Raster] = {}
    for (prefix, func), rng in zip(funcs, children):
        try:
            section = func(study, inputs, rng)
        except SKIPPABLE as exc:
            section = Section([Outcome.skipped(prefix, _title(prefix, func), _why(exc))])
        for outcome in section.outcomes:
            if outcome.id.split(".")[0] != prefix:
                raise AssertionError(f"{func.__name__} returned outcome {outcome.id} outside {prefix}")
        outcomes.extend(declare(section.outcomes, study, prefix))
        tables.update(section.tables)
        rasters.update(section.rasters)
    return Battery(tuple(adjust(outcomes)), tables, rasters, region.record_counts(study, inputs.layers))
