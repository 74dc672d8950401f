"""Static figures of a study run (matplotlib): PNG and SVG, each with its sources and caveats.

Charts and maps, each built from plain tables so that they can be checked and redrawn:

* :func:`hardship_over_time` — per year, the median (and interquartile range) of a hardship
  measure at the places where remains were recovered (distance to the nearest road, to the
  nearest water station, slope …);
* :func:`mortality_over_time` — recovered remains per 10,000 Border Patrol encounters, by month;
* :func:`mortality_per_crossing` — dead and missing per 1,000 attempted sea crossings, by month;
* :func:`coverage_growth` — the area inside the coverage of active sensors, by epoch;
* :func:`envelope_chart` — a K/L-function's deviation from its null, with the Monte Carlo envelope;
* :func:`hotspots_by_period` — small multiples of Gi* hot and cold cells, one map per period;
* :func:`study_area_map` — the study area: context lines and areas, sensors, coverage, and
  remains or incidents counted per grid cell (no single record is drawn).

:func:`yearly_quantiles` summarises per-record measures by year.  Every figure carries a
footer naming its sources and its main caveat, and the title of a figure of simulated data
begins with ``SIMULATED DATA``.  Colours are the Okabe–Ito palette (Okabe & Ito 2008), safe for
colour-blind readers.  Texts are drawn with ``parse_math=False``, so a ``$`` in a user's title
is shown as it is, and matplotlib's SVG writer escapes ``<``, ``>`` and ``&``.
"""

from __future__ import annotations

import itertools
import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

#: The mark of every output made from a simulated world (figures, maps, tables, briefings).
SIMULATED = "SIMULATED DATA"


@dataclass(frozen=True)
class SkippedFigure:
    """A figure of a run that could not be drawn: its file stem and why (the error's type and text)."""

    stem: str
    reason: str


class FigureFiles(list[Path]):
    """The files of a run's figures (a list of paths), with the figures that were skipped in
    :attr:`skipped` (:class:`SkippedFigure`, in the order they were tried)."""

    def __init__(self, paths: Sequence[Path] = (), skipped: Sequence[SkippedFigure] = ()) -> None:
        super().__init__(paths)
        self.skipped: list[SkippedFigure] = list(skipped)


def figure_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that make one figure skipped rather than fail the run: a typed
    :class:`~borderscape.geo.errors.BorderscapeError`, and what matplotlib, numpy, shapely and
    pyproj raise on odd inputs (``ValueError``, ``TypeError``, ``ArithmeticError``,
    ``shapely.errors.GEOSException``, ``pyproj.exceptions.ProjError``).  Other exceptions
    (``KeyError``, ``AttributeError``, ``OSError`` …) propagate."""
    import shapely.errors
    from pyproj.exceptions import ProjError

    from borderscape.geo.errors import BorderscapeError

    return (BorderscapeError, ValueError, TypeError, ArithmeticError, shapely.errors.GEOSException, ProjError)


def _span(low: float, high: float) -> float:
    """The width of an extent, checked: finite and positive, else a typed error."""
    from borderscape.geo.errors import InputError

    width = float(high) - float(low)
    if not (math.isfinite(width) and width > 0):
        raise InputError(
            f"the map's extent {float(low):.6g} … {float(high):.6g} m is empty or not finite in its projected CRS, "
            "so it cannot be drawn",
            remedy=(
                "give a [region] bbox that covers a region rather than the whole globe or a pole, with a [region] "
                'crs suited to it ("auto" picks the local UTM zone)'
            ),
        )
    return width


#: Okabe–Ito colours (safe for colour-blind readers).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


# -- tables -----------------------------------------------------------------------------------


def usable(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of an ingested layer that were not quarantined (and, if spatial, have a geometry)."""
    keep = frame["status"] != "quarantined" if "status" in frame.columns else np.ones(len(frame), bool)
    if isinstance(frame, gpd.GeoDataFrame):
        keep = keep & ~(frame.geometry.is_empty | frame.geometry.isna())
    return frame[keep]


def yearly_quantiles(
    records: pd.DataFrame, measures: Mapping[str, tuple[str, str]], *, min_per_year: int = 3
) -> pd.DataFrame:
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
            rows.append(
                {
                    "measure": name,
                    "unit": unit,
                    "year": int(year),
                    "n": len(group),
                    "q25": q[0],
                    "median": q[1],
                    "q75": q[2],
                }
            )
    return pd.DataFrame(rows, columns=["measure", "unit", "year", "n", "q25", "median", "q75"])


# -- figures ----------------------------------------------------------------------------------


def _figure(
    title: str,
    footer: str,
    *,
    simulated: bool,
    panels: int = 1,
    ncols: int = 1,
    panel_height: float = 2.6,
    sharex: bool = True,
):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nrows = math.ceil(panels / ncols)
    lines = textwrap.wrap(footer, 150)
    heading = textwrap.wrap(f"{SIMULATED} — {title}" if simulated else title, 90)  # 90 characters fit 9 in at 12 pt
    head = 0.55 + 0.2 * (len(heading) - 1)
    height = panel_height * nrows + 0.85 + head + 0.13 * len(lines)
    fig, axes = plt.subplots(nrows, ncols, figsize=(9, height), squeeze=False, sharex=sharex)
    fig.suptitle("\n".join(heading), fontsize=12, parse_math=False)
    fig.text(0.01, 0.01, "\n".join(lines), fontsize=7, va="bottom", ha="left", color="#333333", parse_math=False)
    fig.subplots_adjust(bottom=(0.45 + 0.13 * len(lines)) / height, top=1 - head / height, hspace=0.3)
    flat = [ax for row in axes for ax in row]
    for ax in flat[panels:]:
        fig.delaxes(ax)
    return fig, flat[:panels]


def _dated(interventions: Sequence[object], first: Any, last: Any) -> list[tuple[int, pd.Timestamp, str]]:
    """The interventions that fall between ``first`` and ``last`` as (number, date, name).

    An intervention is a date, a ``(date, name)`` pair or an object with ``date`` and ``name``
    (:class:`borderscape.analyses.study.Intervention`).  Its number is its place in the study's list
    (from 1), so one number names one event in every figure and in the briefing's key."""
    out = []
    for i, item in enumerate(interventions, 1):
        if isinstance(item, tuple):
            date, name = item
        else:
            date, name = getattr(item, "date", item), getattr(item, "name", "")
        when = pd.Timestamp(date)
        if pd.notna(first) and pd.notna(last) and pd.Timestamp(first) <= when <= pd.Timestamp(last):
            out.append((i, when, str(name)))
    return out


def _key(shown: Sequence[tuple[int, pd.Timestamp, str]]) -> str:
    """Footer text naming the numbered dashed lines (empty when none has a name)."""
    if not any(name for *_, name in shown):
        return ""
    return " Dashed lines: " + "; ".join(f"{i} {name} ({when:%Y-%m-%d})" for i, when, name in shown) + "."


def _interventions(ax, shown: Sequence[tuple[int, pd.Timestamp, str]], *, numbered: bool = True) -> None:
    """Dashed vertical lines at the interventions, numbered at the top of the panel (the key is in the
    footer; lines closer than two months share one label)."""
    named = any(name for *_, name in shown)
    labels: list[tuple[pd.Timestamp, list[str]]] = []
    for i, when, _ in shown:
        ax.axvline(when, color="#777777", lw=0.8, ls="--")
        if labels and (when - labels[-1][0]).days < 62:
            labels[-1][1].append(str(i))
        else:
            labels.append((when, [str(i)]))
    if named and numbered:
        for when, numbers in labels:
            ax.annotate(
                ", ".join(numbers),
                (when, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
                color="#444444",
            )


def hardship_over_time(
    table: pd.DataFrame, *, footer: str, simulated: bool = False, interventions: Sequence[object] = ()
):
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
    years = pd.to_datetime(table["year"].astype(str) + "-07-01")
    shown = _dated(interventions, years.min() - pd.DateOffset(months=6), years.max() + pd.DateOffset(months=6))
    fig, axes = _figure(
        "Hardship at recovered remains, by year (median and interquartile range)",
        footer + _key(shown),
        simulated=simulated,
        panels=max(1, len(measures)),
    )
    # one panel per measure: the palette repeats (each panel has one colour), a measure is never dropped
    for ax, measure, colour in zip(axes, measures, itertools.cycle(PALETTE)):
        part = table[table["measure"] == measure].sort_values("year")
        unit, scale = (part["unit"].iloc[0], 1.0) if part["unit"].iloc[0] != "m" else ("km", 1e-3)
        x = pd.to_datetime(part["year"].astype(str) + "-07-01")
        ax.fill_between(x, scale * part["q25"], scale * part["q75"], color=colour, alpha=0.25, lw=0)
        ax.plot(x, scale * part["median"], color=colour, marker="o", ms=3)
        ax.set_ylabel("\n".join(textwrap.wrap(f"{measure} ({unit})", 28)), fontsize=8, parse_math=False)
        _interventions(ax, shown, numbered=ax is axes[0])
    return fig


def mortality_over_time(
    table: pd.DataFrame, *, footer: str, simulated: bool = False, interventions: Sequence[object] = ()
):
    """Recovered remains per 10,000 encounters by month.

    rate = 10,000 × deaths / encounters, from a table with ``month``, ``deaths`` and
    ``encounters`` columns (months without encounters left out).
    """
    table = table[pd.to_numeric(table["encounters"], errors="coerce") > 0]
    table = table.assign(month=pd.to_datetime(table["month"]))
    shown = _dated(interventions, table["month"].min(), table["month"].max())
    fig, (ax,) = _figure(
        "Recovered remains per 10,000 Border Patrol encounters, by month", footer + _key(shown), simulated=simulated
    )
    ax.plot(
        table["month"],
        1e4 * table["deaths"].astype(float) / table["encounters"].astype(float),
        color=PALETTE[1],
        lw=1.2,
    )
    ax.set_ylabel("remains per 10,000 encounters", fontsize=8)
    _interventions(ax, shown)
    return fig


def mortality_per_crossing(
    table: pd.DataFrame, *, footer: str, simulated: bool = False, interventions: Sequence[object] = ()
):
    """Dead and missing per 1,000 attempted crossings by route and month, with exact 95 % intervals.

    ``table`` has ``route``, ``month``, ``rate``, ``ci_low`` and ``ci_high`` (rates as shares).
    """
    routes = list(dict.fromkeys(table["route"]))
    months = pd.to_datetime(table["month"])
    shown = _dated(interventions, months.min(), months.max())
    fig, axes = _figure(
        "Dead and missing per 1,000 attempted sea crossings, by month",
        footer + _key(shown),
        simulated=simulated,
        panels=len(routes),
    )
    for ax, route, colour in zip(axes, routes, PALETTE):
        part = (
            table[table["route"] == route]
            .assign(month=lambda t: pd.to_datetime(t["month"]))
            .set_index("month")
            .sort_index()[["rate", "ci_low", "ci_high"]]
            .astype(float)
            .asfreq("MS")
            .reset_index()
        )  # months without a rate become gaps, not interpolated lines
        ax.fill_between(part["month"], 1e3 * part["ci_low"], 1e3 * part["ci_high"], color=colour, alpha=0.25, lw=0)
        ax.plot(part["month"], 1e3 * part["rate"], color=colour, lw=1.2)
        ax.set_ylabel(f"{route}\nper 1,000", fontsize=8, parse_math=False)
        ax.set_ylim(bottom=0)
        _interventions(ax, shown, numbered=ax is axes[0])
    return fig


def pullback_share(table: pd.DataFrame, *, footer: str, simulated: bool = False, interventions: Sequence[object] = ()):
    """Share of attempted central-Mediterranean crossings ended by the Libyan coast guard, by month, with
    exact 95 % intervals, above the boats Frontex records as first detected by aircraft (M6).

    ``table`` is M6's ``m6_monthly``: ``month``, ``pullback_share``, ``ci_low``, ``ci_high`` (shares) and
    ``aerial_detections`` (boats), optionally ``used`` (False: a month M6 leaves out, drawn grey and
    named in the footer with its ``left_out`` reason).  Months without a share are gaps, not
    interpolated lines.
    """
    frame = table.assign(month=lambda t: pd.to_datetime(t["month"].astype(str))).set_index("month").sort_index()
    used = frame["used"].astype("boolean").fillna(False) if "used" in frame else pd.Series(True, index=frame.index)
    part = (
        frame[["pullback_share", "ci_low", "ci_high", "aerial_detections"]]
        .astype(float)
        .dropna(how="all", subset=["pullback_share", "aerial_detections"])
        .asfreq("MS")
    )
    used = used.reindex(part.index).fillna(False).astype(bool)
    part = part.reset_index()
    shown = _dated(interventions, part["month"].min(), part["month"].max()) if len(part) else []
    dropped = frame.index[~frame.index.isin(used[used].index) & frame["pullback_share"].notna()]
    why = sorted(set(frame.loc[dropped, "left_out"].dropna().astype(str)) - {""}) if "left_out" in frame else []
    note = (
        f" Grey: {len(dropped)} month(s) the analysis leaves out ({'; '.join(why) or 'not used'})."
        if len(dropped)
        else ""
    )
    fig, (top, bottom) = _figure(
        "Crossings ended by the Libyan coast guard (share, by month) and boats first seen from the air",
        footer + note + _key(shown),
        simulated=simulated,
        panels=2,
    )
    share, low, high = (100 * part[c] for c in ("pullback_share", "ci_low", "ci_high"))
    kept = used.to_numpy()
    top.fill_between(part["month"], low.where(kept), high.where(kept), color=PALETTE[0], alpha=0.25, lw=0)
    top.plot(part["month"], share.where(kept), color=PALETTE[0], lw=1.2)
    if not kept.all():
        top.plot(part["month"], share.where(~kept), color="#999999", lw=1.0, ls=":")
    top.set_ylabel("returned to Libya\n(% of attempts)", fontsize=8, parse_math=False)
    top.set_ylim(bottom=0)
    bottom.bar(part["month"], part["aerial_detections"].fillna(0.0), width=25, color=PALETTE[1])
    bottom.set_ylabel("boats first seen\nfrom the air (Frontex)", fontsize=8, parse_math=False)
    _interventions(top, shown)
    _interventions(bottom, shown, numbered=False)
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


def envelope_chart(table: pd.DataFrame, *, statistic: str, footer: str, simulated: bool = False):
    """A K/L-function's deviation from its null model by radius, with the Monte Carlo envelope.

    Plots ``observed − centre`` (line and points) and the band ``low − centre`` …
    ``high − centre``: the null's acceptance region (the envelope of the simulated patterns,
    Baddeley et al. 2014, *Ecological Monographs* 84(3)).  Where the observed curve leaves the
    band the test rejects at that radius.

    Parameters
    ----------
    table
        ``r`` (metres), ``observed``, ``centre``, ``low``, ``high`` (the statistic's units; for
        L, metres); ``high`` may be NaN for a one-sided envelope.
    statistic
        Plain name of the function, e.g. ``cross-L(remains, sensors)``.
    footer, simulated
        As for the other figures.
    """
    table = table.sort_values("r")
    r_km = table["r"].to_numpy(dtype=float) / 1e3
    dev = (table["observed"] - table["centre"]).to_numpy(dtype=float)
    low = (table["low"] - table["centre"]).to_numpy(dtype=float)
    high = (table["high"] - table["centre"]).to_numpy(dtype=float)
    fig, (ax,) = _figure(
        f"{statistic}: observed minus expected, with the envelope of the null model", footer, simulated=simulated
    )
    ax.fill_between(
        r_km,
        low,
        np.where(np.isfinite(high), high, np.nanmax(np.r_[dev, low, 0.0])),
        color=PALETTE[5],
        alpha=0.35,
        lw=0,
        label="envelope under the null",
    )
    ax.plot(r_km, dev, color=PALETTE[1], marker="o", ms=3, label="observed")
    ax.axhline(0.0, color="#777777", lw=0.8)
    ax.set_xlabel("radius r (km)", fontsize=8)
    ax.set_ylabel("observed − expected (m)", fontsize=8)
    ax.legend(fontsize=7, loc="best")
    return fig


def _draw_lines(ax, geoms: gpd.GeoSeries, **style) -> None:
    """Lines (and polygon boundaries) as one LineCollection (geopandas' plot is slower)."""
    import shapely
    from matplotlib.collections import LineCollection

    arr = np.asarray(geoms.values)
    polygons = np.isin(shapely.get_type_id(arr), (3, 6))  # Polygon, MultiPolygon: draw their rings
    arr = np.where(polygons, shapely.boundary(arr), arr)
    parts = shapely.get_parts(arr)
    lines = [shapely.get_coordinates(g) for g in parts if g.geom_type in ("LineString", "LinearRing")]
    ax.add_collection(LineCollection(lines, **style))


def _draw_polygons(ax, geoms: gpd.GeoSeries, **style) -> None:
    """Polygons (exterior rings; holes are not drawn) as one PolyCollection."""
    import shapely
    from matplotlib.collections import PolyCollection

    parts = shapely.get_parts(geoms.values)
    rings = [shapely.get_coordinates(shapely.get_exterior_ring(g)) for g in parts if g.geom_type == "Polygon"]
    ax.add_collection(PolyCollection(rings, **style))


def _bare(ax) -> None:
    """A map panel: no ticks and no axis labels."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")


def hotspots_by_period(
    cells: gpd.GeoDataFrame,
    *,
    footer: str,
    simulated: bool = False,
    context: gpd.GeoSeries | None = None,
    what: str = "remains",
    crs: Any = None,
):
    """Small multiples of Gi* hot and cold spots: one map per period.

    Parameters
    ----------
    cells
        One row per cell and period (``h5_cells`` / ``m5_cells`` of the battery): ``period``
        (label), ``hot`` (+1 hot, −1 cold, 0 neither, after the FDR correction) and the cell
        polygon, in a projected CRS or EPSG:4326 (then drawn in ``crs``).
    crs
        The projected CRS to draw geographic cells in: a run passes its study's working CRS
        (:func:`borderscape.analyses.study.working_crs`); None: the UTM zone of the cells' centre,
        from the located cells only.
    footer, simulated
        As for the other figures.
    context
        Lines drawn thinly under every panel (coastline, border), any CRS.
    what
        What was counted, for the title (``remains``, ``incidents``).

    Notes
    -----
    Gi* (Ord & Getis 1995) marks cells whose neighbourhood holds more (hot) or fewer (cold)
    records than the study area on average; a hot spot describes where records were found in
    a past period, not where anyone will cross.
    """
    from borderscape.geo.crs import local_crs
    from borderscape.geo.errors import CRSError, InputError

    frame = cells
    if frame.crs is None:
        raise CRSError("the hot-spot cells have no CRS", remedy="set the CRS of the cells' coordinates")
    located = ~(frame.geometry.isna() | frame.geometry.is_empty).to_numpy()
    frame = frame[located]
    if not len(frame):
        raise InputError("no hot-spot cell has a geometry", remedy="check the h5_cells / m5_cells table")
    if frame.crs.is_geographic:
        frame = frame.to_crs(local_crs(frame) if crs is None else crs)
    periods = list(dict.fromkeys(frame["period"]))
    ncols = min(3, len(periods))
    xmin, ymin, xmax, ymax = frame.total_bounds
    pad = max(0.04 * max(xmax - xmin, ymax - ymin), 1.0)  # at least a metre: one cell still has an extent
    xmin, ymin, xmax, ymax = xmin - pad, ymin - pad, xmax + pad, ymax + pad
    aspect = _span(ymin, ymax) / _span(xmin, xmax)
    fig, axes = _figure(
        f"Gi* hot and cold spots of {what}, by period (Benjamini–Hochberg FDR)",
        footer,
        simulated=simulated,
        panels=len(periods),
        ncols=ncols,
        sharex=False,
        panel_height=min(4.0, max(1.6, 2.9 * aspect)),
    )
    lines = None
    if context is not None and len(context):
        lines = context.to_crs(frame.crs).clip((xmin, ymin, xmax, ymax)).simplify((xmax - xmin) / 400)
        lines = lines[lines.length > (xmax - xmin) / 60]  # islets would not show at this scale
    for ax, period in zip(axes, periods):
        part = frame[frame["period"] == period]
        if lines is not None and len(lines):
            _draw_lines(ax, lines, colors="#888888", linewidths=0.4)
        hot, cold = part[part["hot"] == 1], part[part["hot"] == -1]
        if len(hot):
            _draw_polygons(ax, hot.geometry, facecolors=PALETTE[1], linewidths=0)
        if len(cold):
            _draw_polygons(ax, cold.geometry, facecolors=PALETTE[0], linewidths=0)
        ax.set_xlim(xmin, xmax)
        ax.set_ylim(ymin, ymax)
        ax.set_aspect("equal")
        _bare(ax)
        ax.set_title(f"{period}\n{len(hot)} hot, {len(cold)} cold of {len(part)} cells", fontsize=7, parse_math=False)
    from matplotlib.patches import Patch

    fig.legend(
        handles=[Patch(color=PALETTE[1], label="hot spot"), Patch(color=PALETTE[0], label="cold spot")],
        loc="upper right",
        fontsize=7,
        frameon=False,
    )
    return fig


#: How :func:`study_area_map` draws each role: (kind, colour, label).
MAP_STYLE: dict[str, tuple[str, str, str]] = {
    "operational_areas": ("area", PALETTE[5], "operational areas (approximate)"),
    "sar_regions": ("outline", PALETTE[3], "search-and-rescue regions"),
    "coastline": ("line", "#555555", "coastline"),
    "border": ("line", "#000000", "border"),
    "roads": ("line", "#aaaaaa", "roads"),
    "water_stations": ("point", PALETTE[2], "water stations"),
    "towers": ("sensor", PALETTE[0], "surveillance towers"),
    "coastal_stations": ("sensor", PALETTE[0], "coastal stations"),
}


def cell_counts(points: gpd.GeoSeries, cell_m: float, origin: tuple[float, float]) -> pd.DataFrame:
    """Points counted per square cell of side ``cell_m`` metres (projected CRS).

    Cell (i, j) holds the points with ``floor((x − x0) / cell_m) = i`` and
    ``floor((y − y0) / cell_m) = j``; returns ``x``, ``y`` (cell centres, metres) and ``count``
    for the non-empty cells.
    """
    xy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
    if not len(xy):
        return pd.DataFrame({"x": [], "y": [], "count": []})
    ij = np.floor((xy - np.asarray(origin, dtype=float)) / cell_m).astype(np.int64)
    keys, counts = np.unique(ij, axis=0, return_counts=True)
    return pd.DataFrame(
        {"x": origin[0] + (keys[:, 0] + 0.5) * cell_m, "y": origin[1] + (keys[:, 1] + 0.5) * cell_m, "count": counts}
    )


def study_area_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    box: gpd.GeoSeries,
    title: str,
    footer: str,
    cell_m: float,
    records: gpd.GeoSeries | None = None,
    what: str = "recovered remains",
    coverage: tuple[np.ndarray, tuple[float, float, float, float]] | None = None,
    simulated: bool = False,
    places: Sequence[tuple[str, float, float]] = (),
):
    """A map of the study area: context, sensors, coverage, records counted per cell and towns.

    Parameters
    ----------
    layers
        Context layers by role (see :data:`MAP_STYLE`; other roles are ignored), any CRS.
    box
        The study area as one polygon; its CRS (projected, metres) is the map's.
    title, footer, simulated
        As for the other figures.
    cell_m
        Side of the counting cells (metres).  Records are drawn as circles of area
        proportional to the count of their cell: no single record is shown.
    records
        Points (remains, incidents); those outside ``box`` are left out.
    what
        What the records are, for the legend.
    coverage
        A boolean array (True = covered) and its extent (left, right, bottom, top, metres).
    places
        Towns to label, ``(name, x, y)`` in the map's CRS, most important first: a dot and the name
        (SVG group id ``place-<i>``, so the briefing keeps names untranslated); a town whose label
        would crowd one already drawn (within a tenth of the map's width) is left out.
    """
    crs = box.crs
    clip = box.iloc[0]
    left, bottom, right, top = clip.bounds
    aspect = _span(bottom, top) / _span(left, right)
    fig, (ax,) = _figure(title, footer, simulated=simulated, panel_height=min(7.0, max(2.5, 5.7 * aspect)))
    fig.subplots_adjust(left=0.02, right=0.66)
    handles = []
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if coverage is not None and coverage[0].any():
        from matplotlib.colors import ListedColormap

        ax.imshow(
            np.where(coverage[0], 1.0, np.nan),
            extent=coverage[1],
            cmap=ListedColormap([PALETTE[4]]),
            alpha=0.35,
            interpolation="nearest",
            zorder=1,
        )
        handles.append(Patch(color=PALETTE[4], alpha=0.35, label="coverage of active sensors (latest epoch)"))
    for role, (kind, colour, label) in MAP_STYLE.items():
        frame = layers.get(role)
        if frame is None or not len(frame):
            continue
        geoms = frame.geometry.to_crs(crs).clip(clip)
        geoms = geoms[~(geoms.is_empty | geoms.isna())]
        if not len(geoms):
            continue
        if kind == "area":
            _draw_polygons(ax, geoms, facecolors=colour, alpha=0.25, edgecolors=colour, linewidths=0.6, zorder=2)
            handles.append(Patch(facecolor=colour, alpha=0.4, edgecolor=colour, label=label))
        elif kind == "outline":
            _draw_lines(ax, geoms, colors=colour, linewidths=0.9, linestyles="--", zorder=3)
            handles.append(Line2D([], [], color=colour, ls="--", label=label))
        elif kind == "line":
            geoms = geoms.simplify((right - left) / 1500)  # about a third of a point at print size
            _draw_lines(
                ax,
                geoms[geoms.length > (right - left) / 300],
                colors=colour,
                linewidths=0.5 if role != "border" else 1.4,
                zorder=3,
            )
            handles.append(Line2D([], [], color=colour, label=label))
        else:
            marker, size = ("^", 22) if kind == "sensor" else ("s", 10)
            pts = geoms[geoms.geom_type == "Point"]  # a point layer given as lines or areas: those are not drawn
            if not len(pts):
                continue
            ax.scatter(pts.x, pts.y, marker=marker, s=size, color=colour, zorder=5, lw=0)
            handles.append(Line2D([], [], marker=marker, color=colour, ls="", label=label))
    if records is not None and len(records):
        pts = records.to_crs(crs)
        pts = pts[pts.within(clip)]
        counts = cell_counts(pts, cell_m, (left, bottom))
        if len(counts):
            biggest = float(counts["count"].max())
            ax.scatter(
                counts["x"], counts["y"], s=120 * counts["count"] / biggest, color=PALETTE[1], alpha=0.6, lw=0, zorder=4
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    color=PALETTE[1],
                    alpha=0.6,
                    ls="",
                    label=textwrap.fill(
                        f"{what}: {len(pts):,}, counted per {cell_m / 1e3:g} km "
                        f"cell (largest circle: {int(biggest):,})",
                        34,
                    ),
                )
            )
    drawn: list[tuple[float, float]] = []
    spacing = (right - left) / 10
    for name, x, y in places:
        if not (left <= x <= right and bottom <= y <= top) or any(
            abs(x - a) < spacing and abs(y - b) < spacing / 3 for a, b in drawn
        ):
            continue
        drawn.append((x, y))
        ax.plot([x], [y], "o", ms=2.2, color="#333333", zorder=6)
        label = ax.text(
            x + (right - left) / 150,
            y,
            name,
            ha="left",
            va="center",
            fontsize=6.5,
            color="#262626",
            zorder=6,
            clip_on=True,
            bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "alpha": 0.65, "linewidth": 0},
        )
        label.set_gid(f"place-{len(drawn)}")
    if drawn:
        handles.append(Line2D([], [], marker="o", color="#333333", ls="", ms=3, label="town or city (GeoNames)"))
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.set_aspect("equal")
    _bare(ax)
    bar = 10 ** math.floor(math.log10((right - left) / 4))
    x0, y0 = left + 0.03 * (right - left), bottom + 0.04 * (top - bottom)
    ax.plot([x0, x0 + bar], [y0, y0], color="#000000", lw=2, zorder=6)
    ax.text(
        x0 + bar / 2, y0 + 0.015 * (top - bottom), f"{bar / 1e3:g} km", ha="center", va="bottom", fontsize=7, zorder=6
    )
    if handles:
        ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig
