"""Static figures of a study run (matplotlib): PNG and SVG, each with its sources and caveats.

Three charts, each built from plain tables so that they can be checked and redrawn:

* :func:`hardship_over_time` — per year, the median (and interquartile range) of a hardship
  measure at the places where remains were recovered (distance to the nearest road, to the
  nearest water station, slope …);
* :func:`mortality_over_time` — recovered remains per 10,000 Border Patrol encounters, by month;
* :func:`coverage_growth` — the area inside the coverage of active sensors, by epoch.

:func:`yearly_quantiles` summarises per-record measures by year.  Every figure carries a footer naming its sources and its main caveat, and
the title of a figure of simulated data begins with ``SIMULATED DATA``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

SIMULATED = "SIMULATED DATA"
#: Okabe–Ito colours (safe for colour-blind readers).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


# -- tables -----------------------------------------------------------------------------------

def usable(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of an ingested layer that were not quarantined (and, if spatial, have a geometry)."""
    keep = frame["status"] != "quarantined" if "status" in frame.columns else np.ones(len(frame), bool)
    if isinstance(frame, gpd.GeoDataFrame):
        keep = keep & ~(frame.geometry.is_empty | frame.geometry.isna())
    return frame[keep]


def yearly_quantiles(records: pd.DataFrame, measures: Mapping[str, tuple[str, str]], *,
                     min_per_year: int = 3) -> pd.DataFrame:
    """Per year, the quartiles of each measure over the records of that year.

    Parameters
    ----------
    records
        One row per record: a ``year`` column and one column per measure (NaN where unknown).
    measures
        Column → (plain name, unit); columns absent from ``records`` are left out.
    min_per_year
        Years with fewer known values are left out.

    Returns
    -------
    DataFrame
        ``measure`` (plain name), ``unit``, ``year``, ``n``, ``q25``, ``median``, ``q75``
        (``numpy.quantile``, linear interpolation).
    """
    rows: list[dict] = []
    for column, (name, unit) in measures.items():
        if column not in records.columns:
            continue
        frame = pd.DataFrame({"year": records["year"], "v": pd.to_numeric(records[column], errors="coerce")}).dropna()
        for year, group in frame.groupby("year"):
            if len(group) < min_per_year:
                continue
            q = np.quantile(group["v"].to_numpy(dtype=float), [0.25, 0.5, 0.75])
            rows.append({"measure": name, "unit": unit, "year": int(year), "n": len(group),
                         "q25": q[0], "median": q[1], "q75": q[2]})
    return pd.DataFrame(rows, columns=["measure", "unit", "year", "n", "q25", "median", "q75"])


# -- figures ----------------------------------------------------------------------------------

def _figure(title: str, footer: str, *, simulated: bool, panels: int = 1):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    height = 2.6 * panels + 1.4
    fig, axes = plt.subplots(panels, 1, figsize=(9, height), squeeze=False, sharex=True)
    fig.suptitle(f"{SIMULATED} — {title}" if simulated else title, fontsize=12)
    lines = textwrap.wrap(footer, 150)
    fig.text(0.01, 0.01, "\n".join(lines), fontsize=7, va="bottom", ha="left", color="#333333")
    fig.subplots_adjust(bottom=(0.45 + 0.13 * len(lines)) / height, top=1 - 0.55 / height, hspace=0.25)
    return fig, [ax for row in axes for ax in row]


def _interventions(ax, dates: Sequence[object]) -> None:
    for date in dates:
        ax.axvline(pd.Timestamp(date), color="#777777", lw=0.8, ls="--")


def hardship_over_time(table: pd.DataFrame, *, footer: str, simulated: bool = False,
                       interventions: Sequence[object] = ()):
    """Median (line) and interquartile range (band) of each hardship measure by year.

    Parameters
    ----------
    table
        From :func:`yearly_quantiles`.
    footer
        Sources and caveats, printed under the chart.
    simulated
        Prefix the title with ``SIMULATED DATA``.
    interventions
        Dates drawn as dashed vertical lines.
    """
    measures = list(dict.fromkeys(table["measure"]))
    fig, axes = _figure("Hardship at recovered remains, by year (median and interquartile range)", footer,
                        simulated=simulated, panels=max(1, len(measures)))
    for ax, measure, colour in zip(axes, measures, PALETTE):
        part = table[table["measure"] == measure].sort_values("year")
        unit, scale = (part["unit"].iloc[0], 1.0) if part["unit"].iloc[0] != "m" else ("km", 1e-3)
        x = pd.to_datetime(part["year"].astype(str) + "-07-01")
        ax.fill_between(x, scale * part["q25"], scale * part["q75"], color=colour, alpha=0.25, lw=0)
        ax.plot(x, scale * part["median"], color=colour, marker="o", ms=3)
        ax.set_ylabel("\n".join(textwrap.wrap(f"{measure} ({unit})", 28)), fontsize=8)
        _interventions(ax, interventions)
    return fig


def mortality_over_time(table: pd.DataFrame, *, footer: str, simulated: bool = False,
                        interventions: Sequence[object] = ()):
    """Recovered remains per 10,000 encounters by month.

    rate = 10,000 × deaths / encounters, from a table with ``month``, ``deaths`` and
    ``encounters`` columns (months without encounters left out).
    """
    table = table[pd.to_numeric(table["encounters"], errors="coerce") > 0]
    fig, (ax,) = _figure("Recovered remains per 10,000 Border Patrol encounters, by month", footer,
                         simulated=simulated)
    table = table.assign(month=pd.to_datetime(table["month"]))
    ax.plot(table["month"], 1e4 * table["deaths"].astype(float) / table["encounters"].astype(float),
            color=PALETTE[1], lw=1.2)
    ax.set_ylabel("remains per 10,000 encounters", fontsize=8)
    _interventions(ax, [d for d in interventions if len(table) and table["month"].min() <= pd.Timestamp(d) <= table["month"].max()])
    return fig


def mortality_per_crossing(table: pd.DataFrame, *, footer: str, simulated: bool = False,
                           interventions: Sequence[object] = ()):
    """Dead and missing per 1,000 attempted crossings by route and month, with exact 95 % intervals.

    ``table`` has ``route``, ``month``, ``rate``, ``ci_low`` and ``ci_high`` (rates as shares).
    """
    routes = list(dict.fromkeys(table["route"]))
    fig, axes = _figure("Dead and missing per 1,000 attempted sea crossings, by month", footer,
                        simulated=simulated, panels=len(routes))
    for ax, route, colour in zip(axes, routes, PALETTE):
        part = (table[table["route"] == route].assign(month=lambda t: pd.to_datetime(t["month"]))
                .set_index("month").sort_index()[["rate", "ci_low", "ci_high"]].astype(float)
                .asfreq("MS").reset_index())  # months without a rate become gaps, not interpolated lines
        ax.fill_between(part["month"], 1e3 * part["ci_low"], 1e3 * part["ci_high"], color=colour, alpha=0.25, lw=0)
        ax.plot(part["month"], 1e3 * part["rate"], color=colour, lw=1.2)
        ax.set_ylabel(f"{route}\nper 1,000", fontsize=8)
        ax.set_ylim(bottom=0)
        _interventions(ax, [d for d in interventions if len(part) and part["month"].min() <= pd.Timestamp(d) <= part["month"].max()])
    return fig


def coverage_growth(table: pd.DataFrame, *, footer: str, simulated: bool = False):
    """Area inside the coverage of active sensors by epoch.

    ``table`` has ``epoch`` (the epoch's first day, or a label when undated) and ``area_km2``.
    """
    fig, (ax,) = _figure("Area seen by active sensors, by epoch", footer, simulated=simulated)
    when = pd.to_datetime(table["epoch"], errors="coerce")
    if when.notna().all():
        ax.step(when, table["area_km2"], where="post", color=PALETTE[0])
        ax.plot(when, table["area_km2"], "o", color=PALETTE[0], ms=4)
    else:
        ax.bar([str(e) for e in table["epoch"]], table["area_km2"], color=PALETTE[0])
    ax.set_ylim(bottom=0)
    ax.set_ylabel("area covered (km²)", fontsize=8)
    return fig
