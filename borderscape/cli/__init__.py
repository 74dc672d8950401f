"""The ``borderscape`` command line.

Commands are loaded lazily, so ``borderscape --help`` stays fast and one command's heavy
imports (numba kernels, statistics) do not slow another down.  Each command lives in its own
module of this package.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from borderscape.errors import BorderscapeError

# command name -> ("module:attribute", one-line help shown by `borderscape --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "sources": ("borderscape.cli.sources:sources", "List every data source: where it was found, or how to get it."),
    "fetch": ("borderscape.cli.sources:fetch", "Download sources into the cache (checksummed, resumable)."),
    "ingest": ("borderscape.cli.ingest:ingest", "Turn a source file into a typed layer and a quality report."),
    "terrain": ("borderscape.cli.terrain:terrain", "Walking cost, least-cost paths and viewsheds as GeoTIFFs."),
    "run": (
        "borderscape.cli.run:run",
        "Run a study's funnel-effect tests and write results, tables, figures and a map.",
    ),
    "map": ("borderscape.cli.map:map_command", "An interactive, self-contained Leaflet map of a study or of layers."),
    "demo": (
        "borderscape.cli.run:demo",
        "The whole pipeline on a simulated world (offline; outputs say SIMULATED DATA).",
    ),
    "brief": (
        "borderscape.cli.brief:brief_command",
        "A study's briefing: self-contained HTML page (print styles) and PDF.",
    ),
    "replicate": (
        "borderscape.cli.replicate:replicate",
        "Published numbers (Bansak 2025, White 2025, IOM) beside borderscape's: agree/differ and why.",
    ),
}


#: Commands whose arguments name studies (a shipped name or a ``.toml`` file).
STUDY_COMMANDS = ("run", "map", "brief")


def check_study_files(argv: list[str]) -> None:
    """Read every study file named on a study command's line, before the command's heavy imports.

    A study is checked whole when it is read (:func:`borderscape.analyses.study.load_study`),
    so a misspelt key, a NaN or a bad CRS fails in a fraction of a second with exit code 2,
    before any data is read.  Shipped studies are checked by the test suite.
    """
    if not argv or argv[0] not in STUDY_COMMANDS:
        return
    files = [a for a in argv[1:] if a.endswith(".toml") and not a.startswith("-")]
    if files:
        from borderscape.analyses.study import load_study

        for name in files:
            load_study(name)


class LazyGroup(click.Group):
    """A click group whose subcommands are imported only when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module_name, attr = COMMANDS[name][0].split(":")
        return getattr(importlib.import_module(module_name), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # list commands from the registry, without importing them
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in sorted(COMMANDS)])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="borderscape")
def cli() -> None:
    """borderscape: surveillance layers, migrant mortality and spatial statistics.

    For accountability about past surveillance and its harms. Nothing here forecasts
    crossings, ranks places for enforcement or scores individuals.
    """


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script.

    Typed errors become a message with what to do and exit code 2; an unexpected error
    becomes a one-line message asking for a report and exit code 1 (set
    ``BORDERSCAPE_DEBUG=1`` to see the traceback).
    """
    try:
        check_study_files(sys.argv[1:] if argv is None else list(argv))
        result = cli.main(args=argv, prog_name="borderscape", standalone_mode=False)
    except BorderscapeError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the last line of defence for a user
        if os.environ.get("BORDERSCAPE_DEBUG"):
            raise
        click.secho(
            f"internal error: {type(exc).__name__}: {exc}\n  Please report it; rerun with "
            "BORDERSCAPE_DEBUG=1 to see the traceback.",
            fg="red",
            err=True,
        )
        return 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
