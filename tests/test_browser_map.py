"""``borderscape map`` in a real browser: headless Chromium, networking off, the map opened from
file://.  No console error, no network request, the layer control lists the layers, clusters
render and follow the year slider and the layer control, and a hostile string in a data field
shows as text and runs nothing.  Screenshots go to ``screenshot_dir()``."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from browser import open_page, screenshot_dir
from test_webmap import study_map_file

from borderscape.cli import main

HOSTILE = "<img src=x onerror=alert(1)>"
ARIZONA_LAYERS = (
    "Arizona OpenGIS Initiative for Deceased Migrants (recovered remains)",
    "Hot spots of deaths",
    "Border",
    "Roads",
    "Water stations",
    "Border Patrol stations",
)


@pytest.fixture(scope="module")
def maps(data_dir, tmp_path_factory):
    """The self-contained maps of both real studies (built once per session)."""
    return {study: study_map_file(study, data_dir, tmp_path_factory) for study in ("arizona-sonora", "central-med")}


def set_year(page, year: int | None) -> None:
    page.evaluate(
        """(y) => { const s = document.getElementById('bs-year');
                              s.value = y === null ? s.min : String(y);
                              s.dispatchEvent(new Event('input')); }""",
        year,
    )


def test_arizona_map_works_offline(maps):
    with open_page(maps["arizona-sonora"], width=1200, height=800) as (page, report):
        control = page.locator(".leaflet-control-layers").inner_text()
        for name in ARIZONA_LAYERS:
            assert name in control
        clusters = page.locator("path.bs-cluster")
        assert clusters.count() > 10 and page.locator("path.bs-lines").count() > 100  # roads and border drawn
        assert page.locator("#bs-year-shown").inner_text() == "all years"
        counts = {}
        for year in (None, 2000, 2010):
            set_year(page, year)
            counts[year] = page.locator("path.bs-point").count()
        assert page.locator("#bs-year-shown").inner_text() == "2010"
        # the slider's years start with the study period (records before 2000 are not drawn); its first
        # position, one before the first year, shows all years
        assert page.locator("#bs-year").get_attribute("min") == "1999"
        assert 0 < counts[2000] < counts[None] and 0 < counts[2010] < counts[None]
        set_year(page, None)
        assert page.locator("path.bs-point").count() == counts[None]
        clusters.first.dispatch_event("click")
        popup = page.locator(".leaflet-popup-content").inner_text()
        assert "records" in popup and "Zoom in to see single records." in popup
        page.wait_for_timeout(400)  # the popup fades in, and may pan the map (which redraws the clusters)
        assert "Zoom in to see single records." in page.locator(".leaflet-popup-content").inner_text()
        page.screenshot(path=str(screenshot_dir() / "map-arizona.png"))
        # the layer control switches the remains off and on
        label = page.locator(".leaflet-control-layers label", has_text="Arizona OpenGIS Initiative")
        label.locator("input").uncheck()
        assert page.locator("path.bs-cluster").count() == 0
        assert "Arizona OpenGIS" not in page.locator(".bs-legend").inner_text()
        label.locator("input").check()
        assert page.locator("path.bs-cluster").count() == clusters.count() > 10
        page.locator("#bs-info summary").first.click()
        assert "Licence:" in page.locator("#bs-info").inner_text()
        assert report.errors == [] and report.blocked == [] and report.dialogs == []
        assert all(u.startswith("file:") for u in report.requests)


def test_central_med_map_works_offline(maps):
    with open_page(maps["central-med"], width=1200, height=800) as (page, report):
        control = page.locator(".leaflet-control-layers").inner_text()
        for name in (
            "IOM Missing Migrants Project",
            "Coverage from",
            "Search and rescue regions",
            "Coastline",
            "Operational areas",
        ):
            assert name in control
        assert page.locator("path.bs-cluster").count() > 10 and page.locator("path.bs-areas").count() > 0
        before = page.locator("path.bs-point").count()
        set_year(page, 2016)
        assert page.locator("path.bs-point").count() != before
        page.screenshot(path=str(screenshot_dir() / "map-central-med.png"))
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
    assert main(["map", "--layer", str(layer), "--out", str(out)]) == 0
    with open_page(out, width=900, height=600) as (page, report):
        assert "hostile <b>layer" in page.locator(".leaflet-control-layers").inner_text()  # the name as text
        marker = page.locator("path.bs-single").first.bounding_box()
        assert 0 < marker["x"] < 900 and 0 < marker["y"] < 600  # drawn inside the view
        page.locator("path.bs-single").first.dispatch_event("click")
        popup = page.locator(".leaflet-popup-content")
        assert HOSTILE in popup.inner_text()
        assert popup.locator("img").count() == 0 and page.locator("img").count() == 0
        assert page.locator(".leaflet-control-layers b").count() == 0
        page.wait_for_timeout(400)
        page.screenshot(path=str(screenshot_dir() / "map-hostile-popup.png"))
        assert report.dialogs == [] and report.errors == [] and report.blocked == []
