"""Run a study: gather its layers, run its battery, and return one result; write it only when asked.

:func:`run` (the Python API, ``borderscape.run``) computes a :class:`Result` and writes
nothing; :meth:`Result.write` writes the run folder (:mod:`borderscape.output`).
:func:`run_study` (``borderscape run``) does both.  :func:`demo` and :func:`run_demo`
(``borderscape demo``) do the same on a simulated world; every output then says
``SIMULATED DATA``.  A layer that cannot be found does not stop a run: the tests that need
it are skipped with the reason and the remedy — unless no question could read the records its
primary result counts (funnel: ``deaths``; maritime: ``crossings``, ``deaths`` or ``incidents``):
then :func:`run` raises :class:`~borderscape.errors.NoDataError` before the battery runs and
nothing is written (:mod:`borderscape.analyses.needs`).  A run that went ahead without a layer a
primary result needs says so first (:attr:`Result.notices`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from borderscape import output, settings, webmap
from borderscape.analyses.battery import Battery, run_battery
from borderscape.analyses.budget import Budget, check, estimate
from borderscape.analyses.inputs import Assembled, InputRecord, assemble_inputs
from borderscape.analyses.needs import Notice, check_primary_layers
from borderscape.analyses.study import QUESTIONS, Study, load_study
from borderscape.analyses.worlds import inputs_from_world, simulate_world, world_study
from borderscape.errors import StudyError
from borderscape.figures import SIMULATED
from borderscape.geo.parallel import Executor, open_executor, resolve, using
from borderscape.runfolder import study_map_data


@dataclass(frozen=True, eq=False)
class Result:
    """What a run computed; nothing of it is on disk until :meth:`write`.

    Attributes
    ----------
    study
        The study as run.
    assembled
        Its inputs by role and where each came from.
    battery
        Every outcome, with the tables and rasters behind them.
    results
        What ``results.json`` holds: ``study``, ``seed``, ``simulated``, ``tests``, ``sources``,
        ``caveats``.
    seed
        The seed the battery ran with.
    simulated
        True for a simulated world.
    options
        How it was run (data folder, files given, executor), for provenance.json.
    """

    study: Study
    assembled: Assembled
    battery: Battery
    results: Mapping[str, Any]
    seed: int
    simulated: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def tests(self) -> list[Mapping[str, Any]]:
        """``results["tests"]``: one dict per outcome (id, status, estimate, ci, p_value, n, method …)."""
        return list(self.results["tests"])

    def test(self, id: str) -> Mapping[str, Any]:
        """The outcome with ``id`` (``"H2.road_distance"``); KeyError naming the ids when absent."""
        for t in self.results["tests"]:
            if t["id"] == id:
                found: Mapping[str, Any] = t
                return found
        raise KeyError(f"no test {id!r}; the ids are {', '.join(t['id'] for t in self.results['tests'])}")

    @property
    def notices(self) -> list[Notice]:
        """The run's first-screen lines (:func:`borderscape.analyses.needs.notices`): no primary
        finding at all, or a layer the study names that a primary result needed and the run lacked."""
        return output.first_screen(self.study, self.assembled, self.results, self.options)

    def map_data(self) -> webmap.StudyMap:
        """What the run's interactive map draws (:func:`borderscape.webmap.render` makes its HTML)."""
        layers = output.map_layers(self.study, self.assembled, self.battery)
        return study_map_data(
            layers,
            title=self.study.title,
            bbox=self.study.bbox,
            results=self.results,
            notices=[n.text for n in self.notices],
        )

    def write(self, folder: str | os.PathLike[str]) -> RunOutput:
        """Write the run folder (results.json, study.json, tables/, figures/, map/, map.html,
        provenance.json) in one piece: the folder is swapped in whole at the end."""
        opts = {**self.options, "out": str(Path(folder).resolve())}
        results, files = output.write_run(
            folder,
            study=self.study,
            assembled=self.assembled,
            battery=self.battery,
            seed=self.seed,
            simulated=self.simulated,
            started=self.started,
            options=opts,
        )
        return RunOutput(Path(folder), self.battery, results, tuple(files))


@dataclass(frozen=True, eq=False)
class RunOutput:
    """What a run wrote: the folder, the battery and the ``results.json`` content."""

    out: Path
    battery: Battery
    results: Mapping[str, Any]
    files: tuple[Path, ...] = field(default=())


@contextlib.contextmanager
def _progress(total: int, enabled: bool | None) -> Iterator[Callable[[str], None]]:
    """A progress bar on a terminal (stderr); a no-op callback otherwise."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    show = (
        enabled
        if enabled is not None
        else (settings.progress if settings.progress is not None else console.is_terminal)
    )
    if not show:
        yield lambda _: None
        return
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("starting", total=total)

        def step(what: str) -> None:
            bar.update(task, advance=1, description=what)

        yield step


def _path(value: str | os.PathLike[str] | None) -> str | None:
    return None if value is None else str(Path(value).resolve())


def run(
    study: str | os.PathLike[str] | Study,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    towers: str | os.PathLike[str] | None = None,
    dem: str | os.PathLike[str] | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    progress: bool | None = False,
    max_memory_gb: float | None = None,
    max_work: float | None = None,
) -> Result:
    """Run a study's battery and return the result; write nothing.

    Parameters
    ----------
    study
        A shipped study name (``"arizona-sonora"``), the path of a TOML file, or a
        :class:`~borderscape.analyses.study.Study` (e.g. from :func:`load_study`, edited with
        ``study.with_(...)``).
    data_dir
        Local mirror folder (default :data:`borderscape.settings.data_dir`, from ``BORDERSCAPE_DATA``).
    towers, dem
        Files that supply the ``towers`` / ``dem`` layers (override the study's).
    seed
        Overrides the study's seed.
    executor
        Where the parallel parts run (:func:`borderscape.geo.parallel.open_executor`); default:
        the executor installed by the caller, else this process.  The numbers are the same.
    progress
        Show a progress bar on standard error: False (default here), True, or None (only on a
        terminal).
    max_memory_gb, max_work
        The budget (:mod:`borderscape.analyses.budget`): memory in GiB (default half this
        machine's memory) and work in elementary operations (default 1.8·10¹², about half an hour of one core).  The study's
        estimate is checked against it before any layer is read and again before the battery
        runs; it is recorded in ``result.options["budget"]`` (provenance.json).

    Returns
    -------
    Result
        ``result.results`` is what ``results.json`` holds; ``result.write(folder)`` writes the
        run folder.

    Raises
    ------
    StudyError
        Unknown or malformed study.
    NoDataError
        No question could read the records its primary result counts (no ``deaths`` layer for
        the funnel battery …): the message names each missing layer and why, the remedy how to
        supply it (``--data-dir DIR``, ``BORDERSCAPE_DATA``); the battery did not run.
    BudgetError
        The run would need more memory or work than the budget; nothing heavy was started.
    BorderscapeError
        An input that exists but cannot be read (an unreadable DEM …), or a layer of the wrong
        kind for its role.

    Examples
    --------
    >>> import borderscape as bs
    >>> s = bs.load_study("arizona-sonora")
    >>> s.battery
    'funnel'
    """
    started = dt.datetime.now(dt.UTC)
    st = study if isinstance(study, Study) else load_study(study)
    seed = st.seed if seed is None else int(seed)
    data_dir = data_dir if data_dir is not None else settings.data_dir
    budget = Budget.of(max_memory_gb, max_work)
    ex = resolve(executor)
    with using(ex), _progress(len(st.layers) + 3, progress) as step:
        assembled = assemble_inputs(
            st, data_dir=data_dir, towers=towers, dem=dem, step=lambda r: step(f"reading {r}"), budget=budget
        )
        check_primary_layers(
            st.name,
            {q: e.result for q, e in st.endpoints.items() if q in QUESTIONS.get(st.battery, ())},
            assembled.inputs.layers,
            assembled.inputs.missing,
        )
        step("running the battery")
        battery = run_battery(st, assembled.inputs, seed=seed)
    options: dict[str, Any] = {
        "data_dir": _path(data_dir),
        "towers": _path(towers),
        "dem": _path(dem),
        "executor": type(ex).__name__,
        "budget": {
            "max_memory_bytes": budget.max_memory,
            "max_memory_basis": budget.memory_basis,
            "max_work": budget.max_work,
            "estimate": None if assembled.estimate is None else assembled.estimate.as_dict(),
        },
    }
    results = output.results_record(st, battery, assembled.records, seed, simulated=False)
    return Result(st, assembled, battery, results, seed, simulated=False, options=options, started=started)


def demo(*, seed: int = 0, executor: Executor | None = None) -> Result:
    """Simulate a world (:func:`borderscape.analyses.worlds.simulate_world`) and run the battery on
    it; every output of the result says ``SIMULATED DATA``."""
    started = dt.datetime.now(dt.UTC)
    with using(resolve(executor)):
        world = simulate_world(seed=seed)
        study = world_study(world, seed=seed)
        inputs = inputs_from_world(world)
        records = tuple(
            InputRecord(
                role,
                "simulated",
                f"{SIMULATED}: borderscape simulate_world (seed {seed})",
                "generated data, no licence needed",
                "borderscape.analyses.worlds.simulate_world",
                f"{SIMULATED}: not a real place, tower or person.",
            )
            for role in sorted(inputs.layers)
        )
        battery = run_battery(study, inputs, seed=seed)
    results = output.results_record(study, battery, records, seed, simulated=True)
    return Result(
        study,
        Assembled(inputs, records),
        battery,
        results,
        seed,
        simulated=True,
        options={"world": dict(world.truth.params)},
        started=started,
    )


def run_study(
    study: str | os.PathLike[str] | Study,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    towers: str | os.PathLike[str] | None = None,
    dem: str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] | None = None,
    seed: int | None = None,
    progress: bool | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    max_memory_gb: float | None = None,
    max_work: float | None = None,
) -> RunOutput:
    """``borderscape run``: :func:`run`, then :meth:`Result.write` into ``out`` (default
    ``out/<study name>``).

    ``workers`` / ``scheduler`` open a Dask executor for the run
    (:func:`borderscape.geo.parallel.open_executor`); None/1: this process.  The numbers, and
    results.json, are the same; provenance.json records both.  ``max_memory_gb`` / ``max_work``:
    the budget, as for :func:`run`.
    """
    st = study if isinstance(study, Study) else load_study(study)
    folder = Path(out) if out is not None else Path("out") / st.name
    Budget.of(max_memory_gb, max_work)  # a bad limit is refused before an executor is opened
    with open_executor(workers, scheduler) as ex:
        result = run(
            st,
            data_dir=data_dir,
            towers=towers,
            dem=dem,
            seed=seed,
            executor=ex,
            progress=progress,
            max_memory_gb=max_memory_gb,
            max_work=max_work,
        )
    return replace(result, options={**result.options, "workers": workers, "scheduler": scheduler}).write(folder)


def run_studies(
    studies: list[str | os.PathLike[str] | Study],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    towers: str | os.PathLike[str] | None = None,
    dem: str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    max_memory_gb: float | None = None,
    max_work: float | None = None,
) -> list[RunOutput]:
    """Run several studies, each as one task (:func:`run_study`, into ``out/<study name>``).

    With ``workers`` or ``scheduler`` the studies run at once, one per worker at a time, each
    serially inside its task; without, one after the other.  Each study's outputs are the same
    as those of :func:`run_study` alone.  ``towers`` and ``dem`` are given to every study
    (a whole-border file serves each region); ``seed`` overrides every study's seed;
    ``max_memory_gb`` / ``max_work`` are every study's budget (:func:`run`).

    Raises
    ------
    StudyError
        An unknown or malformed study, or two studies with the same name (their outputs
        would overwrite each other).
    """
    loaded = [s if isinstance(s, Study) else load_study(s) for s in studies]
    names = [s.name for s in loaded]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise StudyError(
            f"two studies are named {', '.join(twice)}: their outputs would go to the same folder",
            remedy="give each study file its own [study] name",
        )
    budget = Budget.of(max_memory_gb, max_work)
    for st in loaded:  # every study's grid and simulations before any study starts
        check(estimate(st), budget, st)
    base = Path(out) if out is not None else Path("out")
    with open_executor(workers, scheduler) as ex:
        return ex.map(
            _study_task,
            loaded,
            data_dir=data_dir,
            towers=towers,
            dem=dem,
            base=base,
            seed=seed,
            max_memory_gb=max_memory_gb,
            max_work=max_work,
        )


def _study_task(study: Study, *, base: Path, **options: Any) -> RunOutput:
    return run_study(study, out=base / study.name, progress=False, **options)


def run_demo(
    *,
    out: str | os.PathLike[str] | None = None,
    seed: int = 0,
    progress: bool | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
) -> RunOutput:
    """``borderscape demo``: :func:`demo`, then :meth:`Result.write` into ``out`` (default ``out/demo``)."""
    folder = Path(out) if out is not None else Path("out") / "demo"
    with open_executor(workers, scheduler) as ex, _progress(1, progress) as step:
        step("simulating a world and running the battery")
        result = demo(seed=seed, executor=ex)
    return replace(result, options={**result.options, "workers": workers, "scheduler": scheduler}).write(folder)
