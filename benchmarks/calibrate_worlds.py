"""Size and power of every primary endpoint on simulated Border Patrol sectors (issue 19, parts 1–2).

Run:  nice .venv/bin/python benchmarks/calibrate_worlds.py [--null 400] [--planted 200]
      [--sizes small medium large] [--seed 1] [--jobs 2] [--permutations 199] [--bootstrap 199]
      [--battery lean|full] [--cache PATH] [--fresh] [--out docs/calibration.md]

Question: on worlds like the real one — a sector of 120 km of border, about 2,000 remains over 2000–2024, a
median of several kilometres from roads, search effort, location precision, encounters per crosser and
crossing geography that all change over time, and towers sited where people cross
(:func:`borderscape.analyses.sectors.simulate_sector`) — how often does each primary result of the desert
battery reject when the towers do nothing (its *size*), and how often does it find a tower effect of a
stated size (its *power*)?

Replicate i of every source has world seed ``seed + i``: the null world i and the planted worlds i share
every draw but the tower effect (paired), and the battery's seed is the same.  Each world goes through the
battery of the shipped Arizona–Sonora study (:func:`~borderscape.analyses.sectors.sector_study`: its
endpoints, its parameters, ``[parameters.statistics] permutations`` and ``[parameters.displacement]
bootstrap`` set to ``--permutations`` / ``--bootstrap``): the declared endpoint of every question is made
primary by :func:`~borderscape.analyses.battery.declare` and the primaries' p-values are adjusted by Holm in
:func:`~borderscape.analyses.battery.adjust`.  A world *rejects* a primary when its ``p_adjusted`` < 0.05;
power counts the rejections whose estimate lies in the direction the study declares (``[endpoints]``).

``--battery lean`` (default) is :func:`lean_battery`: the loop of
:func:`~borderscape.analyses.battery.run_battery` (the same child generators, ``declare``, ``adjust``) in
which each hypothesis is given only the layers its primary needs (:data:`LEAN`), so that a world costs about
3 s instead of 15 s: H2 computes its road distances without its terrain covariates, H5 takes the slope of its
cells from the sector's environment grid (as the real Arizona run does without a DEM), and H3 is not run —
H3.fit needs least-cost routes per epoch from the border (with its sensitivity variants, 9 times the routing
work, ~5 s per world) and the sectors have no route choice for it to test.  The primaries of H1, H2 and H4
are the numbers ``run_battery`` gives on the sector's full layers; ``--battery full`` runs ``run_battery``
itself on every layer (with H3.fit, and H5 on the DEM).

The run is resumable: every finished world is appended to ``--cache`` (one JSON line, keyed by the fingerprint
of the settings and of the code, :func:`fingerprint`), and a rerun with the same settings and code only runs
the worlds not yet there (``--fresh`` starts again).  Worlds run in ``--jobs`` worker processes; the table
does not depend on ``--jobs``.  Progress goes to stderr; the report (``--out``) is written atomically and
names the command that regenerates it.  Rates
carry exact Clopper–Pearson 95 % Monte Carlo intervals (:func:`calibrate_primaries.clopper_pearson`).

References
----------
Clopper, C. J. & Pearson, E. S. (1934). Biometrika 26, 404–413.
Holm, S. (1979). Scand. J. Stat. 6, 65–70.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import math
import multiprocessing
import os
import pathlib
import platform
import shlex
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from calibrate_primaries import (  # noqa: E402 - the harness of the primaries' calibration, next to this file
    ANY,
    Replicate,
    Row,
    _error,
    _pct,
    _Serial,
    cpu_model,
    error_lines,
    primaries,
    study_parameters,
    summarise,
    summarise_variants,
    variant_lines,
    variant_p_values,
    write_atomic,
)

from borderscape.analyses.battery import SKIPPABLE, adjust, declare, hypotheses, run_battery  # noqa: E402
from borderscape.analyses.battery.common import Section, reason  # noqa: E402
from borderscape.analyses.inputs import StudyInputs  # noqa: E402
from borderscape.analyses.results import Outcome  # noqa: E402
from borderscape.analyses.sectors import (  # noqa: E402
    NULL,
    PLANTED,
    PMI_CLASSES,
    SectorParams,
    SectorWorld,
    TowerEffect,
    parameter_table,
    realised_effect,
    sector_inputs,
    sector_study,
    simulate_sector,
    summary,
)
from borderscape.analyses.stats.seeds import generator  # noqa: E402
from borderscape.analyses.study import ENDPOINTS, Study  # noqa: E402
from borderscape.geo.errors import BorderscapeError  # noqa: E402

#: The source label of the stationary control worlds.
STATIONARY = "stationary"

#: The layers each hypothesis of the lean battery is given (the others are withheld with :data:`WITHHELD`).
LEAN: dict[str, tuple[str, ...]] = {
    "H1": ("deaths", "towers", "dem"),
    "H2": ("deaths", "roads"),
    "H3": ("deaths", "towers", "dem"),
    "H4": ("deaths", "encounters"),
    "H5": ("deaths", "environment"),
}
#: Why a layer is withheld from a hypothesis in the lean battery (said in the skip reason).
WITHHELD = {
    "border": (
        "withheld in the sector calibration (benchmarks/calibrate_worlds.py --battery lean): H3.fit needs "
        "least-cost routes per epoch from the border, with its sensitivity variants 9 times the routing work "
        "(about 5 s per world, more than the whole budget), and the simulated sectors have no route choice "
        "for it to test. Run --battery full to include it."
    ),
}
#: What the real Arizona–Sonora records show, split at 2006-09-21 (the study's H2 split), for comparison with
#: the simulated sectors: the shipped 2024-09 export (4,121 records in the study's region and period) and
#: TIGER 2021 primary and secondary roads, distances in UTM 12N; ``--measure-real DATA_DIR`` recomputes them.
REAL = {
    "remains": (977.0 + 3144.0, "Pima County OME, 2000-01 → 2024-09, over about 540 × 285 km"),
    "road_km_before": (6.0, ""),
    "road_km_after": (12.7, ""),
    "gps_before": (0.362, ""),
    "gps_after": (0.861, ""),
    "long_pmi_before": (0.129, ""),
    "long_pmi_after": (0.261, ""),
    "siting_r": (math.nan, "tower positions are not public (no EFF layer in the data mirror)"),
}
MEASURES = {
    "remains": ("remains reported in the period", "{:,.0f}"),
    "road_km_before": ("median distance record → nearest road before the first deployment, km", "{:.1f}"),
    "road_km_after": ("median distance record → nearest road from the first deployment on, km", "{:.1f}"),
    "gps_before": ("records located by GPS, before", "{:.0%}"),
    "gps_after": ("records located by GPS, after", "{:.0%}"),
    "long_pmi_before": ("post-mortem interval over 6–8 months, before", "{:.0%}"),
    "long_pmi_after": ("post-mortem interval over 6–8 months, after", "{:.0%}"),
    "siting_r": ("endogenous siting: r(towers, deaths of the 2 years before) over 5 km bins", "{:.2f}"),
}
REALISED = {
    "exposed_share": ("deaths from the first deployment on whose point lay in active coverage", "{:.0%}"),
    "shift_exposed_km": ("extra distance to roads of the exposed, km", "{:.2f}"),
    "shift_median_km": (
        "change of the median distance to roads of the records after the first deployment, km",
        "{:.2f}",
    ),
    "extra_deaths": ("extra deaths from the first deployment on", "{:+.1%}"),
    "extra_records": ("extra records from the first deployment on", "{:+.1%}"),
}


# -- one world ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WorldReplicate(Replicate):
    """A :class:`calibrate_primaries.Replicate` (``source`` = the effect's label) with what else a sector
    world gives: ``sides`` maps a primary that ran to +1 when its estimate lies in the study's declared
    direction, −1 against it, 0 when it lies on its null value or the study declares none; ``realised`` is
    :func:`~borderscape.analyses.sectors.realised_effect`, ``world`` :func:`~borderscape.analyses.sectors.summary`."""

    sides: Mapping[str, int] = field(default_factory=dict)
    realised: Mapping[str, float] = field(default_factory=dict)
    world: Mapping[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WorldReplicate:
        """The replicate of :meth:`to_json`."""
        data = dict(data)
        data["ran"] = {k: (float(v[0]), float(v[1])) for k, v in data.get("ran", {}).items()}
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data})


def side(outcome: Outcome) -> int:
    """+1 when ``outcome``'s estimate lies in its declared direction, −1 against it, else 0."""
    want = {"increase": 1, "decrease": -1}.get(outcome.direction or "", 0)
    est = outcome.estimate
    if not want or est is None or not math.isfinite(est) or est == outcome.null_value:
        return 0
    return want if est > outcome.null_value else -want


def lean_inputs(world: SectorWorld, prefix: str) -> StudyInputs:
    """The layers of ``world`` that hypothesis ``prefix`` gets in the lean battery (:data:`LEAN`); a withheld
    layer with a reason in :data:`WITHHELD` says why in :attr:`StudyInputs.missing`."""
    every = sector_inputs(world).layers
    keep = LEAN.get(prefix, tuple(every))
    return StudyInputs(
        layers={k: v for k, v in every.items() if k in keep},
        missing={k: v for k, v in WITHHELD.items() if k not in keep},
        simulated=True,
    )


def lean_battery(study: Study, world: SectorWorld, *, seed: int | None = None) -> tuple[Outcome, ...]:
    """The outcomes of :func:`~borderscape.analyses.battery.run_battery` with each hypothesis given the layers
    of :func:`lean_inputs`: one child generator per hypothesis spawned from the battery's seed in the same
    order, a skipped outcome for a hypothesis that raises one of ``SKIPPABLE``, ``declare`` per hypothesis and
    ``adjust`` over all (Holm across the primaries).  A hypothesis whose primary does not read the withheld
    layers gives the same primary as ``run_battery`` on all of them (``tests/test_sectors.py`` checks it)."""
    root = generator(study.seed if seed is None else seed, what="the battery")
    funcs = hypotheses(study.battery)
    outcomes: list[Outcome] = []
    for (prefix, func), rng in zip(funcs, root.spawn(len(funcs))):
        try:
            section = func(study, lean_inputs(world, prefix), rng)
        except SKIPPABLE as exc:
            why = reason(exc) if isinstance(exc, BorderscapeError) else f"could not be computed: {exc!r}"
            section = Section([Outcome.skipped(prefix, prefix, why)])
        outcomes.extend(declare(section.outcomes, study, prefix))
    return tuple(adjust(outcomes))


def world_replicate(
    effect: TowerEffect,
    index: int,
    seed: int,
    permutations: int,
    bootstrap: int,
    battery: str = "lean",
    stationary: bool = False,
    params: SectorParams | None = None,
) -> WorldReplicate:
    """Simulate sector ``index`` (seed ``seed + index``) with ``effect`` and run the battery on it; with
    ``stationary`` the sector of :meth:`~borderscape.analyses.sectors.SectorParams.stationary` (source
    :data:`STATIONARY`); ``params`` the sector's settings (default :class:`SectorParams`)."""
    start = time.perf_counter()
    world_seed = seed + index
    label = STATIONARY if stationary else effect.label
    base = params or SectorParams()
    params = base.stationary() if stationary else base
    try:
        world = simulate_sector(seed=world_seed, effect=effect, params=params)
        study = sector_study(world, seed=world_seed, parameters=study_parameters(permutations, bootstrap))
        if battery == "full":
            outcomes = run_battery(study, sector_inputs(world)).outcomes
        else:
            outcomes = lean_battery(study, world)
    except Exception as exc:  # a bug: recorded and reported, the other worlds go on
        return WorldReplicate(label, index, world_seed, seconds=time.perf_counter() - start, error=_error(exc))
    ran, skipped = primaries(outcomes)
    sides = {o.id: side(o) for o in outcomes if o.id in ran}
    return WorldReplicate(
        label,
        index,
        world_seed,
        ran,
        skipped,
        time.perf_counter() - start,
        variants=variant_p_values(outcomes),
        sides=sides,
        realised=realised_effect(world),
        world=summary(world),
    )


# -- running, resumably ---------------------------------------------------------------------------
#: The folders whose Python sources a world's result depends on (their digest is in the cache key).
CODE = ("analyses", "geo", "layers")


def code_digest(root: pathlib.Path | None = None) -> str:
    """sha256 of the Python sources of :data:`CODE` and of this script: a cache made by other code is not reused."""
    root = root or pathlib.Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    files = sorted(p for d in CODE for p in (root / d).rglob("*.py"))
    for path in [*files, pathlib.Path(__file__).resolve()]:
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def fingerprint(seed: int, permutations: int, bootstrap: int, battery: str, params: SectorParams) -> str:
    """A short hash of everything a world's result depends on — settings and code (:func:`code_digest`) — but
    not of how many worlds are run."""
    text = json.dumps(
        {
            "code": code_digest(),
            "seed": seed,
            "permutations": permutations,
            "bootstrap": bootstrap,
            "battery": battery,
            "params": repr(params),
            "stationary": repr(params.stationary()),
            "effects": [repr(e) for e in (NULL, *PLANTED)],
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def tasks(
    null: int,
    planted: int,
    seed: int,
    effects: Sequence[TowerEffect],
    permutations: int,
    bootstrap: int,
    battery: str = "lean",
    stationary: int = 0,
    params: SectorParams | None = None,
) -> list[tuple]:
    """Every world to run, in a fixed order: ``(effect, index, seed, permutations, bootstrap, battery,
    stationary, params)``: the null worlds, the planted worlds of each size, the stationary control worlds."""
    common = (seed, permutations, bootstrap, battery)
    out = [(NULL, i, *common, False, params) for i in range(null)]
    for e in effects:
        out += [(e, i, *common, False, params) for i in range(planted)]
    out += [(NULL, i, *common, True, params) for i in range(stationary)]
    return out


def _label(task: tuple) -> str:
    return STATIONARY if task[6] else task[0].label


def _call(task: tuple) -> WorldReplicate:
    return world_replicate(*task)


def read_cache(path: pathlib.Path, key: str) -> dict[tuple[str, int], WorldReplicate]:
    """The replicates of ``path`` made with fingerprint ``key`` (a torn last line is ignored)."""
    found: dict[tuple[str, int], WorldReplicate] = {}
    if not path.exists():
        return found
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            continue
        if data.get("key") != key:
            continue
        rep = WorldReplicate.from_json(data["replicate"])
        found[(rep.source, rep.index)] = rep
    return found


def run(
    task_list: Sequence[tuple],
    jobs: int,
    cache: pathlib.Path | None,
    key: str,
    *,
    progress: bool = True,
) -> tuple[list[WorldReplicate], int]:
    """Run the worlds not in ``cache`` (in ``jobs`` processes), appending each to it as it finishes; the
    replicates in task order, and how many came from the cache."""
    done = read_cache(cache, key) if cache is not None else {}
    todo = [t for t in task_list if (_label(t), t[1]) not in done]
    reused = len(task_list) - len(todo)
    if progress:
        print(
            f"{len(task_list)} worlds: {reused} from the cache, {len(todo)} to run with {jobs} job(s)", file=sys.stderr
        )
    start = time.perf_counter()
    step = max(1, len(todo) // 20)
    handle = None
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        handle = cache.open("a", encoding="utf-8")
    try:
        with multiprocessing.Pool(jobs) if jobs > 1 and len(todo) > 1 else _Serial() as pool:
            results: Iterable[WorldReplicate] = (
                pool.imap_unordered(_call, todo, chunksize=1) if jobs > 1 and len(todo) > 1 else pool.imap(_call, todo)
            )
            for i, rep in enumerate(results, 1):
                done[(rep.source, rep.index)] = rep
                if handle is not None:
                    handle.write(json.dumps({"key": key, "replicate": rep.to_json()}) + "\n")
                    handle.flush()
                if progress and (i % step == 0 or i == len(todo)):
                    elapsed = time.perf_counter() - start
                    eta = elapsed / i * (len(todo) - i)
                    print(
                        f"{i}/{len(todo)} worlds, {elapsed:.0f} s, {elapsed / i:.2f} s per world (wall), "
                        f"about {eta:.0f} s to go",
                        file=sys.stderr,
                        flush=True,
                    )
    finally:
        if handle is not None:
            handle.close()
    return [done[(_label(t), t[1])] for t in task_list], reused


# -- the tables -----------------------------------------------------------------------------------
def directional(replicates: Sequence[WorldReplicate]) -> list[WorldReplicate]:
    """The replicates with every primary whose estimate is not in its declared direction made
    non-significant (p = p_adjusted = 1): :func:`calibrate_primaries.summarise` of these counts rejections in
    the declared direction."""
    out = []
    for r in replicates:
        ran = {k: (v if r.sides.get(k, 0) > 0 else (1.0, 1.0)) for k, v in r.ran.items()}
        out.append(dataclasses.replace(r, ran=ran))
    return out


@dataclass(frozen=True)
class Calibration:
    """The rows of the report: per source (``null``, then each planted label) and primary id, any direction
    (``rows``) and in the declared direction (``declared``); each a :class:`calibrate_primaries.Row`."""

    rows: Mapping[tuple[str, str], Row]
    declared: Mapping[tuple[str, str], Row]
    sources: tuple[str, ...]
    ids: tuple[str, ...]


def calibrate(replicates: Sequence[WorldReplicate]) -> Calibration:
    """Size and power from the replicates (:func:`calibrate_primaries.summarise`, on ``p_adjusted``)."""
    rows = {(r.source, r.id): r for r in summarise(replicates)}
    declared = {(r.source, r.id): r for r in summarise(directional(replicates))}
    sources = tuple(dict.fromkeys(r.source for r in replicates))
    ids = [k for k in dict.fromkeys(i for _, i in rows) if k != ANY]
    order = list(ENDPOINTS["funnel"])
    ids.sort(key=lambda i: (order.index(i.split(".")[0]) if i.split(".")[0] in order else 99, i))
    if any(i == ANY for _, i in rows):
        ids.append(ANY)
    return Calibration(rows, declared, sources, tuple(ids))


def _rate(row: Row | None) -> str:
    if row is None or row.ran == 0:
        return "–"
    return f"{row.rejected}/{row.ran} = {_pct(row.rate)} [{_pct(row.ci[0])}, {_pct(row.ci[1])}]"


def table_lines(cal: Calibration) -> list[str]:
    """Size (null worlds) and power (planted worlds, declared direction) per primary, as Markdown."""
    planted = [s for s in cal.sources if s not in (NULL.label, STATIONARY)]
    head = ["primary", "ran / null worlds", "size: rejected [95 % MC]", "size, declared direction [95 % MC]"]
    head += [f"power, {s} [95 % MC]" for s in planted]
    control = STATIONARY in cal.sources
    if control:
        head.append("size in stationary sectors [95 % MC]")
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for i in cal.ids:
        null = cal.rows.get((NULL.label, i))
        cells = [
            f"{i}",
            f"{null.ran} / {null.replicates}" if null else "–",
            _rate(null),
            _rate(cal.declared.get((NULL.label, i))),
        ]
        cells += [_rate(cal.declared.get((s, i))) for s in planted]
        if control:
            cells.append(_rate(cal.rows.get((STATIONARY, i))))
        out.append("| " + " | ".join(cells) + " |")
    return out


def effect_lines(replicates: Sequence[WorldReplicate], effects: Sequence[TowerEffect]) -> list[str]:
    """The planted effects as stated, and as realised (mean over their worlds)."""
    head = ["effect", "stated", *(v[0] for v in REALISED.values())]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for e in (NULL, *effects):
        reps = [r for r in replicates if r.source == e.label and r.realised]
        cells = [e.label, e.words()]
        for k, (_, fmt) in REALISED.items():
            vals = np.array([r.realised.get(k, math.nan) for r in reps], dtype=float)
            vals = vals[np.isfinite(vals)]
            cells.append(fmt.format(float(vals.mean())) if vals.size else "–")
        out.append("| " + " | ".join(cells) + " |")
    return out


def world_lines(replicates: Sequence[WorldReplicate]) -> list[str]:
    """The null sectors against the real records: mean and 5–95 % range over the null worlds."""
    reps = [r for r in replicates if r.source == NULL.label and r.world]
    out = [
        "| measure | null sectors: mean [5 %, 95 % of worlds] | real Arizona–Sonora records |",
        "|---|---|---|",
    ]
    for k, (label, fmt) in MEASURES.items():
        vals = np.array([r.world.get(k, math.nan) for r in reps], dtype=float)
        vals = vals[np.isfinite(vals)]
        sim = (
            f"{fmt.format(vals.mean())} [{fmt.format(np.quantile(vals, 0.05))}, {fmt.format(np.quantile(vals, 0.95))}]"
            if vals.size
            else "–"
        )
        real, note = REAL[k]
        out.append(
            f"| {label} | {sim} | {fmt.format(real) if math.isfinite(real) else '–'}{' (' + note + ')' if note else ''} |"
        )
    return out


def parameter_lines(params: SectorParams) -> list[str]:
    """The sector's settings (:func:`~borderscape.analyses.sectors.parameter_table`) as Markdown."""
    out = ["| setting | value | unit | basis |", "|---|---|---|---|"]
    out += [f"| {n} | {v} | {u} | {b} |" for n, v, u, b in parameter_table(params)]
    return out


def wording(cal: Calibration, effects: Sequence[TowerEffect]) -> list[str]:
    """One sentence per primary that the README and the briefing may use, derived from the numbers."""
    out = []
    for i in cal.ids:
        if i == ANY:
            continue
        null = cal.rows.get((NULL.label, i))
        if null is None or null.ran == 0:
            why = " ".join((null.skipped_because if null else "").split()).removeprefix("No border layer: ")
            out.append(f"- **{i}**: not calibrated on simulated sectors" + (f": {why}" if why else "."))
            continue
        lo, hi = null.ci
        text = (
            f"- **{i}**: on {null.ran} simulated sectors with realistic detection changes and no tower effect, this "
            f"test falsely signals (adjusted p < 0.05) in {_pct(null.rate)} of worlds (95 % Monte Carlo interval "
            f"{_pct(lo)}–{_pct(hi)})"
        )
        d = cal.declared.get((NULL.label, i))
        if d is not None and d.rejected != null.rejected:
            text += f", {_pct(d.rate)} in the direction the funnel hypothesis predicts"
        powers = []
        for e in effects:
            p = cal.declared.get((e.label, i))
            if p is not None and p.ran:
                powers.append(f"{_pct(p.rate)} ({e.label})")
        if powers:
            text += (
                "; it finds a planted tower effect in "
                + ", ".join(powers)
                + " of worlds (sizes in docs/calibration.md, *What the worlds contain*)"
            )
        still = cal.rows.get((STATIONARY, i))
        text += "."
        if still is not None and still.ran:
            text += (
                f" In sectors where nothing but the towers changes over time it signals in {_pct(still.rate)} of "
                f"{still.ran} worlds."
            )
        out.append(text)
    fam = cal.rows.get((NULL.label, ANY))
    if fam is not None and fam.ran:
        out.append(
            f"- **any primary**: in {_pct(fam.rate)} of the null sectors (95 % MC interval {_pct(fam.ci[0])}–"
            f"{_pct(fam.ci[1])}) at least one primary result falsely signals after Holm's adjustment."
        )
    return out


def skipped_lines(cal: Calibration) -> list[str]:
    """Primaries that did not run in some worlds (over every source), with the most common reason."""
    out = []
    for i in cal.ids:
        rows = [r for (_, k), r in cal.rows.items() if k == i and i != ANY and r.ran < r.replicates]
        if not rows:
            continue
        missed, total = (
            sum(r.replicates - r.ran for r in rows),
            sum(r.replicates for (_, k), r in cal.rows.items() if k == i),
        )
        why = max(rows, key=lambda r: r.replicates - r.ran).skipped_because
        out.append(f"- {i}: did not run in {missed} of {total} worlds; most often: {' '.join(why.split())[:400]}")
    return out


def report(
    cal: Calibration,
    replicates: Sequence[WorldReplicate],
    effects: Sequence[TowerEffect],
    params: SectorParams,
    meta: Mapping[str, str],
) -> str:
    """The Markdown report (``docs/calibration.md``)."""
    errors = error_lines(replicates)
    lines = [
        "# Calibration on simulated Border Patrol sectors",
        "",
        "Generated by `benchmarks/calibrate_worlds.py` (issue 19: *null and planted worlds that look like the real "
        "ground; size and power reported honestly for every primary result after adjustment*). Do not edit by "
        "hand: rerun the command below.",
        "",
        "```",
        meta["command"],
        "```",
        "",
        *(f"- {k}: {v}" for k, v in meta.items() if k != "command"),
        "",
        "## Size and power of the primary results",
        "",
        "Each world goes through the battery of the shipped Arizona–Sonora study (its endpoints and parameters; "
        "resampling as stated above). A world rejects a primary when its Holm-adjusted p-value (`p_adjusted`, "
        "across the primaries that ran) is below 0.05. *Size*: the share of null worlds (towers do nothing) that "
        "reject, in either direction and in the direction the study declares (`[endpoints]`); *power*: the share "
        "of planted worlds that reject in the declared direction. Rates are out of the worlds in which the primary "
        "ran, with exact (Clopper–Pearson 1934) 95 % Monte Carlo intervals. Null world i and planted world i share "
        "every draw but the tower effect.",
        "",
        *table_lines(cal),
        "",
        "### Wording for the README and the briefing",
        "",
        "Derived from the table by the script; paste as it is.",
        "",
        *wording(cal, effects),
        "",
    ]
    skipped = skipped_lines(cal)
    if skipped:
        lines += ["### Primaries that did not run", "", *skipped, ""]
    variants = summarise_variants([r for r in replicates if r.source in (NULL.label, STATIONARY)])
    if variants:
        lines += [
            "### The primaries' sensitivity variants",
            "",
            "The null (and stationary) worlds through each sensitivity variant a primary carries (raw p-values, "
            "never adjusted; a rejection in either direction). A variant that keeps its size where the primary does not points "
            "to what the primary picks up: for H2, GPS-located records and short post-mortem intervals hold the "
            "location precision and the search effort constant.",
            "",
            *variant_lines(variants),
            "",
        ]
    if errors:
        lines += ["### Worlds in which the battery raised (bugs)", "", *errors, ""]
    lines += [
        "## What the worlds contain",
        "",
        "Sectors of `borderscape.analyses.sectors.simulate_sector` (the mechanism and its formulas are in its "
        "module docstring). Null worlds have every change over time below and no tower effect; planted worlds "
        "add one of the tower effects, stated in real units for the people whose way crossed active coverage "
        "(the *exposed*) and realised as below (means over the planted worlds, against the null world of the "
        "same seed).",
        "",
        *effect_lines(replicates, effects),
        "",
        "What each primary can see of the planted effect: H2.road_distance measures it directly (distance "
        "from roads, before and after the first deployment); H1 sees it only where the push away from roads "
        "also takes remains out of coverage; H4.trend sees the extra deaths only inside the encounter series "
        "(2019-10 → 2024-09, when the last towers, ASTs, are added), and the sectors' deaths per encounter "
        "also move with repeat encounters and the rise of crossings; H5 asks whether hot spots lie on "
        "steeper ground after the split, which the push away from roads does not aim at.",
        "",
        "*Stationary* sectors (`SectorParams.stationary()`, a control, when run) are the null sectors with "
        "nothing changing over time but the towers: constant search, GPS share and encounters per crosser, no "
        "corridor drift, no rise of crossings. A primary that holds its size there and not in the null sectors "
        "is misled by the changes, not by chance.",
        "",
        "What a reader of the records sees in the null sectors, beside the real records (split at the first "
        "deployment; the real study splits at 2006-09-21, the sectors' first towers are deployed that day):",
        "",
        *world_lines(replicates),
        "",
        "Every setting (a pair `a – b` is drawn uniformly per world where the basis says (U); otherwise it is the "
        "value at the start → at the end of the period):",
        "",
        *parameter_lines(params),
        "",
        "## How the battery is run",
        "",
        "`--battery lean` gives each hypothesis only the layers its primary needs (H1: remains, towers, DEM; H2: "
        "remains, roads; H4: remains, encounters; H5: remains and the sector's environment grid, as the real "
        "Arizona run has no DEM) and withholds the border from H3 (H3.fit needs least-cost routes: see above). "
        "The generators, `declare` and Holm's `adjust` are those of `run_battery`; H1's, H2's and H4's primaries "
        "are the numbers `run_battery` gives on every layer (checked in `tests/test_sectors.py`). "
        "H2's secondary covariates (water, slope, ruggedness, energy, heat) are not computed. "
        f"Post-mortem intervals are written in the classes of the Pima County records ({', '.join(c for _, c, _ in PMI_CLASSES)}).",
        "",
    ]
    return "\n".join(lines)


def measure_real(data_dir: str) -> dict[str, float]:
    """The real records' numbers of :data:`REAL` (for ``--measure-real``): the shipped study's records and
    roads, split at its H2 split date."""
    import pandas as pd
    import shapely

    from borderscape.analyses.battery.common import records
    from borderscape.analyses.study import load_study
    from borderscape.layers.ingest import ingest

    az = load_study("arizona-sonora")
    kept, _ = records(az, ingest(az.layers["deaths"], data_dir=data_dir))
    roads = ingest(az.layers["roads"], data_dir=data_dir).frame.geometry.to_crs("EPSG:32612").union_all()
    dist = shapely.distance(kept.geometry.to_crs("EPSG:32612").values, roads) / 1000.0
    split = pd.Timestamp(az.params.hardship.split or az.interventions[0].date)
    after = (kept["date"] >= split).to_numpy()
    gps = kept["location_precision"].astype("string").str.contains("GPS").fillna(False).to_numpy(dtype=bool)
    long = (kept["post_mortem_interval"].astype("string") == "> 6-8 months").fillna(False).to_numpy(dtype=bool)
    return {
        "remains": float(len(kept)),
        "road_km_before": float(np.median(dist[~after])),
        "road_km_after": float(np.median(dist[after])),
        "gps_before": float(gps[~after].mean()),
        "gps_after": float(gps[after].mean()),
        "long_pmi_before": float(long[~after].mean()),
        "long_pmi_after": float(long[after].mean()),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--null", type=int, default=400, help="null worlds")
    parser.add_argument("--planted", type=int, default=200, help="planted worlds per size")
    parser.add_argument("--stationary", type=int, default=0, help="stationary control worlds (no change over time)")
    parser.add_argument("--sizes", nargs="*", default=[e.label for e in PLANTED], choices=[e.label for e in PLANTED])
    parser.add_argument("--seed", type=int, default=1, help="world i has seed SEED + i (in every source)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--permutations", type=int, default=199, help="[parameters.statistics] permutations")
    parser.add_argument("--bootstrap", type=int, default=199, help="[parameters.displacement] bootstrap (H1, H3)")
    parser.add_argument("--battery", choices=["lean", "full"], default="lean", help="see the module docstring")
    parser.add_argument(
        "--cache", default="benchmarks/results/calibrate_worlds.jsonl", help="finished worlds ('' for none)"
    )
    parser.add_argument("--fresh", action="store_true", help="ignore and replace the cache")
    parser.add_argument("--out", default="docs/calibration.md", help="the report ('' for none)")
    parser.add_argument("--measure-real", metavar="DATA_DIR", default="", help="print the real records' numbers")
    args = parser.parse_args(argv)
    if args.measure_real:
        for k, v in measure_real(args.measure_real).items():
            print(f"{k}: {v:.4g}")
        return
    params = SectorParams()
    effects = [e for e in PLANTED if e.label in args.sizes]
    key = fingerprint(args.seed, args.permutations, args.bootstrap, args.battery, params)
    cache = pathlib.Path(args.cache) if args.cache else None
    if cache is not None and args.fresh and cache.exists():
        cache.unlink()
    hardware = f"nproc={os.cpu_count()}, {cpu_model()}, Python {platform.python_version()}"
    print(f"hardware: {hardware}", file=sys.stderr)
    start = time.perf_counter()
    task_list = tasks(
        args.null,
        args.planted,
        args.seed,
        effects,
        args.permutations,
        args.bootstrap,
        args.battery,
        args.stationary,
    )
    replicates, reused = run(task_list, args.jobs, cache, key)
    elapsed = time.perf_counter() - start
    cal = calibrate(replicates)
    seconds = np.array([r.seconds for r in replicates])
    per_world = float(seconds.mean()) if seconds.size else math.nan
    command = "nice .venv/bin/python benchmarks/calibrate_worlds.py " + " ".join(
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)
    )
    full = (400 + 3 * 200 + args.stationary) * per_world / max(args.jobs, 1)
    meta = {
        "command": command.strip(),
        "seed": f"{args.seed} (world i of every source: seed {args.seed} + i; the battery's seed the same)",
        "worlds": f"{args.null} null; {args.planted} planted per size ({', '.join(e.label for e in effects) or 'none'}); "
        f"{args.stationary} stationary controls",
        "battery": f"{args.battery} (see *How the battery is run*)",
        "resampling": f"[parameters.statistics] permutations = {args.permutations} (permutations, simulations and "
        f"bootstrap resamples), [parameters.displacement] bootstrap = {args.bootstrap} (fewer than the shipped 999 "
        "to fit the runtime: a Monte Carlo permutation p-value keeps its size at any count; intervals are coarser)",
        "runtime": f"{elapsed:.0f} s wall with {args.jobs} job(s) ({reused} of {len(replicates)} worlds from the "
        f"cache); {per_world:.2f} s per world in one process (simulation and battery; "
        f"min {seconds.min():.2f}, max {seconds.max():.2f}); 400 null + 3 × 200 planted worlds"
        f"{f' + {args.stationary} stationary' if args.stationary else ''} would take about "
        f"{full / 60:.0f} min with {args.jobs} job(s)"
        if seconds.size
        else "no worlds",
        "hardware": hardware,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    text = report(cal, replicates, effects, params, meta)
    print("\n".join(table_lines(cal)))
    print("\n".join(["", *wording(cal, effects), "", *skipped_lines(cal), *error_lines(replicates)]))
    print(f"\nruntime: {meta['runtime']}")
    if args.out:
        write_atomic(pathlib.Path(args.out), text)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
