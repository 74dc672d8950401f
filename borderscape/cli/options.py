"""Options shared by the commands that run a study (``run``, ``map``, ``brief``, ``demo``): one
definition each, so their names, types and help cannot drift apart."""

from __future__ import annotations

from pathlib import Path

import click

from borderscape.i18n import LANGUAGES

DATA_DIR = click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Local folder holding the source files (default: BORDERSCAPE_DATA).",
)
TOWERS = click.option(
    "--towers",
    type=click.Path(path_type=Path),
    default=None,
    help="A file of surveillance towers (CSV, GeoJSON or KML; EFF's layout or similar).",
)
DEM = click.option(
    "--dem",
    type=click.Path(path_type=Path),
    default=None,
    help="An elevation GeoTIFF; resampled to the study's CRS and cell size, clipped to its region.",
)
LANG = click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default="en",
    show_default=True,
    help="The language of what a reader sees: English, Spanish, French or Italian.",
)
SEED = click.option("--seed", type=int, default=None, help="Overrides the study's seed.")
WORKERS = click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes of a local Dask cluster (needs borderscape[dask]); 1 or none: serial.",
)
SCHEDULER = click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Address of an existing Dask scheduler, e.g. tcp://10.0.0.5:8786 (needs borderscape[dask]).",
)
MAX_MEMORY = click.option(
    "--max-memory",
    "max_memory",
    type=float,
    default=None,
    metavar="GB",
    help="Memory budget in GiB (default: half this machine's memory). A study whose estimate is "
    "larger is refused before any work; raise it deliberately.",
)
MAX_WORK = click.option(
    "--max-work",
    "max_work",
    type=float,
    default=None,
    metavar="OPS",
    help="Work budget in elementary operations: viewshed-cell evaluations, Dijkstra moves, Gi* and "
    "record permutations, weighted by their measured cost (default: 6e11, about ten minutes of one core).",
)

# -- options of `borderscape map` -------------------------------------------------------------
MAP_TITLE = click.option("--title", default=None, help="The map's heading (default: the study's title).")
MAP_SUBTITLE = click.option(
    "--subtitle", default=None, help="The line under the heading (default: what the records are, and their years)."
)
MAP_CREDIT = click.option(
    "--credit", default=None, help="Who made the map, added to the source line (e.g. 'Jane Doe / The Daily')."
)
MAP_STATS = click.option(
    "--stats/--no-stats",
    default=None,
    help="Show the panel of test results (default: shown, except in an --embed map).",
)
MAP_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["png", "svg", "pdf"]),
    default=None,
    help="Write a static map (legend, title, scale bar, place names, source line) instead of HTML.",
)


def check_budget(
    studies: tuple[str, ...] | list[str], dem: Path | None, max_memory: float | None, max_work: float | None
) -> None:
    """Refuse a study over its budget before the pipeline's heavy imports: the study's grid, hot
    spots and simulations (:mod:`borderscape.analyses.budget`); the layers are checked again
    when read."""
    from borderscape.analyses.budget import Budget, check, estimate
    from borderscape.analyses.study import load_study

    budget = Budget.of(max_memory, max_work)
    for name in studies:
        study = load_study(name)
        check(estimate(study, dem_file=dem), budget, study)
