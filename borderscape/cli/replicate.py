"""``borderscape replicate``: borderscape's numbers beside published ones (agree/differ and why)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from borderscape import settings
from borderscape.cli.options import DATA_DIR


@click.command("replicate")
@DATA_DIR
@click.option("--json", "json_file", type=click.Path(path_type=Path), default=None, help="Write the report as JSON.")
@click.option(
    "--markdown",
    "markdown_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the report as Markdown (docs/replication.md is made this way).",
)
@click.option(
    "--flights",
    "flights_file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Aerial flight tracks (CSV of position reports or GeoJSON lines with times, docs/flights.md): adds the "
    "sign and size of the monthly flight-hours correlation with Libyan interceptions and the death rate "
    "(Airborne Complicity, 2022).",
)
@click.option("--strict", is_flag=True, help="Exit with code 1 when any comparison differs or was not computed.")
def replicate(
    data_dir: Path | None, json_file: Path | None, markdown_file: Path | None, flights_file: Path | None, strict: bool
) -> int:
    """Set borderscape's numbers beside published ones: Bansak et al. (2025) record counts and hot-spot
    grid, White et al. (2025) case-control directions, IOM's central-Mediterranean death rates and the
    2021 Libyan interceptions and, with --flights, the correlation of monthly flight hours with the
    interceptions and the death rate; each with its citation, tolerance, agree/differ and the likely reason.

    Differences are findings, not errors: the exit code is 0 unless --strict is given.
    """
    from borderscape.analyses.replication import replicate as run_replication
    from borderscape.analyses.replication import to_markdown

    result = run_replication(data_dir if data_dir is not None else settings.data_dir, flights=flights_file)
    if json_file is not None:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    if markdown_file is not None:
        markdown_file.parent.mkdir(parents=True, exist_ok=True)
        markdown_file.write_text(to_markdown(result), encoding="utf-8")
    if sys.stdout.isatty():
        _rich_table(result)
    else:
        for c in result.comparisons:
            published = c.published_text or f"{c.published:g}"
            ours = "—" if c.ours is None else f"{c.ours:g}"
            click.echo(f"{c.id}\t{c.verdict}\tpublished {published}\tours {ours}\t{c.tolerance_text()}\t{c.what}")
            if c.verdict != "agree" and c.reason:
                click.echo(f"    why: {c.reason}")
    counts = result.to_dict()
    click.echo(
        f"{counts['agree']} agree, {counts['differ']} differ, {counts['not_computed']} not computed; "
        f"ran in {result.seconds:.1f} s",
        err=True,
    )
    if strict and (counts["differ"] or counts["not_computed"]):
        sys.exit(1)
    return 0


def _rich_table(result) -> None:  # noqa: ANN001 - a Replication; imported lazily
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title="borderscape replicate: published numbers beside ours",
        caption="--json FILE gives each comparison's method, citation and details.",
    )
    for column in ("id", "what", "published", "ours", "tolerance", "verdict", "reason / note"):
        table.add_column(column, overflow="fold")
    colour = {"agree": "green", "differ": "yellow", "not computed": "red"}
    for c in result.comparisons:
        published = c.published_text or f"{c.published:,.4g}"
        ours = "—" if c.ours is None else f"{c.ours:,.4g}"
        table.add_row(
            c.id,
            c.what,
            published,
            ours,
            c.tolerance_text(),
            f"[{colour[c.verdict]}]{c.verdict}[/{colour[c.verdict]}]",
            c.reason,
        )
    Console().print(table)
