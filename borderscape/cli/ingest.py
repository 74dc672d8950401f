"""``borderscape ingest``: a source file becomes a typed layer and a quality report."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import click

from borderscape.errors import BorderscapeError, IngestError, InputError

GENERIC_KINDS = ("deaths", "sensors", "context")
LAYER_SUFFIXES = (".parquet", ".gpkg", ".geojson", ".csv", ".tif", ".tiff")


def parse_columns(specs: tuple[str, ...]) -> dict[str, str]:
    """``("lat=Latitude,lon=Longitude", "date=Date")`` → ``{"lat": "Latitude", ...}``.

    Raises
    ------
    InputError
        A part without ``=``, or a role given twice.
    """
    mapping: dict[str, str] = {}
    for spec in specs:
        for part in spec.split(","):
            if not part.strip():
                continue
            role, sep, column = part.partition("=")
            role, column = role.strip(), column.strip()
            if not sep or not role or not column:
                raise InputError(
                    f"--columns part {part.strip()!r} is not ROLE=COLUMN",
                    remedy="write --columns lat=COL,lon=COL,date=COL",
                )
            if role in mapping:
                raise InputError(f"role {role!r} mapped twice in --columns", remedy="map each role once")
            mapping[role] = column
    return mapping


def parse_region(text: str | None) -> tuple[float, float, float, float] | None:
    """``"W,S,E,N"`` in degrees → a tuple (None when not given)."""
    if text is None:
        return None
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(
            f"--region {text!r} is not W,S,E,N", remedy="give four numbers in degrees, e.g. -115.5,30,-108.5,35"
        ) from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InputError(f"--region {text!r} is not a valid box", remedy="west < east, south < north, in degrees")
    return west, south, east, north


@contextlib.contextmanager
def _status(message: str) -> Iterator[None]:
    """A spinner on a terminal (stderr); nothing when output is redirected."""
    from rich.console import Console

    console = Console(stderr=True)
    if console.is_terminal:
        with console.status(message):
            yield
    else:
        yield


EPILOG = """\b
Examples:
  borderscape ingest pcome --data-dir ../shared/data --out deaths.parquet --report deaths.json
  borderscape ingest pcome ogis_deaths_1981_2020-06.csv --out deaths-2020.gpkg
  borderscape ingest etopo1 --data-dir ../shared/data --out relief.tif
  borderscape ingest deaths my_deaths.csv --columns lat=Lat,lon=Lon,date=Found,cause=Cause \\
      --keep Notes --out mine.parquet
  borderscape ingest sensors towers.csv --columns latlon=Coordinates,kind=Type,height=Height_m \\
      --region -118,25,-96,34 --out towers.parquet
  borderscape ingest context stations.gpkg --columns name=NAME --out stations.parquet
"""


@click.command(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("source")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    help="Local mirror folder (default: $BORDERSCAPE_DATA, then the download cache).",
)
@click.option(
    "--out",
    "-o",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Layer file: .parquet (GeoParquet), .gpkg, .geojson, .csv (+ its record NAME.csv.json); "
    ".tif for elevation rasters. The file records its kind and source; a study names it under [layers].",
)
@click.option("--report", type=click.Path(path_type=Path), help="Write the quality report (JSON) here.")
@click.option(
    "--keep-personal",
    is_flag=True,
    help="Keep names and case numbers in the layer file (catalog sources: the source's own; deaths FILE: "
    "the --keep columns named like Name or Case Number). For your own research file, never for a "
    "rendered output.",
)
@click.option(
    "--columns",
    multiple=True,
    metavar="ROLE=COL,...",
    help="For deaths|sensors|context FILE: which column plays which role (lat, lon, latlon, wkt, x, y, "
    "date, dead, missing, cause, location_precision, record_id, kind, height, range, swath, active_from, "
    "active_to, deployment, name).",
)
@click.option(
    "--keep", multiple=True, metavar="COL", help="For deaths|sensors|context FILE: keep this column too (repeatable)."
)
@click.option(
    "--region",
    metavar="W,S,E,N",
    help="For deaths|sensors|context FILE: the expected lon/lat box; swapped or "
    "sign-flipped coordinates are repaired against it.",
)
@click.option("--crs", help="For deaths|sensors|context FILE with x=COL,y=COL: the CRS of x/y (e.g. EPSG:32612).")
@click.option(
    "--date-format",
    metavar="STRFTIME",
    help="For deaths|sensors|context FILE: the layout of every date (e.g. '%m/%d/%Y %H:%M:%S', '%d.%m.%y'); "
    "a date that does not match is quarantined with the reason. Default: ISO, M/D/YYYY and M/D/YY, "
    "with or without a time (times are dropped to the day; two-digit years after this year are 19YY).",
)
def ingest(
    source: str,
    file: Path | None,
    data_dir: Path | None,
    out: Path,
    report: Path | None,
    keep_personal: bool,
    columns: tuple[str, ...],
    keep: tuple[str, ...],
    region: str | None,
    crs: str | None,
    date_format: str | None,
) -> None:
    """Ingest SOURCE (a catalog id, see `borderscape sources`) into a typed layer.

    Every input row is kept, repaired (with what changed) or quarantined (with why); the
    report's kept + repaired + quarantined always equals the rows read. Names and case
    numbers are removed unless --keep-personal.

    For a file with no catalog entry, give its kind instead of a source:
    `borderscape ingest deaths|sensors|context FILE --columns lat=COL,lon=COL,...`.
    Only mapped columns (and those named by --keep) are kept; columns named like names or
    case numbers that are dropped are listed in the report's removed_columns. Coordinates in
    degrees, minutes and seconds: one text column (lat=COL, e.g. 31°20'15"N) or separate
    columns lat_deg, lat_min, lat_sec, lat_hemi and lon_deg, lon_min, lon_sec, lon_hemi.

    The report printed (and written with --report, as JSON) gives each quarantine or repair
    reason with up to three sample values of the cell that failed, and warnings.
    """
    from borderscape.layers.ingest import ingest as ingest_source
    from borderscape.layers.ingest import ingest_file, write_layer

    if out.suffix.lower() not in LAYER_SUFFIXES:
        raise InputError(
            f"--out {out.name}: unknown layer format", remedy="name it .parquet, .gpkg, .geojson, .csv or .tif"
        )
    generic = source in GENERIC_KINDS
    if generic:
        if file is None:
            raise InputError(
                f"`borderscape ingest {source}` needs a FILE",
                remedy=f"borderscape ingest {source} FILE --columns lat=COL,lon=COL --out OUT",
            )
        if data_dir is not None:
            raise InputError("--data-dir is for catalog sources", remedy="give the FILE directly")
        mapping = parse_columns(columns)
        if not mapping:
            raise InputError(
                "--columns is required for a file with no catalog entry",
                remedy="e.g. --columns lat=Latitude,lon=Longitude,date=Date",
            )
    elif columns or keep or region or crs or date_format:
        raise InputError(
            "--columns, --keep, --region, --crs and --date-format are for deaths|sensors|context FILE",
            remedy=f"catalog source {source!r} has a fixed reader; drop these options",
        )
    if keep_personal:
        click.secho(
            "warning: --keep-personal keeps names and case numbers in this layer file for your own research; "
            "do not share it, and rendered outputs (maps, figures, briefings) never show them.",
            fg="yellow",
            err=True,
        )
    with _status(f"ingesting {source} …"):
        try:
            if generic:
                layer = ingest_file(
                    source,
                    file,
                    columns=mapping,
                    keep=keep,
                    region=parse_region(region),
                    crs=crs,
                    keep_personal=keep_personal,
                    date_format=date_format,
                )
            else:
                layer = ingest_source(source, file, data_dir=data_dir, keep_personal=keep_personal)
            written = write_layer(layer, out)
            if report is not None:
                layer.report.write(report)
        except BorderscapeError:
            raise
        except (OSError, ValueError, UnicodeError, MemoryError) as exc:
            # the message of a low-level error can quote a cell of the file: show only its type
            raise IngestError(
                f"cannot ingest {source}: {type(exc).__name__} while reading or writing",
                remedy="check the input file and the output folder (permissions, free space)",
            ) from exc
    r = layer.report
    chosen = (
        r.files[0].get("chosen")
        if r.files and r.files[0].get("chosen")
        else ", ".join(Path(f["path"]).name for f in r.files)
    )
    unit = "cells" if getattr(layer, "kind", "") == "raster" else "rows"
    click.echo(
        f"{source}: {r.rows_read} {unit} read, {r.kept} kept, {r.repaired} repaired, {r.quarantined} quarantined"
        f" | {chosen} | wrote {written}" + (f" and {report}" if report is not None else "")
    )
    details = r.text().splitlines()[1:]
    warnings = [line for line in details if line.lstrip().startswith("warning:")]
    for line in details:
        if line not in warnings:
            click.echo(line)
    for line in warnings:
        click.secho(line.strip(), fg="yellow", err=True)
