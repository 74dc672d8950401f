"""``borderscape run`` and ``borderscape demo``: the funnel-effect study, end to end."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from borderscape.cli.options import (
    DATA_DIR,
    DEM,
    MAX_MEMORY,
    MAX_WORK,
    SCHEDULER,
    SEED,
    TOWERS,
    WORKERS,
    check_budget,
)

if TYPE_CHECKING:
    from borderscape.analyses.needs import Notice
    from borderscape.pipeline import RunOutput


def _p(t: Mapping[str, Any], key: str) -> str:
    """A p-value column of the summary: empty for a descriptive result (it is not a test)."""
    return "" if t.get("role") == "descriptive" or t.get(key) is None else f"{t[key]:.2g}"


def _num(v: float) -> str:
    """A number of the summary: thousands separators from 1,000, else three significant digits."""
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def say_notices(notices: Sequence[Notice], *, err: bool = False) -> None:
    """The first-screen lines of a run (:func:`borderscape.analyses.needs.notices`), each with what
    to do, before anything else a command prints."""
    for n in notices:
        click.secho(n.text, fg="yellow", bold=True, err=err)
        if n.remedy:
            click.echo(f"  What to do: {n.remedy}", err=err)


def _summary(result: RunOutput) -> None:
    """The run's first-screen notices (a layer it promised and lacked, no primary finding), then
    a short table of the outcomes on standard output (plain text when not a terminal): id, role
    (primary, secondary, descriptive), status, estimate, interval, the p-value adjusted for the
    number of tests (Holm across the primary results, Benjamini–Hochberg within a question) and the
    unadjusted one, n.  A descriptive result shows no p-value."""
    from rich.console import Console
    from rich.table import Table

    from borderscape.runfolder import read_run

    say_notices(read_run(result.out).notices())
    simulated = result.results["simulated"]
    table = Table(
        title=("SIMULATED DATA — " if simulated else "") + f"{result.results['study']}: results by role",
        caption="adj. p: adjusted for the number of tests (Holm across primaries, Benjamini–Hochberg within a "
        "question); judge chance by it, not by p.",
    )
    for column in ("id", "role", "status", "estimate", "95% CI", "adj. p", "p", "n"):
        table.add_column(column, overflow="fold", no_wrap=column != "95% CI")
    for t in result.results["tests"]:
        ci = t["ci"]
        table.add_row(
            t["id"],
            t.get("role") or "",
            t["status"],
            "" if t["estimate"] is None else _num(t["estimate"]),
            "" if ci is None or None in ci else f"[{_num(ci[0])}, {_num(ci[1])}]",
            _p(t, "p_adjusted"),
            _p(t, "p_value"),
            "" if t["n"] is None else str(t["n"]),
        )
    console = Console(width=None if Console().is_terminal else 110)
    console.print(table)
    skipped = [t for t in result.results["tests"] if t["status"] == "skipped"]
    if skipped:
        console.print(
            f"{len(skipped)} test(s) skipped; the reasons and remedies are in results.json and map.html.",
            highlight=False,
        )
    from borderscape.analyses.region import summary_line

    if line := summary_line(result.results.get("records") or {}):
        console.print(f"Records — {line}.", highlight=False)
    console.print(f"outputs written to {result.out}", highlight=False)


@click.command()
@click.argument("studies", nargs=-1, required=True, metavar="STUDY [STUDY ...]")
@DATA_DIR
@TOWERS
@DEM
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Output folder (default: out/<study name>); with several studies, each goes into OUT/<study name>.",
)
@SEED
@WORKERS
@SCHEDULER
@MAX_MEMORY
@MAX_WORK
def run(
    studies: tuple[str, ...],
    data_dir: Path | None,
    towers: Path | None,
    dem: Path | None,
    out: Path | None,
    seed: int | None,
    workers: int | None,
    scheduler: str | None,
    max_memory: float | None,
    max_work: float | None,
) -> None:
    """Run the funnel-effect battery of STUDY (a shipped name such as arizona-sonora, or a TOML file).

    Writes results.json, tables/, figures/, map.html and provenance.json into the output
    folder. Tests whose layers are missing are skipped with the reason and what to supply;
    a layer the study names that a primary result needed is said first. When no question can
    read the records its primary result counts (no deaths layer for Arizona …), nothing is
    computed or written and the command exits with code 2, saying what is missing and how to
    supply it (--data-dir DIR or BORDERSCAPE_DATA).
    With --workers N or --scheduler ADDRESS the viewsheds, routes and simulations run on Dask;
    results.json is the same as without. Several studies run one per worker at a time, each
    into OUT/<study name>, with the same results as run one by one. A study whose estimated
    memory or work is over the budget (--max-memory, --max-work) is refused before any work,
    with the estimate and what to change.
    """
    check_budget(studies, dem, max_memory, max_work)
    from borderscape.pipeline import run_studies, run_study

    if len(studies) == 1:
        _summary(
            run_study(
                studies[0],
                data_dir=data_dir,
                towers=towers,
                dem=dem,
                out=out,
                seed=seed,
                workers=workers,
                scheduler=scheduler,
                max_memory_gb=max_memory,
                max_work=max_work,
            )
        )
        return
    for result in run_studies(
        list(studies),
        data_dir=data_dir,
        towers=towers,
        dem=dem,
        out=out,
        seed=seed,
        workers=workers,
        scheduler=scheduler,
        max_memory_gb=max_memory,
        max_work=max_work,
    ):
        _summary(result)


@click.command()
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Output folder (default: out/demo).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the simulated world and the tests.")
@WORKERS
@SCHEDULER
def demo(out: Path | None, seed: int, workers: int | None, scheduler: str | None) -> None:
    """Run the whole pipeline offline on a SIMULATED world with a known answer.

    Every output says SIMULATED DATA.
    """
    from borderscape.pipeline import run_demo

    _summary(run_demo(out=out, seed=seed, workers=workers, scheduler=scheduler))
