"""Static exports of the interactive map for print and social media (``borderscape map … --format
png|svg|pdf``): the same layers, colours, basemap and place names as :mod:`borderscape.webmap`,
drawn with matplotlib in Web Mercator (the projection of the interactive map), with a title, a
subtitle, a legend with the size key of the circles, a scale bar and a source line.

Records are aggregated as on the screen: the points of each layer are counted per square
cell of 1/14 of the map's width and drawn as one circle per cell whose diameter grows with
the logarithm of the number of people (the same rule as the interactive map's clusters,
:func:`diameter_px`), labelled with that number.  No single record is shown.
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from borderscape import webmap
from borderscape.errors import InputError
from borderscape.figures import SIMULATED
from borderscape.i18n import N_, Translator

FORMATS = ("png", "svg", "pdf")
#: Mean radius of the Earth used by Web Mercator (EPSG:3857), metres.
R = 6378137.0
#: Cells per map width used to aggregate points (about 50 pixels each, as the interactive map's clusters).
CELLS_ACROSS = 14
#: CSS pixels per inch, to relate the figure's size to the interactive map's zoom levels.
PX_PER_INCH = 96.0
#: The legend's line before the size key.
CIRCLES = N_("Numbers in circles: {units} nearby")


def diameter_px(n: float) -> float:
    """Diameter of a cluster circle of ``n`` people, CSS pixels: ``18 + 7 log10(n)`` (as map.js)."""
    return 18.0 + 7.0 * math.log10(max(n, 1.0))


def mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator metres: ``x = R λ``, ``y = R ln tan(π/4 + φ/2)`` (Snyder 1987, eq. 7-1, 7-2)."""
    lat = np.clip(np.asarray(lat, float), -85.0511, 85.0511)
    return R * np.radians(np.asarray(lon, float)), R * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))


def _project(geoms: Any) -> Any:
    return shapely.transform(np.asarray(geoms), lambda c: np.column_stack(mercator(c[:, 0], c[:, 1])) if len(c) else c)


def nice_length(metres: float) -> float:
    """The largest of 1, 2 or 5 × 10^k not above ``metres``."""
    k = 10 ** math.floor(math.log10(metres))
    return max(m * k for m in (1, 2, 5) if m * k <= metres)


def scale_bar(width_m: float, lat: float) -> tuple[float, float]:
    """A scale bar for a Web Mercator map ``width_m`` (projected metres) wide, true at ``lat`` (degrees).

    Web Mercator stretches lengths by ``1 / cos φ``, so a true length ``d`` is ``d / cos φ``
    projected metres long (Snyder 1987, eq. 7-3, on the sphere).

    Returns
    -------
    metres, projected
        The bar's true length (about a fifth of the map: :func:`nice_length`) and its length on
        the map, projected metres.
    """
    c = math.cos(math.radians(lat))
    metres = nice_length(width_m * c / 5)
    return metres, metres / c


def static_map(
    gathered: webmap.StudyMap,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    credit: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    width_in: float = 10.0,
    lang: str = "en",
) -> Any:
    """A matplotlib figure of the map of ``gathered`` (the layers shown when the interactive map opens).

    Parameters
    ----------
    gathered
        What to draw (:class:`borderscape.webmap.StudyMap`).
    title, subtitle, credit
        As for :func:`borderscape.webmap.interactive_map`.
    data_dir
        Where the GSHHG coastlines and borders are looked for.
    width_in
        Width of the figure, inches.
    lang
        The language of its texts, numbers and country names, as the interactive map's.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from borderscape import basemap as basemap_module

    tr = Translator(lang)
    _ = tr.gettext
    layers = [ly for ly in webmap._ordered(gathered.layers) if ly.visible]
    west, south, east, north = gathered.bbox if gathered.bbox is not None else webmap._bounds(gathered.layers)
    (x0, x1), (y0, y1) = mercator(np.array([west, east]), np.array([south, north]))
    margin = 0.04 * max(x1 - x0, y1 - y0)
    x0, x1, y0, y1 = x0 - margin, x1 + margin, y0 - margin, y1 + margin
    map_w = width_in * 0.68
    map_h = min(9.0, max(3.0, map_w * (y1 - y0) / (x1 - x0)))
    # the box, widened to the axes' aspect
    if (y1 - y0) / (x1 - x0) < map_h / map_w:
        pad = ((x1 - x0) * map_h / map_w - (y1 - y0)) / 2
        y0, y1 = y0 - pad, y1 + pad
    else:
        pad = ((y1 - y0) * map_w / map_h - (x1 - x0)) / 2
        x0, x1 = x0 - pad, x1 + pad
    heading = title if title is not None else tr.text(gathered.title)
    if gathered.simulated:
        heading = f"{_(SIMULATED)} — {heading}"
    if subtitle is None:
        subtitle = webmap.default_subtitle(gathered.layers, tr)
    head_lines = textwrap.wrap(heading, 80)
    sub_lines = textwrap.wrap(subtitle or "", 120)
    head_in = 0.3 + 0.25 * len(head_lines) + 0.18 * len(sub_lines)

    base = None
    lon_pad, lat_pad = (east - west) * 0.25, (north - south) * 0.25
    if not gathered.simulated:
        borders = [
            g for ly in gathered.layers if ly.name == "Border" for g in ly.frame.geometry.values if g is not None
        ]
        base = basemap_module.basemap(
            (west - lon_pad, south - lat_pad, east + lon_pad, north + lat_pad),
            data_dir,
            border_lines=borders,
            tolerance=max(east - west, north - south) / 1500,
            label_box=(west, south, east, north),
            lang=tr.locale,
        )
    sources, _ids = webmap._sources_with_layers(gathered.sources, gathered.layers)
    if base is not None:
        sources += [s for s in base.sources if s["id"] not in {x.get("id") for x in sources}]
    drawn = {ly.source for ly in gathered.layers} | {"gshhg", "geonames"}
    publishers = []
    for s in sources:
        if s.get("id") in drawn:
            name = str(s.get("publisher", "")).split(" (", 1)[0]
            licence = tr.text(str(s.get("licence", "")))
            entry = f"{name} ({licence})" if licence and len(licence) < 40 else name
            if entry not in publishers:
                publishers.append(entry)
    sources_word, map_word = _("Sources:"), _("Map:")
    footer = f"{sources_word} {'; '.join(publishers)}." + (f" {map_word} {credit}." if credit else "")
    footer += " " + _(webmap.MAP_CAVEAT)
    foot_lines = textwrap.wrap(footer, 150)
    foot_in = 0.15 + 0.14 * len(foot_lines)
    height = head_in + map_h + foot_in + 0.2
    fig = plt.figure(figsize=(width_in, height))
    fig.text(0.015, 1 - 0.22 / height, "\n".join(head_lines), fontsize=13, weight="bold", va="top", parse_math=False)
    if sub_lines:
        fig.text(
            0.015,
            1 - (0.3 + 0.25 * len(head_lines)) / height,
            "\n".join(sub_lines),
            fontsize=9,
            color="#3d3d3d",
            va="top",
            parse_math=False,
        )
    fig.text(0.015, 0.08 / height, "\n".join(foot_lines), fontsize=7.5, color="#333333", va="bottom", parse_math=False)
    ax = fig.add_axes((0.015, (foot_in + 0.1) / height, map_w / width_in, map_h / height))
    ax.set_facecolor("#f4f3ef")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xticks([])
    ax.set_yticks([])
    handles: list[Any] = []

    def lines_of(geoms: Any) -> list[np.ndarray]:
        geoms = _project(geoms)
        arr = np.where(np.isin(shapely.get_type_id(geoms), (3, 6)), shapely.boundary(geoms), geoms)
        return [shapely.get_coordinates(g) for g in shapely.get_parts(arr) if shapely.get_num_coordinates(g) >= 2]

    if base is not None:
        ax.add_collection(LineCollection(lines_of(base.coastlines.values), colors="#7f8c96", linewidths=0.6, zorder=1))
        ax.add_collection(
            LineCollection(lines_of(base.borders.values), colors="#6b6b6b", linewidths=0.8, linestyles="--", zorder=1)
        )
    cell = (x1 - x0) / CELLS_ACROSS
    for ly in layers:
        colour = webmap._colour(ly.colour)
        geoms = ly.frame.geometry.values
        if ly.kind == "areas":
            parts = shapely.get_parts(_project(geoms))
            rings = [shapely.get_coordinates(shapely.get_exterior_ring(g)) for g in parts if g.geom_type == "Polygon"]
            ax.add_collection(
                PolyCollection(rings, facecolors=colour, alpha=max(ly.fill, 0.001), edgecolors="none", zorder=2)
            )
            ax.add_collection(PolyCollection(rings, facecolors="none", edgecolors=colour, linewidths=0.8, zorder=2))
            handles.append(Patch(facecolor=colour, alpha=0.6, edgecolor=colour, label=webmap.shown_name(ly, tr)))
        elif ly.kind == "lines":
            width = webmap._line_weight(ly) * 0.5
            ax.add_collection(LineCollection(lines_of(geoms), colors=colour, linewidths=width, zorder=3))
            handles.append(Line2D([], [], color=colour, lw=width * 1.5, label=webmap.shown_name(ly, tr)))
        else:
            pts = shapely.get_coordinates(
                shapely.centroid(geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))])
            )
            if not len(pts):
                continue
            x, y = mercator(pts[:, 0], pts[:, 1])
            marker = {"circle": "o", "square": "s", "diamond": "D"}[webmap._shape(ly)]
            if not ly.cluster:  # a few sites: each its own small marker, as the interactive map shows them
                ax.scatter(x, y, s=22, marker=marker, color=colour, edgecolors="#1a1a1a", lw=0.5, zorder=5)
                handles.append(
                    Line2D(
                        [], [], marker=marker, color=colour, mec="#1a1a1a", ls="", ms=5, label=webmap.shown_name(ly, tr)
                    )
                )
                continue
            weights = webmap._weights(ly)
            w = np.ones(len(x)) if weights is None else np.asarray(weights, float)[: len(x)]
            ij = np.floor((np.column_stack([x, y]) - [x0, y0]) / cell).astype(np.int64)
            frame = pd.DataFrame({"i": ij[:, 0], "j": ij[:, 1], "x": x, "y": y, "w": w})
            agg = frame.groupby(["i", "j"]).agg(x=("x", "mean"), y=("y", "mean"), n=("w", "sum")).reset_index()
            sizes = (np.array([diameter_px(n) for n in agg["n"]]) * 0.75) ** 2  # points²
            ax.scatter(agg["x"], agg["y"], s=sizes, marker=marker, color=colour, edgecolors="#1a1a1a", lw=0.6, zorder=5)
            for _cell, r in agg.iterrows():
                ax.text(
                    r["x"],
                    r["y"],
                    tr.integer(r["n"]),
                    ha="center",
                    va="center",
                    fontsize=5.5,
                    weight="bold",
                    color=webmap.text_colour(colour),
                    zorder=6,
                    clip_on=True,
                )
            handles.append(
                Line2D([], [], marker=marker, color=colour, mec="#1a1a1a", ls="", ms=7, label=webmap.shown_name(ly, tr))
            )
    # a pale box behind labels (a stroked halo would turn the text into outlines in SVG and PDF)
    halo = {"boxstyle": "square,pad=0.1", "facecolor": "white", "alpha": 0.65, "linewidth": 0}
    if base is not None:
        world_px = width_in * 0.68 * PX_PER_INCH * (2 * math.pi * R) / (x1 - x0)
        zoom = math.log2(world_px / 256.0)
        shown = [p for p in base.places if p.min_zoom <= zoom]
        for p in shown:
            px, py = (float(v[0]) for v in mercator(np.array([p.lon]), np.array([p.lat])))
            if not (x0 <= px <= x1 and y0 <= py <= y1):
                continue
            if p.kind == "country":
                ax.text(px, py, p.name, ha="center", va="center", fontsize=9, color="#595959", weight="bold",
                        bbox=halo, zorder=4, clip_on=True)  # fmt: skip
            else:
                ax.plot([px], [py], "o", ms=2.5, color="#333333", zorder=4)
                ax.text(px + cell * 0.15, py, p.name, ha="left", va="center", fontsize=6.5, color="#262626",
                        bbox=halo, zorder=4, clip_on=True)  # fmt: skip
        handles.append(Line2D([], [], marker="o", color="#333333", ls="", ms=3, label=_("Town or city (GeoNames)")))
    # scale bar: true length at the middle latitude (Web Mercator stretches by 1 / cos φ)
    metres, bar = scale_bar(x1 - x0, (south + north) / 2)
    bx, by = x0 + 0.03 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    ax.plot([bx, bx + bar], [by, by], color="#000000", lw=2.5, zorder=7, solid_capstyle="butt")
    ax.text(bx + bar / 2, by + 0.012 * (y1 - y0), f"{tr.number(metres / 1e3)} km", ha="center", va="bottom", fontsize=7,
            bbox=halo, zorder=7)  # fmt: skip
    if any(ly.kind == "points" and ly.cluster for ly in layers):
        for n in webmap.SIZE_KEY[1:]:
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    color="#d9d9d9",
                    mec="#1a1a1a",
                    ls="",
                    ms=diameter_px(n) * 0.75,
                    label=tr.integer(n),
                )
            )
        units = sorted({_(webmap._unit(ly)) for ly in layers if ly.kind == "points" and ly.cluster})
        handles.insert(
            len(handles) - 3,
            Line2D([], [], ls="", label=_(CIRCLES).replace("{units}", " / ".join(units))),
        )
    ax.legend(
        handles=handles,
        fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        frameon=False,
        labelspacing=1.4,
        handleheight=2.0,
        borderaxespad=0,
    )
    for text in ax.get_legend().get_texts():
        text.set_text(textwrap.fill(text.get_text(), 34))
    return fig


def write_static_map(
    out: str | os.PathLike[str],
    gathered: webmap.StudyMap,
    *,
    fmt: str | None = None,
    dpi: int = 200,
    **options: Any,
) -> Path:
    """Write the static map of ``gathered`` (:func:`static_map`) as PNG, SVG or PDF.

    Parameters
    ----------
    out
        The file (written atomically).
    fmt
        ``png``, ``svg`` or ``pdf`` (default: the suffix of ``out``).
    dpi
        Resolution of a PNG, dots per inch.
    **options
        ``title``, ``subtitle``, ``credit``, ``data_dir``, ``lang`` (:func:`static_map`).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    InputError
        An unknown format.
    """
    import matplotlib.pyplot as plt
    from matplotlib import rc_context

    from borderscape.geo.files import atomic_path

    out = Path(out)
    fmt = (fmt or out.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise InputError(f"unknown map format {fmt!r}", remedy=f"use one of {', '.join(FORMATS)}")
    fig = static_map(gathered, **options)
    try:
        with rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}), atomic_path(out) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=_metadata(fmt))
    finally:
        plt.close(fig)
    return out


def _metadata(fmt: str) -> dict[str, Any] | None:
    """No creation date in the file, so that the same map gives the same bytes."""
    if fmt == "png":
        return {"Software": None}
    if fmt == "pdf":
        return {"CreationDate": None, "ModDate": None}
    if fmt == "svg":
        return {"Date": None}
    return None


__all__: Sequence[str] = ("static_map", "write_static_map", "diameter_px", "mercator", "nice_length")
