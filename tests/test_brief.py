"""`borderscape brief`: the briefing page and its PDF, on the real-data mirror and the demo world.

The briefs are built once per session (:func:`built`, shared with test_browser_brief.py).
"""

from __future__ import annotations

import html
import json
import re
import sys
import zlib
from pathlib import Path

import pytest

from borderscape.brief import PDFError, headline, number, p_value_words, write_pdf
from borderscape.cli import main

HOSTILE = "<img src=x onerror=alert(1)>"
_BUILT: dict[str, Path] = {}


def hostile_study(folder: Path) -> Path:
    """central-med.toml with a hostile title, description, caveat and intervention name, fewer
    permutations, and without its crossings and incidents layers (so M1 and M4 are skipped with
    their reasons): the numbers do not matter here, only where the text goes."""
    from importlib import resources

    text = (resources.files("borderscape.analyses") / "studies" / "central-med.toml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^title = ".*"$', f'title = "{HOSTILE} Central Med"', text)
    text = re.sub(r'(?s)description = """.*?"""', f'description = "{HOSTILE} in the description"', text)
    text = text.replace("caveats = [\n", f'caveats = [\n  "{HOSTILE} in a caveat",\n', 1)
    text = text.replace('name = "Italy–Libya Memorandum of Understanding"', f'name = "{HOSTILE} MoU"')
    text = text.replace("hotspot_permutations = 9999", "hotspot_permutations = 99")
    text = re.sub(r"(?m)^permutations = 999$", "permutations = 99", text)
    text = re.sub(r'(?m)^(crossings|incidents) = ".*$', "", text)
    assert text.count(HOSTILE) == 4 and "iom-med-monthly" not in text and "frontex-incidents" not in text
    path = folder / "hostile.toml"
    path.write_text(text, encoding="utf-8")
    return path


def built(kind: str, factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """The output folder of ``borderscape brief`` for ``central-med``, ``hostile`` or ``demo``
    (built once per session through the command line)."""
    if kind not in _BUILT:
        out = factory.mktemp(f"brief-{kind}")
        study = {"central-med": "central-med", "demo": "demo"}.get(kind) or str(hostile_study(out))
        code = main(["brief", study, "--data-dir", str(data_dir), "--out", str(out / "brief")])
        assert code == 0
        _BUILT[kind] = out / "brief"
    return _BUILT[kind]


def fmt(x: float) -> str:
    """The briefing's number format, written out again (rules in borderscape.brief's docstring)."""
    if x == 0:
        return "0"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}" if abs(x) >= 1e-3 else f"{x:.2e}"


def pdf_pages(path: Path) -> int:
    """Page objects in a PDF (inflating its compressed object streams)."""
    data = path.read_bytes()
    text = data
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            text += zlib.decompress(m.group(1))
        except zlib.error:
            pass
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", text))


@pytest.fixture(scope="module")
def central(tmp_path_factory, data_dir) -> Path:
    return built("central-med", tmp_path_factory, data_dir)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, data_dir) -> Path:
    return built("hostile", tmp_path_factory, data_dir)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, data_dir) -> Path:
    return built("demo", tmp_path_factory, data_dir)


def external_references(page: str) -> list[str]:
    """Script, style sheet, frame, image or font references that would leave the file."""
    found = re.findall(r"<(?:script|link|iframe|object|embed)\b[^>]*>", page, re.I)
    found += re.findall(r"""\b(?:src|srcset|data|poster)\s*=\s*["']?\s*(?:https?:)?//[^"'\s>]*""", page, re.I)
    found += re.findall(r"""<(?:img|image|use|a|link)\b[^>]*\bhref\s*=\s*["']\s*(?:https?:)?//[^"']*""", page, re.I)
    found += re.findall(r"url\(\s*['\"]?\s*(?:https?:)?//[^)]*\)|@import", page, re.I)
    return found


def test_central_med_brief_writes_html_and_a_multipage_pdf(central):
    page = (central / "brief.html").read_text(encoding="utf-8")
    pdf = central / "brief.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert pdf_pages(pdf) > 1
    assert (central / "run" / "results.json").is_file() and (central / "run" / "provenance.json").is_file()
    for stem in ("study_area", "mortality_per_crossing", "coverage_growth", "hotspots_by_period"):
        assert (central / "run" / "figures" / f"{stem}.png").is_file(), stem
        assert f'id="fig-{stem}"' in page, stem
    assert page.count("<svg") >= 4 and "<script" not in page.lower()
    assert "@media print" in page and "@page" in page and "size: A4" in page
    assert "not where they walked; deaths are undercounted" in page
    assert external_references(page) == []
    assert "(primary)" not in page and "is marked <i>primary</i>" not in page  # the sea's tests have no tier


def test_every_number_of_results_json_is_in_the_brief(central):
    page = html.unescape((central / "brief.html").read_text(encoding="utf-8"))
    results = json.loads((central / "run" / "results.json").read_text(encoding="utf-8"))
    ran = [t for t in results["tests"] if t["status"] == "ran"]
    assert len(ran) > 50
    for t in ran:
        item = re.search(rf'<li id="t-{re.escape(t["id"])}">(.*?)</li>', page, re.S)
        assert item, t["id"]
        text = item.group(1)
        assert fmt(t["estimate"]) in text, (t["id"], t["estimate"])
        lo, hi = t["ci"]
        assert f"{fmt(lo)} to {fmt(hi)}" in text, (t["id"], t["ci"])
        assert f"n = {t['n']:,}" in text
        stated = "p < 0.001" if t["p_value"] < 0.001 else f"p = {t['p_value']:.2g}"
        assert stated in text, (t["id"], t["p_value"])
    for s in results["sources"]:
        assert s["licence"] in page and s["publisher"] in page
    for c in results["caveats"]:
        assert c in page


def test_hostile_text_is_escaped_everywhere(hostile):
    page = (hostile / "brief.html").read_text(encoding="utf-8")
    assert "<img" not in page.lower()
    escaped = html.escape(HOSTILE)
    # title (twice: <title> and <h1>), description, caveat, intervention; and the map's SVG title
    assert page.count(escaped) >= 5
    assert page.count("&lt;img src=x onerror=alert(1)&gt; Central Med: the study area") == 1
    assert external_references(page) == []
    assert (hostile / "brief.pdf").read_bytes().startswith(b"%PDF-")
    results = json.loads((hostile / "run" / "results.json").read_text(encoding="utf-8"))
    skipped = [t for t in results["tests"] if t["status"] == "skipped"]
    assert {t["id"].split(".")[0] for t in skipped} >= {"M1", "M4"}
    for t in skipped:
        assert html.escape(t["reason"]) in page and f"<code>{html.escape(t['id'])}</code>" in page


def test_demo_brief_says_simulated_and_lists_skipped_tests(demo):
    page = (demo / "brief.html").read_text(encoding="utf-8")
    results = json.loads((demo / "run" / "results.json").read_text(encoding="utf-8"))
    assert results["simulated"] is True
    assert re.search(r"<title>SIMULATED DATA", page) and 'class="sim"' in page
    assert '@top-center { content: "SIMULATED DATA"' in page  # on every printed page
    skipped = [t for t in results["tests"] if t["status"] == "skipped"]
    assert skipped
    # every result that ran says its tier, and the page says what the tiers mean
    assert "is marked <i>primary</i>" in page
    for t in results["tests"]:
        if t["status"] == "ran":
            assert re.search(
                rf'<code>{re.escape(html.escape(t["id"]))}</code> <span class="tier">\({t["tier"]}\)', page
            )
    for t in skipped:
        assert html.escape(t["reason"]) in page and f"<code>{html.escape(t['id'])}</code>" in page
    figures = {p.stem for p in (demo / "run" / "figures").glob("*.svg")}
    assert {
        "study_area",
        "hardship_over_time",
        "mortality_per_encounter",
        "coverage_growth",
        "cross_l_envelope",
        "hotspots_by_period",
    } <= figures
    for stem in figures:
        assert "SIMULATED DATA" in (demo / "run" / "figures" / f"{stem}.svg").read_text(encoding="utf-8"), stem
    assert pdf_pages(demo / "brief.pdf") > 1


def test_unknown_study_is_a_typed_error(tmp_path, capsys):
    assert main(["brief", "no-such-study", "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "no shipped study" in err and "central-med" in err and "Traceback" not in err
    assert not (tmp_path / "b" / "brief.html").exists()


def test_missing_weasyprint_is_a_typed_error_after_the_html(tmp_path, monkeypatch):
    page = tmp_path / "brief.html"
    page.write_text("<!DOCTYPE html><html><body><p>x</p></body></html>", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint -> ImportError
    with pytest.raises(PDFError) as info:
        write_pdf(page, tmp_path / "brief.pdf")
    assert "pip install weasyprint" in info.value.remedy and "pango" in info.value.remedy.lower()
    assert not (tmp_path / "brief.pdf").exists() and not list(tmp_path.glob("*.pdf*"))


def test_plain_language_sentences():
    base = {
        "name": "distance of deaths from the coast: median after − before 2017-02-02 (km)",
        "estimate": -113.01,
        "ci": [-138.0, -43.37],
        "n": 426,
        "p_value": 0.001,
        "parameters": {"permutations": 999},
        "method": "two-sample permutation test (999 permutations, two-sided)",
    }
    text = headline(base)
    assert text.startswith("Distance of deaths from the coast: median after − before 2017-02-02: -113 km")
    assert "95 % confidence interval -138 to -43.4; n = 426" in text
    assert "None of 999 random reshuffles of the data gave a result this extreme (fewer than 1 in 1,000" in text
    assert p_value_words({**base, "p_value": 0.022}).startswith(
        "A result at least this extreme arose in 21 of 999 random reshuffles of the data (p = 0.022)"
    )
    other = {**base, "method": "Mann-Kendall test", "p_value": 0.0312}
    assert p_value_words(other) == "p = 0.031: unlikely to be chance alone."
    assert p_value_words({**other, "p_value": 0.25}) == "p = 0.25: consistent with chance."
    ratio = headline(
        {
            **other,
            "name": "share of boats with deaths, by ngo / by vessel (risk ratio)",
            "estimate": 1.41,
            "ci": [0.983, 2.02],
        }
    )
    assert "1.41 risk ratio; a ratio of 1 means no difference" in ratio
    envelope = headline({**other, "ci": [-1394.8, None], "parameters": {"ci_kind": "null envelope of the deviation"}})
    assert "range expected with no effect (95 % null envelope): from -1,395" in envelope
    named = headline(
        {**other, "name": "rate after / rate before 2020-03-21 (Title 42 expulsions begin)", "estimate": 0.178}
    )
    assert named.startswith("Rate after / rate before 2020-03-21 (Title 42 expulsions begin): 0.178 (95 %")
    assert [number(v) for v in (6885.5, 0.0162406, -1.1255, 0.0, 1.2e-5)] == [
        "6,886",
        "0.0162",
        "-1.13",
        "0",
        "1.20e-05",
    ]


def test_brief_inlines_its_stylesheet_from_the_package(tmp_path):
    """The briefing's styles are borderscape/static/brief.css (package data), inlined whole, with
    the print section; the page still has no script and no external reference."""
    from borderscape.brief import brief_html
    from borderscape.webmap import static_text

    css = static_text("brief.css")
    assert "@media print" in css and "@page" in css
    results = {
        "study": "s",
        "seed": 1,
        "simulated": True,
        "caveats": [],
        "sources": [],
        "tests": [{"id": "H1", "name": "n", "status": "skipped", "reason": "No towers. Give --towers."}],
    }
    page = brief_html(results, title="t", description="d", figures=tmp_path)
    assert f"<style>\n{css}@page {{ @top-center" in page  # then the SIMULATED DATA page header
    assert "<script" not in page.lower() and not re.search(r"(src|href)=[\"']?(https?:)?//", page)
