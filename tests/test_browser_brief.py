"""The briefing in a real browser: offline headless Chromium, opened from file://.

Screenshots: ``screenshot_dir()/brief-central-med.png`` (full page, screen),
``brief-print.png`` (full page, print media) and ``brief-arizona-es.png`` (page 1, screen).
"""

from __future__ import annotations

import json

import pytest
from browser import open_page, screenshot_dir
from test_brief import HOSTILE, built


@pytest.fixture(scope="module")
def central(tmp_path_factory, data_dir):
    return built("central-med", tmp_path_factory, data_dir)


@pytest.fixture(scope="module")
def arizona_es(tmp_path_factory, data_dir):
    return built("arizona-es", tmp_path_factory, data_dir)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, data_dir):
    return built("hostile", tmp_path_factory, data_dir)


def test_brief_opens_offline_without_errors(central):
    with open_page(central / "brief.html", width=1200, height=900) as (page, report):
        assert page.title().startswith("Central Mediterranean")
        charts = page.locator("svg.chart")
        assert charts.count() >= 4
        # every inline chart is laid out at the page's width, with the height its viewBox implies
        sizes = page.evaluate(
            "[...document.querySelectorAll('figure:not(.area) svg.chart')].map(s => s.getBoundingClientRect())"
            ".map(r => [r.width, r.height])"
        )
        assert sizes and all(w > 600 and h > 150 for w, h in sizes), sizes
        results = json.loads((central / "run" / "results.json").read_text(encoding="utf-8"))
        ran = [t for t in results["tests"] if t["role"] == "primary" and t["status"] == "ran"]
        assert page.locator("ol.key > li").count() == len(ran)
        # on screen a finding links to its details, not to a page number
        assert page.locator("ol.key a.see .on-screen").first.is_visible()
        assert not page.locator("ol.key a.see .on-paper").first.is_visible()
        page.screenshot(path=screenshot_dir() / "brief-central-med.png", full_page=True)
    assert report.errors == [] and report.blocked == [] and report.dialogs == []
    assert all(u.startswith("file:") or u.startswith("data:") for u in report.requests)


def test_spanish_brief_speaks_spanish(arizona_es):
    with open_page(arizona_es / "brief.html", width=1000, height=1400) as (page, report):
        assert page.evaluate("document.documentElement.lang") == "es"
        assert page.inner_text("#key-findings") == "Hallazgos principales"
        assert "Sin evaluar:" in page.inner_text("#not-assessed")
        page.screenshot(path=screenshot_dir() / "brief-arizona-es.png")
    assert report.errors == [] and report.blocked == [] and report.dialogs == []


def test_hostile_text_shows_as_text_and_runs_nothing(hostile):
    with open_page(hostile / "brief.html") as (page, report):
        page.wait_for_timeout(300)  # time for an onerror handler, had one been created
        assert page.locator("img").count() == 0
        body = page.inner_text("body")
        assert f"{HOSTILE} Central Med" in page.inner_text("h1")
        assert f"{HOSTILE} in a caveat" in body and f"{HOSTILE} in the description" in body
        assert f"{HOSTILE} MoU" in body
    assert report.dialogs == [] and report.errors == [] and report.blocked == []


def test_print_media_lays_out_for_paper(central):
    with open_page(central / "brief.html", width=794, height=1123, media="print") as (page, report):
        style = page.evaluate("""() => ({
            hidden: getComputedStyle(document.querySelector('.no-print')).display,
            summary: getComputedStyle(document.querySelector('.summary')).breakAfter,
            method: getComputedStyle(document.querySelector('#method')).breakBefore,
            figure: getComputedStyle(document.querySelector('figure')).breakInside,
            paper: getComputedStyle(document.querySelector('a.see .on-paper')).display,
            source: getComputedStyle(document.querySelector('.src')).fontSize,
        })""")
        assert style["hidden"] == "none" and style["summary"] == "page" and style["method"] == "auto"
        assert style["figure"] == "avoid" and style["paper"] == "inline"
        assert float(style["source"].removesuffix("px")) >= 8 * 96 / 72 - 0.01  # 8 pt source lines
        assert page.evaluate("matchMedia('print').matches")
        page.screenshot(path=screenshot_dir() / "brief-print.png", full_page=True)
    assert report.errors == [] and report.blocked == [] and report.dialogs == []
