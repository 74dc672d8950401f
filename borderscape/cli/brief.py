"""``borderscape brief``: a study's briefing as a self-contained HTML page and a PDF."""

from __future__ import annotations

from pathlib import Path

import click

from borderscape.cli.options import DATA_DIR, DEM, LANG, MAX_MEMORY, MAX_WORK, SEED, TOWERS, check_budget


@click.command()
@click.argument("study", required=False)
@click.option(
    "--from",
    "from_run",
    type=click.Path(path_type=Path),
    default=None,
    help="A run folder written by `borderscape run`: write its briefing without recomputing.",
)
@DATA_DIR
@TOWERS
@DEM
@SEED
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@LANG
@MAX_MEMORY
@MAX_WORK
def brief_command(
    study: str | None,
    from_run: Path | None,
    data_dir: Path | None,
    towers: Path | None,
    dem: Path | None,
    seed: int | None,
    out: Path,
    lang: str,
    max_memory: float | None,
    max_work: float | None,
) -> None:
    """Write a briefing of STUDY (a shipped name such as central-med, a TOML file, or `demo`).

    With --from RUN_DIR, renders the run folder RUN_DIR (from `borderscape run`) without
    recomputing anything. Otherwise runs the study into OUT/run/ (results.json, tables, figures, map, provenance), then writes
    OUT/brief.html (self-contained, with print styles) and OUT/brief.pdf, in the language of --lang:
    page 1 the key findings as sentences with their uncertainty, the study-area map and what could
    not be assessed; then the charts; an annex with every result, the method, caveats, sources and
    licences; the checks of borderscape's numbers against the published record (read from the
    data folder, --data-dir or BORDERSCAPE_DATA; with --from too); and how to reproduce it.
    A layer the study names that a primary result needed and the run lacked is said on the first
    page. A study (or run folder) with no layer its questions count is refused: exit code 2,
    nothing written.
    """
    from borderscape.errors import InputError

    if (study is None) == (from_run is None):
        raise InputError(
            "give a STUDY to run, or a run folder with --from (one of the two)",
            remedy="borderscape brief central-med --out brief/, or "
            "borderscape brief --from out/central-med --out brief/",
        )
    if study is not None and study != "demo":
        check_budget([study], dem, max_memory, max_work)
    from borderscape.brief import brief_from, write_brief
    from borderscape.cli.run import say_notices

    if from_run is not None:
        from borderscape.runfolder import read_run

        read_run(from_run).check()
        result = brief_from(from_run, out=out, lang=lang, data_dir=data_dir)
    else:
        from borderscape.analyses.budget import limits

        with limits(max_memory, max_work):
            result = write_brief(study, out=out, data_dir=data_dir, towers=towers, dem=dem, seed=seed, lang=lang)
    say_notices(result.run.notices())
    tests = result.run.results["tests"]
    ran = sum(t["status"] == "ran" for t in tests)
    click.echo(f"{ran} of {len(tests)} tests ran; briefing written to {result.html} and {result.pdf}")
