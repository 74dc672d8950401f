"""``borderscape map`` in a real browser: headless Chromium, networking off, the maps opened from
file:// (directly, or inside an iframe of an article page).  The Arizona–Sonora and central
Mediterranean maps at 375 × 667 (a phone), 700 × 525 (an iframe in an article) and 1400 × 900:
no network request and no console error, the controls collapsed behind buttons at the small
sizes and covering at most a quarter of the map, place labels shown, the size key of the
clusters in the legend; screenshots go to ``screenshot_dir()`` (``out/screenshots/``).  Then the
year range, the keyboard, gesture handling, text contrast, and hostile text shown as text."""

from __future__ import annotations

import re
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from browser import open_page, screenshot_dir
from test_webmap import map_data, study_map_file

from borderscape import webmap
from borderscape.cli import main

HOSTILE = "<img src=x onerror=alert(1)>"
STUDIES = ("arizona-sonora", "central-med")
ARIZONA_LAYERS = (
    "Arizona OpenGIS Initiative for Deceased Migrants (recovered remains)",
    "Hot spots of deaths",
    "Border",
    "Roads",
    "Water stations",
    "Border Patrol stations",
    "Place names (GeoNames)",
)
#: What the page shows, measured in the page (rectangles in CSS pixels of the frame's viewport).
INSPECT = """() => {
  const rect = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const shown = (e) => e.offsetParent !== null && e.getClientRects().length > 0;
  const mapBox = rect(document.querySelector('.folium-map'));
  const inside = (e) => { const r = rect(e); return r[2] > mapBox[0] && r[0] < mapBox[2] && r[3] > mapBox[1] && r[1] < mapBox[3]; };
  const controls = Array.from(document.querySelectorAll('.leaflet-control-container .leaflet-control')).filter(shown);
  const towns = Array.from(document.querySelectorAll('.bs-town:not(.bs-hidden) .bs-town-name')).filter(inside);
  const countries = Array.from(document.querySelectorAll('.bs-country:not(.bs-hidden) span')).filter(inside);
  return {
    map: mapBox,
    size: [innerWidth, innerHeight],
    controls: controls.map(rect),
    layersExpanded: document.querySelector('.leaflet-control-layers').classList.contains('leaflet-control-layers-expanded'),
    legendOpen: !document.getElementById('bs-legend-body').hidden,
    sizeKey: document.querySelectorAll('#bs-legend-body .bs-size-key .bs-cluster-disc').length,
    towns: towns.map((e) => e.textContent),
    countries: countries.map((e) => e.textContent),
    clusters: document.querySelectorAll('.bs-cluster').length,
    zoom: window.borderscapeMap.getZoom(),
  };
}"""


def covered_share(info: dict) -> float:
    """The share of the map's area under the controls (their union, clipped to the map)."""
    box = shapely.box(*info["map"])
    under = shapely.union_all([shapely.box(*r) for r in info["controls"]]).intersection(box)
    return under.area / box.area


@pytest.fixture(scope="module")
def maps(data_dir, tmp_path_factory):
    """The self-contained maps of both real studies, plain and for embedding (built once per session)."""
    return {
        (study, embed): study_map_file(study, data_dir, tmp_path_factory, embed=embed)
        for study in STUDIES
        for embed in (False, True)
    }


def article(folder, map_file, title: str):
    """An article page holding the map in the iframe of :func:`borderscape.webmap.embed_snippet`, 700 px wide."""
    shutil.copy(map_file, folder / map_file.name)
    page = folder / f"article-{map_file.stem}.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>An article</title>'
        "<style>body{margin:0;font-family:serif} article{width:700px;margin:8px} p{margin:0 0 8px}</style></head>"
        "<body><article><p>A paragraph of the article above the map.</p>"
        f"{webmap.embed_snippet(map_file.name, title=title)}"
        "<p>The article goes on below the map.</p></article></body></html>",
        encoding="utf-8",
    )
    return page


@pytest.mark.parametrize("study", STUDIES)
def test_map_at_three_sizes_offline(study, maps, tmp_path):
    plain, embed = maps[(study, False)], maps[(study, True)]
    host = article(tmp_path, embed, f"Interactive map: {study}")
    shots = screenshot_dir()
    for name, path, (width, height), framed in (
        ("375x667", embed, (375, 667), False),
        ("700x525-iframe", host, (760, 620), True),
        ("1400x900", plain, (1400, 900), False),
    ):
        with open_page(path, width=width, height=height) as (page, report):
            frame = page.frames[1] if framed else page.main_frame
            frame.wait_for_selector(".bs-cluster")
            page.wait_for_timeout(300)
            info = frame.evaluate(INSPECT)
            page.screenshot(path=str(shots / f"map-{study}-{name}.png"))
            small = name != "1400x900"
            if framed:
                assert info["size"] == [700, 525]
                assert page.locator("iframe").get_attribute("sandbox") == "allow-scripts"
                assert page.locator("iframe").get_attribute("title") == f"Interactive map: {study}"
            # offline: every request is a file of the page, none is blocked, nothing failed
            assert report.blocked == [] and report.errors == [] and report.dialogs == []
            assert all(u.startswith("file:") for u in report.requests), report.requests
            assert info["legendOpen"] is not small, (name, info)
            many = len(map_data(plain.read_text(encoding="utf-8"))["layers"]) + 1 > webmap.MAX_EXPANDED
            assert info["layersExpanded"] is not (small or many), (name, info)
            share = covered_share(info)
            assert share <= 0.25 if small else share < 0.5, (name, share)
            assert info["clusters"] > 5 and info["sizeKey"] == len(webmap.SIZE_KEY)
            assert len(info["towns"]) >= 3 and info["countries"], (name, info["towns"], info["countries"])
            if small:  # the legend opens from its button, with the size key
                button = frame.locator(".bs-legend-toggle")
                assert button.get_attribute("aria-expanded") == "false"
                button.click()
                assert button.get_attribute("aria-expanded") == "true"
                assert frame.locator("#bs-legend-body .bs-size-key").is_visible()
            if study == "arizona-sonora":
                assert {"MEXICO", "UNITED STATES"} <= set(info["countries"])
            else:
                # Malta's label yields to Italy's and Tunisia's until the map is large enough
                assert {"LIBYA", "TUNISIA", "ITALY"} | ({"MALTA"} if not small else set()) <= set(info["countries"])


def set_years(page, first: int, last: int) -> None:
    page.evaluate(
        """([a, b]) => { const f = document.getElementById('bs-year-from'), t = document.getElementById('bs-year-to');
                         f.value = String(a); f.dispatchEvent(new Event('input'));
                         t.value = String(b); t.dispatchEvent(new Event('input')); }""",
        [first, last],
    )
    page.wait_for_timeout(100)  # the redraw waits for the next animation frame


def relative(rgb: str) -> str:
    """``rgb(r, g, b)`` → ``#RRGGBB``."""
    r, g, b = (int(v) for v in re.findall(r"\d+", rgb)[:3])
    return f"#{r:02X}{g:02X}{b:02X}"


#: Text and the background it sits on (the first opaque background of it or its ancestors).
COLOURS = """(selector) => {
  const e = document.querySelector(selector);
  if (!e) { return null; }
  let n = e, bg = 'rgba(0, 0, 0, 0)';
  while (n && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) { bg = getComputedStyle(n).backgroundColor; n = n.parentElement; }
  return [getComputedStyle(e).color, bg];
}"""


def test_arizona_map_years_keyboard_gestures_and_contrast(maps):
    path = maps[("arizona-sonora", False)]
    data = map_data(path.read_text(encoding="utf-8"))
    remains = next(ly for ly in data["layers"] if ly["name"].startswith("Arizona OpenGIS"))
    years = np.array([y[0] for y in remains["years"]])
    with open_page(path, width=1400, height=900) as (page, report):
        page.wait_for_selector(".bs-cluster")
        control = page.locator(".leaflet-control-layers").inner_text()
        for name in ARIZONA_LAYERS:
            assert name in control
        count = f"() => window[{remains['var']!r}].getLayers().length"
        assert page.evaluate(count) == remains["n"] == 4121
        # the range of years: the records of 2010–2012 only, counted from the data independently
        set_years(page, 2010, 2012)
        assert page.evaluate(count) == int(((years >= 2010) & (years <= 2012)).sum()) > 0
        assert page.locator("#bs-years-shown").inner_text() == "2010–2012"
        set_years(page, 2015, 2005)  # the first thumb pushed past the second: one year, 2005
        assert page.evaluate("() => window.borderscapeRange()") == [2005, 2005]
        assert page.evaluate(count) == int((years == 2005).sum())
        assert page.locator("#bs-year-from").get_attribute("min") == "2000"  # the study period, not 1980
        set_years(page, 2000, 2024)
        # the keyboard: arrows move a thumb, Enter on a cluster zooms in, Enter opens the legend's button
        page.locator("#bs-year-to").focus()
        page.keyboard.press("ArrowLeft")
        assert page.evaluate("() => window.borderscapeRange()") == [2000, 2023]
        zoom = page.evaluate("() => window.borderscapeMap.getZoom()")
        page.locator(".bs-cluster").first.focus()
        page.keyboard.press("Enter")
        page.wait_for_timeout(700)
        assert page.evaluate("() => window.borderscapeMap.getZoom()") > zoom
        assert page.locator(".bs-cluster").first.get_attribute("role") == "button"
        legend = page.locator(".bs-legend-toggle")
        legend.focus()
        page.keyboard.press("Enter")
        assert legend.get_attribute("aria-expanded") == "false"
        # gesture handling: the wheel without Ctrl scrolls the page, not the map
        zoom = page.evaluate("() => window.borderscapeMap.getZoom()")
        page.mouse.move(600, 500)
        page.mouse.wheel(0, -400)
        page.wait_for_timeout(400)
        assert page.evaluate("() => window.borderscapeMap.getZoom()") == zoom
        assert "leaflet-gesture-handling-scroll-warning" in page.locator(".folium-map").get_attribute("class")
        # WCAG AA contrast of the texts on their backgrounds
        for selector in (
            "header h1",
            ".bs-subtitle",
            ".bs-source",
            ".bs-panel summary",
            "#bs-years-shown",
            ".bs-town-name",
            ".bs-country span",
            ".bs-legend-toggle",
            ".bs-count",
        ):
            found = page.evaluate(COLOURS, selector)
            assert found is not None, selector
            fg, bg = (relative(c) for c in found)
            assert webmap.contrast_ratio(fg, bg) >= 4.5, (selector, fg, bg)
        assert page.evaluate("() => document.documentElement.lang") == "en"
        assert page.locator("#bs-map").get_attribute("aria-label").startswith("Interactive map: Arizona")
        page.locator("#bs-info summary").first.click()
        assert "Licence:" in page.locator("#bs-info").inner_text()
        page.locator("#bs-table summary").click()
        assert "Records" in page.locator("#bs-table").inner_text() and "2024" in page.locator("#bs-table").inner_text()
        assert report.errors == [] and report.blocked == [] and report.dialogs == []


def test_hostile_text_shows_as_text_and_runs_nothing(tmp_path):
    frame = gpd.GeoDataFrame(
        {
            "date": pd.to_datetime(["2012-03-17"]),
            "date_kind": "reported",
            "date_precision": "day",
            "dead": pd.array([1], "Int64"),
            "missing": pd.array([0], "Int64"),
            "cause": [HOSTILE],
            "location_precision": "exact",
            "source_id": "deaths",
            "record_id": pd.array([None], "string"),
            "row": np.arange(1),
            "status": "kept",
            "reason": "",
        },
        geometry=gpd.points_from_xy([-111.0], [31.8]),
        crs="EPSG:4326",
    )
    layer = tmp_path / "hostile <b>layer.parquet"
    frame.to_parquet(layer, index=False)
    out = tmp_path / "hostile.html"
    assert main(["map", "--layer", str(layer), "--out", str(out), "--self-contained", "--title", HOSTILE]) == 0
    with open_page(out, width=900, height=600) as (page, report):
        assert "hostile <b>layer" in page.locator(".leaflet-control-layers").text_content()  # the name as text
        assert page.locator("h1").inner_text() == HOSTILE
        marker = page.locator(".bs-dot").first
        box = marker.bounding_box()
        assert 0 < box["x"] < 900 and 0 < box["y"] < 600  # drawn inside the view
        marker.click()
        popup = page.locator(".leaflet-popup-content")
        assert HOSTILE in popup.inner_text()
        assert popup.locator("img").count() == 0 and page.locator("img").count() == 0
        assert page.locator(".leaflet-control-layers b").count() == 0
        page.wait_for_timeout(400)
        page.screenshot(path=str(screenshot_dir() / "map-hostile-popup.png"))
        assert report.dialogs == [] and report.errors == [] and report.blocked == []


def test_spanish_arizona_map_fits_at_two_sizes(data_dir, tmp_path_factory):
    """The Arizona map in Spanish (longer words than English) at 375 × 667 and 1400 × 900: nothing
    overflows the page sideways, the header leaves most of the height to the map, and Leaflet's and
    borderscape's controls speak Spanish; screenshots ``map-arizona-sonora-es-*.png``."""
    from test_webmap import study_run

    run = study_run("arizona-sonora", data_dir, tmp_path_factory)
    path = tmp_path_factory.getbasetemp() / "map-arizona-es.html"
    assert main(["map", "--from", str(run), "--out", str(path), "--self-contained", "--lang", "es"]) == 0
    for width, height in ((375, 667), (1400, 900)):
        with open_page(path, width=width, height=height) as (page, report):
            page.wait_for_selector(".bs-cluster")
            page.wait_for_timeout(300)
            page.screenshot(path=str(screenshot_dir() / f"map-arizona-sonora-es-{width}x{height}.png"))
            sizes = page.evaluate(
                """() => ({page: document.documentElement.scrollWidth, view: innerWidth,
                           header: document.querySelector('header').getBoundingClientRect().height,
                           map: document.querySelector('.folium-map').getBoundingClientRect().height})"""
            )
            assert sizes["page"] <= sizes["view"], sizes
            assert sizes["map"] > 0.5 * height and sizes["header"] < 0.3 * height, sizes
            assert page.locator(".bs-legend-toggle").inner_text().startswith("Leyenda")
            assert page.locator(".leaflet-control-zoom-in").get_attribute("aria-label") == "Acercar"
            assert page.locator(".leaflet-control-layers-toggle").get_attribute("title") == "Capas"
            assert page.evaluate("() => document.documentElement.lang") == "es"
            assert report.errors == [] and report.blocked == [] and report.dialogs == []
