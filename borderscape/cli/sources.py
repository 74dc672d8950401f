"""``borderscape sources`` and ``borderscape fetch``: where each source's files are, and downloads."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from borderscape import settings
from borderscape.errors import SourceNotFound
from borderscape.layers.catalog import CATALOG, Source, get_source, with_state
from borderscape.layers.fetch import MAX_TILES, Fetched, Located, Progress, locate, remedy_for
from borderscape.layers.fetch import fetch as fetch_source


def _show_progress() -> bool:
    return settings.progress if settings.progress is not None else sys.stderr.isatty()


def _entry(source: Source, found: Located | None) -> dict:
    """Machine-readable description of a source and where it was found."""
    return {
        "id": source.id,
        "title": source.title,
        "publisher": source.publisher,
        "licence": source.licence,
        "citation": source.citation,
        "urls": list(source.urls),
        "kind": source.kind,
        "found": found is not None,
        "how": found.how if found else None,
        "format": found.format if found else None,
        "paths": [str(p) for p in found.paths] if found else [],
        "sha256": list(found.sha256) if found else [],
        "alternatives": [str(p) for p in found.alternatives] if found else [],
        "reason": found.reason if found else None,
        "remedy": None if found else remedy_for(source),
    }


@click.command("sources")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Local mirror folder (default: $BORDERSCAPE_DATA).",
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Download cache (default: $BORDERSCAPE_CACHE or ~/.cache/borderscape).",
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def sources(data_dir: Path | None, cache_dir: Path | None, as_json: bool) -> None:
    """List every catalog source: where its files were found (path, sha256) or how to get it."""
    data_dir = data_dir if data_dir is not None else settings.data_dir
    cache_dir = cache_dir if cache_dir is not None else settings.cache_dir
    rows: list[tuple[Source, Located | None]] = []
    for source in CATALOG.values():
        try:
            rows.append((source, locate(source.id, data_dir=data_dir, cache_dir=cache_dir)))
        except SourceNotFound:
            rows.append((source, None))
    if as_json:
        click.echo(json.dumps([_entry(s, f) for s, f in rows], indent=2, ensure_ascii=False))
    elif sys.stdout.isatty():
        _rich_table(rows)
    else:
        for source, found in rows:
            if found is None:
                click.echo(f"{source.id}\tmissing\n    how to get: {remedy_for(source)}")
                continue
            click.echo(f"{source.id}\tfound in {found.how}\t{found.format}\t{len(found.paths)} file(s)")
            for path, digest in zip(found.paths, found.sha256):
                click.echo(f"    {path}  sha256 {digest}")
            click.echo(f"    {found.describe()}")
    n_found = sum(f is not None for _, f in rows)
    click.echo(f"{n_found} of {len(rows)} sources found", err=True)


def _rich_table(rows: list[tuple[Source, Located | None]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title="borderscape sources",
        caption="For a missing source: follow its note, pass --data-dir DIR (or set BORDERSCAPE_DATA) "
        "to a folder holding its files, or run `borderscape fetch ID`; --json gives full details.",
    )
    for column in ("id", "found", "format", "file(s) / how to get", "sha256"):
        table.add_column(column, overflow="fold")
    for source, found in rows:
        if found is None:
            table.add_row(source.id, "[red]missing[/red]", "", source.how_to_get, "")
            continue
        first = found.paths[0]
        files = str(first) if len(found.paths) == 1 else f"{len(found.paths)} files in {first.parent}"
        if found.alternatives:
            files += f"\n(not chosen: {', '.join(p.name for p in found.alternatives[:3])}" + (
                " …)" if len(found.alternatives) > 3 else ")"
            )
        table.add_row(source.id, f"[green]{found.how}[/green]", found.format, files, found.sha256[0][:12] + "…")
    Console().print(table)


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[str], Progress | None]]:
    """Yield ``start(label) -> Progress callback``; draws a rich bar on stderr when enabled."""
    if not enabled:
        yield lambda label: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, TextColumn, TransferSpeedColumn
    from rich.progress import Progress as Bar

    with Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:

        def start(label: str) -> Progress:
            task = bar.add_task(label, total=None)

            def update(done: int, total: int | None) -> None:
                bar.update(task, completed=done, total=total)

            return update

        yield start


def _parse_bbox(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[float, ...] | None:
    if value is None:
        return None
    try:
        box = tuple(float(v) for v in value.split(","))
    except ValueError:
        box = ()
    if len(box) != 4:
        raise click.BadParameter("expected WEST,SOUTH,EAST,NORTH in decimal degrees, e.g. -112,31,-110,32")
    return box


@click.command("fetch")
@click.argument("source_ids", metavar="SOURCE...", nargs=-1, required=True)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Download cache (default: $BORDERSCAPE_CACHE or ~/.cache/borderscape).",
)
@click.option("--url", default=None, help="Download this URL instead of the catalog's link (one source only).")
@click.option(
    "--bbox",
    default=None,
    callback=_parse_bbox,
    metavar="W,S,E,N",
    help="Bounding box in degrees, for elevation tiles (dem-copernicus, dem-3dep).",
)
@click.option(
    "--tile-url",
    default=None,
    metavar="TEMPLATE",
    help="Tile URL template with {name}, replacing the catalog's (a mirror of the tiles).",
)
@click.option("--sha256", "sha256", default=None, metavar="HEX", help="Expected sha256 of the file (one file only).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Seconds to wait for a connection and each read (default: $BORDERSCAPE_TIMEOUT or 60).",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=None,
    help="Extra attempts after a failed one (default: $BORDERSCAPE_RETRIES or 3).",
)
@click.option(
    "--max-tiles",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help=f"Most elevation tiles a --bbox may ask for (default {MAX_TILES}); a larger box is refused "
    "before any request, with the number of tiles it needs.",
)
@click.option(
    "--state",
    "states",
    multiple=True,
    metavar="XX",
    help="For tiger-roads: a U.S. state by postal or FIPS code (TX or 48, NM or 35, AZ or 04, CA or 06); "
    "repeat for several states. Each is cached as tiger-roads-<state>, the id a study's [layers] roads names.",
)
@click.option("--force", is_flag=True, help="Download again even if the cache holds the file.")
def fetch(
    source_ids: tuple[str, ...],
    cache_dir: Path | None,
    url: str | None,
    bbox: tuple[float, ...] | None,
    tile_url: str | None,
    sha256: str | None,
    timeout: float | None,
    retries: int | None,
    max_tiles: int | None,
    states: tuple[str, ...],
    force: bool,
) -> None:
    """Download SOURCE... into the cache and print each file's path and sha256.

    Only http(s) URLs are fetched; files land in the cache under plain names. A file is
    kept only when it has the size and sha256 the catalog pins (or --sha256), or else
    passes a check of its format (not an HTML page, not cut off); otherwise it is deleted.

    Road layers of any U.S. state: `borderscape fetch tiger-roads --state TX` (TIGER/Line 2021
    primary and secondary roads from the Census Bureau).

    Without network, get the files by hand (`borderscape sources` says how) and point to
    them with --data-dir DIR or BORDERSCAPE_DATA.
    """
    if states:  # tiger-roads --state TX --state NM → tiger-roads-tx tiger-roads-nm
        source_ids = tuple(dict.fromkeys(with_state(sid, state) for sid in source_ids for state in states))
    if (url or sha256) and len(source_ids) != 1:
        raise click.UsageError("--url and --sha256 apply to a single SOURCE")
    for sid in source_ids:  # fail on an unknown id before downloading anything
        get_source(sid)
    cache_dir = cache_dir if cache_dir is not None else settings.cache_dir
    for sid in source_ids:
        with _progress_bar(_show_progress()) as start:  # the bar is gone before the report is printed
            result: Fetched = fetch_source(
                sid,
                cache_dir=cache_dir,
                url=url,
                bbox=bbox,
                tile_url=tile_url,
                sha256=sha256,
                timeout=timeout if timeout is not None else settings.timeout,
                retries=retries if retries is not None else settings.retries,
                backoff=settings.backoff,
                progress=start(sid),
                force=force,
                max_tiles=max_tiles if max_tiles is not None else MAX_TILES,
            )
        for record in result.files:
            note = "  (already in cache)" if record.reused else ""
            click.echo(f"{sid}\t{record.path}\tsha256 {record.sha256}{note}")
        for path in result.extracted:
            click.echo(f"{sid}\t{path}\t(extracted)")
        for skipped_url, why in result.skipped:
            click.echo(f"{sid}: skipped {skipped_url}: {why}", err=True)
