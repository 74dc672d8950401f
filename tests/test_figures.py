"""The print figures of borderscape.figures, on small synthetic frames with known content."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from PIL import Image

from borderscape import figures
from borderscape.output import save_figure

HOSTILE = "<img src=x onerror=alert(1)> & $x^2$"
CRS = "EPSG:32633"


def _saved(fig, folder, stem):
    paths = save_figure(fig, folder, stem)
    assert [p.name for p in paths] == [f"{stem}.png", f"{stem}.svg"]
    png, svg = paths
    with Image.open(png) as im:
        dpi = im.info["dpi"]
    assert dpi[0] == pytest.approx(300, abs=0.01) and dpi[1] == pytest.approx(300, abs=0.01)
    text = svg.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    return text


def _cells(periods: list[str], hot: dict[str, list[int]]) -> gpd.GeoDataFrame:
    """A 5 × 4 grid of 10 km cells per period; ``hot[period]`` lists (+1/−1 per cell index)."""
    boxes = [
        shapely.box(400_000 + 10_000 * i, 3_500_000 + 10_000 * j, 410_000 + 10_000 * i, 3_510_000 + 10_000 * j)
        for j in range(4)
        for i in range(5)
    ]
    frames = []
    for period in periods:
        flags = np.zeros(len(boxes), dtype=int)
        for k, v in enumerate(hot.get(period, [])):
            flags[k] = v
        frames.append(gpd.GeoDataFrame({"period": period, "hot": flags}, geometry=boxes, crs=CRS))
    return pd.concat(frames, ignore_index=True)


def test_hotspot_small_multiples_have_one_panel_per_period(tmp_path):
    periods = ["2000-01-01/2005-01-01", "2005-01-01/2010-01-01", "2010-01-01/2015-01-01", "2015-01-01/2020-01-01"]
    cells = _cells(periods, {periods[1]: [1, 1, -1], periods[3]: [0, 1]})
    coast = gpd.GeoSeries(
        [
            shapely.MultiLineString(
                [[(395_000, 3_495_000), (455_000, 3_545_000)], [(400_000, 3_540_000), (420_000, 3_520_000)]]
            ),
            shapely.Point(410_000, 3_510_000),
        ],
        crs=CRS,
    )
    fig = figures.hotspots_by_period(cells, footer="Sources: synthetic.", context=coast)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(fig.axes) == len(panels) == 4  # the two unused slots of the 2 × 3 grid are removed
    titles = [ax.get_title() for ax in panels]
    assert [t.split("\n")[0] for t in titles] == periods
    assert titles[1].endswith("2 hot, 1 cold of 20 cells") and titles[0].endswith("0 hot, 0 cold of 20 cells")
    # the hot and cold cells are drawn as polygons: 2 + 1 in panel 2, 1 in panel 4, none in panel 1
    polys = [sum(len(c.get_paths()) for c in ax.collections if type(c).__name__ == "PolyCollection") for ax in panels]
    assert polys == [0, 3, 0, 1]
    lines = [
        sum(len(c.get_segments()) for c in ax.collections if type(c).__name__ == "LineCollection") for ax in panels
    ]
    assert lines == [2, 2, 2, 2]  # both parts of the multi-line in every panel; the point is not a line
    _saved(fig, tmp_path, "hotspots")


def test_hotspots_in_degrees_are_drawn_in_metres(tmp_path):
    cells = _cells(["a/b"], {"a/b": [1]}).to_crs("EPSG:4326")
    fig = figures.hotspots_by_period(cells, footer="f")
    (ax,) = fig.axes
    x0, x1 = ax.get_xlim()
    assert 40_000 < x1 - x0 < 60_000  # 50 km of cells plus a margin, in UTM metres
    _saved(fig, tmp_path, "hotspots_deg")


def test_cell_counts_match_a_histogram():
    rng = np.random.default_rng(7)
    xy = rng.uniform([0, 0], [50_000, 30_000], size=(500, 2))
    pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)
    counts = figures.cell_counts(pts, 10_000, (0.0, 0.0))
    hist, _, _ = np.histogram2d(xy[:, 0], xy[:, 1], bins=[np.arange(0, 50_001, 10_000), np.arange(0, 30_001, 10_000)])
    assert counts["count"].sum() == 500
    for row in counts.itertuples():
        assert row.count == hist[int(row.x // 10_000), int(row.y // 10_000)]
    assert len(counts) == np.count_nonzero(hist)


def test_study_area_map_escapes_user_text_and_counts_per_cell(tmp_path):
    box = gpd.GeoSeries([shapely.box(400_000, 3_500_000, 500_000, 3_560_000)], crs=CRS)
    border = gpd.GeoDataFrame(geometry=[shapely.LineString([(390_000, 3_510_000), (510_000, 3_505_000)])], crs=CRS)
    towers = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([420_000, 450_000, 900_000], [3_520_000, 3_530_000, 0]), crs=CRS
    )
    # 7 records in one 5 km cell, 2 in another, 1 outside the box (left out)
    xs = [402_000] * 7 + [452_000] * 2 + [600_000]
    records = gpd.GeoSeries(gpd.points_from_xy(xs, [3_502_000] * 10), crs=CRS).to_crs("EPSG:4326")
    covered = np.zeros((12, 20), dtype=bool)
    covered[2:5, 3:9] = True
    fig = figures.study_area_map(
        {"border": border, "towers": towers},
        box=box,
        title=HOSTILE,
        footer="Sources: synthetic. " + HOSTILE,
        cell_m=5_000,
        records=records,
        coverage=(covered, (400_000, 500_000, 3_500_000, 3_560_000)),
    )
    (ax,) = fig.axes
    scatters = [c for c in ax.collections if type(c).__name__ == "PathCollection"]
    sizes = [sorted(np.round(s.get_sizes(), 3).tolist()) for s in scatters]
    assert [round(120 * 2 / 7, 3), 120.0] in sizes  # circle areas proportional to the counts 2 and 7
    assert any(len(s.get_offsets()) == 2 and s.get_offsets()[:, 0].min() == 420_000 for s in scatters)  # towers in box
    legend = " ".join(t.get_text() for t in ax.get_legend().get_texts()).replace("\n", " ")
    assert "recovered remains: 9, counted per 5 km cell (largest circle: 7)" in legend
    svg = _saved(fig, tmp_path, "map")
    assert "<img" not in svg and "onerror=alert(1)&gt;" in svg and "&lt;img src=x" in svg
    assert "$x^2$" in svg  # shown as typed, not parsed as mathtext


def test_envelope_chart_draws_the_curve_and_its_band(tmp_path):
    r = np.linspace(1_000, 10_000, 10)
    table = pd.DataFrame({"r": r, "observed": r - 300, "centre": r, "low": r - 200, "high": r + 200})
    fig = figures.envelope_chart(table, statistic="cross-L " + HOSTILE, footer="f")
    (ax,) = fig.axes
    line = next(ln for ln in ax.get_lines() if ln.get_marker() == "o")
    assert np.allclose(line.get_xdata(), r / 1e3) and np.allclose(line.get_ydata(), -300)
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(-200) and band[:, 1].max() == pytest.approx(200)
    svg = _saved(fig, tmp_path, "envelope")
    assert "<img" not in svg and "&lt;img" in svg
    one_sided = table.assign(high=np.nan)
    assert "SIMULATED DATA" in _saved(
        figures.envelope_chart(one_sided, statistic="cross-L", footer="f", simulated=True), tmp_path, "envelope1"
    )


def test_existing_charts_are_print_quality(tmp_path):
    rates = pd.DataFrame(
        {
            "route": "central",
            "month": ["2016-01", "2016-02", "2016-04"],
            "rate": [0.02, 0.01, 0.03],
            "ci_low": [0.01, 0.005, 0.02],
            "ci_high": [0.03, 0.02, 0.04],
        }
    )
    _saved(figures.mortality_per_crossing(rates, footer="f", interventions=["2016-02-15"]), tmp_path, "rates")
    cov = pd.DataFrame({"epoch": ["2014-01-01", "2016-01-01"], "area_km2": [0.0, 1200.0]})
    _saved(figures.coverage_growth(cov, footer="f"), tmp_path, "coverage")
    yearly = figures.yearly_quantiles(
        pd.DataFrame({"year": [2001] * 4 + [2002] * 4, "d": [1.0, 2, 3, 4, 5, 6, 7, 8]}), {"d": (HOSTILE, "m")}
    )
    svg = _saved(figures.hardship_over_time(yearly, footer="f"), tmp_path, "hardship")
    assert "<img" not in svg and "&lt;img" in svg


def test_dashed_lines_carry_the_study_number_of_their_intervention_and_left_out_months_are_grey(tmp_path):
    """The pull-back figure numbers each dashed line by its place in the study's list of interventions
    (the briefing's Annex B numbers them the same way), names only the lines it draws in its footer, and
    draws the months M6 leaves out apart, saying why."""
    months = pd.date_range("2016-01-01", periods=36, freq="MS")
    share = np.linspace(0.05, 0.4, len(months))
    table = pd.DataFrame(
        {
            "month": months.strftime("%Y-%m"),
            "pullback_share": share,
            "ci_low": share - 0.01,
            "ci_high": share + 0.01,
            "aerial_detections": np.arange(len(months)),
            "used": months.year != 2017,
            "left_out": np.where(months.year == 2017, "year left out (test)", ""),
        }
    )
    interventions = [
        ("2014-10-31", "Before the figure"),
        ("2016-06-01", "First shown"),
        ("2016-07-01", "Close to the first"),
        ("2018-03-01", "Last shown"),
    ]
    fig = figures.pullback_share(table, footer="Sources: test.", interventions=interventions)
    texts = [t.get_text() for t in fig.texts]
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels == ["2, 3", "4"]  # lines under two months apart share one label; the 2014 one is not drawn
    assert not fig.axes[1].texts
    footer = " ".join(next(t for t in texts if t.startswith("Sources: test.")).split())
    assert "2 First shown (2016-06-01); 3 Close to the first (2016-07-01); 4 Last shown (2018-03-01)" in footer
    assert "Before the figure" not in footer
    assert "Grey: 12 month(s) the analysis leaves out (year left out (test))" in footer
    # the grey line holds exactly the months left out
    grey = [ln for ln in fig.axes[0].lines if ln.get_linestyle() == ":"]
    assert len(grey) == 1 and int(np.isfinite(np.asarray(grey[0].get_ydata(), float)).sum()) == 12
    _saved(fig, tmp_path, "pullback")


def test_study_area_map_labels_towns_without_crowding_and_marks_them_as_names(tmp_path):
    """Towns are drawn biggest first; one whose label would crowd a drawn one, or outside the box, is left
    out; each label is an SVG group ``place-<i>`` (the briefing keeps those names as written)."""
    box = gpd.GeoSeries([shapely.box(400_000, 3_500_000, 500_000, 3_560_000)], crs=CRS)
    places = [
        ("Big Town", 420_000, 3_520_000),
        ("Next Door", 421_000, 3_520_500),  # within a tenth of the width of Big Town: crowded out
        ("Far Town", 470_000, 3_540_000),
        ("Outside", 900_000, 3_520_000),
    ]
    fig = figures.study_area_map({}, box=box, title="t", footer="f", cell_m=5_000, places=places)
    (ax,) = fig.axes
    labels = {t.get_text(): t.get_gid() for t in ax.texts if (t.get_gid() or "").startswith("place-")}
    assert labels == {"Big Town": "place-1", "Far Town": "place-2"}
    svg = _saved(fig, tmp_path, "places")
    assert '<g id="place-1">' in svg and "Far Town" in svg and "Next Door" not in svg
