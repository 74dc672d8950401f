"""``borderscape map``: an interactive, self-contained Leaflet map of a study or of layers."""

from __future__ import annotations

from pathlib import Path

import click

from borderscape.cli.options import (
    DATA_DIR,
    DEM,
    LANG,
    MAP_CREDIT,
    MAP_FORMAT,
    MAP_STATS,
    MAP_SUBTITLE,
    MAP_TITLE,
    MAX_MEMORY,
    MAX_WORK,
    SEED,
    TOWERS,
    check_budget,
)


@click.command()
@click.argument("study", required=False)
@DATA_DIR
@click.option(
    "--from",
    "from_run",
    type=click.Path(path_type=Path),
    default=None,
    help="A run folder written by `borderscape run` (out/<study name>): draw its map without recomputing.",
)
@click.option(
    "--layer",
    "layers",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A layer written by `borderscape ingest ... --out FILE` (.parquet or .gpkg); repeatable.",
)
@TOWERS
@DEM
@SEED
@click.option(
    "--out",
    "-o",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="The file to write: HTML, or with --format an image or PDF.",
)
@click.option(
    "--self-contained",
    is_flag=True,
    help="Write one file with Leaflet and the data inlined (default: Leaflet is copied into "
    "<stem>_files/ beside the map and referenced relatively).",
)
@click.option(
    "--tiles",
    type=click.Choice(["none", "osm"]),
    default="none",
    show_default=True,
    help="Basemap: none (the study's own border, coasts and roads) or OpenStreetMap tiles "
    "(the only network request the map ever makes).",
)
@MAX_MEMORY
@MAX_WORK
@click.option(
    "--embed",
    is_flag=True,
    help="A map for an iframe (compact heading, no panel of test results unless --stats), and print a "
    "responsive, sandboxed <iframe> snippet for it.",
)
@click.option("--embed-url", default=None, help="URL the snippet points to (default: the output file's name).")
@MAP_TITLE
@MAP_SUBTITLE
@MAP_CREDIT
@MAP_STATS
@MAP_FORMAT
@LANG
def map_command(
    study: str | None,
    from_run: Path | None,
    data_dir: Path | None,
    layers: tuple[Path, ...],
    towers: Path | None,
    dem: Path | None,
    seed: int | None,
    out: Path,
    self_contained: bool,
    tiles: str,
    embed: bool,
    embed_url: str | None,
    title: str | None,
    subtitle: str | None,
    credit: str | None,
    stats: bool | None,
    fmt: str | None,
    lang: str,
    max_memory: float | None,
    max_work: float | None,
) -> None:
    """An interactive map of STUDY (a shipped name or a TOML file) and/or of --layer files.

    The map is made with folium (Leaflet): layers switch on and off, a range of years filters
    remains, incidents, sensors and coverage, records are clustered into circles that show how
    many people they hold (a size key in the legend), and a quiet basemap (GSHHG coastlines and
    borders from the data folder, GeoNames place names, a scale bar) keeps readers oriented.
    With --self-contained the file makes no network request. The map states every source's
    publisher, licence and citation and the caveats, and has a data table; popups show no
    personal data. A layer the study names that a primary result needed and the run lacked is
    said under the title. A study (or run folder) with no layer its questions count is refused:
    exit code 2, nothing written. --format png|svg|pdf writes a static map instead. --lang es|fr|it
    writes every text a reader sees in Spanish, French or Italian (place names as GeoNames has them).

    \b
    Examples:
      borderscape map arizona-sonora --data-dir ../shared/data --out map.html --self-contained
      borderscape map --from out/arizona-sonora --out map.html --self-contained --embed --credit "The Desk"
      borderscape map --from out/arizona-sonora --out map.html --title "Deaths in the Sonoran Desert"
      borderscape map --from out/arizona-sonora --out map.png --format png
      borderscape map --layer deaths.parquet --layer towers.parquet --out map.html
      borderscape map --from out/arizona-sonora --out mapa.html --self-contained --lang es
    """
    from borderscape.errors import InputError
    from borderscape.webmap import embed_snippet, files_map, with_files, write_map

    if study is not None and from_run is not None:
        raise InputError(
            "give a STUDY to run or a run folder (--from), not both",
            remedy="borderscape map --from out/arizona-sonora --out map.html",
        )
    if embed and embed_url is not None:
        embed_snippet(embed_url, title="")  # refuse a bad --embed-url before any work
    from borderscape.cli.run import say_notices

    if from_run is not None:
        from borderscape.runfolder import read_run

        folder = read_run(from_run).check()
        say_notices(folder.notices(), err=True)
        if data_dir is None:  # the basemap's coastlines from where the run read its data, if still there
            from borderscape.webmap import run_data_dir

            data_dir = run_data_dir(from_run)
        gathered = with_files(folder.map_data(), layers)
    elif study is not None:
        check_budget([study], dem, max_memory, max_work)
        from borderscape.pipeline import run

        result = run(
            study, data_dir=data_dir, towers=towers, dem=dem, seed=seed, max_memory_gb=max_memory, max_work=max_work
        )
        say_notices(result.notices, err=True)
        gathered = with_files(result.map_data(), layers)
    else:
        gathered = files_map(layers)
    options = {"title": title, "subtitle": subtitle, "credit": credit, "lang": lang}
    if fmt is not None:
        from borderscape.staticmap import write_static_map

        written = write_static_map(out, gathered, fmt=fmt, data_dir=data_dir, **options)
        click.echo(f"wrote {written} ({written.stat().st_size / 1e6:.2f} MB)")
        return
    written = write_map(
        out,
        gathered,
        self_contained=self_contained,
        tiles=tiles,
        embed=embed,
        stats=stats,
        data_dir=data_dir,
        **options,
    )
    size = written.stat().st_size
    click.echo(f"wrote {written} ({size / 1e6:.2f} MB)", err=embed)
    if embed:
        from urllib.parse import quote

        from borderscape.i18n import translator
        from borderscape.webmap import map_label

        tr = translator(lang)
        shown = title or tr.text(gathered.title)
        click.echo(embed_snippet(embed_url or quote(written.name), title=map_label(shown, tr)))
