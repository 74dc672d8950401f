"""The briefing in a real browser: offline headless Chromium, opened from file://.

Screenshots: ``screenshot_dir()/brief-central-med.png`` (full page, screen) and
``brief-print.png`` (full page, print media).
"""

from __future__ import annotations

import pytest
from browser import open_page, screenshot_dir
from test_brief import HOSTILE, built


@pytest.fixture(scope="module")
def central(tmp_path_factory, data_dir):
    return built("central-med", tmp_path_factory, data_dir)


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
            "[...document.querySelectorAll('svg.chart')].map(s => s.getBoundingClientRect())"
            ".map(r => [r.width, r.height])"
        )
        assert all(w > 600 and h > 200 for w, h in sizes), sizes
        assert page.locator("#headlines + ul.findings > li").count() == 5  # M1 … M5
        page.screenshot(path=screenshot_dir() / "brief-central-med.png", full_page=True)
    assert report.errors == [] and report.blocked == [] and report.dialogs == []
    assert all(u.startswith("file:") or u.startswith("data:") for u in report.requests)


def test_hostile_text_shows_as_text_and_runs_nothing(hostile):
    with open_page(hostile / "brief.html") as (page, report):
        page.wait_for_timeout(300)  # time for an onerror handler, had one been created
        assert page.locator("img").count() == 0
        body = page.inner_text("body")
        assert f"{HOSTILE} Central Med" in page.inner_text("h1")
        assert f"{HOSTILE} in a caveat" in body and f"{HOSTILE} in the description" in body
        assert f"{HOSTILE} MoU" in body
        # the map's title inside the inline SVG is text, not an element
        assert page.evaluate(
            "[...document.querySelectorAll('svg.chart text')]"
            ".some(t => t.textContent.includes('<img src=x onerror=alert(1)> Central Med'))"
        )
    assert report.dialogs == [] and report.errors == [] and report.blocked == []


def test_print_media_lays_out_for_paper(central):
    with open_page(central / "brief.html", width=794, height=1123, media="print") as (page, report):
        style = page.evaluate("""() => ({
            hidden: getComputedStyle(document.querySelector('.no-print')).display,
            breakMethod: getComputedStyle(document.querySelector('#method')).breakBefore,
            breakFirst: getComputedStyle(document.querySelector('#headlines')).breakBefore,
            figure: getComputedStyle(document.querySelector('figure')).breakInside,
        })""")
        assert style == {"hidden": "none", "breakMethod": "page", "breakFirst": "auto", "figure": "avoid"}
        assert page.evaluate("matchMedia('print').matches")
        page.screenshot(path=screenshot_dir() / "brief-print.png", full_page=True)
    assert report.errors == [] and report.blocked == [] and report.dialogs == []
