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

from borderscape.brief import (
    PDFError,
    brief_html,
    chance_words,
    composition_table,
    headline,
    number,
    p_value_words,
    robustness_table,
    write_pdf,
)
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
    # one headline per question, each its primary result; the roles and the adjustment explained once
    results = json.loads((central / "run" / "results.json").read_text(encoding="utf-8"))
    questions = {t["id"].split(".")[0] for t in results["tests"]}
    heads = re.search(r'<ul class="findings" id="headline-list">(.*?)</ul>\n', page, re.S).group(1)
    assert heads.count("<li><b>") == len(questions) == 5
    for t in results["tests"]:
        if t["role"] == "primary":
            assert f"<code>{html.escape(t['id'])}</code>" in heads, t["id"]
    assert "Holm 1979" in page and "Benjamini &amp; Hochberg 1995" in page
    assert "not corrected for the number of tests" not in page and "uncorrected" not in page


def test_every_number_of_results_json_is_in_the_brief(central):
    page = html.unescape((central / "brief.html").read_text(encoding="utf-8"))
    results = json.loads((central / "run" / "results.json").read_text(encoding="utf-8"))
    ran = [t for t in results["tests"] if t["status"] == "ran"]
    assert len(ran) > 50
    for t in ran:
        item = re.search(rf'<li id="t-{re.escape(t["id"])}">(.*?)(?:<ul class="caveats">|</li>)', page, re.S)
        assert item, t["id"]
        text = item.group(1)
        assert fmt(t["estimate"]) in text, (t["id"], t["estimate"])
        lo, hi = t["ci"]
        assert f"{fmt(lo)} to {fmt(hi)}" in text, (t["id"], t["ci"])
        assert f"n = {t['n']:,}" in text
        assert f"{t['role']}</span>" in text, t["id"]
        if t["role"] == "descriptive" or t["p_value"] is None:
            assert "p =" not in text and "p <" not in text and "chance" not in text, t["id"]
            continue
        stated = "p < 0.001" if t["p_value"] < 0.001 else f"p = {t['p_value']:.2g}"
        assert f"unadjusted {stated}" in text, (t["id"], t["p_value"])
        adjusted = "p < 0.001" if t["p_adjusted"] < 0.001 else f"p = {t['p_adjusted']:.2g}"
        assert f"adjusted {adjusted}" in text, (t["id"], t["p_adjusted"])
        verdict = "unlikely to be chance alone" if t["p_adjusted"] < 0.05 else "could be chance"
        assert verdict in text, t["id"]
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
    # every result that ran says its role, and the page says what the roles mean
    assert "one <i>primary</i> result" in page
    for t in results["tests"]:
        if t["status"] == "ran":
            assert re.search(
                rf'<code>{re.escape(html.escape(t["id"]))}</code> <span class="role role-{t["role"]}">{t["role"]}<',
                page,
            ), t["id"]
    for t in skipped:
        assert html.escape(t["reason"]) in page and f"<code>{html.escape(t['id'])}</code>" in page
    figures = {p.stem for p in (demo / "run" / "figures").glob("*.svg")}
    # hardship_over_time is drawn only from years with [parameters.hardship] min_per_year records
    # (default 20): the demo world has fewer a year, so it is not required here
    assert {
        "study_area",
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
        "id": "M2.deaths.coast",
        "status": "ran",
        "role": "secondary",
        "name": "distance of deaths from the coast: median after − before 2017-02-02 (km)",
        "estimate": -113.01,
        "ci": [-138.0, -43.37],
        "n": 426,
        "p_value": 0.001,
        "p_adjusted": 0.004,
        "parameters": {"permutations": 999},
        "method": "two-sample permutation test (999 permutations, two-sided)",
    }
    text = headline(base, 9)
    assert text.startswith("Distance of deaths from the coast: median after − before 2017-02-02: -113 km")
    assert "95 % confidence interval -138 to -43.4; n = 426" in text
    assert (
        "After adjusting for the 9 secondary results of M2, unlikely to be chance alone (adjusted p = 0.004; "
        "unadjusted p = 0.001; none of 999 random reshuffles of the data gave a result this extreme)." in text
    )
    assert p_value_words({**base, "p_value": 0.022}) == (
        "unadjusted p = 0.022; a result at least this extreme arose in 21 of 999 random reshuffles of the data"
    )
    other = {**base, "method": "Mann-Kendall test", "p_value": 0.0312, "p_adjusted": 0.0312}
    assert chance_words(other, 1) == (
        "After adjusting for the one secondary result of M2, unlikely to be chance alone "
        "(adjusted p = 0.031; unadjusted p = 0.031)."
    )
    primary = {**other, "role": "primary", "p_value": 0.25, "p_adjusted": 0.75}
    assert chance_words(primary, 4) == (
        "After adjusting for the 4 questions tested, could be chance (adjusted p = 0.75; unadjusted p = 0.25)."
    )
    # a p-value the battery did not adjust is shown, never judged
    assert chance_words({**other, "p_adjusted": None}, 3) == (
        "Not adjusted for the other tests, so not judged against chance (unadjusted p = 0.031)."
    )
    ratio = headline(
        {
            **other,
            "name": "share of boats with deaths, by ngo / by vessel (risk ratio)",
            "estimate": 1.41,
            "ci": [0.983, 2.02],
        }
    )
    assert "1.41 risk ratio; a ratio of 1 means no difference" in ratio
    operation = headline({**other, "name": "distance after − before Joint Operation Triton (split 2014-11, km)"})
    assert "ratio" not in operation.replace("Operation", "")  # a word that holds "ratio" is not a ratio
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


# -- roles, adjusted p-values, robustness and composition (issue 17) ----------------------------

#: What a reader must not meet beside a descriptive result: p-value language.
P_WORDS = ("p =", "p <", "p-value", "chance", "significan", "adjusted")


def _result(id: str, role: str, **extra) -> dict:
    """A ``results.json`` test that ran (defaults: a difference of medians in metres)."""
    base = {
        "id": id,
        "name": f"distance to the nearest road of {id}: median after minus median before 2006-09-21 (m)",
        "status": "ran",
        "reason": "",
        "estimate": 6690.0,
        "ci": [5850.0, 7540.0],
        "p_value": 0.01,
        "p_adjusted": 0.01,
        "n": 4121,
        "method": f"method of {id}",
        "parameters": {},
        "role": role,
        "null_value": 0.0,
        "direction": "increase" if role == "primary" else None,
        "caveats": [],
        "sensitivity": [],
        "composition": [],
    }
    return {**base, **extra}


def _page(tests: list[dict], tmp_path: Path) -> str:
    results = {"study": "s", "seed": 1, "simulated": False, "caveats": [], "sources": [], "tests": tests}
    return brief_html(results, title="t", description="d", figures=tmp_path)


def _item(page: str, id: str) -> str:
    """The sentence of a result in the page (without its caveats), unescaped."""
    return html.unescape(
        re.search(rf'<li id="t-{re.escape(id)}">(.*?)(?:<ul class="caveats">|</li>)', page, re.S).group(1)
    )


def test_a_descriptive_result_has_no_p_value_language(tmp_path):
    """A descriptive result reads as an estimate with its interval and n, even when the module left a
    p-value on it: no "p =", no "chance", no "significant"; it is listed under Descriptive results."""
    described = _result("H4", "descriptive", p_value=0.003, p_adjusted=None, name="deaths per 100,000 encounters")
    text = headline(described)
    assert text == "Deaths per 100,000 encounters: 6,690 (95 % confidence interval 5,850 to 7,540; n = 4,121)."
    assert chance_words(described, 5) == ""
    page = _page([_result("H4.trend", "primary"), described], tmp_path)
    item = _item(page, "H4")
    assert "6,690" in item and "5,850 to 7,540" in item and "n = 4,121" in item
    assert not [w for w in P_WORDS if w in item.lower()], item
    section = page[page.index('id="descriptive"') : page.index('id="method"')]
    assert 'id="t-H4"' in section and 'id="t-H4.trend"' not in section
    # and the run summary and the map show no p-value for it either
    from borderscape.cli.run import _p
    from borderscape.webmap import _outcome_rows

    assert _p(described, "p_value") == _p(described, "p_adjusted") == ""
    row = _outcome_rows([described])
    assert "0.003" not in row and "<td>descriptive</td>" in row


def test_the_chance_sentence_follows_the_adjusted_p_value_not_the_raw_one(tmp_path):
    """p = 0.01 but adjusted p = 0.2 reads "could be chance"; p = 0.04 adjusted to 0.04 reads "unlikely"."""
    raw_small = _result("H2.road_distance", "primary", p_value=0.01, p_adjusted=0.2)
    held = _result("H5", "primary", p_value=0.04, p_adjusted=0.04, estimate=-0.05, ci=[-0.09, -0.01])
    page = _page([raw_small, held, _result("H2.slope", "secondary", p_value=0.01, p_adjusted=0.06)], tmp_path)
    text = _item(page, "H2.road_distance")
    assert (
        "After adjusting for the 2 questions tested, could be chance (adjusted p = 0.2; unadjusted p = 0.01)." in text
    )
    assert "unlikely" not in text
    assert "could be chance (adjusted p = 0.06; unadjusted p = 0.01)" in _item(page, "H2.slope")
    assert "adjusting for the one secondary result of H2" in _item(page, "H2.slope")
    five = _item(page, "H5")
    assert "unlikely to be chance alone (adjusted p = 0.04" in five
    # its estimate lies against the declared increase: said in its own text, and its caveats beside it
    assert "Against the direction declared in the study file (an increase)." in five
    heads = page[page.index('id="headline-list"') : page.index('class="roles"')]
    assert heads.count("<li><b>") == 2  # one headline per question: the primaries, not H2.slope
    assert "H2.slope" not in heads and "Method: method of H2.road_distance" in heads
    assert "Of the 2 questions whose primary result could be tested, 1 is unlikely to be chance alone" in page


def test_caveats_are_printed_beside_their_primary(tmp_path):
    caveat = "COVID-19 began within 12 months of the split <b>"
    against = "The estimate lies against the direction declared in the study file (increase)."
    primary = _result("H4.trend", "primary", estimate=-2.0, ci=[-3.0, -1.0], caveats=[caveat, against])
    page = _page([primary], tmp_path)
    heads = page[page.index('id="headline-list"') : page.index('class="roles"')]
    assert f'<ul class="caveats"><li>{html.escape(caveat)}</li></ul>' in heads  # escaped, beside it
    assert "Against the direction declared" in heads and against not in heads  # said once, in its sentence
    skipped = _result("H1", "primary", status="skipped", reason="No towers layer. Give --towers FILE.")
    page = _page([skipped, primary], tmp_path)
    assert "<code>H1</code>" in page and "The primary result could not be computed: No towers layer." in page


HOSTILE_VARIANT = "<script>alert('variant')</script>"


def test_robustness_and_composition_tables_render_escaped(tmp_path):
    variants = [
        {
            "name": "GPS-located records only",
            "estimate": 5900.0,
            "ci": [4800.0, 7000.0],
            "n": 2100,
            "p_value": 1e-9,
            "note": "precise positions",
        },
        {
            "name": HOSTILE_VARIANT,
            "estimate": -200.0,
            "ci": [-900.0, 500.0],
            "n": 4121,
            "p_value": 0.4,
            "note": "<b>placebo</b>",
        },
        {
            "name": "placebo split at 2004-09-21",
            "estimate": -97.0,
            "ci": [-2050.0, 1552.0],
            "n": 977,
            "p_value": 0.9,
            "note": "expected to find nothing",
        },
        {
            "name": "within corridors",
            "estimate": None,
            "ci": None,
            "n": None,
            "p_value": None,
            "note": "too few records",
        },
    ]
    composition = [
        {
            "variable": "location precision",
            "level": "GPS",
            "before": 0.35,
            "after": 0.86,
            "n_before": 900,
            "n_after": 3200,
        },
        {
            "variable": "location precision",
            "level": "<i>other</i>",
            "before": 0.65,
            "after": 0.14,
            "n_before": 900,
            "n_after": 3200,
        },
        {
            "variable": "corridor",
            "level": "Cabeza Prieta",
            "before": 0.034,
            "after": 0.132,
            "n_before": 1000,
            "n_after": 3121,
        },
    ]
    primary = _result("H2.road_distance", "primary", sensitivity=variants, composition=composition)
    table = robustness_table(primary)
    assert "<script" not in table and html.escape(HOSTILE_VARIANT) in table and "&lt;b&gt;placebo" in table
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    cells = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S) for r in rows]
    assert cells[0] == ["variant", "estimate (m)", "interval", "n", "note"]
    assert cells[1] == ["as reported (this result)", "6,690", "5,850 to 7,540", "4,121", ""]
    assert cells[2] == ["GPS-located records only", "5,900", "4,800 to 7,000", "2,100", "precise positions"]
    assert cells[3][1:4] == ["-200", "-900 to 500", "4,121"]
    assert cells[3][4] == "On the other side of no effect. &lt;b&gt;placebo&lt;/b&gt;"
    assert re.search(r'<tr class="flip"><td>&lt;script&gt;', table)
    whole = re.findall(r"<tr[^>]*>", table)
    assert whole[3] == '<tr class="flip">' and whole[4] == "<tr>"  # a placebo split is not a flip
    assert cells[4][4] == "expected to find nothing"
    assert cells[5] == ["within corridors", "not computed", "—", "", "too few records"]
    comp = composition_table(primary)
    assert "<i>" not in comp and "&lt;i&gt;other&lt;/i&gt;" in comp
    crows = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S) for r in re.findall(r"<tr>(.*?)</tr>", comp, re.S)]
    assert crows[0] == ["variable", "group", "before", "after"]
    assert crows[1][1:] == ["GPS", "35.0 %", "86.0 %"] and "n = 900 before, 3,200 after" in crows[1][0]
    assert crows[2] == ["&lt;i&gt;other&lt;/i&gt;", "65.0 %", "14.0 %"]  # under the same variable (rowspan)
    assert crows[3][1:] == ["Cabeza Prieta", "3.4 %", "13.2 %"]
    assert robustness_table(_result("H5", "primary")) == composition_table(_result("H5", "primary")) == ""
    # a variable of many groups: those with 2 % on a side shown, the rest summed in one row
    many = [
        {"variable": "cause", "level": f"cause {i}", "before": b, "after": a, "n_before": 300, "n_after": 100}
        for i, (b, a) in enumerate(
            [(0.5, 0.4), (0.3, 0.01), (0.01, 0.45)] + [(0.01, 0.0)] * 5 + [(0.0, 0.02 - 1e-9)] * 2
        )
    ]
    crows = re.findall(r"<tr>(.*?)</tr>", composition_table(_result("M5", "primary", composition=many)), re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r, re.S) for r in crows[1:]]
    assert [c[-3:] for c in cells] == [
        ["cause 0", "50.0 %", "40.0 %"],
        ["cause 1", "30.0 %", "1.0 %"],
        ["cause 2", "1.0 %", "45.0 %"],
        ["7 other groups, each under 2 %", "5.0 %", "4.0 %"],
    ]
    assert 'rowspan="4"' in crows[1]
    page = _page([primary], tmp_path)
    assert "<script" not in page.lower() and page.count('class="robustness"') == page.count('class="composition"') == 1


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
